"""Staking records in the ledger (the storage items of pallet-domains lib.rs) and the checked arithmetic on them.
Holds, mints, the bundle storage fund and the deposit/withdrawal conversions are protocol.domains.staking_funds.

Keys are readable prefixes (`domains/<item>/<id>`); the trie hashes them, so nothing here iterates a prefix.
The sets the reference enumerates by prefix are explicit records: an operator's nominators
(`domains/operator_nominators/<op>`, every account with a Deposits or Withdrawals entry) and the epochs it has a
share price for (`domains/operator_share_price_epochs/<op>`).

These functions write as they go: call them only inside `ledger.transaction`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

from autonomys.protocol.codec import Reader, decode_exactly, encode_u32, encode_u64, encode_u128
from autonomys.protocol.domains.fixed_point import U128_MAX, SharePrice
from autonomys.protocol.domains.ledger import (
    Ledger,
)
from autonomys.protocol.domains.staking_constants import (
    StakingConstants,
)
from autonomys.protocol.domains.staking_deposits import (
    Deposit,
    Withdrawal,
)
from autonomys.protocol.domains.staking_types import (
    DomainEpoch,
    DomainStakingConfig,
    ElectionVerificationParams,
    Operator,
    OperatorStatus,
    StakingSummary,
    compute_operator_status,
    encode_account_set,
    encode_domain_epoch_set,
    encode_operator_set,
    is_pending_to_slash,
    read_account_set,
    read_domain_epoch_set,
    read_operator_set,
)
from autonomys.protocol.errors import (
    BalanceOverflow,
    BalanceUnderflow,
    DomainNotInitialized,
    StakingError,
    TooManyPendingStakingOperation,
    UnknownOperator,
)

_Value = TypeVar("_Value")
NEXT_OPERATOR_ID_KEY: Final = b"domains/next_operator_id"


# ---- checked arithmetic (the reference's checked_add / checked_sub with a named error) ----


def checked_add(left: int, right: int, error: type[StakingError] = BalanceOverflow) -> int:
    """left + right, or `error` past u128."""
    if left + right > U128_MAX:
        msg = f"{left} + {right} overflows u128"
        raise error(msg)
    return left + right


def checked_sub(left: int, right: int, error: type[StakingError] = BalanceUnderflow) -> int:
    """left − right, or `error` below zero."""
    if right > left:
        msg = f"{left} - {right} underflows"
        raise error(msg)
    return left - right


# ---- keys ----


def _domain_key(item: bytes, domain_id: int) -> bytes:
    return b"domains/" + item + b"/" + encode_u32(domain_id)


def _operator_key(item: bytes, operator_id: int) -> bytes:
    return b"domains/" + item + b"/" + encode_u64(operator_id)


def _nominator_key(item: bytes, operator_id: int, nominator: bytes) -> bytes:
    return _operator_key(item, operator_id) + bytes(nominator)


def _share_price_key(operator_id: int, domain_epoch: DomainEpoch) -> bytes:
    return _operator_key(b"operator_epoch_share_price", operator_id) + domain_epoch.to_bytes()


def _read_record(ledger: Ledger, key: bytes, what: str, read: Callable[[Reader], _Value]) -> _Value | None:
    raw = ledger.get(key)
    return None if raw is None else decode_exactly(raw, what, read)


def _read_uint(ledger: Ledger, key: bytes) -> int:
    raw = ledger.get(key)
    return 0 if raw is None else int.from_bytes(raw, "little")


def _take_uint(ledger: Ledger, key: bytes) -> int:
    """A scalar, removed (zero when absent)."""
    value = _read_uint(ledger, key)
    ledger.delete(key)
    return value


def _put_uint(ledger: Ledger, key: bytes, value: int, width: int) -> None:
    """Store a scalar; zero (the ValueQuery default) is stored as absence."""
    if value == 0:
        ledger.delete(key)
    else:
        ledger.set(key, value.to_bytes(width, "little"))


# ---- domain records ----


def get_domain_config(ledger: Ledger, domain_id: int) -> DomainStakingConfig:
    """The domain's registry entry as staking reads it (DomainNotInitialized when absent)."""
    config = _read_record(ledger, _domain_key(b"domain", domain_id), "DomainStakingConfig", DomainStakingConfig.read)
    if config is None:
        msg = f"domain {domain_id} is not instantiated"
        raise DomainNotInitialized(msg)
    return config


