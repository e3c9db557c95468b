"""The farms a network runs: one directory each, on the host holding its disk, named `farmer-<i>`'s farm."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autonomys.actors.farming.farm import Farm, compute_farm_size
from autonomys.network.genesis import GenesisConfig
from autonomys.protocol.params import Params

FARMER_PREFIX = "farmer-"


@dataclass(frozen=True)
class FarmPlan:
    """One farm a network runs: a directory of `size_bytes` on the host that holds its disk."""

    path: str
    size_bytes: int
    node_id: str | None = None
    """The Ray node holding the disk: the farm is created there and its farmer pinned there (it restarts in
    place). None: the farm is created by this process and its farmer goes wherever an ssd unit is free."""
    reward_address: bytes | None = None


def farmer_name(index: int) -> str:
    """The named farmer (plot shard) actor of farm `index`."""
    return f"{FARMER_PREFIX}{index}"


def farm_path(data_dir: Path, index: int) -> Path:
    """Where a devnet keeps farm `index` under its data directory."""
    return data_dir / "farms" / f"farm{index}"


def devnet_farms(genesis: GenesisConfig, data_dir: Path) -> tuple[FarmPlan, ...]:
    """A devnet's farms: `genesis.farms` directories under the data directory, each sized for `sectors_per_farm`."""
    size = compute_farm_size(genesis.params(), genesis.sectors_per_farm)
    return tuple(FarmPlan(str(farm_path(data_dir, index)), size) for index in range(genesis.farms))


def create_farm(path: str, size_bytes: int, params: Params) -> str:
    """Create and pre-allocate the farm at `path` on this host, or check the one there (same size and preset)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Farm.create_or_open(Path(path), size_bytes, params).close()
    return path
