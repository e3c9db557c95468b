"""Typed facade of the proof-of-time kernel: validates arguments, then runs C or the reference.

Backends (the table in kernels/_backends.py): "auto", "portable", "aes-ni", "vaes-256", "vaes-512"
(x86 instruction sets, detected at run time) and "reference" (pure Python). Proving is one dependent
chain, so every x86 backend proves with AES-NI; they differ in verifying, and "auto" verifies with
the widest.
"""

from __future__ import annotations

from autonomys.kernels import _kernels, reference
from autonomys.kernels._backends import BackendSelector, codes_of
from autonomys.kernels._checks import Checks

SEED_SIZE = 16
KEY_SIZE = 16
NUM_CHECKPOINTS = 8
CHECKPOINTS_SIZE = SEED_SIZE * NUM_CHECKPOINTS
MAX_CHECKPOINT_ITERATIONS = 2**32 - 1
MAX_CHAIN_ITERATIONS = 2**64 - 1


class PotKernelError(ValueError):
    """Arguments outside the kernel's domain, or a backend this CPU lacks."""


_CHECKS = Checks(PotKernelError)
_BACKENDS = BackendSelector(
    "PoT", codes_of(_kernels, "POT_BACKEND_"), _kernels.pot_backend_available, PotKernelError, _kernels.pot_best_backend
)
BACKENDS = _BACKENDS.names  # the names `backend=` takes ("reference" included), besides the old ones
available_backends = _BACKENDS.available  # () -> every backend this CPU runs, "reference" last
best_backend = _BACKENDS.best  # () -> the backend "auto" verifies with


def _check_checkpoint_iterations(checkpoint_iterations: int) -> int:
    # the chain is split into 8 checkpoints of two verifiable halves each, counted in a u32
    return _CHECKS.integer("checkpoint_iterations", checkpoint_iterations, 2, MAX_CHECKPOINT_ITERATIONS, multiple_of=2)


def prove(seed: bytes, key: bytes, checkpoint_iterations: int, backend: str = "auto") -> bytes:
    """The 8 checkpoints (128 bytes) of the AES-128 chain from `seed` under `key`."""
    seed = _CHECKS.block("seed", seed, SEED_SIZE)
    key = _CHECKS.block("key", key, KEY_SIZE)
    checkpoint_iterations = _check_checkpoint_iterations(checkpoint_iterations)
    code = _BACKENDS.code(backend)
    if code is None:
        return reference.pot_prove(seed, key, checkpoint_iterations)
    return _kernels.pot_prove(code, seed, key, checkpoint_iterations)


def verify(seed: bytes, key: bytes, checkpoint_iterations: int, checkpoints: bytes, backend: str = "auto") -> bool:
    """True when `checkpoints` are the chain's 8 checkpoints (16 half-chains checked at once)."""
    seed = _CHECKS.block("seed", seed, SEED_SIZE)
    key = _CHECKS.block("key", key, KEY_SIZE)
    checkpoints = _CHECKS.block("checkpoints", checkpoints, CHECKPOINTS_SIZE)
    checkpoint_iterations = _check_checkpoint_iterations(checkpoint_iterations)
    code = _BACKENDS.code(backend)
    if code is None:
        return reference.pot_verify(seed, key, checkpoint_iterations, checkpoints)
    return _kernels.pot_verify(code, seed, key, checkpoint_iterations, checkpoints)


def aes_chain(key: bytes, block: bytes, iterations: int, backend: str = "auto") -> bytes:
    """`block` encrypted `iterations` times: the bare chain, for measuring the CPU's limit."""
    key = _CHECKS.block("key", key, KEY_SIZE)
    block = _CHECKS.block("block", block, SEED_SIZE)
    iterations = _CHECKS.integer("iterations", iterations, 0, MAX_CHAIN_ITERATIONS)
    code = _BACKENDS.code(backend)
    if code is None:
        return reference.pot_aes_chain(key, block, iterations)
    return _kernels.pot_aes_chain(code, key, block, iterations)
