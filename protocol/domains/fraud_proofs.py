"""Fraud proofs (sp-domains-fraud-proof `fraud_proof.rs`, `verification.rs`): the `FraudProof` envelope, the
dispatcher `verify_fraud_proof`, and the variants about execution, in the reference's SCALE layout, made and
checked from proofs alone.

    FraudProof = domain_id u32 | bad_receipt_hash H256 | maybe_mmr_proof Option | maybe_domain_runtime_code_proof
                 Option | proof: FraudProofVariant
    FraudProofVariant 0 = InvalidStateTransition{execution_proof: StorageProof, execution_phase: ExecutionPhase}
    ExecutionPhase = 0 InitializeBlock
                   | 1 ApplyExtrinsic{extrinsic_proof: StorageProof, mismatch: 0 StateRoot(u32) | 1 Shorter}
                   | 2 FinalizeBlock{mismatch: 0 StateRoot | 1 Longer(u32)}

With the trace T of the bad receipt (L roots, L ≥ 2), a phase names its pre- and post-state: InitializeBlock
(the parent receipt's final root → T[0]), ApplyExtrinsic StateRoot(i) (T[i−1] → T[i], 1 ≤ i ≤ L−2, extrinsic
i−1), Shorter (T[L−2] → T[L−1], extrinsic L−2), FinalizeBlock StateRoot (T[L−2] → T[L−1]), Longer(i) (T[i−1] →
T[i], 1 ≤ i ≤ L−2). The extrinsic is read from the proof under the receipt's extrinsics root (key Compact(index));
the phase re-executes over the execution proof (protocol.domains.execution_proofs). The proof is valid iff
(result ≠ post) equals is_state_root_mismatch (true for every mismatch but Shorter and Longer, which the reference
proves by a match: the trace has the wrong length). Those two are decoded but refused here: where an extrinsic
and finalize_block both leave the state unchanged, an honest trace shows the same match.

    FraudProofVariant 4 = InvalidDomainBlockHash{digest_storage_proof: StorageProof}: the receipt's domain block
                          hash is not the header its fields derive (our digest comes from the receipt: the proof
                          is empty)
    FraudProofVariant 5 = InvalidBlockFees{storage_proof: StorageProof}: the block fees read under the receipt's
                          final state root differ from the receipt's `block_fees` (the runtime names where its
                          state keeps them: DomainRuntime.read_block_fees).
    FraudProofVariant 6 = InvalidTransfers{storage_proof: StorageProof}: likewise for the receipt's `transfers`
                          (DomainRuntime.read_transfers).

Variants 1 (ValidBundle), 2 (InvalidExtrinsicsRoot) and 3 (InvalidBundles) live in
protocol.domains.fraud_proofs_bundles; protocol.domains.fraud_prover builds the proof of a receipt's first wrong
field.

The MMR and runtime-code proofs are absent here (None): the verifier takes what the consensus chain recorded of
the consensus block (protocol.domains.fraud_evidence `ConsensusEvidence`: the block's context, its PoT output, the
transaction range and the bundles' header hashes) and the domain's runtime from the chain it runs on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from autonomys.protocol.codec import Reader, decode_exactly, encode_u8, encode_u32
from autonomys.protocol.domains.domain_header import DomainHeader, compute_consensus_block_info_item
from autonomys.protocol.domains.execution import decode_opaque
from autonomys.protocol.domains.execution_proofs import (
    ExecutionPhase,
    PhaseKind,
    StorageProof,
    execute_trace,
    prove_phase,
    prove_read,
    verify_phase,
    verify_read,
)
from autonomys.protocol.domains.fraud_evidence import ConsensusEvidence
from autonomys.protocol.domains.fraud_proofs_bundles import (
    INVALID_BUNDLES,
    INVALID_EXTRINSICS_ROOT,
    VALID_BUNDLE,
    InvalidBundlesProof,
    InvalidExtrinsicsRootProof,
    ValidBundleProof,
    verify_invalid_bundles,
    verify_invalid_extrinsics_root,
    verify_valid_bundle,
)
from autonomys.protocol.domains.receipts import ExecutionReceipt
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainRuntime, RuntimeState
from autonomys.protocol.domains.substrate_proofs import prove_ordered_item, verify_ordered_item
from autonomys.protocol.errors import DecodeError, InvalidExecutionProof, InvalidFraudProof, InvalidStateProof
from autonomys.protocol.state.trie import NodeSource

INVALID_STATE_TRANSITION: Final = 0
INVALID_DOMAIN_BLOCK_HASH: Final = 4
INVALID_BLOCK_FEES: Final = 5
INVALID_TRANSFERS: Final = 6


class Mismatch(IntEnum):
    """What the proof claims of the trace at the phase: a wrong root, or a wrong length."""

    STATE_ROOT = 0
    SHORTER = 1  # ApplyExtrinsic: the trace stops an extrinsic early
    LONGER = 2  # FinalizeBlock: the trace runs past the block's end (encoded as FinalizeBlock variant 1)


@dataclass(frozen=True, slots=True)
class TracePhase:
    """sp-domains-fraud-proof `ExecutionPhase` with its mismatch (`position`: StateRoot(i) or Longer(i))."""

    kind: PhaseKind
    mismatch: Mismatch = Mismatch.STATE_ROOT
    position: int = 0
    extrinsic_proof: StorageProof = StorageProof(frozenset())

    def to_bytes(self) -> bytes:
        if self.kind == PhaseKind.INITIALIZE_BLOCK:
            return encode_u8(0)
        if self.kind == PhaseKind.APPLY_EXTRINSIC:
            mismatch = (
                encode_u8(0) + encode_u32(self.position) if self.mismatch == Mismatch.STATE_ROOT else encode_u8(1)
            )
            return encode_u8(1) + self.extrinsic_proof.to_bytes() + mismatch
        mismatch = encode_u8(0) if self.mismatch == Mismatch.STATE_ROOT else encode_u8(1) + encode_u32(self.position)
        return encode_u8(2) + mismatch

    @classmethod
    def read(cls, reader: Reader) -> TracePhase:
        tag = reader.read_u8()
        if tag == 0:
            return cls(PhaseKind.INITIALIZE_BLOCK)
        if tag == 1:
            proof = StorageProof.read(reader)
            mismatch = reader.read_u8()
            if mismatch == 0:
                return cls(PhaseKind.APPLY_EXTRINSIC, Mismatch.STATE_ROOT, reader.read_u32(), proof)
            if mismatch == 1:
                return cls(PhaseKind.APPLY_EXTRINSIC, Mismatch.SHORTER, 0, proof)
        elif tag == 2:
            mismatch = reader.read_u8()
            if mismatch == 0:
                return cls(PhaseKind.FINALIZE_BLOCK)
            if mismatch == 1:
                return cls(PhaseKind.FINALIZE_BLOCK, Mismatch.LONGER, reader.read_u32())
        else:
            msg = f"ExecutionPhase: unknown variant {tag}"
            raise DecodeError(msg)
        msg = f"ExecutionPhase: unknown mismatch variant {mismatch}"
        raise DecodeError(msg)

    def steps(self, trace_length: int) -> tuple[int | None, int, int | None]:
        """(pre position or None for the parent's root, post position, extrinsic index or None) in a trace of
        `trace_length` roots; InvalidFraudProof when the phase does not fit it."""
        last = trace_length - 1
        if trace_length < 2:
            raise InvalidFraudProof(f"a trace of {trace_length} roots has no phases")
        if self.kind == PhaseKind.INITIALIZE_BLOCK:
            return None, 0, None
        if self.kind == PhaseKind.APPLY_EXTRINSIC and self.mismatch == Mismatch.SHORTER:
            return last - 1, last, last - 1
        if self.kind == PhaseKind.FINALIZE_BLOCK and self.mismatch == Mismatch.STATE_ROOT:
            return last - 1, last, None
        if not 1 <= self.position <= last - 1:
            raise InvalidFraudProof(f"trace position {self.position} is outside 1..{last - 1}")
        extrinsic = self.position - 1 if self.kind == PhaseKind.APPLY_EXTRINSIC else None
        return self.position - 1, self.position, extrinsic

    @property
    def is_state_root_mismatch(self) -> bool:
        return self.mismatch == Mismatch.STATE_ROOT


@dataclass(frozen=True, slots=True)
class InvalidStateTransitionProof:
    execution_proof: StorageProof
    phase: TracePhase

    def to_bytes(self) -> bytes:
        return self.execution_proof.to_bytes() + self.phase.to_bytes()

    @classmethod
    def read(cls, reader: Reader) -> InvalidStateTransitionProof:
        return cls(StorageProof.read(reader), TracePhase.read(reader))


@dataclass(frozen=True, slots=True)
class InvalidBlockFeesProof:
    """`InvalidBlockFees{storage_proof}`: the nodes that read the block fees under the receipt's final root."""

    storage_proof: StorageProof

    def to_bytes(self) -> bytes:
        return self.storage_proof.to_bytes()


@dataclass(frozen=True, slots=True)
class InvalidTransfersProof:
    """`InvalidTransfers{storage_proof}`: the nodes that read the transfers under the receipt's final root."""

    storage_proof: StorageProof

    def to_bytes(self) -> bytes:
        return self.storage_proof.to_bytes()


@dataclass(frozen=True, slots=True)
class InvalidDomainBlockHashProof:
    """`InvalidDomainBlockHash{digest_storage_proof}`. A domain header's digest here is the consensus block info
    item, derived from the receipt's consensus block hash, so the storage proof is empty (sp-domains reads
    `System::Digest` from the final state instead)."""

    digest_storage_proof: StorageProof = StorageProof(frozenset())

    def to_bytes(self) -> bytes:
        return self.digest_storage_proof.to_bytes()


FraudProofVariant = (
    InvalidStateTransitionProof | ValidBundleProof | InvalidExtrinsicsRootProof | InvalidBundlesProof
    | InvalidDomainBlockHashProof | InvalidBlockFeesProof | InvalidTransfersProof
)  # fmt: skip
_VARIANT_TAGS: Final = {
    InvalidStateTransitionProof: INVALID_STATE_TRANSITION,
    ValidBundleProof: VALID_BUNDLE,
    InvalidExtrinsicsRootProof: INVALID_EXTRINSICS_ROOT,
    InvalidBundlesProof: INVALID_BUNDLES,
    InvalidDomainBlockHashProof: INVALID_DOMAIN_BLOCK_HASH,
    InvalidBlockFeesProof: INVALID_BLOCK_FEES,
    InvalidTransfersProof: INVALID_TRANSFERS,
}


@dataclass(frozen=True, slots=True)
class FraudProof:
    """sp-domains-fraud-proof `FraudProof` (the MMR and runtime-code proofs are always None here)."""

    domain_id: int
    bad_receipt_hash: bytes
    proof: FraudProofVariant

    def to_bytes(self) -> bytes:
        variant = _VARIANT_TAGS[type(self.proof)]
        return (
            encode_u32(self.domain_id) + self.bad_receipt_hash + b"\x00\x00" + encode_u8(variant)
            + self.proof.to_bytes()
        )  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes) -> FraudProof:
        def read(reader: Reader) -> FraudProof:
            domain_id, bad_hash = reader.read_u32(), reader.read_bytes(32)
            if reader.read_option_tag() or reader.read_option_tag():
                raise DecodeError("FraudProof: MMR and runtime-code proofs are not supported")
            return cls(domain_id, bad_hash, _read_variant(reader))

        return decode_exactly(data, "FraudProof", read)


