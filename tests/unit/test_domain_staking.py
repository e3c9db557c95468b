"""Domain staking (pallet-domains staking.rs, staking_epoch.rs, bundle_storage_fund.rs): the 17 upstream
`withdraw_stake_*` vectors to the Shannon, the upstream scenario tests, share-price invariants, atomicity of every
rejected call, and the record decoders."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from autonomys.protocol.domains import staking, staking_epoch, staking_nominators
from autonomys.protocol.domains import staking_funds as funds
from autonomys.protocol.domains import staking_storage as storage
from autonomys.protocol.domains.fixed_point import Percent, Perquintill, SharePrice
from autonomys.protocol.domains.ledger import MemoryLedger
from autonomys.protocol.domains.staking_constants import (
    AI3,
    MOCK_STAKING,
    TREASURY_ACCOUNT,
    compute_storage_fund_account,
)
from autonomys.protocol.domains.staking_types import (
    DomainEpoch,
    DomainStakingConfig,
    OperatorAllowList,
    OperatorConfig,
    OperatorDeregisteredInfo,
    OperatorStatus,
    OperatorStatusKind,
    SlashedReason,
)
from autonomys.protocol.errors import (
    BlockNumberOverflow,
    BundleStorageFeePayment,
    DecodeError,
    DomainAlreadyInitialized,
    DomainNotInitialized,
    EpochOverflow,
    FailToDeposit,
    InsufficientShares,
    InsufficientStakeBalance,
    InvalidOperatorSigningKey,
    MaximumOperatorId,
    MinimumNominatorStake,
    MinimumOperatorStake,
    MissingOperatorEpochSharePrice,
    MissingWithdrawal,
    NotOperatorOwner,
    OperatorNotAllowed,
    OperatorNotDeactivated,
    OperatorNotDeregistered,
    OperatorNotRegistered,
    ReactivationDelayPeriodIncomplete,
    StakingError,
    TooManyPendingStakingOperation,
    TooManyWithdrawals,
    UnknownNominator,
    UnknownOperator,
    UnlockPeriodNotComplete,
    ZeroDeposit,
    ZeroWithdraw,
)

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


def assert_registration_rejected(
    ledger: MemoryLedger,
    error: type[StakingError],
    owner: int,
    amount: int,
    config: OperatorConfig,
    domain_id: int = DOMAIN,
) -> None:
    """register_operator by account(owner) raises `error` and changes nothing."""
    call = staking.register_operator
    assert_rejected(ledger, error, call, account(owner), domain_id, amount, config, CONSTANTS, current_slot=0)


def operator_of(ledger: MemoryLedger, operator_id: int) -> Any:
    operator = storage.get_operator(ledger, operator_id)
    assert operator is not None
    return operator


# ---- the 17 upstream withdraw_stake vectors (staking.rs `withdraw_stake_*`) ----

# (test, operator reward, nominator, withdrawals (AI3 unless noted), storage fund change, expected gain)
WITHDRAW_VECTORS = [
    ("operator_above_minimum", 20, 0, [58 * AI3], None, 63523809523809523770),
    ("operator_above_minimum_multiple_withdraws", 20, 0, [53 * AI3, 5 * AI3], None, 63523809523809523769),
    ("operator_above_minimum_no_rewards", 0, 0, [49 * AI3], None, 48999999999999999980),
    ("operator_above_minimum_multiple_withdraws_no_rewards", 0, 0, [29 * AI3, 20 * AI3], None, 48999999999999999981),
    ("nominator_below_minimum_with_rewards", 20, 1, [45 * AI3], None, 54761904761904761888),
    (
        "nominator_below_minimum_with_rewards_multiple_withdraws",
        20,
        1,
        [25 * AI3, 20 * AI3],
        None,
        54761904761904761888,
    ),
    ("nominator_below_minimum_no_reward", 0, 1, [45 * AI3], None, 50 * AI3),
    ("nominator_above_minimum", 20, 1, [40 * AI3], None, 43809523809523809511),
    ("nominator_above_minimum_multiple_withdraws", 20, 1, [35 * AI3, 5 * AI3], None, 43809523809523809510),
    ("nominator_above_minimum_no_rewards", 0, 1, [39 * AI3], None, 39 * AI3),
    (
        "nominator_above_minimum_no_rewards_multiple_withdraws",
        0,
        1,
        [35 * AI3, 5 * AI3 - 10**11],
        None,
        39999999899999999998,
    ),
    ("nominator_all_with_storage_fee_profit", 0, 1, [50 * AI3], (True, 21), 54999999999999999985),
    ("nominator_all_with_storage_fee_loss", 0, 1, [50 * AI3], (False, 21), 44999999999999999995),
    ("nominator_all_with_storage_fee_loss_all", 0, 1, [50 * AI3], (False, 42), 40 * AI3),
    (
        "nominator_multiple_withdraws_with_storage_fee_profit",
        0,
        1,
        [5 * AI3, 10 * AI3, 15 * AI3],
        (True, 21),
        32999999999999999863,
    ),
    (
        "nominator_multiple_withdraws_with_storage_fee_loss",
        0,
        1,
        [5 * AI3, 5 * AI3, 10 * AI3],
        (False, 21),
        17999999999999999961,
    ),
]


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


@pytest.mark.parametrize(
    ("reward", "nominator", "withdrawals", "fund_change", "expected"),
    [row[1:] for row in WITHDRAW_VECTORS],
    ids=[row[0] for row in WITHDRAW_VECTORS],
)
def test_withdraw_stake_vectors(
    reward: int, nominator: int, withdrawals: list[int], fund_change: tuple[bool, int] | None, expected: int
) -> None:
    ledger, operator_id = withdraw_setup(reward, fund_change)
    head = storage.get_head_domain_number(ledger, DOMAIN)
    for amount in withdrawals:
        withdraw_as_shares(ledger, operator_id, nominator, amount)
    finalize(ledger)
    before = ledger.free_balance(account(nominator))
    storage.put_head_domain_number(ledger, DOMAIN, head + CONSTANTS.stake_withdrawal_locking_period)
    staking_nominators.unlock_funds(ledger, operator_id, account(nominator))
    assert ledger.free_balance(account(nominator)) - before == expected
    assert storage.get_withdrawal(ledger, operator_id, account(nominator)) is None
    # A nominator who withdrew everything leaves no deposit and no held deposit behind.
    if nominator == 1 and sum(withdrawals) >= 45 * AI3:
        assert storage.get_deposit(ledger, operator_id, account(nominator)) is None
        assert not storage.has_deposit_on_hold(ledger, operator_id, account(nominator))
    assert ledger.total_issuance == sum(ledger.balances.values())


@pytest.mark.parametrize(
    ("reward", "amount"),
    [(20, 65 * AI3), (0, 51 * AI3)],
    ids=["operator_below_minimum", "operator_below_minimum_no_rewards"],
)
def test_withdraw_stake_operator_below_minimum(reward: int, amount: int) -> None:
    ledger, operator_id = withdraw_setup(reward, None)
    shares = STORAGE_FEE_RESERVE.left_from_one().mul_ceil(amount)
    assert_rejected(
        ledger, MinimumOperatorStake, staking_nominators.withdraw_stake, operator_id, account(0), shares, CONSTANTS
    )


def test_first_vector_intermediate_values() -> None:
    ledger = new_domain({0: 150 * AI3, 1: 50 * AI3, 2: 10 * AI3})
    operator_id = register(ledger, 0, 150 * AI3)
    operator = operator_of(ledger, operator_id)
    assert (operator.current_total_stake, operator.current_total_shares) == (120 * AI3, 120 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(1), 50 * AI3, CONSTANTS)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 10 * AI3, CONSTANTS)
    assert funds.get_storage_fund_balance(ledger, operator_id) == 42 * AI3
    finalize(ledger)
    operator = operator_of(ledger, operator_id)
    assert (operator.current_total_stake, operator.current_total_shares) == (168 * AI3, 168 * AI3)
    staking_epoch.reward_operators(ledger, DOMAIN, [operator_id], 20 * AI3)
    summary = storage.get_staking_summary(ledger, DOMAIN)
    price = staking_nominators.compute_current_share_price(operator_id, operator, summary)
    assert price.price.parts == 893617021276595744
    withdraw_as_shares(ledger, operator_id, 0, 58 * AI3)
    withdrawal = storage.get_withdrawal(ledger, operator_id, account(0))
    assert withdrawal is not None and withdrawal.withdrawal_in_shares is not None
    assert withdrawal.withdrawal_in_shares.shares == 46_400_000_000_000_000_000
    assert withdrawal.withdrawal_in_shares.storage_fee_refund == 11599999999999999980
    assert withdrawal.withdrawal_in_shares.unlock_at_confirmed_domain_block_number == 5
    finalize(ledger)
    closing = storage.get_share_price(ledger, operator_id, DomainEpoch(DOMAIN, 2))
    assert closing == price
    converted = funds.convert_previous_epoch_withdrawal(ledger, operator_id, withdrawal, 3)
    assert converted.withdrawals[0].amount_to_unlock == 51923809523809523790


# ---- upstream scenario tests ----


def test_operator_tax_and_staking() -> None:
    """staking_epoch.rs `operator_tax_and_staking`: 10% tax on a 10 AI3 reward is minted and re-staked."""
    ledger = new_domain({1: 110 * AI3, 2: 60 * AI3})
    operator_id = register(ledger, 1, 100 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 50 * AI3, CONSTANTS)
    finalize(ledger)
    before = dataclasses.replace(operator_of(ledger, operator_id), nomination_tax=Percent(10))
    storage.put_operator(ledger, operator_id, before)
    staking_epoch.reward_operators(ledger, DOMAIN, [operator_id], 10 * AI3)
    assert staking_epoch.operator_take_reward_tax_and_stake(ledger, DOMAIN, CONSTANTS) == 1
    tax = Percent(10).mul_ceil(10 * AI3)
    after = operator_of(ledger, operator_id)
    assert after.current_total_stake - before.current_total_stake == 10 * AI3 - tax
    new_storage_fee = after.total_storage_fee_deposit - before.total_storage_fee_deposit
    deposit = storage.get_deposit(ledger, operator_id, account(1))
    assert deposit is not None and deposit.pending is not None
    assert deposit.pending.amount + new_storage_fee == tax
    assert deposit.pending.amount == STORAGE_FEE_RESERVE.left_from_one().mul_floor(tax)
    assert new_storage_fee == STORAGE_FEE_RESERVE.mul_floor(tax)
    assert storage.get_staking_summary(ledger, DOMAIN).current_epoch_rewards == {}


def test_register_operator() -> None:
    ledger = new_domain({1: 2500 * AI3})
    operator_id = register(ledger, 1, 1000 * AI3, minimum_nominator_stake=AI3)
    assert operator_id == 0 and storage.get_next_operator_id(ledger) == 1
    assert storage.get_operator_owner(ledger, operator_id) == account(1)
    operator = operator_of(ledger, operator_id)
    assert (operator.current_total_stake, operator.current_total_shares) == (800 * AI3, 800 * AI3)
    assert operator.total_storage_fee_deposit == 200 * AI3 and operator.partial_status == OperatorStatus(
        OperatorStatusKind.REGISTERED
    )
    summary = storage.get_staking_summary(ledger, DOMAIN)
    # Registration in epoch 0 closes the epoch at once.
    assert summary.current_epoch_index == 1 and summary.current_total_stake == 800 * AI3
    assert summary.current_operators == {0: 800 * AI3} and summary.next_operators == {0}
    assert ledger.free_balance(account(1)) == 1500 * AI3
    assert funds.get_storage_fund_balance(ledger, operator_id) == 200 * AI3
    # The same signing key may register again; the locked funds cannot be used twice.
    assert register(ledger, 1, 800 * AI3, minimum_nominator_stake=AI3) == 1
    config = OperatorConfig(bytes([9]) * 32, AI3, Percent(0))
    assert_registration_rejected(ledger, InsufficientStakeBalance, 1, 800 * AI3, config)


@pytest.mark.parametrize(
    ("config", "amount", "error"),
    [
        (OperatorConfig(bytes(32), 10 * AI3, Percent(0)), 100 * AI3, InvalidOperatorSigningKey),
        (OperatorConfig(SIGNING_KEY, AI3 - 1, Percent(0)), 100 * AI3, MinimumNominatorStake),
        (OperatorConfig(SIGNING_KEY, 10 * AI3, Percent(0)), 100 * AI3 - 1, MinimumOperatorStake),
    ],
    ids=["zero_signing_key", "minimum_nominator_stake", "minimum_operator_stake"],
)
def test_register_operator_rejections(config: OperatorConfig, amount: int, error: type[StakingError]) -> None:
    ledger = new_domain({1: 1000 * AI3})
    assert_registration_rejected(ledger, error, 1, amount, config)


def test_register_operator_allow_list_and_unknown_domain() -> None:
    ledger = new_domain({1: 1000 * AI3, 2: 1000 * AI3}, OperatorAllowList(frozenset({account(2)})))
    config = OperatorConfig(SIGNING_KEY, AI3, Percent(0))
    assert_registration_rejected(ledger, OperatorNotAllowed, 1, 100 * AI3, config)
    assert_registration_rejected(ledger, DomainNotInitialized, 2, 100 * AI3, config, domain_id=7)
    assert register(ledger, 2, 100 * AI3) == 0


def test_nominate_operator() -> None:
    ledger = new_domain({1: 1500 * AI3, 2: 150 * AI3})
    operator_id = register(ledger, 1, 1000 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 100 * AI3, CONSTANTS)
    operator = operator_of(ledger, operator_id)
    assert operator.current_total_stake == 800 * AI3 and operator.deposits_in_epoch == 80 * AI3
    assert operator.total_storage_fee_deposit == 220 * AI3
    deposit = storage.get_deposit(ledger, operator_id, account(2))
    assert deposit is not None and deposit.pending is not None
    assert (deposit.pending.amount, deposit.pending.storage_fee_deposit, deposit.pending.total) == (
        80 * AI3,
        20 * AI3,
        100 * AI3,
    )
    assert ledger.free_balance(account(2)) == 50 * AI3
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 40 * AI3, CONSTANTS)
    deposit = storage.get_deposit(ledger, operator_id, account(2))
    assert deposit is not None and deposit.pending is not None
    assert (deposit.pending.amount, deposit.pending.storage_fee_deposit) == (112 * AI3, 28 * AI3)
    finalize(ledger)
    assert operator_of(ledger, operator_id).current_total_stake == 912 * AI3
    assert storage.get_staking_summary(ledger, DOMAIN).current_total_stake == 912 * AI3
    assert storage.get_share_price(ledger, operator_id, DomainEpoch(DOMAIN, 1)) == SharePrice.one()


def test_nominate_rejections() -> None:
    ledger = new_domain({1: 1000 * AI3, 2: 150 * AI3})
    operator_id = register(ledger, 1, 200 * AI3)
    assert_rejected(ledger, ZeroDeposit, staking_nominators.nominate_operator, operator_id, account(2), 0, CONSTANTS)
    assert_rejected(ledger, UnknownOperator, staking_nominators.nominate_operator, 9, account(2), 20 * AI3, CONSTANTS)
    # 12.4 AI3 gross is above 10 AI3 only before the reserve: the minimum counts stake plus storage fee, so 9.99 fails.
    assert_rejected(
        ledger,
        MinimumNominatorStake,
        staking_nominators.nominate_operator,
        operator_id,
        account(2),
        10 * AI3 - 1,
        CONSTANTS,
    )
    assert_rejected(
        ledger,
        InsufficientStakeBalance,
        staking_nominators.nominate_operator,
        operator_id,
        account(2),
        151 * AI3,
        CONSTANTS,
    )


def test_too_many_pending_staking_operations() -> None:
    constants = dataclasses.replace(CONSTANTS, max_pending_staking_operation=2)
    ledger = new_domain({1: 1000 * AI3, 2: 1000 * AI3, 3: 1000 * AI3})
    config = OperatorConfig(SIGNING_KEY, 10 * AI3, Percent(0))
    first = staking.register_operator(ledger, account(1), DOMAIN, 100 * AI3, config, constants, current_slot=0)
    staking.register_operator(ledger, account(2), DOMAIN, 100 * AI3, config, constants, current_slot=0)
    staking_nominators.nominate_operator(ledger, first, account(3), 20 * AI3, constants)
    # Only an operator's first operation of the epoch counts, so a second nomination still passes.
    staking_nominators.nominate_operator(ledger, first, account(3), 20 * AI3, constants)
    assert_rejected(
        ledger,
        TooManyPendingStakingOperation,
        staking.register_operator,
        account(3),
        DOMAIN,
        100 * AI3,
        config,
        constants,
        current_slot=0,
    )
    staking_epoch.finalize_domain_current_epoch(ledger, DOMAIN, 0, constants)
    staking.register_operator(ledger, account(3), DOMAIN, 100 * AI3, config, constants, current_slot=0)


def test_rare_rejections_change_nothing() -> None:
    ledger = new_domain({1: 1000 * AI3, 2: 150 * AI3})
    assert_rejected(ledger, DomainAlreadyInitialized, staking.create_domain_staking, DOMAIN, DomainStakingConfig())
    config = OperatorConfig(SIGNING_KEY, 10 * AI3, Percent(0))
    storage.put_next_operator_id(ledger, 2**64 - 1)
    assert_registration_rejected(ledger, MaximumOperatorId, 1, 100 * AI3, config)
    storage.put_next_operator_id(ledger, 0)
    operator_id = register(ledger, 1, 200 * AI3)
    # The storage-fee reserve (200 AI3) is more than the nominator has.
    assert_rejected(
        ledger, FailToDeposit, staking_nominators.nominate_operator, operator_id, account(2), 1000 * AI3, CONSTANTS
    )
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 100 * AI3, CONSTANTS)
    finalize(ledger)
    storage.put_head_domain_number(ledger, DOMAIN, 2**32 - 3)
    assert_rejected(
        ledger, BlockNumberOverflow, staking_nominators.withdraw_stake, operator_id, account(2), AI3, CONSTANTS
    )
    assert_rejected(ledger, BlockNumberOverflow, staking.deregister_operator, account(1), operator_id, CONSTANTS)
    summary = storage.get_staking_summary(ledger, DOMAIN)
    storage.put_staking_summary(ledger, DOMAIN, dataclasses.replace(summary, current_epoch_index=2**32 - 1))
    assert_rejected(ledger, EpochOverflow, staking_epoch.finalize_domain_current_epoch, DOMAIN, 0, CONSTANTS)
    assert_rejected(ledger, EpochOverflow, staking.deactivate_operator, operator_id, CONSTANTS)
    assert_rejected(ledger, UnknownOperator, staking.deactivate_operator, 7, CONSTANTS)
    with pytest.raises(DecodeError):
        staking_nominators.withdraw_stake(ledger, operator_id, account(2), -1, CONSTANTS)


def test_withdraw_rejections_change_nothing() -> None:
    ledger, operator_id = withdraw_setup(20, None)
    nominator = account(1)
    assert_rejected(ledger, ZeroWithdraw, staking_nominators.withdraw_stake, operator_id, nominator, 0, CONSTANTS)
    assert_rejected(ledger, UnknownOperator, staking_nominators.withdraw_stake, 5, nominator, 1, CONSTANTS)
    assert_rejected(ledger, UnknownNominator, staking_nominators.withdraw_stake, operator_id, account(7), 1, CONSTANTS)
    assert_rejected(
        ledger, InsufficientShares, staking_nominators.withdraw_stake, operator_id, nominator, 40 * AI3 + 1, CONSTANTS
    )
    assert_rejected(
        ledger, MinimumOperatorStake, staking_nominators.withdraw_stake, operator_id, account(0), 120 * AI3, CONSTANTS
    )
    assert_rejected(ledger, MissingWithdrawal, staking_nominators.unlock_funds, operator_id, nominator)


def test_failure_after_buffered_writes_changes_nothing() -> None:
    """staking.rs `withdraw_stake_nominator_with_rewards_multiple_withdraws_with_error_min_nominator_stake`: the
    third withdrawal fails only after its storage-fee refund was moved and held; all of it is undone."""
    ledger, operator_id = withdraw_setup(20, None)
    ledger.mint(account(1), 2 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(1), 2 * AI3, CONSTANTS)
    withdraw_as_shares(ledger, operator_id, 1, 35 * AI3)
    withdraw_as_shares(ledger, operator_id, 1, 5 * AI3)
    shares = STORAGE_FEE_RESERVE.left_from_one().mul_ceil(10 * AI3)
    assert_rejected(
        ledger, MinimumNominatorStake, staking_nominators.withdraw_stake, operator_id, account(1), shares, CONSTANTS
    )


def test_unlock_waits_for_the_head_and_the_withdrawal_limit() -> None:
    """staking.rs `unlock_multiple_withdrawals`: WithdrawalLimit − 1 epochs of withdrawals plus one merged epoch
    reach the limit (the mock's limit is 10)."""
    ledger = new_domain({1: 250 * AI3, 2: 150 * AI3})
    operator_id = register(ledger, 1, 200 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 100 * AI3, CONSTANTS)
    finalize(ledger)
    shares = 240 * AI3 // 100
    for _ in range(CONSTANTS.withdrawal_limit - 1):
        staking_nominators.withdraw_stake(ledger, operator_id, account(2), shares, CONSTANTS)
        finalize(ledger)
    storage.put_head_domain_number(ledger, DOMAIN, 1)
    for _ in range(5):
        staking_nominators.withdraw_stake(ledger, operator_id, account(2), shares, CONSTANTS)
    finalize(ledger)
    assert_rejected(
        ledger, TooManyWithdrawals, staking_nominators.withdraw_stake, operator_id, account(2), shares, CONSTANTS
    )
    assert_rejected(ledger, UnlockPeriodNotComplete, staking_nominators.unlock_funds, operator_id, account(2))
    storage.put_head_domain_number(ledger, DOMAIN, CONSTANTS.stake_withdrawal_locking_period)
    before = ledger.free_balance(account(2))
    assert staking_nominators.unlock_funds(ledger, operator_id, account(2)) == CONSTANTS.withdrawal_limit - 1
    gained = ledger.free_balance(account(2)) - before
    # Each withdrawal is 2.4 AI3 of stake plus 0.6 AI3 of storage fee, less rounding dust.
    assert abs((CONSTANTS.withdrawal_limit - 1) * 3 * AI3 - gained) < 10**6
    withdrawal = storage.get_withdrawal(ledger, operator_id, account(2))
    assert withdrawal is not None and len(withdrawal.withdrawals) == 1
    storage.put_head_domain_number(ledger, DOMAIN, CONSTANTS.stake_withdrawal_locking_period + 1)
    before = ledger.free_balance(account(2))
    assert staking_nominators.unlock_funds(ledger, operator_id, account(2)) == 1
    assert abs(5 * 3 * AI3 - (ledger.free_balance(account(2)) - before)) < 10**6
    assert storage.get_withdrawal(ledger, operator_id, account(2)) is None


def test_missing_share_price_rejects_deposit_and_withdrawal() -> None:
    ledger = new_domain({1: 250 * AI3, 2: 150 * AI3})
    operator_id = register(ledger, 1, 200 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 100 * AI3, CONSTANTS)
    finalize(ledger)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 5 * AI3, CONSTANTS)
    staking_nominators.withdraw_stake(ledger, operator_id, account(2), 3 * AI3, CONSTANTS)
    completed = finalize(ledger).completed_epoch_index
    storage.delete_share_price(ledger, operator_id, DomainEpoch(DOMAIN, completed))
    assert_rejected(
        ledger,
        MissingOperatorEpochSharePrice,
        staking_nominators.nominate_operator,
        operator_id,
        account(2),
        AI3,
        CONSTANTS,
    )
    assert_rejected(
        ledger, MissingOperatorEpochSharePrice, staking_nominators.withdraw_stake, operator_id, account(2), 1, CONSTANTS
    )


