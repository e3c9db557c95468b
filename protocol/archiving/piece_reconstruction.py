"""Pieces and segment bytes from any half of a segment's pieces (Subspace `piece_reconstructor.rs`).

Each chunk column of a segment's 2n records is one erasure codeword, so any n pieces, source or
parity in any mix, determine every record. As in the reference, the commitments embedded in the
pieces are taken as given (check pieces with `is_piece_valid` before trusting them). The reference
commits to each missing source record again (one 2^Q-point MSM each); the same points are recovered
here from the commitments of any n present pieces (one n-point MSM each, `recover_source_commitments`),
which gives identical bytes for valid pieces. The parity commitments, the segment polynomial and the
witnesses are then rebuilt from the source commitments exactly as archiving builds them.
"""

from __future__ import annotations

from collections.abc import Sequence

from py_arkworks_bls12381 import G1Point

from autonomys.kernels import fr
from autonomys.protocol.archiving.archived_segment import (
    compute_pieces,
    compute_record_commitment,
    compute_record_witness,
    compute_segment_polynomial,
    extend_commitments,
    split_piece,
    split_records,
)
from autonomys.protocol.archiving.segment_encoding import decode_scalars_to_raw_record, join_raw_records_into_segment
from autonomys.protocol.constants import SCALAR_FULL_BYTES
from autonomys.protocol.errors import InvalidPiece, ReconstructionError
from autonomys.protocol.kzg import (
    InvalidCommitmentInput,
    Kzg,
    R,
    decode_g1,
    g1_bases_of,
    msm_bases,
    root_of_unity,
)
from autonomys.protocol.params import Params


def recover_records(pieces: Sequence[bytes | None], params: Params) -> list[bytes]:
    """All 2n records in position order from the present pieces (None = missing); ReconstructionError if too few."""
    present = _validate_pieces(pieces, params)
    records = [None if piece is None else split_piece(piece, params)[0] for piece in pieces]
    if all(present):
        return [record for record in records if record is not None]
    missing = bytes(params.record_size)
    slots = b"".join(missing if record is None else record for record in records)
    try:
        return split_records(fr.recover_records(slots, present), params)
    except fr.FrKernelError as error:
        # Non-canonical chunks or records that are not one codeword: the pieces do not belong together.
        msg = f"the present pieces are not one erasure-coded segment: {error}"
        raise ReconstructionError(msg) from error


def compute_source_commitments(
    kzg: Kzg, pieces: Sequence[bytes | None], records: Sequence[bytes], params: Params
) -> list[bytes]:
    """Source record commitments as the reference gets them: embedded in each present source piece, committed
    to again for the missing ones (one 2^Q-point MSM each). `recover_source_commitments` gives the same bytes."""
    commitments = []
    for position in range(0, params.num_pieces, 2):
        piece = pieces[position]
        if piece is None:
            commitments.append(compute_record_commitment(kzg, records[position]))
        else:
            commitments.append(split_piece(piece, params)[1])
    return commitments


def recover_source_commitments(pieces: Sequence[bytes | None], params: Params) -> list[bytes]:
    """Source record commitments from those embedded in any n present pieces, without committing to a record.

    The 2n record commitments are the values at ω_2n^k of one polynomial of degree < n with coefficients in
    G1 (that is what `extend_commitments` computes), so a missing one is the Lagrange combination of n known
    ones: one n-point MSM. ReconstructionError for a present piece whose commitment is not a G1 point.
    """
    present = _validate_pieces(pieces, params)
    commitments: dict[int, bytes] = {
        position: split_piece(piece, params)[1] for position, piece in enumerate(pieces) if piece is not None
    }
    missing = [position for position in range(0, params.num_pieces, 2) if not present[position]]
    if missing:
        known = sorted(commitments)[: params.segment_num_raw_records]
        points = [_decode_commitment(position, commitments[position]) for position in known]
        root = root_of_unity(params.num_pieces)
        interpolation = _LagrangeBasis([pow(root, position, R) for position in known])
        bases = g1_bases_of(points)
        for position in missing:
            coefficients = interpolation.coefficients_at(pow(root, position, R))
            scalars = b"".join(value.to_bytes(SCALAR_FULL_BYTES, "big") for value in coefficients)
            commitments[position] = msm_bases(bases, scalars)
    return [commitments[position] for position in range(0, params.num_pieces, 2)]


