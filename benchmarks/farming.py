"""Farming benchmark: audit, proving, verification and solution size, each next to a limit measured in the same run.

    python benchmarks/farming.py [--audit-sectors N] [--slots N] [--rounds N] [--proof-probability P]
                                 [--prove-pieces N] [--proofs N] [--mainnet-real N] [--kzg PATH|dev] [--dir DIR]
                                 [--work-dir DIR] [--skip-audit] [--skip-prove]

  audit    FarmerCore.audit over --slots slots of a farm of --audit-sectors MAINNET-layout sectors (1000 records,
           65 536 s-buckets, ~1 GiB each) filled with random bytes, written through Farm.write_sector. Each
           record's contents bitfield is drawn the way plotting fills it (the first 32 768 s-buckets whose
           challenge has a proof, a proof existing with the probability measured on a real K=20 table), so the
           s-bucket sizes have a real sector's shape. Cold (the farm's pages dropped from the page cache with
           POSIX_FADV_DONTNEED before the pass) and warm, next to a pass of bare os.pread of the same s-buckets
           (same offsets and lengths, same file) in the same cache state: read/audit -> 1 = I/O-bound.
  gather   one record (one chunk from each of 32 768 s-buckets) of a 1000-record audit sector, as proofs read it
           (Farm.read_chunks: preads in sector order, prefetched with POSIX_FADV_WILLNEED when cold) and as they
           did before (the sector kernel's gather through the farm's mmap), cold and warm; the bytes must agree.
  prove    FarmerCore.prove (table build on its own thread while the record is read, witness on 2 threads) on
           a DEV sector (--prove-pieces records, all real) and on a 1000-record MAINNET sector written through
           Plotter (--mainnet-real records encoded for real, the rest random: see proving_bench.py), --proofs
           candidates each, warm and cold (pages dropped before each proof). Next to its steps run one after
           another (read, table, recover, intt, witness: the sum the overlap beats), the previous path
           (prove_candidate through the mmap, one thread), 1 s (the seeds' goal) and the block authoring deadline
           (block_authoring_delay slots = 4 s); then audits of the sector run back to back while a proof runs.
  verify   verify_solution of those solutions without and with the piece checks, next to one KZG pairing
           check (kzg.verify alone) times the number of pairings.
  size     len(solution.to_bytes()).

Disk: --audit-sectors x 1.06 GB in --dir (deleted at the end) plus one archived segment cached in --work-dir
(~380 MB, kept: archiving it costs ~1.5 min on 2 cores). Everything but the cache is removed on exit.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import blake3
from bench_common import CEREMONY, Summary, median, ms, prepare_history, timed
from proving_bench import ProofTimes, audit_during_proof, draw_bitfield, find_picks, measure_proofs, plot_farm
from py_arkworks_bls12381 import G1Point, Scalar

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.farming.farm import PLOT_FILE, Farm
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.actors.messages import FarmingSlot
from autonomys.kernels import pos
from autonomys.protocol.archiving.pieces import compute_piece_segment_index
from autonomys.protocol.constants import SCALAR_FULL_BYTES, U64_MAX
from autonomys.protocol.farming.solutions import (
    Solution,
    audit_s_bucket,
    compute_audit_target,
    compute_solution_piece_index,
    derive_slot_challenge,
    verify_solution,
)
from autonomys.protocol.params import DEV, MAINNET, Params
from autonomys.protocol.plotting.encoding import EncodedRecord, new_pos_table, write_sector
from autonomys.protocol.plotting.reading import compute_record_chunk_offsets, read_encoded_record, validate_contents_map
from autonomys.protocol.plotting.sectors import (
    RecordMetadata,
    compute_s_bucket_size_values,
    compute_sector_layout,
    compute_sector_metadata_size,
    compute_sector_size,
    derive_evaluation_seed,
)
from autonomys.protocol.types import PieceOffset

TIB = 1 << 40
# Audit ranges: a chunk is a candidate with probability range / 2^64 (1 in 1000 for a vote: ~0.5 per sector per slot).
AUDIT_SOLUTION_RANGE = U64_MAX // 10_000
AUDIT_VOTING_RANGE = U64_MAX // 1_000


# ---- audit: a farm of random MAINNET-layout sectors ----


def measure_proof_probability(tables: int) -> float:
    """Share of the 65 536 challenges that have a proof in real K=20 tables (plotting encodes those s-buckets)."""
    table = pos.PosTable(k=MAINNET.pos_k)
    generator = random.Random(11)
    shares = []
    for _ in range(tables):
        table.generate(generator.randbytes(32))
        flags, _ = table.proof_hashes(MAINNET.num_s_buckets)
        shares.append(sum(1 for flag in flags if flag) / MAINNET.num_s_buckets)
    return statistics.fmean(shares)


def build_audit_farm(path: Path, sectors: int, probability: float) -> Farm:
    """A MAINNET farm of `sectors` sectors of random chunks with realistic contents maps, written through the farm."""
    params = MAINNET
    pieces = params.max_pieces_in_sector
    sector_size = compute_sector_size(pieces, params)
    farm = Farm.create_or_open(path, sectors * (sector_size + compute_sector_metadata_size(params)) + 64, params)
    out = bytearray(sector_size)
    record_bytes = params.record_size
    try:
        for index in range(sectors):
            started = time.perf_counter()
            generator = random.Random(100 + index)
            chunks = memoryview(
                blake3.blake3(b"farming benchmark sector %d" % index).digest(length=pieces * record_bytes)
            )
            records = [
                EncodedRecord(
                    draw_bitfield(generator, probability, params), chunks[p * record_bytes : (p + 1) * record_bytes]
                )
                for p in range(pieces)
            ]
            metadata = [RecordMetadata(generator.randbytes(48), generator.randbytes(48), generator.randbytes(32))
                        for _ in range(pieces)]  # fmt: skip
            sector_metadata = write_sector(out, records, metadata, index, 1, params)
            built = time.perf_counter() - started
            written, _ = timed(lambda i=index, m=sector_metadata: farm.write_sector(i, out, m))
            print(
                f"         sector {index}: built {built:.1f} s, written+fsynced {written:.1f} s "
                f"({sector_size / written / 1e6:.0f} MB/s)",
                flush=True,
            )
            del records, chunks
    except BaseException:
        farm.close()
        raise
    return farm


def drop_cache(descriptor: int) -> None:
    """Drop the file's clean, unmapped pages from the page cache (no root needed for our own file)."""
    os.fsync(descriptor)
    os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)


