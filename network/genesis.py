"""A network's genesis: the config written once when the network is created (genesis.json, read on every
start), block 0 and its archiving into the first segments, and the consensus chain's genesis state."""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import blake3
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from autonomys.actors.farming.farm import plan_farm
from autonomys.actors.objects.client import dev_account
from autonomys.actors.timekeeper.calibration import calibrate_slot_iterations
from autonomys.network.domains import domain_geneses, known_runtimes
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.chain_state import ChainState, genesis_state
from autonomys.protocol.errors import InvalidParams
from autonomys.protocol.farming.solution_range import pieces_to_solution_range
from autonomys.protocol.params import Params, get_preset, validate_slot_iterations
from autonomys.protocol.timekeeper.pot import PotSeed

GENESIS_FILE = "genesis.json"
DEV_ACCOUNT_ENDOWMENT = 10**24
"""A million tokens of 10^18 Shannon: storage fees for about 10^15 bytes at the base fee."""


class ConfigError(Exception):
    """Config or data directory the network cannot start from; the message says what to fix."""


class GenesisConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: Literal[1] = 1
    preset: Literal["dev", "minimal", "mainnet"]
    genesis_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    pot_external_entropy: str = ""
    pot_slot_iterations: int
    calibrated_iterations_per_second: float | None = None
    farms: int = Field(default=2, ge=1, le=16)
    """Farmers the devnet runs, each with its own farm under DATA_DIR/farms."""
    sectors_per_farm: int = Field(default=1, ge=1, le=1024)
    genesis_segments: int | None = None
    """Segments archived from the genesis block (block 0) when the network was created; None until then."""
    solution_range: int | None = None
    """The chain's genesis solution range (sized to the pieces the farms plot); None until the network starts."""
    dev_account_endowment: int = Field(default=0, ge=0)
    """Balance the well-known dev account (`autonomys put` signs with it) holds at genesis; 0 in networks
    created before it existed, so their genesis state stays what it was."""
    domains: tuple[str, ...] = ()
    """The runtime of each genesis domain (domain ids in order), with its operators (network.domains)."""
    genesis_timestamp_ms: int = Field(default=0, ge=0)
    """The chain's time at slot 0 (the wall clock when the network was created; 0 in networks created before it
    existed, whose blocks keep their timestamps)."""

    @field_validator("domains")
    @classmethod
    def _check_domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(known_runtimes()))
        if unknown:
            raise ValueError(f"unknown domain runtime {', '.join(unknown)} (known: {', '.join(known_runtimes())})")
        return value

    @field_validator("pot_slot_iterations")
    @classmethod
    def _check_iterations(cls, value: int) -> int:
        try:
            validate_slot_iterations(value)
        except InvalidParams as error:
            raise ValueError(str(error)) from error
        return value

    def params(self) -> Params:
        preset = get_preset(self.preset).with_slot_iterations(self.pot_slot_iterations)
        return dataclasses.replace(preset, genesis_timestamp_ms=self.genesis_timestamp_ms)

    def genesis_seed(self) -> PotSeed:
        return PotSeed.from_genesis(bytes.fromhex(self.genesis_hash), self.pot_external_entropy.encode())


def prepare_data_dir(path: Path) -> Path:
    """Create the data directory if needed and check that it is a writable directory."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        msg = f"data directory {path} is not usable: {error.strerror or error}"
        raise ConfigError(msg) from error
    return path.resolve()


def load_genesis(data_dir: Path) -> GenesisConfig | None:
    """The network's genesis config, None if the directory holds no network yet."""
    path = data_dir / GENESIS_FILE
    if not path.exists():
        return None
    try:
        return GenesisConfig.model_validate(json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError, ValidationError) as error:
        msg = f"{path} is not a valid genesis config: {error}"
        raise ConfigError(msg) from error


def create_genesis(data_dir: Path, preset: str, domains: tuple[str, ...] = ()) -> GenesisConfig:
    """A new network: DEV slot iterations calibrated to about one slot per second on this machine."""
    params = get_preset(preset)
    rate = None
    iterations = params.pot_slot_iterations
    if preset in ("dev", "minimal"):
        calibration = calibrate_slot_iterations(params.slot_duration_ms / 1000)
        rate, iterations = calibration.iterations_per_second, calibration.slot_iterations
    config = GenesisConfig(
        preset=preset,  # type: ignore[arg-type]
        genesis_hash=secrets.token_bytes(32).hex(),
        pot_slot_iterations=iterations,
        calibrated_iterations_per_second=rate,
        dev_account_endowment=DEV_ACCOUNT_ENDOWMENT,
        domains=domains,
        genesis_timestamp_ms=int(time.time() * 1000),
    )
    write_genesis(data_dir, config)
    return config


