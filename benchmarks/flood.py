"""Transaction pool flood: what a node pays to admit or refuse a transaction, next to one sr25519 verify.

    python benchmarks/flood.py [--bad 10000] [--good 10000] [--senders 200] [--old-pooled 2000]

Measured in one run, on an in-process MINIMAL Node (no Ray) that authors its own blocks from one small plotted
farm (devnet_import's helpers). Every submission is what NodeService.submit_transaction runs, without its lock:
decode_submitted_transaction, then Node.submit_transaction.
  floor   is_signature_valid of a good transfer's payload: the one check an admission cannot skip
  bad     refused submissions, in equal shares: a signature by another key, a nonce far ahead, an unfunded
          sender, undecodable bytes, oversized (half over MAX_TRANSACTION_SIZE, half a signed StoreData one byte
          over its limit)
  good    transfers from the endowed senders, one bad submission after each good one; nonce by nonce over the
          senders until the pool holds 8,000, then a block drains it and the rest follow (and a block drains them)
  rebase  the pool's on_new_best with the pool at its peak (no signature checks)
  bytes   the pool filled with 264 KiB StoreData until it refuses: its byte bound
  old     the first pool's admission (node_objects.validate_pool_transaction re-applies the sender's pooled
          transactions, signatures included) with --old-pooled from one sender, and at the flood's peak
RSS (VmRSS of /proc/self/status) before the flood, at its peak, after the drain and with the pool full of bytes.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import blake3
from bench_common import Summary, median, percentile, timed
from devnet_import import PARAMS, encoded_density, minimal_history, output_of, plot_farm, solution_range_for

from autonomys.actors.consensus.node import Node
from autonomys.actors.consensus.node_objects import (
    MAX_TRANSACTION_SIZE,
    RejectedTransaction,
    decode_submitted_transaction,
    validate_pool_transaction,
)
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.consensus.transaction_pool import MAX_SENDER_TRANSACTIONS, SENDER_BYTES_SHARE, TransactionPool
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.farming.identity import FarmerIdentity
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.consensus.chain_blocks import (
    MAX_STORE_DATA_SIZE,
    StoreData,
    Transaction,
    Transfer,
    sign_transaction,
)
from autonomys.protocol.consensus.chain_state import genesis_state
from autonomys.protocol.consensus.chain_transactions import is_signature_valid
from autonomys.protocol.constants import U64_MAX

ENDOWMENT = 10**24
PEAK = 8_000
"""Pooled transactions before the first block drains the pool (a block takes up to ~8,100 transfers by weight)."""
RECIPIENT = bytes(range(32))


def named_account(name: str) -> FarmerIdentity:
    """A deterministic sr25519 account for the benchmark's senders."""
    return FarmerIdentity(blake3.blake3(name.encode()).digest())


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 0.01 else f"{seconds * 1e3:.0f} ms"


# ---- the node and its blocks ----


class World:
    """A MINIMAL node endowing `senders`, and the farm that authors its blocks."""

    def __init__(self, scratch: Path, senders: list[FarmerIdentity]) -> None:
        setup = setup_for(PARAMS.record_num_chunks)
        history = minimal_history(scratch / "history", setup)
        plot_farm(scratch / "farm", history, setup, 2)
        kzg = load_kzg(setup)
        farm = Farm.open(scratch / "farm")
        self.core = FarmerCore(farm, kzg, farm.identity.public_key, "flood")
        genesis = genesis_state(
            PARAMS, endowments={sender.public_key: ENDOWMENT for sender in senders},
            solution_range=solution_range_for([encoded_density(scratch / "farm")], 0.9),
            pot_slot_iterations=PARAMS.pot_slot_iterations, segment_headers=history.archiver.segment_headers(),
        )  # fmt: skip
        identity = farm.identity
        self.node = Node(
            PARAMS, genesis, NodeStore(MemoryKVStore()), kzg, signer=lambda key, message: identity.sign(message)
        )
        self.slot = 0

    def author_block(self) -> int:
        """Slots until the node authors a block; returns how many transactions it took."""
        for _ in range(1_000):
            self.slot += 1
            farming_slot = self.node.on_proof_of_time(self.slot, output_of(self.slot))
            if farming_slot is not None:
                for sector, candidate in self.core.audit(farming_slot).ranked()[:1]:
                    solution = self.core.prove(farming_slot, sector, candidate)
                    if solution is not None and not solution.is_vote:
                        self.node.on_solution(solution)
            authored = self.node.author_ready_blocks()
            if len(authored) > 0:
                return len(authored[0].transactions)
        msg = "no block in 1,000 slots"
        raise RuntimeError(msg)

    def submit(self, data: bytes) -> tuple[float, str]:
        """(seconds, "ok" or the rejection's reason) of NodeService.submit_transaction's path."""
        started = time.perf_counter()
        try:
            self.node.submit_transaction(decode_submitted_transaction(data))
        except RejectedTransaction as error:
            return time.perf_counter() - started, error.reason
        return time.perf_counter() - started, "ok"


