/* Per-backend proof-of-time loops, dispatched by pot.c. Internal to the kernels.
 * Every function takes expanded round keys: `rk` for encryption, `drk` for the
 * equivalent inverse cipher (see aes_soft.h). Checkpoint arguments follow pot.h.
 *
 * The chain folds the first round's key whitening into the previous last round:
 * AESENCLAST(x, k10 ^ k0) == AESENCLAST(x, k10) ^ k0, so an iteration is exactly
 * 10 dependent AES rounds, the latency floor of the instruction. */
#ifndef AUTONOMYS_POT_BACKENDS_H
#define AUTONOMYS_POT_BACKENDS_H

#include <stdint.h>

typedef struct {
    uint8_t rk[176];
    uint8_t drk[176];
} pot_keys;

void pot_prove_portable(const pot_keys *keys, const uint8_t seed[16], uint32_t checkpoint_iterations,
                        uint8_t checkpoints_out[128]);
int pot_verify_portable(const pot_keys *keys, const uint8_t seed[16], uint32_t checkpoint_iterations,
                        const uint8_t checkpoints[128]);
void pot_chain_portable(const pot_keys *keys, uint8_t block[16], uint64_t iterations);

#if defined(__x86_64__) || defined(__i386__)
#define POT_HAVE_X86 1
void pot_prove_aesni(const pot_keys *keys, const uint8_t seed[16], uint32_t checkpoint_iterations,
                     uint8_t checkpoints_out[128]);
int pot_verify_aesni(const pot_keys *keys, const uint8_t seed[16], uint32_t checkpoint_iterations,
                     const uint8_t checkpoints[128]);
int pot_verify_vaes256(const pot_keys *keys, const uint8_t seed[16], uint32_t checkpoint_iterations,
                       const uint8_t checkpoints[128]);
int pot_verify_vaes512(const pot_keys *keys, const uint8_t seed[16], uint32_t checkpoint_iterations,
                       const uint8_t checkpoints[128]);
void pot_chain_aesni(const pot_keys *keys, uint8_t block[16], uint64_t iterations);
#endif

#endif
