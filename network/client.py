"""A running network as its clients see it: one client per role, by role name (the one role table).

network.compose.start_network returns one; `Network.attach` finds the roles of a running deployment by name
(the CLI's status, put/get). Farmers are `farmer-<i>`, cache peers `cache-…`, the rest have fixed names.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from autonomys.actors.handles import (
    AgentRegistryClient,
    ArchiverClient,
    CachePeerClient,
    FarmerClient,
    NodeClient,
    OperatorClient,
    TimekeeperClient,
    get_actor,
)
from autonomys.actors.messages import TimekeeperStatus
from autonomys.network.domains import OPERATOR_PREFIX
from autonomys.network.farms import FARMER_PREFIX
from autonomys.network.genesis import GenesisConfig
from autonomys.network.spec import ARCHIVER_NAME, CACHE_PREFIX, NODE_NAME, TIMEKEEPER_NAME

FARMER_NAME = re.compile(rf"{re.escape(FARMER_PREFIX)}(\d+)")
STOP_TIMEOUT = 120.0


class RoleMissing(Exception):
    """The deployment runs no such role (not bootstrapped, or another namespace)."""


@dataclass
class Network:
    """Clients of a network's running roles (see the module docstring)."""

    timekeeper: TimekeeperClient
    archiver: ArchiverClient | None
    node: NodeClient | None
    farmers: dict[str, FarmerClient] = field(default_factory=dict)
    """By name, in farm order."""
    caches: dict[str, CachePeerClient] = field(default_factory=dict)
    genesis: GenesisConfig | None = None
    """The genesis as fixed when the network first started (known to the process that started it)."""
    operators: dict[str, OperatorClient] = field(default_factory=dict)
    """Domain operators by name (`operator-<domain>-<operator>`)."""
    agent_registry: AgentRegistryClient | None = None
    """The agent registry, when the network has an Auto ID domain (held here: an actor lives while its creator
    holds it, unless detached)."""

    @classmethod
    def attach(cls, namespace: str, running: set[str]) -> Network:
        """Clients of the roles running in `namespace` (`running`: its named actors); RoleMissing without a
        timekeeper."""
        if TIMEKEEPER_NAME not in running:
            found = ", ".join(sorted(running)) or "none"
            msg = f"no {TIMEKEEPER_NAME!r} actor in namespace {namespace!r} (named actors there: {found}); run the bootstrap job"
            raise RoleMissing(msg)
        farmers = sorted((name for name in running if FARMER_NAME.fullmatch(name)), key=farmer_index)
        caches = sorted(name for name in running if name.startswith(CACHE_PREFIX))
        operators = sorted(name for name in running if name.startswith(OPERATOR_PREFIX))
        return cls(
            TimekeeperClient(get_actor(TIMEKEEPER_NAME, namespace)),
            ArchiverClient(get_actor(ARCHIVER_NAME, namespace)) if ARCHIVER_NAME in running else None,
            NodeClient(get_actor(NODE_NAME, namespace)) if NODE_NAME in running else None,
            {name: FarmerClient(get_actor(name, namespace)) for name in farmers},
            {name: CachePeerClient(get_actor(name, namespace)) for name in caches},
            operators={name: OperatorClient(get_actor(name, namespace)) for name in operators},
        )

    def stop(self) -> TimekeeperStatus:
        """Stop slots first, then every role (each store is already durable); returns the final PoT status."""
        self.timekeeper.stop(timeout=STOP_TIMEOUT)
        final = self.timekeeper.status()
        roles: list[FarmerClient | CachePeerClient | NodeClient | OperatorClient | AgentRegistryClient] = [
            *self.operators.values()
        ]
        roles += [self.agent_registry] if self.agent_registry is not None else []
        roles += [*self.farmers.values(), *self.caches.values()]
        roles += [self.node] if self.node is not None else []
        for role in roles:
            with contextlib.suppress(Exception):
                role.shutdown(timeout=STOP_TIMEOUT)
        self.timekeeper.shutdown(timeout=STOP_TIMEOUT)
        if self.archiver is not None:
            self.archiver.shutdown(timeout=STOP_TIMEOUT)
        return final


def farmer_index(name: str) -> int:
    """The farm index of `farmer-<i>` (-1 for any other name)."""
    match = FARMER_NAME.fullmatch(name)
    return int(match.group(1)) if match is not None else -1
