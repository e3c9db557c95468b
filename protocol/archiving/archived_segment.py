"""Segments into archived segments: erasure-coded records, KZG commitments and witnesses
(subspace-erasure-coding; subspace-archiving `Archiver::produce_archived_segment`).

A recorded-history segment of n raw records becomes 2n pieces, each `record || record commitment
(48) || record witness (48)`. Source and parity pieces interleave: piece 2j holds source record j,
piece 2j + 1 parity record j, where chunk c of the parity records is the erasure-code extension of
the column of chunk c of the source records. Parity commitments are not computed from parity data:
commitments are linear, so extending the source commitments over G1 gives them. The segment
commitment commits to the polynomial through h_i = blake3_254(commitment_i) on the 2n-point domain,
and piece i's witness opens it at position i.

One record commitment (an inverse NTT and a 2^15-point MSM at MAINNET sizes) dominates the cost.
`compute_record_commitment` (scalar records) and `compute_source_record_commitment` (raw records)
are pure, so an actor can fan the source records out to workers and hand the results to
`archive_segment`, which then trusts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import blake3
from py_arkworks_bls12381 import G1Point

from autonomys.kernels import fr
from autonomys.protocol.archiving.block_archiving import ProducedSegment
from autonomys.protocol.archiving.segment_encoding import (
    encode_raw_record_as_scalars,
    encode_segment,
    split_segment_into_raw_records,
)
from autonomys.protocol.archiving.segments import LastArchivedBlock, SegmentHeader
from autonomys.protocol.constants import (
    BLS12_381_SCALAR_MODULUS,
    G1_COMPRESSED_SIZE,
    RECORD_COMMITMENT_SIZE,
)
from autonomys.protocol.errors import InvalidPiece
from autonomys.protocol.kzg import InvalidCommitmentInput, Kzg, Polynomial, decode_g1, root_of_unity, scalar_from_int
from autonomys.protocol.params import Params, is_power_of_two
from autonomys.protocol.types import Blake3Hash, SegmentCommitment, SegmentIndex

R = BLS12_381_SCALAR_MODULUS
# blake3_254: clearing the 2 top bits of the big-endian digest leaves a value below 2^254 < r.
SCALAR_TOP_BITS_MASK = 0b0011_1111


@dataclass(frozen=True, slots=True)
class ArchivedSegment:
    """A segment's pieces, their commitments and the header that seals it."""

    pieces: tuple[bytes, ...]
    """All num_pieces pieces in position order: source records at even positions, parity at odd ones."""
    record_commitments: tuple[bytes, ...]
    """The 48-byte commitment embedded in each piece, in position order."""
    segment_commitment: SegmentCommitment
    segment_header: SegmentHeader


def blake3_254_hash_to_scalar(data: bytes) -> bytes:
    """blake3(data) with the 2 most significant bits cleared: a canonical 32-byte big-endian scalar."""
    digest = bytearray(blake3.blake3(data).digest())
    digest[0] &= SCALAR_TOP_BITS_MASK
    return bytes(digest)


def compute_source_records(segment: bytes | memoryview, params: Params) -> list[bytes]:
    """The segment's n source records: every 31-byte chunk of each raw record as the scalar 0x00 || chunk."""
    raw_records = split_segment_into_raw_records(segment, params)
    return [encode_raw_record_as_scalars(raw_record, params) for raw_record in raw_records]


def compute_parity_records(source_records: Sequence[bytes], params: Params) -> list[bytes]:
    """The n parity records: chunk c of parity record j is the extension of chunk column c, at j."""
    validate_records(source_records, params.segment_num_raw_records, params)
    parity = fr.extend_records(b"".join(source_records), params.segment_num_raw_records)
    return split_records(parity, params)


def compute_record_commitment(kzg: Kzg, record: bytes) -> bytes:
    """The KZG commitment to the polynomial whose value at ω^c is chunk c of the record (48 bytes)."""
    return kzg.commit(kzg.poly(record))


def compute_source_record_commitment(kzg: Kzg, raw_record: bytes | memoryview, params: Params) -> bytes:
    """The commitment of the source record a raw record (raw_record_size bytes of segment data) becomes."""
    return compute_record_commitment(kzg, encode_raw_record_as_scalars(raw_record, params))


