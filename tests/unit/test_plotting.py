"""Plotting and reading sectors (`plotting.rs::record_encoding`, `write_sector`, `reading.rs`): encoding,
the fill rule, layout, extraction, corruption.

Sectors are plotted from a real archived MINIMAL segment with the shim table; the chia table runs the
same round trip on two records once kernels.pos has it. A test double table forces few proofs.
"""

from __future__ import annotations

import dataclasses
import random

import blake3
import pytest

from autonomys.kernels import fr
from autonomys.protocol.archiving.archived_segment import ArchivedSegment, archive_segment, split_piece
from autonomys.protocol.archiving.segments import INITIAL_LAST_ARCHIVED_BLOCK
from autonomys.protocol.errors import InvalidPiece, InvalidSector, SectorChecksumMismatch
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import MINIMAL, Params
from autonomys.protocol.plotting import encoding as plotting
from autonomys.protocol.plotting import reading
from autonomys.protocol.plotting.sectors import (
    RECORD_METADATA_SIZE,
    SectorMetadata,
    compute_sector_layout,
    compute_sector_piece_indexes,
    compute_sector_size,
    derive_evaluation_seed,
)
from helpers.sectors import FakeTable, PlottedSector, minimal_sector_id, needs_chia, plot_pieces

PARAMS = MINIMAL
N = PARAMS.record_num_chunks
S = PARAMS.num_s_buckets
CHUNK = 32


@pytest.fixture(scope="module")
def archived() -> ArchivedSegment:
    kzg = Kzg.dev_setup(num_g1_powers=N)
    segment = random.Random(0x5EC7).randbytes(PARAMS.recorded_history_segment_size)
    return archive_segment(segment, kzg, PARAMS, 0, bytes(32), INITIAL_LAST_ARCHIVED_BLOCK)


@pytest.fixture(scope="module")
def plotted(archived: ArchivedSegment) -> PlottedSector:
    """A full MINIMAL sector (8 records) of the pieces verifiable selection picks from the first segment."""
    sector_id = minimal_sector_id()
    indexes = compute_sector_piece_indexes(sector_id, 1, PARAMS.max_pieces_in_sector, PARAMS)
    pieces = [archived.pieces[index] for index in indexes]
    return plot_pieces(pieces, sector_id, plotting.new_pos_table(PARAMS), PARAMS)


def chunk(data: bytes, index: int) -> bytes:
    return data[index * CHUNK : (index + 1) * CHUNK]


