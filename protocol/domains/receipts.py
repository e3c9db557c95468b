"""Execution receipts of domain blocks (sp-domains `execution_receipt.rs`, `execution_receipt/execution_receipt_v0.rs`,
`bundle.rs`, `lib.rs`); the domain block header they refer to is protocol.domains.domain_header.

Every container has exactly one SCALE encoding: `to_bytes` writes it, `from_bytes` reads exactly one value
(trailing bytes are a DecodeError) and `read` reads one from inside a larger container. Construction checks
field sizes and integer ranges and raises DecodeError, as a decoder would. `BTreeMap<ChainId, Balance>` maps
are held as tuples of (chain, amount) pairs in the map's order; a decoded map that is not strictly ascending
is rejected, so decode-then-encode always gives back the same bytes.

A receipt's hash is H(ExecutionReceiptV0) without the enum byte; bundle headers and singleton receipts embed
the versioned form `0x00 || ExecutionReceiptV0`. H is BlakeTwo256.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from autonomys.protocol.codec import (
    Reader,
    encode_u8,
    encode_u32,
    encode_u128,
    encode_vec_u8,
    read_u128,
    validate_bytes,
    validate_tuple,
    validate_uint,
)

# Re-exported: actors.domains.domain_chain imports these three and DomainHeader from here.
from autonomys.protocol.codec import decode_exactly as decode_exactly
from autonomys.protocol.codec import encode_vector as encode_vector
from autonomys.protocol.codec import read_vector as read_vector
from autonomys.protocol.constants import U32_MAX
from autonomys.protocol.domains.domain_header import DomainHeader as DomainHeader
from autonomys.protocol.domains.substrate_trie import (
    EMPTY_TRIE_ROOT,
    HASH_SIZE,
    TRIE_VALUE_NODE_THRESHOLD,
    compute_blake2_256,
)
from autonomys.protocol.errors import DecodeError, EmptyExecutionTrace, FeesOverflow

U128_MAX: Final = 2**128 - 1
# sp-domains `EMPTY_EXTRINSIC_ROOT`: the ordered trie root of no extrinsics, H(0x00).
EMPTY_EXTRINSIC_ROOT: Final = EMPTY_TRIE_ROOT
ZERO_HASH: Final = bytes(HASH_SIZE)
EXECUTION_RECEIPT_V0: Final = 0
"""The variant byte of `ExecutionReceipt::V0`."""

# ---- field helpers ----


def validate_hash(name: str, value: object, size: int = HASH_SIZE) -> None:
    """DecodeError unless `value` is bytes of exactly `size`, a hash's by default (codec.validate_bytes)."""
    validate_bytes(name, value, size)


def _present(value: bytes | None) -> bytes:
    # The other variant's field of a two-variant container; construction guarantees one of them is set.
    if value is None:
        msg = "enum container with no variant set"
        raise DecodeError(msg)
    return value


# ---- ChainId and BTreeMap<ChainId, Balance> ----


@dataclass(frozen=True, slots=True)
class ChainId:
    """sp-domains `ChainId`: 0 Consensus | 1 Domain(u32). Ordered Consensus < Domain(0) < Domain(1) < ..."""

    domain_id: int | None = None
    """None for the consensus chain, else the domain id."""

    def __post_init__(self) -> None:
        if self.domain_id is not None:
            validate_uint("ChainId.domain_id", self.domain_id, U32_MAX)

    @property
    def sort_key(self) -> tuple[int, int]:
        """The derived `Ord` of the Rust enum: variant index first, then the domain id."""
        return (0, 0) if self.domain_id is None else (1, self.domain_id)

    def to_bytes(self) -> bytes:
        return b"\x00" if self.domain_id is None else b"\x01" + encode_u32(self.domain_id)

    @classmethod
    def read(cls, reader: Reader) -> ChainId:
        variant = reader.read_u8()
        if variant == 0:
            return cls()
        if variant == 1:
            return cls(reader.read_u32())
        msg = f"ChainId variant must be 0 or 1, got {variant}"
        raise DecodeError(msg)

    @classmethod
    def from_bytes(cls, data: bytes) -> ChainId:
        return decode_exactly(data, "ChainId", cls.read)


