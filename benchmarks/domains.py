"""Execution domains: a bundle's checks on the consensus chain, domain transfers per second through bundles, and
the latency from a domain transaction to its receipt on the consensus chain.

    python benchmarks/domains.py [--transfers 1000] [--bundles 4] [--latency-transactions 20] [--samples 300]
                                 [--repeats 5] [--work-dir DIR] [--quick]

Measured in one process, each part against a floor taken in the same run:
  bundle      protocol.domains.submit.submit_bundle — the whole validate + apply of one bundle of 0 and of 100
              transfers, on a ChainLedger over a MINIMAL genesis with one domain and one operator (block 1, after
              begin_block), each call in a throwaway OverlayLedger — against the floor of the two signatures a
              bundle carries: one election.vrf_verify plus one sr25519 verify of 32 bytes. Medians of --samples calls
              taken round-robin; the components (the proof of election, the header signature, the extrinsics root,
              the encoding for the size) are timed alike.
  transfers   --transfers signed transfers from distinct senders (each endowed in a domain genesis trie built with
              BALANCES.genesis on a SteppedWriter), packed by produce_bundle into --bundles bundles (transaction range
              2**256-1, so every signer fits), then execution.derive_domain_block (classification of every bundle,
              the shuffle, execution with a state root after every extrinsic, the receipt) against the runtime floor:
              the same transfers in the derived block's order through BALANCES.check + BALANCES.apply on one
              SteppedWriter with a single step() at the end (its root must equal the derived block's). Medians of
              --repeats runs, and one instrumented run splitting the time per transfer (runtime calls by phase,
              SteppedWriter.step, the rest), with the cost of one sr25519 verify per transfer beside it.
  latency     an in-process Node (MINIMAL, confirmation depth 3), one plotted 2-sector farm and two operators (as
              tests/unit/test_domain_operator.py): every few slots a transfer goes to both operators' pools; per
              transfer, the slots from its submission until operator 0 reports it in a domain block, and until the
              best consensus state's head receipt covers that domain block (a consensus block carried a bundle whose
              receipt is that block's or a later one). Medians over --latency-transactions transfers, against the
              mean slots between consensus blocks in the same run (the ratio: the latency in blocks). Run twice: at
              the operator test's solution range (U64_MAX/4, a block nearly every slot) and at the range that gives
              the preset's slot probability (1/6) for this farm (devnet_import.solution_range_for).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import blake3
import sr25519
from bench_common import Summary, medians

from autonomys.protocol.consensus.chain_ledger import ChainLedger, DomainGenesis, GenesisOperator
from autonomys.protocol.consensus.chain_state import StateWriter, genesis_header_hash, genesis_state
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.domains import election
from autonomys.protocol.domains.block_tree import BlockScratch, head_receipt
from autonomys.protocol.domains.bundles import Bundle, Weight
from autonomys.protocol.domains.execution import ExecutedBlock, ParentBlock, decode_opaque, derive_domain_block
from autonomys.protocol.domains.fixed_point import Percent
from autonomys.protocol.domains.ledger import OverlayLedger
from autonomys.protocol.domains.params import domains_params_for
from autonomys.protocol.domains.producer import SlotClaim, produce_bundle
from autonomys.protocol.domains.receipts import BlockFees, ExecutionReceipt, genesis_receipt
from autonomys.protocol.domains.registry import DomainConfig
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainRuntime, DomainState, RuntimeState
from autonomys.protocol.domains.runtime_balances import BALANCES, SignedTransaction, decode_extrinsic, sign_transfer
from autonomys.protocol.domains.staking_storage import get_staking_summary
from autonomys.protocol.domains.staking_types import OperatorAllowList, OperatorConfig
from autonomys.protocol.domains.submit import ConsensusBlockInfo, begin_block, submit_bundle, validate_bundle
from autonomys.protocol.farming.solutions import derive_global_challenge, derive_global_randomness
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.state.steps import SteppedWriter
from autonomys.protocol.state.trie import EMPTY_ROOT, NodeSource

AI3 = 10**18
DOMAIN = 0
PARAMS = MINIMAL
DOMAINS = domains_params_for(PARAMS)
ALL_SIGNERS = 2**256 - 1
"""A transaction range that holds every signer."""
SLOT = 3
"""The slot of block 1 and of its bundle in the consensus-side benchmark."""
BUNDLE_SIZES = (0, 100)
Result = TypeVar("Result")


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 0.01 else f"{seconds * 1e3:.1f} ms"


def key_pair(label: bytes) -> tuple[bytes, bytes]:
    """(public, secret) of an sr25519 key from a fixed seed."""
    public, secret = sr25519.pair_from_seed(blake3.blake3(b"domains benchmark " + label).digest())
    return bytes(public), bytes(secret)


def numbered(label: bytes, index: int) -> tuple[bytes, bytes]:
    return key_pair(label + index.to_bytes(4, "little"))


def proof_of_time(slot: int) -> bytes:
    return blake3.blake3(b"domains benchmark pot" + slot.to_bytes(8, "little")).digest()[:16]


def witness(label: bytes) -> bytes:
    return blake3.blake3(b"domains benchmark witness" + label).digest(length=election.WITNESS_SIZE)


OWNER = key_pair(b"owner")
OPERATOR_KEY = key_pair(b"operator")


def sign_with(pair: tuple[bytes, bytes]) -> Callable[[bytes], bytes]:
    return lambda message: bytes(sr25519.sign(pair, message))


def signed_transfers(count: int, senders: Sequence[tuple[bytes, bytes]], seed: int) -> list[bytes]:
    """One transfer of 1 AI3 from each of the first `count` senders (nonce 0) to another of them."""
    generator = random.Random(seed)
    transfers = []
    for index in range(count):
        receiver = (index + 1 + generator.randrange(len(senders) - 1)) % len(senders)
        transfers.append(sign_transfer(DOMAIN, senders[index], 0, senders[receiver][0], AI3).to_bytes())
    return transfers


# ---- 1. a bundle on the consensus chain ----


@dataclasses.dataclass(frozen=True)
class ConsensusWorld:
    """Block 1's ledger (after begin_block) over a genesis with one domain and one operator, and its block info."""

    ledger: ChainLedger
    block: ConsensusBlockInfo
    stake: int
    total_stake: int
    receipt: ExecutionReceipt
    bundle_slot_probability: tuple[int, int]


