"""The consensus chain's tree of execution receipts per domain (pallet-domains `block_tree.rs`): which receipts
it accepts, and the confirmation of a domain block once its receipt is `pruning_depth` blocks under the head.

Records (keys under `domains/`): `block_tree/<d><n>` → receipt hash; `block_tree_node/<hash>` → the receipt and
the operators that submitted it; `latest_confirmed/<d>` → the latest confirmed receipt; `consensus_block_hash/<d><c>`
→ the hash of consensus block c that carried bundles of d; `block_inherent/<d><c>` → that block's timestamp, byte
fee and PoT output (the reference's `BlockInherentExtrinsicData`, what fraud proofs judge a receipt's extrinsics
against); `execution_inbox/<d><n>` → the BundleDigests (with
the consensus block number) of domain block n; `inboxed_bundle_author/<bundle header hash>` → the operator.
HeadReceiptNumber and LatestSubmittedER are staking_storage's records.

What the reference keeps for one consensus block only (`NewAddedHeadReceipt`, the slots each operator used,
whether a domain saw its first bundle) is a `BlockScratch` the chain passes through one block's bundles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_u32,
    encode_u64,
    encode_u128,
    encode_vector,
    read_u128,
    read_vector,
)
from autonomys.protocol.domains.bundles import BundleDigest
from autonomys.protocol.domains.ledger import Ledger
from autonomys.protocol.domains.receipts import (
    ExecutionReceipt,
    InboxedBundle,
    InvalidBundleKind,
    compute_execution_trace_root,
)
from autonomys.protocol.domains.staking import do_mark_operators_as_slashed, do_unmark_invalid_bundle_authors
from autonomys.protocol.domains.staking_storage import (
    delete_latest_submitted_receipt_number,
    get_head_receipt_number,
    get_latest_submitted_receipt_number,
    put_head_receipt_number,
    put_latest_submitted_receipt_number,
)
from autonomys.protocol.domains.staking_types import SlashedReason
from autonomys.protocol.errors import InvalidReceipt


class ReceiptType(Enum):
    """pallet-domains `ReceiptType` / `AcceptedReceiptType` / `RejectedReceiptType`."""

    NEW_HEAD = "new_head"
    CURRENT_HEAD = "current_head"
    IN_FUTURE = "in_future"
    PRUNED = "pruned"
    STALE = "stale"
    NEW_BRANCH = "new_branch"


@dataclass
class BlockScratch:
    """One consensus block's transient domain records (cleared by `on_finalize` in the reference)."""

    new_head_receipts: dict[int, ExecutionReceipt] = field(default_factory=dict)
    operator_slots: set[tuple[int, int]] = field(default_factory=set)
    domains_with_bundles: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BlockTreeNode:
    receipt: ExecutionReceipt
    operator_ids: tuple[int, ...]

    def to_bytes(self) -> bytes:
        return self.receipt.to_bytes() + encode_vector([encode_u64(operator) for operator in self.operator_ids])

    @classmethod
    def from_bytes(cls, data: bytes) -> BlockTreeNode:
        def read(reader: Reader) -> BlockTreeNode:
            return cls(ExecutionReceipt.read(reader), read_vector(reader, lambda inner: inner.read_u64()))

        return decode_exactly(data, "BlockTreeNode", read)


@dataclass(frozen=True, slots=True)
class ConfirmedDomainBlock:
    """What confirming a domain block pays out: its receipt, who carried it, each operator's valid bundle bytes,
    and the authors of bundles it marks invalid (pallet-domains `ConfirmedDomainBlockInfo`)."""

    domain_id: int
    receipt: ExecutionReceipt
    operator_ids: tuple[int, ...]
    paid_bundle_storage_fees: dict[int, int]
    invalid_bundle_authors: frozenset[int]


def _key(item: bytes, domain_id: int, number: int | None = None) -> bytes:
    return b"domains/" + item + b"/" + encode_u32(domain_id) + (b"" if number is None else encode_u32(number))


def _node_key(receipt_hash: bytes) -> bytes:
    return b"domains/block_tree_node/" + receipt_hash


def receipt_hash_at(ledger: Ledger, domain_id: int, number: int) -> bytes | None:
    return ledger.get(_key(b"block_tree", domain_id, number))


def get_block_tree_node(ledger: Ledger, receipt_hash: bytes) -> BlockTreeNode | None:
    raw = ledger.get(_node_key(receipt_hash))
    return None if raw is None else BlockTreeNode.from_bytes(raw)


def latest_confirmed_receipt(ledger: Ledger, domain_id: int) -> ExecutionReceipt | None:
    raw = ledger.get(_key(b"latest_confirmed", domain_id))
    return None if raw is None else ExecutionReceipt.from_bytes(raw)