def test_deregister_and_unlock_nominators() -> None:
    """staking_epoch.rs `unlock_operator_with_no_rewards`: everyone gets exactly their balance back."""
    ledger = new_domain({1: 150 * AI3, 2: 60 * AI3, 3: 10 * AI3, 4: 10 * AI3})
    operator_id = register(ledger, 1, 150 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 50 * AI3, CONSTANTS)
    staking_nominators.nominate_operator(ledger, operator_id, account(3), 10 * AI3, CONSTANTS)
    finalize(ledger)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 10 * AI3, CONSTANTS)
    staking_nominators.nominate_operator(ledger, operator_id, account(4), 10 * AI3, CONSTANTS)
    staking_nominators.withdraw_stake(ledger, operator_id, account(1), 20 * AI3, CONSTANTS)
    staking_nominators.withdraw_stake(ledger, operator_id, account(2), 10 * AI3, CONSTANTS)
    assert_rejected(ledger, NotOperatorOwner, staking.deregister_operator, account(2), operator_id, CONSTANTS)
    staking.deregister_operator(ledger, account(1), operator_id, CONSTANTS)
    status = storage.get_operator_status(ledger, operator_id, operator_of(ledger, operator_id))
    assert status == OperatorStatus.deregistered(OperatorDeregisteredInfo(DomainEpoch(DOMAIN, 2), 5))
    assert operator_id not in storage.get_staking_summary(ledger, DOMAIN).next_operators
    assert_rejected(
        ledger,
        OperatorNotRegistered,
        staking_nominators.nominate_operator,
        operator_id,
        account(4),
        10 * AI3,
        CONSTANTS,
    )
    assert_rejected(ledger, UnlockPeriodNotComplete, staking_nominators.unlock_nominator, operator_id, account(2))
    finalize(ledger)
    assert operator_id not in storage.get_staking_summary(ledger, DOMAIN).current_operators
    storage.put_head_domain_number(ledger, DOMAIN, 5)
    for nominator in (2, 3, 4, 1):
        staking_nominators.unlock_nominator(ledger, operator_id, account(nominator))
    assert [ledger.free_balance(account(index)) for index in (1, 2, 3, 4)] == [150 * AI3, 60 * AI3, 10 * AI3, 10 * AI3]
    assert storage.get_operator(ledger, operator_id) is None and storage.get_operator_owner(ledger, operator_id) is None
    assert storage.get_share_price_epochs(ledger, operator_id) == frozenset()
    assert ledger.free_balance(compute_storage_fund_account(operator_id)) == 0
    assert ledger.total_issuance == 230 * AI3


