"""The open AI directory from the command line on a running MINIMAL devnet with an Auto ID domain: Alice publishes
a small multi-chunk model (a directory: config + weights) under her Auto ID, `ai search` finds it, `ai get`
writes it back byte for byte from the DSN and again through `autonomys gateway`; a second version appends, Bob
cannot publish under her name (`name_taken`), and `ai show` lists both versions."""

from __future__ import annotations

import random
import re
import signal
import subprocess
from pathlib import Path

import pytest
from test_fraud_devnet import published
from test_objects_cli import GATEWAY, SCRIPT, TIMEOUT, environment, run

from helpers.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
AUTO_ID = re.compile(r"^([0-9a-f]{64})  ", re.MULTILINE)
MODEL_BYTES = 2_000_000
"""Eight 256 KiB chunks and a manifest."""


def test_publish_search_get_and_gateway(tmp_path: Path) -> None:
    data_dir, log_path, ids = tmp_path / "net", tmp_path / "devnet.log", tmp_path / "ids"
    command = [str(SCRIPT), "devnet", "--preset", "minimal", "--data-dir", str(data_dir), "--domain", "auto-id",
               "--cache-peers", "0"]  # fmt: skip
    model = tmp_path / "tiny-llm"
    (model / "weights").mkdir(parents=True)
    (model / "config.json").write_text('{"layers": 2, "hidden": 64}')
    (model / "weights" / "model.bin").write_bytes(random.Random(22).randbytes(MODEL_BYTES))
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment())
        try:
            wait_until(published(data_dir, process, log_path), TIMEOUT, lambda: log_path.read_text(), ignoring=())
            net = ("--data-dir", str(data_dir))
            for name in ("alice", "bob"):
                assert AUTO_ID.search(run("id", "new", name, "--out", str(ids / name)).stdout)
                done = run("id", "register", str(ids / name), *net)
                assert done.returncode == 0, done.stdout + done.stderr
            made = run("ai", "publish", str(model), "--kind", "model", "--license", "Apache-2.0", "--sign",
                       str(ids / "alice"), *net)  # fmt: skip
            assert made.returncode == 0 and "published tiny-llm@1 (model, Apache-2.0)" in made.stdout, (
                made.stdout + made.stderr
            )
            found = run("ai", "search", "LLM", *net)
            assert found.returncode == 0 and found.stdout.startswith("tiny-llm@1  model  Apache-2.0  2 file(s)"), (
                found.stdout + found.stderr
            )
            fetched = run("ai", "get", "tiny-llm", "-o", str(tmp_path / "out"), *net)
            assert fetched.returncode == 0, fetched.stdout + fetched.stderr
            same_tree(model, tmp_path / "out")
            through_the_gateway(model, tmp_path / "via-gateway", net)
            taken = run("ai", "publish", str(model), "--name", "Tiny-LLM", "--kind", "model", "--license", "MIT",
                        "--sign", str(ids / "bob"), *net)  # fmt: skip
            assert taken.returncode == 1 and "name_taken" in taken.stderr, taken.stdout + taken.stderr
            second = run("ai", "publish", str(model / "config.json"), "--name", "tiny-llm", "--kind", "model",
                         "--license", "MIT", "--sign", str(ids / "alice"), *net)  # fmt: skip
            assert second.returncode == 0 and "published tiny-llm@2" in second.stdout, second.stdout + second.stderr
            shown = run("ai", "show", "tiny-llm", *net).stdout
            assert "tiny-llm@1  model  Apache-2.0" in shown and "tiny-llm@2  model  MIT" in shown, shown
            first = run("ai", "get", "tiny-llm@1", "-o", str(tmp_path / "first"), *net)
            assert first.returncode == 0, first.stdout + first.stderr
            same_tree(model, tmp_path / "first")  # version 1 is still there, unchanged
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()


def same_tree(source: Path, copy: Path) -> None:
    files = sorted(path.relative_to(source) for path in source.rglob("*") if path.is_file())
    assert sorted(path.relative_to(copy) for path in copy.rglob("*") if path.is_file()) == files
    for relative in files:
        assert (copy / relative).read_bytes() == (source / relative).read_bytes(), relative


def through_the_gateway(model: Path, output: Path, net: tuple[str, ...]) -> None:
    gateway = subprocess.Popen(
        [str(SCRIPT), "gateway", *net, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment(),
    )  # fmt: skip
    try:
        line = gateway.stdout.readline()  # type: ignore[union-attr]
        port = GATEWAY.search(line).group(1)  # type: ignore[union-attr]
        fetched = run("ai", "get", "tiny-llm@1", "-o", str(output), "--gateway", f"http://127.0.0.1:{port}", *net)
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        same_tree(model, output)
    finally:
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=60) == 0
