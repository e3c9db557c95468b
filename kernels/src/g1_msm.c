/* G1 multi-scalar multiplication: Pippenger's bucket method, as blst `blst_p1s_mult_pippenger` and
 * arkworks `VariableBaseMSM::msm_bigint_wnaf` compute it.
 *
 * Each scalar is recoded into signed c-bit window digits d in [-2^(c-1), 2^(c-1)], so a window needs
 * 2^(c-1) buckets (bucket |d| - 1 gathers +-P). Per window every point goes into its bucket by an
 * affine addition; additions are queued in batches of distinct buckets and share one field inversion
 * (Montgomery's trick: 6 multiplications an addition instead of 10-11 in projective coordinates),
 * handling P + P (doubling), P + (-P) (the bucket empties) and an empty bucket (a copy). A point whose
 * bucket already waits in the current batch goes into that bucket's XYZZ overflow sum instead of a
 * conflict queue (rare for random scalars, and it keeps equal scalars cheap). Buckets are then summed
 * as sum_k k * B_k by running sums in XYZZ, and windows combined by c doublings each (Horner).
 * Windows are processed in groups of about GROUP_BUCKETS buckets, so that small windows still fill
 * large batches and large ones stay in cache; with too few buckets for a useful batch (tiny MSMs) the
 * points go straight into XYZZ buckets. With threads > 1 the groups are dealt out to pthreads. From
 * G1_ENDOMORPHISM_MIN_POINTS points the scalars are first split by the GLV endomorphism (g1_glv.c). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "g1_field.h"
#include "errors.h"

static const uint64_t GROUP_ORDER[4] = {0xffffffff00000001u, 0x53bda402fffe5bfeu, 0x3339d80809a1d805u,
                                        0x73eda753299d7d48u};

/* Below this many queued additions a shared inversion (~570 multiplications) costs more than it saves. */
#define BATCH_MIN 64
#define BATCH_MAX 2048
/* Buckets of one group of windows: several small windows share a batch; a few large ones stay in cache. */
#define GROUP_BUCKETS 4096

enum bucket_status { BUCKET_EMPTY = 0, BUCKET_FULL = 1, BUCKET_BUSY = 2 };
enum addition_kind { ADDITION_ADD, ADDITION_DOUBLE, ADDITION_CANCEL };

typedef struct pending_addition {
    uint32_t bucket;
    uint32_t point;
    uint8_t negate;
    uint8_t kind;
} pending_addition;

/* The working memory of one thread: the buckets of a group of windows and the current batch. */
typedef struct window_state {
    size_t bucket_count; /* per window */
    size_t total_buckets, batch_size, pending_count;
    int batched;
    g1_affine *buckets;
    g1_xyzz *overflow;
    uint8_t *status;
    pending_addition *pending;
    g1_fp *denominators, *prefix;
} window_state;

/* The job shared by all threads. */
typedef struct msm_job {
    const g1_affine *bases;
    const int32_t *digits; /* digits[w * count + i] */
    size_t count;
    unsigned window, window_count, thread_count;
    unsigned group_count, group_size; /* windows are processed in groups sharing one batch */
    g1_xyzz *window_sums;
} msm_job;

typedef struct worker {
    msm_job *job;
    unsigned index;
    int status;
} worker;

static unsigned choose_window(size_t count) {
    unsigned log2 = 0;
    while (((size_t)1 << (log2 + 1)) <= count) {
        log2++;
    }
    unsigned window = log2 > 4 ? log2 - 2 : 3; /* measured best: 2^7 -> 5, 2^10 -> 8, 2^15 -> 13 */
    return window > 16 ? 16 : window;
}

/* Big-endian scalars to little-endian limbs; -1 at the first scalar not below r. */
static int load_scalars(const uint8_t *scalars, size_t count, uint64_t (*limbs)[4], size_t *bad_index) {
    for (size_t i = 0; i < count; i++) {
        const uint8_t *bytes = scalars + i * G1_SCALAR_BYTES;
        for (int limb = 0; limb < 4; limb++) {
            uint64_t value = 0;
            for (int k = 0; k < 8; k++) {
                value = value << 8 | bytes[8 * (3 - limb) + k];
            }
            limbs[i][limb] = value;
        }
        int below = 0;
        for (int limb = 3; limb >= 0; limb--) {
            if (limbs[i][limb] != GROUP_ORDER[limb]) {
                below = limbs[i][limb] < GROUP_ORDER[limb];
                break;
            }
        }
        if (!below) {
            *bad_index = i;
            return -1;
        }
    }
    return 0;
}

static uint64_t window_bits(const uint64_t limbs[4], unsigned offset, unsigned width) {
    if (offset >= 256) {
        return 0;
    }
    unsigned word = offset / 64, shift = offset % 64;
    uint64_t value = limbs[word] >> shift;
    if (shift + width > 64 && word + 1 < 4) {
        value |= limbs[word + 1] << (64 - shift);
    }
    return value & (((uint64_t)1 << width) - 1);
}

