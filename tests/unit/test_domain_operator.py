"""Two operators of one domain against an in-process node: elections, bundles in authored blocks, domain blocks
derived byte-identically by both, receipts confirmed, transfers through the domain pool, restart without
re-execution."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sr25519
from test_node import Farmers

from autonomys.actors.consensus.node import Node
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.domains.operator import Operator, OperatorIdentity, RejectedDomainTransaction
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.consensus.chain_ledger import DomainGenesis, GenesisOperator
from autonomys.protocol.consensus.chain_state import genesis_state
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.domains.fixed_point import Percent
from autonomys.protocol.domains.registry import DomainConfig
from autonomys.protocol.domains.runtime_balances import ACCOUNT_PREFIX, DomainAccount, sign_transfer
from autonomys.protocol.domains.staking_types import OperatorAllowList, OperatorConfig
from autonomys.protocol.params import MINIMAL
from helpers.farms import plotted_farm
from helpers.history import ArchivedHistory

PARAMS = dataclasses.replace(MINIMAL, confirmation_depth_k=3)
AI3 = 10**18
SEEDS = [bytes([0x50 + index]) * 32 for index in range(2)]
USERS = [sr25519.pair_from_seed(bytes([0x70 + index]) * 32) for index in range(2)]
OWNERS = [sr25519.pair_from_seed(bytes([0x30 + index]) * 32) for index in range(2)]
BALANCES = tuple((user[0], 100 * AI3) for user in USERS)
CONFIG = DomainConfig("dev", 0, None, (1, 1), OperatorAllowList(), BALANCES)


@pytest.fixture(scope="module")
def farm_dirs(tmp_path_factory: pytest.TempPathFactory, history: ArchivedHistory, setup: KzgSetup) -> list[Path]:
    root = tmp_path_factory.mktemp("farms")
    return [plotted_farm(root / "farm0", history, setup, 2, MINIMAL)]


@pytest.fixture
def farmers(farm_dirs: list[Path], setup: KzgSetup):
    cores = [
        FarmerCore(Farm.open(path), load_kzg(setup), Farm.open(path).identity.public_key, "farm0") for path in farm_dirs
    ]
    yield Farmers(cores)
    for core in cores:
        core.farm.close()


def make_node(history: ArchivedHistory, farmers: Farmers, setup: KzgSetup) -> Node:
    operators = tuple(
        GenesisOperator(owner[0], OperatorConfig(sr25519.pair_from_seed(seed)[0], AI3, Percent(5)), 100 * AI3)
        for owner, seed in zip(OWNERS, SEEDS, strict=True)
    )
    endowments = {core.farm.identity.public_key: AI3 for core in farmers.cores} | {owner[0]: 10**22 for owner in OWNERS}
    genesis = genesis_state(
        PARAMS, endowments=endowments, solution_range=U64_MAX // 4, pot_slot_iterations=PARAMS.pot_slot_iterations,
        segment_headers=history.archiver.segment_headers(), domains=[DomainGenesis(OWNERS[0][0], CONFIG, operators)],
    )  # fmt: skip
    return Node(PARAMS, genesis, NodeStore(MemoryKVStore()), load_kzg(setup), signer=farmers.sign)


def operator(node: Node, index: int, store: MemoryKVStore | None = None) -> Operator:
    identity = OperatorIdentity(0, index, SEEDS[index], BALANCES)
    witnesses = iter(range(10**6))  # deterministic VRF proofs, so the transaction ranges the test sees repeat
    witness = lambda: next(witnesses).to_bytes(8, "little") * 8  # noqa: E731
    return Operator(PARAMS, identity, store if store is not None else MemoryKVStore(), node, witness)


def run(node: Node, farmers: Farmers, operators: list[Operator], slots: range) -> None:
    for slot in slots:
        for solution in farmers.solutions(node, slot):
            node.on_solution(solution)
        for each in operators:
            each.step()
        node.author_ready_blocks()


def test_two_operators_derive_identical_blocks_and_receipts_get_confirmed(history, farmers, setup) -> None:
    node = make_node(history, farmers, setup)
    operators = [operator(node, 0), operator(node, 1)]
    transfer = sign_transfer(0, USERS[0], 0, USERS[1][0], 5 * AI3).to_bytes()
    tx_hash = operators[0].submit_transaction(transfer)
    assert operators[0].transaction_status(tx_hash) == "pooled"
    with pytest.raises(RejectedDomainTransaction):
        operators[0].submit_transaction(transfer[:-1] + bytes([transfer[-1] ^ 1]))
    run(node, farmers, operators, range(1, 60))
    for each in operators:
        each.follow(node.best_state.number)
    heads = [each.chain.head_number() for each in operators]
    assert heads[0] == heads[1] >= 3
    for number in range(1, heads[0] + 1):
        assert (
            operators[0].chain.block(number).receipt.to_bytes() == operators[1].chain.block(number).receipt.to_bytes()
        )
    view = node.domain_view(0)
    assert view.head_domain_number == heads[0]
    assert view.head_receipt_number >= heads[0] - 1
    assert sum(each.counters.bundles_submitted for each in operators) >= heads[0]
    # The transfer went into a bundle whose transaction range held its signer, and both operators executed it.
    assert operators[0].transaction_status(tx_hash).startswith("in domain block")
    for each in operators:
        receiver = DomainAccount.from_bytes(each.read(ACCOUNT_PREFIX + USERS[1][0]))
        assert receiver.balance == 105 * AI3


def test_a_restarted_operator_resumes_without_executing_again(history, farmers, setup) -> None:
    node = make_node(history, farmers, setup)
    store = MemoryKVStore()
    first = operator(node, 0, store)
    run(node, farmers, [first], range(1, 30))
    first.follow(node.best_state.number)
    tip, head = first.chain.tip(), first.chain.head_number()
    assert head >= 1
    restarted = operator(node, 0, store)
    assert restarted.chain.tip() == tip and restarted.chain.head_number() == head
    calls = []
    original = node.domain_block_input
    node.domain_block_input = lambda number: calls.append(number) or original(number)  # type: ignore[method-assign]
    restarted.follow(node.best_state.number)
    assert calls == [tip[0] + 1] if node.best_state.number > tip[0] else calls == []
    balance = restarted.read(ACCOUNT_PREFIX + USERS[0][0])
    assert balance is not None and DomainAccount.from_bytes(balance).balance == 100 * AI3