class _LagrangeBasis:
    """Lagrange coefficients over distinct points of Fr, in barycentric form: L_k(x) = w_k·Z(x)/(x − x_k)."""

    def __init__(self, points: Sequence[int]) -> None:
        self.points = list(points)
        self.weights = []
        for k, x_k in enumerate(self.points):
            product = 1
            for j, x_j in enumerate(self.points):
                if j != k:
                    product = product * (x_k - x_j) % R
            self.weights.append(pow(product, -1, R))

    def coefficients_at(self, x: int) -> list[int]:
        """[L_k(x)] for an x that is not one of the points."""
        vanishing = 1
        for x_k in self.points:
            vanishing = vanishing * (x - x_k) % R
        return [
            weight * vanishing * pow(x - x_k, -1, R) % R for weight, x_k in zip(self.weights, self.points, strict=True)
        ]


def _decode_commitment(position: int, commitment: bytes) -> G1Point:
    try:
        return decode_g1(commitment, f"the commitment of piece {position}")
    except InvalidCommitmentInput as error:
        raise ReconstructionError(str(error)) from error


def reconstruct_segment(kzg: Kzg, pieces: Sequence[bytes | None], params: Params) -> list[bytes]:
    """All 2n pieces of a segment from any n of them (None = missing), commitments and witnesses included."""
    records = recover_records(pieces, params)
    reconstructed, _, _ = compute_pieces(kzg, records, recover_source_commitments(pieces, params), params)
    return reconstructed


def reconstruct_piece(kzg: Kzg, pieces: Sequence[bytes | None], position: int, params: Params) -> bytes:
    """The piece at `position` of a segment from any n of its pieces (None = missing)."""
    # Positions index the segment's 2n pieces.
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < params.num_pieces:
        msg = f"piece position {position!r} is not in 0..{params.num_pieces - 1}"
        raise InvalidPiece(msg)
    records = recover_records(pieces, params)
    record_commitments = extend_commitments(recover_source_commitments(pieces, params))
    segment_polynomial = compute_segment_polynomial(kzg, record_commitments)
    witness = compute_record_witness(kzg, segment_polynomial, position, params)
    return records[position] + record_commitments[position] + witness


def reconstruct_segment_bytes(pieces: Sequence[bytes | None], params: Params) -> bytes:
    """The encoded segment (block_reconstruction's input) from any n of its pieces; no commitment is computed."""
    present = _validate_pieces(pieces, params)
    if all(present[0::2]):
        # Every source piece is here: nothing to recover.
        source_records = [split_piece(piece, params)[0] for piece in pieces[0::2] if piece is not None]
    else:
        source_records = recover_records(pieces, params)[0::2]
    return compute_segment_from_source_records(source_records, params)


def compute_segment_from_source_records(source_records: Sequence[bytes], params: Params) -> bytes:
    """The encoded segment whose n source records these are; DecodeError if a scalar does not start with 0x00."""
    raw_records = [decode_scalars_to_raw_record(record, params) for record in source_records]
    return join_raw_records_into_segment(raw_records, params)


def _validate_pieces(pieces: Sequence[bytes | None], params: Params) -> list[bool]:
    """The presence mask of a segment's 2n piece slots.

    ReconstructionError unless there are 2n slots with n or more filled; InvalidPiece for a wrong-size piece.
    """
    # One slot per piece of the segment, in position order.
    if len(pieces) != params.num_pieces:
        msg = f"a segment has {params.num_pieces} pieces, got {len(pieces)} slots"
        raise ReconstructionError(msg)
    present = [piece is not None for piece in pieces]
    for position, piece in enumerate(pieces):
        # Every present piece is record || commitment || witness.
        if piece is not None and len(piece) != params.piece_size:
            msg = f"piece {position} must be {params.piece_size} bytes, got {len(piece)}"
            raise InvalidPiece(msg)
    # The code has rate 1/2: any half of the pieces determines the rest, fewer determine nothing.
    needed = params.segment_num_raw_records
    if sum(present) < needed:
        msg = f"reconstruction needs at least {needed} of {params.num_pieces} pieces, got {sum(present)}"
        raise ReconstructionError(msg)
    return present
