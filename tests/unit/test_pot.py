"""protocol.timekeeper.pot: derivations, known answers, gossip bytes, and rejection of bad input."""

from __future__ import annotations

import pytest

from autonomys.protocol.errors import DecodeError, InvalidProofOfTime
from autonomys.protocol.timekeeper.pot import (
    GossipProof,
    PotCheckpoints,
    PotOutput,
    PotParametersChange,
    PotSeed,
    compute_next_slot_input,
    prove,
    prove_slot,
    validate_gossip_proof,
    verify,
)
from autonomys.protocol.timekeeper.pot_state import initialize_pot_state


def test_key_from_seed(pot_vectors: dict) -> None:
    v = pot_vectors["protocol"]
    assert PotSeed.from_hex(v["seed"]).key().hex() == v["key"]


def test_prove_known_answer(pot_vectors: dict) -> None:
    v = pot_vectors["protocol"]
    checkpoints = prove(PotSeed.from_hex(v["seed"]), v["slot_iterations"])
    assert [c.hex() for c in checkpoints.checkpoints] == v["checkpoints"]
    assert checkpoints.output.hex() == v["checkpoints"][-1]
    assert verify(PotSeed.from_hex(v["seed"]), v["slot_iterations"], checkpoints)
    assert not verify(PotSeed.from_hex(v["seed"]), v["slot_iterations"] + 16, checkpoints)


def test_output_derivations(pot_vectors: dict) -> None:
    v = pot_vectors["protocol"]
    output = PotOutput.from_hex(v["checkpoints"][-1])
    assert output.derive_global_randomness().hex() == v["global_randomness"]
    assert output.seed_with_entropy(bytes(32)).hex() == v["seed_with_zero_entropy"]
    assert output.seed() == output


def test_genesis_seed(pot_vectors: dict) -> None:
    expected = pot_vectors["protocol"]["genesis_seed_zero_hash_empty_entropy"]
    assert PotSeed.from_genesis(bytes(32), b"").hex() == expected


@pytest.mark.parametrize("iterations", [0, 8, 24, 100, 2**32, -16])
def test_prove_rejects_bad_iterations(iterations: int) -> None:
    with pytest.raises(InvalidProofOfTime):
        prove(PotSeed(bytes(16)), iterations)


def test_wrong_length_seed_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="PotSeed must be 16 bytes, got 15"):
        PotSeed(bytes(15))
    with pytest.raises(DecodeError, match="not hex"):
        PotSeed.from_hex("zz" * 16)


def test_next_slot_input_plain_injection_and_iteration_change() -> None:
    output = PotOutput(bytes(range(16)))
    plain = compute_next_slot_input(160, 9, output, None)
    assert (plain.slot, plain.slot_iterations, plain.seed) == (10, 160, output.seed())
    change = PotParametersChange(slot=10, slot_iterations=320, entropy=bytes([7]) * 32)
    injected = compute_next_slot_input(160, 9, output, change)
    assert injected.seed == output.seed_with_entropy(bytes([7]) * 32)
    assert injected.slot_iterations == 320
    before = compute_next_slot_input(160, 8, output, change)
    assert (before.seed, before.slot_iterations) == (output.seed(), 160)
    after = compute_next_slot_input(160, 10, output, change)
    assert (after.seed, after.slot_iterations) == (output.seed(), 320)


def test_parameters_change_rejects_bad_iterations() -> None:
    with pytest.raises(InvalidProofOfTime):
        PotParametersChange(slot=3, slot_iterations=17, entropy=bytes(32))
    with pytest.raises(DecodeError):
        PotParametersChange(slot=3, slot_iterations=16, entropy=bytes(31))


def test_gossip_proof_golden_bytes(pot_vectors: dict) -> None:
    v = pot_vectors["protocol"]
    seed = PotSeed.from_hex(v["seed"])
    proof = GossipProof(5, seed, v["slot_iterations"], prove(seed, v["slot_iterations"]))
    encoded = proof.to_bytes()
    expected = (5).to_bytes(8, "little") + seed + (160).to_bytes(4, "little") + bytes.fromhex("".join(v["checkpoints"]))
    assert encoded == expected
    assert len(encoded) == 156
    assert GossipProof.from_bytes(encoded) == proof


@pytest.mark.parametrize("length", [0, 155, 157])
def test_gossip_proof_rejects_wrong_length(length: int) -> None:
    with pytest.raises(DecodeError, match="GossipProof must be 156 bytes"):
        GossipProof.from_bytes(bytes(length))


def test_gossip_proof_rejects_zero_iterations() -> None:
    with pytest.raises(DecodeError, match="NonZeroU32"):
        GossipProof.from_bytes(bytes(156))


def test_validate_gossip_proof_catches_any_changed_checkpoint() -> None:
    proof = prove_slot(initialize_pot_state(PotSeed(bytes(16)), 160).next_slot_input)
    validate_gossip_proof(proof)
    raw = bytearray(proof.to_bytes())
    for position in range(28, 156, 16):
        tampered = bytearray(raw)
        tampered[position] ^= 1
        with pytest.raises(InvalidProofOfTime, match="do not verify"):
            validate_gossip_proof(GossipProof.from_bytes(bytes(tampered)))


def test_checkpoints_need_exactly_eight() -> None:
    with pytest.raises(DecodeError):
        PotCheckpoints((PotOutput(bytes(16)),) * 7)
