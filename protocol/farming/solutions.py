"""Farming (subspace-farmer-components `auditing.rs`, `proving.rs`; subspace-verification): slot challenges,
sector audits, the Solution container and solution verification.

Each slot, the proof of time gives a global challenge; each sector turns it into its own sector slot
challenge, which names the one s-bucket audited in that sector. A stored chunk wins when its keyed
BLAKE3 (keyed by the sector slot challenge) is within half the solution range of the global challenge.
Proving (protocol.farming.proving) turns a winning chunk into a Solution; `verify_solution` checks one in the
reference's order and raises InvalidSolution naming the check that failed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import blake3

from autonomys.kernels import audit as audit_kernel
from autonomys.kernels import pos
from autonomys.protocol.archiving.archived_segment import blake3_254_hash_to_scalar
from autonomys.protocol.archiving.pieces import compute_piece_position
from autonomys.protocol.codec import Reader, encode_u16, encode_u64
from autonomys.protocol.constants import (
    BLAKE3_HASH_SIZE,
    BLS12_381_SCALAR_MODULUS,
    CHUNK_WITNESS_SIZE,
    POT_OUTPUT_SIZE,
    PUBLIC_KEY_SIZE,
    RECORD_COMMITMENT_SIZE,
    RECORD_WITNESS_SIZE,
    REWARD_ADDRESS_SIZE,
    SCALAR_FULL_BYTES,
    U64_MAX,
)
from autonomys.protocol.errors import DecodeError, InvalidSector, InvalidSolution
from autonomys.protocol.farming.solution_range import is_within_solution_range
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import MAINNET, POS_TABLES, Params
from autonomys.protocol.plotting.sectors import (
    compute_public_key_hash,
    compute_sector_id,
    derive_evaluation_seed,
    derive_expiration_history_size,
    derive_piece_index,
    is_sector_expired,
)
from autonomys.protocol.types import (
    Blake3Hash,
    HistorySize,
    PieceIndex,
    PieceOffset,
    SBucket,
    SectorId,
    SectorIndex,
    SegmentCommitment,
)

# Why a solution was rejected: InvalidSolution.reason is one of these.
MALFORMED = "malformed"
INVALID_PROOF_OF_SPACE = "invalid_proof_of_space"
OUTSIDE_SOLUTION_RANGE = "outside_solution_range"
INVALID_CHUNK = "invalid_chunk"
INVALID_CHUNK_WITNESS = "invalid_chunk_witness"
FUTURE_HISTORY_SIZE = "future_history_size"
INVALID_PIECE_OFFSET = "invalid_piece_offset"
SECTOR_EXPIRED = "sector_expired"
INVALID_PIECE = "invalid_piece"
REASONS = (
    MALFORMED,
    INVALID_PROOF_OF_SPACE,
    OUTSIDE_SOLUTION_RANGE,
    INVALID_CHUNK,
    INVALID_CHUNK_WITNESS,
    FUTURE_HISTORY_SIZE,
    INVALID_PIECE_OFFSET,
    SECTOR_EXPIRED,
    INVALID_PIECE,
)
DEFAULT_PROOF_OF_SPACE_SIZE = pos.proof_size(MAINNET.pos_k)


def compute_proof_of_space_size(params: Params) -> int:
    """Bytes of a proof under these parameters: K × 8 (the shim table's proofs are always 160 bytes)."""
    return DEFAULT_PROOF_OF_SPACE_SIZE if params.pos_table == "shim" else pos.proof_size(params.pos_k)


# ---- challenges (`PotOutput::derive_global_randomness`, `Randomness::derive_global_challenge`) ----


def derive_global_randomness(proof_of_time: bytes) -> Blake3Hash:
    """blake3(pot_output): the randomness of a slot."""
    if len(proof_of_time) != POT_OUTPUT_SIZE:
        msg = f"proof_of_time must be {POT_OUTPUT_SIZE} bytes, got {len(proof_of_time)}"
        raise DecodeError(msg)
    return Blake3Hash(blake3.blake3(bytes(proof_of_time)).digest())


def derive_global_challenge(global_randomness: bytes, slot: int) -> Blake3Hash:
    """blake3(global_randomness || slot u64 LE): what every farmer audits against in this slot."""
    return Blake3Hash(blake3.blake3(Blake3Hash(global_randomness) + encode_u64(slot)).digest())


def derive_slot_challenge(proof_of_time: bytes, slot: int) -> Blake3Hash:
    """The global challenge of `slot` from that slot's proof-of-time output."""
    return derive_global_challenge(derive_global_randomness(proof_of_time), slot)


def derive_sector_slot_challenge(sector_id: SectorId, global_challenge: bytes) -> bytes:
    """sector_id XOR global_challenge: the key of this sector's audit in this slot."""
    value = int.from_bytes(SectorId(sector_id), "little") ^ int.from_bytes(Blake3Hash(global_challenge), "little")
    return value.to_bytes(BLAKE3_HASH_SIZE, "little")


def derive_s_bucket_audit_index(sector_slot_challenge: bytes, params: Params = MAINNET) -> SBucket:
    """The audited s-bucket: the challenge as a little-endian integer mod num_s_buckets (its first two bytes LE)."""
    return SBucket(int.from_bytes(sector_slot_challenge[:2], "little") % params.num_s_buckets)


def bidirectional_distance(a: int, b: int) -> int:
    """min((a − b) mod 2^64, (b − a) mod 2^64)."""
    return min((a - b) & U64_MAX, (b - a) & U64_MAX)


def compute_solution_distance(global_challenge: bytes, chunk: bytes, sector_slot_challenge: bytes) -> int:
    """The distance between a stored (masked) chunk's keyed hash and the global challenge, both as u64 LE."""
    audit_hash = blake3.blake3(bytes(chunk), key=bytes(sector_slot_challenge)).digest()
    return bidirectional_distance(int.from_bytes(audit_hash[:8], "little"), int.from_bytes(global_challenge[:8], "little"))


# ---- audit (subspace-farmer-components `auditing.rs`) ----


@dataclass(frozen=True, slots=True)
class SectorAuditTarget:
    """What one sector audits in one slot: its slot challenge and the s-bucket that challenge names."""

    sector_id: SectorId
    sector_slot_challenge: bytes
    s_bucket: SBucket


@dataclass(frozen=True, slots=True)
class AuditCandidate:
    """A stored chunk within half the solution range: its position in the audited s-bucket and its distance."""

    chunk_offset: int
    distance: int


def compute_audit_target(sector_id: SectorId, global_challenge: bytes, params: Params = MAINNET) -> SectorAuditTarget:
    """The sector slot challenge and audited s-bucket of a sector for a slot's global challenge."""
    challenge = derive_sector_slot_challenge(sector_id, global_challenge)
    return SectorAuditTarget(SectorId(sector_id), challenge, derive_s_bucket_audit_index(challenge, params))


def audit_s_bucket(
    s_bucket_chunks: bytes | bytearray | memoryview, target: SectorAuditTarget, global_challenge: bytes, solution_range: int
) -> tuple[AuditCandidate, ...]:
    """The chunks of one s-bucket within half the solution range, nearest first (one C call per s-bucket)."""
    # An s-bucket is whole 32-byte chunks; anything else means the read went wrong.
    if len(s_bucket_chunks) % SCALAR_FULL_BYTES != 0:
        msg = f"an s-bucket is whole {SCALAR_FULL_BYTES}-byte chunks, got {len(s_bucket_chunks)} bytes"
        raise InvalidSector(msg)
    found = audit_kernel.audit_chunks(s_bucket_chunks, target.sector_slot_challenge, global_challenge, solution_range)
    return tuple(AuditCandidate(offset, distance) for offset, distance in found)


# ---- the solution container (the reference's `Solution`) ----


@dataclass(frozen=True, slots=True)
class Solution:
    """A farmer's claim to a slot: SCALE in this field order, 412 bytes with a K=20 proof."""

    public_key: bytes
    reward_address: bytes
    sector_index: int
    history_size: int
    piece_offset: int
    record_commitment: bytes
    record_witness: bytes
    chunk: bytes
    """The decoded chunk (the extended record's scalar at the audited s-bucket), not the stored one."""
    chunk_witness: bytes
    proof_of_space: bytes

    def __post_init__(self) -> None:
        sizes = {
            "public_key": PUBLIC_KEY_SIZE,
            "reward_address": REWARD_ADDRESS_SIZE,
            "record_commitment": RECORD_COMMITMENT_SIZE,
            "record_witness": RECORD_WITNESS_SIZE,
            "chunk": SCALAR_FULL_BYTES,
            "chunk_witness": CHUNK_WITNESS_SIZE,
        }
        for field, size in sizes.items():
            value = getattr(self, field)
            if not isinstance(value, bytes) or len(value) != size:
                raise InvalidSolution(MALFORMED, f"{field} must be {size} bytes")
        if not isinstance(self.proof_of_space, bytes) or len(self.proof_of_space) == 0:
            raise InvalidSolution(MALFORMED, "proof_of_space must be non-empty bytes")
        try:
            SectorIndex(self.sector_index)
            HistorySize(self.history_size)
            PieceOffset(self.piece_offset)
        except (TypeError, OverflowError) as error:
            raise InvalidSolution(MALFORMED, str(error)) from error

    @property
    def size(self) -> int:
        return len(self.to_bytes())

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                self.public_key,
                self.reward_address,
                encode_u16(self.sector_index),
                encode_u64(self.history_size),
                encode_u16(self.piece_offset),
                self.record_commitment,
                self.record_witness,
                self.chunk,
                self.chunk_witness,
                self.proof_of_space,
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes, proof_of_space_size: int = DEFAULT_PROOF_OF_SPACE_SIZE) -> Solution:
        """Decode the SCALE bytes; InvalidSolution(MALFORMED) unless they are exactly one solution."""
        try:
            reader = Reader(data, "Solution")
            solution = cls(
                public_key=reader.read_bytes(PUBLIC_KEY_SIZE),
                reward_address=reader.read_bytes(REWARD_ADDRESS_SIZE),
                sector_index=reader.read_u16(),
                history_size=reader.read_u64(),
                piece_offset=reader.read_u16(),
                record_commitment=reader.read_bytes(RECORD_COMMITMENT_SIZE),
                record_witness=reader.read_bytes(RECORD_WITNESS_SIZE),
                chunk=reader.read_bytes(SCALAR_FULL_BYTES),
                chunk_witness=reader.read_bytes(CHUNK_WITNESS_SIZE),
                proof_of_space=reader.read_bytes(proof_of_space_size),
            )
            reader.expect_end()
        except DecodeError as error:
            raise InvalidSolution(MALFORMED, str(error)) from error
        return solution

    def sector_id(self) -> SectorId:
        return compute_sector_id(
            compute_public_key_hash(self.public_key), SectorIndex(self.sector_index), HistorySize(self.history_size)
        )


