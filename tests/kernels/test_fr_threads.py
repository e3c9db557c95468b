"""Erasure recovery on two threads (fr.recover_batch(..., threads=N)): the same bytes as one thread.

With threads >= 2 the C kernel (kernels/src/fr_recover.c) builds the zero polynomial's leaves and tree
levels on two threads, evaluates it on the domain and the coset at once, and splits every N-point
transform of a column after its outer butterfly layer; each check below compares the whole output with
the one-thread result and with the codeword itself, for every C backend.
"""

from __future__ import annotations

import random

import pytest

from autonomys.kernels import fr

KERNEL = fr  # `native_backend` runs once per C backend (tests/kernels/conftest.py)
THREAD_COUNTS = (2, 3, 4)


def codeword_columns(rng: random.Random, shard_count: int, columns: int) -> bytes:
    """`columns` codewords of shard_count shards (the upper half of every polynomial's coefficients zero)."""
    return b"".join(
        fr.ntt(
            fr.scalars_to_bytes([rng.randrange(fr.MODULUS) for _ in range(shard_count // 2)])
            + bytes(fr.SCALAR_SIZE * (shard_count // 2))
        )
        for _ in range(columns)
    )


def erase(columns: bytes, present: list[bool]) -> bytes:
    """Missing shards replaced by 0xff bytes (non-canonical: a kernel reading one would fail)."""
    size = fr.SCALAR_SIZE
    return b"".join(
        columns[index * size : (index + 1) * size] if present[index % len(present)] else b"\xff" * size
        for index in range(len(columns) // size)
    )


def masks(rng: random.Random, shard_count: int) -> list[list[bool]]:
    half = shard_count // 2
    random_half = set(rng.sample(range(shard_count), half))
    more = set(rng.sample(range(shard_count), half + rng.randrange(half + 1)))
    return [
        [index in random_half for index in range(shard_count)],  # exactly half: the deepest zero polynomial
        [index in more for index in range(shard_count)],
        [index % 3 != 0 for index in range(shard_count)],  # two thirds, as a proof's record
        [index >= half for index in range(shard_count)],
        [True] * shard_count,  # nothing missing: Z = 1
    ]


@pytest.mark.parametrize("shard_count", [2, 4, 8, 64, 256, 2**10, 2**12])
def test_threaded_recover_equals_one_thread(native_backend: str, shard_count: int) -> None:
    rng = random.Random(shard_count)
    columns = codeword_columns(rng, shard_count, 3)
    for present in masks(rng, shard_count):
        erased = erase(columns, present)
        single = fr.recover_batch(erased, present, native_backend)
        assert single == columns
        for threads in THREAD_COUNTS:
            assert fr.recover_batch(erased, present, native_backend, threads) == single, (threads, sum(present))


def test_threaded_recover_of_a_proof_sized_column(native_backend: str) -> None:
    """One column of 2^16 shards, as a farmer's proof recovers it, two thirds present and exactly half."""
    rng = random.Random(16)
    column = codeword_columns(rng, 2**16, 1)
    for present in masks(rng, 2**16)[:1] + masks(rng, 2**16)[2:3]:
        assert fr.recover_batch(erase(column, present), present, native_backend, 2) == column


def test_threaded_recover_rejects_inconsistent_shards(native_backend: str) -> None:
    """A changed shard fails on two threads as on one: the high coefficients of either half are checked."""
    rng = random.Random(5)
    shard_count = 256
    column = bytearray(codeword_columns(rng, shard_count, 1))
    present = [True] * shard_count
    for index in (3, 200):
        altered = bytearray(column)
        value = int.from_bytes(altered[32 * index : 32 * index + 32], "big")
        altered[32 * index : 32 * index + 32] = ((value + 1) % fr.MODULUS).to_bytes(32, "big")
        for threads in (1, 2):
            with pytest.raises(fr.FrKernelError, match="not evaluations of one polynomial"):
                fr.recover_batch(bytes(altered), present, native_backend, threads)


def test_recover_threads_validated() -> None:
    rng = random.Random(6)
    column = codeword_columns(rng, 8, 1)
    for bad in (0, fr.MAX_THREADS + 1, 2.0, True):
        with pytest.raises(fr.FrKernelError, match="threads"):
            fr.recover_batch(column, [True] * 8, "auto", bad)  # type: ignore[arg-type]
    assert fr.recover_batch(column, [True] * 8, "reference", 2) == column
