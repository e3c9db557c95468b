"""Start and stop networks: an embedded local Ray instance and the devnet roles on it.

The devnet is one of each service role plus `farms` farmers: the archiver (which archives the genesis
block into the first segment when the network is created, so farmers have history to plot at once), the
node (chain, authoring, archiving confirmed blocks), one plot-shard farmer per farm directory (each plots
its own farm through plotting-worker tasks and audits it every slot), and the timekeeper. Everything lives
under the data directory; a restart resumes every role from its own store.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import blake3
import ray
from ray.exceptions import RayTaskError

from autonomys.actors.archiving.archiver import ArchiverConfig
from autonomys.actors.consensus.node_service import NodeConfig
from autonomys.actors.farming.farm import Farm, compute_farm_size, plan_farm
from autonomys.actors.farming.farmer import FarmerConfig
from autonomys.actors.handles import ArchiverClient, CachePeerClient, FarmerClient, NodeClient, TimekeeperClient
from autonomys.actors.kzg_setup import KzgSetup, setup_for
from autonomys.actors.messages import TimekeeperStatus
from autonomys.actors.objects.client import dev_account
from autonomys.actors.timekeeper.service import TimekeeperConfig
from autonomys.network.caches import (
    CachePlan,
    dsn_names,
    farmer_cache_name,
    join_caches,
    plan_caches,
    start_caches,
)
from autonomys.network.compose import (
    create_archiver,
    create_farmer,
    create_node,
    create_pinned_task,
    create_record_encoder,
    create_timekeeper,
)
from autonomys.network.genesis import GenesisConfig, load_or_create_genesis, prepare_data_dir, write_genesis
from autonomys.network.spec import ARCHIVER_NAME, TIMEKEEPER_NAME, ClusterSpec
from autonomys.protocol.consensus.chain_state import ChainState, genesis_state
from autonomys.protocol.farming.solution_range import pieces_to_solution_range
from autonomys.protocol.params import Params

NODE_NAME = "node"
SLOW_CALL_TIMEOUT = 900.0
# Seconds to wait for a cluster's GCS port to accept a connection (ray.init retries for minutes otherwise).
CONNECT_TIMEOUT = 5.0
# The node type of Ray's on-premises provider: a fixed list of hosts, so its autoscaler launches nothing new.
LOCAL_PROVIDER_NODE_TYPE = "local.cluster.node"


class ClusterUnreachable(Exception):
    """No Ray cluster answers at the address given; the message says where it looked."""


@contextlib.contextmanager
def local_ray(
    spec: ClusterSpec, num_cpus: int | None = None, plotting_workers: int = 0, farms: int = 0
) -> Iterator[None]:
    """A private Ray instance in this process (never attaches to another cluster on the machine)."""
    # A private instance bound to loopback: token auth guards shared clusters, not this one.
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    # Pairings and MSMs run one per task or actor thread: the library's own thread pool would only contend
    # with the timekeeper's core (measured: block import 6.7 ms alone, 14.9 ms with the pool spread out).
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
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


ADDRESS_FILE = "ray-address"


@contextlib.contextmanager
def published_address(data_dir: Path) -> Iterator[str]:
    """Write the embedded instance's GCS address to `<data_dir>/ray-address` while the devnet runs, so other
    commands on this machine (`autonomys put/get/gateway --data-dir …`) can attach to it; removed on exit."""
    address = ray.get_runtime_context().gcs_address
    path = Path(data_dir) / ADDRESS_FILE
    path.write_text(address + "\n")
    try:
        yield address
    finally:
        path.unlink(missing_ok=True)


def devnet_address(data_dir: Path) -> str | None:
    """The GCS address a running devnet published in `data_dir`, or None."""
    try:
        return (Path(data_dir) / ADDRESS_FILE).read_text().strip() or None
    except OSError:
        return None


@contextlib.contextmanager
def cluster_connection(address: str, namespace: str) -> Iterator[str]:
    """Attach this process as a driver to a running cluster; yields the GCS address it connected to.

    `address` is host:port of the head's GCS, `auto` (RAY_ADDRESS, a job's own cluster, or the last
    `ray start` on this machine) or a ray:// client address. Token auth follows RAY_AUTH_MODE.
    """
    resolved = resolve_cluster_address(address)
    try:
        ray.init(address=resolved, namespace=namespace, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        msg = f"cannot connect to the Ray cluster at {resolved}: {str(error).splitlines()[0]}"
        raise ClusterUnreachable(msg) from error
    try:
        yield resolved
    finally:
        ray.shutdown()


def resolve_cluster_address(address: str) -> str:
    """host:port of the cluster's GCS, checked to accept connections (ray:// client addresses pass as given)."""
    if address.startswith("ray://"):
        return address
    from ray._private.services import canonicalize_bootstrap_address_or_die  # the resolution `ray status` uses

    try:
        resolved = canonicalize_bootstrap_address_or_die(address)
    except (ConnectionError, ValueError) as error:
        msg = f"no Ray cluster found for --address {address}: {error}"
        raise ClusterUnreachable(msg) from error
    host, _, port = resolved.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT).close()
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        msg = (
            f"no Ray cluster answers at {resolved} ({reason}); is the head running (`ray status --address {resolved}`)?"
        )
        raise ClusterUnreachable(msg) from error
    return resolved


