"""Type stub of the compiled sector and audit kernels (kernels/_sector_binding.c, include/sector.h, include/audit.h)."""

from collections.abc import Sequence

_Buffer = bytes | bytearray | memoryview

SECTOR_CHUNK_BYTES: int
SECTOR_MIN_RECORD_CHUNKS: int
SECTOR_MAX_RECORD_CHUNKS: int
SECTOR_MAX_RECORDS: int
AUDIT_CHUNK_BYTES: int
AUDIT_KEY_BYTES: int
AUDIT_BACKEND_AUTO: int
AUDIT_BACKEND_PORTABLE: int
AUDIT_BACKEND_AVX2: int
AUDIT_BACKEND_AVX512: int

def sector_record_presence(encoded_bits: _Buffer, record_num_chunks: int, /) -> bytes: ...
def sector_mask_and_select(
    source: _Buffer, parity: _Buffer, proof_flags: _Buffer, proof_hashes: _Buffer, /
) -> tuple[bytes, bytes, int]: ...
def sector_unmask(
    chunks: _Buffer, encoded_bits: _Buffer, proof_flags: _Buffer, proof_hashes: _Buffer, /
) -> tuple[bytes, bytes]: ...
def sector_scatter(
    records: Sequence[_Buffer], encoded_bits: _Buffer, record_num_chunks: int, out: bytearray | memoryview, /
) -> bytes: ...
def sector_gather(
    s_buckets: _Buffer, encoded_bits: _Buffer, record_num_chunks: int, piece_offset: int, /
) -> tuple[bytes, bytes]: ...
def sector_s_bucket_sizes(encoded_bits: _Buffer, record_num_chunks: int, /) -> bytes: ...
def audit_backend_available(backend: int, /) -> bool: ...
def audit_distances(chunks: _Buffer, key: _Buffer, global_challenge: int, backend: int, /) -> list[int]: ...
def audit_chunks(
    chunks: _Buffer, key: _Buffer, global_challenge: int, half_range: int, backend: int, /
) -> list[tuple[int, int]]: ...
