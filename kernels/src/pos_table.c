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
 *
 * With T threads every step splits into 32 chunks of contiguous ranges: table 1's x batches, each
 * child's bucket pairs, and the buckets to sort. Sorting chunks go to whichever thread is free. Building
 * chunks are claimed by the calling thread from the front (0, 1, ...), written to the buckets as above,
 * and by helper threads from the back, each chunk's new entries kept in order in its own part of a spill
 * buffer; once all chunks are done, the spilled chunks are appended to the buckets in chunk order (the
 * threads splitting the buckets). Every bucket so receives its entries in the same order as with one
 * thread, the tables are byte-identical for every T, and a thread the OS runs late only takes fewer chunks.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "pos_internal.h"

#define F1_BATCH_X 8192u /* 16 * 512 x values: exactly 16 K ChaCha8 blocks */

/* Move `count` entries to their buckets, in order; a full bucket drops the entry. A separate tight
 * loop keeps many of these scattered stores in flight. */
static void scatter_entries(pos_table *table, const pos_entry *entries, size_t count) {
    pos_entry *slots = table->slots;
    uint32_t *fills = table->bucket_fill;
    const size_t ahead = 32;
    for (size_t i = 0; i < count; i++) {
        if (i + ahead < count) {
            /* request the destination line of a later entry for writing while this one is stored */
            uint32_t later = entries[i + ahead].y / POS_PARAM_BC;
            __builtin_prefetch(slots + (size_t)later * POS_SLOT_STRIDE + fills[later], 1, 3);
        }
        const pos_entry *entry = &entries[i];
        uint32_t bucket = entry->y / POS_PARAM_BC, fill = fills[bucket];
        if (fill < POS_MAX_BUCKET_ENTRIES) {
            slots[(size_t)bucket * POS_SLOT_STRIDE + fill] = *entry;
            fills[bucket] = fill + 1;
        }
    }
}

