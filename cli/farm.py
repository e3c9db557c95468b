"""`autonomys plot`, `autonomys farm info` and `autonomys history synth`: farms on the command line.

Every failure the user can cause (a bad size, a missing archive, a farm of another preset, a full
disk) prints one line and exits non-zero; nothing is half-written.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.farming.farm import Farm, FarmError, plan_farm, read_description
from autonomys.actors.kzg_setup import setup_for
from autonomys.actors.plotting.plotter import (
    LocalRecordEncoder,
    Plotter,
    PlottingError,
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
        msg = f"{archive} holds no network (no genesis.json): run `autonomys devnet` or `autonomys history synth` first"
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
                f"({farm.description.pieces_in_sector} pieces, preset {params.name}); history: {history.history_size()} segments"
            )
            with _progress(console) as on_progress:
                plotted = Plotter(farm, history, history, encoder, on_progress).plot_pending()
            console.print(f"plotted {plotted} sectors; {len(farm.plotted_sectors())}/{farm.max_sectors} sectors are plotted")
    except USER_ERRORS as error:
        raise click.ClickException(str(error)) from error


@contextlib.contextmanager
def _encoder(params: Params, kzg_path: str | None, workers: int | None) -> Iterator[object]:
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


@contextlib.contextmanager
def _progress(console: Console) -> Iterator[object]:
    """A progress bar per sector on a terminal; one line per stage otherwise."""
    if not console.is_terminal:
        last: dict[int, str] = {}

        def print_stage(event: SectorProgress) -> None:
            if last.get(event.sector_index) != event.stage:
                last[event.sector_index] = event.stage
                console.print(f"sector {event.sector_index}: {event.stage}")

        yield print_stage
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        tasks: dict[int, object] = {}

        def update(event: SectorProgress) -> None:
            if event.sector_index not in tasks:
                tasks[event.sector_index] = progress.add_task(f"sector {event.sector_index}", total=event.records_total)
            description = f"sector {event.sector_index}: {event.stage}"
            progress.update(tasks[event.sector_index], completed=event.records_done, description=description)

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
                if history is not None and is_plotted_sector_expired(metadata, public_key_hash, history, current, opened.params)
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
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path(".autonomys"), show_default=True)
@click.option("--segments", type=click.IntRange(min=1), required=True, help="Archive until this many segments exist.")
@click.option("--preset", type=click.Choice(["dev", "minimal"]), default="minimal", show_default=True)
@click.option("--kzg", "kzg_path", type=click.Path(dir_okay=False), default=None, help="KZG ceremony file (default: dev setup).")
def history_synth(data_dir: Path, segments: int, preset: str, kzg_path: str | None) -> None:
    """Fill a network directory's archive with deterministic synthetic blocks (benchmarks, plotting trials)."""
    from autonomys.network.synth import synthesize_history

    try:
        params = get_preset(preset)
        with Progress(TextColumn("archiving"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as progress:
            task = progress.add_task("segments", total=segments)
            count = synthesize_history(
                data_dir, preset, setup_for(params.record_num_chunks, kzg_path), segments,
                on_segment=lambda archived: progress.update(task, completed=archived),
            )  # fmt: skip
    except USER_ERRORS as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{data_dir}: {count} segments archived")
