"""protocol.identity.auto_id: the Auto ID pallet (pallet-auto-id) byte for byte and check for check.

The worked example's bytes and hashes come from the project's Auto ID reference note; every other certificate is
generated here with `cryptography` (keys once per module), with fixed validity windows and a fixed `now`.
Every rejection is checked for the pallet's error name and for a store left exactly as it was.
"""

from __future__ import annotations

import datetime
import hashlib
import pickle
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.errors import DecodeError
from autonomys.protocol.identity.auto_id import (
    AUTO_ID_ERRORS,
    CRL_PREFIX,
    DEACTIVATE_AUTO_ID,
    IDS_PREFIX,
    PALLET_INDEX,
    REVOKE_CERTIFICATE,
    AutoIdError,
    compute_auto_id,
    deactivate_auto_id,
    derive_auto_id,
    dispatch,
    encode_action_message,
    get_auto_id,
    get_revocation_list,
    register_auto_id,
    renew_auto_id,
    revoke_certificate,
)
from autonomys.protocol.identity.auto_id_types import (
    AutoIdEvent,
    AutoIdEventKind,
    AutoIdRecord,
    CertificateAction,
    CertificateActionType,
    DeactivateAutoIdCall,
    RegisterAutoId,
    RegisterAutoIdCall,
    RenewAutoId,
    RenewAutoIdCall,
    RevokeCertificateCall,
    Signature,
    X509Certificate,
    decode_call,
    encode_call,
)
from autonomys.protocol.identity.der import tbs_of_certificate
from helpers.auto_id_fixtures import (
    ALG_ED25519,
    ALG_RSA_SHA256,
    ALG_RSA_SHA256_NULL,
    EXAMPLE_CERTIFICATE,
    EXAMPLE_DEACTIVATE_SIGNATURE,
    EXAMPLE_ID,
    EXAMPLE_KEY,
    EXAMPLE_LEAF_ID,
    MemoryStore,
)

EXAMPLE_NOT_BEFORE, EXAMPLE_NOT_AFTER = 1735689600000, 2051222400000

# Generated certificates are valid 2025-01-01 .. 2030-01-01; the clock stands inside.
NOT_BEFORE = datetime.datetime(2025, 1, 1)
NOT_AFTER = datetime.datetime(2030, 1, 1)
NOT_BEFORE_MS, NOT_AFTER_MS = 1735689600000, 1893456000000
NOW = 1_760_000_000_000


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()




def rejects(store: MemoryStore, reason: str, call: Callable[[], object]) -> None:
    """`call` raises the pallet error `reason` and leaves every key of the store as it was."""
    snapshot = dict(store.data)
    with pytest.raises(AutoIdError) as raised:
        call()
    assert raised.value.reason == reason
    assert raised.value.index == AUTO_ID_ERRORS.index(reason)
    assert store.data == snapshot


PrivateKey = ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def issue(
    common_name: str,
    subject_key: PrivateKey,
    issuer_key: PrivateKey,
    serial: int,
    *,
    not_before: datetime.datetime = NOT_BEFORE,
    not_after: datetime.datetime = NOT_AFTER,
    hash_algorithm: hashes.HashAlgorithm | None = None,
    rsa_padding: padding.PSS | None = None,
) -> bytes:
    """A DER certificate for `common_name` with subject_key's public key, signed by issuer_key."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "issuer")]))
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .public_key(subject_key.public_key())
    )
    if isinstance(issuer_key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        certificate = builder.sign(issuer_key, None)
    else:
        certificate = builder.sign(issuer_key, hash_algorithm or hashes.SHA256(), rsa_padding=rsa_padding)
    return certificate.public_bytes(Encoding.DER)


def register_request(certificate: bytes, issuer_id: bytes | None = None) -> RegisterAutoId:
    tbs, algorithm, signature = tbs_of_certificate(certificate)
    return RegisterAutoId(issuer_id, tbs, algorithm, signature)


def renew_request(certificate: bytes, issuer_id: bytes | None = None) -> RenewAutoId:
    tbs, algorithm, signature = tbs_of_certificate(certificate)
    return RenewAutoId(issuer_id, tbs, algorithm, signature)


def sign_action(key: PrivateKey, auto_id: bytes, nonce: int, action: int) -> Signature:
    message = encode_action_message(auto_id, nonce, action)
    if isinstance(key, rsa.RSAPrivateKey):
        return Signature(ALG_RSA_SHA256_NULL, key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return Signature(ALG_ED25519, key.sign(message))


def resign_tbs(key: rsa.RSAPrivateKey, tbs: bytes) -> RegisterAutoId:
    """A root request over arbitrary TBS bytes, signed with RSA PKCS#1 SHA-256."""
    return RegisterAutoId(None, tbs, ALG_RSA_SHA256_NULL, key.sign(tbs, padding.PKCS1v15(), hashes.SHA256()))


def tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def replace_in_tbs(tbs: bytes, old: bytes, new: bytes) -> bytes:
    """The TBS with one of its top-level TLVs `old` replaced by `new` (the outer length rewritten)."""
    header = 2 if tbs[1] < 0x80 else 2 + (tbs[1] & 0x7F)
    body = tbs[header:]
    assert body.count(old) == 1
    return tlv(0x30, body.replace(old, new))


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {
        "issuer": rsa.generate_private_key(65537, 2048),
        "leaf": rsa.generate_private_key(65537, 2048),
        "other": rsa.generate_private_key(65537, 2048),
        "rsa1024": rsa.generate_private_key(65537, 1024),
        "ed25519": ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
        "ed25519_b": ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "k1": ec.generate_private_key(ec.SECP256K1()),
        "ed448": ed448.Ed448PrivateKey.generate(),
    }


# ---- the worked example (generated for the project, Ed25519) ----


@pytest.fixture(scope="module")
def example() -> tuple[bytes, ed25519.Ed25519PrivateKey]:
    certificate = x509.load_pem_x509_certificate(EXAMPLE_CERTIFICATE).public_bytes(Encoding.DER)
    key = load_pem_private_key(EXAMPLE_KEY, None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return certificate, key


def test_worked_example_bytes(example: tuple[bytes, ed25519.Ed25519PrivateKey]) -> None:
    certificate, key = example
    tbs, algorithm, _signature = tbs_of_certificate(certificate)
    assert len(tbs) == 293
    assert algorithm == ALG_ED25519
    auto_id = derive_auto_id(certificate)
    assert auto_id.hex() == EXAMPLE_ID == blake2_256(b"autonomys-py example root (generated)").hex()
    assert compute_auto_id(b"example-agent-1", auto_id).hex() == EXAMPLE_LEAF_ID
    request = register_request(certificate)
    encoded = request.to_bytes()
    assert len(encoded) == 371
    assert encoded[:6].hex() == "000095043082"
    assert blake2_256(encoded).hex() == "b54c0db76eca38bd272581eb8de391c541a6fd6db0b3bf9dbf25bfa4f4d53640"
    assert bytes([PALLET_INDEX]) + encode_call(RegisterAutoIdCall(request)) == b"\x28\x00" + encoded
    assert RegisterAutoId.from_bytes(encoded) == request

    store = MemoryStore()
    assert register_auto_id(store, request, EXAMPLE_NOT_BEFORE) == auto_id
    value = store.data[IDS_PREFIX + auto_id]
    assert len(value) == 493
    assert blake2_256(value).hex() == "ab789248db0037d27cfae0f682b257848c3bb93f0279c6084557de0ab11a3a4b"
    assert AutoIdRecord.from_bytes(value).to_bytes() == value

    message = encode_action_message(auto_id, 0, DEACTIVATE_AUTO_ID)
    assert message == auto_id + bytes(32) + b"\x01"
    assert key.sign(message).hex() == EXAMPLE_DEACTIVATE_SIGNATURE
    signature = Signature(ALG_ED25519, bytes.fromhex(EXAMPLE_DEACTIVATE_SIGNATURE))
    assert signature.to_bytes() == bytes.fromhex("1c300506032b65700101" + EXAMPLE_DEACTIVATE_SIGNATURE)
    assert len(signature.to_bytes()) == 74


def test_worked_example_behaviour(example: tuple[bytes, ed25519.Ed25519PrivateKey]) -> None:
    certificate, _key = example
    request = register_request(certificate)
    auto_id = bytes.fromhex(EXAMPLE_ID)
    store = MemoryStore()
    event = dispatch(store, RegisterAutoIdCall(request), 1_800_000_000_000)
    assert event == AutoIdEvent(AutoIdEventKind.NEW_AUTO_ID_REGISTERED, auto_id)
    assert event.to_bytes() == b"\x00" + auto_id
    rejects(store, "AutoIdIdentifierAlreadyExists", lambda: register_auto_id(store, request, 1_800_000_000_000))
    fresh = MemoryStore()
    rejects(fresh, "ExpiredCertificate", lambda: register_auto_id(fresh, request, EXAMPLE_NOT_AFTER + 1))
    assert register_auto_id(fresh, request, EXAMPLE_NOT_AFTER) == auto_id  # inclusive
    signature = Signature(ALG_ED25519, bytes.fromhex(EXAMPLE_DEACTIVATE_SIGNATURE))
    revoke = RevokeCertificateCall(auto_id, signature)
    rejects(store, "InvalidSignature", lambda: dispatch(store, revoke, 1_800_000_000_000))
    event = dispatch(store, DeactivateAutoIdCall(auto_id, signature), 1_800_000_000_000)
    assert event == AutoIdEvent(AutoIdEventKind.AUTO_ID_DEACTIVATED, auto_id)
    assert get_auto_id(store, auto_id) is None
    assert store.data == {}


# ---- identifier derivation ----


def test_historical_derivation_vector(keys: dict[str, PrivateKey]) -> None:
    root = compute_auto_id(b"\x00", None)
    assert root.hex() == "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314"
    child = compute_auto_id(b"\x00", root)
    assert child.hex() == "1f6c133e7bca8c7714c5c9df36562e5cd51304530cc85e583351167bb75e072f"
    key = keys["ed25519"]
    certificate = issue("\x00", key, key, 1)
    assert derive_auto_id(certificate) == root
    assert derive_auto_id(certificate, root) == child


def test_depth_n_identifiers_chain_through_registration(keys: dict[str, PrivateKey]) -> None:
    store = MemoryStore()
    signer = keys["ed25519"]
    parent_id = register_auto_id(store, register_request(issue("creator", signer, signer, 1)), NOW)
    assert parent_id == blake2_256(b"creator")
    for depth, name in enumerate(("team", "agent", "sub-agent"), start=2):
        child_key = keys["ed25519_b"] if depth % 2 == 0 else keys["ed25519"]
        certificate = issue(name, child_key, signer, 100 + depth)
        child_id = register_auto_id(store, register_request(certificate, parent_id), NOW)
        assert child_id == blake2_256(parent_id + name.encode())
        assert get_auto_id(store, child_id) is not None
        parent_id, signer = child_id, child_key


def test_identifier_ignores_key_serial_validity(keys: dict[str, PrivateKey]) -> None:
    base = derive_auto_id(issue("agent", keys["ed25519"], keys["ed25519"], 1))
    issuer = bytes(range(32))
    variants = [
        issue("agent", keys["ed25519_b"], keys["ed25519_b"], 1),
        issue("agent", keys["ed25519"], keys["ed25519"], 999),
        issue("agent", keys["ed25519"], keys["ed25519"], 1, not_before=datetime.datetime(2026, 5, 5)),
        issue("agent", keys["p256"], keys["p256"], 1),
    ]
    for certificate in variants:
        assert derive_auto_id(certificate) == base
        assert derive_auto_id(certificate, issuer) == compute_auto_id(b"agent", issuer)
    assert derive_auto_id(issue("agenT", keys["ed25519"], keys["ed25519"], 1)) != base
    assert derive_auto_id(variants[0], issuer) != derive_auto_id(variants[0], bytes(32))
    assert derive_auto_id(variants[0], issuer) != base


# ---- the reference encodings with RSA-2048 ----


def test_rsa_encodings(keys: dict[str, PrivateKey]) -> None:
    key = keys["issuer"]
    certificate = issue("twenty-byte-cn-abcde", key, key, 5)
    tbs, algorithm, signature = tbs_of_certificate(certificate)
    assert algorithm == ALG_RSA_SHA256_NULL
    assert len(signature) == 256
    request = RegisterAutoId(None, tbs, algorithm, signature).to_bytes()
    assert 64 <= len(tbs) < 2**14
    length = ((len(tbs) << 2) | 0b01).to_bytes(2, "little")  # SCALE compact, two-byte mode
    assert request == b"\x00\x00" + length + tbs + b"\x3c" + ALG_RSA_SHA256_NULL + b"\x01\x04" + signature
    renewal = RenewAutoId(None, tbs, algorithm, signature).to_bytes()
    assert renewal == b"\x00\x00" + length + tbs + b"\x3c" + ALG_RSA_SHA256_NULL + b"\x01\x04" + signature
    assert RenewAutoId(bytes(32), tbs, algorithm, signature).to_bytes()[:34] == b"\x00\x01" + bytes(32)
    action = Signature(ALG_RSA_SHA256, signature).to_bytes()
    assert action == b"\x34" + ALG_RSA_SHA256 + b"\x01\x04" + signature
    assert len(action) == 272
    assert encode_action_message(bytes(32), 1, REVOKE_CERTIFICATE)[32:] == b"\x01" + bytes(31) + b"\x00"
    store = MemoryStore()
    auto_id = register_auto_id(store, RegisterAutoId(None, tbs, algorithm, signature), NOW)
    value = store.data[IDS_PREFIX + auto_id]
    record = get_auto_id(store, auto_id)
    assert record is not None
    assert len(record.subject_public_key_info) == 294
    # 1 + 1 + 32 + (1 + 20) + (2 + 294) + 8 + 8 + (2 + TBS) + (1 + 32) + 32 = 1209 for a 775-byte TBS.
    assert len(value) == 1209 - 775 + len(tbs)


def test_certificate_action_is_little_endian_and_65_bytes() -> None:
    auto_id = bytes(range(32))
    action = CertificateAction(auto_id, 2**255 + 1, CertificateActionType.DEACTIVATE_AUTO_ID)
    encoded = action.to_bytes()
    assert len(encoded) == 65
    assert encoded == auto_id + (2**255 + 1).to_bytes(32, "little") + b"\x01"
    assert CertificateAction.from_bytes(encoded) == action
    with pytest.raises(DecodeError):
        CertificateAction.from_bytes(encoded[:-1] + b"\x02")


# ---- the upstream tests.rs flow with RSA-2048 ----


def test_register_renew_revoke_sequence(keys: dict[str, PrivateKey]) -> None:
    issuer_key, leaf_key = keys["issuer"], keys["leaf"]
    store = MemoryStore()
    issuer = register_request(issue("issuer", issuer_key, issuer_key, 10))
    id_i = register_auto_id(store, issuer, NOW)
    assert id_i == blake2_256(b"issuer")
    rejects(store, "AutoIdIdentifierAlreadyExists", lambda: register_auto_id(store, issuer, NOW))

    leaf = register_request(issue("leaf", leaf_key, issuer_key, 20), id_i)
    event = dispatch(store, RegisterAutoIdCall(leaf), NOW)
    id_l = event.auto_id
    assert id_l == blake2_256(id_i + b"leaf")
    record_i = get_auto_id(store, id_i)
    assert record_i is not None and record_i.issued_serials == (10, 20)

    renewed_i = renew_request(issue("issuer", issuer_key, issuer_key, 11))
    event = dispatch(store, RenewAutoIdCall(id_i, renewed_i), NOW)
    assert event == AutoIdEvent(AutoIdEventKind.AUTO_ID_RENEWED, id_i)
    assert get_revocation_list(store, id_i) == (10,)
    record_i = get_auto_id(store, id_i)
    assert record_i is not None and (record_i.serial, record_i.issued_serials) == (11, (10, 20))

    renew_auto_id(store, id_l, renew_request(issue("leaf", leaf_key, issuer_key, 21), id_i), NOW)
    assert get_revocation_list(store, id_i) == (10, 20)
    assert store.data[CRL_PREFIX + id_i] == b"\x08" + (10).to_bytes(32, "little") + (20).to_bytes(32, "little")
    record_i = get_auto_id(store, id_i)
    assert record_i is not None and record_i.issued_serials == (10, 20, 21)

    # Only the issuer's key revokes a leaf, at the issuer's nonce.
    by_leaf = sign_action(leaf_key, id_l, 0, REVOKE_CERTIFICATE)
    rejects(store, "InvalidSignature", lambda: revoke_certificate(store, id_l, by_leaf, NOW))
    by_issuer = sign_action(issuer_key, id_l, 0, REVOKE_CERTIFICATE)
    event = dispatch(store, RevokeCertificateCall(id_l, by_issuer), NOW)
    assert event == AutoIdEvent(AutoIdEventKind.CERTIFICATE_REVOKED, id_l)
    assert get_revocation_list(store, id_i) == (10, 20, 21)
    record_i = get_auto_id(store, id_i)
    assert record_i is not None and record_i.nonce == 1
    assert get_auto_id(store, id_l) is not None  # the record of a revoked leaf stays
    again = sign_action(issuer_key, id_l, 1, REVOKE_CERTIFICATE)
    rejects(store, "CertificateAlreadyRevoked", lambda: revoke_certificate(store, id_l, again, NOW))


def test_self_revoked_issuer_blocks_leaves_and_deactivation_removes(keys: dict[str, PrivateKey]) -> None:
    issuer_key, leaf_key = keys["issuer"], keys["leaf"]
    store = MemoryStore()
    id_i = register_auto_id(store, register_request(issue("issuer", issuer_key, issuer_key, 10)), NOW)
    revoke_certificate(store, id_i, sign_action(issuer_key, id_i, 0, REVOKE_CERTIFICATE), NOW)
    assert get_revocation_list(store, id_i) == (10,)
    record = get_auto_id(store, id_i)
    assert record is not None and record.nonce == 1
    leaf = register_request(issue("leaf", leaf_key, issuer_key, 20), id_i)
    rejects(store, "CertificateRevoked", lambda: register_auto_id(store, leaf, NOW))
    stale = sign_action(issuer_key, id_i, 0, DEACTIVATE_AUTO_ID)
    rejects(store, "InvalidSignature", lambda: deactivate_auto_id(store, id_i, stale))
    deactivate_auto_id(store, id_i, sign_action(issuer_key, id_i, 1, DEACTIVATE_AUTO_ID))
    assert get_auto_id(store, id_i) is None
    assert get_revocation_list(store, id_i) == (10,)  # the CRL is not touched


# ---- codecs: round trips and fuzzing ----


def test_error_is_picklable_and_carries_the_index() -> None:
    error = AutoIdError("PublicKeyMismatch", "detail")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.detail, copy.index) == ("PublicKeyMismatch", "detail", 11)
    assert AUTO_ID_ERRORS[:3] == ("UnknownIssuer", "UnknownAutoId", "InvalidCertificate")
    with pytest.raises(ValueError):
        AutoIdError("NotAPalletError")


