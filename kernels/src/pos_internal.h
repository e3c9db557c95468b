/* Internals shared by pos.c (contexts, queries, shim), pos_table.c (table build), pos_match.c (bucket
 * pair matching) and pos_verify.c (f-functions and verification). Not part of the public API. */
#ifndef AUTONOMYS_POS_INTERNAL_H
#define AUTONOMYS_POS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../include/pos.h"
#include "blake3.h"
#include "chacha8.h"

__extension__ typedef unsigned __int128 pos_u128;

#define POS_PARAM_B 119u
#define POS_PARAM_C 127u
#define POS_PARAM_M 64u
#define POS_HIT_CAPACITY (POS_MAX_BUCKET_ENTRIES * POS_PARAM_M + 16)
#define POS_STAGING_ENTRIES 1024
#define POS_SLOT_STRIDE (POS_MAX_BUCKET_ENTRIES + 5) /* entries between buckets: avoids 4 KiB strides */

/* Metadata bits of table t (1..7) are K * pos_metadata_factor[t]. */
static const unsigned pos_metadata_factor[8] = {0, 1, 2, 4, 4, 3, 2, 0};

/* One entry of a table being built. Table 1: y and left = x. */
typedef struct {
    uint32_t y;
    uint32_t left;     /* parent index of the left entry */
    uint64_t meta_lo;  /* metadata bits 0..63 */
    uint32_t meta_hi;  /* metadata bits 64..95 */
    uint16_t delta;    /* right parent index - left parent index (< 1024: adjacent buckets of <= 512) */
    uint16_t unused;
} pos_entry;

struct pos_table {
    unsigned k;
    int backend;        /* resolved POS_BACKEND_*, never AUTO */
    unsigned lanes;     /* 1, 8 or 16 lanes for ChaCha8 and BLAKE3 */
    uint32_t num_buckets;
    size_t capacity;    /* entries per table 2..7 */
    size_t sizes[8];    /* entries of tables 1..7 after the last generate */
    int generated;
    /* Kept for proofs: table 1's x in sorted order; tables 2..7 as (left, right - left) parent indices. */
    uint32_t *x_sorted;
    uint32_t *left[6];
    uint16_t *delta[6];
    /* The parent table in sorted order; after a generate, py holds table 7's y values. */
    uint32_t *py;
    uint64_t *pmeta_lo;
    uint32_t *pmeta_hi;
    /* The table being built: bucket b's entries in position order from slots[POS_SLOT_STRIDE b], bucket_fill[b]
     * of them (at most 512). */
    pos_entry *slots;
    uint32_t *bucket_fill;
    pos_entry *staging;     /* POS_STAGING_ENTRIES new entries on their way to the buckets */
    size_t staged;
    /* A helper thread's view of the context collects the new entries of the chunk it builds here, in order,
     * instead of in the buckets (NULL in the context itself); they join the buckets in chunk order after. */
    pos_entry *spill;
    size_t spilled;
    struct pos_workers *workers; /* helper threads' scratch, allocated by the first threaded generate */
    /* Sorting and matching scratch. */
    uint32_t *bucket_start; /* num_buckets + 1 offsets of the parent's buckets */
    uint8_t *keystream;     /* one f1 batch of ChaCha8 blocks plus padding */
    uint16_t *rmap;         /* POS_PARAM_BC: 1 + offset in the right bucket of the first entry with that r */
    uint32_t *group_base;   /* POS_PARAM_B + POS_PARAM_M + 15: (g mod B) * C, for AVX-512 targets */
    uint32_t *hit_left;     /* POS_HIT_CAPACITY: SIMD matching's hits of one bucket pair */
    uint32_t *hit_target;
    uint32_t (*hit_rotations)[3]; /* POS_MAX_BUCKET_ENTRIES: (first hit, hits before the wrap, hits) to reorder */
    uint32_t *match_left;   /* POS_MAX_PAIR_MATCHES */
    uint32_t *match_right;
    void *memory;
    size_t memory_bytes;
};

static inline unsigned pos_y_bits(unsigned k) { return k + POS_PARAM_EXT; }
static inline unsigned pos_metadata_bits(unsigned k, unsigned table_number) {
    return k * pos_metadata_factor[table_number];
}
static inline uint32_t pos_bswap32(uint32_t word) { return __builtin_bswap32(word); }

