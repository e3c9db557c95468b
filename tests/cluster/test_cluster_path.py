"""The README's cluster path on one machine, every step a subprocess on a private `ray start` head.

ray start --head → ray job submit … python -m autonomys.jobs.bootstrap → autonomys status → the bootstrap
again (idempotent) → autonomys plotters scale 2. The head is private: its own temp dir, free ports,
auth off, and it is never found by `address="auto"` (its address file lives in its temp dir), so the
session's in-process Ray (conftest `ray_session`) is untouched. Teardown kills only the processes this
test started: `ray stop` would stop every Ray instance of the user on the machine, the session's too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autonomys.actors.farming.farm import compute_farm_size
from autonomys.cli.cluster import free_ports
from autonomys.protocol.params import MINIMAL
from helpers.waiting import wait_until

pytestmark = pytest.mark.cluster
BIN = Path(sys.executable).parent
MARKER = "AUTONOMYS_TEST_CLUSTER"
START_TIMEOUT = 60.0
STEP_TIMEOUT = 90.0
BEST = re.compile(r"best #(\d+)")
# Ports a head needs besides its GCS port: other Ray instances on this machine hold the defaults.
HEAD_PORT_OPTIONS = (
    "--dashboard-port", "--ray-client-server-port", "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port",
    "--runtime-env-agent-port", "--metrics-export-port", "--node-manager-port", "--object-manager-port",
)  # fmt: skip


@dataclass(frozen=True)
class Head:
    gcs_address: str
    dashboard: str
    environment: dict[str, str]


def marked_processes(marker: str) -> list[int]:
    """Processes (ours) whose environment carries this test's marker: the head, workers, job drivers."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def stop_head(head: subprocess.Popen, marker: str) -> None:
    """SIGTERM the head's `ray start --block` (it stops its processes), then SIGKILL what is left of ours."""
    if head.poll() is None:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    for pid in marked_processes(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue


@pytest.fixture
def private_head() -> Iterator[Head]:
    temp_dir = tempfile.mkdtemp(prefix="ac-", dir="/tmp")  # short: Ray's socket paths live under it
    marker = uuid.uuid4().hex
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
    environment.update(
        PATH=os.pathsep.join([str(BIN), environment.get("PATH", "")]),  # job entrypoints run the venv's python
        RAY_AUTH_MODE="disabled",
        RAY_USAGE_STATS_ENABLED="0",
        RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S="0",  # stop at once instead of draining for 30 s
        **{MARKER: marker},
    )
    gcs_port, *ports = free_ports(1 + len(HEAD_PORT_OPTIONS))
    command = [
        str(BIN / "ray"), "start", "--head", "--block", f"--port={gcs_port}", f"--temp-dir={temp_dir}",
        "--num-cpus=2", "--resources=" + json.dumps({"timekeeper": 1, "ssd": 2, "plotter": 1}),
        "--include-dashboard=true", "--dashboard-host=127.0.0.1", "--disable-usage-stats",
        *(f"{option}={port}" for option, port in zip(HEAD_PORT_OPTIONS, ports, strict=True)),
    ]  # fmt: skip
    log = Path(temp_dir) / "head.log"
    with log.open("w") as output:
        head = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment, start_new_session=True
        )
    try:
        address_file = Path(temp_dir) / "ray_current_cluster"

        def started() -> bool:
            assert head.poll() is None, log.read_text()  # the head exited: fail at once
            return "Ray runtime started" in log.read_text() and address_file.exists()

        wait_until(started, START_TIMEOUT, lambda: f"the head to start:\n{log.read_text()}", ignoring=())
        yield Head(address_file.read_text().strip(), f"http://127.0.0.1:{ports[0]}", environment)
    finally:
        stop_head(head, marker)
        shutil.rmtree(temp_dir, ignore_errors=True)


def run(head: Head, *arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(arguments), capture_output=True, text=True, env=head.environment, cwd=cwd, timeout=STEP_TIMEOUT,
        check=False,
    )  # fmt: skip


def write_topology(directory: Path, data_dir: Path, plotting_workers: int = 1) -> Path:
    """MINIMAL network with two one-sector farms: one anywhere, one pinned to this host by its hostname."""
    directory.mkdir(parents=True, exist_ok=True)
    farm_size = compute_farm_size(MINIMAL, 1)
    topology = {
        "network": {"preset": "minimal", "data_dir": str(data_dir)},
        "farms": [
            {"path": str(data_dir / "farms" / "farm0"), "size": farm_size},
            {"host": socket.gethostname().split(".")[0], "path": str(data_dir / "farms" / "farm1"), "size": farm_size},
        ],
        "plotting_workers": plotting_workers,
    }
    path = directory / "topology.yaml"
    path.write_text(json.dumps(topology))  # JSON is YAML
    return path


