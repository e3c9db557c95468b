"""Bundle producer election (sp-domains `bundle_producer_election.rs`): the Merlin transcript against the
`merlin_transcripts` package, the sr25519 VRF (schnorrkel 0.11.5, kusama = true) against an independent verifier
written here from the reference note with that package and rbcl, the threshold, the proof-of-election checks and
the transaction range (sp-domains `signer_in_tx_range` and its tests).

Known answers: Alice's public key, the derived global randomness and challenge, the thresholds and the Alith
signer hash are derived values from the reference note; the 25 tx-range cases are sp-domains `tests.rs`.
"""

from __future__ import annotations

import random

import blake3
import pytest
import rbcl
import sr25519
from hypothesis import given, settings
from hypothesis import strategies as st
from merlin_transcripts import MerlinTranscript
from merlin_transcripts.keccak import KeccakF1600

from autonomys.protocol.domains import election
from autonomys.protocol.domains.election import (
    GROUP_ORDER,
    INITIAL_TX_RANGE,
    U128_MAX,
    U256_MAX,
    bidirectional_distance,
    calculate_threshold,
    compute_secret_key,
    compute_vrf_hash,
    compute_vrf_output,
    derive_global_challenge,
    derive_global_randomness,
    is_below_threshold,
    is_signer_in_tx_range,
    is_vrf_signature_canonical,
    make_election,
    signer_id_hash,
    verify_proof_of_election,
    vrf_sign,
    vrf_verify,
)
from autonomys.protocol.domains.merlin import BACKENDS, Transcript, keccak_f1600
from autonomys.protocol.errors import DecodeError, InvalidProofOfElection, InvalidThreshold

ALICE_SEED = bytes.fromhex("e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a")
ALICE_PUBLIC, ALICE_SECRET = sr25519.pair_from_seed(ALICE_SEED)
ALICE_SECRET_KEY = compute_secret_key(ALICE_SECRET)
OTHER_PUBLIC, OTHER_SECRET = sr25519.pair_from_seed(blake3.blake3(b"another operator").digest())
ZERO_POT = bytes(16)
GLOBAL_RANDOMNESS = bytes.fromhex("e572dff82304700b856a555ac3a4558d0df3646a3727816500270a93c66aac1e")
GLOBAL_CHALLENGE = bytes.fromhex("baf8cbe1ec726800943c452cca0d55a9b309f00503710c3720770081648b60a1")
FULL_STAKE = 80 * 10**18
FULL_STAKE_THRESHOLD = 340282366920938463440000000000000000000
WITNESSES = (bytes(range(64)), blake3.blake3(b"witness").digest(length=64))


def sign(domain_id: int = 0, global_challenge: bytes = GLOBAL_CHALLENGE, witness: bytes = WITNESSES[0]) -> bytes:
    """Alice's election signature for (domain_id, global_challenge)."""
    return vrf_sign(
        secret_key=ALICE_SECRET_KEY,
        public_key=ALICE_PUBLIC,
        domain_id=domain_id,
        global_challenge=global_challenge,
        witness=witness,
    )


def verify(vrf_signature: bytes, domain_id: int = 0, public_key: bytes = ALICE_PUBLIC, slot: int = 1) -> bool:
    challenge = derive_global_challenge(derive_global_randomness(ZERO_POT), slot)
    return vrf_verify(
        public_key=public_key, domain_id=domain_id, global_challenge=challenge, vrf_signature=vrf_signature
    )


# ---- an independent reference: the note's algorithm over merlin_transcripts and rbcl, written out again ----


def reference_input(domain_id: int, global_challenge: bytes, public_key: bytes) -> bytes:
    transcript = MerlinTranscript(b"bundle_producer_election")
    transcript.append_message(b"domain", domain_id.to_bytes(4, "little"))
    transcript.append_message(b"global_challenge", global_challenge)
    transcript.append_message(b"vrf-nm-pk", public_key)
    return rbcl.crypto_core_ristretto255_from_hash(bytes(transcript.challenge_bytes(b"VRFHash", 64)))


