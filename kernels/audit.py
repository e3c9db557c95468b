"""Typed facade of the audit kernel: which chunks of an s-bucket are solution candidates in a slot.

For chunk c (32 bytes) with the sector slot challenge as key: a = u64 LE of blake3(c, key=key)[:8] (keyed
mode); g = u64 LE of the global challenge's first 8 bytes; distance = min(a - g, g - a) mod 2^64. A chunk
is a candidate when distance <= solution_range // 2; candidates come sorted by (distance, chunk offset).

Stable API:
    audit_chunks(chunks, key, global_challenge, solution_range, backend="c") -> [(chunk_offset, distance)]
    audit_distances(chunks, key, global_challenge, backend="c") -> [distance of every chunk]
    bidirectional_distance(a, b) -> int

Backends: "c" (the widest SIMD this CPU has), "c-portable", "c-avx2", "c-avx512" (C with a fixed
instruction set, detected at run time; kernels/src/audit.c) and "reference" (pure Python,
kernels/audit_reference.py). Arguments are validated here for every backend.
"""

from __future__ import annotations

from autonomys.kernels import _sector, audit_reference
from autonomys.kernels._backends import BackendSelector

CHUNK_SIZE = _sector.AUDIT_CHUNK_BYTES
KEY_SIZE = _sector.AUDIT_KEY_BYTES
CHALLENGE_SIZE = 32
MAX_CHUNKS = 2**32 - 1  # chunk offsets are u32 in C
U64_LIMIT = 2**64

_BACKEND_CODES = {
    "c": _sector.AUDIT_BACKEND_AUTO,
    "c-portable": _sector.AUDIT_BACKEND_PORTABLE,
    "c-avx2": _sector.AUDIT_BACKEND_AVX2,
    "c-avx512": _sector.AUDIT_BACKEND_AVX512,
}

_Buffer = bytes | bytearray | memoryview


class AuditKernelError(ValueError):
    """Arguments outside the kernel's domain: buffer lengths, solution range, backend."""


_BACKENDS = BackendSelector(_BACKEND_CODES, lambda code: _sector.audit_backend_available(code), AuditKernelError)
BACKENDS = _BACKENDS.names


def available_backends() -> tuple[str, ...]:
    """Every backend that runs on this CPU, "reference" included."""
    return _BACKENDS.available()


def bidirectional_distance(a: int, b: int) -> int:
    """min((a - b) mod 2^64, (b - a) mod 2^64) of two u64 values."""
    _check_u64("a", a)
    _check_u64("b", b)
    return audit_reference.bidirectional_distance(a, b)


def audit_chunks(
    chunks: _Buffer, key: _Buffer, global_challenge: _Buffer, solution_range: int, backend: str = "c"
) -> list[tuple[int, int]]:
    """[(chunk_offset, distance)] of every chunk with distance <= solution_range // 2, by (distance, offset)."""
    _check_u64("solution_range", solution_range)
    key_bytes, challenge = _check_fixed("key", key, KEY_SIZE), _check_fixed("global_challenge", global_challenge)
    code = _check_backend(backend)
    with _chunks_view(chunks) as view:
        if code is None:
            return audit_reference.audit_chunks(bytes(view), key_bytes, challenge, solution_range)
        target = int.from_bytes(challenge[:8], "little")
        return _sector.audit_chunks(view, key_bytes, target, solution_range // 2, code)


def audit_distances(chunks: _Buffer, key: _Buffer, global_challenge: _Buffer, backend: str = "c") -> list[int]:
    """The distance of every chunk to the global challenge, in chunk order."""
    key_bytes, challenge = _check_fixed("key", key, KEY_SIZE), _check_fixed("global_challenge", global_challenge)
    code = _check_backend(backend)
    with _chunks_view(chunks) as view:
        if code is None:
            return audit_reference.audit_distances(bytes(view), key_bytes, challenge)
        return _sector.audit_distances(view, key_bytes, int.from_bytes(challenge[:8], "little"), code)


# ---- argument checks ----


def _as_view(name: str, value: object) -> memoryview:
    """A flat byte view of a buffer `value` (the caller releases it), or AuditKernelError."""
    if isinstance(value, str):
        msg = f"{name} must be bytes-like (bytes, bytearray, memoryview), got str"
        raise AuditKernelError(msg)
    try:
        view = memoryview(value)  # type: ignore[arg-type]
    except TypeError:
        msg = f"{name} must be bytes-like (bytes, bytearray, memoryview), got {type(value).__name__}"
        raise AuditKernelError(msg) from None
    if not view.c_contiguous:
        view.release()
        msg = f"{name} must be a C-contiguous buffer"
        raise AuditKernelError(msg)
    if view.format == "B" and view.ndim == 1:
        return view
    with view:
        return view.cast("B")


def _chunks_view(chunks: object) -> memoryview:
    view = _as_view("chunks", chunks)
    if view.nbytes % CHUNK_SIZE != 0 or view.nbytes // CHUNK_SIZE > MAX_CHUNKS:
        nbytes = view.nbytes
        view.release()
        msg = f"chunks must be whole {CHUNK_SIZE}-byte chunks (at most {MAX_CHUNKS}), got {nbytes} bytes"
        raise AuditKernelError(msg)
    return view


def _check_fixed(name: str, value: object, size: int = CHALLENGE_SIZE) -> bytes:
    with _as_view(name, value) as view:
        if view.nbytes != size:
            msg = f"{name} must be {size} bytes, got {view.nbytes}"
            raise AuditKernelError(msg)
        return view.tobytes()


def _check_u64(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < U64_LIMIT:
        msg = f"{name}={value!r} must be an int in 0..2^64-1"
        raise AuditKernelError(msg)
    return value


def _check_backend(backend: object) -> int | None:
    """The C backend code, or None for "reference"; AuditKernelError when unknown or not on this CPU."""
    return _BACKENDS.code(backend)
