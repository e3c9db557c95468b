"""The node and its archive: blocks carry exactly what the archive produced, a forged or unarchived history is
rejected, a failing archiver (down, restarting, a lost answer) delays the chain but loses nothing, and archived
blocks are final. Real Archiver, real Node core, MINIMAL history; no Ray."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from autonomys.actors.archiving.archiver import Archiver, SegmentHeaderNotification
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.consensus.node import ImportStatus, Node
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.chain import build_block
from autonomys.protocol.consensus.chain_segments import compute_segment_headers_source
from autonomys.protocol.params import MINIMAL
from helpers.chain import (
    BOB,
    ChainSetup,
    compute_pot_info,
    compute_test_proof_of_time,
    make_chain_setup,
    recorded_commitments,
    reseal,
    store,
)
from helpers.node_world import Chain, FlakyArchiver, genesis_archiver

PARAMS = dataclasses.replace(MINIMAL, confirmation_depth_k=2)
FILLER = 3_000
"""Bytes stored per block, so a MINIMAL segment (15 872 bytes) fills every four blocks or so; few enough that
the author's sector (plotted at history size 3) does not expire within a test."""


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> ChainSetup:
    return make_chain_setup(Path(tmp_path_factory.mktemp("history")))


def author_blocks(world: Chain, count: int, sizes: dict[int, int] | None = None) -> list:
    """`count` blocks, each storing FILLER bytes (or sizes[i] for the i-th)."""
    blocks = []
    filler = random.Random(0)
    for index in range(count):
        nonce = world.node.account(BOB.public_key)[1]
        data = filler.randbytes((sizes or {}).get(index, FILLER))
        world.node.submit_transaction(store(BOB, nonce, data, world.node.genesis_hash))
        blocks.append(world.author_block())
    return blocks


def test_each_block_carries_exactly_what_the_archive_produced(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "pieces", PARAMS)
    blocks = author_blocks(world, 10, sizes={3: 20_000})  # block 4 spans segments
    carried = 0
    for block in blocks:
        source = compute_segment_headers_source(block.header.number, PARAMS)
        expected = [] if source is None else world.archiver.segment_headers_for_block(source)
        assert list(block.segment_headers) == expected
        carried += len(expected)
    assert carried >= 2, "the test should archive segments"
    recorded = recorded_commitments(world.node.best_state)
    assert recorded == tuple(bytes(h.segment_commitment) for h in world.archiver.segment_headers()[: len(recorded)])


class Follower:
    """A second node with its own archive of the same genesis block."""

    def __init__(self, world: Chain, directory: Path, setup: ChainSetup, archiver=None) -> None:  # noqa: ANN001
        self.archiver = genesis_archiver(directory, setup, PARAMS)
        self.node = Node(
            PARAMS, world.genesis, NodeStore(MemoryKVStore()), setup.kzg,
            archiver=archiver(self.archiver) if archiver is not None else self.archiver,
        )  # fmt: skip
        for slot in range(1, world.node.current_slot + 1):
            self.node.on_proof_of_time(slot, compute_test_proof_of_time(slot))


def forged_history(block, setup_author, expected: tuple[SegmentHeader, ...]) -> dict:  # noqa: ANN001
    first = expected[0]
    return {
        "forged commitment": (dataclasses.replace(first, segment_commitment=bytes([0xFF]) * 48), *expected[1:]),
        "missing": expected[:-1],
        "extra": (*expected, SegmentHeader(expected[-1].segment_index + 1, first.segment_commitment, expected[-1].hash(), first.last_archived_block)),
    }  # fmt: skip


