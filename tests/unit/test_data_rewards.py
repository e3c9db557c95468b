"""DataRewards (protocol/domains/contracts/data_rewards.vy) on py-evm's Cancun VM in-process: accruals equal the
Python reference (protocol.ai.shapley.accrual_shares, pool * max(v, 0) // sum) exactly, claims pay once, and every
rejection reverts by name and changes nothing. The chain and deployment harness is tests/helpers/evm.py."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("eth", reason="py-evm (module eth) runs the contracts; install the test extras")
pytest.importorskip("eth_account", reason="eth-account signs the transactions; install the test extras")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from autonomys.protocol.ai.shapley import MAX_ACCRUAL_VALUE, accrual_shares, to_fixed_point  # noqa: E402
from helpers.evm import TOKEN, Deployed, Evm, address_to_text, deploy  # noqa: E402

CONTRIBUTORS = ("A", "B", "C", "D")


@pytest.fixture
def evm() -> Evm:
    return Evm()


@pytest.fixture
def rewards(evm: Evm) -> Deployed:
    return deploy(evm, "DataRewards", [], [])


def addresses(evm: Evm, names: tuple[str, ...] = CONTRIBUTORS) -> list[bytes]:
    return [evm.addresses[name] for name in names]


def snapshot(rewards: Deployed) -> tuple[Any, ...]:
    evm = rewards.evm
    accrued = tuple(rewards.call("accruedOf", address) for address in evm.addresses.values())
    return rewards.call("pool"), rewards.call("totalAccrued"), accrued, evm.balance(rewards.address)


def test_owner_is_the_deployer_and_the_pool_starts_empty(evm: Evm, rewards: Deployed) -> None:
    assert rewards.call("owner") == address_to_text(evm.addresses["deployer"])
    assert (rewards.call("pool"), rewards.call("unallocated"), rewards.call("totalAccrued")) == (0, 0, 0)


def test_accrual_equals_share_times_pool_and_claims_pay_once(evm: Evm, rewards: Deployed) -> None:
    pool = 10 * TOKEN + 7
    outcome = rewards.transact("B", "fund", value=pool)
    assert rewards.decode_logs(outcome, "Funded") == [
        {"funder": address_to_text(evm.addresses["B"]), "amount": pool, "pool": pool}
    ]
    values = [to_fixed_point(v) for v in (0.0731, 0.0214, -0.0157, 0.0033)]
    shares, remainder = accrual_shares(pool, values)
    outcome = rewards.transact("deployer", "accrue", addresses(evm), values)
    assert outcome.success, outcome.reason
    assert rewards.decode_logs(outcome, "Accrued") == [
        {"contributor": address_to_text(evm.addresses[name]), "value": value, "amount": share}
        for name, value, share in zip(CONTRIBUTORS, values, shares, strict=True)
    ]
    assert [rewards.call("accruedOf", a) for a in addresses(evm)] == list(shares)
    assert shares[2] == 0 and shares[0] > shares[1] > shares[3] > 0
    assert shares[0] == pool * values[0] // (values[0] + values[1] + values[3])
    assert rewards.call("unallocated") == remainder == pool - sum(shares)
    assert rewards.call("totalAccrued") == sum(shares) and evm.balance(rewards.address) == pool

    before = evm.balance(evm.addresses["A"])
    outcome = rewards.transact("A", "claim")
    assert outcome.success and evm.balance(evm.addresses["A"]) == before + shares[0]
    assert rewards.decode_logs(outcome, "Claimed") == [
        {"contributor": address_to_text(evm.addresses["A"]), "amount": shares[0]}
    ]
    # A second claim pays nothing: it reverts by name and leaves every balance as it was.
    state = snapshot(rewards)
    again = rewards.transact("A", "claim")
    assert (again.success, again.reason) == (False, "nothing accrued")
    assert evm.balance(evm.addresses["A"]) == before + shares[0] and snapshot(rewards) == state
    assert evm.balance(rewards.address) == rewards.call("pool") + rewards.call("totalAccrued")


def test_the_remainder_is_shared_by_the_next_accrual(evm: Evm, rewards: Deployed) -> None:
    assert rewards.transact("deployer", "fund", value=10).success
    assert rewards.transact("deployer", "accrue", addresses(evm, ("A", "B", "C")), [1, 1, 1]).success
    assert rewards.call("unallocated") == 1 and rewards.call("accruedOf", evm.addresses["A"]) == 3
    assert rewards.transact("deployer", "fund", value=5).success
    assert rewards.transact("deployer", "accrue", addresses(evm, ("A", "B")), [1, 2]).success
    assert [rewards.call("accruedOf", a) for a in addresses(evm, ("A", "B", "C"))] == [3 + 2, 3 + 4, 3]
    assert rewards.call("unallocated") == 0


@pytest.mark.parametrize(
    ("sender", "names", "values", "funded", "reason"),
    [
        ("A", CONTRIBUTORS, [1, 2, 3, 4], 100, "only owner"),
        ("deployer", CONTRIBUTORS, [1, 2, 3], 100, "lengths differ"),
        ("deployer", (), [], 100, "no contributors"),
        ("deployer", ("A", "B"), [0, -5], 100, "no positive value"),
        ("deployer", ("A", "B"), [1, 2], 0, "empty pool"),
        ("deployer", ("A", "B"), [1, MAX_ACCRUAL_VALUE + 1], 100, "value too large"),
    ],
)
def test_bad_accruals_revert_by_name_and_change_nothing(
    evm: Evm, rewards: Deployed, sender: str, names: tuple[str, ...], values: list[int], funded: int, reason: str
) -> None:
    if funded:
        assert rewards.transact("deployer", "fund", value=funded).success
    state = snapshot(rewards)
    outcome = rewards.transact(sender, "accrue", addresses(evm, names), values)
    assert (outcome.success, outcome.reason, outcome.logs) == (False, reason, ())
    assert snapshot(rewards) == state


def test_claim_with_nothing_accrued_and_empty_funding_revert(evm: Evm, rewards: Deployed) -> None:
    state = snapshot(rewards)
    assert rewards.transact("requester", "claim").reason == "nothing accrued"
    assert rewards.transact("A", "fund", value=0).reason == "nothing funded"
    assert snapshot(rewards) == state


@settings(max_examples=25, deadline=None)
@given(
    pool=st.integers(min_value=1, max_value=10**23),
    values=st.lists(st.integers(min_value=-(10**12), max_value=MAX_ACCRUAL_VALUE), min_size=1, max_size=8),
)
def test_contract_equals_the_reference(pool: int, values: list[int]) -> None:
    if sum(max(value, 0) for value in values) == 0:
        values = [*values, 1]
    evm = Evm()
    rewards = deploy(evm, "DataRewards", [], [])
    assert rewards.transact("deployer", "fund", value=pool).success
    names = tuple(("A", "B", "C", "D", "requester")[index % 5] for index in range(len(values)))
    shares, remainder = accrual_shares(pool, values)
    outcome = rewards.transact("deployer", "accrue", addresses(evm, names), values)
    assert outcome.success, outcome.reason
    assert [log["amount"] for log in rewards.decode_logs(outcome, "Accrued")] == list(shares)
    assert rewards.call("unallocated") == remainder
    for name in set(names):
        owed = sum(share for share, owner in zip(shares, names, strict=True) if owner == name)
        assert rewards.call("accruedOf", evm.addresses[name]) == owed
