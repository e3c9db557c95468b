"""Archived history for plotting tests: a real Archiver fed deterministic blocks."""

from __future__ import annotations

import random
from pathlib import Path

from autonomys.actors.archiver import Archiver
from autonomys.actors.history import HeadersHistory
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

    def extend_to(self, segments: int, seed: int = 7) -> None:
        """Archive more deterministic blocks until `segments` segments exist."""
        generator = random.Random(seed + segments)
        size = self.archiver.params.recorded_history_segment_size
        number = 0 if self.archiver.last_block_number is None else self.archiver.last_block_number + 1
        while len(self.archiver.segment_headers()) < segments:
            self.archiver.on_confirmed_block(number, generator.randbytes(size // 3))
            number += 1


def archived_history(directory: Path, params: Params, kzg: Kzg, segments: int) -> ArchivedHistory:
    archiver = Archiver(params, kzg, MemoryKVStore(), SegmentPieceFiles(directory / "pieces", params))
    history = ArchivedHistory(archiver)
    history.extend_to(segments)
    return history
