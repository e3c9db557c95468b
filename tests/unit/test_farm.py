"""The farm directory: pre-allocation, durable sector slots, crash consistency, clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autonomys.actors.farming.farm import FARM_FILE, IDENTITY_FILE, METADATA_FILE, PLOT_FILE, Farm, FarmError, plan_farm
from autonomys.actors.farming.identity import FarmerIdentity, IdentityError, load_or_create_identity, verify_signature
from autonomys.protocol.params import DEV, MAINNET, MINIMAL
from autonomys.protocol.plotting.sectors import SectorMetadata, compute_sector_metadata_size, compute_sector_size

PARAMS = MINIMAL
SECTOR_SIZE = compute_sector_size(PARAMS.max_pieces_in_sector, PARAMS)
SIZE = 3 * (SECTOR_SIZE + compute_sector_metadata_size(PARAMS)) + 64


def metadata(sector_index: int, history_size: int = 1) -> SectorMetadata:
    sizes = bytes([sector_index + 1, 0]) * PARAMS.num_s_buckets
    return SectorMetadata(sector_index, PARAMS.max_pieces_in_sector, sizes, history_size)


def sector_bytes(fill: int) -> bytes:
    return bytes([fill]) * SECTOR_SIZE


def test_a_new_farm_preallocates_its_files_and_reopens_with_the_same_key(tmp_path: Path) -> None:
    with Farm.create_or_open(tmp_path / "farm", SIZE, PARAMS) as farm:
        assert farm.max_sectors == 3
        public_key = farm.identity.public_key
        assert farm.plotted_sectors() == {}
    assert (tmp_path / "farm" / PLOT_FILE).stat().st_size == 3 * SECTOR_SIZE
    assert (tmp_path / "farm" / PLOT_FILE).stat().st_blocks * 512 >= 3 * SECTOR_SIZE  # really reserved
    assert (tmp_path / "farm" / IDENTITY_FILE).stat().st_mode & 0o777 == 0o600
    with Farm.open(tmp_path / "farm") as farm:
        assert farm.identity.public_key == public_key
        assert json.loads((tmp_path / "farm" / FARM_FILE).read_text())["public_key"] == public_key.hex()


def test_sectors_round_trip_and_clearing_frees_the_slot(tmp_path: Path) -> None:
    with Farm.create_or_open(tmp_path, SIZE, PARAMS) as farm:
        farm.write_sector(1, sector_bytes(7), metadata(1))
        assert farm.read_sector(1) == sector_bytes(7)
        assert farm.read_at(1, 5, 3) == bytes([7, 7, 7])
        assert farm.plotted_sectors() == {1: metadata(1)}
        farm.clear_sector(1)
        assert farm.sector_metadata(1) is None
    with Farm.open(tmp_path) as farm:
        assert farm.plotted_sectors() == {}


def test_a_torn_metadata_entry_frees_the_slot_instead_of_trusting_it(tmp_path: Path) -> None:
    with Farm.create_or_open(tmp_path, SIZE, PARAMS) as farm:
        farm.write_sector(0, sector_bytes(1), metadata(0))
        farm.write_sector(2, sector_bytes(2), metadata(2))
    entry = compute_sector_metadata_size(PARAMS)
    with open(tmp_path / METADATA_FILE, "r+b") as file:  # a crash mid-write of sector 0's entry
        file.seek(64 + entry // 2)
        file.write(b"\xff" * 16)
    with Farm.open(tmp_path) as farm:
        assert set(farm.plotted_sectors()) == {2}


def test_an_interrupted_replot_leaves_the_slot_free_not_stale(tmp_path: Path) -> None:
    with Farm.create_or_open(tmp_path, SIZE, PARAMS) as farm:
        farm.write_sector(0, sector_bytes(1), metadata(0, history_size=1))
        farm.clear_sector(0)  # what write_sector does first; then the process dies mid-data
        os.pwrite(farm._plot, b"\x09" * 100, 0)
    with Farm.open(tmp_path) as farm:
        assert farm.sector_metadata(0) is None


def test_bad_writes_are_rejected_without_changing_the_farm(tmp_path: Path) -> None:
    with Farm.create_or_open(tmp_path, SIZE, PARAMS) as farm:
        farm.write_sector(0, sector_bytes(1), metadata(0))
        with pytest.raises(FarmError, match="expected"):
            farm.write_sector(0, sector_bytes(2)[:-1], metadata(0))
        with pytest.raises(FarmError, match="expected"):
            farm.write_sector(0, sector_bytes(2), metadata(1))
        with pytest.raises(FarmError, match="outside"):
            farm.write_sector(3, sector_bytes(2), metadata(3))
        with pytest.raises(FarmError, match="outside"):
            farm.read_at(0, SECTOR_SIZE - 1, 2)
        assert farm.read_sector(0) == sector_bytes(1)
        assert farm.plotted_sectors() == {0: metadata(0)}


def test_size_and_preset_mismatches_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FarmError, match="holds no sector"):
        Farm.create_or_open(tmp_path / "small", SECTOR_SIZE // 2, PARAMS)
    assert not (tmp_path / "small" / FARM_FILE).exists()
    Farm.create_or_open(tmp_path / "farm", SIZE, PARAMS).close()
    with pytest.raises(FarmError, match="cannot be resized"):
        Farm.create_or_open(tmp_path / "farm", SIZE * 2, PARAMS)
    with pytest.raises(FarmError, match="cannot be resized"):
        Farm.create_or_open(tmp_path / "farm", SIZE, DEV)


def test_damaged_farm_files_give_named_errors(tmp_path: Path) -> None:
    with pytest.raises(FarmError, match="not a farm"):
        Farm.open(tmp_path)
    Farm.create_or_open(tmp_path, SIZE, PARAMS).close()
    with open(tmp_path / PLOT_FILE, "ab") as plot:
        plot.write(b"\0")
    with pytest.raises(FarmError, match="plot.bin has"):
        Farm.open(tmp_path)
    os.truncate(tmp_path / PLOT_FILE, SECTOR_SIZE)
    # A truncated plot still opens: the sectors before the cut read, the others raise (no SIGBUS).
    with Farm.open(tmp_path) as farm:
        assert len(farm.read_at(0, 0, 16)) == 16
        farm.sector_view(0).release()
        with pytest.raises(FarmError, match="short read"):
            farm.read_at(1, 0, 16)
        with pytest.raises(FarmError, match="truncated"):
            farm.sector_view(1)
    (tmp_path / IDENTITY_FILE).rename(tmp_path / "identity.moved")
    with pytest.raises(FarmError, match="not a usable identity"):
        Farm.open(tmp_path)
    assert not (tmp_path / IDENTITY_FILE).exists()  # opening never creates a key
    (tmp_path / "identity.moved").rename(tmp_path / IDENTITY_FILE)
    (tmp_path / FARM_FILE).write_text("{not json")
    with pytest.raises(FarmError, match="not a valid farm description"):
        Farm.open(tmp_path)


def test_plan_farm_at_mainnet_sizes() -> None:
    sectors, sector_size = plan_farm(4 * 2**30, MAINNET)
    assert sector_size == 1_056_896_064
    assert sectors == 4 * 2**30 // (sector_size + 131_116)


def test_identity_signs_and_survives_reload(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path / "id")
    assert load_or_create_identity(tmp_path / "id") == identity
    signature = identity.sign(b"header")
    assert verify_signature(identity.public_key, b"header", signature)
    assert not verify_signature(identity.public_key, b"other", signature)
    assert not verify_signature(identity.public_key[:-1], b"header", signature)
    assert identity.seed.hex() not in repr(identity)
    (tmp_path / "bad").write_bytes(b"short")
    with pytest.raises(IdentityError, match="not a usable identity"):
        load_or_create_identity(tmp_path / "bad")
    with pytest.raises(IdentityError):
        FarmerIdentity(b"\0" * 31)