/* Signed digits: bits + carry above 2^(c-1) become bits + carry - 2^c with a carry into the next window. */
static void signed_digits(const uint64_t (*limbs)[4], size_t count, unsigned window, unsigned window_count,
                          int32_t *digits) {
    int64_t half = (int64_t)1 << (window - 1), full = (int64_t)1 << window;
    for (size_t i = 0; i < count; i++) {
        int64_t carry = 0;
        for (unsigned w = 0; w < window_count; w++) {
            int64_t digit = (int64_t)window_bits(limbs[i], w * window, window) + carry;
            carry = digit > half;
            digits[(size_t)w * count + i] = (int32_t)(carry ? digit - full : digit);
        }
    }
}

static void free_state(window_state *state) {
    free(state->buckets);
    free(state->overflow);
    free(state->status);
    free(state->pending);
    free(state->denominators);
    free(state->prefix);
}

static int allocate_state(window_state *state, unsigned window, unsigned group_size) {
    memset(state, 0, sizeof *state);
    state->bucket_count = (size_t)1 << (window - 1);
    state->total_buckets = state->bucket_count * group_size;
    size_t batch = state->total_buckets / 4;
    state->batched = batch >= BATCH_MIN;
    state->batch_size = batch > BATCH_MAX ? BATCH_MAX : batch;
    state->overflow = malloc(state->total_buckets * sizeof *state->overflow);
    state->status = malloc(state->total_buckets);
    if (state->batched) {
        state->buckets = malloc(state->total_buckets * sizeof *state->buckets);
        state->pending = malloc(state->batch_size * sizeof *state->pending);
        state->denominators = malloc(state->batch_size * sizeof *state->denominators);
        state->prefix = malloc(state->batch_size * sizeof *state->prefix);
    }
    if (state->overflow == NULL || state->status == NULL ||
        (state->batched && (state->buckets == NULL || state->pending == NULL || state->denominators == NULL ||
                            state->prefix == NULL))) {
        free_state(state);
        return KERNEL_ERR_NO_MEMORY;
    }
    return KERNEL_OK;
}

/* The denominator of bucket + point and what kind of addition it is. */
static uint8_t classify(const g1_affine *bucket, const g1_affine *point, int negate, g1_fp *denominator) {
    if (!g1_fp_equal(&bucket->x, &point->x)) {
        g1_fp_sub(denominator, &point->x, &bucket->x);
        return ADDITION_ADD;
    }
    g1_fp y = point->y;
    if (negate) {
        g1_fp_neg(&y, &y);
    }
    if (g1_fp_equal(&bucket->y, &y) && !g1_fp_is_zero(&y)) {
        g1_fp_double(denominator, &bucket->y);
        return ADDITION_DOUBLE;
    }
    *denominator = G1_FP_ONE;
    return ADDITION_CANCEL;
}

/* Every queued addition with one inversion. */
static void run_batch(window_state *state, const g1_affine *bases) {
    size_t n = state->pending_count;
    if (n == 0) {
        return;
    }
    g1_fp product = G1_FP_ONE;
    for (size_t k = 0; k < n; k++) {
        pending_addition *entry = &state->pending[k];
        entry->kind = classify(&state->buckets[entry->bucket], &bases[entry->point], entry->negate,
                               &state->denominators[k]);
        state->prefix[k] = product;
        g1_fp_mul(&product, &product, &state->denominators[k]);
    }
    g1_fp inverse;
    g1_fp_inv(&inverse, &product);
    for (size_t k = n; k-- > 0;) {
        const pending_addition *entry = &state->pending[k];
        g1_affine *bucket = &state->buckets[entry->bucket];
        const g1_affine *point = &bases[entry->point];
        g1_fp slope, x3, t;
        g1_fp_mul(&slope, &inverse, &state->prefix[k]); /* 1 / denominator k */
        g1_fp_mul(&inverse, &inverse, &state->denominators[k]);
        state->status[entry->bucket] = BUCKET_FULL;
        if (entry->kind == ADDITION_CANCEL) {
            state->status[entry->bucket] = BUCKET_EMPTY;
            continue;
        }
        if (entry->kind == ADDITION_ADD) {
            if (entry->negate) {
                g1_fp_add(&t, &point->y, &bucket->y);
                g1_fp_neg(&t, &t);
            } else {
                g1_fp_sub(&t, &point->y, &bucket->y);
            }
        } else {
            g1_fp_sqr(&t, &bucket->x);
            g1_fp_add(&x3, &t, &t);
            g1_fp_add(&t, &t, &x3);
        }
        g1_fp_mul(&slope, &slope, &t);
        g1_fp_sqr(&x3, &slope);
        g1_fp_sub(&x3, &x3, &bucket->x);
        g1_fp_sub(&x3, &x3, &point->x); /* point->x = bucket->x when doubling */
        g1_fp_sub(&t, &bucket->x, &x3);
        g1_fp_mul(&t, &slope, &t);
        g1_fp_sub(&bucket->y, &t, &bucket->y);
        bucket->x = x3;
    }
    state->pending_count = 0;
}

