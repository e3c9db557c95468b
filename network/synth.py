"""Synthetic history: deterministic blocks archived into a network directory (benchmarks, plotting trials).

The blocks are actors.archiving.history.synthetic_block, so two runs produce the same segments. Records
of MAINNET size commit on Ray tasks (about 0.6 s each per core); small presets commit in-process.

Synthetic blocks go only into a directory of their own: an empty or new one (marked with SYNTHETIC_MARKER), or one
an earlier synth run marked, which it extends. A directory holding a network's chain state (a devnet's or a
cluster's: its node, timekeeper or farms, or a genesis.json the network's start completed) is refused, since the
network would resume over blocks it never produced.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from autonomys.actors.archiving.archiver import Archiver, RecordCommitter
from autonomys.actors.archiving.history import archive_synthetic_blocks
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.actors.storage import RocksKVStore
from autonomys.network.genesis import (
    GENESIS_FILE,
    ConfigError,
    GenesisConfig,
    load_genesis,
    load_or_create_genesis,
    prepare_data_dir,
)
from autonomys.network.spec import SMALL_RECORD_CHUNKS, ClusterSpec
from autonomys.protocol.params import Params

SYNTHETIC_MARKER = "synthetic-history.json"
"""Written by the first synth run into its directory; later runs extend only a directory that has it."""
CHAIN_STATE_DIRS = ("timekeeper", "farms")
"""Directories only a network creates (besides its `node-*` ones)."""
LEGACY_SYNTH_ENTRIES = frozenset({GENESIS_FILE, "archiver"})
"""What a synth run made before the marker existed: adopted when nothing else is there."""


def synthesize_history(
    data_dir: Path, preset: str, setup: KzgSetup, segments: int, on_segment: Callable[[int], None] | None = None
) -> int:
    """Archive synthetic blocks until `segments` segments exist; returns the number of segments. ConfigError,
    before anything is written, when `data_dir` holds a network's chain state or other files."""
    check_synthetic_dir(data_dir)
    data_dir = prepare_data_dir(data_dir)
    genesis, _ = load_or_create_genesis(data_dir, preset)
    _mark_synthetic(data_dir, preset)
    params = genesis.params()
    root = data_dir / "archiver"
    store = RocksKVStore(root / "db")
    try:
        with _committer(params, setup) as committer:
            archiver = Archiver(params, load_kzg(setup), store, SegmentPieceFiles(root / "pieces", params), committer)
            return archive_synthetic_blocks(archiver, segments, on_segment)
    finally:
        store.close()


def check_synthetic_dir(data_dir: Path) -> None:
    """Accept a new or empty directory, or one marked by an earlier synth run; refuse anything else in one line."""
    if not data_dir.is_dir():
        return
    entries = {entry.name for entry in data_dir.iterdir()}
    state = chain_state_entries(data_dir, entries)
    if state:
        msg = (
            f"{data_dir} holds a network's chain state ({', '.join(state)}): synthetic blocks would corrupt its "
            "archive; give `history synth` a directory of its own, e.g. --data-dir synthetic-history"
        )
        raise ConfigError(msg)
    if SYNTHETIC_MARKER in entries or entries <= LEGACY_SYNTH_ENTRIES:
        return
    msg = (
        f"{data_dir} is not empty and was not created by `history synth` (no {SYNTHETIC_MARKER}); "
        "give it a new or empty directory, e.g. --data-dir synthetic-history"
    )
    raise ConfigError(msg)


def chain_state_entries(data_dir: Path, entries: set[str]) -> list[str]:
    """What in `data_dir` only a network creates: its node, timekeeper or farms directories, or a genesis.json
    whose start completed (genesis segments and solution range recorded)."""
    found = sorted(f"{name}/" for name in entries if name.startswith("node-") or name in CHAIN_STATE_DIRS)
    if GENESIS_FILE in entries:
        try:
            genesis = load_genesis(data_dir)
        except ConfigError:
            genesis = None  # an unreadable genesis.json: load_or_create_genesis reports it
        if genesis is not None and _network_started(genesis):
            found.append(f"{GENESIS_FILE} of a started network")
    return found


def _network_started(genesis: GenesisConfig) -> bool:
    return genesis.genesis_segments is not None or genesis.solution_range is not None


def _mark_synthetic(data_dir: Path, preset: str) -> None:
    marker = data_dir / SYNTHETIC_MARKER
    if marker.exists():
        return
    temporary = data_dir / (SYNTHETIC_MARKER + ".tmp")
    temporary.write_text(json.dumps({"format_version": 1, "kind": "synthetic history", "preset": preset}) + "\n")
    temporary.replace(marker)


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
