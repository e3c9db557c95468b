"""The transaction pool: its rejections, its bounds, what a new best block drops, one signature check per
admission whatever the pool holds, and equality with the slow reference that re-applies pooled transactions
(actors.consensus.node_objects.validate_pool_transaction / compute_account)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autonomys.actors.consensus.node_objects import (
    REJECT_BAD_NONCE,
    REJECT_BAD_SIGNATURE,
    REJECT_INSUFFICIENT_BALANCE,
    REJECT_POOL_FULL,
    REJECT_SENDER_FULL,
    REJECT_TOO_LARGE,
    RejectedTransaction,
    compute_account,
    validate_pool_transaction,
)
from autonomys.actors.consensus.transaction_pool import MAX_POOL_BYTES, MAX_POOL_TRANSACTIONS, TransactionPool
from autonomys.protocol.consensus import chain_transactions
from autonomys.protocol.consensus.chain import get_account, process_transactions
from autonomys.protocol.consensus.chain_blocks import MAX_STORE_DATA_SIZE, Transaction
from autonomys.protocol.consensus.chain_state import ChainState, genesis_state
from autonomys.protocol.consensus.chain_transactions import BASE_FEE, compute_transaction_fee
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.params import MINIMAL
from helpers.chain import ALICE, BOB, CAROL, TEST_NETWORK, Keypair, store, transfer

PARAMS = MINIMAL
SENDERS = (ALICE, BOB, CAROL)
AUTHOR = bytes(range(32))
"""Who the test blocks pay their fees to (none of the senders)."""


def make_state(endowments: dict[bytes, int]) -> ChainState:
    return genesis_state(
        PARAMS, endowments=endowments, solution_range=U64_MAX, pot_slot_iterations=PARAMS.pot_slot_iterations
    )


GENESIS = make_state({ALICE.public_key: 10**20, BOB.public_key: 10**20})


def new_pool(**bounds: int) -> TransactionPool:
    return TransactionPool(PARAMS, TEST_NETWORK, **bounds)


def snapshot(pool: TransactionPool, state: ChainState) -> tuple:
    accounts = tuple(pool.account(state, sender.public_key) for sender in SENDERS)
    return pool.transactions(), len(pool), pool.encoded_bytes, accounts


def rejection(pool: TransactionPool, state: ChainState, transaction: Transaction) -> str:
    before = snapshot(pool, state)
    with pytest.raises(RejectedTransaction) as caught:
        pool.submit(state, transaction)
    assert snapshot(pool, state) == before
    return caught.value.reason


@contextmanager
def counted_verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts sr25519 verifications (every transaction rule reaches them through is_signature_valid)."""
    calls = [0]
    verify = chain_transactions.is_signature_valid

    def counting(*arguments: bytes) -> bool:
        calls[0] += 1
        return verify(*arguments)

    with monkeypatch.context() as patch:
        patch.setattr(chain_transactions, "is_signature_valid", counting)
        yield calls


def block_on(state: ChainState, transactions: tuple[Transaction, ...]) -> tuple[ChainState, tuple[Transaction, ...]]:
    """The state after a block taking these transactions in order while they apply, and what it took."""
    return process_transactions(
        state, transactions, PARAMS, author=AUTHOR, genesis_hash=TEST_NETWORK, skip_invalid=True
    )


# -- rejections ------------------------------------------------------------------------------------


def test_every_rule_rejects_with_its_reason_and_leaves_the_pool_unchanged() -> None:
    pool = new_pool()
    first = store(ALICE, 0, b"hello")
    assert pool.submit(GENESIS, first) == bytes(first.hash())
    assert pool.submit(GENESIS, first) == bytes(first.hash())  # resubmitting is a no-op
    assert pool.transactions() == (first,)
    unsigned = dataclasses.replace(store(ALICE, 1, b"x"), signature=bytes(64))
    assert rejection(pool, GENESIS, unsigned) == REJECT_BAD_SIGNATURE
    assert rejection(pool, GENESIS, store(ALICE, 1, b"x", network=bytes(32))) == REJECT_BAD_SIGNATURE
    assert rejection(pool, GENESIS, store(ALICE, 0, b"replay of nonce 0")) == REJECT_BAD_NONCE
    assert rejection(pool, GENESIS, store(ALICE, 5, b"gap")) == REJECT_BAD_NONCE
    assert rejection(pool, GENESIS, store(CAROL, 0, b"no funds")) == REJECT_INSUFFICIENT_BALANCE
    assert rejection(pool, GENESIS, transfer(ALICE, 1, BOB.public_key, 10**20)) == REJECT_INSUFFICIENT_BALANCE
    assert rejection(pool, GENESIS, store(ALICE, 1, bytes(MAX_STORE_DATA_SIZE + 1))) == REJECT_TOO_LARGE
    second = store(ALICE, 1, b"next")
    pool.submit(GENESIS, second)
    assert pool.transactions() == (first, second)
    assert pool.account(GENESIS, ALICE.public_key) == (10**20, 2)
    assert pool.encoded_bytes == len(first.to_bytes()) + len(second.to_bytes())


