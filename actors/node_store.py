"""The node's durable chain: blocks, the state after each, fork weights, PoT outputs and the best block.

One RocksDB (via actors.storage) per node. A block, its state and its weight are written in one batch, and
the best-block pointer after them, so a restart finds every block it points at. The archived-up-to number
is written after the archiver has taken a block (the archiver ignores replays).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from autonomys.actors.storage import KVStore
from autonomys.protocol.codec import encode_u64

BLOCK_PREFIX = b"node/block/"
STATE_PREFIX = b"node/state/"
WEIGHT_PREFIX = b"node/weight/"
POT_PREFIX = b"node/pot/"
BEST_KEY = b"node/best"
ARCHIVED_KEY = b"node/archived"


@dataclass(frozen=True, slots=True)
class StoredBlock:
    block_hash: bytes
    block: bytes
    state: bytes
    weight: int


class NodeStore:
    """Typed access to the node's keys in a KVStore."""

    def __init__(self, store: KVStore) -> None:
        self.store = store

    def put_block(self, stored: StoredBlock) -> None:
        self.store.write_batch(
            {
                BLOCK_PREFIX + stored.block_hash: stored.block,
                STATE_PREFIX + stored.block_hash: stored.state,
                WEIGHT_PREFIX + stored.block_hash: stored.weight.to_bytes(32, "little"),
            }
        )

    def blocks(self) -> Iterator[StoredBlock]:
        """Every stored block (any order)."""
        for key, block in self.store.items_with_prefix(BLOCK_PREFIX):
            block_hash = key[len(BLOCK_PREFIX) :]
            state = self.store.get(STATE_PREFIX + block_hash)
            weight = self.store.get(WEIGHT_PREFIX + block_hash)
            if state is not None and weight is not None:
                yield StoredBlock(block_hash, block, state, int.from_bytes(weight, "little"))

    def block(self, block_hash: bytes) -> bytes | None:
        return self.store.get(BLOCK_PREFIX + block_hash)

    def put_best(self, block_hash: bytes) -> None:
        self.store.put(BEST_KEY, block_hash)

    def best(self) -> bytes | None:
        return self.store.get(BEST_KEY)

    def put_proof_of_time(self, slot: int, output: bytes) -> None:
        self.store.put(POT_PREFIX + slot.to_bytes(8, "big"), output)

    def proofs_of_time(self) -> Iterator[tuple[int, bytes]]:
        for key, output in self.store.items_with_prefix(POT_PREFIX):
            yield int.from_bytes(key[len(POT_PREFIX) :], "big"), output

    def put_archived(self, number: int) -> None:
        self.store.put(ARCHIVED_KEY, encode_u64(number))

    def archived(self) -> int | None:
        value = self.store.get(ARCHIVED_KEY)
        return None if value is None else int.from_bytes(value, "little")

    def close(self) -> None:
        self.store.close()
