"""PROJECT-DEFINED: the open AI directory, models, datasets and fine-tuning sets published as DSN objects and
indexed on the Auto ID domain under a name, with versions that append and are never overwritten or deleted.

A DirectoryEntry is "Auto ID `publisher` publishes version `version` of `name`, a `kind` under `license`, made of
these files (each a DSN object)". Its SCALE encoding is

    Vec<u8> name ‖ kind u8 ‖ Vec<u8> license ‖ version u32 ‖ Vec<DirectoryFile> files ‖ publisher [32]
    ‖ Vec<u8> signature_algorithm (DER AlgorithmIdentifier) ‖ Vec<u8> signature
    DirectoryFile = Vec<u8> path ‖ object_id [32] ‖ size u64 ‖ blake3 [32]

and the publisher signs `blake2b-256("autonomys-ai-directory" ‖ the encoding without the two signature fields)`,
checked like provenance (protocol.identity.provenance) with the pallet's verifier (signatures.verify_signature)
on the publisher's SPKI from the Auto ID registry. The version is part of what is signed, so a signed entry
cannot be replayed as a later version.

Rules (`put_entry`, nothing written when one fails; each names its DirectoryError reason):
  bad_entry                 the name, license or a path breaks its charset or bound, the files are not strictly
                            ascending by path, or the version is 0;
  publisher_not_registered  no Auto ID `publisher` (never registered, or deactivated);
  publisher_invalid         the publisher or an issuer above it is revoked, expired or not yet valid now;
  bad_signature             the signature does not verify under the publisher's key;
  name_taken                the name's first publisher (its owner) is another Auto ID;
  version_not_next          the version is not the name's latest + 1 (1 for a new name): versions append.

State (`ai/directory/...`): `name/<name>` = owner [32] ‖ latest version u32 ‖ position u32 (in the name index);
`entry/<name>/<version u32 BE>` = the entry's encoding ‖ the block time it was put (u64 LE ms); `count` = names
(u32) and `index/<position u32 BE>` = name, so search can walk every name without a prefix scan.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_u8,
    encode_u32,
    encode_u64,
    encode_vec_u8,
    encode_vector,
    read_vector_length,
    validate_bytes,
    validate_uint,
)
from autonomys.protocol.constants import U32_MAX, U64_MAX
from autonomys.protocol.errors import DecodeError, ReasonedError
from autonomys.protocol.identity.auto_id import STATUS_UNKNOWN_AUTO_ID, AutoIdStore, get_auto_id, identity_status
from autonomys.protocol.identity.auto_id_types import IDENTIFIER_SIZE
from autonomys.protocol.identity.signatures import verify_signature

DIRECTORY_CONTEXT: Final = b"autonomys-ai-directory"
PREFIX: Final = b"ai/directory/"
NAME_PREFIX: Final = PREFIX + b"name/"
ENTRY_PREFIX: Final = PREFIX + b"entry/"
INDEX_PREFIX: Final = PREFIX + b"index/"
COUNT_KEY: Final = PREFIX + b"count"
OBJECT_ID_SIZE: Final = 32
HASH_SIZE: Final = 32
MAX_NAME_LENGTH: Final = 64
MAX_LICENSE_LENGTH: Final = 64
MAX_PATH_LENGTH: Final = 255
MAX_FILES: Final = 256
MAX_SEARCH_RESULTS: Final = 100
NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._-]*")
"""A name once normalised (normalise_name): lower-case letters, digits, '.', '_' and '-', starting alphanumeric
('@' separates a version in NAME@VERSION, '/' keys the state)."""
LICENSE_PATTERN: Final = re.compile(r"[A-Za-z0-9.+:()-]+( [A-Za-z0-9.+:()-]+)*")
"""SPDX-ish: identifiers and expressions such as `Apache-2.0`, `MIT OR Apache-2.0`, `LicenseRef-custom`."""
PATH_COMPONENT_PATTERN: Final = re.compile(r"[^/\\\x00-\x1f]+")

DIRECTORY_REASONS: Final = (
    "bad_entry",
    "publisher_not_registered",
    "publisher_invalid",
    "bad_signature",
    "name_taken",
    "version_not_next",
    "unknown_name",
    "unknown_version",
    "content_mismatch",
)


class DirectoryError(ReasonedError):
    """A directory entry refused, or a lookup or download that failed; `reason` is one of DIRECTORY_REASONS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in DIRECTORY_REASONS:
            raise ValueError(f"not a directory error: {reason}")
        super().__init__(reason, detail)


