"""A minimal Ethereum JSON-RPC 2.0 client over HTTP (EIP-1474), on the standard library: what the executor bot
needs from an EVM domain's operator, and no more.

Quantities travel as "0x"-prefixed hex without leading zeros (`0x0` for zero) and decode to int; data and
addresses travel as "0x"-prefixed hex of whole bytes and decode to bytes (an address is 20 bytes). Errors come in
three kinds: `EthRpcError`, the server answered with a JSON-RPC error object (a revert, a rejected transaction);
`EthRpcUnavailable`, no answer at all (connection refused, timeout, an HTTP error status); `EthRpcBadAnswer`, an
answer that is not JSON-RPC 2.0 or not the method's result format. Each names the URL and survives pickling.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import urllib.error
import urllib.request
from typing import Any, Final

HEX_PREFIX: Final = "0x"
ADDRESS_BYTES: Final = 20
HASH_BYTES: Final = 32
MAX_ANSWER_BYTES: Final = 32 << 20
"""The largest answer body read (a wide eth_getLogs range stays well below it)."""
ERROR_BODY_EXCERPT: Final = 200
"""Characters of an HTTP error's body quoted in EthRpcUnavailable."""


# ---- errors (to move to actors/errors.py) ----


class EthRpcError(Exception):
    """The server answered a request with a JSON-RPC error object (code, message, optional data)."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}" + ("" if data is None else f" ({data!r})"))
        self.code = code
        self.message = message
        self.data = data

    def __reduce__(self) -> tuple[type, tuple[int, str, object]]:
        return (type(self), (self.code, self.message, self.data))


class EthRpcUnavailable(Exception):
    """No JSON-RPC answer from the URL: connection refused or reset, a timeout, or an HTTP error status."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"the Ethereum JSON-RPC server at {url} is unavailable: {problem}")
        self.url = url
        self.problem = problem

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.url, self.problem))


class EthRpcBadAnswer(Exception):
    """An answer that is not JSON-RPC 2.0, or whose result is not in the method's format."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"the Ethereum JSON-RPC server at {url} gave a malformed answer: {problem}")
        self.url = url
        self.problem = problem

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.url, self.problem))


# ---- hex encoding (EIP-1474 quantities and data) ----


def encode_quantity(value: int) -> str:
    """A non-negative integer as an EIP-1474 quantity: "0x" and hex without leading zeros."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"a quantity is a non-negative int, not {value!r}"
        raise ValueError(msg)
    return hex(value)


def encode_data(value: bytes) -> str:
    """Bytes as EIP-1474 unformatted data: "0x" and two hex digits per byte."""
    return HEX_PREFIX + bytes(value).hex()


def decode_quantity(value: object) -> int:
    """An EIP-1474 quantity as an int (leading zeros tolerated); ValueError when it is not one."""
    if not isinstance(value, str) or not value.startswith(HEX_PREFIX) or len(value) == len(HEX_PREFIX):
        msg = f"not a hex quantity: {value!r}"
        raise ValueError(msg)
    digits = value[len(HEX_PREFIX) :]
    # int(_, 16) also takes "_" separators, signs and whitespace, which a quantity never has.
    if not all(digit in "0123456789abcdefABCDEF" for digit in digits):
        msg = f"not a hex quantity: {value!r}"
        raise ValueError(msg)
    return int(digits, 16)


def decode_data(value: object, size: int | None = None) -> bytes:
    """EIP-1474 data as bytes, of exactly `size` bytes when given; ValueError when it is not."""
    if not isinstance(value, str) or not value.startswith(HEX_PREFIX):
        msg = f"not hex data: {value!r}"
        raise ValueError(msg)
    digits = value[len(HEX_PREFIX) :]
    if len(digits) % 2 != 0 or not all(digit in "0123456789abcdefABCDEF" for digit in digits):
        msg = f"not hex data: {value!r}"
        raise ValueError(msg)
    decoded = bytes.fromhex(digits)
    if size is not None and len(decoded) != size:
        msg = f"expected {size} bytes, got {len(decoded)}: {value!r}"
        raise ValueError(msg)
    return decoded


