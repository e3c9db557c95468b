/* Proof-of-time on x86 AES instructions. Each function carries its own target
 * attribute, so the file builds with default flags and pot.c picks at run time. */
#include "pot_backends.h"

#if defined(POT_HAVE_X86)
#include <immintrin.h>
#include <string.h>

#define AESNI_TARGET __attribute__((target("aes,sse4.1")))
#define VAES256_TARGET __attribute__((target("aes,vaes,avx2")))
#define VAES512_TARGET __attribute__((target("aes,vaes,avx512f")))

/* Round keys 1..9 and the folded last key (k10 ^ k0) in registers. */
typedef struct {
    __m128i whitening;
    __m128i middle[9];
    __m128i last_folded;
} aesni_schedule;

AESNI_TARGET static aesni_schedule load_schedule(const uint8_t round_keys[176]) {
    aesni_schedule schedule;
    schedule.whitening = _mm_loadu_si128((const __m128i *)round_keys);
    for (unsigned round = 0; round < 9; round++) {
        schedule.middle[round] = _mm_loadu_si128((const __m128i *)(round_keys + 16 * (round + 1)));
    }
    __m128i last = _mm_loadu_si128((const __m128i *)(round_keys + 160));
    schedule.last_folded = _mm_xor_si128(last, schedule.whitening);
    return schedule;
}

/* One iteration on a block that already carries the whitening key. */
AESNI_TARGET static inline __m128i encrypt_whitened(__m128i block, const aesni_schedule *s) {
    block = _mm_aesenc_si128(block, s->middle[0]);
    block = _mm_aesenc_si128(block, s->middle[1]);
    block = _mm_aesenc_si128(block, s->middle[2]);
    block = _mm_aesenc_si128(block, s->middle[3]);
    block = _mm_aesenc_si128(block, s->middle[4]);
    block = _mm_aesenc_si128(block, s->middle[5]);
    block = _mm_aesenc_si128(block, s->middle[6]);
    block = _mm_aesenc_si128(block, s->middle[7]);
    block = _mm_aesenc_si128(block, s->middle[8]);
    return _mm_aesenclast_si128(block, s->last_folded);
}

AESNI_TARGET void pot_prove_aesni(const pot_keys *keys, const uint8_t seed[16], uint32_t checkpoint_iterations,
                                  uint8_t checkpoints_out[128]) {
    const aesni_schedule s = load_schedule(keys->rk);
    __m128i block = _mm_xor_si128(_mm_loadu_si128((const __m128i *)seed), s.whitening);
    for (unsigned checkpoint = 0; checkpoint < 8; checkpoint++) {
        for (uint32_t i = 0; i < checkpoint_iterations; i++) {
            block = encrypt_whitened(block, &s);
        }
        _mm_storeu_si128((__m128i *)(checkpoints_out + 16 * checkpoint), _mm_xor_si128(block, s.whitening));
    }
}

AESNI_TARGET void pot_chain_aesni(const pot_keys *keys, uint8_t block_bytes[16], uint64_t iterations) {
    const aesni_schedule s = load_schedule(keys->rk);
    __m128i block = _mm_xor_si128(_mm_loadu_si128((const __m128i *)block_bytes), s.whitening);
    for (uint64_t i = 0; i < iterations; i++) {
        block = encrypt_whitened(block, &s);
    }
    _mm_storeu_si128((__m128i *)block_bytes, _mm_xor_si128(block, s.whitening));
}

/* Verifier layout: `chain_inputs` is seed || checkpoints (144 bytes). Forward chain i starts
 * at offset 16*i (seed, checkpoint 0..6); backward chain i starts at 16*(i+1) (checkpoint i). */
static inline void join_inputs(const uint8_t seed[16], const uint8_t checkpoints[128], uint8_t chain_inputs[144]) {
    memcpy(chain_inputs, seed, 16);
    memcpy(chain_inputs + 16, checkpoints, 128);
}

