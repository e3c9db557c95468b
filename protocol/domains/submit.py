"""A bundle on the consensus chain (pallet-domains `validate_submit_bundle` and `submit_bundle`): the checks in
the reference's order, each failure an InvalidBundle naming its rule with nothing written, then the effects —
the receipt into the block tree (confirming and paying out the block `pruning_depth` below), the epoch
transition at the first bundle of a domain in a block, the execution inbox, the slash step.

`ConsensusBlockInfo` is what the chain passes of the block being applied; the PoT output of a slot comes from the
node (as `is_proof_of_time_valid` asks the client). Recent block slots are a record in the state
(`domains/recent_block_slots`), written by `begin_block`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.codec import Reader, decode_exactly, encode_u32, encode_u64, encode_vector, read_vector
from autonomys.protocol.domains.block_tree import (
    BlockScratch,
    ConfirmedDomainBlock,
    ReceiptType,
    append_to_inbox,
    classify_receipt,
    invalid_bundle_authors,
    process_execution_receipt,
    prune_bad_receipt_at,
    record_block_inherent_data,
    record_consensus_block_hash,
    verify_execution_receipt,
)
from autonomys.protocol.domains.bundles import Bundle, ProofOfElection
from autonomys.protocol.domains.election import verify_proof_of_election
from autonomys.protocol.domains.ledger import Ledger, transaction
from autonomys.protocol.domains.params import DomainsParams
from autonomys.protocol.domains.receipts import ExecutionReceipt
from autonomys.protocol.domains.registry import get_domain
from autonomys.protocol.domains.staking import do_mark_invalid_bundle_authors, do_mark_operators_as_slashed
from autonomys.protocol.domains.staking_epoch import (
    charge_bundle_storage_fee,
    do_finalize_domain_current_epoch,
    do_slash_operator,
    refund_storage_fee,
    reward_operators,
)
from autonomys.protocol.domains.staking_storage import (
    get_head_domain_number,
    get_head_receipt_number,
    get_operator,
    get_operator_status,
    get_staking_summary,
    put_head_domain_number,
    put_operator_bundle_count,
    take_operator_bundle_count,
)
from autonomys.protocol.domains.staking_types import OperatorStatusKind, SlashedReason
from autonomys.protocol.errors import (
    DomainNotFound,
    InvalidBundle,
    InvalidProofOfElection,
    InvalidReceipt,
    ProtocolError,
)

RECENT_SLOTS_KEY: Final = b"domains/recent_block_slots"
BUNDLE_DOMAINS_KEY: Final = b"domains/successful_bundle_domains"
"""The domains the last block carried bundles of (pallet-domains `SuccessfulBundles`, drained next block)."""
BLOCKED_STATUSES: Final = frozenset(
    {OperatorStatusKind.SLASHED, OperatorStatusKind.PENDING_SLASH, OperatorStatusKind.INVALID_BUNDLE,
     OperatorStatusKind.DEACTIVATED}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ConsensusBlockInfo:
    """The consensus block whose body carries the bundles."""

    number: int
    slot: int
    parent_hash: bytes
    author: bytes
    """The block's reward address: it receives the bundles' storage fees."""
    transaction_byte_fee: int
    block_authoring_delay: int
    proof_of_time: Callable[[int], bytes | None]
    timestamp_ms: int = 0
    """The block's slot × the slot duration (the domain block's timestamp)."""
    proof_of_time_output: bytes = bytes(16)
    """The PoT output in the block's pre-digest (the domain's extrinsics shuffle seeds from it)."""


def _recent_slots(ledger: Ledger) -> tuple[tuple[int, int], ...]:
    raw = ledger.get(RECENT_SLOTS_KEY)
    if raw is None:
        return ()
    return decode_exactly(raw, "recent block slots", lambda reader: read_vector(reader, _read_number_and_slot))


def _read_number_and_slot(reader: Reader) -> tuple[int, int]:
    return reader.read_u32(), reader.read_u64()


def begin_block(
    ledger: Ledger, params: DomainsParams, parent_number: int, parent_slot: int, parent_hash: bytes
) -> None:
    """The domains part of a block's `on_initialize`: the parent's hash for each domain it carried bundles of
    (pallet-domains drains `SuccessfulBundles`), and the parent's slot among the recent ones."""
    raw = ledger.get(BUNDLE_DOMAINS_KEY)
    if raw is not None:
        for domain_id in decode_exactly(raw, "bundle domains", lambda reader: read_vector(reader, Reader.read_u32)):
            record_consensus_block_hash(ledger, domain_id, parent_number, parent_hash)
        ledger.delete(BUNDLE_DOMAINS_KEY)
    recent = [*_recent_slots(ledger), (parent_number, parent_slot)][-params.block_slot_count :]
    ledger.set(RECENT_SLOTS_KEY, encode_vector([encode_u32(number) + encode_u64(slot) for number, slot in recent]))


