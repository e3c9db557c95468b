"""Farming metrics: plain counters every farmer keeps, exported through Ray's metrics (Prometheus) when in Ray.

`FarmMetrics` is what `status()` and `autonomys farm summary` read. `RayFarmMetrics` mirrors each update
into ray.util.metrics, tagged by farm, so a cluster's Prometheus endpoint shows every plot shard.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

PROOF_OUTCOMES = ("succeeded", "unencoded", "failed", "timed_out")


@dataclass
class FarmMetrics:
    """Counters and timings of one farm (updated from the audit and proving threads under a lock)."""

    slots_audited: int = 0
    slots_skipped: int = 0
    last_audit_seconds: float = 0.0
    total_audit_seconds: float = 0.0
    candidates_found: int = 0
    proofs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PROOF_OUTCOMES, 0))
    last_proving_seconds: float = 0.0
    total_proving_seconds: float = 0.0
    solutions_submitted: int = 0
    sector_states: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def mean_audit_seconds(self) -> float:
        return self.total_audit_seconds / self.slots_audited if self.slots_audited else 0.0

    @property
    def mean_proving_seconds(self) -> float:
        attempts = self.proofs["succeeded"] + self.proofs["failed"]
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

    def record_proof(self, outcome: str, seconds: float = 0.0) -> None:
        with self._lock:
            self.proofs[outcome] += 1
            if outcome in ("succeeded", "failed"):
                self.last_proving_seconds = seconds
                self.total_proving_seconds += seconds

    def record_submitted(self) -> None:
        with self._lock:
            self.solutions_submitted += 1

    def record_sector_states(self, states: dict[str, int]) -> None:
        with self._lock:
            self.sector_states = dict(states)


class RayFarmMetrics(FarmMetrics):
    """FarmMetrics that also reports to Ray's metrics agent (scraped by Prometheus), tagged with the farm id."""

    def __init__(self, farm_id: str) -> None:
        super().__init__()
        from ray.util import metrics  # imported here: unit tests and CLI reads run without Ray

        tags = {"farm": farm_id}
        keys = ("farm",)
        self._audit = metrics.Histogram(
            "autonomys_farm_audit_seconds", "Time to audit every sector for one slot", [0.01, 0.05, 0.1, 0.25, 0.5, 1.0], keys
        )
        self._proving = metrics.Histogram(
            "autonomys_farm_proving_seconds", "Time to prove one candidate", [0.25, 0.5, 1.0, 2.0, 4.0, 8.0], keys
        )
        self._proofs = metrics.Counter("autonomys_farm_proofs_total", "Proof attempts by outcome", ("farm", "outcome"))
        self._skipped = metrics.Counter("autonomys_farm_skipped_slots_total", "Slots not audited in time", keys)
        self._sectors = metrics.Gauge("autonomys_farm_sectors", "Sectors by state", ("farm", "state"))
        for metric in (self._audit, self._proving, self._proofs, self._skipped, self._sectors):
            metric.set_default_tags(tags)

    def record_audit(self, seconds: float, candidates: int) -> None:
        super().record_audit(seconds, candidates)
        self._audit.observe(seconds)

    def record_skip(self) -> None:
        super().record_skip()
        self._skipped.inc()

    def record_proof(self, outcome: str, seconds: float = 0.0) -> None:
        super().record_proof(outcome, seconds)
        self._proofs.inc(tags={"outcome": outcome})
        if outcome in ("succeeded", "failed"):
            self._proving.observe(seconds)

    def record_sector_states(self, states: dict[str, int]) -> None:
        super().record_sector_states(states)
        for state, count in states.items():
            self._sectors.set(count, tags={"state": state})


def farm_metrics(farm_id: str) -> FarmMetrics:
    """RayFarmMetrics inside a Ray worker, plain FarmMetrics elsewhere."""
    try:
        import ray
    except ImportError:
        return FarmMetrics()
    return RayFarmMetrics(farm_id) if ray.is_initialized() else FarmMetrics()
