/* The GLV endomorphism of G1 (Gallant-Lambert-Vanstone; blst `ptype##s_mult_pippenger` does without it,
 * arkworks `GLVConfig` for BLS12-381 G1 uses it): phi(x, y) = (beta x, y), beta a cube root of unity in Fp,
 * acts on G1 as multiplication by lambda = z^2 - 1 (z the BLS parameter), a 128-bit cube root of unity
 * mod r. Since r = lambda^2 + lambda + 1, k = k1 + lambda k2 with k2 = k div lambda and k1 = k mod lambda,
 * both below 2^128 (no lattice reduction needed), so an MSM of n 255-bit scalars becomes one of 2n
 * 128-bit scalars over P_i and phi(P_i): the same number of bucket additions, half the windows to sum. */
#include "g1_field.h"

__extension__ typedef unsigned __int128 g1_glv_wide;

static const uint64_t LAMBDA[2] = {0x00000000ffffffffu, 0xac45a4010001a402u};
/* floor(2^384 / lambda), for the Barrett quotient k div lambda. */
static const uint64_t LAMBDA_RECIPROCAL[5] = {0xda5e4f8d896c72ddu, 0x389f49a7268bf7a3u, 0x63f6e522f6cfee30u,
                                              0x7c6becf1e01faaddu, 0x0000000000000001u};
/* beta (Montgomery form) with phi(P) = [lambda]P on G1 (checked against [lambda]G in kernels/tests/g1_check.c). */
static const g1_fp BETA = {{0xcd03c9e48671f071u, 0x5dab22461fcda5d2u, 0x587042afd3851b95u, 0x8eb60ebe01bacb9eu,
                            0x03f97d6e83d050d2u, 0x18f0206554638741u}};

/* 1 when the 4-limb value is >= lambda. */
static int at_least_lambda(const uint64_t value[4]) {
    if (value[3] != 0 || value[2] != 0) {
        return 1;
    }
    return value[1] != LAMBDA[1] ? value[1] > LAMBDA[1] : value[0] >= LAMBDA[0];
}

static void subtract_lambda(uint64_t value[4]) {
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        g1_glv_wide difference = (g1_glv_wide)value[i] - (i < 2 ? LAMBDA[i] : 0) - borrow;
        value[i] = (uint64_t)difference;
        borrow = (uint64_t)(difference >> 64) & 1u;
    }
}

/* k1 = k mod lambda, k2 = k div lambda (k < r). */
static void split_scalar(const uint64_t k[4], uint64_t k1[4], uint64_t k2[4]) {
    uint64_t product[9] = {0};
    for (int i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 5; j++) {
            g1_glv_wide t = (g1_glv_wide)k[i] * LAMBDA_RECIPROCAL[j] + product[i + j] + carry;
            product[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        product[i + 5] = carry;
    }
    uint64_t quotient[3] = {product[6], product[7], product[8]}; /* at most the true quotient */
    uint64_t multiple[5] = {0}; /* quotient * lambda <= k */
    for (int i = 0; i < 3; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 2; j++) {
            g1_glv_wide t = (g1_glv_wide)quotient[i] * LAMBDA[j] + multiple[i + j] + carry;
            multiple[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        multiple[i + 2] = carry;
    }
    uint64_t remainder[4], borrow = 0;
    for (int i = 0; i < 4; i++) {
        g1_glv_wide difference = (g1_glv_wide)k[i] - multiple[i] - borrow;
        remainder[i] = (uint64_t)difference;
        borrow = (uint64_t)(difference >> 64) & 1u;
    }
    while (at_least_lambda(remainder)) {
        subtract_lambda(remainder);
        if (++quotient[0] == 0 && ++quotient[1] == 0) {
            quotient[2]++;
        }
    }
    k1[0] = remainder[0];
    k1[1] = remainder[1];
    k2[0] = quotient[0];
    k2[1] = quotient[1];
    k1[2] = k1[3] = k2[2] = k2[3] = 0;
}

void g1_glv_split(const uint64_t (*limbs)[4], const g1_affine *bases, size_t count, uint64_t (*split)[4],
                  g1_affine *split_bases) {
    for (size_t i = 0; i < count; i++) {
        split_scalar(limbs[i], split[i], split[count + i]);
        split_bases[i] = bases[i];
        g1_fp_mul(&split_bases[count + i].x, &bases[i].x, &BETA);
        split_bases[count + i].y = bases[i].y;
    }
}
