"""Object gets checked by content hash: pieces come unchecked, and only a hash failure makes the getter check them,
demote the source that lied and fetch the piece again; bad bytes never reach the caller (nor a gateway client)."""

from __future__ import annotations

import http.client
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from autonomys.actors.archiving.archiver import Archiver
from autonomys.actors.archiving.piece_store import SegmentPieceFiles, ServedPiece
from autonomys.actors.dsn.piece_getter import PieceGetter, PieceSources
from autonomys.actors.objects import client as client_module
from autonomys.actors.objects.client import ObjectClient
from autonomys.actors.objects.gateway import ObjectGateway
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.consensus.chain_blocks import Block, Header, PotInfo, PreDigest, StoreData, sign_transaction
from autonomys.protocol.constants import SCALAR_FULL_BYTES
from autonomys.protocol.farming.solutions import Solution, compute_proof_of_space_size
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.objects import mappings
from autonomys.protocol.objects.mappings import (
    GlobalObject,
    ObjectCorrupt,
    ObjectUnavailable,
    compute_object_id,
    plan_object,
)
from autonomys.protocol.params import MINIMAL
from helpers.chain import ALICE, TEST_NETWORK

PARAMS = MINIMAL
CHUNK_SIZE = 1_500
DATA = random.Random(11).randbytes(14_000)  # 10 chunks of 1 500 bytes across many 1 984-byte raw records
PLAN = plan_object(DATA, CHUNK_SIZE)


