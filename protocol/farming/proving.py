"""Proving (subspace-farmer-components `proving.rs`): turn an audit candidate into a Solution.

The candidate names a chunk by its position in the audited s-bucket; the contents map says which record
stored it and whether it was encoded (unencoded chunks cannot win). The record is then decoded under
its regenerated proof-of-space table, its polynomial recovered from all num_s_buckets chunks, and the
chunk opened with a KZG witness over the num_s_buckets domain. The sector is a buffer (a memoryview of
a mmap reads only the pages it touches); the record's checksum is checked before anything is signed.
"""

from __future__ import annotations

from dataclasses import dataclass

import blake3

from autonomys.kernels import fr
from autonomys.protocol.constants import SCALAR_FULL_BYTES
from autonomys.protocol.errors import InvalidSector, PieceChecksumMismatch
from autonomys.protocol.farming.solutions import AuditCandidate, Solution
from autonomys.protocol.kzg import Kzg, Polynomial
from autonomys.protocol.params import Params
from autonomys.protocol.plotting.encoding import EncodedRecord, ProofOfSpaceTable
from autonomys.protocol.plotting.reading import (
    compute_s_bucket_records,
    read_contents_map,
    read_encoded_record,
    read_record_metadata,
    recover_extended_record,
)
from autonomys.protocol.plotting.sectors import (
    RecordMetadata,
    SectorMetadata,
    compute_public_key_hash,
    compute_sector_id,
    derive_evaluation_seed,
)
from autonomys.protocol.types import PieceOffset, SBucket

_Buffer = bytes | bytearray | memoryview


@dataclass(frozen=True, slots=True)
class FarmerKeys:
    """Who a solution pays: the farmer's sr25519 public key and the reward address (32 bytes each)."""

    public_key: bytes
    reward_address: bytes


def locate_candidate(
    sector: _Buffer, sector_metadata: SectorMetadata, s_bucket: SBucket, candidate: AuditCandidate, params: Params
) -> tuple[PieceOffset, bool]:
    """(piece offset, encoded) of the record that stored the candidate chunk in s-bucket `s_bucket`."""
    return locate_in_contents_map(read_contents_map(sector, sector_metadata, params), s_bucket, candidate, params)


def locate_in_contents_map(
    bitfields: _Buffer, s_bucket: SBucket, candidate: AuditCandidate, params: Params
) -> tuple[PieceOffset, bool]:
    """locate_candidate on the contents map's bitfields alone (validate_contents_map checks them)."""
    records = compute_s_bucket_records(bitfields, s_bucket, params)
    # The audit read exactly the chunks the contents map places in this s-bucket.
    if not 0 <= candidate.chunk_offset < len(records):
        msg = f"chunk {candidate.chunk_offset} is outside s-bucket {s_bucket} of {len(records)} chunks"
        raise InvalidSector(msg)
    return records[candidate.chunk_offset]


def compute_record_polynomial(extended_record: bytes, params: Params) -> Polynomial:
    """The record's polynomial (record_num_chunks coefficients) from its num_s_buckets evaluations."""
    coefficients = fr.intt(extended_record)
    split = params.record_num_chunks * SCALAR_FULL_BYTES
    # An erasure-extended record has degree below record_num_chunks: the upper coefficients vanish.
    if any(coefficients[split:]):
        msg = "recovered record is not an erasure codeword"
        raise InvalidSector(msg)
    return Polynomial(coefficients[:split])


def prove_candidate(
    sector: _Buffer,
    sector_metadata: SectorMetadata,
    keys: FarmerKeys,
    s_bucket: SBucket,
    candidate: AuditCandidate,
    table: ProofOfSpaceTable,
    kzg: Kzg,
    params: Params,
) -> Solution | None:
    """The solution for an audit candidate, or None when its chunk was stored unencoded (it cannot win).

    Raises InvalidSector (or PieceChecksumMismatch) when the sector's bytes do not decode to its record.
    """
    piece_offset, encoded = locate_candidate(sector, sector_metadata, s_bucket, candidate, params)
    if not encoded:
        return None
    sector_id = compute_sector_id(
        compute_public_key_hash(keys.public_key), sector_metadata.sector_index, sector_metadata.history_size
    )
    encoded_record = read_encoded_record(sector, sector_metadata, piece_offset, params)
    record_metadata = read_record_metadata(sector, sector_metadata, piece_offset, params)
    table.generate(derive_evaluation_seed(sector_id, piece_offset))
    return prove_record(
        RecordToProve(sector_metadata, piece_offset, encoded_record, record_metadata),
        keys,
        s_bucket,
        table,
        kzg,
        params,
    )


@dataclass(frozen=True, slots=True)
class RecordToProve:
    """The record holding a winning chunk, as read from its sector."""

    sector_metadata: SectorMetadata
    piece_offset: PieceOffset
    encoded_record: EncodedRecord
    record_metadata: RecordMetadata


def prove_record(
    record: RecordToProve,
    keys: FarmerKeys,
    s_bucket: SBucket,
    table: ProofOfSpaceTable,
    kzg: Kzg,
    params: Params,
    witness_threads: int = 1,
    recover_threads: int = 1,
) -> Solution:
    """The solution for the encoded chunk of `record` in `s_bucket`, with `table` already generated for the
    record's evaluation seed: recover the record, check its piece checksum, find the proof, open the chunk.

    `witness_threads` is the KZG witness's MSM threads, `recover_threads` the erasure recovery's (the table's
    own proof hashes use the table's `threads`). Raises InvalidSector (or PieceChecksumMismatch) when the
    record does not decode.
    """
    record_metadata, piece_offset = record.record_metadata, record.piece_offset
    extended = recover_extended_record(record.encoded_record, table, params, recover_threads)
    _check_piece(extended, record_metadata.commitment + record_metadata.witness, record_metadata.piece_checksum, piece_offset)
    proof = table.find_proof(s_bucket)
    # The contents map says this chunk was masked with a proof: the regenerated table must have it.
    if proof is None:
        msg = f"record {piece_offset} claims an encoded chunk in s-bucket {s_bucket} without a proof"
        raise InvalidSector(msg)
    polynomial = compute_record_polynomial(extended, params)
    chunk = extended[s_bucket * SCALAR_FULL_BYTES : (s_bucket + 1) * SCALAR_FULL_BYTES]
    return Solution(
        public_key=bytes(keys.public_key),
        reward_address=bytes(keys.reward_address),
        sector_index=int(record.sector_metadata.sector_index),
        history_size=int(record.sector_metadata.history_size),
        piece_offset=int(piece_offset),
        record_commitment=record_metadata.commitment,
        record_witness=record_metadata.witness,
        chunk=chunk,
        chunk_witness=kzg.create_witness(polynomial, params.num_s_buckets, s_bucket, threads=witness_threads),
        proof_of_space=bytes(proof),
    )


def _check_piece(extended: bytes, commitment_and_witness: bytes, checksum: bytes, piece_offset: int) -> None:
    step = 2 * SCALAR_FULL_BYTES
    view = memoryview(extended)
    source = b"".join([view[offset : offset + SCALAR_FULL_BYTES] for offset in range(0, len(extended), step)])
    # A flipped bit anywhere in the record's chunks ends here, before a bad solution is signed.
    if blake3.blake3(source + commitment_and_witness).digest() != checksum:
        msg = f"piece at offset {piece_offset} does not match its checksum"
        raise PieceChecksumMismatch(msg)
