"""Block limits: how long and how heavy a consensus block may be.

The reference's runtime (subspace-runtime, `MAX_BLOCK_LENGTH` and `NORMAL_DISPATCH_RATIO` with frame_system's
`BlockLength::max_with_normal_ratio` and `BlockWeights::with_sensible_defaults`) allows a block of 5 MiB and
2 seconds of weight, of which normal extrinsics (our transactions) may use 75 %; operational ones (votes) may use
the whole block, and mandatory ones (segment headers) are always allowed. Weight is in picoseconds of reference
hardware (frame's WEIGHT_REF_TIME_PER_SECOND). We keep those totals and the class split; the per-extrinsic
weights are ours (our transactions carry no benchmarked weights), each stated below with what it covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from autonomys.protocol.consensus.chain_blocks import Block, SignedVote, StoreData, Transaction
from autonomys.protocol.errors import BlockTooHeavy, BlockTooLarge

WEIGHT_REF_TIME_PER_SECOND: Final = 10**12
WEIGHT_REF_TIME_PER_MICROS: Final = 10**6

MAX_BLOCK_LENGTH: Final = 5 * 1024 * 1024
"""Bytes of a whole encoded block (header and body)."""
NORMAL_DISPATCH_RATIO: Final = (3, 4)
MAX_NORMAL_LENGTH: Final = MAX_BLOCK_LENGTH * NORMAL_DISPATCH_RATIO[0] // NORMAL_DISPATCH_RATIO[1]
"""Bytes of a block's transactions together: 3 932 160. Must stay >= chain_blocks.MAX_STORE_DATA_SIZE."""
MAX_BLOCK_WEIGHT: Final = 2 * WEIGHT_REF_TIME_PER_SECOND
MAX_NORMAL_WEIGHT: Final = MAX_BLOCK_WEIGHT * NORMAL_DISPATCH_RATIO[0] // NORMAL_DISPATCH_RATIO[1]

EXTRINSIC_BASE_WEIGHT: Final = 125 * WEIGHT_REF_TIME_PER_MICROS
"""Every transaction: frame's ExtrinsicBaseWeight (signature, nonce and fee checks; sr25519 verify is ~40 µs here)."""
TRANSFER_WEIGHT: Final = 60 * WEIGHT_REF_TIME_PER_MICROS
"""A transfer's two account writes."""
STORE_DATA_WEIGHT: Final = 20 * WEIGHT_REF_TIME_PER_MICROS
"""A StoreData's account write, before its bytes."""
WEIGHT_PER_BYTE: Final = 2 * 1000
"""2 ns per byte of call: hashing it into the extrinsics root and the archive (blake3 is ~0.16 ns/B here)."""
VOTE_WEIGHT: Final = 5000 * WEIGHT_REF_TIME_PER_MICROS
"""A vote: its solution's proof-of-space, two KZG pairings (about 2 ms here) and its signature."""


def compute_transaction_weight(transaction: Transaction) -> int:
    """The weight a transaction uses of its block's normal class."""
    call = transaction.call
    call_weight = STORE_DATA_WEIGHT if isinstance(call, StoreData) else TRANSFER_WEIGHT
    return EXTRINSIC_BASE_WEIGHT + call_weight + WEIGHT_PER_BYTE * len(call.to_bytes())


def compute_transactions_length(transactions: Sequence[Transaction]) -> int:
    """Encoded bytes of these transactions (without the vector's length prefix)."""
    return sum(len(transaction.to_bytes()) for transaction in transactions)


def compute_block_weight(transactions: Sequence[Transaction], votes: Sequence[SignedVote]) -> tuple[int, int]:
    """(normal weight of the transactions, total weight with the votes)."""
    normal = sum(compute_transaction_weight(transaction) for transaction in transactions)
    return normal, normal + VOTE_WEIGHT * len(votes)


def validate_block_length(encoded_length: int) -> None:
    """Raise BlockTooLarge for an encoded block over MAX_BLOCK_LENGTH (checked before decoding it)."""
    if encoded_length > MAX_BLOCK_LENGTH:
        msg = f"block of {encoded_length} bytes exceeds {MAX_BLOCK_LENGTH}"
        raise BlockTooLarge(msg)


def validate_block_limits(block: Block) -> None:
    """Raise BlockTooLarge / BlockTooHeavy unless the block and its classes fit their length and weight."""
    validate_block_length(len(block.to_bytes()))
    # Normal extrinsics leave a quarter of the block to operational and mandatory ones.
    length = compute_transactions_length(block.transactions)
    if length > MAX_NORMAL_LENGTH:
        msg = f"transactions of {length} bytes exceed {MAX_NORMAL_LENGTH}"
        raise BlockTooLarge(msg)
    normal, total = compute_block_weight(block.transactions, block.votes)
    if normal > MAX_NORMAL_WEIGHT:
        msg = f"transactions weigh {normal}, more than {MAX_NORMAL_WEIGHT}"
        raise BlockTooHeavy(msg)
    if total > MAX_BLOCK_WEIGHT:
        msg = f"transactions and votes weigh {total}, more than {MAX_BLOCK_WEIGHT}"
        raise BlockTooHeavy(msg)


class BlockBudget:
    """What a block being built may still take: normal length and weight for transactions, total for votes."""

    def __init__(self, reserved_length: int) -> None:
        """`reserved_length`: bytes already used by the header, the segment headers and the vectors' prefixes."""
        self.length = reserved_length
        self.normal_length = 0
        self.normal_weight = 0
        self.total_weight = 0

    def admit_transaction(self, transaction: Transaction) -> bool:
        """Take the transaction into the budget when it fits (True), else leave the budget as it was."""
        length, weight = len(transaction.to_bytes()), compute_transaction_weight(transaction)
        if self.normal_length + length > MAX_NORMAL_LENGTH or self.length + length > MAX_BLOCK_LENGTH:
            return False
        if self.normal_weight + weight > MAX_NORMAL_WEIGHT or self.total_weight + weight > MAX_BLOCK_WEIGHT:
            return False
        self.length += length
        self.normal_length += length
        self.normal_weight += weight
        self.total_weight += weight
        return True

    def admit_vote(self, vote: SignedVote) -> bool:
        """Take the vote into the budget when it fits (True), else leave the budget as it was."""
        length = len(vote.to_bytes())
        if self.length + length > MAX_BLOCK_LENGTH or self.total_weight + VOTE_WEIGHT > MAX_BLOCK_WEIGHT:
            return False
        self.length += length
        self.total_weight += VOTE_WEIGHT
        return True
