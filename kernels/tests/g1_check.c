/* Standalone check of the G1 kernel without Python: built with -Werror by tests/kernels/test_g1_msm.py,
 * once as is and once with -DG1_PORTABLE_ONLY. Known points ([1]G, [2]G), compression round trips,
 * MSM self-consistency (sum s_i * [i+1]G against one multiplication [sum (i+1) s_i]G, the scalar
 * summed in Fr), every thread count and window agreeing, bad arguments, and a digest of results that
 * must be the same for both builds. */
#include <stdio.h>
#include <string.h>

#include "../include/g1.h"
#include "../src/errors.h"
#include "../src/fr_field.h"
#include "../src/g1_field.h"

#define COUNT 700

static const uint8_t GENERATOR[48] = {
    0x97, 0xf1, 0xd3, 0xa7, 0x31, 0x97, 0xd7, 0x94, 0x26, 0x95, 0x63, 0x8c, 0x4f, 0xa9, 0xac, 0x0f,
    0xc3, 0x68, 0x8c, 0x4f, 0x97, 0x74, 0xb9, 0x05, 0xa1, 0x4e, 0x3a, 0x3f, 0x17, 0x1b, 0xac, 0x58,
    0x6c, 0x55, 0xe8, 0x3f, 0xf9, 0x7a, 0x1a, 0xef, 0xfb, 0x3a, 0xf0, 0x0a, 0xdb, 0x22, 0xc6, 0xbb};
static const uint8_t DOUBLE_GENERATOR[48] = {
    0xa5, 0x72, 0xcb, 0xea, 0x90, 0x4d, 0x67, 0x46, 0x88, 0x08, 0xc8, 0xeb, 0x50, 0xa9, 0x45, 0x0c,
    0x97, 0x21, 0xdb, 0x30, 0x91, 0x28, 0x01, 0x25, 0x43, 0x90, 0x2d, 0x0a, 0xc3, 0x58, 0xa6, 0x2a,
    0xe2, 0x8f, 0x75, 0xbb, 0x8f, 0x1c, 0x7c, 0x42, 0xc3, 0x9a, 0x8c, 0x55, 0x29, 0xbf, 0x0f, 0x4e};

static g1_affine bases[COUNT];
static uint8_t scalars[COUNT * G1_SCALAR_BYTES], compressed[COUNT * G1_COMPRESSED_BYTES];
static int failures = 0;

static void check(int condition, const char *what) {
    if (!condition) {
        printf("failed: %s\n", what);
        failures++;
    }
}

