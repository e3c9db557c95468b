"""Solution ranges (`pieces_to_solution_range`, `derive_next_solution_range`): how wide a farmer's winning
window is, and how it follows pledged space.

Every function computes in the reference's integer order (u64 left to right, u128 intermediates where it
widens), so the results match it bit for bit. The ratio record_num_chunks : num_s_buckets comes from the
parameters; MAINNET gives the reference's 32 768 : 65 536.
"""

from __future__ import annotations

from autonomys.protocol.constants import EXPECTED_VOTES_PER_BLOCK, U64_MAX
from autonomys.protocol.errors import InvalidParams
from autonomys.protocol.params import MAINNET, Params


def _validate_u64(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U64_MAX:
        msg = f"{name}={value!r} must be an int in 0..2^64-1"
        raise InvalidParams(msg)
    return value


def _validate_probability(slot_probability: tuple[int, int]) -> tuple[int, int]:
    numerator, denominator = slot_probability
    if not 0 < numerator <= denominator:
        msg = f"slot_probability={slot_probability} must be a fraction in (0, 1]"
        raise InvalidParams(msg)
    return numerator, denominator


def _pieces_numerator(slot_probability: tuple[int, int], params: Params) -> int:
    numerator, denominator = _validate_probability(slot_probability)
    return U64_MAX // denominator * numerator // params.record_num_chunks * params.num_s_buckets


def pieces_to_solution_range(pieces: int, slot_probability: tuple[int, int], params: Params = MAINNET) -> int:
    """The range at which `pieces` pledged pieces win a slot with probability slot_probability.

    An audited s-bucket holds about half a chunk per piece, and a chunk wins with probability range / 2^64.
    """
    # A network has at least one piece: the reference divides by a NonZeroU64.
    if _validate_u64("pieces", pieces) == 0:
        msg = "pieces must be positive"
        raise InvalidParams(msg)
    return _pieces_numerator(slot_probability, params) // pieces


def solution_range_to_pieces(solution_range: int, slot_probability: tuple[int, int], params: Params = MAINNET) -> int:
    """The pledged pieces a solution range stands for (the inverse of pieces_to_solution_range)."""
    if _validate_u64("solution_range", solution_range) == 0:
        msg = "solution_range must be positive"
        raise InvalidParams(msg)
    return _pieces_numerator(slot_probability, params) // solution_range


INITIAL_SOLUTION_RANGE = pieces_to_solution_range(1000, MAINNET.slot_probability)
"""The genesis range of the reference: 1000 pieces (one sector) at slot probability 1/6 = 6 148 914 691 236 495."""


def derive_next_solution_range(
    current_solution_range: int, era_slot_count: int, slot_probability: tuple[int, int], era_duration: int
) -> int:
    """The range for the next era: scaled by slots taken / slots expected for era_duration blocks, clamped to
    [current / 4, current * 4] (saturating, as derive_next_solution_range does)."""
    current = _validate_u64("current_solution_range", current_solution_range)
    _validate_u64("era_slot_count", era_slot_count)
    numerator, denominator = _validate_probability(slot_probability)
    # An era is at least one block long.
    if isinstance(era_duration, bool) or not isinstance(era_duration, int) or era_duration <= 0:
        msg = f"era_duration={era_duration!r} must be a positive int"
        raise InvalidParams(msg)
    u128_max = 2**128 - 1
    scaled = min(min(current * era_slot_count, u128_max) * numerator, u128_max) // era_duration // denominator
    adjusted = min(scaled, U64_MAX)
    return max(current // 4, min(adjusted, min(current * 4, U64_MAX)))


def compute_voting_solution_range(solution_range: int, expected_votes_per_block: int = EXPECTED_VOTES_PER_BLOCK) -> int:
    """The wider range within which a solution counts as a vote: range * (votes + 1), saturating at u64."""
    return min(_validate_u64("solution_range", solution_range) * (expected_votes_per_block + 1), U64_MAX)


def compute_block_fork_weight(solution_range: int) -> int:
    """A block's contribution to its chain's weight: u64::MAX − solution_range (a u128 in the reference)."""
    return U64_MAX - _validate_u64("solution_range", solution_range)


def is_within_solution_range(distance: int, solution_range: int) -> bool:
    """True when a chunk's bidirectional distance to the challenge is at most half the range."""
    return distance <= solution_range // 2
