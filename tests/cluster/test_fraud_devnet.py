"""A lying operator on a running MINIMAL devnet (`--faulty-operator fees`, a `balances` domain): the honest
operator proves the lie, the chain slashes the liar, and the summary says so; meanwhile `autonomys domain watch`,
an unstaked watcher in its own process, derives the domain from the chain and checks its receipts."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest
from test_objects_cli import SCRIPT, TIMEOUT, environment, run

from helpers.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
CHECKED = re.compile(r"(\d+) receipts checked, (\d+) bad")


def test_a_faulty_operator_is_slashed_and_an_unstaked_watcher_follows(tmp_path: Path) -> None:
    data_dir, log_path = tmp_path / "net", tmp_path / "devnet.log"
    command = [str(SCRIPT), "devnet", "--preset", "minimal", "--data-dir", str(data_dir), "--domain", "balances",
               "--faulty-operator", "fees", "--cache-peers", "0"]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment())
        try:

            def slashed() -> bool:
                assert process.poll() is None, log_path.read_text()
                status = run("domain", "status", "--data-dir", str(data_dir))
                return status.returncode == 0 and "operator 1" not in status.stdout and "receipt #" in status.stdout

            wait_until(published(data_dir, process, log_path), TIMEOUT, lambda: log_path.read_text(), ignoring=())
            wait_until(slashed, TIMEOUT, lambda: log_path.read_text(), ignoring=(), interval=2.0)
            watched = run("domain", "watch", "--data-dir", str(data_dir), "--polls", "40", "--poll-seconds", "0.2")
            assert watched.returncode == 0, watched.stdout + watched.stderr
            counts = [tuple(map(int, found)) for found in CHECKED.findall(watched.stdout)]
            assert counts and counts[-1][0] >= 1, watched.stdout  # it derived blocks and checked their receipts
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
    output = log_path.read_text()
    assert "fraud proofs accepted: 1" in output and "operators slashed: 1" in output, output
    assert "faulty operator-0-1 (fees" in output and "fraud proofs submitted by operator-0-0" in output, output


def published(data_dir: Path, process: subprocess.Popen, log_path: Path):
    def check() -> bool:
        assert process.poll() is None, log_path.read_text()
        return (data_dir / "ray-address").exists()

    return check
