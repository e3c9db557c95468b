"""protocol.archiving.pieces: the piece-index arithmetic of `pieces.rs` and `segments.rs`, reproducing the tuples
of the reference's `subspace-core-primitives/src/tests.rs`."""

from __future__ import annotations

import pytest

from autonomys.protocol.archiving.pieces import (
    compute_first_piece_index,
    compute_history_segment_index,
    compute_history_size_in_pieces,
    compute_history_size_of_segment,
    compute_last_piece_index,
    compute_next_source_piece_index,
    compute_piece_index_from_source_position,
    compute_piece_position,
    compute_piece_segment_index,
    compute_sector_expiration_check,
    compute_segment_piece_indexes,
    compute_segment_piece_indexes_source_first,
    compute_source_position,
    is_source_piece,
)
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import InvalidPiece
from autonomys.protocol.params import MAINNET, MINIMAL
from autonomys.protocol.types import HistorySize, PieceIndex, PieceOffset, SegmentIndex

# The reference's source pieces (subspace-core-primitives `tests.rs`):
# (piece_index, position, source_position, segment_index, next_source_index).
T6_SOURCE = [
    (0, 0, 0, 0, 2),
    (2, 2, 1, 0, 4),
    (126, 126, 63, 0, 128),
    (128, 128, 64, 0, 130),
    (252, 252, 126, 0, 254),
    (254, 254, 127, 0, 256),
    (256, 0, 0, 1, 258),
    (510, 254, 127, 1, 512),
    (512, 0, 0, 2, 514),
    (U64_MAX // 4 - 1, 254, 127, U64_MAX // 1024, U64_MAX // 4 + 1),
]
# The reference's parity pieces (subspace-core-primitives `tests.rs`): (piece_index, position, segment_index).
T6_PARITY = [
    (1, 1, 0),
    (3, 3, 0),
    (127, 127, 0),
    (129, 129, 0),
    (253, 253, 0),
    (255, 255, 0),
    (257, 1, 1),
    (511, 255, 1),
    (513, 1, 2),
    (U64_MAX // 4, 255, U64_MAX // 1024),
]


@pytest.mark.parametrize(("index", "position", "source_position", "segment", "next_source"), T6_SOURCE)
def test_source_pieces(index: int, position: int, source_position: int, segment: int, next_source: int) -> None:
    piece_index = PieceIndex(index)
    assert is_source_piece(piece_index, MAINNET)
    assert compute_piece_position(piece_index, MAINNET) == position
    assert compute_source_position(piece_index, MAINNET) == source_position
    assert compute_piece_segment_index(piece_index, MAINNET) == segment
    assert compute_next_source_piece_index(piece_index, MAINNET) == next_source
    assert compute_piece_index_from_source_position(source_position, SegmentIndex(segment), MAINNET) == index


@pytest.mark.parametrize(("index", "position", "segment"), T6_PARITY)
def test_parity_pieces(index: int, position: int, segment: int) -> None:
    piece_index = PieceIndex(index)
    assert not is_source_piece(piece_index, MAINNET)
    assert compute_piece_position(piece_index, MAINNET) == position
    assert compute_piece_segment_index(piece_index, MAINNET) == segment
    with pytest.raises(InvalidPiece, match="parity piece"):
        compute_source_position(piece_index, MAINNET)
    with pytest.raises(InvalidPiece):
        compute_next_source_piece_index(piece_index, MAINNET)


def test_segment_piece_ranges() -> None:
    assert compute_first_piece_index(SegmentIndex(3), MAINNET) == 768
    assert compute_last_piece_index(SegmentIndex(3), MAINNET) == 1023
    assert compute_segment_piece_indexes(SegmentIndex(1), MINIMAL) == tuple(range(16, 32))
    source_first = compute_segment_piece_indexes_source_first(SegmentIndex(1), MINIMAL)
    assert source_first == (16, 18, 20, 22, 24, 26, 28, 30, 17, 19, 21, 23, 25, 27, 29, 31)
    mainnet_order = compute_segment_piece_indexes_source_first(SegmentIndex(0), MAINNET)
    assert mainnet_order[:3] == (0, 2, 4)
    assert mainnet_order[127:130] == (254, 1, 3)
    assert len(set(mainnet_order)) == 256


def test_minimal_pieces_roll_over_after_sixteen() -> None:
    assert compute_next_source_piece_index(PieceIndex(14), MINIMAL) == 16
    assert compute_piece_segment_index(PieceIndex(16), MINIMAL) == 1
    assert compute_piece_index_from_source_position(8, SegmentIndex(0), MINIMAL) == 16


def test_history_size() -> None:
    assert compute_history_size_of_segment(SegmentIndex(0)) == 1
    assert compute_history_segment_index(HistorySize(5)) == 4
    assert compute_history_size_in_pieces(HistorySize(5), MAINNET) == 1280
    assert compute_history_size_in_pieces(HistorySize(U64_MAX), MAINNET) == U64_MAX
    assert compute_sector_expiration_check(HistorySize(10), HistorySize(4)) == 14
    assert compute_sector_expiration_check(HistorySize(U64_MAX), HistorySize(1)) is None


def test_index_newtypes_are_sized() -> None:
    with pytest.raises(OverflowError, match="below its minimum 1"):
        HistorySize(0)
    with pytest.raises(OverflowError, match="does not fit in u16"):
        PieceOffset(2**16)
    with pytest.raises(OverflowError, match="does not fit in u64"):
        compute_first_piece_index(SegmentIndex(U64_MAX // 256 + 1), MAINNET)
    with pytest.raises(TypeError):
        PieceIndex(True)
