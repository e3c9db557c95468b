"""The consensus node core without Ray: authoring from farmers' solutions, import, fork choice, restart, archiving."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import blake3
import pytest

from autonomys.actors.consensus.node import ImportStatus, Node, NodeLimits
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.messages import FarmerSolution
from autonomys.actors.storage import MemoryKVStore, RocksKVStore
from autonomys.protocol.consensus.chain_blocks import Block
from autonomys.protocol.consensus.chain_state import genesis_state
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.params import MINIMAL
from helpers.farms import plotted_farm
from helpers.history import ArchivedHistory
from helpers.links import LocalLinks
from helpers.waiting import wait_until

PARAMS = dataclasses.replace(MINIMAL, confirmation_depth_k=3)
ENDOWMENT = 10**18


@pytest.fixture(scope="module")
def farm_dirs(tmp_path_factory: pytest.TempPathFactory, history: ArchivedHistory, setup: KzgSetup) -> list[Path]:
    root = tmp_path_factory.mktemp("farms")
    return [plotted_farm(root / f"farm{i}", history, setup, 2, MINIMAL) for i in range(2)]


@dataclasses.dataclass
class Farmers:
    cores: list[FarmerCore]

    def sign(self, public_key: bytes, message: bytes) -> bytes:
        for core in self.cores:
            if core.farm.identity.public_key == public_key:
                return core.farm.identity.sign(message)
        raise KeyError(public_key.hex())

    def solutions(self, node: Node, slot: int) -> list[FarmerSolution]:
        farming_slot = node.on_proof_of_time(slot, output_of(slot))
        found = []
        if farming_slot is None:
            return found
        for core in self.cores:
            for sector, candidate in core.audit(farming_slot).ranked()[:1]:
                solution = core.prove(farming_slot, sector, candidate)
                if solution is not None:
                    found.append(solution)
        return found


def output_of(slot: int) -> bytes:
    return blake3.blake3(b"pot" + slot.to_bytes(8, "little")).digest()[:16]


@pytest.fixture
def farmers(farm_dirs: list[Path], setup: KzgSetup):
    cores = [FarmerCore(Farm.open(path), load_kzg(setup), Farm.open(path).identity.public_key, f"farm{i}") for i, path in enumerate(farm_dirs)]
    yield Farmers(cores)
    for core in cores:
        core.farm.close()


def genesis_for(history: ArchivedHistory, farmers: Farmers, solution_range: int = U64_MAX // 4):
    endowments = {core.farm.identity.public_key: ENDOWMENT for core in farmers.cores}
    return genesis_state(
        PARAMS, endowments=endowments, solution_range=solution_range, pot_slot_iterations=PARAMS.pot_slot_iterations,
        segment_headers=history.archiver.segment_headers(),
    )  # fmt: skip


def new_node(history, farmers, setup, store=None, genesis_farmers=None, **kwargs) -> Node:
    store = store if store is not None else NodeStore(MemoryKVStore())
    genesis = genesis_for(history, genesis_farmers or farmers)
    return Node(PARAMS, genesis, store, load_kzg(setup), signer=farmers.sign, **kwargs)


def run_slots(node: Node, farmers: Farmers, slots: range) -> list[Block]:
    authored = []
    for slot in slots:
        for solution in farmers.solutions(node, slot):
            node.on_solution(solution)
        authored += node.author_ready_blocks()
    return authored


def test_a_node_authors_blocks_from_farmers_solutions(history, farmers, setup) -> None:
    node = new_node(history, farmers, setup)
    authored = run_slots(node, farmers, range(1, 30))
    assert len(authored) >= 5
    assert node.best_state.number == len(authored) == node.metrics.blocks_authored
    assert [block.header.number for block in authored] == list(range(1, len(authored) + 1))
    slots = [block.header.slot for block in authored]
    assert slots == sorted(set(slots))
    assert sum(node.metrics.authored_by_farm.values()) == len(authored)
    issuance = node.best_state.total_issuance - 2 * ENDOWMENT
    assert issuance > 0  # block rewards were paid


def test_a_solution_the_chain_refuses_is_not_authored(history, farmers, setup) -> None:
    """A winning solution that fails the chain's checks (here: proved for another slot's challenge; on a live
    network, a sector that expired since it was plotted) is dropped before building, never authored and rejected."""
    node = new_node(history, farmers, setup)
    found = next(solution for slot in range(1, 30) for solution in farmers.solutions(node, slot) if not solution.is_vote)
    moved = dataclasses.replace(found, slot=40)
    for slot in range(30, 40 + PARAMS.block_authoring_delay + 1):
        node.on_proof_of_time(slot, output_of(slot))
    node.on_solution(moved)
    assert node.author_ready_blocks() == []
    assert node.best_state.number == 0
    assert (node.metrics.solutions_refused, node.metrics.blocks_rejected) == (1, 0)
    assert "authoring slot 40" in node.metrics.last_rejection


def test_a_second_node_imports_gossip_and_rejects_tampering(history, farmers, setup) -> None:
    author = new_node(history, farmers, setup)
    authored = run_slots(author, farmers, range(1, 30))
    follower = new_node(history, farmers, setup)
    for slot in range(1, 30):
        follower.on_proof_of_time(slot, output_of(slot))
    tampered = bytearray(authored[0].to_bytes())
    tampered[-70] ^= 1
    before = follower.best_hash
    assert follower.import_block(bytes(tampered)).status is ImportStatus.REJECTED
    assert follower.best_hash == before
    assert follower.import_block(b"\x00garbage").status is ImportStatus.REJECTED
    for block in reversed(authored):  # out of order: children wait as orphans for their parents
        follower.import_block(block.to_bytes())
    assert follower.best_hash == author.best_hash
    assert follower.import_block(authored[-1].to_bytes()).status is ImportStatus.KNOWN


def test_blocks_from_unknown_future_slots_are_rejected(history, farmers, setup) -> None:
    limits = NodeLimits(max_early_slots=1)
    author = new_node(history, farmers, setup)
    authored = run_slots(author, farmers, range(1, 20))
    follower = new_node(history, farmers, setup, limits=limits)
    follower.on_proof_of_time(1, output_of(1))  # the follower has not seen those slots yet
    outcome = follower.import_block(authored[-1].to_bytes())
    assert outcome.status is ImportStatus.ORPHAN
    first = authored[0]
    assert first.header.slot + PARAMS.block_authoring_delay > 1 + limits.max_early_slots
    outcome = follower.import_block(first.to_bytes())
    assert outcome.status is ImportStatus.REJECTED
    assert follower.best_state.number == 0


def test_a_block_just_ahead_of_the_node_waits_for_its_proof_of_time(history, farmers, setup) -> None:
    """A peer that heard the timekeeper first may gossip a block claiming an output this node lacks for a moment:
    the block waits for that output instead of being rejected (and its children, orphaned, with it)."""
    author = new_node(history, farmers, setup)
    authored = run_slots(author, farmers, range(1, 30))
    first, second = authored[0], authored[1]
    awaited = first.header.slot + PARAMS.block_authoring_delay
    follower = new_node(history, farmers, setup, limits=NodeLimits(max_early_slots=64))  # the child fits too
    for slot in range(1, awaited):
        follower.on_proof_of_time(slot, output_of(slot))
    assert follower.import_block(first.to_bytes()).status is ImportStatus.EARLY
    assert follower.import_block(first.to_bytes()).status is ImportStatus.EARLY  # a repeat is held once
    assert follower.import_block(second.to_bytes()).status is ImportStatus.ORPHAN
    assert follower.import_early_blocks() == []  # the awaited slot has not come
    follower.on_proof_of_time(awaited, output_of(awaited))
    outcomes = follower.import_early_blocks()
    assert [outcome.status for outcome in outcomes] == [ImportStatus.IMPORTED]
    assert follower.best_hash == first.hash()  # the orphan waits for its own future output in turn
    assert follower.import_early_blocks() == []
    for slot in range(awaited + 1, second.header.slot + PARAMS.block_authoring_delay + 1):
        follower.on_proof_of_time(slot, output_of(slot))
    assert [outcome.status for outcome in follower.import_early_blocks()] == [ImportStatus.IMPORTED]
    assert follower.best_hash == second.hash()
    assert follower.metrics.blocks_rejected == 0


def test_early_blocks_are_bounded(history, farmers, setup) -> None:
    only_first, only_second = Farmers(farmers.cores[:1]), Farmers(farmers.cores[1:])
    left = new_node(history, only_first, setup, genesis_farmers=farmers)
    right = new_node(history, only_second, setup, genesis_farmers=farmers)
    firsts = [run_slots(left, only_first, range(1, 30))[0], run_slots(right, only_second, range(1, 30))[0]]
    firsts.sort(key=lambda block: block.header.slot)  # the earlier one is within the window
    follower = new_node(history, farmers, setup, limits=NodeLimits(max_early_blocks=1))
    for slot in range(1, min(block.header.slot for block in firsts) + PARAMS.block_authoring_delay):
        follower.on_proof_of_time(slot, output_of(slot))
    outcomes = [follower.import_block(block.to_bytes()) for block in firsts]
    assert [outcome.status for outcome in outcomes] == [ImportStatus.EARLY, ImportStatus.REJECTED]
    # Judged at once: its slot, or its future slot, is one this node has not reached.
    assert "after the current slot" in outcomes[1].reason or "no proof of time known" in outcomes[1].reason


def test_partitioned_nodes_converge_on_the_heavier_chain(history, farmers, setup) -> None:
    only_first = Farmers(farmers.cores[:1])
    only_second = Farmers(farmers.cores[1:])
    left = new_node(history, only_first, setup, genesis_farmers=farmers)
    right = new_node(history, only_second, setup, genesis_farmers=farmers)
    left_blocks = run_slots(left, only_first, range(1, 40))
    right_blocks = run_slots(right, only_second, range(1, 40))
    assert left_blocks and right_blocks
    outcomes = [right.import_block(block.to_bytes()) for block in left_blocks]
    outcomes += [left.import_block(block.to_bytes()) for block in right_blocks]
    assert {outcome.status for outcome in outcomes} == {ImportStatus.IMPORTED}, [o.reason for o in outcomes if o.reason]
    assert left.best_hash == right.best_hash
    longer = left_blocks if len(left_blocks) >= len(right_blocks) else right_blocks
    assert left.best_state.number == len(longer)


def test_a_restarted_node_resumes_its_chain(tmp_path: Path, history, farmers, setup) -> None:
    store = RocksKVStore(tmp_path / "node")
    node = new_node(history, farmers, setup, NodeStore(store))
    run_slots(node, farmers, range(1, 25))
    best, number = node.best_hash, node.best_state.number
    store.close()
    reopened = new_node(history, farmers, setup, NodeStore(RocksKVStore(tmp_path / "node")))
    assert (reopened.best_hash, reopened.best_state.number) == (best, number)
    assert reopened.current_slot == 24
    more = run_slots(reopened, farmers, range(25, 45))
    assert reopened.best_state.number == number + len(more)


class RecordingArchiver:
    def __init__(self) -> None:
        self.blocks: list[tuple[int, bytes]] = []

    def on_confirmed_block(self, number: int, block: bytes) -> list:
        self.blocks.append((number, block))
        return []


def test_confirmed_blocks_go_to_the_archiver_in_order_once(history, farmers, setup) -> None:
    archiver = RecordingArchiver()
    node = new_node(history, farmers, setup, archiver=archiver)
    run_slots(node, farmers, range(1, 30))
    node.archive_confirmed()
    node.archive_confirmed()
    canonical = node.tree.canonical_hashes()
    expected = len(canonical) - PARAMS.confirmation_depth_k
    assert [number for number, _ in archiver.blocks] == list(range(1, expected + 1))
    assert [Block.from_bytes(data).hash() for _, data in archiver.blocks] == canonical[:expected]


def test_vote_solutions_are_signed_checked_and_included(history, farmers, setup) -> None:
    node = Node(
        PARAMS, genesis_for(history, farmers, solution_range=U64_MAX // 400), NodeStore(MemoryKVStore()), load_kzg(setup),
        signer=farmers.sign,
    )  # fmt: skip
    blocks = []
    for slot in range(1, 400):
        farming_slot = node.on_proof_of_time(slot, output_of(slot))
        for core in farmers.cores:
            for sector, candidate in core.audit(farming_slot).ranked()[:3]:
                solution = core.prove(farming_slot, sector, candidate)
                if solution is not None:
                    node.on_solution(solution)
        blocks += node.author_ready_blocks()
        if len(blocks) >= 3 and node.metrics.votes_included > 0:
            break
    assert blocks, "no block in 400 slots"
    assert node.metrics.votes_included > 0
    assert node.metrics.votes_included == sum(len(block.votes) for block in blocks)
    with_votes = next(block for block in blocks if block.votes)
    assert node.tree.state(with_votes.hash()).votes_in_block == len(with_votes.votes)
    follower = Node(
        PARAMS, genesis_for(history, farmers, solution_range=U64_MAX // 400), NodeStore(MemoryKVStore()), load_kzg(setup)
    )
    for slot in range(1, node.current_slot + 1):
        follower.on_proof_of_time(slot, output_of(slot))
    assert {follower.import_block(block.to_bytes()).status for block in blocks} == {ImportStatus.IMPORTED}
    assert follower.best_hash == node.best_hash


def test_headers_of_the_canonical_chain_are_served(history, farmers, setup) -> None:
    from autonomys.protocol.consensus.chain_blocks import Header

    node = new_node(history, farmers, setup)
    authored = run_slots(node, farmers, range(1, 25))
    headers = [Header.from_bytes(node.tree.header_bytes(block_hash)) for block_hash in node.tree.canonical_hashes()]
    assert [header.hash() for header in headers] == [block.header.hash() for block in authored]


def test_the_node_service_serves_segment_headers_and_commitments(tmp_path: Path, history, farmers, setup) -> None:
    from autonomys.actors.consensus.node_service import NodeConfig, NodeService

    class Archive:
        def on_confirmed_block(self, number: int, block: bytes) -> list:
            return []

        def segment_headers(self, first: int = 0) -> list:
            return history.archiver.segment_headers(first)

    genesis = genesis_for(history, farmers)
    config = NodeConfig(str(tmp_path), PARAMS, genesis, archiver="archiver", kzg_setup=setup)
    service = NodeService(config, LocalLinks({"archiver": Archive()}))
    try:
        headers = history.archiver.segment_headers()
        assert service.segment_headers(1) == headers[1:]
        assert service.segment_commitment(0) == headers[0].segment_commitment
        assert service.segment_commitment(len(headers)) is None
        assert service.history_size() == len(headers)
        assert service.status().best_number == 0
    finally:
        service.shutdown()


def wait_for_best(service, best_hash: bytes, timeout: float = 60) -> None:  # noqa: ANN001 - a NodeService
    wait_until(lambda: service.status().best_hash == best_hash.hex(), timeout, lambda: str(service.status()))


def test_a_gossiped_orphan_makes_the_service_fetch_its_ancestry_from_peers(tmp_path: Path, history, farmers, setup) -> None:
    """A block whose parents this node missed (a partition, a lost push) is not stranded: the node walks the
    ancestry back from a peer that has it, in batches, skipping a peer that has nothing."""

    from autonomys.actors.consensus.node_service import NodeConfig, NodeService

    author = new_node(history, farmers, setup)
    authored = run_slots(author, farmers, range(1, 30))
    assert len(authored) >= 5
    genesis = genesis_for(history, farmers)

    class Peer:
        def __init__(self, service: NodeService | None) -> None:
            self.service, self.requests = service, []

        def on_block(self, block: bytes) -> None:
            pass

        def best_block_hash(self) -> bytes:
            return self.service.best_block_hash() if self.service else b"\x00" * 32

        def block_ancestry(self, block_hash: bytes, count: int) -> list[bytes]:
            self.requests.append(block_hash)
            return self.service.block_ancestry(block_hash, count) if self.service else []

    def config(name: str, peers: tuple[str, ...] = ()) -> NodeConfig:
        return NodeConfig(str(tmp_path), PARAMS, genesis, name=name, peers=peers, kzg_setup=setup, sync_batch=2)

    holder = NodeService(config("holder"), LocalLinks())
    empty, full = Peer(None), Peer(holder)
    peers = LocalLinks({"empty": empty, "holder": full})
    follower = NodeService(config("follower", ("empty", "holder")), peers)
    try:
        for service in (holder, follower):
            for slot in range(1, 30):
                service.node.on_proof_of_time(slot, output_of(slot))
        for block in authored:
            holder.on_block(block.to_bytes())
        wait_for_best(holder, author.best_hash)
        follower.on_block(authored[-1].to_bytes())  # only the newest block reaches the follower
        wait_for_best(follower, author.best_hash)
        status = follower.status()
        assert (status.best_hash, status.best_number) == (author.best_hash.hex(), len(authored)), status.last_error
        assert status.blocks_rejected == 0
        assert empty.requests == [authored[-2].hash()]  # asked once, had nothing
        # The holder is walked back two blocks at a time until a block whose parent the follower knows.
        expected = [authored[i].hash() for i in range(len(authored) - 2, -1, -2)]
        assert full.requests == expected
        assert holder.block_ancestry(b"\x00" * 32) == []
        # A node given its peers syncs their best chains the same way: only the blocks it lacks.
        late = NodeService(config("late"), peers)
        for slot in range(1, 30):
            late.node.on_proof_of_time(slot, output_of(slot))
        late.node.import_block(authored[0].to_bytes())
        full.requests.clear()
        late.set_peers(["empty", "holder"])
        wait_for_best(late, author.best_hash)
        assert late.status().best_number == len(authored)
        assert full.requests == [authored[i].hash() for i in range(len(authored) - 1, 0, -2)]
        late.shutdown()
    finally:
        follower.shutdown()
        holder.shutdown()
