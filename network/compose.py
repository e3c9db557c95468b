"""The composition root: the one module that creates and wires every actor of a network, and fans work out to
Ray tasks (record commitments, record encoding).

`start_network(plan)` reads top to bottom as the network starts: the archiver, which archives the genesis block
into the first segments (so farmers have history to plot at once); the farms on their hosts; the DSN cache peers;
one farmer (plot shard) per farm; the node; the subscriptions; the timekeeper last, so no slot is missed. Each
role is a plain class of actors/ made a named Ray actor here (`create_*`, the only `ray.remote` of roles), given
its config record and `RayLinks`, through which it reaches the other roles by name; Ray restarts it from the same
arguments. Every role is created with get_if_exists, so starting again attaches to what runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar, cast

import ray
from ray import ObjectRef
from ray.actor import ActorHandle
from ray.exceptions import RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from autonomys.actors.archiving.archiver import ArchiverConfig, ArchiverService, commit_raw_records
from autonomys.actors.consensus.node_service import NodeConfig, NodeService
from autonomys.actors.consensus.node_types import NodeLimits
from autonomys.actors.domains.operator import OperatorIdentity
from autonomys.actors.domains.operator_service import OperatorConfig, OperatorService
from autonomys.actors.dsn.cache_peer import CachePeerConfig
from autonomys.actors.dsn.cache_peer_service import CachePeerService, CachePeerServiceConfig
from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.farming.farmer import FarmerConfig, FarmerService
from autonomys.actors.handles import (
    DEFAULT_TIMEOUT,
    ActorClient,
    AgentRegistryClient,
    ArchiverClient,
    CachePeerClient,
    ExecutorBotClient,
    FarmerClient,
    NodeClient,
    OperatorClient,
    RayLinks,
    RemoteFunction,
    TimekeeperClient,
    plotting_capacity,
)
from autonomys.actors.identity.agent_registry_service import AgentRegistryConfig, AgentRegistryService, DemoAgent
from autonomys.actors.kzg_setup import KzgSetup, setup_for
from autonomys.actors.plotting.plotter import RecordJob, RecordResult, encode_record_jobs
from autonomys.actors.timekeeper.service import TimekeeperConfig, TimekeeperService
from autonomys.network.caches import CachePlan, dsn_names, farmer_cache_name, plan_caches
from autonomys.network.client import Network
from autonomys.network.domains import is_second_operator, operator_identities
from autonomys.network.farms import FarmPlan, create_farm, farmer_name
from autonomys.network.genesis import GenesisConfig, archive_genesis, chain_genesis
from autonomys.network.runtime import current_node_id, named_actors
from autonomys.network.spec import (
    ARCHIVER_NAME,
    NODE_NAME,
    PLOTTER_RESOURCE,
    SMALL_RECORD_CHUNKS,
    TIMEKEEPER_NAME,
    ClusterSpec,
    RoleOptions,
)
from autonomys.protocol.params import Params

if TYPE_CHECKING:  # the bot imports eth-account, the valuation scikit-learn: loaded where they run
    from autonomys.actors.ai.valuation import ChunkRequest, ValuationTask
    from autonomys.actors.domains.executor_bot import ExecutorBotConfig
    from autonomys.protocol.ai.shapley import TmcPartial

P = ParamSpec("P")
R = TypeVar("R")
RoleT = TypeVar("RoleT")


def create_actor(
    role: Callable[P, RoleT], options: dict[str, Any], *args: P.args, **kwargs: P.kwargs
) -> ActorHandle[RoleT]:
    """The Ray actor of the plain role class `role`, created with `options` (the only `ray.remote` of roles);
    its constructor arguments are checked against the role's own."""
    created = ray.remote(cast("type[RoleT]", role)).options(**options).remote(*args, **kwargs)
    # Ray types the result as the handle or the class itself (for @ray.method-typed classes); it is the handle.
    if not isinstance(created, ActorHandle):
        msg = f"ray.remote({role!r}) returned {type(created).__name__}, not an actor handle"
        raise TypeError(msg)
    return created


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


def run_pinned(function: Callable[P, R], node_id: str, *args: P.args, **kwargs: P.kwargs) -> ObjectRef[R]:
    """Start `function(*args)` as a one-shot Ray task on that node (no CPU reserved, no retries): work on the node's
    own disk. Returns the ref of its result."""
    strategy = NodeAffinitySchedulingStrategy(node_id, soft=False)
    task = ray.remote(num_cpus=0, max_retries=0)(function).options(scheduling_strategy=strategy)
    return task.remote(*args, **kwargs)


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
    return TimekeeperClient(create_actor(TimekeeperService, options, config, RayLinks()))


