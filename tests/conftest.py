"""Shared fixtures. Outside tests/cluster, starting Ray is an error (unit tests run in milliseconds)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

VECTORS = Path(__file__).parent / "vectors"


@pytest.fixture(autouse=True)
def _forbid_ray_init(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "cluster" in request.path.parts:
        return
    try:
        import ray
    except ImportError:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        msg = "unit tests must not start Ray; put the test under tests/cluster"
        raise RuntimeError(msg)

    monkeypatch.setattr(ray, "init", refuse)


@pytest.fixture
def seeded_random() -> random.Random:
    return random.Random(0x5EED)


@pytest.fixture(scope="session")
def pot_vectors() -> dict:
    return json.loads((VECTORS / "pot.json").read_text())
