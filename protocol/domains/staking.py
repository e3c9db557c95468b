"""Operator staking calls of execution domains (pallet-domains staking.rs): create a domain's staking, register
and deregister operators, deactivate/reactivate them, slashing marks and invalid-bundle marks. The nominator calls
(nominate, withdraw, unlock) are protocol.domains.staking_nominators.

Every public call runs atomically (`ledger.transaction`): it raises a named StakingError and changes nothing, or
applies all its writes. The `do_*` functions are the same rules without the transaction, for composing inside one.
The head domain block number, head receipt number and latest submitted receipts are records the block tree writes
(staking_storage `put_head_domain_number`, ...); the current slot is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from autonomys.protocol.codec import encode_u32, encode_u64, validate_uint
from autonomys.protocol.constants import U32_MAX, U64_MAX
from autonomys.protocol.domains.fixed_point import U128_MAX, SharePrice
from autonomys.protocol.domains.ledger import Ledger, transaction
from autonomys.protocol.domains.staking_constants import StakingConstants
from autonomys.protocol.domains.staking_epoch import do_finalize_domain_current_epoch
from autonomys.protocol.domains.staking_funds import (
    add_deposit,
    deposit_reserve_for_storage_fund,
    hold_deposit,
)
from autonomys.protocol.domains.staking_storage import (
    DEACTIVATED_OPERATORS,
    DEREGISTERED_OPERATORS,
    INVALID_BUNDLE_AUTHORS,
    PENDING_SLASHES,
    add_to_operator_set,
    checked_sub,
    get_domain_config,
    get_head_domain_number,
    get_next_operator_id,
    get_operator,
    get_operator_owner,
    get_operator_set,
    get_operator_status,
    get_staking_summary,
    has_domain_config,
    has_staking_summary,
    is_operator_pending_to_slash,
    note_pending_staking_operation,
    put_domain_config,
    put_next_operator_id,
    put_operator,
    put_operator_owner,
    put_operator_set,
    put_share_price,
    put_staking_summary,
    require_operator,
)
from autonomys.protocol.domains.staking_types import (
    REGISTERED,
    SIGNING_KEY_SIZE,
    SLASHED,
    DomainEpoch,
    DomainStakingConfig,
    Operator,
    OperatorConfig,
    OperatorDeregisteredInfo,
    OperatorStatus,
    OperatorStatusKind,
    SlashedReason,
    StakingSummary,
)
from autonomys.protocol.errors import (
    BlockNumberOverflow,
    DomainAlreadyInitialized,
    EpochOverflow,
    InvalidOperatorSigningKey,
    MaximumOperatorId,
    MinimumNominatorStake,
    MinimumOperatorStake,
    NotOperatorOwner,
    OperatorNotAllowed,
    OperatorNotDeactivated,
    OperatorNotRegistered,
    ReactivationDelayPeriodIncomplete,
)


def create_domain_staking(ledger: Ledger, domain_id: int, config: DomainStakingConfig) -> None:
    """Write a new domain's registry entry (as staking reads it) and an empty staking summary at epoch 0."""
    with transaction(ledger) as overlay:
        # A domain is instantiated once.
        if has_staking_summary(overlay, domain_id) or has_domain_config(overlay, domain_id):
            msg = f"domain {domain_id} already has staking records"
            raise DomainAlreadyInitialized(msg)
        put_domain_config(overlay, domain_id, config)
        put_staking_summary(overlay, domain_id, StakingSummary(current_epoch_index=0, current_total_stake=0))


# ---- registration and deregistration ----


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
        # The reference's `OperatorSlashed` event, kept as a record and a per-domain count.
        ledger.set(b"domains/slashed_operator/" + encode_u64(operator_id), encode_u32(domain_id) + reason.to_bytes())
        put_operators_slashed(ledger, domain_id, operators_slashed(ledger, domain_id) + 1)
        marked.append(operator_id)
    return tuple(marked)


def operators_slashed(ledger: Ledger, domain_id: int) -> int:
    """How many of the domain's operators were ever marked slashed."""
    raw = ledger.get(b"domains/operators_slashed/" + encode_u32(domain_id))
    return 0 if raw is None else int.from_bytes(raw, "little")


def put_operators_slashed(ledger: Ledger, domain_id: int, count: int) -> None:
    ledger.set(b"domains/operators_slashed/" + encode_u32(domain_id), encode_u32(count))


def slashed_reason(ledger: Ledger, operator_id: int) -> SlashedReason | None:
    """Why the operator was slashed (None: it never was)."""
    raw = ledger.get(b"domains/slashed_operator/" + encode_u64(operator_id))
    return None if raw is None else SlashedReason.from_bytes(raw[4:])


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
