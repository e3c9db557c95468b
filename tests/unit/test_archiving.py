"""Archived segments (subspace-erasure-coding, `Archiver::produce_archived_segment`, `is_piece_valid`,
`piece_reconstructor.rs`): pieces, commitments, witnesses, piece validity and reconstruction.

MINIMAL sizes (8 source records of 64 chunks, 16 pieces) with the insecure development setup;
one slow test archives a MAINNET segment with the ceremony setup.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.kernels import fr
from autonomys.protocol.archiving.archived_segment import (
    ArchivedSegment,
    archive_produced_segment,
    archive_segment,
    blake3_254_hash_to_scalar,
    compute_parity_records,
    compute_record_commitment,
    compute_source_record_commitment,
    compute_source_records,
    extend_commitments,
    interleave_records,
    is_piece_valid,
    split_piece,
)
from autonomys.protocol.archiving.block_archiving import (
    add_block,
    initial_archiver_state,
    next_state_after_segment,
    produce_segment,
)
from autonomys.protocol.archiving.block_reconstruction import (
    add_segment,
    initial_reconstructor_state,
    reconstruct_blocks,
)
from autonomys.protocol.archiving.piece_reconstruction import (
    compute_source_commitments,
    reconstruct_piece,
    reconstruct_segment,
    reconstruct_segment_bytes,
    recover_records,
    recover_source_commitments,
)
from autonomys.protocol.archiving.segment_encoding import (
    encode_raw_record_as_scalars,
    encode_segment,
    split_segment_into_raw_records,
)
from autonomys.protocol.archiving.segments import (
    INITIAL_LAST_ARCHIVED_BLOCK,
    LastArchivedBlock,
    validate_first_segment_header,
    validate_segment_header_chain,
)
from autonomys.protocol.constants import BLS12_381_SCALAR_MODULUS as R
from autonomys.protocol.errors import DecodeError, InvalidPiece, ReconstructionError
from autonomys.protocol.kzg import InvalidCommitmentInput, Kzg
from autonomys.protocol.params import MAINNET, MINIMAL

SETUP = Path(__file__).resolve().parents[3] / "shared" / "kzg" / "eth-public-parameters.bin"
needs_setup = pytest.mark.skipif(not SETUP.exists(), reason="ceremony file not beside the checkout")
PARAMS = MINIMAL
SEGMENT_SIZE = PARAMS.recorded_history_segment_size
NUM_PIECES = PARAMS.num_pieces
ZERO_HASH = bytes(32)


@pytest.fixture(scope="module")
def kzg() -> Kzg:
    return Kzg.dev_setup(num_g1_powers=PARAMS.record_num_chunks)


@pytest.fixture(scope="module")
def segment() -> bytes:
    return random.Random(0xA5C1).randbytes(SEGMENT_SIZE)


@pytest.fixture(scope="module")
def archived(kzg: Kzg, segment: bytes) -> ArchivedSegment:
    return archive_segment(segment, kzg, PARAMS, 0, ZERO_HASH, INITIAL_LAST_ARCHIVED_BLOCK)


def random_records(rng: random.Random, count: int) -> list[bytes]:
    """Records of full-width canonical scalars (as parity records are)."""
    return [fr.scalars_to_bytes([rng.randrange(R) for _ in range(PARAMS.record_num_chunks)]) for _ in range(count)]


def flip_bit(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(flipped)


def keep_only(pieces: tuple[bytes, ...], positions: list[int] | range) -> list[bytes | None]:
    kept = set(positions)
    return [piece if position in kept else None for position, piece in enumerate(pieces)]


# ---- hashing ----


def test_blake3_254_clears_the_two_top_bits() -> None:
    # blake3("") = af1349b9…; 0xaf & 0x3f = 0x2f.
    expected = "2f1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    assert blake3_254_hash_to_scalar(b"").hex() == expected
    for data in (b"abc", bytes(48), b"\xff" * 1000):
        digest, scalar = blake3.blake3(data).digest(), blake3_254_hash_to_scalar(data)
        assert scalar[1:] == digest[1:]
        assert scalar[0] == digest[0] & 0x3F
        assert int.from_bytes(scalar, "big") < 2**254 < R


# ---- records and commitments ----


def test_source_records_are_the_raw_records_as_scalars(segment: bytes) -> None:
    records = compute_source_records(segment, PARAMS)
    raw_records = split_segment_into_raw_records(segment, PARAMS)
    assert records == [encode_raw_record_as_scalars(raw_record, PARAMS) for raw_record in raw_records]
    with pytest.raises(DecodeError, match=f"segment must be {SEGMENT_SIZE} bytes"):
        compute_source_records(segment[:-1], PARAMS)


def test_parity_records_extend_every_chunk_column(segment: bytes) -> None:
    source = compute_source_records(segment, PARAMS)
    parity = compute_parity_records(source, PARAMS)
    size = fr.SCALAR_SIZE
    for chunk in (0, 1, 37, PARAMS.record_num_chunks - 1):
        column = b"".join(record[chunk * size : (chunk + 1) * size] for record in source)
        assert b"".join(record[chunk * size : (chunk + 1) * size] for record in parity) == fr.extend(column)


@pytest.mark.parametrize("count", [1, 2, 4, 8])
def test_extend_commitments_equals_commitments_of_the_parity_records(kzg: Kzg, count: int) -> None:
    """Linearity: extending commitments over G1 commits to the extended records."""
    source = random_records(random.Random(count), count)
    parity = fr.extend_records(b"".join(source), count)
    size = PARAMS.record_size
    parity_records = [parity[offset : offset + size] for offset in range(0, len(parity), size)]
    extended = extend_commitments([compute_record_commitment(kzg, record) for record in source])
    assert extended == [compute_record_commitment(kzg, record) for record in interleave_records(source, parity_records)]


def test_extend_commitments_rejects_bad_input(kzg: Kzg) -> None:
    commitment = compute_record_commitment(kzg, random_records(random.Random(3), 1)[0])
    with pytest.raises(InvalidCommitmentInput, match="power-of-two number of commitments, got 3"):
        extend_commitments([commitment] * 3)
    with pytest.raises(InvalidCommitmentInput, match="power-of-two number of commitments, got 0"):
        extend_commitments([])
    with pytest.raises(InvalidCommitmentInput, match="must be 48 bytes, got 47"):
        extend_commitments([commitment[:47], commitment])
    with pytest.raises(InvalidCommitmentInput, match="not a valid compressed G1 point"):
        extend_commitments([commitment, flip_bit(commitment, 47 * 8)])


# ---- the archived segment ----


def test_archived_segment_layout(kzg: Kzg, segment: bytes, archived: ArchivedSegment) -> None:
    source = compute_source_records(segment, PARAMS)
    assert len(archived.pieces) == len(archived.record_commitments) == NUM_PIECES
    for position, piece in enumerate(archived.pieces):
        record, commitment, witness = split_piece(piece, PARAMS)
        assert len(piece) == PARAMS.piece_size
        assert piece == record + commitment + witness
        assert commitment == archived.record_commitments[position]
        # Parity commitments come from extend_commitments, yet equal the parity data's own commitments.
        assert commitment == compute_record_commitment(kzg, record)
        if position % 2 == 0:
            assert record == source[position // 2]
    header = archived.segment_header
    assert (header.segment_index, header.segment_commitment) == (0, archived.segment_commitment)
    assert (header.prev_segment_header_hash, header.last_archived_block) == (ZERO_HASH, INITIAL_LAST_ARCHIVED_BLOCK)


def test_precomputed_source_commitments_give_the_same_segment(
    kzg: Kzg, segment: bytes, archived: ArchivedSegment
) -> None:
    """What an actor does after fanning compute_record_commitment out to workers."""
    commitments = [compute_record_commitment(kzg, record) for record in compute_source_records(segment, PARAMS)]
    raw_records = split_segment_into_raw_records(segment, PARAMS)
    assert [compute_source_record_commitment(kzg, raw_record, PARAMS) for raw_record in raw_records] == commitments
    arguments = (segment, kzg, PARAMS, 0, ZERO_HASH, INITIAL_LAST_ARCHIVED_BLOCK)
    assert archive_segment(*arguments, source_commitments=commitments) == archived
    with pytest.raises(InvalidCommitmentInput, match="expected 8 source commitments, got 7"):
        archive_segment(*arguments, source_commitments=commitments[:7])


def test_every_piece_is_valid_at_its_own_position_only(kzg: Kzg, archived: ArchivedSegment) -> None:
    commitment = archived.segment_commitment
    for position, piece in enumerate(archived.pieces):
        assert is_piece_valid(kzg, piece, commitment, position, PARAMS)
        assert not is_piece_valid(kzg, piece, commitment, (position + 1) % NUM_PIECES, PARAMS)
        assert not is_piece_valid(kzg, piece, commitment, (position + 2) % NUM_PIECES, PARAMS)


def test_pieces_do_not_verify_against_another_segment(kzg: Kzg, segment: bytes, archived: ArchivedSegment) -> None:
    other = archive_segment(segment[::-1], kzg, PARAMS, 1, ZERO_HASH, LastArchivedBlock(3, None))
    assert not is_piece_valid(kzg, archived.pieces[4], other.segment_commitment, 4, PARAMS)
    assert not is_piece_valid(kzg, other.pieces[4], archived.segment_commitment, 4, PARAMS)


def sampled_bits(rng: random.Random, start: int, end: int, count: int) -> list[int]:
    """The first and last bit of the part, every bit of its first byte (flags of a point), and random others."""
    first_byte = [start * 8 + bit for bit in range(8)]
    return [*first_byte, end * 8 - 1, *(rng.randrange(start * 8, end * 8) for _ in range(count))]


@pytest.mark.parametrize("position", [0, 5, NUM_PIECES - 1])
def test_a_flipped_bit_anywhere_is_caught(kzg: Kzg, archived: ArchivedSegment, position: int) -> None:
    rng = random.Random(position)
    piece, commitment = archived.pieces[position], archived.segment_commitment
    record_end = PARAMS.record_size
    parts = {
        "record": sampled_bits(rng, 0, record_end, 24),
        "commitment": sampled_bits(rng, record_end, record_end + 48, 16),
        "witness": sampled_bits(rng, record_end + 48, record_end + 96, 16),
    }
    for part, bits in parts.items():
        caught = [is_piece_valid(kzg, flip_bit(piece, bit), commitment, position, PARAMS) for bit in bits]
        assert not any(caught), f"a flipped {part} bit went unnoticed"


@pytest.mark.parametrize("bad", [R, R + 1, 2**256 - 1], ids=["r", "r+1", "2^256-1"])
def test_non_canonical_chunks_are_rejected_without_exceptions(kzg: Kzg, archived: ArchivedSegment, bad: int) -> None:
    for position, chunk in [(2, 0), (3, 17), (NUM_PIECES - 1, PARAMS.record_num_chunks - 1)]:
        piece = bytearray(archived.pieces[position])
        piece[chunk * 32 : (chunk + 1) * 32] = bad.to_bytes(32, "big")
        assert not is_piece_valid(kzg, bytes(piece), archived.segment_commitment, position, PARAMS)


def test_malformed_arguments_are_invalid_without_exceptions(kzg: Kzg, archived: ArchivedSegment) -> None:
    piece, commitment = archived.pieces[1], archived.segment_commitment
    for bad_piece in (piece[:-1], piece + b"\x00", b"", piece[: PARAMS.record_size], None, "piece", 7):
        assert not is_piece_valid(kzg, bad_piece, commitment, 1, PARAMS)  # type: ignore[arg-type]
    for bad_commitment in (commitment[:-1], commitment + b"\x00", b"", None, bytes(48), b"\xff" * 48):
        assert not is_piece_valid(kzg, piece, bad_commitment, 1, PARAMS)  # type: ignore[arg-type]
    for bad_position in (-1, NUM_PIECES, 2**64, True, "1", 1.0, None):
        assert not is_piece_valid(kzg, piece, commitment, bad_position, PARAMS)  # type: ignore[arg-type]
    assert is_piece_valid(kzg, bytearray(piece), bytearray(commitment), 1, PARAMS)
    assert is_piece_valid(kzg, memoryview(piece), commitment, 1, PARAMS)


# ---- reconstruction ----


@pytest.mark.parametrize(
    "kept",
    [range(0, NUM_PIECES, 2), range(1, NUM_PIECES, 2), range(NUM_PIECES // 2), [0, 1, 2, 3, 7, 9, 12, 13], range(16)],
    ids=["source", "parity", "first-half", "mix", "all"],
)
def test_any_half_of_the_pieces_rebuilds_the_segment(
    kzg: Kzg, segment: bytes, archived: ArchivedSegment, kept: list[int] | range
) -> None:
    pieces = keep_only(archived.pieces, kept)
    assert reconstruct_segment(kzg, pieces, PARAMS) == list(archived.pieces)
    assert reconstruct_segment_bytes(pieces, PARAMS) == segment
    for position in (1, 6, NUM_PIECES - 1):
        assert reconstruct_piece(kzg, pieces, position, PARAMS) == archived.pieces[position]


def test_reconstruction_rejects_what_cannot_be_rebuilt(kzg: Kzg, archived: ArchivedSegment) -> None:
    seven = keep_only(archived.pieces, [0, 1, 2, 3, 4, 5, 15])
    with pytest.raises(ReconstructionError, match="at least 8 of 16 pieces, got 7"):
        reconstruct_segment(kzg, seven, PARAMS)
    with pytest.raises(ReconstructionError, match="at least 8 of 16 pieces, got 7"):
        reconstruct_segment_bytes(seven, PARAMS)
    with pytest.raises(ReconstructionError, match="a segment has 16 pieces, got 15 slots"):
        reconstruct_segment(kzg, list(archived.pieces[:15]), PARAMS)
    short = [archived.pieces[0][:-1], *archived.pieces[1:]]
    with pytest.raises(InvalidPiece, match=f"piece 0 must be {PARAMS.piece_size} bytes, got {PARAMS.piece_size - 1}"):
        reconstruct_segment(kzg, short, PARAMS)
    short_parity = [*archived.pieces[:15], archived.pieces[15] + b"\x00"]
    with pytest.raises(InvalidPiece, match="piece 15 must be"):
        reconstruct_segment_bytes(short_parity, PARAMS)
    with pytest.raises(InvalidPiece, match=r"position 16 is not in 0..15"):
        reconstruct_piece(kzg, list(archived.pieces), NUM_PIECES, PARAMS)


def test_inconsistent_pieces_do_not_reconstruct(kzg: Kzg, archived: ArchivedSegment) -> None:
    corrupted = keep_only(archived.pieces, range(9))
    record = bytearray(corrupted[3] or b"")
    record[40] ^= 1  # one chunk off the codeword: 9 present pieces over-determine 8
    corrupted[3] = bytes(record)
    with pytest.raises(ReconstructionError, match="not one erasure-coded segment"):
        reconstruct_segment(kzg, corrupted, PARAMS)
    non_canonical = keep_only(archived.pieces, range(1, 16, 2))
    non_canonical[1] = b"\xff" * 32 + archived.pieces[1][32:]
    with pytest.raises(ReconstructionError, match=r"records\[64\] \(record 1, chunk 0\) = 0xff"):
        reconstruct_segment_bytes(non_canonical, PARAMS)


@settings(max_examples=12, deadline=None)
@given(kept=st.sets(st.integers(0, NUM_PIECES - 1), min_size=NUM_PIECES // 2, max_size=NUM_PIECES))
def test_recovered_commitments_are_the_recommitted_ones(kzg: Kzg, archived: ArchivedSegment, kept: set[int]) -> None:
    """Interpolating the missing source commitments over G1 gives the reference's bytes (it commits again)."""
    pieces = keep_only(archived.pieces, sorted(kept))
    recommitted = compute_source_commitments(kzg, pieces, recover_records(pieces, PARAMS), PARAMS)
    assert recover_source_commitments(pieces, PARAMS) == recommitted == list(archived.record_commitments[0::2])


