"""The balances runtime and domain block derivation: classification of bundles, shuffle, the execution trace,
the receipt, and determinism (two operators derive byte-identical blocks)."""

from __future__ import annotations

import dataclasses

import pytest
import sr25519

from autonomys.protocol.domains.bundles import Bundle, BundleHeader, ProofOfElection, Weight, seal
from autonomys.protocol.domains.election import (
    INITIAL_TX_RANGE,
    compute_vrf_hash,
    is_signer_in_tx_range,
    signer_id_hash,
)
from autonomys.protocol.domains.execution import ParentBlock, decode_opaque, derive_domain_block, encode_opaque
from autonomys.protocol.domains.receipts import InvalidBundleKind, compute_execution_trace_root, genesis_receipt
from autonomys.protocol.domains.registry import compute_domain_genesis
from autonomys.protocol.domains.runtime import DomainBlockContext, runtime_named
from autonomys.protocol.domains.runtime_balances import (
    BALANCES,
    BASE_FEE,
    DOMAIN_STORAGE_FEE_MULTIPLIER,
    decode_extrinsic,
    get_account,
    get_total_issuance,
    sign_transfer,
)
from autonomys.protocol.domains.substrate_trie import ordered_trie_root
from autonomys.protocol.errors import DecodeError, IllegalTransaction, UnknownRuntime
from autonomys.protocol.state.steps import SteppedWriter
from autonomys.protocol.state.trie import lookup

AI3 = 10**18
DOMAIN = 3
KEYS = [sr25519.pair_from_seed(bytes([index + 1]) * 32) for index in range(4)]
CONTEXT = DomainBlockContext(DOMAIN, 1, bytes([9]) * 32, 7, 1_700_000_000_000, 10)
OPERATOR = sr25519.pair_from_seed(bytes([0x77]) * 32)


def genesis():
    changes = compute_domain_genesis("balances", DOMAIN, [(public, 10 * AI3) for public, _ in KEYS])
    receipt = genesis_receipt(changes.root)
    parent = ParentBlock(receipt.domain_block_hash, changes.root, receipt.hash())
    return dict(changes.created), parent


ALL = 2**256 - 1
"""A transaction range holding every signer (the tests of the range itself use the reference's)."""
VRF = bytes(range(96))


def bundle_of(extrinsics: list[bytes], *, weight: Weight | None = None, vrf: bytes | None = None) -> Bundle:
    encoded = tuple(encode_opaque(extrinsic) for extrinsic in extrinsics)
    if weight is None:
        total = [BALANCES.weight(extrinsic) for extrinsic in extrinsics]
        weight = Weight(sum(w.ref_time for w in total), sum(w.proof_size for w in total))
    vrf = vrf if vrf is not None else VRF
    election = ProofOfElection(DOMAIN, 5, bytes(16), vrf, 0)
    header = BundleHeader(election, genesis_receipt(bytes(32)), weight, ordered_trie_root(encoded))
    return Bundle(seal(header, OPERATOR), encoded)


def transfer(sender: int, nonce: int, to: int, amount: int) -> bytes:
    return sign_transfer(DOMAIN, KEYS[sender], nonce, KEYS[to][0], amount).to_bytes()


def test_runtimes_are_found_by_name_and_unknown_names_are_named() -> None:
    assert runtime_named("balances") is BALANCES
    with pytest.raises(UnknownRuntime, match="wasm"):
        runtime_named("wasm")


def test_a_transfer_round_trips_and_malformed_extrinsics_are_decode_errors() -> None:
    data = transfer(0, 0, 1, AI3)
    assert decode_extrinsic(data).to_bytes() == data
    for bad in (b"", b"\x02", data[:-1], data + b"\x00", b"\x00\x07" + bytes(8), b"\x01" + bytes(40)):
        with pytest.raises(DecodeError):
            decode_extrinsic(bad)
    with pytest.raises(DecodeError):
        decode_opaque(encode_opaque(data) + b"\x00")


