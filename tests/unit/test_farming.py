"""Farming (subspace-farmer-components `auditing.rs`, `proving.rs`; `verify_solution`): challenges,
audits, proving, the Solution bytes, verification and its rejections.

A MINIMAL sector (shim table) is plotted from three real archived segments at history size 3; the chia
table proves a 412-byte solution on a two-record sector. Every rejection is asserted by its reason.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import blake3
import pytest

from autonomys.kernels import audit as audit_kernel
from autonomys.protocol.archiving.pieces import compute_piece_segment_index
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import InvalidSector, InvalidSolution
from autonomys.protocol.farming import solutions as farming
from autonomys.protocol.farming.proving import FarmerKeys, locate_candidate, prove_candidate
from autonomys.protocol.farming.solutions import (
    AuditCandidate,
    Solution,
    audit_s_bucket,
    compute_audit_target,
    compute_solution_piece_index,
    derive_slot_challenge,
    verify_solution,
)
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import MINIMAL, Params
from autonomys.protocol.plotting import encoding as plotting
from autonomys.protocol.plotting.reading import compute_s_bucket_records, read_contents_map, read_s_bucket
from autonomys.protocol.plotting.sectors import (
    compute_expiration_check_segment_index,
    compute_s_bucket_byte_range,
    compute_sector_piece_indexes,
)
from helpers.history import ArchivedHistory, archived_history
from helpers.sectors import PUBLIC_KEY, PlottedSector, needs_chia, plot_pieces

PARAMS = MINIMAL
HISTORY_SIZE = 3
REWARD_ADDRESS = bytes(range(100, 132))
KEYS = FarmerKeys(PUBLIC_KEY, REWARD_ADDRESS)
# Derived, not from the reference's tests: `derive_global_randomness` of the last checkpoint of prove(SEED, 160).
POT_OUTPUT_VECTOR = bytes.fromhex("337c27dfebb8318e8291621df130f9df")
GLOBAL_RANDOMNESS_VECTOR = bytes.fromhex("02ec660d06696937aa2cb5f412e1597b6f9328076ff87fc7de0b3400da3f17ad")


@dataclasses.dataclass(frozen=True)
class Proven:
    """A solution our prover made, with the slot it wins and what the chain knows to check it."""

    solution: Solution
    slot: int
    proof_of_time: bytes
    distance: int
    segment_commitment: bytes
    expiration_commitment: bytes


@pytest.fixture(scope="module")
def kzg() -> Kzg:
    return Kzg.dev_setup(num_g1_powers=PARAMS.record_num_chunks)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, kzg: Kzg) -> ArchivedHistory:
    return archived_history(Path(tmp_path_factory.mktemp("history")), PARAMS, kzg, HISTORY_SIZE + PARAMS.min_sector_lifetime)


def plot(history: ArchivedHistory, params: Params, count: int, table: object) -> PlottedSector:
    sector_id = Solution(
        PUBLIC_KEY, REWARD_ADDRESS, 0, HISTORY_SIZE, 0, bytes(48), bytes(48), bytes(32), bytes(48), bytes(160)
    ).sector_id()
    indexes = compute_sector_piece_indexes(sector_id, HISTORY_SIZE, params.max_pieces_in_sector, params)[:count]
    pieces = [history.get_piece(index) for index in indexes]
    return plot_pieces(pieces, sector_id, table, params, history_size=HISTORY_SIZE)


@pytest.fixture(scope="module")
def plotted(history: ArchivedHistory) -> PlottedSector:
    return plot(history, PARAMS, PARAMS.max_pieces_in_sector, plotting.new_pos_table(PARAMS))


def find_solution(plotted: PlottedSector, history: ArchivedHistory, kzg: Kzg, params: Params) -> Proven:
    """Audit slots with the widest range until a candidate is encoded, then prove it."""
    table = plotting.new_pos_table(params)
    for slot in range(1, 50):
        proof_of_time = blake3.blake3(slot.to_bytes(8, "little")).digest()[:16]
        challenge = derive_slot_challenge(proof_of_time, slot)
        target = compute_audit_target(plotted.sector_id, challenge, params)
        chunks = read_s_bucket(plotted.sector, plotted.metadata, target.s_bucket, params)
        for candidate in audit_s_bucket(chunks, target, challenge, U64_MAX):
            solution = prove_candidate(plotted.sector, plotted.metadata, KEYS, target.s_bucket, candidate, table, kzg, params)
            if solution is not None:
                piece_index = compute_solution_piece_index(solution, params)
                headers = history.archiver.segment_headers()
                segment = headers[compute_piece_segment_index(piece_index, params)]
                expiration = headers[compute_expiration_check_segment_index(HISTORY_SIZE, params)]
                return Proven(
                    solution, slot, proof_of_time, candidate.distance, segment.segment_commitment, expiration.segment_commitment
                )
    pytest.fail("no encoded candidate in 50 slots")


@pytest.fixture(scope="module")
def proven(plotted: PlottedSector, history: ArchivedHistory, kzg: Kzg) -> Proven:
    return find_solution(plotted, history, kzg, PARAMS)


def verify(proven: Proven, kzg: Kzg, solution: Solution | None = None, **overrides: object) -> None:
    arguments: dict = {
        "slot": proven.slot,
        "proof_of_time": proven.proof_of_time,
        "solution_range": 2 * proven.distance + 1,
        "kzg": kzg,
        "pos_table": PARAMS.pos_table,
        "segment_commitment": proven.segment_commitment,
        "current_history_size": HISTORY_SIZE,
        "sector_expiration_check_segment_commitment": proven.expiration_commitment,
        "params": PARAMS,
    }
    arguments.update(overrides)
    verify_solution(solution if solution is not None else proven.solution, **arguments)


def rejection(proven: Proven, kzg: Kzg, solution: Solution | None = None, **overrides: object) -> str:
    with pytest.raises(InvalidSolution) as caught:
        verify(proven, kzg, solution, **overrides)
    return caught.value.reason


def flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


# ---- challenges ----


def test_global_randomness_matches_the_derived_vector() -> None:
    assert farming.derive_global_randomness(POT_OUTPUT_VECTOR) == GLOBAL_RANDOMNESS_VECTOR


def test_global_challenge_and_sector_slot_challenge_follow_d1() -> None:
    challenge = farming.derive_global_challenge(GLOBAL_RANDOMNESS_VECTOR, 7)
    assert challenge == blake3.blake3(GLOBAL_RANDOMNESS_VECTOR + (7).to_bytes(8, "little")).digest()
    sector_id = bytes(range(32))
    target = compute_audit_target(sector_id, challenge)
    assert target.sector_slot_challenge == bytes(a ^ b for a, b in zip(sector_id, challenge, strict=True))
    assert target.s_bucket == int.from_bytes(target.sector_slot_challenge[:2], "little")
    assert compute_audit_target(sector_id, challenge, PARAMS).s_bucket == target.s_bucket % PARAMS.num_s_buckets


def test_bidirectional_distance_wraps_both_ways() -> None:
    assert farming.bidirectional_distance(5, 3) == 2
    assert farming.bidirectional_distance(3, 5) == 2
    assert farming.bidirectional_distance(0, U64_MAX) == 1
    assert farming.bidirectional_distance(0, 2**63) == 2**63


# ---- audit ----


def non_empty_s_bucket(plotted: PlottedSector) -> tuple[bytes, farming.SectorAuditTarget, bytes]:
    for slot in range(100):
        challenge = derive_slot_challenge(bytes(16), slot)
        target = compute_audit_target(plotted.sector_id, challenge, PARAMS)
        chunks = read_s_bucket(plotted.sector, plotted.metadata, target.s_bucket, PARAMS)
        if len(chunks) >= 4 * 32:
            return challenge, target, chunks
    pytest.fail("no s-bucket with 4 chunks in 100 slots")


def test_audit_agrees_with_the_per_chunk_distance(plotted: PlottedSector) -> None:
    challenge, target, chunks = non_empty_s_bucket(plotted)
    candidates = audit_s_bucket(chunks, target, challenge, U64_MAX)
    expected = sorted(
        (farming.compute_solution_distance(challenge, chunks[i : i + 32], target.sector_slot_challenge), i // 32)
        for i in range(0, len(chunks), 32)
    )
    assert [(c.distance, c.chunk_offset) for c in candidates] == expected
    assert len(candidates) == len(chunks) // 32 > 0
    cutoff = expected[len(expected) // 2][0]
    assert [c.distance for c in audit_s_bucket(chunks, target, challenge, 2 * cutoff)] == [d for d, _ in expected if d <= cutoff]


def test_audit_rejects_a_partial_chunk() -> None:
    target = compute_audit_target(bytes(32), bytes(32))
    with pytest.raises(InvalidSector):
        audit_s_bucket(bytes(33), target, bytes(32), U64_MAX)


# ---- proving and verification ----


def test_a_proven_solution_verifies_with_every_check(proven: Proven, kzg: Kzg) -> None:
    verify(proven, kzg)
    verify(proven, kzg, segment_commitment=None)
    assert proven.solution.size == 412
    assert Solution.from_bytes(proven.solution.to_bytes()) == proven.solution


def test_solution_bytes_follow_the_scale_field_order(proven: Proven) -> None:
    solution, data = proven.solution, proven.solution.to_bytes()
    assert data[:32] == solution.public_key
    assert data[32:64] == solution.reward_address
    assert data[64:66] == solution.sector_index.to_bytes(2, "little")
    assert data[66:74] == solution.history_size.to_bytes(8, "little")
    assert data[74:76] == solution.piece_offset.to_bytes(2, "little")
    assert data[76:124] == solution.record_commitment
    assert data[124:172] == solution.record_witness
    assert data[172:204] == solution.chunk
    assert data[204:252] == solution.chunk_witness
    assert data[252:] == solution.proof_of_space


@pytest.mark.parametrize("length", [0, 411, 413])
def test_malformed_solution_bytes_are_rejected(proven: Proven, length: int) -> None:
    data = (proven.solution.to_bytes() + b"\x00")[:length]
    with pytest.raises(InvalidSolution) as caught:
        Solution.from_bytes(data)
    assert caught.value.reason == farming.MALFORMED


def test_zero_history_size_is_malformed(proven: Proven) -> None:
    data = bytearray(proven.solution.to_bytes())
    data[66:74] = bytes(8)
    with pytest.raises(InvalidSolution, match="malformed"):
        Solution.from_bytes(bytes(data))


def test_the_solution_range_bound_is_half_the_range(proven: Proven, kzg: Kzg) -> None:
    verify(proven, kzg, solution_range=2 * proven.distance)
    if proven.distance > 0:
        assert rejection(proven, kzg, solution_range=2 * proven.distance - 2) == farming.OUTSIDE_SOLUTION_RANGE


def mutated(solution: Solution, field: str) -> Solution:
    value = getattr(solution, field)
    new = value ^ 1 if isinstance(value, int) else flip(value, len(value) - 1)
    return dataclasses.replace(solution, **{field: new})


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("public_key", farming.INVALID_PROOF_OF_SPACE),
        ("sector_index", farming.INVALID_PROOF_OF_SPACE),
        ("history_size", farming.INVALID_PROOF_OF_SPACE),
        ("piece_offset", farming.INVALID_PROOF_OF_SPACE),
        ("proof_of_space", farming.INVALID_PROOF_OF_SPACE),
        ("chunk", farming.OUTSIDE_SOLUTION_RANGE),
        ("record_commitment", farming.INVALID_CHUNK_WITNESS),
        ("chunk_witness", farming.INVALID_CHUNK_WITNESS),
        ("record_witness", farming.INVALID_PIECE),
    ],
)
def test_every_field_mutation_is_rejected_with_its_reason(proven: Proven, kzg: Kzg, field: str, reason: str) -> None:
    assert rejection(proven, kzg, mutated(proven.solution, field)) == reason


def test_a_mutated_chunk_fails_its_witness_under_the_widest_range(proven: Proven, kzg: Kzg) -> None:
    assert rejection(proven, kzg, mutated(proven.solution, "chunk"), solution_range=U64_MAX) == farming.INVALID_CHUNK_WITNESS


def test_a_non_canonical_chunk_is_rejected(proven: Proven, kzg: Kzg) -> None:
    solution = dataclasses.replace(proven.solution, chunk=b"\xff" * 32)
    assert rejection(proven, kzg, solution, solution_range=U64_MAX) == farming.INVALID_CHUNK


def test_the_reward_address_is_left_to_the_block_signature(proven: Proven, kzg: Kzg) -> None:
    # verify_solution does not bind the reward address (the reference checks it through the block seal).
    verify(proven, kzg, mutated(proven.solution, "reward_address"))


def test_another_slot_is_rejected(proven: Proven, kzg: Kzg) -> None:
    assert rejection(proven, kzg, slot=proven.slot + 1) in {farming.INVALID_PROOF_OF_SPACE, farming.OUTSIDE_SOLUTION_RANGE}


def test_piece_checks_reject_history_offset_expiry_and_segment(proven: Proven, kzg: Kzg) -> None:
    assert rejection(proven, kzg, current_history_size=HISTORY_SIZE - 2) == farming.FUTURE_HISTORY_SIZE
    verify(proven, kzg, current_history_size=HISTORY_SIZE - 1)
    offset = proven.solution.piece_offset
    assert rejection(proven, kzg, max_pieces_in_sector=offset) == farming.INVALID_PIECE_OFFSET
    expires_by = PARAMS.min_sector_lifetime + 4 * HISTORY_SIZE
    assert rejection(proven, kzg, current_history_size=expires_by) == farming.SECTOR_EXPIRED
    wrong_segment = proven.expiration_commitment if proven.expiration_commitment != proven.segment_commitment else bytes(48)
    assert rejection(proven, kzg, segment_commitment=wrong_segment) == farming.INVALID_PIECE


def test_piece_checks_need_the_current_history_size(proven: Proven, kzg: Kzg) -> None:
    with pytest.raises(ValueError, match="current_history_size"):
        verify(proven, kzg, current_history_size=None)


def test_rejections_survive_pickling() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(InvalidSolution(farming.INVALID_PIECE, "detail")))
    assert (error.reason, error.detail) == (farming.INVALID_PIECE, "detail")


class SparseTable:
    """The real table, with proofs kept only for every fourth challenge: records keep unencoded chunks."""

    def __init__(self, params: Params) -> None:
        self.table = plotting.new_pos_table(params)

    def generate(self, seed: bytes) -> None:
        self.table.generate(seed)

    def proof_hashes(self, count: int) -> tuple[bytes, bytes]:
        flags, hashes = self.table.proof_hashes(count)
        return bytes(flag if index % 4 == 0 else 0 for index, flag in enumerate(flags)), hashes

    def find_proof(self, index: int) -> bytes | None:
        return self.table.find_proof(index) if index % 4 == 0 else None


def test_an_unencoded_candidate_cannot_win(history: ArchivedHistory, kzg: Kzg) -> None:
    sparse = plot(history, PARAMS, 2, SparseTable(PARAMS))
    bitfields = read_contents_map(sparse.sector, sparse.metadata, PARAMS)
    found = {"encoded": 0, "unencoded": 0}
    for s_bucket in range(PARAMS.num_s_buckets):
        for index, (_, encoded) in enumerate(compute_s_bucket_records(bitfields, s_bucket, PARAMS)):
            candidate = AuditCandidate(index, 0)
            assert locate_candidate(sparse.sector, sparse.metadata, s_bucket, candidate, PARAMS)[1] is encoded
            if not encoded:
                table = SparseTable(PARAMS)
                assert prove_candidate(sparse.sector, sparse.metadata, KEYS, s_bucket, candidate, table, kzg, PARAMS) is None
            found["encoded" if encoded else "unencoded"] += 1
    assert found["unencoded"] > 0
    assert found["encoded"] > 0


def test_proving_a_corrupted_record_raises_before_signing(plotted: PlottedSector, proven: Proven, kzg: Kzg) -> None:
    challenge = derive_slot_challenge(proven.proof_of_time, proven.slot)
    target = compute_audit_target(plotted.sector_id, challenge, PARAMS)
    chunks = read_s_bucket(plotted.sector, plotted.metadata, target.s_bucket, PARAMS)
    candidate = next(
        c
        for c in audit_s_bucket(chunks, target, challenge, U64_MAX)
        if locate_candidate(plotted.sector, plotted.metadata, target.s_bucket, c, PARAMS)[1]
    )
    start, _ = compute_s_bucket_byte_range(plotted.metadata, target.s_bucket, PARAMS)
    sector = bytearray(plotted.sector)
    sector[start + 32 * candidate.chunk_offset + 5] ^= 0x40
    table = plotting.new_pos_table(PARAMS)
    with pytest.raises(InvalidSector):
        prove_candidate(sector, plotted.metadata, KEYS, target.s_bucket, candidate, table, kzg, PARAMS)
    with pytest.raises(InvalidSector, match="outside s-bucket"):
        prove_candidate(plotted.sector, plotted.metadata, KEYS, target.s_bucket, AuditCandidate(10**6, 0), table, kzg, PARAMS)


def test_audit_kernel_backends_agree_on_a_sector_s_bucket(plotted: PlottedSector) -> None:
    challenge, target, chunks = non_empty_s_bucket(plotted)
    results = {
        backend: audit_kernel.audit_chunks(chunks, target.sector_slot_challenge, challenge, U64_MAX // 3, backend=backend)
        for backend in audit_kernel.available_backends()
    }
    assert len(set(map(tuple, results.values()))) == 1


@needs_chia
def test_a_chia_solution_is_412_bytes_and_verifies(history: ArchivedHistory, kzg: Kzg) -> None:
    params = dataclasses.replace(PARAMS, pos_table="chia")
    plotted = plot(history, params, 2, plotting.new_pos_table(params))
    proven = find_solution(plotted, history, kzg, params)
    assert len(proven.solution.to_bytes()) == 412
    arguments = {"slot": proven.slot, "proof_of_time": proven.proof_of_time, "kzg": kzg, "params": params}
    verify_solution(proven.solution, solution_range=2 * proven.distance, pos_table="chia", **arguments)
    broken = mutated(proven.solution, "proof_of_space")
    with pytest.raises(InvalidSolution, match=farming.INVALID_PROOF_OF_SPACE):
        verify_solution(broken, solution_range=U64_MAX, pos_table="chia", **arguments)
