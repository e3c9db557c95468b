"""Where a role gets its KZG setup: the ceremony file when configured, else the insecure dev setup.

The dev setup takes seconds to generate at MAINNET size, so it is cached on disk (per size) and
reloaded by every process that needs it (archiver, plotting and commitment workers).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from autonomys.protocol.kzg import Kzg

DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "autonomys"


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
    cache = Path(setup.cache_dir) / f"kzg-insecure-dev-{setup.num_g1_powers}.bin"
    if cache.exists():
        return Kzg.from_bytes(
            cache.read_bytes(), num_g1_powers=setup.num_g1_powers, num_g2_powers=2, expected_sha256=None, label="insecure-dev"
        )
    kzg = Kzg.dev_setup(setup.num_g1_powers)
    cache.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(kzg.to_bytes())
    temporary.replace(cache)
    return kzg


def setup_for(record_num_chunks: int, path: str | None = None) -> KzgSetup:
    """The ceremony file at `path`, or the dev setup just large enough for records of this many chunks.

    Dev setups of different sizes share their powers (a prefix), so they produce the same commitments.
    """
    return KzgSetup(path=path) if path is not None else KzgSetup(num_g1_powers=record_num_chunks)
