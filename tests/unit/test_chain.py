"""The consensus chain: container bytes, block import and building, every rejection by its named error,
fees and rewards, eras, and PoT entropy scheduling (§D.3–D.5, §E.3, §H).

Blocks are real: a MINIMAL sector (shim table) is plotted for sr25519 farmers and each block carries a
proven solution. Genesis sits at the widest solution range, so any encoded chunk wins a slot.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from autonomys.protocol import chain, farming
from autonomys.protocol.chain import (
    BASE_FEE,
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
    apply_transaction,
    build_block,
    compute_transaction_byte_fee,
    compute_transaction_fee,
    derive_pot_parameters_change,
    genesis_header_hash,
    get_account,
    get_balance,
    import_block,
    process_era_change,
    process_pot_entropy,
)
from autonomys.protocol.chain_blocks import CALL_TRANSFER, decode_call
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
from autonomys.protocol.params import MAINNET
from autonomys.protocol.pot import PotParametersChange
from autonomys.protocol.solution_range import (
    compute_voting_solution_range,
    derive_next_solution_range,
    solution_range_to_pieces,
)
from helpers.chain import (
    ALICE,
    BOB,
    CAROL,
    ENDOWMENT,
    GENESIS_SEGMENTS,
    PARAMS,
    ChainSetup,
    Keypair,
    Won,
    build_on,
    compute_pot_info,
    compute_test_proof_of_time,
    import_onto_genesis,
    make_chain_setup,
    make_context,
    make_genesis,
    rejected,
    reseal,
    store,
    transfer,
)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> ChainSetup:
    return make_chain_setup(Path(tmp_path_factory.mktemp("history")))


@pytest.fixture(scope="module")
def first(setup: ChainSetup) -> Block:
    """Block 1 at the author's first winning slot from 5 on (so votes can come from slots before it)."""
    return build_on(setup.genesis, setup.genesis_hash, setup.author, setup.author.wins(5, 1)[0])


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


def test_the_state_root_covers_every_field(setup: ChainSetup) -> None:
    genesis = setup.genesis
    roots = {genesis.state_root()}
    changes = {
        "number": 1, "best_slot": 1, "total_issuance": 1, "segment_commitments": (), "solution_range": 5,
        "voting_solution_range": 5, "era_start_slot": 1, "era_start_number": 1, "should_adjust_solution_range": True,
        "pot_slot_iterations": 16, "transaction_byte_fee": 7, "dynamic_storage_fee": True, "votes_in_block": 1,
        "last_segment_header_hash": bytes([1]) * 32, "accounts": (),
        "pot_entropy": ((10, PotEntropyValue(bytes(32), None)),),
        "pending_pot_parameters_change": PotParametersChange(1, 16, bytes(32)),
    }  # fmt: skip
    for name, value in changes.items():
        roots.add(dataclasses.replace(genesis, **{name: value}).state_root())
    assert len(roots) == len(changes) + 1
    assert len({f.name for f in dataclasses.fields(ChainState)} - set(changes)) == 0


def test_a_non_canonical_state_does_not_decode(setup: ChainSetup) -> None:
    unsorted = dataclasses.replace(setup.genesis, accounts=tuple(reversed(setup.genesis.accounts)))
    with pytest.raises(DecodeError, match="sorted"):
        ChainState.from_bytes(unsorted.to_bytes())


# ---- genesis ----


