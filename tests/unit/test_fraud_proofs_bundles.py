"""Fraud proofs about bundles and extrinsics (ValidBundle, InvalidExtrinsicsRoot, InvalidBundles, InvalidTransfers)
and `prove_fraud`: for a block of three bundles (balances and EVM runtimes), each kind of lie in a receipt gets the
expected proof, which round-trips through its bytes, verifies against the lie and is refused against the honest
receipt; an honest receipt gets none; proofs naming another bundle, a bundle the consensus block did not carry, a
tampered bundle or carrying consensus proofs are refused; decoding is total; mutated proofs never convict the
honest receipt; the extrinsics root rebuilt from digests is the ordered trie root of the extrinsics."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import pytest
import sr25519
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.codec import encode_u32, encode_vector
from autonomys.protocol.domains.bundles import Bundle, BundleHeader, ProofOfElection, Weight, seal
from autonomys.protocol.domains.election import (
    INITIAL_TX_RANGE,
    compute_vrf_hash,
    is_signer_in_tx_range,
    signer_id_hash,
)
from autonomys.protocol.domains.execution import ExecutedBlock, ParentBlock, derive_domain_block, encode_opaque
from autonomys.protocol.domains.execution_proofs import StorageProof
from autonomys.protocol.domains.fraud_evidence import ConsensusEvidence
from autonomys.protocol.domains.fraud_proofs import (
    FraudProof,
    InvalidBlockFeesProof,
    InvalidDomainBlockHashProof,
    InvalidStateTransitionProof,
    InvalidTransfersProof,
    verify_fraud_proof,
)
from autonomys.protocol.domains.fraud_proofs_bundles import (
    BundleAndExecutionProofData,
    BundleProofData,
    ExtrinsicProofData,
    InvalidBundlesProof,
    InvalidExtrinsicsRootProof,
    OpaqueBundleWithProof,
    ValidBundleDigest,
    ValidBundleProof,
    compute_bundle_digest_entries,
    compute_extrinsics_root_from_digests,
    compute_ordered_digest_root,
    encode_signed_digest,
)
from autonomys.protocol.domains.fraud_prover import prove_fraud
from autonomys.protocol.domains.receipts import (
    BundleValidity,
    ChainId,
    ExecutionReceipt,
    ExtrinsicDigest,
    InvalidBundleKind,
    InvalidBundleType,
    Transfers,
    compute_valid_bundle_digest,
    genesis_receipt,
)
from autonomys.protocol.domains.registry import compute_domain_genesis
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainRuntime, runtime_named
from autonomys.protocol.domains.runtime_balances import sign_transfer
from autonomys.protocol.domains.substrate_trie import compute_blake2_256, ordered_trie_root
from autonomys.protocol.errors import DecodeError, InvalidFraudProof

AI3 = 10**18
DOMAIN = 3
POT = bytes(range(16))
CONTEXT = DomainBlockContext(DOMAIN, 1, bytes([9]) * 32, 7, 1_700_000_000_000, 10, bytes([5]) * 32)
OPERATOR = sr25519.pair_from_seed(bytes([0x77]) * 32)
ACCOUNTS = 6
SUBJECT = 1
"""The index of the bundle each lie is about (between two valid bundles)."""


# ---- worlds: a runtime, its genesis, and how its transactions are made ----------------------------------------


@dataclasses.dataclass(frozen=True)
class World:
    runtime: DomainRuntime
    nodes: dict[bytes, bytes]
    parent: ExecutionReceipt
    transaction: Callable[[int, int, int], bytes]
    """(sender, nonce, receiver) -> the runtime's bytes of a transfer of 1 AI3."""
    signer: Callable[[int], bytes]


