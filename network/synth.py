"""Synthetic history: deterministic blocks archived into a network directory (benchmarks, plotting trials).

The blocks are actors.archiving.history.synthetic_block, so two runs produce the same segments. Records
of MAINNET size commit on Ray tasks (about 0.6 s each per core); small presets commit in-process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from autonomys.actors.archiving.archiver import Archiver, RecordCommitter
from autonomys.actors.archiving.history import archive_synthetic_blocks
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.storage import RocksKVStore
from autonomys.network.genesis import load_or_create_genesis, prepare_data_dir
from autonomys.network.spec import SMALL_RECORD_CHUNKS, ClusterSpec
from autonomys.protocol.params import Params


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
            return archive_synthetic_blocks(archiver, segments, on_segment)
    finally:
        store.close()


@contextlib.contextmanager
def _committer(params: Params, setup: KzgSetup) -> Iterator[RecordCommitter | None]:
    if params.record_num_chunks < SMALL_RECORD_CHUNKS:
        yield None
        return
    from autonomys.network.compose import create_record_committer
    from autonomys.network.runtime import local_ray

    workers = max(1, os.cpu_count() or 1)
    with local_ray(ClusterSpec(preset=params.name), num_cpus=workers):
        yield create_record_committer(setup, params, workers)
