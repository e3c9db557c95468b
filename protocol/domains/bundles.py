"""Domain bundles, their sealed headers and singleton receipts (sp-domains `bundle.rs`, `bundle/bundle_v0.rs`,
`execution_receipt.rs`, `lib.rs`).

A bundle is an operator's batch of domain extrinsics plus an execution receipt, sealed by the operator's sr25519
signature over the header's pre-hash H(BundleHeaderV0). Encodings are SCALE and byte-compatible with the
reference; `from_bytes` reads exactly one value and `read` one value inside a larger container. The receipt
inside a header or singleton receipt is the versioned enum (0x00 || ExecutionReceiptV0).

Signing goes through py-sr25519-bindings, whose signing nonce comes from the library's own randomness:
signatures are compared by verifying, never by bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import sr25519

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_compact,
    encode_u32,
    encode_u64,
    encode_vector,
    read_vector_length,
    validate_tuple,
    validate_uint,
)
from autonomys.protocol.constants import U32_MAX, U64_MAX
from autonomys.protocol.domains.receipts import ExecutionReceipt, validate_hash
from autonomys.protocol.domains.substrate_trie import HASH_SIZE, compute_blake2_256, ordered_trie_root
from autonomys.protocol.errors import DecodeError, InvalidBundleLimits

PROOF_OF_TIME_SIZE: Final = 16
VRF_SIGNATURE_SIZE: Final = 96
"""schnorrkel VrfSignature: pre-output [32] || proof [64]."""
PROOF_OF_ELECTION_SIZE: Final = 4 + 8 + PROOF_OF_TIME_SIZE + VRF_SIGNATURE_SIZE + 8
OPERATOR_SIGNATURE_SIZE: Final = 64
OPERATOR_PUBLIC_KEY_SIZE: Final = 32
BUNDLE_V0: Final = 0
"""The variant byte of `Bundle::V0`."""

Keypair = tuple[bytes, bytes]
"""py-sr25519-bindings keypair: (public key [32], secret key [64])."""

# ---- proof of election and weight ----


@dataclass(frozen=True, slots=True)
class ProofOfElection:
    """sp-domains `ProofOfElection`: the operator's VRF win for a domain at a slot (132 bytes)."""

    domain_id: int
    slot_number: int
    proof_of_time: bytes
    vrf_signature: bytes
    operator_id: int

    def __post_init__(self) -> None:
        validate_uint("domain_id", self.domain_id, U32_MAX)
        validate_uint("slot_number", self.slot_number, U64_MAX)
        validate_hash("proof_of_time", self.proof_of_time, PROOF_OF_TIME_SIZE)
        validate_hash("vrf_signature", self.vrf_signature, VRF_SIGNATURE_SIZE)
        validate_uint("operator_id", self.operator_id, U64_MAX)

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                encode_u32(self.domain_id),
                encode_u64(self.slot_number),
                self.proof_of_time,
                self.vrf_signature,
                encode_u64(self.operator_id),
            )
        )

    @classmethod
    def read(cls, reader: Reader) -> ProofOfElection:
        return cls(
            domain_id=reader.read_u32(),
            slot_number=reader.read_u64(),
            proof_of_time=reader.read_bytes(PROOF_OF_TIME_SIZE),
            vrf_signature=reader.read_bytes(VRF_SIGNATURE_SIZE),
            operator_id=reader.read_u64(),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ProofOfElection:
        return decode_exactly(data, "ProofOfElection", cls.read)


@dataclass(frozen=True, slots=True)
class Weight:
    """sp-weights `Weight`: {ref_time: Compact<u64>, proof_size: Compact<u64>}."""

    ref_time: int = 0
    proof_size: int = 0

    def __post_init__(self) -> None:
        validate_uint("ref_time", self.ref_time, U64_MAX)
        validate_uint("proof_size", self.proof_size, U64_MAX)

    def to_bytes(self) -> bytes:
        return encode_compact(self.ref_time) + encode_compact(self.proof_size)

    @classmethod
    def read(cls, reader: Reader) -> Weight:
        ref_time, proof_size = reader.read_compact(), reader.read_compact()
        if ref_time > U64_MAX or proof_size > U64_MAX:
            msg = f"Weight ({ref_time}, {proof_size}) does not fit in u64"
            raise DecodeError(msg)
        return cls(ref_time, proof_size)

    @classmethod
    def from_bytes(cls, data: bytes) -> Weight:
        return decode_exactly(data, "Weight", cls.read)


# ---- signatures ----


def is_operator_signature_valid(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is `public_key`'s sr25519 signature of `message`; False for malformed input."""
    if not isinstance(public_key, bytes) or len(public_key) != OPERATOR_PUBLIC_KEY_SIZE:
        return False
    if not isinstance(signature, bytes) or len(signature) != OPERATOR_SIGNATURE_SIZE:
        return False
    try:
        return bool(sr25519.verify(signature, message, public_key))
    except (ValueError, TypeError):
        return False


def sign_operator_message(keypair: Keypair, message: bytes) -> bytes:
    """The operator's sr25519 signature of `message` (schnorrkel context b"substrate")."""
    return bytes(sr25519.sign(keypair, message))


# ---- bundle header ----


@dataclass(frozen=True, slots=True)
class BundleHeader:
    """sp-domains `BundleHeaderV0`; its hash is the pre-hash the operator signs."""

    proof_of_election: ProofOfElection
    receipt: ExecutionReceipt
    """Encoded as the versioned enum (0x00 || ExecutionReceiptV0)."""
    estimated_bundle_weight: Weight
    bundle_extrinsics_root: bytes
    """ordered_trie_root of the bundle's extrinsic encodings."""

    def __post_init__(self) -> None:
        if not isinstance(self.proof_of_election, ProofOfElection) or not isinstance(self.receipt, ExecutionReceipt):
            msg = "BundleHeader needs a ProofOfElection and an ExecutionReceipt"
            raise DecodeError(msg)
        if not isinstance(self.estimated_bundle_weight, Weight):
            msg = "estimated_bundle_weight must be a Weight"
            raise DecodeError(msg)
        validate_hash("bundle_extrinsics_root", self.bundle_extrinsics_root)

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                self.proof_of_election.to_bytes(),
                self.receipt.to_versioned_bytes(),
                self.estimated_bundle_weight.to_bytes(),
                self.bundle_extrinsics_root,
            )
        )

    def hash(self) -> bytes:
        """H(BundleHeaderV0): the pre-hash the operator signs."""
        return compute_blake2_256(self.to_bytes())

    @classmethod
    def read(cls, reader: Reader) -> BundleHeader:
        return cls(
            proof_of_election=ProofOfElection.read(reader),
            receipt=ExecutionReceipt.read_versioned(reader),
            estimated_bundle_weight=Weight.read(reader),
            bundle_extrinsics_root=reader.read_bytes(HASH_SIZE),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> BundleHeader:
        return decode_exactly(data, "BundleHeaderV0", cls.read)


@dataclass(frozen=True, slots=True)
class SealedBundleHeader:
    """sp-domains `SealedBundleHeaderV0`: header || operator signature [64] (no prefix)."""

    header: BundleHeader
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.header, BundleHeader):
            msg = f"SealedBundleHeader.header must be a BundleHeader, got {self.header!r:.80}"
            raise DecodeError(msg)
        validate_hash("signature", self.signature, OPERATOR_SIGNATURE_SIZE)

    def pre_hash(self) -> bytes:
        """H(header encoding): what the signature signs."""
        return self.header.hash()

    def hash(self) -> bytes:
        """H(sealed header encoding)."""
        return compute_blake2_256(self.to_bytes())

    def verify_signature(self, public_key: bytes) -> bool:
        """True when the signature is `public_key`'s signature of pre_hash(); never raises."""
        return is_operator_signature_valid(public_key, self.pre_hash(), self.signature)

    def to_bytes(self) -> bytes:
        return self.header.to_bytes() + self.signature

    @classmethod
    def read(cls, reader: Reader) -> SealedBundleHeader:
        return cls(BundleHeader.read(reader), reader.read_bytes(OPERATOR_SIGNATURE_SIZE))

    @classmethod
    def from_bytes(cls, data: bytes) -> SealedBundleHeader:
        return decode_exactly(data, "SealedBundleHeaderV0", cls.read)


