"""Proof-of-time benchmark: the prover against this CPU's AES chain limit, and the verifier speed-up.

    python benchmarks/pot.py [--seconds 0.5] [--repeats 3]

Measured in one run:
  limit   the bare single-core AES-128 chain in C (10 dependent AES rounds per iteration: the floor)
  prove   protocol.timekeeper.pot.prove through the Python API (key derivation, kernel call, checkpoint objects)
  verify  protocol.timekeeper.pot.verify of the same slot on each backend (16 interleaved half-chains)
Ratios: prove/limit (goal >= 0.95); prove time / verify time (goal >= 6 with AES-NI, >= 10 with VAES;
the reference expects 7).
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from autonomys.kernels import pot as pot_kernel
from autonomys.protocol.constants import POT_ITERATIONS_MULTIPLE
from autonomys.protocol.params import MAINNET
from autonomys.protocol.timekeeper.pot import PotSeed, prove, verify

SEED = PotSeed.from_hex("d666ccd8d593c23da8db6b5b1413b13a")
VERIFY_GOALS = {"aes-ni": 6.0, "vaes-256": 10.0, "vaes-512": 10.0}


def best_seconds(function, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run(seconds: float, repeats: int) -> dict:
    probe = 2_000_000
    rate_guess = probe / best_seconds(lambda: pot_kernel.aes_chain(bytes(16), bytes(16), probe), 2)
    iterations = max(POT_ITERATIONS_MULTIPLE, int(rate_guess * seconds) // POT_ITERATIONS_MULTIPLE * POT_ITERATIONS_MULTIPLE)
    limit = best_seconds(lambda: pot_kernel.aes_chain(bytes(16), bytes(16), iterations), repeats)
    proving = best_seconds(lambda: prove(SEED, iterations), repeats)
    checkpoints = prove(SEED, iterations)
    verifying = {}
    for backend in pot_kernel.available_backends():
        if backend in ("reference", "portable"):
            continue
        assert verify(SEED, iterations, checkpoints, backend)
        verifying[backend] = best_seconds(lambda b=backend: verify(SEED, iterations, checkpoints, b), repeats)
    portable_iterations = iterations // 64 // POT_ITERATIONS_MULTIPLE * POT_ITERATIONS_MULTIPLE
    portable = best_seconds(lambda: prove(SEED, portable_iterations, "portable"), 1) * iterations / portable_iterations
    reference_iterations = 16_000
    reference = best_seconds(lambda: prove(SEED, reference_iterations, "reference"), 1) * iterations / reference_iterations
    return {
        "cpu": cpu_name(),
        "iterations": iterations,
        "limit_seconds": limit,
        "limit_iterations_per_second": iterations / limit,
        "prove_seconds": proving,
        "prove_iterations_per_second": iterations / proving,
        "prove_over_limit": limit / proving,
        "verify_seconds": verifying,
        "verify_speedup": {backend: proving / value for backend, value in verifying.items()},
        "portable_prove_seconds_scaled": portable,
        "reference_prove_seconds_scaled": reference,
        "mainnet_slot_seconds_here": MAINNET.pot_slot_iterations / (iterations / proving),
    }


def report(result: dict) -> None:
    print(f"CPU: {result['cpu']}; {result['iterations']:,} iterations per run (best of repeats)")
    print(f"limit   bare AES chain (C)      {result['limit_iterations_per_second'] / 1e6:8.2f} M it/s "
          f"({1e9 / result['limit_iterations_per_second']:.2f} ns/it)")
    print(f"prove   Python API              {result['prove_iterations_per_second'] / 1e6:8.2f} M it/s "
          f"-> prove/limit = {result['prove_over_limit']:.3f} (goal >= 0.95)")
    for backend, speedup in result["verify_speedup"].items():
        seconds = result["verify_seconds"][backend]
        goal = VERIFY_GOALS.get(backend)
        goal_text = f" (goal >= {goal:g})" if goal is not None else ""
        print(f"verify  {backend:<8} {seconds * 1e3:9.2f} ms -> speed-up over proving = {speedup:5.2f}{goal_text}")
    print(f"portable C prove (no AES instructions), scaled: {result['portable_prove_seconds_scaled']:.2f} s "
          f"= {result['portable_prove_seconds_scaled'] / result['prove_seconds']:.1f}x slower")
    print(f"pure-Python reference prove, scaled: {result['reference_prove_seconds_scaled']:.1f} s "
          f"= {result['reference_prove_seconds_scaled'] / result['prove_seconds']:.0f}x slower")
    print(f"a MAINNET slot (206,557,520 iterations) takes {result['mainnet_slot_seconds_here']:.2f} s on this CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=0.5, help="target duration of one proving run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    result = run(arguments.seconds, arguments.repeats)
    if arguments.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)


if __name__ == "__main__":
    main()
