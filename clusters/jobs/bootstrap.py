"""The idempotent bootstrap job: create or attach to every service role of a topology on a running cluster.

    ray job submit --address http://127.0.0.1:8265 --working-dir . -- \\
        python -m autonomys.jobs.bootstrap --config clusters/topology.example.yaml

It connects (`--address auto` inside a job is the job's own cluster), checks that the cluster advertises
the resources the topology needs (a request nobody can satisfy would hang silently), places each farm on a
node, then starts the roles as named, detached actors in the spec's namespace (get_if_exists) through
`network.compose.start_network`, the same code the devnet runs, prints one summary line and exits. The roles outlive
the job; running it again attaches to them: no duplicates, the genesis block is not archived twice.

Placement: a farm with a `host` is created on, and its farmer pinned to, the alive node whose IP, `host`
label (clusters/detect_resources.py) or short hostname matches; a farm without one goes to the node with
the most `ssd` units left (chosen once, in a stable order). The archiver and the node are pinned to the
bootstrap's own node (the head, for a submitted job): genesis.json and their stores live in its data_dir.

Exit status: 0 deployed, 1 the cluster is unreachable or a role failed, 2 the topology or the cluster
must change (invalid topology, missing resources, a farm that fits no node).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.farming.farm import FarmError
from autonomys.actors.storage import StorageError
from autonomys.clusters.topology import (
    FarmConfig,
    Topology,
    TopologyError,
    compute_missing_resources,
    load_topology,
    required_resources,
)
from autonomys.network.compose import NetworkPlan, start_network
from autonomys.network.farms import FarmPlan
from autonomys.network.genesis import (
    ConfigError,
    GenesisConfig,
    load_genesis,
    load_or_create_genesis,
    prepare_data_dir,
    write_genesis,
)
from autonomys.network.runtime import (
    ClusterUnreachable,
    alive_nodes,
    cluster_connection,
    cluster_resources,
    current_node_id,
    named_actors,
)
from autonomys.network.spec import ARCHIVER_NAME, NODE_NAME, SSD_RESOURCE, TIMEKEEPER_NAME, ClusterSpec
from autonomys.protocol.errors import ProtocolError
from autonomys.protocol.params import get_preset

EXIT_UNREACHABLE = 1
EXIT_MUST_CHANGE = 2


class PlacementError(Exception):
    """A farm no alive node can hold; the message names the farm and the nodes there are."""


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What placement needs of one alive Ray node."""

    node_id: str
    address: str
    hostname: str
    host_label: str | None
    ssd: int

    @classmethod
    def from_ray(cls, node: dict[str, Any]) -> NodeInfo:
        labels = node.get("Labels") or {}
        return cls(
            node_id=node["NodeID"],
            address=node["NodeManagerAddress"],
            hostname=node.get("NodeManagerHostname", ""),
            host_label=labels.get("host"),
            ssd=int(node.get("Resources", {}).get(SSD_RESOURCE, 0)),
        )

    def matches(self, host: str) -> bool:
        """Whether a topology's `host` names this node: its IP, its `host` label or its (short) hostname."""
        return host in (self.address, self.host_label, self.hostname, self.hostname.split(".")[0])

    def describe(self) -> str:
        label = f" host={self.host_label}" if self.host_label is not None else ""
        return f"{self.address} ({self.hostname}{label}, ssd {self.ssd})"


def compute_farm_nodes(farms: Sequence[FarmConfig], nodes: Sequence[NodeInfo]) -> list[str]:
    """The node id each farm goes to: its host's node, else the node with the most ssd units left."""
    ordered = sorted(nodes, key=lambda node: (node.address, node.node_id))
    used = {node.node_id: 0 for node in ordered}
    chosen: list[str | None] = [None] * len(farms)
    for index, farm in enumerate(farms):
        if farm.host is None:
            continue
        candidates = [node for node in ordered if node.matches(farm.host)]
        if len(candidates) == 0:
            known = "; ".join(node.describe() for node in ordered)
            msg = f"farms[{index}].host {farm.host!r} matches no alive node (nodes: {known})"
            raise PlacementError(msg)
        # Several raylets may share one IP (extra plotting workers): the one with ssd units holds the disks.
        node = max(candidates, key=lambda node: node.ssd - used[node.node_id])
        if used[node.node_id] >= node.ssd:
            msg = (
                f"farms[{index}]: host {farm.host!r} advertises {node.ssd} ssd units, fewer than the farms listed on it"
            )
            raise PlacementError(msg)
        used[node.node_id] += 1
        chosen[index] = node.node_id
    for index, farm in enumerate(farms):
        if farm.host is not None:
            continue
        node = max(ordered, key=lambda node: node.ssd - used[node.node_id])
        if used[node.node_id] >= node.ssd:
            msg = f"farms[{index}]: no node has an ssd unit left for it"
            raise PlacementError(msg)
        used[node.node_id] += 1
        chosen[index] = node.node_id
    return [node_id for node_id in chosen if node_id is not None]


