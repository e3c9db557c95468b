"""The consensus chain's economics and schedules: fees and rewards, the storage fee (pallet-transaction-fees),
eras and the solution-range clamp (`derive_next_solution_range`), and PoT entropy injection (pallet-subspace
`do_initialize`), on real MINIMAL blocks."""

from __future__ import annotations

import dataclasses

from autonomys.protocol.consensus import chain
from autonomys.protocol.consensus.chain import (
    BASE_FEE,
    BLOCK_REWARD,
    VOTE_REWARD,
    Account,
    Block,
    ChainState,
    PotEntropyValue,
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
from autonomys.protocol.consensus.chain_state import account_key
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.farming.solution_range import (
    compute_voting_solution_range,
    derive_next_solution_range,
    solution_range_to_pieces,
)
from autonomys.protocol.params import MAINNET
from autonomys.protocol.state.trie import lookup
from autonomys.protocol.timekeeper.pot import PotParametersChange
from helpers.chain import (
    ALICE,
    BOB,
    CAROL,
    ENDOWMENT,
    GENESIS_SEGMENTS,
    PARAMS,
    TEST_NETWORK,
    ChainSetup,
    Keypair,
    Won,
    account_total,
    build_on,
    compute_pot_info,
    compute_test_proof_of_time,
    import_onto_genesis,
    make_context,
    make_genesis,
    store,
    transfer,
)
from helpers.chain_fixtures import chain_setup_fixture, first_block_fixture  # noqa: F401 - the fixtures

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
    assert state.total_issuance == account_total(state)


def test_the_storage_fee_is_per_byte_of_call(setup: ChainSetup) -> None:
    # Both lengths fit a one-byte compact prefix, so the encodings differ by exactly 50 bytes.
    short, long = StoreData(b"x"), StoreData(b"x" * 51)
    assert compute_transaction_fee(long, 1) - compute_transaction_fee(short, 1) == 50
    assert compute_transaction_fee(long, 7) - compute_transaction_fee(short, 7) == 350
    assert compute_transaction_fee(short, 3) == BASE_FEE + 3 * len(short.to_bytes())
    state = dataclasses.replace(setup.genesis, transaction_byte_fee=1000)
    after = apply_transaction(
        state, store(BOB, 0, b"y" * 50), PARAMS, author=CAROL.public_key, genesis_hash=TEST_NETWORK
    )
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
    state = apply_transaction(setup.genesis, transfer(ALICE, 0, ALICE.public_key, 500), PARAMS, author=CAROL.public_key, genesis_hash=TEST_NETWORK)
    assert get_account(state, ALICE.public_key) == Account(ENDOWMENT - fee, 1)
    state = apply_transaction(state, transfer(ALICE, 1, CAROL.public_key, 0), PARAMS, author=BOB.public_key, genesis_hash=TEST_NETWORK)
    # CAROL got exactly one fee; a zero transfer to an unknown key creates no empty account.
    assert get_balance(state, CAROL.public_key) == fee
    nobody = Keypair.named("nobody").public_key
    state = apply_transaction(state, transfer(ALICE, 2, nobody, 0), PARAMS, author=BOB.public_key, genesis_hash=TEST_NETWORK)
    assert lookup(state.nodes, state.root, account_key(nobody)) is None
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


# ---- PoT entropy (pallet-subspace `do_initialize`) ----


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
        transactions=(), votes=(), segment_headers=(), params=PARAMS, genesis_hash=TEST_NETWORK,
        sign=setup.author.keypair.sign,
    )  # fmt: skip
    # sr25519 signatures are randomized: the same block, sealed afresh.
    assert block.header.pre_hash() == first.header.pre_hash()
    assert block.header.seal != first.header.seal
    import_onto_genesis(setup, block)