@functools.cache
def world(name: str) -> World:
    if name == "balances":
        keys = [sr25519.pair_from_seed(bytes([index + 1]) * 32) for index in range(ACCOUNTS)]
        genesis = compute_domain_genesis("balances", DOMAIN, [(public, 10 * AI3) for public, _ in keys])

        def transfer(sender: int, nonce: int, to: int) -> bytes:
            return sign_transfer(DOMAIN, keys[sender], nonce, keys[to][0], AI3).to_bytes()

        return World(runtime_named("balances"), dict(genesis.created), genesis_receipt(genesis.root),
                     functools.cache(transfer), lambda sender: keys[sender][0])  # fmt: skip
    eth_account = pytest.importorskip("eth_account")
    accounts = [eth_account.Account.from_key(bytes([index + 1]) * 32) for index in range(ACCOUNTS)]
    addresses = [bytes.fromhex(account.address[2:]) for account in accounts]
    genesis = compute_domain_genesis("evm", DOMAIN, [(a, 10 * AI3) for a in addresses], evm_chain_id=870)
    fees = {"type": 2, "chainId": 870, "gas": 21_000, "maxFeePerGas": 4 * 10**9, "maxPriorityFeePerGas": 0}

    def evm_transfer(sender: int, nonce: int, to: int) -> bytes:
        fields = fees | {"nonce": nonce, "to": accounts[to].address, "value": AI3}
        return bytes(accounts[sender].sign_transaction(fields).raw_transaction)

    return World(runtime_named("evm"), dict(genesis.created), genesis_receipt(genesis.root),
                 functools.cache(evm_transfer), lambda sender: addresses[sender])  # fmt: skip


RUNTIMES = pytest.mark.parametrize("name", ["balances", "evm"])


def find_vrf(signers: list[bytes], *, in_range: bool) -> bytes:
    """A VRF signature whose bundle has every signer in the reference's tx range (or the first one outside)."""
    for attempt in range(100_000):
        vrf = attempt.to_bytes(4, "little") * 24
        vrf_hash = int.from_bytes(compute_vrf_hash(vrf), "big")
        inside = [is_signer_in_tx_range(vrf_hash, signer_id_hash(s), INITIAL_TX_RANGE) for s in signers]
        if all(inside) if in_range else not inside[0]:
            return vrf
    raise AssertionError("no VRF found")


def make_bundle(w: World, extrinsics: list[bytes], *, weight: Weight | None = None, in_range: bool = True) -> Bundle:
    """A bundle of the runtime's extrinsics; its declared weight is theirs unless given; its VRF puts its signers
    in the tx range (or the first outside)."""
    signers, ref_time, proof_size = [], 0, 0
    for extrinsic in extrinsics:
        try:
            signer, each = w.runtime.signer(extrinsic), w.runtime.weight(extrinsic)
        except DecodeError:
            continue
        ref_time, proof_size = ref_time + each.ref_time, proof_size + each.proof_size
        if signer is not None:
            signers.append(signer)
    encoded = tuple(encode_opaque(extrinsic) for extrinsic in extrinsics)
    election = ProofOfElection(DOMAIN, 5, bytes(16), find_vrf(signers, in_range=in_range), 0)
    declared = Weight(ref_time, proof_size) if weight is None else weight
    header = BundleHeader(election, genesis_receipt(bytes(32)), declared, ordered_trie_root(encoded))
    return Bundle(seal(header, OPERATOR), encoded)


def subject(w: World, kind: str) -> Bundle:
    """The bundle the lies are about, of one signer (any two signers may be too far apart on the ring to share a
    bundle's tx range): valid, or invalid by one rule (at extrinsic 1, or 0 for out-of-range)."""
    good = w.transaction(3, 0, 4)
    extrinsics = {
        "valid": [good, w.transaction(3, 1, 5)],
        "undecodable": [good, b"\x09junk"],
        "inherent": [good, w.runtime.inherents(CONTEXT)[0]],
        "illegal": [good, w.transaction(3, 2, 5)],  # nonce 2 where the first transaction left 1
    }
    if kind == "out_of_range":
        return make_bundle(w, [good], in_range=False)
    if kind == "weight":
        return make_bundle(w, [good], weight=Weight(1, 1))
    return make_bundle(w, extrinsics[kind])


@dataclasses.dataclass(frozen=True)
class Case:
    world: World
    bundles: tuple[Bundle, ...]
    block: ExecutedBlock
    evidence: ConsensusEvidence

    @property
    def honest(self) -> ExecutionReceipt:
        return self.block.receipt

    def prove(self, bad: ExecutionReceipt) -> FraudProof | None:
        w = self.world
        return prove_fraud(w.runtime, w.nodes, self.evidence, self.bundles, w.parent, bad)

    def verify(self, fraud: FraudProof, receipt: ExecutionReceipt) -> None:
        verify_fraud_proof(self.world.runtime, fraud, receipt, self.world.parent, self.evidence)


