"""Substrate's closed-form trie root: the base-16 Patricia-Merkle trie of sp-trie (LayoutV1, BlakeTwo256).

This is what Substrate's `BlakeTwo256::ordered_trie_root` computes for a block's (or a bundle's) extrinsics
root: the keys are `Compact<u32>(index)`, the values the encoded extrinsics. The trie has no extension nodes;
a node is built by trie-root `trie_root_no_extension` and encoded by sp-trie `trie_stream.rs`:

    empty   = 0x00
    leaf    = header(kind, nibble count) | partial key | value
    branch  = header(kind, nibble count) | partial key | bitmap u16 LE | [value] | children

The header's top bits name the kind (sp-trie `trie_constants`): leaf 0b01, branch without value 0b10, branch
with value 0b11, leaf with hashed value 0b001, branch with hashed value 0b0001; the remaining low bits hold
the nibble count, with continuation bytes once it does not fit (node_header.rs `size_and_prefix_iterator`).
An inline value is SCALE `Vec<u8>`; in LayoutV1 a value of 33 bytes or more is stored as its 32-byte hash
instead. A child is SCALE `Vec<u8>` of its encoding when that is under 32 bytes, else of its hash. The root
is always the hash of the root node's encoding, so the empty trie's root is H(0x00).

Pure functions only; nothing is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Final

from autonomys.protocol.codec import encode_compact, encode_u16, encode_vec_u8

HASH_SIZE: Final = 32
EMPTY_TRIE_NODE: Final = b"\x00"
# sp-core `storage::TRIE_VALUE_NODE_THRESHOLD`: LayoutV1 stores a value this long or longer as its hash.
TRIE_VALUE_NODE_THRESHOLD: Final = 33
# trie_stream.rs `append_substream`: a child encoding shorter than a hash is embedded, else referenced by hash.
INLINE_CHILD_LIMIT: Final = HASH_SIZE
BRANCH_WIDTH: Final = 16

# sp-trie `trie_constants`: (prefix, number of prefix bits) of each node kind.
LEAF_HEADER: Final = (0b01 << 6, 2)
BRANCH_WITHOUT_VALUE_HEADER: Final = (0b10 << 6, 2)
BRANCH_WITH_VALUE_HEADER: Final = (0b11 << 6, 2)
HASHED_VALUE_LEAF_HEADER: Final = (0b001 << 5, 3)
HASHED_VALUE_BRANCH_HEADER: Final = (0b0001 << 4, 4)

_Entry = tuple[bytes, bytes]
"""(key as nibbles, one per byte; value)."""


def compute_blake2_256(data: bytes) -> bytes:
    """BlakeTwo256: the 32-byte BLAKE2b digest Substrate hashes tries, headers and receipts with."""
    return hashlib.blake2b(data, digest_size=HASH_SIZE).digest()


EMPTY_TRIE_ROOT: Final = compute_blake2_256(EMPTY_TRIE_NODE)


def encode_node_header(header: tuple[int, int], nibble_count: int) -> bytes:
    """A node header: kind prefix plus nibble count, then continuation bytes (node_header.rs)."""
    prefix, prefix_bits = header
    max_value = 0xFF >> prefix_bits
    if nibble_count < max_value:
        return bytes([prefix | nibble_count])
    encoded = bytearray([prefix | max_value])
    remaining = nibble_count - (max_value - 1)
    # Each full continuation byte (255) adds 255; the last one (< 255) adds its value + 1.
    while remaining >= 256:
        encoded.append(0xFF)
        remaining -= 255
    encoded.append(remaining - 1)
    return bytes(encoded)


def encode_partial_key(nibbles: bytes) -> bytes:
    """Nibbles packed two per byte; an odd count puts the first nibble alone in a byte's low half."""
    odd = len(nibbles) % 2
    packed = bytearray(nibbles[:odd])
    for index in range(odd, len(nibbles), 2):
        packed.append(nibbles[index] << 4 | nibbles[index + 1])
    return bytes(packed)


def compute_nibbles(key: bytes) -> bytes:
    """A key as nibbles (high half of each byte first), one nibble per byte."""
    return bytes(nibble for byte in key for nibble in (byte >> 4, byte & 0x0F))


def _is_hashed_value(value: bytes, max_inline_value: int | None) -> bool:
    return max_inline_value is not None and len(value) >= max_inline_value


def _encode_value(value: bytes, hashed: bool) -> bytes:
    return compute_blake2_256(value) if hashed else encode_vec_u8(value)


