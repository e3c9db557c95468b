"""PROJECT-DEFINED: content provenance, DSN objects signed by Auto IDs, with their lineage.

Upstream Auto ID defines nothing for content; this is the project's design, kept out of the pallet core.

A ProvenanceRecord says "Auto ID `signer` vouches, at `signed_at_ms`, for the DSN object `content_id`
(its DSN object id), derived from the objects `parents`". Its SCALE encoding is
`content_id(32) ‖ signer(32) ‖ compact(n) ‖ parents(32 each, strictly ascending, n <= 16) ‖ signed_at_ms (u64 LE)
‖ Vec<u8> signature_algorithm (DER AlgorithmIdentifier) ‖ Vec<u8> signature`, and the signer signs
`"autonomys-provenance" ‖ content_id ‖ signer ‖ compact(n) ‖ parents ‖ signed_at_ms (u64 LE)`, checked with the
pallet's verifier (signatures.verify_signature) on the signer's SPKI from the AutoIds record.

Validity at signing time. The signer and every issuer above it must exist now, have `signed_at_ms` inside their
(current) validity window, and not be revoked at `signed_at_ms`. The pallet keeps no revocation time, so the runtime
calls `note_revocation(store, auto_id, at_ms)` when it applies a revocation; `provenance/revoked_at/<auto_id>` holds
the earliest noted time (u64 LE ms). An identity whose serial is in its issuer's CRL now is revoked from the noted
time on (a record signed at or after it is invalid); with no noted time it counts as revoked from time 0, so every
record it signed is invalid. An identity not in a CRL now is not revoked, whatever was noted (a root can renew out
of its own revocation, pallet quirk 2). Known limit: the pallet keeps only the current certificate, and renewal
moves `not_before` forward, so a record signed before a renewal is reported SignerNotYetValid.

On chain, `provenance/record/<content_id>` holds one record per content id: the record's encoding ‖ the time it was
put (u64 LE ms). `put_provenance` refuses (ProvenanceError, nothing written) a record that does not verify, one
whose signer chain is revoked now (a stolen key could otherwise backdate `signed_at_ms` before the revocation), and
a second record for a content id. Parents need not be on chain; `lineage` reports which are.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_compact,
    encode_u64,
    encode_vec_u8,
    read_vector_length,
    validate_bytes,
    validate_uint,
)
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import DecodeError, ReasonedError
from autonomys.protocol.identity.auto_id import AutoIdStore, get_auto_id, get_revocation_list
from autonomys.protocol.identity.auto_id_types import IDENTIFIER_SIZE, X509Certificate
from autonomys.protocol.identity.signatures import verify_signature
from autonomys.protocol.objects.mappings import plan_object

PROVENANCE_CONTEXT: Final = b"autonomys-provenance"
RECORD_PREFIX: Final = b"provenance/record/"
REVOKED_AT_PREFIX: Final = b"provenance/revoked_at/"
CONTENT_ID_SIZE: Final = 32
MAX_PARENTS: Final = 16
DEFAULT_LINEAGE_DEPTH: Final = 16
DEFAULT_LINEAGE_LIMIT: Final = 1024  # entries a lineage walk returns at most (bounds the state it reads)
VALID: Final = "Valid"

PROVENANCE_REASONS: Final = (
    "ContentMismatch",
    "SignedInFuture",
    "UnknownSigner",
    "UnknownIssuer",
    "CyclicChain",
    "SignerNotYetValid",
    "SignerExpired",
    "SignerRevoked",
    "InvalidSignature",
    "ProvenanceExists",
)

# ---- errors (to move to protocol/errors.py) ----


class ProvenanceError(ReasonedError):
    """A provenance record refused on chain; `reason` is one of PROVENANCE_REASONS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in PROVENANCE_REASONS:
            raise ValueError(f"not a provenance error: {reason}")
        super().__init__(reason, detail)


# ---- identifiers and the signed message ----


def compute_content_id(content: bytes) -> bytes:
    """The DSN object id of `content` (protocol.objects.mappings `plan_object`: the blake3 of its one chunk's
    payload, or of the manifest listing its chunks), which `autonomys put` prints."""
    return plan_object(bytes(content)).object_id


