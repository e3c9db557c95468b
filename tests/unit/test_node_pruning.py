"""The node prunes what archiving made final: blocks below the last archived block leave memory (canonical ones
stay readable from the store), forks off the archived chain are deleted, old PoT outputs too; a restart
restores the same chain. Real Archiver, real Node core, MINIMAL history; no Ray."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from autonomys.actors.consensus.node import ImportStatus, Node, NodeLimits
from autonomys.actors.consensus.node_store import BLOCK_PREFIX, STATE_PREFIX, NodeStore
from autonomys.actors.storage import MemoryKVStore, RocksKVStore
from autonomys.protocol.consensus.chain import build_block
from autonomys.protocol.consensus.chain_blocks import Block, Header
from autonomys.protocol.params import MINIMAL
from helpers.chain import ChainSetup, compute_pot_info, compute_test_proof_of_time, make_chain_setup
from helpers.node_world import Chain

PARAMS = dataclasses.replace(MINIMAL, confirmation_depth_k=2)
LIMITS = NodeLimits(pot_margin_slots=4)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> ChainSetup:
    return make_chain_setup(Path(tmp_path_factory.mktemp("history")))


def stored_states(node: Node) -> set[bytes]:
    return {key[len(STATE_PREFIX) :] for key, _ in node.store.store.items_with_prefix(STATE_PREFIX)}


def author(world: Chain, count: int) -> list[Block]:
    return [world.author_block() for _ in range(count)]


def test_blocks_below_the_archive_leave_memory_and_stay_served(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "pieces", PARAMS, limits=LIMITS)
    blocks = author(world, 20)
    node = world.node
    archived = node.archive.number
    assert archived == len(blocks) - PARAMS.confirmation_depth_k
    # The tree holds the archived block and the chain above it; the store, states of those only.
    assert len(node.tree) == PARAMS.confirmation_depth_k + 1
    assert node.tree.root_hash == node.archive.block_hash == blocks[archived - 1].hash()
    assert stored_states(node) == set(node.tree.canonical_hashes(after=archived - 1))
    assert node.tree.state(blocks[0].hash()) is None and node.tree.state(node.genesis_hash) is None
    assert node.metrics.blocks_pruned == archived  # genesis and blocks 1 … archived − 1
    # Canonical blocks below the root are still served: hashes, headers, ancestry, and a repeat is known.
    hashes = [bytes(block.hash()) for block in blocks]
    assert node.tree.canonical_hashes() == hashes
    assert node.tree.canonical_hashes(after=3, count=4) == hashes[3:7]
    assert [node.tree.canonical_hash(number) for number in (0, 1, archived, len(blocks), len(blocks) + 1)] == [
        node.genesis_hash, hashes[0], hashes[archived - 1], hashes[-1], None,
    ]  # fmt: skip
    assert Header.from_bytes(node.tree.header_bytes(hashes[2])).hash() == hashes[2]
    assert node.tree.block_ancestry(hashes[-1], 100) == [block.to_bytes() for block in reversed(blocks)]
    assert node.import_block(blocks[1].to_bytes()).status is ImportStatus.KNOWN
    assert node.imports.unknown_parent(blocks[0].to_bytes()) is None
    # PoT outputs older than the archived block's slot less the margin are gone, in memory and on disk.
    floor = node.tree.state(node.tree.root_hash).best_slot - LIMITS.pot_margin_slots
    assert min(slot for slot, _ in node.store.proofs_of_time()) == floor
    assert node.proof_of_time(floor - 1) is None and node.proof_of_time(floor) is not None
    assert node.on_proof_of_time(floor - 1, compute_test_proof_of_time(floor - 1)) is None  # not learned again


def rival_of(world: Chain, sibling: Block) -> Block:
    """A block on `sibling`'s parent at a later slot, by the same farmer (valid: a fork)."""
    node = world.node
    parent = node.tree.state(sibling.header.parent_hash)
    won = world.author.solve(world.next_slot) or world.author.wins(world.next_slot, 1)[0]
    for slot in range(node.current_slot + 1, won.slot + PARAMS.block_authoring_delay + 1):
        node.on_proof_of_time(slot, compute_test_proof_of_time(slot))
    world.next_slot = won.slot + 1
    return build_block(
        parent, sibling.header.parent_hash, slot=won.slot, solution=won.solution,
        pot_info=compute_pot_info(won.slot, PARAMS), transactions=(), votes=(), segment_headers=sibling.segment_headers,
        params=PARAMS, genesis_hash=node.genesis_hash, sign=world.author.keypair.sign,
    )  # fmt: skip


