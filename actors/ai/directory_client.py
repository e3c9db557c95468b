"""The open AI directory for users: publish a model, dataset or fine-tuning set (each file a DSN object, the entry
signed by the publisher's Auto ID and appended on the Auto ID domain), resolve `NAME[@VERSION]`, search, and get
every file back into a directory, checked against the entry's sizes and blake3 hashes.

The domain is any DomainLink (an operator's handle: it submits transactions, reports their outcomes and reads the
best state); objects go through an ObjectStore (actors.objects.client.ObjectClient) and come back from any
ObjectSource: the ObjectClient's `iter_object`, or an `autonomys gateway` (`gateway_source`). Rules live in
protocol.ai.directory; the client checks what it can before uploading (the name's owner, the next version, the
publisher's status) so a publish that would be refused does not store gigabytes first.
"""

from __future__ import annotations

import contextlib
import os
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import blake3
import sr25519

from autonomys.actors.identity.certificates import (
    algorithm_identifier,
    certificate_der,
    load_certificate,
    load_key,
    sign,
)
from autonomys.actors.state_store import RemoteState
from autonomys.protocol.ai.directory import (
    MAX_FILES,
    MAX_SEARCH_RESULTS,
    DirectoryEntry,
    DirectoryError,
    DirectoryFile,
    EntryKind,
    StoredEntry,
    check_entry,
    check_license,
    check_name,
    check_path,
    check_publisher,
    get_name,
    normalise_name,
    resolve,
    search,
    versions,
)
from autonomys.protocol.ai.directory_calls import DirectoryPalletCall, Publish, parse_outcome
from autonomys.protocol.domains.runtime_balances import TIMESTAMP_KEY, sign_call
from autonomys.protocol.identity.auto_id import derive_auto_id

DEFAULT_WAIT_SECONDS = 120.0
POLL_SECONDS = 0.2
READ_BLOCK = 1 << 20
"""Bytes a gateway download reads at once."""
GATEWAY_TIMEOUT_SECONDS = 120.0

ObjectSource = Callable[[bytes], Iterable[bytes]]
"""An object id → its verified bytes in chunks (ObjectClient.iter_object, gateway_source(url))."""


class DomainLink(Protocol):
    """What the client needs of an Auto ID domain operator (an OperatorClient)."""

    def account(self, account: bytes) -> tuple[int, int]: ...
    def submit_transaction(self, extrinsic: bytes) -> bytes: ...
    def transaction_status(self, transaction_hash: bytes) -> str: ...
    def transaction_outcome(self, transaction_hash: bytes) -> bytes | None: ...
    def read(self, key: bytes) -> bytes | None: ...


class ObjectStore(Protocol):
    def put(self, data: bytes, signer: Any, on_progress: Any = None, wait_seconds: float = ...) -> bytes: ...


class Payer(Protocol):
    """The sr25519 account that relays and pays (a FarmerIdentity)."""

    @property
    def seed(self) -> bytes: ...


@dataclass(frozen=True)
class Publisher:
    """An Auto ID able to sign: its id and private key (an `autonomys id new` directory)."""

    auto_id: bytes
    key: Any

    def sign(self, message: bytes) -> tuple[bytes, bytes]:
        """(DER AlgorithmIdentifier, signature) of `message` under the publisher's key."""
        return algorithm_identifier(self.key), sign(self.key, message)


def load_publisher(directory: Path) -> Publisher:
    """The identity in `directory` (key.pem, cert.pem and, for a leaf, `issuer`); IdentityFileError when unreadable."""
    key, certificate = load_key(directory / "key.pem"), load_certificate(directory / "cert.pem")
    issuer_file = directory / "issuer"
    issuer = bytes.fromhex(issuer_file.read_text().strip()) if issuer_file.exists() else None
    return Publisher(derive_auto_id(certificate_der(certificate), issuer), key)


@dataclass(frozen=True, slots=True)
class LocalFile:
    path: str
    """Its path in the entry (relative, '/'-separated)."""
    source: Path


def collect_files(path: Path) -> tuple[LocalFile, ...]:
    """What publishing `path` stores: the file itself, or every regular file under a directory (symbolic links
    skipped), by relative path; bad_entry when a path breaks the directory's rules or there are too many."""
    if path.is_file():
        found = [LocalFile(path.name, path)]
    elif path.is_dir():
        found = [
            LocalFile(PurePosixPath(*item.relative_to(path).parts).as_posix(), item)
            for item in sorted(path.rglob("*"))
            if item.is_file() and not item.is_symlink()
        ]
    else:
        raise DirectoryError("bad_entry", f"{path} is neither a file nor a directory")
    if not 0 < len(found) <= MAX_FILES:
        raise DirectoryError("bad_entry", f"{path}: {len(found)} files, 1..{MAX_FILES} publish")
    for item in found:
        check_path(item.path)
    return tuple(sorted(found, key=lambda item: item.path.encode()))


@dataclass(frozen=True, slots=True)
class Published:
    entry: DirectoryEntry
    entry_id: bytes


