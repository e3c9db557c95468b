"""Operator and nominator staking calls of execution domains (pallet-domains staking.rs): register, nominate,
withdraw, unlock, deregister, deactivate/reactivate, slashing marks and invalid-bundle marks.

Every public call runs atomically (`ledger.transaction`): it raises a named StakingError and changes nothing, or
applies all its writes. The `do_*` functions are the same rules without the transaction, for composing inside one.
The head domain block number, head receipt number and latest submitted receipts are records the block tree writes
(staking_storage `put_head_domain_number`, ...); the current slot is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from autonomys.protocol.codec import validate_uint
from autonomys.protocol.constants import U32_MAX, U64_MAX
from autonomys.protocol.domains.fixed_point import U128_MAX, Perquintill, SharePrice
from autonomys.protocol.domains.ledger import HoldReason, Ledger, transaction
from autonomys.protocol.domains.staking_epoch import do_finalize_domain_current_epoch
from autonomys.protocol.domains.staking_errors import (
    BlockNumberOverflow,
    DomainAlreadyInitialized,
    EpochOverflow,
    InsufficientShares,
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
    ShareOverflow,
    ShareUnderflow,
    TooManyWithdrawals,
    UnknownNominator,
    UnknownOperator,
    UnlockPeriodNotComplete,
    ZeroDeposit,
    ZeroWithdraw,
)
from autonomys.protocol.domains.staking_storage import (
    DEACTIVATED_OPERATORS,
    DEREGISTERED_OPERATORS,
    INVALID_BUNDLE_AUTHORS,
    PENDING_SLASHES,
    add_deposit,
    add_to_operator_set,
    checked_add,
    checked_sub,
    cleanup_operator,
    convert_previous_epoch_deposit,
    convert_previous_epoch_withdrawal,
    delete_operator,
    deposit_reserve_for_storage_fund,
    get_deposit,
    get_deposit_on_hold,
    get_domain_config,
    get_head_domain_number,
    get_next_operator_id,
    get_operator,
    get_operator_nominators,
    get_operator_owner,
    get_operator_set,
    get_operator_status,
    get_staking_summary,
    get_withdrawal,
    has_deposit_on_hold,
    has_domain_config,
    has_staking_summary,
    hold_deposit,
    is_operator_pending_to_slash,
    mint_funds,
    note_pending_staking_operation,
    put_deposit,
    put_deposit_on_hold,
    put_domain_config,
    put_next_operator_id,
    put_operator,
    put_operator_owner,
    put_operator_set,
    put_share_price,
    put_staking_summary,
    put_withdrawal,
    redeem_storage_fee,
    release_held,
    require_operator,
    withdraw_and_hold,
    withdraw_to,
)
from autonomys.protocol.domains.staking_types import (
    REGISTERED,
    SIGNING_KEY_SIZE,
    SLASHED,
    Deposit,
    DomainEpoch,
    DomainStakingConfig,
    KnownDeposit,
    Operator,
    OperatorConfig,
    OperatorDeregisteredInfo,
    OperatorStatus,
    OperatorStatusKind,
    SlashedReason,
    StakingConstants,
    StakingSummary,
    Withdrawal,
    WithdrawalInShares,
)

_WITHDRAWABLE = (OperatorStatusKind.REGISTERED, OperatorStatusKind.DEACTIVATED)


def create_domain_staking(ledger: Ledger, domain_id: int, config: DomainStakingConfig) -> None:
    """Write a new domain's registry entry (as staking reads it) and an empty staking summary at epoch 0."""
    with transaction(ledger) as overlay:
        # A domain is instantiated once.
        if has_staking_summary(overlay, domain_id) or has_domain_config(overlay, domain_id):
            msg = f"domain {domain_id} already has staking records"
            raise DomainAlreadyInitialized(msg)
        put_domain_config(overlay, domain_id, config)
        put_staking_summary(overlay, domain_id, StakingSummary(current_epoch_index=0, current_total_stake=0))


# ---- registration and nomination ----


