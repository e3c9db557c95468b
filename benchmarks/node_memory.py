"""Node memory: resident memory of an in-process MINIMAL Node as its chain grows, with and without pruning.

    python benchmarks/node_memory.py [--checkpoints 1000 10000] [--baseline-blocks 10000] [--store rocksdb]

One node (no Ray) authors every block itself from one small plotted farm (devnet_import's helpers) at a quarter
of the widest solution range (the widest would give blocks no fork weight), so most slots win; each block goes through Node.import_block like a peer's would (its
author imports it: solution, PoT, seal, state transition, store, fork choice). No transactions. Confirmed blocks go
to an archive that produces no segment (`EmptyArchive`): the node's archived point advances as with a real
archiver, which is what prunes, while the history (and so the farm's sector, and the archiver's own memory) stays
as at genesis.

At each checkpoint: VmRSS (/proc/self/status, after a gc), the block tree's size (blocks whose state is held in
memory), PoT outputs held, and the node's RocksDB memtables (rocksdb.cur-size-all-mem-tables: written data not yet
flushed, which RocksDB bounds by its write buffers, not a leak). The same run with NodeLimits(prune=False) is
the baseline: the node as it was, keeping every state and every PoT output.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_common import timed
from devnet_import import PARAMS, minimal_history, output_of, plot_farm

from autonomys.actors.consensus.node import Node, NodeLimits
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.actors.storage import KVStore, MemoryKVStore, RocksKVStore
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.chain_state import ChainState, genesis_state
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.kzg import Kzg

SECTORS = 2
SOLUTION_RANGE = U64_MAX // 4
"""Most slots' nearest chunk wins; a block's fork weight is U64_MAX minus the range, so it must stay below it."""


class EmptyArchive:
    """An archiver whose segments never fill: it takes confirmed blocks and produces no segment header."""

    def on_confirmed_block(self, number: int, block: bytes) -> list[SegmentHeader]:
        return []

    def segment_headers_for_block(self, number: int) -> list[SegmentHeader]:
        return []

    def object_mapping(self, object_hash: bytes) -> None:
        return None


def rss_mib() -> float:
    gc.collect()
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def memtables_mib(store: KVStore) -> float:
    """RocksDB's unflushed writes (0 for a store in memory: its whole content is in VmRSS)."""
    if not isinstance(store, RocksKVStore):
        return 0.0
    return store._db.property_int_value("rocksdb.cur-size-all-mem-tables") / 2**20  # noqa: SLF001 - a measurement


@dataclass(frozen=True, slots=True)
class Checkpoint:
    blocks: int
    seconds: float
    rss_mib: float
    memtables_mib: float
    tree_blocks: int
    pot_outputs: int


class World:
    """A node authoring from one farm, archiving into an EmptyArchive."""

    def __init__(self, farm_path: Path, genesis: ChainState, kzg: Kzg, store: KVStore, limits: NodeLimits) -> None:
        farm = Farm.open(farm_path)
        self.farm = farm
        self.core = FarmerCore(farm, kzg, farm.identity.public_key, "memory")
        self.kv = store
        self.node = Node(
            PARAMS, genesis, NodeStore(store), kzg, archiver=EmptyArchive(), limits=limits,
            signer=lambda key, message: farm.identity.sign(message),
        )  # fmt: skip
        self.slot = 0

    def author_until(self, blocks: int) -> None:
        """Slots until the chain has `blocks` blocks."""
        while self.node.best_state.number < blocks:
            self.slot += 1
            farming_slot = self.node.on_proof_of_time(self.slot, output_of(self.slot))
            if farming_slot is not None:
                for sector, candidate in self.core.audit(farming_slot).ranked()[:1]:
                    solution = self.core.prove(farming_slot, sector, candidate)
                    if solution is not None and not solution.is_vote:
                        self.node.on_solution(solution)
            self.node.author_ready_blocks()
            if self.node.metrics.blocks_rejected > 0:
                raise SystemExit(f"a block was rejected: {self.node.metrics.last_rejection}")

    def checkpoint(self, started: float) -> Checkpoint:
        return Checkpoint(
            self.node.best_state.number, time.perf_counter() - started, rss_mib(), memtables_mib(self.kv),
            len(self.node.tree), len(self.node.outputs),
        )  # fmt: skip


