"""True constants: fixed sizes and tags that no preset changes (reference note §A.1, §E)."""

from typing import Final

BLAKE3_HASH_SIZE: Final = 32
RANDOMNESS_SIZE: Final = 32

POT_SEED_SIZE: Final = 16
POT_KEY_SIZE: Final = 16
POT_OUTPUT_SIZE: Final = 16
POT_NUM_CHECKPOINTS: Final = 8
POT_CHECKPOINTS_SIZE: Final = POT_OUTPUT_SIZE * POT_NUM_CHECKPOINTS
# Slot iterations must split into 8 checkpoints of an even number of iterations (two-sided verify).
POT_ITERATIONS_MULTIPLE: Final = 2 * POT_NUM_CHECKPOINTS
# GossipProof SCALE: slot u64 | seed [16] | slot_iterations u32 (NonZeroU32) | 8 x [16].
POT_GOSSIP_PROOF_SIZE: Final = 8 + POT_SEED_SIZE + 4 + POT_CHECKPOINTS_SIZE

U32_MAX: Final = 2**32 - 1
U64_MAX: Final = 2**64 - 1
