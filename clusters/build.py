"""Composition root: the only place ray.remote is applied to the plain role classes."""

from __future__ import annotations

import ray

from autonomys.actors.handles import TimekeeperClient
from autonomys.actors.timekeeper import TimekeeperConfig, TimekeeperService
from autonomys.clusters.spec import TIMEKEEPER_NAME, ClusterSpec


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
