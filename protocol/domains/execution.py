"""Domain block derivation and execution: from the bundles a consensus block included to the domain block and its
execution receipt.

1. Each bundle is classified (domains/client/block-preprocessor `batch_check_bundle_validity`): by the first
   extrinsic that fails — undecodable, signer outside the transaction range, an inherent, illegal (its
   pre-dispatch check fails against the parent state, earlier transactions of the bundle applied) — then the
   bundle's declared weight. Valid bundles give their (signer, extrinsic) pairs, bundle by bundle.
2. The pairs are deduplicated and shuffled (protocol.domains.shuffle) with the seed of the consensus block's
   randomness, and the runtime's inherents go first.
3. Execution records the state root after initialize_block, after every extrinsic (a failed one included) and
   after finalize_block (the execution trace); the header commits to the final root and the extrinsics root
   (Substrate's ordered trie root of the encoded extrinsics) and names the consensus block in its digest.

Extrinsics travel as their encodings: compact length || the runtime's bytes (an OpaqueExtrinsic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autonomys.protocol.codec import Reader, encode_vec_u8
from autonomys.protocol.domains.bundles import Bundle, Weight
from autonomys.protocol.domains.domain_header import DomainHeader, compute_consensus_block_info_item
from autonomys.protocol.domains.election import compute_vrf_hash, is_signer_in_tx_range, signer_id_hash
from autonomys.protocol.domains.receipts import (
    BlockFees,
    BundleValidity,
    ExecutionReceipt,
    ExtrinsicDigest,
    InboxedBundle,
    InvalidBundleKind,
    InvalidBundleType,
    compute_execution_trace_root,
    compute_valid_bundle_digest,
)
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainRuntime, RuntimeState
from autonomys.protocol.domains.shuffle import (
    deduplicate_and_shuffle_extrinsics,
    derive_block_randomness,
    derive_extrinsics_shuffling_seed,
)
from autonomys.protocol.domains.substrate_trie import ordered_trie_root
from autonomys.protocol.errors import DecodeError, IllegalTransaction
from autonomys.protocol.state.trie import NodeSource, TrieChanges


def encode_opaque(extrinsic: bytes) -> bytes:
    """An extrinsic as bundles and blocks carry it: compact length || bytes."""
    return encode_vec_u8(extrinsic)


def decode_opaque(encoded: bytes) -> bytes:
    """The runtime's bytes of an opaque extrinsic; DecodeError when the length prefix is wrong."""
    reader = Reader(encoded, "opaque extrinsic")
    payload = reader.read_vec_u8()
    if reader.remaining():
        msg = f"opaque extrinsic: {reader.remaining()} bytes after its payload"
        raise DecodeError(msg)
    return payload


@dataclass(frozen=True, slots=True)
class ClassifiedBundle:
    """A bundle's validity as the operator and the receipt see it, and the (signer, extrinsic) pairs a valid one gives."""

    inboxed: InboxedBundle
    extrinsics: tuple[tuple[bytes | None, bytes], ...]


def _invalid(kind: InvalidBundleKind, index: int | None, bundle: Bundle) -> ClassifiedBundle:
    validity = BundleValidity(invalid_bundle_type=InvalidBundleType(kind, index))
    return ClassifiedBundle(InboxedBundle(validity, bundle.sealed_header.header.bundle_extrinsics_root), ())


def classify_bundle(
    runtime: DomainRuntime, state: RuntimeState, bundle: Bundle, context: DomainBlockContext, tx_range: int
) -> ClassifiedBundle:
    """The bundle's validity against `state` (the parent's; the checks' pre-dispatch effects are written to it and
    must be discarded by the caller)."""
    election = bundle.sealed_header.header.proof_of_election
    vrf_hash = int.from_bytes(compute_vrf_hash(election.vrf_signature), "big")
    pairs: list[tuple[bytes | None, bytes]] = []
    total = Weight(0, 0)
    for index, encoded in enumerate(bundle.extrinsics):
        try:
            extrinsic = decode_opaque(encoded)
            signer = runtime.signer(extrinsic)
            inherent = runtime.is_inherent(extrinsic)
        except DecodeError:
            return _invalid(InvalidBundleKind.UNDECODABLE_TX, index, bundle)
        if signer is not None and not is_signer_in_tx_range(vrf_hash, signer_id_hash(signer), tx_range):
            return _invalid(InvalidBundleKind.OUT_OF_RANGE_TX, index, bundle)
        if inherent:
            return _invalid(InvalidBundleKind.INHERENT_EXTRINSIC, index, bundle)
        try:
            runtime.check(state, extrinsic, context)
        except IllegalTransaction:
            return _invalid(InvalidBundleKind.ILLEGAL_TX, index, bundle)
        weight = runtime.weight(extrinsic)
        total = Weight(total.ref_time + weight.ref_time, total.proof_size + weight.proof_size)
        pairs.append((signer, encoded))
    if total != bundle.sealed_header.header.estimated_bundle_weight:
        return _invalid(InvalidBundleKind.INVALID_BUNDLE_WEIGHT, None, bundle)
    digest = compute_valid_bundle_digest([(signer, ExtrinsicDigest.of(encoded)) for signer, encoded in pairs])
    inboxed = InboxedBundle(
        BundleValidity(bundle_digest_hash=digest), bundle.sealed_header.header.bundle_extrinsics_root
    )
    return ClassifiedBundle(inboxed, tuple(pairs))


