"""Part 3 of benchmarks/domains.py: latency from submitting a domain transfer to its domain block and to a
consensus block carrying a bundle whose receipt covers it, with an in-process node, one farm and two operators
(run through `python benchmarks/domains.py`)."""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import blake3
import sr25519
from bench_common import Summary
from devnet_import import encoded_density, minimal_history, plot_farm, solution_range_for
from domains import AI3, DOMAIN, numbered, witness

from autonomys.actors.consensus.node import Node
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.domains.operator import Operator, OperatorIdentity
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.chain_ledger import DomainGenesis, GenesisOperator
from autonomys.protocol.consensus.chain_state import genesis_state
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.domains.fixed_point import Percent
from autonomys.protocol.domains.registry import DomainConfig
from autonomys.protocol.domains.runtime_balances import sign_transfer
from autonomys.protocol.domains.staking_types import OperatorAllowList, OperatorConfig
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import MINIMAL

# ---- 3. latency to a receipt on the consensus chain ----


NODE_PARAMS = dataclasses.replace(MINIMAL, confirmation_depth_k=3)
OPERATOR_SEEDS = [blake3.blake3(b"domains benchmark operator seed" + bytes([index])).digest() for index in range(2)]
OWNERS = [numbered(b"owner", index) for index in range(2)]
USERS = [numbered(b"user", index) for index in range(10)]
"""As many as a domain config's initial balances allow; each sends several transfers, one nonce after another."""
USER_BALANCES = tuple((public, 100 * AI3) for public, _ in USERS)
WARM_UP_SLOTS = 10
SPACING_SLOTS = 4


def pot_output(slot: int) -> bytes:
    return blake3.blake3(b"domains benchmark node pot" + slot.to_bytes(8, "little")).digest()[:16]


@dataclasses.dataclass
class Tracked:
    """One latency transfer: its hash, the slot it was submitted in, and when it was seen where."""

    tx_hash: bytes
    submitted: int
    domain_number: int | None = None
    included: int | None = None
    receipt: int | None = None


def make_node(core: FarmerCore, kzg: Kzg, segment_headers: Sequence[SegmentHeader], solution_range: int) -> Node:
    config = DomainConfig("benchmark", 0, None, (1, 1), OperatorAllowList(), USER_BALANCES)
    operators = tuple(
        GenesisOperator(owner[0], OperatorConfig(sr25519.pair_from_seed(seed)[0], AI3, Percent(5)), 100 * AI3)
        for owner, seed in zip(OWNERS, OPERATOR_SEEDS, strict=True)
    )
    endowments = {core.farm.identity.public_key: AI3} | {owner[0]: 10**22 for owner in OWNERS}
    genesis = genesis_state(
        NODE_PARAMS, endowments=endowments, solution_range=solution_range,
        pot_slot_iterations=NODE_PARAMS.pot_slot_iterations, segment_headers=segment_headers,
        domains=[DomainGenesis(OWNERS[0][0], config, operators)],
    )  # fmt: skip
    return Node(
        NODE_PARAMS, genesis, NodeStore(MemoryKVStore()), kzg,
        signer=lambda public_key, message: core.farm.identity.sign(message),
    )  # fmt: skip


def make_operator(node: Node, index: int) -> Operator:
    counter = iter(range(10**9))
    identity = OperatorIdentity(DOMAIN, index, OPERATOR_SEEDS[index], USER_BALANCES)
    next_witness = lambda: witness(bytes([index]) + next(counter).to_bytes(8, "little"))  # noqa: E731
    return Operator(NODE_PARAMS, identity, MemoryKVStore(), node, next_witness)


def farm_slot(node: Node, core: FarmerCore, slot: int) -> None:
    farming_slot = node.on_proof_of_time(slot, pot_output(slot))
    if farming_slot is None:
        return
    for sector, candidate in core.audit(farming_slot).ranked()[:1]:
        solution = core.prove(farming_slot, sector, candidate)
        if solution is not None:
            node.on_solution(solution)


