"""The money side of staking (pallet-domains staking.rs, bundle_storage_fund.rs): holding and minting stake, the
operator's bundle storage fund, and the deposit/withdrawal bookkeeping shared by the staking calls and the epoch
transition (staking.rs `do_convert_previous_epoch_*`, `do_calculate_previous_epoch_deposit_shares_and_add_new_deposit`,
`do_cleanup_operator`). The records they read and write are protocol.domains.staking_storage's.

These functions write as they go: call them only inside `ledger.transaction`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from autonomys.protocol.domains.fixed_point import Perquintill
from autonomys.protocol.domains.ledger import (
    HoldReason,
    Ledger,
    get_balance_on_hold,
    hold,
    release,
    transfer_and_hold,
    transfer_on_hold,
)
from autonomys.protocol.domains.staking_constants import (
    TREASURY_ACCOUNT,
    StakingConstants,
    compute_storage_fund_account,
)
from autonomys.protocol.domains.staking_deposits import (
    Deposit,
    KnownDeposit,
    PendingDeposit,
    Withdrawal,
    WithdrawalInBalance,
)
from autonomys.protocol.domains.staking_storage import (
    checked_add,
    delete_operator_records,
    get_deposit,
    get_deposit_on_hold,
    get_share_price,
    put_deposit,
    put_deposit_on_hold,
)
from autonomys.protocol.domains.staking_types import DomainEpoch
from autonomys.protocol.errors import (
    BalanceFreeze,
    BalanceTransfer,
    FailToDeposit,
    FailToWithdraw,
    InsufficientStakeBalance,
    MinimumNominatorStake,
    MintBalance,
    MissingOperatorEpochSharePrice,
    ProtocolError,
    RemoveLock,
    ShareOverflow,
    WithdrawAndHold,
)

# ---- holds, minting and the bundle storage fund ----


def hold_deposit(ledger: Ledger, operator_id: int, nominator: bytes, amount: int) -> None:
    """Hold `amount` of the nominator's free balance as staked, noting it in DepositOnHold (staking.rs)."""
    # The free balance must cover the stake (reducible_balance >= amount).
    if ledger.free_balance(nominator) < amount:
        msg = f"{nominator.hex()} cannot hold {amount}"
        raise InsufficientStakeBalance(msg)
    on_hold = checked_add(get_deposit_on_hold(ledger, operator_id, nominator), amount)
    put_deposit_on_hold(ledger, operator_id, nominator, on_hold)
    try:
        hold(ledger, HoldReason.STAKING_STAKED, nominator, amount)
    except ProtocolError as error:
        raise BalanceFreeze(str(error)) from error


def mint_funds(ledger: Ledger, account: bytes, amount: int) -> None:
    """Mint `amount` into `account` (MintBalance on failure); nothing for zero."""
    if amount == 0:
        return
    try:
        ledger.mint(account, amount)
    except ProtocolError as error:
        raise MintBalance(str(error)) from error


def mint_into_treasury(ledger: Ledger, amount: int) -> None:
    """Mint `amount` into the treasury. Upstream accumulates in AccumulatedTreasuryFunds while the treasury cannot
    take the deposit (below the existential deposit); this ledger has none, so the mint always lands."""
    mint_funds(ledger, TREASURY_ACCOUNT, amount)


@dataclass(frozen=True, slots=True)
class NewDeposit:
    """A deposit split into its staked part and its storage-fee part (staking.rs `NewDeposit`)."""

    staking: int
    storage_fee_deposit: int


def get_storage_fund_balance(ledger: Ledger, operator_id: int) -> int:
    """The fund account's reducible balance (bundle_storage_fund.rs `total_balance`)."""
    return ledger.free_balance(compute_storage_fund_account(operator_id))


def compute_storage_fund_redeem(fund_balance: int, total_deposit: int, deposit: int) -> int:
    """What `deposit` redeems from a fund holding `fund_balance` against `total_deposit` deposited
    (`StorageFundRedeemPrice::redeem`): the deposit itself while the two agree, else its pro-rata share."""
    if fund_balance == total_deposit:
        return deposit
    return Perquintill.from_rational(deposit, total_deposit).mul_floor(fund_balance)


