# ruff: noqa: F811 - pytest fixtures imported from the sibling test module are redefined as parameters
"""Credentials on chain and selectively disclosed: anchors and revocation by the issuer, SD-JWT-style presentations, and the credential parser under fuzzing."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_credentials import (  # noqa: F401 - fixtures and helpers
    NOT_AFTER_MS,
    NOW,
    SALTS,
    SUBJECT,
    TAMPERED,
    VALID_FROM,
    VALID_UNTIL,
    Keys,
    World,
    anchor,
    forge,
    issue,
    issue_sd,
    keys,
    reason_of,
    revoke_signature,
    segments,
    world,
)

from autonomys.actors.identity.certificates import algorithm_identifier, sign
from autonomys.protocol.errors import DecodeError
from autonomys.protocol.identity.auto_id import (
    DEACTIVATE_AUTO_ID,
    blake2_256,
    deactivate_auto_id,
    encode_action_message,
    register_auto_id,
    registration_of,
)
from autonomys.protocol.identity.auto_id_types import Signature
from autonomys.protocol.identity.credentials import (
    ANCHOR_PREFIX,
    CREDENTIAL_ERRORS,
    REVOKED_PREFIX,
    VALID,
    CredentialError,
    anchor_credential,
    compute_credential_hash,
    compute_disclosure,
    compute_disclosure_digest,
    encode_anchor_message,
    encode_revoke_message,
    get_credential_anchor,
    issue_credential,
    issue_sd_credential,
    present,
    revoke_credential,
    verify_credential,
)
from autonomys.protocol.identity.did import base64url_decode, base64url_encode, did_of_auto_id
from helpers.auto_id_fixtures import MemoryStore

# ---- anchors and revocation ----


def test_anchor_and_revoke(world: World) -> None:
    credential = issue(world)
    credential_hash = anchor(world, credential)
    assert credential_hash == hashlib.blake2b(credential.encode(), digest_size=32).digest()
    assert encode_anchor_message(credential_hash, world.root) == b"autonomys-vc-anchor" + credential_hash + world.root
    assert encode_revoke_message(credential_hash) == b"autonomys-vc-revoke" + credential_hash
    assert world.store.get(ANCHOR_PREFIX + credential_hash + world.root) == NOW.to_bytes(8, "little")
    assert reason_of(world.store, credential) == VALID
    revoke_credential(
        world.store, credential_hash, world.root, revoke_signature(world.keys.root, credential_hash), NOW + 1
    )
    assert world.store.get(REVOKED_PREFIX + credential_hash + world.root) == (NOW + 1).to_bytes(8, "little")
    check = verify_credential(world.store, credential, NOW)
    assert (check.valid, check.reason) == (False, "Revoked")


def refuses(store: MemoryStore, reason: str, call: Callable[[], object]) -> None:
    snapshot = dict(store.data)
    with pytest.raises(CredentialError) as raised:
        call()
    assert raised.value.reason == reason
    assert store.data == snapshot


def test_anchor_refusals_leave_the_store_untouched(world: World) -> None:
    credential_hash = compute_credential_hash(issue(world))
    key = world.keys.root
    good = Signature(algorithm_identifier(key), sign(key, encode_anchor_message(credential_hash, world.root)))
    store = world.store
    refuses(store, "UnknownIssuer", lambda: anchor_credential(store, credential_hash, bytes(32), good, NOW))
    other_message = encode_anchor_message(bytes(32), world.root)
    wrong = Signature(algorithm_identifier(key), sign(key, other_message))
    refuses(store, "InvalidSignature", lambda: anchor_credential(store, credential_hash, world.root, wrong, NOW))
    refuses(store, "InvalidSignature", lambda: anchor_credential(store, credential_hash, world.leaf, good, NOW))
    refuses(
        store, "IssuerInvalid", lambda: anchor_credential(store, credential_hash, world.root, good, NOT_AFTER_MS + 1)
    )
    anchor_credential(store, credential_hash, world.root, good, NOW)
    refuses(store, "AlreadyAnchored", lambda: anchor_credential(store, credential_hash, world.root, good, NOW))


def test_another_issuer_cannot_block_an_anchor(world: World) -> None:
    credential = issue(world)
    anchor(world, credential, world.bank)  # the bank anchors the root's credential hash first
    assert reason_of(world.store, credential) == "NotAnchored"
    anchor(world, credential)
    assert reason_of(world.store, credential) == VALID


def test_revoke_refusals_leave_the_store_untouched(world: World) -> None:
    credential = issue(world, "leaf")
    credential_hash = compute_credential_hash(credential)
    store, leaf_key = world.store, world.keys.leaf
    good = revoke_signature(leaf_key, credential_hash)
    refuses(store, "NotAnchored", lambda: revoke_credential(store, credential_hash, world.leaf, good, NOW))
    anchor(world, credential, world.leaf)
    refuses(store, "NotAnchored", lambda: revoke_credential(store, credential_hash, world.root, good, NOW))
    bad = revoke_signature(leaf_key, bytes(32))
    refuses(store, "InvalidSignature", lambda: revoke_credential(store, credential_hash, world.leaf, bad, NOW))
    revoke_credential(store, credential_hash, world.leaf, good, NOT_AFTER_MS + 1)  # an expired issuer still revokes
    refuses(store, "AlreadyRevoked", lambda: revoke_credential(store, credential_hash, world.leaf, good, NOW))
    # A deactivated issuer can no longer revoke what it anchored.
    other = issue(world, "leaf", credential_id="urn:autonomys:vc:9")
    other_hash = anchor(world, other, world.leaf)
    message = encode_action_message(world.leaf, 0, DEACTIVATE_AUTO_ID)
    deactivate_auto_id(store, world.leaf, Signature(algorithm_identifier(leaf_key), sign(leaf_key, message)))
    other_signature = revoke_signature(leaf_key, other_hash)
    refuses(store, "UnknownIssuer", lambda: revoke_credential(store, other_hash, world.leaf, other_signature, NOW))
    assert get_credential_anchor(store, other_hash, world.leaf) == NOW


# ---- selective disclosure ----


def test_sd_credential_layout(world: World) -> None:
    credential = issue_sd(world)
    jws, *disclosures, last = credential.split("~")
    assert last == "" and len(disclosures) == 3
    header, payload = segments(credential)
    assert header["typ"] == "vc+sd-jwt" and payload["_sd_alg"] == "sha-256"
    decoded = [json.loads(base64url_decode(disclosure)) for disclosure in disclosures]
    assert [item[1] for item in decoded] == ["birthdate", "gpa", "name"]
    assert decoded[2] == [base64url_encode(SALTS["name"]), "name", "Alice"]
    assert disclosures[2] == compute_disclosure(SALTS["name"], "name", "Alice")
    digest = base64.urlsafe_b64encode(hashlib.sha256(disclosures[0].encode()).digest()).rstrip(b"=").decode()
    subject = payload["credentialSubject"]
    assert isinstance(subject, dict)
    assert subject["_sd"] == sorted(compute_disclosure_digest(disclosure) for disclosure in disclosures)
    assert digest in subject["_sd"] and "name" not in subject and subject["degree"] == "BSc"
    assert compute_credential_hash(credential) == blake2_256(jws.encode())


def test_presentations_reveal_only_what_is_chosen(world: World) -> None:
    credential = issue_sd(world)
    anchor(world, credential)
    presentation = present(credential, {"name", "gpa"})
    assert presentation.count("~") == 3
    check = verify_credential(world.store, presentation, NOW)
    assert (check.valid, check.disclosed) == (True, {"gpa": 3.9, "name": "Alice"})
    assert check.payload["credentialSubject"] == {
        "id": did_of_auto_id(SUBJECT),
        "degree": "BSc",
        "name": "Alice",
        "gpa": 3.9,
    }
    assert "_sd_alg" not in check.payload
    nothing = present(credential, set())
    assert verify_credential(world.store, nothing, NOW).disclosed == {}
    assert verify_credential(world.store, credential, NOW).disclosed.keys() == {"name", "gpa", "birthdate"}
    with pytest.raises(CredentialError, match="UnknownClaim"):
        present(credential, {"salary"})
    with pytest.raises(CredentialError, match="Malformed"):
        present(issue(world), set())


def test_tampered_disclosures_fail(world: World) -> None:
    credential = issue_sd(world)
    anchor(world, credential)
    presentation = present(credential, {"name"})
    jws, disclosure, _ = presentation.split("~")
    for position, character in enumerate(disclosure):
        changed = disclosure[:position] + ("B" if character != "B" else "C") + disclosure[position + 1 :]
        assert reason_of(world.store, f"{jws}~{changed}~") in {"Malformed", "DisclosureMismatch"}
    foreign = compute_disclosure(bytes(16), "name", "Mallory")
    assert reason_of(world.store, f"{jws}~{foreign}~") == "DisclosureMismatch"
    assert reason_of(world.store, f"{jws}~{disclosure}~{disclosure}~") == "DisclosureMismatch"
    assert reason_of(world.store, f"{jws}~{disclosure}") == "Malformed"  # the final "~" is required
    assert reason_of(world.store, jws) == "Malformed"  # a vc+sd-jwt is never a bare JWS
    for position in range(len(jws)):
        changed = jws[:position] + ("B" if jws[position] != "B" else "C") + jws[position + 1 :]
        assert reason_of(world.store, f"{changed}~{disclosure}~") in TAMPERED


def test_a_disclosure_cannot_override_a_clear_claim(world: World) -> None:
    disclosure = compute_disclosure(bytes(16), "degree", "PhD")
    header, payload = segments(issue_sd(world))
    subject = payload["credentialSubject"]
    assert isinstance(subject, dict)
    payload = {**payload, "credentialSubject": {**subject, "_sd": [compute_disclosure_digest(disclosure)]}}
    forged = forge(header, payload, world.keys.root) + "~" + disclosure + "~"
    assert reason_of(world.store, forged, require_anchor=False) == "DisclosureMismatch"


def test_sd_issuance_refuses_bad_inputs(world: World) -> None:
    def attempt(claims: Mapping[str, object], disclosable: Mapping[str, object], salts: Mapping[str, bytes]) -> None:
        issue_sd_credential(
            claims,
            disclosable,
            salts,
            world.root,
            SUBJECT,
            VALID_FROM,
            None,
            "x",
            lambda m: sign(world.keys.root, m),
            "EdDSA",
        )

    for claims, disclosable, salts in (
        ({}, {"name": "A"}, {}),
        ({}, {"name": "A"}, {"name": bytes(15)}),
        ({"name": "B"}, {"name": "A"}, {"name": bytes(16)}),
        ({}, {"id": "A"}, {"id": bytes(16)}),
        ({}, {"_sd": "A"}, {"_sd": bytes(16)}),
    ):
        with pytest.raises(CredentialError, match="Malformed"):
            attempt(claims, disclosable, salts)


# ---- fuzzing the parser ----

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="AQBbcdEeyJ0-_.~=", max_size=120) | st.text(max_size=60))
def test_arbitrary_text_raises_only_named_errors(text: str) -> None:
    store = MemoryStore()
    try:
        check = verify_credential(store, text, NOW)
    except CredentialError as error:
        assert error.reason in {"Malformed", "UnsupportedAlgorithm"}
    else:
        assert not check.valid
    try:
        present(text, {"name"})
    except CredentialError as error:
        assert error.reason in {"Malformed", "UnsupportedAlgorithm", "UnknownClaim"}


@pytest.fixture(scope="module")
def sample(keys: Keys) -> tuple[dict[str, object], dict[str, object]]:
    # A valid header and payload of the fixed Ed25519 root, without a store.
    store = MemoryStore()
    root = register_auto_id(store, registration_of(keys.certificates[0]), NOW)
    credential = issue_credential(
        {"degree": "BSc"}, root, SUBJECT, VALID_FROM, VALID_UNTIL, "x", lambda m: sign(keys.root, m), "EdDSA"
    )
    return segments(credential)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_mutated_credentials_raise_only_named_errors(
    sample: tuple[dict[str, object], dict[str, object]], data: st.DataObject
) -> None:
    header, payload = sample
    # Replace one member (of the header, the payload or the subject) by arbitrary JSON, or drop it.
    target = data.draw(st.sampled_from(["header", "payload", "subject"]))
    base: dict[str, object] = dict(header if target == "header" else payload)
    if target == "subject":
        base = dict(payload["credentialSubject"])  # type: ignore[call-overload]
    name = data.draw(st.sampled_from([*base, "_sd", "extra"]))
    if data.draw(st.booleans()):
        base[name] = data.draw(json_values)
    else:
        base.pop(name, None)
    if target == "subject":
        header, payload = header, {**payload, "credentialSubject": base}
    elif target == "header":
        header = base
    else:
        payload = base
    tail = data.draw(st.sampled_from(["", "~", "~WyJ4Il0~", "~" + compute_disclosure(bytes(16), "n", 1) + "~"]))
    text = forge(header, payload) + tail
    try:
        check = verify_credential(MemoryStore(), text, NOW)
    except CredentialError as error:
        assert error.reason in {"Malformed", "UnsupportedAlgorithm"}
    else:
        assert not check.valid and check.reason in CREDENTIAL_ERRORS


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=16))
def test_anchor_values_decode_or_raise(value: bytes) -> None:
    store = MemoryStore({ANCHOR_PREFIX + bytes(64): value})
    try:
        assert get_credential_anchor(store, bytes(32), bytes(32)) == int.from_bytes(value, "little")
    except DecodeError:
        assert len(value) != 8