def test_genesis_records_endowments_ranges_and_segments(setup: ChainSetup) -> None:
    genesis = setup.genesis
    assert (genesis.number, genesis.best_slot) == (0, 0)
    assert get_account(genesis, ALICE.public_key) == Account(ENDOWMENT, 0)
    assert get_balance(genesis, CAROL.public_key) == 0
    assert genesis.total_issuance == 2 * ENDOWMENT
    assert genesis.segment_commitments == tuple(bytes(h.segment_commitment) for h in setup.headers[:GENESIS_SEGMENTS])
    assert genesis.last_segment_header_hash == setup.headers[GENESIS_SEGMENTS - 1].hash()
    assert genesis.voting_solution_range == compute_voting_solution_range(U64_MAX)
    assert not genesis.should_adjust_solution_range
    assert genesis.transaction_byte_fee == 1
    assert genesis_header_hash(genesis) == setup.genesis_hash
    assert genesis_header_hash(dataclasses.replace(genesis, solution_range=1)) != setup.genesis_hash


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
    author, voter, context = setup.author, setup.voter, make_context(setup.kzg)
    state, parent_hash = setup.genesis, setup.genesis_hash
    wins = author.wins(1, 6)
    votes_paid = 0
    for number, won in enumerate(wins, start=1):
        votes = [voter.vote(w, parent_hash, number) for w in voter.wins(state.best_slot + 1, 2) if w.slot <= won.slot]
        segments = setup.headers[GENESIS_SEGMENTS : GENESIS_SEGMENTS + 1] if number == 3 else ()
        transactions = [transfer(ALICE, number - 1, CAROL.public_key, number)]
        block = build_on(
            state, parent_hash, author, won, transactions=transactions, votes=votes, segment_headers=segments
        )
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
    assert state.total_issuance == sum(account.balance for _, account in state.accounts)


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
    empty = dataclasses.replace(setup.genesis, segment_commitments=())
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


def test_segment_headers_must_continue_the_recorded_chain(setup: ChainSetup, first: Block) -> None:
    author = setup.author.keypair
    skipped = setup.headers[GENESIS_SEGMENTS + 1 : GENESIS_SEGMENTS + 2]
    rejected(setup, reseal(first, author, segment_headers=skipped), OutOfOrderSegmentHeader)
    forged = dataclasses.replace(setup.headers[GENESIS_SEGMENTS], prev_segment_header_hash=bytes(32))
    rejected(setup, reseal(first, author, segment_headers=(forged,)), OutOfOrderSegmentHeader)
    won = Won(first.header.slot, first.header.solution, 0)
    with pytest.raises(OutOfOrderSegmentHeader):
        build_on(setup.genesis, setup.genesis_hash, setup.author, won, segment_headers=skipped)
    in_order = setup.headers[GENESIS_SEGMENTS:]
    state = import_onto_genesis(
        setup, build_on(setup.genesis, setup.genesis_hash, setup.author, won, segment_headers=in_order)
    )
    assert state.segment_commitments == tuple(bytes(h.segment_commitment) for h in setup.headers)


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


# ---- fees and rewards ----


def test_fees_go_to_the_author_and_issuance_grows_by_the_rewards(setup: ChainSetup, first: Block) -> None:
    won = Won(first.header.slot, first.header.solution, 0)
    voter_won = next(w for w in setup.voter.wins(1, 3) if w.slot <= won.slot)
    payload = b"stored in history" * 3
    transactions = [transfer(ALICE, 0, CAROL.public_key, 1000), store(BOB, 0, payload)]
    votes = [setup.voter.vote(voter_won, setup.genesis_hash, 1)]
    block = build_on(setup.genesis, setup.genesis_hash, setup.author, won, transactions=transactions, votes=votes)
    state = import_onto_genesis(setup, block)
    transfer_fee = compute_transaction_fee(transactions[0].call, 1)
    store_fee = compute_transaction_fee(transactions[1].call, 1)
    assert get_balance(state, ALICE.public_key) == ENDOWMENT - 1000 - transfer_fee
    assert get_balance(state, BOB.public_key) == ENDOWMENT - store_fee
    assert get_balance(state, CAROL.public_key) == 1000
    assert get_balance(state, setup.author.reward_address) == BLOCK_REWARD + transfer_fee + store_fee
    assert get_balance(state, setup.voter.reward_address) == VOTE_REWARD
    assert state.total_issuance == setup.genesis.total_issuance + BLOCK_REWARD + VOTE_REWARD
    assert state.total_issuance == sum(account.balance for _, account in state.accounts)


def test_the_storage_fee_is_per_byte_of_call(setup: ChainSetup) -> None:
    # Both lengths fit a one-byte compact prefix, so the encodings differ by exactly 50 bytes.
    short, long = StoreData(b"x"), StoreData(b"x" * 51)
    assert compute_transaction_fee(long, 1) - compute_transaction_fee(short, 1) == 50
    assert compute_transaction_fee(long, 7) - compute_transaction_fee(short, 7) == 350
    assert compute_transaction_fee(short, 3) == BASE_FEE + 3 * len(short.to_bytes())
    state = dataclasses.replace(setup.genesis, transaction_byte_fee=1000)
    after = apply_transaction(state, store(BOB, 0, b"y" * 50), PARAMS, author=CAROL.public_key)
    assert get_balance(after, CAROL.public_key) == BASE_FEE + 1000 * len(StoreData(b"y" * 50).to_bytes())