CONSENSUS_CHAIN_ID: Final = ChainId()

ChainAmounts = tuple[tuple[ChainId, int], ...]
"""A `BTreeMap<ChainId, Balance>` as (chain, amount) pairs in strictly ascending chain order."""


def compute_chain_amounts(amounts: Mapping[ChainId, int]) -> ChainAmounts:
    """A mapping as the sorted pairs a BTreeMap<ChainId, Balance> field holds."""
    return tuple(sorted(amounts.items(), key=lambda pair: pair[0].sort_key))


def validate_chain_amounts(name: str, pairs: object) -> None:
    """DecodeError unless `pairs` are (ChainId, u128) pairs in strictly ascending chain order."""
    if not isinstance(pairs, tuple):
        msg = f"{name} must be a tuple of (ChainId, amount) pairs"
        raise DecodeError(msg)
    previous: tuple[int, int] | None = None
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2 or not isinstance(pair[0], ChainId):
            msg = f"{name} must hold (ChainId, amount) pairs, got {pair!r}"
            raise DecodeError(msg)
        validate_uint(f"{name} amount", pair[1], U128_MAX)
        # A BTreeMap has each key once and iterates (and encodes) in key order.
        if previous is not None and pair[0].sort_key <= previous:
            msg = f"{name} keys must be strictly ascending, got {pair[0]!r} after {previous!r}"
            raise DecodeError(msg)
        previous = pair[0].sort_key


def encode_chain_amounts(pairs: ChainAmounts) -> bytes:
    return encode_vector([chain.to_bytes() + encode_u128(amount) for chain, amount in pairs])


def read_chain_amounts(reader: Reader) -> ChainAmounts:
    pairs = read_vector(reader, lambda inner: (ChainId.read(inner), read_u128(inner)))
    validate_chain_amounts("BTreeMap<ChainId, Balance>", pairs)
    return pairs


# ---- fees and transfers ----


@dataclass(frozen=True, slots=True)
class BlockFees:
    """sp-domains `BlockFees<Balance>`: fees a domain block collected and burned."""

    consensus_storage_fee: int = 0
    domain_execution_fee: int = 0
    """Storage and compute fees on the domain, tips and XDM rewards."""
    burned_balance: int = 0
    chain_rewards: ChainAmounts = ()

    def __post_init__(self) -> None:
        validate_uint("consensus_storage_fee", self.consensus_storage_fee, U128_MAX)
        validate_uint("domain_execution_fee", self.domain_execution_fee, U128_MAX)
        validate_uint("burned_balance", self.burned_balance, U128_MAX)
        validate_chain_amounts("chain_rewards", self.chain_rewards)

    def total_fees(self) -> int:
        """All three fees plus every chain reward; FeesOverflow past u128 (checked addition)."""
        total = self.consensus_storage_fee + self.domain_execution_fee + self.burned_balance
        total += sum(amount for _, amount in self.chain_rewards)
        if total > U128_MAX:
            msg = f"total fees {total} overflow u128"
            raise FeesOverflow(msg)
        return total

    def to_bytes(self) -> bytes:
        fees = (self.consensus_storage_fee, self.domain_execution_fee, self.burned_balance)
        return b"".join(encode_u128(fee) for fee in fees) + encode_chain_amounts(self.chain_rewards)

    @classmethod
    def read(cls, reader: Reader) -> BlockFees:
        fees = (read_u128(reader), read_u128(reader), read_u128(reader))
        return cls(*fees, read_chain_amounts(reader))

    @classmethod
    def from_bytes(cls, data: bytes) -> BlockFees:
        return decode_exactly(data, "BlockFees", cls.read)