def cluster_resources() -> dict[str, float]:
    """What the connected cluster advertises in total (every alive node's resources)."""
    return dict(ray.cluster_resources())


def alive_nodes() -> list[dict]:
    """The connected cluster's alive nodes as `ray.nodes()` describes them (NodeID, address, labels, resources)."""
    return [node for node in ray.nodes() if node.get("Alive", False)]


def current_node_id() -> str:
    """The Ray node this driver or worker runs on."""
    return ray.get_runtime_context().get_node_id()


def autoscaler_launches_nodes() -> bool:
    """Whether the connected cluster's autoscaler can add nodes (`ray up`), not just report them.

    A head started by hand runs the autoscaler's monitor read-only: it names every node type
    `node_<node id>` after the node itself. An on-premises `ray up` (provider `local`) has one type,
    `local.cluster.node`, and only the hosts it lists, all started already. Without a report yet (or under
    autoscaler v2) this says no.
    """
    from ray._private.ray_constants import DEBUG_AUTOSCALING_STATUS
    from ray.experimental.internal_kv import _internal_kv_get

    raw = _internal_kv_get(DEBUG_AUTOSCALING_STATUS)
    if raw is None:
        return False
    report = json.loads(raw).get("autoscaler_report") or {}
    mapping = report.get("node_type_mapping") or {}
    fixed = {LOCAL_PROVIDER_NODE_TYPE}
    return any(node_type not in fixed and node_type != f"node_{node_id}" for node_id, node_type in mapping.items())


def request_bundles(bundles: list[dict[str, float]]) -> None:
    """Ask the autoscaler to keep room for these resource shapes (replaces the previous request)."""
    from ray.autoscaler.sdk import request_resources

    request_resources(bundles=bundles)


def named_actors(namespace: str) -> set[str]:
    """Names of the live named actors in `namespace`."""
    return {
        actor["name"] for actor in ray.util.list_named_actors(all_namespaces=True) if actor["namespace"] == namespace
    }


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


def genesis_block(genesis: GenesisConfig, params: Params) -> bytes:
    """Block 0: deterministic bytes from the genesis hash, exactly one recorded segment long, so archiving it
    yields the first segment (the history farmers plot before block 1 can be won)."""
    seed = bytes.fromhex(genesis.genesis_hash)
    return blake3.blake3(b"autonomys devnet genesis history" + seed).digest(length=params.recorded_history_segment_size)


@dataclass(frozen=True)
class FarmPlan:
    """One farm a network runs: a directory of `size_bytes` on the host that holds its disk."""

    path: str
    size_bytes: int
    node_id: str | None = None
    """The Ray node holding the disk: the farm is created there and its farmer pinned there (it restarts in
    place). None: the farm is created by this process and its farmer goes wherever an ssd unit is free."""
    reward_address: bytes | None = None


@dataclass
class Roles:
    """Clients of a network's running roles, and its genesis as fixed when the network first started."""

    genesis: GenesisConfig
    timekeeper: TimekeeperClient
    archiver: ArchiverClient
    node: NodeClient
    farmers: list[FarmerClient]
    farmer_names: list[str]
    caches: list[CachePeerClient] = field(default_factory=list)