def bench_latency(transactions: int, work_dir: Path | None) -> Summary:
    print(f"\n3. latency: {transactions} domain transfers, one every {SPACING_SLOTS} slots", flush=True)
    directory = Path(tempfile.mkdtemp(prefix="domains-bench-", dir=work_dir))
    summary = Summary()
    try:
        started = time.perf_counter()
        setup = setup_for(MINIMAL.record_num_chunks)
        history = minimal_history(directory / "history", setup)
        plot_farm(directory / "farm", history, setup, 2)
        preset_range = solution_range_for([encoded_density(directory / "farm")])
        kzg = load_kzg(setup)
        farm = Farm.open(directory / "farm")
        core = FarmerCore(farm, kzg, farm.identity.public_key, "farm0")
        print(f"   history archived and a 2-sector farm plotted in {time.perf_counter() - started:.1f} s", flush=True)
        numerator, denominator = NODE_PARAMS.slot_probability
        ranges = (
            ("the operator test's solution range U64_MAX/4", "test range", U64_MAX // 4),
            (f"the preset's slot probability {numerator}/{denominator}", f"{numerator}/{denominator} range", preset_range),
        )  # fmt: skip
        try:
            for label, short, solution_range in ranges:
                node = make_node(core, kzg, history.archiver.segment_headers(), solution_range)
                report_latency(label, short, run_latency(node, core, transactions), summary)
        finally:
            farm.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return summary


@dataclasses.dataclass(frozen=True)
class LatencyRun:
    tracked: list[Tracked]
    block_slots: list[int]
    """The slots of the consensus blocks authored."""
    bundle_block_slots: list[int]
    """The slots of those that carried bundles of the domain."""
    slots: int
    seconds: float


def report_latency(label: str, short: str, run: LatencyRun, summary: Summary) -> None:
    done = [entry for entry in run.tracked if entry.receipt is not None and entry.included is not None]
    interval = mean_interval(run.block_slots)
    print(
        f"   at {label}: {len(done)}/{len(run.tracked)} transfers reached a receipt on the consensus chain in "
        f"{run.slots} slots ({run.seconds:.1f} s); {len(run.block_slots)} consensus blocks, one every {interval:.2f} "
        f"slots; {len(run.bundle_block_slots)} carried bundles, one every {mean_interval(run.bundle_block_slots):.2f}",
        flush=True,
    )
    if not done:
        return
    to_block = [entry.included - entry.submitted for entry in done if entry.included is not None]
    to_receipt = [entry.receipt - entry.submitted for entry in done if entry.receipt is not None]
    included, receipt = statistics.median(to_block), statistics.median(to_receipt)
    print(
        f"     slots from submission: in a domain block (operator's view) median {included:g}, max {max(to_block)}; "
        f"receipt on the consensus chain median {receipt:g}, max {max(to_receipt)}",
        flush=True,
    )
    for what, figure in (("in a domain block (operator's view)", included), ("receipt on consensus", receipt)):
        summary.add(
            f"slots until {what}, {short}", f"{figure:g} slots", f"a block every {interval:.2f} slots",
            f"{figure / interval:.1f} blocks",
        )  # fmt: skip


def mean_interval(slots: Sequence[int]) -> float:
    """Mean slots between consecutive entries (nan with fewer than two)."""
    return (slots[-1] - slots[0]) / (len(slots) - 1) if len(slots) > 1 else float("nan")


def run_latency(node: Node, core: FarmerCore, transactions: int) -> LatencyRun:
    """Slots until every tracked transfer's receipt is on the chain (or a cap)."""
    operators = [make_operator(node, 0), make_operator(node, 1)]
    tracked: list[Tracked] = []
    block_slots: list[int] = []
    bundle_block_slots: list[int] = []
    max_slots = WARM_UP_SLOTS + SPACING_SLOTS * transactions + 300
    started = time.perf_counter()
    slot = 0
    while slot < max_slots:
        slot += 1
        if slot >= WARM_UP_SLOTS and (slot - WARM_UP_SLOTS) % SPACING_SLOTS == 0 and len(tracked) < transactions:
            index = len(tracked)
            user, nonce = index % len(USERS), index // len(USERS)
            transfer = sign_transfer(DOMAIN, USERS[user], nonce, USERS[(user + 1) % len(USERS)][0], AI3).to_bytes()
            hashes = {each.submit_transaction(transfer) for each in operators}
            tracked.append(Tracked(hashes.pop(), slot))
        farm_slot(node, core, slot)
        for each in operators:
            each.step()
        for block in node.author_ready_blocks():
            block_slots.append(block.header.slot)
            if block.bundles:
                bundle_block_slots.append(block.header.slot)
        observe(tracked, operators[0], node, slot)
        if len(tracked) == transactions and all(entry.receipt is not None for entry in tracked):
            break
    return LatencyRun(tracked, block_slots, bundle_block_slots, slot, time.perf_counter() - started)


def observe(tracked: list[Tracked], operator: Operator, node: Node, slot: int) -> None:
    """Record, at the end of `slot`, the transfers that reached a domain block and those whose receipt is on chain."""
    head_receipt_number = node.domain_view(DOMAIN).head_receipt_number
    for entry in tracked:
        if entry.domain_number is None:
            status = operator.transaction_status(entry.tx_hash)
            if status.startswith("in domain block"):
                entry.domain_number, entry.included = int(status.rsplit(" ", 1)[1]), slot
        if entry.domain_number is not None and entry.receipt is None and head_receipt_number >= entry.domain_number:
            entry.receipt = slot
