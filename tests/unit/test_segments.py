"""protocol.archiving.segments: SegmentHeader golden bytes, hashing, strict decoding and the header chain
(`segments.rs`)."""

from __future__ import annotations

import blake3
import pytest

from autonomys.protocol.archiving.segments import (
    INITIAL_LAST_ARCHIVED_BLOCK,
    LastArchivedBlock,
    SegmentHeader,
    validate_first_segment_header,
    validate_segment_header_chain,
)
from autonomys.protocol.errors import DecodeError, InvalidSegmentHeader

COMMITMENT = bytes([0x11]) * 48
PARENT_HASH = bytes([0x22]) * 32
PARTIAL_HEADER = SegmentHeader(1, COMMITMENT, PARENT_HASH, LastArchivedBlock(7, 5))
PARTIAL_HEX = "00" + "0100000000000000" + "11" * 48 + "22" * 32 + "07000000" + "01" + "05000000"
COMPLETE_HEADER = SegmentHeader(2**64 - 1, COMMITMENT, PARENT_HASH, LastArchivedBlock(2**32 - 1, None))
COMPLETE_HEX = "00" + "ff" * 8 + "11" * 48 + "22" * 32 + "ffffffff" + "00"


def test_golden_bytes_and_sizes() -> None:
    assert PARTIAL_HEADER.to_bytes().hex() == PARTIAL_HEX
    assert len(PARTIAL_HEADER.to_bytes()) == 98
    assert COMPLETE_HEADER.to_bytes().hex() == COMPLETE_HEX
    assert len(COMPLETE_HEADER.to_bytes()) == 94


def test_round_trip_and_hash() -> None:
    for header in (PARTIAL_HEADER, COMPLETE_HEADER):
        assert SegmentHeader.from_bytes(header.to_bytes()) == header
        assert header.hash() == blake3.blake3(header.to_bytes()).digest()
    assert INITIAL_LAST_ARCHIVED_BLOCK == LastArchivedBlock(0, 0)
    assert not INITIAL_LAST_ARCHIVED_BLOCK.is_complete


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes.fromhex("01" + PARTIAL_HEX[2:]), "SegmentHeader: unknown variant 1"),
        (bytes.fromhex(PARTIAL_HEX[:-2]), "needs 98 bytes, got 97"),
        (bytes.fromhex(PARTIAL_HEX + "00"), "1 trailing bytes"),
        (bytes.fromhex(COMPLETE_HEX[:-2] + "02"), "ArchivedBlockProgress: unknown variant 2"),
        (bytes.fromhex(COMPLETE_HEX[:-2]), "needs 94 bytes, got 93"),
        (b"", "needs 1 bytes, got 0"),
    ],
)
def test_malformed_headers_are_rejected(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        SegmentHeader.from_bytes(data)


def test_wrong_field_sizes_are_rejected() -> None:
    with pytest.raises(DecodeError, match="SegmentCommitment must be 48 bytes"):
        SegmentHeader(0, bytes(47), PARENT_HASH, INITIAL_LAST_ARCHIVED_BLOCK)
    with pytest.raises(OverflowError):
        LastArchivedBlock(2**32, None)


def test_header_chain() -> None:
    genesis = SegmentHeader(0, COMMITMENT, bytes(32), LastArchivedBlock(3, None))
    validate_first_segment_header(genesis)
    child = SegmentHeader(1, COMMITMENT, genesis.hash(), LastArchivedBlock(9, 100))
    validate_segment_header_chain(child, genesis)
    with pytest.raises(InvalidSegmentHeader, match="segment 2 does not follow segment 0"):
        validate_segment_header_chain(SegmentHeader(2, COMMITMENT, genesis.hash(), child.last_archived_block), genesis)
    with pytest.raises(InvalidSegmentHeader, match="names parent 2222"):
        validate_segment_header_chain(PARTIAL_HEADER, genesis)
    with pytest.raises(InvalidSegmentHeader, match="expected 0"):
        validate_first_segment_header(child)
    with pytest.raises(InvalidSegmentHeader, match="expected all zeros"):
        validate_first_segment_header(SegmentHeader(0, COMMITMENT, PARENT_HASH, genesis.last_archived_block))
