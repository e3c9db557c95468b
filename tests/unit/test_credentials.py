"""protocol.identity.credentials and protocol.identity.did (PROJECT-DEFINED): did:auto documents, VC 2.0 credentials
as compact JWS, selective disclosure, on-chain anchors and revocation.

Identities are generated here and registered through the pallet core at a fixed clock: an Ed25519 root (a fixed
key, so its credentials are byte-for-byte reproducible), a P-256 leaf under it and an RSA-2048 root; the
certificates are valid 2025-01-01 .. 2030-01-01.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
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
from autonomys.protocol.identity.auto_id import (
    DEACTIVATE_AUTO_ID,
    REVOKE_CERTIFICATE,
    blake2_256,
    deactivate_auto_id,
    encode_action_message,
    get_auto_id,
    register_auto_id,
    registration_of,
    revoke_certificate,
)
from autonomys.protocol.identity.auto_id_types import Signature
from autonomys.protocol.identity.credentials import (
    CREDENTIAL_ERRORS,
    MAX_TIMESTAMP_MS,
    VALID,
    CredentialError,
    anchor_credential,
    civil_from_days,
    compute_credential_hash,
    encode_anchor_message,
    encode_revoke_message,
    format_timestamp,
    issue_credential,
    issue_sd_credential,
    parse_timestamp,
    verify_credential,
)
from autonomys.protocol.identity.der import days_from_civil
from autonomys.protocol.identity.did import (
    InvalidDid,
    InvalidEncoding,
    auto_id_of_did,
    base64url_decode,
    base64url_encode,
    canonical_json,
    did_of_auto_id,
    jwk_of_public_key_info,
    parse_json,
    resolve_did,
)
from helpers.auto_id_fixtures import MemoryStore

NOT_BEFORE_MS, NOT_AFTER_MS = 1735689600000, 1893456000000  # 2025-01-01, 2030-01-01
NOW = 1_760_000_000_000
VALID_FROM, VALID_UNTIL = 1748736000000, 1875011400250  # 2025-06-01T00:00:00Z, 2029-06-01T12:30:00.250Z
VALIDITY = Validity(datetime.datetime(2025, 1, 1), datetime.datetime(2030, 1, 1))
SUBJECT = blake2_256(b"Alice")
# What a credential changed in one character is reported as: unreadable, or a signature (or key id) that fails.
TAMPERED = {"Malformed", "InvalidSignature", "UnsupportedAlgorithm", "IssuerMismatch"}
SALTS = {"name": bytes(range(16)), "birthdate": bytes(range(16, 32)), "gpa": bytes(range(32, 48))}




@dataclass(frozen=True)
class Keys:
    root: PrivateKey
    leaf: PrivateKey
    bank: PrivateKey
    certificates: tuple[bytes, bytes, bytes]


@dataclass
class World:
    store: MemoryStore
    root: bytes
    leaf: bytes
    bank: bytes
    keys: Keys

    def key_of(self, auto_id: bytes) -> PrivateKey:
        return {self.root: self.keys.root, self.leaf: self.keys.leaf, self.bank: self.keys.bank}[auto_id]


@pytest.fixture(scope="module")
def keys() -> Keys:
    root_key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    leaf_key, bank_key = new_key("p256"), new_key("rsa")
    root = issue_certificate("University", root_key, VALIDITY, serial=1)
    leaf = issue_certificate("Registrar", leaf_key, VALIDITY, issuer=(root, root_key), serial=2)
    bank = issue_certificate("Bank", bank_key, VALIDITY, serial=3)
    return Keys(root_key, leaf_key, bank_key, (certificate_der(root), certificate_der(leaf), certificate_der(bank)))


@pytest.fixture
def world(keys: Keys) -> World:
    store = MemoryStore()
    root_der, leaf_der, bank_der = keys.certificates
    root = register_auto_id(store, registration_of(root_der), NOW)
    leaf = register_auto_id(store, registration_of(leaf_der, root), NOW)
    bank = register_auto_id(store, registration_of(bank_der), NOW)
    return World(store, root, leaf, bank, keys)


ALGS = {"root": "EdDSA", "leaf": "ES256", "bank": "RS256"}


def issue(world: World, who: str = "root", **overrides: object) -> str:
    issuer = getattr(world, who)
    key = world.key_of(issuer)
    arguments: dict[str, object] = {
        "claims": {"degree": "BSc"},
        "issuer_id": issuer,
        "subject_id": SUBJECT,
        "valid_from_ms": VALID_FROM,
        "valid_until_ms": VALID_UNTIL,
        "credential_id": "urn:autonomys:vc:1",
        "sign": lambda message: sign(key, message),
        "alg": ALGS[who],
    }
    arguments.update(overrides)
    return issue_credential(**arguments)  # type: ignore[arg-type]


def issue_sd(world: World) -> str:
    key = world.keys.root
    disclosable = {"name": "Alice", "birthdate": "2000-01-01", "gpa": 3.9}
    return issue_sd_credential(
        {"degree": "BSc"},
        disclosable,
        SALTS,
        world.root,
        SUBJECT,
        VALID_FROM,
        VALID_UNTIL,
        "urn:autonomys:vc:2",
        lambda message: sign(key, message),
        "EdDSA",
    )


def anchor(world: World, credential: str, issuer: bytes | None = None) -> bytes:
    issuer_id = world.root if issuer is None else issuer
    key = world.key_of(issuer_id)
    credential_hash = compute_credential_hash(credential)
    message = encode_anchor_message(credential_hash, issuer_id)
    anchor_credential(
        world.store, credential_hash, issuer_id, Signature(algorithm_identifier(key), sign(key, message)), NOW
    )
    return credential_hash


def revoke_signature(key: PrivateKey, credential_hash: bytes) -> Signature:
    return Signature(algorithm_identifier(key), sign(key, encode_revoke_message(credential_hash)))


def forge(header: dict[str, object], payload: dict[str, object], key: PrivateKey | None = None) -> str:
    """A JWS over any header and payload, signed by `key` as certificates.sign does (ES256 left in DER on purpose
    only when the test wants it), or with a zero signature."""
    signing_input = base64url_encode(canonical_json(header)) + "." + base64url_encode(canonical_json(payload))
    signature = bytes(64) if key is None else sign(key, signing_input.encode("ascii"))
    return signing_input + "." + base64url_encode(signature)


def segments(credential: str) -> tuple[dict[str, object], dict[str, object]]:
    header, payload, _signature = credential.split("~")[0].split(".")
    decoded = json.loads(base64url_decode(header)), json.loads(base64url_decode(payload))
    assert isinstance(decoded[0], dict) and isinstance(decoded[1], dict)
    return decoded[0], decoded[1]


def reason_of(store: MemoryStore, credential: object, now: int = NOW, **options: bool) -> str:
    """The reason verify_credential gives, whether it returns a check or raises a named error."""
    try:
        return verify_credential(store, credential, now, **options).reason
    except CredentialError as error:
        return error.reason


def revoke_identity(world: World, auto_id: bytes) -> None:
    issuer_id = world.root
    issuer = get_auto_id(world.store, issuer_id)
    assert issuer is not None
    key = world.keys.root
    message = encode_action_message(auto_id, issuer.nonce, REVOKE_CERTIFICATE)
    revoke_certificate(world.store, auto_id, Signature(algorithm_identifier(key), sign(key, message)), NOW)


# ---- timestamps, base64url, JSON ----


def test_timestamps_known_answers() -> None:
    assert format_timestamp(0) == "1970-01-01T00:00:00Z"
    assert format_timestamp(951782400000) == "2000-02-29T00:00:00Z"
    assert format_timestamp(VALID_UNTIL) == "2029-06-01T12:30:00.250Z"
    assert format_timestamp(MAX_TIMESTAMP_MS) == "9999-12-31T23:59:59.999Z"
    assert parse_timestamp("2025-06-01T00:00:00.000Z") == VALID_FROM
    for bad in (-1, MAX_TIMESTAMP_MS + 1, True, 1.5):
        with pytest.raises(CredentialError, match="Malformed"):
            format_timestamp(bad)  # type: ignore[arg-type]
    refused = [
        "2025-02-29T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2025-13-01T00:00:00Z",
        "2025-00-01T00:00:00Z",
        "2025-01-01T24:00:00Z",
        "2025-01-01T00:60:00Z",
        "2025-01-01T00:00:60Z",
        "1969-12-31T23:59:59Z",
        "2025-01-01T00:00:00+00:00",
        "2025-01-01T00:00:00.1Z",
        "2025-01-01 00:00:00Z",
        "２０２５-01-01T00:00:00Z",
        "2025-01-01T00:00:00Z\n",
    ]
    for text in refused:
        with pytest.raises(CredentialError, match="Malformed"):
            parse_timestamp(text)
    assert parse_timestamp("2024-02-29T00:00:00Z") == 1709164800000


@settings(max_examples=300, deadline=None)
@given(st.integers(0, MAX_TIMESTAMP_MS))
def test_timestamps_match_datetime_and_round_trip(ms: int) -> None:
    moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(milliseconds=ms)
    expected = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{ms % 1000:03d}Z" if ms % 1000 != 0 else "Z")
    assert format_timestamp(ms) == expected
    assert parse_timestamp(expected) == ms


@settings(max_examples=300, deadline=None)
@given(st.integers(-800_000, 3_000_000))
def test_civil_from_days_inverts_days_from_civil(days: int) -> None:
    assert days_from_civil(*civil_from_days(days)) == days


def test_base64url_is_canonical_and_unpadded() -> None:
    assert base64url_decode("QQ") == b"A"
    assert base64url_decode("") == b""
    for bad in ("QR", "QQ==", "Q", "a+b/", "QQ\n", 5):
        with pytest.raises(InvalidEncoding):
            base64url_decode(bad)


def test_json_reading_is_strict() -> None:
    assert parse_json(b'{"a":[1,2.5,"x",null]}') == {"a": [1, 2.5, "x", None]}
    for bad in (b'{"a":1,"a":2}', b"NaN", b"[Infinity]", b"\xff", b"[" * 100_000, b"{", b""):
        with pytest.raises(InvalidEncoding):
            parse_json(bad)
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ABCQRabcxyz019-_=+/ ", max_size=12))
def test_base64url_decoding_never_raises_anything_else(text: str) -> None:
    try:
        data = base64url_decode(text)
    except InvalidEncoding:
        return
    assert base64url_encode(data) == text


# ---- DIDs ----


def test_did_spelling() -> None:
    auto_id = bytes(range(32))
    did = did_of_auto_id(auto_id)
    assert did == "did:auto:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    assert auto_id_of_did(did) == auto_id
    for bad in (did.upper(), did[:-1], did + "0", "did:autoid:" + auto_id.hex(), "did:auto:" + "g" * 64, None):
        with pytest.raises(InvalidDid):
            auto_id_of_did(bad)
    with pytest.raises(InvalidDid):
        did_of_auto_id(b"short")


def b64_int(text: object) -> int:
    assert isinstance(text, str)
    return int.from_bytes(base64url_decode(text), "big")


def jwk_of(document: object) -> dict[str, str]:
    assert isinstance(document, dict)
    methods = document["verificationMethod"]
    assert isinstance(methods, list) and len(methods) == 1
    assert methods[0]["type"] == "JsonWebKey"
    return methods[0]["publicKeyJwk"]  # type: ignore[no-any-return]


def test_did_documents_for_ed25519_p256_and_rsa(world: World) -> None:
    root = resolve_did(world.store, did_of_auto_id(world.root), NOW)
    assert root is not None and not root.deactivated and "controller" not in root
    key_id = did_of_auto_id(world.root) + "#key-1"
    assert root["authentication"] == [key_id] and root["assertionMethod"] == [key_id]
    root_public = world.keys.root.public_key()
    assert isinstance(root_public, ed25519.Ed25519PublicKey)
    assert jwk_of(root.document()) == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64url_encode(root_public.public_bytes_raw()),
    }

    leaf = resolve_did(world.store, did_of_auto_id(world.leaf), NOW)
    assert leaf is not None and leaf["controller"] == did_of_auto_id(world.root)
    assert isinstance(world.keys.leaf, ec.EllipticCurvePrivateKey)
    leaf_numbers = world.keys.leaf.public_key().public_numbers()
    jwk = jwk_of(leaf.document())
    assert (jwk["kty"], jwk["crv"], len(base64url_decode(jwk["x"])), len(base64url_decode(jwk["y"]))) == (
        "EC",
        "P-256",
        32,
        32,
    )
    assert (b64_int(jwk["x"]), b64_int(jwk["y"])) == (leaf_numbers.x, leaf_numbers.y)

    bank = resolve_did(world.store, did_of_auto_id(world.bank), NOW)
    assert bank is not None
    assert isinstance(world.keys.bank, rsa.RSAPrivateKey)
    bank_numbers = world.keys.bank.public_key().public_numbers()
    jwk = jwk_of(bank.document())
    assert (jwk["kty"], b64_int(jwk["n"]), b64_int(jwk["e"]), jwk["e"]) == ("RSA", bank_numbers.n, 65537, "AQAB")

    rendered = json.loads(leaf.to_json())
    assert rendered == {"didDocument": dict(leaf), "didDocumentMetadata": {"autoIdStatus": "Valid"}}
    assert leaf.to_json().encode() == canonical_json(rendered)


def test_did_documents_of_invalid_or_missing_identities_are_deactivated(world: World) -> None:
    revoke_identity(world, world.leaf)
    leaf = resolve_did(world.store, did_of_auto_id(world.leaf), NOW)
    assert leaf is not None and leaf.metadata() == {"deactivated": True, "autoIdStatus": "Revoked"}
    assert "verificationMethod" in leaf  # the key stays readable, to check what was signed before
    expired = resolve_did(world.store, did_of_auto_id(world.root), NOT_AFTER_MS + 1)
    assert expired is not None and (expired.deactivated, expired.status) == (True, "Expired")
    key = world.keys.bank
    message = encode_action_message(world.bank, 0, DEACTIVATE_AUTO_ID)
    deactivate_auto_id(world.store, world.bank, Signature(algorithm_identifier(key), sign(key, message)))
    gone = resolve_did(world.store, did_of_auto_id(world.bank), NOW)
    assert gone is not None and dict(gone) == {"@context": list(gone["@context"]), "id": did_of_auto_id(world.bank)}  # type: ignore[call-overload]
    assert gone.metadata() == {"deactivated": True, "autoIdStatus": "UnknownAutoId"}
    assert resolve_did(world.store, "did:web:example.com", NOW) is None
    assert resolve_did(world.store, 42, NOW) is None


def test_jwk_of_other_keys() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    spki = p384.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    jwk = jwk_of_public_key_info(spki)
    assert jwk is not None and jwk["crv"] == "P-384" and b64_int(jwk["x"]) == p384.public_numbers().x
    assert len(base64url_decode(jwk["x"])) == 48
    assert jwk_of_public_key_info(b"\x30\x00") is None


# ---- issuing and verifying ----


def test_credential_bytes_are_fixed_for_an_ed25519_issuer(world: World) -> None:
    credential = issue(world, credential_types=("DiplomaCredential",))
    assert credential == issue(world, credential_types=("DiplomaCredential",))
    header, payload, _signature = credential.split(".")
    issuer, subject = did_of_auto_id(world.root), did_of_auto_id(SUBJECT)
    assert world.root == blake2_256(b"University")
    assert base64url_decode(header) == f'{{"alg":"EdDSA","kid":"{issuer}#key-1","typ":"vc+jwt"}}'.encode()
    assert (
        base64url_decode(payload)
        == (
            '{"@context":["https://www.w3.org/ns/credentials/v2"],'
            '"credentialStatus":{"id":"urn:autonomys:vc:1","type":"AutoIdCredentialStatus"},'
            f'"credentialSubject":{{"degree":"BSc","id":"{subject}"}},"issuer":"{issuer}",'
            '"type":["VerifiableCredential","DiplomaCredential"],'
            '"validFrom":"2025-06-01T00:00:00Z","validUntil":"2029-06-01T12:30:00.250Z"}'
        ).encode()
    )


@pytest.mark.parametrize("who", ["root", "leaf", "bank"])
def test_round_trip_for_each_algorithm(world: World, who: str) -> None:
    credential = issue(world, who)
    issuer = getattr(world, who)
    anchor(world, credential, issuer)
    check = verify_credential(world.store, credential, NOW)
    assert (check.valid, check.reason, check.disclosed) == (True, VALID, {})
    assert check.payload == segments(credential)[1]
    assert check.payload["credentialSubject"] == {"id": did_of_auto_id(SUBJECT), "degree": "BSc"}


def test_es256_signatures_are_jose_r_and_s(world: World) -> None:
    credential = issue(world, "leaf")
    signing_input, signature = credential.rsplit(".", 1)
    raw = base64url_decode(signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = world.keys.leaf.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))


def test_validity_window_is_inclusive(world: World) -> None:
    credential = issue(world)
    anchor(world, credential)
    assert reason_of(world.store, credential, VALID_FROM) == VALID
    assert reason_of(world.store, credential, VALID_FROM - 1) == "NotYetValid"
    assert reason_of(world.store, credential, VALID_UNTIL) == VALID
    assert reason_of(world.store, credential, VALID_UNTIL + 1) == "Expired"
    open_ended = issue(world, valid_until_ms=None)
    assert "validUntil" not in segments(open_ended)[1]
    assert reason_of(world.store, open_ended, NOW, require_anchor=False) == VALID


def test_refusals_by_name(world: World) -> None:
    credential = issue(world)
    assert reason_of(world.store, credential) == "NotAnchored"
    assert reason_of(world.store, credential, require_anchor=False) == VALID
    header, payload = segments(credential)
    wrong_kid = forge({**header, "kid": did_of_auto_id(world.leaf) + "#key-1"}, payload, world.keys.root)
    assert reason_of(world.store, wrong_kid, require_anchor=False) == "IssuerMismatch"
    stranger = issue(world, issuer_id=bytes(32))
    assert reason_of(world.store, stranger, require_anchor=False) == "UnknownIssuer"
    impostor = issue(world, sign=lambda message: sign(world.keys.leaf, message), alg="ES256")
    assert reason_of(world.store, impostor, require_anchor=False) == "InvalidSignature"
    # The alg must fit the issuer's key kind: an Ed25519 issuer's signature under "ES256" never checks.
    mislabelled = forge({**header, "alg": "ES256"}, payload, world.keys.root)
    assert reason_of(world.store, mislabelled, require_anchor=False) == "InvalidSignature"
    for alg in ("HS256", "none", "ES384", "PS256"):
        assert reason_of(world.store, forge({**header, "alg": alg}, payload)) == "UnsupportedAlgorithm"
    with pytest.raises(CredentialError, match="UnsupportedAlgorithm"):
        issue(world, alg="HS256")


def test_credentials_of_a_revoked_or_expired_issuer_are_invalid(world: World) -> None:
    credential = issue(world, "leaf")
    anchor(world, credential, world.leaf)
    revoke_identity(world, world.leaf)
    check = verify_credential(world.store, credential, NOW)
    assert (check.valid, check.reason, check.detail) == (False, "IssuerInvalid", "Revoked")
    root_credential = issue(world, valid_until_ms=None)
    anchor(world, root_credential)
    check = verify_credential(world.store, root_credential, NOT_AFTER_MS + 1)
    assert (check.reason, check.detail) == ("IssuerInvalid", "Expired")


def test_every_single_character_change_fails(world: World) -> None:
    credential = issue(world)
    anchor(world, credential)
    for position, character in enumerate(credential):
        changed = credential[:position] + ("B" if character != "B" else "C") + credential[position + 1 :]
        assert reason_of(world.store, changed) in TAMPERED


def test_malformed_credentials(world: World) -> None:
    credential = issue(world)
    header, payload = segments(credential)
    bad_payloads: list[dict[str, object]] = [
        {**payload, "@context": ["https://www.w3.org/2018/credentials/v1"]},
        {**payload, "type": ["Diploma"]},
        {**payload, "issuer": "did:web:example.com"},
        {**payload, "issuer": did_of_auto_id(world.root).upper()},
        {**payload, "validFrom": "yesterday"},
        {**payload, "validUntil": 5},
        {**payload, "credentialSubject": "Alice"},
        {**payload, "credentialSubject": {"degree": "BSc"}},
        {**payload, "credentialStatus": {"type": "BitstringStatusListEntry", "id": "x"}},
        {**payload, "_sd_alg": "sha-256"},
        {key: value for key, value in payload.items() if key != "validFrom"},
    ]
    texts: list[object] = [forge(header, bad, world.keys.root) for bad in bad_payloads]
    texts += [
        forge({**header, "typ": "JWT"}, payload),
        forge({**header, "crit": ["b64"]}, payload),
        forge({"alg": "EdDSA", "typ": "vc+jwt"}, payload),
        credential + "~",  # a vc+jwt presented in the SD-JWT form
        credential + "~abc",
        credential.replace(".", "..", 1),
        "",
        "a.b",
        "é",
        None,
        credential.encode(),
    ]
    duplicate = base64url_encode(b'{"alg":"EdDSA","alg":"EdDSA","kid":"x","typ":"vc+jwt"}')
    texts.append(duplicate + credential[credential.index(".") :])
    for text in texts:
        with pytest.raises(CredentialError) as raised:
            verify_credential(world.store, text, NOW)
        assert raised.value.reason == "Malformed", text


def test_issuance_refuses_bad_inputs(world: World) -> None:
    for overrides in (
        {"claims": {"id": "did:auto:x"}},
        {"claims": {"x": float("nan")}},
        {"claims": {"x": object()}},
        {"valid_until_ms": VALID_FROM - 1},
        {"valid_from_ms": -5},
        {"credential_id": 7},
    ):
        with pytest.raises(CredentialError, match="Malformed"):
            issue(world, **overrides)
    with pytest.raises(CredentialError, match="InvalidSignature"):
        issue(world, alg="ES256")  # an Ed25519 signer cannot give a DER ECDSA signature


def test_error_reasons_are_named() -> None:
    with pytest.raises(ValueError, match="not a credential error"):
        CredentialError("Whatever")
    assert len(set(CREDENTIAL_ERRORS)) == len(CREDENTIAL_ERRORS)
