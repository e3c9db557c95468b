"""One way to get a piece of history, used by plotting and by users, in the reference's order
(subspace-farmer `FarmerPieceGetter::get_piece`).

1. Local caches (the farmer's own share of its disk).
2. DSN L2: the cache peers closest to the piece's key, found with a Kademlia lookup.
3. The node's cache of the last archived segment.
4. Steps 1-3 again with backoff, up to `retries` times, when a source failed (not when all said "no copy").
5. The farmer's own plots (L1: decode the record from a sector).
6. L1 across other farmers.
7. An archival node's piece files, when the network has one (optional; the devnet's archiver keeps every
   segment, the reference's node only the last).
8. Reconstruction from any half of the segment's pieces, gathered through steps 1-3 and 5-7. Only the
   rebuilt piece is checked; if it is invalid, the pieces are gathered again, each checked.

Every piece `get_piece` and `get_pieces` return is checked with `is_piece_valid` against its segment's
commitment (`get_pieces` checks a batch at once with `are_pieces_valid`: one MSM per batch). A source that
serves an invalid piece is demoted: it is tried after the sources of its tier that never did, and after
`ban_after` bad pieces it is not asked again. A source that fails (raises) is skipped for this piece.

Objects need no MSM at all: their bytes are named by a hash, which checks them for a fraction of the cost.
`get_pieces_unchecked` hands pieces out unchecked (fetched in parallel), each with the name of its source;
only when the bytes read from them fail their hash does the caller ask `verify_pieces` to check them, which
demotes the sources of the bad ones exactly as above and fetches those pieces again, checked.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from autonomys.actors.archiving.piece_store import ServedPiece
from autonomys.protocol.archiving.archived_segment import is_piece_valid
from autonomys.protocol.archiving.piece_batch import are_pieces_valid
from autonomys.protocol.archiving.piece_reconstruction import reconstruct_piece
from autonomys.protocol.archiving.pieces import (
    compute_piece_position,
    compute_piece_segment_index,
    compute_segment_piece_indexes_source_first,
)
from autonomys.protocol.errors import InvalidPiece, ReconstructionError
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import Params
from autonomys.protocol.types import PieceIndex, SegmentIndex

logger = logging.getLogger(__name__)



class PieceTier(enum.StrEnum):
    """Where a piece came from, in the order the getter tries (GetterStats.by_tier; the names benchmarks report)."""

    LOCAL = "local"
    L2 = "l2"
    NODE = "node"
    PLOTS = "plots"
    FARMERS = "farmers"
    ARCHIVE = "archive"
    RECONSTRUCTION = "reconstruction"

BAN_AFTER = 3
BATCH_SIZE = 32
"""Pieces `get_pieces` checks together: one MSM per batch instead of one per piece (32 DEV pieces: 32 MiB)."""
FETCH_THREADS = 8
"""Pieces `get_pieces_unchecked` fetches at once (each a network round trip: parallel fetches overlap them)."""


class PieceSource(Protocol):
    """A named place that may hold a piece (None: it does not)."""

    @property
    def name(self) -> str: ...

    def get_piece(self, piece_index: int) -> bytes | None: ...


class ProviderDirectory(Protocol):
    """The DSN L2: the sources to ask for a piece, nearest to its key first (a Kademlia lookup)."""

    def providers(self, piece_index: int) -> Sequence[PieceSource]: ...


class CommitmentSource(Protocol):
    def segment_commitment(self, segment_index: int) -> bytes | None: ...


class PieceUnavailable(Exception):
    """No source (and no reconstruction) produced a valid piece; the message says what was tried."""


@dataclass
class SourceRecord:
    served: int = 0
    invalid: int = 0
    failures: int = 0


@dataclass
class GetterStats:
    """Where pieces came from (by tier) and how each source behaved."""

    by_tier: dict[PieceTier, int] = field(default_factory=lambda: dict.fromkeys(PieceTier, 0))
    sources: dict[str, SourceRecord] = field(default_factory=dict)
    unavailable: int = 0
    unchecked: int = 0
    """Pieces handed out unchecked (get_pieces_unchecked)."""
    verified: int = 0
    """Of those, pieces checked afterwards (verify_pieces)."""


@dataclass(frozen=True)
class _Hit:
    """A piece as a source of a tier gave it."""

    piece: bytes
    tier: PieceTier
    source: PieceSource


@dataclass(frozen=True)
class PieceSources:
    """The sources of each tier; any may be empty."""

    local: Sequence[PieceSource] = ()
    l2: ProviderDirectory | None = None
    node: Sequence[PieceSource] = ()
    plots: Sequence[PieceSource] = ()
    farmers: Sequence[PieceSource] = ()
    archive: Sequence[PieceSource] = ()


class PieceGetter:
    """Verified pieces from the first tier that has them; see the module docstring for the order."""

    verifies_pieces = True
    """Every piece returned passed is_piece_valid (plotting does not check it again)."""

    def __init__(
        self,
        params: Params,
        kzg: Kzg,
        commitments: CommitmentSource,
        sources: PieceSources,
        *,
        retries: int = 0,
        retry_delay_seconds: float = 0.5,
        reconstruct: bool = True,
        ban_after: int = BAN_AFTER,
        batch_size: int = BATCH_SIZE,
        fetch_threads: int = FETCH_THREADS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.params = params
        self.kzg = kzg
        self.commitments = commitments
        self.sources = sources
        self.retries = retries
        self.retry_delay_seconds = retry_delay_seconds
        self.reconstruct = reconstruct
        self.ban_after = ban_after
        self.batch_size = batch_size
        self.fetch_threads = fetch_threads
        self.sleep = sleep
        self.stats = GetterStats()
        self._failures = 0
        """Sources that raised, ever: the fast tiers are retried only after a failure (a busy or restarting peer)."""
        self._lock = threading.Lock()
        self._commitments: dict[int, bytes] = {}
        """Commitments of archived segments asked for so far (a node round trip each in a cluster)."""

    def get_piece(self, piece_index: int) -> bytes | None:
        """The verified piece, or None when nothing (not even reconstruction) produced it."""
        try:
            return self.fetch(piece_index)
        except PieceUnavailable as error:
            logger.info("%s", error)
            return None

    def get_pieces(self, piece_indexes: Sequence[int]) -> list[bytes | None]:
        """Verified pieces in order (None where nothing produced one), checked `batch_size` at a time.

        Each piece comes unchecked from the first tier that has it, and `are_pieces_valid` checks a batch with
        one MSM instead of one per piece. If a batch fails, its pieces are fetched again as `get_piece` does,
        each checked on its own, so the bad source is found and demoted. Pieces no tier has go the same way
        (retries, reconstruction)."""
        pieces: list[bytes | None] = []
        for start in range(0, len(piece_indexes), self.batch_size):
            pieces += self._get_batch([PieceIndex(index) for index in piece_indexes[start : start + self.batch_size]])
        return pieces

    def get_pieces_unchecked(self, piece_indexes: Sequence[int]) -> list[ServedPiece | None]:
        """Pieces in order, each as the first tier that has it serves it, NOT checked, with the source's name.

        For callers that check the bytes themselves (an object's content hash) and call `verify_pieces` only when
        that fails. Fetched on up to `fetch_threads` threads. A piece no tier has goes the `get_piece` way
        (retries, reconstruction) and comes back checked (source None); None where nothing produced one, and for
        a piece of a segment not archived (no source is asked)."""
        indexes = [PieceIndex(index) for index in piece_indexes]
        if self.fetch_threads <= 1 or len(indexes) <= 1:
            return [self._unchecked(index) for index in indexes]
        with ThreadPoolExecutor(max_workers=min(self.fetch_threads, len(indexes))) as pool:
            return list(pool.map(self._unchecked, indexes))

    def verify_pieces(self, piece_indexes: Sequence[int], served: Sequence[ServedPiece | None]) -> list[bytes | None]:
        """The pieces `get_pieces_unchecked` gave, checked: all at once (`are_pieces_valid`), then one by one if
        that fails. A bad piece's source is demoted (as `get_piece` does) and the piece fetched again, checked
        (None when no valid copy is found). Pieces already checked (source None), pieces of a segment whose
        commitment is unknown (nothing to check them against) and None pass as they are."""
        indexes = [PieceIndex(index) for index in piece_indexes]
        pieces = [None if entry is None else entry.piece for entry in served]
        suspects: list[tuple[int, str, bytes, bytes]] = []  # (number, source, piece, segment commitment)
        for number, entry in enumerate(served):
            commitment = self._known_commitment(indexes[number])
            if entry is not None and entry.source is not None and commitment is not None:
                suspects.append((number, entry.source, entry.piece, commitment))
        with self._lock:
            self.stats.verified += len(suspects)
        positions = [compute_piece_position(indexes[number], self.params) for number, _, _, _ in suspects]
        if self._is_batch_valid([piece for _, _, piece, _ in suspects], [c for _, _, _, c in suspects], positions):
            return pieces
        for number, source, piece, commitment in suspects:
            if not self._is_valid(piece, indexes[number], commitment):
                self._demote_name(source, indexes[number])
                pieces[number] = self._refetch(indexes[number], source)
        return pieces

    def _refetch(self, index: PieceIndex, liar: str) -> bytes | None:
        """The piece again, checked, from any source but the one that lied about it; None when none has it."""
        try:
            return self.fetch(index, exclude=(liar,))
        except PieceUnavailable as error:
            logger.info("%s", error)
            return None

    def _known_commitment(self, index: PieceIndex) -> bytes | None:
        try:
            return self._commitment(index)
        except PieceUnavailable:
            return None

    def _unchecked(self, index: PieceIndex) -> ServedPiece | None:
        if self._known_commitment(index) is None:
            return None  # not archived: no source can have it (get_piece would say so)
        hit = self._from_tiers(index, b"", with_plots=True, with_retries=False, checked=False)
        if hit is None:
            piece = self.get_piece(index)
            return None if piece is None else ServedPiece(piece, None)
        self._record(hit.source).served += 1
        self._count_tier(hit.tier)
        with self._lock:
            self.stats.unchecked += 1
        return ServedPiece(hit.piece, hit.source.name)

    def fetch(self, piece_index: int, *, exclude: Collection[str] = ()) -> bytes:
        """The verified piece; PieceUnavailable naming the tiers tried when there is none. Sources named in
        `exclude` are not asked (verify_pieces: the one that just served a bad copy of this piece)."""
        index = PieceIndex(piece_index)
        commitment = self._commitment(index)
        hit = self._from_tiers(index, commitment, with_plots=True, with_retries=True, exclude=frozenset(exclude))
        if hit is not None:
            return hit.piece
        if self.reconstruct:
            piece = self._reconstruct(index)
            if piece is not None:
                self._count_tier(PieceTier.RECONSTRUCTION)
                return piece
        with self._lock:
            self.stats.unavailable += 1
        msg = f"piece {index} is unavailable: no source in {', '.join(self._tiers_tried())} had a valid copy"
        raise PieceUnavailable(msg)

    def source_records(self) -> dict[str, SourceRecord]:
        with self._lock:
            return {name: SourceRecord(**vars(record)) for name, record in self.stats.sources.items()}

    def _commitment(self, piece_index: PieceIndex) -> bytes:
        segment_index = int(compute_piece_segment_index(piece_index, self.params))
        with self._lock:
            known = self._commitments.get(segment_index)
        if known is not None:
            return known
        commitment = self.commitments.segment_commitment(segment_index)
        if commitment is None:
            msg = f"piece {piece_index}: segment {segment_index} is not archived (no commitment known)"
            raise PieceUnavailable(msg)
        with self._lock:
            self._commitments[segment_index] = bytes(commitment)  # an archived segment's commitment never changes
        return bytes(commitment)

    def _get_batch(self, indexes: list[PieceIndex]) -> list[bytes | None]:
        hits: list[_Hit | None] = []
        commitments: list[bytes] = []
        for index in indexes:
            try:
                commitment = self._commitment(index)
            except PieceUnavailable:
                hits.append(None)  # not archived: get_piece says so below
                commitments.append(b"")
                continue
            commitments.append(commitment)
            hits.append(self._from_tiers(index, commitment, with_plots=True, with_retries=False, checked=False))
        found = [(number, hit) for number, hit in enumerate(hits) if hit is not None]
        if self._is_batch_valid(
            [hit.piece for _, hit in found],
            [commitments[number] for number, _ in found],
            [compute_piece_position(indexes[number], self.params) for number, _ in found],
        ):
            for _, hit in found:
                self._record(hit.source).served += 1
                self._count_tier(hit.tier)
        else:
            logger.warning("a batch of %d pieces failed its check; checking each on its own", len(found))
            hits = [None] * len(indexes)
        return [hit.piece if hit is not None else self.get_piece(index) for hit, index in zip(hits, indexes, strict=True)]

    def _is_batch_valid(self, pieces: list[bytes], commitments: list[bytes], positions: list[int]) -> bool:
        return are_pieces_valid(self.kzg, pieces, commitments, positions, self.params)

    def _from_tiers(
        self,
        index: PieceIndex,
        commitment: bytes,
        *,
        with_plots: bool,
        with_retries: bool,
        checked: bool = True,
        exclude: frozenset[str] = frozenset(),
    ) -> _Hit | None:
        """The first piece the tiers give, checked unless `checked` is False (then neither checked nor counted);
        sources named in `exclude` are skipped."""
        attempts = 1 + (self.retries if with_retries else 0)
        for attempt in range(attempts):
            if attempt > 0:
                self.sleep(self.retry_delay_seconds * 2 ** (attempt - 1))
            failures = self._failures
            fast: tuple[tuple[PieceTier, Sequence[PieceSource] | None], ...] = (
                (PieceTier.LOCAL, self.sources.local),
                (PieceTier.L2, None),
                (PieceTier.NODE, self.sources.node),
            )
            for tier, listed in fast:
                sources = self._l2(index) if listed is None else listed
                hit = self._from_sources(tier, sources, index, commitment, checked=checked, exclude=exclude)
                if hit is not None:
                    return hit
            if self._failures == failures:
                break  # every source answered that it has no copy: asking again would not change that
        if not with_plots:
            return None
        for tier, sources in self._l1_and_archive():
            hit = self._from_sources(tier, sources, index, commitment, checked=checked, exclude=exclude)
            if hit is not None:
                return hit
        return None

    def _l2(self, index: PieceIndex) -> Sequence[PieceSource]:
        if self.sources.l2 is None:
            return ()
        try:
            return self.sources.l2.providers(int(index))
        except Exception as error:  # a lookup that fails leaves the other tiers
            self._failures += 1
            logger.warning("DSN lookup for piece %d failed: %s", index, error)
            return ()

    def _from_sources(
        self,
        tier: PieceTier,
        sources: Iterable[PieceSource],
        index: PieceIndex,
        commitment: bytes,
        *,
        checked: bool,
        exclude: frozenset[str] = frozenset(),
    ) -> _Hit | None:
        for source in self._ranked(sources):
            if source.name in exclude:
                continue
            piece = self._ask(source, index)
            if piece is None:
                continue
            if not checked:
                return _Hit(piece, tier, source)
            if self._is_valid(piece, index, commitment):
                self._record(source).served += 1
                self._count_tier(tier)
                return _Hit(piece, tier, source)
            self._demote(source, index)
        return None

    def _ranked(self, sources: Iterable[PieceSource]) -> list[PieceSource]:
        """Sources that never served a bad piece first, banned ones left out (stable within a rank)."""
        usable = [source for source in sources if self._record(source).invalid < self.ban_after]
        return sorted(usable, key=lambda source: self._record(source).invalid)

    def _ask(self, source: PieceSource, index: PieceIndex) -> bytes | None:
        try:
            piece = source.get_piece(int(index))
        except Exception as error:  # an unreachable or failing source is skipped, not fatal
            self._failures += 1
            self._record(source).failures += 1
            logger.debug("source %s failed for piece %d: %s", source.name, index, error)
            return None
        return None if piece is None else bytes(piece)

    def _is_valid(self, piece: bytes, index: PieceIndex, commitment: bytes) -> bool:
        position = compute_piece_position(index, self.params)
        return is_piece_valid(self.kzg, piece, commitment, position, self.params)

    def _demote(self, source: PieceSource, index: PieceIndex) -> None:
        self._demote_name(source.name, index)

    def _demote_name(self, name: str, index: PieceIndex) -> None:
        with self._lock:
            record = self.stats.sources.setdefault(name, SourceRecord())
            record.invalid += 1
        logger.warning("source %s served an invalid piece %d (%d bad so far); demoted", name, index, record.invalid)

    def _reconstruct(self, index: PieceIndex) -> bytes | None:
        """Any half of the segment (source pieces first) from the other tiers, and the piece rebuilt from it.

        Optimistic: the gathered pieces are not checked one by one (an MSM each), only the rebuilt piece is,
        which a bad input cannot pass. If it fails, they are gathered again, each checked (demoting the
        sources of bad ones), and the piece rebuilt from those."""
        commitment = self._commitment(index)
        pieces = self._gather_segment(index, commitment, checked=False)
        if pieces is None:
            return None  # checking would find no more pieces than not checking
        piece = self._rebuild(pieces, index, commitment)
        if piece is None:
            logger.warning("piece %d: the gathered pieces did not rebuild it; gathering again, checking each", index)
            pieces = self._gather_segment(index, commitment, checked=True)
            piece = None if pieces is None else self._rebuild(pieces, index, commitment)
        return piece

    def _gather_segment(self, index: PieceIndex, commitment: bytes, *, checked: bool) -> list[bytes | None] | None:
        """Half the pieces of `index`'s segment other than it, in position slots; None when there are fewer."""
        segment_index = compute_piece_segment_index(index, self.params)
        pieces: list[bytes | None] = [None] * self.params.num_pieces
        needed = self.params.num_pieces // 2
        found = 0
        for other in compute_segment_piece_indexes_source_first(SegmentIndex(segment_index), self.params):
            if found == needed:
                break
            if other == index:
                continue
            hit = self._from_tiers(other, commitment, with_plots=True, with_retries=False, checked=checked)
            if hit is not None:
                pieces[compute_piece_position(other, self.params)] = hit.piece
                found += 1
        if found < needed:
            logger.warning("segment %d: only %d of the %d pieces needed to reconstruct", segment_index, found, needed)
            return None
        return pieces

    def _rebuild(self, pieces: list[bytes | None], index: PieceIndex, commitment: bytes) -> bytes | None:
        """The piece rebuilt from `pieces` if it is valid; None otherwise."""
        try:
            piece = reconstruct_piece(self.kzg, pieces, compute_piece_position(index, self.params), self.params)
        except (ReconstructionError, InvalidPiece) as error:
            logger.warning("reconstructing piece %d failed: %s", index, error)
            return None
        return piece if self._is_valid(piece, index, commitment) else None

    def _record(self, source: PieceSource) -> SourceRecord:
        with self._lock:
            return self.stats.sources.setdefault(source.name, SourceRecord())

    def _count_tier(self, tier: PieceTier) -> None:
        with self._lock:
            self.stats.by_tier[tier] += 1

    def _l1_and_archive(self) -> tuple[tuple[PieceTier, Sequence[PieceSource]], ...]:
        """The tiers asked after the fast ones (local, L2, node) said they have no copy."""
        return (
            (PieceTier.PLOTS, self.sources.plots),
            (PieceTier.FARMERS, self.sources.farmers),
            (PieceTier.ARCHIVE, self.sources.archive),
        )

    def _tiers_tried(self) -> list[PieceTier]:
        fast = ((PieceTier.LOCAL, self.sources.local), (PieceTier.NODE, self.sources.node))
        tried = [tier for tier, sources in fast if sources]
        tried += [PieceTier.L2] if self.sources.l2 is not None else []
        tried += [tier for tier, sources in self._l1_and_archive() if sources]
        return [*tried, PieceTier.RECONSTRUCTION] if self.reconstruct else tried


class LastSegmentSource:
    """The node's cache: pieces of the last archived segment only (the reference node keeps no other).

    `history_size` gives the segments archived so far (the last one is history_size - 1)."""

    def __init__(
        self, name: str, params: Params, pieces: Callable[[int], bytes | None], history_size: Callable[[], int]
    ) -> None:
        self.name = name
        self.params = params
        self.pieces = pieces
        self.history_size = history_size
        self._last_seen = -1

    def get_piece(self, piece_index: int) -> bytes | None:
        segment_index = int(compute_piece_segment_index(PieceIndex(piece_index), self.params))
        # History only grows: a segment older than the last one seen is not the node's any more (no call).
        if segment_index < self._last_seen:
            return None
        self._last_seen = max(self._last_seen, self.history_size() - 1)
        return self.pieces(piece_index) if segment_index == self._last_seen else None


@dataclass(frozen=True)
class NamedSource:
    """A plain `get_piece` callable under a name (for statistics and demotion)."""

    name: str
    pieces: Callable[[int], bytes | None]

    def get_piece(self, piece_index: int) -> bytes | None:
        return self.pieces(piece_index)
