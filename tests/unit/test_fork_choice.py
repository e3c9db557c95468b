"""Fork choice (`calculate_block_fork_weight`): chain weights, the best head with its tie-breaks,
equivocation, reorg routes."""

from __future__ import annotations

import dataclasses

import pytest

from autonomys.protocol.consensus.chain import Header, PotInfo, PreDigest
from autonomys.protocol.consensus.fork_choice import (
    GENESIS_WEIGHT,
    choose_best,
    compute_chain_weight,
    detect_equivocation,
    equivocation_key,
    find_common_ancestor,
    find_reorg,
)
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import NoCommonAncestor, NoForkCandidates
from autonomys.protocol.farming.solutions import Solution


def name(label: str) -> bytes:
    return label.encode().ljust(32, b"\x00")


def make_header(slot: int = 7, chunk: bytes = bytes(32), seal: bytes = bytes(64), piece_offset: int = 1) -> Header:
    solution = Solution(
        name("farmer"), name("reward"), 3, 1, piece_offset, bytes(48), bytes(48), chunk, bytes(48), bytes(160)
    )
    pre_digest = PreDigest(slot, solution, PotInfo(bytes(16), bytes(16)))
    return Header(name("parent"), 1, bytes(32), bytes(32), pre_digest, None, seal)


# ---- weights and the best head ----


def test_chain_weight_sums_block_weights() -> None:
    weight = compute_chain_weight(GENESIS_WEIGHT, 100)
    assert weight == U64_MAX - 100
    assert compute_chain_weight(weight, 200) == 2 * U64_MAX - 300
    # A u128 in the reference: Python ints never wrap.
    assert compute_chain_weight(2**127, 0) == 2**127 + U64_MAX


def test_narrower_ranges_weigh_more() -> None:
    hard = compute_chain_weight(GENESIS_WEIGHT, 10)
    easy = compute_chain_weight(GENESIS_WEIGHT, 10**6)
    assert choose_best([(name("easy"), easy, 1), (name("hard"), hard, 1)]) == name("hard")


def test_the_heaviest_head_wins_whatever_its_length() -> None:
    short = compute_chain_weight(GENESIS_WEIGHT, 1)
    long = compute_chain_weight(compute_chain_weight(GENESIS_WEIGHT, U64_MAX - 1), U64_MAX - 1)
    assert short > long
    assert choose_best([(name("long"), long, 2), (name("short"), short, 1)]) == name("short")


def test_ties_go_to_the_lower_number_then_the_smaller_hash() -> None:
    assert choose_best([(name("b"), 50, 3), (name("a"), 50, 4)]) == name("b")
    assert choose_best([(name("b"), 50, 3), (name("a"), 50, 3)]) == name("a")
    assert choose_best(iter([(name("only"), 0, 0)])) == name("only")


def test_no_candidates_is_a_named_error() -> None:
    with pytest.raises(NoForkCandidates):
        choose_best([])


# ---- equivocation ----


def test_equivocation_key_names_the_solution_and_slot() -> None:
    header = make_header()
    assert equivocation_key(header) == (name("farmer"), 3, 1, bytes(32), 7)


def test_one_solution_in_two_blocks_is_an_equivocation() -> None:
    header = make_header()
    other_block = make_header(seal=bytes([1]) * 64)
    assert other_block.hash() != header.hash()
    seen = {equivocation_key(header): header.hash()}
    assert detect_equivocation(seen, other_block)
    assert not detect_equivocation(seen, header)
    assert not detect_equivocation({}, header)


@pytest.mark.parametrize("change", [{"slot": 8}, {"chunk": bytes([1]) * 32}, {"piece_offset": 2}])
def test_another_slot_chunk_or_offset_is_not_an_equivocation(change: dict) -> None:
    header = make_header()
    seen = {equivocation_key(header): header.hash()}
    assert not detect_equivocation(seen, make_header(**change))


def test_another_sector_is_not_an_equivocation() -> None:
    header = make_header()
    solution = dataclasses.replace(header.solution, sector_index=4)
    other = dataclasses.replace(header, pre_digest=dataclasses.replace(header.pre_digest, solution=solution))
    assert not detect_equivocation({equivocation_key(header): header.hash()}, other)


# ---- reorgs ----

# genesis ─ a1 ─ a2 ─ a3 ─ a4
#             └─ b2 ─ b3
# (and an unrelated root x0 ─ x1)
PARENTS = {
    name("genesis"): None,
    name("a1"): name("genesis"),
    name("a2"): name("a1"),
    name("a3"): name("a2"),
    name("a4"): name("a3"),
    name("b2"): name("a1"),
    name("b3"): name("b2"),
    name("x0"): None,
    name("x1"): name("x0"),
}


def parent_of(block_hash: bytes) -> bytes | None:
    return PARENTS[block_hash]


def names(*labels: str) -> list[bytes]:
    return [name(label) for label in labels]


def test_a_reorg_retracts_down_to_the_fork_and_enacts_up_from_it() -> None:
    assert find_reorg(name("a4"), name("b3"), parent_of) == (names("a4", "a3", "a2"), names("b2", "b3"))
    assert find_reorg(name("b3"), name("a4"), parent_of) == (names("b3", "b2"), names("a2", "a3", "a4"))


def test_an_extension_only_enacts() -> None:
    assert find_reorg(name("a1"), name("a4"), parent_of) == ([], names("a2", "a3", "a4"))
    assert find_reorg(name("genesis"), name("b3"), parent_of) == ([], names("a1", "b2", "b3"))


def test_moving_back_only_retracts_and_staying_is_empty() -> None:
    assert find_reorg(name("a4"), name("a2"), parent_of) == (names("a4", "a3"), [])
    assert find_reorg(name("a3"), name("a3"), parent_of) == ([], [])


def test_the_common_ancestor_is_the_nearest_one() -> None:
    assert find_common_ancestor(name("a4"), name("b3"), parent_of) == name("a1")
    assert find_common_ancestor(name("a2"), name("a4"), parent_of) == name("a2")
    assert find_common_ancestor(name("b2"), name("a2"), parent_of) == name("a1")


def test_a_long_uneven_branch_meets_at_the_fork() -> None:
    parents = {name("root"): None}
    previous = name("root")
    for index in range(500):
        parents[name(f"long{index}")] = previous
        previous = name(f"long{index}")
    parents[name("short")] = name("long10")
    route = find_reorg(previous, name("short"), parents.__getitem__)
    assert route == ([name(f"long{index}") for index in range(499, 10, -1)], [name("short")])


def test_unrelated_blocks_have_no_common_ancestor() -> None:
    with pytest.raises(NoCommonAncestor):
        find_reorg(name("a4"), name("x1"), parent_of)
