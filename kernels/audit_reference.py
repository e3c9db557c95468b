"""Slow pure-Python audit of one s-bucket, the ground truth for kernels/src/audit.c.

For chunk c with the sector slot challenge as key: a = u64 LE of blake3(c, key=key)[:8]; g = u64 LE of the
global challenge's first 8 bytes; distance = min(a - g, g - a) mod 2^64. A chunk is a candidate when
distance <= solution_range // 2. Arguments are checked by the facade (kernels/audit.py), not here.
"""

from __future__ import annotations

import blake3

CHUNK_SIZE = 32
U64_MASK = 2**64 - 1


def bidirectional_distance(a: int, b: int) -> int:
    """min((a - b) mod 2^64, (b - a) mod 2^64)."""
    forward = (a - b) & U64_MASK
    backward = (b - a) & U64_MASK
    return min(forward, backward)


def audit_value(chunk: bytes, key: bytes) -> int:
    """The first 8 bytes of blake3(chunk, key=key) as a little-endian u64."""
    return int.from_bytes(blake3.blake3(chunk, key=key).digest()[:8], "little")


def audit_distances(chunks: bytes, key: bytes, global_challenge: bytes) -> list[int]:
    """The distance of every chunk, in chunk order."""
    target = int.from_bytes(global_challenge[:8], "little")
    return [
        bidirectional_distance(audit_value(chunks[start : start + CHUNK_SIZE], key), target)
        for start in range(0, len(chunks), CHUNK_SIZE)
    ]


def audit_chunks(chunks: bytes, key: bytes, global_challenge: bytes, solution_range: int) -> list[tuple[int, int]]:
    """[(chunk_offset, distance)] of the candidates, sorted by (distance, chunk_offset)."""
    half_range = solution_range // 2
    distances = audit_distances(chunks, key, global_challenge)
    candidates = [(offset, distance) for offset, distance in enumerate(distances) if distance <= half_range]
    return sorted(candidates, key=lambda candidate: (candidate[1], candidate[0]))
