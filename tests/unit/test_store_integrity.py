"""Stored state that fails to load at start: every role names the file and the fix, and changes nothing on disk.

Each test damages the bytes a role stored (in a temporary directory), opens the role's plain class (no
Ray), expects CorruptStore (or its role-specific subclass) whose message names the path and the fix, and
compares the directory before and after the failed open.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path

import pytest

from autonomys.actors.dsn.cache_peer import CACHE_DIRECTORY, IDENTITY_FILE, CachePeer, CachePeerConfig
from autonomys.actors.dsn.peer_identity import CorruptPeerKey, PeerIdentity, PeerIdentityError
from autonomys.actors.dsn.piece_cache import CACHE_FILE, DATABASE_DIRECTORY, PieceCacheStore, piece_key
from autonomys.actors.errors import CorruptStore
from autonomys.actors.farming.farm import FARM_FILE, METADATA_FILE, PLOT_FILE, CorruptFarm, Farm, FarmError
from autonomys.actors.farming.farm import IDENTITY_FILE as FARM_IDENTITY_FILE
from autonomys.actors.farming.identity import FarmerIdentity
from autonomys.actors.kzg_setup import KzgSetup
from autonomys.actors.storage import RocksKVStore, StorageError, StoreCorrupted
from autonomys.actors.timekeeper.service import (
    STATE_KEY,
    SUBSCRIBER_PREFIX,
    Timekeeper,
    TimekeeperConfig,
    TimekeeperService,
)
from autonomys.protocol.dsn.piece_cache import compute_piece_distance
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.plotting.sectors import SectorMetadata, compute_sector_metadata_size, compute_sector_size
from autonomys.protocol.timekeeper.pot import PotSeed
from helpers.links import LocalLinks

GENESIS = PotSeed(bytes([5]) * 16)
ROCKSDB_BOOKKEEPING = re.compile(r"^(LOG(\.old\.\d+)?|LOCK|CURRENT|MANIFEST-\d+|OPTIONS-\d+)$")


# ---- helpers: what "nothing on disk changed" compares ----


def snapshot(root: Path) -> dict[str, object]:
    """Every file's bytes, and every RocksDB database's keys and values (read-only).

    RocksDB rewrites its own bookkeeping (info LOG, MANIFEST, CURRENT, OPTIONS, an empty new write-ahead
    log) on every open, so those are left out of the file bytes; the data they describe is compared instead.
    """
    state: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if path.is_dir():
            if (path / "CURRENT").exists():
                state[relative + "/"] = rocksdb_contents(path)
            continue
        in_database = (path.parent / "CURRENT").exists()
        if in_database and (ROCKSDB_BOOKKEEPING.match(path.name) or path.stat().st_size == 0):
            continue
        state[relative] = path.read_bytes()
    return state


def rocksdb_contents(path: Path) -> object:
    try:
        store = RocksKVStore(path, read_only=True)
    except StoreCorrupted:
        return "corrupted"
    try:
        return list(store.items_with_prefix(b""))
    except StoreCorrupted:
        return "corrupted"
    finally:
        store.close()


def flip_bit(file: Path, bit: int) -> None:
    data = bytearray(file.read_bytes())
    data[bit // 8] ^= 1 << (bit % 8)
    file.write_bytes(bytes(data))


def the_table_file(database: Path) -> Path:
    (table,) = database.glob("*.sst")
    return table


def assert_names_path_and_fix(error: CorruptStore, path: Path, *fix_words: str) -> None:
    message = str(error)
    assert str(path) in message, message
    assert error.path == str(path)
    for word in fix_words:
        assert word in error.fix, (word, error.fix)
    assert pickle.loads(pickle.dumps(error)).args == error.args  # Ray ships it between processes


def test_corrupt_store_message_and_pickling() -> None:
    error = CorruptStore("timekeeper state", "/x/timekeeper", "DecodeError: short", "restore it")
    assert str(error) == "timekeeper state in /x/timekeeper cannot be loaded (DecodeError: short): restore it"
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.fix) == (CorruptStore, str(error), "restore it")
    farm = pickle.loads(pickle.dumps(CorruptFarm("plot", "/f/plot.bin", "short", "restore")))
    assert isinstance(farm, FarmError) and isinstance(farm, CorruptStore)


# ---- the timekeeper (STATE_KEY in data_dir/timekeeper) ----


def timekeeper_dir(tmp_path: Path, slots: int = 3) -> Path:
    store = RocksKVStore(tmp_path / "timekeeper")
    timekeeper = Timekeeper(MINIMAL, GENESIS, store)
    for _ in range(slots):
        timekeeper.prove_next_slot()
    store.put(SUBSCRIBER_PREFIX + b"node", b"")
    store.close()
    return tmp_path / "timekeeper"


def rewrite_state(directory: Path, damage: object) -> None:
    store = RocksKVStore(directory)
    saved = store.get(STATE_KEY)
    assert saved is not None
    store.put(STATE_KEY, damage(saved))  # type: ignore[operator]
    store.close()


def bad_iterations(saved: bytes) -> bytes:
    return saved[:9] + (17).to_bytes(4, "little") + saved[13:]  # next_slot_input.slot_iterations: not a multiple of 16


@pytest.mark.parametrize(
    "damage",
    [
        bad_iterations,
        lambda saved: saved[:-1],
        lambda saved: b"\x09" + saved[1:],
        lambda saved: saved + b"\0",
        lambda _: b"",
    ],
    ids=["bad-iterations", "truncated", "unknown-version", "trailing-byte", "empty"],
)
def test_an_undecodable_timekeeper_state_names_the_store_and_the_fix(tmp_path: Path, damage: object) -> None:
    directory = timekeeper_dir(tmp_path)
    rewrite_state(directory, damage)
    before = snapshot(tmp_path)
    config = TimekeeperConfig(str(tmp_path), MINIMAL, bytes(GENESIS), autostart=False)
    with pytest.raises(CorruptStore, match="DecodeError") as raised:
        TimekeeperService(config, LocalLinks())
    assert_names_path_and_fix(raised.value, directory, f"restore {directory}", f"delete {directory}", "genesis")
    assert raised.value.what == "timekeeper state"
    assert snapshot(tmp_path) == before
    # The failed open released the database: the plain core over the same store says the same.
    store = RocksKVStore(directory)
    with pytest.raises(CorruptStore, match="DecodeError"):
        Timekeeper(MINIMAL, GENESIS, store)
    store.close()


def test_damaged_timekeeper_database_files_name_the_store_and_the_fix(tmp_path: Path) -> None:
    directory = timekeeper_dir(tmp_path)
    table = the_table_file(directory)
    config = TimekeeperConfig(str(tmp_path), MINIMAL, bytes(GENESIS), autostart=False)
    for bit in range(0, table.stat().st_size * 8, 97):
        flip_bit(table, bit)
        before = snapshot(tmp_path)
        with pytest.raises(CorruptStore, match="StoreCorrupted: cannot (open|read) RocksDB store") as raised:
            TimekeeperService(config, LocalLinks())
        assert_names_path_and_fix(raised.value, directory, f"delete {directory}")
        assert snapshot(tmp_path) == before
        flip_bit(table, bit)


def test_a_damaged_write_ahead_log_record_is_an_error_not_a_silent_restart(tmp_path: Path) -> None:
    """A state only in the write-ahead log (the process died): RocksDB's default recovery dropped a damaged
    record silently, and the timekeeper restarted from genesis. Now the open fails and says so."""
    store = RocksKVStore(tmp_path / "live")
    timekeeper = Timekeeper(MINIMAL, GENESIS, store)
    timekeeper.prove_next_slot()
    shutil.copytree(tmp_path / "live", tmp_path / "timekeeper")  # the files as a killed process leaves them
    store.close()
    (log,) = [file for file in (tmp_path / "timekeeper").glob("*.log") if file.stat().st_size > 0]
    flip_bit(log, 8 * (log.stat().st_size // 2))
    config = TimekeeperConfig(str(tmp_path), MINIMAL, bytes(GENESIS), autostart=False)
    with pytest.raises(CorruptStore, match="Corruption") as raised:
        TimekeeperService(config, LocalLinks())
    assert_names_path_and_fix(raised.value, tmp_path / "timekeeper", "restore")


def test_a_torn_last_log_record_is_still_dropped_as_a_crash(tmp_path: Path) -> None:
    """Tolerate-corrupted-tail: the write a crash cut short is dropped, the writes before it are kept."""
    store = RocksKVStore(tmp_path / "live")
    store.put(b"first", b"1" * 100)
    store.put(b"second", b"2" * 100)
    shutil.copytree(tmp_path / "live", tmp_path / "copy")
    store.close()
    (log,) = [file for file in (tmp_path / "copy").glob("*.log") if file.stat().st_size > 0]
    log.write_bytes(log.read_bytes()[:-10])
    reopened = RocksKVStore(tmp_path / "copy")
    assert (reopened.get(b"first"), reopened.get(b"second")) == (b"1" * 100, None)
    reopened.close()


# ---- cache peers: peer.key and the slot map (cache/db, cache/cache.bin) ----


def open_peer(directory: Path, setup: KzgSetup, capacity: int = 4) -> CachePeer:
    config = CachePeerConfig("cache-0", str(directory), MINIMAL, setup, capacity)
    return CachePeer(config, object(), lambda first: [], LocalLinks().cache_peer)  # type: ignore[arg-type]


def cache_peer_dir(tmp_path: Path, pieces: tuple[int, ...] = (3, 17, 40)) -> tuple[Path, PeerIdentity]:
    """A cache peer's directory holding `pieces` at the distances its key gives."""
    identity = PeerIdentity.load_or_create(tmp_path / IDENTITY_FILE)
    store = PieceCacheStore(tmp_path / CACHE_DIRECTORY, MINIMAL, 4)
    for index in pieces:
        store.put(index, bytes([index]) * MINIMAL.piece_size, compute_piece_distance(index, identity.peer_id))
    store.close()
    return tmp_path, identity


