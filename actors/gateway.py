"""An HTTP gateway to stored objects: `GET /objects/{id}` streams an object, `HEAD` gives its size.

The body is written chunk by chunk as the client yields verified chunks, so a big object is never held
whole. Errors before the headers go out are JSON `{"error": ...}` with a status: 400 for a malformed
id, 404 for an unknown object or path, 503 when pieces are unavailable, 502 when stored bytes do not
verify. An error after the headers (a chunk that became unavailable mid-stream) closes the connection,
so the client sees a body shorter than its Content-Length.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import urlsplit

from autonomys.actors.objects import ObjectInfo, ObjectNotFound
from autonomys.protocol.objects import MalformedObjectId, ObjectCorrupt, ObjectUnavailable, parse_object_id

OBJECT_PATH_PREFIX = "/objects/"
SHUTDOWN_TIMEOUT_SECONDS = 10.0
# How often the serving loop checks for stop(): the longest stop() waits for it.
STOP_POLL_SECONDS = 0.05
ERROR_STATUSES: dict[type[Exception], HTTPStatus] = {
    MalformedObjectId: HTTPStatus.BAD_REQUEST,
    ObjectNotFound: HTTPStatus.NOT_FOUND,
    ObjectUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,  # pieces cannot be fetched now
    ObjectCorrupt: HTTPStatus.BAD_GATEWAY,  # stored bytes do not match their hash
}
"""The JSON error each failure of a request gets (before any byte of the body is sent)."""


class ObjectReader(Protocol):
    """The part of ObjectClient the gateway uses."""

    def stat(self, object_id: bytes) -> ObjectInfo: ...

    def iter_object(self, object_id: bytes) -> Iterator[bytes]: ...


class ObjectGateway:
    """Serves objects over HTTP on (host, port); port 0 picks a free one (see the module docstring)."""

    def __init__(self, client: ObjectReader, host: str = "127.0.0.1", port: int = 0) -> None:
        self.client = client
        handler = type("ObjectRequestHandler", (_ObjectRequestHandler,), {"client": client})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> int:
        """Serve on a background thread; returns the bound port."""
        self._thread = threading.Thread(target=self.serve_forever, name="object-gateway", daemon=True)
        self._thread.start()
        return self.port

    def serve_forever(self) -> None:
        """Serve on this thread until stop() is called from another."""
        self._server.serve_forever(poll_interval=STOP_POLL_SECONDS)

    def stop(self) -> None:
        """Stop serving and release the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=SHUTDOWN_TIMEOUT_SECONDS)
            self._thread = None


class _ObjectRequestHandler(BaseHTTPRequestHandler):
    client: ObjectReader
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        """Quiet: requests are not logged to stderr."""

    def _serve(self, *, send_body: bool) -> None:
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
            self.wfile.write(first)
            for chunk in chunks:
                self.wfile.write(chunk)
        except (ObjectUnavailable, ObjectCorrupt, ObjectNotFound, ConnectionError):
            # Headers are out: the only signal left is a short body, so drop the connection.
            self.close_connection = True

    def _send_error(self, status: HTTPStatus, message: str) -> None:
        body = json.dumps({"error": message, "status": int(status)}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
