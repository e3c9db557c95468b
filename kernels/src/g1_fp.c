/* BLS12-381 base field arithmetic for the G1 kernel (g1_field.h): Montgomery multiplication by CIOS
 * with the "no-carry" shortcut (the top limb of p is below (2^64 - 1) / 2 - 1, as in gnark-crypto's
 * `fp.Element.Mul` and arkworks' `MontConfig::mul_assign`), inversion by Fermat, square roots for
 * p = 3 mod 4 (arkworks `Fp::sqrt`, the Shanks case). */
#include "g1_field.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(G1_PORTABLE_ONLY)
#include <x86intrin.h>
#endif

__extension__ typedef unsigned __int128 g1_wide;

static const g1_fp MODULUS = {{0xb9feffffffffaaabu, 0x1eabfffeb153ffffu, 0x6730d2a0f6b0f624u, 0x64774b84f38512bfu,
                               0x4b1ba7b6434bacd7u, 0x1a0111ea397fe69au}};
static const uint64_t MODULUS_INVERSE = 0x89f3fffcfffcfffdu; /* -p^-1 mod 2^64 */
const g1_fp G1_FP_ONE = {{0x760900000002fffdu, 0xebf4000bc40c0002u, 0x5f48985753c758bau, 0x77ce585370525745u,
                          0x5c071a97a256ec6du, 0x15f65ec3fa80e493u}};
static const g1_fp R_SQUARED = {{0xf4df1f341c341746u, 0x0a76e6a609d104f1u, 0x8de5476c4c95b6d5u, 0x67eb88a9939d83c0u,
                                 0x9a793e85b519952du, 0x11988fe592cae3aau}};
static const g1_fp FOUR = {{0xaa270000000cfff3u, 0x53cc0032fc34000au, 0x478fe97a6b0a807fu, 0xb1d37ebee6ba24d7u,
                            0x8ec9733bbf78ab2fu, 0x09d645513d83de7eu}};
static const uint64_t SQRT_EXPONENT[6] = {0xee7fbfffffffeaabu, 0x07aaffffac54ffffu, 0xd9cc34a83dac3d89u,
                                          0xd91dd2e13ce144afu, 0x92c6e9ed90d2eb35u, 0x0680447a8e5ff9a6u};
static const uint64_t INVERSE_EXPONENT[6] = {0xb9feffffffffaaa9u, 0x1eabfffeb153ffffu, 0x6730d2a0f6b0f624u,
                                             0x64774b84f38512bfu, 0x4b1ba7b6434bacd7u, 0x1a0111ea397fe69au};
static const uint64_t HALF_MODULUS[6] = {0xdcff7fffffffd555u, 0x0f55ffff58a9ffffu, 0xb39869507b587b12u,
                                         0xb23ba5c279c2895fu, 0x258dd3db21a5d66bu, 0x0d0088f51cbff34du};

/* 1 when a >= b as 384-bit integers. */
static int greater_or_equal(const uint64_t a[6], const uint64_t b[6]) {
    for (int i = 5; i >= 0; i--) {
        if (a[i] != b[i]) {
            return a[i] > b[i];
        }
    }
    return 1;
}

/* out = a - b; @return the borrow (0 or 1). On x86-64 the sbb chain of _subborrow_u64 (base instruction set). */
static inline uint64_t subtract_limbs(uint64_t out[6], const uint64_t a[6], const uint64_t b[6]) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(G1_PORTABLE_ONLY)
    unsigned char borrow = 0;
    for (int i = 0; i < 6; i++) {
        unsigned long long difference;
        borrow = _subborrow_u64(borrow, a[i], b[i], &difference);
        out[i] = difference;
    }
    return borrow;
#else
    uint64_t borrow = 0;
    for (int i = 0; i < 6; i++) {
        g1_wide difference = (g1_wide)a[i] - b[i] - borrow;
        out[i] = (uint64_t)difference;
        borrow = (uint64_t)(difference >> 64) & 1u;
    }
    return borrow;
#endif
}

/* out = a + b; @return the carry (0 or 1). */
static inline uint64_t add_limbs(uint64_t out[6], const uint64_t a[6], const uint64_t b[6]) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(G1_PORTABLE_ONLY)
    unsigned char carry = 0;
    for (int i = 0; i < 6; i++) {
        unsigned long long sum;
        carry = _addcarry_u64(carry, a[i], b[i], &sum);
        out[i] = sum;
    }
    return carry;
#else
    g1_wide carry = 0;
    for (int i = 0; i < 6; i++) {
        carry = (g1_wide)a[i] + b[i] + (uint64_t)(carry >> 64);
        out[i] = (uint64_t)carry;
    }
    return (uint64_t)(carry >> 64);