class RayRecordCommitter:
    """Fans record commitments out to Ray tasks (one record per task: ~0.6 s of MSM each at MAINNET size).

    `remote_commit` is the Ray remote function built in network/compose.py from
    actors.archiving.archiver.commit_raw_records; `max_in_flight` bounds the records submitted at once.
    """

    def __init__(
        self,
        remote_commit: RemoteFunction[[KzgSetup, Params, list[bytes]], list[bytes]],
        setup: KzgSetup,
        params: Params,
        max_in_flight: int = 4,
    ) -> None:
        self.remote_commit = remote_commit
        self.setup = setup
        self.params = params
        self.max_in_flight = max_in_flight

    def __call__(self, raw_records: Sequence[bytes]) -> list[bytes]:
        pending: dict[ObjectRef[list[bytes]], int] = {}
        results: list[bytes | None] = [None] * len(raw_records)
        for index, record in enumerate(raw_records):
            if len(pending) >= self.max_in_flight:
                self._collect_one(pending, results)
            pending[self.remote_commit.remote(self.setup, self.params, [bytes(record)])] = index
        while len(pending) > 0:
            self._collect_one(pending, results)
        missing = [index for index, commitment in enumerate(results) if commitment is None]
        if len(missing) > 0:
            msg = f"no commitment came back for records {missing}"
            raise ActorUnavailable(msg)
        return [commitment for commitment in results if commitment is not None]

    @staticmethod
    def _collect_one(pending: dict[ObjectRef[list[bytes]], int], results: list[bytes | None]) -> None:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=DEFAULT_TIMEOUT * 10)
        if len(ready) == 0:
            msg = "record commitment workers did not answer"
            raise ActorUnavailable(msg)
        done = cast("ObjectRef[list[bytes]]", ready[0])  # ray.wait answers with the refs it was given
        index = pending.pop(done)
        results[index] = ray.get(done)[0]


class RayRecordEncoder:
    """Fans record encoding out to Ray tasks (`remote_encode` wraps actors.plotting.plotter.encode_record_jobs).

    The window of tasks in flight is re-read from `capacity()` for every sector, so plotting workers
    (or machines advertising the plotting resource) added to a running cluster are used at once.
    """

    def __init__(
        self,
        remote_encode: RemoteFunction[[list[RecordJob], Params, KzgSetup], list[RecordResult]],
        params: Params,
        setup: KzgSetup,
        capacity: Callable[[], int],
        records_per_task: int = 1,
    ) -> None:
        self.remote_encode = remote_encode
        self.params = params
        self.setup = setup
        self.capacity = capacity
        self.records_per_task = records_per_task

    def encode(self, jobs: Sequence[RecordJob]) -> Iterator[RecordResult]:
        window = max(1, 2 * int(self.capacity()))
        batches = [jobs[start : start + self.records_per_task] for start in range(0, len(jobs), self.records_per_task)]
        pending: list[ObjectRef[list[RecordResult]]] = []
        for batch in batches:
            if len(pending) >= window:
                ready, pending = self._wait_one(pending)
                yield from ray.get(ready)
            pending.append(self.remote_encode.remote(list(batch), self.params, self.setup))
        while len(pending) > 0:
            ready, pending = self._wait_one(pending)
            yield from ray.get(ready)

    @staticmethod
    def _wait_one(
        pending: list[ObjectRef[list[RecordResult]]],
    ) -> tuple[ObjectRef[list[RecordResult]], list[ObjectRef[list[RecordResult]]]]:
        ready, rest = ray.wait(list(pending), num_returns=1, timeout=DEFAULT_TIMEOUT * 20)
        if len(ready) == 0:
            msg = "plotting workers did not answer (is any node advertising the plotter resource?)"
            raise ActorUnavailable(msg)
        # ray.wait answers with the refs it was given (typed as any ref).
        return cast("ObjectRef[list[RecordResult]]", ready[0]), cast("list[ObjectRef[list[RecordResult]]]", rest)


def create_record_committer(setup: KzgSetup, params: Params, workers: int) -> RayRecordCommitter:
    """Record commitments as Ray tasks, one CPU each, at most `workers` in flight."""
    remote_commit = ray.remote(num_cpus=1, max_retries=3)(commit_raw_records)
    return RayRecordCommitter(remote_commit, setup, params, max_in_flight=workers)


