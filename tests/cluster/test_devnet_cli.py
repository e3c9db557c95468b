"""The README's main command end to end: `autonomys devnet` starts, proves, stops, and resumes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cluster
SCRIPT = Path(sys.executable).parent / "autonomys"
SUMMARY = re.compile(r"summary: (\d+) slots proven this run \(chain at slot (\d+)\)")


def run_devnet(data_dir: Path, slots: int) -> tuple[int, int, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
    result = subprocess.run(
        [str(SCRIPT), "devnet", "--preset", "minimal", "--data-dir", str(data_dir), "--slots", str(slots)],
        capture_output=True, text=True, timeout=180, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    match = SUMMARY.search(result.stdout)
    assert match is not None, result.stdout
    return int(match.group(1)), int(match.group(2)), result.stdout


def test_devnet_runs_stops_and_resumes_the_same_chain(tmp_path: Path) -> None:
    proven, chain_slot, output = run_devnet(tmp_path, 3)
    assert "devnet created" in output
    assert proven >= 3
    assert chain_slot == proven
    proven_again, chain_again, output_again = run_devnet(tmp_path, 3)
    assert "devnet resumed" in output_again
    assert chain_again == chain_slot + proven_again  # continued, not restarted from genesis
