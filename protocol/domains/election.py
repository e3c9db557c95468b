"""Bundle producer election (sp-domains `bundle_producer_election.rs`) and the transaction range of a bundle
(sp-domains `lib.rs` `signer_in_tx_range`).

In every slot, an operator of a domain may produce a bundle when its VRF pre-output over the slot's global
challenge falls below a threshold proportional to its share of the domain's stake. The VRF is sp-core's sr25519
`vrf` (schnorrkel 0.11.5 with `kusama = true`, the extra transcript `Transcript::new(b"VRF")`) over ristretto255:
- the election transcript is a Merlin transcript labelled b"bundle_producer_election" with the messages
  (b"domain", u32 LE domain id) and (b"global_challenge", 32 bytes);
- the input point H hashes that transcript and the public key (schnorrkel `PublicKey::vrf_hash`); the pre-output
  is sk·H, a deterministic function of the key, the domain and the challenge;
- the proof (c, s) is a Chaum-Pedersen DLEQ proof that log_B(PK) = log_H(pre-output) (schnorrkel `dleq_proove`,
  `dleq_verify`); its witness scalar is an argument, since protocol code draws no randomness;
- a VRF signature is pre-output[32] ‖ c[32 LE] ‖ s[32 LE], 96 bytes.

Points travel as 32-byte ristretto255 encodings (libsodium through `rbcl`); the identity is 32 zero bytes.
libsodium refuses a scalar multiplication whose result is the identity, so the `_allow_scalar_zero` variants are used,
and every encoding is validated before it reaches `crypto_core_ristretto255_add` (which does not report bad input).
"""

from __future__ import annotations

from dataclasses import dataclass

import blake3
import rbcl

from autonomys.protocol.codec import encode_u32, encode_vec_u8, validate_uint
from autonomys.protocol.constants import POT_OUTPUT_SIZE, U32_MAX, U64_MAX
from autonomys.protocol.domains.merlin import Transcript
from autonomys.protocol.errors import DecodeError, InvalidProofOfElection, InvalidThreshold
from autonomys.protocol.farming.solutions import derive_global_challenge as derive_global_challenge
from autonomys.protocol.farming.solutions import derive_global_randomness as derive_global_randomness

VRF_TRANSCRIPT_LABEL = b"bundle_producer_election"
"""sp-domains `VRF_TRANSCRIPT_LABEL`."""
PUBLIC_KEY_SIZE = 32
POINT_SIZE = 32
SCALAR_SIZE = 32
VRF_PRE_OUTPUT_SIZE = POINT_SIZE
VRF_PROOF_SIZE = 2 * SCALAR_SIZE
VRF_SIGNATURE_SIZE = VRF_PRE_OUTPUT_SIZE + VRF_PROOF_SIZE
WITNESS_SIZE = 64
"""Bytes of randomness a signature's witness scalar is reduced from (schnorrkel draws 64 bytes too)."""
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493
"""ℓ, the order of ristretto255; canonical scalars are below it."""
IDENTITY = bytes(POINT_SIZE)
"""The ristretto255 encoding of the identity point."""
U128_MAX = 2**128 - 1
U256_MAX = 2**256 - 1
INITIAL_DOMAIN_TX_RANGE = 3
"""pallet-domains `InitialDomainTxRange`."""
INITIAL_TX_RANGE = U256_MAX // INITIAL_DOMAIN_TX_RANGE
"""The transaction range every bundle uses: `DomainTxRangeState` is never written, so it stays U256::MAX / 3."""

# Why a proof of election was rejected: InvalidProofOfElection.reason is one of these.
MALFORMED = "malformed"
BAD_VRF = "bad_vrf"
INVALID_THRESHOLD = "invalid_threshold"
THRESHOLD = "threshold"
REASONS = (MALFORMED, BAD_VRF, INVALID_THRESHOLD, THRESHOLD)

# ---- ristretto255 through libsodium ----