@functools.cache
def case(name: str, kind: str = "valid") -> Case:
    w = world(name)
    bundles = (make_bundle(w, [w.transaction(0, 0, 1), w.transaction(0, 1, 2)]), subject(w, kind),
               make_bundle(w, [w.transaction(2, 0, 3)]))  # fmt: skip
    parent = ParentBlock(w.parent.domain_block_hash, w.parent.final_state_root, w.parent.hash())
    block = derive_domain_block(w.runtime, w.nodes, parent, CONTEXT, bundles, POT, INITIAL_TX_RANGE)
    evidence = ConsensusEvidence(CONTEXT, POT, INITIAL_TX_RANGE, tuple(b.sealed_header.pre_hash() for b in bundles))
    return Case(w, bundles, block, evidence)


def with_entry(receipt: ExecutionReceipt, index: int, validity: BundleValidity) -> ExecutionReceipt:
    inboxed = list(receipt.inboxed_bundles)
    inboxed[index] = dataclasses.replace(inboxed[index], bundle=validity)
    return dataclasses.replace(receipt, inboxed_bundles=tuple(inboxed))


def invalid(kind: InvalidBundleKind, index: int | None = None) -> BundleValidity:
    return BundleValidity(invalid_bundle_type=InvalidBundleType(kind, index))


def proves(c: Case, bad: ExecutionReceipt, expected: type) -> FraudProof:
    """The proof prove_fraud builds of `bad`: of the expected variant, round-tripping through its bytes,
    verifying against `bad` and refused against the honest receipt (under either receipt hash)."""
    fraud = c.prove(bad)
    assert fraud is not None and isinstance(fraud.proof, expected), fraud
    encoded = fraud.to_bytes()
    decoded = FraudProof.from_bytes(encoded)
    assert decoded == fraud and decoded.to_bytes() == encoded
    c.verify(decoded, bad)
    for aimed in (decoded, dataclasses.replace(decoded, bad_receipt_hash=c.honest.hash())):
        with pytest.raises(InvalidFraudProof):
            c.verify(aimed, c.honest)
    return decoded


# ---- the honest block ---------------------------------------------------------------------------------------


@RUNTIMES
def test_an_honest_receipt_gets_no_proof_and_its_digests_rebuild_its_extrinsics_root(name: str) -> None:
    c = case(name)
    assert all(entry.bundle.is_valid for entry in c.honest.inboxed_bundles)
    assert c.prove(c.honest) is None
    entries = [e for bundle in c.bundles for e in compute_bundle_digest_entries(c.world.runtime, bundle.extrinsics)]
    root = compute_extrinsics_root_from_digests(c.world.runtime, c.evidence, entries)
    assert root == c.honest.domain_block_extrinsic_root == ordered_trie_root(c.block.extrinsics)
    # Both digest forms are in the block: short inherents inline (Data), transactions by hash.
    kinds = {ExtrinsicDigest.of(extrinsic).data is None for extrinsic in c.block.extrinsics}
    assert kinds == {True, False}


@given(st.lists(st.binary(min_size=0, max_size=40) | st.sampled_from([bytes(31), bytes(32), bytes(33)]), max_size=80))
def test_the_root_of_extrinsic_digests_is_the_ordered_trie_root_of_the_extrinsics(items: list[bytes]) -> None:
    assert compute_ordered_digest_root([ExtrinsicDigest.of(item) for item in items]) == ordered_trie_root(items)


def test_the_digest_root_matches_at_the_inline_threshold_and_past_one_byte_keys() -> None:
    for items in ([bytes(32)], [bytes(33)], [bytes([n]) * (31 + n % 4) for n in range(70)], []):
        assert compute_ordered_digest_root([ExtrinsicDigest.of(item) for item in items]) == ordered_trie_root(items)


# ---- InvalidBundles: a valid bundle marked invalid (bad-invalid) --------------------------------------------

BAD_INVALID = [
    (InvalidBundleKind.UNDECODABLE_TX, 0, ExtrinsicProofData),
    (InvalidBundleKind.OUT_OF_RANGE_TX, 0, BundleProofData),
    (InvalidBundleKind.INHERENT_EXTRINSIC, 1, ExtrinsicProofData),
    (InvalidBundleKind.ILLEGAL_TX, 1, BundleAndExecutionProofData),
    (InvalidBundleKind.INVALID_BUNDLE_WEIGHT, None, BundleProofData),
    (InvalidBundleKind.UNDECODABLE_TX, 7, BundleProofData),  # an extrinsic the bundle lacks: the fast path
    (InvalidBundleKind.INVALID_XDM, 2, BundleProofData),
]


