"""`autonomys train …`: proof-of-training orders on a running network's Auto ID domain (the training pallet,
protocol.ai.training_calls; roles in actors.ai.training).

`submit ORDER.yaml` stores the training data in the DSN (CSV files; object ids are used as given), posts the order
with its escrow and prints the order id; the test set stays local (its salted commitment is in the order) until
`reveal-test ID` stores and opens it after the reveal deadline. `status ID` prints the order's phase, claims,
reveals, validations and settlement; `result ID -o DIR` settles a finished order if nobody did, then writes the
winning model (`model.bin`, checked against its revealed hash) and `result.json`. The client's secret (salt and
test file) is kept in `DATA_DIR/training/ORDER_ID.json`.

ORDER.yaml (times in seconds from submission; amounts in AI3):

    model: {kind: logistic-regression, hyperparameters: {C: 0.5, max_iter: 200}}
    training_data: [train-1.csv, 0f3a…]   # CSV rows `feature,…,label` (labels 0..k-1), or DSN object ids
    test_data: test.csv
    evaluator: linear-accuracy
    escrow: 100
    validator_share: 0.1                    # of the escrow, split among the honest validators
    validator_bond: 5
    training_seconds: 120
    reveal_seconds: 60
    validation_seconds: 60
    challenge_seconds: 60
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import click
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autonomys.cli.connection import network_options
from autonomys.cli.domain import AI3, _errors, _operator_of, _signer, parse_amount

OBJECT_ID = re.compile(r"[0-9a-fA-F]{64}")
domain_id_option = click.option("--domain", "domain_id", type=click.IntRange(min=0), default=0, show_default=True)
seed_option = click.option("--seed", default=None, help="The client's account seed (64 hex digits; default: dev).")
kzg_option = click.option("--kzg", "kzg_path", type=click.Path(path_type=Path), default=None,
                          help="KZG ceremony file (default: the dev setup).")  # fmt: skip


class OrderFileError(click.ClickException):
    """ORDER.yaml is not a valid order (names the file and the field)."""


class ModelSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["logistic-regression", "linear-svc", "ridge-classifier"]
    hyperparameters: dict[str, str | int | float] = Field(default_factory=dict)


class OrderFile(BaseModel):
    """ORDER.yaml (module docstring)."""

    model_config = ConfigDict(extra="forbid")
    model: ModelSection
    training_data: list[str] = Field(min_length=1, max_length=64)
    test_data: Path
    evaluator: Literal["linear-accuracy"] = "linear-accuracy"
    escrow: Decimal = Field(gt=0)
    validator_share: Decimal = Field(ge=0, le=1)
    validator_bond: Decimal = Field(ge=0)
    training_seconds: int = Field(gt=0)
    reveal_seconds: int = Field(gt=0)
    validation_seconds: int = Field(gt=0)
    challenge_seconds: int = Field(ge=0)


def load_order_file(path: Path) -> OrderFile:
    """The parsed order; OrderFileError naming the file and the first bad field."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise OrderFileError(f"{path}: {str(error).splitlines()[0]}") from error
    try:
        order = OrderFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise OrderFileError(f"{path}: {where}: {first['msg']}") from error
    base = path.parent
    if not (base / order.test_data).is_file():
        raise OrderFileError(f"{path}: test_data: no file {base / order.test_data}")
    for item in order.training_data:
        if OBJECT_ID.fullmatch(item) is None and not (base / item).is_file():
            raise OrderFileError(f"{path}: training_data: {item!r} is neither an object id nor a file")
    return order


def csv_dataset(path: Path) -> bytes:
    """A CSV of `feature,…,label` rows as a dataset object (OrderFileError for a malformed file)."""
    import numpy as np

    from autonomys.actors.ai.training import dataset_bytes

    try:
        table = np.atleast_2d(np.loadtxt(path, delimiter=",", dtype=np.float64))
    except (OSError, ValueError) as error:
        raise OrderFileError(f"{path}: not a CSV of numbers: {error}") from error
    labels = table[:, -1]
    if table.shape[1] < 2 or not np.array_equal(labels, labels.astype(np.int64)) or labels.min() < 0:
        raise OrderFileError(f"{path}: the last column must be integer labels 0..k-1 after at least one feature")
    return dataset_bytes(table[:, :-1], labels.astype(np.int64))


