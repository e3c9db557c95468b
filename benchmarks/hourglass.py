"""The Hourglass margin: an honest proof against farmers who encode on demand, next to the farming deadline.

    python benchmarks/hourglass.py [--records N] [--check N] [--proofs N] [--mainnet-real N] [--kzg PATH|dev]
                                   [--work-dir DIR] [--dir DIR]

The seeds' Hourglass study: a farmer that keeps only the raw history and encodes when challenged must miss the
deadline. Per preset (DEV: a full sector of 32 records; MAINNET: 1000 records):

  honest   FarmerCore.prove on a plotted sector (as benchmarks/farming.py: DEV sector of --proofs candidates;
           MAINNET: the 1000-record sector with --mainnet-real real records; warm and cold page cache).
  pieces   a cheater keeping only the sector's pieces (raw records, as downloaded). Its audit needs the encoded
           chunk of the challenged s-bucket of every record, and whether a record stores one there depends on
           which challenges have proofs: so one K=20 table, proof hashes, extension and masking (encode_piece, the
           plotting work minus the piece check) per record. Method: --records real records of the archived
           history timed one by one, the median multiplied by the sector's record count; --check records encoded
           back to back check the multiplication. Then it proves the winner from its raw record: intt of the
           record (the polynomial) and the KZG witness (its table is the last one built).
  seeds    a cheater keeping only the sector's id and keys: the pieces cost too. Two figures: reading them from a
           local piece cache (the archiver's piece files, measured here) and fetching them from a cache peer
           (BENCHMARKS.md, DSN: L2 raw actor call p50 4.19 ms for a 1 MiB piece, unchecked).

Cheat times are thread CPU seconds (time.thread_time: what a core of its own would take, robust to a shared
machine; the wall time of one encode is printed next to it). Each is compared with the block authoring deadline (block_authoring_delay slots = 4 s): ratio
cheat/deadline, and the cores a cheater needs (cheat single-core time / deadline, perfect parallelism over
records). A cheater must audit every sector every slot (it cannot know it has no candidate without encoding),
so the cores to keep up with every 1 s slot are printed too. The machine is shared: timings are noisy.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench_common import CEREMONY, Summary, median, ms, prepare_history, timed
from proving_bench import find_picks, measure_proofs, plot_farm

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.kernels import fr
from autonomys.protocol.archiving.archived_segment import split_piece
from autonomys.protocol.kzg import Kzg, Polynomial
from autonomys.protocol.params import DEV, MAINNET, Params
from autonomys.protocol.plotting.encoding import encode_piece, new_pos_table
from autonomys.protocol.plotting.sectors import (
    compute_public_key_hash,
    compute_sector_id,
    derive_evaluation_seed,
    derive_piece_index,
)
from autonomys.protocol.types import HistorySize, PieceOffset, SectorIndex

DSN_FETCH_SECONDS = 4.19e-3  # BENCHMARKS.md, DSN: CachePeerLinkHandle.get_piece of a 1 MiB piece, p50 of 200


@dataclasses.dataclass
class CheatCosts:
    """Seconds per record (encode, of which table), per piece read from the local cache, and to prove a winner
    (thread CPU time)."""

    encode: float
    table: float
    local_fetch: float
    winner: float
    check_predicted: float
    check_measured: float
    check_count: int
    encode_cpu: float
    """Thread CPU seconds of one encode: what a core of its own would take on a loaded machine."""


def measure_cheat(history: ArchiveHistory, kzg: Kzg, params: Params, records: int, check: int) -> CheatCosts:
    """Encode `records` real pieces one by one (table alone, then encode_piece), `check` back to back, and prove
    a winner from its raw record."""
    sector_id = compute_sector_id(compute_public_key_hash(bytes(32)), SectorIndex(0), HistorySize(1))
    size = HistorySize(history.history_size())
    indexes = [derive_piece_index(sector_id, PieceOffset(offset), size, params) for offset in range(records + check)]
    fetches, pieces = [], []
    for index in indexes:
        seconds, piece = timed(lambda i=index: history.get_piece(i))
        if piece is None:
            raise SystemExit(f"piece {index} is not in the archived history")
        fetches.append(seconds)
        pieces.append(piece)
    table = new_pos_table(params)
    table.generate(bytes(32))  # the allocation, as a cheater's long-lived table
    tables, encodes, cpu = [], [], []
    for offset, piece in enumerate(pieces[:records]):
        seed = derive_evaluation_seed(sector_id, PieceOffset(offset))
        tables.append(timed(lambda s=seed: table.generate(s))[0])
        started = time.thread_time()
        encodes.append(timed(lambda p=piece, o=offset: encode_piece(p, sector_id, PieceOffset(o), table, params))[0])
        cpu.append(time.thread_time() - started)
    first = encodes[0]
    batch = pieces[records:]
    measured, _ = timed(lambda: [encode_piece(p, sector_id, PieceOffset(records + o), table, params)
                                 for o, p in enumerate(batch)])  # fmt: skip
    record, _, _ = split_piece(pieces[0], params)

    def winner() -> bytes:
        polynomial = Polynomial(fr.intt(record))
        table.find_proof(7)
        return kzg.create_witness(polynomial, params.num_s_buckets, 7, threads=1)

    winner_cpu = []
    for _ in range(2):
        started = time.thread_time()
        winner()
        winner_cpu.append(time.thread_time() - started)
    winner_seconds = median(winner_cpu)
    return CheatCosts(median(encodes), median(tables), median(fetches), winner_seconds, first * len(batch), measured,
                      len(batch), median(cpu))  # fmt: skip


def honest_proofs(
    name: str, path: Path, history, setup, kzg, params: Params, real: int, proofs: int
) -> dict[str, float]:
    """Median FarmerCore.prove, warm and cold, on a plotted sector with `real` real records."""
    offsets = set(sorted(range(0, params.max_pieces_in_sector, max(1, params.max_pieces_in_sector // real)))[:real])
    seconds, farm = timed(lambda: plot_farm(path, history, setup, params, offsets))
    print(f"honest   {name}: plotted {params.max_pieces_in_sector} records ({len(offsets)} real) in {seconds:.1f} s",
          flush=True)  # fmt: skip
    try:
        core = FarmerCore(farm, kzg, bytes(range(32)), "hourglass")
        table = new_pos_table(params)
        picks = find_picks(core, offsets, proofs)
        figures = {}
        for state in ("warm", "cold"):
            times = measure_proofs(core, picks, table, cold=state == "cold")
            figures[state] = median(times.prove)
            print(f"honest   {name} {state}: FarmerCore.prove median of {len(times.prove)} {ms(figures[state])}",
                  flush=True)  # fmt: skip
        return figures
    finally:
        farm.close()
        shutil.rmtree(path, ignore_errors=True)


def report(
    name: str, records: int, honest: dict[str, float], costs: CheatCosts, params: Params, summary: Summary
) -> None:
    deadline = params.block_authoring_delay * params.slot_duration_ms / 1000
    slot = params.slot_duration_ms / 1000
    audit = records * costs.encode_cpu  # CPU time: what dedicated cores would spend, however loaded this machine is
    cheats = {
        "pieces kept": audit + costs.winner,
        "seeds only, local piece cache": audit + costs.winner + records * costs.local_fetch,
        "seeds only, DSN cache peer": audit + costs.winner + records * DSN_FETCH_SECONDS,
    }
    print(
        f"cheat    {name}: {records} records x encode {ms(costs.encode_cpu)} CPU (table alone {ms(costs.table)} wall) = "
        f"{audit:.2f} s to audit one sector; winner proof from the raw record (intt + witness, 1 thread, CPU) "
        f"{ms(costs.winner)}; piece from the local cache {ms(costs.local_fetch)}, from a DSN peer "
        f"{ms(DSN_FETCH_SECONDS)} (quoted)"
    )
    print(
        f"         check: {costs.check_count} records encoded back to back {costs.check_measured:.2f} s, predicted "
        f"from the first alone {costs.check_predicted:.2f} s -> measured/predicted = "
        f"{costs.check_measured / costs.check_predicted:.2f}; one encode's thread CPU time {ms(costs.encode_cpu)} "
        f"(wall {ms(costs.encode)}: wall/CPU = {costs.encode / costs.encode_cpu:.2f}, 1 when the core is not shared)"
    )
    for state, seconds in honest.items():
        print(f"honest   {name} {state}: {seconds:.2f} s -> honest/deadline = {seconds / deadline:.2f}")
        summary.add(f"{name}: honest proof (FarmerCore.prove), {state}", f"{seconds:.2f} s", f"deadline {deadline:.0f} s",
                    f"honest/deadline = **{seconds / deadline:.2f}**")  # fmt: skip
    for what, seconds in cheats.items():
        cores, sustain = seconds / deadline, audit / slot
        print(
            f"cheat    {name}, {what}: {seconds:.1f} s on one core; deadline {deadline:.0f} s -> cheat/deadline = "
            f"{seconds / deadline:.1f}; cores needed {cores:.1f} (to audit every {slot:.0f} s slot: {sustain:.0f})"
        )
        summary.add(f"{name}: cheat, {what}", f"{seconds:.1f} s", f"deadline {deadline:.0f} s",
                    f"cheat/deadline = **{seconds / deadline:.1f}**, cores {cores:.1f} (every slot {sustain:.0f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=3, help="real records encoded one by one (median kept)")
    parser.add_argument("--check", type=int, default=3, help="records encoded back to back to check the multiplication")
    parser.add_argument("--proofs", type=int, default=3, help="honest proofs per preset and cache state")
    parser.add_argument("--mainnet-real", type=int, default=2, help="real records in the MAINNET sector (0: skip it)")
    parser.add_argument("--kzg", default=str(CEREMONY) if CEREMONY.exists() else "dev")
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "autonomys-bench-farming")
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory (default: a new temp dir)")
    arguments = parser.parse_args()
    setup = setup_for(DEV.record_num_chunks, None if arguments.kzg == "dev" else arguments.kzg)
    kzg = load_kzg(setup)
    history = prepare_history(arguments.work_dir, setup, "dev" if kzg.insecure else "ceremony", DEV)
    scratch = Path(tempfile.mkdtemp(prefix="autonomys-bench-hourglass-", dir=arguments.dir))
    print(f"CPUs: {os.cpu_count()}; KZG {kzg.label}; scratch {scratch}", flush=True)
    summary = Summary()
    try:
        costs = measure_cheat(history, kzg, DEV, arguments.records, arguments.check)
        dev_sector = dataclasses.replace(DEV, max_pieces_in_sector=4)
        honest = honest_proofs("DEV", scratch / "dev", history, setup, kzg, dev_sector, 4, arguments.proofs)
        # The honest proof reads one record whatever the sector holds: a 4-record DEV sector stands for a full one.
        report(f"DEV ({DEV.max_pieces_in_sector}-record sector)", DEV.max_pieces_in_sector, honest, costs, DEV, summary)
        honest = {}
        if arguments.mainnet_real > 0:
            honest = honest_proofs("MAINNET", scratch / "mainnet", history, setup, kzg, MAINNET, arguments.mainnet_real,
                                   arguments.proofs)  # fmt: skip
        report(f"MAINNET ({MAINNET.max_pieces_in_sector}-record sector)", MAINNET.max_pieces_in_sector, honest, costs,
               MAINNET, summary)  # fmt: skip
    finally:
        history.close()
        shutil.rmtree(scratch, ignore_errors=True)
        summary.print()


if __name__ == "__main__":
    main()
