"""The L2 piece cache policy: which pieces a cache peer keeps, by Kademlia distance
(subspace-farmer `farmer_cache.rs`, subspace-networking `KeyWithDistance`).

A piece is named on the DSN by a multihash record key (code 0xb39910 wrapping the u64 LE piece
index). A peer is named by its libp2p PeerId (the identity multihash of its protobuf-encoded ed25519
public key). Both are mapped to 256-bit Kademlia keys with SHA-256, and the distance between a piece
and a peer is the XOR of the two keys read as a big-endian integer (libp2p `KBucketKey`).

A cache of `capacity` pieces keeps the pieces closest to its own peer id: on initial sync the first
`capacity` of all pieces sorted by distance (`select_closest_pieces`); afterwards each new piece is
inserted while there is room, or when it is closer than the farthest stored piece, which is evicted
(`plan_cache_insertions`, the reference's `should_include_key` / `should_replace`). Both give the same
set. Distances of distinct pieces never tie (SHA-256 collisions aside); ties still break by index.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import ProtocolError

PIECE_INDEX_MULTIHASH_CODE = 0xB39910
"""`SUBSPACE_MULTICODEC_NAMESPACE_START` / `MultihashCode::PieceIndex`."""
PIECE_INDEX_SIZE = 8
"""The piece index inside a record key: u64 little-endian."""
KADEMLIA_KEY_SIZE = 32
"""SHA-256 output; Kademlia keys are 256-bit."""
ED25519_PUBLIC_KEY_SIZE = 32
IDENTITY_MULTIHASH_CODE = 0x00
"""libp2p inlines keys of at most 42 bytes into the PeerId with the identity multihash."""
ED25519_PROTOBUF_PREFIX = bytes([0x08, 0x01, 0x12, 0x20])
"""protobuf PublicKey { Type = Ed25519 (1), Data = 32 bytes }: field 1 varint 1, field 2 length 32."""


class PieceCacheError(ProtocolError, ValueError):
    """Base of the cache policy's rejections of bad input."""


class InvalidPieceIndex(PieceCacheError):
    """A piece index that is not an int in 0..u64::MAX."""


class InvalidPublicKey(PieceCacheError):
    """A public key that is not 32 ed25519 bytes."""


class InvalidKademliaKey(PieceCacheError):
    """A Kademlia key that is not 32 bytes."""


class InvalidCapacity(PieceCacheError):
    """A cache capacity that is not a non-negative int."""


@dataclass(frozen=True, slots=True)
class CachePlan:
    """What a cache does with a batch of new pieces."""

    insert: tuple[int, ...]
    """Pieces to fetch and store, nearest first."""
    evict: tuple[int, ...]
    """Stored pieces to drop, farthest first."""