def consensus_world() -> ConsensusWorld:
    config = DomainConfig("benchmark", 0, None, (1, 1), OperatorAllowList(), ((OWNER[0], AI3),))
    operator = GenesisOperator(OWNER[0], OperatorConfig(OPERATOR_KEY[0], AI3, Percent(5)), 100 * AI3)
    genesis = genesis_state(
        PARAMS, endowments={OWNER[0]: 10**22}, solution_range=U64_MAX, pot_slot_iterations=PARAMS.pot_slot_iterations,
        domains=[DomainGenesis(OWNER[0], config, (operator,))],
    )  # fmt: skip
    parent_hash = bytes(genesis_header_hash(genesis))
    writer = StateWriter(genesis)
    writer.update(number=1, best_slot=SLOT)
    ledger = ChainLedger(writer)
    begin_block(ledger, DOMAINS, genesis.number, genesis.best_slot, parent_hash)
    block = ConsensusBlockInfo(
        1, SLOT, parent_hash, bytes(32), genesis.transaction_byte_fee, PARAMS.block_authoring_delay, proof_of_time
    )
    summary = get_staking_summary(ledger, DOMAIN)
    receipt = head_receipt(ledger, DOMAIN)
    assert receipt is not None
    stake, total_stake = summary.current_operators[0], summary.current_total_stake
    return ConsensusWorld(ledger, block, stake, total_stake, receipt, config.bundle_slot_probability)


def consensus_bundle(world: ConsensusWorld, transfers: Sequence[bytes]) -> Bundle:
    claim = SlotClaim(
        DOMAIN, 0, SLOT, proof_of_time(SLOT), world.stake, world.total_stake, world.bundle_slot_probability
    )
    limit = DOMAINS.max_bundle(world.bundle_slot_probability)
    bundle = produce_bundle(
        claim, OPERATOR_KEY, witness(b"consensus"), world.receipt, transfers, BALANCES, limit, sign_with(OPERATOR_KEY),
        ALL_SIGNERS,
    )  # fmt: skip
    assert bundle is not None and len(bundle.extrinsics) == len(transfers)
    return bundle