def reference_challenge(points: tuple[bytes, bytes, bytes, bytes, bytes]) -> int:
    transcript = MerlinTranscript(b"VRF")
    transcript.append_message(b"proto-name", b"DLEQProof")
    for label, point in zip((b"vrf:h", b"vrf:R=g^r", b"vrf:h^r", b"vrf:pk", b"vrf:h^sk"), points, strict=True):
        transcript.append_message(label, point)
    return int.from_bytes(bytes(transcript.challenge_bytes(b"prove", 64)), "little") % GROUP_ORDER


def reference_multiply(scalar: int, point: bytes | None = None) -> bytes:
    encoded = scalar.to_bytes(32, "little")
    if point is None:
        return rbcl.crypto_scalarmult_ristretto255_base_allow_scalar_zero(encoded)
    return rbcl.crypto_scalarmult_ristretto255_allow_scalar_zero(encoded, point)


def reference_sign(domain_id: int, witness: bytes) -> bytes:
    vrf_input = reference_input(domain_id, GLOBAL_CHALLENGE, ALICE_PUBLIC)
    pre_output = reference_multiply(ALICE_SECRET_KEY, vrf_input)
    nonce = int.from_bytes(witness, "little") % GROUP_ORDER
    points = (vrf_input, reference_multiply(nonce), reference_multiply(nonce, vrf_input), ALICE_PUBLIC, pre_output)
    challenge = reference_challenge(points)
    response = (nonce - challenge * ALICE_SECRET_KEY) % GROUP_ORDER
    return pre_output + challenge.to_bytes(32, "little") + response.to_bytes(32, "little")


def reference_verify(vrf_signature: bytes, domain_id: int = 0) -> bool:
    pre_output = vrf_signature[:32]
    challenge = int.from_bytes(vrf_signature[32:64], "little")
    response = int.from_bytes(vrf_signature[64:], "little")
    if challenge >= GROUP_ORDER or response >= GROUP_ORDER or pre_output == bytes(32):
        return False
    if not rbcl.crypto_core_ristretto255_is_valid_point(pre_output):
        return False
    vrf_input = reference_input(domain_id, GLOBAL_CHALLENGE, ALICE_PUBLIC)
    commitment = rbcl.crypto_core_ristretto255_add(
        reference_multiply(challenge, ALICE_PUBLIC), reference_multiply(response)
    )
    input_commitment = rbcl.crypto_core_ristretto255_add(
        reference_multiply(challenge, pre_output), reference_multiply(response, vrf_input)
    )
    return challenge == reference_challenge((vrf_input, commitment, input_commitment, ALICE_PUBLIC, pre_output))


# ---- Keccak-f[1600] and Merlin ----


def test_keccak_f1600_of_the_zero_state() -> None:
    # FIPS 202 / Keccak team KAT: the first lane of Keccak-f[1600] applied to the all-zero state.
    assert keccak_f1600(bytes(200))[:8] == (0xF1258F7940E1DDE7).to_bytes(8, "little")


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=200, max_size=200))
def test_keccak_f1600_matches_the_reference_permutation(state: bytes) -> None:
    assert keccak_f1600(state) == bytes(KeccakF1600(bytearray(state)))


operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.binary(max_size=24), st.binary(max_size=400)),
        st.tuples(st.just("challenge"), st.binary(max_size=24), st.integers(min_value=0, max_value=400)),
    ),
    max_size=8,
)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=60, deadline=None)
@given(label=st.binary(max_size=40), steps=operations)
def test_transcript_matches_merlin_transcripts(
    backend: str, label: bytes, steps: list[tuple[str, bytes, bytes | int]]
) -> None:
    ours = Transcript(label, backend)
    reference = MerlinTranscript(label)
    for kind, step_label, argument in steps:
        if kind == "append":
            assert isinstance(argument, bytes)
            ours.append_message(step_label, argument)
            reference.append_message(step_label, argument)
        else:
            assert isinstance(argument, int)
            assert ours.challenge_bytes(step_label, argument) == bytes(reference.challenge_bytes(step_label, argument))
    assert ours.challenge_bytes(b"final", 64) == bytes(reference.challenge_bytes(b"final", 64))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("size", [0, 1, 120, 121, 165, 166, 167, 168, 332, 500])
