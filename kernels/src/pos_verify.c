/* The chia f-functions one value at a time, has_match, and proof verification (Subspace verify_only):
 * unpack 64 x values, f1 each, then for tables 2..7 pair entries (2i, 2i+1), require has_match and
 * compute fn, and finally require y7 >> 6 == first K bits of the byte-swapped challenge index. */
#include <string.h>

#include "errors.h"
#include "pos_internal.h"

int pos_targets_contain(unsigned parity, uint32_t left_r, uint32_t right_r) {
    uint32_t group = left_r / POS_PARAM_C, offset = left_r % POS_PARAM_C;
    for (uint32_t m = 0; m < POS_PARAM_M; m++) {
        uint32_t square = (2 * m + parity) * (2 * m + parity);
        uint32_t target = (group + m) % POS_PARAM_B * POS_PARAM_C + (square + offset) % POS_PARAM_C;
        if (target == right_r) {
            return 1;
        }
    }
    return 0;
}

int pos_has_match(uint32_t left_y, uint32_t right_y) {
    unsigned parity = (left_y / POS_PARAM_BC) & 1;
    return pos_targets_contain(parity, left_y % POS_PARAM_BC, right_y % POS_PARAM_BC);
}

/* f1 for one x: the 8 keystream bytes from the one holding bit K x (two blocks when they straddle). */
static uint32_t f1_single(unsigned k, const uint8_t seed[POS_SEED_BYTES], uint32_t x) {
    uint64_t bit = (uint64_t)k * x, byte = bit >> 3;
    uint8_t blocks[128];
    uint32_t counter = (uint32_t)(byte / 64);
    chacha8_block(seed, counter, blocks);
    if (byte % 64 > 56) {
        chacha8_block(seed, counter + 1, blocks + 64);
    }
    return pos_f1_from_stream(k, blocks + byte % 64, bit & 7, x);
}

int pos_compute_f1(unsigned k, const uint8_t seed[POS_SEED_BYTES], uint32_t x, uint32_t *y_out) {
    if (k < POS_K_MIN || k > POS_F1_K_MAX || x >> k != 0) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    *y_out = f1_single(k, seed, x);
    return KERNEL_OK;
}

/* fn for one pair with scalar BLAKE3. */
static uint32_t fn_single(unsigned k, unsigned table_number, uint32_t y, pos_u128 left, pos_u128 right,
                          pos_u128 *metadata_out) {
    uint32_t words[8];
    uint32_t length = pos_fn_message(k, pos_metadata_bits(k, table_number - 1), y, left, right, words);
    uint8_t bytes[32], hash[BLAKE3_OUT_BYTES];
    for (unsigned i = 0; i < 8; i++) {
        memcpy(bytes + 4 * i, &words[i], 4); /* the words are little-endian views of the bytes */
    }
    blake3_hash_small(bytes, length, hash);
    uint32_t hash_words[4];
    memcpy(hash_words, hash, sizeof hash_words);
    return pos_fn_output(k, table_number, hash_words, left, right, metadata_out);
}

static pos_u128 load_be128(const uint8_t bytes[POS_METADATA_BYTES]) {
    pos_u128 value = 0;
    for (unsigned i = 0; i < POS_METADATA_BYTES; i++) {
        value = value << 8 | bytes[i];
    }
    return value;
}

int pos_compute_fn(unsigned k, unsigned table_number, uint32_t y, const uint8_t left_metadata[POS_METADATA_BYTES],
                   const uint8_t right_metadata[POS_METADATA_BYTES], uint32_t *y_out,
                   uint8_t metadata_out[POS_METADATA_BYTES]) {
    if (k < POS_K_MIN || k > POS_K_MAX || table_number < 2 || table_number > 7 || y >> pos_y_bits(k) != 0) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    pos_u128 left = load_be128(left_metadata), right = load_be128(right_metadata), metadata;
    unsigned parent_bits = pos_metadata_bits(k, table_number - 1);
    if (left >> parent_bits != 0 || right >> parent_bits != 0) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    *y_out = fn_single(k, table_number, y, left, right, &metadata);
    for (unsigned i = POS_METADATA_BYTES; i-- > 0;) {
        metadata_out[i] = (uint8_t)metadata;
        metadata >>= 8;
    }
    return KERNEL_OK;
}

