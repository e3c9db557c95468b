"""Reading sectors back: contents map, s-buckets, record chunks, record metadata and pieces
(subspace-farmer-components `sector.rs`, `reading.rs`).

Every function takes the sector as a buffer (bytes, bytearray, or a memoryview of a mmap) and its
SectorMetadata, and checks what it relies on: the sector's length, the contents map's checksum, the
per-s-bucket sizes against the contents map, and in the end the piece's blake3 against the record
metadata. A corrupted sector raises an InvalidSector subclass; it never yields wrong bytes.
"""

from __future__ import annotations

import itertools
import sys
from array import array

import blake3

from autonomys.kernels import fr
from autonomys.kernels import sector as sector_kernel
from autonomys.protocol.constants import BLAKE3_HASH_SIZE, SCALAR_FULL_BYTES
from autonomys.protocol.errors import InvalidSector, PieceChecksumMismatch, SectorChecksumMismatch
from autonomys.protocol.params import Params
from autonomys.protocol.plotting.encoding import EncodedRecord, ProofOfSpaceTable
from autonomys.protocol.plotting.sectors import (
    RECORD_METADATA_SIZE,
    RecordMetadata,
    SectorLayout,
    SectorMetadata,
    compute_blake3,
    compute_record_bitfield_size,
    compute_s_bucket_byte_range,
    compute_s_bucket_size_values,
    compute_sector_layout,
    derive_evaluation_seed,
    validate_sector_metadata,
)
from autonomys.protocol.types import PieceOffset, SBucket, SectorId

_Buffer = bytes | bytearray | memoryview


# ---- presence (the unencoded-chunk fill rule of `plotting.rs::record_encoding`) ----


def is_chunk_in_s_bucket(s_bucket: SBucket, encoded_chunks_used: bytes, params: Params) -> bool:
    """True when a record stores a chunk in s-bucket s (Subspace `record_has_s_bucket_chunk`): its bit is set,
    or fewer than record_num_chunks are encoded and s is among the first s-buckets without a bit."""
    bits = int.from_bytes(encoded_chunks_used, "little")
    if bits >> SBucket(s_bucket) & 1:
        return True
    num_encoded = bits.bit_count()
    if num_encoded >= params.record_num_chunks:
        return False
    encoded_before = (bits & ((1 << s_bucket) - 1)).bit_count()
    return s_bucket - encoded_before < params.record_num_chunks - num_encoded


def compute_record_presence(encoded_chunks_used: bytes, params: Params) -> bytes:
    """The bitfield of the s-buckets where a record stores a chunk (exactly record_num_chunks bits)."""
    _validate_bitfields(encoded_chunks_used, 1, params)
    return sector_kernel.record_presence(encoded_chunks_used, params.record_num_chunks)


