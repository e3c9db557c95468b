"""The staking epoch transition, operator rewards, the bundle storage fund's fees, and slashing of execution
domains (pallet-domains staking_epoch.rs, staking.rs `do_reward_operators`, bundle_storage_fund.rs,
sp-domains offline_operators.rs).

Public functions run atomically (`ledger.transaction`); `do_*` functions are the same rules for composing inside
a transaction. The current slot is an argument.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from math import isqrt
from typing import Final

from autonomys.protocol.codec import validate_uint
from autonomys.protocol.constants import U32_MAX
from autonomys.protocol.domains.fixed_point import U128_MAX, Perquintill, SharePrice
from autonomys.protocol.domains.ledger import HoldReason, Ledger, transaction
from autonomys.protocol.domains.staking_constants import (
    TREASURY_ACCOUNT,
    StakingConstants,
    compute_storage_fund_account,
)
from autonomys.protocol.domains.staking_deposits import Deposit, Withdrawal
from autonomys.protocol.domains.staking_funds import (
    add_deposit,
    cleanup_operator,
    convert_previous_epoch_deposit,
    convert_previous_epoch_withdrawal,
    deposit_reserve_for_storage_fund,
    hold_deposit,
    mint_funds,
    mint_into_treasury,
    redeem_storage_fee,
    release_held,
    transfer_held,
    withdraw_to,
)
from autonomys.protocol.domains.staking_storage import (
    DEACTIVATED_OPERATORS,
    DEREGISTERED_OPERATORS,
    INVALID_BUNDLE_AUTHORS,
    PENDING_SLASHES,
    checked_add,
    checked_sub,
    delete_operator,
    get_deposit,
    get_deposit_on_hold,
    get_domain_config,
    get_epoch_start_slot,
    get_operator,
    get_operator_nominators,
    get_operator_owner,
    get_operator_set,
    get_operator_status,
    get_staking_summary,
    get_withdrawal,
    is_operator_pending_to_slash,
    put_deposit,
    put_deposit_on_hold,
    put_epoch_start_slot,
    put_last_epoch_staking_distribution,
    put_operator,
    put_operator_set,
    put_pending_staking_operation_count,
    put_share_price,
    put_staking_summary,
    put_withdrawal,
    require_operator,
    take_domain_chain_rewards,
    take_operator_bundle_count,
    take_operator_set,
)
from autonomys.protocol.domains.staking_types import (
    DomainEpoch,
    ElectionVerificationParams,
    OperatorStatusKind,
    StakingSummary,
)
from autonomys.protocol.errors import (
    BundleStorageFeePayment,
    EpochOverflow,
    MissingOperatorEpochSharePrice,
    MissingOperatorOwner,
    OperatorNotRegistered,
    ProtocolError,
    ShareOverflow,
    ShareUnderflow,
    UnknownOperator,
)

_SLASHED_KINDS: Final = (OperatorStatusKind.SLASHED, OperatorStatusKind.PENDING_SLASH)


@dataclass(frozen=True, slots=True)
class EpochTransitionResult:
    """What an epoch transition did (staking_epoch.rs `EpochTransitionResult`, plus the OperatorOffline events)."""

    completed_epoch_index: int
    rewarded_operator_count: int
    finalized_operator_count: int
    offline_operators: tuple[int, ...] = ()


# ---- the epoch transition ----


def do_finalize_domain_current_epoch(
    ledger: Ledger, domain_id: int, current_slot: int, constants: StakingConstants
) -> EpochTransitionResult:
    """Close the domain's staking epoch: reset the pending-operation count, pay rewards (the tax re-staked), then
    finalize every operator's deposits and withdrawals at its closing share price and start the next epoch."""
    put_pending_staking_operation_count(ledger, domain_id, 0)
    rewarded, taxed = do_operator_take_reward_tax_and_stake(ledger, domain_id, constants)
    completed, finalized, offline = do_finalize_domain_epoch_staking(ledger, domain_id, current_slot, taxed)
    return EpochTransitionResult(completed, rewarded, finalized, offline)


