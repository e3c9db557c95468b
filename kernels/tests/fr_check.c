/* Standalone check of the Fr kernel without Python: built with -Werror by
 * tests/kernels/test_c_standalone.py. Known root, NTT round trip, extend, recover, the record layouts,
 * bad arguments, and a digest of larger transforms on pseudo-random input, which must be the same for
 * every build (the test compares the assembly build with -DFR_PORTABLE_ONLY) and for every backend. */
#include <stdio.h>
#include <string.h>

#include "../include/fr.h"
#include "../src/errors.h"

#define SOURCE_COUNT 16
#define SHARD_COUNT (2 * SOURCE_COUNT)
#define SCRATCH_COUNT (8 * SHARD_COUNT)
#define DIGEST_SIZE 1024
#define DIGEST_SCRATCH_COUNT (6 * DIGEST_SIZE)

static const uint8_t OMEGA_256[FR_SCALAR_BYTES] = {
    0x4f, 0x9b, 0x40, 0x98, 0xe2, 0xe9, 0xf1, 0x2e, 0x6b, 0x36, 0x81, 0x21, 0xac, 0x0c, 0xf4, 0xad,
    0x0a, 0x08, 0x65, 0xa8, 0x99, 0xe8, 0xde, 0xff, 0x49, 0x35, 0xbd, 0x2f, 0x81, 0x7f, 0x69, 0x4b};
static const uint8_t MODULUS[FR_SCALAR_BYTES] = {
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
    0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01};

/* Every check runs on AUTO; check_backends compares the two multiplications directly. */
#define BACKEND FR_BACKEND_AUTO

static fr_element scratch[SCRATCH_COUNT];
static fr_element digest_scratch[DIGEST_SCRATCH_COUNT];
static uint8_t digest_values[DIGEST_SIZE * FR_SCALAR_BYTES], digest_out[DIGEST_SIZE * FR_SCALAR_BYTES];
static int failures = 0;

static void check(int condition, const char *what) {
    if (!condition) {
        printf("failed: %s\n", what);
        failures++;
    }
}

/* Small distinct scalars: value i * 7919 + 1 in the last two bytes. */
static void fill_scalars(uint8_t *bytes, size_t count) {
    memset(bytes, 0, count * FR_SCALAR_BYTES);
    for (size_t i = 0; i < count; i++) {
        unsigned value = (unsigned)(i * 7919u + 1u);
        bytes[FR_SCALAR_BYTES * i + 30] = (uint8_t)(value >> 8);
        bytes[FR_SCALAR_BYTES * i + 31] = (uint8_t)value;
    }
}

static void check_root_and_round_trip(void) {
    uint8_t root[FR_SCALAR_BYTES], values[SHARD_COUNT * FR_SCALAR_BYTES], transformed[sizeof values];
    check(fr_root_of_unity(256, root) == 0 && memcmp(root, OMEGA_256, FR_SCALAR_BYTES) == 0, "omega_256");
    check(fr_root_of_unity(3, root) != 0, "n = 3 rejected");
    fill_scalars(values, SHARD_COUNT);
    check(fr_ntt(BACKEND, values, transformed, SHARD_COUNT, scratch, SCRATCH_COUNT) == 0, "ntt");
    check(memcmp(values, transformed, sizeof values) != 0, "ntt changes the values");
    check(fr_intt(BACKEND, transformed, transformed, SHARD_COUNT, scratch, SCRATCH_COUNT) == 0, "intt in place");
    check(memcmp(values, transformed, sizeof values) == 0, "intt(ntt(x)) == x");
    check(fr_ntt(BACKEND, values, transformed, 12, scratch, SCRATCH_COUNT) != 0, "n = 12 rejected");
    check(fr_ntt(BACKEND, values, transformed, SHARD_COUNT, scratch, 4) != 0, "short scratch rejected");
}

/* Extend, interleave, erase every source shard, recover: the interleaving must come back. */
static void check_extend_and_recover(void) {
    uint8_t source[SOURCE_COUNT * FR_SCALAR_BYTES], parity[sizeof source];
    uint8_t shards[SHARD_COUNT * FR_SCALAR_BYTES], recovered[sizeof shards], present[SHARD_COUNT];
    fill_scalars(source, SOURCE_COUNT);
    check(fr_extend(BACKEND, source, parity, SOURCE_COUNT, scratch, SCRATCH_COUNT) == 0, "extend");
    for (size_t i = 0; i < SOURCE_COUNT; i++) {
        memcpy(shards + FR_SCALAR_BYTES * (2 * i), source + FR_SCALAR_BYTES * i, FR_SCALAR_BYTES);
        memcpy(shards + FR_SCALAR_BYTES * (2 * i + 1), parity + FR_SCALAR_BYTES * i, FR_SCALAR_BYTES);
        present[2 * i] = 0;
        present[2 * i + 1] = 1;
    }
    uint8_t erased[sizeof shards];
    memcpy(erased, shards, sizeof shards);
    for (size_t i = 0; i < SHARD_COUNT; i += 2) {
        memset(erased + FR_SCALAR_BYTES * i, 0xff, FR_SCALAR_BYTES); /* absent: never read */
    }
    check(fr_recover(BACKEND, erased, present, SHARD_COUNT, recovered, scratch, SCRATCH_COUNT) == 0, "recover");
    check(memcmp(recovered, shards, sizeof shards) == 0, "recovered == interleaved source and parity");
    present[1] = 0;
    check(fr_recover(BACKEND, erased, present, SHARD_COUNT, recovered, scratch, SCRATCH_COUNT) != 0, "n - 1 present rejected");
    present[1] = 1;
    shards[FR_SCALAR_BYTES * 3 + 31] ^= 1;
    memset(present, 1, sizeof present);
    check(fr_recover(BACKEND, shards, present, SHARD_COUNT, recovered, scratch, SCRATCH_COUNT) != 0, "corrupt shard rejected");
}