class RayShapleyFanOut:
    """Runs the chunks of a TMC-Shapley valuation (actors.ai.valuation.run_permutation_chunk) as Ray tasks, one
    CPU each: the task (the contributors' arrays) goes into the object store once and every chunk gets its ref."""

    def __init__(self, remote_chunk: RemoteFunction[[ValuationTask, ChunkRequest], TmcPartial]) -> None:
        self.remote_chunk = remote_chunk

    def __call__(self, task: ValuationTask, requests: Sequence[ChunkRequest]) -> list[TmcPartial]:
        shared = cast("ValuationTask", ray.put(task))  # Ray hands the task itself to each chunk
        refs = [self.remote_chunk.remote(shared, request) for request in requests]
        try:
            return ray.get(refs, timeout=SLOW_CALL_TIMEOUT)
        except RayTaskError as error:
            # The job's own error (a named ValuationError or ShapleyError) without Ray's wrapper.
            raise error.cause from None


def create_shapley_fan_out() -> RayShapleyFanOut:
    """TMC-Shapley chunks as Ray tasks (imported here: scikit-learn loads only where a valuation runs)."""
    from autonomys.actors.ai.valuation import run_permutation_chunk

    return RayShapleyFanOut(ray.remote(num_cpus=1, max_retries=3)(run_permutation_chunk))


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
    return ArchiverClient(create_actor(ArchiverService, options, config, RayLinks(), committer))


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
    return FarmerClient(create_actor(FarmerService, options, config, RayLinks(), encoder=encoder))


def create_node(
    spec: ClusterSpec, config: NodeConfig, *, name: str, detached: bool = False, node_id: str | None = None
) -> NodeClient:
    """Create (or attach to) the named consensus node actor; it restores its chain from its data_dir."""
    options = _named_options(spec, spec.node, name, detached=detached, node_id=node_id)
    return NodeClient(create_actor(NodeService, options, config, RayLinks()))


def create_operator(
    spec: ClusterSpec, config: OperatorConfig, *, detached: bool = False, node_id: str | None = None
) -> OperatorClient:
    """Create (or attach to) the named operator of one (domain, operator); it resumes its domain chain."""
    options = _named_options(spec, spec.operator, config.name, detached=detached, node_id=node_id)
    return OperatorClient(create_actor(OperatorService, options, config, RayLinks()))


def create_executor_bot(
    spec: ClusterSpec, config: ExecutorBotConfig, name: str, *, detached: bool = False, node_id: str | None = None
) -> ExecutorBotClient:
    """Create (or attach to) a named StakeManager executor bot (it talks to its domain over JSON-RPC)."""
    from autonomys.actors.domains.executor_bot import ExecutorBotService  # eth-account: only where bots run

    options = _named_options(spec, spec.operator, name, detached=detached, node_id=node_id)
    return ExecutorBotClient(create_actor(ExecutorBotService, options, config))


AGENT_REGISTRY_NAME = "agent-registry"


def create_agent_registry(
    spec: ClusterSpec, config: AgentRegistryConfig, *, detached: bool = False, node_id: str | None = None
) -> AgentRegistryClient:
    """Create (or attach to) the agent registry, reading identities from an Auto ID domain's operator."""
    options = _named_options(spec, spec.operator, AGENT_REGISTRY_NAME, detached=detached, node_id=node_id)
    return AgentRegistryClient(create_actor(AgentRegistryService, options, config, RayLinks()))


def create_demo_agent(spec: ClusterSpec, name: str, *, detached: bool = True) -> ActorClient[DemoAgent]:
    """Create (or attach to) a demo agent actor named `name` (its endpoint: `ray://name`)."""
    options = _named_options(spec, spec.operator, name, detached=detached, node_id=None)
    return ActorClient(create_actor(DemoAgent, options, name))


def create_training_role(
    spec: ClusterSpec, role: Callable[P, RoleT], name: str, *args: P.args, **kwargs: P.kwargs
) -> ActorHandle[RoleT]:
    """Create (or attach to) a proof-of-training role of actors.ai.training (a provider, a validator, a
    challenger) named `name`, with an operator's options; it lives as long as the driver that made it."""
    options = _named_options(spec, spec.operator, name, detached=False, node_id=None)
    return create_actor(role, options, *args, **kwargs)


def create_cache_peer(
    spec: ClusterSpec,
    config: CachePeerServiceConfig,
    *,
    detached: bool = False,
    node_id: str | None = None,
) -> CachePeerClient:
    """Create (or attach to) the named DSN cache peer; pinned to `node_id` when its directory lives there."""
    options = _named_options(spec, spec.cache_peer, config.peer.name, detached=detached, node_id=node_id)
    return CachePeerClient(create_actor(CachePeerService, options, config, RayLinks()))


# ---- the network ----

