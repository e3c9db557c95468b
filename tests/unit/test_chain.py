"""The consensus chain: container bytes, genesis, block import and building, and every rejection by its named
error (`Solution`, `verify_solution`, solution ranges, votes); fees, eras and PoT entropy are in
test_chain_economics.py.

Blocks are real: a MINIMAL sector (shim table) is plotted for sr25519 farmers and each block carries a
proven solution. Genesis sits at the widest solution range, so any encoded chunk wins a slot.
"""

from __future__ import annotations

import dataclasses

import pytest

from autonomys.protocol.consensus import chain
from autonomys.protocol.consensus.chain import (
    BLOCK_REWARD,
    VOTE_REWARD,
    Account,
    Block,
    ChainState,
    Header,
    PotEntropyValue,
    PreDigest,
    SignedVote,
    StoreData,
    Transfer,
    genesis_header_hash,
    get_account,
    get_balance,
    import_block,
)
from autonomys.protocol.consensus.chain_blocks import CALL_TRANSFER, decode_call
from autonomys.protocol.consensus.chain_state import (
    SCALARS_KEY,
    ChainStateVersionMismatch,
    StateWriter,
    apply_account_changes,
    encode_scalars,
    get_segment_commitment,
    segment_key,
)
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import (
    BadNonce,
    BadSignature,
    DecodeError,
    Equivocation,
    InsufficientBalance,
    InvalidBlockNumber,
    InvalidBlockSolution,
    InvalidExtrinsicsRoot,
    InvalidPotParametersChange,
    InvalidSeal,
    InvalidStateRoot,
    InvalidVote,
    OutOfOrderSegmentHeader,
    PotMismatch,
    SlotInTheFuture,
    SlotInThePast,
    UnknownParent,
    UnknownProofOfTime,
    UnknownSegmentCommitment,
)
from autonomys.protocol.farming import solutions as farming
from autonomys.protocol.farming.solution_range import (
    compute_voting_solution_range,
)
from autonomys.protocol.state.trie import lookup
from autonomys.protocol.timekeeper.pot import PotParametersChange
from helpers.chain import (
    ALICE,
    BOB,
    CAROL,
    ENDOWMENT,
    GENESIS_SEGMENTS,
    PARAMS,
    ChainSetup,
    Won,
    account_total,
    archived_segments,
    build_on,
    compute_test_proof_of_time,
    import_onto_genesis,
    make_context,
    make_genesis,
    recorded_commitments,
    rejected,
    reseal,
    store,
    transfer,
)
from helpers.chain_fixtures import chain_setup_fixture, first_block_fixture  # noqa: F401 - the fixtures

# ---- encodings ----


def sample_containers(setup: ChainSetup, first: Block) -> list[object]:
    won = setup.voter.wins(1, 1)[0]
    vote = setup.voter.vote(won, setup.genesis_hash, 1)
    change = PotParametersChange(99, 160, bytes(range(32)))
    header = dataclasses.replace(first.header, pot_parameters_change=change)
    block = Block(header, (transfer(ALICE, 0, BOB.public_key, 5), store(BOB, 3, b"data")), (vote,), setup.headers[4:6])
    state = dataclasses.replace(
        setup.genesis,
        pot_entropy=((10, PotEntropyValue(bytes(32), None)), (20, PotEntropyValue(bytes(range(32)), 7))),
        pending_pot_parameters_change=change,
        should_adjust_solution_range=True,
    )
    return [
        first.header.pre_digest.pot_info,
        first.header.pre_digest,
        vote.vote,
        vote,
        first.header,
        header,
        first,
        block,
        state,
    ] + list(block.transactions)


def decode(value: object, data: bytes) -> object:
    return type(value).from_bytes(data)  # type: ignore[attr-defined]


