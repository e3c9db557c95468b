"""PotVerifier: every role that acts on slots checks them here first.

It follows the PoT chain from genesis, or anchors on the first proof it sees when it joins late
(that proof's checkpoints are verified; its link to earlier slots is taken from the consensus
chain later via `on_best_block`). From then on each slot must extend the chain and verify.
"""

from __future__ import annotations

from autonomys.actors.messages import SlotNotification
from autonomys.protocol.timekeeper.pot import PotOutput, PotParametersChange, PotSeed, validate_gossip_proof
from autonomys.protocol.timekeeper.pot_state import (
    PotChainState,
    PotUpdateOutcome,
    apply_best_block,
    apply_parameters_change,
    apply_proof,
    initialize_pot_state,
)


class PotVerifier:
    def __init__(self, genesis_seed: PotSeed, slot_iterations: int, *, anchor_on_first: bool = True) -> None:
        self.state: PotChainState = initialize_pot_state(PotSeed(genesis_seed), slot_iterations)
        self.anchor_on_first = anchor_on_first
        self.accepted = 0

    def on_slot(self, notification: SlotNotification) -> PotUpdateOutcome:
        """Accept the slot or raise InvalidProofOfTime / PotInputMismatch; nothing changes on error."""
        proof = notification.proof
        state = self.state
        anchoring = self.anchor_on_first and state.last_proof is None and proof.slot > state.next_slot_input.slot
        if anchoring:
            validate_gossip_proof(proof)
            state = PotChainState(proof.input, None, ())
        update = apply_proof(state, proof, check_checkpoints=not anchoring)
        self.state = update.state
        if update.outcome is PotUpdateOutcome.EXTENSION:
            self.accepted += 1
        return update.outcome

    def on_parameters_change(self, change: PotParametersChange) -> PotUpdateOutcome:
        """A change the consensus chain scheduled (entropy injection, new iterations)."""
        update = apply_parameters_change(self.state, change)
        self.state = update.state
        return update.outcome

    def on_best_block(
        self, slot: int, output: PotOutput, parameters_change: PotParametersChange | None
    ) -> PotUpdateOutcome:
        update = apply_best_block(self.state, slot, output, parameters_change)
        self.state = update.state
        return update.outcome
