"""Sectors: identity, verifiable piece selection, expiration and the on-disk layout (subspace-core-primitives
`sectors.rs`, `SectorId::derive_expiration_history_size`; subspace-farmer-components `sector.rs`).

A farmer's sector `sector_index` created at history size h has the id
blake3_keyed(blake3(public_key), sector_index u16 LE || h u64 LE). Its piece at `piece_offset` is chosen
from history by hashing the offset with the id (odd early offsets draw from recent history), and its
record is masked with proof-of-space tables seeded by blake3(sector_id || piece_offset u16 LE).

On disk a sector of R records is, in order: the contents map (R bitfields of num_s_buckets bits, then
their blake3), the s-buckets (R * record_num_chunks chunks), R record metadata entries
(commitment || witness || blake3(piece)), and blake3 of everything before it. The sector's metadata
(index, R, per-s-bucket sizes, history size) is stored apart, in the farm's metadata file, checksummed.
"""

from __future__ import annotations

import itertools
import sys
from array import array
from dataclasses import dataclass

import blake3

from autonomys.protocol.archiving.pieces import (
    compute_history_segment_index,
    compute_history_size_in_pieces,
    compute_sector_expiration_check,
)
from autonomys.protocol.codec import Reader, encode_u16, encode_u64
from autonomys.protocol.constants import (
    BLAKE3_HASH_SIZE,
    RECORD_COMMITMENT_SIZE,
    RECORD_WITNESS_SIZE,
    SCALAR_FULL_BYTES,
    U64_MAX,
)
from autonomys.protocol.errors import InvalidSector, SectorChecksumMismatch
from autonomys.protocol.params import Params
from autonomys.protocol.types import (
    Blake3Hash,
    HistorySize,
    PieceIndex,
    PieceOffset,
    SBucket,
    SectorId,
    SectorIndex,
    SegmentCommitment,
    SegmentIndex,
)

RECORD_METADATA_SIZE = RECORD_COMMITMENT_SIZE + RECORD_WITNESS_SIZE + BLAKE3_HASH_SIZE
S_BUCKET_SIZE_BYTES = 2  # each s-bucket size is a u16: at most 65 535 records per sector
U16_LIMIT = 1 << 16
BITS_PER_BYTE = 8
# Hash inputs from this size on with every core: a MAINNET sector is about 1 GiB.
LARGE_HASH_INPUT = 1 << 20


def compute_blake3(data: bytes | bytearray | memoryview) -> bytes:
    """blake3(data), hashed on every core when the input is large (same digest either way)."""
    if len(data) >= LARGE_HASH_INPUT:
        return blake3.blake3(data, max_threads=blake3.blake3.AUTO).digest()
    return blake3.blake3(data).digest()


# ---- identity and piece selection (`sectors.rs`, `SectorId::derive_piece_index`) ----


def compute_public_key_hash(public_key: bytes) -> Blake3Hash:
    """blake3(public_key): the key a farmer's sector ids are derived under."""
    return Blake3Hash(blake3.blake3(bytes(public_key)).digest())


def compute_sector_id(public_key_hash: Blake3Hash, sector_index: SectorIndex, history_size: HistorySize) -> SectorId:
    """blake3_keyed(public_key_hash, sector_index u16 LE || history_size u64 LE)."""
    message = encode_u16(SectorIndex(sector_index)) + encode_u64(HistorySize(history_size))
    return SectorId(blake3.blake3(message, key=Blake3Hash(public_key_hash)).digest())


def compute_recent_history_bounds(params: Params) -> tuple[int, int, int]:
    """(recent pieces, history pieces above which the recent rule applies, offsets it covers) in `derive_piece_index`'s
    integer order."""
    numerator, denominator = params.recent_history_fraction
    recent_pieces = params.recent_segments * params.num_pieces
    min_history_pieces = recent_pieces * (denominator * params.num_pieces) // (numerator * params.num_pieces)
    recent_offsets = params.max_pieces_in_sector * (numerator * params.num_pieces) // (denominator * params.num_pieces)
    num_interleaved = max(1, recent_offsets * 2)
    return recent_pieces, min_history_pieces, num_interleaved