def test_unlock_nominator_with_rewards_conserves_value() -> None:
    ledger = new_domain({1: 150 * AI3, 2: 60 * AI3, 3: 10 * AI3})
    operator_id = register(ledger, 1, 150 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 50 * AI3, CONSTANTS)
    staking_nominators.nominate_operator(ledger, operator_id, account(3), 10 * AI3, CONSTANTS)
    finalize(ledger)
    staking_epoch.reward_operators(ledger, DOMAIN, [operator_id], 20 * AI3)
    staking.deregister_operator(ledger, account(1), operator_id, CONSTANTS)
    finalize(ledger)
    storage.put_head_domain_number(ledger, DOMAIN, 5)
    for nominator in (2, 3, 1):
        staking_nominators.unlock_nominator(ledger, operator_id, account(nominator))
    # Everything staked plus the reward comes out; rounding dust goes to the treasury.
    assert ledger.total_issuance == 240 * AI3
    paid = sum(ledger.free_balance(account(index)) for index in (1, 2, 3))
    assert 0 <= 240 * AI3 - paid == ledger.free_balance(TREASURY_ACCOUNT) < 1000
    assert ledger.free_balance(account(2)) > 60 * AI3


def test_unlock_nominator_needs_a_deregistered_operator() -> None:
    ledger, operator_id = withdraw_setup(0, None)
    assert_rejected(ledger, OperatorNotDeregistered, staking_nominators.unlock_nominator, operator_id, account(1))


