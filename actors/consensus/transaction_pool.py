"""The node's transaction pool: transactions checked against the best state, waiting for a block.

A transaction enters only if it would apply on the best state after the sender's transactions already pooled,
and the pool has room. Admission costs one signature check and arithmetic, whatever the pool holds: per sender
the pool keeps its pooled transactions (consecutive nonces from its account's) and its projected account after
them (next nonce, balance after amounts and fees), and checks the newcomer against that projection with the
protocol's own rules (protocol.consensus.chain_transactions). It is proven equal to the slow reference that re-applies
the sender's pooled transactions (actors.consensus.node_objects.validate_pool_transaction) by
tests/unit/test_transaction_pool.py. A rejection is a RejectedTransaction naming the rule and leaves the pool
as it was.

Bounds are the reference's (substrate sc-transaction-pool `--pool-limit 8192`, `--pool-kbytes 20480`, counted
over encoded transactions), plus a bound per sender that substrate does not have: at most 64 transactions and a
quarter of the bytes, so one account cannot fill the pool (at least four senders share its bytes, 128 its count).
A full pool rejects (`pool_full`, `sender_full`) instead of evicting: pooled transactions are never priced
against each other here, so there is no lower priority to evict (substrate evicts by priority).

When the best block changes, transactions it included and ones it made stale leave, and every sender's
projection is recomputed from the new state without checking signatures again (a pooled transaction's signature
does not change with the state); a transaction that no longer applies leaves with the sender's later ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from autonomys.actors.consensus.node_objects import (
    REJECT_POOL_FULL,
    REJECT_SENDER_FULL,
    RejectedTransaction,
    compute_rejection,
)
from autonomys.protocol.consensus.chain_blocks import Transaction
from autonomys.protocol.consensus.chain_state import Account, ChainState, get_account
from autonomys.protocol.consensus.chain_transactions import (
    compute_sender_after,
    validate_store_data_size,
    validate_transaction_funds,
    validate_transaction_signature,
)
from autonomys.protocol.errors import InvalidTransaction
from autonomys.protocol.params import Params

MAX_POOL_TRANSACTIONS: Final = 8192
"""substrate's `--pool-limit` default (transactions in its ready queue)."""
MAX_POOL_BYTES: Final = 20480 * 1024
"""substrate's `--pool-kbytes` default, over encoded transactions."""
MAX_SENDER_TRANSACTIONS: Final = 64
"""Per sender: one account's nonce chain may not take more than 1/128 of the pool's count."""
SENDER_BYTES_SHARE: Final = 4
"""Per sender: at most 1/4 of the pool's bytes (5 MiB by default, 19 full StoreData payloads)."""


@dataclass(frozen=True, slots=True)
class _Pooled:
    transaction_hash: bytes
    transaction: Transaction
    size: int
    """Bytes of the encoded transaction (what the byte bounds count)."""


@dataclass(slots=True)
class _Sender:
    """One sender's pooled transactions, in nonce order from its account's nonce, and its account after them."""

    projected: Account
    pooled: list[_Pooled] = field(default_factory=list)
    size: int = 0


