"""Sector identity, piece selection, expiration, sizes and metadata (subspace-runtime parameters, `sectors.rs`,
`SectorId::derive_expiration_history_size`, subspace-farmer-components `sector.rs`)."""

from __future__ import annotations

import dataclasses
import random

import blake3
import pytest

from autonomys.protocol.errors import InvalidSector, SectorChecksumMismatch
from autonomys.protocol.params import MAINNET, MINIMAL, Params
from autonomys.protocol.plotting.sectors import (
    RECORD_METADATA_SIZE,
    RecordMetadata,
    SectorMetadata,
    compute_contents_map_size,
    compute_expiration_check_history_size,
    compute_expiration_check_segment_index,
    compute_public_key_hash,
    compute_recent_history_bounds,
    compute_record_metadata_region_size,
    compute_s_bucket_byte_range,
    compute_s_bucket_offsets,
    compute_s_buckets_region_size,
    compute_sector_id,
    compute_sector_layout,
    compute_sector_metadata_size,
    compute_sector_piece_indexes,
    compute_sector_size,
    derive_evaluation_seed,
    derive_expiration_history_size,
    derive_piece_index,
    is_sector_expired,
    validate_sector_metadata,
)
from autonomys.protocol.types import SectorId

SECTOR_ID = SectorId(blake3.blake3(b"sector").digest())
COMMITMENT = bytes(range(48))


def random_sector_ids(count: int) -> list[SectorId]:
    rng = random.Random(0x5EC7)
    return [SectorId(rng.randbytes(32)) for _ in range(count)]


def sizes_bytes(sizes: list[int]) -> bytes:
    return b"".join(size.to_bytes(2, "little") for size in sizes)


def balanced_metadata(params: Params, pieces_in_sector: int, history_size: int = 7) -> SectorMetadata:
    """Metadata whose sizes sum to pieces * record_num_chunks (every record in half of the s-buckets)."""
    sizes = [pieces_in_sector if s % 2 == 0 else 0 for s in range(params.num_s_buckets)]
    return SectorMetadata(3, pieces_in_sector, sizes_bytes(sizes), history_size)


# ---- sizes ----


def test_mainnet_sector_sizes_match_the_reference() -> None:
    assert compute_sector_size(1000, MAINNET) == 1_056_896_064
    assert compute_contents_map_size(1000, MAINNET) == 8_192_032
    assert compute_s_buckets_region_size(1000, MAINNET) == 1_048_576_000
    assert compute_record_metadata_region_size(1000) == 128_000 == 1000 * RECORD_METADATA_SIZE
    assert compute_sector_metadata_size(MAINNET) == 131_116


def test_layout_regions_are_contiguous() -> None:
    for params, pieces in ((MAINNET, 1000), (MINIMAL, 8), (MINIMAL, 3)):
        layout = compute_sector_layout(pieces, params)
        assert layout.bitfields_end == pieces * params.num_s_buckets // 8
        assert layout.s_buckets_start == layout.bitfields_end + 32
        assert layout.record_metadata_start - layout.s_buckets_start == pieces * params.record_size
        assert layout.checksum_start - layout.record_metadata_start == pieces * RECORD_METADATA_SIZE
        assert layout.size == layout.checksum_start + 32 == compute_sector_size(pieces, params)


# ---- identity ----


def test_sector_id_is_keyed_blake3_of_index_and_history_size() -> None:
    public_key_hash = compute_public_key_hash(b"\x01" * 32)
    assert public_key_hash == blake3.blake3(b"\x01" * 32).digest()
    expected = blake3.blake3((5).to_bytes(2, "little") + (9).to_bytes(8, "little"), key=public_key_hash).digest()
    assert compute_sector_id(public_key_hash, 5, 9) == expected
    assert compute_sector_id(public_key_hash, 5, 10) != expected
    with pytest.raises(OverflowError):
        compute_sector_id(public_key_hash, 65536, 9)
    with pytest.raises(OverflowError):
        compute_sector_id(public_key_hash, 0, 0)


def test_evaluation_seed_is_blake3_of_sector_id_and_offset() -> None:
    assert derive_evaluation_seed(SECTOR_ID, 258) == blake3.blake3(SECTOR_ID + b"\x02\x01").digest()
    assert derive_evaluation_seed(SECTOR_ID, 0) != derive_evaluation_seed(SECTOR_ID, 1)


# ---- piece selection ----


