"""Typed facade of the sector kernel: the byte shuffles of plotting and reading a sector (§C.3, §C.5, §C.7).

A record of n chunks (32 bytes each) has 2n s-buckets. Bitfields over the s-buckets are bitvec Lsb0
(bit s is bit s % 8 of byte s / 8). A record's *encoded bits* (its slice of the contents map) mark the
s-buckets holding a chunk masked with a proof hash; its *presence* adds, when fewer than n are encoded,
the first n - num_encoded s-buckets without an encoded bit (Subspace `record_has_s_bucket_chunk`), so a
record is present in exactly n s-buckets. A record's *chunks* are its n stored chunks in s order; the
*s-bucket region* of a sector is, for each s, the chunk of every record present in s, by piece offset.

Backends: "c" (kernels/src/sector.c) and "reference" (pure Python, kernels/sector_reference.py). Every
function checks its arguments here, for both backends, with messages that show the actual values.
"""

from __future__ import annotations

from collections.abc import Sequence

from autonomys.kernels import _sector, sector_reference

CHUNK_SIZE = _sector.SECTOR_CHUNK_BYTES
MIN_RECORD_CHUNKS = _sector.SECTOR_MIN_RECORD_CHUNKS
MAX_RECORD_CHUNKS = _sector.SECTOR_MAX_RECORD_CHUNKS
MAX_RECORDS = _sector.SECTOR_MAX_RECORDS
BACKENDS = ("c", "reference")

_Buffer = bytes | bytearray | memoryview


class SectorKernelError(ValueError):
    """Arguments outside the kernel's domain: sizes, lengths, too many encoded bits, a missing proof."""


def bitfield_size(record_num_chunks: int) -> int:
    """Bytes of one bitfield over the 2n s-buckets of a record of n chunks."""
    return 2 * _check_record_num_chunks(record_num_chunks) // 8


def record_presence(encoded_bits: _Buffer, record_num_chunks: int, backend: str = "c") -> bytes:
    """The presence bitfield of one record from its encoded bits."""
    bits = _check_bitfields("encoded_bits", encoded_bits, record_num_chunks, exactly_one=True)
    _check_encoded_counts(bits, record_num_chunks)
    if _check_backend(backend) == "reference":
        return sector_reference.record_presence(bytes(bits), record_num_chunks)
    return _sector.sector_record_presence(bits, record_num_chunks)


def mask_and_select(
    source: _Buffer, parity: _Buffer, proof_flags: _Buffer, proof_hashes: _Buffer, backend: str = "c"
) -> tuple[bytes, bytes]:
    """(encoded bits, the record's n chunks in s order) of a source record and its parity (§C.3 steps 2-5).

    Extended chunk s is source[s/2] (s even) or parity[(s-1)/2] (s odd). `proof_flags[s]` is non-zero where
    the table has a proof for challenge s and `proof_hashes[32s:32s+32]` is blake3 of it. The first n
    s-buckets with a proof whose masked chunk is not all zero are encoded; unencoded chunks of the first
    s-buckets left over fill the remaining slots.
    """
    record_num_chunks = _record_num_chunks_of("source", source)
    _check_length("parity", parity, record_num_chunks * CHUNK_SIZE)
    _check_proofs(proof_flags, proof_hashes, record_num_chunks)
    if _check_backend(backend) == "reference":
        parts = [bytes(part) for part in (source, parity, proof_flags, proof_hashes)]
        encoded_bits, chunks, _ = sector_reference.mask_and_select(*parts)
        return encoded_bits, chunks
    encoded_bits, chunks, _ = _sector.sector_mask_and_select(source, parity, proof_flags, proof_hashes)
    return encoded_bits, chunks


def unmask(
    chunks: _Buffer, encoded_bits: _Buffer, proof_flags: _Buffer, proof_hashes: _Buffer, backend: str = "c"
) -> tuple[bytes, bytes]:
    """(column, present) of a record's n chunks: chunk s at position s of 2n (zero where absent), encoded ones
    XORed with their proof hash, and one flag byte per s-bucket (1 = present), ready for `fr.recover_batch`."""
    record_num_chunks = _record_num_chunks_of("chunks", chunks)
    bits = _check_bitfields("encoded_bits", encoded_bits, record_num_chunks, exactly_one=True)
    _check_encoded_counts(bits, record_num_chunks)
    _check_proofs(proof_flags, proof_hashes, record_num_chunks)
    try:
        if _check_backend(backend) == "reference":
            parts = [bytes(part) for part in (chunks, bits, proof_flags, proof_hashes)]
            return sector_reference.unmask(*parts)
        return _sector.sector_unmask(chunks, bits, proof_flags, proof_hashes)
    except ValueError as error:
        raise _missing_proof_error(bits, proof_flags) from error


