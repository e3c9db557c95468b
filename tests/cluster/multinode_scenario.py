"""A multi-node Ray cluster on one machine (ray.cluster_utils.Cluster): each role is placed where its resource
lives, and a plot shard killed on its node restarts there with its farm intact.

Run as a script by tests/cluster/test_multinode.py (its own Ray cluster, apart from the session's instance):
    python multinode_scenario.py WORK_DIR
It prints one JSON line with what it observed and exits 0, or exits 1 with the reason.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402
from ray.util.state import list_actors  # noqa: E402

from autonomys.actors.farming.farm import Farm  # noqa: E402
from autonomys.actors.farming.farmer import FarmerConfig  # noqa: E402
from autonomys.actors.kzg_setup import KzgSetup, load_kzg  # noqa: E402
from autonomys.actors.timekeeper.service import TimekeeperConfig  # noqa: E402
from autonomys.network.compose import create_farmer, create_timekeeper  # noqa: E402
from autonomys.network.spec import ClusterSpec  # noqa: E402
from autonomys.protocol.params import MINIMAL  # noqa: E402
from autonomys.protocol.timekeeper.pot import PotSeed  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.farms import plotted_farm  # noqa: E402
from helpers.history import archived_history  # noqa: E402
from helpers.waiting import wait_until  # noqa: E402

TIMEOUT = 60


def actor_node(name: str, namespace: str, restarts: int = 0) -> str:
    """The node id of the named actor once Ray's actor table shows it ALIVE after at least `restarts` restarts
    (a failure exits with the reason: this is a script, not a test)."""

    def alive_node() -> str | None:
        found = [a for a in list_actors(filters=[("name", "=", name)], detail=True) if a.ray_namespace == namespace]
        return next((a.node_id for a in found if a.state == "ALIVE" and a.num_restarts >= restarts), None)

    return wait_until(alive_node, TIMEOUT, f"actor {name} ALIVE after {restarts} restarts", fail=sys.exit)


def main(work: Path) -> None:
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "resources": {"timekeeper": 1}})
    disk_a = cluster.add_node(num_cpus=1, resources={"ssd": 1, "plotter": 1})
    disk_b = cluster.add_node(num_cpus=1, resources={"ssd": 1})
    ray.init(address=cluster.address, namespace="multinode")
    try:
        observed = run(work, cluster, {disk_a.node_id: "a", disk_b.node_id: "b"})
    finally:
        ray.shutdown()
        cluster.shutdown()
    print(json.dumps(observed))


def run(work: Path, cluster: Cluster, disks: dict[str, str]) -> dict:
    spec = ClusterSpec(namespace="multinode")
    setup = KzgSetup(num_g1_powers=MINIMAL.record_num_chunks, cache_dir=str(work / "kzg"))
    history = archived_history(work / "archive", MINIMAL, load_kzg(setup), segments=2)
    farms = [plotted_farm(work / f"farm-{label}", history, setup, 2, MINIMAL) for label in ("a", "b")]
    timekeeper = create_timekeeper(spec, TimekeeperConfig(str(work / "tk"), MINIMAL, PotSeed(bytes(16)), autostart=False))
    timekeeper.ready(timeout=TIMEOUT)
    head_id = cluster.head_node.node_id
    placement = {"timekeeper": actor_node("timekeeper", "multinode") == head_id}
    farmers = {}
    for label, path in zip(("a", "b"), farms, strict=True):
        node_id = next(node for node, disk in disks.items() if disk == label)
        farmers[label] = create_farmer(spec, FarmerConfig(str(path)), name=f"farmer-{label}", node_id=node_id)
        farmers[label].ready(timeout=TIMEOUT)
        placement[f"farmer-{label}"] = actor_node(f"farmer-{label}", "multinode") == node_id
    before = farmers["a"].status(timeout=TIMEOUT).sectors_plotted
    node_before = actor_node("farmer-a", "multinode")
    farmers["a"].kill(restart=True)
    node_after = actor_node("farmer-a", "multinode", restarts=1)
    after = wait_until(
        lambda: farmers["a"].status(timeout=10), TIMEOUT, "farmer-a to answer after its restart", fail=sys.exit
    )
    with Farm.open(farms[0]) as farm:
        on_disk = len(farm.plotted_sectors())
    return {
        "placement": placement,
        "restarted_in_place": node_before == node_after,
        "sectors_before": before,
        "sectors_after": after.sectors_plotted,
        "sectors_on_disk": on_disk,
    }


if __name__ == "__main__":
    main(Path(sys.argv[1]))
