"""What NodeService's event thread handles: one frozen record per kind of input, queued by whichever thread
received it (a Ray call, the thread itself) and handled in order by the event thread."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

from autonomys.actors.messages import FarmerSolution


@dataclass(frozen=True, slots=True)
class SlotArrived:
    """A slot's PoT output from the timekeeper."""

    slot: int
    output: bytes


@dataclass(frozen=True, slots=True)
class SolutionFound:
    """A farmer's solution (a block solution or a vote)."""

    solution: FarmerSolution


@dataclass(frozen=True, slots=True)
class BlockReceived:
    """An encoded block gossiped by a peer."""

    block: bytes


@dataclass(frozen=True, slots=True)
class PeersChanged:
    """Gossip to these peers from now on (a partition is none), and sync their best chains."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AncestryWanted:
    """An orphan's parent this node lacks: fetch its ancestry from peers."""

    missing: bytes


class ResumeReason(enum.Enum):
    START = "start"
    """The service started: subscribe, learn missed slots, take farmers' solutions."""
    SILENCE = "silence"
    """No slot for slot_silence_seconds: subscribe again, learn missed slots."""
    CATCH_UP = "catch_up"
    """A gap in the slots pushed: learn the missed ones (subscribing only if not subscribed)."""


@dataclass(frozen=True, slots=True)
class Resume:
    """Subscribe to the timekeeper (again) and learn the slots missed after `since` (None: the newest known)."""

    reason: ResumeReason
    since: int | None = None


NodeEvent: TypeAlias = SlotArrived | SolutionFound | BlockReceived | PeersChanged | AncestryWanted | Resume
