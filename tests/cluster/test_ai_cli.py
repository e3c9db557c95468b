"""AI3.0 from the command line on one running MINIMAL devnet with an Auto ID domain (shared by this module's tests).

The open AI directory: Alice publishes a small multi-chunk model (a directory: config + weights) under her Auto ID,
`ai search` finds it, `ai get` writes it back byte for byte from the DSN and again through `autonomys gateway`; a
second version appends, Bob cannot publish under her name (`name_taken`), and `ai show` lists both versions.

Proof-of-training: `autonomys train submit ORDER.yaml` posts an order over the wine data set (training objects
stored in the DSN); three providers (Ray actors) train and claim, a fourth claims late (`claim_after_deadline`),
one reveals a model other than its claim (`reveal_mismatch`); the client opens its test data (`train
reveal-test`); an honest and a lying validator (Ray actors) submit scores and a challenger (a Ray actor)
overturns the lie; `train result` is refused before the challenge period is over (`period_not_over`, nothing
paid), then writes the best model, which `train status` reports with the payments."""

from __future__ import annotations

import hashlib
import json
import random
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_wine
from test_fraud_devnet import published
from test_objects_cli import GATEWAY, SCRIPT, TIMEOUT, environment, run

from autonomys.actors.ai.training import key_pair
from helpers.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
AUTO_ID = re.compile(r"^([0-9a-f]{64})  ", re.MULTILINE)
MODEL_BYTES = 2_000_000
"""Eight 256 KiB chunks and a manifest."""


@pytest.fixture(scope="module")
def auto_id_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One MINIMAL devnet with an Auto ID domain for this module's tests (its data directory)."""
    root = tmp_path_factory.mktemp("auto-id-devnet")
    data_dir, log_path = root / "net", root / "devnet.log"
    command = [str(SCRIPT), "devnet", "--preset", "minimal", "--data-dir", str(data_dir), "--domain", "auto-id",
               "--cache-peers", "0"]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment())
        try:
            wait_until(published(data_dir, process, log_path), TIMEOUT, lambda: log_path.read_text(), ignoring=())
            yield data_dir
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()


def test_publish_search_get_and_gateway(auto_id_devnet: Path, tmp_path: Path) -> None:
    ids, net = tmp_path / "ids", ("--data-dir", str(auto_id_devnet))
    model = tmp_path / "tiny-llm"
    (model / "weights").mkdir(parents=True)
    (model / "config.json").write_text('{"layers": 2, "hidden": 64}')
    (model / "weights" / "model.bin").write_bytes(random.Random(22).randbytes(MODEL_BYTES))
    for name in ("alice", "bob"):
        assert AUTO_ID.search(run("id", "new", name, "--out", str(ids / name)).stdout)
        done = run("id", "register", str(ids / name), *net)
        assert done.returncode == 0, done.stdout + done.stderr
    made = run("ai", "publish", str(model), "--kind", "model", "--license", "Apache-2.0", "--sign",
               str(ids / "alice"), *net)  # fmt: skip
    assert made.returncode == 0 and "published tiny-llm@1 (model, Apache-2.0)" in made.stdout, made.stdout + made.stderr
    found = run("ai", "search", "LLM", *net)
    assert found.returncode == 0 and found.stdout.startswith("tiny-llm@1  model  Apache-2.0  2 file(s)"), (
        found.stdout + found.stderr
    )
    fetched = run("ai", "get", "tiny-llm", "-o", str(tmp_path / "out"), *net)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    same_tree(model, tmp_path / "out")
    through_the_gateway(model, tmp_path / "via-gateway", net)
    taken = run("ai", "publish", str(model), "--name", "Tiny-LLM", "--kind", "model", "--license", "MIT",
                "--sign", str(ids / "bob"), *net)  # fmt: skip
    assert taken.returncode == 1 and "name_taken" in taken.stderr, taken.stdout + taken.stderr
    second = run("ai", "publish", str(model / "config.json"), "--name", "tiny-llm", "--kind", "model",
                 "--license", "MIT", "--sign", str(ids / "alice"), *net)  # fmt: skip
    assert second.returncode == 0 and "published tiny-llm@2" in second.stdout, second.stdout + second.stderr
    shown = run("ai", "show", "tiny-llm", *net).stdout
    assert "tiny-llm@1  model  Apache-2.0" in shown and "tiny-llm@2  model  MIT" in shown, shown
    first = run("ai", "get", "tiny-llm@1", "-o", str(tmp_path / "first"), *net)
    assert first.returncode == 0, first.stdout + first.stderr
    same_tree(model, tmp_path / "first")  # version 1 is still there, unchanged


