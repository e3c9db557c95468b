"""`autonomys status` and `autonomys plotters scale`: commands against a running cluster (see the bootstrap job).

Both connect as a Ray driver (`--address auto`, host:port of the head's GCS, or ray://…; RAY_AUTH_MODE
from the environment), find the roles by name in the deployment's namespace and exit. An unreachable
cluster or a missing role is one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.live import Live
from rich.text import Text

from autonomys.actors.errors import ActorUnavailable
from autonomys.cli import views
from autonomys.cli.connection import NetworkMissing, network_address
from autonomys.network.spec import NAMESPACE, PLOTTER_RESOURCE, TIMEKEEPER_NAME

if TYPE_CHECKING:  # Ray loads when a command runs, not with the CLI
    from autonomys.network.client import Network

# `ray start` of a worker on this host: it registers within this many seconds on a loaded 2-core machine.
WORKER_START_TIMEOUT = 120.0
# Ports a second raylet on a host needs for itself (the head's defaults are taken on the head's host).
WORKER_PORT_OPTIONS = (
    "--node-manager-port", "--object-manager-port", "--dashboard-agent-listen-port",
    "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port",
)  # fmt: skip

ADDRESS_OPTION = click.option(
    "--address", default="auto", show_default=True, help="The cluster: auto, HOST:PORT of the head's GCS, or ray://…"
)


def render(address: str, network: Network, snapshot: views.Snapshot) -> list[Text]:
    roles = [TIMEKEEPER_NAME, *(["node"] if network.node is not None else []), f"{len(network.farmers)} farmers"]
    header = Text(f"cluster {address}: {', '.join(roles)}")
    if network.node is None:
        header.append("  (no node: no blocks)", style="yellow")
    lines = [header, views.slot_line(snapshot)]
    lines += [
        views.farmer_line(name, farmer, snapshot.node)
        for name, farmer in zip(network.farmers, snapshot.farmers, strict=True)
    ]
    lines.append(views.dsn_line(snapshot.caches))
    return lines


@click.command()
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=Path(".autonomys"), show_default=True,
    help="A running devnet's data directory (its Ray address is published there).",
)  # fmt: skip
@click.option("--address", default=None, help="A cluster instead: auto, HOST:PORT of the head's GCS, or ray://…")
@click.option("--namespace", default=NAMESPACE, show_default=True, help="The deployment's Ray namespace.")
@click.option("--watch", is_flag=True, help="Refresh until Ctrl-C.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=1.0, show_default=True, help="Seconds per refresh.")
def status(data_dir: Path, address: str | None, namespace: str, watch: bool, interval: float) -> None:
    """Print the running network's status: timekeeper slot and rate, node best block, each farmer."""
    from autonomys.network.client import Network, RoleMissing
    from autonomys.network.runtime import ClusterUnreachable, cluster_connection, named_actors

    console = Console()
    try:
        with cluster_connection(network_address(data_dir, address), namespace) as resolved:
            network = Network.attach(namespace, named_actors(namespace))
            lines = render(resolved, network, views.poll(network))
            if not watch:
                for line in lines:
                    console.print(line, soft_wrap=True)
                return
            _watch(console, resolved, network, interval)
    except (ClusterUnreachable, RoleMissing, ActorUnavailable, NetworkMissing) as error:
        click.echo(f"status: {error}", err=True)
        sys.exit(1)


def _watch(console: Console, address: str, network: Network, interval: float) -> None:
    if not console.is_terminal:
        try:
            while True:
                for line in render(address, network, views.poll(network)):
                    console.print(line, soft_wrap=True)
                time.sleep(interval)
        except KeyboardInterrupt:
            return
    with Live(Text(""), console=console, auto_refresh=False) as live:
        try:
            while True:
                live.update(Text("\n").join(render(address, network, views.poll(network))), refresh=True)
                time.sleep(interval)
        except KeyboardInterrupt:
            return


@click.group()
def plotters() -> None:
    """Plotting workers: the cluster's `plotter` resource (plotting tasks in flight)."""


