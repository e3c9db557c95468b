"""The consensus node: imports blocks, follows the heaviest chain, authors blocks from farmers' solutions,
and hands confirmed blocks to the archiver.

`Node` is the steppable core (no threads, no Ray; unit-tested directly). It composes one part per concern,
each reachable as an attribute, and keeps the few calls every driver makes:
  tree       actors.consensus.block_tree.BlockTree: blocks, states, fork weights, the best block; pruned below
             the last archived block (canonical hashes, ancestry and headers served to peers)
  outputs    actors.consensus.pot_outputs.PotOutputs: PoT outputs by slot (the current slot is the newest)
  imports    actors.consensus.block_import.BlockImporter: validation through protocol.consensus.chain.import_block,
             fork choice, blocks held as orphans, early or awaiting archive
  author     actors.consensus.block_authoring.BlockAuthor: farmers' solutions and votes, blocks authored from them
  archive    actors.consensus.node_archive.ChainArchive: confirmed blocks handed to the archiver, headers recorded
  objects    actors.consensus.object_lookup.ObjectLookup: stored data by hash
  states     actors.consensus.node_state.NodeState: keys of kept states, with proofs against their headers
Every block, its state and its fork weight go to the store before the best pointer moves, so a restarted node
resumes the same chain.

Archiving: by default a block that becomes the best one has the blocks it confirms archived at once, before the
blocks waiting for it are imported (`archive_confirmed`). A node built with `archive_inline=False` leaves that
to its driver, which runs the archiver call without holding its lock: `archive.confirmed_blocks()`,
`archive.hand_over(...)`, then `apply_archived(run)` (NodeService). Either way `apply_archived` prunes what the
archive made final.

Transactions are checked against the best state and the pool before they are pooled (actors.consensus.node_objects).
"""

from __future__ import annotations

from collections.abc import Callable

from autonomys.actors.consensus.block_authoring import BlockAuthor
from autonomys.actors.consensus.block_import import BlockImporter
from autonomys.actors.consensus.block_tree import BlockTree
from autonomys.actors.consensus.bundle_pool import BundlePool, RejectedBundle
from autonomys.actors.consensus.node_archive import ArchiveRun, ChainArchive
from autonomys.actors.consensus.node_state import NodeState
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.consensus.node_types import (
    ConfirmedBlockSink,
    ImportOutcome,
    ImportStatus,
    NodeLimits,
    NodeMetrics,
    RewardSigner,
)
from autonomys.actors.consensus.object_lookup import ObjectLookup
from autonomys.actors.consensus.pot_outputs import PotOutputs
from autonomys.actors.consensus.transaction_pool import TransactionPool
from autonomys.actors.errors import StateNotKept
from autonomys.actors.messages import BundleSubmission, DomainBlockInput, DomainTick, FarmerSolution, FarmingSlot
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.chain import BlockContext
from autonomys.protocol.consensus.chain_blocks import Block, Transaction
from autonomys.protocol.consensus.chain_ledger import ChainLedger
from autonomys.protocol.consensus.chain_state import ChainState, StateWriter, genesis_header_hash
from autonomys.protocol.consensus.state_proofs import StateProof
from autonomys.protocol.domains.params import domains_params_for
from autonomys.protocol.domains.registry import DomainConfig, get_domain
from autonomys.protocol.domains.submit import ConsensusBlockInfo
from autonomys.protocol.domains.view import DomainView, read_domain_view
from autonomys.protocol.farming.solutions import compute_proof_of_space_size
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.objects.mappings import GlobalObject
from autonomys.protocol.params import Params

