"""Proof-of-training orders (the training pallet, index 43 of the Auto ID domain) through domain blocks: three
providers train the wine data set with scikit-learn and claim; a fourth claims late (`claim_after_deadline`);
one reveals a model other than its claim (`reveal_mismatch`); one validator lies and is challenged, overturned
and slashed; a challenge of the honest validation is refused (`challenge_of_correct_validation`); settlement is
refused until the challenge period is over (`period_not_over`, nothing paid) and then pays exactly. Every refusal
keeps its fee and changes nothing else. Plus: the evaluator is exact and deterministic, the encodings round trip."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from test_runtime_auto_id import DOMAIN, NOW_MS, RUNTIME, bundle_of, context

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
from autonomys.protocol.ai.training_calls import (
    OUTCOME_TRAINING,
    TRAINING_PALLET_INDEX,
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
    decode_training_call,
    encode_training_call,
    get_order,
)
from autonomys.protocol.ai.training_orders import (
    LinearModel,
    ModelSpec,
    OrderRecord,
    OrderTerms,
    compute_order_id,
    compute_test_commitment,
    decode_dataset,
    decode_model,
    evaluate_linear_accuracy,
)
from autonomys.protocol.domains.execution import ParentBlock, derive_domain_block
from autonomys.protocol.domains.receipts import genesis_receipt
from autonomys.protocol.domains.registry import compute_domain_genesis
from autonomys.protocol.domains.runtime_auto_id import OUTCOME_ERROR
from autonomys.protocol.domains.runtime_balances import BASE_FEE, DOMAIN_STORAGE_FEE_MULTIPLIER, sign_call
from autonomys.protocol.errors import DecodeError

AI3 = 10**18
BLOCK_MS = 6_000
ESCROW, BOND, SHARE_BPS = 100 * AI3, 5 * AI3, 1_000
SALT = bytes([0x5A]) * 32
SPEC = ModelSpec("logistic-regression", (("C", "0.5"), ("max_iter", "200")))


def seed(name: str) -> bytes:
    return hashlib.blake2b(name.encode(), digest_size=32).digest()


NAMES = ("client", "alice", "bob", "carol", "dave", "victor", "mallory", "charlie", "keeper")
KEYS = {name: key_pair(seed(name)) for name in NAMES}
ACCOUNT = {name: keys[0] for name, keys in KEYS.items()}
START = 1_000 * AI3


def wine_objects() -> tuple[list[bytes], bytes]:
    """The wine data set, standardised and shuffled with a fixed seed: two training objects and a test set."""
    features, labels = load_wine(return_X_y=True)
    features = (features - features.mean(0)) / features.std(0)
    order = np.random.RandomState(7).permutation(len(labels))
    features, labels = features[order], labels[order]
    cut = len(labels) * 2 // 3
    train = [dataset_bytes(features[:59], labels[:59], 3), dataset_bytes(features[59:cut], labels[59:cut], 3)]
    return train, dataset_bytes(features[cut:], labels[cut:], 3)


TRAIN, TEST = wine_objects()


# ---- evaluators: exact, deterministic, faithful ----


def test_the_linear_evaluator_counts_right_predictions_exactly() -> None:
    one = 1 << 16
    test = decode_dataset(
        dataset_bytes(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]), np.array([1, 0, 0]))
    ).to_bytes()
    binary = LinearModel(((one, 0),), (0,), 2).to_bytes()  # class 1 when x0 > 0: right on all three
    assert evaluate_linear_accuracy(binary, test) == 3
    assert evaluate_linear_accuracy(LinearModel(((-one, 0),), (0,), 2).to_bytes(), test) == 1  # only row 2
    assert evaluate_linear_accuracy(LinearModel(((one,),), (0,), 1).to_bytes(), test) == 0  # width mismatch
    tie = LinearModel(((0, 0), (0, 0)), (0, 0), 2).to_bytes()  # equal scores: the first class
    assert evaluate_linear_accuracy(tie, test) == 2


def test_training_is_deterministic_and_the_fixed_point_model_matches_sklearn() -> None:
    features, labels = dataset_arrays(TRAIN)
    model = train_model(SPEC, features, labels, seed=0)
    assert model == train_model(SPEC, features, labels, seed=0)
    test_features, test_labels = dataset_arrays([TEST])
    reference = LogisticRegression(C=0.5, max_iter=200, random_state=0).fit(features, labels)
    assert evaluate_linear_accuracy(model, TEST) == int((reference.predict(test_features) == test_labels).sum())
    assert evaluate_linear_accuracy(model, TEST) == evaluate_linear_accuracy(bytes(model), bytes(TEST))
    assert decode_model(model).to_bytes() == model


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_malformed_models_and_datasets_are_decode_errors(data: bytes) -> None:
    for decode in (decode_model, decode_dataset):
        try:
            value = decode(b"AI3M" + data if decode is decode_model else b"AI3D" + data)
        except DecodeError:
            continue
        assert value.to_bytes() in (b"AI3M" + data, b"AI3D" + data)


def test_training_calls_round_trip_and_garbage_is_a_decode_error() -> None:
    terms = order_terms(NOW_MS)
    calls: list[TrainingCall] = [
        PostOrder(terms), SubmitClaim(bytes(32), bytes([1]) * 32), RevealModel(bytes(32), bytes(32), b"model"),
        RevealTestData(bytes(32), bytes(32), SALT), Validate(bytes(32), (1, 2, 3)),
        Challenge(bytes(32), bytes([1]) * 32, bytes([2]) * 32, b"m", b"t"), Settle(bytes(32)),
    ]  # fmt: skip
    for call in calls:
        assert decode_training_call(encode_training_call(call)) == call
    assert TrainingPalletCall(Settle(bytes(32))).to_bytes()[0] == TRAINING_PALLET_INDEX == 0x2B

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=200))
    def arbitrary(data: bytes) -> None:
        try:
            call = decode_training_call(data)
        except DecodeError:
            return
        assert encode_training_call(call) == data

    arbitrary()


# ---- the scenario through domain blocks ----


def order_terms(start_ms: int) -> OrderTerms:
    """Claims up to block 3, reveals in blocks 4-5, test data and validations in 6-7, challenges up to block 9."""
    test_id = MemoryObjects().put(TEST)
    return OrderTerms(
        SPEC, tuple(MemoryObjects().put(data) for data in TRAIN), "linear-accuracy",
        compute_test_commitment(test_id, SALT), ESCROW, SHARE_BPS, BOND,
        start_ms + 3 * BLOCK_MS, start_ms + 5 * BLOCK_MS, start_ms + 7 * BLOCK_MS, 2 * BLOCK_MS,
    )  # fmt: skip


class DomainChain:
    """Domain blocks of the Auto ID runtime, one after another (block n at NOW_MS + 6 s × n); fees tracked."""

    def __init__(self) -> None:
        genesis = compute_domain_genesis("auto-id", DOMAIN, [(ACCOUNT[name], START) for name in NAMES])
        receipt = genesis_receipt(genesis.root)
        self.nodes = dict(genesis.created)
        self.parent = ParentBlock(receipt.domain_block_hash, genesis.root, receipt.hash())
        self.number = 0
        self.nonces = dict.fromkeys(NAMES, 0)
        self.fees = dict.fromkeys(NAMES, 0)
        self.state = RUNTIME.open_state(self.nodes, genesis.root)

    def block(self, calls: list[tuple[str, TrainingCall]]) -> list[str | None]:
        """Run one block of these calls; each call's refusal reason (None: accepted), in the order given."""
        self.number += 1
        extrinsics = []
        for name, call in calls:
            extrinsic = sign_call(DOMAIN, KEYS[name], self.nonces[name], TrainingPalletCall(call)).to_bytes()
            self.nonces[name] += 1
            self.fees[name] += BASE_FEE + DOMAIN_STORAGE_FEE_MULTIPLIER * len(extrinsic)
            extrinsics.append(extrinsic)
        executed = derive_domain_block(
            RUNTIME, self.nodes, self.parent, context(self.number, self.parent.header_hash), [bundle_of(extrinsics)],
            bytes(16), 2**256 - 1,
        )  # fmt: skip
        self.nodes.update(executed.changes.created)
        self.parent = ParentBlock(executed.header.hash(), executed.header.state_root, executed.receipt.hash())
        self.state = RUNTIME.open_state(self.nodes, executed.header.state_root)
        outcomes = {outcome[:32]: outcome[32:] for outcome in executed.outcomes}
        assert len(outcomes) == len(extrinsics)
        return [_reason(outcomes[hashlib.blake2b(extrinsic, digest_size=32).digest()]) for extrinsic in extrinsics]

    def balance(self, name: str) -> int:
        """The account's balance with its fees added back (what the pallet alone did to it)."""
        return RUNTIME.read_account(self.state, ACCOUNT[name])[0] + self.fees[name]


