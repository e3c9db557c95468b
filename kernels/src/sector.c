/* Sector kernel (include/sector.h): record masking, s-bucket scatter and gather, presence bitfields.
 *
 * Everything here is byte movement and bit counting; the proof-of-space table and the erasure code live
 * in their own kernels. Each record stores exactly n of its 2n extended chunks, so once every record's
 * encoded-bit count is checked (at most n), every index computed below stays inside its buffer. */
#include "sector.h"

#include <string.h>

#include "errors.h"

#define BITS_PER_BYTE 8u

static int is_valid_record_num_chunks(size_t record_num_chunks) {
    return record_num_chunks >= SECTOR_MIN_RECORD_CHUNKS && record_num_chunks <= SECTOR_MAX_RECORD_CHUNKS &&
           record_num_chunks % 4 == 0;
}

static int is_valid_num_records(size_t num_records) { return num_records >= 1 && num_records <= SECTOR_MAX_RECORDS; }

size_t sector_bitfield_bytes(size_t record_num_chunks) { return 2 * record_num_chunks / BITS_PER_BYTE; }

/* Portable SWAR population count (no dependence on a popcnt instruction being enabled). */
static unsigned popcount64(uint64_t word) {
    word = word - ((word >> 1) & 0x5555555555555555u);
    word = (word & 0x3333333333333333u) + ((word >> 2) & 0x3333333333333333u);
    word = (word + (word >> 4)) & 0x0F0F0F0F0F0F0F0Fu;
    return (unsigned)((word * 0x0101010101010101u) >> 56);
}

/* Bytes [index, index + count) of a bitfield as one little-endian word: bit s of the word is bit s of the run. */
static uint64_t load_bits(const uint8_t *bits, size_t count) {
    uint64_t word = 0;
    for (size_t index = 0; index < count; index++) {
        word |= (uint64_t)bits[index] << (8 * index);
    }
    return word;
}

static void store_bits(uint8_t *bits, size_t count, uint64_t word) {
    for (size_t index = 0; index < count; index++) {
        bits[index] = (uint8_t)(word >> (8 * index));
    }
}

static size_t popcount_bytes(const uint8_t *bits, size_t length) {
    size_t count = 0;
    for (size_t index = 0; index < length; index += sizeof(uint64_t)) {
        const size_t run = (length - index < sizeof(uint64_t)) ? length - index : sizeof(uint64_t);
        count += popcount64(load_bits(bits + index, run));
    }
    return count;
}

static unsigned bit_at(const uint8_t *bits, size_t s_bucket) {
    return (unsigned)(bits[s_bucket / BITS_PER_BYTE] >> (s_bucket % BITS_PER_BYTE)) & 1u;
}

static void write_u16_le(uint8_t *out, size_t index, size_t value) {
    out[2 * index] = (uint8_t)(value & 0xFFu);
    out[2 * index + 1] = (uint8_t)((value >> 8) & 0xFFu);
}

/* Presence of one record; n already checked. Returns KERNEL_ERR_INVALID_ARGUMENT for more than n encoded bits.
 * Words are filled whole while the unencoded fill-ins last; the rest of the bitfield is the encoded bits. */
static int record_presence(const uint8_t *encoded_bits, size_t record_num_chunks, uint8_t *presence_out) {
    const size_t length = sector_bitfield_bytes(record_num_chunks);
    const size_t num_encoded = popcount_bytes(encoded_bits, length);
    if (num_encoded > record_num_chunks) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    size_t unencoded_left = record_num_chunks - num_encoded;
    size_t index = 0;
    for (; index < length && unencoded_left > 0; index += sizeof(uint64_t)) {
        const size_t run = (length - index < sizeof(uint64_t)) ? length - index : sizeof(uint64_t);
        const uint64_t run_mask = (run == sizeof(uint64_t)) ? ~(uint64_t)0 : (((uint64_t)1 << (8 * run)) - 1u);
        uint64_t presence = load_bits(encoded_bits + index, run);
        uint64_t clear = ~presence & run_mask;
        const size_t num_clear = popcount64(clear);
        if (unencoded_left >= num_clear) {
            presence = run_mask;
            unencoded_left -= num_clear;
        } else {
            /* the lowest clear bits first: unencoded chunks fill the first free s-buckets */
            for (; unencoded_left > 0; unencoded_left--) {
                presence |= clear & (0u - clear);
                clear &= clear - 1u;
            }
        }
        store_bits(presence_out + index, run, presence);
    }
    if (index < length) {
        memcpy(presence_out + index, encoded_bits + index, length - index);
    }
    return KERNEL_OK;
}

