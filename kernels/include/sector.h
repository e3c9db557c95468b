/* Sector kernel: the byte shuffles of plotting and reading a sector (subspace-farmer-components
 * `plotting.rs::record_encoding`, `plotting.rs::write_sector`, `reading.rs`).
 *
 * Caller-owned buffers, int return codes (KERNEL_* from src/errors.h); no Python here, no allocation.
 *
 * Terms. A record has n chunks of 32 bytes and 2n s-buckets; n is a multiple of 4 (so 2n bits are whole
 * bytes) in SECTOR_MIN_RECORD_CHUNKS..SECTOR_MAX_RECORD_CHUNKS. A bitfield over the s-buckets has 2n bits
 * in bitvec Lsb0 order: bit s is bit s%8 of byte s/8 (2n/8 bytes).
 * - encoded bits: the s-buckets where the record stores a chunk masked with a proof hash (one record's
 *   slice of the sector contents map); at most n are set.
 * - presence: where the record stores a chunk at all. Every encoded s-bucket, and when num_encoded < n
 *   also the first n - num_encoded s-buckets whose encoded bit is clear (Subspace
 *   `record_has_s_bucket_chunk`), so exactly n bits.
 * - a record's chunks: its n stored chunks in increasing s-bucket order.
 * - the s-bucket region of a sector of R records: for s = 0..2n-1, the chunk of every record present in s,
 *   in increasing record (piece offset) order; R * n chunks in all. s-bucket sizes are u16 little-endian.
 */
#ifndef AUTONOMYS_SECTOR_H
#define AUTONOMYS_SECTOR_H

#include <stddef.h>
#include <stdint.h>

#define SECTOR_CHUNK_BYTES 32
#define SECTOR_MIN_RECORD_CHUNKS 4                /* 2n = 8 bits: one bitfield byte */
#define SECTOR_MAX_RECORD_CHUNKS 32768            /* 2n = 65 536 s-buckets: an s-bucket index is a u16 */
#define SECTOR_MAX_RECORDS 65535                  /* piece offsets and s-bucket sizes are u16 */

/** @return the bytes of one bitfield over the 2n s-buckets of a record of n chunks: 2n / 8. */
size_t sector_bitfield_bytes(size_t record_num_chunks);

/**
 * The presence bitfield of one record from its encoded bits.
 * @param encoded_bits 2n/8 bytes
 * @param record_num_chunks n
 * @param presence_out 2n/8 bytes (may not overlap encoded_bits)
 * @return KERNEL_OK, or KERNEL_ERR_INVALID_ARGUMENT for a bad n or more than n encoded bits
 */
int sector_record_presence(const uint8_t *encoded_bits, size_t record_num_chunks, uint8_t *presence_out);

/**
 * Record encoding after the table lookups (`plotting.rs::record_encoding`). Extended chunk s is
 * source[s/2] (s even) or parity[(s-1)/2] (s odd). In increasing s, while fewer than n are taken: where
 * proof_flags[s] is non-zero and chunk s XOR proof_hashes[s] is not all zero (zero is the reference's "no
 * proof" sentinel), that masked chunk is taken and its encoded bit set. The remaining slots hold the
 * unencoded chunks of the first s-buckets without an encoded bit, so chunks_out is the record's chunks as
 * defined above.
 * @param source n chunks; @param parity n chunks (the erasure-code extension of source)
 * @param proof_flags 2n bytes, non-zero where the table has a proof for challenge s
 * @param proof_hashes 2n * 32 bytes, blake3(proof of s) where there is one (ignored elsewhere)
 * @param encoded_bits_out 2n/8 bytes; @param chunks_out n chunks
 * @param num_encoded_out the number of encoded chunks
 * @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT (bad n)
 */
int sector_mask_and_select(const uint8_t *source, const uint8_t *parity, const uint8_t *proof_flags,
                           const uint8_t *proof_hashes, size_t record_num_chunks, uint8_t *encoded_bits_out,
                           uint8_t *chunks_out, size_t *num_encoded_out);

/**
 * The inverse of sector_mask_and_select up to erasure decoding: the record's chunks back at their s-bucket
 * positions, encoded ones unmasked.
 * @param chunks the record's n chunks (increasing s)
 * @param column_out 2n chunks: chunk s at position s, zero where the record has none
 * @param present_out 2n bytes: 1 where the record has a chunk, else 0
 * @return KERNEL_OK, or KERNEL_ERR_INVALID_ARGUMENT for a bad n, more than n encoded bits, or an encoded
 *         s-bucket whose proof_flags byte is zero (the table has no proof to unmask it with)
 */
int sector_unmask(const uint8_t *chunks, const uint8_t *encoded_bits, const uint8_t *proof_flags,
                  const uint8_t *proof_hashes, size_t record_num_chunks, uint8_t *column_out, uint8_t *present_out);

/** @return the scratch bytes sector_scatter needs (0 for invalid sizes). */
size_t sector_scatter_scratch_bytes(size_t num_records, size_t record_num_chunks);

/**
 * Write the s-bucket region of a sector (`plotting.rs::write_sector`: the s-buckets after the contents map).
 * @param records num_records pointers, each to that record's n chunks (increasing s)
 * @param encoded_bits num_records bitfields one after another (the contents map without its checksum)
 * @param num_records R, 1..SECTOR_MAX_RECORDS
 * @param s_buckets_out R * n chunks
 * @param s_bucket_sizes_out 2n u16 little-endian: records present in each s-bucket
 * @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT (bad sizes, short scratch, a record with more than n
 *         encoded bits)
 */
int sector_scatter(const uint8_t *const *records, const uint8_t *encoded_bits, size_t num_records,
                   size_t record_num_chunks, uint8_t *s_buckets_out, uint8_t *s_bucket_sizes_out, uint8_t *scratch,
                   size_t scratch_bytes);

/** @return the scratch bytes sector_gather and sector_s_bucket_sizes need (0 for an invalid n). */
size_t sector_gather_scratch_bytes(size_t record_num_chunks);

/**
 * Read one record's chunks back from an s-bucket region: its chunk in s-bucket s is at chunk index
 * offset(s) + (records with a lower piece offset present in s), offset(s) = sum of the sizes before s.
 * @param s_buckets R * n chunks, as sector_scatter wrote them
 * @param encoded_bits R bitfields (the contents map without its checksum)
 * @param piece_offset the record to read, < R
 * @param chunks_out the record's n chunks (increasing s)
 * @param s_bucket_sizes_out 2n u16 little-endian, counted from encoded_bits (for checking metadata)
 * @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT (bad sizes or offset, short scratch, a record with
 *         more than n encoded bits)
 */
int sector_gather(const uint8_t *s_buckets, const uint8_t *encoded_bits, size_t num_records,
                  size_t record_num_chunks, size_t piece_offset, uint8_t *chunks_out, uint8_t *s_bucket_sizes_out,
                  uint8_t *scratch, size_t scratch_bytes);

/**
 * The s-bucket sizes of a sector from its contents map: how many records are present in each s-bucket.
 * @param s_bucket_sizes_out 2n u16 little-endian
 * @return KERNEL_OK or KERNEL_ERR_INVALID_ARGUMENT (as sector_gather)
 */
int sector_s_bucket_sizes(const uint8_t *encoded_bits, size_t num_records, size_t record_num_chunks,
                          uint8_t *s_bucket_sizes_out, uint8_t *scratch, size_t scratch_bytes);

#endif
