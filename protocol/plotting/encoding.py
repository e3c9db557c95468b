"""Plotting: pieces into masked records and records into a sector (subspace-farmer-components
`plotting.rs::record_encoding`, `plotting.rs::write_sector`).

A record is encoded under the proof-of-space table of its evaluation seed: it is erasure-extended to
num_s_buckets chunks, and the first record_num_chunks s-buckets whose challenge has a proof keep their
chunk XOR blake3(proof). When too few challenges have proofs, unencoded chunks of the first s-buckets
left over fill the record up. A sector then stores, for each s-bucket, the chunk of every record
present there, by piece offset. The byte shuffles run in kernels.sector, the erasure code in kernels.fr,
the table in kernels.pos; this module sequences them and owns no I/O: `compute_sector` returns one
bytearray for the caller to write, and `write_sector` fills a caller-owned buffer (say, a mmap).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import blake3

from autonomys.kernels import fr
from autonomys.kernels import sector as sector_kernel
from autonomys.kernels.pos import PosTable
from autonomys.protocol.archiving.archived_segment import split_piece
from autonomys.protocol.constants import BLAKE3_HASH_SIZE, SCALAR_FULL_BYTES
from autonomys.protocol.errors import InvalidPiece, InvalidSector
from autonomys.protocol.params import Params
from autonomys.protocol.plotting.sectors import (
    RECORD_METADATA_SIZE,
    RecordMetadata,
    SectorMetadata,
    compute_blake3,
    compute_record_bitfield_size,
    compute_sector_layout,
    derive_evaluation_seed,
    validate_pieces_in_sector,
)
from autonomys.protocol.types import Blake3Hash, HistorySize, PieceOffset, SectorId, SectorIndex


class ProofOfSpaceTable(Protocol):
    """What plotting and reading need of a proof-of-space table (kernels.pos.PosTable has it)."""

    def generate(self, seed: bytes) -> None:
        """Build the table for a 32-byte seed."""

    def proof_hashes(self, num_challenges: int) -> tuple[bytes, bytes]:
        """For challenges 0..n-1: a flag byte each (non-zero = a proof exists) and blake3(proof), 32 bytes each."""

    def find_proof(self, challenge_index: int) -> bytes | None:
        """The proof for one challenge (an s-bucket), or None (proving needs it)."""


@dataclass(frozen=True, slots=True)
class EncodedRecord:
    """A record as a sector stores it."""

    encoded_chunks_used: bytes
    """num_s_buckets bits (bitvec Lsb0: bit s is bit s % 8 of byte s / 8): where the chunk is masked."""
    chunks: bytes
    """The record_num_chunks stored chunks in increasing s-bucket order; which s-buckets they are in
    follows from the bitfield and the fill rule (reading.compute_record_presence)."""

    @property
    def num_encoded(self) -> int:
        """How many of the stored chunks are masked with a proof hash."""
        return int.from_bytes(self.encoded_chunks_used, "little").bit_count()


def new_pos_table(params: Params) -> PosTable:
    """An empty proof-of-space table of the kind and K the parameters name; `generate` it per record."""
    return PosTable(params.pos_k, params.pos_table)


def encode_record(record: bytes, table: ProofOfSpaceTable, params: Params) -> EncodedRecord:
    """The encoded form of a record (record_num_chunks canonical 32-byte scalars) under a generated table
    (`plotting.rs::record_encoding`)."""
    # Records are whole scalars, as pieces carry them.
    if len(record) != params.record_size:
        msg = f"record must be {params.record_size} bytes, got {len(record)}"
        raise InvalidPiece(msg)
    try:
        parity = fr.extend(record)
    except fr.FrKernelError as error:
        msg = f"record is not canonical scalars: {error}"
        raise InvalidPiece(msg) from error
    proof_flags, proof_hashes = table.proof_hashes(params.num_s_buckets)
    encoded_chunks_used, chunks = sector_kernel.mask_and_select(record, parity, proof_flags, proof_hashes)
    return EncodedRecord(encoded_chunks_used, chunks)


def compute_record_metadata(piece: bytes, params: Params) -> RecordMetadata:
    """The piece's commitment and witness, and blake3(piece) to check the piece read back."""
    _, commitment, witness = split_piece(piece, params)
    return RecordMetadata(commitment, witness, Blake3Hash(blake3.blake3(piece).digest()))