def _read_variant(reader: Reader) -> FraudProofVariant:
    variant = reader.read_u8()
    if variant == INVALID_DOMAIN_BLOCK_HASH:
        proof = StorageProof.read(reader)
        if proof.nodes:
            raise DecodeError("InvalidDomainBlockHash: the digest is derived here, its proof must be empty")
        return InvalidDomainBlockHashProof(proof)
    readers: dict[int, Callable[[Reader], FraudProofVariant]] = {
        INVALID_STATE_TRANSITION: InvalidStateTransitionProof.read,
        VALID_BUNDLE: ValidBundleProof.read,
        INVALID_EXTRINSICS_ROOT: InvalidExtrinsicsRootProof.read,
        INVALID_BUNDLES: InvalidBundlesProof.read,
        INVALID_BLOCK_FEES: lambda inner: InvalidBlockFeesProof(StorageProof.read(inner)),
        INVALID_TRANSFERS: lambda inner: InvalidTransfersProof(StorageProof.read(inner)),
    }
    read = readers.get(variant)
    if read is None:
        msg = f"FraudProof: variant {variant} is not supported"
        raise DecodeError(msg)
    return read(reader)


def verify_invalid_state_transition(
    runtime: DomainRuntime,
    bad_receipt: ExecutionReceipt,
    parent_receipt: ExecutionReceipt,
    proof: InvalidStateTransitionProof,
    context: DomainBlockContext,
) -> None:
    """Return when `proof` shows `bad_receipt`'s trace wrong at its phase (the reference's
    `verify_invalid_state_transition_fraud_proof`); InvalidFraudProof otherwise. `context`: the block's, from
    the consensus chain (its parent hash is the parent receipt's domain block hash)."""
    trace = bad_receipt.execution_trace
    if not proof.phase.is_state_root_mismatch:
        # A length mismatch is proven by a match, which an honest trace can show too wherever a step and
        # finalize_block both leave the state unchanged: refused until a trace's length is proven otherwise.
        raise InvalidFraudProof("Shorter/Longer trace proofs are not accepted (a match does not prove a length)")
    pre_position, post_position, extrinsic_index = proof.phase.steps(len(trace))
    pre = parent_receipt.final_state_root if pre_position is None else trace[pre_position]
    extrinsic = b""
    if extrinsic_index is not None:
        extrinsic = _proven_extrinsic(bad_receipt, extrinsic_index, proof.phase.extrinsic_proof)
    execution = ExecutionPhase(proof.phase.kind, extrinsic_index or 0)
    try:
        result = verify_phase(runtime, proof.execution_proof, pre, context, execution, extrinsic)
    except InvalidExecutionProof as error:
        raise InvalidFraudProof(f"the execution proof does not re-execute: {error}") from error
    if (result != trace[post_position]) != proof.phase.is_state_root_mismatch:
        raise InvalidFraudProof("the re-executed step agrees with the receipt's trace")