def test_a_healthy_cache_peer_reopens_with_its_pieces(tmp_path: Path, setup: KzgSetup) -> None:
    directory, identity = cache_peer_dir(tmp_path)
    peer = open_peer(directory, setup)
    assert peer.peer_id() == identity.peer_id
    assert sorted(peer.store.contents()) == [3, 17, 40]
    peer.shutdown()


@pytest.mark.parametrize("seed", [b"\x01" * 31, b"\x01" * 33, b""], ids=["short", "long", "empty"])
def test_an_unusable_peer_key_names_the_file_and_the_fix(tmp_path: Path, setup: KzgSetup, seed: bytes) -> None:
    directory, _ = cache_peer_dir(tmp_path)
    (directory / IDENTITY_FILE).write_bytes(seed)
    before = snapshot(directory)
    with pytest.raises(CorruptPeerKey, match="not a usable peer key file") as raised:
        open_peer(directory, setup)
    assert isinstance(raised.value, PeerIdentityError)
    assert_names_path_and_fix(raised.value, directory / IDENTITY_FILE, "restore", "delete it", "new key")
    assert snapshot(directory) == before


def test_a_missing_peer_key_is_not_corruption(tmp_path: Path) -> None:
    with pytest.raises(PeerIdentityError) as raised:
        PeerIdentity.load(tmp_path / "missing.key")
    assert not isinstance(raised.value, CorruptStore)


