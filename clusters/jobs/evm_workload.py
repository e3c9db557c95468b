"""A transaction workload against a running EVM domain, over its Ethereum JSON-RPC: native transfers and ERC-20
contract calls from many senders, and what came of them.

    ray job submit --address http://127.0.0.1:8265 --working-dir . -- \\
        python -m autonomys.jobs.evm_workload --rpc http://127.0.0.1:8545 --transfers 200 --calls 200

It needs no Ray itself (it runs under `ray job submit` as a plain process and speaks JSON-RPC to `--rpc`). It checks
the chain id (against `--chain-id` when given), deploys the StakeToken contract from the `--key` account (Alith's,
endowed on devnet EVM domains, by default), then in one batch funds `--senders` accounts derived from the key
(keccak(key || label || index): the same senders on every run) with exactly what their share of the load costs
at most, and gives each the tokens its calls move. The load is `--transfers` native transfers and `--calls`
`transfer(sink, amount)` calls, interleaved and spread round-robin over the senders, to a sink address derived
from the key: signed type-2 transactions (nonces counted locally per sender, maxFeePerGas twice eth_gasPrice, no
tip, 21,000 gas for a transfer and eth_estimateGas × 1.2, estimated once, for a call). It then polls
eth_getTransactionReceipt (each sender's oldest transaction without a receipt: receipts come in nonce order) until
every transaction has one or `--timeout` passes, and prints the throughput (from the first send to the last
receipt, and per domain block), the receipts' statuses, the gas used and the domain blocks the transactions landed
in; its last line is a JSON summary (`{"transfers":…, "calls":…, "succeeded":…, "failed":…, "missing":…, …}`).

Exit status: 0 done, 1 the JSON-RPC server is unreachable or a step failed, 2 the arguments must change.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import eth_abi
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from autonomys.actors.domains.eth_client import (
    EthRpcBadAnswer,
    EthRpcClient,
    EthRpcError,
    EthRpcUnavailable,
    decode_data,
    decode_quantity,
)
from autonomys.actors.domains.executor_bot import EthLink
from autonomys.protocol.domains.contracts import load_contract

EXIT_UNREACHABLE: Final = 1
EXIT_MUST_CHANGE: Final = 2
DEFAULT_RPC: Final = "http://127.0.0.1:8545"
ALITH_KEY: Final = "5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133"
"""The devnet EVM domains' endowed account (Frontier's well-known development key)."""
TRANSFER_GAS: Final = 21_000
TRANSFER_VALUE: Final = 10**15
"""Wei each native transfer moves to the sink."""
TOKEN_AMOUNT: Final = 10**18
"""Token units each contract call moves to the sink (one token of 18 decimals)."""
TOKEN_SUPPLY: Final = 10**27
FEE_CAP_MULTIPLIER: Final = 2
"""maxFeePerGas is this many times eth_gasPrice: room for the base fee to rise while a transaction waits."""
POLL_SECONDS: Final = 0.25
SENDER_LABEL: Final = b"autonomys evm workload sender"
SINK_LABEL: Final = b"autonomys evm workload sink"
TRANSFER: Final = "transfer"
CALL: Final = "call"


# ---- errors (to move to actors/errors.py) ----


class WorkloadError(Exception):
    """A workload step that failed (a setup transaction refused or failed, the wrong chain); the message says which."""


class ChainMismatch(WorkloadError):
    """The JSON-RPC server serves another chain than the one asked for, or no EVM chain at all."""


# ---- the plan ----


@dataclass(frozen=True, slots=True)
class WorkloadPlan:
    """What to send, from how many senders, and how long to wait for receipts (per wait)."""

    transfers: int
    calls: int
    senders: int = 8
    timeout: float = 300.0
    chain_id: int | None = None
    """The chain id the server must serve (None: any EVM chain)."""


def derive_sender_key(key: bytes, index: int) -> bytes:
    """The private key of sender `index`: keccak(key || SENDER_LABEL || index as 4 bytes big-endian)."""
    return bytes(keccak(key + SENDER_LABEL + index.to_bytes(4, "big")))


def derive_sink(key: bytes) -> bytes:
    """The address the load's transfers and token calls pay: keccak(key || SINK_LABEL)'s last 20 bytes."""
    return bytes(keccak(key + SINK_LABEL))[12:]


def assign(plan: WorkloadPlan) -> list[tuple[str, int]]:
    """(kind, sender index) of each load transaction: transfers and calls interleaved, the j-th of each kind from
    sender j mod senders (so each sender sends both kinds)."""
    kinds: list[tuple[str, int]] = []
    for position in range(max(plan.transfers, plan.calls)):
        sender = position % plan.senders
        kinds += [(TRANSFER, sender)] * (position < plan.transfers) + [(CALL, sender)] * (position < plan.calls)
    return kinds


# ---- signing and sending ----


@dataclass(slots=True)
class SenderAccount:
    """An account the workload signs for, with its next nonce counted locally."""

    key: bytes
    nonce: int
    address: bytes = b""

    def __post_init__(self) -> None:
        self.address = bytes.fromhex(Account.from_key(self.key).address[2:])

    def sign(self, chain_id: int, max_fee: int, to: bytes | None, gas: int, value: int = 0, data: bytes = b"") -> bytes:
        """A type-2 transaction at the account's next nonce (which `send` advances when the pool takes it)."""
        transaction: dict[str, Any] = {
            "type": 2, "chainId": chain_id, "nonce": self.nonce, "value": value, "gas": gas, "data": data,
            "maxFeePerGas": max_fee, "maxPriorityFeePerGas": 0,
        }  # fmt: skip
        if to is not None:
            transaction["to"] = to_checksum_address(to)
        return bytes(Account.sign_transaction(transaction, self.key).raw_transaction)