@dataclass(frozen=True, slots=True)
class ExecutedBlock:
    """A derived and executed domain block: its header, extrinsics (encoded), execution trace, fees, receipt, the
    trie changes from its parent's state and its transactions' outcomes (RuntimeState.transaction_outcomes)."""

    header: DomainHeader
    extrinsics: tuple[bytes, ...]
    trace: tuple[bytes, ...]
    fees: BlockFees
    receipt: ExecutionReceipt
    changes: TrieChanges
    outcomes: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class ParentBlock:
    """What a domain block builds on: the parent's header hash, state root and receipt hash."""

    header_hash: bytes
    state_root: bytes
    receipt_hash: bytes


def derive_domain_block(
    runtime: DomainRuntime,
    nodes: NodeSource,
    parent: ParentBlock,
    context: DomainBlockContext,
    bundles: Sequence[Bundle],
    consensus_pot_output: bytes,
    tx_range: int,
) -> ExecutedBlock:
    """The domain block the consensus block of `context` derives from `bundles` (its successful bundles of this
    domain, in extrinsic order), executed over the parent's state in `nodes`."""
    # Each bundle is checked against the parent state alone (its own transactions' effects carry over).
    classified = [
        classify_bundle(runtime, runtime.open_state(nodes, parent.state_root), bundle, context, tx_range)
        for bundle in bundles
    ]
    pairs = [pair for bundle in classified for pair in bundle.extrinsics]
    seed = derive_extrinsics_shuffling_seed(derive_block_randomness(consensus_pot_output))
    transactions = deduplicate_and_shuffle_extrinsics(pairs, seed)
    extrinsics = [encode_opaque(inherent) for inherent in runtime.inherents(context)] + transactions
    state = runtime.open_state(nodes, parent.state_root)
    trace, fees = _execute(runtime, state, context, extrinsics)
    extrinsics_root = ordered_trie_root(extrinsics)
    digest = (compute_consensus_block_info_item(context.consensus_block_hash),)
    header = DomainHeader(parent.header_hash, context.number, trace[-1], extrinsics_root, digest)
    receipt = ExecutionReceipt(
        domain_block_number=context.number,
        domain_block_hash=header.hash(),
        domain_block_extrinsic_root=extrinsics_root,
        parent_domain_block_receipt_hash=parent.receipt_hash,
        consensus_block_number=context.consensus_block_number,
        consensus_block_hash=context.consensus_block_hash,
        inboxed_bundles=tuple(bundle.inboxed for bundle in classified),
        final_state_root=trace[-1],
        execution_trace=tuple(trace),
        execution_trace_root=compute_execution_trace_root(trace),
        block_fees=fees,
    )
    changes = state.changes()
    return ExecutedBlock(
        header, tuple(extrinsics), tuple(trace), fees, receipt, changes, state.transaction_outcomes()
    )


def _execute(
    runtime: DomainRuntime, state: RuntimeState, context: DomainBlockContext, extrinsics: Sequence[bytes]
) -> tuple[list[bytes], BlockFees]:
    runtime.initialize_block(state, context)
    trace = [state.step()]
    for encoded in extrinsics:
        _apply(runtime, state, decode_opaque(encoded), context)
        trace.append(state.step())
    fees = runtime.finalize_block(state, context)
    trace.append(state.step())
    return trace, fees


def _apply(runtime: DomainRuntime, state: RuntimeState, extrinsic: bytes, context: DomainBlockContext) -> None:
    """Apply one extrinsic; one that is no longer valid (a transaction that another bundle's made stale) changes
    nothing, and the trace still records a root for it. Every transaction here came from a valid bundle, whose
    classification verified these bytes' signature: the check does not verify it again."""
    if not runtime.is_inherent(extrinsic):
        try:
            runtime.check(state, extrinsic, context, signature_verified=True)
        except IllegalTransaction:
            return
    runtime.apply(state, extrinsic, context)