def seal(header: BundleHeader, keypair: Keypair) -> SealedBundleHeader:
    """The header sealed with the operator's signature of its pre-hash."""
    return SealedBundleHeader(header, sign_operator_message(keypair, header.hash()))


# ---- bundle ----


def _validate_extrinsic_encoding(extrinsic: bytes) -> None:
    # An OpaqueExtrinsic encodes as one SCALE Vec<u8>: compact length, then exactly that many bytes.
    decode_exactly(extrinsic, "OpaqueExtrinsic", Reader.read_vec_u8)


def read_extrinsic_encoding(reader: Reader) -> bytes:
    """One OpaqueExtrinsic, returned as its whole encoding (compact length || bytes)."""
    body = reader.read_vec_u8()
    return encode_compact(len(body)) + body


@dataclass(frozen=True, slots=True)
class BundleDigest:
    """sp-domains `BundleDigest` (pallet-domains `ExecutionInbox` entry)."""

    header_hash: bytes
    """The sealed header's pre_hash()."""
    extrinsics_root: bytes
    size: int
    """The whole bundle's encoded size (`Bundle::size`)."""

    def __post_init__(self) -> None:
        validate_hash("header_hash", self.header_hash)
        validate_hash("extrinsics_root", self.extrinsics_root)
        validate_uint("size", self.size, U32_MAX)

    def to_bytes(self) -> bytes:
        return self.header_hash + self.extrinsics_root + encode_u32(self.size)

    @classmethod
    def read(cls, reader: Reader) -> BundleDigest:
        return cls(reader.read_bytes(HASH_SIZE), reader.read_bytes(HASH_SIZE), reader.read_u32())

    @classmethod
    def from_bytes(cls, data: bytes) -> BundleDigest:
        return decode_exactly(data, "BundleDigest", cls.read)