def _check_slot_and_proof_of_time(
    ledger: Ledger, params: DomainsParams, bundle_slot: int, proof_of_time: bytes, block: ConsensusBlockInfo
) -> None:
    """pallet-domains `check_slot_and_proof_of_time`."""
    if bundle_slot > block.slot + block.block_authoring_delay:
        raise InvalidBundle("slot_in_the_future", f"slot {bundle_slot} after block slot {block.slot} + delay")
    earlier = [number for number, slot in _recent_slots(ledger) if slot < bundle_slot]
    if not earlier:
        if block.number > params.bundle_longevity:
            raise InvalidBundle("slot_in_the_past", f"slot {bundle_slot} precedes every recent block")
    elif max(earlier) < block.number - params.bundle_longevity:
        raise InvalidBundle("slot_in_the_past", f"slot {bundle_slot} is older than the bundle longevity")
    if block.proof_of_time(bundle_slot) != proof_of_time:
        raise InvalidBundle("invalid_proof_of_time", f"not the proof of time of slot {bundle_slot}")


def _highest_slot_key(operator_id: int) -> bytes:
    return b"domains/operator_highest_slot/" + encode_u64(operator_id)


def operator_highest_slot(ledger: Ledger, operator_id: int) -> int | None:
    """OperatorHighestSlot: the highest slot of the operator's bundles in earlier blocks (None: no bundle yet)."""
    raw = ledger.get(_highest_slot_key(operator_id))
    return None if raw is None else int.from_bytes(raw, "little")


def validate_bundle(
    ledger: Ledger, bundle: Bundle, block: ConsensusBlockInfo, params: DomainsParams, scratch: BlockScratch
) -> ReceiptType:
    """pallet-domains `validate_submit_bundle` in-block, in its order; charges the bundle storage fee (the caller
    runs it inside a transaction). The receipt's type in the block tree."""
    header = bundle.sealed_header.header
    election = header.proof_of_election
    domain_id, operator_id = election.domain_id, election.operator_id
    try:
        domain = get_domain(ledger, domain_id)
    except DomainNotFound as error:
        raise InvalidBundle("invalid_domain_id", str(error)) from error
    gap = get_head_domain_number(ledger, domain_id) - get_head_receipt_number(ledger, domain_id)
    if gap > 1:
        raise InvalidBundle("unexpected_receipt_gap", f"{gap} domain blocks without a receipt")
    try:
        fee = charge_bundle_storage_fee(ledger, operator_id, bundle.size(), block.transaction_byte_fee)
    except ProtocolError as error:
        raise InvalidBundle("bundle_storage_fee", str(error)) from error
    ledger.mint(block.author, fee)
    limit = domain.config.bundle_limit or params.max_bundle(domain.config.bundle_slot_probability)
    if bundle.body_size() > limit.max_bundle_size:
        raise InvalidBundle("bundle_too_large", f"{bundle.body_size()} > {limit.max_bundle_size} bytes")
    weight = header.estimated_bundle_weight
    if weight.ref_time > limit.max_bundle_weight.ref_time or weight.proof_size > limit.max_bundle_weight.proof_size:
        raise InvalidBundle("bundle_too_heavy", f"{weight} exceeds {limit.max_bundle_weight}")
    if bundle.extrinsics_root() != header.bundle_extrinsics_root:
        raise InvalidBundle("invalid_extrinsic_root", "the extrinsics do not hash to the header's root")
    _validate_eligibility(ledger, bundle, block, params, scratch)
    try:
        return classify_and_verify_receipt(ledger, domain_id, header.receipt, block, scratch)
    except InvalidReceipt as error:
        raise InvalidBundle(f"receipt_{error.reason}", str(error)) from error