def finalize_domain_current_epoch(
    ledger: Ledger, domain_id: int, current_slot: int, constants: StakingConstants
) -> EpochTransitionResult:
    """do_finalize_domain_current_epoch, atomically (also the root call force_staking_epoch_transition, 13)."""
    with transaction(ledger) as overlay:
        return do_finalize_domain_current_epoch(overlay, domain_id, current_slot, constants)


def do_operator_take_reward_tax_and_stake(
    ledger: Ledger, domain_id: int, constants: StakingConstants
) -> tuple[int, frozenset[int]]:
    """Add this epoch's rewards (and an equal part of DomainChainRewards) to each rewarded operator's stake, minus
    the nomination tax, which is minted to the owner and re-staked as its deposit. Returns (operators rewarded,
    operators with a tax deposit)."""
    summary = get_staking_summary(ledger, domain_id)
    domain_rewards = take_domain_chain_rewards(ledger, domain_id)
    active = len(summary.current_epoch_rewards)
    per_operator = 0
    to_treasury = domain_rewards if active == 0 else 0
    if active > 0 and domain_rewards > 0:
        per_operator = Perquintill.from_rational(1, active).mul_floor(domain_rewards)
        to_treasury = domain_rewards - per_operator * active
    rewarded = 0
    taxed: set[int] = set()
    current_epoch = DomainEpoch(domain_id, summary.current_epoch_index)
    for operator_id in sorted(summary.current_epoch_rewards):
        reward = checked_add(summary.current_epoch_rewards[operator_id], per_operator)
        operator = get_operator(ledger, operator_id)
        # Rewards of an operator that is gone, slashed or pending a slash go to the treasury.
        if operator is None or get_operator_status(ledger, operator_id, operator).kind in _SLASHED_KINDS:
            to_treasury = checked_add(to_treasury, reward)
            continue
        tax = operator.nomination_tax.mul_floor(reward)
        if tax > 0:
            owner = get_operator_owner(ledger, operator_id)
            if owner is None:
                raise MissingOperatorOwner(f"operator {operator_id} has no owner")
            mint_funds(ledger, owner, tax)
            tax_deposit = deposit_reserve_for_storage_fund(ledger, operator_id, owner, tax, constants)
            hold_deposit(ledger, operator_id, owner, tax_deposit.staking)
            operator = replace(
                operator,
                deposits_in_epoch=checked_add(operator.deposits_in_epoch, tax_deposit.staking),
                total_storage_fee_deposit=checked_add(
                    operator.total_storage_fee_deposit, tax_deposit.storage_fee_deposit
                ),
            )
            add_deposit(ledger, operator_id, owner, current_epoch, tax_deposit, None)
            taxed.add(operator_id)
        # The rest raises the pool's stake, i.e. the share price: this is how nominators earn.
        operator = replace(operator, current_total_stake=checked_add(operator.current_total_stake, reward - tax))
        put_operator(ledger, operator_id, operator)
        rewarded += 1
    put_staking_summary(ledger, domain_id, replace(summary, current_epoch_rewards={}))
    mint_into_treasury(ledger, to_treasury)
    return rewarded, frozenset(taxed)


def operator_take_reward_tax_and_stake(ledger: Ledger, domain_id: int, constants: StakingConstants) -> int:
    """do_operator_take_reward_tax_and_stake, atomically: the number of operators rewarded."""
    with transaction(ledger) as overlay:
        rewarded, _ = do_operator_take_reward_tax_and_stake(overlay, domain_id, constants)
    return rewarded


