/* Recovery of erased shards of the Subspace erasure code (rust-kzg `recover_poly_from_samples`).
 *
 * The 2n = N shards are evaluations E(omega_N^i) of a polynomial D of degree < n. With Z the monic
 * polynomial vanishing on the missing points, (E * Z)(omega^i) = (D * Z)(omega^i) on every point (both
 * sides are zero where a shard is missing), and deg(D * Z) < N, so an inverse NTT of E * Z gives the
 * coefficients of D * Z. Z has roots in the domain, so the division happens on the coset k * omega^i
 * (k = 7 lies in no 2^s-point subgroup): D(kx) = (D Z)(kx) / Z(kx) pointwise, an inverse NTT and an
 * unshift give D, and a last NTT gives every shard. The coefficients of D from n upwards must be zero;
 * otherwise the present shards are not one codeword and the call fails.
 *
 * Z, its inverses on the coset and the shift factors depend only on the presence mask: a batch of
 * columns computes them once. Z is a product tree: leaves of ZERO_POLYNOMIAL_LEAF roots multiplied
 * out directly, then adjacent factors multiplied by NTT.
 *
 * On two threads (fr_recover_batch_threads) the two evaluations of Z run at once, and every N-point
 * transform of a column splits after (or before) its outermost butterfly layer into two independent
 * N/2-point transforms of twiddle stride 2, one per thread; the outer layer runs on the calling thread.
 * Every butterfly computes the same field operations as the one-thread loops, so the output is the same. */
#include <pthread.h>
#include <stdatomic.h>

#include "errors.h"
#include "fr_ntt.h"

#define ZERO_POLYNOMIAL_LEAF 64u /* roots per leaf: 64^2 / 2 direct products beat three 128-point NTTs */

size_t fr_recover_scratch_count(size_t shard_count) {
    unsigned log2_size;
    if (shard_count < 2 || fr_log2_of_size(shard_count, FR_MAX_LOG2_SIZE, &log2_size) != 0) {
        return 0;
    }
    return shard_count + 5 * shard_count; /* two twiddle tables of N/2, five arrays of N */
}

typedef struct recover_plan {
    const fr_cores *cores;              /* the loops of the caller's backend */
    size_t shard_count;                 /* N = 2n */
    const uint8_t *present;             /* N flags */
    fr_element *twiddles;               /* omega_N^j, j < N/2 */
    fr_element *inverse_twiddles;       /* omega_N^-j, j < N/2 */
    fr_element *zero_evaluations;       /* Z(omega^i), natural order */
    fr_element *coset_inverses;         /* 1 / Z(k omega^i), natural order */
    fr_element *shift_up;               /* k^j / N at the bit-reversed position of j */
    fr_element *shift_down;             /* k^-j / N at the bit-reversed position of j */
    fr_element *work;                   /* one column */
    unsigned threads;                   /* 1, or 2: transforms split over two threads */
} recover_plan;

static void layout_plan(recover_plan *plan, size_t shard_count, const uint8_t *present, fr_element *scratch) {
    const size_t half = shard_count / 2;
    plan->shard_count = shard_count;
    plan->present = present;
    plan->twiddles = scratch;
    plan->inverse_twiddles = scratch + half;
    plan->zero_evaluations = scratch + shard_count;
    plan->coset_inverses = scratch + 2 * shard_count;
    plan->shift_up = scratch + 3 * shard_count;
    plan->shift_down = scratch + 4 * shard_count;
    plan->work = scratch + 5 * shard_count;
}

static size_t count_present(const uint8_t *present, size_t shard_count) {
    size_t count = 0;
    for (size_t i = 0; i < shard_count; i++) {
        count += present[i] != 0;
    }
    return count;
}

/* omega_N^index from the half table: omega^(N/2 + j) = -omega^j. */
static void domain_point(const recover_plan *plan, size_t index, fr_element *out) {
    const size_t half = plan->shard_count / 2;
    if (index < half) {
        *out = plan->twiddles[index];
    } else {
        fr_negate(out, &plan->twiddles[index - half]);
    }
}

/* A monic polynomial of degree d is stored as its d low coefficients; the leading 1 is implied. */

/* poly <- poly * (x - root), degree -> degree + 1. */
static void multiply_by_linear(fr_element *poly, size_t degree, const fr_element *root) {
    fr_element term;
    if (degree == 0) {
        fr_negate(&poly[0], root);
        return;
    }
    fr_subtract(&poly[degree], &poly[degree - 1], root); /* the implied leading 1 times -root */
    for (size_t j = degree - 1; j > 0; j--) {
        fr_multiply(&term, &poly[j], root);
        fr_subtract(&poly[j], &poly[j - 1], &term);
    }
    fr_multiply(&term, &poly[0], root);
    fr_negate(&poly[0], &term);
}

