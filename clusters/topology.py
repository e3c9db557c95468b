"""The deployment config the bootstrap job reads: which network, how many of each role, which farms where.

`load_topology(path)` parses a YAML or JSON file into a frozen `Topology`; every mistake becomes one
`TopologyError` naming the file, the key and what to write instead. `required_resources(topology)` is
what the cluster must advertise (network/spec.py names the resources) before the bootstrap may create
actors: a request for a resource no node has hangs silently in Ray, so callers check first.

Paths in a topology (data_dir, farm paths) live on the cluster's hosts, not on the machine that reads
the file: they are checked for form (absolute) but never for existence here.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from autonomys.actors.farming.farm import FarmError, plan_farm
from autonomys.network.spec import PLOTTER_RESOURCE, SSD_RESOURCE, TIMEKEEPER_RESOURCE
from autonomys.protocol.params import PRESETS, get_preset

# Units a size may carry: decimal (kB, MB, GB, TB) and binary (KiB, MiB, GiB, TiB), case-insensitive.
SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3, "t": 1000**4, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}  # fmt: skip
SIZE_PATTERN = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*")
# A host label is a Ray (Kubernetes) label value: detect_resources.py labels each host `host=<short hostname>`.
HOST_LABEL_PATTERN = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?")
REWARD_ADDRESS_BYTES = 32


class TopologyError(Exception):
    """A topology file the bootstrap cannot deploy; the message names the file, the key and the fix."""


def parse_size(value: object) -> int:
    """Bytes from a size such as "2GiB", "500MB", "1.5TiB" or a plain positive integer."""
    # bool is an int in Python; `size: yes` in YAML is a mistake, not one byte.
    if isinstance(value, bool) or not isinstance(value, int | str):
        msg = f"{value!r} is not a size (examples: 2GiB, 500MB, 1073741824)"
        raise ValueError(msg)
    if isinstance(value, int):
        size = value
    else:
        match = SIZE_PATTERN.fullmatch(value)
        if match is None or match.group(2).lower() not in SIZE_UNITS:
            msg = f"{value!r} is not a size (examples: 2GiB, 500MB, 1073741824)"
            raise ValueError(msg)
        size = int(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])
    # Zero bytes holds nothing: a farm or cache of that size is a typo.
    if size <= 0:
        msg = f"{value!r} must be a positive size"
        raise ValueError(msg)
    return size


def _absolute_host_path(value: PurePosixPath, what: str) -> PurePosixPath:
    # The bootstrap job runs in a temporary working directory: a relative path would not survive a restart.
    if not value.is_absolute():
        msg = f"{what} {str(value)!r} must be an absolute path on the host (e.g. /var/lib/autonomys)"
        raise ValueError(msg)
    return value


class NetworkConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    preset: str = "dev"
    """A protocol.params preset name: dev, minimal or mainnet."""
    data_dir: PurePosixPath
    """The network's data directory (chain, archive, checkpoints) on each host that runs a service role."""
    genesis: Literal["create"] | Path = "create"
    """A genesis.json to join, or "create" for a new network; a relative path is relative to the topology file."""

    @field_validator("preset")
    @classmethod
    def _check_preset(cls, value: str) -> str:
        # The preset fixes sector sizes and proof-of-time parameters for every role.
        if value not in PRESETS:
            msg = f"unknown preset {value!r}; known: {', '.join(sorted(PRESETS))}"
            raise ValueError(msg)
        return value

    @field_validator("data_dir")
    @classmethod
    def _check_data_dir(cls, value: PurePosixPath) -> PurePosixPath:
        return _absolute_host_path(value, "data_dir")


class FarmConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str | None = None
    """The host's label (its short hostname) or node IP; None places the farm on any host with a free ssd unit."""
    path: PurePosixPath
    """The farm directory on that host (one disk)."""
    size: int
    """Bytes to allocate; written as "2GiB", "500MB" or a number of bytes."""
    reward_address: bytes | None = None
    """32-byte public key rewards pay to (hex, quoted in YAML); None pays the farm's own key."""

    @field_validator("host")
    @classmethod
    def _check_host(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Either a node IP (Ray's node address) or the `host` label detect_resources.py gives each node.
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if HOST_LABEL_PATTERN.fullmatch(value) is None:
                msg = f"host {value!r} is neither an IP address nor a host label (letters, digits, '-', '_', '.')"
                raise ValueError(msg) from None
        return value

    @field_validator("path")
    @classmethod
    def _check_path(cls, value: PurePosixPath) -> PurePosixPath:
        return _absolute_host_path(value, "farm path")

    @field_validator("size", mode="before")
    @classmethod
    def _parse_size(cls, value: object) -> int:
        return parse_size(value)

    @field_validator("reward_address", mode="before")
    @classmethod
    def _parse_reward_address(cls, value: object) -> object:
        # YAML reads an unquoted 0x… as a number: say so instead of "not valid bytes".
        if isinstance(value, int) and not isinstance(value, bool):
            msg = "reward_address must be a quoted hex string (YAML reads an unquoted 0x… as a number)"
            raise ValueError(msg)
        if not isinstance(value, str):
            return value
        try:
            address = bytes.fromhex(value.strip().removeprefix("0x"))
        except ValueError:
            msg = f"reward_address {value!r} is not hex"
            raise ValueError(msg) from None
        # A reward address is a farmer public key: exactly 32 bytes.
        if len(address) != REWARD_ADDRESS_BYTES:
            msg = f"reward_address needs {REWARD_ADDRESS_BYTES} bytes ({2 * REWARD_ADDRESS_BYTES} hex digits), got {len(address)}"
            raise ValueError(msg)
        return address


class CachePeersConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    count: int = Field(default=0, ge=0, strict=True)
    capacity: int = 1024**3
    """Bytes of pieces each cache peer keeps; written like a farm size."""

    @field_validator("capacity", mode="before")
    @classmethod
    def _parse_capacity(cls, value: object) -> int:
        return parse_size(value)


class Topology(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    network: NetworkConfig
    timekeeper: int = Field(default=1, strict=True)
    """Always 1: proof-of-time is one sequential chain per network."""
    nodes: int = Field(default=1, ge=0, strict=True)
    """Consensus nodes."""
    farms: list[FarmConfig]
    """One Farmer (plot shard) per farm; each takes one `ssd` unit on its host."""
    plotting_workers: int = Field(default=0, ge=0, strict=True)
    """The desired `plotter` units: plotting tasks in flight; `autonomys plotters scale N` changes it."""
    cache_peers: CachePeersConfig = CachePeersConfig()
    domains: list[str] = Field(default_factory=list)
    """The runtime of each genesis domain (two operators each, spread over the cluster's machines). Fixed when the
    network is created; more domains join a running network through the domain job."""

    @field_validator("domains")
    @classmethod
    def _check_domains(cls, value: list[str]) -> list[str]:
        from autonomys.network.domains import known_runtimes

        unknown = [runtime for runtime in value if runtime not in known_runtimes()]
        if unknown:
            msg = f"unknown domain runtime {unknown[0]!r} (known: {', '.join(known_runtimes())})"
            raise ValueError(msg)
        return value

    @field_validator("timekeeper")
    @classmethod
    def _check_timekeeper(cls, value: int) -> int:
        # Two timekeepers would prove two competing chains.
        if value != 1:
            msg = f"timekeeper must be 1 (one proof-of-time chain per network), got {value}"
            raise ValueError(msg)
        return value

    @field_validator("farms")
    @classmethod
    def _check_farm_count(cls, value: list[FarmConfig]) -> list[FarmConfig]:
        # A network nobody farms produces no blocks.
        if len(value) == 0:
            msg = "at least one farm is needed (a list of {path, size} entries)"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _check_farms(self) -> Topology:
        params = get_preset(self.network.preset)
        seen: set[tuple[str, PurePosixPath]] = set()
        for index, farm in enumerate(self.farms):
            # A farm too small for one sector of this preset would never plot anything.
            try:
                plan_farm(farm.size, params)
            except FarmError as error:
                msg = f"farms[{index}].size: {error}"
                raise ValueError(msg) from None
            # Two farms in one directory on one host would overwrite each other's plots.
            # (Without a host, equal paths are fine: the same mount point on different machines.)
            if farm.host is not None:
                key = (farm.host, farm.path)
                if key in seen:
                    msg = f"farms[{index}]: {farm.host}:{farm.path} is listed twice"
                    raise ValueError(msg)
                seen.add(key)
        return self


def required_resources(topology: Topology) -> dict[str, float]:
    """Custom resources the cluster must advertise for this topology; zero-valued ones are left out."""
    resources = {
        TIMEKEEPER_RESOURCE: float(topology.timekeeper),
        SSD_RESOURCE: float(len(topology.farms)),
        PLOTTER_RESOURCE: float(topology.plotting_workers),
    }
    return {name: amount for name, amount in resources.items() if amount > 0}


def compute_missing_resources(required: Mapping[str, float], available: Mapping[str, float]) -> dict[str, float]:
    """How much of each required resource the cluster lacks (e.g. against `ray.cluster_resources()`)."""
    missing = {name: amount - available.get(name, 0.0) for name, amount in required.items()}
    return {name: amount for name, amount in missing.items() if amount > 0}


def load_topology(path: str | Path) -> Topology:
    """Read and validate a topology file: JSON for *.json, YAML otherwise."""
    path = Path(path)
    data = _read_document(path)
    try:
        topology = Topology.model_validate(data)
    except ValidationError as error:
        lines = "\n".join(f"  {_describe(item)}" for item in error.errors())
        msg = f"{path}: invalid topology:\n{lines}"
        raise TopologyError(msg) from None
    genesis = topology.network.genesis
    if isinstance(genesis, Path) and not genesis.is_absolute():
        network = topology.network.model_copy(update={"genesis": (path.parent / genesis).resolve()})
        topology = topology.model_copy(update={"network": network})
    return topology


def _read_document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as error:
        msg = f"{path}: cannot read the topology: {error.strerror or error}"
        raise TopologyError(msg) from error
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        msg = f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}"
        raise TopologyError(msg) from None
    if data is None:
        msg = f"{path}: the topology file is empty (see clusters/topology.example.yaml)"
        raise TopologyError(msg)
    if not isinstance(data, dict):
        msg = f"{path}: a topology is a mapping with keys {', '.join(Topology.model_fields)}; got {type(data).__name__}"
        raise TopologyError(msg)
    return data


def _describe(error: Mapping[str, Any]) -> str:
    """One line per problem: where (farms[0].size) and what to fix."""
    location = tuple(error["loc"])
    where = _format_location(location)
    if where == "":
        return _message(error)  # a check across keys: its message names them
    if error["type"] == "extra_forbidden":
        model = _model_at(location[:-1])
        allowed = f"; allowed: {', '.join(model.model_fields)}" if model is not None else ""
        return f"{where}: unknown key{allowed}"
    if error["type"] == "missing":
        return f"{where}: required key is missing"
    return f"{where}: {_message(error)}"


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    return f"{error['msg']} (got {error['input']!r})"


def _format_location(location: tuple[str | int, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text != "" else str(part))
    return text


def _model_at(location: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model that holds the keys at `location` (for listing allowed keys), or None."""
    model: type[BaseModel] | None = Topology
    for part in location:
        if isinstance(part, int):
            continue  # a list index: the item model came from the list's annotation already
        if model is None or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        candidates = (annotation, *get_args(annotation))
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model