def bench_bundles(samples: int) -> Summary:
    world = consensus_world()
    senders = [numbered(b"bundle sender", index) for index in range(max(BUNDLE_SIZES) + 1)]
    bundles = {size: consensus_bundle(world, signed_transfers(size, senders, size)) for size in BUNDLE_SIZES}
    ledger, block = world.ledger, world.block

    def submit(bundle: Bundle) -> Callable[[], object]:
        return lambda: submit_bundle(OverlayLedger(ledger), bundle, block, DOMAINS, BlockScratch())

    def validate(bundle: Bundle) -> Callable[[], object]:
        return lambda: validate_bundle(OverlayLedger(ledger), bundle, block, DOMAINS, BlockScratch())

    for bundle in bundles.values():
        submit(bundle)()  # valid: raises InvalidBundle otherwise
    election_proof = bundles[0].sealed_header.header.proof_of_election
    global_challenge = derive_global_challenge(derive_global_randomness(election_proof.proof_of_time), SLOT)
    message = bytes(32)
    signature = bytes(sr25519.sign(OPERATOR_KEY, message))

    def vrf_verify() -> bool:
        return election.vrf_verify(
            public_key=OPERATOR_KEY[0], domain_id=DOMAIN, global_challenge=global_challenge,
            vrf_signature=election_proof.vrf_signature,
        )  # fmt: skip

    def sr25519_verify() -> bool:
        return bool(sr25519.verify(signature, message, OPERATOR_KEY[0]))

    def floor() -> None:
        assert vrf_verify() and sr25519_verify()

    def proof() -> None:
        election.verify_proof_of_election(
            public_key=OPERATOR_KEY[0], domain_id=DOMAIN, slot=SLOT, proof_of_time=election_proof.proof_of_time,
            vrf_signature=election_proof.vrf_signature, operator_stake=world.stake,
            total_domain_stake=world.total_stake, bundle_slot_probability=world.bundle_slot_probability,
        )  # fmt: skip

    functions: dict[str, Callable[[], object]] = {"floor": floor, "vrf_verify": vrf_verify, "sr25519": sr25519_verify}
    functions["proof"] = proof
    functions["header signature"] = lambda: bundles[0].sealed_header.verify_signature(OPERATOR_KEY[0])
    for size, bundle in bundles.items():
        functions[f"submit {size}"] = submit(bundle)
        functions[f"validate {size}"] = validate(bundle)
        functions[f"root {size}"] = bundle.extrinsics_root
        functions[f"size {size}"] = bundle.size
    print(f"1. bundle checks: {samples:,} samples, round-robin", flush=True)
    figures = medians(functions, samples)
    floor_seconds = figures["floor"]
    print(
        f"   floor: vrf_verify {us(figures['vrf_verify'])} + sr25519 verify of 32 bytes {us(figures['sr25519'])} "
        f"= {us(floor_seconds)} (measured together)",
        flush=True,
    )
    summary = Summary()
    for size, bundle in bundles.items():
        seconds = figures[f"submit {size}"]
        print(
            f"   bundle of {size} transfers ({bundle.size():,} bytes): submit_bundle {us(seconds)} "
            f"= {seconds / floor_seconds:.2f}× floor; validate_bundle {us(figures[f'validate {size}'])}, "
            f"apply {us(seconds - figures[f'validate {size}'])}; of it: verify_proof_of_election "
            f"{us(figures['proof'])}, header signature {us(figures['header signature'])}, extrinsics root "
            f"{us(figures[f'root {size}'])}, encoding for the size {us(figures[f'size {size}'])}",
            flush=True,
        )
        summary.add(
            f"submit_bundle, {size} transfers", us(seconds), f"floor {us(floor_seconds)}",
            f"**{seconds / floor_seconds:.2f}×**",
        )  # fmt: skip
    return summary


# ---- 2. domain transfers per second ----


@dataclasses.dataclass(frozen=True)
class DomainWorld:
    nodes: dict[bytes, bytes]
    parent: ParentBlock
    context: DomainBlockContext
    bundles: tuple[Bundle, ...]
    transfers: tuple[bytes, ...]