def test_the_balance_check_counts_the_senders_pooled_amounts_and_fees() -> None:
    fee = compute_transaction_fee(transfer(ALICE, 0, BOB.public_key, 1).call, GENESIS.transaction_byte_fee)
    state = make_state({ALICE.public_key: 3 * fee + 100})
    pool = new_pool()
    pool.submit(state, transfer(ALICE, 0, BOB.public_key, 100))
    # The second transfer could pay on the state alone, not after the first.
    assert rejection(pool, state, transfer(ALICE, 1, BOB.public_key, fee + 1)) == REJECT_INSUFFICIENT_BALANCE
    # A transfer to oneself gets its amount back: only its fee is spent.
    pool.submit(state, transfer(ALICE, 1, ALICE.public_key, fee))
    pool.submit(state, transfer(ALICE, 2, BOB.public_key, 0))
    assert rejection(pool, state, transfer(ALICE, 3, BOB.public_key, 0)) == REJECT_INSUFFICIENT_BALANCE
    assert pool.account(state, ALICE.public_key) == (3 * fee + 100, 3)


# -- bounds ----------------------------------------------------------------------------------------


def test_the_defaults_are_the_references() -> None:
    pool = new_pool()
    assert (pool.max_transactions, pool.max_bytes) == (MAX_POOL_TRANSACTIONS, MAX_POOL_BYTES) == (8192, 20 * 2**20)
    assert (pool.max_sender_transactions, pool.max_sender_bytes) == (64, 5 * 2**20)


def test_the_pool_is_bounded_in_count() -> None:
    pool = new_pool(max_transactions=3)
    for transaction in (store(ALICE, 0, b"a"), store(ALICE, 1, b"b"), store(BOB, 0, b"c")):
        pool.submit(GENESIS, transaction)
    assert rejection(pool, GENESIS, store(BOB, 1, b"d")) == REJECT_POOL_FULL
    # A full pool turns a transaction away before its signature is checked.
    assert rejection(pool, GENESIS, dataclasses.replace(store(BOB, 1, b"d"), signature=bytes(64))) == REJECT_POOL_FULL


def test_the_pool_is_bounded_in_bytes() -> None:
    size, empty = len(store(ALICE, 0, bytes(1_000)).to_bytes()), len(store(BOB, 1, b"").to_bytes())
    pool = new_pool(max_bytes=2 * size + empty, max_sender_bytes=2 * size + empty)
    pool.submit(GENESIS, store(ALICE, 0, bytes(1_000)))
    pool.submit(GENESIS, store(BOB, 0, bytes(1_000)))
    assert pool.encoded_bytes == 2 * size
    assert rejection(pool, GENESIS, store(BOB, 1, b"x")) == REJECT_POOL_FULL
    pool.submit(GENESIS, store(BOB, 1, b""))  # one byte smaller: it fits exactly
    assert pool.encoded_bytes == pool.max_bytes


def test_one_sender_is_bounded_in_count_and_bytes_and_others_still_get_in() -> None:
    pool = new_pool(max_sender_transactions=2)
    pool.submit(GENESIS, store(ALICE, 0, b"a"))
    pool.submit(GENESIS, store(ALICE, 1, b"b"))
    assert rejection(pool, GENESIS, store(ALICE, 2, b"c")) == REJECT_SENDER_FULL
    unsigned = dataclasses.replace(store(ALICE, 2, b"c"), signature=bytes(64))
    assert rejection(pool, GENESIS, unsigned) == REJECT_SENDER_FULL  # refused before its signature is checked
    pool.submit(GENESIS, store(BOB, 0, b"d"))
    # A block takes ALICE's first: she has room again.
    state, included = block_on(GENESIS, pool.transactions()[:1])
    pool.on_new_best(state, included)
    pool.submit(state, store(ALICE, 2, b"c"))
    size = len(store(ALICE, 0, bytes(1_000)).to_bytes())
    by_bytes = new_pool(max_sender_bytes=size)
    by_bytes.submit(GENESIS, store(ALICE, 0, bytes(1_000)))
    assert rejection(by_bytes, GENESIS, store(ALICE, 1, b"")) == REJECT_SENDER_FULL
    by_bytes.submit(GENESIS, store(BOB, 0, bytes(1_000)))


