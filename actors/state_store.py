"""The state layer's store: the trie nodes of every kept state, content-addressed in a KVStore, reference-counted,
with a journal per block so old and abandoned states can be pruned.

A node is stored once under its hash with a reference count: every block whose transition created it adds one.
A block's journal lists the nodes its transition created and the ones it replaced. When a block becomes final
and leaves the pruning window (`canonicalize`), the nodes it replaced lose a reference: its parent's state is no
longer kept, and no kept state can still use them unless another block created them again (which counted).
When a block is abandoned (`discard`: a fork that can no longer win), the nodes it created lose a reference. A
node whose count reaches zero is deleted. This is the journal-and-refcount pruning of a Substrate node
(sc-state-db: its non-canonical overlay and pruning window).

Every change of one block is one KVStore batch with the block itself (`stage` returns the writes), so a crash
never leaves a block without its nodes or a node without its count.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from autonomys.actors.storage import KVStore
from autonomys.protocol.codec import Reader, encode_compact, encode_u64
from autonomys.protocol.state.trie import HASH_SIZE, TrieChanges

NODE_PREFIX = b"state/node/"
"""hash -> reference count u32 LE | encoding."""
JOURNAL_PREFIX = b"state/journal/"
"""block hash -> created hashes | replaced hashes (compact count, then 32 bytes each)."""
FLOOR_KEY = b"state/floor"
"""The number of the last canonical block whose journal is resolved (the states below it are pruned)."""
GENESIS_KEY = b"state/genesis"
"""The genesis state's root, once its nodes are stored (they are counted once, then pruned like any others)."""
COUNT_SIZE = 4
DEFAULT_CACHE_BYTES = 16 << 20
"""Bytes of node encodings kept in memory (the upper levels every lookup walks stay in it)."""


class StoredNodes(Mapping[bytes, bytes]):
    """The store's nodes by hash (what protocol.state.trie reads), with a bounded cache of recent ones."""

    def __init__(self, store: KVStore, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.store = store
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[bytes, bytes] = OrderedDict()
        self._cached_bytes = 0

    def get(self, node_hash: bytes, default: bytes | None = None) -> bytes | None:  # type: ignore[override]
        cached = self._cache.get(node_hash)
        if cached is not None:
            self._cache.move_to_end(node_hash)
            return cached
        value = self.store.get(NODE_PREFIX + node_hash)
        if value is None:
            return default
        encoding = value[COUNT_SIZE:]
        self._remember(node_hash, encoding)
        return encoding

    def __getitem__(self, node_hash: bytes) -> bytes:
        found = self.get(node_hash)
        if found is None:
            raise KeyError(node_hash.hex())
        return found

    def __iter__(self) -> Iterator[bytes]:
        for key, _ in self.store.items_with_prefix(NODE_PREFIX):
            yield key[len(NODE_PREFIX) :]

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def cached_bytes(self) -> int:
        """Bytes of node encodings in the cache (at most cache_bytes)."""
        return self._cached_bytes

    def count(self, node_hash: bytes) -> int:
        """A node's reference count (0 when not stored)."""
        value = self.store.get(NODE_PREFIX + node_hash)
        return 0 if value is None else int.from_bytes(value[:COUNT_SIZE], "little")

    def forget(self, node_hashes: Iterable[bytes]) -> None:
        for node_hash in node_hashes:
            encoding = self._cache.pop(node_hash, None)
            if encoding is not None:
                self._cached_bytes -= len(encoding)

    def _remember(self, node_hash: bytes, encoding: bytes) -> None:
        self._cache[node_hash] = encoding
        self._cached_bytes += len(encoding)
        while self._cached_bytes > self.cache_bytes:
            _, evicted = self._cache.popitem(last=False)
            self._cached_bytes -= len(evicted)


@dataclass(frozen=True, slots=True)
class Journal:
    created: tuple[bytes, ...]
    replaced: tuple[bytes, ...]

    def to_bytes(self) -> bytes:
        return (
            encode_compact(len(self.created)) + b"".join(self.created)
            + encode_compact(len(self.replaced)) + b"".join(self.replaced)
        )  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes) -> Journal:
        reader = Reader(data, "state journal")
        created = tuple(reader.read_bytes(HASH_SIZE) for _ in range(reader.read_compact()))
        replaced = tuple(reader.read_bytes(HASH_SIZE) for _ in range(reader.read_compact()))
        reader.expect_end()
        return cls(created, replaced)


