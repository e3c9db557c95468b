"""Kademlia routing without I/O: a k-bucket routing table and an iterative lookup state machine.

Peers are placed by the SHA-256 of their peer id (libp2p `KBucketKey`); bucket i of the local peer
holds the peers whose distance from it has its highest set bit at i (protocol.dsn.piece_cache).

`RoutingTable` keeps at most `bucket_size` peers per bucket. As in Kademlia, a full bucket refuses a
newcomer and keeps its old entries (long-lived peers are the likeliest to stay up); a peer leaves the
table only when it is removed, for example after failing to answer.

`LookupState` drives an iterative `find_closest` lookup for a target key. The caller asks it which
peers to query (`next_queries`, at most `alpha` outstanding at a time, nearest unqueried first, taken
only from the `count` closest peers not known to have failed), sends the queries itself, and reports
each answer (`on_response` with the closer peers it returned) or failure (`on_failure`).
Termination rule: the lookup is finished when the `count` closest known peers that have not failed
have all responded (none is still unqueried or awaiting an answer). The result is those peers,
nearest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from autonomys.protocol.dsn.piece_cache import (
    compute_bucket_index,
    compute_distance,
    compute_kademlia_key,
    validate_kademlia_key,
)
from autonomys.protocol.errors import ProtocolError

DEFAULT_BUCKET_SIZE = 20
"""Kademlia k (libp2p default)."""
DEFAULT_ALPHA = 3
"""Queries in flight per lookup (libp2p parallelism)."""


class KademliaError(ProtocolError, ValueError):
    """A routing argument out of its domain (sizes, counts, peer ids)."""


@dataclass(frozen=True, slots=True)
class PeerRecord:
    """A peer as the routing table knows it: where to reach it and who it is."""

    name: str
    """How the transport reaches the peer (an actor name)."""
    peer_id: bytes
    """libp2p PeerId bytes (protocol.dsn.piece_cache.compute_peer_id)."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not isinstance(self.peer_id, bytes) or len(self.peer_id) == 0:
            msg = f"a peer record needs a str name and non-empty bytes peer id, got {self.name!r}, {self.peer_id!r:.80}"
            raise KademliaError(msg)

    @property
    def kademlia_key(self) -> bytes:
        return compute_kademlia_key(self.peer_id)