def send(link: EthLink, account: SenderAccount, raw: bytes) -> bytes:
    """Send a transaction signed at the account's nonce and advance the nonce; its hash (EthRpcError: refused, and
    the nonce stays for the next transaction)."""
    tx_hash = link.send_raw_transaction(raw)
    account.nonce += 1
    return tx_hash


def encode_call(signature: str, types: Sequence[str], values: Sequence[Any]) -> bytes:
    """ABI call data: the 4-byte selector of `signature` and the encoded arguments."""
    return bytes(keccak(text=signature)[:4]) + eth_abi.encode(list(types), list(values))


def token_transfer(receiver: bytes, amount: int) -> bytes:
    return encode_call("transfer(address,uint256)", ["address", "uint256"], [receiver, amount])


# ---- receipts ----


@dataclass(frozen=True, slots=True)
class Landed:
    """What a receipt says of a transaction, and when the workload saw it."""

    success: bool
    gas_used: int
    block_number: int
    contract_address: bytes | None
    seen: float


def parse_receipt(receipt: dict[str, Any], seen: float) -> Landed:
    try:
        created = receipt.get("contractAddress")
        return Landed(
            decode_quantity(receipt["status"]) == 1, decode_quantity(receipt["gasUsed"]),
            decode_quantity(receipt["blockNumber"]), None if created is None else decode_data(created, 20), seen,
        )  # fmt: skip
    except (KeyError, ValueError) as error:
        raise WorkloadError(f"a malformed receipt ({type(error).__name__}: {error}): {receipt}") from error


@dataclass(frozen=True, slots=True)
class Pace:
    """How the workload tells time and waits for the chain (tests wait by farming slots)."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def wait_receipts(link: EthLink, queues: Sequence[Sequence[bytes]], timeout: float, pace: Pace) -> dict[bytes, Landed]:
    """The receipts of the transactions in `queues` (one per sender, in nonce order) seen within `timeout`: each
    round asks for each queue's oldest transaction without one, and for the next as soon as it has one."""
    landed: dict[bytes, Landed] = {}
    positions = [0] * len(queues)
    deadline = pace.clock() + timeout
    while True:
        for index, queue in enumerate(queues):
            while positions[index] < len(queue):
                receipt = link.transaction_receipt(queue[positions[index]])
                if receipt is None:
                    break
                landed[queue[positions[index]]] = parse_receipt(receipt, pace.clock())
                positions[index] += 1
        done = all(position == len(queue) for position, queue in zip(positions, queues, strict=True))
        if done or pace.clock() >= deadline:
            return landed
        pace.sleep(POLL_SECONDS)