def verify_fraud_proof(
    runtime: DomainRuntime,
    fraud: FraudProof,
    bad_receipt: ExecutionReceipt,
    parent_receipt: ExecutionReceipt,
    evidence: ConsensusEvidence,
) -> None:
    """Return when `fraud` proves `bad_receipt` (whose hash it must name) wrong, judged with what the consensus
    chain recorded of its consensus block (`evidence`); InvalidFraudProof otherwise, and nothing else."""
    context = evidence.context
    if fraud.bad_receipt_hash != bad_receipt.hash() or fraud.domain_id != context.domain_id:
        raise InvalidFraudProof("the fraud proof names another receipt or domain")
    # The evidence and the parent must be the bad receipt's own block's.
    if context.number != bad_receipt.domain_block_number:
        raise InvalidFraudProof(
            f"the evidence is of domain block {context.number}, not {bad_receipt.domain_block_number}"
        )
    if parent_receipt.hash() != bad_receipt.parent_domain_block_receipt_hash:
        raise InvalidFraudProof("the parent receipt is not the bad receipt's parent")
    proof = fraud.proof
    if isinstance(proof, InvalidStateTransitionProof):
        verify_invalid_state_transition(runtime, bad_receipt, parent_receipt, proof, context)
    elif isinstance(proof, ValidBundleProof):
        verify_valid_bundle(runtime, bad_receipt, proof, evidence)
    elif isinstance(proof, InvalidExtrinsicsRootProof):
        verify_invalid_extrinsics_root(runtime, bad_receipt, proof, evidence)
    elif isinstance(proof, InvalidBundlesProof):
        verify_invalid_bundles(runtime, bad_receipt, parent_receipt, proof, evidence)
    elif isinstance(proof, InvalidDomainBlockHashProof):
        verify_invalid_domain_block_hash(bad_receipt, parent_receipt)
    elif isinstance(proof, InvalidBlockFeesProof):
        verify_invalid_block_fees(runtime, bad_receipt, proof)
    else:
        verify_invalid_transfers(runtime, bad_receipt, proof)