def test_a_peer_block_with_forged_history_is_rejected_and_changes_nothing(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "author", PARAMS)
    blocks = author_blocks(world, 10)
    carrier = next(block for block in blocks if len(block.segment_headers) > 0)
    follower = Follower(world, tmp_path / "follower", chain)
    for block in blocks[: carrier.header.number - 1]:
        assert follower.node.import_block(block.to_bytes()).status is ImportStatus.IMPORTED
    before = (
        follower.node.best_hash,
        follower.node.metrics.blocks_imported,
        sorted(follower.node.store.store.items_with_prefix(b"")),
    )
    for name, headers in forged_history(carrier, world.author, carrier.segment_headers).items():
        forged = reseal(carrier, world.author.keypair, segment_headers=headers)
        outcome = follower.node.import_block(forged.to_bytes())
        assert outcome.status is ImportStatus.REJECTED, name
        assert "InvalidSegmentHeaders" in outcome.reason, (name, outcome.reason)
    after = (
        follower.node.best_hash,
        follower.node.metrics.blocks_imported,
        sorted(follower.node.store.store.items_with_prefix(b"")),
    )
    assert after == before
    # The honest block and the rest still import.
    assert {follower.node.import_block(block.to_bytes()).status for block in blocks[carrier.header.number - 1 :]} == {
        ImportStatus.IMPORTED
    }
    assert follower.node.best_hash == world.node.best_hash


def test_a_failing_archiver_delays_the_chain_but_loses_no_segment(chain: ChainSetup, tmp_path: Path) -> None:
    archiver = genesis_archiver(tmp_path / "pieces", chain, PARAMS)
    flaky = FlakyArchiver(archiver)
    world = Chain(chain, tmp_path / "unused", PARAMS, archiver=flaky)
    world.archiver = archiver
    filler = random.Random(0)
    authored = 0
    for _ in range(40):
        nonce = world.node.account(BOB.public_key)[1]
        world.node.submit_transaction(store(BOB, nonce, filler.randbytes(FILLER), world.node.genesis_hash))
        try:
            world.author_block()
            authored += 1
        except AssertionError:
            world.node.archive_confirmed()  # the next slot retries archiving
        if authored >= 10:
            break
    assert flaky.failures >= 3
    assert authored >= 10
    recorded = recorded_commitments(world.node.best_state)
    produced = archiver.segment_headers()
    assert len(recorded) > 4  # segments archived from the chain's own blocks are recorded
    assert recorded == tuple(bytes(h.segment_commitment) for h in produced[: len(recorded)])
    assert world.node.metrics.blocks_rejected == 0


def test_blocks_wait_for_the_archive_they_record_then_import(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "author", PARAMS)
    blocks = author_blocks(world, 10)
    down = {"down": True}

    class Switchable(FlakyArchiver):
        def on_confirmed_block(self, number: int, block: bytes) -> list:
            if down["down"]:
                raise ConnectionError("archiver restarting")
            return self.archiver.on_confirmed_block(number, block)

    follower = Follower(world, tmp_path / "follower", chain, archiver=Switchable)
    statuses = [follower.node.import_block(block.to_bytes()).status for block in blocks]
    first_held = PARAMS.confirmation_depth_k + 2  # its segments come from block 1, which is not archived
    assert statuses[: first_held - 1] == [ImportStatus.IMPORTED] * (first_held - 1)
    assert (
        set(statuses[first_held - 1 :]) == {ImportStatus.AWAITING_ARCHIVE, ImportStatus.ORPHAN}
        or statuses[first_held - 1] == ImportStatus.AWAITING_ARCHIVE
    )
    assert follower.node.best_state.number == first_held - 1
    down["down"] = False
    follower.node.archive_confirmed()
    assert follower.node.best_hash == world.node.best_hash
    assert follower.node.metrics.blocks_rejected == 0


def test_a_block_that_forks_below_the_archive_is_rejected(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "author", PARAMS)
    author_blocks(world, 8)
    assert world.node.best_state.number - PARAMS.confirmation_depth_k >= 5
    # A rival block 1 on genesis, at a slot after the chain's, sealed by the same farmer: valid but for finality.
    won = world.author.solve(world.next_slot) or world.author.wins(world.next_slot, 1)[0]
    for slot in range(world.node.current_slot + 1, won.slot + PARAMS.block_authoring_delay + 1):
        world.node.on_proof_of_time(slot, world.node.proof_of_time(slot) or compute_pot_info(slot).proof_of_time)
    rival = build_block(
        world.genesis, world.node.genesis_hash, slot=won.slot, solution=won.solution, pot_info=compute_pot_info(won.slot, PARAMS),
        transactions=(), votes=(), segment_headers=(), params=PARAMS, genesis_hash=world.node.genesis_hash,
        sign=world.author.keypair.sign,
    )  # fmt: skip
    outcome = world.node.import_block(rival.to_bytes())
    assert outcome.status is ImportStatus.REJECTED
    assert "ArchivedBlockConflict" in outcome.reason