static uint64_t next_random(uint64_t *state) { /* xorshift64 */
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* Scalars below 2^254 < r, and their sum weighted by i + 1 in Fr. */
static void fill_scalars(fr_element *weighted_sum) {
    uint64_t state = 0x9e3779b97f4a7c15u;
    fr_element sum = {{0, 0, 0, 0}}, one_r2 = {{0xc999e990f3f29c6du, 0x2b6cedcb87925c23u, 0x05d314967254398fu,
                                                0x0748d9d99f59ff11u}};
    for (size_t i = 0; i < COUNT; i++) {
        uint8_t *bytes = scalars + i * G1_SCALAR_BYTES;
        for (size_t k = 0; k < G1_SCALAR_BYTES; k++) {
            bytes[k] = (uint8_t)next_random(&state);
        }
        bytes[0] &= 0x3f;
        fr_element value, weight = {{i + 1, 0, 0, 0}};
        fr_load_plain(&value, bytes);
        fr_multiply(&weight, &weight, &one_r2); /* Montgomery form of i + 1: value * weight / R is plain */
        fr_multiply(&value, &value, &weight);
        fr_add(&sum, &sum, &value);
    }
    *weighted_sum = sum;
}

/* bases[i] = [i + 1]G. */
static void fill_bases(void) {
    size_t bad = 0;
    check(g1_prepare_compressed(GENERATOR, 1, &bases[0], 1, &bad) == KERNEL_OK, "generator decodes");
    g1_xyzz sum;
    g1_xyzz_from_affine(&sum, &bases[0]);
    for (size_t i = 1; i < COUNT; i++) {
        g1_xyzz_add_affine(&sum, &bases[0], 0);
        g1_xyzz_to_affine(&bases[i], &sum);
    }
}

static void check_points(void) {
    uint8_t out[G1_COMPRESSED_BYTES];
    g1_compress(&bases[0], out);
    check(memcmp(out, GENERATOR, 48) == 0, "[1]G compresses back");
    g1_compress(&bases[1], out);
    check(memcmp(out, DOUBLE_GENERATOR, 48) == 0, "[2]G known answer");
    for (size_t i = 0; i < COUNT; i++) {
        g1_compress(&bases[i], compressed + i * G1_COMPRESSED_BYTES);
    }
    static g1_affine decoded[COUNT];
    size_t bad = 0;
    check(g1_prepare_compressed(compressed, COUNT, decoded, 0, &bad) == KERNEL_OK, "compressed points decode");
    check(memcmp(decoded, bases, sizeof bases) == 0, "compression round trip");
    check(g1_prepare_compressed(compressed, 8, decoded, 1, &bad) == KERNEL_OK, "multiples of G are in G1");
    uint8_t broken[48];
    memcpy(broken, GENERATOR, 48);
    broken[47] ^= 1; /* x + 1: not on the curve, or a point off the subgroup */
    int status = g1_prepare_compressed(broken, 1, decoded, 1, &bad);
    check(status == KERNEL_ERR_INVALID_ARGUMENT && bad == 0, "a changed x is rejected");
    broken[0] &= 0x7f;
    check(g1_prepare_compressed(GENERATOR, 1, decoded, 1, &bad) == KERNEL_OK, "generator still decodes");
    check(g1_prepare_compressed(broken, 1, decoded, 0, &bad) != KERNEL_OK, "no compression flag is rejected");
}

static void check_field(void) {
    g1_fp a = G1_FP_ONE, inverse, product, root;
    a.limbs[0] ^= 0x1234567u;
    g1_fp_inv(&inverse, &a);
    g1_fp_mul(&product, &a, &inverse);
    check(g1_fp_equal(&product, &G1_FP_ONE), "a * a^-1 = 1");
    g1_fp_sqr(&product, &a);
    check(g1_fp_sqrt(&root, &product) && (g1_fp_equal(&root, &a) || (g1_fp_neg(&root, &root), g1_fp_equal(&root, &a))),
          "sqrt(a^2) = +-a");
}

/* phi(G) = (beta x, y) is [lambda]G, lambda = z^2 - 1 = 0xac45a4010001a40200000000ffffffff. */
static void check_endomorphism(void) {
    uint8_t lambda[32] = {0}, expected[48], image[48];
    const uint8_t lambda_bytes[16] = {0xac, 0x45, 0xa4, 0x01, 0x00, 0x01, 0xa4, 0x02,
                                      0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff};
    memcpy(lambda + 16, lambda_bytes, 16);
    size_t bad = 0;
    check(g1_msm_configured(bases, lambda, 1, 1, 0, 0, expected, &bad) == KERNEL_OK, "[lambda]G");
    uint64_t limbs[1][4] = {{1, 0, 0, 0}}, split[2][4];
    g1_affine split_bases[2];
    g1_glv_split((const uint64_t(*)[4])limbs, bases, 1, split, split_bases);
    g1_compress(&split_bases[1], image);
    check(memcmp(image, expected, 48) == 0, "phi(G) = [lambda]G");
    check(split[0][0] == 1 && split[1][0] == 0, "1 = 1 + lambda * 0");
}

static unsigned digest = 2166136261u;

static void add_to_digest(const uint8_t *bytes, size_t length) { /* FNV-1a */
    for (size_t i = 0; i < length; i++) {
        digest = (digest ^ bytes[i]) * 16777619u;
    }
}

static void check_msm(const fr_element *weighted_sum) {
    uint8_t expected[48], out[48], total[32];
    size_t bad = 0;
    fr_store_plain(total, weighted_sum);
    check(g1_msm(bases, total, 1, 1, expected, &bad) == KERNEL_OK, "one-point msm");
    const size_t sizes[] = {COUNT, 1, 2, 3, 64, 513};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        check(g1_msm(bases, scalars, sizes[s], 1, out, &bad) == KERNEL_OK, "msm runs");
        add_to_digest(out, 48);
    }
    check(g1_msm(bases, scalars, COUNT, 1, out, &bad) == KERNEL_OK && memcmp(out, expected, 48) == 0,
          "msm = [sum (i+1) s_i]G");
    for (unsigned threads = 2; threads <= 5; threads++) {
        check(g1_msm(bases, scalars, COUNT, threads, out, &bad) == KERNEL_OK && memcmp(out, expected, 48) == 0,
              "every thread count agrees");
    }
    for (int endomorphism = 0; endomorphism <= 1; endomorphism++) {
        for (unsigned window = 1; window <= 16; window++) {
            check(g1_msm_configured(bases, scalars, COUNT, 2, window, endomorphism, out, &bad) == KERNEL_OK &&
                      memcmp(out, expected, 48) == 0,
                  "every window agrees, with and without the endomorphism");
        }
    }
    check(g1_msm(bases, scalars, 0, 1, out, &bad) == KERNEL_OK && out[0] == 0xc0, "empty msm is the identity");
    uint8_t saved = scalars[G1_SCALAR_BYTES * 5];
    scalars[G1_SCALAR_BYTES * 5] = 0xff;
    check(g1_msm(bases, scalars, COUNT, 1, out, &bad) == KERNEL_ERR_INVALID_ARGUMENT && bad == 5,
          "non-canonical scalar 5 rejected");
    scalars[G1_SCALAR_BYTES * 5] = saved;
    check(g1_msm(bases, scalars, COUNT, 0, out, &bad) == KERNEL_ERR_INVALID_ARGUMENT, "0 threads rejected");
    check(g1_msm_configured(bases, scalars, COUNT, 1, 17, -1, out, &bad) == KERNEL_ERR_INVALID_ARGUMENT,
          "window 17 rejected");
}

int main(void) {
    fr_element weighted_sum;
    fill_bases();
    fill_scalars(&weighted_sum);
    check_field();
    check_points();
    check_msm(&weighted_sum);
    check_endomorphism();
    printf("digest %08x\n", digest);
    printf("%d passed, %d failed\n", failures == 0, failures);
    return failures == 0 ? 0 : 1;
}
