"""The pieces under domain staking: fixed-point arithmetic and share-price invariants, election thresholds and the
offline check, golden bytes and round trips of every record, fuzzed decoders (arbitrary bytes decode to a record
that re-encodes identically, or raise DecodeError), derived accounts, the write-buffering overlay and holds, and
random staking sequences in which every rejected call changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.codec import decode_exactly
from autonomys.protocol.domains import staking, staking_epoch, staking_nominators
from autonomys.protocol.domains import staking_storage as storage
from autonomys.protocol.domains.fixed_point import Percent, Perquintill, SharePrice
from autonomys.protocol.domains.ledger import (
    HOLD_POT_ACCOUNT,
    HoldReason,
    MemoryLedger,
    OverlayLedger,
    get_balance_on_hold,
    hold,
    release,
    transaction,
    transfer_and_hold,
    transfer_on_hold,
)
from autonomys.protocol.domains.staking_constants import (
    AI3,
    MAINNET_STAKING,
    MOCK_STAKING,
    TREASURY_ACCOUNT,
    compute_storage_fund_account,
)
from autonomys.protocol.domains.staking_deposits import (
    Deposit,
    KnownDeposit,
    PendingDeposit,
    Withdrawal,
    WithdrawalInBalance,
    WithdrawalInShares,
)
from autonomys.protocol.domains.staking_types import (
    DomainEpoch,
    DomainStakingConfig,
    ElectionVerificationParams,
    Operator,
    OperatorAllowList,
    OperatorConfig,
    OperatorDeregisteredInfo,
    OperatorStatus,
    OperatorStatusKind,
    SlashedReason,
    StakingSummary,
    compute_operator_status,
    is_bundle_allowed,
    is_pending_to_slash,
)
from autonomys.protocol.errors import (
    DecodeError,
    InsufficientBalance,
    InsufficientHeldBalance,
    InvalidAmount,
    ProtocolError,
    ShareOverflow,
    StakingError,
    ZeroSharePrice,
)

STORAGE_FEE_RESERVE = Perquintill.from_percent(20)
U32 = st.integers(0, 2**32 - 1)
U64 = st.integers(0, 2**64 - 1)
U128 = st.integers(0, 2**128 - 1)
ACCOUNTS = st.binary(min_size=32, max_size=32)
domain_epochs = st.builds(DomainEpoch, U32, U32)
statuses = st.one_of(
    st.sampled_from(
        [
            OperatorStatus(kind)
            for kind in (OperatorStatusKind.REGISTERED, OperatorStatusKind.SLASHED, OperatorStatusKind.PENDING_SLASH)
        ]
    ),
    st.builds(OperatorStatus.deregistered, st.builds(OperatorDeregisteredInfo, domain_epochs, U32)),
    st.builds(OperatorStatus.invalid_bundle, ACCOUNTS),
    st.builds(OperatorStatus.deactivated, U32),
)
operators = st.builds(
    Operator, ACCOUNTS, U32, U32, U128, st.builds(Percent, st.integers(0, 100)), U128, U128, statuses, U128, U128, U128
)
stake_maps = st.dictionaries(U64, U128, max_size=4)
summaries = st.builds(StakingSummary, U32, U128, stake_maps, st.frozensets(U64, max_size=4), stake_maps)
pending_deposits = st.builds(PendingDeposit, domain_epochs, U128, U128)
deposits = st.builds(Deposit, st.builds(KnownDeposit, U128, U128), st.none() | pending_deposits)
withdrawals = st.builds(
    Withdrawal,
    U128,
    U128,
    st.lists(st.builds(WithdrawalInBalance, U32, U128, U128), max_size=3).map(tuple),
    st.none() | st.builds(WithdrawalInShares, domain_epochs, U32, U128, U128),
)
allow_lists = st.builds(OperatorAllowList, st.none() | st.frozensets(ACCOUNTS, max_size=3))
RECORDS: list[tuple[type[Any], st.SearchStrategy[Any]]] = [
    (Operator, operators),
    (StakingSummary, summaries),
    (Deposit, deposits),
    (Withdrawal, withdrawals),
    (ElectionVerificationParams, st.builds(ElectionVerificationParams, stake_maps, U128)),
    (DomainStakingConfig, st.builds(DomainStakingConfig, st.tuples(U64, U64), allow_lists)),
    (SlashedReason, st.one_of(st.builds(SlashedReason, U32), st.builds(SlashedReason, st.none(), ACCOUNTS))),
    (OperatorConfig, st.builds(OperatorConfig, ACCOUNTS, U128, st.builds(Percent, st.integers(0, 100)))),
    (SharePrice, st.builds(SharePrice, st.builds(Perquintill, st.integers(0, 10**18)))),
    (Perquintill, st.builds(Perquintill, st.integers(0, 10**18))),
    (Percent, st.builds(Percent, st.integers(0, 100))),
    (OperatorStatus, statuses),
]
NAMES = [record.__name__ for record, _ in RECORDS]


def decode(record: type[Any], data: bytes) -> Any:
    from_bytes: Callable[[bytes], Any] | None = getattr(record, "from_bytes", None)
    if from_bytes is not None:
        return from_bytes(data)
    return decode_exactly(data, record.__name__, record.read)


@pytest.mark.parametrize(("record", "strategy"), RECORDS, ids=NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_records_round_trip(record: type[Any], strategy: st.SearchStrategy[Any], data: st.DataObject) -> None:
    value = data.draw(strategy)
    assert decode(record, value.to_bytes()) == value


@pytest.mark.parametrize(("record", "strategy"), RECORDS, ids=NAMES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_decoders_fuzzed(record: type[Any], strategy: st.SearchStrategy[Any], data: st.DataObject) -> None:
    """Arbitrary bytes, and corrupted valid encodings, either decode to a record that re-encodes to the same bytes
    or raise DecodeError."""
    valid = data.draw(strategy).to_bytes()
    position = data.draw(st.integers(0, len(valid)))
    candidates = [
        data.draw(st.binary(max_size=200)),
        valid[:position],
        valid + data.draw(st.binary(min_size=1, max_size=4)),
        valid[:position] + data.draw(st.binary(min_size=1, max_size=2)) + valid[position + 1 :],
    ]
    for candidate in candidates:
        try:
            value = decode(record, candidate)
        except DecodeError:
            continue
        assert value.to_bytes() == candidate


# ---- fixed point and the share price ----


def test_fixed_point_known_answers() -> None:
    assert Perquintill.from_rational(168, 188).parts == 893617021276595744
    assert Perquintill.from_rational(3, 2) == Perquintill.one()  # saturates like sp-arithmetic
    assert Perquintill.from_rational(1, 0) == Perquintill.one()
    assert Perquintill(1).mul_ceil(1) == 1 and Perquintill(1).mul_floor(10**18 - 1) == 0
    assert Perquintill.one().plus_epsilon() == Perquintill.one()
    assert Perquintill(5).plus_epsilon().parts == 6
    assert Perquintill(1).saturating_reciprocal_mul_floor(2**128 - 1) == 2**128 - 1
    assert STORAGE_FEE_RESERVE.left_from_one().mul_ceil(58 * AI3) == 46_400_000_000_000_000_000
    assert STORAGE_FEE_RESERVE.mul_floor(7) == 1  # amount // 5
    assert Percent(10).mul_floor(10 * AI3) == AI3 and Percent(33).mul_ceil(1) == 1
    assert Percent.from_bytes(b"\x64") == Percent.one()
    with pytest.raises(Exception, match="Percent"):
        Percent.from_bytes(b"\x65")


def test_share_price_rules() -> None:
    price = SharePrice.new(168 * AI3, 188 * AI3)
    assert price.price.parts == 893617021276595744
    assert price.shares_to_stake(46_400_000_000_000_000_000) == 51923809523809523790
    assert SharePrice.one().stake_to_shares(7) == 7 and SharePrice.one().shares_to_stake(7) == 7
    with pytest.raises(ShareOverflow):
        SharePrice.new(2, 1)
    with pytest.raises(ZeroSharePrice):
        SharePrice.new(0, 1)
    with pytest.raises(ZeroSharePrice):
        SharePrice.new(0, 0)


def test_upstream_share_price_deposit_and_withdraw_lists() -> None:
    """staking.rs `test_share_price_deposit` / `test_share_price_withdraw` with their fixed lists."""
    price = SharePrice.new(45 * AI3, 45 * AI3 + 37)
    deposits = [5, 7, 9, 11, 17, 23, 934, 24931, 349083467, 2 * AI3 + 32, 52 * AI3 - 4729034, 2732 * AI3 - 1720]
    deposits += [1117 * AI3 + 1839832, 31232 * AI3 - 987654321]
    deposited_stake = deposited_shares = 0
    for deposit in deposits:
        deposited_stake += deposit
        deposited_shares += price.stake_to_shares(deposit)
        assert price.stake_to_shares(deposited_stake) >= deposited_shares
        assert 45 * AI3 + 37 + deposited_stake > 45 * AI3 + price.stake_to_shares(deposited_stake)
    price = SharePrice.new(123 * AI3, 123 * AI3 + 13)
    withdrawals = [1, 3, 7, 13, 17, 123, 43553, 546393039, 15 * AI3 + 1342, 2 * AI3 - 423, 31 * AI3 - 1321]
    withdrawals += [42 * AI3 + 4564234, 7 * AI3 - 987654321, 3 * AI3 + 987654321123879]
    withdrawn_shares = withdrawn_stake = 0
    for shares in withdrawals:
        withdrawn_shares += shares
        withdrawn_stake += price.shares_to_stake(shares)
        assert price.shares_to_stake(withdrawn_shares) >= withdrawn_stake
        assert 123 * AI3 + 13 - price.shares_to_stake(withdrawn_shares) >= 123 * AI3 - withdrawn_shares


_prices = st.integers(1, 10**30).flatmap(lambda stake: st.tuples(st.integers(1, stake), st.just(stake)))


@given(_prices, st.lists(st.integers(0, 10**28), min_size=1, max_size=20))
def test_summed_deposit_shares_never_exceed_shares_of_the_sum(totals: tuple[int, int], stakes: list[int]) -> None:
    price = SharePrice.new(*totals)
    assert price.price.parts <= 10**18
    assert sum(price.stake_to_shares(stake) for stake in stakes) <= price.stake_to_shares(sum(stakes))


@given(_prices, st.lists(st.integers(0, 2**64), min_size=1, max_size=20))
def test_summed_withdrawal_stakes_never_exceed_stake_of_the_sum(totals: tuple[int, int], draws: list[int]) -> None:
    price = SharePrice.new(*totals)
    # A pool never redeems more shares than it has issued.
    shares = [draw * totals[0] // (2**64 * len(draws)) for draw in draws]
    assert sum(price.shares_to_stake(amount) for amount in shares) <= price.shares_to_stake(sum(shares))
    # Round trips never create stake.
    assert all(price.shares_to_stake(price.stake_to_shares(amount)) <= amount for amount in shares)


def test_election_thresholds() -> None:
    threshold = staking_epoch.compute_election_threshold
    assert threshold(1, 1, (1, 1)) == 2**128 - 1
    assert threshold(1, 3, (1, 1)) == 113427455640312821154458202477256070485
    assert threshold(100 * AI3, 300 * AI3, (1, 6)) == 18904575940052136800000000000000000000
    assert threshold(80 * AI3, 80 * AI3, (1, 1)) == 340282366920938463440000000000000000000
    assert threshold(1, 0, (1, 1)) is None and threshold(1, 1, (1, 0)) is None


def test_offline_operator_expectations() -> None:
    expectations = staking_epoch.compute_operator_epoch_expectations(100, 80 * AI3, 80 * AI3, (1, 1))
    assert expectations == (99, 67)  # floor(μ), floor(μ − sqrt(2 μ ln 200))
    assert staking_epoch.is_operator_offline(100, 80 * AI3, 80 * AI3, (1, 1), 65)
    assert not staking_epoch.is_operator_offline(100, 80 * AI3, 80 * AI3, (1, 1), 66)
    # Too few expected bundles (below E_relevance = 11): never flagged.
    assert staking_epoch.compute_operator_epoch_expectations(10, 80 * AI3, 80 * AI3, (1, 1)) is None
    assert not staking_epoch.is_operator_offline(0, 80 * AI3, 80 * AI3, (1, 1), 0)


# ---- records ----


def test_operator_golden_bytes() -> None:
    status = OperatorStatus.deregistered(OperatorDeregisteredInfo(DomainEpoch(1, 2), 3))
    operator = Operator(bytes([0xAA]) * 32, 1, 1, 10, Percent(5), 800, 700, status, 4, 5, 200)
    u128 = lambda value: value.to_bytes(16, "little")  # noqa: E731
    expected = (
        bytes([0xAA]) * 32
        + bytes.fromhex("0100000001000000")
        + u128(10)
        + b"\x05"
        + u128(800)
        + u128(700)
        + bytes.fromhex("01010000000200000003000000")
        + u128(4)
        + u128(5)
        + u128(200)
    )
    assert operator.to_bytes() == expected


def test_collection_golden_bytes_and_canonical_order() -> None:
    summary = StakingSummary(7, 9, {2: 5, 1: 4}, frozenset({3, 1}), {})
    expected = bytes.fromhex(
        "07000000"
        + "09"
        + "00" * 15
        + "08"
        + "0100000000000000"
        + "04"
        + "00" * 15
        + "0200000000000000"
        + "05"
        + "00" * 15
    ) + bytes.fromhex("08" + "0100000000000000" + "0300000000000000" + "00")
    assert summary.to_bytes() == expected
    # The same map with its entries swapped is not canonical.
    swapped = bytearray(expected)
    swapped[21:45], swapped[45:69] = expected[45:69], expected[21:45]
    with pytest.raises(DecodeError):
        StakingSummary.from_bytes(bytes(swapped))
    deposit = Deposit(KnownDeposit(1, 2), PendingDeposit(DomainEpoch(0, 4), 3, 5))
    assert (
        deposit.to_bytes().hex()
        == "01" + "00" * 15 + "02" + "00" * 15 + "01" + "00000000" + "04000000" + "03" + "00" * 15 + "05" + "00" * 15
    )
    assert OperatorAllowList().to_bytes() == b"\x00"
    assert (
        OperatorAllowList(frozenset({b"\x02" * 32, b"\x01" * 32})).to_bytes()
        == b"\x01\x08" + b"\x01" * 32 + b"\x02" * 32
    )
    assert SlashedReason(invalid_bundle_number=1).to_bytes() == bytes.fromhex("0001000000")
    assert SlashedReason(bad_receipt_hash=b"\x07" * 32).to_bytes() == b"\x01" + b"\x07" * 32


def test_invalid_values_are_rejected() -> None:
    with pytest.raises(DecodeError):
        OperatorStatus(OperatorStatusKind.DEREGISTERED)
    with pytest.raises(DecodeError):
        decode(OperatorStatus, b"\x06")
    with pytest.raises(DecodeError):
        Percent(101)
    with pytest.raises(DecodeError):
        Perquintill(10**18 + 1)
    with pytest.raises(DecodeError):
        KnownDeposit(2**128, 0)
    with pytest.raises(DecodeError):
        OperatorConfig(b"\x01" * 31, 0, Percent(0))
    with pytest.raises(DecodeError):
        Deposit.from_bytes(bytes(32) + b"\x02")  # Option tag 2


def test_status_rules() -> None:
    deregistered = OperatorStatus.deregistered(OperatorDeregisteredInfo(DomainEpoch(0, 1), 5))
    assert not is_pending_to_slash(0, 0) and not is_pending_to_slash(3, 3) and is_pending_to_slash(4, 3)
    assert compute_operator_status(OperatorStatus(OperatorStatusKind.SLASHED), True).kind is OperatorStatusKind.SLASHED
    assert compute_operator_status(deregistered, True).kind is OperatorStatusKind.PENDING_SLASH
    assert compute_operator_status(deregistered, False) == deregistered
    # A deregistered operator may still submit bundles until its epoch ends.
    assert is_bundle_allowed(deregistered) and is_bundle_allowed(OperatorStatus(OperatorStatusKind.REGISTERED))
    assert not is_bundle_allowed(OperatorStatus.deactivated(3))
    assert not is_bundle_allowed(OperatorStatus.invalid_bundle(bytes(32)))


def test_accounts_and_constants() -> None:
    assert TREASURY_ACCOUNT.hex() == "6d6f646c" + "7472656173757279" + "00" * 20
    assert (
        compute_storage_fund_account(3).hex() == "6d6f646c" + "646f6d61696e735f" + "00" + "0300000000000000" + "00" * 11
    )
    assert compute_storage_fund_account(2**64 - 1)[13:21] == b"\xff" * 8
    assert HOLD_POT_ACCOUNT not in {TREASURY_ACCOUNT, compute_storage_fund_account(0)}
    assert MAINNET_STAKING.withdrawal_limit == 32 and MOCK_STAKING.withdrawal_limit == 10
    assert MAINNET_STAKING.stake_withdrawal_locking_period == 14_400 and MOCK_STAKING.stake_epoch_duration == 5
    assert MOCK_STAKING.storage_fee_reserve == Perquintill(2 * 10**17)


# ---- the ledger ----

ALICE, BOB = b"\x01" * 32, b"\x02" * 32


def test_memory_ledger_balances() -> None:
    ledger = MemoryLedger({ALICE: 100})
    assert ledger.total_issuance == 100
    ledger.transfer(ALICE, BOB, 30)
    assert (ledger.free_balance(ALICE), ledger.free_balance(BOB)) == (70, 30)
    with pytest.raises(InsufficientBalance):
        ledger.transfer(BOB, ALICE, 31)
    assert issubclass(InsufficientBalance, ProtocolError)
    with pytest.raises(InvalidAmount):
        ledger.transfer(ALICE, BOB, -1)
    ledger.burn(BOB, 30)
    ledger.mint(BOB, 5)
    assert ledger.total_issuance == 75 and BOB in ledger.balances
    ledger.burn(BOB, 5)
    assert BOB not in ledger.balances  # an emptied account leaves no entry


def test_overlay_buffers_until_commit() -> None:
    parent = MemoryLedger({ALICE: 100})
    parent.set(b"k", b"v")
    overlay = OverlayLedger(parent)
    overlay.set(b"a", b"1")
    overlay.delete(b"k")
    overlay.transfer(ALICE, BOB, 40)
    overlay.mint(BOB, 2)
    overlay.burn(ALICE, 10)
    assert overlay.get(b"k") is None and overlay.get(b"a") == b"1"
    assert (overlay.free_balance(ALICE), overlay.free_balance(BOB)) == (50, 42)
    assert parent.get(b"k") == b"v" and parent.get(b"a") is None and parent.free_balance(BOB) == 0
    nested = OverlayLedger(overlay)
    nested.transfer(BOB, ALICE, 42)
    with pytest.raises(InsufficientBalance):
        nested.transfer(BOB, ALICE, 1)
    nested.commit()
    overlay.commit()
    assert parent.get(b"k") is None and parent.get(b"a") == b"1"
    assert (parent.free_balance(ALICE), parent.free_balance(BOB), parent.total_issuance) == (92, 0, 92)
    with pytest.raises(RuntimeError):
        overlay.commit()


def test_transaction_discards_everything_on_error() -> None:
    ledger = MemoryLedger({ALICE: 100})
    before = ledger.to_bytes()
    with pytest.raises(InsufficientBalance), transaction(ledger) as overlay:
        overlay.set(b"x", b"y")
        overlay.transfer(ALICE, BOB, 60)
        overlay.transfer(ALICE, BOB, 60)
    assert ledger.to_bytes() == before
    with transaction(ledger) as overlay:
        overlay.transfer(ALICE, BOB, 60)
    assert ledger.free_balance(BOB) == 60


def test_holds() -> None:
    ledger = MemoryLedger({ALICE: 100, BOB: 10})
    hold(ledger, HoldReason.STAKING_STAKED, ALICE, 70)
    assert ledger.free_balance(ALICE) == 30 and get_balance_on_hold(ledger, HoldReason.STAKING_STAKED, ALICE) == 70
    assert get_balance_on_hold(ledger, HoldReason.STORAGE_FUND_WITHDRAWAL, ALICE) == 0
    with pytest.raises(InsufficientBalance):
        hold(ledger, HoldReason.STAKING_STAKED, BOB, 11)
    with pytest.raises(InsufficientHeldBalance):
        release(ledger, HoldReason.STAKING_STAKED, ALICE, 71)
    assert release(ledger, HoldReason.STAKING_STAKED, ALICE, 71, best_effort=True) == 70
    assert ledger.free_balance(ALICE) == 100 and ledger.get(b"balances/hold/\x00" + ALICE) is None
    hold(ledger, HoldReason.STAKING_STAKED, ALICE, 50)
    transfer_on_hold(ledger, HoldReason.STAKING_STAKED, ALICE, BOB, 20)
    assert ledger.free_balance(BOB) == 30 and get_balance_on_hold(ledger, HoldReason.STAKING_STAKED, ALICE) == 30
    transfer_and_hold(ledger, HoldReason.STORAGE_FUND_WITHDRAWAL, BOB, ALICE, 5)
    assert (
        ledger.free_balance(BOB) == 25 and get_balance_on_hold(ledger, HoldReason.STORAGE_FUND_WITHDRAWAL, ALICE) == 5
    )
    assert ledger.free_balance(HOLD_POT_ACCOUNT) == 35 and ledger.total_issuance == 110


# ---- a failing call changes nothing, across random operation sequences ----

# Weighted so that sequences reach withdrawals and unlocks before the operator deregisters.
_ACTION_NAMES = ["nominate"] * 3 + ["withdraw"] * 3 + ["unlock", "epoch", "head"] * 2
_ACTION_NAMES += ["reward", "deregister", "unlock_nominator"]
_ACTIONS = st.lists(st.tuples(st.sampled_from(_ACTION_NAMES), st.integers(1, 3), st.integers(0, 80)), max_size=30)


def account(index: int) -> bytes:
    return index.to_bytes(4, "little") * 8


@settings(max_examples=60, deadline=None)
@given(_ACTIONS)
def test_random_operations_are_atomic_and_conserve_balances(actions: list[tuple[str, int, int]]) -> None:
    ledger = MemoryLedger({account(index): 300 * AI3 if index == 0 else 100 * AI3 for index in range(4)})
    staking.create_domain_staking(ledger, 0, DomainStakingConfig())
    config = OperatorConfig(b"\x01" * 32, 10 * AI3, Percent(0))
    operator_id = staking.register_operator(ledger, account(0), 0, 150 * AI3, config, MOCK_STAKING, current_slot=0)
    head = 0
    for action, who, amount in actions:
        before = ledger.to_bytes()
        try:
            if action == "nominate":
                staking_nominators.nominate_operator(ledger, operator_id, account(who), amount * AI3, MOCK_STAKING)
            elif action == "withdraw":
                staking_nominators.withdraw_stake(ledger, operator_id, account(who), amount * AI3 // 8, MOCK_STAKING)
            elif action == "unlock":
                staking_nominators.unlock_funds(ledger, operator_id, account(who))
            elif action == "epoch":
                staking_epoch.finalize_domain_current_epoch(ledger, 0, 0, MOCK_STAKING)
            elif action == "reward":
                staking_epoch.reward_operators(ledger, 0, [operator_id], amount * AI3 // 7)
            elif action == "head":
                head += amount // 4
                storage.put_head_domain_number(ledger, 0, head)
            elif action == "deregister":
                staking.deregister_operator(ledger, account(who - 1), operator_id, MOCK_STAKING)
            else:
                staking_nominators.unlock_nominator(ledger, operator_id, account(who - 1))
        except StakingError:
            assert ledger.to_bytes() == before
        assert ledger.total_issuance == sum(ledger.balances.values())
        operator = storage.get_operator(ledger, operator_id)
        if operator is not None and operator.partial_status.kind is OperatorStatusKind.REGISTERED:
            SharePrice.new(operator.current_total_shares, operator.current_total_stake)
            known = 0
            for nominator in storage.get_operator_nominators(ledger, operator_id):
                deposit = storage.get_deposit(ledger, operator_id, nominator)
                known += 0 if deposit is None else deposit.known.shares
            assert known <= operator.current_total_shares
