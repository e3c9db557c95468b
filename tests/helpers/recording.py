"""A test-only slot subscriber actor class (importable by Ray workers through PYTHONPATH)."""

from __future__ import annotations

from autonomys.actors.messages import SlotNotification
from autonomys.actors.timekeeper.verifier import PotVerifier
from autonomys.protocol.errors import ProtocolError
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.timekeeper.pot import PotParametersChange, PotSeed

# About 15 ms per slot here: fast, yet slower than delivery.
PARAMS = MINIMAL.with_slot_iterations(1_600_000)
GENESIS = PotSeed(bytes([42]) * 16)


class RecordingSubscriber:
    """A role that verifies each slot before recording it (test-only actor)."""

    def __init__(self, genesis: PotSeed = GENESIS, slot_iterations: int = PARAMS.pot_slot_iterations) -> None:
        self.verifier = PotVerifier(genesis, slot_iterations, anchor_on_first=False)
        self.proofs: list = []
        self.outcomes: list[str] = []
        self.errors: list[str] = []

    def on_slot(self, notification: SlotNotification) -> None:
        try:
            outcome = self.verifier.on_slot(notification)
            self.outcomes.append(outcome.value)
            if outcome.value == "extension":
                self.proofs.append(notification.proof)
        except ProtocolError as error:
            self.errors.append(f"{type(error).__name__}: {error}")

    def learn_parameters_change(self, change: PotParametersChange) -> None:
        self.verifier.on_parameters_change(change)

    def report(self) -> tuple[list, list[str], list[str]]:
        return self.proofs, self.outcomes, self.errors


class HeaderRecorder:
    """A test-only segment header subscriber actor."""

    def __init__(self) -> None:
        self.headers: list = []

    def on_segment_header(self, notification) -> None:  # noqa: ANN001
        self.headers.append(notification.header)

    def report(self) -> list:
        return self.headers