#endif
}

/* Bring t (< 2p) into [0, p). */
static inline void reduce_once(g1_fp *out, const uint64_t t[6]) {
    uint64_t reduced[6];
    uint64_t keep = 0u - subtract_limbs(reduced, t, MODULUS.limbs); /* all ones when t < p */
    for (int i = 0; i < 6; i++) {
        out->limbs[i] = (t[i] & keep) | (reduced[i] & ~keep);
    }
}


#if defined(__x86_64__) && defined(__GNUC__) && !defined(G1_PORTABLE_ONLY)
#define G1_HAVE_ADX_ASM 1
#define G1_ARRAY(element) (*(const uint64_t(*)[6])(element)->limbs)

/* Row i of the product: accumulator (a0..a5) += a * b[i], the new top word into a6. Low words go through
 * the OF chain (adox), high words through the CF chain (adcx), as fr_field_x86.h `fr_multiply_adx`. */
#define G1_ADX_MULTIPLY_ROW(i, a0, a1, a2, a3, a4, a5, a6)                                                            \
    "movq " #i "*8(%[b]), %%rdx\n\t"                                                                                  \
    "xorl %k[zero], %k[zero]\n\t"                                                                                     \
    "mulxq 0(%[a]), %[lo], %[hi]\n\t"                                                                                 \
    "adoxq %[lo], %[" #a0 "]\n\t"                                                                                     \
    "adcxq %[hi], %[" #a1 "]\n\t"                                                                                     \
    "mulxq 8(%[a]), %[lo], %[hi]\n\t"                                                                                 \
    "adoxq %[lo], %[" #a1 "]\n\t"                                                                                     \
    "adcxq %[hi], %[" #a2 "]\n\t"                                                                                     \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t"                                                                                \
    "adoxq %[lo], %[" #a2 "]\n\t"                                                                                     \
    "adcxq %[hi], %[" #a3 "]\n\t"                                                                                     \
    "mulxq 24(%[a]), %[lo], %[hi]\n\t"                                                                                \
    "adoxq %[lo], %[" #a3 "]\n\t"                                                                                     \
    "adcxq %[hi], %[" #a4 "]\n\t"                                                                                     \
    "mulxq 32(%[a]), %[lo], %[hi]\n\t"                                                                                \
    "adoxq %[lo], %[" #a4 "]\n\t"                                                                                     \
    "adcxq %[hi], %[" #a5 "]\n\t"                                                                                     \
    "mulxq 40(%[a]), %[lo], %[" #a6 "]\n\t"                                                                           \
    "adoxq %[lo], %[" #a5 "]\n\t"                                                                                     \
    "adcxq %[zero], %[" #a6 "]\n\t"                                                                                   \
    "adoxq %[zero], %[" #a6 "]\n\t"

/* Montgomery step: m = a0 * (-p^-1); (a0..a6) += m * p clears a0; (a1..a6) is the new accumulator. */
#define G1_ADX_REDUCE_ROW(a0, a1, a2, a3, a4, a5, a6)                                                                 \
    "movq %[" #a0 "], %%rdx\n\t"                                                                                      \
    "imulq %[inverse], %%rdx\n\t"                                                                                     \
    "xorl %k[zero], %k[zero]\n\t"                                                                                     \
    "mulxq %[q0], %[lo], %[hi]\n\t"                                                                                   \
    "adcxq %[lo], %[" #a0 "]\n\t"                                                                                     \
    "adoxq %[hi], %[" #a1 "]\n\t"                                                                                     \
    "mulxq %[q1], %[lo], %[hi]\n\t"                                                                                   \
    "adcxq %[lo], %[" #a1 "]\n\t"                                                                                     \
    "adoxq %[hi], %[" #a2 "]\n\t"                                                                                     \
    "mulxq %[q2], %[lo], %[hi]\n\t"                                                                                   \
    "adcxq %[lo], %[" #a2 "]\n\t"                                                                                     \
    "adoxq %[hi], %[" #a3 "]\n\t"                                                                                     \
    "mulxq %[q3], %[lo], %[hi]\n\t"                                                                                   \
    "adcxq %[lo], %[" #a3 "]\n\t"                                                                                     \
    "adoxq %[hi], %[" #a4 "]\n\t"                                                                                     \
    "mulxq %[q4], %[lo], %[hi]\n\t"                                                                                   \
    "adcxq %[lo], %[" #a4 "]\n\t"                                                                                     \
    "adoxq %[hi], %[" #a5 "]\n\t"                                                                                     \
    "mulxq %[q5], %[lo], %[hi]\n\t"                                                                                   \
    "adcxq %[lo], %[" #a5 "]\n\t"                                                                                     \
    "adoxq %[hi], %[" #a6 "]\n\t"                                                                                     \
    "adcxq %[zero], %[" #a6 "]\n\t"

