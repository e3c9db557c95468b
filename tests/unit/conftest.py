"""Fixtures shared by the farming-side unit tests: a MINIMAL dev KZG setup and two archived segments.

Modules that need other sizes define their own `setup` / `history`, which take precedence."""

from __future__ import annotations

import pytest

from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.protocol.params import MINIMAL
from helpers.history import ArchivedHistory, archived_history


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> KzgSetup:
    return KzgSetup(num_g1_powers=MINIMAL.record_num_chunks, cache_dir=str(tmp_path_factory.mktemp("kzg")))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, setup: KzgSetup) -> ArchivedHistory:
    return archived_history(tmp_path_factory.mktemp("archive"), MINIMAL, load_kzg(setup), segments=2)
