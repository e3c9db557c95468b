"""Import hygiene: an AST walk over every module enforces the layer table of docs/architecture.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_LAYERS = ("protocol", "actors", "kernels", "network", "cli", "clusters")

# What each layer must never import: top-level module names, or autonomys.<layer> subpackages.
FORBIDDEN = {
    "kernels": {"ray", "autonomys.protocol", "autonomys.actors", "autonomys.network", "autonomys.cli", "autonomys.clusters"},
    "protocol": {
        "ray", "autonomys.actors", "autonomys.network", "autonomys.cli", "autonomys.clusters", "time", "random",
        "secrets", "os", "socket", "asyncio", "threading", "subprocess", "pathlib", "shutil", "io", "tempfile",
        "rocksdict", "datetime",
    },
    "actors": {"autonomys.network", "autonomys.cli", "autonomys.clusters"},
    "network": {"autonomys.cli", "autonomys.clusters"},
    "cli": set(),
    "clusters": {"autonomys.cli"},
}  # fmt: skip
# I/O builtins protocol code may not call.
FORBIDDEN_PROTOCOL_CALLS = {"open", "input", "print"}
# The one sanctioned read: the stable API `Kzg.from_file` loads the trusted setup (a parameter, not state).
ALLOWED_PROTOCOL_CALLS = {("kzg.py", "open")}


def imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.append(node.module)
    return names


def violates(module: str, forbidden: set[str]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in forbidden)


def layer_files(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", PROJECT_LAYERS)
def test_layer_imports(layer: str) -> None:
    files = layer_files(layer)
    assert len(files) > 0
    problems = []
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        problems += [f"{path.relative_to(ROOT)} imports {m}" for m in imported_modules(tree) if violates(m, FORBIDDEN[layer])]
        # Layers import each other through the installed namespace, never by bare folder name.
        problems += [
            f"{path.relative_to(ROOT)} imports bare {m}" for m in imported_modules(tree) if m.split(".")[0] in PROJECT_LAYERS
        ]
    assert problems == []


def test_nothing_imports_the_command_line() -> None:
    for layer in ("protocol", "actors", "kernels", "network", "clusters"):
        for path in layer_files(layer):
            assert not any(violates(m, {"autonomys.cli"}) for m in imported_modules(ast.parse(path.read_text())))


def test_protocol_calls_no_io_builtins() -> None:
    for path in layer_files("protocol"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if (path.name, node.func.id) in ALLOWED_PROTOCOL_CALLS:
                    continue
                assert node.func.id not in FORBIDDEN_PROTOCOL_CALLS, f"{path.name} calls {node.func.id}()"


RAY_MODULES = {ROOT / "actors" / "handles.py", ROOT / "network" / "compose.py", ROOT / "network" / "runtime.py"}
"""The only modules that may import Ray: the handles (every call on an actor), the composition root (every
ray.remote) and the runtime (starting or attaching Ray). Any import counts, aliased or from-imported, so
ray.get, ray.wait, ray.kill and ray.put cannot hide elsewhere."""


def imports_ray(tree: ast.AST) -> bool:
    return any(violates(module, {"ray"}) for module in imported_modules(tree))


def test_ray_is_imported_only_by_the_handles_the_composition_root_and_the_runtime() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for layer in PROJECT_LAYERS
        for path in layer_files(layer)
        if path not in RAY_MODULES and imports_ray(ast.parse(path.read_text()))
    ]
    assert offenders == []


def test_the_ray_check_sees_aliases_and_local_imports() -> None:
    for source in ("import ray as r\n", "from ray import wait\n", "def f():\n    import ray.util.state\n"):
        assert imports_ray(ast.parse(source)), source


def test_the_checker_catches_a_violation() -> None:
    tree = ast.parse("import time\nfrom ray import get\nfrom autonomys.actors import x\n")
    found = [m for m in imported_modules(tree) if violates(m, FORBIDDEN["protocol"])]
    assert found == ["time", "ray", "autonomys.actors"]


ROLES = ("timekeeper", "archiving", "plotting", "farming", "consensus", "dsn", "objects", "domains", "identity", "ai")
SHARED = {
    "protocol": ("constants", "codec", "errors", "params", "types", "kzg"),
    "actors": ("storage", "clock", "errors", "kzg_setup", "messages", "state_store"),
}
"""Each layer's shared core, which every role package builds on and which itself knows no role."""
SHARED_PACKAGES = {"protocol": ("state",)}
"""Shared packages: the state layer (an authenticated map every state machine keeps its state in)."""