def derive_piece_index(
    sector_id: SectorId, piece_offset: PieceOffset, history_size: HistorySize, params: Params
) -> PieceIndex:
    """The history piece a sector stores at `piece_offset` (`derive_piece_index`): odd offsets below the
    interleaved count take a piece of the last recent_segments segments once history is large enough, the
    others any piece."""
    piece_offset = PieceOffset(piece_offset)
    key = encode_u16(piece_offset) + bytes(30)
    value = int.from_bytes(blake3.blake3(SectorId(sector_id), key=key).digest(), "little")
    history_pieces = compute_history_size_in_pieces(HistorySize(history_size), params)
    recent_pieces, min_history_pieces, num_interleaved = compute_recent_history_bounds(params)
    # Recent history gets its own draw only once it is at most the fraction of all history.
    if history_pieces > min_history_pieces and piece_offset < num_interleaved and piece_offset % 2 == 1:
        return PieceIndex(value % recent_pieces + (history_pieces - recent_pieces))
    return PieceIndex(value % history_pieces)


def compute_sector_piece_indexes(
    sector_id: SectorId, history_size: HistorySize, pieces_in_sector: int, params: Params
) -> tuple[PieceIndex, ...]:
    """The piece index of every offset of a sector of `pieces_in_sector` pieces."""
    validate_pieces_in_sector(pieces_in_sector, params)
    return tuple(
        derive_piece_index(sector_id, PieceOffset(offset), history_size, params) for offset in range(pieces_in_sector)
    )


def derive_evaluation_seed(sector_id: SectorId, piece_offset: PieceOffset) -> Blake3Hash:
    """blake3(sector_id || piece_offset u16 LE): the proof-of-space seed of one record of the sector."""
    return Blake3Hash(blake3.blake3(SectorId(sector_id) + encode_u16(PieceOffset(piece_offset))).digest())


# ---- expiration (`SectorId::derive_expiration_history_size`) ----


def compute_expiration_check_history_size(history_size: HistorySize, params: Params) -> HistorySize:
    """history_size + min_sector_lifetime: from this history size on, a sector's expiration can be computed."""
    check = compute_sector_expiration_check(HistorySize(history_size), HistorySize(params.min_sector_lifetime))
    # The reference gives up (None) when the sum overflows u64.
    if check is None:
        msg = f"history_size={history_size} + min_sector_lifetime={params.min_sector_lifetime} overflows u64"
        raise InvalidSector(msg)
    return check


def compute_expiration_check_segment_index(history_size: HistorySize, params: Params) -> SegmentIndex:
    """The segment whose commitment derive_expiration_history_size needs: history_size + min_sector_lifetime - 1."""
    return compute_history_segment_index(compute_expiration_check_history_size(history_size, params))


def derive_expiration_history_size(
    sector_id: SectorId, history_size: HistorySize, segment_commitment: SegmentCommitment, params: Params
) -> HistorySize:
    """The history size at which the sector expires, in [check, min_sector_lifetime + 4 * history_size).

    `segment_commitment` is that of segment compute_expiration_check_segment_index(history_size, params).
    """
    check = compute_expiration_check_history_size(history_size, params)
    value = int.from_bytes(
        blake3.blake3(SectorId(sector_id) + SegmentCommitment(segment_commitment)).digest(), "little"
    )
    last_possible = params.min_sector_lifetime + HistorySize(history_size) * 4
    # The reference uses checked u64 arithmetic here and gives up on overflow.
    if last_possible > U64_MAX:
        msg = f"min_sector_lifetime + 4 * history_size={history_size} overflows u64"
        raise InvalidSector(msg)
    return HistorySize(check + value % (last_possible - check))


def is_sector_expired(expiration_history_size: HistorySize, current_history_size: HistorySize) -> bool:
    """True once history has reached the sector's expiration history size (the sector must be replotted)."""
    return HistorySize(expiration_history_size) <= HistorySize(current_history_size)


# ---- sizes and layout (subspace-farmer-components `sector.rs`, `plotting.rs::write_sector`) ----


