"""Plotted farms for farming tests: a MINIMAL farm plotted from real archived history; a farmer's status awaited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from autonomys.actors.farming.farm import Farm, compute_farm_size
from autonomys.actors.farming.farm_check import compute_encoded_chunks_per_s_bucket
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.plotting.plotter import LocalRecordEncoder, Plotter
from autonomys.protocol.params import Params
from helpers.history import ArchivedHistory
from helpers.waiting import wait_until

if TYPE_CHECKING:
    from autonomys.actors.farming.farmer import FarmerService
    from autonomys.actors.messages import FarmerStatus


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


def farmer_status_where(farmer: FarmerService, holds: Callable[[FarmerStatus], bool], deadline: float) -> FarmerStatus:
    """The farmer's first status that `holds` accepts (wait_until: the test fails after `deadline` seconds)."""

    def matching() -> FarmerStatus | None:
        status = farmer.status()
        return status if holds(status) else None

    return wait_until(matching, deadline, lambda: f"farmer status never matched: {farmer.status()}")
