"""The only module that talks to Ray handles: typed wrappers around actor calls.

Every blocking call takes a timeout (a request for resources nobody has hangs silently otherwise).
Tests replace these wrappers with plain objects that have the same methods.

Typing: a wrapper sees its Ray handle through the role class it was created from (`ActorClient[FarmerService]`,
`_NamedActor[NodeService]`; one `cast` where the handle is taken), and every call is written out as
`remote(actor.<method>).remote(...)`: `remote` turns the role's method into the Ray actor method it is at run
time, so mypy checks each call's arguments and result against the method itself (messages from
actors.messages, bytes, list[SegmentHeader], ...). Never call `actor.<method>(...)` without `remote(...)`: Ray
refuses it at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, ParamSpec, Protocol, TypeVar, cast

import ray
from ray import ObjectRef
from ray.actor import ActorHandle
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError
from ray.util import metrics as ray_metrics

from autonomys.actors.archiving.archiver import ArchiverService
from autonomys.actors.consensus.node_service import NodeService
from autonomys.actors.domains.operator_service import DomainBlockSummary, OperatorService
from autonomys.actors.dsn.cache_peer_service import CachePeerService
from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.farming.farmer import FarmerService
from autonomys.actors.farming.metrics import FarmMetrics, ProofOutcome, SectorState
from autonomys.actors.links import Subscriber
from autonomys.actors.messages import (
    BundleSubmission,
    CachePeerStatus,
    DomainBlockInput,
    DomainTick,
    FarmerSolution,
    FarmerStatus,
    FarmingSlot,
    JoinReport,
    NodeStatus,
    ObjectLocation,
    OperatorStatus,
    PeerContact,
    ScheduleParametersChangeRequest,
    ScheduleParametersChangeResponse,
    SegmentHeaderNotification,
    SlotNotification,
    TimekeeperStatus,
)
from autonomys.actors.timekeeper.service import TimekeeperService
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.state_proofs import StateProof
from autonomys.protocol.domains.registry import DomainConfig
from autonomys.protocol.domains.view import DomainView
from autonomys.protocol.objects.mappings import GlobalObject
from autonomys.protocol.params import Params
from autonomys.protocol.timekeeper.pot import GossipProof

if TYPE_CHECKING:  # the bot imports eth-account: loaded where a bot runs, not with every client
    from autonomys.actors.domains.executor_bot import ExecutorBotService, ExecutorBotStatus  # noqa: F401 - named in a string
    from autonomys.actors.identity.agent_registry_service import (  # noqa: F401 - named in strings
        AgentRegistryService,
        DemoAgent,
        InvocationResult,
    )
    from autonomys.protocol.identity.agent_services import AgentListing, CallerCredential, ServiceDescription
    from autonomys.protocol.identity.reputation import Feedback, ScoreSummary

DEFAULT_TIMEOUT = 30.0

P = ParamSpec("P")
R = TypeVar("R")
ActorT = TypeVar("ActorT")


class RemoteFunction(Protocol[P, R]):
    """A Ray remote function or actor method: `.remote(...)` submits one call and returns its result's ObjectRef."""

    def remote(self, *args: P.args, **kwargs: P.kwargs) -> ObjectRef[R]: ...


def remote(method: Callable[P, R]) -> RemoteFunction[P, R]:
    """The Ray actor method behind `method`, a method of a handle seen through its role class (see the module
    docstring): same parameters, and `.remote(...)` returns an ObjectRef of the method's result."""
    return cast("RemoteFunction[P, R]", method)


def result(ref: ObjectRef[R], timeout: float = DEFAULT_TIMEOUT) -> R:
    """Wait for one call's result, mapping Ray failures to ActorUnavailable; an error the role raised is raised
    here as itself (its named type and message, without Ray's remote traceback around it)."""
    try:
        return ray.get(ref, timeout=timeout)
    except (RayActorError, GetTimeoutError) as error:
        raise ActorUnavailable(str(error)) from error
    except RayTaskError as error:
        if isinstance(error.cause, Exception):
            raise error.cause from None
        raise


def call(method: RemoteFunction[..., R], *args: object, timeout: float = DEFAULT_TIMEOUT) -> R:
    """`method.remote(*args)` and its result, for scripts holding a raw handle (benchmarks/dsn.py); the wrappers
    below call typed methods through `result(remote(...).remote(...))`."""
    return result(method.remote(*args), timeout)


