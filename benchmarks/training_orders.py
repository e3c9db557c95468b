"""Proof-of-training orders end to end, in-process: the time an order takes split into training, reveal,
validation and the challenge, with the chain's waiting (the order's deadlines) reported apart from the work.

    python benchmarks/training_orders.py [--dataset wine|breast_cancer|digits] [--repeats 3]
                                         [--training-seconds 60 --reveal-seconds 30 --validation-seconds 30
                                          --challenge-seconds 60]

  training    three providers fetch the training objects, fit logistic regression (scikit-learn, fixed seed),
              round to fixed point and claim
  reveal      each puts its model into the (in-memory) DSN and reveals it; the pallet checks hash(model ‖ provider)
              against the claim, the object id and the model's format
  validation  the client opens its test data; two validators (one lying) evaluate every model with the exact
              integer evaluator and submit their scores
  challenge   a challenger re-evaluates every validation and challenges the lie; the pallet re-runs the evaluation
              (checking the model and test bytes) and slashes
  settle      settlement and the client's fetch of the best model

The pallet runs in-process over a dict state (actors.ai.training.LocalTrainingChain): no domain blocks, so no
block time, fees or state-root work is in these figures (benchmarks/auto_id.py measures those for a pallet).
The floor for an evaluation is numpy's float evaluation of the same model on the same rows (argmax of X·Wᵀ + b),
measured here: the ratio is the price of bit-exact integer arithmetic. The waiting is the sum of the order's
periods (parameters), which dominates any real order. Timings on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
from collections.abc import Callable

import numpy as np
from bench_common import Summary, medians, ms, timed
from sklearn import datasets

from autonomys.actors.ai.training import (
    LocalTrainingChain,
    MemoryObjects,
    TrainingChallenger,
    TrainingClient,
    TrainingProvider,
    TrainingValidator,
    dataset_arrays,
    dataset_bytes,
    key_pair,
    train_model,
)
from autonomys.protocol.ai.training_orders import (
    FIXED_POINT_BITS,
    ModelSpec,
    OrderTerms,
    compute_test_commitment,
    decode_model,
    evaluate_linear_accuracy,
)

AI3 = 10**18
START_MS = 1_780_000_000_000
SALT = bytes(32)
LOADERS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "wine": datasets.load_wine, "breast_cancer": datasets.load_breast_cancer, "digits": datasets.load_digits,
}  # fmt: skip


def seed(name: str) -> bytes:
    return hashlib.blake2b(name.encode(), digest_size=32).digest()


def data(name: str) -> tuple[list[bytes], bytes, int]:
    features, labels = LOADERS[name](return_X_y=True)
    features = (features - features.mean(0)) / np.maximum(features.std(0), 1e-9)
    order = np.random.RandomState(7).permutation(len(labels))
    features, labels = features[order], labels[order]
    classes, cut = int(labels.max()) + 1, len(labels) * 2 // 3
    halves = [(0, cut // 2), (cut // 2, cut)]
    train = [dataset_bytes(features[start:end], labels[start:end], classes) for start, end in halves]
    return train, dataset_bytes(features[cut:], labels[cut:], classes), len(labels) - cut


def run_order(train: list[bytes], test: bytes, periods_ms: tuple[int, int, int, int]) -> dict[str, float]:
    """One order; seconds of work per stage."""
    names = ("client", "alice", "bob", "carol", "victor", "mallory", "charlie")
    chain = LocalTrainingChain(START_MS, [(key_pair(seed(name))[0], 1_000 * AI3) for name in names])
    objects = MemoryObjects()
    train_ids = tuple(objects.put(item) for item in train)
    training_ms, reveal_ms, validation_ms, challenge_ms = periods_ms
    terms = OrderTerms(
        ModelSpec("logistic-regression", (("C", "0.5"), ("max_iter", "500"))), train_ids, "linear-accuracy",
        compute_test_commitment(MemoryObjects().put(test), SALT), 100 * AI3, 1_000, 5 * AI3,
        START_MS + training_ms, START_MS + training_ms + reveal_ms, START_MS + training_ms + reveal_ms + validation_ms,
        challenge_ms,
    )  # fmt: skip
    client = TrainingClient(seed("client"), chain, objects)
    order_id = client.post(terms)
    providers = [
        TrainingProvider(name, seed(name), chain, objects, data_fraction=fraction)
        for name, fraction in (("alice", 1.0), ("bob", 0.3), ("carol", 0.1))
    ]
    validators = [
        TrainingValidator("victor", seed("victor"), chain, objects),
        TrainingValidator("mallory", seed("mallory"), chain, objects, lying=True),
    ]
    stages: dict[str, float] = {}
    stages["training"], _ = timed(lambda: [(p.train(order_id), p.claim(order_id)) for p in providers])
    chain.now_ms = terms.training_deadline_ms + 1
    stages["reveal"], _ = timed(lambda: [p.reveal(order_id) for p in providers])
    chain.now_ms = terms.reveal_deadline_ms + 1

    def validate() -> None:
        client.reveal_test_data(order_id, objects.put(test), SALT)
        for validator in validators:
            validator.validate(order_id)

    stages["validation"], _ = timed(validate)
    challenger = TrainingChallenger("charlie", seed("charlie"), chain, objects)
    stages["challenge"], challenged = timed(lambda: challenger.check(order_id))
    assert len(challenged) == 1, challenged
    chain.now_ms = terms.settles_after_ms + 1
    stages["settle"], _ = timed(lambda: (client.settle(order_id), client.fetch_model(order_id)))
    return stages


def numpy_floor(model_bytes: bytes, test: bytes) -> Callable[[], object]:
    from autonomys.protocol.ai.training_orders import decode_dataset

    model, dataset = decode_model(model_bytes), decode_dataset(test)
    scale = float(1 << FIXED_POINT_BITS)
    weights, biases = np.array(model.weights) / scale, np.array(model.biases) / scale
    features, labels = np.array(dataset.features) / scale, np.array(dataset.labels)

    def evaluate() -> int:
        scores = features @ weights.T + biases
        predicted = (scores[:, 0] > 0).astype(int) if scores.shape[1] == 1 else scores.argmax(1)
        return int((predicted == labels).sum())

    return evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(LOADERS), default="wine")
    parser.add_argument("--repeats", type=int, default=3)
    for period, default in (("training", 60), ("reveal", 30), ("validation", 30), ("challenge", 60)):
        parser.add_argument(f"--{period}-seconds", type=int, default=default)
    args = parser.parse_args()
    train, test, test_rows = data(args.dataset)
    periods = tuple(1000 * seconds for seconds in (args.training_seconds, args.reveal_seconds,
                                                   args.validation_seconds, args.challenge_seconds))  # fmt: skip
    runs = [run_order(train, test, periods) for _ in range(args.repeats)]  # type: ignore[arg-type]
    stages = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
    work = sum(stages.values())
    print(f"{args.dataset}: {sum(len(item) for item in train)} training bytes, test set {test_rows} rows "
          f"({len(test)} bytes); medians of {args.repeats} orders")  # fmt: skip
    for name, seconds in stages.items():
        print(f"  {name:<11} {ms(seconds):>12}  ({seconds / work:5.1%} of the work)")
    waiting = sum(periods) / 1000
    print(f"  work total  {ms(work):>12}; waiting (the order's periods) {waiting:.0f} s: work is "
          f"{work / (work + waiting):.3%} of the order's {work + waiting:.1f} s")  # fmt: skip
    features, labels = dataset_arrays(train)
    model = train_model(ModelSpec("logistic-regression", (("C", "0.5"), ("max_iter", "500"))), features, labels, 0)
    floor = numpy_floor(model, test)
    assert floor() == evaluate_linear_accuracy(model, test)
    timings = medians({"exact": lambda: evaluate_linear_accuracy(model, test), "numpy": floor}, 20)
    summary = Summary()
    for name, seconds in stages.items():
        summary.add(f"{name} (work)", ms(seconds))
    summary.add("waiting (periods)", f"{waiting:.0f} s", "work total", f"{waiting / work:,.0f}×")
    summary.add("one exact evaluation", ms(timings["exact"]), f"numpy float {ms(timings['numpy'])}",
                f"{timings['exact'] / timings['numpy']:.0f}×")  # fmt: skip
    summary.print()


if __name__ == "__main__":
    main()
