"""Proving measurements shared by benchmarks/farming.py and benchmarks/hourglass.py.

A real MAINNET-size sector takes ~700 s to plot on 2 cores (1000 K=20 tables and piece checks), so the MAINNET
sector proved here is a hybrid written through Plotter and Farm.write_sector like any other: `real` records are
encoded for real (table, extension, masking), the other records are random chunks under contents bitfields drawn
the way plotting fills them, with random metadata. The layout, the contents map, the s-bucket sizes, the reads a
proof makes and the page-cache behaviour are a real sector's; only candidates in real records are proved.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import blake3
from bench_common import timed

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.farming.farm import PLOT_FILE, Farm
from autonomys.actors.farming.farmer_core import FarmerCore, SectorCandidates
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.messages import FarmingSlot
from autonomys.actors.plotting.plotter import LocalRecordEncoder, Plotter, RecordJob, RecordResult
from autonomys.protocol.constants import SCALAR_FULL_BYTES, U64_MAX
from autonomys.protocol.farming.proving import (
    compute_record_polynomial,
    locate_in_contents_map,
    prove_candidate,
)
from autonomys.protocol.farming.solutions import AuditCandidate
from autonomys.protocol.params import Params
from autonomys.protocol.plotting.encoding import EncodedRecord, ProofOfSpaceTable
from autonomys.protocol.plotting.reading import (
    check_s_bucket_sizes,
    compute_record_chunk_offsets,
    recover_extended_record,
    validate_contents_map,
)
from autonomys.protocol.plotting.sectors import (
    RECORD_METADATA_SIZE,
    RecordMetadata,
    compute_record_bitfield_size,
    compute_sector_layout,
    compute_sector_metadata_size,
    compute_sector_size,
    derive_evaluation_seed,
)
from autonomys.protocol.types import PieceOffset

PROBABILITY_BITS = 16  # precision of the per-s-bucket proof probability used to draw bitfields
PROOF_PROBABILITY = 0.627  # share of K=20 challenges with a proof (benchmarks/farming.py measures it)


def draw_bitfield(generator: random.Random, probability: float, params: Params) -> bytes:
    """A record's encoded bits as plotting sets them: each s-bucket has a proof with `probability`, and the
    first record_num_chunks s-buckets with one are encoded (the fill rule places the rest when too few are)."""
    fixed = round(probability * (1 << PROBABILITY_BITS))
    bits = (1 << params.num_s_buckets) - 1 if fixed >= 1 << PROBABILITY_BITS else 0
    for position in range(PROBABILITY_BITS if bits == 0 else 0):  # Bernoulli(p) from p's binary digits, lowest first
        draw = generator.getrandbits(params.num_s_buckets)
        bits = bits | draw if fixed >> position & 1 else bits & draw
    if bits.bit_count() > params.record_num_chunks:
        low, high = params.record_num_chunks, params.num_s_buckets  # smallest m with n bits set below m
        while low < high:
            middle = (low + high) // 2
            if (bits & ((1 << middle) - 1)).bit_count() >= params.record_num_chunks:
                high = middle
            else:
                low = middle + 1
        bits &= (1 << low) - 1
    return bits.to_bytes(params.num_s_buckets // 8, "little")


class HybridEncoder:
    """Encodes the records at `real` offsets for real; every other record gets random chunks and metadata."""

    def __init__(self, params: Params, setup: KzgSetup, real: set[int]) -> None:
        self.params = params
        self.real = real
        self.inner = LocalRecordEncoder(params, setup, threads=os.cpu_count() or 1)

    def encode(self, jobs: Sequence[RecordJob]) -> Iterator[RecordResult]:
        yield from self.inner.encode([job for job in jobs if job.piece_offset in self.real])
        for job in jobs:
            if job.piece_offset in self.real:
                continue
            generator = random.Random(job.piece_offset)
            chunks = blake3.blake3(b"hybrid record %d" % job.piece_offset).digest(length=self.params.record_size)
            encoded = EncodedRecord(draw_bitfield(generator, PROOF_PROBABILITY, self.params), chunks)
            metadata = RecordMetadata(generator.randbytes(48), generator.randbytes(48), generator.randbytes(32))
            yield RecordResult(job.piece_offset, encoded, metadata)


def plot_farm(path: Path, history: ArchiveHistory, setup: KzgSetup, params: Params, real: set[int]) -> Farm:
    """A farm of one sector of params.max_pieces_in_sector records, the `real` ones encoded for real."""
    size = compute_sector_size(params.max_pieces_in_sector, params) + compute_sector_metadata_size(params) + 64
    farm = Farm.create_or_open(path, size, params)
    encoder = HybridEncoder(params, setup, real)
    Plotter(farm, history, history, encoder).plot_sector(0, history.history_size())  # type: ignore[arg-type]
    return farm


def drop_cache(farm: Farm) -> None:
    """Drop the plot file's clean, unmapped pages from the page cache (no root needed for our own file)."""
    descriptor = os.open(farm.path / PLOT_FILE, os.O_RDONLY)
    try:
        os.fsync(descriptor)
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


@dataclass
class Pick:
    """An audit candidate in a real, encoded record."""

    slot: FarmingSlot
    sector: SectorCandidates
    candidate: AuditCandidate
    piece_offset: int