def head_receipt(ledger: Ledger, domain_id: int) -> ExecutionReceipt | None:
    """The receipt at HeadReceiptNumber."""
    receipt_hash = receipt_hash_at(ledger, domain_id, get_head_receipt_number(ledger, domain_id))
    node = None if receipt_hash is None else get_block_tree_node(ledger, receipt_hash)
    return None if node is None else node.receipt


def store_genesis_receipt(ledger: Ledger, domain_id: int, receipt: ExecutionReceipt) -> None:
    """`instantiate_domain`: the genesis receipt, imported as confirmed."""
    receipt_hash = receipt.hash()
    ledger.set(_key(b"block_tree", domain_id, 0), receipt_hash)
    ledger.set(_node_key(receipt_hash), BlockTreeNode(receipt, ()).to_bytes())
    ledger.set(_key(b"latest_confirmed", domain_id), receipt.to_bytes())
    put_head_receipt_number(ledger, domain_id, 0)


def record_consensus_block_hash(ledger: Ledger, domain_id: int, consensus_number: int, block_hash: bytes) -> None:
    """ConsensusBlockHash[(domain, number)]: set at the next block's start for a block that carried bundles."""
    ledger.set(_key(b"consensus_block_hash", domain_id, consensus_number), block_hash)


def consensus_block_hash(ledger: Ledger, domain_id: int, consensus_number: int) -> bytes | None:
    return ledger.get(_key(b"consensus_block_hash", domain_id, consensus_number))


@dataclass(frozen=True, slots=True)
class BlockInherentData:
    """What a consensus block that carried a domain's bundles gives its domain block besides the bundles."""

    timestamp_ms: int
    transaction_byte_fee: int
    proof_of_time_output: bytes

    def to_bytes(self) -> bytes:
        return encode_u64(self.timestamp_ms) + encode_u128(self.transaction_byte_fee) + self.proof_of_time_output

    @classmethod
    def from_bytes(cls, data: bytes) -> BlockInherentData:
        return decode_exactly(
            data, "BlockInherentData", lambda reader: cls(reader.read_u64(), read_u128(reader), reader.read_bytes(16))
        )


def record_block_inherent_data(
    ledger: Ledger, domain_id: int, consensus_number: int, timestamp_ms: int, byte_fee: int, pot_output: bytes
) -> None:
    """At a domain's first bundle in consensus block `consensus_number`: what its domain block derives from."""
    data = BlockInherentData(timestamp_ms, byte_fee, pot_output)
    ledger.set(_key(b"block_inherent", domain_id, consensus_number), data.to_bytes())


def block_inherent_data(ledger: Ledger, domain_id: int, consensus_number: int) -> BlockInherentData | None:
    raw = ledger.get(_key(b"block_inherent", domain_id, consensus_number))
    return None if raw is None else BlockInherentData.from_bytes(raw)


# ---- the execution inbox ----


def _read_inbox_entry(reader: Reader) -> tuple[int, BundleDigest]:
    return reader.read_u32(), BundleDigest.read(reader)


def execution_inbox(ledger: Ledger, domain_id: int, domain_number: int) -> tuple[tuple[int, BundleDigest], ...]:
    raw = ledger.get(_key(b"execution_inbox", domain_id, domain_number))
    if raw is None:
        return ()
    return decode_exactly(raw, "ExecutionInbox", lambda reader: read_vector(reader, _read_inbox_entry))


def append_to_inbox(
    ledger: Ledger, domain_id: int, domain_number: int, consensus_number: int, digest: BundleDigest, operator_id: int
) -> None:
    """`submit_bundle`: the bundle's digest in ExecutionInbox[(d, n, c)], and its author."""
    entries = [*execution_inbox(ledger, domain_id, domain_number), (consensus_number, digest)]
    encoded = encode_vector([encode_u32(number) + entry.to_bytes() for number, entry in entries])
    ledger.set(_key(b"execution_inbox", domain_id, domain_number), encoded)
    ledger.set(b"domains/inboxed_bundle_author/" + digest.header_hash, encode_u64(operator_id))


# ---- accepting receipts ----


def classify_receipt(ledger: Ledger, domain_id: int, receipt: ExecutionReceipt, scratch: BlockScratch) -> ReceiptType:
    """pallet-domains `execution_receipt_type`."""
    number, head = receipt.domain_block_number, get_head_receipt_number(ledger, domain_id)
    extended = domain_id in scratch.new_head_receipts
    if number > head + 1:
        return ReceiptType.IN_FUTURE
    if number == head + 1:
        return ReceiptType.IN_FUTURE if extended else ReceiptType.NEW_HEAD
    confirmed = latest_confirmed_receipt(ledger, domain_id)
    confirmed_number = 0 if confirmed is None else confirmed.domain_block_number
    if confirmed_number != 0 and number <= confirmed_number:
        return ReceiptType.PRUNED
    if receipt_hash_at(ledger, domain_id, number) != receipt.hash():
        return ReceiptType.NEW_BRANCH
    if number == head and (extended or number == 0):
        return ReceiptType.CURRENT_HEAD
    return ReceiptType.STALE


