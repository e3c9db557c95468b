"""The node's authenticated state: accounts read with proofs against block headers at any kept block, states
pruned outside the window (archive mode keeps all), a restart that reopens the state from the store without
replaying a block, and a store of an older release refused in one line. Real Node core and Archiver; no Ray."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from autonomys.actors.consensus import block_import
from autonomys.actors.consensus.node import Node, NodeLimits
from autonomys.actors.consensus.node_service import NodeConfig, _open_node
from autonomys.actors.consensus.node_store import FORMAT_KEY, STORE_FORMAT, NodeStore, StoreFormatMismatch
from autonomys.actors.errors import CorruptStore, StateNotKept
from autonomys.actors.storage import MemoryKVStore, RocksKVStore
from autonomys.protocol.consensus.chain_state import account_key, decode_account, get_account
from autonomys.protocol.consensus.state_proofs import verify_state_proof
from autonomys.protocol.errors import InvalidStateProof
from autonomys.protocol.params import MINIMAL
from helpers.chain import ALICE, BOB, CAROL, ChainSetup, make_chain_setup, transfer
from helpers.node_world import Chain

PARAMS = dataclasses.replace(MINIMAL, confirmation_depth_k=2)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> ChainSetup:
    return make_chain_setup(Path(tmp_path_factory.mktemp("history")))


def send(world: Chain, nonce: int, amount: int) -> None:
    world.node.submit_transaction(transfer(ALICE, nonce, CAROL.public_key, amount, world.node.genesis_hash))


def grow(world: Chain, blocks: int) -> None:
    """Author `blocks` blocks, each paying CAROL one more Shannon than the last."""
    paid = get_account(world.node.best_state, ALICE.public_key).nonce
    for index in range(blocks):
        send(world, paid + index, paid + index + 1)
        world.author_block()


def balance_at(node: Node, number: int | None) -> int | None:
    proof = node.state_proof(account_key(CAROL.public_key), number)
    value = verify_state_proof(proof, node.tree.canonical_hash(proof.block_number))
    return None if value is None else decode_account(value).balance


def test_proofs_at_the_best_and_older_kept_blocks(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "pieces", PARAMS, limits=NodeLimits(state_window=6))
    assert balance_at(world.node, 0) is None  # genesis: proven against the genesis hash, no header
    grow(world, 8)
    node = world.node
    assert balance_at(node, None) == sum(range(1, 9)) == node.account(CAROL.public_key)[0]
    for number in range(2, 9):  # the last six states below the best, and the best
        assert balance_at(node, number) == sum(range(1, number + 1))
    proof = node.state_proof(account_key(BOB.public_key), 5)
    assert (
        decode_account(verify_state_proof(proof) or b"").balance == get_account(node.best_state, BOB.public_key).balance
    )
    absent = node.state_proof(account_key(bytes(32)), None)
    assert verify_state_proof(absent) is None


def test_states_outside_the_window_are_pruned_by_name(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "pieces", PARAMS)  # the default: the unfinalized states only
    grow(world, 8)
    node = world.node
    oldest = node.states.oldest_kept()
    assert oldest == node.archive.number == 8 - PARAMS.confirmation_depth_k
    assert balance_at(node, oldest) == sum(range(1, oldest + 1))
    for number in (0, 1, oldest - 1):
        with pytest.raises(StateNotKept, match=f"block {number} is pruned.*from block {oldest}"):
            node.state_proof(account_key(CAROL.public_key), number)
    with pytest.raises(StateNotKept, match="not in the best chain"):
        node.state_proof(account_key(CAROL.public_key), 9)


def test_archive_mode_keeps_every_state(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "pieces", PARAMS, limits=NodeLimits(state_window=None))
    grow(world, 8)
    assert [balance_at(world.node, number) for number in range(9)] == [
        None,
        *(sum(range(1, n + 1)) for n in range(1, 9)),
    ]


def test_a_proof_names_its_block_and_rejects_another(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, tmp_path / "pieces", PARAMS)
    grow(world, 3)
    proof = world.node.state_proof(account_key(CAROL.public_key), None)
    other = world.node.tree.canonical_hash(2)
    with pytest.raises(InvalidStateProof, match="not of"):
        verify_state_proof(proof, other)
    forged = [
        dataclasses.replace(proof, header=proof.header[:-1] + bytes([proof.header[-1] ^ 1])),
        dataclasses.replace(proof, block_number=2),
        dataclasses.replace(proof, state_root=bytes(32)),
        dataclasses.replace(proof, header=b""),
        dataclasses.replace(proof, nodes=proof.nodes[:-1]),
        dataclasses.replace(proof, key=account_key(ALICE.public_key)),
    ]
    for candidate in forged:
        with pytest.raises(InvalidStateProof):
            verify_state_proof(candidate)


def test_a_restart_reopens_the_state_without_replaying(
    chain: ChainSetup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rocks = RocksKVStore(tmp_path / "node")
    world = Chain(chain, tmp_path / "pieces", PARAMS, store=NodeStore(rocks))
    grow(world, 6)
    before = world.node.best_state
    rocks.close()

    def replayed(*args: object, **kwargs: object) -> None:
        raise AssertionError("a restart must not execute blocks")

    with monkeypatch.context() as patched:
        patched.setattr(block_import, "import_block", replayed)
        store = NodeStore(RocksKVStore(tmp_path / "node"))
        sign = world.author.keypair.sign
        restarted = Node(
            PARAMS, world.genesis, store, chain.kzg, archiver=world.archiver,
            signer=lambda public_key, message: sign(message),
        )  # fmt: skip
    assert restarted.best_state == before
    assert get_account(restarted.best_state, CAROL.public_key).balance == sum(range(1, 7))
    assert balance_at(restarted, None) == sum(range(1, 7))
    world.node = restarted  # and the chain goes on from the reopened state
    grow(world, 2)
    assert restarted.best_state.number == 8
    store.close()


def test_a_store_of_an_older_release_is_refused_in_one_line(chain: ChainSetup, tmp_path: Path) -> None:
    world = Chain(chain, None, PARAMS)
    old = RocksKVStore(tmp_path / "node-node")
    old.put(b"node/best", bytes(32))  # a chain written before the store had a format
    old.close()
    config = NodeConfig(str(tmp_path), PARAMS, world.genesis)
    with pytest.raises(CorruptStore) as raised:
        _open_node(config, world.genesis, chain.kzg, None, lambda public_key, message: b"")
    message = str(raised.value)
    assert "\n" not in message
    assert "older release" in message and "fresh --data-dir" in message and "format 1" in message
    reopened = RocksKVStore(tmp_path / "node-node")  # nothing was written, and the lock was released
    assert reopened.get(FORMAT_KEY) is None
    reopened.close()


def test_a_store_format_is_written_once_and_checked() -> None:
    memory = MemoryKVStore()
    NodeStore(memory).check_format()
    NodeStore(memory).check_format()
    memory.put(FORMAT_KEY, (STORE_FORMAT + 1).to_bytes(4, "little"))
    with pytest.raises(StoreFormatMismatch, match=f"format {STORE_FORMAT + 1}"):
        NodeStore(memory).check_format()
