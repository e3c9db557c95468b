"""Tunable protocol parameters: one frozen record with MAINNET, DEV and MINIMAL presets.

Derived values are properties, never retyped. Every constrained value says its constraint,
and `__post_init__` enforces it with InvalidParams.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from autonomys.protocol.constants import (
    ERASURE_CODING_RATE,
    KZG_MAX_RECORD_CHUNKS,
    MIN_RECORDED_HISTORY_SEGMENT_SIZE,
    POT_ITERATIONS_MULTIPLE,
    POT_NUM_CHECKPOINTS,
    RECORD_COMMITMENT_SIZE,
    RECORD_WITNESS_SIZE,
    SCALAR_FULL_BYTES,
    SCALAR_SAFE_BYTES,
    U32_MAX,
)
from autonomys.protocol.errors import InvalidParams


@dataclass(frozen=True, slots=True)
class Params:
    name: str
    slot_duration_ms: int
    """Target wall time of one slot; PoT iterations are chosen so a slot takes about this long."""
    pot_slot_iterations: int
    """AES-128 iterations per slot; a non-zero multiple of 16 that fits in u32."""
    pot_entropy_injection_interval: int
    """Blocks between entropy injections; must exceed pot_entropy_injection_delay."""
    pot_entropy_injection_lookback_depth: int
    """Injection intervals to look back for the entropy source block."""
    pot_entropy_injection_delay: int
    """Slots after the triggering block at which entropy is injected; must exceed block_authoring_delay + 1."""
    block_authoring_delay: int
    """Slots between a PoT slot and the block that may claim it (also `future_proof_of_time` offset)."""
    slot_probability: tuple[int, int]
    """Probability (numerator, denominator) that a slot has a block."""
    confirmation_depth_k: int
    """Blocks after which a block is final and may be archived."""
    era_duration: int
    """Blocks between solution-range adjustments."""
    record_num_chunks: int
    """Scalars per record (RawRecord::NUM_CHUNKS); a power of two, at most 2^15 (the KZG setup's G1 powers)."""
    segment_num_raw_records: int
    """Source records per segment (RecordedHistorySegment::NUM_RAW_RECORDS); a power of two (radix-2 erasure FFT)."""
    erasure_coding_rate: tuple[int, int]
    """Source : all pieces; must be (1, 2): erasure `extend` doubles the shards, source and parity interleave."""
    max_pieces_in_sector: int
    """Records in one plotted sector (MAX_PIECES_IN_SECTOR); 1..65535, piece offsets are u16."""
    recent_segments: int
    """Segments counted as recent history by verifiable piece selection (RECENT_SEGMENTS)."""
    recent_history_fraction: tuple[int, int]
    """Share of a sector's first offsets whose odd ones draw from recent history (RECENT_HISTORY_FRACTION)."""
    min_sector_lifetime: int
    """Segments a sector lives at least before it may expire (MIN_SECTOR_LIFETIME)."""
    pos_table: str
    """Proof-of-space table: "chia" (the reference's K-table) or "shim" (a cheap stand-in for fast test presets)."""
    pos_k: int
    """K of the chia table (PosProof::K); a proof is 64 x-values of K bits. Ignored by the shim table."""
    genesis_timestamp_ms: int = 0
    """The chain's time at slot 0 (ms since 1970), fixed by the genesis: a block's timestamp, which domains read
    (certificate validity on the Auto ID domain, say), is this plus slot × slot_duration_ms."""

    def __post_init__(self) -> None:
        validate_params(self)

    @property
    def pot_checkpoint_iterations(self) -> int:
        """AES iterations between two checkpoints."""
        return self.pot_slot_iterations // POT_NUM_CHECKPOINTS

    @property
    def pot_entropy_injection_lookback_blocks(self) -> int:
        """How far back (in blocks) an injection takes its entropy from."""
        return self.pot_entropy_injection_interval * self.pot_entropy_injection_lookback_depth

    @property
    def raw_record_size(self) -> int:
        """Bytes of segment data in one record: 31 safe bytes per chunk."""
        return SCALAR_SAFE_BYTES * self.record_num_chunks

    @property
    def record_size(self) -> int:
        """Bytes of a record inside a piece: one 32-byte scalar per chunk."""
        return SCALAR_FULL_BYTES * self.record_num_chunks

    @property
    def piece_size(self) -> int:
        """record || record commitment (48) || record witness (48)."""
        return self.record_size + RECORD_COMMITMENT_SIZE + RECORD_WITNESS_SIZE

    @property
    def num_s_buckets(self) -> int:
        """S-buckets per sector record: chunks after erasure coding."""
        numerator, denominator = self.erasure_coding_rate
        return self.record_num_chunks * denominator // numerator

    @property
    def recorded_history_segment_size(self) -> int:
        """Bytes of encoded segment (items plus zero padding) before erasure coding."""
        return self.raw_record_size * self.segment_num_raw_records

    @property
    def num_pieces(self) -> int:
        """Pieces per archived segment (source and parity, interleaved)."""
        numerator, denominator = self.erasure_coding_rate
        return self.segment_num_raw_records * denominator // numerator

    @property
    def archived_history_segment_size(self) -> int:
        """Bytes of all pieces of one archived segment."""
        return self.piece_size * self.num_pieces

    def slot_timestamp_ms(self, slot: int) -> int:
        """The timestamp of a block at `slot` (pallet-timestamp's value, derived from the slot as the reference's
        slot-based timestamps are)."""
        return self.genesis_timestamp_ms + slot * self.slot_duration_ms

    def with_slot_iterations(self, slot_iterations: int) -> Params:
        """The same preset with PoT slot iterations replaced (DEV calibration)."""
        return dataclasses.replace(self, pot_slot_iterations=slot_iterations)


def validate_slot_iterations(slot_iterations: int) -> None:
    """Raise InvalidParams unless slot_iterations is a non-zero multiple of 16 within u32."""
    if isinstance(slot_iterations, bool) or not isinstance(slot_iterations, int):
        msg = f"slot_iterations must be an int, got {type(slot_iterations).__name__}"
        raise InvalidParams(msg)
    if not 0 < slot_iterations <= U32_MAX:
        msg = f"slot_iterations={slot_iterations} must be in 1..{U32_MAX}"
        raise InvalidParams(msg)
    if slot_iterations % POT_ITERATIONS_MULTIPLE != 0:
        msg = f"slot_iterations={slot_iterations} is not a multiple of {POT_ITERATIONS_MULTIPLE}"
        raise InvalidParams(msg)


def is_power_of_two(value: int) -> bool:
    """True for 1, 2, 4, 8, ..."""
    return value > 0 and value & (value - 1) == 0


def validate_archiving_sizes(params: Params) -> None:
    """Raise InvalidParams unless record, segment and coding-rate sizes keep the constraints on their fields."""
    # Records are committed to with KZG over a radix-2 domain no larger than the setup.
    if not is_power_of_two(params.record_num_chunks) or params.record_num_chunks > KZG_MAX_RECORD_CHUNKS:
        msg = f"record_num_chunks={params.record_num_chunks} must be a power of two <= {KZG_MAX_RECORD_CHUNKS}"
        raise InvalidParams(msg)
    # Erasure coding extends each column of source records with a radix-2 FFT.
    if not is_power_of_two(params.segment_num_raw_records):
        msg = f"segment_num_raw_records={params.segment_num_raw_records} must be a power of two"
        raise InvalidParams(msg)
    if tuple(params.erasure_coding_rate) != ERASURE_CODING_RATE:
        msg = f"erasure_coding_rate={params.erasure_coding_rate} must be {ERASURE_CODING_RATE}"
        raise InvalidParams(msg)
    # Block lengths and archived byte counts are u32 on the wire; a segment must fit a parent header and data.
    if not MIN_RECORDED_HISTORY_SEGMENT_SIZE <= params.recorded_history_segment_size <= U32_MAX:
        msg = (
            f"recorded_history_segment_size={params.recorded_history_segment_size} must be in "
            f"{MIN_RECORDED_HISTORY_SEGMENT_SIZE}..{U32_MAX}"
        )
        raise InvalidParams(msg)


POS_TABLES = ("chia", "shim")
POS_K_RANGE = (12, 24)  # the kernel builds tables for these K; MAINNET uses 20


def validate_plotting_sizes(params: Params) -> None:
    """Raise InvalidParams unless the sector and proof-of-space fields keep their constraints."""
    if not 0 < params.max_pieces_in_sector <= 0xFFFF:
        msg = f"max_pieces_in_sector={params.max_pieces_in_sector} must be in 1..65535"
        raise InvalidParams(msg)
    numerator, denominator = params.recent_history_fraction
    if not 0 < numerator <= denominator:
        msg = f"recent_history_fraction={params.recent_history_fraction} must be a fraction in (0, 1]"
        raise InvalidParams(msg)
    if params.recent_segments <= 0 or params.min_sector_lifetime <= 0:
        msg = f"recent_segments={params.recent_segments} and min_sector_lifetime={params.min_sector_lifetime} must be positive"
        raise InvalidParams(msg)
    if params.pos_table not in POS_TABLES:
        msg = f"pos_table={params.pos_table!r} must be one of {', '.join(POS_TABLES)}"
        raise InvalidParams(msg)
    low, high = POS_K_RANGE
    if not low <= params.pos_k <= high:
        msg = f"pos_k={params.pos_k} must be in {low}..{high}"
        raise InvalidParams(msg)


def validate_params(params: Params) -> None:
    """Raise InvalidParams when a preset breaks a constraint stated on its fields."""
    validate_slot_iterations(params.pot_slot_iterations)
    validate_archiving_sizes(params)
    validate_plotting_sizes(params)
    # The reference statically asserts interval > delay > authoring delay + 1.
    if params.pot_entropy_injection_interval <= params.pot_entropy_injection_delay:
        msg = (
            f"pot_entropy_injection_interval={params.pot_entropy_injection_interval} must exceed "
            f"pot_entropy_injection_delay={params.pot_entropy_injection_delay}"
        )
        raise InvalidParams(msg)
    if params.pot_entropy_injection_delay <= params.block_authoring_delay + 1:
        msg = (
            f"pot_entropy_injection_delay={params.pot_entropy_injection_delay} must exceed "
            f"block_authoring_delay + 1 = {params.block_authoring_delay + 1}"
        )
        raise InvalidParams(msg)
    numerator, denominator = params.slot_probability
    if not 0 < numerator <= denominator:
        msg = f"slot_probability={params.slot_probability} must be a fraction in (0, 1]"
        raise InvalidParams(msg)
    for field in ("slot_duration_ms", "pot_entropy_injection_lookback_depth", "confirmation_depth_k", "era_duration"):
        if getattr(params, field) <= 0:
            msg = f"{field}={getattr(params, field)} must be positive"
            raise InvalidParams(msg)


MAINNET = Params(
    name="mainnet",
    slot_duration_ms=1000,
    pot_slot_iterations=206_557_520,
    pot_entropy_injection_interval=50,
    pot_entropy_injection_lookback_depth=2,
    pot_entropy_injection_delay=15,
    block_authoring_delay=4,
    slot_probability=(1, 6),
    confirmation_depth_k=100,
    era_duration=2016,
    record_num_chunks=2**15,
    segment_num_raw_records=128,
    erasure_coding_rate=ERASURE_CODING_RATE,
    max_pieces_in_sector=1000,
    recent_segments=5,
    recent_history_fraction=(1, 10),
    min_sector_lifetime=4,
    pos_table="chia",
    pos_k=20,
)

# The local network: real algorithms; slot iterations are calibrated on the machine when the
# network is created (about one second per slot) and recorded in its genesis config.
DEV = dataclasses.replace(
    MAINNET, name="dev", pot_slot_iterations=100_000_000, confirmation_depth_k=10, max_pieces_in_sector=32
)

# Fast tests: same rules, tiny numbers. A segment is 8 records of 64 chunks (15 872 bytes, 16 pieces);
# a sector holds 8 records and the shim table replaces the chia table.
MINIMAL = dataclasses.replace(
    MAINNET,
    name="minimal",
    slot_duration_ms=100,
    pot_slot_iterations=160,
    pot_entropy_injection_interval=10,
    pot_entropy_injection_delay=6,
    block_authoring_delay=2,
    confirmation_depth_k=5,
    era_duration=20,
    record_num_chunks=2**6,
    segment_num_raw_records=8,
    max_pieces_in_sector=8,
    pos_table="shim",
)

PRESETS: dict[str, Params] = {preset.name: preset for preset in (MAINNET, DEV, MINIMAL)}


def get_preset(name: str) -> Params:
    """The preset called `name`; InvalidParams lists the known names otherwise."""
    if name not in PRESETS:
        msg = f"unknown preset {name!r}; known: {', '.join(sorted(PRESETS))}"
        raise InvalidParams(msg)
    return PRESETS[name]