int sector_record_presence(const uint8_t *encoded_bits, size_t record_num_chunks, uint8_t *presence_out) {
    if (encoded_bits == NULL || presence_out == NULL || !is_valid_record_num_chunks(record_num_chunks)) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    return record_presence(encoded_bits, record_num_chunks, presence_out);
}

static const uint8_t *extended_chunk(const uint8_t *source, const uint8_t *parity, size_t s_bucket) {
    const uint8_t *half = (s_bucket % 2 == 0) ? source : parity;
    return half + (s_bucket / 2) * SECTOR_CHUNK_BYTES;
}

static void xor_chunk(uint8_t *out, const uint8_t *chunk, const uint8_t *mask) {
    for (size_t index = 0; index < SECTOR_CHUNK_BYTES; index++) {
        out[index] = (uint8_t)(chunk[index] ^ mask[index]);
    }
}

static int masks_to_zero(const uint8_t *chunk, const uint8_t *mask) {
    unsigned difference = 0;
    for (size_t index = 0; index < SECTOR_CHUNK_BYTES; index++) {
        difference |= (unsigned)(chunk[index] ^ mask[index]);
    }
    return difference == 0;
}

int sector_mask_and_select(const uint8_t *source, const uint8_t *parity, const uint8_t *proof_flags,
                           const uint8_t *proof_hashes, size_t record_num_chunks, uint8_t *encoded_bits_out,
                           uint8_t *chunks_out, size_t *num_encoded_out) {
    if (source == NULL || parity == NULL || proof_flags == NULL || proof_hashes == NULL || encoded_bits_out == NULL ||
        chunks_out == NULL || num_encoded_out == NULL || !is_valid_record_num_chunks(record_num_chunks)) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    const size_t num_s_buckets = 2 * record_num_chunks;
    memset(encoded_bits_out, 0, sector_bitfield_bytes(record_num_chunks));
    /* the first n s-buckets with a proof whose masked chunk is not the zero sentinel are encoded */
    size_t num_encoded = 0;
    for (size_t s_bucket = 0; s_bucket < num_s_buckets && num_encoded < record_num_chunks; s_bucket++) {
        const uint8_t *hash = proof_hashes + s_bucket * SECTOR_CHUNK_BYTES;
        if (proof_flags[s_bucket] == 0 || masks_to_zero(extended_chunk(source, parity, s_bucket), hash)) {
            continue;
        }
        encoded_bits_out[s_bucket / BITS_PER_BYTE] |= (uint8_t)(1u << (s_bucket % BITS_PER_BYTE));
        num_encoded++;
    }
    /* then the unencoded chunks of the first s-buckets left over, all in increasing s */
    size_t unencoded_left = record_num_chunks - num_encoded;
    uint8_t *out = chunks_out;
    for (size_t s_bucket = 0; s_bucket < num_s_buckets; s_bucket++) {
        const uint8_t *chunk = extended_chunk(source, parity, s_bucket);
        if (bit_at(encoded_bits_out, s_bucket)) {
            xor_chunk(out, chunk, proof_hashes + s_bucket * SECTOR_CHUNK_BYTES);
        } else if (unencoded_left > 0) {
            memcpy(out, chunk, SECTOR_CHUNK_BYTES);
            unencoded_left--;
        } else {
            continue;
        }
        out += SECTOR_CHUNK_BYTES;
    }
    *num_encoded_out = num_encoded;
    return KERNEL_OK;
}