def test_slash_operator() -> None:
    """staking.rs `slash_operator`: stake, gains, withdrawals and storage fees of known shares go to the treasury;
    the deposits of the open epoch go back."""
    ledger = new_domain({1: 250 * AI3, 2: 150 * AI3})
    operator_id = register(ledger, 1, 200 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 100 * AI3, CONSTANTS)
    finalize(ledger)
    for nominator in (1, 2):
        staking_nominators.withdraw_stake(ledger, operator_id, account(nominator), 10 * AI3, CONSTANTS)
    staking_epoch.reward_operators(ledger, DOMAIN, [operator_id], 20 * AI3)
    finalize(ledger)
    summary = storage.get_staking_summary(ledger, DOMAIN)
    operator = operator_of(ledger, operator_id)
    withdrawals = []
    for nominator in (1, 2):
        withdrawal = storage.get_withdrawal(ledger, operator_id, account(nominator))
        assert withdrawal is not None
        withdrawals.append(
            funds.convert_previous_epoch_withdrawal(ledger, operator_id, withdrawal, summary.current_epoch_index)
        )
    total_deposit = summary.current_total_stake + operator.total_storage_fee_deposit
    assert total_deposit == 293333333333333333336
    assert sum(withdrawal.total_withdrawal_amount for withdrawal in withdrawals) == 21666666666666666664
    assert sum(withdrawal.withdrawals[0].storage_fee_refund for withdrawal in withdrawals) == 5 * AI3
    for nominator in (1, 2):
        staking_nominators.nominate_operator(ledger, operator_id, account(nominator), 40 * AI3, CONSTANTS)
    assert staking.mark_operators_as_slashed(ledger, [operator_id], SlashedReason(invalid_bundle_number=1)) == (0,)
    assert staking.mark_operators_as_slashed(ledger, [operator_id, 42], SlashedReason(invalid_bundle_number=1)) == ()
    summary = storage.get_staking_summary(ledger, DOMAIN)
    assert operator_id not in summary.next_operators and operator_id not in summary.current_operators
    assert summary.current_total_stake == 0
    assert (
        storage.get_operator_status(ledger, operator_id, operator_of(ledger, operator_id)).kind
        is OperatorStatusKind.SLASHED
    )
    assert storage.get_operator_set(ledger, storage.PENDING_SLASHES, DOMAIN) == {operator_id}
    assert_rejected(
        ledger,
        OperatorNotRegistered,
        staking_nominators.nominate_operator,
        operator_id,
        account(2),
        10 * AI3,
        CONSTANTS,
    )
    assert ledger.free_balance(TREASURY_ACCOUNT) == 0
    assert staking_epoch.slash_operator(ledger, DOMAIN, CONSTANTS) == 2
    assert storage.get_operator_set(ledger, storage.PENDING_SLASHES, DOMAIN) == frozenset()
    assert storage.get_operator(ledger, operator_id) is None and storage.get_operator_owner(ledger, operator_id) is None
    assert ledger.free_balance(account(1)) == 50 * AI3 and ledger.free_balance(account(2)) == 50 * AI3
    assert ledger.free_balance(TREASURY_ACCOUNT) == 320 * AI3
    assert funds.get_storage_fund_balance(ledger, operator_id) == 0
    assert staking_epoch.slash_operator(ledger, DOMAIN, CONSTANTS) == 0