def test_a_piece_whose_commitment_is_no_point_does_not_reconstruct(archived: ArchivedSegment) -> None:
    pieces = keep_only(archived.pieces, range(1, NUM_PIECES, 2))
    commitment_offset = PARAMS.record_size
    bad = bytearray(pieces[3] or b"")
    bad[commitment_offset : commitment_offset + 48] = b"\xff" * 48
    pieces[3] = bytes(bad)
    with pytest.raises(ReconstructionError, match="the commitment of piece 3 is not a valid compressed G1 point"):
        recover_source_commitments(pieces, PARAMS)


# ---- blocks to pieces and back ----


def archive_blocks(kzg: Kzg, blocks: list[bytes]) -> tuple[list[ArchivedSegment], list[bytes]]:
    """What the archiver actor does: each block in, every segment it fills archived and its header chained."""
    state = initial_archiver_state()
    archived_segments, segments = [], []
    for block in blocks:
        state = add_block(state, block)
        while (produced := produce_segment(state, PARAMS)) is not None:
            archived = archive_produced_segment(kzg, produced, PARAMS)
            state = next_state_after_segment(produced, archived.segment_header)
            archived_segments.append(archived)
            segments.append(encode_segment(produced.items, PARAMS))
    return archived_segments, segments


@settings(max_examples=10, deadline=None)
@given(
    block_sizes=st.lists(st.integers(0, SEGMENT_SIZE * 3 // 2), min_size=0, max_size=4),
    seed=st.integers(0, 2**32 - 1),
)
def test_blocks_survive_archiving_and_losing_half_the_pieces(kzg: Kzg, block_sizes: list[int], seed: int) -> None:
    rng = random.Random(seed)
    # The last block fills at least one segment.
    blocks = [rng.randbytes(size) for size in [*block_sizes, SEGMENT_SIZE]]
    archived_segments, segments = archive_blocks(kzg, blocks)
    headers = [archived.segment_header for archived in archived_segments]
    validate_first_segment_header(headers[0])
    for parent, header in itertools.pairwise(headers):
        validate_segment_header_chain(header, parent)
    rebuilt_segments = []
    for archived, segment in zip(archived_segments, segments, strict=True):
        pieces = keep_only(archived.pieces, rng.sample(range(NUM_PIECES), NUM_PIECES // 2))
        assert all(
            is_piece_valid(kzg, piece, archived.segment_commitment, i, PARAMS)
            for i, piece in enumerate(pieces)
            if piece
        )
        assert reconstruct_segment(kzg, pieces, PARAMS) == list(archived.pieces)
        rebuilt_segments.append(reconstruct_segment_bytes(pieces, PARAMS))
        assert rebuilt_segments[-1] == segment
    decoded = reconstruct_blocks(rebuilt_segments, PARAMS)
    assert list(decoded) == blocks[: len(decoded)]
    # Every block before the last one the archiver reached is whole and decoded.
    assert len(decoded) >= headers[-1].last_archived_block.number


# ---- MAINNET sizes with the ceremony setup ----


@pytest.fixture(scope="module")
def ceremony_kzg() -> Kzg:
    return Kzg.from_file(str(SETUP))


@pytest.mark.slow
@needs_setup
def test_a_mainnet_segment_archives_verifies_and_decodes(ceremony_kzg: Kzg) -> None:
    """One real 128 MiB segment (about 20 s): a random 2-record block, then a zero-filled block.

    Records 0-2 hold data and every parity record is dense; the zero records commit in 0.05 s
    instead of 0.6 s, which keeps this test short (a fully random segment takes about 85 s here).
    """
    params, rng = MAINNET, random.Random(0x3A1)
    blocks = [rng.randbytes(2 * params.raw_record_size), memoryview(bytes(params.recorded_history_segment_size))]
    state = add_block(add_block(initial_archiver_state(), blocks[0]), blocks[1])
    produced = produce_segment(state, params)
    assert produced is not None
    archived = archive_produced_segment(ceremony_kzg, produced, params)
    next_state_after_segment(produced, archived.segment_header)
    commitment = archived.segment_commitment
    for position in (0, 100, 1, 255):  # data source, zero source, two parity pieces
        assert is_piece_valid(ceremony_kzg, archived.pieces[position], commitment, position, params)
    assert not is_piece_valid(ceremony_kzg, archived.pieces[1], commitment, 3, params)
    assert not is_piece_valid(ceremony_kzg, flip_bit(archived.pieces[255], 12_345), commitment, 255, params)
    parity_only = keep_only(archived.pieces, range(1, params.num_pieces, 2))
    segment = reconstruct_segment_bytes(parity_only, params)
    assert segment == encode_segment(produced.items, params)
    _, contents = add_segment(initial_reconstructor_state(), segment, params)
    assert contents.blocks == ((0, blocks[0]),)
