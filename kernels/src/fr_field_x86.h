/* x86-64 inline assembly for the Fr arithmetic of fr_field.h. Internal to the kernels; included by
 * fr_field.h only when FR_HAVE_X86_64_ASM is defined.
 *
 * fr_add_x86 / fr_subtract_x86 use only baseline x86-64 (add/adc, sub/sbb, cmov): GCC's code for
 * the 4-limb carry chains written in C is about twice as long. fr_multiply_adx needs BMI2 (mulx)
 * and ADX (adcx/adox, two independent carry chains); the transform cores choose it at run time
 * (fr_fft.c) and fall back to the C multiplication. Same algorithm as fr_multiply_portable: CIOS
 * with the no-carry shortcut; every input must be < r and the output is < r. */
#ifndef AUTONOMYS_FR_FIELD_X86_H
#define AUTONOMYS_FR_FIELD_X86_H

/* The 4 limbs an operand points to, as an "m" input: the asm reads them through a pointer register,
 * and this tells the compiler which memory that is (instead of a blanket "memory" clobber). */
#define FR_ARRAY(element) (*(const uint64_t(*)[4])(element)->limbs)

static inline void fr_add_x86(fr_element *out, const fr_element *a, const fr_element *b) {
    uint64_t s0 = a->limbs[0], s1 = a->limbs[1], s2 = a->limbs[2], s3 = a->limbs[3], t0, t1, t2, t3;
    __asm__("addq 0(%[b]), %[s0]\n\t"
            "adcq 8(%[b]), %[s1]\n\t"
            "adcq 16(%[b]), %[s2]\n\t"
            "adcq 24(%[b]), %[s3]\n\t" /* a + b < 2r < 2^256: no carry out */
            "movq %[s0], %[t0]\n\t"
            "subq %[q0], %[t0]\n\t"
            "movq %[s1], %[t1]\n\t"
            "sbbq %[q1], %[t1]\n\t"
            "movq %[s2], %[t2]\n\t"
            "sbbq %[q2], %[t2]\n\t"
            "movq %[s3], %[t3]\n\t"
            "sbbq %[q3], %[t3]\n\t"
            "cmovncq %[t0], %[s0]\n\t" /* no borrow: the sum was >= r, keep sum - r */
            "cmovncq %[t1], %[s1]\n\t"
            "cmovncq %[t2], %[s2]\n\t"
            "cmovncq %[t3], %[s3]\n\t"
            : [s0] "+&r"(s0), [s1] "+&r"(s1), [s2] "+&r"(s2), [s3] "+&r"(s3), [t0] "=&r"(t0), [t1] "=&r"(t1),
              [t2] "=&r"(t2), [t3] "=&r"(t3)
            : [b] "r"(b->limbs), "m"(FR_ARRAY(b)), [q0] "m"(FR_MODULUS.limbs[0]), [q1] "m"(FR_MODULUS.limbs[1]),
              [q2] "m"(FR_MODULUS.limbs[2]), [q3] "m"(FR_MODULUS.limbs[3])
            : "cc");
    out->limbs[0] = s0;
    out->limbs[1] = s1;
    out->limbs[2] = s2;
    out->limbs[3] = s3;
}

static inline void fr_subtract_x86(fr_element *out, const fr_element *a, const fr_element *b) {
    uint64_t d0 = a->limbs[0], d1 = a->limbs[1], d2 = a->limbs[2], d3 = a->limbs[3], t0, t1, t2, t3;
    __asm__("subq 0(%[b]), %[d0]\n\t"
            "sbbq 8(%[b]), %[d1]\n\t"
            "sbbq 16(%[b]), %[d2]\n\t"
            "sbbq 24(%[b]), %[d3]\n\t"
            "sbbq %[t0], %[t0]\n\t" /* all ones after a borrow (a < b), else zero */
            "movq %[t0], %[t1]\n\t"
            "movq %[t0], %[t2]\n\t"
            "movq %[t0], %[t3]\n\t"
            "andq %[q0], %[t0]\n\t"
            "andq %[q1], %[t1]\n\t"
            "andq %[q2], %[t2]\n\t"
            "andq %[q3], %[t3]\n\t"
            "addq %[t0], %[d0]\n\t" /* add r back after a borrow */
            "adcq %[t1], %[d1]\n\t"
            "adcq %[t2], %[d2]\n\t"
            "adcq %[t3], %[d3]\n\t"
            : [d0] "+&r"(d0), [d1] "+&r"(d1), [d2] "+&r"(d2), [d3] "+&r"(d3), [t0] "=&r"(t0), [t1] "=&r"(t1),
              [t2] "=&r"(t2), [t3] "=&r"(t3)
            : [b] "r"(b->limbs), "m"(FR_ARRAY(b)), [q0] "m"(FR_MODULUS.limbs[0]), [q1] "m"(FR_MODULUS.limbs[1]),
              [q2] "m"(FR_MODULUS.limbs[2]), [q3] "m"(FR_MODULUS.limbs[3])
            : "cc");
    out->limbs[0] = d0;
    out->limbs[1] = d1;
    out->limbs[2] = d2;
    out->limbs[3] = d3;
}

