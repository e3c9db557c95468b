"""The audit kernel: every C backend == the blake3-package reference, keyed-hash known answers, solution-range
edges, (distance, offset) order with ties, mmap input, bad arguments, strict C build."""

from __future__ import annotations

import mmap
import random
import shutil
import subprocess
import threading
from pathlib import Path

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.kernels import _sector, audit, audit_reference

KERNEL = audit  # tests taking `backend` run once per audit.available_backends() (tests/kernels/conftest.py)
KERNELS = Path(__file__).resolve().parents[2] / "kernels"
CHUNK = audit.CHUNK_SIZE
U64_MAX = 2**64 - 1
HALF = 2**63
LENGTHS = [0, 1, 15, 16, 17, 500, 4097]


def challenge_of(value: int) -> bytes:
    """A 32-byte global challenge whose first 8 bytes are `value` (LE), the rest noise that must be ignored."""
    return (value % 2**64).to_bytes(8, "little") + bytes(range(200, 224))


def audit_value(chunk: bytes, key: bytes) -> int:
    return int.from_bytes(blake3.blake3(chunk, key=key).digest()[:8], "little")


# ---- equivalence ----


def test_all_backends_listed() -> None:
    backends = audit.available_backends()
    assert backends[:2] == ("auto", "portable") and backends[-1] == "reference"
    assert set(backends) <= set(audit.BACKENDS)
    assert audit.best_backend() == backends[-2]  # "auto" is the widest path this CPU runs


@pytest.mark.parametrize("num_chunks", LENGTHS)
def test_distances_match_reference(backend: str, num_chunks: int) -> None:
    rng = random.Random(num_chunks)
    chunks, key, challenge = rng.randbytes(num_chunks * CHUNK), rng.randbytes(32), rng.randbytes(32)
    expected = audit.audit_distances(chunks, key, challenge, "reference")
    assert len(expected) == num_chunks
    assert audit.audit_distances(chunks, key, challenge, backend) == expected


@pytest.mark.parametrize("num_chunks", LENGTHS)
def test_candidates_match_reference(backend: str, num_chunks: int) -> None:
    rng = random.Random(1000 + num_chunks)
    chunks, key, challenge = rng.randbytes(num_chunks * CHUNK), rng.randbytes(32), rng.randbytes(32)
    for solution_range in (0, 1, 2**58, 2**61 + 1, 2**63, rng.randrange(2**64), U64_MAX):
        expected = audit.audit_chunks(chunks, key, challenge, solution_range, "reference")
        assert audit.audit_chunks(chunks, key, challenge, solution_range, backend) == expected


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=40 * CHUNK), key=st.binary(min_size=32, max_size=32), target=st.integers(0, U64_MAX))
def test_every_backend_agrees_on_any_input(backend: str, data: bytes, key: bytes, target: int) -> None:
    chunks = data[: len(data) - len(data) % CHUNK]
    expected = audit.audit_distances(chunks, key, challenge_of(target), "reference")
    assert audit.audit_distances(chunks, key, challenge_of(target), backend) == expected


def test_reference_candidates_are_the_filtered_sorted_distances() -> None:
    rng = random.Random(7)
    chunks, key, challenge = rng.randbytes(300 * CHUNK), rng.randbytes(32), rng.randbytes(32)
    distances = audit_reference.audit_distances(chunks, key, challenge)
    candidates = audit_reference.audit_chunks(chunks, key, challenge, 2**62)
    assert candidates == sorted(((o, d) for o, d in enumerate(distances) if d <= 2**61), key=lambda c: (c[1], c[0]))
    assert 0 < len(candidates) < 300


# ---- known answers of the keyed hash ----


def test_keyed_hash_known_answer(backend: str) -> None:
    """key 00..1f, chunk 64..83 (bytes 100..131): with g = 0 the distance is 2^64 - a, as a > 2^63."""
    key, chunk = bytes(range(32)), bytes(range(100, 132))
    a = audit_value(chunk, key)
    assert a == 14438860827052300471
    assert audit.audit_distances(chunk, key, bytes(32), backend) == [2**64 - a]
    assert audit.audit_distances(chunk, key, challenge_of(a), backend) == [0]
    assert audit.audit_chunks(chunk, key, challenge_of(a - 5), 10, backend) == [(0, 5)]


