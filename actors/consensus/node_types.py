"""The node's shared records: what an import did (ImportStatus, ImportOutcome), the node's bounds (NodeLimits),
its counters (NodeMetrics) and the two capabilities it is given (the archiver, a reward signer).

Every part of the node (actors.consensus.block_import, block_authoring, node_archive, object_lookup) takes these
from the Node that composes them, so the bounds are one frozen record passed in, never module globals.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.objects.mappings import GlobalObject


class ConfirmedBlockSink(Protocol):
    """The archiver: takes confirmed blocks in order, returns the segment headers archiving each one produced
    (again for a block it already took, so a lost answer loses nothing), and maps archived data to where it starts."""

    def on_confirmed_block(self, number: int, block: bytes) -> list[SegmentHeader]: ...

    def segment_headers_for_block(self, number: int) -> list[SegmentHeader]: ...

    def object_mapping(self, object_hash: bytes) -> GlobalObject | None: ...


RewardSigner = Callable[[bytes, bytes], bytes]
"""(public key, message) → sr25519 signature by that farmer (the node asks the farm that won)."""


class ImportStatus(enum.Enum):
    """What importing one block did."""

    IMPORTED = "imported"
    KNOWN = "known"
    """Already in the block tree, or an archived canonical block."""
    ORPHAN = "orphan"
    """Its parent is unknown: held until the parent arrives (ask a peer for the ancestry)."""
    EARLY = "early"
    """Held until the PoT output of its future slot arrives (Node.import_early_blocks)."""
    AWAITING_ARCHIVE = "awaiting_archive"
    """Held until this node has archived the block whose segment headers it must carry."""
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What importing one block did (see ImportStatus); a rejection says why in `reason`."""

    status: ImportStatus
    block_hash: bytes = b""
    reason: str = ""
    new_best: bool = False
    missing_parent: bytes = b""
    """For an orphan: the parent hash this node lacks (ask a peer for its ancestry)."""


@dataclass(frozen=True, slots=True)
class NodeLimits:
    """The node's bounds on what it holds in memory; the defaults are what a network node runs with."""

    max_orphans: int = 256
    """Blocks waiting for their parent; more are dropped (a peer's ancestry brings them again)."""
    max_early_slots: int = 16
    """A block claiming a PoT output this node lacks (its author heard the timekeeper first) waits for it when
    that slot is at most this far past this node's current slot; a block further ahead is judged at once."""
    max_early_blocks: int = 64
    """Blocks waiting for a PoT output, and, separately, blocks waiting for this node's archive."""
    max_votes_per_slot: int = 16
    """Vote solutions kept per slot (the nearest ones); a block carries the valid ones since its parent."""
    max_cached_block_objects: int = 1024
    """Object lists of recent blocks kept for object lookups before the cache starts over."""
    pot_margin_slots: int = 16
    """PoT outputs kept below the last archived block's slot (no block or vote can claim one: each must
    build on that block, at a later slot); older outputs leave memory and the store."""
    prune: bool = True
    """Drop what the last archived block makes final (blocks below it, forks off it, old PoT outputs). False
    keeps everything, as the node once did; only for measuring what pruning saves."""
    state_window: int | None = 0
    """Final canonical states kept openable (for proofs at old blocks) below the best block: 0 keeps only the
    block tree's (the last archived block and above, `confirmation_depth_k` blocks); N keeps the last N; None
    keeps every state (`--state-pruning archive`). Abandoned forks' states are always pruned."""


@dataclass
class NodeMetrics:
    blocks_imported: int = 0
    blocks_authored: int = 0
    blocks_rejected: int = 0
    solutions_refused: int = 0
    """Winning solutions this node did not author with: the chain refuses them (an expired sector, say)."""
    votes_included: int = 0
    equivocations: int = 0
    reorgs: int = 0
    last_rejection: str = ""
    last_archive_error: str = ""
    authored_by_farm: dict[str, int] = field(default_factory=dict)
    blocks_pruned: int = 0
    """Blocks whose state left memory because the archive made them final."""
