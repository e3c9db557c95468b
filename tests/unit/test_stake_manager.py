"""StakeManager and StakeToken (protocol/domains/contracts) executed on py-evm's Cancun VM in-process, and the
Python reference of the executor selection (protocol/domains/stake_manager.py) checked equal to the contract.

Each transaction is mined in a block of its own, so block numbers are exact; gas is free (base fee 0, zero fee
caps), so native balances change only by values sent; the genesis timestamp lies in the future, so every block
timestamp (and so every block hash) is deterministic. The chain, signing and deployment harness is in
tests/helpers/evm.py.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from typing import Any

import pytest

pytest.importorskip("eth", reason="py-evm (module eth) runs the contracts; install the test extras")
pytest.importorskip("eth_account", reason="eth-account signs the transactions; install the test extras")

import eth_abi  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from autonomys.protocol.domains import stake_manager as reference  # noqa: E402
from autonomys.protocol.domains.contracts import (  # noqa: E402
    CONTRACT_SOURCES,
    UnknownContract,
    compute_source_sha256,
    load_compiled,
    load_contract,
    read_contract_source,
)
from helpers.evm import (  # noqa: E402
    ALWAYS_REVERT,
    STAN,
    STORE_WORD,
    TOKEN,
    UINT256_MAX,
    ZERO_ADDRESS,
    Market,
    address_of,
    address_to_text,
    make_market,
    raw_contract,
)


@pytest.fixture
def market() -> Market:
    return make_market()


@pytest.fixture(scope="module")
def pure_market() -> Market:
    """A market only read from (pure and view calls), shared by the Hypothesis tests."""
    return make_market()


# ---- artifacts ----


def test_compiled_json_matches_a_fresh_compilation_of_the_sources() -> None:
    vyper = pytest.importorskip("vyper", reason="vyper is not importable: cannot recompile the sources")
    compiled = load_compiled()
    assert set(compiled) == set(CONTRACT_SOURCES)
    for name, entry in compiled.items():
        source = read_contract_source(name)
        fresh = vyper.compile_code(
            source, contract_path=CONTRACT_SOURCES[name], output_formats=["abi", "bytecode", "bytecode_runtime"]
        )
        assert entry["source_sha256"] == compute_source_sha256(source) == hashlib.sha256(source.encode()).hexdigest()
        assert entry["vyper_version"] == vyper.__version__
        assert (entry["abi"], entry["bytecode"], entry["runtime_bytecode"]) == (
            fresh["abi"],
            fresh["bytecode"],
            fresh["bytecode_runtime"],
        )
        assert entry["evm_version"] == "cancun" and "# pragma evm-version cancun" in source


def test_load_contract_gives_bytes_and_refuses_unknown_names() -> None:
    contract = load_contract("StakeManager")
    assert contract.runtime_bytecode != b"" and contract.bytecode != contract.runtime_bytecode
    assert {entry.get("name") for entry in contract.abi} >= {"stake", "unstake", "isUpdatedExec", "executeRequest"}
    with pytest.raises(UnknownContract):
        load_contract("Registry")


def test_deployed_code_is_the_runtime_bytecode(market: Market) -> None:
    state = market.evm.chain.get_vm().state
    assert state.get_code(market.token.address) == market.token.contract.runtime_bytecode
    # Vyper appends the immutables (the stake token's address) to the runtime code at deployment.
    immutables = b"\x00" * 12 + market.token.address
    assert state.get_code(market.manager.address) == market.manager.contract.runtime_bytecode + immutables


# ---- the stake token ----


def test_token_metadata_and_initial_mint(market: Market) -> None:
    token, evm = market.token, market.evm
    assert (token.call("name"), token.call("symbol"), token.call("decimals")) == ("Auto Stake", "STAKE", 18)
    assert token.call("totalSupply") == 10**9 * TOKEN
    holders = sum(token.call("balanceOf", evm.addresses[name]) for name in ("deployer", "A", "B", "C", "D"))
    assert holders == 10**9 * TOKEN and token.call("balanceOf", evm.addresses["A"]) == 10**6 * TOKEN


def test_token_transfer_approve_and_transfer_from(market: Market) -> None:
    token, evm = market.token, market.evm
    a, b, requester = evm.addresses["A"], evm.addresses["B"], evm.addresses["requester"]
    outcome = token.transact("A", "transfer", b, 5 * TOKEN)
    assert outcome.success and token.decode_logs(outcome, "Transfer") == [
        {"sender": address_to_text(a), "receiver": address_to_text(b), "value": 5 * TOKEN}
    ]
    assert token.transact("A", "transfer", b, 10**7 * TOKEN).reason == "StakeToken: balance exceeded"
    assert token.transact("A", "transfer", ZERO_ADDRESS, 1).reason == "StakeToken: transfer to the zero address"
    outcome = token.transact("A", "approve", requester, 3 * TOKEN)
    assert token.decode_logs(outcome, "Approval") == [
        {"owner": address_to_text(a), "spender": address_to_text(requester), "value": 3 * TOKEN}
    ]
    assert token.transact("requester", "transferFrom", a, requester, 2 * TOKEN).success
    assert token.call("allowance", a, requester) == TOKEN and token.call("balanceOf", requester) == 2 * TOKEN
    assert (
        token.transact("requester", "transferFrom", a, requester, 2 * TOKEN).reason == "StakeToken: allowance exceeded"
    )
    # An infinite allowance (the manager's) is not spent.
    assert token.call("allowance", a, market.manager.address) == UINT256_MAX


# ---- epochs ----


@pytest.mark.parametrize(("block_number", "epoch"), [(420, 400), (39_487_969, 39_487_900), (0, 0), (99, 0), (100, 100)])
def test_epoch_of_a_block(pure_market: Market, block_number: int, epoch: int) -> None:
    assert reference.compute_epoch(block_number) == epoch
    assert pure_market.manager.call("computeEpoch", block_number) == epoch


def test_current_epoch_at_block_420(market: Market) -> None:
    market.evm.mine_to(420)
    assert market.manager.call("getCurrentEpoch") == 400
    assert market.manager.call("getEpochRandomness") == market.evm.block_hash(399)


@settings(max_examples=60, deadline=None)
@given(block_number=st.integers(min_value=0, max_value=UINT256_MAX))
def test_epoch_reference_equals_the_contract(pure_market: Market, block_number: int) -> None:
    epoch = reference.compute_epoch(block_number)
    assert pure_market.manager.call("computeEpoch", block_number) == epoch
    assert epoch % reference.EPOCH_LENGTH == 0 and 0 <= block_number - epoch < reference.EPOCH_LENGTH


def test_randomness_block_is_the_one_before_the_epoch_or_genesis(pure_market: Market) -> None:
    assert [reference.compute_randomness_block(epoch) for epoch in (0, 100, 400, 39_487_900)] == [
        0,
        99,
        399,
        39_487_899,
    ]
    # The contract reads an epoch's randomness block while the epoch is current: at most EPOCH_LENGTH blocks back.
    assert reference.EPOCH_LENGTH <= reference.BLOCKHASH_WINDOW
    manager = pure_market.manager
    assert (manager.call("EPOCH_LENGTH"), manager.call("STAN_STAKE")) == (reference.EPOCH_LENGTH, reference.STAN_STAKE)
    assert reference.compute_randomness(bytes(31) + b"\x07") == 7
    with pytest.raises(reference.InvalidSelectionInput):
        reference.compute_randomness(bytes(20))


# ---- selection ----

FRACTION_0415 = Fraction(415, 1000) * 2**256 // 1
"""The seed's random fraction 0.415, as a 256-bit randomness: floor(0.415 * 2**256)."""