# ---- what is submitted ----


def signed(network: bytes, sender: FarmerIdentity, nonce: int, call: Transfer | StoreData) -> Transaction:
    return sign_transaction(network, sender.public_key, nonce, call, sender.sign)


def make_bad(network: bytes, senders: list[FarmerIdentity], count: int) -> list[tuple[str, bytes]]:
    """`count` refused submissions of five kinds in equal shares, shuffled."""
    share = count // 5
    attacker, unfunded = named_account("flood attacker"), [named_account(f"flood unfunded {i}") for i in range(100)]
    bad: list[tuple[str, bytes]] = []
    for index in range(share):
        sender = senders[index % len(senders)]
        forged = signed(network, attacker, 0, Transfer(RECIPIENT, index))
        bad.append(("bad signature", Transaction(sender.public_key, 0, forged.call, forged.signature).to_bytes()))
        bad.append(("bad nonce", signed(network, sender, 10**6 + index, Transfer(RECIPIENT, 1)).to_bytes()))
        poor = unfunded[index % len(unfunded)]
        bad.append(("insufficient balance", signed(network, poor, 0, Transfer(RECIPIENT, index)).to_bytes()))
        bad.append(("undecodable", random.Random(index).randbytes(150)))
    over_limit = [signed(network, attacker, i, StoreData(bytes(MAX_STORE_DATA_SIZE + 1))).to_bytes() for i in range(8)]
    over_size = bytes(MAX_TRANSACTION_SIZE + 1)
    for index in range(share):
        if index % 2 == 0:
            bad.append(("oversized: StoreData of 264 KiB + 1, signed", over_limit[index % len(over_limit)]))
        else:
            bad.append(("oversized: more than MAX_TRANSACTION_SIZE bytes", over_size))
    random.Random(0).shuffle(bad)
    return bad


