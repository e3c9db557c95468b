"""The consensus chain's state (solution ranges as `derive_next_solution_range`, PoT entropy as pallet-subspace
`do_initialize`, the storage fee as pallet-transaction-fees): accounts, recorded segments, ranges, PoT entropy, fees.

The state lives in an authenticated trie (protocol.state.trie): every account under `account/<public key>`,
every recorded segment's commitment under `segment/<index>`, and the scalars (number, ranges, entropy, fees, ...)
in one record under `chain/scalars`. Its root is the state root headers commit to, so two nodes agree on a root
exactly when they agree on every account, segment and scalar; a light client proves any of them against a header.

A ChainState is an immutable value: the scalars, the root, and the node source the trie is read from. A block's
transition writes through a StateWriter (pending writes over the parent's trie, applied once when it finishes);
the new state carries the nodes it created and replaced (`changes`) until the node persists them. Rejecting a
block just drops its writer: the parent's nodes are content-addressed and never change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import blake3

from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_compact,
    encode_u8,
    encode_u32,
    encode_u64,
    encode_u128,
    read_u128,
    read_vector,
)
from autonomys.protocol.consensus.chain_blocks import (
    ACCOUNT_ID_SIZE,
    U128_MAX,
    encode_pot_parameters_change,
    read_pot_parameters_change,
)
from autonomys.protocol.constants import BLAKE3_HASH_SIZE, U64_MAX
from autonomys.protocol.errors import DecodeError, InvalidParams, OutOfOrderSegmentHeader
from autonomys.protocol.farming.solution_range import compute_voting_solution_range, solution_range_to_pieces
from autonomys.protocol.params import Params, validate_slot_iterations
from autonomys.protocol.state.trie import EMPTY_ROOT, HASH_SIZE, NodeSource, TrieChanges, TrieWriter, lookup
from autonomys.protocol.timekeeper.pot import PotParametersChange

if TYPE_CHECKING:
    from autonomys.protocol.consensus.chain_ledger import DomainGenesis
from autonomys.protocol.types import Blake3Hash

CHAIN_STATE_VERSION = 1
"""Version 1: accounts and segment commitments in the trie. Version 0 kept them inline (no longer readable)."""
GENESIS_HASH_TAG = b"autonomys-genesis"
# pallet-transaction-fees: the storage fee is 1 Shannon per byte until dynamic pricing is switched on.
FIXED_TRANSACTION_BYTE_FEE = 1
# pallet-transaction-fees: history must be replicated at least this many times over the pledged space.
MIN_REPLICATION_FACTOR = 25
SCALARS_KEY = b"chain/scalars"
ACCOUNT_PREFIX = b"account/"
SEGMENT_PREFIX = b"segment/"
ACCOUNT_SIZE = 16 + 8


class ChainStateVersionMismatch(DecodeError):
    """A stored chain state of another encoding version (written by an older release)."""


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
    """The state after block `number` (0 is genesis): its scalars, its trie root, and where the trie's nodes are."""

    number: int
    best_slot: int
    """Slot of the block that produced this state (0 at genesis)."""
    total_issuance: int
    """Sum of all balances: endowments plus every reward paid."""
    history_size: int
    """Number of recorded segments (their commitments are in the trie, see get_segment_commitment)."""
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
    root: bytes = EMPTY_ROOT
    """The trie root of this state: the state root its block's header carries."""
    nodes: NodeSource = field(default_factory=dict, compare=False, repr=False)
    """Where the trie's nodes are read from (the node's store, or an overlay over it)."""
    changes: TrieChanges | None = field(default=None, compare=False, repr=False)
    """The nodes the transition that produced this state created and replaced, until they are persisted."""

    def to_bytes(self) -> bytes:
        """version | root [32] | scalars: what a node stores per block (the trie holds the rest)."""
        return encode_u8(CHAIN_STATE_VERSION) + self.root + encode_scalars(self)

    @classmethod
    def from_bytes(cls, data: bytes, nodes: NodeSource | None = None) -> ChainState:
        """A stored state, reading its trie from `nodes` (none: only its scalars and root are usable);
        ChainStateVersionMismatch for another version."""
        state: ChainState = decode_exactly(data, "ChainState", read_chain_state)
        return dataclasses.replace(state, nodes=nodes if nodes is not None else {})

    def state_root(self) -> Blake3Hash:
        """The trie root."""
        return Blake3Hash(self.root)

    def with_nodes(self, nodes: NodeSource) -> ChainState:
        """This state reading its trie from `nodes` (once its changes are persisted there)."""
        return dataclasses.replace(self, nodes=nodes, changes=None)


