"""actors.farming.farm_check on a small MINIMAL farm: checksums, proof trials, corruption, truncation, benchmarks, expiry."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from autonomys.actors.farming.farm import PLOT_FILE, Farm, FarmError
from autonomys.actors.farming.farm_check import (
    TIB,
    CheckStage,
    FarmCheckError,
    benchmark_audit,
    benchmark_prove,
    check_farm,
    count_expiring_sectors,
    find_sector_checksum_error,
)
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.plotting.plotter import is_plotted_sector_expired
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.plotting.sectors import compute_public_key_hash, compute_sector_layout
from helpers.farms import farm_size, plotted_farm
from helpers.history import ArchivedHistory, archived_history

SECTORS = 3
TRIALS = 4


@dataclass(frozen=True)
class PlottedFarm:
    path: Path
    kzg: Kzg
    history: ArchivedHistory


@pytest.fixture(scope="module")
def plotted(tmp_path_factory: pytest.TempPathFactory) -> PlottedFarm:
    root = tmp_path_factory.mktemp("farm-check")
    setup = KzgSetup(num_g1_powers=MINIMAL.record_num_chunks, cache_dir=str(root / "kzg"))
    kzg = load_kzg(setup)
    history = archived_history(root / "archive", MINIMAL, kzg, 2)
    return PlottedFarm(plotted_farm(root / "farm", history, setup, SECTORS, MINIMAL), kzg, history)


def copy_farm(plotted: PlottedFarm, destination: Path) -> Path:
    return Path(shutil.copytree(plotted.path, destination / "farm"))


def flip_data_byte(farm_path: Path, sector_index: int, position: int = 100) -> None:
    """Invert one byte in a sector's s-bucket region (its encoded chunks), `position` bytes into it."""
    with Farm.open(farm_path) as farm:
        offset = (
            sector_index * farm.sector_size
            + compute_sector_layout(MINIMAL.max_pieces_in_sector, MINIMAL).s_buckets_start
        )
    with open(farm_path / PLOT_FILE, "r+b") as plot:  # noqa: PTH123
        plot.seek(offset + position)
        byte = plot.read(1)[0]
        plot.seek(offset + position)
        plot.write(bytes([byte ^ 0xFF]))


def test_clean_farm_proves_every_trial(plotted: PlottedFarm) -> None:
    with Farm.open(plotted.path) as farm:
        report = check_farm(farm, plotted.kzg, TRIALS, seed=1, history=plotted.history)
    assert report.is_ok
    assert report.proof_ratio == 1.0
    assert report.piece_checks
    assert [sector.sector_index for sector in report.sectors] == list(range(SECTORS))
    for sector in report.sectors:
        assert (sector.trials, sector.proofs_found, sector.proofs_verified) == (TRIALS, TRIALS, TRIALS)
        assert sector.challenges >= TRIALS
        assert sector.checksum_error is None and sector.failures == []


def test_a_seed_repeats_the_same_challenges(plotted: PlottedFarm) -> None:
    with Farm.open(plotted.path) as farm:
        first, second = (check_farm(farm, plotted.kzg, 2, seed=9) for _ in range(2))
    assert [sector.challenges for sector in first.sectors] == [sector.challenges for sector in second.sectors]
    assert not first.piece_checks


def test_progress_reaches_the_end_of_each_stage(plotted: PlottedFarm) -> None:
    events = []
    with Farm.open(plotted.path) as farm:
        check_farm(farm, plotted.kzg, 2, seed=3, on_progress=events.append)
    checksum = [event for event in events if event.stage is CheckStage.CHECKSUM]
    assert [(event.done, event.total) for event in checksum] == [(index, SECTORS) for index in range(1, SECTORS + 1)]
    assert events[-1].stage is CheckStage.PROVING and events[-1].done == events[-1].total == 2 * SECTORS


def test_a_flipped_byte_makes_only_that_sector_corrupt(plotted: PlottedFarm, tmp_path: Path) -> None:
    farm_path = copy_farm(plotted, tmp_path)
    flip_data_byte(farm_path, 1)
    with Farm.open(farm_path) as farm:
        assert find_sector_checksum_error(farm, 1) == "sector checksum mismatch"
        report = check_farm(farm, plotted.kzg, TRIALS, seed=1, history=plotted.history)
    assert not report.is_ok
    assert [sector.sector_index for sector in report.corrupt_sectors] == [1]
    assert "checksum" in report.sectors[1].checksum_error
    for index in (0, 2):
        assert report.sectors[index].is_ok
        assert report.sectors[index].proofs_verified == TRIALS


