"""Exact Shapley against its axioms and known answers on toy games, TMC-Shapley against exact Shapley, the exact
merge of partial estimates, seeded permutations, and the fixed-point / accrual rules the payout contract follows."""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.ai.shapley import (
    VALUE_SCALE,
    IncompatiblePartials,
    InvalidEstimateRequest,
    InvalidFixedPoint,
    InvalidGame,
    NothingToShare,
    accrual_shares,
    estimate,
    exact_shapley,
    grand_coalition,
    members,
    merge_partials,
    seeded_permutation,
    split_permutations,
    tmc_partial,
    tmc_shapley,
    to_fixed_point,
)

SEED = b"shapley-test"


def glove_game(coalition: int) -> float:
    """Player 0 holds a left glove, players 1 and 2 right gloves: a pair is worth 1 (phi = 2/3, 1/6, 1/6)."""
    return float(min(coalition & 1, (coalition >> 1 & 1) + (coalition >> 2 & 1)))


def weighted_game(weights: list[float]) -> object:
    """An additive game plus a synergy between players 0 and 1."""

    def utility(coalition: int) -> float:
        total = sum(weight for player, weight in enumerate(weights) if coalition >> player & 1)
        return total + (0.5 if coalition & 3 == 3 else 0.0)

    return utility


random_games = st.integers(min_value=1, max_value=5).flatmap(
    lambda players: st.tuples(
        st.just(players),
        st.lists(
            st.floats(min_value=-10, max_value=10, allow_nan=False, width=32),
            min_size=1 << players,
            max_size=1 << players,
        ),
    )
)


