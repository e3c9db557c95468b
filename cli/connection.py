"""Which running network a command attaches to: the devnet of `--data-dir`, or the cluster of `--address`.

The data directory is authoritative: without `--address`, a command attaches to the devnet that published its Ray
address there while it runs, and fails in one line when none runs there; it never guesses another instance.
"""

from __future__ import annotations

import os
from pathlib import Path

from autonomys.network.runtime import devnet_address


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
