"""Deduplication and shuffle of a domain block's extrinsics (sp-domains `extrinsics.rs`), and the shuffling seed.

A domain block's extrinsics are the valid bundles' `(signer, extrinsic)` pairs in bundle order. Byte-identical
extrinsics are dropped after their first occurrence, then the signer positions are shuffled with a ChaCha8
stream seeded from the consensus block's randomness (rand_chacha 0.3 `ChaCha8Rng`, rand 0.8 `SliceRandom::shuffle`),
and each position takes the next extrinsic of its signer, so one signer's extrinsics (and so its nonces) keep
their order. Unsigned extrinsics (signer `None`) form one group.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Sequence
from typing import Protocol, TypeVar

from autonomys.protocol.errors import InvalidShuffleSeed
from autonomys.protocol.farming.solutions import derive_global_randomness
from autonomys.protocol.types import Randomness

T = TypeVar("T")

SHUFFLING_SEED_SIZE = 32
"""Bytes of a shuffling seed: the ChaCha8 key (rand_chacha `ChaCha8Rng::Seed = [u8; 32]`)."""

EXTRINSICS_SHUFFLING_SEED_SUBJECT = b"extrinsics-shuffling-seed"
"""Domain-separation prefix of the shuffling seed (pallet-domains `extrinsics_shuffling_seed`)."""

_MASK32 = 0xFFFFFFFF
_CHACHA_CONSTANTS = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)  # "expand 32-byte k"


# ---- ChaCha8 (rand_chacha 0.3 `ChaCha8Rng::from_seed`) ----


def compute_chacha_block(key_words: Sequence[int], counter: int, double_rounds: int = 4) -> list[int]:
    """The 16 output words of one ChaCha block (8 rounds by default) for this key, 64-bit counter and zero stream id."""
    state = [*_CHACHA_CONSTANTS, *key_words, counter & _MASK32, counter >> 32, 0, 0]
    x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15 = state
    for _ in range(double_rounds):  # ChaCha8 = 4 double rounds: columns, then diagonals
        x0, x4, x8, x12 = _quarter_round(x0, x4, x8, x12)
        x1, x5, x9, x13 = _quarter_round(x1, x5, x9, x13)
        x2, x6, x10, x14 = _quarter_round(x2, x6, x10, x14)
        x3, x7, x11, x15 = _quarter_round(x3, x7, x11, x15)
        x0, x5, x10, x15 = _quarter_round(x0, x5, x10, x15)
        x1, x6, x11, x12 = _quarter_round(x1, x6, x11, x12)
        x2, x7, x8, x13 = _quarter_round(x2, x7, x8, x13)
        x3, x4, x9, x14 = _quarter_round(x3, x4, x9, x14)
    mixed = (x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15)
    return [(word + start) & _MASK32 for word, start in zip(mixed, state, strict=True)]


def _quarter_round(a: int, b: int, c: int, d: int) -> tuple[int, int, int, int]:
    """The ChaCha quarter round (RFC 7539 section 2.1)."""
    a = (a + b) & _MASK32
    d ^= a
    d = ((d << 16) | (d >> 16)) & _MASK32
    c = (c + d) & _MASK32
    b ^= c
    b = ((b << 12) | (b >> 20)) & _MASK32
    a = (a + b) & _MASK32
    d ^= a
    d = ((d << 8) | (d >> 24)) & _MASK32
    c = (c + d) & _MASK32
    b ^= c
    b = ((b << 7) | (b >> 25)) & _MASK32
    return a, b, c, d


class WordSource(Protocol):
    """Anything that yields 32-bit words (rand `RngCore::next_u32`)."""

    def next_u32(self) -> int: ...


class ChaCha8Rng:
    """A ChaCha8 stream as rand_chacha 0.3 `ChaCha8Rng::from_seed`: `next_u32` yields the keystream words in order."""

    __slots__ = ("_buffer", "_counter", "_key_words", "_position")

    def __init__(self, seed: bytes) -> None:
        validate_shuffling_seed(seed)
        self._key_words = [int.from_bytes(seed[offset : offset + 4], "little") for offset in range(0, 32, 4)]
        self._counter = 0
        self._buffer: list[int] = []
        self._position = 0

    def next_u32(self) -> int:
        """The next 32-bit output word (`RngCore::next_u32`)."""
        if self._position == len(self._buffer):
            self._buffer = compute_chacha_block(self._key_words, self._counter)
            self._counter += 1
            self._position = 0
        word = self._buffer[self._position]
        self._position += 1
        return word


def gen_index(rng: WordSource, upper: int) -> int:
    """A uniform index in [0, upper) as rand 0.8 `UniformInt<u32>::sample_single` (widening-multiply rejection)."""
    if not 1 <= upper <= _MASK32:
        msg = f"gen_index upper bound must be in [1, 2^32 - 1], got {upper}"
        raise ValueError(msg)
    zone = ((upper << (32 - upper.bit_length())) - 1) & _MASK32  # (u << lzcnt32(u)) - 1
    while True:
        product = rng.next_u32() * upper
        if product & _MASK32 <= zone:
            return product >> 32


# ---- shuffle (sp-domains extrinsics.rs `shuffle_extrinsics`, `deduplicate_and_shuffle_extrinsics`) ----


def validate_shuffling_seed(seed: bytes) -> None:
    """Raise InvalidShuffleSeed unless `seed` is 32 bytes."""
    if not isinstance(seed, bytes | bytearray | memoryview) or len(seed) != SHUFFLING_SEED_SIZE:
        size = len(seed) if isinstance(seed, bytes | bytearray | memoryview) else type(seed).__name__
        msg = f"shuffling seed must be {SHUFFLING_SEED_SIZE} bytes, got {size}"
        raise InvalidShuffleSeed(msg)


def shuffle_extrinsics(extrinsics: Sequence[tuple[bytes | None, T]], seed: bytes) -> list[T]:
    """The extrinsics in shuffled signer order; each signer's (and the unsigned group's) own order is kept."""
    rng = ChaCha8Rng(seed)
    positions = [signer for signer, _ in extrinsics]
    # rand 0.8 `SliceRandom::shuffle`: Fisher-Yates from the top
    for index in range(len(positions) - 1, 0, -1):
        other = gen_index(rng, index + 1)
        positions[index], positions[other] = positions[other], positions[index]
    queues: dict[bytes | None, deque[T]] = {}
    for signer, extrinsic in extrinsics:
        queues.setdefault(signer, deque()).append(extrinsic)
    return [queues[signer].popleft() for signer in positions]


def deduplicate_and_shuffle_extrinsics(extrinsics: Sequence[tuple[bytes | None, bytes]], seed: bytes) -> list[bytes]:
    """The extrinsics without byte-identical repeats (the first occurrence stays), then shuffled."""
    validate_shuffling_seed(seed)
    seen: set[bytes] = set()
    unique: list[tuple[bytes | None, bytes]] = []
    for signer, extrinsic in extrinsics:
        if extrinsic not in seen:
            seen.add(extrinsic)
            unique.append((signer, extrinsic))
    return shuffle_extrinsics(unique, seed)


# ---- seed (pallet-subspace `Randomness::random`, pallet-domains `extrinsics_shuffling_seed`) ----


def derive_block_randomness(pot_output: bytes) -> Randomness:
    """blake3 of the block's pre-digest PoT output: the consensus block randomness."""
    return Randomness(derive_global_randomness(pot_output))


def derive_extrinsics_shuffling_seed(block_randomness: bytes) -> Randomness:
    """BlakeTwo256(b"extrinsics-shuffling-seed" || block randomness): the seed of a domain block's shuffle."""
    randomness = Randomness(block_randomness)
    return Randomness(hashlib.blake2b(EXTRINSICS_SHUFFLING_SEED_SUBJECT + randomness, digest_size=32).digest())
