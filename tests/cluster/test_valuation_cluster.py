"""The TMC-Shapley valuation fanned out as Ray tasks (network.compose.create_shapley_fan_out) on the session's
local Ray: the same values, errors and permutation count as the in-process run, and a bad chunk's named error."""

from __future__ import annotations

import pytest

from autonomys.actors.ai.valuation import ChunkRequest, example_task, value_exact, value_tmc
from autonomys.network.compose import create_shapley_fan_out
from autonomys.protocol.ai.shapley import InvalidEstimateRequest

pytestmark = pytest.mark.cluster


def test_ray_fan_out_equals_the_in_process_run(ray_session: str) -> None:
    task = example_task(seed=1)
    fan_out = create_shapley_fan_out()
    remote = value_tmc(task, 60, b"ray-test", tolerance=0.005, chunks=4, fan_out=fan_out)
    local = value_tmc(task, 60, b"ray-test", tolerance=0.005, chunks=4)
    assert remote == local and remote.permutations == 60
    exact = value_exact(task).values
    assert all(abs(v - t) <= 4 * e for v, e, t in zip(remote.values, remote.standard_errors, exact, strict=True))


def test_a_bad_chunk_raises_its_named_error_through_ray(ray_session: str) -> None:
    with pytest.raises(InvalidEstimateRequest):
        create_shapley_fan_out()(example_task(seed=1), [ChunkRequest(b"bad", 5, 5, 0.0)])
