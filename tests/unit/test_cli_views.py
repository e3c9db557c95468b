"""The devnet's view without a terminal, its summary, and output to a pipe whose reader has gone (no Ray started)."""

from __future__ import annotations

import io
import os
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from autonomys.actors.messages import TimekeeperStatus
from autonomys.cli import views
from autonomys.cli.signals import PipeSafeStream

NAMES = ["farmer-0", "farmer-1"]


def timekeeper(slot: int, proven: int | None = None) -> TimekeeperStatus:
    """The status after proving `slot` (next_slot is the one being proven), `proven` of them this run."""
    return TimekeeperStatus(
        next_slot=slot + 1, slot_iterations=16, last_output=f"{slot:032x}", slots_proven_since_start=slot if proven is None else proven,
        slots_per_second=1.0, iterations_per_second=16.0, subscribers=1, running=True, backend="portable", last_error="",
    )  # fmt: skip


def farmer(plotting: str = "idle (1/1 plotted)", proofs: int = 0, last_error: str = "") -> SimpleNamespace:
    return SimpleNamespace(
        sectors_plotted=1, max_sectors=1, plotting=plotting, last_audit_seconds=0.0001, mean_proving_seconds=0.01,
        proofs_succeeded=proofs, slots_skipped=0, last_error=last_error, pieces_plotted=8,
    )  # fmt: skip


def node(best: int = 0, last_error: str = "") -> SimpleNamespace:
    return SimpleNamespace(
        best_number=best, best_slot=best, history_size=1, authored_by_farm={"farmer-0": best}, last_error=last_error
    )


def cache() -> SimpleNamespace:
    return SimpleNamespace(stored=4, capacity=8, wanted=4, served=0, failed=0)


