"""Farming benchmark: audit, proving, verification and solution size, each next to a limit measured in the same run.

    python benchmarks/farming.py [--audit-sectors N] [--slots N] [--rounds N] [--proof-probability P]
                                 [--prove-pieces N] [--proofs N] [--kzg PATH|dev] [--dir DIR] [--work-dir DIR]
                                 [--skip-audit] [--skip-prove]

  audit    FarmerCore.audit over --slots slots of a farm of --audit-sectors MAINNET-layout sectors (1000 records,
           65 536 s-buckets, ~1 GiB each) filled with random bytes, written through Farm.write_sector. Each
           record's contents bitfield is drawn the way plotting fills it (the first 32 768 s-buckets whose
           challenge has a proof, a proof existing with the probability measured on a real K=20 table), so the
           s-bucket sizes have a real sector's shape. Cold (the farm's pages dropped from the page cache with
           POSIX_FADV_DONTNEED before the pass) and warm, next to a pass of bare os.pread of the same s-buckets
           (same offsets and lengths, same file) in the same cache state: read/audit -> 1 = I/O-bound.
  gather   what proving must read at MAINNET size: locate the candidate in the contents map of a 1000-record
           sector and gather one record (one chunk from each of 32 768 s-buckets) through the farm's mmap,
           cold and warm (the DEV sectors proved below are 4 MiB and always cached).
  prove    FarmerCore.prove on a real DEV farm (K=20 chia tables, 1 MiB records, --prove-pieces pieces plotted
           from one archived segment), broken down into locate, record read, table, recover, intt and witness;
           next to the table build alone (the floor no proof can beat) and the block authoring deadline
           (block_authoring_delay slots = 4 s).
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
from py_arkworks_bls12381 import G1Point, Scalar

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.farming.farm import PLOT_FILE, Farm
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.actors.messages import FarmingSlot
from autonomys.actors.plotting.plotter import LocalRecordEncoder, Plotter
from autonomys.kernels import pos
from autonomys.protocol.archiving.pieces import compute_piece_segment_index
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.farming.proving import compute_record_polynomial, locate_candidate
from autonomys.protocol.farming.solutions import (
    AuditCandidate,
    Solution,
    audit_s_bucket,
    compute_audit_target,
    compute_solution_piece_index,
    derive_slot_challenge,
    verify_solution,
)
from autonomys.protocol.params import DEV, MAINNET, Params
from autonomys.protocol.plotting.encoding import EncodedRecord, new_pos_table, write_sector
from autonomys.protocol.plotting.reading import read_encoded_record, read_record_metadata, recover_extended_record
from autonomys.protocol.plotting.sectors import (
    RecordMetadata,
    compute_s_bucket_size_values,
    compute_sector_metadata_size,
    compute_sector_size,
    derive_evaluation_seed,
)

TIB = 1 << 40
# Audit ranges: a chunk is a candidate with probability range / 2^64 (1 in 1000 for a vote: ~0.5 per sector per slot).
AUDIT_SOLUTION_RANGE = U64_MAX // 10_000
AUDIT_VOTING_RANGE = U64_MAX // 1_000
PROBABILITY_BITS = 16  # precision of the per-s-bucket proof probability used to draw bitfields


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


def measure_gather(farm: Farm, summary: Summary) -> tuple[float, float]:
    """Locate a candidate and gather its record out of a 1000-record sector through the mmap, cold then warm."""
    params = farm.params
    metadata = farm.sector_metadata(0)
    sizes = compute_s_bucket_size_values(metadata)
    s_bucket = next(s for s in range(len(sizes)) if sizes[s] > 0)
    descriptor = os.open(farm.path / PLOT_FILE, os.O_RDONLY)
    try:
        drop_cache(descriptor)  # before the farm maps anything: mapped pages would stay cached
    finally:
        os.close(descriptor)
    figures = {}
    for state in ("cold", "warm"):
        view = farm.sector_view(0)
        try:
            locate, (piece_offset, _) = timed(
                lambda v=view: locate_candidate(v, metadata, s_bucket, AuditCandidate(0, 0), params)
            )
            gather, _ = timed(lambda v=view, p=piece_offset: (read_encoded_record(v, metadata, p, params),
                                                              read_record_metadata(v, metadata, p, params)))  # fmt: skip
        finally:
            view.release()
        figures[state] = (locate, gather)
        print(
            f"gather   {state}: 1000-record sector: locate the candidate (contents map) {ms(locate)}, gather its "
            f"record (32 768 chunks) {ms(gather)}"
        )
    cold, warm = figures["cold"], figures["warm"]
    summary.add(
        "MAINNET proving reads: locate + gather one record, cold",
        ms(sum(cold)),
        f"warm {ms(sum(warm))}",
        f"cold/warm = {sum(cold) / sum(warm):.1f}",
    )
    return sum(cold), sum(warm)


# ---- proving and verification on a real DEV farm ----


def prove_breakdown(
    farm: Farm, core: FarmerCore, sector, candidate: AuditCandidate, table
) -> tuple[dict[str, float], bytes, float]:
    """prove_candidate's steps timed one by one (same functions, same order): (seconds by step, witness, and the
    proof hashes for every challenge that recover computes first, timed again on their own)."""
    params, kzg = core.params, core.kzg
    entry = sector.entry
    steps: dict[str, float] = {}
    view = farm.sector_view(entry.sector_index)
    try:
        steps["locate"], (piece_offset, _) = timed(
            lambda: locate_candidate(view, entry.metadata, sector.s_bucket, candidate, params)
        )
        steps["read record"], (encoded, _) = timed(lambda: (read_encoded_record(view, entry.metadata, piece_offset, params),
                                                            read_record_metadata(view, entry.metadata, piece_offset, params)))  # fmt: skip
        steps["table"], _ = timed(lambda: table.generate(derive_evaluation_seed(entry.sector_id, piece_offset)))
        steps["recover"], extended = timed(lambda: recover_extended_record(encoded, table, params))
        hashes, _ = timed(lambda: table.proof_hashes(params.num_s_buckets))
        steps["find proof"], _ = timed(lambda: table.find_proof(sector.s_bucket))
        steps["intt"], polynomial = timed(lambda: compute_record_polynomial(extended, params))
        steps["witness"], witness = timed(lambda: kzg.create_witness(polynomial, params.num_s_buckets, sector.s_bucket))
    finally:
        view.release()
    return steps, witness, hashes


def measure_prove_and_verify(
    arguments: argparse.Namespace, scratch: Path, summary: Summary, gather: tuple[float, float] | None
) -> None:
    params = dataclasses.replace(DEV, max_pieces_in_sector=arguments.prove_pieces)
    setup = setup_for(params.record_num_chunks, None if arguments.kzg == "dev" else arguments.kzg)
    seconds, kzg = timed(lambda: load_kzg(setup))
    print(
        f"setup    {kzg.label} ({'INSECURE dev' if kzg.insecure else 'ceremony'}), loaded in {seconds:.1f} s",
        flush=True,
    )
    history = prepare_history(arguments.work_dir, setup, "dev" if kzg.insecure else "ceremony", params)
    farm = None
    try:
        size = compute_sector_size(params.max_pieces_in_sector, params) + compute_sector_metadata_size(params) + 64
        farm = Farm.create_or_open(scratch / "dev-farm", size, params)
        plotter = Plotter(farm, history, history, LocalRecordEncoder(params, setup, threads=os.cpu_count() or 1))
        seconds, _ = timed(lambda: plotter.plot_sector(0, history.history_size()))
        print(
            f"plot     DEV sector of {params.max_pieces_in_sector} pieces (piece checks + K=20 tables, "
            f"{os.cpu_count()} threads): {seconds:.1f} s",
            flush=True,
        )

        core = FarmerCore(farm, kzg, bytes(range(32)), "bench")
        table = new_pos_table(params)
        table.generate(bytes(32))  # warm the allocation, as the farmer's own table is after its first proof
        proven = []  # (slot, solution bytes, s_bucket, total seconds, steps, proof hashes seconds)
        generator = random.Random(9)
        slot_number = 0
        while len(proven) < arguments.proofs and slot_number < 50 * arguments.proofs:
            slot_number += 1
            slot = FarmingSlot(slot_number, generator.randbytes(16), U64_MAX, U64_MAX)
            report = core.audit(slot)
            for sector, candidate in report.ranked()[:3]:
                total, solution = timed(lambda s=sector, c=candidate, f=slot: core.prove(f, s, c))
                if solution is None:
                    continue  # an unencoded chunk: cannot win
                steps, witness, hashes = prove_breakdown(farm, core, sector, candidate, table)
                if witness != Solution.from_bytes(solution.solution).chunk_witness:
                    raise SystemExit("the timed breakdown does not reproduce the solution's witness")
                proven.append((slot, solution.solution, sector.s_bucket, total, steps, hashes))
                print(
                    f"prove    slot {slot_number}: {ms(total)} ("
                    + ", ".join(f"{k} {ms(v)}" for k, v in steps.items())
                    + ")",
                    flush=True,
                )
                break
        if not proven:
            raise SystemExit("no solution found")

        totals = [entry[3] for entry in proven]
        steps = {key: median(entry[4][key] for entry in proven) for key in proven[0][4]}
        prove = median(totals)
        table_seconds = steps["table"]
        deadline = params.block_authoring_delay * params.slot_duration_ms / 1000
        other = median(entry[3] - sum(entry[4].values()) for entry in proven)
        hashes = median(entry[5] for entry in proven)
        draw = random.Random(4)
        scalars = [Scalar(draw.getrandbits(250)) for _ in range(params.record_num_chunks)]
        points = kzg.g1_powers[: params.record_num_chunks]
        msm = median(timed(lambda: G1Point.multiexp_unchecked(points, scalars))[0] for _ in range(3))
        print(
            f"prove    median of {len(proven)}: {ms(prove)}; table {ms(table_seconds)} -> table/prove = "
            f"{table_seconds / prove:.2f}; deadline {deadline:.0f} s -> prove/deadline = {prove / deadline:.2f}"
        )
        print(
            "         steps (medians): "
            + ", ".join(f"{key} {ms(value)}" for key, value in steps.items())
            + f" (proof hashes inside recover {ms(hashes)}); prove minus its steps (checksum, Solution, mmap; noise) "
            + ms(other)
        )
        print(
            f"         witness {ms(steps['witness'])} vs one bare MSM of 2^15 points {ms(msm)} -> "
            f"msm/witness = {msm / steps['witness']:.2f}"
        )
        summary.add(
            "prove (FarmerCore.prove, DEV sector, K=20, 1 MiB records)",
            ms(prove),
            f"table build alone {ms(table_seconds)}",
            f"table/prove = **{table_seconds / prove:.2f}**",
        )
        summary.add(
            "prove",
            ms(prove),
            f"block authoring deadline {deadline:.0f} s",
            f"prove/deadline = **{prove / deadline:.2f}**",
        )
        summary.add("prove steps: locate + read record", ms(steps["locate"] + steps["read record"]), "", "")
        summary.add(
            "prove steps: recover (proof hashes + unmask + erasure recovery)",
            ms(steps["recover"]),
            f"of which proof hashes {ms(hashes)}",
            "",
        )
        summary.add(
            "prove steps: intt + witness",
            f"{ms(steps['intt'])} + {ms(steps['witness'])}",
            f"bare 2^15 MSM {ms(msm)}",
            f"msm/witness = {msm / steps['witness']:.2f}",
        )
        if gather is not None:
            compute = prove - steps["locate"] - steps["read record"]
            cold, warm = compute + gather[0], compute + gather[1]
            print(
                f"         MAINNET estimate (this prove with the 1000-record reads measured above): sector cached "
                f"{ms(warm)}, cold {ms(cold)} -> prove/deadline = {warm / deadline:.2f} / {cold / deadline:.2f}"
            )
            summary.add(
                "prove at MAINNET size, estimate (cached / cold sector)",
                f"{ms(warm)} / {ms(cold)}",
                f"block authoring deadline {deadline:.0f} s",
                f"prove/deadline = {warm / deadline:.2f} / {cold / deadline:.2f}",
            )
        measure_verify(proven, kzg, history, params, summary)
    finally:
        if farm is not None:
            farm.close()
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
    parser.add_argument("--proofs", type=int, default=7, help="solutions proved and verified")
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
    gather = None
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
                gather = measure_gather(farm, summary)
            finally:
                farm.close()
                shutil.rmtree(scratch / "audit-farm", ignore_errors=True)
        if not arguments.skip_prove:
            measure_prove_and_verify(arguments, scratch, summary, gather)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        summary.print()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