/* Records of RECORD_CHUNKS chunks: extend_records == extend of each gathered column, and
 * recover_records brings back every record from the parity records alone. */
#define RECORD_COUNT 4
#define RECORD_CHUNKS 3
#define RECORD_SCALARS (RECORD_COUNT * RECORD_CHUNKS)

static void check_records(void) {
    uint8_t records[RECORD_SCALARS * FR_SCALAR_BYTES], parity[sizeof records], expected[sizeof records];
    uint8_t column[RECORD_COUNT * FR_SCALAR_BYTES], column_parity[sizeof column];
    uint8_t all[2 * sizeof records], recovered[sizeof all], present[2 * RECORD_COUNT];
    const size_t record_bytes = RECORD_CHUNKS * FR_SCALAR_BYTES;
    fill_scalars(records, RECORD_SCALARS);
    check(fr_extend_records(BACKEND, records, parity, RECORD_COUNT, RECORD_CHUNKS, scratch, SCRATCH_COUNT) == 0,
          "extend_records");
    for (size_t chunk = 0; chunk < RECORD_CHUNKS; chunk++) {
        for (size_t j = 0; j < RECORD_COUNT; j++) {
            memcpy(column + FR_SCALAR_BYTES * j, records + record_bytes * j + FR_SCALAR_BYTES * chunk, FR_SCALAR_BYTES);
        }
        check(fr_extend(BACKEND, column, column_parity, RECORD_COUNT, scratch, SCRATCH_COUNT) == 0, "extend of a column");
        for (size_t j = 0; j < RECORD_COUNT; j++) {
            memcpy(expected + record_bytes * j + FR_SCALAR_BYTES * chunk, column_parity + FR_SCALAR_BYTES * j,
                   FR_SCALAR_BYTES);
        }
    }
    check(memcmp(parity, expected, sizeof parity) == 0, "extend_records == extend of each column");
    for (size_t j = 0; j < RECORD_COUNT; j++) {
        memset(all + record_bytes * (2 * j), 0xff, record_bytes); /* absent source: never read */
        memcpy(all + record_bytes * (2 * j + 1), parity + record_bytes * j, record_bytes);
        present[2 * j] = 0;
        present[2 * j + 1] = 1;
    }
    check(fr_recover_records(BACKEND, all, present, 2 * RECORD_COUNT, RECORD_CHUNKS, recovered, scratch, SCRATCH_COUNT) == 0,
          "recover_records");
    for (size_t j = 0; j < RECORD_COUNT; j++) {
        check(memcmp(recovered + record_bytes * (2 * j), records + record_bytes * j, record_bytes) == 0,
              "recovered source record");
    }
    check(fr_extend_records(BACKEND, records, parity, RECORD_COUNT, 0, scratch, SCRATCH_COUNT) != 0, "0 chunks rejected");
    check(fr_extend_records(BACKEND, records, parity, 3, RECORD_CHUNKS, scratch, SCRATCH_COUNT) != 0, "3 records rejected");
}

static void check_non_canonical(void) {
    uint8_t values[4 * FR_SCALAR_BYTES], out[sizeof values];
    fill_scalars(values, 4);
    memcpy(values + 2 * FR_SCALAR_BYTES, MODULUS, FR_SCALAR_BYTES);
    check(fr_first_noncanonical(values, 4) == 2, "first non-canonical index");
    check(fr_ntt(BACKEND, values, out, 4, scratch, SCRATCH_COUNT) != 0, "r rejected by ntt");
    check(fr_extend(BACKEND, values, out, 4, scratch, SCRATCH_COUNT) != 0, "r rejected by extend");
}

/* FNV-1a over the bytes, folded into `hash`. */
static uint64_t fold(uint64_t hash, const uint8_t *bytes, size_t length) {
    for (size_t i = 0; i < length; i++) {
        hash = (hash ^ bytes[i]) * 0x100000001b3u;
    }
    return hash;
}

