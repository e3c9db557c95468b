"""The executor bot: a staker's agent on an EVM domain running the StakeManager contract (Autonomy's executor
market, protocol/domains/contracts/stake_manager.vy). Each epoch the contract draws one executor from the staked
units; only it may `executeRequest(id)` a pending Request, once, and it earns the Request's fee (native value).

`ExecutorBot.step()` is one poll over an `EthLink` (the JSON-RPC methods it needs): when the epoch's executor
(`getExecutor()` read on the pending block, the block its transactions land in next) is the bot's address, it reads
the open Requests through the contract's views (`requestCount()` and the `requests(id)` getter; statuses only move
from pending to executed or cancelled, so ids settled once are never read again) and sends one signed type-2
`executeRequest(id)` per open Request. It remembers each execution in flight (id -> transaction hash) and never
sends a Request twice while its transaction is pending; a failed receipt makes it forget the Request, which it may
retry in a later epoch; a successful one counts an execution and the fee of its `RequestExecuted` event.

`ExecutorBotService` drives a bot from a polling thread (the role the lead wires into Ray): polls are serialised by
a lock, an error in a poll is recorded in the status and never stops the thread, and `status()` answers from the
snapshot taken after the last poll, so it never waits on the network.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import eth_abi
from eth_account import Account
from eth_utils import keccak

from autonomys.actors.domains.eth_client import (
    ADDRESS_BYTES,
    EthRpcBadAnswer,
    EthRpcClient,
    EthRpcError,
    decode_data,
    decode_quantity,
)
from autonomys.actors.errors import describe_error

READ_BLOCK: Final = "pending"
"""Views are read on the pending block: its number is the one the bot's next transaction executes in."""
EPOCH_LENGTH: Final = 100
"""Blocks per epoch; contract `EPOCH_LENGTH` (protocol/domains/stake_manager.py `EPOCH_LENGTH`)."""
REQUEST_PENDING: Final = 1
"""contract `REQUEST_PENDING`; 2 is executed, 3 cancelled, 0 no such request."""
FALLBACK_GAS: Final = 300_000
"""The gas limit of an execution whose estimate failed (an execution of a small Request uses about 60k)."""
GAS_HEADROOM_DIVISOR: Final = 5
"""An estimate gets 1/5 (20%) added: the state may change between estimate and inclusion."""
FEE_CAP_MULTIPLIER: Final = 2
"""maxFeePerGas is this many times the gas price: room for the base fee to rise while the transaction waits."""
MAX_EXECUTIONS_PER_STEP: Final = 64
"""Executions one poll sends at most; the rest wait for the next poll, so a poll stays short."""
MIN_POLL_SECONDS: Final = 0.01


def compute_selector(signature: str) -> bytes:
    """The 4-byte ABI function selector of a canonical signature."""
    return keccak(text=signature)[:4]


GET_EXECUTOR: Final = compute_selector("getExecutor()")
GET_CURRENT_EPOCH: Final = compute_selector("getCurrentEpoch()")
REQUEST_COUNT: Final = compute_selector("requestCount()")
GET_REQUEST: Final = compute_selector("requests(uint256)")
EXECUTE_REQUEST: Final = compute_selector("executeRequest(uint256)")
REQUEST_TYPE: Final = "(address,address,uint256,uint8,bytes)"
"""The `Request` struct the `requests` getter returns: requester, target, fee, status, callData."""
REQUEST_EXECUTED_TOPIC: Final = keccak(text="RequestExecuted(uint256,address,uint256,uint256)")
"""topic 0 of `RequestExecuted(requestId indexed, executor indexed, epoch, fee)`."""


# ---- errors (to move to actors/errors.py) ----


class WrongChain(Exception):
    """The JSON-RPC server serves a chain other than the one the bot signs for."""


class MismatchedTransactionHash(Exception):
    """eth_sendRawTransaction answered with a hash other than the signed transaction's."""


# ---- the link ----


