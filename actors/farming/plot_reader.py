"""L1 retrieval: pieces read back out of a farm's plotted sectors (the archival storage of the DSN).

Each plotted sector stores the pieces `derive_piece_index` picks for its id; the reader indexes them
(piece index → sector, offset) from the sector metadata, and refreshes the index when a sector is
plotted or replotted. Reading regenerates the record's proof-of-space table, unmasks and recovers the
record, and checks the piece checksum (`extract_piece`): about one table build per piece.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from autonomys.actors.farming.farm import Farm, FarmError
from autonomys.actors.plotting.plotter import thread_pos_table
from autonomys.protocol.errors import InvalidSector
from autonomys.protocol.plotting.reading import extract_piece
from autonomys.protocol.plotting.sectors import (
    SectorMetadata,
    compute_public_key_hash,
    compute_sector_id,
    derive_piece_index,
)
from autonomys.protocol.types import PieceOffset


@dataclass(frozen=True, slots=True)
class PieceLocation:
    sector_index: int
    piece_offset: int


class PlotPieceReader:
    """Pieces of one farm's plots, by piece index (None when no sector holds it or it cannot be read)."""

    def __init__(self, farm: Farm, name: str = "plots", is_sector_usable: Callable[[int], bool] | None = None) -> None:
        self.farm = farm
        self.name = name
        self.params = farm.params
        self.public_key_hash = compute_public_key_hash(farm.identity.public_key)
        self.is_sector_usable = is_sector_usable if is_sector_usable is not None else (lambda sector_index: True)
        self._indexed: dict[int, tuple[int, int]] = {}  # sector index -> (history size, pieces) it was indexed at
        self._locations: dict[int, list[PieceLocation]] = {}
        self._lock = threading.Lock()
        self.failures = 0

    def piece_indexes(self) -> set[int]:
        """Every piece index some plotted sector holds."""
        with self._lock:
            self._refresh()
            return set(self._locations)

    def locate(self, piece_index: int) -> list[PieceLocation]:
        with self._lock:
            self._refresh()
            return list(self._locations.get(piece_index, ()))

    def get_piece(self, piece_index: int) -> bytes | None:
        """The piece decoded from the first sector holding it that reads back intact."""
        for location in self.locate(piece_index):
            if not self.is_sector_usable(location.sector_index):
                continue
            piece = self._read(location)
            if piece is not None:
                return piece
        return None

    def _read(self, location: PieceLocation) -> bytes | None:
        metadata = self.farm.sector_metadata(location.sector_index)
        if metadata is None:
            return None
        sector_id = compute_sector_id(self.public_key_hash, metadata.sector_index, metadata.history_size)
        try:
            sector = self.farm.sector_view(location.sector_index)
            offset = PieceOffset(location.piece_offset)
            return extract_piece(sector, metadata, sector_id, offset, thread_pos_table(self.params), self.params)
        except (FarmError, InvalidSector):  # a corrupt or rewritten sector: another copy may do
            self.failures += 1
            return None

    def _refresh(self) -> None:
        plotted = self.farm.plotted_sectors()
        for sector_index in list(self._indexed):
            metadata = plotted.get(sector_index)
            if metadata is None or self._indexed[sector_index] != _key(metadata):
                self._forget(sector_index)
        for sector_index, metadata in plotted.items():
            if sector_index not in self._indexed:
                self._index(metadata)

    def _index(self, metadata: SectorMetadata) -> None:
        sector_id = compute_sector_id(self.public_key_hash, metadata.sector_index, metadata.history_size)
        for piece_offset in range(metadata.pieces_in_sector):
            piece_index = int(derive_piece_index(sector_id, PieceOffset(piece_offset), metadata.history_size, self.params))
            self._locations.setdefault(piece_index, []).append(PieceLocation(int(metadata.sector_index), piece_offset))
        self._indexed[int(metadata.sector_index)] = _key(metadata)

    def _forget(self, sector_index: int) -> None:
        del self._indexed[sector_index]
        for piece_index in list(self._locations):
            kept = [location for location in self._locations[piece_index] if location.sector_index != sector_index]
            if kept:
                self._locations[piece_index] = kept
            else:
                del self._locations[piece_index]


def _key(metadata: SectorMetadata) -> tuple[int, int]:
    return int(metadata.history_size), metadata.pieces_in_sector
