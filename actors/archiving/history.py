"""Archived history as plotting sees it: how many segments exist and each one's commitment.

`ArchiveHistory` reads an archiver's data directory (read-only, so it works while the archiver
runs); `HeadersHistory` wraps any source of segment headers (the archiver actor, a node).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import blake3

from autonomys.actors.archiving.archiver import Archiver, segment_header_key
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.storage import RocksKVStore
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.params import Params


class HeadersHistory:
    """History from a list of segment headers, refreshed from `fetch(first)` when asked for more."""

    def __init__(self, fetch: Callable[[int], list[SegmentHeader]]) -> None:
        self.fetch = fetch
        self.headers: list[SegmentHeader] = []

    def refresh(self) -> None:
        self.headers.extend(self.fetch(len(self.headers)))

    def history_size(self) -> int:
        self.refresh()
        return len(self.headers)

    def segment_commitment(self, segment_index: int) -> bytes | None:
        if segment_index >= len(self.headers):
            self.refresh()
        if 0 <= segment_index < len(self.headers):
            return bytes(self.headers[segment_index].segment_commitment)
        return None


class ArchiveHistory(HeadersHistory):
    """An archiver's data directory opened read-only: segment headers and the piece files."""

    def __init__(self, data_dir: str | Path, params: Params) -> None:
        root = Path(data_dir) / "archiver"
        self.store = RocksKVStore(root / "db", read_only=True)
        self.pieces = SegmentPieceFiles(root / "pieces", params)
        super().__init__(self._read_headers)

    def _read_headers(self, first: int) -> list[SegmentHeader]:
        """Headers from `first` on, as stored when the directory was opened (a read-only snapshot)."""
        headers: list[SegmentHeader] = []
        while (data := self.store.get(segment_header_key(first + len(headers)))) is not None:
            headers.append(SegmentHeader.from_bytes(data))
        return headers

    def get_piece(self, piece_index: int) -> bytes | None:
        return self.pieces.get_piece(piece_index)

    def close(self) -> None:
        self.store.close()


BLOCKS_PER_SEGMENT = 4
SYNTHETIC_BLOCK_DOMAIN = b"autonomys synthetic block"


def synthetic_block(number: int, size: int) -> bytes:
    """`size` deterministic bytes for block `number` (a BLAKE3 keystream of the number)."""
    return blake3.blake3(SYNTHETIC_BLOCK_DOMAIN + number.to_bytes(8, "little")).digest(length=size)


def archive_synthetic_blocks(archiver: Archiver, segments: int, on_segment: Callable[[int], None] | None = None) -> int:
    """Feed `archiver` deterministic blocks until it has `segments` segments; returns how many it has."""
    report = on_segment if on_segment is not None else (lambda count: None)
    block_size = archiver.params.recorded_history_segment_size // BLOCKS_PER_SEGMENT
    last = archiver.last_segment_header
    count = 0 if last is None else last.segment_index + 1
    report(count)
    number = 0 if archiver.last_block_number is None else archiver.last_block_number + 1
    while count < segments:
        count += len(archiver.on_confirmed_block(number, synthetic_block(number, block_size)))
        report(count)
        number += 1
    return count


class ArchiverHistory(HeadersHistory):
    """An in-process archiver as both a history source (its segment headers) and a piece getter."""

    def __init__(self, archiver: Archiver) -> None:
        self.archiver = archiver
        super().__init__(archiver.segment_headers)

    def get_piece(self, piece_index: int) -> bytes | None:
        return self.archiver.get_piece(piece_index)

    def extend_to(self, segments: int) -> None:
        """Archive more deterministic blocks until `segments` segments exist."""
        archive_synthetic_blocks(self.archiver, segments)