def redeem_storage_fee(ledger: Ledger, operator_id: int, total_deposit: int, deposit: int) -> int:
    """compute_storage_fund_redeem at the fund's current balance."""
    return compute_storage_fund_redeem(get_storage_fund_balance(ledger, operator_id), total_deposit, deposit)


def deposit_reserve_for_storage_fund(
    ledger: Ledger, operator_id: int, source: bytes, amount: int, constants: StakingConstants
) -> NewDeposit:
    """Move the storage-fee reserve of `amount` from `source` into the operator's fund; return the split."""
    storage_fee = constants.storage_fee_reserve.mul_floor(amount)
    try:
        ledger.transfer(source, compute_storage_fund_account(operator_id), storage_fee)
    except ProtocolError as error:
        raise FailToDeposit(str(error)) from error
    return NewDeposit(staking=amount - storage_fee, storage_fee_deposit=storage_fee)


def withdraw_and_hold(ledger: Ledger, operator_id: int, destination: bytes, amount: int) -> int:
    """Move `amount` from the fund to `destination` and hold it there as a storage-fund withdrawal."""
    if amount == 0:
        return 0
    try:
        fund = compute_storage_fund_account(operator_id)
        transfer_and_hold(ledger, HoldReason.STORAGE_FUND_WITHDRAWAL, fund, destination, amount)
    except ProtocolError as error:
        raise WithdrawAndHold(str(error)) from error
    return amount


def withdraw_to(ledger: Ledger, operator_id: int, destination: bytes, amount: int) -> int:
    """Move `amount` from the fund to `destination`'s free balance."""
    if amount == 0:
        return 0
    try:
        ledger.transfer(compute_storage_fund_account(operator_id), destination, amount)
    except ProtocolError as error:
        raise FailToWithdraw(str(error)) from error
    return amount


def transfer_all_to_treasury(ledger: Ledger, operator_id: int) -> None:
    """Empty the operator's fund into the treasury."""
    balance = get_storage_fund_balance(ledger, operator_id)
    try:
        ledger.transfer(compute_storage_fund_account(operator_id), TREASURY_ACCOUNT, balance)
    except ProtocolError as error:
        raise BalanceTransfer(str(error)) from error


def release_held(ledger: Ledger, reason: HoldReason, account: bytes, amount: int, *, best_effort: bool = False) -> int:
    """Release a held balance back to the account (RemoveLock when less is held)."""
    try:
        return release(ledger, reason, account, amount, best_effort=best_effort)
    except ProtocolError as error:
        raise RemoveLock(str(error)) from error


def transfer_held(ledger: Ledger, reason: HoldReason, source: bytes, destination: bytes, amount: int) -> None:
    """Move a held balance into another account's free balance (RemoveLock when less is held)."""
    try:
        transfer_on_hold(ledger, reason, source, destination, amount)
    except ProtocolError as error:
        raise RemoveLock(str(error)) from error


def get_storage_fund_withdrawal_on_hold(ledger: Ledger, nominator: bytes) -> int:
    """Storage-fee refunds the nominator holds (across all operators)."""
    return get_balance_on_hold(ledger, HoldReason.STORAGE_FUND_WITHDRAWAL, nominator)


# ---- deposit and withdrawal conversion ----


def convert_previous_epoch_deposit(ledger: Ledger, operator_id: int, deposit: Deposit, current_epoch: int) -> Deposit:
    """Turn a pending deposit of a finished epoch into known shares at that epoch's closing price
    (`do_convert_previous_epoch_deposits`); MissingOperatorEpochSharePrice if a finished epoch has no price."""
    pending = deposit.pending
    if pending is None:
        return deposit
    price = get_share_price(ledger, operator_id, pending.effective_domain_epoch)
    if price is None:
        # Only a deposit of the current (unfinished) epoch may lack its price.
        if pending.effective_domain_epoch.epoch_index < current_epoch:
            msg = f"operator {operator_id} has no share price for {pending.effective_domain_epoch}"
            raise MissingOperatorEpochSharePrice(msg)
        return deposit
    shares = checked_add(deposit.known.shares, price.stake_to_shares(pending.amount), ShareOverflow)
    storage_fee = checked_add(deposit.known.storage_fee_deposit, pending.storage_fee_deposit)
    return Deposit(KnownDeposit(shares, storage_fee), None)


