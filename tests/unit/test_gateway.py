"""The HTTP object gateway on a real socket (port 0) with a fake object client."""

from __future__ import annotations

import http.client
import json
import math
import select
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from autonomys.actors.objects.client import ObjectInfo, ObjectNotFound
from autonomys.actors.objects.gateway import GatewayLimits, GatewayStats, InvalidGatewayLimits, ObjectGateway
from autonomys.protocol.objects.mappings import ObjectUnavailable
from helpers.waiting import wait_until

CHUNKS = [b"a" * 1000, b"b" * 1000, b"c" * 17]
STORED = bytes(range(32))
GONE = bytes([7]) * 32  # its pieces are unavailable
BROKEN = bytes([9]) * 32  # its second chunk becomes unavailable mid-stream


class FakeClient:
    def __init__(self) -> None:
        self.chunks_served = 0

    def stat(self, object_id: bytes) -> ObjectInfo:
        if object_id in (STORED, BROKEN):
            return ObjectInfo(sum(len(chunk) for chunk in CHUNKS), len(CHUNKS))
        if object_id == GONE:
            raise ObjectUnavailable("piece 12 is not available")
        raise ObjectNotFound(f"no object {object_id.hex()}")

    def iter_object(self, object_id: bytes) -> Iterator[bytes]:
        for index, chunk in enumerate(CHUNKS):
            if object_id == BROKEN and index == 1:
                raise ObjectUnavailable("piece 40 is not available")
            self.chunks_served += 1
            yield chunk

    def get(self, object_id: bytes) -> bytes:
        raise AssertionError("the gateway streams; it never asks for a whole object")


@pytest.fixture
def served():
    client = FakeClient()
    gateway = ObjectGateway(client, "127.0.0.1", 0)
    port = gateway.start()
    yield client, port
    gateway.stop()


def request(port: int, method: str, path: str, timeout: float = 10) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request(method, path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_get_streams_the_object_with_its_length(served) -> None:
    client, port = served
    response, body = request(port, "GET", f"/objects/{STORED.hex()}")
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/octet-stream"
    assert int(response.getheader("Content-Length")) == len(body) == 2017
    assert body == b"".join(CHUNKS)
    assert response.getheader("ETag") == f'"{STORED.hex()}"'
    assert client.chunks_served == len(CHUNKS)
    upper, upper_body = request(port, "GET", f"/objects/{STORED.hex().upper()}?download=1")
    assert (upper.status, upper_body) == (200, body)


def test_head_gives_the_length_without_a_body(served) -> None:
    client, port = served
    response, body = request(port, "HEAD", f"/objects/{STORED.hex()}")
    assert response.status == 200
    assert response.getheader("Content-Length") == "2017"
    assert body == b""
    assert client.chunks_served == 0


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/objects/xyz", 400),
        (f"/objects/{STORED.hex()[:-1]}", 400),
        (f"/objects/{STORED.hex()}00", 400),
        ("/objects/", 400),
        (f"/objects/{bytes(32).hex()}", 404),
        ("/", 404),
        (f"/other/{STORED.hex()}", 404),
        (f"/objects/{GONE.hex()}", 503),
    ],
)
def test_errors_are_json_with_a_status(served, path: str, status: int) -> None:
    _, port = served
    response, body = request(port, "GET", path)
    assert response.status == status
    assert response.getheader("Content-Type") == "application/json"
    error = json.loads(body)
    assert error["status"] == status
    assert isinstance(error["error"], str) and error["error"] != ""
    head, head_body = request(port, "HEAD", path)
    assert (head.status, head_body) == (status, b"")


def test_a_failure_mid_stream_cuts_the_body_short(served) -> None:
    _, port = served
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", f"/objects/{BROKEN.hex()}")
    response = connection.getresponse()
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert caught.value.partial == CHUNKS[0]
    connection.close()


def test_the_gateway_keeps_serving_after_errors_and_stops_cleanly() -> None:
    gateway = ObjectGateway(FakeClient(), "127.0.0.1", 0)
    port = gateway.start()
    assert request(port, "GET", "/objects/bad")[0].status == 400
    assert request(port, "GET", f"/objects/{STORED.hex()}")[0].status == 200
    gateway.stop()
    with pytest.raises(OSError):
        request(port, "GET", f"/objects/{STORED.hex()}")


# Small limits, so the timeout tests take a fraction of a second each.
QUICK = GatewayLimits(max_connections=8, read_timeout=0.4, idle_timeout=0.4, write_timeout=2.0)