def extend_commitments(commitments: Sequence[bytes]) -> list[bytes]:
    """All 2n record commitments from the n source ones, interleaved with the sources at even positions.

    The erasure code's `extend` over G1 (subspace-erasure-coding `extend_commitments`): commitments are
    linear in the record, so the parity records' commitments are the extension of the source commitments.
    Computed as `extend` is in the
    Fr kernel: an inverse n-point transform, a shift of coefficient j by ω_2n^j, and a forward n-point
    transform, which gives the odd points of the 2n-point transform of the identity-padded coefficients.
    """
    count = len(commitments)
    # The extension is a radix-2 transform of the source commitments.
    if not is_power_of_two(count):
        msg = f"extend_commitments needs a power-of-two number of commitments, got {count}"
        raise InvalidCommitmentInput(msg)
    points = [decode_g1(commitment) for commitment in commitments]
    root = root_of_unity(count)
    shifted_coefficients = _shift_coefficients(_transform_g1(points, pow(root, -1, R)))
    parity = _transform_g1(shifted_coefficients, root)
    extended = []
    for source_point, parity_point in zip(points, parity, strict=True):
        extended += [source_point, parity_point]
    return [bytes(point.to_compressed_bytes()) for point in extended]


def compute_segment_polynomial(kzg: Kzg, record_commitments: Sequence[bytes]) -> Polynomial:
    """S with S(ω_2n^i) = blake3_254(record_commitments[i]), on the domain of all the segment's pieces."""
    return kzg.poly(b"".join(blake3_254_hash_to_scalar(commitment) for commitment in record_commitments))


def compute_record_witness(kzg: Kzg, segment_polynomial: Polynomial, position: int, params: Params) -> bytes:
    """The opening of the segment polynomial at piece `position` (48 bytes)."""
    return kzg.create_witness(segment_polynomial, params.num_pieces, position)


def compute_pieces(
    kzg: Kzg, records: Sequence[bytes], source_commitments: Sequence[bytes], params: Params
) -> tuple[list[bytes], list[bytes], SegmentCommitment]:
    """(pieces, record commitments, segment commitment) of a segment's 2n records in position order.

    The source commitments are trusted: they must be the commitments of records 0, 2, 4, ...
    """
    validate_records(records, params.num_pieces, params)
    record_commitments = extend_commitments(_validate_source_commitments(source_commitments, params))
    segment_polynomial = compute_segment_polynomial(kzg, record_commitments)
    segment_commitment = SegmentCommitment(kzg.commit(segment_polynomial))
    pieces = [
        record + commitment + compute_record_witness(kzg, segment_polynomial, position, params)
        for position, (record, commitment) in enumerate(zip(records, record_commitments, strict=True))
    ]
    return pieces, record_commitments, segment_commitment


def archive_segment(
    segment_bytes: bytes | memoryview,
    kzg: Kzg,
    params: Params,
    segment_index: SegmentIndex,
    prev_segment_header_hash: Blake3Hash,
    last_archived_block: LastArchivedBlock,
    source_commitments: Sequence[bytes] | None = None,
) -> ArchivedSegment:
    """The archived segment of an encoded segment (`Archiver::produce_archived_segment`); source commitments may be
    precomputed."""
    source_records = compute_source_records(segment_bytes, params)
    parity_records = compute_parity_records(source_records, params)
    records = interleave_records(source_records, parity_records)
    if source_commitments is None:
        source_commitments = [compute_record_commitment(kzg, record) for record in source_records]
    pieces, record_commitments, segment_commitment = compute_pieces(kzg, records, source_commitments, params)
    header = SegmentHeader(segment_index, segment_commitment, prev_segment_header_hash, last_archived_block)
    return ArchivedSegment(tuple(pieces), tuple(record_commitments), segment_commitment, header)


def archive_produced_segment(
    kzg: Kzg, produced: ProducedSegment, params: Params, source_commitments: Sequence[bytes] | None = None
) -> ArchivedSegment:
    """The archived segment of a segment block_archiving produced; its header goes to next_state_after_segment."""
    segment = encode_segment(produced.items, params)
    return archive_segment(
        segment,
        kzg,
        params,
        produced.segment_index,
        produced.prev_segment_header_hash,
        produced.last_archived_block,
        source_commitments,
    )


