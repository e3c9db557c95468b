"""Archived history for plotting tests: a real Archiver fed deterministic blocks."""

from __future__ import annotations

from pathlib import Path

from autonomys.actors.archiver import Archiver
from autonomys.actors.history import HeadersHistory, archive_synthetic_blocks
from autonomys.actors.piece_store import SegmentPieceFiles
from autonomys.actors.storage import MemoryKVStore
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.params import Params


class ArchivedHistory(HeadersHistory):
    """An archiver with its history source (segment headers) and piece getter in one object."""

    def __init__(self, archiver: Archiver) -> None:
        self.archiver = archiver
        super().__init__(archiver.segment_headers)

    def get_piece(self, piece_index: int) -> bytes | None:
        return self.archiver.get_piece(piece_index)

    def extend_to(self, segments: int) -> None:
        """Archive more deterministic blocks until `segments` segments exist."""
        archive_synthetic_blocks(self.archiver, segments)


def archived_history(directory: Path, params: Params, kzg: Kzg, segments: int) -> ArchivedHistory:
    archiver = Archiver(params, kzg, MemoryKVStore(), SegmentPieceFiles(directory / "pieces", params))
    history = ArchivedHistory(archiver)
    history.extend_to(segments)
    return history
