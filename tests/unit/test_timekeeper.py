"""Timekeeper and PotVerifier as plain classes: no threads needed, no Ray."""

from __future__ import annotations

import pytest

from autonomys.actors.messages import ScheduleParametersChangeRequest, SlotNotification
from autonomys.actors.storage import MemoryKVStore, RocksKVStore
from autonomys.actors.timekeeper.service import (
    MAX_RETRY_INTERVAL_SLOTS,
    Timekeeper,
    TimekeeperConfig,
    TimekeeperService,
)
from autonomys.actors.timekeeper.verifier import PotVerifier
from autonomys.protocol.errors import InvalidProofOfTime, PotInputMismatch
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.timekeeper.pot import GossipProof, PotParametersChange, PotSeed
from autonomys.protocol.timekeeper.pot_state import PotUpdateOutcome
from helpers.links import LocalLinks
from helpers.recording import RecordingSubscriber

GENESIS = PotSeed(bytes([5]) * 16)


def prove_slots(timekeeper: Timekeeper, count: int) -> list[GossipProof]:
    proofs = [timekeeper.prove_next_slot() for _ in range(count)]
    assert all(proof is not None for proof in proofs)
    return proofs  # type: ignore[return-value]


def test_consecutive_slots_verify_in_order() -> None:
    timekeeper = Timekeeper(MINIMAL, GENESIS, MemoryKVStore())
    verifier = PotVerifier(GENESIS, MINIMAL.pot_slot_iterations)
    proofs = prove_slots(timekeeper, 5)
    assert [proof.slot for proof in proofs] == [1, 2, 3, 4, 5]
    for proof in proofs:
        assert verifier.on_slot(SlotNotification(proof)) is PotUpdateOutcome.EXTENSION
    assert verifier.accepted == 5


def test_restart_resumes_without_gap_or_fork(tmp_path) -> None:
    store = RocksKVStore(tmp_path / "tk")
    first = prove_slots(Timekeeper(MINIMAL, GENESIS, store), 3)
    store.close()
    resumed = Timekeeper(MINIMAL, GENESIS, RocksKVStore(tmp_path / "tk"))
    after = prove_slots(resumed, 2)
    uninterrupted = prove_slots(Timekeeper(MINIMAL, GENESIS, MemoryKVStore()), 5)
    assert first + after == uninterrupted


def test_injection_lands_at_its_target_slot() -> None:
    timekeeper = Timekeeper(MINIMAL, GENESIS, MemoryKVStore())
    prove_slots(timekeeper, 2)
    entropy = bytes([0xAB]) * 32
    response = timekeeper.schedule_parameters_change(
        ScheduleParametersChangeRequest(PotParametersChange(slot=6, slot_iterations=320, entropy=entropy))
    )
    assert response.accepted
    assert response.outcome is PotUpdateOutcome.NO_CHANGE  # slot 6's input is not the next one yet
    proofs = prove_slots(timekeeper, 5)
    by_slot = {int(proof.slot): proof for proof in proofs}
    assert by_slot[5].seed == by_slot[4].output.seed()
    assert by_slot[6].seed == by_slot[5].output.seed_with_entropy(entropy)
    assert by_slot[7].seed == by_slot[6].output.seed()
    assert [int(p.slot_iterations) for p in proofs] == [160, 160, 160, 320, 320]
    late = timekeeper.schedule_parameters_change(
        ScheduleParametersChangeRequest(PotParametersChange(slot=2, slot_iterations=160, entropy=entropy))
    )
    assert not late.accepted
    assert late.outcome is None
    assert "too late" in late.reason


def test_verifier_rejects_forgery_and_gaps_and_keeps_state() -> None:
    proofs = prove_slots(Timekeeper(MINIMAL, GENESIS, MemoryKVStore()), 4)
    verifier = PotVerifier(GENESIS, MINIMAL.pot_slot_iterations, anchor_on_first=False)
    verifier.on_slot(SlotNotification(proofs[0]))
    with pytest.raises(PotInputMismatch):
        verifier.on_slot(SlotNotification(proofs[2]))
    raw = bytearray(proofs[1].to_bytes())
    raw[40] ^= 4
    with pytest.raises(InvalidProofOfTime):
        verifier.on_slot(SlotNotification(GossipProof.from_bytes(bytes(raw))))
    assert verifier.on_slot(SlotNotification(proofs[1])) is PotUpdateOutcome.EXTENSION