DEFAULT_RPC_PORT: Final = 8545
"""Where Ethereum tools look for a node's JSON-RPC."""


def rpc_ports(identities: Mapping[str, OperatorIdentity], first_port: int | None) -> dict[str, int]:
    """The JSON-RPC port of each operator that serves one: the first operator of every EVM domain, on
    `first_port`, `first_port` + 1, ... in domain order (0: a free port each; None: none)."""
    if first_port is None:
        return {}
    ports: dict[str, int] = {}
    served: set[int] = set()
    for name, identity in identities.items():
        if identity.runtime_name == "evm" and identity.domain_id not in served:
            ports[name] = first_port + len(served) if first_port else 0
            served.add(identity.domain_id)
    return ports

SLOW_CALL_TIMEOUT = 900.0
"""Seconds a role may take to start or to archive the genesis block (a MAINNET segment on a small machine)."""


@dataclass(frozen=True)
class NetworkPlan:
    """What start_network creates: the roles' options and namespace, the data directory holding genesis.json
    and the service roles' stores, the farms, and where and how the service roles run."""

    spec: ClusterSpec
    data_dir: Path
    genesis: GenesisConfig
    farms: tuple[FarmPlan, ...]
    detached: bool = False
    """Roles outlive the driver that created them (the bootstrap job exits at once)."""
    service_node: str | None = None
    """The Ray node the archiver, the node and the standalone cache peers are pinned to: the host whose data_dir
    holds genesis.json (the bootstrap's own host). None: wherever Ray places them."""
    pin_cpu: int | None = None
    """Pin the timekeeper's prover to this CPU."""
    archiver_workers: int = 1
    """Record-commitment tasks in flight while archiving."""
    kzg_path: str | None = None
    """The KZG ceremony file; None: the insecure dev setup."""
    operator_nodes: tuple[str, ...] = ()
    """Ray nodes the domain operators are spread over, round-robin (each keeps its store there); empty: the
    service node."""
    state_window: int | None = 0
    """Canonical states the node keeps below its best block beyond the unfinalized ones (NodeLimits.state_window;
    None: every state, `--state-pruning archive`)."""
    rpc_port: int | None = DEFAULT_RPC_PORT
    """The first operator of each EVM domain serves Ethereum JSON-RPC on this port (the next EVM domain on the next
    port); 0: free ports; None: no JSON-RPC."""
    faulty_operator: str | None = None
    """A faulty-operator kind (protocol.domains.faults): each domain's second operator lies in its receipts."""