/* The accumulator rotates through r0..r6 by one register a row (the cleared word becomes the next top). */
static void multiply_adx(g1_fp *out, const g1_fp *a, const g1_fp *b) {
    uint64_t r0, r1, r2, r3, r4, r5, r6, lo, hi, zero, m;
    __asm__("movq 0(%[b]), %%rdx\n\t"
            "mulxq 0(%[a]), %[r0], %[r1]\n\t"
            "mulxq 8(%[a]), %[lo], %[r2]\n\t"
            "addq %[lo], %[r1]\n\t"
            "mulxq 16(%[a]), %[lo], %[r3]\n\t"
            "adcq %[lo], %[r2]\n\t"
            "mulxq 24(%[a]), %[lo], %[r4]\n\t"
            "adcq %[lo], %[r3]\n\t"
            "mulxq 32(%[a]), %[lo], %[r5]\n\t"
            "adcq %[lo], %[r4]\n\t"
            "mulxq 40(%[a]), %[lo], %[r6]\n\t"
            "adcq %[lo], %[r5]\n\t"
            "adcq $0, %[r6]\n\t"
            G1_ADX_REDUCE_ROW(r0, r1, r2, r3, r4, r5, r6)
            G1_ADX_MULTIPLY_ROW(1, r1, r2, r3, r4, r5, r6, r0)
            G1_ADX_REDUCE_ROW(r1, r2, r3, r4, r5, r6, r0)
            G1_ADX_MULTIPLY_ROW(2, r2, r3, r4, r5, r6, r0, r1)
            G1_ADX_REDUCE_ROW(r2, r3, r4, r5, r6, r0, r1)
            G1_ADX_MULTIPLY_ROW(3, r3, r4, r5, r6, r0, r1, r2)
            G1_ADX_REDUCE_ROW(r3, r4, r5, r6, r0, r1, r2)
            G1_ADX_MULTIPLY_ROW(4, r4, r5, r6, r0, r1, r2, r3)
            G1_ADX_REDUCE_ROW(r4, r5, r6, r0, r1, r2, r3)
            G1_ADX_MULTIPLY_ROW(5, r5, r6, r0, r1, r2, r3, r4)
            G1_ADX_REDUCE_ROW(r5, r6, r0, r1, r2, r3, r4)
            : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3), [r4] "=&r"(r4), [r5] "=&r"(r5),
              [r6] "=&r"(r6), [lo] "=&r"(lo), [hi] "=&r"(hi), [zero] "=&r"(zero), "=&d"(m)
            : [a] "r"(a->limbs), [b] "r"(b->limbs), "m"(G1_ARRAY(a)), "m"(G1_ARRAY(b)), [q0] "m"(MODULUS.limbs[0]),
              [q1] "m"(MODULUS.limbs[1]), [q2] "m"(MODULUS.limbs[2]), [q3] "m"(MODULUS.limbs[3]),
              [q4] "m"(MODULUS.limbs[4]), [q5] "m"(MODULUS.limbs[5]), [inverse] "m"(MODULUS_INVERSE)
            : "cc");
    const uint64_t t[6] = {r6, r0, r1, r2, r3, r4}; /* below 2p */
    reduce_once(out, t);
}

/* 1 when the CPU has mulx (BMI2) and adcx/adox (ADX); asked once (a benign race: every thread writes the same). */
static int adx_available(void) {
    static int available = -1;
    if (available < 0) {
        available = __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("adx");
    }
    return available;
}
#endif

static void multiply_portable(g1_fp *out, const g1_fp *a, const g1_fp *b) {
    uint64_t t[6] = {0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 6; i++) {
        uint64_t bi = b->limbs[i];
        g1_wide product = (g1_wide)a->limbs[0] * bi + t[0];
        uint64_t carry_product = (uint64_t)(product >> 64);
        uint64_t low = (uint64_t)product;
        uint64_t m = low * MODULUS_INVERSE;
        uint64_t carry_reduce = (uint64_t)(((g1_wide)m * MODULUS.limbs[0] + low) >> 64);
        for (int j = 1; j < 6; j++) {
            product = (g1_wide)a->limbs[j] * bi + t[j] + carry_product;
            carry_product = (uint64_t)(product >> 64);
            g1_wide reduce = (g1_wide)m * MODULUS.limbs[j] + (uint64_t)product + carry_reduce;
            carry_reduce = (uint64_t)(reduce >> 64);
            t[j - 1] = (uint64_t)reduce;
        }
        t[5] = carry_product + carry_reduce;
    }
    reduce_once(out, t);
}

