"""A cache peer's piece storage: fixed-size slots in one preallocated file, indexed in RocksDB.

`cache.bin` holds `capacity` slots of piece_size bytes; the database maps a piece index to its slot
and its distance from the owner's peer id. A slot is free when no mapping points at it, so the free
list is recomputed from the mappings on open and never stored.

Damage: opening reads and checks every mapping before anything is written. Damaged RocksDB files, a
mapping of the wrong size, a distance other than the owner's key gives (when the owner passes
`distance_of`) or a mapped slot beyond the end of `cache.bin` raise CorruptStore, and the files are left
as they are; mappings beyond a smaller capacity, or sharing a slot, are dropped as before.

Durability order: `put` writes the piece into a free slot and fsyncs it, and only then records the
mapping (one synced RocksDB write); `evict` deletes the mapping first, so the slot is free before it
can be reused. A crash therefore never maps a half-written slot. Pieces are checked by the caller
(is_piece_valid) before they are stored; this class stores bytes. Not thread-safe: the owner locks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from autonomys.actors.errors import CorruptStore, describe_error
from autonomys.actors.storage import RocksKVStore, StoreCorrupted
from autonomys.protocol.dsn.piece_cache import KADEMLIA_KEY_SIZE, validate_capacity, validate_piece_index
from autonomys.protocol.params import Params

CACHE_FILE = "cache.bin"
DATABASE_DIRECTORY = "db"
PIECE_PREFIX = b"piece_cache/piece/"
SLOT_SIZE = 8
"""Slot number in a mapping value: u64 little-endian, followed by the 32-byte big-endian distance."""
MAPPING_SIZE = SLOT_SIZE + KADEMLIA_KEY_SIZE
PIECE_KEY_SIZE = len(PIECE_PREFIX) + 8


class PieceCacheStoreError(ValueError):
    """A piece or argument the cache store refuses; nothing was written."""


class WrongPieceSize(PieceCacheStoreError):
    """A piece whose length is not params.piece_size."""


class CacheFull(PieceCacheStoreError):
    """No free slot for a new piece: evict first."""


def piece_key(piece_index: int) -> bytes:
    return PIECE_PREFIX + piece_index.to_bytes(8, "big")


def encode_mapping(slot: int, distance: int) -> bytes:
    return slot.to_bytes(SLOT_SIZE, "little") + distance.to_bytes(KADEMLIA_KEY_SIZE, "big")


def decode_mapping(value: bytes) -> tuple[int, int]:
    """(slot, distance) of a stored mapping value."""
    return int.from_bytes(value[:SLOT_SIZE], "little"), int.from_bytes(value[SLOT_SIZE:], "big")


class PieceCacheStore:
    def __init__(
        self,
        directory: str | Path,
        params: Params,
        capacity_pieces: int,
        *,
        distance_of: Callable[[int], int] | None = None,
        owner_key: str = "the owner's peer key",
    ) -> None:
        """Open (creating) the cache in `directory`, resized to `capacity_pieces` slots.

        A smaller capacity than before drops the pieces whose slot lies beyond it; a larger one
        extends the file. Every other stored piece is kept. `distance_of(piece_index)`, when given, is
        the distance every stored mapping must hold (from `owner_key`, named in the error).
        """
        validate_capacity(capacity_pieces)
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.params = params
        self.capacity = capacity_pieces
        self.database = self._open_database()
        self._closed = False
        self._descriptor = -1
        self._slots: dict[int, int] = {}
        self._distances: dict[int, int] = {}
        try:
            mappings = self._read_mappings()
            if distance_of is not None:
                self._check_distances(mappings, distance_of, owner_key)
            self._descriptor = self._open_cache_file(mappings)
            self._check_slots_in_file(mappings)
        except BaseException:
            self._release()
            raise
        self._keep_mappings(mappings)
        self._resize_file()
        self._free = sorted(set(range(self.capacity)) - set(self._slots.values()), reverse=True)

    def _fix(self) -> str:
        return (
            f"delete {self.directory} (the cached pieces and their slot map) and start the cache peer again: "
            "it keeps its peer key and fetches its pieces again"
        )

    def _corrupt(self, path: Path, problem: str) -> CorruptStore:
        return CorruptStore("piece cache", path, problem, self._fix())

    def _open_database(self) -> RocksKVStore:
        try:
            return RocksKVStore(self.directory / DATABASE_DIRECTORY)
        except StoreCorrupted as error:
            raise self._corrupt(self.directory / DATABASE_DIRECTORY, describe_error(error)) from error

    def _read_mappings(self) -> list[tuple[bytes, int, int, int]]:
        """(key, piece index, slot, distance) of every stored mapping; CorruptStore when one is malformed."""
        try:
            items = list(self.database.items_with_prefix(PIECE_PREFIX))
        except StoreCorrupted as error:
            raise self._corrupt(self.database.path, describe_error(error)) from error
        mappings = []
        for key, value in items:
            if len(key) != PIECE_KEY_SIZE or len(value) != MAPPING_SIZE:
                problem = (
                    f"the mapping under key {key.hex()} has a {len(key)}-byte key and a {len(value)}-byte value, "
                    f"not {PIECE_KEY_SIZE} and {MAPPING_SIZE}"
                )
                raise self._corrupt(self.database.path, problem)
            mappings.append((key, int.from_bytes(key[len(PIECE_PREFIX) :], "big"), *decode_mapping(value)))
        return mappings

    def _check_distances(
        self, mappings: list[tuple[bytes, int, int, int]], distance_of: Callable[[int], int], owner_key: str
    ) -> None:
        """CorruptStore when a stored distance is not the one the owner's key gives: a damaged mapping, or
        (every one disagreeing) a key that is not the one these pieces were cached for."""
        wrong = [(index, distance) for _, index, _, distance in mappings if distance != distance_of(index)]
        if len(wrong) == 0:
            return
        index, stored = wrong[0]
        problem = (
            f"{len(wrong)} of {len(mappings)} stored pieces are mapped at another distance than {owner_key} gives "
            f"(piece {index}: stored {stored:#x}, expected {distance_of(index):#x})"
        )
        if len(wrong) < len(mappings):
            raise self._corrupt(self.database.path, problem)
        fix = (
            f"if {owner_key} was replaced or damaged, restore the key these pieces were cached for from a backup; "
            f"to keep the key, {self._fix()}"
        )
        raise CorruptStore("piece cache", self.database.path, problem, fix)

    def _open_cache_file(self, mappings: list[tuple[bytes, int, int, int]]) -> int:
        """The descriptor of cache.bin, created only when no piece is mapped (else it must be there)."""
        file = self.directory / CACHE_FILE
        try:
            return os.open(file, os.O_RDWR | (0 if mappings else os.O_CREAT), 0o644)
        except FileNotFoundError as error:
            raise self._corrupt(
                file, f"{CACHE_FILE} is missing, but {len(mappings)} pieces are mapped into it"
            ) from error

    def _check_slots_in_file(self, mappings: list[tuple[bytes, int, int, int]]) -> None:
        """CorruptStore when a kept mapping points past the end of cache.bin (it would read as zeros once resized)."""
        size = os.fstat(self._descriptor).st_size
        for _, piece_index, slot, _ in mappings:
            if slot < self.capacity and (slot + 1) * self.params.piece_size > size:
                problem = (
                    f"{CACHE_FILE} is {size:,} bytes, but piece {piece_index} is mapped to slot {slot} past its end"
                )
                raise self._corrupt(self.directory / CACHE_FILE, problem)

    def _keep_mappings(self, mappings: list[tuple[bytes, int, int, int]]) -> None:
        """Keep the mappings, deleting those beyond the capacity or sharing a slot (mapping deleted first)."""
        used: set[int] = set()
        for key, piece_index, slot, distance in mappings:
            if slot >= self.capacity or slot in used:
                self.database.delete(key)
                continue
            used.add(slot)
            self._slots[piece_index] = slot
            self._distances[piece_index] = distance

    def _resize_file(self) -> None:
        size = self.capacity * self.params.piece_size
        if os.fstat(self._descriptor).st_size > size:
            os.ftruncate(self._descriptor, size)
        elif size > 0:
            os.posix_fallocate(self._descriptor, 0, size)
        os.fsync(self._descriptor)

    def put(self, piece_index: int, piece: bytes, distance: int) -> int:
        """Store `piece` in a free slot (fsynced), then map it; returns the slot.

        A piece already stored moves to a new slot, and its old slot is freed once the new mapping is
        written. WrongPieceSize / CacheFull / InvalidPieceIndex leave the cache unchanged.
        """
        validate_piece_index(piece_index)
        if len(piece) != self.params.piece_size:
            msg = f"piece {piece_index} is {len(piece)} bytes, a cache slot holds {self.params.piece_size}"
            raise WrongPieceSize(msg)
        if (
            isinstance(distance, bool)
            or not isinstance(distance, int)
            or not 0 <= distance < 1 << (8 * KADEMLIA_KEY_SIZE)
        ):
            msg = f"a distance is a 256-bit non-negative int, got {distance!r}"
            raise PieceCacheStoreError(msg)
        if len(self._free) == 0:
            msg = f"all {self.capacity} slots are used; evict a piece before storing piece {piece_index}"
            raise CacheFull(msg)
        slot = self._free[-1]
        written = os.pwrite(self._descriptor, bytes(piece), slot * self.params.piece_size)
        if written != len(piece):
            msg = f"short write of piece {piece_index}: {written} of {len(piece)} bytes"
            raise OSError(msg)
        os.fdatasync(self._descriptor)
        self._free.pop()
        self.database.put(piece_key(piece_index), encode_mapping(slot, distance))
        previous = self._slots.get(piece_index)
        if previous is not None:
            self._free.append(previous)
        self._slots[piece_index] = slot
        self._distances[piece_index] = distance
        return slot

    def evict(self, piece_index: int) -> bool:
        """Forget a piece (mapping deleted, slot freed); False when it was not stored."""
        slot = self._slots.get(piece_index)
        if slot is None:
            return False
        self.database.delete(piece_key(piece_index))
        del self._slots[piece_index]
        del self._distances[piece_index]
        self._free.append(slot)
        return True

    def get(self, piece_index: int) -> bytes | None:
        """The stored piece, or None when it is not here."""
        slot = self._slots.get(piece_index)
        if slot is None:
            return None
        size = self.params.piece_size
        data = os.pread(self._descriptor, size, slot * size)
        return data if len(data) == size else None

    def slot_of(self, piece_index: int) -> int | None:
        return self._slots.get(piece_index)

    def contents(self) -> dict[int, int]:
        """Stored piece index -> its distance from the owner."""
        return dict(self._distances)

    @property
    def free_slots(self) -> int:
        return len(self._free)

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, piece_index: object) -> bool:
        return piece_index in self._slots

    def close(self) -> None:
        """Release the file and the database (idempotent)."""
        if not self._closed:
            self._release()

    def _release(self) -> None:
        self._closed = True
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1
        self.database.close()
