/* BLS12-381 scalar field (Fr) transforms: radix-2 NTT and the erasure code of Subspace archiving.
 *
 * Caller-owned buffers, int return codes (KERNEL_* from src/errors.h); no Python here, no allocation.
 * r = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001.
 * Scalars on the wire are 32-byte big-endian and must be canonical (< r): anything else is
 * KERNEL_ERR_INVALID_ARGUMENT. Domains have n = 2^s points, omega_n = 7^((r-1)/n) mod r, in natural
 * order (no bit reversal): p(omega_n^i) = values[i].
 *
 * Every transform takes a scratch array of fr_element whose length is at least the matching
 * fr_*_scratch_count(); the output may be the same buffer as the input, but must not overlap it
 * partially. On error the output's contents are unspecified. Each transform's `backend` is one of
 * FR_BACKEND_*: an unknown one is KERNEL_ERR_INVALID_ARGUMENT, one this CPU lacks
 * KERNEL_ERR_BACKEND_UNAVAILABLE.
 */
#ifndef AUTONOMYS_FR_H
#define AUTONOMYS_FR_H

#include <stddef.h>
#include <stdint.h>

#define FR_SCALAR_BYTES 32
#define FR_MAX_THREADS 16 /* thread counts fr_recover_batch_threads accepts */
#define FR_MAX_LOG2_SIZE 16                        /* largest NTT / recover domain: 2^16 points */
#define FR_MAX_SIZE ((size_t)1 << FR_MAX_LOG2_SIZE)
#define FR_TWO_ADICITY 32                          /* 2^32 divides r - 1: the largest root of unity */

/** One scalar as 4 little-endian 64-bit limbs; the unit of scratch space. */
typedef struct fr_element {
    uint64_t limbs[4];
} fr_element;

/* Backends: which Montgomery multiplication the transform loops use. Every transform below takes one
 * first; the results are the same bytes whichever runs. */
#define FR_BACKEND_AUTO 0     /* the fastest of the two below this CPU runs */
#define FR_BACKEND_PORTABLE 1 /* the 4-limb multiplication in C: any CPU */
#define FR_BACKEND_BMI2_ADX 2 /* x86-64 mulx/adcx/adox assembly: needs BMI2 and ADX */
#define FR_BACKEND_COUNT 3

/** @return 1 when `backend` (FR_BACKEND_*) runs on this CPU, else 0. */
int fr_backend_available(int backend);

/** @return the backend AUTO resolves to on this CPU. */
int fr_best_backend(void);

/** @return the multiplication AUTO uses on this CPU: "x86-64 BMI2/ADX" or "portable C". */
const char *fr_arithmetic(void);

/**
 * omega_n = 7^((r-1)/n), the generator of the n-point domain.
 * @param n a power of two, 1 <= n <= 2^32
 * @param out 32 bytes, big-endian
 * @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT
 */
int fr_root_of_unity(uint64_t n, uint8_t out[FR_SCALAR_BYTES]);

/** @return the index of the first of `count` 32-byte scalars that is not < r, or `count` if all are. */
size_t fr_first_noncanonical(const uint8_t *scalars, size_t count);

/** @return the scratch elements fr_ntt / fr_intt need for n points (0 when n is not a valid size). */
size_t fr_ntt_scratch_count(size_t n);

/**
 * Forward NTT: coefficients -> evaluations, out[i] = sum_j values[j] * omega_n^(i*j).
 * @param backend one of FR_BACKEND_* (as every transform below)
 * @param values n scalars (n * 32 bytes); @param out n scalars
 * @param n a power of two, 1 <= n <= FR_MAX_SIZE
 * @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT (bad n, short scratch, non-canonical scalar)
 */
int fr_ntt(int backend, const uint8_t *values, uint8_t *out, size_t n, fr_element *scratch, size_t scratch_count);

/** Inverse NTT: evaluations -> coefficients; arguments and codes as fr_ntt. */
int fr_intt(int backend, const uint8_t *values, uint8_t *out, size_t n, fr_element *scratch, size_t scratch_count);

/** @return the scratch elements fr_extend / fr_extend_batch need for columns of n (0 when invalid). */
size_t fr_extend_scratch_count(size_t n);

/**
 * Erasure-code parity of one column (Subspace `ErasureCoding::extend`). The n source values are
 * evaluations of a polynomial of degree < n at the even points omega_2n^(2i); parity[i] is its value
 * at the odd point omega_2n^(2i+1), so [s0, p0, s1, p1, ...] is the full 2n-point evaluation.
 * @param n a power of two, 1 <= n <= FR_MAX_SIZE
 * @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT
 */