def load_network_genesis(topology: Topology, data_dir: Path) -> tuple[GenesisConfig, bool]:
    """(genesis, created): the data_dir's network, a new one ("create"), or the genesis.json the topology joins."""
    network = topology.network
    if network.genesis == "create":
        return load_or_create_genesis(data_dir, network.preset, tuple(topology.domains) or None)
    path = Path(network.genesis)
    try:
        joined = GenesisConfig.model_validate_json(path.read_text())
    except (OSError, ValidationError) as error:
        msg = f"network.genesis {path} is not a readable genesis config: {error}"
        raise ConfigError(msg) from error
    if joined.preset != network.preset:
        msg = f"{path} is a {joined.preset!r} network but the topology's preset is {network.preset!r}"
        raise ConfigError(msg)
    existing = load_genesis(data_dir)
    if existing is None:
        write_genesis(data_dir, joined)
        return joined, True
    if existing.genesis_hash != joined.genesis_hash:
        msg = f"{data_dir} already holds network {existing.genesis_hash[:16]}…, not {path}'s; use another data_dir"
        raise ConfigError(msg)
    return existing, False


def bootstrap(topology: Topology, say: Callable[[str], None]) -> str:
    """Deploy `topology` on the connected cluster; the one-line summary. Raises PlacementError, ConfigError, …"""
    piece_size = get_preset(topology.network.preset).piece_size
    cache_pieces = max(1, topology.cache_peers.capacity // piece_size)
    spec = ClusterSpec(preset=topology.network.preset, cache_peers=topology.cache_peers.count, cache_pieces=cache_pieces)
    if topology.nodes != 1:
        # start_network runs one consensus node (several nodes per network are not deployed by the bootstrap yet).
        say(f"note: deploying 1 node (the topology asks for {topology.nodes})")
    nodes = [NodeInfo.from_ray(node) for node in alive_nodes()]
    farm_nodes = compute_farm_nodes(topology.farms, nodes)
    data_dir = prepare_data_dir(Path(topology.network.data_dir))
    genesis, created = load_network_genesis(topology, data_dir)
    farms = tuple(
        FarmPlan(str(farm.path), farm.size, node_id=node_id, reward_address=farm.reward_address)
        for farm, node_id in zip(topology.farms, farm_nodes, strict=True)
    )
    before = named_actors(spec.namespace)
    workers = max(1, int(cluster_resources().get("CPU", 1)) - 1)
    plan = NetworkPlan(
        spec, data_dir, genesis, farms, detached=True, service_node=current_node_id(), archiver_workers=workers,
        operator_nodes=tuple(sorted(node.node_id for node in nodes)),
    )
    network = start_network(plan, on_stage=say)
    caches = list(network.caches)
    names = [TIMEKEEPER_NAME, ARCHIVER_NAME, NODE_NAME, *network.farmers, *caches, *network.operators]
    attached = sum(1 for name in names if name in before)
    addresses = {node.node_id: node.address for node in nodes}
    placed = ", ".join(f"{name}@{addresses[node_id]}" for name, node_id in zip(network.farmers, farm_nodes, strict=True))
    final = network.genesis if network.genesis is not None else genesis
    return (
        f"bootstrap: network {final.genesis_hash[:16]} ({final.preset}, "
        f"{'created' if created else 'resumed'}) in {data_dir}; {len(names)} roles in namespace {spec.namespace!r}: "
        f"timekeeper, archiver, node, {placed}, {len(caches)} cache peers, {len(network.operators)} operators; "
        f"{len(names) - attached} created, {attached} already running"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autonomys.jobs.bootstrap", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path, help="The topology file (YAML or JSON).")
    parser.add_argument("--address", default="auto", help="The cluster: auto (default), HOST:PORT or ray://…")
    arguments = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        topology = load_topology(arguments.config)
    except TopologyError as error:
        return _fail(str(error), EXIT_MUST_CHANGE)
    required = required_resources(topology)
    try:
        with cluster_connection(arguments.address, ClusterSpec(preset=topology.network.preset).namespace):
            missing = compute_missing_resources(required, cluster_resources())
            if len(missing) > 0:
                lacking = ", ".join(f"{name} {amount:g} more" for name, amount in sorted(missing.items()))
                wanted = ", ".join(f"{name}: {amount:g}" for name, amount in sorted(required.items()))
                return _fail(
                    f"the cluster lacks resources for {arguments.config} (needs {wanted}; missing {lacking}). "
                    "Add nodes that advertise them (clusters/detect_resources.py, `ray start --resources=…`) "
                    "or shrink the topology; nothing was started.",
                    EXIT_MUST_CHANGE,
                )
            say(bootstrap(topology, say))
    except ClusterUnreachable as error:
        return _fail(str(error), EXIT_UNREACHABLE)
    except (PlacementError, ConfigError, FarmError) as error:
        return _fail(str(error), EXIT_MUST_CHANGE)
    except (ActorUnavailable, StorageError, ProtocolError) as error:
        return _fail(f"a role failed to start: {error}", EXIT_UNREACHABLE)
    return 0


def _fail(message: str, status: int) -> int:
    print(f"bootstrap: {message}", file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
