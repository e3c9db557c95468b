"""The node's transaction pool checks, account view and object lookups, and the object client against a Node core."""

from __future__ import annotations

import dataclasses
import pickle
import random
from pathlib import Path

import blake3
import pytest

from autonomys.actors.archiving.archiver import Archiver
from autonomys.actors.clock import ManualClock
from autonomys.actors.consensus.node import Node
from autonomys.actors.consensus.node_objects import (
    MAX_TRANSACTION_SIZE,
    REJECT_BAD_NONCE,
    REJECT_BAD_SIGNATURE,
    REJECT_INSUFFICIENT_BALANCE,
    REJECT_SENDER_FULL,
    REJECT_TOO_LARGE,
    REJECT_UNDECODABLE,
    RejectedTransaction,
    decode_submitted_transaction,
)
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.objects.client import (
    ObjectClient,
    ObjectInfo,
    ObjectNotFound,
    ObjectPutTimeout,
    ObjectUnavailable,
    dev_account,
)
from autonomys.protocol.consensus.chain import MAX_STORE_DATA_SIZE, get_account
from autonomys.protocol.consensus.chain_blocks import Transaction
from autonomys.protocol.objects.mappings import GlobalObject, MalformedObjectId, plan_object, read_object
from helpers.chain import (
    ALICE,
    BOB,
    CAROL,
    ENDOWMENT,
    ChainSetup,
    make_chain_setup,
    make_genesis,
    store,
    transfer,
)
from helpers.links import LocalLinks
from helpers.node_world import DEV, PARAMS, SOLUTION_RANGE, Chain


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> ChainSetup:
    return make_chain_setup(Path(tmp_path_factory.mktemp("history")))


def hash_of(data: bytes) -> bytes:
    return blake3.blake3(data).digest()