def domain_world(count: int, bundle_count: int) -> DomainWorld:
    senders = [numbered(b"domain sender", index) for index in range(count)]
    writer = SteppedWriter({}, EMPTY_ROOT)
    BALANCES.genesis(writer, DOMAIN, [(public, 1_000 * AI3) for public, _ in senders])
    writer.step()
    changes = writer.changes()
    receipt = genesis_receipt(changes.root)
    parent = ParentBlock(receipt.domain_block_hash, changes.root, receipt.hash())
    context = DomainBlockContext(DOMAIN, 1, bytes([7]) * 32, 1, 1_700_000_000_000, 1)
    transfers = signed_transfers(count, senders, count)
    limit = DOMAINS.max_bundle((1, 1))
    per_bundle = -(-count // bundle_count)
    bundles = []
    for index in range(bundle_count):
        chunk = transfers[index * per_bundle : (index + 1) * per_bundle]
        claim = SlotClaim(DOMAIN, 0, 1 + index, proof_of_time(1 + index), 1, 1, (1, 1))
        bundle = produce_bundle(
            claim, OPERATOR_KEY, witness(index.to_bytes(4, "little")), receipt, chunk, BALANCES, limit,
            sign_with(OPERATOR_KEY), ALL_SIGNERS,
        )  # fmt: skip
        assert bundle is not None
        assert len(bundle.extrinsics) == len(chunk), f"a bundle holds {len(bundle.extrinsics)}: raise --bundles"
        bundles.append(bundle)
    return DomainWorld(dict(changes.created), parent, context, tuple(bundles), tuple(transfers))


def derive(world: DomainWorld, runtime: DomainRuntime = BALANCES) -> ExecutedBlock:
    return derive_domain_block(
        runtime, world.nodes, world.parent, world.context, world.bundles, proof_of_time(0), ALL_SIGNERS
    )


def apply_in_process(world: DomainWorld, order: Sequence[bytes], runtime: DomainRuntime = BALANCES) -> bytes:
    """The runtime floor: the transfers in `order` through check + apply on one writer, one step at the end."""
    state = SteppedWriter(world.nodes, world.parent.state_root)
    runtime.initialize_block(state, world.context)
    for inherent in runtime.inherents(world.context):
        runtime.apply(state, inherent, world.context)
    for transfer in order:
        runtime.check(state, transfer, world.context)
        runtime.apply(state, transfer, world.context)
    return state.step()


class TimedRuntime:
    """A runtime whose calls are timed by phase: "classify" until initialize_block, "execute" after."""

    def __init__(self, runtime: DomainRuntime) -> None:
        self.runtime = runtime
        self.name = runtime.name
        self.phase = "classify"
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def _timed(self, what: str, function: Callable[..., Result], *arguments: object) -> Result:
        started = time.perf_counter()
        try:
            return function(*arguments)
        finally:
            self.seconds[f"{self.phase} {what}"] += time.perf_counter() - started

    def open_state(self, nodes: NodeSource, root: bytes | None) -> RuntimeState:
        return self.runtime.open_state(nodes, root)

    def genesis(self, state: DomainState, domain_id: int, initial_balances: Sequence[tuple[bytes, int]]) -> None:
        self.runtime.genesis(state, domain_id, initial_balances)

    def signer(self, extrinsic: bytes) -> bytes | None:
        return self._timed("decode", self.runtime.signer, extrinsic)

    def is_inherent(self, extrinsic: bytes) -> bool:
        return self._timed("decode", self.runtime.is_inherent, extrinsic)

    def weight(self, extrinsic: bytes) -> Weight:
        return self._timed("decode", self.runtime.weight, extrinsic)

    def inherents(self, context: DomainBlockContext) -> list[bytes]:
        return self.runtime.inherents(context)

    def check(
        self, state: DomainState, extrinsic: bytes, context: DomainBlockContext, *, signature_verified: bool = False
    ) -> None:
        check = functools.partial(self.runtime.check, signature_verified=signature_verified)
        self._timed("check", check, state, extrinsic, context)

    def initialize_block(self, state: DomainState, context: DomainBlockContext) -> None:
        self.phase = "execute"
        self.runtime.initialize_block(state, context)

    def apply(self, state: DomainState, extrinsic: bytes, context: DomainBlockContext) -> None:
        self._timed("apply", self.runtime.apply, state, extrinsic, context)

    def finalize_block(self, state: DomainState, context: DomainBlockContext) -> BlockFees:
        return self.runtime.finalize_block(state, context)


def instrumented(function: Callable[[TimedRuntime], object]) -> tuple[float, dict[str, float]]:
    """(total seconds, seconds per part) of one call with a TimedRuntime and SteppedWriter.step timed."""
    runtime = TimedRuntime(BALANCES)
    step = SteppedWriter.step

    def timed_step(writer: SteppedWriter) -> bytes:
        started = time.perf_counter()
        try:
            return step(writer)
        finally:
            runtime.seconds["step"] += time.perf_counter() - started

    SteppedWriter.step = timed_step  # type: ignore[method-assign, assignment]
    try:
        started = time.perf_counter()
        function(runtime)
        total = time.perf_counter() - started
    finally:
        SteppedWriter.step = step  # type: ignore[method-assign]
    return total, dict(runtime.seconds)


def bench_transfers(count: int, bundle_count: int, repeats: int) -> Summary:
    print(
        f"\n2. domain transfers: {count:,} signed transfers from distinct senders in {bundle_count} bundles", flush=True
    )
    world = domain_world(count, bundle_count)
    block = derive(world)
    order = [decode_opaque(extrinsic) for extrinsic in block.extrinsics[2:]]
    assert len(order) == count and all(inboxed.bundle.is_valid for inboxed in block.receipt.inboxed_bundles)
    assert apply_in_process(world, order) == block.header.state_root  # the floor does the same state work
    derive_times, floor_times = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        derive(world)
        derive_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        apply_in_process(world, order)
        floor_times.append(time.perf_counter() - started)
    derive_seconds, floor_seconds = statistics.median(derive_times), statistics.median(floor_times)
    derive_rate, floor_rate = count / derive_seconds, count / floor_seconds
    print(
        f"   derive_domain_block: {derive_seconds:.3f} s = {derive_rate:,.0f} transfers/s; runtime floor (check + "
        f"apply, one step): {floor_seconds:.3f} s = {floor_rate:,.0f} transfers/s; ratio {derive_rate / floor_rate:.2f} "
        f"(median of {repeats})",
        flush=True,
    )
    derive_total, parts = instrumented(lambda runtime: derive(world, runtime))
    floor_total, floor_parts = instrumented(lambda runtime: apply_in_process(world, order, runtime))
    decoded = [decode_extrinsic(transfer) for transfer in order]
    payloads = [(each.signature, each.signing_payload(DOMAIN), each.signer) for each in decoded
                if isinstance(each, SignedTransaction)]  # fmt: skip
    started = time.perf_counter()
    assert all(sr25519.verify(*payload) for payload in payloads)
    verify_seconds = time.perf_counter() - started

    def per(seconds: float) -> str:
        return us(seconds / count)

    classify = sum(seconds for part, seconds in parts.items() if part.startswith("classify"))
    execute_parts = ("execute check", "execute apply", "execute decode", "step")
    rest = derive_total - classify - sum(parts.get(part, 0.0) for part in execute_parts)
    steps = len(block.trace)
    print(
        f"   split per transfer (one instrumented run, {us(derive_total)} in all, {per(derive_total)} per transfer):\n"
        f"     classification {per(classify)} (check {per(parts.get('classify check', 0.0))}, decodes "
        f"{per(parts.get('classify decode', 0.0))})\n"
        f"     execution: check {per(parts.get('execute check', 0.0))}, apply {per(parts.get('execute apply', 0.0))}, "
        f"decode {per(parts.get('execute decode', 0.0))}, step {per(parts.get('step', 0.0))} ({steps} roots, one per "
        f"extrinsic)\n"
        f"     the rest (opaque decodes, shuffle, extrinsics root, trace root, receipt) {per(rest)}\n"
        f"   floor per transfer ({per(floor_total)}): check {per(floor_parts.get('execute check', 0.0))}, apply "
        f"{per(floor_parts.get('execute apply', 0.0))}, one step {per(floor_parts.get('step', 0.0))}\n"
        f"   one sr25519 verify per transfer: {per(verify_seconds)} (the classification's check verifies each signature "
        f"once, as the floor's does; execution's check trusts the bytes classification verified)",
        flush=True,
    )
    summary = Summary()
    summary.add(
        f"derive_domain_block, {count} transfers in {bundle_count} bundles", f"{derive_rate:,.0f} transfers/s",
        f"runtime floor {floor_rate:,.0f} transfers/s", f"**{derive_rate / floor_rate:.2f}**",
    )  # fmt: skip
    summary.add(
        "  per transfer: classification / execution steps", f"{per(classify)} / {per(parts.get('step', 0.0))}",
        f"sr25519 verify {per(verify_seconds)}",
    )  # fmt: skip
    return summary


def main() -> None:
    from domains_latency import bench_latency  # its own module; it uses this one's helpers

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transfers", type=int, default=1_000)
    parser.add_argument("--bundles", type=int, default=4)
    parser.add_argument("--latency-transactions", type=int, default=20)
    parser.add_argument("--samples", type=int, default=300, help="round-robin samples of the bundle checks")
    parser.add_argument("--repeats", type=int, default=5, help="runs of derive_domain_block and of the floor")
    parser.add_argument("--work-dir", type=Path, default=None, help="where the latency part plots its farm")
    parser.add_argument("--quick", action="store_true", help="200 transfers in 2 bundles, 8 latency transfers")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.transfers, arguments.bundles, arguments.latency_transactions = 200, 2, 8
        arguments.samples = 50
    started = time.perf_counter()
    summary = Summary()
    for part in (
        bench_bundles(arguments.samples),
        bench_transfers(arguments.transfers, arguments.bundles, arguments.repeats),
        bench_latency(arguments.latency_transactions, arguments.work_dir),
    ):
        summary.rows += part.rows
    summary.print()
    print(f"\n(run took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
