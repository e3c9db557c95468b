"""`autonomys farm summary`, `plots check` and `benchmark audit|prove`: a farm's health on the command line.

The logic lives in actors.farming.farm_check; this module parses arguments, shows progress and prints tables.
Every failure the user can cause (a missing directory, not a farm, a bad count, nothing plotted) prints
one line and exits non-zero. `plots check` exits 1 when a sector is corrupt or a proof fails to verify.
"""

from __future__ import annotations

import contextlib
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.farming.farm import Farm, FarmError
from autonomys.actors.farming.farm_check import (
    AuditBenchmark,
    CheckProgress,
    FarmCheckError,
    FarmCheckReport,
    SectorCheck,
    benchmark_audit,
    benchmark_prove,
    check_farm,
    count_expiring_sectors,
    require_plotted_sectors,
)
from autonomys.actors.farming.farmer import STATUS_FILE, read_status_file
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.cli.farm import USER_ERRORS, network_params
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import Params

CHECK_ERRORS = (*USER_ERRORS, FarmCheckError)
PLAIN_PROGRESS_STEPS = 4
"""Without a terminal, each stage prints a line at each quarter done."""
SEED_BITS = 32


# ---- shared helpers ----


def open_farm(path: Path) -> Farm:
    """The farm at `path`; FarmError with one line when the path is missing, not a directory or not a farm."""
    if not path.exists():
        raise FarmError(f"{path} does not exist")
    if not path.is_dir():
        raise FarmError(f"{path} is not a directory")
    return Farm.open(path)


@contextlib.contextmanager
def open_history(archive: Path | None, params: Params) -> Iterator[ArchiveHistory | None]:
    """The archive of the network at `archive` (read-only), checked to be of the farm's preset; None without one."""
    if archive is None:
        yield None
        return
    network = network_params(archive)
    if network.name != params.name:
        raise FarmError(f"{archive} is a {network.name} network; the farm is {params.name}")
    history = ArchiveHistory(archive, params)
    try:
        yield history
    finally:
        history.close()


def load_farm_kzg(params: Params, kzg_path: str | None) -> Kzg:
    """The KZG setup for the farm's preset: the ceremony file, or the (cached) dev setup."""
    try:
        return load_kzg(setup_for(params.record_num_chunks, kzg_path))
    except OSError as error:
        raise FarmError(f"cannot read the KZG setup {kzg_path}: {error.strerror or error}") from error


def format_duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_age(seconds: float) -> str:
    if seconds < 120:
        return f"{max(0.0, seconds):.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def require_positive(name: str, value: int) -> None:
    if value <= 0:
        raise FarmCheckError(f"{name} must be at least 1, got {value}")


# ---- farm summary ----


@click.command("summary")
@click.argument("farm_paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--archive", type=click.Path(path_type=Path), default=None, help="Also count expiring sectors against this network."
)
def farm_summary(farm_paths: tuple[Path, ...], archive: Path | None) -> None:
    """Show each farm's sectors and what its farmer last reported (farmer-status.json)."""
    try:
        lines = [line for path in farm_paths for line in summarise_farm(path, archive)]
    except CHECK_ERRORS as error:
        raise click.ClickException(str(error)) from error
    for line in lines:
        click.echo(line)


def summarise_farm(path: Path, archive: Path | None) -> list[str]:
    with open_farm(path) as farm:
        description = farm.description
        plotted = len(farm.plotted_sectors())
        lines = [f"farm {path} ({description.farm_id}), preset {description.preset}"]
        sectors = f"  sectors: {plotted}/{farm.max_sectors} plotted, {farm.max_sectors - plotted} free"
        with open_history(archive, farm.params) as history:
            if history is not None:
                about, expired = count_expiring_sectors(farm, history)
                sectors += f"; {about} about to expire, {expired} expired (history size {history.history_size()})"
        lines.append(sectors)
    return lines + describe_farmer_status(read_status_file(path))


