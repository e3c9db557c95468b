"""Objects in archived history: where stored data lies in pieces, how to read it back, and how payloads
describe objects bigger than one transaction (subspace-archiving `archiver.rs` object mappings, `GlobalObject`).

A StoreData transaction puts bytes into a block; the block is archived into segments, and the data's
SCALE compact length prefix lands at some byte of some raw record. A `GlobalObject` names that place:
the blake3 hash of the data, the source piece holding the prefix, and the offset of the prefix in the
piece's raw record (31-byte-chunk bytes, the scalars' 0x00 bytes removed). `read_object` walks forward
from there across source pieces and segment boundaries (each segment after the first restarts a cut
block behind its version byte, its parent-header item and a continuation item's prefix) and checks
the hash.

Every stored payload is self-describing: `0x00 || data` is an object chunk, and `0x01 || version ||
total size u64 || vec(chunk id)` is a manifest listing the chunks of a bigger object. An object id is
the blake3 hash of its root payload: the only chunk of a small object, or the manifest of a big one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autonomys.protocol.archiving.archived_segment import split_piece
from autonomys.protocol.archiving.pieces import (
    compute_next_source_piece_index,
    compute_piece_index_from_source_position,
    compute_piece_segment_index,
    compute_segment_piece_indexes_source_first,
    compute_source_position,
    is_source_piece,
)
from autonomys.protocol.archiving.segment_encoding import (
    ITEM_BLOCK_CONTINUATION,
    ITEM_PARENT_SEGMENT_HEADER,
    SEGMENT_VERSION_V0,
    BlockContinuationItem,
    BlockItem,
    BlockStartItem,
    SegmentItem,
    compute_item_encoded_size,
    decode_scalars_to_raw_record,
)
from autonomys.protocol.archiving.segments import INITIAL_LAST_ARCHIVED_BLOCK, LastArchivedBlock, read_segment_header
from autonomys.protocol.codec import (
    Reader,
    compute_compact_length,
    encode_compact,
    encode_u8,
    encode_u32,
    encode_u64,
    validate_uint,
)
from autonomys.protocol.consensus.chain_blocks import (
    ACCOUNT_ID_SIZE,
    MAX_STORE_DATA_SIZE,
    Block,
    StoreData,
    compute_blake3,
)
from autonomys.protocol.constants import BLAKE3_HASH_SIZE, U32_MAX, U64_MAX
from autonomys.protocol.errors import DecodeError, ProtocolError
from autonomys.protocol.farming.solutions import compute_proof_of_space_size
from autonomys.protocol.params import Params
from autonomys.protocol.types import U32, BlockNumber, PieceIndex, SegmentIndex

GLOBAL_OBJECT_SIZE = BLAKE3_HASH_SIZE + 8 + 4
# A StoreData's data starts after the transaction's sender [32], nonce u64 and call tag.
STORE_DATA_PREFIX_SIZE = ACCOUNT_ID_SIZE + 8 + 1
OBJECT_ID_SIZE = BLAKE3_HASH_SIZE
OBJECT_CHUNK_TAG = 0
OBJECT_MANIFEST_TAG = 1
OBJECT_MANIFEST_VERSION = 0
# Data bytes per chunk payload. 256 KiB keeps one chunk a modest transaction (its storage fee and the block
# it lands in stay small) while a manifest of 32-byte ids still addresses objects of about 2 GiB.
# The chunk payload (tag + data) must fit chain_blocks.MAX_STORE_DATA_SIZE; change the two together.
MAX_OBJECT_CHUNK_SIZE = 256 * 1024
# Tag, version, total size u64 and the longest compact count a manifest can carry.
MANIFEST_HEADER_MAX_SIZE = 1 + 1 + 8 + 5
MAX_MANIFEST_CHUNKS = (MAX_STORE_DATA_SIZE - MANIFEST_HEADER_MAX_SIZE) // OBJECT_ID_SIZE
MAX_OBJECT_SIZE = MAX_MANIFEST_CHUNKS * MAX_OBJECT_CHUNK_SIZE
# Zero bytes a cut block may leave at a segment's end: its first part's compact length can be up to 4 bytes
# shorter than the whole block's (5-byte and 1-byte compacts), and the cut is computed with the longer one.
MAX_SEGMENT_PADDING = 4
_OBJECT_ID_TEXT = re.compile(r"[0-9a-fA-F]{64}")


class ObjectError(ProtocolError):
    """Base of the object errors."""


class ObjectCorrupt(ObjectError):
    """History bytes that are not the object a mapping names (wrong hash, undecodable piece or segment start)."""


class ObjectUnavailable(ObjectError):
    """A piece an object lies in cannot be fetched."""


class MalformedObjectId(DecodeError):
    """An object id that is not 32 bytes (64 hex characters as text)."""


class InvalidObjectPlan(ObjectError):
    """Data or a chunk size that cannot be planned into payloads."""


class ObjectTooLarge(InvalidObjectPlan):
    """Data needing more chunks than one manifest can list."""


# ---- mappings ----


@dataclass(frozen=True, slots=True)
class GlobalObject:
    """Where archived data starts: hash [32] | piece_index u64 | offset u32."""

    hash: bytes
    """blake3 of the stored data."""
    piece_index: int
    """The source piece whose raw record holds the data's compact length prefix."""
    offset: int
    """Offset of that prefix in the piece's raw record (31-byte-chunk bytes)."""

    def __post_init__(self) -> None:
        if not isinstance(self.hash, bytes) or len(self.hash) != BLAKE3_HASH_SIZE:
            msg = f"hash must be {BLAKE3_HASH_SIZE} bytes"
            raise DecodeError(msg)
        validate_uint("piece_index", self.piece_index, U64_MAX)
        validate_uint("offset", self.offset, U32_MAX)

    def to_bytes(self) -> bytes:
        return self.hash + encode_u64(self.piece_index) + encode_u32(self.offset)

    @classmethod
    def from_bytes(cls, data: bytes) -> GlobalObject:
        reader = Reader(data, "GlobalObject")
        mapping = cls(reader.read_bytes(BLAKE3_HASH_SIZE), reader.read_u64(), reader.read_u32())
        reader.expect_end()
        return mapping


