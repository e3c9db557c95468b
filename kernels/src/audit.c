/* The audit of one s-bucket (include/audit.h): keyed BLAKE3 of 16 chunks at a time (blake3.c), the
 * bidirectional distance to the global challenge, and the candidates sorted by (distance, offset). The
 * instruction set is chosen at run time the way pos.c chooses it. */
#include "audit.h"

#include <stdlib.h>
#include <string.h>

#include "blake3.h"
#include "errors.h"

int audit_backend_available(int backend) {
    switch (backend) {
    case AUDIT_BACKEND_AUTO:
    case AUDIT_BACKEND_PORTABLE:
        return 1;
#if defined(__x86_64__)
    case AUDIT_BACKEND_AVX2:
        return __builtin_cpu_supports("avx2");
    case AUDIT_BACKEND_AVX512:
        return __builtin_cpu_supports("avx512f");
#endif
    default:
        return 0;
    }
}

/* The BLAKE3 lane width of `backend`, or 0 with *status set when it is unknown or absent. */
static unsigned backend_lanes(int backend, int *status) {
    *status = KERNEL_OK;
    if (backend < 0 || backend >= AUDIT_BACKEND_COUNT) {
        *status = KERNEL_ERR_INVALID_ARGUMENT;
        return 0;
    }
    if (!audit_backend_available(backend)) {
        *status = KERNEL_ERR_BACKEND_UNAVAILABLE;
        return 0;
    }
    if (backend == AUDIT_BACKEND_AUTO) {
        backend = audit_backend_available(AUDIT_BACKEND_AVX512) ? AUDIT_BACKEND_AVX512
                  : audit_backend_available(AUDIT_BACKEND_AVX2) ? AUDIT_BACKEND_AVX2
                                                                 : AUDIT_BACKEND_PORTABLE;
    }
    switch (backend) {
    case AUDIT_BACKEND_AVX512:
        return BLAKE3_LANES_AVX512;
    case AUDIT_BACKEND_AVX2:
        return BLAKE3_LANES_AVX2;
    default:
        return BLAKE3_LANES_PORTABLE;
    }
}

uint64_t audit_distance(uint64_t a, uint64_t b) {
    uint64_t forward = a - b, backward = b - a;
    return forward < backward ? forward : backward;
}

static inline uint32_t load_le32(const uint8_t *bytes) {
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

/* The distances of `count` <= 16 chunks; lanes past `count` hash zero blocks and are dropped. */
static void group_distances(const uint8_t *chunks, size_t count, const uint32_t key[8], uint64_t global_challenge,
                            unsigned lanes, uint64_t distances[BLAKE3_GROUP]) {
    uint32_t message[8][BLAKE3_GROUP], hash[2][BLAKE3_GROUP];
    if (count < BLAKE3_GROUP) {
        memset(message, 0, sizeof message);
    }
    for (size_t lane = 0; lane < count; lane++) {
        for (unsigned word = 0; word < 8; word++) {
            message[word][lane] = load_le32(chunks + AUDIT_CHUNK_BYTES * lane + 4 * word);
        }
    }
    blake3_one_block_group_keyed(key, (const uint32_t(*)[BLAKE3_GROUP])message, AUDIT_CHUNK_BYTES, 2, hash, lanes);
    for (size_t lane = 0; lane < count; lane++) {
        uint64_t audit_value = (uint64_t)hash[0][lane] | (uint64_t)hash[1][lane] << 32;
        distances[lane] = audit_distance(audit_value, global_challenge);
    }
}

/* Checks shared by both entry points; fills the key words and the lane width. */
static int prepare(const uint8_t *chunks, size_t num_chunks, const uint8_t *key, const void *out, int backend,
                   uint32_t key_words[8], unsigned *lanes) {
    if (num_chunks > AUDIT_MAX_CHUNKS || key == NULL || (num_chunks > 0 && (chunks == NULL || out == NULL))) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    int status;
    *lanes = backend_lanes(backend, &status);
    for (unsigned word = 0; word < 8; word++) {
        key_words[word] = load_le32(key + 4 * word);
    }
    return status;
}

int audit_distances(const uint8_t *chunks, size_t num_chunks, const uint8_t key[AUDIT_KEY_BYTES],
                    uint64_t global_challenge, int backend, uint64_t *distances_out) {
    uint32_t key_words[8];
    unsigned lanes;
    int status = prepare(chunks, num_chunks, key, distances_out, backend, key_words, &lanes);
    if (status != KERNEL_OK) {
        return status;
    }
    for (size_t first = 0; first < num_chunks; first += BLAKE3_GROUP) {
        size_t count = num_chunks - first < BLAKE3_GROUP ? num_chunks - first : BLAKE3_GROUP;
        uint64_t distances[BLAKE3_GROUP];
        group_distances(chunks + AUDIT_CHUNK_BYTES * first, count, key_words, global_challenge, lanes, distances);
        memcpy(distances_out + first, distances, count * sizeof(uint64_t));
    }
    return KERNEL_OK;
}

static int compare_candidates(const void *left, const void *right) {
    const audit_candidate *a = left, *b = right;
    if (a->distance != b->distance) {
        return a->distance < b->distance ? -1 : 1;
    }
    return (a->offset > b->offset) - (a->offset < b->offset);
}

int audit_chunks(const uint8_t *chunks, size_t num_chunks, const uint8_t key[AUDIT_KEY_BYTES],
                 uint64_t global_challenge, uint64_t half_range, int backend, audit_candidate *candidates_out,
                 size_t *count_out) {
    uint32_t key_words[8];
    unsigned lanes;
    if (count_out == NULL) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    *count_out = 0;
    int status = prepare(chunks, num_chunks, key, candidates_out, backend, key_words, &lanes);
    if (status != KERNEL_OK) {
        return status;
    }
    size_t count = 0;
    for (size_t first = 0; first < num_chunks; first += BLAKE3_GROUP) {
        size_t group = num_chunks - first < BLAKE3_GROUP ? num_chunks - first : BLAKE3_GROUP;
        uint64_t distances[BLAKE3_GROUP];
        group_distances(chunks + AUDIT_CHUNK_BYTES * first, group, key_words, global_challenge, lanes, distances);
        for (size_t lane = 0; lane < group; lane++) {
            if (distances[lane] <= half_range) {
                candidates_out[count].distance = distances[lane];
                candidates_out[count].offset = (uint32_t)(first + lane);
                count++;
            }
        }
    }
    if (count > 1) {
        qsort(candidates_out, count, sizeof *candidates_out, compare_candidates);
    }
    *count_out = count;
    return KERNEL_OK;
}
