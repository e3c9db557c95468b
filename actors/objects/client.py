"""Objects for users: put bytes into the chain's history and get them back by id, chunk by chunk.

`ObjectClient.put` plans an object into self-describing payloads (protocol.objects.mappings), stores each with a
signed StoreData transaction (consecutive nonces from the node's view of the account), and waits until
the node can locate every payload: in a canonical block, or archived. The node's pool is bounded per sender
(actors.consensus.transaction_pool), so a big object's payloads go in as blocks make room: a put submits while the pool
takes them and retries the next one after each poll. Reading resolves an id through
the node: data still in a block comes back directly (checked against its hash), archived data is read
from pieces through `read_object`. Big objects are streamed one verified chunk at a time.

Every payload's bytes are checked against its id (a blake3 hash; a big object's manifest, itself checked
against the object id, commits to each chunk's id), so a get needs no per-piece KZG check: pieces come
unchecked from a getter that can check them later (PieceGetter.get_pieces_unchecked), and only when a
payload read from them fails its hash are they checked (PieceGetter.verify_pieces), which demotes the
source of a bad piece and fetches it again. No byte that failed its hash is ever returned.

The node is any `ObjectNodeLink` (a NodeService, or its Ray handle); pieces come from any PieceGetter
(the archiver, a piece cache).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import blake3

from autonomys.actors.archiving.piece_store import PieceGetter, ServedPiece, get_served_pieces_from
from autonomys.actors.clock import Clock, MonotonicClock
from autonomys.actors.consensus.node_objects import REJECT_POOL_FULL, REJECT_SENDER_FULL, RejectedTransaction
from autonomys.actors.farming.identity import FarmerIdentity
from autonomys.actors.messages import ObjectLocation
from autonomys.protocol.archiving.pieces import compute_next_source_piece_index
from autonomys.protocol.consensus.chain_blocks import StoreData, sign_transaction
from autonomys.protocol.errors import DecodeError
from autonomys.protocol.objects.mappings import (
    MAX_OBJECT_CHUNK_SIZE,
    OBJECT_CHUNK_TAG,
    GlobalObject,
    ObjectChunk,
    ObjectCorrupt,
    ObjectError,
    ObjectManifest,
    ObjectUnavailable,
    RawRecords,
    compute_object_id,
    decode_object_payload,
    plan_object,
    read_object_from,
)
from autonomys.protocol.params import Params
from autonomys.protocol.types import PieceIndex

__all__ = [
    "DEV_ACCOUNT_SEED_TAG",
    "ObjectClient",
    "ObjectCorrupt",
    "ObjectInfo",
    "ObjectNodeLink",
    "ObjectNotFound",
    "ObjectPutTimeout",
    "ObjectUnavailable",
    "Signer",
    "dev_account",
]

DEV_ACCOUNT_SEED_TAG = b"autonomys dev account"
DEFAULT_PUT_WAIT_SECONDS = 120.0
POLL_INTERVAL_SECONDS = 0.5
# Root payloads (a small object's whole data, or a manifest) kept so stat + iter_object read them once.
ROOT_CACHE_ENTRIES = 8
# Missing payload ids a put timeout names (the rest are counted).
MISSING_NAMED = 8
PAYLOAD_OVERHEAD = 16
"""Bytes around a payload in history besides its data: its compact length prefix and slack."""
PREFETCH_THREADS = 8
LOOKAHEAD_CHUNKS = 32
"""Chunks whose pieces a get fetches together, a window (8 MiB of 256 KiB chunks: about 9 DEV pieces)."""
WINDOWS_AHEAD = 2
"""Windows being fetched while a get reads the one before them. A get holds the pieces of at most
1 + WINDOWS_AHEAD windows (about 27 DEV pieces: less than one PieceGetter batch of 32), the decoded records of
the one or two pieces its read is in, and the chunk it yields. (16-chunk windows measured 0.24-0.48 of a raw
fetch on benchmarks/objects.py, 32-chunk ones 0.51-0.57.)"""

Progress = Callable[[int, int], None]
"""(done bytes, total bytes) of the object being put or read."""


class ObjectNotFound(ObjectError):
    """No block or archived segment holds an object with this id."""


class ObjectPutTimeout(ObjectError):
    """A put whose payloads did not all reach a block in time; the message names the missing ones."""


class ObjectNodeLink(Protocol):
    """What the object client needs from a node (NodeService and its handle provide it)."""

    def submit_transaction(self, transaction: bytes) -> bytes: ...

    def genesis_hash(self) -> bytes: ...

    def account(self, public_key: bytes) -> tuple[int, int]: ...

    def object_location(self, object_hash: bytes) -> ObjectLocation: ...


class Signer(Protocol):
    """An sr25519 account: a FarmerIdentity, or any key pair with the same two members."""

    @property
    def public_key(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


def dev_account() -> FarmerIdentity:
    """The local networks' well-known account (seed blake3(b"autonomys dev account")), endowed at genesis by the
    devnet so `put` works out of the box. Everyone knows its seed: never fund it on a real network."""
    return FarmerIdentity(blake3.blake3(DEV_ACCOUNT_SEED_TAG).digest())


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    size: int
    """Bytes of the object's data."""
    chunk_count: int
    """Payloads holding the data (1 for a small object)."""


