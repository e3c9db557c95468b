"""Archiver: turns confirmed blocks, in order, into segments of verifiable pieces.

Ownership: the archiver is the only writer of segment headers and of the piece files it stores.
Durability order for each segment: pieces file (fsynced) → header + progress + the block whose archiving
produced it + the mappings of the objects starting in the segment (one RocksDB batch, synced) → notify
subscribers. Every received block is stored before it is archived, so a restart rebuilds the in-memory
segment buffer from the last header and the stored blocks after it and never re-archives or skips a block
(nor loses a mapping).

Delivery: the node is answered, for every block it hands over (again, too, after a lost answer or a
restart of either side), with the headers archiving that block produced; that answer, not a notification,
is what the chain records. Subscribers are only woken: a failing one is counted and skipped, never able
to stop archiving, and each pulls the headers it lacks by index (from a node) on its own schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.errors import CorruptStore, describe_error
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.links import Links
from autonomys.actors.messages import SegmentHeaderNotification
from autonomys.actors.storage import KVStore, RocksKVStore, StoreCorrupted
from autonomys.protocol.archiving.archived_segment import (
    ArchivedSegment,
    archive_segment,
    compute_source_record_commitment,
)
from autonomys.protocol.archiving.block_archiving import (
    ArchiverState,
    ProducedSegment,
    add_block,
    initial_archiver_state,
    next_state_after_segment,
    produce_segment,
    restore_archiver_state,
)
from autonomys.protocol.archiving.segment_encoding import encode_segment, split_segment_into_raw_records
from autonomys.protocol.archiving.segments import LastArchivedBlock, SegmentHeader
from autonomys.protocol.codec import encode_u64
from autonomys.protocol.errors import InvalidBlock, ProtocolError
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.objects.mappings import (
    BlockObject,
    GlobalObject,
    compute_block_objects,
    compute_segment_objects,
    validate_object_hash,
)
from autonomys.protocol.params import Params

HEADER_PREFIX = b"archiver/segment_header/"
LAST_SEGMENT_KEY = b"archiver/last_segment"
BLOCK_PREFIX = b"archiver/block/"
LAST_BLOCK_KEY = b"archiver/last_block"
SUBSCRIBER_PREFIX = b"archiver/subscriber/"
OBJECT_PREFIX = b"archiver/object/"
SEGMENT_BLOCK_PREFIX = b"archiver/segment_block/"
"""segment index → the number of the block whose archiving produced the segment."""

RecordCommitter = Callable[[Sequence[bytes]], list[bytes]]
"""Commitments of raw source records, in order (fanned out to workers in a cluster)."""


class OutOfOrderBlock(InvalidBlock):
    """A confirmed block that does not follow the last one received."""


class SegmentHeaderSubscriber(Protocol):
    name: str

    def on_segment_header(self, notification: SegmentHeaderNotification) -> None: ...


def segment_header_key(segment_index: int) -> bytes:
    return HEADER_PREFIX + segment_index.to_bytes(8, "big")


def _block_key(number: int) -> bytes:
    return BLOCK_PREFIX + number.to_bytes(4, "big")


def object_key(object_hash: bytes) -> bytes:
    return OBJECT_PREFIX + bytes(object_hash)


def _segment_block_key(segment_index: int) -> bytes:
    return SEGMENT_BLOCK_PREFIX + segment_index.to_bytes(8, "big")


class Archiver:
    def __init__(
        self,
        params: Params,
        kzg: Kzg,
        store: KVStore,
        pieces: SegmentPieceFiles,
        commit_records: RecordCommitter | None = None,
    ) -> None:
        self.params = params
        self.kzg = kzg
        self.store = store
        self.pieces = pieces
        self.commit_records = commit_records if commit_records is not None else self._commit_locally
        self.subscribers: list[SegmentHeaderSubscriber] = []
        self.notification_failures = 0
        self.last_notification_error = ""
        self._block_objects: dict[int, list[BlockObject]] = {}
        pieces.remove_incomplete()
        self._last_block = self._read_int(LAST_BLOCK_KEY)
        self._state = self._restore()

    @property
    def last_block_number(self) -> int | None:
        return self._last_block

    @property
    def last_segment_header(self) -> SegmentHeader | None:
        last = self._read_int(LAST_SEGMENT_KEY)
        return None if last is None else self.segment_header(last)

    def segment_header(self, segment_index: int) -> SegmentHeader | None:
        data = self.store.get(segment_header_key(segment_index))
        return None if data is None else SegmentHeader.from_bytes(data)

    def segment_headers(self, first: int = 0) -> list[SegmentHeader]:
        headers: list[SegmentHeader] = []
        while (header := self.segment_header(first + len(headers))) is not None:
            headers.append(header)
        return headers

    def get_piece(self, piece_index: int) -> bytes | None:
        return self.pieces.get_piece(piece_index)

    def object_mapping(self, object_hash: bytes) -> GlobalObject | None:
        """Where archived data with this blake3 hash starts (the first place it was archived), None if not archived."""
        data = self.store.get(object_key(validate_object_hash(object_hash)))
        return None if data is None else GlobalObject.from_bytes(data)

    def on_confirmed_block(self, number: int, block: bytes) -> list[SegmentHeader]:
        """Archive a confirmed block; returns the headers of the segments archiving it produced. A block already
        taken is not archived again; it is answered with the same headers."""
        expected = 0 if self._last_block is None else self._last_block + 1
        if number < expected:
            return self.segment_headers_for_block(number)
        if number != expected:
            msg = f"block {number} arrived, the archiver expects block {expected}"
            raise OutOfOrderBlock(msg)
        state = add_block(self._state, bytes(block))
        self.store.write_batch({_block_key(number): bytes(block), LAST_BLOCK_KEY: encode_u64(number)})
        self._last_block = number
        self._state = state
        return self._produce_ready_segments(number)

    def segment_headers_for_block(self, number: int) -> list[SegmentHeader]:
        """The headers of the segments archiving block `number` produced, oldest first (empty when none, or when
        the block is not archived yet). Segments stored before the producing block was recorded count as
        produced by their last archived block."""
        headers = []
        last = self._read_int(LAST_SEGMENT_KEY)
        for segment_index in range(0 if last is None else last, -1, -1):
            header = self.segment_header(segment_index)
            if header is None:
                break
            producer = self._read_int(_segment_block_key(segment_index))
            producer = int(header.last_archived_block.number) if producer is None else producer
            if producer < number:
                break
            if producer == number:
                headers.append(header)
        return headers[::-1]

    def _produce_ready_segments(self, number: int) -> list[SegmentHeader]:
        """Archive every segment the buffer can fill, each recorded as produced by block `number`."""
        headers = []
        while (produced := produce_segment(self._state, self.params)) is not None:
            archived = self._archive(produced, self._state.last_archived_block, number)
            self._state = next_state_after_segment(produced, archived.segment_header)
            headers.append(archived.segment_header)
            self._notify(archived.segment_header)
        return headers

    def _notify(self, header: SegmentHeader) -> None:
        """Wake every subscriber; one that fails is counted and skipped (it pulls what it missed)."""
        for subscriber in list(self.subscribers):
            try:
                subscriber.on_segment_header(SegmentHeaderNotification(header))
            except Exception as error:  # noqa: BLE001 - a subscriber (down, restarting) must not stop archiving
                self.notification_failures += 1
                self.last_notification_error = f"{getattr(subscriber, 'name', subscriber)}: {error}"

    def _archive(self, produced: ProducedSegment, previous_progress: LastArchivedBlock, number: int) -> ArchivedSegment:
        segment_bytes = encode_segment(produced.items, self.params)
        raw_records = split_segment_into_raw_records(segment_bytes, self.params)
        archived = archive_segment(
            segment_bytes,
            self.kzg,
            self.params,
            produced.segment_index,
            produced.prev_segment_header_hash,
            produced.last_archived_block,
            source_commitments=self.commit_records(raw_records),
        )
        index = int(produced.segment_index)
        self.pieces.write_segment(index, archived.pieces)
        batch = self._object_mappings(produced, previous_progress)
        batch |= {
            segment_header_key(index): archived.segment_header.to_bytes(),
            _segment_block_key(index): encode_u64(number),
            LAST_SEGMENT_KEY: encode_u64(index),
        }
        self.store.write_batch(batch)
        self._prune_blocks_before(int(produced.last_archived_block.number))
        return archived

    def _object_mappings(self, produced: ProducedSegment, previous_progress: LastArchivedBlock) -> dict[bytes, bytes]:
        """Store entries of the segment's objects; data archived earlier keeps its first mapping."""
        mappings = compute_segment_objects(
            produced.items, previous_progress, produced.segment_index, self.params, self._objects_of_block
        )
        entries: dict[bytes, bytes] = {}
        for mapping in mappings:
            key = object_key(mapping.hash)
            if key not in entries and self.store.get(key) is None:
                entries[key] = mapping.to_bytes()
        return entries

    def _objects_of_block(self, number: int) -> list[BlockObject]:
        if number not in self._block_objects:
            self._block_objects[number] = compute_block_objects(self._stored_block(number), self.params)
        return self._block_objects[number]

    def _commit_locally(self, raw_records: Sequence[bytes]) -> list[bytes]:
        return [compute_source_record_commitment(self.kzg, record, self.params) for record in raw_records]

    def _restore(self) -> ArchiverState:
        header = self.last_segment_header
        if header is None:
            state, first = initial_archiver_state(), 0
        else:
            progress = header.last_archived_block
            last_block = b"" if progress.is_complete else self._stored_block(int(progress.number))
            state, first = restore_archiver_state(header, last_block), int(progress.number) + 1
        last = -1 if self._last_block is None else self._last_block
        self._state = state
        for number in range(first, last + 1):
            self._state = add_block(self._state, self._stored_block(number))
            self._produce_ready_segments(number)  # a crash between storing a block and archiving it
        return self._state

    def _stored_block(self, number: int) -> bytes:
        data = self.store.get(_block_key(number))
        if data is None:
            msg = f"archiver store lost block {number}"
            raise InvalidBlock(msg)
        return data

    def _prune_blocks_before(self, number: int) -> None:
        self._block_objects = {kept: objects for kept, objects in self._block_objects.items() if kept >= number}
        for key, _ in list(self.store.items_with_prefix(BLOCK_PREFIX)):
            if int.from_bytes(key[len(BLOCK_PREFIX) :], "big") < number:
                self.store.delete(key)

    def _read_int(self, key: bytes) -> int | None:
        data = self.store.get(key)
        return None if data is None else int.from_bytes(data, "little")


