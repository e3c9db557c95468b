"""Segment headers and the segment chain (Subspace `segments.rs`, `SegmentHeader`).

Each archived segment gets a header naming its commitment, its parent's header hash and how far
block archiving got. Segment N+1 starts with segment N's header, so the headers form a hash chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import blake3

from autonomys.protocol.codec import Reader, encode_u8, encode_u32, encode_u64
from autonomys.protocol.constants import BLAKE3_HASH_SIZE, SEGMENT_COMMITMENT_SIZE
from autonomys.protocol.errors import DecodeError, InvalidSegmentHeader
from autonomys.protocol.types import U32, Blake3Hash, BlockNumber, SegmentCommitment, SegmentIndex

SEGMENT_HEADER_VERSION_V0 = 0
ARCHIVED_PROGRESS_COMPLETE = 0
ARCHIVED_PROGRESS_PARTIAL = 1
# 0x00 | index u64 | commitment [48] | prev hash [32] | number u32 | progress tag (+ u32 when partial).
SEGMENT_HEADER_COMPLETE_SIZE = 1 + 8 + SEGMENT_COMMITMENT_SIZE + BLAKE3_HASH_SIZE + 4 + 1
SEGMENT_HEADER_PARTIAL_SIZE = SEGMENT_HEADER_COMPLETE_SIZE + 4


@dataclass(frozen=True, slots=True)
class LastArchivedBlock:
    """The last block archiving reached and how much of it is archived."""

    number: BlockNumber
    partial_bytes: U32 | None
    """None when the block is archived completely (Complete); else its bytes archived so far (Partial)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "number", BlockNumber(self.number))
        if self.partial_bytes is not None:
            object.__setattr__(self, "partial_bytes", U32(self.partial_bytes))

    @property
    def is_complete(self) -> bool:
        """True when the whole block is archived."""
        return self.partial_bytes is None

    def to_bytes(self) -> bytes:
        """number u32 LE | 0x00 (Complete) or 0x01 | bytes u32 LE (Partial)."""
        if self.partial_bytes is None:
            return encode_u32(self.number) + encode_u8(ARCHIVED_PROGRESS_COMPLETE)
        return encode_u32(self.number) + encode_u8(ARCHIVED_PROGRESS_PARTIAL) + encode_u32(self.partial_bytes)


# Before any block is archived: "0 bytes of block 0" (the reference's INITIAL_LAST_ARCHIVED_BLOCK).
INITIAL_LAST_ARCHIVED_BLOCK = LastArchivedBlock(BlockNumber(0), U32(0))


def read_last_archived_block(reader: Reader) -> LastArchivedBlock:
    """Decode a LastArchivedBlock; an unknown progress variant raises DecodeError."""
    number = BlockNumber(reader.read_u32())
    tag = reader.read_u8()
    if tag == ARCHIVED_PROGRESS_COMPLETE:
        return LastArchivedBlock(number, None)
    if tag == ARCHIVED_PROGRESS_PARTIAL:
        return LastArchivedBlock(number, U32(reader.read_u32()))
    msg = f"ArchivedBlockProgress: unknown variant {tag}"
    raise DecodeError(msg)


@dataclass(frozen=True, slots=True)
class SegmentHeader:
    """SegmentHeader::V0: 94 bytes when the last block is complete, 98 when partial."""

    segment_index: SegmentIndex
    segment_commitment: SegmentCommitment
    prev_segment_header_hash: Blake3Hash
    """blake3 of the parent segment's header; all zeros for segment 0."""
    last_archived_block: LastArchivedBlock

    def __post_init__(self) -> None:
        object.__setattr__(self, "segment_index", SegmentIndex(self.segment_index))
        object.__setattr__(self, "segment_commitment", SegmentCommitment(self.segment_commitment))
        object.__setattr__(self, "prev_segment_header_hash", Blake3Hash(self.prev_segment_header_hash))

    def to_bytes(self) -> bytes:
        """The SCALE encoding: 0x00 | index | commitment | prev hash | last archived block."""
        return (
            encode_u8(SEGMENT_HEADER_VERSION_V0)
            + encode_u64(self.segment_index)
            + self.segment_commitment
            + self.prev_segment_header_hash
            + self.last_archived_block.to_bytes()
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> SegmentHeader:
        """Decode exactly one header; a wrong variant, short input or trailing bytes raise DecodeError."""
        reader = Reader(data, "SegmentHeader")
        header = read_segment_header(reader)
        reader.expect_end()
        return header

    def hash(self) -> Blake3Hash:
        """blake3 of the SCALE encoding: what the next header names as its parent."""
        return Blake3Hash(blake3.blake3(self.to_bytes()).digest())


def read_segment_header(reader: Reader) -> SegmentHeader:
    """Decode a SegmentHeader from the reader's position (also used inside segment items)."""
    version = reader.read_u8()
    if version != SEGMENT_HEADER_VERSION_V0:
        msg = f"SegmentHeader: unknown variant {version}"
        raise DecodeError(msg)
    segment_index = SegmentIndex(reader.read_u64())
    commitment = SegmentCommitment(reader.read_bytes(SEGMENT_COMMITMENT_SIZE))
    prev_hash = Blake3Hash(reader.read_bytes(BLAKE3_HASH_SIZE))
    return SegmentHeader(segment_index, commitment, prev_hash, read_last_archived_block(reader))


def validate_first_segment_header(header: SegmentHeader) -> None:
    """Raise InvalidSegmentHeader unless the header is segment 0 with an all-zero parent hash."""
    # Segment 0 has no parent: the chain starts at index 0 from the zero hash.
    if header.segment_index != 0:
        msg = f"first segment header has index {header.segment_index}, expected 0"
        raise InvalidSegmentHeader(msg)
    if header.prev_segment_header_hash != bytes(BLAKE3_HASH_SIZE):
        msg = f"segment 0 names parent {header.prev_segment_header_hash.hex()}, expected all zeros"
        raise InvalidSegmentHeader(msg)


def validate_segment_header_chain(header: SegmentHeader, parent: SegmentHeader) -> None:
    """Raise InvalidSegmentHeader unless `header` directly follows `parent` in the segment chain."""
    # Segment indexes grow by exactly one.
    if header.segment_index != parent.segment_index + 1:
        msg = f"segment {header.segment_index} does not follow segment {parent.segment_index}"
        raise InvalidSegmentHeader(msg)
    # Each header commits to its parent by hash.
    if header.prev_segment_header_hash != parent.hash():
        msg = (
            f"segment {header.segment_index} names parent {header.prev_segment_header_hash.hex()}, "
            f"but segment {parent.segment_index} hashes to {parent.hash().hex()}"
        )
        raise InvalidSegmentHeader(msg)
