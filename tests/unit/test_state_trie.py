"""The state layer's authenticated map (protocol.state.trie): the node layout by known answers, a canonical shape
(incremental writes give the root a rebuild gives, in any order), node accounting the store relies on, and proofs
that open present and absent keys and reject every tampering by name."""

from __future__ import annotations

import random

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.errors import DecodeError, InvalidStateProof, MissingStateNode
from autonomys.protocol.state import verify_proof
from autonomys.protocol.state.trie import (
    EMPTY_ROOT,
    Branch,
    Leaf,
    TrieWriter,
    build_trie,
    compute_node_hash,
    decode_node,
    leaves,
    lookup,
    prove,
)


def blake(data: bytes) -> bytes:
    return blake3.blake3(data).digest()


def entries(count: int, seed: int = 0) -> dict[bytes, bytes]:
    generator = random.Random(seed)
    return {generator.randbytes(8): generator.randbytes(generator.randrange(0, 40)) for _ in range(count)}


def reachable(nodes: dict[bytes, bytes], root: bytes) -> set[bytes]:
    found: set[bytes] = set()
    stack = [] if root == EMPTY_ROOT else [root]
    while stack:
        node_hash = stack.pop()
        found.add(node_hash)
        node = decode_node(nodes[node_hash])
        if isinstance(node, Branch):
            stack.extend(child for child in node.children if child is not None)
    return found


# ---- layout (known answers) ----


def test_the_empty_trie_and_a_single_leaf_by_known_answer() -> None:
    assert build_trie([]).root == EMPTY_ROOT == bytes(32)
    assert lookup({}, EMPTY_ROOT, b"anything") is None
    single = build_trie([(b"key", b"value")])
    leaf = b"\x00" + blake(b"key") + b"value"
    assert single.root == blake(leaf)
    assert single.created == {blake(leaf): leaf}


def branch_of(children: dict[int, bytes]) -> bytes:
    bitmap = sum(1 << nibble for nibble in children)
    return b"\x01" + bitmap.to_bytes(2, "little") + b"".join(blake(children[nibble]) for nibble in sorted(children))


def test_leaves_hang_from_branches_by_their_first_differing_nibble() -> None:
    # blake3 paths: b"a" 1776…, b"b" 10e5…, b"c" ea7a…
    leaf_a, leaf_b, leaf_c = (b"\x00" + blake(key) + value for key, value in ((b"a", b"1"), (b"b", b"2"), (b"c", b"3")))
    assert build_trie([(b"a", b"1"), (b"c", b"3")]).root == blake(branch_of({0x1: leaf_a, 0xE: leaf_c}))
    # a and b share their first nibble: a branch under a branch (no extension nodes), leaves at depth 2.
    inner = branch_of({0x0: leaf_b, 0x7: leaf_a})
    assert build_trie([(b"a", b"1"), (b"b", b"2")]).root == blake(branch_of({0x1: inner}))
    assert build_trie([(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]).root == blake(branch_of({0x1: inner, 0xE: leaf_c}))
    # Deleting b moves a back up to the root: a lone leaf has no branch above it.
    writer = TrieWriter(build_trie([(b"a", b"1"), (b"b", b"2")]).created, build_trie([(b"a", b"1"), (b"b", b"2")]).root)
    writer.delete(b"b")
    assert writer.commit().root == blake(leaf_a)


def test_malformed_node_encodings_are_decode_errors() -> None:
    for encoding in (
        b"",
        b"\x02" + bytes(40),
        b"\x00" + bytes(31),
        b"\x01",
        b"\x01\x00\x00",
        b"\x01\x03\x00" + bytes(32),
    ):
        with pytest.raises(DecodeError):
            decode_node(encoding)


# ---- canonical shape ----


def test_incremental_writes_give_the_root_a_rebuild_gives() -> None:
    generator = random.Random(7)
    current = entries(300, seed=1)
    nodes = dict(build_trie(current.items()).created)
    writer = TrieWriter(nodes, build_trie(current.items()).root)
    for _ in range(20):
        for key in generator.sample(sorted(current), 15):
            writer.delete(key)
            del current[key]
        for key, value in entries(25, seed=generator.randrange(1 << 30)).items():
            writer.set(key, value)
            current[key] = value
        changes = writer.commit()
        nodes.update(changes.created)
        assert changes.root == build_trie(current.items()).root
    assert {leaf.value for leaf in leaves(nodes, changes.root)} == set(current.values())


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.binary(min_size=1, max_size=6), st.binary(max_size=8), max_size=40),
    st.lists(st.tuples(st.binary(min_size=1, max_size=6), st.one_of(st.none(), st.binary(max_size=8))), max_size=40),
)
def test_any_writes_in_any_order_give_the_canonical_root(start: dict[bytes, bytes], writes: list) -> None:
    built = build_trie(start.items())
    nodes = dict(built.created)
    writer = TrieWriter(nodes, built.root)
    expected = dict(start)
    for key, value in writes:
        if value is None:
            writer.delete(key)
            expected.pop(key, None)
        else:
            writer.set(key, value)
            expected[key] = value
        assert writer.get(key) == value  # reads see pending writes
    changes = writer.commit()
    assert changes.root == build_trie(sorted(expected.items(), reverse=True)).root
    nodes.update(changes.created)
    for key in {*start, *expected}:
        assert lookup(nodes, changes.root, key) == expected.get(key)


