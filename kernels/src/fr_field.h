/* BLS12-381 scalar field arithmetic: Montgomery form (R = 2^256) on 4 little-endian 64-bit limbs.
 * Internal to the kernels. Add, subtract and multiply are inline so the transform loops see
 * through them; every value is kept fully reduced (< r). Portable C here; on x86-64 with GNU C,
 * fr_add / fr_subtract use the assembly of fr_field_x86.h, which also provides fr_multiply_adx
 * for the transform cores (chosen at run time; define FR_PORTABLE_ONLY to build without assembly).
 *
 * Linear maps skip the Montgomery conversions: multiplying a plain value x by a constant c held
 * in Montgomery form (cR) gives cR * x / R = c * x, again plain. So the transforms load scalars as
 * they are, multiply them only by Montgomery constants (roots, scale factors) and store the result. */
#ifndef AUTONOMYS_FR_FIELD_H
#define AUTONOMYS_FR_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include "fr.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(FR_PORTABLE_ONLY)
#define FR_HAVE_X86_64_ASM 1
#endif

__extension__ typedef unsigned __int128 fr_wide; /* __extension__: no -pedantic warning */

/* r, and -r^-1 mod 2^64 for the Montgomery reduction. */
static const fr_element FR_MODULUS = {{0xffffffff00000001u, 0x53bda402fffe5bfeu, 0x3339d80809a1d805u,
                                       0x73eda753299d7d48u}};
static const uint64_t FR_MODULUS_INVERSE = 0xfffffffeffffffffu;

static inline uint64_t fr_low(fr_wide value) { return (uint64_t)value; }
static inline uint64_t fr_high(fr_wide value) { return (uint64_t)(value >> 64); }

/* 1 when a >= b as 256-bit integers. */
static inline int fr_greater_or_equal(const uint64_t a[4], const uint64_t b[4]) {
    for (int i = 3; i >= 0; i--) {
        if (a[i] != b[i]) {
            return a[i] > b[i];
        }
    }
    return 1;
}

/* out = a - b over 4 limbs; @return the borrow out of the top limb (0 or 1). */
static inline uint64_t fr_subtract_limbs(uint64_t out[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        fr_wide difference = (fr_wide)a[i] - b[i] - borrow;
        out[i] = fr_low(difference);
        borrow = fr_high(difference) & 1u;
    }
    return borrow;
}

/* Bring t (< 2r) into [0, r) and store it. Branch-free: the borrow is random in the transforms,
 * and a mispredicted branch costs as much as the subtraction. */
static inline void fr_reduce_once(fr_element *out, const uint64_t t[4]) {
    uint64_t reduced[4];
    uint64_t keep = 0u - fr_subtract_limbs(reduced, t, FR_MODULUS.limbs); /* all ones when t < r */
    for (int i = 0; i < 4; i++) {
        out->limbs[i] = (t[i] & keep) | (reduced[i] & ~keep);
    }
}

static inline void fr_add_portable(fr_element *out, const fr_element *a, const fr_element *b) {
    uint64_t sum[4];
    fr_wide carry = 0;
    for (int i = 0; i < 4; i++) {
        carry = (fr_wide)a->limbs[i] + b->limbs[i] + fr_high(carry);
        sum[i] = fr_low(carry);
    }
    fr_reduce_once(out, sum); /* a + b < 2r < 2^256: no carry leaves the top limb */
}

static inline void fr_subtract_portable(fr_element *out, const fr_element *a, const fr_element *b) {
    uint64_t difference[4];
    uint64_t add_back = 0u - fr_subtract_limbs(difference, a->limbs, b->limbs); /* all ones when a < b */
    fr_wide carry = 0;
    for (int i = 0; i < 4; i++) {
        carry = (fr_wide)difference[i] + (FR_MODULUS.limbs[i] & add_back) + fr_high(carry);
        out->limbs[i] = fr_low(carry);
    }
}

/* Montgomery product a * b / R mod r: CIOS with the "no-carry" shortcut, valid because the top limb
 * of r is below (2^64 - 1) / 2 - 1, so the running total never needs a fifth limb. Portable; the
 * transform loops use fr_multiply_adx instead when the CPU has BMI2 and ADX (fr_fft.c). */
