"""The Ethereum JSON-RPC methods an EVM domain's operator serves (EIP-1474, as web3.py, eth-account flows and
wallets call them), over its `Operator`: state reads at a block, calls and gas estimates against the best state,
raw transactions into the domain pool, and blocks, transactions, receipts and logs from the domain chain.

Block tags: "latest", "pending", "safe" and "finalized" name the best domain block ("pending" also counts pooled
transactions in `eth_getTransactionCount`), "earliest" the genesis. Errors: invalid params -32602, a transaction
the pool refuses -32000 with geth's wording ("nonce too low", "insufficient funds for gas * price + value", ...),
a reverted call 3 with the revert data, an unknown block -32001, a log query over `MAX_LOG_BLOCKS` -32005.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final

import eth_abi
from eth.vm.forks.cancun.computation import CancunComputation
from eth.vm.spoof import SpoofTransaction
from eth_typing import Address
from eth_utils import ValidationError, keccak

from autonomys.actors.domains.eth_blocks import (
    EvmBlock,
    address,
    block_json,
    block_logs,
    data,
    log_json,
    quantity,
    read_block,
    read_state_head,
    receipt_json,
    transaction_json,
)
from autonomys.actors.domains.jsonrpc import InvalidParams, Method, RpcError
from autonomys.actors.domains.operator import Operator, RejectedDomainTransaction
from autonomys.protocol.domains.evm_state import BLOCK_GAS_LIMIT, EVM_FORK, BlockEnvironment, EvmSession
from autonomys.protocol.domains.runtime_balances import DOMAIN_STORAGE_FEE_MULTIPLIER
from autonomys.protocol.domains.runtime_evm import WEIGHT_PER_GAS, compute_base_fee, decode_transaction
from autonomys.protocol.errors import DecodeError

TRANSACTION_REJECTED: Final = -32000
EXECUTION_REVERTED: Final = 3
UNKNOWN_BLOCK: Final = -32001
LIMIT_EXCEEDED: Final = -32005
MAX_LOG_BLOCKS: Final = 10_000
ESTIMATE_TOLERANCE: Final = 0.015
MAX_HISTORY_BLOCKS: Final = 1024
_ERROR_SELECTOR: Final = keccak(text="Error(string)")[:4]


# ---- params -------------------------------------------------------------------------------------


def parse_quantity(value: object, name: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) < 3:
        raise InvalidParams(f"{name}: expected a hex quantity, got {value!r}")
    try:
        return int(value, 16)
    except ValueError as error:
        raise InvalidParams(f"{name}: expected a hex quantity, got {value!r}") from error


def parse_data(value: object, name: str, size: int | None = None) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) % 2:
        raise InvalidParams(f"{name}: expected 0x-prefixed hex bytes, got {value!r}")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError as error:
        raise InvalidParams(f"{name}: expected 0x-prefixed hex bytes, got {value!r}") from error
    if size is not None and len(raw) != size:
        raise InvalidParams(f"{name}: expected {size} bytes, got {len(raw)}")
    return raw


def parse_address(value: object, name: str = "address") -> Address:
    return Address(parse_data(value, name, 20))


class EthApi:
    """The methods (module docstring); every call holds the operator's lock."""

    def __init__(self, operator: Operator, lock: threading.Lock) -> None:
        self.operator = operator
        self.lock = lock

    def methods(self) -> dict[str, Method]:
        names = (
            "eth_chainId", "net_version", "eth_blockNumber", "eth_getBalance", "eth_getTransactionCount",
            "eth_gasPrice", "eth_maxPriorityFeePerGas", "eth_feeHistory", "eth_estimateGas", "eth_call",
            "eth_sendRawTransaction", "eth_getTransactionReceipt", "eth_getTransactionByHash", "eth_getBlockByNumber",
            "eth_getBlockByHash", "eth_getCode", "eth_getStorageAt", "eth_getLogs", "web3_clientVersion",
            "net_listening", "eth_syncing", "eth_accounts",
        )  # fmt: skip
        return {name: self._locked(getattr(self, name)) for name in names}

    def _locked(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*params: Any) -> Any:
            with self.lock:
                return method(*params)

        return call

    # -- chain --------------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self.operator.identity.evm_chain_id or 0

    def eth_chainId(self) -> str:  # noqa: N802 - the JSON-RPC names
        return quantity(self.chain_id)

    def net_version(self) -> str:
        return str(self.chain_id)

    def web3_clientVersion(self) -> str:  # noqa: N802
        return "autonomys-py/evm-domain"

    def net_listening(self) -> bool:
        return True

    def eth_syncing(self) -> bool:
        return False

    def eth_accounts(self) -> list[str]:
        return []

    def eth_blockNumber(self) -> str:  # noqa: N802
        return quantity(self.operator.chain.head_number())

    def _block_number(self, tag: object = "latest") -> int:
        head = self.operator.chain.head_number()
        if tag in ("latest", "pending", "safe", "finalized"):
            return head
        if tag == "earliest":
            return 0
        if isinstance(tag, dict):
            if "blockHash" in tag:
                number = self.operator.chain.block_number(parse_data(tag["blockHash"], "blockHash", 32))
                if number is None:
                    raise RpcError(UNKNOWN_BLOCK, "header not found")
                return number
            tag = tag.get("blockNumber")
        number = parse_quantity(tag, "block")
        if number > head:
            raise RpcError(UNKNOWN_BLOCK, f"header not found: block {number} is after the best block {head}")
        return number

    def _block(self, number: int) -> EvmBlock:
        block = read_block(self.operator.chain, number)
        if block is None:
            raise RpcError(UNKNOWN_BLOCK, f"header not found: block {number}")
        return block

    def _session(self, tag: object = "latest") -> EvmSession:
        """The state after block `tag`, with the next block's number and the block's timestamp (no base fee:
        calls are free)."""
        number = self._block_number(tag)
        head = read_state_head(self.operator.chain, number)
        if head is None:
            raise RpcError(UNKNOWN_BLOCK, f"header not found: block {number}")
        state_root, timestamp = head
        session = EvmSession(self.operator.chain.state.nodes, state_root)
        session.state(BlockEnvironment(number + 1, timestamp, bytes(32), 0))
        return session

    # -- state --------------------------------------------------------------------------------

    def eth_getBalance(self, account: object, tag: object = "latest") -> str:  # noqa: N802
        return quantity(self._session(tag).state().get_balance(parse_address(account)))

    def eth_getTransactionCount(self, account: object, tag: object = "latest") -> str:  # noqa: N802
        sender = parse_address(account)
        nonce = self._session(tag).state().get_nonce(sender)
        if tag == "pending":
            nonce += self.operator.pooled_from(sender)
        return quantity(nonce)

    def eth_getCode(self, account: object, tag: object = "latest") -> str:  # noqa: N802
        return data(self._session(tag).state().get_code(parse_address(account)))

    def eth_getStorageAt(self, account: object, slot: object, tag: object = "latest") -> str:  # noqa: N802
        word = self._session(tag).state().get_storage(parse_address(account), parse_quantity(slot, "slot"))
        return data(int(word).to_bytes(32, "big"))

    # -- fees ---------------------------------------------------------------------------------

    def _base_fee(self) -> int:
        return compute_base_fee(DOMAIN_STORAGE_FEE_MULTIPLIER * self.operator.consensus_byte_fee)

    def eth_gasPrice(self) -> str:  # noqa: N802
        return quantity(self._base_fee())

    def eth_maxPriorityFeePerGas(self) -> str:  # noqa: N802
        return "0x0"  # tips buy nothing: bundles are ordered by the shuffle, not by price

    def eth_feeHistory(self, count: object, newest: object, percentiles: object = None) -> dict[str, Any]:  # noqa: N802
        blocks = parse_quantity(count, "blockCount") if isinstance(count, str) else count
        if not isinstance(blocks, int) or isinstance(blocks, bool) or not 0 < blocks <= MAX_HISTORY_BLOCKS:
            raise InvalidParams(f"blockCount: 1 to {MAX_HISTORY_BLOCKS}")
        last = self._block_number(newest)
        oldest = max(0, last - blocks + 1)
        history = [self._block(number) for number in range(oldest, last + 1)]
        rewards = percentiles if isinstance(percentiles, list) else []
        return {
            "oldestBlock": quantity(oldest),
            "baseFeePerGas": [quantity(block.base_fee) for block in history] + [quantity(self._base_fee())],
            "gasUsedRatio": [_gas_used(block) / BLOCK_GAS_LIMIT for block in history],
            "reward": [["0x0" for _ in rewards] for _ in history],
        }

    # -- calls --------------------------------------------------------------------------------

    def _gas_cap(self) -> int:
        limit = self.operator.bundle_limit().max_bundle_weight.ref_time // WEIGHT_PER_GAS
        return min(BLOCK_GAS_LIMIT, limit)

    def _execute(self, call: object, tag: object, gas: int | None = None) -> CancunComputation:
        if not isinstance(call, dict):
            raise InvalidParams("the call must be a transaction object")
        session = self._session(tag)
        state = session.state()
        sender = parse_address(call["from"], "from") if call.get("from") else Address(bytes(20))
        to = parse_address(call["to"], "to") if call.get("to") else Address(b"")
        payload = call.get("input", call.get("data"))
        value = parse_quantity(call["value"], "value") if call.get("value") else 0
        balance = state.get_balance(sender)
        if value > balance:
            message = (
                f"insufficient funds for gas * price + value: address {address(sender)} have {balance} want {value}"
            )
            raise RpcError(TRANSACTION_REJECTED, message)
        requested = parse_quantity(call["gas"], "gas") if call.get("gas") else self._gas_cap()
        unsigned = EVM_FORK.create_unsigned_transaction(
            nonce=state.get_nonce(sender),
            gas_price=0,
            gas=gas if gas is not None else min(requested, self._gas_cap()),
            to=to,
            value=value,
            data=parse_data(payload, "input") if payload else b"",
        )
        try:
            return state.apply_transaction(SpoofTransaction(unsigned, from_=sender))  # type: ignore[arg-type, return-value]
        except ValidationError as error:
            raise RpcError(TRANSACTION_REJECTED, str(error)) from error

    def eth_call(self, call: object, tag: object = "latest") -> str:
        computation = self._execute(call, tag)
        _raise_if_failed(computation)
        return data(computation.output)

    def eth_estimateGas(self, call: object, tag: object = "latest") -> str:  # noqa: N802
        cap = self._gas_cap()
        computation = self._execute(call, tag, cap)
        _raise_if_failed(computation)
        high = cap
        low = cap - computation.get_gas_remaining() - 1
        while high - low > 1 and (high - low) / high > ESTIMATE_TOLERANCE:
            middle = (low + high) // 2
            if self._execute(call, tag, middle).is_error:
                low = middle
            else:
                high = middle
        return quantity(high)

    # -- transactions -------------------------------------------------------------------------

    def eth_sendRawTransaction(self, raw: object) -> str:  # noqa: N802
        encoded = parse_data(raw, "transaction")
        try:
            decode_transaction(encoded)
            return data(self.operator.submit_transaction(encoded))
        except DecodeError as error:
            raise RpcError(TRANSACTION_REJECTED, f"invalid transaction: {error}") from error
        except RejectedDomainTransaction as error:
            raise RpcError(TRANSACTION_REJECTED, str(error)) from error

    def _located(self, tx_hash: bytes) -> tuple[EvmBlock, int] | None:
        number = self.operator.chain.transaction_block(tx_hash)
        if number is None:
            return None
        block = self._block(number)
        for index, transaction in enumerate(block.transactions):
            if transaction.hash == tx_hash:
                return block, index
        return None

    def eth_getTransactionByHash(self, tx_hash: object) -> dict[str, Any] | None:  # noqa: N802
        wanted = parse_data(tx_hash, "hash", 32)
        pooled = self.operator.pool.get(wanted)
        if pooled is not None:
            return transaction_json(decode_transaction(pooled), None, None, self.chain_id)
        located = self._located(wanted)
        if located is None:
            return None
        block, index = located
        return transaction_json(block.transactions[index], block, index, self.chain_id)

    def eth_getTransactionReceipt(self, tx_hash: object) -> dict[str, Any] | None:  # noqa: N802
        located = self._located(parse_data(tx_hash, "hash", 32))
        if located is None:
            return None
        block, index = located
        return receipt_json(block, block.transactions[index])

    # -- blocks and logs ----------------------------------------------------------------------

    def eth_getBlockByNumber(self, tag: object, full: object = False) -> dict[str, Any] | None:  # noqa: N802
        try:
            number = self._block_number(tag)
        except RpcError as error:
            if error.code != UNKNOWN_BLOCK:
                raise  # malformed params stay -32602
            return None
        block = read_block(self.operator.chain, number)
        return None if block is None else block_json(block, bool(full), self.chain_id)

    def eth_getBlockByHash(self, block_hash: object, full: object = False) -> dict[str, Any] | None:  # noqa: N802
        number = self.operator.chain.block_number(parse_data(block_hash, "blockHash", 32))
        block = None if number is None else read_block(self.operator.chain, number)
        return None if block is None else block_json(block, bool(full), self.chain_id)

    def eth_getLogs(self, query: object) -> list[dict[str, Any]]:  # noqa: N802
        if not isinstance(query, dict):
            raise InvalidParams("the filter must be an object")
        if query.get("blockHash") is not None:
            first = last = self._block_number({"blockHash": query["blockHash"]})
        else:
            first = self._block_number(query.get("fromBlock", "latest"))
            last = self._block_number(query.get("toBlock", "latest"))
        if last - first >= MAX_LOG_BLOCKS:
            raise RpcError(LIMIT_EXCEEDED, f"query returns more than {MAX_LOG_BLOCKS} blocks")
        addresses = _address_filter(query.get("address"))
        topics = _topic_filter(query.get("topics"))
        found: list[dict[str, Any]] = []
        for number in range(first, last + 1):
            block = self._block(number)
            for index, log_index, outcome, entry in block_logs(block):
                log_address, log_topics, _ = outcome.logs[entry]
                if (addresses is None or log_address in addresses) and _topics_match(topics, log_topics):
                    found.append(log_json(block, index, outcome, log_index, entry))
        return found