@dataclass(frozen=True, slots=True)
class Transfers:
    """sp-domains `Transfers<Balance>`: the domain's cross-chain transfer totals by chain."""

    transfers_in: ChainAmounts = ()
    transfers_out: ChainAmounts = ()
    rejected_transfers_claimed: ChainAmounts = ()
    """Transfers from this domain that were reverted."""
    transfers_rejected: ChainAmounts = ()
    """Transfers to this domain that were rejected."""

    def __post_init__(self) -> None:
        for name in ("transfers_in", "transfers_out", "rejected_transfers_claimed", "transfers_rejected"):
            validate_chain_amounts(name, getattr(self, name))

    def to_bytes(self) -> bytes:
        maps = (self.transfers_in, self.transfers_out, self.rejected_transfers_claimed, self.transfers_rejected)
        return b"".join(encode_chain_amounts(pairs) for pairs in maps)

    @classmethod
    def read(cls, reader: Reader) -> Transfers:
        return cls(*(read_chain_amounts(reader) for _ in range(4)))

    @classmethod
    def from_bytes(cls, data: bytes) -> Transfers:
        return decode_exactly(data, "Transfers", cls.read)


# ---- bundle validity ----


class InvalidBundleKind(IntEnum):
    """sp-domains `InvalidBundleType` variants by their encoding index."""

    UNDECODABLE_TX = 0
    OUT_OF_RANGE_TX = 1
    ILLEGAL_TX = 2
    INVALID_XDM = 3
    INHERENT_EXTRINSIC = 4
    INVALID_BUNDLE_WEIGHT = 5


# sp-domains `InvalidBundleType::checking_order`: the rule order, deliberately not the encoding index.
RULE_ORDER: Final = {
    InvalidBundleKind.UNDECODABLE_TX: 1,
    InvalidBundleKind.OUT_OF_RANGE_TX: 2,
    InvalidBundleKind.INHERENT_EXTRINSIC: 3,
    InvalidBundleKind.INVALID_XDM: 4,
    InvalidBundleKind.ILLEGAL_TX: 5,
    InvalidBundleKind.INVALID_BUNDLE_WEIGHT: 6,
}


@dataclass(frozen=True, slots=True)
class InvalidBundleType:
    """Why a bundle is invalid: the rule and the index of the first extrinsic that breaks it."""

    kind: InvalidBundleKind
    extrinsic_index: int | None = None
    """A u32 for every kind except INVALID_BUNDLE_WEIGHT, which concerns the whole bundle (None)."""

    def __post_init__(self) -> None:
        if not isinstance(self.kind, InvalidBundleKind):
            msg = f"InvalidBundleType.kind must be an InvalidBundleKind, got {self.kind!r}"
            raise DecodeError(msg)
        if self.kind == InvalidBundleKind.INVALID_BUNDLE_WEIGHT:
            if self.extrinsic_index is not None:
                msg = "InvalidBundleWeight carries no extrinsic index"
                raise DecodeError(msg)
            return
        validate_uint("InvalidBundleType.extrinsic_index", self.extrinsic_index, U32_MAX)

    def checking_order(self) -> int:
        """(extrinsic index << 32) | rule order; InvalidBundleWeight counts as extrinsic u32::MAX."""
        index = U32_MAX if self.extrinsic_index is None else self.extrinsic_index
        return index << 32 | RULE_ORDER[self.kind]

    def to_bytes(self) -> bytes:
        if self.extrinsic_index is None:
            return encode_u8(self.kind)
        return encode_u8(self.kind) + encode_u32(self.extrinsic_index)

    @classmethod
    def read(cls, reader: Reader) -> InvalidBundleType:
        variant = reader.read_u8()
        if variant > InvalidBundleKind.INVALID_BUNDLE_WEIGHT:
            msg = f"InvalidBundleType variant {variant} is unknown"
            raise DecodeError(msg)
        kind = InvalidBundleKind(variant)
        if kind == InvalidBundleKind.INVALID_BUNDLE_WEIGHT:
            return cls(kind)
        return cls(kind, reader.read_u32())

    @classmethod
    def from_bytes(cls, data: bytes) -> InvalidBundleType:
        return decode_exactly(data, "InvalidBundleType", cls.read)