__all__ = ["ConfirmedBlockSink", "ImportOutcome", "ImportStatus", "Node", "NodeLimits", "RewardSigner"]


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
        limits: NodeLimits | None = None,
        pool: TransactionPool | None = None,
        archive_inline: bool = True,
    ) -> None:
        """`pool` defaults to a TransactionPool with the reference's bounds."""
        self.params = params
        self.kzg = kzg
        self.store = store
        self.archiver = archiver
        self.limits = limits if limits is not None else NodeLimits()
        self.metrics = NodeMetrics()
        self.genesis_hash = bytes(genesis_header_hash(genesis))
        self.pool = pool if pool is not None else TransactionPool(params, self.genesis_hash)
        proof_size = compute_proof_of_space_size(params)
        self.tree = BlockTree(store, self.genesis_hash, genesis, proof_size, self.limits.state_window)
        self.outputs = PotOutputs(store)
        self.archive = ChainArchive(params, store, self.tree, archiver)
        self.imports = BlockImporter(
            params, self.tree, self.outputs, self.archive, self.pool, self._context,
            metrics=self.metrics, limits=self.limits, proof_size=proof_size,
        )  # fmt: skip
        self.bundle_pool = BundlePool(domains_params_for(params))
        self.imports.on_best_changed = lambda: self.bundle_pool.prune(self.best_state)
        self.author = BlockAuthor(
            params, self.tree, self.outputs, self.archive, self.pool, import_block=self.import_block,
            context=self._context, signer=signer, metrics=self.metrics, limits=self.limits, proof_size=proof_size,
            domain_extrinsics=self.bundle_pool.domain_extrinsics,
        )  # fmt: skip
        self.objects = ObjectLookup(params, self.tree, archiver, self.limits, proof_size)
        self.states = NodeState(self.tree)
        if archive_inline:
            self.imports.on_new_best = self.archive_confirmed
        self._restore()

    # -- the chain -----------------------------------------------------------------------------

    @property
    def best_hash(self) -> bytes:
        return self.tree.best_hash

    @property
    def best_state(self) -> ChainState:
        return self.tree.best_state

    @property
    def current_slot(self) -> int:
        return self.outputs.current_slot

    def import_block(self, data: bytes) -> ImportOutcome:
        """Validate and store a block (and any orphans waiting for it); rejected blocks change nothing. With inline
        archiving, a block that becomes the best one has the blocks it confirms archived before its children."""
        return self.imports.import_block(data)

    def import_early_blocks(self) -> list[ImportOutcome]:
        """Import the held early blocks whose awaited slot this node has now reached (after on_proof_of_time)."""
        return self.imports.import_early_blocks()

    # -- slots, solutions and transactions -----------------------------------------------------

    def on_proof_of_time(self, slot: int, output: bytes) -> FarmingSlot | None:
        """Learn a slot's PoT output; returns the FarmingSlot farmers should audit (None for a repeat, or a slot
        older than what the node keeps)."""
        if not self.outputs.learn(slot, output):
            return None
        state = self.best_state
        return FarmingSlot(slot, bytes(output), state.solution_range, state.voting_solution_range)

    def proof_of_time(self, slot: int) -> bytes | None:
        return self.outputs.get(slot)

    def on_solution(self, found: FarmerSolution) -> None:
        """Keep a farmer's solution for authoring (the nearest per slot) or as a vote."""
        self.author.on_solution(found)

    def author_ready_blocks(self) -> list[Block]:
        """Author a block for every pending slot whose future proof of time is now known (oldest first)."""
        return self.author.author_ready_blocks()

    def submit_transaction(self, transaction: Transaction) -> bytes:
        """Pool a transaction that applies after the sender's pooled ones; returns its hash (resubmitting a
        pooled one is a no-op). RejectedTransaction otherwise, with the pool unchanged."""
        return self.pool.submit(self.best_state, transaction)

    def _next_block_info(self) -> ConsensusBlockInfo:
        best = self.best_state
        return ConsensusBlockInfo(
            best.number + 1, self.current_slot, self.best_hash, bytes(32), best.transaction_byte_fee,
            self.params.block_authoring_delay, self.outputs.get,
        )  # fmt: skip

    def submit_bundle(self, data: bytes) -> bytes:
        """Pool an encoded domain bundle valid on the best state for the next block; its hash. RejectedBundle
        (naming the rule) otherwise, with the pool unchanged."""
        return self.bundle_pool.submit(data, self.best_state, self._next_block_info())

    def offer_bundle(self, data: bytes) -> BundleSubmission:
        """submit_bundle, with a rejection as the answer instead of an error."""
        return _offered(lambda: self.submit_bundle(data))

    def offer_receipt(self, data: bytes) -> BundleSubmission:
        """Pool an encoded sealed singleton receipt valid on the best state (its hash), or the rule it broke."""
        return _offered(lambda: self.bundle_pool.submit_receipt(data, self.best_state, self._next_block_info()))

    def offer_fraud_proof(self, data: bytes) -> BundleSubmission:
        """Pool an encoded fraud proof that proves a receipt of the best state wrong (the bad receipt's hash), or
        the rule it broke."""
        return _offered(lambda: self.bundle_pool.submit_fraud_proof(data, self.best_state))

    def domain_config(self, domain_id: int) -> DomainConfig:
        """The domain's instantiation config as the best state has it (DomainNotFound when it does not exist): a
        watcher derives the domain's genesis from it."""
        return get_domain(ChainLedger(StateWriter(self.best_state)), domain_id).config

    def domain_view(self, domain_id: int, operator_ids: tuple[int, ...] = ()) -> DomainView:
        """The domain as the best state has it (DomainNotFound when it does not exist)."""
        return read_domain_view(ChainLedger(StateWriter(self.best_state)), domain_id, operator_ids)

    def domain_tick(self, domain_id: int, operator_ids: tuple[int, ...], after_slot: int) -> DomainTick:
        """What an operator polls for: the best block, the slots after `after_slot` with known PoT outputs (at
        most the last 16), and the domain as the best state has it."""
        current = self.current_slot
        first = max(after_slot + 1, current - 15)
        slots = tuple((slot, output) for slot in range(first, current + 1) if (output := self.proof_of_time(slot)))
        return DomainTick(self.best_state.number, self.best_hash, slots, self.domain_view(domain_id, operator_ids))

    def domain_block_input(self, number: int) -> DomainBlockInput | None:
        """Canonical block `number` with the transaction byte fee its bundles were applied at (its parent state's:
        the fee a block's state holds is the next block's), None past the best block; StateNotKept when that state
        is pruned and the fee is dynamic (a fixed fee is every state's)."""
        block_hash = self.tree.canonical_hash(number)
        parent_hash = self.tree.canonical_hash(number - 1) if number > 0 else None
        if block_hash is None or parent_hash is None or number > self.best_state.number:
            return None
        data, state = self.store.block(block_hash), self.tree.state(parent_hash)
        if state is None and not self.best_state.dynamic_storage_fee:
            state = self.best_state
        if data is None or state is None:
            raise StateNotKept(f"the state of block {number} is no longer kept")
        return DomainBlockInput(number, data, state.transaction_byte_fee)

    def account(self, public_key: bytes) -> tuple[int, int]:
        """(balance in the best state, next nonce counting the pool)."""
        return self.pool.account(self.best_state, public_key)

    def state_proof(self, key: bytes, number: int | None = None) -> StateProof:
        """`key`'s entry in the state after best-chain block `number` (None: the best block), with its proof;
        StateNotKept when that state is not held."""
        return self.states.proof(key, number)

    @property
    def pooled_transactions(self) -> tuple[Transaction, ...]:
        return self.pool.transactions()

    def object_location(self, object_hash: bytes) -> GlobalObject | bytes | None:
        """Stored data with this blake3 hash: the data itself while its block is not wholly archived, else the
        archiver's mapping; None when neither knows it (still pooled, or never stored)."""
        return self.objects.object_location(object_hash)

    # -- archiving -----------------------------------------------------------------------------

    def archive_confirmed(self) -> list[SegmentHeader]:
        """Hand every canonical block at least confirmation_depth_k deep to the archiver, in order, and record
        what it answered (see apply_archived); returns the segment headers produced. A failing archiver stops
        the walk: the same block is handed over again on the next call."""
        return self.apply_archived(self.archive.hand_over(self.archive.confirmed_blocks()))

    def apply_archived(self, run: ArchiveRun) -> list[SegmentHeader]:
        """Record a hand-over's blocks, prune what the last archived block makes final, then import the blocks
        that were waiting for those segment headers; returns the headers produced."""
        if run.error != "":
            self.metrics.last_archive_error = run.error
        headers = self.archive.record(run)
        self.objects.learn_headers(headers)
        if len(run.archived) > 0:
            self._prune()
        self.imports.import_awaiting_archive()
        return headers

    def _prune(self) -> None:
        """Drop from memory and the store what the last archived block made final (NodeLimits.prune)."""
        root_hash = self.archive.block_hash
        if not self.limits.prune or root_hash is None:
            return
        root = self.tree.state(root_hash)
        if root is None:
            return
        pruned = self.tree.prune(root_hash)
        self.metrics.blocks_pruned += pruned.canonical + pruned.forks
        self.outputs.prune_below(root.best_slot - self.limits.pot_margin_slots)
        self.imports.forget_archived(root)
        self.objects.forget_headers_below(root.history_size - 1)

    def _context(self) -> BlockContext:
        return BlockContext(
            self.params, self.kzg, self.params.pos_table, self.outputs.get, self.outputs.current_slot,
            self.genesis_hash, self.archive.segment_headers,
        )  # fmt: skip

    def _restore(self) -> None:
        """Rebuild the tree from the store, then prune to the last archived block (a crash may have left more)."""
        self.imports.remember_solutions(self.tree.restore())
        self.archive.restore_hash()
        self._prune()


def _offered(submit: Callable[[], bytes]) -> BundleSubmission:
    try:
        return BundleSubmission(submit())
    except RejectedBundle as error:
        return BundleSubmission(None, str(error))