def has_domain_config(ledger: Ledger, domain_id: int) -> bool:
    return ledger.get(_domain_key(b"domain", domain_id)) is not None


def put_domain_config(ledger: Ledger, domain_id: int, config: DomainStakingConfig) -> None:
    ledger.set(_domain_key(b"domain", domain_id), config.to_bytes())


def has_staking_summary(ledger: Ledger, domain_id: int) -> bool:
    return ledger.get(_domain_key(b"staking_summary", domain_id)) is not None


def get_staking_summary(ledger: Ledger, domain_id: int) -> StakingSummary:
    """DomainStakingSummary[domain] (DomainNotInitialized when absent)."""
    summary = _read_record(ledger, _domain_key(b"staking_summary", domain_id), "StakingSummary", StakingSummary.read)
    if summary is None:
        msg = f"domain {domain_id} has no staking summary"
        raise DomainNotInitialized(msg)
    return summary


def put_staking_summary(ledger: Ledger, domain_id: int, summary: StakingSummary) -> None:
    ledger.set(_domain_key(b"staking_summary", domain_id), summary.to_bytes())


def get_pending_staking_operation_count(ledger: Ledger, domain_id: int) -> int:
    return _read_uint(ledger, _domain_key(b"pending_staking_operation_count", domain_id))


def put_pending_staking_operation_count(ledger: Ledger, domain_id: int, count: int) -> None:
    _put_uint(ledger, _domain_key(b"pending_staking_operation_count", domain_id), count, 4)


def get_head_domain_number(ledger: Ledger, domain_id: int) -> int:
    """HeadDomainNumber[domain]: the number of the latest domain block (written by the block tree)."""
    return _read_uint(ledger, _domain_key(b"head_domain_number", domain_id))


def put_head_domain_number(ledger: Ledger, domain_id: int, number: int) -> None:
    _put_uint(ledger, _domain_key(b"head_domain_number", domain_id), number, 4)


def get_head_receipt_number(ledger: Ledger, domain_id: int) -> int:
    """HeadReceiptNumber[domain] (written by the block tree)."""
    return _read_uint(ledger, _domain_key(b"head_receipt_number", domain_id))


def put_head_receipt_number(ledger: Ledger, domain_id: int, number: int) -> None:
    _put_uint(ledger, _domain_key(b"head_receipt_number", domain_id), number, 4)


def _latest_submitted_receipt_key(domain_id: int, operator_id: int) -> bytes:
    return _domain_key(b"latest_submitted_er", domain_id) + encode_u64(operator_id)


def get_latest_submitted_receipt_number(ledger: Ledger, domain_id: int, operator_id: int) -> int:
    """LatestSubmittedER[(domain, operator)] (written by the block tree)."""
    return _read_uint(ledger, _latest_submitted_receipt_key(domain_id, operator_id))


def put_latest_submitted_receipt_number(ledger: Ledger, domain_id: int, operator_id: int, number: int) -> None:
    _put_uint(ledger, _latest_submitted_receipt_key(domain_id, operator_id), number, 4)


def delete_latest_submitted_receipt_number(ledger: Ledger, domain_id: int, operator_id: int) -> None:
    ledger.delete(_latest_submitted_receipt_key(domain_id, operator_id))


def get_epoch_start_slot(ledger: Ledger, domain_id: int) -> int | None:
    """EpochStartSlot[domain]: the slot the current staking epoch began at, if known."""
    raw = ledger.get(_domain_key(b"epoch_start_slot", domain_id))
    return None if raw is None else int.from_bytes(raw, "little")