def write_genesis(data_dir: Path, config: GenesisConfig) -> None:
    """Replace genesis.json atomically (it only ever gains the facts fixed when the network first starts)."""
    temporary = data_dir / (GENESIS_FILE + ".tmp")
    temporary.write_text(config.model_dump_json(indent=2) + "\n")
    temporary.replace(data_dir / GENESIS_FILE)


def load_or_create_genesis(
    data_dir: Path, preset: str, domains: tuple[str, ...] | None = None
) -> tuple[GenesisConfig, bool]:
    """(config, created): an existing network keeps its genesis; its preset (and `domains`, when given) must
    match."""
    existing = load_genesis(data_dir)
    if existing is None:
        return create_genesis(data_dir, preset, domains or ()), True
    if existing.preset != preset:
        msg = f"{data_dir} holds a {existing.preset!r} network, not {preset!r}; use another --data-dir"
        raise ConfigError(msg)
    if domains is not None and domains != existing.domains:
        found = ", ".join(existing.domains) or "no domains"
        msg = f"{data_dir} holds a network created with {found}; its domains are fixed at genesis: use another --data-dir"
        raise ConfigError(msg)
    return existing, False


@dataclass(frozen=True)
class PreparedNetwork:
    """A data directory checked and its genesis loaded or created, before any Ray starts."""

    data_dir: Path
    genesis: GenesisConfig
    created: bool


def prepare_network(preset: str, data_dir: Path, domains: tuple[str, ...] | None = None) -> PreparedNetwork:
    """Check the directory and load or create (calibrating the slot time) the genesis of a `preset` network
    (with genesis domains of these runtimes; None: whatever an existing network has, none for a new one)."""
    data_dir = prepare_data_dir(data_dir)
    genesis, created = load_or_create_genesis(data_dir, preset, domains)
    return PreparedNetwork(data_dir, genesis, created)


def genesis_block(genesis: GenesisConfig, params: Params) -> bytes:
    """Block 0: deterministic bytes from the genesis hash, exactly one recorded segment long, so archiving it
    yields the first segment (the history farmers plot before block 1 can be won)."""
    seed = bytes.fromhex(genesis.genesis_hash)
    return blake3.blake3(b"autonomys devnet genesis history" + seed).digest(length=params.recorded_history_segment_size)


class GenesisArchive(Protocol):
    """What archiving the genesis needs of the archiver."""

    def on_confirmed_block(self, number: int, block: bytes, timeout: float = ...) -> list[SegmentHeader]: ...

    def segment_headers(self, first: int = 0, timeout: float = ...) -> list[SegmentHeader]: ...


def archive_genesis(
    archiver: GenesisArchive,
    genesis: GenesisConfig,
    data_dir: Path,
    farm_sizes: Sequence[int],
    on_stage: Callable[[str], None],
    timeout: float,
) -> GenesisConfig:
    """Archive block 0 once (the archiver answers a replay with the same headers) and record in genesis.json what
    it fixed: the genesis segments, and the solution range sized to the sectors of farms of `farm_sizes` bytes."""
    params = genesis.params()
    if genesis.genesis_segments is not None and genesis.solution_range is not None:
        if len(archiver.segment_headers()) < genesis.genesis_segments:
            # A joined genesis.json and an empty archive: block 0 is derived from the genesis hash alone.
            on_stage("archiving the genesis block of the joined network…")
            archiver.on_confirmed_block(0, genesis_block(genesis, params), timeout=timeout)
        return genesis
    on_stage(f"archiving the genesis block ({params.recorded_history_segment_size:,} bytes) into the first segment…")
    archiver.on_confirmed_block(0, genesis_block(genesis, params), timeout=timeout)
    segments = len(archiver.segment_headers())
    sectors = sum(plan_farm(size_bytes, params)[0] for size_bytes in farm_sizes)
    solution_range = pieces_to_solution_range(sectors * params.max_pieces_in_sector, params.slot_probability, params)
    updated = genesis.model_copy(update={"genesis_segments": segments, "solution_range": solution_range})
    write_genesis(data_dir, updated)
    return updated


def chain_genesis(genesis: GenesisConfig, segment_headers: Sequence[SegmentHeader]) -> ChainState:
    """The chain's state before block 1: the dev account's endowment, the genesis range and segments."""
    if genesis.solution_range is None or genesis.genesis_segments is None:
        msg = "the genesis block is not archived yet (genesis.json has no solution range or genesis segments)"
        raise ConfigError(msg)
    endowments = {dev_account().public_key: genesis.dev_account_endowment} if genesis.dev_account_endowment else {}
    return genesis_state(
        genesis.params(), endowments=endowments, solution_range=genesis.solution_range,
        pot_slot_iterations=genesis.pot_slot_iterations, segment_headers=segment_headers[: genesis.genesis_segments],
        domains=domain_geneses(genesis.genesis_hash, genesis.domains),
    )  # fmt: skip