@pytest.fixture
def limited(request):
    """A gateway with the limits a test gives through `@pytest.mark.parametrize("limited", [...], indirect=True)`."""
    gateway = ObjectGateway(FakeClient(), "127.0.0.1", 0, request.param)
    gateway.start()
    yield gateway
    gateway.stop()


def get_line(port: int) -> bytes:
    return f"GET /objects/{STORED.hex()} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


def seconds_until_closed(sock: socket.socket, limit: float) -> float:
    """Seconds until the server closes `sock` (what it sends before is discarded); inf past `limit`."""
    started = time.monotonic()
    sock.settimeout(limit)
    try:
        while sock.recv(65536) != b"":
            pass
    except TimeoutError:
        return math.inf
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def connections_taken(gateway: ObjectGateway) -> int:
    """Connections the gateway has taken off its backlog, accepted or rejected."""
    stats = gateway.stats()
    return stats.accepted + stats.rejected


def still_open(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return readable == []


@pytest.mark.parametrize(
    "fields",
    [{"backlog": 0}, {"max_connections": 0}, {"read_timeout": 0}, {"idle_timeout": -1.0},
     {"write_timeout": math.inf}, {"read_timeout": math.nan}, {"retry_after_seconds": -1}],
)  # fmt: skip
def test_limits_out_of_range_are_refused(fields: dict) -> None:
    with pytest.raises(InvalidGatewayLimits, match=next(iter(fields))):
        GatewayLimits(**fields)


def test_the_default_limits_hold_a_real_backlog_and_short_timeouts() -> None:
    limits = GatewayLimits()
    assert limits.backlog >= 128
    assert limits.max_connections >= 200
    assert limits.read_timeout <= 30 and limits.idle_timeout <= 60


def test_200_concurrent_connections_are_all_answered(served) -> None:
    _, port = served
    barrier = threading.Barrier(200)
    outcomes: list[object] = []

    def fetch() -> None:
        barrier.wait()
        try:
            response, body = request(port, "GET", f"/objects/{STORED.hex()}", timeout=5)
            outcomes.append((response.status, body == b"".join(CHUNKS)))
        except OSError as error:  # a reset, or a connection never accepted (timeout)
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=fetch) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [(200, True)] * 200


@pytest.mark.parametrize("limited", [QUICK], indirect=True)
def test_silent_clients_hold_at_most_the_cap_and_are_dropped_after_the_read_timeout(limited) -> None:
    threads_before = threading.active_count()
    connected = time.monotonic()
    silent = [socket.create_connection(("127.0.0.1", limited.port), timeout=2) for _ in range(20)]
    wait_until(lambda: connections_taken(limited) == 20, 2.0, lambda: f"20 connections taken: {limited.stats()}")
    assert threading.active_count() - threads_before <= 8  # one thread per held connection, no more
    assert limited.stats() == GatewayStats(accepted=8, rejected=12, active=8, timed_out=0)
    held = [sock for sock in silent if still_open(sock)]
    assert len(held) == 8  # the 12 over the cap were answered and closed at once
    for sock in held:
        assert seconds_until_closed(sock, 2.0) < 2.0
    assert 0.3 < time.monotonic() - connected < 1.5  # the last held one went at about the read timeout
    # A handler releases its connection just after the client sees it closed.
    final = GatewayStats(accepted=8, rejected=12, active=0, timed_out=8)
    wait_until(lambda: limited.stats() == final, 3.0, lambda: f"stats {final}, not {limited.stats()}")
    for sock in silent:
        sock.close()


@pytest.mark.parametrize("limited", [GatewayLimits(max_connections=1, retry_after_seconds=3)], indirect=True)
def test_a_connection_over_the_cap_gets_a_503_at_once(limited) -> None:
    held = socket.create_connection(("127.0.0.1", limited.port), timeout=2)
    wait_until(lambda: connections_taken(limited) == 1, 2.0, lambda: f"the held connection taken: {limited.stats()}")
    threads_before = threading.active_count()
    started = time.monotonic()
    response, body = request(limited.port, "GET", f"/objects/{STORED.hex()}")
    assert time.monotonic() - started < 1.0
    assert response.status == 503
    assert response.getheader("Retry-After") == "3"
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(body)["error"] == "too many connections"
    assert threading.active_count() == threads_before  # the rejection started no handler thread
    assert (limited.stats().rejected, limited.stats().active) == (1, 1)
    held.close()
    limited.stop()  # the held connection's slot frees, and a new client is served
    assert limited.stats().active == 0