def put_epoch_start_slot(ledger: Ledger, domain_id: int, slot: int) -> None:
    ledger.set(_domain_key(b"epoch_start_slot", domain_id), encode_u64(slot))


def take_domain_chain_rewards(ledger: Ledger, domain_id: int) -> int:
    """DomainChainRewards[domain], removed."""
    return _take_uint(ledger, _domain_key(b"domain_chain_rewards", domain_id))


def put_domain_chain_rewards(ledger: Ledger, domain_id: int, rewards: int) -> None:
    _put_uint(ledger, _domain_key(b"domain_chain_rewards", domain_id), rewards, 16)


def put_last_epoch_staking_distribution(ledger: Ledger, domain_id: int, params: ElectionVerificationParams) -> None:
    ledger.set(_domain_key(b"last_epoch_staking_distribution", domain_id), params.to_bytes())


def delete_last_epoch_staking_distribution(ledger: Ledger, domain_id: int) -> None:
    """Clear LastEpochStakingDistribution (the reference does it in `on_finalize` of the block that set it)."""
    ledger.delete(_domain_key(b"last_epoch_staking_distribution", domain_id))


def get_last_epoch_staking_distribution(ledger: Ledger, domain_id: int) -> ElectionVerificationParams | None:
    key = _domain_key(b"last_epoch_staking_distribution", domain_id)
    return _read_record(ledger, key, "ElectionVerificationParams", ElectionVerificationParams.read)


# Per-domain operator sets: PendingSlashes, InvalidBundleAuthors, DeregisteredOperators, DeactivatedOperators.
PENDING_SLASHES: Final = b"pending_slashes"
INVALID_BUNDLE_AUTHORS: Final = b"invalid_bundle_authors"
DEREGISTERED_OPERATORS: Final = b"deregistered_operators"
DEACTIVATED_OPERATORS: Final = b"deactivated_operators"


def get_operator_set(ledger: Ledger, item: bytes, domain_id: int) -> frozenset[int]:
    operators = _read_record(ledger, _domain_key(item, domain_id), "BTreeSet<OperatorId>", read_operator_set)
    return frozenset() if operators is None else operators


def put_operator_set(ledger: Ledger, item: bytes, domain_id: int, operators: frozenset[int]) -> None:
    """Store a per-domain operator set; the empty set is stored as absence."""
    key = _domain_key(item, domain_id)
    if len(operators) == 0:
        ledger.delete(key)
    else:
        ledger.set(key, encode_operator_set(operators))


def add_to_operator_set(ledger: Ledger, item: bytes, domain_id: int, operator_id: int) -> None:
    put_operator_set(ledger, item, domain_id, get_operator_set(ledger, item, domain_id) | {operator_id})


def take_operator_set(ledger: Ledger, item: bytes, domain_id: int) -> frozenset[int]:
    operators = get_operator_set(ledger, item, domain_id)
    ledger.delete(_domain_key(item, domain_id))
    return operators


# ---- operator records ----


def get_next_operator_id(ledger: Ledger) -> int:
    return _read_uint(ledger, NEXT_OPERATOR_ID_KEY)


def put_next_operator_id(ledger: Ledger, operator_id: int) -> None:
    _put_uint(ledger, NEXT_OPERATOR_ID_KEY, operator_id, 8)


def get_operator(ledger: Ledger, operator_id: int) -> Operator | None:
    return _read_record(ledger, _operator_key(b"operator", operator_id), "Operator", Operator.read)


def require_operator(ledger: Ledger, operator_id: int) -> Operator:
    """Operators[id] (UnknownOperator when absent)."""
    operator = get_operator(ledger, operator_id)
    if operator is None:
        msg = f"operator {operator_id} does not exist"
        raise UnknownOperator(msg)
    return operator


def put_operator(ledger: Ledger, operator_id: int, operator: Operator) -> None:
    ledger.set(_operator_key(b"operator", operator_id), operator.to_bytes())