def shared_files(layer: str) -> list[Path]:
    packages = [ROOT / layer / package for package in SHARED_PACKAGES.get(layer, ())]
    return [ROOT / layer / f"{name}.py" for name in SHARED[layer]] + [f for p in packages for f in sorted(p.rglob("*.py"))]


@pytest.mark.parametrize("layer", sorted(SHARED))
def test_the_shared_core_of_a_layer_imports_no_role_package(layer: str) -> None:
    role_packages = {f"autonomys.{layer}.{role}" for role in ROLES}
    files = shared_files(layer)
    problems = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in imported_modules(ast.parse(path.read_text()))
        if violates(module, role_packages)
    ]
    assert problems == []
    assert all(path.exists() for path in files)


@pytest.mark.parametrize("layer", ["protocol", "actors"])
def test_every_module_of_a_layer_is_shared_or_in_a_role_package(layer: str) -> None:
    top_level = {path.stem for path in (ROOT / layer).glob("*.py")} - {"__init__"}
    packages = {path.name for path in (ROOT / layer).iterdir() if (path / "__init__.py").exists()}
    extra = {"actors": {"handles", "links"}}.get(layer, set())
    assert top_level <= set(SHARED[layer]) | extra, "a new module belongs in a role package (or the shared core)"
    assert packages <= set(ROLES) | set(SHARED_PACKAGES.get(layer, ())), (
        "a new role package: add it to ROLES here and to pyproject.toml"
    )


IMPORT_NAMES = {
    "ray": "ray", "pycryptodome": "Crypto", "rocksdict": "rocksdict", "pydantic": "pydantic", "blake3": "blake3",
    "py-arkworks-bls12381": "py_arkworks_bls12381", "click": "click", "rich": "rich", "pyyaml": "yaml",
    "py-sr25519-bindings": "sr25519", "cryptography": "cryptography", "rbcl": "rbcl", "py-evm": "eth",
    "eth-account": "eth_account", "eth-abi": "eth_abi", "eth-utils": "eth_utils", "eth-typing": "eth_typing", "eth-keys": "eth_keys",
    "eth-bloom": "eth_bloom", "rlp": "rlp", "trie": "trie", "coincurve": "coincurve", "numpy": "numpy",
    "scikit-learn": "sklearn",
}  # fmt: skip
"""The module each runtime dependency installs (a new dependency needs its line here)."""


def declared_dependencies() -> set[str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0] for requirement in project["dependencies"]}


def product_imports() -> set[str]:
    return {
        module.split(".")[0]
        for layer in PROJECT_LAYERS
        for path in layer_files(layer)
        for module in imported_modules(ast.parse(path.read_text()))
    }


def test_every_runtime_dependency_is_imported_and_every_import_declared() -> None:
    import sys

    declared = declared_dependencies()
    assert declared <= set(IMPORT_NAMES), f"map the import name of {declared - set(IMPORT_NAMES)} in IMPORT_NAMES"
    imported = product_imports()
    assert {name for name in declared if IMPORT_NAMES[name] not in imported} == set(), "declared, never imported"
    third_party = imported - set(sys.stdlib_module_names) - {"autonomys"}
    assert third_party <= {IMPORT_NAMES[name] for name in declared}, "imported, not declared"