def do_register_operator(
    ledger: Ledger, owner: bytes, domain_id: int, amount: int, config: OperatorConfig, constants: StakingConstants
) -> tuple[int, int]:
    """Register an operator staking `amount` (gross); returns (operator id, the domain's current epoch)."""
    validate_uint("amount", amount, U128_MAX)
    note_pending_staking_operation(ledger, domain_id, constants)
    # A zero signing key is sr25519's default public key; no one holds its secret.
    if config.signing_key == bytes(SIGNING_KEY_SIZE):
        raise InvalidOperatorSigningKey("the operator signing key is all zeros")
    # The operator's own minimum may not undercut the runtime's minimum nominator stake.
    if config.minimum_nominator_stake < constants.min_nominator_stake:
        msg = f"minimum nominator stake {config.minimum_nominator_stake} < {constants.min_nominator_stake}"
        raise MinimumNominatorStake(msg)
    # Only accounts on the domain's allow list may operate it.
    if not get_domain_config(ledger, domain_id).operator_allow_list.is_operator_allowed(owner):
        raise OperatorNotAllowed(f"{owner.hex()} may not operate domain {domain_id}")
    operator_id = get_next_operator_id(ledger)
    if operator_id >= U64_MAX:
        raise MaximumOperatorId("no operator id left")
    put_next_operator_id(ledger, operator_id + 1)
    put_operator_owner(ledger, operator_id, owner)
    # MinOperatorStake applies to the gross amount, before the storage-fee reserve.
    if amount < constants.min_operator_stake:
        raise MinimumOperatorStake(f"stake {amount} < {constants.min_operator_stake}")
    new_deposit = deposit_reserve_for_storage_fund(ledger, operator_id, owner, amount, constants)
    hold_deposit(ledger, operator_id, owner, new_deposit.staking)
    summary = get_staking_summary(ledger, domain_id)
    # The owner is the first and only nominator, so its deposit is finalized at once at price one: the totals are
    # never zero while the operator lives.
    first_price = SharePrice.one()
    operator = Operator(
        signing_key=config.signing_key,
        current_domain_id=domain_id,
        next_domain_id=domain_id,
        minimum_nominator_stake=config.minimum_nominator_stake,
        nomination_tax=config.nomination_tax,
        current_total_stake=new_deposit.staking,
        current_total_shares=first_price.stake_to_shares(new_deposit.staking),
        partial_status=REGISTERED,
        deposits_in_epoch=0,
        withdrawals_in_epoch=0,
        total_storage_fee_deposit=new_deposit.storage_fee_deposit,
    )
    put_operator(ledger, operator_id, operator)
    current_epoch = DomainEpoch(domain_id, summary.current_epoch_index)
    put_share_price(ledger, operator_id, current_epoch, first_price)
    put_staking_summary(ledger, domain_id, replace(summary, next_operators=summary.next_operators | {operator_id}))
    add_deposit(ledger, operator_id, owner, current_epoch, new_deposit, None)
    return operator_id, summary.current_epoch_index


def register_operator(
    ledger: Ledger,
    owner: bytes,
    domain_id: int,
    amount: int,
    config: OperatorConfig,
    constants: StakingConstants,
    *,
    current_slot: int,
) -> int:
    """register_operator (call 4): the new operator's id. In epoch 0 the epoch closes at once so the operator can
    produce bundles."""
    with transaction(ledger) as overlay:
        operator_id, epoch_index = do_register_operator(overlay, owner, domain_id, amount, config, constants)
        if epoch_index == 0:
            do_finalize_domain_current_epoch(overlay, domain_id, current_slot, constants)
    return operator_id


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


