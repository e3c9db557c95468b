"""Devnet benchmark: block import, the slot rate the network keeps up with, and audits within the slot.

    python benchmarks/devnet.py [--farmers 1,2] [--sectors N] [--durations 200,150,100,50,25] [--slots N]
                                [--import-blocks N] [--dev-blocks N] [--dev-pieces N] [--kzg PATH|dev]
                                [--work-dir DIR] [--skip-import] [--skip-dev] [--skip-ray]

  work     a MINIMAL chain authored in this process with the devnet's ranges (a block in 1/6 of slots, votes
           in 10x that range): each slot every farmer audits and proves every candidate in the voting range,
           the node keeps votes, checks and signs them into the next block and imports its own block. The
           farmers' and the node's time per slot is the work the one core the timekeeper leaves must do:
           1 / (work per slot) is the most slots per second that core can keep up with.
  import   Node.import_block of those blocks (with their votes) and of DEV blocks (K=20 chia proof, 1 MiB
           records; no votes: each would cost another 1.5 s proof) in fresh follower nodes on RocksDB, as
           NodeService runs them, broken into decode, seal check, solution verification (verify_solution of
           the block's solution and of every vote, with the piece checks), the block write and the rest (state
           transition, roots, vote signatures, fork choice). Floor: verify_solution of the same solutions alone;
           ratio floor/import. The DEV sector (--dev-pieces pieces) is plotted from one archived MAINNET-size
           segment cached in --work-dir, shared with benchmarks/farming.py (~1.5 min to archive the first time).
  audit    FarmerCore.audit of every MINIMAL farm over 2000 slots in this process, next to each slot duration
           (the share of slots whose audit fits in the slot; with several farmers, the slowest of them in that
           slot, since each farmer audits in its own process).
  ray      a real local Ray instance built through network/compose.py: timekeeper + node + 1, then 2 farmer
           actors (MINIMAL farms of --sectors sectors, plotted beforehand in this process), at each slot
           duration of --durations (PoT slot iterations from this CPU's measured AES rate), --slots slots
           each. Limit: the slots the timekeeper proved. Reported: slots/s achieved (against the target
           1/duration), slots audited by every farmer / slots proven (>= 99 % passes; a lower bound when
           several farmers miss slots), each farmer's audited / (audited + skipped) (a slot never counted
           was not delivered in order), audit times sampled from FarmerStatus against the slot, and blocks
           per 100 slots against the 1/6 the solution range is set for, with the votes they carry.

Everything is written under one temp dir, deleted on exit (Ray keeps its own session logs in /tmp/ray).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_common import CEREMONY, Summary, ms, percentile, timed
from devnet_import import (
    BLOCK_PROBABILITY,
    ENDOWMENT,
    PARAMS,
    encoded_density,
    measure_dev_imports,
    measure_minimal_imports,
    minimal_history,
    plot_farm,
    solution_range_for,
)

from autonomys.actors.clock import MonotonicClock
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.kzg_setup import setup_for
from autonomys.actors.messages import FarmingSlot
from autonomys.actors.timekeeper.calibration import measure_chain_rate
from autonomys.protocol.consensus.chain_blocks import Block
from autonomys.protocol.consensus.chain_state import genesis_state
from autonomys.protocol.constants import POT_ITERATIONS_MULTIPLE
from autonomys.protocol.farming.solution_range import compute_voting_solution_range
from autonomys.protocol.farming.solutions import compute_proof_of_space_size
from autonomys.protocol.params import DEV

AUDIT_SLOTS = 2000
POLL_SECONDS = 0.2
PASS_SHARE = 0.99


# ---- audits in this process ----


def measure_audits(
    farms: list[Path], encoded: list[float], durations: list[float], summary: Summary
) -> dict[int, float]:
    """Per slot audit seconds of every farm (FarmerCore.audit, no KZG); returns mean per farmer count."""
    generator = random.Random(3)
    solution_range = solution_range_for(encoded)
    slots = [FarmingSlot(slot, generator.randbytes(16), solution_range, compute_voting_solution_range(solution_range))
             for slot in range(1, AUDIT_SLOTS + 1)]  # fmt: skip
    times: list[list[float]] = []
    for path in farms:
        with Farm.open(path) as farm:
            core = FarmerCore(farm, None, bytes(32), "bench")
            for slot in slots[:50]:
                core.audit(slot)  # warm
            times.append([core.audit(slot).seconds for slot in slots])
    means = {}
    for count in range(1, len(farms) + 1):
        slowest = [max(column) for column in zip(*times[:count], strict=True)]
        means[count] = statistics.fmean(slowest)
        shares = ", ".join(f"{d * 1e3:g} ms {sum(1 for t in slowest if t <= d) / len(slowest):.2%}" for d in durations)
        print(
            f"audit    {count} farm(s), slowest farm per slot over {AUDIT_SLOTS} slots: mean {ms(means[count])}, "
            f"p99 {ms(percentile(slowest, 0.99))}, max {ms(max(slowest))}; within the slot: {shares}"
        )
        fastest = min(durations)
        summary.add(
            f"audit in-process, {count} farmer(s), slowest per slot",
            f"mean {ms(means[count])}, p99 {ms(percentile(slowest, 0.99))}, max {ms(max(slowest))}",
            f"{fastest * 1e3:g} ms slot",
            f"max/slot = {max(slowest) / fastest:.3f}; within: {sum(1 for t in slowest if t <= fastest) / len(slowest):.2%}",
        )
    sys.stdout.flush()
    return means


# ---- the network on Ray ----


@dataclasses.dataclass
class RunResult:
    farmers: int
    duration: float
    iterations: int
    proven: int
    rate: float
    node_seen: int
    audited: list[int]
    skipped: list[int]
    mean_audit: list[float]
    samples: list[float]
    blocks: int
    votes: int
    expected_per_100: float
    rejected: int
    errors: list[str]

    @property
    def every_farmer(self) -> float:
        """Slots audited by every farmer / slots proven (a lower bound without per-slot records: each farmer's
        missed slots are assumed to be different slots)."""
        missed = sum(self.proven - audited for audited in self.audited)
        return max(0, self.proven - missed) / self.proven if self.proven else 0.0


def ray_run(spec, run: str, farms: list[Path], keys: list[bytes], encoded: list[float], headers: list,
            duration: float, iterations: int, slots: int, scratch: Path) -> RunResult:  # fmt: skip
    from autonomys.actors.consensus.node_service import NodeConfig
    from autonomys.actors.farming.farmer import FarmerConfig
    from autonomys.actors.timekeeper.service import TimekeeperConfig
    from autonomys.network.compose import create_farmer, create_node, create_timekeeper

    count = len(farms)
    data = scratch / f"run-{run}"
    data.mkdir(parents=True)
    solution_range = solution_range_for(encoded)
    genesis = genesis_state(
        PARAMS, endowments=dict.fromkeys(keys, ENDOWMENT), solution_range=solution_range,
        pot_slot_iterations=iterations, segment_headers=headers,
    )  # fmt: skip
    names = [f"farmer{i}-{run}" for i in range(count)]
    node_name = f"node-{run}"
    actors = []
    try:
        farmers = [
            create_farmer(spec, FarmerConfig(str(path), farm_id=name), name=name)
            for path, name in zip(farms, names, strict=True)
        ]
        actors += farmers
        node = create_node(
            spec,
            NodeConfig(str(data), PARAMS, genesis, name=node_name, farmers=tuple(names)),
            name=node_name,
        )
        actors.append(node)
        timekeeper = create_timekeeper(
            spec, TimekeeperConfig(str(data), PARAMS.with_slot_iterations(iterations), os.urandom(16), autostart=False),
            name=f"timekeeper-{run}",
        )  # fmt: skip
        actors.append(timekeeper)
        for actor in actors:
            actor.ready(timeout=120)
        for farmer in farmers:
            farmer.subscribe_solutions(node_name)
        timekeeper.subscribe(node_name)
        first = timekeeper.status().next_slot

        timekeeper.handle.start.remote()
        samples: list[float] = []
        marks: list[tuple[float, int]] = []
        deadline = time.monotonic() + max(60.0, slots * duration * 4)
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            proven = timekeeper.status().slots_proven_since_start
            marks.append((time.perf_counter(), proven))
            for farmer in farmers:
                status = farmer.status()
                if status.slots_audited:
                    samples.append(status.last_audit_seconds)
            if proven >= slots:
                break
        timekeeper.stop(timeout=60)
        final = timekeeper.status()
        last = final.next_slot - 1
        # Let the node and the farmers finish the slots already sent (or show that they cannot).
        previous = None
        drain_deadline = time.monotonic() + 10
        while time.monotonic() < drain_deadline:
            node_status = node.status()
            statuses = [farmer.status() for farmer in farmers]
            seen = tuple(s.slots_audited + s.slots_skipped for s in statuses)
            if node_status.current_slot >= last and seen == previous:
                break
            previous = seen
            time.sleep(0.5)
        proof_size = compute_proof_of_space_size(PARAMS)
        votes = sum(len(Block.from_bytes(data, proof_size).votes) for data in node.canonical_blocks(timeout=120))
        (t0, p0), (t1, p1) = marks[0], marks[-1]
        return RunResult(
            farmers=count, duration=duration, iterations=iterations, proven=final.slots_proven_since_start,
            rate=(p1 - p0) / (t1 - t0) if t1 > t0 else 0.0, node_seen=node_status.current_slot - first + 1,
            audited=[s.slots_audited for s in statuses], skipped=[s.slots_skipped for s in statuses],
            mean_audit=[s.mean_audit_seconds for s in statuses], samples=samples,
            blocks=node_status.blocks_authored, votes=votes, expected_per_100=100 * BLOCK_PROBABILITY,
            rejected=node_status.blocks_rejected,
            errors=[e for e in (node_status.last_error, final.last_error, *(s.last_error for s in statuses)) if e],
        )  # fmt: skip
    finally:
        for actor in reversed(actors):
            with contextlib.suppress(Exception):
                actor.shutdown(timeout=30)
            with contextlib.suppress(Exception):
                actor.kill(restart=False)


def report_run(result: RunResult, summary: Summary) -> None:
    duration = result.duration
    target = 1 / duration
    audited = ", ".join(
        f"farmer {i}: {a}/{a + s} audited/received ({a / result.proven:.1%} of proven)"
        for i, (a, s) in enumerate(zip(result.audited, result.skipped, strict=True))
    )
    mean = max(result.mean_audit)
    sampled_max = max(result.samples, default=0.0)
    within = sum(1 for t in result.samples if t <= duration) / len(result.samples) if result.samples else 0.0
    per_100 = 100 * result.blocks / result.proven if result.proven else 0.0
    plural = "s" if result.farmers > 1 else ""
    print(
        f"ray      {result.farmers} farmer{plural}, {duration * 1e3:g} ms slots ({result.iterations:,} iterations): "
        f"{result.proven} slots proven at {result.rate:.1f} slots/s (target {target:.1f} -> {result.rate / target:.2f}); "
        f"node saw {result.node_seen}; {audited} -> every farmer/proven = {result.every_farmer:.3f}",
        flush=True,
    )
    print(
        f"         audit mean {ms(mean)}, {len(result.samples)} sampled: max {ms(sampled_max)} -> mean/slot = "
        f"{mean / duration:.4f}, sampled within the slot {within:.1%}; blocks {result.blocks} = {per_100:.1f} per 100 "
        f"slots (expected {result.expected_per_100:.1f} -> {per_100 / result.expected_per_100:.2f}), "
        f"{result.votes / max(1, result.blocks):.1f} votes per block"
        + (f"; rejected {result.rejected}" if result.rejected else "")
        + (f"; errors: {result.errors}" if result.errors else ""),
        flush=True,
    )
    what = f"devnet, {result.farmers} farmer{plural}, {duration * 1e3:g} ms slots"
    summary.add(
        what,
        f"{result.rate:.1f} slots/s ({result.rate / target:.2f} of target); audited by every farmer "
        f"{result.every_farmer:.1%}",
        f"PoT: {result.proven} slots proven",
        f"audited/proven = **{result.every_farmer:.3f}**",
    )
    summary.add(
        f"  audit within the slot ({duration * 1e3:g} ms)",
        f"mean {ms(mean)}, sampled max {ms(sampled_max)} ({within:.0%} of {len(result.samples)} samples within)",
        f"slot {duration * 1e3:g} ms",
        f"mean/slot = {mean / duration:.4f}",
    )
    summary.add(
        "  blocks per 100 slots",
        f"{per_100:.1f} ({result.blocks} blocks, {result.votes / max(1, result.blocks):.1f} votes each)",
        f"expected {result.expected_per_100:.1f}",
        f"{per_100 / result.expected_per_100:.2f}",
    )


def measure_ray(arguments: argparse.Namespace, farms: list[Path], encoded: list[float], headers: list,
                scratch: Path, summary: Summary, work: float | None) -> None:  # fmt: skip
    """`work`: seconds of farmer and node work per slot measured in this process (None when not measured)."""
    from autonomys.network.runtime import local_ray
    from autonomys.network.spec import ClusterSpec

    rate = measure_chain_rate(MonotonicClock())
    print(f"ray      AES chain rate here {rate / 1e6:.1f} M it/s (slot iterations = rate x duration)", flush=True)
    keys = []
    for path in farms:
        with Farm.open(path) as farm:
            keys.append(farm.identity.public_key)
    spec = ClusterSpec(preset=PARAMS.name, namespace=f"devnet-bench-{uuid.uuid4().hex[:8]}")
    results: list[RunResult] = []
    started = time.perf_counter()
    with local_ray(spec, num_cpus=2, farms=max(arguments.farmers)):
        print(f"         local Ray up in {time.perf_counter() - started:.1f} s", flush=True)
        for count in arguments.farmers:
            for index, duration in enumerate(arguments.durations):
                iterations = max(
                    POT_ITERATIONS_MULTIPLE, int(rate * duration) // POT_ITERATIONS_MULTIPLE * POT_ITERATIONS_MULTIPLE
                )
                result = ray_run(spec, f"{count}f{index}", farms[:count], keys[:count], encoded[:count], headers,
                                 duration, iterations, arguments.slots, scratch)  # fmt: skip
                report_run(result, summary)
                results.append(result)
    for count in arguments.farmers:
        passing = [r for r in results if r.farmers == count and r.every_farmer >= PASS_SHARE]
        plural = "s" if count > 1 else ""
        if passing:
            best = min(passing, key=lambda r: r.duration)
            print(f"ray      {count} farmer{plural}: fastest slot with >= {PASS_SHARE:.0%} of slots audited by every "
                  f"farmer: {best.duration * 1e3:g} ms ({best.rate:.1f} slots/s achieved)")  # fmt: skip
            summary.add(
                f"fastest slot kept up with, {count} farmer{plural} (>= {PASS_SHARE:.0%} audited)",
                f"**{best.duration * 1e3:g} ms = {best.rate:.1f} slots/s**",
                f"tested down to {min(arguments.durations) * 1e3:g} ms"
                + (f"; one core's work bound {1 / work:.0f} slots/s" if work else ""),
                f"audited/proven = {best.every_farmer:.3f}",
            )
        else:
            print(f"ray      {count} farmer{plural}: no tested slot duration kept >= {PASS_SHARE:.0%} audited")
            summary.add(f"fastest slot kept up with, {count} farmer{plural}", "none of the tested durations", "", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--farmers", default="1,2", help="farmer counts to run on Ray, comma separated")
    parser.add_argument("--sectors", type=int, default=4, help="MINIMAL sectors (8 pieces each) per farm")
    parser.add_argument("--durations", default="200,150,100,50,25", help="slot durations to try, ms, comma separated")
    parser.add_argument("--slots", type=int, default=300, help="slots proven per Ray run")
    parser.add_argument("--import-blocks", type=int, default=20, help="MINIMAL blocks authored and imported")
    parser.add_argument("--dev-blocks", type=int, default=3, help="DEV blocks authored (one K=20 proof each, ~1.5 s)")
    parser.add_argument("--dev-pieces", type=int, default=2, help="pieces in the DEV sector")
    parser.add_argument(
        "--kzg",
        default=str(CEREMONY) if CEREMONY.exists() else "dev",
        help="KZG setup for DEV blocks: the ceremony file (default when present) or 'dev' (insecure, cached)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "autonomys-bench-farming",
        help="cache for the archived MAINNET-size segment (shared with benchmarks/farming.py, kept)",
    )
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-dev", action="store_true", help="MINIMAL blocks only in the import benchmark")
    parser.add_argument("--skip-ray", action="store_true")
    arguments = parser.parse_args()
    try:
        arguments.farmers = sorted({int(value) for value in arguments.farmers.split(",")})
        arguments.durations = sorted({float(value) / 1000 for value in arguments.durations.split(",")}, reverse=True)
    except ValueError:
        parser.error("--farmers and --durations take comma-separated numbers")
    if not arguments.farmers or min(arguments.farmers) < 1 or not arguments.durations or min(arguments.durations) <= 0:
        parser.error("--farmers must be >= 1 and --durations > 0")
    if arguments.sectors < 1 or arguments.slots < 10 or not 1 <= arguments.dev_pieces <= DEV.max_pieces_in_sector:
        parser.error(f"--sectors >= 1, --slots >= 10, --dev-pieces in 1..{DEV.max_pieces_in_sector}")
    os.environ["RAY_AUTH_MODE"] = "disabled"  # a private loopback instance: token auth guards shared clusters

    scratch = Path(tempfile.mkdtemp(prefix="autonomys-bench-devnet-"))
    farm_count = max(arguments.farmers + [2])
    print(f"CPUs: {os.cpu_count()}; scratch {scratch}; {farm_count} MINIMAL farms of {arguments.sectors} sectors "
          f"({arguments.sectors * PARAMS.max_pieces_in_sector} pieces each)", flush=True)  # fmt: skip
    summary = Summary()
    work = None
    try:
        setup = setup_for(PARAMS.record_num_chunks)
        seconds, history = timed(lambda: minimal_history(scratch / "history", setup))
        farms = [scratch / f"farm{i}" for i in range(farm_count)]
        plotted, _ = timed(lambda: [plot_farm(path, history, setup, arguments.sectors) for path in farms])
        encoded = [encoded_density(path) for path in farms]
        print(f"setup    MINIMAL history (2 segments) {seconds:.1f} s; {farm_count} farms plotted in {plotted:.1f} s; "
              f"encoded chunks per audited s-bucket: {', '.join(f'{e:.1f}' for e in encoded)}", flush=True)  # fmt: skip
        if not arguments.skip_import:
            count = max(arguments.farmers)
            work = measure_minimal_imports(
                farms[:count], encoded[:count], history, setup, arguments.import_blocks, scratch, summary
            )
            if not arguments.skip_dev:
                measure_dev_imports(arguments, scratch, summary)
        measure_audits(farms[: max(arguments.farmers)], encoded, arguments.durations, summary)
        if not arguments.skip_ray:
            measure_ray(arguments, farms, encoded, history.archiver.segment_headers(), scratch, summary, work)
    finally:
        with contextlib.suppress(Exception):
            import ray

            if ray.is_initialized():
                ray.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)
        summary.print()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