def convert_previous_epoch_withdrawal(
    ledger: Ledger, operator_id: int, withdrawal: Withdrawal, current_epoch: int
) -> Withdrawal:
    """Turn a withdrawal in shares of a finished epoch into a withdrawal in balance at that epoch's closing price
    (`do_convert_previous_epoch_withdrawal`); a withdrawal of the current epoch stays in shares."""
    in_shares = withdrawal.withdrawal_in_shares
    if in_shares is None or in_shares.domain_epoch.epoch_index >= current_epoch:
        return withdrawal
    price = get_share_price(ledger, operator_id, in_shares.domain_epoch)
    if price is None:
        msg = f"operator {operator_id} has no share price for {in_shares.domain_epoch}"
        raise MissingOperatorEpochSharePrice(msg)
    amount = price.shares_to_stake(in_shares.shares)
    in_balance = WithdrawalInBalance(
        in_shares.unlock_at_confirmed_domain_block_number, amount, in_shares.storage_fee_refund
    )
    return Withdrawal(
        total_withdrawal_amount=checked_add(withdrawal.total_withdrawal_amount, amount),
        total_storage_fee_withdrawal=withdrawal.total_storage_fee_withdrawal,
        withdrawals=(*withdrawal.withdrawals, in_balance),
        withdrawal_in_shares=None,
    )


def add_deposit(
    ledger: Ledger,
    operator_id: int,
    nominator: bytes,
    current_domain_epoch: DomainEpoch,
    new_deposit: NewDeposit,
    required_minimum_nominator_stake: int | None,
) -> None:
    """Convert the nominator's earlier pending deposit, then add `new_deposit` to this epoch's pending deposit
    (`do_calculate_previous_epoch_deposit_shares_and_add_new_deposit`). A nominator without shares must reach
    `required_minimum_nominator_stake` (when given) with the pending total."""
    existing = get_deposit(ledger, operator_id, nominator) or Deposit()
    deposit = convert_previous_epoch_deposit(ledger, operator_id, existing, current_domain_epoch.epoch_index)
    pending = PendingDeposit(current_domain_epoch, new_deposit.staking, new_deposit.storage_fee_deposit)
    if deposit.pending is not None:
        pending = PendingDeposit(
            current_domain_epoch,
            checked_add(deposit.pending.amount, new_deposit.staking),
            checked_add(deposit.pending.storage_fee_deposit, new_deposit.storage_fee_deposit),
        )
    # A new nominator's first deposit (stake plus storage fee) must reach the operator's minimum nominator stake.
    if deposit.known.shares == 0 and required_minimum_nominator_stake is not None:
        if checked_add(pending.amount, pending.storage_fee_deposit) < required_minimum_nominator_stake:
            msg = f"deposit {pending.total} is below the minimum nominator stake {required_minimum_nominator_stake}"
            raise MinimumNominatorStake(msg)
    put_deposit(ledger, operator_id, nominator, replace(deposit, pending=pending))


def cleanup_operator(ledger: Ledger, operator_id: int, total_stake: int) -> None:
    """Remove an operator whose last nominator left (`do_cleanup_operator`): the rest of its storage fund goes to
    the treasury, its remaining stake (dust) is minted to the treasury, and its owner, highest slot and share
    prices are removed. The caller removes the operator record itself."""
    transfer_all_to_treasury(ledger, operator_id)
    mint_into_treasury(ledger, total_stake)
    delete_operator_records(ledger, operator_id)
