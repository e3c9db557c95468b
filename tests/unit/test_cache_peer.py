"""actors.dsn.peer_identity, actors.dsn.piece_cache and actors.dsn.cache_peer: storage, syncing, verification, routing."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from autonomys.actors.dsn.cache_peer import CachePeer, CachePeerConfig
from autonomys.actors.dsn.peer_identity import (
    PeerIdentity,
    PeerIdentityError,
    verify_peer_signature,
    write_seed_durably,
)
from autonomys.actors.dsn.piece_cache import CACHE_FILE, CacheFull, PieceCacheStore, WrongPieceSize
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.messages import SegmentHeaderNotification
from autonomys.protocol.archiving.archived_segment import is_piece_valid
from autonomys.protocol.dsn.piece_cache import compute_kademlia_key, compute_piece_distance, select_closest_pieces
from autonomys.protocol.params import MINIMAL
from helpers.history import ArchivedHistory, archived_history
from helpers.links import LocalLinks
from helpers.waiting import wait_until

PIECE_SIZE = MINIMAL.piece_size
CAPACITY = 8
WAIT = 10.0


def piece_of(byte: int) -> bytes:
    return bytes([byte]) * PIECE_SIZE


# ---- PeerIdentity ----


def test_identity_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "peer.key"
    created = PeerIdentity.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_bytes()) == 32
    assert not path.with_suffix(".tmp").exists()
    again = PeerIdentity.load_or_create(path)
    assert again.peer_id == created.peer_id == PeerIdentity.load(path).peer_id
    assert created.peer_id[:6] == bytes.fromhex("002408011220") and created.peer_id[6:] == created.public_key


def test_identity_signs_verifiably(tmp_path: Path) -> None:
    identity = PeerIdentity(bytes(range(32)))
    signature = identity.sign(b"hello")
    assert verify_peer_signature(identity.public_key, b"hello", signature)
    assert not verify_peer_signature(identity.public_key, b"hellO", signature)
    assert not verify_peer_signature(identity.public_key, b"hello", signature[:63])
    assert "peer_id" in repr(identity) and bytes(range(32)).hex() not in repr(identity)


def test_identity_load_rejects_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(PeerIdentityError):
        PeerIdentity.load(tmp_path / "missing.key")
    short = tmp_path / "short.key"
    short.write_bytes(b"\x01" * 31)
    with pytest.raises(PeerIdentityError):
        PeerIdentity.load(short)
    with pytest.raises(PeerIdentityError):
        PeerIdentity.load_or_create(short)
    assert short.read_bytes() == b"\x01" * 31  # a bad file is never overwritten


# ---- PieceCacheStore ----


def test_store_round_trip_and_reopen(tmp_path: Path) -> None:
    store = PieceCacheStore(tmp_path, MINIMAL, 4)
    assert (tmp_path / CACHE_FILE).stat().st_size == 4 * PIECE_SIZE
    assert store.put(100, piece_of(1), 11) == 0
    assert store.put(7, piece_of(2), 22) == 1
    assert store.get(100) == piece_of(1) and store.get(7) == piece_of(2) and store.get(8) is None
    assert store.contents() == {100: 11, 7: 22}
    store.close()
    reopened = PieceCacheStore(tmp_path, MINIMAL, 4)
    assert reopened.contents() == {100: 11, 7: 22}
    assert reopened.get(7) == piece_of(2)
    assert reopened.free_slots == 2
    reopened.close()


def test_eviction_frees_the_slot_for_reuse(tmp_path: Path) -> None:
    store = PieceCacheStore(tmp_path, MINIMAL, 2)
    store.put(1, piece_of(1), 1)
    store.put(2, piece_of(2), 2)
    with pytest.raises(CacheFull):
        store.put(3, piece_of(3), 3)
    slot = store.slot_of(1)
    assert store.evict(1) is True and store.evict(1) is False
    assert store.get(1) is None
    assert store.put(3, piece_of(3), 3) == slot
    assert store.get(3) == piece_of(3) and store.get(2) == piece_of(2)
    store.close()


def test_unmapped_slot_bytes_are_ignored_on_reopen(tmp_path: Path) -> None:
    store = PieceCacheStore(tmp_path, MINIMAL, 2)
    store.put(5, piece_of(5), 5)
    store.close()
    # A crash after writing slot 1 but before recording its mapping: the slot stays free.
    with open(tmp_path / CACHE_FILE, "r+b") as file:
        os.pwrite(file.fileno(), piece_of(9), PIECE_SIZE)
    reopened = PieceCacheStore(tmp_path, MINIMAL, 2)
    assert reopened.contents() == {5: 5}
    assert reopened.free_slots == 1
    reopened.close()


def test_capacity_shrink_drops_pieces_beyond_it_and_growth_extends(tmp_path: Path) -> None:
    store = PieceCacheStore(tmp_path, MINIMAL, 4)
    for index in range(4):
        store.put(index, piece_of(index), index)
    store.close()
    smaller = PieceCacheStore(tmp_path, MINIMAL, 2)
    assert smaller.contents() == {0: 0, 1: 1}
    assert (tmp_path / CACHE_FILE).stat().st_size == 2 * PIECE_SIZE
    assert smaller.free_slots == 0
    smaller.close()
    larger = PieceCacheStore(tmp_path, MINIMAL, 5)
    assert larger.contents() == {0: 0, 1: 1}
    assert (tmp_path / CACHE_FILE).stat().st_size == 5 * PIECE_SIZE
    assert larger.free_slots == 3
    assert larger.get(1) == piece_of(1)
    larger.close()


def test_wrong_piece_size_is_rejected_and_nothing_written(tmp_path: Path) -> None:
    store = PieceCacheStore(tmp_path, MINIMAL, 2)
    before = (tmp_path / CACHE_FILE).read_bytes()
    for bad in (b"\x07" * (PIECE_SIZE - 1), b"\x07" * (PIECE_SIZE + 1)):
        with pytest.raises(WrongPieceSize):
            store.put(1, bad, 1)
    assert issubclass(WrongPieceSize, ValueError)
    assert (tmp_path / CACHE_FILE).read_bytes() == before
    assert store.contents() == {} and store.free_slots == 2
    store.close()


# ---- CachePeer ----


class CountingGetter:
    """A PieceGetter over the history that counts requests and can corrupt or withhold pieces."""

    def __init__(self, history: ArchivedHistory, corrupt: bool = False, missing: bool = False) -> None:
        self.history = history
        self.corrupt = corrupt
        self.missing = missing
        self.requests: list[int] = []

    def get_piece(self, piece_index: int) -> bytes | None:
        self.requests.append(piece_index)
        piece = self.history.get_piece(piece_index)
        if self.missing or piece is None:
            return None
        if self.corrupt:
            return piece[:100] + bytes([piece[100] ^ 1]) + piece[101:]
        return piece


class RaisingGetter:
    def get_piece(self, piece_index: int) -> bytes | None:
        raise ConnectionError("no source answers")


def make_peer(
    directory: Path,
    setup: KzgSetup,
    pieces: object,
    headers: Callable[[int], list],
    seed: int = 1,
    name: str = "cache-0",
    capacity: int = CAPACITY,
    bootstrap: tuple[str, ...] = (),
    resolver: Callable[[str], object] | None = None,
) -> CachePeer:
    key = directory / "peer.key"
    if not key.exists():
        directory.mkdir(parents=True, exist_ok=True)
        write_seed_durably(key, bytes([seed]) * 32)
    config = CachePeerConfig(name, str(directory), MINIMAL, setup, capacity, bootstrap)
    return CachePeer(config, pieces, headers, resolver if resolver is not None else LocalLinks().cache_peer)  # type: ignore[arg-type]


def test_sync_stores_exactly_the_closest_valid_pieces(
    tmp_path: Path, setup: KzgSetup, history: ArchivedHistory
) -> None:
    getter = CountingGetter(history)
    peer = make_peer(tmp_path, setup, getter, history.archiver.segment_headers)
    expected = select_closest_pieces(peer.peer_id(), range(2 * MINIMAL.num_pieces), CAPACITY)
    assert peer.sync_once() == CAPACITY
    assert set(peer.store.contents()) == set(expected)
    assert sorted(getter.requests) == sorted(expected)
    kzg = load_kzg(setup)
    for index in expected:
        piece = peer.get_piece(index)
        assert piece == history.get_piece(index)
        commitment = history.segment_commitment(index // MINIMAL.num_pieces)
        assert is_piece_valid(kzg, piece, commitment, index % MINIMAL.num_pieces, MINIMAL)
        assert peer.store.contents()[index] == compute_piece_distance(index, peer.peer_id())
    not_cached = next(index for index in range(32) if index not in expected)
    assert peer.get_piece(not_cached) is None
    status = peer.status()
    assert (status.stored, status.wanted, status.segments_known, status.synced) == (CAPACITY, CAPACITY, 2, 1.0)
    assert (status.failed, status.served, status.capacity) == (0, CAPACITY, CAPACITY)
    assert status.peer_id == peer.peer_id().hex()
    assert peer.sync_once() == 0  # nothing new to do
    assert len(getter.requests) == CAPACITY
    peer.shutdown()


def test_a_new_segment_inserts_closer_pieces_and_evicts_the_farthest(tmp_path: Path, setup: KzgSetup) -> None:
    growing = archived_history(tmp_path / "archive", MINIMAL, load_kzg(setup), segments=2)
    # The header source lags behind: only the notification tells the peer about segment 2.
    lagging = lambda first: [header for header in growing.archiver.segment_headers(first) if header.segment_index < 2]  # noqa: E731
    peer = make_peer(tmp_path / "peer", setup, growing, lagging, seed=3)
    peer.sync_once()
    before = set(peer.store.contents())
    growing.extend_to(3)
    peer.on_segment_header(SegmentHeaderNotification(growing.archiver.segment_header(2)))
    after_expected = set(select_closest_pieces(peer.peer_id(), range(3 * MINIMAL.num_pieces), CAPACITY))
    evicted = before - after_expected
    assert len(evicted) == 4  # with this peer id, four pieces of segment 2 are closer
    stored = peer.sync_once()
    assert stored == len(evicted)
    assert set(peer.store.contents()) == after_expected
    assert set(peer.last_plan_evicted) == evicted
    assert all(index >= 2 * MINIMAL.num_pieces for index in after_expected - before)
    assert peer.status().segments_known == 3
    peer.shutdown()


def test_corrupted_or_missing_pieces_are_rejected_and_retried(
    tmp_path: Path, setup: KzgSetup, history: ArchivedHistory
) -> None:
    corrupting = CountingGetter(history, corrupt=True)
    peer = make_peer(tmp_path, setup, corrupting, history.archiver.segment_headers)
    assert peer.sync_once() == 0
    assert peer.store.contents() == {}
    assert peer.get_piece(corrupting.requests[0]) is None
    status = peer.status()
    assert (status.stored, status.wanted, status.failed, status.synced) == (0, CAPACITY, CAPACITY, 0.0)
    peer.pieces = CountingGetter(history, missing=True)
    assert peer.sync_once() == 0
    assert peer.status().failed == 2 * CAPACITY
    peer.pieces = RaisingGetter()
    assert peer.sync_once() == 0
    assert peer.status().failed == 3 * CAPACITY
    honest = CountingGetter(history)
    peer.pieces = honest
    assert peer.sync_once() == CAPACITY
    assert sorted(honest.requests) == sorted(corrupting.requests)
    assert peer.status().synced == 1.0
    peer.shutdown()


def test_restart_keeps_identity_and_pieces_and_fetches_only_what_is_missing(
    tmp_path: Path, setup: KzgSetup, history: ArchivedHistory
) -> None:
    first = make_peer(tmp_path, setup, CountingGetter(history), history.archiver.segment_headers, seed=5)
    first.sync_once()
    peer_id, contents = first.peer_id(), first.store.contents()
    lost = min(contents)
    first.store.evict(lost)
    first.shutdown()
    getter = CountingGetter(history)
    config = CachePeerConfig("cache-0", str(tmp_path), MINIMAL, setup, CAPACITY)
    second = CachePeer(config, getter, history.archiver.segment_headers, LocalLinks().cache_peer)
    assert second.peer_id() == peer_id
    assert set(second.store.contents()) == set(contents) - {lost}
    assert second.sync_once() == 1
    assert getter.requests == [lost]
    assert second.store.contents() == contents
    second.shutdown()


def test_background_sync_runs_and_wakes_on_a_segment_header(tmp_path: Path, setup: KzgSetup) -> None:
    growing = archived_history(tmp_path / "archive", MINIMAL, load_kzg(setup), segments=2)
    peer = make_peer(tmp_path / "peer", setup, growing, growing.archiver.segment_headers, seed=3)
    peer.start(interval_seconds=60)
    wait_until(lambda: peer.status().stored == CAPACITY, WAIT, lambda: f"the first background sync: {peer.status()}")
    growing.extend_to(3)
    peer.on_segment_header(SegmentHeaderNotification(growing.archiver.segment_header(2)))
    wait_until(
        lambda: (s := peer.status()).segments_known == 3 and s.synced == 1.0,
        WAIT,
        lambda: f"the sync of the third segment: {peer.status()}",
    )
    peer.shutdown()
    assert set(select_closest_pieces(peer.peer_id(), range(48), CAPACITY)) == set(peer.store.contents())


class BrokenLink:
    def peer_id(self) -> bytes:
        raise ConnectionError("down")

    def find_closest(self, kademlia_key: bytes, count: int) -> list[tuple[str, bytes]]:
        raise ConnectionError("down")

    def get_piece(self, piece_index: int) -> bytes | None:
        raise ConnectionError("down")

    def add_peer(self, name: str, peer_id: bytes) -> None:
        raise ConnectionError("down")


def test_join_and_lookup_find_the_closest_peers(tmp_path: Path, setup: KzgSetup, history: ArchivedHistory) -> None:
    network: dict[str, object] = {}
    peers = []
    for number in range(8):
        bootstrap = () if number == 0 else ("cache-0", "cache-gone")
        name = f"cache-{number}"
        peer = make_peer(
            tmp_path / name, setup, history, history.archiver.segment_headers, seed=10 + number, name=name,
            capacity=1, bootstrap=bootstrap, resolver=network.__getitem__,
        )  # fmt: skip
        network[name] = peer
        peers.append(peer)
    for peer in peers:
        report = peer.join()
        if peer.name != "cache-0":
            assert report.reached == ("cache-0",)
            assert report.unreachable == ("cache-gone",)
    assert all(peer.status().routing_table_size >= 4 for peer in peers)
    everyone = [(peer.name, peer.peer_id()) for peer in peers]
    for text in (b"one", b"two", b"three"):
        key = compute_kademlia_key(text)
        truth = sorted(
            everyone,
            key=lambda entry: int.from_bytes(compute_kademlia_key(entry[1]), "big") ^ int.from_bytes(key, "big"),
        )
        for peer in (peers[0], peers[7]):
            assert peer.lookup(key, count=3) == truth[:3]
        assert peers[3].find_closest(key, 8)[0] in everyone
    # A peer that stops answering is dropped from the table and from results.
    victim = peers[5]
    network[victim.name] = BrokenLink()
    key = compute_kademlia_key(victim.peer_id())
    found = peers[1].lookup(key, count=3)
    assert victim.peer_id() not in {peer_id for _, peer_id in found}
    assert peers[1].routing.get(victim.peer_id()) is None
    alive = [entry for entry in everyone if entry[0] != victim.name]
    distance = lambda entry: int.from_bytes(compute_kademlia_key(entry[1]), "big") ^ int.from_bytes(key, "big")  # noqa: E731
    assert found == sorted(alive, key=distance)[:3]
    for peer in peers:
        peer.shutdown()


def test_a_restarted_peer_rejoins_the_dsn_by_itself(tmp_path: Path, setup: KzgSetup, history: ArchivedHistory) -> None:
    """The routing table lives in memory: a peer Ray restarts starts alone, and its sync loop joins again."""
    network: dict[str, object] = {}
    first = make_peer(tmp_path / "a", setup, history, history.archiver.segment_headers, seed=21, name="cache-a",
                      capacity=1, resolver=network.__getitem__)  # fmt: skip
    network["cache-a"] = first
    restarted = make_peer(tmp_path / "b", setup, history, history.archiver.segment_headers, seed=22, name="cache-b",
                          capacity=1, bootstrap=("cache-a",), resolver=network.__getitem__)  # fmt: skip
    network["cache-b"] = restarted
    assert restarted.status().routing_table_size == 0
    restarted.start(interval_seconds=60)  # the first round at once
    wait_until(
        lambda: restarted.status().routing_table_size == 1 and first.status().routing_table_size == 1,
        WAIT,
        lambda: f"the restarted peer to rejoin: {restarted.status()}, {first.status()}",
    )
    for peer in (first, restarted):
        peer.shutdown()
