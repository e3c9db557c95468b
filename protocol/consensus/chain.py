"""The consensus chain's rules: import a block onto its parent's state, or build one as its author.

`import_block` checks a block in a fixed order and returns the state it produces, or raises a named
InvalidBlock subclass (protocol.errors) and returns nothing; states are immutable values, so a rejected
block leaves its parent's state as it was. Time enters only as BlockContext.current_slot and the PoT
outputs the node knows (BlockContext.proof_of_time). `build_block` applies the same state transition
for an author, skipping transactions that do not apply, and fills the roots, the PoT change and the seal.

The containers live in protocol.consensus.chain_blocks and the state in protocol.consensus.chain_state; both are re-exported
here so callers import everything from protocol.consensus.chain.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.archiving.pieces import compute_piece_segment_index
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.chain_blocks import (
    MAX_STORE_DATA_SIZE,
    SIGNATURE_SIZE,
    Block,
    Call,
    Header,
    PotInfo,
    PreDigest,
    SignedVote,
    StoreData,
    StoreDataTooLarge,
    Transaction,
    Transfer,
    Vote,
    compute_extrinsics_root,
    compute_transaction_signing_payload,
    sign_transaction,
    sign_vote,
)
from autonomys.protocol.consensus.chain_entropy import (
    compute_pot_entropy,
    derive_pot_parameters_change,
    process_pot_entropy,
)
from autonomys.protocol.consensus.chain_ledger import ChainLedger
from autonomys.protocol.consensus.chain_limits import BlockBudget, validate_block_limits
from autonomys.protocol.consensus.chain_segments import ArchivedSegmentHeaders, validate_segment_headers
from autonomys.protocol.consensus.chain_state import (
    FIXED_TRANSACTION_BYTE_FEE,
    MIN_REPLICATION_FACTOR,
    Account,
    ChainState,
    PotEntropyValue,
    StateWriter,
    append_segment_headers,
    apply_account_changes,
    compute_next_transaction_byte_fee,
    compute_transaction_byte_fee,
    genesis_header_hash,
    genesis_state,
    get_account,
    get_balance,
    get_segment_commitment,
)
from autonomys.protocol.consensus.chain_transactions import (
    BASE_FEE,
    apply_transaction,
    compute_transaction_fee,
    credit_account,
    is_signature_valid,
    process_transactions,
    process_transactions_to,
)
from autonomys.protocol.domains.domain_extrinsics import (
    NO_DOMAIN_EXTRINSICS,
    DomainExtrinsics,
    process_domain_extrinsics,
)
from autonomys.protocol.domains.params import domains_params_for
from autonomys.protocol.domains.submit import ConsensusBlockInfo
from autonomys.protocol.domains.submit import begin_block as begin_domains_block
from autonomys.protocol.errors import (
    Equivocation,
    InvalidBlockNumber,
    InvalidBlockSolution,
    InvalidExtrinsicsRoot,
    InvalidPotParametersChange,
    InvalidSeal,
    InvalidSector,
    InvalidSolution,
    InvalidStateRoot,
    InvalidVote,
    PotMismatch,
    SlotInTheFuture,
    SlotInThePast,
    UnknownParent,
    UnknownProofOfTime,
    UnknownSegmentCommitment,
)
from autonomys.protocol.farming.solution_range import compute_voting_solution_range, derive_next_solution_range
from autonomys.protocol.farming.solutions import MALFORMED, Solution, compute_solution_piece_index, verify_solution
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import Params
from autonomys.protocol.plotting.sectors import compute_expiration_check_segment_index
from autonomys.protocol.timekeeper.pot import PotParametersChange
from autonomys.protocol.types import Blake3Hash, HistorySize, SlotIterations, SlotNumber

__all__ = [
    "BASE_FEE",
    "BLOCK_REWARD",
    "FIXED_TRANSACTION_BYTE_FEE",
    "MAX_STORE_DATA_SIZE",
    "MIN_REPLICATION_FACTOR",
    "SHANNON_PER_AI3",
    "VOTE_REWARD",
    "Account",
    "Block",
    "BlockContext",
    "Call",
    "ChainState",
    "Header",
    "PotEntropyValue",
    "PotInfo",
    "PreDigest",
    "SignedVote",
    "StoreData",
    "StoreDataTooLarge",
    "Transaction",
    "Transfer",
    "Vote",
    "append_segment_headers",
    "apply_account_changes",
    "apply_transaction",
    "build_block",
    "compute_extrinsics_root",
    "compute_next_transaction_byte_fee",
    "compute_pot_entropy",
    "compute_transaction_byte_fee",
    "compute_transaction_fee",
    "credit_account",
    "compute_transaction_signing_payload",
    "derive_pot_parameters_change",
    "genesis_header_hash",
    "genesis_state",
    "get_account",
    "get_balance",
    "get_segment_commitment",
    "import_block",
    "is_signature_valid",
    "process_era_change",
    "process_pot_entropy",
    "process_transactions",
    "sign_transaction",
    "sign_vote",
    "validate_vote",
]

# Our economics (the reference's issuance curve and weight fees are out of scope); all in Shannon.
SHANNON_PER_AI3: Final = 10**18
BLOCK_REWARD: Final = SHANNON_PER_AI3 // 10
VOTE_REWARD: Final = SHANNON_PER_AI3 // 100

# InvalidVote.reason for the vote rules (a solution failure carries the farming.REASONS entry instead).
VOTE_WRONG_HEIGHT = "wrong_height"
VOTE_WRONG_PARENT = "wrong_parent"
VOTE_SLOT_IN_THE_PAST = "slot_in_the_past"
VOTE_SLOT_IN_THE_FUTURE = "slot_in_the_future"
VOTE_POT_MISMATCH = "pot_mismatch"
VOTE_BAD_SIGNATURE = "bad_signature"
VOTE_UNKNOWN_SEGMENT_COMMITMENT = "unknown_segment_commitment"
VOTE_REASONS = (
    VOTE_WRONG_HEIGHT,
    VOTE_WRONG_PARENT,
    VOTE_SLOT_IN_THE_PAST,
    VOTE_SLOT_IN_THE_FUTURE,
    VOTE_POT_MISMATCH,
    VOTE_BAD_SIGNATURE,
    VOTE_UNKNOWN_SEGMENT_COMMITMENT,
)


@dataclass(frozen=True, slots=True)
class BlockContext:
    """What importing a block needs beyond the parent state: parameters, KZG, PoT knowledge and the time."""

    params: Params
    kzg: Kzg
    pos_table: str
    """Proof-of-space table solutions are checked with ("chia" or "shim"; normally params.pos_table)."""
    proof_of_time: Callable[[int], bytes | None]
    """The PoT output of a slot as this node knows it, None when it does not know it (yet)."""
    current_slot: int
    """The node's current slot: blocks from later slots are rejected."""
    genesis_hash: bytes
    """The network's genesis hash, which every transaction signs."""
    archived_segment_headers: ArchivedSegmentHeaders
    """The segment headers this node's archive produced for each block it archived (chain_segments)."""