def extended_chunks(record: bytes) -> list[bytes]:
    parity = fr.extend(record)
    return [chunk(record if s % 2 == 0 else parity, s // 2) for s in range(S)]


def xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def bit(bits: bytes, s_bucket: int) -> bool:
    return bits[s_bucket // 8] >> (s_bucket % 8) & 1 == 1


def corrupt(sector: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(sector)
    changed[position] ^= mask
    return bytes(changed)


# ---- round trips ----


def test_every_piece_of_a_minimal_sector_comes_back(plotted: PlottedSector) -> None:
    table = plotting.new_pos_table(PARAMS)
    assert len(plotted.sector) == compute_sector_size(PARAMS.max_pieces_in_sector, PARAMS)
    reading.validate_sector_checksum(plotted.sector)
    for offset, piece in enumerate(plotted.pieces):
        assert (
            reading.extract_piece(plotted.sector, plotted.metadata, plotted.sector_id, offset, table, PARAMS) == piece
        )


def test_sector_layout_matches_the_reference(plotted: PlottedSector) -> None:
    """Contents map + blake3, s-buckets by (s, piece offset), record metadata, blake3 of everything."""
    sector, layout = plotted.sector, compute_sector_layout(len(plotted.pieces), PARAMS)
    bitfields = b"".join(record.encoded_chunks_used for record in plotted.encoded)
    assert sector[: layout.bitfields_end] == bitfields
    assert sector[layout.bitfields_end : layout.s_buckets_start] == blake3.blake3(bitfields).digest()
    presences = [reading.compute_record_presence(record.encoded_chunks_used, PARAMS) for record in plotted.encoded]
    cursors = [0] * len(presences)
    expected, sizes = [], []
    for s_bucket in range(S):
        present = [offset for offset, presence in enumerate(presences) if bit(presence, s_bucket)]
        for offset in present:
            expected.append(chunk(plotted.encoded[offset].chunks, cursors[offset]))
            cursors[offset] += 1
        sizes.append(len(present))
    assert sector[layout.s_buckets_start : layout.record_metadata_start] == b"".join(expected)
    assert plotted.metadata.s_bucket_sizes == b"".join(size.to_bytes(2, "little") for size in sizes)
    for offset, piece in enumerate(plotted.pieces):
        start = layout.record_metadata_start + offset * RECORD_METADATA_SIZE
        _, commitment, witness = split_piece(piece, PARAMS)
        assert sector[start : start + RECORD_METADATA_SIZE] == commitment + witness + blake3.blake3(piece).digest()
    assert sector[layout.checksum_start :] == blake3.blake3(sector[: layout.checksum_start]).digest()
    assert plotted.metadata.pieces_in_sector == 8
    assert plotted.metadata.history_size == 1
    assert SectorMetadata.from_bytes(plotted.metadata.to_bytes(), PARAMS) == plotted.metadata


def test_a_sector_may_hold_fewer_pieces_than_the_maximum(archived: ArchivedSegment) -> None:
    sector_id = minimal_sector_id(sector_index=4)
    pieces = list(archived.pieces[5:8])
    plotted = plot_pieces(pieces, sector_id, plotting.new_pos_table(PARAMS), PARAMS)
    assert len(plotted.sector) == compute_sector_size(3, PARAMS)
    table = plotting.new_pos_table(PARAMS)
    for offset, piece in enumerate(pieces):
        assert reading.extract_piece(plotted.sector, plotted.metadata, sector_id, offset, table, PARAMS) == piece
        assert (
            reading.read_record_chunks(plotted.sector, plotted.metadata, offset, PARAMS)
            == plotted.encoded[offset].chunks
        )


def test_encoding_masks_the_first_chunks_that_have_proofs(archived: ArchivedSegment) -> None:
    """Shim table: a third of the challenges lack a proof; the first n with one are encoded, in s order."""
    record, _, _ = split_piece(archived.pieces[0], PARAMS)
    table = plotting.new_pos_table(PARAMS)
    table.generate(derive_evaluation_seed(minimal_sector_id(), 0))
    encoded = plotting.encode_record(record, table, PARAMS)
    flags, hashes = table.proof_hashes(S)
    with_proof = [s for s in range(S) if flags[s]]
    assert len(with_proof) >= N  # the shim table has proofs for about 2/3 of 128 challenges
    chosen = with_proof[:N]
    assert encoded.num_encoded == N
    assert [s for s in range(S) if bit(encoded.encoded_chunks_used, s)] == chosen
    extended = extended_chunks(record)
    assert encoded.chunks == b"".join(xor(extended[s], chunk(hashes, s)) for s in chosen)


@pytest.mark.parametrize("table_kind", ["shim", pytest.param("chia", marks=needs_chia)])
def test_round_trip_with_each_table_kind(archived: ArchivedSegment, table_kind: str) -> None:
    """The chia table (K=20) takes about a second per build, and each record builds one to plot and one to read."""
    params = dataclasses.replace(PARAMS, pos_table=table_kind, pos_k=20)
    table = plotting.new_pos_table(params)
    sector_id = minimal_sector_id(sector_index=9)
    pieces = [archived.pieces[0], archived.pieces[3]]
    plotted = plot_pieces(pieces, sector_id, table, params)
    for offset, piece in enumerate(pieces):
        assert reading.extract_piece(plotted.sector, plotted.metadata, sector_id, offset, table, params) == piece


# ---- the fill rule (test double table) ----


def few_proofs_table(record: bytes, proof_s_buckets: list[int], zero_s_buckets: tuple[int, ...] = ()) -> FakeTable:
    """Proofs only at `proof_s_buckets`; at `zero_s_buckets` the proof hash equals the chunk (masks it to zero)."""
    rng = random.Random(len(proof_s_buckets))
    flags = bytearray(S)
    hashes = bytearray(rng.randbytes(CHUNK * S))
    extended = extended_chunks(record)
    for s_bucket in proof_s_buckets:
        flags[s_bucket] = 1
    for s_bucket in zero_s_buckets:
        hashes[s_bucket * CHUNK : (s_bucket + 1) * CHUNK] = extended[s_bucket]
    return FakeTable(bytes(flags), bytes(hashes))


def test_too_few_proofs_fill_with_unencoded_chunks(archived: ArchivedSegment) -> None:
    record, _, _ = split_piece(archived.pieces[2], PARAMS)
    proofs = list(range(3, S, 5))  # 25 s-buckets with a proof: 39 unencoded chunks fill the record up
    table = few_proofs_table(record, proofs)
    encoded = plotting.encode_record(record, table, PARAMS)
    assert encoded.num_encoded == len(proofs)
    free = [s for s in range(S) if s not in proofs][: N - len(proofs)]
    present = sorted(proofs + free)
    extended = extended_chunks(record)
    assert encoded.chunks == b"".join(
        xor(extended[s], chunk(table.hashes, s)) if s in proofs else extended[s] for s in present
    )
    presence = reading.compute_record_presence(encoded.encoded_chunks_used, PARAMS)
    assert [s for s in range(S) if bit(presence, s)] == present
    assert [s for s in range(S) if reading.is_chunk_in_s_bucket(s, encoded.encoded_chunks_used, PARAMS)] == present
    decoded = reading.decode_record(encoded, table, PARAMS)
    assert decoded == record


def test_a_chunk_masked_to_zero_counts_as_no_proof(archived: ArchivedSegment) -> None:
    record, _, _ = split_piece(archived.pieces[4], PARAMS)
    proofs = list(range(S))  # every challenge has a proof ...
    table = few_proofs_table(record, proofs, zero_s_buckets=(0, 7))  # ... but two mask their chunk to zero
    encoded = plotting.encode_record(record, table, PARAMS)
    encoded_s = [s for s in range(S) if bit(encoded.encoded_chunks_used, s)]
    assert encoded_s == [s for s in range(S) if s not in (0, 7)][:N]
    assert reading.decode_record(encoded, table, PARAMS) == record


def test_a_record_without_any_proof_is_stored_unencoded(archived: ArchivedSegment) -> None:
    record, _, _ = split_piece(archived.pieces[6], PARAMS)
    table = few_proofs_table(record, [])
    encoded = plotting.encode_record(record, table, PARAMS)
    assert encoded.num_encoded == 0
    assert encoded.chunks == b"".join(extended_chunks(record)[:N])
    assert reading.decode_record(encoded, table, PARAMS) == record


def test_sector_with_few_proof_records_round_trips(archived: ArchivedSegment) -> None:
    """Records with 0, some and all proofs side by side: the s-bucket sizes differ, extraction still works."""
    pieces = [archived.pieces[index] for index in (0, 2, 4)]
    records = [split_piece(piece, PARAMS)[0] for piece in pieces]
    tables = [few_proofs_table(records[0], []), few_proofs_table(records[1], list(range(0, S, 3))),
              few_proofs_table(records[2], list(range(S)))]  # fmt: skip
    encoded = [plotting.encode_record(record, table, PARAMS) for record, table in zip(records, tables, strict=True)]
    metadata = [plotting.compute_record_metadata(piece, PARAMS) for piece in pieces]
    sector, sector_metadata = plotting.compute_sector(encoded, metadata, 2, 1, PARAMS)
    assert len(set(sector_metadata.s_bucket_sizes[0::2])) > 1
    for offset, (piece, table) in enumerate(zip(pieces, tables, strict=True)):
        assert reading.extract_piece(sector, sector_metadata, minimal_sector_id(), offset, table, PARAMS) == piece
    assert table.seeds[-1] == derive_evaluation_seed(minimal_sector_id(), 2)


def test_s_bucket_records_list_who_is_where(plotted: PlottedSector) -> None:
    bitfields = reading.read_contents_map(plotted.sector, plotted.metadata, PARAMS)
    for s_bucket in (0, 1, 77, S - 1):
        records = reading.compute_s_bucket_records(bitfields, s_bucket, PARAMS)
        stored = reading.read_s_bucket(plotted.sector, plotted.metadata, s_bucket, PARAMS)
        assert len(stored) == CHUNK * len(records)
        for (offset, encoded), stored_chunk in zip(
            records, (chunk(stored, i) for i in range(len(records))), strict=True
        ):
            record = plotted.encoded[offset]
            assert encoded == bit(record.encoded_chunks_used, s_bucket)
            presence = reading.compute_record_presence(record.encoded_chunks_used, PARAMS)
            position = sum(1 for s in range(s_bucket) if bit(presence, s))
            assert stored_chunk == chunk(record.chunks, position)


# ---- bad inputs ----


def test_encode_record_rejects_bad_records() -> None:
    table = FakeTable(bytes(S), bytes(CHUNK * S))
    with pytest.raises(InvalidPiece, match=f"must be {PARAMS.record_size} bytes"):
        plotting.encode_record(bytes(PARAMS.record_size - 1), table, PARAMS)
    with pytest.raises(InvalidPiece, match="not canonical"):
        plotting.encode_record(b"\xff" * PARAMS.record_size, table, PARAMS)


def test_compute_sector_rejects_mismatched_inputs(plotted: PlottedSector) -> None:
    records = list(plotted.encoded)
    metadata = [plotting.compute_record_metadata(piece, PARAMS) for piece in plotted.pieces]
    with pytest.raises(InvalidSector, match="got 7 record metadata entries for 8 records"):
        plotting.compute_sector(records, metadata[:7], 0, 1, PARAMS)
    with pytest.raises(InvalidSector, match="pieces_in_sector=9"):
        plotting.compute_sector([*records, records[0]], [*metadata, metadata[0]], 0, 1, PARAMS)
    with pytest.raises(InvalidSector, match="pieces_in_sector=0"):
        plotting.compute_sector([], [], 0, 1, PARAMS)
    short = plotting.EncodedRecord(records[0].encoded_chunks_used, records[0].chunks[:-1])
    with pytest.raises(InvalidSector, match="encoded record 1"):
        plotting.compute_sector([records[0], short], metadata[:2], 0, 1, PARAMS)
    overfull = plotting.EncodedRecord(b"\xff" * (S // 8), records[0].chunks)
    with pytest.raises(InvalidSector, match="128 encoded chunks, more than 64"):
        plotting.compute_sector([overfull], metadata[:1], 0, 1, PARAMS)
    with pytest.raises(InvalidSector, match="writable bytes"):
        plotting.write_sector(bytearray(10), records, metadata, 0, 1, PARAMS)


def test_reading_rejects_bad_offsets_and_lengths(plotted: PlottedSector) -> None:
    table = plotting.new_pos_table(PARAMS)
    with pytest.raises(InvalidSector, match="piece_offset=8 must be below pieces_in_sector=8"):
        reading.extract_piece(plotted.sector, plotted.metadata, plotted.sector_id, 8, table, PARAMS)
    with pytest.raises(InvalidSector, match="must be 17600 bytes, got 17599"):
        reading.read_record_chunks(plotted.sector[:-1], plotted.metadata, 0, PARAMS)


# ---- corruption: a named error, never wrong bytes ----


def extract_all_or_errors(sector: bytes, metadata: SectorMetadata, plotted: PlottedSector) -> list[str]:
    """Each offset's outcome: "ok" for the right piece, the error class name otherwise; wrong bytes fail the test."""
    table = plotting.new_pos_table(PARAMS)
    outcomes = []
    for offset, piece in enumerate(plotted.pieces):
        try:
            got = reading.extract_piece(sector, metadata, plotted.sector_id, offset, table, PARAMS)
        except InvalidSector as error:
            outcomes.append(type(error).__name__)
            continue
        assert got == piece
        outcomes.append("ok")
    return outcomes


def test_corrupted_s_buckets_never_yield_wrong_pieces(plotted: PlottedSector) -> None:
    layout = compute_sector_layout(8, PARAMS)
    rng = random.Random(7)
    for _ in range(6):
        position = rng.randrange(layout.s_buckets_start, layout.record_metadata_start)
        for mask in (0x01, 0x80):
            sector = corrupt(plotted.sector, position, mask)
            with pytest.raises(SectorChecksumMismatch):
                reading.validate_sector_checksum(sector)
            outcomes = extract_all_or_errors(sector, plotted.metadata, plotted)
            assert outcomes.count("ok") == 7
            assert set(outcomes) - {"ok"} <= {"PieceChecksumMismatch", "InvalidSector"}


def test_corrupted_contents_map_is_caught_by_its_checksum(plotted: PlottedSector) -> None:
    layout = compute_sector_layout(8, PARAMS)
    for position in (0, layout.bitfields_end - 1, layout.bitfields_end + 3):
        sector = corrupt(plotted.sector, position)
        assert extract_all_or_errors(sector, plotted.metadata, plotted) == ["SectorChecksumMismatch"] * 8


def test_contents_map_disagreeing_with_metadata_is_rejected(plotted: PlottedSector) -> None:
    """A re-checksummed contents map whose record moved to other s-buckets: the sizes no longer match."""
    layout = compute_sector_layout(8, PARAMS)
    sector = bytearray(plotted.sector)
    bits = int.from_bytes(sector[:16], "little")
    lowest_set, lowest_clear = bits & -bits, ~bits & (bits + 1)
    sector[:16] = (bits ^ lowest_set ^ lowest_clear).to_bytes(16, "little")
    sector[layout.bitfields_end : layout.s_buckets_start] = blake3.blake3(sector[: layout.bitfields_end]).digest()
    with pytest.raises(InvalidSector, match="disagree with the sector contents map"):
        reading.read_record_chunks(bytes(sector), plotted.metadata, 3, PARAMS)
    sector[:16] = b"\xff" * 16
    sector[layout.bitfields_end : layout.s_buckets_start] = blake3.blake3(sector[: layout.bitfields_end]).digest()
    with pytest.raises(InvalidSector, match="record 0 has 128 encoded chunks"):
        reading.read_record_chunks(bytes(sector), plotted.metadata, 3, PARAMS)


def test_corrupted_record_metadata_fails_the_piece_checksum(plotted: PlottedSector) -> None:
    layout = compute_sector_layout(8, PARAMS)
    for field_offset in (0, 48, 96, 127):  # commitment, witness, piece checksum
        sector = corrupt(plotted.sector, layout.record_metadata_start + 2 * RECORD_METADATA_SIZE + field_offset)
        outcomes = extract_all_or_errors(sector, plotted.metadata, plotted)
        assert outcomes == ["ok", "ok", "PieceChecksumMismatch", "ok", "ok", "ok", "ok", "ok"]


def test_inconsistent_sector_metadata_is_rejected(plotted: PlottedSector) -> None:
    sizes = bytearray(plotted.metadata.s_bucket_sizes)
    sizes[0] += 1
    sizes[2] -= 1  # same total, wrong split
    moved = dataclasses.replace(plotted.metadata, s_bucket_sizes=bytes(sizes))
    with pytest.raises(InvalidSector, match="disagree"):
        reading.read_record_chunks(plotted.sector, moved, 0, PARAMS)
    sizes[2] += 1
    with pytest.raises(InvalidSector, match="sum to 513 chunks"):
        reading.read_record_chunks(
            plotted.sector, dataclasses.replace(plotted.metadata, s_bucket_sizes=bytes(sizes)), 0, PARAMS
        )


def test_wrong_sector_id_or_table_is_a_named_error(plotted: PlottedSector) -> None:
    table = plotting.new_pos_table(PARAMS)
    wrong_id = minimal_sector_id(sector_index=1)
    with pytest.raises(InvalidSector):
        reading.extract_piece(plotted.sector, plotted.metadata, wrong_id, 0, table, PARAMS)
    no_proofs = FakeTable(bytes(S), bytes(CHUNK * S))
    with pytest.raises(InvalidSector, match="encoded but proof_flags says the table has no proof"):
        reading.extract_piece(plotted.sector, plotted.metadata, plotted.sector_id, 0, no_proofs, PARAMS)


def test_record_metadata_reads_back(plotted: PlottedSector) -> None:
    for offset, piece in enumerate(plotted.pieces):
        metadata = reading.read_record_metadata(plotted.sector, plotted.metadata, offset, PARAMS)
        assert metadata == plotting.compute_record_metadata(piece, PARAMS)
        assert metadata.piece_checksum == blake3.blake3(piece).digest()


def test_params_mismatch_is_rejected(plotted: PlottedSector) -> None:
    other: Params = dataclasses.replace(PARAMS, record_num_chunks=2 * N)
    with pytest.raises(InvalidSector):
        reading.read_record_chunks(plotted.sector, plotted.metadata, 0, other)