def test_glove_game_known_answer() -> None:
    phi = exact_shapley(3, glove_game)
    assert phi == pytest.approx((2 / 3, 1 / 6, 1 / 6), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(random_games)
def test_efficiency(game: tuple[int, list[float]]) -> None:
    players, table = game
    phi = exact_shapley(players, table.__getitem__)
    assert math.fsum(phi) == pytest.approx(table[grand_coalition(players)] - table[0], abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(random_games, random_games)
def test_additivity(first: tuple[int, list[float]], second: tuple[int, list[float]]) -> None:
    players = min(first[0], second[0])
    a, b = first[1][: 1 << players], second[1][: 1 << players]
    joined = exact_shapley(players, lambda coalition: a[coalition] + b[coalition])
    phi_a, phi_b = exact_shapley(players, a.__getitem__), exact_shapley(players, b.__getitem__)
    separate = [x + y for x, y in zip(phi_a, phi_b, strict=True)]
    assert joined == pytest.approx(separate, abs=1e-9)


def test_symmetry_and_null_player() -> None:
    # Players 1 and 2 are interchangeable; player 3 adds nothing to any coalition.
    def utility(coalition: int) -> float:
        return 3.0 * (coalition & 1) + 2.0 * min(1, (coalition >> 1 & 1) + (coalition >> 2 & 1))

    phi = exact_shapley(4, utility)
    assert phi[1] == phi[2] and phi[3] == 0.0
    assert phi == pytest.approx((3.0, 1.0, 1.0, 0.0))


def test_exact_rejects_too_many_players() -> None:
    with pytest.raises(InvalidGame):
        exact_shapley(0, glove_game)
    with pytest.raises(InvalidGame):
        exact_shapley(17, glove_game)


def test_members_of_a_coalition() -> None:
    assert members(0b1011, 4) == (0, 1, 3) and members(0, 3) == ()


# ---- permutations ----


def test_seeded_permutations_are_deterministic_and_differ_by_seed_and_index() -> None:
    first = seeded_permutation(SEED, 7, 10)
    assert first == seeded_permutation(SEED, 7, 10) and sorted(first) == list(range(10))
    assert first != seeded_permutation(SEED, 8, 10) and first != seeded_permutation(b"other", 7, 10)
    # A known answer pins the stream (sha256 counter mode, 8-byte little-endian words, Fisher-Yates).
    assert seeded_permutation(b"", 0, 5) == (2, 1, 0, 3, 4)


def test_seeded_permutations_are_near_uniform() -> None:
    counts = Counter(seeded_permutation(SEED, index, 3) for index in range(6000))
    assert len(counts) == 6 and all(900 < count < 1100 for count in counts.values())


def test_seeded_permutation_rejects_bad_requests() -> None:
    with pytest.raises(InvalidEstimateRequest):
        seeded_permutation("seed", 0, 3)  # type: ignore[arg-type]
    with pytest.raises(InvalidEstimateRequest):
        seeded_permutation(SEED, -1, 3)


# ---- TMC ----


def test_tmc_converges_to_exact_within_a_few_standard_errors() -> None:
    utility = weighted_game([0.3, -0.2, 1.0, 0.05, 0.4, 0.0])
    exact = exact_shapley(6, utility)
    result = tmc_shapley(6, utility, SEED, 400)
    assert result.permutations == 400
    for value, error, truth in zip(result.values, result.standard_errors, exact, strict=True):
        assert abs(value - truth) <= 4 * error + 1e-12
    # Efficiency holds per permutation without truncation, so it holds for the mean exactly (up to float rounding).
    assert math.fsum(result.values) == pytest.approx(utility(63) - utility(0), abs=1e-12)


def test_tmc_of_an_additive_game_is_exact_with_zero_error() -> None:
    result = tmc_shapley(4, weighted_game([0.5, 0.0, 0.25, 0.125]), SEED, 5)
    assert result.values[2:] == (0.25, 0.125) and result.standard_errors[2:] == (0.0, 0.0)


def test_truncation_skips_evaluations_and_credits_zero() -> None:
    # Player 0 alone is worth everything: once it is in the prefix the rest is truncated.
    def utility(coalition: int) -> float:
        return 1.0 if coalition & 1 else 0.0

    full = tmc_partial(5, utility, SEED, 0, 50, tolerance=0.0)
    truncated = tmc_partial(5, utility, SEED, 0, 50, tolerance=1e-6)
    assert estimate(truncated).values == estimate(full).values == (1.0, 0.0, 0.0, 0.0, 0.0)
    assert truncated.evaluations < full.evaluations == 2 + 50 * 5


def test_merge_of_chunks_equals_one_run() -> None:
    utility = weighted_game([0.3, -0.2, 1.0, 0.05])
    whole = tmc_partial(4, utility, SEED, 0, 90, tolerance=0.01)
    chunks = [tmc_partial(4, utility, SEED, start, stop, tolerance=0.01) for start, stop in split_permutations(90, 4)]
    merged = merge_partials(list(reversed(chunks)))
    assert (merged.sums, merged.square_sums, merged.ranges) == (whole.sums, whole.square_sums, whole.ranges)
    assert estimate(merged) == estimate(whole)


def test_merge_rejects_overlaps_and_other_games() -> None:
    utility = weighted_game([0.3, -0.2, 1.0])
    a, b = tmc_partial(3, utility, SEED, 0, 10), tmc_partial(3, utility, SEED, 5, 15)
    with pytest.raises(IncompatiblePartials):
        merge_partials([a, b])
    with pytest.raises(IncompatiblePartials):
        merge_partials([a, tmc_partial(2, utility, SEED, 10, 12)])
    with pytest.raises(IncompatiblePartials):
        merge_partials([a, tmc_partial(3, utility, b"other seed", 10, 12)])
    with pytest.raises(IncompatiblePartials):
        merge_partials([a, tmc_partial(3, utility, SEED, 10, 12, tolerance=0.1)])
    assert merge_partials([a, tmc_partial(3, utility, SEED, 10, 12)]).ranges == ((0, 12),)
    with pytest.raises(IncompatiblePartials):
        merge_partials([])


def test_single_permutation_has_infinite_error_and_bad_ranges_are_rejected() -> None:
    assert estimate(tmc_partial(3, glove_game, SEED, 0, 1)).standard_errors == (math.inf,) * 3
    for start, stop, tolerance in ((3, 3, 0.0), (-1, 2, 0.0), (0, 2, -1.0)):
        with pytest.raises(InvalidEstimateRequest):
            tmc_partial(3, glove_game, SEED, start, stop, tolerance)


def test_split_permutations_covers_every_index_once() -> None:
    assert split_permutations(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert split_permutations(2, 5) == [(0, 1), (1, 2)]
    with pytest.raises(InvalidEstimateRequest):
        split_permutations(0, 2)


# ---- fixed point and the accrual rule ----


def test_fixed_point_rounds_exactly_and_keeps_the_sign() -> None:
    assert to_fixed_point(0.1234565) == 123456 and to_fixed_point(-0.25) == -VALUE_SCALE // 4
    # The float nearest 5e-7 lies below half a micro-unit, so it rounds to 0; the one nearest 1.5e-6 to 2.
    assert (to_fixed_point(5e-7), to_fixed_point(1.5e-6), to_fixed_point(1.0)) == (0, 2, VALUE_SCALE)
    for bad in (math.nan, math.inf, 1e300):
        with pytest.raises(InvalidFixedPoint):
            to_fixed_point(bad)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=10**30), st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=12))
def test_accrual_shares_are_floor_proportional(pool: int, values: list[int]) -> None:
    positive = sum(max(value, 0) for value in values)
    if positive == 0:
        with pytest.raises(NothingToShare):
            accrual_shares(pool, values)
        return
    shares, unallocated = accrual_shares(pool, values)
    assert sum(shares) + unallocated == pool and 0 <= unallocated < len(values)
    for share, value in zip(shares, values, strict=True):
        assert share == math.floor(Fraction(pool * max(value, 0), positive))


def test_accrual_of_an_empty_pool_is_refused() -> None:
    with pytest.raises(NothingToShare):
        accrual_shares(0, [1, 2])