# ---- header checks ----


def validate_parent(parent_state: ChainState, parent_hash: bytes, header: Header) -> None:
    """Raise unless the header builds on `parent_hash` at the next number."""
    if header.parent_hash != parent_hash:
        msg = f"block names parent {header.parent_hash.hex()}, importing onto {bytes(parent_hash).hex()}"
        raise UnknownParent(msg)
    if header.number != parent_state.number + 1:
        msg = f"block number {header.number} does not follow parent number {parent_state.number}"
        raise InvalidBlockNumber(msg)


def validate_slot(parent_state: ChainState, slot: int, current_slot: int) -> None:
    """Raise unless parent slot < slot ≤ current slot."""
    # Slots strictly increase along a chain.
    if slot <= parent_state.best_slot:
        msg = f"slot {slot} is not after the parent's slot {parent_state.best_slot}"
        raise SlotInThePast(msg)
    # No block from a slot that has not come yet.
    if slot > current_slot:
        msg = f"slot {slot} is after the current slot {current_slot}"
        raise SlotInTheFuture(msg)


def _known_proof_of_time(slot: int, context: BlockContext) -> bytes:
    output = context.proof_of_time(slot)
    if output is None:
        msg = f"no proof of time known for slot {slot}"
        raise UnknownProofOfTime(msg)
    return bytes(output)