def commit_raw_records(setup: KzgSetup, params: Params, raw_records: Sequence[bytes]) -> list[bytes]:
    """Commitments of raw source records with a setup loaded once per process (a plotting/commit worker's job)."""
    kzg = load_kzg(setup)
    return [compute_source_record_commitment(kzg, record, params) for record in raw_records]


@dataclass(frozen=True, slots=True)
class ArchiverConfig:
    data_dir: str
    params: Params
    kzg_setup: KzgSetup


class ArchiverService:
    """The Ray-facing archiver: opens its stores under data_dir and serves blocks, headers and pieces.

    Subscribers are named actors, remembered in the store so a restarted archiver keeps notifying them.
    """

    def __init__(
        self,
        config: ArchiverConfig,
        links: Links,
        commit_records: RecordCommitter | None = None,
    ) -> None:
        """`links` turns a subscriber's name into the link segment headers are pushed to; `commit_records` fans
        record commitments out (to Ray tasks in a cluster), else they are computed here."""
        root = Path(config.data_dir) / "archiver"
        self._resolver: Callable[[str], SegmentHeaderSubscriber] = links.subscriber
        self.archiver = _open_archiver(root, config, commit_records)
        for key, _ in self.archiver.store.items_with_prefix(SUBSCRIBER_PREFIX):
            self.archiver.subscribers.append(self._resolver(key[len(SUBSCRIBER_PREFIX) :].decode(errors="replace")))

    def subscribe(self, name: str) -> None:
        """Send every future segment header to the named actor's on_segment_header (idempotent)."""
        if self.archiver.store.get(SUBSCRIBER_PREFIX + name.encode()) is not None:
            return
        self.archiver.store.put(SUBSCRIBER_PREFIX + name.encode(), b"")
        self.archiver.subscribers.append(self._resolver(name))

    def ready(self) -> bool:
        return True

    def on_confirmed_block(self, number: int, block: bytes) -> list[SegmentHeader]:
        return self.archiver.on_confirmed_block(number, block)

    def segment_headers_for_block(self, number: int) -> list[SegmentHeader]:
        return self.archiver.segment_headers_for_block(number)

    def segment_headers(self, first: int = 0) -> list[SegmentHeader]:
        return self.archiver.segment_headers(first)

    def get_piece(self, piece_index: int) -> bytes | None:
        return self.archiver.get_piece(piece_index)

    def object_mapping(self, object_hash: bytes) -> GlobalObject | None:
        return self.archiver.object_mapping(object_hash)

    def shutdown(self) -> None:
        self.archiver.store.close()


def _open_archiver(root: Path, config: ArchiverConfig, commit_records: RecordCommitter | None) -> Archiver:
    """The archiver of `root`, restored; CorruptStore when its database or its records cannot be loaded."""
    store = None
    try:
        store = RocksKVStore(root / "db")
        pieces = SegmentPieceFiles(root / "pieces", config.params)
        return Archiver(config.params, load_kzg(config.kzg_setup), store, pieces, commit_records)
    except (StoreCorrupted, ProtocolError) as error:
        if store is not None:
            store.close()
        fix = (
            f"restore {root} from a backup (the segments it holds are fixed by the chain: they cannot be rebuilt "
            "from another archive's copy unless it archived the same blocks); a devnet without a backup must start "
            "again in a fresh --data-dir"
        )
        raise CorruptStore("archiver state", root, describe_error(error), fix) from error
