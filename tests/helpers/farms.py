"""Plotted farms for farming tests: a MINIMAL farm plotted from real archived history."""

from __future__ import annotations

from pathlib import Path

from autonomys.actors.farm import Farm
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.plotter import LocalRecordEncoder, Plotter
from autonomys.protocol.params import Params
from autonomys.protocol.sectors import compute_sector_metadata_size, compute_sector_size
from helpers.history import ArchivedHistory


def farm_size(sectors: int, params: Params) -> int:
    """Bytes a farm of `sectors` full sectors needs (sector data, metadata entries, metadata header)."""
    return sectors * (compute_sector_size(params.max_pieces_in_sector, params) + compute_sector_metadata_size(params)) + 64


def plotted_farm(path: Path, history: ArchivedHistory, setup: KzgSetup, sectors: int, params: Params) -> Path:
    """Create a farm of `sectors` sectors at `path`, plot all of it from `history`, close it; returns `path`."""
    with Farm.create_or_open(path, farm_size(sectors, params), params) as farm:
        Plotter(farm, history, history, LocalRecordEncoder(params, setup)).plot_pending()
    return path


def encoded_chunks_per_s_bucket(farm_path: Path, params: Params) -> float:
    """Encoded (winnable) chunks an audited s-bucket of this farm holds on average, over all its sectors:
    expected candidates per slot = this × solution_range / 2^64."""
    with Farm.open(farm_path) as farm:
        total = 0
        for metadata in farm.plotted_sectors().values():
            bitfields = farm.read_at(metadata.sector_index, 0, metadata.pieces_in_sector * params.num_s_buckets // 8)
            total += int.from_bytes(bitfields, "little").bit_count()
    return total / params.num_s_buckets
