"""Consensus on a real local Ray instance: two nodes, each with its own farmer, author separate chains while
partitioned, then converge on one chain once the partition heals (and keep it while slots go on)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from autonomys.actors.consensus.node_service import NodeConfig
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer import FarmerConfig
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.timekeeper.service import TimekeeperConfig
from autonomys.network.compose import create_farmer, create_node, create_timekeeper
from autonomys.network.spec import ClusterSpec
from autonomys.protocol.consensus.chain_state import genesis_state
from autonomys.protocol.timekeeper.pot import PotSeed
from helpers.farms import encoded_chunks_per_s_bucket, plotted_farm
from helpers.history import archived_history
from helpers.recording import PARAMS
from helpers.waiting import ACTOR_POLL_SECONDS, wait_until

pytestmark = pytest.mark.cluster
TIMEOUT = 90
SECTORS = 3
# Block-eligible chunks per slot and farm on average (a block every ~3 slots per partition).
WINS_PER_SLOT = 0.3


def test_two_nodes_converge_after_a_partition_heals(ray_session: str, tmp_path: Path) -> None:
    setup = KzgSetup(num_g1_powers=PARAMS.record_num_chunks, cache_dir=str(tmp_path / "kzg"))
    history = archived_history(tmp_path / "archive", PARAMS, load_kzg(setup), segments=2)
    farms = [plotted_farm(tmp_path / f"farm{i}", history, setup, SECTORS, PARAMS) for i in range(2)]
    keys = []
    for path in farms:
        with Farm.open(path) as farm:
            keys.append(farm.identity.public_key)
    solution_range = int(WINS_PER_SLOT / encoded_chunks_per_s_bucket(farms[0], PARAMS) * 2**64)
    genesis = genesis_state(
        PARAMS, endowments=dict.fromkeys(keys, 10**18), solution_range=solution_range,
        pot_slot_iterations=PARAMS.pot_slot_iterations, segment_headers=history.archiver.segment_headers(),
    )  # fmt: skip

    spec = ClusterSpec(namespace=ray_session)
    run = uuid.uuid4().hex[:6]
    node_names = [f"node{i}-{run}" for i in range(2)]
    farmer_names = [f"farmer{i}-{run}" for i in range(2)]
    farmers = []
    for i, path in enumerate(farms):
        farmers.append(create_farmer(spec, FarmerConfig(str(path)), name=farmer_names[i]))
    nodes = [
        create_node(
            spec,
            NodeConfig(str(tmp_path / "nodes"), PARAMS, genesis, name=node_names[i], farmers=(farmer_names[i],)),
            name=node_names[i],
        )
        for i in range(2)
    ]
    for actor in (*farmers, *nodes):
        assert actor.ready(timeout=TIMEOUT)
    for farmer, node_name in zip(farmers, node_names, strict=True):
        farmer.subscribe_solutions(node_name)
    timekeeper = create_timekeeper(
        spec, TimekeeperConfig(str(tmp_path / "tk"), PARAMS.with_slot_iterations(3_200_000), PotSeed(bytes(16)), autostart=False),
        name=f"timekeeper-{run}",
    )  # fmt: skip
    for node_name in node_names:
        timekeeper.subscribe(node_name, timeout=TIMEOUT)

    def seen(what: str) -> str:
        """What each node saw, so a failure on CI explains itself."""
        return f"{what}: {[node.status() for node in nodes]}"

    try:
        timekeeper.handle.start.remote()
        # Partitioned: each node builds on its own farmer's solutions.
        statuses = wait_until(
            lambda: all(n.status().blocks_authored >= 3 for n in nodes) and [n.status() for n in nodes],
            TIMEOUT,
            lambda: seen("3 blocks each"),
            interval=ACTOR_POLL_SECONDS,
        )
        assert statuses[0].best_hash != statuses[1].best_hash
        # Heal: each node fetches the other's chain and gossips from now on.
        nodes[0].set_peers([node_names[1]])
        nodes[1].set_peers([node_names[0]])
        # While slots go on, both heads move several times a second, so they are compared only once the clock stops.
        before = max(s.best_number for s in statuses)
        wait_until(
            lambda: min(n.status().best_number for n in nodes) >= before + 3,
            TIMEOUT,
            lambda: seen("3 more blocks after healing"),
            interval=ACTOR_POLL_SECONDS,
        )
        timekeeper.stop()
        final = wait_until(
            lambda: (s := [n.status() for n in nodes])[0].best_hash == s[1].best_hash and s,
            TIMEOUT,
            lambda: seen("the nodes to agree at the end"),
            interval=ACTOR_POLL_SECONDS,
        )
    finally:
        timekeeper.kill(restart=False)
        for actor in (*nodes, *farmers):
            actor.kill(restart=False)
    assert final[0].best_number >= before + 3
    assert final[0].reorgs + final[1].reorgs >= 1  # one side switched chains when the partition healed
    assert sum(s.blocks_rejected for s in final) == 0, [s.last_error for s in final]
    authored = {farm for s in final for farm, count in s.authored_by_farm.items() if count}
    assert len(authored) == 2
