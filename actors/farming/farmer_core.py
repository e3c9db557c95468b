"""The farming core of one farm: which sectors are audited, the audit of a slot, proving its candidates.

Steppable (actors.farming.farmer adds the audit and proving threads, subscriptions and Ray). Audits read one
s-bucket per sector with `os.pread` on the farm's open plot file. A proof (subspace-farmer-components
`proving.rs`) reads the contents map with one pread, locates the record and starts its table build on a thread
of its own (the kernel releases the GIL) while it gathers the record's 32 768 chunks with preads in sector order
(prefetched with POSIX_FADV_WILLNEED when the sector is not cached: page faults one after another cost ~2 s
on a cold MAINNET sector); the table build, its proof hashes and the record's erasure recovery each split over
`prove_threads` and the KZG witness runs on `witness_threads` (2 each on a machine of 4 cores or more, else 1: on 2 cores the timekeeper holds one). The plotter
takes a sector out of the registry before rewriting it and puts it back after, and waits while a proof
is in progress (`ProvingGate`), so an audit or proof never reads a sector that is being written.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from autonomys.actors.clock import Clock, MonotonicClock
from autonomys.actors.farming.farm import Farm, FarmError
from autonomys.actors.messages import CorruptSector, FarmerSolution, FarmingSlot
from autonomys.actors.plotting.plotter import HistorySource, PlottingStage, SectorProgress
from autonomys.protocol.constants import SCALAR_FULL_BYTES
from autonomys.protocol.errors import InvalidSector
from autonomys.protocol.farming.proving import FarmerKeys, RecordToProve, locate_in_contents_map, prove_record
from autonomys.protocol.farming.solution_range import is_within_solution_range
from autonomys.protocol.farming.solutions import (
    AuditCandidate,
    Solution,
    audit_s_bucket,
    compute_audit_target,
    derive_slot_challenge,
)
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.plotting.encoding import EncodedRecord, new_pos_table
from autonomys.protocol.plotting.reading import (
    check_s_bucket_sizes,
    compute_record_chunk_offsets,
    validate_contents_map,
)
from autonomys.protocol.plotting.sectors import (
    RECORD_METADATA_SIZE,
    RecordMetadata,
    SBucketLocator,
    SectorMetadata,
    compute_expiration_check_segment_index,
    compute_public_key_hash,
    compute_record_bitfield_size,
    compute_sector_id,
    compute_sector_layout,
    derive_evaluation_seed,
    derive_expiration_history_size,
)
from autonomys.protocol.types import SBucket, SectorId, SegmentCommitment


@dataclass(frozen=True, eq=False)
class SectorEntry:
    """A plotted sector as the farmer audits it (compared by identity: a replotted sector is a new entry)."""

    sector_index: int
    metadata: SectorMetadata
    sector_id: SectorId
    locator: SBucketLocator


class SectorRegistry:
    """The sectors a farmer audits, and those found corrupt (skipped until replotted)."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self._public_key_hash = compute_public_key_hash(farm.identity.public_key)
        self._lock = threading.Lock()
        self._entries: dict[int, SectorEntry] = {}
        self._corrupt: dict[int, str] = {}

    def load(self) -> None:
        """Read every plotted sector's metadata from the farm (once, at start)."""
        for sector_index, metadata in self.farm.plotted_sectors().items():
            self.add(sector_index, metadata)

    def add(self, sector_index: int, metadata: SectorMetadata) -> None:
        sector_id = compute_sector_id(self._public_key_hash, metadata.sector_index, metadata.history_size)
        try:
            entry = SectorEntry(sector_index, metadata, sector_id, SBucketLocator(metadata, self.farm.params))
        except InvalidSector as error:
            self.mark_corrupt(sector_index, f"metadata: {error}")
            return
        with self._lock:
            self._entries[sector_index] = entry
            self._corrupt.pop(sector_index, None)

    def remove(self, sector_index: int) -> None:
        with self._lock:
            self._entries.pop(sector_index, None)

    def snapshot(self) -> list[SectorEntry]:
        with self._lock:
            return list(self._entries.values())

    def is_current(self, entry: SectorEntry) -> bool:
        with self._lock:
            return self._entries.get(entry.sector_index) is entry

    def mark_corrupt(self, sector_index: int, reason: str, entry: SectorEntry | None = None) -> bool:
        """Stop auditing a sector; False when `entry` was replaced meanwhile (a rewrite, not corruption)."""
        with self._lock:
            if entry is not None and self._entries.get(sector_index) is not entry:
                return False
            self._entries.pop(sector_index, None)
            self._corrupt[sector_index] = reason
            return True

    def corrupt(self) -> tuple[CorruptSector, ...]:
        with self._lock:
            return tuple(CorruptSector(index, reason) for index, reason in sorted(self._corrupt.items()))


