"""Executor selection of the StakeManager contract (contracts/stake_manager.vy), in Python for the executor bot.

Autonomy's lightweight proof of stake: stakes come in whole units of `STAN_STAKE`, the stake array holds one entry
(the staker's address) per unit, and each epoch of `EPOCH_LENGTH` domain blocks the executor is the entry that the
random fraction `randomness / 2**256` points at: index `floor(randomness * length / 2**256)`, constant time. The
epoch's randomness is the hash of the block before the epoch (the genesis block's for epoch 0). Every function
here is the contract's own rule, tested equal to it on an EVM.
"""

from __future__ import annotations

from collections.abc import Sequence

from autonomys.protocol.errors import ProtocolError

STAN_STAKE = 10_000 * 10**18
"""One stake unit in base units of the stake token (10,000 tokens of 18 decimals); contract `STAN_STAKE`."""

EPOCH_LENGTH = 100
"""Domain blocks per epoch; contract `EPOCH_LENGTH`. Must stay <= 256, BLOCKHASH's reach (see the contract)."""

BLOCKHASH_WINDOW = 256
"""How many of the most recent blocks the EVM's BLOCKHASH can read."""

RANDOMNESS_BITS = 256
"""Randomness is a 256-bit block hash read as a big-endian integer (vyper `convert(bytes32, uint256)`)."""


# ---- errors (to move to protocol/errors.py) ----


class InvalidStakeAmount(ProtocolError):
    """A stake or unstake amount that is not a positive multiple of STAN_STAKE."""


class InvalidSelectionInput(ProtocolError):
    """A randomness outside 256 bits or a negative array length or block number."""


# ---- epochs ----


def compute_epoch(block_number: int, epoch_length: int = EPOCH_LENGTH) -> int:
    """The epoch of a block: the number of the epoch's first block (contract `computeEpoch`)."""
    # Why: block numbers are uint256 in the contract.
    if block_number < 0:
        raise InvalidSelectionInput(f"block number {block_number} is negative")
    return block_number - block_number % epoch_length


def compute_randomness_block(epoch: int) -> int:
    """The block whose hash is the epoch's randomness: the one before the epoch, or the genesis block for epoch 0."""
    return epoch - 1 if epoch > 0 else 0


def compute_randomness(block_hash: bytes) -> int:
    """A block hash as the contract's uint256 randomness (big-endian)."""
    # Why: the contract converts a bytes32 hash, nothing shorter or longer.
    if len(block_hash) != RANDOMNESS_BITS // 8:
        raise InvalidSelectionInput(f"a block hash has 32 bytes, not {len(block_hash)}")
    return int.from_bytes(block_hash, "big")


# ---- selection ----


def compute_winner_index(randomness: int, length: int) -> int:
    """floor(randomness * length / 2**256): the index the fraction randomness / 2**256 selects (contract
    `computeWinnerIndex`)."""
    # Why: the contract's inputs are uint256; outside them the result would not be its result.
    if not 0 <= randomness < 1 << RANDOMNESS_BITS:
        raise InvalidSelectionInput(f"randomness {randomness} is not a 256-bit unsigned integer")
    if not 0 <= length < 1 << RANDOMNESS_BITS:
        raise InvalidSelectionInput(f"length {length} is not a 256-bit unsigned integer")
    return (randomness * length) >> RANDOMNESS_BITS


def compute_executor(stakes: Sequence[bytes], randomness: int) -> bytes | None:
    """The staker a stake array selects for a randomness, or None for the empty array (no executor)."""
    if len(stakes) == 0:
        return None
    return stakes[compute_winner_index(randomness, len(stakes))]


def compute_stake_units(amount: int) -> int:
    """How many stake-array entries an amount of the stake token makes (contract `stake` / `unstake`)."""
    # Why: only whole units keep the selection a single index lookup.
    if amount <= 0 or amount % STAN_STAKE != 0:
        raise InvalidStakeAmount(f"{amount} is not a positive multiple of STAN_STAKE ({STAN_STAKE})")
    return amount // STAN_STAKE