def test_transcript_block_boundaries(backend: str, size: int) -> None:
    # Messages and challenges that end exactly at, just before and just after STROBE's 166-byte rate.
    ours, reference = Transcript(b"edges", backend), MerlinTranscript(b"edges")
    ours.append_message(b"m", bytes(size))
    reference.append_message(b"m", bytes(size))
    assert ours.challenge_bytes(b"c", size) == bytes(reference.challenge_bytes(b"c", size))
    ours.append_message(b"after", b"x" * size)
    reference.append_message(b"after", b"x" * size)
    assert ours.challenge_bytes(b"d", 32) == bytes(reference.challenge_bytes(b"d", 32))


@pytest.mark.parametrize("backend", BACKENDS)
def test_transcript_copy_is_independent(backend: str) -> None:
    original = Transcript(b"copy", backend)
    original.append_message(b"a", b"1")
    clone = original.copy()
    clone.append_message(b"b", b"2")
    reference = MerlinTranscript(b"copy")
    reference.append_message(b"a", b"1")
    assert original.challenge_bytes(b"c", 32) == bytes(reference.challenge_bytes(b"c", 32))
    assert clone.challenge_bytes(b"c", 32) != original.copy().challenge_bytes(b"c", 32)


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown Keccak backend"):
        Transcript(b"x", "openssl")


# ---- the self-test recipe: challenge, pre-output, signatures, rejections ----


def test_alice_key_pair() -> None:
    assert ALICE_PUBLIC.hex() == "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
    assert rbcl.crypto_scalarmult_ristretto255_base(ALICE_SECRET_KEY.to_bytes(32, "little")) == ALICE_PUBLIC


def test_derived_global_randomness_and_challenge() -> None:
    assert derive_global_randomness(ZERO_POT) == GLOBAL_RANDOMNESS
    assert derive_global_challenge(GLOBAL_RANDOMNESS, 1) == GLOBAL_CHALLENGE


def test_pre_output_is_deterministic_and_matches_the_reference() -> None:
    arguments = {
        "secret_key": ALICE_SECRET_KEY,
        "public_key": ALICE_PUBLIC,
        "domain_id": 0,
        "global_challenge": GLOBAL_CHALLENGE,
    }
    pre_output = compute_vrf_output(**arguments)
    assert pre_output == compute_vrf_output(**arguments)
    assert pre_output == rbcl.crypto_scalarmult_ristretto255(
        ALICE_SECRET_KEY.to_bytes(32, "little"), reference_input(0, GLOBAL_CHALLENGE, ALICE_PUBLIC)
    )
    assert pre_output != compute_vrf_output(**{**arguments, "domain_id": 1})


def test_two_signatures_differ_and_both_verify() -> None:
    first, second = (sign(witness=witness) for witness in WITNESSES)
    assert (
        first[:32]
        == second[:32]
        == compute_vrf_output(
            secret_key=ALICE_SECRET_KEY, public_key=ALICE_PUBLIC, domain_id=0, global_challenge=GLOBAL_CHALLENGE
        )
    )
    assert first[32:] != second[32:]
    assert verify(first)
    assert verify(second)
    assert reference_verify(first)
    assert reference_verify(second)


def test_signatures_match_the_reference_signer() -> None:
    assert sign(domain_id=3, witness=WITNESSES[1]) == reference_sign(3, WITNESSES[1])


def test_zero_witness_signs_and_verifies() -> None:
    # r = 0 (as is r = ℓ): R and h^r are the identity; the proof is still valid.
    for witness in (bytes(64), GROUP_ORDER.to_bytes(64, "little")):
        signature = sign(witness=witness)
        assert signature == reference_sign(0, witness)
        assert verify(signature)


