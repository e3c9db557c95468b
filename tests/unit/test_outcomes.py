"""Outcomes and stages are enums; the strings they show as (metric tags, farmer-status.json, CLI lines) are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from autonomys.actors.dsn.piece_getter import GetterStats, PieceTier
from autonomys.actors.farming.farm_check import CheckStage
from autonomys.actors.farming.farmer import STATUS_FILE, write_status_file
from autonomys.actors.farming.metrics import FarmMetrics, ProofOutcome, SectorState
from autonomys.actors.messages import CorruptSector, FarmerStatus
from autonomys.actors.plotting.plotter import PlottingStage

STATUS_KEYS = [
    "farm_id", "path", "public_key", "max_sectors", "sectors_plotted", "sectors_about_to_expire", "sectors_expired",
    "history_size", "slots_audited", "slots_skipped", "last_audit_seconds", "mean_audit_seconds", "candidates_found",
    "proofs_succeeded", "proofs_failed", "proofs_timed_out", "mean_proving_seconds", "last_proving_seconds",
    "solutions_submitted", "corrupt_sectors", "last_error", "plotting", "pieces_plotted", "updated_at",
]  # fmt: skip
"""The keys of farmer-status.json, in order (`autonomys farm summary` and other tools read them)."""


def test_the_values_shown_outside_are_the_strings_they_always_were() -> None:
    # Prometheus tags: autonomys_farm_proofs_total{outcome}, autonomys_farm_sectors{state}.
    assert [outcome.value for outcome in ProofOutcome] == ["succeeded", "unencoded", "failed", "timed_out"]
    assert [state.value for state in SectorState] == ["plotted", "about_to_expire", "expired"]
    # Plotting progress in the farmer's status and `autonomys plot`, check stages in `plots check`.
    assert list(PlottingStage) == ["downloading", "downloaded", "encoding", "encoded", "writing", "written"]
    assert f"sector 1: {PlottingStage.ENCODING} 12/32" == "sector 1: encoding 12/32"
    assert [f"{stage}" for stage in CheckStage] == ["checksum", "proving"]
    # Benchmarks index the getter's statistics by tier name.
    stats = GetterStats()
    stats.by_tier[PieceTier.L2] += 2
    assert stats.by_tier["l2"] == 2 and list(stats.by_tier) == ["local", "l2", "node", "plots", "farmers", "archive", "reconstruction"]


def test_only_proofs_that_ran_the_prover_count_towards_proving_times() -> None:
    metrics = FarmMetrics()
    metrics.record_proof(ProofOutcome.SUCCEEDED, 2.0)
    metrics.record_proof(ProofOutcome.FAILED, 4.0)
    metrics.record_proof(ProofOutcome.UNENCODED)
    metrics.record_proof(ProofOutcome.TIMED_OUT)
    assert metrics.proofs == dict.fromkeys(ProofOutcome, 1)
    assert metrics.mean_proving_seconds == 3.0 and metrics.last_proving_seconds == 4.0
    assert [outcome for outcome in ProofOutcome if outcome.is_timed] == [ProofOutcome.SUCCEEDED, ProofOutcome.FAILED]


def test_the_farmer_status_file_keeps_its_json(tmp_path: Path) -> None:
    status = FarmerStatus(
        farm_id="farm-0", path=str(tmp_path), public_key="ab" * 32, max_sectors=2, sectors_plotted=2,
        sectors_about_to_expire=0, sectors_expired=0, history_size=3, slots_audited=5, slots_skipped=1,
        last_audit_seconds=0.01, mean_audit_seconds=0.02, candidates_found=4, proofs_succeeded=3, proofs_failed=1,
        proofs_timed_out=0, mean_proving_seconds=1.5, last_proving_seconds=1.0, solutions_submitted=3,
        corrupt_sectors=(CorruptSector(1, "audit read failed"),), last_error="",
        plotting=f"sector 1: {PlottingStage.ENCODING} 12/32", pieces_plotted=16,
    )  # fmt: skip
    write_status_file(tmp_path, status)
    written = json.loads((tmp_path / STATUS_FILE).read_text())
    assert list(written) == STATUS_KEYS
    assert written["plotting"] == "sector 1: encoding 12/32"
    assert written["corrupt_sectors"] == [{"sector_index": 1, "reason": "audit read failed"}]
