"""Objects in history: payload encoding, ids, plans, block objects, and mappings read back from archived pieces."""

from __future__ import annotations

import random
from pathlib import Path

import blake3
import pytest

from autonomys.actors.archiving.archiver import Archiver
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.storage import MemoryKVStore, RocksKVStore
from autonomys.protocol.archiving.archived_segment import split_piece
from autonomys.protocol.archiving.pieces import (
    compute_piece_segment_index,
    compute_segment_piece_indexes_source_first,
    compute_source_position,
)
from autonomys.protocol.archiving.segment_encoding import (
    BlockContinuationItem,
    BlockItem,
    BlockStartItem,
    compute_segment_items_size,
    decode_scalars_to_raw_record,
    decode_segment,
)
from autonomys.protocol.archiving.segments import INITIAL_LAST_ARCHIVED_BLOCK, LastArchivedBlock
from autonomys.protocol.codec import Reader, compute_compact_length
from autonomys.protocol.consensus.chain_blocks import (
    Block,
    Header,
    PotInfo,
    PreDigest,
    StoreData,
    Transfer,
    sign_transaction,
)
from autonomys.protocol.constants import SCALAR_FULL_BYTES, SCALAR_SAFE_BYTES
from autonomys.protocol.errors import DecodeError
from autonomys.protocol.farming.solutions import Solution, compute_proof_of_space_size
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.objects.mappings import (
    MAX_MANIFEST_CHUNKS,
    MAX_OBJECT_CHUNK_SIZE,
    STORE_DATA_PREFIX_SIZE,
    BlockSlice,
    GlobalObject,
    InvalidObjectPlan,
    MalformedObjectId,
    ObjectChunk,
    ObjectCorrupt,
    ObjectManifest,
    ObjectTooLarge,
    ObjectUnavailable,
    compute_block_objects,
    compute_object_id,
    compute_segment_block_slices,
    decode_object_payload,
    encode_object_chunk,
    encode_object_manifest,
    parse_object_id,
    plan_object,
    read_object,
)
from autonomys.protocol.params import MINIMAL
from helpers.chain import ALICE, TEST_NETWORK

PARAMS = MINIMAL
SEGMENT_SIZE = PARAMS.recorded_history_segment_size
RAW_RECORD_SIZE = PARAMS.raw_record_size
# Sizes of the stored data: tiny, crossing a piece (raw record of 1 984 B), longer than a whole segment.
STORED_SIZES = [10, 3_000, 100, 20_000, 64, 700, 5_000] + [450] * 30


@pytest.fixture(scope="module")
def kzg() -> Kzg:
    return Kzg.dev_setup(num_g1_powers=PARAMS.record_num_chunks)


def hash_of(data: bytes) -> bytes:
    return blake3.blake3(data).digest()


def make_block(number: int, stored: list[bytes], transfers: int = 0) -> Block:
    """A chain Block (a placeholder solution and seal: archiving never checks them) storing `stored`."""
    proof_size = compute_proof_of_space_size(PARAMS)
    solution = Solution(bytes(32), bytes(32), 0, 1, 0, bytes(48), bytes(48), bytes(32), bytes(48), bytes(proof_size))
    pre_digest = PreDigest(number, solution, PotInfo(bytes(16), bytes(16)))
    header = Header(bytes(32), number, bytes(32), bytes(32), pre_digest, None, bytes(64))
    calls = [Transfer(bytes(32), 5) for _ in range(transfers)] + [StoreData(data) for data in stored]
    transactions = [sign_transaction(TEST_NETWORK, ALICE.public_key, nonce, call, ALICE.sign) for nonce, call in enumerate(calls)]
    return Block(header, tuple(transactions), (), ())


def stored_data(seed: int) -> list[bytes]:
    generator = random.Random(seed)
    return [generator.randbytes(size) for size in STORED_SIZES]


