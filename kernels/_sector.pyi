"""Type stub of the compiled sector kernel (kernels/_sector_binding.c, kernels/include/sector.h)."""

from collections.abc import Sequence

_Buffer = bytes | bytearray | memoryview

SECTOR_CHUNK_BYTES: int
SECTOR_MIN_RECORD_CHUNKS: int
SECTOR_MAX_RECORD_CHUNKS: int
SECTOR_MAX_RECORDS: int

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
