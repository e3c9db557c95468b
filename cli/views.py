"""The devnet's live status view and its summary.

On a terminal the view refreshes in place (rich). Otherwise (a file, a pipe, CI) it prints a line per new slot, and
the farmer, DSN and node-warning lines every DETAIL_EVERY_SLOTS slots and whenever one changes materially. The
summary is printed and saved in the data directory (SUMMARY_FILE), so a run whose output went nowhere still has one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
from dataclasses import dataclass, field
from types import TracebackType
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
DETAIL_EVERY_SLOTS = 10
"""Without a terminal, the farmer, DSN and node-warning lines follow a slot line at least this many slots apart."""
SUMMARY_FILE = "last-run.txt"
"""The last run's summary, in the data directory (replaced atomically at the end of each run)."""


@dataclass
class Snapshot:
    """One poll of every role (a role that does not answer shows as None)."""

    timekeeper: TimekeeperStatus
    node: Any
    farmers: list[Any]
    caches: list[Any] = field(default_factory=list)
    operators: list[Any] = field(default_factory=list)
    domains: list[Any] = field(default_factory=list)
    """The node's view of each domain (DomainView), by domain id."""


def poll(network: Network) -> Snapshot:
    """One status call per role; a role that does not answer in time shows as None (the timekeeper must answer)."""
    node = _quiet(network.node.status) if network.node is not None else None
    farmers = [_quiet(farmer.status) for farmer in network.farmers.values()]
    caches = [_quiet(cache.status) for cache in network.caches.values()]
    operators = [_quiet(operator.status) for operator in network.operators.values()]
    domain_ids = sorted({operator.domain_id for operator in operators if operator is not None})
    domains = []
    if network.node is not None:
        domains = [_quiet(lambda timeout, d=domain_id: network.node.domain_view(d, timeout=timeout)) for domain_id in domain_ids]
    timekeeper = network.timekeeper.status(timeout=STATUS_TIMEOUT)
    return Snapshot(timekeeper, node, farmers, caches, operators, domains)


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
    line.append(
        f"{farmer.sectors_plotted}/{farmer.max_sectors} sectors, plotting {getattr(farmer, 'plotting', '') or '-'}"
    )
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
    line.append(
        f", served {sum(cache.served for cache in answering)}, failed fetches {sum(cache.failed for cache in answering)}"
    )
    if len(answering) < len(caches):
        line.append(f"  {len(caches) - len(answering)} not answering", style="yellow")
    return line


AI3 = 10**18


def domain_line(view: Any, operators: list[Any], slots: int) -> Text:
    """A domain: its head, confirmed block and epoch, stake by operator, bundles per slot and pooled transactions."""
    line = Text(f"  domain {view.domain_id} ({view.runtime_name}): ")
    line.append(f"block #{view.head_domain_number}", style="bold green")
    line.append(f", receipt #{view.head_receipt_number}, confirmed #{view.confirmed_number}, epoch {view.epoch}")
    stakes = ", ".join(f"{info.operator_id}: {info.stake / AI3:,.0f}" for info in view.operators)
    line.append(f"; stake {view.total_stake / AI3:,.0f} AI3 ({stakes})")
    mine = [operator for operator in operators if operator is not None and operator.domain_id == view.domain_id]
    bundles = sum(operator.bundles_submitted for operator in mine)
    line.append(f"; bundles {bundles}" + (f" ({bundles / slots:.2f}/slot)" if slots else ""))
    line.append(f", pool {sum(operator.pooled_transactions for operator in mine)}")
    if view.fraud_proofs_accepted or view.operators_slashed:
        line.append(
            f"; fraud proofs {view.fraud_proofs_accepted}, slashed {view.operators_slashed}", style="bold red"
        )
    warnings = [f"{operator.name}: {operator.last_error}" for operator in mine if operator.last_error]
    if warnings:
        line.append(f"  warning {warnings[0]}", style="yellow")
    return line


def detail_lines(snapshot: Snapshot, names: list[str]) -> list[Text]:
    """A line per farmer, the DSN's, one per domain, and the node's warning if it has one."""
    lines = [farmer_line(name, farmer, snapshot.node) for name, farmer in zip(names, snapshot.farmers, strict=True)]
    lines.append(dsn_line(snapshot.caches))
    slots = snapshot.timekeeper.slots_proven_since_start
    lines += [domain_line(view, snapshot.operators, slots) for view in snapshot.domains if view is not None]
    node = snapshot.node
    if node is not None and node.last_error:
        lines.append(Text(f"  node warning: {node.last_error}", style="yellow"))
    return lines


