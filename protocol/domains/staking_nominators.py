"""Nominator staking calls of execution domains (pallet-domains staking.rs): nominate an operator, withdraw stake,
unlock funds, and unlock a nominator of a deregistered operator.

Every public call runs atomically (`ledger.transaction`), as in protocol.domains.staking; the `do_*` functions are
the same rules without the transaction.
"""

from __future__ import annotations

from dataclasses import replace

from autonomys.protocol.codec import validate_uint
from autonomys.protocol.constants import U32_MAX
from autonomys.protocol.domains.fixed_point import U128_MAX, Perquintill, SharePrice
from autonomys.protocol.domains.ledger import HoldReason, Ledger, transaction
from autonomys.protocol.domains.staking_constants import StakingConstants
from autonomys.protocol.domains.staking_deposits import Deposit, KnownDeposit, Withdrawal, WithdrawalInShares
from autonomys.protocol.domains.staking_funds import (
    add_deposit,
    cleanup_operator,
    convert_previous_epoch_deposit,
    convert_previous_epoch_withdrawal,
    deposit_reserve_for_storage_fund,
    hold_deposit,
    mint_funds,
    redeem_storage_fee,
    release_held,
    withdraw_and_hold,
    withdraw_to,
)
from autonomys.protocol.domains.staking_storage import (
    DEACTIVATED_OPERATORS,
    add_to_operator_set,
    checked_add,
    checked_sub,
    delete_operator,
    get_deposit,
    get_deposit_on_hold,
    get_head_domain_number,
    get_operator_nominators,
    get_operator_owner,
    get_operator_status,
    get_staking_summary,
    get_withdrawal,
    has_deposit_on_hold,
    note_pending_staking_operation,
    put_deposit,
    put_deposit_on_hold,
    put_operator,
    put_withdrawal,
    require_operator,
)
from autonomys.protocol.domains.staking_types import (
    DomainEpoch,
    Operator,
    OperatorStatusKind,
    StakingSummary,
)
from autonomys.protocol.errors import (
    BlockNumberOverflow,
    InsufficientShares,
    MinimumNominatorStake,
    MinimumOperatorStake,
    MissingOperatorEpochSharePrice,
    MissingWithdrawal,
    OperatorNotDeregistered,
    OperatorNotRegistered,
    ShareOverflow,
    ShareUnderflow,
    TooManyWithdrawals,
    UnknownNominator,
    UnknownOperator,
    UnlockPeriodNotComplete,
    ZeroDeposit,
    ZeroWithdraw,
)

_WITHDRAWABLE = (OperatorStatusKind.REGISTERED, OperatorStatusKind.DEACTIVATED)


# ---- nomination ----


def do_nominate_operator(
    ledger: Ledger, operator_id: int, nominator: bytes, amount: int, constants: StakingConstants
) -> None:
    """Deposit `amount` (gross) with a registered operator; it becomes shares at this epoch's closing price."""
    validate_uint("amount", amount, U128_MAX)
    # A zero deposit would only spend a pending-operation slot.
    if amount == 0:
        raise ZeroDeposit("nominating zero")
    operator = require_operator(ledger, operator_id)
    # Only a registered operator takes new stake.
    if get_operator_status(ledger, operator_id, operator).kind is not OperatorStatusKind.REGISTERED:
        raise OperatorNotRegistered(f"operator {operator_id} is not registered")
    # Only an operator's first staking operation of the epoch counts towards the domain's limit.
    if operator.deposits_in_epoch == 0 and operator.withdrawals_in_epoch == 0:
        note_pending_staking_operation(ledger, operator.current_domain_id, constants)
    summary = get_staking_summary(ledger, operator.current_domain_id)
    new_deposit = deposit_reserve_for_storage_fund(ledger, operator_id, nominator, amount, constants)
    hold_deposit(ledger, operator_id, nominator, new_deposit.staking)
    operator = replace(
        operator,
        deposits_in_epoch=checked_add(operator.deposits_in_epoch, new_deposit.staking),
        total_storage_fee_deposit=checked_add(operator.total_storage_fee_deposit, new_deposit.storage_fee_deposit),
    )
    put_operator(ledger, operator_id, operator)
    current_epoch = DomainEpoch(operator.current_domain_id, summary.current_epoch_index)
    add_deposit(ledger, operator_id, nominator, current_epoch, new_deposit, operator.minimum_nominator_stake)


