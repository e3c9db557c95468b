"""`autonomys plot`, `autonomys farm info` and `autonomys history synth`: farms on the command line.

Every failure the user can cause (a bad size, a missing archive, a farm of another preset, a full
disk) prints one line and exits non-zero; nothing is half-written.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.farming.farm import Farm, FarmError, plan_farm, read_description
from autonomys.actors.kzg_setup import setup_for
from autonomys.actors.plotting.plotter import (
    LocalRecordEncoder,
    Plotter,
    PlottingError,
    RecordEncoder,
    SectorProgress,
    is_plotted_sector_expired,
)
from autonomys.actors.storage import StorageError
from autonomys.network.genesis import ConfigError, load_genesis
from autonomys.protocol.errors import ProtocolError
from autonomys.protocol.params import Params, get_preset
from autonomys.protocol.plotting.sectors import compute_public_key_hash

SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3, "t": 1000**4, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}  # fmt: skip
USER_ERRORS = (FarmError, PlottingError, StorageError, ConfigError, ActorUnavailable, ProtocolError)
PLAIN_OVERALL_SECONDS = 30.0
"""Without a terminal, `plot` prints its overall progress after each sector and at least this often."""


class ByteSize(click.ParamType):
    """Sizes like 2GiB, 500MB, 1.5TiB or a plain number of bytes."""

    name = "size"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", str(value))
        if match is None or match.group(2).lower() not in SIZE_UNITS:
            self.fail(f"{value!r} is not a size (examples: 2GiB, 500MB, 1073741824)", param, ctx)
        size = int(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])
        if size <= 0:
            self.fail(f"{value!r} must be positive", param, ctx)
        return size


def network_params(archive: Path) -> Params:
    """The preset of the network whose data directory is `archive` (from its genesis config)."""
    genesis = load_genesis(archive)
    if genesis is None:
        msg = (
            f"{archive} holds no network (no genesis.json): run `autonomys devnet` first, or `autonomys history synth` "
            "and give --archive synthetic-history"
        )
        raise ConfigError(msg)
    return genesis.params()


@click.command()
@click.option("--path", "farm_path", type=click.Path(path_type=Path), required=True, help="The farm directory (one disk).")
@click.option("--size", type=ByteSize(), required=True, help="Space to allocate, e.g. 2GiB.")
@click.option("--workers", type=click.IntRange(min=0), default=None, help="Plotting workers (default: CPUs; 0: in-process).")
@click.option("--archive", type=click.Path(path_type=Path), default=Path(".autonomys"), show_default=True,
              help="The network data directory whose archived history is plotted.")  # fmt: skip
@click.option("--kzg", "kzg_path", type=click.Path(dir_okay=False), default=None, help="KZG ceremony file (default: dev setup).")
def plot(farm_path: Path, size: int, workers: int | None, archive: Path, kzg_path: str | None) -> None:
    """Create (or continue) a farm and plot its free and expired sectors from archived history."""
    console = Console()
    try:
        params = network_params(archive)
        plan_farm(size, params)
        history = ArchiveHistory(archive, params)
        with Farm.create_or_open(farm_path, size, params) as farm, _encoder(params, kzg_path, workers) as encoder:
            console.print(
                f"farm {farm_path}: {farm.max_sectors} sectors of {farm.sector_size:,} bytes "
                f"({farm.description.pieces_in_sector} pieces, preset {params.name}); history: {history.history_size()} segments",
                soft_wrap=True,
            )
            plotter = Plotter(farm, history, history, encoder)
            pending = len(plotter.sectors_to_plot(history.history_size()))
            overall = OverallProgress(pending, farm.description.pieces_in_sector)
            with _progress(console, overall) as on_progress:
                plotter.on_progress = on_progress
                plotted = plotter.plot_pending()
            console.print(
                f"plotted {plotted} sectors in {format_seconds(overall.elapsed())}; "
                f"{len(farm.plotted_sectors())}/{farm.max_sectors} sectors are plotted",
                soft_wrap=True,
            )
    except USER_ERRORS as error:
        raise click.ClickException(str(error)) from error


@contextlib.contextmanager
def _encoder(params: Params, kzg_path: str | None, workers: int | None) -> Iterator[RecordEncoder]:
    """In-process encoding for --workers 0; otherwise plotting tasks on an embedded Ray instance."""
    setup = setup_for(params.record_num_chunks, kzg_path)
    if workers == 0:
        yield LocalRecordEncoder(params, setup)
        return
    from autonomys.network.compose import create_record_encoder  # Ray loads only when needed
    from autonomys.network.runtime import local_ray
    from autonomys.network.spec import ClusterSpec

    count = workers if workers is not None else max(1, os.cpu_count() or 1)
    with local_ray(ClusterSpec(preset=params.name), num_cpus=count, plotting_workers=count):
        yield create_record_encoder(params, setup)


class OverallProgress:
    """Progress of a whole `plot` run: sectors written, records encoded, elapsed time and an ETA.

    Downloading a sector's pieces and encoding its records are each counted as half of its work, so the ETA
    (elapsed time scaled by the work left) holds through both stages."""

    def __init__(self, sectors_total: int, pieces_in_sector: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.sectors_total = sectors_total
        self.pieces_in_sector = pieces_in_sector
        self.clock = clock
        self.started = clock()
        self.sectors_done = 0
        self._downloaded = 0
        self._encoded = 0

    def on_event(self, event: SectorProgress) -> None:
        if event.stage == "written":
            self.sectors_done += 1
            self._downloaded = self._encoded = 0
        elif event.stage in ("downloading", "downloaded"):
            self._downloaded, self._encoded = event.records_done, 0
        elif event.stage in ("encoding", "encoded"):
            self._downloaded, self._encoded = self.pieces_in_sector, event.records_done
        else:  # writing: every record is encoded
            self._downloaded = self._encoded = self.pieces_in_sector

    @property
    def records_total(self) -> int:
        return self.sectors_total * self.pieces_in_sector

    @property
    def records_done(self) -> int:
        return min(self.records_total, self.sectors_done * self.pieces_in_sector + self._encoded)

    def fraction(self) -> float:
        if self.sectors_total == 0:
            return 1.0
        in_flight = (self._downloaded + self._encoded) / (2 * self.pieces_in_sector)
        return min(1.0, (self.sectors_done + in_flight) / self.sectors_total)

    def elapsed(self) -> float:
        return self.clock() - self.started

    def eta(self) -> float | None:
        """Seconds left at the rate so far; None before any work is done."""
        done = self.fraction()
        return self.elapsed() * (1 - done) / done if done > 0 else None

    def describe(self, *, elapsed: bool = True) -> str:
        """'2/5 sectors, 64/160 records, 1:12 elapsed, ETA 1:48' (without the elapsed time next to a bar)."""
        eta = self.eta()
        spent = f"{format_seconds(self.elapsed())} elapsed, " if elapsed else ""
        return (
            f"{self.sectors_done}/{self.sectors_total} sectors, {self.records_done}/{self.records_total} records, "
            f"{spent}ETA {'-' if eta is None else format_seconds(eta)}"
        )


def format_seconds(seconds: float) -> str:
    """1:02:03 above an hour, 2:03 above a minute, else 4.5 s."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@contextlib.contextmanager
