"""Fork choice (`calculate_block_fork_weight`): chain weight, the best of several heads, equivocation and reorg routes.

A block's weight is u64::MAX − the solution range it was verified against (its parent state's
solution_range); a chain's weight is the sum along it, so harder blocks weigh more. The node keeps the
weights and the block tree; these functions only decide, given what it passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeAlias

from autonomys.protocol.consensus.chain import Header, compute_solution_key
from autonomys.protocol.errors import NoCommonAncestor, NoForkCandidates
from autonomys.protocol.farming.solution_range import compute_block_fork_weight

BlockWeight: TypeAlias = int
"""Sum of compute_block_fork_weight(solution_range) over a chain's blocks (genesis weighs 0); a u128 in the reference."""

EquivocationKey: TypeAlias = tuple[bytes, int, int, bytes, int]
"""(public key, sector index, piece offset, chunk, slot): a solution a farmer may use in one block only."""

GENESIS_WEIGHT: BlockWeight = 0


def compute_chain_weight(parent_weight: BlockWeight, solution_range: int) -> BlockWeight:
    """The weight of a chain ending in a block verified against `solution_range`, on a parent of parent_weight."""
    return parent_weight + compute_block_fork_weight(solution_range)


def compute_fork_choice_key(weight: BlockWeight, number: int, block_hash: bytes) -> tuple[int, int, bytes]:
    """Sort key whose minimum is the best head: heaviest, then the lower number, then the smaller hash."""
    return (-weight, number, bytes(block_hash))


def choose_best(candidates: Iterable[tuple[bytes, BlockWeight, int]]) -> bytes:
    """The best of (hash, weight, number) heads: the heaviest chain; among equal weights the one with fewer
    blocks (its blocks were harder); then the lexicographically smaller hash, so every node picks the same."""
    best = min(
        candidates,
        key=lambda candidate: compute_fork_choice_key(candidate[1], candidate[2], candidate[0]),
        default=None,
    )
    if best is None:
        msg = "fork choice needs at least one candidate head"
        raise NoForkCandidates(msg)
    return best[0]


def equivocation_key(header: Header) -> EquivocationKey:
    """The header's (public key, sector index, piece offset, chunk, slot)."""
    return compute_solution_key(header.solution, header.slot)


def detect_equivocation(seen: Mapping[EquivocationKey, bytes], header: Header) -> bool:
    """True when `seen` (equivocation key → block hash) holds this header's key for a different block."""
    previous = seen.get(equivocation_key(header))
    return previous is not None and previous != header.hash()


def _path_to(block_hash: bytes, stop: bytes, parent_of: Callable[[bytes], bytes | None]) -> list[bytes]:
    """Hashes from block_hash down to (not including) stop."""
    path = []
    while block_hash != stop:
        path.append(block_hash)
        parent = parent_of(block_hash)
        if parent is None:
            msg = f"{stop.hex()} is not an ancestor of {path[0].hex()}"
            raise NoCommonAncestor(msg)
        block_hash = parent
    return path


def find_common_ancestor(first: bytes, second: bytes, parent_of: Callable[[bytes], bytes | None]) -> bytes:
    """The nearest block both hashes descend from (either may be it); walks both back in step, so the cost
    is bounded by the longer of the two branches."""
    if first == second:
        return first
    heads: list[bytes | None] = [first, second]
    seen: tuple[set[bytes], set[bytes]] = ({first}, {second})
    while heads[0] is not None or heads[1] is not None:
        for side in (0, 1):
            head = heads[side]
            parent = None if head is None else parent_of(head)
            heads[side] = parent
            if parent is None:
                continue
            # The first block one walk finds in the other's is the nearest common ancestor.
            if parent in seen[1 - side]:
                return parent
            seen[side].add(parent)
    msg = f"{first.hex()} and {second.hex()} share no known ancestor"
    raise NoCommonAncestor(msg)


def find_reorg(
    old_best: bytes, new_best: bytes, parent_of: Callable[[bytes], bytes | None]
) -> tuple[list[bytes], list[bytes]]:
    """(retracted, enacted) to move the best block from old_best to new_best: retracted from old_best down to
    the common ancestor (newest first, the undo order), enacted from above it up to new_best (oldest first,
    the apply order). Both are empty when old_best == new_best; retracted is empty for a plain extension."""
    ancestor = find_common_ancestor(bytes(old_best), bytes(new_best), parent_of)
    retracted = _path_to(bytes(old_best), ancestor, parent_of)
    enacted = _path_to(bytes(new_best), ancestor, parent_of)
    enacted.reverse()
    return retracted, enacted
