"""The DSN as a piece getter sees it: cache peers found by Kademlia lookups, and the wiring of every tier.

`DsnDirectory` keeps a client-side routing table of cache peers. It fills the table with iterative
lookups through the bootstrap peers (each peer answers from its own routing table; there is no
central index) and refreshes it every `refresh_seconds`; the providers of a piece are the known peers
nearest to the piece's Kademlia key. A peer that fails a request is dropped from the table until the
next refresh finds it again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autonomys.actors.dsn.cache_peer import CachePeerLink
from autonomys.actors.dsn.piece_getter import LastSegmentSource, NamedSource, PieceGetter, PieceSource, PieceSources
from autonomys.actors.links import Links
from autonomys.actors.plotting.plotter import HistorySource
from autonomys.protocol.dsn.kademlia import LookupState, PeerRecord, RoutingTable
from autonomys.protocol.dsn.piece_cache import compute_kademlia_key, compute_piece_record_key
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import Params

logger = logging.getLogger(__name__)

PROVIDERS_PER_PIECE = 20
REFRESH_SECONDS = 30.0


class _PeerSource:
    """One cache peer as a piece source; a failure drops it from the directory's table."""

    def __init__(self, directory: DsnDirectory, record: PeerRecord) -> None:
        self.directory = directory
        self.record = record
        self.name = record.name

    def get_piece(self, piece_index: int) -> bytes | None:
        try:
            return self.directory.link(self.name).get_piece(piece_index)
        except Exception:
            self.directory.forget(self.record)
            raise


class DsnDirectory:
    """Providers of a piece among the cache peers, nearest to its key first (a Kademlia routing table)."""

    def __init__(
        self,
        bootstrap: Sequence[str],
        resolver: Callable[[str], CachePeerLink],
        *,
        exclude: Sequence[str] = (),
        providers_per_piece: int = PROVIDERS_PER_PIECE,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bootstrap = tuple(bootstrap)
        self.resolver = resolver
        self.exclude = frozenset(exclude)
        self.providers_per_piece = providers_per_piece
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.table = RoutingTable(os.urandom(32), bucket_size=providers_per_piece)  # a client: any id
        self._links: dict[str, CachePeerLink] = {}
        self._refreshed_at = float("-inf")
        self._lock = threading.RLock()

    def link(self, name: str) -> CachePeerLink:
        with self._lock:
            if name not in self._links:
                self._links[name] = self.resolver(name)
            return self._links[name]

    def forget(self, record: PeerRecord) -> None:
        with self._lock:
            self.table.remove(record.peer_id)

    def providers(self, piece_index: int) -> list[PieceSource]:
        key = compute_kademlia_key(compute_piece_record_key(piece_index))
        with self._lock:
            if len(self.table) == 0 or self.clock() - self._refreshed_at >= self.refresh_seconds:
                self.refresh()
            closest = self.table.closest(key, self.providers_per_piece)
        return [_PeerSource(self, record) for record in closest]

    def refresh(self) -> int:
        """Learn the peers: the bootstrap peers, then an iterative lookup of a random key through them."""
        with self._lock:
            self._refreshed_at = self.clock()
            for name in self.bootstrap:
                if name in self.exclude:
                    continue
                try:
                    self._add(PeerRecord(name, self.link(name).peer_id()))
                except Exception as error:  # a bootstrap peer that is down is skipped
                    logger.info("DSN bootstrap peer %s unreachable: %s", name, error)
            for record in self.lookup(compute_kademlia_key(os.urandom(32))):
                self._add(record)
            return len(self.table)

    def lookup(self, kademlia_key: bytes) -> list[PeerRecord]:
        """The peers nearest to `kademlia_key`, found by asking the nearest known peers for nearer ones."""
        initial = self.table.closest(kademlia_key, self.providers_per_piece)
        state = LookupState(kademlia_key, count=self.providers_per_piece, initial=initial)
        while not state.is_finished:
            queries = state.next_queries()
            if not queries:
                break
            for peer in queries:
                try:
                    closer = self.link(peer.name).find_closest(kademlia_key, self.providers_per_piece)
                except Exception:
                    state.on_failure(peer)
                    self.forget(peer)
                    continue
                state.on_response(peer, [PeerRecord(name, bytes(peer_id)) for name, peer_id in closer if name not in self.exclude])
        return state.result()

    def _add(self, record: PeerRecord) -> None:
        if record.name not in self.exclude:
            self.table.add(record)


@dataclass(frozen=True)
class DsnNames:
    """Named actors a piece getter reaches: the DSN bootstrap peers, the archiver and the farmers."""

    cache_peers: tuple[str, ...] = ()
    local_cache: str | None = None
    archiver: str | None = None
    farmers: tuple[str, ...] = ()
    archive: bool = True
    """Ask the archiver for any segment (after L1, before reconstruction): the devnet's archiver keeps them all."""


def build_piece_getter(
    params: Params,
    kzg: Kzg,
    history: HistorySource,
    names: DsnNames,
    links: Links,
    *,
    plots: PieceSource | None = None,
    exclude: Sequence[str] = (),
    retries: int = 1,
) -> PieceGetter:
    """The PieceGetter of a role inside a cluster: every tier reached through named roles (`links`).

    `history` gives segment commitments and the history size (a node); `plots` is the caller's own L1 reader
    (a farmer), `exclude` names the caller itself (a cache peer never asks itself).
    """
    skip = set(exclude)
    local: list[PieceSource] = []
    if names.local_cache is not None and names.local_cache not in skip:
        local.append(NamedSource(names.local_cache, links.cache_peer(names.local_cache).get_piece))
    node: list[PieceSource] = []
    archive: list[PieceSource] = []
    if names.archiver is not None:
        archiver = links.archiver(names.archiver)
        node.append(LastSegmentSource("node", params, archiver.get_piece, history.history_size))
        archive += [NamedSource("archive", archiver.get_piece)] if names.archive else []
    farmers: list[PieceSource] = [
        NamedSource(name, links.farmer(name).read_piece) for name in names.farmers if name not in skip
    ]
    bootstrap = [name for name in names.cache_peers if name not in skip]
    excluded = [*skip, *([names.local_cache] if names.local_cache else [])]
    sources = PieceSources(
        local=local,
        l2=DsnDirectory(bootstrap, links.cache_peer, exclude=excluded) if bootstrap else None,
        node=node,
        plots=[] if plots is None else [plots],
        farmers=farmers,
        archive=archive,
    )
    return PieceGetter(params, kzg, history, sources, retries=retries)  # type: ignore[arg-type]