class CoreLink:
    """The ObjectNodeLink of a Node core (what NodeService does, without its thread)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.submitted: list[bytes] = []
        self.located: list[bytes] = []

    def submit_transaction(self, transaction: bytes) -> bytes:
        self.submitted.append(transaction)
        return self.node.submit_transaction(decode_submitted_transaction(transaction))

    def genesis_hash(self) -> bytes:
        return self.node.genesis_hash

    def account(self, public_key: bytes) -> tuple[int, int]:
        return self.node.account(public_key)

    def object_location(self, object_hash: bytes) -> GlobalObject | bytes | None:
        self.located.append(object_hash)
        return self.node.object_location(object_hash)


def rejection(node: Node, transaction: Transaction) -> str:
    before = node.pooled_transactions
    with pytest.raises(RejectedTransaction) as caught:
        node.submit_transaction(transaction)
    assert node.pooled_transactions == before
    return caught.value.reason


def test_submissions_are_checked_and_rejections_leave_the_pool_unchanged(chain: ChainSetup) -> None:
    node = Chain(chain).node
    first = store(ALICE, 0, b"hello", node.genesis_hash)
    assert node.submit_transaction(first) == bytes(first.hash())
    assert node.submit_transaction(first) == bytes(first.hash())  # resubmitting is a no-op
    assert node.pooled_transactions == (first,)
    unsigned = dataclasses.replace(store(ALICE, 1, b"x", node.genesis_hash), signature=bytes(64))
    assert rejection(node, unsigned) == REJECT_BAD_SIGNATURE
    assert rejection(node, store(ALICE, 0, b"replay of nonce 0", node.genesis_hash)) == REJECT_BAD_NONCE
    assert rejection(node, store(ALICE, 5, b"gap", node.genesis_hash)) == REJECT_BAD_NONCE
    assert rejection(node, store(CAROL, 0, b"no funds", node.genesis_hash)) == REJECT_INSUFFICIENT_BALANCE
    assert rejection(node, transfer(ALICE, 1, BOB.public_key, ENDOWMENT, node.genesis_hash)) == REJECT_INSUFFICIENT_BALANCE
    assert rejection(node, store(ALICE, 1, bytes(MAX_STORE_DATA_SIZE + 1), node.genesis_hash)) == REJECT_TOO_LARGE
    second = store(ALICE, 1, b"next", node.genesis_hash)
    node.submit_transaction(second)
    assert node.pooled_transactions == (first, second)


def test_undecodable_or_oversized_bytes_are_rejected_before_decoding() -> None:
    for data, reason in ((b"\x00garbage", REJECT_UNDECODABLE), (bytes(MAX_TRANSACTION_SIZE + 1), REJECT_TOO_LARGE),
                         (store(ALICE, 0, b"x").to_bytes() + b"\x00", REJECT_UNDECODABLE), ("text", REJECT_UNDECODABLE)):  # fmt: skip
        with pytest.raises(RejectedTransaction) as caught:
            decode_submitted_transaction(data)  # type: ignore[arg-type]
        assert caught.value.reason == reason
        copy = pickle.loads(pickle.dumps(caught.value))  # crosses Ray as itself
        assert (type(copy), copy.reason, copy.detail) == (RejectedTransaction, reason, caught.value.detail)
    transaction = store(ALICE, 0, b"x")
    assert decode_submitted_transaction(transaction.to_bytes()) == transaction


def test_account_nonces_count_the_pool_until_a_block_includes_it(chain: ChainSetup) -> None:
    world = Chain(chain)
    node = world.node
    assert node.account(ALICE.public_key) == (ENDOWMENT, 0)
    assert node.account(CAROL.public_key) == (0, 0)
    node.submit_transaction(store(ALICE, 0, b"one", node.genesis_hash))
    node.submit_transaction(transfer(ALICE, 1, CAROL.public_key, 1_000, node.genesis_hash))
    assert node.account(ALICE.public_key) == (ENDOWMENT, 2)
    block = world.author_block()
    assert len(block.transactions) == 2
    assert node.pooled_transactions == ()
    balance, nonce = node.account(ALICE.public_key)
    assert nonce == 2 == get_account(node.best_state, ALICE.public_key).nonce
    assert ENDOWMENT - 1_000 - balance > 0  # fees paid
    assert node.account(CAROL.public_key) == (1_000, 0)


def test_object_location_is_pending_then_in_a_block_then_archived(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "pieces")
    node, archiver = world.node, world.archiver
    data = random.Random(1).randbytes(3_000)
    node.submit_transaction(store(ALICE, 0, data, node.genesis_hash))
    assert node.object_location(hash_of(data)) is None  # pooled only
    world.author_block()
    assert node.object_location(hash_of(data)) == data
    filler = random.Random(2)
    for nonce in range(20):
        node.submit_transaction(store(BOB, nonce, filler.randbytes(6_000), node.genesis_hash))
        world.author_block()
        location = node.object_location(hash_of(data))
        if isinstance(location, GlobalObject):
            # Mapped only once the chain records every segment it lies in, so clients can verify the pieces.
            recorded = node.best_state.history_size

            def recorded_piece(index: int, recorded: int = recorded) -> bytes | None:
                assert index // PARAMS.num_pieces < recorded, "a piece of a segment the chain does not record yet"
                return archiver.get_piece(index)

            assert read_object(location, recorded_piece, PARAMS) == data
            break
        assert location == data
    assert isinstance(location, GlobalObject)
    assert location == archiver.object_mapping(hash_of(data))
    assert read_object(location, archiver.get_piece, PARAMS) == data
    assert node.object_location(hash_of(b"never stored")) is None
    with pytest.raises(MalformedObjectId):
        node.object_location(b"short")


def test_a_restarted_node_still_locates_pending_and_archived_objects(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "pieces")
    archived = random.Random(4).randbytes(2_000)
    world.node.submit_transaction(store(ALICE, 0, archived, world.node.genesis_hash))
    for nonce in range(20):
        world.node.submit_transaction(store(BOB, nonce, random.Random(nonce).randbytes(6_000), world.node.genesis_hash))
        world.author_block()
        if isinstance(world.node.object_location(hash_of(archived)), GlobalObject):
            break
    pending = b"stored after the last archived segment"
    world.node.submit_transaction(store(ALICE, 1, pending, world.node.genesis_hash))
    world.author_block()
    restarted = Node(
        PARAMS, world.genesis, world.node.store, chain.kzg, archiver=world.archiver
    )
    assert restarted.best_hash == world.node.best_hash
    # The restarted node scans from the last segment a block records (which may lag its archiver): either way
    # the location gives the data back.
    location = restarted.object_location(hash_of(archived))
    assert location == archived or read_object(location, world.archiver.get_piece, PARAMS) == archived
    assert restarted.object_location(hash_of(pending)) == pending


class CountingPieces:
    def __init__(self, archiver: Archiver) -> None:
        self.archiver = archiver
        self.fetched: list[int] = []

    def get_piece(self, piece_index: int) -> bytes | None:
        self.fetched.append(piece_index)
        return self.archiver.get_piece(piece_index)


class BatchingPieces(CountingPieces):
    """A getter that also fetches batches (as PieceGetter.get_pieces does, checking each batch at once)."""

    def __init__(self, archiver: Archiver) -> None:
        super().__init__(archiver)
        self.batches: list[list[int]] = []

    def get_pieces(self, piece_indexes: list[int]) -> list[bytes | None]:
        self.batches.append(list(piece_indexes))
        return [self.archiver.get_piece(index) for index in piece_indexes]


class NoPieces:
    def get_piece(self, piece_index: int) -> bytes | None:
        return None


def test_the_object_client_puts_and_gets_a_multi_chunk_object(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "pieces")
    link, pieces, clock = CoreLink(world.node), CountingPieces(world.archiver), ManualClock()

    def sleep(seconds: float) -> None:
        clock.advance(seconds)
        world.author_block()

    client = ObjectClient(link, pieces, PARAMS, chunk_size=2_000, clock=clock, sleep=sleep)
    data = random.Random(3).randbytes(9_000)
    progress: list[tuple[int, int]] = []
    object_id = client.put(data, DEV, on_progress=lambda done, total: progress.append((done, total)))
    plan = plan_object(data, 2_000)
    assert object_id == plan.object_id
    assert len(link.submitted) == len(plan.payloads) == 6
    assert progress[0] == (0, 9_000) and progress[-1] == (9_000, 9_000)
    assert client.stat(object_id) == ObjectInfo(9_000, 5)
    assert client.get(object_id) == data  # straight from the block
    assert pieces.fetched == []
    assert client.put(data, DEV) == object_id  # already stored: nothing is submitted again
    assert len(link.submitted) == 6
    while not all(isinstance(world.node.object_location(payload_id), GlobalObject) for payload_id in
                  [plan_object(payload[1:]).object_id for payload in plan.payloads[:-1]] + [object_id]):  # fmt: skip
        world.author_block()
    reader = ObjectClient(link, pieces, PARAMS)
    seen: list[tuple[int, int]] = []
    chunks = list(reader.iter_object(object_id, on_progress=lambda done, total: seen.append((done, total))))
    assert b"".join(chunks) == data
    assert [len(chunk) for chunk in chunks] == [2_000] * 4 + [1_000]
    assert seen[-1] == (9_000, 9_000)
    assert len(pieces.fetched) > 0
    # Chunks share boundary pieces; each is fetched (and checked) once per get, the root's piece aside.
    chunk_fetches = pieces.fetched[1:] if len(pieces.fetched) > 1 else pieces.fetched
    assert len(chunk_fetches) == len(set(chunk_fetches)), pieces.fetched
    # A getter with batches: the pieces of the next chunks come in one batch, each piece once, and only the
    # root's piece is fetched on its own (a batch of one).
    batching = BatchingPieces(world.archiver)
    link.located.clear()
    assert ObjectClient(link, batching, PARAMS).get(object_id) == data
    assert len(batching.batches) == 2 and len(batching.batches[0]) == 1 and batching.fetched == []
    assert len(link.located) == 1 + 5  # the root, then each chunk once: prefetching locates them for the reads
    assert len(batching.batches[1]) == len(set(batching.batches[1])) >= len(set(chunk_fetches))
    with pytest.raises(ObjectUnavailable):
        ObjectClient(link, NoPieces(), PARAMS).get(object_id)
    with pytest.raises(ObjectNotFound):
        reader.stat(hash_of(b"unknown"))
    with pytest.raises(ObjectNotFound):
        reader.iter_object(hash_of(b"unknown"))


def test_a_put_that_never_lands_times_out_naming_what_is_missing(chain: ChainSetup) -> None:
    world = Chain(chain)
    clock = ManualClock()
    client = ObjectClient(CoreLink(world.node), NoPieces(), PARAMS, clock=clock, sleep=clock.advance, poll_interval=0.5)
    data = b"waiting for a block that never comes"
    with pytest.raises(ObjectPutTimeout, match=plan_object(data).object_id.hex()):
        client.put(data, DEV, wait_seconds=2.0)
    assert clock.monotonic() >= 2.0
    assert len(world.node.pooled_transactions) == 1


class RefusalsLink(CoreLink):
    """A CoreLink that also records the reasons of the submissions the node refused."""

    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.refused: list[str] = []

    def submit_transaction(self, transaction: bytes) -> bytes:
        try:
            return super().submit_transaction(transaction)
        except RejectedTransaction as error:
            self.refused.append(error.reason)
            raise


def test_a_put_paces_its_payloads_to_the_pools_bound_per_sender(chain: ChainSetup) -> None:
    world = Chain(chain, pool_bounds={"max_sender_transactions": 2})
    link, clock, blocks = RefusalsLink(world.node), ManualClock(), []

    def sleep(seconds: float) -> None:
        clock.advance(seconds)
        blocks.append(world.author_block())

    client = ObjectClient(link, NoPieces(), PARAMS, chunk_size=2_000, clock=clock, sleep=sleep, poll_interval=0.5)
    data = random.Random(5).randbytes(9_000)
    progress: list[tuple[int, int]] = []
    object_id = client.put(data, DEV, on_progress=lambda done, total: progress.append((done, total)))
    plan = plan_object(data, 2_000)
    assert object_id == plan.object_id and len(plan.payloads) == 6
    assert REJECT_SENDER_FULL in link.refused
    # Every payload reached a block once, in order, with consecutive nonces, two blocks' worth at a time.
    stored = [transaction for block in blocks for transaction in block.transactions]
    assert [transaction.call.data for transaction in stored] == list(plan.payloads)
    assert [transaction.nonce for transaction in stored] == list(range(6))
    assert max(len(block.transactions) for block in blocks) == 2
    assert len(link.submitted) - len(link.refused) == 6
    assert progress[0] == (0, 9_000) and progress[-1] == (9_000, 9_000)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert client.get(object_id) == data
    assert world.node.account(DEV.public_key)[1] == 6


def test_a_paced_put_still_times_out_and_other_refusals_still_raise(chain: ChainSetup) -> None:
    world = Chain(chain, pool_bounds={"max_sender_transactions": 1})
    clock = ManualClock()
    client = ObjectClient(
        RefusalsLink(world.node), NoPieces(), PARAMS, chunk_size=2_000, clock=clock, sleep=clock.advance
    )
    data = random.Random(6).randbytes(5_000)
    with pytest.raises(ObjectPutTimeout, match="4 of 4 payloads"):
        client.put(data, DEV, wait_seconds=3.0)
    assert clock.monotonic() >= 3.0
    assert len(world.node.pooled_transactions) == 1
    with pytest.raises(RejectedTransaction) as caught:
        client.put(b"from an account with no funds", CAROL)
    assert caught.value.reason == REJECT_INSUFFICIENT_BALANCE


def test_the_dev_account_is_deterministic_and_signs() -> None:
    assert dev_account().public_key == DEV.public_key
    assert dev_account().seed == blake3.blake3(b"autonomys dev account").digest()
    assert len(DEV.sign(b"message")) == 64


def test_the_node_service_submits_and_locates(chain: ChainSetup, tmp_path: Path) -> None:
    from autonomys.actors.consensus.node_service import NodeConfig, NodeService

    mapped = GlobalObject(hash_of(b"archived"), 0, 3)

    class Archive:
        def on_confirmed_block(self, number: int, block: bytes) -> list:
            return []

        def segment_headers_for_block(self, number: int) -> list:
            return []

        def object_mapping(self, object_hash: bytes) -> GlobalObject | None:
            return mapped if object_hash == mapped.hash else None

    genesis = make_genesis(chain.headers, [ALICE.public_key], solution_range=SOLUTION_RANGE)
    setup = KzgSetup(num_g1_powers=PARAMS.record_num_chunks, cache_dir=str(tmp_path / "kzg"))
    config = NodeConfig(str(tmp_path), PARAMS, genesis, archiver="archiver", kzg_setup=setup)
    service = NodeService(config, LocalLinks({"archiver": Archive()}))
    try:
        with pytest.raises(RejectedTransaction) as caught:
            service.submit_transaction(b"junk")
        assert caught.value.reason == REJECT_UNDECODABLE
        transaction = store(ALICE, 0, b"x", service.node.genesis_hash)
        assert service.submit_transaction(transaction.to_bytes()) == bytes(transaction.hash())
        assert service.account(ALICE.public_key) == (ENDOWMENT, 1)
        assert service.object_location(hash_of(b"x")) is None
        assert service.object_location(mapped.hash) == mapped
        with pytest.raises(MalformedObjectId):
            service.object_location(b"\x00" * 31)
    finally:
        service.shutdown()