def start_roles(
    spec: ClusterSpec,
    data_dir: Path,
    genesis: GenesisConfig,
    farms: Sequence[FarmPlan],
    *,
    detached: bool = False,
    service_node: str | None = None,
    pin_cpu: int | None = None,
    archiver_workers: int = 1,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> Roles:
    """Create (or attach to) every role of the network: archiver, farmers `farmer-<i>`, node, timekeeper.

    Idempotent: every role is a named actor created with get_if_exists, the genesis block is archived once
    (genesis.json records it), a running farmer's farm is not touched, and subscriptions are sets.
    `detached` roles outlive this driver (the bootstrap job); `service_node` pins the archiver and the node
    to that Ray node, the host whose `data_dir` holds genesis.json (the bootstrap's own host).
    """
    params = genesis.params()
    setup = setup_for(params.record_num_chunks, None)
    archiver = create_archiver(
        spec, ArchiverConfig(str(data_dir), params, setup), workers=archiver_workers, detached=detached,
        node_id=service_node,
    )  # fmt: skip
    archiver.ready(timeout=SLOW_CALL_TIMEOUT)
    genesis = _archive_genesis(archiver, genesis, data_dir, params, farms, on_stage)
    chain_genesis = _chain_genesis(archiver, genesis, params)
    on_stage(f"genesis state {chain_genesis.state_root().hex()[:16]}…, solution range {genesis.solution_range:,}")
    names = [farmer_name(index) for index in range(len(farms))]
    running = named_actors(spec.namespace)
    _create_farms(params, [farm for name, farm in zip(names, farms, strict=True) if name not in running])
    farm_disks = [(name, farm.path, farm.size_bytes, farm.node_id) for name, farm in zip(names, farms, strict=True)]
    cache_plans = plan_caches(spec, params, data_dir, farm_disks, service_node)
    caches = start_caches(spec, params, setup, cache_plans, names, NODE_NAME, detached=detached)
    farmers = _start_farmers(spec, params, setup, names, farms, detached, cache_plans)
    node = create_node(
        spec, NodeConfig(
            str(data_dir), params, chain_genesis.to_bytes(), name=NODE_NAME, farmers=tuple(names), archiver=ARCHIVER_NAME,
            timekeeper=TIMEKEEPER_NAME,
        ),
        name=NODE_NAME, detached=detached, node_id=service_node,
    )  # fmt: skip
    node.ready(timeout=SLOW_CALL_TIMEOUT)
    for name in names:
        archiver.subscribe(name)
    for plan in cache_plans:
        archiver.subscribe(plan.name)
    on_stage(f"DSN: {len(caches)} cache peers ({', '.join(plan.name for plan in cache_plans) or 'none'})")
    join_caches(caches)
    config = _timekeeper_config(data_dir, genesis, params, pin_cpu)
    timekeeper = create_timekeeper(spec, config, detached=detached)
    timekeeper.ready(timeout=SLOW_CALL_TIMEOUT)
    timekeeper.subscribe(NODE_NAME)
    return Roles(genesis, timekeeper, archiver, node, farmers, names, caches)


@dataclass
class Devnet:
    data_dir: Path
    genesis: GenesisConfig
    created: bool
    timekeeper: TimekeeperClient
    archiver: ArchiverClient
    node: NodeClient
    farmers: list[FarmerClient]
    caches: list[CachePeerClient] = field(default_factory=list)

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
        size = compute_farm_size(params, genesis.sectors_per_farm)
        farms = [FarmPlan(str(farm_path(data_dir, index)), size) for index in range(genesis.farms)]
        roles = start_roles(
            spec, data_dir, genesis, farms, pin_cpu=pin_cpu, archiver_workers=max(1, (os.cpu_count() or 2) - 1),
            on_stage=on_stage,
        )  # fmt: skip
        return cls(
            data_dir, roles.genesis, network.created, roles.timekeeper, roles.archiver, roles.node, roles.farmers,
            roles.caches,
        )  # fmt: skip

    def stop(self) -> TimekeeperStatus:
        """Stop slots first, then the roles (each store is already durable); return the final PoT status."""
        self.timekeeper.stop(timeout=120)
        final = self.timekeeper.status()
        for role in (*self.farmers, *self.caches, self.node):
            with contextlib.suppress(Exception):
                role.shutdown(timeout=120)
        self.timekeeper.shutdown(timeout=120)
        self.archiver.shutdown(timeout=120)
        return final


def _archive_genesis(
    archiver: ArchiverClient,
    genesis: GenesisConfig,
    data_dir: Path,
    params: Params,
    farms: Sequence[FarmPlan],
    on_stage: Callable[[str], None],
) -> GenesisConfig:
    """Archive block 0 once (the archiver ignores a replay) and record what it fixed in genesis.json."""
    if genesis.genesis_segments is not None and genesis.solution_range is not None:
        if len(archiver.segment_headers()) < genesis.genesis_segments:
            # A joined genesis.json and an empty archive: block 0 is derived from the genesis hash alone.
            on_stage("archiving the genesis block of the joined network…")
            archiver.on_confirmed_block(0, genesis_block(genesis, params), timeout=SLOW_CALL_TIMEOUT)
        return genesis
    on_stage(f"archiving the genesis block ({params.recorded_history_segment_size:,} bytes) into the first segment…")
    archiver.on_confirmed_block(0, genesis_block(genesis, params), timeout=SLOW_CALL_TIMEOUT)
    segments = len(archiver.segment_headers())
    sectors = sum(plan_farm(farm.size_bytes, params)[0] for farm in farms)
    solution_range = pieces_to_solution_range(sectors * params.max_pieces_in_sector, params.slot_probability, params)
    updated = genesis.model_copy(update={"genesis_segments": segments, "solution_range": solution_range})
    write_genesis(data_dir, updated)
    return updated


def _chain_genesis(archiver: ArchiverClient, genesis: GenesisConfig, params: Params) -> ChainState:
    headers = archiver.segment_headers()[: genesis.genesis_segments]
    assert genesis.solution_range is not None
    endowments = {dev_account().public_key: genesis.dev_account_endowment} if genesis.dev_account_endowment else {}
    return genesis_state(
        params, endowments=endowments, solution_range=genesis.solution_range,
        pot_slot_iterations=genesis.pot_slot_iterations, segment_headers=headers,
    )  # fmt: skip


def _create_farms(params: Params, farms: Sequence[FarmPlan]) -> None:
    """Create (or check) each farm on its own host: here, or by a task pinned to the node holding its disk."""
    here = current_node_id()
    pending = []
    for farm in farms:
        if farm.node_id is None or farm.node_id == here:
            create_farm(farm.path, farm.size_bytes, params)
        else:
            pending.append(
                create_pinned_task(create_farm, node_id=farm.node_id).remote(farm.path, farm.size_bytes, params)
            )
    if len(pending) > 0:
        try:
            ray.get(pending, timeout=SLOW_CALL_TIMEOUT)
        except RayTaskError as error:
            # The farm's own error (FarmError: wrong size or preset, StorageError: the disk) without Ray's wrapper.
            raise error.cause from None


def create_farm(path: str, size_bytes: int, params: Params) -> str:
    """Create and pre-allocate the farm at `path` on this host, or check the one there (same size and preset)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Farm.create_or_open(Path(path), size_bytes, params).close()
    return path


def _start_farmers(
    spec: ClusterSpec,
    params: Params,
    setup: KzgSetup,
    names: list[str],
    farms: Sequence[FarmPlan],
    detached: bool,
    cache_plans: Sequence[CachePlan] = (),
) -> list[FarmerClient]:
    farmers = []
    cached = {plan.name for plan in cache_plans}
    for name, farm in zip(names, farms, strict=True):
        local = farmer_cache_name(name) if farmer_cache_name(name) in cached else None
        dsn = dsn_names(cache_plans, [other for other in names if other != name], local)
        config = FarmerConfig(
            farm.path, farm_id=name, archiver=ARCHIVER_NAME, node=NODE_NAME, reward_address=farm.reward_address,
            cache_peers=dsn.cache_peers, local_cache=local, farmers=dsn.farmers, solution_sinks=(NODE_NAME,),
        )  # fmt: skip
        encoder = create_record_encoder(params, setup)
        farmers.append(create_farmer(spec, config, name=name, encoder=encoder, node_id=farm.node_id, detached=detached))
    for farmer in farmers:
        farmer.ready(timeout=SLOW_CALL_TIMEOUT)
    return farmers


def _timekeeper_config(data_dir: Path, genesis: GenesisConfig, params: Params, pin_cpu: int | None) -> TimekeeperConfig:
    return TimekeeperConfig(data_dir=str(data_dir), params=params, genesis_seed=genesis.genesis_seed(), pin_cpu=pin_cpu)
