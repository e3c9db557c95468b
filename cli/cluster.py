"""`autonomys status` and `autonomys plotters scale`: commands against a running cluster (see the bootstrap job).

Both connect as a Ray driver (`--address auto`, host:port of the head's GCS, or ray://…; RAY_AUTH_MODE
from the environment), find the roles by name in the deployment's namespace and exit. An unreachable
cluster or a missing role is one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.live import Live
from rich.text import Text

from autonomys.actors.errors import ActorUnavailable
from autonomys.cli import views as devnet_view
from autonomys.network.spec import CACHE_PREFIX, NAMESPACE, PLOTTER_RESOURCE, TIMEKEEPER_NAME

if TYPE_CHECKING:  # Ray loads when a command runs, not with the CLI
    from autonomys.actors.handles import FarmerClient, NodeClient, TimekeeperClient

FARMER_NAME = re.compile(r"farmer-(\d+)")
STATUS_CALL_TIMEOUT = 5.0
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


@dataclass
class AttachedNetwork:
    """Clients of a deployment's running roles, found by name."""

    timekeeper: TimekeeperClient
    node: NodeClient | None
    farmers: list[FarmerClient]
    farmer_names: list[str]
    caches: list[Any] = field(default_factory=list)


class RoleMissing(Exception):
    """The cluster runs no such role (not bootstrapped, or in another namespace)."""


def attach(namespace: str, running: set[str]) -> AttachedNetwork:
    """Handles on the deployment's timekeeper, node and farmers `farmer-<i>` (in index order)."""
    from autonomys.actors.handles import CachePeerClient, FarmerClient, NodeClient, TimekeeperClient, get_actor
    from autonomys.network.launch import NODE_NAME

    if TIMEKEEPER_NAME not in running:
        found = ", ".join(sorted(running)) or "none"
        msg = f"no {TIMEKEEPER_NAME!r} actor in namespace {namespace!r} (named actors there: {found}); run the bootstrap job"
        raise RoleMissing(msg)
    names = sorted((name for name in running if FARMER_NAME.fullmatch(name)), key=_farmer_index)
    node = NodeClient(get_actor(NODE_NAME, namespace)) if NODE_NAME in running else None
    farmers = [FarmerClient(get_actor(name, namespace)) for name in names]
    caches = [CachePeerClient(get_actor(name, namespace)) for name in sorted(running) if name.startswith(CACHE_PREFIX)]
    return AttachedNetwork(TimekeeperClient(get_actor(TIMEKEEPER_NAME, namespace)), node, farmers, names, caches)


def _farmer_index(name: str) -> int:
    match = FARMER_NAME.fullmatch(name)
    return int(match.group(1)) if match is not None else -1


def poll(network: AttachedNetwork) -> devnet_view.Snapshot:
    """One status call per role; a role that does not answer in time shows as None (the timekeeper must)."""
    node = _quiet(network.node.status) if network.node is not None else None
    farmers = [_quiet(farmer.status) for farmer in network.farmers]
    caches = [_quiet(cache.status) for cache in network.caches]
    return devnet_view.Snapshot(network.timekeeper.status(timeout=STATUS_CALL_TIMEOUT), node, farmers, caches)


def _quiet(status: Any) -> Any:
    try:
        return status(timeout=STATUS_CALL_TIMEOUT)
    except ActorUnavailable:
        return None


def render(address: str, network: AttachedNetwork, snapshot: devnet_view.Snapshot) -> list[Text]:
    roles = [TIMEKEEPER_NAME, *(["node"] if network.node is not None else []), f"{len(network.farmers)} farmers"]
    header = Text(f"cluster {address}: {', '.join(roles)}")
    if network.node is None:
        header.append("  (no node: no blocks)", style="yellow")
    lines = [header, devnet_view.slot_line(snapshot)]
    lines += [
        devnet_view.farmer_line(name, farmer, snapshot.node)
        for name, farmer in zip(network.farmer_names, snapshot.farmers, strict=True)
    ]
    lines.append(devnet_view.dsn_line(snapshot.caches))
    return lines


@click.command()
@ADDRESS_OPTION
@click.option("--namespace", default=NAMESPACE, show_default=True, help="The deployment's Ray namespace.")
@click.option("--watch", is_flag=True, help="Refresh until Ctrl-C.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=1.0, show_default=True, help="Seconds per refresh.")
def status(address: str, namespace: str, watch: bool, interval: float) -> None:
    """Print the running network's status: timekeeper slot and rate, node best block, each farmer."""
    from autonomys.network.launch import ClusterUnreachable, cluster_connection, named_actors

    console = Console()
    try:
        with cluster_connection(address, namespace) as resolved:
            network = attach(namespace, named_actors(namespace))
            lines = render(resolved, network, poll(network))
            if not watch:
                for line in lines:
                    console.print(line, soft_wrap=True)
                return
            _watch(console, resolved, network, interval)
    except (ClusterUnreachable, RoleMissing, ActorUnavailable) as error:
        click.echo(f"status: {error}", err=True)
        sys.exit(1)


def _watch(console: Console, address: str, network: AttachedNetwork, interval: float) -> None:
    if not console.is_terminal:
        try:
            while True:
                for line in render(address, network, poll(network)):
                    console.print(line, soft_wrap=True)
                time.sleep(interval)
        except KeyboardInterrupt:
            return
    with Live(Text(""), console=console, auto_refresh=False) as live:
        try:
            while True:
                live.update(Text("\n").join(render(address, network, poll(network))), refresh=True)
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
    from autonomys.network.launch import (
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
    as for `ray start` on the head (ray-notes.md).
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