class ObjectClient:
    """Put and get objects through a node and a piece getter (see the module docstring). Thread-safe."""

    def __init__(
        self,
        node: ObjectNodeLink,
        pieces: PieceGetter,
        params: Params,
        *,
        chunk_size: int = MAX_OBJECT_CHUNK_SIZE,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval: float = POLL_INTERVAL_SECONDS,
    ) -> None:
        self.node = node
        self.pieces = pieces
        self.params = params
        self.chunk_size = chunk_size
        self.clock = clock if clock is not None else MonotonicClock()
        self.sleep = sleep
        self.poll_interval = poll_interval
        self._roots: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    # -- put -----------------------------------------------------------------------------------

    def put(
        self,
        data: bytes,
        signer: Signer,
        on_progress: Progress | None = None,
        wait_seconds: float = DEFAULT_PUT_WAIT_SECONDS,
    ) -> bytes:
        """Store `data`; returns its object id once every payload is in a block (or archived).

        Payloads the chain already holds are not stored again. Payloads are submitted while the node's pool
        takes them; when it is full (for this sender or for everyone) the rest wait until blocks take earlier
        ones. RejectedTransaction (from the node) when a transaction is refused for another reason,
        ObjectPutTimeout when payloads are still missing after wait_seconds.
        """
        plan = plan_object(data, self.chunk_size)
        payloads = _unique_by_id(plan.payloads)
        missing = {object_id: payload for object_id, payload in payloads.items() if not self._is_located(object_id)}
        _, nonce = self.node.account(signer.public_key)
        submission = _Submission(self.node, signer, self.node.genesis_hash(), nonce, list(missing.items()))
        deadline = self.clock.monotonic() + wait_seconds
        while True:
            submission.submit_while_accepted()
            missing = {payload_id: payload for payload_id, payload in missing.items() if not self._is_located(payload_id)}
            if on_progress is not None:
                on_progress(_located_bytes(payloads, missing, len(data)), len(data))
            if len(missing) == 0:
                return plan.object_id
            if self.clock.monotonic() >= deadline:
                raise ObjectPutTimeout(_missing_message(plan.object_id, payloads, missing, wait_seconds))
            submission.keep_only(missing)
            self.sleep(self.poll_interval)

    def _is_located(self, payload_id: bytes) -> bool:
        return self.node.object_location(payload_id) is not None

    # -- get -----------------------------------------------------------------------------------

    def stat(self, object_id: bytes) -> ObjectInfo:
        """Size and chunk count of a stored object; ObjectNotFound when the id is unknown."""
        root = self._root(object_id)
        if isinstance(root, ObjectManifest):
            return ObjectInfo(root.total_size, len(root.chunk_ids))
        return ObjectInfo(len(root.data), 1)

    def iter_object(self, object_id: bytes, on_progress: Progress | None = None) -> Iterator[bytes]:
        """The object's data in verified chunks, in order: each yielded only once it hashed to the id the manifest
        lists for it. Holds the chunk being yielded and the pieces of at most two LOOKAHEAD_CHUNKS windows.

        ObjectNotFound for an unknown id; ObjectUnavailable when a piece it lies in cannot be fetched (nor a
        valid copy of one that failed); ObjectCorrupt when stored bytes do not match their hashes or the
        manifest's size though every piece they were read from is valid.
        """
        root = self._root(object_id)  # resolved now, so an unknown id fails before the first chunk is asked for
        return self._iter_chunks(bytes(object_id), root, on_progress if on_progress is not None else _ignore_progress)

    def _iter_chunks(self, object_id: bytes, root: ObjectChunk | ObjectManifest, report: Progress) -> Iterator[bytes]:
        if isinstance(root, ObjectChunk):
            report(len(root.data), len(root.data))
            yield root.data
            return
        done = 0
        window = _PieceWindow(self.pieces, self.params)  # consecutive chunks share boundary pieces: each fetched once
        chunk_bound = _chunk_size_bound(root, self.chunk_size)
        ahead = _Lookahead(self, root.chunk_ids, chunk_bound, window)
        try:
            for number, chunk_id in enumerate(root.chunk_ids):
                location = ahead.location(number)
                chunk = self._chunk(chunk_id, object_id, root.total_size - done, window, location)
                done += len(chunk)
                if done > root.total_size:
                    break
                report(done, root.total_size)
                yield chunk
        finally:
            ahead.close()
        if done != root.total_size:
            msg = f"object {object_id.hex()}: chunks hold {done} bytes, the manifest says {root.total_size}"
            raise ObjectCorrupt(msg)

    def get(self, object_id: bytes, on_progress: Progress | None = None) -> bytes:
        """The whole object's data (see iter_object)."""
        return b"".join(self.iter_object(object_id, on_progress))

    def _root(self, object_id: bytes) -> ObjectChunk | ObjectManifest:
        with self._lock:
            payload = self._roots.get(bytes(object_id))
        if payload is None:
            payload = self._payload(object_id)
            if payload is None:
                msg = f"no object {bytes(object_id).hex()}"
                raise ObjectNotFound(msg)
            with self._lock:
                self._roots[bytes(object_id)] = payload
                while len(self._roots) > ROOT_CACHE_ENTRIES:
                    self._roots.popitem(last=False)
        return _decode(payload, object_id)

    def _chunk(
        self, chunk_id: bytes, object_id: bytes, remaining: int, window: _PieceWindow, location: ObjectLocation
    ) -> bytes:
        """The chunk's data; `location` as the node gave it while looking ahead, its pieces being fetched already
        (None: ask the node again, and fetch the pieces it can span together)."""
        bound = 0 if location is not None else min(self.chunk_size, remaining) + 1  # + the chunk tag
        payload = self._payload(chunk_id, bound, window, location)
        # The manifest is stored after its chunks: a chunk the node cannot locate is lost to us.
        if payload is None:
            msg = f"object {object_id.hex()}: chunk {chunk_id.hex()} cannot be located"
            raise ObjectUnavailable(msg)
        decoded = _decode(payload, chunk_id)
        if not isinstance(decoded, ObjectChunk):
            msg = f"object {object_id.hex()}: {chunk_id.hex()} is not a chunk"
            raise ObjectCorrupt(msg)
        return decoded.data

    def _payload(
        self,
        payload_id: bytes,
        max_length: int = 0,
        window: _PieceWindow | None = None,
        location: ObjectLocation = None,
    ) -> bytes | None:
        """The payload stored under this id (hash-checked), None when the node cannot locate it.

        `max_length` bounds the payload's size when known (a chunk): its pieces are then fetched together.
        `location`, when the node already gave it, saves asking again."""
        if location is None:
            location = self.node.object_location(bytes(payload_id))
        if location is None:
            return None
        if isinstance(location, GlobalObject):
            # The read checks the bytes against the mapping's hash: it must be the id asked for.
            if location.hash != bytes(payload_id):
                msg = f"the node mapped {bytes(payload_id).hex()} to data hashing to {location.hash.hex()}"
                raise ObjectCorrupt(msg)
            window = _PieceWindow(self.pieces, self.params) if window is None else window
            if max_length > 0:
                window.fetch(self._span(location, max_length))
            return window.read(location)
        payload = bytes(location)
        # Bytes from a node are only trusted once they hash to the id asked for.
        if compute_object_id(payload) != payload_id:
            msg = f"the node returned bytes that do not hash to {bytes(payload_id).hex()}"
            raise ObjectCorrupt(msg)
        return payload

    def _span(self, location: GlobalObject, max_length: int) -> list[int]:
        """The source pieces a payload of at most `max_length` bytes starting at `location` can span (the walk in
        read_object is sequential; any piece not fetched ahead is fetched when it reaches it)."""
        raw_size = self.params.raw_record_size
        span = -(-(location.offset + max_length + PAYLOAD_OVERHEAD) // raw_size) + 1
        span += span // (self.params.num_pieces // 2)  # each segment crossed costs its header items' bytes
        indexes = [int(location.piece_index)]
        while len(indexes) < span:
            indexes.append(int(compute_next_source_piece_index(PieceIndex(indexes[-1]), self.params)))
        return indexes


class _PieceWindow:
    """The pieces one get reads from: fetched ahead of the walk (unchecked when the getter can check them later),
    each decoded once, dropped once the walk has passed them.

    Every payload read from them is checked against its hash (read_object). Only when that fails are the pieces
    the read used checked (`verify_pieces`: the getter demotes the source of a bad one and fetches it again), and
    the payload read again; when they all check out the stored bytes themselves are wrong (ObjectCorrupt)."""

    def __init__(self, getter: PieceGetter, params: Params) -> None:
        self.getter = getter
        self.params = params
        self.served: dict[int, ServedPiece | None] = {}
        self.records = RawRecords(self._piece, params)
        self._lock = threading.Lock()  # lookahead threads add pieces while the get reads
        self._dropped_before = 0
        self._fetching: set[int] = set()
        """Pieces a lookahead thread is fetching (another window's fetch leaves them to it)."""

    def fetch(self, indexes: Sequence[int]) -> None:
        """Fetch the pieces not held (nor being fetched) yet, together (get_served_pieces_from)."""
        with self._lock:
            missing = [index for index in dict.fromkeys(indexes) if index >= self._dropped_before and
                       self.served.get(index) is None and index not in self._fetching]  # fmt: skip
            self._fetching.update(missing)
        if not missing:
            return
        try:
            pieces = get_served_pieces_from(self.getter, missing, threads=PREFETCH_THREADS)
        finally:
            with self._lock:
                self._fetching.difference_update(missing)
        with self._lock:
            self.served.update(
                (index, piece) for index, piece in zip(missing, pieces, strict=True) if index >= self._dropped_before
            )

    def read(self, location: GlobalObject) -> bytes:
        """The payload at `location`, hash-checked; its pieces checked only if it fails (see the class docstring)."""
        try:
            while True:
                try:
                    return read_object_from(location, self.records, self.params)
                except ObjectCorrupt:
                    if not self._replace_bad(list(self.records.touched)):
                        raise
        finally:
            self._drop_before(max(self.records.touched, default=0))

    def _piece(self, index: int) -> bytes | None:
        with self._lock:
            held = self.served.get(index)
        if held is None:
            (held,) = get_served_pieces_from(self.getter, [index])
            with self._lock:
                self.served[index] = held
        return None if held is None else held.piece

    def _replace_bad(self, indexes: list[int]) -> bool:
        """Check the pieces a failed read used that were not checked yet; whether any turned out bad (replaced)."""
        verify = getattr(self.getter, "verify_pieces", None)
        with self._lock:
            suspects = [(index, held) for index in indexes if (held := self.served.get(index)) is not None and
                        held.source is not None]  # fmt: skip
        if verify is None or not suspects:
            return False
        checked = verify([index for index, _ in suspects], [held for _, held in suspects])
        replaced = False
        with self._lock:
            for (index, held), piece in zip(suspects, checked, strict=True):
                replaced = replaced or piece != held.piece
                self.served[index] = None if piece is None else ServedPiece(piece, None)
                self.records.forget(index)
        return replaced

    def _drop_before(self, last_used: int) -> None:
        """Forget pieces before the last one a payload used: the next payload starts there or later."""
        with self._lock:
            self._dropped_before = max(self._dropped_before, last_used)
            for index in [index for index in self.served if index < last_used]:
                del self.served[index]
            self.records.forget_before(last_used)


class _Lookahead:
    """The chunks of a manifest located a window (LOOKAHEAD_CHUNKS) at a time, and their pieces fetched into the
    _PieceWindow: the next WINDOWS_AHEAD windows' on background threads while the get reads one (fetching
    overlaps decoding and hashing)."""

    def __init__(self, client: ObjectClient, chunk_ids: Sequence[bytes], chunk_bound: int, window: _PieceWindow) -> None:
        self.client = client
        self.chunk_ids = chunk_ids
        self.chunk_bound = chunk_bound
        self.window = window
        self.locations: dict[bytes, ObjectLocation] = {}
        self._pool = ThreadPoolExecutor(max_workers=WINDOWS_AHEAD, thread_name_prefix="object-lookahead")
        self._pending: deque[Future[None]] = deque()
        """The fetches of the windows after the one being read, in order."""
        self._next = 0  # the first chunk not located yet

    def location(self, number: int) -> ObjectLocation:
        """Chunk `number`'s location (asked in order); at each window's start, more windows go ahead."""
        if number % LOOKAHEAD_CHUNKS == 0:
            if number == 0:
                self.window.fetch(self._locate())  # the first window: nothing to overlap yet
            else:
                self._pending.popleft().result()  # this window's fetch, started while earlier ones were read
            while len(self._pending) < WINDOWS_AHEAD and self._next < len(self.chunk_ids):
                self._pending.append(self._pool.submit(self.window.fetch, self._locate()))
        return self.locations.get(bytes(self.chunk_ids[number]))

    def close(self) -> None:
        for pending in self._pending:
            pending.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _locate(self) -> list[int]:
        """Locate the next LOOKAHEAD_CHUNKS chunks; the pieces their archived ones can span."""
        batch = [bytes(chunk_id) for chunk_id in self.chunk_ids[self._next : self._next + LOOKAHEAD_CHUNKS]]
        self._next += len(batch)
        indexes: list[int] = []
        for chunk_id in batch:
            location = self.locations[chunk_id] = self.client.node.object_location(chunk_id)
            if isinstance(location, GlobalObject):
                indexes += self.client._span(location, self.chunk_bound + 1)  # + the chunk tag
        return indexes


class _Submission:
    """The payloads of one put still to submit, and the nonce the next one takes (consecutive from the account's
    next nonce when the put began: each accepted payload takes one, a refused one none)."""

    def __init__(
        self, node: ObjectNodeLink, signer: Signer, network: bytes, nonce: int, payloads: list[tuple[bytes, bytes]]
    ) -> None:
        self.node = node
        self.signer = signer
        self.network = network
        self.nonce = nonce
        self.waiting = payloads
        """(payload id, payload) not submitted yet, in plan order (the manifest last)."""
        self._signed: tuple[int, bytes, bytes] | None = None
        """(nonce, payload id, encoded transaction) of the first waiting payload once signed: a retry reuses it."""

    def submit_while_accepted(self) -> None:
        """Submit waiting payloads in order until the pool is full (pool_full / sender_full: retry later);
        any other rejection is raised."""
        while len(self.waiting) > 0:
            try:
                self.node.submit_transaction(self._next_transaction())
            except RejectedTransaction as error:
                if error.reason in (REJECT_POOL_FULL, REJECT_SENDER_FULL):
                    return
                raise
            self.waiting.pop(0)
            self.nonce += 1

    def keep_only(self, missing: dict[bytes, bytes]) -> None:
        """Forget waiting payloads that are no longer missing (another put stored the same bytes meanwhile)."""
        self.waiting = [(payload_id, payload) for payload_id, payload in self.waiting if payload_id in missing]

    def _next_transaction(self) -> bytes:
        payload_id, payload = self.waiting[0]
        if self._signed is None or self._signed[:2] != (self.nonce, payload_id):
            call = StoreData(payload)
            transaction = sign_transaction(self.network, self.signer.public_key, self.nonce, call, self.signer.sign)
            self._signed = (self.nonce, payload_id, transaction.to_bytes())
        return self._signed[2]


def _missing_message(
    object_id: bytes, payloads: dict[bytes, bytes], missing: dict[bytes, bytes], wait_seconds: float
) -> str:
    """What a put timeout says: how many payloads are missing, the first MISSING_NAMED by id."""
    names = ", ".join(payload_id.hex() for payload_id in list(missing)[:MISSING_NAMED])
    more = f" and {len(missing) - MISSING_NAMED} more" if len(missing) > MISSING_NAMED else ""
    counts = f"{len(missing)} of {len(payloads)} payloads not in a block after {wait_seconds} s"
    return f"object {object_id.hex()}: {counts}: {names}{more}"


def _chunk_size_bound(manifest: ObjectManifest, chunk_size: int) -> int:
    """An upper bound of the manifest's chunk size: every chunk but the last is full, so n - 1 of them fit
    in the total size (this client's chunk size may differ from the writer's)."""
    count = len(manifest.chunk_ids)
    if count <= 1:
        return manifest.total_size
    return min(chunk_size, manifest.total_size // (count - 1))


def _decode(payload: bytes, payload_id: bytes) -> ObjectChunk | ObjectManifest:
    try:
        return decode_object_payload(payload)
    except DecodeError as error:
        msg = f"payload {bytes(payload_id).hex()} is not an object: {error}"
        raise ObjectCorrupt(msg) from error


def _unique_by_id(payloads: tuple[bytes, ...]) -> dict[bytes, bytes]:
    """Payloads by id, in order, each once (equal chunks of one object are stored once)."""
    unique: dict[bytes, bytes] = {}
    for payload in payloads:
        unique.setdefault(compute_object_id(payload), payload)
    return unique


def _located_bytes(payloads: dict[bytes, bytes], missing: dict[bytes, bytes], total: int) -> int:
    """Object bytes whose payloads are located (chunk data; the manifest completes the count)."""
    if len(missing) == 0:
        return total
    located = sum(
        len(payload) - 1
        for payload_id, payload in payloads.items()
        if payload_id not in missing and payload[0] == OBJECT_CHUNK_TAG
    )
    return min(located, total)


def _ignore_progress(done: int, total: int) -> None:
    del done, total
