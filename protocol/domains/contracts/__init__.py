"""The Vyper contracts of the executor market (Autonomy's StakeManager and its stake token) and of AI3.0 data
rewards (DataRewards: Shapley-proportional payouts to data contributors), compiled offline.

The sources (`*.vy`) and their compilation (`compiled.json`: per contract the ABI, deployment and runtime bytecode,
compiler and EVM versions, and the sha256 of the source) ship as package data; `tests/helpers/build_contracts.py`
regenerates `compiled.json` from the sources. This module only reads them, through `importlib.resources`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from autonomys.protocol.errors import ProtocolError

COMPILED_RESOURCE = "compiled.json"
"""The compilation artifacts, a JSON object keyed by contract name."""

CONTRACT_SOURCES = {
    "StakeToken": "stake_token.vy",
    "StakeManager": "stake_manager.vy",
    "DataRewards": "data_rewards.vy",
}
"""Each contract's source file in this package (change together with tests/helpers/build_contracts.py)."""


# ---- errors (to move to protocol/errors.py) ----


class UnknownContract(ProtocolError):
    """A contract name that compiled.json does not hold."""


class StaleContractArtifacts(ProtocolError):
    """compiled.json was built from a source other than the one shipped (rebuild with tests/helpers/build_contracts.py)."""


@dataclass(frozen=True, slots=True)
class Contract:
    """One compiled contract."""

    name: str
    abi: tuple[dict[str, Any], ...]
    """The JSON ABI entries, in the compiler's order."""
    bytecode: bytes
    """Deployment (init) code; constructor arguments are ABI-encoded and appended to it."""
    runtime_bytecode: bytes
    """The code a deployment leaves at the contract's address."""
    vyper_version: str
    evm_version: str
    source_sha256: str
    """Hex sha256 of the UTF-8 source the artifacts were compiled from."""


def read_contract_source(name: str) -> str:
    """The Vyper source of a contract, from the package data."""
    if name not in CONTRACT_SOURCES:
        raise UnknownContract(f"no contract {name!r}; known: {sorted(CONTRACT_SOURCES)}")
    return resources.files(__package__).joinpath(CONTRACT_SOURCES[name]).read_text(encoding="utf-8")


def compute_source_sha256(source: str) -> str:
    """The hex sha256 of a source text, as compiled.json records it."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def load_compiled() -> dict[str, Any]:
    """The whole compiled.json object."""
    compiled: dict[str, Any] = json.loads(resources.files(__package__).joinpath(COMPILED_RESOURCE).read_text())
    return compiled


def load_contract(name: str) -> Contract:
    """A compiled contract by name (`StakeToken`, `StakeManager`), checked against the shipped source."""
    compiled = load_compiled()
    if name not in compiled:
        raise UnknownContract(f"no contract {name!r} in {COMPILED_RESOURCE}; known: {sorted(compiled)}")
    entry = compiled[name]
    # Artifacts that do not match the shipped source would deploy code nobody reviewed.
    if entry["source_sha256"] != compute_source_sha256(read_contract_source(name)):
        raise StaleContractArtifacts(f"{COMPILED_RESOURCE} of {name} does not match {CONTRACT_SOURCES[name]}")
    return Contract(
        name=name,
        abi=tuple(entry["abi"]),
        bytecode=bytes.fromhex(entry["bytecode"].removeprefix("0x")),
        runtime_bytecode=bytes.fromhex(entry["runtime_bytecode"].removeprefix("0x")),
        vyper_version=entry["vyper_version"],
        evm_version=entry["evm_version"],
        source_sha256=entry["source_sha256"],
    )
