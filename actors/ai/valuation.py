"""The data valuation job: each contributor's Shapley value for a model and a metric (protocol.ai.shapley).

Contributors upload datasets (an .npz object with arrays `features` and `labels`, `autonomys put` into archived
history; `load_contribution` reads the bytes back). The utility of a coalition is the validation accuracy of a
scikit-learn model (cloned, with its fixed random_state) trained on the union of the coalition's datasets; the
empty coalition, and a coalition holding one class only, predict a constant class. Exact Shapley for a few
contributors; TMC-Shapley for more, its permutations split into chunks that a `FanOut` runs (in process here, as
Ray tasks through network.compose.create_shapley_fan_out) and merged exactly. Utilities are cached per coalition
within a chunk. This module does no Ray wiring itself (tests/test_boundaries.py keeps Ray in the composition root).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.fixes import _get_threadpool_controller

from autonomys.protocol.ai.shapley import (
    MAX_EXACT_PLAYERS,
    ShapleyEstimate,
    TmcPartial,
    estimate,
    exact_shapley,
    merge_partials,
    split_permutations,
    tmc_partial,
    to_fixed_point,
)
from autonomys.protocol.errors import ProtocolError

FEATURES_KEY, LABELS_KEY = "features", "labels"
"""The arrays of a contribution's .npz object."""


class ValuationError(ProtocolError):
    """Base of the valuation job's rejections."""


class InvalidContribution(ValuationError):
    """A contribution that is not an .npz of 2-D float features and 1-D labels of the same length."""


class MismatchedTask(ValuationError):
    """Contributions and validation set that disagree on the feature count, or a task with no contributor."""


def default_model() -> LogisticRegression:
    """The job's default model: L2 logistic regression (C = 0.1: converges in few lbfgs steps on small
    coalitions) with a fixed random_state (lbfgs is deterministic)."""
    return LogisticRegression(C=0.1, max_iter=500, random_state=0)


@dataclass(frozen=True, eq=False)
class Contribution:
    """One contributor's dataset, named by its Auto ID (or any label)."""

    contributor: str
    features: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        shapes_agree = self.features.ndim == 2 and self.labels.ndim == 1 and len(self.features) == len(self.labels)
        if not shapes_agree or len(self.labels) == 0:
            raise InvalidContribution(
                f"{self.contributor}: features {self.features.shape} and labels {self.labels.shape} "
                "must be (rows, columns) and (rows,) with at least one row"
            )
        if not np.issubdtype(self.features.dtype, np.number) or not np.all(np.isfinite(self.features)):
            raise InvalidContribution(f"{self.contributor}: features must be finite numbers")


