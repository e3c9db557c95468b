"""Checking and benchmarking a farm on disk: the logic behind `plots check` and `benchmark audit|prove`.

`check_farm` reads every plotted sector end to end against its checksum, then farms random challenges
with the widest solution range (every stored chunk is a candidate), proves the nearest encoded chunk of
each sector and verifies the solution as the chain would. Damage is reported per sector, never raised:
a corrupt sector drops out of the trials (as the farmer would stop auditing it) and the others go on.
The benchmarks time the farmer's own audit and proving paths (FarmerCore) on the farm as it is.
"""

from __future__ import annotations

import dataclasses
import enum
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import blake3

from autonomys.actors.farming.farm import Farm, FarmError
from autonomys.actors.farming.farmer_core import FarmerCore, SectorCandidates
from autonomys.actors.messages import FarmerSolution, FarmingSlot
from autonomys.actors.plotting.plotter import HistorySource
from autonomys.protocol.archiving.pieces import compute_piece_segment_index
from autonomys.protocol.constants import BLAKE3_HASH_SIZE, POT_OUTPUT_SIZE, U64_MAX
from autonomys.protocol.errors import InvalidSector, InvalidSolution
from autonomys.protocol.farming.solution_range import compute_voting_solution_range, pieces_to_solution_range
from autonomys.protocol.farming.solutions import (
    INVALID_PIECE,
    Solution,
    compute_audit_target,
    compute_proof_of_space_size,
    compute_solution_piece_index,
    derive_slot_challenge,
    verify_solution,
)
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import Params
from autonomys.protocol.plotting.sectors import (
    SectorMetadata,
    compute_expiration_check_segment_index,
    compute_public_key_hash,
    compute_sector_id,
    derive_expiration_history_size,
)
from autonomys.protocol.types import SectorIndex, SegmentCommitment

CHECKSUM_READ_SIZE = 8 * 2**20
"""Bytes read per pread while hashing a sector (a MAINNET sector is about 1 GB: never held whole)."""
CHALLENGES_PER_TRIAL = 8
"""At most this many challenges per requested trial (plus a few): an audited s-bucket may hold no encoded chunk."""
EXTRA_CHALLENGES = 32
TIB = 2**40


class FarmCheckError(Exception):
    """A check or benchmark cannot run on this farm (nothing plotted, a bad count, no provable chunk)."""


class CheckStage(enum.StrEnum):
    """The stages of a farm check, in order (shown by `plots check`)."""

    CHECKSUM = "checksum"
    """Sectors hashed against their checksums."""
    PROVING = "proving"
    """Proof trials done."""


@dataclass(frozen=True, slots=True)
class CheckProgress:
    """How far a check is: `done` of `total` sectors hashed, or proof trials done."""

    stage: CheckStage
    done: int
    total: int


@dataclass
class SectorCheck:
    """What checking one plotted sector found."""

    sector_index: int
    history_size: int
    checksum_error: str | None = None
    corrupt_reason: str | None = None
    """Why the farmer would stop auditing it (a failed read or proof, bad metadata)."""
    challenges: int = 0
    trials: int = 0
    """Proof attempts: challenges whose audited s-bucket held an encoded chunk of this sector."""
    proofs_found: int = 0
    proofs_verified: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def is_corrupt(self) -> bool:
        return self.checksum_error is not None or self.corrupt_reason is not None

    @property
    def failed_proofs(self) -> int:
        return self.proofs_found - self.proofs_verified

    @property
    def is_ok(self) -> bool:
        return not self.is_corrupt and not self.failures


@dataclass(frozen=True)
class FarmCheckReport:
    """Every plotted sector's check, and the proof ratio: verified proofs over the trials asked for."""

    farm_id: str
    trials: int
    seed: int | None
    sectors: tuple[SectorCheck, ...]
    piece_checks: bool
    """True when solutions were also checked against the archive's segment commitments."""
    seconds: float

    @property
    def proofs_verified(self) -> int:
        return sum(sector.proofs_verified for sector in self.sectors)

    @property
    def proofs_expected(self) -> int:
        return self.trials * len(self.sectors)

    @property
    def proof_ratio(self) -> float:
        return self.proofs_verified / self.proofs_expected if self.proofs_expected else 0.0

    @property
    def corrupt_sectors(self) -> tuple[SectorCheck, ...]:
        return tuple(sector for sector in self.sectors if sector.is_corrupt)

    @property
    def failed_proofs(self) -> int:
        return sum(sector.failed_proofs for sector in self.sectors)

    @property
    def is_ok(self) -> bool:
        return all(sector.is_ok for sector in self.sectors)