@pytest.mark.parametrize(
    ("key", "value"),
    [(piece_key(17), b"\0" * 39), (piece_key(17), b"\0" * 41), (piece_key(17)[:-1], b"\0" * 40)],
    ids=["short-value", "long-value", "short-key"],
)
def test_a_malformed_slot_map_entry_names_the_database_and_the_fix(
    tmp_path: Path, setup: KzgSetup, key: bytes, value: bytes
) -> None:
    directory, _ = cache_peer_dir(tmp_path)
    database = directory / CACHE_DIRECTORY / DATABASE_DIRECTORY
    store = RocksKVStore(database)
    store.put(key, value)
    store.close()
    before = snapshot(directory)
    with pytest.raises(CorruptStore, match="-byte value") as raised:
        open_peer(directory, setup)
    assert_names_path_and_fix(raised.value, database, f"delete {directory / CACHE_DIRECTORY}", "keeps its peer key")
    assert snapshot(directory) == before


def test_a_stored_distance_the_key_does_not_give_names_the_database(tmp_path: Path, setup: KzgSetup) -> None:
    """A damaged mapping (its piece index or distance changed) disagrees with the peer key."""
    directory, identity = cache_peer_dir(tmp_path)
    database = directory / CACHE_DIRECTORY / DATABASE_DIRECTORY
    store = RocksKVStore(database)
    value = bytearray(store.get(piece_key(17)) or b"")
    value[20] ^= 0x10  # a bit of the distance
    store.put(piece_key(17), bytes(value))
    store.close()
    before = snapshot(directory)
    with pytest.raises(CorruptStore, match="1 of 3 stored pieces are mapped at another distance") as raised:
        open_peer(directory, setup)
    assert_names_path_and_fix(raised.value, database, f"delete {directory / CACHE_DIRECTORY}")
    assert snapshot(directory) == before