@dataclass(frozen=True, slots=True)
class Bundle:
    """sp-domains `Bundle::V0(BundleV0)`: sealed header || Vec<OpaqueExtrinsic>."""

    sealed_header: SealedBundleHeader
    extrinsics: tuple[bytes, ...] = ()
    """Each extrinsic's encoding (compact length || bytes), as it is hashed into the extrinsics root."""

    def __post_init__(self) -> None:
        if not isinstance(self.sealed_header, SealedBundleHeader):
            msg = "Bundle.sealed_header must be a SealedBundleHeader"
            raise DecodeError(msg)
        validate_tuple("extrinsics", self.extrinsics, bytes)
        for extrinsic in self.extrinsics:
            _validate_extrinsic_encoding(extrinsic)

    def to_bytes(self) -> bytes:
        """The enum encoding, 0x00 (V0) first."""
        return bytes([BUNDLE_V0]) + self.sealed_header.to_bytes() + encode_vector(list(self.extrinsics))

    def hash(self) -> bytes:
        """H(Bundle encoding), the 0x00 variant byte included."""
        return compute_blake2_256(self.to_bytes())

    def size(self) -> int:
        """The whole bundle's encoded size in bytes."""
        return len(self.to_bytes())

    def body_size(self) -> int:
        """The summed encoded size of the extrinsics."""
        return sum(len(extrinsic) for extrinsic in self.extrinsics)

    def extrinsics_root(self) -> bytes:
        """ordered_trie_root of the extrinsic encodings: what `bundle_extrinsics_root` must equal. (The
        reference's `Bundle::extrinsics_root` returns the header field itself, used by `digest`.)"""
        return ordered_trie_root(self.extrinsics)

    def digest(self) -> BundleDigest:
        """The `ExecutionInbox` entry pallet-domains `submit_bundle` stores for this bundle."""
        header = self.sealed_header
        return BundleDigest(header.pre_hash(), header.header.bundle_extrinsics_root, self.size())

    @classmethod
    def read(cls, reader: Reader) -> Bundle:
        variant = reader.read_u8()
        if variant != BUNDLE_V0:
            msg = f"Bundle variant must be V0 (0), got {variant}"
            raise DecodeError(msg)
        sealed_header = SealedBundleHeader.read(reader)
        count = read_vector_length(reader)
        return cls(sealed_header, tuple(read_extrinsic_encoding(reader) for _ in range(count)))

    @classmethod
    def from_bytes(cls, data: bytes) -> Bundle:
        return decode_exactly(data, "Bundle", cls.read)


# ---- singleton receipts ----