def _wait_all(link: EthLink, step: str, hashes: list[bytes], timeout: float, pace: Pace) -> list[Landed]:
    """The receipts of a setup step's transactions (one sender, in nonce order); WorkloadError unless all succeeded."""
    landed = wait_receipts(link, [hashes], timeout, pace)
    if len(landed) < len(hashes):
        raise WorkloadError(f"{step}: {len(hashes) - len(landed)} of {len(hashes)} transactions had no receipt "
                            f"within {timeout:.0f} s")  # fmt: skip
    failed = [tx_hash for tx_hash in hashes if not landed[tx_hash].success]
    if failed:
        raise WorkloadError(f"{step}: {len(failed)} transactions failed, the first 0x{failed[0].hex()}")
    return [landed[tx_hash] for tx_hash in hashes]


# ---- the workload ----


@dataclass(frozen=True, slots=True)
class Setup:
    """What the load runs on: the chain, the fee cap, the token, the call's gas limit, the funded senders."""

    chain_id: int
    max_fee: int
    token: bytes
    call_gas: int
    sink: bytes
    senders: tuple[SenderAccount, ...]


@dataclass(slots=True)
class WorkloadReport:
    """What came of the load."""

    transfers: int
    calls: int
    rejected: int = 0
    first_rejection: str = ""
    landed: dict[bytes, Landed] = field(default_factory=dict)
    kinds: dict[bytes, str] = field(default_factory=dict)
    send_seconds: float = 0.0
    seconds: float = 0.0
    """From the first send to the last receipt seen."""

    def count(self, success: bool) -> int:
        return sum(1 for entry in self.landed.values() if entry.success == success)

    @property
    def missing(self) -> int:
        return len(self.kinds) - len(self.landed)

    @property
    def tps(self) -> float:
        return len(self.landed) / self.seconds if self.seconds > 0 else 0.0

    def blocks(self) -> Counter[int]:
        """Transactions per domain block."""
        return Counter(entry.block_number for entry in self.landed.values())

    def gas_used(self, kind: str | None = None) -> int:
        return sum(entry.gas_used for tx_hash, entry in self.landed.items() if kind in (None, self.kinds[tx_hash]))

    def summary(self) -> dict[str, Any]:
        """The one-line JSON summary's fields."""
        return {
            "transfers": self.transfers, "calls": self.calls, "succeeded": self.count(True),
            "failed": self.count(False), "missing": self.missing, "rejected": self.rejected,
            "seconds": round(self.seconds, 3), "tps": round(self.tps, 2), "blocks": len(self.blocks()),
            "gas_used": self.gas_used(),
        }  # fmt: skip


