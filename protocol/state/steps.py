"""A trie writer whose root is taken after every step: an execution trace (the state root after each
extrinsic of a domain block, as the reference's `apply_extrinsic_with_post_state_root` reports it), with the
net node changes of all steps for the store.

A node created by one step and replaced by a later one never reaches the store: the net changes list only the
nodes the final root references that the base did not, and the base's nodes it no longer references.
"""

from __future__ import annotations

from autonomys.protocol.state.trie import NodeSource, TrieChanges, TrieWriter


class SteppedWriter:
    """Reads and writes over the trie of `root`; `step()` commits the pending writes and returns the new root."""

    def __init__(self, nodes: NodeSource, root: bytes) -> None:
        self.writer = TrieWriter(nodes, root)
        self.base_root = root
        self._created: dict[bytes, bytes] = {}
        self._replaced: set[bytes] = set()

    @property
    def root(self) -> bytes:
        """The root after the last step."""
        return self.writer.base_root

    def get(self, key: bytes) -> bytes | None:
        return self.writer.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self.writer.set(key, value)

    def delete(self, key: bytes) -> None:
        self.writer.delete(key)

    def step(self) -> bytes:
        """Commit the writes since the last step; the root after them."""
        if not self.writer.pending:
            return self.root
        changes = self.writer.commit()
        for node_hash in changes.replaced:
            # A node this session created and now drops was never stored: forget it instead of replacing it.
            if self._created.pop(node_hash, None) is None:
                self._replaced.add(node_hash)
        for node_hash, encoding in changes.created.items():
            if node_hash in self._replaced:
                self._replaced.discard(node_hash)  # a base node referenced again
            else:
                self._created[node_hash] = encoding
        return changes.root

    def changes(self) -> TrieChanges:
        """The net changes from the base root to the root after the last step (pending writes are not in them)."""
        return TrieChanges(self.root, dict(self._created), frozenset(self._replaced))