def test_a_writer_leaves_its_source_untouched_and_deleting_everything_empties_it() -> None:
    start = entries(50)
    built = build_trie(start.items())
    nodes = dict(built.created)
    snapshot = dict(nodes)
    writer = TrieWriter(nodes, built.root)
    for key in start:
        writer.delete(key)
    changes = writer.commit()
    assert changes.root == EMPTY_ROOT and changes.created == {}
    assert changes.replaced == frozenset(built.created)
    assert nodes == snapshot
    assert lookup(nodes, built.root, next(iter(start))) == start[next(iter(start))]  # the old root still opens


def test_created_and_replaced_keep_a_store_equal_to_the_live_nodes() -> None:
    """What the state store does with TrieChanges: add the created, drop the replaced; what remains is exactly
    the nodes the new root reaches."""
    generator = random.Random(3)
    current = entries(200, seed=2)
    built = build_trie(current.items())
    store, root = dict(built.created), built.root
    for _ in range(15):
        writer = TrieWriter(store, root)
        for key in generator.sample(sorted(current), 10):
            writer.set(key, generator.randbytes(5))
        writer.delete(generator.choice(sorted(current)))
        writer.set(generator.randbytes(8), b"new")
        changes = writer.commit()
        assert changes.created.keys().isdisjoint(changes.replaced)
        store.update(changes.created)
        for node_hash in changes.replaced:
            del store[node_hash]
        root = changes.root
        assert set(store) == reachable(store, root)


def test_a_missing_node_is_named() -> None:
    built = build_trie(entries(40).items())
    with pytest.raises(MissingStateNode, match="not in the store"):
        lookup({}, built.root, b"key")
    writer = TrieWriter({}, built.root)
    writer.set(b"k", b"v")
    with pytest.raises(MissingStateNode):
        writer.commit()
    with pytest.raises(MissingStateNode):
        prove({}, built.root, b"key")


# ---- proofs ----


@pytest.fixture(scope="module")
def proven() -> tuple[dict[bytes, bytes], dict[bytes, bytes], bytes]:
    start = entries(500, seed=11)
    built = build_trie(start.items())
    return start, built.created, built.root


def test_proofs_open_present_and_absent_keys(proven: tuple) -> None:
    start, nodes, root = proven
    for key, value in list(start.items())[:50]:
        proof = prove(nodes, root, key)
        assert verify_proof(root, key, proof) == value
        assert isinstance(decode_node(proof[-1]), Leaf)
    for missing in (b"absent-1", b"absent-2", b""):
        assert verify_proof(root, missing, prove(nodes, root, missing)) is None
    assert verify_proof(EMPTY_ROOT, b"anything", []) is None


def test_a_proof_of_one_key_does_not_prove_another(proven: tuple) -> None:
    start, nodes, root = proven
    # Both present: their paths part at a branch holding both children, where the proof follows the wrong one.
    for first, second in zip(list(start)[:20], list(start)[1:21], strict=True):
        with pytest.raises(InvalidStateProof, match="does not hash"):
            verify_proof(root, second, prove(nodes, root, first))


def test_every_tampering_is_an_invalid_proof(proven: tuple) -> None:
    start, nodes, root = proven
    key = next(iter(start))
    proof = prove(nodes, root, key)
    assert len(proof) >= 2
    for index in range(len(proof)):
        for position in (0, len(proof[index]) // 2, len(proof[index]) - 1):
            damaged = bytearray(proof[index])
            damaged[position] ^= 1
            with pytest.raises(InvalidStateProof):
                verify_proof(root, key, [*proof[:index], bytes(damaged), *proof[index + 1 :]])
    cases = {
        "cut short": proof[:-1],
        "empty": [],
        "a node more": [*proof, proof[-1]],
        "truncated leaf": [*proof[:-1], proof[-1][:-1]],
        "another root": proof,
    }
    for name, candidate in cases.items():
        with pytest.raises(InvalidStateProof):
            verify_proof(bytes(32 * [1]) if name == "another root" else root, key, candidate)
    with pytest.raises(InvalidStateProof, match="32 bytes"):
        verify_proof(root[:31], key, proof)


def test_a_chain_of_branches_deeper_than_a_path_is_rejected() -> None:
    """A forged proof whose root names 65 nested single-child branches: rejected by name, not an IndexError."""
    key = b"deep"
    path = blake(key)
    child = compute_node_hash(b"\x00" + path + b"v")
    chain = [b"\x00" + path + b"v"]
    for depth in reversed(range(65)):
        nibble = (path[depth >> 1] >> (0 if depth & 1 else 4)) & 0x0F if depth < 64 else 0
        branch = b"\x01" + (1 << nibble).to_bytes(2, "little") + child
        chain.insert(0, branch)
        child = compute_node_hash(branch)
    with pytest.raises(InvalidStateProof, match="deeper"):
        verify_proof(child, key, chain)