def prepare(link: EthLink, key: bytes, plan: WorkloadPlan, say: Callable[[str], None], pace: Pace) -> Setup:
    """Check the chain, deploy the token, fund the senders and give them their tokens (two waits for receipts)."""
    chain_id = link.chain_id()
    if chain_id == 0 or (plan.chain_id is not None and chain_id != plan.chain_id):
        wanted = "an EVM chain" if plan.chain_id is None else f"chain {plan.chain_id}"
        raise ChainMismatch(f"the server serves chain id {chain_id}, not {wanted}")
    max_fee = FEE_CAP_MULTIPLIER * link.gas_price()
    owner = SenderAccount(key, 0)
    owner.nonce = link.transaction_count(owner.address, "pending")
    say(f"chain id {chain_id}; gas price {max_fee // FEE_CAP_MULTIPLIER:,} wei; account 0x{owner.address.hex()} "
        f"at nonce {owner.nonce}")  # fmt: skip
    token = load_contract("StakeToken")
    deployment = token.bytecode + eth_abi.encode(["string", "string", "uint256"], ["Workload", "LOAD", TOKEN_SUPPLY])
    deploy_gas = link.estimate_gas({"from": owner.address, "data": deployment}) * 6 // 5
    deployed = _wait_all(
        link, "deploying StakeToken", [_send_setup(link, owner, chain_id, max_fee, None, deploy_gas, 0, deployment)],
        plan.timeout, pace,
    )[0]  # fmt: skip
    if deployed.contract_address is None:
        raise WorkloadError("deploying StakeToken: the receipt names no contract address")
    token_address = deployed.contract_address
    sink = derive_sink(key)
    call_gas = link.estimate_gas({"from": owner.address, "to": token_address, "data": token_transfer(sink, 1)}) * 6 // 5
    say(f"StakeToken deployed at 0x{token_address.hex()} in domain block {deployed.block_number}; a transfer call "
        f"gets {call_gas:,} gas")  # fmt: skip
    shares = Counter(assign(plan))
    senders = tuple(SenderAccount(derive_sender_key(key, index), 0) for index in range(plan.senders))
    hashes = []
    for index, sender in enumerate(senders):
        transfers, calls = shares[(TRANSFER, index)], shares[(CALL, index)]
        cost = transfers * (TRANSFER_VALUE + TRANSFER_GAS * max_fee) + calls * call_gas * max_fee
        if cost:
            hashes.append(_send_setup(link, owner, chain_id, max_fee, sender.address, TRANSFER_GAS, cost))
        if calls:
            data = token_transfer(sender.address, calls * TOKEN_AMOUNT)
            hashes.append(_send_setup(link, owner, chain_id, max_fee, token_address, call_gas, 0, data))
    _wait_all(link, "funding the senders", hashes, plan.timeout, pace)
    for sender in senders:
        sender.nonce = link.transaction_count(sender.address, "pending")
    say(f"{plan.senders} senders funded and given tokens ({len(hashes)} transactions)")
    return Setup(chain_id, max_fee, token_address, call_gas, sink, senders)


def _send_setup(
    link: EthLink, owner: SenderAccount, chain_id: int, max_fee: int, to: bytes | None, gas: int, value: int,
    data: bytes = b"",
) -> bytes:  # fmt: skip
    try:
        return send(link, owner, owner.sign(chain_id, max_fee, to, gas, value, data))
    except EthRpcError as error:
        raise WorkloadError(f"a setup transaction from 0x{owner.address.hex()} was refused: {error.message}") from error


def run_load(link: EthLink, setup: Setup, plan: WorkloadPlan, pace: Pace) -> WorkloadReport:
    """Send the load, then wait for its receipts."""
    report = WorkloadReport(plan.transfers, plan.calls)
    queues: list[list[bytes]] = [[] for _ in setup.senders]
    call_data = token_transfer(setup.sink, TOKEN_AMOUNT)
    started = pace.clock()
    for kind, index in assign(plan):
        sender = setup.senders[index]
        if kind == TRANSFER:
            raw = sender.sign(setup.chain_id, setup.max_fee, setup.sink, TRANSFER_GAS, TRANSFER_VALUE)
        else:
            raw = sender.sign(setup.chain_id, setup.max_fee, setup.token, setup.call_gas, 0, call_data)
        try:
            tx_hash = send(link, sender, raw)
        except EthRpcError as error:
            report.rejected += 1
            report.first_rejection = report.first_rejection or error.message
            continue
        queues[index].append(tx_hash)
        report.kinds[tx_hash] = kind
    report.send_seconds = pace.clock() - started
    report.landed = wait_receipts(link, queues, plan.timeout, pace)
    last = max((entry.seen for entry in report.landed.values()), default=pace.clock())
    report.seconds = last - started
    return report


def run_workload(
    link: EthLink, key: bytes, plan: WorkloadPlan, say: Callable[[str], None] = print, pace: Pace = Pace()
) -> WorkloadReport:
    """Prepare, send the load, print what came of it (the last line: the JSON summary); the report."""
    setup = prepare(link, key, plan, say, pace)
    sent = plan.transfers + plan.calls
    say(f"sending {plan.transfers} transfers and {plan.calls} token calls from {plan.senders} senders")
    report = run_load(link, setup, plan, pace)
    for line in describe(report, sent):
        say(line)
    say(json.dumps(report.summary(), separators=(",", ":")))
    return report


