"""Faulty receipts, for tests and demonstrations of fraud proofs: how a lying operator corrupts its own honest
receipt, kind by kind, so that the consensus chain still accepts it (the trace root recomputes, the final root is
the trace's last, the inboxed bundles keep their extrinsics roots) and only a fraud proof can show it wrong.

- `state-root`: one root inside the execution trace (after the first extrinsic) → InvalidStateTransition;
- `extrinsics-root`: the domain block's extrinsics root → InvalidExtrinsicsRoot;
- `drop-bundle`: the first of the liar's own bundles the block took, marked invalid (wrong weight), as if its
  transactions were dropped → InvalidBundles. (Marking another operator's bundle invalid suspends that operator
  until the next epoch even after the lie is proven, as pallet-domains does: with the devnet's two operators the
  domain would have no stake left to go on.)
- `fees`: the execution fee, one unit higher → InvalidBlockFees.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from autonomys.protocol.domains.receipts import (
    BundleValidity,
    ExecutionReceipt,
    InboxedBundle,
    InvalidBundleKind,
    InvalidBundleType,
    compute_execution_trace_root,
)
from autonomys.protocol.domains.substrate_trie import compute_blake2_256

FAULT_KINDS: Final = ("state-root", "extrinsics-root", "drop-bundle", "fees")


class UnknownFault(ValueError):
    """A faulty-operator kind that does not exist."""


def validate_fault(kind: str) -> str:
    if kind not in FAULT_KINDS:
        msg = f"unknown faulty-operator kind {kind!r}: choose one of {', '.join(FAULT_KINDS)}"
        raise UnknownFault(msg)
    return kind


def _wrong(value: bytes) -> bytes:
    return compute_blake2_256(b"faulty operator" + value)


def corrupt_receipt(
    kind: str, receipt: ExecutionReceipt, own_bundles: frozenset[int] | None = None
) -> ExecutionReceipt | None:
    """The lie of `kind` about `receipt` (an honest receipt of a block after genesis); None when this block
    offers nothing to lie about (a drop-bundle lie of a block without a valid bundle among `own_bundles`, the
    indexes of the liar's bundles; None: any bundle)."""
    validate_fault(kind)
    if kind == "state-root":
        trace = list(receipt.execution_trace)
        position = 1 if len(trace) > 2 else len(trace) - 1
        trace[position] = _wrong(trace[position])
        return dataclasses.replace(
            receipt, execution_trace=tuple(trace), execution_trace_root=compute_execution_trace_root(trace),
            final_state_root=trace[-1],
        )  # fmt: skip
    if kind == "extrinsics-root":
        return dataclasses.replace(receipt, domain_block_extrinsic_root=_wrong(receipt.domain_block_extrinsic_root))
    if kind == "fees":
        fees = receipt.block_fees
        return dataclasses.replace(
            receipt, block_fees=dataclasses.replace(fees, domain_execution_fee=fees.domain_execution_fee + 1)
        )
    bundles = list(receipt.inboxed_bundles)
    index = next(
        (
            at for at, bundle in enumerate(bundles)
            if bundle.bundle.is_valid and (own_bundles is None or at in own_bundles)
        ),
        None,
    )  # fmt: skip
    if index is None:
        return None
    invalid = BundleValidity(invalid_bundle_type=InvalidBundleType(InvalidBundleKind.INVALID_BUNDLE_WEIGHT))
    bundles[index] = InboxedBundle(invalid, bundles[index].extrinsics_root)
    return dataclasses.replace(receipt, inboxed_bundles=tuple(bundles))
