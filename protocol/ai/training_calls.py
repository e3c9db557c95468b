"""The `training` pallet of the Auto ID domain (PROJECT-DEFINED, index 43): proof-of-training orders as calls
(`0x2b | call index | args`), each refused by a named `TrainingError` that writes nothing.

    0 post_order(OrderTerms)                                   the signer is the client; the escrow leaves its
                                                               account for the order
    1 claim(order_id [32], commitment [32])                    hash(model ‖ provider) up to the training deadline
    2 reveal(order_id [32], model object id [32], model Vec<u8>)
                                                               after the training deadline, up to the reveal one
    3 reveal_test_data(order_id [32], test object id [32], salt [32])
                                                               the client opens its commitment after the reveals
    4 validate(order_id [32], scores Vec<u32>)                 a bonded validator's scores, in reveal order
    5 challenge(order_id [32], validator [32], provider [32], model Vec<u8>, test Vec<u8>)
                                                               the chain re-runs the evaluator; a lie is overturned
                                                               and its validator's bond goes to the challenger
    6 settle(order_id [32])                                    after the challenge period: the best model's
                                                               provider and the honest validators are paid

The accounts are the domain's balances accounts (protocol.domains.runtime_balances): the transaction's sr25519
signature is the claim's, the reveal's and the validation's signature. Each call's outcome names the order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Final

from autonomys.protocol.ai.training_orders import (
    BPS,
    EVALUATORS,
    MODEL_DECODERS,
    MODEL_KINDS,
    Claim,
    OrderRecord,
    OrderTerms,
    Payment,
    Reveal,
    Settlement,
    Validation,
    blake2_256,
    compute_claim,
    compute_order_id,
    compute_test_commitment,
    decode_order_record,
    order_key,
)
from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_u8,
    encode_u32,
    encode_vec_u8,
    encode_vector,
    read_vector,
)
from autonomys.protocol.domains.bundles import Weight
from autonomys.protocol.domains.runtime import DomainState
from autonomys.protocol.domains.runtime_balances import DomainAccount, get_account, put_account
from autonomys.protocol.errors import DecodeError, ReasonedError
from autonomys.protocol.objects.mappings import plan_object

TRAINING_PALLET_INDEX: Final = 43
OUTCOME_ERROR: Final = 1
"""runtime_auto_id.OUTCOME_ERROR: `tx hash | 0x01 | TRAINING_PALLET_INDEX | reason` for a refused call."""
OUTCOME_TRAINING: Final = TRAINING_PALLET_INDEX
"""An accepted call's outcome: `tx hash | 0x2b | call index | order id [32]`."""
MAX_CLAIMS: Final = 32
MAX_VALIDATORS: Final = 16
CALL_REF_TIME: Final = 300_000_000
CHALLENGE_REF_TIME: Final = 1_000_000_000
CHALLENGE_REF_TIME_PER_PRODUCT: Final = 1_000_000
"""A challenge's weight grows with its evaluation's multiplications (test values × model outputs): 0.3-0.9 µs
each in-process (benchmarks/training_orders.py: wine 3 outputs, digits 10), so 1 µs each."""


class TrainingCallIndex(IntEnum):
    POST_ORDER = 0
    CLAIM = 1
    REVEAL = 2
    REVEAL_TEST_DATA = 3
    VALIDATE = 4
    CHALLENGE = 5
    SETTLE = 6


class TrainingError(ReasonedError):
    """A refused training-pallet call; `reason` names the rule (`claim_after_deadline`, `reveal_mismatch`, ...)."""


@dataclass(frozen=True, slots=True)
class PostOrder:
    terms: OrderTerms


@dataclass(frozen=True, slots=True)
class SubmitClaim:
    order_id: bytes
    commitment: bytes


@dataclass(frozen=True, slots=True)
class RevealModel:
    order_id: bytes
    model_object_id: bytes
    model: bytes


@dataclass(frozen=True, slots=True)
class RevealTestData:
    order_id: bytes
    test_object_id: bytes
    salt: bytes


