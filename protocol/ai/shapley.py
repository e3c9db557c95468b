"""Shapley values of data contributors: exact enumeration, truncated Monte-Carlo (TMC-Shapley) with a standard
error, an exact merge of partial estimates, seeded permutations and the fixed-point values the payout contract takes.

A game is `players` (n) and a utility over coalitions; a coalition is a bitmask (bit i set: player i is in it).
Exact Shapley enumerates all 2**n coalitions (n <= MAX_EXACT_PLAYERS). TMC-Shapley follows Ghorbani & Zou,
"Data Shapley" (ICML 2019, their `DShap._tmc_shap`): walk a random permutation, credit each player the
utility gained by adding it to the prefix, and stop evaluating (crediting 0) once the prefix is within `tolerance`
of v(N). Permutations come from a sha256 counter-mode stream driving Fisher-Yates, so a (seed, index) pair names one
permutation everywhere: Ray tasks each take a range of indices and their partial sums merge exactly (sums are kept
as Fractions, so the merge order cannot change a bit of the result).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from autonomys.protocol.errors import ProtocolError

Utility = Callable[[int], float]
"""The value of a coalition given as a bitmask of player indices."""

MAX_EXACT_PLAYERS = 16
"""Exact Shapley evaluates 2**n coalitions: beyond 16 players (65,536 model fits) use TMC."""
MAX_PLAYERS = 256
VALUE_SCALE = 10**6
"""Fixed-point scale of the values the payout contract takes: integer micro-units of the metric."""
INT256_MIN, INT256_MAX = -(2**255), 2**255 - 1
MAX_ACCRUAL_VALUE = 2**96
"""Largest value one accrual takes (data_rewards.vy MAX_VALUE): keeps the contract's share arithmetic exact."""
MAX_ACCRUAL_CONTRIBUTORS = 64
"""Contributors one accrual may list (data_rewards.vy MAX_CONTRIBUTORS)."""


class ShapleyError(ProtocolError):
    """Base of the rejections of this module."""


class InvalidGame(ShapleyError):
    """A player count outside 1..MAX_PLAYERS (or above MAX_EXACT_PLAYERS for exact Shapley)."""


class InvalidEstimateRequest(ShapleyError):
    """A negative tolerance, an empty or inverted permutation range, or a seed that is not bytes."""


class IncompatiblePartials(ShapleyError):
    """Partial estimates of different player counts, seeds or tolerances, or whose permutation ranges overlap."""


class InvalidFixedPoint(ShapleyError):
    """A value that is not finite or does not fit an int256 once scaled."""


class NothingToShare(ShapleyError):
    """An accrual with an empty pool, no contributors, or no positive value (the contract reverts likewise)."""


class InvalidAccrual(ShapleyError):
    """An accrual listing too many contributors or a value above MAX_ACCRUAL_VALUE (the contract reverts likewise)."""


def members(coalition: int, players: int) -> tuple[int, ...]:
    """The player indices in a coalition bitmask."""
    return tuple(player for player in range(players) if coalition >> player & 1)


def grand_coalition(players: int) -> int:
    return (1 << players) - 1


def _check_players(players: int, limit: int) -> None:
    if not 1 <= players <= limit:
        raise InvalidGame(f"{players} players: expected 1..{limit}")


# ---- exact ----


def exact_shapley(players: int, utility: Utility) -> tuple[float, ...]:
    """phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)), each v evaluated once."""
    _check_players(players, MAX_EXACT_PLAYERS)
    values = [float(utility(coalition)) for coalition in range(1 << players)]
    weights = [
        Fraction(math.factorial(size) * math.factorial(players - size - 1), math.factorial(players))
        for size in range(players)
    ]
    shapley = []
    for player in range(players):
        bit = 1 << player
        total = Fraction(0)
        for coalition in range(1 << players):
            if coalition & bit == 0:
                gain = Fraction(values[coalition | bit]) - Fraction(values[coalition])
                total += weights[coalition.bit_count()] * gain
        shapley.append(float(total))
    return tuple(shapley)


# ---- seeded permutations ----


