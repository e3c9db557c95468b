"""Proving a receipt wrong: the one entry point a watcher calls (domains/client/domain-operator
`fraud_proof.rs` `FraudProofGenerator`, `aux_schema` `find_first_mismatch`).

`prove_fraud` derives the domain block honestly from the consensus block's bundles over the parent receipt's
state and compares its receipt with the bad one, field by field in the reference's order, proving the first
disagreement it can: the inboxed bundles (a wrong validity: InvalidBundles, good-invalid when the bundle is
invalid by a rule checked before the receipt's claim, bad-invalid otherwise; a wrong valid digest: ValidBundle),
the extrinsics root (InvalidExtrinsicsRoot), the execution trace (InvalidStateTransition), the block fees
(InvalidBlockFees), the transfers (InvalidTransfers), and the domain block hash (InvalidDomainBlockHash).

Every proof it returns verifies against the bad receipt (protocol.domains.fraud_proofs `verify_fraud_proof` with
the same evidence), and none verifies against the honest receipt. A disagreement it cannot prove here (a claimed
`InvalidXDM` inside the bundle: the XDM proof data is not supported) is passed over for the next one.
"""

from __future__ import annotations

from collections.abc import Sequence

from autonomys.protocol.domains.bundles import Bundle
from autonomys.protocol.domains.execution import ExecutedBlock, ParentBlock, derive_domain_block
from autonomys.protocol.domains.execution_proofs import LayeredNodes, StorageProof, prove_read
from autonomys.protocol.domains.fraud_evidence import ConsensusEvidence
from autonomys.protocol.domains.fraud_proofs import (
    FraudProof,
    FraudProofVariant,
    prove_invalid_block_fees,
    prove_invalid_domain_block_hash,
    prove_invalid_state_transition,
    prove_invalid_transfers,
)
from autonomys.protocol.domains.fraud_proofs_bundles import (
    BundleAndExecutionProofData,
    BundleProofData,
    ExtrinsicProofData,
    InvalidBundlesProof,
    InvalidBundlesProofData,
    InvalidExtrinsicsRootProof,
    OpaqueBundleWithProof,
    ValidBundleDigest,
    ValidBundleProof,
    compute_bundle_digest_entries,
    compute_extrinsics_root_from_digests,
    find_first_illegal,
)
from autonomys.protocol.domains.receipts import BundleValidity, ExecutionReceipt, InvalidBundleKind, InvalidBundleType
from autonomys.protocol.domains.runtime import DomainRuntime
from autonomys.protocol.domains.substrate_proofs import prove_ordered_item
from autonomys.protocol.errors import DecodeError
from autonomys.protocol.state.trie import NodeSource


def prove_fraud(
    runtime: DomainRuntime,
    nodes: NodeSource,
    evidence: ConsensusEvidence,
    bundles: Sequence[Bundle],
    parent_receipt: ExecutionReceipt,
    bad_receipt: ExecutionReceipt,
) -> FraudProof | None:
    """The fraud proof of `bad_receipt`'s first wrong field (module docstring); None when it is the honest one
    (or no disagreement can be proven here). `nodes`: the parent receipt's final state (and anything else);
    `bundles`: the domain's bundles the consensus block of `evidence` carried, in order."""
    context = evidence.context
    parent = ParentBlock(parent_receipt.domain_block_hash, parent_receipt.final_state_root, parent_receipt.hash())
    block = derive_domain_block(
        runtime, nodes, parent, context, bundles, evidence.consensus_pot_output, evidence.tx_range
    )
    honest = block.receipt
    if bad_receipt == honest:
        return None
    variant = _prove_bundles_or_extrinsics(runtime, nodes, evidence, bundles, parent_receipt, honest, bad_receipt)
    if variant is not None:
        return FraudProof(context.domain_id, bad_receipt.hash(), variant)
    return _prove_execution(runtime, nodes, block, parent_receipt, bad_receipt, context.domain_id, evidence)


def _prove_bundles_or_extrinsics(
    runtime: DomainRuntime,
    nodes: NodeSource,
    evidence: ConsensusEvidence,
    bundles: Sequence[Bundle],
    parent_receipt: ExecutionReceipt,
    honest: ExecutionReceipt,
    bad_receipt: ExecutionReceipt,
) -> FraudProofVariant | None:
    pairs = zip(honest.inboxed_bundles, bad_receipt.inboxed_bundles, bundles, strict=False)
    for index, (ours, theirs, bundle) in enumerate(pairs):
        if ours.bundle != theirs.bundle:
            variant = prove_bundle_entry(
                runtime, nodes, evidence, bundle, index, parent_receipt, ours.bundle, theirs.bundle
            )
            if variant is not None:
                return variant
    if honest.domain_block_extrinsic_root != bad_receipt.domain_block_extrinsic_root:
        return prove_invalid_extrinsics_root(runtime, evidence, bundles, bad_receipt)
    return None


