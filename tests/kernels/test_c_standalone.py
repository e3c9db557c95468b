"""The C cores build without Python under -Wall -Wextra -Wconversion -Werror and pass their own checks."""

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


def fr_check_command(tmp_path: Path, *defines: str) -> tuple[list[str], Path]:
    binary = tmp_path / ("fr_check" + "".join(defines))
    sources = [KERNELS / "src" / name for name in ("fr.c", "fr_fft.c", "fr_recover.c")]
    command = [
        "gcc", "-O2", "-std=c11", "-Wall", "-Wextra", "-Wconversion", "-Wpedantic", "-Werror", *defines,
        f"-I{KERNELS / 'include'}", *map(str, sources), str(KERNELS / "tests" / "fr_check.c"), "-o", str(binary),
    ]  # fmt: skip
    return command, binary


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_fr_kernel_builds_strict_and_both_arithmetics_agree(tmp_path: Path) -> None:
    """The default build (x86-64 assembly where available) and -DFR_PORTABLE_ONLY pass and print one digest."""
    builds = [fr_check_command(tmp_path), fr_check_command(tmp_path, "-DFR_PORTABLE_ONLY")]
    compilers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for command, _ in builds]
    for compiler in compilers:
        output, _ = compiler.communicate()
        assert compiler.returncode == 0, output.decode()
    outputs = []
    for _, binary in builds:
        result = subprocess.run([str(binary)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout
        assert "1 passed, 0 failed" in result.stdout
        outputs.append(result.stdout)
    assert "arithmetic: portable C" in outputs[1]
    digests = [line for output in outputs for line in output.splitlines() if line.startswith("digest")]
    assert len(digests) == 2
    assert digests[0] == digests[1]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_pos_kernel_builds_strict_and_passes(tmp_path: Path) -> None:
    """BLAKE3 and chiapos vectors, the K=20 proof (`proof_identity_with_main_branch`),
    and every backend building the same tables."""
    binary = tmp_path / "pos_check"
    names = ("pos.c", "pos_table.c", "pos_match.c", "pos_verify.c", "chacha8.c", "blake3.c")
    sources = [KERNELS / "src" / name for name in names]
    command = [
        "gcc", "-O2", "-std=c11", "-Wall", "-Wextra", "-Wconversion", "-Wpedantic", "-Werror", "-pthread",
        f"-I{KERNELS / 'include'}", *map(str, sources), str(KERNELS / "tests" / "pos_check.c"), "-o", str(binary),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True)
    result = subprocess.run([str(binary)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 0 failed" in result.stdout
