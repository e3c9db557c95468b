"""An authenticated map: a hexary Merkle-Patricia trie over content-addressed nodes.

Every key is placed by its path, blake3(key): 64 nibbles. A leaf holds a path and a value; a branch holds up to
16 children by the next nibble. The shape is canonical (the same set of entries always gives the same nodes and
root): a leaf sits at the shallowest depth where no other path shares its prefix, and a branch has at least two
children or a single branch child (paths sharing a longer prefix). A leaf's encoding does not depend on its
depth, so moving it up when its neighbour leaves keeps its hash.

    leaf   = 0x00 | path [32] | value
    branch = 0x01 | bitmap u16 LE (bit n: child n present) | child hashes [32] in nibble order
    hash   = blake3(encoding); the empty trie's root is 32 zero bytes

Nodes are read from a mapping hash -> encoding the caller gives (a RocksDB column, an overlay, a proof); this
module never stores anything. `TrieWriter` buffers sets and deletes and applies them in one pass when asked for
the root, recomputing each touched node once; it reports the nodes it created and the ones it replaced, so the
caller can persist and reference-count them. A proof of a key is the encodings of the nodes on its path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import blake3

from autonomys.protocol.errors import DecodeError, InvalidStateProof, MissingStateNode

HASH_SIZE = 32
EMPTY_ROOT = bytes(HASH_SIZE)
LEAF_TAG = 0
BRANCH_TAG = 1
PATH_NIBBLES = 2 * HASH_SIZE

NodeSource = Mapping[bytes, bytes]
"""Node encodings by hash (content-addressed: forks share nodes)."""


def compute_path(key: bytes) -> bytes:
    """Where `key` lives in the trie: blake3(key)."""
    return blake3.blake3(key).digest()


def compute_node_hash(encoding: bytes) -> bytes:
    return blake3.blake3(encoding).digest()


def nibble_at(path: bytes, depth: int) -> int:
    """The depth-th nibble of a path (high nibble of each byte first)."""
    byte = path[depth >> 1]
    return byte & 0x0F if depth & 1 else byte >> 4


@dataclass(frozen=True, slots=True)
class Leaf:
    path: bytes
    value: bytes

    def encode(self) -> bytes:
        return b"\x00" + self.path + self.value


@dataclass(frozen=True, slots=True)
class Branch:
    """A branch, kept as its encoding: a child's hash is sliced out when asked for (decoding all sixteen would cost
    more time and memory than a block's walk over it needs)."""

    encoding: bytes
    bitmap: int
    """Bit n set: child n present."""

    @classmethod
    def of(cls, children: Sequence[bytes | None]) -> Branch:
        """The branch of 16 slots (a child's hash, or None)."""
        bitmap = 0
        hashes = []
        for index, child in enumerate(children):
            if child is not None:
                bitmap |= 1 << index
                hashes.append(child)
        return cls(b"\x01" + bitmap.to_bytes(2, "little") + b"".join(hashes), bitmap)

    def encode(self) -> bytes:
        return self.encoding

    def child(self, nibble: int) -> bytes | None:
        """The hash of child `nibble`, None when absent."""
        if not self.bitmap >> nibble & 1:
            return None
        offset = 3 + (self.bitmap & ((1 << nibble) - 1)).bit_count() * HASH_SIZE
        return self.encoding[offset : offset + HASH_SIZE]

    @property
    def children(self) -> list[bytes | None]:
        """All 16 slots (a new list)."""
        slots: list[bytes | None] = [None] * 16
        bitmap, offset, encoding = self.bitmap, 3, self.encoding
        while bitmap:
            lowest = bitmap & -bitmap
            slots[lowest.bit_length() - 1] = encoding[offset : offset + HASH_SIZE]
            offset += HASH_SIZE
            bitmap ^= lowest
        return slots


Node = Leaf | Branch


def decode_node(encoding: bytes) -> Node:
    """The node an encoding holds; DecodeError for anything that is not exactly one node."""
    encoding = bytes(encoding)
    if len(encoding) == 0:
        raise DecodeError("state node: empty encoding")
    tag = encoding[0]
    if tag == LEAF_TAG:
        if len(encoding) < 1 + HASH_SIZE:
            raise DecodeError(f"state leaf: {len(encoding)} bytes, shorter than its path")
        return Leaf(encoding[1 : 1 + HASH_SIZE], encoding[1 + HASH_SIZE :])
    if tag == BRANCH_TAG:
        return _decode_branch(encoding)
    raise DecodeError(f"state node: unknown tag {tag}")


def _branch_bitmap(encoding: bytes) -> int:
    """A branch encoding's bitmap, checked against its length (DecodeError)."""
    if len(encoding) < 3:
        raise DecodeError("state branch: no bitmap")
    bitmap = encoding[1] | encoding[2] << 8
    count = bitmap.bit_count()
    if count == 0 or len(encoding) != 3 + count * HASH_SIZE:
        raise DecodeError(f"state branch: bitmap {bitmap:#06x} and {len(encoding)} bytes disagree")
    return bitmap