def delete_operator(ledger: Ledger, operator_id: int) -> None:
    ledger.delete(_operator_key(b"operator", operator_id))


def get_operator_owner(ledger: Ledger, operator_id: int) -> bytes | None:
    """OperatorIdOwner[id]."""
    return ledger.get(_operator_key(b"operator_owner", operator_id))


def put_operator_owner(ledger: Ledger, operator_id: int, owner: bytes) -> None:
    ledger.set(_operator_key(b"operator_owner", operator_id), bytes(owner))


def take_operator_bundle_count(ledger: Ledger, operator_id: int) -> int:
    """OperatorBundleCountInEpoch[id] (written by submit_bundle), removed."""
    return _take_uint(ledger, _operator_key(b"operator_bundle_count_in_epoch", operator_id))


def put_operator_bundle_count(ledger: Ledger, operator_id: int, count: int) -> None:
    _put_uint(ledger, _operator_key(b"operator_bundle_count_in_epoch", operator_id), count, 4)


def is_operator_pending_to_slash(ledger: Ledger, domain_id: int, operator_id: int) -> bool:
    """Whether the operator submitted a receipt past the domain's head receipt (pallet-domains lib.rs)."""
    latest = get_latest_submitted_receipt_number(ledger, domain_id, operator_id)
    return is_pending_to_slash(latest, get_head_receipt_number(ledger, domain_id))


def get_operator_status(ledger: Ledger, operator_id: int, operator: Operator) -> OperatorStatus:
    """The operator's effective status (staking.rs `Operator::status`)."""
    pending = is_operator_pending_to_slash(ledger, operator.current_domain_id, operator_id)
    return compute_operator_status(operator.partial_status, pending)


def get_share_price(ledger: Ledger, operator_id: int, domain_epoch: DomainEpoch) -> SharePrice | None:
    """OperatorEpochSharePrice[(op, domain epoch)]: the epoch's closing share price."""
    return _read_record(ledger, _share_price_key(operator_id, domain_epoch), "SharePrice", SharePrice.read)


def _share_price_epochs_key(operator_id: int) -> bytes:
    return _operator_key(b"operator_share_price_epochs", operator_id)


def get_share_price_epochs(ledger: Ledger, operator_id: int) -> frozenset[DomainEpoch]:
    epochs = _read_record(ledger, _share_price_epochs_key(operator_id), "BTreeSet<DomainEpoch>", read_domain_epoch_set)
    return frozenset() if epochs is None else epochs


def put_share_price(ledger: Ledger, operator_id: int, domain_epoch: DomainEpoch, price: SharePrice) -> None:
    """Store a closing share price and note its epoch in the operator's index."""
    ledger.set(_share_price_key(operator_id, domain_epoch), price.to_bytes())
    epochs = get_share_price_epochs(ledger, operator_id) | {domain_epoch}
    ledger.set(_share_price_epochs_key(operator_id), encode_domain_epoch_set(epochs))


def delete_share_price(ledger: Ledger, operator_id: int, domain_epoch: DomainEpoch) -> None:
    """Remove one closing share price (and its index entry)."""
    ledger.delete(_share_price_key(operator_id, domain_epoch))
    epochs = get_share_price_epochs(ledger, operator_id) - {domain_epoch}
    if len(epochs) == 0:
        ledger.delete(_share_price_epochs_key(operator_id))
    else:
        ledger.set(_share_price_epochs_key(operator_id), encode_domain_epoch_set(epochs))


# ---- nominator records ----


def get_operator_nominators(ledger: Ledger, operator_id: int) -> frozenset[bytes]:
    """Every account with a Deposits or Withdrawals entry under the operator."""
    key = _operator_key(b"operator_nominators", operator_id)
    nominators = _read_record(ledger, key, "BTreeSet<AccountId>", read_account_set)
    return frozenset() if nominators is None else nominators


