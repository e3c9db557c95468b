"""Start and stop networks: an embedded local Ray instance and the devnet roles on it.

The devnet is one of each service role plus `farms` farmers: the archiver (which archives the genesis
block into the first segment when the network is created, so farmers have history to plot at once), the
node (chain, authoring, archiving confirmed blocks), one plot-shard farmer per farm directory (each plots
its own farm through plotting-worker tasks and audits it every slot), and the timekeeper. Everything lives
under the data directory; a restart resumes every role from its own store.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import blake3
import ray

from autonomys.actors.archiver import ArchiverConfig
from autonomys.actors.farm import Farm
from autonomys.actors.farmer import FarmerConfig
from autonomys.actors.handles import ArchiverClient, FarmerClient, NodeClient, TimekeeperClient
from autonomys.actors.kzg_setup import KzgSetup, setup_for
from autonomys.actors.messages import TimekeeperStatus
from autonomys.actors.node_service import NodeConfig
from autonomys.actors.timekeeper import TimekeeperConfig
from autonomys.clusters.build import (
    create_archiver,
    create_farmer,
    create_node,
    create_record_encoder,
    create_timekeeper,
)
from autonomys.clusters.genesis import GenesisConfig, load_or_create_genesis, prepare_data_dir, write_genesis
from autonomys.clusters.spec import ARCHIVER_NAME, ClusterSpec
from autonomys.protocol.chain_state import ChainState, genesis_state
from autonomys.protocol.params import Params
from autonomys.protocol.sectors import compute_sector_metadata_size, compute_sector_size
from autonomys.protocol.solution_range import pieces_to_solution_range

NODE_NAME = "node"
FARM_METADATA_HEADER = 64
SLOW_CALL_TIMEOUT = 900.0


@contextlib.contextmanager
def local_ray(
    spec: ClusterSpec, num_cpus: int | None = None, plotting_workers: int = 0, farms: int = 0
) -> Iterator[None]:
    """A private Ray instance in this process (never attaches to another cluster on the machine)."""
    # A private instance bound to loopback: token auth guards shared clusters, not this one.
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    cpus = num_cpus if num_cpus is not None else max(2, os.cpu_count() or 2)
    ray.init(
        address="local",
        num_cpus=cpus,
        resources=spec.local_resources(plotting_workers, farms),
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
    """Check the directory and load or create (calibrating the slot time) the genesis, before any Ray starts."""
    data_dir = prepare_data_dir(data_dir)
    genesis, created = load_or_create_genesis(data_dir, spec.preset)
    return PreparedNetwork(data_dir, genesis, created)


def farmer_name(index: int) -> str:
    return f"farmer-{index}"


def farm_path(data_dir: Path, index: int) -> Path:
    return data_dir / "farms" / f"farm{index}"


def compute_farm_size(params: Params, sectors: int) -> int:
    """Bytes for a farm of `sectors` full sectors (data, metadata entries and the metadata header)."""
    per_sector = compute_sector_size(params.max_pieces_in_sector, params) + compute_sector_metadata_size(params)
    return sectors * per_sector + FARM_METADATA_HEADER


def genesis_block(genesis: GenesisConfig, params: Params) -> bytes:
    """Block 0: deterministic bytes from the genesis hash, exactly one recorded segment long, so archiving it
    yields the first segment (the history farmers plot before block 1 can be won)."""
    seed = bytes.fromhex(genesis.genesis_hash)
    return blake3.blake3(b"autonomys devnet genesis history" + seed).digest(length=params.recorded_history_segment_size)


@dataclass
class Devnet:
    data_dir: Path
    genesis: GenesisConfig
    created: bool
    timekeeper: TimekeeperClient
    archiver: ArchiverClient
    node: NodeClient
    farmers: list[FarmerClient]

    @classmethod
    def start(
        cls,
        spec: ClusterSpec,
        network: PreparedNetwork,
        pin_cpu: int | None = None,
        on_stage: Callable[[str], None] = lambda stage: None,
    ) -> Devnet:
        """Start the prepared network's roles on the running Ray instance."""
        genesis, data_dir = network.genesis, network.data_dir
        params = genesis.params()
        setup = setup_for(params.record_num_chunks, None)
        archiver = create_archiver(spec, ArchiverConfig(str(data_dir), params, setup), workers=max(1, (os.cpu_count() or 2) - 1))
        archiver.ready(timeout=SLOW_CALL_TIMEOUT)
        genesis = _archive_genesis(archiver, genesis, data_dir, params, on_stage)
        chain_genesis = _chain_genesis(archiver, genesis, params)
        on_stage(f"genesis state {chain_genesis.state_root().hex()[:16]}…, solution range {genesis.solution_range:,}")
        names = [farmer_name(index) for index in range(genesis.farms)]
        _create_farms(data_dir, params, genesis)
        farmers = _start_farmers(spec, data_dir, params, setup, names)
        node = create_node(
            spec, NodeConfig(str(data_dir), params, chain_genesis.to_bytes(), name=NODE_NAME, farmers=tuple(names), archiver=ARCHIVER_NAME),
            name=NODE_NAME,
        )  # fmt: skip
        node.ready(timeout=SLOW_CALL_TIMEOUT)
        for name, farmer in zip(names, farmers, strict=True):
            farmer.subscribe_solutions(NODE_NAME)
            archiver.subscribe(name)
        timekeeper = create_timekeeper(spec, _timekeeper_config(data_dir, genesis, params, pin_cpu))
        timekeeper.ready(timeout=SLOW_CALL_TIMEOUT)
        timekeeper.subscribe(NODE_NAME)
        return cls(data_dir, genesis, network.created, timekeeper, archiver, node, farmers)

    def stop(self) -> TimekeeperStatus:
        """Stop slots first, then the roles (each store is already durable); return the final PoT status."""
        self.timekeeper.stop(timeout=120)
        final = self.timekeeper.status()
        for role in (*self.farmers, self.node):
            with contextlib.suppress(Exception):
                role.shutdown(timeout=120)
        self.timekeeper.shutdown(timeout=120)
        self.archiver.shutdown(timeout=120)
        return final


