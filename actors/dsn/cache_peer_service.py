"""The Ray-facing cache peer: a CachePeer whose pieces come through the DSN and whose history is the node's.

It joins the DSN through its bootstrap peers, syncs in a background thread (every `sync_interval_seconds`
and at once on each segment header the archiver pushes), and serves other peers and piece getters.
Its own piece getter never asks itself: L2 is the other peers, then the node's last segment, the
farmers' plots, the archive (when allowed) and reconstruction.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from autonomys.actors.archiving.history import HeadersHistory
from autonomys.actors.dsn.cache_peer import CachePeer, CachePeerConfig
from autonomys.actors.dsn.directory import DsnNames, build_piece_getter
from autonomys.actors.kzg_setup import load_kzg
from autonomys.actors.links import Links
from autonomys.actors.messages import CachePeerStatus, JoinReport, PeerContact, SegmentHeaderNotification
from autonomys.protocol.archiving.segments import SegmentHeader

logger = logging.getLogger(__name__)

SYNC_INTERVAL_SECONDS = 5.0
BACKGROUND_NICENESS = 10


@dataclass(frozen=True, slots=True)
class CachePeerServiceConfig:
    peer: CachePeerConfig
    node: str
    """The actor serving segment headers (a node, or the archiver itself): commitments and history size follow."""
    dsn: DsnNames
    sync_interval_seconds: float = SYNC_INTERVAL_SECONDS
    background_priority: bool = True
    """Lower the actor process's CPU priority (it runs apart from the roles that keep slots on time)."""


class CachePeerService:
    """A cache peer actor: DSN routing and pieces for others, and a sync loop filling its own cache."""

    def __init__(self, config: CachePeerServiceConfig, links: Links) -> None:
        """`links` reaches the node (history), the other peers and every tier of the piece getter."""
        self.config = config
        params = config.peer.params
        self.history = HeadersHistory(links.node(config.node).segment_headers)
        kzg = load_kzg(config.peer.kzg_setup)
        pieces = build_piece_getter(params, kzg, self.history, config.dsn, links, exclude=[config.peer.name])
        self.peer = CachePeer(config.peer, pieces, self._segment_headers, links.cache_peer)
        self.join_report: JoinReport | None = None
        if config.background_priority:
            # Filling a cache checks every piece (one MSM each): background work that must not slow slots.
            os.nice(BACKGROUND_NICENESS)
        self.peer.start(config.sync_interval_seconds, immediately=False)

    def ready(self) -> bool:
        return True

    def peer_id(self) -> bytes:
        return self.peer.peer_id()

    def find_closest(self, kademlia_key: bytes, count: int) -> list[PeerContact]:
        return self.peer.find_closest(kademlia_key, count)

    def add_peer(self, name: str, peer_id: bytes) -> None:
        self.peer.add_peer(name, peer_id)

    def get_piece(self, piece_index: int) -> bytes | None:
        return self.peer.get_piece(piece_index)

    def join(self) -> JoinReport:
        self.join_report = self.peer.join()
        return self.join_report

    def sync_once(self) -> int:
        return self.peer.sync_once()

    def on_segment_header(self, notification: SegmentHeaderNotification) -> None:
        self.peer.on_segment_header(notification)

    def status(self) -> CachePeerStatus:
        return self.peer.status()

    def shutdown(self) -> None:
        self.peer.shutdown()

    def _segment_headers(self, first: int) -> list[SegmentHeader]:
        return list(self.history.fetch(first))