# ---- the archiver's side ----


class FailingSubscriber:
    name = "restarting-farmer"

    def __init__(self) -> None:
        self.calls = 0

    def on_segment_header(self, notification: SegmentHeaderNotification) -> None:
        self.calls += 1
        raise ConnectionError("actor is restarting")


def test_a_failing_subscriber_cannot_stop_archiving(chain: ChainSetup, tmp_path: Path) -> None:
    archiver = genesis_archiver(tmp_path / "pieces", chain, PARAMS)
    subscriber = FailingSubscriber()
    archiver.subscribers.append(subscriber)
    produced = []
    for number in range(1, 8):
        produced += archiver.on_confirmed_block(number, random.Random(number).randbytes(6_000))
    assert len(produced) >= 2
    assert subscriber.calls == len(produced) == archiver.notification_failures
    assert archiver.segment_headers()[-len(produced) :] == produced


def test_the_archiver_answers_a_repeat_with_the_same_headers_even_after_a_restart(
    chain: ChainSetup, tmp_path: Path
) -> None:
    store_ = MemoryKVStore()
    archiver = Archiver(PARAMS, chain.kzg, store_, SegmentPieceFiles(tmp_path / "pieces", PARAMS))
    answers = {
        number: archiver.on_confirmed_block(number, random.Random(number).randbytes(9_000)) for number in range(6)
    }
    assert sum(len(headers) for headers in answers.values()) >= 3
    for number, headers in answers.items():
        assert archiver.on_confirmed_block(number, b"ignored: already taken") == headers
        assert archiver.segment_headers_for_block(number) == headers
    reopened = Archiver(PARAMS, chain.kzg, store_, SegmentPieceFiles(tmp_path / "pieces", PARAMS))
    assert {number: reopened.on_confirmed_block(number, b"") for number in answers} == answers


def test_segments_produced_while_restoring_belong_to_the_block_that_completed_them(
    chain: ChainSetup, tmp_path: Path
) -> None:
    """A crash after storing a block but before its segment: the restarted archiver produces the segment and
    answers the node's repeat of that block with it."""
    store_ = MemoryKVStore()
    pieces = SegmentPieceFiles(tmp_path / "pieces", PARAMS)
    calls = {"count": 0}

    def crashing_committer(records):  # noqa: ANN001, ANN202
        calls["count"] += 1
        raise ConnectionError("killed while committing")

    archiver = Archiver(PARAMS, chain.kzg, store_, pieces)
    archiver.on_confirmed_block(0, random.Random(0).randbytes(8_000))
    archiver.commit_records = crashing_committer
    with pytest.raises(ConnectionError):
        archiver.on_confirmed_block(1, random.Random(1).randbytes(9_000))
    reopened = Archiver(PARAMS, chain.kzg, store_, SegmentPieceFiles(tmp_path / "pieces", PARAMS))
    headers = reopened.on_confirmed_block(1, b"")
    assert len(headers) == 1 and calls["count"] == 1
    assert reopened.segment_headers()[-1] == headers[0]


def test_an_oversized_block_is_refused_before_it_is_decoded(chain: ChainSetup, tmp_path: Path) -> None:
    from autonomys.protocol.consensus.chain_limits import MAX_BLOCK_LENGTH

    world = Chain(chain, tmp_path / "pieces", PARAMS)
    honest = author_blocks(world, 1)[0].to_bytes()
    outcome = world.node.import_block(honest + bytes(MAX_BLOCK_LENGTH + 1 - len(honest)))
    assert outcome.status is ImportStatus.REJECTED and outcome.reason.startswith("BlockTooLarge")
    assert world.node.best_state.number == 1
