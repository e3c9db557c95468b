/* Standalone check of the PoS kernel without Python: built with -Werror by
 * tests/kernels/test_c_standalone.py. Checks BLAKE3 known answers (official input pattern), the
 * chiapos f1/fn vectors (subspace-proof-of-space `chiapos/table/tests.rs`), the K=20 proof
 * (`chiapos/tables/tests.rs::proof_identity_with_main_branch`) with its verification, and that every
 * available backend builds the same K=16 tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../include/pos.h"

static int failures = 0;

static void check(int condition, const char *what) {
    if (!condition) {
        printf("FAILED: %s\n", what);
        failures++;
    }
}

static void from_hex(const char *hex, uint8_t *out, size_t length) {
    for (size_t i = 0; i < length; i++) {
        unsigned value = 0;
        sscanf(hex + 2 * i, "%2x", &value);
        out[i] = (uint8_t)value;
    }
}

static void check_blake3(void) {
    static const struct {
        size_t length;
        const char *hash;
    } vectors[] = {
        {0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
        {1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"},
        {64, "4eed7141ea4a5cd4b788606bd23f46e212af9cacebacdc7d1f4c6dc7f2511b98"},
        {65, "de1e5fa0be70df6d2be8fffd0e99ceaa8eb6e8c93a63f2d8d1c30ecb6b263dee"},
        {160, "4eeaf67454f501a707152e7ce8009b3f6ff5724ad5f042f7ca595f588c1d3080"},
        {1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"},
    };
    uint8_t input[1024];
    for (unsigned i = 0; i < sizeof input; i++) {
        input[i] = (uint8_t)(i % 251);
    }
    for (unsigned v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        uint8_t expected[32], hash[32];
        from_hex(vectors[v].hash, expected, 32);
        check(pos_blake3(input, vectors[v].length, hash) == 0 && memcmp(hash, expected, 32) == 0, "blake3 vector");
    }
}

static void check_f_functions(void) {
    static const uint8_t test_seed[32] = {0x01, 0, 2, 3, 4, 5, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                          16,   1, 2, 3, 41, 5, 6, 7, 8, 9, 10, 11, 12, 13, 11, 15};
    static const uint32_t f1_vectors[][3] = {
        {25, 525, 2016650816u},  {25, 526, 2063162112u},   {25, 625, 1930299520u},
        {22, 1837491, 105738140}, {22, 1837492, 192213404}, {22, 1837493, 64977628}, {22, 1837746, 91711644},
    };
    for (unsigned v = 0; v < sizeof f1_vectors / sizeof f1_vectors[0]; v++) {
        uint32_t y = 0;
        check(pos_compute_f1(f1_vectors[v][0], test_seed, f1_vectors[v][1], &y) == 0 && y == f1_vectors[v][2],
              "f1 vector");
    }
    /* (table, left, right, y) -> (y, metadata) at K = 16 */
    static const uint64_t fn_vectors[][6] = {
        {2, 0x44cb, 0x204f, 0x20a61a, 0x2af546, 0x44cb204f},
        {4, 0x5b6e6e307d4bedc, 0x8a9a021ea648a7dd, 0x30cb4c, 0x11ad5, 0xd4bd0b144fc26138},
        {5, 0xc2cd789a380208a9, 0x19999e3fa46d6753, 0x25f01e, 0x1f22bd, 0xabe423040a33},
        {6, 0xc965815a47c5, 0xf5e008d6af57, 0x1f121a, 0x1cabbe, 0xc8cc6947},
        {7, 0x5fec898f, 0x82283d15, 0x14f410, 0x24c3c2, 0},
    };
    for (unsigned v = 0; v < sizeof fn_vectors / sizeof fn_vectors[0]; v++) {
        uint8_t left[16] = {0}, right[16] = {0}, metadata[16];
        for (unsigned i = 0; i < 8; i++) {
            left[15 - i] = (uint8_t)(fn_vectors[v][1] >> (8 * i));
            right[15 - i] = (uint8_t)(fn_vectors[v][2] >> (8 * i));
        }
        uint32_t y = 0;
        int status = pos_compute_fn(16, (unsigned)fn_vectors[v][0], (uint32_t)fn_vectors[v][3], left, right, &y, metadata);
        uint64_t low = 0;
        for (unsigned i = 8; i < 16; i++) {
            low = low << 8 | metadata[i];
        }
        check(status == 0 && y == fn_vectors[v][4] && low == fn_vectors[v][5], "fn vector");
    }
}

