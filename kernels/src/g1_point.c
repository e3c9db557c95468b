/* G1 points for the G1 kernel: extended Jacobian (XYZZ) formulas of the Explicit-Formulas Database
 * (shortw-xyzz: add-2008-s, madd-2008-s, dbl-2008-s-1, mdbl-2008-s-1, a = 0), as arkworks'
 * `Bucket`/blst's `ptype##xyzz` use for Pippenger buckets; the zcash compressed encoding (arkworks
 * `G1Affine::serialize_compressed`); and the preparation of bases (decoding, curve and subgroup checks). */
#include <string.h>

#include "g1_field.h"
#include "errors.h"

/* r, the order of G1, little-endian limbs: the subgroup check computes [r]P. */
static const uint64_t GROUP_ORDER[4] = {0xffffffff00000001u, 0x53bda402fffe5bfeu, 0x3339d80809a1d805u,
                                        0x73eda753299d7d48u};

int g1_is_identity(const g1_affine *point) { return g1_fp_is_zero(&point->x) && g1_fp_is_zero(&point->y); }

void g1_xyzz_set_identity(g1_xyzz *point) { memset(point, 0, sizeof *point); }

void g1_xyzz_from_affine(g1_xyzz *out, const g1_affine *point) {
    if (g1_is_identity(point)) {
        g1_xyzz_set_identity(out);
        return;
    }
    out->x = point->x;
    out->y = point->y;
    out->zz = G1_FP_ONE;
    out->zzz = G1_FP_ONE;
}

void g1_xyzz_double(g1_xyzz *point) { /* dbl-2008-s-1 */
    if (g1_fp_is_zero(&point->zz)) {
        return;
    }
    g1_fp u, v, w, s, m, t;
    g1_fp_double(&u, &point->y);
    g1_fp_sqr(&v, &u);
    g1_fp_mul(&w, &u, &v);
    g1_fp_mul(&s, &point->x, &v);
    g1_fp_sqr(&m, &point->x);
    g1_fp_double(&t, &m);
    g1_fp_add(&m, &m, &t); /* M = 3 X^2 */
    g1_fp_sqr(&point->x, &m);
    g1_fp_double(&t, &s);
    g1_fp_sub(&point->x, &point->x, &t); /* X3 = M^2 - 2S */
    g1_fp_sub(&t, &s, &point->x);
    g1_fp_mul(&t, &m, &t);
    g1_fp_mul(&s, &w, &point->y);
    g1_fp_sub(&point->y, &t, &s); /* Y3 = M(S - X3) - W Y1 */
    g1_fp_mul(&point->zz, &point->zz, &v);
    g1_fp_mul(&point->zzz, &point->zzz, &w);
}

void g1_xyzz_add_affine(g1_xyzz *point, const g1_affine *other, int negate) { /* madd-2008-s */
    g1_fp y2 = other->y;
    if (negate) {
        g1_fp_neg(&y2, &y2);
    }
    if (g1_fp_is_zero(&point->zz)) {
        point->x = other->x;
        point->y = y2;
        point->zz = G1_FP_ONE;
        point->zzz = G1_FP_ONE;
        return;
    }
    g1_fp u2, s2, p, r, pp, ppp, q, t;
    g1_fp_mul(&u2, &other->x, &point->zz);
    g1_fp_mul(&s2, &y2, &point->zzz);
    g1_fp_sub(&p, &u2, &point->x);
    g1_fp_sub(&r, &s2, &point->y);
    if (g1_fp_is_zero(&p)) {
        if (g1_fp_is_zero(&r)) {
            g1_xyzz_double(point);
        } else {
            g1_xyzz_set_identity(point);
        }
        return;
    }
    g1_fp_sqr(&pp, &p);
    g1_fp_mul(&ppp, &p, &pp);
    g1_fp_mul(&q, &point->x, &pp);
    g1_fp_sqr(&point->x, &r);
    g1_fp_sub(&point->x, &point->x, &ppp);
    g1_fp_double(&t, &q);
    g1_fp_sub(&point->x, &point->x, &t); /* X3 = R^2 - PPP - 2Q */
    g1_fp_sub(&t, &q, &point->x);
    g1_fp_mul(&t, &r, &t);
    g1_fp_mul(&point->y, &point->y, &ppp);
    g1_fp_sub(&point->y, &t, &point->y); /* Y3 = R(Q - X3) - Y1 PPP */
    g1_fp_mul(&point->zz, &point->zz, &pp);
    g1_fp_mul(&point->zzz, &point->zzz, &ppp);
}