def do_finalize_operator_epoch_staking(
    ledger: Ledger, domain_id: int, operator_id: int, previous_epoch: int, *, check_status: bool
) -> tuple[int, bool]:
    """Apply the epoch's withdrawals then deposits at its closing share price and record that price; returns the
    operator's new total stake and whether anything changed."""
    operator = require_operator(ledger, operator_id)
    # Operators in the next epoch's set must still be registered.
    if check_status and get_operator_status(ledger, operator_id, operator).kind is not OperatorStatusKind.REGISTERED:
        raise OperatorNotRegistered(f"operator {operator_id} is not registered")
    if operator.deposits_in_epoch == 0 and operator.withdrawals_in_epoch == 0:
        return operator.current_total_stake, False
    # The closing price counts this epoch's rewards, added just before.
    price = SharePrice.new(operator.current_total_shares, operator.current_total_stake)
    total_stake, total_shares = operator.current_total_stake, operator.current_total_shares
    if operator.withdrawals_in_epoch != 0:
        total_stake = checked_sub(total_stake, price.shares_to_stake(operator.withdrawals_in_epoch))
        total_shares = checked_sub(total_shares, operator.withdrawals_in_epoch, ShareUnderflow)
    if operator.deposits_in_epoch != 0:
        total_shares = checked_add(total_shares, price.stake_to_shares(operator.deposits_in_epoch), ShareOverflow)
        total_stake = checked_add(total_stake, operator.deposits_in_epoch)
    put_share_price(ledger, operator_id, DomainEpoch(domain_id, previous_epoch), price)
    operator = replace(
        operator,
        current_total_stake=total_stake,
        current_total_shares=total_shares,
        deposits_in_epoch=0,
        withdrawals_in_epoch=0,
    )
    put_operator(ledger, operator_id, operator)
    return total_stake, True


def do_finalize_domain_epoch_staking(
    ledger: Ledger, domain_id: int, current_slot: int, taxed_operators: frozenset[int]
) -> tuple[int, int, tuple[int, ...]]:
    """Finalize every next-epoch operator (skipping those pending a slash), give the left-over operators their
    closing price, and start the next epoch. Returns (completed epoch, operators changed, operators offline)."""
    summary = get_staking_summary(ledger, domain_id)
    previous_epoch = summary.current_epoch_index
    if previous_epoch >= U32_MAX:
        raise EpochOverflow(f"epoch {previous_epoch} is the last one")
    start_slot = get_epoch_start_slot(ledger, domain_id)
    epoch_slots = 0 if start_slot is None else max(current_slot - start_slot + 1, 0)
    bundle_counts = {
        operator_id: take_operator_bundle_count(ledger, operator_id) for operator_id in summary.current_operators
    }
    probability = get_domain_config(ledger, domain_id).bundle_slot_probability
    new_current: dict[int, int] = {}
    offline: list[int] = []
    finalized = 0
    for operator_id in sorted(summary.next_operators):
        # An operator pending a slash neither continues nor gets finalized.
        if is_operator_pending_to_slash(ledger, domain_id, operator_id):
            continue
        if operator_id in summary.current_operators and is_operator_offline(
            epoch_slots,
            summary.current_operators[operator_id],
            summary.current_total_stake,
            probability,
            bundle_counts[operator_id],
        ):
            offline.append(operator_id)
        stake, changed = do_finalize_operator_epoch_staking(
            ledger, domain_id, operator_id, previous_epoch, check_status=True
        )
        new_current[operator_id] = stake
        finalized += int(changed)
    put_epoch_start_slot(ledger, domain_id, current_slot)
    _finalize_other_operators(ledger, domain_id, previous_epoch, taxed_operators, summary.next_operators)
    put_last_epoch_staking_distribution(
        ledger, domain_id, ElectionVerificationParams(summary.current_operators, summary.current_total_stake)
    )
    total_stake = 0
    for stake in new_current.values():
        total_stake = checked_add(total_stake, stake)
    next_summary = StakingSummary(
        previous_epoch + 1, total_stake, new_current, frozenset(new_current), summary.current_epoch_rewards
    )
    put_staking_summary(ledger, domain_id, next_summary)
    return previous_epoch, finalized, tuple(offline)


def _finalize_other_operators(
    ledger: Ledger, domain_id: int, previous_epoch: int, taxed: frozenset[int], next_operators: frozenset[int]
) -> None:
    """Give the closing price to operators outside the next set that still had deposits or withdrawals: tax
    re-stakers, invalid-bundle authors, deregistered and deactivated operators (slashed ones excluded)."""
    others = taxed | take_operator_set(ledger, INVALID_BUNDLE_AUTHORS, domain_id)
    others |= take_operator_set(ledger, DEREGISTERED_OPERATORS, domain_id)
    others |= take_operator_set(ledger, DEACTIVATED_OPERATORS, domain_id)
    for operator_id in sorted(others - next_operators):
        operator = get_operator(ledger, operator_id)
        # An operator already unlocked and removed has nothing left to price.
        if operator is None or get_operator_status(ledger, operator_id, operator).kind in _SLASHED_KINDS:
            continue
        do_finalize_operator_epoch_staking(ledger, domain_id, operator_id, previous_epoch, check_status=False)


