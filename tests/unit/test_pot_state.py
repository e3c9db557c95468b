"""protocol.timekeeper.pot_state: extension, duplicates, conflicts, injections, best-block reorgs, durability."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autonomys.protocol.codec import encode_u8, encode_u16, encode_u32, encode_u64
from autonomys.protocol.errors import DecodeError, InvalidProofOfTime, PotInputMismatch
from autonomys.protocol.params import validate_slot_iterations
from autonomys.protocol.timekeeper.pot import GossipProof, PotOutput, PotParametersChange, PotSeed, prove_slot
from autonomys.protocol.timekeeper.pot_state import (
    RECENT_PROOFS_KEPT,
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


# ---- decoding stored states: only DecodeError escapes, and every state the updates make still decodes ----

STORED_STATES = (
    encode_pot_state(initialize_pot_state(GENESIS, ITERATIONS)),
    encode_pot_state(extend(initialize_pot_state(GENESIS, ITERATIONS), 3)),
    encode_pot_state(
        apply_parameters_change(
            extend(initialize_pot_state(GENESIS, ITERATIONS), 2), PotParametersChange(3, 320, bytes([7]) * 32)
        ).state
    ),
)


def decodes_or_raises_decode_error(data: bytes) -> None:
    """The only allowed outcomes: a state that re-encodes to exactly `data` and can be proven on, or DecodeError."""
    try:
        state = decode_pot_state(data)
    except DecodeError:
        return
    assert encode_pot_state(state) == data
    validate_slot_iterations(state.next_slot_input.slot_iterations)  # the timekeeper can prove its next slot


def test_bad_iterations_in_a_stored_state_are_a_decode_error() -> None:
    """The timekeeper's restart loop: iterations that fail validate_slot_iterations escaped as InvalidParams."""
    stored = bytearray(STORED_STATES[0])
    for iterations in (0, 17, 100, 2**32 - 1):
        stored[9:13] = iterations.to_bytes(4, "little")  # next_slot_input.slot_iterations
        with pytest.raises(DecodeError, match="PotChainState"):
            decode_pot_state(bytes(stored))
    with_change = bytearray(STORED_STATES[2])
    change_iterations = 1 + 8 + 4 + 16 + 1 + 8
    with_change[change_iterations : change_iterations + 4] = (24).to_bytes(4, "little")
    with pytest.raises(DecodeError, match="InvalidProofOfTime"):
        decode_pot_state(bytes(with_change))


def test_inconsistent_stored_states_are_a_decode_error() -> None:
    state = extend(initialize_pot_state(GENESIS, ITERATIONS), 3)
    proofs = state.recent_proofs
    wrong_slot = dataclasses.replace(state, next_slot_input=dataclasses.replace(state.next_slot_input, slot=9))
    with pytest.raises(DecodeError, match="next slot is 9, but the last proof is for slot 3"):
        decode_pot_state(encode_pot_state(wrong_slot))
    with pytest.raises(DecodeError, match="after slot 1 is for slot 3"):
        decode_pot_state(encode_pot_state(dataclasses.replace(state, recent_proofs=(proofs[0], proofs[2]))))
    too_many = encode_pot_state(state)[: -3 * 156 - 2] + encode_u16(RECENT_PROOFS_KEPT + 1)
    with pytest.raises(DecodeError, match="at most 64"):
        decode_pot_state(too_many)


@settings(max_examples=400, deadline=None)
@given(
    which=st.sampled_from(range(len(STORED_STATES))),
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 255), st.sampled_from("xsdi")), min_size=1, max_size=4
    ),
)
def test_mutated_stored_states_raise_only_decode_error(which: int, edits: list[tuple[int, int, str]]) -> None:
    """Bit flips (x), byte sets (s), deletions (d) and insertions (i) anywhere in an encoded state."""
    data = bytearray(STORED_STATES[which])
    for position, value, kind in edits:
        at = position % (len(data) + 1)
        if kind == "i":
            data.insert(at, value)
        elif len(data) == 0:
            continue
        elif kind == "d":
            del data[at % len(data)]
        elif kind == "s":
            data[at % len(data)] = value
        else:
            data[at % len(data)] ^= 1 << (value % 8)
    decodes_or_raises_decode_error(bytes(data))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_raise_only_decode_error(data: bytes) -> None:
    decodes_or_raises_decode_error(data)


@settings(max_examples=300, deadline=None)
@given(
    slot=st.integers(0, 2**64 - 1),
    iterations=st.integers(0, 2**32 - 1),
    change=st.none() | st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1)),
    proofs=st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1)), max_size=3),
)
def test_well_framed_states_with_any_field_values_raise_only_decode_error(
    slot: int, iterations: int, change: tuple[int, int] | None, proofs: list[tuple[int, int]]
) -> None:
    """Correct framing, any values: slot and iteration bounds, parameter validation and consistency all map to DecodeError."""
    data = encode_u8(1) + encode_u64(slot) + encode_u32(iterations) + bytes(16)
    data += encode_u8(0) if change is None else encode_u8(1) + encode_u64(change[0]) + encode_u32(change[1]) + bytes(32)
    data += encode_u16(len(proofs))
    data += b"".join(encode_u64(s) + bytes(16) + encode_u32(i) + bytes(128) for s, i in proofs)
    decodes_or_raises_decode_error(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("prove"), st.integers(1, 3)),
            st.tuples(
                st.just("change"),
                st.integers(0, 3),
                st.sampled_from([16, 160, 320]),
                st.binary(min_size=32, max_size=32),
            ),
            st.tuples(st.just("best"), st.integers(0, 6), st.booleans()),
        ),
        max_size=8,
    )
)
def test_every_state_the_updates_make_round_trips(operations: list[tuple]) -> None:
    """The consistency checks never refuse a state that extension, changes and best-block updates produce."""
    state = initialize_pot_state(GENESIS, ITERATIONS)
    for operation in operations:
        if operation[0] == "prove":
            state = extend(state, operation[1])
        elif operation[0] == "change":
            change = PotParametersChange(state.next_slot_input.slot + operation[1], operation[2], operation[3])
            try:
                state = apply_parameters_change(state, change).state
            except PotInputMismatch:
                pass  # a change for the next slot with no proven parent
        else:
            back = min(operation[1], len(state.recent_proofs) - 1) if state.recent_proofs else -1
            if back >= 0 and operation[2]:
                held = state.recent_proofs[-1 - back]
                state = apply_best_block(state, held.slot, held.output, state.parameters_change).state
            else:
                state = apply_best_block(state, state.next_slot_input.slot + 2, PotOutput(bytes([3]) * 16), None).state
        assert decode_pot_state(encode_pot_state(state)) == state