def test_late_joiner_anchors_on_a_verified_proof() -> None:
    proofs = prove_slots(Timekeeper(MINIMAL, GENESIS, MemoryKVStore()), 4)
    verifier = PotVerifier(GENESIS, MINIMAL.pot_slot_iterations)
    raw = bytearray(proofs[2].to_bytes())
    raw[-3] ^= 1
    with pytest.raises(InvalidProofOfTime):
        verifier.on_slot(SlotNotification(GossipProof.from_bytes(bytes(raw))))
    assert verifier.on_slot(SlotNotification(proofs[2])) is PotUpdateOutcome.EXTENSION
    assert verifier.on_slot(SlotNotification(proofs[3])) is PotUpdateOutcome.EXTENSION


class Recorder:
    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.slots: list[int] = []
        self.attempts = 0

    def on_slot(self, notification: SlotNotification) -> None:
        self.attempts += 1
        if self.fail:
            raise ConnectionError("gone")
        self.slots.append(int(notification.proof.slot))


def test_service_publishes_and_remembers_subscribers(tmp_path) -> None:
    recorders = {"a": Recorder("a"), "broken": Recorder("broken", fail=True)}
    config = TimekeeperConfig(str(tmp_path), MINIMAL, GENESIS, autostart=False)
    service = TimekeeperService(config, LocalLinks(recorders))
    service.subscribe("a")
    service.subscribe("broken")
    service.start()
    proofs = service.proofs_after(100, timeout=20)
    assert len(proofs) > 0
    # A failing subscriber (a node Ray is restarting) is kept, and tried less and less often.
    broken = recorders["broken"]
    assert service.status().subscribers == 2
    assert "subscriber broken" in service.status().last_error
    assert 5 <= broken.attempts < 30
    broken.fail = False  # back: it gets slots again within MAX_RETRY_INTERVAL_SLOTS
    service.proofs_after(service.status().next_slot + MAX_RETRY_INTERVAL_SLOTS + 2, timeout=20)
    service.shutdown()
    assert len(broken.slots) > 0
    assert recorders["a"].slots == list(range(1, len(recorders["a"].slots) + 1))
    assert len(recorders["a"].slots) >= 101
    restored = TimekeeperService(config, LocalLinks(recorders))
    assert restored.status().subscribers == 2
    assert restored.status().next_slot == service.status().next_slot
    restored.shutdown()


def test_a_restarted_service_sends_the_recent_slots_again(tmp_path) -> None:
    """Pushes in flight when the timekeeper dies are lost; the restarted one replays the recent proofs, so a
    subscriber sees no gap (it would raise PotInputMismatch) and the repeats change nothing."""
    store = MemoryKVStore()
    proofs = prove_slots(Timekeeper(MINIMAL, GENESIS, store), 10)  # the process that dies
    subscriber = RecordingSubscriber(GENESIS, MINIMAL.pot_slot_iterations)
    for proof in proofs[:7]:  # the pushes of slots 8-10 died with it
        subscriber.on_slot(SlotNotification(proof))
    config = TimekeeperConfig(str(tmp_path), MINIMAL, GENESIS, autostart=False)
    restarted = TimekeeperService(config, LocalLinks(lambda name: subscriber), store=store)
    restarted.subscribe("verifier")
    restarted.start()
    restarted.proofs_after(13, timeout=20)
    restarted.stop()
    assert subscriber.errors == []
    assert subscriber.verifier.accepted >= 13  # every slot, in order, each once
    # The replay, oldest first: slots 1-7 repeat (no change), then 8-10, the lost ones, extend the chain.
    assert subscriber.outcomes[7:17] == [PotUpdateOutcome.NO_CHANGE.value] * 7 + [PotUpdateOutcome.EXTENSION.value] * 3