def get_actor(name: str, namespace: str | None = None) -> ActorHandle:
    try:
        return ray.get_actor(name, namespace=namespace)
    except ValueError as error:
        msg = f"no actor named {name!r}"
        raise ActorUnavailable(msg) from error


class _NamedActor(Generic[ActorT]):
    """A named actor resolved on first use and again after it died (it may have been restarted), seen as ActorT."""

    def __init__(self, name: str, namespace: str | None = None) -> None:
        self.name = name
        self.namespace = namespace
        self._handle: ActorT | None = None

    def _actor(self) -> ActorT:
        if self._handle is None:
            self._handle = cast(ActorT, get_actor(self.name, self.namespace))
        return self._handle

    def _call(self, invoke: Callable[[ActorT], ObjectRef[R]], timeout: float = DEFAULT_TIMEOUT) -> R:
        """The result of the call `invoke` submits to the actor, waited for up to `timeout` seconds."""
        try:
            return result(invoke(self._actor()), timeout)
        except ActorUnavailable:
            self._handle = None
            raise

    def _push(self, invoke: Callable[[ActorT], ObjectRef[None]]) -> ObjectRef[None]:
        """Fire and forget (ordered per caller); a dead actor is re-resolved on the next push."""
        try:
            return invoke(self._actor())
        except RayActorError:
            self._handle = None
            raise


class ActorSubscriber(_NamedActor[Subscriber]):
    """Pushes broadcasts (slots, segment headers, solutions) to a named actor, fire-and-forget and in order.

    The previous push is checked (without waiting) before the next: a dead subscriber raises
    ActorUnavailable, which the timekeeper counts. The handle is re-resolved after a failure.
    """

    def __init__(self, name: str, namespace: str | None = None) -> None:
        super().__init__(name, namespace)
        self._pending: ObjectRef[None] | None = None

    def on_slot(self, notification: SlotNotification) -> None:
        self._send(lambda subscriber: remote(subscriber.on_slot).remote(notification))

    def on_segment_header(self, notification: SegmentHeaderNotification) -> None:
        self._send(lambda subscriber: remote(subscriber.on_segment_header).remote(notification))

    def on_solution(self, solution: FarmerSolution) -> None:
        self._send(lambda subscriber: remote(subscriber.on_solution).remote(solution))

    def _send(self, invoke: Callable[[Subscriber], ObjectRef[None]]) -> None:
        self._raise_if_previous_failed()
        self._pending = self._push(invoke)

    def _raise_if_previous_failed(self) -> None:
        if self._pending is None:
            return
        ready, _ = ray.wait([self._pending], timeout=0)
        if len(ready) == 0:
            return
        pending, self._pending = self._pending, None
        try:
            ray.get(pending)
        except RayActorError as error:
            self._handle = None
            raise ActorUnavailable(f"subscriber {self.name}: {error}") from error


class _Role(Protocol):
    """What every role class serves: readiness and shutdown."""

    def ready(self) -> bool: ...

    def shutdown(self) -> None: ...


RoleT = TypeVar("RoleT", bound=_Role)


