"""Start and stop networks: an embedded local Ray instance and the devnet roles on it."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ray

from autonomys.actors.handles import TimekeeperClient
from autonomys.actors.messages import TimekeeperStatus
from autonomys.actors.timekeeper import TimekeeperConfig
from autonomys.clusters.build import create_timekeeper
from autonomys.clusters.genesis import GenesisConfig, load_or_create_genesis, prepare_data_dir
from autonomys.clusters.spec import ClusterSpec


@contextlib.contextmanager
def local_ray(spec: ClusterSpec, num_cpus: int | None = None, plotting_workers: int = 0) -> Iterator[None]:
    """A private Ray instance in this process (never attaches to another cluster on the machine)."""
    # A private instance bound to loopback: token auth guards shared clusters, not this one.
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    cpus = num_cpus if num_cpus is not None else max(2, os.cpu_count() or 2)
    ray.init(
        address="local",
        num_cpus=cpus,
        resources=spec.local_resources(plotting_workers),
        namespace=spec.namespace,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=True,
        _node_ip_address="127.0.0.1",
    )
    try:
        yield
    finally:
        ray.shutdown()


@dataclass(frozen=True)
class PreparedNetwork:
    data_dir: Path
    genesis: GenesisConfig
    created: bool


def prepare_network(spec: ClusterSpec, data_dir: Path) -> PreparedNetwork:
    """Check the directory and load or create (calibrating DEV) the genesis, before any Ray starts."""
    data_dir = prepare_data_dir(data_dir)
    genesis, created = load_or_create_genesis(data_dir, spec.preset)
    return PreparedNetwork(data_dir, genesis, created)


@dataclass
class Devnet:
    data_dir: Path
    genesis: GenesisConfig
    created: bool
    timekeeper: TimekeeperClient

    @classmethod
    def start(cls, spec: ClusterSpec, network: PreparedNetwork, pin_cpu: int | None = None) -> Devnet:
        """Start the prepared network's roles on the running Ray instance."""
        genesis = network.genesis
        config = TimekeeperConfig(
            data_dir=str(network.data_dir),
            params=genesis.params(),
            genesis_seed=genesis.genesis_seed(),
            pin_cpu=pin_cpu,
        )
        timekeeper = create_timekeeper(spec, config)
        timekeeper.ready(timeout=120)
        return cls(network.data_dir, genesis, network.created, timekeeper)

    def stop(self) -> TimekeeperStatus:
        """Finish the slot in progress, close the stores (state is already durable), return the final status."""
        self.timekeeper.stop(timeout=120)
        final = self.timekeeper.status()
        self.timekeeper.shutdown(timeout=120)
        return final