def classify_and_verify_receipt(
    ledger: Ledger, domain_id: int, receipt: ExecutionReceipt, block: ConsensusBlockInfo, scratch: BlockScratch
) -> ReceiptType:
    """The receipt's type in the block tree once it passes `verify_execution_receipt`; InvalidReceipt otherwise."""
    receipt_type = classify_receipt(ledger, domain_id, receipt, scratch)
    verify_execution_receipt(
        ledger, domain_id, receipt, receipt_type, scratch,
        current_consensus_number=block.number, parent_consensus_hash=block.parent_hash,
    )  # fmt: skip
    return receipt_type


def _validate_eligibility(
    ledger: Ledger, bundle: Bundle, block: ConsensusBlockInfo, params: DomainsParams, scratch: BlockScratch
) -> None:
    sealed = bundle.sealed_header
    validate_eligibility(ledger, sealed.header.proof_of_election, sealed.verify_signature, block, params, scratch)


def validate_eligibility(
    ledger: Ledger,
    election: ProofOfElection,
    verify_signature: Callable[[bytes], bool],
    block: ConsensusBlockInfo,
    params: DomainsParams,
    scratch: BlockScratch,
) -> None:
    """pallet-domains `validate_eligibility` of a bundle or a singleton receipt (`verify_signature(public key)`
    checks its seal); InvalidBundle naming the rule."""
    domain_id, operator_id, slot = election.domain_id, election.operator_id, election.slot_number
    operator = get_operator(ledger, operator_id)
    if operator is None or operator.current_domain_id != domain_id:
        raise InvalidBundle("invalid_operator_id", f"no operator {operator_id} on domain {domain_id}")
    status = get_operator_status(ledger, operator_id, operator)
    if status.kind in BLOCKED_STATUSES:
        raise InvalidBundle("bad_operator", f"operator {operator_id} is {status.kind.name}")
    if not verify_signature(operator.signing_key):
        raise InvalidBundle("bad_bundle_signature", f"not signed by operator {operator_id}'s key")
    highest = operator_highest_slot(ledger, operator_id)
    if highest is not None and slot <= highest:
        raise InvalidBundle("slot_smaller_than_previous_block_bundle", f"slot {slot}")
    if (operator_id, slot) in scratch.operator_slots:
        raise InvalidBundle("equivocated_bundle", f"operator {operator_id} already used slot {slot} in this block")
    summary = get_staking_summary(ledger, domain_id)
    stake = summary.current_operators.get(operator_id)
    if stake is None:
        raise InvalidBundle("bad_operator", f"operator {operator_id} is not in the epoch's stake snapshot")
    _check_slot_and_proof_of_time(ledger, params, slot, election.proof_of_time, block)
    try:
        verify_proof_of_election(
            public_key=operator.signing_key, domain_id=domain_id, slot=slot, proof_of_time=election.proof_of_time,
            vrf_signature=election.vrf_signature, operator_stake=stake,
            total_domain_stake=summary.current_total_stake,
            bundle_slot_probability=get_domain(ledger, domain_id).config.bundle_slot_probability,
        )  # fmt: skip
    except InvalidProofOfElection as error:
        raise InvalidBundle(f"proof_of_election_{error.reason}", str(error)) from error


def process_bundles(
    ledger: Ledger, bundles: Sequence[Bundle], block: ConsensusBlockInfo, params: DomainsParams, *, skip_invalid: bool
) -> tuple[Bundle, ...]:
    """A block's bundles in order; an invalid one raises, or is left out when skip_invalid (block building)."""
    scratch = BlockScratch()
    included = []
    for bundle in bundles:
        try:
            submit_bundle(ledger, bundle, block, params, scratch)
        except InvalidBundle:
            if not skip_invalid:
                raise
            continue
        included.append(bundle)
    end_block(ledger, scratch)
    return tuple(included)


def submit_bundle(
    ledger: Ledger, bundle: Bundle, block: ConsensusBlockInfo, params: DomainsParams, scratch: BlockScratch
) -> ConfirmedDomainBlock | None:
    """Validate and apply one bundle; InvalidBundle (nothing written) when it breaks a rule. The domain block
    its receipt confirmed, if any."""
    with transaction(ledger) as overlay:
        receipt_type = validate_bundle(overlay, bundle, block, params, scratch)
        return _apply_bundle(overlay, bundle, receipt_type, block, params, scratch)