@dataclass(frozen=True, slots=True)
class BlockObject:
    """Stored data inside one encoded block: its hash and where its compact length prefix is."""

    hash: bytes
    offset_in_block: int


def compute_block_objects(block: bytes | memoryview, params: Params) -> list[BlockObject]:
    """The StoreData payloads of an encoded chain Block, in order; [] for bytes that are not a Block."""
    try:
        decoded = Block.from_bytes(bytes(block), compute_proof_of_space_size(params))
    except ProtocolError:
        return []  # genesis and synthetic history carry no transactions
    offset = len(decoded.header.to_bytes()) + compute_compact_length(len(decoded.transactions))
    objects = []
    for transaction in decoded.transactions:
        if isinstance(transaction.call, StoreData):
            data_hash = bytes(compute_blake3(transaction.call.data))
            objects.append(BlockObject(data_hash, offset + STORE_DATA_PREFIX_SIZE))
        offset += len(transaction.to_bytes())
    return objects


@dataclass(frozen=True, slots=True)
class BlockSlice:
    """The bytes of one block part (Block, BlockStart or BlockContinuation item) in a segment."""

    block_number: int
    offset_in_block: int
    """Where the part's bytes start in the whole block."""
    offset_in_segment: int
    """Where they start in the segment (after the item's variant byte and compact length)."""
    length: int


def compute_segment_block_slices(
    items: Sequence[SegmentItem], previous_progress: LastArchivedBlock
) -> list[BlockSlice]:
    """The block parts of a segment's items; `previous_progress` is the last segment's last_archived_block."""
    position = 1  # the segment's version byte
    progress = previous_progress
    slices = []
    for item in items:
        if isinstance(item, BlockItem | BlockStartItem | BlockContinuationItem):
            number, start = _locate_block_part(item, progress)
            data_start = position + 1 + compute_compact_length(len(item.data))
            slices.append(BlockSlice(number, start, data_start, len(item.data)))
            progress = LastArchivedBlock(
                BlockNumber(number), None if isinstance(item, BlockItem) else U32(start + len(item.data))
            )
        position += compute_item_encoded_size(item)
    return slices