def validate_pieces_in_sector(pieces_in_sector: int, params: Params) -> None:
    """Raise InvalidSector unless 1 <= pieces_in_sector <= max_pieces_in_sector."""
    # Piece offsets are below max_pieces_in_sector; an empty sector has nothing to audit.
    if isinstance(pieces_in_sector, bool) or not isinstance(pieces_in_sector, int):
        msg = f"pieces_in_sector must be an int, got {type(pieces_in_sector).__name__}"
        raise InvalidSector(msg)
    if not 1 <= pieces_in_sector <= params.max_pieces_in_sector:
        msg = f"pieces_in_sector={pieces_in_sector} must be in 1..{params.max_pieces_in_sector}"
        raise InvalidSector(msg)


def compute_record_bitfield_size(params: Params) -> int:
    """Bytes of one record's bitfield over its s-buckets (num_s_buckets / 8)."""
    return params.num_s_buckets // BITS_PER_BYTE


def compute_contents_map_size(pieces_in_sector: int, params: Params) -> int:
    """One bitfield per record, then their blake3."""
    return pieces_in_sector * compute_record_bitfield_size(params) + BLAKE3_HASH_SIZE


def compute_s_buckets_region_size(pieces_in_sector: int, params: Params) -> int:
    """Every record stores record_num_chunks chunks of 32 bytes."""
    return pieces_in_sector * params.record_num_chunks * SCALAR_FULL_BYTES


def compute_record_metadata_region_size(pieces_in_sector: int) -> int:
    """commitment (48) || witness (48) || piece checksum (32) per record."""
    return pieces_in_sector * RECORD_METADATA_SIZE


def compute_sector_size(pieces_in_sector: int, params: Params) -> int:
    """Bytes of a plotted sector: contents map, s-buckets, record metadata, checksum (1 056 896 064 at MAINNET)."""
    return (
        compute_contents_map_size(pieces_in_sector, params)
        + compute_s_buckets_region_size(pieces_in_sector, params)
        + compute_record_metadata_region_size(pieces_in_sector)
        + BLAKE3_HASH_SIZE
    )


@dataclass(frozen=True, slots=True)
class SectorLayout:
    """Byte offsets of the regions of a sector of `pieces_in_sector` records."""

    pieces_in_sector: int
    bitfields_end: int
    """The contents map's bitfields are [0, bitfields_end); their blake3 follows."""
    s_buckets_start: int
    record_metadata_start: int
    checksum_start: int
    size: int


def compute_sector_layout(pieces_in_sector: int, params: Params) -> SectorLayout:
    """Where each region of a sector starts."""
    s_buckets_start = compute_contents_map_size(pieces_in_sector, params)
    record_metadata_start = s_buckets_start + compute_s_buckets_region_size(pieces_in_sector, params)
    checksum_start = record_metadata_start + compute_record_metadata_region_size(pieces_in_sector)
    return SectorLayout(
        pieces_in_sector=pieces_in_sector,
        bitfields_end=s_buckets_start - BLAKE3_HASH_SIZE,
        s_buckets_start=s_buckets_start,
        record_metadata_start=record_metadata_start,
        checksum_start=checksum_start,
        size=checksum_start + BLAKE3_HASH_SIZE,
    )


def compute_sector_metadata_size(params: Params) -> int:
    """Bytes of checksummed sector metadata: u16 + u16 + num_s_buckets u16 + u64 + blake3 (131 116 at MAINNET)."""
    return 2 + 2 + S_BUCKET_SIZE_BYTES * params.num_s_buckets + 8 + BLAKE3_HASH_SIZE