def same_tree(source: Path, copy: Path) -> None:
    files = sorted(path.relative_to(source) for path in source.rglob("*") if path.is_file())
    assert sorted(path.relative_to(copy) for path in copy.rglob("*") if path.is_file()) == files
    for relative in files:
        assert (copy / relative).read_bytes() == (source / relative).read_bytes(), relative


def through_the_gateway(model: Path, output: Path, net: tuple[str, ...]) -> None:
    gateway = subprocess.Popen(
        [str(SCRIPT), "gateway", *net, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment(),
    )  # fmt: skip
    try:
        line = gateway.stdout.readline()  # type: ignore[union-attr]
        port = GATEWAY.search(line).group(1)  # type: ignore[union-attr]
        fetched = run("ai", "get", "tiny-llm@1", "-o", str(output), "--gateway", f"http://127.0.0.1:{port}", *net)
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        same_tree(model, output)
    finally:
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=60) == 0


ROLES = ("alice", "bob", "carol", "dave", "victor", "mallory", "charlie")
ORDER = """\
model: {kind: logistic-regression, hyperparameters: {C: 0.5, max_iter: 200}}
training_data: [train-1.csv, train-2.csv]
test_data: test.csv
escrow: 100
validator_share: 0.1
validator_bond: 5
training_seconds: 45
reveal_seconds: 25
validation_seconds: 30
challenge_seconds: 25
"""
DRIVER = """
import json, sys, time
from autonomys.actors.ai.training import (LazyDsnObjects, OperatorTrainingChain, TrainingChallenger,
                                          TrainingProvider, TrainingValidator)
from autonomys.actors.dsn.directory import DsnNames
from autonomys.actors.ai.training_clients import TrainingChallengerClient, TrainingProviderClient, TrainingValidatorClient
from autonomys.actors.objects.client import dev_account
from autonomys.cli.connection import network_address
from autonomys.network.client import FARMER_NAME, Network
from autonomys.network.compose import create_training_role
from autonomys.network.runtime import cluster_connection, named_actors
from autonomys.network.spec import ARCHIVER_NAME, NAMESPACE, NODE_NAME, ClusterSpec
from autonomys.protocol.ai.training_calls import TrainingError
from autonomys.protocol.domains.runtime_balances import TIMESTAMP_KEY
import hashlib
from pathlib import Path

data_dir, phase, order_id = Path(sys.argv[1]), sys.argv[2], bytes.fromhex(sys.argv[3])
seed = lambda name: hashlib.blake2b(name.encode(), digest_size=32).digest()
report = {}
with cluster_connection(network_address(data_dir, None), NAMESPACE):
    running = named_actors(NAMESPACE)
    network = Network.attach(NAMESPACE, running)
    operator = sorted(network.operators.items())[0][1]
    chain = OperatorTrainingChain(operator, 0)
    names = DsnNames(archiver=ARCHIVER_NAME if ARCHIVER_NAME in running else None,
                     farmers=tuple(sorted(name for name in running if FARMER_NAME.fullmatch(name))))
    objects = LazyDsnObjects(NODE_NAME, names, dev_account().seed, NAMESPACE)
    spec = ClusterSpec(namespace=NAMESPACE)
    terms = chain.order(order_id).terms

    def chain_time():
        raw = operator.read(TIMESTAMP_KEY)
        return 0 if raw is None else int.from_bytes(raw, "little")

    def wait_past(deadline_ms):
        while chain_time() <= deadline_ms:
            time.sleep(0.5)

    def refusal(action):
        try:
            action()
        except TrainingError as error:
            return error.reason
        return None

    if phase == "providers":
        providers = {}
        for name, fraction in (("alice", 1.0), ("bob", 0.15), ("carol", 0.06), ("dave", 0.5)):
            handle = create_training_role(spec, TrainingProvider, "train-" + name, name, seed(name), chain, objects,
                                          data_fraction=fraction, tamper=name == "carol")
            providers[name] = TrainingProviderClient(handle)
            providers[name].train(order_id)
        report["claims"] = [refusal(lambda p=providers[n]: p.claim(order_id)) for n in ("alice", "bob", "carol")]
        wait_past(terms.training_deadline_ms)
        report["late"] = refusal(lambda: providers["dave"].claim(order_id))
        report["reveals"] = [refusal(lambda p=providers[n]: p.reveal(order_id)) for n in ("alice", "bob", "carol")]
        wait_past(terms.reveal_deadline_ms)
    else:
        victor = TrainingValidatorClient(create_training_role(spec, TrainingValidator, "train-victor", "victor",
                                                              seed("victor"), chain, objects))
        mallory = TrainingValidatorClient(create_training_role(spec, TrainingValidator, "train-mallory", "mallory",
                                                               seed("mallory"), chain, objects, lying=True))
        report["scores"] = [list(victor.validate(order_id)), list(mallory.validate(order_id))]
        charlie = TrainingChallengerClient(create_training_role(spec, TrainingChallenger, "train-charlie", "charlie",
                                                                seed("charlie"), chain, objects))
        report["challenged"] = [[v.hex(), p.hex()] for v, p in charlie.check(order_id)]
        report["overturned"] = [item.overturned for item in chain.order(order_id).validations]
        report["settles_after_ms"] = terms.settles_after_ms
        report["chain_time"] = chain_time()
print("REPORT " + json.dumps(report))
"""