def view(snapshot: Snapshot, names: list[str]) -> Group:
    """The devnet's live view: the slot line, a line per farmer, the DSN and any node warning."""
    return Group(slot_line(snapshot), *detail_lines(snapshot, names))


def material_state(snapshot: Snapshot) -> tuple:
    """What prints the detail lines at once when it changes: each farmer's sectors, plotting phase (not its record
    counts) and warning; which cache peers answer and whether each is synced; the node's warning."""
    farmers = tuple(
        None if farmer is None else (farmer.sectors_plotted, plotting_phase(farmer.plotting), farmer.last_error)
        for farmer in snapshot.farmers
    )
    caches = tuple(None if cache is None else cache.stored >= cache.wanted for cache in snapshot.caches)
    node = snapshot.node
    return farmers, caches, None if node is None else node.last_error


def plotting_phase(plotting: str) -> str:
    """'sector 1: encoding 12/32' -> 'sector 1'; 'idle (2/2 plotted)' -> 'idle'; anything else as it is."""
    match = re.match(r"(sector \d+|idle)\b", plotting or "")
    return match.group(1) if match is not None else plotting or ""


class PlainLog:
    """The view as lines, for output that is not a terminal (see the module docstring)."""

    def __init__(self, console: Console, names: list[str]) -> None:
        self.console = console
        self.names = names
        self._slot: int | None = None
        self._detail_slot: int | None = None
        self._detail_state: tuple | None = None

    def show(self, snapshot: Snapshot) -> None:
        slot = snapshot.timekeeper.next_slot - 1
        if slot != self._slot:
            self._slot = slot
            self.console.print(slot_line(snapshot), soft_wrap=True)
        state = material_state(snapshot)
        due = self._detail_slot is None or slot - self._detail_slot >= DETAIL_EVERY_SLOTS
        if due or state != self._detail_state:
            self._detail_slot, self._detail_state = slot, state
            for line in detail_lines(snapshot, self.names):
                self.console.print(line, soft_wrap=True)


class Display:
    """Where snapshots go: the live view on a terminal, a PlainLog otherwise. Remembers the last one shown."""

    def __init__(self, console: Console, names: list[str]) -> None:
        self.names = names
        self.last: Snapshot | None = None
        self._live = Live(Text(""), console=console, auto_refresh=False) if console.is_terminal else None
        self._log = PlainLog(console, names) if self._live is None else None

    def __enter__(self) -> Display:
        if self._live is not None:
            self._live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.__exit__(kind, error, traceback)

    def show(self, snapshot: Snapshot) -> None:
        self.last = snapshot
        if self._live is not None:
            self._live.update(view(snapshot, self.names), refresh=True)
        elif self._log is not None:
            self._log.show(snapshot)


def watch(display: Display, network: Network, slots: int | None) -> Snapshot:
    """Poll every role and show each snapshot until `slots` slots were proven this run (or forever)."""
    snapshot = poll(network)
    display.show(snapshot)
    while slots is None or snapshot.timekeeper.slots_proven_since_start < slots:
        time.sleep(STATUS_INTERVAL_SECONDS)
        snapshot = poll(network)
        display.show(snapshot)
    return snapshot


def run(
    console: Console,
    network: Network,
    slots: int | None,
    data_dir: Path,
    watching: contextlib.AbstractContextManager[object] | None = None,
) -> Snapshot:
    """The devnet's run once its roles are up: watch (inside `watching`) until `slots` or Ctrl-C, stop every role,
    show the final state, then print and save the summary. Returns the final snapshot."""
    names = list(network.farmers)
    with Display(console, names) as display:
        try:
            with watching if watching is not None else contextlib.nullcontext():
                watch(display, network, slots)
        except KeyboardInterrupt:
            console.print("stopping…")
        last = display.last if display.last is not None else poll(network)
        final = final_snapshot(last, network.stop())
        display.show(final)  # the last frame and the summary describe the same moment
    summarise(console, data_dir, final, names)
    return final


