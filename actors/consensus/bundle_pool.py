"""The node's pool of domain extrinsics: bundles and singleton receipts operators submitted and fraud proofs
watchers submitted, checked against the best state, waiting for the next block this node authors.

A bundle enters only if it passes the consensus rules on the best state (protocol.domains.submit
`validate_bundle`, run on a throwaway overlay: VRF, signature, receipt, limits), one per (operator, slot), and
the pool has room (the reference's pool validity: `provides (operator_id, slot)`, longevity of a few blocks).
When the best block changes, bundles whose slot the operator can no longer use (at or below its highest slot in
the chain, or older than the bundle longevity) leave. Building a block checks each again and skips the ones
that no longer apply.

Singleton receipts follow the bundles' rules (`validate_singleton_receipt`, one per (operator, slot)). Fraud
proofs pass `validate_fraud_proof` and are kept one per domain (the reference's `provides = domain_id`): a proof
of a receipt nearer confirmation replaces the pooled one (priority u64::MAX − (bad number − confirmed number));
one whose receipt has left the block tree leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.consensus.chain_ledger import ChainLedger
from autonomys.protocol.consensus.chain_state import ChainState, StateWriter
from autonomys.protocol.domains.block_tree import BlockScratch, get_block_tree_node
from autonomys.protocol.domains.bundles import Bundle, SealedSingletonReceipt
from autonomys.protocol.domains.domain_extrinsics import DomainExtrinsics
from autonomys.protocol.domains.fraud_proofs import FraudProof
from autonomys.protocol.domains.fraud_submit import validate_fraud_proof
from autonomys.protocol.domains.ledger import OverlayLedger
from autonomys.protocol.domains.params import DomainsParams
from autonomys.protocol.domains.staking_storage import get_head_receipt_number
from autonomys.protocol.domains.submit import ConsensusBlockInfo, begin_block, operator_highest_slot, validate_bundle
from autonomys.protocol.domains.submit_receipt import validate_singleton_receipt
from autonomys.protocol.errors import (
    DecodeError,
    InvalidBundle,
    InvalidSingletonReceipt,
    ProtocolError,
    RejectedFraudProof,
)

MAX_POOL_BUNDLES: Final = 256
MAX_BUNDLE_BYTES: Final = 4 << 20
"""A bundle is at most a domain block's size (3.75 MiB) plus its header."""


