/* Proof-of-time delay function: AES-128 chained on one 16-byte block.
 *
 * Caller-owned buffers, int return codes (KERNEL_* from src/errors.h); no Python here.
 * Prover:   block = seed; 8 times { encrypt `checkpoint_iterations` times; emit block }.
 * Verifier: for each checkpoint i (input = seed or checkpoint i-1), encrypt the input
 *           checkpoint_iterations/2 times and decrypt checkpoint i checkpoint_iterations/2
 *           times; all 8 pairs must meet. The 16 half-chains run interleaved.
 */
#ifndef AUTONOMYS_POT_H
#define AUTONOMYS_POT_H

#include <stdint.h>

#define POT_BLOCK_BYTES 16
#define POT_NUM_CHECKPOINTS 8
#define POT_CHECKPOINTS_BYTES (POT_BLOCK_BYTES * POT_NUM_CHECKPOINTS)

/* Backends, chosen at run time. AUTO picks the fastest one the CPU supports for each job. */
#define POT_BACKEND_AUTO 0
#define POT_BACKEND_PORTABLE 1 /* table-driven AES in plain C: any CPU */
#define POT_BACKEND_AESNI 2    /* x86 AES-NI, 128-bit registers */
#define POT_BACKEND_VAES256 3  /* x86 VAES on 256-bit registers (AVX2): verifier only differs */
#define POT_BACKEND_VAES512 4  /* x86 VAES on 512-bit registers (AVX-512F): verifier only differs */
#define POT_BACKEND_COUNT 5

/** @return 1 when `backend` can run on this CPU, else 0. */
int pot_backend_available(int backend);

/** @return the backend AUTO resolves to for verification (the widest available). */
int pot_best_backend(void);

/**
 * Create the 8 checkpoints.
 * @param backend one of POT_BACKEND_*
 * @param seed 16 bytes, the first plaintext
 * @param key 16 bytes, the AES-128 key for the whole slot
 * @param checkpoint_iterations encryptions per checkpoint; non-zero and even
 * @param checkpoints_out 128 bytes written: checkpoint i at offset 16*i
 * @return KERNEL_OK, KERNEL_ERR_INVALID_ARGUMENT or KERNEL_ERR_BACKEND_UNAVAILABLE
 */
int pot_prove(int backend, const uint8_t seed[16], const uint8_t key[16],
              uint32_t checkpoint_iterations, uint8_t checkpoints_out[128]);

/**
 * Verify 8 checkpoints with 16 interleaved half-chains.
 * @param valid_out set to 1 when every checkpoint matches, else 0
 * @return KERNEL_OK, KERNEL_ERR_INVALID_ARGUMENT or KERNEL_ERR_BACKEND_UNAVAILABLE
 */
int pot_verify(int backend, const uint8_t seed[16], const uint8_t key[16],
               uint32_t checkpoint_iterations, const uint8_t checkpoints[128],
               int *valid_out);

/**
 * The bare chain: encrypt `block` in place `iterations` times with nothing else in the loop.
 * Used to measure the CPU's single-core AES chain rate (the prover's physical limit).
 */
int pot_aes_chain(int backend, const uint8_t key[16], uint8_t block[16], uint64_t iterations);

#endif
