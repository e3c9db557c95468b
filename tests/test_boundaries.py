"""Import hygiene (conventions.md): an AST walk over every module enforces the layer table."""

from __future__ import annotations

import ast
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


def test_ray_calls_live_in_handles_and_build_only() -> None:
    allowed = {ROOT / "actors" / "handles.py", ROOT / "network" / "compose.py", ROOT / "network" / "launch.py"}
    for layer in ("actors", "network", "cli", "clusters"):
        for path in layer_files(layer):
            if path in allowed:
                continue
            source = path.read_text()
            for needle in ("ray.get(", "ray.remote(", ".remote(", "ray.get_actor(", "ray.init("):
                assert needle not in source, f"{path.relative_to(ROOT)} calls {needle}"


def test_the_checker_catches_a_violation() -> None:
    tree = ast.parse("import time\nfrom ray import get\nfrom autonomys.actors import x\n")
    found = [m for m in imported_modules(tree) if violates(m, FORBIDDEN["protocol"])]
    assert found == ["time", "ray", "autonomys.actors"]
