"""Agent reputation: ERC-8004-style feedback signed by Auto IDs, and the weighted score over it.

PROJECT-DEFINED. Upstream Auto ID (pallet-auto-id, sp-auto-id) has no reputation; the seeds ask for invocation
"augmented with a distributed reputation system". The feedback tuple follows ERC-8004's reputation registry after its
January 2026 revision (`value` int128 with `valueDecimals` 0..18, `tag1`, `tag2`, `endpoint`, the hash of an
off-chain feedback file); the rater is an Auto ID instead of an EVM address, and the feedback is permissionless, as
in that revision, but signed by the rater's Auto ID key.

- SCALE, in field order: agent_id (32) ‖ rater_id (32) ‖ value (i128 LE, two's complement) ‖ value_decimals (u8) ‖
  Vec<u8> tag1 ‖ Vec<u8> tag2 ‖ Vec<u8> endpoint (UTF-8 each) ‖ feedback_hash (32; all zero = no file) ‖
  issued_at_ms (u64 LE) ‖ Vec<u8> signature_algorithm (DER AlgorithmIdentifier) ‖ Vec<u8> signature.
- The rater signs `b"autonomys-feedback" ‖ the encoding without its last two fields` (the algorithm is not signed,
  as in the pallet's own signatures: the key's type decides the scheme), checked with the pallet's verifier.
- Score: one feedback per (rater, agent) counts, the latest (largest issued_at_ms; on a tie the larger encoding, so
  the result never depends on input order). Each value is brought to 18 decimals; the score is the weighted mean
  `Σ weight·value / Σ weight` as a fixed-point int with SCORE_DECIMALS = 18 decimals, rounded to the nearest
  (ties to even), or None when the weights sum to 0. The caller supplies the weights: the agent registry gives 1 to a
  rater whose Auto ID is valid now and 0 otherwise, so an unverified or revoked rater cannot move a score.
- Per tag: every non-empty tag1 or tag2 gets the same summary over the feedbacks that carry it (a feedback whose
  tag1 equals its tag2 counts once for that tag).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_u8,
    encode_u64,
    encode_vec_u8,
    validate_bytes,
    validate_uint,
)
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import DecodeError, ReasonedError
from autonomys.protocol.identity.auto_id_types import IDENTIFIER_SIZE, read_identifier
from autonomys.protocol.identity.signatures import verify_signature

FEEDBACK_TAG: Final = b"autonomys-feedback"
I128_MIN: Final = -(1 << 127)
I128_MAX: Final = (1 << 127) - 1
MAX_VALUE_DECIMALS: Final = 18  # ERC-8004 valueDecimals
SCORE_DECIMALS: Final = 18  # the fixed point of a score: every value is brought to this many decimals
FEEDBACK_HASH_SIZE: Final = 32
NO_FEEDBACK_FILE: Final = bytes(FEEDBACK_HASH_SIZE)
MAX_TAG_BYTES: Final = 64
MAX_ENDPOINT_BYTES: Final = 512  # as protocol.identity.agents.MAX_ENDPOINT_BYTES
MAX_SIGNATURE_ALGORITHM_BYTES: Final = 128  # an RSASSA-PSS AlgorithmIdentifier with parameters is 65
MAX_SIGNATURE_BYTES: Final = 1024  # RSA-8192

# ---- errors (to move to protocol/errors.py) ----


class InvalidFeedback(ReasonedError, DecodeError):
    """A Feedback whose fields break the encoding's rules; `reason` names the rule (ValueOutOfRange, ...)."""


REPUTATION_ERRORS: Final = ("MixedAgents", "InvalidWeight")


