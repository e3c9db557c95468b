"""Plotted farms for farming tests: a MINIMAL farm plotted from real archived history."""

from __future__ import annotations

from pathlib import Path

from autonomys.actors.farming.farm import Farm, compute_farm_size
from autonomys.actors.farming.farm_check import compute_encoded_chunks_per_s_bucket
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.plotting.plotter import LocalRecordEncoder, Plotter
from autonomys.protocol.params import Params
from helpers.history import ArchivedHistory


def farm_size(sectors: int, params: Params) -> int:
    """Bytes a farm of `sectors` full sectors needs (sector data, metadata entries, metadata header)."""
    return compute_farm_size(params, sectors)


def plotted_farm(path: Path, history: ArchivedHistory, setup: KzgSetup, sectors: int, params: Params) -> Path:
    """Create a farm of `sectors` sectors at `path`, plot all of it from `history`, close it; returns `path`."""
    with Farm.create_or_open(path, farm_size(sectors, params), params) as farm:
        Plotter(farm, history, history, LocalRecordEncoder(params, setup)).plot_pending()
    return path


def encoded_chunks_per_s_bucket(farm_path: Path, params: Params) -> float:
    """Encoded chunks an audited s-bucket of the farm at `farm_path` holds on average (see farm_check)."""
    with Farm.open(farm_path) as farm:
        assert farm.params.num_s_buckets == params.num_s_buckets
        return compute_encoded_chunks_per_s_bucket(farm)