def _progress(console: Console, overall: OverallProgress) -> Iterator[Callable[[SectorProgress], None]]:
    """On a terminal, a bar for the whole run (sectors, records, ETA) above one per sector in flight. Otherwise a
    line per stage of each sector, and an `overall:` line after each sector and at most PLAIN_OVERALL_SECONDS apart."""
    if not console.is_terminal:
        last: dict[int, str] = {}
        printed_at = [overall.clock()]

        def print_stage(event: SectorProgress) -> None:
            overall.on_event(event)
            if last.get(event.sector_index) != event.stage:
                last[event.sector_index] = event.stage
                console.print(f"sector {event.sector_index}: {event.stage}")
            now = overall.clock()
            if event.stage == "written" or now - printed_at[0] >= PLAIN_OVERALL_SECONDS:
                printed_at[0] = now
                console.print(f"overall: {overall.describe()}", soft_wrap=True)

        yield print_stage
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[detail]}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        whole = progress.add_task("all sectors", total=1.0, detail=overall.describe(elapsed=False))
        tasks: dict[int, TaskID] = {}

        def update(event: SectorProgress) -> None:
            overall.on_event(event)
            progress.update(whole, completed=overall.fraction(), detail=overall.describe(elapsed=False))
            if event.sector_index not in tasks:
                tasks[event.sector_index] = progress.add_task("", total=event.records_total, detail="")
            progress.update(
                tasks[event.sector_index], completed=event.records_done,
                description=f"sector {event.sector_index}: {event.stage}",
                detail=f"{event.records_done}/{event.records_total} records",
            )  # fmt: skip
            if event.stage == "written":  # the overall bar counts it: only sectors in flight keep a bar
                progress.remove_task(tasks.pop(event.sector_index))

        yield update


