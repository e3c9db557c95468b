"""Proof-of-time: seeds, keys, checkpoints, slot inputs, parameter changes and the gossip proof
(subspace-proof-of-time, `pot.rs` of subspace-core-primitives, sc-proof-of-time).

prove / verify go through the C kernel (kernels.pot); everything else here is pure derivation.
"""

from __future__ import annotations

from dataclasses import dataclass

import blake3

from autonomys.kernels import pot as pot_kernel
from autonomys.protocol.codec import Reader, encode_u32, encode_u64
from autonomys.protocol.constants import (
    POT_CHECKPOINTS_SIZE,
    POT_GOSSIP_PROOF_SIZE,
    POT_KEY_SIZE,
    POT_NUM_CHECKPOINTS,
    POT_OUTPUT_SIZE,
    POT_SEED_SIZE,
)
from autonomys.protocol.errors import DecodeError, InvalidParams, InvalidProofOfTime
from autonomys.protocol.params import validate_slot_iterations
from autonomys.protocol.types import Blake3Hash, FixedBytes, Randomness, SlotIterations, SlotNumber


class PotKey(FixedBytes):
    """AES-128 key of one slot: the first 16 bytes of blake3(seed)."""

    SIZE = POT_KEY_SIZE


class PotSeed(FixedBytes):
    """The first plaintext of a slot's chain."""

    SIZE = POT_SEED_SIZE

    def key(self) -> PotKey:
        """blake3(seed)[0..16]."""
        return PotKey(blake3.blake3(self).digest()[:POT_KEY_SIZE])

    @classmethod
    def from_genesis(cls, genesis_hash: bytes, external_entropy: bytes) -> PotSeed:
        """blake3(genesis_hash || external_entropy)[0..16]; entropy is the raw UTF-8 chain-spec string."""
        return cls(blake3.blake3(bytes(genesis_hash) + bytes(external_entropy)).digest()[:POT_SEED_SIZE])


class PotOutput(FixedBytes):
    """A checkpoint; the last checkpoint of a slot is its output."""

    SIZE = POT_OUTPUT_SIZE

    def seed(self) -> PotSeed:
        """The next slot's seed when no entropy is injected: the output itself."""
        return PotSeed(self)

    def seed_with_entropy(self, entropy: bytes) -> PotSeed:
        """The next slot's seed on an injection slot: blake3(entropy || output)[0..16]."""
        return PotSeed(blake3.blake3(Blake3Hash(entropy) + self).digest()[:POT_SEED_SIZE])

    def derive_global_randomness(self) -> Randomness:
        """blake3(output): the randomness farming challenges derive from."""
        return Randomness(blake3.blake3(self).digest())


@dataclass(frozen=True, slots=True)
class PotCheckpoints:
    """The 8 checkpoints of one slot."""

    checkpoints: tuple[PotOutput, ...]

    def __post_init__(self) -> None:
        if len(self.checkpoints) != POT_NUM_CHECKPOINTS:
            msg = f"PotCheckpoints needs {POT_NUM_CHECKPOINTS} checkpoints, got {len(self.checkpoints)}"
            raise DecodeError(msg)

    @property
    def output(self) -> PotOutput:
        """The slot's output: the last checkpoint."""
        return self.checkpoints[-1]

    def to_bytes(self) -> bytes:
        return b"".join(self.checkpoints)

    @classmethod
    def from_bytes(cls, data: bytes) -> PotCheckpoints:
        if len(data) != POT_CHECKPOINTS_SIZE:
            msg = f"PotCheckpoints must be {POT_CHECKPOINTS_SIZE} bytes, got {len(data)}"
            raise DecodeError(msg)
        size = POT_OUTPUT_SIZE
        return cls(tuple(PotOutput(data[i * size : (i + 1) * size]) for i in range(POT_NUM_CHECKPOINTS)))


def _checkpoint_iterations(slot_iterations: int) -> int:
    try:
        validate_slot_iterations(slot_iterations)
    except InvalidParams as error:
        raise InvalidProofOfTime(str(error)) from error
    return slot_iterations // POT_NUM_CHECKPOINTS


def prove(seed: PotSeed, slot_iterations: int, backend: str = "auto") -> PotCheckpoints:
    """Run the delay function for one slot and return its checkpoints."""
    checkpoint_iterations = _checkpoint_iterations(slot_iterations)
    seed = PotSeed(seed)
    raw = pot_kernel.prove(seed, seed.key(), checkpoint_iterations, backend)
    return PotCheckpoints.from_bytes(raw)