def validate_proof_of_time(slot: int, proof_of_time: bytes, future_proof_of_time: bytes, context: BlockContext) -> None:
    """Raise UnknownProofOfTime / PotMismatch unless both outputs are the node's own for slot and slot + delay."""
    future_slot = slot + context.params.block_authoring_delay
    if proof_of_time != _known_proof_of_time(slot, context):
        msg = f"proof_of_time {proof_of_time.hex()} is not slot {slot}'s output"
        raise PotMismatch(msg)
    if future_proof_of_time != _known_proof_of_time(future_slot, context):
        msg = f"future_proof_of_time {future_proof_of_time.hex()} is not slot {future_slot}'s output"
        raise PotMismatch(msg)


def validate_seal(header: Header) -> None:
    """Raise InvalidSeal unless the solution's key signed the header's pre-hash."""
    if not is_signature_valid(header.solution.public_key, header.pre_hash(), header.seal):
        msg = f"seal of block {header.number} is not signed by {header.solution.public_key.hex()}"
        raise InvalidSeal(msg)


# ---- solutions and votes ----


def _verify_chain_solution(
    state: ChainState, solution: Solution, slot: int, proof_of_time: bytes, solution_range: int, context: BlockContext
) -> None:
    """verify_solution with the piece checks against the recorded segments (raises InvalidSolution or
    UnknownSegmentCommitment)."""
    params = context.params
    try:
        segment_index = compute_piece_segment_index(compute_solution_piece_index(solution, params), params)
        expiration_index = compute_expiration_check_segment_index(HistorySize(solution.history_size), params)
    except (InvalidSector, OverflowError) as error:
        raise InvalidSolution(MALFORMED, str(error)) from error
    # The solution's piece must be in a segment the chain has recorded.
    if segment_index >= state.history_size:
        msg = f"segment {segment_index} is not recorded (history size {state.history_size})"
        raise UnknownSegmentCommitment(msg)
    commitment = get_segment_commitment(state, segment_index)
    if commitment is None:
        msg = f"segment {segment_index} has no commitment in the state"
        raise UnknownSegmentCommitment(msg)
    verify_solution(
        solution,
        slot=slot,
        proof_of_time=proof_of_time,
        solution_range=solution_range,
        kzg=context.kzg,
        pos_table=context.pos_table,
        segment_commitment=commitment,
        current_history_size=state.history_size,
        max_pieces_in_sector=params.max_pieces_in_sector,
        sector_expiration_check_segment_commitment=get_segment_commitment(state, expiration_index),
        params=params,
    )


def validate_block_solution(parent_state: ChainState, pre_digest: PreDigest, context: BlockContext) -> None:
    """Raise InvalidBlockSolution (its reason) or UnknownSegmentCommitment unless the solution wins the slot."""
    try:
        _verify_chain_solution(
            parent_state,
            pre_digest.solution,
            pre_digest.slot,
            pre_digest.pot_info.proof_of_time,
            parent_state.solution_range,
            context,
        )
    except InvalidSolution as error:
        raise InvalidBlockSolution(error.reason, error.detail) from error


def validate_vote_shape(parent_state: ChainState, parent_hash: bytes, signed_vote: SignedVote, block_slot: int) -> None:
    """Raise InvalidVote unless the vote is for the next height on `parent_hash`, in a slot after the parent's
    and not after `block_slot`, and signed by its solution's key (the checks that need no PoT or KZG)."""
    vote = signed_vote.vote
    if vote.height != parent_state.number + 1:
        raise InvalidVote(VOTE_WRONG_HEIGHT, f"height {vote.height}, expected {parent_state.number + 1}")
    if vote.parent_hash != parent_hash:
        raise InvalidVote(VOTE_WRONG_PARENT, f"parent {vote.parent_hash.hex()}")
    if vote.slot <= parent_state.best_slot:
        raise InvalidVote(VOTE_SLOT_IN_THE_PAST, f"slot {vote.slot} <= parent slot {parent_state.best_slot}")
    if vote.slot > block_slot:
        raise InvalidVote(VOTE_SLOT_IN_THE_FUTURE, f"slot {vote.slot} > {block_slot}")
    if not is_signature_valid(vote.solution.public_key, vote.hash(), signed_vote.signature):
        raise InvalidVote(VOTE_BAD_SIGNATURE, f"not signed by {vote.solution.public_key.hex()}")