/* Scalars below 2^254 (so canonical) from a xorshift generator. */
static void fill_pseudo_random(uint8_t *bytes, size_t count) {
    uint64_t state = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < count * FR_SCALAR_BYTES; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes[i] = (uint8_t)state;
    }
    for (size_t i = 0; i < count; i++) {
        bytes[FR_SCALAR_BYTES * i] &= 0x3f;
    }
}

/* Extend the first half of `digest_values`, interleave it into DIGEST_SIZE shards, erase a
 * pseudo-random set (at most half), recover into digest_out. */
static void recover_pseudo_random(void) {
    static uint8_t parity[DIGEST_SIZE / 2 * FR_SCALAR_BYTES], shards[DIGEST_SIZE * FR_SCALAR_BYTES];
    uint8_t present[DIGEST_SIZE];
    check(fr_extend(BACKEND, digest_values, parity, DIGEST_SIZE / 2, digest_scratch, DIGEST_SCRATCH_COUNT) == 0,
          "digest extend half");
    for (size_t i = 0; i < DIGEST_SIZE / 2; i++) {
        memcpy(shards + FR_SCALAR_BYTES * (2 * i), digest_values + FR_SCALAR_BYTES * i, FR_SCALAR_BYTES);
        memcpy(shards + FR_SCALAR_BYTES * (2 * i + 1), parity + FR_SCALAR_BYTES * i, FR_SCALAR_BYTES);
    }
    for (size_t i = 0; i < DIGEST_SIZE; i++) {
        present[i] = (uint8_t)(((i * 0x9e3779b1u) >> 11) & 1u);
        present[i] |= (uint8_t)(i % 4 == 0); /* at least half present */
    }
    check(fr_recover(BACKEND, shards, present, DIGEST_SIZE, digest_out, digest_scratch, DIGEST_SCRATCH_COUNT) == 0,
          "digest recover");
    check(memcmp(digest_out, shards, sizeof shards) == 0, "digest recover gives the interleaving back");
}

/* Every backend this CPU runs gives AUTO's bytes; an unknown one and an absent one are refused by code. */
static void check_backends(void) {
    static uint8_t expected[DIGEST_SIZE * FR_SCALAR_BYTES];
    fill_pseudo_random(digest_values, DIGEST_SIZE);
    check(fr_extend(FR_BACKEND_AUTO, digest_values, expected, DIGEST_SIZE, digest_scratch, DIGEST_SCRATCH_COUNT) == 0,
          "extend on auto");
    for (int backend = FR_BACKEND_PORTABLE; backend < FR_BACKEND_COUNT; backend++) {
        int status = fr_extend(backend, digest_values, digest_out, DIGEST_SIZE, digest_scratch, DIGEST_SCRATCH_COUNT);
        if (fr_backend_available(backend)) {
            check(status == 0 && memcmp(digest_out, expected, sizeof expected) == 0, "every backend extends alike");
        } else {
            check(status == KERNEL_ERR_BACKEND_UNAVAILABLE, "absent backend refused");
        }
    }
    check(fr_backend_available(fr_best_backend()), "the best backend is available");
    check(fr_ntt(FR_BACKEND_COUNT, digest_values, digest_out, 4, scratch, SCRATCH_COUNT) == KERNEL_ERR_INVALID_ARGUMENT,
          "unknown backend refused");
    check(fr_ntt(-1, digest_values, digest_out, 4, scratch, SCRATCH_COUNT) == KERNEL_ERR_INVALID_ARGUMENT,
          "negative backend refused");
}

static void print_digest(void) {
    uint64_t hash = 0xcbf29ce484222325u;
    fill_pseudo_random(digest_values, DIGEST_SIZE);
    check(fr_ntt(BACKEND, digest_values, digest_out, DIGEST_SIZE, digest_scratch, DIGEST_SCRATCH_COUNT) == 0, "digest ntt");
    hash = fold(hash, digest_out, sizeof digest_out);
    check(fr_intt(BACKEND, digest_values, digest_out, DIGEST_SIZE, digest_scratch, DIGEST_SCRATCH_COUNT) == 0, "digest intt");
    hash = fold(hash, digest_out, sizeof digest_out);
    check(fr_extend(BACKEND, digest_values, digest_out, DIGEST_SIZE, digest_scratch, DIGEST_SCRATCH_COUNT) == 0,
          "digest extend");
    hash = fold(hash, digest_out, sizeof digest_out);
    recover_pseudo_random();
    hash = fold(hash, digest_out, sizeof digest_out);
    printf("arithmetic: %s\ndigest %016llx\n", fr_arithmetic(), (unsigned long long)hash);
}

int main(void) {
    check_root_and_round_trip();
    check_extend_and_recover();
    check_records();
    check_non_canonical();
    check_backends();
    print_digest();
    printf("%d passed, %d failed\n", failures == 0 ? 1 : 0, failures == 0 ? 0 : 1);
    return failures == 0 ? 0 : 1;
}
