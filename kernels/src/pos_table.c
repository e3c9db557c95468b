/* Chia table build into a context's preallocated arrays.
 *
 * Table 1: f1 for every x from the ChaCha8 keystream, in batches of 8192 x (16 K blocks).
 * Tables 2..7: for every adjacent bucket pair (b, b + 1) of the parent, each left entry in bucket
 * order meets its 64 targets in ascending r, and each target every right entry with that r in bucket
 * order; the i-th match of the whole table is its position. fn runs 16 matches at a time.
 * Each new entry goes straight to the next slot of its bucket y / BC, so a bucket holds its entries
 * in position order (beyond 512 they are dropped). Every bucket is then sorted by r = y mod BC with a
 * stable two-digit radix sort, giving (y, position) order. Parent indices stored for proofs are
 * sorted indices, whose order equals position order.
 */
#include <string.h>

#include "errors.h"
#include "pos_internal.h"

#define F1_BATCH_X 8192u /* 16 * 512 x values: exactly 16 K ChaCha8 blocks */

/* Move the staged entries to their buckets, in order; a full bucket drops the entry. A separate
 * tight loop keeps many of these scattered stores in flight. */
static void flush_staging(pos_table *table) {
    pos_entry *slots = table->slots;
    uint32_t *fills = table->bucket_fill;
    size_t staged = table->staged;
    const size_t ahead = 32;
    for (size_t i = 0; i < staged; i++) {
        if (i + ahead < staged) {
            /* request the destination line of a later entry for writing while this one is stored */
            uint32_t later = table->staging[i + ahead].y / POS_PARAM_BC;
            __builtin_prefetch(slots + (size_t)later * POS_SLOT_STRIDE + fills[later], 1, 3);
        }
        const pos_entry *entry = &table->staging[i];
        uint32_t bucket = entry->y / POS_PARAM_BC, fill = fills[bucket];
        if (fill < POS_MAX_BUCKET_ENTRIES) {
            slots[(size_t)bucket * POS_SLOT_STRIDE + fill] = *entry;
            fills[bucket] = fill + 1;
        }
    }
    table->staged = 0;
}

/* Append `entry` to its bucket (through the staging buffer). */
static inline void add_entry(pos_table *table, const pos_entry *entry) {
    if (table->staged == POS_STAGING_ENTRIES) {
        flush_staging(table);
    }
    table->staging[table->staged++] = *entry;
}

/* Table 1: entry (f1(x), x) for every x, in x order. */
static void compute_table1(pos_table *table, const uint8_t seed[POS_SEED_BYTES]) {
    unsigned k = table->k;
    uint32_t total = (uint32_t)1 << k;
    for (uint32_t first_x = 0; first_x < total; first_x += F1_BATCH_X) {
        uint32_t count = total - first_x < F1_BATCH_X ? total - first_x : F1_BATCH_X;
        /* count * k bits: count is a multiple of 512, so a whole number of blocks */
        size_t blocks = (size_t)count * k / 512;
        uint32_t first_block = (uint32_t)((uint64_t)first_x * k / 512);
        chacha8_keystream(seed, first_block, blocks, table->keystream, table->lanes);
        memset(table->keystream + 64 * blocks, 0, 8);
        for (uint32_t i = 0; i < count; i++) {
            pos_entry entry = {.y = pos_f1_from_stream(k, table->keystream, (uint64_t)i * k, first_x + i),
                               .left = first_x + i};
            add_entry(table, &entry);
        }
    }
}

/* bucket_start from the bucket fills; @return the number of entries. */
static size_t finish_buckets(pos_table *table) {
    flush_staging(table);
    uint32_t running = 0;
    for (uint32_t bucket = 0; bucket < table->num_buckets; bucket++) {
        table->bucket_start[bucket] = running;
        running += table->bucket_fill[bucket];
    }
    table->bucket_start[table->num_buckets] = running;
    return running;
}

/* order = the indices of entries[0..size) sorted by y (all in one bucket), ties in index order:
 * stable radix sort on r = y - base, low 7 bits then high 7 bits. */
static void sort_bucket(const pos_entry *entries, uint32_t size, uint32_t base, uint16_t *order) {
    uint16_t low_count[128] = {0}, high_count[128] = {0}, by_low[POS_MAX_BUCKET_ENTRIES];
    for (uint32_t i = 0; i < size; i++) {
        uint32_t r = entries[i].y - base;
        low_count[r & 127]++;
        high_count[r >> 7]++;
    }
    uint16_t low_running = 0, high_running = 0;
    for (unsigned digit = 0; digit < 128; digit++) {
        uint16_t low = low_count[digit], high = high_count[digit];
        low_count[digit] = low_running;
        high_count[digit] = high_running;
        low_running = (uint16_t)(low_running + low);
        high_running = (uint16_t)(high_running + high);
    }
    for (uint32_t i = 0; i < size; i++) {
        by_low[low_count[(entries[i].y - base) & 127]++] = (uint16_t)i;
    }
    for (uint32_t i = 0; i < size; i++) {
        uint16_t index = by_low[i];
        order[high_count[(entries[index].y - base) >> 7]++] = index;
    }
}

/* Sort every bucket's slots and write table `table_number` in sorted order: y into py,
 * then x (table 1) or metadata (tables 2..6) and parent indices (tables 2..7). */
