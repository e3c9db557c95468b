"""PoT entropy injection (pallet-subspace `do_initialize`): blocks sample entropy every injection interval, and the
entropy of the block a lookback before is scheduled into the PoT chain a delay of slots after; a block's header
announces the resulting parameters change. protocol.consensus.chain re-exports these."""

from __future__ import annotations

import dataclasses

from autonomys.protocol.consensus.chain_blocks import compute_blake3
from autonomys.protocol.consensus.chain_state import ChainState, PotEntropyValue
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.params import Params
from autonomys.protocol.timekeeper.pot import PotParametersChange
from autonomys.protocol.types import Blake3Hash, SlotIterations, SlotNumber


def compute_pot_entropy(chunk: bytes, proof_of_time: bytes) -> bytes:
    """blake3(solution chunk [32] || proof_of_time [16]) (derive_pot_entropy)."""
    return bytes(compute_blake3(bytes(chunk) + bytes(proof_of_time)))


def _entropy_source(number: int, params: Params) -> int | None:
    last_injection = number // params.pot_entropy_injection_interval * params.pot_entropy_injection_interval
    source = last_injection - params.pot_entropy_injection_lookback_blocks
    return source if source >= 0 else None


def process_pot_entropy(state: ChainState, slot: int, chunk: bytes, proof_of_time: bytes, params: Params) -> ChainState:
    """PoT entropy injection (pallet-subspace `do_initialize`) for block state.number at `slot`: sample entropy
    on injection blocks, schedule the source's target slot, set pending_pot_parameters_change, and drop the
    oldest entry once its target slot has passed."""
    number = state.number
    entropy = dict(state.pot_entropy)
    source = _entropy_source(number, params)
    if number % params.pot_entropy_injection_interval == 0:
        entropy[number] = PotEntropyValue(compute_pot_entropy(chunk, proof_of_time), None)
        # Entropy from lookback blocks ago is injected delay slots after this block.
        if source is not None and source in entropy:
            target_slot = min(slot + params.pot_entropy_injection_delay, U64_MAX)
            entropy[source] = dataclasses.replace(entropy[source], target_slot=target_slot)
    change = None
    value = entropy.get(source) if source is not None else None
    if value is not None and value.target_slot is not None:
        change = PotParametersChange(
            SlotNumber(value.target_slot), SlotIterations(state.pot_slot_iterations), Blake3Hash(value.entropy)
        )
    oldest = min(entropy, default=None)
    oldest_target_slot = entropy[oldest].target_slot if oldest is not None else None
    if oldest is not None and oldest_target_slot is not None and oldest_target_slot < slot:
        del entropy[oldest]
    return dataclasses.replace(state, pot_entropy=tuple(sorted(entropy.items())), pending_pot_parameters_change=change)


def derive_pot_parameters_change(
    state_before: ChainState,
    block_slot: int,
    block_number: int,
    solution_chunk: bytes,
    proof_of_time: bytes,
    params: Params,
) -> PotParametersChange | None:
    """The pot_parameters_change a block at (block_number, block_slot) on `state_before` must carry."""
    state = dataclasses.replace(state_before, number=block_number)
    return process_pot_entropy(state, block_slot, solution_chunk, proof_of_time, params).pending_pot_parameters_change
