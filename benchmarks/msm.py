"""G1 multi-scalar multiplication benchmark: the C kernel (kernels.g1) next to py-arkworks in the same run.

    python benchmarks/msm.py [--setup PATH] [--samples N] [--sizes 32768,4096,1024,128]

  msm       median seconds of one MSM per size: kernel with 1 and 2 threads (and 1 without the GLV
            endomorphism), py-arkworks
            `G1Point.multiexp_unchecked` on ONE core (RAYON_NUM_THREADS=1 is set before importing it),
            wall clock and CPU time (the machine is shared: CPU time is the steadier figure)
  ratio     kernel / arkworks (same run), and kernel / blst at 2^15, blst being a constant quoted from an
            earlier measurement on this machine: single-core Pippenger 0.27-0.34 s (not measured here)
  prepare   preparing 2^15 bases: from py-arkworks points (x ‖ y, the Kzg path), from compressed bytes
            without and (sampled) with the subgroup check
Bases are the ceremony's G1 powers when the file is there (--setup), else pseudo-random subgroup points.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable

os.environ["RAYON_NUM_THREADS"] = "1"  # py-arkworks (rayon) on one core: set before it is imported

from bench_common import CEREMONY, Summary, ms  # noqa: E402
from py_arkworks_bls12381 import G1Point, Scalar  # noqa: E402

from autonomys.kernels import g1  # noqa: E402
from autonomys.protocol.kzg import Kzg, g1_bases_of  # noqa: E402

R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
BLST_SECONDS = (0.27, 0.34)  # blst single-core 2^15 G1 MSM, measured earlier on this machine (quoted)
FULL = 2**15


def measure(function: Callable[[], object], samples: int) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds of this process) over `samples` calls after one warm-up."""
    function()
    walls, cpus = [], []
    for _ in range(samples):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def load_points(setup: str | None, count: int) -> list[G1Point]:
    if setup is not None:
        return Kzg.from_file(setup).g1_powers[:count]
    rng = random.Random(1)
    steps = [G1Point() * Scalar(rng.randrange(1, R)) for _ in range(16)]
    point, points = G1Point(), []
    for _ in range(count):
        point = point + steps[rng.randrange(16)]
        points.append(point)
    return points


def measure_prepare(points: list[G1Point], summary: Summary) -> None:
    compressed = b"".join(bytes(point.to_compressed_bytes()) for point in points)
    seconds, cpu = measure(lambda: g1_bases_of(points), 1)
    print(f"prepare {len(points)} bases from py-arkworks points (x ‖ y): {ms(seconds)} (cpu {ms(cpu)})")
    summary.add(f"prepare {len(points)} (x‖y, Kzg path)", ms(seconds), f"cpu {ms(cpu)}")
    seconds, cpu = measure(lambda: g1.G1Bases.from_compressed(compressed, subgroup_check=False), 1)
    print(f"prepare {len(points)} bases from compressed, no subgroup check: {ms(seconds)} (cpu {ms(cpu)})")
    summary.add(f"prepare {len(points)} (compressed)", ms(seconds), f"cpu {ms(cpu)}")
    sample = compressed[: 48 * 512]
    seconds, cpu = measure(lambda: g1.G1Bases.from_compressed(sample, subgroup_check=True), 1)
    scale = len(points) / 512
    print(f"prepare {len(points)} bases from compressed with subgroup check: {ms(seconds * scale)} (scaled from 512)")
    summary.add(f"prepare {len(points)} (compressed+subgroup)", ms(seconds * scale), f"cpu {ms(cpu * scale)}, scaled")


def measure_size(points: list[G1Point], bases: g1.G1Bases, count: int, samples: int, summary: Summary) -> None:
    rng = random.Random(count)
    scalars = b"".join(rng.randrange(R).to_bytes(32, "big") for _ in range(count))
    ark_scalars = [Scalar.from_be_bytes(scalars[i : i + 32]) for i in range(0, len(scalars), 32)]
    ark_points = points[:count]
    expected = bytes(G1Point.multiexp_unchecked(ark_points, ark_scalars).to_compressed_bytes())
    assert g1.msm(bases, scalars) == expected, "kernel and py-arkworks disagree"
    one = measure(lambda: g1.msm(bases, scalars, threads=1), samples)
    two = measure(lambda: g1.msm(bases, scalars, threads=2), samples)
    plain = measure(lambda: g1.msm(bases, scalars, threads=1, endomorphism=False), samples)
    ark = measure(lambda: G1Point.multiexp_unchecked(ark_points, ark_scalars), samples)
    print(
        f"n={count:>6}: kernel 1 thread {ms(one[0])} (cpu {ms(one[1])}), without GLV {ms(plain[0])} "
        f"(cpu {ms(plain[1])}), 2 threads {ms(two[0])}, py-arkworks 1 core {ms(ark[0])} (cpu {ms(ark[1])})"
    )
    summary.add(f"msm {count} kernel 1 thread", ms(one[0]), f"arkworks {ms(ark[0])}", f"{one[0] / ark[0]:.2f}")
    summary.add(f"msm {count} kernel 1 thread cpu", ms(one[1]), f"arkworks cpu {ms(ark[1])}", f"{one[1] / ark[1]:.2f}")
    summary.add(f"msm {count} kernel 2 threads", ms(two[0]), f"arkworks {ms(ark[0])}", f"{two[0] / ark[0]:.2f}")
    summary.add(f"msm {count} no GLV, cpu", ms(plain[1]), f"arkworks cpu {ms(ark[1])}", f"{plain[1] / ark[1]:.2f}")
    if count == FULL:
        low, high = BLST_SECONDS
        blst = f"blst {low:.2f}-{high:.2f} s (quoted)"
        summary.add(f"msm {count} kernel 1 thread", ms(one[0]), blst, f"{one[0] / high:.2f}-{one[0] / low:.2f}")
        summary.add(f"msm {count} kernel 1 thread cpu", ms(one[1]), blst, f"{one[1] / high:.2f}-{one[1] / low:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", default=str(CEREMONY) if CEREMONY.exists() else None)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--sizes", default="32768,4096,1024,128")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    points = load_points(arguments.setup, max(sizes))
    print(f"bases: {'ceremony ' + arguments.setup if arguments.setup else 'pseudo-random points'}")
    summary = Summary()
    measure_prepare(points, summary)
    bases = g1_bases_of(points)
    for count in sizes:
        measure_size(points, bases, count, arguments.samples, summary)
    summary.print()


if __name__ == "__main__":
    main()
