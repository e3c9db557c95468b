"""Piece and segment index arithmetic (Subspace `pieces.rs`, `segments.rs`).

A segment's pieces are numbered segment_index * num_pieces + position. Source and parity pieces
interleave (source first): with the (1, 2) coding rate the even positions are source pieces. Every
function takes the sizes from Params, so MINIMAL segments number their pieces the same way.
"""

from __future__ import annotations

from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import InvalidPiece
from autonomys.protocol.params import Params
from autonomys.protocol.types import HistorySize, PieceIndex, SegmentIndex


def compute_piece_segment_index(piece_index: PieceIndex, params: Params) -> SegmentIndex:
    """The segment a piece belongs to."""
    return SegmentIndex(PieceIndex(piece_index) // params.num_pieces)


def compute_piece_position(piece_index: PieceIndex, params: Params) -> int:
    """The piece's position inside its segment, 0..num_pieces-1."""
    return PieceIndex(piece_index) % params.num_pieces


def is_source_piece(piece_index: PieceIndex, params: Params) -> bool:
    """True for a source piece: source pieces come first in each group of `all` interleaved pieces."""
    source, total = params.erasure_coding_rate
    return PieceIndex(piece_index) % total < source


def compute_source_position(piece_index: PieceIndex, params: Params) -> int:
    """Position of a source piece among its segment's source pieces; InvalidPiece for a parity piece."""
    # Only source pieces carry segment data; the reference asserts this.
    if not is_source_piece(piece_index, params):
        msg = f"piece {piece_index} is a parity piece and has no source position"
        raise InvalidPiece(msg)
    source, total = params.erasure_coding_rate
    position = compute_piece_position(piece_index, params)
    return position // total * source + position % total


def compute_piece_index_from_source_position(
    source_position: int, segment_index: SegmentIndex, params: Params
) -> PieceIndex:
    """The piece at `source_position` of a segment; positions past the last roll into the next segment."""
    source, total = params.erasure_coding_rate
    start = source_position // source * total
    return PieceIndex(compute_first_piece_index(segment_index, params) + start + source_position % source)


def compute_next_source_piece_index(piece_index: PieceIndex, params: Params) -> PieceIndex:
    """The next source piece after a source piece (rolling over into the next segment)."""
    source_position = compute_source_position(piece_index, params)
    segment_index = compute_piece_segment_index(piece_index, params)
    return compute_piece_index_from_source_position(source_position + 1, segment_index, params)


def compute_first_piece_index(segment_index: SegmentIndex, params: Params) -> PieceIndex:
    """The index of a segment's first piece."""
    return PieceIndex(SegmentIndex(segment_index) * params.num_pieces)


def compute_last_piece_index(segment_index: SegmentIndex, params: Params) -> PieceIndex:
    """The index of a segment's last piece."""
    return PieceIndex(compute_first_piece_index(segment_index, params) + params.num_pieces - 1)


def compute_segment_piece_indexes(segment_index: SegmentIndex, params: Params) -> tuple[PieceIndex, ...]:
    """All piece indexes of a segment in position order."""
    first = compute_first_piece_index(segment_index, params)
    return tuple(PieceIndex(first + position) for position in range(params.num_pieces))


def compute_segment_piece_indexes_source_first(segment_index: SegmentIndex, params: Params) -> tuple[PieceIndex, ...]:
    """A segment's piece indexes with every source piece first, then every parity piece, each in order."""
    indexes = compute_segment_piece_indexes(segment_index, params)
    source = tuple(index for index in indexes if is_source_piece(index, params))
    parity = tuple(index for index in indexes if not is_source_piece(index, params))
    return source + parity


def compute_history_size_of_segment(segment_index: SegmentIndex) -> HistorySize:
    """The history size once `segment_index` is archived: segment_index + 1."""
    return HistorySize(SegmentIndex(segment_index) + 1)


def compute_history_size_in_pieces(history_size: HistorySize, params: Params) -> int:
    """Pieces in a history of `history_size` segments, saturating at u64::MAX as the reference does."""
    return min(HistorySize(history_size) * params.num_pieces, U64_MAX)


def compute_history_segment_index(history_size: HistorySize) -> SegmentIndex:
    """The last segment index of a history: history_size - 1."""
    return SegmentIndex(HistorySize(history_size) - 1)


def compute_sector_expiration_check(history_size: HistorySize, min_sector_lifetime: HistorySize) -> HistorySize | None:
    """History size at which a sector's expiration is checked: history_size + min_sector_lifetime; None on u64 overflow."""
    total = HistorySize(history_size) + HistorySize(min_sector_lifetime)
    if total > U64_MAX:
        return None
    return HistorySize(total)
