"""The consensus chain's state (solution ranges as `derive_next_solution_range`, PoT entropy as pallet-subspace
`do_initialize`, the storage fee as pallet-transaction-fees): accounts, recorded segments, ranges, PoT entropy, fees.

A ChainState is an immutable value: every rule in protocol.consensus.chain returns a new one. Its canonical
encoding (to_bytes) is what state_root() hashes, so two nodes agree on a root exactly when they agree
on every field. Accounts are kept as a tuple of (public key, Account) pairs sorted by key, without
empty accounts (zero balance and nonce), so the encoding is canonical.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import blake3

from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.codec import Reader, encode_compact, encode_u8, encode_u32, encode_u64
from autonomys.protocol.consensus.chain_blocks import (
    ACCOUNT_ID_SIZE,
    U128_MAX,
    decode_exactly,
    encode_pot_parameters_change,
    encode_u128,
    read_pot_parameters_change,
    read_u128,
    read_vector,
)
from autonomys.protocol.constants import BLAKE3_HASH_SIZE, SEGMENT_COMMITMENT_SIZE, U64_MAX
from autonomys.protocol.errors import DecodeError, InvalidParams, OutOfOrderSegmentHeader
from autonomys.protocol.farming.solution_range import compute_voting_solution_range, solution_range_to_pieces
from autonomys.protocol.params import Params, validate_slot_iterations
from autonomys.protocol.timekeeper.pot import PotParametersChange
from autonomys.protocol.types import Blake3Hash

CHAIN_STATE_VERSION = 0
GENESIS_HASH_TAG = b"autonomys-genesis"
# pallet-transaction-fees: the storage fee is 1 Shannon per byte until dynamic pricing is switched on.
FIXED_TRANSACTION_BYTE_FEE = 1
# pallet-transaction-fees: history must be replicated at least this many times over the pledged space.
MIN_REPLICATION_FACTOR = 25


@dataclass(frozen=True, slots=True)
class Account:
    """Balance (Shannon, u128) and the number of transactions sent (u64, the next nonce)."""

    balance: int
    nonce: int


EMPTY_ACCOUNT = Account(0, 0)


@dataclass(frozen=True, slots=True)
class PotEntropyValue:
    """Entropy sampled at an injection block, and the slot it is injected at once that is known
    (pallet-subspace `do_initialize`)."""

    entropy: bytes
    target_slot: int | None


@dataclass(frozen=True, slots=True)
class ChainState:
    """The state after block `number` (0 is genesis)."""

    number: int
    best_slot: int
    """Slot of the block that produced this state (0 at genesis)."""
    accounts: tuple[tuple[bytes, Account], ...]
    """(public key, account) sorted by key; no empty accounts. See get_account."""
    total_issuance: int
    """Sum of all balances: endowments plus every reward paid."""
    segment_commitments: tuple[bytes, ...]
    """Commitment of every recorded segment, indexed by segment index (len = current history size)."""
    last_segment_header_hash: bytes
    """blake3 of the last recorded segment header (zeros before segment 0): the next one's parent."""
    solution_range: int
    """Range a block solution must be within (the next block is verified against it)."""
    voting_solution_range: int
    """Range a vote's solution must be within: solution_range × (EXPECTED_VOTES_PER_BLOCK + 1)."""
    era_start_slot: int
    era_start_number: int
    should_adjust_solution_range: bool
    """Off at genesis in the reference; when off, eras pass without changing the ranges."""
    pot_entropy: tuple[tuple[int, PotEntropyValue], ...]
    """Entropy by injection block number, ascending (pallet-subspace `do_initialize`)."""
    pot_slot_iterations: int
    pending_pot_parameters_change: PotParametersChange | None
    """The PoT change the block that produced this state carried (what the PoT chain follows), or None."""
    transaction_byte_fee: int
    """Storage fee per byte of call for the next block's transactions (pallet-transaction-fees)."""
    dynamic_storage_fee: bool
    """When on, transaction_byte_fee follows compute_transaction_byte_fee; else it stays 1."""
    votes_in_block: int
    """Votes included in the block that produced this state."""

    @property
    def history_size(self) -> int:
        """Number of recorded segments."""
        return len(self.segment_commitments)

    def to_bytes(self) -> bytes:
        return encode_chain_state(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> ChainState:
        return decode_exactly(data, "ChainState", read_chain_state)  # type: ignore[return-value]

    def state_root(self) -> Blake3Hash:
        """blake3 of the canonical encoding."""
        return Blake3Hash(blake3.blake3(self.to_bytes()).digest())


# ---- encoding ----


def _encode_account(public_key: bytes, account: Account) -> bytes:
    return public_key + encode_u128(account.balance) + encode_u64(account.nonce)


def _encode_entropy(number: int, value: PotEntropyValue) -> bytes:
    target = encode_u8(0) if value.target_slot is None else encode_u8(1) + encode_u64(value.target_slot)
    return encode_u32(number) + value.entropy + target


def encode_chain_state(state: ChainState) -> bytes:
    """version | number | best_slot | accounts | issuance | commitments | last segment hash | ranges | era |
    adjust flag | entropy | iterations | pending change | byte fee | dynamic flag | votes in block."""
    return b"".join(
        (
            encode_u8(CHAIN_STATE_VERSION),
            encode_u32(state.number),
            encode_u64(state.best_slot),
            encode_compact(len(state.accounts)),
            *(_encode_account(key, account) for key, account in state.accounts),
            encode_u128(state.total_issuance),
            encode_compact(len(state.segment_commitments)),
            *state.segment_commitments,
            state.last_segment_header_hash,
            encode_u64(state.solution_range),
            encode_u64(state.voting_solution_range),
            encode_u64(state.era_start_slot),
            encode_u32(state.era_start_number),
            encode_u8(int(state.should_adjust_solution_range)),
            encode_compact(len(state.pot_entropy)),
            *(_encode_entropy(number, value) for number, value in state.pot_entropy),
            encode_u32(state.pot_slot_iterations),
            encode_pot_parameters_change(state.pending_pot_parameters_change),
            encode_u128(state.transaction_byte_fee),
            encode_u8(int(state.dynamic_storage_fee)),
            encode_u32(state.votes_in_block),
        )
    )


def _read_bool(reader: Reader) -> bool:
    value = reader.read_u8()
    if value not in (0, 1):
        msg = f"ChainState: a bool must be 0 or 1, got {value}"
        raise DecodeError(msg)
    return value == 1


def _read_account(reader: Reader) -> tuple[bytes, Account]:
    return reader.read_bytes(ACCOUNT_ID_SIZE), Account(read_u128(reader), reader.read_u64())


def _read_entropy(reader: Reader) -> tuple[int, PotEntropyValue]:
    number, entropy = reader.read_u32(), reader.read_bytes(BLAKE3_HASH_SIZE)
    target = reader.read_u64() if reader.read_option_tag() else None
    return number, PotEntropyValue(entropy, target)


def _validate_canonical(state: ChainState) -> None:
    # The encoding is canonical only with sorted, unique keys and no empty accounts.
    keys = [key for key, _ in state.accounts]
    if keys != sorted(set(keys)) or any(account == EMPTY_ACCOUNT for _, account in state.accounts):
        msg = "ChainState: accounts are not sorted, unique and non-empty"
        raise DecodeError(msg)
    numbers = [number for number, _ in state.pot_entropy]
    if numbers != sorted(set(numbers)):
        msg = "ChainState: pot entropy is not sorted by block number"
        raise DecodeError(msg)


def read_chain_state(reader: Reader) -> ChainState:
    version = reader.read_u8()
    if version != CHAIN_STATE_VERSION:
        msg = f"ChainState: unknown version {version}"
        raise DecodeError(msg)
    state = ChainState(
        number=reader.read_u32(),
        best_slot=reader.read_u64(),
        accounts=read_vector(reader, _read_account),
        total_issuance=read_u128(reader),
        segment_commitments=read_vector(reader, lambda inner: inner.read_bytes(SEGMENT_COMMITMENT_SIZE)),
        last_segment_header_hash=reader.read_bytes(BLAKE3_HASH_SIZE),
        solution_range=reader.read_u64(),
        voting_solution_range=reader.read_u64(),
        era_start_slot=reader.read_u64(),
        era_start_number=reader.read_u32(),
        should_adjust_solution_range=_read_bool(reader),
        pot_entropy=read_vector(reader, _read_entropy),
        pot_slot_iterations=reader.read_u32(),
        pending_pot_parameters_change=read_pot_parameters_change(reader),
        transaction_byte_fee=read_u128(reader),
        dynamic_storage_fee=_read_bool(reader),
        votes_in_block=reader.read_u32(),
    )
    _validate_canonical(state)
    return state


# ---- accessors and mutators ----


def get_account(state: ChainState, public_key: bytes) -> Account:
    """The account of `public_key` (an empty account when it has none)."""
    index = bisect.bisect_left(state.accounts, public_key, key=lambda pair: pair[0])
    if index < len(state.accounts) and state.accounts[index][0] == public_key:
        return state.accounts[index][1]
    return EMPTY_ACCOUNT


def get_balance(state: ChainState, public_key: bytes) -> int:
    """Balance of `public_key` in Shannon."""
    return get_account(state, public_key).balance


def apply_account_changes(state: ChainState, changes: Mapping[bytes, Account]) -> ChainState:
    """The state with these accounts replaced (empty ones removed), kept sorted."""
    merged = dict(state.accounts)
    merged.update(changes)
    accounts = tuple(sorted((bytes(key), account) for key, account in merged.items() if account != EMPTY_ACCOUNT))
    return dataclasses.replace(state, accounts=accounts)


def append_segment_headers(state: ChainState, segment_headers: Sequence[SegmentHeader]) -> ChainState:
    """Record the commitments of headers that continue the recorded segment chain, in order."""
    commitments = list(state.segment_commitments)
    last_hash = state.last_segment_header_hash
    for header in segment_headers:
        # Each header is the next segment, and names the last recorded header as its parent.
        if header.segment_index != len(commitments):
            msg = f"segment header {header.segment_index} given where segment {len(commitments)} comes next"
            raise OutOfOrderSegmentHeader(msg)
        if header.prev_segment_header_hash != last_hash:
            msg = f"segment header {header.segment_index} names parent {header.prev_segment_header_hash.hex()}"
            raise OutOfOrderSegmentHeader(msg)
        commitments.append(bytes(header.segment_commitment))
        last_hash = bytes(header.hash())
    return dataclasses.replace(state, segment_commitments=tuple(commitments), last_segment_header_hash=last_hash)


# ---- storage fee (pallet-transaction-fees `transaction_byte_fee`) ----


def compute_transaction_byte_fee(total_issuance: int, solution_range: int, segments: int, params: Params) -> int:
    """credit_supply / free_space (credit_supply when no space is free), free_space = pledged / 25 − history."""
    pledged_bytes = solution_range_to_pieces(solution_range, params.slot_probability, params) * params.piece_size
    history_bytes = segments * params.archived_history_segment_size
    free_space = pledged_bytes // MIN_REPLICATION_FACTOR - history_bytes
    if free_space > 0:
        return total_issuance // free_space
    return total_issuance


def compute_next_transaction_byte_fee(state: ChainState, params: Params) -> int:
    """The byte fee the next block charges: dynamic (pallet-transaction-fees) when switched on, else 1 Shannon/byte."""
    if not state.dynamic_storage_fee:
        return FIXED_TRANSACTION_BYTE_FEE
    return compute_transaction_byte_fee(state.total_issuance, state.solution_range, state.history_size, params)


# ---- genesis ----


def _validate_genesis(endowments: Mapping[bytes, int], solution_range: int, pot_slot_iterations: int) -> None:
    for key, balance in endowments.items():
        if len(key) != ACCOUNT_ID_SIZE or not 0 <= balance <= U128_MAX:
            msg = f"endowment {bytes(key).hex()}={balance} needs a 32-byte key and a u128 balance"
            raise InvalidParams(msg)
    if sum(endowments.values()) > U128_MAX:
        msg = "endowments exceed u128"
        raise InvalidParams(msg)
    if not 0 < solution_range <= U64_MAX:
        msg = f"solution_range={solution_range} must be in 1..2^64-1"
        raise InvalidParams(msg)
    validate_slot_iterations(pot_slot_iterations)


def genesis_state(
    params: Params,
    *,
    endowments: Mapping[bytes, int],
    solution_range: int,
    pot_slot_iterations: int,
    adjust_solution_range: bool = False,
    dynamic_storage_fee: bool = False,
    segment_headers: Sequence[SegmentHeader] = (),
) -> ChainState:
    """The state before block 1: endowed accounts, the genesis ranges, and the segments archived at genesis.

    `segment_headers` records history that exists before block 1 (the reference archives the genesis
    block into segment 0 at once): block 1's solution needs a recorded segment to prove its piece.
    """
    _validate_genesis(endowments, solution_range, pot_slot_iterations)
    state = ChainState(
        number=0,
        best_slot=0,
        accounts=(),
        total_issuance=sum(endowments.values()),
        segment_commitments=(),
        last_segment_header_hash=bytes(BLAKE3_HASH_SIZE),
        solution_range=solution_range,
        voting_solution_range=compute_voting_solution_range(solution_range),
        era_start_slot=0,
        era_start_number=0,
        should_adjust_solution_range=adjust_solution_range,
        pot_entropy=(),
        pot_slot_iterations=pot_slot_iterations,
        pending_pot_parameters_change=None,
        transaction_byte_fee=FIXED_TRANSACTION_BYTE_FEE,
        dynamic_storage_fee=dynamic_storage_fee,
        votes_in_block=0,
    )
    state = apply_account_changes(state, {bytes(key): Account(balance, 0) for key, balance in endowments.items()})
    state = append_segment_headers(state, segment_headers)
    return dataclasses.replace(state, transaction_byte_fee=compute_next_transaction_byte_fee(state, params))


def genesis_header_hash(genesis: ChainState) -> Blake3Hash:
    """blake3(b"autonomys-genesis" | genesis state root): block 1's parent hash, and the PoT genesis hash."""
    return Blake3Hash(blake3.blake3(GENESIS_HASH_TAG + genesis.state_root()).digest())
