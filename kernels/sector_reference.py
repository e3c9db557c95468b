"""Slow pure-Python reference of the sector kernel (kernels/src/sector.c): the ground truth for equivalence tests.

Written from the reference's `plotting.rs::record_encoding` and `write_sector` rather than from the C:
presence uses the rule of Subspace `record_has_s_bucket_chunk` literally, one s-bucket at a time. Arguments
are assumed valid (the facade in kernels/sector.py checks them); a record with more than n encoded bits
raises ValueError.
"""

from __future__ import annotations

from collections.abc import Sequence

CHUNK_SIZE = 32
BITS_PER_BYTE = 8


def bitfield_size(record_num_chunks: int) -> int:
    """Bytes of one bitfield over a record's 2n s-buckets."""
    return 2 * record_num_chunks // BITS_PER_BYTE


def is_bit_set(bits: bytes, s_bucket: int) -> bool:
    """Bit s of a bitvec Lsb0 bitfield: bit s % 8 of byte s / 8."""
    return bits[s_bucket // BITS_PER_BYTE] >> (s_bucket % BITS_PER_BYTE) & 1 == 1


def set_bit(bits: bytearray, s_bucket: int) -> None:
    bits[s_bucket // BITS_PER_BYTE] |= 1 << (s_bucket % BITS_PER_BYTE)


def count_bits(bits: bytes) -> int:
    return sum(byte.bit_count() for byte in bits)


def record_has_s_bucket_chunk(s_bucket: int, encoded_bits: bytes, num_encoded: int, record_num_chunks: int) -> bool:
    """True when the record stores a chunk in s-bucket s: encoded there, or among the first unencoded fill-ins."""
    if is_bit_set(encoded_bits, s_bucket):
        return True
    if num_encoded >= record_num_chunks:
        return False
    encoded_before = sum(1 for before in range(s_bucket) if is_bit_set(encoded_bits, before))
    return s_bucket - encoded_before < record_num_chunks - num_encoded


def record_presence(encoded_bits: bytes, record_num_chunks: int) -> bytes:
    """The presence bitfield of one record."""
    num_encoded = _checked_num_encoded(encoded_bits, record_num_chunks)
    presence = bytearray(len(encoded_bits))
    for s_bucket in range(2 * record_num_chunks):
        if record_has_s_bucket_chunk(s_bucket, encoded_bits, num_encoded, record_num_chunks):
            set_bit(presence, s_bucket)
    return bytes(presence)


def extended_chunk(source: bytes, parity: bytes, s_bucket: int) -> bytes:
    """S-bucket s of the extended record: source[s/2] for even s, parity[(s-1)/2] for odd s."""
    half = source if s_bucket % 2 == 0 else parity
    index = s_bucket // 2
    return bytes(half[index * CHUNK_SIZE : (index + 1) * CHUNK_SIZE])


def xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def mask_and_select(source: bytes, parity: bytes, proof_flags: bytes, proof_hashes: bytes) -> tuple[bytes, bytes, int]:
    """(encoded bits, the record's n chunks in s order, number encoded) as `record_encoding` selects them."""
    record_num_chunks = len(source) // CHUNK_SIZE
    encoded_bits = bytearray(bitfield_size(record_num_chunks))
    encoded = {}
    for s_bucket in range(2 * record_num_chunks):
        if proof_flags[s_bucket] == 0:
            continue
        masked = xor(extended_chunk(source, parity, s_bucket), _chunk(proof_hashes, s_bucket))
        # the all-zero chunk is the "no proof" sentinel
        if masked != bytes(CHUNK_SIZE) and len(encoded) < record_num_chunks:
            encoded[s_bucket] = masked
            set_bit(encoded_bits, s_bucket)
    chunks = []
    for s_bucket in range(2 * record_num_chunks):
        if s_bucket in encoded:
            chunks.append(encoded[s_bucket])
        elif record_has_s_bucket_chunk(s_bucket, bytes(encoded_bits), len(encoded), record_num_chunks):
            chunks.append(extended_chunk(source, parity, s_bucket))
    return bytes(encoded_bits), b"".join(chunks), len(encoded)


def unmask(chunks: bytes, encoded_bits: bytes, proof_flags: bytes, proof_hashes: bytes) -> tuple[bytes, bytes]:
    """(2n-chunk column with chunk s at position s, zero where absent; presence flags): encoded chunks unmasked."""
    record_num_chunks = len(chunks) // CHUNK_SIZE
    presence = record_presence(encoded_bits, record_num_chunks)
    column, present = [], bytearray(2 * record_num_chunks)
    next_chunk = 0
    for s_bucket in range(2 * record_num_chunks):
        if not is_bit_set(presence, s_bucket):
            column.append(bytes(CHUNK_SIZE))
            continue
        chunk = _chunk(chunks, next_chunk)
        next_chunk += 1
        if is_bit_set(encoded_bits, s_bucket):
            if proof_flags[s_bucket] == 0:
                msg = f"s-bucket {s_bucket} is encoded but has no proof"
                raise ValueError(msg)
            chunk = xor(chunk, _chunk(proof_hashes, s_bucket))
        column.append(chunk)
        present[s_bucket] = 1
    return b"".join(column), bytes(present)


def scatter(records: Sequence[bytes], encoded_bits: bytes, record_num_chunks: int) -> tuple[bytes, bytes]:
    """(s-bucket region, s-bucket sizes as u16 LE): for each s, the chunk of every present record in offset order."""
    presences = _presences(encoded_bits, record_num_chunks)
    cursors = [0] * len(records)
    region, sizes = [], []
    for s_bucket in range(2 * record_num_chunks):
        size = 0
        for record, presence in enumerate(presences):
            if is_bit_set(presence, s_bucket):
                region.append(_chunk(records[record], cursors[record]))
                cursors[record] += 1
                size += 1
        sizes.append(size)
    return b"".join(region), _u16_le(sizes)


def s_bucket_sizes(encoded_bits: bytes, record_num_chunks: int) -> bytes:
    """How many records store a chunk in each s-bucket, as u16 LE."""
    presences = _presences(encoded_bits, record_num_chunks)
    return _u16_le([sum(1 for presence in presences if is_bit_set(presence, s)) for s in range(2 * record_num_chunks)])


def gather(s_buckets: bytes, encoded_bits: bytes, record_num_chunks: int, piece_offset: int) -> tuple[bytes, bytes]:
    """(the record's n chunks in s order, s-bucket sizes): its chunk in s is after those of lower offsets."""
    presences = _presences(encoded_bits, record_num_chunks)
    chunks, sizes = [], []
    offset = 0
    for s_bucket in range(2 * record_num_chunks):
        present = [is_bit_set(presence, s_bucket) for presence in presences]
        if present[piece_offset]:
            chunks.append(_chunk(s_buckets, offset + sum(present[:piece_offset])))
        sizes.append(sum(present))
        offset += sizes[-1]
    return b"".join(chunks), _u16_le(sizes)


def _chunk(data: bytes, index: int) -> bytes:
    return bytes(data[index * CHUNK_SIZE : (index + 1) * CHUNK_SIZE])


def _checked_num_encoded(encoded_bits: bytes, record_num_chunks: int) -> int:
    num_encoded = count_bits(encoded_bits)
    if num_encoded > record_num_chunks:
        msg = f"{num_encoded} encoded bits, more than n={record_num_chunks}"
        raise ValueError(msg)
    return num_encoded


def _presences(encoded_bits: bytes, record_num_chunks: int) -> list[bytes]:
    size = bitfield_size(record_num_chunks)
    return [
        record_presence(bytes(encoded_bits[offset : offset + size]), record_num_chunks)
        for offset in range(0, len(encoded_bits), size)
    ]


def _u16_le(values: list[int]) -> bytes:
    return b"".join(value.to_bytes(2, "little") for value in values)