def account(name: str) -> str:
    return key_pair(hashlib.blake2b(name.encode(), digest_size=32).digest())[0].hex()


def drive(data_dir: Path, phase: str, order_id: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(data_dir), phase, order_id], capture_output=True, text=True,
        timeout=600, env=environment(), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.split("REPORT ", 1)[1])


def write_order(directory: Path) -> Path:
    features, labels = load_wine(return_X_y=True)
    features = (features - features.mean(0)) / features.std(0)
    order = np.random.RandomState(7).permutation(len(labels))
    table = np.column_stack([features[order], labels[order]])
    cut = len(labels) * 2 // 3
    for name, rows in (("train-1.csv", table[:59]), ("train-2.csv", table[59:cut]), ("test.csv", table[cut:])):
        np.savetxt(directory / name, rows, delimiter=",", fmt=[*["%.9f"] * features.shape[1], "%d"])
    (directory / "order.yaml").write_text(ORDER)
    return directory / "order.yaml"


@pytest.mark.long  # ~6 min on 2 cores: the order's deadlines in chain time, every step a domain block
def test_an_order_trained_validated_challenged_and_settled(auto_id_devnet: Path, tmp_path: Path) -> None:
    net = ("--data-dir", str(auto_id_devnet))
    order_file = write_order(tmp_path)
    for name in ROLES:
        funded = run("domain", "transfer", account(name), "20", *net)
        assert funded.returncode == 0, funded.stdout + funded.stderr
    submitted = run("train", "submit", str(order_file), *net)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    order_id = submitted.stdout.strip().splitlines()[-1]
    providers = drive(auto_id_devnet, "providers", order_id)
    assert providers == {"claims": [None, None, None], "late": "claim_after_deadline",
                         "reveals": [None, None, "reveal_mismatch"]}  # fmt: skip
    opened = run("train", "reveal-test", order_id, *net)
    assert opened.returncode == 0, opened.stdout + opened.stderr
    validators = drive(auto_id_devnet, "validators", order_id)
    assert validators["scores"] == [[59, 55], [0, 60]], validators
    assert validators["challenged"] == [[account("mallory"), account("alice")]]
    assert validators["overturned"] == [False, True]
    early = run("train", "result", order_id, "-o", str(tmp_path / "result"), *net)
    if validators["chain_time"] <= validators["settles_after_ms"] - 5_000:  # surely still in the period
        assert early.returncode == 1 and "period_not_over" in early.stderr, early.stdout + early.stderr
        shown = run("train", "status", order_id, *net)
        assert "settled" not in shown.stdout and "overturned (slashed)" in shown.stdout, shown.stdout
    wait_until(
        lambda: run("train", "result", order_id, "-o", str(tmp_path / "result"), *net).returncode == 0,
        120, lambda: "the order did not settle", ignoring=(),
    )  # fmt: skip
    summary = json.loads((tmp_path / "result" / "result.json").read_text())
    assert summary["provider"] == account("alice") and summary["score"] == 59
    assert summary["payments"] == {account("alice"): str(90 * 10**18), account("victor"): str(15 * 10**18)}
    assert len((tmp_path / "result" / "model.bin").read_bytes()) == 4 + 2 + 4 + 8 * 3 * 14
    shown = run("train", "status", order_id, *net)
    assert "settled   winner" in shown.stdout, shown.stdout + shown.stderr
