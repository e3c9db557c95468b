"""Where a role gets its KZG setup: the ceremony file when configured, else the insecure dev setup.

The dev setup takes seconds to generate at MAINNET size, so it is cached on disk (per size) and
reloaded by every process that needs it (archiver, plotting and commitment workers).

Cache file: a 48-byte header (magic, G1 and G2 power counts, sha256 of the body), then the setup in
the ceremony file's layout. Header and body are written together to a temporary file and renamed into
place, so readers see the old file or the new one; processes that build it at once each rename a
complete copy. A cache that is unreadable, short, from an older version (no header) or fails its
checksum is never loaded: it is regenerated and replaced, with a warning.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autonomys.protocol.constants import G1_COMPRESSED_SIZE, G2_COMPRESSED_SIZE
from autonomys.protocol.errors import InvalidKzgSetup
from autonomys.protocol.kzg import Kzg

logger = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "autonomys"
DEV_NUM_G2_POWERS = 2
CACHE_MAGIC = b"AUTKZGC1"
CACHE_HEADER = struct.Struct("<8sII32s")
"""magic, number of G1 powers, number of G2 powers, sha256 of the body (little-endian counts)."""


@dataclass(frozen=True, slots=True)
class KzgSetup:
    """How to obtain the setup; small and picklable, so it travels to Ray workers instead of the points."""

    path: str | None = None
    """The Ethereum ceremony file (checked by length and sha256); None selects the insecure dev setup."""
    num_g1_powers: int = 32_768
    """Dev setup size: at least the number of chunks in a record."""
    cache_dir: str = str(DEFAULT_CACHE_DIR)


@functools.lru_cache(maxsize=4)
def load_kzg(setup: KzgSetup) -> Kzg:
    """The setup's Kzg, loaded once per process."""
    if setup.path is not None:
        return Kzg.from_file(setup.path)
    return load_dev_setup(dev_cache_file(setup), setup.num_g1_powers)


def dev_cache_file(setup: KzgSetup) -> Path:
    return Path(setup.cache_dir) / f"kzg-insecure-dev-{setup.num_g1_powers}.bin"


def load_dev_setup(cache: Path, num_g1_powers: int) -> Kzg:
    """The dev setup from `cache`, or (missing or failing its check: warned) generated and cached anew."""
    try:
        return decode_dev_cache(cache.read_bytes(), num_g1_powers)
    except FileNotFoundError:
        pass  # the first use: nothing to warn about
    except (OSError, InvalidKzgSetup) as error:
        logger.warning("KZG dev setup cache %s is not usable (%s); rebuilding it", cache, error)
    kzg = Kzg.dev_setup(num_g1_powers, DEV_NUM_G2_POWERS)
    try:
        write_dev_cache(cache, kzg)
    except OSError as error:
        logger.warning("cannot write the KZG dev setup cache %s (%s); using the setup without caching it", cache, error)
    return kzg


def encode_dev_cache(kzg: Kzg) -> bytes:
    """Header (with the body's sha256) followed by the setup's bytes."""
    body = kzg.to_bytes()
    header = CACHE_HEADER.pack(CACHE_MAGIC, len(kzg.g1_powers), len(kzg.g2_powers), hashlib.sha256(body).digest())
    return header + body


def decode_dev_cache(data: bytes, num_g1_powers: int) -> Kzg:
    """The setup of a cache file; InvalidKzgSetup when its header, length or checksum do not check."""
    if len(data) < CACHE_HEADER.size or not data.startswith(CACHE_MAGIC):
        msg = f"no {CACHE_MAGIC.decode()} checksum header (a cache from an older version, or damaged)"
        raise InvalidKzgSetup(msg)
    _, g1_count, g2_count, digest = CACHE_HEADER.unpack_from(data)
    if (g1_count, g2_count) != (num_g1_powers, DEV_NUM_G2_POWERS):
        msg = f"header says {g1_count} G1 / {g2_count} G2 powers, expected {num_g1_powers} / {DEV_NUM_G2_POWERS}"
        raise InvalidKzgSetup(msg)
    body = data[CACHE_HEADER.size :]
    expected_length = num_g1_powers * G1_COMPRESSED_SIZE + DEV_NUM_G2_POWERS * G2_COMPRESSED_SIZE
    if len(body) != expected_length:
        msg = f"body is {len(body)} bytes, expected {expected_length}"
        raise InvalidKzgSetup(msg)
    if hashlib.sha256(body).digest() != digest:
        msg = "sha256 of the body does not match its header"
        raise InvalidKzgSetup(msg)
    try:
        return Kzg.from_bytes(
            body,
            num_g1_powers=num_g1_powers,
            num_g2_powers=DEV_NUM_G2_POWERS,
            expected_sha256=None,
            label="insecure-dev",
        )
    except (ValueError, TypeError) as error:  # the binding's own errors for points that do not decode
        raise InvalidKzgSetup(f"points do not decode: {error}") from error


def write_dev_cache(cache: Path, kzg: Kzg) -> None:
    """Write the cache atomically: a temporary file unique to this writer, fsync, then rename over `cache`."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{cache.name}.", suffix=".tmp", dir=cache.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(encode_dev_cache(kzg))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # noqa: PTH101 - mkstemp creates 0600; the cache is shared by the user's processes
        Path(temporary).replace(cache)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


def setup_for(record_num_chunks: int, path: str | None = None) -> KzgSetup:
    """The ceremony file at `path`, or the dev setup just large enough for records of this many chunks.

    Dev setups of different sizes share their powers (a prefix), so they produce the same commitments.
    """
    return KzgSetup(path=path) if path is not None else KzgSetup(num_g1_powers=record_num_chunks)
