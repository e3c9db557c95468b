/* Proof-of-space contexts and queries: backend choice, the one allocation of a context, generate,
 * find_proof, proof_hashes, and the shim table. Table build is in pos_table.c (bucket pair matching
 * in pos_match.c); the f-functions and verification are in pos_verify.c. */
#define _DEFAULT_SOURCE 1 /* madvise */

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "errors.h"
#include "pos_internal.h"

#define HUGE_PAGE_BYTES ((size_t)2 << 20)
#define ARRAY_ALIGNMENT 64
#define PROOF_BATCH 16 /* challenges answered together by proof_hashes */

int pos_backend_available(int backend) {
    switch (backend) {
    case POS_BACKEND_AUTO:
    case POS_BACKEND_PORTABLE:
        return 1;
#if defined(__x86_64__)
    case POS_BACKEND_AVX2:
        return __builtin_cpu_supports("avx2");
    case POS_BACKEND_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#endif
    default:
        return 0;
    }
}

int pos_best_backend(void) {
    if (pos_backend_available(POS_BACKEND_AVX512)) {
        return POS_BACKEND_AVX512;
    }
    return pos_backend_available(POS_BACKEND_AVX2) ? POS_BACKEND_AVX2 : POS_BACKEND_PORTABLE;
}

unsigned pos_backend_lanes(int backend) {
    switch (backend) {
    case POS_BACKEND_AVX512:
        return 16;
    case POS_BACKEND_AVX2:
        return 8;
    default:
        return 1;
    }
}

static int resolve_backend(int backend, int *resolved) {
    if (backend < 0 || backend >= POS_BACKEND_COUNT) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    if (!pos_backend_available(backend)) {
        return KERNEL_ERR_BACKEND_UNAVAILABLE;
    }
    *resolved = backend == POS_BACKEND_AUTO ? pos_best_backend() : backend;
    return KERNEL_OK;
}

static uint32_t num_buckets_for(unsigned k) {
    return (uint32_t)((((uint64_t)1 << pos_y_bits(k)) + POS_PARAM_BC - 1) / POS_PARAM_BC);
}

/* Entries per table 2..7: the pair bound, or 2^K + 2^K/8 + 4096 when smaller (> 30 sigma above 2^K). */
static size_t capacity_for(unsigned k) {
    size_t pair_bound = (size_t)(num_buckets_for(k) - 1) * POS_MAX_PAIR_MATCHES;
    size_t margin = ((size_t)1 << k) + ((size_t)1 << (k - 3)) + 4096;
    return pair_bound < margin ? pair_bound : margin;
}

/* Carve the context's arrays from `memory` (or only measure when it is NULL). */
static size_t layout(pos_table *table, unsigned k, uint8_t *memory) {
    size_t capacity = capacity_for(k), entries1 = (size_t)1 << k, offset = 0;
    uint32_t num_buckets = num_buckets_for(k);
#define CARVE(field, count)                                                                                   \
    do {                                                                                                      \
        if (memory != NULL) {                                                                                 \
            table->field = (void *)(memory + offset);                                                         \
        }                                                                                                     \
        offset += ((count) * sizeof *table->field + ARRAY_ALIGNMENT - 1) / ARRAY_ALIGNMENT * ARRAY_ALIGNMENT; \
    } while (0)
    CARVE(x_sorted, entries1);
    for (unsigned t = 0; t < 6; t++) {
        CARVE(left[t], capacity);
        CARVE(delta[t], capacity);
    }
    CARVE(py, capacity);
    CARVE(pmeta_lo, capacity);
    CARVE(pmeta_hi, capacity);
    CARVE(slots, (size_t)num_buckets * POS_SLOT_STRIDE);
    CARVE(bucket_fill, (size_t)num_buckets);
    CARVE(staging, (size_t)POS_STAGING_ENTRIES);
    CARVE(bucket_start, (size_t)num_buckets + 1);
    CARVE(keystream, (size_t)64 * 16 * k + 64);
    CARVE(rmap, (size_t)POS_PARAM_BC);
    CARVE(group_base, (size_t)POS_PARAM_B + POS_PARAM_M + 15);
    CARVE(hit_left, (size_t)POS_HIT_CAPACITY);
    CARVE(hit_target, (size_t)POS_HIT_CAPACITY);
    CARVE(hit_rotations, (size_t)POS_MAX_BUCKET_ENTRIES);
    CARVE(match_left, (size_t)POS_MAX_PAIR_MATCHES);
    CARVE(match_right, (size_t)POS_MAX_PAIR_MATCHES);
#undef CARVE
    return offset;
}