def _apply_bundle(
    ledger: Ledger, bundle: Bundle, receipt_type: ReceiptType, block: ConsensusBlockInfo, params: DomainsParams,
    scratch: BlockScratch,
) -> ConfirmedDomainBlock | None:  # fmt: skip
    election = bundle.sealed_header.header.proof_of_election
    domain_id, operator_id = election.domain_id, election.operator_id
    put_operator_bundle_count(ledger, operator_id, take_operator_bundle_count(ledger, operator_id) + 1)
    receipt = bundle.sealed_header.header.receipt
    confirmed = accept_receipt(ledger, domain_id, operator_id, receipt, receipt_type, params, scratch)
    if domain_id not in scratch.domains_with_bundles:
        scratch.domains_with_bundles.append(domain_id)
        next_number = get_head_domain_number(ledger, domain_id) + 1
        if next_number % params.staking.stake_epoch_duration == 0:
            do_finalize_domain_current_epoch(ledger, domain_id, block.slot, params.staking)
        put_head_domain_number(ledger, domain_id, next_number)
        record_block_inherent_data(
            ledger, domain_id, block.number, block.timestamp_ms, block.transaction_byte_fee, block.proof_of_time_output
        )
    append_to_inbox(
        ledger, domain_id, get_head_domain_number(ledger, domain_id), block.number, bundle.digest(), operator_id
    )
    scratch.operator_slots.add((operator_id, election.slot_number))
    do_slash_operator(ledger, domain_id, params.staking.max_nominators_to_slash)
    return confirmed


def accept_receipt(
    ledger: Ledger, domain_id: int, operator_id: int, receipt: ExecutionReceipt, receipt_type: ReceiptType,
    params: DomainsParams, scratch: BlockScratch,
) -> ConfirmedDomainBlock | None:  # fmt: skip
    """A verified receipt of a bundle or singleton receipt into the block tree: a new head first prunes a bad
    receipt left at its height and suspends the authors of the bundles it marks invalid; a confirmed block pays
    out."""
    if receipt_type is ReceiptType.NEW_HEAD:
        prune_bad_receipt_at(ledger, domain_id, receipt.domain_block_number)
        _mark_invalid_bundle_authors(ledger, domain_id, receipt)
    confirmed = process_execution_receipt(
        ledger, domain_id, operator_id, receipt, receipt_type, scratch, pruning_depth=params.block_tree_pruning_depth
    )
    if confirmed is not None:
        _pay_out(ledger, confirmed)
    return confirmed


def _mark_invalid_bundle_authors(ledger: Ledger, domain_id: int, receipt_of_new_head: ExecutionReceipt) -> None:
    authors = invalid_bundle_authors(ledger, domain_id, receipt_of_new_head)
    if authors:
        do_mark_invalid_bundle_authors(ledger, domain_id, authors, receipt_of_new_head.hash())


def _pay_out(ledger: Ledger, confirmed: ConfirmedDomainBlock) -> None:
    """Confirmation's payouts: storage fees refunded to the operators' funds by bundle bytes, the execution fee
    to the operators that carried the receipt, and the authors of invalid bundles slashed (pallet-domains
    `refund_storage_fee`, `do_reward_operators`, `do_mark_operators_as_slashed`)."""
    fees = confirmed.receipt.block_fees
    refund_storage_fee(ledger, fees.consensus_storage_fee, confirmed.paid_bundle_storage_fees)
    reward_operators(ledger, confirmed.domain_id, confirmed.operator_ids, fees.domain_execution_fee)
    if confirmed.invalid_bundle_authors:
        reason = SlashedReason(invalid_bundle_number=confirmed.receipt.domain_block_number)
        do_mark_operators_as_slashed(ledger, sorted(confirmed.invalid_bundle_authors), reason)


def end_block(ledger: Ledger, scratch: BlockScratch) -> None:
    """The domains part of `on_finalize`: each operator's highest bundle slot in this block becomes its floor."""
    highest: dict[int, int] = {}
    for operator_id, slot in scratch.operator_slots:
        highest[operator_id] = max(slot, highest.get(operator_id, 0))
    for operator_id, slot in highest.items():
        ledger.set(_highest_slot_key(operator_id), encode_u64(slot))
    if scratch.domains_with_bundles:
        ledger.set(
            BUNDLE_DOMAINS_KEY, encode_vector([encode_u32(domain_id) for domain_id in scratch.domains_with_bundles])
        )
