/* Proof-of-time entry points: argument checks, key schedules, run-time backend choice,
 * and the portable backend built on aes_soft.c. */
#include "pot.h"

#include <string.h>

#include "aes_soft.h"
#include "errors.h"
#include "pot_backends.h"

static void expand_keys(const uint8_t key[16], pot_keys *keys) {
    aes128_expand_key(key, keys->rk);
    aes128_inverse_round_keys(keys->rk, keys->drk);
}

void pot_prove_portable(const pot_keys *keys, const uint8_t seed[16], uint32_t checkpoint_iterations,
                        uint8_t checkpoints_out[128]) {
    uint32_t rk[44], state[4];
    aes128_round_key_words(keys->rk, rk);
    aes128_load_words(seed, state);
    for (unsigned checkpoint = 0; checkpoint < POT_NUM_CHECKPOINTS; checkpoint++) {
        for (uint32_t i = 0; i < checkpoint_iterations; i++) {
            aes128_soft_encrypt(rk, state);
        }
        aes128_store_words(state, checkpoints_out + POT_BLOCK_BYTES * checkpoint);
    }
}

int pot_verify_portable(const pot_keys *keys, const uint8_t seed[16], uint32_t checkpoint_iterations,
                        const uint8_t checkpoints[128]) {
    uint32_t rk[44], drk[44];
    aes128_round_key_words(keys->rk, rk);
    aes128_round_key_words(keys->drk, drk);
    uint32_t forward[POT_NUM_CHECKPOINTS][4], backward[POT_NUM_CHECKPOINTS][4];
    for (unsigned i = 0; i < POT_NUM_CHECKPOINTS; i++) {
        aes128_load_words(i == 0 ? seed : checkpoints + POT_BLOCK_BYTES * (i - 1), forward[i]);
        aes128_load_words(checkpoints + POT_BLOCK_BYTES * i, backward[i]);
    }
    const uint32_t half = checkpoint_iterations / 2;
    for (uint32_t n = 0; n < half; n++) {
        for (unsigned i = 0; i < POT_NUM_CHECKPOINTS; i++) {
            aes128_soft_encrypt(rk, forward[i]);
            aes128_soft_decrypt(drk, backward[i]);
        }
    }
    uint32_t difference = 0;
    for (unsigned i = 0; i < POT_NUM_CHECKPOINTS; i++) {
        for (unsigned word = 0; word < 4; word++) {
            difference |= forward[i][word] ^ backward[i][word];
        }
    }
    return difference == 0;
}

void pot_chain_portable(const pot_keys *keys, uint8_t block[16], uint64_t iterations) {
    uint32_t rk[44], state[4];
    aes128_round_key_words(keys->rk, rk);
    aes128_load_words(block, state);
    for (uint64_t i = 0; i < iterations; i++) {
        aes128_soft_encrypt(rk, state);
    }
    aes128_store_words(state, block);
}

int pot_backend_available(int backend) {
    switch (backend) {
    case POT_BACKEND_AUTO:
    case POT_BACKEND_PORTABLE:
        return 1;
#if defined(POT_HAVE_X86)
    case POT_BACKEND_AESNI:
        return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
    case POT_BACKEND_VAES256:
        return __builtin_cpu_supports("aes") && __builtin_cpu_supports("vaes") && __builtin_cpu_supports("avx2");
    case POT_BACKEND_VAES512:
        return __builtin_cpu_supports("aes") && __builtin_cpu_supports("vaes") &&
               __builtin_cpu_supports("avx512f");
#endif
    default:
        return 0;
    }
}

int pot_best_backend(void) {
    static const int preference[] = {POT_BACKEND_VAES512, POT_BACKEND_VAES256, POT_BACKEND_AESNI};
    for (unsigned i = 0; i < sizeof preference / sizeof preference[0]; i++) {
        if (pot_backend_available(preference[i])) {
            return preference[i];
        }
    }
    return POT_BACKEND_PORTABLE;
}

static int resolve_backend(int backend, int *resolved) {
    if (backend < 0 || backend >= POT_BACKEND_COUNT) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    if (!pot_backend_available(backend)) {
        return KERNEL_ERR_BACKEND_UNAVAILABLE;
    }
    *resolved = backend == POT_BACKEND_AUTO ? pot_best_backend() : backend;
    return KERNEL_OK;
}

/* Common preamble of prove and verify: backend, iteration count (two halves per checkpoint), keys. */
static int prepare_slot(int backend, const uint8_t key[16], uint32_t checkpoint_iterations, int *resolved,
                        pot_keys *keys) {
    int status = resolve_backend(backend, resolved);
    if (status != KERNEL_OK) {
        return status;
    }
    if (checkpoint_iterations == 0 || checkpoint_iterations % 2 != 0) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    expand_keys(key, keys);
    return KERNEL_OK;
}

/* Proving is one dependent chain, so every x86 backend proves with AES-NI. */
static int uses_aesni_chain(int resolved) {
    return resolved == POT_BACKEND_AESNI || resolved == POT_BACKEND_VAES256 || resolved == POT_BACKEND_VAES512;
}

int pot_prove(int backend, const uint8_t seed[16], const uint8_t key[16], uint32_t checkpoint_iterations,
              uint8_t checkpoints_out[128]) {
    int resolved = 0;
    pot_keys keys;
    int status = prepare_slot(backend, key, checkpoint_iterations, &resolved, &keys);
    if (status != KERNEL_OK) {
        return status;
    }
#if defined(POT_HAVE_X86)
    if (uses_aesni_chain(resolved)) {
        pot_prove_aesni(&keys, seed, checkpoint_iterations, checkpoints_out);
        return KERNEL_OK;
    }
#endif
    pot_prove_portable(&keys, seed, checkpoint_iterations, checkpoints_out);
    return KERNEL_OK;
}

int pot_verify(int backend, const uint8_t seed[16], const uint8_t key[16], uint32_t checkpoint_iterations,
               const uint8_t checkpoints[128], int *valid_out) {
    int resolved = 0;
    pot_keys keys;
    int status = prepare_slot(backend, key, checkpoint_iterations, &resolved, &keys);
    if (status != KERNEL_OK) {
        return status;
    }
    switch (resolved) {
#if defined(POT_HAVE_X86)
    case POT_BACKEND_AESNI:
        *valid_out = pot_verify_aesni(&keys, seed, checkpoint_iterations, checkpoints);
        return KERNEL_OK;
    case POT_BACKEND_VAES256:
        *valid_out = pot_verify_vaes256(&keys, seed, checkpoint_iterations, checkpoints);
        return KERNEL_OK;
    case POT_BACKEND_VAES512:
        *valid_out = pot_verify_vaes512(&keys, seed, checkpoint_iterations, checkpoints);
        return KERNEL_OK;
#endif
    default:
        *valid_out = pot_verify_portable(&keys, seed, checkpoint_iterations, checkpoints);
        return KERNEL_OK;
    }
}

int pot_aes_chain(int backend, const uint8_t key[16], uint8_t block[16], uint64_t iterations) {
    int resolved = 0;
    int status = resolve_backend(backend, &resolved);
    if (status != KERNEL_OK) {
        return status;
    }
    pot_keys keys;
    expand_keys(key, &keys);
#if defined(POT_HAVE_X86)
    if (uses_aesni_chain(resolved)) {
        pot_chain_aesni(&keys, block, iterations);
        return KERNEL_OK;
    }
#endif
    pot_chain_portable(&keys, block, iterations);
    return KERNEL_OK;
}
