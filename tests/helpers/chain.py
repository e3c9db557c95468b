"""Builders for consensus-chain tests: sr25519 key pairs, a farmer with a plotted MINIMAL sector that finds
real solutions, a deterministic PoT oracle, genesis states and blocks built (or re-sealed) on a parent."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import blake3
import pytest
import sr25519

from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.chain import (
    Block,
    BlockContext,
    ChainState,
    PotInfo,
    SignedVote,
    StoreData,
    Transaction,
    Transfer,
    Vote,
    build_block,
    compute_extrinsics_root,
    genesis_header_hash,
    genesis_state,
    import_block,
    sign_transaction,
    sign_vote,
)
from autonomys.protocol.consensus.chain_segments import ArchivedSegmentHeaders
from autonomys.protocol.consensus.chain_state import ACCOUNT_SIZE, decode_account, get_segment_commitment
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import InvalidBlock
from autonomys.protocol.farming.proving import FarmerKeys, prove_candidate
from autonomys.protocol.farming.solutions import Solution, audit_s_bucket, compute_audit_target, derive_slot_challenge
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import MINIMAL, Params
from autonomys.protocol.plotting import encoding as plotting
from autonomys.protocol.plotting.reading import read_s_bucket
from autonomys.protocol.plotting.sectors import compute_public_key_hash, compute_sector_id, compute_sector_piece_indexes
from autonomys.protocol.state.trie import leaves
from helpers.history import ArchivedHistory, archived_history
from helpers.sectors import PlottedSector, plot_pieces

PARAMS = MINIMAL


def recorded_commitments(state: ChainState) -> tuple[bytes, ...]:
    """Every segment commitment the state records, in segment order."""
    commitments = tuple(get_segment_commitment(state, index) for index in range(state.history_size))
    assert all(commitment is not None for commitment in commitments)
    return commitments  # type: ignore[return-value]


def account_total(state: ChainState) -> int:
    """The sum of every balance in the state's trie (accounts are its only 24-byte values)."""
    return sum(
        decode_account(leaf.value).balance
        for leaf in leaves(state.nodes, state.root)
        if len(leaf.value) == ACCOUNT_SIZE
    )


SECTOR_HISTORY_SIZE = 3
ARCHIVED_SEGMENTS = 6
"""Segments archived for the tests; the first GENESIS_SEGMENTS are recorded at genesis, the rest go into blocks."""
GENESIS_SEGMENTS = 4
ENDOWMENT = 10**20


def compute_test_proof_of_time(slot: int) -> bytes:
    """The PoT output every test node agrees on for `slot`."""
    return blake3.blake3(b"test-pot" + slot.to_bytes(8, "little")).digest()[:16]


def compute_pot_info(slot: int, params: Params = PARAMS) -> PotInfo:
    return PotInfo(compute_test_proof_of_time(slot), compute_test_proof_of_time(slot + params.block_authoring_delay))


@dataclass(frozen=True)
class Keypair:
    public_key: bytes
    secret_key: bytes

    @classmethod
    def named(cls, name: str) -> Keypair:
        public, secret = sr25519.pair_from_seed(blake3.blake3(name.encode()).digest())
        return cls(bytes(public), bytes(secret))

    def sign(self, message: bytes) -> bytes:
        return bytes(sr25519.sign((self.public_key, self.secret_key), message))


@dataclass(frozen=True)
class Won:
    """A solution that wins `slot` at `distance` from the challenge (within any range > 2 × distance)."""

    slot: int
    solution: Solution
    distance: int


class ChainFarmer:
    """A farmer with a real sr25519 key and one plotted sector; `solve(slot)` proves the nearest encoded chunk."""

    def __init__(self, name: str, history: ArchivedHistory, kzg: Kzg, params: Params = PARAMS) -> None:
        self.keypair = Keypair.named(name)
        self.reward_address = blake3.blake3(b"reward-" + name.encode()).digest()
        self.keys = FarmerKeys(self.keypair.public_key, self.reward_address)
        self.kzg = kzg
        self.params = params
        self.plotted = plot_farmer_sector(self.keypair.public_key, history, params)
        self.table = plotting.new_pos_table(params)

    @functools.cache  # noqa: B019 (farmers live for a test module)
    def solve(self, slot: int) -> Won | None:
        challenge = derive_slot_challenge(compute_test_proof_of_time(slot), slot)
        target = compute_audit_target(self.plotted.sector_id, challenge, self.params)
        chunks = read_s_bucket(self.plotted.sector, self.plotted.metadata, target.s_bucket, self.params)
        for candidate in audit_s_bucket(chunks, target, challenge, U64_MAX):
            plotted, params = self.plotted, self.params
            solution = prove_candidate(
                plotted.sector, plotted.metadata, self.keys, target.s_bucket, candidate, self.table, self.kzg, params
            )
            if solution is not None:
                return Won(slot, solution, candidate.distance)
        return None

    def wins(self, first_slot: int, count: int) -> list[Won]:
        """The first `count` slots from first_slot on that this farmer wins at the widest range."""
        found: list[Won] = []
        slot = first_slot
        while len(found) < count:
            won = self.solve(slot)
            if won is not None:
                found.append(won)
            slot += 1
        return found

    def vote(self, won: Won, parent_hash: bytes, height: int) -> SignedVote:
        pot_info = compute_pot_info(won.slot, self.params)
        vote = Vote(parent_hash, height, won.slot, won.solution, pot_info.proof_of_time, pot_info.future_proof_of_time)
        return sign_vote(vote, self.keypair.sign)


