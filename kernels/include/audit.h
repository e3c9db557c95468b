/* Audit kernel: which chunks of an s-bucket are solution candidates in a slot (proof-of-archival-storage
 * farming).
 *
 * Caller-owned buffers, int return codes (KERNEL_* from src/errors.h); no Python here, no allocation.
 *
 * For chunk c (32 bytes) of an s-bucket, with the sector's slot challenge as key (32 bytes):
 *   a = u64 little-endian of the first 8 bytes of blake3(c, key = sector_slot_challenge)  (keyed mode)
 *   distance = min(a - g, g - a), both mod 2^64, where g = u64 LE of the global challenge's first 8 bytes
 * A chunk is a candidate when distance <= half_range (solution_range / 2, rounded down).
 */
#ifndef AUTONOMYS_AUDIT_H
#define AUTONOMYS_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_CHUNK_BYTES 32
#define AUDIT_KEY_BYTES 32
#define AUDIT_MAX_CHUNKS ((size_t)UINT32_MAX) /* chunk offsets are u32 */

#define AUDIT_BACKEND_AUTO 0     /* the widest of the three below this CPU runs */
#define AUDIT_BACKEND_PORTABLE 1 /* plain C, one hash at a time */
#define AUDIT_BACKEND_AVX2 2     /* x86 AVX2: 8 hashes at a time */
#define AUDIT_BACKEND_AVX512 3   /* x86 AVX-512F: 16 hashes at a time */
#define AUDIT_BACKEND_COUNT 4

/** One candidate: its chunk offset in the s-bucket and its distance. */
typedef struct audit_candidate {
    uint64_t distance;
    uint32_t offset;
} audit_candidate;

/** @return 1 when `backend` (AUDIT_BACKEND_*) runs on this CPU, else 0. */
int audit_backend_available(int backend);

/** @return the bidirectional distance min(a - b, b - a) mod 2^64. */
uint64_t audit_distance(uint64_t a, uint64_t b);

/**
 * The distance of every chunk.
 * @param chunks num_chunks * 32 bytes (may be NULL when num_chunks is 0)
 * @param num_chunks 0..AUDIT_MAX_CHUNKS
 * @param key the sector slot challenge, 32 bytes
 * @param global_challenge g, the u64 LE of the global challenge's first 8 bytes
 * @param backend one of AUDIT_BACKEND_*
 * @param distances_out num_chunks distances, in chunk order
 * @return KERNEL_OK, KERNEL_ERR_INVALID_ARGUMENT (too many chunks, NULL buffers, unknown backend) or
 *         KERNEL_ERR_BACKEND_UNAVAILABLE
 */
int audit_distances(const uint8_t *chunks, size_t num_chunks, const uint8_t key[AUDIT_KEY_BYTES],
                    uint64_t global_challenge, int backend, uint64_t *distances_out);

/**
 * The candidates: every chunk with distance <= half_range, sorted by distance, then by offset.
 * @param half_range solution_range / 2
 * @param candidates_out room for num_chunks candidates (the worst case: every chunk)
 * @param count_out the number of candidates written
 * @return as audit_distances
 */
int audit_chunks(const uint8_t *chunks, size_t num_chunks, const uint8_t key[AUDIT_KEY_BYTES],
                 uint64_t global_challenge, uint64_t half_range, int backend, audit_candidate *candidates_out,
                 size_t *count_out);

#endif
