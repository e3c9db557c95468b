"""The consensus node: imports blocks, follows the heaviest chain, authors blocks from farmers' solutions,
and hands confirmed blocks to the archiver.

`Node` is the steppable core (no threads, no Ray; unit-tested directly): it learns PoT outputs slot by
slot, turns each slot into a FarmingSlot with the chain's ranges, keeps the best block solution per slot,
authors once the slot's future proof of time (slot + block_authoring_delay) is known, and imports blocks
(its own and gossiped ones) through protocol.consensus.chain.import_block. Every block, its state and its fork
weight go to RocksDB before the best pointer moves, so a restarted node resumes the same chain.

Transactions are checked against the best state and the pool before they are pooled (actors.consensus.node_objects).
Stored data is located by hash: canonical blocks not yet wholly inside archived segments are scanned,
then the archiver's object mappings are asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from autonomys.actors.consensus.node_objects import compute_mapped_through, read_block_object
from autonomys.actors.consensus.node_store import NodeStore, StoredBlock
from autonomys.actors.consensus.transaction_pool import TransactionPool
from autonomys.actors.messages import FarmerSolution, FarmingSlot
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.chain import BlockContext, build_block, import_block, validate_vote
from autonomys.protocol.consensus.chain_blocks import Block, PotInfo, SignedVote, Transaction, Vote, sign_vote
from autonomys.protocol.consensus.chain_limits import validate_block_length
from autonomys.protocol.consensus.chain_segments import compute_segment_headers_source, get_expected_segment_headers
from autonomys.protocol.consensus.chain_state import ChainState, genesis_header_hash
from autonomys.protocol.consensus.fork_choice import (
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
from autonomys.protocol.farming.solution_range import is_within_solution_range
from autonomys.protocol.farming.solutions import Solution, compute_proof_of_space_size
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.objects.mappings import BlockObject, GlobalObject, compute_block_objects, validate_object_hash
from autonomys.protocol.params import Params

# Orphans wait for their parent at most this long (in blocks kept); older ones are dropped.
MAX_ORPHANS = 256
# A block that arrives before the PoT output it claims (its author heard the timekeeper first) waits for it, when
# that slot is at most this far past this node's current slot, with at most MAX_EARLY_BLOCKS waiting in all.
MAX_EARLY_SLOTS = 16
MAX_EARLY_BLOCKS = 64
# Vote solutions kept per slot (the nearest ones); a block carries the valid ones since its parent.
MAX_VOTES_PER_SLOT = 16
# Object lists of recent blocks kept for object lookups before the cache starts over.
MAX_CACHED_BLOCK_OBJECTS = 1024


class ConfirmedBlockSink(Protocol):
    """The archiver: takes confirmed blocks in order, returns the segment headers archiving each one produced
    (again for a block it already took, so a lost answer loses nothing), and maps archived data to where it starts."""

    def on_confirmed_block(self, number: int, block: bytes) -> list[SegmentHeader]: ...

    def segment_headers_for_block(self, number: int) -> list[SegmentHeader]: ...

    def object_mapping(self, object_hash: bytes) -> GlobalObject | None: ...


RewardSigner = Callable[[bytes, bytes], bytes]
"""(public key, message) → sr25519 signature by that farmer (the node asks the farm that won)."""


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What importing one block did: "imported", "known", "orphan" (parent unknown), "early" (held until the PoT
    output of its future slot arrives; see import_early_blocks), "awaiting_archive" (held until this node has
    archived the block whose segments it records) or "rejected"."""

    status: str
    block_hash: bytes = b""
    reason: str = ""
    new_best: bool = False
    missing_parent: bytes = b""
    """For an orphan: the parent hash this node lacks (ask a peer for its ancestry)."""


@dataclass
class NodeMetrics:
    blocks_imported: int = 0
    blocks_authored: int = 0
    blocks_rejected: int = 0
    votes_included: int = 0
    equivocations: int = 0
    reorgs: int = 0
    last_rejection: str = ""
    last_archive_error: str = ""
    authored_by_farm: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _PendingSolution:
    solution: Solution
    farm_id: str
    distance: int