def describe(report: WorkloadReport, sent: int) -> list[str]:
    """The human-readable lines of a report."""
    accepted = len(report.kinds)
    lines = [
        f"sent {accepted} of {sent} in {report.send_seconds:.2f} s "
        f"({accepted / report.send_seconds if report.send_seconds > 0 else 0:,.1f} accepted/s)"
        + (f"; {report.rejected} refused, the first: {report.first_rejection}" if report.rejected else ""),
        f"receipts: {report.count(True)} succeeded, {report.count(False)} failed, {report.missing} missing",
    ]
    blocks = report.blocks()
    if blocks:
        per_block = len(report.landed) / len(blocks)
        lines.append(
            f"throughput: {report.tps:,.2f} transactions/s over {report.seconds:.2f} s (first send to last receipt); "
            f"{per_block:,.1f} per domain block over {len(blocks)} blocks ({min(blocks)}..{max(blocks)}, at most "
            f"{max(blocks.values())} in one)"
        )
        lines.append("domain blocks: " + ", ".join(f"{number}: {count}" for number, count in sorted(blocks.items())))
    transfers = sum(1 for tx_hash in report.landed if report.kinds[tx_hash] == TRANSFER)
    calls = len(report.landed) - transfers
    lines.append(
        f"gas used: {report.gas_used():,} in all; transfers {report.gas_used(TRANSFER):,} ({transfers}), "
        f"token calls {report.gas_used(CALL):,} ({calls}"
        + (f", {report.gas_used(CALL) // calls:,} each on average)" if calls else ")")
    )
    return lines


# ---- the command ----


def parse_key(text: str) -> bytes:
    raw = text[2:] if text.startswith(("0x", "0X")) else text
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise argparse.ArgumentTypeError("a private key is 32 bytes of hex")
    return key


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autonomys.jobs.evm_workload", description=__doc__.splitlines()[0])
    parser.add_argument("--rpc", default=DEFAULT_RPC, help=f"The domain's JSON-RPC URL (default {DEFAULT_RPC}).")
    parser.add_argument("--key", type=parse_key, default=parse_key(ALITH_KEY), help="The funding account's key (hex).")
    parser.add_argument("--transfers", type=int, default=100, help="Native transfers to send.")
    parser.add_argument("--calls", type=int, default=100, help="StakeToken transfer calls to send.")
    parser.add_argument("--senders", type=int, default=8, help="Accounts the load is spread over.")
    parser.add_argument("--timeout", type=float, default=300.0, help="Seconds to wait for each batch's receipts.")
    parser.add_argument("--chain-id", type=int, default=None, help="The chain id the server must serve.")
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as stop:  # argparse's usage errors (2) and --help (0)
        return EXIT_MUST_CHANGE if stop.code else 0
    if arguments.transfers < 0 or arguments.calls < 0 or arguments.transfers + arguments.calls == 0:
        return _fail("--transfers and --calls are at least 0, and not both 0", EXIT_MUST_CHANGE)
    if not 1 <= arguments.senders <= 1024 or arguments.timeout <= 0:
        return _fail("--senders is 1..1024 and --timeout positive", EXIT_MUST_CHANGE)
    plan = WorkloadPlan(arguments.transfers, arguments.calls, arguments.senders, arguments.timeout, arguments.chain_id)
    try:
        run_workload(EthRpcClient(arguments.rpc), arguments.key, plan, lambda line: print(line, flush=True))
    except ChainMismatch as error:
        return _fail(str(error), EXIT_MUST_CHANGE)
    except (EthRpcUnavailable, EthRpcBadAnswer, WorkloadError) as error:
        return _fail(str(error), EXIT_UNREACHABLE)
    except EthRpcError as error:
        return _fail(f"{arguments.rpc}: {error}", EXIT_UNREACHABLE)
    return 0


def _fail(message: str, status: int) -> int:
    print(f"evm workload: {message}", file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
