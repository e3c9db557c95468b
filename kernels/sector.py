"""Typed facade of the sector kernel: the byte shuffles of plotting and reading a sector
(subspace-farmer-components `plotting.rs::record_encoding`, `write_sector`, `reading.rs`).

A record of n chunks (32 bytes each) has 2n s-buckets. Bitfields over the s-buckets are bitvec Lsb0
(bit s is bit s % 8 of byte s / 8). A record's *encoded bits* (its slice of the contents map) mark the
s-buckets holding a chunk masked with a proof hash; its *presence* adds, when fewer than n are encoded,
the first n - num_encoded s-buckets without an encoded bit (Subspace `record_has_s_bucket_chunk`), so a
record is present in exactly n s-buckets. A record's *chunks* are its n stored chunks in s order; the
*s-bucket region* of a sector is, for each s, the chunk of every record present in s, by piece offset.

Backends (the table in kernels/_backends.py): "auto" and "portable" (the one C path, kernels/src/sector.c)
and "reference" (pure Python, kernels/sector_reference.py). Every function checks its arguments here, for
every backend, with messages that show the actual values.
"""

from __future__ import annotations

from collections.abc import Sequence

from autonomys.kernels import _sector, sector_reference
from autonomys.kernels._backends import BackendSelector
from autonomys.kernels._checks import Buffer, Checks

CHUNK_SIZE = _sector.SECTOR_CHUNK_BYTES
MIN_RECORD_CHUNKS = _sector.SECTOR_MIN_RECORD_CHUNKS
MAX_RECORD_CHUNKS = _sector.SECTOR_MAX_RECORD_CHUNKS
MAX_RECORDS = _sector.SECTOR_MAX_RECORDS
_C_PATH = 0  # the sector kernel has one C path, so "auto" and "portable" name the same code

_Buffer = bytes | bytearray | memoryview


class SectorKernelError(ValueError):
    """Arguments outside the kernel's domain: sizes, lengths, too many encoded bits, a missing proof."""


_CHECKS = Checks(SectorKernelError)
_BACKENDS = BackendSelector("sector", {"auto": _C_PATH, "portable": _C_PATH}, lambda _: True, SectorKernelError)
BACKENDS = _BACKENDS.names  # the names `backend=` takes ("reference" included), besides the old ones
available_backends = _BACKENDS.available  # () -> every backend this CPU runs, "reference" last
best_backend = _BACKENDS.best  # () -> the backend "auto" runs ("portable": the kernel has one C path)


def bitfield_size(record_num_chunks: int) -> int:
    """Bytes of one bitfield over the 2n s-buckets of a record of n chunks."""
    return 2 * _check_record_num_chunks(record_num_chunks) // 8


def record_presence(encoded_bits: _Buffer, record_num_chunks: int, backend: str = "auto") -> bytes:
    """The presence bitfield of one record from its encoded bits."""
    bits = _check_bitfields("encoded_bits", encoded_bits, record_num_chunks, exactly_one=True)
    _check_encoded_counts(bits, record_num_chunks)
    if _BACKENDS.code(backend) is None:
        return sector_reference.record_presence(bytes(bits), record_num_chunks)
    return _sector.sector_record_presence(bits, record_num_chunks)


def mask_and_select(
    source: _Buffer, parity: _Buffer, proof_flags: _Buffer, proof_hashes: _Buffer, backend: str = "auto"
) -> tuple[bytes, bytes]:
    """(encoded bits, the record's n chunks in s order) of a source record and its parity
    (`plotting.rs::record_encoding`).

    Extended chunk s is source[s/2] (s even) or parity[(s-1)/2] (s odd). `proof_flags[s]` is non-zero where
    the table has a proof for challenge s and `proof_hashes[32s:32s+32]` is blake3 of it. The first n
    s-buckets with a proof whose masked chunk is not all zero are encoded; unencoded chunks of the first
    s-buckets left over fill the remaining slots.
    """
    record_num_chunks = _record_num_chunks_of("source", source)
    _CHECKS.sized("parity", parity, record_num_chunks * CHUNK_SIZE)
    _check_proofs(proof_flags, proof_hashes, record_num_chunks)
    if _BACKENDS.code(backend) is None:
        parts = [bytes(part) for part in (source, parity, proof_flags, proof_hashes)]
        encoded_bits, chunks, _ = sector_reference.mask_and_select(*parts)
        return encoded_bits, chunks
    encoded_bits, chunks, _ = _sector.sector_mask_and_select(source, parity, proof_flags, proof_hashes)
    return encoded_bits, chunks