def validate_positive(name: str, value: int) -> None:
    """Raise KademliaError unless `value` is a positive int."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"{name} must be a positive int, got {value!r}"
        raise KademliaError(msg)


def sort_by_distance(peers: Iterable[PeerRecord], kademlia_key: bytes) -> list[PeerRecord]:
    """`peers` nearest `kademlia_key` first (ties, impossible between distinct ids, by peer id)."""
    return sorted(peers, key=lambda peer: (compute_distance(peer.kademlia_key, kademlia_key), peer.peer_id))


class RoutingTable:
    """The k-buckets of one local peer."""

    def __init__(self, local_peer_id: bytes, bucket_size: int = DEFAULT_BUCKET_SIZE) -> None:
        validate_positive("bucket_size", bucket_size)
        self.local_peer_id = bytes(local_peer_id)
        self.local_key = compute_kademlia_key(self.local_peer_id)
        self.bucket_size = bucket_size
        self._buckets: dict[int, list[PeerRecord]] = {}

    def bucket_of(self, peer_id: bytes) -> int | None:
        """The bucket `peer_id` belongs in; None for the local peer itself."""
        return compute_bucket_index(self.local_key, compute_kademlia_key(peer_id))

    def add(self, peer: PeerRecord) -> bool:
        """Insert or refresh `peer`; False for the local peer or when its bucket is full (the old entries stay)."""
        bucket_index = self.bucket_of(peer.peer_id)
        if bucket_index is None:
            return False
        bucket = self._buckets.setdefault(bucket_index, [])
        known = [position for position, entry in enumerate(bucket) if entry.peer_id == peer.peer_id]
        if len(known) > 0:
            # A peer seen again moves to the tail (most recently seen) and may have a new name.
            del bucket[known[0]]
        elif len(bucket) >= self.bucket_size:
            return False
        bucket.append(peer)
        return True

    def remove(self, peer_id: bytes) -> bool:
        """Drop the peer with this id; False when it was not in the table."""
        bucket_index = self.bucket_of(peer_id)
        if bucket_index is None:
            return False
        bucket = self._buckets.get(bucket_index)
        if bucket is None:
            return False
        remaining = [entry for entry in bucket if entry.peer_id != peer_id]
        if len(remaining) == len(bucket):
            return False
        if len(remaining) == 0:
            del self._buckets[bucket_index]
        else:
            self._buckets[bucket_index] = remaining
        return True

    def get(self, peer_id: bytes) -> PeerRecord | None:
        """The record of `peer_id`, or None when it is not in the table."""
        bucket_index = self.bucket_of(peer_id)
        for entry in self._buckets.get(bucket_index, []) if bucket_index is not None else []:
            if entry.peer_id == peer_id:
                return entry
        return None

    def closest(self, kademlia_key: bytes, count: int) -> list[PeerRecord]:
        """Up to `count` known peers nearest `kademlia_key`, nearest first."""
        validate_kademlia_key(kademlia_key)
        validate_positive("count", count)
        return sort_by_distance(self.peers(), kademlia_key)[:count]

    def peers(self) -> list[PeerRecord]:
        """Every peer in the table, by bucket, oldest first within a bucket."""
        return [peer for index in sorted(self._buckets) for peer in self._buckets[index]]

    def bucket_sizes(self) -> dict[int, int]:
        """How many peers each non-empty bucket holds."""
        return {index: len(bucket) for index, bucket in sorted(self._buckets.items())}

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._buckets.values())


class QueryState(Enum):
    PENDING = "pending"
    """Known, not yet queried."""
    WAITING = "waiting"
    """Queried, no answer yet."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class LookupState:
    """An iterative lookup of the `count` peers closest to `target_key` (termination rule: module docstring)."""

    def __init__(
        self,
        target_key: bytes,
        alpha: int = DEFAULT_ALPHA,
        count: int = DEFAULT_BUCKET_SIZE,
        initial: Iterable[PeerRecord] = (),
    ) -> None:
        validate_kademlia_key(target_key)
        validate_positive("alpha", alpha)
        validate_positive("count", count)
        self.target_key = bytes(target_key)
        self.alpha = alpha
        self.count = count
        self._peers: dict[bytes, PeerRecord] = {}
        self._states: dict[bytes, QueryState] = {}
        self._distances: dict[bytes, int] = {}
        self.add_candidates(initial)

    def add_candidates(self, peers: Iterable[PeerRecord]) -> None:
        """Learn peers to query; peers already known keep their state."""
        for peer in peers:
            if peer.peer_id not in self._states:
                self._peers[peer.peer_id] = peer
                self._states[peer.peer_id] = QueryState.PENDING
                self._distances[peer.peer_id] = compute_distance(peer.kademlia_key, self.target_key)

    def _closest_alive(self) -> list[bytes]:
        """The `count` closest known peer ids that have not failed, nearest first."""
        alive = [peer_id for peer_id, state in self._states.items() if state is not QueryState.FAILED]
        return sorted(alive, key=lambda peer_id: (self._distances[peer_id], peer_id))[: self.count]

    def next_queries(self) -> list[PeerRecord]:
        """Peers to query now (marked as awaiting an answer): nearest unqueried first, within `alpha` in flight."""
        closest = self._closest_alive()
        in_flight = sum(1 for peer_id in self._states if self._states[peer_id] is QueryState.WAITING)
        chosen = [peer_id for peer_id in closest if self._states[peer_id] is QueryState.PENDING][
            : max(0, self.alpha - in_flight)
        ]
        for peer_id in chosen:
            self._states[peer_id] = QueryState.WAITING
        return [self._peers[peer_id] for peer_id in chosen]

    def on_response(self, peer: PeerRecord, closer: Iterable[PeerRecord]) -> None:
        """`peer` answered with `closer` peers (a peer never queried, such as the local one, may answer too)."""
        self.add_candidates([peer])
        self._states[peer.peer_id] = QueryState.SUCCEEDED
        self.add_candidates(closer)

    def on_failure(self, peer: PeerRecord) -> None:
        """`peer` did not answer; it is never queried again nor returned."""
        self.add_candidates([peer])
        self._states[peer.peer_id] = QueryState.FAILED

    @property
    def is_finished(self) -> bool:
        """True once every one of the `count` closest non-failed known peers has responded."""
        return all(self._states[peer_id] is QueryState.SUCCEEDED for peer_id in self._closest_alive())

    def result(self) -> list[PeerRecord]:
        """The closest peers that responded (at most `count`), nearest first."""
        responded = [peer_id for peer_id, state in self._states.items() if state is QueryState.SUCCEEDED]
        nearest = sorted(responded, key=lambda peer_id: (self._distances[peer_id], peer_id))[: self.count]
        return [self._peers[peer_id] for peer_id in nearest]
