"""Plotting: pieces of history → encoded records → sectors written into a farm.

`encode_record_jobs` is the stateless worker function (a Ray task in a cluster, a thread locally):
it checks each piece with `is_piece_valid`, builds the proof-of-space table for the record's
evaluation seed and encodes the record. Each worker process keeps one table per thread, allocated
once. `Plotter` coordinates one farm: it chooses the sectors to (re)plot, fetches the pieces,
fans the records out to a `RecordEncoder`, assembles the sector and stores it in the farm.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from autonomys.actors.archiving.piece_store import PieceGetter, get_pieces_from
from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.farming.farm import Farm
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.messages import SegmentHeaderNotification
from autonomys.kernels.pos import PosTable
from autonomys.protocol.archiving.archived_segment import is_piece_valid
from autonomys.protocol.archiving.pieces import compute_piece_position, compute_piece_segment_index
from autonomys.protocol.params import Params
from autonomys.protocol.plotting.encoding import EncodedRecord, compute_sector, encode_piece, new_pos_table
from autonomys.protocol.plotting.sectors import (
    RecordMetadata,
    SectorMetadata,
    compute_expiration_check_segment_index,
    compute_public_key_hash,
    compute_sector_id,
    derive_expiration_history_size,
    derive_piece_index,
    is_sector_expired,
)
from autonomys.protocol.types import (
    Blake3Hash,
    HistorySize,
    PieceIndex,
    PieceOffset,
    SectorId,
    SectorIndex,
    SegmentCommitment,
)


class PlottingStage(enum.StrEnum):
    """Where plotting one sector is, in this order (SectorProgress.stage; shown by the farmer's status and the CLI)."""

    DOWNLOADING = "downloading"
    DOWNLOADED = "downloaded"
    ENCODING = "encoding"
    ENCODED = "encoded"
    WRITING = "writing"
    """The sector is about to be rewritten: it leaves audits (after any proof reading it) until WRITTEN."""
    WRITTEN = "written"
    """The sector is stored in the farm and can be audited."""


class PlotReason(enum.Enum):
    """Why a sector is (re)plotted."""

    NEW = "new"
    """A free sector slot of the farm."""
    EXPIRED = "expired"
    """A plotted sector whose history expired."""

DOWNLOAD_BATCH = 32
"""Pieces asked for at once: a getter with `get_pieces` checks them together (one MSM, not one per piece)."""


class PlottingError(Exception):
    """A sector could not be plotted (history missing, a piece unavailable or invalid); the farm is unchanged."""


@dataclass(frozen=True, slots=True)
class RecordJob:
    """One record to encode: the piece at `piece_offset` of the sector `sector_id`."""

    sector_id: bytes
    piece_offset: int
    piece_index: int
    piece: bytes
    segment_commitment: bytes
    verified: bool = False
    """The piece was checked with is_piece_valid when it was fetched (a PieceGetter does): not checked again."""


@dataclass(frozen=True, slots=True)
class RecordResult:
    piece_offset: int
    encoded: EncodedRecord | None
    metadata: RecordMetadata | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SectorProgress:
    """A plotting event; records count within the sector."""

    sector_index: int
    stage: PlottingStage
    records_done: int
    records_total: int


class HistorySource(Protocol):
    """What the plotter needs to know about archived history (the archiver or a node serves it)."""

    def history_size(self) -> int: ...

    def segment_commitment(self, segment_index: int) -> bytes | None: ...


class RecordEncoder(Protocol):
    def encode(self, jobs: Sequence[RecordJob]) -> Iterator[RecordResult]:
        """Encode every job; results may arrive in any order."""
        ...


_tables = threading.local()


def thread_pos_table(params: Params) -> PosTable:
    """This thread's table for the params' kind and K, allocated once and regenerated per record."""
    key = (params.pos_table, params.pos_k)
    cached = getattr(_tables, "by_key", None)
    if cached is None:
        cached = _tables.by_key = {}
    if key not in cached:
        cached[key] = new_pos_table(params)
    return cached[key]


def encode_record_jobs(jobs: Sequence[RecordJob], params: Params, setup: KzgSetup) -> list[RecordResult]:
    """The plotting worker's job: verify each piece, then encode its record (one table build each)."""
    kzg = load_kzg(setup)
    table = thread_pos_table(params)
    results = []
    for job in jobs:
        position = compute_piece_position(PieceIndex(job.piece_index), params)
        if not job.verified and not is_piece_valid(kzg, job.piece, job.segment_commitment, position, params):
            results.append(RecordResult(job.piece_offset, None, None, f"piece {job.piece_index} failed is_piece_valid"))
            continue
        encoded, metadata = encode_piece(job.piece, SectorId(job.sector_id), PieceOffset(job.piece_offset), table, params)
        results.append(RecordResult(job.piece_offset, encoded, metadata))
    return results


class LocalRecordEncoder:
    """Encodes in this process on `threads` threads (table builds release the GIL)."""

    def __init__(self, params: Params, setup: KzgSetup, threads: int = 1) -> None:
        self.params = params
        self.setup = setup
        self.threads = threads

    def encode(self, jobs: Sequence[RecordJob]) -> Iterator[RecordResult]:
        if self.threads <= 1:
            yield from encode_record_jobs(jobs, self.params, self.setup)
            return
        with ThreadPoolExecutor(self.threads, thread_name_prefix="plot") as pool:
            for results in pool.map(lambda job: encode_record_jobs([job], self.params, self.setup), jobs):
                yield from results


def is_plotted_sector_expired(
    metadata: SectorMetadata, public_key_hash: bytes, history: HistorySource, history_size: int, params: Params
) -> bool:
    """True once the sector's expiration history size is reached (needs the deciding segment's commitment)."""
    deciding_segment = compute_expiration_check_segment_index(metadata.history_size, params)
    if history_size <= deciding_segment:
        return False
    commitment = history.segment_commitment(deciding_segment)
    if commitment is None:
        return False
    sector_id = compute_sector_id(Blake3Hash(public_key_hash), metadata.sector_index, metadata.history_size)
    expiration = derive_expiration_history_size(sector_id, metadata.history_size, SegmentCommitment(commitment), params)
    return is_sector_expired(expiration, HistorySize(history_size))


class Plotter:
    """Plots and re-plots the sectors of one farm from the history a `HistorySource` describes."""

    def __init__(
        self,
        farm: Farm,
        pieces: PieceGetter,
        history: HistorySource,
        encoder: RecordEncoder,
        on_progress: Callable[[SectorProgress], None] | None = None,
    ) -> None:
        self.farm = farm
        self.params = farm.params
        self.pieces = pieces
        self.history = history
        self.encoder = encoder
        self.on_progress = on_progress if on_progress is not None else (lambda progress: None)
        self.public_key_hash = compute_public_key_hash(farm.identity.public_key)

    def sectors_to_plot(self, history_size: int) -> list[tuple[int, PlotReason]]:
        """(sector index, why) in plotting order: free slots first, then expired sectors."""
        plotted = self.farm.plotted_sectors()
        new = [(index, PlotReason.NEW) for index in range(self.farm.max_sectors) if index not in plotted]
        expired = [
            (index, PlotReason.EXPIRED) for index, metadata in plotted.items() if self.is_expired(metadata, history_size)
        ]
        return new + expired

    def is_expired(self, metadata: SectorMetadata, history_size: int) -> bool:
        return is_plotted_sector_expired(metadata, self.public_key_hash, self.history, history_size, self.params)

    def plot_pending(self, stop: threading.Event | None = None) -> int:
        """Plot every free and expired sector at the current history size; returns how many were plotted."""
        history_size = self.history.history_size()
        if history_size < 1:
            raise PlottingError("no archived history yet: nothing to plot")
        count = 0
        for sector_index, _reason in self.sectors_to_plot(history_size):
            if stop is not None and stop.is_set():
                break
            self.plot_sector(sector_index, history_size)
            count += 1
        return count

    def plot_sector(self, sector_index: int, history_size: int) -> SectorMetadata:
        """Plot one sector at `history_size` (segments of history) and store it; the farm is unchanged on error."""
        sector_id = compute_sector_id(self.public_key_hash, SectorIndex(sector_index), HistorySize(history_size))
        jobs = self._download(sector_index, sector_id, history_size)
        records = self._encode(sector_index, jobs)
        self._emit(sector_index, PlottingStage.WRITING, len(jobs))
        sector, metadata = compute_sector(
            [encoded for encoded, _ in records],
            [meta for _, meta in records],
            SectorIndex(sector_index),
            HistorySize(history_size),
            self.params,
        )
        self.farm.write_sector(sector_index, sector, metadata)
        self._emit(sector_index, PlottingStage.WRITTEN, len(jobs))
        return metadata

    def _download(self, sector_index: int, sector_id: SectorId, history_size: int) -> list[RecordJob]:
        """The sector's pieces, DOWNLOAD_BATCH at a time (a PieceGetter checks each batch with one MSM)."""
        total = self.farm.description.pieces_in_sector
        size = HistorySize(history_size)
        indexes = [derive_piece_index(sector_id, PieceOffset(offset), size, self.params) for offset in range(total)]
        jobs = []
        for start in range(0, total, DOWNLOAD_BATCH):
            self._emit(sector_index, PlottingStage.DOWNLOADING, start)
            batch = indexes[start : start + DOWNLOAD_BATCH]
            pieces = get_pieces_from(self.pieces, batch)
            for offset, (piece_index, piece) in enumerate(zip(batch, pieces, strict=True), start):
                jobs.append(self._job(sector_id, offset, piece_index, piece))
        self._emit(sector_index, PlottingStage.DOWNLOADED, total)
        return jobs

    def _job(self, sector_id: bytes, piece_offset: int, piece_index: int, piece: bytes | None) -> RecordJob:
        segment_index = compute_piece_segment_index(PieceIndex(piece_index), self.params)
        commitment = self.history.segment_commitment(segment_index)
        if commitment is None or piece is None:
            msg = f"piece {piece_index} (segment {segment_index}) is not available"
            raise PlottingError(msg)
        verified = getattr(self.pieces, "verifies_pieces", False)
        return RecordJob(sector_id, piece_offset, piece_index, bytes(piece), commitment, verified)

    def _encode(self, sector_index: int, jobs: list[RecordJob]) -> list[tuple[EncodedRecord, RecordMetadata]]:
        done: dict[int, tuple[EncodedRecord, RecordMetadata]] = {}
        self._emit(sector_index, PlottingStage.ENCODING, 0)
        for result in self.encoder.encode(jobs):
            if result.error is not None or result.encoded is None or result.metadata is None:
                raise PlottingError(f"sector {sector_index}, offset {result.piece_offset}: {result.error}")
            done[result.piece_offset] = (result.encoded, result.metadata)
            self._emit(sector_index, PlottingStage.ENCODING, len(done))
        if len(done) != len(jobs):
            raise PlottingError(f"sector {sector_index}: {len(jobs) - len(done)} records were not encoded")
        self._emit(sector_index, PlottingStage.ENCODED, len(done))
        return [done[offset] for offset in range(len(jobs))]

    def _emit(self, sector_index: int, stage: PlottingStage, records_done: int) -> None:
        self.on_progress(SectorProgress(sector_index, stage, records_done, self.farm.description.pieces_in_sector))


class PlottingLoop:
    """Background (re)plotting for a farm: plots whenever history grows, until stopped.

    `on_segment_header` (a segment-header subscriber) wakes it; a farmer keeps auditing the plotted
    sectors meanwhile, since a sector being re-plotted has its slot cleared first. Errors are kept
    in `last_error` and retried on the next wake-up, never raised into the caller's thread. A history source
    that is unavailable (the node not started yet, or restarting) is no error: `waiting_for_history` says so,
    and the loop tries again every `waiting_poll_seconds`.
    """

    def __init__(self, plotter: Plotter, poll_seconds: float = 5.0, waiting_poll_seconds: float = 1.0) -> None:
        self.plotter = plotter
        self.poll_seconds = poll_seconds
        self.waiting_poll_seconds = waiting_poll_seconds
        self.sectors_plotted = 0
        self.last_error: str | None = None
        self.waiting_for_history = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="plotting-loop", daemon=True)

    def start(self) -> None:
        self._wake.set()
        self._thread.start()

    def on_segment_header(self, notification: SegmentHeaderNotification) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.waiting_poll_seconds if self.waiting_for_history else self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.sectors_plotted += self.plotter.plot_pending(self._stop)
                self.last_error, self.waiting_for_history = None, False
            except ActorUnavailable as error:
                self._on_unavailable(error)
            except Exception as error:  # noqa: BLE001 - reported through last_error, retried on the next wake-up
                self.last_error, self.waiting_for_history = f"{type(error).__name__}: {error}", False

    def _on_unavailable(self, error: ActorUnavailable) -> None:
        """Waiting when the history source itself does not answer; another actor unavailable is an error."""
        try:
            self.plotter.history.history_size()
        except Exception as probe_error:  # noqa: BLE001 - only the history's own unavailability means waiting
            if isinstance(probe_error, ActorUnavailable):
                self.last_error, self.waiting_for_history = None, True
                return
        self.last_error, self.waiting_for_history = f"{type(error).__name__}: {error}", False
