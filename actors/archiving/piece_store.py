"""Pieces on disk: one file per archived segment, written whole and fsynced before it is recorded.

A segment file holds its pieces back to back (piece_size each, in position order). It is written
to a temporary name, fsynced, and renamed; only then does the owner record the segment in its
database, so a crash leaves either no file or a complete one, never a half-used segment.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from autonomys.actors.storage import write_file_durably
from autonomys.protocol.archiving.pieces import compute_piece_position, compute_piece_segment_index
from autonomys.protocol.params import Params
from autonomys.protocol.types import PieceIndex


class PieceGetter(Protocol):
    """Anything that can hand out a piece by index (the archiver's store is the first)."""

    def get_piece(self, piece_index: int) -> bytes | None: ...


def get_pieces_from(source: PieceGetter, piece_indexes: Sequence[int], *, threads: int = 1) -> list[bytes | None]:
    """The pieces in order (None where the source has none): one `get_pieces` call when the source checks
    batches (actors.dsn.piece_getter.PieceGetter, one MSM per batch), else `get_piece` for each, on up to
    `threads` threads. Whatever the source raises propagates."""
    indexes = [int(index) for index in piece_indexes]
    get_pieces = getattr(source, "get_pieces", None)
    if get_pieces is not None:
        return list(get_pieces(indexes))
    if threads <= 1 or len(indexes) <= 1:
        return [source.get_piece(index) for index in indexes]
    with ThreadPoolExecutor(max_workers=min(threads, len(indexes))) as pool:
        return list(pool.map(source.get_piece, indexes))


@dataclass(frozen=True, slots=True)
class ServedPiece:
    """A piece as a getter handed it out, and who to blame if it turns out bad."""

    piece: bytes
    source: str | None
    """The source that served it unchecked (the getter's `verify_pieces` can check it and demote that source);
    None when there is nothing left to check (the getter checked it, or cannot check at all)."""


def get_served_pieces_from(
    source: PieceGetter, piece_indexes: Sequence[int], *, threads: int = 1
) -> list[ServedPiece | None]:
    """The pieces in order, unchecked where the source can check them later (`get_pieces_unchecked`, as
    actors.dsn.piece_getter.PieceGetter has: the caller checks content hashes, and calls `verify_pieces` only
    when one fails); from any other source as `get_pieces_from` gives them."""
    get_unchecked = getattr(source, "get_pieces_unchecked", None)
    if get_unchecked is not None:
        return list(get_unchecked([int(index) for index in piece_indexes]))
    pieces = get_pieces_from(source, piece_indexes, threads=threads)
    return [None if piece is None else ServedPiece(bytes(piece), None) for piece in pieces]


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
