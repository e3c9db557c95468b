"""Print the Ray custom resources this host advertises, as JSON. Standard library only.

`ray up` runs this as a setup command on every host, so it must work before the project's
dependencies import. The `ray start` commands then read the files it writes
(`--resources="$(cat …/ray-resources.json)"`, `--labels-file=…/ray-labels.json`).

Resources (zero-valued ones are left out, as ClusterSpec.local_resources does):
- `ssd`: one unit per farm directory that exists. The directories come from `--farm-dir` arguments,
  else from `$AUTONOMYS_FARM_DIRS` (`:`-separated), which each host sets in its `~/.bashrc`
  because the setup command is the same on every host. One unit places one Farmer (plot shard).
- `plotter`: the CPUs this process may use minus one (left for raylet, the farmer's audits and the
  timekeeper), or `--plotters` / `$AUTONOMYS_PLOTTERS`.
- `timekeeper`: 1 with `--head` only: the timekeeper runs next to the head's control plane.

Labels: `storage=ssd` when the host has a farm, and `host=<short hostname>` so a topology can pin a
farm to a host by name.

The resource names must match network/spec.py (the unit test checks them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
from pathlib import Path

# Names copied from network/spec.py: this script cannot import the project.
TIMEKEEPER_RESOURCE = "timekeeper"
PLOTTER_RESOURCE = "plotter"
SSD_RESOURCE = "ssd"
FARM_DIRS_ENV = "AUTONOMYS_FARM_DIRS"
PLOTTERS_ENV = "AUTONOMYS_PLOTTERS"
RESOURCES_FILE = "ray-resources.json"
LABELS_FILE = "ray-labels.json"
# Ray (Kubernetes) label value syntax: a hostname that does not fit gets no `host` label.
LABEL_VALUE = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?")


def usable_cpus() -> int:
    """CPUs this process may run on (honours taskset/cpuset), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def configured_farm_dirs(arguments: list[str] | None) -> list[str]:
    """Farm directories from the command line, else from the environment."""
    if arguments is not None:
        return arguments
    value = os.environ.get(FARM_DIRS_ENV, "")
    return [part for part in value.split(":") if part.strip() != ""]


def existing_farm_dirs(candidates: list[str]) -> list[Path]:
    """The configured directories that exist, once each; the others are reported on stderr."""
    found: list[Path] = []
    for candidate in candidates:
        path = Path(candidate).expanduser()
        # A disk that is not mounted yet must not advertise a slot: a Farmer placed there would fail.
        if not path.is_dir():
            print(f"detect_resources: farm directory {path} does not exist; not counted", file=sys.stderr)
            continue
        resolved = path.resolve()
        # Two spellings of one directory are one farm.
        if resolved in found:
            print(f"detect_resources: farm directory {path} is listed twice; counted once", file=sys.stderr)
            continue
        found.append(resolved)
    return found


def compute_resources(farms: int, plotters: int, head: bool) -> dict[str, int]:
    """The custom resources to advertise, without zero-valued entries."""
    resources = {SSD_RESOURCE: farms, PLOTTER_RESOURCE: plotters, TIMEKEEPER_RESOURCE: 1 if head else 0}
    return {name: amount for name, amount in resources.items() if amount > 0}


def compute_labels(farms: int, hostname: str) -> dict[str, str]:
    labels = {}
    if farms > 0:
        labels["storage"] = "ssd"
    short = hostname.split(".")[0]
    if LABEL_VALUE.fullmatch(short) is not None:
        labels["host"] = short
    return labels


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` in one step, so `ray start` never reads a half-written file."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Print the Ray custom resources of this host as JSON.")
    parser.add_argument("--head", action="store_true", help="this host is the head: advertise the timekeeper")
    parser.add_argument("--farm-dir", action="append", dest="farm_dirs", default=None,
                        help=f"a farm directory on this host (repeat; default: ${FARM_DIRS_ENV}, ':'-separated)")  # fmt: skip
    parser.add_argument("--plotters", type=int, default=None,
                        help=f"plotter units (default: ${PLOTTERS_ENV}, else usable CPUs minus one)")  # fmt: skip
    parser.add_argument("--out-dir", type=Path, default=None,
                        help=f"also write {RESOURCES_FILE} and {LABELS_FILE} into this directory")  # fmt: skip
    return parser.parse_args(argv)


def plotter_units(requested: int | None) -> int:
    text = os.environ.get(PLOTTERS_ENV, "").strip()
    if requested is None and text != "":
        if not text.isdigit():
            msg = f"${PLOTTERS_ENV} must be a whole number >= 0, got {text!r}"
            raise ValueError(msg)
        requested = int(text)
    if requested is None:
        return usable_cpus() - 1
    if requested < 0:
        msg = f"plotter units must be >= 0, got {requested}"
        raise ValueError(msg)
    return requested


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        plotters = plotter_units(arguments.plotters)
    except ValueError as error:
        print(f"detect_resources: {error}", file=sys.stderr)
        return 2
    farms = len(existing_farm_dirs(configured_farm_dirs(arguments.farm_dirs)))
    resources = compute_resources(farms, plotters, arguments.head)
    labels = compute_labels(farms, socket.gethostname())
    if arguments.out_dir is not None:
        arguments.out_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(arguments.out_dir / RESOURCES_FILE, json.dumps(resources, sort_keys=True) + "\n")
        write_atomically(arguments.out_dir / LABELS_FILE, json.dumps(labels, sort_keys=True) + "\n")
    print(json.dumps(resources, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