def do_deregister_operator(ledger: Ledger, owner: bytes, operator_id: int, constants: StakingConstants) -> None:
    """The owner deregisters: the operator leaves the next epoch's set and its nominators may unlock
    StakeWithdrawalLockingPeriod blocks after the head. It keeps producing bundles until the epoch ends."""
    # Only the owner may deregister its operator.
    if get_operator_owner(ledger, operator_id) != owner:
        raise NotOperatorOwner(f"{owner.hex()} does not own operator {operator_id}")
    operator = require_operator(ledger, operator_id)
    if get_operator_status(ledger, operator_id, operator).kind is not OperatorStatusKind.REGISTERED:
        raise OperatorNotRegistered(f"operator {operator_id} is not registered")
    domain_id = operator.current_domain_id
    summary = get_staking_summary(ledger, domain_id)
    unlock_at = get_head_domain_number(ledger, domain_id) + constants.stake_withdrawal_locking_period
    if unlock_at > U32_MAX:
        raise BlockNumberOverflow(f"unlock block {unlock_at} does not fit in u32")
    info = OperatorDeregisteredInfo(DomainEpoch(domain_id, summary.current_epoch_index), unlock_at)
    put_operator(ledger, operator_id, replace(operator, partial_status=OperatorStatus.deregistered(info)))
    put_staking_summary(ledger, domain_id, replace(summary, next_operators=summary.next_operators - {operator_id}))
    add_to_operator_set(ledger, DEREGISTERED_OPERATORS, domain_id, operator_id)


def deregister_operator(ledger: Ledger, owner: bytes, operator_id: int, constants: StakingConstants) -> None:
    """deregister_operator (call 8)."""
    with transaction(ledger) as overlay:
        do_deregister_operator(overlay, owner, operator_id, constants)


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


# ---- deactivation (root calls 23 and 24) ----


def do_deactivate_operator(ledger: Ledger, operator_id: int, constants: StakingConstants) -> None:
    """Take a registered operator out of both operator sets until OperatorActivationDelayInEpochs have passed."""
    operator = require_operator(ledger, operator_id)
    if get_operator_status(ledger, operator_id, operator).kind is not OperatorStatusKind.REGISTERED:
        raise OperatorNotRegistered(f"operator {operator_id} is not registered")
    domain_id = operator.current_domain_id
    summary = get_staking_summary(ledger, domain_id)
    reactivation_epoch = summary.current_epoch_index + constants.operator_activation_delay_in_epochs
    if reactivation_epoch > U32_MAX:
        raise EpochOverflow(f"reactivation epoch {reactivation_epoch} does not fit in u32")
    put_operator(ledger, operator_id, replace(operator, partial_status=OperatorStatus.deactivated(reactivation_epoch)))
    put_staking_summary(ledger, domain_id, _without_operator(summary, operator_id, operator.current_total_stake))
    # Its deposits and withdrawals of this epoch still need the epoch's closing price.
    add_to_operator_set(ledger, DEACTIVATED_OPERATORS, domain_id, operator_id)


def deactivate_operator(ledger: Ledger, operator_id: int, constants: StakingConstants) -> None:
    """deactivate_operator (root call 23)."""
    with transaction(ledger) as overlay:
        do_deactivate_operator(overlay, operator_id, constants)


def do_reactivate_operator(ledger: Ledger, operator_id: int) -> None:
    """Return a deactivated operator to the next epoch's set once its delay has passed."""
    operator = require_operator(ledger, operator_id)
    status = get_operator_status(ledger, operator_id, operator)
    if status.reactivation_epoch is None:
        raise OperatorNotDeactivated(f"operator {operator_id} is {status.kind.name}")
    summary = get_staking_summary(ledger, operator.current_domain_id)
    if summary.current_epoch_index < status.reactivation_epoch:
        raise ReactivationDelayPeriodIncomplete(
            f"operator {operator_id} may return at epoch {status.reactivation_epoch}"
        )
    put_operator(ledger, operator_id, replace(operator, partial_status=REGISTERED))
    put_staking_summary(
        ledger, operator.current_domain_id, replace(summary, next_operators=summary.next_operators | {operator_id})
    )


def reactivate_operator(ledger: Ledger, operator_id: int) -> None:
    """reactivate_operator (root call 24)."""
    with transaction(ledger) as overlay:
        do_reactivate_operator(overlay, operator_id)


def _without_operator(summary: StakingSummary, operator_id: int, operator_stake: int) -> StakingSummary:
    """The summary with the operator removed from both sets (its stake leaves the total if it was current)."""
    current = dict(summary.current_operators)
    total = summary.current_total_stake
    if current.pop(operator_id, None) is not None:
        total = checked_sub(total, operator_stake)
    return replace(
        summary,
        current_operators=current,
        current_total_stake=total,
        next_operators=summary.next_operators - {operator_id},
    )