def _prove_execution(
    runtime: DomainRuntime,
    nodes: NodeSource,
    block: ExecutedBlock,
    parent_receipt: ExecutionReceipt,
    bad_receipt: ExecutionReceipt,
    domain_id: int,
    evidence: ConsensusEvidence,
) -> FraudProof | None:
    honest = block.receipt
    # The state transition proof reads its extrinsic under the bad receipt's extrinsics root: ours, or unprovable.
    if honest.domain_block_extrinsic_root == bad_receipt.domain_block_extrinsic_root:
        proof = prove_invalid_state_transition(
            runtime, nodes, parent_receipt, bad_receipt, block.extrinsics, evidence.context, block.trace
        )
        if proof is not None:
            return proof
    final_nodes = LayeredNodes(block.changes.created, nodes)
    for prove in (prove_invalid_block_fees, prove_invalid_transfers):
        proof = prove(runtime, final_nodes, domain_id, bad_receipt, honest.final_state_root)
        if proof is not None:
            return proof
    return prove_invalid_domain_block_hash(domain_id, bad_receipt, parent_receipt)


def prove_bundle_entry(
    runtime: DomainRuntime,
    nodes: NodeSource,
    evidence: ConsensusEvidence,
    bundle: Bundle,
    index: int,
    parent_receipt: ExecutionReceipt,
    honest: BundleValidity,
    claimed: BundleValidity,
) -> ValidBundleProof | InvalidBundlesProof | None:
    """The proof that the receipt's entry `claimed` for bundle `index` is wrong, the honest one being `honest`."""
    ours, theirs = honest.invalid_bundle_type, claimed.invalid_bundle_type
    if ours is None and theirs is None:
        return ValidBundleProof(OpaqueBundleWithProof(bundle, index))  # a valid bundle with another digest
    if ours is not None and (theirs is None or ours.checking_order() < theirs.checking_order()):
        # Good-invalid: the bundle is invalid by a rule checked before (or instead of) the receipt's claim.
        return prove_invalid_bundle(runtime, nodes, evidence, bundle, index, parent_receipt, ours, good=True)
    if theirs is None:
        return None
    # Bad-invalid: every check before ours passed, the receipt's claim among them.
    return prove_invalid_bundle(runtime, nodes, evidence, bundle, index, parent_receipt, theirs, good=False)


def prove_invalid_bundle(
    runtime: DomainRuntime,
    nodes: NodeSource,
    evidence: ConsensusEvidence,
    bundle: Bundle,
    index: int,
    parent_receipt: ExecutionReceipt,
    invalid_bundle_type: InvalidBundleType,
    *,
    good: bool,
) -> InvalidBundlesProof | None:
    """The InvalidBundles proof that bundle `index` is (`good`) or is not invalid by `invalid_bundle_type`, with
    the proof data its rule needs; None for InvalidXDM inside the bundle (no XDM proof data here)."""
    with_proof = OpaqueBundleWithProof(bundle, index)
    position = invalid_bundle_type.extrinsic_index
    data: InvalidBundlesProofData
    if not good and position is not None and position >= len(bundle.extrinsics):
        data = BundleProofData(with_proof)  # the verifier's fast path: the claimed extrinsic does not exist
    elif invalid_bundle_type.kind in (InvalidBundleKind.UNDECODABLE_TX, InvalidBundleKind.INHERENT_EXTRINSIC):
        data = ExtrinsicProofData(StorageProof(prove_ordered_item(bundle.extrinsics, position or 0)))
    elif invalid_bundle_type.kind in (InvalidBundleKind.OUT_OF_RANGE_TX, InvalidBundleKind.INVALID_BUNDLE_WEIGHT):
        data = BundleProofData(with_proof)
    elif invalid_bundle_type.kind == InvalidBundleKind.ILLEGAL_TX:
        checked = bundle.extrinsics[: (position or 0) + 1]
        _, execution = prove_read(
            runtime, nodes, parent_receipt.final_state_root,
            lambda state: find_first_illegal(runtime, state, checked, evidence.context),
        )  # fmt: skip
        data = BundleAndExecutionProofData(with_proof, execution)
    else:
        return None
    return InvalidBundlesProof(index, invalid_bundle_type, good, data)


def prove_invalid_extrinsics_root(
    runtime: DomainRuntime, evidence: ConsensusEvidence, bundles: Sequence[Bundle], bad_receipt: ExecutionReceipt
) -> InvalidExtrinsicsRootProof | None:
    """The digests of the receipt's valid bundles, when they derive another extrinsics root than the receipt's
    (None when a digest is not the receipt's: that bundle's entry is the wrong one)."""
    digests: list[ValidBundleDigest] = []
    for index, entry in enumerate(bad_receipt.inboxed_bundles):
        if not entry.bundle.is_valid:
            continue
        if index >= len(bundles):
            return None
        try:
            digest = ValidBundleDigest(index, compute_bundle_digest_entries(runtime, bundles[index].extrinsics))
        except DecodeError:
            return None
        if digest.digest_hash() != entry.bundle.bundle_digest_hash:
            return None
        digests.append(digest)
    entries = [entry for digest in digests for entry in digest.bundle_digest]
    if compute_extrinsics_root_from_digests(runtime, evidence, entries) == bad_receipt.domain_block_extrinsic_root:
        return None
    return InvalidExtrinsicsRootProof(tuple(digests))
