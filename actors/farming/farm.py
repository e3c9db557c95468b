"""A farm: one directory on one disk holding plotted sectors and their metadata.

Layout (all sizes fixed when the farm is created):
    farm.json      what the farm is: preset, public key, sector size, number of sectors (pydantic)
    identity.bin   the farmer's sr25519 seed (0600)
    plot.bin       max_sectors sector slots of sector_size bytes, pre-allocated
    metadata.bin   a header, then one checksummed SectorMetadata entry per sector slot

Durability: a sector's slot in metadata.bin is cleared (and fsynced) before its data is
overwritten, the data is written and fsynced, and only then is the new entry written and
fsynced. A sector is "plotted" exactly when its entry decodes with a valid checksum, so a crash
at any point leaves the previous state or an empty slot that is plotted again, never a sector
whose metadata describes other bytes.

Opening reads and never writes. A farm whose files are missing, of the wrong size, or do not decode
(farm.json, identity.bin, the metadata.bin header) raises CorruptFarm, naming the file and the fix; a
sector entry that does not decode is a free slot (above) and is plotted again.
"""

from __future__ import annotations

import json
import mmap
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from autonomys.actors.errors import CorruptStore, describe_error
from autonomys.actors.farming.identity import FarmerIdentity, IdentityError, load_identity, load_or_create_identity
from autonomys.actors.storage import write_file_durably
from autonomys.protocol.errors import ProtocolError
from autonomys.protocol.params import Params, get_preset
from autonomys.protocol.plotting.sectors import SectorMetadata, compute_sector_metadata_size, compute_sector_size

FARM_FORMAT_VERSION = 1
FARM_FILE = "farm.json"
IDENTITY_FILE = "identity.bin"
PLOT_FILE = "plot.bin"
METADATA_FILE = "metadata.bin"
METADATA_MAGIC = b"AUTFARM1"
METADATA_HEADER_SIZE = 64
# Farm.read_chunks: reads sampled (with RWF_NOWAIT) to tell a sector in the page cache from one on disk.
CACHE_PROBES = 32
FARM_FILE_ROLES = {
    FARM_FILE: "farm description",
    IDENTITY_FILE: "farmer identity",
    PLOT_FILE: "plot",
    METADATA_FILE: "sector metadata",
}


class FarmError(Exception):
    """The farm directory cannot be created, opened or written (space, permissions, mismatched config)."""


class CorruptFarm(CorruptStore, FarmError):
    """A farm file that is missing, of the wrong size or does not decode; the farm was left as it is."""


def corrupt_farm(path: Path, file: str, problem: str, restore: str = "") -> CorruptFarm:
    """CorruptFarm for `file` of the farm at `path`: restore it (or `restore` says how), or create the farm anew."""
    fix = restore or f"restore {path / file} from a backup"
    anew = (
        f"or delete {path} and create the farm anew (`autonomys plot --path {path} --size ...`, or a cluster launch): "
        "it gets a new identity and every sector is plotted again"
    )
    return CorruptFarm(FARM_FILE_ROLES[file], path / file, problem, f"{fix}; {anew}")


class FarmDescription(BaseModel):
    """farm.json: what a farm is. Written once when the farm is created."""

    format_version: int = FARM_FORMAT_VERSION
    farm_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    preset: str
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    pieces_in_sector: int = Field(gt=0, le=0xFFFF)
    sector_size: int = Field(gt=0)
    max_sectors: int = Field(gt=0, le=0xFFFF)
    allocated_bytes: int = Field(gt=0)


def compute_farm_size(params: Params, sectors: int) -> int:
    """Bytes a farm of `sectors` full sectors takes: sector data, metadata entries and the metadata header."""
    per_sector = compute_sector_size(params.max_pieces_in_sector, params) + compute_sector_metadata_size(params)
    return sectors * per_sector + METADATA_HEADER_SIZE