class _Stream:
    """sha256(seed || index || counter) blocks, read 8 bytes at a time."""

    def __init__(self, seed: bytes, index: int) -> None:
        self.prefix = seed + index.to_bytes(8, "little")
        self.counter = 0
        self.buffer = b""

    def next_word(self) -> int:
        if len(self.buffer) < 8:
            self.buffer += hashlib.sha256(self.prefix + self.counter.to_bytes(8, "little")).digest()
            self.counter += 1
        word, self.buffer = self.buffer[:8], self.buffer[8:]
        return int.from_bytes(word, "little")

    def below(self, bound: int) -> int:
        """A uniform integer in [0, bound) by rejection (no modulo bias)."""
        limit = (1 << 64) - (1 << 64) % bound
        while True:
            word = self.next_word()
            if word < limit:
                return word % bound


def seeded_permutation(seed: bytes, index: int, players: int) -> tuple[int, ...]:
    """The index-th permutation of range(players) under seed (Fisher-Yates driven by a sha256 counter stream)."""
    if not isinstance(seed, bytes) or index < 0:
        raise InvalidEstimateRequest("the seed must be bytes and the index non-negative")
    _check_players(players, MAX_PLAYERS)
    stream = _Stream(seed, index)
    order = list(range(players))
    for position in range(players - 1, 0, -1):
        other = stream.below(position + 1)
        order[position], order[other] = order[other], order[position]
    return tuple(order)


# ---- truncated Monte-Carlo ----


@dataclass(frozen=True, slots=True)
class TmcPartial:
    """Sums over a set of permutations: what a Ray task returns and what merges."""

    players: int
    seed: bytes
    tolerance: float
    ranges: tuple[tuple[int, int], ...]
    """The permutation indices covered, as sorted disjoint [start, stop) ranges."""
    sums: tuple[Fraction, ...]
    square_sums: tuple[Fraction, ...]
    evaluations: int
    """Utility evaluations made (truncated steps cost none)."""

    @property
    def permutations(self) -> int:
        return sum(stop - start for start, stop in self.ranges)


@dataclass(frozen=True, slots=True)
class ShapleyEstimate:
    """Per-player mean marginal contribution, its standard error (sample std / sqrt(m)) and m."""

    values: tuple[float, ...]
    standard_errors: tuple[float, ...]
    permutations: int


def marginal_contributions(
    order: Sequence[int], utility: Utility, empty_value: float, full_value: float, tolerance: float
) -> list[float]:
    """Each player's marginal contribution along one permutation, by player index (Data Shapley's TMC step)."""
    contributions = [0.0] * len(order)
    previous, coalition = empty_value, 0
    for player in order:
        coalition |= 1 << player
        if abs(full_value - previous) < tolerance:
            continue  # truncated: the rest of the permutation is credited 0
        current = float(utility(coalition))
        contributions[player] = current - previous
        previous = current
    return contributions


def tmc_partial(
    players: int, utility: Utility, seed: bytes, start: int, stop: int, tolerance: float = 0.0
) -> TmcPartial:
    """The sums of permutations start..stop-1 under seed; tolerance 0 never truncates."""
    _check_players(players, MAX_PLAYERS)
    if not 0 <= start < stop or not tolerance >= 0:
        raise InvalidEstimateRequest(f"permutations [{start}, {stop}) with tolerance {tolerance}")
    counted = _CountingUtility(utility)
    empty_value, full_value = counted(0), counted(grand_coalition(players))
    sums = [Fraction(0)] * players
    square_sums = [Fraction(0)] * players
    for index in range(start, stop):
        order = seeded_permutation(seed, index, players)
        for player, gain in enumerate(marginal_contributions(order, counted, empty_value, full_value, tolerance)):
            exact = Fraction(gain)
            sums[player] += exact
            square_sums[player] += exact * exact
    return TmcPartial(players, seed, tolerance, ((start, stop),), tuple(sums), tuple(square_sums), counted.evaluations)


class _CountingUtility:
    def __init__(self, utility: Utility) -> None:
        self.utility, self.evaluations = utility, 0

    def __call__(self, coalition: int) -> float:
        self.evaluations += 1
        return float(self.utility(coalition))


