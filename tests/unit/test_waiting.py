"""helpers.waiting.wait_until: the value it returns, what a timeout reports, which exceptions wait and which fail."""

from __future__ import annotations

import itertools
from typing import NoReturn

import pytest

from helpers.waiting import wait_until


def test_the_first_truthy_value_is_returned() -> None:
    calls = itertools.count(1)
    assert wait_until(lambda: max(0, next(calls) - 2) and "ready", 5, "never") == "ready"
    assert next(calls) == 4  # called three times, no more


def test_a_timeout_fails_with_the_message_and_the_last_value() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"the count to grow \(not within 0.05 s; last value: 0\)"):
        wait_until(lambda: 0, 0.05, "the count to grow", interval=0.01)


def test_exceptions_count_as_not_yet_and_the_last_one_is_reported() -> None:
    attempts = itertools.count()

    def restarting() -> bool:
        if next(attempts) < 3:
            raise ConnectionError("actor restarting")
        return True

    def gone() -> bool:
        raise ConnectionError("gone")

    assert wait_until(restarting, 5, "the actor to answer", interval=0)
    with pytest.raises(pytest.fail.Exception, match="last error: ConnectionError: gone"):
        wait_until(gone, 0.05, "never", interval=0.01)


def test_ignoring_nothing_lets_the_first_exception_through() -> None:
    def exited() -> bool:
        raise AssertionError("the process exited")

    with pytest.raises(AssertionError, match="the process exited"):
        wait_until(exited, 5, "never", ignoring=())


def test_a_callable_message_is_read_at_the_deadline_and_fail_can_be_replaced() -> None:
    seen: list[str] = []

    def give_up(message: str) -> NoReturn:
        seen.append(message)
        raise SystemExit(message)

    with pytest.raises(SystemExit):
        wait_until(lambda: None, 0.02, lambda: "log: the last line", interval=0.01, fail=give_up)
    assert seen == ["log: the last line (not within 0.02 s; last value: None)"]
