"""protocol.dsn.piece_cache: DSN record keys (the reference's `MultihashCode::PieceIndex`), PeerIds,
distances and the L2 cache policy."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.dsn.piece_cache import (
    PIECE_INDEX_MULTIHASH_CODE,
    CachePlan,
    InvalidCapacity,
    InvalidKademliaKey,
    InvalidPieceIndex,
    InvalidPublicKey,
    compute_bucket_index,
    compute_distance,
    compute_kademlia_key,
    compute_peer_id,
    compute_piece_distance,
    compute_piece_record_key,
    encode_unsigned_varint,
    plan_cache_insertions,
    select_closest_pieces,
)

# Record keys (multihash) and SHA-256 Kademlia keys, computed from the reference's rules (not vectors in its tests).
RECORD_KEY_VECTORS = [
    (0, "90b2ce05080000000000000000", "88eacb1b1378879135e45d896f108b08c7c91e6ce3f9bcbf4950d9db585f3ebd"),
    (1, "90b2ce05080100000000000000", "286de69128fc9855a201246a1e5dfbd628f4698fc41e9cf0bf011176d31f7fa2"),
    (256, "90b2ce05080001000000000000", "66852fef9085c7ea32762e3b659e04e40001f2f4cb42ab53985814d5ff885663"),
]
# libp2p peer-ids spec test vector (ed25519 public key) and its base58 PeerId as rust-libp2p prints it.
SPEC_PUBLIC_KEY = bytes.fromhex("1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e")
SPEC_PEER_ID_BASE58 = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

PEER_A = compute_peer_id(bytes(range(32)))
PEER_B = compute_peer_id(bytes(range(32, 64)))


def encode_base58(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    text = ""
    while number > 0:
        number, digit = divmod(number, 58)
        text = BASE58_ALPHABET[digit] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


@pytest.mark.parametrize(("piece_index", "record_key", "kademlia_key"), RECORD_KEY_VECTORS)
def test_record_keys_match_the_reference_vectors(piece_index: int, record_key: str, kademlia_key: str) -> None:
    key = compute_piece_record_key(piece_index)
    assert key.hex() == record_key
    assert len(key) == 13
    assert compute_kademlia_key(key).hex() == kademlia_key


def test_record_key_layout_at_the_u64_bounds() -> None:
    assert encode_unsigned_varint(PIECE_INDEX_MULTIHASH_CODE).hex() == "90b2ce05"
    assert compute_piece_record_key(2**64 - 1) == bytes.fromhex("90b2ce0508") + b"\xff" * 8
    assert compute_piece_record_key(0x0102030405060708)[5:] == bytes([8, 7, 6, 5, 4, 3, 2, 1])


@pytest.mark.parametrize("bad_index", [-1, 2**64, True, 1.0, "1"])
def test_record_key_rejects_indexes_outside_u64(bad_index: object) -> None:
    with pytest.raises(InvalidPieceIndex):
        compute_piece_record_key(bad_index)  # type: ignore[arg-type]
    assert issubclass(InvalidPieceIndex, ValueError)


def test_peer_id_is_the_identity_multihash_of_the_protobuf_key() -> None:
    peer_id = compute_peer_id(SPEC_PUBLIC_KEY)
    assert peer_id == bytes.fromhex("0024080112") + bytes([0x20]) + SPEC_PUBLIC_KEY
    assert len(peer_id) == 38
    assert encode_base58(peer_id) == SPEC_PEER_ID_BASE58


@pytest.mark.parametrize("bad_key", [b"", b"\x01" * 31, b"\x01" * 33, "x" * 32])
def test_peer_id_rejects_wrong_key_lengths(bad_key: object) -> None:
    with pytest.raises(InvalidPublicKey):
        compute_peer_id(bad_key)  # type: ignore[arg-type]


def test_distance_is_xor_read_big_endian_and_symmetric() -> None:
    key_a, key_b = compute_kademlia_key(b"a"), compute_kademlia_key(b"b")
    expected = int.from_bytes(bytes(x ^ y for x, y in zip(key_a, key_b, strict=True)), "big")
    assert compute_distance(key_a, key_b) == expected == compute_distance(key_b, key_a)
    assert compute_distance(key_a, key_a) == 0
    assert compute_distance(b"\x00" * 32, b"\x00" * 31 + b"\x01") == 1
    assert compute_distance(b"\x80" + b"\x00" * 31, b"\x00" * 32) == 2**255
    with pytest.raises(InvalidKademliaKey):
        compute_distance(key_a, key_b[:31])


def test_piece_distance_hashes_record_key_and_peer_id() -> None:
    expected = int.from_bytes(hashlib.sha256(bytes.fromhex(RECORD_KEY_VECTORS[0][1])).digest(), "big") ^ int.from_bytes(
        hashlib.sha256(PEER_A).digest(), "big"
    )
    assert compute_piece_distance(0, PEER_A) == expected


def test_select_closest_pieces_orders_nearest_first() -> None:
    indexes = list(range(64))
    chosen = select_closest_pieces(PEER_A, indexes, 10)
    ranked = sorted(indexes, key=lambda index: compute_piece_distance(index, PEER_A))
    assert chosen == ranked[:10]
    assert select_closest_pieces(PEER_A, indexes + indexes, 100) == ranked
    assert select_closest_pieces(PEER_A, indexes, 0) == []
    assert select_closest_pieces(PEER_A, indexes, 10) != select_closest_pieces(PEER_B, indexes, 10)
    with pytest.raises(InvalidCapacity):
        select_closest_pieces(PEER_A, indexes, -1)


def test_plan_fills_free_space_then_replaces_the_farthest() -> None:
    ranked = sorted(range(32), key=lambda index: compute_piece_distance(index, PEER_A))
    # Room for everything: all candidates are inserted, nothing evicted.
    assert plan_cache_insertions(PEER_A, {}, 4, ranked[:4]) == CachePlan(insert=tuple(ranked[:4]), evict=())
    # Full with the 4 farthest; the 2 nearest pieces push out the 2 farthest stored ones.
    stored = {index: compute_piece_distance(index, PEER_A) for index in ranked[-4:]}
    plan = plan_cache_insertions(PEER_A, stored, 4, [ranked[1], ranked[0]])
    assert plan == CachePlan(insert=(ranked[0], ranked[1]), evict=(ranked[-1], ranked[-2]))
    # A candidate farther than everything stored is not taken.
    near = {index: compute_piece_distance(index, PEER_A) for index in ranked[:4]}
    assert plan_cache_insertions(PEER_A, near, 4, [ranked[-1]]) == CachePlan(insert=(), evict=())
    # A stored set over capacity (the capacity shrank) loses its farthest pieces.
    assert plan_cache_insertions(PEER_A, near, 2, []) == CachePlan(insert=(), evict=(ranked[3], ranked[2]))


@settings(max_examples=60, deadline=None)
@given(
    stored_pool=st.sets(st.integers(0, 200), max_size=12),
    candidates=st.lists(st.integers(0, 200), max_size=40),
    capacity=st.integers(0, 15),
    peer_seed=st.binary(min_size=32, max_size=32),
)
def test_plan_keeps_exactly_the_closest_of_stored_and_candidates(
    stored_pool: set[int], candidates: list[int], capacity: int, peer_seed: bytes
) -> None:
    peer_id = compute_peer_id(peer_seed)
    # A cache holds the closest pieces of what it has seen.
    stored = {
        index: compute_piece_distance(index, peer_id) for index in select_closest_pieces(peer_id, stored_pool, capacity)
    }
    plan = plan_cache_insertions(peer_id, stored, capacity, candidates)
    kept = (set(stored) - set(plan.evict)) | set(plan.insert)
    assert kept == set(select_closest_pieces(peer_id, set(stored) | set(candidates), capacity))
    assert set(plan.evict) <= set(stored)
    assert set(plan.insert).isdisjoint(stored)
    assert list(plan.insert) == sorted(plan.insert, key=lambda index: compute_piece_distance(index, peer_id))


def test_bucket_index_is_the_highest_differing_bit() -> None:
    zero = b"\x00" * 32
    assert compute_bucket_index(zero, b"\x00" * 31 + b"\x01") == 0
    assert compute_bucket_index(zero, b"\x00" * 31 + b"\x03") == 1
    assert compute_bucket_index(zero, b"\x80" + b"\x00" * 31) == 255
    assert compute_bucket_index(b"\x7f" + b"\xff" * 31, b"\x40" + b"\x00" * 31) == 253
    assert compute_bucket_index(zero, zero) is None
    key_a, key_b = compute_kademlia_key(PEER_A), compute_kademlia_key(PEER_B)
    assert (
        compute_bucket_index(key_a, key_b)
        == compute_bucket_index(key_b, key_a)
        == compute_distance(key_a, key_b).bit_length() - 1
    )
