"""Fraud proofs: the size of an InvalidStateTransition proof and the time to verify it from proofs alone, against
re-executing the disputed extrinsic directly over the full state (the floor).

    python benchmarks/fraud_proofs.py [--accounts 2000] [--repeats 20]

For the balances runtime (an sr25519 transfer) and the EVM runtime (a native transfer and a StakeToken-style
storage-writing call), over a genesis of `--accounts` funded accounts: a block of one bundle is derived, its
receipt's root after the last transaction is replaced, and the proof of that step is built and verified. The
floor runs the same step (check + apply + state root) over the node store the operator has.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace

import sr25519
from eth_account import Account
from evm_domain import unlimited_bundle

from autonomys.protocol.domains.execution import ParentBlock, decode_opaque, derive_domain_block
from autonomys.protocol.domains.execution_proofs import ExecutionPhase, PhaseKind, execute_phase
from autonomys.protocol.domains.fraud_proofs import prove_invalid_state_transition, verify_invalid_state_transition
from autonomys.protocol.domains.receipts import genesis_receipt
from autonomys.protocol.domains.registry import compute_domain_genesis
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainRuntime, runtime_named
from autonomys.protocol.domains.runtime_balances import sign_transfer

AI3 = 10**18
DOMAIN = 3
CONTEXT = DomainBlockContext(DOMAIN, 1, bytes([9]) * 32, 7, 1_700_000_000_000, 10, bytes([5]) * 32)


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(name: str, runtime: DomainRuntime, balances: list[tuple[bytes, int]], transactions: list[bytes],
            chain_id: int | None, repeats: int) -> str:  # fmt: skip
    genesis = compute_domain_genesis(runtime.name, DOMAIN, balances, evm_chain_id=chain_id)
    nodes = dict(genesis.created)
    receipt = genesis_receipt(genesis.root)
    parent = ParentBlock(receipt.domain_block_hash, genesis.root, receipt.hash())
    block = derive_domain_block(
        runtime, nodes, parent, CONTEXT, [unlimited_bundle(transactions, runtime)], bytes(16), 2**256 - 1
    )
    trace = list(block.receipt.execution_trace)
    position = len(trace) - 2  # the last extrinsic's root
    trace[position] = bytes([0xEE]) * 32
    bad = replace(block.receipt, execution_trace=tuple(trace))
    start = time.perf_counter()
    fraud = prove_invalid_state_transition(runtime, nodes, receipt, bad, block.extrinsics, CONTEXT)
    prove_seconds = time.perf_counter() - start
    assert fraud is not None
    verify = median_seconds(
        lambda: verify_invalid_state_transition(runtime, bad, receipt, fraud.proof, CONTEXT), repeats
    )
    # The floor: the same step over the full node store, from the honest pre-state.
    phase = ExecutionPhase(PhaseKind.APPLY_EXTRINSIC, position - 1)
    extrinsic = decode_opaque(block.extrinsics[position - 1])
    pre_root, pre_nodes = _pre_state(runtime, nodes, genesis.root, block.extrinsics, position - 1)
    all_nodes = {**nodes, **pre_nodes}

    def direct() -> None:
        state = runtime.open_state(all_nodes, pre_root)
        runtime.resume_block(state, CONTEXT)
        execute_phase(runtime, state, CONTEXT, phase, extrinsic)

    floor = median_seconds(direct, repeats)
    size = len(fraud.to_bytes())
    nodes_count = len(fraud.proof.execution_proof.nodes)
    return (
        f"| {name} | {size:,} B ({nodes_count} nodes) | {verify * 1e3:.2f} ms | {floor * 1e3:.2f} ms | "
        f"{verify / floor:.2f}× | {prove_seconds * 1e3:.0f} ms |"
    )


def _pre_state(runtime, nodes, root, extrinsics, count):  # type: ignore[no-untyped-def]
    state = runtime.open_state(nodes, root)
    execute_phase(runtime, state, CONTEXT, ExecutionPhase(PhaseKind.INITIALIZE_BLOCK), b"")
    for index in range(count):
        execute_phase(
            runtime, state, CONTEXT, ExecutionPhase(PhaseKind.APPLY_EXTRINSIC, index), decode_opaque(extrinsics[index])
        )
    changes = state.changes()
    return changes.root, dict(changes.created)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=20)
    arguments = parser.parse_args()
    rows = ["| step disputed | proof size | verify from the proof | re-execute directly (floor) | ratio | prove |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    keys = [sr25519.pair_from_seed(index.to_bytes(32, "little")) for index in range(1, arguments.accounts + 1)]
    transfers = [sign_transfer(DOMAIN, keys[i], 0, keys[i + 1][0], AI3).to_bytes() for i in range(4)]
    rows.append(
        measure(
            "balances transfer",
            runtime_named("balances"),
            [(k[0], 10 * AI3) for k in keys],
            transfers,
            None,
            arguments.repeats,
        )
    )
    accounts = [Account.from_key(index.to_bytes(32, "big")) for index in range(1, arguments.accounts + 1)]
    balances = [(bytes.fromhex(a.address[2:]), 10 * AI3) for a in accounts]
    fees = {"chainId": 870, "maxFeePerGas": 4 * 10**9, "maxPriorityFeePerGas": 0, "type": 2}
    evm_transfers = [
        bytes(
            accounts[i]
            .sign_transaction(fees | {"nonce": 0, "gas": 21_000, "to": accounts[i + 1].address, "value": AI3})
            .raw_transaction
        )
        for i in range(4)
    ]
    rows.append(measure("EVM transfer", runtime_named("evm"), balances, evm_transfers, 870, arguments.repeats))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
