"""A nominator's deposits and withdrawals with one operator, and their SCALE encodings (pallet-domains staking.rs
`Deposit`, `Withdrawal`), with the same canonical-encoding rules as protocol.domains.staking_types.
"""

from __future__ import annotations

from dataclasses import dataclass

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_compact,
    encode_u32,
    encode_u128,
    read_u128,
    read_vector_length,
    validate_uint,
)
from autonomys.protocol.constants import U32_MAX
from autonomys.protocol.domains.fixed_point import U128_MAX
from autonomys.protocol.domains.staking_types import DomainEpoch


@dataclass(frozen=True, slots=True)
class KnownDeposit:
    """Shares a nominator owns, and the storage-fee deposit behind them."""

    shares: int = 0
    storage_fee_deposit: int = 0

    def __post_init__(self) -> None:
        validate_uint("shares", self.shares, U128_MAX)
        validate_uint("storage_fee_deposit", self.storage_fee_deposit, U128_MAX)

    def to_bytes(self) -> bytes:
        return encode_u128(self.shares) + encode_u128(self.storage_fee_deposit)

    @classmethod
    def read(cls, reader: Reader) -> KnownDeposit:
        return cls(read_u128(reader), read_u128(reader))


@dataclass(frozen=True, slots=True)
class PendingDeposit:
    """Stake deposited in an epoch whose closing share price is not known yet."""

    effective_domain_epoch: DomainEpoch
    amount: int
    storage_fee_deposit: int

    def __post_init__(self) -> None:
        validate_uint("amount", self.amount, U128_MAX)
        validate_uint("storage_fee_deposit", self.storage_fee_deposit, U128_MAX)

    @property
    def total(self) -> int:
        """amount + storage fee deposit (what the nominator paid)."""
        return self.amount + self.storage_fee_deposit

    def to_bytes(self) -> bytes:
        return self.effective_domain_epoch.to_bytes() + encode_u128(self.amount) + encode_u128(self.storage_fee_deposit)

    @classmethod
    def read(cls, reader: Reader) -> PendingDeposit:
        return cls(DomainEpoch.read(reader), read_u128(reader), read_u128(reader))


def _encode_option(value: PendingDeposit | WithdrawalInShares | None) -> bytes:
    return b"\x00" if value is None else b"\x01" + value.to_bytes()


@dataclass(frozen=True, slots=True)
class Deposit:
    """A nominator's deposit with one operator (staking.rs `Deposit`)."""

    known: KnownDeposit = KnownDeposit()
    pending: PendingDeposit | None = None

    def to_bytes(self) -> bytes:
        return self.known.to_bytes() + _encode_option(self.pending)

    @classmethod
    def read(cls, reader: Reader) -> Deposit:
        known = KnownDeposit.read(reader)
        return cls(known, PendingDeposit.read(reader) if reader.read_option_tag() else None)

    @classmethod
    def from_bytes(cls, data: bytes) -> Deposit:
        return decode_exactly(data, "Deposit", cls.read)


@dataclass(frozen=True, slots=True)
class WithdrawalInBalance:
    """A withdrawal converted to balance, waiting for its unlock block."""

    unlock_at_confirmed_domain_block_number: int
    amount_to_unlock: int
    storage_fee_refund: int

    def __post_init__(self) -> None:
        validate_uint("unlock_at", self.unlock_at_confirmed_domain_block_number, U32_MAX)
        validate_uint("amount_to_unlock", self.amount_to_unlock, U128_MAX)
        validate_uint("storage_fee_refund", self.storage_fee_refund, U128_MAX)

    def to_bytes(self) -> bytes:
        return (
            encode_u32(self.unlock_at_confirmed_domain_block_number)
            + encode_u128(self.amount_to_unlock)
            + encode_u128(self.storage_fee_refund)
        )

    @classmethod
    def read(cls, reader: Reader) -> WithdrawalInBalance:
        return cls(reader.read_u32(), read_u128(reader), read_u128(reader))


@dataclass(frozen=True, slots=True)
class WithdrawalInShares:
    """This epoch's withdrawal, still in shares until the epoch's closing share price is known."""

    domain_epoch: DomainEpoch
    unlock_at_confirmed_domain_block_number: int
    shares: int
    storage_fee_refund: int

    def __post_init__(self) -> None:
        validate_uint("unlock_at", self.unlock_at_confirmed_domain_block_number, U32_MAX)
        validate_uint("shares", self.shares, U128_MAX)
        validate_uint("storage_fee_refund", self.storage_fee_refund, U128_MAX)

    def to_bytes(self) -> bytes:
        return (
            self.domain_epoch.to_bytes()
            + encode_u32(self.unlock_at_confirmed_domain_block_number)
            + encode_u128(self.shares)
            + encode_u128(self.storage_fee_refund)
        )

    @classmethod
    def read(cls, reader: Reader) -> WithdrawalInShares:
        return cls(DomainEpoch.read(reader), reader.read_u32(), read_u128(reader), read_u128(reader))


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A nominator's withdrawals from one operator (staking.rs `Withdrawal`)."""

    total_withdrawal_amount: int = 0
    """Sum of `withdrawals` amounts (excluding the one still in shares and storage fees)."""
    total_storage_fee_withdrawal: int = 0
    withdrawals: tuple[WithdrawalInBalance, ...] = ()
    withdrawal_in_shares: WithdrawalInShares | None = None

    def __post_init__(self) -> None:
        validate_uint("total_withdrawal_amount", self.total_withdrawal_amount, U128_MAX)
        validate_uint("total_storage_fee_withdrawal", self.total_storage_fee_withdrawal, U128_MAX)

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                encode_u128(self.total_withdrawal_amount),
                encode_u128(self.total_storage_fee_withdrawal),
                encode_compact(len(self.withdrawals)),
                *(withdrawal.to_bytes() for withdrawal in self.withdrawals),
                _encode_option(self.withdrawal_in_shares),
            )
        )

    @classmethod
    def read(cls, reader: Reader) -> Withdrawal:
        total_amount, total_storage_fee = read_u128(reader), read_u128(reader)
        withdrawals = tuple(WithdrawalInBalance.read(reader) for _ in range(read_vector_length(reader)))
        in_shares = WithdrawalInShares.read(reader) if reader.read_option_tag() else None
        return cls(total_amount, total_storage_fee, withdrawals, in_shares)

    @classmethod
    def from_bytes(cls, data: bytes) -> Withdrawal:
        return decode_exactly(data, "Withdrawal", cls.read)
