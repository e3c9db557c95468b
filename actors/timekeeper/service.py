"""Timekeeper: proves proof-of-time slot after slot on a dedicated core and publishes each slot.

`Timekeeper` is the steppable core (unit-tested without threads or Ray): it proves the next slot,
checkpoints the chain state to its store *before* anyone sees the slot, and accepts scheduled
parameter changes. `TimekeeperService` is what Ray runs: a proving thread around the core, durable
subscriptions, status and a long-poll for slots. A restarted service resumes from its store, so the
chain continues without a gap or a fork (the next slot re-derives from the last persisted one).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from autonomys.actors.clock import Clock, MonotonicClock
from autonomys.actors.errors import CorruptStore, describe_error
from autonomys.actors.links import Links
from autonomys.actors.messages import (
    ScheduleParametersChangeRequest,
    ScheduleParametersChangeResponse,
    SlotNotification,
    TimekeeperStatus,
)
from autonomys.actors.storage import KVStore, RocksKVStore, StoreCorrupted
from autonomys.kernels import pot as pot_kernel
from autonomys.protocol.errors import DecodeError, PotInputMismatch
from autonomys.protocol.params import Params
from autonomys.protocol.timekeeper.pot import GossipProof, PotSeed, prove_slot
from autonomys.protocol.timekeeper.pot_state import (
    PotChainState,
    apply_parameters_change,
    apply_proof,
    decode_pot_state,
    encode_pot_state,
    initialize_pot_state,
)

STATE_KEY = b"timekeeper/pot_state"
RUNNING_KEY = b"timekeeper/running"
SUBSCRIBER_PREFIX = b"timekeeper/subscriber/"
# A subscriber that keeps failing (down, or restarting) is kept, and retried at most this many slots apart: it
# comes back after its restart and fills the gap itself from proofs_after. Only unsubscribe() drops one.
MAX_RETRY_INTERVAL_SLOTS = 32
RATE_SMOOTHING = 0.2


class SlotSubscriber(Protocol):
    name: str

    def on_slot(self, notification: SlotNotification) -> None: ...


class Timekeeper:
    """The PoT chain of one timekeeper: prove, persist, then hand the proof out."""

    def __init__(self, params: Params, genesis_seed: PotSeed, store: KVStore, backend: str = "auto") -> None:
        self.params = params
        self.store = store
        self.backend = backend
        self._lock = threading.Lock()
        try:
            saved = store.get(STATE_KEY)
            self._state = (
                decode_pot_state(saved)
                if saved is not None
                else initialize_pot_state(PotSeed(genesis_seed), params.pot_slot_iterations)
            )
        except (DecodeError, StoreCorrupted) as error:
            raise corrupt_timekeeper_store(store, error) from error

    @property
    def state(self) -> PotChainState:
        return self._state

    def prove_next_slot(self) -> GossipProof | None:
        """Prove the next slot; None when a parameter change replaced its input meanwhile."""
        slot_input = self._state.next_slot_input
        proof = prove_slot(slot_input, self.backend)  # the GIL is released in the kernel
        with self._lock:
            if self._state.next_slot_input != slot_input:
                return None
            new_state = apply_proof(self._state, proof, check_checkpoints=False).state
            self.store.put(STATE_KEY, encode_pot_state(new_state))
            self._state = new_state
        return proof

    def schedule_parameters_change(self, request: ScheduleParametersChangeRequest) -> ScheduleParametersChangeResponse:
        """Record a change durably; a change for a slot already proven is refused with the reason."""
        with self._lock:
            try:
                update = apply_parameters_change(self._state, request.change)
            except PotInputMismatch as error:
                return ScheduleParametersChangeResponse(accepted=False, reason=str(error))
            self.store.put(STATE_KEY, encode_pot_state(update.state))
            self._state = update.state
        return ScheduleParametersChangeResponse(accepted=True, reason="", outcome=update.outcome)


def corrupt_timekeeper_store(store: KVStore | Path, error: Exception) -> CorruptStore:
    """The CorruptStore of a timekeeper store (or its path) that cannot be loaded: an undecodable state, damaged
    RocksDB files, unreadable subscriber keys."""
    path = store if isinstance(store, Path) else getattr(store, "path", "the timekeeper's store")
    fix = (
        f"restore {path} from a backup; or delete {path} to restart proof-of-time from genesis: every slot is "
        "proven again from slot 1, so no new slot reaches the node until the timekeeper passes the chain's current "
        "slot (as long again as the chain has run so far), the subscriptions kept there are lost (launch the "
        "network again to subscribe the node), and a chain that scheduled a PoT parameters change will not follow "
        "the re-proven slots"
    )
    return CorruptStore("timekeeper state", path, describe_error(error), fix)


@dataclass(frozen=True, slots=True)
class TimekeeperConfig:
    data_dir: str
    params: Params
    genesis_seed: bytes
    backend: str = "auto"
    pin_cpu: int | None = None
    """Pin the proving thread to this CPU (a dedicated core); None leaves placement to the OS."""
    autostart: bool = True


class TimekeeperService:
    """The Ray-facing timekeeper: a proving thread, subscribers, status and a slot long-poll."""

    def __init__(
        self,
        config: TimekeeperConfig,
        links: Links,
        store: KVStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`links` turns a subscriber's name into the link slots are pushed to."""
        self.config = config
        self._store = store if store is not None else _open_store(Path(config.data_dir) / "timekeeper")
        self._clock = clock if clock is not None else MonotonicClock()
        try:
            self.timekeeper = Timekeeper(config.params, PotSeed(config.genesis_seed), self._store, config.backend)
            names = _subscriber_names(self._store)
            was_running = _get(self._store, RUNNING_KEY) is not None
        except CorruptStore:
            if store is None:
                self._store.close()  # release the lock: nothing was written
            raise
        self._resolver: Callable[[str], SlotSubscriber] = links.subscriber
        self._subscribers: dict[str, SlotSubscriber] = {}
        self._failures: dict[str, int] = {}
        self._slot_proven = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._proven = 0
        self._seconds_per_slot = 0.0
        self._last_error = ""
        for name in names:
            self._subscribers[name] = self._resolver(name)
        # Ray re-runs __init__ on restart: resume proving if we were proving before.
        if config.autostart or was_running:
            self.start()

    def ready(self) -> bool:
        return True

    def start(self) -> None:
        """Start proving (idempotent); remembered, so a restarted actor proves again."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._store.put(RUNNING_KEY, b"")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pot-prover", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the slot in progress and stop; its state is already on disk."""
        self._store.delete(RUNNING_KEY)
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._thread = None

    def shutdown(self) -> None:
        self.stop()
        self._store.close()

    def subscribe(self, name: str) -> None:
        """Deliver every future slot to the named subscriber; remembered across restarts."""
        self._store.put(SUBSCRIBER_PREFIX + name.encode(), b"")
        self._subscribers[name] = self._resolver(name)
        self._failures[name] = 0

    def unsubscribe(self, name: str) -> None:
        self._store.delete(SUBSCRIBER_PREFIX + name.encode())
        self._subscribers.pop(name, None)
        self._failures.pop(name, None)

    def schedule_parameters_change(self, request: ScheduleParametersChangeRequest) -> ScheduleParametersChangeResponse:
        return self.timekeeper.schedule_parameters_change(request)

    def proofs_after(self, slot: int, timeout: float = 0.0) -> list[GossipProof]:
        """Proofs still held for slots after `slot`, waiting up to `timeout` seconds for one (long-poll)."""
        with self._slot_proven:
            self._slot_proven.wait_for(lambda: self._newest_slot() > slot, timeout=timeout)
        return [proof for proof in self.timekeeper.state.recent_proofs if proof.slot > slot]

    def status(self) -> TimekeeperStatus:
        state = self.timekeeper.state
        last = state.last_proof
        rate = 1.0 / self._seconds_per_slot if self._seconds_per_slot > 0 else 0.0
        return TimekeeperStatus(
            next_slot=int(state.next_slot_input.slot),
            slot_iterations=int(state.next_slot_input.slot_iterations),
            last_output=last.output.hex() if last is not None else "",
            slots_proven_since_start=self._proven,
            slots_per_second=rate,
            iterations_per_second=rate * int(state.next_slot_input.slot_iterations),
            subscribers=len(self._subscribers),
            running=self._thread is not None and self._thread.is_alive(),
            backend=pot_kernel.best_backend() if self.config.backend == "auto" else self.config.backend,
            last_error=self._last_error,
        )

    def _newest_slot(self) -> int:
        last = self.timekeeper.state.last_proof
        return int(last.slot) if last is not None else 0

    def _run(self) -> None:
        if self.config.pin_cpu is not None:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, {self.config.pin_cpu})
        # After a restart, the pushes of the last slots may have died with the old process (they are fire and
        # forget): each proving run starts by sending every recent proof again, oldest first. A repeat is
        # NO_CHANGE for a subscriber; a gap ("slot 12 arrived before slot 11") would not be.
        for recent in self.timekeeper.state.recent_proofs:
            self._publish(SlotNotification(recent))
        while not self._stop.is_set():
            started = self._clock.monotonic()
            proof = self.timekeeper.prove_next_slot()
            if proof is None:
                continue
            self._record_rate(self._clock.monotonic() - started)
            with self._slot_proven:
                self._slot_proven.notify_all()
            self._publish(SlotNotification(proof))

    def _record_rate(self, seconds: float) -> None:
        self._proven += 1
        if self._seconds_per_slot == 0.0:
            self._seconds_per_slot = seconds
        else:
            self._seconds_per_slot += RATE_SMOOTHING * (seconds - self._seconds_per_slot)

    def _publish(self, notification: SlotNotification) -> None:
        for name, subscriber in list(self._subscribers.items()):
            failures = self._failures.get(name, 0)
            # After k failures in a row, try every min(2^k, MAX_RETRY_INTERVAL_SLOTS) slots.
            if failures > 0 and int(notification.proof.slot) % min(2**failures, MAX_RETRY_INTERVAL_SLOTS) != 0:
                continue
            try:
                subscriber.on_slot(notification)
                self._failures[name] = 0
            except Exception as error:  # noqa: BLE001 - a failing subscriber must not stop the clock
                self._last_error = f"subscriber {name}: {error}"
                self._failures[name] = failures + 1


def _open_store(path: Path) -> RocksKVStore:
    try:
        return RocksKVStore(path)
    except StoreCorrupted as error:
        raise corrupt_timekeeper_store(path, error) from error


def _get(store: KVStore, key: bytes) -> bytes | None:
    try:
        return store.get(key)
    except StoreCorrupted as error:
        raise corrupt_timekeeper_store(store, error) from error


def _subscriber_names(store: KVStore) -> list[str]:
    """The subscribers remembered in the store; CorruptStore when their keys cannot be read."""
    try:
        return [key[len(SUBSCRIBER_PREFIX) :].decode() for key, _ in store.items_with_prefix(SUBSCRIBER_PREFIX)]
    except (StoreCorrupted, UnicodeDecodeError) as error:
        raise corrupt_timekeeper_store(store, error) from error
