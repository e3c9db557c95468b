"""Domain staking (pallet-domains staking.rs, staking_epoch.rs, bundle_storage_fund.rs), the upstream scenario
tests: registering, nominating, deregistering and unlocking, slashing, rewards and storage fees, deactivation,
pending slashes and invalid bundles, epoch transitions and offline operators, with every rejected register or
nominate call changing nothing. The withdrawal vectors are in test_domain_staking.py."""

from __future__ import annotations

import dataclasses

import pytest

from autonomys.protocol.domains import staking, staking_epoch, staking_nominators
from autonomys.protocol.domains import staking_funds as funds
from autonomys.protocol.domains import staking_storage as storage
from autonomys.protocol.domains.fixed_point import Percent, SharePrice
from autonomys.protocol.domains.ledger import MemoryLedger
from autonomys.protocol.domains.staking_constants import AI3, TREASURY_ACCOUNT, compute_storage_fund_account
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
    InsufficientStakeBalance,
    InvalidOperatorSigningKey,
    MaximumOperatorId,
    MinimumNominatorStake,
    MinimumOperatorStake,
    NotOperatorOwner,
    OperatorNotAllowed,
    OperatorNotDeactivated,
    OperatorNotDeregistered,
    OperatorNotRegistered,
    ReactivationDelayPeriodIncomplete,
    StakingError,
    TooManyPendingStakingOperation,
    UnknownOperator,
    UnlockPeriodNotComplete,
    ZeroDeposit,
)
from helpers.staking import (
    CONSTANTS,
    DOMAIN,
    SIGNING_KEY,
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