# ---- offline operators (sp-domains offline_operators.rs; only the OperatorOffline event) ----

FIXED_U128_DIV: Final = 10**18
# ln(1/τ) for τ = 0.5%, as a FixedU128 inner value.
LN_1_OVER_TAU_0_5_PERCENT: Final = 5_298_317_366_548_036_608
E_BASE: Final = 3
OFFLINE_SHORTFALL_FRACTION: Final = (1, 3)


def compute_election_threshold(operator_stake: int, total_stake: int, probability: tuple[int, int]) -> int | None:
    """sp-domains bundle_producer_election.rs `calculate_threshold`, in its order of integer operations;
    None when the total stake or the probability's denominator is zero (or the result passes u128)."""
    numerator, denominator = probability
    if total_stake == 0 or denominator == 0:
        return None
    threshold = U128_MAX // denominator * numerator // total_stake * operator_stake
    return threshold if threshold <= U128_MAX else None


def _fixed_mul(left: int, right: int) -> int:
    """FixedU128 saturating_mul: the product rounded to nearest, ties down, saturating at u128."""
    quotient, remainder = divmod(left * right, FIXED_U128_DIV)
    if 2 * remainder > FIXED_U128_DIV:
        quotient += 1
    return min(quotient, U128_MAX)


def _fixed_sqrt(value: int) -> int:
    """FixedU128 try_sqrt: isqrt(n·D), or isqrt(n)·isqrt(D) when n·D passes u128."""
    if value * FIXED_U128_DIV <= U128_MAX:
        return isqrt(value * FIXED_U128_DIV)
    return isqrt(value) * isqrt(FIXED_U128_DIV)