# ---- checksums ----


def find_sector_checksum_error(farm: Farm, sector_index: int) -> str | None:
    """None when the sector's last 32 bytes are blake3 of the rest; otherwise why not (streamed, never whole)."""
    body = farm.sector_size - BLAKE3_HASH_SIZE
    hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
    try:
        for offset in range(0, body, CHECKSUM_READ_SIZE):
            hasher.update(farm.read_at(sector_index, offset, min(CHECKSUM_READ_SIZE, body - offset)))
        stored = farm.read_at(sector_index, body, BLAKE3_HASH_SIZE)
    except (FarmError, OSError) as error:
        return f"read failed: {error}"
    if hasher.digest() != stored:
        return "sector checksum mismatch"
    return None


# ---- the farm check ----


def check_farm(
    farm: Farm,
    kzg: Kzg,
    trials: int,
    seed: int | None = None,
    history: HistorySource | None = None,
    on_progress: Callable[[CheckProgress], None] | None = None,
) -> FarmCheckReport:
    """Check every plotted sector's checksum, then prove and verify `trials` random challenges per sector."""
    if trials <= 0:
        raise FarmCheckError(f"the number of trials must be positive, got {trials}")
    report = on_progress if on_progress is not None else (lambda progress: None)
    checks = _plotted_checks(farm)
    started = time.perf_counter()
    for done, check in enumerate(checks.values(), 1):
        check.checksum_error = find_sector_checksum_error(farm, check.sector_index)
        report(CheckProgress(CheckStage.CHECKSUM, done, len(checks)))
    verifier = SolutionVerifier(farm, kzg, history)
    core = FarmerCore(farm, kzg, farm.identity.public_key, farm.description.farm_id)
    _run_trials(core, checks, trials, random.Random(seed), verifier, report)
    return FarmCheckReport(
        farm.description.farm_id,
        trials,
        seed,
        tuple(checks.values()),
        history is not None,
        time.perf_counter() - started,
    )


def require_plotted_sectors(farm: Farm) -> dict[int, SectorMetadata]:
    """The farm's plotted sectors; FarmError when there is none to check."""
    plotted = farm.plotted_sectors()
    if not plotted:
        raise FarmError(f"{farm.path} has no plotted sector: run `autonomys plot` first")
    return plotted


def _plotted_checks(farm: Farm) -> dict[int, SectorCheck]:
    plotted = require_plotted_sectors(farm)
    return {index: SectorCheck(index, int(metadata.history_size)) for index, metadata in sorted(plotted.items())}


def _run_trials(
    core: FarmerCore,
    checks: dict[int, SectorCheck],
    trials: int,
    rng: random.Random,
    verifier: SolutionVerifier,
    report: Callable[[CheckProgress], None],
) -> None:
    total = trials * len(checks)
    for _ in range(trials * CHALLENGES_PER_TRIAL + EXTRA_CHALLENGES):
        pending = {
            entry.sector_index for entry in core.registry.snapshot() if checks[entry.sector_index].trials < trials
        }
        if not pending:
            break
        slot = random_slot(rng, U64_MAX)
        audit = core.audit(slot)
        for sector_index in pending:
            checks[sector_index].challenges += 1
        for found in audit.found:
            if found.entry.sector_index in pending:
                _prove_nearest(core, slot, found, checks[found.entry.sector_index], verifier)
        report(CheckProgress(CheckStage.PROVING, sum(min(check.trials, trials) for check in checks.values()), total))
    for corrupt in core.registry.corrupt():
        checks[corrupt.sector_index].corrupt_reason = corrupt.reason
    report(CheckProgress(CheckStage.PROVING, total, total))


def _prove_nearest(
    core: FarmerCore, slot: FarmingSlot, found: SectorCandidates, check: SectorCheck, verifier: SolutionVerifier
) -> None:
    """Prove the nearest encoded candidate (unencoded chunks cannot win) and verify it; record the outcome."""
    for candidate in found.candidates:
        try:
            solution = core.prove(slot, found, candidate)
        except (InvalidSector, FarmError, OSError) as error:
            check.trials += 1
            check.failures.append(f"proving failed: {error}")
            return
        if solution is None:
            continue
        check.trials += 1
        check.proofs_found += 1
        failure = verifier.find_failure(solution, slot)
        if failure is None:
            check.proofs_verified += 1
        else:
            check.failures.append(f"verification failed: {failure}")
        return