class DirectoryClient:
    """Publish, resolve, search and get directory entries on one Auto ID domain (module docstring)."""

    def __init__(
        self,
        domain: DomainLink,
        domain_id: int,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.domain = domain
        self.domain_id = domain_id
        self.state = RemoteState(domain)
        self.sleep = sleep
        self.monotonic = monotonic

    # -- reads ----------------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The domain's latest block time (an entry is checked against the next block's, which is later)."""
        raw = self.domain.read(TIMESTAMP_KEY)
        return 0 if raw is None else int.from_bytes(raw, "little")

    def resolve(self, reference: str) -> StoredEntry:
        return resolve(self.state, reference)

    def versions(self, name: str) -> tuple[StoredEntry, ...]:
        return versions(self.state, name)

    def search(self, text: str, limit: int = MAX_SEARCH_RESULTS) -> tuple[StoredEntry, ...]:
        return search(self.state, text, limit)

    # -- publish --------------------------------------------------------------------------------

    def next_version(self, name: str, publisher: bytes) -> int:
        """The version `publisher` may publish of `name` next; name_taken when another Auto ID owns it."""
        named = get_name(self.state, name)
        if named is None:
            return 1
        if named.owner != publisher:
            raise DirectoryError("name_taken", f"{name} belongs to {named.owner.hex()}")
        return named.latest + 1

    def publish(
        self,
        path: Path,
        name: str,
        kind: EntryKind,
        license_text: str,
        publisher: Publisher,
        objects: ObjectStore,
        payer: Payer,
        *,
        version: int | None = None,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        on_file: Callable[[LocalFile], None] | None = None,
    ) -> Published:
        """Store every file of `path` as an object and append the signed entry; DirectoryError naming the rule
        when refused (checked before anything is stored where the state allows)."""
        name = normalise_name(name)
        check_name(name)
        check_license(license_text)
        files = collect_files(path)
        check_publisher(self.state, publisher.auto_id, self.now_ms())
        expected = self.next_version(name, publisher.auto_id)
        if version is not None and version != expected:
            raise DirectoryError("version_not_next", f"version {version}, expected {expected}")
        stored = tuple(self._store(item, objects, payer, wait_seconds, on_file) for item in files)
        unsigned = DirectoryEntry(name, kind, license_text, expected, stored, publisher.auto_id)
        check_entry(unsigned)
        algorithm, signature = publisher.sign(unsigned.signed_message())
        entry = DirectoryEntry(name, kind, license_text, expected, stored, publisher.auto_id, algorithm, signature)
        return Published(entry, self.submit(entry, payer, wait_seconds))

    def _store(
        self,
        item: LocalFile,
        objects: ObjectStore,
        payer: Payer,
        wait_seconds: float,
        on_file: Callable[[LocalFile], None] | None,
    ) -> DirectoryFile:
        if on_file is not None:
            on_file(item)
        data = item.source.read_bytes()
        object_id = objects.put(data, payer, wait_seconds=wait_seconds)
        return DirectoryFile(item.path, object_id, len(data), blake3.blake3(data).digest())

    def submit(self, entry: DirectoryEntry, payer: Payer, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> bytes:
        """Relay `entry` in a domain transaction paid by `payer`, wait for its block; its entry id, or the
        DirectoryError the pallet refused it with."""
        keypair = sr25519.pair_from_seed(payer.seed)
        _, nonce = self.domain.account(bytes(keypair[0]))
        call = DirectoryPalletCall(Publish(entry))
        tx_hash = self.domain.submit_transaction(sign_call(self.domain_id, keypair, nonce, call).to_bytes())
        deadline = self.monotonic() + wait_seconds
        while (raw := self.domain.transaction_outcome(tx_hash)) is None:
            status = self.domain.transaction_status(tx_hash)
            if status == "unknown" or self.monotonic() > deadline:
                raise TimeoutError(f"directory transaction {tx_hash.hex()} is {status} after waiting")
            self.sleep(POLL_SECONDS)
        outcome = parse_outcome(raw)
        if outcome.reason is not None:
            raise DirectoryError(outcome.reason, "refused by the directory pallet")
        assert outcome.entry_id is not None
        return outcome.entry_id

    # -- get ------------------------------------------------------------------------------------

    def get(self, reference: str, directory: Path, source: ObjectSource) -> tuple[StoredEntry, tuple[Path, ...]]:
        """Fetch every file of `NAME[@VERSION]` into `directory` (see fetch_entry)."""
        stored = self.resolve(reference)
        return stored, fetch_entry(stored.entry, directory, source)


def fetch_entry(entry: DirectoryEntry, directory: Path, source: ObjectSource) -> tuple[Path, ...]:
    """Write each file of `entry` under `directory` at its path, each through a temporary file renamed once its
    size and blake3 match the entry (content_mismatch otherwise, the temporary file removed)."""
    targets = [_target(directory, item.path) for item in entry.files]
    for item, target in zip(entry.files, targets, strict=True):
        _fetch_file(item, target, source)
    return tuple(targets)


def _target(directory: Path, path: str) -> Path:
    check_path(path)  # an entry read from the chain was checked on the way in; a download checks again
    root = directory.resolve()
    target = (root / path).resolve()
    if root not in target.parents:
        raise DirectoryError("bad_entry", f"path {path!r} leaves {directory}")
    return target


def _fetch_file(item: DirectoryFile, target: Path, source: ObjectSource) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    hasher, size = blake3.blake3(), 0
    try:
        with open(temporary, "wb") as sink:
            for chunk in source(item.object_id):
                hasher.update(chunk)
                size += len(chunk)
                if size > item.size:
                    break
                sink.write(chunk)
            sink.flush()
            os.fsync(sink.fileno())
        if size != item.size or hasher.digest() != item.blake3:
            raise DirectoryError("content_mismatch", f"{item.path}: {size} bytes do not match the entry")
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def gateway_source(url: str, timeout: float = GATEWAY_TIMEOUT_SECONDS) -> ObjectSource:
    """An ObjectSource over an `autonomys gateway` at `url` (GET {url}/objects/{id})."""
    base = url.rstrip("/")

    def fetch(object_id: bytes) -> Iterator[bytes]:
        request = urllib.request.Request(f"{base}/objects/{object_id.hex()}")
        with contextlib.closing(urllib.request.urlopen(request, timeout=timeout)) as response:  # noqa: S310 - the user's gateway URL
            while block := response.read(READ_BLOCK):
                yield block

    return fetch