def test_slash_operator_with_more_than_max_nominators_to_slash() -> None:
    nominators = list(range(2, 22))
    ledger = new_domain({1: 250 * AI3} | {index: 150 * AI3 for index in nominators})
    operator_id = register(ledger, 1, 200 * AI3)
    for nominator in nominators:
        staking_nominators.nominate_operator(ledger, operator_id, account(nominator), 100 * AI3, CONSTANTS)
    finalize(ledger)
    last = nominators[-1]
    for nominator in (1, last):
        staking_nominators.withdraw_stake(ledger, operator_id, account(nominator), 10 * AI3, CONSTANTS)
    staking_epoch.reward_operators(ledger, DOMAIN, [operator_id], 20 * AI3)
    finalize(ledger)
    for nominator in (1, last):
        staking_nominators.nominate_operator(ledger, operator_id, account(nominator), 40 * AI3, CONSTANTS)
        staking_nominators.withdraw_stake(ledger, operator_id, account(nominator), 5 * AI3, CONSTANTS)
    staking.mark_operators_as_slashed(ledger, [operator_id], SlashedReason(bad_receipt_hash=bytes(32)))
    finalize(ledger)
    assert storage.get_operator_set(ledger, storage.PENDING_SLASHES, DOMAIN) == {operator_id}
    assert [staking_epoch.slash_operator(ledger, DOMAIN, CONSTANTS) for _ in range(3)] == [10, 10, 1]
    assert storage.get_operator(ledger, operator_id) is None
    assert ledger.free_balance(account(1)) == 50 * AI3
    assert all(ledger.free_balance(account(nominator)) == 50 * AI3 for nominator in nominators)
    assert ledger.free_balance(TREASURY_ACCOUNT) == 2220 * AI3
    assert funds.get_storage_fund_balance(ledger, operator_id) == 0