def unmask(
    chunks: _Buffer, encoded_bits: _Buffer, proof_flags: _Buffer, proof_hashes: _Buffer, backend: str = "auto"
) -> tuple[bytes, bytes]:
    """(column, present) of a record's n chunks: chunk s at position s of 2n (zero where absent), encoded ones
    XORed with their proof hash, and one flag byte per s-bucket (1 = present), ready for `fr.recover_batch`."""
    record_num_chunks = _record_num_chunks_of("chunks", chunks)
    bits = _check_bitfields("encoded_bits", encoded_bits, record_num_chunks, exactly_one=True)
    _check_encoded_counts(bits, record_num_chunks)
    _check_proofs(proof_flags, proof_hashes, record_num_chunks)
    code = _BACKENDS.code(backend)  # before the try: a refused backend is no missing proof
    try:
        if code is None:
            parts = [bytes(part) for part in (chunks, bits, proof_flags, proof_hashes)]
            return sector_reference.unmask(*parts)
        return _sector.sector_unmask(chunks, bits, proof_flags, proof_hashes)
    except ValueError as error:
        raise _missing_proof_error(bits, proof_flags) from error


def scatter(
    records: Sequence[_Buffer], encoded_bits: _Buffer, record_num_chunks: int, out: bytearray | memoryview,
    backend: str = "auto",
) -> bytes:  # fmt: skip
    """Write the s-bucket region of len(records) records into `out` (R * n * 32 bytes); return the s-bucket
    sizes (2n u16 little-endian). `records[p]` is record p's chunks, `encoded_bits` the R bitfields."""
    bits = _check_bitfields("encoded_bits", encoded_bits, record_num_chunks)
    num_records = len(bits) // bitfield_size(record_num_chunks)
    if len(records) != num_records:
        msg = f"got {len(records)} records for {num_records} bitfields"
        raise SectorKernelError(msg)
    for index, record in enumerate(records):
        _CHECKS.sized(f"records[{index}]", record, record_num_chunks * CHUNK_SIZE)
    _CHECKS.sized("out", out, num_records * record_num_chunks * CHUNK_SIZE, writable=True)
    code = _BACKENDS.code(backend)
    try:
        if code is None:
            chunks = [bytes(record) for record in records]
            region, sizes = sector_reference.scatter(chunks, bytes(bits), record_num_chunks)
            memoryview(out).cast("B")[:] = region
            return sizes
        return _sector.sector_scatter(records, bits, record_num_chunks, out)
    except ValueError as error:
        raise _encoded_count_error(bits, record_num_chunks) from error


def gather(
    s_buckets: _Buffer, encoded_bits: _Buffer, record_num_chunks: int, piece_offset: int, backend: str = "auto"
) -> tuple[bytes, bytes]:
    """(record `piece_offset`'s n chunks in s order, the s-bucket sizes counted from the bitfields) of an
    s-bucket region of R records, where `encoded_bits` is their R bitfields (the contents map)."""
    bits = _check_bitfields("encoded_bits", encoded_bits, record_num_chunks)
    num_records = len(bits) // bitfield_size(record_num_chunks)
    _CHECKS.sized("s_buckets", s_buckets, num_records * record_num_chunks * CHUNK_SIZE)
    _CHECKS.integer("piece_offset", piece_offset, 0, num_records - 1)
    code = _BACKENDS.code(backend)
    try:
        if code is None:
            return sector_reference.gather(bytes(s_buckets), bytes(bits), record_num_chunks, piece_offset)
        return _sector.sector_gather(s_buckets, bits, record_num_chunks, piece_offset)
    except ValueError as error:
        raise _encoded_count_error(bits, record_num_chunks) from error