static void add_to_bucket(window_state *state, const g1_affine *bases, uint32_t bucket, uint32_t index, int negate) {
    const g1_affine *point = &bases[index];
    if (!state->batched || state->status[bucket] == BUCKET_BUSY) {
        g1_xyzz_add_affine(&state->overflow[bucket], point, negate);
        return;
    }
    if (state->status[bucket] == BUCKET_EMPTY) {
        state->buckets[bucket].x = point->x;
        state->buckets[bucket].y = point->y;
        if (negate) {
            g1_fp_neg(&state->buckets[bucket].y, &point->y);
        }
        state->status[bucket] = BUCKET_FULL;
        return;
    }
    state->status[bucket] = BUCKET_BUSY;
    __builtin_prefetch(&state->buckets[bucket], 1); /* read in the batch, ~1000 additions later */
    __builtin_prefetch((const char *)&state->buckets[bucket] + 64, 1);
    pending_addition *entry = &state->pending[state->pending_count++];
    entry->bucket = bucket;
    entry->point = index;
    entry->negate = (uint8_t)negate;
    if (state->pending_count == state->batch_size) {
        run_batch(state, bases);
    }
}

/* sum_k k * B_k over the buckets of one window, by running sums. */
static void reduce_buckets(const window_state *state, size_t first, g1_xyzz *out) {
    g1_xyzz running, total;
    g1_xyzz_set_identity(&running);
    g1_xyzz_set_identity(&total);
    for (size_t k = first + state->bucket_count; k-- > first;) {
        if (state->batched && state->status[k] == BUCKET_FULL) {
            g1_xyzz_add_affine(&running, &state->buckets[k], 0);
        }
        g1_xyzz_add(&running, &state->overflow[k]);
        g1_xyzz_add(&total, &running);
    }
    *out = total;
}

/* sum_i digit_i * P_i for windows first..first + size - 1, their buckets side by side in one batch. */
static void group_sums(window_state *state, const msm_job *job, unsigned first, unsigned size) {
    memset(state->status, BUCKET_EMPTY, state->total_buckets);
    memset(state->overflow, 0, state->total_buckets * sizeof *state->overflow);
    for (size_t i = 0; i < job->count; i++) {
        if (g1_is_identity(&job->bases[i])) {
            continue;
        }
        for (unsigned g = 0; g < size; g++) {
            int32_t digit = job->digits[(size_t)(first + g) * job->count + i];
            if (digit == 0) {
                continue;
            }
            int negate = digit < 0;
            uint32_t bucket = (uint32_t)(g * state->bucket_count) + (uint32_t)(negate ? -digit : digit) - 1;
            add_to_bucket(state, job->bases, bucket, (uint32_t)i, negate);
        }
    }
    if (state->batched) {
        run_batch(state, job->bases);
    }
    for (unsigned g = 0; g < size; g++) {
        reduce_buckets(state, g * state->bucket_count, &job->window_sums[first + g]);
    }
}

/* Group g holds windows g * W / G .. (g + 1) * W / G - 1 (sizes differ by at most one). */
static unsigned group_start(const msm_job *job, unsigned group) {
    return (unsigned)((size_t)group * job->window_count / job->group_count);
}

static void *run_worker(void *argument) {
    worker *self = argument;
    msm_job *job = self->job;
    window_state state;
    self->status = allocate_state(&state, job->window, job->group_size);
    if (self->status != KERNEL_OK) {
        return NULL;
    }
    for (unsigned g = self->index; g < job->group_count; g += job->thread_count) {
        unsigned first = group_start(job, g);
        group_sums(&state, job, first, group_start(job, g + 1) - first);
    }
    free_state(&state);
    return NULL;
}

/* Groups of about GROUP_BUCKETS buckets, their number a multiple of the thread count (for balance). */
static void plan_groups(msm_job *job) {
    size_t buckets = (size_t)1 << (job->window - 1);
    unsigned size = buckets >= GROUP_BUCKETS ? 1 : (unsigned)(GROUP_BUCKETS / buckets);
    unsigned groups = (job->window_count + size - 1) / size;
    groups = (groups + job->thread_count - 1) / job->thread_count * job->thread_count;
    job->group_count = groups > job->window_count ? job->window_count : groups;
    job->thread_count = job->thread_count > job->group_count ? job->group_count : job->thread_count;
    job->group_size = (job->window_count + job->group_count - 1) / job->group_count;
}

