"""`autonomys devnet`: the whole network on an embedded Ray instance, with a live view and a summary.

The command prepares the data directory and the genesis (network.genesis), plans the farms, starts Ray
(network.runtime) and every role (network.compose.start_network), then watches until `--slots` or Ctrl-C. Its
output may be a pipe whose reader dies with the same Ctrl-C: the network still stops cleanly and the summary is
still saved in the data directory (cli.views.SUMMARY_FILE).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO, cast

import click
from rich.console import Console

from autonomys.actors.errors import ActorUnavailable, CorruptStore
from autonomys.actors.storage import StorageError
from autonomys.cli.signals import PipeSafeStream, stop_on_signals
from autonomys.network.farms import devnet_farms
from autonomys.network.genesis import ConfigError, PreparedNetwork, prepare_network
from autonomys.network.spec import ClusterSpec
from autonomys.protocol.domains.faults import FAULT_KINDS
from autonomys.protocol.errors import ProtocolError


class StatePruning(click.ParamType):
    """`archive` (None: keep every state) or a window N >= 0."""

    name = "archive|N"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int | None:
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip()
        if text == "archive":
            return None
        if text.isdigit():
            return int(text)
        self.fail(f"{value!r} is neither `archive` nor a number of blocks", param, ctx)


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path(".autonomys"), show_default=True)
@click.option("--slots", type=click.IntRange(min=1), default=None, help="Stop after N slots and print a summary.")
@click.option("--preset", type=click.Choice(["dev", "minimal"]), default="dev", show_default=True)
@click.option("--pin-cpu", type=click.IntRange(min=0), default=None, help="Pin the timekeeper's prover to this CPU.")
@click.option(
    "--plotting-workers", type=click.IntRange(min=1), default=None, help="Plotting worker units (default: CPUs - 1)."
)
@click.option("--cache-peers", type=click.IntRange(min=0), default=2, show_default=True, help="Standalone DSN cache peers.")
@click.option(
    "--cache-percentage", type=click.FloatRange(min=0, max=50), default=1.0, show_default=True,
    help="Share of each farm its farmer dedicates to a cache peer (none when it is below one piece).",
)  # fmt: skip
@click.option(
    "--state-pruning", type=StatePruning(), default="0", show_default=True, metavar="archive|N",
    help="States kept below the best block for proofs at old blocks: `archive` keeps all, N the last N "
    "(the unfinalized ones are always kept).",
)  # fmt: skip
@click.option(
    "--domain", "domains", multiple=True, metavar="RUNTIME",
    help="Run a domain of this runtime (repeatable; `balances` or `evm`) with two operators. Fixed when the network is "
    "created; a resumed network keeps its domains.",
)  # fmt: skip
@click.option(
    "--rpc-port", type=click.IntRange(min=0, max=65535), default=8545, show_default=True,
    help="Serve each EVM domain's Ethereum JSON-RPC on 127.0.0.1 from this port (0: free ports).",
)  # fmt: skip
@click.option(
    "--faulty-operator", type=click.Choice(FAULT_KINDS), default=None,
    help="Turn each domain's second operator faulty: it lies in its receipts (a wrong trace root, extrinsics root, a "
    "valid bundle marked invalid, or wrong fees) until a fraud proof gets it slashed.",
)  # fmt: skip
def devnet(
    data_dir: Path,
    slots: int | None,
    preset: str,
    pin_cpu: int | None,
    plotting_workers: int | None,
    cache_peers: int,
    cache_percentage: float,
    state_pruning: int | None,
    domains: tuple[str, ...],
    rpc_port: int,
    faulty_operator: str | None,
) -> None:
    """Run a local network on an embedded Ray instance (Ctrl-C stops it; restart continues the chain)."""
    from autonomys.cli import views  # Ray loads when the command runs, not with the CLI
    from autonomys.network.compose import NetworkPlan, start_network
    from autonomys.network.runtime import local_ray

    # An io.TextIOBase, which typeshed does not count as the IO[str] rich asks for.
    console = Console(file=cast(TextIO, PipeSafeStream(sys.stdout)))
    spec = ClusterSpec(preset=preset, cache_peers=cache_peers, cache_percentage=cache_percentage)
    cpus = os.cpu_count() or 2
    workers = plotting_workers if plotting_workers is not None else max(1, cpus - 1)
    try:
        prepared = prepare_network(preset, data_dir, _checked_domains(domains) or None)
        if faulty_operator is not None and not prepared.genesis.domains:
            raise click.BadParameter("a faulty operator needs a domain (--domain)", param_hint="--faulty-operator")
        plan = NetworkPlan(
            spec, prepared.data_dir, prepared.genesis, devnet_farms(prepared.genesis, prepared.data_dir), pin_cpu=pin_cpu,
            archiver_workers=max(1, cpus - 1), state_window=state_pruning, rpc_port=rpc_port,
            faulty_operator=faulty_operator,
        )  # fmt: skip
        with local_ray(spec, plotting_workers=workers, farms=len(plan.farms)):
            network = start_network(plan, on_stage=lambda stage: console.print(stage, soft_wrap=True))
            _describe(console, prepared)
            _describe_rpc(console, network)
            views.run(console, network, slots, prepared.data_dir, _watching(prepared.data_dir))
    except (ConfigError, StorageError, ActorUnavailable, ProtocolError, CorruptStore) as error:
        raise click.ClickException(str(error)) from error


def _checked_domains(domains: tuple[str, ...]) -> tuple[str, ...]:
    from autonomys.network.domains import known_runtimes

    unknown = [runtime for runtime in domains if runtime not in known_runtimes()]
    if unknown:
        msg = f"--domain {unknown[0]!r}: no such runtime (known: {', '.join(known_runtimes())})"
        raise click.BadParameter(msg, param_hint="--domain")
    return domains


@contextlib.contextmanager
def _watching(data_dir: Path) -> Iterator[None]:
    """While the view watches: Ctrl-C and SIGTERM stop the run, and other commands find the devnet by data_dir."""
    from autonomys.network.runtime import published_address

    stop_on_signals()
    with published_address(data_dir):
        yield


def _describe_rpc(console: Console, network: Any) -> None:
    for name, operator in network.operators.items():
        url = operator.rpc_url()
        if url is not None:
            status = operator.status()
            console.print(f"EVM domain {status.domain_id}: Ethereum JSON-RPC at {url} ({name})", soft_wrap=True)


def _describe(console: Console, prepared: PreparedNetwork) -> None:
    genesis = prepared.genesis
    action = "created" if prepared.created else "resumed"
    rate = genesis.calibrated_iterations_per_second
    calibrated = f", calibrated at {rate / 1e6:.1f} M AES/s" if rate is not None else ""
    console.print(
        f"devnet {action} in {prepared.data_dir} (preset {genesis.preset}, "
        f"{genesis.pot_slot_iterations:,} iterations/slot{calibrated}"
        f"{', domains ' + ', '.join(genesis.domains) if genesis.domains else ''})",
        soft_wrap=True,
    )
