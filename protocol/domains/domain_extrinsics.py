"""A consensus block's domain extrinsics, applied in one pass with one block scratch: fraud proofs first (so a
block that rolls a bad head back can carry the correct receipts), then singleton receipts, then bundles; then the
domains part of `on_finalize`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from autonomys.protocol.domains.block_tree import BlockScratch
from autonomys.protocol.domains.bundles import Bundle, SealedSingletonReceipt
from autonomys.protocol.domains.fraud_proofs import FraudProof
from autonomys.protocol.domains.fraud_submit import submit_fraud_proof
from autonomys.protocol.domains.ledger import Ledger
from autonomys.protocol.domains.params import DomainsParams
from autonomys.protocol.domains.submit import ConsensusBlockInfo, end_block, submit_bundle
from autonomys.protocol.domains.submit_receipt import submit_singleton_receipt
from autonomys.protocol.errors import InvalidBlock

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class DomainExtrinsics:
    """What a block carries for the domains."""

    bundles: tuple[Bundle, ...] = ()
    receipts: tuple[SealedSingletonReceipt, ...] = ()
    fraud_proofs: tuple[FraudProof, ...] = ()


NO_DOMAIN_EXTRINSICS: Final = DomainExtrinsics()


def _apply_each(items: Sequence[Item], apply: Callable[[Item], object], skip_invalid: bool) -> tuple[Item, ...]:
    """Apply items in order; an invalid one raises, or is left out when skip_invalid (block building)."""
    included = []
    for item in items:
        try:
            apply(item)
        except InvalidBlock:
            if not skip_invalid:
                raise
            continue
        included.append(item)
    return tuple(included)


def process_domain_extrinsics(
    ledger: Ledger, extrinsics: DomainExtrinsics, block: ConsensusBlockInfo, params: DomainsParams, *,
    skip_invalid: bool,
) -> DomainExtrinsics:  # fmt: skip
    """Apply a block's domain extrinsics; those included (all of them on import, where one invalid raises)."""
    scratch = BlockScratch()
    fraud_proofs = _apply_each(extrinsics.fraud_proofs, lambda proof: submit_fraud_proof(ledger, proof), skip_invalid)
    receipts = _apply_each(
        extrinsics.receipts,
        lambda receipt: submit_singleton_receipt(ledger, receipt, block, params, scratch),
        skip_invalid,
    )
    bundles = _apply_each(
        extrinsics.bundles, lambda bundle: submit_bundle(ledger, bundle, block, params, scratch), skip_invalid
    )
    end_block(ledger, scratch)
    return DomainExtrinsics(bundles, receipts, fraud_proofs)
