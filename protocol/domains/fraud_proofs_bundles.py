"""Fraud proofs about a domain block's bundles and extrinsics (sp-domains-fraud-proof `fraud_proof.rs`,
`verification.rs`, `storage_proof.rs`): the `ValidBundle`, `InvalidExtrinsicsRoot` and `InvalidBundles` variants in
the reference's SCALE layout, and their verification from the proof and what the consensus chain recorded of the
consensus block that carried the bundles (protocol.domains.fraud_evidence `ConsensusEvidence`).

    FraudProofVariant 1 = ValidBundle{bundle_with_proof: OpaqueBundleWithProof}
    FraudProofVariant 2 = InvalidExtrinsicsRoot{valid_bundle_digests: Vec<ValidBundleDigest>,
                          invalid_inherent_extrinsic_proofs: StorageProof, maybe_domain_runtime_upgraded_proof:
                          {domain_runtime_upgrades: StorageProof, new_domain_runtime_code: Option<StorageProof>},
                          domain_chain_allowlist_proof, domain_sudo_call_proof,
                          evm_domain_contract_creation_allowed_by_call_proof: StorageProof}
    FraudProofVariant 3 = InvalidBundles{bundle_index u32, invalid_bundle_type, is_good_invalid_fraud_proof bool,
                          proof_data: 0 Extrinsic(StorageProof) | 1 Bundle(OpaqueBundleWithProof)
                                    | 2 BundleAndExecution{bundle_with_proof, execution_proof: StorageProof}
                                    | 3 InvalidXDMProofData (not decoded: our runtimes have no XDM)}
    OpaqueBundleWithProof = bundle: Bundle | bundle_index u32 | bundle_storage_proof: StorageProof
    ValidBundleDigest = bundle_index u32 | bundle_digest: Vec<(Option<Vec<u8>> signer, ExtrinsicDigest)>

The reference proves a bundle from consensus storage (`SuccessfulBundles` under an MMR-proven state root) and the
inherents' inputs from more storage proofs. Here the consensus chain keeps the execution inbox until the block is
confirmed: a bundle is the one the evidence names when its header's pre-hash is the evidence's at its index (and
its extrinsics are the ones the header commits to), and the inherents' inputs are the evidence's context. Those
storage proofs are therefore empty; a non-empty one does not decode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from autonomys.protocol.codec import (
    Reader,
    encode_compact,
    encode_u8,
    encode_u16,
    encode_u32,
    encode_vec_u8,
    encode_vector,
    read_vector,
    validate_uint,
)
from autonomys.protocol.constants import U32_MAX
from autonomys.protocol.domains.bundles import Bundle
from autonomys.protocol.domains.election import compute_vrf_hash, is_signer_in_tx_range, signer_id_hash
from autonomys.protocol.domains.execution import decode_opaque, encode_opaque
from autonomys.protocol.domains.execution_proofs import StorageProof, verify_read
from autonomys.protocol.domains.fraud_evidence import ConsensusEvidence
from autonomys.protocol.domains.receipts import (
    ExecutionReceipt,
    ExtrinsicDigest,
    InboxedBundle,
    InvalidBundleKind,
    InvalidBundleType,
    compute_valid_bundle_digest,
)
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainRuntime, DomainState
from autonomys.protocol.domains.shuffle import (
    derive_block_randomness,
    derive_extrinsics_shuffling_seed,
    shuffle_extrinsics,
    validate_shuffling_seed,
)
from autonomys.protocol.domains.substrate_proofs import verify_ordered_item
from autonomys.protocol.domains.substrate_trie import (
    BRANCH_WIDTH,
    BRANCH_WITH_VALUE_HEADER,
    BRANCH_WITHOUT_VALUE_HEADER,
    EMPTY_TRIE_NODE,
    HASHED_VALUE_BRANCH_HEADER,
    HASHED_VALUE_LEAF_HEADER,
    LEAF_HEADER,
    compute_blake2_256,
    compute_nibbles,
    encode_child_reference,
    encode_node_header,
    encode_partial_key,
)
from autonomys.protocol.errors import (
    DecodeError,
    IllegalTransaction,
    InvalidExecutionProof,
    InvalidFraudProof,
    InvalidStateProof,
)

VALID_BUNDLE: Final = 1
INVALID_EXTRINSICS_ROOT: Final = 2
INVALID_BUNDLES: Final = 3
EMPTY_STORAGE_PROOF: Final = StorageProof(frozenset())
T = TypeVar("T")


def read_empty_storage_proof(reader: Reader, field: str) -> StorageProof:
    """A StorageProof that must be empty here (the consensus state it would prove is the evidence's)."""
    proof = StorageProof.read(reader)
    if proof.nodes:
        msg = f"{field}: the consensus chain's records stand in for this proof, it must be empty"
        raise DecodeError(msg)
    return proof


# ---- containers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpaqueBundleWithProof:
    """sp-domains-fraud-proof `OpaqueBundleWithProof`: a bundle the consensus block carried, at `bundle_index`
    among the domain's bundles of that block (`bundle_storage_proof` is always empty here)."""

    bundle: Bundle
    bundle_index: int
    bundle_storage_proof: StorageProof = EMPTY_STORAGE_PROOF

    def __post_init__(self) -> None:
        validate_uint("bundle_index", self.bundle_index, U32_MAX)

    def to_bytes(self) -> bytes:
        return self.bundle.to_bytes() + encode_u32(self.bundle_index) + self.bundle_storage_proof.to_bytes()

    @classmethod
    def read(cls, reader: Reader) -> OpaqueBundleWithProof:
        bundle, index = Bundle.read(reader), reader.read_u32()
        return cls(bundle, index, read_empty_storage_proof(reader, "OpaqueBundleWithProof.bundle_storage_proof"))


@dataclass(frozen=True, slots=True)
class ValidBundleProof:
    """`ValidBundle{bundle_with_proof}`: a bundle the receipt marks valid whose digest is not the receipt's."""

    bundle_with_proof: OpaqueBundleWithProof

    def to_bytes(self) -> bytes:
        return self.bundle_with_proof.to_bytes()

    @classmethod
    def read(cls, reader: Reader) -> ValidBundleProof:
        return cls(OpaqueBundleWithProof.read(reader))


SignedDigest = tuple[bytes | None, ExtrinsicDigest]
"""(signer's SCALE encoding or None for an unsigned extrinsic, ExtrinsicDigest): one entry of a bundle digest."""


def encode_signed_digest(entry: SignedDigest) -> bytes:
    """`(Option<AccountId>, ExtrinsicDigest)` as compute_valid_bundle_digest hashes it (the signer a Vec<u8>)."""
    signer, digest = entry
    return (b"\x00" if signer is None else b"\x01" + encode_vec_u8(signer)) + digest.to_bytes()


def read_signed_digest(reader: Reader) -> SignedDigest:
    signer = reader.read_vec_u8() if reader.read_option_tag() else None
    return signer, ExtrinsicDigest.read(reader)


@dataclass(frozen=True, slots=True)
class ValidBundleDigest:
    """sp-domains-fraud-proof `ValidBundleDigest`: a valid bundle's index and its (signer, extrinsic digest)s."""

    bundle_index: int
    bundle_digest: tuple[SignedDigest, ...]

    def __post_init__(self) -> None:
        validate_uint("bundle_index", self.bundle_index, U32_MAX)

    def digest_hash(self) -> bytes:
        """The hash a receipt's `Valid` entry carries for this bundle."""
        return compute_valid_bundle_digest(self.bundle_digest)

    def to_bytes(self) -> bytes:
        return encode_u32(self.bundle_index) + encode_vector([encode_signed_digest(e) for e in self.bundle_digest])

    @classmethod
    def read(cls, reader: Reader) -> ValidBundleDigest:
        return cls(reader.read_u32(), read_vector(reader, read_signed_digest))


@dataclass(frozen=True, slots=True)
class InvalidExtrinsicsRootProof:
    """`InvalidExtrinsicsRoot`: the valid bundles' digests, from which the verifier rebuilds the extrinsics root.
    The consensus storage proofs after them (inherent data, runtime upgrade and its code, allowlist, sudo and EVM
    calls) are empty: the evidence's context gives the inherents."""

    valid_bundle_digests: tuple[ValidBundleDigest, ...]

    def to_bytes(self) -> bytes:
        empty = EMPTY_STORAGE_PROOF.to_bytes()
        # invalid_inherent_extrinsic_proofs, maybe_domain_runtime_upgraded_proof{upgrades, new code: None},
        # domain_chain_allowlist_proof, domain_sudo_call_proof, evm_domain_contract_creation_allowed_by_call_proof
        proofs = empty + empty + b"\x00" + empty + empty + empty
        return encode_vector([digest.to_bytes() for digest in self.valid_bundle_digests]) + proofs

    @classmethod
    def read(cls, reader: Reader) -> InvalidExtrinsicsRootProof:
        digests = read_vector(reader, ValidBundleDigest.read)
        read_empty_storage_proof(reader, "InvalidExtrinsicsRoot.invalid_inherent_extrinsic_proofs")
        read_empty_storage_proof(reader, "InvalidExtrinsicsRoot.maybe_domain_runtime_upgraded_proof")
        if reader.read_option_tag():
            raise DecodeError("InvalidExtrinsicsRoot.new_domain_runtime_code: runtime upgrades are not supported")
        read_empty_storage_proof(reader, "InvalidExtrinsicsRoot.domain_chain_allowlist_proof")
        read_empty_storage_proof(reader, "InvalidExtrinsicsRoot.domain_sudo_call_proof")
        read_empty_storage_proof(reader, "InvalidExtrinsicsRoot.evm_domain_contract_creation_allowed_by_call_proof")
        return cls(digests)


@dataclass(frozen=True, slots=True)
class ExtrinsicProofData:
    """`InvalidBundlesProofData::Extrinsic`: the nodes proving one extrinsic under the bundle's extrinsics root."""

    extrinsic_proof: StorageProof

    def to_bytes(self) -> bytes:
        return encode_u8(0) + self.extrinsic_proof.to_bytes()


@dataclass(frozen=True, slots=True)
class BundleProofData:
    """`InvalidBundlesProofData::Bundle`: the whole bundle."""

    bundle_with_proof: OpaqueBundleWithProof

    def to_bytes(self) -> bytes:
        return encode_u8(1) + self.bundle_with_proof.to_bytes()


@dataclass(frozen=True, slots=True)
class BundleAndExecutionProofData:
    """`InvalidBundlesProofData::BundleAndExecution`: the bundle and the parent-state nodes its checks read."""

    bundle_with_proof: OpaqueBundleWithProof
    execution_proof: StorageProof

    def to_bytes(self) -> bytes:
        return encode_u8(2) + self.bundle_with_proof.to_bytes() + self.execution_proof.to_bytes()


InvalidBundlesProofData = ExtrinsicProofData | BundleProofData | BundleAndExecutionProofData


def read_invalid_bundles_proof_data(reader: Reader) -> InvalidBundlesProofData:
    tag = reader.read_u8()
    if tag == 0:
        return ExtrinsicProofData(StorageProof.read(reader))
    if tag == 1:
        return BundleProofData(OpaqueBundleWithProof.read(reader))
    if tag == 2:
        return BundleAndExecutionProofData(OpaqueBundleWithProof.read(reader), StorageProof.read(reader))
    if tag == 3:
        raise DecodeError("InvalidBundlesProofData: InvalidXDMProofData is not supported (no XDM here)")
    msg = f"InvalidBundlesProofData: unknown variant {tag}"
    raise DecodeError(msg)


@dataclass(frozen=True, slots=True)
class InvalidBundlesProof:
    """`InvalidBundles`: the receipt's entry for bundle `bundle_index` is wrong. A good-invalid proof shows the
    bundle invalid by `invalid_bundle_type` where the receipt says valid or invalid by a later-checked rule; a
    bad-invalid one shows the receipt's own `Invalid(invalid_bundle_type)` false."""

    bundle_index: int
    invalid_bundle_type: InvalidBundleType
    is_good_invalid_fraud_proof: bool
    proof_data: InvalidBundlesProofData

    def __post_init__(self) -> None:
        validate_uint("bundle_index", self.bundle_index, U32_MAX)

    def to_bytes(self) -> bytes:
        return (
            encode_u32(self.bundle_index) + self.invalid_bundle_type.to_bytes()
            + encode_u8(int(self.is_good_invalid_fraud_proof)) + self.proof_data.to_bytes()
        )  # fmt: skip

    @classmethod
    def read(cls, reader: Reader) -> InvalidBundlesProof:
        index, kind = reader.read_u32(), InvalidBundleType.read(reader)
        flag = reader.read_u8()
        if flag > 1:
            msg = f"InvalidBundles.is_good_invalid_fraud_proof: a bool is 0 or 1, got {flag}"
            raise DecodeError(msg)
        return cls(index, kind, flag == 1, read_invalid_bundles_proof_data(reader))


# ---- what the verifier recomputes ---------------------------------------------------------------------------


def compute_bundle_digest_entries(runtime: DomainRuntime, extrinsics: Sequence[bytes]) -> tuple[SignedDigest, ...]:
    """The (signer, ExtrinsicDigest) of each opaque extrinsic (domain runtime `derive_bundle_digest`, as
    protocol.domains.execution's classify_bundle digests a valid bundle); DecodeError when one does not decode."""
    return tuple((runtime.signer(decode_opaque(encoded)), ExtrinsicDigest.of(encoded)) for encoded in extrinsics)


def _trie_value(digest: ExtrinsicDigest) -> tuple[bool, bytes]:
    # trie-db `Value`: Data -> Inline(data), Hash -> Node(hash) (a LayoutV1 value node named by its hash).
    if digest.data is not None:
        return False, digest.data
    return True, digest.extrinsic_hash or b""


_ValuedEntry = tuple[bytes, tuple[bool, bytes]]


def _encode_value(value: tuple[bool, bytes]) -> bytes:
    hashed, payload = value
    return payload if hashed else encode_vec_u8(payload)


def _shared_prefix(entries: Sequence[_ValuedEntry]) -> int:
    first = entries[0][0]
    shared = len(first)
    for key, _ in entries[1:]:
        length = 0
        while length < min(shared, len(key)) and key[length] == first[length]:
            length += 1
        shared = length
    return shared


def _encode_valued_node(entries: Sequence[_ValuedEntry], depth: int) -> bytes:
    """The LayoutV1 node over sorted (nibble key, value) entries agreeing on `depth` nibbles (substrate_trie's
    encoding, with each value given as inline bytes or a value node's hash)."""
    if len(entries) == 0:
        return EMPTY_TRIE_NODE
    if len(entries) == 1:
        key, leaf_value = entries[0]
        header = HASHED_VALUE_LEAF_HEADER if leaf_value[0] else LEAF_HEADER
        return (
            encode_node_header(header, len(key) - depth) + encode_partial_key(key[depth:]) + _encode_value(leaf_value)
        )
    shared = max(depth, _shared_prefix(entries))
    first_key, first_value = entries[0]
    value = first_value if len(first_key) == shared else None
    rest = entries[1:] if value is not None else entries
    groups: list[list[_ValuedEntry]] = [[] for _ in range(BRANCH_WIDTH)]
    for entry in rest:
        groups[entry[0][shared]].append(entry)
    bitmap = sum(1 << nibble for nibble, group in enumerate(groups) if len(group) > 0)
    if value is None:
        header = BRANCH_WITHOUT_VALUE_HEADER
    else:
        header = HASHED_VALUE_BRANCH_HEADER if value[0] else BRANCH_WITH_VALUE_HEADER
    encoded = encode_node_header(header, shared - depth) + encode_partial_key(first_key[depth:shared])
    encoded += encode_u16(bitmap) + (b"" if value is None else _encode_value(value))
    for group in groups:
        if len(group) > 0:
            encoded += encode_child_reference(_encode_valued_node(group, shared + 1))
    return encoded


def compute_ordered_digest_root(digests: Sequence[ExtrinsicDigest]) -> bytes:
    """sp-domains valued_trie `valued_ordered_trie_root` (LayoutV1, BlakeTwo256): the ordered trie root of the
    extrinsics the digests stand for (equal to ordered_trie_root of the extrinsics themselves)."""
    keyed = sorted((encode_compact(index), _trie_value(digest)) for index, digest in enumerate(digests))
    entries = [(compute_nibbles(key), value) for key, value in keyed]
    return compute_blake2_256(_encode_valued_node(entries, 0))


def compute_extrinsics_root_from_digests(
    runtime: DomainRuntime, evidence: ConsensusEvidence, entries: Sequence[SignedDigest]
) -> bytes:
    """The extrinsics root of the block whose valid bundles give `entries` (in bundle order): deduplicated and
    shuffled with the consensus block's seed, after the runtime's inherents (as derive_domain_block builds it)."""
    seed = derive_extrinsics_shuffling_seed(derive_block_randomness(evidence.consensus_pot_output))
    validate_shuffling_seed(seed)
    seen: set[ExtrinsicDigest] = set()
    unique: list[SignedDigest] = []
    for signer, digest in entries:
        if digest not in seen:
            seen.add(digest)
            unique.append((signer, digest))
    inherents = [ExtrinsicDigest.of(encode_opaque(inherent)) for inherent in runtime.inherents(evidence.context)]
    return compute_ordered_digest_root(inherents + shuffle_extrinsics(unique, seed))


def find_first_illegal(
    runtime: DomainRuntime, state: DomainState, extrinsics: Sequence[bytes], context: DomainBlockContext
) -> int | None:
    """The domain runtime's `check_extrinsics_in_single_context`: the index of the first opaque extrinsic that
    does not decode or fails its pre-dispatch check, the earlier ones' effects applied to `state`; None if none."""
    for index, encoded in enumerate(extrinsics):
        try:
            runtime.check(state, decode_opaque(encoded), context)
        except (DecodeError, IllegalTransaction):
            return index
    return None


def is_decodable(runtime: DomainRuntime, encoded: bytes) -> bool:
    """The runtime's `IsDecodableExtrinsic` (what classify_bundle needs of an extrinsic to go on checking it)."""
    try:
        extrinsic = decode_opaque(encoded)
        runtime.signer(extrinsic)
        runtime.is_inherent(extrinsic)
    except DecodeError:
        return False
    return True


# ---- verification -------------------------------------------------------------------------------------------


def _validate_bundle(with_proof: OpaqueBundleWithProof, evidence: ConsensusEvidence) -> Bundle:
    """The bundle when it is the one the consensus block carried at its index; InvalidFraudProof otherwise."""
    hashes, index = evidence.bundle_header_hashes, with_proof.bundle_index
    # pallet-domains `SuccessfulBundles`: the consensus block recorded this header at this index.
    if index >= len(hashes):
        raise InvalidFraudProof(f"bundle {index}: the consensus block carried {len(hashes)} bundles of the domain")
    bundle = with_proof.bundle
    if bundle.sealed_header.pre_hash() != hashes[index]:
        raise InvalidFraudProof(f"bundle {index} is not the one the consensus block carried")
    # The recorded pre-hash covers the header: the extrinsics must be the ones its extrinsics root commits to.
    if bundle.extrinsics_root() != bundle.sealed_header.header.bundle_extrinsics_root:
        raise InvalidFraudProof(f"bundle {index}: its extrinsics are not the ones its header commits to")
    return bundle


def verify_valid_bundle(
    runtime: DomainRuntime, bad_receipt: ExecutionReceipt, proof: ValidBundleProof, evidence: ConsensusEvidence
) -> None:
    """Return when the receipt marks the bundle valid with another digest than its extrinsics derive (the
    reference's `verify_valid_bundle_fraud_proof`); InvalidFraudProof otherwise."""
    bundle = _validate_bundle(proof.bundle_with_proof, evidence)
    index = proof.bundle_with_proof.bundle_index
    claimed = _valid_digest_at(bad_receipt, index)
    if claimed is None:
        raise InvalidFraudProof(f"the receipt has no valid bundle at index {index}")
    try:
        entries = compute_bundle_digest_entries(runtime, bundle.extrinsics)
    except DecodeError as error:
        raise InvalidFraudProof(f"bundle {index} does not derive a digest: {error}") from error
    if compute_valid_bundle_digest(entries) == claimed:
        raise InvalidFraudProof(f"the receipt's digest of bundle {index} is the one its extrinsics derive")


def _valid_digest_at(receipt: ExecutionReceipt, index: int) -> bytes | None:
    # sp-domains `ExecutionReceipt::valid_bundle_digest_at`: by inboxed index, None unless that entry is Valid.
    if index >= len(receipt.inboxed_bundles):
        return None
    return receipt.inboxed_bundles[index].bundle.bundle_digest_hash


def verify_invalid_extrinsics_root(
    runtime: DomainRuntime,
    bad_receipt: ExecutionReceipt,
    proof: InvalidExtrinsicsRootProof,
    evidence: ConsensusEvidence,
) -> None:
    """Return when the extrinsics root the receipt's valid bundle digests derive differs from the receipt's (the
    reference's `verify_invalid_domain_extrinsics_root_fraud_proof`); InvalidFraudProof otherwise."""
    valid = [(i, entry.bundle.bundle_digest_hash) for i, entry in enumerate(bad_receipt.inboxed_bundles)]
    valid = [(index, digest) for index, digest in valid if digest is not None]
    supplied = proof.valid_bundle_digests
    # Each supplied digest list is the receipt's, for exactly its valid bundles in order.
    if [digest.bundle_index for digest in supplied] != [index for index, _ in valid]:
        raise InvalidFraudProof("the digests are not of the receipt's valid bundles, in order")
    for digest, (index, claimed) in zip(supplied, valid, strict=True):
        if digest.digest_hash() != claimed:
            raise InvalidFraudProof(f"the digest of bundle {index} is not the receipt's")
    entries = [entry for digest in supplied for entry in digest.bundle_digest]
    if compute_extrinsics_root_from_digests(runtime, evidence, entries) == bad_receipt.domain_block_extrinsic_root:
        raise InvalidFraudProof("the receipt's extrinsics root is the one its valid bundles derive")


def _expected_bundle_entry(bad_receipt: ExecutionReceipt, proof: InvalidBundlesProof) -> InboxedBundle:
    """sp-domains-fraud-proof `check_expected_bundle_entry`: the receipt's entry the proof may target."""
    if proof.bundle_index >= len(bad_receipt.inboxed_bundles):
        raise InvalidFraudProof(f"the receipt has no bundle {proof.bundle_index}")
    entry = bad_receipt.inboxed_bundles[proof.bundle_index]
    claimed = entry.bundle.invalid_bundle_type
    if not proof.is_good_invalid_fraud_proof:
        # Bad-invalid: the proof shows the receipt's own Invalid(type) wrong.
        expected = claimed == proof.invalid_bundle_type
    else:
        # Good-invalid: the receipt says Valid, or invalid by a rule checked after the proof's.
        expected = claimed is None or proof.invalid_bundle_type.checking_order() < claimed.checking_order()
    if not expected:
        raise InvalidFraudProof(
            f"the receipt's entry for bundle {proof.bundle_index} is not the one this proof targets"
        )
    return entry


def verify_invalid_bundles(
    runtime: DomainRuntime,
    bad_receipt: ExecutionReceipt,
    parent_receipt: ExecutionReceipt,
    proof: InvalidBundlesProof,
    evidence: ConsensusEvidence,
) -> None:
    """Return when the proof shows the receipt's entry for the bundle wrong (the reference's
    `verify_invalid_bundles_fraud_proof`); InvalidFraudProof otherwise."""
    entry = _expected_bundle_entry(bad_receipt, proof)
    data = proof.proof_data
    bundle: Bundle | None = None
    if isinstance(data, BundleProofData | BundleAndExecutionProofData):
        if data.bundle_with_proof.bundle_index != proof.bundle_index:
            raise InvalidFraudProof("the proof's bundle is at another index than the one it targets")
        bundle = _validate_bundle(data.bundle_with_proof, evidence)
    # Fast path: the receipt names an invalid extrinsic the bundle does not have.
    claimed = entry.bundle.invalid_bundle_type
    claimed_index = None if claimed is None else claimed.extrinsic_index
    if claimed_index is not None and isinstance(data, BundleProofData) and bundle is not None:
        if len(bundle.extrinsics) <= claimed_index:
            return
    is_invalid = _is_invalid_by(runtime, proof, entry, bundle, parent_receipt, evidence)
    if is_invalid != proof.is_good_invalid_fraud_proof:
        shown = "invalid" if is_invalid else "not invalid"
        raise InvalidFraudProof(f"bundle {proof.bundle_index} is {shown} by {proof.invalid_bundle_type.kind.name}")


def _is_invalid_by(
    runtime: DomainRuntime,
    proof: InvalidBundlesProof,
    entry: InboxedBundle,
    bundle: Bundle | None,
    parent_receipt: ExecutionReceipt,
    evidence: ConsensusEvidence,
) -> bool:
    """Whether the bundle breaks the proof's rule (what a good-invalid proof must show, a bad-invalid one not)."""
    kind, index, data = proof.invalid_bundle_type.kind, proof.invalid_bundle_type.extrinsic_index, proof.proof_data
    if kind == InvalidBundleKind.UNDECODABLE_TX and isinstance(data, ExtrinsicProofData):
        return not is_decodable(runtime, _proven_bundle_extrinsic(entry, index or 0, data.extrinsic_proof))
    if kind == InvalidBundleKind.INHERENT_EXTRINSIC and isinstance(data, ExtrinsicProofData):
        return _ask(runtime.is_inherent, _proven_bundle_extrinsic(entry, index or 0, data.extrinsic_proof), index or 0)
    if kind == InvalidBundleKind.OUT_OF_RANGE_TX and isinstance(data, BundleProofData) and bundle is not None:
        return not _is_in_range(runtime, bundle, index or 0, evidence.tx_range)
    if kind == InvalidBundleKind.INVALID_BUNDLE_WEIGHT and isinstance(data, BundleProofData) and bundle is not None:
        return _is_weight_wrong(runtime, bundle)
    if kind == InvalidBundleKind.ILLEGAL_TX and isinstance(data, BundleAndExecutionProofData) and bundle is not None:
        first = bundle.extrinsics[: (index or 0) + 1]
        return _first_illegal_from_proof(runtime, first, parent_receipt, data.execution_proof, evidence) == index
    if kind == InvalidBundleKind.INVALID_XDM:
        raise InvalidFraudProof("InvalidXDM is proven only by its XDM proof data, which is not supported")
    raise InvalidFraudProof(f"{type(data).__name__} is not the proof data of a {kind.name} proof")


def _proven_bundle_extrinsic(entry: InboxedBundle, index: int, proof: StorageProof) -> bytes:
    """Extrinsic `index` (its opaque encoding) read through `proof` under the entry's extrinsics root."""
    try:
        encoded = verify_ordered_item(entry.extrinsics_root, index, proof.nodes)
    except InvalidStateProof as error:
        raise InvalidFraudProof(f"the extrinsic proof does not prove extrinsic {index}: {error}") from error
    if encoded is None:
        raise InvalidFraudProof(f"the bundle has no extrinsic {index}")
    _ask(lambda extrinsic: extrinsic, encoded, index)  # an OpaqueExtrinsic, as the reference decodes it
    return encoded


def _ask(runtime_call: Callable[[bytes], T], encoded: bytes, index: int) -> T:
    """A runtime call on opaque extrinsic `index`; InvalidFraudProof when it does not decode (no answer)."""
    try:
        return runtime_call(decode_opaque(encoded))
    except DecodeError as error:
        raise InvalidFraudProof(f"extrinsic {index} does not decode: {error}") from error


def _is_in_range(runtime: DomainRuntime, bundle: Bundle, index: int, tx_range: int) -> bool:
    """The runtime's `IsTxInRange` for the bundle's extrinsic `index` (unsigned extrinsics always are)."""
    if index >= len(bundle.extrinsics):
        raise InvalidFraudProof(f"the bundle has no extrinsic {index}")
    signer = _ask(runtime.signer, bundle.extrinsics[index], index)
    if signer is None:
        return True
    vrf_hash = int.from_bytes(compute_vrf_hash(bundle.sealed_header.header.proof_of_election.vrf_signature), "big")
    return is_signer_in_tx_range(vrf_hash, signer_id_hash(signer), tx_range)


def _is_weight_wrong(runtime: DomainRuntime, bundle: Bundle) -> bool:
    """Whether the runtime's `bundle_weight` (the sum of the extrinsics' weights) is not the header's."""
    ref_time = proof_size = 0
    for index, encoded in enumerate(bundle.extrinsics):
        weight = _ask(runtime.weight, encoded, index)
        ref_time, proof_size = ref_time + weight.ref_time, proof_size + weight.proof_size
    declared = bundle.sealed_header.header.estimated_bundle_weight
    return (ref_time, proof_size) != (declared.ref_time, declared.proof_size)


def _first_illegal_from_proof(
    runtime: DomainRuntime,
    extrinsics: Sequence[bytes],
    parent_receipt: ExecutionReceipt,
    execution_proof: StorageProof,
    evidence: ConsensusEvidence,
) -> int | None:
    """find_first_illegal over the parent receipt's final state built from the execution proof's nodes alone."""
    try:
        return verify_read(
            runtime, execution_proof, parent_receipt.final_state_root,
            lambda state: find_first_illegal(runtime, state, extrinsics, evidence.context),
        )  # fmt: skip
    except InvalidExecutionProof as error:
        raise InvalidFraudProof(f"the execution proof does not check the extrinsics: {error}") from error