class ProvingGate:
    """Proofs hold the gate; plotting waits for it to be idle before writing (plotting I/O pauses while proving)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._active = 0

    @contextlib.contextmanager
    def proving(self) -> Iterator[None]:
        with self._condition:
            self._active += 1
        try:
            yield
        finally:
            with self._condition:
                self._active -= 1
                self._condition.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: self._active == 0, timeout=timeout)


@dataclass(frozen=True)
class SectorCandidates:
    """The audit candidates of one sector in one slot."""

    entry: SectorEntry
    s_bucket: int
    candidates: tuple[AuditCandidate, ...]


@dataclass
class AuditReport:
    """What auditing one slot found, and how long it took."""

    slot: FarmingSlot
    sectors_audited: int = 0
    found: list[SectorCandidates] = field(default_factory=list)
    seconds: float = 0.0

    def ranked(self) -> list[tuple[SectorCandidates, AuditCandidate]]:
        """Every candidate, nearest first (block-eligible ones before votes)."""
        pairs = [(sector, candidate) for sector in self.found for candidate in sector.candidates]
        return sorted(pairs, key=lambda pair: pair[1].distance)


class BackgroundCall:
    """`function(*arguments)` on a thread of its own (a kernel that releases the GIL: a table build); join()
    waits and re-raises what it raised."""

    def __init__(self, function: Callable[..., object], *arguments: object) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(function, arguments), name="farmer-prove-table")
        self._thread.start()

    def _run(self, function: Callable[..., object], arguments: tuple[object, ...]) -> None:
        try:
            function(*arguments)
        except BaseException as error:  # handed to join()  # noqa: BLE001
            self._error = error

    def join(self, *, reraise: bool = True) -> None:
        self._thread.join()
        if reraise and self._error is not None:
            raise self._error


class FarmerCore:
    """Audit and prove for one farm (FarmerService calls these from its audit and proving threads; a proof adds
    one short-lived thread for its table build)."""

    def __init__(
        self,
        farm: Farm,
        kzg: Kzg | None,
        reward_address: bytes,
        farm_id: str,
        clock: Clock | None = None,
        witness_threads: int | None = None,
        prove_threads: int | None = None,
    ) -> None:
        """`kzg` may be None for a core that only audits (benchmarks); proving then raises FarmError.
        `witness_threads` (default: 2 on a machine with 4 cores or more, else 1) is what a proof's KZG witness may use;
        `prove_threads` (the same default) is what its table build, proof hashes and erasure recovery may use
        (their results are the same for every count)."""
        self.witness_threads = witness_threads if witness_threads is not None else _default_proof_threads()
        self.prove_threads = prove_threads if prove_threads is not None else _default_proof_threads()
        self.farm = farm
        self.params = farm.params
        self.kzg = kzg
        self.farm_id = farm_id
        self.keys = FarmerKeys(farm.identity.public_key, bytes(reward_address))
        self.clock = clock if clock is not None else MonotonicClock()
        self.registry = SectorRegistry(farm)
        self.gate = ProvingGate()
        self._table = new_pos_table(self.params)
        self._table.threads = self.prove_threads  # generate and proof_hashes during a proof
        self._commitments: dict[int, bytes] = {}
        self.registry.load()

    def audit(self, slot: FarmingSlot) -> AuditReport:
        """Audit every plotted sector against the slot's challenge with the voting range (it covers blocks)."""
        started = self.clock.monotonic()
        report = AuditReport(slot)
        challenge = derive_slot_challenge(slot.proof_of_time, slot.slot)
        audit_range = max(slot.solution_range, slot.voting_solution_range)
        for entry in self.registry.snapshot():
            target = compute_audit_target(entry.sector_id, challenge, self.params)
            start, end = entry.locator.byte_range(target.s_bucket)
            try:
                chunks = self.farm.read_at(entry.sector_index, start, end - start)
            except (FarmError, OSError) as error:
                self.registry.mark_corrupt(entry.sector_index, f"audit read failed: {error}", entry)
                continue
            report.sectors_audited += 1
            candidates = audit_s_bucket(chunks, target, challenge, audit_range)
            if candidates:
                report.found.append(SectorCandidates(entry, target.s_bucket, candidates))
        report.seconds = self.clock.monotonic() - started
        return report

    def prove(self, slot: FarmingSlot, sector: SectorCandidates, candidate: AuditCandidate) -> FarmerSolution | None:
        """The solution for one candidate; None when its chunk is unencoded or the sector was replotted or is corrupt."""
        with self.gate.proving():
            if not self.registry.is_current(sector.entry):
                return None
            try:
                solution = self._prove_in_sector(sector, candidate)
            except (InvalidSector, FarmError, OSError) as error:
                self.registry.mark_corrupt(sector.entry.sector_index, f"proving failed: {error}", sector.entry)
                raise
        if solution is None:
            return None
        is_vote = not is_within_solution_range(candidate.distance, slot.solution_range)
        return FarmerSolution(slot.slot, self.farm_id, solution.to_bytes(), candidate.distance, is_vote)

    def _prove_in_sector(self, sector: SectorCandidates, candidate: AuditCandidate) -> Solution | None:
        """Read the candidate's record with pread while its table builds on another thread, then prove it."""
        if self.kzg is None:
            raise FarmError("this farmer was opened without a KZG setup: it can audit but not prove")
        entry, params, s_bucket = sector.entry, self.params, SBucket(sector.s_bucket)
        layout = compute_sector_layout(entry.metadata.pieces_in_sector, params)
        contents_map = self.farm.read_at(entry.sector_index, 0, layout.s_buckets_start)
        bitfields = memoryview(contents_map)[: layout.bitfields_end]
        # Locating needs no validated map: the table starts at once, the checks run while it builds.
        piece_offset, encoded = locate_in_contents_map(bitfields, s_bucket, candidate, params)
        if not encoded:
            validate_contents_map(contents_map, entry.metadata, params)  # a corrupt map is reported all the same
            return None
        table_build = BackgroundCall(self._table.generate, derive_evaluation_seed(entry.sector_id, piece_offset))
        try:
            validate_contents_map(contents_map, entry.metadata, params)
            check_s_bucket_sizes(bitfields, entry.metadata, params)
            offsets = compute_record_chunk_offsets(bitfields, entry.metadata, piece_offset, params)
            chunks = self.farm.read_chunks(entry.sector_index, offsets, SCALAR_FULL_BYTES)
            start = layout.record_metadata_start + piece_offset * RECORD_METADATA_SIZE
            record_metadata = RecordMetadata.from_bytes(self.farm.read_at(entry.sector_index, start, RECORD_METADATA_SIZE))
        except BaseException:
            table_build.join(reraise=False)  # the read's error is the one to report; the table is idle again
            raise
        table_build.join()
        size = compute_record_bitfield_size(params)
        bitfield = bytes(bitfields[piece_offset * size : (piece_offset + 1) * size])
        record = RecordToProve(entry.metadata, piece_offset, EncodedRecord(bitfield, chunks), record_metadata)
        return prove_record(
            record, self.keys, s_bucket, self._table, self.kzg, params, self.witness_threads, self.prove_threads
        )

    def on_plotting_progress(self, progress: SectorProgress) -> None:
        """Plotter hook: stop auditing a sector before it is rewritten (after any proof), audit it again once written."""
        if progress.stage is PlottingStage.WRITING:
            self.registry.remove(progress.sector_index)
            self.gate.wait_idle()
        elif progress.stage is PlottingStage.WRITTEN:
            metadata = self.farm.sector_metadata(progress.sector_index)
            if metadata is not None:
                self.registry.add(progress.sector_index, metadata)

    def sector_states(self, history: HistorySource | None) -> tuple[int, int, int, int]:
        """(history size, plotted, about to expire, expired): about to expire = expires when the next segment lands."""
        entries = self.registry.snapshot()
        if history is None:
            return 0, len(entries), 0, 0
        history_size = history.history_size()
        about, expired = 0, 0
        for entry in entries:
            expiration = self._expiration(entry, history)
            if expiration is None:
                continue
            if expiration <= history_size:
                expired += 1
            elif expiration == history_size + 1:
                about += 1
        return history_size, len(entries), about, expired

    def _expiration(self, entry: SectorEntry, history: HistorySource) -> int | None:
        segment = compute_expiration_check_segment_index(entry.metadata.history_size, self.params)
        # Commitments never change once recorded: ask the (possibly remote) history once per segment.
        commitment = self._commitments.get(segment)
        if commitment is None:
            commitment = history.segment_commitment(segment)
            if commitment is None:
                return None
            self._commitments[segment] = commitment
        plotted_at = entry.metadata.history_size
        return derive_expiration_history_size(entry.sector_id, plotted_at, SegmentCommitment(commitment), self.params)


def _default_proof_threads() -> int:
    """2 where a core is surely free (4 or more); on 2 cores the timekeeper proves on one and a second proof thread
    only waits for the other (measured: 2 threads slower than 1 at load 4-6)."""
    return 2 if (os.cpu_count() or 1) >= 4 else 1
