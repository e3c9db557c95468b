"""The state store (actors.state_store): trie nodes of every kept state, reference-counted in a KVStore. Forks
share nodes; discarding a fork and canonicalizing old blocks leave exactly the nodes the kept states reach;
archive mode keeps every state; a restart never counts genesis twice; a damaged journal changes nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from autonomys.actors.state_store import JOURNAL_PREFIX, NODE_PREFIX, StateStore
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.errors import DecodeError, MissingStateNode
from autonomys.protocol.state.trie import EMPTY_ROOT, Branch, TrieWriter, build_trie, decode_node, lookup


def reachable(store: StateStore, root: bytes) -> set[bytes]:
    found: set[bytes] = set()
    stack = [] if root == EMPTY_ROOT else [root]
    while stack:
        node_hash = stack.pop()
        found.add(node_hash)
        node = decode_node(store.nodes[node_hash])
        if isinstance(node, Branch):
            stack.extend(child for child in node.children if child is not None)
    return found


def stored(store: StateStore) -> set[bytes]:
    return {key[len(NODE_PREFIX) :] for key, _ in store.store.items_with_prefix(NODE_PREFIX)}


@dataclass
class States:
    """A genesis and blocks over it, each a dict of entries and a root, staged in one StateStore."""

    store: StateStore
    generator: random.Random = field(default_factory=lambda: random.Random(5))
    roots: dict[str, bytes] = field(default_factory=dict)
    values: dict[str, dict[bytes, bytes]] = field(default_factory=dict)

    def genesis(self, count: int) -> None:
        entries = {self.generator.randbytes(8): self.generator.randbytes(24) for _ in range(count)}
        built = build_trie(entries.items())
        self.store.store_genesis(built)
        self.roots["G"], self.values["G"] = built.root, entries

    def block(self, name: str, parent: str, changes: int = 12) -> None:
        values = dict(self.values[parent])
        writer = TrieWriter(self.store.nodes, self.roots[parent])
        for key in self.generator.sample(sorted(values), changes):
            values[key] = self.generator.randbytes(24)
            writer.set(key, values[key])
        new_key = self.generator.randbytes(8)
        values[new_key] = b"new"
        writer.set(new_key, b"new")
        gone = self.generator.choice(sorted(values))
        del values[gone]
        writer.delete(gone)
        committed = writer.commit()
        self.store.store.write_batch(self.store.stage(name.encode(), committed))
        self.roots[name], self.values[name] = committed.root, values

    def live(self, *names: str) -> set[bytes]:
        return set().union(*(reachable(self.store, self.roots[name]) for name in names))

    def opens(self, name: str) -> bool:
        try:
            return all(
                lookup(self.store.nodes, self.roots[name], key) == value for key, value in self.values[name].items()
            )
        except MissingStateNode:
            return False


@pytest.fixture
def states() -> States:
    built = States(StateStore(MemoryKVStore(), cache_bytes=4096))
    built.genesis(300)
    for number in range(1, 7):
        built.block(str(number), "G" if number == 1 else str(number - 1))
    built.block("3'", "2")
    built.block("4'", "3'")
    return built


CANONICAL = ("G", "1", "2", "3", "4", "5", "6")


def test_forks_share_nodes_and_every_state_opens(states: States) -> None:
    everything = (*CANONICAL, "3'", "4'")
    assert stored(states.store) == states.live(*everything)
    assert all(states.opens(name) for name in everything)
    # A fork block stores only the nodes it changed: far fewer than its state reaches.
    fork_only = states.live("3'") - states.live(*CANONICAL)
    assert 0 < len(fork_only) < len(states.live("3'")) // 4


def test_discarding_a_fork_leaves_exactly_the_canonical_nodes(states: States) -> None:
    for name in ("4'", "3'"):
        states.store.discard(name.encode())
    assert stored(states.store) == states.live(*CANONICAL)
    assert all(states.opens(name) for name in CANONICAL)
    assert not states.store.has_journal(b"3'")


def test_canonicalizing_old_blocks_prunes_exactly_their_parents_states(states: States) -> None:
    for name in ("4'", "3'"):
        states.store.discard(name.encode())
    for number in (1, 2, 3):
        states.store.canonicalize(str(number).encode())
        states.store.set_floor(number)
    assert stored(states.store) == states.live("3", "4", "5", "6")
    assert all(states.opens(name) for name in ("3", "4", "5", "6"))
    assert not any(states.opens(name) for name in ("G", "1", "2"))
    assert states.store.floor() == 3
    # A repeat (a restart finishing an interrupted prune) changes nothing.
    before = dict(states.store.store.data)  # type: ignore[attr-defined]
    states.store.canonicalize(b"2")
    assert states.store.store.data == before  # type: ignore[attr-defined]


def test_archive_mode_keeps_every_state(states: States) -> None:
    for name in ("4'", "3'"):
        states.store.discard(name.encode())
    for number in range(1, 7):
        states.store.drop_journal(str(number).encode())
    assert all(states.opens(name) for name in CANONICAL)
    assert list(states.store.store.items_with_prefix(JOURNAL_PREFIX)) == []


def test_a_restart_does_not_store_genesis_twice(states: States) -> None:
    states.store.canonicalize(b"1")  # genesis's state is pruned: its root is no longer stored
    assert not states.store.has_root(states.roots["G"])
    counts = {node_hash: states.store.nodes.count(node_hash) for node_hash in stored(states.store)}
    reopened = StateStore(states.store.store)
    reopened.store_genesis(build_trie(states.values["G"].items()))
    assert {node_hash: reopened.nodes.count(node_hash) for node_hash in stored(reopened)} == counts
    assert reopened.genesis_root() == states.roots["G"]


def test_a_damaged_journal_changes_nothing(states: States) -> None:
    kv: MemoryKVStore = states.store.store  # type: ignore[assignment]
    kv.put(JOURNAL_PREFIX + b"5", b"\x08" + bytes(7))  # two hashes announced, seven bytes given
    before = dict(kv.data)
    with pytest.raises(DecodeError):
        states.store.canonicalize(b"5")
    assert kv.data == before


def test_the_node_cache_forgets_deleted_nodes_and_keeps_its_bound(states: States) -> None:
    root = states.roots["G"]
    assert states.store.nodes.get(root) is not None  # now cached
    states.store.canonicalize(b"1")  # block 1 replaced genesis's root
    assert states.store.nodes.get(root) is None
    assert all(states.opens(name) for name in ("1", "2", "3"))
    cached = states.store.nodes.cached_bytes()
    assert 0 < cached <= 4096
    assert cached == sum(len(encoding) for encoding in states.store.nodes._cache.values())
