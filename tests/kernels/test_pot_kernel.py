"""The PoT kernel: known answers on every backend, C == reference, and argument rejection."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.kernels import pot

KERNEL = pot  # tests taking `backend` run once per pot.available_backends() (tests/kernels/conftest.py)


def test_portable_and_reference_always_present() -> None:
    backends = pot.available_backends()
    assert backends[:2] == ("auto", "portable")
    assert backends[-1] == "reference"
    assert pot.best_backend() in backends


def test_known_checkpoints(backend: str, pot_vectors: dict) -> None:
    v = pot_vectors["kernel"]
    checkpoints = pot.prove(bytes.fromhex(v["seed"]), bytes.fromhex(v["key"]), v["checkpoint_iterations"], backend)
    assert checkpoints.hex() == "".join(v["checkpoints"])


def test_known_checkpoints_verify(backend: str, pot_vectors: dict) -> None:
    v = pot_vectors["kernel"]
    seed, key = bytes.fromhex(v["seed"]), bytes.fromhex(v["key"])
    checkpoints = bytes.fromhex("".join(v["checkpoints"]))
    assert pot.verify(seed, key, v["checkpoint_iterations"], checkpoints, backend)
    for wrong in v["wrong_checkpoint_iterations"]:
        assert not pot.verify(seed, key, wrong, checkpoints, backend)
    assert not pot.verify(bytes.fromhex(v["seed_1"]), key, v["checkpoint_iterations"], checkpoints, backend)
    assert not pot.verify(seed, bytes.fromhex(v["key_1"]), v["checkpoint_iterations"], checkpoints, backend)
    bad = bytes.fromhex(v["bad_cipher"]) * 8
    assert not pot.verify(seed, key, v["checkpoint_iterations"], bad, backend)


@pytest.mark.parametrize("index", range(8))
def test_each_wrong_checkpoint_is_caught(backend: str, pot_vectors: dict, index: int) -> None:
    v = pot_vectors["kernel"]
    checkpoints = bytearray.fromhex("".join(v["checkpoints"]))
    checkpoints[16 * index + 5] ^= 0x01
    assert not pot.verify(bytes.fromhex(v["seed"]), bytes.fromhex(v["key"]), 20, bytes(checkpoints), backend)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.binary(min_size=16, max_size=16),
    key=st.binary(min_size=16, max_size=16),
    checkpoint_iterations=st.integers(min_value=1, max_value=60).map(lambda n: 2 * n),
)
def test_backend_equals_reference(backend: str, seed: bytes, key: bytes, checkpoint_iterations: int) -> None:
    expected = pot.prove(seed, key, checkpoint_iterations, "reference")
    assert pot.prove(seed, key, checkpoint_iterations, backend) == expected
    assert pot.verify(seed, key, checkpoint_iterations, expected, backend)


def test_verify_backends_agree_on_large_counts(native_backend: str, seeded_random: random.Random) -> None:
    seed, key = seeded_random.randbytes(16), seeded_random.randbytes(16)
    checkpoints = pot.prove(seed, key, 20_000)
    tampered = checkpoints[:-1] + bytes([checkpoints[-1] ^ 0x80])
    assert pot.verify(seed, key, 20_000, checkpoints, native_backend)
    assert not pot.verify(seed, key, 20_000, tampered, native_backend)


def test_aes_chain_matches_reference(backend: str, seeded_random: random.Random) -> None:
    key, block = seeded_random.randbytes(16), seeded_random.randbytes(16)
    assert pot.aes_chain(key, block, 333, backend) == pot.aes_chain(key, block, 333, "reference")


@pytest.mark.parametrize("checkpoint_iterations", [0, 1, 21, -2, 2**32, 2**33])
def test_rejects_bad_iteration_counts(backend: str, checkpoint_iterations: int) -> None:
    with pytest.raises(pot.PotKernelError, match="checkpoint_iterations"):
        pot.prove(bytes(16), bytes(16), checkpoint_iterations, backend)


@pytest.mark.parametrize(
    ("seed", "key", "checkpoints", "shown"),
    [
        (15, 16, 128, "seed must be 16 bytes, got 15"),
        (16, 17, 128, "key must be 16 bytes, got 17"),
        (16, 16, 127, "checkpoints must be 128 bytes, got 127"),
        (0, 16, 128, "seed must be 16 bytes, got 0"),
    ],
)
def test_rejects_wrong_lengths(backend: str, seed: int, key: int, checkpoints: int, shown: str) -> None:
    with pytest.raises(pot.PotKernelError, match=shown):
        pot.verify(bytes(seed), bytes(key), 20, bytes(checkpoints), backend)


def test_rejects_non_bytes() -> None:
    with pytest.raises(pot.PotKernelError, match="seed must be bytes-like.*got str"):
        pot.prove("0" * 16, bytes(16), 20)  # type: ignore[arg-type]


def test_binding_checks_lengths_itself() -> None:
    from autonomys.kernels import _kernels

    with pytest.raises(ValueError, match="seed must be 16 bytes, got 3"):
        _kernels.pot_prove(_kernels.POT_BACKEND_PORTABLE, b"abc", bytes(16), 20)
    with pytest.raises(ValueError, match="invalid argument"):
        _kernels.pot_prove(_kernels.POT_BACKEND_PORTABLE, bytes(16), bytes(16), 3)
    with pytest.raises(ValueError, match="invalid argument"):
        _kernels.pot_prove(99, bytes(16), bytes(16), 20)


def test_gil_is_released_while_proving() -> None:
    import threading

    done = threading.Event()
    ticks = 0

    def prove_long() -> None:
        pot.prove(bytes(16), bytes(16), 2_000_000)  # ~0.15 s of AES
        done.set()

    worker = threading.Thread(target=prove_long)
    worker.start()
    while not done.is_set():
        ticks += 1
    worker.join()
    # Holding the GIL for the whole call would leave this loop a handful of switch-interval ticks.
    assert ticks > 10_000