def flip(signature: bytes, bit: int) -> bytes:
    value = bytearray(signature)
    value[bit // 8] ^= 1 << (bit % 8)
    return bytes(value)


def with_scalar(signature: bytes, offset: int, scalar: int) -> bytes:
    return signature[:offset] + scalar.to_bytes(32, "little") + signature[offset + 32 :]


SIGNATURE = sign()
PRE_OUTPUT_INVALID = bytes.fromhex("ff" * 32)
REJECTED = {
    "c bit 0": flip(SIGNATURE, 256),
    "c bit 200": flip(SIGNATURE, 256 + 200),
    "s bit 0": flip(SIGNATURE, 512),
    "s bit 100": flip(SIGNATURE, 512 + 100),
    "c + l": with_scalar(SIGNATURE, 32, int.from_bytes(SIGNATURE[32:64], "little") + GROUP_ORDER),
    "s + l": with_scalar(SIGNATURE, 64, int.from_bytes(SIGNATURE[64:], "little") + GROUP_ORDER),
    "c = 0": with_scalar(SIGNATURE, 32, 0),
    "s = 0": with_scalar(SIGNATURE, 64, 0),
    "identity pre-output": bytes(32) + SIGNATURE[32:],
    "invalid pre-output": PRE_OUTPUT_INVALID + SIGNATURE[32:],
    "pre-output bit 3": flip(SIGNATURE, 3),
    "short": SIGNATURE[:95],
    "long": SIGNATURE + b"\0",
}


@pytest.mark.parametrize("name", REJECTED)
def test_corrupted_signature_is_rejected(name: str) -> None:
    corrupted = REJECTED[name]
    assert not verify(corrupted)
    if len(corrupted) == 96:
        assert not reference_verify(corrupted)


def test_rejected_for_another_domain_slot_or_key() -> None:
    assert verify(SIGNATURE)
    assert not verify(SIGNATURE, domain_id=1)
    assert not reference_verify(SIGNATURE, domain_id=1)
    assert not verify(SIGNATURE, slot=2)
    assert not verify(SIGNATURE, public_key=OTHER_PUBLIC)
    assert not verify(SIGNATURE, public_key=PRE_OUTPUT_INVALID)
    assert not verify(SIGNATURE, public_key=bytes(32))
    assert not verify(SIGNATURE, public_key=ALICE_PUBLIC[:31])


@settings(max_examples=25, deadline=None)
@given(
    witness=st.binary(min_size=64, max_size=64),
    domain_id=st.integers(min_value=0, max_value=2**32 - 1),
    challenge=st.binary(min_size=32, max_size=32),
    position=st.integers(min_value=0, max_value=95),
    mask=st.integers(min_value=1, max_value=255),
)
def test_any_signature_verifies_and_any_byte_change_breaks_it(
    witness: bytes, domain_id: int, challenge: bytes, position: int, mask: int
) -> None:
    signature = sign(domain_id=domain_id, global_challenge=challenge, witness=witness)
    arguments = {"public_key": ALICE_PUBLIC, "domain_id": domain_id, "global_challenge": challenge}
    assert vrf_verify(vrf_signature=signature, **arguments)
    corrupted = bytearray(signature)
    corrupted[position] ^= mask
    assert not vrf_verify(vrf_signature=bytes(corrupted), **arguments)


@settings(max_examples=60, deadline=None)
@given(public_key=st.binary(max_size=40), vrf_signature=st.binary(max_size=100))
def test_vrf_verify_of_arbitrary_bytes_is_false(public_key: bytes, vrf_signature: bytes) -> None:
    assert not vrf_verify(
        public_key=public_key, domain_id=0, global_challenge=GLOBAL_CHALLENGE, vrf_signature=vrf_signature
    )


def test_signing_refuses_a_bad_witness_or_key_pair() -> None:
    with pytest.raises(ValueError, match="witness"):
        sign(witness=bytes(32))
    with pytest.raises(ValueError, match="not the secret key's"):
        vrf_sign(
            secret_key=ALICE_SECRET_KEY,
            public_key=OTHER_PUBLIC,
            domain_id=0,
            global_challenge=GLOBAL_CHALLENGE,
            witness=WITNESSES[0],
        )
    with pytest.raises(ValueError, match="group order"):
        compute_vrf_output(secret_key=GROUP_ORDER, public_key=ALICE_PUBLIC, domain_id=0, global_challenge=bytes(32))
    with pytest.raises(ValueError, match="64 bytes"):
        compute_secret_key(ALICE_SECRET[:32])


def test_canonical_scalars() -> None:
    assert is_vrf_signature_canonical(SIGNATURE)
    assert not is_vrf_signature_canonical(REJECTED["c + l"])
    assert not is_vrf_signature_canonical(REJECTED["s + l"])
    assert is_vrf_signature_canonical(with_scalar(SIGNATURE, 32, GROUP_ORDER - 1))
    assert not is_vrf_signature_canonical(SIGNATURE[:64])


# ---- threshold and the win check ----

THRESHOLDS = [
    (1, 1, (1, 1), U128_MAX),
    (1, 3, (1, 1), 113427455640312821154458202477256070485),
    (100 * 10**18, 300 * 10**18, (1, 6), 18904575940052136800000000000000000000),
    (FULL_STAKE, FULL_STAKE, (1, 1), FULL_STAKE_THRESHOLD),
    (0, 5, (1, 1), 0),
]


@pytest.mark.parametrize(("stake", "total", "probability", "expected"), THRESHOLDS)
def test_threshold_values(stake: int, total: int, probability: tuple[int, int], expected: int) -> None:
    assert calculate_threshold(stake, total, probability) == expected


@pytest.mark.parametrize(("stake", "total", "probability"), [(1, 0, (1, 1)), (0, 0, (0, 0)), (5, 10, (1, 0))])
def test_threshold_is_none_for_zero_total_or_denominator(stake: int, total: int, probability: tuple[int, int]) -> None:
    with pytest.raises(InvalidThreshold):
        calculate_threshold(stake, total, probability)


def test_threshold_wraps_like_u128() -> None:
    # stake > total overflows the last multiplication; the release-built runtime wraps.
    assert calculate_threshold(2, 1, (1, 1)) == (2 * U128_MAX) % 2**128
    assert calculate_threshold(1, 1, (3, 2)) == (U128_MAX // 2 * 3) % 2**128


def test_threshold_refuses_out_of_range_arguments() -> None:
    with pytest.raises(DecodeError):
        calculate_threshold(2**128, 1, (1, 1))
    with pytest.raises(DecodeError):
        calculate_threshold(1, 1, (2**64, 1))


def test_is_below_threshold_reads_the_raw_pre_output() -> None:
    value = int.from_bytes(SIGNATURE[:16], "little")
    assert is_below_threshold(SIGNATURE, value + 1)
    assert not is_below_threshold(SIGNATURE, value)
    assert is_below_threshold(SIGNATURE[:32], value + 1)
    assert is_below_threshold(SIGNATURE, FULL_STAKE_THRESHOLD) == (value < FULL_STAKE_THRESHOLD)
    with pytest.raises(DecodeError):
        is_below_threshold(SIGNATURE[:16], value)


def test_vrf_hash_depends_on_the_proof() -> None:
    first, second = (sign(witness=witness) for witness in WITNESSES)
    assert compute_vrf_hash(first) == blake3.blake3(first).digest()
    assert compute_vrf_hash(first) != compute_vrf_hash(second)
    with pytest.raises(DecodeError):
        compute_vrf_hash(first[:32])


# ---- verify_proof_of_election ----


def check(**changes: object) -> None:
    arguments: dict[str, object] = {
        "public_key": ALICE_PUBLIC,
        "domain_id": 0,
        "slot": 1,
        "proof_of_time": ZERO_POT,
        "vrf_signature": SIGNATURE,
        "operator_stake": FULL_STAKE,
        "total_domain_stake": FULL_STAKE,
        "bundle_slot_probability": (1, 1),
    }
    verify_proof_of_election(**{**arguments, **changes})  # type: ignore[arg-type]


def test_full_stake_wins() -> None:
    check()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"domain_id": 1}, "bad_vrf"),
        ({"slot": 2}, "bad_vrf"),
        ({"proof_of_time": bytes([1]) + bytes(15)}, "bad_vrf"),
        ({"public_key": OTHER_PUBLIC}, "bad_vrf"),
        ({"vrf_signature": REJECTED["c bit 0"]}, "bad_vrf"),
        ({"vrf_signature": REJECTED["identity pre-output"]}, "bad_vrf"),
        ({"vrf_signature": REJECTED["invalid pre-output"]}, "bad_vrf"),
        # the VRF is checked before the threshold
        ({"domain_id": 1, "operator_stake": 1, "total_domain_stake": 10**30}, "bad_vrf"),
        ({"domain_id": 1, "total_domain_stake": 0}, "bad_vrf"),
        ({"operator_stake": 1, "total_domain_stake": 10**30}, "threshold"),
        ({"bundle_slot_probability": (1, 10**18)}, "threshold"),
        ({"operator_stake": 0}, "threshold"),
        ({"total_domain_stake": 0}, "invalid_threshold"),
        ({"bundle_slot_probability": (1, 0)}, "invalid_threshold"),
        ({"operator_stake": 2**128}, "invalid_threshold"),
        ({"vrf_signature": REJECTED["c + l"]}, "malformed"),
        ({"vrf_signature": REJECTED["s + l"]}, "malformed"),
        ({"vrf_signature": REJECTED["short"]}, "malformed"),
        ({"public_key": ALICE_PUBLIC + b"\0"}, "malformed"),
        ({"proof_of_time": bytes(32)}, "malformed"),
        ({"domain_id": 2**32}, "malformed"),
        ({"slot": -1}, "malformed"),
    ],
)
def test_proof_of_election_rejections(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidProofOfElection) as caught:
        check(**changes)
    assert caught.value.reason == reason
    assert reason in election.REASONS


