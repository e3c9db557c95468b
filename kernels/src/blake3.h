/* BLAKE3 for the small inputs of the pos and audit kernels, written from the BLAKE3 specification: 32-byte
 * output, inputs of one chunk (at most 1024 bytes), unkeyed, and keyed for one-block groups. Internal to
 * the kernels. */
#ifndef AUTONOMYS_BLAKE3_H
#define AUTONOMYS_BLAKE3_H

#include <stddef.h>
#include <stdint.h>

#define BLAKE3_OUT_BYTES 32
#define BLAKE3_BLOCK_BYTES 64
#define BLAKE3_CHUNK_BYTES 1024
#define BLAKE3_GROUP 16 /* hashes per call of blake3_one_block_group */

/* Lane widths of blake3_one_block_group*, chosen by the caller (pos.c and audit.c resolve backends). */
#define BLAKE3_LANES_PORTABLE 1
#define BLAKE3_LANES_AVX2 8
#define BLAKE3_LANES_AVX512 16

/** BLAKE3-256 of `length` <= 1024 bytes. @return 0, or -1 when the input is longer than one chunk. */
int blake3_hash_small(const uint8_t *input, size_t length, uint8_t out[BLAKE3_OUT_BYTES]);

/**
 * BLAKE3-256 of 16 independent messages of the same length, at most 32 bytes, word-major (lane l's
 * word w is at [w][l]): each message is 8 little-endian words already zero-padded past `block_length`.
 * @param block_length message length in bytes, 0..32
 * @param out_words number of output words wanted (1..8); out[w][l] is word w (little-endian) of lane l's hash
 * @param lanes BLAKE3_LANES_*: 1 (portable C), 8 (AVX2) or 16 (AVX-512F); the caller checks the CPU.
 */
void blake3_one_block_group(const uint32_t message[8][BLAKE3_GROUP], uint32_t block_length, unsigned out_words,
                            uint32_t out[][BLAKE3_GROUP], unsigned lanes);

/**
 * blake3_one_block_group in keyed mode: `key` (the 32-byte key as 8 little-endian words) replaces the IV
 * as the chaining value and the KEYED_HASH flag is set, so out is blake3(message, key=key) per lane.
 */
void blake3_one_block_group_keyed(const uint32_t key[8], const uint32_t message[8][BLAKE3_GROUP],
                                  uint32_t block_length, unsigned out_words, uint32_t out[][BLAKE3_GROUP],
                                  unsigned lanes);

#endif