@dataclass(frozen=True, slots=True)
class BundleValidity:
    """sp-domains `BundleValidity<Hash>`: 0 Invalid(InvalidBundleType) | 1 Valid(bundle digest hash)."""

    invalid_bundle_type: InvalidBundleType | None = None
    bundle_digest_hash: bytes | None = None
    """For a valid bundle: H(Vec<(signer, ExtrinsicDigest)>) of its extrinsics."""

    def __post_init__(self) -> None:
        if (self.invalid_bundle_type is None) == (self.bundle_digest_hash is None):
            msg = "BundleValidity is exactly one of Invalid(type) and Valid(digest)"
            raise DecodeError(msg)
        if self.invalid_bundle_type is None:
            validate_hash("bundle_digest_hash", self.bundle_digest_hash)
        elif not isinstance(self.invalid_bundle_type, InvalidBundleType):
            msg = f"invalid_bundle_type must be an InvalidBundleType, got {self.invalid_bundle_type!r}"
            raise DecodeError(msg)

    @property
    def is_valid(self) -> bool:
        return self.bundle_digest_hash is not None

    def to_bytes(self) -> bytes:
        if self.invalid_bundle_type is not None:
            return b"\x00" + self.invalid_bundle_type.to_bytes()
        return b"\x01" + _present(self.bundle_digest_hash)

    @classmethod
    def read(cls, reader: Reader) -> BundleValidity:
        variant = reader.read_u8()
        if variant == 0:
            return cls(invalid_bundle_type=InvalidBundleType.read(reader))
        if variant == 1:
            return cls(bundle_digest_hash=reader.read_bytes(HASH_SIZE))
        msg = f"BundleValidity variant must be 0 or 1, got {variant}"
        raise DecodeError(msg)

    @classmethod
    def from_bytes(cls, data: bytes) -> BundleValidity:
        return decode_exactly(data, "BundleValidity", cls.read)


@dataclass(frozen=True, slots=True)
class ExtrinsicDigest:
    """sp-domains `ExtrinsicDigest`: 0 Data(Vec<u8>) | 1 Hash(H256); `of` picks the LayoutV1 inline rule."""

    data: bytes | None = None
    extrinsic_hash: bytes | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.extrinsic_hash is None):
            msg = "ExtrinsicDigest is exactly one of Data and Hash"
            raise DecodeError(msg)
        if self.data is None:
            validate_hash("extrinsic_hash", self.extrinsic_hash)
        elif not isinstance(self.data, bytes) or len(self.data) > U32_MAX:
            msg = "ExtrinsicDigest.data must be bytes"
            raise DecodeError(msg)

    @classmethod
    def of(cls, extrinsic: bytes) -> ExtrinsicDigest:
        """sp-domains `ExtrinsicDigest::new::<LayoutV1>`: the hash of an encoding of 33 bytes or more, else it."""
        if len(extrinsic) >= TRIE_VALUE_NODE_THRESHOLD:
            return cls(extrinsic_hash=compute_blake2_256(extrinsic))
        return cls(data=extrinsic)

    def to_bytes(self) -> bytes:
        if self.data is not None:
            return b"\x00" + encode_vec_u8(self.data)
        return b"\x01" + _present(self.extrinsic_hash)

    @classmethod
    def read(cls, reader: Reader) -> ExtrinsicDigest:
        variant = reader.read_u8()
        if variant == 0:
            return cls(data=reader.read_vec_u8())
        if variant == 1:
            return cls(extrinsic_hash=reader.read_bytes(HASH_SIZE))
        msg = f"ExtrinsicDigest variant must be 0 or 1, got {variant}"
        raise DecodeError(msg)

    @classmethod
    def from_bytes(cls, data: bytes) -> ExtrinsicDigest:
        return decode_exactly(data, "ExtrinsicDigest", cls.read)