@settings(max_examples=60, deadline=None)
@given(
    public_key=st.one_of(st.just(ALICE_PUBLIC), st.binary(max_size=40)),
    vrf_signature=st.one_of(st.binary(max_size=100), st.binary(min_size=96, max_size=96)),
    proof_of_time=st.one_of(st.just(ZERO_POT), st.binary(max_size=20)),
)
def test_proof_of_election_fuzz_raises_only_its_error(
    public_key: bytes, vrf_signature: bytes, proof_of_time: bytes
) -> None:
    with pytest.raises(InvalidProofOfElection) as caught:
        check(public_key=public_key, vrf_signature=vrf_signature, proof_of_time=proof_of_time)
    assert caught.value.reason in ("malformed", "bad_vrf")


def test_make_election_for_a_winner_and_a_loser() -> None:
    common = {
        "key_pair": (ALICE_PUBLIC, ALICE_SECRET),
        "domain_id": 0,
        "slot": 1,
        "proof_of_time": ZERO_POT,
        "witness": WITNESSES[1],
        "bundle_slot_probability": (1, 1),
    }
    winner = make_election(**common, operator_stake=FULL_STAKE, total_domain_stake=FULL_STAKE)  # type: ignore[arg-type]
    assert winner.is_winner
    assert winner.threshold == FULL_STAKE_THRESHOLD
    assert winner.vrf_signature == sign(witness=WITNESSES[1])
    check(vrf_signature=winner.vrf_signature)
    loser = make_election(**common, operator_stake=1, total_domain_stake=10**30)  # type: ignore[arg-type]
    assert not loser.is_winner
    assert loser.vrf_signature[:32] == winner.vrf_signature[:32]
    with pytest.raises(InvalidProofOfElection, match="threshold"):
        check(vrf_signature=loser.vrf_signature, operator_stake=1, total_domain_stake=10**30)
    with pytest.raises(InvalidThreshold):
        make_election(**common, operator_stake=1, total_domain_stake=0)  # type: ignore[arg-type]