def find_picks(core: FarmerCore, real: set[int], count: int, seed: int = 9) -> list[Pick]:
    """`count` candidates (one per slot) whose chunk is encoded in one of the `real` records."""
    params, generator, picks = core.params, random.Random(seed), []
    layout = compute_sector_layout(core.registry.snapshot()[0].metadata.pieces_in_sector, params)
    contents = core.farm.read_at(0, 0, layout.s_buckets_start)
    bitfields = memoryview(contents)[: layout.bitfields_end]
    for number in range(1, 200 * count):
        slot = FarmingSlot(number, generator.randbytes(16), U64_MAX, U64_MAX)
        for sector, candidate in core.audit(slot).ranked():
            piece_offset, encoded = locate_in_contents_map(bitfields, sector.s_bucket, candidate, params)
            if encoded and piece_offset in real:
                picks.append(Pick(slot, sector, candidate, int(piece_offset)))
                break
        if len(picks) == count:
            break
    return picks


@dataclass
class ProofTimes:
    """Seconds of FarmerCore.prove, of the old sequential mmap path, and of each step run alone, per pick."""

    prove: list[float] = field(default_factory=list)
    sequential: list[float] = field(default_factory=list)
    steps: list[dict[str, float]] = field(default_factory=list)
    solutions: list[tuple[FarmingSlot, bytes, int]] = field(default_factory=list)


def time_steps(core: FarmerCore, pick: Pick, table: ProofOfSpaceTable, witness_threads: int) -> dict[str, float]:
    """FarmerCore.prove's steps one after another (same functions): read, table, recover, intt, witness."""
    params, farm, entry = core.params, core.farm, pick.sector.entry
    assert core.kzg is not None
    steps: dict[str, float] = {}

    def read() -> tuple[EncodedRecord, RecordMetadata]:
        layout = compute_sector_layout(entry.metadata.pieces_in_sector, params)
        contents = farm.read_at(entry.sector_index, 0, layout.s_buckets_start)
        bitfields = validate_contents_map(contents, entry.metadata, params)
        piece_offset, _ = locate_in_contents_map(bitfields, pick.sector.s_bucket, pick.candidate, params)
        check_s_bucket_sizes(bitfields, entry.metadata, params)
        offsets = compute_record_chunk_offsets(bitfields, entry.metadata, piece_offset, params)
        chunks = farm.read_chunks(entry.sector_index, offsets, SCALAR_FULL_BYTES)
        start = layout.record_metadata_start + piece_offset * RECORD_METADATA_SIZE
        metadata = RecordMetadata.from_bytes(farm.read_at(entry.sector_index, start, RECORD_METADATA_SIZE))
        size = compute_record_bitfield_size(params)
        return EncodedRecord(bytes(bitfields[piece_offset * size : (piece_offset + 1) * size]), chunks), metadata

    steps["read"], (encoded, _) = timed(read)
    seed = derive_evaluation_seed(entry.sector_id, PieceOffset(pick.piece_offset))
    steps["table"], _ = timed(lambda: table.generate(seed))
    steps["recover"], extended = timed(lambda: recover_extended_record(encoded, table, params))
    steps["intt"], polynomial = timed(lambda: compute_record_polynomial(extended, params))
    kzg, s_bucket = core.kzg, pick.sector.s_bucket
    steps["witness"], _ = timed(
        lambda: kzg.create_witness(polynomial, params.num_s_buckets, s_bucket, threads=witness_threads)
    )
    return steps


def time_sequential(farm_path: Path, core: FarmerCore, pick: Pick, table: ProofOfSpaceTable) -> float:
    """The proof as FarmerCore.prove made it before: prove_candidate on a mmap view, one step after another, one
    thread. A farm opened for this call alone, so its mapping (which pins pages in the cache) goes with it."""
    assert core.kzg is not None
    farm = Farm.open(farm_path)
    try:
        view = farm.sector_view(pick.sector.entry.sector_index)
        try:
            seconds, solution = timed(lambda: prove_candidate(view, pick.sector.entry.metadata, core.keys,
                                                              pick.sector.s_bucket, pick.candidate, table,
                                                              core.kzg, core.params))  # type: ignore[arg-type]  # fmt: skip
        finally:
            view.release()
    finally:
        farm.close()
    if solution is None:
        raise SystemExit("the sequential path found no solution for a candidate the farmer proved")
    return seconds


def measure_proofs(core: FarmerCore, picks: list[Pick], table: ProofOfSpaceTable, cold: bool) -> ProofTimes:
    """Per pick: FarmerCore.prove, the steps alone, the old sequential path; the farm's cache dropped before
    each when `cold`."""
    times = ProofTimes()
    for pick in picks:
        if cold:
            drop_cache(core.farm)
        seconds, solution = timed(lambda p=pick: core.prove(p.slot, p.sector, p.candidate))
        if solution is None:
            raise SystemExit(f"no solution for a candidate in real record {pick.piece_offset}")
        times.prove.append(seconds)
        times.solutions.append((pick.slot, solution.solution, pick.sector.s_bucket))
        if cold:
            drop_cache(core.farm)
        times.steps.append(time_steps(core, pick, table, core.witness_threads))
        if cold:
            drop_cache(core.farm)
        times.sequential.append(time_sequential(core.farm.path, core, pick, table))
    return times


def audit_during_proof(core: FarmerCore, pick: Pick) -> tuple[list[float], list[float]]:
    """Seconds of back-to-back FarmerCore.audit calls on this thread while another thread proves `pick` (the
    farmer's audit and proving threads), and of as many audits with no proof running."""
    during: list[float] = []
    prover = threading.Thread(target=lambda: core.prove(pick.slot, pick.sector, pick.candidate))
    prover.start()
    while prover.is_alive():
        during.append(timed(lambda: core.audit(pick.slot))[0])
    prover.join()
    alone = [timed(lambda: core.audit(pick.slot))[0] for _ in range(max(len(during), 10))]
    return during, alone
