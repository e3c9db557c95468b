"""Block authoring: keep the farmers' best solution of each slot, and author once the slot's future proof of time
(slot + block_authoring_delay) is known, with the pooled transactions, the valid votes since the parent and
exactly the segment headers this node archived for the block number.

The authored block is imported like any other (through the Node, so an inline archive follows it); a block
that is not imported is not authored. Farmers seal the blocks their solutions win (the RewardSigner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autonomys.actors.consensus.block_tree import BlockTree
from autonomys.actors.consensus.node_archive import ChainArchive
from autonomys.actors.consensus.node_types import ImportOutcome, ImportStatus, NodeLimits, NodeMetrics, RewardSigner
from autonomys.actors.consensus.pot_outputs import PotOutputs
from autonomys.actors.consensus.transaction_pool import TransactionPool
from autonomys.actors.messages import FarmerSolution
from autonomys.protocol.consensus.chain import BlockContext, build_block, validate_block_solution, validate_vote
from autonomys.protocol.consensus.chain_blocks import Block, PotInfo, PreDigest, SignedVote, Vote, sign_vote
from autonomys.protocol.consensus.chain_segments import get_expected_segment_headers
from autonomys.protocol.consensus.chain_state import ChainState
from autonomys.protocol.domains.domain_extrinsics import DomainExtrinsics
from autonomys.protocol.errors import InvalidBlock, InvalidSolution
from autonomys.protocol.farming.solution_range import is_within_solution_range
from autonomys.protocol.farming.solutions import Solution
from autonomys.protocol.params import Params


@dataclass(frozen=True, slots=True)
class _PendingSolution:
    solution: Solution
    farm_id: str
    distance: int


class BlockAuthor:
    """Authors this node's blocks from farmers' solutions (see the module docstring)."""

    def __init__(
        self,
        params: Params,
        tree: BlockTree,
        outputs: PotOutputs,
        archive: ChainArchive,
        pool: TransactionPool,
        *,
        import_block: Callable[[bytes], ImportOutcome],
        context: Callable[[], BlockContext],
        signer: RewardSigner | None,
        metrics: NodeMetrics,
        limits: NodeLimits,
        proof_size: int,
        domain_extrinsics: Callable[[], DomainExtrinsics] = DomainExtrinsics,
    ) -> None:
        """`domain_extrinsics`: the bundles, singleton receipts and fraud proofs to offer each block built (the
        node's bundle pool)."""
        self.params = params
        self._domain_extrinsics = domain_extrinsics
        self.tree = tree
        self.outputs = outputs
        self.archive = archive
        self.pool = pool
        self.signer = signer
        self.metrics = metrics
        self.limits = limits
        self._import_block = import_block
        self._context = context
        self._proof_size = proof_size
        self._pending: dict[int, _PendingSolution] = {}
        self._votes: dict[int, list[_PendingSolution]] = {}

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
            del votes[self.limits.max_votes_per_slot :]
            return
        pending = self._pending.get(found.slot)
        if pending is None or found.distance < pending.distance:
            self._pending[found.slot] = _PendingSolution(solution, found.farm_id, found.distance)

    def author_ready_blocks(self) -> list[Block]:
        """Author a block for every pending slot whose future proof of time is now known (oldest first). After
        one is authored, the next waits while the segment headers it must carry are not archived yet (a node
        that archives outside its import archives between them)."""
        authored: list[Block] = []
        delay = self.params.block_authoring_delay
        for slot in sorted(self._pending):
            if slot + delay > self.outputs.current_slot:
                break
            if len(authored) > 0 and self.archive.awaits(self.tree.best_state.number + 1):
                break
            block = self._author(slot, self._pending.pop(slot))
            if block is not None:
                authored.append(block)
        self._forget_old_votes()
        return authored

    def _author(self, slot: int, pending: _PendingSolution) -> Block | None:
        parent_hash, parent = self.tree.best_hash, self.tree.best_state
        future = self.outputs.get(slot + self.params.block_authoring_delay)
        proof_of_time = self.outputs.get(slot)
        # A slot at or before the best block's is taken; a solution outside the chain's range cannot author.
        if slot <= parent.best_slot or future is None or proof_of_time is None or self.signer is None:
            return None
        if not is_within_solution_range(pending.distance, parent.solution_range):
            return None
        sign = self.signer
        public_key = pending.solution.public_key
        pot_info = PotInfo(proof_of_time, future)
        try:
            # A solution the chain refuses (a sector expired since it was plotted, a segment not recorded on this
            # parent) never becomes a block: the farmer only learns of the expiry when the next segment lands.
            validate_block_solution(parent, PreDigest(slot, pending.solution, pot_info), self._context())
            # Exactly the segments this node archived for the block number being authored.
            segment_headers = get_expected_segment_headers(parent.number + 1, self.archive.segment_headers, self.params)
            votes = self._collect_votes(parent_hash, parent, slot)
            block = build_block(
                parent, parent_hash, slot=slot, solution=pending.solution, pot_info=pot_info,
                transactions=self.pool.transactions(), votes=votes, segment_headers=segment_headers, params=self.params,
                genesis_hash=self.tree.genesis_hash, sign=lambda message: sign(public_key, message),
                domain=self._domain_extrinsics(), proof_of_time=self.outputs.get,
            )  # fmt: skip
        except (InvalidBlock, InvalidSolution) as error:
            self.metrics.solutions_refused += 1
            self.metrics.last_rejection = f"authoring slot {slot}: {error}"
            return None
        if self._import_block(block.to_bytes()).status is not ImportStatus.IMPORTED:
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
            future, proof_of_time = self.outputs.get(vote_slot + delay), self.outputs.get(vote_slot)
            if future is None or proof_of_time is None:
                continue
            for pending in self._votes[vote_slot]:
                vote = Vote(parent_hash, parent.number + 1, vote_slot, pending.solution, proof_of_time, future)
                signed_vote = self._sign_vote(vote, pending.solution.public_key)
                if signed_vote is None:
                    continue
                try:
                    validate_vote(parent, parent_hash, signed_vote, context, block_slot=slot)
                except (InvalidBlock, InvalidSolution):
                    continue
                signed.append(signed_vote)
        for vote_slot in [s for s in self._votes if s <= slot]:
            del self._votes[vote_slot]
        return signed

    def _sign_vote(self, vote: Vote, public_key: bytes) -> SignedVote | None:
        if self.signer is None:
            return None
        sign = self.signer
        try:
            return sign_vote(vote, lambda message: sign(public_key, message))
        except Exception:  # noqa: BLE001 - a farmer that cannot sign (gone, unknown key) loses its vote
            return None

    def _forget_old_votes(self) -> None:
        """Votes of slots up to the best block's can join no later block on the best chain (a reorg aside)."""
        best_slot = self.tree.best_state.best_slot
        for vote_slot in [s for s in self._votes if s <= best_slot]:
            del self._votes[vote_slot]
