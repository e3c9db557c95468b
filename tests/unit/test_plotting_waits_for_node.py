"""A farmer started before its node (or while the node restarts) waits for it and says so; real errors still show."""

from __future__ import annotations

from pathlib import Path

import pytest

from autonomys.actors.clock import ManualClock
from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer import FarmerConfig, FarmerService
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.plotting.plotter import LocalRecordEncoder
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.params import MINIMAL
from helpers.farms import farm_size, farmer_status_where
from helpers.history import ArchivedHistory
from helpers.links import LocalLinks

SECTORS = 2
WAIT = 30.0


class NodeHistory:
    """The node's history as a farmer sees it through its handle: ActorUnavailable until the node is up."""

    def __init__(self, history: ArchivedHistory) -> None:
        self.history = history
        self.up = False

    def history_size(self) -> int:
        self._check()
        return self.history.history_size()

    def segment_commitment(self, segment_index: int) -> bytes | None:
        self._check()
        return self.history.segment_commitment(segment_index)

    def _check(self) -> None:
        if not self.up:
            raise ActorUnavailable("no actor named 'node'")


class UnavailablePieces:
    """A piece source whose actor is gone: an unavailable actor other than the node."""

    def get_piece(self, piece_index: int) -> bytes | None:
        raise ActorUnavailable("no actor named 'cache-0'")


@pytest.fixture
def farm_path(tmp_path: Path) -> Path:
    path = tmp_path / "farm"
    Farm.create_or_open(path, farm_size(SECTORS, MINIMAL), MINIMAL).close()
    return path


def start(farm_path: Path, setup: KzgSetup, pieces: object, history: object) -> FarmerService:
    config = FarmerConfig(str(farm_path), solution_range=U64_MAX, kzg_setup=setup)
    encoder = LocalRecordEncoder(MINIMAL, setup)
    return FarmerService(config, LocalLinks(), clock=ManualClock(), encoder=encoder, pieces=pieces, history=history)


def test_plotting_waits_for_the_node_then_plots(farm_path: Path, history: ArchivedHistory, setup: KzgSetup) -> None:
    node = NodeHistory(history)
    farmer = start(farm_path, setup, pieces=history, history=node)
    try:
        status = farmer_status_where(farmer, lambda s: s.plotting == "waiting for the node", WAIT)
        assert "ActorUnavailable" not in status.plotting and status.last_error == ""
        assert farmer._plotting_loop is not None and farmer._plotting_loop.last_error is None
        node.up = True  # the node started: the loop tries again within a second, unprompted
        status = farmer_status_where(farmer, lambda s: s.plotting == f"idle ({SECTORS}/{SECTORS} plotted)", WAIT)
        assert status.sectors_plotted == SECTORS
        assert status.last_error == ""  # the wait left no warning behind (sector states included)
    finally:
        farmer.shutdown()


def test_another_unavailable_actor_is_still_an_error(
    farm_path: Path, history: ArchivedHistory, setup: KzgSetup
) -> None:
    farmer = start(farm_path, setup, pieces=UnavailablePieces(), history=history)
    try:
        status = farmer_status_where(farmer, lambda s: s.plotting.startswith("error:"), WAIT)
        assert "cache-0" in status.plotting
        assert status.plotting != "waiting for the node"
    finally:
        farmer.shutdown()
