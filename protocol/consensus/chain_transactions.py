"""Transactions on the consensus chain: signatures, nonces, balances, the fee, and the storage-size limit.

Pure state transitions: a block's transactions write through one StateWriter (`*_to`); the functions on ChainState
values apply one change and finish it (tests, the pool's reference). protocol.consensus.chain re-exports them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import sr25519

from autonomys.protocol.codec import encode_u64
from autonomys.protocol.consensus.chain_blocks import (
    MAX_STORE_DATA_SIZE,
    SIGNATURE_SIZE,
    Call,
    StoreData,
    StoreDataTooLarge,
    Transaction,
    Transfer,
)
from autonomys.protocol.consensus.chain_ledger import ChainLedger
from autonomys.protocol.consensus.chain_state import Account, ChainState, StateWriter
from autonomys.protocol.constants import PUBLIC_KEY_SIZE
from autonomys.protocol.domains.calls import DOMAIN_CALL_TYPES, apply_domain_call
from autonomys.protocol.domains.params import DEV_DOMAINS, DomainsParams, domains_params_for
from autonomys.protocol.errors import BadNonce, BadSignature, InsufficientBalance, InvalidTransaction, ProtocolError
from autonomys.protocol.params import Params

# The compute part of every transaction's fee; the storage part is transaction_byte_fee × call bytes.
BASE_FEE: Final = 10**9
DISPATCH_ERROR_PREFIX: Final = b"dispatch_error/"
MAX_DISPATCH_ERROR: Final = 200

Admit = Callable[[Transaction], bool]
"""Whether a valid transaction still fits the block being built (chain_limits.BlockBudget.admit_transaction)."""


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


def apply_transaction_to(
    writer: StateWriter,
    transaction: Transaction,
    *,
    author: bytes,
    genesis_hash: bytes,
    admit: Admit | None = None,
    domains: DomainsParams = DEV_DOMAINS,
) -> bool:
    """Apply `transaction` (for the network of `genesis_hash`) to the state being written, its fee paid to `author`
    (the block's reward address). Raises the InvalidTransaction it breaks, writing nothing; returns False, writing
    nothing, when `admit` refuses it (it does not fit the block being built).

    A domains call whose dispatch fails keeps the transaction (fee paid, nonce used, as a Substrate extrinsic
    with a dispatch error) and records the error under `dispatch_error/<sender>` (cleared by the sender's next
    successful domains call)."""
    validate_store_data_size(transaction)
    validate_transaction_signature(transaction, genesis_hash)
    byte_fee = writer.scalars.transaction_byte_fee
    sender = writer.account(transaction.sender)
    validate_transaction_funds(sender, transaction, byte_fee)
    if admit is not None and not admit(transaction):
        return False
    fee = compute_transaction_fee(transaction.call, byte_fee)
    amount = _transfer_amount(transaction.call)
    writer.set_account(transaction.sender, Account(sender.balance - amount - fee, sender.nonce + 1))
    if isinstance(transaction.call, Transfer):
        writer.credit(transaction.call.to, amount)
    writer.credit(author, fee)
    if isinstance(transaction.call, DOMAIN_CALL_TYPES):
        _dispatch_domain_call(writer, transaction, domains)
    return True


def dispatch_error_key(sender: bytes) -> bytes:
    return DISPATCH_ERROR_PREFIX + bytes(sender)


def _dispatch_domain_call(writer: StateWriter, transaction: Transaction, domains: DomainsParams) -> None:
    key = dispatch_error_key(transaction.sender)
    try:
        apply_domain_call(
            ChainLedger(writer), transaction.sender, transaction.call, domains,  # type: ignore[arg-type]
            block_number=writer.scalars.number, slot=writer.scalars.best_slot,
        )  # fmt: skip
    except ProtocolError as error:
        message = f"{type(error).__name__}: {error}"[:MAX_DISPATCH_ERROR]
        writer.trie.set(key, encode_u64(transaction.nonce) + message.encode())
        return
    if writer.trie.get(key) is not None:
        writer.trie.delete(key)


def process_transactions_to(
    writer: StateWriter,
    transactions: Sequence[Transaction],
    *,
    author: bytes,
    genesis_hash: bytes,
    skip_invalid: bool,
    admit: Admit | None = None,
    domains: DomainsParams = DEV_DOMAINS,
) -> tuple[Transaction, ...]:
    """Apply transactions in order; an invalid one raises, or is left out when skip_invalid (block building), as
    is one `admit` refuses. The transactions applied."""
    included = []
    for transaction in transactions:
        try:
            applied = apply_transaction_to(
                writer, transaction, author=author, genesis_hash=genesis_hash, admit=admit, domains=domains
            )
        except InvalidTransaction:
            if not skip_invalid:
                raise
            continue
        if applied:
            included.append(transaction)
    return tuple(included)


def apply_transaction(
    state: ChainState, transaction: Transaction, params: Params, *, author: bytes, genesis_hash: bytes
) -> ChainState:
    """The state after `transaction` alone (a block's transactions go through one StateWriter instead)."""
    writer = StateWriter(state)
    apply_transaction_to(writer, transaction, author=author, genesis_hash=genesis_hash, domains=domains_params_for(params))
    return writer.finish()


def credit_account(state: ChainState, public_key: bytes, amount: int) -> ChainState:
    """The state with `amount` added to an account."""
    writer = StateWriter(state)
    writer.credit(public_key, amount)
    return writer.finish()


def process_transactions(
    state: ChainState,
    transactions: Sequence[Transaction],
    params: Params,
    *,
    author: bytes,
    genesis_hash: bytes,
    skip_invalid: bool,
) -> tuple[ChainState, tuple[Transaction, ...]]:
    """The state after the transactions that apply, in order, and those transactions (see process_transactions_to)."""
    del params
    writer = StateWriter(state)
    included = process_transactions_to(
        writer, transactions, author=author, genesis_hash=genesis_hash, skip_invalid=skip_invalid
    )
    return writer.finish(), included