@RUNTIMES
@pytest.mark.parametrize(("kind", "index", "data"), BAD_INVALID)
def test_a_valid_bundle_marked_invalid_is_proven_bad_invalid(name: str, kind, index, data) -> None:
    c = case(name)
    bad = with_entry(c.honest, SUBJECT, invalid(kind, index))
    fraud = proves(c, bad, InvalidBundlesProof)
    proof = fraud.proof
    assert isinstance(proof, InvalidBundlesProof) and isinstance(proof.proof_data, data)
    assert (proof.bundle_index, proof.is_good_invalid_fraud_proof) == (SUBJECT, False)
    assert proof.invalid_bundle_type == InvalidBundleType(kind, index)


def test_a_claimed_invalid_xdm_inside_the_bundle_is_not_provable_here() -> None:
    c = case("balances")
    bad = with_entry(c.honest, SUBJECT, invalid(InvalidBundleKind.INVALID_XDM, 0))
    assert c.prove(bad) is None


# ---- InvalidBundles: an invalid bundle marked valid or with a later rule (good-invalid) ---------------------

GOOD_INVALID = [
    ("undecodable", InvalidBundleType(InvalidBundleKind.UNDECODABLE_TX, 1), ExtrinsicProofData),
    ("out_of_range", InvalidBundleType(InvalidBundleKind.OUT_OF_RANGE_TX, 0), BundleProofData),
    ("inherent", InvalidBundleType(InvalidBundleKind.INHERENT_EXTRINSIC, 1), ExtrinsicProofData),
    ("illegal", InvalidBundleType(InvalidBundleKind.ILLEGAL_TX, 1), BundleAndExecutionProofData),
    ("weight", InvalidBundleType(InvalidBundleKind.INVALID_BUNDLE_WEIGHT), BundleProofData),
]


@RUNTIMES
@pytest.mark.parametrize(("kind", "honest", "data"), GOOD_INVALID)
def test_an_invalid_bundle_marked_valid_is_proven_good_invalid(name: str, kind: str, honest, data) -> None:
    c = case(name, kind)
    assert c.honest.inboxed_bundles[SUBJECT].bundle.invalid_bundle_type == honest
    bad = with_entry(c.honest, SUBJECT, BundleValidity(bundle_digest_hash=bytes([0xAB]) * 32))
    fraud = proves(c, bad, InvalidBundlesProof)
    proof = fraud.proof
    assert isinstance(proof, InvalidBundlesProof) and isinstance(proof.proof_data, data)
    assert (proof.invalid_bundle_type, proof.is_good_invalid_fraud_proof) == (honest, True)


@pytest.mark.parametrize(
    ("kind", "claimed", "good"),
    [
        ("undecodable", InvalidBundleType(InvalidBundleKind.ILLEGAL_TX, 1), True),  # a later rule, same extrinsic
        ("inherent", InvalidBundleType(InvalidBundleKind.INVALID_BUNDLE_WEIGHT), True),
        ("illegal", InvalidBundleType(InvalidBundleKind.OUT_OF_RANGE_TX, 1), False),  # an earlier rule: false
        ("illegal", InvalidBundleType(InvalidBundleKind.ILLEGAL_TX, 0), False),  # an earlier extrinsic: false
    ],
)
def test_an_invalid_bundle_marked_with_another_rule_is_proven_by_the_first_failing_one(kind, claimed, good) -> None:
    c = case("balances", kind)
    honest = c.honest.inboxed_bundles[SUBJECT].bundle.invalid_bundle_type
    assert honest is not None
    fraud = proves(c, with_entry(c.honest, SUBJECT, BundleValidity(invalid_bundle_type=claimed)), InvalidBundlesProof)
    assert isinstance(fraud.proof, InvalidBundlesProof) and fraud.proof.is_good_invalid_fraud_proof == good
    assert fraud.proof.invalid_bundle_type == (honest if good else claimed)


# ---- ValidBundle, InvalidExtrinsicsRoot, InvalidTransfers, and the later fields ----------------------------


