"""The DSN in one process: cache peers synced from history, found by a client-side Kademlia directory, and
a PieceGetter that still returns every piece with a third of the peers gone or one peer lying."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from autonomys.actors.dsn.cache_peer import CachePeer, CachePeerConfig
from autonomys.actors.dsn.directory import DsnDirectory
from autonomys.actors.dsn.peer_identity import write_seed_durably
from autonomys.actors.dsn.piece_getter import NamedSource, PieceGetter, PieceSources
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.protocol.dsn.kademlia import PeerRecord
from autonomys.protocol.dsn.piece_cache import compute_distance, compute_kademlia_key, compute_piece_record_key
from autonomys.protocol.params import MINIMAL
from helpers.history import ArchivedHistory

PEERS = 6
CAPACITY = 20  # of the 32 pieces of two segments: each piece is on ~3.75 peers


class Down:
    """A killed peer: every call fails."""

    def __getattr__(self, name: str) -> Callable[..., object]:
        def fail(*args: object) -> object:
            raise ConnectionError("peer is down")

        return fail


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory, setup: KzgSetup, history: ArchivedHistory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("dsn")
    links: dict[str, object] = {}
    names = [f"cache-{number}" for number in range(PEERS)]
    for number, name in enumerate(names):
        directory = root / name
        directory.mkdir()
        write_seed_durably(directory / "peer.key", bytes([40 + number]) * 32)
        config = CachePeerConfig(name, str(directory), MINIMAL, setup, CAPACITY, tuple(n for n in names if n != name))
        links[name] = CachePeer(config, history, history.archiver.segment_headers, links.__getitem__)  # type: ignore[arg-type]
    for name in names:
        peer = links[name]
        assert isinstance(peer, CachePeer)
        peer.join()
        assert peer.sync_once() == CAPACITY
    return links


def directory_for(network: dict[str, object]) -> DsnDirectory:
    return DsnDirectory(["cache-0"], network.__getitem__)  # type: ignore[arg-type]


def test_directory_learns_every_peer_from_one_bootstrap(network: dict[str, object]) -> None:
    directory = directory_for(network)
    assert directory.refresh() == PEERS


def test_providers_are_the_peers_nearest_to_the_piece_key(network: dict[str, object]) -> None:
    directory = directory_for(network)
    key = compute_kademlia_key(compute_piece_record_key(7))
    names = [source.name for source in directory.providers(7)]
    ids = {name: peer.peer_id() for name, peer in network.items()}  # type: ignore[attr-defined]
    expected = sorted(ids, key=lambda name: compute_distance(PeerRecord(name, ids[name]).kademlia_key, key))
    assert names == expected


def test_every_piece_from_l2_alone(network: dict[str, object], history: ArchivedHistory, setup: KzgSetup) -> None:
    getter = PieceGetter(MINIMAL, load_kzg(setup), history, PieceSources(l2=directory_for(network)))
    for index in range(2 * MINIMAL.num_pieces):
        assert getter.fetch(index) == history.get_piece(index)
    assert getter.stats.by_tier["l2"] + getter.stats.by_tier["reconstruction"] == 2 * MINIMAL.num_pieces


def test_a_third_of_the_peers_down_loses_nothing(
    network: dict[str, object], history: ArchivedHistory, setup: KzgSetup
) -> None:
    degraded = dict(network)
    for name in ("cache-1", "cache-4"):
        degraded[name] = Down()
    getter = PieceGetter(MINIMAL, load_kzg(setup), history, PieceSources(l2=directory_for(degraded)))
    for index in range(2 * MINIMAL.num_pieces):
        assert getter.fetch(index) == history.get_piece(index)
    assert getter.stats.unavailable == 0


def test_a_corrupted_cached_piece_is_served_from_elsewhere(
    tmp_path: Path, network: dict[str, object], history: ArchivedHistory, setup: KzgSetup
) -> None:
    directory = directory_for(network)
    index = next(i for i in range(32) if directory.providers(i)[0].name in {n for n, p in network.items() if i in p.store})  # type: ignore[attr-defined]
    liar_name = directory.providers(index)[0].name
    liar = network[liar_name]
    assert isinstance(liar, CachePeer)
    good = liar.get_piece(index)
    assert good is not None
    slot = liar.store.slot_of(index)
    path = Path(liar.config.directory) / "cache" / "cache.bin"
    with open(path, "r+b") as cache:
        cache.seek(slot * MINIMAL.piece_size + 100)
        byte = cache.read(1)
        cache.seek(slot * MINIMAL.piece_size + 100)
        cache.write(bytes([byte[0] ^ 0x55]))
    try:
        getter = PieceGetter(MINIMAL, load_kzg(setup), history, PieceSources(l2=directory))
        assert getter.fetch(index) == history.get_piece(index)
        assert getter.source_records()[liar_name].invalid == 1
    finally:
        with open(path, "r+b") as cache:
            cache.seek(slot * MINIMAL.piece_size + 100)
            cache.write(byte)


def test_a_peer_filled_through_a_piece_getter_checks_each_piece_once(
    tmp_path: Path, history: ArchivedHistory, setup: KzgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The getter checks every piece it returns; the peer does not check it a second time (one MSM each)."""
    import autonomys.actors.dsn.cache_peer as cache_peer_module

    own_checks: list[int] = []
    original = cache_peer_module.is_piece_valid
    monkeypatch.setattr(
        cache_peer_module, "is_piece_valid", lambda *args: own_checks.append(1) or original(*args)  # type: ignore[func-returns-value]
    )
    getter = PieceGetter(MINIMAL, load_kzg(setup), history, PieceSources(node=[NamedSource("archive", history.get_piece)]))
    config = CachePeerConfig("cache-solo", str(tmp_path / "solo"), MINIMAL, setup, 6)
    peer = CachePeer(config, getter, history.archiver.segment_headers, lambda name: None)  # type: ignore[arg-type,return-value]
    assert peer.sync_once() == 6
    assert own_checks == []
    assert getter.stats.by_tier["node"] == 6
    assert all(peer.get_piece(index) == history.get_piece(index) for index in peer.store.contents())
    peer.shutdown()
