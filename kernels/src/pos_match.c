/* Matching of one adjacent bucket pair (b, b + 1) of a sorted parent table.
 *
 * The right bucket goes into an r-map: rmap[r] = 1 + offset of its first entry with that r (entries
 * with equal y are adjacent). Each left entry, in bucket order, has the 64 targets
 *   ((r / C + m) mod B) * C + ((2m + parity)^2 + r) mod C,   m = 0..63, parity = b mod 2,
 * and emits (left, right) for every right entry of every target hit, hits in ascending r (the
 * reference walks a sorted target table). At most 512 matches are kept: the first in this order.
 *
 * Portable C looks every target up in the r-map. AVX-512 and AVX2 split a target into its group
 * g = (r / C + m) mod B and offset s: the right bucket's offsets become "slot planes", where
 * plane[i][g] is the i-th distinct offset present in group g (0xFF when none) and columns 119..181
 * repeat 0..62, so the 64 groups of a left entry are 64 contiguous bytes of every plane. One byte
 * compare per plane (two with AVX2) then tests all 64 targets; hits go to a list and are emitted after.
 * Rows are 64-byte loads, so every plane is read at columns group .. group + 63 <= 181. */
#include <string.h>

#include "pos_internal.h"

#define MAX_PLANES 16   /* a pair with a group of more distinct r falls back to portable */
#define PLANE_STRIDE 192 /* 119 groups + 63 repeated = 182 columns, padded */

/* Insert `target` into the ascending hits[0..count). */
static inline unsigned insert_hit(uint32_t *hits, unsigned count, uint32_t target) {
    unsigned at = count;
    while (at > 0 && hits[at - 1] > target) {
        hits[at] = hits[at - 1];
        at--;
    }
    hits[at] = target;
    return count + 1;
}

/* Append (left, right) for every right entry with r = target, up to the pair's cap. */
static inline size_t emit_target(pos_table *table, uint32_t left, uint32_t target, uint32_t right_base,
                                 uint32_t right_start, uint32_t right_end, size_t count) {
    const uint32_t *py = table->py;
    uint32_t y = right_base + target;
    for (uint32_t j = right_start + table->rmap[target] - 1; j < right_end && py[j] == y; j++) {
        if (count == POS_MAX_PAIR_MATCHES) {
            break;
        }
        table->match_left[count] = left;
        table->match_right[count] = j;
        count++;
    }
    return count;
}

