"""JSON-RPC 2.0 over HTTP, as Ethereum tools speak it (web3.py, eth-account flows, wallets): POST a request or a
batch to `/`, get the results.

`JsonRpcDispatcher` is the protocol: it parses, validates and routes one HTTP body to the registered methods and
answers with the standard error codes (EIP-1474): -32700 parse error, -32600 invalid request, -32601 method not
found, -32602 invalid params (a method raises `InvalidParams`), -32603 internal error; a method may raise
`RpcError(code, message, data)` for its own (e.g. -32000 for a rejected transaction, 3 for a reverted call). A
method takes the request's `params` list as positional arguments. Notifications (no `id`) get no answer.

`JsonRpcServer` serves a dispatcher with the object gateway's connection limits (a capped thread per
connection, read/idle/write deadlines, a 503 from the accept loop when full) and a bounded body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, Final

from autonomys.actors.objects.gateway import GatewayLimits, LimitedRequestHandler, LimitedServer
from autonomys.protocol.identity.did import MAX_JSON_DEPTH, json_nesting_depth

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
MAX_BODY_BYTES: Final = 5 << 20
"""A request body: room for a transaction of the largest bundle."""
MAX_BATCH: Final = 100

Method = Callable[..., Any]


class RpcError(Exception):
    """An error a method answers with: a JSON-RPC code, a message and optional data."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class InvalidParams(RpcError):
    """Parameters a method cannot take (-32602)."""

    def __init__(self, message: str) -> None:
        super().__init__(INVALID_PARAMS, message)


def _error(request_id: object, code: int, message: str, data: object = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


class JsonRpcDispatcher:
    """Routes JSON-RPC requests to `methods` by name (see the module docstring)."""

    def __init__(self, methods: Mapping[str, Method]) -> None:
        self.methods = dict(methods)

    def handle_body(self, body: bytes) -> bytes | None:
        """The HTTP response body for a request body (None: only notifications, nothing to answer)."""
        try:
            text = body.decode("utf-8")
            # Nesting is bounded before parsing: the C decoder recurses, and deep enough input overflows its stack.
            if json_nesting_depth(text) > MAX_JSON_DEPTH:
                return json.dumps(_error(None, PARSE_ERROR, f"parse error: nested deeper than {MAX_JSON_DEPTH}")).encode()
            document = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            return json.dumps(_error(None, PARSE_ERROR, f"parse error: {error}")).encode()
        if isinstance(document, list):
            if not document or len(document) > MAX_BATCH:
                return json.dumps(_error(None, INVALID_REQUEST, f"a batch holds 1 to {MAX_BATCH} requests")).encode()
            answers = [answer for request in document if (answer := self.handle(request)) is not None]
            return json.dumps(answers).encode() if answers else None
        answer = self.handle(document)
        return None if answer is None else json.dumps(answer).encode()

    def handle(self, request: object) -> dict[str, Any] | None:
        """The answer to one request object (None for a notification)."""
        if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
            request_id = request.get("id") if isinstance(request, dict) else None
            return _error(request_id, INVALID_REQUEST, "not a JSON-RPC 2.0 request object")
        request_id = request.get("id")
        if request_id is not None and not isinstance(request_id, str | int) or isinstance(request_id, bool):
            return _error(None, INVALID_REQUEST, "id must be a string, a number or null")
        params = request.get("params", [])
        if not isinstance(params, list):
            return _error(request_id, INVALID_PARAMS, "params must be a list (by-position)")
        method = self.methods.get(request["method"])
        if method is None:
            return _error(request_id, METHOD_NOT_FOUND, f"the method {request['method']} does not exist/is not available")
        try:
            result = method(*params)
        except RpcError as error:
            return _error(request_id, error.code, error.message, error.data)
        except TypeError as error:
            return _error(request_id, INVALID_PARAMS, f"invalid params: {error}")
        except Exception as error:  # noqa: BLE001 - a method's bug is an internal error, never a dropped connection
            return _error(request_id, INTERNAL_ERROR, f"internal error: {type(error).__name__}: {error}")
        if "id" not in request:
            return None
        return {"jsonrpc": "2.0", "id": request_id, "result": result}


class _RpcRequestHandler(LimitedRequestHandler):
    dispatcher: JsonRpcDispatcher

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._answer(HTTPStatus.LENGTH_REQUIRED, _error(None, INVALID_REQUEST, "Content-Length required"))
            return
        if int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _error(None, INVALID_REQUEST, f"body over {MAX_BODY_BYTES} bytes"))
            return
        body = self.rfile.read(int(length))
        answer = self.dispatcher.handle_body(body)
        self._send(HTTPStatus.OK, b"" if answer is None else answer)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(HTTPStatus.METHOD_NOT_ALLOWED, _error(None, INVALID_REQUEST, "POST JSON-RPC requests to /"))

    def _answer(self, status: HTTPStatus, document: object) -> None:
        self._send(status, json.dumps(document).encode())

    def _send(self, status: HTTPStatus, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.write_bounded(body)


class JsonRpcServer(LimitedServer):
    """Serves a dispatcher over HTTP on (host, port); port 0 picks a free one."""

    thread_name = "json-rpc"

    def __init__(
        self, dispatcher: JsonRpcDispatcher, host: str = "127.0.0.1", port: int = 0, limits: GatewayLimits | None = None
    ) -> None:
        super().__init__(_RpcRequestHandler, {"dispatcher": dispatcher}, host, port, limits)