@click.group()
def farm() -> None:
    """Inspect farms."""


@farm.command("info")
@click.argument("farm_path", type=click.Path(path_type=Path))
@click.option("--archive", type=click.Path(path_type=Path), default=None, help="Also show expiry against this network.")
def farm_info(farm_path: Path, archive: Path | None) -> None:
    """Show a farm's size, key and the state of each sector."""
    try:
        description = read_description(farm_path)
        with Farm.open(farm_path) as opened:
            plotted = opened.plotted_sectors()
            history = ArchiveHistory(archive, opened.params) if archive is not None else None
            current = history.history_size() if history is not None else None
            public_key_hash = compute_public_key_hash(opened.identity.public_key)
            expired = {
                index
                for index, metadata in plotted.items()
                if history is not None
                and current is not None
                and is_plotted_sector_expired(metadata, public_key_hash, history, current, opened.params)
            }
    except USER_ERRORS as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"farm {farm_path} ({description.farm_id}), preset {description.preset}")
    click.echo(f"public key {description.public_key}")
    click.echo(
        f"{description.max_sectors} sectors × {description.sector_size:,} bytes ({description.pieces_in_sector} pieces), "
        f"{description.allocated_bytes:,} bytes allocated; {len(plotted)} plotted"
    )
    for index in range(description.max_sectors):
        metadata = plotted.get(index)
        if metadata is None:
            click.echo(f"  sector {index}: free")
            continue
        state = "expired" if index in expired else "plotted"
        click.echo(f"  sector {index}: {state}, history size {metadata.history_size}")


@click.group()
def history() -> None:
    """Archived history tools."""


@history.command("synth")
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=Path("synthetic-history"), show_default=True,
    help="A directory of its own (never a devnet's: refused); a later run extends it.",
)  # fmt: skip
@click.option("--segments", type=click.IntRange(min=1), required=True, help="Archive until this many segments exist.")
@click.option("--preset", type=click.Choice(["dev", "minimal"]), default="minimal", show_default=True)
@click.option("--kzg", "kzg_path", type=click.Path(dir_okay=False), default=None, help="KZG ceremony file (default: dev setup).")
def history_synth(data_dir: Path, segments: int, preset: str, kzg_path: str | None) -> None:
    """Archive deterministic synthetic blocks into a directory of their own (benchmarks, plotting trials)."""
    from autonomys.network.synth import check_synthetic_dir, synthesize_history

    try:
        check_synthetic_dir(data_dir)  # before the progress bar: a refused directory prints only the error
        params = get_preset(preset)
        with Progress(TextColumn("archiving"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as progress:
            task = progress.add_task("segments", total=segments)
            count = synthesize_history(
                data_dir, preset, setup_for(params.record_num_chunks, kzg_path), segments,
                on_segment=lambda archived: progress.update(task, completed=archived),
            )  # fmt: skip
    except USER_ERRORS as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{data_dir}: {count} segment{'' if count == 1 else 's'} archived")
