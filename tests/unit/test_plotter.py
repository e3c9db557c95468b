"""Plotting a farm from archived history: every piece reads back, bad pieces change nothing, expiry re-plots."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from autonomys.actors.dsn.piece_getter import NamedSource, PieceGetter, PieceSources
from autonomys.actors.farming.farm import Farm
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.plotting.plotter import (
    LocalRecordEncoder,
    PlotReason,
    Plotter,
    PlottingError,
    PlottingLoop,
    PlottingStage,
    RecordJob,
    SectorProgress,
    encode_record_jobs,
)
from autonomys.kernels.pos import PosTable
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.plotting.reading import extract_piece
from autonomys.protocol.plotting.sectors import (
    compute_public_key_hash,
    compute_sector_id,
    compute_sector_metadata_size,
    compute_sector_size,
    derive_piece_index,
)
from helpers.history import ArchivedHistory, archived_history
from helpers.waiting import wait_until

PARAMS = MINIMAL
SECTORS = 2
FARM_SIZE = SECTORS * (compute_sector_size(PARAMS.max_pieces_in_sector, PARAMS) + compute_sector_metadata_size(PARAMS)) + 64


@pytest.fixture
def setup(tmp_path: Path) -> KzgSetup:
    return KzgSetup(num_g1_powers=PARAMS.record_num_chunks, cache_dir=str(tmp_path / "kzg"))


@pytest.fixture
def history(tmp_path: Path, setup: KzgSetup) -> ArchivedHistory:
    return archived_history(tmp_path / "archive", PARAMS, load_kzg(setup), segments=2)


def make_plotter(farm: Farm, history: ArchivedHistory, setup: KzgSetup, events: list | None = None, **kwargs) -> Plotter:
    on_progress = events.append if events is not None else None
    return Plotter(farm, kwargs.pop("pieces", history), history, LocalRecordEncoder(PARAMS, setup, **kwargs), on_progress)


def assert_every_piece_reads_back(farm: Farm, history: ArchivedHistory) -> None:
    public_key_hash = compute_public_key_hash(farm.identity.public_key)
    table = PosTable(k=PARAMS.pos_k, kind=PARAMS.pos_table)
    for sector_index, metadata in farm.plotted_sectors().items():
        sector = farm.read_sector(sector_index)
        sector_id = compute_sector_id(public_key_hash, sector_index, metadata.history_size)
        for offset in range(metadata.pieces_in_sector):
            piece_index = derive_piece_index(sector_id, offset, metadata.history_size, PARAMS)
            assert extract_piece(sector, metadata, sector_id, offset, table, PARAMS) == history.get_piece(piece_index)


def test_plotting_fills_every_sector_with_pieces_that_read_back(tmp_path: Path, history, setup) -> None:
    events: list[SectorProgress] = []
    with Farm.create_or_open(tmp_path / "farm", FARM_SIZE, PARAMS) as farm:
        assert make_plotter(farm, history, setup, events).plot_pending() == SECTORS
        assert sorted(farm.plotted_sectors()) == [0, 1]
        assert all(metadata.history_size == 2 for metadata in farm.plotted_sectors().values())
        assert_every_piece_reads_back(farm, history)
        assert make_plotter(farm, history, setup).plot_pending() == 0  # nothing left to do
    stages = [event.stage for event in events if event.sector_index == 0]
    assert [stage for index, stage in enumerate(stages) if index == 0 or stages[index - 1] != stage] == list(PlottingStage)
    assert events[-1] == SectorProgress(1, PlottingStage.WRITTEN, PARAMS.max_pieces_in_sector, PARAMS.max_pieces_in_sector)


def test_threads_plot_the_same_bytes_as_one_worker(tmp_path: Path, history, setup) -> None:
    Farm.create_or_open(tmp_path / "farm1", FARM_SIZE, PARAMS).close()
    shutil.copytree(tmp_path / "farm1", tmp_path / "farm2")  # the same key, so the same sector ids
    with Farm.open(tmp_path / "farm1") as one, Farm.open(tmp_path / "farm2") as two:
        make_plotter(one, history, setup, threads=1).plot_sector(0, 2)
        make_plotter(two, history, setup, threads=2).plot_sector(0, 2)
        assert one.read_sector(0) == two.read_sector(0)
        assert one.sector_metadata(0) == two.sector_metadata(0)


class CorruptingPieces:
    def __init__(self, history: ArchivedHistory, bad_index: int | None) -> None:
        self.history = history
        self.bad_index = bad_index

    def get_piece(self, piece_index: int) -> bytes | None:
        piece = self.history.get_piece(piece_index)
        if piece_index != self.bad_index or piece is None:
            return piece
        return bytes([piece[0] ^ 1]) + piece[1:]


def test_an_invalid_or_missing_piece_aborts_the_sector_and_changes_nothing(tmp_path: Path, history, setup) -> None:
    with Farm.create_or_open(tmp_path / "farm", FARM_SIZE, PARAMS) as farm:
        public_key_hash = compute_public_key_hash(farm.identity.public_key)
        first_piece = derive_piece_index(compute_sector_id(public_key_hash, 0, 2), 0, 2, PARAMS)
        corrupting = CorruptingPieces(history, first_piece)
        with pytest.raises(PlottingError, match="is_piece_valid"):
            make_plotter(farm, history, setup, pieces=corrupting).plot_sector(0, 2)
        assert farm.plotted_sectors() == {}

        class NoPieces:
            def get_piece(self, piece_index: int) -> None:
                return None

        with pytest.raises(PlottingError, match="not available"):
            make_plotter(farm, history, setup, pieces=NoPieces()).plot_sector(0, 2)
        assert farm.plotted_sectors() == {}


def test_pieces_a_verifying_getter_returned_are_not_checked_again(tmp_path: Path, history, setup) -> None:
    """The PieceGetter checks each piece once; the encoding workers trust that and skip their own check."""
    getter = PieceGetter(PARAMS, load_kzg(setup), history, PieceSources(node=[NamedSource("archive", history.get_piece)]))
    jobs: list[RecordJob] = []

    class RecordingEncoder(LocalRecordEncoder):
        def encode(self, batch):  # type: ignore[no-untyped-def]
            jobs.extend(batch)
            return super().encode(batch)

    with Farm.create_or_open(tmp_path / "farm", FARM_SIZE, PARAMS) as farm:
        Plotter(farm, getter, history, RecordingEncoder(PARAMS, setup)).plot_sector(0, 2)
        assert 0 in farm.plotted_sectors()
    assert len(jobs) == PARAMS.max_pieces_in_sector and all(job.verified for job in jobs)
    assert getter.stats.by_tier["node"] == len(jobs)
    # Unverified jobs are still checked by the worker: a flipped byte is refused there.
    bad = dataclasses.replace(jobs[0], piece=bytes([jobs[0].piece[0] ^ 1]) + jobs[0].piece[1:])
    assert encode_record_jobs([dataclasses.replace(bad, verified=False)], PARAMS, setup)[0].error is not None
    assert encode_record_jobs([bad], PARAMS, setup)[0].error is None  # trusted: no second MSM


def test_expired_sectors_are_replotted_and_the_others_stay_readable(tmp_path: Path, history, setup) -> None:
    with Farm.create_or_open(tmp_path / "farm", FARM_SIZE, PARAMS) as farm:
        plotter = make_plotter(farm, history, setup)
        plotter.plot_sector(0, 1)  # plotted when history had one segment: expires by history 8
        history.extend_to(7)
        plotter.plot_sector(1, 7)
        kept = farm.read_sector(1)
        assert plotter.sectors_to_plot(4) == []  # before min_sector_lifetime nothing can expire
        history.extend_to(8)
        assert plotter.sectors_to_plot(8) == [(0, PlotReason.EXPIRED)]
        assert plotter.plot_pending() == 1
        assert farm.sector_metadata(0).history_size == 8
        assert farm.read_sector(1) == kept
        assert_every_piece_reads_back(farm, history)


def test_the_background_loop_replots_when_history_grows(tmp_path: Path, history, setup) -> None:
    with Farm.create_or_open(tmp_path / "farm", FARM_SIZE, PARAMS) as farm:
        plotter = make_plotter(farm, history, setup)
        plotter.plot_sector(0, 1)
        plotter.plot_sector(1, 1)
        history.extend_to(8)  # both sectors expire by history 8
        loop = PlottingLoop(plotter, poll_seconds=0.05)
        loop.start()
        try:
            loop.on_segment_header(None)
            wait_until(
                lambda: loop.sectors_plotted >= 2,
                30,
                lambda: f"both sectors replotted ({loop.sectors_plotted} so far, last error {loop.last_error!r})",
            )
        finally:
            loop.stop(timeout=30)
        assert loop.last_error is None
        assert loop.sectors_plotted == 2
        assert {metadata.history_size for metadata in farm.plotted_sectors().values()} == {8}
        assert_every_piece_reads_back(farm, history)