def test_the_fraction_0415_selects_b_in_a_b_b_c(market: Market) -> None:
    market.stake_units("A")
    assert market.manager.transact("B", "stake", 2 * STAN).success
    market.stake_units("C")
    a, b, c = (market.address(name) for name in "ABC")
    assert market.stakes() == [a, b, b, c]
    assert (
        reference.compute_winner_index(FRACTION_0415, 4)
        == 1
        == market.manager.call("computeWinnerIndex", FRACTION_0415, 4)
    )
    assert (
        reference.compute_executor([a, b, b, c], FRACTION_0415)
        == b
        == address_of(market.manager.call("computeExecutor", FRACTION_0415))
    )


UINT256 = st.one_of(
    st.integers(min_value=0, max_value=UINT256_MAX),
    st.sampled_from([0, 1, 2**128 - 1, 2**128, 2**255, UINT256_MAX - 1, UINT256_MAX]),
)


@settings(max_examples=300, deadline=None)
@given(randomness=UINT256, length=st.one_of(UINT256, st.integers(min_value=0, max_value=10**6)))
def test_winner_index_is_the_high_word_of_the_exact_product(pure_market: Market, randomness: int, length: int) -> None:
    exact = randomness * length >> 256
    assert pure_market.manager.call("computeWinnerIndex", randomness, length) == exact
    assert reference.compute_winner_index(randomness, length) == exact
    assert exact == Fraction(randomness, 2**256) * length // 1
    assert length == 0 or exact < length


