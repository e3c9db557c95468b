"""Durable delivery at the node service (no Ray): a (re)started node subscribes itself to its timekeeper, learns
the slots it missed, takes the solutions its farmers found meanwhile, and fills a gap in the slots pushed to it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from autonomys.actors.consensus.node_service import NodeConfig, NodeService
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.messages import FarmerSolution, FarmingSlot, SlotNotification
from autonomys.protocol.timekeeper.pot import GossipProof, PotSeed, prove_slot
from autonomys.protocol.timekeeper.pot_state import apply_proof, initialize_pot_state
from helpers.chain import ChainSetup, make_chain_setup
from helpers.links import LocalLinks
from helpers.node_world import PARAMS, Chain
from helpers.waiting import wait_until

WAIT = 10.0


def kzg_setup_in(tmp_path: Path) -> KzgSetup:
    """The dev setup the chain tests commit with (Kzg.dev_setup of MINIMAL's record size), cached in tmp_path."""
    return KzgSetup(num_g1_powers=PARAMS.record_num_chunks, cache_dir=str(tmp_path / "kzg"))


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> ChainSetup:
    return make_chain_setup(Path(tmp_path_factory.mktemp("history")))


def proofs(count: int) -> list[GossipProof]:
    """`count` consecutive real PoT proofs from slot 1 (MINIMAL iterations)."""
    state = initialize_pot_state(PotSeed(bytes(16)), PARAMS.pot_slot_iterations)
    found = []
    for _ in range(count):
        proof = prove_slot(state.next_slot_input)
        found.append(proof)
        state = apply_proof(state, proof, check_checkpoints=False).state
    return found


class Timekeeper:
    def __init__(self, held: list[GossipProof], fail_first: int = 0) -> None:
        self.held = held
        self.subscribed: list[str] = []
        self.asked: list[int] = []
        self.fail_first = fail_first

    def subscribe(self, name: str) -> None:
        if self.fail_first > 0:
            self.fail_first -= 1
            raise ConnectionError("timekeeper restarting")
        self.subscribed.append(name)

    def proofs_after(self, slot: int) -> list[GossipProof]:
        self.asked.append(slot)
        return [proof for proof in self.held if proof.slot > slot]


class Farmer:
    def __init__(self, found: list[FarmerSolution]) -> None:
        self.found = found
        self.slots: list[FarmingSlot] = []

    def on_farming_slot(self, slot: FarmingSlot) -> None:
        self.slots.append(slot)

    def public_key(self) -> bytes:
        return bytes(32)

    def sign_reward(self, message: bytes) -> bytes:
        return bytes(64)

    def solutions_after(self, slot: int) -> list[FarmerSolution]:
        return [solution for solution in self.found if solution.slot > slot]


def start_service(chain: ChainSetup, tmp_path: Path, timekeeper: Timekeeper, farmer: Farmer) -> NodeService:
    world = Chain(chain)
    config = NodeConfig(
        str(tmp_path), PARAMS, world.genesis, farmers=("farmer",), timekeeper="timekeeper",
        slot_silence_seconds=0.2, kzg_setup=kzg_setup_in(tmp_path),
    )  # fmt: skip
    return NodeService(config, LocalLinks({"farmer": farmer, "timekeeper": timekeeper}))


def test_a_started_node_subscribes_learns_missed_slots_and_takes_farmers_solutions(
    chain: ChainSetup, tmp_path: Path
) -> None:
    held = proofs(6)
    timekeeper = Timekeeper(held, fail_first=2)  # not up yet when the node starts: retried on silence
    solution = FarmerSolution(3, "farmer", b"\x00" * 8, 1, False)
    farmer = Farmer([solution])
    taken: list[FarmerSolution] = []
    service = start_service(chain, tmp_path, timekeeper, farmer)
    original = service.node.on_solution
    service.node.on_solution = lambda found: (taken.append(found), original(found))  # type: ignore[method-assign]
    try:
        wait_until(lambda: timekeeper.subscribed == ["node"], WAIT, "the node never subscribed")
        wait_until(lambda: service.status().current_slot == 6, WAIT, "the missed slots were not learned")
        assert taken == [solution]
        assert all(service.node.proof_of_time(p.slot) == p.output for p in held)
    finally:
        service.shutdown()


def test_a_gap_in_pushed_slots_is_filled_from_the_timekeeper(chain: ChainSetup, tmp_path: Path) -> None:
    held = proofs(8)
    timekeeper = Timekeeper(held[:1])
    service = start_service(chain, tmp_path, timekeeper, Farmer([]))
    try:
        wait_until(lambda: service.status().current_slot == 1, WAIT, "slot 1 was not learned")
        timekeeper.held = held
        service.on_slot(SlotNotification(held[7]))  # slots 2..7 were pushed while the node was busy or down
        wait_until(lambda: all(service.node.proof_of_time(p.slot) == p.output for p in held), WAIT, "the gap stayed open")
        assert 1 in timekeeper.asked
    finally:
        service.shutdown()


def test_a_silent_timekeeper_is_subscribed_to_again(chain: ChainSetup, tmp_path: Path) -> None:
    timekeeper = Timekeeper([])
    service = start_service(chain, tmp_path, timekeeper, Farmer([]))
    try:
        # A restarted timekeeper that lost (or never had) the subscription gets it again.
        wait_until(lambda: len(timekeeper.subscribed) >= 3, WAIT, "no re-subscription during silence")
        assert threading.active_count() > 1
    finally:
        service.shutdown()


# ---- stored state that cannot be loaded ----


def test_a_damaged_node_store_names_the_file_and_the_fix(chain: ChainSetup, tmp_path: Path) -> None:
    from autonomys.actors.errors import CorruptStore
    from autonomys.actors.storage import RocksKVStore

    service = start_service(chain, tmp_path, Timekeeper(proofs(3)), Farmer([]))
    wait_until(lambda: service.status().current_slot == 3, WAIT, "the slots to be stored")
    service.shutdown()
    path = tmp_path / "node-node"
    store = RocksKVStore(path)
    store.put(b"node/state/" + bytes(32), b"the state of a block that is gone, and its weight")
    store.close()
    before = sorted(item for item in RocksKVStore(path, read_only=True).items_with_prefix(b""))
    with pytest.raises(CorruptStore) as caught:
        start_service(chain, tmp_path, Timekeeper([]), Farmer([]))
    assert str(path) in str(caught.value) and "restore" in caught.value.fix and "delete" in caught.value.fix
    assert sorted(item for item in RocksKVStore(path, read_only=True).items_with_prefix(b"")) == before


def test_a_damaged_archive_names_the_file_and_the_fix(tmp_path: Path) -> None:
    from autonomys.actors.archiving.archiver import ArchiverConfig, ArchiverService, segment_header_key
    from autonomys.actors.errors import CorruptStore
    from autonomys.actors.kzg_setup import KzgSetup
    from autonomys.actors.storage import RocksKVStore

    config = ArchiverConfig(
        str(tmp_path), PARAMS, KzgSetup(num_g1_powers=PARAMS.record_num_chunks, cache_dir=str(tmp_path / "kzg"))
    )
    service = ArchiverService(config, LocalLinks())
    assert len(service.on_confirmed_block(0, bytes(3 * PARAMS.recorded_history_segment_size))) == 3
    service.shutdown()
    store = RocksKVStore(tmp_path / "archiver" / "db")
    store.put(segment_header_key(2), b"\x07 not a segment header")
    store.close()
    with pytest.raises(CorruptStore) as caught:
        ArchiverService(config, LocalLinks())
    assert str(tmp_path / "archiver") in str(caught.value) and "backup" in caught.value.fix