def test_check_takes_the_fee_and_nonce_and_rejects_forgeries_without_writing() -> None:
    nodes, parent = genesis()
    state = SteppedWriter(nodes, parent.state_root)
    BALANCES.initialize_block(state, CONTEXT)
    for inherent in BALANCES.inherents(CONTEXT):
        BALANCES.apply(state, inherent, CONTEXT)
    before = state.step()
    forged = bytearray(transfer(0, 0, 1, AI3))
    forged[-1] ^= 1
    for bad, reason in ((bytes(forged), "not signed"), (transfer(0, 1, 1, AI3), "nonce"),
                        (sign_transfer(DOMAIN + 1, KEYS[0], 0, KEYS[1][0], 1).to_bytes(), "not signed")):  # fmt: skip
        with pytest.raises(IllegalTransaction, match=reason):
            BALANCES.check(state, bad, CONTEXT)
        assert state.step() == before
    good = transfer(0, 0, 1, AI3)
    BALANCES.check(state, good, CONTEXT)
    fee = BASE_FEE + DOMAIN_STORAGE_FEE_MULTIPLIER * CONTEXT.consensus_transaction_byte_fee * len(good)
    assert get_account(state, KEYS[0][0]).balance == 10 * AI3 - fee
    assert get_account(state, KEYS[0][0]).nonce == 1
    assert get_total_issuance(state) == 40 * AI3 - fee


def test_a_block_executes_transfers_with_a_root_after_every_extrinsic() -> None:
    nodes, parent = genesis()
    bundle = bundle_of([transfer(0, 0, 1, 2 * AI3), transfer(2, 0, 3, AI3), transfer(0, 1, 2, 100 * AI3)])
    block = derive_domain_block(BALANCES, nodes, parent, CONTEXT, [bundle], bytes(16), ALL)
    assert len(block.extrinsics) == 2 + 3  # two inherents, three transactions
    assert len(block.trace) == 2 + len(block.extrinsics)
    assert block.receipt.execution_trace_root == compute_execution_trace_root(block.trace)
    assert block.receipt.final_state_root == block.trace[-1] == block.header.state_root
    assert block.receipt.domain_block_hash == block.header.hash()
    assert block.receipt.parent_domain_block_receipt_hash == parent.receipt_hash
    assert block.receipt.inboxed_bundles[0].bundle.is_valid
    after = {**nodes, **block.changes.created}
    balance = lambda index: get_account(_Reader(after, block.trace[-1]), KEYS[index][0]).balance  # noqa: E731
    fees = block.fees.consensus_storage_fee + block.fees.domain_execution_fee
    assert block.fees.domain_execution_fee == 3 * BASE_FEE
    assert balance(1) == 12 * AI3 and balance(3) == 11 * AI3
    assert sum(balance(index) for index in range(4)) == 40 * AI3 - fees  # the 100 AI3 transfer failed, its fee stayed
    # Every extrinsic changed the state (the failed transfer: its fee); finalize_block writes nothing here.
    assert len(set(block.trace[:-1])) == len(block.trace) - 1 and block.trace[-1] == block.trace[-2]


def test_two_operators_derive_byte_identical_blocks_and_the_shuffle_follows_the_pot() -> None:
    nodes, parent = genesis()
    bundles = [bundle_of([transfer(0, 0, 1, AI3), transfer(1, 0, 2, AI3)]), bundle_of([transfer(2, 0, 3, AI3)])]
    first = derive_domain_block(BALANCES, nodes, parent, CONTEXT, bundles, bytes(16), ALL)
    second = derive_domain_block(BALANCES, dict(nodes), parent, CONTEXT, bundles, bytes(16), ALL)
    assert first.receipt.to_bytes() == second.receipt.to_bytes()
    assert first.header.to_bytes() == second.header.to_bytes()
    orders = {
        derive_domain_block(BALANCES, nodes, parent, CONTEXT, bundles, bytes([seed]) * 16, ALL).extrinsics
        for seed in range(8)
    }
    assert len(orders) > 1  # the shuffle seed comes from the consensus block's PoT output


