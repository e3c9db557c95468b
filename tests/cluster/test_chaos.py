"""Chaos on a real MINIMAL devnet: each farmer, the archiver, the node and the timekeeper is killed with SIGKILL,
one at a time, while objects fill segments. After each kill Ray restarts the role, and the chain authors new
blocks within a bounded number of slots; at the end nothing put or archived before a kill is lost."""

from __future__ import annotations

import os
import random
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest
import ray

from autonomys.actors.dsn.directory import DsnNames, build_piece_getter
from autonomys.actors.handles import NodeObjectsHandle, RayLinks
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.actors.objects.client import ObjectClient, dev_account
from autonomys.network.compose import NetworkPlan, start_network
from autonomys.network.farms import devnet_farms
from autonomys.network.genesis import prepare_network
from autonomys.network.spec import ARCHIVER_NAME, NODE_NAME, ClusterSpec
from autonomys.protocol.consensus.chain_blocks import Block
from autonomys.protocol.farming.solutions import compute_proof_of_space_size
from helpers.waiting import ACTOR_POLL_SECONDS, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
TIMEOUT = 240.0
RECOVERY_BLOCKS = 3
"""New blocks the chain must author after each kill."""
RECOVERY_SLOTS = 400
"""...within this many slots (about 100 s of MINIMAL slots here; a role restarts in a few seconds)."""
OBJECT_SIZE = 24_000
"""Bytes put before each kill: more than a MINIMAL segment (15 872 bytes), so segments are being produced."""


@dataclass
class Snapshot:
    """What the network held just before a kill."""

    victim: str
    best_number: int
    slot: int
    canonical: list[bytes]
    segment_headers: list
    objects: dict[bytes, bytes]


def process_id(handle) -> int:  # noqa: ANN001 - a Ray actor handle
    return ray.get(handle.__ray_call__.remote(lambda actor: os.getpid()), timeout=60)


def kill_hard(handle) -> int:  # noqa: ANN001
    """SIGKILL the actor's worker process (no shutdown, no flush); Ray restarts the actor from its config."""
    pid = process_id(handle)
    os.kill(pid, signal.SIGKILL)
    return pid


def block_hashes(blocks: list[bytes], proof_size: int) -> list[bytes]:
    return [bytes(Block.from_bytes(data, proof_size).hash()) for data in blocks]


def test_no_single_crash_stops_the_chain_or_loses_data(ray_session: str, tmp_path: Path) -> None:
    spec = ClusterSpec(preset="minimal", namespace=ray_session, cache_peers=1)
    prepared = prepare_network(spec.preset, tmp_path / "net")
    devnet = start_network(NetworkPlan(spec, prepared.data_dir, prepared.genesis, devnet_farms(prepared.genesis, prepared.data_dir)), print)
    params = prepared.genesis.params()
    proof_size = compute_proof_of_space_size(params)
    kzg = load_kzg(setup_for(params.record_num_chunks))
    links = RayLinks(ray_session)
    getter = build_piece_getter(params, kzg, links.node(NODE_NAME), DsnNames((), None, ARCHIVER_NAME, ()), links)
    client = ObjectClient(NodeObjectsHandle(NODE_NAME), getter, params)
    assert devnet.archiver is not None and devnet.node is not None
    victims = {name: farmer.handle for name, farmer in devnet.farmers.items()}
    victims |= {"archiver": devnet.archiver.handle, "node": devnet.node.handle, "timekeeper": devnet.timekeeper.handle}
    objects: dict[bytes, bytes] = {}
    snapshots: list[Snapshot] = []
    recoveries: dict[str, int] = {}
    try:
        wait_until(
            lambda: devnet.node.status().best_number >= 3, TIMEOUT, "the first blocks", interval=ACTOR_POLL_SECONDS
        )
        for index, (name, handle) in enumerate(victims.items()):
            data = random.Random(index).randbytes(OBJECT_SIZE)
            objects[client.put(data, dev_account(), wait_seconds=TIMEOUT)] = data
            status = devnet.node.status()
            snapshots.append(
                Snapshot(
                    name, status.best_number, status.current_slot, block_hashes(devnet.node.canonical_blocks(), proof_size),
                    list(devnet.archiver.segment_headers()), dict(objects),
                )
            )  # fmt: skip
            kill_hard(handle)
            after = wait_until(
                lambda before=status.best_number: (
                    (s := devnet.node.status()).best_number >= before + RECOVERY_BLOCKS and s
                ),
                TIMEOUT,
                f"{RECOVERY_BLOCKS} blocks after killing {name}",
                interval=ACTOR_POLL_SECONDS,
            )
            recoveries[name] = after.current_slot - status.current_slot
            print(f"killed {name}: {RECOVERY_BLOCKS} new blocks {recoveries[name]} slots later", flush=True)
            assert recoveries[name] <= RECOVERY_SLOTS, recoveries
            wait_until(
                lambda handle=handle: ray.get(handle.ready.remote(), timeout=30),
                TIMEOUT,
                f"{name} to answer again",
                interval=ACTOR_POLL_SECONDS,
            )
        final = devnet.node.status()
        canonical = block_hashes(devnet.node.canonical_blocks(), proof_size)
        headers = list(devnet.archiver.segment_headers())
        for snapshot in snapshots:
            assert canonical[: len(snapshot.canonical)] == snapshot.canonical, snapshot.victim
            assert headers[: len(snapshot.segment_headers)] == snapshot.segment_headers, snapshot.victim
        assert len(headers) > len(snapshots[0].segment_headers), "segments were produced during the test"
        for object_id, data in objects.items():
            assert client.get(object_id) == data
        assert final.blocks_rejected == 0, final.last_error
    finally:
        devnet.stop()
        for handle in victims.values():
            ray.kill(handle, no_restart=True)
    print(f"recovery slots by victim: {recoveries}")
