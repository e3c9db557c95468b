"""Filling segments with blocks: the archiver's state machine (Subspace `archiver.rs`, `produce_segment`).

The archiver owns no commitments: a produced segment waits for its header, which the caller builds
from the segment commitment it computes (KZG over the erasure-coded records). One block may fill
several segments, so an actor loops:

    state = add_block(state, block)
    while (produced := produce_segment(state, params)) is not None:
        header = compute_segment_header(produced, commitment_of(encode_segment(produced.items, params)))
        state = next_state_after_segment(produced, header)

Each state is a frozen value; the functions return new ones and never mutate their arguments.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from autonomys.protocol.archiving.segment_encoding import (
    BlockBytes,
    BlockContinuationItem,
    BlockItem,
    BlockStartItem,
    ParentSegmentHeaderItem,
    SegmentItem,
    compute_item_encoded_size,
)
from autonomys.protocol.archiving.segments import INITIAL_LAST_ARCHIVED_BLOCK, LastArchivedBlock, SegmentHeader
from autonomys.protocol.constants import BLAKE3_HASH_SIZE, U32_MAX
from autonomys.protocol.errors import InvalidBlock, InvalidSegment, InvalidSegmentHeader
from autonomys.protocol.params import Params
from autonomys.protocol.types import U32, Blake3Hash, BlockNumber, SegmentCommitment, SegmentIndex

# A segment stops taking items 2 bytes short of full: the smallest item (variant + length) takes 2.
SMALLEST_ITEM_SIZE = 2


@dataclass(frozen=True, slots=True)
class ArchiverState:
    """Everything the archiver carries between blocks."""

    segment_index: SegmentIndex
    """Index of the next segment to produce."""
    prev_segment_header_hash: Blake3Hash
    """Hash of the last produced segment's header (zeros before segment 0)."""
    last_archived_block: LastArchivedBlock
    """Progress as of the last produced segment."""
    pending_items: tuple[SegmentItem, ...]
    """Items for the next segment, in order: parent header, continuation of a cut block, whole blocks."""
    pending_size: int
    """Encoded size of pending_items; kept by the functions below so a segment check is O(1)."""


@dataclass(frozen=True, slots=True)
class ProducedSegment:
    """A filled segment waiting for its header, and the items left over for the next one."""

    segment_index: SegmentIndex
    prev_segment_header_hash: Blake3Hash
    last_archived_block: LastArchivedBlock
    """The progress the segment's header must carry."""
    items: tuple[SegmentItem, ...]
    """The segment's items; encode_segment(items, params) gives its recorded-history bytes."""
    remaining_items: tuple[SegmentItem, ...]
    remaining_size: int


def initial_archiver_state() -> ArchiverState:
    """The state before the first block: segment 0, zero parent hash, 0 bytes of block 0 archived."""
    return ArchiverState(SegmentIndex(0), Blake3Hash(bytes(BLAKE3_HASH_SIZE)), INITIAL_LAST_ARCHIVED_BLOCK, (), 0)


def add_block(state: ArchiverState, block: BlockBytes) -> ArchiverState:
    """The state with an encoded block appended to the pending items; InvalidBlock if its length exceeds u32."""
    # Block lengths and archived byte counts are u32 in segment headers.
    if len(block) > U32_MAX:
        msg = f"block of {len(block)} bytes does not fit a u32 length"
        raise InvalidBlock(msg)
    return _with_pending(state, (*state.pending_items, BlockItem(block)), state.pending_size + _size_of_block(block))


def is_segment_ready(state: ArchiverState, params: Params) -> bool:
    """True when the pending items fill a segment (up to the last 2 bytes, which no item can use)."""
    return 1 + state.pending_size >= params.recorded_history_segment_size - SMALLEST_ITEM_SIZE


def produce_segment(state: ArchiverState, params: Params) -> ProducedSegment | None:
    """Fill the next segment from the pending items, cutting the last block at the boundary; None if too little data."""
    if not is_segment_ready(state, params):
        return None
    limit = params.recorded_history_segment_size
    items, size = _take_items(state.pending_items, limit)
    remaining = state.pending_items[len(items) :]
    last_archived_block = _advance_over_items(state.last_archived_block, items)
    remaining_size = state.pending_size - (size - 1)
    spill = size - limit
    if spill <= 0:
        # Nothing crossed the boundary: the last block in the segment is whole.
        last_archived_block = dataclasses.replace(last_archived_block, partial_bytes=None)
    else:
        head, tail, last_archived_block = _cut_last_item(items[-1], spill, last_archived_block)
        items = (*items[:-1], head)
        remaining = (tail, *remaining)
        remaining_size += compute_item_encoded_size(tail)
    return ProducedSegment(
        state.segment_index, state.prev_segment_header_hash, last_archived_block, items, remaining, remaining_size
    )


def compute_segment_header(produced: ProducedSegment, segment_commitment: SegmentCommitment) -> SegmentHeader:
    """The header of a produced segment, given the commitment the caller computed over its records."""
    return SegmentHeader(
        produced.segment_index, segment_commitment, produced.prev_segment_header_hash, produced.last_archived_block
    )


