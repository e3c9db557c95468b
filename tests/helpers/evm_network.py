"""An EVM domain in one process for the JSON-RPC tests: a consensus node (MINIMAL, in memory) with an EVM genesis
domain endowing Alith, its two operators, and operator 0's JSON-RPC server; `advance(n)` farms the next n slots,
lets both operators derive, and holds the server's lock meanwhile.

py-evm is a dependency of the product; web3 (a test extra) is imported by the tests that use it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sr25519

from autonomys.actors.consensus.node import Node
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.domains.eth_api import EthApi
from autonomys.actors.domains.jsonrpc import JsonRpcDispatcher, JsonRpcServer
from autonomys.actors.domains.operator import Operator, OperatorIdentity
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.consensus.chain_ledger import DomainGenesis, GenesisOperator
from autonomys.protocol.consensus.chain_state import genesis_state
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.domains.fixed_point import Percent
from autonomys.protocol.domains.registry import DomainConfig, DomainRuntimeInfo
from autonomys.protocol.domains.runtime import known_runtime_names
from autonomys.protocol.domains.staking_types import OperatorAllowList, OperatorConfig
from autonomys.protocol.params import Params

AI3 = 10**18
CHAIN_ID = 870
ALITH_KEY = bytes.fromhex("5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133")
ALITH = bytes.fromhex("f24FF3a9CF04c71Dbc94D0b566f7A27B94566cac")
BALANCES = ((ALITH, 1000 * AI3),)
SEEDS = [bytes([0x60 + index]) * 32 for index in range(2)]
OWNER = sr25519.pair_from_seed(bytes([0x31]) * 32)


@dataclass
class EvmNetwork:
    url: str
    advance: Callable[[int], None]
    operators: list[Operator]


def evm_config() -> DomainConfig:
    runtime_id = known_runtime_names().index("evm")
    info = DomainRuntimeInfo.evm(CHAIN_ID)
    return DomainConfig("evm", runtime_id, None, (1, 1), OperatorAllowList(), BALANCES, info)


@contextmanager
def evm_network(
    params: Params, history: Any, farmers: Any, setup: KzgSetup, run: Callable[..., None]
) -> Iterator[EvmNetwork]:
    """The network (module docstring); `run(node, farmers, operators, slots)` farms slots (test_domain_operator's)."""
    operators = tuple(
        GenesisOperator(OWNER[0], OperatorConfig(sr25519.pair_from_seed(seed)[0], AI3, Percent(5)), 100 * AI3)
        for seed in SEEDS
    )
    endowments = {core.farm.identity.public_key: AI3 for core in farmers.cores} | {OWNER[0]: 10**22}
    genesis = genesis_state(
        params, endowments=endowments, solution_range=U64_MAX // 4, pot_slot_iterations=params.pot_slot_iterations,
        segment_headers=history.archiver.segment_headers(), domains=[DomainGenesis(OWNER[0], evm_config(), operators)],
    )  # fmt: skip
    node = Node(params, genesis, NodeStore(MemoryKVStore()), load_kzg(setup), signer=farmers.sign)
    witnesses = iter(range(10**6))
    domain_operators = [
        Operator(
            params,
            OperatorIdentity(0, index, SEEDS[index], BALANCES, "evm", CHAIN_ID),
            MemoryKVStore(),
            node,
            lambda: next(witnesses).to_bytes(8, "little") * 8,
        )  # fmt: skip
        for index in range(2)
    ]
    lock = threading.Lock()
    server = JsonRpcServer(JsonRpcDispatcher(EthApi(domain_operators[0], lock).methods()))
    port = server.start()
    slots = iter(range(1, 10**6))

    def advance(count: int) -> None:
        with lock:
            run(node, farmers, domain_operators, [next(slots) for _ in range(count)])
            for each in domain_operators:
                each.follow(node.best_state.number)

    try:
        yield EvmNetwork(f"http://127.0.0.1:{port}", advance, domain_operators)
    finally:
        server.stop()