def describe_farmer_status(status: dict | None, now: float | None = None) -> list[str]:
    """The farmer's last reported metrics, as indented lines."""
    if status is None:
        return [f"  farmer: no status ({STATUS_FILE} not found: no farmer has run on this farm)"]
    age = (time.time() if now is None else now) - float(status.get("updated_at", 0.0))

    def number(key: str) -> float:
        return status.get(key, 0)

    lines = [
        f"  farmer (status {format_age(age)} old): {number('slots_audited')} slots audited, "
        f"{number('slots_skipped')} skipped; audit last {format_duration(number('last_audit_seconds'))}, "
        f"mean {format_duration(number('mean_audit_seconds'))}",
        f"    proofs: {number('proofs_succeeded')} ok, {number('proofs_failed')} failed, "
        f"{number('proofs_timed_out')} timed out; proving last {format_duration(number('last_proving_seconds'))}, "
        f"mean {format_duration(number('mean_proving_seconds'))}; {number('solutions_submitted')} solutions submitted",
        "    corrupt sectors: " + describe_corrupt_sectors(status.get("corrupt_sectors") or []),
    ]
    if status.get("last_error"):
        lines.append(f"    last error: {status['last_error']}")
    return lines


def describe_corrupt_sectors(corrupt: list[dict]) -> str:
    if not corrupt:
        return "none"
    named = "; ".join(f"sector {entry.get('sector_index')}: {entry.get('reason')}" for entry in corrupt)
    return f"{len(corrupt)} ({named})"


# ---- plots check ----


@click.group()
def plots() -> None:
    """Check plotted sectors."""


@plots.command("check")
@click.argument("farm_path", type=click.Path(path_type=Path))
@click.option("-n", "--trials", type=int, default=30, show_default=True, help="Random challenges proven per sector.")
@click.option("--seed", type=int, default=None, help="Seed of the challenges (default: random, printed).")
@click.option(
    "--kzg", "kzg_path", type=click.Path(dir_okay=False), default=None, help="KZG ceremony file (default: dev setup)."
)
@click.option(
    "--archive", type=click.Path(path_type=Path), default=None, help="Also check pieces against this network."
)
def plots_check(farm_path: Path, trials: int, seed: int | None, kzg_path: str | None, archive: Path | None) -> None:
    """Verify every sector's checksum and prove random challenges; exit 1 if a sector is corrupt or a proof fails."""
    console = Console()
    seed = random.getrandbits(SEED_BITS) if seed is None else seed
    try:
        require_positive("-n/--trials", trials)
        with open_farm(farm_path) as farm, open_history(archive, farm.params) as history:
            require_plotted_sectors(farm)
            kzg = load_farm_kzg(farm.params, kzg_path)
            pieces = f", pieces checked against {archive}" if history is not None else ""
            click.echo(
                f"checking farm {farm_path} ({farm.description.farm_id}): {trials} trials per sector, seed {seed}{pieces}"
            )
            with check_progress(console) as on_progress:
                report = check_farm(farm, kzg, trials, seed, history, on_progress)
    except CHECK_ERRORS as error:
        raise click.ClickException(str(error)) from error
    for line in describe_check(report):
        click.echo(line)
    sys.exit(0 if report.is_ok else 1)


@contextlib.contextmanager
def check_progress(console: Console) -> Iterator[Callable[[CheckProgress], None]]:
    """A bar per stage on a terminal; otherwise a line per quarter of each stage."""
    if not console.is_terminal:
        printed: set[tuple[str, int]] = set()

        def print_line(event: CheckProgress) -> None:
            step = event.done * PLAIN_PROGRESS_STEPS // max(1, event.total)
            if step > 0 and (event.stage, step) not in printed:
                printed.add((event.stage, step))
                click.echo(f"{event.stage}: {event.done}/{event.total}")

        yield print_line
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def update(event: CheckProgress) -> None:
            if event.stage not in tasks:
                tasks[event.stage] = progress.add_task(event.stage, total=event.total)
            progress.update(tasks[event.stage], completed=event.done)

        yield update


SECTOR_TABLE_HEADER = (
    f"{'sector':>6}  {'history':>7}  {'checksum':<8}  {'trials':>6}  {'proofs':>6}  {'verified':>8}  result"
)


def describe_check(report: FarmCheckReport) -> list[str]:
    """The per-sector table and the summary line."""
    lines = [SECTOR_TABLE_HEADER] + [describe_sector(sector) for sector in report.sectors]
    lines.append(
        f"proof ratio {report.proof_ratio:.3f} ({report.proofs_verified}/{report.proofs_expected} proofs verified: "
        f"{len(report.sectors)} sectors × {report.trials} trials); corrupt sectors: {len(report.corrupt_sectors)}; "
        f"failed verifications: {report.failed_proofs}; {report.seconds:.1f} s"
    )
    return lines