def test_a_replaced_peer_key_is_named_when_no_stored_distance_fits(tmp_path: Path, setup: KzgSetup) -> None:
    directory, _ = cache_peer_dir(tmp_path)
    (directory / IDENTITY_FILE).write_bytes(bytes(range(32)))  # another valid key: a different peer id
    before = snapshot(directory)
    with pytest.raises(CorruptStore, match="3 of 3 stored pieces") as raised:
        open_peer(directory, setup)
    assert_names_path_and_fix(
        raised.value,
        directory / CACHE_DIRECTORY / DATABASE_DIRECTORY,
        f"{directory / IDENTITY_FILE} was replaced",
        "restore",
    )
    assert snapshot(directory) == before


def test_a_deleted_peer_key_starts_a_new_peer_that_evicts_the_old_pieces(tmp_path: Path, setup: KzgSetup) -> None:
    """The fix the peer key error offers: a new key is created and the pieces it does not want are evicted."""
    directory, identity = cache_peer_dir(tmp_path)
    (directory / IDENTITY_FILE).unlink()
    peer = open_peer(directory, setup)
    assert peer.peer_id() != identity.peer_id
    peer.sync_once()
    assert peer.store.contents() == {}
    peer.shutdown()


def test_a_cache_file_shorter_than_its_mapped_slots_names_it(tmp_path: Path, setup: KzgSetup) -> None:
    directory, _ = cache_peer_dir(tmp_path)
    cache_file = directory / CACHE_DIRECTORY / CACHE_FILE
    cache_file.write_bytes(cache_file.read_bytes()[: MINIMAL.piece_size])
    before = snapshot(directory)
    with pytest.raises(CorruptStore, match="mapped to slot 1 past its end") as raised:
        open_peer(directory, setup)
    assert_names_path_and_fix(raised.value, cache_file, f"delete {directory / CACHE_DIRECTORY}")
    assert snapshot(directory) == before
    cache_file.unlink()
    with pytest.raises(CorruptStore, match="cache.bin is missing"):
        open_peer(directory, setup)
    assert not cache_file.exists()


def test_damaged_slot_map_database_files_name_the_database(tmp_path: Path, setup: KzgSetup) -> None:
    directory, _ = cache_peer_dir(tmp_path)
    database = directory / CACHE_DIRECTORY / DATABASE_DIRECTORY
    table = the_table_file(database)
    for bit in range(0, table.stat().st_size * 8, 89):
        flip_bit(table, bit)
        before = snapshot(directory)
        with pytest.raises(CorruptStore, match="StoreCorrupted") as raised:
            open_peer(directory, setup)
        assert_names_path_and_fix(raised.value, database, f"delete {directory / CACHE_DIRECTORY}")
        assert snapshot(directory) == before
        flip_bit(table, bit)


# ---- farms: farm.json, identity.bin, plot.bin, metadata.bin as Farm.open loads them ----

SECTOR_SIZE = compute_sector_size(MINIMAL.max_pieces_in_sector, MINIMAL)
ENTRY_SIZE = compute_sector_metadata_size(MINIMAL)
FARM_SIZE = 2 * (SECTOR_SIZE + ENTRY_SIZE) + 64


def farm_dir(tmp_path: Path) -> Path:
    Farm.create_or_open(tmp_path / "farm", FARM_SIZE, MINIMAL).close()
    return tmp_path / "farm"


def expect_corrupt_farm(path: Path, file: str, match: str, *fix_words: str) -> CorruptFarm:
    before = snapshot(path)
    with pytest.raises(CorruptFarm, match=match) as raised:
        Farm.open(path)
    assert_names_path_and_fix(raised.value, path / file, *fix_words, f"delete {path} and create the farm anew")
    assert snapshot(path) == before
    with pytest.raises(CorruptFarm):  # what callers reach through create_or_open, too
        Farm.create_or_open(path, FARM_SIZE, MINIMAL)
    assert snapshot(path) == before
    return raised.value


def edit_description(path: Path, **fields: object) -> None:
    description = json.loads((path / FARM_FILE).read_text())
    (path / FARM_FILE).write_text(json.dumps({**description, **fields}))


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        ({"text": "{not json"}, "not a valid farm description"),
        ({"text": ""}, "not a valid farm description"),
        ({"max_sectors": 0}, "not a valid farm description"),
        ({"public_key": "zz" * 32}, "not a valid farm description"),
        ({"format_version": 2}, "format_version 2"),
        ({"preset": "NOPE"}, "NOPE"),
        ({"sector_size": SECTOR_SIZE + 1}, "sector_size does not match"),
        ({"max_sectors": 3}, "max_sectors is 3, but plot.bin and metadata.bin hold 2 sectors"),
    ],
    ids=[
        "not-json",
        "empty",
        "invalid-field",
        "bad-key",
        "newer-format",
        "unknown-preset",
        "sector-size",
        "max-sectors",
    ],
)
def test_a_damaged_farm_description_names_farm_json_and_the_fix(tmp_path: Path, damage: dict, match: str) -> None:
    path = farm_dir(tmp_path)
    if "text" in damage:
        (path / FARM_FILE).write_text(damage["text"])
    else:
        edit_description(path, **damage)
    expect_corrupt_farm(path, FARM_FILE, match, "restore")


