"""Batch piece checks: the verdict of is_piece_valid on every piece, whatever one piece's defect is.

MINIMAL pieces of two archived segments with the insecure development setup.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.archiving.archived_segment import ArchivedSegment, archive_segment, is_piece_valid
from autonomys.protocol.archiving.piece_batch import are_pieces_valid, derive_batch_coefficients
from autonomys.protocol.archiving.segments import INITIAL_LAST_ARCHIVED_BLOCK
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.types import SegmentIndex

PARAMS = MINIMAL
NUM_PIECES = PARAMS.num_pieces
COMMITMENT_AT = PARAMS.record_size
WITNESS_AT = PARAMS.record_size + 48


@pytest.fixture(scope="module")
def kzg() -> Kzg:
    return Kzg.dev_setup(num_g1_powers=PARAMS.record_num_chunks)


@pytest.fixture(scope="module")
def segments(kzg: Kzg) -> list[ArchivedSegment]:
    rng = random.Random(0xBA7C)
    return [
        archive_segment(
            rng.randbytes(PARAMS.recorded_history_segment_size), kzg, PARAMS, SegmentIndex(index), bytes(32),
            INITIAL_LAST_ARCHIVED_BLOCK,
        )
        for index in range(2)
    ]  # fmt: skip


def batch_of(segments: list[ArchivedSegment], picks: list[tuple[int, int]]) -> tuple[list[bytes], list[bytes], list[int]]:
    """(pieces, segment commitments, positions) of (segment, position) picks."""
    pieces = [segments[segment].pieces[position] for segment, position in picks]
    commitments = [bytes(segments[segment].segment_commitment) for segment, _ in picks]
    return pieces, commitments, [position for _, position in picks]


def with_byte(piece: bytes, offset: int, value: int) -> bytes:
    return piece[:offset] + bytes([value]) + piece[offset + 1 :]


def test_a_batch_of_valid_pieces_from_two_segments_passes(kzg: Kzg, segments: list[ArchivedSegment]) -> None:
    picks = [(0, 0), (1, 3), (0, 7), (1, 15), (0, 8)]
    assert are_pieces_valid(kzg, *batch_of(segments, picks), PARAMS)
    assert are_pieces_valid(kzg, [], [], [], PARAMS)


DEFECTS = {
    # A record chunk changed (kept canonical): the record no longer matches its commitment.
    "record": lambda piece, other: with_byte(piece, 40, piece[40] ^ 0x01),
    # Another piece's commitment and witness: a valid pair, for the wrong record.
    "swapped commitment": lambda piece, other: piece[:COMMITMENT_AT] + other[COMMITMENT_AT:],
    # The record's own commitment, a wrong witness.
    "witness": lambda piece, other: piece[:WITNESS_AT] + other[WITNESS_AT:],
    "non-canonical chunk": lambda piece, other: b"\xff" * 32 + piece[32:],
    "commitment not a point": lambda piece, other: piece[:COMMITMENT_AT] + b"\xff" * 48 + piece[WITNESS_AT:],
    "short": lambda piece, other: piece[:-1],
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_one_defective_piece_fails_the_batch(kzg: Kzg, segments: list[ArchivedSegment], defect: str) -> None:
    pieces, commitments, positions = batch_of(segments, [(0, 1), (1, 2), (0, 5), (1, 9)])
    pieces[2] = DEFECTS[defect](pieces[2], pieces[1])
    assert not is_piece_valid(kzg, pieces[2], commitments[2], positions[2], PARAMS)
    assert not are_pieces_valid(kzg, pieces, commitments, positions, PARAMS)


def test_wrong_positions_and_segments_fail_the_batch(kzg: Kzg, segments: list[ArchivedSegment]) -> None:
    pieces, commitments, positions = batch_of(segments, [(0, 1), (1, 2), (0, 5)])
    assert not are_pieces_valid(kzg, pieces, commitments, [1, 3, 5], PARAMS)
    assert not are_pieces_valid(kzg, pieces, [commitments[1], *commitments[1:]], positions, PARAMS)
    assert not are_pieces_valid(kzg, pieces, commitments, [1, 2, NUM_PIECES], PARAMS)
    assert not are_pieces_valid(kzg, pieces, commitments, [1, 2, True], PARAMS)  # type: ignore[list-item]
    assert not are_pieces_valid(kzg, pieces, commitments, positions[:2], PARAMS)
    assert not are_pieces_valid(kzg, pieces, [commitments[0][:47], *commitments[1:]], positions, PARAMS)


def test_two_defects_that_cancel_in_a_plain_sum_still_fail(kzg: Kzg, segments: list[ArchivedSegment]) -> None:
    """+1 in one record's chunk and -1 in another's: a sum would not notice; random coefficients do."""
    pieces, commitments, positions = batch_of(segments, [(0, 0), (0, 2)])
    chunk = 5 * 32 + 31  # last byte of chunk 5 (a source record's chunk is below 2^254, so ±1 stays canonical)
    first, second = pieces[0][chunk], pieces[1][chunk]
    if first == 0xFF or second == 0x00:
        pytest.skip("the chosen bytes would carry")
    pieces = [with_byte(pieces[0], chunk, first + 1), with_byte(pieces[1], chunk, second - 1)]
    assert not are_pieces_valid(kzg, pieces, commitments, positions, PARAMS)


@settings(max_examples=15, deadline=None)
@given(
    picks=st.lists(st.tuples(st.integers(0, 1), st.integers(0, NUM_PIECES - 1)), min_size=1, max_size=5),
    corrupt=st.one_of(st.none(), st.tuples(st.integers(0, 4), st.sampled_from(sorted(DEFECTS)))),
)
def test_the_batch_verdict_is_every_piece_verdict(
    kzg: Kzg, segments: list[ArchivedSegment], picks: list[tuple[int, int]], corrupt: tuple[int, str] | None
) -> None:
    pieces, commitments, positions = batch_of(segments, picks)
    if corrupt is not None:
        target = corrupt[0] % len(pieces)
        other = segments[0].pieces[(positions[target] + 1) % NUM_PIECES]
        pieces[target] = DEFECTS[corrupt[1]](pieces[target], other)
    every = all(is_piece_valid(kzg, *entry, PARAMS) for entry in zip(pieces, commitments, positions, strict=True))
    assert are_pieces_valid(kzg, pieces, commitments, positions, PARAMS) == every


def test_coefficients_bind_every_input(segments: list[ArchivedSegment]) -> None:
    pieces, commitments, positions = batch_of(segments, [(0, 1), (1, 2)])
    base = derive_batch_coefficients(pieces, commitments, positions)
    assert len(base) == 2 and all(0 < value < 2**128 for value in base)
    assert derive_batch_coefficients(pieces, commitments, positions) == base
    assert derive_batch_coefficients([with_byte(pieces[0], 9, pieces[0][9] ^ 1), pieces[1]], commitments, positions) != base
    assert derive_batch_coefficients(pieces, commitments[::-1], positions) != base
    assert derive_batch_coefficients(pieces, commitments, [1, 3]) != base
