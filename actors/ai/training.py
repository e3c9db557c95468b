"""Proof-of-training roles around the training pallet (protocol.ai.training_calls): providers train and claim,
reveal into the DSN; validators score the revealed models; challengers re-check every validation and challenge
the wrong ones; a client posts orders, opens its test data, settles and fetches the winning model.

Each role is a plain class (Ray actors of them are made by the composition root, like every role) that talks to
the chain through a `TrainingChain` (an Auto ID domain operator: `OperatorTrainingChain`, or the pallet itself
in-process: `LocalTrainingChain`) and to the DSN through an `ObjectStore` (`DsnObjects` over the object client,
or `MemoryObjects`). Roles are driven by calls (`train`, `claim`, `reveal`, `validate`, `check`): the driver
decides when, from the order's deadlines.

Training uses scikit-learn with a fixed seed, then rounds the model to the chain's fixed point
(protocol.ai.training_orders.LinearModel): the same data, spec and seed give the same model bytes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import sr25519

from autonomys.actors.state_store import RemoteState
from autonomys.protocol.ai.training_calls import (
    OUTCOME_ERROR,
    Challenge,
    PostOrder,
    RevealModel,
    RevealTestData,
    Settle,
    SubmitClaim,
    TrainingCall,
    TrainingError,
    TrainingPalletCall,
    Validate,
    dispatch_training,
    get_order,
)
from autonomys.protocol.ai.training_orders import (
    EVALUATORS,
    FIXED_POINT_BITS,
    I64_MAX,
    I64_MIN,
    MODEL_KINDS,
    Dataset,
    LinearModel,
    ModelSpec,
    OrderRecord,
    OrderTerms,
    blake2_256,
    compute_claim,
    decode_dataset,
)
from autonomys.protocol.domains.runtime_balances import DomainAccount, get_account, put_account, sign_call
from autonomys.protocol.errors import ProtocolError
from autonomys.protocol.objects.mappings import plan_object

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

KeyPair = tuple[bytes, bytes]
WAIT_SECONDS = 120.0


class TrainingSpecError(ProtocolError):
    """A model spec providers cannot train (unknown kind, unknown or malformed hyperparameter, missing class)."""


def key_pair(seed: bytes) -> KeyPair:
    public, secret = sr25519.pair_from_seed(seed)
    return bytes(public), bytes(secret)


# ---- links ----


class TrainingChain(Protocol):
    """The Auto ID domain as the roles use it: submit a training call signed by `keys` (its order id, or a
    TrainingError naming the refusal) and read an order."""

    def submit(self, keys: KeyPair, call: TrainingCall) -> bytes: ...

    def order(self, order_id: bytes) -> OrderRecord | None: ...


class ObjectStore(Protocol):
    def put(self, data: bytes) -> bytes: ...

    def get(self, object_id: bytes) -> bytes: ...


class MemoryState:
    """A domain state as a dict (the in-process chain's)."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self.data[key] = value

    def delete(self, key: bytes) -> None:
        self.data.pop(key, None)


class LocalTrainingChain:
    """The training pallet in-process, at a time the driver sets (`now_ms`): tests and benchmarks."""

    def __init__(self, now_ms: int, balances: Sequence[tuple[bytes, int]] = ()) -> None:
        self.now_ms = now_ms
        self.state = MemoryState()
        for account, balance in balances:
            put_account(self.state, account, DomainAccount(balance, 0))

    def submit(self, keys: KeyPair, call: TrainingCall) -> bytes:
        return dispatch_training(self.state, keys[0], call, self.now_ms)

    def order(self, order_id: bytes) -> OrderRecord | None:
        return get_order(self.state, order_id)

    def balance(self, account: bytes) -> int:
        return get_account(self.state, account).balance


class DomainOperator(Protocol):
    """An operator of the Auto ID domain (actors.handles.OperatorClient or the service)."""

    def account(self, account: bytes) -> tuple[int, int]: ...

    def submit_transaction(self, extrinsic: bytes) -> bytes: ...

    def transaction_status(self, transaction_hash: bytes) -> str: ...

    def transaction_outcome(self, transaction_hash: bytes) -> bytes | None: ...

    def read(self, key: bytes) -> bytes | None: ...


class OperatorTrainingChain:
    """The training pallet on a running Auto ID domain: each call a signed domain transaction, waited for until
    its block records the outcome (TrainingError with the pallet's reason when refused)."""

    def __init__(self, operator: DomainOperator, domain_id: int, wait_seconds: float = WAIT_SECONDS) -> None:
        self.operator = operator
        self.domain_id = domain_id
        self.wait_seconds = wait_seconds

    def submit(self, keys: KeyPair, call: TrainingCall) -> bytes:
        _, nonce = self.operator.account(keys[0])
        extrinsic = sign_call(self.domain_id, keys, nonce, TrainingPalletCall(call)).to_bytes()
        tx_hash = self.operator.submit_transaction(extrinsic)
        deadline = time.monotonic() + self.wait_seconds
        while (outcome := self.operator.transaction_outcome(tx_hash)) is None:
            status = self.operator.transaction_status(tx_hash)
            if status == "unknown" or time.monotonic() > deadline:
                raise TimeoutError(f"transaction {tx_hash.hex()} is {status} after waiting")
            time.sleep(0.2)
        if outcome[32] == OUTCOME_ERROR:
            raise TrainingError(outcome[34:].decode(errors="replace"), f"transaction {tx_hash.hex()[:16]}…")
        return bytes(outcome[34:66])

    def order(self, order_id: bytes) -> OrderRecord | None:
        return get_order(RemoteState(self.operator), order_id)


class MemoryObjects:
    """Objects by their DSN id, in memory (the in-process chain's DSN)."""

    def __init__(self) -> None:
        self.objects: dict[bytes, bytes] = {}

    def put(self, data: bytes) -> bytes:
        object_id = plan_object(data).object_id
        self.objects[object_id] = bytes(data)
        return object_id

    def get(self, object_id: bytes) -> bytes:
        return self.objects[object_id]


class ObjectClientLike(Protocol):
    def put(self, data: bytes, signer: Any) -> bytes: ...

    def get(self, object_id: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class DsnObjects:
    """The DSN through actors.objects.client.ObjectClient, storing as `signer` (a consensus account)."""

    client: ObjectClientLike
    signer: Any

    def put(self, data: bytes) -> bytes:
        return self.client.put(data, self.signer)

    def get(self, object_id: bytes) -> bytes:
        return self.client.get(object_id)


class LazyDsnObjects:
    """The DSN for a role running as a Ray actor: picklable, it builds its ObjectClient (the node `node_name`, the
    piece getter over `names`) in the process that first uses it, storing as the consensus account `signer_seed`."""

    def __init__(
        self, node_name: str, names: Any, signer_seed: bytes, namespace: str | None = None, kzg_path: str | None = None
    ) -> None:
        self.node_name = node_name
        self.names = names
        self.signer_seed = signer_seed
        self.namespace = namespace
        self.kzg_path = kzg_path
        self._objects: DsnObjects | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_objects": None}

    def _store(self) -> DsnObjects:
        if self._objects is None:
            from autonomys.actors.dsn.directory import build_piece_getter
            from autonomys.actors.farming.identity import FarmerIdentity
            from autonomys.actors.handles import NodeObjectsHandle, RayLinks
            from autonomys.actors.kzg_setup import load_kzg, setup_for
            from autonomys.actors.objects.client import ObjectClient

            node = NodeObjectsHandle(self.node_name, self.namespace)
            params = node.params()
            kzg = load_kzg(setup_for(params.record_num_chunks, self.kzg_path))
            links = RayLinks(self.namespace)
            pieces = build_piece_getter(params, kzg, links.node(self.node_name), self.names, links)
            self._objects = DsnObjects(ObjectClient(node, pieces, params), FarmerIdentity(self.signer_seed))
        return self._objects

    def put(self, data: bytes) -> bytes:
        return self._store().put(data)

    def get(self, object_id: bytes) -> bytes:
        return self._store().get(object_id)


# ---- data and training ----


def to_fixed(value: float) -> int:
    return max(I64_MIN, min(I64_MAX, round(value * (1 << FIXED_POINT_BITS))))


def dataset_bytes(features: NDArray[Any], labels: NDArray[Any], classes: int | None = None) -> bytes:
    """A dataset object (protocol.ai.training_orders.Dataset) of float features and integer labels 0..k-1."""
    rows = tuple(tuple(to_fixed(float(value)) for value in row) for row in features)
    label_list = tuple(int(label) for label in labels)
    count = classes if classes is not None else max(label_list) + 1
    return Dataset(rows, label_list, len(rows[0]), max(count, 2)).to_bytes()


def dataset_arrays(datasets: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The float features and labels of dataset objects, concatenated (widths must agree)."""
    import numpy as np

    decoded = [decode_dataset(data) for data in datasets]
    if len({item.width for item in decoded}) != 1:
        raise TrainingSpecError("the training objects have different feature widths")
    scale = float(1 << FIXED_POINT_BITS)
    features = np.array([row for item in decoded for row in item.features], dtype=np.float64) / scale
    labels = np.array([label for item in decoded for label in item.labels], dtype=np.int64)
    return features, labels


HYPERPARAMETERS: dict[str, dict[str, type]] = {
    "logistic-regression": {"C": float, "max_iter": int, "tol": float},
    "linear-svc": {"C": float, "max_iter": int, "tol": float},
    "ridge-classifier": {"alpha": float, "tol": float},
}
"""What each model kind takes (as text in the order, parsed here)."""


def _parameters(spec: ModelSpec) -> dict[str, float | int]:
    if spec.kind not in MODEL_KINDS or spec.kind not in HYPERPARAMETERS:
        raise TrainingSpecError(f"unknown model kind {spec.kind!r}")
    allowed = HYPERPARAMETERS[spec.kind]
    parsed: dict[str, float | int] = {}
    for name, text in spec.hyperparameters:
        if name not in allowed:
            raise TrainingSpecError(f"{spec.kind} takes {sorted(allowed)}, not {name!r}")
        try:
            parsed[name] = allowed[name](text)
        except ValueError as error:
            raise TrainingSpecError(f"{name}={text!r}: {error}") from error
    return parsed


def train_model(spec: ModelSpec, features: NDArray[Any], labels: NDArray[Any], seed: int) -> bytes:
    """Train `spec` on the data with a fixed seed; the model's bytes in the chain's fixed point."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression, RidgeClassifier
    from sklearn.svm import LinearSVC

    parameters = _parameters(spec)
    estimator: Any
    if spec.kind == "logistic-regression":
        estimator = LogisticRegression(random_state=seed, **parameters)
    elif spec.kind == "linear-svc":
        estimator = LinearSVC(random_state=seed, **parameters)
    else:
        estimator = RidgeClassifier(random_state=seed, **parameters)
    estimator.fit(features, labels)
    if not np.array_equal(estimator.classes_, np.arange(len(estimator.classes_))):
        raise TrainingSpecError(f"the training data's classes are {estimator.classes_.tolist()}, not 0..k-1")
    weights = tuple(tuple(to_fixed(float(value)) for value in row) for row in np.atleast_2d(estimator.coef_))
    biases = tuple(to_fixed(float(value)) for value in np.atleast_1d(estimator.intercept_))
    return LinearModel(weights, biases, features.shape[1]).to_bytes()


def _record(chain: TrainingChain, order_id: bytes) -> OrderRecord:
    record = chain.order(order_id)
    if record is None:
        raise TrainingError("unknown_order", order_id.hex())
    return record


# ---- roles ----


class _TrainingRole:
    """What every training role shares: its name, its account's keys, the chain and the object store."""

    def __init__(self, name: str, seed: bytes, chain: TrainingChain, objects: ObjectStore) -> None:
        self.name = name
        self.keys = key_pair(seed)
        self.chain = chain
        self.objects = objects

    @property
    def account(self) -> bytes:
        return self.keys[0]

    def ready(self) -> bool:
        return True

    def shutdown(self) -> None:
        """Nothing to close."""


class TrainingProvider(_TrainingRole):
    """Trains an order's model on its training objects (a `data_fraction` of the rows: providers differ), claims
    it, reveals it into the DSN. `tamper` reveals a model other than the one claimed (a cheat, for tests)."""

    def __init__(
        self, name: str, seed: bytes, chain: TrainingChain, objects: ObjectStore, *, data_fraction: float = 1.0,
        training_seed: int = 0, tamper: bool = False,
    ) -> None:  # fmt: skip
        super().__init__(name, seed, chain, objects)
        self.data_fraction = data_fraction
        self.training_seed = training_seed
        self.tamper = tamper
        self.models: dict[bytes, bytes] = {}

    def train(self, order_id: bytes) -> bytes:
        """Fetch the training objects, train, keep the model; its hash."""
        terms = _record(self.chain, order_id).terms
        features, labels = dataset_arrays([self.objects.get(object_id) for object_id in terms.training_data])
        keep = max(2, int(len(labels) * self.data_fraction))
        model = train_model(terms.model, features[:keep], labels[:keep], self.training_seed)
        self.models[order_id] = model
        return blake2_256(model)

    def claim(self, order_id: bytes) -> bytes:
        """Submit hash(model ‖ account) for the trained model; the commitment."""
        commitment = compute_claim(self.models[order_id], self.account)
        self.chain.submit(self.keys, SubmitClaim(order_id, commitment))
        return commitment

    def reveal(self, order_id: bytes) -> bytes:
        """Put the model into the DSN and reveal it; its object id."""
        model = self.models[order_id]
        if self.tamper:
            model = model[:-1] + bytes([model[-1] ^ 1])  # still a model, but not the claimed one
        object_id = self.objects.put(model)
        self.chain.submit(self.keys, RevealModel(order_id, object_id, model))
        return object_id


def evaluate_reveals(record: OrderRecord, objects: ObjectStore) -> tuple[tuple[int, ...], dict[bytes, bytes], bytes]:
    """Each revealed model's score (in reveal order) with the order's evaluator; the models and the test set."""
    if record.test_object_id is None:
        raise TrainingError("test_data_not_revealed")
    test = objects.get(record.test_object_id)
    evaluator = EVALUATORS[record.terms.evaluator]
    models = {reveal.provider: objects.get(reveal.model_object_id) for reveal in record.reveals}
    return tuple(evaluator(models[reveal.provider], test) for reveal in record.reveals), models, test


class TrainingValidator(_TrainingRole):
    """Scores every revealed model with the order's evaluator and submits the scores (bonded). `lying` reports
    the worst model as perfect and the others as worthless (a dishonest validator, for tests)."""

    def __init__(
        self, name: str, seed: bytes, chain: TrainingChain, objects: ObjectStore, *, lying: bool = False
    ) -> None:
        super().__init__(name, seed, chain, objects)
        self.lying = lying

    def validate(self, order_id: bytes) -> tuple[int, ...]:
        record = _record(self.chain, order_id)
        scores, _, test = evaluate_reveals(record, self.objects)
        if self.lying and scores:
            worst = min(range(len(scores)), key=lambda index: scores[index])
            rows = decode_dataset(test).labels
            scores = tuple(len(rows) if index == worst else 0 for index in range(len(scores)))
        self.chain.submit(self.keys, Validate(order_id, scores))
        return scores


class TrainingChallenger(_TrainingRole):
    """Re-evaluates every standing validation and challenges each validator that reported a wrong score (one
    challenge per liar: the first wrong score overturns it)."""

    def check(self, order_id: bytes) -> list[tuple[bytes, bytes]]:
        """The (validator, provider) pairs challenged successfully."""
        record = _record(self.chain, order_id)
        if not record.validations:
            return []
        scores, models, test = evaluate_reveals(record, self.objects)
        challenged = []
        for validation in record.validations:
            if validation.overturned:
                continue
            wrong = [index for index, score in enumerate(scores) if validation.scores[index] != score]
            if wrong:
                provider = record.reveals[wrong[0]].provider
                call = Challenge(order_id, validation.validator, provider, models[provider], test)
                self.chain.submit(self.keys, call)
                challenged.append((validation.validator, provider))
        return challenged


class TrainingClient:
    """A client's side of an order: post it, open the test data, settle, fetch the best model."""

    def __init__(self, seed: bytes, chain: TrainingChain, objects: ObjectStore) -> None:
        self.keys = key_pair(seed)
        self.chain = chain
        self.objects = objects

    @property
    def account(self) -> bytes:
        return self.keys[0]

    def post(self, terms: OrderTerms) -> bytes:
        return self.chain.submit(self.keys, PostOrder(terms))

    def reveal_test_data(self, order_id: bytes, test_object_id: bytes, salt: bytes) -> None:
        self.chain.submit(self.keys, RevealTestData(order_id, test_object_id, salt))

    def settle(self, order_id: bytes) -> OrderRecord:
        self.chain.submit(self.keys, Settle(order_id))
        return _record(self.chain, order_id)

    def fetch_model(self, order_id: bytes) -> bytes:
        """The winning model's bytes from the DSN (checked against the revealed hash)."""
        record = _record(self.chain, order_id)
        if record.settlement is None:
            raise TrainingError("not_settled", order_id.hex())
        if record.settlement.winner is None:
            raise TrainingError("no_winner", "no model was scored; the escrow went back to the client")
        model = self.objects.get(record.settlement.winner.model_object_id)
        if blake2_256(model) != record.settlement.winner.model_hash:
            raise TrainingError("model_mismatch", "the DSN returned other bytes than the revealed model")
        return model
