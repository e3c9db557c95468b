"""A Node core on MINIMAL history that authors blocks from a test farmer's solutions and, when given a
directory, archives its own chain into a real Archiver whose genesis segments the genesis state records."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path

from autonomys.actors.archiving.archiver import Archiver
from autonomys.actors.archiving.history import ArchiverHistory
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.consensus.node import ConfirmedBlockSink, Node, NodeLimits
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.consensus.transaction_pool import TransactionPool
from autonomys.actors.messages import FarmerSolution
from autonomys.actors.objects.client import dev_account
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.consensus.chain import Block
from autonomys.protocol.consensus.chain_state import genesis_header_hash
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.farming.solution_range import is_within_solution_range
from autonomys.protocol.params import MINIMAL, Params
from helpers.chain import (
    ALICE,
    BOB,
    GENESIS_SEGMENTS,
    ChainFarmer,
    ChainSetup,
    compute_test_proof_of_time,
    make_genesis,
)

PARAMS = MINIMAL
SOLUTION_RANGE = U64_MAX // 4
DEV = dev_account()


def genesis_archiver(directory: Path, setup: ChainSetup, params: Params = PARAMS) -> Archiver:
    """An archiver that archived block 0 (random bytes, GENESIS_SEGMENTS segments long) and nothing else."""
    archiver = Archiver(params, setup.kzg, MemoryKVStore(), SegmentPieceFiles(directory, params))
    block_zero = random.Random(0).randbytes(GENESIS_SEGMENTS * params.recorded_history_segment_size)
    assert len(archiver.on_confirmed_block(0, block_zero)) == GENESIS_SEGMENTS
    return archiver


class FlakyArchiver:
    """An archiver link that fails every `period`-th call, half of the time after the archive took the block
    (the answer is lost, as when the node's call times out or the archiver dies before replying)."""

    def __init__(self, archiver: Archiver, period: int = 3) -> None:
        self.archiver = archiver
        self.period = period
        self.calls = 0
        self.failures = 0

    def on_confirmed_block(self, number: int, block: bytes) -> list:
        self.calls += 1
        if self.calls % self.period == 0:
            self.failures += 1
            if self.failures % 2 == 0:
                self.archiver.on_confirmed_block(number, block)  # taken, then the answer is lost
            raise ConnectionError("archiver unavailable")
        return self.archiver.on_confirmed_block(number, block)

    def segment_headers_for_block(self, number: int) -> list:
        return self.archiver.segment_headers_for_block(number)

    def object_mapping(self, object_hash: bytes):  # noqa: ANN201
        return self.archiver.object_mapping(object_hash)


class Chain:
    """A Node core authoring blocks from the test author's solutions, archiving into a real Archiver."""

    def __init__(
        self,
        setup: ChainSetup,
        directory: Path | None = None,
        params: Params = PARAMS,
        archiver: ConfirmedBlockSink | None = None,
        *,
        limits: NodeLimits | None = None,
        pool_bounds: Mapping[str, int] | None = None,
        store: NodeStore | None = None,
    ) -> None:
        """With `directory`, the node archives into a genesis_archiver there (reached through `archiver` when
        given: a wrapper around it that the test controls). `pool_bounds` are TransactionPool's keyword bounds;
        `store` defaults to a fresh one in memory."""
        # A range below the widest gives blocks fork weight (so each new block becomes the best).
        endowed = [ALICE.public_key, BOB.public_key, DEV.public_key]
        self.archiver = None
        self.author = setup.author
        headers = setup.headers
        self.params = params
        if directory is not None:
            # The node archives its own chain, so its genesis records what its archiver made of block 0 (the
            # blocks after it must carry exactly the segments that archive produces), and the author plots that.
            self.archiver = genesis_archiver(directory, setup, params)
            headers = tuple(self.archiver.segment_headers())
            self.author = ChainFarmer("author", ArchiverHistory(self.archiver), setup.kzg, params)
        self.genesis = make_genesis(headers, endowed, params, solution_range=SOLUTION_RANGE)
        signer = self.author.keypair.sign
        pool = TransactionPool(params, genesis_header_hash(self.genesis), **(pool_bounds or {}))
        self.node = Node(
            params, self.genesis, store if store is not None else NodeStore(MemoryKVStore()), setup.kzg,
            archiver=archiver if archiver is not None else self.archiver,
            signer=lambda public_key, message: signer(message), limits=limits, pool=pool,
        )  # fmt: skip
        self.next_slot = 5

    def author_block(self) -> Block:
        """Author (and archive what is confirmed) the next block, with whatever the pool holds."""
        won = self.author.solve(self.next_slot)
        while won is None or not is_within_solution_range(won.distance, self.node.best_state.solution_range):
            self.next_slot += 1
            won = self.author.solve(self.next_slot)
        self.next_slot = won.slot + 1
        for slot in range(self.node.current_slot + 1, won.slot + self.params.block_authoring_delay + 1):
            self.node.on_proof_of_time(slot, compute_test_proof_of_time(slot))
        self.node.on_solution(FarmerSolution(won.slot, "author", won.solution.to_bytes(), won.distance, False))
        authored = self.node.author_ready_blocks()
        assert len(authored) == 1, self.node.metrics.last_rejection
        self.node.archive_confirmed()
        return authored[0]