static void store_sorted(pos_table *table, unsigned table_number) {
    uint32_t *left = table_number >= 2 ? table->left[table_number - 2] : NULL;
    uint16_t *delta = table_number >= 2 ? table->delta[table_number - 2] : NULL;
    int has_metadata = table_number >= 2 && table_number < 7;
    for (uint32_t bucket = 0; bucket < table->num_buckets; bucket++) {
        uint32_t start = table->bucket_start[bucket], size = table->bucket_fill[bucket];
        const pos_entry *entries = table->slots + (size_t)bucket * POS_SLOT_STRIDE;
        if (bucket + 1 < table->num_buckets) {
            /* the next bucket's slots are far away: fetch them while this one is sorted */
            const char *next = (const char *)(entries + POS_SLOT_STRIDE);
            for (size_t offset = 0; offset < table->bucket_fill[bucket + 1] * sizeof *entries; offset += 64) {
                __builtin_prefetch(next + offset, 0, 3);
            }
        }
        uint16_t order[POS_MAX_BUCKET_ENTRIES];
        sort_bucket(entries, size, bucket * POS_PARAM_BC, order);
        for (uint32_t p = 0; p < size; p++) {
            const pos_entry *entry = &entries[order[p]];
            table->py[start + p] = entry->y;
            if (table_number == 1) {
                table->x_sorted[start + p] = entry->left;
                continue;
            }
            if (has_metadata) {
                table->pmeta_lo[start + p] = entry->meta_lo;
                table->pmeta_hi[start + p] = entry->meta_hi;
            }
            left[start + p] = entry->left;
            delta[start + p] = entry->delta;
        }
    }
}

/* Metadata of parent entry `index` (table 1: its x). */
static inline pos_u128 parent_metadata(const pos_table *table, unsigned parent_number, uint32_t index) {
    if (parent_number == 1) {
        return table->x_sorted[index];
    }
    return (pos_u128)table->pmeta_hi[index] << 64 | table->pmeta_lo[index];
}

/* fn of the `count` matches in match_left/match_right, appended to the child's buckets. */
static void compute_matches(pos_table *table, unsigned table_number, size_t count) {
    unsigned k = table->k, parent_bits = pos_metadata_bits(k, table_number - 1);
    uint32_t message[8][BLAKE3_GROUP], hash[4][BLAKE3_GROUP];
    memset(message, 0, sizeof message);
    pos_u128 lefts[BLAKE3_GROUP], rights[BLAKE3_GROUP];
    for (size_t group = 0; group < count; group += BLAKE3_GROUP) {
        size_t lanes = count - group < BLAKE3_GROUP ? count - group : BLAKE3_GROUP;
        const uint32_t *match_left = table->match_left + group, *match_right = table->match_right + group;
        uint32_t length = 0;
        for (size_t lane = 0; lane < lanes; lane++) {
            lefts[lane] = parent_metadata(table, table_number - 1, match_left[lane]);
            rights[lane] = parent_metadata(table, table_number - 1, match_right[lane]);
            uint32_t words[8];
            length = pos_fn_message(k, parent_bits, table->py[match_left[lane]], lefts[lane], rights[lane], words);
            for (unsigned w = 0; w < 8; w++) {
                message[w][lane] = words[w];
            }
        }
        blake3_one_block_group((const uint32_t(*)[BLAKE3_GROUP])message, length, 4, hash, table->lanes);
        if (table->staged + BLAKE3_GROUP > POS_STAGING_ENTRIES) {
            flush_staging(table);
        }
        pos_entry *staging = table->staging + table->staged;
        for (size_t lane = 0; lane < lanes; lane++) {
            const uint32_t words[4] = {hash[0][lane], hash[1][lane], hash[2][lane], hash[3][lane]};
            pos_u128 metadata;
            staging[lane].y = pos_fn_output(k, table_number, words, lefts[lane], rights[lane], &metadata);
            staging[lane].left = match_left[lane];
            staging[lane].meta_lo = (uint64_t)metadata;
            staging[lane].meta_hi = (uint32_t)(metadata >> 64);
            staging[lane].delta = (uint16_t)(match_right[lane] - match_left[lane]);
        }
        table->staged += lanes;
    }
}

/* Table `table_number` (2..7) from the sorted parent, into the buckets. */
static void generate_child(pos_table *table, unsigned table_number) {
    memset(table->bucket_fill, 0, table->num_buckets * sizeof *table->bucket_fill);
    for (uint32_t bucket = 0; bucket + 1 < table->num_buckets; bucket++) {
        uint32_t left_start = table->bucket_start[bucket], right_start = table->bucket_start[bucket + 1];
        uint32_t right_end = table->bucket_start[bucket + 2];
        if (left_start == right_start || right_start == right_end) {
            continue;
        }
        size_t count = pos_find_pair_matches(table, bucket, left_start, right_start, right_end);
        compute_matches(table, table_number, count);
    }
}

int pos_build_tables(pos_table *table, const uint8_t seed[POS_SEED_BYTES]) {
    table->generated = 0;
    memset(table->sizes, 0, sizeof table->sizes);
    memset(table->bucket_fill, 0, table->num_buckets * sizeof *table->bucket_fill);
    table->staged = 0;
    compute_table1(table, seed);
    for (unsigned table_number = 1;; table_number++) {
        size_t size = finish_buckets(table);
        if (size > table->capacity) {
            return POS_ERR_TABLE_CAPACITY;
        }
        table->sizes[table_number] = size;
        store_sorted(table, table_number);
        if (table_number == 7) {
            break;
        }
        generate_child(table, table_number + 1);
    }
    table->generated = 1;
    return KERNEL_OK;
}
