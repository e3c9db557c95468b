"""Block limits: a block longer or heavier than the reference's limits is rejected before anything costly, and
the builder fills a block only as far as they allow (the rest stays for the next block)."""

from __future__ import annotations

import pytest

from autonomys.protocol.consensus.chain import Block, StoreData, Transaction, Transfer, import_block
from autonomys.protocol.consensus.chain_blocks import MAX_STORE_DATA_SIZE, SIGNATURE_SIZE
from autonomys.protocol.consensus.chain_limits import (
    MAX_BLOCK_LENGTH,
    MAX_BLOCK_WEIGHT,
    MAX_NORMAL_LENGTH,
    MAX_NORMAL_WEIGHT,
    VOTE_WEIGHT,
    BlockBudget,
    compute_transaction_weight,
    validate_block_length,
    validate_block_limits,
)
from autonomys.protocol.errors import BlockTooHeavy, BlockTooLarge
from helpers.chain import ALICE, CAROL, ChainSetup, build_on, make_context, rejected, reseal, store
from helpers.chain_fixtures import chain_setup_fixture, first_block_fixture  # noqa: F401 - the fixtures


def unsigned_transfers(count: int) -> tuple[Transaction, ...]:
    """Transfers with blank signatures: limits are checked before any signature."""
    return tuple(
        Transaction(ALICE.public_key, nonce, Transfer(CAROL.public_key, 1), bytes(SIGNATURE_SIZE))
        for nonce in range(count)
    )


def test_the_limits_are_the_references() -> None:
    assert MAX_BLOCK_LENGTH == 5 * 1024 * 1024
    assert MAX_NORMAL_LENGTH == 3_932_160
    assert (MAX_BLOCK_WEIGHT, MAX_NORMAL_WEIGHT) == (2 * 10**12, 15 * 10**11)
    assert MAX_NORMAL_LENGTH >= MAX_STORE_DATA_SIZE + 1024


def test_an_oversized_encoding_is_refused_before_decoding() -> None:
    validate_block_length(MAX_BLOCK_LENGTH)
    with pytest.raises(BlockTooLarge):
        validate_block_length(MAX_BLOCK_LENGTH + 1)


def test_transactions_longer_than_the_normal_share_reject_the_block(setup: ChainSetup, first: Block) -> None:
    payload = b"x" * MAX_STORE_DATA_SIZE
    count = MAX_NORMAL_LENGTH // MAX_STORE_DATA_SIZE + 1
    heavy = tuple(Transaction(ALICE.public_key, n, StoreData(payload), bytes(SIGNATURE_SIZE)) for n in range(count))
    assert len(first.to_bytes()) + count * MAX_STORE_DATA_SIZE < MAX_BLOCK_LENGTH  # only the normal share is over
    rejected(setup, reseal(first, setup.author.keypair, transactions=heavy), BlockTooLarge)


def test_transactions_heavier_than_the_normal_share_reject_the_block(setup: ChainSetup, first: Block) -> None:
    count = MAX_NORMAL_WEIGHT // compute_transaction_weight(unsigned_transfers(1)[0]) + 1
    transfers = unsigned_transfers(count)
    assert sum(len(t.to_bytes()) for t in transfers) < MAX_NORMAL_LENGTH  # light enough, only too heavy
    rejected(setup, reseal(first, setup.author.keypair, transactions=transfers), BlockTooHeavy)
    validate_block_limits(reseal(first, setup.author.keypair, transactions=transfers[:-1]))


def test_too_many_votes_reject_the_block(setup: ChainSetup, first: Block) -> None:
    won = setup.voter.wins(1, 1)[0]
    vote = setup.voter.vote(won, setup.genesis_hash, 1)
    votes = (vote,) * (MAX_BLOCK_WEIGHT // VOTE_WEIGHT + 1)
    # Checked before the votes themselves (this many copies would also be an equivocation).
    rejected(setup, reseal(first, setup.author.keypair, votes=votes), BlockTooHeavy)


def test_the_builder_takes_what_fits_and_the_block_imports(setup: ChainSetup) -> None:
    payload = b"y" * MAX_STORE_DATA_SIZE
    pooled = [store(ALICE, nonce, payload) for nonce in range(20)]
    won = setup.author.wins(1, 1)[0]
    block = build_on(setup.genesis, setup.genesis_hash, setup.author, won, transactions=pooled)
    fits = MAX_NORMAL_LENGTH // len(pooled[0].to_bytes())
    assert len(block.transactions) == fits < len(pooled)
    assert block.transactions == tuple(pooled[:fits])
    validate_block_limits(block)
    state = import_block(setup.genesis, setup.genesis_hash, block, make_context(setup.kzg))
    assert state.number == 1


def test_the_budget_refuses_what_does_not_fit_without_taking_it(setup: ChainSetup) -> None:
    budget = BlockBudget(reserved_length=1000)
    transfer = unsigned_transfers(1)[0]
    weight = compute_transaction_weight(transfer)
    admitted = 0
    while budget.admit_transaction(transfer):
        admitted += 1
    assert admitted == MAX_NORMAL_WEIGHT // weight
    before = (budget.length, budget.normal_weight, budget.total_weight)
    assert not budget.admit_transaction(transfer)
    assert (budget.length, budget.normal_weight, budget.total_weight) == before
    vote = setup.voter.vote(setup.voter.wins(1, 1)[0], setup.genesis_hash, 1)
    votes = 0
    while budget.admit_vote(vote):
        votes += 1
    assert votes == (MAX_BLOCK_WEIGHT - admitted * weight) // VOTE_WEIGHT