def scatter(
    records: Sequence[_Buffer], encoded_bits: _Buffer, record_num_chunks: int, out: bytearray | memoryview,
    backend: str = "c",
) -> bytes:  # fmt: skip
    """Write the s-bucket region of len(records) records into `out` (R * n * 32 bytes); return the s-bucket
    sizes (2n u16 little-endian). `records[p]` is record p's chunks, `encoded_bits` the R bitfields."""
    bits = _check_bitfields("encoded_bits", encoded_bits, record_num_chunks)
    num_records = len(bits) // bitfield_size(record_num_chunks)
    if len(records) != num_records:
        msg = f"got {len(records)} records for {num_records} bitfields"
        raise SectorKernelError(msg)
    for index, record in enumerate(records):
        _check_length(f"records[{index}]", record, record_num_chunks * CHUNK_SIZE)
    _check_writable_length("out", out, num_records * record_num_chunks * CHUNK_SIZE)
    try:
        if _check_backend(backend) == "reference":
            chunks = [bytes(record) for record in records]
            region, sizes = sector_reference.scatter(chunks, bytes(bits), record_num_chunks)
            memoryview(out).cast("B")[:] = region
            return sizes
        return _sector.sector_scatter(records, bits, record_num_chunks, out)
    except ValueError as error:
        raise _encoded_count_error(bits, record_num_chunks) from error


def gather(
    s_buckets: _Buffer, encoded_bits: _Buffer, record_num_chunks: int, piece_offset: int, backend: str = "c"
) -> tuple[bytes, bytes]:
    """(record `piece_offset`'s n chunks in s order, the s-bucket sizes counted from the bitfields) of an
    s-bucket region of R records, where `encoded_bits` is their R bitfields (the contents map)."""
    bits = _check_bitfields("encoded_bits", encoded_bits, record_num_chunks)
    num_records = len(bits) // bitfield_size(record_num_chunks)
    _check_length("s_buckets", s_buckets, num_records * record_num_chunks * CHUNK_SIZE)
    if isinstance(piece_offset, bool) or not isinstance(piece_offset, int) or not 0 <= piece_offset < num_records:
        msg = f"piece_offset={piece_offset!r} must be an int in 0..{num_records - 1}"
        raise SectorKernelError(msg)
    try:
        if _check_backend(backend) == "reference":
            return sector_reference.gather(bytes(s_buckets), bytes(bits), record_num_chunks, piece_offset)
        return _sector.sector_gather(s_buckets, bits, record_num_chunks, piece_offset)
    except ValueError as error:
        raise _encoded_count_error(bits, record_num_chunks) from error


def s_bucket_sizes(encoded_bits: _Buffer, record_num_chunks: int, backend: str = "c") -> bytes:
    """How many of the R records store a chunk in each s-bucket (2n u16 little-endian)."""
    bits = _check_bitfields("encoded_bits", encoded_bits, record_num_chunks)
    try:
        if _check_backend(backend) == "reference":
            return sector_reference.s_bucket_sizes(bytes(bits), record_num_chunks)
        return _sector.sector_s_bucket_sizes(bits, record_num_chunks)
    except ValueError as error:
        raise _encoded_count_error(bits, record_num_chunks) from error


def _check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        msg = f"unknown sector backend {backend!r}; choose one of {', '.join(BACKENDS)}"
        raise SectorKernelError(msg)
    return backend


