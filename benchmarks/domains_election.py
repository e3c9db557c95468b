"""Bundle producer election: the sr25519 VRF sign and verify against the floor of their primitives.

    python benchmarks/domains_election.py [--samples 2000] [--library-samples 100]

Measured in one run, each figure the median of --samples calls taken round-robin (one of each per round, so a
noisy neighbour slows them all alike):
  floor      two variable-base ristretto255 scalar multiplications (rbcl) plus building the election transcript
             (protocol.domains.election.make_transcript: Merlin, the label and the two messages)
  sign       election.vrf_sign (key check sk·B, H, sk·H, r·B, r·H, two transcripts)
  verify     election.vrf_verify (H, c·PK + s·B, c·preout + s·H, two transcripts)
  proof      election.verify_proof_of_election (verify plus the challenge derivation and the threshold)
Components: each rbcl primitive, and the transcript work of one verify (election transcript, the VRF input hash,
the DLEQ challenge) on each Merlin: protocol.domains.merlin over pycryptodome's Keccak sponge (the default), over
the pure-Python Keccak-f[1600], and merlin_transcripts (the pure-Python package, the reference), the last one with
--library-samples. `verify, pure-Python Keccak` swaps the election module's cached transcript prefixes for
pure-Python ones for that row.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import rbcl
import sr25519
from bench_common import Summary, medians
from merlin_transcripts import MerlinTranscript

from autonomys.protocol.domains import election
from autonomys.protocol.domains.merlin import DEFAULT_BACKEND, Transcript

ALICE_SEED = bytes.fromhex("e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a")
PROOF_OF_TIME = bytes(16)
SLOT = 1
DOMAIN_ID = 0


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 0.01 else f"{seconds * 1e3:.0f} ms"


def library_transcript_work(public_key: bytes, global_challenge: bytes, points: list[bytes]) -> bytes:
    """The transcript work of one verify on merlin_transcripts: election transcript, VRF input hash, DLEQ."""
    transcript = MerlinTranscript(election.VRF_TRANSCRIPT_LABEL)
    transcript.append_message(b"domain", DOMAIN_ID.to_bytes(4, "little"))
    transcript.append_message(b"global_challenge", global_challenge)
    transcript.append_message(b"vrf-nm-pk", public_key)
    transcript.challenge_bytes(b"VRFHash", 64)
    dleq = MerlinTranscript(b"VRF")
    dleq.append_message(b"proto-name", b"DLEQProof")
    for label, point in zip((b"vrf:h", b"vrf:R=g^r", b"vrf:h^r", b"vrf:pk", b"vrf:h^sk"), points, strict=True):
        dleq.append_message(label, point)
    return bytes(dleq.challenge_bytes(b"prove", 64))


def transcript_work(public_key: bytes, global_challenge: bytes, points: list[bytes]) -> int:
    """The same work on protocol.domains.merlin (whatever backend the election module's prefixes use)."""
    vrf_input = election.compute_vrf_input(election.make_transcript(DOMAIN_ID, global_challenge), public_key)
    return election._compute_dleq_challenge(vrf_input, *points[1:])  # noqa: SLF001 - a benchmark of the internals


def use_backend(backend: str) -> None:
    """Rebuild the election module's cached transcript prefixes on `backend`."""
    election._ELECTION_TRANSCRIPT = Transcript(election.VRF_TRANSCRIPT_LABEL, backend)  # noqa: SLF001
    dleq = Transcript(b"VRF", backend)
    dleq.append_message(b"proto-name", b"DLEQProof")
    election._DLEQ_TRANSCRIPT = dleq  # noqa: SLF001


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--library-samples", type=int, default=100, help="samples of the slow merlin_transcripts row")
    arguments = parser.parse_args()

    public_key, secret = sr25519.pair_from_seed(ALICE_SEED)
    secret_key = election.compute_secret_key(secret)
    global_challenge = election.derive_global_challenge(election.derive_global_randomness(PROOF_OF_TIME), SLOT)
    witness = os.urandom(election.WITNESS_SIZE)
    signature = election.vrf_sign(
        secret_key=secret_key, public_key=public_key, domain_id=DOMAIN_ID, global_challenge=global_challenge,
        witness=witness,
    )  # fmt: skip
    assert election.vrf_verify(
        public_key=public_key, domain_id=DOMAIN_ID, global_challenge=global_challenge, vrf_signature=signature
    )
    pre_output = signature[:32]
    vrf_input = election.compute_vrf_input(election.make_transcript(DOMAIN_ID, global_challenge), public_key)
    points = [vrf_input, rbcl.crypto_core_ristretto255_random(), rbcl.crypto_core_ristretto255_random(), public_key,
              pre_output]  # fmt: skip
    scalar = (12345678901234567890).to_bytes(32, "little")

    def floor() -> None:
        rbcl.crypto_scalarmult_ristretto255(scalar, public_key)
        rbcl.crypto_scalarmult_ristretto255(scalar, pre_output)
        election.make_transcript(DOMAIN_ID, global_challenge)

    stake = 80 * 10**18
    functions: dict[str, Callable[[], object]] = {
        "floor": floor,
        "sign": lambda: election.vrf_sign(
            secret_key=secret_key,
            public_key=public_key,
            domain_id=DOMAIN_ID,
            global_challenge=global_challenge,
            witness=witness,
        ),  # fmt: skip
        "verify": lambda: election.vrf_verify(
            public_key=public_key, domain_id=DOMAIN_ID, global_challenge=global_challenge, vrf_signature=signature
        ),
        "proof": lambda: election.verify_proof_of_election(
            public_key=public_key,
            domain_id=DOMAIN_ID,
            slot=SLOT,
            proof_of_time=PROOF_OF_TIME,
            vrf_signature=signature,
            operator_stake=stake,
            total_domain_stake=stake,
            bundle_slot_probability=(1, 1),
        ),  # fmt: skip
        "scalarmult": lambda: rbcl.crypto_scalarmult_ristretto255(scalar, public_key),
        "scalarmult_base": lambda: rbcl.crypto_scalarmult_ristretto255_base(scalar),
        "from_hash": lambda: rbcl.crypto_core_ristretto255_from_hash(bytes(64)),
        "add": lambda: rbcl.crypto_core_ristretto255_add(public_key, pre_output),
        "transcripts": lambda: transcript_work(public_key, global_challenge, points),
    }
    print(f"Merlin backend: {DEFAULT_BACKEND}; {arguments.samples:,} samples, round-robin", flush=True)
    figures = medians(functions, arguments.samples)
    use_backend("python")
    python_figures = medians(
        {
            "verify": functions["verify"],
            "transcripts": functions["transcripts"],
        },
        max(1, arguments.samples // 4),
    )
    use_backend(DEFAULT_BACKEND)
    library = medians(
        {"transcripts": lambda: library_transcript_work(public_key, global_challenge, points)},
        arguments.library_samples,
    )["transcripts"]

    floor_seconds = figures["floor"]
    print(f"floor: 2 scalar multiplications + the election transcript {us(floor_seconds)}", flush=True)
    summary = Summary()
    for name, what in (("sign", "vrf_sign"), ("verify", "vrf_verify"), ("proof", "verify_proof_of_election")):
        summary.add(what, us(figures[name]), f"floor {us(floor_seconds)}", f"**{figures[name] / floor_seconds:.2f}×**")
    summary.add(
        "vrf_verify, pure-Python Keccak", us(python_figures["verify"]), f"floor {us(floor_seconds)}",
        f"{python_figures['verify'] / floor_seconds:.2f}×",
    )  # fmt: skip
    summary.add("rbcl scalarmult / scalarmult_base", f"{us(figures['scalarmult'])} / {us(figures['scalarmult_base'])}")
    summary.add("rbcl from_hash / add", f"{us(figures['from_hash'])} / {us(figures['add'])}")
    transcripts = figures["transcripts"]
    summary.add(f"transcripts of one verify, {DEFAULT_BACKEND} Keccak", us(transcripts))
    summary.add(
        "transcripts of one verify, pure-Python Keccak", us(python_figures["transcripts"]), "",
        f"{python_figures['transcripts'] / transcripts:.1f}× slower",
    )  # fmt: skip
    summary.add(
        "transcripts of one verify, merlin_transcripts (reference)", us(library), "",
        f"{library / transcripts:.0f}× slower",
    )  # fmt: skip
    summary.print()


if __name__ == "__main__":
    main()
