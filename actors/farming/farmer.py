"""Farmer: the plot-shard actor of one farm directory (one disk), audited every slot and proven on demand.

Two threads: the audit thread takes the newest slot (a slot still waiting when a newer one arrives is
skipped and counted; that is the only skip) and audits every sector; the proving thread proves the
candidates nearest first until the farming deadline (block_authoring_delay slots after the slot
arrived), so auditing never waits for proving. Solutions go to named subscribers (the node) and stay
queryable for a while. Status is also written to `farmer-status.json` in the farm for `farm summary`.
The sinks are the config's `solution_sinks` plus every name given to `subscribe_solutions`, which is kept in
`solution-sinks.json` in the farm, so a farmer Ray restarts submits to the same sinks at once.

Given a record encoder, a piece source and a history source, the farmer also plots its own farm (as
the reference farmer does): a PlottingLoop fills free sectors and re-plots expired ones whenever
history grows, taking each sector out of audits while it is rewritten.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from autonomys.actors.archiving.piece_store import PieceGetter
from autonomys.actors.clock import Clock, MonotonicClock
from autonomys.actors.dsn.directory import DsnNames, build_piece_getter
from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer_core import AuditReport, FarmerCore, SectorCandidates
from autonomys.actors.farming.metrics import ProofOutcome, SectorState
from autonomys.actors.farming.plot_reader import PlotPieceReader
from autonomys.actors.kzg_setup import KzgSetup, load_kzg, setup_for
from autonomys.actors.links import Links
from autonomys.actors.messages import (
    FarmerSolution,
    FarmerStatus,
    FarmingSlot,
    SegmentHeaderNotification,
    SlotNotification,
)
from autonomys.actors.plotting.plotter import (
    HistorySource,
    Plotter,
    PlottingLoop,
    PlottingStage,
    RecordEncoder,
    SectorProgress,
)
from autonomys.protocol.errors import InvalidSector
from autonomys.protocol.farming.solution_range import compute_voting_solution_range, pieces_to_solution_range
from autonomys.protocol.farming.solutions import AuditCandidate

STATUS_FILE = "farmer-status.json"
SINKS_FILE = "solution-sinks.json"
RECENT_SOLUTIONS = 256
# Slot numbers remembered to tell a repeated slot (ignored) from a late one (skipped).
RECENT_SLOTS = 1024
PLOTTING_STOP_SECONDS = 60.0
"""How long shutdown waits for a sector being plotted to finish before closing the farm."""


class SolutionSink(Protocol):
    name: str

    def on_solution(self, solution: FarmerSolution) -> None: ...


@dataclass(frozen=True, slots=True)
class FarmerConfig:
    farm_path: str
    kzg_setup: KzgSetup | None = None
    """The KZG setup (the ceremony file, or the dev setup); None: the insecure dev setup sized for the farm's preset."""
    reward_address: bytes | None = None
    """Who block rewards pay; None pays the farm's own public key."""
    solution_range: int | None = None
    """Range used for timekeeper slots (the node's FarmingSlot carries the chain's); None sizes it to the plotted pieces."""
    farm_id: str | None = None
    status_interval_seconds: float = 2.0
    archiver: str | None = None
    """Named actor the farmer fetches pieces from to plot its farm; None plots only with injected pieces."""
    node: str | None = None
    """Named actor serving the chain's history size and segment commitments (plotting and sector states)."""
    cache_peers: tuple[str, ...] = ()
    """DSN bootstrap: named cache peers the farmer's piece getter looks up pieces through (L2)."""
    local_cache: str | None = None
    """The cache peer on this farm's disk (the farmer's cache share), asked first."""
    farmers: tuple[str, ...] = ()
    """Other farmers whose plots serve pieces (L1) when no cache has them."""
    solution_sinks: tuple[str, ...] = ()
    """Named actors (nodes) every solution goes to, from the start and after every restart."""


class _FarmPlotter(Plotter):
    """A Plotter that says whether a plotting pass is running (so status tells progress from a stale error)."""

    running = False

    def plot_pending(self, stop: threading.Event | None = None) -> int:
        self.running = True
        try:
            return super().plot_pending(stop)
        finally:
            self.running = False


