"""Slow pure-Python references of every kernel: the ground truth for equivalence tests.

AES itself comes from pycryptodome (one block per call); the chaining, checkpointing and
two-sided verification are written out plainly.
"""

from __future__ import annotations

from Crypto.Cipher import AES

POT_NUM_CHECKPOINTS = 8


def pot_prove(seed: bytes, key: bytes, checkpoint_iterations: int) -> bytes:
    """8 checkpoints of `checkpoint_iterations` chained AES-128 encryptions starting from seed."""
    cipher = AES.new(key, AES.MODE_ECB)
    block = seed
    checkpoints = []
    for _ in range(POT_NUM_CHECKPOINTS):
        for _ in range(checkpoint_iterations):
            block = cipher.encrypt(block)
        checkpoints.append(block)
    return b"".join(checkpoints)


def pot_verify(seed: bytes, key: bytes, checkpoint_iterations: int, checkpoints: bytes) -> bool:
    """Encrypt each checkpoint's input half-way and decrypt the checkpoint half-way; all must meet."""
    cipher = AES.new(key, AES.MODE_ECB)
    half = checkpoint_iterations // 2
    previous = seed
    all_meet = True
    for index in range(POT_NUM_CHECKPOINTS):
        checkpoint = checkpoints[16 * index : 16 * (index + 1)]
        forward, backward = previous, checkpoint
        for _ in range(half):
            forward = cipher.encrypt(forward)
            backward = cipher.decrypt(backward)
        all_meet = all_meet and forward == backward
        previous = checkpoint
    return all_meet


def pot_aes_chain(key: bytes, block: bytes, iterations: int) -> bytes:
    """Encrypt block `iterations` times."""
    cipher = AES.new(key, AES.MODE_ECB)
    for _ in range(iterations):
        block = cipher.encrypt(block)
    return block