def describe_sector(sector: SectorCheck) -> str:
    checksum = "ok" if sector.checksum_error is None else "BAD"
    columns = (
        f"{sector.sector_index:>6}  {sector.history_size:>7}  {checksum:<8}  {sector.trials:>6}  "
        f"{sector.proofs_found:>6}  {sector.proofs_verified:>8}"
    )
    return f"{columns}  {describe_sector_result(sector)}"


def describe_sector_result(sector: SectorCheck) -> str:
    if sector.is_corrupt:
        reasons = [reason for reason in (sector.checksum_error, sector.corrupt_reason) if reason is not None]
        return "CORRUPT: " + "; ".join(reasons)
    if sector.failures:
        more = f" (+{len(sector.failures) - 1} more)" if len(sector.failures) > 1 else ""
        return f"FAILED: {sector.failures[0]}{more}"
    return "ok"


# ---- benchmarks ----


@click.group()
def benchmark() -> None:
    """Time the farmer's audit and proving on a farm."""


@benchmark.command("audit")
@click.argument("farm_path", type=click.Path(path_type=Path))
@click.option("--slots", type=int, default=100, show_default=True, help="Random slots to audit.")
@click.option("--seed", type=int, default=None, help="Seed of the slots.")
def benchmark_audit_command(farm_path: Path, slots: int, seed: int | None) -> None:
    """Audit random slots the way the farmer does and print the time per slot, per sector and (for DEV and MAINNET
    farms) per TiB."""
    try:
        require_positive("--slots", slots)
        with open_farm(farm_path) as farm:
            params = farm.params
            result = benchmark_audit(farm, slots, seed)
    except CHECK_ERRORS as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"farm {farm_path}: {result.sectors_audited} sectors of {result.sector_size:,} bytes audited per slot, "
        f"{result.slots} slots"
    )
    click.echo(
        f"audit: {format_duration(result.seconds_per_slot)} per slot, {format_duration(result.seconds_per_sector)} per sector, "
        f"{result.bytes_read_per_slot:,.0f} bytes read per slot"
    )
    click.echo(describe_per_tib(result, params))


REALISTIC_SECTOR_PRESETS = ("dev", "mainnet")
"""Presets whose sectors are real-sized (DEV 32 pieces, MAINNET 1,000): their audit time scales to a TiB."""


def describe_per_tib(result: AuditBenchmark, params: Params) -> str:
    """The audit time scaled to a TiB of such sectors, for realistic sector sizes only: a test preset's tiny sectors
    (MINIMAL: 17,600 bytes) cost mostly per-sector overhead, and millions of them say nothing about a real farm."""
    if params.name not in REALISTIC_SECTOR_PRESETS:
        return (
            f"per TiB: not extrapolated, {params.name} is a test preset: its {result.sector_size:,}-byte sectors cost "
            f"mostly per-sector overhead, and a TiB of them ({result.sectors_per_tib:,.0f} sectors) is no real farm; "
            f"benchmark a {' or '.join(REALISTIC_SECTOR_PRESETS)} farm for this figure"
        )
    return f"per TiB of such sectors ({result.sectors_per_tib:,.0f} sectors): {format_duration(result.seconds_per_tib)} per slot"


@benchmark.command("prove")
@click.argument("farm_path", type=click.Path(path_type=Path))
@click.option("--count", type=int, default=10, show_default=True, help="Proofs to time.")
@click.option("--seed", type=int, default=None, help="Seed of the challenges.")
@click.option(
    "--kzg", "kzg_path", type=click.Path(dir_okay=False), default=None, help="KZG ceremony file (default: dev setup)."
)
def benchmark_prove_command(farm_path: Path, count: int, seed: int | None, kzg_path: str | None) -> None:
    """Prove the nearest encoded chunk of random challenges, verify each solution, and print the times."""
    try:
        require_positive("--count", count)
        with open_farm(farm_path) as farm:
            result = benchmark_prove(farm, load_farm_kzg(farm.params, kzg_path), count, seed)
    except CHECK_ERRORS as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"farm {farm_path}: {result.proofs} proofs from {result.challenges} challenges")
    click.echo(
        f"proving: min {format_duration(result.proving_min)}, median {format_duration(result.proving_median)}, "
        f"max {format_duration(result.proving_max)} per proof"
    )
    click.echo(f"verification: {format_duration(result.verification_mean)} per solution (mean)")
    click.echo(f"solution size: {result.solution_size} bytes")
