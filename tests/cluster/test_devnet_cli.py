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
CHAIN = re.compile(r"chain: best block #(\d+) at slot (\d+); blocks authored: farmer-0 (\d+), farmer-1 (\d+); segments archived (\d+)")


def run_devnet(data_dir: Path, slots: int) -> tuple[int, int, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
    result = subprocess.run(
        [str(SCRIPT), "devnet", "--preset", "minimal", "--data-dir", str(data_dir), "--slots", str(slots)],
        capture_output=True, text=True, timeout=360, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    match = SUMMARY.search(result.stdout)
    assert match is not None, result.stdout
    return int(match.group(1)), int(match.group(2)), result.stdout


def chain_line(output: str) -> tuple[int, ...]:
    match = CHAIN.search(output)
    assert match is not None, output
    return tuple(int(group) for group in match.groups())


def test_devnet_runs_stops_and_resumes_the_same_chain(tmp_path: Path) -> None:
    # MINIMAL slots take ~0.1 s; a block is won about every 6-10 slots by the two farmers.
    proven, chain_slot, output = run_devnet(tmp_path, 80)
    assert "devnet created" in output
    assert "archiving the genesis block" in output
    assert proven >= 80
    assert chain_slot == proven
    best, best_slot, by_first, by_second, segments = chain_line(output)
    assert best >= 1 and best == by_first + by_second  # every block so far was authored in this run
    assert 0 < best_slot <= chain_slot
    assert segments >= 1  # the genesis segment
    proven_again, chain_again, output_again = run_devnet(tmp_path, 20)
    assert "devnet resumed" in output_again
    assert "archiving the genesis block" not in output_again
    assert chain_again == chain_slot + proven_again  # continued, not restarted from genesis
    best_again, *_ = chain_line(output_again)
    assert best_again >= best  # the chain resumed from its store
