"""Setup shared by the domain staking tests (test_domain_staking.py, test_domain_staking_scenarios.py): a domain
on a MemoryLedger with funded accounts, operator registration, epoch finalization, the "rejected and nothing
changed" check, and the withdrawal vectors' setup (one operator, two nominators, a closed epoch)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from autonomys.protocol.domains import staking, staking_epoch, staking_nominators
from autonomys.protocol.domains import staking_storage as storage
from autonomys.protocol.domains.fixed_point import Percent, Perquintill
from autonomys.protocol.domains.ledger import MemoryLedger
from autonomys.protocol.domains.staking_constants import AI3, MOCK_STAKING
from autonomys.protocol.domains.staking_types import DomainStakingConfig, OperatorAllowList, OperatorConfig
from autonomys.protocol.errors import StakingError

CONSTANTS = MOCK_STAKING
DOMAIN = 0
SIGNING_KEY = bytes(range(1, 33))
STORAGE_FEE_RESERVE = Perquintill.from_percent(20)


def account(index: int) -> bytes:
    return index.to_bytes(4, "little") * 8


def new_domain(balances: dict[int, int], allow_list: OperatorAllowList | None = None) -> MemoryLedger:
    ledger = MemoryLedger({account(index): amount for index, amount in balances.items()})
    staking.create_domain_staking(
        ledger, DOMAIN, DomainStakingConfig(operator_allow_list=allow_list or OperatorAllowList())
    )
    return ledger


def register(
    ledger: MemoryLedger, owner: int, amount: int, minimum_nominator_stake: int = 10 * AI3, tax: int = 0
) -> int:
    config = OperatorConfig(SIGNING_KEY, minimum_nominator_stake, Percent(tax))
    return staking.register_operator(ledger, account(owner), DOMAIN, amount, config, CONSTANTS, current_slot=0)


def finalize(ledger: MemoryLedger, slot: int = 0) -> staking_epoch.EpochTransitionResult:
    return staking_epoch.finalize_domain_current_epoch(ledger, DOMAIN, slot, CONSTANTS)


def assert_rejected(
    ledger: MemoryLedger, error: type[StakingError], call: Callable[..., Any], *arguments: Any, **keywords: Any
) -> None:
    """The call raises `error` and leaves every byte of the ledger as it was."""
    before = ledger.to_bytes()
    with pytest.raises(error):
        call(ledger, *arguments, **keywords)
    assert ledger.to_bytes() == before


def operator_of(ledger: MemoryLedger, operator_id: int) -> Any:
    operator = storage.get_operator(ledger, operator_id)
    assert operator is not None
    return operator


def withdraw_setup(reward: int, fund_change: tuple[bool, int] | None) -> tuple[MemoryLedger, int]:
    """Operator 0 stakes 150 AI3 (minimum nominator stake 10 AI3, no tax), nominators 1 and 2 stake 50 and 10;
    an epoch closes; the operator is rewarded; the storage fund changes by `fund_change` AI3."""
    ledger = new_domain({0: 150 * AI3, 1: 50 * AI3, 2: 10 * AI3})
    operator_id = register(ledger, 0, 150 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(1), 50 * AI3, CONSTANTS)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 10 * AI3, CONSTANTS)
    finalize(ledger)
    if reward != 0:
        staking_epoch.reward_operators(ledger, DOMAIN, [operator_id], reward * AI3)
    if fund_change is not None:
        increase, amount = fund_change
        if increase:
            staking_epoch.refund_storage_fee(ledger, amount * AI3, {operator_id: 1})
        else:
            staking_epoch.charge_bundle_storage_fee(ledger, operator_id, amount, AI3)
    return ledger, operator_id


def withdraw_as_shares(ledger: MemoryLedger, operator_id: int, nominator: int, amount: int) -> None:
    shares = STORAGE_FEE_RESERVE.left_from_one().mul_ceil(amount)
    staking_nominators.withdraw_stake(ledger, operator_id, account(nominator), shares, CONSTANTS)
