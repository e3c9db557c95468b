"""Composition root: the only place ray.remote is applied to the plain role classes."""

from __future__ import annotations

import ray

from autonomys.actors.archiver import ArchiverConfig, ArchiverService, commit_raw_records
from autonomys.actors.farmer import FarmerConfig, FarmerService
from autonomys.actors.handles import (
    ArchiverClient,
    FarmerClient,
    NodeClient,
    RayRecordCommitter,
    RayRecordEncoder,
    TimekeeperClient,
    plotting_capacity,
)
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.node_service import NodeConfig, NodeService
from autonomys.actors.plotter import encode_record_jobs
from autonomys.actors.timekeeper import TimekeeperConfig, TimekeeperService
from autonomys.clusters.spec import ARCHIVER_NAME, PLOTTER_RESOURCE, SMALL_RECORD_CHUNKS, TIMEKEEPER_NAME, ClusterSpec
from autonomys.protocol.params import Params


def create_timekeeper(
    spec: ClusterSpec, config: TimekeeperConfig, *, name: str = TIMEKEEPER_NAME, detached: bool = False
) -> TimekeeperClient:
    """Create (or attach to) the named timekeeper actor with the spec's options."""
    options = spec.timekeeper.ray_options()
    options.update(name=name, namespace=spec.namespace, get_if_exists=True)
    if detached:
        options["lifetime"] = "detached"
    handle = ray.remote(TimekeeperService).options(**options).remote(config)
    return TimekeeperClient(handle)


def create_record_committer(setup: KzgSetup, params: Params, workers: int) -> RayRecordCommitter:
    """Record commitments as Ray tasks, one CPU each, at most `workers` in flight."""
    remote_commit = ray.remote(num_cpus=1, max_retries=3)(commit_raw_records)
    return RayRecordCommitter(remote_commit, setup, params, max_in_flight=workers)


def create_archiver(
    spec: ClusterSpec, config: ArchiverConfig, *, workers: int, name: str = ARCHIVER_NAME
) -> ArchiverClient:
    """Create (or attach to) the named archiver; its record commitments fan out to `workers` tasks."""
    committer = create_record_committer(config.kzg_setup, config.params, workers) if workers > 0 else None
    options = spec.archiver.ray_options()
    options.update(name=name, namespace=spec.namespace, get_if_exists=True)
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
    spec: ClusterSpec, config: FarmerConfig, *, name: str, encoder: RayRecordEncoder | None = None
) -> FarmerClient:
    """Create (or attach to) the named plot-shard actor of one farm, placed where an `ssd` unit is free.

    With an `encoder` (see create_record_encoder) and the config's archiver and node names, the farmer
    also plots its farm; subscribe it to the archiver's segment headers so it re-plots as history grows.
    """
    options = spec.farmer.ray_options()
    options.update(name=name, namespace=spec.namespace, get_if_exists=True)
    handle = ray.remote(FarmerService).options(**options).remote(config, encoder=encoder)
    return FarmerClient(handle)


def create_node(spec: ClusterSpec, config: NodeConfig, *, name: str) -> NodeClient:
    """Create (or attach to) the named consensus node actor; it restores its chain from its data_dir."""
    options = spec.node.ray_options()
    options.update(name=name, namespace=spec.namespace, get_if_exists=True)
    handle = ray.remote(NodeService).options(**options).remote(config)
    return NodeClient(handle)
