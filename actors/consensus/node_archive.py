"""Archiving confirmed blocks: which canonical blocks the archiver takes next, handing them over, and what this
node records of its answers (the last archived block, and the segment headers archiving each block produced,
which the block confirmation_depth_k + 1 later must carry exactly).

Archiving is three steps so that the slow one holds no lock (NodeService): `confirmed_blocks` (read the chain),
`hand_over` (the archiver call, which can take a minute for a DEV segment; it reads nothing of the node), then
`record` (write what the archiver answered). A failing archiver (down, restarting) stops a hand-over: the same
block is handed over again next time, and the archiver answers a repeat with the same headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from autonomys.actors.consensus.block_tree import BlockTree
from autonomys.actors.consensus.node_store import ArchiveRecords, NodeStore
from autonomys.actors.consensus.node_types import ConfirmedBlockSink
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.chain_segments import compute_segment_headers_source
from autonomys.protocol.errors import ArchivedBlockConflict
from autonomys.protocol.params import Params


@dataclass(frozen=True, slots=True)
class ConfirmedBlock:
    """A canonical block at least confirmation_depth_k deep that the archiver has not taken yet."""

    number: int
    block_hash: bytes
    data: bytes


@dataclass(frozen=True, slots=True)
class ArchivedBlock:
    """A block the archiver took, and the segment headers archiving it produced (often none)."""

    number: int
    block_hash: bytes
    headers: tuple[SegmentHeader, ...]


@dataclass(frozen=True, slots=True)
class ArchiveRun:
    """What one hand-over did: the blocks taken, in order, and why it stopped early (empty if it did not)."""

    archived: tuple[ArchivedBlock, ...]
    error: str = ""


class ChainArchive:
    """This node's side of archiving (see the module docstring)."""

    def __init__(self, params: Params, store: NodeStore, tree: BlockTree, archiver: ConfirmedBlockSink | None) -> None:
        self.params = params
        self.store = store
        self.records = ArchiveRecords(store.store)
        self.tree = tree
        self.archiver = archiver
        self.number = self.records.archived() or 0
        """The last archived block's number (0 before any)."""
        self.block_hash: bytes | None = self.records.archived_hash()
        """The last archived block (final: a block that does not descend from it is rejected); None at genesis."""
        self._headers_by_block: dict[int, tuple[SegmentHeader, ...]] = {}
        """Segment headers archiving recent blocks produced (blocks that produced none are left out)."""

    def restore_hash(self) -> None:
        """In a store archived before the node recorded which block it archived: the canonical one at that height."""
        if self.block_hash is None and self.number > 0:
            self.block_hash = self.tree.canonical_hash(self.number)

    def awaits(self, number: int) -> bool:
        """True when block `number` must carry segment headers from a block this node has not archived yet."""
        source = compute_segment_headers_source(number, self.params)
        return self.archiver is not None and source is not None and source > self.number

    def segment_headers(self, number: int) -> tuple[SegmentHeader, ...] | None:
        """The segment headers archiving block `number` produced here, None when it is not archived yet. A node
        without an archiver records no history: it takes only blocks that carry none."""
        if self.archiver is None:
            return ()
        if number > self.number:
            return None
        cached = self._headers_by_block.get(number)
        if cached is not None:
            return cached
        stored = self.records.archived_headers(number)
        if stored is None:
            # Archived before this node kept the headers of each block: its archiver knows them.
            try:
                stored = tuple(self.archiver.segment_headers_for_block(number))
            except Exception:  # noqa: BLE001 - the archiver may be down; the block is judged again later
                return None
            self.records.put_archived_headers(number, stored)
        return stored

    def confirmed_blocks(self) -> list[ConfirmedBlock]:
        """The canonical blocks at least confirmation_depth_k deep that the archiver has not taken, in order."""
        if self.archiver is None:
            return []
        confirmed_up_to = self.tree.best_state.number - self.params.confirmation_depth_k
        if confirmed_up_to <= self.number:
            return []
        blocks: list[ConfirmedBlock] = []
        for block_hash in self.tree.canonical_hashes(after=self.number, count=confirmed_up_to - self.number):
            number = self.number + len(blocks) + 1
            data = self.store.block(block_hash)
            if data is None:
                msg = f"node store lost canonical block {number} ({block_hash.hex()})"
                raise ArchivedBlockConflict(msg)
            blocks.append(ConfirmedBlock(number, block_hash, data))
        return blocks

    def hand_over(self, blocks: list[ConfirmedBlock]) -> ArchiveRun:
        """Give the blocks to the archiver in order until it fails; touches nothing of the node (no lock needed)."""
        archived: list[ArchivedBlock] = []
        archiver = self.archiver
        if archiver is None:
            return ArchiveRun(())
        for block in blocks:
            try:
                produced = tuple(archiver.on_confirmed_block(block.number, block.data))
            except Exception as error:  # noqa: BLE001 - the archiver may be down or restarting; retried next time
                return ArchiveRun(tuple(archived), f"archiving block {block.number}: {type(error).__name__}: {error}")
            archived.append(ArchivedBlock(block.number, block.block_hash, produced))
        return ArchiveRun(tuple(archived))

    def record(self, run: ArchiveRun) -> list[SegmentHeader]:
        """Record the blocks a hand-over archived (each durably, with its headers); returns the headers produced.
        A block recorded already is skipped; one that does not follow the last archived block is an error."""
        headers: list[SegmentHeader] = []
        for block in run.archived:
            if block.number <= self.number:
                continue
            if block.number != self.number + 1:
                msg = f"archived block {block.number} does not follow block {self.number}"
                raise ArchivedBlockConflict(msg)
            self.records.put_archived(block.number, block.block_hash, block.headers)
            self.number, self.block_hash = block.number, block.block_hash
            if len(block.headers) > 0:
                self._headers_by_block[block.number] = block.headers
            headers += block.headers
        self._forget_old_headers()
        return headers

    def _forget_old_headers(self) -> None:
        """Only blocks above the last archived one can still be imported, and each carries the headers of the
        block confirmation_depth_k + 1 below it: older entries stay in the store only."""
        oldest = self.number - self.params.confirmation_depth_k
        for number in [number for number in self._headers_by_block if number < oldest]:
            del self._headers_by_block[number]