# ---- metadata ----


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """What a sector keeps beside a record to rebuild and check its piece."""

    commitment: bytes
    """The record's 48-byte KZG commitment, as in the piece."""
    witness: bytes
    """The record's 48-byte witness against its segment commitment, as in the piece."""
    piece_checksum: Blake3Hash
    """blake3 of the whole piece (record || commitment || witness)."""

    def __post_init__(self) -> None:
        # Fixed widths: the metadata region is an array of 128-byte entries.
        if len(self.commitment) != RECORD_COMMITMENT_SIZE or len(self.witness) != RECORD_WITNESS_SIZE:
            msg = f"record commitment and witness must be 48 bytes, got {len(self.commitment)} and {len(self.witness)}"
            raise InvalidSector(msg)
        object.__setattr__(self, "commitment", bytes(self.commitment))
        object.__setattr__(self, "witness", bytes(self.witness))
        object.__setattr__(self, "piece_checksum", Blake3Hash(self.piece_checksum))

    def to_bytes(self) -> bytes:
        """commitment || witness || piece_checksum (128 bytes)."""
        return self.commitment + self.witness + self.piece_checksum

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> RecordMetadata:
        """Decode 128 bytes; InvalidSector for any other length."""
        data = bytes(data)
        if len(data) != RECORD_METADATA_SIZE:
            msg = f"record metadata must be {RECORD_METADATA_SIZE} bytes, got {len(data)}"
            raise InvalidSector(msg)
        witness_end = RECORD_COMMITMENT_SIZE + RECORD_WITNESS_SIZE
        return cls(
            data[:RECORD_COMMITMENT_SIZE], data[RECORD_COMMITMENT_SIZE:witness_end], Blake3Hash(data[witness_end:])
        )


@dataclass(frozen=True, slots=True)
class SectorMetadata:
    """A plotted sector's description, kept in the farm's metadata (Subspace `SectorMetadata`)."""

    sector_index: SectorIndex
    pieces_in_sector: int
    """Records in the sector (u16), at most max_pieces_in_sector."""
    s_bucket_sizes: bytes
    """Records with a chunk in each s-bucket, one u16 little-endian per s-bucket (compact: no Python ints)."""
    history_size: HistorySize
    """History size when the sector was plotted (part of its id)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sector_index", SectorIndex(self.sector_index))
        object.__setattr__(self, "history_size", HistorySize(self.history_size))
        object.__setattr__(self, "s_bucket_sizes", bytes(self.s_bucket_sizes))
        # Both counts are u16 on the wire.
        if isinstance(self.pieces_in_sector, bool) or not 0 <= self.pieces_in_sector < U16_LIMIT:
            msg = f"pieces_in_sector={self.pieces_in_sector!r} does not fit in u16"
            raise InvalidSector(msg)
        if len(self.s_bucket_sizes) % S_BUCKET_SIZE_BYTES != 0:
            msg = f"s_bucket_sizes must be whole u16 values, got {len(self.s_bucket_sizes)} bytes"
            raise InvalidSector(msg)

    def encode(self) -> bytes:
        """SCALE: sector_index u16 | pieces_in_sector u16 | s_bucket_sizes [u16; N] | history_size u64."""
        return (
            encode_u16(self.sector_index)
            + encode_u16(self.pieces_in_sector)
            + self.s_bucket_sizes
            + encode_u64(self.history_size)
        )

    def to_bytes(self) -> bytes:
        """The checksummed form: encoding || blake3(encoding)."""
        encoding = self.encode()
        return encoding + blake3.blake3(encoding).digest()

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview, params: Params) -> SectorMetadata:
        """Decode the checksummed form; InvalidSector for a wrong length, SectorChecksumMismatch for a bad checksum."""
        data = bytes(data)
        if len(data) != compute_sector_metadata_size(params):
            msg = f"sector metadata must be {compute_sector_metadata_size(params)} bytes, got {len(data)}"
            raise InvalidSector(msg)
        encoding, checksum = data[:-BLAKE3_HASH_SIZE], data[-BLAKE3_HASH_SIZE:]
        # The checksum guards the farm's metadata file against torn or corrupted writes.
        if blake3.blake3(encoding).digest() != checksum:
            msg = "sector metadata checksum mismatch"
            raise SectorChecksumMismatch(msg)
        reader = Reader(encoding, "sector metadata")
        sector_index, pieces_in_sector = reader.read_u16(), reader.read_u16()
        s_bucket_sizes = reader.read_bytes(S_BUCKET_SIZE_BYTES * params.num_s_buckets)
        history_size = reader.read_u64()
        # HistorySize is NonZeroU64 on the wire.
        if history_size == 0:
            msg = "sector metadata history_size must be non-zero"
            raise InvalidSector(msg)
        return cls(SectorIndex(sector_index), pieces_in_sector, s_bucket_sizes, HistorySize(history_size))


def compute_s_bucket_size_values(sector_metadata: SectorMetadata) -> array[int]:
    """The s-bucket sizes as an array of u16 ints."""
    sizes = array("H", sector_metadata.s_bucket_sizes)
    # The wire order is little-endian; array uses the platform's.
    if sys.byteorder == "big":
        sizes.byteswap()
    return sizes


def validate_sector_metadata(sector_metadata: SectorMetadata, params: Params) -> None:
    """Raise InvalidSector unless the metadata fits params: record count, one size per s-bucket, sizes summing to R * n."""
    validate_pieces_in_sector(sector_metadata.pieces_in_sector, params)
    count = len(sector_metadata.s_bucket_sizes) // S_BUCKET_SIZE_BYTES
    if count != params.num_s_buckets:
        msg = f"sector metadata has {count} s-bucket sizes, expected {params.num_s_buckets}"
        raise InvalidSector(msg)
    # Every record stores exactly record_num_chunks chunks, so the s-buckets hold R * n chunks in all.
    total = sum(compute_s_bucket_size_values(sector_metadata))
    expected = sector_metadata.pieces_in_sector * params.record_num_chunks
    if total != expected:
        msg = (
            f"s-bucket sizes sum to {total} chunks, expected {expected} for {sector_metadata.pieces_in_sector} records"
        )
        raise InvalidSector(msg)


def compute_s_bucket_offsets(sector_metadata: SectorMetadata) -> tuple[int, ...]:
    """Chunk offset of each s-bucket inside the s-bucket region: the sum of the sizes before it."""
    return tuple(itertools.accumulate(compute_s_bucket_size_values(sector_metadata), initial=0))[:-1]


def compute_s_bucket_byte_range(sector_metadata: SectorMetadata, s_bucket: SBucket, params: Params) -> tuple[int, int]:
    """[start, end) of an s-bucket's chunks in the sector: contents_map_size + 32 * sum of the sizes before s."""
    s_bucket = SBucket(s_bucket)
    if s_bucket >= params.num_s_buckets:
        msg = f"s_bucket={s_bucket} must be below num_s_buckets={params.num_s_buckets}"
        raise InvalidSector(msg)
    sizes = compute_s_bucket_size_values(sector_metadata)
    start = compute_contents_map_size(sector_metadata.pieces_in_sector, params) + SCALAR_FULL_BYTES * sum(
        sizes[:s_bucket]
    )
    return start, start + SCALAR_FULL_BYTES * sizes[s_bucket]