def random_slot(rng: random.Random, solution_range: int, voting_solution_range: int | None = None) -> FarmingSlot:
    """A slot with a random number and proof-of-time output (a challenge no farmer could have prepared for)."""
    voting = solution_range if voting_solution_range is None else voting_solution_range
    return FarmingSlot(rng.randrange(1, 2**32), rng.randbytes(POT_OUTPUT_SIZE), solution_range, voting)


class SolutionVerifier:
    """Verifies a farm's solutions as the chain would, with the piece checks when the archive is known."""

    def __init__(self, farm: Farm, kzg: Kzg, history: HistorySource | None = None) -> None:
        self.kzg = kzg
        self.params = farm.params
        self.pieces_in_sector = farm.description.pieces_in_sector
        self.history = history
        self.history_size = history.history_size() if history is not None else None

    def decode(self, solution: FarmerSolution) -> Solution:
        return Solution.from_bytes(solution.solution, compute_proof_of_space_size(self.params))

    def find_failure(self, solution: FarmerSolution, slot: FarmingSlot) -> str | None:
        """None when the solution verifies; otherwise the InvalidSolution reason and detail."""
        try:
            self.verify(self.decode(solution), slot)
        except InvalidSolution as error:
            return str(error)
        return None

    def verify(self, solution: Solution, slot: FarmingSlot) -> None:
        verify_solution(
            solution,
            slot=slot.slot,
            proof_of_time=slot.proof_of_time,
            solution_range=slot.solution_range,
            kzg=self.kzg,
            pos_table=self.params.pos_table,
            params=self.params,
            **self._piece_check_arguments(solution),
        )

    def _piece_check_arguments(self, solution: Solution) -> dict:
        if self.history is None:
            return {}
        piece_params = _with_pieces_in_sector(self.params, self.pieces_in_sector)
        segment = compute_piece_segment_index(compute_solution_piece_index(solution, piece_params), self.params)
        commitment = self.history.segment_commitment(segment)
        if commitment is None:
            raise InvalidSolution(INVALID_PIECE, f"segment {segment} is not in the archive")
        return {
            "segment_commitment": commitment,
            "current_history_size": self.history_size,
            "max_pieces_in_sector": self.pieces_in_sector,
        }


def _with_pieces_in_sector(params: Params, pieces_in_sector: int) -> Params:
    if params.max_pieces_in_sector == pieces_in_sector:
        return params
    return dataclasses.replace(params, max_pieces_in_sector=pieces_in_sector)


# ---- expiry ----


def count_expiring_sectors(farm: Farm, history: HistorySource) -> tuple[int, int]:
    """(about to expire, expired) plotted sectors: about to expire = expires when the next segment lands."""
    current = history.history_size()
    public_key_hash = compute_public_key_hash(farm.identity.public_key)
    about, expired = 0, 0
    for index, metadata in farm.plotted_sectors().items():
        commitment = history.segment_commitment(
            compute_expiration_check_segment_index(metadata.history_size, farm.params)
        )
        if commitment is None:
            continue
        sector_id = compute_sector_id(public_key_hash, SectorIndex(index), metadata.history_size)
        expiration = derive_expiration_history_size(
            sector_id, metadata.history_size, SegmentCommitment(commitment), farm.params
        )
        expired += expiration <= current
        about += expiration == current + 1
    return about, expired


# ---- benchmarks ----


@dataclass(frozen=True)
class AuditBenchmark:
    """The farmer's audit timed over random slots, at this farm's own solution range."""

    slots: int
    sectors_audited: int
    """Sectors audited per slot."""
    sector_size: int
    seconds_per_slot: float
    bytes_read_per_slot: float

    @property
    def seconds_per_sector(self) -> float:
        return self.seconds_per_slot / self.sectors_audited if self.sectors_audited else 0.0

    @property
    def sectors_per_tib(self) -> float:
        return TIB / self.sector_size

    @property
    def seconds_per_tib(self) -> float:
        """Audit time of one slot for a TiB of sectors of this size (the farm's time scaled, not measured)."""
        return self.seconds_per_sector * self.sectors_per_tib


