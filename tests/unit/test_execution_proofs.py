"""Execution proofs: every phase of a derived domain block (balances and EVM runtimes) re-executes from its proof
alone to the trace's root; a wrong claimed root is told apart; a proof missing a node, carrying an unused one or
with a changed byte is refused; the proof's encoding round-trips and rejects malformed bytes."""

from __future__ import annotations

import pytest
import sr25519
from hypothesis import given
from hypothesis import strategies as st
from test_domain_execution import bundle_of

from autonomys.protocol.domains.execution import ParentBlock, decode_opaque, derive_domain_block, encode_opaque
from autonomys.protocol.domains.execution_proofs import (
    ExecutionPhase,
    InvalidExecutionProof,
    PhaseKind,
    StorageProof,
    execute_trace,
    node_hasher,
    prove_phase,
    verify_phase,
)
from autonomys.protocol.domains.receipts import genesis_receipt
from autonomys.protocol.domains.registry import compute_domain_genesis
from autonomys.protocol.domains.runtime import DomainBlockContext, runtime_named
from autonomys.protocol.domains.runtime_balances import sign_transfer
from autonomys.protocol.errors import DecodeError

AI3 = 10**18
DOMAIN = 3
KEYS = [sr25519.pair_from_seed(bytes([index + 1]) * 32) for index in range(4)]
CONTEXT = DomainBlockContext(DOMAIN, 1, bytes([9]) * 32, 7, 1_700_000_000_000, 10, bytes([5]) * 32)


def balances_block():
    runtime = runtime_named("balances")
    genesis = compute_domain_genesis("balances", DOMAIN, [(public, 10 * AI3) for public, _ in KEYS])
    receipt = genesis_receipt(genesis.root)
    parent = ParentBlock(receipt.domain_block_hash, genesis.root, receipt.hash())
    transfers = [sign_transfer(DOMAIN, KEYS[i], 0, KEYS[(i + 1) % 4][0], AI3).to_bytes() for i in range(3)]
    nodes = dict(genesis.created)
    block = derive_domain_block(runtime, nodes, parent, CONTEXT, [bundle_of(transfers)], bytes(16), 2**256 - 1)
    return runtime, nodes, genesis.root, block


def evm_block():
    pytest.importorskip("eth")
    eth_account = pytest.importorskip("eth_account")
    from test_runtime_evm import bundle as evm_bundle
    from test_runtime_evm import deploy_code

    runtime = runtime_named("evm")
    accounts = [eth_account.Account.from_key(bytes([index + 1]) * 32) for index in range(3)]
    balances = [(bytes.fromhex(account.address[2:]), 10 * AI3) for account in accounts]
    genesis = compute_domain_genesis("evm", DOMAIN, balances, evm_chain_id=870)
    receipt = genesis_receipt(genesis.root)
    parent = ParentBlock(receipt.domain_block_hash, genesis.root, receipt.hash())
    fees = {"chainId": 870, "maxFeePerGas": 4 * 10**9, "maxPriorityFeePerGas": 0, "type": 2, "value": 0}
    store_word = bytes.fromhex("60003560005500")  # stores the first calldata word in slot 0
    transactions = [
        accounts[0].sign_transaction(fees | {"nonce": 0, "gas": 100_000, "data": deploy_code(store_word)}),
        accounts[1].sign_transaction(fees | {"nonce": 0, "gas": 21_000, "to": accounts[2].address, "value": AI3}),
    ]
    raw = [bytes(transaction.raw_transaction) for transaction in transactions]
    nodes = dict(genesis.created)
    block = derive_domain_block(runtime, nodes, parent, CONTEXT, [evm_bundle(raw)], bytes(16), 2**256 - 1)
    return runtime, nodes, genesis.root, block


def phases(extrinsics: int) -> list[ExecutionPhase]:
    apply = [ExecutionPhase(PhaseKind.APPLY_EXTRINSIC, index) for index in range(extrinsics)]
    return [ExecutionPhase(PhaseKind.INITIALIZE_BLOCK), *apply, ExecutionPhase(PhaseKind.FINALIZE_BLOCK)]


