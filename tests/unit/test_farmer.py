"""The Farmer plot shard without Ray: slot intake and skips, proving deadlines, sinks, corrupt sectors, plotting hook."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from autonomys.actors.clock import ManualClock
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer import FarmerConfig, FarmerService, read_status_file
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.messages import FarmerSolution, FarmingSlot
from autonomys.actors.plotting.plotter import PlottingStage, SectorProgress
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.farming.solutions import Solution, verify_solution
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.plotting.sectors import compute_sector_layout
from helpers.farms import farmer_status_where, plotted_farm
from helpers.history import ArchivedHistory
from helpers.links import LocalLinks

PARAMS = MINIMAL
SECTORS = 3
WAIT = 30.0


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, history: ArchivedHistory, setup: KzgSetup) -> Path:
    return plotted_farm(tmp_path_factory.mktemp("template") / "farm", history, setup, SECTORS, PARAMS)


@pytest.fixture
def farm_path(tmp_path: Path, template: Path) -> Path:
    import shutil

    return Path(shutil.copytree(template, tmp_path / "farm"))


class RecordingSink:
    def __init__(self, name: str) -> None:
        self.name = name
        self.solutions: list[FarmerSolution] = []

    def on_solution(self, solution: FarmerSolution) -> None:
        self.solutions.append(solution)


def start(farm_path: Path, setup: KzgSetup, links: LocalLinks | None = None, **kwargs) -> FarmerService:
    config = FarmerConfig(str(farm_path), solution_range=kwargs.pop("solution_range", U64_MAX), kzg_setup=setup)
    # Frozen time: the MINIMAL farming deadline (0.2 s) must not expire on a loaded test machine.
    kwargs.setdefault("clock", ManualClock())
    return FarmerService(config, links if links is not None else LocalLinks(), **kwargs)


def wide_slot(slot: int) -> FarmingSlot:
    return FarmingSlot(slot, slot.to_bytes(16, "little"), U64_MAX, U64_MAX)


def candidates_by_sector(farmer: FarmerService, slot: int) -> dict[int, int]:
    return {found.entry.sector_index: len(found.candidates) for found in farmer.core.audit(wide_slot(slot)).found}


def slots_where(farmer: FarmerService, count: int, predicate, start: int = 1) -> list[int]:
    """The first `count` slots from `start` whose audit at the widest range satisfies `predicate`.

    A farm's keys are random and about a third of a MINIMAL sector's s-buckets are empty (records encode
    the first 64 s-buckets with proofs), so some slots offer nothing to prove: tests pick their slots."""
    found = [slot for slot in range(start, start + 1000) if predicate(candidates_by_sector(farmer, slot))][:count]
    if len(found) < count:
        pytest.fail(f"fewer than {count} suitable slots in 1000")
    return found


def any_candidate(by_sector: dict[int, int]) -> bool:
    return sum(by_sector.values()) > 0


def test_solutions_for_each_slot_verify_and_reach_sinks(farm_path, setup) -> None:
    sinks: dict[str, RecordingSink] = {}
    farmer = start(farm_path, setup, LocalLinks(lambda name: sinks.setdefault(name, RecordingSink(name))))
    try:
        farmer.subscribe_solutions("node")
        [slot] = slots_where(farmer, 1, any_candidate)
        farmer.on_farming_slot(wide_slot(slot))
        solutions = farmer.solutions_after(0, timeout=WAIT)
        assert solutions, farmer.status()
        kzg = load_kzg(setup)
        for found in solutions:
            solution = Solution.from_bytes(found.solution)
            verify_solution(
                solution, slot=slot, proof_of_time=wide_slot(slot).proof_of_time, solution_range=U64_MAX, kzg=kzg,
                pos_table=PARAMS.pos_table, params=PARAMS,
            )  # fmt: skip
            assert found.is_vote is False
        assert sinks["node"].solutions[: len(solutions)] == solutions
        status = farmer.status()
        assert status.slots_audited == 1
        assert status.sectors_plotted == SECTORS
        assert status.proofs_succeeded >= len(solutions)
        assert status.corrupt_sectors == ()
    finally:
        farmer.shutdown()
    assert read_status_file(farm_path)["slots_audited"] == 1


def test_a_restarted_farmer_submits_to_its_sinks_again(farm_path, setup) -> None:
    """A farmer Ray restarts re-runs __init__: its sinks come back from its config and its farm, not from memory."""
    sinks: dict[str, RecordingSink] = {}

    def resolve(name: str) -> RecordingSink:
        return sinks.setdefault(name, RecordingSink(name))

    config = FarmerConfig(str(farm_path), solution_range=U64_MAX, solution_sinks=("node",), kzg_setup=setup)
    first = FarmerService(config, LocalLinks(resolve), clock=ManualClock())
    try:
        first.subscribe_solutions("explorer")
        first.subscribe_solutions("explorer")  # idempotent
    finally:
        first.shutdown()
    restarted = FarmerService(config, LocalLinks(resolve), clock=ManualClock())
    try:
        [slot] = slots_where(restarted, 1, any_candidate)
        restarted.on_farming_slot(wide_slot(slot))
        solutions = restarted.solutions_after(0, timeout=WAIT)
        assert solutions, restarted.status()
        for name in ("node", "explorer"):
            assert sinks[name].solutions[: len(solutions)] == solutions
        assert restarted.status().solutions_submitted >= 2 * len(solutions)
    finally:
        restarted.shutdown()


def test_a_slot_waiting_behind_a_running_audit_is_skipped_when_a_newer_one_arrives(farm_path, setup, monkeypatch) -> None:
    farmer = start(farm_path, setup)
    entered, release = threading.Event(), threading.Event()
    audited: list[int] = []
    real_audit = farmer.core.audit

    def slow_audit(slot: FarmingSlot):
        audited.append(slot.slot)
        entered.set()
        release.wait(WAIT)
        return real_audit(slot)

    [last] = slots_where(farmer, 1, any_candidate, start=3)
    monkeypatch.setattr(farmer.core, "audit", slow_audit)
    try:
        farmer.on_farming_slot(wide_slot(1))
        assert entered.wait(WAIT)
        for slot in (2, last, last, 1):  # 2 waits, `last` replaces it; a repeat or an older slot is ignored
            farmer.on_farming_slot(wide_slot(slot))
        release.set()
        assert farmer.solutions_after(2, timeout=WAIT), farmer.status()
        assert audited == [1, last]
        assert farmer.status().slots_skipped == 1
    finally:
        release.set()
        farmer.shutdown()


def test_candidates_past_the_farming_deadline_are_counted_as_timed_out(farm_path, setup, monkeypatch) -> None:
    clock = ManualClock()
    farmer = start(farm_path, setup, clock=clock)
    real_prove = farmer.core.prove
    calls: list[int] = []

    def prove_then_stall(slot, sector, candidate):
        calls.append(candidate.chunk_offset)
        result = real_prove(slot, sector, candidate)
        clock.advance(60.0)  # the first proof overruns the whole deadline
        return result

    [slot] = slots_where(farmer, 1, lambda by_sector: sum(by_sector.values()) >= 2)
    monkeypatch.setattr(farmer.core, "prove", prove_then_stall)
    try:
        farmer.on_farming_slot(wide_slot(slot))
        farmer.solutions_after(0, timeout=WAIT)
        status = farmer_status_where(
            farmer, lambda s: s.candidates_found > 1 and s.proofs_timed_out == s.candidates_found - 1, WAIT
        )
        assert len(calls) == 1
        assert status.proofs_failed == 0
    finally:
        farmer.shutdown()


def corrupt_sector(farm_path: Path, sector_index: int) -> None:
    with Farm.open(farm_path) as farm:
        layout = compute_sector_layout(PARAMS.max_pieces_in_sector, PARAMS)
        start = sector_index * farm.sector_size + layout.s_buckets_start
        length = layout.record_metadata_start - layout.s_buckets_start
    with open(farm_path / "plot.bin", "r+b") as plot:
        plot.seek(start)
        plot.write(bytes(range(256)) * (length // 256) + bytes(length % 256))


def test_a_corrupt_sector_is_reported_and_skipped_while_the_others_farm(farm_path, setup) -> None:
    corrupt_sector(farm_path, 1)
    farmer = start(farm_path, setup)
    try:
        # Slots where the corrupt sector and another one both have chunks to prove.
        slots = slots_where(farmer, 5, lambda by_sector: 1 in by_sector and len(by_sector) > 1)
        for count, slot in enumerate(slots, start=1):
            farmer.on_farming_slot(wide_slot(slot))
            farmer_status_where(
                farmer,
                lambda s, count=count: s.slots_audited == count and s.proofs_failed + s.proofs_succeeded > 0,
                WAIT,
            )
        status = farmer_status_where(farmer, lambda s: len(s.corrupt_sectors) == 1, WAIT)
        assert status.corrupt_sectors[0].sector_index == 1
        assert "proving failed" in status.corrupt_sectors[0].reason
        assert status.sectors_plotted == SECTORS - 1
        sectors = {Solution.from_bytes(s.solution).sector_index for s in farmer.solutions_after(0)}
        assert sectors and 1 not in sectors
    finally:
        farmer.shutdown()


def test_plotting_takes_a_sector_out_of_audits_and_waits_for_proofs(farm_path, setup) -> None:
    farmer = start(farm_path, setup)
    try:
        core = farmer.core
        with core.gate.proving():
            writing = SectorProgress(0, PlottingStage.WRITING, 8, 8)
            writer = threading.Thread(target=core.on_plotting_progress, args=(writing,))
            writer.start()
            writer.join(0.2)
            assert writer.is_alive()  # the write waits for the proof in progress
        writer.join(WAIT)
        assert not writer.is_alive()
        assert 0 not in {entry.sector_index for entry in core.registry.snapshot()}
        core.on_plotting_progress(SectorProgress(0, PlottingStage.WRITTEN, 8, 8))
        assert 0 in {entry.sector_index for entry in core.registry.snapshot()}
    finally:
        farmer.shutdown()


def test_the_default_range_expects_one_block_per_slot_probability(farm_path, setup) -> None:
    from autonomys.protocol.farming.solution_range import pieces_to_solution_range

    farmer = FarmerService(FarmerConfig(str(farm_path), kzg_setup=setup), LocalLinks())
    try:
        expected = pieces_to_solution_range(SECTORS * PARAMS.max_pieces_in_sector, PARAMS.slot_probability, PARAMS)
        assert farmer._solution_range == expected
    finally:
        farmer.shutdown()


def test_a_slot_arriving_after_a_newer_one_is_counted_as_skipped(farm_path, setup) -> None:
    farmer = start(farm_path, setup)
    try:
        farmer.on_farming_slot(wide_slot(5))
        farmer_status_where(farmer, lambda s: s.slots_audited == 1, WAIT)
        farmer.on_farming_slot(wide_slot(3))  # late: a concurrent call delivered it after slot 5
        farmer.on_farming_slot(wide_slot(5))  # a repeat: ignored
        status = farmer_status_where(farmer, lambda s: s.slots_skipped == 1, WAIT)
        assert status.slots_audited == 1
    finally:
        farmer.shutdown()
