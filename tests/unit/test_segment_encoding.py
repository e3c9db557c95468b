"""Segment items, segment filling (`archiver.rs` `produce_segment`) and block reconstruction (`reconstructor.rs`).

MAINNET byte accounting (the reference's `archiver.rs::archiver` integration test) runs on zero-filled
memoryview blocks: the archiver only slices them, so a 260 MB block costs no memory until a segment is encoded.
"""

from __future__ import annotations

import random

import pytest

from autonomys.protocol.archiving.block_archiving import (
    ArchiverState,
    ProducedSegment,
    add_block,
    compute_segment_header,
    initial_archiver_state,
    next_state_after_segment,
    produce_segment,
    restore_archiver_state,
)
from autonomys.protocol.archiving.block_reconstruction import (
    add_segment,
    initial_reconstructor_state,
    reconstruct_blocks,
)
from autonomys.protocol.archiving.segment_encoding import (
    BlockContinuationItem,
    BlockItem,
    BlockStartItem,
    PaddingItem,
    ParentSegmentHeaderItem,
    compute_item_encoded_size,
    compute_segment_items_size,
    decode_scalar_to_chunk,
    decode_scalars_to_raw_record,
    decode_segment,
    encode_chunk_as_scalar,
    encode_raw_record_as_scalars,
    encode_segment,
    encode_segment_item,
    join_raw_records_into_segment,
    read_segment_item,
    split_raw_record_into_chunks,
    split_segment_into_raw_records,
)
from autonomys.protocol.archiving.segments import LastArchivedBlock, SegmentHeader
from autonomys.protocol.codec import Reader, compute_compact_length
from autonomys.protocol.errors import DecodeError, InvalidBlock, InvalidSegment, InvalidSegmentHeader
from autonomys.protocol.params import MAINNET, MINIMAL, Params
from autonomys.protocol.types import SegmentCommitment

MAINNET_SIZE = MAINNET.recorded_history_segment_size
MINIMAL_SIZE = MINIMAL.recorded_history_segment_size


def fake_commitment(produced: ProducedSegment) -> SegmentCommitment:
    """Stands in for the KZG segment commitment, which this module does not compute."""
    return SegmentCommitment(produced.segment_index.to_bytes(8, "little") * 6)


def archive(
    state: ArchiverState, block: bytes | memoryview, params: Params
) -> tuple[ArchiverState, list[tuple[ProducedSegment, SegmentHeader]]]:
    """What an archiver actor does per block: add it, then produce and seal every segment it fills."""
    state = add_block(state, block)
    produced_segments = []
    while (produced := produce_segment(state, params)) is not None:
        header = compute_segment_header(produced, fake_commitment(produced))
        state = next_state_after_segment(produced, header)
        produced_segments.append((produced, header))
    return state, produced_segments


def archive_all(
    blocks: list[bytes], params: Params
) -> tuple[ArchiverState, list[tuple[ProducedSegment, SegmentHeader]]]:
    state = initial_archiver_state()
    produced_segments = []
    for block in blocks:
        state, produced = archive(state, block, params)
        produced_segments += produced
    return state, produced_segments


def zero_block(length: int) -> memoryview:
    return memoryview(bytes(length))


