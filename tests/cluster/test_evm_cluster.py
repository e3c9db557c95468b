"""A MINIMAL devnet with an `evm` domain on a real local Ray instance: web3.py over the first operator's JSON-RPC
moves value and deploys seed 004's StakeToken and StakeManager, Alith stakes a unit in epoch 0, and an executor
bot actor executes a posted request (the EVM workload job runs meanwhile) (earning its fee) once epoch 100 makes Alith the executor; both operators
agree on every receipt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

web3 = pytest.importorskip("web3")

from eth_account import Account  # noqa: E402

from autonomys.actors.domains.executor_bot import ExecutorBotConfig  # noqa: E402
from autonomys.network.compose import NetworkPlan, create_executor_bot, start_network  # noqa: E402
from autonomys.network.farms import devnet_farms  # noqa: E402
from autonomys.network.genesis import prepare_network  # noqa: E402
from autonomys.network.spec import ClusterSpec  # noqa: E402
from autonomys.protocol.domains.contracts import load_contract  # noqa: E402
from helpers.waiting import ACTOR_POLL_SECONDS, wait_until  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
TIMEOUT = 300.0
AI3 = 10**18
ALITH_KEY = "0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133"
CHAIN_ID = 870
STAN = 10_000 * 10**18


def send(client, account, transaction: dict) -> dict:
    fields = {"chainId": CHAIN_ID, "nonce": client.eth.get_transaction_count(account.address, "pending")}
    fields |= {"maxFeePerGas": 2 * client.eth.gas_price, "maxPriorityFeePerGas": 0}
    raw = account.sign_transaction(transaction | fields).raw_transaction
    tx_hash = client.eth.send_raw_transaction(raw)
    return client.eth.wait_for_transaction_receipt(tx_hash, timeout=TIMEOUT, poll_latency=0.5)


def deploy(client, account, name: str, *arguments) -> object:
    contract = load_contract(name)
    factory = client.eth.contract(abi=contract.abi, bytecode=contract.bytecode)
    built = factory.constructor(*arguments).build_transaction({"from": account.address, "gas": 3_000_000})
    receipt = send(client, account, {k: built[k] for k in ("data", "gas", "value")})
    assert receipt["status"] == 1
    return client.eth.contract(address=receipt["contractAddress"], abi=contract.abi)


def transact(client, account, function, value: int = 0) -> dict:
    built = function.build_transaction({"from": account.address, "value": value, "gas": 500_000})
    receipt = send(client, account, {k: built[k] for k in ("to", "data", "gas", "value")})
    assert receipt["status"] == 1, receipt
    return receipt


def test_web3_on_an_evm_domain_and_the_executor_bot_executes_requests(ray_session: str, tmp_path: Path) -> None:
    spec = ClusterSpec(preset="minimal", namespace=ray_session, cache_peers=0)
    prepared = prepare_network(spec.preset, tmp_path / "net", ("evm",))
    farms = devnet_farms(prepared.genesis, prepared.data_dir)
    devnet = start_network(NetworkPlan(spec, prepared.data_dir, prepared.genesis, farms, rpc_port=0), print)
    try:
        first, second = devnet.operators["operator-0-0"], devnet.operators["operator-0-1"]
        url = first.rpc_url()
        assert url is not None and second.rpc_url() is None
        client = web3.Web3(web3.Web3.HTTPProvider(url))
        alith = Account.from_key(ALITH_KEY)
        assert client.eth.chain_id == CHAIN_ID
        assert client.eth.get_balance(alith.address) == 1000 * AI3
        receiver = Account.from_key(bytes([9]) * 32).address
        assert send(client, alith, {"to": receiver, "value": 2 * AI3, "gas": 21_000})["status"] == 1
        assert client.eth.get_balance(receiver) == 2 * AI3
        token = deploy(client, alith, "StakeToken", "Auto Stake", "STAKE", 10**6 * 10**18)
        manager = deploy(client, alith, "StakeManager", token.address)
        transact(client, alith, token.functions.approve(manager.address, 2**256 - 1))
        transact(client, alith, manager.functions.stake(STAN))
        # Epoch 0's executor was selected (from the empty array) before the stake: none until epoch 100.
        assert manager.functions.getExecutor().call() == "0x" + "00" * 20
        # While epoch 0 runs out: the workload job (what `ray job submit` runs) against the live JSON-RPC.
        job = subprocess.run(
            [sys.executable, "-m", "autonomys.jobs.evm_workload", "--rpc", url, "--transfers", "6", "--calls", "6",
             "--senders", "3", "--timeout", "240"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert job.returncode == 0, job.stderr
        summary = json.loads(job.stdout.strip().splitlines()[-1])
        assert (summary["succeeded"], summary["failed"], summary["missing"]) == (12, 0, 0)
        bot = create_executor_bot(
            spec, ExecutorBotConfig(url, ALITH_KEY, manager.address, CHAIN_ID, poll_seconds=0.5), "executor-bot-0"
        )
        bot.ready(timeout=60)
        # Anyone posts a request with a fee in escrow: a call of the receiver (a plain account: an empty call).
        requester = Account.from_key(bytes([9]) * 32)
        transact(client, requester, manager.functions.postRequest(alith.address, b""), value=AI3 // 10)
        wait_until(
            lambda: bot.status().executed >= 1, TIMEOUT, "the bot to execute the request", interval=ACTOR_POLL_SECONDS
        )
        assert manager.functions.requests(0).call()[3] == 2  # REQUEST_EXECUTED
        assert bot.status().fees_earned == AI3 // 10
        head = min(first.status().domain_number, second.status().domain_number)
        assert first.receipt(head) == second.receipt(head) is not None
    finally:
        devnet.stop()
