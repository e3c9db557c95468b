"""Farming metrics: plain counters every farmer keeps (what `status()` and `autonomys farm summary` read).

Inside Ray, actors.handles.RayFarmMetrics mirrors each update into ray.util.metrics, tagged by farm, so a
cluster's Prometheus endpoint shows every plot shard.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field


class ProofOutcome(enum.StrEnum):
    """What proving one audit candidate came to (the `outcome` tag of autonomys_farm_proofs_total)."""

    SUCCEEDED = "succeeded"
    """A solution was proven and submitted."""
    UNENCODED = "unencoded"
    """The candidate's chunk is not encoded in its record: it cannot win (not timed)."""
    FAILED = "failed"
    """Proving raised (a corrupt sector, a read error)."""
    TIMED_OUT = "timed_out"
    """The slot's farming deadline passed before the candidate's turn (not timed)."""

    @property
    def is_timed(self) -> bool:
        """Whether the attempt ran the prover (its seconds count towards the proving times)."""
        return self in (ProofOutcome.SUCCEEDED, ProofOutcome.FAILED)


class SectorState(enum.StrEnum):
    """The expiry state of a plotted sector (the `state` tag of autonomys_farm_sectors)."""

    PLOTTED = "plotted"
    ABOUT_TO_EXPIRE = "about_to_expire"
    """Expires when the next segment lands."""
    EXPIRED = "expired"


@dataclass
class FarmMetrics:
    """Counters and timings of one farm (updated from the audit and proving threads under a lock)."""

    slots_audited: int = 0
    slots_skipped: int = 0
    last_audit_seconds: float = 0.0
    total_audit_seconds: float = 0.0
    candidates_found: int = 0
    proofs: dict[ProofOutcome, int] = field(default_factory=lambda: dict.fromkeys(ProofOutcome, 0))
    last_proving_seconds: float = 0.0
    total_proving_seconds: float = 0.0
    solutions_submitted: int = 0
    sector_states: dict[SectorState, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def mean_audit_seconds(self) -> float:
        return self.total_audit_seconds / self.slots_audited if self.slots_audited else 0.0

    @property
    def mean_proving_seconds(self) -> float:
        attempts = self.proofs[ProofOutcome.SUCCEEDED] + self.proofs[ProofOutcome.FAILED]
        return self.total_proving_seconds / attempts if attempts else 0.0

    def record_audit(self, seconds: float, candidates: int) -> None:
        with self._lock:
            self.slots_audited += 1
            self.last_audit_seconds = seconds
            self.total_audit_seconds += seconds
            self.candidates_found += candidates

    def record_skip(self) -> None:
        with self._lock:
            self.slots_skipped += 1

    def record_proof(self, outcome: ProofOutcome, seconds: float = 0.0) -> None:
        with self._lock:
            self.proofs[outcome] += 1
            if outcome.is_timed:
                self.last_proving_seconds = seconds
                self.total_proving_seconds += seconds

    def record_submitted(self) -> None:
        with self._lock:
            self.solutions_submitted += 1

    def record_sector_states(self, states: dict[SectorState, int]) -> None:
        with self._lock:
            self.sector_states = dict(states)