class EntryKind(IntEnum):
    MODEL = 0
    DATASET = 1
    FINE_TUNE = 2

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def parse(cls, text: str) -> EntryKind:
        for kind in cls:
            if kind.label == text.strip().lower():
                return kind
        raise DirectoryError("bad_entry", f"kind {text!r} is not one of {', '.join(k.label for k in cls)}")


# ---- names, licenses, paths ----


def normalise_name(text: str) -> str:
    """A name as the directory keys it: trimmed and lower-cased (then checked by check_name)."""
    return text.strip().lower()


def check_name(name: str) -> None:
    if not 0 < len(name) <= MAX_NAME_LENGTH or NAME_PATTERN.fullmatch(name) is None:
        raise DirectoryError(
            "bad_entry", f"name {name!r:.80}: 1..{MAX_NAME_LENGTH} of a-z 0-9 . _ -, starting with a letter or digit"
        )


def check_license(license_text: str) -> None:
    if not 0 < len(license_text) <= MAX_LICENSE_LENGTH or LICENSE_PATTERN.fullmatch(license_text) is None:
        raise DirectoryError("bad_entry", f"license {license_text!r:.80}: an SPDX-style expression of at most "
                             f"{MAX_LICENSE_LENGTH} characters")  # fmt: skip


def check_path(path: str) -> None:
    """A file's path inside an entry: relative, '/'-separated, no empty, '.' or '..' component, no backslash or
    control character, at most MAX_PATH_LENGTH bytes (so a download cannot leave its directory)."""
    parts = path.split("/")
    if (
        not 0 < len(path.encode()) <= MAX_PATH_LENGTH
        or any(part in ("", ".", "..") or PATH_COMPONENT_PATTERN.fullmatch(part) is None for part in parts)
    ):  # fmt: skip
        raise DirectoryError("bad_entry", f"path {path!r:.80} is not a relative normalised path")


# ---- entries ----


def _read_text(reader: Reader, what: str) -> str:
    try:
        return reader.read_vec_u8().decode()
    except UnicodeDecodeError as error:
        raise DecodeError(f"{what} is not UTF-8") from error


@dataclass(frozen=True, slots=True)
class DirectoryFile:
    """One file of an entry: where it goes under the download directory, and the DSN object holding it."""

    path: str
    object_id: bytes
    size: int
    blake3: bytes
    """The blake3 of the file's bytes (the object id hashes its DSN payloads instead)."""

    def __post_init__(self) -> None:
        if not isinstance(self.path, str):
            raise DecodeError("path must be a str")
        validate_bytes("object_id", self.object_id, OBJECT_ID_SIZE)
        validate_uint("size", self.size, U64_MAX)
        validate_bytes("blake3", self.blake3, HASH_SIZE)

    def to_bytes(self) -> bytes:
        return encode_vec_u8(self.path.encode()) + self.object_id + encode_u64(self.size) + self.blake3

    @classmethod
    def read(cls, reader: Reader) -> DirectoryFile:
        path = _read_text(reader, "path")
        return cls(path, reader.read_bytes(OBJECT_ID_SIZE), reader.read_u64(), reader.read_bytes(HASH_SIZE))


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """A version of a named model, dataset or fine-tuning set, signed by its publisher (module docstring)."""

    name: str
    kind: EntryKind
    license: str
    version: int
    files: tuple[DirectoryFile, ...]
    publisher: bytes
    signature_algorithm: bytes = b""
    signature: bytes = b""

    def __post_init__(self) -> None:
        for field_name in ("name", "license"):
            if not isinstance(getattr(self, field_name), str):
                raise DecodeError(f"{field_name} must be a str")
        if not isinstance(self.kind, EntryKind):
            raise DecodeError("kind must be an EntryKind")
        validate_uint("version", self.version, U32_MAX)
        if not isinstance(self.files, tuple) or not all(isinstance(item, DirectoryFile) for item in self.files):
            raise DecodeError("files must be a tuple of DirectoryFile")
        if len(self.files) > MAX_FILES:
            raise DecodeError(f"{len(self.files)} files, at most {MAX_FILES}")
        validate_bytes("publisher", self.publisher, IDENTIFIER_SIZE)
        for field_name in ("signature_algorithm", "signature"):
            if not isinstance(getattr(self, field_name), bytes):
                raise DecodeError(f"{field_name} must be bytes")

    def unsigned_bytes(self) -> bytes:
        return b"".join((
            encode_vec_u8(self.name.encode()), encode_u8(self.kind), encode_vec_u8(self.license.encode()),
            encode_u32(self.version), encode_vector(self.files), self.publisher,
        ))  # fmt: skip

    def signed_message(self) -> bytes:
        """What the publisher signs: a domain-separated hash of the entry without its signature."""
        return hashlib.blake2b(DIRECTORY_CONTEXT + self.unsigned_bytes(), digest_size=32).digest()

    def to_bytes(self) -> bytes:
        return self.unsigned_bytes() + encode_vec_u8(self.signature_algorithm) + encode_vec_u8(self.signature)

    def entry_id(self) -> bytes:
        """blake2b-256 of the whole encoding: what the runtime's outcome names."""
        return hashlib.blake2b(self.to_bytes(), digest_size=32).digest()

    @property
    def total_size(self) -> int:
        return sum(item.size for item in self.files)

    @classmethod
    def read(cls, reader: Reader) -> DirectoryEntry:
        name = _read_text(reader, "name")
        raw_kind = reader.read_u8()
        if raw_kind not in set(EntryKind):
            raise DecodeError(f"entry kind {raw_kind} unknown")
        license_text = _read_text(reader, "license")
        version = reader.read_u32()
        count = read_vector_length(reader)
        if count > MAX_FILES:
            raise DecodeError(f"{count} files, at most {MAX_FILES}")
        files = tuple(DirectoryFile.read(reader) for _ in range(count))
        publisher = reader.read_bytes(IDENTIFIER_SIZE)
        algorithm, signature = reader.read_vec_u8(), reader.read_vec_u8()
        return cls(name, EntryKind(raw_kind), license_text, version, files, publisher, algorithm, signature)

    @classmethod
    def from_bytes(cls, data: bytes) -> DirectoryEntry:
        return decode_exactly(data, "DirectoryEntry", cls.read)


