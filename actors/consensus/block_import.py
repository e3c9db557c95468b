"""Block import: decode, hold what cannot be judged yet, validate through protocol.consensus.chain.import_block,
store, and move the best block by fork choice.

A block is judged only once everything it refers to is known here; until then it is held, each kind bounded by
NodeLimits: an orphan until its parent arrives, an early block until the PoT output of its future slot arrives
(its author heard the timekeeper first), and a block awaiting archive until this node has archived the block
whose segment headers it must carry (its archiver is behind, or down). A rejected block changes nothing.
Archived blocks are final: a block must build on the last archived block (ArchivedBlockConflict otherwise).
"""

from __future__ import annotations

from collections.abc import Callable

from autonomys.actors.consensus.block_tree import BlockTree, TreeEntry
from autonomys.actors.consensus.node_archive import ChainArchive
from autonomys.actors.consensus.node_store import StoredBlock
from autonomys.actors.consensus.node_types import ImportOutcome, ImportStatus, NodeLimits, NodeMetrics
from autonomys.actors.consensus.pot_outputs import PotOutputs
from autonomys.actors.consensus.transaction_pool import TransactionPool
from autonomys.protocol.codec import Reader
from autonomys.protocol.consensus.chain import BlockContext, import_block
from autonomys.protocol.consensus.chain_blocks import Block, Header, read_header
from autonomys.protocol.consensus.chain_limits import validate_block_length
from autonomys.protocol.consensus.chain_segments import compute_segment_headers_source
from autonomys.protocol.consensus.chain_state import ChainState
from autonomys.protocol.consensus.fork_choice import (
    EquivocationKey,
    choose_best,
    compute_chain_weight,
    detect_equivocation,
    equivocation_key,
)
from autonomys.protocol.errors import (
    ArchivedBlockConflict,
    BlockTooLarge,
    DecodeError,
    InvalidBlock,
    InvalidSolution,
)
from autonomys.protocol.params import Params

NewBestHook = Callable[[], object]
"""Called after a block became the best one, before the orphans waiting for it are imported."""