static int run_workers(msm_job *job) {
    worker workers[G1_MAX_THREADS];
    pthread_t threads[G1_MAX_THREADS];
    unsigned started = 1;
    for (unsigned t = 0; t < job->thread_count; t++) {
        workers[t] = (worker){job, t, KERNEL_OK};
    }
    for (unsigned t = 1; t < job->thread_count; t++, started++) {
        if (pthread_create(&threads[t], NULL, run_worker, &workers[t]) != 0) {
            break;
        }
    }
    run_worker(&workers[0]);
    for (unsigned t = started; t < job->thread_count; t++) { /* threads that did not start: run them here */
        run_worker(&workers[t]);
    }
    int status = workers[0].status;
    for (unsigned t = 1; t < job->thread_count; t++) {
        if (t < started) {
            pthread_join(threads[t], NULL);
        }
        if (workers[t].status != KERNEL_OK) {
            status = workers[t].status;
        }
    }
    return status;
}

static void combine_windows(const msm_job *job, uint8_t out[G1_COMPRESSED_BYTES]) {
    g1_xyzz sum = job->window_sums[job->window_count - 1];
    for (unsigned w = job->window_count - 1; w-- > 0;) {
        for (unsigned k = 0; k < job->window; k++) {
            g1_xyzz_double(&sum);
        }
        g1_xyzz_add(&sum, &job->window_sums[w]);
    }
    g1_affine result;
    g1_xyzz_to_affine(&result, &sum);
    g1_compress(&result, out);
}

/* Pippenger over `count` scalars of `bits` bits given as limbs. */
static int pippenger(const g1_affine *bases, const uint64_t (*limbs)[4], size_t count, unsigned bits,
                     unsigned threads, unsigned window, uint8_t out[G1_COMPRESSED_BYTES]) {
    msm_job job = {.bases = bases, .count = count};
    job.window = window < 2 ? 2 : window;
    job.window_count = bits / job.window + 1; /* a spare bit on top takes the last carry */
    job.thread_count = threads;
    plan_groups(&job);
    int32_t *digits = malloc((size_t)job.window_count * (count ? count : 1) * sizeof *digits);
    job.window_sums = malloc(job.window_count * sizeof *job.window_sums);
    int status = KERNEL_ERR_NO_MEMORY;
    if (digits != NULL && job.window_sums != NULL) {
        signed_digits(limbs, count, job.window, job.window_count, digits);
        job.digits = digits;
        status = run_workers(&job);
        if (status == KERNEL_OK) {
            combine_windows(&job, out);
        }
    }
    free(digits);
    free(job.window_sums);
    return status;
}

/* The GLV form: 2 * count 128-bit scalars over the bases and their images under phi. */
static int pippenger_endomorphism(const g1_affine *bases, const uint64_t (*limbs)[4], size_t count,
                                  unsigned threads, unsigned window, uint8_t out[G1_COMPRESSED_BYTES]) {
    uint64_t(*split)[4] = malloc(2 * count * sizeof *split);
    g1_affine *split_bases = malloc(2 * count * sizeof *split_bases);
    int status = KERNEL_ERR_NO_MEMORY;
    if (split != NULL && split_bases != NULL) {
        g1_glv_split(limbs, bases, count, split, split_bases);
        status = pippenger(split_bases, (const uint64_t(*)[4])split, 2 * count, 128, threads, window, out);
    }
    free(split);
    free(split_bases);
    return status;
}

int g1_msm_configured(const g1_affine *bases, const uint8_t *scalars, size_t count, unsigned threads,
                      unsigned window, int endomorphism, uint8_t out[G1_COMPRESSED_BYTES], size_t *bad_index) {
    if (threads < 1 || threads > G1_MAX_THREADS || window > 16 || count > G1_MAX_POINTS) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    uint64_t(*limbs)[4] = malloc((count ? count : 1) * sizeof *limbs);
    if (limbs == NULL) {
        return KERNEL_ERR_NO_MEMORY;
    }
    if (load_scalars(scalars, count, limbs, bad_index) != 0) {
        free(limbs);
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    window = window != 0 ? window : choose_window(count);
    if (endomorphism < 0) {
        endomorphism = count >= G1_ENDOMORPHISM_MIN_POINTS;
    }
    int status = endomorphism && count > 0
                     ? pippenger_endomorphism(bases, (const uint64_t(*)[4])limbs, count, threads, window, out)
                     : pippenger(bases, (const uint64_t(*)[4])limbs, count, 255, threads, window, out);
    free(limbs);
    return status;
}

int g1_msm(const g1_affine *bases, const uint8_t *scalars, size_t count, unsigned threads,
           uint8_t out[G1_COMPRESSED_BYTES], size_t *bad_index) {
    return g1_msm_configured(bases, scalars, count, threads, 0, -1, out, bad_index);
}