def validate_vote(
    parent_state: ChainState,
    parent_hash: bytes,
    signed_vote: SignedVote,
    context: BlockContext,
    *,
    block_slot: int | None = None,
) -> None:
    """Raise InvalidVote (or UnknownProofOfTime) unless the vote may go into a block on `parent_hash` at
    `block_slot` (default: the current slot): its shape, its PoT, and its solution within the voting range."""
    vote = signed_vote.vote
    validate_vote_shape(
        parent_state, parent_hash, signed_vote, context.current_slot if block_slot is None else block_slot
    )
    try:
        validate_proof_of_time(vote.slot, vote.proof_of_time, vote.future_proof_of_time, context)
    except PotMismatch as error:
        raise InvalidVote(VOTE_POT_MISMATCH, str(error)) from error
    try:
        _verify_chain_solution(
            parent_state, vote.solution, vote.slot, vote.proof_of_time, parent_state.voting_solution_range, context
        )
    except InvalidSolution as error:
        raise InvalidVote(error.reason, error.detail) from error
    except UnknownSegmentCommitment as error:
        raise InvalidVote(VOTE_UNKNOWN_SEGMENT_COMMITMENT, str(error)) from error


def compute_solution_key(solution: Solution, slot: int) -> tuple[bytes, int, int, bytes, int]:
    """(public key, sector index, piece offset, chunk, slot): what one farmer may use once (equivocation key)."""
    return (solution.public_key, solution.sector_index, solution.piece_offset, solution.chunk, slot)


def validate_no_equivocation(pre_digest: PreDigest, votes: Sequence[SignedVote]) -> None:
    """Raise Equivocation when the block's solution and its votes use one solution twice."""
    seen = {compute_solution_key(pre_digest.solution, pre_digest.slot)}
    for signed_vote in votes:
        key = compute_solution_key(signed_vote.vote.solution, signed_vote.vote.slot)
        if key in seen:
            msg = f"solution of {key[0].hex()} at slot {key[4]} is used twice in the block"
            raise Equivocation(msg)
        seen.add(key)


# ---- block-level state changes ----


def process_rewards(writer: StateWriter, reward_address: bytes, votes: Sequence[SignedVote]) -> None:
    """Pay BLOCK_REWARD to the author and VOTE_REWARD to each voter; issuance grows by exactly that much."""
    writer.credit(reward_address, BLOCK_REWARD)
    for signed_vote in votes:
        writer.credit(signed_vote.vote.solution.reward_address, VOTE_REWARD)
    issuance = writer.scalars.total_issuance + BLOCK_REWARD + VOTE_REWARD * len(votes)
    writer.update(total_issuance=issuance, votes_in_block=len(votes))


def process_era_change(state: ChainState, slot: int, params: Params) -> ChainState:
    """At every era_duration-th block, re-derive the ranges from the era's slot count (when adjusting is on)
    and start the next era at this block's slot."""
    if state.number % params.era_duration != 0:
        return state
    solution_range, voting_range = state.solution_range, state.voting_solution_range
    if state.should_adjust_solution_range:
        era_slot_count = slot - state.era_start_slot
        solution_range = derive_next_solution_range(
            state.solution_range, era_slot_count, params.slot_probability, params.era_duration
        )
        voting_range = compute_voting_solution_range(solution_range)
    return dataclasses.replace(
        state,
        solution_range=solution_range,
        voting_solution_range=voting_range,
        era_start_slot=slot,
        era_start_number=state.number,
    )


@dataclass(frozen=True, slots=True)
class BlockBody:
    """What a block carries besides its header, and what the domains rules need to judge its bundles."""

    parent_hash: bytes
    votes: Sequence[SignedVote]
    segment_headers: Sequence[SegmentHeader]
    transactions: Sequence[Transaction]
    domain: DomainExtrinsics = NO_DOMAIN_EXTRINSICS
    proof_of_time: Callable[[int], bytes | None] = lambda slot: None


