"""Typed facade of the audit kernel: which chunks of an s-bucket are solution candidates in a slot.

For chunk c (32 bytes) with the sector slot challenge as key: a = u64 LE of blake3(c, key=key)[:8] (keyed
mode); g = u64 LE of the global challenge's first 8 bytes; distance = min(a - g, g - a) mod 2^64. A chunk
is a candidate when distance <= solution_range // 2; candidates come sorted by (distance, chunk offset).

Stable API:
    audit_chunks(chunks, key, global_challenge, solution_range, backend="auto") -> [(chunk_offset, distance)]
    audit_distances(chunks, key, global_challenge, backend="auto") -> [distance of every chunk]
    bidirectional_distance(a, b) -> int

Backends (the table in kernels/_backends.py): "auto" (the widest SIMD this CPU has), "portable", "avx2",
"avx-512" (C with a fixed instruction set, detected at run time; kernels/src/audit.c) and "reference"
(pure Python, kernels/audit_reference.py). Arguments are validated here for every backend.
"""

from __future__ import annotations

from autonomys.kernels import _sector, audit_reference
from autonomys.kernels._backends import BackendSelector, codes_of
from autonomys.kernels._checks import Buffer, Checks

CHUNK_SIZE = _sector.AUDIT_CHUNK_BYTES
KEY_SIZE = _sector.AUDIT_KEY_BYTES
CHALLENGE_SIZE = 32
MAX_CHUNKS = 2**32 - 1  # chunk offsets are u32 in C

_Buffer = bytes | bytearray | memoryview


class AuditKernelError(ValueError):
    """Arguments outside the kernel's domain: buffer lengths, solution range, backend."""


_CHECKS = Checks(AuditKernelError)
_BACKENDS = BackendSelector(
    "audit", codes_of(_sector, "AUDIT_BACKEND_"), _sector.audit_backend_available, AuditKernelError
)
BACKENDS = _BACKENDS.names  # the names `backend=` takes ("reference" included), besides the old ones
available_backends = _BACKENDS.available  # () -> every backend this CPU runs, "reference" last
best_backend = _BACKENDS.best  # () -> the backend "auto" runs: the widest this CPU has


def bidirectional_distance(a: int, b: int) -> int:
    """min((a - b) mod 2^64, (b - a) mod 2^64) of two u64 values."""
    _CHECKS.unsigned("a", a, 64)
    _CHECKS.unsigned("b", b, 64)
    return audit_reference.bidirectional_distance(a, b)


def audit_chunks(
    chunks: _Buffer, key: _Buffer, global_challenge: _Buffer, solution_range: int, backend: str = "auto"
) -> list[tuple[int, int]]:
    """[(chunk_offset, distance)] of every chunk with distance <= solution_range // 2, by (distance, offset)."""
    _CHECKS.unsigned("solution_range", solution_range, 64)
    key_bytes = _CHECKS.block("key", key, KEY_SIZE)
    challenge = _CHECKS.block("global_challenge", global_challenge, CHALLENGE_SIZE)
    code = _BACKENDS.code(backend)
    view = _chunks_view(chunks)
    if code is None:
        return audit_reference.audit_chunks(bytes(view), key_bytes, challenge, solution_range)
    target = int.from_bytes(challenge[:8], "little")
    return _sector.audit_chunks(view, key_bytes, target, solution_range // 2, code)


def audit_distances(chunks: _Buffer, key: _Buffer, global_challenge: _Buffer, backend: str = "auto") -> list[int]:
    """The distance of every chunk to the global challenge, in chunk order."""
    key_bytes = _CHECKS.block("key", key, KEY_SIZE)
    challenge = _CHECKS.block("global_challenge", global_challenge, CHALLENGE_SIZE)
    code = _BACKENDS.code(backend)
    view = _chunks_view(chunks)
    if code is None:
        return audit_reference.audit_distances(bytes(view), key_bytes, challenge)
    return _sector.audit_distances(view, key_bytes, int.from_bytes(challenge[:8], "little"), code)


def _chunks_view(chunks: object) -> Buffer:
    # an s-bucket is whole chunks, addressed by u32 offsets
    return _CHECKS.whole("chunks", chunks, CHUNK_SIZE, "whole chunks", max_units=MAX_CHUNKS)