@pytest.mark.parametrize("limited", [QUICK], indirect=True)
def test_a_half_sent_request_is_dropped_even_when_it_trickles(limited) -> None:
    sock = socket.create_connection(("127.0.0.1", limited.port), timeout=2)
    sock.sendall(get_line(limited.port)[:30])

    def trickle_until_dropped() -> bool:
        """One more byte of header, then 50 ms for the server to close: each read is quick, the head never ends."""
        try:
            sock.sendall(b"X")
        except OSError:
            return True
        readable, _, _ = select.select([sock], [], [], 0.05)
        return readable != [] and sock.recv(65536) == b""

    started = time.monotonic()
    wait_until(trickle_until_dropped, 3.0, "the trickling client to be dropped", interval=0, ignoring=())
    elapsed = time.monotonic() - started
    assert 0.3 < elapsed < 1.5
    assert limited.stats().timed_out == 1
    sock.close()


@pytest.mark.parametrize("limited", [GatewayLimits(read_timeout=5.0, idle_timeout=0.4)], indirect=True)
def test_a_kept_alive_connection_serves_again_then_is_dropped_when_idle(limited) -> None:
    sock = socket.create_connection(("127.0.0.1", limited.port), timeout=2)
    reader = sock.makefile("rb")
    for _ in range(2):  # two requests on one connection, with a pause shorter than the idle timeout
        sock.sendall(get_line(limited.port))
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert (response.status, response.read()) == (200, b"".join(CHUNKS))
        time.sleep(0.1)
    reader.close()
    assert 0.1 < seconds_until_closed(sock, 2.0) < 1.0
    assert limited.stats().timed_out == 1
    sock.close()


class GatedClient(FakeClient):
    """Yields its second chunk only once the test has received the first: a buffering gateway would hang."""

    chunks = [b"x" * 200_000, b"y" * 300, b"z" * 150_000]

    def __init__(self) -> None:
        super().__init__()
        self.first_received = threading.Event()

    def stat(self, object_id: bytes) -> ObjectInfo:
        return ObjectInfo(sum(len(chunk) for chunk in self.chunks), len(self.chunks))

    def iter_object(self, object_id: bytes) -> Iterator[bytes]:
        yield self.chunks[0]
        if not self.first_received.wait(timeout=5):
            raise ObjectUnavailable("the first chunk never reached the client")
        yield from self.chunks[1:]


def test_a_multi_chunk_object_is_streamed_chunk_by_chunk() -> None:
    client = GatedClient()
    gateway = ObjectGateway(client, "127.0.0.1", 0, QUICK)
    port = gateway.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        connection.request("GET", f"/objects/{STORED.hex()}")
        response = connection.getresponse()
        assert int(response.getheader("Content-Length")) == 350_300
        first = response.read(len(client.chunks[0]))  # arrives while the client still holds back the rest
        client.first_received.set()
        rest = response.read()
        connection.close()
    finally:
        gateway.stop()
    assert first + rest == b"".join(client.chunks)


class HugeClient(FakeClient):
    """An object far bigger than the socket buffers between the gateway and a client that reads nothing."""

    chunk = b"h" * (1 << 20)

    def stat(self, object_id: bytes) -> ObjectInfo:
        return ObjectInfo(64 * len(self.chunk), 64)

    def iter_object(self, object_id: bytes) -> Iterator[bytes]:
        for _ in range(64):
            yield self.chunk


def test_a_client_that_stops_reading_is_dropped_after_the_write_timeout() -> None:
    gateway = ObjectGateway(HugeClient(), "127.0.0.1", 0, GatewayLimits(write_timeout=0.4))
    port = gateway.start()
    try:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(get_line(port))
        started = time.monotonic()
        final = GatewayStats(accepted=1, rejected=0, active=0, timed_out=1)
        wait_until(lambda: gateway.stats() == final, 3.0, lambda: f"stats {final}, not {gateway.stats()}")
        assert time.monotonic() - started > 0.3  # it had the write timeout to take more
        sock.close()
    finally:
        gateway.stop()


def test_stop_closes_idle_connections_without_waiting_for_their_timeouts() -> None:
    gateway = ObjectGateway(FakeClient(), "127.0.0.1", 0, GatewayLimits(read_timeout=30, idle_timeout=30))
    port = gateway.start()
    silent = socket.create_connection(("127.0.0.1", port), timeout=2)
    wait_until(lambda: connections_taken(gateway) == 1, 2.0, lambda: f"the silent connection taken: {gateway.stats()}")
    started = time.monotonic()
    gateway.stop()
    assert time.monotonic() - started < 1.0
    assert seconds_until_closed(silent, 1.0) < 1.0
    assert gateway.stats().active == 0
    silent.close()