def test_bootstrap_status_and_scale_on_a_private_head(private_head: Head, tmp_path: Path) -> None:
    head, data_dir = private_head, tmp_path / "data"
    job_dir = tmp_path / "job"
    write_topology(job_dir, data_dir)

    # A topology the cluster cannot hold stops at once with exit status 2 (a pending actor would hang).
    too_big = write_topology(tmp_path / "big", data_dir, plotting_workers=9)
    refused = run(head, str(BIN / "python"), "-m", "autonomys.jobs.bootstrap", "--config", str(too_big), "--address", head.gcs_address)  # fmt: skip
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "lacks resources" in refused.stderr and "plotter 8 more" in refused.stderr
    assert not (data_dir / "genesis.json").exists()

    submitted = run(
        head, str(BIN / "ray"), "job", "submit", "--address", head.dashboard, "--working-dir", str(job_dir), "--",
        "python", "-m", "autonomys.jobs.bootstrap", "--config", "topology.yaml",
    )  # fmt: skip
    output = submitted.stdout + submitted.stderr
    assert submitted.returncode == 0, output
    assert "archiving the genesis block" in output
    assert "(minimal, created)" in output
    assert "farmer-0@" in output and "farmer-1@" in output
    assert "5 created, 0 already running" in output
    genesis = json.loads((data_dir / "genesis.json").read_text())
    assert genesis["genesis_segments"] == 1

    # The job has exited; its detached roles keep running, finish plotting and produce blocks. (A block can come
    # from one farm while the other still plots, or while its status call times out on a loaded machine.)
    def settled(text: str) -> bool:
        match = BEST.search(text)
        plotted = "farmer-0: 1/1 sectors" in text and "farmer-1: 1/1 sectors" in text
        return match is not None and int(match.group(1)) >= 1 and plotted

    def settled_status() -> str | None:
        status = run(head, str(BIN / "autonomys"), "status", "--address", head.gcs_address)
        output = status.stdout + status.stderr
        assert status.returncode == 0, output  # a failing status command: fail at once
        outputs.append(output)
        return output if settled(output) else None

    outputs: list[str] = []
    status_output = wait_until(
        settled_status, 60, lambda: f"a block and both farms plotted:\n{outputs[-1]}", interval=0.5, ignoring=()
    )
    assert "timekeeper, node, 2 farmers" in status_output

    # Idempotent: a second bootstrap (run directly this time) attaches and archives nothing.
    again = run(head, str(BIN / "python"), "-m", "autonomys.jobs.bootstrap", "--config", str(job_dir / "topology.yaml"), "--address", head.gcs_address)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "(minimal, resumed)" in again.stdout
    assert "0 created, 5 already running" in again.stdout
    assert "archiving the genesis block" not in again.stdout
    assert json.loads((data_dir / "genesis.json").read_text()) == genesis

    scaled = run(head, str(BIN / "autonomys"), "plotters", "scale", "2", "--address", head.gcs_address)
    assert scaled.returncode == 0, scaled.stdout + scaled.stderr
    assert "started a local worker raylet with 1 plotter units" in scaled.stdout
    assert "plotter total now 2" in scaled.stdout
    enough = run(head, str(BIN / "autonomys"), "plotters", "scale", "2", "--address", head.gcs_address)
    assert enough.returncode == 0, enough.stdout + enough.stderr
    assert "already has 2 plotter units" in enough.stdout


def test_status_of_an_unreachable_cluster_is_one_line() -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
    environment["RAY_AUTH_MODE"] = "disabled"
    [port] = free_ports(1)
    result = subprocess.run(
        [str(BIN / "autonomys"), "status", "--address", f"127.0.0.1:{port}"],
        capture_output=True, text=True, env=environment, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("status: no Ray cluster answers at") and result.stderr.count("\n") == 1


def test_farms_go_to_their_host_then_to_the_most_free_ssd_units() -> None:
    from autonomys.clusters.topology import FarmConfig
    from autonomys.jobs.bootstrap import NodeInfo, PlacementError, compute_farm_nodes

    alpha, beta, plotting = "a" * 8, "b" * 8, "c" * 8
    nodes = [
        NodeInfo(beta, "10.0.0.2", "beta.lan", "beta", ssd=2),
        NodeInfo(alpha, "10.0.0.1", "alpha.lan", None, ssd=1),
        NodeInfo(plotting, "10.0.0.1", "alpha.lan", None, ssd=0),  # a plotting-only raylet on alpha's host
    ]
    anywhere = FarmConfig(path="/f/0", size=17_964)
    on_alpha = FarmConfig(host="alpha", path="/f/1", size=17_964)  # short hostname
    on_beta = FarmConfig(host="10.0.0.2", path="/f/2", size=17_964)  # IP
    assert compute_farm_nodes([anywhere, on_alpha, on_beta], nodes) == [beta, alpha, beta]
    with pytest.raises(PlacementError, match="no node has an ssd unit left"):
        compute_farm_nodes([anywhere, on_alpha, on_beta, anywhere], nodes)
    with pytest.raises(PlacementError, match="advertises 1 ssd units"):
        compute_farm_nodes([on_alpha, on_alpha.model_copy(update={"path": "/f/9"})], nodes)
    with pytest.raises(PlacementError, match="'gamma' matches no alive node"):
        compute_farm_nodes([FarmConfig(host="gamma", path="/f/0", size=17_964)], nodes)
