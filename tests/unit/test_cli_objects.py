"""The object commands' input checks (no network is contacted for bad input) and the DSN's deployment plan."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from autonomys.cli.main import main
from autonomys.network.caches import dsn_names, plan_caches
from autonomys.network.spec import ClusterSpec
from autonomys.protocol.params import DEV, MINIMAL


def test_get_rejects_a_malformed_id_before_connecting(tmp_path: Path) -> None:
    output = tmp_path / "out.bin"
    result = CliRunner().invoke(main, ["get", "not-an-id", "-o", str(output), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "64 hex" in result.output
    assert not output.exists()


def test_get_into_a_missing_directory_names_the_path_given(tmp_path: Path, monkeypatch) -> None:
    """Checked before connecting: the error names OUTPUT as given (no internal .part file), nothing is written."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["get", "ab" * 32, "-o", "missing_dir/x", "--address", "127.0.0.1:1"])
    assert result.exit_code == 1
    assert "cannot write missing_dir/x: the directory missing_dir does not exist" in result.output
    assert ".part" not in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("")
    result = CliRunner().invoke(main, ["get", "ab" * 32, "-o", "file/x", "--address", "127.0.0.1:1"])
    assert result.exit_code == 1
    assert "cannot write file/x: file is not a directory" in result.output


def test_put_needs_an_existing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["put", str(tmp_path / "missing.bin")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_get_without_a_network_is_one_line_and_exit_1(tmp_path: Path, monkeypatch) -> None:
    """No devnet published in the data dir and nothing at the address: a clear error, no traceback."""
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:1")
    result = CliRunner().invoke(main, ["get", "ab" * 32, "-o", str(tmp_path / "o"), "--address", "127.0.0.1:1"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output


def test_cache_plan_standalone_peers_and_farm_shares(tmp_path: Path) -> None:
    spec = ClusterSpec(preset="dev", cache_peers=2, cache_percentage=10.0)
    big, small = 64 * DEV.piece_size, 5 * DEV.piece_size
    plans = plan_caches(spec, DEV, tmp_path, [("farmer-0", "/f0", big, "node-a"), ("farmer-1", "/f1", small, None)])
    assert [(plan.name, plan.capacity_pieces, plan.node_id) for plan in plans] == [
        ("cache-0", DEV.num_pieces // 4, None),
        ("cache-1", DEV.num_pieces // 4, None),
        ("cache-farmer-0", 6, "node-a"),  # 10 % of 64 pieces; farmer-1's 0.5 piece share is no cache
    ]
    assert plans[2].directory == "/f0/cache"
    names = dsn_names(plans, ["farmer-1"], "cache-farmer-0")
    assert names.cache_peers == ("cache-0", "cache-1", "cache-farmer-0")
    assert (names.local_cache, names.farmers, names.archiver) == ("cache-farmer-0", ("farmer-1",), "archiver")


def test_cache_plan_honours_an_explicit_capacity_and_host(tmp_path: Path) -> None:
    spec = ClusterSpec(preset="minimal", cache_peers=1, cache_pieces=40, cache_percentage=0.0)
    plans = plan_caches(spec, MINIMAL, tmp_path, [("farmer-0", "/f0", 10**9, None)], service_node="head")
    assert [(plan.name, plan.capacity_pieces, plan.node_id) for plan in plans] == [("cache-0", 40, "head")]