def _archive_genesis(
    archiver: ArchiverClient, genesis: GenesisConfig, data_dir: Path, params: Params, on_stage: Callable[[str], None]
) -> GenesisConfig:
    """Archive block 0 once (the archiver ignores a replay) and record what it fixed in genesis.json."""
    if genesis.genesis_segments is not None and genesis.solution_range is not None:
        return genesis
    on_stage(f"archiving the genesis block ({params.recorded_history_segment_size:,} bytes) into the first segment…")
    archiver.on_confirmed_block(0, genesis_block(genesis, params), timeout=SLOW_CALL_TIMEOUT)
    segments = len(archiver.segment_headers())
    pieces = genesis.farms * genesis.sectors_per_farm * params.max_pieces_in_sector
    solution_range = pieces_to_solution_range(pieces, params.slot_probability, params)
    updated = genesis.model_copy(update={"genesis_segments": segments, "solution_range": solution_range})
    write_genesis(data_dir, updated)
    return updated


def _chain_genesis(archiver: ArchiverClient, genesis: GenesisConfig, params: Params) -> ChainState:
    headers = archiver.segment_headers()[: genesis.genesis_segments]
    assert genesis.solution_range is not None
    return genesis_state(
        params, endowments={}, solution_range=genesis.solution_range, pot_slot_iterations=genesis.pot_slot_iterations,
        segment_headers=headers,
    )  # fmt: skip


def _create_farms(data_dir: Path, params: Params, genesis: GenesisConfig) -> None:
    size = compute_farm_size(params, genesis.sectors_per_farm)
    for index in range(genesis.farms):
        path = farm_path(data_dir, index)
        path.parent.mkdir(parents=True, exist_ok=True)
        Farm.create_or_open(path, size, params).close()


def _start_farmers(
    spec: ClusterSpec, data_dir: Path, params: Params, setup: KzgSetup, names: list[str]
) -> list[FarmerClient]:
    farmers = []
    for index, name in enumerate(names):
        config = FarmerConfig(str(farm_path(data_dir, index)), farm_id=name, archiver=ARCHIVER_NAME, node=NODE_NAME)
        farmers.append(create_farmer(spec, config, name=name, encoder=create_record_encoder(params, setup)))
    for farmer in farmers:
        farmer.ready(timeout=SLOW_CALL_TIMEOUT)
    return farmers


def _timekeeper_config(data_dir: Path, genesis: GenesisConfig, params: Params, pin_cpu: int | None) -> TimekeeperConfig:
    return TimekeeperConfig(
        data_dir=str(data_dir), params=params, genesis_seed=genesis.genesis_seed(), pin_cpu=pin_cpu
    )

