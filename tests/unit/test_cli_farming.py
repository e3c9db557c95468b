"""`autonomys farm summary`, `plots check` and `benchmark audit|prove` on a small MINIMAL farm (no Ray started)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.farming.farm import PLOT_FILE, Farm
from autonomys.actors.farming.farm_check import AuditBenchmark
from autonomys.actors.farming.farmer import STATUS_FILE, write_status_file
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.messages import CorruptSector, FarmerStatus
from autonomys.cli.main import main
from autonomys.cli.plots import describe_farmer_status, describe_per_tib, format_age, format_duration
from autonomys.protocol.params import DEV, MAINNET, MINIMAL
from autonomys.protocol.plotting.sectors import compute_sector_layout, compute_sector_size
from helpers.farms import farm_size, plotted_farm

SECTORS = 3


@dataclass(frozen=True)
class Network:
    archive: Path
    farm: Path


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(argument) for argument in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """A MINIMAL network directory with 2 archived segments and a farm of 3 sectors plotted from it."""
    root = tmp_path_factory.mktemp("cli-farming")
    code, output = run("history", "synth", "--data-dir", root / "net", "--segments", "2", "--preset", "minimal")
    assert code == 0, output
    setup = KzgSetup(num_g1_powers=MINIMAL.record_num_chunks, cache_dir=str(root / "kzg"))
    history = ArchiveHistory(root / "net", MINIMAL)
    try:
        plotted_farm(root / "farm", history, setup, SECTORS, MINIMAL)
    finally:
        history.close()
    return Network(root / "net", root / "farm")


def copy_farm(network: Network, destination: Path) -> Path:
    return Path(shutil.copytree(network.farm, destination / "farm"))


def sector_lines(output: str) -> dict[int, str]:
    """The rows of the per-sector table, by sector index."""
    rows = {}
    for line in output.splitlines():
        fields = line.split()
        if len(fields) > 6 and fields[0].isdigit():
            rows[int(fields[0])] = line
    return rows


def files_under(path: Path) -> set[Path]:
    return set(path.rglob("*"))


# ---- plots check ----


def test_check_clean_farm(network: Network) -> None:
    code, output = run("plots", "check", network.farm, "-n", "3", "--seed", "5", "--archive", network.archive)
    assert code == 0, output
    assert "seed 5, pieces checked against" in output
    assert "checksum: 3/3" in output and "proving: 9/9" in output
    rows = sector_lines(output)
    assert sorted(rows) == list(range(SECTORS))
    assert all(row.split()[2:] == ["ok", "3", "3", "3", "ok"] for row in rows.values())
    assert "proof ratio 1.000 (9/9 proofs verified: 3 sectors × 3 trials); corrupt sectors: 0" in output
    assert not (network.farm / STATUS_FILE).exists()


def test_check_prints_its_random_seed(network: Network) -> None:
    code, output = run("plots", "check", network.farm, "-n", "1")
    assert code == 0, output
    assert "1 trials per sector, seed " in output


def test_check_reports_a_flipped_byte_in_one_sector(network: Network, tmp_path: Path) -> None:
    farm_path = copy_farm(network, tmp_path)
    with Farm.open(farm_path) as farm:
        offset = farm.sector_size + compute_sector_layout(MINIMAL.max_pieces_in_sector, MINIMAL).s_buckets_start + 64
    with open(farm_path / PLOT_FILE, "r+b") as plot:  # noqa: PTH123
        plot.seek(offset)
        byte = plot.read(1)[0]
        plot.seek(offset)
        plot.write(bytes([byte ^ 0x01]))
    code, output = run("plots", "check", farm_path, "-n", "3", "--seed", "5")
    assert code == 1, output
    rows = sector_lines(output)
    assert "CORRUPT: sector checksum mismatch" in rows[1]
    assert rows[1].split()[2] == "BAD"
    assert rows[0].endswith(" ok") and rows[2].endswith(" ok")
    assert "corrupt sectors: 1" in output
    assert "Traceback" not in output


def test_check_reports_a_truncated_plot(network: Network, tmp_path: Path) -> None:
    farm_path = copy_farm(network, tmp_path)
    os.truncate(farm_path / PLOT_FILE, os.path.getsize(farm_path / PLOT_FILE) - 1000)
    code, output = run("plots", "check", farm_path, "-n", "2")
    assert code == 1
    # Only the last sector lost bytes: it is the one reported, the others still check out.
    rows = sector_lines(output)
    assert rows[2].split()[2] == "BAD"
    assert rows[0].endswith(" ok") and rows[1].endswith(" ok")
    assert "corrupt sectors: 1" in output
    assert "Traceback" not in output


# ---- bad arguments ----


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["plots", "check", "{tmp}/nowhere"], "does not exist"),
        (["plots", "check", "{tmp}"], "is not a farm"),
        (["plots", "check", "{farm}", "-n", "0"], "must be at least 1, got 0"),
        (["plots", "check", "{farm}", "-n", "-2"], "must be at least 1, got -2"),
        (["plots", "check", "{empty}"], "no plotted sector"),
        (["plots", "check", "{farm}", "--archive", "{tmp}/nowhere"], "holds no network"),
        (["plots", "check", "{farm}", "--kzg", "{tmp}/missing.bin"], "cannot read the KZG setup"),
        (["farm", "summary", "{farm}", "{tmp}/nowhere"], "does not exist"),
        (["farm", "summary", "{tmp}/file.txt"], "is not a directory"),
        (["benchmark", "audit", "{farm}", "--slots", "0"], "must be at least 1"),
        (["benchmark", "audit", "{empty}"], "no plotted sector"),
        (["benchmark", "prove", "{tmp}"], "is not a farm"),
        (["benchmark", "prove", "{farm}", "--count", "0"], "must be at least 1"),
    ],
)
def test_bad_arguments_print_one_line(network: Network, tmp_path: Path, arguments: list[str], message: str) -> None:
    farm_path = copy_farm(network, tmp_path)
    Farm.create_or_open(tmp_path / "empty", farm_size(1, MINIMAL), MINIMAL).close()
    (tmp_path / "file.txt").write_text("not a farm")
    before = files_under(tmp_path)
    names = {"{tmp}": str(tmp_path), "{farm}": str(farm_path), "{empty}": str(tmp_path / "empty")}
    for placeholder, value in names.items():
        arguments = [argument.replace(placeholder, value) for argument in arguments]
    code, output = run(*arguments)
    assert code != 0
    assert message in output
    assert output.strip().count("\n") == 0, output
    assert "Traceback" not in output
    assert files_under(tmp_path) == before


# ---- farm summary ----


def farmer_status(farm_path: Path) -> FarmerStatus:
    return FarmerStatus(
        farm_id="f" * 32,
        path=str(farm_path),
        public_key="00" * 32,
        max_sectors=SECTORS,
        sectors_plotted=SECTORS,
        sectors_about_to_expire=0,
        sectors_expired=0,
        history_size=2,
        slots_audited=120,
        slots_skipped=3,
        last_audit_seconds=0.0004,
        mean_audit_seconds=0.00035,
        candidates_found=40,
        proofs_succeeded=12,
        proofs_failed=1,
        proofs_timed_out=2,
        mean_proving_seconds=0.0205,
        last_proving_seconds=0.021,
        solutions_submitted=11,
        corrupt_sectors=(CorruptSector(1, "proving failed: bad chunk"),),
        last_error="sector 1 is corrupt: bad chunk",
    )


def test_summary_without_a_farmer(network: Network) -> None:
    code, output = run("farm", "summary", network.farm, "--archive", network.archive)
    assert code == 0, output
    assert f"farm {network.farm} (" in output and "preset minimal" in output
    assert "sectors: 3/3 plotted, 0 free; 0 about to expire, 0 expired (history size 2)" in output
    assert "farmer: no status" in output


def test_summary_shows_the_farmer_status(network: Network, tmp_path: Path) -> None:
    farm_path = copy_farm(network, tmp_path)
    write_status_file(farm_path, farmer_status(farm_path))
    empty = tmp_path / "empty"
    Farm.create_or_open(empty, farm_size(2, MINIMAL), MINIMAL).close()
    code, output = run("farm", "summary", farm_path, empty)
    assert code == 0, output
    assert "farmer (status 0 s old): 120 slots audited, 3 skipped; audit last 400.0 µs, mean 350.0 µs" in output
    assert (
        "proofs: 12 ok, 1 failed, 2 timed out; proving last 21.00 ms, mean 20.50 ms; 11 solutions submitted" in output
    )
    assert "corrupt sectors: 1 (sector 1: proving failed: bad chunk)" in output
    assert "last error: sector 1 is corrupt: bad chunk" in output
    assert "sectors: 3/3 plotted, 0 free" in output
    assert "sectors: 0/2 plotted, 2 free" in output
    assert output.count("farmer: no status") == 1


def test_status_age_and_durations() -> None:
    lines = describe_farmer_status({"updated_at": 1000.0}, now=1000.0 + 7200)
    assert lines[0].startswith("  farmer (status 2.0 h old): 0 slots audited")
    assert "corrupt sectors: none" in lines[2]
    assert (format_age(30), format_age(600), format_duration(2.5)) == ("30 s", "10 min", "2.50 s")


# ---- benchmarks ----


def test_benchmark_audit(network: Network) -> None:
    code, output = run("benchmark", "audit", network.farm, "--slots", "10", "--seed", "1")
    assert code == 0, output
    assert "3 sectors of 17,600 bytes audited per slot, 10 slots" in output
    assert "per slot" in output and "per sector" in output and "bytes read per slot" in output
    assert "per TiB: not extrapolated, minimal is a test preset" in output  # 62,472,252 tiny sectors say nothing
    assert "per TiB of such sectors" not in output


def test_benchmark_audit_extrapolates_realistic_sectors_only() -> None:
    dev_sector = compute_sector_size(DEV.max_pieces_in_sector, DEV)
    result = AuditBenchmark(slots=10, sectors_audited=2, sector_size=dev_sector, seconds_per_slot=2e-3, bytes_read_per_slot=0)
    assert describe_per_tib(result, DEV).startswith(f"per TiB of such sectors ({2**40 / dev_sector:,.0f} sectors): ")
    assert describe_per_tib(result, MAINNET).startswith("per TiB of such sectors")
    assert describe_per_tib(replace(result, sector_size=17_600), MINIMAL).startswith("per TiB: not extrapolated")


def test_benchmark_prove(network: Network) -> None:
    code, output = run("benchmark", "prove", network.farm, "--count", "2", "--seed", "1")
    assert code == 0, output
    assert "2 proofs from" in output
    assert "proving: min " in output and "median" in output
    assert "verification: " in output
    assert "solution size: 412 bytes" in output