def compute_solution_piece_index(solution: Solution, params: Params = MAINNET) -> PieceIndex:
    """The history piece the solution's record claims to be (to look up its segment's commitment)."""
    return derive_piece_index(solution.sector_id(), PieceOffset(solution.piece_offset), HistorySize(solution.history_size), params)


# ---- verification (`subspace-verification::verify_solution`) ----


def _is_proof_of_space_valid(kind: str, seed: bytes, s_bucket: int, proof: bytes, params: Params) -> bool:
    if kind == "shim":
        return pos.shim_is_proof_valid(seed, s_bucket, proof)
    if len(proof) != pos.proof_size(params.pos_k):
        return False
    return pos.is_proof_valid(seed, s_bucket, proof, params.pos_k)


def _verify_chunk(
    solution: Solution, slot: int, proof_of_time: bytes, solution_range: int, kzg: Kzg, pos_table: str, params: Params
) -> None:
    sector_id = solution.sector_id()
    global_challenge = derive_slot_challenge(proof_of_time, slot)
    target = compute_audit_target(sector_id, global_challenge, params)
    seed = derive_evaluation_seed(sector_id, PieceOffset(solution.piece_offset))
    if not _is_proof_of_space_valid(pos_table, seed, target.s_bucket, solution.proof_of_space, params):
        raise InvalidSolution(INVALID_PROOF_OF_SPACE, f"no valid proof for s-bucket {target.s_bucket}")
    proof_hash = blake3.blake3(solution.proof_of_space).digest()
    masked_chunk = bytes(a ^ b for a, b in zip(solution.chunk, proof_hash, strict=True))
    distance = compute_solution_distance(global_challenge, masked_chunk, target.sector_slot_challenge)
    if not is_within_solution_range(distance, solution_range):
        raise InvalidSolution(OUTSIDE_SOLUTION_RANGE, f"distance {distance} exceeds half of {solution_range}")
    if int.from_bytes(solution.chunk, "big") >= BLS12_381_SCALAR_MODULUS:
        raise InvalidSolution(INVALID_CHUNK, "chunk is not a canonical scalar")
    if not kzg.verify(solution.record_commitment, params.num_s_buckets, target.s_bucket, solution.chunk, solution.chunk_witness):
        raise InvalidSolution(INVALID_CHUNK_WITNESS, f"chunk witness does not open the record at s-bucket {target.s_bucket}")


