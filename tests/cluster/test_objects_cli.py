"""Objects end to end on a running MINIMAL devnet: `autonomys put` stores a multi-chunk file, `get` returns
it byte for byte (first from blocks, then from archived pieces through the DSN), and the gateway serves it
over HTTP with a clear 400 / 404 for bad ids; `autonomys state` reads and proves the paying account."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
SCRIPT = Path(sys.executable).parent / "autonomys"
OBJECT_ID = re.compile(r"^[0-9a-f]{64}$", re.MULTILINE)
GATEWAY = re.compile(r"gateway on http://127\.0\.0\.1:(\d+)/")
TIMEOUT = 240
ARCHIVED_PROBE = """
import sys
from pathlib import Path

from autonomys.actors.handles import NodeObjectsHandle
from autonomys.cli.connection import network_address
from autonomys.network.runtime import cluster_connection
from autonomys.network.spec import NAMESPACE, NODE_NAME
from autonomys.protocol.objects.mappings import GlobalObject

with cluster_connection(network_address(Path(sys.argv[1]), None), NAMESPACE):
    location = NodeObjectsHandle(NODE_NAME).object_location(bytes.fromhex(sys.argv[2]))
print("archived" if isinstance(location, GlobalObject) else f"not archived: {type(location).__name__}")
"""
"""Asks the devnet's node where an object is: in archived history (pieces), or still only in a block."""


def environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}


def run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *arguments], capture_output=True, text=True, timeout=TIMEOUT, env=environment(), check=False
    )


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Path]:
    data_dir = tmp_path / "net"
    log = open(tmp_path / "devnet.log", "w")  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen(
        [str(SCRIPT), "devnet", "--preset", "minimal", "--data-dir", str(data_dir), "--cache-percentage", "40"],
        stdout=log, stderr=subprocess.STDOUT, env=environment(),
    )  # fmt: skip
    try:

        def published() -> bool:
            assert process.poll() is None, (tmp_path / "devnet.log").read_text()  # the devnet exited: fail at once
            return (data_dir / "ray-address").exists()

        wait_until(published, TIMEOUT, lambda: (tmp_path / "devnet.log").read_text(), ignoring=())
        yield data_dir
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    assert not (data_dir / "ray-address").exists()  # unpublished on exit
    # Two standalone cache peers and each farmer's 40 % share (3 MINIMAL pieces) joined the DSN.
    output = (tmp_path / "devnet.log").read_text()
    assert "DSN: 4 cache peers (cache-0, cache-1, cache-farmer-0, cache-farmer-1)" in output, output


def is_archived(data_dir: Path, object_id: str) -> bool:
    """Whether the devnet's node locates the object in archived history (it is then read from pieces)."""
    probe = subprocess.run(
        [sys.executable, "-c", ARCHIVED_PROBE, str(data_dir), object_id],
        capture_output=True, text=True, timeout=TIMEOUT, env=environment(), check=False,
    )  # fmt: skip
    if probe.returncode != 0:
        raise RuntimeError(probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else probe.returncode)
    return probe.stdout.strip() == "archived"


def test_put_get_and_gateway(devnet: Path, tmp_path: Path) -> None:
    data = random.Random(5).randbytes(300_000)  # two 256 KiB chunks and a manifest
    source = tmp_path / "data.bin"
    source.write_bytes(data)
    stored = run("put", str(source), "--data-dir", str(devnet))
    assert stored.returncode == 0, stored.stdout + stored.stderr
    object_id = OBJECT_ID.search(stored.stdout).group(0)  # type: ignore[union-attr]

    fetched = tmp_path / "fetched.bin"
    result = run("get", object_id, "-o", str(fetched), "--data-dir", str(devnet))
    assert result.returncode == 0, result.stdout + result.stderr
    assert fetched.read_bytes() == data

    # Once the node has archived it (confirmation depth + a few segments), pieces serve it.
    wait_until(lambda: is_archived(devnet, object_id), TIMEOUT, f"the node to archive object {object_id}", interval=0.5)
    fetched.unlink()
    result = run("get", object_id, "-o", str(fetched), "--data-dir", str(devnet))
    assert result.returncode == 0, result.stdout + result.stderr
    assert fetched.read_bytes() == data

    # The paying account's state, proven against a header; the proof saved and checked offline; genesis's state
    # is pruned once blocks are archived (the default keeps the unfinalized states).
    state = run("state", "get", "dev", "--data-dir", str(devnet))
    assert state.returncode == 0, state.stdout + state.stderr
    assert re.search(r"balance [\d,]+ Shannon, nonce [1-9]\d* at block #\d+", state.stdout), state.stdout
    saved = tmp_path / "proof.json"
    proof = run("state", "proof", "dev", "-o", str(saved), "--data-dir", str(devnet))
    assert proof.returncode == 0, proof.stdout + proof.stderr
    checked = run("state", "verify", str(saved))
    assert checked.returncode == 0 and checked.stdout.startswith("valid: account "), checked.stdout + checked.stderr
    pruned = run("state", "get", "dev", "--at", "0", "--data-dir", str(devnet))
    assert pruned.returncode == 1 and "is pruned" in pruned.stderr, pruned.stderr

    # Bad ids: a clear error, nothing written.
    bad = run("get", "xyz", "-o", str(tmp_path / "bad.bin"), "--data-dir", str(devnet))
    assert bad.returncode == 2 and "64 hex" in bad.stderr
    unknown = run("get", "ab" * 32, "-o", str(tmp_path / "unknown.bin"), "--data-dir", str(devnet))
    assert unknown.returncode == 1 and "no object" in unknown.stderr
    assert not (tmp_path / "bad.bin").exists() and not (tmp_path / "unknown.bin").exists()

    gateway = subprocess.Popen(
        [str(SCRIPT), "gateway", "--data-dir", str(devnet), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment(),
    )  # fmt: skip
    try:
        line = gateway.stdout.readline()  # type: ignore[union-attr]
        port = GATEWAY.search(line).group(1)  # type: ignore[union-attr]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/objects/{object_id}", timeout=60) as response:
            assert response.status == 200
            assert int(response.headers["Content-Length"]) == len(data)
            assert response.read() == data
        for path, status in ((f"/objects/{'ab' * 32}", 404), ("/objects/nothex", 400)):
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60)
            assert error.value.code == status
    finally:
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=60) == 0
