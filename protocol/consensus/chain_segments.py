"""Which segment headers a block carries: exactly those the importing node's own archive produced for it.

The reference includes each segment header in the block `confirmation_depth_k + 1` after the block whose
archiving produced it (sc-consensus-subspace, `SegmentHeadersStore::segment_headers_for_block`, keyed there by
the header's `last_archived_block`), and the runtime's `check_inherents` rejects a block whose
`store_segment_headers` list differs from the importing node's (pallet-subspace, `IncorrectSegmentHeadersList`).
So no author can record history the importer did not archive itself: a forged commitment, a header of a
segment not yet archived, a missing or an extra header, or a reordered list is rejected.

We key by the block whose archiving produced the headers. That equals the reference's key except for a segment
that closes on padding before the confirming block's bytes (its last archived block is the one before): the
reference would ask for that header in the very block whose import made the archiver produce it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.errors import InvalidSegmentHeaders, UnknownSegmentHeaders
from autonomys.protocol.params import Params

SEGMENT_HEADERS_MISSING: Final = "missing"
SEGMENT_HEADERS_EXTRA: Final = "extra"
SEGMENT_HEADERS_CHANGED: Final = "changed"
SEGMENT_HEADERS_REORDERED: Final = "reordered"
SEGMENT_HEADER_REASONS: Final = (
    SEGMENT_HEADERS_MISSING,
    SEGMENT_HEADERS_EXTRA,
    SEGMENT_HEADERS_CHANGED,
    SEGMENT_HEADERS_REORDERED,
)

ArchivedSegmentHeaders = Callable[[int], Sequence[SegmentHeader] | None]
"""The segment headers this node's archive produced when it archived block `number` (empty when none), or None
when this node has not archived that block yet."""


def compute_segment_headers_source(block_number: int, params: Params) -> int | None:
    """The block whose archived segments block `block_number` records: block_number − confirmation_depth_k − 1;
    None when that is not after genesis (the segments of block 0 are recorded in the genesis state)."""
    source = block_number - params.confirmation_depth_k - 1
    return source if source >= 1 else None


def get_expected_segment_headers(
    block_number: int, archived: ArchivedSegmentHeaders, params: Params
) -> tuple[SegmentHeader, ...]:
    """The segment headers block `block_number` must carry; UnknownSegmentHeaders while the importer has not
    archived their source block."""
    source = compute_segment_headers_source(block_number, params)
    if source is None:
        return ()
    headers = archived(source)
    if headers is None:
        msg = f"block {block_number} records the segments of block {source}, which this node has not archived yet"
        raise UnknownSegmentHeaders(msg)
    return tuple(headers)


def compute_segment_headers_difference(found: Sequence[SegmentHeader], expected: Sequence[SegmentHeader]) -> str | None:
    """How `found` differs from `expected` (one of SEGMENT_HEADER_REASONS), None when they are equal."""
    found, expected = tuple(found), tuple(expected)
    if found == expected:
        return None
    if len(found) < len(expected):
        return SEGMENT_HEADERS_MISSING
    if len(found) > len(expected):
        return SEGMENT_HEADERS_EXTRA
    if sorted(header.to_bytes() for header in found) == sorted(header.to_bytes() for header in expected):
        return SEGMENT_HEADERS_REORDERED
    return SEGMENT_HEADERS_CHANGED


def validate_segment_headers(
    block_number: int, found: Sequence[SegmentHeader], archived: ArchivedSegmentHeaders, params: Params
) -> None:
    """Raise InvalidSegmentHeaders unless block `block_number` carries exactly the expected headers (or
    UnknownSegmentHeaders when they are not known here yet)."""
    expected = get_expected_segment_headers(block_number, archived, params)
    reason = compute_segment_headers_difference(found, expected)
    if reason is not None:
        found_indexes = [int(header.segment_index) for header in found]
        expected_indexes = [int(header.segment_index) for header in expected]
        detail = f"block {block_number} carries segments {found_indexes}, this node archived {expected_indexes}"
        raise InvalidSegmentHeaders(reason, detail)