class RejectedBundle(ProtocolError):
    """A submitted bundle, singleton receipt or fraud proof the pool does not take; `reason` names why (a rule of
    the chain, undecodable, pool_full, lower_priority)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PooledBundle:
    bundle: Bundle
    bundle_hash: bytes
    slot: int


@dataclass(frozen=True, slots=True)
class PooledReceipt:
    receipt: SealedSingletonReceipt
    receipt_hash: bytes
    slot: int


@dataclass(frozen=True, slots=True)
class PooledFraudProof:
    proof: FraudProof
    bad_receipt_number: int


class BundlePool:
    """See the module docstring."""

    def __init__(self, params: DomainsParams, max_bundles: int = MAX_POOL_BUNDLES) -> None:
        self.params = params
        self.max_bundles = max_bundles
        self._bundles: dict[tuple[int, int], PooledBundle] = {}
        self._receipts: dict[tuple[int, int], PooledReceipt] = {}
        self._fraud_proofs: dict[int, PooledFraudProof] = {}

    def submit(self, data: bytes, best: ChainState, block: ConsensusBlockInfo) -> bytes:
        """Pool an encoded bundle valid on `best` for a block like `block`; its hash. RejectedBundle otherwise."""
        if len(data) > MAX_BUNDLE_BYTES:
            raise RejectedBundle("too_large", f"{len(data)} bytes")
        try:
            bundle = Bundle.from_bytes(bytes(data))
        except DecodeError as error:
            raise RejectedBundle("undecodable", str(error)) from error
        election = bundle.sealed_header.header.proof_of_election
        key = (election.operator_id, election.slot_number)
        bundle_hash = bundle.hash()
        existing = self._bundles.get(key)
        if existing is not None:
            if existing.bundle_hash == bundle_hash:
                return bundle_hash
            raise RejectedBundle("equivocated_bundle", f"operator {key[0]} already has a bundle for slot {key[1]}")
        if len(self._bundles) >= self.max_bundles:
            raise RejectedBundle("pool_full", f"{self.max_bundles} bundles pooled")
        try:
            validate_bundle(self._next_block(best, block), bundle, block, self.params, BlockScratch())
        except InvalidBundle as error:
            raise RejectedBundle(error.reason, str(error)) from error
        self._bundles[key] = PooledBundle(bundle, bundle_hash, election.slot_number)
        return bundle_hash

    def _next_block(self, best: ChainState, block: ConsensusBlockInfo) -> OverlayLedger:
        """A throwaway ledger as the next block starts: its on_initialize run (the best block's slot and hash)."""
        overlay = OverlayLedger(ChainLedger(StateWriter(best)))
        begin_block(overlay, self.params, best.number, best.best_slot, block.parent_hash)
        return overlay

    def submit_receipt(self, data: bytes, best: ChainState, block: ConsensusBlockInfo) -> bytes:
        """Pool an encoded sealed singleton receipt valid on `best`; its hash. RejectedBundle otherwise."""
        if len(data) > MAX_BUNDLE_BYTES:
            raise RejectedBundle("too_large", f"{len(data)} bytes")
        try:
            sealed = SealedSingletonReceipt.from_bytes(bytes(data))
        except DecodeError as error:
            raise RejectedBundle("undecodable", str(error)) from error
        election = sealed.singleton_receipt.proof_of_election
        key, receipt_hash = (election.operator_id, election.slot_number), sealed.pre_hash()
        existing = self._receipts.get(key)
        if existing is not None:
            if existing.receipt_hash == receipt_hash:
                return receipt_hash
            raise RejectedBundle("equivocated_receipt", f"operator {key[0]} already has a receipt for slot {key[1]}")
        if len(self._receipts) >= self.max_bundles:
            raise RejectedBundle("pool_full", f"{self.max_bundles} receipts pooled")
        try:
            validate_singleton_receipt(self._next_block(best, block), sealed, block, self.params, BlockScratch())
        except InvalidSingletonReceipt as error:
            raise RejectedBundle(error.reason, str(error)) from error
        self._receipts[key] = PooledReceipt(sealed, receipt_hash, election.slot_number)
        return receipt_hash

    def submit_fraud_proof(self, data: bytes, best: ChainState) -> bytes:
        """Pool an encoded fraud proof that proves a receipt of the best state's block tree wrong; the bad
        receipt's hash. RejectedBundle otherwise (`lower_priority` when the pooled proof of its domain is of a
        receipt nearer confirmation)."""
        if len(data) > MAX_BUNDLE_BYTES:
            raise RejectedBundle("too_large", f"{len(data)} bytes")
        try:
            proof = FraudProof.from_bytes(bytes(data))
        except DecodeError as error:
            raise RejectedBundle("undecodable", str(error)) from error
        existing = self._fraud_proofs.get(proof.domain_id)
        if existing is not None and existing.proof == proof:
            return proof.bad_receipt_hash
        ledger = OverlayLedger(ChainLedger(StateWriter(best)))
        try:
            node = validate_fraud_proof(ledger, proof)
        except RejectedFraudProof as error:
            raise RejectedBundle(error.reason, str(error)) from error
        number = node.receipt.domain_block_number
        if existing is not None and existing.bad_receipt_number <= number:
            raise RejectedBundle("lower_priority", f"a proof of receipt {existing.bad_receipt_number} is pooled")
        self._fraud_proofs[proof.domain_id] = PooledFraudProof(proof, number)
        return proof.bad_receipt_hash

    def bundles(self) -> tuple[Bundle, ...]:
        """Pooled bundles, oldest slot first."""
        return tuple(pooled.bundle for _, pooled in sorted(self._bundles.items(), key=lambda item: item[0][::-1]))

    def domain_extrinsics(self) -> DomainExtrinsics:
        """What the next block offers the domains: fraud proofs (one per domain, by domain), singleton receipts
        and bundles (oldest slot first)."""
        receipts = tuple(pooled.receipt for _, pooled in sorted(self._receipts.items(), key=lambda item: item[0][::-1]))
        proofs = tuple(self._fraud_proofs[domain_id].proof for domain_id in sorted(self._fraud_proofs))
        return DomainExtrinsics(self.bundles(), receipts, proofs)

    def __len__(self) -> int:
        return len(self._bundles) + len(self._receipts) + len(self._fraud_proofs)

    def prune(self, best: ChainState, highest_slot: Callable[[int], int | None] | None = None) -> int:
        """Drop bundles the chain at `best` can no longer take; the number dropped."""
        ledger = ChainLedger(StateWriter(best))
        lookup = highest_slot or (lambda operator_id: operator_highest_slot(ledger, operator_id))
        oldest = best.best_slot - self.params.bundle_longevity * 6
        stale = [
            key for key, pooled in self._bundles.items()
            if pooled.slot < oldest or pooled.slot <= (lookup(key[0]) or -1)
        ]  # fmt: skip
        for key in stale:
            del self._bundles[key]
        stale_receipts = [
            key for key, pooled in self._receipts.items()
            if pooled.slot < oldest or pooled.slot <= (lookup(key[0]) or -1)
        ]  # fmt: skip
        for key in stale_receipts:
            del self._receipts[key]
        settled = [
            domain_id for domain_id, pooled in self._fraud_proofs.items()
            if not _still_challengeable(ledger, pooled.proof)
        ]  # fmt: skip
        for domain_id in settled:
            del self._fraud_proofs[domain_id]
        return len(stale) + len(stale_receipts) + len(settled)


def _still_challengeable(ledger: ChainLedger, proof: FraudProof) -> bool:
    """The proof's bad receipt is still in the block tree, at or below the head."""
    node = get_block_tree_node(ledger, proof.bad_receipt_hash)
    return node is not None and node.receipt.domain_block_number <= get_head_receipt_number(ledger, proof.domain_id)
