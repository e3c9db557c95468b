/* Portable AES-128 (FIPS-197), table driven, for CPUs without AES instructions.
 * Internal to the kernels; the tables are computed once from the field arithmetic. */
#ifndef AUTONOMYS_AES_SOFT_H
#define AUTONOMYS_AES_SOFT_H

#include <stdint.h>

#define AES128_ROUNDS 10
#define AES128_ROUND_KEY_BYTES (16 * (AES128_ROUNDS + 1))

/** Expand a 16-byte key into 11 round keys in FIPS-197 byte order. */
void aes128_expand_key(const uint8_t key[16], uint8_t round_keys[AES128_ROUND_KEY_BYTES]);

/** Turn encryption round keys into those of the equivalent inverse cipher
 *  (reversed, InvMixColumns on rounds 1..9), the layout AES-NI `aesdec` expects. */
void aes128_inverse_round_keys(const uint8_t round_keys[AES128_ROUND_KEY_BYTES],
                               uint8_t inverse_round_keys[AES128_ROUND_KEY_BYTES]);

/** Round keys as 44 big-endian column words, for the table-driven rounds below. */
void aes128_round_key_words(const uint8_t round_keys[AES128_ROUND_KEY_BYTES], uint32_t words[44]);

/** Encrypt / decrypt one block held as 4 big-endian column words, in place. */
void aes128_soft_encrypt(const uint32_t round_key_words[44], uint32_t state[4]);
void aes128_soft_decrypt(const uint32_t inverse_round_key_words[44], uint32_t state[4]);

void aes128_load_words(const uint8_t bytes[16], uint32_t state[4]);
void aes128_store_words(const uint32_t state[4], uint8_t bytes[16]);

#endif