def measure_audit(farm: Farm, slots: int, rounds: int, summary: Summary) -> None:
    params = farm.params
    core = FarmerCore(farm, None, bytes(32), "bench")  # type: ignore[arg-type]  # audits never touch the KZG setup
    entries = core.registry.snapshot()
    generator = random.Random(7)
    farming_slots = [
        FarmingSlot(slot, generator.randbytes(16), AUDIT_SOLUTION_RANGE, AUDIT_VOTING_RANGE)
        for slot in range(1, slots + 1)
    ]
    # The reads FarmerCore.audit makes, computed the same way: (absolute offset, length) per sector per slot.
    reads, targets = [], []
    for slot in farming_slots:
        challenge = derive_slot_challenge(slot.proof_of_time, slot.slot)
        for entry in entries:
            target = compute_audit_target(entry.sector_id, challenge, params)
            start, end = entry.locator.byte_range(target.s_bucket)
            reads.append((entry.sector_index * farm.sector_size + start, end - start))
            targets.append((target, challenge))
    lengths = [length for _, length in reads]
    sizes = [size for entry in entries for size in compute_s_bucket_size_values(entry.metadata)]
    print(
        f"         s-bucket sizes (chunks): mean {statistics.fmean(sizes):.0f}, max {max(sizes)}, "
        f"empty {sum(1 for size in sizes if size == 0) / len(sizes):.1%}; audited reads: {len(reads)}, "
        f"mean {statistics.fmean(lengths) / 1024:.1f} KiB, empty {sum(1 for n in lengths if n == 0) / len(reads):.1%}"
    )

    descriptor = os.open(farm.path / PLOT_FILE, os.O_RDONLY)
    try:

        def read_pass() -> None:
            for offset, length in reads:
                os.pread(descriptor, length, offset)

        def audit_pass() -> int:
            return sum(len(pair.candidates) for slot in farming_slots for pair in core.audit(slot).found)

        results: dict[str, list[float]] = {"read cold": [], "read warm": [], "audit cold": [], "audit warm": []}
        candidates = 0
        for number in range(rounds):
            order = ("read", "audit") if number % 2 == 0 else ("audit", "read")
            for kind in order:
                function = read_pass if kind == "read" else audit_pass
                drop_cache(descriptor)
                cold, found = timed(function)
                warm, _ = timed(function)
                results[f"{kind} cold"].append(cold)
                results[f"{kind} warm"].append(warm)
                if kind == "audit":
                    candidates = found
        per = len(reads)
        best = {key: min(values) / per for key, values in results.items()}
        chunks = [os.pread(descriptor, length, offset) for offset, length in reads]
        hashing = min(
            timed(lambda: [audit_s_bucket(data, target, challenge, AUDIT_VOTING_RANGE)
                           for data, (target, challenge) in zip(chunks, targets, strict=True)])[0]
            for _ in range(rounds)
        ) / per  # fmt: skip
        print(
            f"         best of {rounds} rounds; {len(entries)} sectors x {slots} slots; "
            f"{candidates} candidates per pass (voting range 1/{U64_MAX // AUDIT_VOTING_RANGE})"
        )
        sectors_per_tib = TIB / farm.sector_size
        for state in ("cold", "warm"):
            read, audit = best[f"read {state}"], best[f"audit {state}"]
            print(
                f"audit    {state}: FarmerCore.audit {ms(audit)} per sector per slot; os.pread of the same s-buckets "
                f"{ms(read)} -> read/audit = {read / audit:.2f}"
            )
            tib_audit, tib_read = 1 / (audit * sectors_per_tib), 1 / (read * sectors_per_tib)
            print(
                f"         {state}: 1 TiB ({sectors_per_tib:.0f} sectors) audits in {audit * sectors_per_tib * 1e3:.0f} ms "
                f"on one core (reads alone {read * sectors_per_tib * 1e3:.0f} ms): {tib_audit:.1f} TiB per 1 s slot "
                f"(reads alone {tib_read:.1f})"
            )
            summary.add(
                f"audit, {state}, per sector per slot (FarmerCore.audit)",
                ms(audit),
                f"os.pread of the same s-buckets {ms(read)}",
                f"read/audit = **{read / audit:.2f}**",
            )
            summary.add(
                f"audit, {state}, TiB one core audits in a 1 s slot",
                f"{tib_audit:.1f} TiB ({audit * sectors_per_tib * 1e3:.0f} ms per TiB)",
                f"reads alone {tib_read:.1f} TiB",
                "",
            )
        warm = best["audit warm"]
        print(
            f"         warm audit {ms(warm)} = audit kernel on chunks in memory (audit_s_bucket) {ms(hashing)} + pread "
            f"{ms(best['read warm'])} + the rest (challenge, target, locator, Python) "
            f"{ms(warm - hashing - best['read warm'])}"
        )
        summary.add(
            "audit kernel alone (audit_s_bucket, chunks in memory), per sector",
            ms(hashing),
            f"warm audit {ms(warm)}",
            f"kernel/audit = {hashing / warm:.2f}",
        )
    finally:
        os.close(descriptor)
    sys.stdout.flush()