void g1_fp_mul(g1_fp *out, const g1_fp *a, const g1_fp *b) {
#if defined(G1_HAVE_ADX_ASM)
    if (adx_available()) {
        multiply_adx(out, a, b);
        return;
    }
#endif
    multiply_portable(out, a, b);
}

void g1_fp_sqr(g1_fp *out, const g1_fp *a) { g1_fp_mul(out, a, a); }

void g1_fp_add(g1_fp *out, const g1_fp *a, const g1_fp *b) {
    uint64_t sum[6];
    add_limbs(sum, a->limbs, b->limbs); /* a + b < 2p < 2^384: no carry out */
    reduce_once(out, sum);
}

void g1_fp_double(g1_fp *out, const g1_fp *a) { g1_fp_add(out, a, a); }

void g1_fp_sub(g1_fp *out, const g1_fp *a, const g1_fp *b) {
    uint64_t difference[6];
    uint64_t add_back = 0u - subtract_limbs(difference, a->limbs, b->limbs), masked[6];
    for (int i = 0; i < 6; i++) {
        masked[i] = MODULUS.limbs[i] & add_back;
    }
    add_limbs(out->limbs, difference, masked);
}

void g1_fp_neg(g1_fp *out, const g1_fp *a) {
    if (g1_fp_is_zero(a)) {
        *out = *a;
        return;
    }
    subtract_limbs(out->limbs, MODULUS.limbs, a->limbs);
}

int g1_fp_is_zero(const g1_fp *a) {
    return (a->limbs[0] | a->limbs[1] | a->limbs[2] | a->limbs[3] | a->limbs[4] | a->limbs[5]) == 0;
}

int g1_fp_equal(const g1_fp *a, const g1_fp *b) {
    uint64_t difference = 0;
    for (int i = 0; i < 6; i++) {
        difference |= a->limbs[i] ^ b->limbs[i];
    }
    return difference == 0;
}

/* base^exponent, the exponent as 6 little-endian limbs (left to right square and multiply). */
static void power(g1_fp *out, const g1_fp *base, const uint64_t exponent[6]) {
    g1_fp result = G1_FP_ONE;
    for (int bit = 383; bit >= 0; bit--) {
        g1_fp_sqr(&result, &result);
        if ((exponent[bit / 64] >> (bit % 64)) & 1u) {
            g1_fp_mul(&result, &result, base);
        }
    }
    *out = result;
}

void g1_fp_inv(g1_fp *out, const g1_fp *a) { power(out, a, INVERSE_EXPONENT); }

int g1_fp_sqrt(g1_fp *out, const g1_fp *a) {
    g1_fp root, check;
    power(&root, a, SQRT_EXPONENT);
    g1_fp_sqr(&check, &root);
    *out = root;
    return g1_fp_equal(&check, a);
}

int g1_fp_from_bytes(g1_fp *out, const uint8_t bytes[48], int mask_flags) {
    g1_fp plain;
    for (int limb = 0; limb < 6; limb++) {
        uint64_t value = 0;
        for (int k = 0; k < 8; k++) {
            uint8_t byte = bytes[8 * (5 - limb) + k];
            if (mask_flags && limb == 5 && k == 0) {
                byte &= 0x1f;
            }
            value = value << 8 | byte;
        }
        plain.limbs[limb] = value;
    }
    if (greater_or_equal(plain.limbs, MODULUS.limbs)) {
        return -1;
    }
    g1_fp_mul(out, &plain, &R_SQUARED);
    return 0;
}

static void to_plain(g1_fp *out, const g1_fp *a) {
    static const g1_fp plain_one = {{1, 0, 0, 0, 0, 0}};
    g1_fp_mul(out, a, &plain_one);
}

void g1_fp_to_bytes(uint8_t bytes[48], const g1_fp *a) {
    g1_fp plain;
    to_plain(&plain, a);
    for (int limb = 0; limb < 6; limb++) {
        uint64_t value = plain.limbs[limb];
        for (int k = 7; k >= 0; k--) {
            bytes[8 * (5 - limb) + k] = (uint8_t)value;
            value >>= 8;
        }
    }
}

int g1_fp_is_largest(const g1_fp *a) {
    g1_fp plain;
    to_plain(&plain, a);
    return !greater_or_equal(HALF_MODULUS, plain.limbs); /* plain > (p - 1) / 2 */
}

int g1_on_curve(const g1_affine *point) {
    g1_fp left, right;
    g1_fp_sqr(&left, &point->y);
    g1_fp_sqr(&right, &point->x);
    g1_fp_mul(&right, &right, &point->x);
    g1_fp_add(&right, &right, &FOUR);
    return g1_fp_equal(&left, &right);
}
