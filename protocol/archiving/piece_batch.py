"""Checking many pieces at once: the verdict of `is_piece_valid` on each, for a fraction of the cost.

`is_piece_valid` commits to each record again, one 2^Q-point MSM per piece (0.6–1 s for a DEV piece on
one core). Commitments are linear, so for coefficients r_j

    Σ r_j·commit(record_j) = commit(Σ r_j·record_j)

and one MSM checks a whole batch: the combined record's commitment (the combination is a C kernel,
`fr.combine_records`) against a k-point MSM of the embedded commitments. The r_j are 128-bit values
derived from a hash of every input (Fiat–Shamir). If any embedded commitment is wrong, the differences
d_j = commit(record_j) − C_j are not all zero, and Σ r_j·d_j = 0 in a group of prime order holds for at
most one value of the last nonzero d_j's coefficient: a chance of 2^-128 per batch, which no choice of
inputs can raise short of breaking the hash. Everything else is checked for each piece exactly as
`is_piece_valid` does: sizes, positions, canonical chunks, and the witness opening the segment
polynomial (a pairing check, a few ms).

A batch that fails says only that some piece is bad; callers check its pieces one by one to find which.
"""

from __future__ import annotations

from collections.abc import Sequence

import blake3

from autonomys.kernels import fr
from autonomys.protocol.archiving.archived_segment import blake3_254_hash_to_scalar, split_piece
from autonomys.protocol.constants import G1_COMPRESSED_SIZE, SCALAR_FULL_BYTES
from autonomys.protocol.kzg import InvalidCommitmentInput, Kzg, decode_g1, msm_points
from autonomys.protocol.params import Params

BATCH_DOMAIN = b"autonomys-piece-batch-v1"
COEFFICIENT_BYTES = 16


def are_pieces_valid(
    kzg: Kzg,
    pieces: Sequence[bytes],
    segment_commitments: Sequence[bytes],
    positions: Sequence[int],
    params: Params,
) -> bool:
    """True when every piece would pass `is_piece_valid` (up to a 2^-128 chance); False for any malformed input.

    An empty batch is valid. The three sequences are aligned: piece j sits at `positions[j]` of the segment
    whose commitment is `segment_commitments[j]`.
    """
    if not len(pieces) == len(segment_commitments) == len(positions):
        return False
    if not all(_is_well_formed(*entry, params) for entry in zip(pieces, segment_commitments, positions, strict=True)):
        return False
    if len(pieces) == 0:
        return True
    split = [split_piece(piece, params) for piece in pieces]
    coefficients = derive_batch_coefficients(pieces, segment_commitments, positions)
    if not _are_commitments_consistent(kzg, [record for record, _, _ in split], [c for _, c, _ in split], coefficients):
        return False
    for (_, commitment, witness), segment_commitment, position in zip(split, segment_commitments, positions, strict=True):
        value = blake3_254_hash_to_scalar(commitment)
        if not kzg.verify(bytes(segment_commitment), params.num_pieces, position, value, witness):
            return False
    return True


def derive_batch_coefficients(
    pieces: Sequence[bytes], segment_commitments: Sequence[bytes], positions: Sequence[int]
) -> list[int]:
    """The r_j: nonzero 128-bit integers from a blake3 transcript of every piece, commitment and position."""
    transcript = blake3.blake3(BATCH_DOMAIN)
    transcript.update(len(pieces).to_bytes(8, "little"))
    for piece, segment_commitment, position in zip(pieces, segment_commitments, positions, strict=True):
        transcript.update(position.to_bytes(8, "little"))
        transcript.update(segment_commitment)
        transcript.update(piece)
    stream = transcript.digest(length=COEFFICIENT_BYTES * len(pieces))
    coefficients = []
    for offset in range(0, len(stream), COEFFICIENT_BYTES):
        value = int.from_bytes(stream[offset : offset + COEFFICIENT_BYTES], "little")
        coefficients.append(value if value != 0 else 1)
    return coefficients


def _are_commitments_consistent(
    kzg: Kzg, records: Sequence[bytes], commitments: Sequence[bytes], coefficients: Sequence[int]
) -> bool:
    """commit(Σ r_j·record_j) == Σ r_j·C_j, with every C_j a canonical G1 point."""
    try:
        points = [decode_g1(commitment, "record commitment") for commitment in commitments]
    except InvalidCommitmentInput:
        return False
    combined_commitment = kzg.commit(kzg.poly(fr.combine_records(b"".join(records), coefficients)))
    scalars = b"".join(coefficient.to_bytes(SCALAR_FULL_BYTES, "big") for coefficient in coefficients)
    return msm_points(points, scalars) == combined_commitment


def _is_well_formed(piece: object, segment_commitment: object, position: object, params: Params) -> bool:
    """The checks `is_piece_valid` makes before any curve arithmetic: sizes, position, canonical chunks."""
    if not isinstance(piece, bytes | bytearray | memoryview) or len(piece) != params.piece_size:
        return False
    if not isinstance(segment_commitment, bytes | bytearray | memoryview) or len(segment_commitment) != G1_COMPRESSED_SIZE:
        return False
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < params.num_pieces:
        return False
    return fr.is_canonical(memoryview(piece)[: params.record_size])
