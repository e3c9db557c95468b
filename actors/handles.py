"""The only module that talks to Ray handles: typed wrappers around actor calls.

Every blocking call takes a timeout (a request for resources nobody has hangs silently otherwise).
Tests replace these wrappers with plain objects that have the same methods.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError
from ray.util import metrics as ray_metrics

from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.farming.metrics import FarmMetrics
from autonomys.actors.messages import (
    ScheduleParametersChangeRequest,
    ScheduleParametersChangeResponse,
    SlotNotification,
    TimekeeperStatus,
)
from autonomys.protocol.timekeeper.pot import GossipProof

DEFAULT_TIMEOUT = 30.0


def call(method: Any, *args: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Invoke an actor method and wait for its result, mapping Ray failures to ActorUnavailable."""
    try:
        return ray.get(method.remote(*args), timeout=timeout)
    except (RayActorError, GetTimeoutError) as error:
        raise ActorUnavailable(str(error)) from error


def get_actor(name: str, namespace: str | None = None) -> Any:
    try:
        return ray.get_actor(name, namespace=namespace)
    except ValueError as error:
        msg = f"no actor named {name!r}"
        raise ActorUnavailable(msg) from error


class ActorSubscriber:
    """Pushes broadcasts (slots, segment headers) to a named actor, fire-and-forget and in order.

    The previous push is checked (without waiting) before the next: a dead subscriber raises
    ActorUnavailable, which the timekeeper counts. The handle is re-resolved after a failure.
    """

    def __init__(self, name: str, namespace: str | None = None) -> None:
        self.name = name
        self.namespace = namespace
        self._handle: Any = None
        self._pending: Any = None

    def on_slot(self, notification: SlotNotification) -> None:
        self._push("on_slot", notification)

    def on_segment_header(self, notification: Any) -> None:
        self._push("on_segment_header", notification)

    def on_solution(self, notification: Any) -> None:
        self._push("on_solution", notification)

    def _push(self, method: str, notification: Any) -> None:
        self._raise_if_previous_failed()
        if self._handle is None:
            self._handle = get_actor(self.name, self.namespace)
        self._pending = getattr(self._handle, method).remote(notification)

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