def final_snapshot(snapshot: Snapshot, stopped: TimekeeperStatus) -> Snapshot:
    """The last snapshot with the timekeeper's status once it stopped: the slot proving when the run was asked to
    stop still completes, so the last frame and the summary both show it (and agree on every count)."""
    return dataclasses.replace(snapshot, timekeeper=stopped)


def summary_lines(data_dir: Path, snapshot: Snapshot, names: list[str]) -> list[str]:
    """What the run did: slots proven, the chain's best block, blocks by farmer, segments and pieces.

    `slots_proven_since_start` counts the proofs of this run, and the chain's slot is the last one proven
    (`next_slot - 1`), as in the view; after a restart the chain's slot is ahead of this run's count."""
    last = snapshot.timekeeper
    lines = [
        f"summary: {last.slots_proven_since_start} slots proven this run (chain at slot {last.next_slot - 1}), "
        f"{last.slots_per_second:.2f} slots/s, last output {last.last_output or '-'}; data in {data_dir}"
    ]
    node = snapshot.node
    if node is not None:
        blocks = ", ".join(f"{name} {node.authored_by_farm.get(name, 0)}" for name in names)
        pieces = sum(getattr(farmer, "pieces_plotted", 0) for farmer in snapshot.farmers if farmer is not None)
        lines.append(
            f"chain: best block #{node.best_number} at slot {node.best_slot}; blocks authored: {blocks}; "
            f"segments archived {node.history_size}; pieces plotted {pieces}"
        )
    for view in snapshot.domains:
        if view is None:
            continue
        mine = [op for op in snapshot.operators if op is not None and op.domain_id == view.domain_id]
        bundles = ", ".join(f"{op.name} {op.bundles_submitted}" for op in mine)
        stakes = ", ".join(f"operator {info.operator_id} {info.stake / AI3:,.0f} AI3" for info in view.operators)
        lines.append(
            f"domain {view.domain_id} ({view.runtime_name}): best block #{view.head_domain_number}, confirmed "
            f"#{view.confirmed_number}, epoch {view.epoch}; bundles: {bundles or 'none'}; stake: {stakes or 'none'}"
        )
        lines += _fraud_lines(view, mine)
    return lines


def _fraud_lines(view: Any, operators: list[Any]) -> list[str]:
    """Fraud proofs accepted and operators slashed on a domain (and who lied and who proved it)."""
    faulty = [f"{op.name} ({op.fault}, {op.lies_submitted} bad receipts offered)" for op in operators if op.fault]
    provers = [f"{op.name} {op.fraud_proofs_submitted}" for op in operators if op.fraud_proofs_submitted]
    lines = [
        f"fraud proofs accepted: {view.fraud_proofs_accepted}",
        f"operators slashed: {view.operators_slashed}",
    ]
    if faulty or provers:
        lines.append(
            f"domain {view.domain_id}: faulty {', '.join(faulty) or 'none'}; fraud proofs submitted by "
            f"{', '.join(provers) or 'nobody'}"
        )
    latencies = sorted(latency for op in operators for latency in op.fraud_proven_in)
    if latencies:
        described = ", ".join(f"{blocks} blocks ({slots} slots)" for blocks, slots in latencies)
        lines.append(f"domain {view.domain_id}: bad receipt to accepted fraud proof in {described}")
    return lines


def summarise(console: Console, data_dir: Path, snapshot: Snapshot, names: list[str]) -> Path | None:
    """Save the summary as DATA_DIR/SUMMARY_FILE (atomically) and print it; returns the file, None if unwritable."""
    lines = summary_lines(data_dir, snapshot, names)
    saved = save_summary(data_dir, lines)
    for line in lines:
        console.print(line, soft_wrap=True)
    where = f"saved in {saved}" if saved is not None else f"could not be saved in {data_dir}"
    console.print(f"(this summary is {where})", soft_wrap=True)
    return saved


def save_summary(data_dir: Path, lines: list[str]) -> Path | None:
    path = data_dir / SUMMARY_FILE
    temporary = data_dir / (SUMMARY_FILE + ".tmp")
    try:
        temporary.write_text(f"run ended {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n" + "\n".join(lines) + "\n")
        temporary.replace(path)
    except OSError:
        return None
    return path