def start_network(plan: NetworkPlan, on_stage: Callable[[str], None] = lambda stage: None) -> Network:
    """Create (or attach to) every role of the network in dependency order; returns their clients."""
    spec, data_dir = plan.spec, plan.data_dir
    params = plan.genesis.params()
    setup = setup_for(params.record_num_chunks, plan.kzg_path)
    archiver = create_archiver(
        spec, ArchiverConfig(str(data_dir), params, setup), workers=plan.archiver_workers, detached=plan.detached,
        node_id=plan.service_node,
    )  # fmt: skip
    archiver.ready(timeout=SLOW_CALL_TIMEOUT)
    sizes = [farm.size_bytes for farm in plan.farms]
    genesis = archive_genesis(archiver, plan.genesis, data_dir, sizes, on_stage, SLOW_CALL_TIMEOUT)
    chain = chain_genesis(genesis, archiver.segment_headers())
    on_stage(f"genesis state {chain.state_root().hex()[:16]}…, solution range {genesis.solution_range:,}")
    names = [farmer_name(index) for index in range(len(plan.farms))]
    running = named_actors(spec.namespace)
    create_farms(params, [farm for name, farm in zip(names, plan.farms, strict=True) if name not in running])
    disks = [(name, farm.path, farm.size_bytes, farm.node_id) for name, farm in zip(names, plan.farms, strict=True)]
    cache_plans = plan_caches(spec, params, data_dir, disks, plan.service_node)
    caches = {cache.name: _start_cache_peer(plan, params, setup, cache, cache_plans, names) for cache in cache_plans}
    farmers = {name: _start_farmer(plan, params, setup, name, farm, cache_plans, names) for name, farm in zip(names, plan.farms, strict=True)}
    node_config = NodeConfig(
        str(data_dir), params, chain, name=NODE_NAME, farmers=tuple(names), archiver=ARCHIVER_NAME,
        kzg_setup=setup, timekeeper=TIMEKEEPER_NAME, limits=NodeLimits(state_window=plan.state_window),
    )  # fmt: skip
    node = create_node(spec, node_config, name=NODE_NAME, detached=plan.detached, node_id=plan.service_node)
    clients: list[CachePeerClient | FarmerClient | NodeClient] = [*caches.values(), *farmers.values(), node]
    for client in clients:
        client.ready(timeout=SLOW_CALL_TIMEOUT)
    for name in (*names, *caches):
        archiver.subscribe(name)
    on_stage(f"DSN: {len(caches)} cache peers ({', '.join(caches) or 'none'})")
    for cache in caches.values():
        cache.join(timeout=SLOW_CALL_TIMEOUT)
    placement = plan.operator_nodes or (plan.service_node,)
    identities = operator_identities(genesis.genesis_hash, genesis.domains)
    ports = rpc_ports(identities, plan.rpc_port)
    operators = {
        name: create_operator(
            spec, OperatorConfig(
                str(data_dir), params, identity, name, NODE_NAME, rpc_port=ports.get(name),
                fault=plan.faulty_operator if is_second_operator(identity) else None,
            ),
            detached=plan.detached, node_id=placement[index % len(placement)],
        )  # fmt: skip
        for index, (name, identity) in enumerate(identities.items())
    }
    for operator in operators.values():
        operator.ready(timeout=SLOW_CALL_TIMEOUT)
    if operators:
        on_stage(f"domains: {', '.join(genesis.domains)}; operators {', '.join(operators)}")
    first_auto_id = next((name for name, identity in identities.items() if identity.runtime_name == "auto-id"), None)
    registry = None
    if first_auto_id is not None:
        registry = create_agent_registry(
            spec, AgentRegistryConfig(str(data_dir), first_auto_id), detached=plan.detached, node_id=plan.service_node
        )
        registry.ready(timeout=SLOW_CALL_TIMEOUT)
        on_stage(f"agent registry: identities from {first_auto_id}")
    timekeeper_config = TimekeeperConfig(str(data_dir), params, genesis.genesis_seed(), pin_cpu=plan.pin_cpu)
    timekeeper = create_timekeeper(spec, timekeeper_config, detached=plan.detached)
    timekeeper.ready(timeout=SLOW_CALL_TIMEOUT)
    timekeeper.subscribe(NODE_NAME)
    return Network(timekeeper, archiver, node, farmers, caches, genesis, operators, registry)


def create_farms(params: Params, farms: Sequence[FarmPlan]) -> None:
    """Create (or check) each farm on its own host: here, or by a task pinned to the node holding its disk."""
    here = current_node_id()
    pending: list[ObjectRef[str]] = []
    for farm in farms:
        if farm.node_id is None or farm.node_id == here:
            create_farm(farm.path, farm.size_bytes, params)
        else:
            pending.append(run_pinned(create_farm, farm.node_id, farm.path, farm.size_bytes, params))
    if len(pending) > 0:
        try:
            ray.get(pending, timeout=SLOW_CALL_TIMEOUT)
        except RayTaskError as error:
            # The farm's own error (FarmError: wrong size or preset, StorageError: the disk) without Ray's wrapper.
            raise error.cause from None


def _start_cache_peer(
    plan: NetworkPlan,
    params: Params,
    setup: KzgSetup,
    cache: CachePlan,
    caches: Sequence[CachePlan],
    farmers: Sequence[str],
) -> CachePeerClient:
    bootstrap = tuple(other.name for other in caches if other.name != cache.name)
    peer = CachePeerConfig(cache.name, cache.directory, params, setup, cache.capacity_pieces, bootstrap)
    config = CachePeerServiceConfig(peer, NODE_NAME, dsn_names(caches, farmers))
    return create_cache_peer(plan.spec, config, detached=plan.detached, node_id=cache.node_id)


def _start_farmer(
    plan: NetworkPlan,
    params: Params,
    setup: KzgSetup,
    name: str,
    farm: FarmPlan,
    caches: Sequence[CachePlan],
    farmers: Sequence[str],
) -> FarmerClient:
    local = farmer_cache_name(name) if farmer_cache_name(name) in {cache.name for cache in caches} else None
    dsn = dsn_names(caches, [other for other in farmers if other != name], local)
    config = FarmerConfig(
        farm.path, farm_id=name, archiver=ARCHIVER_NAME, node=NODE_NAME, reward_address=farm.reward_address,
        cache_peers=dsn.cache_peers, local_cache=local, farmers=dsn.farmers, solution_sinks=(NODE_NAME,),
        kzg_setup=setup,
    )  # fmt: skip
    encoder = create_record_encoder(params, setup)
    return create_farmer(plan.spec, config, name=name, encoder=encoder, node_id=farm.node_id, detached=plan.detached)
