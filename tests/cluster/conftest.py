"""One private local Ray instance for the whole session (address="local": never another cluster on the machine;
token auth off)."""

from __future__ import annotations

import contextlib
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


@pytest.fixture(autouse=True)
def _free_role_names(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test on the session's Ray instance, its named roles are gone before the next test creates roles
    of the same names (`get_if_exists` would otherwise attach the next network to a role the last one shut down)."""
    yield
    if "ray_session" not in request.fixturenames:
        return
    import gc
    import time

    import ray

    from autonomys.network.runtime import named_actors

    namespace = request.getfixturevalue("ray_session")
    gc.collect()  # the test's clients held the last handles of its non-detached roles
    give_up = time.monotonic() + 30
    while named_actors(namespace) and time.monotonic() < give_up:
        time.sleep(0.2)
    for name in named_actors(namespace):
        with contextlib.suppress(Exception):
            ray.kill(ray.get_actor(name, namespace=namespace))