@dataclass(frozen=True, slots=True)
class PieceCheck:
    """What the chain knows to check that a solution's record is a real piece of history
    (`verify_solution`'s piece check)."""

    segment_commitment: bytes
    current_history_size: int
    max_pieces_in_sector: int
    sector_expiration_check_segment_commitment: bytes | None = None


def _verify_piece(solution: Solution, check: PieceCheck, kzg: Kzg, params: Params) -> None:
    # Pipelining lets a solution use one segment more than the chain has recorded.
    if solution.history_size > check.current_history_size + 1:
        raise InvalidSolution(
            FUTURE_HISTORY_SIZE, f"history_size {solution.history_size} > current {check.current_history_size} + 1"
        )
    if solution.piece_offset >= check.max_pieces_in_sector:
        raise InvalidSolution(
            INVALID_PIECE_OFFSET, f"piece_offset {solution.piece_offset} >= max {check.max_pieces_in_sector}"
        )
    sector_id = solution.sector_id()
    if check.sector_expiration_check_segment_commitment is not None:
        expiration = derive_expiration_history_size(
            sector_id,
            HistorySize(solution.history_size),
            SegmentCommitment(check.sector_expiration_check_segment_commitment),
            params,
        )
        if is_sector_expired(expiration, HistorySize(check.current_history_size)):
            raise InvalidSolution(SECTOR_EXPIRED, f"sector expired at history size {expiration}")
    piece_params = params if params.max_pieces_in_sector == check.max_pieces_in_sector else _with_max_pieces(params, check)
    piece_index = compute_solution_piece_index(solution, piece_params)
    position = compute_piece_position(piece_index, params)
    value = blake3_254_hash_to_scalar(solution.record_commitment)
    if not kzg.verify(check.segment_commitment, params.num_pieces, position, value, solution.record_witness):
        raise InvalidSolution(INVALID_PIECE, f"record witness does not open segment commitment at piece {piece_index}")


