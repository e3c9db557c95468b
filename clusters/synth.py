"""Synthetic history: deterministic blocks archived into a network directory (benchmarks, plotting trials).

The blocks are BLAKE3 keystreams of their numbers, so two runs produce the same segments. Records
of MAINNET size commit on Ray tasks (about 0.6 s each per core); small presets commit in-process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import blake3

from autonomys.actors.archiver import Archiver, RecordCommitter
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.piece_store import SegmentPieceFiles
from autonomys.actors.storage import RocksKVStore
from autonomys.clusters.genesis import load_or_create_genesis, prepare_data_dir
from autonomys.clusters.spec import SMALL_RECORD_CHUNKS, ClusterSpec
from autonomys.protocol.params import Params

BLOCKS_PER_SEGMENT = 4
BLOCK_DOMAIN = b"autonomys synthetic block"


def synthetic_block(number: int, size: int) -> bytes:
    """`size` deterministic bytes for block `number`."""
    hasher = blake3.blake3(BLOCK_DOMAIN + number.to_bytes(8, "little"))
    return hasher.digest(length=size)


def synthesize_history(
    data_dir: Path, preset: str, setup: KzgSetup, segments: int, on_segment: Callable[[int], None] | None = None
) -> int:
    """Archive synthetic blocks until `segments` segments exist; returns the number of segments."""
    data_dir = prepare_data_dir(data_dir)
    genesis, _ = load_or_create_genesis(data_dir, preset)
    params = genesis.params()
    root = data_dir / "archiver"
    store = RocksKVStore(root / "db")
    try:
        with _committer(params, setup) as committer:
            archiver = Archiver(params, load_kzg(setup), store, SegmentPieceFiles(root / "pieces", params), committer)
            return _archive_until(archiver, params, segments, on_segment or (lambda count: None))
    finally:
        store.close()


def _archive_until(archiver: Archiver, params: Params, segments: int, on_segment: Callable[[int], None]) -> int:
    block_size = params.recorded_history_segment_size // BLOCKS_PER_SEGMENT
    last = archiver.last_segment_header
    count = 0 if last is None else last.segment_index + 1
    on_segment(count)
    number = 0 if archiver.last_block_number is None else archiver.last_block_number + 1
    while count < segments:
        count += len(archiver.on_confirmed_block(number, synthetic_block(number, block_size)))
        on_segment(count)
        number += 1
    return count


@contextlib.contextmanager
def _committer(params: Params, setup: KzgSetup) -> Iterator[RecordCommitter | None]:
    if params.record_num_chunks < SMALL_RECORD_CHUNKS:
        yield None
        return
    from autonomys.clusters.build import create_record_committer
    from autonomys.clusters.launch import local_ray

    workers = max(1, os.cpu_count() or 1)
    with local_ray(ClusterSpec(preset=params.name), num_cpus=workers):
        yield create_record_committer(setup, params, workers)