@dataclass(frozen=True, slots=True)
class Validate:
    order_id: bytes
    scores: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Challenge:
    order_id: bytes
    validator: bytes
    provider: bytes
    model: bytes
    test_data: bytes


@dataclass(frozen=True, slots=True)
class Settle:
    order_id: bytes


TrainingCall = PostOrder | SubmitClaim | RevealModel | RevealTestData | Validate | Challenge | Settle


def encode_training_call(call: TrainingCall) -> bytes:
    """call index ‖ args (TrainingPalletCall prefixes the pallet index)."""
    if isinstance(call, PostOrder):
        return encode_u8(TrainingCallIndex.POST_ORDER) + call.terms.to_bytes()
    if isinstance(call, SubmitClaim):
        return encode_u8(TrainingCallIndex.CLAIM) + call.order_id + call.commitment
    if isinstance(call, RevealModel):
        return encode_u8(TrainingCallIndex.REVEAL) + call.order_id + call.model_object_id + encode_vec_u8(call.model)
    if isinstance(call, RevealTestData):
        return encode_u8(TrainingCallIndex.REVEAL_TEST_DATA) + call.order_id + call.test_object_id + call.salt
    if isinstance(call, Validate):
        return (
            encode_u8(TrainingCallIndex.VALIDATE) + call.order_id
            + encode_vector([encode_u32(score) for score in call.scores])
        )  # fmt: skip
    if isinstance(call, Challenge):
        return (
            encode_u8(TrainingCallIndex.CHALLENGE) + call.order_id + call.validator + call.provider
            + encode_vec_u8(call.model) + encode_vec_u8(call.test_data)
        )  # fmt: skip
    return encode_u8(TrainingCallIndex.SETTLE) + call.order_id


def read_training_call(reader: Reader) -> TrainingCall:
    index = reader.read_u8()
    if index == TrainingCallIndex.POST_ORDER:
        return PostOrder(OrderTerms.read(reader))
    if index > TrainingCallIndex.SETTLE:
        msg = f"training call: unknown index {index}"
        raise DecodeError(msg)
    order_id = reader.read_bytes(32)
    if index == TrainingCallIndex.CLAIM:
        return SubmitClaim(order_id, reader.read_bytes(32))
    if index == TrainingCallIndex.REVEAL:
        return RevealModel(order_id, reader.read_bytes(32), reader.read_vec_u8())
    if index == TrainingCallIndex.REVEAL_TEST_DATA:
        return RevealTestData(order_id, reader.read_bytes(32), reader.read_bytes(32))
    if index == TrainingCallIndex.VALIDATE:
        return Validate(order_id, read_vector(reader, lambda item: item.read_u32()))
    if index == TrainingCallIndex.CHALLENGE:
        validator, provider = reader.read_bytes(32), reader.read_bytes(32)
        return Challenge(order_id, validator, provider, reader.read_vec_u8(), reader.read_vec_u8())
    return Settle(order_id)


def decode_training_call(data: bytes) -> TrainingCall:
    return decode_exactly(data, "training call", read_training_call)


@dataclass(frozen=True, slots=True)
class TrainingPalletCall:
    """A training-pallet call as a transaction's call: `0x2b | call index | args`."""

    call: TrainingCall

    def to_bytes(self) -> bytes:
        return encode_u8(TRAINING_PALLET_INDEX) + encode_training_call(self.call)


def read_training_pallet_call(reader: Reader) -> TrainingPalletCall:
    return TrainingPalletCall(read_training_call(reader))


def training_call_weight(call: TrainingPalletCall, size: int) -> Weight:
    if isinstance(call.call, Challenge):
        outputs = int.from_bytes(call.call.model[4:6], "little")  # LinearModel's header (a bad one scores nothing)
        products = len(call.call.test_data) // 8 * max(outputs, 1)
        return Weight(CHALLENGE_REF_TIME + CHALLENGE_REF_TIME_PER_PRODUCT * products, size)
    return Weight(CALL_REF_TIME, size)


# ---- state ----


def get_order(state: DomainState, order_id: bytes) -> OrderRecord | None:
    raw = state.get(order_key(order_id))
    return None if raw is None else decode_order_record(raw)