/* out[0..size) = the full coefficients of a monic polynomial: low coefficients, 1, zeros. */
static void expand_monic(fr_element *out, const fr_element *poly, size_t degree, size_t size) {
    for (size_t j = 0; j < degree; j++) {
        out[j] = poly[j];
    }
    fr_one(&out[degree]);
    for (size_t j = degree + 1; j < size; j++) {
        fr_set_zero(&out[j]);
    }
}

/* Replace the adjacent monic factors poly[0..left_degree) and poly[left_degree..+right_degree) by their
 * product, through a cyclic convolution of `size` >= left + right points (1 <= right <= left). When the
 * product's degree equals `size`, its leading x^size wrapped onto x^0 and is taken back off. */
static void multiply_adjacent(const recover_plan *plan, fr_element *poly, size_t left_degree, size_t right_degree,
                              fr_element *left, fr_element *right) {
    const size_t degree = left_degree + right_degree;
    size_t size = 1;
    unsigned log2_size = 0;
    while (size < degree) {
        size *= 2;
        log2_size++;
    }
    const size_t stride = plan->shard_count / size;
    expand_monic(left, poly, left_degree, size);
    expand_monic(right, poly + left_degree, right_degree, size);
    plan->cores->natural_to_reversed(left, size, plan->twiddles, stride);
    plan->cores->natural_to_reversed(right, size, plan->twiddles, stride);
    plan->cores->multiply_pointwise(left, right, size);
    plan->cores->reversed_to_natural(left, size, plan->inverse_twiddles, stride);
    fr_element inverse_size, one;
    fr_inverse_power_of_two(&inverse_size, log2_size);
    plan->cores->scale(left, degree, &inverse_size);
    for (size_t j = 0; j < degree; j++) {
        poly[j] = left[j];
    }
    if (degree == size) {
        fr_one(&one);
        fr_subtract(&poly[0], &poly[0], &one);
    }
}

/* The low coefficients of Z into `tree` (room for N/2); @return its degree, the number of missing shards. */
static size_t build_zero_polynomial(const recover_plan *plan, fr_element *tree, fr_element *left,
                                    fr_element *right) {
    size_t missing = 0;
    for (size_t index = 0; index < plan->shard_count; index++) {
        if (plan->present[index]) {
            continue;
        }
        fr_element root;
        domain_point(plan, index, &root);
        size_t leaf_start = missing - missing % ZERO_POLYNOMIAL_LEAF;
        multiply_by_linear(tree + leaf_start, missing % ZERO_POLYNOMIAL_LEAF, &root);
        missing++;
    }
    for (size_t width = ZERO_POLYNOMIAL_LEAF; width < missing; width *= 2) {
        for (size_t start = 0; start + width < missing; start += 2 * width) {
            size_t right_degree = missing - start - width < width ? missing - start - width : width;
            multiply_adjacent(plan, tree + start, width, right_degree, left, right);
        }
    }
    return missing;
}

/* Natural-order evaluations of the monic `poly` of `degree` on the domain scaled by `scale`. */
static void evaluate_monic(const recover_plan *plan, const fr_element *poly, size_t degree, const fr_element *scale,
                           fr_element *out) {
    fr_element power;
    fr_one(&power);
    expand_monic(out, poly, degree, plan->shard_count);
    for (size_t j = 0; j <= degree; j++) {
        fr_multiply(&out[j], &out[j], &power);
        fr_multiply(&power, &power, scale);
    }
    plan->cores->natural_to_reversed(out, plan->shard_count, plan->twiddles, 1);
    fr_bit_reverse_permute(out, plan->shard_count);
}

/* shift[bit_reverse(j)] = ratio^j / N. */
static void fill_shift(const recover_plan *plan, fr_element *shift, const fr_element *ratio, unsigned log2_size) {
    fr_element inverse_size;
    fr_inverse_power_of_two(&inverse_size, log2_size);
    plan->cores->fill_powers(shift, plan->shard_count, &inverse_size, ratio);
    fr_bit_reverse_permute(shift, plan->shard_count);
}

/* Load the present shards (shard i at byte offset i * stride) times Z; zero elsewhere (Z vanishes there anyway). */
static int load_masked(const recover_plan *plan, const uint8_t *column, size_t stride) {
    for (size_t i = 0; i < plan->shard_count; i++) {
        if (!plan->present[i]) {
            fr_set_zero(&plan->work[i]);
        } else if (fr_load_plain(&plan->work[i], column + stride * i) != 0) {
            return KERNEL_ERR_INVALID_ARGUMENT;
        }
    }
    plan->cores->multiply_pointwise(plan->work, plan->zero_evaluations, plan->shard_count);
    return KERNEL_OK;
}

