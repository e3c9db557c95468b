# ruff: noqa: F811 - pytest fixtures imported from the sibling test module are redefined as parameters
"""The agent registry's encodings and the reputation score: golden bytes, invariants, the weighted mean and its rounding, and fuzzing of the decoders."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_agent_registry import (  # noqa: F401 - fixtures and helpers
    NOW,
    OPEN,
    UNIT,
    service,
)

from autonomys.actors.identity.agent_registry import (
    InvalidService,
    InvocationPolicy,
    ServiceDescription,
    ServiceRecord,
    invocation_message,
    service_message,
)
from autonomys.protocol.errors import DecodeError
from autonomys.protocol.identity.reputation import (
    NO_FEEDBACK_FILE,
    REPUTATION_ERRORS,
    Feedback,
    InvalidFeedback,
    ReputationError,
    compute_score,
    feedback_message,
    score,
)

# ---- encodings ----


def test_feedback_golden_bytes_and_signed_message() -> None:
    feedback = Feedback(
        b"\x11" * 32, b"\x22" * 32, -875, 1, "uptime", "", "https://a", b"\x33" * 32, NOW, b"\x30", b"\xaa"
    )
    body = (
        b"\x11" * 32 + b"\x22" * 32
        + (-875).to_bytes(16, "little", signed=True) + bytes.fromhex("01")
        + bytes.fromhex("18") + b"uptime" + bytes.fromhex("00") + bytes.fromhex("24") + b"https://a"
        + b"\x33" * 32 + bytes.fromhex("00c02cc899010000")
    )  # fmt: skip
    assert (-875).to_bytes(16, "little", signed=True) == bytes.fromhex("95fc") + b"\xff" * 14
    assert feedback.to_bytes() == body + bytes.fromhex("0430") + bytes.fromhex("04aa")
    assert feedback_message(feedback) == b"autonomys-feedback" + body
    assert Feedback.from_bytes(feedback.to_bytes()) == feedback


def test_service_record_golden_bytes() -> None:
    policy = InvocationPolicy((b"\x44" * 32,), "invoke:search", 300)
    record = ServiceRecord(2, NOW, ServiceDescription("n", "", ("a", "b"), "e", policy), b"\x30", b"\xbb")
    expected = (
        bytes.fromhex("0200000000000000") + bytes.fromhex("00c02cc899010000")
        + bytes.fromhex("046e") + bytes.fromhex("00") + bytes.fromhex("08") + bytes.fromhex("0461") + bytes.fromhex("0462")
        + bytes.fromhex("0465")
        + bytes.fromhex("0104") + b"\x44" * 32 + bytes.fromhex("0134") + b"invoke:search" + bytes.fromhex("2c010000")
        + bytes.fromhex("0430") + bytes.fromhex("04bb")
    )  # fmt: skip
    assert record.to_bytes() == expected
    assert ServiceRecord.from_bytes(expected) == record
    open_policy = ServiceRecord(1, 0, service(("a",)), b"", b"").to_bytes()
    assert open_policy.endswith(bytes.fromhex("0000") + (1024).to_bytes(4, "little") + bytes.fromhex("0000"))


def test_signed_messages() -> None:
    agent, caller, grant = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
    message = invocation_message(agent, b"\x04" * 32, 5, caller, grant)
    assert message == b"autonomys-invoke" + agent + b"\x04" * 32 + (5).to_bytes(8, "little") + caller + b"\x01" + grant
    assert invocation_message(agent, b"\x04" * 32, 5, caller, None).endswith(caller + b"\x00")
    described = service(("a",))
    assert (
        service_message(agent, 7, described)
        == b"autonomys-agent-service" + agent + bytes([7]) + bytes(7) + described.to_bytes()
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"value": 1 << 127}, "ValueOutOfRange"),
        ({"value": -(1 << 127) - 1}, "ValueOutOfRange"),
        ({"value": True}, "ValueOutOfRange"),
        ({"value_decimals": 19}, "DecimalsOutOfRange"),
        ({"value_decimals": -1}, "DecimalsOutOfRange"),
        ({"value_decimals": 1.0}, "DecimalsOutOfRange"),
        ({"tag1": "t" * 65}, "TextTooLong"),
        ({"endpoint": "e" * 513}, "TextTooLong"),
        ({"tag2": "\ud800"}, "NotUtf8"),
        ({"tag2": b"bytes"}, "NotText"),
        ({"signature": b"s" * 1025}, "BlobTooLong"),
        ({"signature_algorithm": b"a" * 129}, "BlobTooLong"),
    ],
)
def test_feedback_invariants(fields: dict[str, object], reason: str) -> None:
    base = Feedback(b"\x11" * 32, b"\x22" * 32, 1, 0, "", "", "", NO_FEEDBACK_FILE, 0, b"", b"")
    with pytest.raises(InvalidFeedback) as raised:
        replace(base, **fields)  # type: ignore[arg-type]
    assert raised.value.reason == reason
    assert isinstance(raised.value, DecodeError)
    for limit in ({"value": (1 << 127) - 1}, {"value": -(1 << 127)}, {"value_decimals": 18}, {"tag1": "t" * 64}):
        replace(base, **limit)  # type: ignore[arg-type]
    with pytest.raises(DecodeError):
        replace(base, feedback_hash=b"\x00" * 31)


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: InvocationPolicy((b"\x02" * 32, b"\x01" * 32), None, 1), "NotSorted"),
        (lambda: InvocationPolicy(None, "Invoke", 1), "InvalidAction"),
        (lambda: service(()), "InvalidCapabilities"),
        (lambda: service(("b", "a")), "NotSorted"),
        (lambda: service(("a b",)), "InvalidCapabilities"),
        (lambda: ServiceDescription("", "", ("a",), "", OPEN), "EmptyName"),
        (lambda: ServiceDescription("n" * 129, "", ("a",), "", OPEN), "TextTooLong"),
    ],
)
def test_service_invariants(build: Callable[[], object], reason: str) -> None:
    with pytest.raises(InvalidService) as raised:
        build()
    assert raised.value.reason == reason
    with pytest.raises(DecodeError):
        InvocationPolicy(None, None, 1 << 32)


# ---- the score (pure) ----


def rating(rater: int, value: int, decimals: int = 0, issued_at: int = 0, tags: tuple[str, str] = ("", "")) -> Feedback:
    return Feedback(
        b"\xaa" * 32, bytes([rater]) * 32, value, decimals, *tags, "", NO_FEEDBACK_FILE, issued_at, b"", b""
    )


def test_score_is_a_weighted_mean_in_18_decimals() -> None:
    feedbacks = [rating(1, 875, decimals=1), rating(2, 60), rating(3, -5)]
    weights = {bytes([1]) * 32: 2, bytes([2]) * 32: 1, bytes([3]) * 32: 0}
    summary = compute_score(feedbacks, weights.__getitem__)
    assert (summary.count, summary.weighted_count) == (3, 3)
    assert summary.value == (2 * 875 * 10**17 + 60 * UNIT) // 3 == 78_333_333_333_333_333_333
    assert score is compute_score
    nobody = compute_score(feedbacks, lambda rater: 0)
    assert (nobody.count, nobody.weighted_count, nobody.value) == (3, 0, None)
    assert compute_score([], lambda rater: 1).value is None


def test_score_rounds_to_nearest_with_ties_to_even() -> None:
    assert compute_score([rating(1, 0, 18), rating(2, 1, 18)], lambda rater: 1).value == 0  # 0.5 -> 0
    assert compute_score([rating(1, 1, 18), rating(2, 2, 18)], lambda rater: 1).value == 2  # 1.5 -> 2
    assert compute_score([rating(1, -1, 18), rating(2, -2, 18)], lambda rater: 1).value == -2
    assert compute_score([rating(r, v, 18) for r, v in ((1, 0), (2, 0), (3, 2))], lambda rater: 1).value == 1


def test_the_latest_feedback_of_a_rater_replaces_the_earlier_in_any_order() -> None:
    feedbacks = [rating(1, 10, issued_at=5), rating(1, 90, issued_at=7), rating(2, 50, issued_at=1)]
    for order in itertools.permutations(feedbacks):
        summary = compute_score(order, lambda rater: 1)
        assert (summary.count, summary.value) == (2, 70 * UNIT)
    tied = [rating(1, 10, issued_at=5), rating(1, 30, issued_at=5)]
    assert compute_score(tied, lambda rater: 1) == compute_score(tied[::-1], lambda rater: 1)


def test_score_by_tag() -> None:
    feedbacks = [
        rating(1, 90, tags=("fast", "")),
        rating(2, 40, tags=("fast", "cheap")),
        rating(3, 10, tags=("x", "x")),
    ]
    summary = compute_score(feedbacks, lambda rater: 1)
    assert [entry.tag for entry in summary.by_tag] == ["cheap", "fast", "x"]
    fast = summary.for_tag("fast")
    assert fast is not None and (fast.count, fast.value) == (2, 65 * UNIT)
    assert summary.for_tag("x") is not None and summary.for_tag("x").count == 1  # type: ignore[union-attr]
    assert summary.for_tag("none") is None


def test_score_errors() -> None:
    other_agent = replace(rating(2, 1), agent_id=b"\xbb" * 32)
    for feedbacks, weight, reason in (
        ([rating(1, 1), other_agent], lambda rater: 1, "MixedAgents"),
        ([rating(1, 1)], lambda rater: -1, "InvalidWeight"),
        ([rating(1, 1)], lambda rater: True, "InvalidWeight"),
    ):
        with pytest.raises(ReputationError) as raised:
            compute_score(feedbacks, weight)
        assert raised.value.reason == reason
    assert {"MixedAgents", "InvalidWeight"} == set(REPUTATION_ERRORS)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(-(10**6), 10**6), st.integers(0, 18), st.integers(0, 3)), max_size=12
    )
)
def test_score_lies_between_the_counted_values(entries: list[tuple[int, int, int, int]]) -> None:
    feedbacks = [rating(rater, value, decimals, issued_at) for rater, value, decimals, issued_at in entries]
    summary = compute_score(feedbacks, lambda rater: rater[0] % 3)
    latest = {}
    for feedback in sorted(feedbacks, key=lambda f: (f.issued_at_ms, f.to_bytes())):
        latest[feedback.rater_id] = feedback
    weighted = [(f.rater_id[0] % 3, Fraction(f.value, 10**f.value_decimals)) for f in latest.values()]
    total = sum(weight for weight, _ in weighted)
    assert summary.count == len(latest) and summary.weighted_count == total
    if total == 0:
        assert summary.value is None
    else:
        exact = sum(weight * value for weight, value in weighted) / total
        assert summary.value is not None and abs(Fraction(summary.value, UNIT) - exact) <= Fraction(1, 2 * UNIT)


# ---- decoders under fuzzing ----

_VALID_FEEDBACK = Feedback(b"\x11" * 32, b"\x22" * 32, -7, 2, "tag", "é", "e", b"\x33" * 32, NOW, b"\x30\x05", b"\xaa")
_VALID_RECORD = ServiceRecord(
    3, NOW, service(("a", "b"), InvocationPolicy((b"\x01" * 32,), "act", 9)), b"\x30", b"\xbb"
)


def _mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        st.integers(0, len(valid) - 1).map(lambda cut: valid[:cut]),
        st.tuples(st.integers(0, len(valid) - 1), st.integers(0, 255)).map(
            lambda change: valid[: change[0]] + bytes([change[1]]) + valid[change[0] + 1 :]
        ),
        st.binary(min_size=1, max_size=4).map(lambda extra: valid + extra),
    )


@settings(max_examples=400, deadline=None)
@given(_mutations(_VALID_FEEDBACK.to_bytes()))
def test_feedback_decoder_fuzz(data: bytes) -> None:
    try:
        decoded = Feedback.from_bytes(data)
    except DecodeError:
        return
    assert decoded.to_bytes() == data


@settings(max_examples=400, deadline=None)
@given(_mutations(_VALID_RECORD.to_bytes()))
def test_service_record_decoder_fuzz(data: bytes) -> None:
    try:
        decoded = ServiceRecord.from_bytes(data)
    except DecodeError:
        return
    assert decoded.to_bytes() == data


@settings(max_examples=100, deadline=None)
@given(
    st.integers(-(1 << 127), (1 << 127) - 1),
    st.integers(0, 18),
    st.text(max_size=16),
    st.text(max_size=16),
    st.binary(min_size=32, max_size=32),
    st.integers(0, (1 << 64) - 1),
    st.binary(max_size=80),
)
def test_feedback_round_trips(
    value: int, decimals: int, tag1: str, tag2: str, file_hash: bytes, issued_at: int, signature: bytes
) -> None:
    # Hypothesis text has no surrogates, and 16 characters are at most 64 UTF-8 bytes: always a valid tag.
    feedback = Feedback(
        b"\x01" * 32, b"\x02" * 32, value, decimals, tag1, tag2, "", file_hash, issued_at, b"", signature
    )
    assert Feedback.from_bytes(feedback.to_bytes()) == feedback