def _reason(outcome: bytes) -> str | None:
    if outcome[0] == OUTCOME_ERROR:
        assert outcome[1] == TRAINING_PALLET_INDEX
        return outcome[2:].decode()
    assert outcome[0] == OUTCOME_TRAINING
    return None


NAME_OF = {account: name for name, account in ACCOUNT.items()}


class Relay:
    """The roles' chain link in the scenario: reads the domain's state, queues their calls for the next block."""

    def __init__(self, chain: DomainChain) -> None:
        self.chain = chain
        self.queued: list[tuple[str, TrainingCall]] = []

    def submit(self, keys: tuple[bytes, bytes], call: TrainingCall) -> bytes:
        self.queued.append((NAME_OF[keys[0]], call))
        return bytes(32)

    def order(self, order_id: bytes) -> OrderRecord | None:
        return get_order(self.chain.state, order_id)

    def block(self, *extra: tuple[str, TrainingCall]) -> list[str | None]:
        calls, self.queued = [*self.queued, *extra], []
        return self.chain.block(calls)


@pytest.fixture(scope="module")
def scenario() -> dict[str, Any]:
    """Run the whole order through domain blocks; what each block's calls got and the balances along the way."""
    chain, objects = DomainChain(), MemoryObjects()
    relay = Relay(chain)
    for data in (*TRAIN, TEST):
        objects.put(data)
    providers = {
        name: TrainingProvider(name, seed(name), relay, objects, data_fraction=fraction, tamper=name == "carol")
        for name, fraction in (("alice", 1.0), ("bob", 0.15), ("carol", 0.06), ("dave", 0.5))
    }
    client = TrainingClient(seed("client"), relay, objects)
    terms = order_terms(NOW_MS)
    order_id = compute_order_id(ACCOUNT["client"], terms)
    steps: dict[str, Any] = {"order_id": order_id}
    client.post(terms)
    steps["post"] = relay.block()  # block 1
    for provider in providers.values():
        provider.train(order_id)
    steps["models"] = {name: provider.models[order_id] for name, provider in providers.items()}
    for name in ("alice", "bob", "carol"):
        providers[name].claim(order_id)
    steps["claims"] = relay.block()  # block 2
    relay.block()  # block 3: the training deadline
    before = relay.order(order_id)
    providers["dave"].claim(order_id)
    steps["late"] = relay.block()  # block 4
    steps["record_after_late"] = (before, relay.order(order_id))
    for name in ("alice", "bob", "carol"):  # carol reveals another model than she claimed
        providers[name].reveal(order_id)
    steps["reveals"] = relay.block()  # block 5: the reveal deadline
    client.reveal_test_data(order_id, objects.put(TEST), SALT)
    steps["test"] = relay.block()  # block 6
    honest = TrainingValidator("victor", seed("victor"), relay, objects)
    liar = TrainingValidator("mallory", seed("mallory"), relay, objects, lying=True)
    steps["scores"] = {validator.name: validator.validate(order_id) for validator in (honest, liar)}
    steps["validations"] = relay.block()  # block 7: the validation deadline
    steps["balances_before_challenges"] = {name: chain.balance(name) for name in NAMES}
    steps["challenged"] = TrainingChallenger("charlie", seed("charlie"), relay, objects).check(order_id)
    right = Challenge(order_id, ACCOUNT["victor"], ACCOUNT["alice"], steps["models"]["alice"], TEST)
    steps["challenges"] = relay.block(("charlie", right), ("keeper", Settle(order_id)))  # block 8
    steps["balances_after_challenges"] = {name: chain.balance(name) for name in NAMES}
    steps["at_period_end"] = relay.block(("keeper", Settle(order_id)))  # block 9: the period's last moment
    steps["balances_at_period_end"] = {name: chain.balance(name) for name in NAMES}
    steps["settle"] = relay.block(("keeper", Settle(order_id)), ("keeper", Settle(order_id)))  # block 10
    steps["balances_after"] = {name: chain.balance(name) for name in NAMES}
    steps["record"] = relay.order(order_id)
    steps["fetched"] = client.fetch_model(order_id)
    return steps