def _gas_used(block: EvmBlock) -> int:
    return block.outcomes[-1].cumulative_gas_used if block.outcomes else 0


def _raise_if_failed(computation: CancunComputation) -> None:
    if not computation.is_error:
        return
    output = bytes(computation.output)
    if output or type(computation.error).__name__ == "Revert":
        reason = ""
        if output[:4] == _ERROR_SELECTOR:
            try:
                reason = ": " + str(eth_abi.decode(["string"], output[4:])[0])
            except Exception:  # noqa: BLE001 - a malformed reason is reported as data only
                reason = ""
        raise RpcError(EXECUTION_REVERTED, f"execution reverted{reason}", data(output))
    raise RpcError(TRANSACTION_REJECTED, str(computation.error) or type(computation.error).__name__)


def _address_filter(value: object) -> set[bytes] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return {parse_address(item) for item in values}


def _topic_filter(value: object) -> list[set[bytes] | None]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidParams("topics must be a list")
    result: list[set[bytes] | None] = []
    for position in value:
        if position is None:
            result.append(None)
        elif isinstance(position, list):
            result.append({parse_data(topic, "topic", 32) for topic in position})
        else:
            result.append({parse_data(position, "topic", 32)})
    return result


def _topics_match(wanted: list[set[bytes] | None], topics: tuple[bytes, ...]) -> bool:
    if len(wanted) > len(topics):
        return False
    return all(choice is None or topic in choice for choice, topic in zip(wanted, topics, strict=False))


__all__ = ["EthApi", "address"]