def measure_gather(farm: Farm, summary: Summary) -> None:
    """Gather a record out of a 1000-record sector: as proofs do now (Farm.read_chunks: preads in sector order,
    prefetched when cold) and as they did before (the sector kernel's gather through the farm's mmap)."""
    params = farm.params
    metadata = farm.sector_metadata(0)
    layout = compute_sector_layout(metadata.pieces_in_sector, params)
    piece_offset = PieceOffset(metadata.pieces_in_sector // 2)
    descriptor = os.open(farm.path / PLOT_FILE, os.O_RDONLY)
    figures: dict[str, float] = {}
    try:
        for state in ("cold", "warm"):  # preads first: the mmap below pins the pages it touches in the cache
            if state == "cold":
                drop_cache(descriptor)

            def pread_path() -> bytes:
                bitfields = validate_contents_map(farm.read_at(0, 0, layout.s_buckets_start), metadata, params)
                offsets = compute_record_chunk_offsets(bitfields, metadata, piece_offset, params)
                return farm.read_chunks(0, offsets, SCALAR_FULL_BYTES)

            figures[f"pread {state}"], chunks = timed(pread_path)
        drop_cache(descriptor)
    finally:
        os.close(descriptor)
    for state in ("cold", "warm"):
        view = farm.sector_view(0)
        try:
            figures[f"mmap {state}"], record = timed(lambda v=view: read_encoded_record(v, metadata, piece_offset, params))
        finally:
            view.release()
        if record.chunks != chunks:
            raise SystemExit("Farm.read_chunks and the mmap gather disagree")
    for state in ("cold", "warm"):
        new, old = figures[f"pread {state}"], figures[f"mmap {state}"]
        print(
            f"gather   {state}: one record of a 1000-record sector (contents map + 32 768 chunks): Farm.read_chunks "
            f"{ms(new)}, previous mmap gather {ms(old)} -> speed-up {old / new:.1f}"
        )
        summary.add(f"MAINNET record gather, {state} (read_chunks)", ms(new), f"previous mmap gather {ms(old)}",
                    f"speed-up **{old / new:.1f}**")  # fmt: skip


# ---- proving (DEV and MAINNET, warm and cold) and verification ----


def report_proofs(label: str, times: ProofTimes, deadline: float, summary: Summary) -> None:
    """Print and summarise one preset and cache state: prove against the sum of its steps, 1 s and the deadline."""
    prove, sequential = median(times.prove), median(times.sequential)
    steps = {key: median([entry[key] for entry in times.steps]) for key in times.steps[0]}
    parts = sum(steps.values())
    print(
        f"prove    {label}: FarmerCore.prove median of {len(times.prove)} {ms(prove)}, best {ms(min(times.prove))} (all: "
        + ", ".join(ms(value) for value in times.prove)
        + f"); its steps one after another {ms(parts)} ("
        + ", ".join(f"{key} {ms(value)}" for key, value in steps.items())
        + f") -> prove/parts = {prove / parts:.2f}; previous path (mmap, sequential, 1 thread) {ms(sequential)} "
        f"-> speed-up {sequential / prove:.2f}; prove/1 s = {prove:.2f}; prove/deadline = {prove / deadline:.2f}",
        flush=True,
    )
    summary.add(
        f"prove, {label} (FarmerCore.prove), median (best)",
        f"{ms(prove)} ({ms(min(times.prove))})",
        f"steps in sequence {ms(parts)}; previous path {ms(sequential)}",
        f"prove/parts = **{prove / parts:.2f}**, prove/1 s = **{prove:.2f}**, prove/deadline = {prove / deadline:.2f}",
    )
    summary.add(f"prove steps, {label}", ", ".join(f"{key} {ms(value)}" for key, value in steps.items()), "", "")


def prove_preset(
    name: str, path: Path, history: ArchiveHistory, setup, kzg, params: Params, real: int, proofs: int,
    summary: Summary, prove_threads: int | None = None,
) -> list:  # fmt: skip
    """Plot a sector (real records `real` of them), then prove `proofs` candidates warm and cold."""
    offsets = set(range(0, params.max_pieces_in_sector, max(1, params.max_pieces_in_sector // real)))
    offsets = set(sorted(offsets)[:real])
    seconds, farm = timed(lambda: plot_farm(path, history, setup, params, offsets))
    print(
        f"plot     {name} sector of {params.max_pieces_in_sector} records ({len(offsets)} encoded for real, the rest "
        f"random; {compute_sector_size(params.max_pieces_in_sector, params):,} bytes): {seconds:.1f} s",
        flush=True,
    )
    try:
        core = FarmerCore(farm, kzg, bytes(range(32)), "bench", witness_threads=prove_threads, prove_threads=prove_threads)
        table = new_pos_table(params)
        table.generate(bytes(32))  # warm the allocation, as the farmer's own table is after its first proof
        picks = find_picks(core, offsets, proofs)
        if not picks:
            raise SystemExit(f"no candidate in a real record of the {name} sector")
        deadline = params.block_authoring_delay * params.slot_duration_ms / 1000
        print(
            f"         {name}: witness threads {core.witness_threads}; prove threads {core.prove_threads}; deadline "
            f"{deadline:.0f} s",
            flush=True,
        )
        solutions = []
        for state in ("warm", "cold"):
            times = measure_proofs(core, picks, table, cold=state == "cold")
            report_proofs(f"{name} {state}", times, deadline, summary)
            solutions = times.solutions
        during, alone = audit_during_proof(core, picks[0])
        print(
            f"audit    {name}: {len(during)} audits of the sector while a proof runs on another thread: median "
            f"{ms(median(during))}, max {ms(max(during))}; with no proof running: median {ms(median(alone))}, max "
            f"{ms(max(alone))}",
            flush=True,
        )
        summary.add(f"audit while a proof runs, {name} (1 sector)", f"median {ms(median(during))}, max {ms(max(during))}",
                    f"no proof running: median {ms(median(alone))}, max {ms(max(alone))}", "")  # fmt: skip
        return solutions
    finally:
        farm.close()


def measure_prove_and_verify(arguments: argparse.Namespace, scratch: Path, summary: Summary) -> None:
    dev = dataclasses.replace(DEV, max_pieces_in_sector=arguments.prove_pieces)
    setup = setup_for(dev.record_num_chunks, None if arguments.kzg == "dev" else arguments.kzg)
    seconds, kzg = timed(lambda: load_kzg(setup))
    print(
        f"setup    {kzg.label} ({'INSECURE dev' if kzg.insecure else 'ceremony'}), loaded in {seconds:.1f} s",
        flush=True,
    )
    history = prepare_history(arguments.work_dir, setup, "dev" if kzg.insecure else "ceremony", dev)
    try:
        proven = prove_preset("DEV", scratch / "dev-farm", history, setup, kzg, dev, arguments.prove_pieces,
                              arguments.proofs, summary, arguments.prove_threads)  # fmt: skip
        draw = random.Random(4)
        scalars = [Scalar(draw.getrandbits(250)) for _ in range(dev.record_num_chunks)]
        points = kzg.g1_powers[: dev.record_num_chunks]
        msm = median([timed(lambda: G1Point.multiexp_unchecked(points, scalars))[0] for _ in range(3)])
        table = pos.PosTable(k=dev.pos_k)
        build = median([timed(lambda s=seed: table.generate(bytes([s]) * 32))[0] for seed in range(3)])
        print(f"         floors: one K=20 table build {ms(build)}, one bare 2^15 MSM (py-arkworks) {ms(msm)}")
        summary.add("floors: K=20 table build; bare 2^15 MSM (py-arkworks)", f"{ms(build)}; {ms(msm)}", "", "")
        if arguments.mainnet_real > 0:
            prove_preset("MAINNET", scratch / "mainnet-farm", history, setup, kzg, MAINNET, arguments.mainnet_real,
                         arguments.proofs, summary, arguments.prove_threads)  # fmt: skip
            shutil.rmtree(scratch / "mainnet-farm", ignore_errors=True)
        measure_verify(proven, kzg, history, dev, summary)
    finally:
        history.close()


def measure_verify(proven: list, kzg, history: ArchiveHistory, params: Params, summary: Summary) -> None:
    repeats = 3
    bare, chunk_only, with_piece, pos_checks, sizes = [], [], [], [], []
    for slot, data, s_bucket, *_ in proven:
        solution = Solution.from_bytes(data)
        sizes.append(len(solution.to_bytes()))
        piece_index = compute_solution_piece_index(solution, params)
        segment_commitment = history.segment_commitment(compute_piece_segment_index(piece_index, params))
        common = dict(slot=slot.slot, proof_of_time=slot.proof_of_time, solution_range=slot.solution_range, kzg=kzg,
                      pos_table=params.pos_table, params=params)  # fmt: skip
        seed = derive_evaluation_seed(solution.sector_id(), solution.piece_offset)
        for _ in range(repeats):
            pos_checks.append(timed(lambda s=solution, b=s_bucket, e=seed: pos.is_proof_valid(
                e, b, s.proof_of_space, params.pos_k))[0])  # fmt: skip
            bare.append(timed(lambda s=solution, b=s_bucket: kzg.verify(
                s.record_commitment, params.num_s_buckets, b, s.chunk, s.chunk_witness))[0])  # fmt: skip
            chunk_only.append(timed(lambda s=solution, c=common: verify_solution(s, **c))[0])
            with_piece.append(timed(lambda s=solution, c=common, g=segment_commitment: verify_solution(
                s, **c, segment_commitment=g, current_history_size=history.history_size(),
                max_pieces_in_sector=params.max_pieces_in_sector))[0])  # fmt: skip
    pairing, chunk, piece, pos_seconds = median(bare), median(chunk_only), median(with_piece), median(pos_checks)
    print(
        f"verify   {len(proven)} solutions x {repeats}; one pairing check (kzg.verify) {ms(pairing)}; "
        f"proof-of-space check {ms(pos_seconds)}"
    )
    print(f"verify   without piece checks {ms(chunk)} -> 1 pairing/verify = {pairing / chunk:.2f}")
    print(f"verify   with piece checks    {ms(piece)} -> 2 pairings/verify = {2 * pairing / piece:.2f}")
    print(
        f"size     solution {sizes[0]} bytes (all {len(sizes)}: {sorted(set(sizes))}) -> {sizes[0] / 1024:.2f} of 1 KiB"
    )
    summary.add(
        "verify_solution, no piece checks",
        ms(chunk),
        f"1 pairing check {ms(pairing)}",
        f"pairings/verify = **{pairing / chunk:.2f}**",
    )
    summary.add(
        "verify_solution, with piece checks",
        ms(piece),
        f"2 pairing checks {ms(2 * pairing)}",
        f"pairings/verify = **{2 * pairing / piece:.2f}**",
    )
    summary.add("solution size (SCALE, K=20)", f"{sizes[0]} bytes", "1 KiB", f"{sizes[0] / 1024:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--audit-sectors", type=int, default=4, help="MAINNET sectors (~1.06 GB each) in the audit farm"
    )
    parser.add_argument("--slots", type=int, default=2000, help="slots per audit pass")
    parser.add_argument("--rounds", type=int, default=5, help="audit rounds (cold + warm passes each); best is kept")
    parser.add_argument(
        "--proof-probability",
        type=float,
        default=None,
        help="chance an s-bucket's challenge has a proof when drawing the audit sectors' contents maps "
        "(default: measured on real K=20 tables, ~0.63; 0.5 spreads every s-bucket near Binomial(1000, 0.5))",
    )
    parser.add_argument("--prove-pieces", type=int, default=4, help="pieces in the DEV sector proved (DEV max: 32)")
    parser.add_argument("--proofs", type=int, default=5, help="candidates proved per preset and cache state")
    parser.add_argument(
        "--prove-threads", type=int, default=2,
        help="threads of a proof's table build, proof hashes, recovery and witness (2: the BENCHMARKS.md figures)",
    )  # fmt: skip
    parser.add_argument(
        "--mainnet-real", type=int, default=4,
        help="records encoded for real in the 1000-record MAINNET sector proved (0: skip MAINNET proving)",
    )
    parser.add_argument(
        "--kzg",
        default=str(CEREMONY) if CEREMONY.exists() else "dev",
        help="KZG setup: the ceremony file (default when present) or 'dev' (insecure, cached)",
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="scratch directory for the farms (default: a new temp dir)"
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "autonomys-bench-farming",
        help="cache for the archived history segment (kept between runs)",
    )
    parser.add_argument("--skip-audit", action="store_true")
    parser.add_argument("--skip-prove", action="store_true")
    arguments = parser.parse_args()
    if arguments.proof_probability is not None and not 0 < arguments.proof_probability <= 1:
        parser.error("--proof-probability must be in (0, 1]")
    if not 1 <= arguments.prove_pieces <= DEV.max_pieces_in_sector:
        parser.error(f"--prove-pieces must be in 1..{DEV.max_pieces_in_sector}")

    if arguments.dir is None:
        base = Path(tempfile.gettempdir())
        scratch = Path(tempfile.mkdtemp(prefix="autonomys-bench-farming-", dir=base))
    else:
        arguments.dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="farming-", dir=arguments.dir))
    print(f"CPUs: {os.cpu_count()}; scratch {scratch}; MAINNET sector {compute_sector_size(1000, MAINNET):,} bytes")
    summary = Summary()
    try:
        if not arguments.skip_audit:
            needed = arguments.audit_sectors * compute_sector_size(MAINNET.max_pieces_in_sector, MAINNET)
            free = shutil.disk_usage(scratch).free
            if needed + (2 << 30) > free:
                raise SystemExit(
                    f"the audit farm needs {needed / 1e9:.1f} GB and {free / 1e9:.1f} GB are free "
                    "(keeping 2 GiB spare): lower --audit-sectors"
                )
            probability = arguments.proof_probability or measure_proof_probability(4)
            print(
                f"audit    building {arguments.audit_sectors} MAINNET sectors ({needed / 1e9:.1f} GB); "
                f"proof probability per s-bucket {probability:.3f}"
                + (" (given)" if arguments.proof_probability else " (measured on 4 K=20 tables)"),
                flush=True,
            )
            farm = build_audit_farm(scratch / "audit-farm", arguments.audit_sectors, probability)
            try:
                measure_audit(farm, arguments.slots, arguments.rounds, summary)
                measure_gather(farm, summary)
            finally:
                farm.close()
                shutil.rmtree(scratch / "audit-farm", ignore_errors=True)
        if not arguments.skip_prove:
            measure_prove_and_verify(arguments, scratch, summary)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        summary.print()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