def _is_valid_point(encoding: bytes) -> bool:
    """Whether `encoding` is a canonical ristretto255 encoding (the identity included)."""
    return len(encoding) == POINT_SIZE and bool(rbcl.crypto_core_ristretto255_is_valid_point(encoding))


def _multiply(scalar: int, point: bytes) -> bytes:
    """scalar·point for a canonical scalar and a valid point; the identity when either is zero."""
    return bytes(rbcl.crypto_scalarmult_ristretto255_allow_scalar_zero(scalar.to_bytes(SCALAR_SIZE, "little"), point))


def _multiply_base(scalar: int) -> bytes:
    """scalar·B for a canonical scalar."""
    return bytes(rbcl.crypto_scalarmult_ristretto255_base_allow_scalar_zero(scalar.to_bytes(SCALAR_SIZE, "little")))


def _add(left: bytes, right: bytes) -> bytes:
    """left + right for two valid points."""
    return bytes(rbcl.crypto_core_ristretto255_add(left, right))


def _reduce_wide(data: bytes) -> int:
    """curve25519-dalek `Scalar::from_bytes_mod_order_wide`: 64 bytes LE mod ℓ."""
    return int.from_bytes(data, "little") % GROUP_ORDER


# ---- transcripts (sp-domains `make_transcript`, schnorrkel `vrf_hash` and `dleq_proove`) ----

_ELECTION_TRANSCRIPT = Transcript(VRF_TRANSCRIPT_LABEL)
_DLEQ_TRANSCRIPT = Transcript(b"VRF")
_DLEQ_TRANSCRIPT.append_message(b"proto-name", b"DLEQProof")


def make_transcript(domain_id: int, global_challenge: bytes) -> Transcript:
    """sp-domains `make_transcript`: the election transcript of a domain in a slot."""
    transcript = _ELECTION_TRANSCRIPT.copy()
    transcript.append_message(b"domain", encode_u32(domain_id))
    transcript.append_message(b"global_challenge", bytes(global_challenge))
    return transcript


def compute_vrf_input(transcript: Transcript, public_key: bytes) -> bytes:
    """schnorrkel `PublicKey::vrf_hash`: the input point H of `public_key`'s VRF over `transcript` (left intact)."""
    hashing = transcript.copy()
    hashing.append_message(b"vrf-nm-pk", bytes(public_key))
    return bytes(rbcl.crypto_core_ristretto255_from_hash(hashing.challenge_bytes(b"VRFHash", 64)))


def _compute_dleq_challenge(
    vrf_input: bytes, commitment: bytes, input_commitment: bytes, public_key: bytes, pre_output: bytes
) -> int:
    """schnorrkel `dleq_proove` / `dleq_verify` with kusama = true: the challenge scalar c."""
    transcript = _DLEQ_TRANSCRIPT.copy()
    transcript.append_message(b"vrf:h", vrf_input)
    transcript.append_message(b"vrf:R=g^r", commitment)
    transcript.append_message(b"vrf:h^r", input_commitment)
    # kusama = true: the public key comes after h^r.
    transcript.append_message(b"vrf:pk", public_key)
    transcript.append_message(b"vrf:h^sk", pre_output)
    return _reduce_wide(transcript.challenge_bytes(b"prove", 64))


# ---- VRF sign and verify (sp-core sr25519 `vrf_sign` / `vrf_verify`) ----


def compute_secret_key(secret: bytes) -> int:
    """The VRF secret scalar of a py-sr25519-bindings secret (`pair_from_seed(seed)[1]`, key ‖ nonce)."""
    if len(secret) != 2 * SCALAR_SIZE:
        msg = f"an sr25519 secret is {2 * SCALAR_SIZE} bytes, got {len(secret)}"
        raise ValueError(msg)
    return int.from_bytes(secret[:SCALAR_SIZE], "little")


def _validate_key_pair(secret_key: int, public_key: bytes) -> None:
    """ValueError unless `secret_key` is a canonical non-zero scalar whose public key is `public_key`."""
    if not 0 < secret_key < GROUP_ORDER:
        msg = "the VRF secret key must be a non-zero scalar below the group order"
        raise ValueError(msg)
    if _multiply_base(secret_key) != bytes(public_key):
        msg = "the public key is not the secret key's"
        raise ValueError(msg)