class StateStore:
    """The trie nodes of every kept state in one KVStore (see the module docstring)."""

    def __init__(self, store: KVStore, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.store = store
        self.nodes = StoredNodes(store, cache_bytes)

    def has_root(self, root: bytes) -> bool:
        """Whether the state of `root` can be opened (the empty trie always can)."""
        return root == bytes(HASH_SIZE) or self.nodes.get(root) is not None

    def stage(self, block_hash: bytes, changes: TrieChanges) -> dict[bytes, bytes]:
        """The writes that store a block's created nodes (counted) and its journal: to write in one batch with the
        block. Nodes already stored gain a reference."""
        writes = self._count_up(changes.created)
        journal = Journal(tuple(changes.created), tuple(sorted(changes.replaced)))
        writes[JOURNAL_PREFIX + bytes(block_hash)] = journal.to_bytes()
        return writes

    def store_genesis(self, changes: TrieChanges) -> None:
        """Store the genesis state's nodes once, with a reference each (block 1's journal releases those it
        replaces); a restart finds them stored, or already pruned, and stores nothing."""
        if self.store.get(GENESIS_KEY) is not None:
            return
        writes = self._count_up(changes.created)
        writes[GENESIS_KEY] = bytes(changes.root)
        self.store.write_batch(writes)

    def genesis_root(self) -> bytes | None:
        """The root of the genesis state stored here (None before a node first starts on this store)."""
        return self.store.get(GENESIS_KEY)

    def canonicalize(self, block_hash: bytes) -> None:
        """A final block leaves the pruning window: the nodes it replaced lose a reference."""
        self._resolve(block_hash, lambda journal: journal.replaced)

    def discard(self, block_hash: bytes) -> None:
        """An abandoned block's nodes lose the reference it gave them."""
        self._resolve(block_hash, lambda journal: journal.created)

    def drop_journal(self, block_hash: bytes) -> None:
        """Forget a final block's journal without pruning (archive mode: every state is kept)."""
        self.store.write_batch({}, deletes=[JOURNAL_PREFIX + bytes(block_hash)])

    def has_journal(self, block_hash: bytes) -> bool:
        return self.store.get(JOURNAL_PREFIX + bytes(block_hash)) is not None

    def floor(self) -> int:
        """The number of the last canonical block whose journal is resolved (0: none beyond genesis): the oldest
        state that can still be opened, unless the node keeps every state."""
        value = self.store.get(FLOOR_KEY)
        return 0 if value is None else int.from_bytes(value, "little")

    def set_floor(self, number: int) -> None:
        self.store.put(FLOOR_KEY, encode_u64(number))

    def _resolve(self, block_hash: bytes, released: Callable[[Journal], tuple[bytes, ...]]) -> None:
        """Take one reference from each node `released` names of the block's journal, then drop the journal (one
        batch; DecodeError when the journal is damaged)."""
        key = JOURNAL_PREFIX + bytes(block_hash)
        data = self.store.get(key)
        if data is None:
            return  # resolved before (a restart repeating a prune), or a block that changed nothing
        writes, deletes = self._count_down(released(Journal.from_bytes(data)))
        self.store.write_batch(writes, deletes=[*deletes, key])
        self.nodes.forget(key[len(NODE_PREFIX) :] for key in deletes)

    def _count_up(self, created: Mapping[bytes, bytes]) -> dict[bytes, bytes]:
        writes: dict[bytes, bytes] = {}
        for node_hash, encoding in created.items():
            count = self.nodes.count(node_hash)
            writes[NODE_PREFIX + node_hash] = (count + 1).to_bytes(COUNT_SIZE, "little") + encoding
        return writes

    def _count_down(self, node_hashes: Iterable[bytes]) -> tuple[dict[bytes, bytes], list[bytes]]:
        writes: dict[bytes, bytes] = {}
        deletes: list[bytes] = []
        for node_hash in node_hashes:
            key = NODE_PREFIX + node_hash
            value = self.store.get(key)
            if value is None:
                continue
            count = int.from_bytes(value[:COUNT_SIZE], "little") - 1
            if count <= 0:
                deletes.append(key)
            else:
                writes[key] = count.to_bytes(COUNT_SIZE, "little") + value[COUNT_SIZE:]
        return writes, deletes


class StateReader(Protocol):
    """Anything that reads one key of a domain's best state (an operator, its client, a domain link)."""

    def read(self, key: bytes) -> bytes | None: ...


class RemoteState:
    """A domain's best state read key by key through a `StateReader`, as the state a pallet's getters take;
    read-only (the registries' and orders' reads need nothing else)."""

    def __init__(self, reader: StateReader) -> None:
        self.reader = reader

    def get(self, key: bytes) -> bytes | None:
        value = self.reader.read(key)
        return None if value is None else bytes(value)

    def set(self, key: bytes, value: bytes) -> None:
        raise TypeError("a remote state is read-only")

    def delete(self, key: bytes) -> None:
        raise TypeError("a remote state is read-only")