def nominate_operator(
    ledger: Ledger, operator_id: int, nominator: bytes, amount: int, constants: StakingConstants
) -> None:
    """nominate_operator (call 5)."""
    with transaction(ledger) as overlay:
        do_nominate_operator(overlay, operator_id, nominator, amount, constants)


# ---- withdrawal ----


def compute_current_share_price(operator_id: int, operator: Operator, summary: StakingSummary) -> SharePrice:
    """The share price right now, counting this epoch's rewards net of the nomination tax (`current_share_price`)."""
    total_stake = operator.current_total_stake
    rewards = summary.current_epoch_rewards.get(operator_id)
    # An overflowing sum falls back to the stake without rewards, as the reference's `unwrap_or` does.
    if rewards is not None and total_stake + rewards <= U128_MAX:
        total_stake += rewards - operator.nomination_tax.mul_floor(rewards)
    return SharePrice.new(operator.current_total_shares, total_stake)


def _compute_withdrawal_split(
    operator_id: int,
    operator: Operator,
    summary: StakingSummary,
    known: KnownDeposit,
    to_withdraw: int,
    is_owner: bool,
    constants: StakingConstants,
) -> tuple[int, int]:
    """(shares remaining, shares withdrawn) for a withdrawal of `to_withdraw` shares out of `known`."""
    remaining = checked_sub(known.shares, to_withdraw, InsufficientShares)
    if remaining == 0:
        # The owner must keep MinOperatorStake in the pool.
        if is_owner:
            raise MinimumOperatorStake("the operator owner cannot withdraw everything")
        return 0, to_withdraw
    price = compute_current_share_price(operator_id, operator, summary)
    remaining_storage_fee = Perquintill.from_rational(remaining, known.shares).mul_floor(known.storage_fee_deposit)
    remaining_stake = checked_add(price.shares_to_stake(remaining), remaining_storage_fee)
    # The owner's remaining stake (with its storage fee) must stay at MinOperatorStake.
    if is_owner and remaining_stake < constants.min_operator_stake:
        raise MinimumOperatorStake(f"remaining stake {remaining_stake} < {constants.min_operator_stake}")
    # A nominator left below the operator's minimum withdraws everything.
    if not is_owner and remaining_stake < operator.minimum_nominator_stake:
        return 0, known.shares
    return remaining, to_withdraw


def _converted_withdrawal(
    ledger: Ledger, operator_id: int, nominator: bytes, current_epoch: int, constants: StakingConstants
) -> Withdrawal | None:
    """The nominator's withdrawal with the previous epoch's shares converted (stored back), within the limit."""
    withdrawal = get_withdrawal(ledger, operator_id, nominator)
    if withdrawal is None:
        return None
    withdrawal = convert_previous_epoch_withdrawal(ledger, operator_id, withdrawal, current_epoch)
    put_withdrawal(ledger, operator_id, nominator, withdrawal)
    # At most WithdrawalLimit withdrawals may wait to unlock.
    if len(withdrawal.withdrawals) >= constants.withdrawal_limit:
        raise TooManyWithdrawals(f"{len(withdrawal.withdrawals)} withdrawals are waiting to unlock")
    return withdrawal