@click.group()
def train() -> None:
    """Proof-of-training orders: post, follow, fetch the best model."""


@contextlib.contextmanager
def _session(data_dir: Path, address: str | None, namespace: str, kzg_path: Path | None, domain_id: int,
             seed: str | None) -> Iterator[tuple[Any, Any]]:  # fmt: skip
    """(TrainingClient, its chain) on the running network, as the --seed account."""
    from autonomys.actors.ai.training import DsnObjects, OperatorTrainingChain, TrainingClient
    from autonomys.cli.objects import object_client
    from autonomys.network.client import Network
    from autonomys.network.runtime import named_actors

    identity = _signer(seed)
    with object_client(data_dir, address, namespace, kzg_path) as objects:
        network = Network.attach(namespace, named_actors(namespace))
        chain = OperatorTrainingChain(_operator_of(network, domain_id), domain_id)
        client = TrainingClient(identity.seed, chain, DsnObjects(objects, identity))
        yield client, chain


def _secret_path(data_dir: Path, order_id: bytes) -> Path:
    return data_dir / "training" / f"{order_id.hex()}.json"


def _parse_order_id(text: str) -> bytes:
    if OBJECT_ID.fullmatch(text.removeprefix("0x")) is None:
        raise click.BadParameter(f"{text!r} is not an order id (64 hex digits)")
    return bytes.fromhex(text.removeprefix("0x"))


