"""Proof-of-training orders (AI-PoT, the whitepaper's "Decentralized Learning and Proof-of-Training"): what an
order is, what the chain records about it, and the deterministic evaluators validators and challenges run.

PROJECT-DEFINED: the whitepaper sketches the eleven-step workflow of Li (2023) without fixing formats. An order's
training and test data are DSN objects in a fixed-point format (`Dataset`); a model is a linear classifier in the
same fixed point (`LinearModel`), so an evaluator is integer arithmetic only and a re-evaluation on chain is
bit-exact on every machine. The registry of evaluators and model kinds is fixed (`EVALUATORS`, `MODEL_KINDS`):
an order names its entries, never code.

    Dataset     = "AI3D" | rows u32 | features u32 | classes u16 | rows × (features × i64, label u16)
    LinearModel = "AI3M" | outputs u16 | features u32 | outputs × features × i64 (weights) | outputs × i64 (biases)

Values are integers scaled by 2^FIXED_POINT_BITS. A model with one output predicts class 1 when its score is
positive, else 0; with more it predicts the first output of the highest score (sklearn's `decision_function`
convention). A model whose width differs from the test set's predicts nothing right (it scores 0).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_u8,
    encode_u16,
    encode_u32,
    encode_u64,
    encode_u128,
    encode_vec_u8,
    encode_vector,
    read_u128,
    read_vector,
)
from autonomys.protocol.errors import DecodeError

FIXED_POINT_BITS: Final = 16
DATASET_MAGIC: Final = b"AI3D"
MODEL_MAGIC: Final = b"AI3M"
MAX_ROWS: Final = 1 << 20
MAX_FEATURES: Final = 1 << 12
MAX_CLASSES: Final = 1 << 10
MAX_TRAINING_OBJECTS: Final = 64
MAX_HYPERPARAMETERS: Final = 16
MAX_TEXT: Final = 64
BPS: Final = 10_000
"""The validators' share of the escrow is in basis points."""
TEST_COMMITMENT_TAG: Final = b"autonomys-test-data"
ID_SIZE: Final = 32
I64_MIN: Final = -(1 << 63)
I64_MAX: Final = (1 << 63) - 1


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


# ---- fixed-point data and models ----


@dataclass(frozen=True, slots=True)
class Dataset:
    """Rows of fixed-point features with integer labels below `classes` (module docstring)."""

    features: tuple[tuple[int, ...], ...]
    labels: tuple[int, ...]
    width: int
    classes: int

    def to_bytes(self) -> bytes:
        parts = [DATASET_MAGIC, encode_u32(len(self.labels)), encode_u32(self.width), encode_u16(self.classes)]
        for row, label in zip(self.features, self.labels, strict=True):
            parts.extend(value.to_bytes(8, "little", signed=True) for value in row)
            parts.append(encode_u16(label))
        return b"".join(parts)


def _read_i64(reader: Reader) -> int:
    return int.from_bytes(reader.read_bytes(8), "little", signed=True)


def _read_magic(reader: Reader, magic: bytes, what: str) -> None:
    if reader.read_bytes(len(magic)) != magic:
        msg = f"{what}: not a {magic.decode()} encoding"
        raise DecodeError(msg)


def _read_dataset(reader: Reader) -> Dataset:
    _read_magic(reader, DATASET_MAGIC, "dataset")
    rows, width, classes = reader.read_u32(), reader.read_u32(), reader.read_u16()
    if not 1 <= rows <= MAX_ROWS or not 1 <= width <= MAX_FEATURES or not 2 <= classes <= MAX_CLASSES:
        msg = f"dataset: {rows} rows × {width} features, {classes} classes is out of bounds"
        raise DecodeError(msg)
    if reader.remaining() != rows * (8 * width + 2):
        msg = f"dataset: {reader.remaining()} bytes for {rows} rows of {width} features"
        raise DecodeError(msg)
    features, labels = [], []
    for _ in range(rows):
        features.append(tuple(_read_i64(reader) for _ in range(width)))
        label = reader.read_u16()
        if label >= classes:
            msg = f"dataset: label {label} of {classes} classes"
            raise DecodeError(msg)
        labels.append(label)
    return Dataset(tuple(features), tuple(labels), width, classes)


