"""Proving's reads and overlap: Farm.read_chunks against the mmap gather, the contents-map checks, FarmerCore.prove
against the sequential prove_candidate, and audits running while a proof's table is being built."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from autonomys.actors.farming.farm import PLOT_FILE, Farm, FarmError
from autonomys.actors.farming.farmer_core import BackgroundCall, FarmerCore
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.messages import FarmingSlot
from autonomys.protocol.constants import SCALAR_FULL_BYTES, U64_MAX
from autonomys.protocol.errors import InvalidSector, SectorChecksumMismatch
from autonomys.protocol.farming.proving import prove_candidate
from autonomys.protocol.farming.solutions import Solution, verify_solution
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.plotting.encoding import new_pos_table
from autonomys.protocol.plotting.reading import (
    check_s_bucket_sizes,
    compute_record_chunk_offsets,
    read_encoded_record,
    validate_contents_map,
)
from autonomys.protocol.plotting.sectors import SectorMetadata, compute_sector_layout
from autonomys.protocol.types import PieceOffset
from helpers.farms import plotted_farm
from helpers.history import ArchivedHistory

PARAMS = MINIMAL
SECTORS = 2


@pytest.fixture(scope="module")
def farm_path(tmp_path_factory: pytest.TempPathFactory, history: ArchivedHistory, setup: KzgSetup) -> Path:
    return plotted_farm(tmp_path_factory.mktemp("proving-reads") / "farm", history, setup, SECTORS, PARAMS)


def drop_cache(farm: Farm) -> None:
    descriptor = os.open(farm.path / PLOT_FILE, os.O_RDONLY)
    try:
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


def contents_region(farm: Farm, sector_index: int, metadata: SectorMetadata) -> bytes:
    return farm.read_at(sector_index, 0, compute_sector_layout(metadata.pieces_in_sector, PARAMS).s_buckets_start)


@pytest.mark.parametrize("prefetch", [None, True, False])
@pytest.mark.parametrize("cold", [True, False])
def test_read_chunks_returns_exactly_the_gathered_record(farm_path: Path, prefetch: bool | None, cold: bool) -> None:
    expected: dict[int, list[bytes]] = {}
    with Farm.open(farm_path) as mapped:  # closed before the reads: a mapping pins its pages in the page cache
        for sector_index, metadata in mapped.plotted_sectors().items():
            view = mapped.sector_view(sector_index)
            try:
                expected[sector_index] = [read_encoded_record(view, metadata, PieceOffset(offset), PARAMS).chunks
                                          for offset in range(metadata.pieces_in_sector)]  # fmt: skip
            finally:
                view.release()
    with Farm.open(farm_path) as farm:
        for sector_index, metadata in farm.plotted_sectors().items():
            bitfields = validate_contents_map(contents_region(farm, sector_index, metadata), metadata, PARAMS)
            check_s_bucket_sizes(bitfields, metadata, PARAMS)
            for piece_offset, chunks in enumerate(expected[sector_index]):
                offsets = compute_record_chunk_offsets(bitfields, metadata, PieceOffset(piece_offset), PARAMS)
                assert len(offsets) == PARAMS.record_num_chunks
                assert offsets == sorted(offsets)
                if cold:
                    drop_cache(farm)
                assert farm.read_chunks(sector_index, offsets, SCALAR_FULL_BYTES, prefetch=prefetch) == chunks


def test_record_offsets_and_reads_reject_what_is_outside_the_sector(farm_path: Path) -> None:
    with Farm.open(farm_path) as farm:
        metadata = farm.sector_metadata(0)
        assert metadata is not None
        bitfields = validate_contents_map(contents_region(farm, 0, metadata), metadata, PARAMS)
        with pytest.raises(InvalidSector, match="piece_offset"):
            compute_record_chunk_offsets(bitfields, metadata, PieceOffset(metadata.pieces_in_sector), PARAMS)
        with pytest.raises(InvalidSector, match="bitfields"):
            compute_record_chunk_offsets(bytes(bitfields)[:-1], metadata, PieceOffset(0), PARAMS)
        overfull = (
            b"\xff" * (len(bitfields) // metadata.pieces_in_sector)
            + bytes(bitfields)[len(bitfields) // metadata.pieces_in_sector :]
        )
        with pytest.raises(InvalidSector, match="encoded chunks"):
            compute_record_chunk_offsets(overfull, metadata, PieceOffset(0), PARAMS)
        with pytest.raises(FarmError, match="outside"):
            farm.read_chunks(0, [farm.sector_size - SCALAR_FULL_BYTES + 1], SCALAR_FULL_BYTES)
        with pytest.raises(FarmError, match="outside"):
            farm.read_chunks(0, [-1], SCALAR_FULL_BYTES)
        assert farm.read_chunks(0, [], SCALAR_FULL_BYTES) == b""


def test_contents_map_checks_reject_corruption(farm_path: Path) -> None:
    with Farm.open(farm_path) as farm:
        metadata = farm.sector_metadata(0)
        assert metadata is not None
        region = bytearray(contents_region(farm, 0, metadata))
        with pytest.raises(InvalidSector, match="contents map"):
            validate_contents_map(bytes(region[:-1]), metadata, PARAMS)
        region[3] ^= 1
        with pytest.raises(SectorChecksumMismatch):
            validate_contents_map(bytes(region), metadata, PARAMS)
        region[3] ^= 1
        bitfields = validate_contents_map(bytes(region), metadata, PARAMS)
        sizes = bytearray(metadata.s_bucket_sizes)
        sizes[0] ^= 1
        wrong = SectorMetadata(metadata.sector_index, metadata.pieces_in_sector, bytes(sizes), metadata.history_size)
        with pytest.raises(InvalidSector, match="s-bucket sizes"):
            check_s_bucket_sizes(bitfields, wrong, PARAMS)


def candidates(core: FarmerCore, count: int) -> list[tuple[FarmingSlot, object, object]]:
    found = []
    for number in range(1, 500):
        slot = FarmingSlot(number, number.to_bytes(16, "little"), U64_MAX, U64_MAX)
        for sector, candidate in core.audit(slot).ranked():
            found.append((slot, sector, candidate))
        if len(found) >= count:
            return found[:count]
    pytest.fail("too few candidates")


def test_prove_equals_the_sequential_path_and_verifies(farm_path: Path, setup: KzgSetup) -> None:
    kzg = load_kzg(setup)
    with Farm.open(farm_path) as farm:
        core = FarmerCore(farm, kzg, bytes(32), "test")
        proven = 0
        for slot, sector, candidate in candidates(core, 12):
            result = core.prove(slot, sector, candidate)
            view = farm.sector_view(sector.entry.sector_index)
            try:
                expected = prove_candidate(view, sector.entry.metadata, core.keys, sector.s_bucket, candidate,
                                           new_pos_table(PARAMS), kzg, PARAMS)  # fmt: skip
            finally:
                view.release()
            if expected is None:
                assert result is None
                continue
            assert result is not None
            assert result.solution == expected.to_bytes()
            verify_solution(Solution.from_bytes(result.solution), slot=slot.slot, proof_of_time=slot.proof_of_time,
                            solution_range=U64_MAX, kzg=kzg, pos_table=PARAMS.pos_table, params=PARAMS)  # fmt: skip
            proven += 1
        assert proven > 0
        assert core.registry.corrupt() == ()


class GatedTable:
    """A table whose generate waits for `release` (a proof held in its table build)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.entered, self.release = threading.Event(), threading.Event()

    def generate(self, seed: bytes) -> None:
        self.entered.set()
        assert self.release.wait(30)
        self.inner.generate(seed)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_audits_run_while_a_proof_builds_its_table(farm_path: Path, setup: KzgSetup) -> None:
    with Farm.open(farm_path) as farm:
        core = FarmerCore(farm, load_kzg(setup), bytes(32), "test")
        gated = GatedTable(core._table)
        core._table = gated  # type: ignore[assignment]
        pending = [(slot, sector, candidate) for slot, sector, candidate in candidates(core, 12)]
        results: list[object] = []
        for slot, sector, candidate in pending:
            gated.entered.clear()
            gated.release.clear()
            prover = threading.Thread(target=lambda s=slot, c=sector, d=candidate: results.append(core.prove(s, c, d)))
            prover.start()
            if not gated.entered.wait(5):  # an unencoded chunk: no table build, the proof returned None
                prover.join()
                continue
            report = core.audit(slot)  # the proof is parked inside its table build
            assert report.sectors_audited == SECTORS
            assert prover.is_alive()
            gated.release.set()
            prover.join()
            assert results[-1] is not None
            return
        pytest.fail("no encoded candidate")


