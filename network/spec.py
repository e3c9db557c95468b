"""Topology specs: how many of each role, what each asks of Ray, and which Params preset runs.

Actor options live here and are applied only by network/compose.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "autonomys"
TIMEKEEPER_NAME = "timekeeper"
ARCHIVER_NAME = "archiver"
NODE_NAME = "node"
CACHE_PREFIX = "cache-"
"""Cache peers are named `cache-<i>` (standalone) and `cache-farmer-<i>` (a farmer's share of its disk)."""
# Custom resource a host advertises when it may run the timekeeper (its fastest core).
TIMEKEEPER_RESOURCE = "timekeeper"
# Custom resource a host advertises for each plotting worker it offers (one CPU each).
PLOTTER_RESOURCE = "plotter"
# Custom resource a host advertises for each farm disk it holds: one plot-shard (Farmer) actor per unit.
SSD_RESOURCE = "ssd"
# Records smaller than this many chunks are too cheap for a task each: one task takes a whole sector.
SMALL_RECORD_CHUNKS = 4096


@dataclass(frozen=True, slots=True)
class RoleOptions:
    num_cpus: float
    resources: dict[str, float] = field(default_factory=dict)
    max_restarts: int = -1
    max_concurrency: int = 1
    enable_task_events: bool = False

    def ray_options(self) -> dict[str, Any]:
        return {
            "num_cpus": self.num_cpus,
            "resources": dict(self.resources),
            "max_restarts": self.max_restarts,
            "max_concurrency": self.max_concurrency,
            "enable_task_events": self.enable_task_events,
        }


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    preset: str = "dev"
    namespace: str = NAMESPACE
    # One whole CPU: proving is a single hot chain that must not share its core.
    timekeeper: RoleOptions = field(
        default_factory=lambda: RoleOptions(num_cpus=1, resources={TIMEKEEPER_RESOURCE: 1}, max_concurrency=8)
    )

    # The archiver coordinates; its heavy work (record commitments) runs as CPU tasks.
    archiver: RoleOptions = field(default_factory=lambda: RoleOptions(num_cpus=0))

    # A plot shard sits on its disk's host (one ssd unit). Audits are light, proving takes a core in bursts:
    # no CPU is reserved, so a laptop runs timekeeper, farmers and plotting workers side by side.
    # Threaded (max_concurrency): status and solution polls are served while slots are farmed.
    farmer: RoleOptions = field(
        default_factory=lambda: RoleOptions(num_cpus=0, resources={SSD_RESOURCE: 1}, max_concurrency=8)
    )

    # The node verifies and imports blocks on one event thread; threaded so status and pushes are served.
    node: RoleOptions = field(default_factory=lambda: RoleOptions(num_cpus=0, max_concurrency=8))

    # A cache peer serves pieces and routing while it syncs: threaded, and peers call each other (no deadlock).
    cache_peer: RoleOptions = field(default_factory=lambda: RoleOptions(num_cpus=0, max_concurrency=8))

    # An operator derives domain blocks and contests slots on one polling thread; threaded for reads.
    operator: RoleOptions = field(default_factory=lambda: RoleOptions(num_cpus=0, max_concurrency=4))

    cache_peers: int = 2
    """Standalone DSN cache peers (L2) the network runs, `cache-<i>` under the data directory."""
    cache_pieces: int | None = None
    """Pieces each standalone cache peer holds; None: a quarter of a segment (64 MiB with 1 MiB pieces)."""
    cache_percentage: float = 1.0
    """Share of each farm's size its farmer dedicates to a cache peer on the same disk (none below one piece)."""

    def local_resources(self, plotting_workers: int = 0, farms: int = 0) -> dict[str, float]:
        """Custom resources an embedded single-machine instance advertises so every role fits."""
        resources: dict[str, float] = {TIMEKEEPER_RESOURCE: 1}
        if plotting_workers > 0:
            resources[PLOTTER_RESOURCE] = plotting_workers
        if farms > 0:
            resources[SSD_RESOURCE] = farms
        return resources