identifiers = st.binary(min_size=32, max_size=32)
optional_identifiers = st.none() | identifiers
blobs = st.binary(max_size=80)
signatures = st.builds(Signature, blobs, blobs)
register_requests = st.builds(RegisterAutoId, optional_identifiers, blobs, blobs, blobs)
renew_requests = st.builds(RenewAutoId, optional_identifiers, blobs, blobs, blobs)
u256 = st.integers(0, 2**256 - 1)
records = st.builds(
    X509Certificate,
    optional_identifiers,
    u256,
    blobs,
    blobs,
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**64 - 1),
    blobs,
    st.sets(u256, max_size=4).map(lambda serials: tuple(sorted(serials))),
    u256,
)
calls = st.one_of(
    st.builds(RegisterAutoIdCall, register_requests),
    st.builds(RevokeCertificateCall, identifiers, signatures),
    st.builds(DeactivateAutoIdCall, identifiers, signatures),
    st.builds(RenewAutoIdCall, identifiers, renew_requests),
)


@settings(max_examples=300, deadline=None)
@given(calls, records)
def test_round_trips(call: object, record: X509Certificate) -> None:
    assert isinstance(call, RegisterAutoIdCall | RevokeCertificateCall | DeactivateAutoIdCall | RenewAutoIdCall)
    assert decode_call(encode_call(call)) == call
    assert AutoIdRecord.from_bytes(AutoIdRecord(record).to_bytes()).certificate == record
    assert X509Certificate.from_bytes(record.to_bytes()) == record