class Node:
    """One node's view of the chain (see the module docstring)."""

    def __init__(
        self,
        params: Params,
        genesis: ChainState,
        store: NodeStore,
        kzg: Kzg,
        *,
        archiver: ConfirmedBlockSink | None = None,
        signer: RewardSigner | None = None,
    ) -> None:
        self.params = params
        self.kzg = kzg
        self.store = store
        self.archiver = archiver
        self.signer = signer
        self.metrics = NodeMetrics()
        self.genesis_hash = bytes(genesis_header_hash(genesis))
        self._proof_size = compute_proof_of_space_size(params)
        self._states: dict[bytes, ChainState] = {self.genesis_hash: genesis}
        self._weights: dict[bytes, int] = {self.genesis_hash: 0}
        self._parents: dict[bytes, bytes] = {}
        self._numbers: dict[bytes, int] = {self.genesis_hash: 0}
        self._seen_solutions: dict = {}
        self._orphans: dict[bytes, list[bytes]] = {}
        self._early: dict[int, list[bytes]] = {}
        """Blocks waiting for the PoT output of a slot this node has not reached yet, by that slot."""
        self._awaiting_archive: dict[int, list[bytes]] = {}
        """Blocks whose segment headers come from a block this node has not archived yet, by that block's number."""
        self._outputs: dict[int, bytes] = {}
        self._pending: dict[int, _PendingSolution] = {}
        self._votes: dict[int, list[_PendingSolution]] = {}
        self.pool = TransactionPool(params, self.genesis_hash)
        self.best_hash = self.genesis_hash
        self._archived = store.archived() or 0
        self._archived_hash = store.archived_hash()
        """The last archived block (final: a block that does not descend from it is rejected); None at genesis."""
        self._headers_by_block: dict[int, tuple[SegmentHeader, ...]] = {}
        """Segment headers archiving each block produced (blocks that produced none are left out)."""
        self._archived_headers: dict[int, SegmentHeader] = {}
        """Headers this node's archiver produced, by segment index (objects map through the chain's last one)."""
        self._unrecorded_segment = -1
        self._block_objects: dict[bytes, list[BlockObject]] = {}
        self._restore()

    # -- state ---------------------------------------------------------------------------------

    @property
    def best_state(self) -> ChainState:
        return self._states[self.best_hash]

    @property
    def current_slot(self) -> int:
        return max(self._outputs, default=0)

    def state_of(self, block_hash: bytes) -> ChainState | None:
        return self._states.get(bytes(block_hash))

    def canonical_hashes(self, after: int = 0) -> list[bytes]:
        """Hashes of the best chain's blocks numbered above `after`, oldest first (walks back only that far)."""
        path, cursor = [], self.best_hash
        while cursor != self.genesis_hash and self._numbers[cursor] > after:
            path.append(cursor)
            cursor = self._parents[cursor]
        return path[::-1]

    def header_bytes(self, block_hash: bytes) -> bytes:
        """The SCALE header of a stored block."""
        data = self.store.block(bytes(block_hash))
        if data is None:
            raise KeyError(bytes(block_hash).hex())
        return Block.from_bytes(data, self._proof_size).header.to_bytes()

    def proof_of_time(self, slot: int) -> bytes | None:
        return self._outputs.get(slot)

    # -- slots and solutions -------------------------------------------------------------------

    def on_proof_of_time(self, slot: int, output: bytes) -> FarmingSlot | None:
        """Learn a slot's PoT output; returns the FarmingSlot farmers should audit (None for a repeat)."""
        if slot in self._outputs:
            return None
        self._outputs[slot] = bytes(output)
        self.store.put_proof_of_time(slot, bytes(output))
        state = self.best_state
        return FarmingSlot(slot, bytes(output), state.solution_range, state.voting_solution_range)

    def on_solution(self, found: FarmerSolution) -> None:
        """Keep the nearest block-eligible solution of each slot until the slot can be claimed, and votes
        (solutions within the voting range only) for the next block authored."""
        try:
            solution = Solution.from_bytes(found.solution, self._proof_size)
        except InvalidSolution:
            return
        if found.is_vote:
            votes = self._votes.setdefault(found.slot, [])
            votes.append(_PendingSolution(solution, found.farm_id, found.distance))
            votes.sort(key=lambda vote: vote.distance)
            del votes[MAX_VOTES_PER_SLOT:]
            return
        pending = self._pending.get(found.slot)
        if pending is None or found.distance < pending.distance:
            self._pending[found.slot] = _PendingSolution(solution, found.farm_id, found.distance)

    def submit_transaction(self, transaction: Transaction) -> bytes:
        """Pool a transaction that applies after the sender's pooled ones; returns its hash (resubmitting a
        pooled one is a no-op). RejectedTransaction otherwise, with the pool unchanged."""
        return self.pool.submit(self.best_state, transaction)

    def account(self, public_key: bytes) -> tuple[int, int]:
        """(balance in the best state, next nonce counting the pool)."""
        return self.pool.account(self.best_state, public_key)

    @property
    def pooled_transactions(self) -> tuple[Transaction, ...]:
        return self.pool.transactions()

    def author_ready_blocks(self) -> list[Block]:
        """Author a block for every pending slot whose future proof of time is now known (oldest first)."""
        authored = []
        delay = self.params.block_authoring_delay
        for slot in sorted(self._pending):
            if slot + delay > self.current_slot:
                break
            pending = self._pending.pop(slot)
            block = self._author(slot, pending)
            if block is not None:
                authored.append(block)
        return authored

    def _author(self, slot: int, pending: _PendingSolution) -> Block | None:
        parent_hash, parent = self.best_hash, self.best_state
        future = self._outputs.get(slot + self.params.block_authoring_delay)
        # A slot at or before the best block's is taken; a solution outside the chain's range cannot author.
        if slot <= parent.best_slot or future is None or self.signer is None:
            return None
        if not is_within_solution_range(pending.distance, parent.solution_range):
            return None
        public_key = pending.solution.public_key
        try:
            # Exactly the segments this node archived for the block number being authored.
            segment_headers = get_expected_segment_headers(parent.number + 1, self._archived_segment_headers, self.params)
            votes = self._collect_votes(parent_hash, parent, slot)
            block = build_block(
                parent, parent_hash, slot=slot, solution=pending.solution, pot_info=PotInfo(self._outputs[slot], future),
                transactions=self.pool.transactions(), votes=votes, segment_headers=segment_headers, params=self.params,
                genesis_hash=self.genesis_hash, sign=lambda message: self.signer(public_key, message),
            )  # fmt: skip
        except (InvalidBlock, InvalidSolution) as error:
            self.metrics.last_rejection = f"authoring slot {slot}: {error}"
            return None
        outcome = self.import_block(block.to_bytes())
        if outcome.status != "imported":
            return None
        self.metrics.blocks_authored += 1
        self.metrics.votes_included += len(block.votes)
        self.metrics.authored_by_farm[pending.farm_id] = self.metrics.authored_by_farm.get(pending.farm_id, 0) + 1
        return block

    def _collect_votes(self, parent_hash: bytes, parent: ChainState, slot: int) -> list[SignedVote]:
        """Signed votes for a block at `slot` on `parent_hash`: vote solutions from slots after the parent's up
        to `slot` whose future PoT is known, each checked (PoT, range, pieces) so a bad one never sinks the block."""
        context = self._context()
        delay = self.params.block_authoring_delay
        signed = []
        for vote_slot in sorted(s for s in self._votes if parent.best_slot < s <= slot):
            future = self._outputs.get(vote_slot + delay)
            for pending in self._votes[vote_slot] if future is not None else ():
                vote = Vote(parent_hash, parent.number + 1, vote_slot, pending.solution, self._outputs[vote_slot], future)
                key = pending.solution.public_key
                try:
                    signed_vote = sign_vote(vote, lambda message, key=key: self.signer(key, message))
                except Exception:  # noqa: BLE001 - a farmer that cannot sign (gone, unknown key) loses its vote
                    continue
                try:
                    validate_vote(parent, parent_hash, signed_vote, context, block_slot=slot)
                except (InvalidBlock, InvalidSolution):
                    continue
                signed.append(signed_vote)
        for vote_slot in [s for s in self._votes if s <= slot]:
            del self._votes[vote_slot]
        return signed

    # -- import --------------------------------------------------------------------------------

    def import_block(self, data: bytes) -> ImportOutcome:
        """Validate and store a block (and any orphans waiting for it); rejected blocks change nothing. A block
        that becomes the best one has the blocks it confirms archived before its children are imported."""
        try:
            validate_block_length(len(data))
            block = Block.from_bytes(bytes(data), self._proof_size)
        except BlockTooLarge as error:
            return self._reject(b"", f"BlockTooLarge: {error}")
        except (DecodeError, InvalidSolution) as error:
            return self._reject(b"", f"undecodable block: {error}")
        block_hash = bytes(block.hash())
        if block_hash in self._states:
            return ImportOutcome("known", block_hash)
        parent_hash = bytes(block.header.parent_hash)
        if parent_hash not in self._states:
            self._keep_orphan(parent_hash, bytes(data))
            return ImportOutcome("orphan", block_hash, missing_parent=parent_hash)
        if self._keep_early(block.header.slot + self.params.block_authoring_delay, bytes(data)):
            return ImportOutcome("early", block_hash)
        if self._keep_awaiting_archive(block.header.number, bytes(data)):
            return ImportOutcome("awaiting_archive", block_hash)
        outcome = self._import_known_parent(block, block_hash, parent_hash, bytes(data))
        if outcome.status == "imported":
            if outcome.new_best:
                self.archive_confirmed()
            for orphan in self._orphans.pop(block_hash, []):
                self.import_block(orphan)
        return outcome

    def import_early_blocks(self) -> list[ImportOutcome]:
        """Import the held early blocks whose awaited slot this node has now reached (after on_proof_of_time)."""
        ready = sorted(slot for slot in self._early if slot <= self.current_slot)
        return [self.import_block(data) for slot in ready for data in self._early.pop(slot)]

    def is_known(self, block_hash: bytes) -> bool:
        return bytes(block_hash) in self._states

    def unknown_parent(self, data: bytes) -> bytes | None:
        """The parent hash of an encoded block when this node lacks that parent (None if known or undecodable)."""
        try:
            parent_hash = bytes(Block.from_bytes(bytes(data), self._proof_size).header.parent_hash)
        except (DecodeError, InvalidSolution):
            return None
        return None if parent_hash in self._states else parent_hash

    def block_ancestry(self, block_hash: bytes, count: int) -> list[bytes]:
        """The stored block `block_hash` and up to count − 1 of its ancestors, newest first, genesis excluded
        (a peer resolving an orphan asks for this); empty when the block is unknown."""
        ancestry: list[bytes] = []
        cursor: bytes | None = bytes(block_hash)
        while cursor is not None and cursor != self.genesis_hash and len(ancestry) < count:
            data = self.store.block(cursor)
            if data is None:
                break
            ancestry.append(data)
            cursor = self._parents.get(cursor)
        return ancestry

    def _import_known_parent(self, block: Block, block_hash: bytes, parent_hash: bytes, data: bytes) -> ImportOutcome:
        key = equivocation_key(block.header)
        if detect_equivocation(self._seen_solutions, block.header):
            self.metrics.equivocations += 1
            return self._reject(block_hash, "equivocation: the same solution already won another block")
        try:
            self._validate_descends_from_archive(parent_hash, block.header.number)
            state = import_block(self._states[parent_hash], parent_hash, block, self._context())
        except (InvalidBlock, InvalidSolution) as error:
            return self._reject(block_hash, f"{type(error).__name__}: {error}")
        weight = compute_chain_weight(self._weights[parent_hash], self._states[parent_hash].solution_range)
        self.store.put_block(StoredBlock(block_hash, data, state.to_bytes(), weight))
        self._remember(block_hash, parent_hash, state, weight)
        self._seen_solutions[key] = block_hash
        self.metrics.blocks_imported += 1
        new_best = self._update_best(block_hash, block)
        return ImportOutcome("imported", block_hash, new_best=new_best)

    def _remember(self, block_hash: bytes, parent_hash: bytes, state: ChainState, weight: int) -> None:
        self._states[block_hash] = state
        self._weights[block_hash] = weight
        self._parents[block_hash] = parent_hash
        self._numbers[block_hash] = state.number

    def _update_best(self, candidate: bytes, block: Block) -> bool:
        best = choose_best(
            [(h, self._weights[h], self._numbers[h]) for h in (self.best_hash, candidate)]
        )
        if best == self.best_hash:
            return False
        if self._parents.get(candidate) != self.best_hash:
            self.metrics.reorgs += 1
        self.best_hash = best
        self.store.put_best(best)
        self.pool.on_new_best(self.best_state, block.transactions)
        return True

    def _keep_orphan(self, parent_hash: bytes, data: bytes) -> None:
        if sum(len(waiting) for waiting in self._orphans.values()) < MAX_ORPHANS:
            self._orphans.setdefault(parent_hash, []).append(data)

    def _keep_early(self, awaited_slot: int, data: bytes) -> bool:
        """Hold a block until slot awaited_slot's PoT output arrives, when that slot is just ahead of this node's
        (a slot it passed without an output, or one far ahead, is judged now and rejected)."""
        if not self.current_slot < awaited_slot <= self.current_slot + MAX_EARLY_SLOTS:  # (a known output is ≤ current)
            return False
        if data in self._early.get(awaited_slot, ()):
            return True
        if sum(len(blocks) for blocks in self._early.values()) >= MAX_EARLY_BLOCKS:
            return False
        self._early.setdefault(awaited_slot, []).append(data)
        return True

    def _keep_awaiting_archive(self, number: int, data: bytes) -> bool:
        """Hold a block whose segment headers come from a block this node has not archived yet (its archiver is
        behind, or down); it is imported once archiving reaches that block."""
        source = compute_segment_headers_source(number, self.params)
        if self.archiver is None or source is None or source <= self._archived:
            return False
        waiting = self._awaiting_archive.setdefault(source, [])
        if data not in waiting and sum(len(blocks) for blocks in self._awaiting_archive.values()) < MAX_EARLY_BLOCKS:
            waiting.append(data)
        return True

    def import_awaiting_archive(self) -> list[ImportOutcome]:
        """Import the held blocks whose segment headers this node now knows (after archive_confirmed)."""
        ready = sorted(source for source in self._awaiting_archive if source <= self._archived)
        return [self.import_block(data) for source in ready for data in self._awaiting_archive.pop(source)]

    def _validate_descends_from_archive(self, parent_hash: bytes, number: int) -> None:
        """Raise ArchivedBlockConflict unless a block at `number` on `parent_hash` builds on the last archived block
        (archiving makes a block final, as finalization does in the reference)."""
        if self._archived_hash is None:
            return
        cursor = parent_hash
        while cursor != self.genesis_hash and self._numbers[cursor] > self._archived:
            cursor = self._parents[cursor]
        if number <= self._archived or cursor != self._archived_hash:
            msg = f"block {number} does not build on archived block {self._archived} ({self._archived_hash.hex()[:16]}…)"
            raise ArchivedBlockConflict(msg)

    def _archived_segment_headers(self, number: int) -> tuple[SegmentHeader, ...] | None:
        """The segment headers archiving block `number` produced here, None when it is not archived yet. A node
        without an archiver records no history: it takes only blocks that carry none."""
        if self.archiver is None:
            return ()
        if number > self._archived:
            return None
        cached = self._headers_by_block.get(number)
        if cached is not None:
            return cached
        stored = self.store.archived_headers(number)
        if stored is None:
            # Archived before this node kept the headers of each block: its archiver knows them.
            try:
                stored = tuple(self.archiver.segment_headers_for_block(number))
            except Exception:  # noqa: BLE001 - the archiver may be down; the block is judged again later
                return None
            self.store.put_archived_headers(number, stored)
        return stored

    def _context(self) -> BlockContext:
        return BlockContext(
            self.params, self.kzg, self.params.pos_table, self._outputs.get, self.current_slot, self.genesis_hash,
            self._archived_segment_headers,
        )  # fmt: skip

    def _reject(self, block_hash: bytes, reason: str) -> ImportOutcome:
        self.metrics.blocks_rejected += 1
        self.metrics.last_rejection = reason
        return ImportOutcome("rejected", block_hash, reason)

    # -- archiving -----------------------------------------------------------------------------

    def archive_confirmed(self) -> list[SegmentHeader]:
        """Hand every canonical block at least confirmation_depth_k deep to the archiver, in order, and keep the
        segment headers archiving each produced (the block confirmation_depth_k + 1 later must carry exactly
        those). A failing archiver (down, restarting) stops the walk: the same block is handed over again on the
        next call, and the archiver answers a repeat with the same headers. Held blocks follow."""
        if self.archiver is None:
            return []
        confirmed_up_to = self.best_state.number - self.params.confirmation_depth_k
        headers: list[SegmentHeader] = []
        for block_hash in self.canonical_hashes(after=self._archived):
            number = self._numbers[block_hash]
            if number > confirmed_up_to:
                break
            data = self.store.block(block_hash)
            if data is None:
                msg = f"node store lost canonical block {number} ({block_hash.hex()})"
                raise ArchivedBlockConflict(msg)
            try:
                produced = tuple(self.archiver.on_confirmed_block(number, data))
            except Exception as error:  # noqa: BLE001 - the archiver may be down or restarting; retried next call
                self.metrics.last_archive_error = f"archiving block {number}: {type(error).__name__}: {error}"
                break
            self.store.put_archived(number, block_hash, produced)
            self._archived, self._archived_hash = number, block_hash
            if len(produced) > 0:
                self._headers_by_block[number] = produced
            headers += produced
        self._archived_headers.update({int(header.segment_index): header for header in headers})
        self.import_awaiting_archive()
        return headers

    # -- stored objects ------------------------------------------------------------------------

    def object_location(self, object_hash: bytes) -> GlobalObject | bytes | None:
        """Stored data with this blake3 hash: the data itself while its block is not wholly archived, else the
        archiver's mapping; None when neither knows it (still pooled, or never stored)."""
        data = self.find_unarchived_object(object_hash)
        if data is not None or self.archiver is None:
            return data
        return self.archiver.object_mapping(object_hash)

    def find_unarchived_object(self, object_hash: bytes) -> bytes | None:
        """The data with this hash in a canonical block not wholly inside archived segments, None if none has it."""
        object_hash = validate_object_hash(object_hash)
        if len(self._block_objects) > MAX_CACHED_BLOCK_OBJECTS:
            self._block_objects = {}
        for block_hash in self.canonical_hashes(after=self._last_mapped_block()):
            data = self.store.block(block_hash)
            if data is None:
                continue
            if block_hash not in self._block_objects:
                self._block_objects[block_hash] = compute_block_objects(data, self.params)
            found = read_block_object(data, self._block_objects[block_hash], object_hash)
            if found is not None:
                return found
        return None

    def _last_mapped_block(self) -> int:
        """The last block whose objects are all mapped in segments the chain records (so clients can verify
        their pieces): through the best state's last segment, whose header this node's archiver produced or,
        after a restart, a canonical block carries."""
        last = self.best_state.history_size - 1
        if last < 0:
            return 0
        if last not in self._archived_headers and last != self._unrecorded_segment:
            self._unrecorded_segment = last  # scanned once: genesis segments are in no block
            for block_hash in reversed(self.canonical_hashes()):
                data = self.store.block(block_hash)
                headers = () if data is None else Block.from_bytes(data, self._proof_size).segment_headers
                self._archived_headers.update({int(header.segment_index): header for header in headers})
                if last in self._archived_headers:
                    break
        header = self._archived_headers.get(last)
        return 0 if header is None else max(0, compute_mapped_through(header))

    # -- restart -------------------------------------------------------------------------------

    def _restore(self) -> None:
        for slot, output in self.store.proofs_of_time():
            self._outputs[slot] = output
        stored = sorted(self.store.blocks(), key=lambda item: ChainState.from_bytes(item.state).number)
        for item in stored:
            block = Block.from_bytes(item.block, self._proof_size)
            state = ChainState.from_bytes(item.state)
            self._remember(item.block_hash, bytes(block.header.parent_hash), state, item.weight)
            self._seen_solutions[equivocation_key(block.header)] = item.block_hash
        best = self.store.best()
        if best is not None and best in self._states:
            self.best_hash = best
        if self._archived_hash is None and self._archived > 0:
            # Archived before the node recorded which block: the canonical one at that height.
            self._archived_hash = next(
                (block_hash for block_hash in self.canonical_hashes() if self._numbers[block_hash] == self._archived),
                None,
            )