@RUNTIMES
def test_a_changed_valid_digest_is_proven_by_the_bundle(name: str) -> None:
    c = case(name)
    bad = with_entry(c.honest, SUBJECT, BundleValidity(bundle_digest_hash=bytes([0xCD]) * 32))
    fraud = proves(c, bad, ValidBundleProof)
    assert isinstance(fraud.proof, ValidBundleProof)
    assert fraud.proof.bundle_with_proof.bundle == c.bundles[SUBJECT]
    assert fraud.proof.bundle_with_proof.bundle_index == SUBJECT


@RUNTIMES
def test_a_wrong_extrinsics_root_is_proven_from_the_valid_bundles_digests(name: str) -> None:
    c = case(name)
    bad = dataclasses.replace(c.honest, domain_block_extrinsic_root=bytes([0xEE]) * 32)
    fraud = proves(c, bad, InvalidExtrinsicsRootProof)
    assert isinstance(fraud.proof, InvalidExtrinsicsRootProof)
    assert [digest.bundle_index for digest in fraud.proof.valid_bundle_digests] == [0, 1, 2]
    # With an invalid bundle, only the valid ones are given.
    c = case(name, "illegal")
    fraud = proves(c, dataclasses.replace(c.honest, domain_block_extrinsic_root=bytes(32)), InvalidExtrinsicsRootProof)
    assert isinstance(fraud.proof, InvalidExtrinsicsRootProof)
    assert [digest.bundle_index for digest in fraud.proof.valid_bundle_digests] == [0, 2]


@RUNTIMES
def test_wrong_transfers_are_proven_by_the_state_holding_none(name: str) -> None:
    c = case(name)
    bad = dataclasses.replace(c.honest, transfers=Transfers(transfers_in=((ChainId(), 5),)))
    fraud = proves(c, bad, InvalidTransfersProof)
    assert isinstance(fraud.proof, InvalidTransfersProof) and len(fraud.proof.storage_proof.nodes) > 0


def test_the_later_fields_are_proven_in_the_reference_order() -> None:
    c = case("balances")
    trace = list(c.honest.execution_trace)
    trace[3] = bytes([0xEE]) * 32
    fraud = proves(c, dataclasses.replace(c.honest, execution_trace=tuple(trace)), InvalidStateTransitionProof)
    fees = dataclasses.replace(c.honest.block_fees, burned_balance=1)
    proves(c, dataclasses.replace(c.honest, block_fees=fees), InvalidBlockFeesProof)
    proves(c, dataclasses.replace(c.honest, domain_block_hash=bytes(32)), InvalidDomainBlockHashProof)
    # Two lies: the earlier field is the one proven.
    both = with_entry(dataclasses.replace(c.honest, block_fees=fees), 0, invalid(InvalidBundleKind.ILLEGAL_TX, 0))
    assert isinstance(proves(c, both, InvalidBundlesProof).proof, InvalidBundlesProof)
    assert isinstance(fraud.proof, InvalidStateTransitionProof)


# ---- refusals -----------------------------------------------------------------------------------------------


def _lie_and_proof(kind: str, claim: BundleValidity) -> tuple[Case, ExecutionReceipt, FraudProof]:
    c = case("balances", kind)
    bad = with_entry(c.honest, SUBJECT, claim)
    fraud = c.prove(bad)
    assert fraud is not None
    return c, bad, fraud


def _refused(c: Case, fraud: FraudProof, bad: ExecutionReceipt, match: str, evidence=None) -> None:
    with pytest.raises(InvalidFraudProof, match=match):
        verify_fraud_proof(c.world.runtime, fraud, bad, c.world.parent, evidence or c.evidence)


def test_a_proof_naming_a_bundle_the_consensus_block_did_not_carry_is_refused() -> None:
    c, bad, fraud = _lie_and_proof("valid", BundleValidity(bundle_digest_hash=bytes(32)))
    assert isinstance(fraud.proof, ValidBundleProof)
    with_proof = fraud.proof.bundle_with_proof
    outside = dataclasses.replace(with_proof, bundle_index=5)
    _refused(c, dataclasses.replace(fraud, proof=ValidBundleProof(outside)), bad, "carried 3 bundles")
    other = dataclasses.replace(with_proof, bundle_index=0)  # bundle 1 named as bundle 0
    _refused(c, dataclasses.replace(fraud, proof=ValidBundleProof(other)), bad, "not the one")
    hashes = list(c.evidence.bundle_header_hashes)
    hashes[SUBJECT] = bytes(32)
    evidence = dataclasses.replace(c.evidence, bundle_header_hashes=tuple(hashes))
    _refused(c, fraud, bad, "not the one", evidence)
    tampered = dataclasses.replace(with_proof.bundle, extrinsics=with_proof.bundle.extrinsics[:1])
    proof = ValidBundleProof(dataclasses.replace(with_proof, bundle=tampered))
    _refused(c, dataclasses.replace(fraud, proof=proof), bad, "commits to")
    # The bundle's entry in the receipt must be Valid.
    marked = with_entry(bad, SUBJECT, invalid(InvalidBundleKind.ILLEGAL_TX, 0))
    _refused(c, dataclasses.replace(fraud, bad_receipt_hash=marked.hash()), marked, "no valid bundle")


