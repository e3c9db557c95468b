/* ChaCha8 keystream (RFC 7539 block structure with 8 rounds instead of 20): 256-bit key,
 * 32-bit block counter in word 12, 96-bit nonce fixed to zero. Internal to the pos kernel;
 * written from the specification. Keystream bytes are block 0, block 1, ... each serialized
 * as 16 little-endian words. */
#ifndef AUTONOMYS_CHACHA8_H
#define AUTONOMYS_CHACHA8_H

#include <stddef.h>
#include <stdint.h>

/* Lane widths of the keystream generators, chosen by the caller (pos.c resolves backends). */
#define CHACHA8_LANES_PORTABLE 1
#define CHACHA8_LANES_AVX2 8
#define CHACHA8_LANES_AVX512 16

/** One 64-byte block: key = 32 bytes, nonce zero, counter `counter`. */
void chacha8_block(const uint8_t key[32], uint32_t counter, uint8_t out[64]);

/**
 * Blocks first_counter .. first_counter + num_blocks - 1 into `out` (64 * num_blocks bytes).
 * @param lanes CHACHA8_LANES_*: 1 (portable C), 8 (AVX2) or 16 (AVX-512F); the caller checks the CPU.
 */
void chacha8_keystream(const uint8_t key[32], uint32_t first_counter, size_t num_blocks, uint8_t *out,
                       unsigned lanes);

#endif
