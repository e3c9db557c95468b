/* Radix-2 NTT over the BLS12-381 scalar field and the erasure-code extension of Subspace archiving
 * (rust-kzg `das_fft_extension`). Public API in include/fr.h; shared cores declared in fr_ntt.h.
 * The hot loops (fr_ntt_cores.h) are built twice, with the portable multiplication and, on x86-64,
 * with the BMI2/ADX one; each call runs the set of its backend (fr_select_cores). */
#include "errors.h"
#include "fr_ntt.h"

int fr_log2_of_size(size_t n, unsigned max_log2, unsigned *log2_size) {
    for (unsigned s = 0; s <= max_log2; s++) {
        if (n == (size_t)1 << s) {
            *log2_size = s;
            return 0;
        }
    }
    return -1;
}

/* omega_n^-j = omega_n^(n - j) = -omega_n^(n/2 - j): reverse the forward table after index 0 and negate it. */
static void invert_twiddles(fr_element *twiddles, size_t half) {
    for (size_t low = 1, high = half - 1; low < high; low++, high--) {
        fr_element swap = twiddles[low];
        twiddles[low] = twiddles[high];
        twiddles[high] = swap;
    }
    for (size_t j = 1; j < half; j++) {
        fr_negate(&twiddles[j], &twiddles[j]);
    }
}

void fr_fill_twiddles(const fr_cores *cores, fr_element *twiddles, size_t n, int inverse) {
    unsigned log2_size = 0;
    if (n < 2 || fr_log2_of_size(n, FR_TWO_ADICITY, &log2_size) != 0) {
        return; /* a 1-point domain has no twiddles */
    }
    fr_element one, root;
    fr_one(&one);
    fr_root_of_unity_element(&root, log2_size);
    cores->fill_powers(twiddles, n / 2, &one, &root);
    if (inverse) {
        invert_twiddles(twiddles, n / 2);
    }
}

/* The transform cores, once per multiplication (see fr_ntt_cores.h). */
#define FR_CORE(name) portable_##name
#define FR_CORE_MULTIPLY fr_multiply
#include "fr_ntt_cores.h"
#undef FR_CORE
#undef FR_CORE_MULTIPLY

static const fr_cores PORTABLE_CORES = {portable_natural_to_reversed, portable_reversed_to_natural,
                                        portable_multiply_pointwise, portable_scale, portable_fill_powers};

#if defined(FR_HAVE_X86_64_ASM)
#define FR_CORE(name) adx_##name
#define FR_CORE_MULTIPLY fr_multiply_adx
#include "fr_ntt_cores.h"
#undef FR_CORE
#undef FR_CORE_MULTIPLY

static const fr_cores ADX_CORES = {adx_natural_to_reversed, adx_reversed_to_natural, adx_multiply_pointwise,
                                   adx_scale, adx_fill_powers};
#endif

/* 1 when this CPU runs the BMI2/ADX multiplication (a load of a flag libgcc set up). */
static int have_adx(void) {
#if defined(FR_HAVE_X86_64_ASM)
    return __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("adx");
#else
    return 0;
#endif
}

int fr_backend_available(int backend) {
    switch (backend) {
    case FR_BACKEND_AUTO:
    case FR_BACKEND_PORTABLE:
        return 1;
    case FR_BACKEND_BMI2_ADX:
        return have_adx();
    default:
        return 0;
    }
}

int fr_best_backend(void) { return have_adx() ? FR_BACKEND_BMI2_ADX : FR_BACKEND_PORTABLE; }

const char *fr_arithmetic(void) { return have_adx() ? "x86-64 BMI2/ADX" : "portable C"; }

int fr_select_cores(int backend, const fr_cores **cores_out) {
    if (backend < 0 || backend >= FR_BACKEND_COUNT) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    if (!fr_backend_available(backend)) {
        return KERNEL_ERR_BACKEND_UNAVAILABLE;
    }
    *cores_out = &PORTABLE_CORES;
#if defined(FR_HAVE_X86_64_ASM)
    if (backend == FR_BACKEND_BMI2_ADX || (backend == FR_BACKEND_AUTO && have_adx())) {
        *cores_out = &ADX_CORES;
    }
#endif
    return KERNEL_OK;
}