def test_slash_operators_one_per_step() -> None:
    ledger = new_domain({1: 250 * AI3, 2: 250 * AI3, 3: 250 * AI3})
    operators = [register(ledger, owner, 200 * AI3) for owner in (1, 2, 3)]
    finalize(ledger)
    assert storage.get_staking_summary(ledger, DOMAIN).current_total_stake == 480 * AI3
    for operator_id, number in zip(operators, (1, 2, 3), strict=True):
        staking.mark_operators_as_slashed(ledger, [operator_id], SlashedReason(invalid_bundle_number=number))
    for _ in operators:
        assert staking_epoch.slash_operator(ledger, DOMAIN, CONSTANTS) == 1
    assert all(storage.get_operator(ledger, operator_id) is None for operator_id in operators)
    assert ledger.free_balance(TREASURY_ACCOUNT) == 600 * AI3


def test_bundle_storage_fund_charge_and_refund() -> None:
    """staking.rs `bundle_storage_fund_charged_and_refund_storege_fee`."""
    ledger = new_domain({1: 150 * AI3, 2: 100 * AI3})
    operator_id = register(ledger, 1, 100 * AI3, minimum_nominator_stake=AI3)
    assert staking_epoch.charge_bundle_storage_fee(ledger, operator_id, 20, AI3) == 20 * AI3
    assert funds.get_storage_fund_balance(ledger, operator_id) == 0
    assert_rejected(ledger, BundleStorageFeePayment, staking_epoch.charge_bundle_storage_fee, operator_id, 1, AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(1), 5 * AI3, CONSTANTS)
    assert funds.get_storage_fund_balance(ledger, operator_id) == AI3
    staking_epoch.charge_bundle_storage_fee(ledger, operator_id, 1, AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(2), 5 * AI3, CONSTANTS)
    assert funds.get_storage_fund_balance(ledger, operator_id) == AI3
    staking_epoch.charge_bundle_storage_fee(ledger, operator_id, 1, AI3)
    staking_epoch.refund_storage_fee(ledger, 10 * AI3, {operator_id: 1, operator_id + 1: 9})
    assert funds.get_storage_fund_balance(ledger, operator_id) == AI3
    # The share of an operator that does not exist goes to the treasury.
    assert ledger.free_balance(TREASURY_ACCOUNT) == 9 * AI3
    assert staking_epoch.charge_bundle_storage_fee(ledger, operator_id, 0, AI3) == 0