def _order(state: DomainState, order_id: bytes) -> OrderRecord:
    record = get_order(state, order_id)
    if record is None:
        raise TrainingError("unknown_order", order_id.hex())
    return record


def _put(state: DomainState, record: OrderRecord) -> bytes:
    state.set(order_key(record.order_id), record.to_bytes())
    return record.order_id


def _take(state: DomainState, account: bytes, amount: int) -> None:
    """Check first (`insufficient_funds` changes nothing), then debit."""
    held = get_account(state, account)
    if held.balance < amount:
        raise TrainingError("insufficient_funds", f"balance {held.balance} < {amount}")
    put_account(state, account, DomainAccount(held.balance - amount, held.nonce))


def _give(state: DomainState, account: bytes, amount: int) -> None:
    held = get_account(state, account)
    put_account(state, account, DomainAccount(held.balance + amount, held.nonce))


# ---- dispatch ----


def dispatch_training(state: DomainState, signer: bytes, call: TrainingCall, now_ms: int) -> bytes:
    """Apply one call signed by `signer` at the block time `now_ms`; the order id. A refused call raises
    TrainingError (or DecodeError for malformed data) before it writes anything."""
    if isinstance(call, PostOrder):
        return _post_order(state, signer, call.terms, now_ms)
    record = _order(state, call.order_id)
    if isinstance(call, SubmitClaim):
        return _put(state, _claim(record, signer, call, now_ms))
    if isinstance(call, RevealModel):
        return _put(state, _reveal(record, signer, call, now_ms))
    if isinstance(call, RevealTestData):
        return _put(state, _reveal_test_data(record, signer, call, now_ms))
    if isinstance(call, Validate):
        updated = _validate(record, signer, call, now_ms)
        _take(state, signer, record.terms.validator_bond)
        return _put(state, updated)
    if isinstance(call, Challenge):
        updated = _challenge(record, signer, call, now_ms)
        _give(state, signer, record.terms.validator_bond)  # the liar's bond, to the challenger
        return _put(state, updated)
    return _settle(state, record, now_ms)


def training_outcome(state: DomainState, signer: bytes, call: TrainingCall, now_ms: int) -> bytes:
    """What the runtime records after the transaction hash: `0x2b | call index | order id` or
    `OUTCOME_ERROR | 0x2b | reason`."""
    try:
        order_id = dispatch_training(state, signer, call, now_ms)
    except (TrainingError, DecodeError) as error:
        reason = error.reason if isinstance(error, TrainingError) else "malformed_data"
        return encode_u8(OUTCOME_ERROR) + encode_u8(TRAINING_PALLET_INDEX) + reason.encode()
    return encode_u8(OUTCOME_TRAINING) + encode_training_call(call)[:1] + order_id


def _check_terms(terms: OrderTerms, now_ms: int) -> None:
    if terms.model.kind not in MODEL_KINDS:
        raise TrainingError("unknown_model", terms.model.kind)
    if terms.evaluator not in EVALUATORS:
        raise TrainingError("unknown_evaluator", terms.evaluator)
    if not terms.training_data:
        raise TrainingError("no_training_data")
    if terms.escrow == 0 or terms.validator_share_bps > BPS:
        raise TrainingError("bad_payment", f"escrow {terms.escrow}, validators' share {terms.validator_share_bps} bps")
    if not now_ms < terms.training_deadline_ms < terms.reveal_deadline_ms < terms.validation_deadline_ms:
        raise TrainingError("bad_deadlines", "now < training < reveal < validation deadline is required")


def _post_order(state: DomainState, client: bytes, terms: OrderTerms, now_ms: int) -> bytes:
    _check_terms(terms, now_ms)
    order_id = compute_order_id(client, terms)
    if get_order(state, order_id) is not None:
        raise TrainingError("order_exists", order_id.hex())
    _take(state, client, terms.escrow)
    return _put(state, OrderRecord(order_id, client, terms, now_ms))