class FarmerService:
    """The Ray-facing farmer of one farm: slot intake, audit and proving threads, solution sinks, status."""

    def __init__(
        self,
        config: FarmerConfig,
        links: Links,
        *,
        clock: Clock | None = None,
        encoder: RecordEncoder | None = None,
        pieces: PieceGetter | None = None,
        history: HistorySource | None = None,
    ) -> None:
        """`links` reaches the solution sinks, the node (history) and every DSN tier by name; `history` and
        `pieces` replace the node's history and the DSN piece getter (a farm plotted from a local archive)."""
        self.config = config
        self._links = links
        self.farm = Farm.open(Path(config.farm_path))
        self.farm_id = config.farm_id or self.farm.description.farm_id
        setup = config.kzg_setup if config.kzg_setup is not None else setup_for(self.farm.params.record_num_chunks)
        kzg = load_kzg(setup)
        reward_address = config.reward_address or self.farm.identity.public_key
        self.clock = clock if clock is not None else MonotonicClock()
        self.core = FarmerCore(self.farm, kzg, reward_address, self.farm_id, self.clock)
        self.metrics = links.farm_metrics(self.farm_id)
        self.plots = PlotPieceReader(self.farm, f"{self.farm_id}-plots", self._is_sector_readable)
        if history is None and config.node is not None:
            history = links.node(config.node)
        if pieces is None and config.archiver is not None and history is not None:
            names = DsnNames(config.cache_peers, config.local_cache, config.archiver, config.farmers)
            pieces = build_piece_getter(
                self.plots.params, kzg, history, names, links, plots=self.plots, exclude=[self.plots.name]
            )
        self.history = history
        self._sinks: dict[str, SolutionSink] = {
            name: links.subscriber(name) for name in (*config.solution_sinks, *read_sinks_file(self.farm.path))
        }
        self._solution_range_fixed = config.solution_range is not None
        self._solution_range = config.solution_range or self._default_solution_range()
        self._mailbox: FarmingSlot | None = None
        self._mailbox_ready = threading.Condition()
        self._newest_slot = -1
        self._recent_slots: collections.deque[int] = collections.deque(maxlen=RECENT_SLOTS)
        self._proving: queue.Queue[tuple[AuditReport, float] | None] = queue.Queue()
        self._solutions: collections.deque[FarmerSolution] = collections.deque(maxlen=RECENT_SOLUTIONS)
        self._solutions_ready = threading.Condition()
        self._stop = threading.Event()
        self._last_error = ""
        self._last_status_write = float("-inf")
        self._threads = [
            threading.Thread(target=self._audit_loop, name="farmer-audit", daemon=True),
            threading.Thread(target=self._proving_loop, name="farmer-proving", daemon=True),
        ]
        self._plotting: SectorProgress | None = None
        self._plotter: _FarmPlotter | None = None
        self._plotting_loop: PlottingLoop | None = None
        if encoder is not None and pieces is not None and history is not None:
            self._plotter = _FarmPlotter(self.farm, pieces, history, encoder, self._on_own_plotting_progress)
            self._plotting_loop = PlottingLoop(self._plotter)
        for thread in self._threads:
            thread.start()
        if self._plotting_loop is not None:
            self._plotting_loop.start()

    def ready(self) -> bool:
        return True

    # -- intake ------------------------------------------------------------------------------

    def on_slot(self, notification: SlotNotification) -> None:
        """A timekeeper slot, farmed with this farmer's own ranges."""
        proof = notification.proof
        voting = compute_voting_solution_range(self._solution_range)
        self.on_farming_slot(FarmingSlot(int(proof.slot), bytes(proof.output), self._solution_range, voting))

    def on_farming_slot(self, slot: FarmingSlot) -> None:
        """Queue a slot for auditing; a newer slot replaces one still waiting (that one is skipped). A repeat
        is ignored; a slot arriving after a newer one (calls served concurrently) is counted as skipped."""
        with self._mailbox_ready:
            if slot.slot in self._recent_slots:
                return
            self._recent_slots.append(slot.slot)
            if slot.slot < self._newest_slot:
                self.metrics.record_skip()
                return
            self._newest_slot = slot.slot
            if self._mailbox is not None:
                self.metrics.record_skip()
            self._mailbox = slot
            self._mailbox_ready.notify()

    def public_key(self) -> bytes:
        return self.farm.identity.public_key

    def sign_reward(self, message: bytes) -> bytes:
        """Sign a block's pre-hash (or a vote) with this farm's key: the node seals blocks its solutions won."""
        return self.farm.identity.sign(bytes(message))

    def set_solution_range(self, solution_range: int) -> None:
        self._solution_range_fixed = True
        self._solution_range = solution_range

    def read_piece(self, piece_index: int) -> bytes | None:
        """A piece decoded from this farm's plots (L1), or None when no intact sector holds it."""
        return self.plots.get_piece(piece_index)

    def subscribe_solutions(self, name: str) -> None:
        """Send every future solution to the named actor too; remembered in the farm across restarts."""
        if name in self._sinks:
            return
        self._sinks[name] = self._links.subscriber(name)
        extra = [sink for sink in self._sinks if sink not in self.config.solution_sinks]
        write_sinks_file(Path(self.farm.path), extra)

    def on_plotting_progress(self, progress: SectorProgress) -> None:
        """Hook for a Plotter writing this farm: sectors leave audits while rewritten; writes wait for proofs."""
        self.core.on_plotting_progress(progress)

    def on_segment_header(self, notification: SegmentHeaderNotification) -> None:
        """Archiver broadcast: history grew, so plot free sectors and re-plot expired ones (when this farmer plots)."""
        if self._plotting_loop is not None:
            self._plotting_loop.on_segment_header(notification)

    # -- queries -----------------------------------------------------------------------------

    def solutions_after(self, slot: int, timeout: float = 0.0) -> list[FarmerSolution]:
        """Solutions kept for slots after `slot`, waiting up to `timeout` seconds for one (long-poll)."""
        with self._solutions_ready:
            self._solutions_ready.wait_for(lambda: any(s.slot > slot for s in self._solutions), timeout=timeout)
            return [solution for solution in self._solutions if solution.slot > slot]

    def status(self) -> FarmerStatus:
        try:
            history_size, plotted, about, expired = self.core.sector_states(self.history)
        except ActorUnavailable:  # the node not up yet, or restarting: no error (plotting says it waits for it)
            history_size, plotted, about, expired = self.core.sector_states(None)
        except Exception as error:  # noqa: BLE001 - a history source gone (a node restarting) must not break status
            self._last_error = f"sector states: {error}"
            history_size, plotted, about, expired = self.core.sector_states(None)
        self.metrics.record_sector_states(
            {SectorState.PLOTTED: plotted, SectorState.ABOUT_TO_EXPIRE: about, SectorState.EXPIRED: expired}
        )
        metrics = self.metrics
        return FarmerStatus(
            farm_id=self.farm_id,
            path=str(self.farm.path),
            public_key=self.farm.identity.public_key.hex(),
            max_sectors=self.farm.max_sectors,
            sectors_plotted=plotted,
            sectors_about_to_expire=about,
            sectors_expired=expired,
            history_size=history_size,
            slots_audited=metrics.slots_audited,
            slots_skipped=metrics.slots_skipped,
            last_audit_seconds=metrics.last_audit_seconds,
            mean_audit_seconds=metrics.mean_audit_seconds,
            candidates_found=metrics.candidates_found,
            proofs_succeeded=metrics.proofs[ProofOutcome.SUCCEEDED],
            proofs_failed=metrics.proofs[ProofOutcome.FAILED],
            proofs_timed_out=metrics.proofs[ProofOutcome.TIMED_OUT],
            mean_proving_seconds=metrics.mean_proving_seconds,
            last_proving_seconds=metrics.last_proving_seconds,
            solutions_submitted=metrics.solutions_submitted,
            corrupt_sectors=self.core.registry.corrupt(),
            last_error=self._last_error,
            plotting=self._plotting_summary(plotted),
            pieces_plotted=plotted * self.farm.description.pieces_in_sector,
        )

    def shutdown(self) -> None:
        if self._plotting_loop is not None:
            self._plotting_loop.stop(timeout=PLOTTING_STOP_SECONDS)
        self._stop.set()
        with self._mailbox_ready:
            self._mailbox_ready.notify_all()
        self._proving.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self._write_status()
        self.farm.close()

    # -- threads -----------------------------------------------------------------------------

    def _audit_loop(self) -> None:
        while not self._stop.is_set():
            with self._mailbox_ready:
                self._mailbox_ready.wait_for(lambda: self._mailbox is not None or self._stop.is_set())
                slot, self._mailbox = self._mailbox, None
            if slot is None:
                continue
            arrived = self.clock.monotonic()
            try:
                report = self.core.audit(slot)
            except Exception as error:  # noqa: BLE001 - one bad slot must not stop farming
                self._last_error = f"audit of slot {slot.slot}: {error}"
                continue
            self.metrics.record_audit(report.seconds, sum(len(found.candidates) for found in report.found))
            if report.found:
                self._proving.put((report, arrived + self._farming_timeout()))
            self._maybe_write_status()

    def _proving_loop(self) -> None:
        while True:
            job = self._proving.get()
            if job is None or self._stop.is_set():
                return
            report, deadline = job
            for sector, candidate in report.ranked():
                if self.clock.monotonic() >= deadline:
                    self.metrics.record_proof(ProofOutcome.TIMED_OUT)
                    continue
                self._prove_one(report.slot, sector, candidate)

    def _prove_one(self, slot: FarmingSlot, sector: SectorCandidates, candidate: AuditCandidate) -> None:
        started = self.clock.monotonic()
        try:
            solution = self.core.prove(slot, sector, candidate)
        except InvalidSector as error:
            self._last_error = f"sector {sector.entry.sector_index} is corrupt: {error}"
            self.metrics.record_proof(ProofOutcome.FAILED, self.clock.monotonic() - started)
            return
        except Exception as error:  # noqa: BLE001 - a failed proof is counted, farming goes on
            self._last_error = f"proving slot {slot.slot}: {error}"
            self.metrics.record_proof(ProofOutcome.FAILED, self.clock.monotonic() - started)
            return
        if solution is None:
            self.metrics.record_proof(ProofOutcome.UNENCODED)
            return
        self.metrics.record_proof(ProofOutcome.SUCCEEDED, self.clock.monotonic() - started)
        self._submit(solution)

    def _submit(self, solution: FarmerSolution) -> None:
        with self._solutions_ready:
            self._solutions.append(solution)
            self._solutions_ready.notify_all()
        for name, sink in list(self._sinks.items()):
            try:
                sink.on_solution(solution)
                self.metrics.record_submitted()
            except Exception as error:  # noqa: BLE001 - a gone sink must not stop farming
                self._last_error = f"solution sink {name}: {error}"

    # -- own plotting ------------------------------------------------------------------------

    def _is_sector_readable(self, sector_index: int) -> bool:
        """Audited sectors only: one being rewritten or found corrupt serves no pieces."""
        return any(entry.sector_index == sector_index for entry in self.core.registry.snapshot())

    def _on_own_plotting_progress(self, progress: SectorProgress) -> None:
        self.core.on_plotting_progress(progress)
        self._plotting = progress
        if progress.stage is PlottingStage.WRITTEN and not self._solution_range_fixed:
            self._solution_range = self._default_solution_range()

    def _plotting_summary(self, plotted: int) -> str:
        """'sector 1: encoding 12/32' while a sector is in progress, else 'waiting for the node' (history unavailable),
        'error: …' or 'idle (2/2 plotted)'."""
        if self._plotting_loop is None or self._plotter is None:
            return ""
        progress = self._plotting
        if self._plotter.running and progress is not None and progress.stage is not PlottingStage.WRITTEN:
            return f"sector {progress.sector_index}: {progress.stage} {progress.records_done}/{progress.records_total}"
        if self._plotting_loop.waiting_for_history:
            return "waiting for the node"
        if self._plotting_loop.last_error is not None:
            return f"error: {self._plotting_loop.last_error}"
        return f"idle ({plotted}/{self.farm.max_sectors} plotted)"

    def _farming_timeout(self) -> float:
        params = self.farm.params
        return params.slot_duration_ms / 1000 * params.block_authoring_delay

    def _default_solution_range(self) -> int:
        pieces = max(1, len(self.core.registry.snapshot()) * self.farm.description.pieces_in_sector)
        return pieces_to_solution_range(pieces, self.farm.params.slot_probability, self.farm.params)

    def _maybe_write_status(self) -> None:
        now = self.clock.monotonic()
        if now - self._last_status_write >= self.config.status_interval_seconds:
            self._last_status_write = now
            self._write_status()

    def _write_status(self) -> None:
        with contextlib.suppress(OSError):
            write_status_file(Path(self.farm.path), self.status())


def write_status_file(path: Path, status: FarmerStatus) -> None:
    """Replace the farm's status file atomically (advisory: no fsync)."""
    temporary = path / (STATUS_FILE + ".tmp")
    temporary.write_text(json.dumps({**asdict(status), "updated_at": time.time()}, indent=2))
    temporary.replace(path / STATUS_FILE)


def write_sinks_file(path: Path, names: list[str]) -> None:
    """Replace the farm's list of subscribed solution sinks durably (fsynced, then renamed)."""
    temporary = path / (SINKS_FILE + ".tmp")
    with open(temporary, "w") as file:
        json.dump(sorted(names), file)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path / SINKS_FILE)


def read_sinks_file(path: Path | str) -> list[str]:
    """The solution sinks subscribed to this farm (none when the file is missing or unreadable)."""
    try:
        names = json.loads((Path(path) / SINKS_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return []
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def read_status_file(path: Path) -> dict | None:
    """The last status a farmer wrote for this farm, or None."""
    try:
        return json.loads((Path(path) / STATUS_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None