def next_state_after_segment(produced: ProducedSegment, header: SegmentHeader) -> ArchiverState:
    """The state after a produced segment: its header heads the pending items of the next one."""
    validate_produced_segment_header(produced, header)
    parent = ParentSegmentHeaderItem(header)
    return ArchiverState(
        SegmentIndex(produced.segment_index + 1),
        header.hash(),
        produced.last_archived_block,
        (parent, *produced.remaining_items),
        produced.remaining_size + compute_item_encoded_size(parent),
    )


def validate_produced_segment_header(produced: ProducedSegment, header: SegmentHeader) -> None:
    """Raise InvalidSegmentHeader unless the header describes the produced segment."""
    # Index, parent hash and progress are fixed by the archiver; only the commitment comes from outside.
    expected = (produced.segment_index, produced.prev_segment_header_hash, produced.last_archived_block)
    actual = (header.segment_index, header.prev_segment_header_hash, header.last_archived_block)
    if actual != expected:
        msg = f"header (index, parent, progress) = {actual} does not describe the produced segment {expected}"
        raise InvalidSegmentHeader(msg)


def restore_archiver_state(header: SegmentHeader, last_block: BlockBytes = b"") -> ArchiverState:
    """The state right after the segment `header` describes; `last_block` is the block it names (needed if partial)."""
    pending: tuple[SegmentItem, ...] = (ParentSegmentHeaderItem(header),)
    archived = header.last_archived_block.partial_bytes
    if archived is not None:
        # Only the unarchived tail of a partially archived block is still pending.
        if len(last_block) <= archived:
            msg = f"block of {len(last_block)} bytes cannot continue after {archived} archived bytes"
            raise InvalidBlock(msg)
        pending = (*pending, BlockContinuationItem(last_block[archived:]))
    size = sum(compute_item_encoded_size(item) for item in pending)
    return ArchiverState(
        SegmentIndex(header.segment_index + 1), header.hash(), header.last_archived_block, pending, size
    )


def _with_pending(state: ArchiverState, pending: tuple[SegmentItem, ...], size: int) -> ArchiverState:
    return dataclasses.replace(state, pending_items=pending, pending_size=size)


def _size_of_block(block: BlockBytes) -> int:
    return compute_item_encoded_size(BlockItem(block))


def _take_items(pending: tuple[SegmentItem, ...], limit: int) -> tuple[tuple[SegmentItem, ...], int]:
    """The leading pending items that go into the segment, and the encoded size (from 1) they reach."""
    size = 1
    count = 0
    while size < limit - SMALLEST_ITEM_SIZE:
        # pending_size promised enough items; running out means the state was built by hand, wrongly.
        if count == len(pending):
            msg = f"pending items end at {size} bytes, short of the {limit}-byte segment pending_size promised"
            raise InvalidSegment(msg)
        item = pending[count]
        next_size = size + compute_item_encoded_size(item)
        # An item whose overflow exceeds its payload cannot be cut (the length prefix alone overflows): leave it.
        if next_size >= limit and next_size - limit > _payload_length(item):
            break
        size = next_size
        count += 1
    return pending[:count], size


def _payload_length(item: SegmentItem) -> int:
    if isinstance(item, BlockItem | BlockContinuationItem):
        return len(item.data)
    # Only blocks and continuations are pending besides the parent header, which always fits.
    msg = f"{type(item).__name__} cannot cross a segment boundary"
    raise InvalidSegment(msg)


def _advance_over_items(progress: LastArchivedBlock, items: tuple[SegmentItem, ...]) -> LastArchivedBlock:
    """Progress after the items, counting each as archived whole (a cut is corrected afterwards)."""
    for item in items:
        if isinstance(item, BlockItem):
            # The very first block ever is block 0, which the initial progress already names.
            number = progress.number if progress == INITIAL_LAST_ARCHIVED_BLOCK else progress.number + 1
            progress = LastArchivedBlock(BlockNumber(number), None)
        elif isinstance(item, BlockContinuationItem):
            progress = LastArchivedBlock(progress.number, U32(_archived_bytes(progress) + len(item.data)))
    return progress


def _archived_bytes(progress: LastArchivedBlock) -> int:
    # A continuation only follows a partially archived block.
    if progress.partial_bytes is None:
        msg = f"block continuation after block {progress.number}, which is archived completely"
        raise InvalidSegment(msg)
    return progress.partial_bytes


def _cut_last_item(
    item: SegmentItem, spill: int, progress: LastArchivedBlock
) -> tuple[SegmentItem, BlockContinuationItem, LastArchivedBlock]:
    """Split the segment's last item so `spill` payload bytes move to a continuation; return the progress after."""
    if isinstance(item, BlockItem):
        split = len(item.data) - spill
        head_progress = LastArchivedBlock(progress.number, U32(split))
        return BlockStartItem(item.data[:split]), BlockContinuationItem(item.data[split:]), head_progress
    if isinstance(item, BlockContinuationItem):
        split = len(item.data) - spill
        head_progress = LastArchivedBlock(progress.number, U32(_archived_bytes(progress) - spill))
        return BlockContinuationItem(item.data[:split]), BlockContinuationItem(item.data[split:]), head_progress
    msg = f"{type(item).__name__} cannot cross a segment boundary"
    raise InvalidSegment(msg)
