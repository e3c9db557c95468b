"""Typed messages between roles, grouped by the role that produces them. Each is frozen (or an alias of frozen
protocol values); a request pairs with its response type.

Kinds: broadcast (pushed to every subscriber, no reply), request and response (one reply to one call), stream
(a long-poll a caller repeats to follow a sequence: slots, solutions). Calls whose arguments or results are one
plain value (a piece index, a name, piece bytes) pass that value itself, typed in actors.handles.
Ownership: the Timekeeper is the only producer of SlotNotification; the Archiver the only producer of
SegmentHeaderNotification; a Farmer the only producer of its FarmerSolutions. Subscribers never reply to a
broadcast. The node's own status record (NodeStatus) lives with the node (actors.consensus.node_service).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.domains.view import DomainView
from autonomys.protocol.objects.mappings import GlobalObject
from autonomys.protocol.timekeeper.pot import GossipProof, PotParametersChange
from autonomys.protocol.timekeeper.pot_state import PotUpdateOutcome

# ---- timekeeper ----


@dataclass(frozen=True, slots=True)
class SlotNotification:
    """broadcast: a newly proven slot (slot, seed, iterations, checkpoints) from the timekeeper.

    stream: `proofs_after(slot, wait)` returns the GossipProofs of the slots after `slot` (a subscriber fills a gap)."""

    proof: GossipProof


@dataclass(frozen=True, slots=True)
class ScheduleParametersChangeRequest:
    """request: inject entropy / change iterations at `change.slot` (sent by the node)."""

    change: PotParametersChange


@dataclass(frozen=True, slots=True)
class ScheduleParametersChangeResponse:
    """response to ScheduleParametersChangeRequest."""

    accepted: bool
    reason: str
    """Why the change was refused; empty when accepted."""
    outcome: PotUpdateOutcome | None = None
    """What accepting it did to the PoT chain (NO_CHANGE or REORG of the next slot's input); None when refused."""


@dataclass(frozen=True, slots=True)
class TimekeeperStatus:
    """response to `status()`: what `autonomys status` and the devnet view show."""

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


# ---- archiving ----


@dataclass(frozen=True, slots=True)
class SegmentHeaderNotification:
    """broadcast (archiver → subscribers: farmers, cache peers): a newly archived segment's header. A wake-up only:
    a subscriber pulls the headers it lacks by index (`segment_headers(first)`, a list[SegmentHeader] response)."""

    header: SegmentHeader


# ---- farming ----


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
    """broadcast (farmer → whoever subscribed): a proven solution for `slot`; `solution` is its SCALE bytes.

    stream: `solutions_after(slot, wait)` returns the solutions a farmer keeps for the slots after `slot`."""

    slot: int
    farm_id: str
    solution: bytes
    distance: int
    is_vote: bool
    """True when the chunk is within the voting range but outside the block range."""


@dataclass(frozen=True, slots=True)
class CorruptSector:
    """Part of FarmerStatus: a sector the farmer stopped auditing, and why."""

    sector_index: int
    reason: str


@dataclass(frozen=True, slots=True)
class FarmerStatus:
    """response to `status()`: one farm's farming metrics (`autonomys farm summary`, the devnet view, and
    `farmer-status.json` in the farm)."""

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


# ---- consensus ----


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """response: a node's chain and counters (what `autonomys status` and the devnet view show)."""

    name: str
    best_number: int
    best_hash: str
    best_slot: int
    current_slot: int
    solution_range: int
    history_size: int
    total_issuance: int
    blocks_imported: int
    blocks_authored: int
    blocks_rejected: int
    reorgs: int
    authored_by_farm: dict[str, int] = field(default_factory=dict)
    last_error: str = ""


# ---- dsn ----

PeerContact: TypeAlias = tuple[str, bytes]
"""response item of `find_closest(kademlia_key, count)`: a peer's actor name and its PeerId bytes."""


@dataclass(frozen=True, slots=True)
class CachePeerStatus:
    """response to a cache peer's `status()`."""

    name: str
    peer_id: str
    """Hex of the PeerId bytes."""
    capacity: int
    stored: int
    wanted: int
    segments_known: int
    synced: float
    """Fraction of the wanted pieces that are stored (1.0 when nothing is wanted)."""
    failed: int
    """Piece fetches that found no piece or an invalid one, since start."""
    served: int
    """Pieces handed out by get_piece, since start."""
    routing_table_size: int


@dataclass(frozen=True, slots=True)
class JoinReport:
    """response to a cache peer's `join()`: how joining the DSN through its bootstrap peers went."""

    reached: tuple[str, ...]
    """Bootstrap peers that answered."""
    unreachable: tuple[str, ...]
    """Bootstrap peers (and lookup peers) that failed; skipped."""
    routing_table_size: int


# ---- objects ----

ObjectLocation: TypeAlias = GlobalObject | bytes | None
"""response to a node's `object_location(object_hash)`: where data stored under that hash is. The archiver's
mapping once its segment is archived (read the pieces it names), the bytes themselves while their block is not
wholly archived, None when unknown (or only pooled). The archiver's `object_mapping` answers GlobalObject | None."""


# ---- domains ----


@dataclass(frozen=True, slots=True)
class DomainTick:
    """response: what an operator polls its node for — the best block, the slots proven after the operator's last
    one (with their PoT outputs, newest last), and the domain as the best state has it."""

    best_number: int
    best_hash: bytes
    slots: tuple[tuple[int, bytes], ...]
    view: DomainView


@dataclass(frozen=True, slots=True)
class DomainBlockInput:
    """response: a canonical consensus block an operator derives domain blocks from, with the consensus
    transaction byte fee of its state (the domain's storage fee follows it)."""

    number: int
    block: bytes
    transaction_byte_fee: int


@dataclass(frozen=True, slots=True)
class BundleSubmission:
    """response: a bundle offered to a node's pool: its hash when pooled, else the rule it broke (a rejection is an
    answer, not an error: operators race the chain, and a receipt made stale by the block just imported is common)."""

    bundle_hash: bytes | None
    rejection: str = ""


@dataclass(frozen=True, slots=True)
class OperatorStatus:
    """response: an operator's progress (`autonomys domain status`, the devnet view)."""

    name: str
    domain_id: int
    operator_id: int
    consensus_number: int
    """The last consensus block the operator derived from."""
    domain_number: int
    """Its best domain block."""
    stake: int
    bundles_submitted: int
    bundles_rejected: int
    pooled_transactions: int
    last_bundle_slot: int | None
    last_error: str
    receipts_submitted: int = 0
    """Singleton receipts (submitted while the domain has more blocks than receipts)."""
    fraud_proofs_submitted: int = 0
    last_fraud_proof: str = ""
    fraud_proven_in: tuple[tuple[int, int], ...] = ()
    """For each of its proofs the chain accepted: (blocks, slots) from the bad receipt's block to the proof's."""
    fault: str = ""
    """A faulty operator's kind (empty: honest)."""
    lies_submitted: int = 0