int sector_unmask(const uint8_t *chunks, const uint8_t *encoded_bits, const uint8_t *proof_flags,
                  const uint8_t *proof_hashes, size_t record_num_chunks, uint8_t *column_out, uint8_t *present_out) {
    if (chunks == NULL || encoded_bits == NULL || proof_flags == NULL || proof_hashes == NULL || column_out == NULL ||
        present_out == NULL || !is_valid_record_num_chunks(record_num_chunks)) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    const size_t num_encoded = popcount_bytes(encoded_bits, sector_bitfield_bytes(record_num_chunks));
    if (num_encoded > record_num_chunks) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    size_t unencoded_left = record_num_chunks - num_encoded;
    const uint8_t *in = chunks;
    for (size_t s_bucket = 0; s_bucket < 2 * record_num_chunks; s_bucket++) {
        uint8_t *column = column_out + s_bucket * SECTOR_CHUNK_BYTES;
        if (bit_at(encoded_bits, s_bucket)) {
            /* an encoded chunk can only be unmasked with the proof it was masked with */
            if (proof_flags[s_bucket] == 0) {
                return KERNEL_ERR_INVALID_ARGUMENT;
            }
            xor_chunk(column, in, proof_hashes + s_bucket * SECTOR_CHUNK_BYTES);
        } else if (unencoded_left > 0) {
            memcpy(column, in, SECTOR_CHUNK_BYTES);
            unencoded_left--;
        } else {
            memset(column, 0, SECTOR_CHUNK_BYTES);
            present_out[s_bucket] = 0;
            continue;
        }
        present_out[s_bucket] = 1;
        in += SECTOR_CHUNK_BYTES;
    }
    return KERNEL_OK;
}

/* ---- byte lanes ---- */

/* The 8 bits of a byte spread into the 8 bytes of a word (bit k -> byte k): adding the words of up to 255
 * bitfields counts 8 s-buckets per addition without carries between the byte lanes. */
#define BYTE_LANES(b)                                                                                                \
    ((uint64_t)((b) & 1) | (uint64_t)(((b) >> 1) & 1) << 8 | (uint64_t)(((b) >> 2) & 1) << 16 |                     \
     (uint64_t)(((b) >> 3) & 1) << 24 | (uint64_t)(((b) >> 4) & 1) << 32 | (uint64_t)(((b) >> 5) & 1) << 40 |        \
     (uint64_t)(((b) >> 6) & 1) << 48 | (uint64_t)(((b) >> 7) & 1) << 56)
#define BYTE_LANES_4(b) BYTE_LANES(b), BYTE_LANES((b) + 1), BYTE_LANES((b) + 2), BYTE_LANES((b) + 3)
#define BYTE_LANES_16(b) BYTE_LANES_4(b), BYTE_LANES_4((b) + 4), BYTE_LANES_4((b) + 8), BYTE_LANES_4((b) + 12)
#define BYTE_LANES_64(b) BYTE_LANES_16(b), BYTE_LANES_16((b) + 16), BYTE_LANES_16((b) + 32), BYTE_LANES_16((b) + 48)
static const uint64_t byte_lanes[256] = {BYTE_LANES_64(0), BYTE_LANES_64(64), BYTE_LANES_64(128), BYTE_LANES_64(192)};
#define MAX_PENDING_ROWS 255u /* a byte lane holds counts up to 255 */

/* Lane k of a byte-lane word (the count of bit k). */
static size_t lane(uint64_t word, unsigned bit) { return (size_t)((word >> (8 * bit)) & 0xFFu); }

/* The index of the lowest set bit of a non-zero word. */
static size_t lowest_set_bit64(uint64_t word) {
#if defined(__GNUC__) || defined(__clang__)
    return (size_t)__builtin_ctzll(word);
#else
    return popcount64((word & (0u - word)) - 1u);
#endif
}

/* ---- scatter ---- */

