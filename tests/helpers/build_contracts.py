"""Compile the executor-market contracts (protocol/domains/contracts/*.vy) into compiled.json.

Run from anywhere: `python tests/helpers/build_contracts.py` (needs the `vyper` package, 0.4.x). It rewrites
protocol/domains/contracts/compiled.json; tests/unit/test_stake_manager.py checks that the file matches a fresh
compilation of the sources. `--check` compiles and exits non-zero if the committed file differs, writing nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import vyper

from autonomys.protocol.domains.contracts import COMPILED_RESOURCE, CONTRACT_SOURCES, compute_source_sha256

CONTRACTS_DIRECTORY = Path(__file__).resolve().parents[2] / "protocol" / "domains" / "contracts"
EVM_VERSION = "cancun"
"""The EVM the sources target (their `# pragma evm-version`; change together)."""


def compile_contract(source: str, file_name: str) -> dict[str, Any]:
    """One contract's compiled.json entry."""
    output = vyper.compile_code(source, contract_path=file_name, output_formats=["abi", "bytecode", "bytecode_runtime"])
    return {
        "source": file_name,
        "source_sha256": compute_source_sha256(source),
        "vyper_version": vyper.__version__,
        "evm_version": EVM_VERSION,
        "abi": output["abi"],
        "bytecode": output["bytecode"],
        "runtime_bytecode": output["bytecode_runtime"],
    }


def compile_all() -> dict[str, Any]:
    """Every contract's entry, keyed by contract name."""
    compiled = {}
    for name, file_name in sorted(CONTRACT_SOURCES.items()):
        source = (CONTRACTS_DIRECTORY / file_name).read_text(encoding="utf-8")
        if f"# pragma evm-version {EVM_VERSION}" not in source:
            raise SystemExit(f"{file_name} does not declare `# pragma evm-version {EVM_VERSION}`")
        compiled[name] = compile_contract(source, file_name)
    return compiled


def render(compiled: dict[str, Any]) -> str:
    """The canonical text of compiled.json."""
    return json.dumps(compiled, indent=2, sort_keys=True) + "\n"


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if compiled.json is out of date")
    options = parser.parse_args(arguments)
    text = render(compile_all())
    target = CONTRACTS_DIRECTORY / COMPILED_RESOURCE
    if options.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date: run python tests/helpers/build_contracts.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} (vyper {vyper.__version__}, evm {EVM_VERSION}): {', '.join(sorted(CONTRACT_SOURCES))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
