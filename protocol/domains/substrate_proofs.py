"""Read proofs of Substrate's trie (sp-trie LayoutV1, BlakeTwo256): the nodes on the path to a key, as
`StorageProof`s carry them, and their verification against a root.

The fraud proofs read a domain block's extrinsic at index i from the receipt's extrinsics root this way (the
reference's `StorageProofVerifier::get_bare_value` under `domain_block_extrinsic_root` at key `Compact(i)`). A
proof holds the encoding of every node on the path that its parent references by hash (the root always), and
each value of 33 bytes or more, which LayoutV1 stores as a separate value node; a node shorter than a hash is
inline in its parent. Verification walks from the root through the proof's nodes and fails with
`InvalidStateProof` on a missing node, a malformed one, or a node it did not visit (sp-state-machine's
`UnusedNodesInTheProof`).

Node encodings are protocol.domains.substrate_trie's (trie_stream.rs); decoding follows node_codec.rs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from autonomys.protocol.codec import Reader, encode_compact
from autonomys.protocol.domains.substrate_trie import (
    BRANCH_WIDTH,
    HASH_SIZE,
    INLINE_CHILD_LIMIT,
    TRIE_VALUE_NODE_THRESHOLD,
    compute_blake2_256,
    compute_nibbles,
    compute_trie_root_node,
    encode_trie_node,
    shared_prefix_length,
)
from autonomys.protocol.errors import DecodeError, InvalidStateProof

_Entry = tuple[bytes, bytes]


# ---- proving ----------------------------------------------------------------------------------


def prove_trie_value(entries: Iterable[tuple[bytes, bytes]], key: bytes) -> frozenset[bytes]:
    """The proof of `key` (present or absent) in the trie of `entries`."""
    by_key = {bytes(k): bytes(v) for k, v in entries}
    prepared = [(compute_nibbles(k), by_key[k]) for k in sorted(by_key)]
    proof: set[bytes] = {compute_trie_root_node(by_key.items())}
    _collect(prepared, 0, compute_nibbles(key), proof)
    return frozenset(proof)


def prove_ordered_item(items: Sequence[bytes], index: int) -> frozenset[bytes]:
    """The proof of item `index` of an ordered trie (BlakeTwo256::ordered_trie_root: key Compact<u32>(i))."""
    return prove_trie_value(((encode_compact(i), item) for i, item in enumerate(items)), encode_compact(index))


def _collect(entries: Sequence[_Entry], depth: int, key: bytes, proof: set[bytes]) -> None:
    """Add the nodes below this one (over `entries`, agreeing on `depth` nibbles) that the path to `key` needs."""
    if len(entries) == 1:
        entry_key, value = entries[0]
        if entry_key == key and len(value) >= TRIE_VALUE_NODE_THRESHOLD:
            proof.add(value)
        return
    if len(entries) == 0:
        return
    shared = max(depth, shared_prefix_length(entries))
    if key[depth:shared] != entries[0][0][depth:shared]:
        return  # the key leaves the trie in this node's partial key
    first_key, first_value = entries[0]
    has_value = len(first_key) == shared
    if len(key) == shared:
        if has_value and len(first_value) >= TRIE_VALUE_NODE_THRESHOLD:
            proof.add(first_value)
        return
    rest = entries[1:] if has_value else entries
    group = [entry for entry in rest if entry[0][shared] == key[shared]]
    if not group:
        return
    child = encode_trie_node(group, shared + 1)
    if len(child) >= INLINE_CHILD_LIMIT:
        proof.add(child)
    _collect(group, shared + 1, key, proof)


# ---- decoding and verifying -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecodedNode:
    """A trie node: its partial key (nibbles), its value (inline bytes, or a value node's hash), children."""

    partial: bytes
    value: bytes | None
    value_hashed: bool
    children: tuple[bytes | None, ...]
    """Per nibble: the child's inline encoding (shorter than a hash) or its 32-byte hash reference."""
    child_is_hash: tuple[bool, ...]


def decode_trie_node(encoding: bytes) -> DecodedNode:
    """A LayoutV1 node encoding; DecodeError when malformed."""
    reader = Reader(encoding, "trie node")
    first = reader.read_u8()
    if first == 0:
        node = DecodedNode(b"", None, False, (None,) * BRANCH_WIDTH, (False,) * BRANCH_WIDTH)
    elif first >> 6 == 0b01:
        node = _read_leaf(reader, _read_count(reader, first & 0x3F, 0x3F), hashed=False)
    elif first >> 6 in (0b10, 0b11):
        node = _read_branch(reader, _read_count(reader, first & 0x3F, 0x3F), first >> 6 == 0b11, hashed=False)
    elif first >> 5 == 0b001:
        node = _read_leaf(reader, _read_count(reader, first & 0x1F, 0x1F), hashed=True)
    elif first >> 4 == 0b0001:
        node = _read_branch(reader, _read_count(reader, first & 0x0F, 0x0F), True, hashed=True)
    else:
        msg = f"trie node: unknown header {first:#04x}"
        raise DecodeError(msg)
    if reader.remaining():
        msg = f"trie node: {reader.remaining()} bytes after the node"
        raise DecodeError(msg)
    return node


def _read_count(reader: Reader, low: int, maximum: int) -> int:
    if low < maximum:
        return low
    count = maximum - 1
    while True:
        byte = reader.read_u8()
        if byte < 0xFF:
            return count + byte + 1
        count += 0xFF


def _read_partial(reader: Reader, count: int) -> bytes:
    packed = reader.read_bytes((count + 1) // 2)
    nibbles = compute_nibbles(packed)
    if count % 2:
        if nibbles[0] != 0:
            raise DecodeError("trie node: the padding nibble of an odd partial key is not zero")
        return nibbles[1:]
    return nibbles


def _read_value(reader: Reader, hashed: bool) -> bytes:
    return reader.read_bytes(HASH_SIZE) if hashed else reader.read_vec_u8()


def _read_leaf(reader: Reader, count: int, hashed: bool) -> DecodedNode:
    partial = _read_partial(reader, count)
    return DecodedNode(partial, _read_value(reader, hashed), hashed, (None,) * BRANCH_WIDTH, (False,) * BRANCH_WIDTH)


def _read_branch(reader: Reader, count: int, has_value: bool, hashed: bool) -> DecodedNode:
    partial = _read_partial(reader, count)
    bitmap = reader.read_u16()
    if bitmap == 0:
        raise DecodeError("trie node: a branch without children")
    value = _read_value(reader, hashed) if has_value else None
    children: list[bytes | None] = []
    is_hash: list[bool] = []
    for nibble in range(BRANCH_WIDTH):
        if bitmap >> nibble & 1:
            reference = reader.read_vec_u8()
            if len(reference) > HASH_SIZE:
                raise DecodeError("trie node: a child reference longer than a hash")
            children.append(reference)
            is_hash.append(len(reference) == HASH_SIZE)
        else:
            children.append(None)
            is_hash.append(False)
    return DecodedNode(partial, value, hashed, tuple(children), tuple(is_hash))


def verify_trie_value(root: bytes, key: bytes, proof: Iterable[bytes]) -> bytes | None:
    """The value of `key` under `root` read through `proof` (None when the proof shows it absent);
    InvalidStateProof when the proof does not prove it."""
    by_hash = {compute_blake2_256(node): node for node in proof}
    used: set[bytes] = set()
    try:
        value = _walk(by_hash, used, root, compute_nibbles(key))
    except DecodeError as error:
        msg = f"a proof node is malformed: {error}"
        raise InvalidStateProof(msg) from error
    if len(used) != len(by_hash):
        msg = f"the proof carries {len(by_hash) - len(used)} node(s) the read does not visit"
        raise InvalidStateProof(msg)
    return value


def verify_ordered_item(root: bytes, index: int, proof: Iterable[bytes]) -> bytes | None:
    """Item `index` of the ordered trie of `root` (an extrinsics root), read through `proof`."""
    return verify_trie_value(root, encode_compact(index), proof)


def _fetch(by_hash: dict[bytes, bytes], used: set[bytes], node_hash: bytes) -> bytes:
    encoding = by_hash.get(node_hash)
    if encoding is None:
        msg = f"the proof lacks node {node_hash.hex()}"
        raise InvalidStateProof(msg)
    used.add(node_hash)
    return encoding


def _walk(by_hash: dict[bytes, bytes], used: set[bytes], root: bytes, key: bytes) -> bytes | None:
    encoding = _fetch(by_hash, used, root)
    depth = 0
    for _ in range(len(key) + 1):
        node = decode_trie_node(encoding)
        end = depth + len(node.partial)
        if key[depth:end] != node.partial:
            return None
        if end == len(key):
            if node.value is None:
                return None
            return _fetch(by_hash, used, node.value) if node.value_hashed else node.value
        reference = node.children[key[end]]
        if reference is None:
            return None
        encoding = _fetch(by_hash, used, reference) if node.child_is_hash[key[end]] else reference
        depth = end + 1
    raise InvalidStateProof("the proof's path is longer than the key")
