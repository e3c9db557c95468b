"""A farmer that plots its own farm (no Ray): sectors join audits as they are written, errors show in status."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from autonomys.actors.clock import ManualClock
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer import FarmerConfig, FarmerService
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.messages import FarmingSlot
from autonomys.actors.plotting.plotter import LocalRecordEncoder, Plotter, RecordJob, RecordResult
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.farming.solutions import Solution, verify_solution
from autonomys.protocol.params import MINIMAL
from helpers.farms import farm_size, farmer_status_where
from helpers.links import LocalLinks

PARAMS = MINIMAL
SECTORS = 2
WAIT = 30.0


@pytest.fixture
def farm_path(tmp_path: Path) -> Path:
    """A farm with room for SECTORS sectors, none plotted."""
    path = tmp_path / "farm"
    Farm.create_or_open(path, farm_size(SECTORS, PARAMS), PARAMS).close()
    return path


class MissingPieces:
    """A piece source that has nothing (an archiver that lost its pieces)."""

    def get_piece(self, piece_index: int) -> bytes | None:
        return None


class GatedEncoder(LocalRecordEncoder):
    """Encodes one record, then waits for `gate` before the rest (a slow plotting worker)."""

    def __init__(self, setup: KzgSetup) -> None:
        super().__init__(PARAMS, setup)
        self.gate = threading.Event()

    def encode(self, jobs: Sequence[RecordJob]) -> Iterator[RecordResult]:
        for done, result in enumerate(super().encode(jobs)):
            if done == 1:
                self.gate.wait(WAIT)
            yield result


def start(farm_path: Path, setup: KzgSetup, **kwargs) -> FarmerService:
    # Frozen time: the MINIMAL farming deadline (0.2 s) must not expire on a loaded test machine.
    kwargs.setdefault("clock", ManualClock())
    kwargs.setdefault("encoder", LocalRecordEncoder(PARAMS, setup))
    config = FarmerConfig(str(farm_path), solution_range=U64_MAX, kzg_setup=setup)
    return FarmerService(config, LocalLinks(), **kwargs)


def wide_slot(slot: int) -> FarmingSlot:
    return FarmingSlot(slot, slot.to_bytes(16, "little"), U64_MAX, U64_MAX)


def slot_with_candidates(farmer: FarmerService, sectors: set[int] | None = None) -> int:
    """The first slot whose audit at the widest range offers something to prove (in `sectors`, if given)."""
    for slot in range(1, 1000):
        found = {f.entry.sector_index for f in farmer.core.audit(wide_slot(slot)).found if f.candidates}
        if found and (sectors is None or found & sectors):
            return slot
    pytest.fail("no slot with candidates in 1000")


def assert_solutions_verify(solutions, slot: int, setup: KzgSetup) -> set[int]:
    kzg = load_kzg(setup)
    for found in solutions:
        verify_solution(
            Solution.from_bytes(found.solution), slot=slot, proof_of_time=wide_slot(slot).proof_of_time,
            solution_range=U64_MAX, kzg=kzg, pos_table=PARAMS.pos_table, params=PARAMS,
        )  # fmt: skip
    return {Solution.from_bytes(found.solution).sector_index for found in solutions}


def test_the_farmer_plots_its_empty_farm_and_farms_the_new_sectors(farm_path, history, setup) -> None:
    farmer = start(farm_path, setup, pieces=history, history=history)
    try:
        status = farmer_status_where(
            farmer, lambda s: s.sectors_plotted == SECTORS and s.plotting.startswith("idle"), WAIT
        )
        assert status.plotting == f"idle ({SECTORS}/{SECTORS} plotted)"
        assert status.pieces_plotted == SECTORS * PARAMS.max_pieces_in_sector
        assert status.history_size == history.history_size()  # the plotting history also gives sector states
        assert {entry.sector_index for entry in farmer.core.registry.snapshot()} == set(range(SECTORS))
        assert set(farmer.farm.plotted_sectors()) == set(range(SECTORS))

        slot = slot_with_candidates(farmer)
        farmer.on_farming_slot(wide_slot(slot))
        solutions = farmer.solutions_after(0, timeout=WAIT)
        assert solutions, farmer.status()
        assert assert_solutions_verify(solutions, slot, setup) <= set(range(SECTORS))
        farmer.on_segment_header(object())  # a wake-up with nothing new to plot changes nothing
        assert farmer_status_where(farmer, lambda s: s.plotting.startswith("idle"), WAIT).corrupt_sectors == ()
    finally:
        farmer.shutdown()


def test_status_shows_the_sector_being_plotted(farm_path, history, setup) -> None:
    encoder = GatedEncoder(setup)
    farmer = start(farm_path, setup, encoder=encoder, pieces=history, history=history)
    try:
        status = farmer_status_where(farmer, lambda s: s.plotting.startswith("sector 0: encoding 1/"), WAIT)
        assert status.plotting == f"sector 0: encoding 1/{PARAMS.max_pieces_in_sector}"
        assert status.sectors_plotted == 0
        encoder.gate.set()
        farmer_status_where(farmer, lambda s: s.plotting == f"idle ({SECTORS}/{SECTORS} plotted)", WAIT)
    finally:
        encoder.gate.set()
        farmer.shutdown()


def test_a_plotting_error_shows_in_status_while_plotted_sectors_keep_farming(
    farm_path, history, setup
) -> None:
    with Farm.open(farm_path) as farm:  # sector 0 plotted beforehand; sector 1 cannot be (no pieces)
        Plotter(farm, history, history, LocalRecordEncoder(PARAMS, setup)).plot_sector(0, history.history_size())
    farmer = start(farm_path, setup, pieces=MissingPieces(), history=history)
    try:
        status = farmer_status_where(farmer, lambda s: s.plotting.startswith("error:"), WAIT)
        assert "not available" in status.plotting
        assert status.sectors_plotted == 1
        assert status.pieces_plotted == PARAMS.max_pieces_in_sector
        assert set(farmer.farm.plotted_sectors()) == {0}  # the failed sector left the farm unchanged

        slot = slot_with_candidates(farmer)
        farmer.on_farming_slot(wide_slot(slot))
        solutions = farmer.solutions_after(0, timeout=WAIT)
        assert solutions, farmer.status()
        assert assert_solutions_verify(solutions, slot, setup) == {0}
        assert farmer.status().slots_audited == 1
    finally:
        farmer.shutdown()


def test_without_an_encoder_the_farmer_does_not_plot(farm_path, history, setup) -> None:
    farmer = start(farm_path, setup, encoder=None, pieces=history, history=history)
    try:
        status = farmer.status()
        assert status.plotting == ""
        assert status.pieces_plotted == 0
        assert status.history_size == history.history_size()
    finally:
        farmer.shutdown()
    with Farm.open(farm_path) as farm:
        assert farm.plotted_sectors() == {}
