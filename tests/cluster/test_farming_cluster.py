"""Farming on a real local Ray instance: a timekeeper drives two plot-shard actors over one plotted MINIMAL network.

The farms are audited every slot; solutions arrive at about the rate the solution range predicts and each
one verifies, with the piece checks against the archived segment commitments.
"""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import pytest

from autonomys.actors.farming.farmer import FarmerConfig
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.timekeeper.service import TimekeeperConfig
from autonomys.network.compose import create_farmer, create_timekeeper
from autonomys.network.spec import ClusterSpec
from autonomys.protocol.archiving.pieces import compute_piece_segment_index
from autonomys.protocol.farming.solution_range import compute_voting_solution_range
from autonomys.protocol.farming.solutions import Solution, compute_solution_piece_index, verify_solution
from autonomys.protocol.timekeeper.pot import PotSeed
from helpers.farms import encoded_chunks_per_s_bucket, plotted_farm
from helpers.history import archived_history
from helpers.recording import PARAMS
from helpers.waiting import wait_until

pytestmark = pytest.mark.cluster
TIMEOUT = 60
SECTORS_PER_FARM = 3
SLOTS = 60
# Expected chunks within the voting range per slot and farm: sectors × (encoded chunks per s-bucket) × range / 2^64.
TARGET_PER_SLOT = 0.5


def test_two_plot_shards_farm_timekeeper_slots(ray_session: str, tmp_path: Path) -> None:
    setup = KzgSetup(num_g1_powers=PARAMS.record_num_chunks, cache_dir=str(tmp_path / "kzg"))
    kzg = load_kzg(setup)
    history = archived_history(tmp_path / "archive", PARAMS, kzg, segments=2)
    farms = [plotted_farm(tmp_path / f"farm{i}", history, setup, SECTORS_PER_FARM, PARAMS) for i in range(2)]
    density = sum(encoded_chunks_per_s_bucket(path, PARAMS) for path in farms)
    voting_range = int(TARGET_PER_SLOT * len(farms) / density * 2**64)
    solution_range = voting_range // 10

    spec = ClusterSpec(namespace=ray_session)
    suffix = uuid.uuid4().hex[:6]
    farmers = [
        create_farmer(spec, FarmerConfig(str(path), solution_range=solution_range), name=f"farmer{i}-{suffix}")
        for i, path in enumerate(farms)
    ]
    for farmer in farmers:
        assert farmer.ready(timeout=TIMEOUT)
    genesis = PotSeed(bytes([7]) * 16)
    timekeeper = create_timekeeper(
        spec, TimekeeperConfig(str(tmp_path / "tk"), PARAMS.with_slot_iterations(3_200_000), genesis, autostart=False),
        name=f"timekeeper-{suffix}",
    )  # fmt: skip
    for i in range(2):
        timekeeper.subscribe(f"farmer{i}-{suffix}", timeout=TIMEOUT)
    proofs = {}

    def slots_handled() -> int:
        """Slots each farmer has audited or skipped, after collecting the proofs of time made meanwhile (up to 1 s)."""
        for proof in timekeeper.proofs_after(max(proofs, default=0), wait=1.0):
            proofs[int(proof.slot)] = proof
        return min(f.status().slots_audited + f.status().slots_skipped for f in farmers)

    try:
        timekeeper.handle.start.remote()
        wait_until(lambda: slots_handled() >= SLOTS, TIMEOUT, f"each farmer to handle {SLOTS} slots", interval=0)
        timekeeper.stop()
        for proof in timekeeper.proofs_after(max(proofs, default=0)):
            proofs[int(proof.slot)] = proof
        # Let the proofs in progress finish: shutdown joins each farmer's audit and proving threads (a proof under
        # way completes, slots still queued are dropped), so the counts and solutions read below are final.
        for farmer in farmers:
            farmer.shutdown(timeout=TIMEOUT)
        statuses = [farmer.status() for farmer in farmers]
        found = [solution for farmer in farmers for solution in farmer.solutions_after(0)]
    finally:
        timekeeper.kill(restart=False)
        for farmer in farmers:
            farmer.kill(restart=False)

    audited = sum(status.slots_audited for status in statuses)
    assert audited >= SLOTS
    for status in statuses:
        assert status.sectors_plotted == SECTORS_PER_FARM
        assert status.corrupt_sectors == ()
        assert status.proofs_failed == 0
        assert status.slots_skipped <= status.slots_audited // 10  # skips only when slots outrun audits
    # Every audited slot offers TARGET_PER_SLOT candidates per farm on average (Poisson); allow 4 sigma.
    expected = audited * TARGET_PER_SLOT
    candidates = sum(status.candidates_found for status in statuses)
    print(f"audited {audited} slots, skipped {sum(s.slots_skipped for s in statuses)}, candidates {candidates} "
          f"(expected {expected:.1f}), solutions {len(found)}")  # fmt: skip
    assert abs(candidates - expected) <= 4 * math.sqrt(expected) + 2, (candidates, expected)
    assert found, "no solutions in the whole run"
    assert sum(status.proofs_succeeded for status in statuses) == len(found)
    headers = history.archiver.segment_headers()
    for farmer_solution in found:
        solution = Solution.from_bytes(farmer_solution.solution)
        proof = proofs.get(farmer_solution.slot) or pytest.fail(f"slot {farmer_solution.slot} was never proven")
        segment = headers[compute_piece_segment_index(compute_solution_piece_index(solution, PARAMS), PARAMS)]
        verify_solution(
            solution, slot=farmer_solution.slot, proof_of_time=bytes(proof.output),
            solution_range=compute_voting_solution_range(solution_range), kzg=kzg, pos_table=PARAMS.pos_table,
            segment_commitment=segment.segment_commitment, current_history_size=len(headers), params=PARAMS,
        )  # fmt: skip
        assert farmer_solution.is_vote == (2 * farmer_solution.distance > solution_range)
