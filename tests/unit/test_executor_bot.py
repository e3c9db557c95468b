"""The executor bot (actors/domains/executor_bot.py) against the StakeManager on py-evm (tests/helpers/evm.py): an
`EthLink` adapter over the harness chain (every transaction mined in a block of its own, or held in a pool until
the test mines it), bots for stakers A and B, and the service over an unreachable RPC and over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

pytest.importorskip("eth", reason="py-evm (module eth) runs the contracts; install the test extras")
pytest.importorskip("eth_account", reason="eth-account signs the transactions; install the test extras")

from eth.vm.spoof import SpoofTransaction  # noqa: E402

from autonomys.actors.domains import executor_bot as bot_module  # noqa: E402
from autonomys.actors.domains.eth_client import EthRpcError, decode_data  # noqa: E402
from autonomys.actors.domains.executor_bot import (  # noqa: E402
    FALLBACK_GAS,
    ExecutorBot,
    ExecutorBotConfig,
    ExecutorBotService,
    MismatchedTransactionHash,
    WrongChain,
)
from autonomys.actors.domains.jsonrpc import JsonRpcDispatcher, JsonRpcServer, RpcError  # noqa: E402
from autonomys.protocol.domains.contracts import load_contract  # noqa: E402
from helpers.evm import ALWAYS_REVERT, CHAIN_ID, KEYS, STORE_WORD, Evm, Market, make_market, raw_contract  # noqa: E402
from helpers.waiting import wait_until  # noqa: E402

EXECUTED, CANCELLED = 2, 3
FEE = 3 * 10**15


class HarnessLink:
    """EthLink over the harness chain. auto_mine: each raw transaction is mined in a block of its own when sent;
    otherwise it waits in `pool` until `mine_pool()`. `before_send` runs (once) before the next raw transaction."""

    def __init__(self, evm: Evm, auto_mine: bool = True) -> None:
        self.evm = evm
        self.auto_mine = auto_mine
        self.names = {address: name for name, address in evm.addresses.items()}
        self.pool: list[Any] = []
        self.receipts: dict[bytes, dict[str, Any]] = {}
        self.gas_limits: dict[bytes, int] = {}
        self.before_send: Callable[[], object] | None = None

    def chain_id(self) -> int:
        return CHAIN_ID

    def transaction_count(self, address: bytes, block: str | int = "pending") -> int:
        assert block == "pending"
        pooled = sum(1 for transaction in self.pool if transaction.sender == address)
        return int(self.evm.chain.get_vm().state.get_nonce(address)) + pooled

    def gas_price(self) -> int:
        return int(self.evm.chain.header.base_fee_per_gas)

    def call(self, to: bytes, data: bytes, sender: bytes | None = None, block: str | int = "latest") -> bytes:
        # Evm.call executes on the pending block: what "pending" means, and what the bot must ask for.
        assert block == "pending"
        success, output = self.evm.call(self.names[sender] if sender else "deployer", to, data)
        if not success:
            raise EthRpcError(3, "execution reverted", "0x" + output.hex())
        return output

    def estimate_gas(self, transaction: dict[str, Any]) -> int:
        chain, sender = self.evm.chain, transaction["from"]
        unsigned = chain.get_vm().create_unsigned_transaction(
            nonce=chain.get_vm().state.get_nonce(sender), gas_price=0, gas=15_000_000, to=transaction["to"],
            value=0, data=transaction["data"],
        )  # fmt: skip
        try:
            return int(chain.estimate_gas(SpoofTransaction(unsigned, from_=sender), chain.header))
        except Exception as error:  # noqa: BLE001 - a revert, as a node answers it
            raise EthRpcError(3, f"execution reverted: {error!r}") from error

    def send_raw_transaction(self, raw: bytes) -> bytes:
        if self.before_send is not None:
            hook, self.before_send = self.before_send, None
            hook()
        transaction = self.evm.chain.get_vm().get_transaction_builder().decode(raw)
        self.gas_limits[bytes(transaction.hash)] = int(transaction.gas)
        self.pool.append(transaction)
        if self.auto_mine:
            self.mine_pool()
        return bytes(transaction.hash)

    def mine_pool(self) -> None:
        while self.pool:
            transaction = self.pool.pop(0)
            block_number = self.evm.pending_block_number
            _, receipt, computation = self.evm.chain.apply_transaction(transaction)
            self.evm.chain.mine_block()
            logs = [
                {"address": "0x" + address.hex(), "topics": ["0x" + topic.to_bytes(32, "big").hex() for topic in topics], "data": "0x" + data.hex()}
                for address, topics, data in computation.get_log_entries()
            ]  # fmt: skip
            self.receipts[bytes(transaction.hash)] = {
                "transactionHash": "0x" + transaction.hash.hex(),
                "blockNumber": hex(block_number),
                "status": "0x0" if computation.is_error else "0x1",
                "gasUsed": hex(receipt.gas_used),
                "logs": logs,
            }

    def transaction_receipt(self, transaction_hash: bytes) -> dict[str, Any] | None:
        return self.receipts.get(transaction_hash)


def market_with_stakes(*names: str) -> Market:
    """A market with one unit staked by each name (in epoch 0, which has no executor), mined to block 100."""
    market = make_market()
    market.stake_units(*names)
    market.evm.mine_to(100)
    return market


def post(market: Market, target_code: bytes = STORE_WORD, word: int = 0xBEEF, fee: int = FEE) -> int:
    target = raw_contract(market.evm, target_code)
    outcome = market.manager.transact("requester", "postRequest", target, word.to_bytes(32, "big"), value=fee)
    assert outcome.success, outcome.reason
    return int(market.manager.decode_logs(outcome, "RequestPosted")[0]["requestId"])


def bots_for(market: Market, link: HarnessLink, *names: str) -> dict[str, ExecutorBot]:
    return {name: ExecutorBot(link, KEYS[name], market.manager.address, CHAIN_ID) for name in names}


def name_of(market: Market, address: bytes) -> str:
    return next(name for name, known in market.evm.addresses.items() if known == address)


def request_status(market: Market, request_id: int) -> int:
    return int(market.manager.call("requests", request_id)[3])


def mine_to_next_epoch(market: Market) -> int:
    epoch = market.evm.pending_block_number // 100 * 100 + 100
    market.evm.mine_to(epoch)
    return epoch


# ---- the bot ----


def test_the_bots_selectors_and_event_match_the_compiled_contract() -> None:
    abi = load_contract("StakeManager").abi
    functions = {entry["name"]: entry for entry in abi if entry["type"] == "function"}
    for name, selector in [
        ("getExecutor", bot_module.GET_EXECUTOR),
        ("getCurrentEpoch", bot_module.GET_CURRENT_EPOCH),
        ("requestCount", bot_module.REQUEST_COUNT),
        ("requests", bot_module.GET_REQUEST),
        ("executeRequest", bot_module.EXECUTE_REQUEST),
    ]:
        types = ",".join(parameter["type"] for parameter in functions[name]["inputs"])
        assert bot_module.compute_selector(f"{name}({types})") == selector
    components = functions["requests"]["outputs"][0]["components"]
    assert bot_module.REQUEST_TYPE == "(" + ",".join(component["type"] for component in components) + ")"
    assert [component["name"] for component in components] == ["requester", "target", "fee", "status", "callData"]
    event = next(entry for entry in abi if entry.get("name") == "RequestExecuted")
    assert [(parameter["name"], parameter["indexed"]) for parameter in event["inputs"]] == [
        ("requestId", True), ("executor", True), ("epoch", False), ("fee", False),
    ]  # fmt: skip


def test_a_request_is_executed_once_by_the_epochs_executor_who_earns_the_fee() -> None:
    market = market_with_stakes("A", "B")
    link = HarnessLink(market.evm)
    assert link.gas_price() == 0  # the harness's base fee stays 0: balances change only by values sent
    bots = bots_for(market, link, "A", "B")
    executor = name_of(market, market.executor())
    other = "B" if executor == "A" else "A"
    request_id = post(market)
    balance, other_nonce = market.evm.balance(market.address(executor)), link.transaction_count(market.address(other))
    assert bots[other].step() == []
    assert bots[executor].step() == [request_id]
    assert request_status(market, request_id) == EXECUTED
    assert market.evm.balance(market.address(executor)) == balance + FEE
    for _ in range(3):
        assert bots[other].step() == [] and bots[executor].step() == []
    counters = bots[executor].counters
    assert (counters.executions_sent, counters.executed, counters.executions_failed, counters.fees_earned) == (
        1,
        1,
        0,
        FEE,
    )
    assert counters.last_epoch == 100 and bots[executor].sent == {}
    assert link.transaction_count(market.address(other)) == other_nonce
    assert (bots[other].counters.executions_sent, bots[other].counters.fees_earned) == (0, 0)
    # The estimate was used, with its headroom, not the fallback.
    assert list(link.gas_limits.values()) != [FALLBACK_GAS]


def test_a_pending_execution_is_not_sent_twice_and_counts_once_mined() -> None:
    market = market_with_stakes("A")
    link = HarnessLink(market.evm, auto_mine=False)
    bot = bots_for(market, link, "A")["A"]
    first, second = post(market, word=1), post(market, word=2)
    assert bot.step() == [first, second]
    assert [transaction.nonce for transaction in link.pool] == [2, 3]  # A staked with nonces 0 and 1 (approve, stake)
    assert bot.step() == [] and set(bot.sent) == {first, second}
    link.mine_pool()
    assert bot.step() == []
    assert (bot.counters.executed, bot.counters.fees_earned, bot.sent) == (2, 2 * FEE, {})


def test_a_request_the_executor_skips_is_executed_in_a_later_epoch_by_its_executor() -> None:
    market = market_with_stakes("A", "B")
    link = HarnessLink(market.evm)
    bots = bots_for(market, link, "A", "B")
    absent = name_of(market, market.executor())
    request_id = post(market)
    # The executor's bot is not running this epoch; the other bot finds the request is not its to execute.
    assert [bot.step() for name, bot in bots.items() if name != absent] == [[]]
    assert request_status(market, request_id) == 1
    for _ in range(20):
        epoch = mine_to_next_epoch(market)
        executor = name_of(market, market.executor())
        sent = {name: bot.step() for name, bot in bots.items()}
        if sent[executor]:
            break
        assert sent == {"A": [], "B": []}
    assert sent[executor] == [request_id] and all(ids == [] for name, ids in sent.items() if name != executor)
    assert request_status(market, request_id) == EXECUTED
    bots[executor].step()
    assert (bots[executor].counters.executed, bots[executor].counters.fees_earned) == (1, FEE)
    (execution,) = [receipt for receipt in link.receipts.values() if receipt["logs"]]
    executed_log = next(
        log for log in execution["logs"] if log["topics"][0] == "0x" + bot_module.REQUEST_EXECUTED_TOPIC.hex()
    )
    assert int(executed_log["data"][2:66], 16) == epoch > 100  # RequestExecuted's epoch


def test_a_failed_execution_is_forgotten_and_the_bot_keeps_executing() -> None:
    market = market_with_stakes("A")
    link = HarnessLink(market.evm)
    bot = bots_for(market, link, "A")["A"]
    cancelled = post(market)
    # The requester cancels between the bot's read (and estimate) and its transaction.
    link.before_send = lambda: market.manager.transact("requester", "cancelRequest", cancelled)
    assert bot.step() == [cancelled]
    assert request_status(market, cancelled) == CANCELLED
    assert bot.step() == []
    assert (bot.counters.executions_failed, bot.counters.executed, bot.sent) == (1, 0, {})
    executed = post(market)
    assert bot.step() == [executed]
    bot.step()
    assert (bot.counters.executions_sent, bot.counters.executed, bot.counters.executions_failed) == (2, 1, 1)
    assert bot.counters.fees_earned == FEE


def test_a_request_whose_call_reverts_is_retried_next_epoch_not_every_poll() -> None:
    market = market_with_stakes("A")
    link = HarnessLink(market.evm)
    bot = bots_for(market, link, "A")["A"]
    request_id = post(market, ALWAYS_REVERT)
    assert bot.step() == [request_id]
    # The estimate reverted: the execution went out with the fixed gas, and failed.
    assert list(link.gas_limits.values()) == [FALLBACK_GAS]
    assert [bot.step() for _ in range(3)] == [[], [], []]
    assert (bot.counters.executions_failed, request_status(market, request_id)) == (1, 1)
    mine_to_next_epoch(market)
    assert bot.step() == [request_id]
    assert bot.step() == [] and bot.counters.executions_failed == 2


def test_an_execution_dropped_from_the_pool_is_sent_again_after_a_whole_epoch() -> None:
    market = market_with_stakes("A")
    link = HarnessLink(market.evm, auto_mine=False)
    bot = ExecutorBot(link, KEYS["A"], market.manager.address, CHAIN_ID, max_per_step=2)
    requests = [post(market, word=word) for word in (1, 2, 3)]
    assert bot.step() == requests[:2]
    link.pool.clear()
    mine_to_next_epoch(market)
    assert bot.step() == [requests[2]]  # the first two are still in flight a block into the next epoch
    link.pool.clear()
    mine_to_next_epoch(market)
    assert bot.step() == requests[:2]
    link.mine_pool()
    bot.step()
    assert (bot.counters.executions_sent, bot.counters.executed, request_status(market, requests[2])) == (5, 2, 1)


def test_a_hash_other_than_the_signed_transactions_is_an_error_but_the_execution_is_tracked() -> None:
    market = market_with_stakes("A")
    link = HarnessLink(market.evm, auto_mine=False)
    send = link.send_raw_transaction
    link.send_raw_transaction = lambda raw: bytes(32) if send(raw) else b""  # type: ignore[method-assign]
    bot = bots_for(market, link, "A")["A"]
    request_id = post(market)
    with pytest.raises(MismatchedTransactionHash):
        bot.step()
    assert set(bot.sent) == {request_id}
    link.mine_pool()
    assert bot.step() == [] and bot.counters.executed == 1


def test_a_bot_for_another_chain_sends_nothing() -> None:
    market = market_with_stakes("A")
    link = HarnessLink(market.evm)
    post(market)
    bot = ExecutorBot(link, KEYS["A"], market.manager.address, CHAIN_ID + 1)
    with pytest.raises(WrongChain, match=f"chain {CHAIN_ID}"):
        bot.step()
    assert link.receipts == {} and bot.counters.executions_sent == 0


# ---- the service ----


def config_for(market: Market | None, url: str, poll_seconds: float = 3600.0) -> ExecutorBotConfig:
    manager = "0x" + (bytes(20) if market is None else market.manager.address).hex()
    return ExecutorBotConfig(url, "0x" + KEYS["A"].hex(), manager, CHAIN_ID, poll_seconds, rpc_timeout=2.0)


def test_the_service_records_an_unreachable_rpc_and_keeps_polling() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    service = ExecutorBotService(config_for(None, url, poll_seconds=0.02))
    try:
        status = wait_until(lambda: (found := service.status()).polls >= 3 and found, 10, "three polls")
        assert status.last_error.startswith("EthRpcUnavailable:") and url in status.last_error
        assert status.address == "0x" + bytes.fromhex(Evm().accounts["A"].address[2:]).hex()
        assert (status.executions_sent, status.last_epoch) == (0, None)
        assert service._thread.is_alive()
    finally:
        service.shutdown()
    assert not service._thread.is_alive()


def test_the_service_config_hides_the_key_and_rejects_malformed_hex() -> None:
    config = config_for(None, "http://127.0.0.1:1/")
    assert KEYS["A"].hex() not in repr(config)
    for bad in (replace(config, private_key="0x1234"), replace(config, manager="0xzz")):
        with pytest.raises(ValueError, match="is not hex|bytes, not"):
            ExecutorBotService(bad)


def serve(link: HarnessLink) -> JsonRpcServer:
    """The harness chain behind the project's JSON-RPC server, with the methods the bot calls."""

    def call(message: dict[str, str], block: str) -> str:
        sender = decode_data(message["from"]) if "from" in message else None
        try:
            return "0x" + link.call(decode_data(message["to"]), decode_data(message["data"]), sender, block).hex()
        except EthRpcError as error:
            raise RpcError(error.code, error.message, error.data) from error

    def estimate(transaction: dict[str, str]) -> str:
        decoded = {key: decode_data(transaction[key]) for key in ("from", "to", "data")}
        try:
            return hex(link.estimate_gas(decoded))
        except EthRpcError as error:
            raise RpcError(error.code, error.message) from error

    methods: dict[str, Callable[..., Any]] = {
        "eth_chainId": lambda: hex(link.chain_id()),
        "eth_gasPrice": lambda: hex(link.gas_price()),
        "eth_getTransactionCount": lambda address, block: hex(link.transaction_count(decode_data(address), block)),
        "eth_call": call,
        "eth_estimateGas": estimate,
        "eth_sendRawTransaction": lambda raw: "0x" + link.send_raw_transaction(decode_data(raw)).hex(),
        "eth_getTransactionReceipt": lambda transaction_hash: link.transaction_receipt(decode_data(transaction_hash)),
    }
    server = JsonRpcServer(JsonRpcDispatcher(methods))
    server.start()
    return server


def test_the_service_executes_over_json_rpc_http() -> None:
    market = market_with_stakes("A")
    server = serve(HarnessLink(market.evm))
    service = ExecutorBotService(config_for(market, f"http://127.0.0.1:{server.port}/"))
    try:
        request_id = post(market)
        assert service.poll() == [request_id]
        assert service.status().in_flight == 1
        assert service.poll() == []
        status = service.status()
        assert (status.executions_sent, status.executed, status.fees_earned, status.in_flight) == (1, 1, FEE, 0)
        assert (status.last_error, status.last_epoch, status.polls) == ("", 100, 2)
        assert request_status(market, request_id) == EXECUTED
    finally:
        service.shutdown()
        server.stop()
