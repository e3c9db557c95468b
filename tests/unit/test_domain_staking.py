"""Domain staking (pallet-domains staking.rs, staking_epoch.rs, bundle_storage_fund.rs), withdrawals: the 17
upstream `withdraw_stake_*` vectors to the Shannon, the share price behind the first of them, and every rejected
withdrawal or unlock changing nothing (the withdrawal limit, the unlock period, a missing share price). The
upstream register/nominate/deregister/slash/reward scenarios are in test_domain_staking_scenarios.py."""

from __future__ import annotations

import pytest

from autonomys.protocol.domains import staking_epoch, staking_nominators
from autonomys.protocol.domains import staking_funds as funds
from autonomys.protocol.domains import staking_storage as storage
from autonomys.protocol.domains.staking_constants import AI3
from autonomys.protocol.domains.staking_types import DomainEpoch
from autonomys.protocol.errors import (
    InsufficientShares,
    MinimumNominatorStake,
    MinimumOperatorStake,
    MissingOperatorEpochSharePrice,
    MissingWithdrawal,
    TooManyWithdrawals,
    UnknownNominator,
    UnknownOperator,
    UnlockPeriodNotComplete,
    ZeroWithdraw,
)
from helpers.staking import (
    CONSTANTS,
    DOMAIN,
    STORAGE_FEE_RESERVE,
    account,
    assert_rejected,
    finalize,
    new_domain,
    operator_of,
    register,
    withdraw_as_shares,
    withdraw_setup,
)

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


# ---- withdrawal rejections, limits and unlocking ----


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