def expected_piece_index(sector_id: bytes, offset: int, history_size: int, params: Params) -> int:
    """`SectorId::derive_piece_index` written out for MAINNET-shaped params, with the mainnet runtime's numbers."""
    key = offset.to_bytes(2, "little") + bytes(30)
    value = int.from_bytes(blake3.blake3(sector_id, key=key).digest(), "little")
    history_pieces = history_size * params.num_pieces
    recent = params.recent_segments * params.num_pieces
    numerator, denominator = params.recent_history_fraction
    if history_pieces > recent * denominator // numerator and offset < 2 * (
        params.max_pieces_in_sector * numerator // denominator
    ):
        if offset % 2 == 1:
            return value % recent + history_pieces - recent
    return value % history_pieces


def test_mainnet_recent_history_bounds() -> None:
    assert compute_recent_history_bounds(MAINNET) == (1280, 12_800, 200)
    # MINIMAL's 8-piece sectors are too small for an interleaved recent piece: the count floors at 1.
    assert compute_recent_history_bounds(MINIMAL) == (80, 800, 1)


@pytest.mark.parametrize("history_size", [1, 2, 49, 50, 51, 1000])
def test_piece_index_matches_the_rule(history_size: int) -> None:
    for sector_id in random_sector_ids(3):
        for offset in (0, 1, 2, 3, 198, 199, 200, 201, 999):
            got = derive_piece_index(sector_id, offset, history_size, MAINNET)
            assert got == expected_piece_index(sector_id, offset, history_size, MAINNET)
            assert got == derive_piece_index(sector_id, offset, history_size, MAINNET)


def test_odd_early_offsets_pick_recent_pieces_once_history_is_large() -> None:
    history_size = 200  # 51 200 pieces > 12 800
    history_pieces = history_size * MAINNET.num_pieces
    recent_start = history_pieces - 5 * MAINNET.num_pieces
    old = 0
    for sector_id in random_sector_ids(20):
        indexes = compute_sector_piece_indexes(sector_id, history_size, 1000, MAINNET)
        for offset, index in enumerate(indexes):
            assert index < history_pieces
            if offset < 200 and offset % 2 == 1:
                assert recent_start <= index
            elif index < recent_start:
                old += 1
    # Everything else draws from all history: almost all of it lies before the recent segments.
    assert old > 0.95 * 20 * 900


def test_small_history_draws_every_offset_from_all_history() -> None:
    # At 50 segments (12 800 pieces) recent history is not yet a tenth of history: the rule is off.
    for sector_id in random_sector_ids(10):
        indexes = compute_sector_piece_indexes(sector_id, 50, 200, MAINNET)
        assert all(index < 50 * 256 for index in indexes)
        assert min(indexes[1:200:2]) < 45 * 256


def test_minimal_params_with_a_larger_sector_use_the_recent_rule() -> None:
    params = dataclasses.replace(MINIMAL, max_pieces_in_sector=100)
    recent, min_history, interleaved = compute_recent_history_bounds(params)
    assert (recent, min_history, interleaved) == (80, 800, 20)
    history_size = 60  # 960 pieces > 800
    for sector_id in random_sector_ids(5):
        for offset in range(1, 20, 2):
            assert derive_piece_index(sector_id, offset, history_size, params) >= 960 - 80


def test_piece_indexes_need_a_valid_piece_count() -> None:
    with pytest.raises(InvalidSector, match="pieces_in_sector=9"):
        compute_sector_piece_indexes(SECTOR_ID, 1, 9, MINIMAL)
    with pytest.raises(InvalidSector, match="pieces_in_sector=0"):
        compute_sector_piece_indexes(SECTOR_ID, 1, 0, MINIMAL)


# ---- expiration ----


def test_expiration_check_segment_is_history_plus_lifetime_minus_one() -> None:
    assert compute_expiration_check_history_size(10, MAINNET) == 14
    assert compute_expiration_check_segment_index(10, MAINNET) == 13
    with pytest.raises(InvalidSector, match="overflows u64"):
        compute_expiration_check_history_size(2**64 - 2, MAINNET)


@pytest.mark.parametrize("history_size", [1, 2, 7, 100, 10_000])
def test_expiration_lies_between_the_check_and_four_times_history(history_size: int) -> None:
    check = history_size + 4
    last = 4 + 4 * history_size
    seen = set()
    for sector_id in random_sector_ids(40):
        expiration = derive_expiration_history_size(sector_id, history_size, COMMITMENT, MAINNET)
        assert check <= expiration < last
        seen.add(expiration)
        value = int.from_bytes(blake3.blake3(sector_id + COMMITMENT).digest(), "little")
        assert expiration == check + value % (last - check)
    assert len(seen) > 1 or last - check == 1


def test_expiration_depends_on_the_segment_commitment() -> None:
    other = bytes(reversed(COMMITMENT))
    expirations = {
        derive_expiration_history_size(sector_id, 1000, commitment, MAINNET)
        for sector_id in random_sector_ids(4)
        for commitment in (COMMITMENT, other)
    }
    assert len(expirations) > 4