def test_a_plot_truncated_while_open_is_reported(plotted: PlottedFarm, tmp_path: Path) -> None:
    farm_path = copy_farm(plotted, tmp_path)
    with Farm.open(farm_path) as farm:
        os.truncate(farm_path / PLOT_FILE, (SECTORS - 1) * farm.sector_size + 1000)
        report = check_farm(farm, plotted.kzg, TRIALS, seed=1)
    assert not report.is_ok
    last = report.sectors[-1]
    assert last.checksum_error is not None and last.checksum_error.startswith("read failed")
    assert all(sector.checksum_error is None for sector in report.sectors[:-1])
    assert report.proof_ratio < 1.0


class WrongCommitments:
    """The real history with the commitments of segments 0 and 1 swapped: every piece check must fail."""

    def __init__(self, history: ArchivedHistory) -> None:
        self.history = history

    def history_size(self) -> int:
        return self.history.history_size()

    def segment_commitment(self, segment_index: int) -> bytes | None:
        return self.history.segment_commitment(1 - min(segment_index, 1))


def test_piece_checks_catch_a_record_from_another_history(plotted: PlottedFarm) -> None:
    with Farm.open(plotted.path) as farm:
        report = check_farm(farm, plotted.kzg, TRIALS, seed=1, history=WrongCommitments(plotted.history))
    assert not report.is_ok
    assert report.failed_proofs > 0
    assert report.corrupt_sectors == ()
    failures = [failure for sector in report.sectors for failure in sector.failures]
    assert all("invalid_piece" in failure for failure in failures)


def test_bad_counts_and_unplotted_farms_are_named_errors(plotted: PlottedFarm, tmp_path: Path) -> None:
    with Farm.open(plotted.path) as farm:
        with pytest.raises(FarmCheckError, match="positive"):
            check_farm(farm, plotted.kzg, 0)
        with pytest.raises(FarmCheckError, match="positive"):
            benchmark_audit(farm, -1)
        with pytest.raises(FarmCheckError, match="positive"):
            benchmark_prove(farm, plotted.kzg, 0)
    with Farm.create_or_open(tmp_path / "empty", farm_size(1, MINIMAL), MINIMAL) as empty:
        with pytest.raises(FarmError, match="no plotted sector"):
            check_farm(empty, plotted.kzg, 1)
        with pytest.raises(FarmError, match="no plotted sector"):
            benchmark_audit(empty, 1)


def test_benchmark_audit(plotted: PlottedFarm) -> None:
    with Farm.open(plotted.path) as farm:
        result = benchmark_audit(farm, 20, seed=2)
    assert result.slots == 20
    assert result.sectors_audited == SECTORS
    assert result.bytes_read_per_slot > 0
    assert result.seconds_per_sector == pytest.approx(result.seconds_per_slot / SECTORS)
    assert result.seconds_per_tib == pytest.approx(result.seconds_per_sector * TIB / farm.sector_size)


def test_benchmark_prove(plotted: PlottedFarm) -> None:
    with Farm.open(plotted.path) as farm:
        result = benchmark_prove(farm, plotted.kzg, 3, seed=2)
    assert result.proofs == 3
    assert result.challenges >= 3
    assert 0 < result.proving_min <= result.proving_median <= result.proving_max
    assert result.verification_mean > 0
    assert result.solution_size == 412


def test_benchmark_prove_names_a_corrupt_sector(plotted: PlottedFarm, tmp_path: Path) -> None:
    farm_path = copy_farm(plotted, tmp_path)
    layout = compute_sector_layout(MINIMAL.max_pieces_in_sector, MINIMAL)
    for sector_index in range(SECTORS):  # every stored chunk of every record: any proof must fail
        for chunk in range(layout.s_buckets_start, layout.record_metadata_start, 32):
            flip_data_byte(farm_path, sector_index, chunk - layout.s_buckets_start + 5)
    with Farm.open(farm_path) as farm, pytest.raises(FarmCheckError, match="plots check"):
        benchmark_prove(farm, plotted.kzg, 50, seed=2)


class FixedHistory:
    """A history of any size whose segment commitments are all one value (expiry only hashes them)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def history_size(self) -> int:
        return self.size

    def segment_commitment(self, segment_index: int) -> bytes | None:
        return bytes(range(48)) if segment_index < self.size else None


def test_count_expiring_sectors_agrees_with_the_plotter(plotted: PlottedFarm) -> None:
    with Farm.open(plotted.path) as farm:
        public_key_hash = compute_public_key_hash(farm.identity.public_key)
        plotted_sectors = farm.plotted_sectors().values()
        seen_expired = 0
        for size in range(2, 16):

            def expired_at(current: int, size: int = size) -> int:
                history = FixedHistory(size)
                return sum(
                    is_plotted_sector_expired(m, public_key_hash, history, current, MINIMAL) for m in plotted_sectors
                )

            about, expired = count_expiring_sectors(farm, FixedHistory(size))
            assert expired == expired_at(size)
            assert about == expired_at(size + 1) - expired_at(size)
            seen_expired = max(seen_expired, expired)
    assert seen_expired == SECTORS