def verify_execution_receipt(
    ledger: Ledger,
    domain_id: int,
    receipt: ExecutionReceipt,
    receipt_type: ReceiptType,
    scratch: BlockScratch,
    *,
    current_consensus_number: int,
    parent_consensus_hash: bytes,
) -> None:
    """pallet-domains `verify_execution_receipt` for an accepted type; InvalidReceipt names the rule broken."""
    if receipt_type not in (ReceiptType.NEW_HEAD, ReceiptType.CURRENT_HEAD):
        raise InvalidReceipt(receipt_type.value, f"receipt of domain block {receipt.domain_block_number}")
    new_head = scratch.new_head_receipts.get(domain_id)
    if new_head is not None and new_head != receipt:
        raise InvalidReceipt("unmatched_new_head_receipt", "another receipt extended the head in this block")
    number = receipt.domain_block_number
    if number == 0:
        if receipt.hash() != receipt_hash_at(ledger, domain_id, 0):
            raise InvalidReceipt("bad_genesis_receipt", "not the stored genesis receipt")
        return
    if len(receipt.execution_trace) < 2:
        raise InvalidReceipt("invalid_execution_trace", "fewer than 2 roots")
    _verify_consensus_block(ledger, domain_id, receipt, current_consensus_number, parent_consensus_hash)
    inbox = [digest.extrinsics_root for consensus, digest in execution_inbox(ledger, domain_id, number)
             if consensus == receipt.consensus_block_number]  # fmt: skip
    roots = [bundle.extrinsics_root for bundle in receipt.inboxed_bundles]
    if not roots or roots != inbox:
        raise InvalidReceipt("invalid_extrinsics_roots", "inboxed bundles differ from the execution inbox")
    if any(_claims_invalid_xdm(bundle) for bundle in receipt.inboxed_bundles):
        # No runtime here has cross-domain messages, so no fraud proof could answer the claim (the reference's
        # InvalidXDM proof data needs an XDM and its MMR proof): an honest receipt never makes it.
        raise InvalidReceipt("invalid_xdm_without_messaging", "a bundle marked InvalidXDM on a domain without XDM")
    if receipt.execution_trace_root != compute_execution_trace_root(receipt.execution_trace):
        raise InvalidReceipt("invalid_trace_root", "the execution trace root does not recompute")
    if receipt.final_state_root != receipt.execution_trace[-1]:
        raise InvalidReceipt("invalid_state_root", "final state root is not the trace's last root")
    parent_hash = receipt_hash_at(ledger, domain_id, number - 1)
    if parent_hash is None or parent_hash != receipt.parent_domain_block_receipt_hash:
        raise InvalidReceipt("unknown_parent_receipt", f"no receipt {receipt.parent_domain_block_receipt_hash.hex()}")


def _claims_invalid_xdm(bundle: InboxedBundle) -> bool:
    invalid = bundle.bundle.invalid_bundle_type
    return invalid is not None and invalid.kind == InvalidBundleKind.INVALID_XDM


def _verify_consensus_block(
    ledger: Ledger, domain_id: int, receipt: ExecutionReceipt, current_number: int, parent_hash: bytes
) -> None:
    expected = consensus_block_hash(ledger, domain_id, receipt.consensus_block_number)
    if expected is None and receipt.consensus_block_number == current_number - 1:
        expected = parent_hash
    if expected is None or expected != receipt.consensus_block_hash:
        raise InvalidReceipt("built_on_unknown_consensus_block", f"consensus block {receipt.consensus_block_number}")


def process_execution_receipt(
    ledger: Ledger,
    domain_id: int,
    submitter: int,
    receipt: ExecutionReceipt,
    receipt_type: ReceiptType,
    scratch: BlockScratch,
    *,
    pruning_depth: int,
) -> ConfirmedDomainBlock | None:
    """pallet-domains `process_execution_receipt`: add a new head (confirming the block `pruning_depth` below it)
    or count another submitter of the current head."""
    number, receipt_hash = receipt.domain_block_number, receipt.hash()
    confirmed = None
    if receipt_type is ReceiptType.NEW_HEAD:
        ledger.set(_key(b"block_tree", domain_id, number), receipt_hash)
        ledger.set(_node_key(receipt_hash), BlockTreeNode(receipt, (submitter,)).to_bytes())
        put_head_receipt_number(ledger, domain_id, number)
        scratch.new_head_receipts[domain_id] = receipt
        if number >= pruning_depth:
            confirmed = _confirm(ledger, domain_id, number - pruning_depth)
    elif receipt_type is ReceiptType.CURRENT_HEAD:
        node = get_block_tree_node(ledger, receipt_hash)
        if node is not None:
            ledger.set(_node_key(receipt_hash), BlockTreeNode(node.receipt, (*node.operator_ids, submitter)).to_bytes())
    put_latest_submitted_receipt_number(ledger, domain_id, submitter, number)
    return confirmed