def derive_domain_block_hash(receipt: ExecutionReceipt, parent_receipt: ExecutionReceipt) -> bytes:
    """The domain block hash a receipt's fields determine (sp-domains-fraud-proof `derive_domain_block_hash`):
    the header of its number, extrinsics root and final state root over the parent receipt's block, with the
    consensus block info digest of its consensus block."""
    digest = (compute_consensus_block_info_item(receipt.consensus_block_hash),)
    header = DomainHeader(
        parent_receipt.domain_block_hash, receipt.domain_block_number, receipt.final_state_root,
        receipt.domain_block_extrinsic_root, digest,
    )  # fmt: skip
    return header.hash()


def verify_invalid_domain_block_hash(bad_receipt: ExecutionReceipt, parent_receipt: ExecutionReceipt) -> None:
    """Return when the receipt's domain block hash is not the one its fields derive; InvalidFraudProof otherwise."""
    if derive_domain_block_hash(bad_receipt, parent_receipt) == bad_receipt.domain_block_hash:
        raise InvalidFraudProof("the receipt's domain block hash is the one its fields derive")


def prove_invalid_domain_block_hash(
    domain_id: int, bad_receipt: ExecutionReceipt, parent_receipt: ExecutionReceipt
) -> FraudProof | None:
    if derive_domain_block_hash(bad_receipt, parent_receipt) == bad_receipt.domain_block_hash:
        return None
    return FraudProof(domain_id, bad_receipt.hash(), InvalidDomainBlockHashProof())


