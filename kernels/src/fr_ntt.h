/* Building blocks of the Fr transforms, shared by fr_fft.c (NTT, extend) and fr_recover.c.
 * Internal to the kernels. Element arrays are caller scratch; nothing here allocates.
 *
 * The two radix-2 cores compute the same transform, X[i] = sum_j x[j] * w^(i*j) for the root w
 * whose powers are in `twiddles`, and differ only in the order of their input and output:
 *   natural_to_reversed (decimation in frequency): natural input, bit-reversed output;
 *   reversed_to_natural (decimation in time):      bit-reversed input, natural output.
 * Chaining one into the other with a pointwise step in between needs no permutation at all.
 * `twiddles` holds w_N^j for j < N/2 of a domain N >= n; `stride` = N / n selects w_n = w_N^stride.
 * The loops that multiply are built once per multiplication (fr_ntt_cores.h) and reached through the
 * fr_cores of the caller's backend (fr_select_cores in fr_fft.c). */
#ifndef AUTONOMYS_FR_NTT_H
#define AUTONOMYS_FR_NTT_H

#include <stddef.h>

#include "fr_field.h"

/** @return 0 and s in *log2_size when n = 2^s with s <= max_log2, else -1. */
int fr_log2_of_size(size_t n, unsigned max_log2, unsigned *log2_size);

/** The loops that multiply, all with one multiplication (one FR_BACKEND_*). */
typedef struct fr_cores {
    void (*natural_to_reversed)(fr_element *values, size_t n, const fr_element *twiddles, size_t stride);
    void (*reversed_to_natural)(fr_element *values, size_t n, const fr_element *twiddles, size_t stride);
    /** values[i] *= factors[i] for i < n. */
    void (*multiply_pointwise)(fr_element *values, const fr_element *factors, size_t n);
    /** values[i] *= factor for i < n. */
    void (*scale)(fr_element *values, size_t n, const fr_element *factor);
    /** powers[j] = first * ratio^j for j < count. */
    void (*fill_powers)(fr_element *powers, size_t count, const fr_element *first, const fr_element *ratio);
} fr_cores;

/** The cores of `backend` (FR_BACKEND_*, AUTO resolved) into *cores_out.
 * @return KERNEL_OK, KERNEL_ERR_INVALID_ARGUMENT (unknown backend) or KERNEL_ERR_BACKEND_UNAVAILABLE */
int fr_select_cores(int backend, const fr_cores **cores_out);

/** The n/2 twiddles of the n-point domain: omega_n^j, or omega_n^-j when `inverse` is non-zero. */
void fr_fill_twiddles(const fr_cores *cores, fr_element *twiddles, size_t n, int inverse);

/** Swap values[i] and values[bit_reverse(i)] for every i of the n = 2^s points. */
void fr_bit_reverse_permute(fr_element *values, size_t n);

/** Load `count` big-endian scalars as plain limbs. @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT (not < r). */
int fr_load_scalars(fr_element *values, const uint8_t *bytes, size_t count);
void fr_store_scalars(uint8_t *bytes, const fr_element *values, size_t count);

/** As fr_load_scalars / fr_store_scalars, with scalar i at byte offset i * stride (stride >= 32):
 * a column gathered from, or scattered to, records stored one after another. */
int fr_load_scalars_strided(fr_element *values, const uint8_t *bytes, size_t count, size_t stride);
void fr_store_scalars_strided(uint8_t *bytes, const fr_element *values, size_t count, size_t stride);

#endif
