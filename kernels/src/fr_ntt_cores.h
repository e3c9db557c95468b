/* The hot loops of the Fr transforms, written once and instantiated by fr_fft.c for each
 * multiplication: the portable C one, and on x86-64 the BMI2/ADX one chosen at run time.
 * Internal to the kernels; no include guard on purpose. Before including, define
 *   FR_CORE(name)      the name of each instantiated function (e.g. portable_##name)
 *   FR_CORE_MULTIPLY   the Montgomery multiplication to inline
 * Semantics of the cores are documented in fr_ntt.h. */

/* Gentleman-Sande butterfly: (a, b) <- (a + b, (a - b) * w). */
static inline void FR_CORE(butterfly_frequency)(fr_element *a, fr_element *b, const fr_element *twiddle) {
    fr_element difference;
    fr_subtract(&difference, a, b);
    fr_add(a, a, b);
    FR_CORE_MULTIPLY(b, &difference, twiddle);
}

/* Cooley-Tukey butterfly: (a, b) <- (a + b * w, a - b * w). */
static inline void FR_CORE(butterfly_time)(fr_element *a, fr_element *b, const fr_element *twiddle) {
    fr_element product;
    FR_CORE_MULTIPLY(&product, b, twiddle);
    fr_subtract(b, a, &product);
    fr_add(a, a, &product);
}

/* Both butterflies with w = 1, the first of every group: no multiplication. */
static inline void FR_CORE(butterfly_unit)(fr_element *a, fr_element *b) {
    fr_element sum;
    fr_add(&sum, a, b);
    fr_subtract(b, a, b);
    *a = sum;
}

static void FR_CORE(natural_to_reversed)(fr_element *values, size_t n, const fr_element *twiddles, size_t stride) {
    for (size_t half = n / 2; half > 0; half /= 2) {
        const size_t step = stride * (n / (2 * half));
        for (size_t start = 0; start < n; start += 2 * half) {
            fr_element *upper = values + start, *lower = values + start + half;
            FR_CORE(butterfly_unit)(&upper[0], &lower[0]);
            for (size_t j = 1; j < half; j++) {
                FR_CORE(butterfly_frequency)(&upper[j], &lower[j], &twiddles[j * step]);
            }
        }
    }
}

static void FR_CORE(reversed_to_natural)(fr_element *values, size_t n, const fr_element *twiddles, size_t stride) {
    for (size_t half = 1; half < n; half *= 2) {
        const size_t step = stride * (n / (2 * half));
        for (size_t start = 0; start < n; start += 2 * half) {
            fr_element *upper = values + start, *lower = values + start + half;
            FR_CORE(butterfly_unit)(&upper[0], &lower[0]);
            for (size_t j = 1; j < half; j++) {
                FR_CORE(butterfly_time)(&upper[j], &lower[j], &twiddles[j * step]);
            }
        }
    }
}

static void FR_CORE(multiply_pointwise)(fr_element *values, const fr_element *factors, size_t n) {
    for (size_t i = 0; i < n; i++) {
        FR_CORE_MULTIPLY(&values[i], &values[i], &factors[i]);
    }
}

static void FR_CORE(scale)(fr_element *values, size_t n, const fr_element *factor) {
    for (size_t i = 0; i < n; i++) {
        FR_CORE_MULTIPLY(&values[i], &values[i], factor);
    }
}

/* powers[j] = first * ratio^j: four interleaved chains (step ratio^4) so that consecutive
 * multiplications do not wait for each other. */
static void FR_CORE(fill_powers)(fr_element *powers, size_t count, const fr_element *first, const fr_element *ratio) {
    enum { CHAINS = 4 };
    if (count == 0) {
        return;
    }
    powers[0] = *first;
    for (size_t j = 1; j < count && j < CHAINS; j++) {
        FR_CORE_MULTIPLY(&powers[j], &powers[j - 1], ratio);
    }
    fr_element step = *ratio;
    for (int i = 1; i < CHAINS; i++) {
        FR_CORE_MULTIPLY(&step, &step, ratio);
    }
    for (size_t j = CHAINS; j < count; j++) {
        FR_CORE_MULTIPLY(&powers[j], &powers[j - CHAINS], &step);
    }
}