def verify(seed: PotSeed, slot_iterations: int, checkpoints: PotCheckpoints, backend: str = "auto") -> bool:
    """True when `checkpoints` are the slot's checkpoints; bad arguments raise InvalidProofOfTime."""
    checkpoint_iterations = _checkpoint_iterations(slot_iterations)
    seed = PotSeed(seed)
    return pot_kernel.verify(seed, seed.key(), checkpoint_iterations, checkpoints.to_bytes(), backend)


@dataclass(frozen=True, slots=True)
class PotParametersChange:
    """From `slot` on, slots run `slot_iterations`; at exactly `slot` the entropy is mixed into the seed."""

    slot: SlotNumber
    slot_iterations: SlotIterations
    entropy: Blake3Hash

    def __post_init__(self) -> None:
        object.__setattr__(self, "slot", SlotNumber(self.slot))
        object.__setattr__(self, "slot_iterations", SlotIterations(self.slot_iterations))
        object.__setattr__(self, "entropy", Blake3Hash(self.entropy))
        _checkpoint_iterations(self.slot_iterations)


@dataclass(frozen=True, slots=True)
class PotNextSlotInput:
    """What the delay function needs to prove `slot`."""

    slot: SlotNumber
    slot_iterations: SlotIterations
    seed: PotSeed

    def __post_init__(self) -> None:
        object.__setattr__(self, "slot", SlotNumber(self.slot))
        object.__setattr__(self, "slot_iterations", SlotIterations(self.slot_iterations))
        object.__setattr__(self, "seed", PotSeed(self.seed))


def compute_next_slot_input(
    base_slot_iterations: int,
    parent_slot: int,
    parent_output: PotOutput,
    parameters_change: PotParametersChange | None,
) -> PotNextSlotInput:
    """Input of slot parent_slot + 1: a change's iterations apply from its slot on, its entropy exactly at it."""
    slot = parent_slot + 1
    slot_iterations = base_slot_iterations
    seed = PotOutput(parent_output).seed()
    if parameters_change is not None and parameters_change.slot <= slot:
        slot_iterations = parameters_change.slot_iterations
    if parameters_change is not None and parameters_change.slot == slot:
        seed = PotOutput(parent_output).seed_with_entropy(parameters_change.entropy)
    return PotNextSlotInput(SlotNumber(slot), SlotIterations(slot_iterations), seed)


@dataclass(frozen=True, slots=True)
class GossipProof:
    """A slot's proof as gossiped: slot u64 | seed [16] | slot_iterations u32 | 8 x [16] (156 bytes)."""

    slot: SlotNumber
    seed: PotSeed
    slot_iterations: SlotIterations
    checkpoints: PotCheckpoints

    def __post_init__(self) -> None:
        object.__setattr__(self, "slot", SlotNumber(self.slot))
        object.__setattr__(self, "seed", PotSeed(self.seed))
        object.__setattr__(self, "slot_iterations", SlotIterations(self.slot_iterations))

    @property
    def output(self) -> PotOutput:
        return self.checkpoints.output

    @property
    def input(self) -> PotNextSlotInput:
        """The slot input this proof claims to answer."""
        return PotNextSlotInput(self.slot, self.slot_iterations, self.seed)

    def to_bytes(self) -> bytes:
        return encode_u64(self.slot) + self.seed + encode_u32(self.slot_iterations) + self.checkpoints.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> GossipProof:
        if len(data) != POT_GOSSIP_PROOF_SIZE:
            msg = f"GossipProof must be {POT_GOSSIP_PROOF_SIZE} bytes, got {len(data)}"
            raise DecodeError(msg)
        reader = Reader(data, "GossipProof")
        slot = reader.read_u64()
        seed = PotSeed(reader.read_bytes(POT_SEED_SIZE))
        slot_iterations = reader.read_u32()
        if slot_iterations == 0:
            msg = "GossipProof: slot_iterations is NonZeroU32, got 0"
            raise DecodeError(msg)
        checkpoints = PotCheckpoints.from_bytes(reader.read_bytes(POT_CHECKPOINTS_SIZE))
        reader.expect_end()
        return cls(SlotNumber(slot), seed, SlotIterations(slot_iterations), checkpoints)


def prove_slot(slot_input: PotNextSlotInput, backend: str = "auto") -> GossipProof:
    """Prove one slot input and package it as a gossip proof."""
    checkpoints = prove(slot_input.seed, slot_input.slot_iterations, backend)
    return GossipProof(slot_input.slot, slot_input.seed, slot_input.slot_iterations, checkpoints)


def validate_gossip_proof(proof: GossipProof, backend: str = "auto") -> None:
    """Raise InvalidProofOfTime unless the proof's checkpoints verify for its own seed and iterations."""
    if not verify(proof.seed, proof.slot_iterations, proof.checkpoints, backend):
        msg = f"checkpoints of slot {proof.slot} do not verify for seed {proof.seed.hex()}"
        raise InvalidProofOfTime(msg)
