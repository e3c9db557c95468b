"""Waiting in tests: `wait_until` is the one poll loop; tests wait on a condition, never on a sleep.

A predicate that raises counts as "not yet" (a role that Ray is restarting raises for a while). When the deadline
passes, the test fails with its message and the predicate's last exception or value, so a failure explains itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NoReturn, TypeVar

import pytest

T = TypeVar("T")

POLL_SECONDS = 0.02
"""Seconds between two calls of the predicate (a call that takes longer just delays the next one)."""
ACTOR_POLL_SECONDS = 0.1
"""The interval for a predicate that calls Ray actors: a status call every 20 ms takes CPU from the roles under test."""


def wait_until(
    predicate: Callable[[], T],
    deadline: float,
    message: str | Callable[[], str],
    *,
    interval: float = POLL_SECONDS,
    ignoring: tuple[type[Exception], ...] = (Exception,),
    fail: Callable[[str], NoReturn] = pytest.fail,
) -> T:
    """The first truthy value `predicate` returns, polling for at most `deadline` seconds (it is called at least once).

    An exception of the `ignoring` types counts as a falsy value (`ignoring=()`: any exception fails at once, for a
    predicate that asserts what must never happen while it waits). Past the deadline `fail` is called (pytest.fail;
    a script run as a subprocess passes sys.exit) with `message` (a callable is called then, to show a log or the
    roles' statuses) and the last exception or value."""
    give_up = time.monotonic() + deadline
    while True:
        try:
            value = predicate()
        except ignoring as error:
            last = f"last error: {type(error).__name__}: {error}"
        else:
            if value:
                return value
            last = f"last value: {value!r}"
        if time.monotonic() >= give_up:
            break
        time.sleep(interval)
    try:
        text = message() if callable(message) else message
    except Exception as error:  # noqa: BLE001 - a message that reads a role which is down must not hide the timeout
        text = f"(the message raised {type(error).__name__}: {error})"
    fail(f"{text} (not within {deadline:g} s; {last})")
