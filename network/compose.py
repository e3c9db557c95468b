"""Composition root: the only place ray.remote is applied to the plain role classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from autonomys.actors.archiving.archiver import ArchiverConfig, ArchiverService, commit_raw_records
from autonomys.actors.consensus.node_service import NodeConfig, NodeService
from autonomys.actors.dsn.cache_peer_service import CachePeerService, CachePeerServiceConfig
from autonomys.actors.farming.farmer import FarmerConfig, FarmerService
from autonomys.actors.handles import (
    ArchiverClient,
    CachePeerClient,
    FarmerClient,
    NodeClient,
    RayRecordCommitter,
    RayRecordEncoder,
    TimekeeperClient,
    plotting_capacity,
)
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.plotting.plotter import encode_record_jobs
from autonomys.actors.timekeeper.service import TimekeeperConfig, TimekeeperService
from autonomys.network.spec import (
    ARCHIVER_NAME,
    PLOTTER_RESOURCE,
    SMALL_RECORD_CHUNKS,
    TIMEKEEPER_NAME,
    ClusterSpec,
    RoleOptions,
)
from autonomys.protocol.params import Params


def _named_options(
    spec: ClusterSpec, role: RoleOptions, name: str, *, detached: bool, node_id: str | None
) -> dict[str, Any]:
    """The role's options as a named actor of the spec's namespace, created once (get_if_exists).

    `detached` actors outlive the driver or job that created them (the bootstrap job exits at once);
    `node_id` pins the actor to that Ray node (its disk or its data directory lives there) and it restarts there.
    """
    options = role.ray_options()
    options.update(name=name, namespace=spec.namespace, get_if_exists=True)
    if detached:
        options["lifetime"] = "detached"
    if node_id is not None:
        options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node_id, soft=False)
    return options


def create_pinned_task(function: Callable[..., Any], *, node_id: str) -> Any:
    """A one-shot Ray task of `function` on that node (no CPU reserved, no retries): work on the node's own disk."""
    strategy = NodeAffinitySchedulingStrategy(node_id, soft=False)
    return ray.remote(num_cpus=0, max_retries=0, scheduling_strategy=strategy)(function)


def create_timekeeper(
    spec: ClusterSpec,
    config: TimekeeperConfig,
    *,
    name: str = TIMEKEEPER_NAME,
    detached: bool = False,
    node_id: str | None = None,
) -> TimekeeperClient:
    """Create (or attach to) the named timekeeper actor with the spec's options."""
    options = _named_options(spec, spec.timekeeper, name, detached=detached, node_id=node_id)
    handle = ray.remote(TimekeeperService).options(**options).remote(config)
    return TimekeeperClient(handle)


def create_record_committer(setup: KzgSetup, params: Params, workers: int) -> RayRecordCommitter:
    """Record commitments as Ray tasks, one CPU each, at most `workers` in flight."""
    remote_commit = ray.remote(num_cpus=1, max_retries=3)(commit_raw_records)
    return RayRecordCommitter(remote_commit, setup, params, max_in_flight=workers)


def create_archiver(
    spec: ClusterSpec,
    config: ArchiverConfig,
    *,
    workers: int,
    name: str = ARCHIVER_NAME,
    detached: bool = False,
    node_id: str | None = None,
) -> ArchiverClient:
    """Create (or attach to) the named archiver; its record commitments fan out to `workers` tasks."""
    committer = create_record_committer(config.kzg_setup, config.params, workers) if workers > 0 else None
    options = _named_options(spec, spec.archiver, name, detached=detached, node_id=node_id)
    handle = ray.remote(ArchiverService).options(**options).remote(config, committer)
    return ArchiverClient(handle)


def create_record_encoder(params: Params, setup: KzgSetup) -> RayRecordEncoder:
    """Record encoding as Ray tasks on plotting workers: one CPU and one unit of the plotter resource each."""
    remote_encode = ray.remote(num_cpus=1, resources={PLOTTER_RESOURCE: 1}, max_retries=3)(encode_record_jobs)
    records_per_task = 1 if params.record_num_chunks >= SMALL_RECORD_CHUNKS else params.max_pieces_in_sector
    return RayRecordEncoder(
        remote_encode, params, setup, lambda: plotting_capacity(PLOTTER_RESOURCE), records_per_task=records_per_task
    )


def create_farmer(
    spec: ClusterSpec,
    config: FarmerConfig,
    *,
    name: str,
    encoder: RayRecordEncoder | None = None,
    node_id: str | None = None,
    detached: bool = False,
) -> FarmerClient:
    """Create (or attach to) the named plot-shard actor of one farm, placed where an `ssd` unit is free.

    With an `encoder` (see create_record_encoder) and the config's archiver and node names, the farmer
    also plots its farm; subscribe it to the archiver's segment headers so it re-plots as history grows.
    With `node_id` the shard is pinned to that Ray node (the one holding its disk): it restarts there.
    """
    options = _named_options(spec, spec.farmer, name, detached=detached, node_id=node_id)
    handle = ray.remote(FarmerService).options(**options).remote(config, encoder=encoder)
    return FarmerClient(handle)


def create_node(
    spec: ClusterSpec, config: NodeConfig, *, name: str, detached: bool = False, node_id: str | None = None
) -> NodeClient:
    """Create (or attach to) the named consensus node actor; it restores its chain from its data_dir."""
    options = _named_options(spec, spec.node, name, detached=detached, node_id=node_id)
    handle = ray.remote(NodeService).options(**options).remote(config)
    return NodeClient(handle)


def create_cache_peer(
    spec: ClusterSpec,
    config: CachePeerServiceConfig,
    *,
    detached: bool = False,
    node_id: str | None = None,
) -> CachePeerClient:
    """Create (or attach to) the named DSN cache peer; pinned to `node_id` when its directory lives there."""
    options = _named_options(spec, spec.cache_peer, config.peer.name, detached=detached, node_id=node_id)
    handle = ray.remote(CachePeerService).options(**options).remote(config)
    return CachePeerClient(handle)
