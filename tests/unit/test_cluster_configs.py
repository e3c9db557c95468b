"""Offline checks of everything `clusters/` hands to `ray up` and to the bootstrap job. No Ray is started.

- Every ray-up YAML goes through Ray's own `prepare_config` (defaults merged, node types filled) and
  `validate_config` (the JSON schema `ray up` applies). Both read only files shipped in the wheel. `ray up`
  then runs the provider's `fillout_available_node_types_resources` and `bootstrap_config`, which for AWS
  need boto3 and credentials (instance-type lookups, IAM, subnets): those are not run here.
- The start commands advertise what the roles of network/spec.py ask for: on premises through the files
  clusters/detect_resources.py writes (run here as a subprocess with the standard library only), on AWS
  through each node type's `resources` and `labels`.
- The topology model: the example loads, and each mistake raises TopologyError naming key and fix.
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from ray.autoscaler._private.util import prepare_config, validate_config

from autonomys.clusters import detect_resources
from autonomys.clusters.topology import (
    Topology,
    TopologyError,
    compute_missing_resources,
    load_topology,
    parse_size,
    required_resources,
)
from autonomys.network.spec import PLOTTER_RESOURCE, SSD_RESOURCE, TIMEKEEPER_RESOURCE, ClusterSpec

ROOT = Path(__file__).resolve().parents[2]
CLUSTERS = ROOT / "clusters"
DETECT = CLUSTERS / "detect_resources.py"
EXAMPLE = CLUSTERS / "topology.example.yaml"
COMMAND_KEYS = (
    "initialization_commands", "setup_commands", "head_setup_commands", "worker_setup_commands",
    "head_start_ray_commands", "worker_start_ray_commands",
)  # fmt: skip
VENV_ON_PATH = 'export PATH="$HOME/autonomys-venv/bin:$PATH"'


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def ray_up_configs() -> list[Path]:
    """Every clusters/*.yaml that `ray up` takes (it has a provider); topology files have none."""
    return [path for path in sorted(CLUSTERS.glob("*.yaml")) if "provider" in load_yaml(path)]


def role_options() -> dict[str, dict[str, float]]:
    spec = ClusterSpec()
    return {
        "timekeeper": spec.timekeeper.resources,
        "archiver": spec.archiver.resources,
        "farmer": spec.farmer.resources,
    }


def all_commands(config: dict) -> list[str]:
    commands = [command for key in COMMAND_KEYS for command in config.get(key, [])]
    for node_type in config.get("available_node_types", {}).values():
        commands += node_type.get("worker_setup_commands", []) + node_type.get("initialization_commands", [])
    return commands


def ray_start_command(commands: list[str]) -> str:
    (command,) = [command for command in commands if "ray start" in command]
    return command


def run_detect(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """detect_resources.py as `ray up` runs it, with -I -S: no site-packages, so only the standard library."""
    environment = {"PATH": os.environ.get("PATH", ""), **(env or {})}
    return subprocess.run(
        [sys.executable, "-I", "-S", str(DETECT), *arguments],
        capture_output=True, text=True, env=environment, timeout=30, check=False,
    )  # fmt: skip


# -- ray up configs: Ray's own validation ---------------------------------------------------------


def test_the_ray_up_configs_are_found() -> None:
    assert {path.name for path in ray_up_configs()} >= {"onprem.yaml", "aws.yaml"}


@pytest.mark.parametrize("path", ray_up_configs(), ids=lambda path: path.name)
def test_ray_validates_the_config(path: Path) -> None:
    prepared = prepare_config(copy.deepcopy(load_yaml(path)))
    validate_config(prepared)
    assert prepared["head_node_type"] in prepared["available_node_types"]


def test_ray_validation_catches_the_colon_gotcha() -> None:
    # A plain scalar with ": " is a mapping, not a command: the schema (commands are strings) rejects it.
    config = load_yaml(CLUSTERS / "onprem.yaml")
    config["setup_commands"] = yaml.safe_load("- echo ready: yes")
    with pytest.raises(jsonschema.ValidationError):
        validate_config(prepare_config(config))


@pytest.mark.parametrize("path", ray_up_configs(), ids=lambda path: path.name)
def test_every_command_is_a_string_bash_can_parse(path: Path) -> None:
    for command in all_commands(load_yaml(path)):
        assert isinstance(command, str)
        result = subprocess.run(["bash", "-n", "-c", command], capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode == 0, f"{command!r}: {result.stderr}"


# -- ray up configs: what every cluster config must hold ----------------------


@pytest.mark.parametrize("path", ray_up_configs(), ids=lambda path: path.name)
def test_setup_installs_the_repository_with_the_pinned_ray(path: Path) -> None:
    config = load_yaml(path)
    assert config["file_mounts"]["~/autonomys"] == "."
    assert config["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"
    install = " ".join(config["setup_commands"])
    assert "-m venv ~/autonomys-venv" in install
    assert f'"ray[default]=={importlib.metadata.version("ray")}" -e ~/autonomys' in install
    assert any("RAY_AUTH_MODE=token" in command for command in config["initialization_commands"])


@pytest.mark.parametrize("path", ray_up_configs(), ids=lambda path: path.name)
def test_start_commands_put_the_venv_on_path(path: Path) -> None:
    config = load_yaml(path)
    for key in ("head_start_ray_commands", "worker_start_ray_commands"):
        # Every command runs in its own shell: each one needs the venv, including `ray stop`.
        assert all(command.startswith(VENV_ON_PATH) for command in config[key]), key
        start = ray_start_command(config[key])
        assert "RAY_AUTH_MODE=token" in start
        assert "ulimit -n 65536;" in start
        assert "--object-store-memory=" in start
    head = ray_start_command(config["head_start_ray_commands"])
    assert "--dashboard-host=127.0.0.1" in head
    assert "--autoscaling-config=~/ray_bootstrap_config.yaml" in head


# -- on premises: the start commands advertise what detect_resources.py wrote ----------------------


def detect_out_dir(commands: list[str]) -> tuple[Path, bool]:
    """(the --out-dir, whether --head is passed) of the one detect_resources.py call in `commands`."""
    (command,) = [command for command in commands if "detect_resources.py" in command]
    words = shlex.split(command)
    return Path(words[words.index("--out-dir") + 1]), "--head" in words


def advertised_files(start: str) -> tuple[Path, Path]:
    resources = re.search(r'--resources="\$\(cat ([^)]+)\)"', start)
    labels = re.search(r'--labels-file="([^"]+)"', start)
    assert resources is not None and labels is not None, start
    return Path(resources.group(1)), Path(labels.group(1).replace("$HOME", "~"))


@pytest.mark.parametrize(("setup_key", "start_key", "head"), [
    ("head_setup_commands", "head_start_ray_commands", True),
    ("worker_setup_commands", "worker_start_ray_commands", False),
])  # fmt: skip
def test_onprem_start_reads_the_files_detect_resources_writes(setup_key: str, start_key: str, head: bool) -> None:
    config = load_yaml(CLUSTERS / "onprem.yaml")
    out_dir, passes_head = detect_out_dir(config[setup_key])
    assert passes_head == head  # the timekeeper resource only on the head
    resources, labels = advertised_files(ray_start_command(config[start_key]))
    assert resources == out_dir / detect_resources.RESOURCES_FILE
    assert labels == out_dir / detect_resources.LABELS_FILE


def test_onprem_is_a_local_provider_with_ssh() -> None:
    config = load_yaml(CLUSTERS / "onprem.yaml")
    assert config["provider"]["type"] == "local"
    assert isinstance(config["provider"]["head_ip"], str)
    assert len(config["provider"]["worker_ips"]) >= 1
    assert {"ssh_user", "ssh_private_key"} <= set(config["auth"])


def test_detect_resources_uses_the_spec_names() -> None:
    assert detect_resources.TIMEKEEPER_RESOURCE == TIMEKEEPER_RESOURCE
    assert detect_resources.PLOTTER_RESOURCE == PLOTTER_RESOURCE
    assert detect_resources.SSD_RESOURCE == SSD_RESOURCE


def test_detect_resources_on_the_head_and_a_worker_cover_every_role(tmp_path: Path) -> None:
    farms = [tmp_path / "farm0", tmp_path / "farm1"]
    for farm in farms:
        farm.mkdir()
    head = run_detect("--head", "--plotters", "1", "--out-dir", str(tmp_path / "head"))
    worker = run_detect("--farm-dir", str(farms[0]), "--farm-dir", str(farms[1]), "--plotters", "3",
                        "--out-dir", str(tmp_path / "worker"))  # fmt: skip
    assert head.returncode == 0 and worker.returncode == 0, head.stderr + worker.stderr
    assert json.loads(head.stdout) == {TIMEKEEPER_RESOURCE: 1, PLOTTER_RESOURCE: 1}
    assert json.loads(worker.stdout) == {SSD_RESOURCE: 2, PLOTTER_RESOURCE: 3}
    written = json.loads((tmp_path / "worker" / detect_resources.RESOURCES_FILE).read_text())
    assert written == json.loads(worker.stdout)
    labels = json.loads((tmp_path / "worker" / detect_resources.LABELS_FILE).read_text())
    assert labels["storage"] == "ssd"
    advertised = json.loads(head.stdout).keys() | json.loads(worker.stdout).keys()
    for role, resources in role_options().items():
        assert resources.keys() <= advertised, role
    assert PLOTTER_RESOURCE in advertised


def test_detect_resources_counts_existing_farm_dirs_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "farm0").mkdir()
    farm_dirs = f"{tmp_path / 'farm0'}:{tmp_path / 'missing'}:{tmp_path / 'farm0'}/"
    result = run_detect("--plotters", "0", env={detect_resources.FARM_DIRS_ENV: farm_dirs})
    assert result.returncode == 0
    assert json.loads(result.stdout) == {SSD_RESOURCE: 1}
    assert "missing does not exist; not counted" in result.stderr
    assert "listed twice" in result.stderr


def test_detect_resources_defaults_to_cpus_minus_one_and_no_farms() -> None:
    result = run_detect()
    assert result.returncode == 0
    expected = len(os.sched_getaffinity(0)) - 1
    assert json.loads(result.stdout) == ({PLOTTER_RESOURCE: expected} if expected > 0 else {})


def test_detect_resources_rejects_a_bad_plotter_count() -> None:
    result = run_detect(env={detect_resources.PLOTTERS_ENV: "many"})
    assert result.returncode == 2
    assert "AUTONOMYS_PLOTTERS must be a whole number" in result.stderr


# -- AWS: the node types declare what the roles ask for -------------------------------------------


def test_aws_node_types_provide_every_role() -> None:
    config = load_yaml(CLUSTERS / "aws.yaml")
    node_types = config["available_node_types"]
    assert set(node_types) == {"head", "plotter", "farmer"}
    assert node_types[config["head_node_type"]]["resources"].get(TIMEKEEPER_RESOURCE) == 1
    assert node_types["plotter"]["resources"].get(PLOTTER_RESOURCE, 0) >= 1
    assert node_types["plotter"]["max_workers"] > node_types["plotter"]["min_workers"]  # it autoscales
    assert node_types["farmer"]["resources"].get(SSD_RESOURCE, 0) >= 1
    assert node_types["farmer"]["labels"] == {"storage": "ssd"}
    for role, resources in role_options().items():
        fits = [name for name, node in node_types.items() if all(node["resources"].get(key, 0) >= amount
                                                                 for key, amount in resources.items())]  # fmt: skip
        assert fits != [], role


def test_aws_start_commands_leave_resources_to_the_node_types() -> None:
    # The autoscaler passes each type's resources to `ray start`; a --resources flag would disagree with them.
    config = load_yaml(CLUSTERS / "aws.yaml")
    for key in ("head_start_ray_commands", "worker_start_ray_commands"):
        assert "--resources" not in ray_start_command(config[key])


# -- the topology model ----------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "topology.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


VALID = """
network: {preset: minimal, data_dir: /var/lib/autonomys}
farms:
  - {path: /mnt/farm0, size: 1MiB}
"""


def test_the_example_loads() -> None:
    topology = load_topology(EXAMPLE)
    assert topology.network.preset == "dev"
    assert topology.network.genesis == "create"
    assert [farm.size for farm in topology.farms] == [2 * 1024**3, 500 * 1024**2, 1024**3]
    assert topology.farms[0].host == "farmer-1"
    assert topology.farms[1].reward_address == bytes([1]) * 32
    assert topology.farms[2].host is None
    assert topology.plotting_workers == 4
    assert (topology.cache_peers.count, topology.cache_peers.capacity) == (2, 1024**3)


@pytest.mark.parametrize("path", sorted(CLUSTERS.rglob("*topology*.yaml")), ids=lambda path: path.name)
def test_every_shipped_topology_loads(path: Path) -> None:
    assert len(load_topology(path).farms) >= 1


def test_required_resources_of_the_example() -> None:
    assert required_resources(load_topology(EXAMPLE)) == {
        TIMEKEEPER_RESOURCE: 1.0,
        SSD_RESOURCE: 3.0,
        PLOTTER_RESOURCE: 4.0,
    }


def test_required_resources_leave_out_zero_plotters(tmp_path: Path) -> None:
    topology = load_topology(write(tmp_path, VALID))
    assert (topology.nodes, topology.timekeeper, topology.cache_peers.count) == (1, 1, 0)
    assert required_resources(topology) == {TIMEKEEPER_RESOURCE: 1.0, SSD_RESOURCE: 1.0}


def test_missing_resources_are_the_shortfall() -> None:
    required = {TIMEKEEPER_RESOURCE: 1.0, SSD_RESOURCE: 3.0, PLOTTER_RESOURCE: 4.0}
    available = {TIMEKEEPER_RESOURCE: 1.0, SSD_RESOURCE: 2.0, PLOTTER_RESOURCE: 8.0, "CPU": 8.0}
    assert compute_missing_resources(required, available) == {SSD_RESOURCE: 1.0}


def test_json_loads_like_yaml(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    assert load_topology(write(tmp_path, json.dumps(data), "topology.json")) == load_topology(EXAMPLE)


def test_a_relative_genesis_is_relative_to_the_file(tmp_path: Path) -> None:
    text = VALID.replace("data_dir: /var/lib/autonomys", "data_dir: /var/lib/autonomys, genesis: net/genesis.json")
    topology = load_topology(write(tmp_path, text))
    assert topology.network.genesis == (tmp_path / "net" / "genesis.json").resolve()


BAD_TOPOLOGIES = [
    (VALID + "farmers: 2\n", "farmers: unknown key; allowed: network, timekeeper, nodes, farms"),
    (VALID.replace("size: 1MiB", "size: 1MiB, colour: red"), "farms[0].colour: unknown key; allowed: host, path, size"),
    (VALID.replace("data_dir:", "datadir: /x, data_dir:"), "network.datadir: unknown key; allowed: preset, data_dir"),
    (VALID.replace("1MiB", "2 gigs"), "farms[0].size: '2 gigs' is not a size (examples: 2GiB"),
    (VALID.replace("1MiB", "0"), "farms[0].size: 0 must be a positive size"),
    (VALID.replace("1MiB", "1KiB"), "farms[0].size: a farm of 1,024 bytes holds no sector: one minimal sector needs"),
    (VALID + "nodes: -1\n", "nodes: Input should be greater than or equal to 0 (got -1)"),
    (VALID + "plotting_workers: -2\n", "plotting_workers: Input should be greater than or equal to 0"),
    (VALID + "cache_peers: {count: -1}\n", "cache_peers.count: Input should be greater than or equal to 0"),
    (VALID + "nodes: yes\n", "nodes: Input should be a valid integer (got True)"),
    (VALID + "timekeeper: 2\n", "timekeeper: timekeeper must be 1 (one proof-of-time chain per network), got 2"),
    ("network: {data_dir: /x}\nfarms: []\n", "farms: at least one farm is needed"),
    ("network: {data_dir: /x}\n", "farms: required key is missing"),
    (VALID.replace("network: {preset: minimal, data_dir: /var/lib/autonomys}", ""), "network: required key is missing"),
    (VALID.replace("preset: minimal", "preset: testnet"), "network.preset: unknown preset 'testnet'; known: dev, mainnet, minimal"),
    (VALID.replace("/var/lib/autonomys", "data"), "network.data_dir: data_dir 'data' must be an absolute path"),
    (VALID.replace("/mnt/farm0", "farm0"), "farms[0].path: farm path 'farm0' must be an absolute path"),
    (VALID.replace("{path", "{host: 'a b', path"), "farms[0].host: host 'a b' is neither an IP address nor a host label"),
    (VALID.replace("1MiB}", "1MiB, reward_address: 0x0102}"), "farms[0].reward_address: reward_address must be a quoted hex"),
    (VALID.replace("1MiB}", "1MiB, reward_address: '0x0102'}"), "farms[0].reward_address: reward_address needs 32 bytes"),
    (VALID.replace("1MiB}", "1MiB, reward_address: 'zz'}"), "farms[0].reward_address: reward_address 'zz' is not hex"),
    (VALID + "  - {host: h1, path: /a, size: 1MiB}\n  - {host: h1, path: /a, size: 1MiB}\n", "farms[2]: h1:/a is listed twice"),
    ("- a\n- b\n", "a topology is a mapping with keys network, timekeeper"),
    ("farms: [\n", "not valid YAML"),
    ("# nothing yet\n", "the topology file is empty"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"), BAD_TOPOLOGIES, ids=[expected.split(":")[0] for _, expected in BAD_TOPOLOGIES]
)
def test_a_bad_topology_names_the_key_and_the_fix(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TopologyError) as caught:
        load_topology(path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = VALID.replace("1MiB", "lots").replace("/var/lib/autonomys", "rel") + "nodes: -1\n"
    message = str(pytest.raises(TopologyError, load_topology, write(tmp_path, text)).value)
    assert ["network.data_dir", "nodes", "farms[0].size"] == [
        line.split(":")[0].strip() for line in message.splitlines()[1:]
    ]


def test_same_path_on_unnamed_hosts_is_allowed(tmp_path: Path) -> None:
    # Identical machines (AWS farmer nodes) mount their disk at the same place.
    topology = load_topology(write(tmp_path, VALID + "  - {path: /mnt/farm0, size: 1MiB}\n"))
    assert required_resources(topology)[SSD_RESOURCE] == 2.0


def test_json_errors_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match="not valid JSON"):
        load_topology(write(tmp_path, "{", "topology.json"))
    with pytest.raises(TopologyError, match="cannot read the topology"):
        load_topology(tmp_path / "absent.yaml")


@pytest.mark.parametrize(("text", "size"), [
    ("2GiB", 2 * 1024**3), ("500MB", 500 * 1000**2), ("1.5TiB", int(1.5 * 1024**4)), ("1073741824", 1024**3),
    (4096, 4096), (" 8 kib ", 8192),
])  # fmt: skip
def test_sizes(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["2 GiB of space", "GiB", "-1", True, 1.5, None, "2PB"])
def test_bad_sizes(text: object) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size(text)


def test_the_model_is_frozen() -> None:
    topology = load_topology(EXAMPLE)
    with pytest.raises(ValueError, match="frozen"):
        topology.nodes = 2  # type: ignore[misc]
    assert isinstance(topology, Topology)


def test_only_the_autoscaling_config_labels_its_head_as_launching_nodes() -> None:
    from autonomys.network.runtime import AUTOSCALER_LABEL

    configs = {path.name: load_yaml(path) for path in ray_up_configs()}
    aws_head = configs["aws.yaml"]["available_node_types"][configs["aws.yaml"]["head_node_type"]]
    assert aws_head["labels"][AUTOSCALER_LABEL] == "launches"  # `plotters scale` asks its autoscaler
    assert AUTOSCALER_LABEL not in str(configs["onprem.yaml"])  # fixed hosts: a local worker raylet instead