def _with_max_pieces(params: Params, check: PieceCheck) -> Params:
    return dataclasses.replace(params, max_pieces_in_sector=check.max_pieces_in_sector)


def verify_solution(
    solution: Solution,
    *,
    slot: int,
    proof_of_time: bytes,
    solution_range: int,
    kzg: Kzg,
    pos_table: str = "chia",
    segment_commitment: bytes | None = None,
    current_history_size: int | None = None,
    max_pieces_in_sector: int | None = None,
    sector_expiration_check_segment_commitment: bytes | None = None,
    params: Params = MAINNET,
) -> None:
    """Raise InvalidSolution (with its reason) unless the solution wins `slot` (in the order of
    `subspace-verification::verify_solution`).

    The piece checks run when `segment_commitment` (of the solution's piece's segment, see
    compute_solution_piece_index) is given; they then need `current_history_size`, and take
    max_pieces_in_sector from params unless given.
    """
    if pos_table not in POS_TABLES:
        msg = f"pos_table={pos_table!r} must be one of {', '.join(POS_TABLES)}"
        raise ValueError(msg)
    if not isinstance(solution, Solution):
        raise InvalidSolution(MALFORMED, f"expected a Solution, got {type(solution).__name__}")
    try:
        _verify_chunk(solution, slot, proof_of_time, solution_range, kzg, pos_table, params)
    except (DecodeError, TypeError, OverflowError) as error:
        raise InvalidSolution(MALFORMED, str(error)) from error
    if segment_commitment is None:
        return
    if current_history_size is None:
        msg = "piece checks need current_history_size along with segment_commitment"
        raise ValueError(msg)
    check = PieceCheck(
        segment_commitment,
        current_history_size,
        params.max_pieces_in_sector if max_pieces_in_sector is None else max_pieces_in_sector,
        sector_expiration_check_segment_commitment,
    )
    _verify_piece(solution, check, kzg, params)