def test_an_invalid_bundles_proof_must_target_an_entry_it_can_contradict() -> None:
    c, bad, fraud = _lie_and_proof("illegal", BundleValidity(bundle_digest_hash=bytes(32)))
    proof = fraud.proof
    assert isinstance(proof, InvalidBundlesProof) and isinstance(proof.proof_data, BundleAndExecutionProofData)
    for index in (3, 0):
        _refused(c, dataclasses.replace(fraud, proof=dataclasses.replace(proof, bundle_index=index)), bad, "bundle")
    # Good-invalid against an entry claiming an earlier rule; bad-invalid against an entry claiming another type.
    earlier = with_entry(bad, SUBJECT, invalid(InvalidBundleKind.UNDECODABLE_TX, 0))
    _refused(c, dataclasses.replace(fraud, bad_receipt_hash=earlier.hash()), earlier, "not the one this proof")
    flipped = dataclasses.replace(proof, is_good_invalid_fraud_proof=False)
    _refused(c, dataclasses.replace(fraud, proof=flipped), bad, "not the one this proof")
    # The wrong proof data for the rule; an execution proof missing a node.
    data = BundleProofData(proof.proof_data.bundle_with_proof)
    _refused(c, dataclasses.replace(fraud, proof=dataclasses.replace(proof, proof_data=data)), bad, "proof data")
    nodes = proof.proof_data.execution_proof.nodes
    for node in sorted(nodes)[:3]:
        partial = dataclasses.replace(proof.proof_data, execution_proof=StorageProof(nodes - {node}))
        _refused(c, dataclasses.replace(fraud, proof=dataclasses.replace(proof, proof_data=partial)), bad, "lacks")


def test_the_evidence_and_parent_must_be_the_bad_receipts() -> None:
    c, bad, fraud = _lie_and_proof("valid", BundleValidity(bundle_digest_hash=bytes(32)))
    other_number = dataclasses.replace(c.evidence, context=dataclasses.replace(CONTEXT, number=2))
    _refused(c, fraud, bad, "domain block 2", other_number)
    other_domain = dataclasses.replace(c.evidence, context=dataclasses.replace(CONTEXT, domain_id=4))
    _refused(c, fraud, bad, "another receipt or domain", other_domain)
    with pytest.raises(InvalidFraudProof, match="parent"):
        verify_fraud_proof(c.world.runtime, fraud, bad, genesis_receipt(bytes(32)), c.evidence)


def test_consensus_proofs_and_xdm_proof_data_do_not_decode() -> None:
    c, _, fraud = _lie_and_proof("valid", BundleValidity(bundle_digest_hash=bytes(32)))
    encoded = fraud.to_bytes()
    assert encoded.endswith(b"\x00")  # the empty bundle storage proof
    with pytest.raises(DecodeError, match="bundle_storage_proof"):
        FraudProof.from_bytes(encoded[:-1] + StorageProof(frozenset([b"\x01"])).to_bytes())
    root = FraudProof(DOMAIN, bytes(32), InvalidExtrinsicsRootProof(())).to_bytes()
    assert root[-8:] == bytes([2]) + bytes(7)  # variant 2, no digests, then six empty consensus proofs / None
    for offset, field in ((6, "invalid_inherent"), (5, "maybe_domain_runtime"), (3, "allowlist"), (1, "evm")):
        changed = root[:-offset] + b"\x04\x00" + root[len(root) - offset + 1 :]
        with pytest.raises(DecodeError, match=field):
            FraudProof.from_bytes(changed)
    with pytest.raises(DecodeError, match="runtime upgrades"):
        FraudProof.from_bytes(root[:-4] + b"\x01" + root[-3:])
    xdm = encode_u32(DOMAIN) + bytes(32) + b"\x00\x00\x03" + encode_u32(1) + b"\x03" + encode_u32(0) + b"\x00\x03"
    with pytest.raises(DecodeError, match="not supported"):
        FraudProof.from_bytes(xdm + b"\x00\x00")