/* Every shard of one column; shard i is at byte offset i * stride of `column` and of `out`. */
static int recover_column(const recover_plan *plan, const uint8_t *column, uint8_t *out, size_t stride) {
    const size_t size = plan->shard_count;
    fr_element *work = plan->work;
    int status = load_masked(plan, column, stride);
    if (status != KERNEL_OK) {
        return status;
    }
    const fr_cores *cores = plan->cores;
    cores->natural_to_reversed(work, size, plan->inverse_twiddles, 1); /* N * coefficients of D Z */
    cores->multiply_pointwise(work, plan->shift_up, size);             /* of (D Z)(kx) */
    cores->reversed_to_natural(work, size, plan->twiddles, 1);         /* (D Z)(k omega^i) */
    cores->multiply_pointwise(work, plan->coset_inverses, size);       /* D(k omega^i) */
    cores->natural_to_reversed(work, size, plan->inverse_twiddles, 1);
    cores->multiply_pointwise(work, plan->shift_down, size);           /* coefficients of D */
    for (size_t position = 1; position < size; position += 2) {
        /* odd positions hold the coefficients of degree >= n (bit-reversed order) */
        if (!fr_is_zero(&work[position])) {
            return KERNEL_ERR_INVALID_ARGUMENT;
        }
    }
    cores->reversed_to_natural(work, size, plan->twiddles, 1);
    fr_store_scalars_strided(out, work, size, stride);
    return KERNEL_OK;
}

/* ---- two threads ---- */

typedef void (*half_job)(const recover_plan *plan, unsigned half, void *context);

typedef struct {
    const recover_plan *plan;
    half_job job;
    void *context;
} half_task;

static void *run_second_half(void *argument) {
    const half_task *task = argument;
    task->job(task->plan, 1, task->context);
    return NULL;
}

/* job(plan, 0, context) here and job(plan, 1, context) on a new thread (here after, if none can start). */
static void run_halves(const recover_plan *plan, half_job job, void *context) {
    half_task task = {plan, job, context};
    pthread_t thread;
    int started = pthread_create(&thread, NULL, run_second_half, &task) == 0;
    job(plan, 0, context);
    if (started) {
        pthread_join(thread, NULL);
    } else {
        run_second_half(&task);
    }
}

/* The outer layer of natural_to_reversed on N points (twiddle stride 1): Gentleman-Sande butterflies
 * (a, b) <- (a + b, (a - b) w^j) between the halves, w^0 = 1 multiplied like the others. */
static void frequency_outer_layer(const recover_plan *plan, fr_element *values, const fr_element *twiddles) {
    const size_t half = plan->shard_count / 2;
    for (size_t j = 0; j < half; j++) {
        fr_element difference;
        fr_subtract(&difference, &values[j], &values[half + j]);
        fr_add(&values[j], &values[j], &values[half + j]);
        values[half + j] = difference;
    }
    plan->cores->multiply_pointwise(values + half, twiddles, half);
}

/* The outer layer of reversed_to_natural: Cooley-Tukey butterflies (a, b) <- (a + b w^j, a - b w^j). */
static void time_outer_layer(const recover_plan *plan, fr_element *values, const fr_element *twiddles) {
    const size_t half = plan->shard_count / 2;
    plan->cores->multiply_pointwise(values + half, twiddles, half);
    for (size_t j = 0; j < half; j++) {
        fr_element product = values[half + j];
        fr_subtract(&values[half + j], &values[j], &product);
        fr_add(&values[j], &values[j], &product);
    }
}

/* First half of a column on one thread: the inner transforms of the inverse NTT, the shift to the coset and
 * the inner transforms of the forward NTT, all on this half's N/2 points. */
static void column_first_half(const recover_plan *plan, unsigned half, void *context) {
    (void)context;
    const size_t size = plan->shard_count / 2, offset = half * size;
    fr_element *work = plan->work + offset;
    plan->cores->natural_to_reversed(work, size, plan->inverse_twiddles, 2);
    plan->cores->multiply_pointwise(work, plan->shift_up + offset, size);
    plan->cores->reversed_to_natural(work, size, plan->twiddles, 2);
}

/* Second half: the inner inverse transforms, the unshift, the check that this half's coefficients of
 * degree >= n vanish (context: one flag per half), and the inner transforms of the last NTT. */