def test_claims_before_the_deadline_are_accepted_and_a_late_claim_is_refused(scenario: dict[str, Any]) -> None:
    assert scenario["post"] == [None] and scenario["claims"] == [None, None, None]
    assert scenario["late"] == ["claim_after_deadline"]
    before, after = scenario["record_after_late"]
    assert before == after and len(after.claims) == 3  # nothing changed


def test_a_reveal_that_does_not_match_its_claim_is_refused(scenario: dict[str, Any]) -> None:
    assert scenario["reveals"] == [None, None, "reveal_mismatch"]
    record = scenario["record"]
    assert [reveal.provider for reveal in record.reveals] == [ACCOUNT["alice"], ACCOUNT["bob"]]


def test_the_lie_is_overturned_and_the_correct_validation_stands(scenario: dict[str, Any]) -> None:
    assert scenario["test"] == [None] and scenario["validations"] == [None, None]
    honest, lie = scenario["scores"]["victor"], scenario["scores"]["mallory"]
    assert honest == (59, 55) and lie == (0, 60)  # alice's model is best; the liar inverts the ranking
    assert scenario["challenged"] == [(ACCOUNT["mallory"], ACCOUNT["alice"])]
    assert scenario["challenges"] == [None, "challenge_of_correct_validation", "period_not_over"]
    record = scenario["record"]
    assert [(item.validator, item.overturned) for item in record.validations] == [
        (ACCOUNT["victor"], False), (ACCOUNT["mallory"], True),
    ]  # fmt: skip
    before, after = scenario["balances_before_challenges"], scenario["balances_after_challenges"]
    assert after["charlie"] - before["charlie"] == BOND  # the liar's bond
    assert {name: after[name] - before[name] for name in NAMES if name != "charlie"} == dict.fromkeys(
        [name for name in NAMES if name != "charlie"], 0
    )


