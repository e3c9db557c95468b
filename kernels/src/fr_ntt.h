/* Building blocks of the Fr transforms, shared by fr_fft.c (NTT, extend) and fr_recover.c.
 * Internal to the kernels. Element arrays are caller scratch; nothing here allocates.
 *
 * The two radix-2 cores compute the same transform, X[i] = sum_j x[j] * w^(i*j) for the root w
 * whose powers are in `twiddles`, and differ only in the order of their input and output:
 *   natural_to_reversed (decimation in frequency): natural input, bit-reversed output;
 *   reversed_to_natural (decimation in time):      bit-reversed input, natural output.
 * Chaining one into the other with a pointwise step in between needs no permutation at all.
 * `twiddles` holds w_N^j for j < N/2 of a domain N >= n; `stride` = N / n selects w_n = w_N^stride.
 * The loops below (all but fr_bit_reverse_permute and the loads) dispatch to the fastest
 * multiplication the CPU has (fr_fft.c). */
#ifndef AUTONOMYS_FR_NTT_H
#define AUTONOMYS_FR_NTT_H

#include <stddef.h>

#include "fr_field.h"

/** @return 0 and s in *log2_size when n = 2^s with s <= max_log2, else -1. */
int fr_log2_of_size(size_t n, unsigned max_log2, unsigned *log2_size);

/** powers[j] = first * ratio^j for j < count. */
void fr_fill_powers(fr_element *powers, size_t count, const fr_element *first, const fr_element *ratio);

/** The n/2 twiddles of the n-point domain: omega_n^j, or omega_n^-j when `inverse` is non-zero. */
void fr_fill_twiddles(fr_element *twiddles, size_t n, int inverse);

void fr_ntt_natural_to_reversed(fr_element *values, size_t n, const fr_element *twiddles, size_t stride);
void fr_ntt_reversed_to_natural(fr_element *values, size_t n, const fr_element *twiddles, size_t stride);

/** Swap values[i] and values[bit_reverse(i)] for every i of the n = 2^s points. */
void fr_bit_reverse_permute(fr_element *values, size_t n);

/** values[i] *= factors[i] for i < n. */
void fr_multiply_pointwise(fr_element *values, const fr_element *factors, size_t n);

/** values[i] *= factor for i < n. */
void fr_scale(fr_element *values, size_t n, const fr_element *factor);

/** Load `count` big-endian scalars as plain limbs. @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT (not < r). */
int fr_load_scalars(fr_element *values, const uint8_t *bytes, size_t count);
void fr_store_scalars(uint8_t *bytes, const fr_element *values, size_t count);

/** As fr_load_scalars / fr_store_scalars, with scalar i at byte offset i * stride (stride >= 32):
 * a column gathered from, or scattered to, records stored one after another. */
int fr_load_scalars_strided(fr_element *values, const uint8_t *bytes, size_t count, size_t stride);
void fr_store_scalars_strided(uint8_t *bytes, const fr_element *values, size_t count, size_t stride);

#endif