def test_is_sector_expired_from_the_expiration_history_size_on() -> None:
    assert not is_sector_expired(20, 19)
    assert is_sector_expired(20, 20)
    assert is_sector_expired(20, 21)


def test_expiration_overflow_is_a_named_error() -> None:
    with pytest.raises(InvalidSector, match="overflows u64"):
        derive_expiration_history_size(SECTOR_ID, 2**62, COMMITMENT, MAINNET)


# ---- metadata ----


@pytest.mark.parametrize(("params", "pieces"), [(MINIMAL, 8), (MAINNET, 1000)], ids=["minimal", "mainnet"])
def test_sector_metadata_round_trips(params: Params, pieces: int) -> None:
    metadata = balanced_metadata(params, pieces)
    encoded = metadata.to_bytes()
    assert len(encoded) == compute_sector_metadata_size(params)
    assert encoded[:4] == b"\x03\x00" + pieces.to_bytes(2, "little")
    assert encoded[-40:-32] == (7).to_bytes(8, "little")
    assert encoded[-32:] == blake3.blake3(encoded[:-32]).digest()
    assert SectorMetadata.from_bytes(encoded, params) == metadata
    validate_sector_metadata(metadata, params)


def test_sector_metadata_rejects_bad_checksum_and_length() -> None:
    encoded = balanced_metadata(MINIMAL, 8).to_bytes()
    for position in (0, 5, len(encoded) - 33, len(encoded) - 1):
        corrupted = bytearray(encoded)
        corrupted[position] ^= 0x01
        with pytest.raises(SectorChecksumMismatch):
            SectorMetadata.from_bytes(bytes(corrupted), MINIMAL)
    with pytest.raises(InvalidSector, match="must be 300 bytes, got 299"):
        SectorMetadata.from_bytes(encoded[:-1], MINIMAL)
    with pytest.raises(InvalidSector):
        SectorMetadata.from_bytes(encoded, MAINNET)


def test_sector_metadata_rejects_zero_history_size() -> None:
    encoding = balanced_metadata(MINIMAL, 8).encode()
    encoding = encoding[:-8] + bytes(8)
    with pytest.raises(InvalidSector, match="history_size must be non-zero"):
        SectorMetadata.from_bytes(encoding + blake3.blake3(encoding).digest(), MINIMAL)


def test_sector_metadata_validation_names_the_problem() -> None:
    with pytest.raises(InvalidSector, match="sum to 0 chunks, expected 512"):
        validate_sector_metadata(SectorMetadata(0, 8, bytes(2 * MINIMAL.num_s_buckets), 1), MINIMAL)
    with pytest.raises(InvalidSector, match="has 3 s-bucket sizes, expected 128"):
        validate_sector_metadata(SectorMetadata(0, 8, bytes(6), 1), MINIMAL)
    with pytest.raises(InvalidSector, match="pieces_in_sector=9"):
        validate_sector_metadata(balanced_metadata(MINIMAL, 9), MINIMAL)
    with pytest.raises(InvalidSector, match="does not fit in u16"):
        SectorMetadata(0, 65536, bytes(4), 1)


def test_s_bucket_offsets_and_byte_ranges() -> None:
    metadata = balanced_metadata(MINIMAL, 8)
    offsets = compute_s_bucket_offsets(metadata)
    assert offsets[:4] == (0, 8, 8, 16)
    assert len(offsets) == MINIMAL.num_s_buckets
    start = compute_contents_map_size(8, MINIMAL)
    assert compute_s_bucket_byte_range(metadata, 0, MINIMAL) == (start, start + 8 * 32)
    assert compute_s_bucket_byte_range(metadata, 1, MINIMAL) == (start + 8 * 32, start + 8 * 32)
    assert compute_s_bucket_byte_range(metadata, 2, MINIMAL) == (start + 8 * 32, start + 16 * 32)
    with pytest.raises(InvalidSector, match="s_bucket=128"):
        compute_s_bucket_byte_range(metadata, 128, MINIMAL)


def test_record_metadata_round_trips() -> None:
    metadata = RecordMetadata(COMMITMENT, bytes(48), blake3.blake3(b"piece").digest())
    encoded = metadata.to_bytes()
    assert len(encoded) == RECORD_METADATA_SIZE == 128
    assert encoded == COMMITMENT + bytes(48) + blake3.blake3(b"piece").digest()
    assert RecordMetadata.from_bytes(encoded) == metadata
    with pytest.raises(InvalidSector, match="must be 128 bytes, got 127"):
        RecordMetadata.from_bytes(encoded[:-1])
    with pytest.raises(InvalidSector, match="must be 48 bytes"):
        RecordMetadata(COMMITMENT[:-1], bytes(48), bytes(32))