size_t sector_scatter_scratch_bytes(size_t num_records, size_t record_num_chunks) {
    if (!is_valid_num_records(num_records) || !is_valid_record_num_chunks(record_num_chunks)) {
        return 0;
    }
    /* a read cursor and a presence word per record, then every record's presence */
    return num_records * (sizeof(const uint8_t *) + sizeof(uint64_t)) +
           num_records * sector_bitfield_bytes(record_num_chunks);
}

#define BLOCK_BYTES 2u                             /* s-buckets are scattered 16 at a time (measured best) */
#define BLOCK_BITS (BLOCK_BYTES * BITS_PER_BYTE)
#define PREFETCH_DISTANCE 16u                      /* records ahead whose next chunks are fetched early */

/* The sizes of the `run * 8` s-buckets of a block from every record's presence word. */
static void count_block(const uint64_t *words, size_t num_records, size_t run, size_t sizes[BLOCK_BITS]) {
    for (size_t bit = 0; bit < BLOCK_BITS; bit++) {
        sizes[bit] = 0;
    }
    for (size_t first = 0; first < num_records; first += MAX_PENDING_ROWS) {
        const size_t last = (num_records - first < MAX_PENDING_ROWS) ? num_records : first + MAX_PENDING_ROWS;
        uint64_t lanes[BLOCK_BYTES] = {0};
        for (size_t record = first; record < last; record++) {
            for (size_t byte = 0; byte < run; byte++) {
                lanes[byte] += byte_lanes[(words[record] >> (8 * byte)) & 0xFFu];
            }
        }
        for (size_t byte = 0; byte < run; byte++) {
            for (unsigned bit = 0; bit < BITS_PER_BYTE; bit++) {
                sizes[byte * BITS_PER_BYTE + bit] += lane(lanes[byte], bit);
            }
        }
    }
}

/* Write one block of s-buckets: their sizes first, then each record's chunks straight to their slots, so a
 * record's chunks are read as one sequential run per block. */
static uint8_t *scatter_block(const uint64_t *words, size_t num_records, size_t run, const uint8_t **cursors,
                              uint8_t *out, size_t sizes[BLOCK_BITS]) {
    uint8_t *slots[BLOCK_BITS];
    count_block(words, num_records, run, sizes);
    slots[0] = out;
    for (size_t bit = 1; bit < run * BITS_PER_BYTE; bit++) {
        slots[bit] = slots[bit - 1] + sizes[bit - 1] * SECTOR_CHUNK_BYTES;
    }
    for (size_t record = 0; record < num_records; record++) {
#if defined(__GNUC__) || defined(__clang__)
        if (record + PREFETCH_DISTANCE < num_records) {
            __builtin_prefetch(cursors[record + PREFETCH_DISTANCE]);
            __builtin_prefetch(cursors[record + PREFETCH_DISTANCE] + 2 * SECTOR_CHUNK_BYTES);
        }
#endif
        const uint8_t *cursor = cursors[record];
        /* bits in increasing s: the record's chunks are in s order */
        for (uint64_t word = words[record]; word != 0; word &= word - 1u) {
            const size_t bit = lowest_set_bit64(word);
            memcpy(slots[bit], cursor, SECTOR_CHUNK_BYTES);
            slots[bit] += SECTOR_CHUNK_BYTES;
            cursor += SECTOR_CHUNK_BYTES;
        }
        cursors[record] = cursor;
    }
    return slots[run * BITS_PER_BYTE - 1];
}