class EthLink(Protocol):
    """The JSON-RPC methods the bot uses (`EthRpcClient` has them; tests pass an in-process chain)."""

    def chain_id(self) -> int: ...

    def transaction_count(self, address: bytes, block: str | int = "pending") -> int: ...

    def gas_price(self) -> int: ...

    def call(self, to: bytes, data: bytes, sender: bytes | None = None, block: str | int = "latest") -> bytes: ...

    def estimate_gas(self, transaction: dict[str, Any]) -> int: ...

    def send_raw_transaction(self, raw: bytes) -> bytes: ...

    def transaction_receipt(self, transaction_hash: bytes) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """A Request still pending on the contract."""

    request_id: int
    fee: int


@dataclass(frozen=True, slots=True)
class SentExecution:
    """An executeRequest transaction in flight."""

    request_id: int
    transaction_hash: bytes
    epoch: int
    """The epoch (its first block) the transaction was sent in."""
    fee: int
    """The Request's fee when read, counted if the receipt holds no RequestExecuted event."""


@dataclass
class ExecutorCounters:
    """What a bot has done so far."""

    executions_sent: int = 0
    executed: int = 0
    executions_failed: int = 0
    fees_earned: int = 0
    last_epoch: int | None = None


# ---- the bot ----


class ExecutorBot:
    """See the module docstring. Not thread-safe: one caller steps it at a time."""

    def __init__(
        self,
        link: EthLink,
        private_key: bytes,
        manager: bytes,
        chain_id: int,
        gas_price: int | None = None,
        max_per_step: int = MAX_EXECUTIONS_PER_STEP,
    ) -> None:
        if len(manager) != ADDRESS_BYTES:
            msg = f"the StakeManager address is {ADDRESS_BYTES} bytes, not {len(manager)}"
            raise ValueError(msg)
        self.link = link
        self._account = Account.from_key(bytes(private_key))
        self.address = bytes.fromhex(self._account.address[2:])
        self.manager = bytes(manager)
        self.chain_id = chain_id
        self.gas_price = gas_price
        self.max_per_step = max_per_step
        self.counters = ExecutorCounters()
        self.sent: dict[int, SentExecution] = {}
        self._failed_in: dict[int, int] = {}
        """request id -> the epoch its failed execution was sent in: not retried before a later epoch."""
        self._settled: set[int] = set()
        """Ids at or above `_scan_from` seen executed or cancelled (final: never read again)."""
        self._scan_from = 0
        """Every id below it is settled."""
        self._chain_checked = False

    def step(self) -> list[int]:
        """One poll: follow the executions in flight, then execute the open Requests if this epoch is the bot's.
        Returns the ids of the Requests it sent executions for."""
        self._check_chain()
        epoch = self.read_epoch()
        self.counters.last_epoch = epoch
        self._follow_receipts(epoch)
        if self.read_executor() != self.address:
            return []
        open_requests = self.read_open_requests(epoch)
        if not open_requests:
            return []
        return self._execute(open_requests, epoch)

    # -- reads ------------------------------------------------------------------------------------

    def _view(self, data: bytes) -> bytes:
        return self.link.call(self.manager, data, self.address, READ_BLOCK)

    def read_epoch(self) -> int:
        """The current epoch (its first block number), contract `getCurrentEpoch()`."""
        return int(eth_abi.decode(["uint256"], self._view(GET_CURRENT_EPOCH))[0])

    def read_executor(self) -> bytes:
        """The current epoch's executor, contract `getExecutor()` (the zero address when nobody stakes)."""
        return bytes.fromhex(str(eth_abi.decode(["address"], self._view(GET_EXECUTOR))[0])[2:])

    def read_request_count(self) -> int:
        """How many Requests were ever posted, contract `requestCount()`."""
        return int(eth_abi.decode(["uint256"], self._view(REQUEST_COUNT))[0])

    def read_request(self, request_id: int) -> tuple[int, int]:
        """(status, fee) of a Request, contract `requests(id)`."""
        output = self._view(GET_REQUEST + eth_abi.encode(["uint256"], [request_id]))
        _, _, fee, status, _ = eth_abi.decode([REQUEST_TYPE], output)[0]
        return int(status), int(fee)

    def read_open_requests(self, epoch: int) -> list[OpenRequest]:
        """The oldest pending Requests (at most max_per_step), less those in flight or whose execution failed this
        epoch."""
        count = self.read_request_count()
        found: list[OpenRequest] = []
        for request_id in range(self._scan_from, count):
            if len(found) == self.max_per_step:
                break
            if request_id in self._settled or request_id in self.sent:
                continue
            if self._failed_in.get(request_id, -1) >= epoch:
                continue
            status, fee = self.read_request(request_id)
            if status == REQUEST_PENDING:
                found.append(OpenRequest(request_id, fee))
            else:
                self._settled.add(request_id)
        while self._scan_from in self._settled:
            self._settled.remove(self._scan_from)
            self._scan_from += 1
        return found

    # -- chain and receipts -----------------------------------------------------------------------

    def _check_chain(self) -> None:
        if self._chain_checked:
            return
        served = self.link.chain_id()
        if served != self.chain_id:
            msg = f"the RPC serves chain {served}, the bot signs for chain {self.chain_id}"
            raise WrongChain(msg)
        self._chain_checked = True

    def _follow_receipts(self, epoch: int) -> None:
        for request_id, execution in list(self.sent.items()):
            receipt = self.link.transaction_receipt(execution.transaction_hash)
            if receipt is None:
                # Not mined a whole epoch later: dropped from the pool; forget it so a later epoch may retry.
                if epoch > execution.epoch + EPOCH_LENGTH:
                    del self.sent[request_id]
                continue
            del self.sent[request_id]
            if decode_quantity(receipt.get("status")) == 1:
                self.counters.executed += 1
                self.counters.fees_earned += self._executed_fee(receipt, execution)
                self._settled.add(request_id)
            else:
                self.counters.executions_failed += 1
                self._failed_in[request_id] = execution.epoch
        self._failed_in = {request_id: failed for request_id, failed in self._failed_in.items() if failed >= epoch}

    def _executed_fee(self, receipt: dict[str, Any], execution: SentExecution) -> int:
        """The fee of the receipt's RequestExecuted event for the Request (the fee read before sending if none)."""
        for log in receipt.get("logs") or []:
            topics = [decode_data(topic, 32) for topic in log.get("topics", [])]
            if decode_data(log.get("address"), ADDRESS_BYTES) != self.manager or len(topics) != 3:
                continue
            if topics[0] == REQUEST_EXECUTED_TOPIC and int.from_bytes(topics[1], "big") == execution.request_id:
                _, fee = eth_abi.decode(["uint256", "uint256"], decode_data(log.get("data")))
                return int(fee)
        return execution.fee

    # -- sending ----------------------------------------------------------------------------------

    def _estimate(self, data: bytes) -> int:
        transaction = {"from": self.address, "to": self.manager, "data": data}
        try:
            estimate = self.link.estimate_gas(transaction)
        except (EthRpcError, EthRpcBadAnswer):
            # A revert (a Request cancelled meanwhile) or a server without estimates: send anyway, the receipt decides.
            return FALLBACK_GAS
        return estimate + estimate // GAS_HEADROOM_DIVISOR

    def _execute(self, open_requests: Sequence[OpenRequest], epoch: int) -> list[int]:
        nonce = self.link.transaction_count(self.address, "pending")
        gas_price = self.gas_price if self.gas_price is not None else self.link.gas_price()
        sent: list[int] = []
        for request in open_requests:
            data = EXECUTE_REQUEST + eth_abi.encode(["uint256"], [request.request_id])
            fields = {
                "type": 2, "chainId": self.chain_id, "nonce": nonce, "to": self.manager, "value": 0, "data": data,
                "gas": self._estimate(data), "maxFeePerGas": gas_price * FEE_CAP_MULTIPLIER, "maxPriorityFeePerGas": 0,
            }  # fmt: skip
            signed = self._account.sign_transaction(fields)
            transaction_hash = bytes(signed.hash)
            answered = self.link.send_raw_transaction(bytes(signed.raw_transaction))
            # Remembered before the check: the server took the transaction, whatever hash it answered with.
            self.sent[request.request_id] = SentExecution(request.request_id, transaction_hash, epoch, request.fee)
            self.counters.executions_sent += 1
            nonce += 1
            sent.append(request.request_id)
            if answered != transaction_hash:
                msg = f"sent {transaction_hash.hex()}, the server answered {answered.hex()}"
                raise MismatchedTransactionHash(msg)
        return sent


