"""`autonomys domain watch`: an unstaked watcher anyone can run against a running network. It derives the domain's
blocks from the consensus chain as an operator does (its own store under the data directory), checks every receipt
the chain carries against its own execution, and offers a fraud proof to the node on a mismatch. It never submits
bundles: it has no stake."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from autonomys.cli.connection import network_options
from autonomys.cli.domain import _attached, _errors, domain_option

WATCHER_OPERATOR_ID = 2**64 - 1
"""No operator has this id: the watcher's election never runs."""


@click.command()
@domain_option
@click.option("--polls", type=click.IntRange(min=1), default=None, help="Stop after N polls (default: Ctrl-C).")
@click.option("--poll-seconds", type=click.FloatRange(min=0.05), default=None, help="Default: half a slot.")
@network_options
def watch(
    domain_id: int, polls: int | None, poll_seconds: float | None, data_dir: Path, address: str | None, namespace: str
) -> None:
    """Check every receipt of the domain against this process's own execution; prove the bad ones wrong."""
    from autonomys.actors.domains.operator import Operator, OperatorIdentity
    from autonomys.actors.handles import RayLinks
    from autonomys.actors.storage import RocksKVStore
    from autonomys.network.genesis import load_genesis
    from autonomys.network.spec import NODE_NAME

    genesis = load_genesis(data_dir)
    if genesis is None:
        raise click.ClickException(f"{data_dir} holds no network (no genesis.json): run `autonomys devnet` first")
    params = genesis.params()
    with _errors(), _attached(data_dir, address, namespace) as network:
        config, view = network.node.domain_config(domain_id), network.node.domain_view(domain_id)
        identity = OperatorIdentity(
            domain_id, WATCHER_OPERATOR_ID, os.urandom(32), config.initial_balances, view.runtime_name,
            config.runtime_info.evm_chain_id,
        )  # fmt: skip
        store = RocksKVStore(data_dir / f"watcher-{domain_id}", large=True)
        watcher = Operator(params, identity, store, RayLinks(namespace).domain_node(NODE_NAME))
        seconds = poll_seconds if poll_seconds is not None else params.slot_duration_ms / 2000
        click.echo(f"watching domain {domain_id} ({view.runtime_name}) from {data_dir / f'watcher-{domain_id}'}")
        _watch(watcher, polls, seconds)


def _watch(watcher: object, polls: int | None, seconds: float) -> None:
    from autonomys.actors.domains.operator import Operator

    assert isinstance(watcher, Operator)
    shown = None
    done = 0
    try:
        while polls is None or done < polls:
            watcher.step()
            done += 1
            counters = watcher.watcher.counters
            line = (
                f"domain block #{watcher.chain.head_number()}: {counters.receipts_checked} receipts checked, "
                f"{counters.bad_receipts_seen} bad, {counters.fraud_proofs_submitted} fraud proofs submitted"
                + (f"; last: {counters.last_fraud_proof}" if counters.last_fraud_proof else "")
            )
            if line != shown:
                click.echo(line)
                shown = line
            time.sleep(seconds)
    except KeyboardInterrupt:
        click.echo("stopped")