def canonical_parents(parents: Iterable[bytes]) -> tuple[bytes, ...]:
    """Parent content ids as a record holds them: sorted, each once."""
    return tuple(sorted(set(parents)))


def _validate_parents(parents: object) -> None:
    if not isinstance(parents, tuple) or len(parents) > MAX_PARENTS:
        raise DecodeError(f"parents must be a tuple of at most {MAX_PARENTS} content ids")
    for parent in parents:
        validate_bytes("parent", parent, CONTENT_ID_SIZE)
    if any(earlier >= later for earlier, later in zip(parents, parents[1:], strict=False)):
        raise DecodeError("parents must be strictly ascending")


def encode_provenance_message(content_id: bytes, signer: bytes, parents: tuple[bytes, ...], signed_at_ms: int) -> bytes:
    """The bytes a signer signs: "autonomys-provenance" ‖ content_id ‖ signer ‖ compact(n) ‖ parents ‖ u64 LE time."""
    validate_bytes("content_id", content_id, CONTENT_ID_SIZE)
    validate_bytes("signer", signer, IDENTIFIER_SIZE)
    _validate_parents(parents)
    validate_uint("signed_at_ms", signed_at_ms, U64_MAX)
    return (
        PROVENANCE_CONTEXT
        + content_id
        + signer
        + encode_compact(len(parents))
        + b"".join(parents)
        + encode_u64(signed_at_ms)
    )


# ---- records ----


@dataclass(frozen=True, slots=True)
class ProvenanceRecord:
    """A signer's signed claim about one DSN object and the objects it was derived from."""

    content_id: bytes
    """The object's DSN object id (compute_content_id)."""
    signer: bytes
    """The signer's Auto ID."""
    parents: tuple[bytes, ...]
    """Content ids this object was derived from: at most 16, strictly ascending."""
    signed_at_ms: int
    signature_algorithm: bytes
    """A DER AlgorithmIdentifier, as the pallet's verifier takes it."""
    signature: bytes

    def __post_init__(self) -> None:
        validate_bytes("content_id", self.content_id, CONTENT_ID_SIZE)
        validate_bytes("signer", self.signer, IDENTIFIER_SIZE)
        _validate_parents(self.parents)
        validate_uint("signed_at_ms", self.signed_at_ms, U64_MAX)
        for name in ("signature_algorithm", "signature"):
            if not isinstance(getattr(self, name), bytes):
                raise DecodeError(f"{name} must be bytes")

    def signed_message(self) -> bytes:
        return encode_provenance_message(self.content_id, self.signer, self.parents, self.signed_at_ms)

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                self.content_id,
                self.signer,
                encode_compact(len(self.parents)),
                *self.parents,
                encode_u64(self.signed_at_ms),
                encode_vec_u8(self.signature_algorithm),
                encode_vec_u8(self.signature),
            )
        )

    @classmethod
    def read(cls, reader: Reader) -> ProvenanceRecord:
        content_id = reader.read_bytes(CONTENT_ID_SIZE)
        signer = reader.read_bytes(IDENTIFIER_SIZE)
        count = read_vector_length(reader)
        if count > MAX_PARENTS:
            raise DecodeError(f"{count} parents, at most {MAX_PARENTS}")
        parents = tuple(reader.read_bytes(CONTENT_ID_SIZE) for _ in range(count))
        return cls(content_id, signer, parents, reader.read_u64(), reader.read_vec_u8(), reader.read_vec_u8())

    @classmethod
    def from_bytes(cls, data: bytes) -> ProvenanceRecord:
        return decode_exactly(data, "ProvenanceRecord", cls.read)


@dataclass(frozen=True, slots=True)
class StoredProvenance:
    """The on-chain value under `provenance/record/<content_id>`: the record ‖ the time it was put (u64 LE)."""

    record: ProvenanceRecord
    put_at_ms: int

    def __post_init__(self) -> None:
        if not isinstance(self.record, ProvenanceRecord):
            raise DecodeError("record must be a ProvenanceRecord")
        validate_uint("put_at_ms", self.put_at_ms, U64_MAX)

    def to_bytes(self) -> bytes:
        return self.record.to_bytes() + encode_u64(self.put_at_ms)

    @classmethod
    def read(cls, reader: Reader) -> StoredProvenance:
        return cls(ProvenanceRecord.read(reader), reader.read_u64())

    @classmethod
    def from_bytes(cls, data: bytes) -> StoredProvenance:
        return decode_exactly(data, "StoredProvenance", cls.read)