void fr_bit_reverse_permute(fr_element *values, size_t n) {
    size_t reversed = 0; /* bit-reversed counter, advanced by a carry from the top bit down */
    for (size_t i = 1; i < n; i++) {
        size_t bit = n >> 1;
        while (reversed & bit) {
            reversed ^= bit;
            bit >>= 1;
        }
        reversed ^= bit;
        if (i < reversed) {
            fr_element swap = values[i];
            values[i] = values[reversed];
            values[reversed] = swap;
        }
    }
}

int fr_load_scalars_strided(fr_element *values, const uint8_t *bytes, size_t count, size_t stride) {
    for (size_t i = 0; i < count; i++) {
        if (fr_load_plain(&values[i], bytes + stride * i) != 0) {
            return KERNEL_ERR_INVALID_ARGUMENT;
        }
    }
    return KERNEL_OK;
}

void fr_store_scalars_strided(uint8_t *bytes, const fr_element *values, size_t count, size_t stride) {
    for (size_t i = 0; i < count; i++) {
        fr_store_plain(bytes + stride * i, &values[i]);
    }
}

int fr_load_scalars(fr_element *values, const uint8_t *bytes, size_t count) {
    return fr_load_scalars_strided(values, bytes, count, FR_SCALAR_BYTES);
}

void fr_store_scalars(uint8_t *bytes, const fr_element *values, size_t count) {
    fr_store_scalars_strided(bytes, values, count, FR_SCALAR_BYTES);
}

/* ---- NTT and inverse NTT ---- */

size_t fr_ntt_scratch_count(size_t n) {
    unsigned log2_size;
    if (fr_log2_of_size(n, FR_MAX_LOG2_SIZE, &log2_size) != 0) {
        return 0;
    }
    return n + n / 2; /* values, twiddles */
}

/* Scratch: n values, then n/2 twiddles. The inverse also divides by n. */
static int transform(int backend, const uint8_t *values, uint8_t *out, size_t n, fr_element *scratch,
                     size_t scratch_count, int inverse) {
    unsigned log2_size;
    if (fr_log2_of_size(n, FR_MAX_LOG2_SIZE, &log2_size) != 0 || scratch_count < fr_ntt_scratch_count(n)) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    const fr_cores *cores;
    int status = fr_select_cores(backend, &cores);
    if (status != KERNEL_OK) {
        return status;
    }
    fr_element *work = scratch, *twiddles = scratch + n;
    status = fr_load_scalars(work, values, n);
    if (status != KERNEL_OK) {
        return status;
    }
    fr_fill_twiddles(cores, twiddles, n, inverse);
    cores->natural_to_reversed(work, n, twiddles, 1);
    fr_bit_reverse_permute(work, n);
    if (inverse) {
        fr_element inverse_n;
        fr_inverse_power_of_two(&inverse_n, log2_size);
        cores->scale(work, n, &inverse_n);
    }
    fr_store_scalars(out, work, n);
    return KERNEL_OK;
}

int fr_ntt(int backend, const uint8_t *values, uint8_t *out, size_t n, fr_element *scratch, size_t scratch_count) {
    return transform(backend, values, out, n, scratch, scratch_count, 0);
}

int fr_intt(int backend, const uint8_t *values, uint8_t *out, size_t n, fr_element *scratch, size_t scratch_count) {
    return transform(backend, values, out, n, scratch, scratch_count, 1);
}

/* ---- Extension: parity = NTT_n(INTT_n(source)[j] * omega_2n^j) ----
 * The odd points omega_2n^(2i+1) are the n-point domain shifted by omega_2n, so evaluating there is
 * an n-point NTT of the coefficients scaled by omega_2n^j: no 2n-point transform is needed. */

size_t fr_extend_scratch_count(size_t n) {
    unsigned log2_size;
    if (fr_log2_of_size(n, FR_MAX_LOG2_SIZE, &log2_size) != 0) {
        return 0;
    }
    return n / 2 + n / 2 + n + n; /* twiddles, inverse twiddles, factors, values */
}

