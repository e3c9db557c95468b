"""The node's block tree: every block it may still build on or reorg to, with its state, fork weight, parent and
number, and the best block; older canonical blocks are read from the store.

The root is the last archived block (genesis before any). Archived blocks are final: the node rejects a block
that does not build on the root (ArchivedBlockConflict), so nothing below the root, and no fork that branched
off below it, can gain a child. `prune(root)` therefore drops, in memory and in the store, the states of the
canonical blocks below the new root (their bytes stay stored and indexed by number: peers, light clients and
the CLI are served them) and everything of the forks that do not descend from it; what stays is the root, the
canonical chain above it and the forks above it, all of which import, fork choice and authoring may need. This
is what a Substrate node does on finalization (sc-client-db drops the forks a finalized block displaces, keeps
finalized bodies with `--blocks-pruning archive-canonical`, and state pruning drops old states); in the
reference, archiving is what finalizes (sc-consensus-subspace's archiver finalizes the blocks it archives).

The tree owns its part of the store (actors.consensus.node_store): a block is stored before it enters the tree,
the best pointer after, so a restart (`restore`) rebuilds exactly the same tree and best block.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from autonomys.actors.consensus.node_store import NodeStore, StoredBlock
from autonomys.protocol.codec import Reader
from autonomys.protocol.consensus.chain_blocks import Header, read_header
from autonomys.protocol.consensus.chain_state import ChainState
from autonomys.protocol.consensus.fork_choice import BlockWeight
from autonomys.protocol.errors import DecodeError


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One block of the tree."""

    parent_hash: bytes
    """Its parent's hash (empty for genesis)."""
    number: int
    weight: BlockWeight
    state: ChainState
    """The state after the block."""


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one prune dropped: canonical blocks that left the tree (still stored) and fork blocks deleted."""

    canonical: int
    forks: int


class BlockTree:
    """The block tree of one node (see the module docstring)."""

    def __init__(
        self, store: NodeStore, genesis_hash: bytes, genesis: ChainState, proof_size: int, state_window: int | None
    ) -> None:
        """`state_window`: how many canonical states below the best block keep their trie (None: all, archive)."""
        self.store = store
        self.genesis_hash = bytes(genesis_hash)
        self._proof_size = proof_size
        self.state_window = state_window
        store.check_format()
        if genesis.changes is not None:
            store.state.store_genesis(genesis.changes)
        genesis = genesis.with_nodes(store.state.nodes)
        self._entries: dict[bytes, TreeEntry] = {self.genesis_hash: TreeEntry(b"", 0, 0, genesis)}
        self._root = self.genesis_hash
        self._best = self.genesis_hash

    def __contains__(self, block_hash: object) -> bool:
        return block_hash in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, block_hash: bytes) -> TreeEntry | None:
        return self._entries.get(bytes(block_hash))

    def state(self, block_hash: bytes) -> ChainState | None:
        entry = self._entries.get(bytes(block_hash))
        return None if entry is None else entry.state

    def is_known(self, block_hash: bytes) -> bool:
        """In the tree, or an archived canonical block below it (stored; importing it again changes nothing)."""
        block_hash = bytes(block_hash)
        return block_hash in self._entries or block_hash == self.genesis_hash or self.store.block(block_hash) is not None

    def add(self, stored: StoredBlock, parent_hash: bytes, state: ChainState) -> None:
        """Store a block whose parent is in the tree (with the trie nodes its state created), then take it in."""
        self.store.put_block(stored, state.changes)
        state = state.with_nodes(self.store.state.nodes)
        self._entries[stored.block_hash] = TreeEntry(bytes(parent_hash), state.number, stored.weight, state)

    # -- the best block ------------------------------------------------------------------------

    @property
    def best_hash(self) -> bytes:
        return self._best

    @property
    def best_state(self) -> ChainState:
        return self._entries[self._best].state

    def set_best(self, block_hash: bytes) -> None:
        self.store.put_best(block_hash)
        self._best = bytes(block_hash)

    @property
    def root_hash(self) -> bytes:
        """The lowest block kept: the last archived block once pruned, genesis before."""
        return self._root

    # -- the canonical chain -------------------------------------------------------------------

    def canonical_hashes(self, after: int = 0, count: int | None = None) -> list[bytes]:
        """Hashes of the best chain's blocks numbered after + 1 … after + count (all above `after` without a
        count), oldest first, genesis excluded: the index's part below the root, then the tree's."""
        root_number = self._entries[self._root].number
        last = self.best_state.number if count is None else min(self.best_state.number, after + count)
        below_root = range(after + 1, min(last, root_number - 1) + 1)
        return [self._indexed(number) for number in below_root] + self._tree_path(after, last)

    def _tree_path(self, after: int, last: int) -> list[bytes]:
        """The best chain's blocks in the tree numbered after + 1 … last, oldest first (genesis excluded)."""
        path = []
        cursor = self._best
        while cursor in self._entries and cursor != self.genesis_hash and self._entries[cursor].number > after:
            if self._entries[cursor].number <= last:
                path.append(cursor)
            cursor = self._entries[cursor].parent_hash
        path.reverse()
        return path

    def iter_canonical(self) -> Iterator[bytes]:
        """The best chain's hashes, newest first, genesis excluded (lazily: a scan that stops early reads little)."""
        cursor = self._best
        while cursor in self._entries and cursor != self.genesis_hash:
            yield cursor
            cursor = self._entries[cursor].parent_hash
        for number in range(self._entries[self._root].number - 1, 0, -1):
            yield self._indexed(number)

    def canonical_hash(self, number: int) -> bytes | None:
        """The best chain's block `number` (genesis's hash at 0; None above the best block)."""
        if number == 0:
            return self.genesis_hash
        found = self.canonical_hashes(after=number - 1, count=1)
        return found[0] if len(found) > 0 else None

    def _indexed(self, number: int) -> bytes:
        block_hash = self.store.canonical_hash(number)
        if block_hash is None:
            msg = f"node store lost the index entry of canonical block {number}"
            raise DecodeError(msg)
        return block_hash

    # -- what peers are served -----------------------------------------------------------------

    def _header(self, block_hash: bytes) -> Header | None:
        """The header of a stored block (None if not stored)."""
        data = self.store.block(bytes(block_hash))
        return None if data is None else read_header(Reader(data, "stored block"), self._proof_size)

    def header_bytes(self, block_hash: bytes) -> bytes:
        """The SCALE header of a stored block; KeyError if not stored."""
        header = self._header(block_hash)
        if header is None:
            raise KeyError(bytes(block_hash).hex())
        return header.to_bytes()

    def block_ancestry(self, block_hash: bytes, count: int) -> list[bytes]:
        """The stored block `block_hash` and up to count − 1 of its ancestors, newest first, genesis excluded
        (a peer resolving an orphan asks for this); empty when the block is unknown."""
        ancestry: list[bytes] = []
        cursor = bytes(block_hash)
        while cursor != self.genesis_hash and len(ancestry) < count:
            data = self.store.block(cursor)
            if data is None:
                break
            ancestry.append(data)
            entry = self._entries.get(cursor)
            if entry is not None:
                cursor = entry.parent_hash
            else:
                cursor = bytes(read_header(Reader(data, "stored block"), self._proof_size).parent_hash)
        return ancestry

    # -- pruning and restart -------------------------------------------------------------------

    def prune(self, root_hash: bytes) -> Pruned:
        """Make `root_hash` (an archived block of the best chain) the root: drop the canonical blocks below it
        from memory (indexed by number in the store, their states deleted) and the forks not descending from it
        (deleted). A root not in the tree, or the current one, prunes nothing."""
        root_hash = bytes(root_hash)
        if root_hash not in self._entries or root_hash == self._root:
            return Pruned(0, 0)
        kept = self._descendants(root_hash)
        below = self._canonical_below(root_hash, kept)
        forks = [block_hash for block_hash in self._entries if block_hash not in kept and block_hash not in below]
        forks = [block_hash for block_hash in forks if block_hash != self.genesis_hash]
        self.store.put_canonical({self._entries[block_hash].number: block_hash for block_hash in below})
        for block_hash in below:
            self.store.forget_state(block_hash)
        for block_hash in forks:
            self.store.state.discard(block_hash)
            self.store.delete_block(block_hash)
        for block_hash in (*below, *forks):
            del self._entries[block_hash]
        genesis = self._entries.pop(self.genesis_hash, None)  # in memory only (it has no block to store)
        self._root = root_hash
        self.prune_states()
        return Pruned(len(below) + (genesis is not None), len(forks))

    def prune_states(self) -> None:
        """Resolve the journals of the final canonical blocks deeper than the state window, oldest first: their
        replaced trie nodes lose a reference (archive mode: the journals are dropped and every state kept)."""
        last = min(self._entries[self._root].number, self.best_state.number - (self.state_window or 0))
        state = self.store.state
        floor = state.floor()
        for number in range(floor + 1, last + 1):
            block_hash = self.canonical_hash(number)
            if block_hash is None:
                break
            if self.state_window is None:
                state.drop_journal(block_hash)
            else:
                state.canonicalize(block_hash)
            state.set_floor(number)

    def _canonical_below(self, root_hash: bytes, kept: set[bytes]) -> list[bytes]:
        """The tree's ancestors of root_hash after genesis, and blocks the index already names (what a crashed
        prune left): they leave memory, and the store keeps their bytes."""
        below = []
        cursor = self._entries[root_hash].parent_hash
        while cursor in self._entries and cursor != self.genesis_hash:
            below.append(cursor)
            cursor = self._entries[cursor].parent_hash
        ancestors = set(below)
        for block_hash, entry in self._entries.items():
            if block_hash not in kept and block_hash not in ancestors and block_hash != self.genesis_hash:
                if self.store.canonical_hash(entry.number) == block_hash:
                    below.append(block_hash)
        return below

    def _descendants(self, root_hash: bytes) -> set[bytes]:
        """root_hash and every tree block descending from it (parents come before children by number)."""
        kept = {root_hash}
        floor = self._entries[root_hash].number
        for block_hash, entry in sorted(self._entries.items(), key=lambda item: item[1].number):
            if entry.number > floor and entry.parent_hash in kept:
                kept.add(block_hash)
        return kept

    def restore(self) -> list[Header]:
        """Take in every block the store holds a state for, and the best pointer; returns their headers (for
        the equivocation record). The caller prunes to the last archived block afterwards (a crash may have
        left states a prune had not deleted yet)."""
        nodes = self.store.state.nodes
        loaded = sorted(
            ((item, ChainState.from_bytes(item.state, nodes)) for item in self.store.tree_blocks()),
            key=lambda pair: pair[1].number,
        )
        headers = []
        for item, state in loaded:
            header = read_header(Reader(item.block, "stored block"), self._proof_size)
            self._entries[item.block_hash] = TreeEntry(bytes(header.parent_hash), state.number, item.weight, state)
            headers.append(header)
        self._root = self._lowest_root()
        best = self.store.best()
        if best is not None and best in self._entries:
            self._best = best
        return headers

    def _lowest_root(self) -> bytes:
        """Genesis while it has a child in the tree (or nothing else is); else the tree was pruned, and its lowest
        block is the root (genesis's state leaves memory again)."""
        genesis = self.genesis_hash
        if len(self._entries) == 1 or any(entry.parent_hash == genesis for entry in self._entries.values()):
            return genesis
        del self._entries[genesis]
        return min(self._entries, key=lambda block_hash: self._entries[block_hash].number)
