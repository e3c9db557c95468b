"""An HTTP gateway to stored objects: `GET /objects/{id}` streams an object, `HEAD` gives its size.

The body is written chunk by chunk as the client yields verified chunks, so a big object is never held
whole: a request holds one chunk and the pieces the client fetches ahead (ObjectClient.iter_object), and
the next chunk is asked for only once the last one is written. Errors before the headers go out are JSON
`{"error": ...}` with a status: 400 for a malformed id, 404 for an unknown object or path, 503 when
pieces are unavailable, 502 when stored bytes do not verify. An error after the headers (a chunk that
became unavailable, or failed its hash, mid-stream) closes the connection, so the client sees a body
shorter than its Content-Length; the chunk that failed is never sent (a client yields only verified ones).

Slow and idle clients cannot pin the gateway (GatewayLimits): it holds at most `max_connections` at
once, one thread each, and answers one more with a 503 `{"error": "too many connections"}` and
`Retry-After` straight from the accept loop, without a thread; a request head must arrive within
`read_timeout` of the connection (or of its first byte, on a kept-alive connection), a kept-alive
connection may wait `idle_timeout` for its next request, and a client that takes no part of a response
for `write_timeout` is dropped. stats() counts what happened, for an operator.
"""

from __future__ import annotations

import io
import json
import math
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import urlsplit

from autonomys.actors.objects.client import ObjectInfo, ObjectNotFound
from autonomys.protocol.objects.mappings import MalformedObjectId, ObjectCorrupt, ObjectUnavailable, parse_object_id

OBJECT_PATH_PREFIX = "/objects/"
SHUTDOWN_TIMEOUT_SECONDS = 10.0
# How often the serving loop checks for stop(): the longest stop() waits for it.
STOP_POLL_SECONDS = 0.05
WRITE_SLICE_BYTES = 64 * 1024
"""Bytes handed to the socket at once, so write_timeout bounds a stall, not the time a whole chunk takes."""
TOO_MANY_CONNECTIONS = "too many connections"
ERROR_STATUSES: dict[type[Exception], HTTPStatus] = {
    MalformedObjectId: HTTPStatus.BAD_REQUEST,
    ObjectNotFound: HTTPStatus.NOT_FOUND,
    ObjectUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,  # pieces cannot be fetched now
    ObjectCorrupt: HTTPStatus.BAD_GATEWAY,  # stored bytes do not match their hash
}
"""The JSON error each failure of a request gets (before any byte of the body is sent)."""


class InvalidGatewayLimits(ValueError):
    """A GatewayLimits field is out of its range."""


@dataclass(frozen=True, slots=True)
class GatewayLimits:
    """How many connections the gateway holds and how long it waits on each (seconds)."""

    backlog: int = 1024
    """Connections the kernel queues before they are accepted (listen backlog; capped by net.core.somaxconn)."""
    max_connections: int = 256
    """Connections served at once, one thread each; more are answered 503 and closed at once."""
    read_timeout: float = 10.0
    """From accepting a connection (or the first byte of a later request on it) to the end of the request head."""
    idle_timeout: float = 30.0
    """How long a kept-alive connection may wait for its next request."""
    write_timeout: float = 30.0
    """How long a client may take no part of a response (WRITE_SLICE_BYTES at a time) before it is dropped."""
    retry_after_seconds: int = 1
    """The Retry-After of the 503 a connection over max_connections gets."""

    def __post_init__(self) -> None:
        counts = {"backlog": self.backlog, "max_connections": self.max_connections}
        timeouts = {
            "read_timeout": self.read_timeout,
            "idle_timeout": self.idle_timeout,
            "write_timeout": self.write_timeout,
        }
        for name, count in counts.items():
            # A zero backlog or cap would refuse every client.
            if count < 1:
                raise InvalidGatewayLimits(f"{name}={count} must be at least 1")
        for name, seconds in timeouts.items():
            # A zero, negative or infinite (or NaN) timeout would drop every client, or none.
            if not 0 < seconds < math.inf:
                raise InvalidGatewayLimits(f"{name}={seconds} must be a positive number of seconds")
        # An HTTP Retry-After is a whole number of seconds.
        if self.retry_after_seconds < 0:
            raise InvalidGatewayLimits(f"retry_after_seconds={self.retry_after_seconds} must not be negative")


@dataclass(frozen=True, slots=True)
class GatewayStats:
    """Connection counts since the gateway started."""

    accepted: int
    """Connections given a thread."""
    rejected: int
    """Connections over max_connections, answered 503."""
    active: int
    """Connections being served now."""
    timed_out: int
    """Connections dropped for a read, idle or write timeout."""


class ObjectReader(Protocol):
    """The part of ObjectClient the gateway uses."""

    def stat(self, object_id: bytes) -> ObjectInfo: ...

    def iter_object(self, object_id: bytes) -> Iterator[bytes]: ...


