"""The executor bot job's arguments: malformed ones exit 2 naming the argument, an unreachable JSON-RPC exits 1
naming the URL; neither starts anything."""

from __future__ import annotations

import socket

import pytest

pytest.importorskip("eth_account")

from autonomys.jobs.executor_bot import main, parse_hex  # noqa: E402

MANAGER = "0x" + "ab" * 20
KEY = "0x" + "01" * 32


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--manager", "0x1234", "--key", KEY], "--manager: expected 40 hex digits"),
        (["--manager", MANAGER, "--key", "zz" * 32], "--key: expected 64 hex digits"),
        (["--manager", MANAGER, "--key", KEY, "--poll-seconds", "0"], "--poll-seconds"),
    ],
)
def test_malformed_arguments_exit_2(arguments: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(arguments) == 2
    assert words in capsys.readouterr().err


def test_an_unreachable_rpc_exits_1_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    assert main(["--rpc", url, "--manager", MANAGER, "--key", KEY]) == 1
    error = capsys.readouterr().err
    assert error.startswith("executor bot job:") and url in error and error.count("\n") == 1


def test_parse_hex_takes_an_optional_prefix() -> None:
    assert parse_hex("ab" * 20, 20, "x") == parse_hex("0x" + "ab" * 20, 20, "x") == bytes([0xAB]) * 20