@pytest.mark.parametrize("make", [balances_block, evm_block], ids=["balances", "evm"])
def test_every_phase_re_executes_from_its_proof_alone_to_the_trace(make) -> None:
    runtime, nodes, parent_root, block = make()
    trace, extrinsics = block.receipt.execution_trace, block.extrinsics
    assert tuple(execute_trace(runtime, nodes, parent_root, CONTEXT, extrinsics)) == trace
    for phase in phases(len(extrinsics)):
        proof = prove_phase(runtime, nodes, parent_root, CONTEXT, extrinsics, phase)
        pre, post = phase.trace_positions(len(extrinsics))
        assert proof.pre_root == (parent_root if pre is None else trace[pre]) and proof.post_root == trace[post]
        extrinsic = decode_opaque(extrinsics[phase.index]) if phase.kind == PhaseKind.APPLY_EXTRINSIC else b""
        assert verify_phase(runtime, proof.proof, proof.pre_root, CONTEXT, phase, extrinsic) == trace[post]
        # Decoded from its bytes, the proof checks the same.
        again = StorageProof.from_bytes(proof.proof.to_bytes())
        assert verify_phase(runtime, again, proof.pre_root, CONTEXT, phase, extrinsic) == trace[post]


@pytest.mark.parametrize("make", [balances_block, evm_block], ids=["balances", "evm"])
def test_a_wrong_extrinsic_or_context_ends_elsewhere_and_bad_proofs_are_refused(make) -> None:
    runtime, nodes, parent_root, block = make()
    extrinsics = block.extrinsics
    last = len(extrinsics) - 1
    phase = ExecutionPhase(PhaseKind.APPLY_EXTRINSIC, last)
    proof = prove_phase(runtime, nodes, parent_root, CONTEXT, extrinsics, phase)
    extrinsic = decode_opaque(extrinsics[last])
    honest = verify_phase(runtime, proof.proof, proof.pre_root, CONTEXT, phase, extrinsic)
    ordered = sorted(proof.proof.nodes)
    hasher = node_hasher(runtime)
    root_node = next(node for node in ordered if hasher(node) == proof.pre_root)  # every read starts there
    missing = StorageProof(proof.proof.nodes - {root_node})
    with pytest.raises(InvalidExecutionProof, match="lacks"):
        verify_phase(runtime, missing, proof.pre_root, CONTEXT, phase, extrinsic)
    extra = StorageProof(proof.proof.nodes | {b"\x00unrelated node"})
    with pytest.raises(InvalidExecutionProof, match="does not read"):
        verify_phase(runtime, extra, proof.pre_root, CONTEXT, phase, extrinsic)
    changed = bytearray(root_node)
    changed[-1] ^= 1
    tampered = StorageProof(missing.nodes | {bytes(changed)})
    with pytest.raises(InvalidExecutionProof):
        verify_phase(runtime, tampered, proof.pre_root, CONTEXT, phase, extrinsic)
    # A different (inherent) step over the same proof reads other nodes or ends at another root.
    other = decode_opaque(extrinsics[0])
    try:
        assert verify_phase(runtime, proof.proof, proof.pre_root, CONTEXT, phase, other) != honest
    except InvalidExecutionProof:
        pass


def test_a_phase_outside_the_trace_is_refused() -> None:
    with pytest.raises(InvalidExecutionProof, match="outside"):
        ExecutionPhase(PhaseKind.APPLY_EXTRINSIC, 5).trace_positions(5)


@given(st.binary(max_size=200))
def test_storage_proof_decoding_round_trips_or_raises_decode_error(data: bytes) -> None:
    try:
        proof = StorageProof.from_bytes(data)
    except DecodeError:
        return
    assert proof.to_bytes() == data


def test_storage_proof_nodes_must_be_a_sorted_set() -> None:
    node_a, node_b = b"\x01a", b"\x02b"
    good = StorageProof(frozenset([node_a, node_b])).to_bytes()
    assert good == bytes([8]) + encode_opaque(node_a) + encode_opaque(node_b)
    with pytest.raises(DecodeError, match="ascending"):
        StorageProof.from_bytes(bytes([8]) + encode_opaque(node_b) + encode_opaque(node_a))
