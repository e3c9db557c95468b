"""protocol.pot_state: extension, duplicates, conflicts, injections, best-block reorgs, durability."""

from __future__ import annotations

import dataclasses

import pytest

from autonomys.protocol.errors import DecodeError, InvalidProofOfTime, PotInputMismatch
from autonomys.protocol.pot import GossipProof, PotParametersChange, PotSeed, prove_slot
from autonomys.protocol.pot_state import (
    PotChainState,
    PotUpdateOutcome,
    apply_best_block,
    apply_parameters_change,
    apply_proof,
    decode_pot_state,
    encode_pot_state,
    initialize_pot_state,
)

GENESIS = PotSeed(bytes(range(16)))
ITERATIONS = 160


def extend(state: PotChainState, slots: int) -> PotChainState:
    for _ in range(slots):
        state = apply_proof(state, prove_slot(state.next_slot_input)).state
    return state


def test_extension_then_duplicate() -> None:
    state = initialize_pot_state(GENESIS, ITERATIONS)
    proof = prove_slot(state.next_slot_input)
    update = apply_proof(state, proof)
    assert update.outcome is PotUpdateOutcome.EXTENSION
    assert update.state.next_slot_input.slot == 2
    assert update.state.next_slot_input.seed == proof.output.seed()
    assert apply_proof(update.state, proof).outcome is PotUpdateOutcome.NO_CHANGE


def test_bad_proofs_raise_and_leave_state() -> None:
    state = extend(initialize_pot_state(GENESIS, ITERATIONS), 2)
    good = prove_slot(state.next_slot_input)
    forged = GossipProof(good.slot, good.seed, good.slot_iterations, prove_slot(state.next_slot_input).checkpoints)
    raw = bytearray(forged.to_bytes())
    raw[-1] ^= 1
    with pytest.raises(InvalidProofOfTime):
        apply_proof(state, GossipProof.from_bytes(bytes(raw)))
    with pytest.raises(PotInputMismatch, match="expected seed"):
        apply_proof(state, dataclasses.replace(good, seed=PotSeed(bytes(16))))
    with pytest.raises(PotInputMismatch, match="expected seed"):
        apply_proof(state, dataclasses.replace(good, slot_iterations=320))
    with pytest.raises(PotInputMismatch, match="arrived before"):
        apply_proof(state, dataclasses.replace(good, slot=good.slot + 1))
    with pytest.raises(PotInputMismatch, match="conflicts"):
        apply_proof(state, dataclasses.replace(good, slot=1))
    assert apply_proof(state, good).outcome is PotUpdateOutcome.EXTENSION


def test_injection_changes_the_seed_at_exactly_its_slot() -> None:
    state = extend(initialize_pot_state(GENESIS, ITERATIONS), 2)
    change = PotParametersChange(slot=5, slot_iterations=320, entropy=bytes([9]) * 32)
    state = apply_parameters_change(state, change).state
    slot3 = prove_slot(state.next_slot_input)
    state = apply_proof(state, slot3).state
    slot4 = prove_slot(state.next_slot_input)
    assert slot4.seed == slot3.output.seed()
    state = apply_proof(state, slot4).state
    assert state.next_slot_input.slot == 5
    assert state.next_slot_input.seed == slot4.output.seed_with_entropy(change.entropy)
    assert state.next_slot_input.slot_iterations == 320
    state = extend(state, 1)
    assert state.parameters_change is None
    assert state.next_slot_input.seed == state.last_proof.output.seed()
    assert state.next_slot_input.slot_iterations == 320


def test_change_for_the_very_next_slot_rederives_its_input() -> None:
    state = extend(initialize_pot_state(GENESIS, ITERATIONS), 2)
    change = PotParametersChange(slot=3, slot_iterations=ITERATIONS, entropy=bytes([1]) * 32)
    update = apply_parameters_change(state, change)
    assert update.outcome is PotUpdateOutcome.REORG
    assert update.state.next_slot_input.seed == state.last_proof.output.seed_with_entropy(change.entropy)


def test_late_change_is_refused() -> None:
    state = extend(initialize_pot_state(GENESIS, ITERATIONS), 3)
    with pytest.raises(PotInputMismatch, match="too late"):
        apply_parameters_change(state, PotParametersChange(slot=2, slot_iterations=160, entropy=bytes(32)))


def test_best_block_outcomes() -> None:
    state = extend(initialize_pot_state(GENESIS, ITERATIONS), 4)
    second = state.recent_proofs[1]
    same = apply_best_block(state, second.slot, second.output, None)
    assert same.outcome is PotUpdateOutcome.NO_CHANGE
    assert same.state == state
    # The consensus chain injects entropy at slot 3, which we proved without it: reorg to slot 3.
    change = PotParametersChange(slot=3, slot_iterations=ITERATIONS, entropy=bytes([2]) * 32)
    reorg = apply_best_block(state, second.slot, second.output, change)
    assert reorg.outcome is PotUpdateOutcome.REORG
    assert reorg.state.next_slot_input.slot == 3
    assert reorg.state.next_slot_input.seed == second.output.seed_with_entropy(change.entropy)
    # A block ahead of us moves us forward.
    ahead = apply_best_block(state, 40, second.output, None)
    assert ahead.outcome is PotUpdateOutcome.EXTENSION
    assert ahead.state.next_slot_input.slot == 41


def test_state_round_trips_and_rejects_garbage() -> None:
    state = extend(initialize_pot_state(GENESIS, ITERATIONS), 3)
    state = apply_parameters_change(state, PotParametersChange(9, 320, bytes([3]) * 32)).state
    assert decode_pot_state(encode_pot_state(state)) == state
    with pytest.raises(DecodeError):
        decode_pot_state(encode_pot_state(state)[:-1])
    with pytest.raises(DecodeError, match="unknown encoding version"):
        decode_pot_state(b"\x09" + encode_pot_state(state)[1:])
