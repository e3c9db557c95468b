"""The PieceGetter's order, verification, demotion and reconstruction; L1 reads from a plotted farm."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from autonomys.actors.dsn.piece_getter import (
    LastSegmentSource,
    NamedSource,
    PieceGetter,
    PieceSources,
    PieceUnavailable,
)
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.plot_reader import PlotPieceReader
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.protocol.params import MINIMAL
from helpers.farms import plotted_farm
from helpers.history import ArchivedHistory


class CountingSource:
    """A source holding some pieces of `history`, optionally serving a corrupted copy; counts requests."""

    def __init__(self, name: str, history: ArchivedHistory, holds: set[int] | None = None, corrupt: bool = False) -> None:
        self.name = name
        self.history = history
        self.holds = holds
        self.corrupt = corrupt
        self.asked: list[int] = []

    def get_piece(self, piece_index: int) -> bytes | None:
        self.asked.append(piece_index)
        if self.holds is not None and piece_index not in self.holds:
            return None
        piece = self.history.get_piece(piece_index)
        if piece is None or not self.corrupt:
            return piece
        return bytes([piece[0] ^ 1]) + piece[1:]


class FailingSource:
    name = "failing"

    def get_piece(self, piece_index: int) -> bytes | None:
        raise ConnectionError("peer gone")


class Directory:
    def __init__(self, providers: Sequence[CountingSource]) -> None:
        self.list = list(providers)

    def providers(self, piece_index: int) -> Sequence[CountingSource]:
        return self.list


def make_getter(history: ArchivedHistory, setup: KzgSetup, sources: PieceSources, **options: object) -> PieceGetter:
    return PieceGetter(MINIMAL, load_kzg(setup), history, sources, **options)  # type: ignore[arg-type]


def test_order_stops_at_the_first_tier_with_a_valid_piece(history: ArchivedHistory, setup: KzgSetup) -> None:
    local = CountingSource("local", history, holds=set())
    peer = CountingSource("peer", history)
    node = CountingSource("node", history)
    getter = make_getter(history, setup, PieceSources(local=[local], l2=Directory([peer]), node=[node]))
    assert getter.fetch(3) == history.get_piece(3)
    assert (local.asked, peer.asked, node.asked) == ([3], [3], [])
    assert getter.stats.by_tier["l2"] == 1


def test_a_bad_piece_is_rejected_and_its_source_demoted(history: ArchivedHistory, setup: KzgSetup) -> None:
    liar = CountingSource("liar", history, corrupt=True)
    honest = CountingSource("honest", history)
    getter = make_getter(history, setup, PieceSources(l2=Directory([liar, honest])), ban_after=2)
    assert getter.fetch(1) == history.get_piece(1)
    assert getter.source_records()["liar"].invalid == 1
    # Demoted: the honest peer is now asked first.
    assert getter.fetch(2) == history.get_piece(2)
    assert liar.asked == [1]
    # A demoted source is still asked when nobody better has the piece; a second bad piece bans it.
    honest.holds = set(range(MINIMAL.num_pieces)) - {3}
    assert getter.fetch(3) == history.get_piece(3)  # rebuilt from the honest copies of the segment
    assert liar.asked[:2] == [1, 3]
    assert getter.source_records()["liar"].invalid == 2
    asked = len(liar.asked)
    getter.fetch(4)
    assert len(liar.asked) == asked


def test_failing_sources_are_skipped(history: ArchivedHistory, setup: KzgSetup) -> None:
    node = CountingSource("node", history)
    getter = make_getter(history, setup, PieceSources(local=[FailingSource()], node=[node]))
    assert getter.fetch(0) == history.get_piece(0)
    assert getter.source_records()["failing"].failures == 1


def test_retries_repeat_the_fast_tiers_with_backoff_after_a_failure(history: ArchivedHistory, setup: KzgSetup) -> None:
    node = CountingSource("node", history, holds=set())
    delays: list[float] = []
    getter = make_getter(
        history, setup, PieceSources(local=[FailingSource()], node=[node]), retries=2, retry_delay_seconds=0.1,
        reconstruct=False, sleep=delays.append,
    )  # fmt: skip
    with pytest.raises(PieceUnavailable, match="node"):
        getter.fetch(5)
    assert node.asked == [5, 5, 5]
    assert delays == [0.1, 0.2]
    assert getter.get_piece(5) is None


def test_no_retry_when_every_source_says_it_has_no_copy(history: ArchivedHistory, setup: KzgSetup) -> None:
    node = CountingSource("node", history, holds=set())
    delays: list[float] = []
    getter = make_getter(history, setup, PieceSources(node=[node]), retries=2, reconstruct=False, sleep=delays.append)
    assert getter.get_piece(5) is None
    assert (node.asked, delays) == ([5], [])


def test_reconstruction_from_half_of_the_segment(history: ArchivedHistory, setup: KzgSetup) -> None:
    """Piece 3 is nowhere; the getter gathers 8 other pieces of segment 0 (source first) and rebuilds it."""
    holder = CountingSource("holder", history, holds={index for index in range(16) if index != 3})
    getter = make_getter(history, setup, PieceSources(farmers=[holder]))
    assert getter.fetch(3) == history.get_piece(3)
    assert getter.stats.by_tier["reconstruction"] == 1
    assert len(set(holder.asked) - {3}) == MINIMAL.num_pieces // 2


def test_reconstruction_checks_only_the_rebuilt_piece(history: ArchivedHistory, setup: KzgSetup) -> None:
    """The gathered pieces are not checked one by one: a bad one cannot give a valid rebuilt piece."""
    holder = CountingSource("holder", history, holds={index for index in range(16) if index != 3})
    getter = make_getter(history, setup, PieceSources(farmers=[holder]))
    checked: list[int] = []
    is_valid = getter._is_valid
    getter._is_valid = lambda piece, index, commitment: checked.append(index) or is_valid(piece, index, commitment)  # type: ignore[method-assign]
    assert getter.fetch(3) == history.get_piece(3)
    assert checked == [3]


def test_a_bad_gathered_piece_makes_reconstruction_check_each(history: ArchivedHistory, setup: KzgSetup) -> None:
    """The rebuilt piece fails its check, so the pieces are gathered again, each checked; the liar is demoted."""
    liar = CountingSource("liar", history, holds={0}, corrupt=True)
    holder = CountingSource("holder", history, holds={index for index in range(16) if index != 3})
    getter = make_getter(history, setup, PieceSources(local=[liar], farmers=[holder]))
    assert getter.fetch(3) == history.get_piece(3)
    assert getter.stats.by_tier["reconstruction"] == 1
    assert getter.source_records()["liar"].invalid == 1
    assert liar.asked.count(0) == 2  # in both gatherings
    assert holder.asked.count(0) == 1  # in the checked gathering, the liar's copy of piece 0 was rejected


def count_checks(getter: PieceGetter) -> tuple[list[int], list[int]]:
    """(piece indexes checked one by one, sizes of the batches checked together), as the getter checks them."""
    single: list[int] = []
    batches: list[int] = []
    is_valid, is_batch_valid = getter._is_valid, getter._is_batch_valid
    getter._is_valid = lambda piece, index, commitment: single.append(index) or is_valid(piece, index, commitment)  # type: ignore[method-assign]
    getter._is_batch_valid = lambda pieces, *rest: batches.append(len(pieces)) or is_batch_valid(pieces, *rest)  # type: ignore[method-assign]
    return single, batches


def test_get_pieces_checks_a_batch_at_once(history: ArchivedHistory, setup: KzgSetup) -> None:
    node = CountingSource("node", history)
    getter = make_getter(history, setup, PieceSources(node=[node]), batch_size=16)
    single, batches = count_checks(getter)
    indexes = list(range(20))
    assert getter.get_pieces(indexes) == [history.get_piece(index) for index in indexes]
    assert (single, batches) == ([], [16, 4])
    assert getter.stats.by_tier["node"] == 20 and getter.source_records()["node"].served == 20


def test_a_failed_batch_is_checked_piece_by_piece(history: ArchivedHistory, setup: KzgSetup) -> None:
    liar = CountingSource("liar", history, holds={2}, corrupt=True)
    honest = CountingSource("honest", history)
    getter = make_getter(history, setup, PieceSources(local=[liar], node=[honest]))
    single, batches = count_checks(getter)
    assert getter.get_pieces([1, 2, 3]) == [history.get_piece(index) for index in (1, 2, 3)]
    assert batches == [3]
    assert single == [1, 2, 2, 3]  # piece 2: the liar's copy, rejected, then the honest one
    assert getter.source_records()["liar"].invalid == 1
    assert getter.stats.by_tier == {**getter.stats.by_tier, "local": 0, "node": 3}


def test_get_pieces_reconstructs_the_missing_and_skips_the_unarchived(history: ArchivedHistory, setup: KzgSetup) -> None:
    holder = CountingSource("holder", history, holds={index for index in range(16) if index != 3})
    getter = make_getter(history, setup, PieceSources(farmers=[holder]))
    unarchived = history.history_size() * MINIMAL.num_pieces
    pieces = getter.get_pieces([2, 3, unarchived])
    assert pieces == [history.get_piece(2), history.get_piece(3), None]
    assert getter.stats.by_tier["reconstruction"] == 1


def test_too_few_pieces_to_reconstruct(history: ArchivedHistory, setup: KzgSetup) -> None:
    holder = CountingSource("holder", history, holds=set(range(7)))
    getter = make_getter(history, setup, PieceSources(farmers=[holder]))
    with pytest.raises(PieceUnavailable, match="reconstruction"):
        getter.fetch(9)


def test_unarchived_segment_is_unavailable(history: ArchivedHistory, setup: KzgSetup) -> None:
    getter = make_getter(history, setup, PieceSources(node=[CountingSource("node", history)]))
    with pytest.raises(PieceUnavailable, match="not archived"):
        getter.fetch(MINIMAL.num_pieces * 50)


def test_the_node_serves_only_its_last_segment(history: ArchivedHistory) -> None:
    node = LastSegmentSource("node", MINIMAL, history.get_piece, history.history_size)
    last = history.history_size() - 1
    assert node.get_piece(last * MINIMAL.num_pieces + 2) == history.get_piece(last * MINIMAL.num_pieces + 2)
    assert node.get_piece(0 if last > 0 else -1 + MINIMAL.num_pieces * 9) is None


def test_named_source_wraps_a_callable(history: ArchivedHistory) -> None:
    assert NamedSource("archive", history.get_piece).get_piece(1) == history.get_piece(1)


@pytest.fixture(scope="module")
def farm_path(tmp_path_factory: pytest.TempPathFactory, history: ArchivedHistory, setup: KzgSetup) -> Path:
    return plotted_farm(tmp_path_factory.mktemp("farm"), history, setup, sectors=2, params=MINIMAL)


def test_plot_reader_returns_every_plotted_piece(farm_path: Path, history: ArchivedHistory) -> None:
    with Farm.open(farm_path) as farm:
        reader = PlotPieceReader(farm)
        indexes = reader.piece_indexes()
        assert len(indexes) > 0
        for piece_index in sorted(indexes):
            assert reader.get_piece(piece_index) == history.get_piece(piece_index)
        missing = next(index for index in range(10_000) if index not in indexes)
        assert reader.get_piece(missing) is None


def test_plot_reader_skips_a_corrupt_sector(tmp_path: Path, farm_path: Path) -> None:
    copy = tmp_path / "farm"
    shutil.copytree(farm_path, copy)
    with Farm.open(copy) as farm:
        reader = PlotPieceReader(farm)
        piece_index = min(reader.piece_indexes())
        location = reader.locate(piece_index)[0]
        sector_offset = location.sector_index * farm.sector_size
    with open(copy / "plot.bin", "r+b") as plot:
        plot.seek(sector_offset)
        data = bytearray(plot.read(farm.sector_size))
        for position in range(0, len(data), 64):
            data[position] ^= 0xFF
        plot.seek(sector_offset)
        plot.write(data)
    with Farm.open(copy) as farm:
        reader = PlotPieceReader(farm)
        others = [loc for loc in reader.locate(piece_index) if loc.sector_index != location.sector_index]
        assert (reader.get_piece(piece_index) is None) == (not others)
        assert reader.failures >= 1