/* x number `index` of a proof: K bits at bit K * index, MSB first. */
static uint32_t proof_x(unsigned k, const uint8_t *proof, unsigned index) {
    unsigned bit = k * index, first = bit >> 3, length = (bit % 8 + k + 7) / 8;
    uint64_t word = 0;
    for (unsigned i = 0; i < length; i++) {
        word = word << 8 | proof[first + i];
    }
    return (uint32_t)(word >> (8 * length - bit % 8 - k)) & (((uint32_t)1 << k) - 1);
}

int pos_is_proof_valid(unsigned k, const uint8_t seed[POS_SEED_BYTES], uint32_t challenge_index,
                       const uint8_t *proof, int *valid_out) {
    *valid_out = 0;
    if (k < POS_K_MIN || k > POS_K_MAX) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    uint32_t ys[POS_PROOF_XS];
    pos_u128 metadata[POS_PROOF_XS];
    for (unsigned i = 0; i < POS_PROOF_XS; i++) {
        uint32_t x = proof_x(k, proof, i);
        ys[i] = f1_single(k, seed, x);
        metadata[i] = x;
    }
    unsigned count = POS_PROOF_XS;
    for (unsigned table_number = 2; table_number <= 7; table_number++) {
        for (unsigned i = 0; i < count / 2; i++) {
            if (!pos_has_match(ys[2 * i], ys[2 * i + 1])) {
                return KERNEL_OK;
            }
            pos_u128 out;
            ys[i] = fn_single(k, table_number, ys[2 * i], metadata[2 * i], metadata[2 * i + 1], &out);
            metadata[i] = out;
        }
        count /= 2;
    }
    *valid_out = ys[0] >> POS_PARAM_EXT == pos_bswap32(challenge_index) >> (32 - k);
    return KERNEL_OK;
}

int pos_hashing_work(unsigned k, int backend, uint32_t *checksum_out) {
    *checksum_out = 0;
    if (k < POS_K_MIN || k > POS_K_MAX || backend < 0 || backend >= POS_BACKEND_COUNT) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    if (!pos_backend_available(backend)) {
        return KERNEL_ERR_BACKEND_UNAVAILABLE;
    }
    unsigned lanes = pos_backend_lanes(backend == POS_BACKEND_AUTO ? pos_best_backend() : backend);
    uint8_t seed[POS_SEED_BYTES] = {0}, stream[64 * 64];
    uint32_t checksum = 0, blocks = (uint32_t)(((uint64_t)k << k) / 512);
    for (uint32_t block = 0; block < blocks; block += 64) {
        chacha8_keystream(seed, block, 64, stream, lanes);
        checksum += stream[block % 64];
    }
    uint32_t message[8][BLAKE3_GROUP] = {{0}}, hash[4][BLAKE3_GROUP];
    for (uint32_t group = 0; group < ((uint32_t)6 << k) / BLAKE3_GROUP; group++) {
        message[0][group % BLAKE3_GROUP] = group;
        blake3_one_block_group((const uint32_t(*)[BLAKE3_GROUP])message, 27, 4, hash, lanes);
        checksum += hash[0][0];
    }
    *checksum_out = checksum;
    return KERNEL_OK;
}

int pos_blake3(const uint8_t *input, size_t length, uint8_t out[POS_HASH_BYTES]) {
    return blake3_hash_small(input, length, out) == 0 ? KERNEL_OK : KERNEL_ERR_INVALID_ARGUMENT;
}

int pos_chacha8_keystream(int backend, const uint8_t seed[POS_SEED_BYTES], uint32_t first_block, size_t num_blocks,
                          uint8_t *out) {
    if (backend < 0 || backend >= POS_BACKEND_COUNT) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    if (!pos_backend_available(backend)) {
        return KERNEL_ERR_BACKEND_UNAVAILABLE;
    }
    int resolved = backend == POS_BACKEND_AUTO ? pos_best_backend() : backend;
    chacha8_keystream(seed, first_block, num_blocks, out, pos_backend_lanes(resolved));
    return KERNEL_OK;
}