static const char *const t2_seed = "23023404333717545b0a6f0c0dde9710e4d3fe2d5cc6cc0a090a0b818bab0f17";
static const char *const t2_proof =
    "e7a0b6a09787b5b8a2b649f6640a40089dfba1b02f2b60153379068d73ac2ceb238db9e7e8705ee9ea8122ea629c34247085ccf8a5"
    "205757b38eb709f350ffe99d587ec81785c55f1924962232c72af0ce4db70fcb5ce246b17537f0e1c0ccd31942c1d65bd3ec70cde7"
    "2af17ad67f6bda4271cc543e9929612f6f41479abffc60b6ace8edf407849ec9ef85b8bf4863807fcac374315bcf0e866db8e2de7213";

static void check_t2(void) {
    uint8_t seed[32], expected[160], proof[POS_MAX_PROOF_BYTES];
    from_hex(t2_seed, seed, 32);
    from_hex(t2_proof, expected, 160);
    pos_table *table = NULL;
    if (pos_table_create(20, POS_BACKEND_AUTO, &table) != 0) {
        check(0, "create K=20");
        return;
    }
    int found = 0, valid = 0;
    check(pos_table_generate(table, seed) == 0, "generate K=20");
    check(pos_table_find_proof(table, 600426542u, proof, &found) == 0 && found, "T2 proof found");
    check(memcmp(proof, expected, 160) == 0, "T2 proof bytes");
    check(pos_table_find_proof(table, 1232460437u, proof, &found) == 0 && !found, "T2 challenge without proof");
    check(pos_is_proof_valid(20, seed, 600426542u, expected, &valid) == 0 && valid, "T2 proof verifies");
    expected[100] ^= 0x10;
    check(pos_is_proof_valid(20, seed, 600426542u, expected, &valid) == 0 && !valid, "altered proof fails");
    pos_table_destroy(table);
}

/* Every backend builds the same K=16 tables: equal proof hashes for all 65536 challenges. */
static void check_backends_agree(void) {
    uint8_t seed[32];
    from_hex(t2_seed, seed, 32);
    size_t count = (size_t)1 << 16;
    uint8_t *flags = malloc(count), *hashes = malloc(32 * count), *first_hashes = malloc(32 * count);
    int have_first = 0;
    for (int backend = POS_BACKEND_PORTABLE; backend < POS_BACKEND_COUNT && flags && hashes && first_hashes; backend++) {
        pos_table *table = NULL;
        if (!pos_backend_available(backend) || pos_table_create(16, backend, &table) != 0) {
            continue;
        }
        check(pos_table_generate(table, seed) == 0 && pos_table_proof_hashes(table, count, flags, hashes) == 0,
              "K=16 proof hashes");
        if (have_first) {
            check(memcmp(hashes, first_hashes, 32 * count) == 0, "backends agree");
        } else {
            memcpy(first_hashes, hashes, 32 * count);
            have_first = 1;
        }
        pos_table_destroy(table);
    }
    check(have_first, "portable backend ran");
    free(flags);
    free(hashes);
    free(first_hashes);
}

int main(void) {
    check_blake3();
    check_f_functions();
    check_t2();
    check_backends_agree();
    pos_table *table = NULL;
    check(pos_table_create(11, POS_BACKEND_AUTO, &table) != 0 && table == NULL, "K=11 rejected");
    printf("%d passed, %d failed\n", failures == 0 ? 1 : 0, failures == 0 ? 0 : 1);
    return failures == 0 ? 0 : 1;
}