def plan_farm(size_bytes: int, params: Params) -> tuple[int, int]:
    """(max_sectors, sector_size) for a farm of `size_bytes`; FarmError if not even one sector fits."""
    sector_size = compute_sector_size(params.max_pieces_in_sector, params)
    per_sector = sector_size + compute_sector_metadata_size(params)
    max_sectors = min(0xFFFF, (size_bytes - METADATA_HEADER_SIZE) // per_sector)
    if max_sectors < 1:
        msg = f"a farm of {size_bytes:,} bytes holds no sector: one {params.name} sector needs {per_sector:,} bytes"
        raise FarmError(msg)
    return max_sectors, sector_size


class Farm:
    """An open farm directory. Files stay open; reads and writes are positional (pread/pwrite)."""

    def __init__(self, path: Path, description: FarmDescription, identity: FarmerIdentity, params: Params) -> None:
        self.path = path
        self.description = description
        self.identity = identity
        self.params = params
        self._plot = os.open(path / PLOT_FILE, os.O_RDWR)
        self._metadata = os.open(path / METADATA_FILE, os.O_RDWR)
        self._plot_map: mmap.mmap | None = None

    # -- creation and opening ---------------------------------------------------------------

    @classmethod
    def create_or_open(cls, path: Path, size_bytes: int, params: Params) -> Farm:
        """Open the farm at `path`, creating and pre-allocating it when the directory has none."""
        path = Path(path)
        if (path / FARM_FILE).exists():
            farm = cls.open(path)
            if farm.description.preset != params.name or farm.description.allocated_bytes != size_bytes:
                farm.close()
                msg = (
                    f"{path} is a {farm.description.preset} farm of {farm.description.allocated_bytes:,} bytes; "
                    f"asked for {params.name} with {size_bytes:,} bytes (farms cannot be resized or converted)"
                )
                raise FarmError(msg)
            return farm
        return cls._create(path, size_bytes, params)

    @classmethod
    def open(cls, path: Path) -> Farm:
        """Open an existing farm (never writes); FarmError when `path` is no farm, CorruptFarm when it is damaged."""
        path = Path(path)
        description = read_description(path)
        if description.format_version != FARM_FORMAT_VERSION:
            problem = f"format_version {description.format_version}; this version reads format {FARM_FORMAT_VERSION}"
            restore = f"open it with the version that created it, or restore {path / FARM_FILE} from a backup"
            raise corrupt_farm(path, FARM_FILE, problem, restore)
        try:
            params = get_preset(description.preset)
        except ProtocolError as error:
            raise corrupt_farm(path, FARM_FILE, describe_error(error)) from error
        if description.sector_size != compute_sector_size(description.pieces_in_sector, params):
            raise corrupt_farm(path, FARM_FILE, f"sector_size does not match preset {description.preset}")
        identity = _load_farm_identity(path, description)
        entry_size = compute_sector_metadata_size(params)
        _check_sector_count(path, description, entry_size)
        # A short plot.bin (truncated) still opens: sectors past its end fail their reads and are reported.
        _check_file_size(path, PLOT_FILE, description.max_sectors * description.sector_size, allow_shorter=True)
        _check_file_size(path, METADATA_FILE, METADATA_HEADER_SIZE + description.max_sectors * entry_size)
        _check_metadata_header(path, entry_size)
        return cls(path, description, identity, params)

    @classmethod
    def _create(cls, path: Path, size_bytes: int, params: Params) -> Farm:
        max_sectors, sector_size = plan_farm(size_bytes, params)
        _refuse_to_overwrite_plotted(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
            identity = load_or_create_identity(path / IDENTITY_FILE)
            entry_size = compute_sector_metadata_size(params)
            _allocate(path / PLOT_FILE, max_sectors * sector_size)
            _allocate(path / METADATA_FILE, METADATA_HEADER_SIZE + max_sectors * entry_size, _metadata_header(entry_size))
        except OSError as error:
            msg = f"cannot create a farm of {size_bytes:,} bytes at {path}: {error.strerror or error}"
            raise FarmError(msg) from error
        description = FarmDescription(
            farm_id=uuid.uuid4().hex,
            preset=params.name,
            public_key=identity.public_key.hex(),
            pieces_in_sector=params.max_pieces_in_sector,
            sector_size=sector_size,
            max_sectors=max_sectors,
            allocated_bytes=size_bytes,
        )
        write_file_durably(path / FARM_FILE, [description.model_dump_json(indent=2).encode()])
        return cls(path, description, identity, params)

    # -- sectors ----------------------------------------------------------------------------

    @property
    def max_sectors(self) -> int:
        return self.description.max_sectors

    @property
    def sector_size(self) -> int:
        return self.description.sector_size

    @property
    def metadata_entry_size(self) -> int:
        """Bytes of one checksummed SectorMetadata entry, fixed by the preset (131 116 at MAINNET)."""
        return compute_sector_metadata_size(self.params)

    def sector_metadata(self, sector_index: int) -> SectorMetadata | None:
        """The metadata of a plotted sector; None for a free slot (never written, cleared, or torn)."""
        self._check_index(sector_index)
        size = self.metadata_entry_size
        entry = _pread_exact(self._metadata, size, METADATA_HEADER_SIZE + sector_index * size)
        if entry == bytes(size):
            return None
        try:
            metadata = SectorMetadata.from_bytes(entry, self.params)
        except ProtocolError:
            return None
        return metadata if metadata.sector_index == sector_index else None

    def plotted_sectors(self) -> dict[int, SectorMetadata]:
        found = {index: self.sector_metadata(index) for index in range(self.max_sectors)}
        return {index: metadata for index, metadata in found.items() if metadata is not None}

    def clear_sector(self, sector_index: int) -> None:
        """Mark a slot free (durably) before its bytes are overwritten."""
        self._check_index(sector_index)
        size = self.metadata_entry_size
        _pwrite_all(self._metadata, bytes(size), METADATA_HEADER_SIZE + sector_index * size)
        os.fsync(self._metadata)

    def write_sector(self, sector_index: int, sector: bytes | bytearray | memoryview, metadata: SectorMetadata) -> None:
        """Store a plotted sector: clear its slot, write and fsync the data, then write and fsync the metadata."""
        self._check_index(sector_index)
        if len(sector) != self.sector_size or metadata.sector_index != sector_index:
            msg = f"sector {sector_index}: expected {self.sector_size:,} bytes for slot {sector_index}, got {len(sector):,}"
            raise FarmError(msg)
        entry = metadata.to_bytes()
        if len(entry) != self.metadata_entry_size:
            raise FarmError(f"metadata entry of {len(entry)} bytes, the farm stores {self.metadata_entry_size}")
        if self.sector_metadata(sector_index) is not None:
            self.clear_sector(sector_index)
        _pwrite_all(self._plot, sector, sector_index * self.sector_size)
        os.fsync(self._plot)
        _pwrite_all(self._metadata, entry, METADATA_HEADER_SIZE + sector_index * self.metadata_entry_size)
        os.fsync(self._metadata)

    def read_sector(self, sector_index: int) -> bytes:
        self._check_index(sector_index)
        return _pread_exact(self._plot, self.sector_size, sector_index * self.sector_size)

    def read_at(self, sector_index: int, offset: int, length: int) -> bytes:
        """`length` bytes at `offset` inside a sector (a farmer's audit and proving reads)."""
        self._check_index(sector_index)
        if offset < 0 or length < 0 or offset + length > self.sector_size:
            raise FarmError(f"read of {length} bytes at {offset} is outside a {self.sector_size}-byte sector")
        return _pread_exact(self._plot, length, sector_index * self.sector_size + offset)

    def read_chunks(self, sector_index: int, offsets: Sequence[int], size: int, *, prefetch: bool | None = None) -> bytes:
        """`size` bytes at each of `offsets` inside a sector, concatenated in that order (a proof gathers its
        record's 32 768 chunks, one from each s-bucket, ascending). When the pages miss the page cache (a sample
        read with RWF_NOWAIT would wait; `prefetch` forces the choice), every page is first requested at once with
        POSIX_FADV_WILLNEED, so the disk serves them in parallel instead of one page fault after another (~35-60 µs
        each: ~2 s for a record of a cold MAINNET sector, ~0.3-0.5 s this way)."""
        self._check_index(sector_index)
        if size <= 0 or (offsets and (min(offsets) < 0 or max(offsets) + size > self.sector_size)):
            raise FarmError(f"reads of {size} bytes at offsets outside a {self.sector_size}-byte sector")
        base = sector_index * self.sector_size
        if prefetch is None:
            prefetch = self._misses_cache(base, offsets, size)
        if prefetch:
            _advise_will_need(self._plot, [base + offset for offset in offsets], size)
        plot = self._plot
        chunks = [os.pread(plot, size, base + offset) for offset in offsets]
        data = b"".join(chunks)
        if len(data) != size * len(offsets):
            raise FarmError(f"short read gathering {len(offsets)} chunks of sector {sector_index}")
        return data

    def _misses_cache(self, base: int, offsets: Sequence[int], size: int) -> bool:
        """True when one of CACHE_PROBES reads spread over `offsets` would wait for the disk: a read with
        RWF_NOWAIT fails (or comes back short) instead of waiting. Where the flag is refused, assume a miss."""
        step = max(1, len(offsets) // CACHE_PROBES)
        buffer = memoryview(bytearray(size))
        for offset in offsets[::step][:CACHE_PROBES]:
            try:
                if os.preadv(self._plot, [buffer], base + offset, os.RWF_NOWAIT) != size:
                    return True
            except OSError:  # BlockingIOError (not cached), or a kernel or filesystem without RWF_NOWAIT
                return True
        return False

    def sector_view(self, sector_index: int) -> memoryview:
        """A read-only view of a sector through a mmap of plot.bin (MADV_RANDOM): proving touches only the pages
        of the chunks it reads. Release the view when done. FarmError if plot.bin ends inside this sector."""
        self._check_index(sector_index)
        start, end = sector_index * self.sector_size, (sector_index + 1) * self.sector_size
        # Touching a mapped page past the end of the file faults (SIGBUS) instead of raising: check first.
        size = os.fstat(self._plot).st_size
        if size < end:
            raise FarmError(f"{self.path / PLOT_FILE} ends at {size:,} bytes, inside sector {sector_index} (truncated?)")
        if self._plot_map is None or len(self._plot_map) < end:
            self._remap(min(size, self.max_sectors * self.sector_size))
        assert self._plot_map is not None
        return memoryview(self._plot_map)[start:end]

    def _remap(self, length: int) -> None:
        if self._plot_map is not None:
            try:
                self._plot_map.close()
            except BufferError:
                pass  # views still out keep the old mapping alive until released
        self._plot_map = mmap.mmap(self._plot, length, prot=mmap.PROT_READ)
        self._plot_map.madvise(mmap.MADV_RANDOM)

    def close(self) -> None:
        if self._plot_map is not None:
            try:
                self._plot_map.close()
            except BufferError:
                pass  # a view is still out; the mapping goes with the last one
            self._plot_map = None
        for descriptor in (self._plot, self._metadata):
            try:
                os.close(descriptor)
            except OSError:
                pass

    def __enter__(self) -> Farm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_index(self, sector_index: int) -> None:
        if not 0 <= sector_index < self.max_sectors:
            raise FarmError(f"sector {sector_index} is outside this farm's {self.max_sectors} sectors")


def read_description(path: Path) -> FarmDescription:
    """farm.json of the farm at `path`; FarmError when there is none, CorruptFarm when it does not decode."""
    path = Path(path)
    try:
        return FarmDescription.model_validate_json((path / FARM_FILE).read_bytes())
    except FileNotFoundError as error:
        raise FarmError(f"{path} is not a farm (no {FARM_FILE})") from error
    except (OSError, ValidationError, json.JSONDecodeError) as error:
        problem = f"not a valid farm description: {describe_error(error)}"
        raise corrupt_farm(path, FARM_FILE, problem) from error


def _load_farm_identity(path: Path, description: FarmDescription) -> FarmerIdentity:
    """identity.bin, which must hold the key farm.json names (opening never writes: a missing key is an error)."""
    restore = (
        f"restore {path / IDENTITY_FILE} from a backup (every plotted sector is bound to the key "
        f"{description.public_key[:16]}... named in {FARM_FILE})"
    )
    try:
        identity = load_identity(path / IDENTITY_FILE)
    except IdentityError as error:
        raise corrupt_farm(path, IDENTITY_FILE, str(error), restore) from error
    if identity.public_key.hex() != description.public_key:
        problem = f"it does not hold the key named in {FARM_FILE} (it holds {identity.public_key.hex()[:16]}...)"
        raise corrupt_farm(path, IDENTITY_FILE, problem, restore)
    return identity


def _check_sector_count(path: Path, description: FarmDescription, entry_size: int) -> None:
    """CorruptFarm naming farm.json when plot.bin and metadata.bin agree on a number of sectors it does not name."""
    try:
        plot_size, metadata_size = (path / PLOT_FILE).stat().st_size, (path / METADATA_FILE).stat().st_size
    except OSError:
        return  # the file size checks name the missing file
    sectors, rest = divmod(metadata_size - METADATA_HEADER_SIZE, entry_size)
    if rest == 0 and sectors != description.max_sectors and plot_size == sectors * description.sector_size:
        problem = (
            f"max_sectors is {description.max_sectors}, but {PLOT_FILE} and {METADATA_FILE} hold {sectors} sectors"
        )
        raise corrupt_farm(path, FARM_FILE, problem)


def _refuse_to_overwrite_plotted(path: Path) -> None:
    """CorruptFarm naming farm.json when it is missing from a farm that holds a plotted sector (creating the farm
    again would wipe it); a farm whose creation stopped before farm.json was written holds none, and is created."""
    try:
        plotted = _records_a_sector(path / METADATA_FILE)
    except FileNotFoundError:
        return
    except OSError as error:
        raise corrupt_farm(path, METADATA_FILE, describe_error(error)) from error
    if plotted:
        raise corrupt_farm(path, FARM_FILE, f"{FARM_FILE} is missing, but {METADATA_FILE} records plotted sectors")


def _records_a_sector(metadata: Path) -> bool:
    """True when any metadata entry (after the header) is not all zeros: a sector was plotted, or is being."""
    with open(metadata, "rb") as file:  # noqa: PTH123
        file.seek(METADATA_HEADER_SIZE)
        while chunk := file.read(1 << 20):
            if chunk.count(0) != len(chunk):
                return True
    return False


def _check_metadata_header(path: Path, entry_size: int) -> None:
    """metadata.bin must start with the header the farm was created with (magic, format version, entry size)."""
    try:
        with open(path / METADATA_FILE, "rb") as file:  # noqa: PTH123
            header = file.read(METADATA_HEADER_SIZE)
    except OSError as error:
        raise corrupt_farm(path, METADATA_FILE, describe_error(error)) from error
    if header != _metadata_header(entry_size):
        problem = (
            f"its {METADATA_HEADER_SIZE}-byte header is not a format {FARM_FORMAT_VERSION} header "
            f"for {entry_size}-byte entries"
        )
        raise corrupt_farm(path, METADATA_FILE, problem)


def _metadata_header(entry_size: int) -> bytes:
    header = METADATA_MAGIC + FARM_FORMAT_VERSION.to_bytes(4, "little") + entry_size.to_bytes(4, "little")
    return header.ljust(METADATA_HEADER_SIZE, b"\0")


def _allocate(file: Path, size: int, header: bytes = b"") -> None:
    """Create `file` with `size` bytes reserved on disk (ENOSPC now, not mid-plot), header first, fsynced."""
    descriptor = os.open(file, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.posix_fallocate(descriptor, 0, size)
        if header:
            _pwrite_all(descriptor, header, 0)
        os.fsync(descriptor)
    except OSError:
        os.close(descriptor)
        file.unlink(missing_ok=True)
        raise
    os.close(descriptor)


def _check_file_size(path: Path, name: str, expected: int, *, allow_shorter: bool = False) -> None:
    file = path / name
    try:
        actual = file.stat().st_size
    except OSError as error:
        raise corrupt_farm(path, name, error.strerror or str(error)) from error
    if actual != expected and not (allow_shorter and actual < expected):
        restore = f"restore {file} from a backup"
        if actual > expected:
            restore = (
                f"if {file} only grew at its end, `truncate -s {expected} {file}` restores it (then "
                f"`autonomys plots check {path}` verifies the sectors); else {restore}"
            )
        raise corrupt_farm(path, name, f"{name} has {actual:,} bytes, the farm needs {expected:,}", restore)


def _pwrite_all(descriptor: int, data: bytes | bytearray | memoryview, offset: int) -> None:
    view = memoryview(data).cast("B")
    while len(view) > 0:
        written = os.pwrite(descriptor, view, offset)
        view = view[written:]
        offset += written


def _advise_will_need(descriptor: int, offsets: Sequence[int], size: int) -> None:
    """Ask the kernel to read the pages under every [offset, offset + size) now, adjacent pages as one range."""
    page = mmap.PAGESIZE
    pages = sorted({offset // page for offset in offsets} | {(offset + size - 1) // page for offset in offsets})
    start = previous = pages[0] if pages else 0
    for number in pages[1:]:
        if number != previous + 1:
            os.posix_fadvise(descriptor, start * page, (previous + 1 - start) * page, os.POSIX_FADV_WILLNEED)
            start = number
        previous = number
    if pages:
        os.posix_fadvise(descriptor, start * page, (previous + 1 - start) * page, os.POSIX_FADV_WILLNEED)


def _pread_exact(descriptor: int, length: int, offset: int) -> bytes:
    data = os.pread(descriptor, length, offset)
    if len(data) != length:
        raise FarmError(f"short read: {len(data)} of {length} bytes at offset {offset}")
    return data
