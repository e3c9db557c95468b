"""The HTTP object gateway on a real socket (port 0) with a fake object client."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from autonomys.actors.gateway import ObjectGateway
from autonomys.actors.objects import ObjectInfo, ObjectNotFound
from autonomys.protocol.objects import ObjectUnavailable

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


def request(port: int, method: str, path: str) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
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