/* Move the staged entries to the buckets (or, in a helper thread's view, to its spill buffer). */
static void flush_staging(pos_table *table) {
    if (table->spill != NULL) {
        memcpy(table->spill + table->spilled, table->staging, table->staged * sizeof *table->staging);
        table->spilled += table->staged;
    } else {
        scatter_entries(table, table->staging, table->staged);
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

/* Table 1: entry (f1(x), x) for every x of batches [first_batch, end_batch), in x order. */
static void compute_table1(pos_table *table, const uint8_t seed[POS_SEED_BYTES], uint32_t first_batch,
                           uint32_t end_batch) {
    unsigned k = table->k;
    uint32_t total = (uint32_t)1 << k;
    for (uint32_t first_x = first_batch * F1_BATCH_X; first_x < total && first_x < end_batch * F1_BATCH_X;
         first_x += F1_BATCH_X) {
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
    flush_staging(table);
}

/* bucket_start from the bucket fills; @return the number of entries. */
static size_t finish_buckets(pos_table *table) {
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

/* Sort the slots of buckets [first_bucket, end_bucket) and write them to table `table_number` in sorted
 * order: y into py, then x (table 1) or metadata (tables 2..6) and parent indices (tables 2..7). */
static void store_sorted(pos_table *table, unsigned table_number, uint32_t first_bucket, uint32_t end_bucket) {
    uint32_t *left = table_number >= 2 ? table->left[table_number - 2] : NULL;
    uint16_t *delta = table_number >= 2 ? table->delta[table_number - 2] : NULL;
    int has_metadata = table_number >= 2 && table_number < 7;
    for (uint32_t bucket = first_bucket; bucket < end_bucket; bucket++) {
        uint32_t start = table->bucket_start[bucket], size = table->bucket_fill[bucket];
        const pos_entry *entries = table->slots + (size_t)bucket * POS_SLOT_STRIDE;
        if (bucket + 1 < end_bucket) {
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

/* Table `table_number` (2..7) from the sorted parent's bucket pairs (b, b + 1), b in [first_pair, end_pair),
 * into the buckets. */
static void generate_child(pos_table *table, unsigned table_number, uint32_t first_pair, uint32_t end_pair) {
    for (uint32_t bucket = first_pair; bucket < end_pair; bucket++) {
        uint32_t left_start = table->bucket_start[bucket], right_start = table->bucket_start[bucket + 1];
        uint32_t right_end = table->bucket_start[bucket + 2];
        if (left_start == right_start || right_start == right_end) {
            continue;
        }
        size_t count = pos_find_pair_matches(table, bucket, left_start, right_start, right_end);
        compute_matches(table, table_number, count);
    }
    flush_staging(table);
}


/* ---- threads ---- */

#define POS_CHUNKS 32 /* parts of table 1's x batches, of a child's bucket pairs and of the buckets to sort */

/* One helper thread: its view of the context (the shared tables, its own scratch). */
typedef struct {
    pos_table view;
    void *memory;
} pos_worker;

struct pos_workers {
    unsigned threads;
    pos_worker helpers[POS_MAX_THREADS - 1]; /* threads - 1 of them */
    /* Chunk c of a table 1 or child step that a helper builds goes to spill + chunk_offset[c] (chunk_count[c]
     * entries). The calling thread claims chunks from the front, helpers from the back, under `lock`: a
     * thread that runs late simply takes fewer chunks. */
    pos_entry *spill;
    size_t chunk_offset[POS_CHUNKS + 1];
    size_t chunk_count[POS_CHUNKS];
    uint32_t front, back, next_sort;
    pthread_mutex_t lock;
};

/* Start of part `index` of `total` items split into `parts` contiguous parts. */
static uint32_t split_point(uint32_t total, unsigned parts, unsigned index) {
    return (uint32_t)((uint64_t)total * index / parts);
}

static uint32_t num_f1_batches(unsigned k) { return (((uint32_t)1 << k) + F1_BATCH_X - 1) / F1_BATCH_X; }

/* Most entries chunk `chunk` adds to one table: its table-1 x values, or 512 per bucket pair. */
static size_t chunk_capacity(const pos_table *table, unsigned chunk) {
    uint32_t batches = num_f1_batches(table->k), pairs = table->num_buckets - 1;
    size_t xs = (size_t)(split_point(batches, POS_CHUNKS, chunk + 1) - split_point(batches, POS_CHUNKS, chunk)) *
                F1_BATCH_X;
    size_t matches = (size_t)(split_point(pairs, POS_CHUNKS, chunk + 1) - split_point(pairs, POS_CHUNKS, chunk)) *
                     POS_MAX_PAIR_MATCHES;
    return xs > matches ? xs : matches;
}

/* Carve a helper's scratch from `memory` (or only measure when it is NULL). */
static size_t layout_worker(pos_table *view, const pos_table *table, uint8_t *memory) {
    size_t offset = 0;
#define CARVE(field, count)                                                                 \
    do {                                                                                    \
        if (memory != NULL) {                                                               \
            view->field = (void *)(memory + offset);                                        \
        }                                                                                   \
        offset += ((count) * sizeof *view->field + 63) / 64 * 64;                           \
    } while (0)
    CARVE(staging, (size_t)POS_STAGING_ENTRIES);
    CARVE(keystream, (size_t)64 * 16 * table->k + 64);
    CARVE(rmap, (size_t)POS_PARAM_BC);
    CARVE(hit_left, (size_t)POS_HIT_CAPACITY);
    CARVE(hit_target, (size_t)POS_HIT_CAPACITY);
    CARVE(hit_rotations, (size_t)POS_MAX_BUCKET_ENTRIES);
    CARVE(match_left, (size_t)POS_MAX_PAIR_MATCHES);
    CARVE(match_right, (size_t)POS_MAX_PAIR_MATCHES);
#undef CARVE
    return offset;
}

void pos_free_workers(pos_table *table) {
    struct pos_workers *workers = table->workers;
    if (workers != NULL) {
        for (unsigned helper = 0; helper + 1 < workers->threads; helper++) {
            free(workers->helpers[helper].memory);
        }
        free(workers->spill);
        pthread_mutex_destroy(&workers->lock);
        free(workers);
        table->workers = NULL;
    }
}

/* The helpers' scratch and the chunks' spill buffer for `threads` threads, allocated when the count changes. */
static int prepare_workers(pos_table *table, unsigned threads) {
    if (table->workers != NULL && table->workers->threads == threads) {
        return KERNEL_OK;
    }
    pos_free_workers(table);
    struct pos_workers *workers = calloc(1, sizeof *workers);
    if (workers == NULL) {
        return POS_ERR_NO_MEMORY;
    }
    if (pthread_mutex_init(&workers->lock, NULL) != 0) {
        free(workers);
        return POS_ERR_NO_MEMORY;
    }
    table->workers = workers;
    workers->threads = 1; /* helpers allocated so far + 1, for pos_free_workers */
    for (unsigned chunk = 0; chunk < POS_CHUNKS; chunk++) {
        workers->chunk_offset[chunk + 1] = workers->chunk_offset[chunk] + chunk_capacity(table, chunk);
    }
    workers->spill = malloc(workers->chunk_offset[POS_CHUNKS] * sizeof *workers->spill);
    if (workers->spill == NULL) {
        pos_free_workers(table);
        return POS_ERR_NO_MEMORY;
    }
    for (unsigned worker = 1; worker < threads; worker++) {
        pos_worker *helper = &workers->helpers[worker - 1];
        helper->memory = aligned_alloc(64, layout_worker(&helper->view, table, NULL));
        if (helper->memory == NULL) {
            pos_free_workers(table);
            return POS_ERR_NO_MEMORY;
        }
        workers->threads = worker + 1;
        layout_worker(&helper->view, table, helper->memory);
        memset(helper->view.rmap, 0, POS_PARAM_BC * sizeof *helper->view.rmap);
    }
    return KERNEL_OK;
}

/* views[0] = the context; views[w] = helper w's view of its current state. */
static void point_views(pos_table *table, unsigned threads, pos_table **views) {
    views[0] = table;
    for (unsigned worker = 1; worker < threads; worker++) {
        pos_table *view = &table->workers->helpers[worker - 1].view, own = *view;
        *view = *table;
        view->staging = own.staging;
        view->keystream = own.keystream;
        view->rmap = own.rmap;
        view->hit_left = own.hit_left;
        view->hit_target = own.hit_target;
        view->hit_rotations = own.hit_rotations;
        view->match_left = own.match_left;
        view->match_right = own.match_right;
        view->staged = 0;
        view->workers = NULL;
        views[worker] = view;
    }
}

/* Claim the next chunk: the calling thread (worker 0) from the front, helpers from the back.
 * @return 1 and the chunk in *chunk_out, or 0 when none is left. */
static int claim_chunk(struct pos_workers *workers, unsigned worker, uint32_t *chunk_out) {
    pthread_mutex_lock(&workers->lock);
    int claimed = workers->front < workers->back;
    if (claimed) {
        *chunk_out = worker == 0 ? workers->front++ : --workers->back;
    }
    pthread_mutex_unlock(&workers->lock);
    return claimed;
}

/* Claim the next chunk of buckets to sort, in any order. */
static int claim_sort_chunk(struct pos_workers *workers, uint32_t *chunk_out) {
    pthread_mutex_lock(&workers->lock);
    int claimed = workers->next_sort < POS_CHUNKS;
    if (claimed) {
        *chunk_out = workers->next_sort++;
    }
    pthread_mutex_unlock(&workers->lock);
    return claimed;
}

typedef struct {
    const uint8_t *seed;
    unsigned threads, table_number;
    struct pos_workers *workers;
    pos_table *table;
    pos_table *const *views;
} build_step;

/* Build chunk `chunk` of the step (table 1 or a child) with `view`. */
static void build_chunk(pos_table *view, const build_step *step, uint32_t chunk) {
    if (step->table_number == 1) {
        uint32_t batches = num_f1_batches(view->k);
        compute_table1(view, step->seed, split_point(batches, POS_CHUNKS, chunk),
                       split_point(batches, POS_CHUNKS, chunk + 1));
    } else {
        uint32_t pairs = view->num_buckets - 1;
        generate_child(view, step->table_number, split_point(pairs, POS_CHUNKS, chunk),
                       split_point(pairs, POS_CHUNKS, chunk + 1));
    }
}

/* Table 1 or a child: the calling thread builds chunks 0, 1, ... straight into the buckets; helpers build
 * chunks from the last one down, each into its own part of the spill buffer. */
static void build_job(pos_table *view, unsigned worker, void *context) {
    const build_step *step = context;
    struct pos_workers *workers = step->workers;
    uint32_t chunk;
    while (claim_chunk(workers, worker, &chunk)) {
        if (worker > 0) {
            view->spill = workers->spill + workers->chunk_offset[chunk];
            view->spilled = 0;
        }
        build_chunk(view, step, chunk);
        if (worker > 0) {
            workers->chunk_count[chunk] = view->spilled;
        }
    }
}

static void sort_job(pos_table *view, unsigned worker, void *context) {
    (void)worker;
    const build_step *step = context;
    uint32_t chunk;
    while (claim_sort_chunk(step->workers, &chunk)) {
        store_sorted(view, step->table_number, split_point(view->num_buckets, POS_CHUNKS, chunk),
                     split_point(view->num_buckets, POS_CHUNKS, chunk + 1));
    }
}

/* scatter_entries of the entries whose bucket is in [first_bucket, end_bucket), in order. */
static void scatter_bucket_range(pos_table *table, const pos_entry *entries, size_t count, uint32_t first_bucket,
                                 uint32_t end_bucket) {
    pos_entry *slots = table->slots;
    uint32_t *fills = table->bucket_fill;
    for (size_t i = 0; i < count; i++) {
        uint32_t bucket = entries[i].y / POS_PARAM_BC;
        if (bucket < first_bucket || bucket >= end_bucket) {
            continue;
        }
        uint32_t fill = fills[bucket];
        if (fill < POS_MAX_BUCKET_ENTRIES) {
            slots[(size_t)bucket * POS_SLOT_STRIDE + fill] = entries[i];
            fills[bucket] = fill + 1;
        }
    }
}

/* Worker w appends the spilled chunks' entries of buckets [w B / T, (w + 1) B / T), in chunk order. */
static void gather_job(pos_table *view, unsigned worker, void *context) {
    (void)view;
    const build_step *step = context;
    pos_table *table = step->table;
    const struct pos_workers *workers = step->workers;
    uint32_t first_bucket = split_point(table->num_buckets, step->threads, worker);
    uint32_t end_bucket = split_point(table->num_buckets, step->threads, worker + 1);
    for (uint32_t chunk = workers->back; chunk < POS_CHUNKS; chunk++) {
        scatter_bucket_range(table, workers->spill + workers->chunk_offset[chunk], workers->chunk_count[chunk],
                             first_bucket, end_bucket);
    }
}

/* One table 1 or child step on every thread: the chunks, then the spilled ones appended in chunk order
 * after those the calling thread wrote to the buckets. */
static void run_build_step(build_step *step) {
    step->workers->front = 0;
    step->workers->back = POS_CHUNKS;
    pos_run_workers(step->views, step->threads, build_job, step);
    if (step->workers->back < POS_CHUNKS) {
        pos_run_workers(step->views, step->threads, gather_job, step);
    }
}

typedef struct {
    pos_table *view;
    unsigned worker;
    pos_job job;
    void *context;
} pos_task;

static void *run_task(void *argument) {
    pos_task *task = argument;
    task->job(task->view, task->worker, task->context);
    return NULL;
}

void pos_run_workers(pos_table *const *views, unsigned threads, pos_job job, void *context) {
    pthread_t ids[POS_MAX_THREADS];
    pos_task tasks[POS_MAX_THREADS];
    int started[POS_MAX_THREADS] = {0};
    for (unsigned worker = 1; worker < threads; worker++) {
        tasks[worker] = (pos_task){.view = views[worker], .worker = worker, .job = job, .context = context};
        started[worker] = pthread_create(&ids[worker], NULL, run_task, &tasks[worker]) == 0;
    }
    job(views[0], 0, context);
    for (unsigned worker = 1; worker < threads; worker++) {
        if (started[worker]) {
            pthread_join(ids[worker], NULL);
        } else {
            run_task(&tasks[worker]);
        }
    }
}

/* The one-thread build: every step straight into the buckets, in order. */
static void build_table1_alone(pos_table *table, const uint8_t seed[POS_SEED_BYTES]) {
    compute_table1(table, seed, 0, num_f1_batches(table->k));
}

int pos_build_tables(pos_table *table, const uint8_t seed[POS_SEED_BYTES], unsigned threads) {
    table->generated = 0;
    memset(table->sizes, 0, sizeof table->sizes);
    if (threads < 1 || threads > POS_MAX_THREADS) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    int status = threads > 1 ? prepare_workers(table, threads) : KERNEL_OK;
    if (status != KERNEL_OK) {
        return status;
    }
    pos_table *views[POS_MAX_THREADS];
    if (threads > 1) {
        point_views(table, threads, views);
    }
    build_step step = {.seed = seed, .threads = threads, .table_number = 1, .workers = table->workers,
                       .table = table, .views = views};
    memset(table->bucket_fill, 0, table->num_buckets * sizeof *table->bucket_fill);
    table->staged = 0;
    if (threads > 1) {
        run_build_step(&step);
    } else {
        build_table1_alone(table, seed);
    }
    for (unsigned table_number = 1;; table_number++) {
        size_t size = finish_buckets(table);
        if (size > table->capacity) {
            return POS_ERR_TABLE_CAPACITY;
        }
        table->sizes[table_number] = size;
        step.table_number = table_number;
        if (threads > 1) {
            step.workers->next_sort = 0;
            pos_run_workers(views, threads, sort_job, &step);
        } else {
            store_sorted(table, table_number, 0, table->num_buckets);
        }
        if (table_number == 7) {
            break;
        }
        memset(table->bucket_fill, 0, table->num_buckets * sizeof *table->bucket_fill);
        step.table_number = table_number + 1;
        if (threads > 1) {
            run_build_step(&step);
        } else {
            generate_child(table, table_number + 1, 0, table->num_buckets - 1);
        }
    }
    table->generated = 1;
    return KERNEL_OK;
}
