"""The node's transaction pool rules and its view of stored objects not archived yet (helpers of actors.consensus.node).

A transaction enters the pool only if it would apply on the best state after the sender's transactions
already pooled: signed by its sender, the next nonce, a balance covering amount and fee, a StoreData
within the consensus limit, and room in the pool's bounds (actors.consensus.transaction_pool). A rejection is a
`RejectedTransaction` naming the rule, and leaves the pool as it was.

`validate_pool_transaction` / `compute_account` are the slow reference of those rules: they re-apply the
sender's pooled transactions to the state, as the first pool did. The pool keeps projections instead and is
proven equal to them (tests/unit/test_transaction_pool.py); benchmarks/flood.py measures both.

Stored data is found by its blake3 hash: through the archiver's object mappings once its segment is
archived, and before that by scanning the canonical blocks that are not wholly inside archived segments.
"""

from __future__ import annotations

from collections.abc import Sequence

from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.codec import Reader
from autonomys.protocol.consensus.chain import apply_transaction, get_account
from autonomys.protocol.consensus.chain_blocks import (
    MAX_STORE_DATA_SIZE,
    SIGNATURE_SIZE,
    StoreDataTooLarge,
    Transaction,
)
from autonomys.protocol.consensus.chain_state import ChainState
from autonomys.protocol.consensus.chain_transactions import process_transactions
from autonomys.protocol.errors import (
    BadNonce,
    BadSignature,
    DecodeError,
    InsufficientBalance,
    InvalidTransaction,
    ReasonedError,
)
from autonomys.protocol.objects.mappings import BlockObject
from autonomys.protocol.params import Params

# The biggest encoded transaction worth decoding: a StoreData at the limit plus sender, nonce, call and signature.
MAX_TRANSACTION_SIZE = MAX_STORE_DATA_SIZE + 32 + 8 + 1 + 5 + SIGNATURE_SIZE
# Fees of the reference's trial applications go to nobody in particular (the trial state is thrown away).
TRIAL_FEE_SINK = bytes(32)

REJECT_UNDECODABLE = "undecodable"
REJECT_TOO_LARGE = "too_large"
REJECT_BAD_SIGNATURE = "bad_signature"
REJECT_BAD_NONCE = "bad_nonce"
REJECT_INSUFFICIENT_BALANCE = "insufficient_balance"
REJECT_POOL_FULL = "pool_full"
REJECT_SENDER_FULL = "sender_full"
REJECT_INVALID = "invalid"
_REASON_OF_ERROR = (
    (StoreDataTooLarge, REJECT_TOO_LARGE),
    (BadSignature, REJECT_BAD_SIGNATURE),
    (BadNonce, REJECT_BAD_NONCE),
    (InsufficientBalance, REJECT_INSUFFICIENT_BALANCE),
)


class RejectedTransaction(ReasonedError):
    """A submitted transaction the pool refuses; `reason` is one of the REJECT_* names, `detail` says why."""


def decode_submitted_transaction(data: bytes) -> Transaction:
    """The transaction in submitted bytes; RejectedTransaction (too_large / undecodable) otherwise."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise RejectedTransaction(REJECT_UNDECODABLE, f"expected bytes, got {type(data).__name__}")
    # Never decode more than the largest valid transaction.
    if len(data) > MAX_TRANSACTION_SIZE:
        raise RejectedTransaction(REJECT_TOO_LARGE, f"{len(data)} bytes, at most {MAX_TRANSACTION_SIZE}")
    try:
        return Transaction.from_bytes(bytes(data))
    except DecodeError as error:
        raise RejectedTransaction(REJECT_UNDECODABLE, str(error)) from error


def compute_rejection(error: InvalidTransaction) -> RejectedTransaction:
    """The pool's rejection for a transaction rule `error` (its REJECT_* name, `invalid` for any other rule)."""
    reason = next((name for kind, name in _REASON_OF_ERROR if isinstance(error, kind)), REJECT_INVALID)
    return RejectedTransaction(reason, str(error))


def compute_pooled_state(
    state: ChainState, pool: Sequence[Transaction], sender: bytes, params: Params, genesis_hash: bytes
) -> tuple[ChainState, int]:
    """The state after the sender's pooled transactions that still apply, and how many applied."""
    pending = [transaction for transaction in pool if transaction.sender == sender]
    state, included = process_transactions(
        state, pending, params, author=TRIAL_FEE_SINK, genesis_hash=genesis_hash, skip_invalid=True
    )
    return state, len(included)


def validate_pool_transaction(
    state: ChainState, pool: Sequence[Transaction], transaction: Transaction, params: Params, genesis_hash: bytes
) -> None:
    """Raise RejectedTransaction unless `transaction` applies after the sender's pooled ones (the reference:
    re-applies them, signatures included; the pool's bounds are not checked here)."""
    pooled_state, _ = compute_pooled_state(state, pool, transaction.sender, params, genesis_hash)
    try:
        apply_transaction(pooled_state, transaction, params, author=TRIAL_FEE_SINK, genesis_hash=genesis_hash)
    except InvalidTransaction as error:
        raise compute_rejection(error) from error


def compute_account(
    state: ChainState, pool: Sequence[Transaction], public_key: bytes, params: Params, genesis_hash: bytes
) -> tuple[int, int]:
    """(balance in the best state, next nonce counting the sender's pooled transactions that apply); the
    reference of TransactionPool.account."""
    _, pooled = compute_pooled_state(state, pool, bytes(public_key), params, genesis_hash)
    account = get_account(state, bytes(public_key))
    return account.balance, account.nonce + pooled


def compute_mapped_through(header: SegmentHeader) -> int:
    """The last block whose objects all have mappings once this segment is archived (its block if complete,
    the one before if the segment cut it)."""
    progress = header.last_archived_block
    return int(progress.number) if progress.is_complete else int(progress.number) - 1


def read_block_object(block: bytes, objects: Sequence[BlockObject], object_hash: bytes) -> bytes | None:
    """The data of the block's object with this hash, None if the block stores none."""
    for found in objects:
        if found.hash == object_hash:
            return Reader(block[found.offset_in_block :], "stored data").read_vec_u8()
    return None