static void column_second_half(const recover_plan *plan, unsigned half, void *context) {
    int *failed = context;
    const size_t size = plan->shard_count / 2, offset = half * size;
    fr_element *work = plan->work + offset;
    plan->cores->natural_to_reversed(work, size, plan->inverse_twiddles, 2);
    plan->cores->multiply_pointwise(work, plan->shift_down + offset, size);
    for (size_t position = 1; position < size; position += 2) {
        /* odd positions of the whole column hold the high coefficients; offset is even */
        if (!fr_is_zero(&work[position])) {
            failed[half] = 1;
            return;
        }
    }
    plan->cores->reversed_to_natural(work, size, plan->twiddles, 2);
}

/* recover_column with every N-point transform split over two threads (shard_count >= 4). */
static int recover_column_halves(const recover_plan *plan, const uint8_t *column, uint8_t *out, size_t stride) {
    int status = load_masked(plan, column, stride);
    if (status != KERNEL_OK) {
        return status;
    }
    fr_element *work = plan->work;
    frequency_outer_layer(plan, work, plan->inverse_twiddles);
    run_halves(plan, column_first_half, NULL);
    time_outer_layer(plan, work, plan->twiddles);
    plan->cores->multiply_pointwise(work, plan->coset_inverses, plan->shard_count);
    frequency_outer_layer(plan, work, plan->inverse_twiddles);
    int failed[2] = {0, 0};
    run_halves(plan, column_second_half, failed);
    if (failed[0] || failed[1]) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    time_outer_layer(plan, work, plan->twiddles);
    fr_store_scalars_strided(out, work, plan->shard_count, stride);
    return KERNEL_OK;
}

/* Z on the domain (half 0) and on the coset (half 1), context: Z's degree. */
static void evaluate_zero_half(const recover_plan *plan, unsigned half, void *context) {
    const size_t degree = *(const size_t *)context;
    fr_element scale;
    if (half == 0) {
        fr_one(&scale);
        evaluate_monic(plan, plan->shift_up, degree, &scale, plan->zero_evaluations);
    } else {
        fr_generator(&scale);
        evaluate_monic(plan, plan->shift_up, degree, &scale, plan->coset_inverses);
    }
}

/* Leaves of Z on one thread: the roots of every other leaf (leaf index parity = half). */
static void zero_leaves_half(const recover_plan *plan, unsigned half, void *context) {
    fr_element *tree = context;
    size_t missing = 0;
    for (size_t index = 0; index < plan->shard_count; index++) {
        if (plan->present[index]) {
            continue;
        }
        if (missing / ZERO_POLYNOMIAL_LEAF % 2 == half) {
            fr_element root;
            domain_point(plan, index, &root);
            size_t leaf_start = missing - missing % ZERO_POLYNOMIAL_LEAF;
            multiply_by_linear(tree + leaf_start, missing % ZERO_POLYNOMIAL_LEAF, &root);
        }
        missing++;
    }
}

typedef struct {
    fr_element *tree;
    size_t width, missing;
    atomic_size_t next_pair; /* the next product of the level not yet claimed */
} tree_level;

/* Products of one level of the tree, claimed one at a time (a thread that runs late takes fewer); half 1
 * borrows zero_evaluations, not filled yet, as its two convolution buffers. */
static void tree_level_half(const recover_plan *plan, unsigned half, void *context) {
    tree_level *level = context;
    fr_element *left = half == 0 ? plan->work : plan->zero_evaluations, *right = left + plan->shard_count / 2;
    for (;;) {
        size_t start = atomic_fetch_add(&level->next_pair, 1) * 2 * level->width;
        if (start + level->width >= level->missing) {
            return;
        }
        size_t remaining = level->missing - start - level->width;
        size_t right_degree = remaining < level->width ? remaining : level->width;
        multiply_adjacent(plan, level->tree + start, level->width, right_degree, left, right);
    }
}

/* build_zero_polynomial on two threads: leaves and tree levels split by parity (the same products). */
static size_t build_zero_polynomial_halves(const recover_plan *plan, fr_element *tree) {
    size_t missing = plan->shard_count - count_present(plan->present, plan->shard_count);
    run_halves(plan, zero_leaves_half, tree);
    for (size_t width = ZERO_POLYNOMIAL_LEAF; width < missing; width *= 2) {
        tree_level level = {.tree = tree, .width = width, .missing = missing};
        atomic_init(&level.next_pair, 0);
        if (missing - width > 2 * width) {
            run_halves(plan, tree_level_half, &level); /* two products or more */
        } else {
            tree_level_half(plan, 0, &level);
        }
    }
    return missing;
}

