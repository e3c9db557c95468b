"""The only module that talks to Ray handles: typed wrappers around actor calls.

Every blocking call takes a timeout (a request for resources nobody has hangs silently otherwise).
Tests replace these wrappers with plain objects that have the same methods.
"""

from __future__ import annotations

from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError

from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.messages import (
    ScheduleParametersChangeRequest,
    ScheduleParametersChangeResponse,
    SlotNotification,
    TimekeeperStatus,
)
from autonomys.protocol.pot import GossipProof

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


class ActorSlotSubscriber:
    """Pushes SlotNotifications to a named actor's `on_slot`, fire-and-forget and in order.

    The previous push is checked (without waiting) before the next: a dead subscriber raises
    ActorUnavailable, which the timekeeper counts. The handle is re-resolved after a failure.
    """

    def __init__(self, name: str, namespace: str | None = None) -> None:
        self.name = name
        self.namespace = namespace
        self._handle: Any = None
        self._pending: Any = None

    def on_slot(self, notification: SlotNotification) -> None:
        self._raise_if_previous_failed()
        if self._handle is None:
            self._handle = get_actor(self.name, self.namespace)
        self._pending = self._handle.on_slot.remote(notification)

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
