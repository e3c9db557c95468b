"""Threaded chia table builds and proof hashes: byte-identical to one thread for every thread count.

The C build splits table 1's x batches, each table's bucket pairs and its bucket sorts over threads and
appends the helper threads' entries after the calling thread's (kernels/src/pos_table.c); any slip in
that order changes positions, so every table is compared entry for entry, with find_proof and
proof_hashes on top.
"""

from __future__ import annotations

import functools
import threading

import pytest

from autonomys.kernels import pos

KERNEL = pos  # `native_backend` runs once per C backend (tests/kernels/conftest.py)
SEEDS = [bytes([seed]) * 32 for seed in (1, 7)] + [bytes(range(32))]
THREAD_COUNTS = (2, 3, 4)
# K=20 (crates/subspace-proof-of-space/src/chiapos/tables/tests.rs::proof_identity_with_main_branch)
T2_SEED = bytes.fromhex("23023404333717545b0a6f0c0dde9710e4d3fe2d5cc6cc0a090a0b818bab0f17")
T2_CHALLENGE = 600426542
T2_PROOF = (
    "e7a0b6a09787b5b8a2b649f6640a40089dfba1b02f2b60153379068d73ac2ceb238db9e7e8705ee9ea8122ea629c34247085ccf8"
    "a5205757b38eb709f350ffe99d587ec81785c55f1924962232c72af0ce4db70fcb5ce246b17537f0e1c0ccd31942c1d65bd3ec70cde72af1"
    "7ad67f6bda4271cc543e9929612f6f41479abffc60b6ace8edf407849ec9ef85b8bf4863807fcac374315bcf0e866db8e2de7213"
)
T2_NO_PROOF = 1232460437


@functools.cache
def _single_thread_build(k: int, seed: bytes, backend: str) -> tuple[list[list[tuple[int, ...]]], tuple[bytes, bytes]]:
    table = pos.PosTable(k, backend=backend)
    table.generate(seed)
    entries = [table.table_entries(table_number) for table_number in range(1, 8)]
    return entries, table.proof_hashes(2**k)


@pytest.mark.parametrize(
    ("k", "seed"),
    [(12, seed) for seed in SEEDS] + [(13, SEEDS[1]), (14, SEEDS[0]), (16, SEEDS[2])],
    ids=lambda value: value[:2].hex() if isinstance(value, bytes) else str(value),
)
def test_threaded_tables_equal_one_thread(native_backend: str, k: int, seed: bytes) -> None:
    entries, hashes = _single_thread_build(k, seed, native_backend)
    assert len(entries[6]) > 0  # a table 7 to answer challenges from
    table = pos.PosTable(k, backend=native_backend)
    for threads in THREAD_COUNTS:
        table.generate(seed, threads=threads)
        for table_number in range(1, 8):
            assert table.table_entries(table_number) == entries[table_number - 1], (threads, table_number)
        assert table.proof_hashes(2**k, threads=threads) == hashes, threads
        assert table.proof_hashes(2**k) == hashes, threads


def test_threaded_find_proof_equals_one_thread() -> None:
    single, threaded = pos.PosTable(16), pos.PosTable(16, threads=2)
    seed = bytes(range(32, 64))
    single.generate(seed)
    threaded.generate(seed)
    found = 0
    for challenge_index in range(0, 2**32, 2**32 // 997):
        proof = single.find_proof(challenge_index)
        assert threaded.find_proof(challenge_index) == proof
        found += proof is not None
    assert found > 300  # about 63% of challenges have a proof


def test_k20_threaded_build_reproduces_the_reference_proofs() -> None:
    """A crate K=20 proof (test_pos_kernel.T2_PROOFS) from a two-thread build, and all proof hashes equal."""
    single, threaded = pos.PosTable(20), pos.PosTable(20, threads=2)
    single.generate(T2_SEED)
    threaded.generate(T2_SEED)
    assert threaded.find_proof(T2_CHALLENGE) == bytes.fromhex(T2_PROOF)
    assert threaded.find_proof(T2_NO_PROOF) is None
    assert threaded.proof_hashes(2**16) == single.proof_hashes(2**16)
    assert threaded.table_entries(7) == single.table_entries(7)


def test_thread_count_changes_between_builds() -> None:
    """The helpers' scratch is reallocated when the count changes; the table stays the same."""
    seed = bytes([9]) * 32
    reference = pos.PosTable(14)
    reference.generate(seed)
    expected = reference.proof_hashes(2**14)
    table = pos.PosTable(14)
    for threads in (2, 4, 1, 3, 3, 2):
        table.generate(seed, threads)
        assert table.proof_hashes(2**14, threads) == expected, threads


def test_default_threads_and_validation() -> None:
    table = pos.PosTable(12)
    assert table.threads == 1
    table.threads = 2
    assert table.threads == 2
    for bad in (0, pos.MAX_THREADS + 1, 1.5, True):
        with pytest.raises(pos.PosKernelError, match="threads"):
            pos.PosTable(12, threads=bad)  # type: ignore[arg-type]
        with pytest.raises(pos.PosKernelError, match="threads"):
            table.generate(bytes(32), threads=bad)  # type: ignore[arg-type]
        with pytest.raises(pos.PosKernelError, match="threads"):
            table.threads = bad  # type: ignore[assignment]
    assert table.threads == 2
    table.generate(bytes(32))
    with pytest.raises(pos.PosKernelError, match="threads"):
        table.proof_hashes(16, threads=0)


def test_shim_and_reference_accept_threads() -> None:
    """Only the C chia build splits work; the other kinds take the argument and answer as before."""
    seed = bytes([3]) * 32
    shim = pos.PosTable(kind="shim", threads=2)
    shim.generate(seed)
    plain = pos.PosTable(kind="shim")
    plain.generate(seed)
    assert shim.proof_hashes(64, threads=3) == plain.proof_hashes(64)


def test_threaded_generate_releases_the_gil() -> None:
    """A two-thread build leaves the interpreter free: a Python thread keeps counting meanwhile."""
    table = pos.PosTable(18, threads=2)
    done = threading.Event()
    ticks = 0

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        table.generate(bytes([5]) * 32)
    finally:
        done.set()
        counter.join()
    assert ticks > 1000