def test_winner_index_reference_rejects_values_outside_uint256() -> None:
    for randomness, length in ((-1, 4), (2**256, 4), (0, -1), (0, 2**256)):
        with pytest.raises(reference.InvalidSelectionInput):
            reference.compute_winner_index(randomness, length)
    with pytest.raises(reference.InvalidSelectionInput):
        reference.compute_epoch(-1)


CHI_SQUARED_CRITICAL_3_DF_0_001 = 16.266
"""The chi-squared critical value for 3 degrees of freedom at significance level 0.001."""


def test_each_staker_is_selected_in_proportion_to_its_units(market: Market) -> None:
    units = {"A": 1, "B": 2, "C": 3, "D": 4}
    for name, count in units.items():
        assert market.manager.transact(name, "stake", count * STAN).success
    stakes = market.stakes()
    draws = 2000
    counts = dict.fromkeys(units, 0)
    names = {market.address(name): name for name in units}
    for draw in range(draws):
        # A fixed seed: randomness i is sha256("stake-manager-chi-squared" || i).
        randomness = int.from_bytes(
            hashlib.sha256(b"stake-manager-chi-squared" + draw.to_bytes(4, "big")).digest(), "big"
        )
        selected = address_of(market.manager.call("computeExecutor", randomness))
        assert selected == reference.compute_executor(stakes, randomness)
        counts[names[selected]] += 1
    expected = {name: draws * count / sum(units.values()) for name, count in units.items()}
    chi_squared = sum((counts[name] - expected[name]) ** 2 / expected[name] for name in units)
    assert chi_squared < CHI_SQUARED_CRITICAL_3_DF_0_001, (counts, chi_squared)