/* f1 from a keystream whose byte 0 is the byte holding bit K * x_base: x = x_base + index. */
static inline uint32_t pos_f1_from_stream(unsigned k, const uint8_t *stream, uint64_t bit_offset, uint32_t x) {
    const uint8_t *bytes = stream + (bit_offset >> 3);
    uint64_t word = (uint64_t)bytes[0] << 56 | (uint64_t)bytes[1] << 48 | (uint64_t)bytes[2] << 40 |
                    (uint64_t)bytes[3] << 32 | (uint64_t)bytes[4] << 24 | (uint64_t)bytes[5] << 16 |
                    (uint64_t)bytes[6] << 8 | (uint64_t)bytes[7];
    uint32_t partial_y = (uint32_t)((word << (bit_offset & 7)) >> (64 - k));
    return partial_y << POS_PARAM_EXT | x >> (k - POS_PARAM_EXT);
}

/* The fn input y || left || right (metadata of `metadata_bits` <= 96 bits each, y of K + 6 bits) as
 * 8 BLAKE3 message words: the little-endian words of the MSB-first byte string, built as a 256-bit
 * number in two halves. @return the input length in bytes (at most 28). */
static inline uint32_t pos_fn_message(unsigned k, unsigned metadata_bits, uint32_t y, pos_u128 left, pos_u128 right,
                                      uint32_t words[8]) {
    unsigned y_bits = pos_y_bits(k), total = y_bits + 2 * metadata_bits;
    pos_u128 high = (pos_u128)y << (128 - y_bits) | left << (128 - y_bits - metadata_bits), low = 0;
    if (total <= 128) {
        high |= right << (128 - total);
    } else {
        high |= right >> (total - 128);
        low = right << (256 - total);
    }
    const uint64_t parts[4] = {(uint64_t)(high >> 64), (uint64_t)high, (uint64_t)(low >> 64), (uint64_t)low};
    for (unsigned i = 0; i < 4; i++) {
        uint64_t swapped = __builtin_bswap64(parts[i]);
        words[2 * i] = (uint32_t)swapped;
        words[2 * i + 1] = (uint32_t)(swapped >> 32);
    }
    return (total + 7) / 8;
}

/* y and metadata of table t from the first 4 hash words (little-endian as BLAKE3 emits them). */
static inline uint32_t pos_fn_output(unsigned k, unsigned table_number, const uint32_t hash_words[4], pos_u128 left,
                                     pos_u128 right, pos_u128 *metadata_out) {
    unsigned y_bits = pos_y_bits(k);
    uint32_t first = pos_bswap32(hash_words[0]);
    unsigned parent_bits = pos_metadata_bits(k, table_number - 1), bits = pos_metadata_bits(k, table_number);
    if (table_number <= 3) {
        *metadata_out = left << parent_bits | right;
    } else if (bits > 0) {
        pos_u128 prefix = (pos_u128)first << 96 | (pos_u128)pos_bswap32(hash_words[1]) << 64 |
                          (pos_u128)pos_bswap32(hash_words[2]) << 32 | pos_bswap32(hash_words[3]);
        *metadata_out = (prefix << y_bits) >> (128 - bits);
    } else {
        *metadata_out = 0;
    }
    return first >> (32 - y_bits);
}

/* 1 when `right_r` is one of the 64 targets of (parity, left_r). */
int pos_targets_contain(unsigned parity, uint32_t left_r, uint32_t right_r);

/* Matches of bucket pair (bucket, bucket + 1) into match_left/match_right (pos_match.c). */
size_t pos_find_pair_matches(pos_table *table, uint32_t bucket, uint32_t left_start, uint32_t right_start,
                             uint32_t right_end);

/* Table build (pos_table.c) on `threads` threads (1 = the calling thread only); the tables are the
 * same for every thread count. */
int pos_build_tables(pos_table *table, const uint8_t seed[POS_SEED_BYTES], unsigned threads);

/* Free the helper threads' scratch of a context (pos_table.c). */
void pos_free_workers(pos_table *table);

/* Run job(view, worker, context) for worker = 0..threads-1 at once: worker 0 on the calling thread with
 * `views[0]`, the others on new threads (run in turn here when a thread cannot be started). */
typedef void (*pos_job)(pos_table *view, unsigned worker, void *context);
void pos_run_workers(pos_table *const *views, unsigned threads, pos_job job, void *context);

/* Lanes of a resolved backend. */
unsigned pos_backend_lanes(int backend);

#endif