def test_nothing_is_paid_before_the_period_ends_and_then_exactly(scenario: dict[str, Any]) -> None:
    assert scenario["at_period_end"] == ["period_not_over"]
    assert scenario["balances_at_period_end"] == scenario["balances_after_challenges"]
    assert scenario["settle"] == [None, "already_settled"]
    before, after = scenario["balances_at_period_end"], scenario["balances_after"]
    pool = ESCROW * SHARE_BPS // 10_000
    paid = {name: after[name] - before[name] for name in NAMES}
    assert paid == {**dict.fromkeys(NAMES, 0), "alice": ESCROW - pool, "victor": pool + BOND}
    # From the start: the client paid the escrow, the liar lost its bond, the challenger earned it.
    assert {name: after[name] - START for name in NAMES} == {
        **dict.fromkeys(NAMES, 0), "client": -ESCROW, "alice": ESCROW - pool, "victor": pool,
        "mallory": -BOND, "charlie": BOND,
    }  # fmt: skip
    settlement = scenario["record"].settlement
    assert settlement.winner.provider == ACCOUNT["alice"] and settlement.score == 59


def test_the_client_fetches_the_winning_model(scenario: dict[str, Any]) -> None:
    assert scenario["fetched"] == scenario["models"]["alice"]


# ---- refusals in-process: named, and nothing changes ----


def in_process() -> tuple[LocalTrainingChain, MemoryObjects, dict[str, TrainingProvider], bytes]:
    chain = LocalTrainingChain(NOW_MS, [(ACCOUNT[name], START) for name in NAMES])
    objects = MemoryObjects()
    for data in (*TRAIN, TEST):
        objects.put(data)
    providers = {
        name: TrainingProvider(name, seed(name), chain, objects, data_fraction=fraction)
        for name, fraction in (("alice", 1.0), ("bob", 0.15))
    }
    order_id = TrainingClient(seed("client"), chain, objects).post(order_terms(NOW_MS))
    for provider in providers.values():
        provider.train(order_id)
        provider.claim(order_id)
    return chain, objects, providers, order_id


