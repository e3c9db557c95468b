"""Which running network a command attaches to: the devnet of `--data-dir`, or the cluster of `--address`.

The data directory is authoritative: without `--address`, a command attaches to the devnet that published its Ray
address there while it runs, and fails in one line when none runs there; it never guesses another instance.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from autonomys.network.runtime import devnet_address
from autonomys.network.spec import NAMESPACE

NETWORK_OPTIONS = [
    click.option(
        "--data-dir", type=click.Path(path_type=Path), default=Path(".autonomys"), show_default=True,
        help="A running devnet's data directory (its Ray address is published there).",
    ),
    click.option("--address", default=None, help="A cluster instead: auto, HOST:PORT of the head's GCS, or ray://…"),
    click.option("--namespace", default=NAMESPACE, show_default=True, help="The deployment's Ray namespace."),
]  # fmt: skip


def network_options(command: click.decorators.FC) -> click.decorators.FC:
    """--data-dir, --address and --namespace: which running network a command attaches to."""
    for option in reversed(NETWORK_OPTIONS):
        command = option(command)
    return command


class NetworkMissing(Exception):
    """No network to talk to: no devnet running in the data directory, or no node at the address."""


def network_address(data_dir: Path, address: str | None) -> str:
    """The address to attach to: `address` when given, else the devnet published in `data_dir`."""
    if address is not None:
        return address
    published = devnet_address(data_dir)
    if published is None:
        msg = f"no devnet running in {data_dir} (start one with `autonomys devnet --data-dir {data_dir}`, or give --address)"
        raise NetworkMissing(msg)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # the devnet's private instance runs without tokens
    return published
