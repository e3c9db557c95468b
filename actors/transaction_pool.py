"""The node's transaction pool: transactions checked against the best state, waiting for a block.

A transaction enters only if it would apply on the best state after the sender's transactions already pooled
(actors.node_objects.validate_pool_transaction); a rejection is a RejectedTransaction naming the rule and leaves
the pool as it was. When the best block changes, transactions it included and ones it made stale leave.
"""

from __future__ import annotations

from collections.abc import Iterable

from autonomys.actors.node_objects import compute_account, is_stale, validate_pool_transaction
from autonomys.protocol.chain_blocks import Transaction
from autonomys.protocol.chain_state import ChainState
from autonomys.protocol.params import Params


class TransactionPool:
    """Pooled transactions of one node, for the network of `genesis_hash`."""

    def __init__(self, params: Params, genesis_hash: bytes) -> None:
        self.params = params
        self.genesis_hash = bytes(genesis_hash)
        self._transactions: dict[bytes, Transaction] = {}

    def __len__(self) -> int:
        return len(self._transactions)

    def submit(self, state: ChainState, transaction: Transaction) -> bytes:
        """Pool `transaction` (checked on `state`, the best state); returns its hash. Resubmitting a pooled
        transaction is a no-op; RejectedTransaction otherwise, with the pool unchanged."""
        transaction_hash = bytes(transaction.hash())
        if transaction_hash in self._transactions:
            return transaction_hash
        pooled = list(self._transactions.values())
        validate_pool_transaction(state, pooled, transaction, self.params, self.genesis_hash)
        self._transactions[transaction_hash] = transaction
        return transaction_hash

    def account(self, state: ChainState, public_key: bytes) -> tuple[int, int]:
        """(balance in `state`, next nonce counting the sender's pooled transactions)."""
        return compute_account(state, list(self._transactions.values()), public_key, self.params, self.genesis_hash)

    def transactions(self) -> tuple[Transaction, ...]:
        """Pooled transactions in the order a block should take them."""
        return tuple(self._transactions.values())

    def on_new_best(self, state: ChainState, included: Iterable[Transaction]) -> None:
        """The best state changed: drop what its block included and what its nonces made stale."""
        for transaction in included:
            self._transactions.pop(bytes(transaction.hash()), None)
        stale = [key for key, transaction in self._transactions.items() if is_stale(state, transaction)]
        for key in stale:
            del self._transactions[key]