def benchmark_audit(farm: Farm, slots: int, seed: int | None = None) -> AuditBenchmark:
    """Audit `slots` random slots with the farmer's audit (the KZG setup is never used by an audit)."""
    if slots <= 0:
        raise FarmCheckError(f"the number of slots must be positive, got {slots}")
    core = FarmerCore(farm, None, farm.identity.public_key, farm.description.farm_id)
    entries = core.registry.snapshot()
    if not entries:
        raise FarmError(f"{farm.path} has no plotted sector to audit: run `autonomys plot` first")
    pieces = len(entries) * farm.description.pieces_in_sector
    solution_range = pieces_to_solution_range(pieces, farm.params.slot_probability, farm.params)
    rng = random.Random(seed)
    seconds, audited, read = 0.0, 0, 0
    for _ in range(slots):
        slot = random_slot(rng, solution_range, compute_voting_solution_range(solution_range))
        report = core.audit(slot)
        seconds += report.seconds
        audited += report.sectors_audited
        read += _audit_bytes(core, slot)
    return AuditBenchmark(slots, audited // slots, farm.sector_size, seconds / slots, read / slots)


def _audit_bytes(core: FarmerCore, slot: FarmingSlot) -> int:
    """Bytes an audit of `slot` reads: one s-bucket per sector."""
    challenge = derive_slot_challenge(slot.proof_of_time, slot.slot)
    total = 0
    for entry in core.registry.snapshot():
        start, end = entry.locator.byte_range(compute_audit_target(entry.sector_id, challenge, core.params).s_bucket)
        total += end - start
    return total


@dataclass(frozen=True)
class ProveBenchmark:
    """Proving and verification times of `proofs` solutions, and the size of one solution."""

    proofs: int
    challenges: int
    proving_seconds: tuple[float, ...]
    verification_seconds: tuple[float, ...]
    solution_size: int

    @property
    def proving_min(self) -> float:
        return min(self.proving_seconds)

    @property
    def proving_median(self) -> float:
        return statistics.median(self.proving_seconds)

    @property
    def proving_max(self) -> float:
        return max(self.proving_seconds)

    @property
    def verification_mean(self) -> float:
        return statistics.fmean(self.verification_seconds)


def benchmark_prove(farm: Farm, kzg: Kzg, count: int, seed: int | None = None) -> ProveBenchmark:
    """Prove the nearest encoded chunk of `count` random challenges and verify each solution, timing both."""
    if count <= 0:
        raise FarmCheckError(f"the number of proofs must be positive, got {count}")
    core = FarmerCore(farm, kzg, farm.identity.public_key, farm.description.farm_id)
    if not core.registry.snapshot():
        raise FarmError(f"{farm.path} has no plotted sector to prove from: run `autonomys plot` first")
    verifier = SolutionVerifier(farm, kzg)
    rng = random.Random(seed)
    proving: list[float] = []
    verifying: list[float] = []
    size, challenges = 0, 0
    while len(proving) < count and challenges < count * CHALLENGES_PER_TRIAL + EXTRA_CHALLENGES:
        challenges += 1
        slot = random_slot(rng, U64_MAX)
        timed = _prove_first_encoded(core, slot)
        if timed is None:
            continue
        solution, seconds = timed
        proving.append(seconds)
        verifying.append(_time_verification(verifier, solution, slot))
        size = len(solution.solution)
    if not proving:
        raise FarmCheckError(f"no encoded chunk was found in {challenges} challenges")
    return ProveBenchmark(len(proving), challenges, tuple(proving), tuple(verifying), size)


def _prove_first_encoded(core: FarmerCore, slot: FarmingSlot) -> tuple[FarmerSolution, float] | None:
    """The nearest provable candidate's solution and its proving time; FarmCheckError if its sector is corrupt."""
    for sector, candidate in core.audit(slot).ranked():
        started = time.perf_counter()
        try:
            solution = core.prove(slot, sector, candidate)
        except (InvalidSector, FarmError, OSError) as error:
            msg = f"sector {sector.entry.sector_index} cannot be proven ({error}): run `autonomys plots check`"
            raise FarmCheckError(msg) from error
        if solution is not None:
            return solution, time.perf_counter() - started
    return None


def _time_verification(verifier: SolutionVerifier, solution: FarmerSolution, slot: FarmingSlot) -> float:
    decoded = verifier.decode(solution)
    started = time.perf_counter()
    try:
        verifier.verify(decoded, slot)
    except InvalidSolution as error:
        msg = f"a solution from sector {decoded.sector_index} does not verify ({error}): run `autonomys plots check`"
        raise FarmCheckError(msg) from error
    return time.perf_counter() - started


def compute_encoded_chunks_per_s_bucket(farm: Farm) -> float:
    """Encoded (winnable) chunks an audited s-bucket of this farm holds on average, summed over its sectors:
    expected candidates per slot = this × solution_range / 2^64 (sizes a test or benchmark solution range)."""
    params, total = farm.params, 0
    for metadata in farm.plotted_sectors().values():
        bitfields = farm.read_at(metadata.sector_index, 0, metadata.pieces_in_sector * params.num_s_buckets // 8)
        total += int.from_bytes(bitfields, "little").bit_count()
    return total / params.num_s_buckets
