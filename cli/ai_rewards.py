"""`value` and `example-data`: the data valuation job (actors.ai.valuation) from the command line.

`value NAME=FILE.npz ... --validation FILE.npz` prints each contributor's Shapley value ± its standard error and
the signed micro-unit values DataRewards.accrue takes (as JSON on the last line). Contribution objects stored with
`autonomys put` are read back with `autonomys get OBJECT_ID -o FILE.npz` first. Exact Shapley by default; with
`--permutations M` truncated Monte-Carlo, in this process or, with `--workers N`, as Ray tasks on a private local
Ray of N CPUs. `example-data DIR` writes the four-contributor example (docs/ai-data-valuation.md) as .npz files.
Attached to the `ai` group in cli/main.py: `autonomys ai value`, `autonomys ai example-data`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from autonomys.actors.ai.valuation import (
    Contribution,
    Valuation,
    ValuationTask,
    dump_contribution,
    example_task,
    load_contribution,
    value_exact,
    value_tmc,
)
from autonomys.protocol.errors import ProtocolError


def _contribution(argument: str) -> Contribution:
    name, separator, path = argument.partition("=")
    if separator == "" or name == "" or path == "":
        raise click.BadParameter(f"{argument!r}: expected NAME=FILE.npz")
    try:
        return load_contribution(name, Path(path).read_bytes())
    except OSError as error:
        raise click.BadParameter(f"{path}: {error.strerror}") from error


@click.command("value")
@click.argument("contributions", nargs=-1, required=True, metavar="NAME=FILE.npz...")
@click.option("--validation", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="The held-out validation set (.npz with `features` and `labels`).")  # fmt: skip
@click.option("--permutations", type=click.IntRange(min=2), default=None,
              help="Run truncated Monte-Carlo with this many permutations (default: exact Shapley).")  # fmt: skip
@click.option("--seed", default="autonomys", show_default=True, help="Names the TMC permutations.")
@click.option("--tolerance", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="TMC truncation: stop a permutation once its prefix is this close to v(N).")  # fmt: skip
@click.option("--chunks", type=click.IntRange(min=1), default=4, show_default=True, help="TMC chunks (Ray tasks).")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="Run the TMC chunks as Ray tasks on a private local Ray of this many CPUs (0: in process).")  # fmt: skip
def value(contributions: tuple[str, ...], validation: Path, permutations: int | None, seed: str, tolerance: float,
          chunks: int, workers: int) -> None:  # fmt: skip
    """Each contributor's Shapley value for validation accuracy, and the values to accrue."""
    try:
        loaded = tuple(_contribution(argument) for argument in contributions)
        held_out = load_contribution("validation", validation.read_bytes())
        task = ValuationTask(loaded, held_out.features, held_out.labels)
        if permutations is None:
            result = value_exact(task)
        elif workers == 0:
            result = value_tmc(task, permutations, seed.encode(), tolerance=tolerance, chunks=chunks)
        else:
            result = _value_on_ray(task, permutations, seed.encode(), tolerance, chunks, workers)
    except ProtocolError as error:
        raise click.ClickException(str(error)) from error
    _print(result)


def _value_on_ray(
    task: ValuationTask, permutations: int, seed: bytes, tolerance: float, chunks: int, workers: int
) -> Valuation:
    from autonomys.network.compose import create_shapley_fan_out
    from autonomys.network.runtime import local_ray
    from autonomys.network.spec import ClusterSpec

    with local_ray(ClusterSpec(), num_cpus=workers):
        fan_out = create_shapley_fan_out()
        return value_tmc(task, permutations, seed, tolerance=tolerance, chunks=chunks, fan_out=fan_out)


def _print(result: Valuation) -> None:
    method = "exact" if result.permutations == 0 else f"TMC, {result.permutations} permutations"
    click.echo(f"Shapley values of validation accuracy ({method}):")
    fixed = result.fixed_point_values
    for name, shapley, error, micro in zip(
        result.contributors, result.values, result.standard_errors, fixed, strict=True
    ):
        click.echo(f"  {name:16} {shapley:+.6f} ± {error:.6f}   accrue {micro}")
    click.echo(json.dumps({"contributors": list(result.contributors), "values": list(fixed)}))


@click.command("example-data")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
def example_data(directory: Path, seed: int) -> None:
    """Write the four-contributor example (clean, duplicate, noisy, irrelevant) and validation.npz to DIRECTORY."""
    task = example_task(seed)
    directory.mkdir(parents=True, exist_ok=True)
    held_out = Contribution("validation", task.validation_features, task.validation_labels)
    for contribution in (*task.contributions, held_out):
        path = directory / f"{contribution.contributor}.npz"
        path.write_bytes(dump_contribution(contribution))
        click.echo(str(path))