def test_keyed_hash_equals_blake3_package(backend: str) -> None:
    """With g = 0 and g = 2^63 both sides of min() are pinned, so the distances fix a exactly."""
    rng = random.Random(3)
    key = rng.randbytes(32)
    chunks = [rng.randbytes(CHUNK) for _ in range(37)] + [bytes(CHUNK), b"\xff" * CHUNK]
    values = [audit_value(chunk, key) for chunk in chunks]
    assert audit.audit_distances(b"".join(chunks), key, bytes(32), backend) == [min(a, 2**64 - a) for a in values]
    far = audit.audit_distances(b"".join(chunks), key, challenge_of(HALF), backend)
    assert far == [HALF - a if a < HALF else a - HALF for a in values]
    assert audit.audit_distances(b"".join(chunks), bytes(32), bytes(32), backend) != far  # the key matters


# ---- solution range edges ----


def test_solution_range_zero_keeps_only_exact_hits(backend: str) -> None:
    rng = random.Random(11)
    key, chunks = rng.randbytes(32), rng.randbytes(64 * CHUNK)
    a = audit_value(chunks[5 * CHUNK : 6 * CHUNK], key)
    assert audit.audit_chunks(chunks, key, challenge_of(a), 0, backend) == [(5, 0)]
    assert audit.audit_chunks(chunks, key, challenge_of(a), 1, backend) == [(5, 0)]  # 1 // 2 == 0
    assert audit.audit_chunks(chunks, key, challenge_of(a + 1), 1, backend) == []
    assert audit.audit_chunks(chunks, key, challenge_of(a + 1), 2, backend) == [(5, 1)]


def test_max_solution_range_takes_every_chunk_but_the_antipode(backend: str) -> None:
    """half of 2^64 - 1 is 2^63 - 1: only a chunk at distance exactly 2^63 is left out."""
    rng = random.Random(12)
    key, chunks = rng.randbytes(32), rng.randbytes(100 * CHUNK)
    result = audit.audit_chunks(chunks, key, rng.randbytes(32), U64_MAX, backend)
    assert sorted(offset for offset, _ in result) == list(range(100))
    a = audit_value(chunks[:CHUNK], key)
    result = audit.audit_chunks(chunks, key, challenge_of(a + HALF), U64_MAX, backend)
    assert sorted(offset for offset, _ in result) == list(range(1, 100))
    assert audit.audit_distances(chunks[:CHUNK], key, challenge_of(a + HALF), backend) == [HALF]


@pytest.mark.parametrize("half", [1, 2, 1000, 2**40 + 3, 2**62])
def test_odd_ranges_round_down(backend: str, half: int) -> None:
    """Range 2k+1 accepts distance k (both sides of g) and rejects k + 1; range 2k-1 rejects k."""
    rng = random.Random(half)
    key, chunk = rng.randbytes(32), rng.randbytes(CHUNK)
    a = audit_value(chunk, key)
    for side in (1, -1):
        at_edge = challenge_of(a + side * half)
        assert audit.audit_chunks(chunk, key, at_edge, 2 * half + 1, backend) == [(0, half)]
        assert audit.audit_chunks(chunk, key, at_edge, 2 * half, backend) == [(0, half)]
        assert audit.audit_chunks(chunk, key, at_edge, 2 * half - 1, backend) == []
        assert audit.audit_chunks(chunk, key, challenge_of(a + side * (half + 1)), 2 * half + 1, backend) == []


# ---- order ----


