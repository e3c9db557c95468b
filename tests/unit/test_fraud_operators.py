"""A lying operator against an in-process node, one run per fault kind: the honest operator's watcher proves
the first bad receipt, the node includes the proof, the liar is slashed (never the honest one), the honest
operator catches the receipts up with singleton receipts, and the domain ends where an all-honest run of the same
transactions ends."""

from __future__ import annotations

import pytest
from test_domain_operator import (  # noqa: F401 - the fixtures
    AI3,
    BALANCES,
    PARAMS,
    SEEDS,
    USERS,
    farm_dirs,
    farmers,
    make_node,
    run,
)

from autonomys.actors.domains.operator import Operator, OperatorIdentity
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.consensus.chain_ledger import ChainLedger
from autonomys.protocol.consensus.chain_state import StateWriter
from autonomys.protocol.domains.faults import FAULT_KINDS
from autonomys.protocol.domains.runtime_balances import ACCOUNT_PREFIX, DomainAccount, sign_transfer
from autonomys.protocol.domains.staking import slashed_reason

SLOTS = range(1, 90)


def operator(node, index: int, fault: str | None = None) -> Operator:
    identity = OperatorIdentity(0, index, SEEDS[index], BALANCES)
    witnesses = iter(range(10**6))
    witness = lambda: next(witnesses).to_bytes(8, "little") * 8  # noqa: E731
    return Operator(PARAMS, identity, MemoryKVStore(), node, witness, fault=fault)


def balances(operator: Operator) -> list[int]:
    return [DomainAccount.from_bytes(operator.read(ACCOUNT_PREFIX + user[0])).balance for user in USERS]


def transfer(operators: list[Operator]) -> None:
    operators[0].submit_transaction(sign_transfer(0, USERS[0], 0, USERS[1][0], 5 * AI3).to_bytes())


@pytest.fixture(scope="module")
def honest_balances(history, farm_dirs, setup) -> list[int]:  # noqa: F811
    from test_node import Farmers

    from autonomys.actors.farming.farm import Farm
    from autonomys.actors.farming.farmer_core import FarmerCore
    from autonomys.actors.kzg_setup import load_kzg

    cores = [
        FarmerCore(Farm.open(path), load_kzg(setup), Farm.open(path).identity.public_key, "farm0") for path in farm_dirs
    ]
    try:
        node = make_node(history, Farmers(cores), setup)
        operators = [operator(node, 0), operator(node, 1)]
        transfer(operators)
        run(node, Farmers(cores), operators, SLOTS)
        operators[0].follow(node.best_state.number)
        return balances(operators[0])
    finally:
        for core in cores:
            core.farm.close()


@pytest.mark.parametrize("fault", FAULT_KINDS)
def test_a_lying_operator_is_proven_wrong_slashed_and_the_domain_goes_on(
    history,
    farmers,  # noqa: F811
    setup,
    honest_balances,
    fault,
) -> None:
    node = make_node(history, farmers, setup)
    operators = [operator(node, 0), operator(node, 1, fault)]
    transfer(operators)
    run(node, farmers, operators, SLOTS)
    honest, liar = operators
    honest.follow(node.best_state.number)
    view = node.domain_view(0)
    assert liar.counters.lies_submitted >= 1
    assert honest.watcher.counters.fraud_proofs_submitted >= 1, honest.watcher.counters
    assert view.fraud_proofs_accepted >= 1 and view.operators_slashed == 1
    # The proof landed within a few slots of the block that carried the bad receipt.
    proven_in = honest.watcher.counters.proven_in
    assert proven_in and all(1 <= blocks <= 4 and slots <= 24 for blocks, slots in proven_in), proven_in
    ledger = ChainLedger(StateWriter(node.best_state))
    assert slashed_reason(ledger, 1) is not None and slashed_reason(ledger, 1).bad_receipt_hash is not None
    assert slashed_reason(ledger, 0) is None  # the honest operator is never slashed
    # The domain went on: receipts caught up with the blocks, all of them the honest operator's.
    assert view.head_receipt_number >= view.head_domain_number - 1 >= 3
    for number in range(1, view.head_receipt_number + 1):
        node_hash = ledger.get(b"domains/block_tree/" + (0).to_bytes(4, "little") + number.to_bytes(4, "little"))
        assert node_hash is None or node_hash == honest.chain.receipt(number).hash()
    assert balances(honest) == honest_balances