size_t pos_table_memory_bytes(unsigned k) {
    if (k < POS_K_MIN || k > POS_K_MAX) {
        return 0;
    }
    pos_table scratch;
    return sizeof(pos_table) + layout(&scratch, k, NULL);
}

int pos_table_create(unsigned k, int backend, pos_table **table_out) {
    *table_out = NULL;
    int resolved;
    if (k < POS_K_MIN || k > POS_K_MAX) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    int status = resolve_backend(backend, &resolved);
    if (status != KERNEL_OK) {
        return status;
    }
    pos_table *table = calloc(1, sizeof *table);
    if (table == NULL) {
        return POS_ERR_NO_MEMORY;
    }
    size_t bytes = (layout(table, k, NULL) + HUGE_PAGE_BYTES - 1) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
    table->memory = aligned_alloc(HUGE_PAGE_BYTES, bytes);
    if (table->memory == NULL) {
        free(table);
        return POS_ERR_NO_MEMORY;
    }
#if defined(MADV_HUGEPAGE)
    madvise(table->memory, bytes, MADV_HUGEPAGE); /* advice only: random access over ~100 MB */
#endif
    table->memory_bytes = bytes;
    layout(table, k, table->memory);
    memset(table->rmap, 0, POS_PARAM_BC * sizeof *table->rmap);
    table->k = k;
    table->backend = resolved;
    table->lanes = pos_backend_lanes(resolved);
    for (uint32_t column = 0; column < POS_PARAM_B + POS_PARAM_M + 15; column++) {
        table->group_base[column] = column % POS_PARAM_B * POS_PARAM_C;
    }
    table->num_buckets = num_buckets_for(k);
    table->capacity = capacity_for(k);
    *table_out = table;
    return KERNEL_OK;
}

void pos_table_destroy(pos_table *table) {
    if (table != NULL) {
        pos_free_workers(table);
        free(table->memory);
        free(table);
    }
}

unsigned pos_table_k(const pos_table *table) { return table->k; }

size_t pos_table_size(const pos_table *table, unsigned table_number) {
    if (!table->generated || table_number < 1 || table_number > 7) {
        return 0;
    }
    return table->sizes[table_number];
}

int pos_table_export(const pos_table *table, unsigned table_number, uint32_t *words_out) {
    if (!table->generated || table_number < 1 || table_number > 7) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    size_t size = table->sizes[table_number];
    if (table_number == 1) {
        memcpy(words_out, table->x_sorted, size * sizeof *words_out);
        return KERNEL_OK;
    }
    const uint32_t *left = table->left[table_number - 2];
    const uint16_t *delta = table->delta[table_number - 2];
    size_t width = table_number == 7 ? 3 : 2;
    for (size_t i = 0; i < size; i++) {
        uint32_t *out = words_out + width * i;
        if (table_number == 7) {
            *out++ = table->py[i];
        }
        out[0] = left[i];
        out[1] = left[i] + delta[i];
    }
    return KERNEL_OK;
}

int pos_table_generate(pos_table *table, const uint8_t seed[POS_SEED_BYTES]) {
    return pos_build_tables(table, seed, 1);
}

int pos_table_generate_threads(pos_table *table, const uint8_t seed[POS_SEED_BYTES], unsigned threads) {
    return pos_build_tables(table, seed, threads);
}

/* For each of `count` first_k values, the index of the first table-7 entry whose y >> 6 is first_k,
 * or SIZE_MAX. The binary searches run in lockstep so their cache misses overlap. */
static void first_table7_entries(const pos_table *table, const uint32_t *first_ks, unsigned count, size_t *indices) {
    const uint32_t *ys = table->py;
    size_t size = table->sizes[7], low[PROOF_BATCH], high[PROOF_BATCH];
    for (unsigned i = 0; i < count; i++) {
        low[i] = 0;
        high[i] = size;
    }
    for (size_t span = size; span > 0; span /= 2) {
        for (unsigned i = 0; i < count; i++) {
            if (low[i] < high[i]) {
                size_t middle = low[i] + (high[i] - low[i]) / 2;
                if (ys[middle] < first_ks[i] << POS_PARAM_EXT) {
                    low[i] = middle + 1;
                } else {
                    high[i] = middle;
                }
            }
        }
    }
    for (unsigned i = 0; i < count; i++) {
        indices[i] = low[i] < size && ys[low[i]] >> POS_PARAM_EXT == first_ks[i] ? low[i] : SIZE_MAX;
    }
}