def test_a_background_call_reraises_its_error() -> None:
    def fail() -> None:
        raise ValueError("table build failed")

    call = BackgroundCall(fail)
    with pytest.raises(ValueError, match="table build failed"):
        call.join()
    done: list[int] = []
    BackgroundCall(done.append, 7).join()
    assert done == [7]


def test_prove_with_one_or_two_witness_threads_gives_the_same_solution(farm_path: Path, setup: KzgSetup) -> None:
    kzg = load_kzg(setup)
    with Farm.open(farm_path) as farm:
        single = FarmerCore(farm, kzg, bytes(32), "test", witness_threads=1)
        double = FarmerCore(farm, kzg, bytes(32), "test", witness_threads=2)
        assert double.witness_threads == 2
        for slot, _, _ in candidates(single, 12):
            pairs = zip(single.audit(slot).ranked(), double.audit(slot).ranked(), strict=True)
            for (sector, candidate), (other_sector, other_candidate) in pairs:
                first = single.prove(slot, sector, candidate)
                if first is not None:
                    second = double.prove(slot, other_sector, other_candidate)
                    assert second is not None and second.solution == first.solution
                    return
        pytest.fail("no encoded candidate")


def test_the_cache_probe_tells_a_dropped_sector_from_a_read_one(farm_path: Path) -> None:
    with Farm.open(farm_path) as farm:
        metadata = farm.sector_metadata(1)
        assert metadata is not None
        bitfields = validate_contents_map(contents_region(farm, 1, metadata), metadata, PARAMS)
        offsets = compute_record_chunk_offsets(bitfields, metadata, PieceOffset(0), PARAMS)
        base = farm.sector_size
        farm.read_chunks(1, offsets, SCALAR_FULL_BYTES, prefetch=False)
        assert farm._misses_cache(base, offsets, SCALAR_FULL_BYTES) is False
        drop_cache(farm)
        assert farm._misses_cache(base, offsets, SCALAR_FULL_BYTES) is True
