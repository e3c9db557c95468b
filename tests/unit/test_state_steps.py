"""SteppedWriter: a root after every step, and net node changes equal to what one commit of all writes gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_state_trie import reachable

from autonomys.protocol.state.steps import SteppedWriter
from autonomys.protocol.state.trie import TrieWriter, build_trie, lookup

KEYS = st.binary(min_size=1, max_size=3)
WRITE = st.tuples(KEYS, st.one_of(st.none(), st.binary(min_size=0, max_size=40)))


@settings(max_examples=60, deadline=None)
@given(
    base=st.dictionaries(KEYS, st.binary(min_size=1, max_size=40), max_size=20),
    steps=st.lists(st.lists(WRITE, max_size=6), max_size=6),
)
def test_each_step_has_the_canonical_root_and_the_net_changes_match_the_live_nodes(base, steps) -> None:
    genesis = build_trie(base.items())
    store = dict(genesis.created)
    session = SteppedWriter(store, genesis.root)
    expected = dict(base)
    for writes in steps:
        for key, value in writes:
            if value is None:
                session.delete(key)
                expected.pop(key, None)
            else:
                session.set(key, value)
                expected[key] = value
        assert session.step() == build_trie(expected.items()).root
    changes = session.changes()
    assert changes.root == session.root
    assert store == genesis.created  # the source is never written
    after = {h: e for h, e in store.items() if h not in changes.replaced} | changes.created
    assert set(after) == reachable(after, changes.root)
    assert changes.replaced <= set(store)
    assert not (changes.created.keys() & changes.replaced)
    for key, value in expected.items():
        assert lookup(after, changes.root, key) == value


def test_a_step_without_writes_keeps_the_root_and_a_set_then_delete_leaves_no_trace() -> None:
    genesis = build_trie([(b"a", b"1"), (b"b", b"2")])
    session = SteppedWriter(genesis.created, genesis.root)
    assert session.step() == genesis.root
    session.set(b"c", b"3")
    middle = session.step()
    session.delete(b"c")
    assert session.step() == genesis.root != middle
    changes = session.changes()
    assert (changes.created, changes.replaced) == ({}, frozenset())
    plain = TrieWriter(genesis.created, genesis.root)
    plain.set(b"c", b"3")
    assert plain.commit().root == middle