/* Walk table-7 entries back to their 64 x values (left-first) and pack each proof MSB first; the
 * proofs advance level by level together so their loads overlap. */
static void write_proofs(const pos_table *table, const size_t *indices, unsigned count, uint8_t *proofs,
                         size_t proof_stride) {
    uint32_t positions[PROOF_BATCH][POS_PROOF_XS];
    for (unsigned p = 0; p < count; p++) {
        positions[p][0] = (uint32_t)indices[p];
    }
    for (unsigned table_number = 7, width = 1; table_number >= 2; table_number--, width *= 2) {
        const uint32_t *left = table->left[table_number - 2];
        const uint16_t *delta = table->delta[table_number - 2];
        for (unsigned p = 0; p < count; p++) {
            for (unsigned i = width; i-- > 0;) {
                uint32_t position = positions[p][i];
                positions[p][2 * i] = left[position];
                positions[p][2 * i + 1] = left[position] + delta[position];
            }
        }
    }
    unsigned k = table->k;
    for (unsigned p = 0; p < count; p++) {
        unsigned filled = 0;
        uint64_t accumulator = 0;
        uint8_t *proof = proofs + proof_stride * p;
        for (unsigned i = 0; i < POS_PROOF_XS; i++) {
            accumulator = accumulator << k | table->x_sorted[positions[p][i]];
            filled += k;
            while (filled >= 8) {
                filled -= 8;
                *proof++ = (uint8_t)(accumulator >> filled);
            }
        }
    }
}

static uint32_t challenge_first_k(unsigned k, uint32_t challenge_index) {
    return pos_bswap32(challenge_index) >> (32 - k);
}

int pos_table_find_proof(const pos_table *table, uint32_t challenge_index, uint8_t proof_out[POS_MAX_PROOF_BYTES],
                         int *found_out) {
    *found_out = 0;
    if (!table->generated) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    uint32_t first_k = challenge_first_k(table->k, challenge_index);
    size_t index;
    first_table7_entries(table, &first_k, 1, &index);
    if (index != SIZE_MAX) {
        write_proofs(table, &index, 1, proof_out, 0);
        *found_out = 1;
    }
    return KERNEL_OK;
}

/* proof_hashes of challenges [first_challenge, end_challenge). */
static void proof_hashes_range(const pos_table *table, uint64_t first_challenge, uint64_t end_challenge,
                               uint8_t *flags_out, uint8_t *hashes_out) {
    size_t proof_bytes = 8 * (size_t)table->k;
    for (uint64_t first = first_challenge; first < end_challenge; first += PROOF_BATCH) {
        unsigned count = end_challenge - first < PROOF_BATCH ? (unsigned)(end_challenge - first) : PROOF_BATCH;
        uint32_t first_ks[PROOF_BATCH];
        size_t indices[PROOF_BATCH], found[PROOF_BATCH];
        unsigned num_found = 0;
        for (unsigned i = 0; i < count; i++) {
            first_ks[i] = challenge_first_k(table->k, (uint32_t)(first + i));
        }
        first_table7_entries(table, first_ks, count, indices);
        for (unsigned i = 0; i < count; i++) {
            flags_out[first + i] = indices[i] != SIZE_MAX;
            if (indices[i] != SIZE_MAX) {
                found[num_found++] = indices[i];
            } else {
                memset(hashes_out + POS_HASH_BYTES * (first + i), 0, POS_HASH_BYTES);
            }
        }
        uint8_t proofs[PROOF_BATCH][POS_MAX_PROOF_BYTES];
        write_proofs(table, found, num_found, proofs[0], POS_MAX_PROOF_BYTES);
        for (unsigned i = 0, p = 0; i < count; i++) {
            if (indices[i] != SIZE_MAX) {
                blake3_hash_small(proofs[p++], proof_bytes, hashes_out + POS_HASH_BYTES * (first + i));
            }
        }
    }
}

typedef struct {
    uint64_t num_challenges;
    unsigned threads;
    uint8_t *flags_out, *hashes_out;
} hashes_step;

