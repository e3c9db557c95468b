"""One private local Ray instance for the whole session (address="local": never another cluster on the machine;
token auth off)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from autonomys.network.spec import ClusterSpec

TESTS_DIR = str(Path(__file__).resolve().parents[1])


@pytest.fixture(scope="session")
def ray_session() -> Iterator[str]:
    os.environ["RAY_AUTH_MODE"] = "disabled"
    import ray

    namespace = f"test-{uuid.uuid4().hex[:8]}"
    ray.init(
        address="local",
        num_cpus=2,
        resources=ClusterSpec().local_resources(plotting_workers=2, farms=2),
        include_dashboard=False,
        namespace=namespace,
        _node_ip_address="127.0.0.1",
        # Workers import test helpers (tests/helpers) the way the driver does.
        runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [TESTS_DIR, os.environ.get("PYTHONPATH")]))}},
    )
    yield namespace
    ray.shutdown()