static size_t scan_left_portable(pos_table *table, uint32_t bucket, uint32_t left_start, uint32_t right_start,
                                 uint32_t right_end) {
    const uint32_t *py = table->py;
    const uint16_t *rmap = table->rmap;
    uint32_t left_base = bucket * POS_PARAM_BC, right_base = left_base + POS_PARAM_BC;
    uint32_t squares[POS_PARAM_M];
    for (uint32_t m = 0; m < POS_PARAM_M; m++) {
        squares[m] = (2 * m + (bucket & 1)) * (2 * m + (bucket & 1)) % POS_PARAM_C;
    }
    size_t count = 0;
    for (uint32_t i = left_start; i < right_start && count < POS_MAX_PAIR_MATCHES; i++) {
        uint32_t left_r = py[i] - left_base, group = left_r / POS_PARAM_C, offset = left_r % POS_PARAM_C;
        uint32_t hits[POS_PARAM_M];
        unsigned num_hits = 0;
        for (uint32_t m = 0; m < POS_PARAM_M; m++) {
            uint32_t target_group = group + m, target_offset = squares[m] + offset;
            target_group -= target_group >= POS_PARAM_B ? POS_PARAM_B : 0;
            target_offset -= target_offset >= POS_PARAM_C ? POS_PARAM_C : 0;
            uint32_t target = target_group * POS_PARAM_C + target_offset;
            if (rmap[target] != 0) {
                num_hits = insert_hit(hits, num_hits, target);
            }
        }
        for (unsigned h = 0; h < num_hits; h++) {
            count = emit_target(table, i, hits[h], right_base, right_start, right_end, count);
        }
    }
    return count;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512_TARGET __attribute__((target("avx512f,avx512bw")))

/* Slot planes of the right bucket; @return the number of planes used, or 0 when a group overflows. */
static unsigned build_planes(const uint16_t *rmap, const uint32_t *py, uint32_t right_base, uint32_t right_start,
                             uint32_t right_end, uint8_t planes[MAX_PLANES][PLANE_STRIDE]) {
    uint8_t used[POS_PARAM_B] = {0};
    unsigned num_planes = 0;
    memset(planes, 0xFF, sizeof(uint8_t[MAX_PLANES][PLANE_STRIDE]));
    for (uint32_t j = right_start; j < right_end; j++) {
        uint32_t r = py[j] - right_base;
        if (rmap[r] != j - right_start + 1) {
            continue; /* an equal r seen before */
        }
        uint32_t group = r / POS_PARAM_C;
        if (used[group] == MAX_PLANES) {
            return 0;
        }
        planes[used[group]++][group] = (uint8_t)(r - group * POS_PARAM_C);
        num_planes = used[group] > num_planes ? used[group] : num_planes;
    }
    for (unsigned plane = 0; plane < num_planes; plane++) {
        memcpy(planes[plane] + POS_PARAM_B, planes[plane], POS_PARAM_M - 1);
    }
    return num_planes;
}

/* Phase 1: the hits of every left entry as (left index, target), each entry's in ascending r;
 * @return their number. */
AVX512_TARGET static size_t collect_hits_avx512(pos_table *table, const uint8_t planes[MAX_PLANES][PLANE_STRIDE],
                                                unsigned num_planes, uint32_t bucket, uint32_t left_start,
                                                uint32_t right_start) {
    size_t num_rotations = 0;
    const uint32_t *py = table->py;
    uint32_t *hit_left = table->hit_left, *hit_target = table->hit_target;
    uint32_t left_base = bucket * POS_PARAM_BC;
    uint8_t square_bytes[POS_PARAM_M];
    for (uint32_t m = 0; m < POS_PARAM_M; m++) {
        square_bytes[m] = (uint8_t)((2 * m + (bucket & 1)) * (2 * m + (bucket & 1)) % POS_PARAM_C);
    }
    const __m512i squares = _mm512_loadu_si512((const void *)square_bytes);
    const __m512i param_c = _mm512_set1_epi8((char)POS_PARAM_C);
    size_t num_hits = 0;
    for (uint32_t i = left_start; i < right_start; i++) {
        uint32_t left_r = py[i] - left_base, group = left_r / POS_PARAM_C;
        __m512i offsets = _mm512_add_epi8(squares, _mm512_set1_epi8((char)(left_r - group * POS_PARAM_C)));
        offsets = _mm512_mask_sub_epi8(offsets, _mm512_cmpge_epu8_mask(offsets, param_c), offsets, param_c);
        __mmask64 found = 0;
        for (unsigned plane = 0; plane < num_planes; plane++) {
            found |= _mm512_cmpeq_epi8_mask(offsets, _mm512_loadu_si512((const void *)(planes[plane] + group)));
        }
        /* targets = group_base[group + m] + offset_m, compressed to the hits in m order; the hits of groups
         * that wrap past B (m >= B - group) have the smallest r, so a left entry with hits on both sides
         * of the wrap is noted for rotation */
        uint64_t wrapped = group + POS_PARAM_M > POS_PARAM_B ? ~(uint64_t)0 << (POS_PARAM_B - group) : 0;
        if ((found & wrapped) != 0 && (found & ~wrapped) != 0) {
            table->hit_rotations[num_rotations][0] = (uint32_t)num_hits;
            table->hit_rotations[num_rotations][1] = (uint32_t)__builtin_popcountll(found & ~wrapped);
            table->hit_rotations[num_rotations++][2] = (uint32_t)__builtin_popcountll(found);
        }
        const __m512i left = _mm512_set1_epi32((int)i);
#define COMPRESS_HITS(J)                                                                                      \
    do {                                                                                                      \
        __mmask16 lanes = (__mmask16)(found >> (16 * (J)));                                                   \
        __m512i target = _mm512_add_epi32(_mm512_loadu_si512((const void *)(table->group_base + group + 16 * (J))), \
                                          _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(offsets, J)));       \
        _mm512_storeu_si512((void *)(hit_target + num_hits), _mm512_maskz_compress_epi32(lanes, target));     \
        _mm512_storeu_si512((void *)(hit_left + num_hits), left);                                             \
        num_hits += (size_t)__builtin_popcount(lanes);                                                        \
    } while (0)
        COMPRESS_HITS(0);
        COMPRESS_HITS(1);
        COMPRESS_HITS(2);
        COMPRESS_HITS(3);
#undef COMPRESS_HITS
    }
    /* put each noted left entry's wrapped hits (the last `total - first` in m order) first */
    for (size_t rotation = 0; rotation < num_rotations; rotation++) {
        uint32_t start = table->hit_rotations[rotation][0], first = table->hit_rotations[rotation][1];
        uint32_t total = table->hit_rotations[rotation][2], rotated[POS_PARAM_M];
        for (uint32_t h = 0; h < total; h++) {
            rotated[h] = hit_target[start + (h + first) % total];
        }
        memcpy(hit_target + start, rotated, total * sizeof *rotated);
    }
    return num_hits;
}

#define AVX2_TARGET __attribute__((target("avx2,bmi")))

/* Phase 1 with 32-byte vectors: the compares give a 64-bit mask whose hits leave it one by one in
 * ascending r (the groups that wrap past B first). */