def compute_vrf_output(*, secret_key: int, public_key: bytes, domain_id: int, global_challenge: bytes) -> bytes:
    """The VRF pre-output sk·H (schnorrkel `vrf_create_hash`): the deterministic part of a signature."""
    _validate_key_pair(secret_key, public_key)
    return _multiply(secret_key, compute_vrf_input(make_transcript(domain_id, global_challenge), public_key))


def vrf_sign(*, secret_key: int, public_key: bytes, domain_id: int, global_challenge: bytes, witness: bytes) -> bytes:
    """The 96-byte VRF signature pre-output ‖ c ‖ s of the election transcript; `witness` is 64 random bytes
    (reduced mod ℓ they are the nonce scalar r: schnorrkel derives it from the transcript, the key nonce and an RNG,
    and any uniformly random r gives a proof every verifier accepts)."""
    _validate_key_pair(secret_key, public_key)
    if len(witness) != WITNESS_SIZE:
        msg = f"the witness is {WITNESS_SIZE} random bytes, got {len(witness)}"
        raise ValueError(msg)
    vrf_input = compute_vrf_input(make_transcript(domain_id, global_challenge), public_key)
    pre_output = _multiply(secret_key, vrf_input)
    nonce = _reduce_wide(witness)
    commitment = _multiply_base(nonce)
    input_commitment = _multiply(nonce, vrf_input)
    challenge = _compute_dleq_challenge(vrf_input, commitment, input_commitment, bytes(public_key), pre_output)
    response = (nonce - challenge * secret_key) % GROUP_ORDER
    return pre_output + challenge.to_bytes(SCALAR_SIZE, "little") + response.to_bytes(SCALAR_SIZE, "little")


def is_vrf_signature_canonical(vrf_signature: bytes) -> bool:
    """Whether the signature has 96 bytes and canonical c and s (sp-core `VrfProof` decoding: schnorrkel
    `VRFProof::from_bytes` takes only canonical scalars; the pre-output bytes are not checked on decoding)."""
    if len(vrf_signature) != VRF_SIGNATURE_SIZE:
        return False
    challenge = int.from_bytes(vrf_signature[VRF_PRE_OUTPUT_SIZE : VRF_PRE_OUTPUT_SIZE + SCALAR_SIZE], "little")
    response = int.from_bytes(vrf_signature[VRF_PRE_OUTPUT_SIZE + SCALAR_SIZE :], "little")
    return challenge < GROUP_ORDER and response < GROUP_ORDER


def vrf_verify(*, public_key: bytes, domain_id: int, global_challenge: bytes, vrf_signature: bytes) -> bool:
    """sp-core sr25519 `vrf_verify` of an election signature: false for a bad encoding, an identity pre-output,
    non-canonical scalars or a proof that does not check."""
    public_key = bytes(public_key)
    vrf_signature = bytes(vrf_signature)
    if not is_vrf_signature_canonical(vrf_signature):
        return False
    pre_output = vrf_signature[:VRF_PRE_OUTPUT_SIZE]
    # schnorrkel `PublicKey::from_bytes` and `VRFPreOut::attach_input_hash`: valid points, a non-identity output.
    if not (_is_valid_point(public_key) and _is_valid_point(pre_output)) or pre_output == IDENTITY:
        return False
    challenge = int.from_bytes(vrf_signature[VRF_PRE_OUTPUT_SIZE : VRF_PRE_OUTPUT_SIZE + SCALAR_SIZE], "little")
    response = int.from_bytes(vrf_signature[VRF_PRE_OUTPUT_SIZE + SCALAR_SIZE :], "little")
    vrf_input = compute_vrf_input(make_transcript(domain_id, global_challenge), public_key)
    # schnorrkel `dleq_verify`: R = c·PK + s·B and h^r = c·pre-output + s·H, then the challenge must match.
    commitment = _add(_multiply(challenge, public_key), _multiply_base(response))
    input_commitment = _add(_multiply(challenge, pre_output), _multiply(response, vrf_input))
    return challenge == _compute_dleq_challenge(vrf_input, commitment, input_commitment, public_key, pre_output)