def do_withdraw_stake(
    ledger: Ledger, operator_id: int, nominator: bytes, to_withdraw: int, constants: StakingConstants
) -> None:
    """Withdraw `to_withdraw` shares (all of them when the rest would fall below the operator's minimum); the
    stake is fixed at this epoch's closing price and unlocks StakeWithdrawalLockingPeriod blocks after the head."""
    validate_uint("to_withdraw", to_withdraw, U128_MAX)
    # Zero shares can never withdraw anything.
    if to_withdraw == 0:
        raise ZeroWithdraw("withdrawing zero shares")
    operator = require_operator(ledger, operator_id)
    status = get_operator_status(ledger, operator_id, operator)
    # Registered and deactivated operators let nominators leave.
    if status.kind not in _WITHDRAWABLE:
        raise OperatorNotRegistered(f"operator {operator_id} is {status.kind.name}")
    if operator.deposits_in_epoch == 0 and operator.withdrawals_in_epoch == 0:
        note_pending_staking_operation(ledger, operator.current_domain_id, constants)
    domain_id = operator.current_domain_id
    summary = get_staking_summary(ledger, domain_id)
    deposit = get_deposit(ledger, operator_id, nominator)
    if deposit is None:
        raise UnknownNominator(f"{nominator.hex()} has no deposit with operator {operator_id}")
    deposit = convert_previous_epoch_deposit(ledger, operator_id, deposit, summary.current_epoch_index)
    withdrawal = _converted_withdrawal(ledger, operator_id, nominator, summary.current_epoch_index, constants)
    if status.kind is OperatorStatusKind.DEACTIVATED:
        add_to_operator_set(ledger, DEACTIVATED_OPERATORS, domain_id, operator_id)
    owner = get_operator_owner(ledger, operator_id)
    if owner is None:
        raise UnknownOperator(f"operator {operator_id} has no owner")
    known = deposit.known
    remaining, withdrawn = _compute_withdrawal_split(
        operator_id, operator, summary, known, to_withdraw, owner == nominator, constants
    )
    storage_fee_out = Perquintill.from_rational(withdrawn, known.shares).mul_floor(known.storage_fee_deposit)
    refund = redeem_storage_fee(ledger, operator_id, operator.total_storage_fee_deposit, storage_fee_out)
    refund = withdraw_and_hold(ledger, operator_id, nominator, refund)
    operator = replace(
        operator,
        total_storage_fee_deposit=checked_sub(operator.total_storage_fee_deposit, storage_fee_out),
        withdrawals_in_epoch=checked_add(operator.withdrawals_in_epoch, withdrawn, ShareOverflow),
    )
    put_operator(ledger, operator_id, operator)
    # A nominator who withdrew every share keeps only a pending deposit, which must reach the minimum by itself.
    if remaining == 0 and deposit.pending is not None and deposit.pending.total < operator.minimum_nominator_stake:
        raise MinimumNominatorStake(f"the pending deposit {deposit.pending.total} is below the minimum")
    known = KnownDeposit(remaining, checked_sub(known.storage_fee_deposit, storage_fee_out))
    put_deposit(ledger, operator_id, nominator, replace(deposit, known=known))
    unlock_at = get_head_domain_number(ledger, domain_id) + constants.stake_withdrawal_locking_period
    if unlock_at > U32_MAX:
        raise BlockNumberOverflow(f"unlock block {unlock_at} does not fit in u32")
    _add_withdrawal_in_shares(
        ledger,
        operator_id,
        nominator,
        withdrawal,
        DomainEpoch(domain_id, summary.current_epoch_index),
        unlock_at,
        withdrawn,
        refund,
    )


def _add_withdrawal_in_shares(
    ledger: Ledger,
    operator_id: int,
    nominator: bytes,
    withdrawal: Withdrawal | None,
    current_epoch: DomainEpoch,
    unlock_at: int,
    shares: int,
    refund: int,
) -> None:
    """Add to this epoch's single withdrawal in shares (shares and refunds summed, the unlock block the latest)."""
    withdrawal = withdrawal or Withdrawal()
    in_shares = withdrawal.withdrawal_in_shares
    if in_shares is not None:
        shares = checked_add(in_shares.shares, shares, ShareOverflow)
        refund_total = checked_add(in_shares.storage_fee_refund, refund)
    else:
        refund_total = refund
    withdrawal = replace(
        withdrawal,
        withdrawal_in_shares=WithdrawalInShares(current_epoch, unlock_at, shares, refund_total),
        total_storage_fee_withdrawal=checked_add(withdrawal.total_storage_fee_withdrawal, refund),
    )
    put_withdrawal(ledger, operator_id, nominator, withdrawal)


def withdraw_stake(
    ledger: Ledger, operator_id: int, nominator: bytes, to_withdraw: int, constants: StakingConstants
) -> None:
    """withdraw_stake (call 9), in shares."""
    with transaction(ledger) as overlay:
        do_withdraw_stake(overlay, operator_id, nominator, to_withdraw, constants)


# ---- unlocking ----