def compute_valid_bundle_digest(entries: Sequence[tuple[bytes | None, ExtrinsicDigest]]) -> bytes:
    """H(Vec<(Option<signer>, ExtrinsicDigest)>): the digest a valid inboxed bundle carries."""
    encoded = [
        (b"\x00" if signer is None else b"\x01" + encode_vec_u8(signer)) + digest.to_bytes()
        for signer, digest in entries
    ]
    return compute_blake2_256(encode_vector(encoded))


@dataclass(frozen=True, slots=True)
class InboxedBundle:
    """sp-domains `InboxedBundle<Hash>`: a bundle the consensus chain included, and its validity."""

    bundle: BundleValidity
    extrinsics_root: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.bundle, BundleValidity):
            msg = f"InboxedBundle.bundle must be a BundleValidity, got {self.bundle!r}"
            raise DecodeError(msg)
        validate_hash("InboxedBundle.extrinsics_root", self.extrinsics_root)

    def to_bytes(self) -> bytes:
        return self.bundle.to_bytes() + self.extrinsics_root

    @classmethod
    def read(cls, reader: Reader) -> InboxedBundle:
        return cls(BundleValidity.read(reader), reader.read_bytes(HASH_SIZE))

    @classmethod
    def from_bytes(cls, data: bytes) -> InboxedBundle:
        return decode_exactly(data, "InboxedBundle", cls.read)


# ---- the execution receipt ----


@dataclass(frozen=True, slots=True)
class ExecutionReceipt:
    """sp-domains `ExecutionReceiptV0`: what executing one domain block produced, fields in SCALE order."""

    domain_block_number: int
    domain_block_hash: bytes
    domain_block_extrinsic_root: bytes
    parent_domain_block_receipt_hash: bytes
    consensus_block_number: int
    consensus_block_hash: bytes
    inboxed_bundles: tuple[InboxedBundle, ...]
    """Every bundle the consensus block included, valid or not, in inclusion order."""
    final_state_root: bytes
    execution_trace: tuple[bytes, ...]
    """Storage roots after initialize_block, after each extrinsic, after finalize_block."""
    execution_trace_root: bytes
    """rs_merkle root of `execution_trace` (compute_execution_trace_root); 32 zero bytes at genesis."""
    block_fees: BlockFees = BlockFees()
    transfers: Transfers = Transfers()

    def __post_init__(self) -> None:
        validate_uint("domain_block_number", self.domain_block_number, U32_MAX)
        validate_uint("consensus_block_number", self.consensus_block_number, U32_MAX)
        for name in (
            "domain_block_hash",
            "domain_block_extrinsic_root",
            "parent_domain_block_receipt_hash",
            "consensus_block_hash",
            "final_state_root",
            "execution_trace_root",
        ):
            validate_hash(name, getattr(self, name))
        validate_tuple("inboxed_bundles", self.inboxed_bundles, InboxedBundle)
        validate_tuple("execution_trace", self.execution_trace, bytes)
        for root in self.execution_trace:
            validate_hash("execution_trace item", root)
        if not isinstance(self.block_fees, BlockFees) or not isinstance(self.transfers, Transfers):
            msg = "block_fees and transfers must be BlockFees and Transfers"
            raise DecodeError(msg)

    def to_bytes(self) -> bytes:
        """The ExecutionReceiptV0 encoding (no enum byte): what the receipt hash covers."""
        return b"".join(
            (
                encode_u32(self.domain_block_number),
                self.domain_block_hash,
                self.domain_block_extrinsic_root,
                self.parent_domain_block_receipt_hash,
                encode_u32(self.consensus_block_number),
                self.consensus_block_hash,
                encode_vector([bundle.to_bytes() for bundle in self.inboxed_bundles]),
                self.final_state_root,
                encode_vector(list(self.execution_trace)),
                self.execution_trace_root,
                self.block_fees.to_bytes(),
                self.transfers.to_bytes(),
            )
        )

    def to_versioned_bytes(self) -> bytes:
        """`ExecutionReceipt::V0(self)`: the enum form a bundle header or singleton receipt embeds."""
        return encode_u8(EXECUTION_RECEIPT_V0) + self.to_bytes()

    def hash(self) -> bytes:
        """The receipt hash: H(ExecutionReceiptV0 encoding), without the enum byte."""
        return compute_blake2_256(self.to_bytes())

    def valid_bundle_digests(self) -> tuple[bytes, ...]:
        """The digest hashes of the valid inboxed bundles, in order."""
        return tuple(
            _present(bundle.bundle.bundle_digest_hash) for bundle in self.inboxed_bundles if bundle.bundle.is_valid
        )

    @classmethod
    def read(cls, reader: Reader) -> ExecutionReceipt:
        return cls(
            domain_block_number=reader.read_u32(),
            domain_block_hash=reader.read_bytes(HASH_SIZE),
            domain_block_extrinsic_root=reader.read_bytes(HASH_SIZE),
            parent_domain_block_receipt_hash=reader.read_bytes(HASH_SIZE),
            consensus_block_number=reader.read_u32(),
            consensus_block_hash=reader.read_bytes(HASH_SIZE),
            inboxed_bundles=read_vector(reader, InboxedBundle.read),
            final_state_root=reader.read_bytes(HASH_SIZE),
            execution_trace=read_vector(reader, lambda inner: inner.read_bytes(HASH_SIZE)),
            execution_trace_root=reader.read_bytes(HASH_SIZE),
            block_fees=BlockFees.read(reader),
            transfers=Transfers.read(reader),
        )

    @classmethod
    def read_versioned(cls, reader: Reader) -> ExecutionReceipt:
        """`ExecutionReceipt` (enum): the V0 byte, then the receipt."""
        variant = reader.read_u8()
        if variant != EXECUTION_RECEIPT_V0:
            msg = f"ExecutionReceipt variant must be V0 (0), got {variant}"
            raise DecodeError(msg)
        return cls.read(reader)

    @classmethod
    def from_bytes(cls, data: bytes) -> ExecutionReceipt:
        """An ExecutionReceiptV0 encoding (no enum byte), exactly."""
        return decode_exactly(data, "ExecutionReceiptV0", cls.read)

    @classmethod
    def from_versioned_bytes(cls, data: bytes) -> ExecutionReceipt:
        """An `ExecutionReceipt` enum encoding (0x00 || V0), exactly."""
        return decode_exactly(data, "ExecutionReceipt", cls.read_versioned)


