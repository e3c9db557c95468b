/* Portable AES-128 written from FIPS-197. The S-box comes from the multiplicative
 * inverse in GF(2^8) followed by the affine map; the round tables combine SubBytes,
 * ShiftRows and (Inv)MixColumns as in FIPS-197 section 5.2.1's implementation note. */
#include "aes_soft.h"

#include <pthread.h>

static uint8_t sbox[256];
static uint8_t inverse_sbox[256];
static uint32_t encrypt_table[4][256];
static uint32_t decrypt_table[4][256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static uint8_t gf_multiply(uint8_t a, uint8_t b) {
    uint8_t product = 0;
    while (b != 0) {
        if ((b & 1) != 0) {
            product ^= a;
        }
        a = (uint8_t)((a << 1) ^ (((a >> 7) & 1) * 0x1b));
        b >>= 1;
    }
    return product;
}

static uint8_t rotate_left8(uint8_t value, unsigned shift) {
    return (uint8_t)((value << shift) | (value >> (8 - shift)));
}

static uint32_t rotate_right32(uint32_t value, unsigned shift) {
    return (value >> shift) | (value << (32 - shift));
}

static uint32_t pack_word(uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3) {
    return ((uint32_t)b0 << 24) | ((uint32_t)b1 << 16) | ((uint32_t)b2 << 8) | (uint32_t)b3;
}

static void build_tables(void) {
    for (unsigned value = 0; value < 256; value++) {
        uint8_t inverse = 0;
        for (unsigned candidate = 1; candidate < 256 && value != 0; candidate++) {
            if (gf_multiply((uint8_t)value, (uint8_t)candidate) == 1) {
                inverse = (uint8_t)candidate;
                break;
            }
        }
        uint8_t substituted = (uint8_t)(inverse ^ rotate_left8(inverse, 1) ^ rotate_left8(inverse, 2) ^
                                        rotate_left8(inverse, 3) ^ rotate_left8(inverse, 4) ^ 0x63);
        sbox[value] = substituted;
        inverse_sbox[substituted] = (uint8_t)value;
    }
    for (unsigned value = 0; value < 256; value++) {
        uint8_t s = sbox[value];
        uint8_t is = inverse_sbox[value];
        uint32_t encrypt_word = pack_word(gf_multiply(s, 2), s, s, gf_multiply(s, 3));
        uint32_t decrypt_word = pack_word(gf_multiply(is, 14), gf_multiply(is, 9), gf_multiply(is, 13),
                                          gf_multiply(is, 11));
        for (unsigned table = 0; table < 4; table++) {
            encrypt_table[table][value] = rotate_right32(encrypt_word, 8 * table);
            decrypt_table[table][value] = rotate_right32(decrypt_word, 8 * table);
        }
    }
}

static void ensure_tables(void) {
    pthread_once(&tables_once, build_tables);
}

void aes128_expand_key(const uint8_t key[16], uint8_t round_keys[AES128_ROUND_KEY_BYTES]) {
    ensure_tables();
    uint8_t round_constant = 1;
    for (unsigned i = 0; i < 16; i++) {
        round_keys[i] = key[i];
    }
    for (unsigned word = 4; word < 44; word++) {
        uint8_t temp[4];
        for (unsigned i = 0; i < 4; i++) {
            temp[i] = round_keys[4 * (word - 1) + i];
        }
        if (word % 4 == 0) {
            uint8_t first = temp[0];
            temp[0] = (uint8_t)(sbox[temp[1]] ^ round_constant);
            temp[1] = sbox[temp[2]];
            temp[2] = sbox[temp[3]];
            temp[3] = sbox[first];
            round_constant = gf_multiply(round_constant, 2);
        }
        for (unsigned i = 0; i < 4; i++) {
            round_keys[4 * word + i] = (uint8_t)(round_keys[4 * (word - 4) + i] ^ temp[i]);
        }
    }
}

static void inverse_mix_column(const uint8_t in[4], uint8_t out[4]) {
    for (unsigned row = 0; row < 4; row++) {
        out[row] = (uint8_t)(gf_multiply(in[row], 14) ^ gf_multiply(in[(row + 1) % 4], 11) ^
                             gf_multiply(in[(row + 2) % 4], 13) ^ gf_multiply(in[(row + 3) % 4], 9));
    }
}

void aes128_inverse_round_keys(const uint8_t round_keys[AES128_ROUND_KEY_BYTES],
                               uint8_t inverse_round_keys[AES128_ROUND_KEY_BYTES]) {
    for (unsigned round = 0; round <= AES128_ROUNDS; round++) {
        const uint8_t *source = round_keys + 16 * (AES128_ROUNDS - round);
        uint8_t *target = inverse_round_keys + 16 * round;
        for (unsigned column = 0; column < 4; column++) {
            if (round == 0 || round == AES128_ROUNDS) {
                for (unsigned row = 0; row < 4; row++) {
                    target[4 * column + row] = source[4 * column + row];
                }
            } else {
                inverse_mix_column(source + 4 * column, target + 4 * column);
            }
        }
    }
}

void aes128_round_key_words(const uint8_t round_keys[AES128_ROUND_KEY_BYTES], uint32_t words[44]) {
    for (unsigned word = 0; word < 44; word++) {
        const uint8_t *b = round_keys + 4 * word;
        words[word] = pack_word(b[0], b[1], b[2], b[3]);
    }
}

void aes128_load_words(const uint8_t bytes[16], uint32_t state[4]) {
    for (unsigned column = 0; column < 4; column++) {
        const uint8_t *b = bytes + 4 * column;
        state[column] = pack_word(b[0], b[1], b[2], b[3]);
    }
}

void aes128_store_words(const uint32_t state[4], uint8_t bytes[16]) {
    for (unsigned column = 0; column < 4; column++) {
        for (unsigned row = 0; row < 4; row++) {
            bytes[4 * column + row] = (uint8_t)(state[column] >> (24 - 8 * row));
        }
    }
}

#define BYTE0(w) ((w) >> 24)
#define BYTE1(w) (((w) >> 16) & 0xff)
#define BYTE2(w) (((w) >> 8) & 0xff)
#define BYTE3(w) ((w) & 0xff)

void aes128_soft_encrypt(const uint32_t rk[44], uint32_t state[4]) {
    uint32_t s0 = state[0] ^ rk[0], s1 = state[1] ^ rk[1], s2 = state[2] ^ rk[2], s3 = state[3] ^ rk[3];
    const uint32_t (*t)[256] = encrypt_table;
    for (unsigned round = 1; round < AES128_ROUNDS; round++) {
        const uint32_t *k = rk + 4 * round;
        uint32_t t0 = t[0][BYTE0(s0)] ^ t[1][BYTE1(s1)] ^ t[2][BYTE2(s2)] ^ t[3][BYTE3(s3)] ^ k[0];
        uint32_t t1 = t[0][BYTE0(s1)] ^ t[1][BYTE1(s2)] ^ t[2][BYTE2(s3)] ^ t[3][BYTE3(s0)] ^ k[1];
        uint32_t t2 = t[0][BYTE0(s2)] ^ t[1][BYTE1(s3)] ^ t[2][BYTE2(s0)] ^ t[3][BYTE3(s1)] ^ k[2];
        uint32_t t3 = t[0][BYTE0(s3)] ^ t[1][BYTE1(s0)] ^ t[2][BYTE2(s1)] ^ t[3][BYTE3(s2)] ^ k[3];
        s0 = t0, s1 = t1, s2 = t2, s3 = t3;
    }
    const uint32_t *k = rk + 40;
    state[0] = pack_word(sbox[BYTE0(s0)], sbox[BYTE1(s1)], sbox[BYTE2(s2)], sbox[BYTE3(s3)]) ^ k[0];
    state[1] = pack_word(sbox[BYTE0(s1)], sbox[BYTE1(s2)], sbox[BYTE2(s3)], sbox[BYTE3(s0)]) ^ k[1];
    state[2] = pack_word(sbox[BYTE0(s2)], sbox[BYTE1(s3)], sbox[BYTE2(s0)], sbox[BYTE3(s1)]) ^ k[2];
    state[3] = pack_word(sbox[BYTE0(s3)], sbox[BYTE1(s0)], sbox[BYTE2(s1)], sbox[BYTE3(s2)]) ^ k[3];
}

void aes128_soft_decrypt(const uint32_t rk[44], uint32_t state[4]) {
    uint32_t s0 = state[0] ^ rk[0], s1 = state[1] ^ rk[1], s2 = state[2] ^ rk[2], s3 = state[3] ^ rk[3];
    const uint32_t (*t)[256] = decrypt_table;
    for (unsigned round = 1; round < AES128_ROUNDS; round++) {
        const uint32_t *k = rk + 4 * round;
        uint32_t t0 = t[0][BYTE0(s0)] ^ t[1][BYTE1(s3)] ^ t[2][BYTE2(s2)] ^ t[3][BYTE3(s1)] ^ k[0];
        uint32_t t1 = t[0][BYTE0(s1)] ^ t[1][BYTE1(s0)] ^ t[2][BYTE2(s3)] ^ t[3][BYTE3(s2)] ^ k[1];
        uint32_t t2 = t[0][BYTE0(s2)] ^ t[1][BYTE1(s1)] ^ t[2][BYTE2(s0)] ^ t[3][BYTE3(s3)] ^ k[2];
        uint32_t t3 = t[0][BYTE0(s3)] ^ t[1][BYTE1(s2)] ^ t[2][BYTE2(s1)] ^ t[3][BYTE3(s0)] ^ k[3];
        s0 = t0, s1 = t1, s2 = t2, s3 = t3;
    }
    const uint32_t *k = rk + 40;
    const uint8_t *is = inverse_sbox;
    state[0] = pack_word(is[BYTE0(s0)], is[BYTE1(s3)], is[BYTE2(s2)], is[BYTE3(s1)]) ^ k[0];
    state[1] = pack_word(is[BYTE0(s1)], is[BYTE1(s0)], is[BYTE2(s3)], is[BYTE3(s2)]) ^ k[1];
    state[2] = pack_word(is[BYTE0(s2)], is[BYTE1(s1)], is[BYTE2(s0)], is[BYTE3(s3)]) ^ k[2];
    state[3] = pack_word(is[BYTE0(s3)], is[BYTE1(s2)], is[BYTE2(s1)], is[BYTE3(s0)]) ^ k[3];
}