def do_unlock_funds(ledger: Ledger, operator_id: int, nominator: bytes) -> int:
    """Pay out every withdrawal whose unlock block the head has reached: held stake released, gains minted,
    storage-fee refunds released. Returns how many withdrawals were unlocked."""
    operator = require_operator(ledger, operator_id)
    status = get_operator_status(ledger, operator_id, operator)
    if status.kind not in _WITHDRAWABLE:
        raise OperatorNotRegistered(f"operator {operator_id} is {status.kind.name}")
    domain_id = operator.current_domain_id
    current_epoch = get_staking_summary(ledger, domain_id).current_epoch_index
    withdrawal = get_withdrawal(ledger, operator_id, nominator)
    if withdrawal is None:
        raise MissingWithdrawal(f"{nominator.hex()} has no withdrawal from operator {operator_id}")
    withdrawal = convert_previous_epoch_withdrawal(ledger, operator_id, withdrawal, current_epoch)
    if len(withdrawal.withdrawals) == 0:
        raise MissingWithdrawal(f"{nominator.hex()} has no withdrawal in balance from operator {operator_id}")
    head = get_head_domain_number(ledger, domain_id)
    # The unlock block is compared with the head domain number (not the confirmed one), as the reference does.
    ready = 0
    while (
        ready < len(withdrawal.withdrawals)
        and withdrawal.withdrawals[ready].unlock_at_confirmed_domain_block_number <= head
    ):
        ready += 1
    if ready == 0:
        raise UnlockPeriodNotComplete(f"the first withdrawal unlocks after domain block {head}")
    unlocked = sum(item.amount_to_unlock for item in withdrawal.withdrawals[:ready])
    refunds = sum(item.storage_fee_refund for item in withdrawal.withdrawals[:ready])
    withdrawal = Withdrawal(
        total_withdrawal_amount=checked_sub(withdrawal.total_withdrawal_amount, unlocked),
        total_storage_fee_withdrawal=checked_sub(withdrawal.total_storage_fee_withdrawal, refunds),
        withdrawals=withdrawal.withdrawals[ready:],
        withdrawal_in_shares=withdrawal.withdrawal_in_shares,
    )
    on_hold = get_deposit_on_hold(ledger, operator_id, nominator)
    to_release = min(unlocked, on_hold)
    put_deposit_on_hold(ledger, operator_id, nominator, on_hold - to_release)
    mint_funds(ledger, nominator, unlocked - to_release)
    release_held(ledger, HoldReason.STAKING_STAKED, nominator, to_release)
    release_held(ledger, HoldReason.STORAGE_FUND_WITHDRAWAL, nominator, refunds)
    if len(withdrawal.withdrawals) == 0 and withdrawal.withdrawal_in_shares is None:
        put_withdrawal(ledger, operator_id, nominator, None)
        _remove_empty_deposit(ledger, operator_id, nominator)
    else:
        put_withdrawal(ledger, operator_id, nominator, withdrawal)
    return ready


def _remove_empty_deposit(ledger: Ledger, operator_id: int, nominator: bytes) -> None:
    """Drop a deposit with no shares and nothing pending, and its DepositOnHold entry once that is zero."""
    deposit = get_deposit(ledger, operator_id, nominator)
    if deposit is None or deposit.known.shares != 0 or deposit.pending is not None:
        return
    put_deposit(ledger, operator_id, nominator, None)
    if has_deposit_on_hold(ledger, operator_id, nominator) and get_deposit_on_hold(ledger, operator_id, nominator) == 0:
        put_deposit_on_hold(ledger, operator_id, nominator, None)


def unlock_funds(ledger: Ledger, operator_id: int, nominator: bytes) -> int:
    """unlock_funds (call 10): the number of withdrawals unlocked."""
    with transaction(ledger) as overlay:
        return do_unlock_funds(overlay, operator_id, nominator)


def _take_converted_deposit(ledger: Ledger, operator_id: int, nominator: bytes, current_epoch: int) -> Deposit:
    """Remove the nominator's deposit and convert it; a missing price (a deposit in the epoch the operator left)
    is tolerated."""
    deposit = get_deposit(ledger, operator_id, nominator)
    if deposit is None:
        raise UnknownNominator(f"{nominator.hex()} has no deposit with operator {operator_id}")
    put_deposit(ledger, operator_id, nominator, None)
    try:
        return convert_previous_epoch_deposit(ledger, operator_id, deposit, current_epoch)
    except MissingOperatorEpochSharePrice:
        return deposit