def compute_operator_epoch_expectations(
    epoch_slots: int, operator_stake: int, total_stake: int, probability: tuple[int, int]
) -> tuple[int, int] | None:
    """(expected bundles ⌊S·p⌋, Chernoff minimum required) for a throughput-relevant operator, else None
    (`operator_expected_bundles_in_epoch` with τ = 0.5% and E_BASE)."""
    if epoch_slots == 0:
        return None
    threshold = compute_election_threshold(operator_stake, total_stake, probability)
    if threshold is None:
        return None
    slot_probability = threshold * FIXED_U128_DIV >> 128
    if slot_probability == 0:
        return None
    relevance = max(E_BASE, -(-2 * LN_1_OVER_TAU_0_5_PERCENT // FIXED_U128_DIV))
    mean = _fixed_mul(slot_probability, epoch_slots * FIXED_U128_DIV)
    expected = mean // FIXED_U128_DIV
    if expected < relevance:
        return None
    if slot_probability >= FIXED_U128_DIV:
        return expected, epoch_slots
    deviation = _fixed_sqrt(_fixed_mul(_fixed_mul(2 * FIXED_U128_DIV, mean), LN_1_OVER_TAU_0_5_PERCENT))
    minimum = (mean - deviation) // FIXED_U128_DIV if mean > deviation else 0
    return expected, min(minimum, epoch_slots)


def is_operator_offline(
    epoch_slots: int, operator_stake: int, total_stake: int, probability: tuple[int, int], bundle_count: int
) -> bool:
    """Whether a throughput-relevant operator produced fewer bundles than both the Chernoff minimum and
    (1 − OFFLINE_SHORTFALL_FRACTION) of its expectation."""
    expectations = compute_operator_epoch_expectations(epoch_slots, operator_stake, total_stake, probability)
    if expectations is None:
        return False
    expected, minimum = expectations
    numerator, denominator = OFFLINE_SHORTFALL_FRACTION
    shortfall = expected * (denominator - numerator) // denominator
    return bundle_count < minimum and bundle_count < shortfall


# ---- rewards and the bundle storage fund ----


def do_reward_operators(ledger: Ledger, domain_id: int, operator_ids: Sequence[int], rewards: int) -> dict[int, int]:
    """Share `rewards` among the operators by how often each appears in `operator_ids`, into this epoch's rewards;
    dust goes to the treasury. Returns each operator's reward."""
    validate_uint("rewards", rewards, U128_MAX)
    if rewards == 0:
        return {}
    summary = get_staking_summary(ledger, domain_id)
    epoch_rewards = dict(summary.current_epoch_rewards)
    given: dict[int, int] = {}
    allocated = 0
    for operator_id, weight in sorted(Counter(operator_ids).items()):
        reward = Perquintill.from_rational(weight, len(operator_ids)).mul_floor(rewards)
        epoch_rewards[operator_id] = min(epoch_rewards.get(operator_id, 0) + reward, U128_MAX)
        allocated = checked_add(allocated, reward)
        given[operator_id] = reward
    put_staking_summary(ledger, domain_id, replace(summary, current_epoch_rewards=epoch_rewards))
    mint_into_treasury(ledger, checked_sub(rewards, allocated))
    return given


def reward_operators(ledger: Ledger, domain_id: int, operator_ids: Sequence[int], rewards: int) -> dict[int, int]:
    """do_reward_operators, atomically."""
    with transaction(ledger) as overlay:
        return do_reward_operators(overlay, domain_id, operator_ids, rewards)


def do_refund_storage_fee(ledger: Ledger, total_storage_fee: int, paid_bundle_sizes: Mapping[int, int]) -> None:
    """Mint each operator's share of a confirmed block's storage fee into its fund, by the bundle bytes it paid for;
    the shares of operators that are gone, and the dust, go to the treasury."""
    validate_uint("total_storage_fee", total_storage_fee, U128_MAX)
    if total_storage_fee == 0:
        return
    total_paid = sum(paid_bundle_sizes.values())
    remaining = total_storage_fee
    for operator_id in sorted(paid_bundle_sizes):
        paid = paid_bundle_sizes[operator_id]
        if paid == 0 or get_operator(ledger, operator_id) is None:
            continue
        refund = Perquintill.from_rational(paid, total_paid).mul_floor(total_storage_fee)
        mint_funds(ledger, compute_storage_fund_account(operator_id), refund)
        remaining = checked_sub(remaining, refund)
    mint_into_treasury(ledger, remaining)


def refund_storage_fee(ledger: Ledger, total_storage_fee: int, paid_bundle_sizes: Mapping[int, int]) -> None:
    """do_refund_storage_fee, atomically."""
    with transaction(ledger) as overlay:
        do_refund_storage_fee(overlay, total_storage_fee, paid_bundle_sizes)


def charge_bundle_storage_fee(ledger: Ledger, operator_id: int, bundle_size: int, transaction_byte_fee: int) -> int:
    """Burn `transaction_byte_fee × bundle_size` from the operator's fund; returns the fee, which the caller notes
    for the consensus block author (BundleStorageFeePayment when the fund is short)."""
    validate_uint("bundle_size", bundle_size, U32_MAX)
    if bundle_size == 0:
        return 0
    fee = transaction_byte_fee * bundle_size
    try:
        ledger.burn(compute_storage_fund_account(operator_id), fee)
    except ProtocolError as error:
        raise BundleStorageFeePayment(f"operator {operator_id} cannot pay {fee}: {error}") from error
    return fee


# ---- slashing ----


def _take_nominator(
    ledger: Ledger, operator_id: int, nominator: bytes, current_epoch: int
) -> tuple[Deposit, Withdrawal]:
    """Remove and convert the nominator's deposit and withdrawal; a missing share price is tolerated."""
    deposit = get_deposit(ledger, operator_id, nominator) or Deposit()
    withdrawal = get_withdrawal(ledger, operator_id, nominator) or Withdrawal()
    put_deposit(ledger, operator_id, nominator, None)
    put_withdrawal(ledger, operator_id, nominator, None)
    try:
        deposit = convert_previous_epoch_deposit(ledger, operator_id, deposit, current_epoch)
    except MissingOperatorEpochSharePrice:
        pass
    try:
        withdrawal = convert_previous_epoch_withdrawal(ledger, operator_id, withdrawal, current_epoch)
    except MissingOperatorEpochSharePrice:
        pass
    return deposit, withdrawal


def _slash_nominator(
    ledger: Ledger, operator_id: int, nominator: bytes, price: SharePrice, storage_fee_deposit: int, current_epoch: int
) -> tuple[int, int, int]:
    """Send one nominator's stake, gains and withdrawals to the treasury; return the deposit of the epoch that
    has not closed. Returns (stake slashed, shares slashed, storage-fee deposit returned)."""
    locked = get_deposit_on_hold(ledger, operator_id, nominator)
    put_deposit_on_hold(ledger, operator_id, nominator, None)
    deposit, withdrawal = _take_nominator(ledger, operator_id, nominator, current_epoch)
    in_shares = 0 if withdrawal.withdrawal_in_shares is None else withdrawal.withdrawal_in_shares.shares
    shares = checked_add(deposit.known.shares, in_shares, ShareOverflow)
    staked = price.shares_to_stake(shares)
    pending_amount = 0 if deposit.pending is None else deposit.pending.amount
    # The deposit not yet staked is not slashed.
    slashed_hold = checked_sub(locked, pending_amount)
    transfer_held(ledger, HoldReason.STAKING_STAKED, nominator, TREASURY_ACCOUNT, slashed_hold)
    release_held(ledger, HoldReason.STAKING_STAKED, nominator, pending_amount, best_effort=True)
    # Gains that were never minted (stake and withdrawals beyond what was held) are minted to the treasury.
    mint_into_treasury(ledger, max(staked + withdrawal.total_withdrawal_amount - slashed_hold, 0))
    returned_storage_fee = 0
    if deposit.pending is not None:
        returned_storage_fee = deposit.pending.storage_fee_deposit
        refund = redeem_storage_fee(ledger, operator_id, storage_fee_deposit, returned_storage_fee)
        withdraw_to(ledger, operator_id, nominator, refund)
    transfer_held(
        ledger, HoldReason.STORAGE_FUND_WITHDRAWAL, nominator, TREASURY_ACCOUNT, withdrawal.total_storage_fee_withdrawal
    )
    return staked, shares, returned_storage_fee


def do_slash_operator(ledger: Ledger, domain_id: int, max_nominator_count: int) -> int:
    """Drain up to `max_nominator_count` nominators of the lowest pending-slash operator of the domain; the last
    drain cleans the operator up. Returns the number of nominators slashed."""
    pending = get_operator_set(ledger, PENDING_SLASHES, domain_id)
    if len(pending) == 0:
        return 0
    operator_id = min(pending)
    operator = require_operator(ledger, operator_id)
    if get_operator_owner(ledger, operator_id) is None:
        raise UnknownOperator(f"operator {operator_id} has no owner")
    price = SharePrice.new(operator.current_total_shares, operator.current_total_stake)
    current_epoch = get_staking_summary(ledger, domain_id).current_epoch_index
    total_stake, total_shares = operator.current_total_stake, operator.current_total_shares
    storage_fee_deposit = operator.total_storage_fee_deposit
    slashed = 0
    for nominator in sorted(get_operator_nominators(ledger, operator_id)):
        staked, shares, returned = _slash_nominator(
            ledger, operator_id, nominator, price, storage_fee_deposit, current_epoch
        )
        total_stake, total_shares = max(total_stake - staked, 0), max(total_shares - shares, 0)
        storage_fee_deposit = max(storage_fee_deposit - returned, 0)
        slashed += 1
        if slashed >= max_nominator_count:
            break
    if len(get_operator_nominators(ledger, operator_id)) == 0:
        cleanup_operator(ledger, operator_id, total_stake)
        delete_operator(ledger, operator_id)
        put_operator_set(ledger, PENDING_SLASHES, domain_id, pending - {operator_id})
    else:
        operator = replace(
            operator,
            current_total_stake=total_stake,
            current_total_shares=total_shares,
            total_storage_fee_deposit=storage_fee_deposit,
        )
        put_operator(ledger, operator_id, operator)
    return slashed


def slash_operator(ledger: Ledger, domain_id: int, constants: StakingConstants) -> int:
    """do_slash_operator with MAX_NOMINATORS_TO_SLASH, atomically (run after every accepted bundle or receipt)."""
    with transaction(ledger) as overlay:
        return do_slash_operator(overlay, domain_id, constants.max_nominators_to_slash)