def _apply_block_body(
    parent_state: ChainState,
    pre_digest: PreDigest,
    body: BlockBody,
    params: Params,
    *,
    genesis_hash: bytes,
    budget: BlockBudget | None,
) -> tuple[ChainState, tuple[Transaction, ...], DomainExtrinsics]:
    """The state transition after the header checks: segments, transactions, domain extrinsics (fraud proofs,
    singleton receipts, bundles), rewards, era, PoT entropy, fees.

    With a `budget` (block building) transactions and bundles that do not apply or do not fit are left out;
    without one (import) the first invalid one raises."""
    solution = pre_digest.solution
    domains = domains_params_for(params)
    writer = StateWriter(parent_state)
    writer.update(number=parent_state.number + 1, best_slot=pre_digest.slot)
    ledger = ChainLedger(writer)
    begin_domains_block(ledger, domains, parent_state.number, parent_state.best_slot, body.parent_hash)
    writer.record_segment_headers(body.segment_headers)
    included = process_transactions_to(
        writer, body.transactions, author=solution.reward_address, genesis_hash=genesis_hash,
        skip_invalid=budget is not None, admit=None if budget is None else budget.admit_transaction, domains=domains,
    )  # fmt: skip
    info = ConsensusBlockInfo(
        writer.scalars.number, pre_digest.slot, body.parent_hash, solution.reward_address,
        writer.scalars.transaction_byte_fee, params.block_authoring_delay, body.proof_of_time,
        params.slot_timestamp_ms(pre_digest.slot), pre_digest.pot_info.proof_of_time,
    )  # fmt: skip
    domain = process_domain_extrinsics(ledger, body.domain, info, domains, skip_invalid=budget is not None)
    votes = body.votes
    process_rewards(writer, solution.reward_address, votes)
    scalars = process_era_change(writer.scalars, pre_digest.slot, params)
    scalars = process_pot_entropy(scalars, pre_digest.slot, solution.chunk, pre_digest.pot_info.proof_of_time, params)
    writer.scalars = dataclasses.replace(
        scalars, transaction_byte_fee=compute_next_transaction_byte_fee(scalars, params)
    )
    return writer.finish(), included, domain


# ---- import and build ----


def validate_header(parent_state: ChainState, parent_hash: bytes, block: Block, context: BlockContext) -> None:
    """The checks that need no state transition: link, slot, PoT, extrinsics root, seal, solution."""
    header = block.header
    validate_parent(parent_state, parent_hash, header)
    validate_slot(parent_state, header.slot, context.current_slot)
    pot_info = header.pre_digest.pot_info
    validate_proof_of_time(header.slot, pot_info.proof_of_time, pot_info.future_proof_of_time, context)
    # The header commits to exactly this body.
    if header.extrinsics_root != block.extrinsics_root():
        msg = f"extrinsics root {header.extrinsics_root.hex()} is not the body's {block.extrinsics_root().hex()}"
        raise InvalidExtrinsicsRoot(msg)
    validate_seal(header)
    validate_block_solution(parent_state, header.pre_digest, context)


def import_block(parent_state: ChainState, parent_hash: bytes, block: Block, context: BlockContext) -> ChainState:
    """The state `block` produces on `parent_state` (the state of block `parent_hash`); raises a named
    InvalidBlock subclass at the first rule it breaks."""
    header = block.header
    # Bounded blocks: length and weight are checked before anything costly.
    validate_block_limits(block)
    validate_header(parent_state, parent_hash, block, context)
    for signed_vote in block.votes:
        validate_vote(parent_state, parent_hash, signed_vote, context, block_slot=header.slot)
    validate_no_equivocation(header.pre_digest, block.votes)
    # History is recorded only as this node archived it.
    validate_segment_headers(header.number, block.segment_headers, context.archived_segment_headers, context.params)
    domain = DomainExtrinsics(block.bundles, block.receipts, block.fraud_proofs)
    body = BlockBody(parent_hash, block.votes, block.segment_headers, block.transactions, domain, context.proof_of_time)
    state, _, _ = _apply_block_body(
        parent_state, header.pre_digest, body, context.params, genesis_hash=context.genesis_hash, budget=None
    )
    # The header must announce the PoT change the entropy rules derive.
    if header.pot_parameters_change != state.pending_pot_parameters_change:
        msg = f"header carries {header.pot_parameters_change}, the rules derive {state.pending_pot_parameters_change}"
        raise InvalidPotParametersChange(msg)
    # The header commits to the state the block produces.
    if header.state_root != state.state_root():
        msg = f"state root {header.state_root.hex()} is not the produced state's {state.state_root().hex()}"
        raise InvalidStateRoot(msg)
    return state


