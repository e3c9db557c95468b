"""Typed facade of the proof-of-time kernel: validates arguments, then runs C or the reference.

Backends: "auto" (the fastest this CPU has), "portable" (plain C), "aesni", "vaes256",
"vaes512" (x86 instruction sets, detected at run time) and "reference" (pure Python).
Proving is one dependent chain, so every x86 backend proves with AES-NI; they differ in verifying.
"""

from __future__ import annotations

from autonomys.kernels import _kernels, reference

SEED_SIZE = 16
KEY_SIZE = 16
NUM_CHECKPOINTS = 8
CHECKPOINTS_SIZE = SEED_SIZE * NUM_CHECKPOINTS
MAX_CHECKPOINT_ITERATIONS = 2**32 - 1

_BACKEND_CODES = {
    "auto": _kernels.POT_BACKEND_AUTO,
    "portable": _kernels.POT_BACKEND_PORTABLE,
    "aesni": _kernels.POT_BACKEND_AESNI,
    "vaes256": _kernels.POT_BACKEND_VAES256,
    "vaes512": _kernels.POT_BACKEND_VAES512,
}
_BACKEND_NAMES = {code: name for name, code in _BACKEND_CODES.items()}
BACKENDS = (*_BACKEND_CODES, "reference")


class PotKernelError(ValueError):
    """Arguments outside the kernel's domain, or a backend this CPU lacks."""


def available_backends() -> tuple[str, ...]:
    """Every backend that runs on this CPU, "reference" included."""
    native = tuple(name for name, code in _BACKEND_CODES.items() if _kernels.pot_backend_available(code))
    return (*native, "reference")


def best_backend() -> str:
    """The backend "auto" verifies with."""
    return _BACKEND_NAMES[_kernels.pot_best_backend()]


def _backend_code(backend: str) -> int:
    if backend not in _BACKEND_CODES:
        msg = f"unknown PoT backend {backend!r}; choose one of {', '.join(BACKENDS)}"
        raise PotKernelError(msg)
    code = _BACKEND_CODES[backend]
    if not _kernels.pot_backend_available(code):
        msg = f"PoT backend {backend!r} is not available on this CPU; available: {', '.join(available_backends())}"
        raise PotKernelError(msg)
    return code


def _check_block(name: str, value: bytes, size: int) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        msg = f"{name} must be bytes, got {type(value).__name__}"
        raise PotKernelError(msg)
    if len(value) != size:
        msg = f"{name} must be {size} bytes, got {len(value)}"
        raise PotKernelError(msg)
    return bytes(value)


def _check_checkpoint_iterations(checkpoint_iterations: int) -> int:
    if isinstance(checkpoint_iterations, bool) or not isinstance(checkpoint_iterations, int):
        msg = f"checkpoint_iterations must be an int, got {type(checkpoint_iterations).__name__}"
        raise PotKernelError(msg)
    if not 0 < checkpoint_iterations <= MAX_CHECKPOINT_ITERATIONS or checkpoint_iterations % 2 != 0:
        msg = f"checkpoint_iterations={checkpoint_iterations} must be even and in 2..{MAX_CHECKPOINT_ITERATIONS}"
        raise PotKernelError(msg)
    return checkpoint_iterations


def prove(seed: bytes, key: bytes, checkpoint_iterations: int, backend: str = "auto") -> bytes:
    """The 8 checkpoints (128 bytes) of the AES-128 chain from `seed` under `key`."""
    seed = _check_block("seed", seed, SEED_SIZE)
    key = _check_block("key", key, KEY_SIZE)
    checkpoint_iterations = _check_checkpoint_iterations(checkpoint_iterations)
    if backend == "reference":
        return reference.pot_prove(seed, key, checkpoint_iterations)
    return _kernels.pot_prove(_backend_code(backend), seed, key, checkpoint_iterations)


def verify(seed: bytes, key: bytes, checkpoint_iterations: int, checkpoints: bytes, backend: str = "auto") -> bool:
    """True when `checkpoints` are the chain's 8 checkpoints (16 half-chains checked at once)."""
    seed = _check_block("seed", seed, SEED_SIZE)
    key = _check_block("key", key, KEY_SIZE)
    checkpoints = _check_block("checkpoints", checkpoints, CHECKPOINTS_SIZE)
    checkpoint_iterations = _check_checkpoint_iterations(checkpoint_iterations)
    if backend == "reference":
        return reference.pot_verify(seed, key, checkpoint_iterations, checkpoints)
    return _kernels.pot_verify(_backend_code(backend), seed, key, checkpoint_iterations, checkpoints)


def aes_chain(key: bytes, block: bytes, iterations: int, backend: str = "auto") -> bytes:
    """`block` encrypted `iterations` times: the bare chain, for measuring the CPU's limit."""
    key = _check_block("key", key, KEY_SIZE)
    block = _check_block("block", block, SEED_SIZE)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or not 0 <= iterations < 2**64:
        msg = f"iterations={iterations!r} must be an int in 0..2**64-1"
        raise PotKernelError(msg)
    if backend == "reference":
        return reference.pot_aes_chain(key, block, iterations)
    return _kernels.pot_aes_chain(_backend_code(backend), key, block, iterations)