def snapshot(slot: int, farmers: list | None = None, node_error: str = "") -> views.Snapshot:
    return views.Snapshot(timekeeper(slot), node(slot // 4, node_error), farmers or [farmer(), farmer()], [cache()])


def plain_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200), buffer  # a StringIO is no terminal: the plain log


def test_without_a_terminal_farmer_and_dsn_lines_come_every_ten_slots() -> None:
    console, buffer = plain_console()
    log = views.PlainLog(console, NAMES)
    for slot in range(1, 26):
        log.show(snapshot(slot, [farmer(proofs=slot), farmer(proofs=2 * slot)]))  # proof counts are no material change
    lines = buffer.getvalue().splitlines()
    assert sum(line.startswith("slot ") for line in lines) == 25
    details_after = [int(lines[index - 1].split()[1]) for index, line in enumerate(lines) if "farmer-0:" in line]
    assert details_after == [1, 11, 21]
    assert sum("dsn:" in line for line in lines) == 3


def test_a_material_change_prints_the_details_at_once() -> None:
    console, buffer = plain_console()
    log = views.PlainLog(console, NAMES)
    log.show(snapshot(1, [farmer("waiting for the node"), farmer("waiting for the node")]))
    log.show(snapshot(2, [farmer("sector 0: downloading 0/8"), farmer("waiting for the node")]))  # plotting started
    log.show(snapshot(3, [farmer("sector 0: encoding 3/8"), farmer("waiting for the node")]))  # same sector: no
    log.show(snapshot(4, [farmer("sector 0: encoding 5/8"), farmer("waiting for the node")], node_error="timekeeper"))
    log.show(snapshot(4, [farmer("sector 0: encoding 6/8"), None]))  # a farmer stops answering, same slot
    text = buffer.getvalue()
    assert text.count("farmer-0:") == 4
    assert "node warning: timekeeper" in text
    assert "farmer-1: not answering" in text
    assert len(re.findall(r"^slot ", text, re.MULTILINE)) == 4  # no slot line repeated for a change within a slot


def test_plotting_phase_ignores_record_counts() -> None:
    assert views.plotting_phase("sector 12: encoding 3/32") == "sector 12"
    assert views.plotting_phase("idle (2/2 plotted)") == "idle"
    assert views.plotting_phase("error: PlottingError: x") == "error: PlottingError: x"
    assert views.plotting_phase("waiting for the node") == "waiting for the node"
    assert views.plotting_phase("") == ""


class FakeNetwork:
    """A slot per poll; stop() finishes the slot in flight, as the real timekeeper does; Ctrl-C at `interrupt_at`."""

    def __init__(self, interrupt_at: int | None = None) -> None:
        self.slot = 0
        self.interrupt_at = interrupt_at
        self.farmers = {name: SimpleNamespace(status=lambda timeout: farmer()) for name in NAMES}
        self.caches = {"cache-0": SimpleNamespace(status=lambda timeout: cache())}
        self.operators: dict[str, SimpleNamespace] = {}
        self.node = SimpleNamespace(status=lambda timeout: node(self.slot // 4))
        self.timekeeper = SimpleNamespace(status=self._status)
        self.stopped = False

    def _status(self, timeout: float = 0.0) -> TimekeeperStatus:
        if self.stopped:
            return timekeeper(self.slot)
        if self.slot == self.interrupt_at:
            raise KeyboardInterrupt
        self.slot += 1
        return timekeeper(self.slot)

    def stop(self) -> TimekeeperStatus:
        self.slot += 1
        self.stopped = True
        return timekeeper(self.slot)


@pytest.mark.parametrize(("slots", "interrupt_at", "ended_at"), [(5, None, 6), (None, 3, 4)])
def test_the_last_frame_and_the_summary_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slots: int | None, interrupt_at: int | None, ended_at: int
) -> None:
    """`--slots 5` or Ctrl-C: the view's last slot line, the summary's count and its chain slot are one number (the
    slot in flight when the run stopped completes: 6 after --slots 5)."""
    monkeypatch.setattr(views, "STATUS_INTERVAL_SECONDS", 0.0)
    console, buffer = plain_console()
    network = FakeNetwork(interrupt_at)
    final = views.run(console, network, slots, tmp_path)  # type: ignore[arg-type]
    assert network.stopped
    text = buffer.getvalue()
    last_slot = [int(match) for match in re.findall(r"^slot\s+(\d+)", text, re.MULTILINE)][-1]
    last_run = re.findall(r"\+(\d+) this run", text)[-1]
    summary = re.search(r"summary: (\d+) slots proven this run \(chain at slot (\d+)\)", text)
    assert summary is not None
    assert last_slot == int(last_run) == int(summary.group(1)) == int(summary.group(2)) == ended_at
    assert final.timekeeper.next_slot - 1 == ended_at
    assert ("stopping…" in text) == (interrupt_at is not None)
    assert (tmp_path / views.SUMMARY_FILE).exists()


def test_after_a_restart_the_chain_slot_is_ahead_of_this_runs_count(tmp_path: Path) -> None:
    resumed = views.Snapshot(timekeeper(160, proven=60), node(30), [farmer(), farmer()], [cache()])
    console, buffer = plain_console()
    views.PlainLog(console, NAMES).show(resumed)
    views.summarise(console, tmp_path, resumed, NAMES)
    assert re.search(r"^slot\s+160 .* \+60 this run", buffer.getvalue(), re.MULTILINE)
    assert "summary: 60 slots proven this run (chain at slot 160)" in buffer.getvalue()


def test_the_summary_is_saved_in_the_data_directory(tmp_path: Path) -> None:
    console, buffer = plain_console()
    saved = views.summarise(console, tmp_path, replace(snapshot(9), timekeeper=timekeeper(9)), NAMES)
    assert saved == tmp_path / views.SUMMARY_FILE
    text = saved.read_text()
    assert "summary: 9 slots proven this run (chain at slot 9)" in text
    assert "blocks authored: farmer-0 2, farmer-1 0" in text
    assert f"saved in {saved}" in buffer.getvalue()
    assert [path.name for path in tmp_path.iterdir()] == [views.SUMMARY_FILE]  # no temporary left
    unwritable = tmp_path / "missing"
    assert views.summarise(console, unwritable, snapshot(9), NAMES) is None  # printed all the same
    assert "could not be saved" in buffer.getvalue()


def test_a_reader_gone_away_silences_the_output_without_an_error() -> None:
    read_end, write_end = os.pipe()
    stream = open(write_end, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    safe = PipeSafeStream(stream)
    console = Console(file=safe, width=100)
    console.print("first line")
    assert os.read(read_end, 100) == b"first line\n"
    os.close(read_end)  # `tee` or `head` killed by the same Ctrl-C
    console.print("stopping…")  # BrokenPipeError inside, swallowed
    assert safe.broken
    console.print("summary: …")
    safe.flush()
    stream.close()  # the descriptor now points at /dev/null: closing (the interpreter's exit flush) is quiet too


def test_a_domain_line_shows_blocks_receipts_stake_bundles_and_warnings() -> None:
    from autonomys.actors.messages import OperatorStatus
    from autonomys.protocol.domains.view import DomainView, OperatorInfo

    ai3 = 10**18
    view = DomainView(0, "balances", 12, 11, 6, 3, 160 * ai3, (1, 1), None,
                      (OperatorInfo(0, bytes(32), 80 * ai3, "REGISTERED"), OperatorInfo(1, bytes(32), 80 * ai3, "REGISTERED")))  # fmt: skip
    operators = [
        OperatorStatus("operator-0-0", 0, 0, 14, 12, 80 * ai3, 7, 1, 2, 40, ""),
        OperatorStatus("operator-0-1", 0, 1, 14, 12, 80 * ai3, 5, 0, 0, 41, "behind"),
        None,
    ]
    line = views.domain_line(view, operators, 24).plain
    assert "domain 0 (balances): block #12, receipt #11, confirmed #6, epoch 3" in line
    assert "stake 160 AI3 (0: 80, 1: 80)" in line and "bundles 12 (0.50/slot), pool 2" in line
    assert "warning operator-0-1: behind" in line