def test_a_fork_off_the_archived_chain_is_deleted(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "pieces", PARAMS, limits=LIMITS)
    blocks = author(world, 6)
    rival = rival_of(world, blocks[-1])
    assert world.node.import_block(rival.to_bytes()).status is ImportStatus.IMPORTED
    assert len(world.node.tree) == PARAMS.confirmation_depth_k + 2
    author(world, 6)
    canonical = set(world.node.tree.canonical_hashes())
    fork = next(block for block in (rival, blocks[-1]) if bytes(block.hash()) not in canonical)
    assert fork.hash() not in world.node.tree
    assert world.node.store.block(bytes(fork.hash())) is None
    assert len(world.node.tree) == PARAMS.confirmation_depth_k + 1
    # Its block comes back only to be rejected: it builds on a block below the archive.
    outcome = world.node.import_block(fork.to_bytes())
    assert outcome.status is ImportStatus.REJECTED and "ArchivedBlockConflict" in outcome.reason


def test_a_restarted_node_restores_the_same_pruned_chain(chain: ChainSetup, tmp_path: Path) -> None:
    rocks = RocksKVStore(tmp_path / "node")
    world = Chain(chain, tmp_path / "pieces", PARAMS, limits=LIMITS, store=NodeStore(rocks))
    author(world, 12)
    before = world.node
    expected = (before.best_hash, before.tree.canonical_hashes(), before.archive.number, before.current_slot)
    rocks.close()
    store = NodeStore(RocksKVStore(tmp_path / "node"))
    restarted = Node(PARAMS, world.genesis, store, chain.kzg, archiver=world.archiver, limits=LIMITS)
    assert (restarted.best_hash, restarted.tree.canonical_hashes(), restarted.archive.number,
            restarted.current_slot) == expected  # fmt: skip
    assert len(restarted.tree) == PARAMS.confirmation_depth_k + 1
    assert restarted.tree.root_hash == before.tree.root_hash
    assert len(restarted.outputs) == len(before.outputs)
    store.close()


def test_a_store_written_without_pruning_is_pruned_on_restart(chain: ChainSetup, tmp_path: Path) -> None:
    """A store from before pruning (or of a node that kept everything): the restart indexes the archived
    canonical blocks, then drops their states."""
    memory = NodeStore(MemoryKVStore())
    world = Chain(chain, tmp_path / "pieces", PARAMS, limits=NodeLimits(prune=False), store=memory)
    blocks = author(world, 10)
    assert len(world.node.tree) == len(blocks) + 1
    assert len(world.node.outputs) == world.node.current_slot
    restarted = Node(PARAMS, world.genesis, memory, chain.kzg, archiver=world.archiver, limits=LIMITS)
    assert restarted.best_hash == world.node.best_hash
    assert restarted.tree.canonical_hashes() == [bytes(block.hash()) for block in blocks]
    assert len(restarted.tree) == PARAMS.confirmation_depth_k + 1
    assert stored_states(restarted) == set(restarted.tree.canonical_hashes(after=restarted.archive.number - 1))
    assert len(list(memory.store.items_with_prefix(BLOCK_PREFIX))) == len(blocks)


def test_a_prune_a_crash_interrupted_is_finished_on_restart(chain: ChainSetup, tmp_path: Path) -> None:
    memory = NodeStore(MemoryKVStore())
    world = Chain(chain, tmp_path / "pieces", PARAMS, limits=NodeLimits(prune=False), store=memory)
    hashes = [bytes(block.hash()) for block in author(world, 10)]
    archived = world.node.archive.number
    # Killed while pruning to the archived block: the index is written, the state of the block under it deleted,
    # the older ones' not yet (they no longer connect to the archived block).
    memory.put_canonical({number: hashes[number - 1] for number in range(1, archived)})
    memory.forget_state(hashes[archived - 2])
    restarted = Node(PARAMS, world.genesis, memory, chain.kzg, archiver=world.archiver, limits=LIMITS)
    assert restarted.best_hash == world.node.best_hash
    assert restarted.tree.canonical_hashes() == hashes
    assert len(restarted.tree) == PARAMS.confirmation_depth_k + 1
    assert stored_states(restarted) == set(hashes[archived - 1 :])
    assert all(memory.block(block_hash) is not None for block_hash in hashes)