def _confirm(ledger: Ledger, domain_id: int, number: int) -> ConfirmedDomainBlock | None:
    """Prune the node of domain block `number` and return what confirming it pays out (nothing when absent)."""
    receipt_hash = receipt_hash_at(ledger, domain_id, number)
    node = None if receipt_hash is None else get_block_tree_node(ledger, receipt_hash)
    if receipt_hash is None or node is None:
        return None
    ledger.delete(_node_key(receipt_hash))
    receipt = node.receipt
    paid: dict[int, int] = {}
    invalid: set[int] = set()
    inbox = execution_inbox(ledger, domain_id, number)
    for (_, digest), bundle in zip(inbox, receipt.inboxed_bundles, strict=False):
        author_key = b"domains/inboxed_bundle_author/" + digest.header_hash
        raw = ledger.get(author_key)
        ledger.delete(author_key)
        if raw is None:
            continue
        author = int.from_bytes(raw, "little")
        if bundle.bundle.is_valid:
            paid[author] = paid.get(author, 0) + digest.size
        else:
            invalid.add(author)
    ledger.delete(_key(b"execution_inbox", domain_id, number))
    ledger.set(_key(b"latest_confirmed", domain_id), receipt.to_bytes())
    ledger.delete(_key(b"consensus_block_hash", domain_id, receipt.consensus_block_number))
    ledger.delete(_key(b"block_inherent", domain_id, receipt.consensus_block_number))
    _forget_latest_submitted(ledger, domain_id, node)
    return ConfirmedDomainBlock(domain_id, receipt, node.operator_ids, paid, frozenset(invalid))


# ---- pruning bad receipts ----


def _forget_latest_submitted(ledger: Ledger, domain_id: int, node: BlockTreeNode) -> None:
    """LatestSubmittedER goes with the node that carried it (pallet-domains `prune_receipt`)."""
    number = node.receipt.domain_block_number
    for operator_id in node.operator_ids:
        if get_latest_submitted_receipt_number(ledger, domain_id, operator_id) == number:
            delete_latest_submitted_receipt_number(ledger, domain_id, operator_id)


def prune_receipt(ledger: Ledger, domain_id: int, number: int) -> BlockTreeNode | None:
    """pallet-domains `prune_receipt`: take the receipt at `number` out of the block tree (None when absent)."""
    receipt_hash = receipt_hash_at(ledger, domain_id, number)
    node = None if receipt_hash is None else get_block_tree_node(ledger, receipt_hash)
    if receipt_hash is None or node is None:
        return None
    ledger.delete(_key(b"block_tree", domain_id, number))
    ledger.delete(_node_key(receipt_hash))
    _forget_latest_submitted(ledger, domain_id, node)
    return node


def invalid_bundle_authors(ledger: Ledger, domain_id: int, receipt: ExecutionReceipt) -> list[int]:
    """The authors of the bundles `receipt` marks invalid (from its block's execution inbox)."""
    inbox = execution_inbox(ledger, domain_id, receipt.domain_block_number)
    authors = []
    for (_, digest), inboxed in zip(inbox, receipt.inboxed_bundles, strict=False):
        author = ledger.get(b"domains/inboxed_bundle_author/" + digest.header_hash)
        if author is not None and not inboxed.bundle.is_valid:
            authors.append(int.from_bytes(author, "little"))
    return authors


def slash_receipt_submitters(ledger: Ledger, domain_id: int, node: BlockTreeNode) -> tuple[int, ...]:
    """Every operator that carried a pruned bad receipt is slashed (`BadExecutionReceipt`), and the authors it
    had suspended for invalid bundles are restored. The operators newly marked."""
    receipt_hash = node.receipt.hash()
    slashed = do_mark_operators_as_slashed(ledger, node.operator_ids, SlashedReason(bad_receipt_hash=receipt_hash))
    do_unmark_invalid_bundle_authors(
        ledger, domain_id, invalid_bundle_authors(ledger, domain_id, node.receipt), receipt_hash
    )
    return slashed


def prune_bad_receipt_at(ledger: Ledger, domain_id: int, number: int) -> tuple[int, ...]:
    """Before a new head at `number` enters the tree: a receipt still there (a descendant of one a fraud proof
    pruned) is bad; prune it and slash its submitters (pallet-domains `submit_bundle`). The operators slashed."""
    node = prune_receipt(ledger, domain_id, number)
    return () if node is None else slash_receipt_submitters(ledger, domain_id, node)