# ---- the service ----


@dataclass(frozen=True, slots=True)
class ExecutorBotConfig:
    """An executor bot's settings."""

    rpc_url: str
    """The EVM domain operator's JSON-RPC endpoint, e.g. http://127.0.0.1:8545/."""
    private_key: str = field(repr=False)
    """The staker's secp256k1 key, 32 bytes in hex ("0x" optional)."""
    manager: str
    """The StakeManager contract's address in hex."""
    chain_id: int
    poll_seconds: float = 1.0
    gas_price: int | None = None
    """Wei per gas to bid (maxFeePerGas is twice it); None: eth_gasPrice at each sending poll."""
    rpc_timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class ExecutorBotStatus:
    """response: an executor bot's progress as of its last poll."""

    address: str
    """The bot's account, "0x" and lowercase hex."""
    executions_sent: int
    executed: int
    """Executions whose receipt succeeded."""
    executions_failed: int
    """Executions whose receipt failed (the Request may be retried in a later epoch)."""
    in_flight: int
    fees_earned: int
    """Wei earned from executed Requests."""
    last_error: str
    """The last poll error as `Type: message`; empty when none occurred."""
    last_epoch: int | None
    polls: int


def parse_hex(text: str, size: int, what: str) -> bytes:
    """`size` bytes from hex text with an optional "0x"; ValueError naming `what` otherwise."""
    digits = text.removeprefix("0x").removeprefix("0X")
    try:
        value = bytes.fromhex(digits)
    except ValueError as error:
        msg = f"{what} is not hex: {error}"
        raise ValueError(msg) from error
    if len(value) != size:
        msg = f"{what} is {size} bytes, not {len(value)}"
        raise ValueError(msg)
    return value