@dataclass(frozen=True, slots=True)
class SingletonReceipt:
    """sp-domains `SingletonReceipt`: proof_of_election || receipt (enum), for a receipt without a bundle."""

    proof_of_election: ProofOfElection
    receipt: ExecutionReceipt

    def __post_init__(self) -> None:
        if not isinstance(self.proof_of_election, ProofOfElection) or not isinstance(self.receipt, ExecutionReceipt):
            msg = "SingletonReceipt needs a ProofOfElection and an ExecutionReceipt"
            raise DecodeError(msg)

    def to_bytes(self) -> bytes:
        return self.proof_of_election.to_bytes() + self.receipt.to_versioned_bytes()

    def hash(self) -> bytes:
        """H(SingletonReceipt encoding): what the operator signs."""
        return compute_blake2_256(self.to_bytes())

    @classmethod
    def read(cls, reader: Reader) -> SingletonReceipt:
        return cls(ProofOfElection.read(reader), ExecutionReceipt.read_versioned(reader))

    @classmethod
    def from_bytes(cls, data: bytes) -> SingletonReceipt:
        return decode_exactly(data, "SingletonReceipt", cls.read)


@dataclass(frozen=True, slots=True)
class SealedSingletonReceipt:
    """sp-domains `SealedSingletonReceipt`: singleton receipt || operator signature [64]."""

    singleton_receipt: SingletonReceipt
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.singleton_receipt, SingletonReceipt):
            msg = "SealedSingletonReceipt.singleton_receipt must be a SingletonReceipt"
            raise DecodeError(msg)
        validate_hash("signature", self.signature, OPERATOR_SIGNATURE_SIZE)

    def pre_hash(self) -> bytes:
        """H(SingletonReceipt): what the signature signs."""
        return self.singleton_receipt.hash()

    def verify_signature(self, public_key: bytes) -> bool:
        """True when the signature is `public_key`'s signature of pre_hash(); never raises."""
        return is_operator_signature_valid(public_key, self.pre_hash(), self.signature)

    def to_bytes(self) -> bytes:
        return self.singleton_receipt.to_bytes() + self.signature

    @classmethod
    def read(cls, reader: Reader) -> SealedSingletonReceipt:
        return cls(SingletonReceipt.read(reader), reader.read_bytes(OPERATOR_SIGNATURE_SIZE))

    @classmethod
    def from_bytes(cls, data: bytes) -> SealedSingletonReceipt:
        return decode_exactly(data, "SealedSingletonReceipt", cls.read)


def seal_singleton_receipt(singleton_receipt: SingletonReceipt, keypair: Keypair) -> SealedSingletonReceipt:
    """The singleton receipt sealed with the operator's signature of its hash."""
    return SealedSingletonReceipt(singleton_receipt, sign_operator_message(keypair, singleton_receipt.hash()))


# ---- bundle limits ----


@dataclass(frozen=True, slots=True)
class DomainBundleLimit:
    """sp-domains `DomainBundleLimit`: the largest bundle a domain accepts."""

    max_bundle_size: int
    max_bundle_weight: Weight


def calculate_max_bundle_weight_and_size(
    max_domain_block_size: int,
    max_domain_block_weight: Weight,
    consensus_slot_probability: tuple[int, int],
    bundle_slot_probability: tuple[int, int],
) -> DomainBundleLimit:
    """sp-domains `calculate_max_bundle_weight_and_size`: a block's limits shared among its expected bundles."""
    validate_uint("max_domain_block_size", max_domain_block_size, U32_MAX)
    for value in (*consensus_slot_probability, *bundle_slot_probability):
        validate_uint("slot probability term", value, U64_MAX)
    # expected bundles per block = (bundle probability) / (consensus probability), in u64 with checked ops.
    numerator = bundle_slot_probability[0] * consensus_slot_probability[1]
    denominator = bundle_slot_probability[1] * consensus_slot_probability[0]
    if numerator > U64_MAX or denominator > U64_MAX or denominator == 0:
        msg = f"bundle slot probability {bundle_slot_probability} over {consensus_slot_probability} overflows"
        raise InvalidBundleLimits(msg)
    expected_bundles_per_block = numerator // denominator
    # Weight::checked_div fails on 0; the proof size stays the block's so one extrinsic may use all of it.
    if expected_bundles_per_block == 0:
        msg = f"bundle slot probability {bundle_slot_probability} gives no bundle per block"
        raise InvalidBundleLimits(msg)
    weight = Weight(max_domain_block_weight.ref_time // expected_bundles_per_block, max_domain_block_weight.proof_size)
    return DomainBundleLimit(max_domain_block_size // expected_bundles_per_block, weight)
