"""The `auto-id` domain runtime: pallet-auto-id calls in the reference's call bytes (0x28 | index | args) inside
signed transactions, executed in a derived domain block with the block's timestamp as `now`; each transaction's
outcome names its event or the pallet's error; a failing call keeps its fee and nonce and changes nothing else;
fraud proofs work over this runtime like any other."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
import sr25519

from autonomys.actors.identity.certificates import Validity, certificate_der, issue_certificate, new_key, sign
from autonomys.protocol.domains.bundles import Bundle, BundleHeader, ProofOfElection, Weight, seal
from autonomys.protocol.domains.execution import ParentBlock, derive_domain_block, encode_opaque
from autonomys.protocol.domains.fraud_evidence import ConsensusEvidence
from autonomys.protocol.domains.fraud_proofs import FraudProof, verify_fraud_proof
from autonomys.protocol.domains.fraud_prover import prove_fraud
from autonomys.protocol.domains.receipts import genesis_receipt
from autonomys.protocol.domains.registry import compute_domain_genesis
from autonomys.protocol.domains.runtime import DomainBlockContext, known_runtime_names, runtime_named
from autonomys.protocol.domains.runtime_auto_id import OUTCOME_ERROR, OUTCOME_EVENT, AutoIdPalletCall
from autonomys.protocol.domains.runtime_balances import sign_call
from autonomys.protocol.domains.substrate_trie import ordered_trie_root
from autonomys.protocol.errors import InvalidFraudProof
from autonomys.protocol.identity.auto_id import (
    DEACTIVATE_AUTO_ID,
    derive_auto_id,
    encode_action_message,
    get_auto_id,
    registration_of,
)
from autonomys.protocol.identity.auto_id_types import (
    DeactivateAutoIdCall,
    RegisterAutoIdCall,
    Signature,
)

AI3 = 10**18
DOMAIN = 2
NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
NOW_MS = int(NOW.timestamp() * 1000)
RELAYER = sr25519.pair_from_seed(bytes([0x21]) * 32)
RUNTIME = runtime_named("auto-id")
ROOT_KEY = new_key("ed25519")
ROOT = certificate_der(issue_certificate("Alice's agency", ROOT_KEY, Validity.days_from(NOW, 30)))
AGENT_KEY = new_key("p256")


def context(number: int, parent_hash: bytes) -> DomainBlockContext:
    return DomainBlockContext(DOMAIN, number, bytes([number]) * 32, number, NOW_MS + 6_000 * number, 1, parent_hash)


def bundle_of(extrinsics: list[bytes]) -> Bundle:
    encoded = [encode_opaque(extrinsic) for extrinsic in extrinsics]
    weight = Weight(sum(RUNTIME.weight(extrinsic).ref_time for extrinsic in extrinsics), sum(map(len, extrinsics)))
    election = ProofOfElection(DOMAIN, 1, bytes(16), bytes(96), 0)
    header = BundleHeader(election, genesis_receipt(bytes(32)), weight, ordered_trie_root(encoded))
    return Bundle(seal(header, sr25519.pair_from_seed(bytes(32))), tuple(encoded))


def transaction(nonce: int, call) -> bytes:
    return sign_call(DOMAIN, RELAYER, nonce, AutoIdPalletCall(call)).to_bytes()


def run_block(extrinsics: list[bytes]):
    genesis = compute_domain_genesis("auto-id", DOMAIN, [(RELAYER[0], 10 * AI3)])
    receipt = genesis_receipt(genesis.root)
    parent = ParentBlock(receipt.domain_block_hash, genesis.root, receipt.hash())
    nodes = dict(genesis.created)
    block = derive_domain_block(
        RUNTIME, nodes, parent, context(1, parent.header_hash), [bundle_of(extrinsics)], bytes(16), 2**256 - 1
    )
    return nodes, receipt, block


def test_the_runtime_is_registered_after_the_others_and_speaks_the_reference_call_bytes() -> None:
    assert known_runtime_names()[:3] == ["balances", "evm", "auto-id"]  # ids of the older runtimes unchanged
    call = AutoIdPalletCall(RegisterAutoIdCall(registration_of(ROOT)))
    assert call.to_bytes()[:2] == b"\x28\x00"
    assert call.to_bytes()[2:] == registration_of(ROOT).to_bytes()


def test_registrations_and_a_failing_call_in_one_block() -> None:
    root_id = derive_auto_id(ROOT)
    agent = issue_certificate("agent-1", AGENT_KEY, Validity.days_from(NOW, 7), issuer=(
        _certificate(ROOT), ROOT_KEY))  # fmt: skip
    agent_der = certificate_der(agent)
    agent_id = derive_auto_id(agent_der, root_id)
    extrinsics = [
        transaction(0, RegisterAutoIdCall(registration_of(ROOT))),
        transaction(1, RegisterAutoIdCall(registration_of(agent_der, root_id))),
        transaction(2, RegisterAutoIdCall(registration_of(ROOT))),  # AutoIdIdentifierAlreadyExists
    ]
    nodes, _, block = run_block(extrinsics)
    state = RUNTIME.open_state({**nodes, **block.changes.created}, block.header.state_root)
    assert get_auto_id(state, root_id) is not None
    issued = get_auto_id(state, agent_id)
    assert issued is not None and issued.issuer_id == root_id
    # Outcomes, in execution order (the block shuffles transactions of one signer in nonce order).
    outcomes = [outcome[32:] for outcome in block.outcomes]
    assert outcomes[0] == bytes([OUTCOME_EVENT, 0]) + root_id
    assert outcomes[1] == bytes([OUTCOME_EVENT, 0]) + agent_id
    assert outcomes[2][:2] == bytes([OUTCOME_ERROR, 9]) and outcomes[2][2:] == b"AutoIdIdentifierAlreadyExists"
    # Every call paid its fee and used its nonce, the failing one included.
    balance, nonce = RUNTIME.read_account(state, RELAYER[0])
    assert nonce == 3 and balance < 10 * AI3


def test_deactivation_signed_by_the_subject_removes_the_record() -> None:
    root_id = derive_auto_id(ROOT)
    message = encode_action_message(root_id, 0, DEACTIVATE_AUTO_ID)
    from autonomys.actors.identity.certificates import algorithm_identifier

    signature = Signature(algorithm_identifier(ROOT_KEY), sign(ROOT_KEY, message))
    forged = Signature(algorithm_identifier(AGENT_KEY), sign(AGENT_KEY, message))
    nodes, _, block = run_block([
        transaction(0, RegisterAutoIdCall(registration_of(ROOT))),
        transaction(1, DeactivateAutoIdCall(root_id, forged)),  # InvalidSignature: not the subject's key
        transaction(2, DeactivateAutoIdCall(root_id, signature)),
    ])  # fmt: skip
    outcomes = [outcome[32:] for outcome in block.outcomes]
    assert outcomes[1][:2] == bytes([OUTCOME_ERROR, 3]) and outcomes[2] == bytes([OUTCOME_EVENT, 2]) + root_id
    state = RUNTIME.open_state({**nodes, **block.changes.created}, block.header.state_root)
    assert get_auto_id(state, root_id) is None


def test_a_wrong_root_of_an_auto_id_block_is_proven_and_the_proof_refused_against_the_honest_receipt() -> None:
    extrinsics = [transaction(0, RegisterAutoIdCall(registration_of(ROOT)))]  # sr25519 signs randomly: build once
    nodes, parent, block = run_block(extrinsics)
    trace = list(block.receipt.execution_trace)
    trace[3] = bytes([0xEE]) * 32  # the registration's root (after the two inherents)
    bad = dataclasses.replace(block.receipt, execution_trace=tuple(trace))
    bundles = [bundle_of(extrinsics)]
    evidence = ConsensusEvidence(
        context(1, parent.domain_block_hash), bytes(16), 2**256 - 1, (bundles[0].sealed_header.pre_hash(),)
    )
    proof = prove_fraud(RUNTIME, nodes, evidence, bundles, parent, bad)
    assert proof is not None
    decoded = FraudProof.from_bytes(proof.to_bytes())
    assert type(decoded.proof).__name__ == "InvalidStateTransitionProof"
    verify_fraud_proof(RUNTIME, decoded, bad, parent, evidence)
    with pytest.raises(InvalidFraudProof):
        verify_fraud_proof(RUNTIME, FraudProof(DOMAIN, block.receipt.hash(), decoded.proof), block.receipt, parent,
                           evidence)  # fmt: skip


def _certificate(der: bytes):
    from cryptography import x509

    return x509.load_der_x509_certificate(der)
