"""The node's pool of domain bundles: bundles operators submitted, checked against the best state, waiting for
the next block this node authors.

A bundle enters only if it passes the consensus rules on the best state (protocol.domains.submit
`validate_bundle`, run on a throwaway overlay: VRF, signature, receipt, limits), one per (operator, slot), and
the pool has room (the reference's pool validity: `provides (operator_id, slot)`, longevity of a few blocks).
When the best block changes, bundles whose slot the operator can no longer use (at or below its highest slot in
the chain, or older than the bundle longevity) leave. Building a block checks each again and skips the ones
that no longer apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.consensus.chain_ledger import ChainLedger
from autonomys.protocol.consensus.chain_state import ChainState, StateWriter
from autonomys.protocol.domains.block_tree import BlockScratch
from autonomys.protocol.domains.bundles import Bundle
from autonomys.protocol.domains.ledger import OverlayLedger
from autonomys.protocol.domains.params import DomainsParams
from autonomys.protocol.domains.submit import ConsensusBlockInfo, begin_block, operator_highest_slot, validate_bundle
from autonomys.protocol.errors import DecodeError, InvalidBundle, ProtocolError

MAX_POOL_BUNDLES: Final = 256
MAX_BUNDLE_BYTES: Final = 4 << 20
"""A bundle is at most a domain block's size (3.75 MiB) plus its header."""


class RejectedBundle(ProtocolError):
    """A submitted bundle the pool does not take; `reason` names why (a bundle rule, undecodable, pool_full)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PooledBundle:
    bundle: Bundle
    bundle_hash: bytes
    slot: int


class BundlePool:
    """See the module docstring."""

    def __init__(self, params: DomainsParams, max_bundles: int = MAX_POOL_BUNDLES) -> None:
        self.params = params
        self.max_bundles = max_bundles
        self._bundles: dict[tuple[int, int], PooledBundle] = {}

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
        overlay = OverlayLedger(ChainLedger(StateWriter(best)))
        try:
            # As in the next block: its on_initialize first (the best block's slot and hash recorded).
            begin_block(overlay, self.params, best.number, best.best_slot, block.parent_hash)
            validate_bundle(overlay, bundle, block, self.params, BlockScratch())
        except InvalidBundle as error:
            raise RejectedBundle(error.reason, str(error)) from error
        self._bundles[key] = PooledBundle(bundle, bundle_hash, election.slot_number)
        return bundle_hash

    def bundles(self) -> tuple[Bundle, ...]:
        """Pooled bundles, oldest slot first."""
        return tuple(pooled.bundle for _, pooled in sorted(self._bundles.items(), key=lambda item: item[0][::-1]))

    def __len__(self) -> int:
        return len(self._bundles)

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
        return len(stale)
