"""Fraud proofs: the size of an InvalidStateTransition proof and the time to verify it from proofs alone, against
re-executing the disputed extrinsic directly over the full state (the floor).

    python benchmarks/fraud_proofs.py [--accounts 2000] [--repeats 20]

For the balances runtime (an sr25519 transfer) and the EVM runtime (a native transfer and a StakeToken-style
storage-writing call), over a genesis of `--accounts` funded accounts: a block of one bundle is derived, its
receipt's root after the last transaction is replaced, and the proof of that step is built and verified. The
floor runs the same step (check + apply + state root) over the node store the operator has.

A second table covers every variant (balances runtime, a block of three bundles, the third one invalid): for each
kind of lie, the proof protocol.domains.fraud_prover `prove_fraud` builds, its encoded size, the median time of
`verify_fraud_proof` and of the cheapest direct recomputation over the operator's full state (the floor): the
disputed extrinsic re-executed (0), the bundle's digest derived (1), the ordered trie root of the block's
extrinsics (2), the bundle's own check (3: the pre-dispatch checks of its first transactions, one decode, the
weight sum), the header hash (4), the value read from the final state (5, 6).
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
from autonomys.protocol.domains.fraud_evidence import ConsensusEvidence
from autonomys.protocol.domains.fraud_proofs import (
    FraudProof,
    derive_domain_block_hash,
    prove_invalid_state_transition,
    verify_fraud_proof,
    verify_invalid_state_transition,
)
from autonomys.protocol.domains.fraud_proofs_bundles import (
    compute_bundle_digest_entries,
    find_first_illegal,
    is_decodable,
)
from autonomys.protocol.domains.fraud_prover import prove_fraud
from autonomys.protocol.domains.receipts import (
    BundleValidity,
    ChainId,
    ExecutionReceipt,
    InvalidBundleKind,
    InvalidBundleType,
    Transfers,
    compute_valid_bundle_digest,
    genesis_receipt,
)
from autonomys.protocol.domains.registry import compute_domain_genesis
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainRuntime, runtime_named
from autonomys.protocol.domains.runtime_balances import sign_transfer
from autonomys.protocol.domains.substrate_trie import ordered_trie_root

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


def _with_entry(receipt: ExecutionReceipt, index: int, validity: BundleValidity) -> ExecutionReceipt:
    inboxed = list(receipt.inboxed_bundles)
    inboxed[index] = replace(inboxed[index], bundle=validity)
    return replace(receipt, inboxed_bundles=tuple(inboxed))


def variant_rows(keys: list[tuple[bytes, bytes]], repeats: int) -> list[str]:
    """One row per kind of lie (module docstring), balances runtime."""
    runtime = runtime_named("balances")
    genesis = compute_domain_genesis("balances", DOMAIN, [(k[0], 10 * AI3) for k in keys])
    nodes = dict(genesis.created)
    parent = genesis_receipt(genesis.root)
    transfers = [sign_transfer(DOMAIN, keys[i], 0, keys[i + 1][0], AI3).to_bytes() for i in range(9)]
    bundles = [unlimited_bundle(transfers[0:4], runtime), unlimited_bundle(transfers[4:8], runtime),
               unlimited_bundle([transfers[8], transfers[8]], runtime)]  # fmt: skip  # a replay: IllegalTx(1)
    evidence = ConsensusEvidence(CONTEXT, bytes(16), 2**256 - 1, tuple(b.sealed_header.pre_hash() for b in bundles))
    block = derive_domain_block(
        runtime, nodes, ParentBlock(parent.domain_block_hash, genesis.root, parent.hash()), CONTEXT, bundles,
        evidence.consensus_pot_output, evidence.tx_range,
    )  # fmt: skip
    honest, last = block.receipt, len(block.extrinsics) - 1
    final_nodes = {**nodes, **block.changes.created}
    pre_root, pre_nodes = _pre_state(runtime, nodes, genesis.root, block.extrinsics, last)
    step_nodes = {**nodes, **pre_nodes}

    def re_execute() -> None:
        state = runtime.open_state(step_nodes, pre_root)
        phase = ExecutionPhase(PhaseKind.APPLY_EXTRINSIC, last)
        execute_phase(runtime, state, CONTEXT, phase, decode_opaque(block.extrinsics[last]))

    trace = list(honest.execution_trace)
    trace[last + 1] = bytes([0xEE]) * 32
    lies: list[tuple[str, ExecutionReceipt, Callable[[], object]]] = [
        ("0 InvalidStateTransition (last extrinsic)", replace(honest, execution_trace=tuple(trace)), re_execute),
        ("1 ValidBundle (4 transfers)", _with_entry(honest, 0, BundleValidity(bundle_digest_hash=bytes(32))),
         lambda: compute_valid_bundle_digest(compute_bundle_digest_entries(runtime, bundles[0].extrinsics))),
        ("2 InvalidExtrinsicsRoot (3 bundles)", replace(honest, domain_block_extrinsic_root=bytes(32)),
         lambda: ordered_trie_root(block.extrinsics)),
        ("3 InvalidBundles IllegalTx (bundle + execution)",
         _with_entry(honest, 2, BundleValidity(bundle_digest_hash=bytes(32))),
         lambda: find_first_illegal(runtime, runtime.open_state(nodes, genesis.root), bundles[2].extrinsics, CONTEXT)),
        ("3 InvalidBundles UndecodableTx (extrinsic)",
         _with_entry(honest, 0, BundleValidity(invalid_bundle_type=InvalidBundleType(InvalidBundleKind.UNDECODABLE_TX, 0))),
         lambda: is_decodable(runtime, bundles[0].extrinsics[0])),
        ("3 InvalidBundles InvalidBundleWeight (bundle)",
         _with_entry(honest, 0, BundleValidity(invalid_bundle_type=InvalidBundleType(InvalidBundleKind.INVALID_BUNDLE_WEIGHT))),
         lambda: [runtime.weight(decode_opaque(x)) for x in bundles[0].extrinsics]),
        ("4 InvalidDomainBlockHash", replace(honest, domain_block_hash=bytes(32)),
         lambda: derive_domain_block_hash(honest, parent)),
        ("5 InvalidBlockFees", replace(honest, block_fees=replace(honest.block_fees, burned_balance=1)),
         lambda: runtime.read_block_fees(runtime.open_state(final_nodes, honest.final_state_root))),
        ("6 InvalidTransfers", replace(honest, transfers=Transfers(transfers_in=((ChainId(), 1),))),
         lambda: runtime.read_transfers(runtime.open_state(final_nodes, honest.final_state_root))),
    ]  # fmt: skip
    rows = []
    for name, bad, floor_action in lies:
        fraud = prove_fraud(runtime, nodes, evidence, bundles, parent, bad)
        assert fraud is not None
        decoded = FraudProof.from_bytes(fraud.to_bytes())
        verify = median_seconds(lambda: verify_fraud_proof(runtime, decoded, bad, parent, evidence), repeats)  # noqa: B023
        floor = median_seconds(floor_action, repeats)
        rows.append(
            f"| {name} | {len(fraud.to_bytes()):,} B | {verify * 1e3:.3f} ms | {floor * 1e3:.3f} ms | {verify / floor:.1f}× |"
        )
    return rows


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
    print()
    print("| variant (balances) | proof size | verify | direct recomputation (floor) | ratio |")
    print("|---|---|---|---|---|")
    print("\n".join(variant_rows(keys, arguments.repeats)))


if __name__ == "__main__":
    main()