@pytest.mark.parametrize(
    ("extrinsics", "weight", "kind", "index"),
    [
        (["good", b"\x09junk"], None, InvalidBundleKind.UNDECODABLE_TX, 1),
        (["good", "inherent"], None, InvalidBundleKind.INHERENT_EXTRINSIC, 1),
        (["good", "forged"], None, InvalidBundleKind.ILLEGAL_TX, 1),
        (["good", "replay"], None, InvalidBundleKind.ILLEGAL_TX, 1),  # pre-dispatch effects carry over in a bundle
        (["good"], Weight(1, 1), InvalidBundleKind.INVALID_BUNDLE_WEIGHT, None),
    ],
)
def test_invalid_bundles_are_classified_by_their_first_failing_extrinsic(extrinsics, weight, kind, index) -> None:
    nodes, parent = genesis()
    good = transfer(0, 0, 1, AI3)
    forged = bytearray(transfer(1, 0, 2, AI3))
    forged[-3] ^= 0x10
    named = {"good": good, "inherent": BALANCES.inherents(CONTEXT)[0], "forged": bytes(forged), "replay": good}
    payloads = [named.get(item, item) if isinstance(item, str) else item for item in extrinsics]
    bundle = bundle_of([p for p in payloads if p[:1] != b"\x09"], weight=weight)
    if any(p[:1] == b"\x09" for p in payloads):
        bundle = dataclasses.replace(bundle, extrinsics=(encode_opaque(good), encode_opaque(b"\x09junk")))
    block = derive_domain_block(BALANCES, nodes, parent, CONTEXT, [bundle], bytes(16), ALL)
    invalid = block.receipt.inboxed_bundles[0].bundle.invalid_bundle_type
    assert invalid is not None and (invalid.kind, invalid.extrinsic_index) == (kind, index)
    assert len(block.extrinsics) == 2  # an invalid bundle contributes nothing


def test_a_signer_outside_the_range_makes_the_bundle_invalid() -> None:
    nodes, parent = genesis()
    signer = KEYS[0][0]
    for attempt in range(10_000):
        vrf = attempt.to_bytes(4, "little") * 24
        if not is_signer_in_tx_range(
            int.from_bytes(compute_vrf_hash(vrf), "big"), signer_id_hash(signer), INITIAL_TX_RANGE
        ):
            break
    bundle = bundle_of([transfer(0, 0, 1, AI3)], vrf=vrf)
    block = derive_domain_block(BALANCES, nodes, parent, CONTEXT, [bundle], bytes(16), INITIAL_TX_RANGE)
    invalid = block.receipt.inboxed_bundles[0].bundle.invalid_bundle_type
    assert invalid is not None and invalid.kind == InvalidBundleKind.OUT_OF_RANGE_TX
    in_range = next(
        attempt.to_bytes(4, "little") * 24 for attempt in range(10_000)
        if is_signer_in_tx_range(int.from_bytes(compute_vrf_hash(attempt.to_bytes(4, "little") * 24), "big"),
                                 signer_id_hash(signer), INITIAL_TX_RANGE)
    )  # fmt: skip
    bundle = bundle_of([transfer(0, 0, 1, AI3)], vrf=in_range)
    block = derive_domain_block(BALANCES, nodes, parent, CONTEXT, [bundle], bytes(16), INITIAL_TX_RANGE)
    assert block.receipt.inboxed_bundles[0].bundle.is_valid


def test_duplicates_across_bundles_run_once() -> None:
    nodes, parent = genesis()
    same = transfer(0, 0, 1, AI3)
    bundles = [bundle_of([same]), bundle_of([same, transfer(2, 0, 3, AI3)])]
    block = derive_domain_block(BALANCES, nodes, parent, CONTEXT, bundles, bytes(16), ALL)
    assert len(block.extrinsics) == 2 + 2
    assert all(bundle.bundle.is_valid for bundle in block.receipt.inboxed_bundles)


class _Reader:
    """Read-only DomainState over stored nodes at a root."""

    def __init__(self, nodes: dict[bytes, bytes], root: bytes) -> None:
        self.nodes, self.root = nodes, root

    def get(self, key: bytes) -> bytes | None:
        return lookup(self.nodes, self.root, key)

    def set(self, key: bytes, value: bytes) -> None:
        raise AssertionError("read only")

    def delete(self, key: bytes) -> None:
        raise AssertionError("read only")