int sector_scatter(const uint8_t *const *records, const uint8_t *encoded_bits, size_t num_records,
                   size_t record_num_chunks, uint8_t *s_buckets_out, uint8_t *s_bucket_sizes_out, uint8_t *scratch,
                   size_t scratch_bytes) {
    const size_t needed = sector_scatter_scratch_bytes(num_records, record_num_chunks);
    if (records == NULL || encoded_bits == NULL || s_buckets_out == NULL || s_bucket_sizes_out == NULL ||
        scratch == NULL || needed == 0 || scratch_bytes < needed) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    const size_t length = sector_bitfield_bytes(record_num_chunks);
    const uint8_t **cursors = (const uint8_t **)(void *)scratch;
    uint64_t *words = (uint64_t *)(void *)(scratch + num_records * sizeof(const uint8_t *));
    uint8_t *presence = (uint8_t *)(words + num_records);
    for (size_t record = 0; record < num_records; record++) {
        if (records[record] == NULL ||
            record_presence(encoded_bits + record * length, record_num_chunks, presence + record * length) != 0) {
            return KERNEL_ERR_INVALID_ARGUMENT;
        }
        cursors[record] = records[record];
    }
    /* every record is present in exactly n s-buckets: cursors and slots stay inside their buffers */
    uint8_t *out = s_buckets_out;
    for (size_t index = 0; index < length; index += BLOCK_BYTES) {
        const size_t run = (length - index < BLOCK_BYTES) ? length - index : BLOCK_BYTES;
        /* the presence of this block's s-buckets for every record, read once from the strided bitfields */
        for (size_t record = 0; record < num_records; record++) {
            words[record] = load_bits(presence + record * length + index, run);
        }
        size_t sizes[BLOCK_BITS];
        out = scatter_block(words, num_records, run, cursors, out, sizes);
        for (size_t bit = 0; bit < run * BITS_PER_BYTE; bit++) {
            write_u16_le(s_bucket_sizes_out, index * BITS_PER_BYTE + bit, sizes[bit]);
        }
    }
    return KERNEL_OK;
}

/* ---- gather and s-bucket sizes ---- */

size_t sector_gather_scratch_bytes(size_t record_num_chunks) {
    if (!is_valid_record_num_chunks(record_num_chunks)) {
        return 0;
    }
    /* byte-lane accumulators (one u64 per bitfield byte), two u16 counters per s-bucket, two bitfields */
    const size_t length = sector_bitfield_bytes(record_num_chunks);
    return length * sizeof(uint64_t) + 2 * (2 * record_num_chunks) * sizeof(uint16_t) + 2 * length;
}

typedef struct s_bucket_counts {
    uint64_t *lanes;  /* pending byte-lane counts of the rows added since the last flush */
    size_t pending;   /* rows in `lanes` */
    uint16_t *before; /* records below the piece offset present in each s-bucket */
    uint16_t *sizes;  /* all records present in each s-bucket */
    uint8_t *presence;
    uint8_t *target_presence;
} s_bucket_counts;

/* Move the pending byte-lane counts into `counts` (R <= 65535 keeps each total in a u16). */
static void flush_lanes(s_bucket_counts *state, size_t length, uint16_t *counts) {
    if (state->pending == 0) {
        return;
    }
    for (size_t index = 0; index < length; index++) {
        const uint64_t word = state->lanes[index];
        uint16_t *slot = counts + index * BITS_PER_BYTE;
        for (unsigned bit = 0; bit < BITS_PER_BYTE; bit++) {
            slot[bit] = (uint16_t)(slot[bit] + lane(word, bit));
        }
    }
    memset(state->lanes, 0, length * sizeof(uint64_t));
    state->pending = 0;
}

/* counts[s] += bit s of `bits` for every s-bucket, through the byte lanes. */
static void add_bits(s_bucket_counts *state, const uint8_t *bits, size_t length, uint16_t *counts) {
    for (size_t index = 0; index < length; index++) {
        state->lanes[index] += byte_lanes[bits[index]];
    }
    if (++state->pending == MAX_PENDING_ROWS) {
        flush_lanes(state, length, counts);
    }
}

static int check_gather_arguments(const uint8_t *encoded_bits, size_t num_records, size_t record_num_chunks,
                                  uint8_t *scratch, size_t scratch_bytes) {
    const size_t needed = sector_gather_scratch_bytes(record_num_chunks);
    return encoded_bits != NULL && scratch != NULL && is_valid_num_records(num_records) && needed != 0 &&
           scratch_bytes >= needed;
}

