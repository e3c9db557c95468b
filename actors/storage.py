"""Storage capabilities injected into actors: a key-value store on RocksDB, and one in memory for tests.

Writes are synchronous (fsync'd by RocksDB) and batched writes are atomic, so a crash leaves
either the old or the new checkpoint, never half of one.

Damage at rest is an error, not skipped data: RocksDB checksums every table block and write-ahead-log
record; the log is replayed in tolerate-corrupted-tail mode (a torn last record, the write a crash
interrupted, is dropped, but a checksum mismatch is an error, where RocksDB's default point-in-time mode
silently drops the damaged record and every one after it); and prefix scans check the iterator's status
(a damaged block would otherwise just end the scan). Opening or reading then raises StoreCorrupted, and
the role that owns the store says which files to restore or delete.

A store that grows with users (the node's: its state trie) opens with `large=True`: table blocks, and the
partitioned index and filter blocks that find them, share one block cache of BLOCK_CACHE_BYTES (RocksDB would
otherwise hold every table's index and filter outside any cache, growing with the data), and every table has a
bloom filter, so a lookup of an absent key (a new trie node's reference count) rarely reads a block. The price:
index and filter blocks are checked when first read rather than at open, and RocksDB reads past a damaged
filter block (it holds no data). The small stores keep RocksDB's default layout, which checks them at open.
Memtables are bounded by RocksDB's write buffers either way.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Protocol

from rocksdict import (
    AccessType,
    BlockBasedIndexType,
    BlockBasedOptions,
    Cache,
    DBRecoveryMode,
    Options,
    Rdict,
    WriteBatch,
    WriteOptions,
)

BLOCK_CACHE_BYTES = 8 << 20
BLOOM_BITS_PER_KEY = 10


class KVStore(Protocol):
    def get(self, key: bytes) -> bytes | None: ...
    def put(self, key: bytes, value: bytes) -> None: ...
    def write_batch(self, items: Mapping[bytes, bytes], deletes: Iterable[bytes] = ()) -> None: ...
    def delete(self, key: bytes) -> None: ...
    def items_with_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]: ...
    def close(self) -> None: ...


class StorageError(Exception):
    """The store cannot be opened or written (missing directory, permissions, locked by another process)."""


class StoreCorrupted(StorageError):
    """RocksDB found damaged files (a checksum mismatch, a malformed table or log) opening or reading the store."""


def _is_corruption(error: Exception) -> bool:
    return str(error).startswith("Corruption:")


def _options(large: bool) -> Options:
    options = Options(raw_mode=True)
    options.set_wal_recovery_mode(DBRecoveryMode.tolerate_corrupted_tail_records())
    if large:
        options.set_block_based_table_factory(_large_tables())
    return options


def _large_tables() -> BlockBasedOptions:
    tables = BlockBasedOptions()
    tables.set_block_cache(Cache(BLOCK_CACHE_BYTES))
    tables.set_cache_index_and_filter_blocks(True)
    # Partitioned: a large table's index and filter are cached in small blocks (a whole one would not fit a shard
    # of the cache, and would be read again on every lookup), found through a small pinned top level.
    tables.set_index_type(BlockBasedIndexType.two_level_index_search())
    tables.set_partition_filters(True)
    tables.set_pin_top_level_index_and_filter(True)
    tables.set_bloom_filter(BLOOM_BITS_PER_KEY, False)
    return tables


def _column_families(large: bool) -> dict[str, Options]:
    """The default column family's options, given explicitly: reopening a database otherwise loads its options
    from its OPTIONS file, where the block cache is not recorded (RocksDB then gives it a default 8 MiB one)."""
    return {"default": _options(large)}


class RocksKVStore:
    """A RocksDB database in one directory, bytes keys and values, every write synced."""

    def __init__(self, path: str | Path, *, read_only: bool = False, large: bool = False) -> None:
        """Open (creating unless read_only) the database; read-only opens work while another process writes.
        `large`: the bounded-cache, filtered table layout of a store that grows with users (module docstring)."""
        self.path = Path(path)
        try:
            if read_only:
                if not self.path.is_dir():
                    raise FileNotFoundError(f"no database at {self.path}")
                self._db = Rdict(str(self.path), _options(large), _column_families(large), AccessType.read_only())
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = Rdict(str(self.path), _options(large), _column_families(large))
        except Exception as error:
            msg = f"cannot open RocksDB store at {self.path}: {error}"
            raise (StoreCorrupted if _is_corruption(error) else StorageError)(msg) from error
        self._sync = WriteOptions()
        self._sync.sync = True

    def get(self, key: bytes) -> bytes | None:
        try:
            return self._db.get(key)
        except Exception as error:
            self._raise_if_corrupted(error)
            raise

    def put(self, key: bytes, value: bytes) -> None:
        self._db.put(key, value, self._sync)

    def write_batch(self, items: Mapping[bytes, bytes], deletes: Iterable[bytes] = ()) -> None:
        """Write `items` and delete `deletes` atomically (one synced batch)."""
        batch = WriteBatch(raw_mode=True)
        for key, value in items.items():
            batch.put(key, value)
        for key in deletes:
            batch.delete(key)
        self._db.write(batch, self._sync)

    def delete(self, key: bytes) -> None:
        self._db.delete(key, self._sync)

    def items_with_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        # A raw iterator, so that a damaged block is an error: Rdict.items() just ends the iteration there.
        iterator = self._db.iter()
        try:
            iterator.seek(prefix)
            while iterator.valid():
                key = iterator.key()
                if not key.startswith(prefix):
                    return
                yield key, iterator.value()
                iterator.next()
            iterator.status()  # raises the error that invalidated the iterator, if any
        except Exception as error:
            self._raise_if_corrupted(error)
            raise

    def close(self) -> None:
        self._db.close()

    def _raise_if_corrupted(self, error: Exception) -> None:
        """StoreCorrupted for RocksDB's corruption errors; the caller re-raises anything else unchanged."""
        if _is_corruption(error):
            msg = f"cannot read RocksDB store at {self.path}: {error}"
            raise StoreCorrupted(msg) from error


class MemoryKVStore:
    """A dict with the KVStore interface, for unit tests."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self.data[bytes(key)] = bytes(value)

    def write_batch(self, items: Mapping[bytes, bytes], deletes: Iterable[bytes] = ()) -> None:
        self.data.update({bytes(key): bytes(value) for key, value in items.items()})
        for key in deletes:
            self.data.pop(bytes(key), None)

    def delete(self, key: bytes) -> None:
        self.data.pop(key, None)

    def items_with_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for key in sorted(self.data):
            if key.startswith(prefix):
                yield key, self.data[key]

    def close(self) -> None:
        """Nothing to release."""


def write_file_durably(file: Path, parts: Iterable[bytes | bytearray | memoryview]) -> None:
    """Write `parts` to `file` atomically: a temporary file, fsync, rename, fsync of the directory."""
    temporary = file.with_suffix(".tmp")
    with open(temporary, "wb") as handle:
        for part in parts:
            handle.write(part)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(file)
    fsync_directory(file.parent)


def fsync_directory(path: Path) -> None:
    """Make a rename or a new file in `path` durable."""
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
