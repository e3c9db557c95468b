"""The Archiver on Ray: record commitments fan out to worker tasks and give the same segments as local."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import pytest
import ray

from autonomys.actors.archiving.archiver import Archiver, ArchiverConfig
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.storage import MemoryKVStore
from autonomys.network.compose import create_archiver
from autonomys.network.spec import ClusterSpec
from autonomys.protocol.archiving.archived_segment import is_piece_valid
from autonomys.protocol.archiving.pieces import compute_first_piece_index
from autonomys.protocol.params import MINIMAL
from helpers.recording import HeaderRecorder

pytestmark = pytest.mark.cluster
TIMEOUT = 120


def test_archiver_actor_with_two_commitment_workers(ray_session: str, tmp_path: Path) -> None:
    setup = KzgSetup(num_g1_powers=MINIMAL.record_num_chunks, cache_dir=str(tmp_path / "cache"))
    generator = random.Random(7)
    size = MINIMAL.recorded_history_segment_size
    stream = [generator.randbytes(generator.randrange(size // 4, size)) for _ in range(6)]

    local = Archiver(MINIMAL, load_kzg(setup), MemoryKVStore(), SegmentPieceFiles(tmp_path / "local", MINIMAL))
    for number, block in enumerate(stream):
        local.on_confirmed_block(number, block)

    config = ArchiverConfig(str(tmp_path / "actor"), MINIMAL, setup)
    archiver = create_archiver(ClusterSpec(), config, workers=2, name=f"archiver-{uuid.uuid4().hex[:6]}")
    assert archiver.ready(timeout=TIMEOUT)
    recorder_name = f"headers-{uuid.uuid4().hex[:6]}"
    recorder = ray.remote(HeaderRecorder).options(name=recorder_name, num_cpus=0).remote()
    archiver.subscribe(recorder_name, timeout=TIMEOUT)
    headers = []
    for number, block in enumerate(stream):
        headers += archiver.on_confirmed_block(number, block, timeout=TIMEOUT)
    assert len(headers) >= 2
    assert headers == local.segment_headers() == archiver.segment_headers(timeout=TIMEOUT)
    kzg = load_kzg(setup)
    for header in headers:
        first = compute_first_piece_index(header.segment_index, MINIMAL)
        for position in range(MINIMAL.num_pieces):
            piece = archiver.get_piece(first + position, timeout=TIMEOUT)
            assert piece == local.get_piece(first + position)
        assert is_piece_valid(kzg, piece, header.segment_commitment, MINIMAL.num_pieces - 1, MINIMAL)
    assert ray.get(recorder.report.remote(), timeout=TIMEOUT) == headers  # in order, each once
    archiver.shutdown(timeout=TIMEOUT)
    ray.kill(recorder)