def test_reward_operators_by_weight() -> None:
    ledger = new_domain({1: 200 * AI3, 2: 200 * AI3})
    first, second = register(ledger, 1, 100 * AI3), register(ledger, 2, 100 * AI3)
    given = staking_epoch.reward_operators(ledger, DOMAIN, [first, second, first], 10)
    assert given == {first: 6, second: 3}  # floor(2/3 · 10), floor(1/3 · 10)
    assert ledger.free_balance(TREASURY_ACCOUNT) == 1
    assert storage.get_staking_summary(ledger, DOMAIN).current_epoch_rewards == {first: 6, second: 3}
    assert staking_epoch.reward_operators(ledger, DOMAIN, [first], 0) == {}


def test_domain_chain_rewards_split_and_slashed_rewards() -> None:
    ledger = new_domain({1: 200 * AI3, 2: 200 * AI3})
    first, second = register(ledger, 1, 100 * AI3), register(ledger, 2, 100 * AI3)
    finalize(ledger)
    staking_epoch.reward_operators(ledger, DOMAIN, [first, second], 10 * AI3)
    storage.put_domain_chain_rewards(ledger, DOMAIN, 7)
    staking.mark_operators_as_slashed(ledger, [second], SlashedReason(invalid_bundle_number=3))
    before = operator_of(ledger, first).current_total_stake
    result = finalize(ledger)
    assert result.rewarded_operator_count == 1
    # 7 split over 2 operators: 3 each, 1 to the treasury; the slashed operator's 5 AI3 + 3 go to the treasury.
    assert operator_of(ledger, first).current_total_stake - before == 5 * AI3 + 3
    assert ledger.free_balance(TREASURY_ACCOUNT) == 5 * AI3 + 3 + 1