def decode_dataset(data: bytes) -> Dataset:
    return decode_exactly(data, "dataset", _read_dataset)


@dataclass(frozen=True, slots=True)
class LinearModel:
    """`outputs` rows of fixed-point weights and one bias each (module docstring)."""

    weights: tuple[tuple[int, ...], ...]
    biases: tuple[int, ...]
    width: int

    def to_bytes(self) -> bytes:
        parts = [MODEL_MAGIC, encode_u16(len(self.biases)), encode_u32(self.width)]
        parts.extend(value.to_bytes(8, "little", signed=True) for row in self.weights for value in row)
        parts.extend(value.to_bytes(8, "little", signed=True) for value in self.biases)
        return b"".join(parts)

    def predict(self, row: tuple[int, ...]) -> int:
        """The class of one fixed-point row: exact integer scores (weights × features at 2^32, biases scaled up)."""
        scores = [
            sum(weight * value for weight, value in zip(weights, row, strict=True)) + (bias << FIXED_POINT_BITS)
            for weights, bias in zip(self.weights, self.biases, strict=True)
        ]
        if len(scores) == 1:
            return 1 if scores[0] > 0 else 0
        return max(range(len(scores)), key=lambda index: (scores[index], -index))


def _read_model(reader: Reader) -> LinearModel:
    _read_magic(reader, MODEL_MAGIC, "model")
    outputs, width = reader.read_u16(), reader.read_u32()
    if not 1 <= outputs <= MAX_CLASSES or not 1 <= width <= MAX_FEATURES:
        msg = f"model: {outputs} outputs × {width} features is out of bounds"
        raise DecodeError(msg)
    if reader.remaining() != 8 * outputs * (width + 1):
        msg = f"model: {reader.remaining()} bytes for {outputs} outputs of {width} features"
        raise DecodeError(msg)
    weights = tuple(tuple(_read_i64(reader) for _ in range(width)) for _ in range(outputs))
    return LinearModel(weights, tuple(_read_i64(reader) for _ in range(outputs)), width)


def decode_model(data: bytes) -> LinearModel:
    return decode_exactly(data, "model", _read_model)


# ---- the evaluator registry ----


def evaluate_linear_accuracy(model_bytes: bytes, test_bytes: bytes) -> int:
    """How many test rows the model classifies right (an exact count; DecodeError for malformed bytes)."""
    model, test = decode_model(model_bytes), decode_dataset(test_bytes)
    if model.width != test.width:
        return 0
    return sum(model.predict(row) == label for row, label in zip(test.features, test.labels, strict=True))


Evaluator = Callable[[bytes, bytes], int]
EVALUATORS: Final[dict[str, Evaluator]] = {"linear-accuracy": evaluate_linear_accuracy}
"""The deterministic validation functions an order may name: (model bytes, test bytes) → score (higher wins)."""
MODEL_DECODERS: Final[dict[str, Callable[[bytes], object]]] = {"linear-accuracy": decode_model}
"""What a revealed model must decode as, per evaluator (a reveal that does not is `malformed_model`)."""
MODEL_KINDS: Final = ("logistic-regression", "linear-svc", "ridge-classifier")
"""The model kinds providers train (each a linear classifier the linear evaluators score)."""


# ---- orders ----


def _encode_text(text: str) -> bytes:
    return encode_vec_u8(text.encode())


def _read_text(reader: Reader) -> str:
    raw = reader.read_vec_u8()
    if len(raw) > MAX_TEXT:
        msg = f"a text field of {len(raw)} bytes (at most {MAX_TEXT})"
        raise DecodeError(msg)
    try:
        return raw.decode()
    except UnicodeDecodeError as error:
        raise DecodeError(f"a text field is not UTF-8: {error}") from error


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """The model to train: a kind of MODEL_KINDS and its hyperparameters (name, value) as text, sorted by name."""

    kind: str
    hyperparameters: tuple[tuple[str, str], ...] = ()

    def to_bytes(self) -> bytes:
        pairs = [_encode_text(name) + _encode_text(value) for name, value in self.hyperparameters]
        return _encode_text(self.kind) + encode_vector(pairs)

    @classmethod
    def read(cls, reader: Reader) -> ModelSpec:
        kind = _read_text(reader)
        pairs = read_vector(reader, lambda item: (_read_text(item), _read_text(item)))
        if len(pairs) > MAX_HYPERPARAMETERS:
            msg = f"{len(pairs)} hyperparameters (at most {MAX_HYPERPARAMETERS})"
            raise DecodeError(msg)
        return cls(kind, pairs)


