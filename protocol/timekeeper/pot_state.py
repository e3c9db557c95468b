"""The proof-of-time chain a node follows: which slot comes next and with what input.

Every update returns (outcome, new state) and never mutates; the caller decides the I/O from the
outcome. Gossip and the timekeeper extend the chain one slot at a time; the consensus chain's
best block can move it (an extension when the block is ahead, a reorg when it disagrees).
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass

from autonomys.protocol.codec import Reader, encode_u8, encode_u16, encode_u32, encode_u64
from autonomys.protocol.constants import BLAKE3_HASH_SIZE, POT_GOSSIP_PROOF_SIZE, POT_SEED_SIZE
from autonomys.protocol.errors import DecodeError, PotInputMismatch, ProtocolError
from autonomys.protocol.params import validate_slot_iterations
from autonomys.protocol.timekeeper.pot import (
    GossipProof,
    PotNextSlotInput,
    PotOutput,
    PotParametersChange,
    PotSeed,
    compute_next_slot_input,
    validate_gossip_proof,
)
from autonomys.protocol.types import Blake3Hash, SlotIterations, SlotNumber

# Accepted proofs kept to answer duplicates and to replay the chain after a best-block update.
RECENT_PROOFS_KEPT = 64
POT_STATE_ENCODING_VERSION = 1


class PotUpdateOutcome(enum.Enum):
    NO_CHANGE = "no_change"
    EXTENSION = "extension"
    REORG = "reorg"


@dataclass(frozen=True, slots=True)
class PotChainState:
    next_slot_input: PotNextSlotInput
    """The input of the first slot not proven yet."""
    parameters_change: PotParametersChange | None
    """The scheduled (or most recent, until passed) change of iterations and entropy."""
    recent_proofs: tuple[GossipProof, ...]
    """Accepted proofs in slot order (at most RECENT_PROOFS_KEPT), for duplicates and replays."""

    @property
    def last_proof(self) -> GossipProof | None:
        return self.recent_proofs[-1] if len(self.recent_proofs) > 0 else None


@dataclass(frozen=True, slots=True)
class PotUpdate:
    outcome: PotUpdateOutcome
    state: PotChainState


def initialize_pot_state(genesis_seed: PotSeed, slot_iterations: int, first_slot: int = 1) -> PotChainState:
    """The chain before any slot is proven: slot 1 (after the genesis block's slot 0) from the genesis seed."""
    return PotChainState(
        PotNextSlotInput(SlotNumber(first_slot), SlotIterations(slot_iterations), genesis_seed), None, ()
    )


def get_proof(state: PotChainState, slot: int) -> GossipProof | None:
    """The accepted proof of `slot`, if still kept."""
    for proof in reversed(state.recent_proofs):
        if proof.slot == slot:
            return proof
    return None


def _advance(state: PotChainState, proof: GossipProof) -> PotChainState:
    next_input = compute_next_slot_input(proof.slot_iterations, proof.slot, proof.output, state.parameters_change)
    change = state.parameters_change
    # A change whose slot is proven is fully applied: its iterations now flow from the base.
    if change is not None and change.slot <= proof.slot:
        change = None
    recent = (*state.recent_proofs, proof)[-RECENT_PROOFS_KEPT:]
    return PotChainState(next_input, change, recent)


def apply_proof(state: PotChainState, proof: GossipProof, *, check_checkpoints: bool = True) -> PotUpdate:
    """Extend the chain by one proven slot; duplicates are NO_CHANGE, anything else raises."""
    expected = state.next_slot_input
    if proof.slot < expected.slot:
        # [IGNORE] an old slot: fine if it is the proof we hold, a conflict otherwise.
        if get_proof(state, proof.slot) == proof:
            return PotUpdate(PotUpdateOutcome.NO_CHANGE, state)
        msg = f"proof for slot {proof.slot} conflicts with the chain (next slot is {expected.slot})"
        raise PotInputMismatch(msg)
    # A proof from the future cannot be checked against its parent yet.
    if proof.slot > expected.slot:
        msg = f"proof for slot {proof.slot} arrived before slot {expected.slot}"
        raise PotInputMismatch(msg)
    # The proof must answer exactly the input our chain derives.
    if proof.input != expected:
        msg = (
            f"proof for slot {proof.slot} has seed {proof.seed.hex()} / {proof.slot_iterations} iterations, "
            f"expected seed {expected.seed.hex()} / {expected.slot_iterations} iterations"
        )
        raise PotInputMismatch(msg)
    if check_checkpoints:
        validate_gossip_proof(proof)
    return PotUpdate(PotUpdateOutcome.EXTENSION, _advance(state, proof))


def apply_parameters_change(state: PotChainState, change: PotParametersChange) -> PotUpdate:
    """Schedule a change of iterations / entropy for a slot not proven yet."""
    if change == state.parameters_change:
        return PotUpdate(PotUpdateOutcome.NO_CHANGE, state)
    if change.slot < state.next_slot_input.slot:
        msg = f"parameters change for slot {change.slot} is too late: slot {state.next_slot_input.slot - 1} is proven"
        raise PotInputMismatch(msg)
    next_input = state.next_slot_input
    last = state.last_proof
    if change.slot == next_input.slot:
        # The change hits the very next slot: re-derive its input from the parent output.
        if last is None:
            msg = f"parameters change for slot {change.slot} has no proven parent slot to mix entropy into"
            raise PotInputMismatch(msg)
        next_input = compute_next_slot_input(last.slot_iterations, last.slot, last.output, change)
    new_state = PotChainState(next_input, change, state.recent_proofs)
    outcome = PotUpdateOutcome.NO_CHANGE if next_input == state.next_slot_input else PotUpdateOutcome.REORG
    return PotUpdate(outcome, new_state)


def apply_best_block(
    state: PotChainState,
    best_slot: int,
    best_output: PotOutput,
    parameters_change: PotParametersChange | None,
) -> PotUpdate:
    """Follow the consensus chain's best block (its slot's output and the change it schedules).

    Proofs held after the block are replayed while they still fit. NO_CHANGE when the next input
    stays, EXTENSION when the block is ahead of us, REORG when it disagrees with proofs we hold.
    """
    held = get_proof(state, best_slot)
    consistent = held is not None and held.output == PotOutput(best_output)
    base_iterations = held.slot_iterations if consistent and held is not None else state.next_slot_input.slot_iterations
    next_input = compute_next_slot_input(base_iterations, best_slot, best_output, parameters_change)
    kept = tuple(proof for proof in state.recent_proofs if proof.slot <= best_slot) if consistent else ()
    candidate = PotChainState(next_input, parameters_change, kept)
    for proof in state.recent_proofs:
        if proof.slot > best_slot and proof.input == candidate.next_slot_input:
            candidate = _advance(candidate, proof)
    if candidate.next_slot_input == state.next_slot_input:
        return PotUpdate(PotUpdateOutcome.NO_CHANGE, candidate)
    if best_slot >= state.next_slot_input.slot:
        return PotUpdate(PotUpdateOutcome.EXTENSION, candidate)
    return PotUpdate(PotUpdateOutcome.REORG, candidate)


def _encode_change(change: PotParametersChange | None) -> bytes:
    if change is None:
        return encode_u8(0)
    return encode_u8(1) + encode_u64(change.slot) + encode_u32(change.slot_iterations) + change.entropy


def encode_pot_state(state: PotChainState) -> bytes:
    """Durable encoding of the chain state (the timekeeper's checkpoint on disk)."""
    next_input = state.next_slot_input
    return (
        encode_u8(POT_STATE_ENCODING_VERSION)
        + encode_u64(next_input.slot)
        + encode_u32(next_input.slot_iterations)
        + next_input.seed
        + _encode_change(state.parameters_change)
        + encode_u16(len(state.recent_proofs))
        + b"".join(proof.to_bytes() for proof in state.recent_proofs)
    )


def decode_pot_state(data: bytes) -> PotChainState:
    """Inverse of encode_pot_state; DecodeError on anything else, and on states no update could produce.

    Fields are checked as the updates make them: iterations that validate, at most RECENT_PROOFS_KEPT
    proofs for consecutive slots, and the next slot right after the last proof (its seed and iterations
    cannot be re-derived: a replaced parameters change may have shaped them). Only DecodeError escapes.
    """
    try:
        state = _read_pot_state(Reader(data, "PotChainState"))
        _check_pot_state(state)
    except DecodeError:
        raise
    except (ProtocolError, ValueError, TypeError) as error:  # parameter checks and int bounds of the fields
        msg = f"PotChainState: {type(error).__name__}: {error}"
        raise DecodeError(msg) from error
    return state


def _read_pot_state(reader: Reader) -> PotChainState:
    version = reader.read_u8()
    if version != POT_STATE_ENCODING_VERSION:
        msg = f"PotChainState: unknown encoding version {version}"
        raise DecodeError(msg)
    next_input = PotNextSlotInput(
        SlotNumber(reader.read_u64()), SlotIterations(reader.read_u32()), PotSeed(reader.read_bytes(POT_SEED_SIZE))
    )
    change = None
    if reader.read_option_tag():
        change = PotParametersChange(
            SlotNumber(reader.read_u64()),
            SlotIterations(reader.read_u32()),
            Blake3Hash(reader.read_bytes(BLAKE3_HASH_SIZE)),
        )
    count = reader.read_u16()
    if count > RECENT_PROOFS_KEPT:
        msg = f"PotChainState: {count} recent proofs, at most {RECENT_PROOFS_KEPT} are kept"
        raise DecodeError(msg)
    proofs = tuple(GossipProof.from_bytes(reader.read_bytes(POT_GOSSIP_PROOF_SIZE)) for _ in range(count))
    reader.expect_end()
    return PotChainState(next_input, change, proofs)


def _check_pot_state(state: PotChainState) -> None:
    """DecodeError (or InvalidParams) unless the decoded state is one the updates can produce."""
    validate_slot_iterations(state.next_slot_input.slot_iterations)
    for proof in state.recent_proofs:
        validate_slot_iterations(proof.slot_iterations)
    for earlier, later in itertools.pairwise(state.recent_proofs):
        if later.slot != earlier.slot + 1:
            msg = f"PotChainState: the recent proof after slot {earlier.slot} is for slot {later.slot}"
            raise DecodeError(msg)
    last = state.last_proof
    if last is not None and state.next_slot_input.slot != last.slot + 1:
        msg = (
            f"PotChainState: the next slot is {state.next_slot_input.slot}, but the last proof is for slot {last.slot}"
        )
        raise DecodeError(msg)