def test_t5_byte_accounting_at_mainnet_sizes() -> None:
    state = initial_archiver_state()
    state, first = archive(state, zero_block(MAINNET_SIZE // 2), MAINNET)
    assert first == []
    state, first = archive(state, zero_block(MAINNET_SIZE // 3 * 2), MAINNET)
    state, middle = archive(state, zero_block(2 * MAINNET_SIZE), MAINNET)
    state, last = archive(state, zero_block(MAINNET_SIZE - 21_670_908), MAINNET)
    produced = first + middle + last
    assert [header.last_archived_block for _, header in produced] == [
        LastArchivedBlock(1, 65_011_701),
        LastArchivedBlock(2, 108_352_733),
        LastArchivedBlock(2, 238_376_052),
        LastArchivedBlock(3, None),
    ]
    assert produced[0][1].segment_index == 0
    assert produced[0][1].prev_segment_header_hash == bytes(32)
    for (_, parent), (segment, header) in zip(produced, produced[1:], strict=False):
        assert header.segment_index == parent.segment_index + 1
        assert header.prev_segment_header_hash == parent.hash()
        assert segment.items[0] == ParentSegmentHeaderItem(parent)
    assert [compute_segment_items_size(segment.items) for segment, _ in produced] == [MAINNET_SIZE] * 3 + [
        MAINNET_SIZE - 2
    ]
    # The exact-fit segment: its bytes end in exactly 2 bytes of zero padding and decode back.
    last_segment = produced[3][0]
    encoded = encode_segment(last_segment.items, MAINNET)
    assert len(encoded) == MAINNET_SIZE
    assert decode_segment(encoded, MAINNET) == last_segment.items
    assert state.pending_items == (ParentSegmentHeaderItem(produced[3][1]),)


def test_two_bytes_short_of_full_produces_a_segment_at_mainnet_sizes() -> None:
    block_size = MAINNET_SIZE - 1 - 1 - compute_compact_length(MAINNET_SIZE) - 2
    state = add_block(initial_archiver_state(), zero_block(block_size))
    produced = produce_segment(state, MAINNET)
    assert produced is not None
    assert produced.last_archived_block == LastArchivedBlock(0, None)
    # One byte less leaves 3 bytes free, and the segment waits for more data.
    assert produce_segment(add_block(initial_archiver_state(), zero_block(block_size - 1)), MAINNET) is None


def test_item_whose_length_prefix_overflows_is_left_for_the_next_segment() -> None:
    block_size = MAINNET_SIZE - 1 - 1 - compute_compact_length(MAINNET_SIZE) - 3
    state, produced = archive(initial_archiver_state(), zero_block(block_size), MAINNET)
    assert produced == []
    # 3 bytes are left, but the next block needs 5 bytes of variant and length before any payload.
    state, produced = archive(state, zero_block(MAINNET_SIZE), MAINNET)
    assert len(produced) == 2
    first_segment, first_header = produced[0]
    assert first_segment.items == (BlockItem(zero_block(block_size)),)
    assert first_header.last_archived_block == LastArchivedBlock(0, None)
    second_segment, second_header = produced[1]
    assert isinstance(second_segment.items[1], BlockStartItem)
    assert second_header.last_archived_block.number == 1


def test_t5_shape_at_minimal_sizes_round_trips_real_bytes(seeded_random: random.Random) -> None:
    sizes = [MINIMAL_SIZE // 2, MINIMAL_SIZE // 3 * 2, 2 * MINIMAL_SIZE, MINIMAL_SIZE - 2_000]
    blocks = [seeded_random.randbytes(size) for size in sizes]
    _, produced = archive_all(blocks, MINIMAL)
    assert [header.last_archived_block.number for _, header in produced] == [1, 2, 2, 3]
    segments = [encode_segment(segment.items, MINIMAL) for segment, _ in produced]
    assert all(len(segment) == MINIMAL_SIZE for segment in segments)
    assert reconstruct_blocks(segments, MINIMAL) == tuple(blocks[:3])


def random_block_sizes(rng: random.Random) -> list[int]:
    choices = [0, 1, 2, 61, 62, 63, 64, 65, 100, 1_000, MINIMAL_SIZE // 2, MINIMAL_SIZE - 200, MINIMAL_SIZE - 5]
    choices += [MINIMAL_SIZE - 4, MINIMAL_SIZE - 3, MINIMAL_SIZE, 16_383, 16_384, 3 * MINIMAL_SIZE + 7]
    return [rng.choice(choices) for _ in range(rng.randrange(1, 30))]


def test_random_block_streams_round_trip_with_their_numbers(seeded_random: random.Random) -> None:
    for _ in range(40):
        blocks = [seeded_random.randbytes(size) for size in random_block_sizes(seeded_random)]
        _, produced = archive_all(blocks, MINIMAL)
        segments = [encode_segment(segment.items, MINIMAL) for segment, _ in produced]
        if len(produced) > 0:
            # A segment holding only the last parent header settles the last block's progress.
            segments.append(encode_segment([ParentSegmentHeaderItem(produced[-1][1])], MINIMAL))
        state = initial_reconstructor_state()
        numbered = []
        for segment in segments:
            state, contents = add_segment(state, segment, MINIMAL)
            numbered += contents.blocks
        assert [number for number, _ in numbered] == list(range(len(numbered)))
        assert [data for _, data in numbered] == blocks[: len(numbered)]
        if len(produced) > 0:
            progress = produced[-1][1].last_archived_block
            assert len(numbered) == progress.number + (1 if progress.is_complete else 0)


def test_restored_state_continues_exactly_like_the_original(seeded_random: random.Random) -> None:
    sizes = (5_000, 9_000, 40_000, 700, 20_000, 64, 15_800, 15_870, 31_000, 3)
    blocks = [seeded_random.randbytes(size) for size in sizes]
    _, produced = archive_all(blocks, MINIMAL)
    assert len(produced) > 5
    for position, (_, header) in enumerate(produced):
        # A restarted archiver gets the last header, the block it names, then the blocks after it.
        number = header.last_archived_block.number
        restored = restore_archiver_state(header, blocks[number])
        produced_after = []
        for block in blocks[number + 1 :]:
            restored, more = archive(restored, block, MINIMAL)
            produced_after += more
        # Same segments and headers; only what is left pending when each is produced may differ.
        assert [(segment.items, header) for segment, header in produced_after] == [
            (segment.items, header) for segment, header in produced[position + 1 :]
        ]


def test_restore_rejects_a_block_that_does_not_fit_the_header() -> None:
    header = SegmentHeader(0, bytes(48), bytes(32), LastArchivedBlock(0, 10))
    with pytest.raises(InvalidBlock, match="block of 10 bytes cannot continue after 10"):
        restore_archiver_state(header, bytes(10))
    with pytest.raises(InvalidBlock, match="block of 6 bytes"):
        restore_archiver_state(header, bytes(6))
    complete = SegmentHeader(0, bytes(48), bytes(32), LastArchivedBlock(4, None))
    assert restore_archiver_state(complete).pending_items == (ParentSegmentHeaderItem(complete),)


def test_a_header_that_does_not_describe_the_segment_is_rejected() -> None:
    state = add_block(initial_archiver_state(), bytes(MINIMAL_SIZE))
    produced = produce_segment(state, MINIMAL)
    assert produced is not None
    good = compute_segment_header(produced, bytes(48))
    for wrong in (
        SegmentHeader(1, bytes(48), good.prev_segment_header_hash, good.last_archived_block),
        SegmentHeader(0, bytes(48), bytes([1]) * 32, good.last_archived_block),
        SegmentHeader(0, bytes(48), good.prev_segment_header_hash, LastArchivedBlock(0, None)),
    ):
        with pytest.raises(InvalidSegmentHeader, match="does not describe"):
            next_state_after_segment(produced, wrong)


def test_item_golden_bytes() -> None:
    header = SegmentHeader(1, bytes([0x11]) * 48, bytes([0x22]) * 32, LastArchivedBlock(7, None))
    assert encode_segment_item(PaddingItem()).hex() == "00"
    assert encode_segment_item(BlockItem(b"abc")).hex() == "010c616263"
    assert encode_segment_item(BlockStartItem(b"")).hex() == "0200"
    assert encode_segment_item(BlockContinuationItem(bytes(64))).hex() == "030101" + "00" * 64
    assert encode_segment_item(ParentSegmentHeaderItem(header)).hex() == "04" + header.to_bytes().hex()
    encoded = encode_segment([BlockItem(b"abc")], MINIMAL)
    assert encoded[:6].hex() == "00010c616263"
    assert encoded[6:] == bytes(MINIMAL_SIZE - 6)


def test_items_decode_back_one_by_one() -> None:
    header = SegmentHeader(3, bytes(48), bytes(32), LastArchivedBlock(9, 1))
    for item in (PaddingItem(), BlockItem(b"x" * 70), BlockStartItem(b""), ParentSegmentHeaderItem(header)):
        encoded = encode_segment_item(item)
        assert compute_item_encoded_size(item) == len(encoded)
        reader = Reader(encoded, "item")
        assert read_segment_item(reader) == item
        reader.expect_end()


def test_a_continuation_that_ends_a_segment_exactly_is_returned_once_the_next_header_confirms_it() -> None:
    # Segment 0 keeps 15 866 bytes of block 0 (1 + 1 + 4-byte length + payload = 15 872); segment 1 holds
    # the parent header item (99 bytes) and a continuation of 15 769 bytes (1 + 2 + payload): 15 872 exactly.
    blocks = [bytes([7]) * 31_635, bytes([8]) * MINIMAL_SIZE]
    _, produced = archive_all(blocks, MINIMAL)
    assert [header.last_archived_block for _, header in produced[:2]] == [
        LastArchivedBlock(0, 15_866),
        LastArchivedBlock(0, None),
    ]
    assert isinstance(produced[1][0].items[-1], BlockContinuationItem)
    segments = [encode_segment(segment.items, MINIMAL) for segment, _ in produced]
    state = initial_reconstructor_state()
    state, contents = add_segment(state, segments[0], MINIMAL)
    assert contents.blocks == ()
    state, contents = add_segment(state, segments[1], MINIMAL)
    assert contents.blocks == ()
    _, contents = add_segment(state, segments[2], MINIMAL)
    assert contents.blocks == ((0, blocks[0]),)


def test_oversized_items_are_not_encoded() -> None:
    with pytest.raises(InvalidSegment, match="more than the segment size"):
        encode_segment([BlockItem(bytes(MINIMAL_SIZE))], MINIMAL)


def segment_with(body: bytes) -> bytes:
    return body + bytes(MINIMAL_SIZE - len(body))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(MINIMAL_SIZE - 1), "segment must be 15872 bytes, got 15871"),
        (segment_with(b"\x01"), "Segment: unknown variant 1"),
        (segment_with(b"\x00\x05"), "SegmentItem: unknown variant 5"),
        (segment_with(b"\x00\x04\x07"), "SegmentHeader: unknown variant 7"),
        (segment_with(b"\x00\x01\x01\x00"), "not canonically encoded"),
        (b"\x00\x01" + bytes.fromhex("feffff00") + bytes(MINIMAL_SIZE - 6), "needs"),
        (b"\x00" + bytes(MINIMAL_SIZE - 2) + b"\x03", "needs"),
    ],
)
def test_malformed_segments_are_rejected(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode_segment(data, MINIMAL)


def test_reconstruction_rejects_segments_out_of_order(seeded_random: random.Random) -> None:
    blocks = [seeded_random.randbytes(MINIMAL_SIZE) for _ in range(4)]
    _, produced = archive_all(blocks, MINIMAL)
    segments = [encode_segment(segment.items, MINIMAL) for segment, _ in produced]
    state, _ = add_segment(initial_reconstructor_state(), segments[0], MINIMAL)
    with pytest.raises(InvalidSegmentHeader, match="expected segment 1, got segment 2"):
        add_segment(state, segments[2], MINIMAL)
    with pytest.raises(InvalidSegmentHeader, match="carries no parent header"):
        add_segment(state, segments[0], MINIMAL)
    # Starting mid-history is allowed: the cut block at the start is skipped, the rest is numbered.
    _, contents = add_segment(initial_reconstructor_state(), segments[2], MINIMAL)
    assert contents.parent_header == produced[1][1]


def test_records_and_scalars_round_trip(seeded_random: random.Random) -> None:
    segment = seeded_random.randbytes(MINIMAL_SIZE)
    raw_records = split_segment_into_raw_records(segment, MINIMAL)
    assert len(raw_records) == 8
    assert join_raw_records_into_segment(raw_records, MINIMAL) == segment
    raw_record = raw_records[3]
    chunks = split_raw_record_into_chunks(raw_record, MINIMAL)
    assert len(chunks) == 64
    record = encode_raw_record_as_scalars(raw_record, MINIMAL)
    assert record == b"".join(encode_chunk_as_scalar(chunk) for chunk in chunks)
    assert record[:32] == b"\x00" + raw_record[:31]
    assert decode_scalars_to_raw_record(record, MINIMAL) == raw_record
    assert decode_scalar_to_chunk(record[32:64]) == chunks[1]


def test_bad_records_and_scalars_are_rejected() -> None:
    record = bytearray(MINIMAL.record_size)
    record[32 * 5] = 1
    with pytest.raises(DecodeError, match="first byte is not 0x00"):
        decode_scalars_to_raw_record(bytes(record), MINIMAL)
    with pytest.raises(DecodeError, match="must start with 0x00"):
        decode_scalar_to_chunk(b"\x01" + bytes(31))
    with pytest.raises(DecodeError, match="raw record must be 1984 bytes"):
        encode_raw_record_as_scalars(bytes(1983), MINIMAL)
    with pytest.raises(DecodeError, match="chunk must be 31 bytes"):
        encode_chunk_as_scalar(bytes(32))
    with pytest.raises(DecodeError, match="a segment has 8 raw records"):
        join_raw_records_into_segment([bytes(1984)] * 7, MINIMAL)
