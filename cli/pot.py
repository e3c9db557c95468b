"""`autonomys pot`: prove and verify one proof-of-time slot, and the AES backends this CPU has."""

from __future__ import annotations

import json
import sys
import time

import click

from autonomys.kernels import pot as pot_kernel
from autonomys.protocol.errors import ProtocolError
from autonomys.protocol.params import PRESETS
from autonomys.protocol.timekeeper.pot import GossipProof, PotCheckpoints, PotSeed, prove, verify
from autonomys.protocol.types import SlotIterations, SlotNumber


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
        click.echo(GossipProof(SlotNumber(slot), pot_seed, SlotIterations(slot_iterations), checkpoints).to_bytes().hex())
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
    for index, checkpoint in enumerate(checkpoints.checkpoints):
        click.echo(f"checkpoint {index}: {checkpoint.hex()}")
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