class ReputationError(ReasonedError):
    """A score that cannot be computed; `reason` is one of REPUTATION_ERRORS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in REPUTATION_ERRORS:
            raise ValueError(f"not a reputation error: {reason}")
        super().__init__(reason, detail)


# ---- the feedback ----


def _validate_text(name: str, text: object, limit: int) -> None:
    if not isinstance(text, str):
        raise InvalidFeedback("NotText", f"{name} must be a str")
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidFeedback("NotUtf8", f"{name}: {error}") from error
    if len(encoded) > limit:
        raise InvalidFeedback("TextTooLong", f"{name}: {len(encoded)} bytes > {limit}")


def _validate_blob(name: str, value: object, limit: int) -> None:
    if not isinstance(value, bytes) or len(value) > limit:
        raise InvalidFeedback("BlobTooLong", f"{name} must be bytes of at most {limit}")


def _read_text(reader: Reader, name: str) -> str:
    try:
        return reader.read_vec_u8().decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidFeedback("NotUtf8", f"{name}: {error}") from error


@dataclass(frozen=True, slots=True)
class Feedback:
    """A rater's signed rating of an agent (project-defined, ERC-8004-shaped); encoding in the module docstring."""

    agent_id: bytes
    rater_id: bytes
    """The rater's Auto ID, whose registered key signed this feedback."""
    value: int
    """The rating (int128), read with `value_decimals` decimals: value 875, decimals 1 means 87.5."""
    value_decimals: int
    """0..18."""
    tag1: str
    """Free UTF-8 of at most 64 bytes (ERC-8004 tag1, for example "starred" or "uptime"); empty = no tag."""
    tag2: str
    endpoint: str
    """The agent endpoint the rating is about, at most 512 UTF-8 bytes; empty = the agent as a whole."""
    feedback_hash: bytes
    """Hash of an off-chain feedback file (32 bytes); all zero when there is none."""
    issued_at_ms: int
    """When the rater signed (u64 ms since the Unix epoch); a later feedback replaces an earlier one."""
    signature_algorithm: bytes
    """A DER AlgorithmIdentifier, at most 128 bytes."""
    signature: bytes
    """At most 1024 bytes."""

    def __post_init__(self) -> None:
        validate_bytes("agent_id", self.agent_id, IDENTIFIER_SIZE)
        validate_bytes("rater_id", self.rater_id, IDENTIFIER_SIZE)
        if isinstance(self.value, bool) or not isinstance(self.value, int) or not I128_MIN <= self.value <= I128_MAX:
            raise InvalidFeedback("ValueOutOfRange", f"value must be an int128, got {self.value!r:.80}")
        decimals = self.value_decimals
        if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= MAX_VALUE_DECIMALS:
            raise InvalidFeedback("DecimalsOutOfRange", f"value_decimals {decimals!r:.20} not in 0..18")
        _validate_text("tag1", self.tag1, MAX_TAG_BYTES)
        _validate_text("tag2", self.tag2, MAX_TAG_BYTES)
        _validate_text("endpoint", self.endpoint, MAX_ENDPOINT_BYTES)
        validate_bytes("feedback_hash", self.feedback_hash, FEEDBACK_HASH_SIZE)
        validate_uint("issued_at_ms", self.issued_at_ms, U64_MAX)
        _validate_blob("signature_algorithm", self.signature_algorithm, MAX_SIGNATURE_ALGORITHM_BYTES)
        _validate_blob("signature", self.signature, MAX_SIGNATURE_BYTES)

    def body(self) -> bytes:
        """The encoding without the signature fields: what the rater signs (after FEEDBACK_TAG)."""
        return b"".join(
            (
                self.agent_id,
                self.rater_id,
                self.value.to_bytes(16, "little", signed=True),
                encode_u8(self.value_decimals),
                encode_vec_u8(self.tag1.encode()),
                encode_vec_u8(self.tag2.encode()),
                encode_vec_u8(self.endpoint.encode()),
                self.feedback_hash,
                encode_u64(self.issued_at_ms),
            )
        )

    def to_bytes(self) -> bytes:
        return self.body() + encode_vec_u8(self.signature_algorithm) + encode_vec_u8(self.signature)

    @classmethod
    def read(cls, reader: Reader) -> Feedback:
        agent_id, rater_id = read_identifier(reader), read_identifier(reader)
        value = int.from_bytes(reader.read_bytes(16), "little", signed=True)
        value_decimals = reader.read_u8()
        tag1, tag2 = _read_text(reader, "tag1"), _read_text(reader, "tag2")
        endpoint = _read_text(reader, "endpoint")
        feedback_hash, issued_at_ms = reader.read_bytes(FEEDBACK_HASH_SIZE), reader.read_u64()
        signature_algorithm, signature = reader.read_vec_u8(), reader.read_vec_u8()
        return cls(
            agent_id, rater_id, value, value_decimals, tag1, tag2, endpoint, feedback_hash, issued_at_ms,
            signature_algorithm, signature,
        )  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes) -> Feedback:
        return decode_exactly(data, "Feedback", cls.read)


def feedback_message(feedback: Feedback) -> bytes:
    """The bytes the rater signs: b"autonomys-feedback" ‖ the encoding without signature_algorithm and signature."""
    return FEEDBACK_TAG + feedback.body()


def is_feedback_signature_valid(feedback: Feedback, rater_public_key_info: bytes) -> bool:
    """Whether `feedback` is signed by the key of `rater_public_key_info` (the rater's SPKI from its AutoIds record)."""
    message = feedback_message(feedback)
    return verify_signature(rater_public_key_info, feedback.signature_algorithm, message, feedback.signature)


# ---- the score ----