def encode_unsigned_varint(value: int) -> bytes:
    """The unsigned LEB128 varint of `value` (multiformats unsigned-varint)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"a varint encodes a non-negative int, got {value!r}"
        raise PieceCacheError(msg)
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value == 0:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def validate_piece_index(piece_index: int) -> None:
    """Raise InvalidPieceIndex unless `piece_index` is an int in 0..u64::MAX."""
    if isinstance(piece_index, bool) or not isinstance(piece_index, int):
        msg = f"a piece index is an int, got {type(piece_index).__name__}"
        raise InvalidPieceIndex(msg)
    if not 0 <= piece_index <= U64_MAX:
        msg = f"piece index {piece_index} is outside 0..{U64_MAX}"
        raise InvalidPieceIndex(msg)


def compute_piece_record_key(piece_index: int) -> bytes:
    """The DSN record key of a piece: varint(0xb39910) || varint(8) || u64 LE index (13 bytes)."""
    validate_piece_index(piece_index)
    return (
        encode_unsigned_varint(PIECE_INDEX_MULTIHASH_CODE)
        + encode_unsigned_varint(PIECE_INDEX_SIZE)
        + piece_index.to_bytes(PIECE_INDEX_SIZE, "little")
    )


def compute_kademlia_key(data: bytes) -> bytes:
    """The Kademlia key of a record key or peer id: SHA-256 of its bytes."""
    return hashlib.sha256(bytes(data)).digest()


def compute_peer_id(public_key: bytes) -> bytes:
    """The libp2p PeerId bytes of an ed25519 public key: identity multihash of the protobuf key (38 bytes)."""
    if not isinstance(public_key, bytes | bytearray | memoryview) or len(public_key) != ED25519_PUBLIC_KEY_SIZE:
        size = len(public_key) if isinstance(public_key, bytes | bytearray | memoryview) else type(public_key).__name__
        msg = f"an ed25519 public key is {ED25519_PUBLIC_KEY_SIZE} bytes, got {size}"
        raise InvalidPublicKey(msg)
    protobuf = ED25519_PROTOBUF_PREFIX + bytes(public_key)
    return encode_unsigned_varint(IDENTITY_MULTIHASH_CODE) + encode_unsigned_varint(len(protobuf)) + protobuf


def validate_kademlia_key(kademlia_key: bytes) -> None:
    """Raise InvalidKademliaKey unless `kademlia_key` is 32 bytes."""
    if not isinstance(kademlia_key, bytes | bytearray | memoryview) or len(kademlia_key) != KADEMLIA_KEY_SIZE:
        msg = f"a Kademlia key is {KADEMLIA_KEY_SIZE} bytes, got {kademlia_key!r:.80}"
        raise InvalidKademliaKey(msg)


def compute_distance(kademlia_key_a: bytes, kademlia_key_b: bytes) -> int:
    """The XOR distance of two Kademlia keys as a 256-bit integer (big-endian)."""
    validate_kademlia_key(kademlia_key_a)
    validate_kademlia_key(kademlia_key_b)
    return int.from_bytes(kademlia_key_a, "big") ^ int.from_bytes(kademlia_key_b, "big")


def compute_piece_distance(piece_index: int, peer_id: bytes) -> int:
    """Distance between a piece and a peer: SHA-256(record key) XOR SHA-256(peer id)."""
    return compute_distance(compute_kademlia_key(compute_piece_record_key(piece_index)), compute_kademlia_key(peer_id))


def compute_bucket_index(peer_key_a: bytes, peer_key_b: bytes) -> int | None:
    """The k-bucket of key b seen from key a: 255 - leading zeros of their distance; None for the same key."""
    distance = compute_distance(peer_key_a, peer_key_b)
    if distance == 0:
        return None
    return distance.bit_length() - 1


def validate_capacity(capacity: int) -> None:
    """Raise InvalidCapacity unless `capacity` is a non-negative int."""
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        msg = f"a cache capacity is a non-negative int, got {capacity!r}"
        raise InvalidCapacity(msg)


def select_closest_pieces(peer_id: bytes, piece_indexes: Iterable[int], capacity: int) -> list[int]:
    """The `capacity` distinct pieces closest to `peer_id`, nearest first (ties by index)."""
    validate_capacity(capacity)
    peer_key = compute_kademlia_key(peer_id)
    ranked = {
        index: compute_distance(compute_kademlia_key(compute_piece_record_key(index)), peer_key)
        for index in piece_indexes
    }
    closest = heapq.nsmallest(capacity, ((distance, index) for index, distance in ranked.items()))
    return [index for _, index in closest]


def plan_cache_insertions(
    peer_id: bytes, stored: Mapping[int, int], capacity: int, candidates: Iterable[int]
) -> CachePlan:
    """Which candidates to insert and which stored pieces to evict, one candidate at a time.

    `stored` maps each stored piece to its distance. A stored set larger than `capacity` first loses
    its farthest pieces. A candidate is then inserted while there is free space, else only when it is
    closer than the farthest kept piece, which is evicted (it may be a candidate inserted earlier in
    this plan, which then is simply not inserted). The kept set is always the `capacity` closest of
    stored ∪ candidates.
    """
    validate_capacity(capacity)
    peer_key = compute_kademlia_key(peer_id)
    # A max-heap of the kept pieces by (distance, index): the root is the next to evict.
    kept = [(-distance, -index) for index, distance in stored.items()]
    heapq.heapify(kept)
    distances = dict(stored)
    dropped = []
    while len(kept) > capacity:
        dropped.append(-heapq.heappop(kept)[1])
    for index in candidates:
        if index in distances:
            continue
        distance = compute_distance(compute_kademlia_key(compute_piece_record_key(index)), peer_key)
        distances[index] = distance
        if len(kept) < capacity:
            heapq.heappush(kept, (-distance, -index))
        elif len(kept) > 0 and (distance, index) < (-kept[0][0], -kept[0][1]):
            dropped.append(-heapq.heapreplace(kept, (-distance, -index))[1])
    kept_indexes = {-negative_index for _, negative_index in kept}
    insert = sorted((index for index in kept_indexes if index not in stored), key=lambda i: (distances[i], i))
    evict = sorted((index for index in dropped if index in stored), key=lambda i: (distances[i], i), reverse=True)
    return CachePlan(insert=tuple(insert), evict=tuple(evict))