def test_sorted_by_distance_then_offset_with_ties(backend: str) -> None:
    rng = random.Random(21)
    key = rng.randbytes(32)
    a_chunk, b_chunk, c_chunk = (rng.randbytes(CHUNK) for _ in range(3))
    chunks = b"".join([b_chunk, a_chunk, c_chunk, a_chunk, b_chunk, a_chunk])
    a = audit_value(a_chunk, key)
    result = audit.audit_chunks(chunks, key, challenge_of(a), U64_MAX, backend)
    assert result[:3] == [(1, 0), (3, 0), (5, 0)]
    b_distance = audit_reference.bidirectional_distance(audit_value(b_chunk, key), a)
    c_distance = audit_reference.bidirectional_distance(audit_value(c_chunk, key), a)
    tail = sorted([(0, b_distance), (4, b_distance), (2, c_distance)], key=lambda c: (c[1], c[0]))
    assert result[3:] == tail


def test_tie_from_both_sides_of_the_challenge(backend: str) -> None:
    """Two different chunks equally far below and above g come out by offset."""
    rng = random.Random(22)
    key = rng.randbytes(32)
    while True:
        low, high = rng.randbytes(CHUNK), rng.randbytes(CHUNK)
        gap = (audit_value(high, key) - audit_value(low, key)) % 2**64
        if gap % 2 == 0 and 0 < gap < HALF:
            break
    target = audit_value(low, key) + gap // 2
    expected = [(0, gap // 2), (1, gap // 2)]
    assert audit.audit_chunks(high + low, key, challenge_of(target), gap, backend) == expected
    assert audit.audit_chunks(low + high, key, challenge_of(target), gap, backend) == expected


def test_large_bucket_order_and_threads(native_backend: str) -> None:
    """4097 chunks from four threads at once (the GIL is released): same sorted answer in each."""
    rng = random.Random(31)
    chunks, key, challenge = rng.randbytes(4097 * CHUNK), rng.randbytes(32), rng.randbytes(32)
    expected = audit.audit_chunks(chunks, key, challenge, 2**62, "reference")
    assert [d for _, d in expected] == sorted(d for _, d in expected) and len(expected) > 100
    results: list[list[tuple[int, int]]] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(audit.audit_chunks(chunks, key, challenge, 2**62, native_backend))
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


# ---- input types ----


def test_memoryview_of_mmap(backend: str, tmp_path: Path) -> None:
    rng = random.Random(41)
    data, key, challenge = rng.randbytes(300 * CHUNK), rng.randbytes(32), rng.randbytes(32)
    path = tmp_path / "sector.bin"
    path.write_bytes(data)
    expected = audit.audit_chunks(data[32 * CHUNK : 290 * CHUNK], key, challenge, 2**62, "reference")
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(mapped)
        assert audit.audit_chunks(view[32 * CHUNK : 290 * CHUNK], key, challenge, 2**62, backend) == expected
        assert audit.audit_distances(view, key, challenge, backend) == audit.audit_distances(data, key, challenge)
        assert audit.audit_chunks(mapped, key, challenge, 0, backend) == []
        view.release()
        mapped.close()  # raises BufferError if the kernel kept an export


def test_bytearray_and_typed_views(backend: str) -> None:
    rng = random.Random(42)
    data, key, challenge = rng.randbytes(20 * CHUNK), rng.randbytes(32), rng.randbytes(32)
    expected = audit.audit_distances(data, key, challenge, "reference")
    assert audit.audit_distances(bytearray(data), bytearray(key), memoryview(challenge), backend) == expected
    assert audit.audit_distances(memoryview(data).cast("Q"), key, challenge, backend) == expected


# ---- distance helper ----


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        (0, 0, 0),
        (1, 0, 1),
        (0, 1, 1),
        (0, HALF, HALF),
        (0, U64_MAX, 1),
        (5, 2**64 - 3, 8),
        (10, 3, 7),
        (HALF + 1, 1, HALF),
    ],
)
def test_bidirectional_distance(a: int, b: int, distance: int) -> None:
    assert audit.bidirectional_distance(a, b) == distance
    assert audit.bidirectional_distance(b, a) == distance


# ---- bad arguments ----

GOOD = (bytes(4 * CHUNK), bytes(32), bytes(32))