def chain_blocks(datas: list[bytes]) -> list[bytes]:
    """Block 0 (genesis history, not a Block), one Block per stored datum, then filler to archive them all."""
    generator = random.Random(7)
    blocks = [generator.randbytes(SEGMENT_SIZE // 3)]
    blocks += [make_block(number, [data]).to_bytes() for number, data in enumerate(datas, start=1)]
    return blocks + [generator.randbytes(SEGMENT_SIZE // 2) for _ in range(3)]


def open_archiver(directory: Path, kzg: Kzg) -> Archiver:
    return Archiver(PARAMS, kzg, RocksKVStore(directory / "db"), SegmentPieceFiles(directory / "pieces", PARAMS))


# ---- payloads, ids, plans ----


def test_payloads_have_golden_bytes_and_round_trip() -> None:
    assert encode_object_chunk(b"abc") == b"\x00abc"
    assert decode_object_payload(b"\x00abc") == ObjectChunk(b"abc")
    assert decode_object_payload(b"\x00") == ObjectChunk(b"")
    first, second = bytes(range(32)), bytes(range(32, 64))
    manifest = encode_object_manifest(300, [first, second])
    assert manifest == b"\x01\x00" + (300).to_bytes(8, "little") + b"\x08" + first + second
    assert decode_object_payload(manifest) == ObjectManifest(300, (first, second))
    assert compute_object_id(manifest) == hash_of(manifest)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x02abc",
        b"\x00" + bytes(MAX_OBJECT_CHUNK_SIZE + 1),
        b"\x01\x01" + (300).to_bytes(8, "little") + b"\x04" + bytes(32),  # unknown version
        b"\x01\x00" + (300).to_bytes(8, "little") + b"\x08" + bytes(32),  # one id short
        b"\x01\x00" + (300).to_bytes(8, "little") + b"\x04" + bytes(33),  # trailing byte
        b"\x01\x00" + (0).to_bytes(8, "little") + b"\x00",  # no chunks
        b"\x01\x00" + (1).to_bytes(8, "little") + b"\x08" + bytes(64),  # two chunks cannot hold 1 byte
        b"\x01\x00" + (MAX_OBJECT_CHUNK_SIZE + 1).to_bytes(8, "little") + b"\x04" + bytes(32),
        b"\x01\x00" + (300).to_bytes(8, "little") + b"\x05" + bytes(32),  # non-canonical compact
    ],
)
def test_malformed_payloads_are_rejected(payload: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_object_payload(payload)


def test_encoders_refuse_what_decoders_would() -> None:
    with pytest.raises(ObjectTooLarge):
        encode_object_chunk(bytes(MAX_OBJECT_CHUNK_SIZE + 1))
    with pytest.raises(InvalidObjectPlan):
        encode_object_manifest(10, [])
    with pytest.raises(InvalidObjectPlan):
        encode_object_manifest(10, [bytes(31)])


def test_object_ids_parse_from_64_hex_characters_only() -> None:
    identifier = bytes(range(32))
    assert parse_object_id(identifier.hex()) == identifier
    assert parse_object_id(identifier.hex().upper()) == identifier
    for text in ["", identifier.hex()[:-1], identifier.hex() + "0", "g" * 64, " " + identifier.hex()[1:],
                 "0x" + identifier.hex()[2:], identifier.hex()[:62] + " 0"]:  # fmt: skip
        with pytest.raises(MalformedObjectId):
            parse_object_id(text)
    with pytest.raises(MalformedObjectId):
        parse_object_id(identifier)  # type: ignore[arg-type]


def test_small_data_is_one_chunk_and_big_data_chunks_plus_a_manifest() -> None:
    small = plan_object(b"hello", chunk_size=5)
    assert small.payloads == (b"\x00hello",)
    assert small.object_id == hash_of(b"\x00hello")
    assert plan_object(b"").payloads == (b"\x00",)
    data = bytes(range(256)) * 5
    plan = plan_object(data, chunk_size=300)
    *chunks, manifest_payload = plan.payloads
    assert [len(chunk) - 1 for chunk in chunks] == [300, 300, 300, 300, 80]
    assert b"".join(chunk[1:] for chunk in chunks) == data
    manifest = decode_object_payload(manifest_payload)
    assert manifest == ObjectManifest(len(data), tuple(hash_of(chunk) for chunk in chunks))
    assert plan.object_id == hash_of(manifest_payload)
    assert plan_object(data, chunk_size=300) == plan  # deterministic


def test_plans_reject_bad_chunk_sizes_and_too_many_chunks() -> None:
    for chunk_size in (0, -1, MAX_OBJECT_CHUNK_SIZE + 1, True):
        with pytest.raises(InvalidObjectPlan):
            plan_object(b"data", chunk_size=chunk_size)
    with pytest.raises(ObjectTooLarge):
        plan_object(bytes(MAX_MANIFEST_CHUNKS + 1), chunk_size=1)
    assert len(plan_object(bytes(MAX_MANIFEST_CHUNKS), chunk_size=1).payloads) == MAX_MANIFEST_CHUNKS + 1


# ---- mappings ----


def test_global_objects_have_golden_bytes_and_strict_decoding() -> None:
    mapping = GlobalObject(bytes(range(32)), 2**40 + 3, 1_000)
    encoded = mapping.to_bytes()
    assert encoded == bytes(range(32)) + (2**40 + 3).to_bytes(8, "little") + (1_000).to_bytes(4, "little")
    assert GlobalObject.from_bytes(encoded) == mapping
    for bad in (encoded[:-1], encoded + b"\x00", b""):
        with pytest.raises(DecodeError):
            GlobalObject.from_bytes(bad)
    for arguments in ((bytes(31), 0, 0), (bytes(32), -1, 0), (bytes(32), 0, 2**32), (bytes(32), True, 0)):
        with pytest.raises(DecodeError):
            GlobalObject(*arguments)


def test_block_objects_point_at_each_store_data_length_prefix() -> None:
    datas = [b"first", bytes(300), b""]
    block = make_block(9, datas, transfers=2)
    encoded = block.to_bytes()
    objects = compute_block_objects(encoded, PARAMS)
    assert [found.hash for found in objects] == [hash_of(data) for data in datas]
    transfer_size = len(block.transactions[0].to_bytes())
    first_offset = len(block.header.to_bytes()) + 1 + 2 * transfer_size + STORE_DATA_PREFIX_SIZE
    assert objects[0].offset_in_block == first_offset
    for found, data in zip(objects, datas, strict=True):
        assert Reader(encoded[found.offset_in_block :], "data").read_vec_u8() == data
    assert compute_block_objects(random.Random(1).randbytes(5_000), PARAMS) == []
    assert compute_block_objects(encoded[:-1], PARAMS) == []


def test_block_slices_name_their_block_and_offset() -> None:
    items = (BlockItem(b"a" * 10), BlockItem(b"b" * 100), BlockStartItem(b"c" * 7))
    slices = compute_segment_block_slices(items, INITIAL_LAST_ARCHIVED_BLOCK)
    # Each part's bytes follow the version byte (first item only), its variant byte and its compact length.
    assert slices == [BlockSlice(0, 0, 3, 10), BlockSlice(1, 0, 16, 100), BlockSlice(2, 0, 118, 7)]
    continued = compute_segment_block_slices((BlockContinuationItem(b"c" * 70), BlockItem(b"d")), LastArchivedBlock(2, 7))
    assert continued == [BlockSlice(2, 7, 4, 70), BlockSlice(3, 0, 76, 1)]
    with pytest.raises(ObjectCorrupt):
        compute_segment_block_slices((BlockContinuationItem(b"x"),), LastArchivedBlock(2, None))


def segment_items(archiver: Archiver, segment_index: int) -> tuple:
    """The items of an archived segment, decoded back from its source pieces."""
    indexes = compute_segment_piece_indexes_source_first(segment_index, PARAMS)[: PARAMS.segment_num_raw_records]
    records = [split_piece(archiver.get_piece(index), PARAMS)[0] for index in indexes]
    segment = b"".join(decode_scalars_to_raw_record(record, PARAMS) for record in records)
    return decode_segment(segment, PARAMS)


def raw_start(mapping: GlobalObject) -> int:
    """Offset of a mapping in its segment's bytes."""
    return compute_source_position(mapping.piece_index, PARAMS) * RAW_RECORD_SIZE + mapping.offset


def test_archived_objects_read_back_across_pieces_and_segments(tmp_path: Path, kzg: Kzg) -> None:
    datas = stored_data(seed=1)
    archiver = Archiver(PARAMS, kzg, MemoryKVStore(), SegmentPieceFiles(tmp_path / "pieces", PARAMS))
    for number, block in enumerate(chain_blocks(datas)):
        archiver.on_confirmed_block(number, block)
    crossings = {"piece": 0, "segment": 0}
    for data in datas:
        mapping = archiver.object_mapping(hash_of(data))
        assert mapping is not None
        assert read_object(mapping, archiver.get_piece, PARAMS) == data
        end = raw_start(mapping) + compute_compact_length(len(data)) + len(data)
        crossings["piece"] += end // RAW_RECORD_SIZE != raw_start(mapping) // RAW_RECORD_SIZE
        crossings["segment"] += end > SEGMENT_SIZE
    assert crossings["piece"] >= 3
    assert crossings["segment"] >= 2
    # The 20 000-byte datum's block was cut with a shorter compact length than the whole block's: the cut
    # leaves zero padding at the segment's end, which reading across must skip.
    start_segment = compute_piece_segment_index(archiver.object_mapping(hash_of(datas[3])).piece_index, PARAMS)
    items = segment_items(archiver, start_segment)
    assert isinstance(items[-1], BlockStartItem)
    assert compute_segment_items_size(items) < SEGMENT_SIZE
    assert archiver.object_mapping(hash_of(b"never stored")) is None
    with pytest.raises(MalformedObjectId):
        archiver.object_mapping(b"short")


def test_each_piece_is_fetched_once(tmp_path: Path, kzg: Kzg) -> None:
    datas = stored_data(seed=2)
    archiver = Archiver(PARAMS, kzg, MemoryKVStore(), SegmentPieceFiles(tmp_path / "pieces", PARAMS))
    for number, block in enumerate(chain_blocks(datas)):
        archiver.on_confirmed_block(number, block)
    fetched: list[int] = []

    def fetch(piece_index: int) -> bytes | None:
        fetched.append(piece_index)
        return archiver.get_piece(piece_index)

    mapping = archiver.object_mapping(hash_of(datas[3]))
    assert mapping is not None
    assert read_object(mapping, fetch, PARAMS) == datas[3]
    assert len(fetched) == len(set(fetched)) >= 10
    segments = {compute_piece_segment_index(index, PARAMS) for index in fetched}
    assert len(segments) >= 2


def flip_raw_byte(piece: bytes, raw_offset: int) -> bytes:
    """The piece with the record byte holding raw-record byte `raw_offset` flipped."""
    position = raw_offset // SCALAR_SAFE_BYTES * SCALAR_FULL_BYTES + 1 + raw_offset % SCALAR_SAFE_BYTES
    corrupted = bytearray(piece)
    corrupted[position] ^= 0x01
    return bytes(corrupted)


def test_corrupted_or_missing_pieces_are_named_errors(tmp_path: Path, kzg: Kzg) -> None:
    datas = stored_data(seed=3)
    archiver = Archiver(PARAMS, kzg, MemoryKVStore(), SegmentPieceFiles(tmp_path / "pieces", PARAMS))
    for number, block in enumerate(chain_blocks(datas)):
        archiver.on_confirmed_block(number, block)
    mapping = archiver.object_mapping(hash_of(datas[1]))
    assert mapping is not None
    assert mapping.offset + 10 < RAW_RECORD_SIZE

    def flipped_data(piece_index: int) -> bytes | None:
        piece = archiver.get_piece(piece_index)
        return flip_raw_byte(piece, mapping.offset + 10) if piece_index == mapping.piece_index else piece

    def flipped_scalar(piece_index: int) -> bytes | None:
        piece = bytearray(archiver.get_piece(piece_index))
        piece[SCALAR_FULL_BYTES * 3] = 0x01  # a source scalar's first byte must be zero
        return bytes(piece)

    with pytest.raises(ObjectCorrupt, match="does not hash"):
        read_object(mapping, flipped_data, PARAMS)
    with pytest.raises(ObjectCorrupt, match="first byte"):
        read_object(mapping, flipped_scalar, PARAMS)
    with pytest.raises(ObjectUnavailable, match=f"piece {mapping.piece_index}"):
        read_object(mapping, lambda piece_index: None, PARAMS)
    wrong_hash = GlobalObject(hash_of(b"other"), mapping.piece_index, mapping.offset)
    with pytest.raises(ObjectCorrupt):
        read_object(wrong_hash, archiver.get_piece, PARAMS)
    with pytest.raises(ObjectCorrupt, match="not a place"):
        read_object(GlobalObject(mapping.hash, mapping.piece_index + 1, 0), archiver.get_piece, PARAMS)


def test_mappings_survive_restarts_and_match_an_uninterrupted_archiver(tmp_path: Path, kzg: Kzg) -> None:
    datas = stored_data(seed=4)
    blocks = chain_blocks(datas)
    reference = Archiver(PARAMS, kzg, MemoryKVStore(), SegmentPieceFiles(tmp_path / "reference", PARAMS))
    for number, block in enumerate(blocks):
        reference.on_confirmed_block(number, block)
    archiver = open_archiver(tmp_path / "restarted", kzg)
    for number, block in enumerate(blocks[:12]):
        archiver.on_confirmed_block(number, block)
    archiver.store.close()
    archiver = open_archiver(tmp_path / "restarted", kzg)
    for number, block in enumerate(blocks):
        archiver.on_confirmed_block(number, block)
    archiver.store.close()
    reopened = open_archiver(tmp_path / "restarted", kzg)
    for data in datas:
        mapping = reopened.object_mapping(hash_of(data))
        assert mapping is not None
        assert mapping == reference.object_mapping(hash_of(data))
        assert read_object(mapping, reopened.get_piece, PARAMS) == data
    reopened.store.close()


def test_data_stored_twice_keeps_its_first_mapping(tmp_path: Path, kzg: Kzg) -> None:
    data = b"the same bytes, twice"
    archiver = Archiver(PARAMS, kzg, MemoryKVStore(), SegmentPieceFiles(tmp_path / "pieces", PARAMS))

    def filler(number: int) -> bytes:
        return random.Random(number).randbytes(SEGMENT_SIZE // 2)

    blocks = [filler(0), make_block(1, [data]).to_bytes(), filler(2), filler(3)]
    for number, block in enumerate(blocks):
        archiver.on_confirmed_block(number, block)
    first = archiver.object_mapping(hash_of(data))
    assert first is not None
    blocks = [make_block(4, [data]).to_bytes(), filler(5), filler(6), filler(7)]
    for number, block in enumerate(blocks, start=4):
        assert archiver.on_confirmed_block(number, block) is not None
    assert archiver.last_segment_header.last_archived_block.number >= 5
    assert archiver.object_mapping(hash_of(data)) == first
    assert read_object(first, archiver.get_piece, PARAMS) == data


def test_a_length_prefix_split_by_a_padded_segment_end_reads_back(tmp_path: Path, kzg: Kzg) -> None:
    # Block 0's size is chosen (by search over sizes) so that the 4-byte length prefix of block 1's data starts
    # 5 bytes before segment 0's end, and the cut leaves 2 bytes of padding: the prefix is split by the padding.
    data = random.Random(9).randbytes(20_000)
    blocks = [random.Random(8).randbytes(15_199), make_block(1, [data]).to_bytes()]
    blocks += [random.Random(number).randbytes(SEGMENT_SIZE // 2) for number in range(2, 5)]
    archiver = Archiver(PARAMS, kzg, MemoryKVStore(), SegmentPieceFiles(tmp_path / "pieces", PARAMS))
    for number, block in enumerate(blocks):
        archiver.on_confirmed_block(number, block)
    mapping = archiver.object_mapping(hash_of(data))
    assert mapping is not None
    items = segment_items(archiver, 0)
    used = compute_segment_items_size(items)
    assert used == SEGMENT_SIZE - 2
    assert raw_start(mapping) < used < raw_start(mapping) + compute_compact_length(len(data))
    assert read_object(mapping, archiver.get_piece, PARAMS) == data
