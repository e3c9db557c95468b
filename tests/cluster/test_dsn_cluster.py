"""The DSN on a real local Ray instance: six cache peer actors fill themselves as segments are archived; with
a third of them killed every piece of every segment is still retrievable (from other peers or by
reconstruction); a peer that was down while a segment was archived resyncs it on restart; a corrupted piece
on one peer is detected, served from elsewhere, and the peer demoted."""

from __future__ import annotations

import uuid
from hashlib import sha256
from pathlib import Path

import pytest

from autonomys.actors.archiving.archiver import ArchiverConfig
from autonomys.actors.archiving.history import HeadersHistory, synthetic_block
from autonomys.actors.dsn.cache_peer import IDENTITY_FILE, CachePeerConfig
from autonomys.actors.dsn.cache_peer_service import CachePeerServiceConfig
from autonomys.actors.dsn.directory import DsnDirectory, DsnNames
from autonomys.actors.dsn.peer_identity import write_seed_durably
from autonomys.actors.dsn.piece_getter import LastSegmentSource, NamedSource, PieceGetter, PieceSources
from autonomys.actors.handles import CachePeerClient, RayLinks
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.network.compose import create_archiver, create_cache_peer
from autonomys.network.spec import ClusterSpec
from autonomys.protocol.params import MINIMAL
from helpers.waiting import ACTOR_POLL_SECONDS, wait_until

pytestmark = pytest.mark.cluster
TIMEOUT = 120
PEERS = 6
CAPACITY = 24  # of 48 pieces in three segments: each piece is on ~3 peers
# Fixed identities, so which peer caches which piece is the same on every run (random ones left some segment
# without the half it needs once two peers were killed, about one run in ten). With these, peers 1 and 2
# alone hold two pieces of segment 1: those must be rebuilt from the rest of their segment.
IDENTITY_SALT = 9
BLOCK_SIZE = MINIMAL.recorded_history_segment_size // 4


class Network:
    def __init__(self, tmp_path: Path, namespace: str) -> None:
        tag = uuid.uuid4().hex[:6]
        self.spec = ClusterSpec(preset="minimal", namespace=namespace)
        self.setup = KzgSetup(num_g1_powers=MINIMAL.record_num_chunks, cache_dir=str(tmp_path / "kzg"))
        self.archiver_name = f"archiver-{tag}"
        self.archiver = create_archiver(
            self.spec,
            ArchiverConfig(str(tmp_path / "archive"), MINIMAL, self.setup),
            workers=0,
            name=self.archiver_name,
        )
        self.archiver.ready(timeout=TIMEOUT)
        self.names = [f"cache-{tag}-{number}" for number in range(PEERS)]
        # No archive tier: only the DSN (and the node's last segment) may serve pieces here.
        self.dsn = DsnNames(tuple(self.names), None, self.archiver_name, (), archive=False)
        self.tmp_path = tmp_path
        self.peers = {name: self.start_peer(name) for name in self.names}
        for peer in self.peers.values():
            peer.join()
        self.block = 0

    def start_peer(self, name: str) -> CachePeerClient:
        identity_file = self.tmp_path / name / IDENTITY_FILE
        if not identity_file.exists():
            ordinal = self.names.index(name)
            write_seed_durably(
                identity_file, sha256(f"test_dsn_cluster peer {ordinal} salt {IDENTITY_SALT}".encode()).digest()
            )
        bootstrap = tuple(other for other in self.names if other != name)
        peer = CachePeerConfig(name, str(self.tmp_path / name), MINIMAL, self.setup, CAPACITY, bootstrap)
        config = CachePeerServiceConfig(peer, self.archiver_name, self.dsn, sync_interval_seconds=0.5)
        client = create_cache_peer(self.spec, config)
        client.ready(timeout=TIMEOUT)
        self.archiver.subscribe(name, timeout=TIMEOUT)
        return client

    def archive_segment(self) -> None:
        before = len(self.archiver.segment_headers(timeout=TIMEOUT))
        while len(self.archiver.segment_headers(timeout=TIMEOUT)) == before:
            self.archiver.on_confirmed_block(self.block, synthetic_block(self.block, BLOCK_SIZE), timeout=TIMEOUT)
            self.block += 1

    def wait_synced(self, names: list[str]) -> None:
        segments = len(self.archiver.segment_headers(timeout=TIMEOUT))

        def synced() -> bool:
            statuses = [self.peers[name].status(timeout=TIMEOUT) for name in names]
            return all(s.segments_known == segments and s.synced == 1.0 for s in statuses)

        def progress() -> str:
            return f"{names} to sync {segments} segments: {[self.peers[n].status(timeout=TIMEOUT) for n in names]}"

        wait_until(synced, TIMEOUT, progress, interval=ACTOR_POLL_SECONDS)

    def getter(self) -> PieceGetter:
        history = HeadersHistory(lambda first: self.archiver.segment_headers(first, timeout=TIMEOUT))
        links = RayLinks()
        archiver = links.archiver(self.archiver_name)
        node = LastSegmentSource("node", MINIMAL, archiver.get_piece, history.history_size)
        sources = PieceSources(l2=DsnDirectory(self.names, links.cache_peer), node=[node])
        return PieceGetter(MINIMAL, load_kzg(self.setup), history, sources)


