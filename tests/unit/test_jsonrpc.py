"""JSON-RPC 2.0 framing (EIP-1474 error codes) and its HTTP server under the gateway's limits."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from autonomys.actors.domains.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    MAX_BODY_BYTES,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    InvalidParams,
    JsonRpcDispatcher,
    JsonRpcServer,
    RpcError,
)


def rejected(value: str) -> None:
    raise RpcError(-32000, "rejected", {"reason": value})


def failing() -> None:
    raise ZeroDivisionError("boom")


def checked(value: str) -> str:
    if not value.startswith("0x"):
        raise InvalidParams("expected hex")
    return value


DISPATCHER = JsonRpcDispatcher({"eth_chainId": lambda: "0x366", "echo": checked, "reject": rejected, "fail": failing})


def call(body: object) -> object:
    answer = DISPATCHER.handle_body(json.dumps(body).encode())
    return None if answer is None else json.loads(answer)


def test_a_request_gets_its_result_with_its_id() -> None:
    assert call({"jsonrpc": "2.0", "id": 7, "method": "eth_chainId", "params": []}) == {"jsonrpc": "2.0", "id": 7, "result": "0x366"}
    assert call({"jsonrpc": "2.0", "id": "a", "method": "echo", "params": ["0x1"]})["result"] == "0x1"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"jsonrpc": "2.0", "id": 1, "method": "nope"}, METHOD_NOT_FOUND),
        ({"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"}, INVALID_REQUEST),
        ({"jsonrpc": "2.0", "id": 1}, INVALID_REQUEST),
        ({"jsonrpc": "2.0", "id": 1, "method": "echo", "params": {"value": "0x1"}}, INVALID_PARAMS),
        ({"jsonrpc": "2.0", "id": 1, "method": "echo", "params": []}, INVALID_PARAMS),
        ({"jsonrpc": "2.0", "id": 1, "method": "echo", "params": ["12"]}, INVALID_PARAMS),
        ({"jsonrpc": "2.0", "id": 1, "method": "fail"}, INTERNAL_ERROR),
        ({"jsonrpc": "2.0", "id": [1], "method": "eth_chainId"}, INVALID_REQUEST),
        ([], INVALID_REQUEST),
        (5, INVALID_REQUEST),
    ],
)
def test_bad_requests_get_the_standard_codes(body: object, code: int) -> None:
    answer = call(body)
    assert isinstance(answer, dict) and answer["error"]["code"] == code


def test_parse_errors_batches_notifications_and_method_errors() -> None:
    assert json.loads(DISPATCHER.handle_body(b"{not json"))["error"]["code"] == PARSE_ERROR
    assert json.loads(DISPATCHER.handle_body(b"\xff\xfe"))["error"]["code"] == PARSE_ERROR
    # Deep nesting is refused before the C decoder recurses into it (deep enough, that is a crash, not an error).
    assert json.loads(DISPATCHER.handle_body(b"[" * 200_000))["error"]["code"] == PARSE_ERROR
    assert json.loads(DISPATCHER.handle_body(b'{"a":"' + b"[" * 1000 + b'"}'))["error"]["code"] != PARSE_ERROR
    batch = call([{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, {"jsonrpc": "2.0", "method": "eth_chainId"},
                  {"jsonrpc": "2.0", "id": 2, "method": "nope"}])  # fmt: skip
    assert [answer["id"] for answer in batch] == [1, 2] and batch[1]["error"]["code"] == METHOD_NOT_FOUND
    assert call({"jsonrpc": "2.0", "method": "eth_chainId"}) is None  # a notification: no answer
    answer = call({"jsonrpc": "2.0", "id": 3, "method": "reject", "params": ["nonce too low"]})
    assert answer["error"] == {"code": -32000, "message": "rejected", "data": {"reason": "nonce too low"}}


def post(port: int, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, object]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_the_http_server_answers_posts_and_refuses_oversized_bodies() -> None:
    server = JsonRpcServer(DISPATCHER)
    port = server.start()
    try:
        status, answer = post(port, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).encode())
        assert status == 200 and answer["result"] == "0x366"
        # An oversized body is refused from its Content-Length, before a byte of it is read.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode())
            received = b""
            while chunk := connection.recv(4096):  # the server closes the connection after its answer
                received += chunk
            head = received.decode()
        assert head.startswith("HTTP/1.1 413") and str(INVALID_REQUEST) in head
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
        assert raised.value.code == 405
    finally:
        server.stop()