#define DEFINE_WIDE_VERIFY(NAME, TARGET, VEC, LANES, BROADCAST, LOADU, XOR, OR, ENC, ENCLAST, DEC, DECLAST, ALLZERO) \
    TARGET int NAME(const pot_keys *keys, const uint8_t seed[16], uint32_t checkpoint_iterations,                   \
                    const uint8_t checkpoints[128]) {                                                              \
        enum { VECTORS = 8 / (LANES) };                                                                            \
        uint8_t chain_inputs[144];                                                                                 \
        join_inputs(seed, checkpoints, chain_inputs);                                                              \
        VEC ek[11], dk[11];                                                                                        \
        for (unsigned r = 0; r < 11; r++) {                                                                        \
            ek[r] = BROADCAST(_mm_loadu_si128((const __m128i *)(keys->rk + 16 * r)));                              \
            dk[r] = BROADCAST(_mm_loadu_si128((const __m128i *)(keys->drk + 16 * r)));                             \
        }                                                                                                          \
        const VEC ek_last = XOR(ek[10], ek[0]);                                                                    \
        const VEC dk_last = XOR(dk[10], dk[0]);                                                                    \
        VEC forward[VECTORS], backward[VECTORS];                                                                   \
        for (unsigned v = 0; v < VECTORS; v++) {                                                                   \
            forward[v] = XOR(LOADU(chain_inputs + 16 * (LANES) * v), ek[0]);                                       \
            backward[v] = XOR(LOADU(chain_inputs + 16 + 16 * (LANES) * v), dk[0]);                                 \
        }                                                                                                          \
        const uint32_t half = checkpoint_iterations / 2;                                                           \
        for (uint32_t n = 0; n < half; n++) {                                                                      \
            _Pragma("GCC unroll 9") for (unsigned r = 1; r < 10; r++) {                                            \
                _Pragma("GCC unroll 8") for (unsigned v = 0; v < VECTORS; v++) {                                   \
                    forward[v] = ENC(forward[v], ek[r]);                                                           \
                    backward[v] = DEC(backward[v], dk[r]);                                                         \
                }                                                                                                  \
            }                                                                                                      \
            _Pragma("GCC unroll 8") for (unsigned v = 0; v < VECTORS; v++) {                                       \
                forward[v] = ENCLAST(forward[v], ek_last);                                                         \
                backward[v] = DECLAST(backward[v], dk_last);                                                       \
            }                                                                                                      \
        }                                                                                                          \
        VEC difference = XOR(ek[0], ek[0]);                                                                        \
        for (unsigned v = 0; v < VECTORS; v++) {                                                                   \
            difference = OR(difference, XOR(XOR(forward[v], ek[0]), XOR(backward[v], dk[0])));                     \
        }                                                                                                          \
        return ALLZERO(difference);                                                                                \
    }

AESNI_TARGET static inline __m128i identity128(__m128i v) { return v; }
AESNI_TARGET static inline __m128i load128(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)p); }
AESNI_TARGET static inline int all_zero128(__m128i v) { return _mm_testz_si128(v, v); }
VAES256_TARGET static inline __m256i load256(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
VAES256_TARGET static inline int all_zero256(__m256i v) { return _mm256_testz_si256(v, v); }
VAES512_TARGET static inline __m512i load512(const uint8_t *p) { return _mm512_loadu_si512((const void *)p); }
VAES512_TARGET static inline int all_zero512(__m512i v) { return _mm512_test_epi64_mask(v, v) == 0; }

DEFINE_WIDE_VERIFY(pot_verify_aesni, AESNI_TARGET, __m128i, 1, identity128, load128, _mm_xor_si128,
                   _mm_or_si128, _mm_aesenc_si128, _mm_aesenclast_si128, _mm_aesdec_si128, _mm_aesdeclast_si128,
                   all_zero128)

DEFINE_WIDE_VERIFY(pot_verify_vaes256, VAES256_TARGET, __m256i, 2, _mm256_broadcastsi128_si256, load256,
                   _mm256_xor_si256, _mm256_or_si256, _mm256_aesenc_epi128, _mm256_aesenclast_epi128,
                   _mm256_aesdec_epi128, _mm256_aesdeclast_epi128, all_zero256)

DEFINE_WIDE_VERIFY(pot_verify_vaes512, VAES512_TARGET, __m512i, 4, _mm512_broadcast_i32x4, load512,
                   _mm512_xor_si512, _mm512_or_si512, _mm512_aesenc_epi128, _mm512_aesenclast_epi128,
                   _mm512_aesdec_epi128, _mm512_aesdeclast_epi128, all_zero512)

#endif