def run(label: str, arguments: argparse.Namespace, farm: Path, genesis: ChainState, kzg: Kzg, scratch: Path,
        limits: NodeLimits, checkpoints: list[int]) -> list[Checkpoint]:  # fmt: skip
    store = RocksKVStore(scratch / f"node-{label}", large=True) if arguments.store == "rocksdb" else MemoryKVStore()
    world = World(farm, genesis, kzg, store, limits)
    try:
        started = time.perf_counter()
        measured = [world.checkpoint(started)]
        for blocks in checkpoints:
            world.author_until(blocks)
            measured.append(world.checkpoint(started))
            print(f"  {label:>9}: {format_checkpoint(measured[-1])}", flush=True)
        return measured
    finally:
        world.farm.close()
        store.close()


def format_checkpoint(point: Checkpoint) -> str:
    return (
        f"{point.blocks:>6} blocks after {point.seconds:6.0f} s: VmRSS {point.rss_mib:7.1f} MiB (RocksDB memtables "
        f"{point.memtables_mib:5.1f} MiB); block tree {point.tree_blocks:>6} blocks, {point.pot_outputs:>6} PoT outputs"
    )


def report(pruned: list[Checkpoint], baseline: list[Checkpoint]) -> None:
    print("\nsummary (VmRSS less RocksDB memtables, MiB; growth per 1,000 blocks after the first checkpoint)")
    for label, points in (("pruned", pruned), ("baseline", baseline)):
        if len(points) < 3:
            continue
        first, last = points[1], points[-1]
        net = [point.rss_mib - point.memtables_mib for point in points]
        growth = (net[-1] - net[1]) / max(1, last.blocks - first.blocks) * 1000
        print(f"  {label:>9}: " + ", ".join(f"{p.blocks} blocks {n:.1f}" for p, n in zip(points, net, strict=True))
              + f" -> {growth:+.2f} MiB per 1,000 blocks; block tree {first.tree_blocks} -> {last.tree_blocks}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--baseline-blocks", type=int, default=10_000, help="0 skips the run without pruning")
    parser.add_argument("--store", choices=("rocksdb", "memory"), default="rocksdb")
    arguments = parser.parse_args()
    setup = setup_for(PARAMS.record_num_chunks)
    kzg = load_kzg(setup)
    with tempfile.TemporaryDirectory(prefix="node-memory-") as scratch_name:
        scratch = Path(scratch_name)
        history = minimal_history(scratch / "history", setup)
        seconds, _ = timed(lambda: plot_farm(scratch / "farm", history, setup, SECTORS))
        identity = Farm.open(scratch / "farm")
        public_key = identity.identity.public_key
        identity.close()
        genesis = genesis_state(
            PARAMS, endowments={public_key: 10**18}, solution_range=SOLUTION_RANGE,
            pot_slot_iterations=PARAMS.pot_slot_iterations, segment_headers=history.archiver.segment_headers(),
        )  # fmt: skip
        print(f"MINIMAL node, {arguments.store} store, farm of {SECTORS} sectors plotted in {seconds:.1f} s; "
              f"VmRSS {rss_mib():.1f} MiB before the node", flush=True)  # fmt: skip
        pruned = run("pruned", arguments, scratch / "farm", genesis, kzg, scratch, NodeLimits(), arguments.checkpoints)
        baseline: list[Checkpoint] = []
        if arguments.baseline_blocks > 0:
            marks = [mark for mark in arguments.checkpoints if mark < arguments.baseline_blocks]
            baseline = run("baseline", arguments, scratch / "farm", genesis, kzg, scratch, NodeLimits(prune=False),
                           [*marks, arguments.baseline_blocks])  # fmt: skip
        report(pruned, baseline)


if __name__ == "__main__":
    main()
