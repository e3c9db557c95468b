/* BLS12-381 G1: point (de)compression, prepared bases, and multi-scalar multiplication (MSM).
 *
 * Caller-owned buffers, int return codes (KERNEL_* from src/errors.h); no Python here. The MSM is
 * Pippenger's bucket method with signed window digits and batched affine bucket additions (one field
 * inversion shared by a batch of additions, Montgomery's trick), as blst (`blst_p1s_mult_pippenger`)
 * and arkworks (`ark_ec::scalar_mul::variable_base`) do; results are byte-identical to arkworks.
 *
 * Encodings (zcash / arkworks `G1Affine` serialisation):
 * - compressed point: 48 bytes, x big-endian with flags in the top 3 bits of byte 0: 0x80 compressed
 *   (always set), 0x40 infinity (then every other bit is zero), 0x20 "y is the larger of y, p - y";
 * - uncompressed point: 96 bytes, x then y big-endian without flags; all zero is the identity
 *   (py-arkworks `G1Point.to_xy_bytes_be`);
 * - scalar: 32 bytes big-endian, canonical (< r);
 * - prepared base (g1_affine): x, y in Montgomery form, 6 little-endian limbs each; (0, 0), which is
 *   not on the curve, stands for the identity. */
#ifndef AUTONOMYS_G1_H
#define AUTONOMYS_G1_H

#include <stddef.h>
#include <stdint.h>

#define G1_COMPRESSED_BYTES 48
#define G1_UNCOMPRESSED_BYTES 96
#define G1_SCALAR_BYTES 32
#define G1_FP_LIMBS 6
#define G1_MAX_THREADS 64
/* The largest MSM (number of bases) one call takes. */
#define G1_MAX_POINTS ((size_t)1 << 26)

typedef struct g1_fp {
    uint64_t limbs[G1_FP_LIMBS];
} g1_fp;

typedef struct g1_affine {
    g1_fp x, y;
} g1_affine;

/** 1 when `point` is the identity ((0, 0)). */
int g1_is_identity(const g1_affine *point);

/**
 * Decode `count` compressed points into prepared bases.
 * @param subgroup_check non-zero: also require [r]P = O (slow: ~0.2 ms a point)
 * @param bad_index set to the index of the first invalid point on KERNEL_ERR_INVALID_ARGUMENT
 */
int g1_prepare_compressed(const uint8_t *points, size_t count, g1_affine *out, int subgroup_check, size_t *bad_index);

/** As g1_prepare_compressed for 96-byte uncompressed points (on-curve always checked). */
int g1_prepare_uncompressed(const uint8_t *points, size_t count, g1_affine *out, int subgroup_check,
                            size_t *bad_index);

/** The 48-byte compressed encoding of a prepared base. */
void g1_compress(const g1_affine *point, uint8_t out[G1_COMPRESSED_BYTES]);

/**
 * out = sum_i scalars[i] * bases[i], compressed.
 * @param scalars count canonical 32-byte big-endian scalars
 * @param threads 1..G1_MAX_THREADS worker threads (the windows are shared out among them)
 * @param bad_index set to the index of the first non-canonical scalar on KERNEL_ERR_INVALID_ARGUMENT
 * @return KERNEL_OK, KERNEL_ERR_INVALID_ARGUMENT or KERNEL_ERR_NO_MEMORY
 */
int g1_msm(const g1_affine *bases, const uint8_t *scalars, size_t count, unsigned threads,
           uint8_t out[G1_COMPRESSED_BYTES], size_t *bad_index);

/* From this many points g1_msm uses the GLV endomorphism (2n half-length scalars, half the windows). */
#define G1_ENDOMORPHISM_MIN_POINTS 1024 /* measured: a gain from 2^10 points, a loss at 2^7..2^8 */

/**
 * As g1_msm with the choices forced, for tests and tuning: `window` the Pippenger window width (1..16;
 * 0 chooses by count), `endomorphism` 1 to split scalars by the GLV endomorphism, 0 not to, -1 by count.
 */
int g1_msm_configured(const g1_affine *bases, const uint8_t *scalars, size_t count, unsigned threads,
                      unsigned window, int endomorphism, uint8_t out[G1_COMPRESSED_BYTES], size_t *bad_index);

/**
 * Synthetic division in Fr: the `count - 1` coefficients of (p(X) - p(point)) / (X - point), where
 * p has `count` >= 1 canonical big-endian coefficients (subspace-kzg `Kzg::create_witness`).
 * @param bad_index set to the first non-canonical coefficient (count: the point) on KERNEL_ERR_INVALID_ARGUMENT
 */
int g1_fr_divide_by_linear(const uint8_t *coefficients, size_t count, const uint8_t point[G1_SCALAR_BYTES],
                           uint8_t *quotient, size_t *bad_index);

#endif