AVX2_TARGET static size_t collect_hits_avx2(pos_table *table, const uint8_t planes[MAX_PLANES][PLANE_STRIDE],
                                            unsigned num_planes, uint32_t bucket, uint32_t left_start,
                                            uint32_t right_start) {
    const uint32_t *py = table->py;
    uint32_t *hit_left = table->hit_left, *hit_target = table->hit_target;
    uint32_t left_base = bucket * POS_PARAM_BC;
    uint8_t square_bytes[POS_PARAM_M];
    for (uint32_t m = 0; m < POS_PARAM_M; m++) {
        square_bytes[m] = (uint8_t)((2 * m + (bucket & 1)) * (2 * m + (bucket & 1)) % POS_PARAM_C);
    }
    const __m256i squares_low = _mm256_loadu_si256((const __m256i *)square_bytes);
    const __m256i squares_high = _mm256_loadu_si256((const __m256i *)(square_bytes + 32));
    const __m256i param_c = _mm256_set1_epi8((char)POS_PARAM_C);
    size_t num_hits = 0;
    for (uint32_t i = left_start; i < right_start; i++) {
        uint32_t left_r = py[i] - left_base, group = left_r / POS_PARAM_C;
        const __m256i offset = _mm256_set1_epi8((char)(left_r - group * POS_PARAM_C));
        /* (square + offset) mod C: the smaller of s and s - C (which wraps above s when s < C) */
        __m256i low = _mm256_add_epi8(squares_low, offset), high = _mm256_add_epi8(squares_high, offset);
        low = _mm256_min_epu8(low, _mm256_sub_epi8(low, param_c));
        high = _mm256_min_epu8(high, _mm256_sub_epi8(high, param_c));
        uint64_t found = 0;
        for (unsigned plane = 0; plane < num_planes; plane++) {
            const uint8_t *row = planes[plane] + group;
            uint32_t low_bits = (uint32_t)_mm256_movemask_epi8(
                _mm256_cmpeq_epi8(low, _mm256_loadu_si256((const __m256i *)row)));
            uint32_t high_bits = (uint32_t)_mm256_movemask_epi8(
                _mm256_cmpeq_epi8(high, _mm256_loadu_si256((const __m256i *)(row + 32))));
            found |= (uint64_t)high_bits << 32 | low_bits;
        }
        if (found == 0) {
            continue;
        }
        uint64_t wrapped = group + POS_PARAM_M > POS_PARAM_B ? ~(uint64_t)0 << (POS_PARAM_B - group) : 0;
        uint8_t offsets[POS_PARAM_M];
        _mm256_storeu_si256((__m256i *)offsets, low);
        _mm256_storeu_si256((__m256i *)(offsets + 32), high);
        const uint64_t parts[2] = {found & wrapped, found & ~wrapped};
        for (unsigned part = 0; part < 2; part++) {
            for (uint64_t bits = parts[part]; bits != 0; bits &= bits - 1) {
                unsigned m = (unsigned)__builtin_ctzll(bits);
                hit_left[num_hits] = i;
                hit_target[num_hits++] = table->group_base[group + m] + offsets[m];
            }
        }
    }
    return num_hits;
}

/* Phase 2: the right entries of every hit, up to the pair's cap. */
static size_t emit_hits(pos_table *table, size_t num_hits, uint32_t bucket, uint32_t right_start,
                        uint32_t right_end) {
    uint32_t right_base = (bucket + 1) * POS_PARAM_BC;
    size_t count = 0;
    for (size_t h = 0; h < num_hits && count < POS_MAX_PAIR_MATCHES; h++) {
        count = emit_target(table, table->hit_left[h], table->hit_target[h], right_base, right_start, right_end, count);
    }
    return count;
}
#endif

size_t pos_find_pair_matches(pos_table *table, uint32_t bucket, uint32_t left_start, uint32_t right_start,
                             uint32_t right_end) {
    const uint32_t *py = table->py;
    uint16_t *rmap = table->rmap;
    uint32_t right_base = (bucket + 1) * POS_PARAM_BC;
    for (uint32_t j = right_end; j-- > right_start;) {
        rmap[py[j] - right_base] = (uint16_t)(j - right_start + 1); /* backwards: the first of equal r wins */
    }
    size_t count;
#if defined(__x86_64__)
    uint8_t planes[MAX_PLANES][PLANE_STRIDE];
    unsigned num_planes = 0;
    if (table->backend == POS_BACKEND_AVX512 || table->backend == POS_BACKEND_AVX2) {
        num_planes = build_planes(rmap, py, right_base, right_start, right_end, planes);
    }
    if (num_planes > 0) {
        const uint8_t(*filled)[PLANE_STRIDE] = (const uint8_t(*)[PLANE_STRIDE])planes;
        size_t num_hits = table->backend == POS_BACKEND_AVX512
                              ? collect_hits_avx512(table, filled, num_planes, bucket, left_start, right_start)
                              : collect_hits_avx2(table, filled, num_planes, bucket, left_start, right_start);
        count = emit_hits(table, num_hits, bucket, right_start, right_end);
    } else
#endif
    {
        count = scan_left_portable(table, bucket, left_start, right_start, right_end);
    }
    for (uint32_t j = right_start; j < right_end; j++) {
        rmap[py[j] - right_base] = 0;
    }
    return count;
}
