"""True constants: fixed sizes and tags that no preset changes (subspace-core-primitives `pieces.rs`,
`segments.rs`, `pot.rs`; subspace-proof-of-time)."""

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

# BLS12-381 (subspace-kzg): scalars are 32-byte big-endian and canonical (< r).
BLS12_381_SCALAR_MODULUS: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
SCALAR_FULL_BYTES: Final = 32
SCALAR_SAFE_BYTES: Final = 31
G1_COMPRESSED_SIZE: Final = 48
G2_COMPRESSED_SIZE: Final = 96
# The Ethereum KZG ceremony transcripts[3] the reference embeds: 2^15 G1 and 65 G2 powers.
ETH_SETUP_NUM_G1_POWERS: Final = 32_768
ETH_SETUP_NUM_G2_POWERS: Final = 65
ETH_SETUP_SHA256: Final = "f3ead1a6249527aa503d6c56578325c01d19b3365cc59905be2bba64ae322925"

# Archiving sizes that no preset changes (subspace-core-primitives `pieces.rs`, `segments.rs`);
# record and segment sizes are derived in Params.
RECORD_COMMITMENT_SIZE: Final = G1_COMPRESSED_SIZE
RECORD_WITNESS_SIZE: Final = G1_COMPRESSED_SIZE
SEGMENT_COMMITMENT_SIZE: Final = G1_COMPRESSED_SIZE
# A record is one KZG polynomial, so it can have at most as many chunks as the setup has G1 powers.
KZG_MAX_RECORD_CHUNKS: Final = ETH_SETUP_NUM_G1_POWERS
# (source, all) pieces: erasure coding doubles every column; source and parity pieces interleave.
ERASURE_CODING_RATE: Final = (1, 2)
# A segment must hold its parent's header item (at most 99 bytes) and still have room for block data.
MIN_RECORDED_HISTORY_SEGMENT_SIZE: Final = 256

# Farming (the reference's `Solution`): a solution carries a sr25519 public key and a 32-byte reward address
# (AccountId32).
PUBLIC_KEY_SIZE: Final = 32
REWARD_ADDRESS_SIZE: Final = 32
CHUNK_WITNESS_SIZE: Final = G1_COMPRESSED_SIZE
# Solution ranges (subspace-runtime-primitives): SLOT_PROBABILITY 1/6 and EXPECTED_VOTES_PER_BLOCK 9
# (votes use 10x the range).
EXPECTED_VOTES_PER_BLOCK: Final = 9
