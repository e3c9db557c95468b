"""The EVM domain: transactions per second through bundles and receipts against py-evm executing the same
transactions directly, and the JSON-RPC round trip against a direct call.

    python benchmarks/evm_domain.py [--transactions 1000] [--repeats 3] [--samples 300] [--quick]

Measured in one process, each part against a floor taken in the same run:
  block     --transactions signed type-2 transactions, half native transfers and half StakeToken.transfer calls (one
            of each from every sender, nonces 0 and 1, to one sink), over a state where the token is deployed and
            every sender holds tokens (domain block 1, itself derived from a bundle of the deployer's transactions,
            over an EVM genesis that endows the senders). They are packed by produce_bundle into as many bundles as
            the domain's bundle limits need (a sender's two transactions in one bundle), then
            execution.derive_domain_block derives domain block 2 (classification of every bundle against the parent
            state, the shuffle, execution with a state root after every extrinsic, the receipt) — against the same
            transactions in the derived block's order executed by py-evm directly, as an Ethereum node does: a
            Cancun state over the same nodes, state.apply_transaction per transaction (decoded, senders recovered,
            outside the timing: a pool did that) and one make_state_root per block. Medians of --repeats runs, and
            one instrumented run splitting the derivation (classification, execution's checks and dispatches, the
            per-extrinsic state roots, the rest) and the floor (apply_transaction, the one root).
  json-rpc  eth_getBalance and eth_call of StakeToken.balanceOf against operator 0's EthApi (an Operator whose chain
            holds block 1 and an empty block 2): through JsonRpcServer over HTTP with EthRpcClient (urllib, a new
            connection per request) and with one http.client keep-alive connection, against the EthApi method
            called in-process (the same locked method the server dispatches to). Medians of --samples round-robin.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import eth_abi
from bench_common import Summary, medians
from domains import ALL_SIGNERS, DOMAINS, OPERATOR_KEY, proof_of_time, sign_with, us, witness
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.vm.execution_context import ExecutionContext
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from autonomys.actors.domains.eth_api import EthApi
from autonomys.actors.domains.eth_client import EthRpcClient
from autonomys.actors.domains.jsonrpc import JsonRpcDispatcher, JsonRpcServer
from autonomys.actors.domains.operator import Operator, OperatorIdentity
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.domains.bundles import Bundle, BundleHeader, ProofOfElection, Weight, seal
from autonomys.protocol.domains.contracts import load_contract
from autonomys.protocol.domains.evm_receipts import EvmOutcome
from autonomys.protocol.domains.evm_state import BLOCK_GAS_LIMIT, EVM_FORK, EvmSession
from autonomys.protocol.domains.execution import ExecutedBlock, ParentBlock, decode_opaque, derive_domain_block
from autonomys.protocol.domains.execution import encode_opaque as opaque
from autonomys.protocol.domains.producer import SlotClaim, produce_bundle
from autonomys.protocol.domains.receipts import genesis_receipt
from autonomys.protocol.domains.registry import compute_domain_genesis
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainRuntime, runtime_named
from autonomys.protocol.domains.runtime_evm import compute_base_fee
from autonomys.protocol.domains.substrate_trie import ordered_trie_root
from autonomys.protocol.params import MINIMAL

AI3 = 10**18
DOMAIN = 0
CHAIN_ID = 870
EVM = runtime_named("evm")
DEPLOYER_KEY = keccak(b"evm domain benchmark deployer")
DEPLOYER = bytes.fromhex(Account.from_key(DEPLOYER_KEY).address[2:])
SINK = keccak(b"evm domain benchmark sink")[12:]
BASE_FEE = compute_base_fee(0)
TOKEN_AMOUNT = 10**18
TIMESTAMP_MS = 1_700_000_000_000


def sender_key(index: int) -> bytes:
    return keccak(b"evm domain benchmark sender" + index.to_bytes(4, "big"))


def sign(key: bytes, nonce: int, to: bytes | None, gas: int, value: int = 0, data: bytes = b"") -> bytes:
    transaction: dict[str, Any] = {
        "type": 2, "chainId": CHAIN_ID, "nonce": nonce, "value": value, "gas": gas, "data": data,
        "maxFeePerGas": 2 * BASE_FEE, "maxPriorityFeePerGas": 0,
    }  # fmt: skip
    if to is not None:
        transaction["to"] = to_checksum_address(to)
    return bytes(Account.sign_transaction(transaction, key).raw_transaction)


def call_data(signature: str, types: list[str], values: list[Any]) -> bytes:
    return keccak(text=signature)[:4] + eth_abi.encode(types, values)


def context(number: int, parent_hash: bytes) -> DomainBlockContext:
    consensus_hash = keccak(b"consensus block" + number.to_bytes(4, "big"))
    return DomainBlockContext(DOMAIN, number, consensus_hash, number, TIMESTAMP_MS + 6_000 * number, 0, parent_hash)


def unlimited_bundle(extrinsics: Sequence[bytes], runtime: DomainRuntime = EVM) -> Bundle:
    """A bundle of any size (the setup block's; classification does not check the bundle limits)."""
    weights = [runtime.weight(extrinsic) for extrinsic in extrinsics]
    encoded = tuple(opaque(extrinsic) for extrinsic in extrinsics)
    weight = Weight(sum(w.ref_time for w in weights), sum(w.proof_size for w in weights))
    election = ProofOfElection(DOMAIN, 1, proof_of_time(1), bytes(range(96)), 0)
    header = BundleHeader(election, genesis_receipt(bytes(32)), weight, ordered_trie_root(encoded))
    return Bundle(seal(header, OPERATOR_KEY), encoded)


@dataclasses.dataclass(frozen=True)
class EvmWorld:
    initial_balances: tuple[tuple[bytes, int], ...]
    setup: ExecutedBlock
    token: bytes
    nodes: dict[bytes, bytes]
    """Genesis and block 1's nodes: what block 2 executes over."""
    parent: ParentBlock
    context: DomainBlockContext
    bundles: tuple[Bundle, ...]
    transactions: int


def evm_world(transactions: int) -> EvmWorld:
    senders = [sender_key(index) for index in range(transactions // 2)]
    addresses = [bytes.fromhex(Account.from_key(key).address[2:]) for key in senders]
    balances = ((DEPLOYER, 10**6 * AI3), *((address, 10 * AI3) for address in addresses))
    genesis = compute_domain_genesis("evm", DOMAIN, balances, evm_chain_id=CHAIN_ID)
    token_contract = load_contract("StakeToken")
    deploy = token_contract.bytecode + eth_abi.encode(["string", "string", "uint256"], ["Bench", "B", 10**30])
    token = keccak(bytes([0xD6, 0x94]) + DEPLOYER + bytes([0x80]))[12:]  # rlp([deployer, 0])
    setup_transactions = [sign(DEPLOYER_KEY, 0, None, 3_000_000, 0, deploy)] + [
        sign(DEPLOYER_KEY, 1 + index, token, 80_000, 0, transfer_call(address, 2 * TOKEN_AMOUNT))
        for index, address in enumerate(addresses)
    ]  # fmt: skip
    receipt = genesis_receipt(genesis.root)
    first = ParentBlock(receipt.domain_block_hash, genesis.root, receipt.hash())
    setup = derive_domain_block(
        EVM, genesis.created, first, context(1, receipt.domain_block_hash), [unlimited_bundle(setup_transactions)],
        proof_of_time(1), ALL_SIGNERS,
    )  # fmt: skip
    outcomes = [EvmOutcome.from_bytes(raw) for raw in setup.outcomes]
    assert len(outcomes) == len(setup_transactions) and all(outcome.success for outcome in outcomes)
    assert outcomes[0].contract_address == token
    call_gas = outcomes[-1].gas_used * 6 // 5
    load = [
        (sign(key, 0, SINK, 21_000, 10**15), sign(key, 1, token, call_gas, 0, transfer_call(SINK, TOKEN_AMOUNT)))
        for key in senders
    ]
    bundles = pack(load, setup.receipt)
    parent = ParentBlock(setup.header.hash(), setup.header.state_root, setup.receipt.hash())
    nodes = {**genesis.created, **setup.changes.created}
    return EvmWorld(
        balances, setup, token, nodes, parent, context(2, setup.header.hash()), bundles,
        2 * len(senders),
    )  # fmt: skip


def transfer_call(receiver: bytes, amount: int) -> bytes:
    return call_data("transfer(address,uint256)", ["address", "uint256"], [receiver, amount])


def pack(load: Sequence[tuple[bytes, bytes]], receipt: Any) -> tuple[Bundle, ...]:  # noqa: ANN401
    """Bundles by produce_bundle within the domain's bundle limits, each sender's pair in one bundle."""
    limit = DOMAINS.max_bundle((1, 1))
    chunks: list[list[bytes]] = [[]]
    gas, size = 0, 0
    for pair in load:
        pair_gas = sum(EVM.weight(raw).ref_time for raw in pair)
        pair_size = sum(len(opaque(raw)) for raw in pair)
        if gas + pair_gas > limit.max_bundle_weight.ref_time or size + pair_size > limit.max_bundle_size:
            chunks.append([])
            gas, size = 0, 0
        chunks[-1] += pair
        gas, size = gas + pair_gas, size + pair_size
    bundles = []
    for index, chunk in enumerate(chunks):
        claim = SlotClaim(DOMAIN, 0, 2 + index, proof_of_time(2 + index), 1, 1, (1, 1))
        bundle = produce_bundle(
            claim, OPERATOR_KEY, witness(b"evm" + index.to_bytes(4, "little")), receipt, chunk, EVM, limit,
            sign_with(OPERATOR_KEY), ALL_SIGNERS,
        )  # fmt: skip
        assert bundle is not None and len(bundle.extrinsics) == len(chunk)
        bundles.append(bundle)
    return tuple(bundles)


def derive(world: EvmWorld, runtime: Any = EVM) -> ExecutedBlock:  # noqa: ANN401 - the runtime or its timed proxy
    return derive_domain_block(
        runtime, world.nodes, world.parent, world.context, world.bundles, proof_of_time(2), ALL_SIGNERS
    )


def direct_state(world: EvmWorld) -> Any:  # noqa: ANN401 - py-evm's StateAPI
    """A plain py-evm Cancun state over a copy of block 1's nodes, as an Ethereum node executes block 2."""
    execution = ExecutionContext(
        coinbase=bytes(20), timestamp=world.context.timestamp_ms // 1000, block_number=2, difficulty=0,
        mix_hash=bytes(32), gas_limit=BLOCK_GAS_LIMIT, prev_hashes=(), chain_id=CHAIN_ID, base_fee_per_gas=BASE_FEE,
        excess_blob_gas=0,
    )  # fmt: skip
    return EVM_FORK.get_state_class()(AtomicDB(MemoryDB(dict(world.nodes))), execution, world.parent.state_root)


def decoded(order: Sequence[bytes]) -> list[Any]:
    """The transactions decoded and their senders recovered (what a pool did before the block)."""
    builder = EVM_FORK.get_transaction_builder()
    transactions = [builder.decode(raw) for raw in order]
    for transaction in transactions:
        _ = transaction.sender
    return transactions


def execute_directly(state: Any, transactions: Sequence[Any], parts: dict[str, float] | None = None) -> int:  # noqa: ANN401
    """apply_transaction per transaction and one state root; the successes."""
    started = time.perf_counter()
    successes = 0
    for transaction in transactions:
        state.lock_changes()
        successes += state.apply_transaction(transaction).is_success
    middle = time.perf_counter()
    state.make_state_root()
    if parts is not None:
        parts["apply"], parts["root"] = middle - started, time.perf_counter() - middle
    return successes


class TimedRuntime:
    """The EVM runtime with its calls timed by name: "classify …" until initialize_block, "execute …" after."""

    def __init__(self) -> None:
        self.phase = "classify"
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.name = EVM.name

    def __getattr__(self, name: str) -> Callable[..., Any]:
        function = getattr(EVM, name)
        if name == "initialize_block":
            self.phase = "execute"

        def timed(*arguments: Any, **keywords: Any) -> Any:  # noqa: ANN401
            started = time.perf_counter()
            try:
                return function(*arguments, **keywords)
            finally:
                self.seconds[f"{self.phase} {name}"] += time.perf_counter() - started

        return timed


def instrumented_derive(world: EvmWorld) -> tuple[float, dict[str, float]]:
    runtime = TimedRuntime()
    originals = {name: getattr(EvmSession, name) for name in ("step", "changes")}

    def timing(name: str) -> Callable[..., Any]:
        def timed(session: EvmSession) -> Any:  # noqa: ANN401
            started = time.perf_counter()
            try:
                return originals[name](session)
            finally:
                runtime.seconds[name] += time.perf_counter() - started

        return timed

    for name in originals:
        setattr(EvmSession, name, timing(name))
    try:
        started = time.perf_counter()
        derive(world, runtime)
        return time.perf_counter() - started, dict(runtime.seconds)
    finally:
        for name, original in originals.items():
            setattr(EvmSession, name, original)


def bench_block(world: EvmWorld, repeats: int, setup_seconds: float) -> Summary:
    block = derive(world)  # warms the decode cache, as the pool's admission does
    order = [decode_opaque(extrinsic) for extrinsic in block.extrinsics[2:]]
    outcomes = [EvmOutcome.from_bytes(raw) for raw in block.outcomes]
    assert len(order) == len(outcomes) == world.transactions and all(outcome.success for outcome in outcomes)
    assert execute_directly(direct_state(world), decoded(order)) == world.transactions
    gas = sum(outcome.gas_used for outcome in outcomes)
    print(
        f"1. EVM block: {world.transactions:,} transactions ({world.transactions // 2:,} transfers + "
        f"{world.transactions // 2:,} StakeToken.transfer calls, {gas:,} gas) from {world.transactions // 2:,} "
        f"senders in {len(world.bundles)} bundle(s) (set up in {setup_seconds:.1f} s)",
        flush=True,
    )
    derive_times, direct_times = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        derive(world)
        derive_times.append(time.perf_counter() - started)
        state, transactions = direct_state(world), decoded(order)
        started = time.perf_counter()
        execute_directly(state, transactions)
        direct_times.append(time.perf_counter() - started)
    derive_rate = world.transactions / statistics.median(derive_times)
    direct_rate = world.transactions / statistics.median(direct_times)
    print(
        f"   derive_domain_block {statistics.median(derive_times):.3f} s = {derive_rate:,.0f} tx/s; py-evm directly "
        f"{statistics.median(direct_times):.3f} s = {direct_rate:,.0f} tx/s; ratio {derive_rate / direct_rate:.2f} "
        f"(median of {repeats})",
        flush=True,
    )
    total, parts = instrumented_derive(world)
    direct_parts: dict[str, float] = {}
    execute_directly(direct_state(world), decoded(order), direct_parts)

    def per(seconds: float) -> str:
        return us(seconds / world.transactions)

    classify = sum(seconds for name, seconds in parts.items() if name.startswith("classify"))
    check, apply = parts.get("execute check", 0.0), parts.get("execute apply", 0.0)
    execute_decode = sum(parts.get(f"execute {name}", 0.0) for name in ("is_inherent", "signer", "weight"))
    roots, changes = parts.get("step", 0.0), parts.get("changes", 0.0)
    rest = total - classify - check - apply - execute_decode - roots - changes
    print(
        f"   split per transaction (one instrumented run, {total:.3f} s, {per(total)} per transaction):\n"
        f"     classification {per(classify)} (check {per(parts.get('classify check', 0.0))})\n"
        f"     execution: check {per(check)}, apply (dispatch) {per(apply)}, decodes {per(execute_decode)}, state "
        f"root after every extrinsic {per(roots)} ({len(block.trace)} roots), changes {per(changes)}\n"
        f"     the rest (shuffle, extrinsics root, trace root, receipt) {per(rest)}\n"
        f"   py-evm directly per transaction: apply_transaction {per(direct_parts['apply'])}, one state root "
        f"{us(direct_parts['root'])} per block",
        flush=True,
    )
    summary = Summary()
    summary.add(
        f"EVM block of {world.transactions} tx (½ transfers, ½ token calls) in {len(world.bundles)} bundle(s)",
        f"{derive_rate:,.0f} tx/s", f"py-evm directly {direct_rate:,.0f} tx/s", f"**{derive_rate / direct_rate:.2f}**",
    )  # fmt: skip
    summary.add(
        "  per tx: classification / execution (check + apply) / state roots",
        f"{per(classify)} / {per(check + apply)} / {per(roots)}", f"apply_transaction {per(direct_parts['apply'])}",
    )  # fmt: skip
    return summary


# ---- 2. JSON-RPC round trips ----


def operator_over(world: EvmWorld) -> Operator:
    """An operator (no consensus node: it is only read) whose chain holds block 1 and an empty block 2."""
    identity = OperatorIdentity(DOMAIN, 0, bytes([7]) * 32, world.initial_balances, "evm", CHAIN_ID)
    operator = Operator(MINIMAL, identity, MemoryKVStore(), None, lambda: bytes(64))  # type: ignore[arg-type]
    setup = world.setup
    operator.chain.follow(
        1, setup.header.hash(), setup, [EVM.transaction_hash(decode_opaque(e)) for e in setup.extrinsics]
    )
    parent = ParentBlock(setup.header.hash(), setup.header.state_root, setup.receipt.hash())
    empty = derive_domain_block(EVM, world.nodes, parent, context(2, setup.header.hash()), [], proof_of_time(2), 0)
    operator.chain.follow(2, empty.header.hash(), empty, [])
    return operator


def bench_json_rpc(world: EvmWorld, samples: int) -> Summary:
    operator = operator_over(world)
    methods = EthApi(operator, threading.Lock()).methods()
    server = JsonRpcServer(JsonRpcDispatcher(methods))
    port = server.start()
    client = EthRpcClient(f"http://127.0.0.1:{port}")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    holder = "0x" + bytes.fromhex(Account.from_key(sender_key(0)).address[2:]).hex()
    balance_of = "0x" + call_data("balanceOf(address)", ["address"], [holder]).hex()
    requests = {
        "eth_getBalance": [holder, "latest"],
        "eth_call balanceOf": [{"to": "0x" + world.token.hex(), "data": balance_of}, "latest"],
    }

    def keep_alive(method: str, params: list[Any]) -> Any:  # noqa: ANN401
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        connection.request("POST", "/", body, {"Content-Type": "application/json"})
        return json.loads(connection.getresponse().read())["result"]

    functions: dict[str, Callable[[], object]] = {}
    for what, params in requests.items():
        method = what.split()[0]
        functions[f"{what} direct"] = lambda method=method, params=params: methods[method](*params)
        functions[f"{what} urllib"] = lambda method=method, params=params: client.request(method, params)
        functions[f"{what} keep-alive"] = lambda method=method, params=params: keep_alive(method, params)
    try:
        assert int(functions["eth_getBalance urllib"](), 16) == 10 * AI3  # type: ignore[call-overload]
        assert int(functions["eth_call balanceOf keep-alive"](), 16) == 2 * TOKEN_AMOUNT  # type: ignore[call-overload]
        figures = medians(functions, samples)
    finally:
        connection.close()
        server.stop()
    print(
        f"\n2. JSON-RPC round trip against the EthApi method in-process: medians of {samples} round-robin", flush=True
    )
    summary = Summary()
    for what in requests:
        direct = figures[f"{what} direct"]
        for transport in ("urllib", "keep-alive"):
            figure = figures[f"{what} {transport}"]
            print(f"   {what}: over HTTP ({transport}) {us(figure)}, direct {us(direct)}: {figure / direct:.1f}×")
            if transport == "keep-alive" and figure > 10 * figures[f"{what} urllib"]:
                print(
                    "     (a kept-alive connection waits out delayed ACK: the server writes the head and the body in "
                    "two sends with Nagle's algorithm on; a new connection is in quick-ACK mode)"
                )
            label = "EthRpcClient, urllib, a connection per call" if transport == "urllib" else "http.client keep-alive"
            summary.add(f"{what} over HTTP ({label})", us(figure), f"direct {us(direct)}", f"{figure / direct:.1f}×")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=1_000, help="transactions in the block (even: pairs)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of derive_domain_block and of py-evm directly")
    parser.add_argument("--samples", type=int, default=300, help="round-robin samples of the JSON-RPC calls")
    parser.add_argument("--quick", action="store_true", help="200 transactions, 1 repeat, 50 samples")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.transactions, arguments.repeats, arguments.samples = 200, 1, 50
    if arguments.transactions < 2:
        parser.error("--transactions is at least 2 (a transfer and a call)")
    started = time.perf_counter()
    world = evm_world(arguments.transactions)
    summary = bench_block(world, arguments.repeats, time.perf_counter() - started)
    summary.rows += bench_json_rpc(world, arguments.samples).rows
    summary.print()
    print(f"\n(run took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