def compute_execution_trace_root(trace: Sequence[bytes]) -> bytes:
    """rs_merkle 1.5 root of the trace roots: H(left || right) per pair, an odd last node promoted unchanged."""
    if len(trace) == 0:
        msg = "an execution trace has at least one root"
        raise EmptyExecutionTrace(msg)
    layer = list(trace)
    for root in layer:
        validate_hash("execution trace root", root)
    # sp-domains merkle_tree.rs `Blake2b256Algorithm` under rs_merkle `MerkleTree::from_leaves`: leaves as given.
    while len(layer) > 1:
        paired = [compute_blake2_256(layer[index] + layer[index + 1]) for index in range(0, len(layer) - 1, 2)]
        layer = paired + layer[len(paired) * 2 :]
    return layer[0]


def genesis_receipt(genesis_state_root: bytes) -> ExecutionReceipt:
    """sp-domains `ExecutionReceipt::genesis` as pallet-domains `instantiate_domain` builds it."""
    validate_hash("genesis_state_root", genesis_state_root)
    # The genesis header: number 0, no extrinsics, zero parent, empty digest.
    genesis_header = DomainHeader(ZERO_HASH, 0, genesis_state_root, EMPTY_EXTRINSIC_ROOT)
    return ExecutionReceipt(
        domain_block_number=0,
        domain_block_hash=genesis_header.hash(),
        domain_block_extrinsic_root=EMPTY_EXTRINSIC_ROOT,
        parent_domain_block_receipt_hash=ZERO_HASH,
        consensus_block_number=0,
        consensus_block_hash=ZERO_HASH,
        inboxed_bundles=(),
        final_state_root=genesis_state_root,
        execution_trace=(genesis_state_root,),
        execution_trace_root=ZERO_HASH,
    )