def test_block_driven_selection_matches_the_reference_over_epochs(market: Market) -> None:
    evm, manager = market.evm, market.manager
    for name, count in {"A": 1, "B": 2, "C": 3}.items():
        assert manager.transact(name, "stake", count * STAN).success
    stakes = market.stakes()
    selected = set()
    for epoch in range(100, 1300, 100):
        # The epoch's first transaction comes at a different offset each time, up to its last block.
        evm.mine_to(epoch + (epoch // 100 * 37) % 100)
        outcome = manager.transact("D", "updateExecutor")
        randomness = evm.block_hash(epoch - 1)
        expected = reference.compute_executor(stakes, reference.compute_randomness(randomness))
        log = manager.decode_logs(outcome, "ExecutorSelected")
        assert log == [{"epoch": epoch, "executor": address_to_text(expected), "randomness": randomness}]
        assert address_of(manager.call("executor")) == expected and manager.call("executorEpoch") == epoch
        selected.add(expected)
    assert len(selected) > 1


def test_the_first_call_on_an_epoch_last_block_still_reads_its_randomness(market: Market) -> None:
    evm, manager = market.evm, market.manager
    market.stake_units("A", "B", "C")
    evm.mine_to(599)
    manager.transact("D", "updateExecutor")
    stakes = market.stakes()
    assert address_of(manager.call("executor")) == reference.compute_executor(
        stakes, int.from_bytes(evm.block_hash(499), "big")
    )
    # Epochs with no transaction at all (600..1199) never cache an executor; 1200 draws with block 1199, not older.
    evm.mine_to(1250)
    outcome = manager.transact("D", "updateExecutor")
    assert manager.decode_logs(outcome, "ExecutorSelected")[0]["randomness"] == evm.block_hash(1199)
    assert manager.call("executorEpoch") == 1200


# ---- staking ----


@pytest.mark.parametrize("amount", [15_000 * TOKEN, 0, STAN - 1, STAN + 1, 101 * STAN])
def test_stake_reverts_unless_a_positive_multiple_of_stan_stake(market: Market, amount: int) -> None:
    outcome = market.manager.transact("A", "stake", amount)
    assert not outcome.success and market.stakes() == []
    if amount % STAN != 0 or amount == 0:
        assert outcome.reason in ("StakeManager: zero amount", "StakeManager: not a multiple of STAN_STAKE")
        with pytest.raises(reference.InvalidStakeAmount):
            reference.compute_stake_units(amount)
    else:
        # 101 units exceed MAX_UNITS_PER_CALL (100): a larger stake takes several calls.
        assert market.manager.call("MAX_UNITS_PER_CALL") == 100


def test_stake_pulls_tokens_and_appends_one_entry_per_unit(market: Market) -> None:
    token, manager, a = market.token, market.manager, market.address("A")
    before = token.call("balanceOf", a)
    outcome = manager.transact("A", "stake", 3 * STAN)
    assert manager.decode_logs(outcome, "Staked") == [{"staker": address_to_text(a), "amount": 3 * STAN, "units": 3}]
    assert token.call("balanceOf", a) == before - 3 * STAN and token.call("balanceOf", manager.address) == 3 * STAN
    assert market.stakes() == [a, a, a] and manager.call("unitsOf", a) == 3 == reference.compute_stake_units(3 * STAN)
    assert manager.call("getTotalStaked") == 3 * STAN
    # Without an allowance transferFrom fails and nothing is staked.
    assert market.token.transact("B", "approve", manager.address, 0).success
    assert manager.transact("B", "stake", STAN).reason == "StakeToken: allowance exceeded"


def test_unstake_swaps_and_pops_and_returns_the_tokens(market: Market) -> None:
    manager = market.manager
    a, b, c = (market.address(name) for name in "ABC")
    market.stake_units("A", "B", "B", "C")
    assert market.stakes() == [a, b, b, c]
    outcome = manager.transact("A", "unstake", STAN)
    assert manager.decode_logs(outcome, "Unstaked") == [{"staker": address_to_text(a), "amount": STAN, "units": 1}]
    # A's unit (position 0) took the last entry (C's) and the array shrank by one.
    assert market.stakes() == [c, b, b] and market.token.call("balanceOf", a) == 10**6 * TOKEN
    assert manager.transact("A", "unstake", STAN).reason == "StakeManager: more than staked"
    assert manager.transact("B", "unstake", 3 * STAN).reason == "StakeManager: more than staked"
    assert manager.transact("B", "unstake", 15_000 * TOKEN).reason == "StakeManager: not a multiple of STAN_STAKE"


class StakeArrayModel:
    """The contract's stake array and per-staker unit positions, rebuilt in Python for comparison."""

    def __init__(self) -> None:
        self.array: list[bytes] = []
        self.positions: dict[bytes, list[int]] = {}
        self.moves: set[str] = set()
        """Which swaps happened: "own" (the last entry was the staker's own), "other", "pop" (no swap)."""

    def stake(self, staker: bytes, units: int) -> None:
        for _ in range(units):
            self.positions.setdefault(staker, []).append(len(self.array))
            self.array.append(staker)

    def unstake(self, staker: bytes, units: int) -> None:
        for _ in range(units):
            # Swap and pop: the staker's last unit takes the array's last entry.
            position, last = self.positions[staker].pop(), len(self.array) - 1
            if position != last:
                moved = self.array[last]
                self.moves.add("own" if moved == staker else "other")
                self.positions[moved][self.positions[moved].index(last)] = position
                self.array[position] = moved
            else:
                self.moves.add("pop")
            self.array.pop()


def test_random_stakes_and_unstakes_keep_the_array_and_the_indexes_consistent(
    market: Market, seeded_random: Any
) -> None:
    manager, names = market.manager, ("A", "B", "C", "D")
    model = StakeArrayModel()
    for _ in range(40):
        name = seeded_random.choice(names)
        address, units = market.address(name), seeded_random.randint(1, 3)
        if len(model.positions.get(address, [])) >= units and seeded_random.random() < 0.5:
            assert manager.transact(name, "unstake", units * STAN).success
            model.unstake(address, units)
        else:
            assert manager.transact(name, "stake", units * STAN).success
            model.stake(address, units)
        assert market.stakes() == model.array
        for staker, positions in model.positions.items():
            assert sorted(positions) == [index for index, owner in enumerate(model.array) if owner == staker]
            assert manager.call("unitsOf", staker) == len(positions)
    assert manager.call("getTotalStaked") == len(model.array) * STAN
    assert model.moves == {"own", "other", "pop"}
    # Everyone leaves: the array empties and the manager holds no stake.
    for name in names:
        units = manager.call("unitsOf", market.address(name))
        if units > 0:
            assert manager.transact(name, "unstake", units * STAN).success
    assert market.stakes() == [] and market.token.call("balanceOf", manager.address) == 0


# ---- the executor of an epoch ----


def test_an_unstake_at_block_421_leaves_epoch_400s_executor_unchanged(market: Market) -> None:
    evm, manager = market.evm, market.manager
    market.stake_units("A", "B", "B", "C")
    stakes = market.stakes()
    evm.mine_to(420)
    outcome = manager.transact("D", "updateExecutor")
    executor = reference.compute_executor(stakes, reference.compute_randomness(evm.block_hash(399)))
    assert outcome.block_number == 420 and address_of(manager.call("executor")) == executor
    name = next(name for name in "ABC" if market.address(name) == executor)
    # Block 421: the executor itself unstakes everything, and D stakes a lot; epoch 400 keeps its executor.
    units = manager.call("unitsOf", executor)
    assert manager.transact(name, "unstake", units * STAN).block_number == 421
    assert manager.transact("D", "stake", 50 * STAN).success
    assert executor not in market.stakes()
    assert market.executor() == executor and manager.call("executorEpoch") == 400
    assert manager.transact(name, "isUpdatedExec", executor).success
    request = post(market, fee=TOKEN)
    assert manager.transact(name, "executeRequest", request).success


def test_the_first_call_of_an_epoch_selects_from_the_array_before_it_changes(market: Market) -> None:
    evm, manager = market.evm, market.manager
    market.stake_units("A", "B", "C")
    before = market.stakes()
    evm.mine_to(450)
    # No call yet in epoch 400: the view already knows the executor, from the unchanged array.
    expected = reference.compute_executor(before, reference.compute_randomness(evm.block_hash(399)))
    assert market.executor() == expected
    outcome = manager.transact("A", "unstake", STAN)
    assert manager.decode_logs(outcome, "ExecutorSelected")[0]["executor"] == address_to_text(expected)
    assert market.stakes() != before and market.executor() == expected


def test_epoch_zero_draws_with_the_genesis_hash_and_has_no_executor(market: Market) -> None:
    evm, manager = market.evm, market.manager
    genesis = evm.block_hash(0)
    assert evm.pending_block_number < 100 and manager.call("getCurrentEpoch") == 0
    assert manager.call("getEpochRandomness") == genesis
    # The first stake of epoch 0 does not underflow (epoch - 1): it caches epoch 0's selection from the empty
    # array, drawn with the genesis hash, before adding its units. The deployment epoch has no executor.
    outcome = manager.transact("A", "stake", STAN)
    assert manager.decode_logs(outcome, "ExecutorSelected") == [
        {"epoch": 0, "executor": address_to_text(ZERO_ADDRESS), "randomness": genesis}
    ]
    market.stake_units("B", "C", "D")
    assert market.executor() == ZERO_ADDRESS and manager.call("executorEpoch") == 0
    request = post(market, fee=TOKEN)
    assert manager.transact("A", "executeRequest", request).reason == "StakeManager: no executor this epoch"
    # What the genesis hash selects from the array as it stands now (the view takes any randomness).
    expected = reference.compute_executor(market.stakes(), reference.compute_randomness(genesis))
    assert address_of(manager.call("computeExecutor", reference.compute_randomness(genesis))) == expected


def test_before_any_selection_the_cache_holds_no_epoch(market: Market) -> None:
    # Epoch 0 must not look selected before its first call: the cache starts at 2**256 - 1, not 0.
    assert market.manager.call("executorEpoch") == UINT256_MAX


def test_the_empty_array_has_no_executor_for_the_whole_epoch(market: Market) -> None:
    evm, manager = market.evm, market.manager
    request = post(market, fee=TOKEN)
    assert reference.compute_executor([], 12345) is None
    assert address_of(manager.call("computeExecutor", 12345)) == ZERO_ADDRESS == market.executor()
    assert manager.transact("A", "executeRequest", request).reason == "StakeManager: no executor this epoch"
    assert manager.transact("A", "isUpdatedExec", market.address("A")).reason == "StakeManager: no executor this epoch"
    # A stakes in the same epoch: the epoch's (empty) selection is already cached, so still nobody executes.
    market.stake_units("A")
    assert market.executor() == ZERO_ADDRESS
    assert manager.transact("A", "executeRequest", request).reason == "StakeManager: no executor this epoch"
    # The next epoch selects A, the only staker.
    evm.mine_to(100)
    assert market.executor() == market.address("A")
    assert manager.transact("A", "executeRequest", request).success


def test_only_the_executor_can_execute(market: Market) -> None:
    manager = market.manager
    market.stake_units("A")
    market.evm.mine_to(100)
    request = post(market, fee=TOKEN)
    for name in ("B", "requester"):
        assert manager.transact(name, "executeRequest", request).reason == "StakeManager: not the executor"
        assert manager.transact(name, "isUpdatedExec", market.address(name)).reason == "StakeManager: not the executor"
    assert manager.call_reverts("isUpdatedExec", market.address("B")) == "StakeManager: not the executor"
    assert manager.transact("B", "isUpdatedExec", market.address("A")).output == eth_abi.encode(["bool"], [True])
    assert manager.transact("A", "executeRequest", request).success


# ---- requests ----


def post(market: Market, fee: int, target: bytes | None = None, data: bytes = b"") -> int:
    target = market.address("requester") if target is None else target
    outcome = market.manager.transact("requester", "postRequest", target, data, value=fee)
    assert outcome.success, outcome.reason
    (log,) = market.manager.decode_logs(outcome, "RequestPosted")
    assert (log["fee"], log["target"], log["requester"]) == (
        fee,
        address_to_text(target),
        address_to_text(market.address("requester")),
    )
    return int(eth_abi.decode(["uint256"], outcome.output)[0])


def test_a_request_is_executed_once_and_its_fee_paid_to_the_executor(market: Market) -> None:
    evm, manager = market.evm, market.manager
    market.stake_units("A")
    evm.mine_to(100)
    target = raw_contract(evm, STORE_WORD)
    word = (0xC0FFEE).to_bytes(32, "big")
    requester_before = evm.balance(market.address("requester"))
    request = post(market, fee=3 * TOKEN, target=target, data=word)
    assert (
        evm.balance(manager.address) == 3 * TOKEN
        and evm.balance(market.address("requester")) == requester_before - 3 * TOKEN
    )
    status = manager.call("requests", request)
    assert status == (address_to_text(market.address("requester")), address_to_text(target), 3 * TOKEN, 1, word)
    executor_before = evm.balance(market.address("A"))
    outcome = manager.transact("A", "executeRequest", request)
    assert manager.decode_logs(outcome, "RequestExecuted") == [
        {"requestId": request, "executor": address_to_text(market.address("A")), "epoch": 100, "fee": 3 * TOKEN}
    ]
    # Gas is free on this chain, so the executor's balance grows by exactly the fee.
    assert evm.balance(market.address("A")) == executor_before + 3 * TOKEN and evm.balance(manager.address) == 0
    assert evm.storage(target, 0) == 0xC0FFEE and manager.call("requests", request)[3] == 2
    assert manager.transact("A", "executeRequest", request).reason == "StakeManager: request not pending"
    assert manager.transact("A", "executeRequest", request + 1).reason == "StakeManager: request not pending"


def test_a_request_one_executor_skips_is_executed_by_a_later_epochs_executor(market: Market) -> None:
    evm, manager = market.evm, market.manager
    market.stake_units("A")
    evm.mine_to(100)
    request = post(market, fee=2 * TOKEN)
    assert market.executor() == market.address("A")
    # A skips the request, and hands its stake over to B within the epoch (A stays epoch 100's executor).
    assert manager.transact("A", "unstake", STAN).success
    market.stake_units("B")
    assert market.executor() == market.address("A")
    evm.mine_to(200)
    assert market.executor() == market.address("B")
    assert manager.transact("A", "executeRequest", request).reason == "StakeManager: not the executor"
    before = evm.balance(market.address("B"))
    outcome = manager.transact("B", "executeRequest", request)
    assert manager.decode_logs(outcome, "RequestExecuted")[0]["epoch"] == 200
    assert evm.balance(market.address("B")) == before + 2 * TOKEN


def test_a_failing_call_reverts_the_execution_and_keeps_the_request_pending(market: Market) -> None:
    evm, manager = market.evm, market.manager
    market.stake_units("A")
    evm.mine_to(100)
    request = post(market, fee=TOKEN, target=raw_contract(evm, ALWAYS_REVERT))
    assert not manager.transact("A", "executeRequest", request).success
    assert manager.call("requests", request)[3] == 1 and evm.balance(manager.address) == TOKEN


def test_the_requester_can_cancel_a_pending_request_for_a_refund(market: Market) -> None:
    evm, manager = market.evm, market.manager
    market.stake_units("A")
    evm.mine_to(100)
    request = post(market, fee=TOKEN)
    assert manager.transact("A", "cancelRequest", request).reason == "StakeManager: not the requester"
    before = evm.balance(market.address("requester"))
    outcome = manager.transact("requester", "cancelRequest", request)
    assert manager.decode_logs(outcome, "RequestCancelled")[0]["fee"] == TOKEN
    assert evm.balance(market.address("requester")) == before + TOKEN and manager.call("requests", request)[3] == 3
    assert manager.transact("A", "executeRequest", request).reason == "StakeManager: request not pending"
    assert manager.transact("requester", "cancelRequest", request).reason == "StakeManager: request not pending"


def test_a_request_may_not_call_the_manager_or_the_stake_token(market: Market) -> None:
    manager = market.manager
    for target in (manager.address, market.token.address):
        outcome = manager.transact("requester", "postRequest", target, b"", value=TOKEN)
        assert outcome.reason == "StakeManager: forbidden target"
    assert manager.call("requestCount") == 0