@pytest.mark.slow
def test_cache_peers_survive_losses_resync_and_reject_corruption(ray_session: str, tmp_path: Path) -> None:
    network = Network(tmp_path, ray_session)
    for _ in range(3):
        network.archive_segment()
        network.wait_synced(network.names)
    statuses = [peer.status(timeout=TIMEOUT) for peer in network.peers.values()]
    assert [(s.stored, s.routing_table_size) for s in statuses] == [(CAPACITY, PEERS - 1)] * PEERS
    history_pieces = 3 * MINIMAL.num_pieces

    # A third of the peers killed: every piece of every segment is still retrievable and valid, the pieces only
    # they held (outside the node's last segment) by reconstruction.
    killed = network.names[1:3]
    alive_peers = [network.peers[name] for name in network.names if name not in killed]
    last_segment = range(2 * MINIMAL.num_pieces, history_pieces)
    orphans = [
        index
        for index in range(history_pieces)
        if index not in last_segment and all(peer.get_piece(index) is None for peer in alive_peers)
    ]
    assert orphans  # the fixed identities make some
    for name in killed:
        network.peers[name].kill(restart=False)
    getter = network.getter()
    expected = {index: network.archiver.get_piece(index, timeout=TIMEOUT) for index in range(history_pieces)}
    for index in range(history_pieces):
        assert getter.fetch(index) == expected[index]
    assert getter.stats.unavailable == 0
    assert getter.stats.by_tier["l2"] > 0
    assert getter.stats.by_tier["reconstruction"] == len(orphans)

    # A new segment while they are down; restarted, each resyncs what it should now hold.
    network.archive_segment()
    alive = [name for name in network.names if name not in killed]
    network.wait_synced(alive)
    for name in killed:
        network.peers[name] = network.start_peer(name)
        network.peers[name].join()
    network.wait_synced(network.names)
    for name in killed:
        status = network.peers[name].status(timeout=TIMEOUT)
        assert (status.segments_known, status.stored) == (4, CAPACITY)

    # A corrupted piece on one peer's disk: detected, served from elsewhere, the peer demoted.
    victim = network.names[0]
    # A piece the victim holds and at least one other peer does too (peer ids are random, so is the overlap).
    others = [network.peers[name] for name in network.names if name != victim]
    index = next(
        i
        for i in range(4 * MINIMAL.num_pieces)
        if network.peers[victim].get_piece(i) is not None and any(peer.get_piece(i) is not None for peer in others)
    )
    good = network.peers[victim].get_piece(index)
    cache_file = tmp_path / victim / "cache" / "cache.bin"
    data = bytearray(cache_file.read_bytes())
    offset = data.find(good)
    assert offset >= 0
    data[offset + 200] ^= 0xFF
    cache_file.write_bytes(bytes(data))
    assert network.peers[victim].get_piece(index) != good
    getter = network.getter()
    victim_first = PieceSources(
        local=[NamedSource(victim, RayLinks().cache_peer(victim).get_piece)], l2=getter.sources.l2
    )
    getter = PieceGetter(MINIMAL, getter.kzg, getter.commitments, victim_first)
    assert getter.fetch(index) == good
    # Asked first as the local cache; demoted, it is ranked after the clean peer in L2, which serves the piece.
    assert getter.source_records()[victim].invalid == 1
    assert getter.stats.by_tier["local"] == 0 and sum(getter.stats.by_tier.values()) == 1
    assert getter.source_records()[victim].served == 0
    network.archiver.shutdown(timeout=TIMEOUT)
