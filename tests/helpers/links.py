"""actors.links.Links over in-process objects, for unit tests: every link of a name is the object it resolves to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from autonomys.actors.farming.metrics import FarmMetrics


class LocalLinks:
    """Links whose every kind resolves a name through `roles` (a mapping, or a function of the name)."""

    def __init__(self, roles: Mapping[str, Any] | Callable[[str], Any] | None = None) -> None:
        self.roles = roles if roles is not None else {}

    def _resolve(self, name: str) -> Any:
        return self.roles(name) if callable(self.roles) else self.roles[name]

    def subscriber(self, name: str) -> Any:
        return self._resolve(name)

    def timekeeper(self, name: str) -> Any:
        return self._resolve(name)

    def archiver(self, name: str) -> Any:
        return self._resolve(name)

    def node(self, name: str) -> Any:
        return self._resolve(name)

    def farmer(self, name: str) -> Any:
        return self._resolve(name)

    def cache_peer(self, name: str) -> Any:
        return self._resolve(name)

    def farm_metrics(self, farm_id: str) -> FarmMetrics:
        return FarmMetrics()

    def domain_node(self, name: str) -> Any:
        return self._resolve(name)

    def domain_state(self, name: str) -> Any:
        return self._resolve(name)

    def agent(self, name: str) -> Any:
        return self._resolve(name)
