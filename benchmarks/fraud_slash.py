"""Time from a bad receipt's inclusion to its slash, in slots, on a MINIMAL devnet with an EVM domain whose
second operator lies (`--faulty-operator KIND`), one run per kind.

The honest operator's watcher notes the number and slot of the consensus block that carried the bad receipt and
of the block that carried the accepted fraud proof (which slashes the liar in that block); the devnet prints the
difference in its summary. The floor is one block: a proof cannot land before the block after the one carrying
the lie (the chain's mean slots per block in the same run is printed beside it).

    python benchmarks/fraud_slash.py [--slots 120] [--kinds state-root,fees]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

KINDS = ("state-root", "extrinsics-root", "drop-bundle", "fees")
LATENCY = re.compile(r"bad receipt to accepted fraud proof in (\d+) blocks \((\d+) slots\)")
CHAIN = re.compile(r"chain: best block #(\d+) at slot (\d+)")
ACCEPTED = re.compile(r"fraud proofs accepted: (\d+)")
SLASHED = re.compile(r"operators slashed: (\d+)")


def run_devnet(kind: str, slots: int, root: Path) -> str:
    command = [
        str(Path(sys.executable).parent / "autonomys"), "devnet", "--preset", "minimal", "--domain", "evm",
        "--faulty-operator", kind, "--slots", str(slots), "--data-dir", str(root / kind), "--rpc-port", "0",
        "--cache-peers", "0",
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, default=120)
    parser.add_argument("--kinds", default=",".join(KINDS))
    arguments = parser.parse_args()
    print("| faulty operator | fraud proofs accepted | operators slashed | bad receipt → slash | slots per block | "
          "blocks / floor (1 block) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as root:
        for kind in arguments.kinds.split(","):
            output = run_devnet(kind, arguments.slots, Path(root))
            latency, chain = LATENCY.search(output), CHAIN.search(output)
            accepted, slashed = ACCEPTED.search(output), SLASHED.search(output)
            if latency is None or chain is None or accepted is None or slashed is None:
                print(f"| {kind} | (no fraud proof accepted in {arguments.slots} slots) | | | | |")
                continue
            blocks, slots = int(latency.group(1)), int(latency.group(2))
            per_block = int(chain.group(2)) / max(1, int(chain.group(1)))
            print(
                f"| {kind} | {accepted.group(1)} | {slashed.group(1)} | {blocks} blocks, {slots} slots | "
                f"{per_block:.1f} | {blocks:.2f}× |"
            )


if __name__ == "__main__":
    main()
