"""The devnet's live status view and its summary (rich on a terminal, one line per slot otherwise)."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from autonomys.actors.messages import TimekeeperStatus

if TYPE_CHECKING:
    from pathlib import Path

    from autonomys.network.client import Network

STATUS_INTERVAL_SECONDS = 0.25
STATUS_TIMEOUT = 5.0
"""Seconds a role has to answer a status call before the view shows it as not answering."""


@dataclass
class Snapshot:
    """One poll of every role (a role that does not answer shows as None)."""

    timekeeper: TimekeeperStatus
    node: Any
    farmers: list[Any]
    caches: list[Any] = field(default_factory=list)


def poll(network: Network) -> Snapshot:
    """One status call per role; a role that does not answer in time shows as None (the timekeeper must answer)."""
    node = _quiet(network.node.status) if network.node is not None else None
    farmers = [_quiet(farmer.status) for farmer in network.farmers.values()]
    caches = [_quiet(cache.status) for cache in network.caches.values()]
    return Snapshot(network.timekeeper.status(timeout=STATUS_TIMEOUT), node, farmers, caches)


def _quiet(status: Any) -> Any:
    try:
        return status(timeout=STATUS_TIMEOUT)
    except Exception:  # noqa: BLE001 - a busy or restarting role shows as unknown, the view goes on
        return None


def slot_line(snapshot: Snapshot) -> Text:
    status, node = snapshot.timekeeper, snapshot.node
    line = Text()
    line.append(f"slot {status.next_slot - 1:>7}", style="bold")
    line.append(f"  {status.slots_per_second:5.2f} slots/s  {status.iterations_per_second / 1e6:6.1f} M it/s")
    line.append(f"  output {status.last_output[:16] or '-'}")
    line.append(f"  +{status.slots_proven_since_start} this run")
    if node is not None:
        line.append(f"  best #{node.best_number} (slot {node.best_slot})", style="bold green")
        line.append(f"  segments {node.history_size}")
    plotted = sum(farmer.sectors_plotted for farmer in snapshot.farmers if farmer is not None)
    total = sum(farmer.max_sectors for farmer in snapshot.farmers if farmer is not None)
    line.append(f"  sectors {plotted}/{total}")
    if status.last_error:
        line.append(f"  warning: {status.last_error}", style="yellow")
    return line


def farmer_line(name: str, farmer: Any, node: Any) -> Text:
    line = Text(f"  {name}: ")
    if farmer is None:
        return line.append("not answering", style="yellow")
    blocks = node.authored_by_farm.get(name, 0) if node is not None else 0
    line.append(f"{farmer.sectors_plotted}/{farmer.max_sectors} sectors, plotting {getattr(farmer, 'plotting', '') or '-'}")
    line.append(f"; audit {farmer.last_audit_seconds * 1e3:.2f} ms, proving {farmer.mean_proving_seconds:.2f} s")
    line.append(f", {farmer.proofs_succeeded} proofs, {blocks} blocks, {farmer.slots_skipped} skipped")
    if farmer.last_error:
        line.append(f"  warning: {farmer.last_error}", style="yellow")
    return line


def dsn_line(caches: list[Any]) -> Text:
    """The cache peers together: pieces held against capacity, sync progress, pieces served, failures."""
    line = Text("  dsn: ")
    if not caches:
        return line.append("no cache peers")
    answering = [cache for cache in caches if cache is not None]
    stored = sum(cache.stored for cache in answering)
    capacity = sum(cache.capacity for cache in answering)
    wanted = sum(cache.wanted for cache in answering)
    synced = sum(min(cache.stored, cache.wanted) for cache in answering)
    line.append(f"{len(answering)}/{len(caches)} cache peers, {stored}/{capacity} pieces")
    line.append(f", synced {synced}/{wanted}" + (f" ({100 * synced / wanted:.0f}%)" if wanted else ""))
    line.append(f", served {sum(cache.served for cache in answering)}, failed fetches {sum(cache.failed for cache in answering)}")
    if len(answering) < len(caches):
        line.append(f"  {len(caches) - len(answering)} not answering", style="yellow")
    return line


def view(snapshot: Snapshot, names: list[str]) -> Group:
    """The devnet's live view: the slot line, a line per farmer, the DSN and any node warning."""
    lines = [slot_line(snapshot)]
    lines += [farmer_line(name, farmer, snapshot.node) for name, farmer in zip(names, snapshot.farmers, strict=True)]
    lines.append(dsn_line(snapshot.caches))
    node = snapshot.node
    if node is not None and node.last_error:
        lines.append(Text(f"  node warning: {node.last_error}", style="yellow"))
    return Group(*lines)


def watch(console: Console, network: Network, slots: int | None) -> Snapshot:
    """Refresh the live view on a terminal; print a line per new slot otherwise (logs, CI)."""
    names = list(network.farmers)
    snapshot = poll(network)
    printed_slot = snapshot.timekeeper.next_slot
    live = Live(view(snapshot, names), console=console, auto_refresh=False) if console.is_terminal else None
    with live if live is not None else contextlib.nullcontext():
        while slots is None or snapshot.timekeeper.slots_proven_since_start < slots:
            time.sleep(STATUS_INTERVAL_SECONDS)
            snapshot = poll(network)
            if live is not None:
                live.update(view(snapshot, names), refresh=True)
            elif snapshot.timekeeper.next_slot != printed_slot:
                printed_slot = snapshot.timekeeper.next_slot
                console.print(slot_line(snapshot), soft_wrap=True)
    return snapshot


def summarise(console: Console, data_dir: Path, last: TimekeeperStatus, snapshot: Snapshot, names: list[str]) -> None:
    """What the run did: slots proven, the chain's best block, blocks by farmer, segments and pieces."""
    proven = last.slots_proven_since_start
    console.print(
        f"summary: {proven} slots proven this run (chain at slot {last.next_slot - 1}), "
        f"{last.slots_per_second:.2f} slots/s, last output {last.last_output or '-'}; data in {data_dir}",
        soft_wrap=True,
    )
    node = snapshot.node
    if node is None:
        return
    blocks = ", ".join(f"{name} {node.authored_by_farm.get(name, 0)}" for name in names)
    pieces = sum(getattr(farmer, "pieces_plotted", 0) for farmer in snapshot.farmers if farmer is not None)
    console.print(
        f"chain: best block #{node.best_number} at slot {node.best_slot}; blocks authored: {blocks}; "
        f"segments archived {node.history_size}; pieces plotted {pieces}",
        soft_wrap=True,
    )
