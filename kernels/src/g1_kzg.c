/* The Fr step of a KZG opening next to the G1 kernel: the quotient (p(X) - p(x)) / (X - x) by synthetic
 * division (subspace-kzg `Kzg::create_witness`, which divides the same way). Uses the Fr arithmetic of
 * fr_field.h; coefficients stay plain: carry * (x R) / R = carry * x, so only x is put in Montgomery form. */
#include "fr_field.h"
#include "g1.h"
#include "errors.h"

/* 2^512 mod r: a plain value times it, Montgomery-multiplied, is its Montgomery form. */
static const fr_element FR_R_SQUARED = {{0xc999e990f3f29c6du, 0x2b6cedcb87925c23u, 0x05d314967254398fu,
                                         0x0748d9d99f59ff11u}};

int g1_fr_divide_by_linear(const uint8_t *coefficients, size_t count, const uint8_t point[G1_SCALAR_BYTES],
                           uint8_t *quotient, size_t *bad_index) {
    fr_element x, carry, coefficient;
    if (fr_load_plain(&x, point) != 0) {
        *bad_index = count;
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < count; i++) {
        if (fr_load_plain(&coefficient, coefficients + i * FR_SCALAR_BYTES) != 0) {
            *bad_index = i;
            return KERNEL_ERR_INVALID_ARGUMENT;
        }
    }
    fr_multiply(&x, &x, &FR_R_SQUARED);
    fr_set_zero(&carry);
    for (size_t degree = count; degree-- > 1;) {
        fr_load_plain(&coefficient, coefficients + degree * FR_SCALAR_BYTES);
        fr_multiply(&carry, &carry, &x);
        fr_add(&carry, &carry, &coefficient);
        fr_store_plain(quotient + (degree - 1) * FR_SCALAR_BYTES, &carry);
    }
    return KERNEL_OK;
}
