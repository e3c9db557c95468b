"""Block import for the devnet benchmark: MINIMAL and DEV chains authored in this process, then imported by
fresh follower nodes (see devnet.py for what is measured and how)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import statistics
import time
from pathlib import Path

import blake3
from bench_common import Summary, ms, prepare_history, timed

from autonomys.actors.archiving.archiver import Archiver
from autonomys.actors.archiving.history import ArchiverHistory
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.consensus.node import ImportStatus, Node
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.farming.farm import Farm, compute_farm_size
from autonomys.actors.farming.farm_check import compute_encoded_chunks_per_s_bucket
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.kzg_setup import KzgSetup, load_kzg, setup_for
from autonomys.actors.plotting.plotter import LocalRecordEncoder, Plotter
from autonomys.actors.storage import MemoryKVStore, RocksKVStore
from autonomys.protocol.consensus import chain
from autonomys.protocol.consensus.chain_blocks import Block
from autonomys.protocol.consensus.chain_state import genesis_state
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.farming.solutions import compute_proof_of_space_size
from autonomys.protocol.params import DEV, MINIMAL, Params

PARAMS = MINIMAL
ENDOWMENT = 10**18
# The chain's solution range is set so that a slot has a block with the preset's slot probability (1/6).
BLOCK_PROBABILITY = PARAMS.slot_probability[0] / PARAMS.slot_probability[1]


# ---- MINIMAL history and farms (what tests/helpers build, without the test package) ----


def minimal_history(directory: Path, setup: KzgSetup) -> ArchiverHistory:
    """Two archived MINIMAL segments, in memory (what the farms plot and the chain records at genesis)."""
    archiver = Archiver(PARAMS, load_kzg(setup), MemoryKVStore(), SegmentPieceFiles(directory / "pieces", PARAMS))
    history = ArchiverHistory(archiver)
    history.extend_to(2)
    return history


def plot_farm(path: Path, history: ArchiverHistory, setup: KzgSetup, sectors: int) -> None:
    with Farm.create_or_open(path, compute_farm_size(PARAMS, sectors), PARAMS) as farm:
        Plotter(farm, history, history, LocalRecordEncoder(PARAMS, setup)).plot_pending()


def encoded_density(path: Path) -> float:
    with Farm.open(path) as farm:
        return compute_encoded_chunks_per_s_bucket(farm)


def solution_range_for(encoded: list[float], block_probability: float = BLOCK_PROBABILITY) -> int:
    """The range at which the farms' block-eligible chunks give a block in a slot with `block_probability`
    (Poisson: P(block) = 1 - exp(-wins per slot))."""
    wins = -math.log(1 - block_probability)
    return min(U64_MAX, int(wins / sum(encoded) * 2**64))


def output_of(slot: int) -> bytes:
    return blake3.blake3(b"devnet benchmark pot" + slot.to_bytes(8, "little")).digest()[:16]


# ---- block import ----


class ImportTimers:
    """Wraps the steps of chain.import_block that we time (module globals, restored on exit)."""

    def __init__(self) -> None:
        self.verify = 0.0
        self.seal = 0.0
        self.calls: list[tuple[tuple, dict]] = []

    @contextlib.contextmanager
    def installed(self):
        verify, seal = chain.verify_solution, chain.validate_seal

        def timed_verify(*args, **kwargs):
            started = time.perf_counter()
            try:
                return verify(*args, **kwargs)
            finally:
                self.verify += time.perf_counter() - started
                self.calls.append((args, kwargs))

        def timed_seal(*args, **kwargs):
            started = time.perf_counter()
            try:
                return seal(*args, **kwargs)
            finally:
                self.seal += time.perf_counter() - started

        chain.verify_solution, chain.validate_seal = timed_verify, timed_seal
        try:
            yield self
        finally:
            chain.verify_solution, chain.validate_seal = verify, seal


@dataclasses.dataclass
class Authoring:
    """A chain authored in this process, and the work it took per slot."""

    blocks: list[Block]
    slots: int
    farmer_seconds: float
    """Audits and proofs of every farmer (what the farmer actors do, one after another here)."""
    node_seconds: float
    """The author node: slots, solutions, vote checks, block building and its own import."""
    proofs: int


def author_blocks(node: Node, cores: list[FarmerCore], blocks: int, max_slots: int, *, votes: bool) -> Authoring:
    """Slots until `blocks` blocks are authored. With `votes`, every farmer proves every candidate within the
    voting range each slot, nearest first, and hands them all to the node (as the farmer actor does, deadline
    aside); without, only its nearest block-eligible one, until enough block solutions wait for their slot."""
    authored: list[Block] = []
    solution_slots: set[int] = set()
    farmer_seconds = node_seconds = 0.0
    proofs = slot = 0
    while len(authored) < blocks and slot < max_slots:
        slot += 1
        started = time.perf_counter()
        farming_slot = node.on_proof_of_time(slot, output_of(slot))
        node_seconds += time.perf_counter() - started
        found = []
        if farming_slot is not None and (votes or len(solution_slots) < blocks):
            started = time.perf_counter()
            for core in cores:
                ranked = core.audit(farming_slot).ranked()
                for sector, candidate in ranked if votes else ranked[:1]:
                    solution = core.prove(farming_slot, sector, candidate)
                    proofs += 1
                    if solution is not None and (votes or not solution.is_vote):
                        found.append(solution)
            farmer_seconds += time.perf_counter() - started
        started = time.perf_counter()
        for solution in found:
            node.on_solution(solution)
            if not solution.is_vote:
                solution_slots.add(slot)
        authored += node.author_ready_blocks()
        node_seconds += time.perf_counter() - started
    return Authoring(authored, slot, farmer_seconds, node_seconds, proofs)


def measure_imports(
    label: str, params: Params, genesis, kzg, blocks: list[Block], last_slot: int, followers: int, scratch: Path
) -> dict[str, float]:
    """Import `blocks` in order into `followers` fresh nodes (after one untimed warm-up node); per-block medians
    of each step in seconds, and of verify_solution of the same solutions alone (block and votes, each the
    median of 3 runs right after the import)."""
    proof_size = compute_proof_of_space_size(params)
    rows: list[dict[str, float]] = []
    original_verify = chain.verify_solution
    for number in range(-1, followers):
        store = MemoryKVStore() if number < 0 else RocksKVStore(scratch / f"follower-{label}-{number}", large=True)
        try:
            follower = Node(params, genesis, NodeStore(store), kzg)
            for slot in range(1, last_slot + 1):
                follower.on_proof_of_time(slot, output_of(slot))
            put_block = follower.store.put_block
            writes = [0.0]

            def timed_put(stored, changes=None, put=put_block, writes=writes):
                started = time.perf_counter()
                put(stored, changes)
                writes[0] += time.perf_counter() - started

            follower.store.put_block = timed_put  # type: ignore[method-assign]
            timers = ImportTimers()
            for block in blocks:
                data = block.to_bytes()
                before_verify, before_seal, before_write = timers.verify, timers.seal, writes[0]
                first_call = len(timers.calls)
                with timers.installed():
                    total, outcome = timed(lambda d=data, f=follower: f.import_block(d))
                if outcome.status is not ImportStatus.IMPORTED:
                    raise SystemExit(f"{label} block {block.header.number} was {outcome.status.value}: {outcome.reason}")
                calls = timers.calls[first_call:]
                alone = sum(statistics.median(timed(lambda a=args, k=kwargs: original_verify(*a, **k))[0] for _ in range(3))
                            for args, kwargs in calls)  # fmt: skip
                decode, _ = timed(lambda d=data: Block.from_bytes(d, proof_size))
                verify, seal, write = timers.verify - before_verify, timers.seal - before_seal, writes[0] - before_write
                if number >= 0:
                    rows.append({"import": total, "decode": decode, "seal": seal, "verify": verify, "write": write,
                                 "rest": total - decode - seal - verify - write, "floor": alone,
                                 "solutions": len(calls), "per solution": total / len(calls)})  # fmt: skip
        finally:
            store.close()
    result = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    result["blocks"] = len(blocks)
    result["mean solutions"] = statistics.fmean(row["solutions"] for row in rows)
    result["size"] = statistics.median(len(block.to_bytes()) for block in blocks)
    return result


def report_imports(label: str, what: str, figures: dict[str, float], summary: Summary) -> None:
    total, floor = figures["import"], figures["floor"]
    steps = ", ".join(f"{key} {ms(figures[key])}" for key in ("decode", "seal", "verify", "write", "rest"))
    print(
        f"import   {label}: {figures['blocks']:.0f} blocks per follower, median {figures['size']:.0f} bytes and "
        f"{figures['solutions']:.0f} solutions (block + votes; mean {figures['mean solutions']:.1f}); median "
        f"Node.import_block {ms(total)} ({steps}); verify_solution of the same solutions alone {ms(floor)} -> "
        f"floor/import = {floor / total:.2f}; per solution {ms(figures['per solution'])}",
        flush=True,
    )
    summary.add(
        f"block import, {what}",
        f"{ms(total)} ({figures['solutions']:.0f} solutions: {ms(figures['per solution'])} each)",
        f"verify_solution alone {ms(floor)}",
        f"floor/import = **{floor / total:.2f}**",
    )
    summary.add(
        f"  where it goes ({label})",
        f"verify {ms(figures['verify'])}, seal {ms(figures['seal'])}, write {ms(figures['write'])}, "
        f"decode {ms(figures['decode'])}, rest {ms(figures['rest'])}",
        "",
        f"verify/import = {figures['verify'] / total:.2f}",
    )


def measure_minimal_imports(farms: list[Path], encoded: list[float], history: ArchiverHistory, setup: KzgSetup,
                            blocks: int, scratch: Path, summary: Summary) -> float:  # fmt: skip
    """Author a MINIMAL chain with the devnet's ranges (blocks in 1/6 of slots, votes in 10x the range) and
    import it; returns the work per slot (farmers + author node) in seconds."""
    kzg = load_kzg(setup)
    cores = [
        FarmerCore(Farm.open(path), kzg, Farm.open(path).identity.public_key, f"farm{i}")
        for i, path in enumerate(farms)
    ]
    try:
        identities = {core.farm.identity.public_key: core.farm.identity for core in cores}
        genesis = genesis_state(
            PARAMS, endowments=dict.fromkeys(identities, ENDOWMENT), solution_range=solution_range_for(encoded),
            pot_slot_iterations=PARAMS.pot_slot_iterations, segment_headers=history.archiver.segment_headers(),
        )  # fmt: skip
        author = Node(
            PARAMS, genesis, NodeStore(MemoryKVStore()), kzg, signer=lambda key, message: identities[key].sign(message)
        )
        seconds, run = timed(lambda: author_blocks(author, cores, blocks, 40 * blocks, votes=True))
        votes = sum(len(block.votes) for block in run.blocks)
        per_slot = (run.farmer_seconds + run.node_seconds) / run.slots
        print(
            f"import   MINIMAL, {len(cores)} farmers: {len(run.blocks)} blocks with {votes} votes authored over {run.slots} "
            f"slots in {seconds:.1f} s; per slot: farmers {ms(run.farmer_seconds / run.slots)} (audits and "
            f"{run.proofs / run.slots:.1f} proofs, {ms(run.farmer_seconds / max(1, run.proofs))} each), author node "
            f"{ms(run.node_seconds / run.slots)} -> {ms(per_slot)} of work per slot = at most {1 / per_slot:.0f} slots/s "
            f"on the one core the timekeeper leaves",
            flush=True,
        )
        summary.add(
            f"work per slot besides PoT (in-process, {len(cores)} farmers, votes on)",
            f"{ms(per_slot)}: farmers {ms(run.farmer_seconds / run.slots)}, author node {ms(run.node_seconds / run.slots)}",
            "one core's second",
            f"**<= {1 / per_slot:.0f} slots/s**",
        )
        figures = measure_imports("MINIMAL", PARAMS, genesis, kzg, run.blocks, run.slots, 3, scratch)
    finally:
        for core in cores:
            core.farm.close()
    report_imports("MINIMAL", "MINIMAL (shim PoS, 64-chunk records, with votes)", figures, summary)
    return per_slot


def measure_dev_imports(arguments: argparse.Namespace, scratch: Path, summary: Summary) -> None:
    params = dataclasses.replace(DEV, max_pieces_in_sector=arguments.dev_pieces)
    setup = setup_for(params.record_num_chunks, None if arguments.kzg == "dev" else arguments.kzg)
    seconds, kzg = timed(lambda: load_kzg(setup))
    label = "dev" if kzg.insecure else "ceremony"
    print(f"import   DEV: KZG {kzg.label} ({'INSECURE dev' if kzg.insecure else 'ceremony'}) loaded in {seconds:.1f} s",
          flush=True)  # fmt: skip
    history = prepare_history(arguments.work_dir, setup, label, params)
    farm = None
    try:
        farm = Farm.create_or_open(scratch / "dev-farm", compute_farm_size(params, 1), params)
        plotter = Plotter(farm, history, history, LocalRecordEncoder(params, setup, threads=os.cpu_count() or 1))
        seconds, _ = timed(lambda: plotter.plot_sector(0, history.history_size()))
        print(f"         DEV sector of {params.max_pieces_in_sector} pieces plotted in {seconds:.1f} s", flush=True)
        core = FarmerCore(farm, kzg, farm.identity.public_key, "dev")
        identity = farm.identity
        genesis = genesis_state(
            params, endowments={identity.public_key: ENDOWMENT}, solution_range=U64_MAX,
            pot_slot_iterations=params.pot_slot_iterations, segment_headers=history.headers,
        )  # fmt: skip
        author = Node(
            params, genesis, NodeStore(MemoryKVStore()), kzg, signer=lambda key, message: identity.sign(message)
        )
        seconds, run = timed(lambda: author_blocks(author, [core], arguments.dev_blocks, 60, votes=False))
        if not run.blocks:
            raise SystemExit("no DEV block was authored")
        print(f"         {len(run.blocks)} DEV blocks authored over {run.slots} slots in {seconds:.1f} s "
              f"({run.proofs} K=20 proofs, {run.farmer_seconds / run.proofs:.2f} s each; no votes)", flush=True)  # fmt: skip
        figures = measure_imports("DEV", params, genesis, kzg, run.blocks, run.slots, 2, scratch)
    finally:
        if farm is not None:
            farm.close()
        history.close()
    report_imports("DEV", "DEV (K=20 chia PoS, 1 MiB records, no votes)", figures, summary)