def test_golden_bytes_of_the_new_variants() -> None:
    extrinsic = InvalidBundlesProof(2, InvalidBundleType(InvalidBundleKind.UNDECODABLE_TX, 1), True,
                                    ExtrinsicProofData(StorageProof(frozenset())))  # fmt: skip
    assert extrinsic.to_bytes() == bytes.fromhex("020000000001000000010000")
    entries = ((bytes([7]) * 32, ExtrinsicDigest(extrinsic_hash=bytes(32))), (None, ExtrinsicDigest(data=b"\x01")))
    digest = ValidBundleDigest(1, entries)
    assert digest.to_bytes() == (
        encode_u32(1) + b"\x08" + b"\x01\x80" + bytes([7]) * 32 + b"\x01" + bytes(32) + b"\x00" + b"\x00\x04\x01"
    )
    encoded = encode_vector([encode_signed_digest(entry) for entry in entries])
    assert digest.digest_hash() == compute_valid_bundle_digest(entries) == compute_blake2_256(encoded)
    transfers = FraudProof(DOMAIN, bytes([1]) * 32, InvalidTransfersProof(StorageProof(frozenset([b"ab"]))))
    assert transfers.to_bytes() == encode_u32(DOMAIN) + bytes([1]) * 32 + bytes.fromhex("0000060408") + b"ab"
    with_proof = OpaqueBundleWithProof(case("balances").bundles[0], 9)
    assert with_proof.to_bytes() == case("balances").bundles[0].to_bytes() + encode_u32(9) + b"\x00"


# ---- decoding is total, mutations never convict the honest receipt ------------------------------------------

VARIANT_HEADER = encode_u32(DOMAIN) + bytes(32) + b"\x00\x00"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([1, 2, 3, 6]).map(lambda tag: VARIANT_HEADER + bytes([tag])) | st.just(b""),
       st.binary(max_size=200))  # fmt: skip
def test_arbitrary_bytes_decode_and_re_encode_or_raise_decode_error(head: bytes, tail: bytes) -> None:
    try:
        fraud = FraudProof.from_bytes(head + tail)
    except DecodeError:
        return
    assert fraud.to_bytes() == head + tail


@functools.cache
def sample_proofs() -> tuple[tuple[Case, ExecutionReceipt, FraudProof], ...]:
    """A proof of each new variant and each InvalidBundles proof data (balances), with the lie it proves."""
    digest = BundleValidity(bundle_digest_hash=bytes([0xAB]) * 32)
    lies = [
        ("valid", lambda r: with_entry(r, SUBJECT, digest)),
        ("valid", lambda r: dataclasses.replace(r, domain_block_extrinsic_root=bytes(32))),
        ("undecodable", lambda r: with_entry(r, SUBJECT, digest)),
        ("out_of_range", lambda r: with_entry(r, SUBJECT, digest)),
        ("illegal", lambda r: with_entry(r, SUBJECT, digest)),
        ("valid", lambda r: dataclasses.replace(r, transfers=Transfers(transfers_out=((ChainId(0), 1),)))),
    ]
    samples = []
    for kind, lie in lies:
        c = case("balances", kind)
        bad = lie(c.honest)
        fraud = c.prove(bad)
        assert fraud is not None
        samples.append((c, bad, fraud))
    return tuple(samples)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_proofs_fail_to_decode_or_are_refused_against_the_honest_receipt(data: st.DataObject) -> None:
    c, bad, fraud = data.draw(st.sampled_from(sample_proofs()))
    encoded = bytearray(fraud.to_bytes())
    position = data.draw(st.integers(0, len(encoded) - 1))
    encoded[position] ^= data.draw(st.integers(1, 255))
    try:
        mutated = FraudProof.from_bytes(bytes(encoded))
    except DecodeError:
        return
    for aimed in (mutated, dataclasses.replace(mutated, bad_receipt_hash=c.honest.hash())):
        with pytest.raises(InvalidFraudProof):
            c.verify(aimed, c.honest)
    try:  # against the lie it may still hold (a byte the verifier does not read), but raises nothing else
        c.verify(mutated, bad)
    except InvalidFraudProof:
        pass
