"""A multi-node Ray cluster on one machine: roles land where their resources live; a plot shard restarts in
place with its farm intact. The scenario runs in its own process (its own cluster, apart from the session's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cluster
SCENARIO = Path(__file__).with_name("multinode_scenario.py")


def test_roles_are_placed_by_resource_and_a_plot_shard_restarts_in_place(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
    env["RAY_AUTH_MODE"] = "disabled"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SCENARIO.parents[1]), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(SCENARIO), str(tmp_path)], capture_output=True, text=True, timeout=300, env=env, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    observed = json.loads(result.stdout.strip().splitlines()[-1])
    assert observed["placement"] == {"timekeeper": True, "farmer-a": True, "farmer-b": True}
    assert observed["restarted_in_place"] is True
    assert observed["sectors_before"] == observed["sectors_after"] == observed["sectors_on_disk"] == 2