def test_dynamic_byte_fee_follows_section_h() -> None:
    params = PARAMS
    solution_range = 2**40
    pledged = solution_range_to_pieces(solution_range, params.slot_probability, params) * params.piece_size
    free_space = pledged // 25 - 3 * params.archived_history_segment_size
    assert free_space > 0
    assert compute_transaction_byte_fee(10**24, solution_range, 3, params) == 10**24 // free_space
    # No free space left: the whole credit supply per byte.
    assert compute_transaction_byte_fee(10**24, U64_MAX, 3, params) == 10**24


def test_a_dynamic_fee_genesis_prices_the_next_block(setup: ChainSetup) -> None:
    genesis = make_genesis(setup.headers, [ALICE.public_key], dynamic_storage_fee=True, solution_range=2**40)
    expected = compute_transaction_byte_fee(genesis.total_issuance, 2**40, GENESIS_SEGMENTS, PARAMS)
    assert genesis.transaction_byte_fee == expected != 1


def test_self_transfer_and_empty_accounts_stay_canonical(setup: ChainSetup) -> None:
    fee = compute_transaction_fee(Transfer(bytes(32), 0), 1)
    state = apply_transaction(setup.genesis, transfer(ALICE, 0, ALICE.public_key, 500), PARAMS, author=CAROL.public_key)
    assert get_account(state, ALICE.public_key) == Account(ENDOWMENT - fee, 1)
    state = apply_transaction(state, transfer(ALICE, 1, CAROL.public_key, 0), PARAMS, author=BOB.public_key)
    # CAROL got exactly one fee; a zero transfer to an unknown key creates no empty account.
    assert get_balance(state, CAROL.public_key) == fee
    nobody = Keypair.named("nobody").public_key
    state = apply_transaction(state, transfer(ALICE, 2, nobody, 0), PARAMS, author=BOB.public_key)
    assert all(key != nobody for key, _ in state.accounts)
    assert ChainState.from_bytes(state.to_bytes()) == state


# ---- eras ----


def era_state(setup: ChainSetup, *, adjust: bool = True) -> ChainState:
    return dataclasses.replace(
        setup.genesis,
        number=PARAMS.era_duration,
        solution_range=10**12,
        should_adjust_solution_range=adjust,
        era_start_slot=100,
    )


def test_era_adjustment_follows_the_slot_count_within_the_clamp(setup: ChainSetup) -> None:
    numerator, denominator = PARAMS.slot_probability
    expected_slots = PARAMS.era_duration * denominator // numerator
    on_time = process_era_change(era_state(setup), 100 + expected_slots, PARAMS)
    assert on_time.solution_range == 10**12
    slow = process_era_change(era_state(setup), 100 + 2 * expected_slots, PARAMS)
    assert slow.solution_range == 2 * 10**12
    assert slow.voting_solution_range == compute_voting_solution_range(2 * 10**12)
    assert (slow.era_start_slot, slow.era_start_number) == (100 + 2 * expected_slots, PARAMS.era_duration)
    assert process_era_change(era_state(setup), 100 + 100 * expected_slots, PARAMS).solution_range == 4 * 10**12
    assert process_era_change(era_state(setup), 101, PARAMS).solution_range == 10**12 // 4


def test_eras_pass_without_adjustment_when_switched_off_or_between_boundaries(setup: ChainSetup) -> None:
    off = process_era_change(era_state(setup, adjust=False), 101, PARAMS)
    assert (off.solution_range, off.era_start_slot) == (10**12, 101)
    between = dataclasses.replace(era_state(setup), number=PARAMS.era_duration + 1)
    assert process_era_change(between, 101, PARAMS) == between