class OverlayNodes(Mapping[bytes, bytes]):
    """Nodes a transition created, over the nodes it started from."""

    def __init__(self, base: NodeSource, created: Mapping[bytes, bytes]) -> None:
        self.base = base
        self.created = created

    def __getitem__(self, node_hash: bytes) -> bytes:
        found = self.created.get(node_hash)
        return found if found is not None else self.base[node_hash]

    def get(self, node_hash: bytes, default: bytes | None = None) -> bytes | None:  # type: ignore[override]
        found = self.created.get(node_hash)
        return found if found is not None else self.base.get(node_hash, default)

    def __iter__(self) -> Iterator[bytes]:
        yield from self.created
        yield from self.base

    def __len__(self) -> int:
        return len(self.created) + len(self.base)


# ---- encoding ----


def _encode_entropy(number: int, value: PotEntropyValue) -> bytes:
    target = encode_u8(0) if value.target_slot is None else encode_u8(1) + encode_u64(value.target_slot)
    return encode_u32(number) + value.entropy + target


def encode_scalars(state: ChainState) -> bytes:
    """number | best_slot | issuance | history size | last segment hash | ranges | era | adjust flag | entropy |
    iterations | pending change | byte fee | dynamic flag | votes in block: the record under SCALARS_KEY."""
    return b"".join(
        (
            encode_u32(state.number),
            encode_u64(state.best_slot),
            encode_u128(state.total_issuance),
            encode_u64(state.history_size),
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


def _read_entropy(reader: Reader) -> tuple[int, PotEntropyValue]:
    number, entropy = reader.read_u32(), reader.read_bytes(BLAKE3_HASH_SIZE)
    target = reader.read_u64() if reader.read_option_tag() else None
    return number, PotEntropyValue(entropy, target)


def read_chain_state(reader: Reader) -> ChainState:
    version = reader.read_u8()
    if version != CHAIN_STATE_VERSION:
        msg = f"ChainState: version {version}, this release reads version {CHAIN_STATE_VERSION}"
        raise ChainStateVersionMismatch(msg)
    root = reader.read_bytes(HASH_SIZE)
    return dataclasses.replace(read_scalars(reader), root=root)


def read_scalars(reader: Reader) -> ChainState:
    """The scalars record (a ChainState with no root or nodes yet)."""
    state = ChainState(
        number=reader.read_u32(),
        best_slot=reader.read_u64(),
        total_issuance=read_u128(reader),
        history_size=reader.read_u64(),
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
    numbers = [number for number, _ in state.pot_entropy]
    if numbers != sorted(set(numbers)):
        msg = "ChainState: pot entropy is not sorted by block number"
        raise DecodeError(msg)
    return state


def encode_account(account: Account) -> bytes:
    """balance u128 | nonce u64: an account's value in the trie."""
    return encode_u128(account.balance) + encode_u64(account.nonce)


def decode_account(data: bytes) -> Account:
    """An account's trie value; DecodeError unless exactly one."""
    if len(data) != ACCOUNT_SIZE:
        msg = f"account: {len(data)} bytes, expected {ACCOUNT_SIZE}"
        raise DecodeError(msg)
    return Account(int.from_bytes(data[:16], "little"), int.from_bytes(data[16:], "little"))


def account_key(public_key: bytes) -> bytes:
    """The trie key of an account."""
    return ACCOUNT_PREFIX + bytes(public_key)


def segment_key(segment_index: int) -> bytes:
    """The trie key of a recorded segment's commitment."""
    return SEGMENT_PREFIX + encode_u64(segment_index)


# ---- reading ----


def get_account(state: ChainState, public_key: bytes) -> Account:
    """The account of `public_key` (an empty account when it has none)."""
    value = lookup(state.nodes, state.root, account_key(public_key))
    return EMPTY_ACCOUNT if value is None else decode_account(value)


def get_balance(state: ChainState, public_key: bytes) -> int:
    """Balance of `public_key` in Shannon."""
    return get_account(state, public_key).balance


def get_segment_commitment(state: ChainState, segment_index: int) -> bytes | None:
    """The commitment of a recorded segment, None beyond the history size."""
    if not 0 <= segment_index < state.history_size:
        return None
    return lookup(state.nodes, state.root, segment_key(segment_index))


# ---- writing ----


class StateWriter:
    """The transition of one state into the next: scalars replaced in `scalars`, accounts and segments written to a
    trie writer over the base state; `finish()` applies them once and returns the new state."""

    def __init__(self, base: ChainState) -> None:
        self.base = base
        self.scalars = base
        self.trie = TrieWriter(base.nodes, base.root)

    def update(self, **fields: object) -> None:
        """Replace scalar fields."""
        self.scalars = dataclasses.replace(self.scalars, **fields)  # type: ignore[arg-type]

    def account(self, public_key: bytes) -> Account:
        value = self.trie.get(account_key(public_key))
        return EMPTY_ACCOUNT if value is None else decode_account(value)

    def set_account(self, public_key: bytes, account: Account) -> None:
        """Write an account (an empty one is removed, so the state stays canonical)."""
        if account == EMPTY_ACCOUNT:
            self.trie.delete(account_key(public_key))
        else:
            self.trie.set(account_key(public_key), encode_account(account))

    def credit(self, public_key: bytes, amount: int) -> None:
        account = self.account(public_key)
        self.set_account(public_key, Account(account.balance + amount, account.nonce))

    def record_segment_headers(self, segment_headers: Sequence[SegmentHeader]) -> None:
        """Record the commitments of headers that continue the recorded segment chain, in order."""
        count, last_hash = self.scalars.history_size, self.scalars.last_segment_header_hash
        for header in segment_headers:
            # Each header is the next segment, and names the last recorded header as its parent.
            if header.segment_index != count:
                msg = f"segment header {header.segment_index} given where segment {count} comes next"
                raise OutOfOrderSegmentHeader(msg)
            if header.prev_segment_header_hash != last_hash:
                msg = f"segment header {header.segment_index} names parent {header.prev_segment_header_hash.hex()}"
                raise OutOfOrderSegmentHeader(msg)
            self.trie.set(segment_key(count), bytes(header.segment_commitment))
            count, last_hash = count + 1, bytes(header.hash())
        self.update(history_size=count, last_segment_header_hash=last_hash)

    def finish(self) -> ChainState:
        """The new state: the scalars record written, the pending writes applied, the root computed."""
        self.trie.set(SCALARS_KEY, encode_scalars(self.scalars))
        changes = self.trie.commit()
        nodes = OverlayNodes(self.base.nodes, changes.created)
        return dataclasses.replace(self.scalars, root=changes.root, nodes=nodes, changes=changes)


def apply_account_changes(state: ChainState, changes: Mapping[bytes, Account]) -> ChainState:
    """The state with these accounts replaced (empty ones removed)."""
    writer = StateWriter(state)
    for public_key, account in changes.items():
        writer.set_account(bytes(public_key), account)
    return writer.finish()


def append_segment_headers(state: ChainState, segment_headers: Sequence[SegmentHeader]) -> ChainState:
    """The state with the commitments of headers that continue the recorded segment chain, in order."""
    writer = StateWriter(state)
    writer.record_segment_headers(segment_headers)
    return writer.finish()


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
    domains: Sequence[DomainGenesis] = (),
) -> ChainState:
    """The state before block 1: endowed accounts, the genesis ranges, the segments archived at genesis, and the
    genesis domains with their operators (chain_ledger.apply_domains_genesis).

    `segment_headers` records history that exists before block 1 (the reference archives the genesis
    block into segment 0 at once): block 1's solution needs a recorded segment to prove its piece.
    Its nodes are in memory (`nodes`, and `changes.created` for the node to persist).
    """
    _validate_genesis(endowments, solution_range, pot_slot_iterations)
    empty = ChainState(
        number=0,
        best_slot=0,
        total_issuance=sum(endowments.values()),
        history_size=0,
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
    writer = StateWriter(empty)
    for key, balance in endowments.items():
        writer.set_account(bytes(key), Account(balance, 0))
    writer.record_segment_headers(segment_headers)
    from autonomys.protocol.consensus.chain_ledger import apply_domains_genesis  # noqa: PLC0415 - it imports this module

    apply_domains_genesis(writer, domains, params)
    writer.update(transaction_byte_fee=compute_next_transaction_byte_fee(writer.scalars, params))
    state = writer.finish()
    return dataclasses.replace(state, nodes=dict(state.changes.created) if state.changes else {})


def genesis_header_hash(genesis: ChainState) -> Blake3Hash:
    """blake3(b"autonomys-genesis" | genesis state root): block 1's parent hash, and the PoT genesis hash."""
    return genesis_hash_of_root(genesis.root)


def genesis_hash_of_root(state_root: bytes) -> Blake3Hash:
    """The genesis hash of a genesis state with this root."""
    return Blake3Hash(blake3.blake3(GENESIS_HASH_TAG + bytes(state_root)).digest())