def _refresh_nominator(ledger: Ledger, operator_id: int, nominator: bytes) -> None:
    key = _operator_key(b"operator_nominators", operator_id)
    nominators = get_operator_nominators(ledger, operator_id)
    present = get_deposit(ledger, operator_id, nominator) is not None
    present = present or get_withdrawal(ledger, operator_id, nominator) is not None
    updated = nominators | {bytes(nominator)} if present else nominators - {bytes(nominator)}
    if updated == nominators:
        return
    if len(updated) == 0:
        ledger.delete(key)
    else:
        ledger.set(key, encode_account_set(updated))


def get_deposit(ledger: Ledger, operator_id: int, nominator: bytes) -> Deposit | None:
    """Deposits[(op, nominator)]."""
    return _read_record(ledger, _nominator_key(b"deposit", operator_id, nominator), "Deposit", Deposit.read)


def put_deposit(ledger: Ledger, operator_id: int, nominator: bytes, deposit: Deposit | None) -> None:
    """Store (or, for None, remove) a deposit, keeping the operator's nominator set in step."""
    key = _nominator_key(b"deposit", operator_id, nominator)
    if deposit is None:
        ledger.delete(key)
    else:
        ledger.set(key, deposit.to_bytes())
    _refresh_nominator(ledger, operator_id, nominator)


def get_withdrawal(ledger: Ledger, operator_id: int, nominator: bytes) -> Withdrawal | None:
    """Withdrawals[(op, nominator)]."""
    return _read_record(ledger, _nominator_key(b"withdrawal", operator_id, nominator), "Withdrawal", Withdrawal.read)


def put_withdrawal(ledger: Ledger, operator_id: int, nominator: bytes, withdrawal: Withdrawal | None) -> None:
    """Store (or, for None, remove) a withdrawal, keeping the operator's nominator set in step."""
    key = _nominator_key(b"withdrawal", operator_id, nominator)
    if withdrawal is None:
        ledger.delete(key)
    else:
        ledger.set(key, withdrawal.to_bytes())
    _refresh_nominator(ledger, operator_id, nominator)


def get_deposit_on_hold(ledger: Ledger, operator_id: int, nominator: bytes) -> int:
    """DepositOnHold[(op, nominator)]: the stake this operator holds of the nominator's balance."""
    return _read_uint(ledger, _nominator_key(b"deposit_on_hold", operator_id, nominator))


def has_deposit_on_hold(ledger: Ledger, operator_id: int, nominator: bytes) -> bool:
    return ledger.get(_nominator_key(b"deposit_on_hold", operator_id, nominator)) is not None


def put_deposit_on_hold(ledger: Ledger, operator_id: int, nominator: bytes, amount: int | None) -> None:
    """Store the held deposit; None removes the entry (a stored zero stays, as `mutate` leaves it upstream)."""
    key = _nominator_key(b"deposit_on_hold", operator_id, nominator)
    if amount is None:
        ledger.delete(key)
    else:
        ledger.set(key, encode_u128(amount))


def note_pending_staking_operation(ledger: Ledger, domain_id: int, constants: StakingConstants) -> None:
    """Count one more staking operation this epoch (TooManyPendingStakingOperation at the limit)."""
    count = get_pending_staking_operation_count(ledger, domain_id)
    # Each epoch transition processes at most MaxPendingStakingOperation staking operations per domain.
    if count >= constants.max_pending_staking_operation:
        msg = f"domain {domain_id} already has {count} staking operations this epoch"
        raise TooManyPendingStakingOperation(msg)
    put_pending_staking_operation_count(ledger, domain_id, count + 1)


def delete_operator_records(ledger: Ledger, operator_id: int) -> None:
    """Remove a departed operator's owner, highest slot and share prices (the operator record itself stays)."""
    ledger.delete(_operator_key(b"operator_owner", operator_id))
    ledger.delete(_operator_key(b"operator_highest_slot", operator_id))
    for domain_epoch in get_share_price_epochs(ledger, operator_id):
        delete_share_price(ledger, operator_id, domain_epoch)