@dataclass(frozen=True, slots=True)
class LineageEntry:
    """One ancestor met by a lineage walk."""

    content_id: bytes
    depth: int
    """1 for a direct parent, 2 for a grandparent, ..."""
    stored: StoredProvenance | None
    """Its on-chain record, None when it has none."""

    @property
    def on_chain(self) -> bool:
        return self.stored is not None


@dataclass(frozen=True, slots=True)
class ProvenanceCheck:
    """The outcome of verifying a provenance record."""

    valid: bool
    reason: str
    """VALID, or the PROVENANCE_REASONS name of the first check that failed."""
    signer_chain: tuple[bytes, ...]
    """The ids examined from the signer up to its root (up to the one that failed, included)."""
    lineage: tuple[LineageEntry, ...]
    """The record's ancestors, breadth-first."""


# ---- storage ----


def get_provenance(store: AutoIdStore, content_id: bytes) -> StoredProvenance | None:
    """The on-chain record of `content_id`, None when it has none."""
    value = store.get(RECORD_PREFIX + content_id)
    return None if value is None else StoredProvenance.from_bytes(value)


def get_revocation_time(store: AutoIdStore, auto_id: bytes) -> int | None:
    """The earliest time noted for a revocation of `auto_id` (ms), None when none was noted."""
    value = store.get(REVOKED_AT_PREFIX + auto_id)
    return None if value is None else decode_exactly(value, "revoked_at", Reader.read_u64)


def note_revocation(store: AutoIdStore, auto_id: bytes, at_ms: int) -> None:
    """Note that a revocation of `auto_id` was applied at `at_ms` (the runtime calls it with the block time); an
    earlier noted time is kept."""
    validate_bytes("auto_id", auto_id, IDENTIFIER_SIZE)
    validate_uint("at_ms", at_ms, U64_MAX)
    noted = get_revocation_time(store, auto_id)
    if noted is None or at_ms < noted:
        store.set(REVOKED_AT_PREFIX + auto_id, encode_u64(at_ms))


# ---- the signer chain at a time ----


def _is_revoked_now(store: AutoIdStore, auto_id: bytes, record: X509Certificate) -> bool:
    issuer_id = auto_id if record.issuer_id is None else record.issuer_id
    return record.serial in get_revocation_list(store, issuer_id)


def _is_revoked_at(store: AutoIdStore, auto_id: bytes, record: X509Certificate, at_ms: int) -> bool:
    if not _is_revoked_now(store, auto_id, record):
        return False
    noted = get_revocation_time(store, auto_id)
    # No noted time: revoked from time 0, every record is invalid.
    return (0 if noted is None else noted) <= at_ms


def _record_status_at(store: AutoIdStore, auto_id: bytes, record: X509Certificate, at_ms: int) -> str:
    if at_ms < record.not_before_ms:
        return "SignerNotYetValid"
    if at_ms > record.not_after_ms:
        return "SignerExpired"
    return "SignerRevoked" if _is_revoked_at(store, auto_id, record, at_ms) else VALID


def signer_status_at(store: AutoIdStore, signer: bytes, at_ms: int) -> tuple[str, tuple[bytes, ...]]:
    """(VALID or the failure, the ids examined): the signer and every issuer above it exist now, are inside their
    validity window at `at_ms` and are not revoked at `at_ms`."""
    chain: list[bytes] = []
    current: bytes | None = signer
    while current is not None:
        if current in chain:
            return "CyclicChain", tuple(chain)
        chain.append(current)
        record = get_auto_id(store, current)
        if record is None:
            return ("UnknownSigner" if len(chain) == 1 else "UnknownIssuer"), tuple(chain)
        status = _record_status_at(store, current, record, at_ms)
        if status != VALID:
            return status, tuple(chain)
        current = record.issuer_id
    return VALID, tuple(chain)


# ---- lineage ----