def check_entry(entry: DirectoryEntry) -> None:
    """DirectoryError("bad_entry") unless the name, license, version and paths follow the directory's rules."""
    if entry.name != normalise_name(entry.name):
        raise DirectoryError("bad_entry", f"name {entry.name!r:.80} is not normalised")
    check_name(entry.name)
    check_license(entry.license)
    if entry.version == 0:
        raise DirectoryError("bad_entry", "versions start at 1")
    if len(entry.files) == 0:
        raise DirectoryError("bad_entry", "an entry lists at least one file")
    for item in entry.files:
        check_path(item.path)
    paths = [item.path.encode() for item in entry.files]
    if any(earlier >= later for earlier, later in zip(paths, paths[1:], strict=False)):
        raise DirectoryError("bad_entry", "files must be strictly ascending by path (each path once)")


@dataclass(frozen=True, slots=True)
class NameRecord:
    """`name/<name>`: who owns the name, its latest version and its place in the name index."""

    owner: bytes
    latest: int
    position: int

    def to_bytes(self) -> bytes:
        return self.owner + encode_u32(self.latest) + encode_u32(self.position)

    @classmethod
    def from_bytes(cls, data: bytes) -> NameRecord:
        return decode_exactly(
            data, "NameRecord", lambda r: cls(r.read_bytes(IDENTIFIER_SIZE), r.read_u32(), r.read_u32())
        )


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """`entry/<name>/<version>`: the entry and the block time it was put."""

    entry: DirectoryEntry
    put_at_ms: int

    def to_bytes(self) -> bytes:
        return self.entry.to_bytes() + encode_u64(self.put_at_ms)

    @classmethod
    def from_bytes(cls, data: bytes) -> StoredEntry:
        return decode_exactly(data, "StoredEntry", lambda r: cls(DirectoryEntry.read(r), r.read_u64()))


# ---- storage ----


def _entry_key(name: str, version: int) -> bytes:
    return ENTRY_PREFIX + name.encode() + b"/" + version.to_bytes(4, "big")


def get_name(store: AutoIdStore, name: str) -> NameRecord | None:
    value = store.get(NAME_PREFIX + name.encode())
    return None if value is None else NameRecord.from_bytes(value)


def get_entry(store: AutoIdStore, name: str, version: int) -> StoredEntry | None:
    value = store.get(_entry_key(name, version))
    return None if value is None else StoredEntry.from_bytes(value)


def name_count(store: AutoIdStore) -> int:
    value = store.get(COUNT_KEY)
    return 0 if value is None else int.from_bytes(value, "little")


