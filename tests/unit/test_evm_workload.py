"""The EVM workload job against an in-process EVM domain (a consensus node, two EVM operators and operator 0's
JSON-RPC server, as tests/unit/test_evm_domain.py builds them) through the stdlib client over HTTP: every
transaction succeeds, the sink's native and token balances are what was sent, the senders spent what they were
given, the JSON summary line says so; and the command's exit codes for bad arguments and an unreachable server."""

from __future__ import annotations

import json
import socket
import threading

import pytest

pytest.importorskip("eth")

import eth_abi  # noqa: E402
from eth_account import Account  # noqa: E402
from test_domain_operator import (  # noqa: E402, F401 - fixtures
    PARAMS,
    farm_dirs,
    farmers,
    run,
)

from autonomys.actors.domains.eth_client import EthRpcClient  # noqa: E402
from autonomys.jobs import evm_workload  # noqa: E402
from autonomys.jobs.evm_workload import (  # noqa: E402
    CALL,
    TOKEN_AMOUNT,
    TRANSFER,
    TRANSFER_VALUE,
    ChainMismatch,
    Pace,
    WorkloadPlan,
    assign,
    derive_sender_key,
    derive_sink,
    encode_call,
    run_workload,
)
from helpers.evm_network import AI3, ALITH, CHAIN_ID, evm_network  # noqa: E402

ALITH_KEY = bytes.fromhex(evm_workload.ALITH_KEY)


@pytest.fixture
def network(history, farmers, setup):  # noqa: F811 - the imported fixture
    """(JSON-RPC URL, advance(slots)): operator 0's server, and a function that farms the next slots."""
    with evm_network(PARAMS, history, farmers, setup, run) as built:
        yield built.url, built.advance


def balance(client: EthRpcClient, account: bytes) -> int:
    return int(client.request("eth_getBalance", ["0x" + account.hex(), "latest"]), 16)


def token_balance(client: EthRpcClient, token: bytes, account: bytes) -> int:
    data = encode_call("balanceOf(address)", ["address"], [account])
    return int(eth_abi.decode(["uint256"], client.call(token, data))[0])


def test_the_workload_lands_every_transaction_and_pays_the_sink(network) -> None:
    url, advance = network
    client = EthRpcClient(url)
    plan = WorkloadPlan(transfers=6, calls=6, senders=3, timeout=120.0)
    lines: list[str] = []
    # "Waiting" for the chain farms two slots: the receipts arrive as fast as the in-process network makes blocks.
    report = run_workload(client, ALITH_KEY, plan, lines.append, pace=Pace(sleep=lambda _: advance(2)))
    assert (report.count(True), report.count(False), report.missing, report.rejected) == (12, 0, 0, 0)
    assert sorted(report.kinds.values()) == [CALL] * 6 + [TRANSFER] * 6
    summary = json.loads(lines[-1])
    assert summary | {"seconds": 0, "tps": 0} == {
        "transfers": 6, "calls": 6, "succeeded": 12, "failed": 0, "missing": 0, "rejected": 0, "seconds": 0,
        "tps": 0, "blocks": len(report.blocks()), "gas_used": report.gas_used(),
    }  # fmt: skip
    assert summary["tps"] > 0 and summary["seconds"] > 0
    assert report.gas_used(TRANSFER) == 6 * 21_000 and report.gas_used(CALL) > 6 * 21_000
    assert any(line.startswith("receipts: 12 succeeded, 0 failed, 0 missing") for line in lines)
    # The sink got every transfer and every token call; the token is the first contract Alith deployed.
    sink = derive_sink(ALITH_KEY)
    assert balance(client, sink) == 6 * TRANSFER_VALUE
    token = bytes.fromhex(next(line for line in lines if "StakeToken deployed at" in line).split("0x")[1][:40])
    assert token_balance(client, token, sink) == 6 * TOKEN_AMOUNT
    # Each sender sent its share (nonces 0..) and spent all its tokens; Alith's nonce counts the setup.
    senders = [bytes.fromhex(Account.from_key(derive_sender_key(ALITH_KEY, i)).address[2:]) for i in range(3)]
    shares = [sum(1 for _, sender in assign(plan) if sender == index) for index in range(3)]
    assert [client.transaction_count(sender, "latest") for sender in senders] == shares == [4, 4, 4]
    assert [token_balance(client, token, sender) for sender in senders] == [0, 0, 0]
    assert client.transaction_count(ALITH, "latest") == 1 + 3 + 3  # deploy, fund, tokens
    assert all(0 < balance(client, sender) < 2 * AI3 // 100 for sender in senders)


def test_a_second_run_reuses_the_senders_at_their_nonces(network) -> None:
    url, advance = network
    client = EthRpcClient(url)
    plan = WorkloadPlan(transfers=2, calls=1, senders=2, timeout=120.0)
    for _ in range(2):
        report = run_workload(client, ALITH_KEY, plan, lambda _: None, pace=Pace(sleep=lambda _: advance(2)))
        assert (report.count(True), report.missing, report.rejected) == (3, 0, 0)
    assert balance(client, derive_sink(ALITH_KEY)) == 4 * TRANSFER_VALUE


def test_the_command_runs_while_the_chain_advances_in_the_background(network, capsys) -> None:
    url, advance = network
    stop = threading.Event()

    def farm() -> None:
        while not stop.wait(0.01):
            advance(1)

    farming = threading.Thread(target=farm, daemon=True)
    farming.start()
    try:
        argv = ["--rpc", url, "--transfers", "3", "--calls", "2", "--senders", "2", "--timeout", "60"]
        status = evm_workload.main([*argv, "--chain-id", str(CHAIN_ID)])
    finally:
        stop.set()
        farming.join()
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert (summary["transfers"], summary["calls"], summary["succeeded"], summary["missing"]) == (3, 2, 5, 0)
    assert summary["tps"] > 0 and captured.err == ""


def test_the_wrong_chain_id_stops_before_sending(network) -> None:
    url, _ = network
    with pytest.raises(ChainMismatch, match="chain id 870, not chain 871"):
        run_workload(EthRpcClient(url), ALITH_KEY, WorkloadPlan(1, 1, 1, chain_id=871), lambda _: None)
    assert evm_workload.main(["--rpc", url, "--chain-id", "871", "--transfers", "1"]) == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["--transfers", "-1"],
        ["--transfers", "0", "--calls", "0"],
        ["--senders", "0"],
        ["--timeout", "0"],
        ["--key", "0x1234"],
        ["--transfers", "many"],
        ["--bogus"],
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert evm_workload.main(argv) == 2
    assert capsys.readouterr().err.strip()


def test_an_unreachable_server_exits_1_with_one_line_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    assert evm_workload.main(["--rpc", url, "--transfers", "1", "--calls", "1"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and lines[0].startswith("evm workload:")
    assert captured.out == ""


def test_senders_are_derived_deterministically_and_differ() -> None:
    keys = [derive_sender_key(ALITH_KEY, index) for index in range(4)]
    assert keys == [derive_sender_key(ALITH_KEY, index) for index in range(4)]
    assert len(set(keys)) == 4 and ALITH_KEY not in keys
    assert derive_sink(ALITH_KEY) != derive_sink(bytes(31) + b"\x01") and len(derive_sink(ALITH_KEY)) == 20
    plan = assign(WorkloadPlan(transfers=5, calls=2, senders=2))
    assert plan == [(TRANSFER, 0), (CALL, 0), (TRANSFER, 1), (CALL, 1), (TRANSFER, 0), (TRANSFER, 1), (TRANSFER, 0)]