def _take_converted_withdrawal(ledger: Ledger, operator_id: int, nominator: bytes, current_epoch: int) -> Withdrawal:
    """Remove the nominator's withdrawal (an empty one when absent) and convert it, tolerating a missing price."""
    withdrawal = get_withdrawal(ledger, operator_id, nominator)
    if withdrawal is None:
        return Withdrawal()
    put_withdrawal(ledger, operator_id, nominator, None)
    try:
        return convert_previous_epoch_withdrawal(ledger, operator_id, withdrawal, current_epoch)
    except MissingOperatorEpochSharePrice:
        return withdrawal


def do_unlock_nominator(ledger: Ledger, operator_id: int, nominator: bytes) -> None:
    """Pay a nominator of a deregistered operator out in full once the unlock block is reached; the last one out
    cleans the operator up."""
    operator = require_operator(ledger, operator_id)
    status = get_operator_status(ledger, operator_id, operator)
    if status.deregistered_info is None:
        raise OperatorNotDeregistered(f"operator {operator_id} is {status.kind.name}")
    info = status.deregistered_info
    head = get_head_domain_number(ledger, info.domain_epoch.domain_id)
    if info.unlock_at_confirmed_domain_block_number > head:
        raise UnlockPeriodNotComplete(f"unlock at {info.unlock_at_confirmed_domain_block_number}, head {head}")
    current_epoch = get_staking_summary(ledger, operator.current_domain_id).current_epoch_index
    price = SharePrice.new(operator.current_total_shares, operator.current_total_stake)
    deposit = _take_converted_deposit(ledger, operator_id, nominator, current_epoch)
    withdrawal = _take_converted_withdrawal(ledger, operator_id, nominator, current_epoch)
    in_shares = withdrawal.withdrawal_in_shares
    shares = checked_add(deposit.known.shares, 0 if in_shares is None else in_shares.shares, ShareOverflow)
    total_shares = checked_sub(operator.current_total_shares, shares, ShareUnderflow)
    staked = price.shares_to_stake(shares)
    total_stake = checked_sub(operator.current_total_stake, staked)
    pending_amount, pending_storage_fee = (
        (0, 0) if deposit.pending is None else (deposit.pending.amount, deposit.pending.storage_fee_deposit)
    )
    to_unlock = checked_add(checked_add(staked, withdrawal.total_withdrawal_amount), pending_amount)
    locked = get_deposit_on_hold(ledger, operator_id, nominator)
    put_deposit_on_hold(ledger, operator_id, nominator, None)
    mint_funds(ledger, nominator, max(to_unlock - locked, 0))
    release_held(ledger, HoldReason.STAKING_STAKED, nominator, locked)
    storage_fee = checked_add(pending_storage_fee, deposit.known.storage_fee_deposit)
    withdraw_to(
        ledger,
        operator_id,
        nominator,
        redeem_storage_fee(ledger, operator_id, operator.total_storage_fee_deposit, storage_fee),
    )
    release_held(ledger, HoldReason.STORAGE_FUND_WITHDRAWAL, nominator, withdrawal.total_storage_fee_withdrawal)
    # The operator is cleaned up once every nominator (the owner included) has unlocked.
    if len(get_operator_nominators(ledger, operator_id)) == 0:
        cleanup_operator(ledger, operator_id, total_stake)
        delete_operator(ledger, operator_id)
        return
    total_storage_fee = max(operator.total_storage_fee_deposit - storage_fee, 0)
    put_operator(
        ledger,
        operator_id,
        replace(
            operator,
            current_total_shares=total_shares,
            current_total_stake=total_stake,
            total_storage_fee_deposit=total_storage_fee,
        ),
    )


def unlock_nominator(ledger: Ledger, operator_id: int, nominator: bytes) -> None:
    """unlock_nominator (call 11)."""
    with transaction(ledger) as overlay:
        do_unlock_nominator(overlay, operator_id, nominator)