def _claim(record: OrderRecord, provider: bytes, call: SubmitClaim, now_ms: int) -> OrderRecord:
    """A new claim, or a better model's claim replacing the provider's earlier one (its time is the new one's)."""
    if now_ms > record.terms.training_deadline_ms:
        raise TrainingError("claim_after_deadline", f"at {now_ms} > {record.terms.training_deadline_ms}")
    if provider == record.client:
        raise TrainingError("conflict_of_interest", "the client does not train its own order")
    others = tuple(claim for claim in record.claims if claim.provider != provider)
    if len(others) >= MAX_CLAIMS:
        raise TrainingError("too_many_claims", f"{MAX_CLAIMS} providers already claimed")
    return replace(record, claims=(*others, Claim(provider, call.commitment, now_ms)))


def _reveal(record: OrderRecord, provider: bytes, call: RevealModel, now_ms: int) -> OrderRecord:
    terms = record.terms
    if now_ms <= terms.training_deadline_ms:
        raise TrainingError("training_not_over", f"reveals open after {terms.training_deadline_ms}")
    if now_ms > terms.reveal_deadline_ms:
        raise TrainingError("reveal_after_deadline", f"at {now_ms} > {terms.reveal_deadline_ms}")
    claim = record.claim_of(provider)
    if claim is None:
        raise TrainingError("no_claim", provider.hex())
    if record.reveal_index(provider) is not None:
        raise TrainingError("already_revealed", provider.hex())
    if compute_claim(call.model, provider) != claim.commitment:
        raise TrainingError("reveal_mismatch", "hash(model ‖ provider) is not the claim")
    if plan_object(call.model).object_id != call.model_object_id:
        raise TrainingError("reveal_mismatch", "the model object id is not the model's")
    try:
        MODEL_DECODERS[terms.evaluator](call.model)
    except DecodeError as error:
        raise TrainingError("malformed_model", str(error)) from error
    return replace(record, reveals=(*record.reveals, Reveal(provider, call.model_object_id, blake2_256(call.model))))


def _reveal_test_data(record: OrderRecord, signer: bytes, call: RevealTestData, now_ms: int) -> OrderRecord:
    terms = record.terms
    if signer != record.client:
        raise TrainingError("not_client", signer.hex())
    if now_ms <= terms.reveal_deadline_ms:
        raise TrainingError("reveals_not_over", f"the test data opens after {terms.reveal_deadline_ms}")
    if now_ms > terms.validation_deadline_ms:
        raise TrainingError("validation_over", f"at {now_ms} > {terms.validation_deadline_ms}")
    if record.test_object_id is not None:
        raise TrainingError("already_revealed", "the test data")
    if compute_test_commitment(call.test_object_id, call.salt) != terms.test_commitment:
        raise TrainingError("test_data_mismatch", "the object id and salt do not open the commitment")
    return replace(record, test_object_id=call.test_object_id)


def _validate(record: OrderRecord, validator: bytes, call: Validate, now_ms: int) -> OrderRecord:
    if record.test_object_id is None:
        raise TrainingError("test_data_not_revealed")
    if now_ms > record.terms.validation_deadline_ms:
        raise TrainingError("validation_over", f"at {now_ms} > {record.terms.validation_deadline_ms}")
    if validator == record.client or record.claim_of(validator) is not None:
        raise TrainingError("conflict_of_interest", "the client and the providers do not validate")
    if record.validation_of(validator) is not None:
        raise TrainingError("already_validated", validator.hex())
    if len(record.validations) >= MAX_VALIDATORS:
        raise TrainingError("too_many_validators", f"{MAX_VALIDATORS} already validated")
    if len(call.scores) != len(record.reveals):
        raise TrainingError("score_count_mismatch", f"{len(call.scores)} scores for {len(record.reveals)} models")
    return replace(record, validations=(*record.validations, Validation(validator, call.scores)))


