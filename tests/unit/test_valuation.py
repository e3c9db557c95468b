"""The data valuation job in process (no Ray): the four-contributor scenario with exact Shapley (clean and unique
earns the most, noisy labels the least), TMC against exact, chunked runs equal to one run, contribution objects
round-tripped and bad ones refused, and the job's values paid out by DataRewards on the in-process EVM."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from autonomys.actors.ai.valuation import (
    ChunkRequest,
    CoalitionUtility,
    Contribution,
    InvalidContribution,
    MismatchedTask,
    ValuationError,
    ValuationTask,
    dump_contribution,
    example_task,
    load_contribution,
    run_locally,
    value_exact,
    value_tmc,
)
from autonomys.cli.ai_rewards import example_data
from autonomys.cli.ai_rewards import value as value_command
from autonomys.protocol.ai.shapley import TmcPartial, accrual_shares, grand_coalition

CLEAN, DUPLICATE, NOISY, IRRELEVANT = range(4)


@pytest.fixture(scope="module")
def task() -> ValuationTask:
    return example_task(seed=0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_clean_unique_earns_the_most_and_noisy_the_least(seed: int) -> None:
    valuation = value_exact(example_task(seed=seed))
    values = valuation.values
    assert valuation.contributors == ("clean", "duplicate", "noisy", "irrelevant")
    assert max(values) == values[CLEAN] > values[DUPLICATE] > values[IRRELEVANT] > values[NOISY]
    assert values[NOISY] < 0 < values[DUPLICATE]


def test_exact_values_are_efficient(task: ValuationTask) -> None:
    utility = CoalitionUtility(task)
    values = value_exact(task).values
    assert math.fsum(values) == pytest.approx(utility(grand_coalition(4)) - utility(0), abs=1e-12)
    majority = max(np.mean(task.validation_labels == 0), np.mean(task.validation_labels == 1))
    assert utility(0) == utility.baseline == majority


def test_an_exact_copy_earns_exactly_what_its_original_earns(task: ValuationTask) -> None:
    clean = task.contributions[CLEAN]
    copy = Contribution("copy", clean.features.copy(), clean.labels.copy())
    twins = ValuationTask((clean, copy, task.contributions[NOISY]), task.validation_features, task.validation_labels)
    values = value_exact(twins).values
    assert values[0] == values[1] > values[2]


def test_tmc_agrees_with_exact_within_its_standard_errors(task: ValuationTask) -> None:
    exact = value_exact(task).values
    estimate = value_tmc(task, 80, b"tmc-test", chunks=3)
    assert estimate.permutations == 80
    for value, error, truth in zip(estimate.values, estimate.standard_errors, exact, strict=True):
        assert 0 < error < 0.1 and abs(value - truth) <= 4 * error


def test_chunked_tmc_equals_one_chunk(task: ValuationTask) -> None:
    one = value_tmc(task, 24, b"chunks", tolerance=0.01)
    four = value_tmc(task, 24, b"chunks", tolerance=0.01, chunks=4)
    assert one == four


def test_a_fan_out_that_loses_a_chunk_is_refused(task: ValuationTask) -> None:
    def lossy(task: ValuationTask, requests: Sequence[ChunkRequest]) -> list[TmcPartial]:
        return run_locally(task, requests[1:])

    with pytest.raises(ValuationError):
        value_tmc(task, 12, b"lossy", chunks=3, fan_out=lossy)


# ---- contribution objects ----


def test_contribution_objects_round_trip(task: ValuationTask) -> None:
    original = task.contributions[NOISY]
    loaded = load_contribution("noisy", dump_contribution(original))
    assert np.array_equal(loaded.features, original.features) and np.array_equal(loaded.labels, original.labels)


def npz(**arrays: object) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"not an npz",
        npz(features=np.zeros((3, 2))),
        npz(features=np.zeros((3, 2)), labels=np.zeros(4)),
        npz(features=np.zeros(3), labels=np.zeros(3)),
        npz(features=np.zeros((0, 2)), labels=np.zeros(0)),
        npz(features=np.full((2, 2), np.nan), labels=np.zeros(2)),
        npz(features=np.array([{"x": 1}, {"y": 2}], dtype=object).reshape(2, 1), labels=np.zeros(2)),
    ],
)
def test_bad_contribution_objects_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidContribution):
        load_contribution("mallory", data)


def test_mismatched_tasks_are_refused(task: ValuationTask) -> None:
    narrow = Contribution("narrow", np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(MismatchedTask):
        ValuationTask((narrow,), task.validation_features, task.validation_labels)
    with pytest.raises(MismatchedTask):
        ValuationTask((), task.validation_features, task.validation_labels)
    with pytest.raises(InvalidContribution):
        ValuationTask(task.contributions, task.validation_features, task.validation_labels[:-1])
    with pytest.raises(MismatchedTask):
        example_task(extra_clean=10)


# ---- paid out by the contract ----


def test_the_valuation_is_paid_out_by_the_contract(task: ValuationTask) -> None:
    pytest.importorskip("eth", reason="py-evm (module eth) runs the contracts; install the test extras")
    pytest.importorskip("eth_account", reason="eth-account signs the transactions; install the test extras")
    from helpers.evm import TOKEN, Evm, deploy

    evm = Evm()
    rewards = deploy(evm, "DataRewards", [], [])
    names = ("A", "B", "C", "D")  # clean, duplicate, noisy, irrelevant
    values = value_exact(task).fixed_point_values
    pool = 1000 * TOKEN + 3
    shares, remainder = accrual_shares(pool, values)
    assert rewards.transact("deployer", "fund", value=pool).success
    outcome = rewards.transact("deployer", "accrue", [evm.addresses[name] for name in names], list(values))
    assert outcome.success, outcome.reason
    positive = sum(max(value, 0) for value in values)
    for name, value, share in zip(names, values, shares, strict=True):
        assert share == pool * max(value, 0) // positive == rewards.call("accruedOf", evm.addresses[name])
    assert shares[CLEAN] == max(shares) and shares[NOISY] == 0 and rewards.call("unallocated") == remainder
    for name, share in zip(names, shares, strict=True):
        before = evm.balance(evm.addresses[name])
        outcome = rewards.transact(name, "claim")
        if share == 0:
            assert outcome.reason == "nothing accrued"
        else:
            assert outcome.success and evm.balance(evm.addresses[name]) == before + share
        again = rewards.transact(name, "claim")
        assert again.reason == "nothing accrued" and evm.balance(evm.addresses[name]) == before + share
    assert evm.balance(rewards.address) == remainder


# ---- the command line (cli/ai_rewards.py) ----


def test_cli_values_the_example_files(tmp_path: Path) -> None:
    runner = CliRunner()
    written = runner.invoke(example_data, [str(tmp_path)])
    assert written.exit_code == 0, written.output
    names = ("clean", "duplicate", "noisy", "irrelevant")
    arguments = [f"{name}={tmp_path / f'{name}.npz'}" for name in names]
    validation = ["--validation", str(tmp_path / "validation.npz")]
    exact = runner.invoke(value_command, [*arguments, *validation])
    assert exact.exit_code == 0, exact.output
    expected = value_exact(example_task(seed=0))
    assert json.loads(exact.output.splitlines()[-1]) == {
        "contributors": list(names),
        "values": list(expected.fixed_point_values),
    }
    tmc = runner.invoke(value_command, [*arguments, *validation, "--permutations", "8", "--chunks", "2"])
    assert tmc.exit_code == 0 and "TMC, 8 permutations" in tmc.output


def test_cli_refuses_bad_arguments_by_name(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "junk.npz").write_bytes(b"junk")
    assert runner.invoke(example_data, [str(tmp_path)]).exit_code == 0
    validation = ["--validation", str(tmp_path / "validation.npz")]
    junk = runner.invoke(value_command, [f"mallory={tmp_path / 'junk.npz'}", *validation])
    assert junk.exit_code == 1 and "mallory: not a readable .npz object" in junk.output
    unnamed = runner.invoke(value_command, [str(tmp_path / "clean.npz"), *validation])
    assert unnamed.exit_code == 2 and "expected NAME=FILE.npz" in unnamed.output