def is_piece_valid(kzg: Kzg, piece: bytes, segment_commitment: bytes, position: int, params: Params) -> bool:
    """True when the piece's record, commitment and witness check against the segment commitment at `position`.

    Malformed input (sizes, positions, scalars, points) gives False, never an exception; only a setup
    with fewer G1 powers than record_num_chunks (a configuration error) raises InvalidCommitmentInput.
    """
    # A piece is exactly record || commitment || witness.
    if not _is_bytes_of_length(piece, params.piece_size):
        return False
    # The segment commitment is one compressed G1 point.
    if not _is_bytes_of_length(segment_commitment, G1_COMPRESSED_SIZE):
        return False
    # Positions index the 2n-point domain of the segment polynomial.
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < params.num_pieces:
        return False
    record, commitment, witness = split_piece(piece, params)
    # Every chunk is a canonical scalar (parity chunks may use all 254 bits, never r or more).
    if not fr.is_canonical(record):
        return False
    # The embedded commitment is the record's own.
    if compute_record_commitment(kzg, record) != commitment:
        return False
    # The witness opens the segment polynomial at this position to the commitment's hash.
    value = blake3_254_hash_to_scalar(commitment)
    return kzg.verify(bytes(segment_commitment), params.num_pieces, position, value, witness)


def split_piece(piece: bytes | memoryview, params: Params) -> tuple[bytes, bytes, bytes]:
    """(record, record commitment, record witness) of a piece; InvalidPiece unless it is piece_size bytes."""
    # The layout is fixed: record_size bytes, then two compressed G1 points.
    if len(piece) != params.piece_size:
        msg = f"piece must be {params.piece_size} bytes, got {len(piece)}"
        raise InvalidPiece(msg)
    data = bytes(piece)
    commitment_end = params.record_size + RECORD_COMMITMENT_SIZE
    return data[: params.record_size], data[params.record_size : commitment_end], data[commitment_end:]


def interleave_records(source_records: Sequence[bytes], parity_records: Sequence[bytes]) -> list[bytes]:
    """Records in piece-position order: source j at position 2j, parity j at 2j + 1."""
    records = []
    for source, parity in zip(source_records, parity_records, strict=True):
        records += [source, parity]
    return records


def split_records(records: bytes, params: Params) -> list[bytes]:
    """Records stored one after another, as a list of record_size-byte records."""
    size = params.record_size
    return [records[offset : offset + size] for offset in range(0, len(records), size)]


def validate_records(records: Sequence[bytes], count: int, params: Params) -> None:
    """Raise InvalidPiece unless there are `count` records of record_size bytes."""
    # Erasure coding and commitments work on whole records of one segment.
    if len(records) != count:
        msg = f"expected {count} records, got {len(records)}"
        raise InvalidPiece(msg)
    for index, record in enumerate(records):
        if len(record) != params.record_size:
            msg = f"record {index} must be {params.record_size} bytes, got {len(record)}"
            raise InvalidPiece(msg)


def _validate_source_commitments(source_commitments: Sequence[bytes], params: Params) -> Sequence[bytes]:
    # One commitment per source record.
    if len(source_commitments) != params.segment_num_raw_records:
        msg = f"expected {params.segment_num_raw_records} source commitments, got {len(source_commitments)}"
        raise InvalidCommitmentInput(msg)
    return source_commitments


def _is_bytes_of_length(value: object, length: int) -> bool:
    return isinstance(value, bytes | bytearray | memoryview) and len(value) == length


def _transform_g1(points: list[G1Point], root: int) -> list[G1Point]:
    """X[i] = Σ_j points[j]·root^(i·j) (radix-2, natural order), for `root` of order len(points)."""
    count = len(points)
    if count == 1:
        return list(points)
    square = root * root % R
    even, odd = _transform_g1(points[0::2], square), _transform_g1(points[1::2], square)
    half = count // 2
    out = [G1Point.identity()] * count
    power = 1
    for index in range(half):
        term = odd[index] if power == 1 else odd[index] * scalar_from_int(power)
        out[index], out[index + half] = even[index] + term, even[index] - term
        power = power * root % R
    return out


def _shift_coefficients(scaled_coefficients: list[G1Point]) -> list[G1Point]:
    """The coefficients c_j (given times n, as an inverse transform leaves them) times ω_2n^j.

    Evaluating the result at ω_n^i evaluates the polynomial at the odd point ω_2n^(2i+1).
    """
    count = len(scaled_coefficients)
    shift = root_of_unity(2 * count)
    factor = pow(count, -1, R)
    shifted = []
    for point in scaled_coefficients:
        shifted.append(point * scalar_from_int(factor))
        factor = factor * shift % R
    return shifted