def test_an_era_boundary_block_adjusts_the_next_blocks_range(setup: ChainSetup) -> None:
    params = dataclasses.replace(PARAMS, era_duration=2)
    genesis = make_genesis(setup.headers, [ALICE.public_key], params, adjust_solution_range=True)
    context = make_context(setup.kzg, params=params)
    state, parent_hash = genesis, genesis_header_hash(genesis)
    for won in setup.author.wins(1, 2):
        block = build_on(state, parent_hash, setup.author, won, params=params)
        state, parent_hash = import_block(state, parent_hash, block, context), block.hash()
    # Two blocks in fewer slots than the twelve expected: the range shrinks in proportion.
    expected = derive_next_solution_range(U64_MAX, state.best_slot, PARAMS.slot_probability, 2)
    assert expected < U64_MAX
    assert state.solution_range == expected
    assert state.voting_solution_range == compute_voting_solution_range(expected)
    assert state.era_start_slot == state.best_slot


# ---- PoT entropy (§E.3) ----


def run_entropy(state: ChainState, params, blocks: int, slot_of):  # noqa: ANN001, ANN201
    changes = {}
    for number in range(state.number + 1, state.number + blocks + 1):
        chunk, pot = bytes([number % 256]) * 32, compute_test_proof_of_time(number)
        before = state
        state = process_pot_entropy(dataclasses.replace(state, number=number), slot_of(number), chunk, pot, params)
        assert (
            derive_pot_parameters_change(before, slot_of(number), number, chunk, pot, params)
            == state.pending_pot_parameters_change
        )
        changes[number] = (state.pending_pot_parameters_change, dict(state.pot_entropy))
    return changes


def test_mainnet_entropy_is_sampled_every_50_blocks_and_injected_from_100_back(setup: ChainSetup) -> None:
    params = MAINNET
    changes = run_entropy(setup.genesis, params, 160, lambda number: 3 * number)
    entropy_50 = chain.compute_pot_entropy(bytes([50]) * 32, compute_test_proof_of_time(50))
    assert changes[50][1] == {50: PotEntropyValue(entropy_50, None)}
    assert set(changes[100][1]) == {50, 100}
    assert all(changes[number][0] is None for number in range(1, 150))
    expected = PotParametersChange(3 * 150 + 15, setup.genesis.pot_slot_iterations, entropy_50)
    assert changes[150][0] == expected
    assert changes[150][1][50].target_slot == 3 * 150 + 15
    # Every block carries the change until its target slot has passed, then the entry is dropped.
    # (block 155 is at the target slot 465; block 156, at 468, still carries it and then drops the entry).
    carried = [number for number in range(150, 161) if changes[number][0] == expected]
    assert carried == list(range(150, 157))
    assert 50 in changes[155][1]
    assert 50 not in changes[156][1]
    assert changes[157][0] is None


def test_real_blocks_carry_the_derived_pot_change_at_10_20_30(setup: ChainSetup) -> None:
    context = make_context(setup.kzg)
    state, parent_hash = setup.genesis, setup.genesis_hash
    headers = {}
    for won in setup.author.wins(1, 32):
        block = build_on(state, parent_hash, setup.author, won)
        state, parent_hash = import_block(state, parent_hash, block, context), block.hash()
        headers[block.header.number] = block.header
    source = headers[10]
    entropy = chain.compute_pot_entropy(source.solution.chunk, source.pre_digest.pot_info.proof_of_time)
    assert dict(state.pot_entropy)[20].target_slot is None
    assert all(headers[number].pot_parameters_change is None for number in range(1, 30))
    assert headers[30].pot_parameters_change == PotParametersChange(
        headers[30].slot + PARAMS.pot_entropy_injection_delay, PARAMS.pot_slot_iterations, entropy
    )


def test_build_block_seals_with_the_given_signer(setup: ChainSetup, first: Block) -> None:
    won = Won(first.header.slot, first.header.solution, 0)
    block = build_block(
        setup.genesis, setup.genesis_hash, slot=won.slot, solution=won.solution, pot_info=compute_pot_info(won.slot),
        transactions=(), votes=(), segment_headers=(), params=PARAMS, sign=setup.author.keypair.sign,
    )  # fmt: skip
    # sr25519 signatures are randomized: the same block, sealed afresh.
    assert block.header.pre_hash() == first.header.pre_hash()
    assert block.header.seal != first.header.seal
    import_onto_genesis(setup, block)
