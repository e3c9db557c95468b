"""One backend parametrization for every kernel test module.

A test module names the facade it tests in `KERNEL` (e.g. `KERNEL = pot`). A test that takes `backend`
then runs once per name of `KERNEL.available_backends()` (every C path this CPU runs, and "reference");
one that takes `native_backend` runs once per C path only, for checks the pure-Python reference is too
slow for. Each run compares its backend with the reference or with known answers, so every SIMD path and
the portable path get their own equivalence assertion.
"""

from __future__ import annotations

import pytest

from autonomys.kernels._backends import REFERENCE


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    kernel = getattr(metafunc.module, "KERNEL", None)
    if kernel is None:
        return
    backends = kernel.available_backends()
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends, indirect=True, scope="module")
    if "native_backend" in metafunc.fixturenames:
        native = [name for name in backends if name != REFERENCE]
        metafunc.parametrize("native_backend", native, indirect=True, scope="module")


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """A backend of the module's KERNEL, the reference included (module-scoped, so Hypothesis tests take it)."""
    return request.param


@pytest.fixture(scope="module")
def native_backend(request: pytest.FixtureRequest) -> str:
    """A C backend of the module's KERNEL."""
    return request.param
