/* BLS12-381 scalar field: byte conversions, constants, exponentiation and inversion (the slow,
 * rarely called half of the arithmetic; the inline half is in fr_field.h). */
#include "errors.h"
#include "fr_field.h"

/* R^2 mod r, to enter Montgomery form. */
static const fr_element MONTGOMERY_R_SQUARED = {{0xc999e990f3f29c6du, 0x2b6cedcb87925c23u, 0x05d314967254398fu,
                                                 0x0748d9d99f59ff11u}};
/* r - 2, the Fermat exponent of the inverse. */
static const uint64_t INVERSE_EXPONENT[4] = {0xfffffffeffffffffu, 0x53bda402fffe5bfeu, 0x3339d80809a1d805u,
                                             0x73eda753299d7d48u};
/* (r + 1) / 2 = 1/2, plain. */
static const fr_element PLAIN_HALF = {{0x7fffffff80000001u, 0xa9ded2017fff2dffu, 0x199cec0404d0ec02u,
                                       0x39f6d3a994cebea4u}};
/* 7^((r - 1) / 2^32), plain: the root of unity of order 2^32, from which every smaller one is a square. */
static const fr_element PLAIN_ROOT_OF_UNITY_2_32 = {{0x3829971f439f0d2bu, 0xb63683508c2280b9u, 0xd09b681922c813b4u,
                                                     0x16a2a19edfe81f20u}};
static const uint64_t GENERATOR = 7;

static void to_montgomery(fr_element *out, const fr_element *plain) {
    fr_multiply(out, plain, &MONTGOMERY_R_SQUARED);
}

void fr_to_plain(fr_element *out, const fr_element *value) {
    const fr_element plain_one = {{1, 0, 0, 0}};
    fr_multiply(out, value, &plain_one);
}

void fr_from_u64(fr_element *out, uint64_t value) {
    const fr_element plain = {{value, 0, 0, 0}};
    to_montgomery(out, &plain);
}

void fr_one(fr_element *out) { fr_from_u64(out, 1); }

void fr_generator(fr_element *out) { fr_from_u64(out, GENERATOR); }

void fr_power(fr_element *out, const fr_element *base, const uint64_t exponent[4]) {
    fr_element result, square = *base;
    fr_one(&result);
    for (int limb = 0; limb < 4; limb++) {
        for (int bit = 0; bit < 64; bit++) {
            if ((exponent[limb] >> bit) & 1u) {
                fr_multiply(&result, &result, &square);
            }
            fr_multiply(&square, &square, &square);
        }
    }
    *out = result;
}

void fr_inverse(fr_element *out, const fr_element *a) { fr_power(out, a, INVERSE_EXPONENT); }

void fr_inverse_power_of_two(fr_element *out, unsigned log2_value) {
    fr_element half;
    to_montgomery(&half, &PLAIN_HALF);
    fr_one(out);
    for (unsigned i = 0; i < log2_value; i++) {
        fr_multiply(out, out, &half);
    }
}

/* Montgomery's trick: prefix[i] = v0 * ... * v(i-1); one inversion of the total; walk back. */
void fr_batch_inverse(fr_element *values, size_t count, fr_element *prefix) {
    fr_element running;
    fr_one(&running);
    for (size_t i = 0; i < count; i++) {
        prefix[i] = running;
        fr_multiply(&running, &running, &values[i]);
    }
    fr_inverse(&running, &running); /* now the inverse of the whole product */
    for (size_t i = count; i-- > 0;) {
        fr_element inverse;
        fr_multiply(&inverse, &running, &prefix[i]);
        fr_multiply(&running, &running, &values[i]);
        values[i] = inverse;
    }
}

void fr_root_of_unity_element(fr_element *out, unsigned log2_size) {
    to_montgomery(out, &PLAIN_ROOT_OF_UNITY_2_32);
    for (unsigned i = log2_size; i < FR_TWO_ADICITY; i++) {
        fr_multiply(out, out, out);
    }
}

int fr_root_of_unity(uint64_t n, uint8_t out[FR_SCALAR_BYTES]) {
    if (n == 0 || (n & (n - 1)) != 0 || n > ((uint64_t)1 << FR_TWO_ADICITY)) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    unsigned log2_size = 0;
    while (((uint64_t)1 << log2_size) < n) {
        log2_size++;
    }
    fr_element root, plain;
    fr_root_of_unity_element(&root, log2_size);
    fr_to_plain(&plain, &root);
    fr_store_plain(out, &plain);
    return KERNEL_OK;
}

size_t fr_first_noncanonical(const uint8_t *scalars, size_t count) {
    for (size_t i = 0; i < count; i++) {
        fr_element value;
        if (fr_load_plain(&value, scalars + FR_SCALAR_BYTES * i) != 0) {
            return i;
        }
    }
    return count;
}

int fr_combine_records(const uint8_t *records, const uint8_t *coefficients, size_t num_records,
                       size_t scalars_per_record, uint8_t *out, fr_element *accumulator) {
    for (size_t i = 0; i < scalars_per_record; i++) {
        fr_set_zero(&accumulator[i]);
    }
    for (size_t j = 0; j < num_records; j++) {
        fr_element plain_coefficient, coefficient;
        if (fr_load_plain(&plain_coefficient, coefficients + FR_SCALAR_BYTES * j) != 0) {
            return KERNEL_ERR_INVALID_ARGUMENT;
        }
        to_montgomery(&coefficient, &plain_coefficient);
        const uint8_t *record = records + FR_SCALAR_BYTES * scalars_per_record * j;
        for (size_t i = 0; i < scalars_per_record; i++) {
            fr_element value, product;
            if (fr_load_plain(&value, record + FR_SCALAR_BYTES * i) != 0) {
                return KERNEL_ERR_INVALID_ARGUMENT;
            }
            /* plain x Montgomery = plain: (v)(cR)/R = vc, so the sum stays plain. */
            fr_multiply(&product, &value, &coefficient);
            fr_add(&accumulator[i], &accumulator[i], &product);
        }
    }
    for (size_t i = 0; i < scalars_per_record; i++) {
        fr_store_plain(out + FR_SCALAR_BYTES * i, &accumulator[i]);
    }
    return KERNEL_OK;
}
