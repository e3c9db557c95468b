"""Pure-Python reference of the proof-of-space kernel: slow, written for reading, the ground truth of
the equivalence tests (kernels/src/pos*.c must agree with it byte for byte).

Chia table as Subspace uses it (crates/subspace-proof-of-space/src/chiapos):
- f1(x): bits [K x, K x + K) of the ChaCha8 keystream of the seed (nonce 0, counter from 0), MSB
  first, shifted left by 6, or the top 6 bits of x.
- f2..f7: blake3(y || left_metadata || right_metadata) as an MSB-first bit string padded to bytes;
  y is its first K + 6 bits; metadata is left || right (tables 2, 3) or the next K*{4,3,2} bits.
- Matching: adjacent buckets of BC = 15113; a left entry's 64 targets are taken in ascending r.
- Tables keep at most 512 entries per bucket and 512 matches per bucket pair, in position order,
  and order each bucket by (y, position).
Only small K are practical for table builds here (K = 12 takes about a second); verification is fine
at K = 20. The shim table is here too: the C kernel must match it.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass

import blake3

PARAM_EXT = 6
PARAM_M = 64
PARAM_B = 119
PARAM_C = 127
PARAM_BC = 15113
MAX_BUCKET_ENTRIES = 512
MAX_PAIR_MATCHES = 512
METADATA_FACTORS = (0, 1, 2, 4, 4, 3, 2, 0)  # metadata bits of table t are K * METADATA_FACTORS[t]
NUM_PROOF_XS = 64
_MASK32 = 0xFFFFFFFF
_CHACHA_CONSTANTS = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)


def _rotl32(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & _MASK32


def _quarter_round(state: list[int], a: int, b: int, c: int, d: int) -> None:
    state[a] = (state[a] + state[b]) & _MASK32
    state[d] = _rotl32(state[d] ^ state[a], 16)
    state[c] = (state[c] + state[d]) & _MASK32
    state[b] = _rotl32(state[b] ^ state[c], 12)
    state[a] = (state[a] + state[b]) & _MASK32
    state[d] = _rotl32(state[d] ^ state[a], 8)
    state[c] = (state[c] + state[d]) & _MASK32
    state[b] = _rotl32(state[b] ^ state[c], 7)


def chacha_block(key: bytes, counter: int, rounds: int = 8, nonce: bytes = bytes(12)) -> bytes:
    """One 64-byte ChaCha block (RFC 7539 layout; 8 rounds for ChaCha8, 20 for ChaCha20)."""
    initial = [
        *_CHACHA_CONSTANTS,
        *(int.from_bytes(key[4 * i : 4 * i + 4], "little") for i in range(8)),
        counter & _MASK32,
        *(int.from_bytes(nonce[4 * i : 4 * i + 4], "little") for i in range(3)),
    ]
    state = list(initial)
    for _ in range(rounds // 2):
        _quarter_round(state, 0, 4, 8, 12)
        _quarter_round(state, 1, 5, 9, 13)
        _quarter_round(state, 2, 6, 10, 14)
        _quarter_round(state, 3, 7, 11, 15)
        _quarter_round(state, 0, 5, 10, 15)
        _quarter_round(state, 1, 6, 11, 12)
        _quarter_round(state, 2, 7, 8, 13)
        _quarter_round(state, 3, 4, 9, 14)
    return b"".join(
        ((word + start) & _MASK32).to_bytes(4, "little") for word, start in zip(state, initial, strict=True)
    )


def chacha8_keystream(seed: bytes, first_block: int, num_blocks: int) -> bytes:
    """ChaCha8 keystream blocks first_block .. first_block + num_blocks - 1."""
    return b"".join(chacha_block(seed, first_block + i) for i in range(num_blocks))


def y_bits(k: int) -> int:
    """Bits of a y value."""
    return k + PARAM_EXT


def metadata_bits(k: int, table_number: int) -> int:
    """Bits of the metadata of table 1..7."""
    return k * METADATA_FACTORS[table_number]


def _f1_from_stream(k: int, stream: bytes, stream_bit: int, x: int) -> int:
    """f1(x), where bit `stream_bit` of `stream` is bit K x of the keystream."""
    first = stream_bit // 8
    window = int.from_bytes(stream[first : first + 5], "big")  # 40 bits hold the K <= 25 wanted bits
    partial_y = (window >> (40 - stream_bit % 8 - k)) & ((1 << k) - 1)
    return (partial_y << PARAM_EXT) | (x >> (k - PARAM_EXT))


def compute_f1(k: int, seed: bytes, x: int) -> int:
    """f1(x) for one x."""
    bit = k * x
    block = bit // 512
    stream = chacha8_keystream(seed, block, 2)
    return _f1_from_stream(k, stream, bit - 512 * block, x)


def compute_table1_ys(k: int, seed: bytes) -> list[int]:
    """f1(x) for every x in 0..2^K-1."""
    num_x = 1 << k
    stream = chacha8_keystream(seed, 0, (k * num_x + 511) // 512) + bytes(8)
    return [_f1_from_stream(k, stream, k * x, x) for x in range(num_x)]


def compute_fn(k: int, table_number: int, y: int, left_metadata: int, right_metadata: int) -> tuple[int, int]:
    """(y, metadata) of table 2..7 from the left entry's y and both parents' metadata."""
    parent_bits = metadata_bits(k, table_number - 1)
    total_bits = y_bits(k) + 2 * parent_bits
    value = (y << (2 * parent_bits)) | (left_metadata << parent_bits) | right_metadata
    num_bytes = (total_bits + 7) // 8
    digest = blake3.blake3((value << (8 * num_bytes - total_bits)).to_bytes(num_bytes, "big")).digest()
    hash_value = int.from_bytes(digest, "big")
    y_out = hash_value >> (256 - y_bits(k))
    bits = metadata_bits(k, table_number)
    if table_number <= 3:
        metadata = (left_metadata << parent_bits) | right_metadata
    else:
        metadata = (hash_value >> (256 - y_bits(k) - bits)) & ((1 << bits) - 1)
    return y_out, metadata


@functools.lru_cache(maxsize=None)
def sorted_targets(parity: int, left_r: int) -> tuple[int, ...]:
    """The 64 right r values a left r matches, ascending."""
    return tuple(
        sorted(
            ((left_r // PARAM_C + m) % PARAM_B) * PARAM_C + (((2 * m + parity) ** 2 + left_r) % PARAM_C)
            for m in range(PARAM_M)
        )
    )


def has_match(left_y: int, right_y: int) -> bool:
    """True when right_y is one of left_y's targets (bucket adjacency is not checked)."""
    parity = (left_y // PARAM_BC) % 2
    return right_y % PARAM_BC in sorted_targets(parity, left_y % PARAM_BC)


@dataclass(frozen=True, slots=True)
class Entry:
    """One table entry; `left` and `right` index the parent table's sorted entries (table 1: x, x)."""

    y: int
    metadata: int
    left: int
    right: int


def _bucket_and_sort(generated: list[Entry]) -> list[Entry]:
    """Keep 512 entries per bucket in position order, then order by (y, position)."""
    buckets: dict[int, list[tuple[int, int, Entry]]] = {}
    for position, entry in enumerate(generated):
        bucket = buckets.setdefault(entry.y // PARAM_BC, [])
        if len(bucket) < MAX_BUCKET_ENTRIES:
            bucket.append((entry.y, position, entry))
    return [entry for index in sorted(buckets) for _, _, entry in sorted(buckets[index], key=lambda item: item[:2])]


def _bucket_ranges(entries: list[Entry]) -> dict[int, tuple[int, int]]:
    """Bucket index -> (start, end) in a sorted table."""
    ranges: dict[int, tuple[int, int]] = {}
    for index, entry in enumerate(entries):
        start, _ = ranges.get(entry.y // PARAM_BC, (index, index))
        ranges[entry.y // PARAM_BC] = (start, index + 1)
    return ranges


def _match_pair(
    parent: list[Entry], bucket: int, left: tuple[int, int], right: tuple[int, int]
) -> list[tuple[int, int]]:
    """Matches (left index, right index) of buckets (bucket, bucket + 1), first 512 in match order."""
    right_base = (bucket + 1) * PARAM_BC
    by_r: dict[int, list[int]] = {}
    for index in range(*right):
        by_r.setdefault(parent[index].y - right_base, []).append(index)
    matches = []
    for left_index in range(*left):
        for target in sorted_targets(bucket % 2, parent[left_index].y - bucket * PARAM_BC):
            matches.extend((left_index, right_index) for right_index in by_r.get(target, ()))
    return matches[:MAX_PAIR_MATCHES]


def build_tables(k: int, seed: bytes) -> list[list[Entry]]:
    """Tables 1..7 (index 0 is unused), each in (y, position) order."""
    table1 = _bucket_and_sort([Entry(y, x, x, x) for x, y in enumerate(compute_table1_ys(k, seed))])
    tables: list[list[Entry]] = [[], table1]
    num_buckets = -(-(1 << y_bits(k)) // PARAM_BC)
    for table_number in range(2, 8):
        parent = tables[-1]
        ranges = _bucket_ranges(parent)
        generated = []
        for bucket in range(num_buckets - 1):
            if bucket not in ranges or bucket + 1 not in ranges:
                continue
            for left_index, right_index in _match_pair(parent, bucket, ranges[bucket], ranges[bucket + 1]):
                left, right = parent[left_index], parent[right_index]
                y, metadata = compute_fn(k, table_number, left.y, left.metadata, right.metadata)
                generated.append(Entry(y, metadata, left_index, right_index))
        tables.append(_bucket_and_sort(generated))
    return tables


def challenge_first_k(k: int, challenge_index: int) -> int:
    """The first K bits of the challenge: its 4 little-endian bytes read big-endian."""
    return int.from_bytes(challenge_index.to_bytes(4, "little"), "big") >> (32 - k)


def pack_xs(k: int, xs: list[int]) -> bytes:
    """64 x values of K bits, MSB first."""
    value = 0
    for x in xs:
        value = (value << k) | x
    return value.to_bytes(8 * k, "big")


def unpack_xs(k: int, proof: bytes) -> list[int]:
    """The 64 x values of a proof."""
    value = int.from_bytes(proof, "big")
    return [(value >> (k * (NUM_PROOF_XS - 1 - i))) & ((1 << k) - 1) for i in range(NUM_PROOF_XS)]


def find_proof(k: int, tables: list[list[Entry]], challenge_index: int) -> bytes | None:
    """The proof of the first table-7 entry whose y >> 6 is the challenge's first K bits, or None."""
    first_k = challenge_first_k(k, challenge_index)
    table7_ys = [entry.y for entry in tables[7]]
    index = bisect.bisect_left(table7_ys, first_k << PARAM_EXT)
    if index == len(table7_ys) or table7_ys[index] >> PARAM_EXT != first_k:
        return None
    positions = [index]
    for table_number in range(7, 1, -1):
        table = tables[table_number]
        positions = [side for position in positions for side in (table[position].left, table[position].right)]
    return pack_xs(k, [tables[1][position].metadata for position in positions])


def is_proof_valid(k: int, seed: bytes, challenge_index: int, proof: bytes) -> bool:
    """Verify without a table: f1 of the 64 x values, matching pairs up to table 7, first K bits of y7."""
    xs = unpack_xs(k, proof)
    entries = [(compute_f1(k, seed, x), x) for x in xs]
    for table_number in range(2, 8):
        next_entries = []
        for (left_y, left_metadata), (right_y, right_metadata) in zip(entries[::2], entries[1::2], strict=True):
            if not has_match(left_y, right_y):
                return False
            next_entries.append(compute_fn(k, table_number, left_y, left_metadata, right_metadata))
        entries = next_entries
    return entries[0][0] >> PARAM_EXT == challenge_first_k(k, challenge_index)


def shim_find_proof(seed: bytes, challenge_index: int) -> bytes | None:
    """The shim table: quality = blake3(challenge u32 LE); a proof iff U256_le(quality) % 3 != 0."""
    quality = blake3.blake3(challenge_index.to_bytes(4, "little")).digest()
    if int.from_bytes(quality, "little") % 3 == 0:
        return None
    return seed + quality * 4


def proof_hashes(proofs: list[bytes | None]) -> tuple[bytes, bytes]:
    """(flags, hashes) of proofs for challenges 0..n-1: 1 = present, blake3(proof) or 32 zero bytes."""
    flags = bytes(0 if proof is None else 1 for proof in proofs)
    hashes = b"".join(bytes(32) if proof is None else blake3.blake3(proof).digest() for proof in proofs)
    return flags, hashes