# ---- slashing and invalid-bundle marks ----


def do_mark_operators_as_slashed(ledger: Ledger, operator_ids: Iterable[int], reason: SlashedReason) -> tuple[int, ...]:
    """Mark operators Slashed and queue them in PendingSlashes; returns those newly marked (the `reason` is what
    the OperatorSlashed event carries)."""
    marked: list[int] = []
    for operator_id in operator_ids:
        operator = get_operator(ledger, operator_id)
        # An operator already slashed and removed (by an earlier fraud proof) is skipped.
        if operator is None:
            continue
        domain_id = operator.current_domain_id
        pending = get_operator_set(ledger, PENDING_SLASHES, domain_id)
        if operator_id in pending:
            continue
        summary = get_staking_summary(ledger, domain_id)
        put_operator(ledger, operator_id, replace(operator, partial_status=SLASHED))
        put_staking_summary(ledger, domain_id, _without_operator(summary, operator_id, operator.current_total_stake))
        put_operator_set(ledger, PENDING_SLASHES, domain_id, pending | {operator_id})
        marked.append(operator_id)
    return tuple(marked)


def mark_operators_as_slashed(ledger: Ledger, operator_ids: Iterable[int], reason: SlashedReason) -> tuple[int, ...]:
    """do_mark_operators_as_slashed, atomically."""
    with transaction(ledger) as overlay:
        return do_mark_operators_as_slashed(overlay, operator_ids, reason)


def do_mark_invalid_bundle_authors(ledger: Ledger, domain_id: int, authors: Iterable[int], receipt_hash: bytes) -> None:
    """Suspend the registered authors of bundles a new head receipt marks invalid (`do_mark_invalid_bundle_authors`)."""
    pending = get_operator_set(ledger, PENDING_SLASHES, domain_id)
    invalid_authors = get_operator_set(ledger, INVALID_BUNDLE_AUTHORS, domain_id)
    summary = get_staking_summary(ledger, domain_id)
    for operator_id in authors:
        operator = get_operator(ledger, operator_id)
        if operator_id in pending or operator is None:
            continue
        # Only a registered operator is marked; the other statuses cannot submit bundles anyway.
        if get_operator_status(ledger, operator_id, operator).kind is not OperatorStatusKind.REGISTERED:
            continue
        put_operator(ledger, operator_id, replace(operator, partial_status=OperatorStatus.invalid_bundle(receipt_hash)))
        invalid_authors |= {operator_id}
        summary = _without_operator(summary, operator_id, operator.current_total_stake)
    put_staking_summary(ledger, domain_id, summary)
    put_operator_set(ledger, INVALID_BUNDLE_AUTHORS, domain_id, invalid_authors)


def do_unmark_invalid_bundle_authors(
    ledger: Ledger, domain_id: int, authors: Iterable[int], receipt_hash: bytes
) -> None:
    """Restore authors marked by a receipt that a fraud proof pruned (`do_unmark_invalid_bundle_authors`)."""
    pending = get_operator_set(ledger, PENDING_SLASHES, domain_id)
    invalid_authors = get_operator_set(ledger, INVALID_BUNDLE_AUTHORS, domain_id)
    summary = get_staking_summary(ledger, domain_id)
    for operator_id in authors:
        if operator_id in pending or is_operator_pending_to_slash(ledger, domain_id, operator_id):
            continue
        operator = get_operator(ledger, operator_id)
        # Only an operator suspended by exactly this receipt is restored.
        if operator is None or operator.partial_status != OperatorStatus.invalid_bundle(receipt_hash):
            continue
        put_operator(ledger, operator_id, replace(operator, partial_status=REGISTERED))
        invalid_authors -= {operator_id}
        summary = replace(summary, next_operators=summary.next_operators | {operator_id})
    put_staking_summary(ledger, domain_id, summary)
    put_operator_set(ledger, INVALID_BUNDLE_AUTHORS, domain_id, invalid_authors)
