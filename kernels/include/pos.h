/* Proof-of-space: the chia table Subspace uses (ChaCha8 f1, BLAKE3 f2..f7, 7 tables, 64 x-values per
 * proof) and the shim table of its test runtimes.
 *
 * Caller-owned buffers, int return codes (KERNEL_* from src/errors.h); no Python here.
 * A table context is allocated once for its K by pos_table_create and reused by every
 * pos_table_generate: no allocation happens while a table is built or queried (except the helper
 * threads' scratch of the first threaded build, see pos_table_generate_threads). A context is not
 * thread-safe, but distinct contexts share no mutable state and may be used from different
 * threads at once; the free functions (f1, fn, verify, shim) are reentrant. A K=20 context holds
 * 121 MB: parent indices of tables 2..7 (43 MB), bucket slots of the table being built (55 MB), the
 * parent's y and metadata (19 MB) and table 1's x values (4 MB).
 *
 * Chia table (byte-compatible with crates/subspace-proof-of-space/src/chiapos):
 *   f1(x) = (bits [K x, K x + K) of the ChaCha8 keystream of the seed, MSB first) << 6 | x >> (K - 6)
 *   fn   = first K+6 bits of blake3(y || left_meta || right_meta) packed MSB first, metadata K*{1,2,4,4,3,2,0}
 *   tables 2..7 match adjacent buckets of BC = 15113; buckets keep at most 512 entries and a bucket
 *   pair at most 512 matches; within a bucket entries are ordered by (y, position).
 *   find_proof(c): first_k = bswap32(c) >> (32 - K); the first table-7 entry with y >> 6 == first_k,
 *   walked back left-first to 64 x values packed MSB first (8 K bytes).
 */
#ifndef AUTONOMYS_POS_H
#define AUTONOMYS_POS_H

#include <stddef.h>
#include <stdint.h>
#include "../src/errors.h"

#define POS_SEED_BYTES 32
#define POS_HASH_BYTES 32
#define POS_K_MIN 12    /* smallest K of table builds, fn and verification */
#define POS_K_MAX 24    /* largest K of table builds, fn and verification (metadata of 4K <= 96 bits) */
#define POS_F1_K_MAX 25 /* f1 alone accepts K up to 25 */
#define POS_PARAM_EXT 6
#define POS_PARAM_BC 15113u
#define POS_MAX_BUCKET_ENTRIES 512 /* entries kept per bucket, in position order */
#define POS_MAX_PAIR_MATCHES 512   /* matches kept per adjacent bucket pair, in match order */
#define POS_PROOF_XS 64
#define POS_MAX_PROOF_BYTES (8 * POS_K_MAX)
#define POS_METADATA_BYTES 16 /* metadata crosses the API as 16 big-endian bytes */
#define POS_SHIM_PROOF_BYTES 160
#define POS_MAX_THREADS 16 /* threads of one table build or proof_hashes call */

/* Backends, chosen at run time. AUTO picks the widest one the CPU supports. */
#define POS_BACKEND_AUTO 0
#define POS_BACKEND_PORTABLE 1 /* plain C, one lane */
#define POS_BACKEND_AVX2 2     /* x86 AVX2: 8 ChaCha8 blocks / BLAKE3 hashes at a time */
#define POS_BACKEND_AVX512 3   /* x86 AVX-512F: 16 at a time, plus AVX-512 matching */
#define POS_BACKEND_COUNT 4

/* Returned by pos_table_generate when a table outgrows the context's capacity (2^K + 2^K/8 + 4096
 * entries, over 30 standard deviations above the expected 2^K). Never observed; the kernel stops
 * rather than drop entries silently. */
#define POS_ERR_TABLE_CAPACITY KERNEL_ERR_CAPACITY
/* Returned by pos_table_create when the context's memory cannot be allocated. */
#define POS_ERR_NO_MEMORY KERNEL_ERR_NO_MEMORY

typedef struct pos_table pos_table;

/** @return 1 when `backend` can run on this CPU, else 0. */
int pos_backend_available(int backend);

/** @return the backend AUTO resolves to. */
int pos_best_backend(void);

/** @return the bytes pos_table_create allocates for K (0 when K is out of range). */
size_t pos_table_memory_bytes(unsigned k);

/**
 * Allocate a context for chia tables of parameter K (all memory, once).
 * @param k POS_K_MIN..POS_K_MAX
 * @param backend one of POS_BACKEND_*
 * @param table_out receives the context, or NULL on failure
 * @return KERNEL_OK, KERNEL_ERR_INVALID_ARGUMENT, KERNEL_ERR_BACKEND_UNAVAILABLE or POS_ERR_NO_MEMORY
 */
int pos_table_create(unsigned k, int backend, pos_table **table_out);

/** Free a context from pos_table_create (NULL is ignored). */
void pos_table_destroy(pos_table *table);

/** @return the K of the context. */
unsigned pos_table_k(const pos_table *table);

/** @return the number of entries of table `table_number` (1..7) after the last generate, else 0. */
size_t pos_table_size(const pos_table *table, unsigned table_number);

/**
 * Copy out table `table_number` in its (y, position) order, for equivalence tests: table 1 as its x
 * values (n words), tables 2..6 as (left, right) parent indices (2 n words), table 7 as (y, left,
 * right) (3 n words), n = pos_table_size(table, table_number).
 * @return KERNEL_OK, or KERNEL_ERR_INVALID_ARGUMENT when no table was generated or the number is not 1..7
 */