def _read_id(reader: Reader) -> bytes:
    return reader.read_bytes(ID_SIZE)


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What a client posts (the chain adds the client: the transaction's signer). Times are the domain block
    timestamps in ms: claims up to `training_deadline_ms`, reveals after it up to `reveal_deadline_ms`, the test
    data and validations after that up to `validation_deadline_ms`, challenges up to that plus
    `challenge_period_ms`; settlement after."""

    model: ModelSpec
    training_data: tuple[bytes, ...]
    evaluator: str
    test_commitment: bytes
    escrow: int
    validator_share_bps: int
    validator_bond: int
    training_deadline_ms: int
    reveal_deadline_ms: int
    validation_deadline_ms: int
    challenge_period_ms: int

    def to_bytes(self) -> bytes:
        return (
            self.model.to_bytes() + encode_vector(list(self.training_data)) + _encode_text(self.evaluator)
            + self.test_commitment + encode_u128(self.escrow) + encode_u16(self.validator_share_bps)
            + encode_u128(self.validator_bond) + encode_u64(self.training_deadline_ms)
            + encode_u64(self.reveal_deadline_ms) + encode_u64(self.validation_deadline_ms)
            + encode_u64(self.challenge_period_ms)
        )  # fmt: skip

    @classmethod
    def read(cls, reader: Reader) -> OrderTerms:
        model = ModelSpec.read(reader)
        data = read_vector(reader, _read_id)
        if len(data) > MAX_TRAINING_OBJECTS:
            msg = f"{len(data)} training objects (at most {MAX_TRAINING_OBJECTS})"
            raise DecodeError(msg)
        evaluator, commitment = _read_text(reader), _read_id(reader)
        escrow, share, bond = read_u128(reader), reader.read_u16(), read_u128(reader)
        times = [reader.read_u64() for _ in range(4)]
        return cls(model, data, evaluator, commitment, escrow, share, bond, *times)

    @property
    def settles_after_ms(self) -> int:
        return self.validation_deadline_ms + self.challenge_period_ms


def compute_test_commitment(test_object_id: bytes, salt: bytes) -> bytes:
    """What an order commits to: the test set's DSN object id (a hash of its bytes) under a 32-byte salt."""
    return blake2_256(TEST_COMMITMENT_TAG + salt + test_object_id)


def compute_claim(model_bytes: bytes, provider: bytes) -> bytes:
    """A provider's claim: hash(model bytes ‖ provider account), so a copied model claims for nobody else."""
    return blake2_256(model_bytes + provider)


def compute_order_id(client: bytes, terms: OrderTerms) -> bytes:
    return blake2_256(client + terms.to_bytes())


# ---- what the chain records ----


@dataclass(frozen=True, slots=True)
class Claim:
    provider: bytes
    commitment: bytes
    claimed_ms: int

    def to_bytes(self) -> bytes:
        return self.provider + self.commitment + encode_u64(self.claimed_ms)

    @classmethod
    def read(cls, reader: Reader) -> Claim:
        return cls(_read_id(reader), _read_id(reader), reader.read_u64())


@dataclass(frozen=True, slots=True)
class Reveal:
    provider: bytes
    model_object_id: bytes
    model_hash: bytes

    def to_bytes(self) -> bytes:
        return self.provider + self.model_object_id + self.model_hash

    @classmethod
    def read(cls, reader: Reader) -> Reveal:
        return cls(_read_id(reader), _read_id(reader), _read_id(reader))


@dataclass(frozen=True, slots=True)
class Validation:
    """A validator's signed result (its transaction's signature): one score per reveal, in reveal order."""

    validator: bytes
    scores: tuple[int, ...]
    overturned: bool = False

    def to_bytes(self) -> bytes:
        return self.validator + encode_vector([encode_u32(score) for score in self.scores]) + encode_u8(self.overturned)

    @classmethod
    def read(cls, reader: Reader) -> Validation:
        validator = _read_id(reader)
        scores = read_vector(reader, lambda item: item.read_u32())
        return cls(validator, scores, _read_flag(reader))


def _read_flag(reader: Reader) -> bool:
    flag = reader.read_u8()
    if flag > 1:
        msg = f"a flag byte {flag}"
        raise DecodeError(msg)
    return flag == 1


@dataclass(frozen=True, slots=True)
class Payment:
    account: bytes
    amount: int

    def to_bytes(self) -> bytes:
        return self.account + encode_u128(self.amount)

    @classmethod
    def read(cls, reader: Reader) -> Payment:
        return cls(_read_id(reader), read_u128(reader))


@dataclass(frozen=True, slots=True)
class Settlement:
    """The winner (absent: nothing scored, the escrow went back) and every payment made at settlement."""

    winner: Reveal | None
    score: int
    payments: tuple[Payment, ...]

    def to_bytes(self) -> bytes:
        winner = b"\x00" if self.winner is None else b"\x01" + self.winner.to_bytes()
        return winner + encode_u32(self.score) + encode_vector(list(self.payments))

    @classmethod
    def read(cls, reader: Reader) -> Settlement:
        winner = Reveal.read(reader) if reader.read_option_tag() else None
        return cls(winner, reader.read_u32(), read_vector(reader, Payment.read))


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order and everything submitted about it (one state entry, rewritten whole by each accepted call)."""

    order_id: bytes
    client: bytes
    terms: OrderTerms
    posted_ms: int
    claims: tuple[Claim, ...] = ()
    reveals: tuple[Reveal, ...] = ()
    test_object_id: bytes | None = None
    validations: tuple[Validation, ...] = ()
    verified: tuple[Payment, ...] = ()
    """Scores the chain computed itself (a challenge's re-evaluation), as (provider, score)."""
    settlement: Settlement | None = None

    def to_bytes(self) -> bytes:
        test = b"\x00" if self.test_object_id is None else b"\x01" + self.test_object_id
        settlement = b"\x00" if self.settlement is None else b"\x01" + self.settlement.to_bytes()
        return (
            self.order_id + self.client + self.terms.to_bytes() + encode_u64(self.posted_ms)
            + encode_vector(list(self.claims)) + encode_vector(list(self.reveals)) + test
            + encode_vector(list(self.validations)) + encode_vector(list(self.verified)) + settlement
        )  # fmt: skip

    @classmethod
    def read(cls, reader: Reader) -> OrderRecord:
        order_id, client, terms, posted = _read_id(reader), _read_id(reader), OrderTerms.read(reader), reader.read_u64()
        claims, reveals = read_vector(reader, Claim.read), read_vector(reader, Reveal.read)
        test = _read_id(reader) if reader.read_option_tag() else None
        validations, verified = read_vector(reader, Validation.read), read_vector(reader, Payment.read)
        settlement = Settlement.read(reader) if reader.read_option_tag() else None
        return cls(order_id, client, terms, posted, claims, reveals, test, validations, verified, settlement)

    def claim_of(self, provider: bytes) -> Claim | None:
        return next((claim for claim in self.claims if claim.provider == provider), None)

    def reveal_index(self, provider: bytes) -> int | None:
        return next((index for index, reveal in enumerate(self.reveals) if reveal.provider == provider), None)

    def validation_of(self, validator: bytes) -> Validation | None:
        return next((item for item in self.validations if item.validator == validator), None)


def decode_order_record(data: bytes) -> OrderRecord:
    return decode_exactly(data, "training order", OrderRecord.read)


ORDER_PREFIX: Final = b"training/order/"


def order_key(order_id: bytes) -> bytes:
    return ORDER_PREFIX + order_id


def order_phase(record: OrderRecord, now_ms: int) -> str:
    """Where an order stands at `now_ms`: training, revealing, validating, challenging, settleable or settled."""
    terms = record.terms
    if record.settlement is not None:
        return "settled"
    if now_ms <= terms.training_deadline_ms:
        return "training"
    if now_ms <= terms.reveal_deadline_ms:
        return "revealing"
    if now_ms <= terms.validation_deadline_ms:
        return "validating"
    return "challenging" if now_ms <= terms.settles_after_ms else "settleable"