class TimekeeperClient:
    """Typed calls to a TimekeeperService actor."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def ready(self, timeout: float = DEFAULT_TIMEOUT) -> bool:
        return bool(call(self.handle.ready, timeout=timeout))

    def status(self, timeout: float = DEFAULT_TIMEOUT) -> TimekeeperStatus:
        return call(self.handle.status, timeout=timeout)

    def subscribe(self, name: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        call(self.handle.subscribe, name, timeout=timeout)

    def schedule_parameters_change(
        self, request: ScheduleParametersChangeRequest, timeout: float = DEFAULT_TIMEOUT
    ) -> ScheduleParametersChangeResponse:
        return call(self.handle.schedule_parameters_change, request, timeout=timeout)

    def proofs_after(self, slot: int, wait: float = 0.0, timeout: float = DEFAULT_TIMEOUT) -> list[GossipProof]:
        return call(self.handle.proofs_after, slot, wait, timeout=timeout + wait)

    def stop(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        call(self.handle.stop, timeout=timeout)

    def shutdown(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        call(self.handle.shutdown, timeout=timeout)

    def kill(self, *, restart: bool) -> None:
        ray.kill(self.handle, no_restart=not restart)


class RayRecordCommitter:
    """Fans record commitments out to Ray tasks (one record per task: ~0.6 s of MSM each at MAINNET size).

    `remote_commit` is the Ray remote function built in network/compose.py from
    actors.archiving.archiver.commit_raw_records; `max_in_flight` bounds the records submitted at once.
    """

    def __init__(self, remote_commit: Any, setup: Any, params: Any, max_in_flight: int = 4) -> None:
        self.remote_commit = remote_commit
        self.setup = setup
        self.params = params
        self.max_in_flight = max_in_flight

    def __call__(self, raw_records: Sequence[bytes]) -> list[bytes]:
        pending: dict[Any, int] = {}
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
    def _collect_one(pending: dict[Any, int], results: list[bytes | None]) -> None:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=DEFAULT_TIMEOUT * 10)
        if len(ready) == 0:
            msg = "record commitment workers did not answer"
            raise ActorUnavailable(msg)
        index = pending.pop(ready[0])
        results[index] = ray.get(ready[0])[0]


class ArchiverClient:
    """Typed calls to an ArchiverService actor."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def ready(self, timeout: float = DEFAULT_TIMEOUT) -> bool:
        return bool(call(self.handle.ready, timeout=timeout))

    def on_confirmed_block(self, number: int, block: bytes, timeout: float = DEFAULT_TIMEOUT * 10) -> list:
        return call(self.handle.on_confirmed_block, number, block, timeout=timeout)

    def subscribe(self, name: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        call(self.handle.subscribe, name, timeout=timeout)

    def segment_headers(self, first: int = 0, timeout: float = DEFAULT_TIMEOUT) -> list:
        return call(self.handle.segment_headers, first, timeout=timeout)

    def get_piece(self, piece_index: int, timeout: float = DEFAULT_TIMEOUT) -> bytes | None:
        return call(self.handle.get_piece, piece_index, timeout=timeout)

    def shutdown(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        call(self.handle.shutdown, timeout=timeout)


class ActorClient:
    """Typed calls shared by role clients: readiness, status, shutdown and kill."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def ready(self, timeout: float = DEFAULT_TIMEOUT) -> bool:
        return call(self.handle.ready, timeout=timeout)

    def status(self, timeout: float = DEFAULT_TIMEOUT) -> Any:
        return call(self.handle.status, timeout=timeout)

    def shutdown(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        call(self.handle.shutdown, timeout=timeout)

    def kill(self, *, restart: bool) -> None:
        ray.kill(self.handle, no_restart=not restart)


class FarmerClient(ActorClient):
    """Typed calls to a Farmer (plot-shard) actor."""

    def on_farming_slot(self, slot: Any, timeout: float = DEFAULT_TIMEOUT) -> None:
        call(self.handle.on_farming_slot, slot, timeout=timeout)

    def subscribe_solutions(self, name: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        call(self.handle.subscribe_solutions, name, timeout=timeout)

    def solutions_after(self, slot: int, wait: float = 0.0, timeout: float = DEFAULT_TIMEOUT) -> list:
        return call(self.handle.solutions_after, slot, wait, timeout=timeout + wait)


class RayRecordEncoder:
    """Fans record encoding out to Ray tasks (`remote_encode` wraps actors.plotting.plotter.encode_record_jobs).

    The window of tasks in flight is re-read from `capacity()` for every sector, so plotting workers
    (or machines advertising the plotting resource) added to a running cluster are used at once.
    """

    def __init__(self, remote_encode: Any, params: Any, setup: Any, capacity: Any, records_per_task: int = 1) -> None:
        self.remote_encode = remote_encode
        self.params = params
        self.setup = setup
        self.capacity = capacity
        self.records_per_task = records_per_task

    def encode(self, jobs: Sequence[Any]) -> Iterator[Any]:
        window = max(1, 2 * int(self.capacity()))
        batches = [jobs[start : start + self.records_per_task] for start in range(0, len(jobs), self.records_per_task)]
        pending: list[Any] = []
        for batch in batches:
            if len(pending) >= window:
                ready, pending = self._wait_one(pending)
                yield from ray.get(ready)
            pending.append(self.remote_encode.remote(list(batch), self.params, self.setup))
        while len(pending) > 0:
            ready, pending = self._wait_one(pending)
            yield from ray.get(ready)

    @staticmethod
    def _wait_one(pending: list[Any]) -> tuple[Any, list[Any]]:
        ready, rest = ray.wait(pending, num_returns=1, timeout=DEFAULT_TIMEOUT * 20)
        if len(ready) == 0:
            msg = "plotting workers did not answer (is any node advertising the plotter resource?)"
            raise ActorUnavailable(msg)
        return ready[0], rest


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

    def record_proof(self, outcome: str, seconds: float = 0.0) -> None:
        super().record_proof(outcome, seconds)
        self._proofs.inc(tags={"outcome": outcome})
        if outcome in ("succeeded", "failed"):
            self._proving.observe(seconds)

    def record_sector_states(self, states: dict[str, int]) -> None:
        super().record_sector_states(states)
        for state, count in states.items():
            self._sectors.set(count, tags={"state": state})


def farm_metrics(farm_id: str) -> FarmMetrics:
    """RayFarmMetrics inside a Ray worker, plain FarmMetrics elsewhere."""
    return RayFarmMetrics(farm_id) if ray.is_initialized() else FarmMetrics()


class _NamedActor:
    """A named actor resolved on first use and again after it died (it may have been restarted)."""

    def __init__(self, name: str, namespace: str | None = None) -> None:
        self.name = name
        self.namespace = namespace
        self._handle: Any = None

    def _actor(self) -> Any:
        if self._handle is None:
            self._handle = get_actor(self.name, self.namespace)
        return self._handle

    def _call(self, method: str, *args: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
        try:
            return call(getattr(self._actor(), method), *args, timeout=timeout)
        except ActorUnavailable:
            self._handle = None
            raise

    def _push(self, method: str, *args: Any) -> None:
        """Fire and forget (ordered per caller); a dead actor is re-resolved on the next push."""
        try:
            getattr(self._actor(), method).remote(*args)
        except RayActorError:
            self._handle = None
            raise


class FarmerLinkHandle(_NamedActor):
    """What a node needs of a farmer actor: slots pushed to it, its key, block seals and its recent solutions."""

    def on_farming_slot(self, slot: Any) -> None:
        self._push("on_farming_slot", slot)

    def solutions_after(self, slot: int) -> list:
        return self._call("solutions_after", slot, 0.0)

    def read_piece(self, piece_index: int) -> bytes | None:
        return self._call("read_piece", piece_index, timeout=DEFAULT_TIMEOUT * 2)

    def public_key(self) -> bytes:
        return self._call("public_key")

    def sign_reward(self, message: bytes) -> bytes:
        return self._call("sign_reward", message)


class TimekeeperLinkHandle(_NamedActor):
    """What a node needs of its timekeeper: a (durable, idempotent) subscription and the recent proofs."""

    def subscribe(self, name: str) -> None:
        self._call("subscribe", name)

    def proofs_after(self, slot: int) -> list[GossipProof]:
        return self._call("proofs_after", slot, 0.0)


class NodeLinkHandle(_NamedActor):
    """A node as other roles see it: its history (farmers, cache peers) and gossip and sync (other nodes)."""

    def history_size(self) -> int:
        return self._call("history_size")

    def segment_commitment(self, segment_index: int) -> bytes | None:
        return self._call("segment_commitment", segment_index)

    def segment_headers(self, first: int = 0) -> list:
        return self._call("segment_headers", first)

    def on_block(self, block: bytes) -> None:
        self._push("on_block", block)

    def best_block_hash(self) -> bytes:
        return self._call("best_block_hash")

    def block_ancestry(self, block_hash: bytes, count: int) -> list[bytes]:
        return self._call("block_ancestry", block_hash, count, timeout=DEFAULT_TIMEOUT * 4)


class ArchiverLinkHandle(_NamedActor):
    """The archiver as a node's ConfirmedBlockSink."""

    def on_confirmed_block(self, number: int, block: bytes) -> list:
        return self._call("on_confirmed_block", number, block, timeout=DEFAULT_TIMEOUT * 10)

    def segment_headers_for_block(self, number: int) -> list:
        return self._call("segment_headers_for_block", number)

    def segment_headers(self, first: int = 0) -> list:
        return self._call("segment_headers", first)

    def object_mapping(self, object_hash: bytes) -> Any:
        return self._call("object_mapping", object_hash)

    def get_piece(self, piece_index: int) -> bytes | None:
        return self._call("get_piece", piece_index)


class NodeClient(ActorClient):
    """Typed calls to a node actor."""

    def set_peers(self, names: list[str], timeout: float = DEFAULT_TIMEOUT) -> None:
        call(self.handle.set_peers, names, timeout=timeout)

    def canonical_blocks(self, timeout: float = DEFAULT_TIMEOUT) -> list[bytes]:
        return call(self.handle.canonical_blocks, timeout=timeout)


class CachePeerLinkHandle(_NamedActor):
    """A cache peer as another peer (or a piece getter) sees it: its id, its routing answers and its pieces."""

    def peer_id(self) -> bytes:
        return self._call("peer_id")

    def find_closest(self, kademlia_key: bytes, count: int) -> list[tuple[str, bytes]]:
        return self._call("find_closest", kademlia_key, count)

    def get_piece(self, piece_index: int) -> bytes | None:
        return self._call("get_piece", piece_index)

    def add_peer(self, name: str, peer_id: bytes) -> None:
        self._call("add_peer", name, peer_id)


class CachePeerClient(ActorClient):
    """Typed calls to a cache peer actor."""

    def join(self, timeout: float = DEFAULT_TIMEOUT * 4) -> Any:
        return call(self.handle.join, timeout=timeout)

    def sync_once(self, timeout: float = DEFAULT_TIMEOUT * 20) -> int:
        return call(self.handle.sync_once, timeout=timeout)

    def get_piece(self, piece_index: int, timeout: float = DEFAULT_TIMEOUT) -> bytes | None:
        return call(self.handle.get_piece, piece_index, timeout=timeout)

    def peer_id(self, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        return call(self.handle.peer_id, timeout=timeout)


class NodeObjectsHandle(_NamedActor):
    """A node as an object client sees it: transactions in, accounts and object locations out."""

    def submit_transaction(self, transaction: bytes) -> bytes:
        return self._call("submit_transaction", transaction)

    def genesis_hash(self) -> bytes:
        return self._call("genesis_hash")

    def params(self) -> Any:
        return self._call("params")

    def account(self, public_key: bytes) -> tuple[int, int]:
        return self._call("account", public_key)

    def object_location(self, object_hash: bytes) -> Any:
        return self._call("object_location", object_hash)


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