def refused(chain: LocalTrainingChain, name: str, call: TrainingCall) -> str:
    """The refusal's reason, checking it changed nothing."""
    before = dict(chain.state.data)
    with pytest.raises(TrainingError) as error:
        chain.submit(KEYS[name], call)
    assert chain.state.data == before
    return error.value.reason


def test_every_bad_call_is_refused_by_name_and_changes_nothing() -> None:
    chain, objects, providers, order_id = in_process()
    client = TrainingClient(seed("client"), chain, objects)
    model = providers["alice"].models[order_id]
    assert refused(chain, "alice", RevealModel(order_id, objects.put(model), model)) == "training_not_over"
    assert refused(chain, "client", SubmitClaim(order_id, bytes(32))) == "conflict_of_interest"
    assert refused(chain, "alice", SubmitClaim(bytes(32), bytes(32))) == "unknown_order"
    assert refused(chain, "client", PostOrder(order_terms(NOW_MS))) == "order_exists"
    assert refused(chain, "keeper", PostOrder(replace(order_terms(NOW_MS), escrow=2 * START))) == "insufficient_funds"
    assert refused(chain, "keeper", PostOrder(replace(order_terms(NOW_MS), evaluator="vibes"))) == "unknown_evaluator"
    assert refused(chain, "keeper", PostOrder(replace(order_terms(NOW_MS), training_deadline_ms=NOW_MS))) == (
        "bad_deadlines"
    )
    chain.now_ms += 4 * BLOCK_MS
    assert refused(chain, "dave", SubmitClaim(order_id, bytes(32))) == "claim_after_deadline"
    assert refused(chain, "alice", RevealModel(order_id, bytes(32), model)) == "reveal_mismatch"  # wrong object id
    assert refused(chain, "dave", RevealModel(order_id, objects.put(model), model)) == "no_claim"
    for provider in providers.values():
        provider.reveal(order_id)
    assert refused(chain, "alice", RevealModel(order_id, objects.put(model), model)) == "already_revealed"
    assert refused(chain, "client", RevealTestData(order_id, objects.put(TEST), SALT)) == "reveals_not_over"
    chain.now_ms += 2 * BLOCK_MS
    assert refused(chain, "alice", RevealModel(order_id, objects.put(model), model)) == "reveal_after_deadline"
    assert refused(chain, "victor", Validate(order_id, (1, 2))) == "test_data_not_revealed"
    assert refused(chain, "keeper", RevealTestData(order_id, objects.put(TEST), SALT)) == "not_client"
    assert refused(chain, "client", RevealTestData(order_id, objects.put(TEST), bytes(32))) == "test_data_mismatch"
    client.reveal_test_data(order_id, objects.put(TEST), SALT)
    assert refused(chain, "victor", Validate(order_id, (1,))) == "score_count_mismatch"
    assert refused(chain, "alice", Validate(order_id, (1, 2))) == "conflict_of_interest"
    TrainingValidator("victor", seed("victor"), chain, objects).validate(order_id)
    assert refused(chain, "victor", Validate(order_id, (1, 2))) == "already_validated"
    challenger = TrainingChallenger("charlie", seed("charlie"), chain, objects)
    assert challenger.check(order_id) == []  # nothing wrong to challenge
    tampered = model[:-1] + bytes([model[-1] ^ 1])
    wrong_model = Challenge(order_id, ACCOUNT["victor"], ACCOUNT["alice"], tampered, TEST)
    assert refused(chain, "charlie", wrong_model) == "model_mismatch"
    wrong_test = Challenge(order_id, ACCOUNT["victor"], ACCOUNT["alice"], model, TRAIN[0])
    assert refused(chain, "charlie", wrong_test) == "test_data_mismatch"
    right = Challenge(order_id, ACCOUNT["victor"], ACCOUNT["alice"], model, TEST)
    assert refused(chain, "charlie", right) == "challenge_of_correct_validation"
    assert refused(chain, "charlie", Settle(order_id)) == "period_not_over"
    chain.now_ms += 3 * BLOCK_MS  # the period's last moment: still challengeable, not settleable
    assert refused(chain, "charlie", Settle(order_id)) == "period_not_over"
    chain.now_ms += 1
    assert refused(chain, "charlie", right) == "challenge_period_over"
    client.settle(order_id)
    assert refused(chain, "charlie", Settle(order_id)) == "already_settled"
    assert chain.balance(ACCOUNT["alice"]) == START + ESCROW - ESCROW * SHARE_BPS // 10_000