@plotters.command("scale")
@click.argument("count", type=click.IntRange(min=1))
@ADDRESS_OPTION
@click.option(
    "--mode", type=click.Choice(["auto", "autoscaler", "local"]), default="auto", show_default=True,
    help="autoscaler: request_resources; local: start a worker raylet on this host; auto: autoscaler if it can launch nodes.",
)  # fmt: skip
def plotters_scale(count: int, address: str, mode: str) -> None:
    """Make the cluster's `plotter` total reach COUNT (farmers use new capacity from their next sector)."""
    from autonomys.network.runtime import (
        ClusterUnreachable,
        autoscaler_launches_nodes,
        cluster_connection,
        cluster_resources,
        request_bundles,
    )

    try:
        with cluster_connection(address, NAMESPACE) as resolved:
            current = int(cluster_resources().get(PLOTTER_RESOURCE, 0))
            autoscaled = mode == "autoscaler" or (mode == "auto" and autoscaler_launches_nodes())
            if autoscaled:
                request_bundles([{PLOTTER_RESOURCE: 1, "CPU": 1}] * count)
                click.echo(
                    f"asked the autoscaler for {count} bundles of {{plotter: 1, CPU: 1}} (the cluster has {current} "
                    "plotter units now); nodes join as they boot: watch `ray status`"
                )
                return
            if count <= current:
                click.echo(
                    f"the cluster already has {current} plotter units (asked for {count}); nothing started. "
                    "To scale down, `ray stop` on a plotting worker host (or stop the worker's process group)."
                )
                return
            shortfall = count - current
            group = start_local_worker(resolved, shortfall)
            total = wait_for_plotters(count, cluster_resources)
    except (ClusterUnreachable, WorkerStartFailed) as error:
        click.echo(f"plotters scale: {error}", err=True)
        sys.exit(1)
    click.echo(
        f"no autoscaler can launch nodes here: started a local worker raylet with {shortfall} plotter units and "
        f"{shortfall} CPUs (process group {group}); plotter total now {total}. "
        f"Stop it with `kill -TERM -{group}` (or `ray stop` on this host, which also stops a head here)."
    )


class WorkerStartFailed(Exception):
    """`ray start` of a local worker failed or the worker never registered."""


def start_local_worker(gcs_address: str, units: int) -> int:
    """Start a worker raylet on this host with `units` plotter units and CPUs; its process group id.

    `ray start` daemonizes the raylet; it runs in its own session (Ctrl-C here does not reach it) on
    free ports (the head's defaults are taken if the head runs on this host). The venv goes first on PATH,
    as for `ray start` on the head.
    """
    bin_dir = Path(sys.executable).parent
    command = [
        str(bin_dir / "ray"), "start", f"--address={gcs_address}", f"--num-cpus={units}",
        f"--resources={json.dumps({PLOTTER_RESOURCE: units})}", "--disable-usage-stats",
    ]  # fmt: skip
    ports = free_ports(len(WORKER_PORT_OPTIONS))
    command += [f"{option}={port}" for option, port in zip(WORKER_PORT_OPTIONS, ports, strict=True)]
    environment = dict(os.environ, PATH=os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]))
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment, start_new_session=True
        )  # fmt: skip
        output, _ = process.communicate(timeout=WORKER_START_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        msg = f"`ray start` of a local worker failed: {error}"
        raise WorkerStartFailed(msg) from error
    if process.returncode != 0:
        tail = " | ".join(line.strip() for line in output.splitlines()[-5:])
        msg = f"`ray start` of a local worker exited with {process.returncode}: {tail}"
        raise WorkerStartFailed(msg)
    return process.pid


def wait_for_plotters(count: int, resources: Any) -> int:
    """Poll the cluster's plotter total until it reaches `count`; the total."""
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while True:
        total = int(resources().get(PLOTTER_RESOURCE, 0))
        if total >= count:
            return total
        if time.monotonic() > deadline:
            msg = f"the new worker did not register: plotter total is {total}, not {count}"
            raise WorkerStartFailed(msg)
        time.sleep(0.5)


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports free right now (bound together, then released)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
