"""`autonomys history synth`, `plot --workers 0` and `farm info` end to end on MINIMAL (no Ray started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from autonomys.cli.farm import ByteSize
from autonomys.cli.main import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("text", "size"),
    [("2GiB", 2 * 2**30), ("500MB", 500 * 10**6), ("1.5KiB", 1536), ("1073741824", 2**30), ("3 tib", 3 * 2**40)],
)
def test_sizes_parse(text: str, size: int) -> None:
    assert ByteSize().convert(text, None, None) == size


def test_synth_plot_and_info(tmp_path: Path) -> None:
    network, farm = str(tmp_path / "net"), str(tmp_path / "farm")
    code, output = run("history", "synth", "--data-dir", network, "--segments", "2", "--preset", "minimal")
    assert code == 0, output
    assert "2 segments archived" in output
    code, output = run("plot", "--path", farm, "--size", "40KiB", "--archive", network, "--workers", "0")
    assert code == 0, output
    assert "plotted 2 sectors; 2/2 sectors are plotted" in output
    assert "sector 1: written" in output
    code, output = run("farm", "info", farm, "--archive", network)
    assert code == 0, output
    assert "sector 0: plotted, history size 2" in output
    code, output = run("plot", "--path", farm, "--size", "40KiB", "--archive", network, "--workers", "0")
    assert "plotted 0 sectors" in output  # resuming plots nothing new


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--size", "2XB"], "is not a size"),
        (["--size", "0"], "must be positive"),
        (["--size", "1KiB"], "holds no sector"),
        (["--size", "1MiB", "--archive", "{tmp}/nowhere"], "holds no network"),
        (["--size", "1MiB", "--workers", "-1"], "-1"),
    ],
)
def test_plot_rejects_bad_arguments_with_one_line(tmp_path: Path, arguments: list[str], message: str) -> None:
    run("history", "synth", "--data-dir", str(tmp_path / "net"), "--segments", "1", "--preset", "minimal")
    arguments = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    code, output = run("plot", "--path", str(tmp_path / "farm"), "--archive", str(tmp_path / "net"), *arguments)
    assert code != 0
    assert message in output
    assert "Traceback" not in output
    assert not (tmp_path / "farm" / "plot.bin").exists()


def test_farm_info_on_a_non_farm(tmp_path: Path) -> None:
    code, output = run("farm", "info", str(tmp_path))
    assert code == 1
    assert "is not a farm" in output