DECODERS: list[Callable[[bytes], object]] = [
    decode_call,
    X509Certificate.from_bytes,
    AutoIdRecord.from_bytes,
    RegisterAutoId.from_bytes,
    RenewAutoId.from_bytes,
    Signature.from_bytes,
    CertificateAction.from_bytes,
]


def reencode(value: object) -> bytes:
    if isinstance(value, RegisterAutoIdCall | RevokeCertificateCall | DeactivateAutoIdCall | RenewAutoIdCall):
        return encode_call(value)
    assert hasattr(value, "to_bytes")
    encoded = value.to_bytes()
    assert isinstance(encoded, bytes)
    return encoded


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(range(len(DECODERS))))
def test_arbitrary_bytes_decode_canonically_or_raise(data: bytes, which: int) -> None:
    try:
        value = DECODERS[which](data)
    except DecodeError:
        return
    assert reencode(value) == data


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_structured_call_bytes_decode_canonically_or_raise(data: st.DataObject) -> None:
    # Bytes that start like a real call, so the decoders get past the first tag.
    index = data.draw(st.integers(0, 4))
    issuer = data.draw(st.sampled_from([b"\x00", b"\x01" + bytes(32)]))
    prefixes = {0: b"\x00" + issuer, 1: bytes(32), 2: bytes(32), 3: bytes(32) + b"\x00" + issuer, 4: b""}
    raw = bytes([index]) + prefixes[index] + data.draw(st.binary(max_size=120))
    try:
        call = decode_call(raw)
    except DecodeError:
        return
    assert encode_call(call) == raw


def test_unsorted_serial_sets_are_refused() -> None:
    record = X509Certificate(None, 1, b"cn", b"spki", 0, 1, b"tbs", (1, 2), 0)
    encoded = bytearray(record.to_bytes())
    one, two = (1).to_bytes(32, "little"), (2).to_bytes(32, "little")
    swapped = bytes(encoded).replace(one + two, two + one)
    with pytest.raises(DecodeError, match="ascending"):
        X509Certificate.from_bytes(swapped)
    with pytest.raises(DecodeError):
        X509Certificate.from_bytes(bytes(encoded) + b"\x00")
