"""The `autonomys` command: devnet, proof-of-time tools. Errors print a message, never a traceback."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.storage import StorageError
from autonomys.cli.signals import stop_on_signals
from autonomys.kernels import pot as pot_kernel
from autonomys.network.genesis import ConfigError
from autonomys.network.spec import ClusterSpec
from autonomys.protocol.errors import ProtocolError
from autonomys.protocol.params import PRESETS
from autonomys.protocol.timekeeper.pot import GossipProof, PotCheckpoints, PotSeed, prove, verify

if TYPE_CHECKING:
    from autonomys.network.launch import Devnet

STATUS_INTERVAL_SECONDS = 0.25


class HexBytes(click.ParamType):
    name = "hex"

    def __init__(self, size: int) -> None:
        self.size = size

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> bytes:
        if isinstance(value, bytes):
            return value
        text = str(value).strip().removeprefix("0x")
        try:
            data = bytes.fromhex(text)
        except ValueError:
            self.fail(f"{value!r} is not hex", param, ctx)
        if len(data) != self.size:
            self.fail(f"needs {self.size} bytes ({2 * self.size} hex digits), got {len(data)}", param, ctx)
        return data


@click.group()
def main() -> None:
    """Autonomys node: proof-of-time, archiving, farming and the local network on Ray."""


@main.command()
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
def devnet(
    data_dir: Path,
    slots: int | None,
    preset: str,
    pin_cpu: int | None,
    plotting_workers: int | None,
    cache_peers: int,
    cache_percentage: float,
) -> None:
    """Run a local network on an embedded Ray instance (Ctrl-C stops it; restart continues the chain)."""
    from autonomys.cli import views as devnet_view
    from autonomys.network.launch import (  # Ray loads when needed
        Devnet,
        farmer_name,
        local_ray,
        prepare_network,
        published_address,
    )

    console = Console(stderr=False)
    spec = ClusterSpec(preset=preset, cache_peers=cache_peers, cache_percentage=cache_percentage)
    workers = plotting_workers if plotting_workers is not None else max(1, (os.cpu_count() or 2) - 1)
    try:
        prepared = prepare_network(spec, data_dir)
        names = [farmer_name(index) for index in range(prepared.genesis.farms)]
        with local_ray(spec, plotting_workers=workers, farms=prepared.genesis.farms):
            network = Devnet.start(spec, prepared, pin_cpu, on_stage=lambda stage: console.print(stage, soft_wrap=True))
            _describe(console, network)
            snapshot = None
            try:
                stop_on_signals()
                with published_address(data_dir):
                    snapshot = devnet_view.watch(console, network, slots, names)
            except KeyboardInterrupt:
                console.print("stopping…")
            snapshot = devnet_view.poll(network) if snapshot is None else snapshot
            devnet_view.summarise(console, network, network.stop(), snapshot, names)
    except (ConfigError, StorageError, ActorUnavailable, ProtocolError) as error:
        raise click.ClickException(str(error)) from error


def _describe(console: Console, network: Devnet) -> None:
    genesis = network.genesis
    action = "created" if network.created else "resumed"
    rate = genesis.calibrated_iterations_per_second
    calibrated = f", calibrated at {rate / 1e6:.1f} M AES/s" if rate is not None else ""
    console.print(
        f"devnet {action} in {network.data_dir} (preset {genesis.preset}, "
        f"{genesis.pot_slot_iterations:,} iterations/slot{calibrated})",
        soft_wrap=True,
    )


@main.group()
def pot() -> None:
    """Proof-of-time: prove and verify one slot."""


def _seed_from(seed: bytes | None, genesis_hash: bytes | None, external_entropy: str) -> PotSeed:
    if (seed is None) == (genesis_hash is None):
        msg = "give exactly one of --seed or --genesis-hash"
        raise click.UsageError(msg)
    if seed is not None:
        return PotSeed(seed)
    return PotSeed.from_genesis(genesis_hash or b"", external_entropy.encode())


@pot.command("prove")
@click.option("--seed", type=HexBytes(16), default=None, help="16-byte seed, hex.")
@click.option("--genesis-hash", type=HexBytes(32), default=None, help="Derive the genesis seed from this hash.")
@click.option("--external-entropy", default="", help="The chain spec's potExternalEntropy string.")
@click.option("--iterations", type=click.IntRange(min=1), default=None, help="Slot iterations (multiple of 16).")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), default="minimal", show_default=True)
@click.option("--slot", type=click.IntRange(min=0), default=0, show_default=True, help="Slot number for --gossip.")
@click.option("--backend", type=click.Choice(pot_kernel.BACKENDS), default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--gossip", "as_gossip", is_flag=True, help="Print the 156-byte gossip proof, hex.")
def pot_prove(
    seed: bytes | None,
    genesis_hash: bytes | None,
    external_entropy: str,
    iterations: int | None,
    preset: str,
    slot: int,
    backend: str,
    as_json: bool,
    as_gossip: bool,
) -> None:
    """Prove one slot and print its 8 checkpoints."""
    pot_seed = _seed_from(seed, genesis_hash, external_entropy)
    slot_iterations = iterations if iterations is not None else PRESETS[preset].pot_slot_iterations
    try:
        started = time.perf_counter()
        checkpoints = prove(pot_seed, slot_iterations, backend)
        elapsed = time.perf_counter() - started
    except (ProtocolError, pot_kernel.PotKernelError) as error:
        raise click.ClickException(str(error)) from error
    if as_gossip:
        click.echo(GossipProof(slot, pot_seed, slot_iterations, checkpoints).to_bytes().hex())
        return
    result = {
        "seed": pot_seed.hex(),
        "key": pot_seed.key().hex(),
        "slot_iterations": slot_iterations,
        "checkpoints": [checkpoint.hex() for checkpoint in checkpoints.checkpoints],
        "output": checkpoints.output.hex(),
        "seconds": round(elapsed, 6),
    }
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"seed {result['seed']}  key {result['key']}  iterations {slot_iterations:,}")
    for index, checkpoint in enumerate(result["checkpoints"]):
        click.echo(f"checkpoint {index}: {checkpoint}")
    click.echo(f"output {result['output']}  ({elapsed:.3f} s)")


@pot.command("verify")
@click.option("--seed", type=HexBytes(16), default=None, help="16-byte seed, hex.")
@click.option("--iterations", type=click.IntRange(min=1), default=None, help="Slot iterations (multiple of 16).")
@click.option("--checkpoints", type=HexBytes(128), default=None, help="The 8 checkpoints, 256 hex digits.")
@click.option("--gossip", type=HexBytes(156), default=None, help="A 156-byte gossip proof instead, hex.")
@click.option("--backend", type=click.Choice(pot_kernel.BACKENDS), default="auto", show_default=True)
def pot_verify(
    seed: bytes | None, iterations: int | None, checkpoints: bytes | None, gossip: bytes | None, backend: str
) -> None:
    """Verify one slot's checkpoints; exit status 0 when valid, 1 when not."""
    try:
        if gossip is not None:
            proof = GossipProof.from_bytes(gossip)
            seed, iterations, parsed = proof.seed, proof.slot_iterations, proof.checkpoints
        elif seed is None or iterations is None or checkpoints is None:
            msg = "give --gossip, or all of --seed, --iterations and --checkpoints"
            raise click.UsageError(msg)
        else:
            parsed = PotCheckpoints.from_bytes(checkpoints)
        valid = verify(PotSeed(seed), iterations, parsed, backend)
    except (ProtocolError, pot_kernel.PotKernelError) as error:
        raise click.ClickException(str(error)) from error
    click.echo("valid" if valid else "INVALID: checkpoints do not match the seed and iterations")
    sys.exit(0 if valid else 1)


@pot.command("info")
def pot_info() -> None:
    """Show the PoT backends this CPU supports."""
    click.echo(f"available: {', '.join(pot_kernel.available_backends())}; auto verifies with {pot_kernel.best_backend()}")


def _register_farm_commands() -> None:
    from autonomys.cli import cluster as cli_cluster
    from autonomys.cli import farm as cli_farm
    from autonomys.cli import objects as cli_objects
    from autonomys.cli import plots as cli_farming

    main.add_command(cli_farm.plot)
    main.add_command(cli_farm.farm)
    main.add_command(cli_farm.history)
    cli_farm.farm.add_command(cli_farming.farm_summary)
    main.add_command(cli_farming.plots)
    main.add_command(cli_farming.benchmark)
    main.add_command(cli_cluster.status)
    main.add_command(cli_cluster.plotters)
    main.add_command(cli_objects.put)
    main.add_command(cli_objects.get)
    main.add_command(cli_objects.gateway)


_register_farm_commands()

if __name__ == "__main__":
    main()
