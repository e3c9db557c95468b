"""What the benchmark scripts share: timing, formatting, the summary table, the ceremony file's place, and
one archived segment of synthetic history cached between runs (imported as a sibling module: the scripts
run as `python benchmarks/<name>.py`, so this folder is on sys.path)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.protocol.params import Params

CEREMONY = Path(__file__).resolve().parents[2] / "shared" / "kzg" / "eth-public-parameters.bin"
Result = TypeVar("Result")


def timed(function: Callable[[], Result]) -> tuple[float, Result]:
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def medians(functions: dict[str, Callable[[], object]], samples: int) -> dict[str, float]:
    """Median seconds of each function, called round-robin `samples` times after one warm-up call each."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for function in functions.values():
        function()
    for _ in range(samples):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 0.01 else f"{seconds * 1e3:.1f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Summary:
    """Rows of the final table: what, figure, against, ratio."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, what: str, figure: str, against: str = "", ratio: str = "") -> None:
        self.rows.append((what, figure, against, ratio))

    def print(self) -> None:
        if not self.rows:
            return
        widths = [max(len(row[column]) for row in self.rows) for column in range(4)]
        header = ("what", "figure", "against", "ratio")
        widths = [max(width, len(name)) for width, name in zip(widths, header, strict=True)]
        print("\nsummary")
        for row in (header, tuple("-" * width for width in widths), *self.rows):
            print("  " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def prepare_history(work_dir: Path, setup: KzgSetup, label: str, params: Params) -> ArchiveHistory:
    """One archived segment of synthetic history (MAINNET archiving sizes, the same as DEV), cached per setup
    under work_dir/network-<label> (about 1.5 min on 2 cores the first time)."""
    from autonomys.network.synth import synthesize_history

    network = work_dir / f"network-{label}"
    if not (network / "archiver").exists():
        print(f"         archiving one segment of synthetic history into {network} (cached for later runs)…", flush=True)
        seconds, _ = timed(lambda: synthesize_history(network, "mainnet", setup, 1))
        print(f"         archived in {seconds:.0f} s", flush=True)
    return ArchiveHistory(network, params)
