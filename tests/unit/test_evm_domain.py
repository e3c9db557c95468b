"""An EVM domain end to end in one process: a consensus node with an EVM genesis domain and two operators, and
web3.py talking to one operator's JSON-RPC server: Alith's balance, a transfer and its receipt, a contract
deployed, called and its logs filtered, blocks by number and hash, and the errors an Ethereum client expects."""

from __future__ import annotations

import pytest

pytest.importorskip("eth")
web3 = pytest.importorskip("web3")

from eth_account import Account  # noqa: E402
from test_domain_operator import PARAMS, farm_dirs, farmers, run  # noqa: E402, F401 - fixtures
from web3.exceptions import BlockNotFound, Web3RPCError  # noqa: E402

from autonomys.actors.domains.operator import RejectedDomainTransaction  # noqa: E402
from autonomys.protocol.domains.contracts import load_contract  # noqa: E402
from helpers.evm_network import AI3, ALITH_KEY, CHAIN_ID, evm_network  # noqa: E402

ALITH = Account.from_key(ALITH_KEY)
BOB = Account.from_key(bytes([2]) * 32)


@pytest.fixture
def network(history, farmers, setup):  # noqa: F811 - the imported fixture
    with evm_network(PARAMS, history, farmers, setup, run) as built:
        yield web3.Web3(web3.Web3.HTTPProvider(built.url)), built.advance, built.operators


def wait_receipt(client, advance, tx_hash, slots: int = 80):
    for _ in range(slots // 4):
        advance(4)
        receipt = client.eth.get_transaction_receipt(tx_hash) if _included(client, tx_hash) else None
        if receipt is not None:
            return receipt
    raise AssertionError("no receipt")


def _included(client, tx_hash) -> bool:
    transaction = client.eth.get_transaction(tx_hash)
    return transaction["blockNumber"] is not None


def test_web3_transfers_deploys_calls_and_filters_logs(network) -> None:
    client, advance, operators = network
    assert client.eth.chain_id == CHAIN_ID and client.net.version == str(CHAIN_ID)
    assert client.eth.get_balance(ALITH.address) == 1000 * AI3
    # A transfer signed locally (eth-account) and sent raw; web3 fills fees from eth_feeHistory / gasPrice.
    transfer = {
        "to": BOB.address, "value": 3 * AI3, "gas": 21_000, "nonce": 0, "chainId": CHAIN_ID,
        "maxFeePerGas": 2 * client.eth.gas_price, "maxPriorityFeePerGas": client.eth.max_priority_fee,
    }  # fmt: skip
    tx_hash = client.eth.send_raw_transaction(ALITH.sign_transaction(transfer).raw_transaction)
    assert client.eth.get_transaction(tx_hash)["blockHash"] is None  # pooled
    assert client.eth.get_transaction_count(ALITH.address, "pending") == 1
    receipt = wait_receipt(client, advance, tx_hash)
    assert receipt["status"] == 1 and receipt["gasUsed"] == 21_000
    assert client.eth.get_balance(BOB.address) == 3 * AI3
    block = client.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert block["hash"] == receipt["blockHash"] and block["transactions"][0]["hash"] == tx_hash
    assert client.eth.get_block(receipt["blockHash"])["number"] == receipt["blockNumber"]
    # The stake token, deployed with web3's contract API, called and its Transfer logs filtered.
    token = load_contract("StakeToken")
    factory = client.eth.contract(abi=token.abi, bytecode=token.bytecode)
    deploy = factory.constructor("Auto Stake", "STAKE", 10**6).build_transaction(
        {"from": ALITH.address, "nonce": 1, "chainId": CHAIN_ID}
    )
    receipt = wait_receipt(
        client, advance, client.eth.send_raw_transaction(ALITH.sign_transaction(deploy).raw_transaction)
    )
    contract = client.eth.contract(address=receipt["contractAddress"], abi=token.abi)
    assert contract.functions.balanceOf(ALITH.address).call() == 10**6
    call = contract.functions.transfer(BOB.address, 250).build_transaction(
        {"from": ALITH.address, "nonce": 2, "chainId": CHAIN_ID}
    )
    receipt = wait_receipt(
        client, advance, client.eth.send_raw_transaction(ALITH.sign_transaction(call).raw_transaction)
    )
    assert contract.functions.balanceOf(BOB.address).call() == 250
    events = contract.events.Transfer().process_receipt(receipt)
    assert [(e.args["receiver"], e.args["value"]) for e in events] == [(BOB.address, 250)]
    logs = contract.events.Transfer().get_logs(from_block=0, argument_filters={"sender": ALITH.address})
    assert [log.args["value"] for log in logs] == [10**6, 250][-len(logs) :] and logs[-1][
        "transactionHash"
    ] == receipt["transactionHash"]
    history = client.eth.fee_history(2, "latest", [50])
    assert len(history["baseFeePerGas"]) == 3
    # Both operators derived the same blocks.
    head = operators[0].chain.head_number()
    assert operators[1].chain.block(head).receipt == operators[0].chain.block(head).receipt


def test_bad_input_gets_the_errors_ethereum_clients_expect(network) -> None:
    client, _, operators = network
    assert operators[0].account(bytes.fromhex(ALITH.address[2:])) == (1000 * AI3, 0)
    with pytest.raises(RejectedDomainTransaction, match="20-byte accounts, not 32-byte"):
        operators[0].account(bytes(32))
    base = {
        "to": BOB.address,
        "value": 1,
        "gas": 21_000,
        "chainId": CHAIN_ID,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 0,
    }
    cases = [
        (ALITH.sign_transaction(base | {"nonce": 0, "chainId": 1}).raw_transaction, "invalid chain id"),
        (ALITH.sign_transaction(base | {"nonce": 3}).raw_transaction, "nonce too high"),
        (BOB.sign_transaction(base | {"nonce": 0}).raw_transaction, "insufficient funds"),
        (ALITH.sign_transaction(base | {"nonce": 0, "gas": 20_000}).raw_transaction, "intrinsic gas too low"),
        (b"\x02\xc3\x01\x02\x03", "invalid transaction"),
        (ALITH.sign_transaction(base | {"nonce": 0, "gas": 50_000_000}).raw_transaction, "weight limit"),
    ]
    for raw, words in cases:
        with pytest.raises(Web3RPCError, match=words):
            client.eth.send_raw_transaction(raw)
    assert client.eth.get_transaction_count(ALITH.address, "pending") == 0
    revert = {"from": ALITH.address, "to": BOB.address, "data": "0x", "value": 2000 * AI3}
    with pytest.raises(Web3RPCError, match="insufficient"):
        client.eth.call(revert)
    assert client.provider.make_request("eth_newFilter", [{}])["error"]["code"] == -32601
    assert client.provider.make_request("eth_getBalance", ["0x1234"])["error"]["code"] == -32602
    assert client.provider.make_request("eth_getBlockByNumber", ["0xzz", False])["error"]["code"] == -32602
    assert client.provider.make_request("eth_sendRawTransaction", [7])["error"]["code"] == -32602
    assert client.provider.make_request("eth_call", [{"to": "0x12"}])["error"]["code"] == -32602
    with pytest.raises(BlockNotFound):
        client.eth.get_block(10**6)