# ---- the threshold (sp-domains `calculate_threshold`, `is_below_threshold`) ----


def calculate_threshold(operator_stake: int, total_domain_stake: int, bundle_slot_probability: tuple[int, int]) -> int:
    """u128::MAX / p.1 * p.0 / total * stake, in that order, in u128 arithmetic (wrapping like the release-built
    runtime when p.0 > p.1 or stake > total overflow it); InvalidThreshold for a zero total or denominator."""
    numerator, denominator = bundle_slot_probability
    validate_uint("operator_stake", operator_stake, U128_MAX)
    validate_uint("total_domain_stake", total_domain_stake, U128_MAX)
    validate_uint("bundle_slot_probability.0", numerator, U64_MAX)
    validate_uint("bundle_slot_probability.1", denominator, U64_MAX)
    # The reference returns None here rather than dividing by zero.
    if total_domain_stake == 0 or denominator == 0:
        msg = f"total_domain_stake={total_domain_stake}, bundle_slot_probability={bundle_slot_probability}"
        raise InvalidThreshold(msg)
    share = (U128_MAX // denominator * numerator) & U128_MAX
    return (share // total_domain_stake * operator_stake) & U128_MAX


def is_below_threshold(vrf_signature: bytes, threshold: int) -> bool:
    """Whether the first 16 bytes of the raw pre-output (not a hash of it), as u128 LE, are below `threshold`;
    takes a 96-byte signature or its 32-byte pre-output."""
    if len(vrf_signature) not in (VRF_PRE_OUTPUT_SIZE, VRF_SIGNATURE_SIZE):
        msg = f"expected a pre-output or a VRF signature, got {len(vrf_signature)} bytes"
        raise DecodeError(msg)
    return int.from_bytes(vrf_signature[:16], "little") < threshold


# ---- the proof of election (sp-domains `check_proof_of_election`) ----


def _validate_election_inputs(
    public_key: bytes, domain_id: int, slot: int, proof_of_time: bytes, vrf_signature: bytes
) -> None:
    """InvalidProofOfElection("malformed") for what would not decode: sizes, integer ranges, non-canonical scalars."""
    try:
        validate_uint("domain_id", domain_id, U32_MAX)
        validate_uint("slot", slot, U64_MAX)
    except DecodeError as error:
        raise InvalidProofOfElection(MALFORMED, str(error)) from error
    sizes = ((public_key, PUBLIC_KEY_SIZE, "public_key"), (proof_of_time, POT_OUTPUT_SIZE, "proof_of_time"))
    for value, size, name in (*sizes, (vrf_signature, VRF_SIGNATURE_SIZE, "vrf_signature")):
        if len(value) != size:
            raise InvalidProofOfElection(MALFORMED, f"{name} must be {size} bytes, got {len(value)}")
    if not is_vrf_signature_canonical(vrf_signature):
        raise InvalidProofOfElection(MALFORMED, "non-canonical VRF proof scalar")


def verify_proof_of_election(
    *,
    public_key: bytes,
    domain_id: int,
    slot: int,
    proof_of_time: bytes,
    vrf_signature: bytes,
    operator_stake: int,
    total_domain_stake: int,
    bundle_slot_probability: tuple[int, int],
) -> None:
    """None when the operator won the election of `domain_id` in `slot`; otherwise InvalidProofOfElection, its
    reason "malformed", "bad_vrf", "invalid_threshold" or "threshold" (the VRF is checked first, as the reference)."""
    _validate_election_inputs(public_key, domain_id, slot, proof_of_time, vrf_signature)
    global_challenge = derive_global_challenge(derive_global_randomness(proof_of_time), slot)
    # ProofOfElectionError::BadVrfProof: the signature must verify under the operator's signing key.
    if not vrf_verify(
        public_key=public_key, domain_id=domain_id, global_challenge=global_challenge, vrf_signature=vrf_signature
    ):
        raise InvalidProofOfElection(BAD_VRF, f"domain {domain_id}, slot {slot}")
    try:
        threshold = calculate_threshold(operator_stake, total_domain_stake, bundle_slot_probability)
    except (InvalidThreshold, DecodeError) as error:
        raise InvalidProofOfElection(INVALID_THRESHOLD, str(error)) from error
    # ProofOfElectionError::ThresholdUnsatisfied: the pre-output must fall below the stake-weighted threshold.
    if not is_below_threshold(vrf_signature, threshold):
        raise InvalidProofOfElection(THRESHOLD, f"stake {operator_stake} of {total_domain_stake}")


@dataclass(frozen=True, slots=True)
class Election:
    """An operator's VRF evaluation for one domain and slot."""

    vrf_signature: bytes
    """pre-output ‖ c ‖ s, what a bundle header's proof of election carries."""
    threshold: int
    is_winner: bool
    """Whether the pre-output is below the threshold: the operator may produce a bundle."""


def make_election(
    *,
    key_pair: tuple[bytes, bytes],
    domain_id: int,
    slot: int,
    proof_of_time: bytes,
    witness: bytes,
    operator_stake: int,
    total_domain_stake: int,
    bundle_slot_probability: tuple[int, int],
) -> Election:
    """The operator side of the election (domain-client-operator `BundleProducerElectionSolver`): sign the slot's
    transcript with `key_pair` = py-sr25519-bindings (public, secret) and compare with the threshold."""
    public_key, secret = key_pair
    threshold = calculate_threshold(operator_stake, total_domain_stake, bundle_slot_probability)
    global_challenge = derive_global_challenge(derive_global_randomness(proof_of_time), slot)
    vrf_signature = vrf_sign(
        secret_key=compute_secret_key(secret),
        public_key=public_key,
        domain_id=domain_id,
        global_challenge=global_challenge,
        witness=witness,
    )
    return Election(vrf_signature, threshold, is_below_threshold(vrf_signature, threshold))


# ---- the transaction range (sp-domains `lib.rs`) ----


def compute_vrf_hash(vrf_signature: bytes) -> bytes:
    """`ProofOfElection::vrf_hash`: blake3(pre-output ‖ proof); as a U256 big-endian it is the bundle's place in
    the transaction range (so it changes with the randomized proof, not only with the pre-output)."""
    if len(vrf_signature) != VRF_SIGNATURE_SIZE:
        msg = f"a VRF signature is {VRF_SIGNATURE_SIZE} bytes, got {len(vrf_signature)}"
        raise DecodeError(msg)
    return blake3.blake3(bytes(vrf_signature)).digest()


def signer_id_hash(signer_encoded: bytes) -> int:
    """U256 big-endian of blake3(SCALE Vec<u8> of the signer's encoding): the reference hashes
    `signer.encode().encode()`, so the compact length comes first (0x50 for an AccountId20, 0x80 for 32 bytes)."""
    return int.from_bytes(blake3.blake3(encode_vec_u8(signer_encoded)).digest(), "big")


def bidirectional_distance(a: int, b: int) -> int:
    """min((a − b) mod 2^256, (b − a) mod 2^256): the distance on the U256 ring."""
    return min((a - b) & U256_MAX, (b - a) & U256_MAX)


def is_signer_in_tx_range(bundle_vrf_hash: int, signer_id_hash: int, tx_range: int) -> bool:
    """sp-domains `signer_in_tx_range`: the signer is within tx_range / 2 of the bundle's VRF hash."""
    validate_uint("bundle_vrf_hash", bundle_vrf_hash, U256_MAX)
    validate_uint("signer_id_hash", signer_id_hash, U256_MAX)
    validate_uint("tx_range", tx_range, U256_MAX)
    return bidirectional_distance(bundle_vrf_hash, signer_id_hash) <= tx_range // 2
