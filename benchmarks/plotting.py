"""Plotting benchmark at MAINNET sizes, each figure next to a limit measured in the same run.

    python benchmarks/plotting.py [--pieces N] [--setup PATH] [--work-dir DIR] [--skip-sector] [--skip-chiapos]

  table     one K=20 chia table build on one core, next to its hashing floor (the ChaCha8 keystream
            and the BLAKE3 compressions the same table needs, run through the kernel's own primitives)
  threads   two table builds on two threads at once (the GIL is released): speed-up over one
  record    one record encoded (table + proofs for 65 536 s-buckets + extension and masking),
            next to the table build alone
  verify    is_piece_valid of one piece (every downloaded piece is checked before it is plotted)
  sector    a sector of --pieces pieces (1000 = MAINNET) plotted from one archived MAINNET segment
            on Ray with 1 and with 2 plotting workers: seconds, and the speed-up against 2x
  chiapos   Chia's own plotter building a k=20 plot (install chiapos for the benchmark only:
            `pip install chiapos`); the peer reference for the table build
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_common import CEREMONY, timed

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.farming.farm import Farm
from autonomys.actors.kzg_setup import KzgSetup, load_kzg, setup_for
from autonomys.actors.plotting.plotter import Plotter
from autonomys.kernels import pos
from autonomys.protocol.archiving.archived_segment import is_piece_valid, split_piece
from autonomys.protocol.params import MAINNET
from autonomys.protocol.plotting.encoding import encode_record
from autonomys.protocol.plotting.sectors import compute_sector_metadata_size, compute_sector_size

PARAMS = MAINNET
K = PARAMS.pos_k


def median_of(runs: int, function) -> float:
    return statistics.median(timed(function)[0] for _ in range(runs))


def seeds(count: int) -> list[bytes]:
    generator = random.Random(5)
    return [generator.randbytes(32) for _ in range(count)]


def measure_table(runs: int) -> float:
    table = pos.PosTable(k=K)
    table.generate(seeds(1)[0])  # warm the allocation
    return statistics.median(timed(lambda s=seed: table.generate(s))[0] for seed in seeds(runs))


def measure_floor() -> float | None:
    """The table's irreducible hashing, if the kernel exposes its primitives (see kernels/pos.py)."""
    floor = getattr(pos, "hashing_floor_seconds", None)
    return None if floor is None else floor(K)


