"""Archived history for plotting tests: a real Archiver fed deterministic blocks."""

from __future__ import annotations

from pathlib import Path

from autonomys.actors.archiving.archiver import Archiver
from autonomys.actors.archiving.history import ArchiverHistory
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import Params

ArchivedHistory = ArchiverHistory


def archived_history(directory: Path, params: Params, kzg: Kzg, segments: int) -> ArchivedHistory:
    archiver = Archiver(params, kzg, MemoryKVStore(), SegmentPieceFiles(directory / "pieces", params))
    history = ArchivedHistory(archiver)
    history.extend_to(segments)
    return history
