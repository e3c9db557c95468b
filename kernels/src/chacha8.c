/* ChaCha8 from RFC 7539 section 2.3 with 4 double rounds; portable C plus 8- and 16-lane x86
 * versions (one block per lane, consecutive counters). Each x86 function carries its own target
 * attribute, so the file builds with default flags and the caller picks at run time. */
#include "chacha8.h"

#include <string.h>

#define CHACHA8_DOUBLE_ROUNDS 4

static const uint32_t chacha_constants[4] = {0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u};

static inline uint32_t load_le32(const uint8_t *bytes) {
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

static inline void store_le32(uint8_t *bytes, uint32_t word) {
    bytes[0] = (uint8_t)word;
    bytes[1] = (uint8_t)(word >> 8);
    bytes[2] = (uint8_t)(word >> 16);
    bytes[3] = (uint8_t)(word >> 24);
}

/* The initial state of block `counter`: constants, key, counter, zero nonce. */
static void initial_state(const uint8_t key[32], uint32_t counter, uint32_t state[16]) {
    memcpy(state, chacha_constants, sizeof chacha_constants);
    for (unsigned i = 0; i < 8; i++) {
        state[4 + i] = load_le32(key + 4 * i);
    }
    state[12] = counter;
    state[13] = state[14] = state[15] = 0;
}

static inline uint32_t rotl32(uint32_t value, unsigned bits) { return value << bits | value >> (32 - bits); }

#define QUARTER_ROUND(x, a, b, c, d)                                                                          \
    do {                                                                                                      \
        x[a] += x[b], x[d] = rotl32(x[d] ^ x[a], 16);                                                         \
        x[c] += x[d], x[b] = rotl32(x[b] ^ x[c], 12);                                                         \
        x[a] += x[b], x[d] = rotl32(x[d] ^ x[a], 8);                                                          \
        x[c] += x[d], x[b] = rotl32(x[b] ^ x[c], 7);                                                          \
    } while (0)

void chacha8_block(const uint8_t key[32], uint32_t counter, uint8_t out[64]) {
    uint32_t state[16], x[16];
    initial_state(key, counter, state);
    memcpy(x, state, sizeof x);
    for (unsigned round = 0; round < CHACHA8_DOUBLE_ROUNDS; round++) {
        QUARTER_ROUND(x, 0, 4, 8, 12);
        QUARTER_ROUND(x, 1, 5, 9, 13);
        QUARTER_ROUND(x, 2, 6, 10, 14);
        QUARTER_ROUND(x, 3, 7, 11, 15);
        QUARTER_ROUND(x, 0, 5, 10, 15);
        QUARTER_ROUND(x, 1, 6, 11, 12);
        QUARTER_ROUND(x, 2, 7, 8, 13);
        QUARTER_ROUND(x, 3, 4, 9, 14);
    }
    for (unsigned i = 0; i < 16; i++) {
        store_le32(out + 4 * i, x[i] + state[i]);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/* One quarter round on vectors of words (same steps as QUARTER_ROUND). */
#define VQR(ADD, XOR, ROTL, a, b, c, d)                                                                       \
    do {                                                                                                      \
        x[a] = ADD(x[a], x[b]), x[d] = ROTL(XOR(x[d], x[a]), 16);                                             \
        x[c] = ADD(x[c], x[d]), x[b] = ROTL(XOR(x[b], x[c]), 12);                                             \
        x[a] = ADD(x[a], x[b]), x[d] = ROTL(XOR(x[d], x[a]), 8);                                              \
        x[c] = ADD(x[c], x[d]), x[b] = ROTL(XOR(x[b], x[c]), 7);                                              \
    } while (0)

/* The lane loops share one shape: x[i] holds word i of `LANES` blocks; after the rounds the words
 * go out through a small word-major buffer into block-major keystream order. */
#define DEFINE_CHACHA8_LANES(NAME, TARGET, LANES, VEC, SET1, ADD, XOR, ROTL, STORE, COUNTER_OFFSETS)           \
    TARGET static void NAME(const uint32_t state[16], uint8_t *out) {                                          \
        VEC x[16], initial[16];                                                                                \
        for (unsigned i = 0; i < 16; i++) {                                                                    \
            initial[i] = SET1((int)state[i]);                                                                  \
        }                                                                                                      \
        initial[12] = ADD(initial[12], COUNTER_OFFSETS);                                                       \
        memcpy(x, initial, sizeof x);                                                                          \
        for (unsigned round = 0; round < CHACHA8_DOUBLE_ROUNDS; round++) {                                     \
            VQR(ADD, XOR, ROTL, 0, 4, 8, 12);                                                                  \
            VQR(ADD, XOR, ROTL, 1, 5, 9, 13);                                                                  \
            VQR(ADD, XOR, ROTL, 2, 6, 10, 14);                                                                 \
            VQR(ADD, XOR, ROTL, 3, 7, 11, 15);                                                                 \
            VQR(ADD, XOR, ROTL, 0, 5, 10, 15);                                                                 \
            VQR(ADD, XOR, ROTL, 1, 6, 11, 12);                                                                 \
            VQR(ADD, XOR, ROTL, 2, 7, 8, 13);                                                                  \
            VQR(ADD, XOR, ROTL, 3, 4, 9, 14);                                                                  \
        }                                                                                                      \
        uint32_t words[16][LANES];                                                                             \
        for (unsigned i = 0; i < 16; i++) {                                                                    \
            STORE((void *)words[i], ADD(x[i], initial[i]));                                                    \
        }                                                                                                      \
        for (unsigned lane = 0; lane < (LANES); lane++) {                                                      \
            for (unsigned i = 0; i < 16; i++) {                                                                \
                store_le32(out + 64 * lane + 4 * i, words[i][lane]);                                           \
            }                                                                                                  \
        }                                                                                                      \
    }

#define AVX2_TARGET __attribute__((target("avx2")))
#define AVX512_TARGET __attribute__((target("avx512f")))

AVX2_TARGET static inline __m256i rotl_avx2(__m256i value, int bits) {
    return _mm256_or_si256(_mm256_slli_epi32(value, bits), _mm256_srli_epi32(value, 32 - bits));
}
#define ROTL_AVX2(value, bits) rotl_avx2(value, bits)
#define ROTL_AVX512(value, bits) _mm512_rol_epi32(value, bits)

DEFINE_CHACHA8_LANES(chacha8_x8, AVX2_TARGET, 8, __m256i, _mm256_set1_epi32, _mm256_add_epi32, _mm256_xor_si256,
                     ROTL_AVX2, _mm256_storeu_si256, _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
DEFINE_CHACHA8_LANES(chacha8_x16, AVX512_TARGET, 16, __m512i, _mm512_set1_epi32, _mm512_add_epi32,
                     _mm512_xor_si512, ROTL_AVX512, _mm512_storeu_si512,
                     _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#endif

void chacha8_keystream(const uint8_t key[32], uint32_t first_counter, size_t num_blocks, uint8_t *out,
                       unsigned lanes) {
    size_t done = 0;
#if defined(__x86_64__)
    if (lanes == CHACHA8_LANES_AVX512 || lanes == CHACHA8_LANES_AVX2) {
        uint32_t state[16];
        initial_state(key, first_counter, state);
        for (; done + lanes <= num_blocks; done += lanes) {
            state[12] = first_counter + (uint32_t)done;
            if (lanes == CHACHA8_LANES_AVX512) {
                chacha8_x16(state, out + 64 * done);
            } else {
                chacha8_x8(state, out + 64 * done);
            }
        }
    }
#else
    (void)lanes;
#endif
    for (; done < num_blocks; done++) {
        chacha8_block(key, first_counter + (uint32_t)done, out + 64 * done);
    }
}
