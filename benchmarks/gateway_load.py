"""Load on the HTTP object gateway: a burst of concurrent requests, then a crowd of silent clients.

    python benchmarks/gateway_load.py [--burst 200] [--rounds 5] [--silent 1000] [--drop-wait 11]

Measured in one run, against an ObjectGateway with its default limits on 127.0.0.1 and a fake client
that serves one object in 4 chunks of 64 KiB:
  burst   `--burst` connections opened at once (released by a barrier), each GETs the object; counts the
          full 200 answers, 503 answers, resets / early closes and other errors (a 30 s client timeout
          shows as error:TimeoutError), and the round's seconds
  silent  `--silent` connections that send nothing: the process's thread count 1 s later, how many were
          answered with a 503 at once, and whether a real GET is still answered (status, seconds)
  drop    after `--drop-wait` seconds (longer than the read timeout): how many silent connections the
          server has closed, and the thread count then
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator

from autonomys.actors.objects.client import ObjectInfo, ObjectNotFound
from autonomys.actors.objects.gateway import ObjectGateway

OBJECT_ID = bytes(range(32))
CHUNKS = [bytes([n]) * 65536 for n in range(4)]
PATH = f"/objects/{OBJECT_ID.hex()}"


class FakeClient:
    def stat(self, object_id: bytes) -> ObjectInfo:
        if object_id != OBJECT_ID:
            raise ObjectNotFound(object_id.hex())
        return ObjectInfo(sum(len(chunk) for chunk in CHUNKS), len(CHUNKS))

    def iter_object(self, object_id: bytes) -> Iterator[bytes]:
        yield from CHUNKS


def one_get(port: int, barrier: threading.Barrier | None = None) -> str:
    """The outcome of one GET on a fresh connection: 'ok', '503', 'reset' or 'error:<kind>'."""
    if barrier is not None:
        barrier.wait()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", PATH)
        response = connection.getresponse()
        body = response.read()
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        return "reset"
    except OSError as error:
        return f"error:{type(error).__name__}"
    finally:
        connection.close()
    if response.status == 200 and body == b"".join(CHUNKS):
        return "ok"
    return str(response.status)


def burst(port: int, size: int) -> dict:
    """Outcome counts of `size` concurrent GETs, and the seconds until the last one finished."""
    started = time.monotonic()
    barrier = threading.Barrier(size)
    outcomes: list[str] = []
    threads = [threading.Thread(target=lambda: outcomes.append(one_get(port, barrier))) for _ in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**Counter(outcomes), "seconds": round(time.monotonic() - started, 2)}


def open_silent(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def closed_by_server(sockets: list[socket.socket]) -> tuple[int, int]:
    """(closed, answered 503) among silent sockets, reading whatever the server sent without blocking."""
    closed = answered = 0
    for sock in sockets:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            continue
        except ConnectionResetError:
            closed += 1
            continue
        answered += int(data.startswith(b"HTTP/1.1 503"))
        if data == b"":
            closed += 1
        else:
            try:  # a 503 is followed by the server's FIN
                closed += int(sock.recv(65536) == b"")
            except BlockingIOError:
                pass
    return closed, answered


def timed_get(port: int) -> tuple[str, float]:
    started = time.monotonic()
    outcome = one_get(port)
    return outcome, time.monotonic() - started


def run(args: argparse.Namespace) -> dict:
    gateway = ObjectGateway(FakeClient(), "127.0.0.1", 0)
    port = gateway.start()
    result: dict = {"burst": [burst(port, args.burst) for _ in range(args.rounds)]}
    baseline = threading.active_count()
    sockets = open_silent(port, args.silent)
    time.sleep(1.0)
    _, answered = closed_by_server(sockets)
    probe, probe_seconds = timed_get(port)
    result["silent"] = {
        "clients": args.silent,
        "threads_before": baseline,
        "threads_1s": threading.active_count(),
        "answered_503_at_once": answered,
        "probe_get": probe,
        "probe_seconds": round(probe_seconds, 3),
    }
    time.sleep(args.drop_wait)
    closed, _ = closed_by_server(sockets)
    probe, probe_seconds = timed_get(port)
    result["drop"] = {
        "after_seconds": args.drop_wait + 1,
        "closed_by_server": closed,
        "threads": threading.active_count(),
        "probe_get": probe,
    }
    for sock in sockets:
        sock.close()
    if hasattr(gateway, "stats"):
        result["stats"] = dataclasses.asdict(gateway.stats())
    gateway.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--silent", type=int, default=1000)
    parser.add_argument("--drop-wait", type=float, default=11.0)
    print(json.dumps(run(parser.parse_args()), indent=2))


if __name__ == "__main__":
    main()