def merge_partials(partials: Sequence[TmcPartial]) -> TmcPartial:
    """The sums over the union of disjoint permutation ranges: equal to one run over all of them."""
    if len(partials) == 0:
        raise IncompatiblePartials("nothing to merge")
    first = partials[0]
    players = first.players
    if any((p.players, p.seed, p.tolerance) != (players, first.seed, first.tolerance) for p in partials):
        raise IncompatiblePartials("partials of different player counts, seeds or tolerances")
    ranges = sorted(block for partial in partials for block in partial.ranges)
    for (_, stop), (start, _) in zip(ranges, ranges[1:], strict=False):
        if start < stop:
            raise IncompatiblePartials(f"permutation ranges overlap at index {start}")
    return TmcPartial(
        players,
        first.seed,
        first.tolerance,
        _coalesce(ranges),
        tuple(sum((p.sums[i] for p in partials), Fraction(0)) for i in range(players)),
        tuple(sum((p.square_sums[i] for p in partials), Fraction(0)) for i in range(players)),
        sum(partial.evaluations for partial in partials),
    )


def _coalesce(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    joined: list[tuple[int, int]] = []
    for start, stop in ranges:
        if joined and joined[-1][1] == start:
            joined[-1] = (joined[-1][0], stop)
        else:
            joined.append((start, stop))
    return tuple(joined)


def estimate(partial: TmcPartial) -> ShapleyEstimate:
    """Means and standard errors (sample std with m - 1 / sqrt(m); infinite for a single permutation)."""
    count = partial.permutations
    means = [total / count for total in partial.sums]
    errors = []
    for mean, square_sum in zip(means, partial.square_sums, strict=True):
        if count < 2:
            errors.append(math.inf)
            continue
        variance = (square_sum - count * mean * mean) / (count - 1)
        errors.append(math.sqrt(float(variance) / count))
    return ShapleyEstimate(tuple(float(mean) for mean in means), tuple(errors), count)


def split_permutations(total: int, chunks: int) -> list[tuple[int, int]]:
    """[start, stop) ranges covering 0..total-1 in `chunks` near-equal pieces (fewer if total < chunks)."""
    if total < 1 or chunks < 1:
        raise InvalidEstimateRequest(f"{total} permutations in {chunks} chunks")
    pieces = min(total, chunks)
    bounds = [total * piece // pieces for piece in range(pieces + 1)]
    return list(zip(bounds, bounds[1:], strict=False))


def tmc_shapley(
    players: int, utility: Utility, seed: bytes, permutations: int, tolerance: float = 0.0
) -> ShapleyEstimate:
    """TMC-Shapley over permutations 0..permutations-1 under seed, in one place."""
    return estimate(tmc_partial(players, utility, seed, 0, permutations, tolerance))


# ---- fixed point for the contract ----


def to_fixed_point(value: float) -> int:
    """round(value * VALUE_SCALE) (half to even, exactly), signed: the contract clamps negatives to 0."""
    if not math.isfinite(value):
        raise InvalidFixedPoint(f"value {value} is not finite")
    scaled = round(Fraction(value) * VALUE_SCALE)
    if not INT256_MIN <= scaled <= INT256_MAX:
        raise InvalidFixedPoint(f"value {value} does not fit an int256 at scale {VALUE_SCALE}")
    return scaled


def accrual_shares(pool: int, values: Sequence[int]) -> tuple[tuple[int, ...], int]:
    """The payout contract's rule (data_rewards.vy `accrue`): share_i = pool * max(v_i, 0) // sum max(v_j, 0);
    returns the shares and the unallocated remainder."""
    if len(values) > MAX_ACCRUAL_CONTRIBUTORS or any(value > MAX_ACCRUAL_VALUE for value in values):
        raise InvalidAccrual(f"{len(values)} values, largest {max(values, default=0)}: above the contract's bounds")
    weights = [max(value, 0) for value in values]
    total = sum(weights)
    if pool <= 0 or total == 0:
        raise NothingToShare(f"pool {pool}, positive weight {total}: nothing to share")
    shares = tuple(pool * weight // total for weight in weights)
    return shares, pool - sum(shares)
