"""The domains calls a consensus-chain transaction carries (pallet-domains `instantiate_domain`,
`register_operator`, `nominate_operator`, `withdraw_stake`, `unlock_funds`, `deregister_operator`,
`unlock_nominator`), their encodings in the chain's Call enum (tags DOMAIN_CALL_TAGS), and how each applies to
the chain's state (a Ledger) — every failure a named error that changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from autonomys.protocol.codec import Reader, encode_u8, encode_u32, encode_u64, encode_u128, read_u128, validate_uint
from autonomys.protocol.domains.block_tree import store_genesis_receipt
from autonomys.protocol.domains.ledger import Ledger, transaction
from autonomys.protocol.domains.params import DomainsParams
from autonomys.protocol.domains.registry import DomainConfig, get_domain, instantiate_domain, staking_config_of
from autonomys.protocol.domains.staking import create_domain_staking, deregister_operator, register_operator
from autonomys.protocol.domains.staking_nominators import (
    nominate_operator,
    unlock_funds,
    unlock_nominator,
    withdraw_stake,
)
from autonomys.protocol.domains.staking_types import OperatorConfig
from autonomys.protocol.errors import DecodeError

CALL_INSTANTIATE_DOMAIN: Final = 2
CALL_REGISTER_OPERATOR: Final = 3
CALL_NOMINATE_OPERATOR: Final = 4
CALL_WITHDRAW_STAKE: Final = 5
CALL_UNLOCK_FUNDS: Final = 6
CALL_DEREGISTER_OPERATOR: Final = 7
CALL_UNLOCK_NOMINATOR: Final = 8
U128_MAX: Final = 2**128 - 1


@dataclass(frozen=True, slots=True)
class InstantiateDomain:
    config: DomainConfig

    def to_bytes(self) -> bytes:
        return encode_u8(CALL_INSTANTIATE_DOMAIN) + self.config.to_bytes()


@dataclass(frozen=True, slots=True)
class RegisterOperator:
    domain_id: int
    amount: int
    config: OperatorConfig

    def __post_init__(self) -> None:
        validate_uint("domain_id", self.domain_id, 2**32 - 1)
        validate_uint("amount", self.amount, U128_MAX)

    def to_bytes(self) -> bytes:
        return (
            encode_u8(CALL_REGISTER_OPERATOR)
            + encode_u32(self.domain_id)
            + encode_u128(self.amount)
            + self.config.to_bytes()
        )


@dataclass(frozen=True, slots=True)
class OperatorAmountCall:
    """nominate_operator (amount in Shannon) and withdraw_stake (amount in shares): an operator and an amount."""

    tag: int
    operator_id: int
    amount: int

    def __post_init__(self) -> None:
        if self.tag not in (CALL_NOMINATE_OPERATOR, CALL_WITHDRAW_STAKE):
            raise DecodeError(f"OperatorAmountCall: tag {self.tag}")
        validate_uint("operator_id", self.operator_id, 2**64 - 1)
        validate_uint("amount", self.amount, U128_MAX)

    def to_bytes(self) -> bytes:
        return encode_u8(self.tag) + encode_u64(self.operator_id) + encode_u128(self.amount)


@dataclass(frozen=True, slots=True)
class OperatorCall:
    """unlock_funds, deregister_operator and unlock_nominator: an operator id."""

    tag: int
    operator_id: int

    def __post_init__(self) -> None:
        if self.tag not in (CALL_UNLOCK_FUNDS, CALL_DEREGISTER_OPERATOR, CALL_UNLOCK_NOMINATOR):
            raise DecodeError(f"OperatorCall: tag {self.tag}")
        validate_uint("operator_id", self.operator_id, 2**64 - 1)

    def to_bytes(self) -> bytes:
        return encode_u8(self.tag) + encode_u64(self.operator_id)


DomainCall = InstantiateDomain | RegisterOperator | OperatorAmountCall | OperatorCall
DOMAIN_CALL_TYPES: Final = (InstantiateDomain, RegisterOperator, OperatorAmountCall, OperatorCall)
DOMAIN_CALL_TAGS: Final = frozenset(range(CALL_INSTANTIATE_DOMAIN, CALL_UNLOCK_NOMINATOR + 1))


def nominate(operator_id: int, amount: int) -> OperatorAmountCall:
    return OperatorAmountCall(CALL_NOMINATE_OPERATOR, operator_id, amount)


def withdraw(operator_id: int, shares: int) -> OperatorAmountCall:
    return OperatorAmountCall(CALL_WITHDRAW_STAKE, operator_id, shares)


def read_domain_call(tag: int, reader: Reader) -> DomainCall:
    """The domains call of `tag` (its tag already read)."""
    if tag == CALL_INSTANTIATE_DOMAIN:
        return InstantiateDomain(DomainConfig.read(reader))
    if tag == CALL_REGISTER_OPERATOR:
        return RegisterOperator(reader.read_u32(), read_u128(reader), OperatorConfig.read(reader))
    if tag in (CALL_NOMINATE_OPERATOR, CALL_WITHDRAW_STAKE):
        return OperatorAmountCall(tag, reader.read_u64(), read_u128(reader))
    if tag in (CALL_UNLOCK_FUNDS, CALL_DEREGISTER_OPERATOR, CALL_UNLOCK_NOMINATOR):
        return OperatorCall(tag, reader.read_u64())
    raise DecodeError(f"domains call: unknown tag {tag}")


def apply_domain_call(
    ledger: Ledger, sender: bytes, call: DomainCall, params: DomainsParams, *, block_number: int, slot: int
) -> None:
    """Dispatch one domains call from `sender` (the transaction's fee is the chain's business); raises the named
    error of the rule it breaks, writing nothing."""
    staking = params.staking
    with transaction(ledger) as overlay:
        if isinstance(call, InstantiateDomain):
            max_bundle = params.max_bundle(call.config.bundle_slot_probability)
            instantiated = instantiate_domain(
                overlay, sender, call.config, created_at=block_number, deposit=staking.domain_instantiation_deposit,
                max_bundle=max_bundle,
            )  # fmt: skip
            create_domain_staking(overlay, instantiated.domain_id, staking_config_of(call.config))
            store_genesis_receipt(overlay, instantiated.domain_id, instantiated.genesis_receipt)
        elif isinstance(call, RegisterOperator):
            get_domain(overlay, call.domain_id)  # DomainNotFound first
            register_operator(overlay, sender, call.domain_id, call.amount, call.config, staking, current_slot=slot)
        elif isinstance(call, OperatorAmountCall):
            if call.tag == CALL_NOMINATE_OPERATOR:
                nominate_operator(overlay, call.operator_id, sender, call.amount, staking)
            else:
                withdraw_stake(overlay, call.operator_id, sender, call.amount, staking)
        elif call.tag == CALL_UNLOCK_FUNDS:
            unlock_funds(overlay, call.operator_id, sender)
        elif call.tag == CALL_DEREGISTER_OPERATOR:
            deregister_operator(overlay, sender, call.operator_id, staking)
        else:
            unlock_nominator(overlay, call.operator_id, sender)
