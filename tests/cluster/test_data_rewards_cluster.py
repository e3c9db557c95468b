"""DataRewards on a MINIMAL devnet's `evm` domain (real local Ray), driven by web3.py over the first operator's
JSON-RPC: Alith deploys and funds the pool, accrues the four example contributors' exact Shapley values
(actors.ai.valuation.example_task), each contributor with a positive share (clean, duplicate) claims it; every accrual and claim is a
receipt with its event log in a domain block, both operators agree on the domain's execution receipts, the consensus
chain (which the archiver puts into archived history) holds the execution receipt of the last claim's block, and a
second claim pays nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

web3 = pytest.importorskip("web3")

from eth_account import Account  # noqa: E402

from autonomys.actors.ai.valuation import example_task, value_exact  # noqa: E402
from autonomys.network.compose import NetworkPlan, start_network  # noqa: E402
from autonomys.network.farms import devnet_farms  # noqa: E402
from autonomys.network.genesis import prepare_network  # noqa: E402
from autonomys.network.spec import ClusterSpec  # noqa: E402
from autonomys.protocol.ai.shapley import accrual_shares  # noqa: E402
from autonomys.protocol.domains.contracts import load_contract  # noqa: E402
from helpers.waiting import ACTOR_POLL_SECONDS, wait_until  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
TIMEOUT = 300.0
AI3 = 10**18
ALITH_KEY = "0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133"
CHAIN_ID = 870
POOL = 10 * AI3 + 1


def send(client, account, transaction: dict) -> dict:
    fields = {"chainId": CHAIN_ID, "nonce": client.eth.get_transaction_count(account.address, "pending")}
    fields |= {"maxFeePerGas": 2 * client.eth.gas_price, "maxPriorityFeePerGas": 0}
    raw = account.sign_transaction(transaction | fields).raw_transaction
    tx_hash = client.eth.send_raw_transaction(raw)
    return client.eth.wait_for_transaction_receipt(tx_hash, timeout=TIMEOUT, poll_latency=0.5)


def transact(client, account, function, value: int = 0) -> dict:
    built = function.build_transaction({"from": account.address, "value": value, "gas": 1_000_000})
    return send(client, account, {k: built[k] for k in ("to", "data", "gas", "value")})


def test_data_rewards_accrue_and_claim_on_the_evm_domain(ray_session: str, tmp_path: Path) -> None:
    valuation = value_exact(example_task(seed=0))
    values = list(valuation.fixed_point_values)
    shares, remainder = accrual_shares(POOL, values)
    spec = ClusterSpec(preset="minimal", namespace=ray_session, cache_peers=0)
    prepared = prepare_network(spec.preset, tmp_path / "net", ("evm",))
    farms = devnet_farms(prepared.genesis, prepared.data_dir)
    devnet = start_network(NetworkPlan(spec, prepared.data_dir, prepared.genesis, farms, rpc_port=0), print)
    try:
        first, second = devnet.operators["operator-0-0"], devnet.operators["operator-0-1"]
        url = first.rpc_url()
        assert url is not None
        client = web3.Web3(web3.Web3.HTTPProvider(url))
        alith = Account.from_key(ALITH_KEY)
        contributors = [Account.from_key(bytes([0x40 + index]) * 32) for index in range(4)]
        for contributor in contributors:  # gas money
            assert send(client, alith, {"to": contributor.address, "value": AI3, "gas": 21_000})["status"] == 1
        contract = load_contract("DataRewards")
        factory = client.eth.contract(abi=contract.abi, bytecode=contract.bytecode)
        built = factory.constructor().build_transaction({"from": alith.address, "gas": 3_000_000})
        receipt = send(client, alith, {k: built[k] for k in ("data", "gas", "value")})
        assert receipt["status"] == 1
        rewards = client.eth.contract(address=receipt["contractAddress"], abi=contract.abi)

        assert transact(client, alith, rewards.functions.fund(), value=POOL)["status"] == 1
        # A non-owner accrual reverts and changes nothing.
        refused = transact(client, contributors[0], rewards.functions.accrue([c.address for c in contributors], values))
        assert refused["status"] == 0 and rewards.functions.unallocated().call() == POOL
        accrued = transact(client, alith, rewards.functions.accrue([c.address for c in contributors], values))
        assert accrued["status"] == 1
        logs = rewards.events.Accrued().process_receipt(accrued)
        assert [(log.args.contributor, log.args.value, log.args.amount) for log in logs] == [
            (c.address, value, share) for c, value, share in zip(contributors, values, shares, strict=True)
        ]
        assert rewards.functions.unallocated().call() == remainder
        claimed_in = []
        for contributor, share in zip(contributors, shares, strict=True):
            if share == 0:  # noisy and (for seed 0) irrelevant are valued below 0: nothing accrued
                assert transact(client, contributor, rewards.functions.claim())["status"] == 0
                continue
            receipt = transact(client, contributor, rewards.functions.claim())
            assert receipt["status"] == 1
            (log,) = rewards.events.Claimed().process_receipt(receipt)
            assert (log.args.contributor, log.args.amount) == (contributor.address, share)
            claimed_in.append(receipt["blockNumber"])
            assert transact(client, contributor, rewards.functions.claim())["status"] == 0  # nothing accrued
        assert shares[0] == max(shares) and shares[2] == 0 and len(claimed_in) == 2
        assert client.eth.get_balance(rewards.address) == remainder
        # The blocks holding the receipts are in both operators' agreed execution receipts, and the consensus chain
        # (whose blocks the archiver puts into archived history) carries an execution receipt of the last claim's block.
        last = max(claimed_in)
        wait_until(
            lambda: devnet.node.domain_view(0).head_receipt_number >= last,
            TIMEOUT,
            f"the consensus chain to hold the execution receipt of domain block {last}",
            interval=ACTOR_POLL_SECONDS,
        )
        for number in range(1, last + 1):
            assert first.receipt(number) == second.receipt(number) is not None
    finally:
        devnet.stop()