def _includable_votes(
    parent_state: ChainState,
    parent_hash: bytes,
    pre_digest: PreDigest,
    votes: Sequence[SignedVote],
    budget: BlockBudget,
) -> tuple[SignedVote, ...]:
    """The votes that pass the shape checks, without reusing a solution (first one wins), while they fit."""
    included: list[SignedVote] = []
    for signed_vote in votes:
        try:
            validate_vote_shape(parent_state, parent_hash, signed_vote, pre_digest.slot)
            validate_no_equivocation(pre_digest, (*included, signed_vote))
        except (InvalidVote, Equivocation):
            continue
        if budget.admit_vote(signed_vote):
            included.append(signed_vote)
    return tuple(included)


def _reserved_length(parent_hash: bytes, pre_digest: PreDigest, segment_headers: Sequence[SegmentHeader]) -> int:
    """Bytes a block takes before its transactions and votes: the header (with room for a PoT change), the
    segment headers and the three vectors' longest length prefixes."""
    header = Header(
        bytes(parent_hash), 0, bytes(32), bytes(32), pre_digest,
        PotParametersChange(SlotNumber(0), SlotIterations(16), Blake3Hash(bytes(32))),
        bytes(SIGNATURE_SIZE),
    )  # fmt: skip
    return len(header.to_bytes()) + sum(len(item.to_bytes()) for item in segment_headers) + 3 * 5


def build_block(
    parent_state: ChainState,
    parent_hash: bytes,
    *,
    slot: int,
    solution: Solution,
    pot_info: PotInfo,
    transactions: Sequence[Transaction],
    votes: Sequence[SignedVote],
    segment_headers: Sequence[SegmentHeader],
    params: Params,
    genesis_hash: bytes,
    sign: Callable[[bytes], bytes],
    domain: DomainExtrinsics = NO_DOMAIN_EXTRINSICS,
    proof_of_time: Callable[[int], bytes | None] = lambda slot: None,
) -> Block:
    """A sealed block on `parent_hash` that import_block accepts (given a winning solution, the node's PoT
    outputs, votes that passed validate_vote and the segment headers get_expected_segment_headers gives);
    transactions that do not apply and malformed votes are left out, and votes then transactions are taken in
    the order given while they fit the block's length and weight (chain_limits).

    OutOfOrderSegmentHeader is raised when `segment_headers` do not continue the recorded chain.
    """
    pre_digest = PreDigest(slot, solution, pot_info)
    budget = BlockBudget(_reserved_length(parent_hash, pre_digest, segment_headers))
    included_votes = _includable_votes(parent_state, parent_hash, pre_digest, votes, budget)
    body = BlockBody(parent_hash, included_votes, segment_headers, transactions, domain, proof_of_time)
    state, included, included_domain = _apply_block_body(
        parent_state, pre_digest, body, params, genesis_hash=genesis_hash, budget=budget
    )
    header = Header(
        parent_hash=bytes(parent_hash),
        number=state.number,
        state_root=bytes(state.state_root()),
        extrinsics_root=bytes(
            compute_extrinsics_root(
                included,
                included_votes,
                segment_headers,
                included_domain.bundles,
                included_domain.receipts,
                included_domain.fraud_proofs,
            )
        ),  # fmt: skip
        pre_digest=pre_digest,
        pot_parameters_change=state.pending_pot_parameters_change,
        seal=bytes(SIGNATURE_SIZE),
    )
    header = dataclasses.replace(header, seal=bytes(sign(header.pre_hash())))
    return Block(
        header, included, included_votes, tuple(segment_headers), included_domain.bundles, included_domain.receipts,
        included_domain.fraud_proofs,
    )  # fmt: skip