/* Everything that depends on the mask only. Temporaries borrow the arrays filled last. */
static void prepare_recover(recover_plan *plan, unsigned log2_size) {
    const size_t half = plan->shard_count / 2;
    fr_fill_twiddles(plan->cores, plan->twiddles, plan->shard_count, 0);
    fr_fill_twiddles(plan->cores, plan->inverse_twiddles, plan->shard_count, 1);
    fr_element *tree = plan->shift_up;
    size_t degree = plan->threads > 1 ? build_zero_polynomial_halves(plan, tree)
                                      : build_zero_polynomial(plan, tree, plan->work, plan->work + half);
    fr_element one, generator, generator_inverse;
    fr_one(&one);
    fr_generator(&generator);
    fr_inverse(&generator_inverse, &generator);
    if (plan->threads > 1) {
        run_halves(plan, evaluate_zero_half, &degree);
    } else {
        evaluate_monic(plan, tree, degree, &one, plan->zero_evaluations);
        evaluate_monic(plan, tree, degree, &generator, plan->coset_inverses);
    }
    fr_batch_inverse(plan->coset_inverses, plan->shard_count, plan->shift_down);
    fill_shift(plan, plan->shift_up, &generator, log2_size);
    fill_shift(plan, plan->shift_down, &generator_inverse, log2_size);
}

/* The checks shared by the batch and record layouts; on success the plan is ready. */
static int start_recover(recover_plan *plan, int backend, const uint8_t *present, size_t shard_count,
                         size_t column_count, fr_element *scratch, size_t scratch_count, unsigned threads) {
    unsigned log2_size;
    if (threads < 1 || threads > FR_MAX_THREADS) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    /* split transforms need N/2 >= 2 points per half */
    plan->threads = threads > 1 && shard_count >= 4 ? 2 : 1;
    if (shard_count < 2 || fr_log2_of_size(shard_count, FR_MAX_LOG2_SIZE, &log2_size) != 0 ||
        scratch_count < fr_recover_scratch_count(shard_count) ||
        column_count > SIZE_MAX / (shard_count * FR_SCALAR_BYTES) ||
        count_present(present, shard_count) < shard_count / 2) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    int status = fr_select_cores(backend, &plan->cores);
    if (status == KERNEL_OK) {
        layout_plan(plan, shard_count, present, scratch);
        prepare_recover(plan, log2_size);
    }
    return status;
}

int fr_recover_batch_threads(int backend, const uint8_t *columns, const uint8_t *present, size_t shard_count,
                             size_t column_count, uint8_t *out, fr_element *scratch, size_t scratch_count,
                             unsigned threads) {
    recover_plan plan;
    int status = start_recover(&plan, backend, present, shard_count, column_count, scratch, scratch_count, threads);
    const size_t column_bytes = shard_count * FR_SCALAR_BYTES;
    for (size_t column = 0; status == KERNEL_OK && column < column_count; column++) {
        const uint8_t *source = columns + column * column_bytes;
        uint8_t *target = out + column * column_bytes;
        status = plan.threads > 1 ? recover_column_halves(&plan, source, target, FR_SCALAR_BYTES)
                                  : recover_column(&plan, source, target, FR_SCALAR_BYTES);
    }
    return status;
}

int fr_recover_batch(int backend, const uint8_t *columns, const uint8_t *present, size_t shard_count,
                     size_t column_count, uint8_t *out, fr_element *scratch, size_t scratch_count) {
    return fr_recover_batch_threads(backend, columns, present, shard_count, column_count, out, scratch,
                                    scratch_count, 1);
}

int fr_recover(int backend, const uint8_t *shards, const uint8_t *present, size_t shard_count, uint8_t *out,
               fr_element *scratch, size_t scratch_count) {
    return fr_recover_batch(backend, shards, present, shard_count, 1, out, scratch, scratch_count);
}

int fr_recover_records(int backend, const uint8_t *records, const uint8_t *present, size_t num_records,
                       size_t chunks_per_record, uint8_t *out, fr_element *scratch, size_t scratch_count) {
    if (chunks_per_record == 0) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    recover_plan plan;
    int status = start_recover(&plan, backend, present, num_records, chunks_per_record, scratch, scratch_count, 1);
    const size_t record_bytes = chunks_per_record * FR_SCALAR_BYTES;
    for (size_t chunk = 0; status == KERNEL_OK && chunk < chunks_per_record; chunk++) {
        const size_t offset = chunk * FR_SCALAR_BYTES;
        status = recover_column(&plan, records + offset, out + offset, record_bytes);
    }
    return status;
}
