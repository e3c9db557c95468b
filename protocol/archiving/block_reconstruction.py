"""Blocks back out of recorded-history segments (Subspace `reconstructor.rs`, `Reconstructor`).

Segments are added in order. A block cut at a segment boundary is kept as a partial block until
its continuation arrives; a block is returned once it is known to be whole: when the next block
starts, or when the next segment's parent header says it was archived completely. Blocks come
with their numbers, which segment headers anchor (segment 0 starts at block 0).

Unlike the reference, a continuation completed at the very end of a segment is numbered by the
parent header that confirms it, and no empty block is returned when that header says Complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from autonomys.protocol.archiving.segment_encoding import (
    BlockContinuationItem,
    BlockItem,
    BlockStartItem,
    ParentSegmentHeaderItem,
    SegmentItem,
    decode_segment,
)
from autonomys.protocol.archiving.segments import SegmentHeader, validate_segment_header_chain
from autonomys.protocol.errors import InvalidSegmentHeader
from autonomys.protocol.params import Params
from autonomys.protocol.types import BlockNumber, SegmentIndex


@dataclass(frozen=True, slots=True)
class PartialBlock:
    """The bytes so far of a block whose continuation is in a later segment."""

    number: BlockNumber
    data: bytes


@dataclass(frozen=True, slots=True)
class ReconstructorState:
    """What the reconstructor carries from one segment to the next."""

    last_segment_index: SegmentIndex | None
    """Index of the last segment added; None before the first."""
    last_parent_header: SegmentHeader | None
    """The parent header found in the last segment added (None for segment 0)."""
    partial_block: PartialBlock | None


@dataclass(frozen=True, slots=True)
class ReconstructedContents:
    """What one segment yields."""

    parent_header: SegmentHeader | None
    """The header of the previous segment, carried at this segment's start (None for segment 0)."""
    blocks: tuple[tuple[BlockNumber, bytes], ...]
    """Blocks known to be whole after this segment, with their numbers, in order."""


def initial_reconstructor_state() -> ReconstructorState:
    """The state before any segment was added; the first segment may be any segment."""
    return ReconstructorState(None, None, None)


def add_segment(
    state: ReconstructorState, segment: bytes | memoryview, params: Params
) -> tuple[ReconstructorState, ReconstructedContents]:
    """Decode one segment and return the new state and the blocks it completes; segments must come in order."""
    items = decode_segment(segment, params)
    parent = _find_parent_header(items)
    _validate_segment_order(state, parent)
    blocks: list[tuple[BlockNumber, bytes]] = []
    partial = state.partial_block
    next_number = 0
    for item in items:
        if isinstance(item, ParentSegmentHeaderItem):
            partial, next_number = _apply_parent_header(item.header, partial, blocks)
        elif isinstance(item, BlockItem):
            _flush(partial, blocks)
            partial = None
            blocks.append((BlockNumber(next_number), bytes(item.data)))
            next_number += 1
        elif isinstance(item, BlockStartItem):
            _flush(partial, blocks)
            partial = PartialBlock(BlockNumber(next_number), bytes(item.data))
            next_number += 1
        elif isinstance(item, BlockContinuationItem) and partial is not None:
            partial = PartialBlock(partial.number, partial.data + bytes(item.data))
    segment_index = SegmentIndex(0) if parent is None else SegmentIndex(parent.segment_index + 1)
    new_state = ReconstructorState(segment_index, parent, partial)
    return new_state, ReconstructedContents(parent, tuple(blocks))


def reconstruct_blocks(segments: list[bytes] | tuple[bytes, ...], params: Params) -> tuple[bytes, ...]:
    """The whole blocks in consecutive segments, in order (a block still cut at the end is left out)."""
    state = initial_reconstructor_state()
    blocks: list[bytes] = []
    for segment in segments:
        state, contents = add_segment(state, segment, params)
        blocks.extend(data for _number, data in contents.blocks)
    return tuple(blocks)


def _find_parent_header(items: tuple[SegmentItem, ...]) -> SegmentHeader | None:
    headers = [item.header for item in items if isinstance(item, ParentSegmentHeaderItem)]
    return headers[0] if len(headers) > 0 else None


def _validate_segment_order(state: ReconstructorState, parent: SegmentHeader | None) -> None:
    """Raise InvalidSegmentHeader unless the segment follows the last one added."""
    if state.last_segment_index is None:
        return
    # Every segment after segment 0 starts with its parent's header.
    if parent is None:
        msg = f"segment after segment {state.last_segment_index} carries no parent header"
        raise InvalidSegmentHeader(msg)
    # The parent named must be the segment added last.
    if parent.segment_index != state.last_segment_index:
        msg = f"expected segment {state.last_segment_index + 1}, got segment {parent.segment_index + 1}"
        raise InvalidSegmentHeader(msg)
    if state.last_parent_header is not None:
        validate_segment_header_chain(parent, state.last_parent_header)


def _apply_parent_header(
    header: SegmentHeader, partial: PartialBlock | None, blocks: list[tuple[BlockNumber, bytes]]
) -> tuple[PartialBlock | None, int]:
    """Settle the carried partial block by the parent's progress; return it and the next block number."""
    progress = header.last_archived_block
    if progress.partial_bytes is None:
        # The previous segment ended exactly at the end of block `number`.
        if partial is not None:
            blocks.append((progress.number, partial.data))
        return None, progress.number + 1
    # Block `number` continues here; without its start it cannot be recovered, so it is skipped.
    if partial is not None:
        partial = PartialBlock(progress.number, partial.data)
    return partial, progress.number + 1


def _flush(partial: PartialBlock | None, blocks: list[tuple[BlockNumber, bytes]]) -> None:
    """Append the carried partial block (if any): a new block starting proves it whole."""
    if partial is not None:
        blocks.append((partial.number, partial.data))
