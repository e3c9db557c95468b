"""protocol.dsn.kademlia: k-bucket limits, closest ordering, and iterative lookups over simulated peers."""

from __future__ import annotations

import random

import pytest

from autonomys.protocol.dsn.kademlia import KademliaError, LookupState, PeerRecord, RoutingTable, sort_by_distance
from autonomys.protocol.dsn.piece_cache import (
    InvalidKademliaKey,
    compute_distance,
    compute_kademlia_key,
    compute_peer_id,
)


def make_peer(number: int) -> PeerRecord:
    return PeerRecord(f"peer-{number}", compute_peer_id(number.to_bytes(32, "big")))


PEERS = [make_peer(number) for number in range(400)]
LOCAL = make_peer(10_000)


def test_table_refuses_a_newcomer_when_its_bucket_is_full() -> None:
    table = RoutingTable(LOCAL.peer_id, bucket_size=2)
    by_bucket: dict[int, list[PeerRecord]] = {}
    for peer in PEERS:
        by_bucket.setdefault(table.bucket_of(peer.peer_id), []).append(peer)
    bucket, members = next((bucket, members) for bucket, members in by_bucket.items() if len(members) >= 3)
    first, second, third = members[:3]
    assert table.add(first) and table.add(second)
    assert table.add(third) is False
    assert table.get(third.peer_id) is None
    assert {peer.peer_id for peer in table.peers()} == {first.peer_id, second.peer_id}
    assert table.bucket_sizes() == {bucket: 2}
    # A known peer is refreshed even in a full bucket (and may change its name).
    assert table.add(PeerRecord("renamed", first.peer_id)) is True
    assert table.get(first.peer_id) == PeerRecord("renamed", first.peer_id)
    assert len(table) == 2
    # Removing one makes room for the newcomer.
    assert table.remove(second.peer_id) is True
    assert table.remove(second.peer_id) is False
    assert table.add(third) is True
    assert len(table) == 2


def test_table_never_holds_the_local_peer() -> None:
    table = RoutingTable(LOCAL.peer_id)
    assert table.add(PeerRecord("me", LOCAL.peer_id)) is False
    assert len(table) == 0
    with pytest.raises(KademliaError):
        RoutingTable(LOCAL.peer_id, bucket_size=0)


def test_closest_sorts_by_xor_distance() -> None:
    table = RoutingTable(LOCAL.peer_id, bucket_size=400)
    for peer in PEERS[:100]:
        table.add(peer)
    target = compute_kademlia_key(b"some record")
    closest = table.closest(target, 7)
    expected = sorted(PEERS[:100], key=lambda peer: compute_distance(peer.kademlia_key, target))[:7]
    assert closest == expected
    distances = [compute_distance(peer.kademlia_key, target) for peer in closest]
    assert distances == sorted(distances)
    assert len(table.closest(target, 500)) == 100
    with pytest.raises(InvalidKademliaKey):
        table.closest(b"short", 3)
    with pytest.raises(KademliaError):
        table.closest(target, 0)


class SimulatedNetwork:
    """40 peers, each with a small routing table (2 per bucket, filled in a random order)."""

    def __init__(self, peers: list[PeerRecord], seed: int, bucket_size: int = 2) -> None:
        generator = random.Random(seed)
        self.peers = {peer.peer_id: peer for peer in peers}
        self.tables: dict[bytes, RoutingTable] = {}
        for peer in peers:
            table = RoutingTable(peer.peer_id, bucket_size=bucket_size)
            for other in generator.sample(peers, len(peers)):
                table.add(other)
            self.tables[peer.peer_id] = table
        self.down: set[bytes] = set()
        self.queries = 0

    def find_closest(self, peer: PeerRecord, target: bytes, count: int) -> list[PeerRecord]:
        self.queries += 1
        if peer.peer_id in self.down:
            raise ConnectionError(f"{peer.name} is down")
        return self.tables[peer.peer_id].closest(target, count)

    def run_lookup(self, start: PeerRecord, target: bytes, count: int) -> LookupState:
        state = LookupState(target, alpha=3, count=count, initial=self.tables[start.peer_id].closest(target, count))
        while not state.is_finished:
            queries = state.next_queries()
            assert len(queries) > 0, "an unfinished lookup always has someone to ask"
            assert len(queries) <= 3
            for peer in queries:
                try:
                    state.on_response(peer, self.find_closest(peer, target, count))
                except ConnectionError:
                    state.on_failure(peer)
        return state


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lookup_converges_on_the_true_closest_peers(seed: int) -> None:
    peers = PEERS[:40]
    network = SimulatedNetwork(peers, seed)
    assert max(len(table) for table in network.tables.values()) < 20  # each peer knows only a few others
    generator = random.Random(seed)
    for _ in range(10):
        target = compute_kademlia_key(generator.randbytes(16))
        start = generator.choice(peers)
        state = network.run_lookup(start, target, count=4)
        assert state.result() == sort_by_distance(peers, target)[:4]


def test_lookup_tolerates_failed_peers() -> None:
    peers = PEERS[:40]
    network = SimulatedNetwork(peers, seed=7, bucket_size=3)
    target = compute_kademlia_key(b"a piece")
    truth = sort_by_distance(peers, target)
    network.down = {truth[0].peer_id, truth[2].peer_id, truth[5].peer_id}
    start = truth[-1]
    state = network.run_lookup(start, target, count=4)
    alive = [peer for peer in truth if peer.peer_id not in network.down]
    assert state.result() == alive[:4]
    assert not any(peer.peer_id in network.down for peer in state.result())


def test_lookup_state_rules() -> None:
    target = compute_kademlia_key(b"target")
    ranked = sort_by_distance(PEERS[:10], target)
    state = LookupState(target, alpha=2, count=3, initial=ranked[::-1])
    # Nearest unqueried first, never more than alpha in flight.
    assert state.next_queries() == ranked[:2]
    assert state.next_queries() == []
    state.on_failure(ranked[0])
    assert state.next_queries() == [ranked[2]]
    state.on_response(ranked[1], [])
    state.on_response(ranked[2], [])
    assert not state.is_finished  # ranked[3] moved into the closest three after ranked[0] failed
    assert state.next_queries() == [ranked[3]]
    state.on_response(ranked[3], [ranked[0]])  # a failed peer offered again stays failed
    assert state.is_finished
    assert state.result() == ranked[1:4]
    assert state.next_queries() == []


def test_lookup_with_no_peers_is_finished_and_empty() -> None:
    state = LookupState(compute_kademlia_key(b"x"))
    assert state.is_finished
    assert state.result() == []
    with pytest.raises(KademliaError):
        LookupState(compute_kademlia_key(b"x"), alpha=0)