def _locate_block_part(item: SegmentItem, progress: LastArchivedBlock) -> tuple[int, int]:
    """(block number, offset in block) of a block part following `progress`."""
    if isinstance(item, BlockContinuationItem):
        # A continuation carries on the partially archived block from where archiving stopped.
        if progress.partial_bytes is None:
            msg = f"block continuation after block {progress.number}, which is archived completely"
            raise ObjectCorrupt(msg)
        return int(progress.number), int(progress.partial_bytes)
    # The very first block ever is block 0, which the initial progress already names.
    first = progress == INITIAL_LAST_ARCHIVED_BLOCK
    return int(progress.number) if first else int(progress.number) + 1, 0


def compute_segment_objects(
    items: Sequence[SegmentItem],
    previous_progress: LastArchivedBlock,
    segment_index: SegmentIndex,
    params: Params,
    objects_of_block: Callable[[int], Sequence[BlockObject]],
) -> list[GlobalObject]:
    """The mappings of every object whose compact length prefix lies in this segment
    (subspace-archiving `GlobalObject`).

    `objects_of_block(number)` gives a block's objects (compute_block_objects of the whole block), so
    objects in a BlockStart or BlockContinuation part map into the segment their prefix is in.
    """
    indexes = compute_segment_piece_indexes_source_first(segment_index, params)
    raw_record_size = params.raw_record_size
    mappings = []
    for part in compute_segment_block_slices(items, previous_progress):
        for found in objects_of_block(part.block_number):
            inside = found.offset_in_block - part.offset_in_block
            if 0 <= inside < part.length:
                offset_in_segment = part.offset_in_segment + inside
                piece_index = indexes[offset_in_segment // raw_record_size]
                mappings.append(GlobalObject(found.hash, int(piece_index), offset_in_segment % raw_record_size))
    return mappings


# ---- reading ----

PieceFetcher = Callable[[int], bytes | None]
"""A piece by index, None when it cannot be had."""


def read_object(mapping: GlobalObject, fetch_piece: PieceFetcher, params: Params) -> bytes:
    """The data a mapping names, read from archived pieces (each fetched once) and checked against its hash.

    A block cut at a segment's end may leave up to MAX_SEGMENT_PADDING zero bytes after its first part (the
    part's compact length can be shorter than the whole block's), which no mapping records; as in the
    reference, each possible padding is tried when the read reaches the segment's last bytes, and the hash
    picks the right one. ObjectUnavailable when a piece cannot be fetched; ObjectCorrupt otherwise.
    """
    return read_object_from(mapping, RawRecords(fetch_piece, params), params)


def read_object_from(mapping: GlobalObject, records: RawRecords, params: Params) -> bytes:
    """read_object over raw records a caller keeps across reads (consecutive payloads share boundary pieces,
    each decoded once); `records.touched` names the pieces this read used, the ones to suspect if it fails."""
    if not is_source_piece(PieceIndex(mapping.piece_index), params) or mapping.offset >= params.raw_record_size:
        msg = f"mapping (piece {mapping.piece_index}, offset {mapping.offset}) is not a place in a source record"
        raise ObjectCorrupt(msg)
    records.touched.clear()
    failures: list[str] = []
    reached_segment_end = False
    for padding in range(MAX_SEGMENT_PADDING + 1):
        reader = HistoryReader(records, params, mapping.piece_index, mapping.offset, padding)
        # Another padding only matters when a read came near the segment's end, and padding bytes are zeros.
        if padding > 0 and not (reached_segment_end and reader.first_segment_ends_with_zeros()):
            break
        data = _read_candidate(reader, mapping, failures)
        reached_segment_end = reached_segment_end or reader.reached_segment_end
        if data is not None:
            return data
    raise ObjectCorrupt("; ".join(failures))


def _read_candidate(reader: HistoryReader, mapping: GlobalObject, failures: list[str]) -> bytes | None:
    """The data if it reads and hashes right, else None with the reason appended to `failures`."""
    try:
        length = reader.read_compact()
        # The chain never stores more in one transaction; a bigger length means a wrong place.
        if length > MAX_STORE_DATA_SIZE:
            msg = f"object length {length} at piece {mapping.piece_index} exceeds {MAX_STORE_DATA_SIZE}"
            raise ObjectCorrupt(msg)
        data = reader.read(length)
    except ObjectCorrupt as error:
        failures.append(str(error))
        return None
    if compute_blake3(data) != mapping.hash:
        failures.append(
            f"data at piece {mapping.piece_index} offset {mapping.offset} does not hash to {mapping.hash.hex()}"
        )
        return None
    return data


class RawRecords:
    """Raw records of source pieces, each piece fetched and decoded once (until forgotten)."""

    def __init__(self, fetch_piece: PieceFetcher, params: Params) -> None:
        self._fetch_piece = fetch_piece
        self._params = params
        self._records: dict[int, bytes] = {}
        self.touched: dict[int, None] = {}
        """The pieces asked for since read_object_from began its read, in order (a dict as an ordered set)."""

    def get(self, piece_index: int) -> bytes:
        self.touched[piece_index] = None
        if piece_index not in self._records:
            self._records[piece_index] = self._fetch(piece_index)
        return self._records[piece_index]

    def forget(self, piece_index: int) -> None:
        """Decode this piece again when next asked for (its caller replaced it)."""
        self._records.pop(piece_index, None)

    def forget_before(self, piece_index: int) -> None:
        """Drop the records of pieces before this one: a walk that passed them reads them no more."""
        for index in [index for index in self._records if index < piece_index]:
            del self._records[index]

    def _fetch(self, piece_index: int) -> bytes:
        piece = self._fetch_piece(piece_index)
        if piece is None:
            msg = f"piece {piece_index} is not available"
            raise ObjectUnavailable(msg)
        try:
            record, _, _ = split_piece(piece, self._params)
            return decode_scalars_to_raw_record(record, self._params)
        except ProtocolError as error:
            msg = f"piece {piece_index}: {error}"
            raise ObjectCorrupt(msg) from error


class HistoryReader:
    """Reads a block's bytes forward from a place in a source record, across source pieces and segments.

    The first run ends `padding` bytes before its segment's end; each later segment contributes exactly
    the bytes its leading block continuation declares.
    """

    def __init__(self, records: RawRecords, params: Params, piece_index: int, offset: int, padding: int) -> None:
        self._records = records
        self._params = params
        self._piece_index = PieceIndex(piece_index)
        self._first_segment_end_piece = self._last_source_piece(self._piece_index)
        position = compute_source_position(self._piece_index, params) * params.raw_record_size + offset
        # A mapping inside the assumed padding reads nothing here (and then fails its hash).
        self._run_remaining = max(0, params.recorded_history_segment_size - position - padding)
        self._padding = padding
        self._buffer = memoryview(records.get(self._piece_index))[offset:]
        self.reached_segment_end = False
        """True once a read came within MAX_SEGMENT_PADDING bytes of the first segment's end."""

    def read(self, length: int) -> bytes:
        """The next `length` bytes of the block being read."""
        parts: list[memoryview] = []
        while length > 0:
            if self._run_remaining == 0:
                self._cross_segment()
            if len(self._buffer) == 0:
                self._next_piece()
            take = min(length, len(self._buffer), self._run_remaining)
            parts.append(self._buffer[:take])  # views: the join below is the one copy
            self._buffer = self._buffer[take:]
            self._run_remaining -= take
            length -= take
            self._note_segment_end()
        return b"".join(parts)

    def read_compact(self) -> int:
        """A SCALE compact integer (ObjectCorrupt unless canonical)."""
        first = self.read(1)
        mode = first[0] & 0b11
        size = {0b00: 1, 0b01: 2, 0b10: 4}.get(mode, (first[0] >> 2) + 5)
        try:
            return Reader(first + self.read(size - 1), "object length").read_compact()
        except DecodeError as error:
            raise ObjectCorrupt(str(error)) from error

    def first_segment_ends_with_zeros(self) -> bool:
        """True when the first segment's last `padding` bytes are zero (padding is zero bytes)."""
        record = self._records.get(self._first_segment_end_piece)
        return record[len(record) - self._padding :] == bytes(self._padding)

    def _note_segment_end(self) -> None:
        if self._piece_index == self._first_segment_end_piece and self._run_remaining <= MAX_SEGMENT_PADDING:
            self.reached_segment_end = True

    def _next_piece(self) -> None:
        self._piece_index = compute_next_source_piece_index(self._piece_index, self._params)
        self._buffer = memoryview(self._records.get(self._piece_index))

    def _cross_segment(self) -> None:
        """Move to the next segment's first source piece, just after its block continuation's prefix."""
        self.reached_segment_end = self.reached_segment_end or self._piece_index == self._first_segment_end_piece
        segment_index = compute_piece_segment_index(self._piece_index, self._params)
        first_piece = compute_piece_index_from_source_position(0, SegmentIndex(segment_index + 1), self._params)
        raw_record = self._records.get(first_piece)
        start, length = compute_continuation_start(raw_record)
        # A continuation cannot run past its segment.
        if start + length > self._params.recorded_history_segment_size:
            msg = f"block continuation of {length} bytes does not fit segment {segment_index + 1}"
            raise ObjectCorrupt(msg)
        self._piece_index = first_piece
        self._buffer = memoryview(raw_record)[start:]
        self._run_remaining = length

    def _last_source_piece(self, piece_index: PieceIndex) -> PieceIndex:
        segment_index = compute_piece_segment_index(piece_index, self._params)
        last = self._params.segment_num_raw_records - 1
        return compute_piece_index_from_source_position(last, segment_index, self._params)


def compute_continuation_start(raw_record: bytes) -> tuple[int, int]:
    """(where its data starts, its length) of the block continuation opening a segment's first raw record.

    A segment after the first begins `0x00 || ParentSegmentHeader || BlockContinuation(len, ...)`
    whenever the block before it was cut at the boundary.
    """
    reader = Reader(raw_record, "segment start")
    try:
        version, tag = reader.read_u8(), reader.read_u8()
        if version != SEGMENT_VERSION_V0 or tag != ITEM_PARENT_SEGMENT_HEADER:
            msg = f"segment starts with version {version} and item {tag}, not V0 and a parent header"
            raise ObjectCorrupt(msg)
        read_segment_header(reader)
        tag = reader.read_u8()
        if tag != ITEM_BLOCK_CONTINUATION:
            msg = f"item {tag} follows the parent header where an object continues, not a block continuation"
            raise ObjectCorrupt(msg)
        length = reader.read_compact()
    except DecodeError as error:
        raise ObjectCorrupt(f"segment start: {error}") from error
    return len(raw_record) - reader.remaining(), length


# ---- payloads ----


@dataclass(frozen=True, slots=True)
class ObjectChunk:
    """A payload carrying object bytes: a whole small object, or one chunk of a big one."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ObjectManifest:
    """A payload listing a big object's chunks, in order."""

    total_size: int
    chunk_ids: tuple[bytes, ...]


ObjectPayload = ObjectChunk | ObjectManifest


def encode_object_chunk(data: bytes) -> bytes:
    """0x00 || data."""
    if len(data) > MAX_OBJECT_CHUNK_SIZE:
        msg = f"an object chunk holds at most {MAX_OBJECT_CHUNK_SIZE} bytes, got {len(data)}"
        raise ObjectTooLarge(msg)
    return encode_u8(OBJECT_CHUNK_TAG) + bytes(data)


def encode_object_manifest(total_size: int, chunk_ids: Sequence[bytes]) -> bytes:
    """0x01 || version 0 || total_size u64 || compact count || chunk ids [32] each."""
    _validate_manifest(total_size, tuple(chunk_ids))
    header = encode_u8(OBJECT_MANIFEST_TAG) + encode_u8(OBJECT_MANIFEST_VERSION) + encode_u64(total_size)
    return header + encode_compact(len(chunk_ids)) + b"".join(chunk_ids)


def decode_object_payload(payload: bytes) -> ObjectPayload:
    """The chunk or manifest a payload encodes; DecodeError for anything else (unknown tag, trailing bytes)."""
    if len(payload) == 0:
        msg = "object payload is empty"
        raise DecodeError(msg)
    if payload[0] == OBJECT_CHUNK_TAG:
        if len(payload) - 1 > MAX_OBJECT_CHUNK_SIZE:
            msg = f"object chunk of {len(payload) - 1} bytes exceeds {MAX_OBJECT_CHUNK_SIZE}"
            raise DecodeError(msg)
        return ObjectChunk(bytes(payload[1:]))
    if payload[0] == OBJECT_MANIFEST_TAG:
        return _decode_manifest(payload)
    msg = f"object payload: unknown tag {payload[0]}"
    raise DecodeError(msg)


def _decode_manifest(payload: bytes) -> ObjectManifest:
    reader = Reader(payload, "ObjectManifest")
    reader.read_u8()
    version = reader.read_u8()
    if version != OBJECT_MANIFEST_VERSION:
        msg = f"ObjectManifest: unknown version {version}"
        raise DecodeError(msg)
    total_size = reader.read_u64()
    count = reader.read_compact()
    if count > MAX_MANIFEST_CHUNKS:
        msg = f"ObjectManifest: {count} chunks, at most {MAX_MANIFEST_CHUNKS}"
        raise DecodeError(msg)
    chunk_ids = tuple(reader.read_bytes(OBJECT_ID_SIZE) for _ in range(count))
    reader.expect_end()
    try:
        _validate_manifest(total_size, chunk_ids)
    except InvalidObjectPlan as error:
        raise DecodeError(str(error)) from error
    return ObjectManifest(total_size, chunk_ids)


def _validate_manifest(total_size: int, chunk_ids: tuple[bytes, ...]) -> None:
    count = len(chunk_ids)
    # A manifest lists at least one chunk, and no more than fit one transaction.
    if count == 0:
        msg = "a manifest lists at least one chunk"
        raise InvalidObjectPlan(msg)
    if count > MAX_MANIFEST_CHUNKS:
        msg = f"a manifest lists at most {MAX_MANIFEST_CHUNKS} chunks, got {count}"
        raise ObjectTooLarge(msg)
    if isinstance(total_size, bool) or not isinstance(total_size, int):
        msg = f"total_size must be an int, got {total_size!r}"
        raise InvalidObjectPlan(msg)
    # Every chunk holds between one byte and a full chunk.
    if not count <= total_size <= count * MAX_OBJECT_CHUNK_SIZE:
        msg = f"{count} chunks cannot hold {total_size} bytes"
        raise InvalidObjectPlan(msg)
    if any(not isinstance(chunk_id, bytes) or len(chunk_id) != OBJECT_ID_SIZE for chunk_id in chunk_ids):
        msg = f"chunk ids are {OBJECT_ID_SIZE} bytes"
        raise InvalidObjectPlan(msg)


def compute_object_id(payload: bytes) -> bytes:
    """blake3 of a payload: the id under which it is stored and mapped."""
    return bytes(compute_blake3(bytes(payload)))


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    """The payloads storing an object, in submission order (chunks first, then the manifest), and its id."""

    object_id: bytes
    payloads: tuple[bytes, ...]


def plan_object(data: bytes, chunk_size: int = MAX_OBJECT_CHUNK_SIZE) -> ObjectPlan:
    """One chunk payload for data up to chunk_size, else the chunk payloads and a manifest listing them."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or not 1 <= chunk_size <= MAX_OBJECT_CHUNK_SIZE:
        msg = f"chunk_size must be in 1..{MAX_OBJECT_CHUNK_SIZE}, got {chunk_size!r}"
        raise InvalidObjectPlan(msg)
    data = bytes(data)
    if len(data) <= chunk_size:
        payload = encode_object_chunk(data)
        return ObjectPlan(compute_object_id(payload), (payload,))
    count = -(-len(data) // chunk_size)
    if count > MAX_MANIFEST_CHUNKS:
        msg = f"{len(data)} bytes need {count} chunks of {chunk_size}, a manifest lists at most {MAX_MANIFEST_CHUNKS}"
        raise ObjectTooLarge(msg)
    chunks = [encode_object_chunk(data[start : start + chunk_size]) for start in range(0, len(data), chunk_size)]
    manifest = encode_object_manifest(len(data), [compute_object_id(chunk) for chunk in chunks])
    return ObjectPlan(compute_object_id(manifest), (*chunks, manifest))


def validate_object_hash(object_hash: object) -> bytes:
    """The hash itself; MalformedObjectId unless it is 32 bytes."""
    if not isinstance(object_hash, bytes) or len(object_hash) != OBJECT_ID_SIZE:
        msg = f"an object hash is {OBJECT_ID_SIZE} bytes, got {object_hash!r:.80}"
        raise MalformedObjectId(msg)
    return object_hash


def parse_object_id(text: str) -> bytes:
    """The 32-byte id written as 64 hex characters; MalformedObjectId for anything else."""
    if not isinstance(text, str) or _OBJECT_ID_TEXT.fullmatch(text) is None:
        msg = f"an object id is 64 hex characters, got {text!r:.80}"
        raise MalformedObjectId(msg)
    return bytes.fromhex(text)