def _challenge(record: OrderRecord, challenger: bytes, call: Challenge, now_ms: int) -> OrderRecord:
    """Re-run the evaluator on the supplied bytes (checked against the reveal and the commitment opened)."""
    if now_ms > record.terms.settles_after_ms:
        raise TrainingError("challenge_period_over", f"at {now_ms} > {record.terms.settles_after_ms}")
    validation = record.validation_of(call.validator)
    if validation is None:
        raise TrainingError("no_validation", call.validator.hex())
    if validation.overturned:
        raise TrainingError("already_overturned", call.validator.hex())
    if challenger == call.validator:
        raise TrainingError("conflict_of_interest", "a validator does not challenge itself")
    index = record.reveal_index(call.provider)
    if index is None:
        raise TrainingError("no_reveal", call.provider.hex())
    if blake2_256(call.model) != record.reveals[index].model_hash:
        raise TrainingError("model_mismatch", "the model bytes are not the revealed model's")
    if record.test_object_id is None or plan_object(call.test_data).object_id != record.test_object_id:
        raise TrainingError("test_data_mismatch", "the test bytes are not the revealed test set")
    try:
        score = EVALUATORS[record.terms.evaluator](call.model, call.test_data)
    except DecodeError as error:
        raise TrainingError("malformed_test_data", str(error)) from error
    if score == validation.scores[index]:
        raise TrainingError("challenge_of_correct_validation", f"the validator's score {score} is right")
    validations = tuple(
        Validation(item.validator, item.scores, True) if item.validator == call.validator else item
        for item in record.validations
    )
    verified = record.verified
    if all(item.account != call.provider for item in verified):
        verified = (*verified, Payment(call.provider, score))
    return replace(record, validations=validations, verified=verified)


def model_scores(record: OrderRecord) -> dict[bytes, int]:
    """Each revealed model's score: the chain's own (a challenge's) if any, else the lower median of the honest
    (not overturned) validators' scores; a model nobody honest scored has none."""
    verified = {item.account: item.amount for item in record.verified}
    honest = [item for item in record.validations if not item.overturned]
    scores = {}
    for index, reveal in enumerate(record.reveals):
        if reveal.provider in verified:
            scores[reveal.provider] = verified[reveal.provider]
        elif honest:
            ranked = sorted(item.scores[index] for item in honest)
            scores[reveal.provider] = ranked[(len(ranked) - 1) // 2]
    return scores


def decide_settlement(record: OrderRecord) -> Settlement:
    """The best model (highest score; ties to the earlier claim, then the earlier reveal) and the payments: its
    provider gets the escrow minus the validators' share, the honest validators split that share (the division's
    remainder goes to the provider) and get their bonds back. No scored model: the escrow goes back to the client."""
    terms = record.terms
    honest = [item.validator for item in record.validations if not item.overturned]
    bonds = [Payment(validator, terms.validator_bond) for validator in honest]
    scores = model_scores(record)
    if not scores:
        return Settlement(None, 0, _nonzero([Payment(record.client, terms.escrow), *bonds]))
    claimed = {claim.provider: claim.claimed_ms for claim in record.claims}
    order = {reveal.provider: index for index, reveal in enumerate(record.reveals)}
    best = max(scores, key=lambda provider: (scores[provider], -claimed[provider], -order[provider]))
    pool = terms.escrow * terms.validator_share_bps // BPS if honest else 0
    each = pool // len(honest) if honest else 0
    winner_amount = terms.escrow - each * len(honest)
    validators = [Payment(validator, each + terms.validator_bond) for validator in honest]
    return Settlement(record.reveals[order[best]], scores[best], _nonzero([Payment(best, winner_amount), *validators]))


def _nonzero(payments: list[Payment]) -> tuple[Payment, ...]:
    return tuple(payment for payment in payments if payment.amount > 0)


def _settle(state: DomainState, record: OrderRecord, now_ms: int) -> bytes:
    if now_ms <= record.terms.settles_after_ms:
        raise TrainingError("period_not_over", f"settlement opens after {record.terms.settles_after_ms}")
    if record.settlement is not None:
        raise TrainingError("already_settled", record.order_id.hex())
    settlement = decide_settlement(record)
    for payment in settlement.payments:
        _give(state, payment.account, payment.amount)
    return _put(state, replace(record, settlement=settlement))