def encode_json_value(value: object) -> object:
    """A parameter in wire form: bytes as data, ints as quantities, lists and dicts element-wise, the rest as is."""
    if isinstance(value, bytes | bytearray | memoryview):
        return encode_data(bytes(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return encode_quantity(value)
    if isinstance(value, list | tuple):
        return [encode_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): encode_json_value(item) for key, item in value.items()}
    return value


def encode_block(block: str | int) -> str:
    """A block parameter: a tag ("latest", "pending", ...) as is, a number as a quantity."""
    return block if isinstance(block, str) else encode_quantity(block)


# ---- the client ----


class EthRpcClient:
    """JSON-RPC 2.0 over HTTP POST to one URL; safe to share between threads (each call opens its own request)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._ids_lock = threading.Lock()

    def request(self, method: str, params: list[Any] | tuple[Any, ...] = ()) -> Any:  # noqa: ANN401 - any JSON value
        """The result of one call, parameters in wire form (see `encode_json_value`)."""
        with self._ids_lock:
            request_id = next(self._ids)
        body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}).encode()
        answer = self._post(body)
        return self._result(answer, request_id)

    def _post(self, body: bytes) -> bytes:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        http_request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310 - an operator URL
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout) as response:  # noqa: S310
                return bytes(response.read(MAX_ANSWER_BYTES + 1))
        except urllib.error.HTTPError as error:
            excerpt = error.read(ERROR_BODY_EXCERPT).decode("utf-8", "replace")
            raise EthRpcUnavailable(self.url, f"HTTP {error.code} {error.reason}: {excerpt}") from error
        except urllib.error.URLError as error:
            raise EthRpcUnavailable(self.url, f"{type(error.reason).__name__}: {error.reason}") from error
        except (OSError, http.client.HTTPException) as error:
            # A timeout while reading the answer, a connection reset, a truncated answer.
            raise EthRpcUnavailable(self.url, f"{type(error).__name__}: {error}") from error

    def _result(self, answer: bytes, request_id: int) -> Any:  # noqa: ANN401 - any JSON value
        if len(answer) > MAX_ANSWER_BYTES:
            raise EthRpcBadAnswer(self.url, f"an answer over {MAX_ANSWER_BYTES} bytes")
        try:
            document = json.loads(answer)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise EthRpcBadAnswer(self.url, f"not JSON: {error}") from error
        if not isinstance(document, dict) or document.get("jsonrpc") != "2.0":
            raise EthRpcBadAnswer(self.url, f"not a JSON-RPC 2.0 response object: {str(document)[:ERROR_BODY_EXCERPT]}")
        answered_error = document.get("error")
        if answered_error is not None:
            if not isinstance(answered_error, dict) or not isinstance(answered_error.get("code"), int):
                raise EthRpcBadAnswer(self.url, f"an error that is not an error object: {answered_error!r}")
            code, message = answered_error["code"], str(answered_error.get("message", ""))
            raise EthRpcError(code, message, answered_error.get("data"))
        if document.get("id") != request_id:
            raise EthRpcBadAnswer(self.url, f"the answer to request {document.get('id')!r}, not {request_id}")
        if "result" not in document:
            raise EthRpcBadAnswer(self.url, "neither a result nor an error")
        return document["result"]

    def _decoded(self, method: str, params: list[Any], decode: Any) -> Any:  # noqa: ANN401 - the decoder's type
        result = self.request(method, params)
        try:
            return decode(result)
        except ValueError as error:
            raise EthRpcBadAnswer(self.url, f"{method}: {error}") from error

    # -- the methods ------------------------------------------------------------------------------

    def chain_id(self) -> int:
        """eth_chainId."""
        return int(self._decoded("eth_chainId", [], decode_quantity))

    def block_number(self) -> int:
        """eth_blockNumber: the latest block's number."""
        return int(self._decoded("eth_blockNumber", [], decode_quantity))

    def transaction_count(self, address: bytes, block: str | int = "pending") -> int:
        """eth_getTransactionCount: the account's next nonce ("pending": counting the pool's transactions)."""
        params = [encode_data(address), encode_block(block)]
        return int(self._decoded("eth_getTransactionCount", params, decode_quantity))

    def gas_price(self) -> int:
        """eth_gasPrice, in wei."""
        return int(self._decoded("eth_gasPrice", [], decode_quantity))

    def call(self, to: bytes, data: bytes, sender: bytes | None = None, block: str | int = "latest") -> bytes:
        """eth_call: the return data of a call executed without a transaction."""
        message: dict[str, str] = {"to": encode_data(to), "data": encode_data(data)}
        if sender is not None:
            message["from"] = encode_data(sender)
        return bytes(self._decoded("eth_call", [message, encode_block(block)], decode_data))

    def estimate_gas(self, transaction: dict[str, Any]) -> int:
        """eth_estimateGas of a transaction object (bytes and ints are encoded, strings passed as they are)."""
        return int(self._decoded("eth_estimateGas", [encode_json_value(transaction)], decode_quantity))

    def send_raw_transaction(self, raw: bytes) -> bytes:
        """eth_sendRawTransaction: the transaction's 32-byte hash."""
        return bytes(
            self._decoded("eth_sendRawTransaction", [encode_data(raw)], lambda value: decode_data(value, HASH_BYTES))
        )

    def transaction_receipt(self, transaction_hash: bytes) -> dict[str, Any] | None:
        """eth_getTransactionReceipt: the receipt object as the server sent it, None while not mined."""
        result = self.request("eth_getTransactionReceipt", [encode_data(transaction_hash)])
        if result is not None and not isinstance(result, dict):
            raise EthRpcBadAnswer(self.url, f"eth_getTransactionReceipt: not an object: {result!r}")
        return result

    def get_logs(self, filter: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: A002 - the JSON-RPC parameter's name
        """eth_getLogs: the log objects as the server sent them (filter values encoded like estimate_gas's)."""
        result = self.request("eth_getLogs", [encode_json_value(filter)])
        if not isinstance(result, list) or not all(isinstance(entry, dict) for entry in result):
            raise EthRpcBadAnswer(
                self.url, f"eth_getLogs: not a list of log objects: {str(result)[:ERROR_BODY_EXCERPT]}"
            )
        return result
