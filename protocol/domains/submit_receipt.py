"""A singleton receipt on the consensus chain (pallet-domains `validate_singleton_receipt`, `submit_receipt`): a
receipt without a bundle, which operators submit to catch up when the domain has more blocks than receipts (a
fraud proof rolled the head back, or bundles went missing) — bundles are refused while the receipt gap is > 1.

It pays the storage fee of its size, passes the same eligibility checks as a bundle (operator, signature over
H(SingletonReceipt), slots, proof of time, VRF election) and the receipt checks, then enters the block tree like a
bundle's receipt and runs the slash step. Each check failure is an InvalidSingletonReceipt with nothing written.
"""

from __future__ import annotations

from autonomys.protocol.domains.block_tree import (
    BlockScratch,
    ConfirmedDomainBlock,
    ReceiptType,
)
from autonomys.protocol.domains.bundles import SealedSingletonReceipt
from autonomys.protocol.domains.ledger import Ledger, transaction
from autonomys.protocol.domains.params import DomainsParams
from autonomys.protocol.domains.registry import get_domain
from autonomys.protocol.domains.staking_epoch import charge_bundle_storage_fee, do_slash_operator
from autonomys.protocol.domains.staking_storage import get_head_domain_number, get_head_receipt_number
from autonomys.protocol.domains.submit import (
    ConsensusBlockInfo,
    accept_receipt,
    classify_and_verify_receipt,
    validate_eligibility,
)
from autonomys.protocol.errors import (
    DomainNotFound,
    InvalidBundle,
    InvalidReceipt,
    InvalidSingletonReceipt,
    ProtocolError,
)


def receipt_gap(ledger: Ledger, domain_id: int) -> int:
    """Domain blocks derived beyond the head receipt (HeadDomainNumber − HeadReceiptNumber)."""
    return get_head_domain_number(ledger, domain_id) - get_head_receipt_number(ledger, domain_id)


def validate_singleton_receipt(
    ledger: Ledger, sealed: SealedSingletonReceipt, block: ConsensusBlockInfo, params: DomainsParams,
    scratch: BlockScratch,
) -> ReceiptType:  # fmt: skip
    """The checks in the reference's order (charging the storage fee; the caller runs it inside a transaction);
    the receipt's type in the block tree."""
    election, receipt = sealed.singleton_receipt.proof_of_election, sealed.singleton_receipt.receipt
    domain_id, operator_id = election.domain_id, election.operator_id
    try:
        get_domain(ledger, domain_id)
    except DomainNotFound as error:
        raise InvalidSingletonReceipt("invalid_domain_id", str(error)) from error
    gap = receipt_gap(ledger, domain_id)
    if gap <= 1:
        raise InvalidSingletonReceipt("expecting_receipt_gap", f"a gap of {gap}: receipts go in bundles")
    try:
        fee = charge_bundle_storage_fee(ledger, operator_id, len(sealed.to_bytes()), block.transaction_byte_fee)
        ledger.mint(block.author, fee)
        validate_eligibility(ledger, election, sealed.verify_signature, block, params, scratch)
    except InvalidBundle as error:
        raise InvalidSingletonReceipt(error.reason, str(error)) from error
    except ProtocolError as error:
        raise InvalidSingletonReceipt("bundle_storage_fee", str(error)) from error
    try:
        return classify_and_verify_receipt(ledger, domain_id, receipt, block, scratch)
    except InvalidReceipt as error:
        raise InvalidSingletonReceipt(f"receipt_{error.reason}", str(error)) from error


def submit_singleton_receipt(
    ledger: Ledger, sealed: SealedSingletonReceipt, block: ConsensusBlockInfo, params: DomainsParams,
    scratch: BlockScratch,
) -> ConfirmedDomainBlock | None:  # fmt: skip
    """Validate and apply one singleton receipt; InvalidSingletonReceipt (nothing written) when it breaks a rule."""
    election, receipt = sealed.singleton_receipt.proof_of_election, sealed.singleton_receipt.receipt
    with transaction(ledger) as overlay:
        receipt_type = validate_singleton_receipt(overlay, sealed, block, params, scratch)
        confirmed = accept_receipt(
            overlay, election.domain_id, election.operator_id, receipt, receipt_type, params, scratch
        )
        scratch.operator_slots.add((election.operator_id, election.slot_number))
        do_slash_operator(overlay, election.domain_id, params.staking.max_nominators_to_slash)
        return confirmed
