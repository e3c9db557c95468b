"""Module-scoped fixtures of the chain tests (`setup`, `first`), imported by each chain test module."""

from __future__ import annotations

from pathlib import Path

import pytest

from autonomys.protocol.consensus.chain import Block
from helpers.chain import ChainSetup, build_on, make_chain_setup


@pytest.fixture(scope="module", name="setup")
def chain_setup_fixture(tmp_path_factory: pytest.TempPathFactory) -> ChainSetup:
    """The chain tests' world: MINIMAL history, three sr25519 farmers with plotted sectors, the genesis."""
    return make_chain_setup(Path(tmp_path_factory.mktemp("history")))


@pytest.fixture(scope="module", name="first")
def first_block_fixture(setup: ChainSetup) -> Block:
    """Block 1 at the author's first winning slot from 5 on (so votes can come from slots before it)."""
    return build_on(setup.genesis, setup.genesis_hash, setup.author, setup.author.wins(5, 1)[0])