/* Worker w answers batches [w n / T, (w + 1) n / T) of PROOF_BATCH challenges. */
static void proof_hashes_job(pos_table *view, unsigned worker, void *context) {
    const hashes_step *step = context;
    uint64_t batches = (step->num_challenges + PROOF_BATCH - 1) / PROOF_BATCH;
    uint64_t first = batches * worker / step->threads * PROOF_BATCH;
    uint64_t end = batches * (worker + 1) / step->threads * PROOF_BATCH;
    end = end < step->num_challenges ? end : step->num_challenges;
    if (first < end) {
        proof_hashes_range(view, first, end, step->flags_out, step->hashes_out);
    }
}

int pos_table_proof_hashes_threads(const pos_table *table, uint64_t num_challenges, uint8_t *flags_out,
                                   uint8_t *hashes_out, unsigned threads) {
    if (!table->generated || num_challenges > ((uint64_t)1 << 32) || threads < 1 || threads > POS_MAX_THREADS) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    if (threads == 1) {
        proof_hashes_range(table, 0, num_challenges, flags_out, hashes_out);
        return KERNEL_OK;
    }
    /* the workers only read the table: every one gets the context itself */
    pos_table *views[POS_MAX_THREADS];
    for (unsigned worker = 0; worker < threads; worker++) {
        views[worker] = (pos_table *)table;
    }
    hashes_step step = {.num_challenges = num_challenges, .threads = threads, .flags_out = flags_out,
                        .hashes_out = hashes_out};
    pos_run_workers(views, threads, proof_hashes_job, &step);
    return KERNEL_OK;
}

int pos_table_proof_hashes(const pos_table *table, uint64_t num_challenges, uint8_t *flags_out,
                           uint8_t *hashes_out) {
    return pos_table_proof_hashes_threads(table, num_challenges, flags_out, hashes_out, 1);
}

/* Shim quality: blake3(challenge u32 LE); a proof exists iff U256_le(quality) % 3 != 0, and
 * since 256 = 1 (mod 3) that is the byte sum mod 3. */
static int shim_quality(uint32_t challenge_index, uint8_t quality[POS_HASH_BYTES]) {
    const uint8_t encoded[4] = {(uint8_t)challenge_index, (uint8_t)(challenge_index >> 8),
                                (uint8_t)(challenge_index >> 16), (uint8_t)(challenge_index >> 24)};
    blake3_hash_small(encoded, sizeof encoded, quality);
    unsigned sum = 0;
    for (unsigned i = 0; i < POS_HASH_BYTES; i++) {
        sum += quality[i];
    }
    return sum % 3 != 0;
}

static void shim_proof(const uint8_t seed[POS_SEED_BYTES], const uint8_t quality[POS_HASH_BYTES],
                       uint8_t proof[POS_SHIM_PROOF_BYTES]) {
    memcpy(proof, seed, POS_SEED_BYTES);
    for (unsigned i = 0; i < 4; i++) {
        memcpy(proof + POS_SEED_BYTES + POS_HASH_BYTES * i, quality, POS_HASH_BYTES);
    }
}

int pos_shim_find_proof(const uint8_t seed[POS_SEED_BYTES], uint32_t challenge_index,
                        uint8_t proof_out[POS_SHIM_PROOF_BYTES], int *found_out) {
    uint8_t quality[POS_HASH_BYTES];
    *found_out = shim_quality(challenge_index, quality);
    if (*found_out) {
        shim_proof(seed, quality, proof_out);
    }
    return KERNEL_OK;
}

int pos_shim_proof_hashes(const uint8_t seed[POS_SEED_BYTES], uint64_t num_challenges, uint8_t *flags_out,
                          uint8_t *hashes_out) {
    if (num_challenges > ((uint64_t)1 << 32)) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    for (uint64_t challenge = 0; challenge < num_challenges; challenge++) {
        uint8_t quality[POS_HASH_BYTES], proof[POS_SHIM_PROOF_BYTES];
        uint8_t *hash = hashes_out + POS_HASH_BYTES * challenge;
        flags_out[challenge] = (uint8_t)shim_quality((uint32_t)challenge, quality);
        if (!flags_out[challenge]) {
            memset(hash, 0, POS_HASH_BYTES);
            continue;
        }
        shim_proof(seed, quality, proof);
        blake3_hash_small(proof, sizeof proof, hash);
    }
    return KERNEL_OK;
}