int fr_extend(int backend, const uint8_t *source, uint8_t *parity, size_t n, fr_element *scratch,
              size_t scratch_count);

/**
 * fr_extend on `column_count` columns stored one after another (column c is the n scalars at byte
 * offset c * n * 32); parity columns are written in the same layout. Roots are computed once.
 */
int fr_extend_batch(int backend, const uint8_t *columns, uint8_t *parity, size_t n, size_t column_count,
                    fr_element *scratch, size_t scratch_count);

/**
 * fr_extend of every chunk column of `num_records` records stored one after another (record-major:
 * chunk c of record j is the scalar at byte offset (j * chunks_per_record + c) * 32). The column of
 * chunk c across the records is extended, and chunk c of parity record j is that column's parity[j];
 * parity records are written in the same layout. The strided gather and scatter happen here, so a
 * caller holding whole records needs no transpose. Scratch as fr_extend_scratch_count(num_records).
 * @param num_records n, a power of two, 1 <= n <= FR_MAX_SIZE
 * @param chunks_per_record >= 1
 * @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT
 */
int fr_extend_records(int backend, const uint8_t *records, uint8_t *parity, size_t num_records,
                      size_t chunks_per_record, fr_element *scratch, size_t scratch_count);

/** @return the scratch elements fr_recover, fr_recover_batch and fr_recover_records need for `shard_count`
 * shards (0 when invalid). */
size_t fr_recover_scratch_count(size_t shard_count);

/**
 * Recover all 2n evaluations from any n or more of them (zero-polynomial method, as rust-kzg
 * `recover_poly_from_samples`).
 * @param shards shard_count scalars; absent ones are ignored (any bytes)
 * @param present shard_count bytes, non-zero where the shard is present
 * @param shard_count 2n, a power of two, 2 <= shard_count <= FR_MAX_SIZE
 * @param out shard_count scalars: the evaluations of the unique polynomial of degree < n
 * @return KERNEL_OK, or KERNEL_ERR_INVALID_ARGUMENT when fewer than n shards are present, a present
 *         scalar is non-canonical, or the present shards are not evaluations of one polynomial of degree < n
 */
int fr_recover(int backend, const uint8_t *shards, const uint8_t *present, size_t shard_count, uint8_t *out,
               fr_element *scratch, size_t scratch_count);

/**
 * fr_recover on `column_count` columns of shard_count scalars stored one after another, all with the
 * same presence mask; the zero polynomial and its inverses are computed once for the batch.
 */
int fr_recover_batch(int backend, const uint8_t *columns, const uint8_t *present, size_t shard_count,
                     size_t column_count, uint8_t *out, fr_element *scratch, size_t scratch_count);

/**
 * fr_recover_batch with each column's transforms split over two threads when `threads` >= 2 (the calling
 * thread and one started per split; more than 2 use 2): the same output as one thread.
 * @param threads 1..FR_MAX_THREADS
 * @return as fr_recover_batch; KERNEL_ERR_INVALID_ARGUMENT also for a bad thread count
 */
int fr_recover_batch_threads(int backend, const uint8_t *columns, const uint8_t *present, size_t shard_count,
                             size_t column_count, uint8_t *out, fr_element *scratch, size_t scratch_count,
                             unsigned threads);

/**
 * fr_recover of every chunk column of `num_records` (= shard_count) records stored one after another
 * (record-major, as fr_extend_records): record j is shard j of each column, and `present` has one flag
 * per record. Absent records are never read; `out` receives all num_records records in the same layout.
 * Scratch as fr_recover_scratch_count(num_records).
 * @param chunks_per_record >= 1
 * @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT (as fr_recover)
 */
int fr_recover_records(int backend, const uint8_t *records, const uint8_t *present, size_t num_records,
                       size_t chunks_per_record, uint8_t *out, fr_element *scratch, size_t scratch_count);

/**
 * The linear combination out[i] = sum_j coefficients[j] * records[j][i] over Fr (batch piece checks
 * commit to it once instead of once per record).
 * @param records num_records records of scalars_per_record big-endian scalars, one after another
 * @param coefficients num_records big-endian scalars
 * @param out scalars_per_record scalars
 * @param accumulator scalars_per_record elements of scratch
 * @return KERNEL_OK, or KERNEL_ERR_INVALID_ARGUMENT when a scalar or a coefficient is non-canonical
 */
int fr_combine_records(const uint8_t *records, const uint8_t *coefficients, size_t num_records,
                       size_t scalars_per_record, uint8_t *out, fr_element *accumulator);

#endif
