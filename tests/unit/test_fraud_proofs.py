"""InvalidStateTransition fraud proofs: a receipt with one wrong trace root (any phase, balances and EVM
runtimes) gets a proof that verifies from proofs alone; an honest receipt gets none, and a proof aimed at it is
refused; the encoding round-trips; random and mutated proofs are refused with named errors, never accepted."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_execution_proofs import CONTEXT, balances_block, evm_block

from autonomys.protocol.domains.execution_proofs import PhaseKind, StorageProof
from autonomys.protocol.domains.fraud_evidence import ConsensusEvidence
from autonomys.protocol.domains.fraud_proofs import (
    FraudProof,
    InvalidBlockFeesProof,
    InvalidStateTransitionProof,
    Mismatch,
    TracePhase,
    derive_domain_block_hash,
    prove_invalid_block_fees,
    prove_invalid_domain_block_hash,
    prove_invalid_state_transition,
    verify_fraud_proof,
    verify_invalid_block_fees,
    verify_invalid_state_transition,
)
from autonomys.protocol.domains.receipts import genesis_receipt
from autonomys.protocol.errors import DecodeError, InvalidFraudProof

EVIDENCE = ConsensusEvidence(CONTEXT, bytes(16), 2**256 - 1, ())
"""What the consensus chain recorded of the fixtures' consensus block (as they derive it: PoT output 0, every
signer in range; these variants do not read its bundles)."""
MAKERS = pytest.mark.parametrize("make", [balances_block, evm_block], ids=["balances", "evm"])


def setting(make):
    runtime, nodes, parent_root, block = make()
    parent = genesis_receipt(parent_root)
    return runtime, nodes, parent, block.receipt, block.extrinsics


def with_root(receipt, position: int):
    trace = list(receipt.execution_trace)
    trace[position] = bytes([0xEE]) * 32
    return dataclasses.replace(receipt, execution_trace=tuple(trace))


@MAKERS
def test_a_wrong_root_at_any_phase_is_proven_and_the_proof_verifies(make) -> None:
    runtime, nodes, parent, receipt, extrinsics = setting(make)
    assert prove_invalid_state_transition(runtime, nodes, parent, receipt, extrinsics, CONTEXT) is None
    for position in range(len(receipt.execution_trace)):
        bad = with_root(receipt, position)
        fraud = prove_invalid_state_transition(runtime, nodes, parent, bad, extrinsics, CONTEXT)
        assert fraud is not None and fraud.bad_receipt_hash == bad.hash()
        decoded = FraudProof.from_bytes(fraud.to_bytes())
        assert decoded == fraud
        verify_invalid_state_transition(runtime, bad, parent, decoded.proof, CONTEXT)
        # The same proof does not convict the honest receipt.
        with pytest.raises(InvalidFraudProof):
            verify_invalid_state_transition(runtime, receipt, parent, decoded.proof, CONTEXT)


@MAKERS
def test_proofs_of_the_wrong_phase_or_extrinsic_are_refused(make) -> None:
    runtime, nodes, parent, receipt, extrinsics = setting(make)
    bad = with_root(receipt, 3)
    fraud = prove_invalid_state_transition(runtime, nodes, parent, bad, extrinsics, CONTEXT)
    assert fraud is not None and fraud.proof.phase.kind == PhaseKind.APPLY_EXTRINSIC
    phase = fraud.proof.phase
    shifted = dataclasses.replace(phase, position=phase.position + 1)
    outside = dataclasses.replace(phase, position=len(receipt.execution_trace))
    finalize = TracePhase(PhaseKind.FINALIZE_BLOCK)
    no_extrinsic = dataclasses.replace(
        phase, extrinsic_proof=dataclasses.replace(phase.extrinsic_proof, nodes=frozenset())
    )
    for wrong in (shifted, outside, finalize, no_extrinsic):
        with pytest.raises(InvalidFraudProof):
            verify_invalid_state_transition(
                runtime, bad, parent, InvalidStateTransitionProof(fraud.proof.execution_proof, wrong), CONTEXT
            )


def test_shorter_and_longer_claims_are_proven_by_a_match() -> None:
    runtime, nodes, parent, receipt, extrinsics = setting(balances_block)
    honest = prove_invalid_state_transition(runtime, nodes, parent, with_root(receipt, 2), extrinsics, CONTEXT)
    assert honest is not None
    # "Shorter": the last root is an extrinsic's, not finalize's: here it is finalize's, so the claim fails.
    shorter = TracePhase(PhaseKind.APPLY_EXTRINSIC, Mismatch.SHORTER, 0, honest.proof.phase.extrinsic_proof)
    with pytest.raises(InvalidFraudProof):
        verify_invalid_state_transition(
            runtime, receipt, parent, InvalidStateTransitionProof(honest.proof.execution_proof, shorter), CONTEXT
        )


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_random_and_mutated_proofs_never_convict_an_honest_receipt(data: st.DataObject) -> None:
    runtime, nodes, parent, receipt, extrinsics = _HONEST
    encoded = bytearray(_AGAINST_BAD.to_bytes())
    if data.draw(st.booleans()):
        for _ in range(data.draw(st.integers(1, 4))):
            index = data.draw(st.integers(0, len(encoded) - 1))
            encoded[index] = data.draw(st.integers(0, 255))
    else:
        encoded = bytearray(data.draw(st.binary(max_size=300)))
    try:
        fraud = FraudProof.from_bytes(bytes(encoded))
    except DecodeError:
        return
    with pytest.raises(InvalidFraudProof):
        verify_fraud_proof(runtime, fraud, receipt, parent, EVIDENCE)
    with pytest.raises(InvalidFraudProof):
        verify_fraud_proof(
            runtime, dataclasses.replace(fraud, bad_receipt_hash=receipt.hash()), receipt, parent, EVIDENCE
        )


_HONEST = setting(balances_block)
_AGAINST_BAD = prove_invalid_state_transition(*_HONEST[:2], _HONEST[2], with_root(_HONEST[3], 3), _HONEST[4], CONTEXT)


@MAKERS
def test_wrong_block_fees_are_proven_from_the_final_state_and_right_ones_are_not(make) -> None:
    runtime, nodes, parent, receipt, extrinsics = setting(make)
    final_nodes = {**nodes, **_final_changes(make)}
    root = receipt.final_state_root
    assert prove_invalid_block_fees(runtime, final_nodes, 3, receipt, root) is None
    fees = receipt.block_fees
    bad = dataclasses.replace(
        receipt, block_fees=dataclasses.replace(fees, domain_execution_fee=fees.domain_execution_fee + 1)
    )
    fraud = prove_invalid_block_fees(runtime, final_nodes, 3, bad, root)
    assert fraud is not None and isinstance(fraud.proof, InvalidBlockFeesProof)
    decoded = FraudProof.from_bytes(fraud.to_bytes())
    assert decoded == fraud
    verify_invalid_block_fees(runtime, bad, decoded.proof)
    with pytest.raises(InvalidFraudProof, match="are the state's"):
        verify_invalid_block_fees(runtime, receipt, decoded.proof)
    for node in decoded.proof.storage_proof.nodes:
        partial = InvalidBlockFeesProof(
            dataclasses.replace(decoded.proof.storage_proof, nodes=decoded.proof.storage_proof.nodes - {node})
        )
        with pytest.raises(InvalidFraudProof):
            verify_invalid_block_fees(runtime, bad, partial)
    other_root = dataclasses.replace(bad, final_state_root=bytes([0xEE]) * 32)  # a state transition is wrong instead
    assert prove_invalid_block_fees(runtime, final_nodes, 3, other_root, root) is None


def _final_changes(make):
    """The nodes of the block's final state (derive_domain_block's changes, which the operator stores)."""
    return make()[3].changes.created


@MAKERS
def test_a_wrong_domain_block_hash_is_proven_from_the_receipt_alone(make) -> None:
    runtime, _, parent, receipt, _ = setting(make)
    assert derive_domain_block_hash(receipt, parent) == receipt.domain_block_hash
    assert prove_invalid_domain_block_hash(3, receipt, parent) is None
    bad = dataclasses.replace(receipt, domain_block_hash=bytes([0xEE]) * 32)
    fraud = prove_invalid_domain_block_hash(3, bad, parent)
    assert fraud is not None and FraudProof.from_bytes(fraud.to_bytes()) == fraud
    verify_fraud_proof(runtime, fraud, bad, parent, EVIDENCE)
    with pytest.raises(InvalidFraudProof, match="derive"):
        verify_fraud_proof(
            runtime, dataclasses.replace(fraud, bad_receipt_hash=receipt.hash()), receipt, parent, EVIDENCE
        )
    with pytest.raises(DecodeError, match="must be empty"):
        FraudProof.from_bytes(fraud.to_bytes()[:-1] + StorageProof(frozenset([b"\x00"])).to_bytes())


def test_the_operators_genesis_header_is_the_genesis_receipts_block() -> None:
    _, _, parent, _, _ = setting(balances_block)
    from autonomys.protocol.domains.domain_header import DomainHeader

    header = DomainHeader(bytes(32), 0, parent.final_state_root, parent.domain_block_extrinsic_root)
    assert header.hash() == parent.domain_block_hash