typedef struct extend_plan {
    const fr_cores *cores;
    size_t n;
    fr_element *twiddles;         /* omega_n^j, j < n/2 */
    fr_element *inverse_twiddles; /* omega_n^-j, j < n/2 */
    fr_element *factors;          /* omega_2n^j / n, stored at the bit-reversed position of j */
    fr_element *work;             /* one column */
} extend_plan;

static void prepare_extend(extend_plan *plan, size_t n, unsigned log2_size, fr_element *scratch) {
    plan->n = n;
    plan->twiddles = scratch;
    plan->inverse_twiddles = scratch + n / 2;
    plan->factors = plan->inverse_twiddles + n / 2; /* n / 2 is 0 for n = 1 */
    plan->work = plan->factors + n;
    fr_fill_twiddles(plan->cores, plan->twiddles, n, 0);
    fr_fill_twiddles(plan->cores, plan->inverse_twiddles, n, 1);
    fr_element inverse_n, shift;
    fr_inverse_power_of_two(&inverse_n, log2_size);
    fr_root_of_unity_element(&shift, log2_size + 1);
    plan->cores->fill_powers(plan->factors, n, &inverse_n, &shift);
    fr_bit_reverse_permute(plan->factors, n);
}

/* Inverse NTT into bit-reversed coefficients (times n), scale, forward NTT back to natural order.
 * Scalar i of the column is at byte offset i * stride of `source` and of `parity`. */
static int extend_column(const extend_plan *plan, const uint8_t *source, uint8_t *parity, size_t stride) {
    int status = fr_load_scalars_strided(plan->work, source, plan->n, stride);
    if (status != KERNEL_OK) {
        return status;
    }
    plan->cores->natural_to_reversed(plan->work, plan->n, plan->inverse_twiddles, 1);
    plan->cores->multiply_pointwise(plan->work, plan->factors, plan->n);
    plan->cores->reversed_to_natural(plan->work, plan->n, plan->twiddles, 1);
    fr_store_scalars_strided(parity, plan->work, plan->n, stride);
    return KERNEL_OK;
}

/* The checks shared by the batch and record layouts; on success the plan is ready. */
static int start_extend(extend_plan *plan, int backend, size_t n, size_t column_count, fr_element *scratch,
                        size_t scratch_count) {
    unsigned log2_size;
    if (fr_log2_of_size(n, FR_MAX_LOG2_SIZE, &log2_size) != 0 || scratch_count < fr_extend_scratch_count(n) ||
        column_count > SIZE_MAX / (n * FR_SCALAR_BYTES)) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    int status = fr_select_cores(backend, &plan->cores);
    if (status == KERNEL_OK) {
        prepare_extend(plan, n, log2_size, scratch);
    }
    return status;
}

int fr_extend_batch(int backend, const uint8_t *columns, uint8_t *parity, size_t n, size_t column_count,
                    fr_element *scratch, size_t scratch_count) {
    extend_plan plan;
    int status = start_extend(&plan, backend, n, column_count, scratch, scratch_count);
    const size_t column_bytes = n * FR_SCALAR_BYTES;
    for (size_t column = 0; status == KERNEL_OK && column < column_count; column++) {
        status = extend_column(&plan, columns + column * column_bytes, parity + column * column_bytes,
                               FR_SCALAR_BYTES);
    }
    return status;
}

int fr_extend(int backend, const uint8_t *source, uint8_t *parity, size_t n, fr_element *scratch,
              size_t scratch_count) {
    return fr_extend_batch(backend, source, parity, n, 1, scratch, scratch_count);
}

int fr_extend_records(int backend, const uint8_t *records, uint8_t *parity, size_t num_records,
                      size_t chunks_per_record, fr_element *scratch, size_t scratch_count) {
    if (chunks_per_record == 0) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    extend_plan plan;
    int status = start_extend(&plan, backend, num_records, chunks_per_record, scratch, scratch_count);
    const size_t record_bytes = chunks_per_record * FR_SCALAR_BYTES;
    for (size_t chunk = 0; status == KERNEL_OK && chunk < chunks_per_record; chunk++) {
        const size_t offset = chunk * FR_SCALAR_BYTES;
        status = extend_column(&plan, records + offset, parity + offset, record_bytes);
    }
    return status;
}