class ActorClient(Generic[RoleT]):
    """Typed calls to one role's actor (created by network.compose, or attached by name): readiness, shutdown and
    kill here, the role's own calls in its subclass. `handle` is the Ray handle (tests kill and call it directly)."""

    def __init__(self, handle: ActorHandle[RoleT]) -> None:
        self.handle = handle
        self._actor = cast(RoleT, handle)

    def ready(self, timeout: float = DEFAULT_TIMEOUT) -> bool:
        return result(remote(self._actor.ready).remote(), timeout)

    def shutdown(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        result(remote(self._actor.shutdown).remote(), timeout)

    def kill(self, *, restart: bool) -> None:
        ray.kill(self.handle, no_restart=not restart)


class TimekeeperClient(ActorClient[TimekeeperService]):
    """Typed calls to a TimekeeperService actor."""

    def status(self, timeout: float = DEFAULT_TIMEOUT) -> TimekeeperStatus:
        return result(remote(self._actor.status).remote(), timeout)

    def subscribe(self, name: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        result(remote(self._actor.subscribe).remote(name), timeout)

    def schedule_parameters_change(
        self, request: ScheduleParametersChangeRequest, timeout: float = DEFAULT_TIMEOUT
    ) -> ScheduleParametersChangeResponse:
        return result(remote(self._actor.schedule_parameters_change).remote(request), timeout)

    def proofs_after(self, slot: int, wait: float = 0.0, timeout: float = DEFAULT_TIMEOUT) -> list[GossipProof]:
        return result(remote(self._actor.proofs_after).remote(slot, wait), timeout + wait)

    def stop(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        result(remote(self._actor.stop).remote(), timeout)


class ArchiverClient(ActorClient[ArchiverService]):
    """Typed calls to an ArchiverService actor."""

    def on_confirmed_block(self, number: int, block: bytes, timeout: float = DEFAULT_TIMEOUT * 10) -> list[SegmentHeader]:
        return result(remote(self._actor.on_confirmed_block).remote(number, block), timeout)

    def subscribe(self, name: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        result(remote(self._actor.subscribe).remote(name), timeout)

    def segment_headers(self, first: int = 0, timeout: float = DEFAULT_TIMEOUT) -> list[SegmentHeader]:
        return result(remote(self._actor.segment_headers).remote(first), timeout)

    def get_piece(self, piece_index: int, timeout: float = DEFAULT_TIMEOUT) -> bytes | None:
        return result(remote(self._actor.get_piece).remote(piece_index), timeout)


class FarmerClient(ActorClient[FarmerService]):
    """Typed calls to a Farmer (plot-shard) actor."""

    def status(self, timeout: float = DEFAULT_TIMEOUT) -> FarmerStatus:
        return result(remote(self._actor.status).remote(), timeout)

    def on_farming_slot(self, slot: FarmingSlot, timeout: float = DEFAULT_TIMEOUT) -> None:
        result(remote(self._actor.on_farming_slot).remote(slot), timeout)

    def subscribe_solutions(self, name: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        result(remote(self._actor.subscribe_solutions).remote(name), timeout)

    def solutions_after(self, slot: int, wait: float = 0.0, timeout: float = DEFAULT_TIMEOUT) -> list[FarmerSolution]:
        return result(remote(self._actor.solutions_after).remote(slot, wait), timeout + wait)


def plotting_capacity(resource: str) -> int:
    """How many plotting workers the cluster can run at once (its total of the plotting resource)."""
    return int(ray.cluster_resources().get(resource, 0))


class RayFarmMetrics(FarmMetrics):
    """FarmMetrics that also reports to Ray's metrics agent (scraped by Prometheus), tagged with the farm id."""

    def __init__(self, farm_id: str) -> None:
        super().__init__()
        tags = {"farm": farm_id}
        keys = ("farm",)
        self._audit = ray_metrics.Histogram(
            "autonomys_farm_audit_seconds", "Time to audit every sector for one slot", [0.01, 0.05, 0.1, 0.25, 0.5, 1.0], keys
        )
        self._proving = ray_metrics.Histogram(
            "autonomys_farm_proving_seconds", "Time to prove one candidate", [0.25, 0.5, 1.0, 2.0, 4.0, 8.0], keys
        )
        self._proofs = ray_metrics.Counter("autonomys_farm_proofs_total", "Proof attempts by outcome", ("farm", "outcome"))
        self._skipped = ray_metrics.Counter("autonomys_farm_skipped_slots_total", "Slots not audited in time", keys)
        self._sectors = ray_metrics.Gauge("autonomys_farm_sectors", "Sectors by state", ("farm", "state"))
        for metric in (self._audit, self._proving, self._proofs, self._skipped, self._sectors):
            metric.set_default_tags(tags)

    def record_audit(self, seconds: float, candidates: int) -> None:
        super().record_audit(seconds, candidates)
        self._audit.observe(seconds)

    def record_skip(self) -> None:
        super().record_skip()
        self._skipped.inc()

    def record_proof(self, outcome: ProofOutcome, seconds: float = 0.0) -> None:
        super().record_proof(outcome, seconds)
        self._proofs.inc(tags={"outcome": outcome.value})
        if outcome.is_timed:
            self._proving.observe(seconds)

    def record_sector_states(self, states: dict[SectorState, int]) -> None:
        super().record_sector_states(states)
        for state, count in states.items():
            self._sectors.set(count, tags={"state": state.value})


def farm_metrics(farm_id: str) -> FarmMetrics:
    """RayFarmMetrics inside a Ray worker, plain FarmMetrics elsewhere."""
    return RayFarmMetrics(farm_id) if ray.is_initialized() else FarmMetrics()


class FarmerLinkHandle(_NamedActor[FarmerService]):
    """What a node needs of a farmer actor: slots pushed to it, its key, block seals and its recent solutions."""

    def on_farming_slot(self, slot: FarmingSlot) -> None:
        self._push(lambda farmer: remote(farmer.on_farming_slot).remote(slot))

    def solutions_after(self, slot: int) -> list[FarmerSolution]:
        return self._call(lambda farmer: remote(farmer.solutions_after).remote(slot, 0.0))

    def read_piece(self, piece_index: int) -> bytes | None:
        return self._call(lambda farmer: remote(farmer.read_piece).remote(piece_index), timeout=DEFAULT_TIMEOUT * 2)

    def public_key(self) -> bytes:
        return self._call(lambda farmer: remote(farmer.public_key).remote())

    def sign_reward(self, message: bytes) -> bytes:
        return self._call(lambda farmer: remote(farmer.sign_reward).remote(message))


class TimekeeperLinkHandle(_NamedActor[TimekeeperService]):
    """What a node needs of its timekeeper: a (durable, idempotent) subscription and the recent proofs."""

    def subscribe(self, name: str) -> None:
        self._call(lambda timekeeper: remote(timekeeper.subscribe).remote(name))

    def proofs_after(self, slot: int) -> list[GossipProof]:
        return self._call(lambda timekeeper: remote(timekeeper.proofs_after).remote(slot, 0.0))


class NodeLinkHandle(_NamedActor[NodeService]):
    """A node as other roles see it: its history (farmers, cache peers) and gossip and sync (other nodes)."""

    def history_size(self) -> int:
        return self._call(lambda node: remote(node.history_size).remote())

    def segment_commitment(self, segment_index: int) -> bytes | None:
        return self._call(lambda node: remote(node.segment_commitment).remote(segment_index))

    def segment_headers(self, first: int = 0) -> list[SegmentHeader]:
        return self._call(lambda node: remote(node.segment_headers).remote(first))

    def on_block(self, block: bytes) -> None:
        self._push(lambda node: remote(node.on_block).remote(block))

    def best_block_hash(self) -> bytes:
        return self._call(lambda node: remote(node.best_block_hash).remote())

    def block_ancestry(self, block_hash: bytes, count: int) -> list[bytes]:
        return self._call(lambda node: remote(node.block_ancestry).remote(block_hash, count), timeout=DEFAULT_TIMEOUT * 4)


class ArchiverLinkHandle(_NamedActor[ArchiverService]):
    """The archiver as a node's ConfirmedBlockSink."""

    def on_confirmed_block(self, number: int, block: bytes) -> list[SegmentHeader]:
        return self._call(
            lambda archiver: remote(archiver.on_confirmed_block).remote(number, block), timeout=DEFAULT_TIMEOUT * 10
        )

    def segment_headers_for_block(self, number: int) -> list[SegmentHeader]:
        return self._call(lambda archiver: remote(archiver.segment_headers_for_block).remote(number))

    def segment_headers(self, first: int = 0) -> list[SegmentHeader]:
        return self._call(lambda archiver: remote(archiver.segment_headers).remote(first))

    def object_mapping(self, object_hash: bytes) -> GlobalObject | None:
        return self._call(lambda archiver: remote(archiver.object_mapping).remote(object_hash))

    def get_piece(self, piece_index: int) -> bytes | None:
        return self._call(lambda archiver: remote(archiver.get_piece).remote(piece_index))


class NodeClient(ActorClient[NodeService]):
    """Typed calls to a node actor."""

    def domain_view(self, domain_id: int, timeout: float = DEFAULT_TIMEOUT) -> DomainView:
        return result(remote(self._actor.domain_view).remote(domain_id), timeout)

    def domain_config(self, domain_id: int, timeout: float = DEFAULT_TIMEOUT) -> DomainConfig:
        return result(remote(self._actor.domain_config).remote(domain_id), timeout)

    def status(self, timeout: float = DEFAULT_TIMEOUT) -> NodeStatus:
        return result(remote(self._actor.status).remote(), timeout)

    def set_peers(self, names: list[str], timeout: float = DEFAULT_TIMEOUT) -> None:
        result(remote(self._actor.set_peers).remote(names), timeout)

    def canonical_blocks(self, timeout: float = DEFAULT_TIMEOUT) -> list[bytes]:
        return result(remote(self._actor.canonical_blocks).remote(), timeout)

    def state_proof(self, key: bytes, number: int | None = None, timeout: float = DEFAULT_TIMEOUT) -> StateProof:
        return result(remote(self._actor.state_proof).remote(key, number), timeout)


class DomainNodeHandle(_NamedActor[NodeService]):
    """A node as an operator sees it: ticks, blocks to derive from, bundles, receipts and fraud proofs in."""

    def domain_tick(self, domain_id: int, operator_ids: tuple[int, ...], after_slot: int) -> DomainTick:
        return self._call(lambda node: remote(node.domain_tick).remote(domain_id, operator_ids, after_slot))

    def domain_block_input(self, number: int) -> DomainBlockInput | None:
        return self._call(lambda node: remote(node.domain_block_input).remote(number))

    def offer_bundle(self, bundle: bytes) -> BundleSubmission:
        return self._call(lambda node: remote(node.offer_bundle).remote(bundle))

    def offer_receipt(self, receipt: bytes) -> BundleSubmission:
        return self._call(lambda node: remote(node.offer_receipt).remote(receipt))

    def offer_fraud_proof(self, proof: bytes) -> BundleSubmission:
        return self._call(lambda node: remote(node.offer_fraud_proof).remote(proof))


class DomainStateHandle(_NamedActor[OperatorService]):
    """An operator's best domain state, read by key (the agent registry's identity view)."""

    def read(self, key: bytes) -> bytes | None:
        return self._call(lambda operator: remote(operator.read).remote(key))


class AgentHandle(_NamedActor["DemoAgent"]):
    """An agent's actor, as the agent registry invokes it."""

    def handle(self, request: bytes, caller_id: bytes) -> bytes:
        return self._call(lambda agent: remote(agent.handle).remote(request, caller_id))


class AgentRegistryClient(ActorClient["AgentRegistryService"]):
    """Typed calls to the agent registry actor."""

    def next_version(self, agent_id: bytes, timeout: float = DEFAULT_TIMEOUT) -> int:
        return result(remote(self._actor.next_version).remote(agent_id), timeout)

    def register(self, agent_id: bytes, service: ServiceDescription, algorithm: bytes, signature: bytes,
                 timeout: float = DEFAULT_TIMEOUT) -> int:  # fmt: skip
        return result(remote(self._actor.register).remote(agent_id, service, algorithm, signature), timeout)

    def find(self, capability: str, min_score: int | None = None, limit: int = 20,
             timeout: float = DEFAULT_TIMEOUT) -> list[AgentListing]:  # fmt: skip
        return result(remote(self._actor.find).remote(capability, min_score, limit), timeout)

    def invoke(self, agent_id: bytes, caller_id: bytes, credential: CallerCredential, request: bytes,
               timeout: float = DEFAULT_TIMEOUT) -> InvocationResult:  # fmt: skip
        return result(remote(self._actor.invoke).remote(agent_id, caller_id, credential, request), timeout)

    def rate(self, feedback: Feedback, timeout: float = DEFAULT_TIMEOUT) -> None:
        result(remote(self._actor.rate).remote(feedback), timeout)

    def reputation(self, agent_id: bytes, timeout: float = DEFAULT_TIMEOUT) -> ScoreSummary:
        return result(remote(self._actor.reputation).remote(agent_id), timeout)


class OperatorClient(ActorClient[OperatorService]):
    """Typed calls to an operator actor."""

    def status(self, timeout: float = DEFAULT_TIMEOUT) -> OperatorStatus:
        return result(remote(self._actor.status).remote(), timeout)

    def submit_transaction(self, extrinsic: bytes, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        return result(remote(self._actor.submit_transaction).remote(extrinsic), timeout)

    def account(self, account: bytes, timeout: float = DEFAULT_TIMEOUT) -> tuple[int, int]:
        return result(remote(self._actor.account).remote(account), timeout)

    def transaction_status(self, transaction_hash: bytes, timeout: float = DEFAULT_TIMEOUT) -> str:
        return result(remote(self._actor.transaction_status).remote(transaction_hash), timeout)

    def transaction_outcome(self, transaction_hash: bytes, timeout: float = DEFAULT_TIMEOUT) -> bytes | None:
        return result(remote(self._actor.transaction_outcome).remote(transaction_hash), timeout)

    def read(self, key: bytes, timeout: float = DEFAULT_TIMEOUT) -> bytes | None:
        return result(remote(self._actor.read).remote(key), timeout)

    def block(self, number: int | None = None, timeout: float = DEFAULT_TIMEOUT) -> DomainBlockSummary | None:
        return result(remote(self._actor.block).remote(number), timeout)

    def rpc_url(self, timeout: float = DEFAULT_TIMEOUT) -> str | None:
        """The Ethereum JSON-RPC URL this operator serves (an EVM domain's first operator), None otherwise."""
        return result(remote(self._actor.rpc_url).remote(), timeout)

    def receipt(self, number: int, timeout: float = DEFAULT_TIMEOUT) -> bytes | None:
        return result(remote(self._actor.receipt).remote(number), timeout)


class ExecutorBotClient(ActorClient["ExecutorBotService"]):
    """Typed calls to a StakeManager executor bot actor."""

    def status(self, timeout: float = DEFAULT_TIMEOUT) -> ExecutorBotStatus:
        return result(remote(self._actor.status).remote(), timeout)


class CachePeerLinkHandle(_NamedActor[CachePeerService]):
    """A cache peer as another peer (or a piece getter) sees it: its id, its routing answers and its pieces."""

    def peer_id(self) -> bytes:
        return self._call(lambda peer: remote(peer.peer_id).remote())

    def find_closest(self, kademlia_key: bytes, count: int) -> list[PeerContact]:
        return self._call(lambda peer: remote(peer.find_closest).remote(kademlia_key, count))

    def get_piece(self, piece_index: int) -> bytes | None:
        return self._call(lambda peer: remote(peer.get_piece).remote(piece_index))

    def add_peer(self, name: str, peer_id: bytes) -> None:
        self._call(lambda peer: remote(peer.add_peer).remote(name, peer_id))


class CachePeerClient(ActorClient[CachePeerService]):
    """Typed calls to a cache peer actor."""

    def status(self, timeout: float = DEFAULT_TIMEOUT) -> CachePeerStatus:
        return result(remote(self._actor.status).remote(), timeout)

    def join(self, timeout: float = DEFAULT_TIMEOUT * 4) -> JoinReport:
        return result(remote(self._actor.join).remote(), timeout)

    def sync_once(self, timeout: float = DEFAULT_TIMEOUT * 20) -> int:
        return result(remote(self._actor.sync_once).remote(), timeout)

    def get_piece(self, piece_index: int, timeout: float = DEFAULT_TIMEOUT) -> bytes | None:
        return result(remote(self._actor.get_piece).remote(piece_index), timeout)

    def peer_id(self, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        return result(remote(self._actor.peer_id).remote(), timeout)


class NodeObjectsHandle(_NamedActor[NodeService]):
    """A node as an object client sees it: transactions in, accounts and object locations out."""

    def submit_transaction(self, transaction: bytes) -> bytes:
        return self._call(lambda node: remote(node.submit_transaction).remote(transaction))

    def genesis_hash(self) -> bytes:
        return self._call(lambda node: remote(node.genesis_hash).remote())

    def params(self) -> Params:
        return self._call(lambda node: remote(node.params).remote())

    def account(self, public_key: bytes) -> tuple[int, int]:
        return self._call(lambda node: remote(node.account).remote(public_key))

    def object_location(self, object_hash: bytes) -> ObjectLocation:
        return self._call(lambda node: remote(node.object_location).remote(object_hash))


class RayLinks:
    """actors.links.Links inside a cluster: every link is a named actor of `namespace` (None: the namespace of the
    job the caller runs in, which is the deployment's), resolved on first use and again after it died (a restarted
    actor keeps its name). Picklable: roles take it as a constructor argument."""

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace

    def subscriber(self, name: str) -> ActorSubscriber:
        return ActorSubscriber(name, self.namespace)

    def timekeeper(self, name: str) -> TimekeeperLinkHandle:
        return TimekeeperLinkHandle(name, self.namespace)

    def archiver(self, name: str) -> ArchiverLinkHandle:
        return ArchiverLinkHandle(name, self.namespace)

    def node(self, name: str) -> NodeLinkHandle:
        return NodeLinkHandle(name, self.namespace)

    def farmer(self, name: str) -> FarmerLinkHandle:
        return FarmerLinkHandle(name, self.namespace)

    def cache_peer(self, name: str) -> CachePeerLinkHandle:
        return CachePeerLinkHandle(name, self.namespace)

    def farm_metrics(self, farm_id: str) -> FarmMetrics:
        return RayFarmMetrics(farm_id)

    def domain_node(self, name: str) -> DomainNodeHandle:
        return DomainNodeHandle(name, self.namespace)

    def domain_state(self, name: str) -> DomainStateHandle:
        return DomainStateHandle(name, self.namespace)

    def agent(self, name: str) -> AgentHandle:
        return AgentHandle(name, self.namespace)
