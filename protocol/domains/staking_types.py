"""Staking records of execution domains and their SCALE encodings: operators and their status, the domain's
staking summary, allow list and config (pallet-domains staking.rs, staking_epoch.rs; sp-domains
`OperatorAllowList`). A nominator's deposits and withdrawals are in protocol.domains.staking_deposits, the staking
constants and accounts in protocol.domains.staking_constants.

Field order is the SCALE order of the reference structs. Maps and sets decode only in canonical (strictly
ascending) order, so every record that decodes re-encodes to the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final, TypeVar

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_compact,
    encode_u8,
    encode_u32,
    encode_u64,
    encode_u128,
    read_u128,
    read_vector_length,
    validate_bytes,
    validate_uint,
)
from autonomys.protocol.constants import U32_MAX, U64_MAX
from autonomys.protocol.domains.fixed_point import U128_MAX, Percent
from autonomys.protocol.errors import DecodeError

ACCOUNT_ID_SIZE: Final = 32
HASH_SIZE: Final = 32
SIGNING_KEY_SIZE: Final = 32

# ---- SCALE pieces ----

_Item = TypeVar("_Item")


def _read_sorted(reader: Reader, read_item: Callable[[Reader], _Item], key: Callable[[_Item], object]) -> list[_Item]:
    items = [read_item(reader) for _ in range(read_vector_length(reader))]
    for earlier, later in zip(items, items[1:], strict=False):
        if not key(earlier) < key(later):  # type: ignore[operator]
            msg = "map or set entries must be strictly ascending"
            raise DecodeError(msg)
    return items


def encode_operator_set(operators: frozenset[int]) -> bytes:
    """BTreeSet<OperatorId>: compact length, then ascending u64s."""
    return encode_compact(len(operators)) + b"".join(encode_u64(operator) for operator in sorted(operators))


def read_operator_set(reader: Reader) -> frozenset[int]:
    return frozenset(_read_sorted(reader, Reader.read_u64, lambda operator: operator))


def encode_stake_map(stakes: Mapping[int, int]) -> bytes:
    """BTreeMap<OperatorId, Balance>: compact length, then ascending (u64, u128) pairs."""
    items = sorted(stakes.items())
    return encode_compact(len(items)) + b"".join(encode_u64(key) + encode_u128(value) for key, value in items)


def read_stake_map(reader: Reader) -> dict[int, int]:
    pairs = _read_sorted(reader, lambda inner: (inner.read_u64(), read_u128(inner)), lambda pair: pair[0])
    return dict(pairs)


def encode_account_set(accounts: frozenset[bytes]) -> bytes:
    """BTreeSet<AccountId>: compact length, then the 32-byte accounts in ascending order."""
    return encode_compact(len(accounts)) + b"".join(sorted(accounts))


def read_account_set(reader: Reader) -> frozenset[bytes]:
    return frozenset(_read_sorted(reader, lambda inner: inner.read_bytes(ACCOUNT_ID_SIZE), lambda account: account))


def encode_domain_epoch_set(epochs: frozenset[DomainEpoch]) -> bytes:
    """BTreeSet<DomainEpoch>: compact length, then ascending (u32, u32) pairs."""
    return encode_compact(len(epochs)) + b"".join(epoch.to_bytes() for epoch in sorted(epochs))


def read_domain_epoch_set(reader: Reader) -> frozenset[DomainEpoch]:
    return frozenset(_read_sorted(reader, DomainEpoch.read, lambda epoch: epoch))


def _validate_operator_set(name: str, operators: object) -> None:
    if not isinstance(operators, frozenset):
        msg = f"{name} must be a frozenset"
        raise DecodeError(msg)
    for operator in operators:
        validate_uint(name, operator, U64_MAX)


def _validate_stake_map(name: str, stakes: object) -> None:
    if not isinstance(stakes, dict):
        msg = f"{name} must be a dict"
        raise DecodeError(msg)
    for operator, stake in stakes.items():
        validate_uint(name, operator, U64_MAX)
        validate_uint(name, stake, U128_MAX)


# ---- records ----


@dataclass(frozen=True, slots=True, order=True)
class DomainEpoch:
    """(DomainId u32, EpochIndex u32): an epoch, unique across domains."""

    domain_id: int
    epoch_index: int

    def __post_init__(self) -> None:
        validate_uint("domain_id", self.domain_id, U32_MAX)
        validate_uint("epoch_index", self.epoch_index, U32_MAX)

    def to_bytes(self) -> bytes:
        return encode_u32(self.domain_id) + encode_u32(self.epoch_index)

    @classmethod
    def read(cls, reader: Reader) -> DomainEpoch:
        return cls(reader.read_u32(), reader.read_u32())


class OperatorStatusKind(IntEnum):
    """The variant index of `OperatorStatus`."""

    REGISTERED = 0
    DEREGISTERED = 1
    SLASHED = 2
    PENDING_SLASH = 3
    INVALID_BUNDLE = 4
    DEACTIVATED = 5


@dataclass(frozen=True, slots=True)
class OperatorDeregisteredInfo:
    """When an operator deregistered and the domain block its nominators can unlock at."""

    domain_epoch: DomainEpoch
    unlock_at_confirmed_domain_block_number: int
    """Compared with HeadDomainNumber, despite the name."""

    def __post_init__(self) -> None:
        validate_uint("unlock_at", self.unlock_at_confirmed_domain_block_number, U32_MAX)

    def to_bytes(self) -> bytes:
        return self.domain_epoch.to_bytes() + encode_u32(self.unlock_at_confirmed_domain_block_number)

    @classmethod
    def read(cls, reader: Reader) -> OperatorDeregisteredInfo:
        return cls(DomainEpoch.read(reader), reader.read_u32())


@dataclass(frozen=True, slots=True)
class OperatorStatus:
    """An operator's status: the variant and the one payload it carries (Deregistered: `deregistered_info`,
    InvalidBundle: `receipt_hash`, Deactivated: `reactivation_epoch`)."""

    kind: OperatorStatusKind
    deregistered_info: OperatorDeregisteredInfo | None = None
    receipt_hash: bytes | None = None
    reactivation_epoch: int | None = None
    """Deactivated(EpochIndex): the first epoch at which the operator may be reactivated."""

    def __post_init__(self) -> None:
        kind = OperatorStatusKind(self.kind)
        expected = (
            kind is OperatorStatusKind.DEREGISTERED,
            kind is OperatorStatusKind.INVALID_BUNDLE,
            kind is OperatorStatusKind.DEACTIVATED,
        )
        present = (
            self.deregistered_info is not None,
            self.receipt_hash is not None,
            self.reactivation_epoch is not None,
        )
        if expected != present:
            msg = f"OperatorStatus {kind.name} carries the wrong payload"
            raise DecodeError(msg)
        if self.receipt_hash is not None:
            validate_bytes("receipt_hash", self.receipt_hash, HASH_SIZE)
        if self.reactivation_epoch is not None:
            validate_uint("reactivation_epoch", self.reactivation_epoch, U32_MAX)

    @classmethod
    def deregistered(cls, info: OperatorDeregisteredInfo) -> OperatorStatus:
        return cls(OperatorStatusKind.DEREGISTERED, deregistered_info=info)

    @classmethod
    def invalid_bundle(cls, receipt_hash: bytes) -> OperatorStatus:
        return cls(OperatorStatusKind.INVALID_BUNDLE, receipt_hash=receipt_hash)

    @classmethod
    def deactivated(cls, reactivation_epoch: int) -> OperatorStatus:
        return cls(OperatorStatusKind.DEACTIVATED, reactivation_epoch=reactivation_epoch)

    def to_bytes(self) -> bytes:
        payload = b""
        if self.deregistered_info is not None:
            payload = self.deregistered_info.to_bytes()
        elif self.receipt_hash is not None:
            payload = self.receipt_hash
        elif self.reactivation_epoch is not None:
            payload = encode_u32(self.reactivation_epoch)
        return encode_u8(self.kind) + payload

    @classmethod
    def read(cls, reader: Reader) -> OperatorStatus:
        index = reader.read_u8()
        if index > max(OperatorStatusKind):
            msg = f"OperatorStatus variant {index} does not exist"
            raise DecodeError(msg)
        kind = OperatorStatusKind(index)
        if kind is OperatorStatusKind.DEREGISTERED:
            return cls.deregistered(OperatorDeregisteredInfo.read(reader))
        if kind is OperatorStatusKind.INVALID_BUNDLE:
            return cls.invalid_bundle(reader.read_bytes(HASH_SIZE))
        if kind is OperatorStatusKind.DEACTIVATED:
            return cls.deactivated(reader.read_u32())
        return cls(kind)


REGISTERED: Final = OperatorStatus(OperatorStatusKind.REGISTERED)
SLASHED: Final = OperatorStatus(OperatorStatusKind.SLASHED)
PENDING_SLASH: Final = OperatorStatus(OperatorStatusKind.PENDING_SLASH)
# Statuses whose operator may not submit bundles; a Deregistered operator still may until its epoch ends.
BUNDLE_FORBIDDEN_STATUSES: Final = frozenset(
    {
        OperatorStatusKind.SLASHED,
        OperatorStatusKind.PENDING_SLASH,
        OperatorStatusKind.INVALID_BUNDLE,
        OperatorStatusKind.DEACTIVATED,
    }
)


def is_pending_to_slash(latest_submitted_receipt_number: int, head_receipt_number: int) -> bool:
    """Whether an operator's latest submitted receipt is past the head (a pruned bad receipt): pallet-domains
    `is_operator_pending_to_slash`. Zero means it never submitted one."""
    return latest_submitted_receipt_number != 0 and latest_submitted_receipt_number > head_receipt_number


def compute_operator_status(partial_status: OperatorStatus, pending_to_slash: bool) -> OperatorStatus:
    """The effective status (staking.rs `Operator::status`): Slashed wins, then PendingSlash, then the stored one."""
    if partial_status.kind is OperatorStatusKind.SLASHED:
        return SLASHED
    if pending_to_slash:
        return PENDING_SLASH
    return partial_status


def is_bundle_allowed(status: OperatorStatus) -> bool:
    """Whether an operator with this effective status may submit bundles."""
    return status.kind not in BUNDLE_FORBIDDEN_STATUSES


@dataclass(frozen=True, slots=True)
class Operator:
    """One operator pool (staking.rs `Operator`); `partial_status` misses PendingSlash, use the computed status."""

    signing_key: bytes
    current_domain_id: int
    next_domain_id: int
    minimum_nominator_stake: int
    nomination_tax: Percent
    current_total_stake: int
    current_total_shares: int
    partial_status: OperatorStatus
    deposits_in_epoch: int
    """Stake deposited this epoch, converted to shares at the epoch's closing price."""
    withdrawals_in_epoch: int
    """Shares withdrawn this epoch, converted to stake at the epoch's closing price."""
    total_storage_fee_deposit: int

    def __post_init__(self) -> None:
        validate_bytes("signing_key", self.signing_key, SIGNING_KEY_SIZE)
        validate_uint("current_domain_id", self.current_domain_id, U32_MAX)
        validate_uint("next_domain_id", self.next_domain_id, U32_MAX)
        for name in (
            "minimum_nominator_stake",
            "current_total_stake",
            "current_total_shares",
            "deposits_in_epoch",
            "withdrawals_in_epoch",
            "total_storage_fee_deposit",
        ):
            validate_uint(name, getattr(self, name), U128_MAX)

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                self.signing_key,
                encode_u32(self.current_domain_id),
                encode_u32(self.next_domain_id),
                encode_u128(self.minimum_nominator_stake),
                self.nomination_tax.to_bytes(),
                encode_u128(self.current_total_stake),
                encode_u128(self.current_total_shares),
                self.partial_status.to_bytes(),
                encode_u128(self.deposits_in_epoch),
                encode_u128(self.withdrawals_in_epoch),
                encode_u128(self.total_storage_fee_deposit),
            )
        )

    @classmethod
    def read(cls, reader: Reader) -> Operator:
        return cls(
            signing_key=reader.read_bytes(SIGNING_KEY_SIZE),
            current_domain_id=reader.read_u32(),
            next_domain_id=reader.read_u32(),
            minimum_nominator_stake=read_u128(reader),
            nomination_tax=Percent.read(reader),
            current_total_stake=read_u128(reader),
            current_total_shares=read_u128(reader),
            partial_status=OperatorStatus.read(reader),
            deposits_in_epoch=read_u128(reader),
            withdrawals_in_epoch=read_u128(reader),
            total_storage_fee_deposit=read_u128(reader),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Operator:
        return decode_exactly(data, "Operator", cls.read)


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    """The register_operator argument: signing key, minimum nominator stake, nomination tax."""

    signing_key: bytes
    minimum_nominator_stake: int
    nomination_tax: Percent

    def __post_init__(self) -> None:
        validate_bytes("signing_key", self.signing_key, SIGNING_KEY_SIZE)
        validate_uint("minimum_nominator_stake", self.minimum_nominator_stake, U128_MAX)

    def to_bytes(self) -> bytes:
        return self.signing_key + encode_u128(self.minimum_nominator_stake) + self.nomination_tax.to_bytes()

    @classmethod
    def read(cls, reader: Reader) -> OperatorConfig:
        return cls(reader.read_bytes(SIGNING_KEY_SIZE), read_u128(reader), Percent.read(reader))

    @classmethod
    def from_bytes(cls, data: bytes) -> OperatorConfig:
        return decode_exactly(data, "OperatorConfig", cls.read)


@dataclass(frozen=True, slots=True)
class StakingSummary:
    """A domain's staking state for the current epoch (staking.rs `StakingSummary`)."""

    current_epoch_index: int
    current_total_stake: int
    current_operators: dict[int, int] = field(default_factory=dict)
    """The epoch-start stake snapshot the bundle election uses."""
    next_operators: frozenset[int] = frozenset()
    current_epoch_rewards: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_uint("current_epoch_index", self.current_epoch_index, U32_MAX)
        validate_uint("current_total_stake", self.current_total_stake, U128_MAX)
        _validate_stake_map("current_operators", self.current_operators)
        _validate_operator_set("next_operators", self.next_operators)
        _validate_stake_map("current_epoch_rewards", self.current_epoch_rewards)

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                encode_u32(self.current_epoch_index),
                encode_u128(self.current_total_stake),
                encode_stake_map(self.current_operators),
                encode_operator_set(self.next_operators),
                encode_stake_map(self.current_epoch_rewards),
            )
        )

    @classmethod
    def read(cls, reader: Reader) -> StakingSummary:
        return cls(
            reader.read_u32(),
            read_u128(reader),
            read_stake_map(reader),
            read_operator_set(reader),
            read_stake_map(reader),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> StakingSummary:
        return decode_exactly(data, "StakingSummary", cls.read)


@dataclass(frozen=True, slots=True)
class ElectionVerificationParams:
    """The previous epoch's stake distribution (pallet-domains `LastEpochStakingDistribution`)."""

    operators: dict[int, int]
    total_domain_stake: int

    def __post_init__(self) -> None:
        _validate_stake_map("operators", self.operators)
        validate_uint("total_domain_stake", self.total_domain_stake, U128_MAX)

    def to_bytes(self) -> bytes:
        return encode_stake_map(self.operators) + encode_u128(self.total_domain_stake)

    @classmethod
    def read(cls, reader: Reader) -> ElectionVerificationParams:
        return cls(read_stake_map(reader), read_u128(reader))

    @classmethod
    def from_bytes(cls, data: bytes) -> ElectionVerificationParams:
        return decode_exactly(data, "ElectionVerificationParams", cls.read)


@dataclass(frozen=True, slots=True)
class OperatorAllowList:
    """Who may register operators on a domain: anyone (`operators is None`) or the listed accounts
    (sp-domains `OperatorAllowList`: 0 Anyone, 1 Operators(BTreeSet<AccountId>))."""

    operators: frozenset[bytes] | None = None

    def __post_init__(self) -> None:
        if self.operators is not None:
            for account in self.operators:
                validate_bytes("allowed operator", account, ACCOUNT_ID_SIZE)

    def is_operator_allowed(self, account: bytes) -> bool:
        return self.operators is None or account in self.operators

    def to_bytes(self) -> bytes:
        if self.operators is None:
            return b"\x00"
        return b"\x01" + encode_account_set(self.operators)

    @classmethod
    def read(cls, reader: Reader) -> OperatorAllowList:
        variant = reader.read_u8()
        if variant == 0:
            return cls()
        if variant != 1:
            msg = f"OperatorAllowList variant {variant} does not exist"
            raise DecodeError(msg)
        return cls(read_account_set(reader))


@dataclass(frozen=True, slots=True)
class DomainStakingConfig:
    """What the staking rules read from a domain's registry entry (`domains/domain/<id>`): the bundle slot
    probability (for the offline check) and the operator allow list, in DomainConfig's relative order."""

    bundle_slot_probability: tuple[int, int] = (1, 1)
    operator_allow_list: OperatorAllowList = OperatorAllowList()

    def __post_init__(self) -> None:
        if not isinstance(self.bundle_slot_probability, tuple) or len(self.bundle_slot_probability) != 2:
            msg = "bundle_slot_probability must be a (numerator, denominator) pair"
            raise DecodeError(msg)
        for part in self.bundle_slot_probability:
            validate_uint("bundle_slot_probability", part, U64_MAX)

    def to_bytes(self) -> bytes:
        numerator, denominator = self.bundle_slot_probability
        return encode_u64(numerator) + encode_u64(denominator) + self.operator_allow_list.to_bytes()

    @classmethod
    def read(cls, reader: Reader) -> DomainStakingConfig:
        probability = (reader.read_u64(), reader.read_u64())
        return cls(probability, OperatorAllowList.read(reader))

    @classmethod
    def from_bytes(cls, data: bytes) -> DomainStakingConfig:
        return decode_exactly(data, "DomainStakingConfig", cls.read)


@dataclass(frozen=True, slots=True)
class SlashedReason:
    """Why an operator is slashed (pallet-domains `SlashedReason`): 0 InvalidBundle(domain block number u32),
    1 BadExecutionReceipt(receipt hash)."""

    invalid_bundle_number: int | None = None
    bad_receipt_hash: bytes | None = None

    def __post_init__(self) -> None:
        if (self.invalid_bundle_number is None) == (self.bad_receipt_hash is None):
            msg = "SlashedReason carries exactly one of a block number and a receipt hash"
            raise DecodeError(msg)
        if self.invalid_bundle_number is not None:
            validate_uint("invalid_bundle_number", self.invalid_bundle_number, U32_MAX)
        if self.bad_receipt_hash is not None:
            validate_bytes("bad_receipt_hash", self.bad_receipt_hash, HASH_SIZE)

    def to_bytes(self) -> bytes:
        if self.invalid_bundle_number is not None:
            return b"\x00" + encode_u32(self.invalid_bundle_number)
        return b"\x01" + (self.bad_receipt_hash or b"")

    @classmethod
    def read(cls, reader: Reader) -> SlashedReason:
        variant = reader.read_u8()
        if variant == 0:
            return cls(invalid_bundle_number=reader.read_u32())
        if variant == 1:
            return cls(bad_receipt_hash=reader.read_bytes(HASH_SIZE))
        msg = f"SlashedReason variant {variant} does not exist"
        raise DecodeError(msg)

    @classmethod
    def from_bytes(cls, data: bytes) -> SlashedReason:
        return decode_exactly(data, "SlashedReason", cls.read)
