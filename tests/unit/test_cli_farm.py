"""`autonomys history synth`, `plot --workers 0` and `farm info` end to end on MINIMAL (no Ray started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from autonomys.actors.plotting.plotter import SectorProgress
from autonomys.cli.farm import ByteSize, OverallProgress, format_seconds
from autonomys.cli.main import main
from autonomys.network.genesis import load_or_create_genesis, write_genesis
from autonomys.network.synth import SYNTHETIC_MARKER


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("text", "size"),
    [("2GiB", 2 * 2**30), ("500MB", 500 * 10**6), ("1.5KiB", 1536), ("1073741824", 2**30), ("3 tib", 3 * 2**40)],
)
def test_sizes_parse(text: str, size: int) -> None:
    assert ByteSize().convert(text, None, None) == size


def test_synth_plot_and_info(tmp_path: Path) -> None:
    network, farm = str(tmp_path / "net"), str(tmp_path / "farm")
    code, output = run("history", "synth", "--data-dir", network, "--segments", "2", "--preset", "minimal")
    assert code == 0, output
    assert "2 segments archived" in output
    code, output = run("plot", "--path", farm, "--size", "40KiB", "--archive", network, "--workers", "0")
    assert code == 0, output
    assert "plotted 2 sectors in " in output and "; 2/2 sectors are plotted" in output
    assert "sector 1: written" in output
    assert "overall: 1/2 sectors, 8/16 records, " in output and "ETA " in output  # a line after each sector
    assert "overall: 2/2 sectors, 16/16 records, " in output
    code, output = run("farm", "info", farm, "--archive", network)
    assert code == 0, output
    assert "sector 0: plotted, history size 2" in output
    code, output = run("plot", "--path", farm, "--size", "40KiB", "--archive", network, "--workers", "0")
    assert "plotted 0 sectors" in output  # resuming plots nothing new


def test_synth_defaults_to_its_own_directory_and_extends_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = run("history", "synth", "--segments", "1")
    assert code == 0, output
    assert "synthetic-history: 1 segment archived" in output
    assert (tmp_path / "synthetic-history" / SYNTHETIC_MARKER).exists()
    assert not (tmp_path / ".autonomys").exists()
    code, output = run("history", "synth", "--segments", "2")  # a second run extends what the first archived
    assert code == 0, output
    assert "synthetic-history: 2 segments archived" in output


def devnet_like(path: Path, *entries: str, started: bool = True) -> Path:
    """A directory laid out as a devnet's (genesis.json, and the given role directories)."""
    path.mkdir()
    genesis, _ = load_or_create_genesis(path, "minimal")
    if started:
        write_genesis(path, genesis.model_copy(update={"genesis_segments": 1, "solution_range": 2**40}))
    for entry in entries:
        (path / entry).mkdir()
    return path


@pytest.mark.parametrize(
    ("entries", "started", "named"),
    [
        (("archiver", "node-node", "timekeeper", "farms"), True, "farms/, node-node/, timekeeper/, genesis.json"),
        (("node-node",), False, "node-node/"),
        (("timekeeper",), False, "timekeeper/"),
        (("archiver",), True, "genesis.json of a started network"),
    ],
)
def test_synth_refuses_a_directory_holding_chain_state(
    tmp_path: Path, entries: tuple[str, ...], started: bool, named: str
) -> None:
    data_dir = devnet_like(tmp_path / "devnet", *entries, started=started)
    before = sorted(path.name for path in data_dir.iterdir())
    genesis = (data_dir / "genesis.json").read_text()
    code, output = run("history", "synth", "--data-dir", str(data_dir), "--segments", "2")
    assert code == 1
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert f"{data_dir} holds a network's chain state ({named}" in lines[0]
    assert "--data-dir synthetic-history" in lines[0]
    assert sorted(path.name for path in data_dir.iterdir()) == before  # nothing written
    assert (data_dir / "genesis.json").read_text() == genesis


def test_synth_refuses_a_directory_it_did_not_create(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    code, output = run("history", "synth", "--data-dir", str(tmp_path / "mine"), "--segments", "1")
    assert code == 1
    assert "is not empty and was not created by `history synth`" in output
    assert [path.name for path in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_synth_adopts_a_directory_an_older_synth_made(tmp_path: Path) -> None:
    """Before the marker, synth left genesis.json and archiver/ only (no network fields): still extended."""
    legacy = devnet_like(tmp_path / "old-synth", "archiver", started=False)
    code, output = run("history", "synth", "--data-dir", str(legacy), "--segments", "1")
    assert code == 0, output
    assert (legacy / SYNTHETIC_MARKER).exists()


def event(sector: int, stage: str, done: int, total: int = 8) -> SectorProgress:
    return SectorProgress(sector, stage, done, total)


def test_overall_progress_counts_sectors_records_and_an_eta() -> None:
    now = [100.0]
    overall = OverallProgress(sectors_total=4, pieces_in_sector=8, clock=lambda: now[0])
    assert overall.eta() is None
    assert overall.describe() == "0/4 sectors, 0/32 records, 0.0 s elapsed, ETA -"
    now[0] += 5
    overall.on_event(event(0, "downloaded", 8))  # half a sector's work: download
    assert (overall.records_done, overall.fraction()) == (0, 0.125)
    assert overall.eta() == pytest.approx(35.0)
    now[0] += 5
    overall.on_event(event(0, "encoding", 8))
    overall.on_event(event(0, "written", 8))
    assert (overall.sectors_done, overall.records_done, overall.fraction()) == (1, 8, 0.25)
    assert overall.eta() == pytest.approx(30.0)
    overall.on_event(event(1, "encoding", 4))
    assert overall.records_done == 12
    assert overall.describe(elapsed=False) == "1/4 sectors, 12/32 records, ETA 12.9 s"  # 1.75 of 4 in 10 s
    assert OverallProgress(0, 8).fraction() == 1.0  # nothing to plot is done


def test_durations_read_as_clock_times() -> None:
    assert (format_seconds(4.54), format_seconds(72), format_seconds(3723)) == ("4.5 s", "1:12", "1:02:03")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--size", "2XB"], "is not a size"),
        (["--size", "0"], "must be positive"),
        (["--size", "1KiB"], "holds no sector"),
        (["--size", "1MiB", "--archive", "{tmp}/nowhere"], "holds no network"),
        (["--size", "1MiB", "--workers", "-1"], "-1"),
    ],
)
def test_plot_rejects_bad_arguments_with_one_line(tmp_path: Path, arguments: list[str], message: str) -> None:
    run("history", "synth", "--data-dir", str(tmp_path / "net"), "--segments", "1", "--preset", "minimal")
    arguments = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    code, output = run("plot", "--path", str(tmp_path / "farm"), "--archive", str(tmp_path / "net"), *arguments)
    assert code != 0
    assert message in output
    assert "Traceback" not in output
    assert not (tmp_path / "farm" / "plot.bin").exists()


def test_farm_info_on_a_non_farm(tmp_path: Path) -> None:
    code, output = run("farm", "info", str(tmp_path))
    assert code == 1
    assert "is not a farm" in output
