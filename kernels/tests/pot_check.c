/* Standalone check of the PoT kernel without Python: built with -Werror by
 * tests/kernels/test_c_standalone.py. Checks the T' vector on every available backend. */
#include <stdio.h>
#include <string.h>

#include "../include/pot.h"

static const uint8_t seed[16] = {0xd6, 0x66, 0xcc, 0xd8, 0xd5, 0x93, 0xc2, 0x3d,
                                 0xa8, 0xdb, 0x6b, 0x5b, 0x14, 0x13, 0xb1, 0x3a};
static const uint8_t key[16] = {0x9a, 0x84, 0x94, 0x0f, 0xfe, 0xf5, 0xb0, 0xd7,
                                0x01, 0x99, 0xfc, 0x67, 0xf4, 0x6e, 0xa2, 0x7a};
static const uint8_t first_checkpoint[16] = {0x80, 0x0d, 0xd7, 0xfb, 0x66, 0xa2, 0xa4, 0x25,
                                             0xcc, 0xb8, 0x88, 0xd6, 0x42, 0xc8, 0xaf, 0x20};

int main(void) {
    int failures = 0;
    for (int backend = 0; backend < POT_BACKEND_COUNT; backend++) {
        if (!pot_backend_available(backend)) {
            continue;
        }
        uint8_t checkpoints[128];
        int valid = 0, invalid = 1;
        if (pot_prove(backend, seed, key, 20, checkpoints) != 0 ||
            pot_verify(backend, seed, key, 20, checkpoints, &valid) != 0 ||
            pot_verify(backend, seed, key, 22, checkpoints, &invalid) != 0) {
            failures++;
            continue;
        }
        if (memcmp(checkpoints, first_checkpoint, 16) != 0 || valid != 1 || invalid != 0) {
            printf("backend %d: mismatch\n", backend);
            failures++;
        }
    }
    if (pot_prove(POT_BACKEND_PORTABLE, seed, key, 0, (uint8_t[128]){0}) == 0) {
        failures++;
    }
    printf("%d passed, %d failed\n", failures == 0 ? 1 : 0, failures == 0 ? 0 : 1);
    return failures == 0 ? 0 : 1;
}
