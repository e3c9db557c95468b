"""Transactions on the consensus chain: signatures, nonces, balances, the fee, and the storage-size limit.

Pure state transitions on ChainState values (protocol.consensus.chain re-exports everything here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import sr25519

from autonomys.protocol.consensus.chain_blocks import (
    MAX_STORE_DATA_SIZE,
    SIGNATURE_SIZE,
    Call,
    StoreData,
    StoreDataTooLarge,
    Transaction,
    Transfer,
)
from autonomys.protocol.consensus.chain_state import Account, ChainState, apply_account_changes, get_account
from autonomys.protocol.constants import PUBLIC_KEY_SIZE
from autonomys.protocol.errors import BadNonce, BadSignature, InsufficientBalance, InvalidTransaction
from autonomys.protocol.params import Params

# The compute part of every transaction's fee; the storage part is transaction_byte_fee × call bytes.
BASE_FEE: Final = 10**9


def is_signature_valid(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is the sr25519 signature of `message` by `public_key`; False for malformed input."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        return bool(sr25519.verify(signature, message, public_key))
    except ValueError:
        return False


def compute_transaction_fee(call: Call, transaction_byte_fee: int) -> int:
    """BASE_FEE + transaction_byte_fee × the call's encoded size (pallet-transaction-fees storage fee)."""
    return BASE_FEE + transaction_byte_fee * len(call.to_bytes())


def _transfer_amount(call: Call) -> int:
    return call.amount if isinstance(call, Transfer) else 0


def compute_sender_debit(transaction: Transaction, transaction_byte_fee: int) -> int:
    """What the transaction takes from its sender's balance: amount + fee, or the fee alone for a transfer to
    itself (the amount comes back)."""
    fee = compute_transaction_fee(transaction.call, transaction_byte_fee)
    call = transaction.call
    is_self_transfer = isinstance(call, Transfer) and call.to == transaction.sender
    return fee if is_self_transfer else _transfer_amount(call) + fee


def compute_sender_after(sender: Account, transaction: Transaction, transaction_byte_fee: int) -> Account:
    """The sender's account after the transaction (validate_transaction_funds passed)."""
    return Account(sender.balance - compute_sender_debit(transaction, transaction_byte_fee), sender.nonce + 1)


def validate_store_data_size(transaction: Transaction) -> None:
    """Raise StoreDataTooLarge for a StoreData payload over MAX_STORE_DATA_SIZE."""
    # Stored payloads are bounded so every one fits an object chunk and a block stays archivable.
    if isinstance(transaction.call, StoreData) and len(transaction.call.data) > MAX_STORE_DATA_SIZE:
        msg = f"StoreData of {len(transaction.call.data)} bytes exceeds {MAX_STORE_DATA_SIZE}"
        raise StoreDataTooLarge(msg)


def validate_transaction_signature(transaction: Transaction, genesis_hash: bytes) -> None:
    """Raise BadSignature unless the sender signed the transaction for the network of `genesis_hash`."""
    # Only the sender can spend from its account.
    if not is_signature_valid(transaction.sender, transaction.signing_payload(genesis_hash), transaction.signature):
        msg = f"transaction {transaction.hash().hex()} is not signed by its sender"
        raise BadSignature(msg)


def validate_transaction_funds(sender: Account, transaction: Transaction, transaction_byte_fee: int) -> None:
    """Raise BadNonce / InsufficientBalance unless the transaction is the sender's next and it can pay."""
    # Nonces make every transaction unique and ordered.
    if transaction.nonce != sender.nonce:
        msg = f"nonce {transaction.nonce}, expected {sender.nonce}"
        raise BadNonce(msg)
    fee = compute_transaction_fee(transaction.call, transaction_byte_fee)
    amount = _transfer_amount(transaction.call)
    # The sender pays the amount and the fee, and balances never go negative.
    if amount + fee > sender.balance:
        msg = f"amount {amount} + fee {fee} exceeds balance {sender.balance}"
        raise InsufficientBalance(msg)


def apply_transaction(
    state: ChainState, transaction: Transaction, params: Params, *, author: bytes, genesis_hash: bytes
) -> ChainState:
    """The state after `transaction` on the network of `genesis_hash`, its fee paid to `author` (the block's
    reward address)."""
    del params  # the fee depends on the state's byte fee only; kept for a stable signature
    validate_store_data_size(transaction)
    validate_transaction_signature(transaction, genesis_hash)
    sender = get_account(state, transaction.sender)
    validate_transaction_funds(sender, transaction, state.transaction_byte_fee)
    fee = compute_transaction_fee(transaction.call, state.transaction_byte_fee)
    amount = _transfer_amount(transaction.call)
    state = apply_account_changes(state, {transaction.sender: Account(sender.balance - amount - fee, sender.nonce + 1)})
    if isinstance(transaction.call, Transfer):
        state = credit_account(state, transaction.call.to, amount)
    return credit_account(state, author, fee)


def credit_account(state: ChainState, public_key: bytes, amount: int) -> ChainState:
    account = get_account(state, public_key)
    return apply_account_changes(state, {public_key: Account(account.balance + amount, account.nonce)})


def process_transactions(
    state: ChainState,
    transactions: Sequence[Transaction],
    params: Params,
    *,
    author: bytes,
    genesis_hash: bytes,
    skip_invalid: bool,
    admit: Callable[[Transaction], bool] | None = None,
) -> tuple[ChainState, tuple[Transaction, ...]]:
    """Apply transactions in order; an invalid one raises, or is left out when skip_invalid (block building).

    `admit` (block building) is asked about each transaction that applies; one it refuses (it does not fit the
    block) is left out and the state stays as before it."""
    included = []
    for transaction in transactions:
        before = state
        try:
            state = apply_transaction(state, transaction, params, author=author, genesis_hash=genesis_hash)
        except InvalidTransaction:
            if not skip_invalid:
                raise
            continue
        if admit is not None and not admit(transaction):
            state = before
            continue
        included.append(transaction)
    return state, tuple(included)
