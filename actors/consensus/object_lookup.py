"""Stored data by its blake3 hash: scanned from the canonical blocks not wholly inside archived segments, else
found through the archiver's object mappings.

Mappings are used only for segments the chain records (the best state's last segment and before), so a client
can verify the pieces it reads. That segment's header is one this node's archiver produced (`learn_headers`) or,
after a restart, one a canonical block carries (scanned once, newest first).
"""

from __future__ import annotations

from collections.abc import Iterable

from autonomys.actors.consensus.block_tree import BlockTree
from autonomys.actors.consensus.node_objects import compute_mapped_through, read_block_object
from autonomys.actors.consensus.node_types import ConfirmedBlockSink, NodeLimits
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.consensus.chain_blocks import Block
from autonomys.protocol.objects.mappings import BlockObject, GlobalObject, compute_block_objects, validate_object_hash
from autonomys.protocol.params import Params


class ObjectLookup:
    """Finds stored data by hash (see the module docstring)."""

    def __init__(
        self, params: Params, tree: BlockTree, archiver: ConfirmedBlockSink | None, limits: NodeLimits, proof_size: int
    ) -> None:
        self.params = params
        self.tree = tree
        self.archiver = archiver
        self.limits = limits
        self._proof_size = proof_size
        self._segment_headers: dict[int, SegmentHeader] = {}
        """Headers of recent segments, by segment index (objects map through the chain's last one)."""
        self._unrecorded_segment = -1
        self._block_objects: dict[bytes, list[BlockObject]] = {}

    def learn_headers(self, headers: Iterable[SegmentHeader]) -> None:
        self._segment_headers.update({int(header.segment_index): header for header in headers})

    def forget_headers_below(self, segment_index: int) -> None:
        """Drop headers of segments below the last one the last archived block's state records: every best
        state from now on descends from it and records at least that much."""
        for index in [index for index in self._segment_headers if index < segment_index]:
            del self._segment_headers[index]

    def object_location(self, object_hash: bytes) -> GlobalObject | bytes | None:
        """Stored data with this blake3 hash: the data itself while its block is not wholly archived, else the
        archiver's mapping; None when neither knows it (still pooled, or never stored)."""
        data = self.find_unarchived_object(object_hash)
        if data is not None or self.archiver is None:
            return data
        return self.archiver.object_mapping(object_hash)

    def find_unarchived_object(self, object_hash: bytes) -> bytes | None:
        """The data with this hash in a canonical block not wholly inside archived segments, None if none has it."""
        object_hash = validate_object_hash(object_hash)
        if len(self._block_objects) > self.limits.max_cached_block_objects:
            self._block_objects = {}
        for block_hash in self.tree.canonical_hashes(after=self._last_mapped_block()):
            data = self.tree.store.block(block_hash)
            if data is None:
                continue
            if block_hash not in self._block_objects:
                self._block_objects[block_hash] = compute_block_objects(data, self.params)
            found = read_block_object(data, self._block_objects[block_hash], object_hash)
            if found is not None:
                return found
        return None

    def _last_mapped_block(self) -> int:
        """The last block whose objects are all mapped in segments the chain records (so clients can verify
        their pieces): through the best state's last segment."""
        last = self.tree.best_state.history_size - 1
        if last < 0:
            return 0
        if last not in self._segment_headers and last != self._unrecorded_segment:
            self._unrecorded_segment = last  # scanned once: genesis segments are in no block
            for block_hash in self.tree.iter_canonical():
                data = self.tree.store.block(block_hash)
                headers = () if data is None else Block.from_bytes(data, self._proof_size).segment_headers
                self.learn_headers(headers)
                if last in self._segment_headers:
                    break
        header = self._segment_headers.get(last)
        return 0 if header is None else max(0, compute_mapped_through(header))
