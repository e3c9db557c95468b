/* BLAKE3 compression (7 rounds of the G function over a 4x4 word state, message permuted between
 * rounds) and the single-chunk hash, written from the BLAKE3 specification. The group function
 * runs 16 one-block hashes side by side: portable C, two AVX2 halves, or one AVX-512F pass; x86
 * functions carry their own target attribute and the caller picks at run time. */
#include "blake3.h"

#include <string.h>

enum { CHUNK_START = 1, CHUNK_END = 2, ROOT = 8, KEYED_HASH = 16, ROUNDS = 7 };
/* The flags of a message of one block: the first and last block of the only chunk, the root. */
#define ONE_BLOCK_FLAGS (CHUNK_START | CHUNK_END | ROOT)

static const uint32_t blake3_iv[8] = {0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
                                      0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u};

/* The spec's message permutation P = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8} (after
 * each round, word i takes the old word P[i]) composed round by round: round r reads original word
 * schedule[r][i], with schedule[0][i] = i and schedule[r + 1][i] = schedule[r][P[i]]. Literal indices
 * let the vector code keep every word in a register and drop the additions of all-zero words. */
static const uint8_t message_schedule[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1}, {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4}, {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

static inline uint32_t rotr32(uint32_t value, unsigned bits) { return value >> bits | value << (32 - bits); }

#define G(v, a, b, c, d, mx, my)                                                                              \
    do {                                                                                                      \
        v[a] = v[a] + v[b] + (mx), v[d] = rotr32(v[d] ^ v[a], 16);                                            \
        v[c] = v[c] + v[d], v[b] = rotr32(v[b] ^ v[c], 12);                                                   \
        v[a] = v[a] + v[b] + (my), v[d] = rotr32(v[d] ^ v[a], 8);                                             \
        v[c] = v[c] + v[d], v[b] = rotr32(v[b] ^ v[c], 7);                                                    \
    } while (0)


/* One round of the scalar compression: words of `block` in the order of message_schedule[round]. */
#define SCALAR_ROUND(round)                                                                                   \
    do {                                                                                                      \
        const uint8_t *s = message_schedule[round];                                                           \
        G(v, 0, 4, 8, 12, block[s[0]], block[s[1]]);                                                          \
        G(v, 1, 5, 9, 13, block[s[2]], block[s[3]]);                                                          \
        G(v, 2, 6, 10, 14, block[s[4]], block[s[5]]);                                                         \
        G(v, 3, 7, 11, 15, block[s[6]], block[s[7]]);                                                         \
        G(v, 0, 5, 10, 15, block[s[8]], block[s[9]]);                                                         \
        G(v, 1, 6, 11, 12, block[s[10]], block[s[11]]);                                                       \
        G(v, 2, 7, 8, 13, block[s[12]], block[s[13]]);                                                        \
        G(v, 3, 4, 9, 14, block[s[14]], block[s[15]]);                                                        \
    } while (0)

/* The compression function truncated to the 8-word chaining value: v[i] ^ v[i + 8]. */
static void compress(uint32_t cv[8], const uint32_t block[16], uint32_t block_length, uint32_t flags) {
    uint32_t v[16];
    memcpy(v, cv, 8 * sizeof(uint32_t));
    memcpy(v + 8, blake3_iv, 4 * sizeof(uint32_t));
    v[12] = 0; /* chunk counter: always chunk 0 here */
    v[13] = 0;
    v[14] = block_length;
    v[15] = flags;
    SCALAR_ROUND(0);
    SCALAR_ROUND(1);
    SCALAR_ROUND(2);
    SCALAR_ROUND(3);
    SCALAR_ROUND(4);
    SCALAR_ROUND(5);
    SCALAR_ROUND(6);
    for (unsigned i = 0; i < 8; i++) {
        cv[i] = v[i] ^ v[i + 8];
    }
}

static inline uint32_t load_le32(const uint8_t *bytes) {
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

int blake3_hash_small(const uint8_t *input, size_t length, uint8_t out[BLAKE3_OUT_BYTES]) {
    if (length > BLAKE3_CHUNK_BYTES) {
        return -1;
    }
    uint32_t cv[8];
    memcpy(cv, blake3_iv, sizeof cv);
    size_t offset = 0;
    uint32_t flags = CHUNK_START;
    /* Every block but the last is full; an empty input is one empty block. */
    while (length - offset > BLAKE3_BLOCK_BYTES) {
        uint32_t block[16];
        for (unsigned i = 0; i < 16; i++) {
            block[i] = load_le32(input + offset + 4 * i);
        }
        compress(cv, block, BLAKE3_BLOCK_BYTES, flags);
        flags = 0;
        offset += BLAKE3_BLOCK_BYTES;
    }
    uint8_t last[BLAKE3_BLOCK_BYTES] = {0};
    size_t last_length = length - offset;
    if (last_length > 0) {
        memcpy(last, input + offset, last_length);
    }
    uint32_t block[16];
    for (unsigned i = 0; i < 16; i++) {
        block[i] = load_le32(last + 4 * i);
    }
    compress(cv, block, (uint32_t)last_length, flags | CHUNK_END | ROOT);
    for (unsigned i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)cv[i];
        out[4 * i + 1] = (uint8_t)(cv[i] >> 8);
        out[4 * i + 2] = (uint8_t)(cv[i] >> 16);
        out[4 * i + 3] = (uint8_t)(cv[i] >> 24);
    }
    return 0;
}

static void one_block_group_portable(const uint32_t key[8], uint32_t flags, const uint32_t message[8][BLAKE3_GROUP],
                                     uint32_t block_length, unsigned out_words, uint32_t out[][BLAKE3_GROUP]) {
    for (unsigned lane = 0; lane < BLAKE3_GROUP; lane++) {
        uint32_t cv[8], block[16] = {0};
        memcpy(cv, key, sizeof cv);
        for (unsigned i = 0; i < 8; i++) {
            block[i] = message[i][lane];
        }
        compress(cv, block, block_length, ONE_BLOCK_FLAGS | flags);
        for (unsigned i = 0; i < out_words; i++) {
            out[i][lane] = cv[i];
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/* The vector group: v[i] and m[i] hold word i of every lane; words 8..15 are zero. */
#define M(round, i) m[message_schedule[round][i]]
#define VROUND(round)                                                                                         \
    do {                                                                                                      \
        VG(v, 0, 4, 8, 12, M(round, 0), M(round, 1));                                                         \
        VG(v, 1, 5, 9, 13, M(round, 2), M(round, 3));                                                         \
        VG(v, 2, 6, 10, 14, M(round, 4), M(round, 5));                                                        \
        VG(v, 3, 7, 11, 15, M(round, 6), M(round, 7));                                                        \
        VG(v, 0, 5, 10, 15, M(round, 8), M(round, 9));                                                        \
        VG(v, 1, 6, 11, 12, M(round, 10), M(round, 11));                                                      \
        VG(v, 2, 7, 8, 13, M(round, 12), M(round, 13));                                                       \
        VG(v, 3, 4, 9, 14, M(round, 14), M(round, 15));                                                       \
    } while (0)
#define DEFINE_BLAKE3_LANES(NAME, TARGET, VEC, SET1, XOR, LOAD, STORE)                                          \
    TARGET static void NAME(const uint32_t key[8], uint32_t flags, const uint32_t message[8][BLAKE3_GROUP],      \
                            unsigned first_lane, uint32_t block_length, unsigned out_words,                    \
                            uint32_t out[][BLAKE3_GROUP]) {                                                    \
        VEC v[16], m[16];                                                                                      \
        for (unsigned i = 0; i < 8; i++) {                                                                     \
            v[i] = SET1((int)key[i]);                                                                          \
            m[i] = LOAD((const void *)&message[i][first_lane]);                                                \
            m[8 + i] = SET1(0);                                                                                \
        }                                                                                                      \
        for (unsigned i = 0; i < 4; i++) {                                                                     \
            v[8 + i] = SET1((int)blake3_iv[i]);                                                                \
        }                                                                                                      \
        v[12] = SET1(0);                                                                                       \
        v[13] = SET1(0);                                                                                       \
        v[14] = SET1((int)block_length);                                                                       \
        v[15] = SET1((int)(ONE_BLOCK_FLAGS | flags));                                                          \
        VROUND(0);                                                                                             \
        VROUND(1);                                                                                             \
        VROUND(2);                                                                                             \
        VROUND(3);                                                                                             \
        VROUND(4);                                                                                             \
        VROUND(5);                                                                                             \
        VROUND(6);                                                                                             \
        for (unsigned i = 0; i < out_words; i++) {                                                             \
            STORE((void *)&out[i][first_lane], XOR(v[i], v[i + 8]));                                           \
        }                                                                                                      \
    }

#define AVX2_TARGET __attribute__((target("avx2")))
#define AVX512_TARGET __attribute__((target("avx512f")))

AVX2_TARGET static inline __m256i rotr_avx2(__m256i value, int bits) {
    return _mm256_or_si256(_mm256_srli_epi32(value, bits), _mm256_slli_epi32(value, 32 - bits));
}

#define VG_WITH(ADD, XOR, ROTR, v, a, b, c, d, mx, my)                                                        \
    do {                                                                                                      \
        v[a] = ADD(ADD(v[a], v[b]), mx), v[d] = ROTR(XOR(v[d], v[a]), 16);                                    \
        v[c] = ADD(v[c], v[d]), v[b] = ROTR(XOR(v[b], v[c]), 12);                                             \
        v[a] = ADD(ADD(v[a], v[b]), my), v[d] = ROTR(XOR(v[d], v[a]), 8);                                     \
        v[c] = ADD(v[c], v[d]), v[b] = ROTR(XOR(v[b], v[c]), 7);                                              \
    } while (0)

#define VG(v, a, b, c, d, mx, my) VG_WITH(_mm256_add_epi32, _mm256_xor_si256, rotr_avx2, v, a, b, c, d, mx, my)
DEFINE_BLAKE3_LANES(one_block_lanes_avx2, AVX2_TARGET, __m256i, _mm256_set1_epi32, _mm256_xor_si256,
                    _mm256_loadu_si256, _mm256_storeu_si256)
#undef VG
#define VG(v, a, b, c, d, mx, my) VG_WITH(_mm512_add_epi32, _mm512_xor_si512, _mm512_ror_epi32, v, a, b, c, d, mx, my)
DEFINE_BLAKE3_LANES(one_block_lanes_avx512, AVX512_TARGET, __m512i, _mm512_set1_epi32, _mm512_xor_si512,
                    _mm512_loadu_si512, _mm512_storeu_si512)
#undef VG
#endif

/* The group for chaining value `key` (the IV, or a key's words) and extra `flags` (0 or KEYED_HASH). */
static void one_block_group(const uint32_t key[8], uint32_t flags, const uint32_t message[8][BLAKE3_GROUP],
                            uint32_t block_length, unsigned out_words, uint32_t out[][BLAKE3_GROUP], unsigned lanes) {
#if defined(__x86_64__)
    if (lanes == BLAKE3_LANES_AVX512) {
        one_block_lanes_avx512(key, flags, message, 0, block_length, out_words, out);
        return;
    }
    if (lanes == BLAKE3_LANES_AVX2) {
        one_block_lanes_avx2(key, flags, message, 0, block_length, out_words, out);
        one_block_lanes_avx2(key, flags, message, 8, block_length, out_words, out);
        return;
    }
#else
    (void)lanes;
#endif
    one_block_group_portable(key, flags, message, block_length, out_words, out);
}

void blake3_one_block_group(const uint32_t message[8][BLAKE3_GROUP], uint32_t block_length, unsigned out_words,
                            uint32_t out[][BLAKE3_GROUP], unsigned lanes) {
    one_block_group(blake3_iv, 0, message, block_length, out_words, out, lanes);
}

void blake3_one_block_group_keyed(const uint32_t key[8], const uint32_t message[8][BLAKE3_GROUP],
                                  uint32_t block_length, unsigned out_words, uint32_t out[][BLAKE3_GROUP],
                                  unsigned lanes) {
    one_block_group(key, KEYED_HASH, message, block_length, out_words, out, lanes);
}
