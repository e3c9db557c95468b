"""The node's durable chain: blocks, the state after each, fork weights, PoT outputs and the best block.

One RocksDB (via actors.storage) per node. A block, its state and its weight are written in one batch, and
the best-block pointer after them, so a restart finds every block it points at. The archived-up-to number
is written after the archiver has taken a block, in one batch with that block's hash and the segment headers
archiving it produced (the archiver answers a replay with the same headers).

Pruning (actors.consensus.block_tree): a state and a weight are kept only for the blocks of the block tree
(the last archived block and the blocks above it), so the states are the tree's members. A canonical block
that leaves the tree keeps its bytes (peers and clients are served them) and gets an entry in the canonical
index, number → hash; that index is written before the states are deleted, and a state is deleted before its
weight and block, so a crash in between leaves only what the next restore prunes again (or an unreachable
block). A pruned fork's block is deleted; PoT outputs below the pruning floor too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from autonomys.actors.state_store import StateStore
from autonomys.actors.storage import KVStore, StorageError
from autonomys.protocol.archiving.segments import SegmentHeader, read_segment_header
from autonomys.protocol.codec import encode_u64
from autonomys.protocol.consensus.chain_blocks import decode_exactly, encode_vector, read_vector
from autonomys.protocol.errors import DecodeError
from autonomys.protocol.state.trie import TrieChanges

BLOCK_PREFIX = b"node/block/"
STATE_PREFIX = b"node/state/"
WEIGHT_PREFIX = b"node/weight/"
POT_PREFIX = b"node/pot/"
BEST_KEY = b"node/best"
ARCHIVED_KEY = b"node/archived"
ARCHIVED_HASH_KEY = b"node/archived_hash"
ARCHIVED_HEADERS_PREFIX = b"node/archived_headers/"
CANONICAL_PREFIX = b"node/canonical/"
FORMAT_KEY = b"node/format"
"""The store's layout version, u32 LE; absent in stores of the releases before it (format 1)."""
STORE_FORMAT = 3
"""Format 2: states as a trie root and scalars, their accounts and segments in trie nodes under state/.
Format 3: blocks carry domain bundles, and the genesis state registers the domain runtimes."""
WEIGHT_SIZE = 32


class StoreFormatMismatch(StorageError):
    """A store written in another layout (by an older release): this release cannot read its chain."""

    def __init__(self, found: int) -> None:
        super().__init__(f"store format {found}, this release reads format {STORE_FORMAT}")
        self.found = found

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return (type(self), (self.found,))


@dataclass(frozen=True, slots=True)
class StoredBlock:
    block_hash: bytes
    block: bytes
    state: bytes
    weight: int