def load_contribution(contributor: str, data: bytes) -> Contribution:
    """A contribution from the bytes of its .npz object (pickled arrays refused)."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            if FEATURES_KEY not in archive or LABELS_KEY not in archive:
                raise InvalidContribution(f"{contributor}: the .npz needs arrays {FEATURES_KEY!r} and {LABELS_KEY!r}")
            return Contribution(contributor, np.asarray(archive[FEATURES_KEY]), np.asarray(archive[LABELS_KEY]))
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise InvalidContribution(f"{contributor}: not a readable .npz object ({error})") from error


def dump_contribution(contribution: Contribution) -> bytes:
    """The .npz bytes a contributor `autonomys put`s (load_contribution's inverse)."""
    buffer = io.BytesIO()
    np.savez(buffer, features=contribution.features, labels=contribution.labels)  # FEATURES_KEY, LABELS_KEY
    return buffer.getvalue()


@dataclass(frozen=True, eq=False)
class ValuationTask:
    """What the job values: the contributions, the held-out validation set, the model (unfitted)."""

    contributions: tuple[Contribution, ...]
    validation_features: np.ndarray
    validation_labels: np.ndarray
    model: Any = None
    """A scikit-learn classifier; None means default_model()."""

    def __post_init__(self) -> None:
        if len(self.contributions) == 0:
            raise MismatchedTask("no contributions to value")
        Contribution("validation", self.validation_features, self.validation_labels)
        widths = {contribution.features.shape[1] for contribution in self.contributions}
        if widths != {self.validation_features.shape[1]}:
            raise MismatchedTask(f"feature counts {sorted(widths)} vs validation {self.validation_features.shape[1]}")

    @property
    def players(self) -> int:
        return len(self.contributions)


class CoalitionUtility:
    """v(coalition) = validation accuracy of the model trained on the coalition's union, cached per coalition."""

    def __init__(self, task: ValuationTask) -> None:
        self.task = task
        self.cache: dict[int, float] = {}
        self.fits = 0
        _, counts = np.unique(task.validation_labels, return_counts=True)
        self.baseline = float(counts.max() / counts.sum())
        """The empty coalition's accuracy: predicting the validation set's most frequent class."""

    def __call__(self, coalition: int) -> float:
        if coalition not in self.cache:
            self.cache[coalition] = self._evaluate(coalition)
        return self.cache[coalition]

    def _evaluate(self, coalition: int) -> float:
        chosen = [c for index, c in enumerate(self.task.contributions) if coalition >> index & 1]
        if len(chosen) == 0:
            return self.baseline
        features = np.concatenate([c.features for c in chosen])
        labels = np.concatenate([c.labels for c in chosen])
        present = np.unique(labels)
        if len(present) == 1:  # a classifier needs two classes: predict the only one seen
            return float(np.mean(self.task.validation_labels == present[0]))
        model = clone(self.task.model if self.task.model is not None else default_model())
        # One thread per fit: the fits are tiny, so OpenMP/BLAS threads only contend (several times slower on a
        # loaded machine); parallelism comes from running chunks as separate tasks. scikit-learn's own
        # threadpoolctl controller (threadpoolctl itself is not a declared dependency).
        with _get_threadpool_controller().limit(limits=1):
            model.fit(features, labels)
            predicted = model.predict(self.task.validation_features)
        self.fits += 1
        return float(np.mean(predicted == self.task.validation_labels))


@dataclass(frozen=True, slots=True)
class ChunkRequest:
    """A share of the TMC permutations: indices [start, stop) under seed."""

    seed: bytes
    start: int
    stop: int
    tolerance: float


FanOut = Callable[[ValuationTask, Sequence[ChunkRequest]], list[TmcPartial]]
"""Runs every chunk of a task and returns their partial sums (in any order)."""


def run_permutation_chunk(task: ValuationTask, request: ChunkRequest) -> TmcPartial:
    """One chunk of TMC-Shapley: what a Ray task runs (its utilities cached for the chunk)."""
    utility = CoalitionUtility(task)
    return tmc_partial(task.players, utility, request.seed, request.start, request.stop, request.tolerance)


def run_locally(task: ValuationTask, requests: Sequence[ChunkRequest]) -> list[TmcPartial]:
    """The in-process FanOut: the chunks one after another."""
    return [run_permutation_chunk(task, request) for request in requests]


@dataclass(frozen=True, slots=True)
class Valuation:
    """Each contributor's value (accuracy points), its standard error (0 when exact) and its fixed-point form."""

    contributors: tuple[str, ...]
    values: tuple[float, ...]
    standard_errors: tuple[float, ...]
    permutations: int
    """0 for exact Shapley."""

    @property
    def fixed_point_values(self) -> tuple[int, ...]:
        """The signed micro-unit values `accrue` takes (the contract clamps negatives to 0)."""
        return tuple(to_fixed_point(value) for value in self.values)


def value_exact(task: ValuationTask) -> Valuation:
    """Exact Shapley (2**n model fits): the oracle for a few contributors."""
    if task.players > MAX_EXACT_PLAYERS:
        raise MismatchedTask(f"{task.players} contributors: exact Shapley takes at most {MAX_EXACT_PLAYERS}")
    values = exact_shapley(task.players, CoalitionUtility(task))
    return Valuation(_names(task), values, (0.0,) * task.players, 0)


def value_tmc(
    task: ValuationTask,
    permutations: int,
    seed: bytes,
    *,
    tolerance: float = 0.0,
    chunks: int = 1,
    fan_out: FanOut = run_locally,
) -> Valuation:
    """TMC-Shapley over permutations 0..permutations-1, split into `chunks` requests run by fan_out and merged."""
    requests = [ChunkRequest(seed, start, stop, tolerance) for start, stop in split_permutations(permutations, chunks)]
    merged = merge_partials(fan_out(task, requests))
    if merged.ranges != ((0, permutations),):
        raise ValuationError(f"the fan-out returned permutations {merged.ranges}, not [0, {permutations})")
    result: ShapleyEstimate = estimate(merged)
    return Valuation(_names(task), result.values, result.standard_errors, result.permutations)


def _names(task: ValuationTask) -> tuple[str, ...]:
    return tuple(contribution.contributor for contribution in task.contributions)


# ---- the four-contributor example (the test scenario, the benchmark, the docs) ----

EXAMPLE_VALIDATION_ROWS = 200
EXAMPLE_FLIPPED_SHARE = 0.75


def example_task(seed: int = 0, rows: int = 30, extra_clean: int = 0) -> ValuationTask:
    """Contributors drawn from scikit-learn's breast-cancer set (standardized; shipped with scikit-learn):
    `clean` (rows unique samples), `duplicate` (a copy of the first half of clean's rows), `noisy` (fresh rows,
    three quarters of their labels flipped), `irrelevant` (fresh labels, features replaced by Gaussian noise), then
    `extra_clean` more contributors of fresh clean rows. Validation: 200 held-out rows."""
    features, labels = load_breast_cancer(return_X_y=True)
    features = StandardScaler().fit_transform(features)
    generator = np.random.default_rng(seed)
    order = generator.permutation(len(labels))
    features, labels = features[order], labels[order]
    blocks = _blocks(EXAMPLE_VALIDATION_ROWS, rows, 3 + extra_clean)
    if rows < 2 or extra_clean < 0 or blocks[-1].stop > len(labels):
        raise MismatchedTask(f"{3 + extra_clean} blocks of {rows} rows do not fit the {len(labels)}-row dataset")
    clean_rows, noisy_rows, irrelevant_rows = blocks[0], blocks[1], blocks[2]
    flipped = labels[noisy_rows].copy()
    count = int(EXAMPLE_FLIPPED_SHARE * rows)
    flipped[:count] = 1 - flipped[:count]
    half = clean_rows.start + rows // 2
    contributions = [
        Contribution("clean", features[clean_rows], labels[clean_rows]),
        Contribution("duplicate", features[clean_rows.start : half], labels[clean_rows.start : half]),
        Contribution("noisy", features[noisy_rows], flipped),
        Contribution("irrelevant", generator.standard_normal(features[irrelevant_rows].shape), labels[irrelevant_rows]),
    ]
    contributions += [
        Contribution(f"clean-{index}", features[block], labels[block]) for index, block in enumerate(blocks[3:])
    ]
    validation = slice(0, EXAMPLE_VALIDATION_ROWS)
    return ValuationTask(tuple(contributions), features[validation], labels[validation], default_model())


def _blocks(first: int, rows: int, count: int) -> list[slice]:
    return [slice(first + index * rows, first + (index + 1) * rows) for index in range(count)]
