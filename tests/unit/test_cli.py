"""The CLI's PoT commands and the devnet's config checks (no Ray started)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from autonomys.cli.main import main
from autonomys.network.genesis import ConfigError, load_or_create_genesis, prepare_data_dir

SEED = "d666ccd8d593c23da8db6b5b1413b13a"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_prove_prints_known_checkpoints(pot_vectors: dict) -> None:
    code, output = run("pot", "prove", "--seed", SEED, "--iterations", "160", "--json")
    assert code == 0
    assert json.loads(output)["checkpoints"] == pot_vectors["protocol"]["checkpoints"]


def test_gossip_round_trip_through_verify() -> None:
    code, gossip = run("pot", "prove", "--seed", SEED, "--iterations", "160", "--slot", "7", "--gossip")
    assert code == 0
    assert len(bytes.fromhex(gossip.strip())) == 156
    assert run("pot", "verify", "--gossip", gossip.strip()) == (0, "valid\n")
    tampered = gossip.strip()[:-2] + ("00" if gossip.strip()[-2:] != "00" else "01")
    code, output = run("pot", "verify", "--gossip", tampered)
    assert code == 1
    assert "INVALID" in output


def test_verify_with_explicit_fields(pot_vectors: dict) -> None:
    checkpoints = "".join(pot_vectors["protocol"]["checkpoints"])
    args = ("pot", "verify", "--seed", SEED, "--checkpoints", checkpoints)
    assert run(*args, "--iterations", "160")[0] == 0
    assert run(*args, "--iterations", "176")[0] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pot", "prove", "--seed", "zz", "--iterations", "160"), "is not hex"),
        (("pot", "prove", "--seed", "00", "--iterations", "160"), "needs 16 bytes"),
        (("pot", "prove", "--seed", SEED, "--iterations", "100"), "not a multiple of 16"),
        (("pot", "prove", "--iterations", "160"), "exactly one of --seed or --genesis-hash"),
        (("pot", "prove", "--seed", SEED, "--iterations", "160", "--backend", "gpu"), "Invalid value"),
        (("pot", "verify", "--seed", SEED), "give --gossip"),
        (("pot", "verify", "--gossip", "00" * 156), "NonZeroU32"),
        (("devnet", "--slots", "0"), "Invalid value"),
    ],
)
def test_bad_arguments_give_clear_errors(args: tuple[str, ...], message: str) -> None:
    code, output = run(*args)
    assert code != 0
    assert message in output
    assert "Traceback" not in output


def test_unusable_data_dir_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="not usable"):
        prepare_data_dir(blocker / "sub")
    code, output = run("devnet", "--data-dir", str(blocker / "sub"), "--slots", "1")
    assert code == 1
    assert "not usable" in output


def test_genesis_is_created_once_and_checked(tmp_path: Path) -> None:
    config, created = load_or_create_genesis(tmp_path, "minimal")
    assert created
    again, created_again = load_or_create_genesis(tmp_path, "minimal")
    assert (again, created_again) == (config, False)
    with pytest.raises(ConfigError, match="holds a 'minimal' network"):
        load_or_create_genesis(tmp_path, "dev")
    (tmp_path / "genesis.json").write_text(json.dumps({**config.model_dump(), "pot_slot_iterations": 17}))
    with pytest.raises(ConfigError, match="multiple of 16"):
        load_or_create_genesis(tmp_path, "minimal")
    (tmp_path / "genesis.json").write_text("{")
    with pytest.raises(ConfigError, match="not a valid genesis config"):
        load_or_create_genesis(tmp_path, "minimal")


def test_version_names_the_installed_package() -> None:
    from importlib.metadata import version

    assert run("--version") == (0, f"autonomys, version {version('autonomys')}\n")