def test_invalid_proof_of_election_survives_pickling() -> None:
    import pickle

    error = InvalidProofOfElection("bad_vrf", "domain 1")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.detail) == ("bad_vrf", "domain 1")


# ---- transaction range (sp-domains tests.rs) ----

QUARTER = U256_MAX // 4
EIGHTH = U256_MAX // 8


def wrap(value: int) -> int:
    return value % 2**256


TX_RANGE_CASES = [
    # test_tx_range: v = U256::MAX / 2
    (U256_MAX // 2, U256_MAX // 2 + 10, QUARTER, True),
    (U256_MAX // 2, U256_MAX // 2 - 10, QUARTER, True),
    (U256_MAX // 2, U256_MAX // 2 + EIGHTH, QUARTER, True),
    (U256_MAX // 2, U256_MAX // 2 - EIGHTH, QUARTER, True),
    (U256_MAX // 2, U256_MAX // 2 + EIGHTH + 1, QUARTER, False),
    (U256_MAX // 2, U256_MAX // 2 - EIGHTH - 1, QUARTER, False),
    (U256_MAX // 2, U256_MAX // 2 + QUARTER, QUARTER, False),
    (U256_MAX // 2, U256_MAX // 2 - QUARTER, QUARTER, False),
    # test_tx_range_wrap_under_flow: v = 100
    (100, 100 + 1000, QUARTER, True),
    (100, wrap(100 - 1000), QUARTER, True),
    (100, 100 + EIGHTH, QUARTER, True),
    (100, wrap(100 - EIGHTH), QUARTER, True),
    (100, 100 + EIGHTH + 1, QUARTER, False),
    (100, wrap(100 - (EIGHTH + 1)), QUARTER, False),
    (100, 100 + QUARTER, QUARTER, False),
    (100, wrap(100 - QUARTER), QUARTER, False),
    # test_tx_range_wrap_over_flow: v = U256::MAX - 100
    (U256_MAX - 100, wrap(U256_MAX - 100 + 1000), QUARTER, True),
    (U256_MAX - 100, U256_MAX - 100 - 1000, QUARTER, True),
    (U256_MAX - 100, wrap(U256_MAX - 100 + EIGHTH), QUARTER, True),
    (U256_MAX - 100, U256_MAX - 100 - EIGHTH, QUARTER, True),
    (U256_MAX - 100, wrap(U256_MAX - 100 + EIGHTH + 1), QUARTER, False),
    (U256_MAX - 100, U256_MAX - 100 - EIGHTH - 1, QUARTER, False),
    (U256_MAX - 100, wrap(U256_MAX - 100 + QUARTER), QUARTER, False),
    (U256_MAX - 100, U256_MAX - 100 - QUARTER, QUARTER, False),
    # test_tx_range_max
    (U256_MAX // 2, U256_MAX // 2 + 10, U256_MAX, True),
]


def test_there_are_25_tx_range_cases() -> None:
    assert len(TX_RANGE_CASES) == 25


@pytest.mark.parametrize(("vrf_hash", "signer", "tx_range", "expected"), TX_RANGE_CASES)
def test_tx_range(vrf_hash: int, signer: int, tx_range: int, expected: bool) -> None:
    assert is_signer_in_tx_range(vrf_hash, signer, tx_range) is expected
    assert bidirectional_distance(vrf_hash, signer) == bidirectional_distance(signer, vrf_hash)


def test_tx_range_refuses_out_of_range_values() -> None:
    with pytest.raises(DecodeError):
        is_signer_in_tx_range(2**256, 0, QUARTER)


def test_initial_tx_range() -> None:
    assert hex(INITIAL_TX_RANGE) == "0x" + "55" * 32
    assert hex(INITIAL_TX_RANGE // 2) == "0x" + "2a" + "aa" * 31


def test_alith_signer_id_hash() -> None:
    alith = bytes.fromhex("f24ff3a9cf04c71dbc94d0b566f7a27b94566cac")
    expected = "11425bba72f0748955fc2216c64a58c97f5c64313e90fa20dafa45ab6e9d2415"
    assert signer_id_hash(alith) == int(expected, 16)
    assert signer_id_hash(bytes(32)) == int.from_bytes(blake3.blake3(b"\x80" + bytes(32)).digest(), "big")


def test_bundle_place_in_the_range_depends_on_the_proof(seeded_random: random.Random) -> None:
    # Two signatures of one election land at different places of the range.
    first, second = (compute_vrf_hash(sign(witness=seeded_random.randbytes(64))) for _ in range(2))
    assert first != second
    place = int.from_bytes(first, "big")
    assert is_signer_in_tx_range(place, wrap(place + INITIAL_TX_RANGE // 2), INITIAL_TX_RANGE)
    assert not is_signer_in_tx_range(place, wrap(place + INITIAL_TX_RANGE // 2 + 1), INITIAL_TX_RANGE)