def make_good(network: bytes, senders: list[FarmerIdentity], count: int) -> list[bytes]:
    """`count` transfers, nonce by nonce over the senders (each sender's in nonce order)."""
    per_sender = -(-count // len(senders))
    good = [
        signed(network, sender, nonce, Transfer(RECIPIENT, 1)).to_bytes()
        for nonce in range(per_sender)
        for sender in senders
    ]
    return good[:count]


# ---- the flood ----


@dataclass
class Flood:
    good: list[tuple[float, int]]
    """(seconds, pool size before) of each good submission."""
    bad: dict[str, list[float]]
    outcomes: dict[str, int]
    peak: tuple[int, int] = (0, 0)
    """(transactions, bytes) pooled at the peak."""
    rss_peak: float = 0.0
    rebase_seconds: float = 0.0
    old_at_peak: list[float] | None = None
    drained: list[int] | None = None


def run_flood(world: World, good: list[bytes], bad: list[tuple[str, bytes]], old_samples: int) -> Flood:
    flood = Flood([], {}, {}, drained=[])
    pool = world.node.pool
    for index, data in enumerate(good):
        if len(pool) >= PEAK:
            at_peak(world, flood, old_samples)
            flood.drained.append(world.author_block())
        size = len(pool)
        seconds, outcome = world.submit(data)
        flood.good.append((seconds, size))
        flood.outcomes[f"good: {outcome}"] = flood.outcomes.get(f"good: {outcome}", 0) + 1
        if index < len(bad):
            kind, refused = bad[index]
            seconds, outcome = world.submit(refused)
            flood.bad.setdefault(kind, []).append(seconds)
            flood.outcomes[f"{kind}: {outcome}"] = flood.outcomes.get(f"{kind}: {outcome}", 0) + 1
    if flood.peak == (0, 0):
        at_peak(world, flood, old_samples)
    flood.drained.append(world.author_block())
    return flood


def at_peak(world: World, flood: Flood, old_samples: int) -> None:
    """The pool at its peak: its size, the process's memory, a rebase, and what the first pool would pay."""
    pool, node = world.node.pool, world.node
    flood.peak, flood.rss_peak = (len(pool), pool.encoded_bytes), rss_mib()
    flood.rebase_seconds, _ = timed(lambda: pool.on_new_best(node.best_state, ()))
    pooled = list(pool.transactions())
    samples = []
    for transaction in pooled[:old_samples]:
        # The sender's next transaction, checked as the first pool did (re-applying its pooled ones).
        nonce = node.account(transaction.sender)[1]
        following = Transaction(transaction.sender, nonce, transaction.call, transaction.signature)
        seconds, _ = timed(lambda t=following: _refused(lambda: validate_pool_transaction(
            node.best_state, pooled, t, node.params, node.genesis_hash)))  # fmt: skip
        samples.append(seconds)
    flood.old_at_peak = samples


def _refused(check: Callable[[], None]) -> None:
    try:
        check()
    except RejectedTransaction:
        pass  # a reused signature is refused at the end; the cost of re-applying the pooled ones is what we time


def fill_with_bytes(world: World, network: bytes, senders: list[FarmerIdentity]) -> tuple[int, int, str]:
    """Submit 264 KiB StoreData from unused senders until the pool refuses one: (admitted, pool bytes, reason)."""
    admitted = 0
    for sender in senders:
        for nonce in range(MAX_SENDER_TRANSACTIONS):
            data = bytes([nonce]) * MAX_STORE_DATA_SIZE
            _, outcome = world.submit(signed(network, sender, nonce, StoreData(data)).to_bytes())
            if outcome == "pool_full":
                return admitted, world.node.pool.encoded_bytes, outcome
            if outcome != "ok":
                break  # this sender's share is full: the next sender
            admitted += 1
    return admitted, world.node.pool.encoded_bytes, "no refusal"


def measure_old_one_sender(network: bytes, pooled: int) -> tuple[list[float], list[float]]:
    """Admission with `pooled` transactions of the same sender pooled: (first pool's seconds, this pool's)."""
    sender = named_account("flood one sender")
    state = genesis_state(
        PARAMS, endowments={sender.public_key: ENDOWMENT}, solution_range=U64_MAX,
        pot_slot_iterations=PARAMS.pot_slot_iterations,
    )  # fmt: skip
    transactions = [signed(network, sender, nonce, Transfer(RECIPIENT, 1)) for nonce in range(pooled + 20)]
    old = [timed(lambda: validate_pool_transaction(state, transactions[:pooled], transactions[pooled], PARAMS, network))[0]
           for _ in range(3)]  # fmt: skip
    pool = TransactionPool(PARAMS, network, max_sender_transactions=pooled + 20)
    for transaction in transactions[:pooled]:
        pool.submit(state, transaction)
    new = [timed(lambda t=transaction: pool.submit(state, t))[0] for transaction in transactions[pooled:]]
    return old, new


# ---- the report ----


def report(arguments: argparse.Namespace, figures: dict, summary: Summary) -> None:
    flood: Flood = figures["flood"]
    floor = figures["floor"]
    good = [seconds for seconds, _ in flood.good]
    empty = [seconds for seconds, size in flood.good if size < 1_000]
    full = [seconds for seconds, size in flood.good if size >= PEAK - 1_000]
    print(f"outcomes: {dict(sorted(flood.outcomes.items()))}")
    print(f"blocks took {flood.drained} transactions; the pool peaked at {flood.peak[0]} ({flood.peak[1]} bytes)")
    summary.add(
        f"admission, good transfer, 0–{PEAK:,} pooled ({len(good):,}): p50 / p99",
        f"{us(median(good))} / {us(percentile(good, 0.99))}",
        f"one sr25519 verify {us(floor)}",
        f"floor/admission = **{floor / median(good):.2f}**",
    )
    summary.add(
        "admission, good: < 1,000 pooled vs ≥ 7,000 pooled (p50)",
        f"{us(median(empty))} vs {us(median(full))}", "", f"{median(full) / median(empty):.2f}×",
    )  # fmt: skip
    for kind, seconds in sorted(flood.bad.items()):
        summary.add(
            f"refusal, {kind} ({len(seconds):,}): p50 / p99", f"{us(median(seconds))} / {us(percentile(seconds, 0.99))}",
            f"one verify {us(floor)}", f"floor/refusal = {floor / median(seconds):.2f}",
        )  # fmt: skip
    summary.add(
        "pool at peak", f"{flood.peak[0]:,} transactions, {flood.peak[1] / 2**20:.2f} MiB",
        "bounds 8,192 / 20 MiB (64 and 5 MiB per sender)",
    )  # fmt: skip
    summary.add("on_new_best at peak (re-projection, no signatures)", us(flood.rebase_seconds))
    admitted, pool_bytes, reason = figures["bytes"]
    summary.add(
        "pool filled with 264 KiB StoreData", f"{admitted} admitted, {pool_bytes / 2**20:.2f} MiB, then {reason}",
        "20 MiB bound",
    )  # fmt: skip
    rss = figures["rss"]
    summary.add(
        "RSS: before / peak / drained / full of bytes",
        " / ".join(f"{rss[key]:.0f} MiB" for key in ("before", "peak", "drained", "bytes")),
    )
    old, new = figures["one sender"]
    summary.add(
        f"admission with {arguments.old_pooled:,} pooled from the same sender: first pool / this pool",
        f"{us(median(old))} / {us(median(new))}", "", f"**{median(old) / median(new):,.0f}×**",
    )  # fmt: skip
    if flood.old_at_peak:
        summary.add(
            f"first pool's admission at the peak ({flood.peak[0]:,} pooled over {arguments.senders} senders)",
            us(median(flood.old_at_peak)), f"this pool {us(median(full))}",
            f"{median(flood.old_at_peak) / median(full):.1f}×",
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bad", type=int, default=10_000)
    parser.add_argument("--good", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=200, help="endowed senders of the good transfers")
    parser.add_argument("--old-pooled", type=int, default=2_000, help="pooled from one sender for the old-pool row")
    parser.add_argument("--old-samples", type=int, default=50, help="first-pool admissions timed at the peak")
    arguments = parser.parse_args()
    senders = [named_account(f"flood sender {index}") for index in range(arguments.senders)]
    figures: dict = {}
    summary = Summary()
    with tempfile.TemporaryDirectory() as scratch:
        spare = [named_account(f"flood spare {index}") for index in range(2 * SENDER_BYTES_SHARE)]
        world = World(Path(scratch), senders + spare)
        network = world.node.genesis_hash
        good, bad = make_good(network, senders, arguments.good), make_bad(network, senders, arguments.bad)
        probe = Transaction.from_bytes(good[0])
        payload = probe.signing_payload(network)
        floor = [timed(lambda: is_signature_valid(probe.sender, payload, probe.signature))[0] for _ in range(2_000)]
        figures["floor"] = median(floor)
        print(f"floor: one sr25519 verify of a transfer's payload {us(figures['floor'])} (median of 2,000)", flush=True)
        figures["rss"] = {"before": rss_mib()}
        seconds, figures["flood"] = timed(lambda: run_flood(world, good, bad, arguments.old_samples))
        figures["rss"]["peak"], figures["rss"]["drained"] = figures["flood"].rss_peak, rss_mib()
        blocks = len(figures["flood"].drained)
        print(f"flood: {len(good):,} good, {len(bad):,} bad, {blocks} blocks in {seconds:.1f} s", flush=True)
        figures["bytes"] = fill_with_bytes(world, network, spare)
        figures["rss"]["bytes"] = rss_mib()
        figures["one sender"] = measure_old_one_sender(network, arguments.old_pooled)
    report(arguments, figures, summary)
    summary.print()


if __name__ == "__main__":
    main()
