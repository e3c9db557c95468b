"""Measure this CPU's AES chain rate and pick PoT slot iterations for a target slot time (the DEV preset)."""

from __future__ import annotations

from dataclasses import dataclass

from autonomys.actors.clock import Clock, MonotonicClock
from autonomys.kernels import pot as pot_kernel
from autonomys.protocol.constants import POT_ITERATIONS_MULTIPLE

PROBE_ITERATIONS = 4_000_000
PROBE_ROUNDS = 3


@dataclass(frozen=True, slots=True)
class Calibration:
    iterations_per_second: float
    slot_iterations: int
    target_slot_seconds: float


def measure_chain_rate(clock: Clock, iterations: int = PROBE_ITERATIONS, rounds: int = PROBE_ROUNDS) -> float:
    """Best single-core rate (AES iterations per second) over a few runs of the bare chain."""
    best = 0.0
    for _ in range(rounds):
        started = clock.monotonic()
        pot_kernel.aes_chain(bytes(16), bytes(16), iterations)
        elapsed = clock.monotonic() - started
        best = max(best, iterations / elapsed)
    return best


def calibrate_slot_iterations(target_slot_seconds: float = 1.0, clock: Clock | None = None) -> Calibration:
    """Slot iterations (a multiple of 16) so that proving one slot takes about target_slot_seconds here."""
    rate = measure_chain_rate(clock if clock is not None else MonotonicClock())
    multiple = POT_ITERATIONS_MULTIPLE
    slot_iterations = max(multiple, int(rate * target_slot_seconds) // multiple * multiple)
    return Calibration(rate, slot_iterations, target_slot_seconds)