def s_bucket_sizes(encoded_bits: _Buffer, record_num_chunks: int, backend: str = "auto") -> bytes:
    """How many of the R records store a chunk in each s-bucket (2n u16 little-endian)."""
    bits = _check_bitfields("encoded_bits", encoded_bits, record_num_chunks)
    code = _BACKENDS.code(backend)
    try:
        if code is None:
            return sector_reference.s_bucket_sizes(bytes(bits), record_num_chunks)
        return _sector.sector_s_bucket_sizes(bits, record_num_chunks)
    except ValueError as error:
        raise _encoded_count_error(bits, record_num_chunks) from error


def _check_record_num_chunks(record_num_chunks: int) -> int:
    # 2n s-bucket bits must be whole bytes, and s-bucket indexes are u16
    return _CHECKS.integer("record_num_chunks", record_num_chunks, MIN_RECORD_CHUNKS, MAX_RECORD_CHUNKS, multiple_of=4)


def _record_num_chunks_of(name: str, value: object) -> int:
    data = _CHECKS.whole(name, value, CHUNK_SIZE, "whole chunks")
    return _check_record_num_chunks(len(data) // CHUNK_SIZE)


def _check_bitfields(name: str, value: object, record_num_chunks: int, *, exactly_one: bool = False) -> Buffer:
    """One bitfield (exactly_one) or 1..MAX_RECORDS bitfields of 2n/8 bytes each."""
    size = bitfield_size(record_num_chunks)
    if exactly_one:
        return _CHECKS.sized(name, value, size, f" (2n/8 for n={record_num_chunks})")
    what = f"bitfields of 2n/8 bytes for n={record_num_chunks}"
    return _CHECKS.whole(name, value, size, what, non_empty=True, max_units=MAX_RECORDS)


def _check_encoded_counts(bits: Buffer, record_num_chunks: int) -> None:
    # a record stores only n chunks, so at most n of them are encoded
    problem = _overfull_record(bits, record_num_chunks)
    if problem is not None:
        raise SectorKernelError(problem)


def _encoded_count_error(bits: Buffer, record_num_chunks: int) -> SectorKernelError:
    """Why a multi-record kernel refused bitfields the facade accepted: the only cause left is an overfull record."""
    problem = _overfull_record(bits, record_num_chunks)
    return SectorKernelError(problem if problem is not None else "the kernel refused arguments the facade accepted")


def _overfull_record(bits: Buffer, record_num_chunks: int) -> str | None:
    size = bitfield_size(record_num_chunks)
    for record, offset in enumerate(range(0, len(bits), size)):
        count = int.from_bytes(bits[offset : offset + size], "little").bit_count()
        if count > record_num_chunks:
            return f"record {record} has {count} encoded bits, more than n={record_num_chunks}"
    return None


def _check_proofs(proof_flags: object, proof_hashes: object, record_num_chunks: int) -> None:
    # one flag and one 32-byte proof hash per s-bucket
    _CHECKS.sized("proof_flags", proof_flags, 2 * record_num_chunks)
    _CHECKS.sized("proof_hashes", proof_hashes, 2 * record_num_chunks * CHUNK_SIZE)


def _missing_proof_error(bits: Buffer, proof_flags: _Buffer) -> SectorKernelError:
    flags, encoded_bits = bytes(proof_flags), bytes(bits)
    for s_bucket, flag in enumerate(flags):
        if flag == 0 and sector_reference.is_bit_set(encoded_bits, s_bucket):
            return SectorKernelError(f"s-bucket {s_bucket} is encoded but proof_flags says the table has no proof")
    return SectorKernelError("unmask failed on arguments the facade accepted")
