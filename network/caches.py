"""A network's DSN plan: standalone cache peers `cache-<i>` and each farmer's cache share `cache-farmer-<i>`.

Standalone peers live under the data directory; a farmer's cache share lives in its farm directory
(`<farm>/cache`) on the farm's host, sized as a share of the farm. network.compose starts what this plans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autonomys.actors.dsn.directory import DsnNames
from autonomys.network.spec import ARCHIVER_NAME, CACHE_PREFIX, ClusterSpec
from autonomys.protocol.params import Params


@dataclass(frozen=True)
class CachePlan:
    """One cache peer the network runs: its name, directory, capacity and host."""

    name: str
    directory: str
    capacity_pieces: int
    node_id: str | None = None


def standalone_cache_name(index: int) -> str:
    return f"{CACHE_PREFIX}{index}"


def farmer_cache_name(farmer: str) -> str:
    return f"{CACHE_PREFIX}{farmer}"


def plan_caches(
    spec: ClusterSpec,
    params: Params,
    data_dir: Path,
    farms: Sequence[tuple[str, str, int, str | None]],
    service_node: str | None = None,
) -> list[CachePlan]:
    """Standalone peers under data_dir (on `service_node`, the host holding it, when given), then one per farm
    (name, path, size, node) whose cache share holds at least one piece."""
    capacity = spec.cache_pieces if spec.cache_pieces is not None else max(1, params.num_pieces // 4)
    plans = [
        CachePlan(standalone_cache_name(index), str(data_dir / standalone_cache_name(index)), capacity, service_node)
        for index in range(spec.cache_peers)
    ]
    for farmer, path, size_bytes, node_id in farms:
        share = int(size_bytes * spec.cache_percentage / 100) // params.piece_size
        if share >= 1:
            plans.append(CachePlan(farmer_cache_name(farmer), str(Path(path) / "cache"), share, node_id))
    return plans


def dsn_names(plans: Sequence[CachePlan], farmers: Sequence[str], local_cache: str | None = None) -> DsnNames:
    """What a role's piece getter reaches: every cache peer as bootstrap, the archiver, the farmers."""
    return DsnNames(tuple(plan.name for plan in plans), local_cache, ARCHIVER_NAME, tuple(farmers))