def plot_farmer_sector(public_key: bytes, history: ArchivedHistory, params: Params) -> PlottedSector:
    sector_id = compute_sector_id(compute_public_key_hash(public_key), 0, SECTOR_HISTORY_SIZE)
    indexes = compute_sector_piece_indexes(sector_id, SECTOR_HISTORY_SIZE, params.max_pieces_in_sector, params)
    pieces = [history.get_piece(index) for index in indexes]
    table = plotting.new_pos_table(params)
    return plot_pieces(pieces, sector_id, table, params, history_size=SECTOR_HISTORY_SIZE)


def make_genesis(
    segment_headers: Sequence[SegmentHeader], endowed: Sequence[bytes], params: Params = PARAMS, **options: object
) -> ChainState:
    """A genesis at the widest range (every solution wins) with GENESIS_SEGMENTS recorded segments."""
    arguments: dict = {
        "endowments": {key: ENDOWMENT for key in endowed},
        "solution_range": U64_MAX,
        "pot_slot_iterations": params.pot_slot_iterations,
        "segment_headers": segment_headers[:GENESIS_SEGMENTS],
    }
    arguments.update(options)
    return genesis_state(params, **arguments)


TEST_NETWORK = blake3.blake3(b"test-network").digest()
"""The genesis hash the chain tests' transactions sign and their contexts check (a node uses its genesis's)."""


def archived_segments(by_block: Mapping[int, Sequence[SegmentHeader]] | None = None) -> ArchivedSegmentHeaders:
    """An archive that produced these segment headers for these blocks and none for every other block."""
    produced = dict(by_block or {})
    return lambda number: tuple(produced.get(number, ()))


def make_context(
    kzg: Kzg,
    current_slot: int = 10**6,
    params: Params = PARAMS,
    proof_of_time: Callable[[int], bytes | None] = compute_test_proof_of_time,
    archived: ArchivedSegmentHeaders | None = None,
    genesis_hash: bytes = TEST_NETWORK,
) -> BlockContext:
    archived = archived if archived is not None else archived_segments()
    return BlockContext(params, kzg, params.pos_table, proof_of_time, current_slot, genesis_hash, archived)


def build_on(
    parent_state: ChainState,
    parent_hash: bytes,
    farmer: ChainFarmer,
    won: Won,
    *,
    transactions: Sequence[Transaction] = (),
    votes: Sequence[SignedVote] = (),
    segment_headers: Sequence[SegmentHeader] = (),
    params: Params = PARAMS,
    genesis_hash: bytes = TEST_NETWORK,
) -> Block:
    return build_block(
        parent_state,
        parent_hash,
        slot=won.slot,
        solution=won.solution,
        pot_info=compute_pot_info(won.slot, params),
        transactions=transactions,
        votes=votes,
        segment_headers=segment_headers,
        params=params,
        genesis_hash=genesis_hash,
        sign=farmer.keypair.sign,
    )


def reseal(block: Block, signer: Keypair, **changes: object) -> Block:
    """The block with body fields and header fields replaced, its extrinsics root recomputed unless given,
    and sealed again by `signer` (so only the changed rule can fail)."""
    body = {name: changes.pop(name) for name in ("transactions", "votes", "segment_headers") if name in changes}
    block = dataclasses.replace(block, **body)
    changes.setdefault(
        "extrinsics_root", bytes(compute_extrinsics_root(block.transactions, block.votes, block.segment_headers))
    )
    header = dataclasses.replace(block.header, **changes)
    header = dataclasses.replace(header, seal=signer.sign(header.pre_hash()))
    return dataclasses.replace(block, header=header)


ALICE = Keypair.named("alice")
BOB = Keypair.named("bob")
CAROL = Keypair.named("carol")


def transfer(sender: Keypair, nonce: int, to: bytes, amount: int, network: bytes = TEST_NETWORK) -> Transaction:
    return sign_transaction(network, sender.public_key, nonce, Transfer(to, amount), sender.sign)


def store(sender: Keypair, nonce: int, data: bytes, network: bytes = TEST_NETWORK) -> Transaction:
    return sign_transaction(network, sender.public_key, nonce, StoreData(data), sender.sign)


@dataclass(frozen=True)
class ChainSetup:
    """Archived history, a block author and a voter plotted on it, and a genesis that ALICE and BOB are endowed in."""

    kzg: Kzg
    headers: tuple[SegmentHeader, ...]
    author: ChainFarmer
    voter: ChainFarmer
    genesis: ChainState
    genesis_hash: bytes


def make_chain_setup(directory: Path, params: Params = PARAMS) -> ChainSetup:
    kzg = Kzg.dev_setup(num_g1_powers=params.record_num_chunks)
    history = archived_history(directory, params, kzg, ARCHIVED_SEGMENTS)
    headers = tuple(history.archiver.segment_headers())
    genesis = make_genesis(headers, [ALICE.public_key, BOB.public_key], params)
    author, voter = ChainFarmer("author", history, kzg, params), ChainFarmer("voter", history, kzg, params)
    return ChainSetup(kzg, headers, author, voter, genesis, genesis_header_hash(genesis))


def import_onto_genesis(setup: ChainSetup, block: Block, **context_changes: object) -> ChainState:
    context = dataclasses.replace(make_context(setup.kzg), **context_changes)
    return import_block(setup.genesis, setup.genesis_hash, block, context)


def rejected(
    setup: ChainSetup,
    block: Block,
    error: type[InvalidBlock],
    parent: ChainState | None = None,
    **context_changes: object,
) -> InvalidBlock:
    """Import (onto genesis unless `parent` is given) must raise `error` and leave the parent state as it was."""
    parent = setup.genesis if parent is None else parent
    before = parent.to_bytes()
    context = dataclasses.replace(make_context(setup.kzg), **context_changes)
    with pytest.raises(error) as caught:
        import_block(parent, setup.genesis_hash, block, context)
    assert parent.to_bytes() == before
    return caught.value