def encode_piece(
    piece: bytes, sector_id: SectorId, piece_offset: PieceOffset, table: ProofOfSpaceTable, params: Params
) -> tuple[EncodedRecord, RecordMetadata]:
    """Generate the table for the piece's evaluation seed, then encode its record and describe the piece."""
    record, _, _ = split_piece(piece, params)
    table.generate(derive_evaluation_seed(sector_id, piece_offset))
    return encode_record(record, table, params), compute_record_metadata(piece, params)


def compute_sector(
    encoded_records: Sequence[EncodedRecord],
    record_metadata: Sequence[RecordMetadata],
    sector_index: SectorIndex,
    history_size: HistorySize,
    params: Params,
) -> tuple[bytearray, SectorMetadata]:
    """The sector bytes (`plotting.rs::write_sector`) of records 0..R-1 in piece-offset order, and the
    sector's metadata."""
    layout = compute_sector_layout(len(encoded_records), params)
    sector = bytearray(layout.size)
    sector_metadata = write_sector(sector, encoded_records, record_metadata, sector_index, history_size, params)
    return sector, sector_metadata


def write_sector(
    out: bytearray | memoryview,
    encoded_records: Sequence[EncodedRecord],
    record_metadata: Sequence[RecordMetadata],
    sector_index: SectorIndex,
    history_size: HistorySize,
    params: Params,
) -> SectorMetadata:
    """Fill `out` (exactly compute_sector_size(R) writable bytes) with the sector; return its metadata."""
    pieces_in_sector = len(encoded_records)
    _validate_sector_inputs(encoded_records, record_metadata, params)
    layout = compute_sector_layout(pieces_in_sector, params)
    view = memoryview(out).cast("B")
    # The caller sizes the buffer: a sector has one exact length.
    if len(view) != layout.size or view.readonly:
        msg = f"out must be {layout.size} writable bytes, got {len(view)} (readonly={view.readonly})"
        raise InvalidSector(msg)
    _write_contents_map(view, encoded_records, layout.bitfields_end, params)
    s_bucket_sizes = sector_kernel.scatter(
        [record.chunks for record in encoded_records],
        view[: layout.bitfields_end],
        params.record_num_chunks,
        view[layout.s_buckets_start : layout.record_metadata_start],
    )
    for offset, metadata in enumerate(record_metadata):
        start = layout.record_metadata_start + offset * RECORD_METADATA_SIZE
        view[start : start + RECORD_METADATA_SIZE] = metadata.to_bytes()
    view[layout.checksum_start :] = compute_blake3(view[: layout.checksum_start])
    return SectorMetadata(SectorIndex(sector_index), pieces_in_sector, s_bucket_sizes, HistorySize(history_size))


def _write_contents_map(
    view: memoryview, encoded_records: Sequence[EncodedRecord], bitfields_end: int, params: Params
) -> None:
    size = compute_record_bitfield_size(params)
    for offset, record in enumerate(encoded_records):
        view[offset * size : (offset + 1) * size] = record.encoded_chunks_used
    view[bitfields_end : bitfields_end + BLAKE3_HASH_SIZE] = compute_blake3(view[:bitfields_end])


def _validate_sector_inputs(
    encoded_records: Sequence[EncodedRecord], record_metadata: Sequence[RecordMetadata], params: Params
) -> None:
    validate_pieces_in_sector(len(encoded_records), params)
    # One metadata entry per record, in the same piece-offset order.
    if len(record_metadata) != len(encoded_records):
        msg = f"got {len(record_metadata)} record metadata entries for {len(encoded_records)} records"
        raise InvalidSector(msg)
    bitfield_size, chunks_size = compute_record_bitfield_size(params), params.record_num_chunks * SCALAR_FULL_BYTES
    for offset, record in enumerate(encoded_records):
        # Every record was encoded with these params: one bit per s-bucket, record_num_chunks chunks.
        if len(record.encoded_chunks_used) != bitfield_size or len(record.chunks) != chunks_size:
            msg = (
                f"encoded record {offset} has a {len(record.encoded_chunks_used)}-byte bitfield and "
                f"{len(record.chunks)} bytes of chunks, expected {bitfield_size} and {chunks_size}"
            )
            raise InvalidSector(msg)
        # A record stores only record_num_chunks chunks, so at most that many are encoded.
        if record.num_encoded > params.record_num_chunks:
            msg = (
                f"encoded record {offset} has {record.num_encoded} encoded chunks, more than {params.record_num_chunks}"
            )
            raise InvalidSector(msg)
