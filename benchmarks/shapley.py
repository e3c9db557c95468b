"""The TMC-Shapley valuation job fanned out as Ray tasks: speed-up on 1 and 2 workers and error against exact.

    python benchmarks/shapley.py [--contributors 8] [--permutations 96] [--chunks 8]

Measured in one run:
  exact      exact Shapley in process (2**n model fits): the oracle, and its time
  in-process the TMC job run chunk after chunk in this process (run_locally): the serial work, the floor the
             Ray runs are held against (ideal time on w workers = in-process / w)
  Ray w      the same job, the same chunks, as Ray tasks on w workers of a private 2-CPU Ray (w = 1: each task
             asks for 2 CPUs, so they run one at a time; a warm-up run first, see ray_runs)
Speed-up = Ray 1 / Ray 2, its ratio to linear (goal >= 0.9). Error: max |TMC - exact| over contributors, in
accuracy points and in units of each contributor's reported standard error. The example contributors (clean,
duplicate, noisy, irrelevant, then extra clean ones) come from actors.ai.valuation.example_task. The machine's
cores are shared: timings are noisy, take the ratios as indicative.
"""

from __future__ import annotations

import argparse
import os

from bench_common import Summary, timed

from autonomys.actors.ai.valuation import Valuation, ValuationTask, example_task, value_exact, value_tmc
from autonomys.network.compose import RayShapleyFanOut, create_shapley_fan_out
from autonomys.network.runtime import local_ray
from autonomys.network.spec import ClusterSpec


def error_against(estimate: Valuation, exact: Valuation) -> tuple[float, float]:
    """(max abs error, max abs error in standard errors)."""
    errors = [abs(v - t) for v, t in zip(estimate.values, exact.values, strict=True)]
    scaled = [
        e / s if s > 0 else (0.0 if e == 0 else float("inf"))
        for e, s in zip(errors, estimate.standard_errors, strict=True)
    ]
    return max(errors), max(scaled)


def ray_runs(task: ValuationTask, permutations: int, chunks: int) -> dict[int, tuple[float, Valuation]]:
    """The job on 1 and 2 workers of one private 2-CPU Ray (one start-up: starting Ray twice on a loaded machine
    timed out): 1 worker = each chunk task asks for both CPUs, so they run one at a time; 2 workers = one CPU each.
    A warm-up run with another seed first, so worker start-up and the scikit-learn import are not timed."""
    runs = {}
    with local_ray(ClusterSpec(), num_cpus=2):
        base = create_shapley_fan_out()
        for workers in (2, 1):
            fan_out = RayShapleyFanOut(base.remote_chunk.options(num_cpus=2 // workers))
            value_tmc(task, chunks, b"warm-up", chunks=chunks, fan_out=fan_out)
            runs[workers] = timed(
                lambda fan_out=fan_out: value_tmc(task, permutations, b"benchmark", chunks=chunks, fan_out=fan_out)
            )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributors", type=int, default=8, help="4 to 12 (4 = the test scenario)")
    parser.add_argument("--permutations", type=int, default=96)
    parser.add_argument("--chunks", type=int, default=8, help="Ray tasks per run (the same for 1 and 2 workers)")
    options = parser.parse_args()
    summary = Summary()
    print(f"cpus: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f} (shared machine: timings are noisy)")
    for players in sorted({4, options.contributors}):
        task = example_task(seed=0, extra_clean=players - 4)
        exact_seconds, exact = timed(lambda task=task: value_exact(task))
        local_seconds, local = timed(
            lambda task=task: value_tmc(task, options.permutations, b"benchmark", chunks=options.chunks)
        )
        absolute, scaled = error_against(local, exact)
        print(f"{players} contributors: exact {exact_seconds:.2f} s, TMC in process {local_seconds:.2f} s")
        for name, value, tmc, error in zip(
            exact.contributors, exact.values, local.values, local.standard_errors, strict=True
        ):
            print(f"  {name:12} exact {value:+.4f}   TMC {tmc:+.4f} ± {error:.4f}")
        summary.add(f"n={players}: exact Shapley", f"{exact_seconds:.2f} s", f"{2**players} coalitions")
        summary.add(
            f"n={players}: TMC max |error|, m={options.permutations}",
            f"{absolute:.4f}",
            "reported std errors",
            f"{scaled:.2f} SE",
        )
        if players != options.contributors:
            continue
        runs = ray_runs(task, options.permutations, options.chunks)
        (one_seconds, one), (two_seconds, two) = runs[1], runs[2]
        assert one == two == local, "the Ray runs must equal the in-process run exactly"
        speed_up = one_seconds / two_seconds
        print(f"Ray 1 worker {one_seconds:.2f} s, 2 workers {two_seconds:.2f} s, in process {local_seconds:.2f} s")
        summary.add(
            f"n={players}: Ray 1 worker",
            f"{one_seconds:.2f} s",
            f"in process {local_seconds:.2f} s",
            f"{local_seconds / one_seconds:.2f}",
        )
        summary.add(
            f"n={players}: Ray 2 workers",
            f"{two_seconds:.2f} s",
            f"ideal {local_seconds / 2:.2f} s",
            f"{local_seconds / 2 / two_seconds:.2f}",
        )
        summary.add(
            f"n={players}: speed-up 1 -> 2 workers",
            f"{speed_up:.2f}x",
            "linear 2x (goal >= 0.9)",
            f"{speed_up / 2:.2f}",
        )
    summary.print()


if __name__ == "__main__":
    main()
