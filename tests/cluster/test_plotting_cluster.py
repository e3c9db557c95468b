"""Plotting on Ray: records fan out to plotting-worker tasks and give the same sectors as in-process plotting."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autonomys.actors.farming.farm import Farm
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.plotting.plotter import LocalRecordEncoder, Plotter
from autonomys.network.compose import create_record_encoder
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.plotting.sectors import compute_sector_metadata_size, compute_sector_size
from helpers.history import archived_history

pytestmark = pytest.mark.cluster
FARM_SIZE = 2 * (compute_sector_size(MINIMAL.max_pieces_in_sector, MINIMAL) + compute_sector_metadata_size(MINIMAL)) + 64


def test_records_fan_out_to_plotting_workers(ray_session: str, tmp_path: Path) -> None:
    setup = KzgSetup(num_g1_powers=MINIMAL.record_num_chunks, cache_dir=str(tmp_path / "cache"))
    history = archived_history(tmp_path / "archive", MINIMAL, load_kzg(setup), segments=2)
    Farm.create_or_open(tmp_path / "local", FARM_SIZE, MINIMAL).close()
    shutil.copytree(tmp_path / "local", tmp_path / "ray")  # same key: the same sectors are expected

    encoder = create_record_encoder(MINIMAL, setup)
    assert encoder.capacity() == 2
    encoder.records_per_task = 1  # one task per record, as at MAINNET sizes
    with Farm.open(tmp_path / "ray") as farm:
        assert Plotter(farm, history, history, encoder).plot_pending() == 2
        on_ray = [farm.read_sector(index) for index in range(2)]
    with Farm.open(tmp_path / "local") as farm:
        Plotter(farm, history, history, LocalRecordEncoder(MINIMAL, setup)).plot_pending()
        assert [farm.read_sector(index) for index in range(2)] == on_ray