def measure_threads(single: float) -> float:
    tables = [pos.PosTable(k=K), pos.PosTable(k=K)]
    for table in tables:
        table.generate(seeds(1)[0])
    workers = [threading.Thread(target=table.generate, args=(seed,)) for table, seed in zip(tables, seeds(2), strict=True)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return 2 * single / (time.perf_counter() - started)


def measure_record(table_seconds: float) -> tuple[float, float, float]:
    """(proof hashes for every s-bucket, extension and masking, whole record) in seconds."""
    table = pos.PosTable(k=K)
    table.generate(seeds(1)[0])
    record = random.Random(6).randbytes(PARAMS.record_size)
    record = b"".join(b"\0" + record[i + 1 : i + 32] for i in range(0, len(record), 32))  # canonical scalars
    hashes = median_of(3, lambda: table.proof_hashes(PARAMS.num_s_buckets))
    encode = median_of(3, lambda: encode_record(record, table, PARAMS)) - hashes
    return hashes, encode, table_seconds + hashes + encode


def prepare_history(work_dir: Path, setup: KzgSetup) -> ArchiveHistory:
    from autonomys.network.synth import synthesize_history

    if not (work_dir / "network" / "archiver").exists():
        print("archiving one MAINNET segment for the sector benchmark (cached in --work-dir)…", flush=True)
        synthesize_history(work_dir / "network", "mainnet", setup, 1)
    return ArchiveHistory(work_dir / "network", PARAMS)


def measure_verify(history: ArchiveHistory, setup: KzgSetup) -> float:
    kzg = load_kzg(setup)
    piece = history.get_piece(3)
    commitment = history.segment_commitment(0)
    seconds, valid = timed(lambda: is_piece_valid(kzg, piece, commitment, 3, PARAMS))
    assert valid and len(split_piece(piece, PARAMS)[0]) == PARAMS.record_size
    return seconds


def measure_sector(history: ArchiveHistory, setup: KzgSetup, pieces: int, workers: int, work_dir: Path) -> float:
    from autonomys.network.compose import create_record_encoder
    from autonomys.network.runtime import local_ray
    from autonomys.network.spec import ClusterSpec

    params = dataclasses.replace(PARAMS, max_pieces_in_sector=pieces)
    size = compute_sector_size(pieces, params) + compute_sector_metadata_size(params) + 64
    farm_dir = work_dir / f"farm-{workers}"
    shutil.rmtree(farm_dir, ignore_errors=True)
    with local_ray(ClusterSpec(preset="mainnet"), num_cpus=workers, plotting_workers=workers):
        encoder = create_record_encoder(params, setup)
        with Farm._create(farm_dir, size, params) as farm:
            plotter = Plotter(farm, history, history, encoder)
            seconds, _ = timed(lambda: plotter.plot_sector(0, history.history_size()))
    shutil.rmtree(farm_dir, ignore_errors=True)
    return seconds


def measure_chiapos() -> tuple[float, float | None] | None:
    """(whole k=20 plot, its phase 1 = forward propagation, the part comparable to a table build), or None."""
    try:
        import chiapos
    except ImportError:
        return None
    directory = Path(tempfile.mkdtemp(prefix="chiapos-"))
    log = directory / "chiapos.log"
    saved = os.dup(1)
    try:
        sys.stdout.flush()
        with open(log, "wb") as output:
            os.dup2(output.fileno(), 1)  # chiapos prints every bucket to stdout
            seconds, _ = timed(
                lambda: chiapos.DiskPlotter().create_plot_disk(
                    str(directory), str(directory), str(directory), "k20.plot", 20, bytes(range(48)), bytes(range(32)),
                    1024, 32, 8192, 1, False,
                )
            )  # fmt: skip
        os.dup2(saved, 1)
        match = re.search(r"Time for phase 1 = ([0-9.]+) seconds", log.read_text(errors="replace"))
        return seconds, float(match.group(1)) if match else None
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pieces", type=int, default=PARAMS.max_pieces_in_sector, help="pieces in the sector (1000 = MAINNET)")
    parser.add_argument("--setup", default=str(CEREMONY) if CEREMONY.exists() else None)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "autonomys-bench-plotting")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-sector", action="store_true")
    parser.add_argument("--skip-chiapos", action="store_true")
    arguments = parser.parse_args()
    print(f"CPUs: {os.cpu_count()}; K={K}; {PARAMS.num_s_buckets} s-buckets per record")

    table = measure_table(arguments.runs)
    floor = measure_floor()
    against = f"  hashing floor {floor * 1e3:.0f} ms -> floor/table = {floor / table:.2f}" if floor else ""
    print(f"table    one K=20 table, one core          {table * 1e3:8.0f} ms{against}")
    print(f"threads  two tables on two threads          speed-up {measure_threads(table):.2f} (limit 2)")
    hashes, encode, record = measure_record(table)
    print(f"record   one record on one core            {record * 1e3:8.0f} ms  (table {table * 1e3:.0f}, proofs for "
          f"{PARAMS.num_s_buckets} s-buckets {hashes * 1e3:.0f}, extension+masking {encode * 1e3:.0f})"
          f" -> table/record = {table / record:.2f}")
    sys.stdout.flush()

    if not arguments.skip_sector:
        setup = setup_for(PARAMS.record_num_chunks, arguments.setup)
        history = prepare_history(arguments.work_dir, setup)
        verify = measure_verify(history, setup)
        print(f"verify   is_piece_valid, one piece         {verify * 1e3:8.0f} ms")
        one = measure_sector(history, setup, arguments.pieces, 1, arguments.work_dir)
        print(f"sector   {arguments.pieces} pieces, 1 worker             {one:8.1f} s  "
              f"({one / arguments.pieces * 1e3:.0f} ms per record; per record floor table+verify "
              f"{(record + verify) * 1e3:.0f} ms -> {(record + verify) * arguments.pieces / one:.2f})")
        two = measure_sector(history, setup, arguments.pieces, 2, arguments.work_dir)
        print(f"sector   {arguments.pieces} pieces, 2 workers            {two:8.1f} s  -> speed-up {one / two:.2f} (limit 2)")
        if arguments.pieces != 1000:
            print(f"         scaled to 1000 pieces: 1 worker {one * 1000 / arguments.pieces:.0f} s, "
                  f"2 workers {two * 1000 / arguments.pieces:.0f} s")
        history.close()

    if not arguments.skip_chiapos:
        chia = measure_chiapos()
        if chia is None:
            print("chiapos  not installed (pip install chiapos) — peer reference skipped")
        else:
            whole, forward = chia
            print(f"chiapos  k=20 plot, 1 thread               {whole:8.2f} s  (phase 1, forward propagation: {forward} s)")
            if forward is not None:
                print(f"         its forward propagation / our table build = {forward / table:.1f}"
                      " (chiapos also writes and sorts on disk; the rest of its plot compresses the tables)")


if __name__ == "__main__":
    main()