def check_publisher(store: AutoIdStore, publisher: bytes, now_ms: int) -> None:
    """The publisher is registered and, with every issuer above it, valid and not revoked at `now_ms`."""
    status = identity_status(store, publisher, now_ms)
    if status.valid:
        return
    if status.reason == STATUS_UNKNOWN_AUTO_ID:
        raise DirectoryError("publisher_not_registered", publisher.hex())
    raise DirectoryError("publisher_invalid", f"{status.reason} ({status.chain[-1].hex()})")


def put_entry(store: AutoIdStore, entry: DirectoryEntry, now_ms: int) -> None:
    """Append `entry` to the directory (the module docstring's rules); DirectoryError and nothing written when a
    rule fails."""
    check_entry(entry)
    check_publisher(store, entry.publisher, now_ms)
    record = get_auto_id(store, entry.publisher)
    key = b"" if record is None else record.subject_public_key_info
    if not verify_signature(key, entry.signature_algorithm, entry.signed_message(), entry.signature):
        raise DirectoryError("bad_signature", "the entry is not signed by its publisher's key")
    named = get_name(store, entry.name)
    if named is not None and named.owner != entry.publisher:
        raise DirectoryError("name_taken", f"{entry.name} belongs to {named.owner.hex()}")
    expected = 1 if named is None else named.latest + 1
    if entry.version != expected:
        raise DirectoryError("version_not_next", f"version {entry.version}, expected {expected}")
    if named is None:
        position = name_count(store)
        store.set(INDEX_PREFIX + position.to_bytes(4, "big"), entry.name.encode())
        store.set(COUNT_KEY, encode_u32(position + 1))
        named = NameRecord(entry.publisher, 0, position)
    store.set(_entry_key(entry.name, entry.version), StoredEntry(entry, now_ms).to_bytes())
    store.set(NAME_PREFIX + entry.name.encode(), NameRecord(named.owner, entry.version, named.position).to_bytes())


# ---- lookups ----


def parse_reference(text: str) -> tuple[str, int | None]:
    """`NAME` or `NAME@VERSION` → (normalised name, version or None for the latest); bad_entry otherwise."""
    name, separator, version_text = text.strip().partition("@")
    name = normalise_name(name)
    check_name(name)
    if not separator:
        return name, None
    if re.fullmatch(r"[0-9]{1,10}", version_text) is None or not 0 < int(version_text) <= U32_MAX:
        raise DirectoryError("bad_entry", f"version {version_text!r:.20} is not a number from 1")
    return name, int(version_text)


def resolve(store: AutoIdStore, reference: str) -> StoredEntry:
    """The entry `NAME[@VERSION]` names (the latest version without one); unknown_name / unknown_version."""
    name, version = parse_reference(reference)
    named = get_name(store, name)
    if named is None:
        raise DirectoryError("unknown_name", name)
    wanted = named.latest if version is None else version
    stored = get_entry(store, name, wanted) if wanted <= named.latest else None
    if stored is None:
        raise DirectoryError("unknown_version", f"{name}@{wanted}; the latest is {named.latest}")
    return stored


def versions(store: AutoIdStore, name: str) -> tuple[StoredEntry, ...]:
    """Every version of `name`, oldest first (unknown_name when it has none)."""
    named = get_name(store, normalise_name(name))
    if named is None:
        raise DirectoryError("unknown_name", name)
    stored = (get_entry(store, normalise_name(name), version) for version in range(1, named.latest + 1))
    return tuple(item for item in stored if item is not None)


def iter_names(store: AutoIdStore) -> Iterator[str]:
    """Every published name, in the order they were first published."""
    for position in range(name_count(store)):
        value = store.get(INDEX_PREFIX + position.to_bytes(4, "big"))
        if value is not None:
            yield value.decode()


def matches(entry: DirectoryEntry, text: str) -> bool:
    """Case-insensitive substring match of `text` on the entry's name, license or kind."""
    needle = text.strip().lower()
    return any(needle in field.lower() for field in (entry.name, entry.license, entry.kind.label))


def search(store: AutoIdStore, text: str, limit: int = MAX_SEARCH_RESULTS) -> tuple[StoredEntry, ...]:
    """The latest version of each name whose name, license or kind contains `text` (case-insensitive), in
    publication order, at most `limit`. It reads every name: two reads a name."""
    found: list[StoredEntry] = []
    for name in iter_names(store):
        if len(found) >= limit:
            break
        named = get_name(store, name)
        stored = None if named is None else get_entry(store, name, named.latest)
        if stored is not None and matches(stored.entry, text):
            found.append(stored)
    return tuple(found)