def _encode_leaf(nibbles: bytes, value: bytes, max_inline_value: int | None) -> bytes:
    hashed = _is_hashed_value(value, max_inline_value)
    header = HASHED_VALUE_LEAF_HEADER if hashed else LEAF_HEADER
    return encode_node_header(header, len(nibbles)) + encode_partial_key(nibbles) + _encode_value(value, hashed)


def _branch_header(value: bytes | None, max_inline_value: int | None) -> tuple[int, int]:
    if value is None:
        return BRANCH_WITHOUT_VALUE_HEADER
    if _is_hashed_value(value, max_inline_value):
        return HASHED_VALUE_BRANCH_HEADER
    return BRANCH_WITH_VALUE_HEADER


def encode_child_reference(node: bytes) -> bytes:
    """How a branch refers to a child: its encoding when shorter than a hash, else its hash (SCALE Vec<u8>)."""
    if len(node) < INLINE_CHILD_LIMIT:
        return encode_vec_u8(node)
    return encode_vec_u8(compute_blake2_256(node))


def shared_prefix_length(entries: Sequence[_Entry]) -> int:
    first = entries[0][0]
    shared = len(first)
    for key, _ in entries[1:]:
        limit = min(shared, len(key))
        length = 0
        while length < limit and key[length] == first[length]:
            length += 1
        shared = length
    return shared


def _encode_branch(entries: Sequence[_Entry], depth: int, max_inline_value: int | None) -> bytes:
    """A branch over entries (sorted, at least two) whose keys agree on their first `depth` nibbles."""
    shared = max(depth, shared_prefix_length(entries))
    first_key, first_value = entries[0]
    # The input is sorted, so a key that ends at the branch is the first one (trie-root `build_trie`).
    value = first_value if len(first_key) == shared else None
    rest = entries[1:] if value is not None else entries
    groups: list[list[_Entry]] = [[] for _ in range(BRANCH_WIDTH)]
    for entry in rest:
        groups[entry[0][shared]].append(entry)
    bitmap = sum(1 << nibble for nibble, group in enumerate(groups) if len(group) > 0)
    encoded = bytearray(encode_node_header(_branch_header(value, max_inline_value), shared - depth))
    encoded += encode_partial_key(first_key[depth:shared]) + encode_u16(bitmap)
    if value is not None:
        encoded += _encode_value(value, _is_hashed_value(value, max_inline_value))
    for group in groups:
        if len(group) > 0:
            encoded += encode_child_reference(_encode_node(group, shared + 1, max_inline_value))
    return bytes(encoded)


def _encode_node(entries: Sequence[_Entry], depth: int, max_inline_value: int | None) -> bytes:
    if len(entries) == 0:
        return EMPTY_TRIE_NODE
    if len(entries) == 1:
        key, value = entries[0]
        return _encode_leaf(key[depth:], value, max_inline_value)
    return _encode_branch(entries, depth, max_inline_value)


def encode_trie_node(entries: Sequence[tuple[bytes, bytes]], depth: int) -> bytes:
    """The LayoutV1 encoding of the node over (nibble key, value) `entries` (sorted) that agree on their first
    `depth` nibbles (what a read proof carries)."""
    return _encode_node(entries, depth, TRIE_VALUE_NODE_THRESHOLD)


def _prepare_entries(entries: Iterable[tuple[bytes, bytes]]) -> list[_Entry]:
    # trie-root collects the input into a BTreeMap: keys sorted bytewise, a repeated key keeps its last value.
    by_key = {bytes(key): bytes(value) for key, value in entries}
    return [(compute_nibbles(key), by_key[key]) for key in sorted(by_key)]


def compute_trie_root_node(
    entries: Iterable[tuple[bytes, bytes]], max_inline_value: int | None = TRIE_VALUE_NODE_THRESHOLD
) -> bytes:
    """The encoding of the root node of the trie of (key, value) entries (sp-trie `trie_root_unhashed`)."""
    return _encode_node(_prepare_entries(entries), 0, max_inline_value)


def compute_trie_root(
    entries: Iterable[tuple[bytes, bytes]], max_inline_value: int | None = TRIE_VALUE_NODE_THRESHOLD
) -> bytes:
    """The trie root of (key, value) entries: H(root node); LayoutV1 by default, `None` gives LayoutV0."""
    return compute_blake2_256(compute_trie_root_node(entries, max_inline_value))


def ordered_trie_root(items: Sequence[bytes]) -> bytes:
    """Substrate `BlakeTwo256::ordered_trie_root` (LayoutV1): item i is stored under Compact<u32>(i)."""
    return compute_trie_root((encode_compact(index), item) for index, item in enumerate(items))
