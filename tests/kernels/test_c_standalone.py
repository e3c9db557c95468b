"""The C core builds without Python under -Wall -Wextra -Wconversion -Werror and passes its own check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

KERNELS = Path(__file__).resolve().parents[2] / "kernels"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_pot_kernel_builds_strict_and_passes(tmp_path: Path) -> None:
    binary = tmp_path / "pot_check"
    sources = [KERNELS / "src" / name for name in ("pot.c", "pot_x86.c", "aes_soft.c")]
    command = [
        "gcc", "-O2", "-std=c11", "-Wall", "-Wextra", "-Wconversion", "-Werror", "-pthread",
        f"-I{KERNELS / 'include'}", *map(str, sources), str(KERNELS / "tests" / "pot_check.c"), "-o", str(binary),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True)
    result = subprocess.run([str(binary)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 0 failed" in result.stdout