# -- a new best block ----------------------------------------------------------------------------------


def test_a_new_best_drops_included_stale_and_unaffordable_transactions_without_checking_signatures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = new_pool()
    alice = [store(ALICE, nonce, bytes(10)) for nonce in range(4)]
    bob = [transfer(BOB, nonce, CAROL.public_key, 10**9) for nonce in range(3)]
    for transaction in (alice[0], bob[0], alice[1], bob[1], alice[2], bob[2], alice[3]):
        pool.submit(GENESIS, transaction)
    # The block takes ALICE's first and a rival of BOB's first (same nonce, another transaction).
    rival = transfer(BOB, 0, ALICE.public_key, 1)
    state, included = block_on(GENESIS, (alice[0], rival))
    assert included == (alice[0], rival)
    with counted_verifications(monkeypatch) as verifications:
        pool.on_new_best(state, included)
        assert pool.transactions() == (alice[1], bob[1], alice[2], bob[2], alice[3])
        assert pool.account(state, ALICE.public_key) == (get_account(state, ALICE.public_key).balance, 4)
        assert pool.account(state, BOB.public_key)[1] == 3
    assert verifications[0] == 0
    # The byte fee rises so that BOB can pay his second pooled transfer but not his third: it leaves (and would
    # take his later ones with it); ALICE's small stores still apply.
    balance = get_account(state, BOB.public_key).balance
    dearer = dataclasses.replace(state, transaction_byte_fee=balance * 2 // (3 * len(bob[1].call.to_bytes())))
    pool.on_new_best(dearer, ())
    assert pool.transactions() == (alice[1], bob[1], alice[2], alice[3])
    assert pool.account(dearer, BOB.public_key) == (balance, 2)
    assert pool.encoded_bytes == sum(len(transaction.to_bytes()) for transaction in (*alice[1:], bob[1]))


def test_a_state_the_pool_was_not_told_of_reprojects_it() -> None:
    pool = new_pool()
    pool.submit(GENESIS, store(ALICE, 0, b"a"))
    pool.submit(GENESIS, store(ALICE, 1, b"b"))
    state, _ = block_on(GENESIS, pool.transactions())
    assert pool.account(state, ALICE.public_key)[1] == 2
    assert len(pool) == 0 and pool.encoded_bytes == 0
    poorer = make_state({ALICE.public_key: BASE_FEE + 2})  # a fork where ALICE can pay one empty store only
    pool.submit(poorer, store(ALICE, 0, b""))
    assert rejection(pool, poorer, store(ALICE, 1, b"")) == REJECT_INSUFFICIENT_BALANCE


# -- cost ------------------------------------------------------------------------------------------


def test_admission_checks_one_signature_whatever_the_pool_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    senders = [Keypair.named(f"pool sender {index}") for index in range(200)]
    state = make_state({sender.public_key: 10**20 for sender in senders} | {ALICE.public_key: 10**20})
    pool = new_pool()
    with counted_verifications(monkeypatch) as verifications:
        pool.submit(state, transfer(ALICE, 0, BOB.public_key, 1))
        assert verifications[0] == 1
    for nonce in range(40):
        for sender in senders:
            pool.submit(state, transfer(sender, nonce, BOB.public_key, 1))
    assert len(pool) == 8_001
    with counted_verifications(monkeypatch) as verifications:
        pool.submit(state, transfer(ALICE, 1, BOB.public_key, 1))
        assert verifications[0] == 1
        assert pool.account(state, senders[0].public_key) == (10**20, 40)
        assert rejection(pool, state, transfer(ALICE, 1, BOB.public_key, 2)) == REJECT_BAD_NONCE
        assert verifications[0] == 2
        assert rejection(pool, state, transfer(senders[0], 41, BOB.public_key, 2)) == REJECT_BAD_NONCE
        assert verifications[0] == 3


# -- equality with the slow reference ----------------------------------------------------------------


class ReapplyPool:
    """The first pool: every admission re-applies the sender's pooled transactions; a new best keeps, per
    sender, the pooled transactions that still apply in order."""

    def __init__(self) -> None:
        self.pooled: list[Transaction] = []

    def submit(self, state: ChainState, transaction: Transaction) -> bytes:
        if transaction in self.pooled:
            return bytes(transaction.hash())
        validate_pool_transaction(state, self.pooled, transaction, PARAMS, TEST_NETWORK)
        self.pooled.append(transaction)
        return bytes(transaction.hash())

    def account(self, state: ChainState, public_key: bytes) -> tuple[int, int]:
        return compute_account(state, self.pooled, public_key, PARAMS, TEST_NETWORK)

    def on_new_best(self, state: ChainState, included: tuple[Transaction, ...]) -> None:
        remaining = [transaction for transaction in self.pooled if transaction not in included]
        applying: set[Transaction] = set()
        for sender in {transaction.sender for transaction in remaining}:
            _, kept = block_on(state, tuple(transaction for transaction in remaining if transaction.sender == sender))
            applying.update(kept)
        self.pooled = [transaction for transaction in remaining if transaction in applying]


FEE = BASE_FEE + 100
submissions = st.tuples(
    st.just("submit"),
    st.integers(0, 2),  # sender
    st.sampled_from(["transfer", "store"]),
    st.integers(0, 2),  # recipient (the sender itself sometimes)
    st.sampled_from([0, 1, FEE, "half", "all"]),  # amount transferred ("all": the balance after its fee)
    st.sampled_from([0, 10, 1_000, MAX_STORE_DATA_SIZE + 1]),  # bytes stored
    st.sampled_from([0, 0, 0, 0, 1, -1]),  # nonce offset from the sender's next
    st.sampled_from([False] * 7 + [True]),  # signed for another network
)
blocks = st.tuples(
    st.just("block"),
    st.integers(0, 6),  # pooled transactions the block takes
    st.none() | st.integers(0, 2),  # a sender whose rival transfer (not pooled) the block takes first
    st.sampled_from([None, None, 1, 2, 10**6]),  # the new state's byte fee
)


actions = st.integers(0, 3).flatmap(lambda pick: blocks if pick == 0 else submissions)
"""A block for every three submissions, on average."""


def make_submission(step: tuple, reference: ReapplyPool, state: ChainState) -> Transaction:
    _, sender_index, kind, recipient, amount, size, offset, foreign = step
    sender = SENDERS[sender_index]
    nonce = max(0, reference.account(state, sender.public_key)[1] + offset)
    network = bytes(32) if foreign else TEST_NETWORK
    if kind == "store":
        return store(sender, nonce, bytes(size), network)
    balance = get_account(state, sender.public_key).balance
    fee = compute_transaction_fee(transfer(sender, 0, sender.public_key, 0).call, state.transaction_byte_fee)
    amount = {"half": balance // 2, "all": max(0, balance - fee)}.get(amount, amount)
    return transfer(sender, nonce, SENDERS[recipient].public_key, amount, network)


def make_block(step: tuple, reference: ReapplyPool, state: ChainState) -> tuple[ChainState, tuple[Transaction, ...]]:
    _, taken, rival_sender, byte_fee = step
    rivals: tuple[Transaction, ...] = ()
    if rival_sender is not None:
        sender = SENDERS[rival_sender]
        rivals = (transfer(sender, get_account(state, sender.public_key).nonce, AUTHOR, FEE),)
    state, included = block_on(state, rivals + tuple(reference.pooled[:taken]))
    if byte_fee is not None:
        state = dataclasses.replace(state, transaction_byte_fee=byte_fee)
    return state, included


def outcome(pool: TransactionPool | ReapplyPool, state: ChainState, transaction: Transaction) -> str:
    try:
        return pool.submit(state, transaction).hex()
    except RejectedTransaction as error:
        return error.reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    endowments=st.tuples(*[st.sampled_from([0, FEE, 3 * FEE + 7, 10 * FEE, 10**20])] * 3),
    steps=st.lists(actions, min_size=4, max_size=40),
)
def test_the_pool_decides_as_the_reference_that_reapplies_pooled_transactions(
    endowments: tuple[int, int, int], steps: list[tuple]
) -> None:
    state = make_state({sender.public_key: amount for sender, amount in zip(SENDERS, endowments, strict=True)})
    pool, reference = new_pool(), ReapplyPool()
    for step in steps:
        if step[0] == "submit":
            transaction = make_submission(step, reference, state)
            assert outcome(pool, state, transaction) == outcome(reference, state, transaction)
        else:
            state, included = make_block(step, reference, state)
            pool.on_new_best(state, included)
            reference.on_new_best(state, included)
        assert list(pool.transactions()) == reference.pooled
        for sender in SENDERS:
            assert pool.account(state, sender.public_key) == reference.account(state, sender.public_key)
        assert pool.encoded_bytes == sum(len(transaction.to_bytes()) for transaction in reference.pooled)