static void layout_counts(uint8_t *scratch, size_t record_num_chunks, s_bucket_counts *counts) {
    const size_t num_s_buckets = 2 * record_num_chunks;
    const size_t length = sector_bitfield_bytes(record_num_chunks);
    counts->lanes = (uint64_t *)(void *)scratch;
    counts->pending = 0;
    counts->before = (uint16_t *)(void *)(counts->lanes + length);
    counts->sizes = counts->before + num_s_buckets;
    counts->presence = (uint8_t *)(counts->sizes + num_s_buckets);
    counts->target_presence = counts->presence + length;
    memset(counts->lanes, 0, length * sizeof(uint64_t));
    memset(counts->before, 0, num_s_buckets * sizeof(uint16_t));
}

/* Count every record's presence per s-bucket: records below `piece_offset` into `before`, and `sizes` is
 * `before` plus the records from `piece_offset` on. */
static int count_s_buckets(const uint8_t *encoded_bits, size_t num_records, size_t record_num_chunks,
                           size_t piece_offset, uint8_t *scratch, s_bucket_counts *counts) {
    const size_t length = sector_bitfield_bytes(record_num_chunks);
    layout_counts(scratch, record_num_chunks, counts);
    for (size_t record = 0; record < num_records; record++) {
        if (record == piece_offset) {
            flush_lanes(counts, length, counts->before);
            memcpy(counts->sizes, counts->before, 2 * record_num_chunks * sizeof(uint16_t));
        }
        uint8_t *presence = (record == piece_offset) ? counts->target_presence : counts->presence;
        if (record_presence(encoded_bits + record * length, record_num_chunks, presence) != 0) {
            return KERNEL_ERR_INVALID_ARGUMENT;
        }
        add_bits(counts, presence, length, (record < piece_offset) ? counts->before : counts->sizes);
    }
    flush_lanes(counts, length, counts->sizes);
    return KERNEL_OK;
}

int sector_s_bucket_sizes(const uint8_t *encoded_bits, size_t num_records, size_t record_num_chunks,
                          uint8_t *s_bucket_sizes_out, uint8_t *scratch, size_t scratch_bytes) {
    if (s_bucket_sizes_out == NULL ||
        !check_gather_arguments(encoded_bits, num_records, record_num_chunks, scratch, scratch_bytes)) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    s_bucket_counts counts;
    int status = count_s_buckets(encoded_bits, num_records, record_num_chunks, 0, scratch, &counts);
    if (status != KERNEL_OK) {
        return status;
    }
    for (size_t s_bucket = 0; s_bucket < 2 * record_num_chunks; s_bucket++) {
        write_u16_le(s_bucket_sizes_out, s_bucket, counts.sizes[s_bucket]);
    }
    return KERNEL_OK;
}

int sector_gather(const uint8_t *s_buckets, const uint8_t *encoded_bits, size_t num_records,
                  size_t record_num_chunks, size_t piece_offset, uint8_t *chunks_out, uint8_t *s_bucket_sizes_out,
                  uint8_t *scratch, size_t scratch_bytes) {
    if (s_buckets == NULL || chunks_out == NULL || s_bucket_sizes_out == NULL || piece_offset >= num_records ||
        !check_gather_arguments(encoded_bits, num_records, record_num_chunks, scratch, scratch_bytes)) {
        return KERNEL_ERR_INVALID_ARGUMENT;
    }
    s_bucket_counts counts;
    int status = count_s_buckets(encoded_bits, num_records, record_num_chunks, piece_offset, scratch, &counts);
    if (status != KERNEL_OK) {
        return status;
    }
    /* sizes sum to R * n, and before[s] < sizes[s] where the record is present: reads stay in the region */
    size_t offset = 0;
    uint8_t *out = chunks_out;
    for (size_t s_bucket = 0; s_bucket < 2 * record_num_chunks; s_bucket++) {
        if (bit_at(counts.target_presence, s_bucket)) {
            memcpy(out, s_buckets + (offset + counts.before[s_bucket]) * SECTOR_CHUNK_BYTES, SECTOR_CHUNK_BYTES);
            out += SECTOR_CHUNK_BYTES;
        }
        offset += counts.sizes[s_bucket];
        write_u16_le(s_bucket_sizes_out, s_bucket, counts.sizes[s_bucket]);
    }
    return KERNEL_OK;
}