def _walk(
    store: AutoIdStore, start: bytes, parents: tuple[bytes, ...], depth: int, limit: int
) -> tuple[LineageEntry, ...]:
    """Ancestors breadth-first from `parents` (depth 1) down to `depth`, each once, at most `limit` of them."""
    seen = {start}
    entries: list[LineageEntry] = []
    queue: deque[tuple[bytes, int]] = deque((parent, 1) for parent in parents)
    while len(queue) > 0 and len(entries) < limit:
        content_id, level = queue.popleft()
        if content_id in seen or level > depth:
            continue  # a content id appears once; hashes make cycles impossible, the set guards anyway
        seen.add(content_id)
        stored = get_provenance(store, content_id)
        entries.append(LineageEntry(content_id, level, stored))
        if stored is not None:
            queue.extend((parent, level + 1) for parent in stored.record.parents)
    return tuple(entries)


def lineage(
    store: AutoIdStore, content_id: bytes, depth: int = DEFAULT_LINEAGE_DEPTH, *, limit: int = DEFAULT_LINEAGE_LIMIT
) -> tuple[LineageEntry, ...]:
    """The ancestors of the on-chain record of `content_id`, breadth-first (empty when it has no record)."""
    validate_bytes("content_id", content_id, CONTENT_ID_SIZE)
    stored = get_provenance(store, content_id)
    parents = () if stored is None else stored.record.parents
    return _walk(store, content_id, parents, depth, limit)


# ---- verification and the on-chain write ----


def _first_failure(
    store: AutoIdStore, record: ProvenanceRecord, content: bytes | None, now_ms: int
) -> tuple[str, str, tuple[bytes, ...]]:
    """(reason, detail, signer chain) of the first check `record` fails, reason VALID when none does."""
    if content is not None and compute_content_id(content) != record.content_id:
        return "ContentMismatch", "the content's object id differs from content_id", ()
    if record.signed_at_ms > now_ms:
        return "SignedInFuture", f"signed at {record.signed_at_ms}, now {now_ms}", ()
    status, chain = signer_status_at(store, record.signer, record.signed_at_ms)
    if status != VALID:
        return status, chain[-1].hex(), chain
    signer = get_auto_id(store, record.signer)
    key = b"" if signer is None else signer.subject_public_key_info
    if not verify_signature(key, record.signature_algorithm, record.signed_message(), record.signature):
        return "InvalidSignature", "", chain
    return VALID, "", chain


def verify_provenance(
    store: AutoIdStore,
    record: ProvenanceRecord,
    content: bytes | None,
    now_ms: int,
    *,
    depth: int = DEFAULT_LINEAGE_DEPTH,
) -> ProvenanceCheck:
    """Whether `record` holds at `now_ms` (and matches `content` when given), with the signer chain and the
    record's lineage. Checks in order: content hash, signed_at <= now, signer chain at signed_at, signature."""
    validate_uint("now_ms", now_ms, U64_MAX)
    reason, _detail, chain = _first_failure(store, record, content, now_ms)
    ancestors = _walk(store, record.content_id, record.parents, depth, DEFAULT_LINEAGE_LIMIT)
    return ProvenanceCheck(reason == VALID, reason, chain, ancestors)


def put_provenance(store: AutoIdStore, record: ProvenanceRecord, now_ms: int) -> None:
    """Store `record` under its content id; ProvenanceError, with nothing written, when it does not verify, its
    signer chain is revoked now, or the content id already has a record."""
    validate_uint("now_ms", now_ms, U64_MAX)
    reason, detail, chain = _first_failure(store, record, None, now_ms)
    if reason != VALID:
        raise ProvenanceError(reason, detail)
    for auto_id in chain:
        identity = get_auto_id(store, auto_id)
        if identity is not None and _is_revoked_now(store, auto_id, identity):
            raise ProvenanceError("SignerRevoked", f"{auto_id.hex()} is revoked now: backdated records are refused")
    if store.get(RECORD_PREFIX + record.content_id) is not None:
        raise ProvenanceError("ProvenanceExists", record.content_id.hex())
    store.set(RECORD_PREFIX + record.content_id, StoredProvenance(record, now_ms).to_bytes())
