/* BLS12-381 base field Fp (p = 0x1a0111ea...aaab, 381 bits) and G1 point formulas, internal to the G1
 * kernel (g1_fp.c, g1_msm.c). Elements are kept fully reduced in Montgomery form (R = 2^384) on 6
 * little-endian limbs. Not constant time: the kernel handles public data (commitments, setups). */
#ifndef AUTONOMYS_G1_FIELD_H
#define AUTONOMYS_G1_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include "g1.h"

extern const g1_fp G1_FP_ONE; /* 1 in Montgomery form */

void g1_fp_mul(g1_fp *out, const g1_fp *a, const g1_fp *b);
void g1_fp_sqr(g1_fp *out, const g1_fp *a);
void g1_fp_add(g1_fp *out, const g1_fp *a, const g1_fp *b);
void g1_fp_sub(g1_fp *out, const g1_fp *a, const g1_fp *b);
void g1_fp_neg(g1_fp *out, const g1_fp *a);
void g1_fp_double(g1_fp *out, const g1_fp *a);
/** a^-1 by Fermat (a^(p-2)); 0 maps to 0. */
void g1_fp_inv(g1_fp *out, const g1_fp *a);
/** A square root of a (a^((p+1)/4), p = 3 mod 4). @return 1 when a is a square, else 0. */
int g1_fp_sqrt(g1_fp *out, const g1_fp *a);
int g1_fp_is_zero(const g1_fp *a);
int g1_fp_equal(const g1_fp *a, const g1_fp *b);
/** Parse 48 big-endian bytes (top 3 bits masked off when `mask_flags`). @return 0, or -1 when not < p. */
int g1_fp_from_bytes(g1_fp *out, const uint8_t bytes[48], int mask_flags);
/** 48 big-endian bytes of the plain value. */
void g1_fp_to_bytes(uint8_t bytes[48], const g1_fp *a);
/** 1 when the plain value of a is > (p - 1) / 2 (arkworks: "lexicographically largest"). */
int g1_fp_is_largest(const g1_fp *a);
/** y^2 = x^3 + 4, the curve equation of G1. */
int g1_on_curve(const g1_affine *point);

/* A point in extended Jacobian coordinates (x = X/ZZ, y = Y/ZZZ, ZZ^3 = ZZZ^2); ZZ = 0 is the identity. */
typedef struct g1_xyzz {
    g1_fp x, y, zz, zzz;
} g1_xyzz;

void g1_xyzz_set_identity(g1_xyzz *point);
void g1_xyzz_from_affine(g1_xyzz *out, const g1_affine *point);
void g1_xyzz_double(g1_xyzz *point);
/** point += other (affine, not the identity; `negate`: += -other). */
void g1_xyzz_add_affine(g1_xyzz *point, const g1_affine *other, int negate);
void g1_xyzz_add(g1_xyzz *point, const g1_xyzz *other);
void g1_xyzz_to_affine(g1_affine *out, const g1_xyzz *point);

/** The GLV split (g1_glv.c): split[i], split[count + i] = k_i mod lambda, k_i div lambda (below 2^128), and
 * split_bases[i], split_bases[count + i] = P_i, phi(P_i) = (beta x_i, y_i). */
void g1_glv_split(const uint64_t (*limbs)[4], const g1_affine *bases, size_t count, uint64_t (*split)[4],
                  g1_affine *split_bases);

#endif