@train.command()
@click.argument("order_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@domain_id_option
@seed_option
@kzg_option
@network_options
def submit(order_file: Path, domain_id: int, seed: str | None, kzg_path: Path | None, data_dir: Path,
           address: str | None, namespace: str) -> None:  # fmt: skip
    """Post the order of ORDER_FILE; prints its id."""
    from autonomys.protocol.ai.training_orders import (
        BPS,
        ModelSpec,
        OrderTerms,
        compute_test_commitment,
    )
    from autonomys.protocol.objects.mappings import plan_object

    order = load_order_file(order_file)
    base = order_file.parent
    test_bytes = csv_dataset(base / order.test_data)
    training = [(item, None if OBJECT_ID.fullmatch(item) else csv_dataset(base / item)) for item in order.training_data]
    salt = secrets.token_bytes(32)
    spec = ModelSpec(
        order.model.kind, tuple(sorted((name, str(value)) for name, value in order.model.hyperparameters.items()))
    )
    with _errors(), _session(data_dir, address, namespace, kzg_path, domain_id, seed) as (client, _):
        object_ids = tuple(bytes.fromhex(item) if data is None else client.objects.put(data) for item, data in training)
        now_ms = int(time.time() * 1000)
        training_ms = now_ms + 1000 * order.training_seconds
        reveal_ms = training_ms + 1000 * order.reveal_seconds
        validation_ms = reveal_ms + 1000 * order.validation_seconds
        terms = OrderTerms(
            spec, object_ids, order.evaluator, compute_test_commitment(plan_object(test_bytes).object_id, salt),
            parse_amount(str(order.escrow)), int(order.validator_share * BPS), parse_amount(str(order.validator_bond)),
            training_ms, reveal_ms, validation_ms, 1000 * order.challenge_seconds,
        )  # fmt: skip
        order_id = client.post(terms)
    secret = _secret_path(data_dir, order_id)
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(json.dumps({"salt": salt.hex(), "test_data": str((base / order.test_data).resolve())}))
    click.echo(order_id.hex())


@train.command(name="reveal-test")
@click.argument("order_id")
@domain_id_option
@seed_option
@kzg_option
@network_options
def reveal_test(order_id: str, domain_id: int, seed: str | None, kzg_path: Path | None, data_dir: Path,
                address: str | None, namespace: str) -> None:  # fmt: skip
    """Store the order's test set in the DSN and open its commitment (after the reveal deadline)."""
    identifier = _parse_order_id(order_id)
    secret_file = _secret_path(data_dir, identifier)
    if not secret_file.is_file():
        raise click.ClickException(
            f"no test-data secret for {order_id} in {secret_file.parent} (was it submitted here?)"
        )
    secret = json.loads(secret_file.read_text())
    test_bytes = csv_dataset(Path(secret["test_data"]))
    with _errors(), _session(data_dir, address, namespace, kzg_path, domain_id, seed) as (client, _):
        test_id = client.objects.put(test_bytes)
        client.reveal_test_data(identifier, test_id, bytes.fromhex(secret["salt"]))
    click.echo(f"test data {test_id.hex()} revealed")


def _ai3(amount: int) -> str:
    return f"{Decimal(amount) / AI3:,} AI3"


@train.command()
@click.argument("order_id")
@domain_id_option
@kzg_option
@network_options
def status(order_id: str, domain_id: int, kzg_path: Path | None, data_dir: Path, address: str | None,
           namespace: str) -> None:  # fmt: skip
    """The order's phase, claims, reveals, validations and settlement."""
    from autonomys.protocol.ai.training_calls import model_scores
    from autonomys.protocol.ai.training_orders import order_phase

    identifier = _parse_order_id(order_id)
    with _errors(), _session(data_dir, address, namespace, kzg_path, domain_id, None) as (_, chain):
        record = chain.order(identifier)
    if record is None:
        raise click.ClickException(f"no training order {order_id} on domain {domain_id}")
    terms = record.terms
    click.echo(f"order     {identifier.hex()}  ({order_phase(record, int(time.time() * 1000))})")
    click.echo(f"client    {record.client.hex()}; escrow {_ai3(terms.escrow)}; validators' share "
               f"{terms.validator_share_bps / 100}%; bond {_ai3(terms.validator_bond)}")  # fmt: skip
    click.echo(f"model     {terms.model.kind} {dict(terms.model.hyperparameters)}; evaluator {terms.evaluator}")
    click.echo(f"deadlines training {terms.training_deadline_ms}, reveal {terms.reveal_deadline_ms}, validation "
               f"{terms.validation_deadline_ms}, settles after {terms.settles_after_ms} (ms)")  # fmt: skip
    scores = model_scores(record)
    for claim in record.claims:
        index = record.reveal_index(claim.provider)
        revealed = "not revealed" if index is None else f"revealed {record.reveals[index].model_object_id.hex()}"
        score = f", score {scores[claim.provider]}" if claim.provider in scores else ""
        click.echo(f"provider  {claim.provider.hex()[:16]}… claimed at {claim.claimed_ms}, {revealed}{score}")
    for validation in record.validations:
        verdict = "overturned (slashed)" if validation.overturned else "standing"
        click.echo(f"validator {validation.validator.hex()[:16]}… scores {list(validation.scores)}: {verdict}")
    if record.settlement is not None:
        winner = record.settlement.winner
        click.echo("settled   " + ("no model scored: escrow returned" if winner is None else
                                   f"winner {winner.provider.hex()[:16]}… score {record.settlement.score}"))  # fmt: skip
        for payment in record.settlement.payments:
            click.echo(f"  paid {payment.account.hex()[:16]}… {_ai3(payment.amount)}")


@train.command()
@click.argument("order_id")
@click.option("-o", "--output", "output", type=click.Path(file_okay=False, path_type=Path), required=True)
@domain_id_option
@seed_option
@kzg_option
@network_options
def result(order_id: str, output: Path, domain_id: int, seed: str | None, kzg_path: Path | None, data_dir: Path,
           address: str | None, namespace: str) -> None:  # fmt: skip
    """Settle the order if its challenge period is over and nobody did, then write the best model to OUTPUT."""
    identifier = _parse_order_id(order_id)
    with _errors(), _session(data_dir, address, namespace, kzg_path, domain_id, seed) as (client, chain):
        record = chain.order(identifier)
        if record is None:
            raise click.ClickException(f"no training order {order_id} on domain {domain_id}")
        if record.settlement is None:
            record = client.settle(identifier)
        model = client.fetch_model(identifier)
    assert record.settlement is not None and record.settlement.winner is not None
    output.mkdir(parents=True, exist_ok=True)
    (output / "model.bin").write_bytes(model)
    winner = record.settlement.winner
    summary = {
        "order": identifier.hex(), "provider": winner.provider.hex(), "score": record.settlement.score,
        "model_object_id": winner.model_object_id.hex(), "model_kind": record.terms.model.kind,
        "payments": {payment.account.hex(): str(payment.amount) for payment in record.settlement.payments},
    }  # fmt: skip
    (output / "result.json").write_text(json.dumps(summary, indent=2) + "\n")
    click.echo(f"model of {winner.provider.hex()[:16]}… (score {record.settlement.score}) written to {output}")
