"""The domain block header (sp-runtime `generic::Header<u32, BlakeTwo256>`) and its digest items
(sp-runtime `generic::DigestItem`; domains/primitives/digests for the consensus block info item).

Encodings are SCALE, with the same rules as protocol.domains.receipts: `from_bytes` reads exactly one value,
`read` one value inside a larger container, and construction checks what a decoder would.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_compact,
    encode_u8,
    encode_vec_u8,
    encode_vector,
    read_vector,
    validate_bytes,
    validate_tuple,
    validate_uint,
)
from autonomys.protocol.constants import U32_MAX
from autonomys.protocol.domains.substrate_trie import HASH_SIZE, compute_blake2_256
from autonomys.protocol.errors import DecodeError

# domains/primitives/digests: the engine id of the pre-runtime item carrying the consensus block hash.
CONSENSUS_BLOCK_INFO_ENGINE_ID: Final = b"RGTR"
ENGINE_ID_SIZE: Final = 4


class DigestItemKind(IntEnum):
    """sp-runtime `generic::DigestItem` variants by encoding index."""

    OTHER = 0
    CONSENSUS = 4
    SEAL = 5
    PRE_RUNTIME = 6
    RUNTIME_ENVIRONMENT_UPDATED = 8


_ENGINE_KINDS: Final = (DigestItemKind.CONSENSUS, DigestItemKind.SEAL, DigestItemKind.PRE_RUNTIME)


@dataclass(frozen=True, slots=True)
class DigestItem:
    """A header digest item: Other(data) | Consensus/Seal/PreRuntime(engine id [4], data) | RuntimeEnvironmentUpdated."""

    kind: DigestItemKind
    engine_id: bytes = b""
    """4 bytes for Consensus, Seal and PreRuntime; empty otherwise."""
    data: bytes = b""

    def __post_init__(self) -> None:
        if not isinstance(self.kind, DigestItemKind):
            msg = f"DigestItem.kind must be a DigestItemKind, got {self.kind!r}"
            raise DecodeError(msg)
        validate_bytes("DigestItem.engine_id", self.engine_id, ENGINE_ID_SIZE if self.kind in _ENGINE_KINDS else 0)
        if not isinstance(self.data, bytes) or len(self.data) > U32_MAX:
            msg = "DigestItem.data must be bytes"
            raise DecodeError(msg)
        if self.kind == DigestItemKind.RUNTIME_ENVIRONMENT_UPDATED and len(self.data) != 0:
            msg = "RuntimeEnvironmentUpdated carries no data"
            raise DecodeError(msg)

    def to_bytes(self) -> bytes:
        if self.kind == DigestItemKind.RUNTIME_ENVIRONMENT_UPDATED:
            return encode_u8(self.kind)
        return encode_u8(self.kind) + self.engine_id + encode_vec_u8(self.data)

    @classmethod
    def read(cls, reader: Reader) -> DigestItem:
        variant = reader.read_u8()
        if variant not in DigestItemKind.__members__.values():
            msg = f"DigestItem variant {variant} is unknown"
            raise DecodeError(msg)
        kind = DigestItemKind(variant)
        if kind == DigestItemKind.RUNTIME_ENVIRONMENT_UPDATED:
            return cls(kind)
        engine_id = reader.read_bytes(ENGINE_ID_SIZE) if kind in _ENGINE_KINDS else b""
        return cls(kind, engine_id, reader.read_vec_u8())


def compute_consensus_block_info_item(consensus_block_hash: bytes) -> DigestItem:
    """domains/primitives/digests: PreRuntime(*b"RGTR", SCALE(consensus_block_hash)), in every domain header."""
    validate_bytes("consensus_block_hash", consensus_block_hash, HASH_SIZE)
    return DigestItem(DigestItemKind.PRE_RUNTIME, CONSENSUS_BLOCK_INFO_ENGINE_ID, consensus_block_hash)


@dataclass(frozen=True, slots=True)
class DomainHeader:
    """sp-runtime `generic::Header<u32, BlakeTwo256>` of a domain block."""

    parent_hash: bytes
    number: int
    """A u32, encoded as Compact<u32>."""
    state_root: bytes
    extrinsics_root: bytes
    digest: tuple[DigestItem, ...] = ()

    def __post_init__(self) -> None:
        validate_bytes("parent_hash", self.parent_hash, HASH_SIZE)
        validate_uint("number", self.number, U32_MAX)
        validate_bytes("state_root", self.state_root, HASH_SIZE)
        validate_bytes("extrinsics_root", self.extrinsics_root, HASH_SIZE)
        validate_tuple("digest", self.digest, DigestItem)

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                self.parent_hash,
                encode_compact(self.number),
                self.state_root,
                self.extrinsics_root,
                encode_vector([item.to_bytes() for item in self.digest]),
            )
        )

    def hash(self) -> bytes:
        """The domain block hash: H(header encoding) (sp-domains `derive_domain_block_hash`)."""
        return compute_blake2_256(self.to_bytes())

    @classmethod
    def read(cls, reader: Reader) -> DomainHeader:
        parent_hash = reader.read_bytes(HASH_SIZE)
        number = reader.read_compact()
        if number > U32_MAX:
            msg = f"domain block number {number} does not fit in u32"
            raise DecodeError(msg)
        state_root, extrinsics_root = reader.read_bytes(HASH_SIZE), reader.read_bytes(HASH_SIZE)
        return cls(parent_hash, number, state_root, extrinsics_root, read_vector(reader, DigestItem.read))

    @classmethod
    def from_bytes(cls, data: bytes) -> DomainHeader:
        return decode_exactly(data, "DomainHeader", cls.read)