@dataclass(frozen=True, slots=True)
class TagScore:
    """The score over the counted feedbacks that carry one tag (in tag1 or tag2)."""

    tag: str
    count: int
    weighted_count: int
    value: int | None


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """An agent's reputation: the weighted mean of the latest feedback of each rater."""

    count: int
    """Feedbacks counted: one per rater (the latest), whatever its weight."""
    weighted_count: int
    """The sum of the counted raters' weights (with 0/1 weights: how many verified raters)."""
    value: int | None
    """The weighted mean as a fixed-point int with SCORE_DECIMALS (18) decimals (87.5 is 87_5 * 10**17); None when
    weighted_count is 0, so that "no verified rating" is not mistaken for a mean of zero."""
    by_tag: tuple[TagScore, ...]
    """One entry per non-empty tag, in ascending tag order."""

    def for_tag(self, tag: str) -> TagScore | None:
        """The entry of `tag`, None when no counted feedback carries it."""
        return next((entry for entry in self.by_tag if entry.tag == tag), None)


def compute_fixed_point_value(value: int, value_decimals: int) -> int:
    """`value` with `value_decimals` decimals as a fixed-point int with SCORE_DECIMALS decimals (exact)."""
    scale: int = 10 ** (SCORE_DECIMALS - value_decimals)
    return value * scale


def _is_later(candidate: Feedback, current: Feedback) -> bool:
    return (candidate.issued_at_ms, candidate.to_bytes()) > (current.issued_at_ms, current.to_bytes())


def select_latest(feedbacks: Iterable[Feedback]) -> list[Feedback]:
    """The latest feedback of each (rater, agent) pair, in ascending (agent, rater) order."""
    latest: dict[tuple[bytes, bytes], Feedback] = {}
    for feedback in feedbacks:
        pair = (feedback.agent_id, feedback.rater_id)
        current = latest.get(pair)
        if current is None or _is_later(feedback, current):
            latest[pair] = feedback
    return [latest[pair] for pair in sorted(latest)]


def _weighted_mean(weighted: list[tuple[int, Feedback]]) -> tuple[int, int, int | None]:
    """(count, weighted_count, weighted mean in fixed point or None) of (weight, feedback) pairs."""
    total_weight = sum(weight for weight, _ in weighted)
    if total_weight == 0:
        return len(weighted), 0, None
    total = sum(weight * compute_fixed_point_value(f.value, f.value_decimals) for weight, f in weighted)
    return len(weighted), total_weight, round(Fraction(total, total_weight))


def _weight_of(rater_weight: Callable[[bytes], int], rater_id: bytes) -> int:
    weight = rater_weight(rater_id)
    # A negative weight would let a rater pull the mean the other way, or cancel other raters' weights.
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
        raise ReputationError("InvalidWeight", f"weight {weight!r:.40} of rater {rater_id.hex()}")
    return weight


def _tags_of(feedback: Feedback) -> set[str]:
    return {tag for tag in (feedback.tag1, feedback.tag2) if tag != ""}


def compute_score(feedbacks: Iterable[Feedback], rater_weight: Callable[[bytes], int]) -> ScoreSummary:
    """The summary of one agent's feedbacks: the latest per rater, each weighted by `rater_weight(rater_id)` (an
    int >= 0); ReputationError MixedAgents when the feedbacks are about more than one agent."""
    latest = select_latest(feedbacks)
    agents = {feedback.agent_id for feedback in latest}
    if len(agents) > 1:
        raise ReputationError("MixedAgents", f"{len(agents)} agents")
    weighted = [(_weight_of(rater_weight, feedback.rater_id), feedback) for feedback in latest]
    tags = sorted(set().union(*(_tags_of(feedback) for feedback in latest)))
    by_tag = tuple(TagScore(tag, *_weighted_mean([(w, f) for w, f in weighted if tag in _tags_of(f)])) for tag in tags)
    return ScoreSummary(*_weighted_mean(weighted), by_tag)


score = compute_score
"""The name the agent registry's callers know it by."""

__all__ = [
    "FEEDBACK_HASH_SIZE",
    "FEEDBACK_TAG",
    "I128_MAX",
    "I128_MIN",
    "MAX_ENDPOINT_BYTES",
    "MAX_SIGNATURE_ALGORITHM_BYTES",
    "MAX_SIGNATURE_BYTES",
    "MAX_TAG_BYTES",
    "MAX_VALUE_DECIMALS",
    "NO_FEEDBACK_FILE",
    "REPUTATION_ERRORS",
    "SCORE_DECIMALS",
    "Feedback",
    "InvalidFeedback",
    "ReputationError",
    "ScoreSummary",
    "TagScore",
    "compute_fixed_point_value",
    "compute_score",
    "feedback_message",
    "is_feedback_signature_valid",
    "score",
    "select_latest",
]
