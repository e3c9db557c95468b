"""Integer fixed-point fractions of staking (sp-arithmetic `Perquintill`, `Percent`) and the pool share price
(pallet-domains staking.rs `SharePrice`).

Every fraction is a whole number of parts per its accuracy (10^18 for Perquintill, 100 for Percent); every product
rounds exactly as sp-arithmetic does, so balances come out identical to the Shannon. No floats anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from autonomys.protocol.codec import Reader, validate_uint
from autonomys.protocol.errors import ShareOverflow, ZeroSharePrice

U128_MAX = 2**128 - 1
PERQUINTILL_ACCURACY = 10**18
PERCENT_ACCURACY = 100


# ---- per-things ----


@dataclass(frozen=True, slots=True, order=True)
class _PerThing:
    """`parts` out of ACCURACY; the sp-arithmetic `PerThing` arithmetic, exact in Python ints."""

    ACCURACY: ClassVar[int] = 1
    WIDTH: ClassVar[int] = 1
    parts: int

    def __post_init__(self) -> None:
        validate_uint(type(self).__name__, self.parts, self.ACCURACY)

    @classmethod
    def one(cls) -> Self:
        return cls(cls.ACCURACY)

    @classmethod
    def zero(cls) -> Self:
        return cls(0)

    @classmethod
    def from_percent(cls, percent: int) -> Self:
        """`percent`% (sp-arithmetic `from_percent`, saturating at 100)."""
        return cls(min(percent, 100) * cls.ACCURACY // 100)

    @classmethod
    def from_rational(cls, numerator: int, denominator: int) -> Self:
        """floor(numerator · ACCURACY / denominator); one when numerator > denominator or denominator is 0
        (sp-arithmetic `from_rational` = `from_rational_with_rounding(.., Down).unwrap_or(one)`)."""
        if denominator == 0 or numerator > denominator:
            return cls.one()
        return cls(numerator * cls.ACCURACY // denominator)

    def mul_floor(self, value: int) -> int:
        """floor(value · parts / ACCURACY)."""
        return value * self.parts // self.ACCURACY

    def mul_ceil(self, value: int) -> int:
        """ceil(value · parts / ACCURACY)."""
        return -(-value * self.parts // self.ACCURACY)

    def plus_epsilon(self) -> Self:
        """One part more, saturating at one."""
        return type(self)(min(self.parts + 1, self.ACCURACY))

    def left_from_one(self) -> Self:
        """one − self."""
        return type(self)(self.ACCURACY - self.parts)

    def saturating_reciprocal_mul_floor(self, value: int) -> int:
        """floor(value · ACCURACY / parts), saturating at u128::MAX (also for zero parts)."""
        if self.parts == 0:
            return U128_MAX
        return min(value * self.ACCURACY // self.parts, U128_MAX)

    def to_bytes(self) -> bytes:
        return self.parts.to_bytes(self.WIDTH, "little")

    @classmethod
    def read(cls, reader: Reader) -> Self:
        """The inner integer, rejected (DecodeError) above ACCURACY as sp-arithmetic's Decode does."""
        return cls(reader.read_uint(cls.WIDTH))

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        reader = Reader(data, cls.__name__)
        value = cls.read(reader)
        reader.expect_end()
        return value


@dataclass(frozen=True, slots=True, order=True)
class Perquintill(_PerThing):
    """Parts per 10^18, held in a u64 (sp-arithmetic `Perquintill`)."""

    ACCURACY: ClassVar[int] = PERQUINTILL_ACCURACY
    WIDTH: ClassVar[int] = 8


@dataclass(frozen=True, slots=True, order=True)
class Percent(_PerThing):
    """Parts per 100, held in a u8 (sp-arithmetic `Percent`): the nomination tax."""

    ACCURACY: ClassVar[int] = PERCENT_ACCURACY
    WIDTH: ClassVar[int] = 1


# ---- the share price ----


@dataclass(frozen=True, slots=True)
class SharePrice:
    """Shares per unit of stake of one operator pool, always in (0, 1] (pallet-domains staking.rs `SharePrice`)."""

    price: Perquintill

    @classmethod
    def new(cls, total_shares: int, total_stake: int) -> SharePrice:
        """total_shares / total_stake, rounded down; ShareOverflow above one, ZeroSharePrice for a zero side."""
        # The price can never exceed one: more shares than stake means the pool lost stake it cannot have.
        if total_shares > total_stake:
            msg = f"{total_shares} shares exceed {total_stake} stake"
            raise ShareOverflow(msg)
        # A zero price (or an empty pool) would make every later conversion meaningless.
        if total_stake == 0 or total_shares == 0:
            msg = f"share price of {total_shares} shares over {total_stake} stake"
            raise ZeroSharePrice(msg)
        return cls(Perquintill.from_rational(total_shares, total_stake))

    @classmethod
    def one(cls) -> SharePrice:
        """The 1:1 price of a pool that has never earned anything."""
        return cls(Perquintill.one())

    def stake_to_shares(self, stake: int) -> int:
        """Shares bought by `stake`, rounded down (dust stays in the pool)."""
        return self.price.mul_floor(stake)

    def shares_to_stake(self, shares: int) -> int:
        """Stake redeemed by `shares`, rounded down: the price rounded up (plus_epsilon), then its reciprocal
        rounded down."""
        return self.price.plus_epsilon().saturating_reciprocal_mul_floor(shares)

    def to_bytes(self) -> bytes:
        return self.price.to_bytes()

    @classmethod
    def read(cls, reader: Reader) -> SharePrice:
        return cls(Perquintill.read(reader))

    @classmethod
    def from_bytes(cls, data: bytes) -> SharePrice:
        reader = Reader(data, "SharePrice")
        value = cls.read(reader)
        reader.expect_end()
        return value