def test_an_order_nobody_scores_returns_the_escrow_and_the_roles_catch_a_lie_end_to_end() -> None:
    chain, objects, providers, order_id = in_process()
    chain.now_ms += 10 * BLOCK_MS  # no reveals, no test data: nothing scored
    TrainingClient(seed("client"), chain, objects).settle(order_id)
    assert chain.balance(ACCOUNT["client"]) == START

    chain, objects, providers, order_id = in_process()
    chain.now_ms += 4 * BLOCK_MS
    for provider in providers.values():
        provider.reveal(order_id)
    chain.now_ms += 2 * BLOCK_MS
    TrainingClient(seed("client"), chain, objects).reveal_test_data(order_id, objects.put(TEST), SALT)
    TrainingValidator("mallory", seed("mallory"), chain, objects, lying=True).validate(order_id)
    challenger = TrainingChallenger("charlie", seed("charlie"), chain, objects)
    assert challenger.check(order_id) == [(ACCOUNT["mallory"], ACCOUNT["alice"])]
    assert challenger.check(order_id) == []  # already overturned
    chain.now_ms += 4 * BLOCK_MS
    record = TrainingClient(seed("client"), chain, objects).settle(order_id)
    assert record.settlement is not None and record.settlement.winner is not None
    assert record.settlement.winner.provider == ACCOUNT["alice"]  # the chain's own score; no honest validator
    assert chain.balance(ACCOUNT["alice"]) == START + ESCROW  # the whole escrow: nobody honest validated
    assert chain.balance(ACCOUNT["mallory"]) == START - BOND
    assert chain.balance(ACCOUNT["charlie"]) == START + BOND


# ---- ORDER.yaml ----

ORDER_YAML = """\
model: {kind: logistic-regression, hyperparameters: {C: 0.5, max_iter: 200}}
training_data: [train.csv, %s]
test_data: test.csv
escrow: 100
validator_share: 0.1
validator_bond: 5
training_seconds: 60
reveal_seconds: 30
validation_seconds: 30
challenge_seconds: 30
"""


def test_an_order_file_is_validated_with_named_errors(tmp_path) -> None:
    from click.testing import CliRunner

    from autonomys.cli.main import main
    from autonomys.cli.train import OrderFileError, csv_dataset, load_order_file

    (tmp_path / "train.csv").write_text("0.5,1.0,0\n-0.5,2.0,1\n")
    (tmp_path / "test.csv").write_text("0.25,1.5,1\n")
    good = tmp_path / "order.yaml"
    good.write_text(ORDER_YAML % ("ab" * 32))
    order = load_order_file(good)
    assert order.model.kind == "logistic-regression" and order.validator_share == Decimal("0.1")
    assert decode_dataset(csv_dataset(tmp_path / "train.csv")).labels == (0, 1)
    bad = {
        "escrow: 100": "escrow: -1",  # escrow: must be > 0
        "kind: logistic-regression": "kind: transformer",
        "test_data: test.csv": "test_data: missing.csv",
        "challenge_seconds: 30": "challenge_seconds: 30\nbonus: 1",
    }
    for before, after in bad.items():
        good.write_text((ORDER_YAML % ("ab" * 32)).replace(before, after))
        with pytest.raises(OrderFileError):
            load_order_file(good)
    good.write_text(ORDER_YAML % "not-a-file-nor-an-id")
    with pytest.raises(OrderFileError, match="training_data"):
        load_order_file(good)
    (tmp_path / "test.csv").write_text("0.25,1.5,0.5\n")  # a label that is not an integer
    with pytest.raises(OrderFileError, match="labels"):
        csv_dataset(tmp_path / "test.csv")
    good.write_text("model: [")
    found = CliRunner().invoke(main, ["train", "submit", str(good), "--data-dir", str(tmp_path)])
    assert found.exit_code == 1 and "order.yaml" in found.output and "Traceback" not in found.output
