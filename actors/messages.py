"""Typed messages between roles. Each is frozen; requests pair with a response type.

Kinds: broadcast (pushed to every subscriber, no reply) and request (one reply).
Ownership: the Timekeeper is the only producer of SlotNotification; subscribers never reply to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from autonomys.protocol.pot import GossipProof, PotParametersChange


@dataclass(frozen=True, slots=True)
class SlotNotification:
    """broadcast: a newly proven slot (slot, seed, iterations, checkpoints) from the timekeeper."""

    proof: GossipProof


@dataclass(frozen=True, slots=True)
class ScheduleParametersChangeRequest:
    """request: inject entropy / change iterations at `change.slot` (sent by the node)."""

    change: PotParametersChange


@dataclass(frozen=True, slots=True)
class ScheduleParametersChangeResponse:
    accepted: bool
    reason: str


@dataclass(frozen=True, slots=True)
class TimekeeperStatus:
    """request/response: what `autonomys status` and the devnet view show."""

    next_slot: int
    slot_iterations: int
    last_output: str
    slots_proven_since_start: int
    slots_per_second: float
    iterations_per_second: float
    subscribers: int
    running: bool
    backend: str
    last_error: str
