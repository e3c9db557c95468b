"""The open AI directory round trip on a devnet: publish a model of --mib MiB and get it back, next to a plain
`ObjectClient` put and get of as many bytes in the same run.

    python benchmarks/ai_directory.py [--mib 50] [--preset minimal|dev] [--work-dir DIR]

Starts `autonomys devnet --preset P --domain auto-id --cache-peers 0` in --work-dir, makes and registers an Auto
ID (`autonomys id new`, `id register`), then, attached as a Ray driver:

  put      ObjectClient.put of --mib random MiB: the physical figure here, the devnet's own object path.
  entry    DirectoryClient.publish of the same bytes as a one-file model: the chain already holds every payload,
           so this is what the directory adds (blake3 of the file, the located checks, the signed entry relayed
           on the Auto ID domain and its inclusion awaited). publish = put + entry.
  get      ObjectClient.get of the object, then DirectoryClient.get of NAME@1 back to back (the same archival
           state): the entry resolved from the operator's state, the object read through the DSN, its size and
           blake3 checked, written to a temporary file and renamed; compared byte for byte.

directory/plain = plain seconds / directory seconds (1.0: the directory costs nothing on top of the objects).
Timings on a 2-core machine shared with other work are noisy; the devnet's block production bounds both puts.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import Summary, timed

MIB = 1 << 20
SCRIPT = Path(sys.executable).parent / "autonomys"
START_TIMEOUT = 300.0
MAX_RETRIES = 20


def environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}


def cli(*arguments: str) -> str:
    done = subprocess.run([str(SCRIPT), *arguments], capture_output=True, text=True, env=environment(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"autonomys {' '.join(arguments)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def start_devnet(data_dir: Path, preset: str, log_path: Path) -> subprocess.Popen:
    command = [str(SCRIPT), "devnet", "--preset", preset, "--data-dir", str(data_dir), "--domain", "auto-id",
               "--cache-peers", "0"]  # fmt: skip
    process = subprocess.Popen(command, stdout=log_path.open("w"), stderr=subprocess.STDOUT, env=environment())
    deadline = time.monotonic() + START_TIMEOUT
    while not (data_dir / "ray-address").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the devnet did not start:\n{log_path.read_text()[-2000:]}")
        time.sleep(1)
    return process


class PatientObjects:
    """An ObjectClient whose put starts again when the node does not answer in time (ActorUnavailable, a loaded
    machine): a put skips the payloads the chain already holds, so starting again resumes it. Counts the retries."""

    def __init__(self, objects: Any) -> None:
        self.objects = objects
        self.retries = 0

    def put(self, data: bytes, signer: Any, on_progress: Any = None, wait_seconds: float = 3600) -> bytes:
        from autonomys.actors.errors import ActorUnavailable

        while True:
            try:
                return self.objects.put(data, signer, on_progress, wait_seconds)
            except ActorUnavailable as error:
                self.retries += 1
                if self.retries > MAX_RETRIES:
                    raise
                print(f"put: the node did not answer ({error}); resuming", flush=True)


def measure(data_dir: Path, work: Path, mib: float, summary: Summary) -> None:
    from autonomys.actors.ai.directory_client import DirectoryClient, load_publisher
    from autonomys.actors.objects.client import dev_account
    from autonomys.cli.domain import _operator_of
    from autonomys.cli.objects import object_client
    from autonomys.network.client import Network
    from autonomys.network.runtime import named_actors
    from autonomys.network.spec import NAMESPACE
    from autonomys.protocol.ai.directory import EntryKind

    model = work / "bench-model"
    model.mkdir(exist_ok=True)
    data = random.Random(2).randbytes(int(mib * MIB))
    (model / "model.bin").write_bytes(data)
    payer, publisher = dev_account(), load_publisher(work / "ids" / "alice")
    with object_client(data_dir, None, NAMESPACE, None) as client:
        objects = PatientObjects(client)
        directory = DirectoryClient(_operator_of(Network.attach(NAMESPACE, named_actors(NAMESPACE)), 0), 0)
        put_seconds, object_id = timed(lambda: objects.put(data, payer, wait_seconds=3600))
        # The same bytes again through the directory: the chain holds every payload already, so this is what the
        # directory adds to a put (hashing, the located check, the signed entry and its domain block).
        entry_seconds, published = timed(lambda: directory.publish(
            model / "model.bin", "bench-model", EntryKind.MODEL, "Apache-2.0", publisher, objects, payer,
            wait_seconds=3600))  # fmt: skip
        if published.entry.files[0].object_id != object_id:
            raise SystemExit("the published file is not the object put")
        get_seconds, got = timed(lambda: client.get(object_id))
        if got != data:
            raise SystemExit("the plain object read back differs")
        out = work / "bench-out"
        shutil.rmtree(out, ignore_errors=True)
        fetch_seconds, _ = timed(lambda: directory.get("bench-model@1", out, client.iter_object))
        if (out / "model.bin").read_bytes() != data:
            raise SystemExit("the published model read back differs")
    publish_seconds = put_seconds + entry_seconds
    if objects.retries:
        print(f"(puts resumed {objects.retries} time(s) after the node did not answer within its timeout)")
    print(f"plain     put {mib:g} MiB {put_seconds:.1f} s = {mib / put_seconds:.2f} MiB/s; "
          f"get {get_seconds:.1f} s = {mib / get_seconds:.2f} MiB/s", flush=True)  # fmt: skip
    print(f"directory publish = put + {entry_seconds:.1f} s (entry) = {mib / publish_seconds:.2f} MiB/s; "
          f"get {fetch_seconds:.1f} s = {mib / fetch_seconds:.2f} MiB/s, byte-identical", flush=True)  # fmt: skip
    summary.add(f"ai publish, {mib:g} MiB model", f"**{mib / publish_seconds:.2f} MiB/s** ({publish_seconds:.1f} s)",
                f"plain put {mib / put_seconds:.2f} MiB/s", f"**{put_seconds / publish_seconds:.2f}**")  # fmt: skip
    summary.add(f"ai get, {mib:g} MiB model", f"**{mib / fetch_seconds:.2f} MiB/s** ({fetch_seconds:.1f} s)",
                f"plain get {mib / get_seconds:.2f} MiB/s", f"**{get_seconds / fetch_seconds:.2f}**")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=float, default=50, help="model size (MiB)")
    parser.add_argument("--preset", default="minimal", choices=["minimal", "dev"])
    parser.add_argument("--work-dir", type=Path, default=None, help="default: a fresh temporary directory")
    arguments = parser.parse_args()
    work = arguments.work_dir or Path(tempfile.mkdtemp(prefix="autonomys-bench-ai-"))
    work.mkdir(parents=True, exist_ok=True)
    data_dir = work / "net"
    process = start_devnet(data_dir, arguments.preset, work / "devnet.log")
    summary = Summary()
    try:
        cli("id", "new", "bench publisher", "--out", str(work / "ids" / "alice"))
        cli("id", "register", str(work / "ids" / "alice"), "--data-dir", str(data_dir))
        measure(data_dir, work, arguments.mib, summary)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
    summary.print()


if __name__ == "__main__":
    main()