/* Row i of the product: accumulator (a0..a3) += a * b[i], the new top word into a4. The low words
 * go through the OF chain (adox), the high words through the CF chain (adcx). a4 cannot overflow:
 * the top limb of a is below 2^63, so hi(a3 * b[i]) + 2 < 2^64. */
#define FR_ADX_MULTIPLY_ROW(i, a0, a1, a2, a3, a4)                                                                    \
    "movq " #i "*8(%[b]), %%rdx\n\t"                                                                                  \
    "xorl %k[zero], %k[zero]\n\t" /* zero register, CF = OF = 0 */                                                    \
    "mulxq 0(%[a]), %[lo], %[hi]\n\t"                                                                                 \
    "adoxq %[lo], %[" #a0 "]\n\t"                                                                                     \
    "adcxq %[hi], %[" #a1 "]\n\t"                                                                                     \
    "mulxq 8(%[a]), %[lo], %[hi]\n\t"                                                                                 \
    "adoxq %[lo], %[" #a1 "]\n\t"                                                                                     \
    "adcxq %[hi], %[" #a2 "]\n\t"                                                                                     \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t"                                                                                \
    "adoxq %[lo], %[" #a2 "]\n\t"                                                                                     \
    "adcxq %[hi], %[" #a3 "]\n\t"                                                                                     \
    "mulxq 24(%[a]), %[lo], %[" #a4 "]\n\t"                                                                           \
    "adoxq %[lo], %[" #a3 "]\n\t"                                                                                     \
    "adcxq %[zero], %[" #a4 "]\n\t"                                                                                   \
    "adoxq %[zero], %[" #a4 "]\n\t"

/* Montgomery step: m = a0 * (-r^-1); (a0..a4) += m * r clears a0, and (a1..a4) is the new accumulator.
 * By the no-carry condition (top limb of r < 2^63 - 1) the sum fits in a4 without a sixth word. */
#define FR_ADX_REDUCE_ROW(a0, a1, a2, a3, a4)                                                                         \
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
    "adcxq %[zero], %[" #a4 "]\n\t"

/* The accumulator lives in r0..r4 and rotates by one register per row: the word a reduction clears
 * becomes the next row's top word. */
static inline void fr_multiply_adx(fr_element *out, const fr_element *a, const fr_element *b) {
    uint64_t r0, r1, r2, r3, r4, lo, hi, zero, m;
    __asm__(
        /* row 0 into an empty accumulator: one plain carry chain */
        "movq 0(%[b]), %%rdx\n\t"
        "mulxq 0(%[a]), %[r0], %[r1]\n\t"
        "mulxq 8(%[a]), %[lo], %[r2]\n\t"
        "addq %[lo], %[r1]\n\t"
        "mulxq 16(%[a]), %[lo], %[r3]\n\t"
        "adcq %[lo], %[r2]\n\t"
        "mulxq 24(%[a]), %[lo], %[r4]\n\t"
        "adcq %[lo], %[r3]\n\t"
        "adcq $0, %[r4]\n\t"
        FR_ADX_REDUCE_ROW(r0, r1, r2, r3, r4)
        FR_ADX_MULTIPLY_ROW(1, r1, r2, r3, r4, r0)
        FR_ADX_REDUCE_ROW(r1, r2, r3, r4, r0)
        FR_ADX_MULTIPLY_ROW(2, r2, r3, r4, r0, r1)
        FR_ADX_REDUCE_ROW(r2, r3, r4, r0, r1)
        FR_ADX_MULTIPLY_ROW(3, r3, r4, r0, r1, r2)
        FR_ADX_REDUCE_ROW(r3, r4, r0, r1, r2)
        /* the result (r4, r0, r1, r2) is below 2r: subtract r unless that borrows */
        "movq %[r4], %[lo]\n\t"
        "subq %[q0], %[lo]\n\t"
        "movq %[r0], %[hi]\n\t"
        "sbbq %[q1], %[hi]\n\t"
        "movq %[r1], %%rdx\n\t"
        "sbbq %[q2], %%rdx\n\t"
        "movq %[r2], %[zero]\n\t"
        "sbbq %[q3], %[zero]\n\t"
        "cmovncq %[lo], %[r4]\n\t"
        "cmovncq %[hi], %[r0]\n\t"
        "cmovncq %%rdx, %[r1]\n\t"
        "cmovncq %[zero], %[r2]\n\t"
        : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3), [r4] "=&r"(r4), [lo] "=&r"(lo),
          [hi] "=&r"(hi), [zero] "=&r"(zero), "=&d"(m)
        : [a] "r"(a->limbs), [b] "r"(b->limbs), "m"(FR_ARRAY(a)), "m"(FR_ARRAY(b)), [q0] "m"(FR_MODULUS.limbs[0]),
          [q1] "m"(FR_MODULUS.limbs[1]), [q2] "m"(FR_MODULUS.limbs[2]), [q3] "m"(FR_MODULUS.limbs[3]),
          [inverse] "m"(FR_MODULUS_INVERSE)
        : "cc");
    out->limbs[0] = r4;
    out->limbs[1] = r0;
    out->limbs[2] = r1;
    out->limbs[3] = r2;
}

#undef FR_ADX_MULTIPLY_ROW
#undef FR_ADX_REDUCE_ROW
#undef FR_ARRAY

#endif