class NodeStore:
    """Typed access to the node's chain keys in a KVStore (its archive records: ArchiveRecords; its states' trie
    nodes: `state`, a StateStore in the same KVStore)."""

    def __init__(self, store: KVStore) -> None:
        self.store = store
        self.state = StateStore(store)

    def check_format(self) -> None:
        """Mark a new store with this release's format; StoreFormatMismatch (nothing written) for a store that
        holds a chain in another one."""
        value = self.store.get(FORMAT_KEY)
        if value is None:
            if next(self.store.items_with_prefix(b"node/"), None) is not None:
                raise StoreFormatMismatch(1)
            self.store.put(FORMAT_KEY, STORE_FORMAT.to_bytes(4, "little"))
        elif int.from_bytes(value, "little") != STORE_FORMAT:
            raise StoreFormatMismatch(int.from_bytes(value, "little"))

    def put_block(self, stored: StoredBlock, changes: TrieChanges | None = None) -> None:
        """Store a block, its state record, its weight and the trie nodes its transition created, in one batch."""
        writes = {} if changes is None else self.state.stage(stored.block_hash, changes)
        writes |= {
            BLOCK_PREFIX + stored.block_hash: stored.block,
            STATE_PREFIX + stored.block_hash: stored.state,
            WEIGHT_PREFIX + stored.block_hash: stored.weight.to_bytes(WEIGHT_SIZE, "little"),
        }
        self.store.write_batch(writes)

    def tree_blocks(self) -> Iterator[StoredBlock]:
        """Every block that still has its state (the block tree, plus what a crash left unpruned), any order;
        DecodeError when one lacks its block or weight (written in one batch and deleted after the state, so
        only damage separates them)."""
        for key, state in self.store.items_with_prefix(STATE_PREFIX):
            block_hash = key[len(STATE_PREFIX) :]
            block = self.store.get(BLOCK_PREFIX + block_hash)
            weight = self.store.get(WEIGHT_PREFIX + block_hash)
            if block is None or weight is None or len(weight) != WEIGHT_SIZE:
                msg = f"stored state of block {block_hash.hex()} has no block or weight"
                raise DecodeError(msg)
            yield StoredBlock(block_hash, block, state, int.from_bytes(weight, "little"))

    def block(self, block_hash: bytes) -> bytes | None:
        return self.store.get(BLOCK_PREFIX + block_hash)

    def forget_state(self, block_hash: bytes) -> None:
        """Keep the block, drop its state and weight (it left the block tree on the canonical chain)."""
        self.store.delete(STATE_PREFIX + block_hash)
        self.store.delete(WEIGHT_PREFIX + block_hash)

    def delete_block(self, block_hash: bytes) -> None:
        """Drop a pruned fork's block (the state first: see the module docstring)."""
        self.forget_state(block_hash)
        self.store.delete(BLOCK_PREFIX + block_hash)

    def put_canonical(self, hashes: Mapping[int, bytes]) -> None:
        """Record these canonical blocks by number (one batch)."""
        if len(hashes) > 0:
            self.store.write_batch({_canonical_key(number): bytes(block_hash) for number, block_hash in hashes.items()})

    def canonical_hash(self, number: int) -> bytes | None:
        """The canonical block `number` once it left the block tree; None above the tree's root (or at genesis)."""
        return self.store.get(_canonical_key(number))

    def put_best(self, block_hash: bytes) -> None:
        self.store.put(BEST_KEY, block_hash)

    def best(self) -> bytes | None:
        return self.store.get(BEST_KEY)

    def put_proof_of_time(self, slot: int, output: bytes) -> None:
        self.store.put(POT_PREFIX + slot.to_bytes(8, "big"), output)

    def proofs_of_time(self) -> Iterator[tuple[int, bytes]]:
        for key, output in self.store.items_with_prefix(POT_PREFIX):
            yield int.from_bytes(key[len(POT_PREFIX) :], "big"), output

    def delete_proof_of_time(self, slot: int) -> None:
        self.store.delete(POT_PREFIX + slot.to_bytes(8, "big"))

    def close(self) -> None:
        self.store.close()


class ArchiveRecords:
    """Typed access to what the node records of its archive, in the same KVStore as its NodeStore."""

    def __init__(self, store: KVStore) -> None:
        self.store = store

    def put_archived(self, number: int, block_hash: bytes, headers: Sequence[SegmentHeader]) -> None:
        """Block `number` (`block_hash`) is archived and produced these segment headers (one batch)."""
        self.store.write_batch(
            {
                _archived_headers_key(number): encode_vector(headers),
                ARCHIVED_HASH_KEY: bytes(block_hash),
                ARCHIVED_KEY: encode_u64(number),
            }
        )

    def archived(self) -> int | None:
        value = self.store.get(ARCHIVED_KEY)
        return None if value is None else int.from_bytes(value, "little")

    def archived_hash(self) -> bytes | None:
        """The hash of the last archived block (None before any, or in a store older than this key)."""
        return self.store.get(ARCHIVED_HASH_KEY)

    def put_archived_headers(self, number: int, headers: Sequence[SegmentHeader]) -> None:
        self.store.put(_archived_headers_key(number), encode_vector(headers))

    def archived_headers(self, number: int) -> tuple[SegmentHeader, ...] | None:
        """The segment headers archiving block `number` produced, None when this store never recorded them."""
        value = self.store.get(_archived_headers_key(number))
        if value is None:
            return None
        return decode_exactly(value, "archived segment headers", lambda reader: read_vector(reader, read_segment_header))  # type: ignore[return-value]


def _canonical_key(number: int) -> bytes:
    return CANONICAL_PREFIX + number.to_bytes(8, "big")


def _archived_headers_key(number: int) -> bytes:
    return ARCHIVED_HEADERS_PREFIX + number.to_bytes(8, "big")
