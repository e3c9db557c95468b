"""The agent registry as a role (the seed's "agent registry actor"): `AgentRegistry` over RocksDB under the data
directory (`agent-registry/`), checking identities against the Auto ID domain's state as an operator of that domain
serves it (`read`, cached for the length of one call); invocation goes to the agent's own actor (`ray://NAME`
endpoints) with the ticket the registry issued. `DemoAgent` is an agent role for demonstrations and tests: it
answers what it was asked, and says who asked.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from autonomys.actors.identity.agent_registry import AgentRegistry, AgentRegistryError
from autonomys.actors.storage import RocksKVStore
from autonomys.protocol.identity.agent_services import (
    AgentListing,
    CallerCredential,
    InvocationTicket,
    ServiceDescription,
    ServiceRecord,
)
from autonomys.protocol.identity.reputation import Feedback, ScoreSummary

RAY_ENDPOINT = "ray://"


class DomainStateLink(Protocol):
    """An operator of the Auto ID domain, as the registry reads it."""

    def read(self, key: bytes) -> bytes | None: ...


class AgentLink(Protocol):
    def handle(self, request: bytes, caller_id: bytes) -> bytes: ...


class RegistryLinks(Protocol):
    def domain_state(self, name: str) -> DomainStateLink: ...

    def agent(self, name: str) -> AgentLink: ...


@dataclass(frozen=True, slots=True)
class AgentRegistryConfig:
    data_dir: str
    operator: str
    """An operator actor of the Auto ID domain (its best state is the identity view)."""


class _CallView:
    """The domain state, each key read once per registry call (a call walks issuer chains, lists, grants)."""

    def __init__(self, link: DomainStateLink) -> None:
        self.link = link
        self.cache: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        if key not in self.cache:
            value = self.link.read(key)
            self.cache[key] = None if value is None else bytes(value)
        return self.cache[key]


@dataclass(frozen=True, slots=True)
class InvocationResult:
    ticket: InvocationTicket
    response: bytes


class AgentRegistryService:
    """See the module docstring. Calls are serialized (the registry is not re-entrant)."""

    def __init__(self, config: AgentRegistryConfig, links: RegistryLinks) -> None:
        self.config = config
        self.links = links
        self._view = _CallView(links.domain_state(config.operator))
        self._store = RocksKVStore(Path(config.data_dir) / "agent-registry")
        self._registry = AgentRegistry(self._store, self._view, lambda: time.time_ns() // 1_000_000)
        self._lock = threading.Lock()

    def _fresh(self) -> AgentRegistry:
        self._view.cache.clear()
        return self._registry

    def ready(self) -> bool:
        return True

    def next_version(self, agent_id: bytes) -> int:
        with self._lock:
            return self._fresh().next_version(bytes(agent_id))

    def register(self, agent_id: bytes, service: ServiceDescription, algorithm: bytes, signature: bytes) -> int:
        with self._lock:
            return self._fresh().register(bytes(agent_id), service, bytes(algorithm), bytes(signature))

    def get_service(self, agent_id: bytes) -> ServiceRecord | None:
        with self._lock:
            return self._fresh().get_service(bytes(agent_id))

    def find(self, capability: str, min_score: int | None = None, limit: int = 20) -> list[AgentListing]:
        with self._lock:
            return self._fresh().find(capability, min_score=min_score, limit=limit)

    def invoke(
        self, agent_id: bytes, caller_id: bytes, credential: CallerCredential, request: bytes
    ) -> InvocationResult:
        """Check the caller against the agent's policy, then call the agent's actor with the request."""
        with self._lock:
            ticket = self._fresh().invoke(bytes(agent_id), bytes(caller_id), credential, bytes(request))
        if not ticket.endpoint.startswith(RAY_ENDPOINT):
            raise AgentRegistryError("UnreachableEndpoint", f"{ticket.endpoint!r} is not a ray:// agent")
        response = self.links.agent(ticket.endpoint.removeprefix(RAY_ENDPOINT)).handle(bytes(request), ticket.caller_id)
        return InvocationResult(ticket, bytes(response))

    def rate(self, feedback: Feedback) -> None:
        with self._lock:
            self._fresh().rate(feedback)

    def reputation(self, agent_id: bytes) -> ScoreSummary:
        with self._lock:
            return self._fresh().reputation(bytes(agent_id))

    def shutdown(self) -> None:
        with self._lock:
            self._store.close()


class DemoAgent:
    """An agent's actor for demonstrations: it answers every request with what it was asked and by whom."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.handled = 0

    def ready(self) -> bool:
        return True

    def shutdown(self) -> None:
        """Nothing to close."""

    def handle(self, request: bytes, caller_id: bytes) -> bytes:
        self.handled += 1
        return f"{self.name} handled {len(request)} bytes for {bytes(caller_id).hex()[:16]}…: ".encode() + bytes(request)
