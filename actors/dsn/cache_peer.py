"""CachePeer: a DSN L2 cache that keeps the pieces closest to its own peer id and serves them.

Ownership: each cache peer is the only writer of its directory (peer.key, cache/). It learns segment
headers from one source (`headers(first)`, a node or the archiver) and fetches pieces through one
PieceGetter; every piece is checked with is_piece_valid against its segment's commitment before it
is stored, so a cache peer never serves a piece it did not verify.

Which pieces: protocol.dsn.piece_cache. On the first sync all pieces of all known segments are ranked
(select_closest_pieces); each later segment is merged in with plan_cache_insertions, evicting the
farthest pieces. Pieces that could not be had (missing or invalid) stay wanted and are retried on
the next sync. A restarted peer keeps its identity and pieces and fetches only what is missing.

Routing: protocol.dsn.kademlia over `CachePeerLink`s (plain objects in tests, Ray handles in a cluster,
resolved by name). A link that raises counts as a failed peer and is dropped from the table.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from autonomys.actors.archiving.piece_store import PieceGetter, get_pieces_from
from autonomys.actors.dsn.peer_identity import PeerIdentity
from autonomys.actors.dsn.piece_cache import PieceCacheStore
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.messages import CachePeerStatus, JoinReport, PeerContact, SegmentHeaderNotification
from autonomys.protocol.archiving.archived_segment import is_piece_valid
from autonomys.protocol.archiving.pieces import (
    compute_piece_position,
    compute_piece_segment_index,
    compute_segment_piece_indexes,
)
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.dsn.kademlia import (
    DEFAULT_ALPHA,
    DEFAULT_BUCKET_SIZE,
    LookupState,
    PeerRecord,
    RoutingTable,
    sort_by_distance,
)
from autonomys.protocol.dsn.piece_cache import (
    compute_kademlia_key,
    compute_piece_distance,
    plan_cache_insertions,
    select_closest_pieces,
)
from autonomys.protocol.params import Params
from autonomys.protocol.types import PieceIndex

logger = logging.getLogger(__name__)

IDENTITY_FILE = "peer.key"
CACHE_DIRECTORY = "cache"
FETCH_BATCH = 32
"""Pieces a sync asks a getter with `get_pieces` for at once (checked together: one MSM per batch)."""


class CachePeerLink(Protocol):
    """What one cache peer asks of another (a Ray handle wrapper in a cluster)."""

    def peer_id(self) -> bytes: ...
    def find_closest(self, kademlia_key: bytes, count: int) -> list[PeerContact]: ...
    def get_piece(self, piece_index: int) -> bytes | None: ...
    def add_peer(self, name: str, peer_id: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class CachePeerConfig:
    name: str
    directory: str
    params: Params
    kzg_setup: KzgSetup
    capacity_pieces: int
    bootstrap: tuple[str, ...] = ()
    """Names of peers to contact on join."""


class CachePeer:
    def __init__(
        self,
        config: CachePeerConfig,
        pieces: PieceGetter,
        headers: Callable[[int], list[SegmentHeader]],
        link_resolver: Callable[[str], CachePeerLink],
    ) -> None:
        self.config = config
        self.name = config.name
        self.params = config.params
        self.pieces = pieces
        self.headers = headers
        self._resolver = link_resolver
        directory = Path(config.directory)
        directory.mkdir(parents=True, exist_ok=True)
        key_file = directory / IDENTITY_FILE
        new_key = not key_file.exists()
        self.identity = PeerIdentity.load_or_create(key_file)  # CorruptPeerKey when unusable
        self.kzg = load_kzg(config.kzg_setup)
        peer_id = self.identity.peer_id
        # A stored key must give every stored distance (a new key's peer just evicts the pieces it no longer wants).
        self.store = PieceCacheStore(
            directory / CACHE_DIRECTORY,
            config.params,
            config.capacity_pieces,
            distance_of=None if new_key else lambda index: compute_piece_distance(index, peer_id),
            owner_key=str(key_file),
        )  # CorruptStore when the slot map is damaged
        self.routing = RoutingTable(self.identity.peer_id, DEFAULT_BUCKET_SIZE)
        self.segments: list[SegmentHeader] = []
        self.wanted: dict[int, int] = {}
        """Piece index -> distance of every piece this peer should hold."""
        self.last_plan_evicted: tuple[int, ...] = ()
        self.failed = 0
        self.served = 0
        self.last_error: str | None = None
        self._links: dict[str, CachePeerLink] = {}
        self._queued: list[SegmentHeader] = []
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- what other peers call ----

    def peer_id(self) -> bytes:
        return self.identity.peer_id

    def find_closest(self, kademlia_key: bytes, count: int) -> list[PeerContact]:
        """Up to `count` peers of the routing table, and this peer, nearest `kademlia_key` first."""
        with self._lock:
            candidates = [*self.routing.closest(kademlia_key, count), self._record()]
        return [(peer.name, peer.peer_id) for peer in sort_by_distance(candidates, kademlia_key)[:count]]

    def add_peer(self, name: str, peer_id: bytes) -> None:
        """Learn a peer (a full bucket keeps its old entries)."""
        with self._lock:
            self.routing.add(PeerRecord(name, bytes(peer_id)))

    def get_piece(self, piece_index: int) -> bytes | None:
        """The stored piece, or None when it is not cached here."""
        with self._lock:
            piece = self.store.get(piece_index)
            if piece is not None:
                self.served += 1
        return piece

    # ---- routing ----

    def _record(self) -> PeerRecord:
        return PeerRecord(self.name, self.identity.peer_id)

    def _link(self, name: str) -> CachePeerLink:
        link = self._links.get(name)
        if link is None:
            link = self._resolver(name)
            self._links[name] = link
        return link

    def _forget(self, peer: PeerRecord) -> None:
        self._links.pop(peer.name, None)
        with self._lock:
            self.routing.remove(peer.peer_id)

    def join(self) -> JoinReport:
        """Contact the bootstrap peers, announce this peer to them, and look up its own key to fill the table."""
        reached, unreachable = [], []
        for name in self.config.bootstrap:
            if name == self.name:
                continue
            try:
                link = self._link(name)
                peer = PeerRecord(name, bytes(link.peer_id()))
                link.add_peer(self.name, self.identity.peer_id)
            except Exception as error:  # noqa: BLE001 - an unreachable bootstrap peer is reported, not fatal
                logger.warning("cache peer %s: bootstrap peer %s unreachable: %s", self.name, name, error)
                self._links.pop(name, None)
                unreachable.append(name)
                continue
            self.add_peer(peer.name, peer.peer_id)
            reached.append(name)
        found, failed = self._iterate_lookup(compute_kademlia_key(self.identity.peer_id), DEFAULT_BUCKET_SIZE)
        self._announce(peer for peer in found if peer.name not in reached)
        with self._lock:
            size = len(self.routing)
        return JoinReport(tuple(reached), tuple(unreachable + [peer.name for peer in failed]), size)

    def _announce(self, peers: Iterable[PeerRecord]) -> None:
        """Tell `peers` about this one, so their tables learn it (failures are dropped from ours)."""
        for peer in peers:
            if peer.peer_id == self.identity.peer_id:
                continue
            try:
                self._link(peer.name).add_peer(self.name, self.identity.peer_id)
            except Exception as error:  # noqa: BLE001 - a peer that fails is forgotten, the join goes on
                logger.warning("cache peer %s: cannot announce to %s: %s", self.name, peer.name, error)
                self._forget(peer)

    def lookup(self, kademlia_key: bytes, count: int = DEFAULT_BUCKET_SIZE) -> list[PeerContact]:
        """The `count` peers nearest `kademlia_key` that answered an iterative lookup (this peer included)."""
        found, _ = self._iterate_lookup(kademlia_key, count)
        return [(peer.name, peer.peer_id) for peer in found]

    def _iterate_lookup(self, kademlia_key: bytes, count: int) -> tuple[list[PeerRecord], list[PeerRecord]]:
        """(closest responding peers, peers that failed) of a lookup run over the links."""
        state = LookupState(kademlia_key, DEFAULT_ALPHA, count)
        state.on_response(
            self._record(), [PeerRecord(name, peer_id) for name, peer_id in self.find_closest(kademlia_key, count)]
        )
        failed = []
        while not state.is_finished:
            queries = state.next_queries()
            if len(queries) == 0:
                break
            for peer in queries:
                try:
                    closer = [
                        PeerRecord(name, bytes(peer_id))
                        for name, peer_id in self._link(peer.name).find_closest(kademlia_key, count)
                    ]
                except Exception as error:  # noqa: BLE001 - any link failure makes the peer a failed one
                    logger.info("cache peer %s: lookup query to %s failed: %s", self.name, peer.name, error)
                    state.on_failure(peer)
                    self._forget(peer)
                    failed.append(peer)
                    continue
                state.on_response(peer, closer)
                self.add_peer(peer.name, peer.peer_id)
        return state.result(), failed

    # ---- caching ----

    def on_segment_header(self, notification: SegmentHeaderNotification) -> None:
        """Queue a newly archived segment and wake the sync loop."""
        with self._lock:
            self._queued.append(notification.header)
        self._wake.set()

    def _learn_segments(self) -> list[SegmentHeader]:
        """Headers of segments not known before: from the source, then queued ones that continue them."""
        fetched = list(self.headers(len(self.segments)))
        with self._lock:
            queued, self._queued = self._queued, []
        new: list[SegmentHeader] = []
        for header in [*fetched, *sorted(queued, key=lambda header: header.segment_index)]:
            if header.segment_index == len(self.segments) + len(new):
                new.append(header)
        self.segments.extend(new)
        return new

    def _plan(self, new_segments: list[SegmentHeader]) -> None:
        """Update the wanted set with the pieces of newly learned segments."""
        capacity = self.store.capacity
        peer_id = self.identity.peer_id
        indexes = [
            int(index)
            for header in new_segments
            for index in compute_segment_piece_indexes(header.segment_index, self.params)
        ]
        if len(self.wanted) == 0 and len(self.segments) == len(new_segments):
            chosen = select_closest_pieces(peer_id, indexes, capacity)
            self.wanted = {index: compute_piece_distance(index, peer_id) for index in chosen}
            return
        plan = plan_cache_insertions(peer_id, self.wanted, capacity, indexes)
        for index in plan.evict:
            del self.wanted[index]
        self.wanted.update({index: compute_piece_distance(index, peer_id) for index in plan.insert})
        self.last_plan_evicted = plan.evict

    def sync_once(self) -> int:
        """Learn new segments, evict unwanted pieces, fetch and verify missing wanted ones; returns pieces stored."""
        with self._sync_lock:
            new_segments = self._learn_segments()
            with self._lock:
                if len(new_segments) > 0:
                    self._plan(new_segments)
                for index in [index for index in self.store.contents() if index not in self.wanted]:
                    self.store.evict(index)
                missing = sorted(
                    (index for index in self.wanted if index not in self.store), key=lambda i: self.wanted[i]
                )
            return self._fetch_all(missing)

    def _fetch_all(self, missing: list[int]) -> int:
        """Fetch, verify and store the missing pieces, FETCH_BATCH at a time (a PieceGetter checks a batch with
        one MSM); returns how many were stored.

        A getter that raises counts the batch as missing: one unreachable source must not stop the round.
        """
        stored = 0
        for start in range(0, len(missing), FETCH_BATCH):
            batch = missing[start : start + FETCH_BATCH]
            try:
                pieces = get_pieces_from(self.pieces, batch)
            except Exception as error:  # noqa: BLE001 - retried on the next sync like a missing piece
                logger.info("cache peer %s: fetching pieces %s failed: %s", self.name, batch, error)
                pieces = [None] * len(batch)
            stored += sum(1 for index, piece in zip(batch, pieces, strict=True) if self._store(index, piece))
        return stored

    def _store(self, piece_index: int, piece: bytes | None) -> bool:
        """Store one fetched wanted piece; False (counted in `failed`) when it is missing or invalid."""
        # A PieceGetter checked it already (against the same segment commitments): one MSM per piece is enough.
        checked = getattr(self.pieces, "verifies_pieces", False)
        if piece is None or not (checked or self._is_valid(piece_index, piece)):
            logger.info("cache peer %s: piece %d %s", self.name, piece_index, "missing" if piece is None else "invalid")
            self.failed += 1
            return False
        with self._lock:
            if piece_index not in self.wanted or piece_index in self.store:
                return False
            self.store.put(piece_index, piece, self.wanted[piece_index])
        return True

    def _is_valid(self, piece_index: int, piece: bytes) -> bool:
        index = PieceIndex(piece_index)
        header = self.segments[compute_piece_segment_index(index, self.params)]
        position = compute_piece_position(index, self.params)
        return is_piece_valid(self.kzg, piece, bytes(header.segment_commitment), position, self.params)

    # ---- lifecycle ----

    def status(self) -> CachePeerStatus:
        with self._lock:
            stored_wanted = sum(1 for index in self.wanted if index in self.store)
            return CachePeerStatus(
                name=self.name,
                peer_id=self.identity.peer_id.hex(),
                capacity=self.store.capacity,
                stored=len(self.store),
                wanted=len(self.wanted),
                segments_known=len(self.segments),
                synced=stored_wanted / len(self.wanted) if len(self.wanted) > 0 else 1.0,
                failed=self.failed,
                served=self.served,
                routing_table_size=len(self.routing),
            )

    def start(self, interval_seconds: float, *, immediately: bool = True) -> None:
        """Run sync_once every `interval_seconds` (and on each segment header) in a daemon thread; the first
        round at once, or after one interval (while the roles it fetches through are still starting)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        if immediately:
            self._wake.set()
        self._thread = threading.Thread(
            target=self._run, args=(interval_seconds,), name=f"cache-peer-{self.name}", daemon=True
        )
        self._thread.start()

    def _run(self, interval_seconds: float) -> None:
        while not self._stop.is_set():
            self._wake.wait(interval_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self._rejoin_if_alone()
                self.sync_once()
                self.last_error = None
            except Exception as error:  # noqa: BLE001 - kept in last_error and retried on the next round
                logger.warning("cache peer %s: sync failed: %s", self.name, error)
                self.last_error = f"{type(error).__name__}: {error}"

    def _rejoin_if_alone(self) -> None:
        """A peer whose routing table is empty (restarted: the table lives in memory) joins through its bootstrap
        peers again by itself, so its own lookups reach L2 and other peers learn it is back."""
        with self._lock:
            alone = len(self.routing) == 0
        if alone and any(name != self.name for name in self.config.bootstrap):
            self.join()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def shutdown(self) -> None:
        """Stop syncing and close the stores."""
        self.stop()
        with self._sync_lock, self._lock:
            self.store.close()