def _check_record_num_chunks(record_num_chunks: int) -> int:
    # 2n s-bucket bits must be whole bytes, and s-bucket indexes are u16
    if isinstance(record_num_chunks, bool) or not isinstance(record_num_chunks, int):
        msg = f"record_num_chunks must be an int, got {type(record_num_chunks).__name__}"
        raise SectorKernelError(msg)
    if not MIN_RECORD_CHUNKS <= record_num_chunks <= MAX_RECORD_CHUNKS or record_num_chunks % 4 != 0:
        msg = (
            f"record_num_chunks={record_num_chunks} must be a multiple of 4 in {MIN_RECORD_CHUNKS}..{MAX_RECORD_CHUNKS}"
        )
        raise SectorKernelError(msg)
    return record_num_chunks


def _as_bytes_view(name: str, value: object) -> memoryview:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        msg = f"{name} must be bytes, bytearray or memoryview, got {type(value).__name__}"
        raise SectorKernelError(msg)
    view = memoryview(value)
    # the kernel reads raw bytes: the buffer must be one contiguous run
    if not view.c_contiguous:
        msg = f"{name} must be C-contiguous"
        raise SectorKernelError(msg)
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def _check_length(name: str, value: object, length: int) -> None:
    view = _as_bytes_view(name, value)
    if len(view) != length:
        msg = f"{name} must be {length} bytes, got {len(view)}"
        raise SectorKernelError(msg)


def _check_writable_length(name: str, value: _Buffer, length: int) -> None:
    _check_length(name, value, length)
    if memoryview(value).readonly:
        msg = f"{name} must be writable (a bytearray or a writable memoryview)"
        raise SectorKernelError(msg)


def _record_num_chunks_of(name: str, value: object) -> int:
    view = _as_bytes_view(name, value)
    if len(view) % CHUNK_SIZE != 0:
        msg = f"{name} must be whole {CHUNK_SIZE}-byte chunks, got {len(view)} bytes"
        raise SectorKernelError(msg)
    return _check_record_num_chunks(len(view) // CHUNK_SIZE)


def _check_bitfields(name: str, value: object, record_num_chunks: int, *, exactly_one: bool = False) -> memoryview:
    """One bitfield (exactly_one) or 1..MAX_RECORDS bitfields of 2n/8 bytes each."""
    view = _as_bytes_view(name, value)
    size = bitfield_size(record_num_chunks)
    if exactly_one and len(view) != size:
        msg = f"{name} must be {size} bytes (2n/8 for n={record_num_chunks}), got {len(view)}"
        raise SectorKernelError(msg)
    if len(view) == 0 or len(view) % size != 0 or len(view) // size > MAX_RECORDS:
        msg = f"{name} must be 1..{MAX_RECORDS} bitfields of {size} bytes, got {len(view)} bytes"
        raise SectorKernelError(msg)
    return view


def _check_encoded_counts(bits: memoryview, record_num_chunks: int) -> None:
    # a record stores only n chunks, so at most n of them are encoded
    problem = _overfull_record(bits, record_num_chunks)
    if problem is not None:
        raise SectorKernelError(problem)


def _encoded_count_error(bits: memoryview, record_num_chunks: int) -> SectorKernelError:
    """Why a multi-record kernel refused bitfields the facade accepted: the only cause left is an overfull record."""
    problem = _overfull_record(bits, record_num_chunks)
    return SectorKernelError(problem if problem is not None else "the kernel refused arguments the facade accepted")


def _overfull_record(bits: memoryview, record_num_chunks: int) -> str | None:
    size = bitfield_size(record_num_chunks)
    for record, offset in enumerate(range(0, len(bits), size)):
        count = int.from_bytes(bits[offset : offset + size], "little").bit_count()
        if count > record_num_chunks:
            return f"record {record} has {count} encoded bits, more than n={record_num_chunks}"
    return None


def _check_proofs(proof_flags: object, proof_hashes: object, record_num_chunks: int) -> None:
    _check_length("proof_flags", proof_flags, 2 * record_num_chunks)
    _check_length("proof_hashes", proof_hashes, 2 * record_num_chunks * CHUNK_SIZE)


def _missing_proof_error(bits: memoryview, proof_flags: _Buffer) -> SectorKernelError:
    flags, encoded_bits = bytes(proof_flags), bytes(bits)
    for s_bucket, flag in enumerate(flags):
        if flag == 0 and sector_reference.is_bit_set(encoded_bits, s_bucket):
            return SectorKernelError(f"s-bucket {s_bucket} is encoded but proof_flags says the table has no proof")
    return SectorKernelError("unmask failed on arguments the facade accepted")