@pytest.mark.parametrize(
    ("chunks", "key", "challenge", "match"),
    [
        (bytes(31), bytes(32), bytes(32), r"chunks must be a multiple of 32 bytes \(whole chunks.*got 31 bytes"),
        (bytes(33), bytes(32), bytes(32), r"chunks must be a multiple of 32 bytes \(whole chunks.*got 33 bytes"),
        ("x" * 64, bytes(32), bytes(32), "chunks must be bytes-like.*str"),
        (64, bytes(32), bytes(32), "chunks must be bytes-like.*int"),
        (memoryview(bytes(128))[::2], bytes(32), bytes(32), "C-contiguous"),
        (bytes(64), bytes(31), bytes(32), "key must be 32 bytes, got 31"),
        (bytes(64), bytes(33), bytes(32), "key must be 32 bytes, got 33"),
        (bytes(64), "k" * 32, bytes(32), "key must be bytes-like"),
        (bytes(64), bytes(32), bytes(8), "global_challenge must be 32 bytes, got 8"),
        (bytes(64), bytes(32), None, "global_challenge must be bytes-like.*NoneType"),
    ],
)
def test_bad_buffers_rejected(backend: str, chunks: object, key: object, challenge: object, match: str) -> None:
    with pytest.raises(audit.AuditKernelError, match=match):
        audit.audit_chunks(chunks, key, challenge, 100, backend)  # type: ignore[arg-type]
    with pytest.raises(audit.AuditKernelError, match=match):
        audit.audit_distances(chunks, key, challenge, backend)  # type: ignore[arg-type]


@pytest.mark.parametrize("solution_range", [-1, 2**64, 2**70, 1.5, True, "5", None])
def test_bad_solution_range_rejected(solution_range: object) -> None:
    with pytest.raises(audit.AuditKernelError, match=r"solution_range=.* must be an int in 0..2\^64-1"):
        audit.audit_chunks(*GOOD, solution_range)  # type: ignore[arg-type]


@pytest.mark.parametrize(("a", "b"), [(-1, 0), (0, 2**64), (1.0, 0), (0, True)])
def test_bad_distance_arguments_rejected(a: object, b: object) -> None:
    with pytest.raises(audit.AuditKernelError, match="must be an int in 0..2"):
        audit.bidirectional_distance(a, b)  # type: ignore[arg-type]


def test_binding_checks_its_own_arguments() -> None:
    """The compiled entry points refuse bad input even without the facade."""
    chunks, key = bytes(64), bytes(32)
    with pytest.raises(ValueError, match="whole 32-byte chunks"):
        _sector.audit_chunks(bytes(40), key, 0, 0, 0)
    with pytest.raises(ValueError, match="key must be 32 bytes"):
        _sector.audit_distances(chunks, bytes(16), 0, 0)
    with pytest.raises(OverflowError):
        _sector.audit_chunks(chunks, key, -1, 0, 0)
    with pytest.raises(OverflowError):
        _sector.audit_chunks(chunks, key, 0, 2**64, 0)
    with pytest.raises(TypeError, match="expected an int"):
        _sector.audit_distances(chunks, key, 1.0, 0)
    with pytest.raises(ValueError, match="audit_distances: invalid argument"):
        _sector.audit_distances(chunks, key, 0, 99)
    assert not _sector.audit_backend_available(99)
    assert _sector.audit_distances(b"", key, 0, 0) == [] and _sector.audit_chunks(b"", key, 0, U64_MAX // 2, 0) == []


# ---- strict C build ----


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
@pytest.mark.parametrize("source", ["audit.c", "blake3.c"])
def test_audit_kernel_builds_strict_without_python(tmp_path: Path, source: str) -> None:
    command = [
        "gcc", "-O2", "-std=c11", "-Wall", "-Wextra", "-Wconversion", "-Wpedantic", "-Werror",
        f"-I{KERNELS / 'include'}", f"-I{KERNELS / 'src'}", "-c", str(KERNELS / "src" / source),
        "-o", str(tmp_path / "audit.o"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