class BlockImporter:
    """Imports blocks into a BlockTree (see the module docstring)."""

    def __init__(
        self,
        params: Params,
        tree: BlockTree,
        outputs: PotOutputs,
        archive: ChainArchive,
        pool: TransactionPool,
        context: Callable[[], BlockContext],
        *,
        metrics: NodeMetrics,
        limits: NodeLimits,
        proof_size: int,
    ) -> None:
        self.params = params
        self.tree = tree
        self.outputs = outputs
        self.archive = archive
        self.pool = pool
        self.metrics = metrics
        self.limits = limits
        self._context = context
        self._proof_size = proof_size
        self.on_new_best: NewBestHook = lambda: None
        self.on_best_changed: NewBestHook = lambda: None
        """Called at once when the best block changes (the bundle pool prunes), before on_new_best."""
        self._seen_solutions: dict[EquivocationKey, bytes] = {}
        self._orphans: dict[bytes, list[bytes]] = {}
        self._early: dict[int, list[bytes]] = {}
        """Blocks waiting for the PoT output of a slot this node has not reached yet, by that slot."""
        self._awaiting_archive: dict[int, list[bytes]] = {}
        """Blocks whose segment headers come from a block this node has not archived yet, by that block's number."""

    def remember_solutions(self, headers: list[Header]) -> None:
        """Record the solutions of blocks already in the tree (after a restart), so equivocations are caught."""
        for header in headers:
            self._seen_solutions[equivocation_key(header)] = bytes(header.hash())

    def forget_archived(self, archived: ChainState) -> None:
        """Drop what the last archived block (its state `archived`) makes useless: the solutions of slots up to
        its slot, and orphans numbered up to its number (a block there or below can no longer be imported)."""
        self._seen_solutions = {key: value for key, value in self._seen_solutions.items() if key[4] > archived.best_slot}
        for parent_hash, waiting in list(self._orphans.items()):
            waiting[:] = [data for data in waiting if self._number_of(data) > archived.number]
            if len(waiting) == 0:
                del self._orphans[parent_hash]

    def _number_of(self, data: bytes) -> int:
        return read_header(Reader(data, "held block"), self._proof_size).number

    def held_blocks(self) -> int:
        """Blocks held as orphans, early or awaiting archive."""
        return sum(len(blocks) for held in (self._orphans, self._early, self._awaiting_archive) for blocks in held.values())

    # -- import --------------------------------------------------------------------------------

    def import_block(self, data: bytes) -> ImportOutcome:
        """Validate and store a block (and any orphans waiting for it); rejected blocks change nothing."""
        try:
            validate_block_length(len(data))
            block = Block.from_bytes(bytes(data), self._proof_size)
        except BlockTooLarge as error:
            return self._reject(b"", f"BlockTooLarge: {error}")
        except (DecodeError, InvalidSolution) as error:
            return self._reject(b"", f"undecodable block: {error}")
        block_hash = bytes(block.hash())
        if self.tree.is_known(block_hash):
            return ImportOutcome(ImportStatus.KNOWN, block_hash)
        parent_hash = bytes(block.header.parent_hash)
        parent = self.tree.entry(parent_hash)
        if parent is None:
            return self._without_parent(block, block_hash, bytes(data))
        if self._keep_early(block.header.slot + self.params.block_authoring_delay, bytes(data)):
            return ImportOutcome(ImportStatus.EARLY, block_hash)
        if self._keep_awaiting_archive(block.header.number, bytes(data)):
            return ImportOutcome(ImportStatus.AWAITING_ARCHIVE, block_hash)
        outcome = self._import_known_parent(block, block_hash, parent, bytes(data))
        if outcome.status is ImportStatus.IMPORTED:
            if outcome.new_best:
                self.on_new_best()
            for orphan in self._orphans.pop(block_hash, []):
                self.import_block(orphan)
        return outcome

    def import_early_blocks(self) -> list[ImportOutcome]:
        """Import the held early blocks whose awaited slot this node has now reached (after a new PoT output)."""
        ready = sorted(slot for slot in self._early if slot <= self.outputs.current_slot)
        return [self.import_block(data) for slot in ready for data in self._early.pop(slot)]

    def import_awaiting_archive(self) -> list[ImportOutcome]:
        """Import the held blocks whose segment headers this node now knows (after archiving)."""
        ready = sorted(source for source in self._awaiting_archive if source <= self.archive.number)
        return [self.import_block(data) for source in ready for data in self._awaiting_archive.pop(source)]

    def unknown_parent(self, data: bytes) -> bytes | None:
        """The parent hash of an encoded block when this node lacks that parent (None if known or undecodable)."""
        try:
            parent_hash = bytes(Block.from_bytes(bytes(data), self._proof_size).header.parent_hash)
        except (DecodeError, InvalidSolution):
            return None
        return None if self.tree.is_known(parent_hash) else parent_hash

    def _without_parent(self, block: Block, block_hash: bytes, data: bytes) -> ImportOutcome:
        """An orphan, unless its parent is an archived block below the tree (then it forks below the archive)."""
        parent_hash = bytes(block.header.parent_hash)
        if self.tree.is_known(parent_hash):
            return self._reject(block_hash, f"ArchivedBlockConflict: {self._conflict(block.header.number)}")
        if sum(len(waiting) for waiting in self._orphans.values()) < self.limits.max_orphans:
            self._orphans.setdefault(parent_hash, []).append(data)
        return ImportOutcome(ImportStatus.ORPHAN, block_hash, missing_parent=parent_hash)

    def _import_known_parent(self, block: Block, block_hash: bytes, parent: TreeEntry, data: bytes) -> ImportOutcome:
        if detect_equivocation(self._seen_solutions, block.header):
            self.metrics.equivocations += 1
            return self._reject(block_hash, "equivocation: the same solution already won another block")
        parent_hash = bytes(block.header.parent_hash)
        try:
            self._validate_descends_from_archive(parent_hash, block.header.number)
            state = import_block(parent.state, parent_hash, block, self._context())
        except (InvalidBlock, InvalidSolution) as error:
            return self._reject(block_hash, f"{type(error).__name__}: {error}")
        weight = compute_chain_weight(parent.weight, parent.state.solution_range)
        self.tree.add(StoredBlock(block_hash, data, state.to_bytes(), weight), parent_hash, state)
        self._seen_solutions[equivocation_key(block.header)] = block_hash
        self.metrics.blocks_imported += 1
        new_best = self._update_best(block_hash, block)
        return ImportOutcome(ImportStatus.IMPORTED, block_hash, new_best=new_best)

    def _update_best(self, candidate: bytes, block: Block) -> bool:
        """Fork choice between the best block and the block just added (both in the tree)."""
        heads = [(block_hash, self.tree.entry(block_hash)) for block_hash in (self.tree.best_hash, candidate)]
        best = choose_best([(block_hash, entry.weight, entry.number) for block_hash, entry in heads if entry is not None])
        if best == self.tree.best_hash:
            return False
        if block.header.parent_hash != self.tree.best_hash:
            self.metrics.reorgs += 1
        self.tree.set_best(best)
        self.pool.on_new_best(self.tree.best_state, block.transactions)
        self.on_best_changed()
        return True

    def _keep_early(self, awaited_slot: int, data: bytes) -> bool:
        """Hold a block until slot awaited_slot's PoT output arrives, when that slot is just ahead of this node's
        (a slot it passed without an output, or one far ahead, is judged now and rejected)."""
        current = self.outputs.current_slot
        if not current < awaited_slot <= current + self.limits.max_early_slots:  # (a known output is ≤ current)
            return False
        if data in self._early.get(awaited_slot, ()):
            return True
        if sum(len(blocks) for blocks in self._early.values()) >= self.limits.max_early_blocks:
            return False
        self._early.setdefault(awaited_slot, []).append(data)
        return True

    def _keep_awaiting_archive(self, number: int, data: bytes) -> bool:
        """Hold a block whose segment headers come from a block this node has not archived yet; it is imported
        once archiving reaches that block."""
        if not self.archive.awaits(number):
            return False
        source = compute_segment_headers_source(number, self.params)
        waiting = self._awaiting_archive.setdefault(source or 0, [])
        held = sum(len(blocks) for blocks in self._awaiting_archive.values())
        if data not in waiting and held < self.limits.max_early_blocks:
            waiting.append(data)
        return True

    def _validate_descends_from_archive(self, parent_hash: bytes, number: int) -> None:
        """Raise ArchivedBlockConflict unless a block at `number` on `parent_hash` builds on the last archived block
        (archiving makes a block final, as finalization does in the reference)."""
        archived, archived_hash = self.archive.number, self.archive.block_hash
        if archived_hash is None:
            return
        cursor = parent_hash
        entry = self.tree.entry(cursor)
        while entry is not None and entry.number > archived:
            cursor = entry.parent_hash
            entry = self.tree.entry(cursor)
        if number <= archived or cursor != archived_hash:
            raise ArchivedBlockConflict(self._conflict(number))

    def _conflict(self, number: int) -> str:
        archived_hash = (self.archive.block_hash or b"").hex()[:16]
        return f"block {number} does not build on archived block {self.archive.number} ({archived_hash}…)"

    def _reject(self, block_hash: bytes, reason: str) -> ImportOutcome:
        self.metrics.blocks_rejected += 1
        self.metrics.last_rejection = reason
        return ImportOutcome(ImportStatus.REJECTED, block_hash, reason)