class LimitedServer:
    """An HTTP server under GatewayLimits, served on a background thread: the object gateway and the JSON-RPC
    server are both one. `handler` gets `attributes`, `limits` and `connections` as class attributes."""

    thread_name = "http-server"

    def __init__(
        self,
        handler: type[LimitedRequestHandler],
        attributes: dict[str, object],
        host: str = "127.0.0.1",
        port: int = 0,
        limits: GatewayLimits | None = None,
    ) -> None:
        self.limits = limits if limits is not None else GatewayLimits()
        self._connections = ServerConnections(self.limits.max_connections)
        attributes = {**attributes, "limits": self.limits, "connections": self._connections}
        bound = type(handler.__name__.lstrip("_"), (handler,), attributes)
        self._server = LimitedHTTPServer((host, port), bound, self.limits, self._connections)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> int:
        """Serve on a background thread; returns the bound port."""
        self._thread = threading.Thread(target=self.serve_forever, name=self.thread_name, daemon=True)
        self._thread.start()
        return self.port

    def serve_forever(self) -> None:
        """Serve on this thread until stop() is called from another."""
        self._server.serve_forever(poll_interval=STOP_POLL_SECONDS)

    def stats(self) -> GatewayStats:
        """Connections accepted, rejected, open now and timed out so far."""
        return self._connections.stats()

    def stop(self) -> None:
        """Stop serving, close the connections still open and release the socket."""
        self._server.shutdown()
        self._server.server_close()
        # A handler may be waiting on a slow client: closing its socket wakes it rather than waiting out a timeout.
        self._connections.close_all()
        self._connections.wait_idle(SHUTDOWN_TIMEOUT_SECONDS)
        if self._thread is not None:
            self._thread.join(timeout=SHUTDOWN_TIMEOUT_SECONDS)
            self._thread = None


class ObjectGateway(LimitedServer):
    """Serves objects over HTTP on (host, port); port 0 picks a free one (see the module docstring)."""

    thread_name = "object-gateway"

    def __init__(
        self, client: ObjectReader, host: str = "127.0.0.1", port: int = 0, limits: GatewayLimits | None = None
    ) -> None:
        self.client = client
        super().__init__(_ObjectRequestHandler, {"client": client}, host, port, limits)