def compute_s_bucket_records(
    contents_map: _Buffer, s_bucket: SBucket, params: Params
) -> tuple[tuple[PieceOffset, bool], ...]:
    """(piece offset, encoded) of every record with a chunk in s-bucket s, in the order the s-bucket stores them.

    `contents_map` is the records' bitfields without the checksum (read_contents_map)."""
    size = compute_record_bitfield_size(params)
    view = memoryview(contents_map).cast("B")
    byte, mask = SBucket(s_bucket) // 8, 1 << (s_bucket % 8)
    found = []
    for offset in range(len(view) // size):
        # An encoded chunk (its bit set) is always stored; only the others need the fill rule's count.
        if view[offset * size + byte] & mask:
            found.append((PieceOffset(offset), True))
        elif is_chunk_in_s_bucket(s_bucket, bytes(view[offset * size : (offset + 1) * size]), params):
            found.append((PieceOffset(offset), False))
    return tuple(found)


# ---- regions ----


def validate_sector_size(sector: _Buffer, sector_metadata: SectorMetadata, params: Params) -> SectorLayout:
    """The sector's layout; InvalidSector unless the metadata fits params and the sector has its exact length."""
    validate_sector_metadata(sector_metadata, params)
    layout = compute_sector_layout(sector_metadata.pieces_in_sector, params)
    if len(sector) != layout.size:
        msg = f"sector of {sector_metadata.pieces_in_sector} records must be {layout.size} bytes, got {len(sector)}"
        raise InvalidSector(msg)
    return layout


def validate_sector_checksum(sector: _Buffer) -> None:
    """Raise SectorChecksumMismatch unless the last 32 bytes are blake3 of everything before them."""
    view = memoryview(sector).cast("B")
    if len(view) < BLAKE3_HASH_SIZE:
        msg = f"a sector has at least a {BLAKE3_HASH_SIZE}-byte checksum, got {len(view)} bytes"
        raise InvalidSector(msg)
    if compute_blake3(view[:-BLAKE3_HASH_SIZE]) != view[-BLAKE3_HASH_SIZE:]:
        msg = "sector checksum mismatch"
        raise SectorChecksumMismatch(msg)


def read_contents_map(sector: _Buffer, sector_metadata: SectorMetadata, params: Params) -> memoryview:
    """The records' bitfields (a view into the sector) after checking the contents map's checksum and counts."""
    layout = validate_sector_size(sector, sector_metadata, params)
    return validate_contents_map(memoryview(sector).cast("B")[: layout.s_buckets_start], sector_metadata, params)


def validate_contents_map(contents_map: _Buffer, sector_metadata: SectorMetadata, params: Params) -> memoryview:
    """The records' bitfields of a sector's contents map region (its first s_buckets_start bytes: bitfields and
    their checksum, as a farmer reads them with one pread) after checking the checksum and the counts."""
    validate_sector_metadata(sector_metadata, params)
    layout = compute_sector_layout(sector_metadata.pieces_in_sector, params)
    view = memoryview(contents_map).cast("B")
    if len(view) != layout.s_buckets_start:
        msg = f"a contents map of {sector_metadata.pieces_in_sector} records is {layout.s_buckets_start} bytes, got {len(view)}"
        raise InvalidSector(msg)
    bitfields = view[: layout.bitfields_end]
    # The contents map carries its own checksum: reading trusts it to locate every chunk.
    if compute_blake3(bitfields) != view[layout.bitfields_end : layout.s_buckets_start]:
        msg = "sector contents map checksum mismatch"
        raise SectorChecksumMismatch(msg)
    _validate_bitfields(bitfields, sector_metadata.pieces_in_sector, params)
    return bitfields


def check_s_bucket_sizes(bitfields: _Buffer, sector_metadata: SectorMetadata, params: Params) -> None:
    """InvalidSector unless the s-bucket sizes counted from the contents map's bitfields are the metadata's."""
    # The metadata's sizes locate s-buckets for audits and chunks for proofs: they must agree with the contents map.
    if sector_kernel.s_bucket_sizes(bitfields, params.record_num_chunks) != sector_metadata.s_bucket_sizes:
        msg = "sector metadata s-bucket sizes disagree with the sector contents map"
        raise InvalidSector(msg)


def compute_record_chunk_offsets(
    bitfields: _Buffer, sector_metadata: SectorMetadata, piece_offset: PieceOffset, params: Params
) -> list[int]:
    """Byte offsets in the sector of the record_num_chunks chunks of the record at `piece_offset`, in increasing
    s-bucket order (the order read_encoded_record gathers them), from the contents map's bitfields and the
    metadata's s-bucket sizes (check_s_bucket_sizes ties the two). Offsets ascend: one pass in sector order."""
    piece_offset = _validate_piece_offset(piece_offset, sector_metadata)
    size = compute_record_bitfield_size(params)
    view = memoryview(bitfields).cast("B")
    if len(view) != sector_metadata.pieces_in_sector * size:
        msg = f"expected {sector_metadata.pieces_in_sector} bitfields of {size} bytes, got {len(view)} bytes"
        raise InvalidSector(msg)
    record_bits = view[piece_offset * size : (piece_offset + 1) * size]
    _validate_bitfields(record_bits, 1, params)
    presence = sector_kernel.record_presence(record_bits, params.record_num_chunks)
    # A record's chunk sits after those of the lower-offset records present in the same s-bucket.
    before = array("H", sector_kernel.s_bucket_sizes(view[: piece_offset * size], params.record_num_chunks)
                   if piece_offset else bytes(2 * params.num_s_buckets))  # fmt: skip
    if sys.byteorder == "big":
        before.byteswap()
    starts = itertools.accumulate(compute_s_bucket_size_values(sector_metadata), initial=0)
    base = compute_sector_layout(sector_metadata.pieces_in_sector, params).s_buckets_start
    # Character s is bit s of the presence field; the string ends at the highest set bit, and so does the zip.
    bits = bin(int.from_bytes(presence, "little"))[:1:-1]
    return [
        base + SCALAR_FULL_BYTES * (start + before[s_bucket])
        for s_bucket, (start, bit) in enumerate(zip(starts, bits, strict=False))
        if bit == "1"
    ]


def read_s_bucket(sector: _Buffer, sector_metadata: SectorMetadata, s_bucket: SBucket, params: Params) -> bytes:
    """The chunks stored in one s-bucket (32 bytes per record present there, by piece offset)."""
    validate_sector_size(sector, sector_metadata, params)
    start, end = compute_s_bucket_byte_range(sector_metadata, s_bucket, params)
    return bytes(memoryview(sector).cast("B")[start:end])


def read_record_metadata(
    sector: _Buffer, sector_metadata: SectorMetadata, piece_offset: PieceOffset, params: Params
) -> RecordMetadata:
    """The commitment, witness and piece checksum stored for the record at `piece_offset`."""
    layout = validate_sector_size(sector, sector_metadata, params)
    piece_offset = _validate_piece_offset(piece_offset, sector_metadata)
    start = layout.record_metadata_start + piece_offset * RECORD_METADATA_SIZE
    return RecordMetadata.from_bytes(memoryview(sector).cast("B")[start : start + RECORD_METADATA_SIZE])


def read_encoded_record(
    sector: _Buffer, sector_metadata: SectorMetadata, piece_offset: PieceOffset, params: Params
) -> EncodedRecord:
    """The record at `piece_offset` as plotting encoded it: its bitfield and its chunks gathered from the s-buckets."""
    bitfields = read_contents_map(sector, sector_metadata, params)
    piece_offset = _validate_piece_offset(piece_offset, sector_metadata)
    layout = compute_sector_layout(sector_metadata.pieces_in_sector, params)
    s_buckets = memoryview(sector).cast("B")[layout.s_buckets_start : layout.record_metadata_start]
    chunks, s_bucket_sizes = sector_kernel.gather(s_buckets, bitfields, params.record_num_chunks, piece_offset)
    # The metadata's sizes locate s-buckets for audits: they must agree with the contents map (check_s_bucket_sizes).
    if s_bucket_sizes != sector_metadata.s_bucket_sizes:
        msg = "sector metadata s-bucket sizes disagree with the sector contents map"
        raise InvalidSector(msg)
    size = compute_record_bitfield_size(params)
    return EncodedRecord(bytes(bitfields[piece_offset * size : (piece_offset + 1) * size]), chunks)


def read_record_chunks(
    sector: _Buffer, sector_metadata: SectorMetadata, piece_offset: PieceOffset, params: Params
) -> bytes:
    """The record_num_chunks stored chunks of the record at `piece_offset`, in increasing s-bucket order."""
    return read_encoded_record(sector, sector_metadata, piece_offset, params).chunks


# ---- extraction (subspace-farmer-components `reading.rs`) ----


def decode_record(encoded_record: EncodedRecord, table: ProofOfSpaceTable, params: Params) -> bytes:
    """The source record of an encoded record, with `table` generated for its evaluation seed: unmask the
    encoded chunks, recover all num_s_buckets extended chunks, and keep the even ones."""
    extended = recover_extended_record(encoded_record, table, params)
    step = 2 * SCALAR_FULL_BYTES
    return b"".join(extended[offset : offset + SCALAR_FULL_BYTES] for offset in range(0, len(extended), step))


def recover_extended_record(
    encoded_record: EncodedRecord, table: ProofOfSpaceTable, params: Params, threads: int = 1
) -> bytes:
    """All num_s_buckets decoded chunks of an encoded record (the erasure-extended record), with `table`
    generated for its evaluation seed; InvalidSector if the stored chunks are not one codeword. `threads`
    is the erasure recovery's (a proof uses 2; the result is the same for every count)."""
    proof_flags, proof_hashes = table.proof_hashes(params.num_s_buckets)
    try:
        column, present = sector_kernel.unmask(
            encoded_record.chunks, encoded_record.encoded_chunks_used, proof_flags, proof_hashes
        )
    except sector_kernel.SectorKernelError as error:
        msg = f"record cannot be unmasked: {error}"
        raise InvalidSector(msg) from error
    try:
        # sector_kernel.unmask returns `present` as one 0/1 flag byte per s-bucket, made for recover_batch, which
        # only tests each flag's truth; its `Sequence[bool]` annotation is narrower than the bytes it is given.
        extended = fr.recover_batch(column, present, threads=threads)  # type: ignore[arg-type]  # bytes of 0/1 flags, see above
    except fr.FrKernelError as error:
        msg = f"record chunks are not an erasure codeword of canonical scalars: {error}"
        raise InvalidSector(msg) from error
    return extended


def extract_piece(
    sector: _Buffer,
    sector_metadata: SectorMetadata,
    sector_id: SectorId,
    piece_offset: PieceOffset,
    table: ProofOfSpaceTable,
    params: Params,
) -> bytes:
    """The piece stored at `piece_offset`: its record decoded under a table regenerated for the evaluation seed,
    then its commitment and witness; PieceChecksumMismatch unless blake3(piece) matches the record metadata."""
    encoded_record = read_encoded_record(sector, sector_metadata, piece_offset, params)
    record_metadata = read_record_metadata(sector, sector_metadata, piece_offset, params)
    table.generate(derive_evaluation_seed(sector_id, piece_offset))
    piece = decode_record(encoded_record, table, params) + record_metadata.commitment + record_metadata.witness
    # The checksum is the last line of defence: a wrong table, sector id or corrupted chunk ends here.
    if blake3.blake3(piece).digest() != record_metadata.piece_checksum:
        msg = f"piece at offset {piece_offset} does not match its checksum"
        raise PieceChecksumMismatch(msg)
    return piece


def _validate_piece_offset(piece_offset: PieceOffset, sector_metadata: SectorMetadata) -> PieceOffset:
    piece_offset = PieceOffset(piece_offset)
    # Offsets index the sector's records.
    if piece_offset >= sector_metadata.pieces_in_sector:
        msg = f"piece_offset={piece_offset} must be below pieces_in_sector={sector_metadata.pieces_in_sector}"
        raise InvalidSector(msg)
    return piece_offset


def _validate_bitfields(bitfields: _Buffer, count: int, params: Params) -> None:
    size = compute_record_bitfield_size(params)
    # One num_s_buckets-bit field per record.
    if len(bitfields) != count * size:
        msg = f"expected {count} bitfields of {size} bytes, got {len(bitfields)} bytes"
        raise InvalidSector(msg)
    # A record stores record_num_chunks chunks, so at most that many are encoded.
    for offset in range(count):
        num_encoded = int.from_bytes(bitfields[offset * size : (offset + 1) * size], "little").bit_count()
        if num_encoded > params.record_num_chunks:
            msg = f"record {offset} has {num_encoded} encoded chunks, more than {params.record_num_chunks}"
            raise InvalidSector(msg)