int pos_table_export(const pos_table *table, unsigned table_number, uint32_t *words_out);

/**
 * Build all 7 tables for `seed` in place, replacing the previous ones.
 * @return KERNEL_OK or POS_ERR_TABLE_CAPACITY (the context then holds no table)
 */
int pos_table_generate(pos_table *table, const uint8_t seed[POS_SEED_BYTES]);

/**
 * pos_table_generate on `threads` threads (the calling thread and threads - 1 started for each step):
 * the tables are byte-identical to the one-thread build. Work is claimed in chunks, so a thread that the
 * OS runs late takes less of it. The first build with a given thread count (above 1) allocates the
 * helpers' scratch, kept by the context until a build with another count (about 55 MB at K = 20, mostly
 * the buffer of the new entries helpers make before they join the buckets).
 * @param threads 1..POS_MAX_THREADS
 * @return KERNEL_OK, KERNEL_ERR_INVALID_ARGUMENT, POS_ERR_NO_MEMORY or POS_ERR_TABLE_CAPACITY (the context
 *         then holds no table)
 */
int pos_table_generate_threads(pos_table *table, const uint8_t seed[POS_SEED_BYTES], unsigned threads);

/**
 * The proof for `challenge_index`: 8 K bytes packed into proof_out when one exists.
 * @param found_out set to 1 when a proof was written, else 0
 * @return KERNEL_OK, or KERNEL_ERR_INVALID_ARGUMENT when no table was generated
 */
int pos_table_find_proof(const pos_table *table, uint32_t challenge_index, uint8_t proof_out[POS_MAX_PROOF_BYTES],
                         int *found_out);

/**
 * For challenges 0..num_challenges-1: flags_out[i] = 1 when a proof exists, and
 * hashes_out[32 i ..] = blake3(proof) (32 zero bytes when none).
 * @return KERNEL_OK, or KERNEL_ERR_INVALID_ARGUMENT when no table was generated
 */
int pos_table_proof_hashes(const pos_table *table, uint64_t num_challenges, uint8_t *flags_out,
                           uint8_t *hashes_out);

/** pos_table_proof_hashes with the challenges split over `threads` (1..POS_MAX_THREADS) threads: the
 *  same output. @return as pos_table_proof_hashes, or KERNEL_ERR_INVALID_ARGUMENT for a bad count */
int pos_table_proof_hashes_threads(const pos_table *table, uint64_t num_challenges, uint8_t *flags_out,
                                   uint8_t *hashes_out, unsigned threads);

/**
 * Verify a chia proof without a table: 64 f1 evaluations and 63 fn evaluations.
 * @param proof 8 K bytes
 * @param valid_out 1 when every pair matches and y7 >> 6 equals the challenge's first K bits
 * @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT (K out of range)
 */
int pos_is_proof_valid(unsigned k, const uint8_t seed[POS_SEED_BYTES], uint32_t challenge_index,
                       const uint8_t *proof, int *valid_out);

/** f1(x) for K in POS_K_MIN..POS_F1_K_MAX and x < 2^K. */
int pos_compute_f1(unsigned k, const uint8_t seed[POS_SEED_BYTES], uint32_t x, uint32_t *y_out);

/**
 * f_t for table t = 2..7: y_out and metadata_out (16 big-endian bytes; zero for table 7) from the
 * left entry's y and both parents' metadata (16 big-endian bytes, K * {1,2,4,4,3,2} bits for t-1).
 */
int pos_compute_fn(unsigned k, unsigned table_number, uint32_t y, const uint8_t left_metadata[POS_METADATA_BYTES],
                   const uint8_t right_metadata[POS_METADATA_BYTES], uint32_t *y_out,
                   uint8_t metadata_out[POS_METADATA_BYTES]);

/** @return 1 when right_y is among the 64 targets of left_y (bucket adjacency is not checked). */
int pos_has_match(uint32_t left_y, uint32_t right_y);

/** The shim table: found_out = 1 and proof_out = seed || quality x 4 unless U256_le(quality) % 3 == 0,
 *  where quality = blake3(challenge_index as 4 little-endian bytes). */
int pos_shim_find_proof(const uint8_t seed[POS_SEED_BYTES], uint32_t challenge_index,
                        uint8_t proof_out[POS_SHIM_PROOF_BYTES], int *found_out);

/** pos_table_proof_hashes for the shim table of `seed`. */
int pos_shim_proof_hashes(const uint8_t seed[POS_SEED_BYTES], uint64_t num_challenges, uint8_t *flags_out,
                          uint8_t *hashes_out);

/**
 * The irreducible hashing of one table build, for benchmarks: the ChaCha8 keystream of table 1 and
 * 6 * 2^K one-block BLAKE3 hashes (no matching, sorting or memory traffic).
 * @param checksum_out a value derived from every output, so no work can be skipped
 */
int pos_hashing_work(unsigned k, int backend, uint32_t *checksum_out);

/** BLAKE3-256 of at most 1024 bytes (exposed for tests). */
int pos_blake3(const uint8_t *input, size_t length, uint8_t out[POS_HASH_BYTES]);

/** ChaCha8 keystream blocks first_block.. of `seed` (exposed for tests); `backend` as above. */
int pos_chacha8_keystream(int backend, const uint8_t seed[POS_SEED_BYTES], uint32_t first_block, size_t num_blocks,
                          uint8_t *out);

#endif