class SBucketLocator:
    """Byte ranges of a sector's s-buckets in O(stride) per lookup: prefix sums kept every `stride` s-buckets.

    compute_s_bucket_byte_range sums up to 65 535 sizes per call; an audit of every sector every slot
    cannot afford that, nor a full prefix table (256 KiB) per sector.
    """

    STRIDE = 256

    def __init__(self, sector_metadata: SectorMetadata, params: Params) -> None:
        validate_sector_metadata(sector_metadata, params)
        self._sizes = compute_s_bucket_size_values(sector_metadata)
        self._start = compute_contents_map_size(sector_metadata.pieces_in_sector, params)
        self._checkpoints = array("Q", itertools.accumulate(
            (sum(self._sizes[i : i + self.STRIDE]) for i in range(0, len(self._sizes), self.STRIDE)), initial=0
        ))
        self._num_s_buckets = params.num_s_buckets

    def byte_range(self, s_bucket: int) -> tuple[int, int]:
        """[start, end) of s-bucket `s_bucket` in the sector (as compute_s_bucket_byte_range)."""
        if not 0 <= s_bucket < self._num_s_buckets:
            msg = f"s_bucket={s_bucket} must be below num_s_buckets={self._num_s_buckets}"
            raise InvalidSector(msg)
        block = s_bucket // self.STRIDE
        chunks = self._checkpoints[block] + sum(self._sizes[block * self.STRIDE : s_bucket])
        start = self._start + SCALAR_FULL_BYTES * chunks
        return start, start + SCALAR_FULL_BYTES * self._sizes[s_bucket]