static inline void fr_multiply(fr_element *out, const fr_element *a, const fr_element *b) {
    uint64_t t[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        fr_wide product = (fr_wide)a->limbs[0] * b->limbs[i] + t[0];
        uint64_t carry_product = fr_high(product);
        uint64_t low = fr_low(product);
        uint64_t m = low * FR_MODULUS_INVERSE;
        uint64_t carry_reduce = fr_high((fr_wide)m * FR_MODULUS.limbs[0] + low);
        for (int j = 1; j < 4; j++) {
            product = (fr_wide)a->limbs[j] * b->limbs[i] + t[j] + carry_product;
            carry_product = fr_high(product);
            fr_wide reduce = (fr_wide)m * FR_MODULUS.limbs[j] + fr_low(product) + carry_reduce;
            carry_reduce = fr_high(reduce);
            t[j - 1] = fr_low(reduce);
        }
        t[3] = carry_product + carry_reduce;
    }
    fr_reduce_once(out, t);
}

#if defined(FR_HAVE_X86_64_ASM)
#include "fr_field_x86.h"
#endif

static inline void fr_add(fr_element *out, const fr_element *a, const fr_element *b) {
#if defined(FR_HAVE_X86_64_ASM)
    fr_add_x86(out, a, b);
#else
    fr_add_portable(out, a, b);
#endif
}

static inline void fr_subtract(fr_element *out, const fr_element *a, const fr_element *b) {
#if defined(FR_HAVE_X86_64_ASM)
    fr_subtract_x86(out, a, b);
#else
    fr_subtract_portable(out, a, b);
#endif
}

static inline int fr_is_zero(const fr_element *a) {
    return (a->limbs[0] | a->limbs[1] | a->limbs[2] | a->limbs[3]) == 0;
}

static inline void fr_set_zero(fr_element *out) {
    for (int i = 0; i < 4; i++) {
        out->limbs[i] = 0;
    }
}

static inline void fr_negate(fr_element *out, const fr_element *a) {
    fr_element zero;
    fr_set_zero(&zero);
    fr_subtract(out, &zero, a);
}

static inline uint64_t fr_load_big_endian_u64(const uint8_t bytes[8]) {
    return (uint64_t)bytes[0] << 56 | (uint64_t)bytes[1] << 48 | (uint64_t)bytes[2] << 40 | (uint64_t)bytes[3] << 32 |
           (uint64_t)bytes[4] << 24 | (uint64_t)bytes[5] << 16 | (uint64_t)bytes[6] << 8 | (uint64_t)bytes[7];
}

static inline void fr_store_big_endian_u64(uint8_t bytes[8], uint64_t value) {
    for (int i = 7; i >= 0; i--) {
        bytes[i] = (uint8_t)value;
        value >>= 8;
    }
}

/** Parse 32 big-endian bytes into plain limbs. @return 0, or -1 when the value is not < r. */
static inline int fr_load_plain(fr_element *out, const uint8_t bytes[FR_SCALAR_BYTES]) {
    for (int limb = 0; limb < 4; limb++) {
        out->limbs[limb] = fr_load_big_endian_u64(bytes + 8 * (3 - limb));
    }
    return fr_greater_or_equal(out->limbs, FR_MODULUS.limbs) ? -1 : 0;
}

/** Write plain limbs as 32 big-endian bytes. */
static inline void fr_store_plain(uint8_t bytes[FR_SCALAR_BYTES], const fr_element *value) {
    for (int limb = 0; limb < 4; limb++) {
        fr_store_big_endian_u64(bytes + 8 * (3 - limb), value->limbs[limb]);
    }
}

/* Functions of fr.c: constants, conversions to and from Montgomery form, exponentiation. All values
 * below are in Montgomery form unless the name says plain. */
/** The Montgomery form of a small integer. */
void fr_from_u64(fr_element *out, uint64_t value);
void fr_one(fr_element *out);
/** The plain value of a Montgomery element. */
void fr_to_plain(fr_element *out, const fr_element *value);
/** base^exponent, the exponent as 4 little-endian limbs. */
void fr_power(fr_element *out, const fr_element *base, const uint64_t exponent[4]);
/** a^-1 by Fermat (a^(r-2)); a must be non-zero. */
void fr_inverse(fr_element *out, const fr_element *a);
/** 2^-log2_value, by repeated halving: cheaper than an inversion. */
void fr_inverse_power_of_two(fr_element *out, unsigned log2_value);
/** Replace each of `count` non-zero values by its inverse with one inversion; `prefix` holds `count` elements. */
void fr_batch_inverse(fr_element *values, size_t count, fr_element *prefix);
/** omega_(2^log2_size), log2_size <= FR_TWO_ADICITY. */
void fr_root_of_unity_element(fr_element *out, unsigned log2_size);
/** 7, the multiplicative generator used for omega and for the coset of the recovery. */
void fr_generator(fr_element *out);

#endif