def _decode_branch(encoding: bytes) -> Branch:
    return Branch(encoding, _branch_bitmap(encoding))


def _encoding(nodes: NodeSource, node_hash: bytes) -> bytes:
    encoding = nodes.get(node_hash)
    if encoding is None:
        msg = f"state node {node_hash.hex()} is not in the store"
        raise MissingStateNode(msg)
    return bytes(encoding)


class NodeReader:
    """Decoded nodes of a node source, by hash, each decoded once for the reader's life (a writer's: one block);
    MissingStateNode when the source lacks one."""

    def __init__(self, nodes: NodeSource) -> None:
        self.nodes = nodes
        self._decoded: dict[bytes, Node] = {}

    def node(self, node_hash: bytes) -> Node:
        found = self._decoded.get(node_hash)
        if found is None:
            found = decode_node(_encoding(self.nodes, node_hash))
            self._decoded[node_hash] = found
        return found

    def remember(self, node_hash: bytes, node: Node) -> None:
        self._decoded[node_hash] = node


def lookup(nodes: NodeSource, root: bytes, key: bytes) -> bytes | None:
    """The value of `key` in the trie of `root`, None when absent (reads each node on the path in place)."""
    path = compute_path(key)
    node_hash: bytes | None = None if root == EMPTY_ROOT else root
    depth = 0
    while node_hash is not None:
        encoding = _encoding(nodes, node_hash)
        tag = encoding[0] if len(encoding) > 0 else None
        if tag == LEAF_TAG:
            leaf = decode_node(encoding)
            assert isinstance(leaf, Leaf)
            return leaf.value if leaf.path == path else None
        if tag != BRANCH_TAG or depth >= PATH_NIBBLES:
            raise DecodeError(f"state node {node_hash.hex()}: not a node on a path")
        node_hash = _decode_branch(encoding).child(nibble_at(path, depth))
        depth += 1
    return None


def _lookup(reader: NodeReader, root: bytes, path: bytes) -> bytes | None:
    node_hash: bytes | None = None if root == EMPTY_ROOT else root
    depth = 0
    while node_hash is not None:
        node = reader.node(node_hash)
        if isinstance(node, Leaf):
            return node.value if node.path == path else None
        if depth >= PATH_NIBBLES:
            raise DecodeError(f"state node {node_hash.hex()}: a branch deeper than a path")
        node_hash = node.child(nibble_at(path, depth))
        depth += 1
    return None


def leaves(nodes: NodeSource, root: bytes) -> Iterator[Leaf]:
    """Every leaf of the trie of `root`, in path order (a full walk: for checks and statistics, not hot paths)."""
    reader = NodeReader(nodes)
    stack: list[bytes] = [] if root == EMPTY_ROOT else [root]
    while stack:
        node = reader.node(stack.pop())
        if isinstance(node, Leaf):
            yield node
        else:
            stack.extend(child for child in reversed(node.children) if child is not None)


# ---- writing ----


@dataclass(frozen=True, slots=True)
class TrieChanges:
    """What committing a writer did to the node set: nodes created (hash -> encoding) and hashes that the new root
    no longer references (each was referenced by the old root). Neither lists a node in both."""

    root: bytes
    created: dict[bytes, bytes]
    replaced: frozenset[bytes]


class TrieWriter:
    """Pending sets and deletes over the trie of `root`; reads see them. `commit()` applies them."""

    def __init__(self, nodes: NodeSource, root: bytes) -> None:
        self.reader = NodeReader(nodes)
        self.base_root = root
        self.pending: dict[bytes, tuple[bytes, bytes | None]] = {}
        """path -> (key, value or None for a delete)."""

    def get(self, key: bytes) -> bytes | None:
        path = compute_path(key)
        change = self.pending.get(path)
        if change is not None:
            return change[1]
        return _lookup(self.reader, self.base_root, path)

    def set(self, key: bytes, value: bytes) -> None:
        self.pending[compute_path(key)] = (bytes(key), bytes(value))

    def delete(self, key: bytes) -> None:
        self.pending[compute_path(key)] = (bytes(key), None)

    def commit(self) -> TrieChanges:
        """Apply the pending changes; the new root and the node changes. The writer starts over from that root."""
        changes = sorted((path, value) for path, (_, value) in self.pending.items())
        update = _Update(self.reader)
        base = None if self.base_root == EMPTY_ROOT else self.base_root
        root = update.apply(base, 0, changes)
        new_root = EMPTY_ROOT if root is None else root
        both = update.created.keys() & update.replaced
        created = {node_hash: encoding for node_hash, encoding in update.created.items() if node_hash not in both}
        self.base_root, self.pending = new_root, {}
        return TrieChanges(new_root, created, frozenset(update.replaced - both))