def verify_invalid_block_fees(
    runtime: DomainRuntime, bad_receipt: ExecutionReceipt, proof: InvalidBlockFeesProof
) -> None:
    """Return when the block fees read through `proof` under the receipt's final root differ from the receipt's
    (the reference's `verify_invalid_block_fees_fraud_proof`); InvalidFraudProof otherwise."""
    _verify_read_differs(runtime, bad_receipt, proof.storage_proof, runtime.read_block_fees, bad_receipt.block_fees,
                         "block fees")  # fmt: skip


def prove_invalid_block_fees(
    runtime: DomainRuntime, nodes: NodeSource, domain_id: int, bad_receipt: ExecutionReceipt, honest_final_root: bytes
) -> FraudProof | None:
    """The proof that `bad_receipt` reports other fees than its final state holds (None when it does not, or when
    its final root is not this node's: then a state transition is wrong, proven by that variant)."""
    proof = _prove_read_differs(
        runtime, nodes, bad_receipt, honest_final_root, runtime.read_block_fees, bad_receipt.block_fees
    )
    return None if proof is None else FraudProof(domain_id, bad_receipt.hash(), InvalidBlockFeesProof(proof))


def verify_invalid_transfers(
    runtime: DomainRuntime, bad_receipt: ExecutionReceipt, proof: InvalidTransfersProof
) -> None:
    """Return when the transfers read through `proof` under the receipt's final root differ from the receipt's
    (the reference's `verify_invalid_transfers_fraud_proof`); InvalidFraudProof otherwise."""
    _verify_read_differs(runtime, bad_receipt, proof.storage_proof, runtime.read_transfers, bad_receipt.transfers,
                         "transfers")  # fmt: skip


def prove_invalid_transfers(
    runtime: DomainRuntime, nodes: NodeSource, domain_id: int, bad_receipt: ExecutionReceipt, honest_final_root: bytes
) -> FraudProof | None:
    """The proof that `bad_receipt` reports other transfers than its final state holds (None when it does not,
    or when its final root is not this node's)."""
    proof = _prove_read_differs(
        runtime, nodes, bad_receipt, honest_final_root, runtime.read_transfers, bad_receipt.transfers
    )
    return None if proof is None else FraudProof(domain_id, bad_receipt.hash(), InvalidTransfersProof(proof))


