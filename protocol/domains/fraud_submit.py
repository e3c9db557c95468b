"""Fraud proofs on the consensus chain (pallet-domains `validate_fraud_proof`, `submit_fraud_proof`): the checks
before verification, verification from the proof and what the chain recorded of the domain block, and the
effects of an accepted proof.

On acceptance the bad receipt's node is pruned, every operator that carried it is marked slashed
(`BadExecutionReceipt`) and drained later by `do_slash_operator` with its nominators, the invalid-bundle authors
it had suspended are restored, and HeadReceiptNumber becomes the bad number − 1. Its descendants are pruned lazily:
an operator whose LatestSubmittedER is above the new head is PendingSlash at once, and each descendant's node is
pruned (its submitters slashed) when an honest new head arrives at its height (`prune_bad_receipt_at`).

Records: `fraud_proofs_accepted/<d>` counts the proofs a domain accepted.
"""

from __future__ import annotations

from autonomys.protocol.codec import encode_u32
from autonomys.protocol.domains.block_tree import (
    BlockTreeNode,
    block_inherent_data,
    execution_inbox,
    get_block_tree_node,
    latest_confirmed_receipt,
    prune_receipt,
    slash_receipt_submitters,
)
from autonomys.protocol.domains.election import INITIAL_TX_RANGE
from autonomys.protocol.domains.fraud_evidence import ConsensusEvidence
from autonomys.protocol.domains.fraud_proofs import FraudProof, verify_fraud_proof
from autonomys.protocol.domains.ledger import Ledger, transaction
from autonomys.protocol.domains.receipts import ExecutionReceipt
from autonomys.protocol.domains.registry import get_domain, get_runtime
from autonomys.protocol.domains.runtime import DomainBlockContext, runtime_named
from autonomys.protocol.domains.staking_storage import get_head_receipt_number, put_head_receipt_number
from autonomys.protocol.errors import DomainNotFound, InvalidFraudProof, RejectedFraudProof


def _accepted_key(domain_id: int) -> bytes:
    return b"domains/fraud_proofs_accepted/" + encode_u32(domain_id)


def fraud_proofs_accepted(ledger: Ledger, domain_id: int) -> int:
    raw = ledger.get(_accepted_key(domain_id))
    return 0 if raw is None else int.from_bytes(raw, "little")


def parent_receipt_of(ledger: Ledger, domain_id: int, receipt: ExecutionReceipt) -> ExecutionReceipt | None:
    """The receipt `receipt` builds on: a node of the block tree, or the latest confirmed receipt."""
    node = get_block_tree_node(ledger, receipt.parent_domain_block_receipt_hash)
    if node is not None:
        return node.receipt
    confirmed = latest_confirmed_receipt(ledger, domain_id)
    if confirmed is not None and confirmed.hash() == receipt.parent_domain_block_receipt_hash:
        return confirmed
    return None


def consensus_evidence(
    ledger: Ledger, domain_id: int, receipt: ExecutionReceipt, parent: ExecutionReceipt
) -> ConsensusEvidence | None:
    """What the chain recorded of the consensus block that carried the bundles of `receipt`'s domain block (None
    when it has no record of it: the block is confirmed, or carried none of the domain's bundles)."""
    data = block_inherent_data(ledger, domain_id, receipt.consensus_block_number)
    if data is None:
        return None
    context = DomainBlockContext(
        domain_id, receipt.domain_block_number, receipt.consensus_block_hash, receipt.consensus_block_number,
        data.timestamp_ms, data.transaction_byte_fee, parent.domain_block_hash,
    )  # fmt: skip
    hashes = tuple(
        digest.header_hash
        for consensus, digest in execution_inbox(ledger, domain_id, receipt.domain_block_number)
        if consensus == receipt.consensus_block_number
    )
    return ConsensusEvidence(context, data.proof_of_time_output, INITIAL_TX_RANGE, hashes)


def validate_fraud_proof(ledger: Ledger, fraud: FraudProof) -> BlockTreeNode:
    """pallet-domains `validate_fraud_proof`: the bad receipt's block-tree node when `fraud` proves it wrong;
    RejectedFraudProof naming the rule otherwise."""
    try:
        domain = get_domain(ledger, fraud.domain_id)
    except DomainNotFound as error:
        raise RejectedFraudProof("domain_not_found", str(error)) from error
    node = get_block_tree_node(ledger, fraud.bad_receipt_hash)
    if node is None:
        raise RejectedFraudProof("bad_receipt_not_found", fraud.bad_receipt_hash.hex())
    number = node.receipt.domain_block_number
    if number == 0:
        raise RejectedFraudProof("challenging_genesis_receipt", "the genesis receipt cannot be challenged")
    if number > get_head_receipt_number(ledger, fraud.domain_id):
        raise RejectedFraudProof("bad_receipt_pending_prune", f"receipt {number} is above the head, already pruned")
    parent = parent_receipt_of(ledger, fraud.domain_id, node.receipt)
    if parent is None:
        raise RejectedFraudProof("parent_receipt_not_found", f"of receipt {number}")
    evidence = consensus_evidence(ledger, fraud.domain_id, node.receipt, parent)
    if evidence is None:
        raise RejectedFraudProof(
            "consensus_block_unknown", f"no record of consensus block {node.receipt.consensus_block_number}"
        )
    runtime = runtime_named(get_runtime(ledger, domain.config.runtime_id).runtime_name)
    try:
        verify_fraud_proof(runtime, fraud, node.receipt, parent, evidence)
    except InvalidFraudProof as error:
        raise RejectedFraudProof("invalid_fraud_proof", str(error)) from error
    return node


def submit_fraud_proof(ledger: Ledger, fraud: FraudProof) -> tuple[int, ...]:
    """Validate and apply a fraud proof (nothing written when it is refused); the operators newly marked slashed."""
    with transaction(ledger) as overlay:
        node = validate_fraud_proof(overlay, fraud)
        number = node.receipt.domain_block_number
        prune_receipt(overlay, fraud.domain_id, number)
        slashed = slash_receipt_submitters(overlay, fraud.domain_id, node)
        put_head_receipt_number(overlay, fraud.domain_id, number - 1)
        overlay.set(_accepted_key(fraud.domain_id), encode_u32(fraud_proofs_accepted(overlay, fraud.domain_id) + 1))
        return slashed