class _Update:
    """One pass applying sorted changes: touched nodes are rebuilt once, bottom up."""

    def __init__(self, reader: NodeReader) -> None:
        self.reader = reader
        self.created: dict[bytes, bytes] = {}
        self.replaced: set[bytes] = set()

    def apply(self, node_hash: bytes | None, depth: int, changes: list[tuple[bytes, bytes | None]]) -> bytes | None:
        """The subtree at `depth` (hash or None when empty) with `changes` applied; its new hash or None."""
        if len(changes) == 0:
            return node_hash
        if node_hash is None:
            return self.build(depth, [(path, value) for path, value in changes if value is not None])
        node = self.reader.node(node_hash)
        self.replaced.add(node_hash)
        if isinstance(node, Leaf):
            merged = dict(changes)
            if node.path not in merged:
                merged[node.path] = node.value
            return self.build(depth, sorted((path, value) for path, value in merged.items() if value is not None))
        children = node.children
        for nibble, group in _group_by_nibble(changes, depth):
            children[nibble] = self.apply(children[nibble], depth + 1, group)
        return self.branch(children)

    def build(self, depth: int, entries: list[tuple[bytes, bytes | None]]) -> bytes | None:
        """The canonical subtree at `depth` of these (sorted, unique, non-deleted) entries."""
        if len(entries) == 0:
            return None
        if len(entries) == 1:
            path, value = entries[0]
            assert value is not None  # entries hold no deletes
            return self.store(Leaf(path, value))
        children: list[bytes | None] = [None] * 16
        for nibble, group in _group_by_nibble(entries, depth):
            children[nibble] = self.build(depth + 1, group)
        return self.branch(children)

    def branch(self, children: list[bytes | None]) -> bytes | None:
        """A branch of these children, None when it has none, its only child when that child is a leaf (which
        moves up)."""
        present = [child for child in children if child is not None]
        if len(present) == 0:
            return None
        if len(present) == 1 and isinstance(self.reader.node(present[0]), Leaf):
            return present[0]
        return self.store(Branch.of(children))

    def store(self, node: Node) -> bytes:
        encoding = node.encode()
        node_hash = compute_node_hash(encoding)
        self.created[node_hash] = encoding
        self.reader.remember(node_hash, node)
        return node_hash


def _group_by_nibble(
    entries: list[tuple[bytes, bytes | None]], depth: int
) -> Iterator[tuple[int, list[tuple[bytes, bytes | None]]]]:
    """Runs of sorted entries sharing the nibble at `depth`."""
    start = 0
    while start < len(entries):
        nibble = nibble_at(entries[start][0], depth)
        end = start + 1
        while end < len(entries) and nibble_at(entries[end][0], depth) == nibble:
            end += 1
        yield nibble, entries[start:end]
        start = end


def build_trie(entries: Iterable[tuple[bytes, bytes]]) -> TrieChanges:
    """The trie of these key -> value entries from nothing (a genesis): its root and every node."""
    writer = TrieWriter({}, EMPTY_ROOT)
    for key, value in entries:
        writer.set(key, value)
    return writer.commit()


# ---- proofs ----


def prove(nodes: NodeSource, root: bytes, key: bytes) -> list[bytes]:
    """The encodings of the nodes on `key`'s path from `root`: enough to show its value, or its absence."""
    path = compute_path(key)
    proof: list[bytes] = []
    node_hash: bytes | None = None if root == EMPTY_ROOT else root
    depth = 0
    while node_hash is not None:
        encoding = _encoding(nodes, node_hash)
        proof.append(encoding)
        node = decode_node(encoding)
        if isinstance(node, Leaf):
            break
        if depth >= PATH_NIBBLES:
            raise DecodeError(f"state node {node_hash.hex()}: a branch deeper than a path")
        node_hash = node.child(nibble_at(path, depth))
        depth += 1
    return proof


def verify_proof(root: bytes, key: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The value of `key` in the trie of `root` as `proof` shows it (None: shown absent); InvalidStateProof when the
    proof does not match the root, is cut short, or carries more than the key's path."""
    if len(root) != HASH_SIZE:
        raise InvalidStateProof(f"a state root is {HASH_SIZE} bytes, got {len(root)}")
    path = compute_path(key)
    expected: bytes | None = None if root == EMPTY_ROOT else bytes(root)
    for depth, encoding in enumerate(proof):
        if expected is None:
            raise InvalidStateProof(f"proof node {depth} follows the end of the key's path")
        if compute_node_hash(bytes(encoding)) != expected:
            raise InvalidStateProof(f"proof node {depth} does not hash to the hash its parent names")
        try:
            node = decode_node(bytes(encoding))
        except DecodeError as error:
            raise InvalidStateProof(f"proof node {depth}: {error}") from error
        if isinstance(node, Leaf):
            if depth + 1 != len(proof):
                raise InvalidStateProof("the proof goes on after the key's leaf")
            return node.value if node.path == path else None
        if depth >= PATH_NIBBLES:
            raise InvalidStateProof("the proof's branches go deeper than a path")
        expected = node.child(nibble_at(path, depth))
    if expected is not None:
        raise InvalidStateProof("the proof ends before the key's path does")
    return None