class ServerConnections:
    """The connections being served and the counts stats() reports; shared by the accept loop and the handlers."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._open: set[socket.socket] = set()
        self._changed = threading.Condition()
        self._accepted = self._rejected = self._timed_out = 0

    def admit(self, connection: socket.socket) -> bool:
        """Whether there is room for this connection (it is then counted as open until release())."""
        with self._changed:
            if len(self._open) >= self._cap:
                self._rejected += 1
                return False
            self._open.add(connection)
            self._accepted += 1
            return True

    def release(self, connection: socket.socket) -> None:
        with self._changed:
            self._open.discard(connection)
            self._changed.notify_all()

    def note_timeout(self) -> None:
        with self._changed:
            self._timed_out += 1

    def close_all(self) -> None:
        """Shut every open connection down, which wakes a handler blocked reading or writing it."""
        with self._changed:
            connections = list(self._open)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its client or its handler

    def wait_idle(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: len(self._open) == 0, timeout=timeout)

    def stats(self) -> GatewayStats:
        with self._changed:
            return GatewayStats(self._accepted, self._rejected, len(self._open), self._timed_out)


class LimitedHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer with a real listen backlog and a cap on the connections it gives a thread."""

    daemon_threads = True
    block_on_close = False  # stop() shuts open connections down and waits for them itself, with a bound

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        limits: GatewayLimits,
        connections: ServerConnections,
    ) -> None:
        self.request_queue_size = limits.backlog  # read by server_activate(), which the base __init__ calls
        self.retry_after_seconds = limits.retry_after_seconds
        self.connections = connections
        super().__init__(address, handler)

    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        if not self.connections.admit(request):
            _reject(request, self.retry_after_seconds)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.connections.release(request)  # no thread started: the base class closes the socket
            raise

    def process_request_thread(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.release(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away, timed out or was shut down by stop() is not an error worth a traceback."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _reject(connection: socket.socket, retry_after_seconds: int) -> None:
    """Answer 503 and close, on the accept loop's thread: nothing here may wait on the client."""
    body = json.dumps({"error": TOO_MANY_CONNECTIONS, "status": int(HTTPStatus.SERVICE_UNAVAILABLE)}).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: {retry_after_seconds}\r\nConnection: close\r\n\r\n"
    )
    try:
        connection.setblocking(False)
        connection.send(head.encode() + body)  # a few hundred bytes: a fresh socket's buffer takes them whole
        connection.shutdown(socket.SHUT_WR)
        # Read what the client already sent: closing with unread bytes would send a reset, which can
        # discard the 503 before the client reads it.
        connection.recv(65536)
    except OSError:
        pass  # the client is gone, or had sent nothing yet
    finally:
        connection.close()


class _DeadlineReader(io.RawIOBase):
    """A socket's bytes, each read bounded by what is left until `deadline` (a time.monotonic() value).

    A per-read timeout alone would let a client send one byte every few seconds forever.
    """

    def __init__(self, connection: socket.socket, on_timeout: Callable[[], None]) -> None:
        self._connection = connection
        self._on_timeout = on_timeout
        self.deadline = time.monotonic()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        left = self.deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError("the request took too long to arrive")
            self._connection.settimeout(left)
            return self._connection.recv_into(buffer)
        except TimeoutError:
            self._on_timeout()
            raise


class LimitedRequestHandler(BaseHTTPRequestHandler):
    """An HTTP/1.1 handler under GatewayLimits: every request head within read_timeout, kept-alive gaps within
    idle_timeout, responses written in slices (`write_bounded`) so write_timeout bounds a stalled client.
    Subclasses add the do_<METHOD> handlers; `limits` and `connections` are set on the class by the server."""

    limits: GatewayLimits
    connections: ServerConnections
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """A response's head and body go out as separate writes: with Nagle on, a kept-alive client's delayed ACK
    holds the body back about 40 ms."""

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the base class's reader has no deadline: replaced
        self._reader = _DeadlineReader(self.connection, self.connections.note_timeout)
        self._buffered = io.BufferedReader(self._reader)
        self.rfile = self._buffered

    def handle(self) -> None:
        """Serve requests until the connection closes: each head within read_timeout, the gaps within idle_timeout."""
        self.close_connection = False
        while not self.close_connection:
            self._reader.deadline = time.monotonic() + self.limits.read_timeout
            self.handle_one_request()  # http.server's: a TimeoutError there closes the connection
            if not self.close_connection:
                self.close_connection = not self._next_request_arrives()

    def _next_request_arrives(self) -> bool:
        """Whether another request starts on this kept-alive connection within idle_timeout."""
        self._reader.deadline = time.monotonic() + self.limits.idle_timeout
        try:
            return self._buffered.peek(1) != b""
        except OSError:  # timed out (counted by the reader), or the client went away
            return False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        """Quiet: requests are not logged to stderr."""

    def write_bounded(self, data: bytes) -> None:
        """Write `data` in slices, each within write_timeout of the socket (set before a response is written)."""
        self.connection.settimeout(self.limits.write_timeout)
        view = memoryview(data)
        for start in range(0, len(view), WRITE_SLICE_BYTES):
            self.wfile.write(view[start : start + WRITE_SLICE_BYTES])


class _ObjectRequestHandler(LimitedRequestHandler):
    client: ObjectReader

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def _serve(self, *, send_body: bool) -> None:
        # The head is in: from here on a socket operation waits at most write_timeout.
        self.connection.settimeout(self.limits.write_timeout)
        path = urlsplit(self.path).path
        if not path.startswith(OBJECT_PATH_PREFIX):
            self._send_error(HTTPStatus.NOT_FOUND, f"no such path {path}; objects are at /objects/<id>")
            return
        try:
            object_id = parse_object_id(path[len(OBJECT_PATH_PREFIX) :])
            info = self.client.stat(object_id)
            chunks = self.client.iter_object(object_id) if send_body else iter(())
            first = next(chunks, None) if send_body else None
        except tuple(ERROR_STATUSES) as error:
            status = next(status for kind, status in ERROR_STATUSES.items() if isinstance(error, kind))
            self._send_error(status, str(error))
            return
        self._send_object_headers(object_id, info)
        if first is not None:
            self._stream(first, chunks)

    def _send_object_headers(self, object_id: bytes, info: ObjectInfo) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(info.size))
        self.send_header("ETag", f'"{object_id.hex()}"')
        self.send_header("Cache-Control", "public, max-age=31536000, immutable")  # an id names its bytes forever
        self.end_headers()

    def _stream(self, first: bytes, chunks: Iterator[bytes]) -> None:
        try:
            self._write(first)
            for chunk in chunks:
                self._write(chunk)
        except TimeoutError:
            self.connections.note_timeout()
            self.close_connection = True
        except (ObjectUnavailable, ObjectCorrupt, ObjectNotFound, ConnectionError):
            # Headers are out: the only signal left is a short body, so drop the connection.
            self.close_connection = True
        finally:
            close = getattr(chunks, "close", None)  # a client's generator stops fetching ahead now, not when collected
            if close is not None:
                close()

    def _write(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        for start in range(0, len(view), WRITE_SLICE_BYTES):
            self.wfile.write(view[start : start + WRITE_SLICE_BYTES])

    def _send_error(self, status: HTTPStatus, message: str) -> None:
        body = json.dumps({"error": message, "status": int(status)}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
