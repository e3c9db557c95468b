"""Typed calls to the proof-of-training roles (actors.ai.training) running as Ray actors.

They go through `actors.handles.remote` and `result`, so this module needs no Ray import of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autonomys.actors.handles import ActorClient, remote, result

if TYPE_CHECKING:
    from autonomys.actors.ai.training import (  # noqa: F401 - named in strings
        TrainingChallenger,
        TrainingProvider,
        TrainingValidator,
    )

TRAINING_TIMEOUT = 300.0
"""A training role's call waits for domain blocks (and a provider's for its training)."""


class TrainingProviderClient(ActorClient["TrainingProvider"]):
    """Typed calls to a proof-of-training provider (actors.ai.training)."""

    def train(self, order_id: bytes, timeout: float = TRAINING_TIMEOUT) -> bytes:
        return result(remote(self._actor.train).remote(order_id), timeout)

    def claim(self, order_id: bytes, timeout: float = TRAINING_TIMEOUT) -> bytes:
        return result(remote(self._actor.claim).remote(order_id), timeout)

    def reveal(self, order_id: bytes, timeout: float = TRAINING_TIMEOUT) -> bytes:
        return result(remote(self._actor.reveal).remote(order_id), timeout)


class TrainingValidatorClient(ActorClient["TrainingValidator"]):
    def validate(self, order_id: bytes, timeout: float = TRAINING_TIMEOUT) -> tuple[int, ...]:
        return result(remote(self._actor.validate).remote(order_id), timeout)


class TrainingChallengerClient(ActorClient["TrainingChallenger"]):
    def check(self, order_id: bytes, timeout: float = TRAINING_TIMEOUT) -> list[tuple[bytes, bytes]]:
        return result(remote(self._actor.check).remote(order_id), timeout)
