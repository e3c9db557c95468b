"""The Archiver as a plain class: segments from blocks, durable pieces, restart without re-archiving."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from autonomys.actors.archiving.archiver import Archiver, OutOfOrderBlock
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.messages import SegmentHeaderNotification
from autonomys.actors.storage import RocksKVStore
from autonomys.protocol.archiving.archived_segment import is_piece_valid
from autonomys.protocol.archiving.pieces import compute_first_piece_index
from autonomys.protocol.archiving.segments import validate_segment_header_chain
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import MINIMAL

PARAMS = MINIMAL


@pytest.fixture(scope="module")
def kzg() -> Kzg:
    return Kzg.dev_setup(num_g1_powers=PARAMS.record_num_chunks)


def open_archiver(directory: Path, kzg: Kzg) -> Archiver:
    return Archiver(PARAMS, kzg, RocksKVStore(directory / "db"), SegmentPieceFiles(directory / "pieces", PARAMS))


def blocks(count: int, seed: int) -> list[bytes]:
    generator = random.Random(seed)
    size = PARAMS.recorded_history_segment_size
    return [generator.randbytes(generator.randrange(size // 8, size // 2)) for _ in range(count)]


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.headers: list = []

    def on_segment_header(self, notification: SegmentHeaderNotification) -> None:
        self.headers.append(notification.header)


def test_blocks_become_valid_pieces_and_chained_headers(tmp_path: Path, kzg: Kzg) -> None:
    archiver = open_archiver(tmp_path, kzg)
    recorder = Recorder()
    archiver.subscribers.append(recorder)
    produced = []
    for number, block in enumerate(blocks(12, seed=1)):
        produced += archiver.on_confirmed_block(number, block)
    assert len(produced) >= 2
    assert recorder.headers == produced == archiver.segment_headers()
    for parent, child in zip(produced, produced[1:], strict=False):
        validate_segment_header_chain(child, parent)
    for header in produced:
        first = compute_first_piece_index(header.segment_index, PARAMS)
        for position in (0, 1, PARAMS.num_pieces - 1):
            piece = archiver.get_piece(first + position)
            assert piece is not None
            assert is_piece_valid(kzg, piece, header.segment_commitment, position, PARAMS)
    assert archiver.get_piece(compute_first_piece_index(len(produced), PARAMS)) is None


def test_replays_are_ignored_and_gaps_rejected(tmp_path: Path, kzg: Kzg) -> None:
    archiver = open_archiver(tmp_path, kzg)
    stream = blocks(3, seed=2)
    archiver.on_confirmed_block(0, stream[0])
    archiver.on_confirmed_block(1, stream[1])
    assert archiver.on_confirmed_block(1, stream[1]) == []
    with pytest.raises(OutOfOrderBlock, match="expects block 2"):
        archiver.on_confirmed_block(3, stream[2])
    assert archiver.last_block_number == 1


def test_restart_continues_without_rearchiving_or_skipping(tmp_path: Path, kzg: Kzg) -> None:
    stream = blocks(14, seed=3)
    reference = open_archiver(tmp_path / "reference", kzg)
    for number, block in enumerate(stream):
        reference.on_confirmed_block(number, block)
    expected = reference.segment_headers()

    first = open_archiver(tmp_path / "restarted", kzg)
    for number, block in enumerate(stream[:7]):
        first.on_confirmed_block(number, block)
    archived_before = len(first.segment_headers())
    first.store.close()
    second = open_archiver(tmp_path / "restarted", kzg)
    assert len(second.segment_headers()) == archived_before
    for number, block in enumerate(stream):
        second.on_confirmed_block(number, block)  # blocks 0..6 are replays, ignored
    assert second.segment_headers() == expected
    for header in expected:
        first_piece = compute_first_piece_index(header.segment_index, PARAMS)
        assert second.get_piece(first_piece) == reference.get_piece(first_piece)
