"""Builders for sector tests: a probe for the chia table, a proof-of-space test double, plotted sectors."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from autonomys.kernels.pos import PosTable
from autonomys.protocol.params import Params
from autonomys.protocol.plotting import encoding as plotting
from autonomys.protocol.plotting.sectors import SectorMetadata, compute_public_key_hash, compute_sector_id
from autonomys.protocol.types import HistorySize, PieceOffset, SectorId, SectorIndex

PUBLIC_KEY = bytes(range(32))


@functools.cache
def chia_table_available() -> bool:
    """False while kernels.pos still raises NotImplementedError for the chia table (no table is built here)."""
    table = PosTable(20, "chia")
    for probe in (lambda: table.find_proof(0), lambda: table.proof_hashes(1)):
        try:
            probe()
        except NotImplementedError:
            return False
        except Exception:  # an implemented table may refuse to answer before `generate`: it is there
            pass
    return True


needs_chia = pytest.mark.skipif(not chia_table_available(), reason="the chia proof-of-space table has not landed yet")


@dataclass
class FakeTable:
    """A proof-of-space test double: a proof exactly where `flags` says, with the given blake3(proof) values."""

    flags: bytes
    hashes: bytes
    seeds: list[bytes] = field(default_factory=list)

    def generate(self, seed: bytes) -> None:
        self.seeds.append(bytes(seed))

    def proof_hashes(self, num_challenges: int) -> tuple[bytes, bytes]:
        assert num_challenges == len(self.flags)
        return self.flags, self.hashes


@dataclass(frozen=True)
class PlottedSector:
    """A sector plotted from known pieces, and everything needed to read it back."""

    sector: bytes
    metadata: SectorMetadata
    sector_id: SectorId
    pieces: tuple[bytes, ...]
    encoded: tuple[plotting.EncodedRecord, ...]


def minimal_sector_id(sector_index: int = 0, history_size: int = 1) -> SectorId:
    return compute_sector_id(compute_public_key_hash(PUBLIC_KEY), SectorIndex(sector_index), HistorySize(history_size))


def plot_pieces(
    pieces: Sequence[bytes], sector_id: SectorId, table: object, params: Params, history_size: int = 1
) -> PlottedSector:
    """Encode `pieces` at offsets 0.. under `table` (regenerated per record) and lay the sector out."""
    results = [
        plotting.encode_piece(piece, sector_id, PieceOffset(offset), table, params)  # type: ignore[arg-type]
        for offset, piece in enumerate(pieces)
    ]
    encoded = [record for record, _ in results]
    sector, metadata = plotting.compute_sector(
        encoded, [meta for _, meta in results], SectorIndex(0), HistorySize(history_size), params
    )
    return PlottedSector(bytes(sector), metadata, sector_id, tuple(pieces), tuple(encoded))
