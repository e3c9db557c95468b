"""Typed messages between roles. Each is frozen; requests pair with a response type.

Kinds: broadcast (pushed to every subscriber, no reply) and request (one reply).
Ownership: the Timekeeper is the only producer of SlotNotification; subscribers never reply to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from autonomys.protocol.timekeeper.pot import GossipProof, PotParametersChange


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


@dataclass(frozen=True, slots=True)
class FarmingSlot:
    """broadcast: a slot to farm, with the ranges the chain sets (the node sends it; or the farmer derives it
    from a SlotNotification with its configured ranges). A solution within `solution_range` may author a block;
    one within `voting_solution_range` only votes."""

    slot: int
    proof_of_time: bytes
    solution_range: int
    voting_solution_range: int


@dataclass(frozen=True, slots=True)
class FarmerSolution:
    """broadcast (farmer → whoever subscribed): a proven solution for `slot`; `solution` is its SCALE bytes."""

    slot: int
    farm_id: str
    solution: bytes
    distance: int
    is_vote: bool
    """True when the chunk is within the voting range but outside the block range."""


@dataclass(frozen=True, slots=True)
class CorruptSector:
    sector_index: int
    reason: str


@dataclass(frozen=True, slots=True)
class FarmerStatus:
    """request/response: one farm's farming metrics (`autonomys farm summary`, the devnet view)."""

    farm_id: str
    path: str
    public_key: str
    max_sectors: int
    sectors_plotted: int
    sectors_about_to_expire: int
    sectors_expired: int
    history_size: int
    slots_audited: int
    slots_skipped: int
    last_audit_seconds: float
    mean_audit_seconds: float
    candidates_found: int
    proofs_succeeded: int
    proofs_failed: int
    proofs_timed_out: int
    mean_proving_seconds: float
    last_proving_seconds: float
    solutions_submitted: int
    corrupt_sectors: tuple[CorruptSector, ...]
    last_error: str
    plotting: str = ""
    """The farm's own plotting: "sector 1: encoding 12/32", "idle (2/2 plotted)", "error: …"; empty when it does not plot."""
    pieces_plotted: int = 0
    """Plotted sectors × pieces per sector."""
