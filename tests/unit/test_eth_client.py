"""The Ethereum JSON-RPC client (actors/domains/eth_client.py) against a tiny HTTP server answering canned JSON:
the request envelope and parameter encoding, hex decoding of results, and the three kinds of errors."""

from __future__ import annotations

import json
import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonomys.actors.domains.eth_client import (
    EthRpcBadAnswer,
    EthRpcClient,
    EthRpcError,
    EthRpcUnavailable,
    decode_data,
    decode_quantity,
    encode_data,
    encode_quantity,
)

ADDRESS = bytes(range(1, 21))
HASH = bytes(range(32))
Answer = Callable[[dict[str, Any]], tuple[int, bytes]]


class CannedServer:
    """An HTTP server on 127.0.0.1 answering each JSON-RPC method with a canned answer, recording the requests."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                canned.requests.append(request)
                canned.headers.append(dict(self.headers))
                status, body = canned.answers[request["method"]](request)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the overridden signature
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def result(self, method: str, value: object) -> None:
        self.answers[method] = lambda request: (
            200,
            json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": value}).encode(),
        )

    def error(self, method: str, error: dict[str, Any]) -> None:
        self.answers[method] = lambda request: (
            200,
            json.dumps({"jsonrpc": "2.0", "id": request["id"], "error": error}).encode(),
        )

    def raw(self, method: str, status: int, body: bytes) -> None:
        self.answers[method] = lambda request: (status, body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canned() -> Iterator[CannedServer]:
    server = CannedServer()
    yield server
    server.close()


def test_quantities_decode_to_ints_and_the_envelope_is_json_rpc_2(canned: CannedServer) -> None:
    canned.result("eth_chainId", "0x539")
    canned.result("eth_blockNumber", "0x0")
    canned.result("eth_gasPrice", "0x3B9ACA00")
    canned.result("eth_getTransactionCount", "0x5")
    client = EthRpcClient(canned.url)
    assert (client.chain_id(), client.block_number(), client.gas_price()) == (1337, 0, 10**9)
    assert client.transaction_count(ADDRESS) == 5
    assert client.transaction_count(ADDRESS, 16) == 5
    assert [request["params"] for request in canned.requests[3:]] == [
        ["0x" + ADDRESS.hex(), "pending"],
        ["0x" + ADDRESS.hex(), "0x10"],
    ]
    ids = [request["id"] for request in canned.requests]
    assert len(set(ids)) == len(ids)
    assert all(request["jsonrpc"] == "2.0" for request in canned.requests)
    assert [request["method"] for request in canned.requests[:3]] == ["eth_chainId", "eth_blockNumber", "eth_gasPrice"]
    assert canned.headers[0]["Content-Type"] == "application/json"


def test_call_sends_the_message_object_and_decodes_the_return_data(canned: CannedServer) -> None:
    canned.result("eth_call", "0x00000000000000000000000000000000000000000000000000000000000000ff")
    client = EthRpcClient(canned.url)
    assert client.call(ADDRESS, b"\x12\x34", sender=bytes(20), block="pending") == (255).to_bytes(32, "big")
    assert client.call(ADDRESS, b"") == (255).to_bytes(32, "big")
    assert canned.requests[0]["params"] == [
        {"to": "0x" + ADDRESS.hex(), "data": "0x1234", "from": "0x" + "00" * 20},
        "pending",
    ]
    assert canned.requests[1]["params"] == [{"to": "0x" + ADDRESS.hex(), "data": "0x"}, "latest"]


def test_estimate_gas_and_get_logs_encode_bytes_as_data_and_ints_as_quantities(canned: CannedServer) -> None:
    canned.result("eth_estimateGas", "0x5208")
    canned.result("eth_getLogs", [{"address": "0x" + ADDRESS.hex(), "topics": [], "data": "0x"}])
    client = EthRpcClient(canned.url)
    assert client.estimate_gas({"from": ADDRESS, "to": ADDRESS, "data": b"", "value": 0, "gas": "0x10"}) == 21_000
    assert canned.requests[0]["params"] == [
        {"from": "0x" + ADDRESS.hex(), "to": "0x" + ADDRESS.hex(), "data": "0x", "value": "0x0", "gas": "0x10"}
    ]
    logs = client.get_logs({"address": ADDRESS, "fromBlock": 256, "toBlock": "latest", "topics": [HASH, None, [HASH]]})
    assert logs == [{"address": "0x" + ADDRESS.hex(), "topics": [], "data": "0x"}]
    assert canned.requests[1]["params"] == [
        {
            "address": "0x" + ADDRESS.hex(),
            "fromBlock": "0x100",
            "toBlock": "latest",
            "topics": ["0x" + HASH.hex(), None, ["0x" + HASH.hex()]],
        }
    ]


def test_transactions_and_receipts(canned: CannedServer) -> None:
    receipt = {"transactionHash": "0x" + HASH.hex(), "status": "0x1", "logs": []}
    canned.result("eth_sendRawTransaction", "0x" + HASH.hex())
    canned.result("eth_getTransactionReceipt", receipt)
    client = EthRpcClient(canned.url)
    assert client.send_raw_transaction(b"\x02\xf8") == HASH
    assert canned.requests[0]["params"] == ["0x02f8"]
    assert client.transaction_receipt(HASH) == receipt
    assert canned.requests[1]["params"] == ["0x" + HASH.hex()]
    canned.result("eth_getTransactionReceipt", None)
    assert client.transaction_receipt(HASH) is None
    assert client.request("eth_getTransactionReceipt", ["0x" + HASH.hex()]) is None


def test_an_error_answer_is_an_eth_rpc_error_with_code_message_and_data(canned: CannedServer) -> None:
    canned.error("eth_call", {"code": 3, "message": "execution reverted", "data": "0x08c379a0"})
    canned.error("eth_sendRawTransaction", {"code": -32000, "message": "nonce too low"})
    client = EthRpcClient(canned.url)
    with pytest.raises(EthRpcError) as reverted:
        client.call(ADDRESS, b"")
    assert (reverted.value.code, reverted.value.message, reverted.value.data) == (3, "execution reverted", "0x08c379a0")
    copy = pickle.loads(pickle.dumps(reverted.value))
    assert (copy.code, copy.message, copy.data, str(copy)) == (
        3,
        "execution reverted",
        "0x08c379a0",
        str(reverted.value),
    )
    with pytest.raises(EthRpcError, match="nonce too low") as rejected:
        client.send_raw_transaction(b"\x02")
    assert (rejected.value.code, rejected.value.data) == (-32000, None)


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("eth_chainId", b"not json"),
        ("eth_chainId", b'{"id": 1, "result": "0x1"}'),
        ("eth_chainId", b'{"jsonrpc": "2.0", "id": 999, "result": "0x1"}'),
        ("eth_chainId", b'{"jsonrpc": "2.0", "id": 1}'),
        ("eth_chainId", b'{"jsonrpc": "2.0", "id": 1, "error": "boom"}'),
        ("eth_chainId", b'{"jsonrpc": "2.0", "id": 1, "result": "1337"}'),
        ("eth_chainId", b'{"jsonrpc": "2.0", "id": 1, "result": "0x"}'),
        ("eth_chainId", b'{"jsonrpc": "2.0", "id": 1, "result": "0x_1"}'),
        ("eth_chainId", b'{"jsonrpc": "2.0", "id": 1, "result": 1337}'),
        ("eth_call", b'{"jsonrpc": "2.0", "id": 1, "result": "0x123"}'),
        ("eth_sendRawTransaction", b'{"jsonrpc": "2.0", "id": 1, "result": "0x1234"}'),
        ("eth_getTransactionReceipt", b'{"jsonrpc": "2.0", "id": 1, "result": "0x1"}'),
        ("eth_getLogs", b'{"jsonrpc": "2.0", "id": 1, "result": {}}'),
    ],
)
def test_a_malformed_answer_is_a_bad_answer_naming_the_url(canned: CannedServer, method: str, body: bytes) -> None:
    canned.raw(method, 200, body)
    client = EthRpcClient(canned.url)
    calls = {
        "eth_chainId": client.chain_id,
        "eth_call": lambda: client.call(ADDRESS, b""),
        "eth_sendRawTransaction": lambda: client.send_raw_transaction(b"\x02"),
        "eth_getTransactionReceipt": lambda: client.transaction_receipt(HASH),
        "eth_getLogs": lambda: client.get_logs({}),
    }
    with pytest.raises(EthRpcBadAnswer) as raised:
        calls[method]()
    assert canned.url in str(raised.value)


def test_an_http_error_status_is_unavailable(canned: CannedServer) -> None:
    canned.raw("eth_chainId", 503, b"busy")
    with pytest.raises(EthRpcUnavailable, match="HTTP 503") as raised:
        EthRpcClient(canned.url).chain_id()
    assert raised.value.url == canned.url
    assert "busy" in raised.value.problem


def test_a_refused_connection_is_unavailable_naming_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    with pytest.raises(EthRpcUnavailable) as raised:
        EthRpcClient(url, timeout=2.0).block_number()
    assert url in str(raised.value)
    copy = pickle.loads(pickle.dumps(raised.value))
    assert (copy.url, copy.problem) == (url, raised.value.problem)


def test_a_server_slower_than_the_timeout_is_unavailable(canned: CannedServer) -> None:
    def slow(request: dict[str, Any]) -> tuple[int, bytes]:
        time.sleep(1.0)
        return 200, json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x1"}).encode()

    canned.answers["eth_blockNumber"] = slow
    started = time.monotonic()
    with pytest.raises(EthRpcUnavailable, match="timed out"):
        EthRpcClient(canned.url, timeout=0.2).block_number()
    assert time.monotonic() - started < 0.9


# ---- hex encoding ----


def test_known_encodings() -> None:
    assert [encode_quantity(value) for value in (0, 1, 1024)] == ["0x0", "0x1", "0x400"]
    assert encode_data(b"") == "0x" and encode_data(b"\x00\x0f") == "0x000f"
    assert decode_quantity("0x0400") == 1024 and decode_data("0xABcd") == b"\xab\xcd"
    for value in (-1, True, 1.0):
        with pytest.raises(ValueError, match="non-negative int"):
            encode_quantity(value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected 32 bytes"):
        decode_data("0x00", 32)


@given(st.integers(min_value=0, max_value=2**300))
def test_quantities_round_trip(value: int) -> None:
    assert decode_quantity(encode_quantity(value)) == value


@given(st.binary(max_size=64))
def test_data_round_trips(value: bytes) -> None:
    assert decode_data(encode_data(value)) == value


@given(st.one_of(st.text(max_size=12), st.from_regex(r"\A0x[0-9a-fA-F_ +-]{0,10}\Z"), st.integers(), st.none()))
def test_arbitrary_input_decodes_to_its_value_or_raises_value_error(text: object) -> None:
    try:
        quantity = decode_quantity(text)
    except ValueError:
        pass
    else:
        assert isinstance(text, str)
        assert encode_quantity(quantity) == hex(int(text[2:], 16)) and text[2:].isalnum()
    try:
        data = decode_data(text)
    except ValueError:
        pass
    else:
        assert isinstance(text, str)
        assert encode_data(data) == text.lower()