class TransactionPool:
    """Pooled transactions of one node, for the network of `genesis_hash` (see the module docstring)."""

    def __init__(
        self,
        params: Params,
        genesis_hash: bytes,
        *,
        max_transactions: int = MAX_POOL_TRANSACTIONS,
        max_bytes: int = MAX_POOL_BYTES,
        max_sender_transactions: int = MAX_SENDER_TRANSACTIONS,
        max_sender_bytes: int | None = None,
    ) -> None:
        """`max_sender_bytes` defaults to max_bytes // SENDER_BYTES_SHARE."""
        self.params = params
        self.genesis_hash = bytes(genesis_hash)
        self.max_transactions = max_transactions
        self.max_bytes = max_bytes
        self.max_sender_transactions = max_sender_transactions
        self.max_sender_bytes = max_bytes // SENDER_BYTES_SHARE if max_sender_bytes is None else max_sender_bytes
        self._transactions: dict[bytes, Transaction] = {}
        """Every pooled transaction by hash, in arrival order (the order blocks take them)."""
        self._senders: dict[bytes, _Sender] = {}
        """Senders with pooled transactions, projected on `_state`."""
        self._state: ChainState | None = None
        self._bytes = 0
        self._ordered: tuple[Transaction, ...] | None = None

    def __len__(self) -> int:
        return len(self._transactions)

    @property
    def encoded_bytes(self) -> int:
        """Bytes of the pooled transactions, encoded (what max_bytes bounds)."""
        return self._bytes

    def submit(self, state: ChainState, transaction: Transaction) -> bytes:
        """Pool `transaction` (checked on `state`, the best state); returns its hash. Resubmitting a pooled
        transaction is a no-op; RejectedTransaction otherwise, with the pool unchanged."""
        self._follow(state)
        try:
            # First, before hashing it: an oversized payload can never be pooled.
            validate_store_data_size(transaction)
        except InvalidTransaction as error:
            raise compute_rejection(error) from error
        transaction_hash = bytes(transaction.hash())
        if transaction_hash in self._transactions:
            return transaction_hash
        size = len(transaction.to_bytes())
        sender = self._senders.get(transaction.sender)
        projected = get_account(state, transaction.sender) if sender is None else sender.projected
        # Bounds before the signature: a full pool turns a flood away for the price of a lookup.
        self._validate_room(sender, size)
        try:
            validate_transaction_signature(transaction, self.genesis_hash)
            validate_transaction_funds(projected, transaction, state.transaction_byte_fee)
        except InvalidTransaction as error:
            raise compute_rejection(error) from error
        after = compute_sender_after(projected, transaction, state.transaction_byte_fee)
        self._add(_Pooled(transaction_hash, transaction, size), after)
        return transaction_hash

    def account(self, state: ChainState, public_key: bytes) -> tuple[int, int]:
        """(balance in `state`, next nonce counting the sender's pooled transactions)."""
        self._follow(state)
        account = get_account(state, bytes(public_key))
        sender = self._senders.get(bytes(public_key))
        return account.balance, account.nonce if sender is None else sender.projected.nonce

    def transactions(self) -> tuple[Transaction, ...]:
        """Pooled transactions in the order a block should take them (arrival order; each sender's in nonce
        order)."""
        if self._ordered is None:
            self._ordered = tuple(self._transactions.values())
        return self._ordered

    def on_new_best(self, state: ChainState, included: Iterable[Transaction]) -> None:
        """The best state changed: drop what its block included, what its nonces made stale and what no longer
        applies, and project every sender again on `state`."""
        for transaction in included:
            self._transactions.pop(bytes(transaction.hash()), None)
        self._rebase(state)

    # -- projections -------------------------------------------------------------------------------

    def _follow(self, state: ChainState) -> None:
        """Project on `state` if the pool was projected on another (a best block the pool was not told of,
        e.g. the one a restarted node resumes from)."""
        if state is not self._state:
            self._rebase(state)

    def _rebase(self, state: ChainState) -> None:
        self._state = state
        self._ordered = None
        for public_key, sender in list(self._senders.items()):
            kept = self._project(public_key, sender, state)
            if len(kept.pooled) == 0:
                del self._senders[public_key]
            else:
                self._senders[public_key] = kept

    def _project(self, public_key: bytes, sender: _Sender, state: ChainState) -> _Sender:
        """The sender's pooled transactions that still apply on `state`, in nonce order, and its account after
        them; the others leave the pool (arithmetic only: their signatures were checked on admission)."""
        kept = _Sender(get_account(state, public_key))
        for pooled in sender.pooled:
            # Included, or its nonce is taken (by it or a rival): it can never apply.
            if pooled.transaction_hash not in self._transactions or pooled.transaction.nonce < kept.projected.nonce:
                self._forget(pooled)
                continue
            try:
                validate_transaction_funds(kept.projected, pooled.transaction, state.transaction_byte_fee)
            except InvalidTransaction:
                self._forget(pooled)  # and the sender's later ones, which its nonce no longer reaches
                continue
            kept.projected = compute_sender_after(kept.projected, pooled.transaction, state.transaction_byte_fee)
            kept.pooled.append(pooled)
            kept.size += pooled.size
        return kept

    # -- membership ----------------------------------------------------------------------------------

    def _validate_room(self, sender: _Sender | None, size: int) -> None:
        count, sender_bytes = (0, 0) if sender is None else (len(sender.pooled), sender.size)
        # One account may not crowd the others out.
        if count >= self.max_sender_transactions or sender_bytes + size > self.max_sender_bytes:
            detail = f"{count} transactions of {sender_bytes} bytes pooled for this sender; {size} more bytes"
            raise RejectedTransaction(REJECT_SENDER_FULL, detail)
        # The pool's memory is bounded whatever is submitted.
        if len(self._transactions) >= self.max_transactions or self._bytes + size > self.max_bytes:
            detail = f"{len(self._transactions)} transactions of {self._bytes} bytes are waiting; {size} more bytes"
            raise RejectedTransaction(REJECT_POOL_FULL, detail)

    def _add(self, pooled: _Pooled, projected: Account) -> None:
        sender = self._senders.setdefault(pooled.transaction.sender, _Sender(projected))
        sender.projected = projected
        sender.pooled.append(pooled)
        sender.size += pooled.size
        self._transactions[pooled.transaction_hash] = pooled.transaction
        self._bytes += pooled.size
        self._ordered = None

    def _forget(self, pooled: _Pooled) -> None:
        """Take a transaction out of the pool's totals (its sender's entry is rebuilt by the caller)."""
        self._transactions.pop(pooled.transaction_hash, None)
        self._bytes -= pooled.size
