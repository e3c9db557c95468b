"""Tunable protocol parameters: one frozen record with MAINNET, DEV and MINIMAL presets.

Derived values are properties, never retyped. Every constrained value says its constraint,
and `__post_init__` enforces it with InvalidParams.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from autonomys.protocol.constants import POT_ITERATIONS_MULTIPLE, POT_NUM_CHECKPOINTS, U32_MAX
from autonomys.protocol.errors import InvalidParams


@dataclass(frozen=True, slots=True)
class Params:
    name: str
    slot_duration_ms: int
    """Target wall time of one slot; PoT iterations are chosen so a slot takes about this long."""
    pot_slot_iterations: int
    """AES-128 iterations per slot; a non-zero multiple of 16 that fits in u32."""
    pot_entropy_injection_interval: int
    """Blocks between entropy injections; must exceed pot_entropy_injection_delay."""
    pot_entropy_injection_lookback_depth: int
    """Injection intervals to look back for the entropy source block."""
    pot_entropy_injection_delay: int
    """Slots after the triggering block at which entropy is injected; must exceed block_authoring_delay + 1."""
    block_authoring_delay: int
    """Slots between a PoT slot and the block that may claim it (also `future_proof_of_time` offset)."""
    slot_probability: tuple[int, int]
    """Probability (numerator, denominator) that a slot has a block."""
    confirmation_depth_k: int
    """Blocks after which a block is final and may be archived."""
    era_duration: int
    """Blocks between solution-range adjustments."""

    def __post_init__(self) -> None:
        validate_params(self)

    @property
    def pot_checkpoint_iterations(self) -> int:
        """AES iterations between two checkpoints."""
        return self.pot_slot_iterations // POT_NUM_CHECKPOINTS

    @property
    def pot_entropy_injection_lookback_blocks(self) -> int:
        """How far back (in blocks) an injection takes its entropy from."""
        return self.pot_entropy_injection_interval * self.pot_entropy_injection_lookback_depth

    def with_slot_iterations(self, slot_iterations: int) -> Params:
        """The same preset with PoT slot iterations replaced (DEV calibration)."""
        return dataclasses.replace(self, pot_slot_iterations=slot_iterations)


def validate_slot_iterations(slot_iterations: int) -> None:
    """Raise InvalidParams unless slot_iterations is a non-zero multiple of 16 within u32."""
    if isinstance(slot_iterations, bool) or not isinstance(slot_iterations, int):
        msg = f"slot_iterations must be an int, got {type(slot_iterations).__name__}"
        raise InvalidParams(msg)
    if not 0 < slot_iterations <= U32_MAX:
        msg = f"slot_iterations={slot_iterations} must be in 1..{U32_MAX}"
        raise InvalidParams(msg)
    if slot_iterations % POT_ITERATIONS_MULTIPLE != 0:
        msg = f"slot_iterations={slot_iterations} is not a multiple of {POT_ITERATIONS_MULTIPLE}"
        raise InvalidParams(msg)


def validate_params(params: Params) -> None:
    """Raise InvalidParams when a preset breaks a constraint stated on its fields."""
    validate_slot_iterations(params.pot_slot_iterations)
    # The reference statically asserts interval > delay > authoring delay + 1.
    if params.pot_entropy_injection_interval <= params.pot_entropy_injection_delay:
        msg = (
            f"pot_entropy_injection_interval={params.pot_entropy_injection_interval} must exceed "
            f"pot_entropy_injection_delay={params.pot_entropy_injection_delay}"
        )
        raise InvalidParams(msg)
    if params.pot_entropy_injection_delay <= params.block_authoring_delay + 1:
        msg = (
            f"pot_entropy_injection_delay={params.pot_entropy_injection_delay} must exceed "
            f"block_authoring_delay + 1 = {params.block_authoring_delay + 1}"
        )
        raise InvalidParams(msg)
    numerator, denominator = params.slot_probability
    if not 0 < numerator <= denominator:
        msg = f"slot_probability={params.slot_probability} must be a fraction in (0, 1]"
        raise InvalidParams(msg)
    for field in ("slot_duration_ms", "pot_entropy_injection_lookback_depth", "confirmation_depth_k", "era_duration"):
        if getattr(params, field) <= 0:
            msg = f"{field}={getattr(params, field)} must be positive"
            raise InvalidParams(msg)


MAINNET = Params(
    name="mainnet",
    slot_duration_ms=1000,
    pot_slot_iterations=206_557_520,
    pot_entropy_injection_interval=50,
    pot_entropy_injection_lookback_depth=2,
    pot_entropy_injection_delay=15,
    block_authoring_delay=4,
    slot_probability=(1, 6),
    confirmation_depth_k=100,
    era_duration=2016,
)

# The local network: real algorithms; slot iterations are calibrated on the machine when the
# network is created (about one second per slot) and recorded in its genesis config.
DEV = dataclasses.replace(MAINNET, name="dev", pot_slot_iterations=100_000_000, confirmation_depth_k=10)

# Fast tests: same rules, tiny numbers.
MINIMAL = dataclasses.replace(
    MAINNET,
    name="minimal",
    slot_duration_ms=100,
    pot_slot_iterations=160,
    pot_entropy_injection_interval=10,
    pot_entropy_injection_delay=6,
    block_authoring_delay=2,
    confirmation_depth_k=5,
    era_duration=20,
)

PRESETS: dict[str, Params] = {preset.name: preset for preset in (MAINNET, DEV, MINIMAL)}


def get_preset(name: str) -> Params:
    """The preset called `name`; InvalidParams lists the known names otherwise."""
    if name not in PRESETS:
        msg = f"unknown preset {name!r}; known: {', '.join(sorted(PRESETS))}"
        raise InvalidParams(msg)
    return PRESETS[name]