class ExecutorBotService:
    """See the module docstring. `link` replaces the JSON-RPC client built from the config (tests)."""

    def __init__(self, config: ExecutorBotConfig, link: EthLink | None = None) -> None:
        self.config = config
        private_key = parse_hex(config.private_key, 32, "the private key")
        manager = parse_hex(config.manager, ADDRESS_BYTES, "the StakeManager address")
        if link is None:
            link = EthRpcClient(config.rpc_url, config.rpc_timeout)
        self.bot = ExecutorBot(link, private_key, manager, config.chain_id, config.gas_price)
        self._poll = max(MIN_POLL_SECONDS, config.poll_seconds)
        self._last_error = ""
        self._polls = 0
        self._lock = threading.Lock()
        self._status = self._snapshot()
        self._stopped = threading.Event()
        name = f"executor-{self.bot.address.hex()[:8]}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def ready(self) -> bool:
        return True

    def _run(self) -> None:
        while not self._stopped.wait(self._poll):
            self.poll()

    def poll(self) -> list[int]:
        """One poll now (the thread also calls it); the ids of the Requests it sent executions for."""
        with self._lock:
            sent: list[int] = []
            try:
                sent = self.bot.step()
            except Exception as error:  # noqa: BLE001 - an unreachable RPC or a bad answer must not stop the bot
                self._last_error = describe_error(error)
            self._polls += 1
            self._status = self._snapshot()
            return sent

    def _snapshot(self) -> ExecutorBotStatus:
        counters = self.bot.counters
        return ExecutorBotStatus(
            address="0x" + self.bot.address.hex(),
            executions_sent=counters.executions_sent,
            executed=counters.executed,
            executions_failed=counters.executions_failed,
            in_flight=len(self.bot.sent),
            fees_earned=counters.fees_earned,
            last_error=self._last_error,
            last_epoch=counters.last_epoch,
            polls=self._polls,
        )

    def status(self) -> ExecutorBotStatus:
        """The status as of the last poll (never waits on a poll in progress)."""
        return self._status

    def shutdown(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=30)