def _verify_read_differs(
    runtime: DomainRuntime, bad_receipt: ExecutionReceipt, proof: StorageProof, read: Callable[[RuntimeState], object],
    claimed: object, what: str,
) -> None:  # fmt: skip
    try:
        value = verify_read(runtime, proof, bad_receipt.final_state_root, read)
    except InvalidExecutionProof as error:
        raise InvalidFraudProof(f"the storage proof does not read the {what}: {error}") from error
    if value == claimed:
        raise InvalidFraudProof(f"the receipt's {what} are the state's")


def _prove_read_differs(
    runtime: DomainRuntime, nodes: NodeSource, bad_receipt: ExecutionReceipt, honest_final_root: bytes,
    read: Callable[[RuntimeState], object], claimed: object,
) -> StorageProof | None:  # fmt: skip
    if bad_receipt.final_state_root != honest_final_root:
        return None
    value, proof = prove_read(runtime, nodes, honest_final_root, read)
    return None if value == claimed else proof


def _proven_extrinsic(receipt: ExecutionReceipt, index: int, proof: StorageProof) -> bytes:
    try:
        encoded = verify_ordered_item(receipt.domain_block_extrinsic_root, index, proof.nodes)
    except InvalidStateProof as error:
        raise InvalidFraudProof(f"the extrinsic proof does not prove extrinsic {index}: {error}") from error
    if encoded is None:
        raise InvalidFraudProof(f"the block has no extrinsic {index}")
    try:
        return decode_opaque(encoded)
    except DecodeError as error:
        raise InvalidFraudProof(f"extrinsic {index} is not an opaque extrinsic: {error}") from error


def prove_invalid_state_transition(
    runtime: DomainRuntime,
    nodes: NodeSource,
    parent_receipt: ExecutionReceipt,
    bad_receipt: ExecutionReceipt,
    extrinsics: tuple[bytes, ...],
    context: DomainBlockContext,
    honest_trace: Sequence[bytes] | None = None,
) -> FraudProof | None:
    """The fraud proof of `bad_receipt`'s first wrong trace root, from this node's own execution of the block
    (its opaque `extrinsics` over the parent's state in `nodes`; `honest_trace`: that execution's trace, when
    known already); None when the trace is right."""
    honest = honest_trace
    if honest is None:
        honest = execute_trace(runtime, nodes, parent_receipt.final_state_root, context, extrinsics)
    trace = bad_receipt.execution_trace
    # The first root that differs: every root before it matched, so its honest pre-state is the receipt's.
    position = next((at for at, (ours, theirs) in enumerate(zip(honest, trace, strict=False)) if ours != theirs), None)
    if position is None:
        return None  # a trace of the wrong length with every root right: Shorter/Longer proofs are not built
    kind = _phase_kind(position, len(honest))
    phase = ExecutionPhase(kind, max(0, position - 1))
    step = prove_phase(runtime, nodes, parent_receipt.final_state_root, context, extrinsics, phase)
    return _fraud_proof(bad_receipt, context, step.proof, _trace_phase(kind, position, extrinsics))


def _phase_kind(position: int, honest_length: int) -> PhaseKind:
    if position == 0:
        return PhaseKind.INITIALIZE_BLOCK
    return PhaseKind.FINALIZE_BLOCK if position == honest_length - 1 else PhaseKind.APPLY_EXTRINSIC


def _trace_phase(kind: PhaseKind, position: int, extrinsics: tuple[bytes, ...]) -> TracePhase:
    if kind == PhaseKind.APPLY_EXTRINSIC:
        proof = StorageProof(prove_ordered_item(extrinsics, position - 1))
        return TracePhase(kind, Mismatch.STATE_ROOT, position, proof)
    return TracePhase(kind)


def _fraud_proof(
    receipt: ExecutionReceipt, context: DomainBlockContext, execution: StorageProof, phase: TracePhase
) -> FraudProof:
    return FraudProof(context.domain_id, receipt.hash(), InvalidStateTransitionProof(execution, phase))
