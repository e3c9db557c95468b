"""Sized integer and byte newtypes: a value out of range raises where the C width would overflow."""

from __future__ import annotations

from typing import ClassVar, Self

from autonomys.protocol.constants import G1_COMPRESSED_SIZE
from autonomys.protocol.errors import DecodeError


class BoundedInt(int):
    """A non-negative integer that must fit in BITS bits (and be at least MIN, 1 for NonZero types)."""

    BITS: ClassVar[int] = 64
    MIN: ClassVar[int] = 0

    def __new__(cls, value: int) -> Self:
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"{cls.__name__} must be an int, got {type(value).__name__}"
            raise TypeError(msg)
        if not 0 <= value < (1 << cls.BITS):
            msg = f"{cls.__name__}={value} does not fit in u{cls.BITS}"
            raise OverflowError(msg)
        if value < cls.MIN:
            msg = f"{cls.__name__}={value} is below its minimum {cls.MIN}"
            raise OverflowError(msg)
        return super().__new__(cls, value)


class FixedBytes(bytes):
    """Bytes of exactly SIZE length."""

    SIZE: ClassVar[int] = 0

    def __new__(cls, value: bytes | bytearray | memoryview) -> Self:
        data = bytes(value)
        if len(data) != cls.SIZE:
            msg = f"{cls.__name__} must be {cls.SIZE} bytes, got {len(data)}"
            raise DecodeError(msg)
        return super().__new__(cls, data)

    @classmethod
    def from_hex(cls, text: str) -> Self:
        """Parse hex (an optional 0x prefix is accepted)."""
        cleaned = text.strip().removeprefix("0x")
        try:
            data = bytes.fromhex(cleaned)
        except ValueError as error:
            msg = f"{cls.__name__}: not hex: {text!r}"
            raise DecodeError(msg) from error
        return cls(data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.hex()})"


class SlotNumber(BoundedInt):
    BITS = 64


class BlockNumber(BoundedInt):
    BITS = 32


class SlotIterations(BoundedInt):
    """AES iterations in one PoT slot (NonZeroU32 on the wire)."""

    BITS = 32


class Blake3Hash(FixedBytes):
    SIZE = 32


class Randomness(FixedBytes):
    SIZE = 32


class U32(BoundedInt):
    """A plain u32 on the wire (for example the archived byte count of a partially archived block)."""

    BITS = 32


class PieceIndex(BoundedInt):
    """Global index of a piece: segment_index * pieces per segment + position (u64, LE on the wire)."""

    BITS = 64


class SegmentIndex(BoundedInt):
    """Index of an archived segment (u64)."""

    BITS = 64


class PieceOffset(BoundedInt):
    """Index of a piece inside a sector (u16)."""

    BITS = 16


class HistorySize(BoundedInt):
    """Number of archived segments, last segment index + 1 (NonZeroU64)."""

    BITS = 64
    MIN = 1


class SegmentCommitment(FixedBytes):
    """KZG commitment to a segment's record-commitment hashes (compressed G1)."""

    SIZE = G1_COMPRESSED_SIZE


class SectorIndex(BoundedInt):
    """Index of a sector among a farmer's sectors (u16)."""

    BITS = 16


class SectorId(FixedBytes):
    """blake3_keyed(public_key_hash, sector_index u16 LE || history_size u64 LE): a sector's identity."""

    SIZE = 32


class SBucket(BoundedInt):
    """Index of an s-bucket: a point of a record's extended (erasure-coded) chunks (u16)."""

    BITS = 16
