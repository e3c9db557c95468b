"""Pieces on disk: one file per archived segment, written whole and fsynced before it is recorded.

A segment file holds its pieces back to back (piece_size each, in position order). It is written
to a temporary name, fsynced, and renamed; only then does the owner record the segment in its
database, so a crash leaves either no file or a complete one, never a half-used segment.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from autonomys.actors.storage import write_file_durably
from autonomys.protocol.params import Params
from autonomys.protocol.pieces import compute_piece_position, compute_piece_segment_index
from autonomys.protocol.types import PieceIndex


class PieceGetter(Protocol):
    """Anything that can hand out a piece by index (the archiver's store is the first)."""

    def get_piece(self, piece_index: int) -> bytes | None: ...


class SegmentPieceFiles:
    def __init__(self, directory: str | Path, params: Params) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.params = params

    def path_of(self, segment_index: int) -> Path:
        return self.directory / f"segment-{segment_index:012d}.pieces"

    def write_segment(self, segment_index: int, pieces: Sequence[bytes]) -> None:
        """Write all pieces of a segment durably (temp file, fsync, rename, fsync the directory)."""
        size = self.params.piece_size
        if len(pieces) != self.params.num_pieces or any(len(piece) != size for piece in pieces):
            msg = f"a segment needs {self.params.num_pieces} pieces of {size} bytes"
            raise ValueError(msg)
        write_file_durably(self.path_of(segment_index), pieces)

    def has_segment(self, segment_index: int) -> bool:
        return self.path_of(segment_index).exists()

    def get_piece(self, piece_index: int) -> bytes | None:
        """The stored piece, or None if its segment is not here (or the file is short)."""
        index = PieceIndex(piece_index)
        segment_index = compute_piece_segment_index(index, self.params)
        path = self.path_of(segment_index)
        size = self.params.piece_size
        try:
            with open(path, "rb") as file:
                data = os.pread(file.fileno(), size, compute_piece_position(index, self.params) * size)
        except FileNotFoundError:
            return None
        return data if len(data) == size else None

    def remove_incomplete(self) -> None:
        """Delete temporary files a crash left behind."""
        for temporary in self.directory.glob("*.tmp"):
            temporary.unlink()