void g1_xyzz_add(g1_xyzz *point, const g1_xyzz *other) { /* add-2008-s */
    if (g1_fp_is_zero(&other->zz)) {
        return;
    }
    if (g1_fp_is_zero(&point->zz)) {
        *point = *other;
        return;
    }
    g1_fp u1, u2, s1, s2, p, r, pp, ppp, q, t;
    g1_fp_mul(&u1, &point->x, &other->zz);
    g1_fp_mul(&u2, &other->x, &point->zz);
    g1_fp_mul(&s1, &point->y, &other->zzz);
    g1_fp_mul(&s2, &other->y, &point->zzz);
    g1_fp_sub(&p, &u2, &u1);
    g1_fp_sub(&r, &s2, &s1);
    if (g1_fp_is_zero(&p)) {
        if (g1_fp_is_zero(&r)) {
            g1_xyzz_double(point);
        } else {
            g1_xyzz_set_identity(point);
        }
        return;
    }
    g1_fp_sqr(&pp, &p);
    g1_fp_mul(&ppp, &p, &pp);
    g1_fp_mul(&q, &u1, &pp);
    g1_fp_sqr(&point->x, &r);
    g1_fp_sub(&point->x, &point->x, &ppp);
    g1_fp_double(&t, &q);
    g1_fp_sub(&point->x, &point->x, &t);
    g1_fp_sub(&t, &q, &point->x);
    g1_fp_mul(&t, &r, &t);
    g1_fp_mul(&s1, &s1, &ppp);
    g1_fp_sub(&point->y, &t, &s1);
    g1_fp_mul(&point->zz, &point->zz, &other->zz);
    g1_fp_mul(&point->zz, &point->zz, &pp);
    g1_fp_mul(&point->zzz, &point->zzz, &other->zzz);
    g1_fp_mul(&point->zzz, &point->zzz, &ppp);
}

void g1_xyzz_to_affine(g1_affine *out, const g1_xyzz *point) {
    if (g1_fp_is_zero(&point->zz)) {
        memset(out, 0, sizeof *out);
        return;
    }
    g1_fp inverse;
    g1_fp_inv(&inverse, &point->zz);
    g1_fp_mul(&out->x, &point->x, &inverse);
    g1_fp_inv(&inverse, &point->zzz);
    g1_fp_mul(&out->y, &point->y, &inverse);
}

void g1_compress(const g1_affine *point, uint8_t out[G1_COMPRESSED_BYTES]) {
    if (g1_is_identity(point)) {
        memset(out, 0, G1_COMPRESSED_BYTES);
        out[0] = 0xc0;
        return;
    }
    g1_fp_to_bytes(out, &point->x);
    out[0] |= 0x80;
    if (g1_fp_is_largest(&point->y)) {
        out[0] |= 0x20;
    }
}

/* [r]P = O, by double and add over the bits of r. */
static int in_subgroup(const g1_affine *point) {
    if (g1_is_identity(point)) {
        return 1;
    }
    g1_xyzz sum;
    g1_xyzz_set_identity(&sum);
    for (int bit = 254; bit >= 0; bit--) {
        g1_xyzz_double(&sum);
        if ((GROUP_ORDER[bit / 64] >> (bit % 64)) & 1u) {
            g1_xyzz_add_affine(&sum, point, 0);
        }
    }
    return g1_fp_is_zero(&sum.zz);
}

/* One compressed point; -1 when the bytes are not a canonical encoding of a curve point. */
static int decompress(g1_affine *out, const uint8_t in[G1_COMPRESSED_BYTES]) {
    uint8_t flags = in[0] & 0xe0;
    if (!(flags & 0x80)) {
        return -1;
    }
    if (flags & 0x40) {
        int rest = in[0] & 0x3f;
        for (int i = 1; i < G1_COMPRESSED_BYTES; i++) {
            rest |= in[i];
        }
        memset(out, 0, sizeof *out);
        return rest == 0 ? 0 : -1;
    }
    g1_fp right;
    if (g1_fp_from_bytes(&out->x, in, 1) != 0) {
        return -1;
    }
    g1_fp_sqr(&right, &out->x);
    g1_fp_mul(&right, &right, &out->x);
    g1_fp four;
    g1_fp_double(&four, &G1_FP_ONE);
    g1_fp_double(&four, &four);
    g1_fp_add(&right, &right, &four);
    if (!g1_fp_sqrt(&out->y, &right)) {
        return -1;
    }
    if (g1_fp_is_largest(&out->y) != ((flags & 0x20) != 0)) {
        g1_fp_neg(&out->y, &out->y);
    }
    return 0;
}

static int uncompressed(g1_affine *out, const uint8_t in[G1_UNCOMPRESSED_BYTES]) {
    if (g1_fp_from_bytes(&out->x, in, 0) != 0 || g1_fp_from_bytes(&out->y, in + 48, 0) != 0) {
        return -1;
    }
    return g1_is_identity(out) || g1_on_curve(out) ? 0 : -1;
}

int g1_prepare_compressed(const uint8_t *points, size_t count, g1_affine *out, int subgroup_check, size_t *bad_index) {
    for (size_t i = 0; i < count; i++) {
        if (decompress(&out[i], points + i * G1_COMPRESSED_BYTES) != 0 ||
            (subgroup_check && !in_subgroup(&out[i]))) {
            *bad_index = i;
            return KERNEL_ERR_INVALID_ARGUMENT;
        }
    }
    return KERNEL_OK;
}

int g1_prepare_uncompressed(const uint8_t *points, size_t count, g1_affine *out, int subgroup_check,
                            size_t *bad_index) {
    for (size_t i = 0; i < count; i++) {
        if (uncompressed(&out[i], points + i * G1_UNCOMPRESSED_BYTES) != 0 ||
            (subgroup_check && !in_subgroup(&out[i]))) {
            *bad_index = i;
            return KERNEL_ERR_INVALID_ARGUMENT;
        }
    }
    return KERNEL_OK;
}
