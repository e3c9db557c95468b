"""The Timekeeper on a real local Ray instance: ordered delivery, verification, injection, restart."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import ray

from autonomys.actors.messages import ScheduleParametersChangeRequest
from autonomys.actors.timekeeper.service import TimekeeperConfig
from autonomys.network.compose import create_timekeeper
from autonomys.network.spec import ClusterSpec
from autonomys.protocol.timekeeper.pot import PotParametersChange
from helpers.recording import GENESIS, PARAMS, RecordingSubscriber
from helpers.waiting import wait_until

pytestmark = pytest.mark.cluster
TIMEOUT = 60


@pytest.fixture
def network(ray_session: str, tmp_path: Path):
    name = f"timekeeper-{uuid.uuid4().hex[:6]}"
    subscriber_name = f"subscriber-{uuid.uuid4().hex[:6]}"
    subscriber = ray.remote(RecordingSubscriber).options(name=subscriber_name, num_cpus=0).remote()
    config = TimekeeperConfig(str(tmp_path), PARAMS, GENESIS, autostart=False)
    timekeeper = create_timekeeper(ClusterSpec(), config, name=name)
    assert timekeeper.ready(timeout=TIMEOUT)
    timekeeper.subscribe(subscriber_name, timeout=TIMEOUT)
    yield timekeeper, subscriber
    timekeeper.kill(restart=False)
    ray.kill(subscriber)


def report_holding(subscriber, count: int) -> tuple[list, list[str], list[str]] | None:
    """The subscriber's (proofs, outcomes, errors) once it holds `count` proofs or any error; None before."""
    proofs, outcomes, errors = ray.get(subscriber.report.remote(), timeout=TIMEOUT)
    return (proofs, outcomes, errors) if len(proofs) >= count or len(errors) > 0 else None


def test_subscribers_get_consecutive_verified_slots(network) -> None:
    timekeeper, subscriber = network
    ray.get(timekeeper.handle.start.remote(), timeout=TIMEOUT)
    proofs, outcomes, errors = wait_until(lambda: report_holding(subscriber, 20), TIMEOUT, "20 slots to arrive")
    assert errors == []
    assert [int(p.slot) for p in proofs] == list(range(1, len(proofs) + 1))
    assert set(outcomes) == {"extension"}
    status = timekeeper.status(timeout=TIMEOUT)
    assert status.running
    assert status.subscribers == 1


def test_injection_changes_seed_at_its_target_slot(network) -> None:
    timekeeper, subscriber = network
    entropy = bytes([0x11]) * 32
    target = 12
    change = PotParametersChange(target, PARAMS.pot_slot_iterations, entropy)
    response = timekeeper.schedule_parameters_change(ScheduleParametersChangeRequest(change), timeout=TIMEOUT)
    assert response.accepted
    # The subscriber's verifier follows the same schedule, as a node's would from the chain.
    ray.get(subscriber.learn_parameters_change.remote(change), timeout=TIMEOUT)
    ray.get(timekeeper.handle.start.remote(), timeout=TIMEOUT)
    proofs, _, errors = wait_until(
        lambda: report_holding(subscriber, target + 3), TIMEOUT, f"{target + 3} slots to arrive"
    )
    by_slot = {int(p.slot): p for p in proofs}
    assert by_slot[target].seed == by_slot[target - 1].output.seed_with_entropy(entropy)
    assert by_slot[target + 1].seed == by_slot[target].output.seed()
    assert by_slot[target - 1].seed == by_slot[target - 2].output.seed()
    assert errors == []


def test_restarted_timekeeper_continues_without_gap_or_fork(network) -> None:
    timekeeper, subscriber = network
    ray.get(timekeeper.handle.start.remote(), timeout=TIMEOUT)
    before, _, _ = wait_until(lambda: report_holding(subscriber, 10), TIMEOUT, "10 slots to arrive")
    timekeeper.kill(restart=True)  # Ray re-runs __init__, which restores from RocksDB and autostarts
    proofs, outcomes, errors = wait_until(
        lambda: report_holding(subscriber, len(before) + 30), TIMEOUT, f"{len(before) + 30} slots, across the restart"
    )
    assert errors == []
    slots = [int(p.slot) for p in proofs]
    assert slots == list(range(1, len(slots) + 1))  # consecutive: no gap, nothing re-proven differently
    assert len(slots) > len(before) + 20
    assert timekeeper.status(timeout=TIMEOUT).running
