"""protocol.identity.delegation: signed grants, narrowing, revocation cascades and spend caps (project-defined).

Identities: person (root) created agent (leaf), which created sub (leaf); stranger is another root and `brief` a
leaf of person whose certificate ends before the others'. Keys are generated once per module. Every refusal is
checked for its error name and for a store left exactly as it was.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.actors.identity.certificates import (
    PrivateKey,
    Validity,
    algorithm_identifier,
    certificate_der,
    issue_certificate,
    new_key,
    sign,
)
from autonomys.protocol.errors import DecodeError
from autonomys.protocol.identity.auto_id import (
    REVOKE_CERTIFICATE,
    encode_action_message,
    get_auto_id,
    register_auto_id,
    registration_of,
    revoke_certificate,
)
from autonomys.protocol.identity.auto_id_types import Signature
from autonomys.protocol.identity.delegation import (
    DELEGATION_ERRORS,
    GRANTS_PREFIX,
    MAX_DELEGATION_DEPTH,
    REVOKED_PREFIX,
    SPENT_PREFIX,
    DelegationError,
    Grant,
    SignedGrant,
    authorize,
    get_spent,
    grant_hash,
    grant_message,
    put_grant,
    revocation_message,
    revoke_grant,
)
from helpers.auto_id_fixtures import MemoryStore

VALIDITY = Validity(datetime.datetime(2025, 1, 1), datetime.datetime(2030, 1, 1))
BRIEF_VALIDITY = Validity(datetime.datetime(2025, 1, 1), datetime.datetime(2026, 1, 1))
BRIEF_NOT_AFTER_MS = 1767225600000
NOW = 1_760_000_000_000
HOUR, DAY, PERIOD = 3_600_000, 86_400_000, 60_000
PERIOD_START = NOW // PERIOD * PERIOD  # spend periods are aligned to multiples of period_ms


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()




def rejects(store: MemoryStore, reason: str, call: Callable[[], object]) -> DelegationError:
    """`call` raises DelegationError `reason` and leaves every key of the store as it was."""
    snapshot = dict(store.data)
    with pytest.raises(DelegationError) as raised:
        call()
    assert raised.value.reason == reason
    assert store.data == snapshot
    return raised.value


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    kinds = {"person": "ed25519", "agent": "ed25519", "sub": "p256", "stranger": "ed25519", "brief": "ed25519"}
    return {name: new_key(kind) for name, kind in kinds.items()}


@dataclass
class World:
    store: MemoryStore
    keys: dict[str, PrivateKey]
    ids: dict[str, bytes]

    def signed(self, grant: Grant, signer: str | None = None) -> SignedGrant:
        key = self.keys[signer if signer is not None else self.name_of(grant.delegator)]
        return SignedGrant(grant, algorithm_identifier(key), sign(key, grant_message(grant)))

    def name_of(self, auto_id: bytes) -> str:
        return next(name for name, value in self.ids.items() if value == auto_id)

    def put(self, grant: Grant, now: int = NOW) -> bytes:
        return put_grant(self.store, self.signed(grant), now)

    def revocation(self, hash_of_grant: bytes, signer: str) -> Signature:
        key = self.keys[signer]
        return Signature(algorithm_identifier(key), sign(key, revocation_message(hash_of_grant)))

    def grant(self, delegator: str, delegate: str, **fields: object) -> Grant:
        defaults: dict[str, object] = {
            "actions": ("invoke:search", "sign", "transfer"),
            "spend_cap": 1000,
            "period_ms": PERIOD,
            "expires_ms": NOW + DAY,
            "may_redelegate": True,
            "parent": None,
            "nonce": 0,
        }
        defaults.update(fields)
        return Grant(self.ids[delegator], self.ids[delegate], **defaults)  # type: ignore[arg-type]


@pytest.fixture
def world(keys: dict[str, PrivateKey]) -> World:
    store = MemoryStore()
    person = issue_certificate("person", keys["person"], VALIDITY, serial=1)
    stranger = issue_certificate("stranger", keys["stranger"], VALIDITY, serial=2)
    agent = issue_certificate("agent", keys["agent"], VALIDITY, issuer=(person, keys["person"]), serial=10)
    brief = issue_certificate("brief", keys["brief"], BRIEF_VALIDITY, issuer=(person, keys["person"]), serial=11)
    sub = issue_certificate("sub", keys["sub"], VALIDITY, issuer=(agent, keys["agent"]), serial=20)
    ids: dict[str, bytes] = {}
    for name, certificate, issuer in (
        ("person", person, None),
        ("stranger", stranger, None),
        ("agent", agent, "person"),
        ("brief", brief, "person"),
        ("sub", sub, "agent"),
    ):
        issuer_id = None if issuer is None else ids[issuer]
        ids[name] = register_auto_id(store, registration_of(certificate_der(certificate), issuer_id), NOW)
    return World(store, keys, ids)


def chain(world: World) -> tuple[bytes, bytes]:
    """person → agent (G1: three actions, 1000 per minute, a day, may redelegate) → sub (G2: transfer only, 300 per
    minute, an hour, no redelegation)."""
    first = world.put(world.grant("person", "agent"))
    second = world.grant(
        "agent", "sub", actions=("transfer",), spend_cap=300, expires_ms=NOW + HOUR, may_redelegate=False, parent=first
    )
    return first, world.put(second)


# ---- encodings ----


def test_grant_golden_bytes() -> None:
    grant = Grant(b"\x11" * 32, b"\x22" * 32, ("sign", "transfer"), 1000, 60_000, 1 << 40, True, b"\x33" * 32, 7)
    expected = (
        b"\x11" * 32 + b"\x22" * 32
        + bytes.fromhex("08") + bytes.fromhex("10") + b"sign" + bytes.fromhex("20") + b"transfer"
        + bytes.fromhex("e8030000000000000000000000000000")  # spend_cap u128
        + bytes.fromhex("60ea000000000000")  # period_ms u64
        + bytes.fromhex("0000000000010000")  # expires_ms u64
        + bytes.fromhex("01")  # may_redelegate
        + bytes.fromhex("01") + b"\x33" * 32  # Some(parent)
        + bytes.fromhex("0700000000000000")  # nonce
    )  # fmt: skip
    assert grant.to_bytes() == expected
    assert Grant.from_bytes(expected) == grant
    assert grant_hash(grant) == blake2_256(expected)
    assert grant_message(grant) == b"autonomys-grant" + expected
    signed = SignedGrant(grant, b"\x30\x05", b"\xaa\xbb")
    assert signed.to_bytes() == expected + b"\x08\x30\x05\x08\xaa\xbb"
    assert SignedGrant.from_bytes(signed.to_bytes()) == signed
    assert revocation_message(b"\x44" * 32) == b"autonomys-grant-revoke" + b"\x44" * 32


@pytest.mark.parametrize(
    "fields",
    [
        {"actions": ()},
        {"actions": ("transfer", "sign")},
        {"actions": ("sign", "sign")},
        {"actions": ("Sign",)},
        {"actions": ("a" * 73,)},
        {"actions": tuple(f"a{index:02d}" for index in range(33))},
        {"spend_cap": 1, "period_ms": 0},
        {"spend_cap": 0, "period_ms": 1},
        {"spend_cap": 1 << 128},
        {"may_redelegate": 1},
        {"parent": b"\x00" * 31},
    ],
)
def test_grant_invariants(fields: dict[str, object]) -> None:
    base = Grant(b"\x11" * 32, b"\x22" * 32, ("sign",), 10, 5, 100, False, None, 0)
    with pytest.raises(DecodeError):
        replace(base, **fields)  # type: ignore[arg-type]


def test_non_canonical_bool_and_option_are_refused() -> None:
    encoded = Grant(b"\x11" * 32, b"\x22" * 32, ("sign",), 0, 0, 100, False, None, 0).to_bytes()
    bool_at = len(encoded) - 10
    assert encoded[bool_at : bool_at + 2] == b"\x00\x00"
    for position, value in ((bool_at, 2), (bool_at + 1, 2)):
        with pytest.raises(DecodeError):
            Grant.from_bytes(encoded[:position] + bytes([value]) + encoded[position + 1 :])


# ---- a three-level chain ----


def test_three_level_chain_spends_within_every_cap(world: World) -> None:
    first, second = chain(world)
    store = world.store
    authorize(store, second, "transfer", 200, NOW)
    assert get_spent(store, second, NOW // PERIOD) == get_spent(store, first, NOW // PERIOD) == 200
    assert store.data[SPENT_PREFIX + second] == (NOW // PERIOD).to_bytes(8, "little") + (200).to_bytes(16, "little")
    # The sub-grant's own cap: 200 + 200 > 300.
    error = rejects(store, "SpendCapExceeded", lambda: authorize(store, second, "transfer", 200, NOW))
    assert second.hex() in error.detail
    # The agent spends directly under its own grant, up to the person's cap.
    authorize(store, first, "transfer", 800, NOW)
    assert get_spent(store, first, NOW // PERIOD) == 1000
    # The sub-grant has room (200 of 300) but its parent has none: every ancestor's cap counts.
    error = rejects(store, "SpendCapExceeded", lambda: authorize(store, second, "transfer", 50, NOW))
    assert first.hex() in error.detail
    # An action without spending passes and writes nothing.
    snapshot = dict(store.data)
    authorize(store, second, "transfer", 0, NOW)
    assert store.data == snapshot


def test_spend_periods_are_aligned_to_multiples_of_the_period(world: World) -> None:
    first, second = chain(world)
    store = world.store
    authorize(store, second, "transfer", 300, PERIOD_START)
    last_millisecond = PERIOD_START + PERIOD - 1
    rejects(store, "SpendCapExceeded", lambda: authorize(store, second, "transfer", 1, last_millisecond))
    next_period = PERIOD_START + PERIOD
    authorize(store, second, "transfer", 300, next_period)
    assert get_spent(store, second, next_period // PERIOD) == 300
    assert get_spent(store, second, PERIOD_START // PERIOD) == 0  # one counter per grant: the old period is gone
    assert get_spent(store, first, next_period // PERIOD) == 300


def test_narrowing_and_actions(world: World) -> None:
    first, second = chain(world)
    store = world.store
    # The person granted "sign" to the agent, but the agent passed only "transfer" to sub.
    rejects(store, "PermissionDenied", lambda: authorize(store, second, "sign", 0, NOW))
    authorize(store, first, "sign", 0, NOW)
    rejects(store, "PermissionDenied", lambda: authorize(store, first, "vote", 0, NOW))
    # A grant without a cap allows actions but no spending.
    free = world.put(world.grant("person", "stranger", spend_cap=0, period_ms=0))
    authorize(store, free, "sign", 0, NOW)
    rejects(store, "SpendCapExceeded", lambda: authorize(store, free, "transfer", 1, NOW))


@pytest.mark.parametrize(
    ("fields", "accepted"),
    [
        ({"actions": ("sign", "vote")}, False),
        ({"spend_cap": 1001}, False),
        ({"spend_cap": 1000, "period_ms": PERIOD // 2}, False),  # twice the rate
        ({"spend_cap": 501, "period_ms": PERIOD // 2}, False),  # a little over the rate
        ({"expires_ms": NOW + DAY + 1}, False),
        ({"spend_cap": 500, "period_ms": PERIOD // 2}, True),  # the same rate, a shorter period
        ({"spend_cap": 1000, "period_ms": PERIOD * 2}, True),  # half the rate
        ({"spend_cap": 0, "period_ms": 0, "actions": ("sign",)}, True),
        ({"expires_ms": NOW + DAY}, True),
    ],
)
def test_sub_grant_must_narrow(world: World, fields: dict[str, object], accepted: bool) -> None:
    first = world.put(world.grant("person", "agent"))
    sub_grant = world.grant("agent", "sub", parent=first, **fields)
    if accepted:
        world.put(sub_grant)
    else:
        rejects(world.store, "NotNarrower", lambda: world.put(sub_grant))


# ---- refusals of put_grant ----


def test_put_grant_refusals_write_nothing(world: World) -> None:
    first, second = chain(world)
    store = world.store
    signed = world.signed(world.grant("person", "agent"))
    rejects(store, "GrantExists", lambda: put_grant(store, signed, NOW))
    ghost = replace(world.grant("person", "agent", nonce=1), delegator=b"\x05" * 32)
    rejects(store, "UnknownDelegator", lambda: put_grant(store, world.signed(ghost, "person"), NOW))
    forged = world.signed(world.grant("person", "agent", nonce=1), "agent")
    rejects(store, "InvalidSignature", lambda: put_grant(store, forged, NOW))
    to_ghost = replace(world.grant("person", "agent", nonce=1), delegate=b"\x05" * 32)
    rejects(store, "UnknownDelegate", lambda: world.put(to_ghost))
    rejects(store, "Expired", lambda: world.put(world.grant("person", "agent", expires_ms=NOW - 1)))
    orphan = world.grant("agent", "sub", parent=b"\x06" * 32)
    rejects(store, "UnknownParent", lambda: world.put(orphan))
    # Only the parent's delegate (the agent) may sub-grant under G1.
    usurper = world.grant("stranger", "sub", parent=first, spend_cap=10)
    rejects(store, "NotParentDelegate", lambda: world.put(usurper))
    # G2 does not allow redelegation.
    onward = world.grant("sub", "stranger", actions=("transfer",), spend_cap=1, expires_ms=NOW, parent=second)
    rejects(store, "RedelegationNotAllowed", lambda: world.put(onward))
    revoke_grant(store, first, world.revocation(first, "person"), NOW)
    late = world.grant("agent", "stranger", actions=("sign",), spend_cap=0, period_ms=0, parent=first)
    rejects(store, "Revoked", lambda: world.put(late))


def test_an_expired_delegator_identity_cannot_grant_and_its_grants_stop(world: World) -> None:
    store = world.store
    grant = world.grant("brief", "sub", expires_ms=NOW + 365 * DAY)
    rejects(store, "InvalidDelegator", lambda: world.put(grant, BRIEF_NOT_AFTER_MS + 1))
    hash_of_grant = world.put(grant)
    authorize(store, hash_of_grant, "sign", 0, BRIEF_NOT_AFTER_MS)
    error = rejects(
        store, "PermissionDenied", lambda: authorize(store, hash_of_grant, "sign", 0, BRIEF_NOT_AFTER_MS + 1)
    )
    assert "InvalidDelegator" in error.detail
    assert "Expired" in error.detail


def test_delegation_depth_is_bounded(world: World) -> None:
    parent = world.put(world.grant("person", "agent"))
    for nonce in range(1, MAX_DELEGATION_DEPTH):
        parent = world.put(world.grant("agent", "agent", parent=parent, nonce=nonce))
    too_deep = world.grant("agent", "sub", parent=parent)
    rejects(world.store, "DelegationTooDeep", lambda: world.put(too_deep))


# ---- revocation and authorization refusals ----


def test_revocation_cascades_to_sub_grants(world: World) -> None:
    first, second = chain(world)
    store = world.store
    rejects(store, "InvalidSignature", lambda: revoke_grant(store, first, world.revocation(first, "agent"), NOW))
    rejects(store, "UnknownGrant", lambda: revoke_grant(store, b"\x08" * 32, world.revocation(first, "person"), NOW))
    revoke_grant(store, first, world.revocation(first, "person"), NOW + 5)
    assert store.data[REVOKED_PREFIX + first] == (NOW + 5).to_bytes(8, "little")
    assert REVOKED_PREFIX + second not in store.data
    rejects(store, "Revoked", lambda: revoke_grant(store, first, world.revocation(first, "person"), NOW))
    for hash_of_grant in (first, second):
        use = functools.partial(authorize, store, hash_of_grant, "transfer", 1, NOW)
        error = rejects(store, "PermissionDenied", use)
        assert f"Revoked: {first.hex()}" in error.detail


def test_revoking_a_sub_grant_leaves_its_parent(world: World) -> None:
    first, second = chain(world)
    store = world.store
    revoke_grant(store, second, world.revocation(second, "agent"), NOW)
    rejects(store, "PermissionDenied", lambda: authorize(store, second, "transfer", 1, NOW))
    authorize(store, first, "transfer", 1, NOW)


def test_authorize_refusals(world: World) -> None:
    first, second = chain(world)
    store = world.store
    rejects(store, "PermissionDenied", lambda: authorize(store, b"\x09" * 32, "transfer", 0, NOW))
    authorize(store, second, "transfer", 1, NOW + HOUR)  # expiry is inclusive
    error = rejects(store, "PermissionDenied", lambda: authorize(store, second, "transfer", 1, NOW + HOUR + 1))
    assert "Expired" in error.detail
    # The person revokes the agent's certificate: the agent is G2's delegator and G1's delegate.
    issuer = get_auto_id(store, world.ids["person"])
    assert issuer is not None
    message = encode_action_message(world.ids["agent"], issuer.nonce, REVOKE_CERTIFICATE)
    key = world.keys["person"]
    revoke_certificate(store, world.ids["agent"], Signature(algorithm_identifier(key), sign(key, message)), NOW)
    error = rejects(store, "PermissionDenied", lambda: authorize(store, second, "transfer", 1, NOW))
    assert "InvalidDelegator" in error.detail
    error = rejects(store, "PermissionDenied", lambda: authorize(store, first, "transfer", 1, NOW))
    assert "InvalidDelegate" in error.detail


def test_every_reason_is_named() -> None:
    with pytest.raises(ValueError, match="not a delegation error"):
        DelegationError("Nope")
    assert len(set(DELEGATION_ERRORS)) == len(DELEGATION_ERRORS)
    assert all(key.startswith(b"delegation/") for key in (GRANTS_PREFIX, REVOKED_PREFIX, SPENT_PREFIX))


# ---- decoders under fuzzing ----

_VALID_GRANT = Grant(b"\x11" * 32, b"\x22" * 32, ("sign", "transfer"), 1000, 60_000, 1 << 40, True, b"\x33" * 32, 7)
_VALID_SIGNED = SignedGrant(_VALID_GRANT, b"\x30\x05", b"\xaa")


def _mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda position, value, cut: (valid[:position] + bytes([value]) + valid[position + 1 :])[:cut],
        st.integers(0, len(valid) - 1),
        st.integers(0, 255),
        st.integers(0, len(valid)),
    )


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _mutations(_VALID_GRANT.to_bytes())))
def test_grant_decoder_fuzz(data: bytes) -> None:
    try:
        grant = Grant.from_bytes(data)
    except DecodeError:
        return
    assert grant.to_bytes() == data


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=220), _mutations(_VALID_SIGNED.to_bytes())))
def test_signed_grant_decoder_fuzz(data: bytes) -> None:
    try:
        signed = SignedGrant.from_bytes(data)
    except DecodeError:
        return
    assert signed.to_bytes() == data


_ACTIONS = st.lists(st.from_regex(r"[a-z0-9._:-]{1,72}", fullmatch=True), min_size=1, max_size=8, unique=True)


@settings(max_examples=100, deadline=None)
@given(
    _ACTIONS,
    st.integers(0, (1 << 128) - 1),
    st.integers(1, (1 << 64) - 1),
    st.integers(0, (1 << 64) - 1),
    st.booleans(),
    st.one_of(st.none(), st.binary(min_size=32, max_size=32)),
    st.integers(0, (1 << 64) - 1),
)
def test_grants_round_trip(
    actions: list[str], cap: int, period: int, expires: int, redelegate: bool, parent: bytes | None, nonce: int
) -> None:
    grant = Grant(
        b"\x01" * 32,
        b"\x02" * 32,
        tuple(sorted(actions)),
        cap,
        period if cap > 0 else 0,
        expires,
        redelegate,
        parent,
        nonce,
    )
    assert Grant.from_bytes(grant.to_bytes()) == grant
