"""The node service and its archiver (no Ray): the archiver works without the service's lock, so the service
keeps answering meanwhile; a failing archiver delays the chain but loses nothing."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from autonomys.actors.consensus.node_service import NodeConfig, NodeService
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.protocol.consensus.chain_blocks import Block
from helpers.chain import ALICE, BOB, ChainSetup, compute_test_proof_of_time, make_chain_setup, store
from helpers.links import LocalLinks
from helpers.node_world import PARAMS, Chain, FlakyArchiver, genesis_archiver
from helpers.waiting import wait_until

WAIT = 30.0


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> ChainSetup:
    return make_chain_setup(Path(tmp_path_factory.mktemp("history")))


def start_service(world: Chain, tmp_path: Path, archiver: object) -> NodeService:
    """A service with `archiver`, knowing the PoT outputs of the world's slots."""
    config = NodeConfig(
        str(tmp_path), PARAMS, world.genesis, archiver="archiver", slot_silence_seconds=0.2,
        kzg_setup=KzgSetup(num_g1_powers=PARAMS.record_num_chunks, cache_dir=str(tmp_path / "kzg")),
    )  # fmt: skip
    service = NodeService(config, LocalLinks({"archiver": archiver}))
    for slot in range(1, world.node.current_slot + 1):
        service.node.on_proof_of_time(slot, compute_test_proof_of_time(slot))
    return service


class BlockingArchiver:
    """Takes confirmed blocks (producing no segment) only once released; says when a call is waiting."""

    def __init__(self) -> None:
        self.waiting = threading.Event()
        self.release = threading.Event()
        self.taken: list[int] = []

    def on_confirmed_block(self, number: int, block: bytes) -> list:
        self.waiting.set()
        assert self.release.wait(WAIT), "never released"
        self.taken.append(number)
        return []

    def segment_headers_for_block(self, number: int) -> list:
        return []

    def object_mapping(self, object_hash: bytes) -> None:
        return None


def answered_quickly(call, *args):  # noqa: ANN001, ANN002, ANN201
    started = time.monotonic()
    result = call(*args)
    assert time.monotonic() - started < 2.0, f"{call.__name__} waited for the archiver"
    return result


def test_the_service_answers_while_the_archiver_works(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain)  # no archive: its blocks carry no segment headers, as the blocking archiver produces none
    blocks = [world.author_block() for _ in range(PARAMS.confirmation_depth_k + 4)]
    archiver = BlockingArchiver()
    service = start_service(world, tmp_path, archiver)
    try:
        for block in blocks:
            service.on_block(block.to_bytes())
        assert archiver.waiting.wait(WAIT), "block 1 was never handed to the archiver"
        # Block K + 1 confirmed block 1, whose archiving now blocks the event thread, without the lock.
        status = answered_quickly(service.status)
        assert status.best_number == PARAMS.confirmation_depth_k + 1
        assert answered_quickly(service.best_block_hash) == blocks[PARAMS.confirmation_depth_k].hash()
        assert answered_quickly(service.account, ALICE.public_key)[1] == 0
        transaction = store(ALICE, 0, b"pooled while archiving", service.node.genesis_hash)
        assert answered_quickly(service.submit_transaction, transaction.to_bytes()) == transaction.hash()
        assert answered_quickly(service.headers, 1, 3) == [block.header.to_bytes() for block in blocks[:3]]
        assert archiver.taken == []
        archiver.release.set()
        wait_until(lambda: service.status().best_number == len(blocks), WAIT, "the blocks queued meanwhile")
        wait_until(lambda: service.node.archive.number == len(blocks) - PARAMS.confirmation_depth_k, WAIT, "archiving")
        assert archiver.taken == list(range(1, len(blocks) - PARAMS.confirmation_depth_k + 1))
        assert service.status().blocks_rejected == 0
    finally:
        archiver.release.set()
        service.shutdown()


def test_a_failing_archiver_delays_the_service_but_loses_nothing(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "author")
    filler = random.Random(0)
    blocks: list[Block] = []
    for _ in range(12):  # about a segment every four blocks
        nonce = world.node.account(BOB.public_key)[1]
        world.node.submit_transaction(store(BOB, nonce, filler.randbytes(3_000), world.node.genesis_hash))
        blocks.append(world.author_block())
    archive = genesis_archiver(tmp_path / "follower", chain)
    flaky = FlakyArchiver(archive, period=2)
    service = start_service(world, tmp_path, flaky)
    try:
        for block in blocks:
            service.on_block(block.to_bytes())
        wait_until(lambda: service.status().best_hash == world.node.best_hash.hex(), WAIT, lambda: service.status().last_error)
        wait_until(lambda: service.node.archive.number == world.node.archive.number, WAIT, "archiving")
        assert flaky.failures >= 2
        assert archive.segment_headers() == world.archiver.segment_headers()
        assert service.status().blocks_rejected == 0
    finally:
        service.shutdown()