class Archived:
    """The object's payloads archived (one StoreData each per block), as a node and the archive's commitments."""

    def __init__(self, directory: Path, kzg: Kzg) -> None:
        self.kzg = kzg
        self.archiver = Archiver(PARAMS, kzg, MemoryKVStore(), SegmentPieceFiles(directory, PARAMS))
        generator = random.Random(7)
        size = PARAMS.recorded_history_segment_size
        blocks = [generator.randbytes(size // 3)]
        blocks += [make_block(number, payload).to_bytes() for number, payload in enumerate(PLAN.payloads, start=1)]
        for number, block in enumerate(blocks + [generator.randbytes(size // 2) for _ in range(3)]):
            self.archiver.on_confirmed_block(number, block)
        self.mappings = {compute_object_id(payload): self.archiver.object_mapping(compute_object_id(payload))
                         for payload in PLAN.payloads}  # fmt: skip
        assert all(isinstance(mapping, GlobalObject) for mapping in self.mappings.values())
        first = min(mapping.piece_index for mapping in self.mappings.values() if mapping is not None)
        self.object_pieces = {first + step for step in range(0, 20, 2)}  # source pieces the chunks lie in

    def object_location(self, object_hash: bytes) -> GlobalObject | None:
        return self.mappings.get(bytes(object_hash))

    def segment_commitment(self, segment_index: int) -> bytes | None:
        header = self.archiver.segment_header(segment_index)
        return None if header is None else bytes(header.segment_commitment)


def make_block(number: int, payload: bytes) -> Block:
    proof_size = compute_proof_of_space_size(PARAMS)
    solution = Solution(bytes(32), bytes(32), 0, 1, 0, bytes(48), bytes(48), bytes(32), bytes(48), bytes(proof_size))
    header = Header(bytes(32), number, bytes(32), bytes(32), PreDigest(number, solution, PotInfo(bytes(16), bytes(16))),
                    None, bytes(64))  # fmt: skip
    transaction = sign_transaction(TEST_NETWORK, ALICE.public_key, number, StoreData(payload), ALICE.sign)
    return Block(header, (transaction,), (), ())


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Archived:
    return Archived(tmp_path_factory.mktemp("object-pieces"), Kzg.dev_setup(num_g1_powers=PARAMS.record_num_chunks))


def corrupt(piece: bytes) -> bytes:
    """Every raw byte of the record flipped in its lowest bit (each scalar's zero top byte kept: still decodable)."""
    flipped = bytearray(piece)
    for start in range(0, PARAMS.record_size, SCALAR_FULL_BYTES):
        flipped[start + 1 : start + SCALAR_FULL_BYTES] = bytes(b ^ 1 for b in flipped[start + 1 : start + SCALAR_FULL_BYTES])
    return bytes(flipped)


class Source:
    """A named piece source over the archive, lying about the pieces in `lies`; logs what it serves to `events`."""

    def __init__(self, name: str, archived: Archived, events: list[str], lies: Callable[[int], bool] = lambda _: False) -> None:
        self.name = name
        self.archived = archived
        self.events = events
        self.lies = lies
        self.asked: list[int] = []

    def get_piece(self, piece_index: int) -> bytes | None:
        self.asked.append(piece_index)
        piece = self.archived.archiver.get_piece(piece_index)
        if piece is None or not self.lies(piece_index):
            return piece
        self.events.append(f"lie {piece_index}")
        return corrupt(piece)


class CachePeers:
    """The DSN L2 as a fixed list of providers, nearest first."""

    def __init__(self, peers: list[Source]) -> None:
        self.peers = peers

    def providers(self, piece_index: int) -> list[Source]:
        return self.peers


def watched_getter(archived: Archived, sources: PieceSources, events: list[str]) -> PieceGetter:
    """A PieceGetter whose checks (batch or single) and the reads' hash failures are logged to `events`."""
    getter = PieceGetter(PARAMS, archived.kzg, archived, sources, reconstruct=False)
    is_valid, is_batch_valid = getter._is_valid, getter._is_batch_valid

    def single(piece: bytes, index: int, commitment: bytes) -> bool:
        events.append(f"check {index}")
        return is_valid(piece, index, commitment)

    def batch(pieces: list[bytes], *rest: list) -> bool:
        events.append(f"check batch of {len(pieces)}")
        return is_batch_valid(pieces, *rest)

    getter._is_valid, getter._is_batch_valid = single, batch  # type: ignore[method-assign]
    return getter


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What happened, in order: lies served, pieces checked, payload reads whose bytes failed their hash."""
    log: list[str] = []
    read_candidate = mappings._read_candidate

    def logged(reader: mappings.HistoryReader, mapping: GlobalObject, failures: list[str]) -> bytes | None:
        data = read_candidate(reader, mapping, failures)
        if data is None:
            log.append("hash failed")
        return data

    monkeypatch.setattr(mappings, "_read_candidate", logged)
    return log


def test_a_multi_chunk_object_round_trips_without_a_single_piece_check(archived: Archived, events: list[str]) -> None:
    getter = watched_getter(archived, PieceSources(local=[Source("peer", archived, events)]), events)
    client = ObjectClient(archived, getter, PARAMS, chunk_size=CHUNK_SIZE)
    chunks = list(client.iter_object(PLAN.object_id))
    assert b"".join(chunks) == DATA and len(chunks) == 10
    assert events == []  # nothing checked: every chunk's hash held
    assert getter.stats.unchecked > 0 and getter.stats.verified == 0


def test_a_lying_peer_is_found_after_the_hash_fails_demoted_and_replaced(archived: Archived, events: list[str]) -> None:
    bad = sorted(archived.object_pieces)[4]
    liar = Source("liar", archived, events, lies=lambda index: index == bad)
    honest = Source("honest", archived, events)
    getter = watched_getter(archived, PieceSources(l2=CachePeers([liar, honest])), events)  # the liar nearest
    assert ObjectClient(archived, getter, PARAMS, chunk_size=CHUNK_SIZE).get(PLAN.object_id) == DATA
    assert getter.source_records()["liar"].invalid == 1  # demoted as a bad KZG check demotes
    assert honest.asked.count(bad) == 1  # the piece fetched again, from the other source
    lie, failed = events.index(f"lie {bad}"), events.index("hash failed")
    checks = [number for number, event in enumerate(events) if event.startswith("check")]
    assert lie < failed < checks[0]  # pieces were checked only once a hash had failed
    assert f"check {bad}" in events and events[checks[0]].startswith("check batch")
    # The liar now ranks after the honest cache peer: the next get takes every piece from the honest one.
    events.clear()
    assert ObjectClient(archived, getter, PARAMS, chunk_size=CHUNK_SIZE).get(PLAN.object_id) == DATA
    assert events == []


def test_a_liar_with_no_honest_copy_makes_the_get_unavailable_never_wrong(archived: Archived, events: list[str]) -> None:
    bad = sorted(archived.object_pieces)[2]
    liar = Source("liar", archived, events, lies=lambda index: index == bad)
    getter = watched_getter(archived, PieceSources(local=[liar]), events)
    client = ObjectClient(archived, getter, PARAMS, chunk_size=CHUNK_SIZE)
    received: list[bytes] = []
    with pytest.raises(ObjectUnavailable, match=f"piece {bad}"):
        received.extend(client.iter_object(PLAN.object_id))
    assert DATA.startswith(b"".join(received)) and len(received) < 10  # only verified chunks came out
    assert getter.source_records()["liar"].invalid >= 1


def test_valid_pieces_that_do_not_hash_right_are_corrupt(archived: Archived, events: list[str]) -> None:
    """A node mapping a chunk id to another chunk's place: the pieces check out, so the stored bytes are wrong."""
    chunk_ids = list(archived.mappings)[:2]
    swapped = dict(archived.mappings)
    second = archived.mappings[chunk_ids[1]]
    assert second is not None
    swapped[chunk_ids[0]] = GlobalObject(chunk_ids[0], second.piece_index, second.offset)

    class Node:
        def object_location(self, object_hash: bytes) -> GlobalObject | None:
            return swapped.get(bytes(object_hash))

    getter = watched_getter(archived, PieceSources(local=[Source("peer", archived, events)]), events)
    with pytest.raises(ObjectCorrupt, match="does not hash"):
        ObjectClient(Node(), getter, PARAMS, chunk_size=CHUNK_SIZE).get(PLAN.object_id)
    assert any(event.startswith("check") for event in events)
    assert getter.source_records()["peer"].invalid == 0  # an honest source is not blamed
    # A mapping naming another hash than the id asked for is refused before any piece is read.
    swapped[chunk_ids[0]] = GlobalObject(chunk_ids[1], second.piece_index, second.offset)
    with pytest.raises(ObjectCorrupt, match="mapped"):
        ObjectClient(Node(), getter, PARAMS, chunk_size=CHUNK_SIZE).get(PLAN.object_id)


def test_verify_pieces_passes_good_pieces_with_one_batch_check(archived: Archived, events: list[str]) -> None:
    getter = watched_getter(archived, PieceSources(node=[Source("node", archived, events)]), events)
    indexes = sorted(archived.object_pieces)[:4]
    served = getter.get_pieces_unchecked(indexes)
    assert served == [ServedPiece(archived.archiver.get_piece(index), "node") for index in indexes]  # type: ignore[arg-type]
    assert events == []
    assert getter.verify_pieces(indexes, served) == [entry.piece for entry in served if entry is not None]
    assert events == ["check batch of 4"]


def test_the_gateway_never_sends_a_chunk_that_failed_its_hash(archived: Archived, events: list[str]) -> None:
    """Every source lies about one piece in the middle: the response stops right before the chunk it spoils."""
    bad = sorted(archived.object_pieces)[5]
    liar = Source("liar", archived, events, lies=lambda index: index == bad)
    client = ObjectClient(archived, watched_getter(archived, PieceSources(local=[liar]), events), PARAMS, chunk_size=CHUNK_SIZE)
    gateway = ObjectGateway(client, "127.0.0.1", 0)
    port = gateway.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", f"/objects/{PLAN.object_id.hex()}")
        response = connection.getresponse()
        assert response.status == 200 and int(response.getheader("Content-Length")) == len(DATA)
        with pytest.raises(http.client.IncompleteRead) as caught:
            response.read()
        connection.close()
    finally:
        gateway.stop()
    body = caught.value.partial
    assert 0 < len(body) < len(DATA) and len(body) % CHUNK_SIZE == 0  # whole verified chunks only
    assert body == DATA[: len(body)]


def test_a_content_hash_failure_mid_stream_closes_the_connection_before_that_chunk(archived: Archived, events: list[str]) -> None:
    """Valid pieces, but the node maps the sixth chunk to the seventh's bytes: the body ends after five chunks."""
    chunk_ids = list(archived.mappings)
    seventh = archived.mappings[chunk_ids[6]]
    assert seventh is not None
    swapped = {**archived.mappings, chunk_ids[5]: GlobalObject(chunk_ids[5], seventh.piece_index, seventh.offset)}

    class Node:
        def object_location(self, object_hash: bytes) -> GlobalObject | None:
            return swapped.get(bytes(object_hash))

    getter = watched_getter(archived, PieceSources(local=[Source("peer", archived, events)]), events)
    gateway = ObjectGateway(ObjectClient(Node(), getter, PARAMS, chunk_size=CHUNK_SIZE), "127.0.0.1", 0)
    port = gateway.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", f"/objects/{PLAN.object_id.hex()}")
        response = connection.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead) as caught:
            response.read()
        connection.close()
    finally:
        gateway.stop()
    assert caught.value.partial == DATA[: 5 * CHUNK_SIZE]
    assert getter.source_records()["peer"].invalid == 0


def test_a_stream_fetches_only_the_windows_ahead_of_what_it_yielded(
    archived: Archived, events: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a get (and a gateway request) holds is bounded by its lookahead, not by the object's size."""
    monkeypatch.setattr(client_module, "LOOKAHEAD_CHUNKS", 2)
    monkeypatch.setattr(client_module, "WINDOWS_AHEAD", 1)
    source = Source("peer", archived, events)
    client = ObjectClient(archived, watched_getter(archived, PieceSources(local=[source]), events), PARAMS,
                          chunk_size=CHUNK_SIZE)  # fmt: skip
    chunks = client.iter_object(PLAN.object_id)
    root_fetches = len(source.asked)
    assert next(chunks) == DATA[:CHUNK_SIZE]
    chunk_pieces = set(source.asked[root_fetches:])
    # Chunks 0-3 (two windows of two chunks: 6 000 bytes) span at most 5 records of 1 984 bytes.
    assert chunk_pieces <= set(sorted(archived.object_pieces)[:5]) and len(chunk_pieces) < len(archived.object_pieces)
    assert b"".join([DATA[:CHUNK_SIZE], *chunks]) == DATA
    assert set(source.asked[root_fetches:]) >= archived.object_pieces - {max(archived.object_pieces)}
