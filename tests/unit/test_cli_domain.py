"""`autonomys domain` and `devnet --domain`: bad arguments are named errors before anything runs; a network's
domains are fixed at genesis."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from autonomys.cli.domain import AI3, parse_account, parse_amount
from autonomys.cli.main import main
from autonomys.network.genesis import ConfigError, GenesisConfig, load_or_create_genesis, write_genesis


@pytest.mark.parametrize(("text", "shannon"), [("1", AI3), ("2.5", 5 * AI3 // 2), ("0", 0), ("0.000000000000000001", 1)])
def test_amounts_are_ai3_with_decimals(text: str, shannon: int) -> None:
    assert parse_amount(text) == shannon


@pytest.mark.parametrize("text", ["-1", "abc", "0.0000000000000000001", "1e40", ""])
def test_bad_amounts_are_named(text: str) -> None:
    with pytest.raises(Exception, match="amount|Shannon"):
        parse_amount(text)


def test_accounts_are_64_hex_digits_or_dev() -> None:
    assert len(parse_account("dev")) == 32
    assert parse_account("ab" * 32) == bytes([0xAB]) * 32
    for bad in ("ab" * 31, "zz" * 32, "devs"):
        with pytest.raises(Exception, match="hex|bytes"):
            parse_account(bad)


def test_commands_fail_in_one_line_without_a_network(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["domain", "status", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "no devnet running" in result.output
    result = runner.invoke(main, ["domain", "transfer", "nobody", "1", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0 and "neither `dev` nor 64 hex digits" in result.output
    result = runner.invoke(main, ["devnet", "--domain", "wasm", "--data-dir", str(tmp_path / "net")])
    assert result.exit_code == 2 and "no such runtime" in result.output
    assert not (tmp_path / "net").exists()


def test_a_network_keeps_the_domains_it_was_created_with(tmp_path: Path) -> None:
    config = GenesisConfig(preset="minimal", genesis_hash="00" * 32, pot_slot_iterations=16, domains=("balances",))
    write_genesis(tmp_path, config)
    assert load_or_create_genesis(tmp_path, "minimal", None)[0].domains == ("balances",)
    assert load_or_create_genesis(tmp_path, "minimal", ("balances",))[1] is False
    with pytest.raises(ConfigError, match="domains are fixed at genesis"):
        load_or_create_genesis(tmp_path, "minimal", ("balances", "balances"))
    with pytest.raises(Exception, match="unknown domain runtime"):
        GenesisConfig(preset="minimal", genesis_hash="00" * 32, pot_slot_iterations=16, domains=("wasm",))