def test_every_container_round_trips_and_rejects_truncation_and_trailing_bytes(setup: ChainSetup, first: Block) -> None:
    for value in sample_containers(setup, first):
        data = value.to_bytes()  # type: ignore[attr-defined]
        assert decode(value, data) == value
        assert decode(value, data).to_bytes() == data  # type: ignore[attr-defined]
        for broken in (data[:-1], data + b"\x00", data[: len(data) // 2]):
            with pytest.raises(DecodeError):
                decode(value, broken)


def test_calls_round_trip_with_their_tags() -> None:
    for call in (Transfer(bytes(range(32)), 2**128 - 1), StoreData(b""), StoreData(b"x" * 300)):
        assert decode_call(call.to_bytes()) == call
    assert Transfer(bytes(32), 1).to_bytes()[0] == CALL_TRANSFER
    assert StoreData(b"ab").to_bytes() == bytes([1, 2 << 2]) + b"ab"
    for bad in (b"\x02", Transfer(bytes(32), 1).to_bytes()[:-1], StoreData(b"ab").to_bytes() + b"\x00"):
        with pytest.raises(DecodeError):
            decode_call(bad)


def test_pre_digest_bytes_follow_the_reference_layout(first: Block) -> None:
    pre_digest = first.header.pre_digest
    data, solution = pre_digest.to_bytes(), pre_digest.solution.to_bytes()
    assert data[0] == 0
    assert data[1:9] == pre_digest.slot.to_bytes(8, "little")
    assert data[9 : 9 + len(solution)] == solution
    assert (
        data[9 + len(solution) :]
        == b"\x00" + pre_digest.pot_info.proof_of_time + pre_digest.pot_info.future_proof_of_time
    )
    assert len(solution) == 412


def test_header_hashes_cover_the_seal_only_in_hash(first: Block) -> None:
    header = first.header
    other_seal = dataclasses.replace(header, seal=bytes(64))
    assert other_seal.pre_hash() == header.pre_hash()
    assert other_seal.hash() != header.hash()
    assert header.to_bytes() == header.unsealed_bytes() + header.seal
    assert first.hash() == header.hash()


def test_unknown_variants_and_bad_options_are_decode_errors(first: Block) -> None:
    data = bytearray(first.header.pre_digest.to_bytes())
    data[0] = 1
    with pytest.raises(DecodeError, match="variant"):
        PreDigest.from_bytes(bytes(data))
    header = bytearray(first.header.to_bytes())
    header[-65] = 2  # the pot change option tag, just before the seal
    with pytest.raises(DecodeError, match="option"):
        Header.from_bytes(bytes(header))


def with_scalars(state: ChainState, **fields: object) -> ChainState:
    writer = StateWriter(state)
    writer.update(**fields)
    return writer.finish()


def test_the_state_root_covers_every_field(setup: ChainSetup) -> None:
    genesis = setup.genesis
    roots = {genesis.state_root()}
    changes = {
        "number": 1, "best_slot": 1, "total_issuance": 1, "history_size": 1, "solution_range": 5,
        "voting_solution_range": 5, "era_start_slot": 1, "era_start_number": 1, "should_adjust_solution_range": True,
        "pot_slot_iterations": 16, "transaction_byte_fee": 7, "dynamic_storage_fee": True, "votes_in_block": 1,
        "last_segment_header_hash": bytes([1]) * 32,
        "pot_entropy": ((10, PotEntropyValue(bytes(32), None)),),
        "pending_pot_parameters_change": PotParametersChange(1, 16, bytes(32)),
    }  # fmt: skip
    for name, value in changes.items():
        roots.add(with_scalars(genesis, **{name: value}).state_root())
    # The maps in the trie: an account's balance, its nonce, a recorded segment's commitment.
    for account in (Account(ENDOWMENT - 1, 0), Account(ENDOWMENT, 1)):
        roots.add(apply_account_changes(genesis, {ALICE.public_key: account}).state_root())
    writer = StateWriter(genesis)
    writer.trie.set(segment_key(0), bytes(48))
    roots.add(writer.finish().state_root())
    assert len(roots) == len(changes) + 4
    not_scalars = {"root", "nodes", "changes"}
    assert {f.name for f in dataclasses.fields(ChainState)} - not_scalars == set(changes)


def test_a_state_reopens_from_its_bytes_and_nodes(setup: ChainSetup) -> None:
    genesis = setup.genesis
    reopened = ChainState.from_bytes(genesis.to_bytes(), genesis.nodes)
    assert reopened == genesis
    assert get_account(reopened, ALICE.public_key) == Account(ENDOWMENT, 0)
    assert lookup(genesis.nodes, genesis.root, SCALARS_KEY) == encode_scalars(genesis)


def test_a_state_of_another_version_or_cut_short_does_not_decode(setup: ChainSetup) -> None:
    data = setup.genesis.to_bytes()
    with pytest.raises(ChainStateVersionMismatch, match="version 0"):
        ChainState.from_bytes(b"\x00" + data[1:])
    with pytest.raises(DecodeError):
        ChainState.from_bytes(data[:-1])
    with pytest.raises(DecodeError):
        ChainState.from_bytes(data + b"\x00")


# ---- genesis ----


def test_genesis_records_endowments_ranges_and_segments(setup: ChainSetup) -> None:
    genesis = setup.genesis
    assert (genesis.number, genesis.best_slot) == (0, 0)
    assert get_account(genesis, ALICE.public_key) == Account(ENDOWMENT, 0)
    assert get_balance(genesis, CAROL.public_key) == 0
    assert genesis.total_issuance == 2 * ENDOWMENT
    assert recorded_commitments(genesis) == tuple(bytes(h.segment_commitment) for h in setup.headers[:GENESIS_SEGMENTS])
    assert get_segment_commitment(genesis, GENESIS_SEGMENTS) is None
    assert genesis.last_segment_header_hash == setup.headers[GENESIS_SEGMENTS - 1].hash()
    assert genesis.voting_solution_range == compute_voting_solution_range(U64_MAX)
    assert not genesis.should_adjust_solution_range
    assert genesis.transaction_byte_fee == 1
    assert genesis_header_hash(genesis) == setup.genesis_hash
    assert genesis_header_hash(with_scalars(genesis, solution_range=1)) != setup.genesis_hash


def test_genesis_rejects_segment_headers_out_of_order(setup: ChainSetup) -> None:
    with pytest.raises(OutOfOrderSegmentHeader):
        make_genesis(setup.headers[1:], [ALICE.public_key])


# ---- import ----


def test_a_built_block_imports_and_pays_its_author(setup: ChainSetup, first: Block) -> None:
    state = import_onto_genesis(setup, first)
    assert state.state_root() == first.header.state_root
    assert (state.number, state.best_slot) == (1, first.header.slot)
    assert get_balance(state, setup.author.reward_address) == BLOCK_REWARD
    assert state.total_issuance == setup.genesis.total_issuance + BLOCK_REWARD
    assert first.header.pot_parameters_change is None


def test_a_chain_with_votes_segments_and_transactions_imports(setup: ChainSetup) -> None:
    # Confirmation depth 1: block 3 records the segment the archive produced from block 1.
    params = dataclasses.replace(PARAMS, confirmation_depth_k=1)
    produced = setup.headers[GENESIS_SEGMENTS : GENESIS_SEGMENTS + 1]
    context = make_context(setup.kzg, params=params, archived=archived_segments({1: produced}))
    author, voter = setup.author, setup.voter
    state, parent_hash = setup.genesis, setup.genesis_hash
    wins = author.wins(1, 6)
    votes_paid = 0
    for number, won in enumerate(wins, start=1):
        votes = [voter.vote(w, parent_hash, number) for w in voter.wins(state.best_slot + 1, 2) if w.slot <= won.slot]
        segments = produced if number == 3 else ()
        transactions = [transfer(ALICE, number - 1, CAROL.public_key, number)]
        block = build_on(
            state, parent_hash, author, won, transactions=transactions, votes=votes, segment_headers=segments,
            params=params,
        )  # fmt: skip
        assert len(block.votes) == len(votes)
        assert len(block.transactions) == 1
        state, parent_hash = import_block(state, parent_hash, block, context), block.hash()
        assert state.votes_in_block == len(votes)
        votes_paid += len(votes)
    assert votes_paid > 0
    assert get_balance(state, voter.reward_address) == votes_paid * VOTE_REWARD
    assert state.history_size == GENESIS_SEGMENTS + 1
    assert get_account(state, ALICE.public_key).nonce == len(wins)
    assert get_balance(state, CAROL.public_key) == sum(range(1, len(wins) + 1))
    assert state.total_issuance == account_total(state)


def test_wrong_parent_and_number_are_rejected(setup: ChainSetup, first: Block) -> None:
    rejected(setup, reseal(first, setup.author.keypair, parent_hash=bytes(32)), UnknownParent)
    rejected(setup, first, InvalidBlockNumber, parent=dataclasses.replace(setup.genesis, number=1))


def test_past_and_future_slots_are_rejected(setup: ChainSetup, first: Block) -> None:
    slot = first.header.slot
    rejected(setup, first, SlotInThePast, parent=dataclasses.replace(setup.genesis, best_slot=slot))
    rejected(setup, first, SlotInTheFuture, current_slot=slot - 1)
    import_onto_genesis(setup, first, current_slot=slot)


def test_proof_of_time_must_match_the_nodes_outputs(setup: ChainSetup, first: Block) -> None:
    slot, delay = first.header.slot, PARAMS.block_authoring_delay

    def oracle(changed: int, value: bytes | None):  # noqa: ANN202
        return lambda s: value if s == changed else compute_test_proof_of_time(s)

    rejected(setup, first, PotMismatch, proof_of_time=oracle(slot, bytes(16)))
    rejected(setup, first, PotMismatch, proof_of_time=oracle(slot + delay, bytes(16)))
    rejected(setup, first, UnknownProofOfTime, proof_of_time=oracle(slot, None))
    rejected(setup, first, UnknownProofOfTime, proof_of_time=oracle(slot + delay, None))


def test_extrinsics_root_and_seal_are_checked(setup: ChainSetup, first: Block) -> None:
    author = setup.author.keypair
    rejected(setup, reseal(first, author, extrinsics_root=bytes(32)), InvalidExtrinsicsRoot)
    body_changed = dataclasses.replace(first, transactions=(transfer(ALICE, 0, BOB.public_key, 1),))
    rejected(setup, body_changed, InvalidExtrinsicsRoot)
    seal = bytearray(first.header.seal)
    seal[0] ^= 1
    rejected(setup, dataclasses.replace(first, header=dataclasses.replace(first.header, seal=bytes(seal))), InvalidSeal)
    rejected(setup, reseal(first, ALICE), InvalidSeal)


def test_solutions_are_verified_against_the_state(setup: ChainSetup, first: Block) -> None:
    won = Won(first.header.slot, first.header.solution, 0)
    author = setup.author
    narrow = dataclasses.replace(setup.genesis, solution_range=1)
    error = rejected(setup, build_on(narrow, setup.genesis_hash, author, won), InvalidBlockSolution, parent=narrow)
    assert error.reason == farming.OUTSIDE_SOLUTION_RANGE
    proof = bytearray(won.solution.proof_of_space)
    proof[-1] ^= 1
    broken = Won(won.slot, dataclasses.replace(won.solution, proof_of_space=bytes(proof)), 0)
    error = rejected(setup, build_on(setup.genesis, setup.genesis_hash, author, broken), InvalidBlockSolution)
    assert error.reason == farming.INVALID_PROOF_OF_SPACE
    witness = bytearray(won.solution.record_witness)
    witness[-1] ^= 1
    broken = Won(won.slot, dataclasses.replace(won.solution, record_witness=bytes(witness)), 0)
    error = rejected(setup, build_on(setup.genesis, setup.genesis_hash, author, broken), InvalidBlockSolution)
    assert error.reason == farming.INVALID_PIECE
    empty = with_scalars(setup.genesis, history_size=0)
    rejected(setup, build_on(empty, setup.genesis_hash, author, won), UnknownSegmentCommitment, parent=empty)


def test_the_reason_survives_pickling() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(InvalidBlockSolution(farming.INVALID_PIECE, "detail")))
    assert (type(error), error.reason, error.detail) == (InvalidBlockSolution, farming.INVALID_PIECE, "detail")


def with_votes(setup: ChainSetup, first: Block, votes: list[SignedVote]) -> Block:
    return reseal(first, setup.author.keypair, votes=tuple(votes))


def test_bad_votes_are_rejected_with_their_reason(setup: ChainSetup, first: Block) -> None:
    voter, slot = setup.voter, first.header.slot
    won = next(w for w in voter.wins(1, 3) if w.slot <= slot)
    good = voter.vote(won, setup.genesis_hash, 1)
    cases = {
        chain.VOTE_WRONG_PARENT: voter.vote(won, bytes(32), 1),
        chain.VOTE_WRONG_HEIGHT: voter.vote(won, setup.genesis_hash, 2),
        chain.VOTE_BAD_SIGNATURE: SignedVote(good.vote, setup.author.keypair.sign(good.vote.hash())),
        chain.VOTE_SLOT_IN_THE_FUTURE: voter.vote(next(w for w in voter.wins(slot + 1, 1)), setup.genesis_hash, 1),
        chain.VOTE_POT_MISMATCH: SignedVote(
            dataclasses.replace(good.vote, proof_of_time=bytes(16)),
            voter.keypair.sign(dataclasses.replace(good.vote, proof_of_time=bytes(16)).hash()),
        ),
    }
    for reason, vote in cases.items():
        assert rejected(setup, with_votes(setup, first, [vote]), InvalidVote).reason == reason
    late = dataclasses.replace(setup.genesis, best_slot=won.slot)
    assert (
        rejected(setup, with_votes(setup, first, [good]), InvalidVote, parent=late).reason
        == chain.VOTE_SLOT_IN_THE_PAST
    )
    narrow = dataclasses.replace(setup.genesis, voting_solution_range=1)
    error = rejected(setup, with_votes(setup, first, [good]), InvalidVote, parent=narrow)
    assert error.reason == farming.OUTSIDE_SOLUTION_RANGE
    import_onto_genesis(
        setup,
        build_on(setup.genesis, setup.genesis_hash, setup.author, Won(slot, first.header.solution, 0), votes=[good]),
    )


def test_a_solution_used_twice_is_an_equivocation(setup: ChainSetup, first: Block) -> None:
    header = first.header
    own = Won(header.slot, header.solution, 0)
    vote = setup.author.vote(own, setup.genesis_hash, 1)
    rejected(setup, with_votes(setup, first, [vote]), Equivocation)
    voter_won = next(w for w in setup.voter.wins(1, 3) if w.slot <= header.slot)
    twice = [setup.voter.vote(voter_won, setup.genesis_hash, 1)] * 2
    rejected(setup, with_votes(setup, first, twice), Equivocation)


def test_the_builder_refuses_segment_headers_that_do_not_continue_the_recorded_chain(
    setup: ChainSetup, first: Block
) -> None:
    skipped = setup.headers[GENESIS_SEGMENTS + 1 : GENESIS_SEGMENTS + 2]
    won = Won(first.header.slot, first.header.solution, 0)
    with pytest.raises(OutOfOrderSegmentHeader):
        build_on(setup.genesis, setup.genesis_hash, setup.author, won, segment_headers=skipped)


def test_invalid_transactions_reject_the_block(setup: ChainSetup, first: Block) -> None:
    author = setup.author.keypair
    forged = dataclasses.replace(transfer(ALICE, 0, CAROL.public_key, 1), signature=BOB.sign(b"other"))
    cases = [
        (transfer(ALICE, 1, CAROL.public_key, 1), BadNonce),
        (transfer(ALICE, 0, CAROL.public_key, ENDOWMENT), InsufficientBalance),
        (transfer(CAROL, 0, ALICE.public_key, 0), InsufficientBalance),
        (forged, BadSignature),
    ]
    for transaction, error in cases:
        rejected(setup, reseal(first, author, transactions=(transaction,)), error)


def test_state_root_and_pot_change_must_be_what_the_block_produces(setup: ChainSetup, first: Block) -> None:
    author = setup.author.keypair
    rejected(setup, reseal(first, author, state_root=bytes(32)), InvalidStateRoot)
    change = PotParametersChange(first.header.slot + 6, PARAMS.pot_slot_iterations, bytes(32))
    rejected(setup, reseal(first, author, pot_parameters_change=change), InvalidPotParametersChange)


# ---- building ----


def test_building_skips_invalid_transactions_and_malformed_votes(setup: ChainSetup, first: Block) -> None:
    won = Won(first.header.slot, first.header.solution, 0)
    voter_won = next(w for w in setup.voter.wins(1, 3) if w.slot <= won.slot)
    good_vote = setup.voter.vote(voter_won, setup.genesis_hash, 1)
    transactions = [
        transfer(ALICE, 0, CAROL.public_key, 10),
        transfer(ALICE, 0, CAROL.public_key, 20),  # nonce used by the one before
        transfer(CAROL, 0, ALICE.public_key, 1),  # no balance
        transfer(ALICE, 1, CAROL.public_key, 30),
    ]
    votes = [setup.voter.vote(voter_won, bytes(32), 1), good_vote, good_vote]
    block = build_on(setup.genesis, setup.genesis_hash, setup.author, won, transactions=transactions, votes=votes)
    assert block.transactions == (transactions[0], transactions[3])
    assert block.votes == (good_vote,)
    state = import_onto_genesis(setup, block)
    assert get_balance(state, CAROL.public_key) == 40