def test_deactivate_and_reactivate() -> None:
    ledger, operator_id = withdraw_setup(0, None)
    staking.deactivate_operator(ledger, operator_id, CONSTANTS)
    summary = storage.get_staking_summary(ledger, DOMAIN)
    assert (
        summary.current_operators == {} and summary.current_total_stake == 0 and summary.next_operators == frozenset()
    )
    status = storage.get_operator_status(ledger, operator_id, operator_of(ledger, operator_id))
    assert status == OperatorStatus.deactivated(summary.current_epoch_index + 5)
    assert_rejected(ledger, OperatorNotRegistered, staking.deactivate_operator, operator_id, CONSTANTS)
    assert_rejected(
        ledger,
        OperatorNotRegistered,
        staking_nominators.nominate_operator,
        operator_id,
        account(1),
        10 * AI3,
        CONSTANTS,
    )
    assert_rejected(ledger, ReactivationDelayPeriodIncomplete, staking.reactivate_operator, operator_id)
    # Nominators may still leave a deactivated operator; their withdrawal gets the epoch's closing price.
    withdraw_as_shares(ledger, operator_id, 1, 50 * AI3)
    assert storage.get_operator_set(ledger, storage.DEACTIVATED_OPERATORS, DOMAIN) == {operator_id}
    finalize(ledger)
    assert storage.get_share_price(ledger, operator_id, DomainEpoch(DOMAIN, summary.current_epoch_index)) is not None
    for _ in range(4):
        finalize(ledger)
    staking.reactivate_operator(ledger, operator_id)
    assert_rejected(ledger, OperatorNotDeactivated, staking.reactivate_operator, operator_id)
    finalize(ledger)
    assert operator_id in storage.get_staking_summary(ledger, DOMAIN).current_operators


def test_pending_slash_status_and_epoch_exclusion() -> None:
    ledger, operator_id = withdraw_setup(0, None)
    storage.put_latest_submitted_receipt_number(ledger, DOMAIN, operator_id, 3)
    storage.put_head_receipt_number(ledger, DOMAIN, 2)
    assert (
        storage.get_operator_status(ledger, operator_id, operator_of(ledger, operator_id)).kind
        is OperatorStatusKind.PENDING_SLASH
    )
    assert_rejected(
        ledger, OperatorNotRegistered, staking_nominators.withdraw_stake, operator_id, account(1), AI3, CONSTANTS
    )
    staking_epoch.reward_operators(ledger, DOMAIN, [operator_id], AI3)
    finalize(ledger)
    summary = storage.get_staking_summary(ledger, DOMAIN)
    assert summary.current_operators == {} and summary.next_operators == frozenset()
    assert ledger.free_balance(TREASURY_ACCOUNT) == AI3
    storage.put_head_receipt_number(ledger, DOMAIN, 3)
    assert (
        storage.get_operator_status(ledger, operator_id, operator_of(ledger, operator_id)).kind
        is OperatorStatusKind.REGISTERED
    )


def test_invalid_bundle_marks() -> None:
    ledger, operator_id = withdraw_setup(0, None)
    receipt_hash = bytes([7]) * 32
    staking.do_mark_invalid_bundle_authors(ledger, DOMAIN, [operator_id], receipt_hash)
    assert operator_of(ledger, operator_id).partial_status == OperatorStatus.invalid_bundle(receipt_hash)
    assert storage.get_staking_summary(ledger, DOMAIN).next_operators == frozenset()
    staking.do_unmark_invalid_bundle_authors(ledger, DOMAIN, [operator_id], bytes(32))
    assert operator_of(ledger, operator_id).partial_status.kind is OperatorStatusKind.INVALID_BUNDLE
    staking.do_unmark_invalid_bundle_authors(ledger, DOMAIN, [operator_id], receipt_hash)
    assert operator_of(ledger, operator_id).partial_status.kind is OperatorStatusKind.REGISTERED
    assert storage.get_staking_summary(ledger, DOMAIN).next_operators == {operator_id}
    assert storage.get_operator_set(ledger, storage.INVALID_BUNDLE_AUTHORS, DOMAIN) == frozenset()


def test_epoch_transition_records_the_previous_distribution() -> None:
    ledger = new_domain({0: 150 * AI3, 1: 100 * AI3, 3: 20 * AI3})
    operator_id = register(ledger, 0, 150 * AI3)
    staking_nominators.nominate_operator(ledger, operator_id, account(1), 50 * AI3, CONSTANTS)
    finalize(ledger)
    staking_nominators.nominate_operator(ledger, operator_id, account(1), 50 * AI3, CONSTANTS)
    staking_nominators.nominate_operator(ledger, operator_id, account(3), 10 * AI3, CONSTANTS)
    staking_epoch.reward_operators(ledger, DOMAIN, [operator_id], 20 * AI3)
    result = finalize(ledger)
    assert (result.completed_epoch_index, result.rewarded_operator_count, result.finalized_operator_count) == (2, 1, 1)
    distribution = storage.get_last_epoch_staking_distribution(ledger, DOMAIN)
    assert distribution is not None and distribution.operators == {operator_id: 160 * AI3}
    assert distribution.total_domain_stake == 160 * AI3
    operator = operator_of(ledger, operator_id)
    assert operator.current_total_stake + operator.total_storage_fee_deposit == 260 * AI3 + 20 * AI3
    assert storage.get_staking_summary(ledger, DOMAIN).current_epoch_index == 3
    assert storage.get_pending_staking_operation_count(ledger, DOMAIN) == 0


# ---- offline operators ----


def test_offline_operator_detection_at_the_epoch_end() -> None:
    ledger, operator_id = withdraw_setup(0, None)
    # 100 slots with all the stake and probability one expect 99 bundles; 65 is below both bounds.
    storage.put_operator_bundle_count(ledger, operator_id, 65)
    assert finalize(ledger, slot=99).offline_operators == (operator_id,)
    storage.put_operator_bundle_count(ledger, operator_id, 66)
    assert finalize(ledger, slot=199).offline_operators == ()
