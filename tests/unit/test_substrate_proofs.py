"""Read proofs of Substrate's trie: every item of ordered tries of many shapes (inline and hashed values, inline
and hashed children, long partial keys) proves to its value under ordered_trie_root; absent keys prove absent;
a missing, unused or altered node is refused; node decoding round-trips the encoder's nodes and refuses junk."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.codec import encode_compact
from autonomys.protocol.domains.substrate_proofs import (
    decode_trie_node,
    prove_ordered_item,
    prove_trie_value,
    verify_ordered_item,
    verify_trie_value,
)
from autonomys.protocol.domains.substrate_trie import compute_trie_root, ordered_trie_root
from autonomys.protocol.errors import DecodeError, InvalidStateProof

ITEMS = st.lists(st.binary(min_size=0, max_size=80), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(ITEMS, st.data())
def test_every_item_proves_to_its_value_under_the_ordered_root(items: list[bytes], data: st.DataObject) -> None:
    root = ordered_trie_root(items)
    index = data.draw(st.integers(0, len(items) - 1))
    proof = prove_ordered_item(items, index)
    assert verify_ordered_item(root, index, proof) == items[index]
    absent = len(items) + data.draw(st.integers(0, 300))
    assert verify_ordered_item(root, absent, prove_ordered_item(items, absent)) is None


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.binary(min_size=0, max_size=6), st.binary(max_size=70), min_size=1, max_size=30), st.data())
def test_arbitrary_keys_prove_present_and_absent(entries: dict[bytes, bytes], data: st.DataObject) -> None:
    root = compute_trie_root(entries.items())
    key = data.draw(st.sampled_from(sorted(entries)) | st.binary(max_size=6))
    assert verify_trie_value(root, key, prove_trie_value(entries.items(), key)) == entries.get(key)


def test_a_missing_unused_or_altered_node_is_refused() -> None:
    items = [bytes([index]) * (10 + 7 * index) for index in range(20)]  # short inline and long hashed values
    root = ordered_trie_root(items)
    proof = prove_ordered_item(items, 13)
    assert len(proof) >= 3  # root, a hashed child, the hashed value
    for node in proof:
        with pytest.raises(InvalidStateProof, match="lacks"):
            verify_ordered_item(root, 13, proof - {node})
        changed = bytearray(node)
        changed[len(changed) // 2] ^= 1
        with pytest.raises(InvalidStateProof):
            verify_ordered_item(root, 13, (proof - {node}) | {bytes(changed)})
    with pytest.raises(InvalidStateProof, match="does not visit"):
        verify_ordered_item(root, 13, proof | prove_ordered_item(items, 2))
    with pytest.raises(InvalidStateProof, match="lacks"):
        verify_ordered_item(ordered_trie_root(items[:-1]), 13, proof)


def test_a_single_item_trie_and_the_compact_keys() -> None:
    assert verify_ordered_item(ordered_trie_root([b"only"]), 0, prove_ordered_item([b"only"], 0)) == b"only"
    items = [b"x"] * 70  # keys Compact(0..69): one and two bytes
    assert verify_trie_value(ordered_trie_root(items), encode_compact(64), prove_ordered_item(items, 64)) == b"x"


@given(st.binary(max_size=120))
def test_decoding_arbitrary_bytes_raises_only_decode_error(data: bytes) -> None:
    try:
        decode_trie_node(data)
    except DecodeError:
        pass