def test_a_missing_farm_description_is_not_a_farm(tmp_path: Path) -> None:
    with pytest.raises(FarmError, match="not a farm") as raised:
        Farm.open(tmp_path)
    assert not isinstance(raised.value, CorruptStore)


def test_a_missing_description_of_a_plotted_farm_is_not_recreated_over_it(tmp_path: Path) -> None:
    """Creating the farm again would truncate plot.bin and metadata.bin: refused while a sector is recorded."""
    path = farm_dir(tmp_path)
    (path / FARM_FILE).unlink()
    Farm.create_or_open(path, FARM_SIZE, MINIMAL).close()  # nothing plotted yet (creation stopped early): created
    with Farm.open(path) as farm:
        sizes = bytes([1, 0]) * MINIMAL.num_s_buckets
        farm.write_sector(1, b"\x07" * SECTOR_SIZE, SectorMetadata(1, MINIMAL.max_pieces_in_sector, sizes, 1))
    (path / FARM_FILE).unlink()
    before = snapshot(path)
    with pytest.raises(CorruptFarm, match="farm.json is missing, but metadata.bin records plotted sectors") as raised:
        Farm.create_or_open(path, FARM_SIZE, MINIMAL)
    assert_names_path_and_fix(raised.value, path / FARM_FILE, "restore", f"delete {path}")
    assert snapshot(path) == before


def test_a_damaged_or_replaced_farmer_identity_names_identity_bin(tmp_path: Path) -> None:
    path = farm_dir(tmp_path)
    seed = (path / FARM_IDENTITY_FILE).read_bytes()
    (path / FARM_IDENTITY_FILE).write_bytes(seed[:-1])
    expect_corrupt_farm(path, FARM_IDENTITY_FILE, "not a usable identity", "restore", "bound to the key")
    (path / FARM_IDENTITY_FILE).write_bytes(FarmerIdentity.generate().seed)
    expect_corrupt_farm(path, FARM_IDENTITY_FILE, "does not hold the key named in farm.json", "restore")
    (path / FARM_IDENTITY_FILE).unlink()
    expect_corrupt_farm(path, FARM_IDENTITY_FILE, "not a usable identity", "restore")
    assert not (path / FARM_IDENTITY_FILE).exists()


def test_a_grown_or_missing_plot_names_plot_bin_and_how_to_restore_it(tmp_path: Path) -> None:
    path = farm_dir(tmp_path)
    with open(path / PLOT_FILE, "ab") as plot:
        plot.write(b"\0" * 10)
    error = expect_corrupt_farm(path, PLOT_FILE, "plot.bin has", f"truncate -s {2 * SECTOR_SIZE} {path / PLOT_FILE}")
    assert f"autonomys plots check {path}" in error.fix
    (path / PLOT_FILE).unlink()
    expect_corrupt_farm(path, PLOT_FILE, "No such file", "restore")


def test_every_one_bit_corruption_of_the_metadata_header_is_named(tmp_path: Path) -> None:
    path = farm_dir(tmp_path)
    metadata = path / METADATA_FILE
    for bit in range(64 * 8):
        flip_bit(metadata, bit)
        before = snapshot(path)
        with pytest.raises(CorruptFarm, match="header is not a format 1 header") as raised:
            Farm.open(path)
        assert_names_path_and_fix(raised.value, metadata, "restore", "create the farm anew")
        assert snapshot(path) == before
        flip_bit(metadata, bit)
    with Farm.open(path) as farm:
        assert farm.plotted_sectors() == {}


def test_a_resized_or_missing_metadata_file_names_metadata_bin(tmp_path: Path) -> None:
    path = farm_dir(tmp_path)
    metadata = path / METADATA_FILE
    metadata.write_bytes(metadata.read_bytes()[:-1])
    expect_corrupt_farm(path, METADATA_FILE, "metadata.bin has", "restore")
    metadata.unlink()
    expect_corrupt_farm(path, METADATA_FILE, "No such file", "restore")


def test_storage_errors_keep_their_type() -> None:
    assert issubclass(StoreCorrupted, StorageError)
