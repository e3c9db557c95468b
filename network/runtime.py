"""The Ray runtime a network runs on: an embedded local instance (the devnet), or a running cluster this
process attaches to as a driver (the CLI, the bootstrap job). Public Ray APIs only.

The devnet publishes its instance's address in its data directory while it runs (`ray-address`), so other
commands on the machine attach to it by data directory; a cluster is found by `--address`: host:port of the
head's GCS, `auto` (RAY_ADDRESS, else the last `ray start` on this machine) or a ray:// client address.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ray
from ray.autoscaler.sdk import request_resources

from autonomys.network.spec import ClusterSpec

ADDRESS_FILE = "ray-address"
"""Where a running devnet publishes its instance's GCS address, in its data directory."""
CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a cluster's GCS port to accept a connection (ray.init retries for minutes otherwise)."""
RAY_CURRENT_CLUSTER = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
"""Where `ray start --head` records the address of the head it started (what `address="auto"` reads)."""
AUTOSCALER_LABEL = "autonomys-autoscaler"
"""A node label a cluster config sets on its head when its autoscaler launches nodes (clusters/aws.yaml)."""


class ClusterUnreachable(Exception):
    """No Ray cluster answers at the address given; the message says where it looked."""


@contextlib.contextmanager
def local_ray(
    spec: ClusterSpec, num_cpus: int | None = None, plotting_workers: int = 0, farms: int = 0
) -> Iterator[None]:
    """A private Ray instance in this process (never attaches to another cluster on the machine)."""
    # A private instance bound to loopback: token auth guards shared clusters, not this one.
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    # Pairings and MSMs run one per task or actor thread: the library's own thread pool would only contend
    # with the timekeeper's core (measured: block import 6.7 ms alone, 14.9 ms with the pool spread out).
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    cpus = num_cpus if num_cpus is not None else max(2, os.cpu_count() or 2)
    ray.init(
        address="local",
        num_cpus=cpus,
        resources=spec.local_resources(plotting_workers, farms),
        namespace=spec.namespace,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=True,
        _node_ip_address="127.0.0.1",
    )
    try:
        yield
    finally:
        ray.shutdown()


@contextlib.contextmanager
def published_address(data_dir: Path) -> Iterator[str]:
    """Write the embedded instance's GCS address to `<data_dir>/ray-address` while the devnet runs, so other
    commands on this machine (`autonomys put/get/gateway/status --data-dir …`) attach to it; removed on exit."""
    address = ray.get_runtime_context().gcs_address
    path = Path(data_dir) / ADDRESS_FILE
    path.write_text(address + "\n")
    try:
        yield address
    finally:
        path.unlink(missing_ok=True)


def devnet_address(data_dir: Path) -> str | None:
    """The GCS address a running devnet published in `data_dir`, or None."""
    try:
        return (Path(data_dir) / ADDRESS_FILE).read_text().strip() or None
    except OSError:
        return None


@contextlib.contextmanager
def cluster_connection(address: str, namespace: str) -> Iterator[str]:
    """Attach this process as a driver to a running cluster; yields the GCS address it connected to.

    Token auth follows RAY_AUTH_MODE. ClusterUnreachable, in one line, when nothing answers there.
    """
    resolved = resolve_cluster_address(address)
    try:
        ray.init(address=resolved, namespace=namespace, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        msg = f"cannot connect to the Ray cluster at {resolved}: {str(error).splitlines()[0]}"
        raise ClusterUnreachable(msg) from error
    try:
        yield resolved
    finally:
        ray.shutdown()


def resolve_cluster_address(address: str) -> str:
    """host:port of the cluster's GCS, checked to accept connections (ray:// client addresses pass as given)."""
    if address == "auto":
        address = _auto_address()
    if address.startswith("ray://"):
        return address
    host, _, port = address.rpartition(":")
    if host == "" or not port.isdigit():
        msg = f"--address {address!r} is not HOST:PORT, auto or ray://…"
        raise ClusterUnreachable(msg)
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        msg = f"no Ray cluster answers at {address} ({reason}); is the head running (`ray status --address {address}`)?"
        raise ClusterUnreachable(msg) from error
    return address


def _auto_address() -> str:
    """What `auto` means: RAY_ADDRESS, else the head the last `ray start` on this machine recorded."""
    from_environment = os.environ.get("RAY_ADDRESS", "").strip()
    if from_environment not in ("", "auto"):
        return from_environment
    try:
        recorded = RAY_CURRENT_CLUSTER.read_text().strip()
    except OSError:
        recorded = ""
    if recorded == "":
        msg = f"no Ray cluster found for --address auto: RAY_ADDRESS is unset and {RAY_CURRENT_CLUSTER} records none"
        raise ClusterUnreachable(msg)
    return recorded


def cluster_resources() -> dict[str, float]:
    """What the connected cluster advertises in total (every alive node's resources)."""
    return dict(ray.cluster_resources())


def alive_nodes() -> list[dict[str, Any]]:
    """The connected cluster's alive nodes as `ray.nodes()` describes them (NodeID, address, labels, resources)."""
    return [node for node in ray.nodes() if node.get("Alive", False)]


def current_node_id() -> str:
    """The Ray node this driver or worker runs on."""
    return ray.get_runtime_context().get_node_id()


def autoscaler_launches_nodes() -> bool:
    """Whether the connected cluster's autoscaler can add nodes (`ray up clusters/aws.yaml`): its head carries the
    AUTOSCALER_LABEL. A hand-started head, or on-premises hosts that are all up already, do not."""
    return any((node.get("Labels") or {}).get(AUTOSCALER_LABEL) == "launches" for node in alive_nodes())


def request_bundles(bundles: list[dict[str, float]]) -> None:
    """Ask the autoscaler to keep room for these resource shapes (replaces the previous request)."""
    request_resources(bundles=bundles)


def named_actors(namespace: str) -> set[str]:
    """Names of the live named actors in `namespace`."""
    return {
        actor["name"] for actor in ray.util.list_named_actors(all_namespaces=True) if actor["namespace"] == namespace
    }
