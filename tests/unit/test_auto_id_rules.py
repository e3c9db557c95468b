# ruff: noqa: F811 - pytest fixtures imported from the sibling test module are redefined as parameters
"""pallet-auto-id's rules: which signature algorithms register, every negative case by the pallet's error name with nothing written, the pallet's quirks, and the off-chain status walk."""

from __future__ import annotations

import datetime
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding
from test_auto_id import (  # noqa: F401 - fixtures and helpers
    NOT_AFTER_MS,
    NOT_BEFORE_MS,
    NOW,
    PrivateKey,
    blake2_256,
    issue,
    keys,
    register_request,
    rejects,
    renew_request,
    replace_in_tbs,
    resign_tbs,
    sign_action,
    tlv,
)

from autonomys.protocol.identity.auto_id import (
    DEACTIVATE_AUTO_ID,
    IDS_PREFIX,
    REVOKE_CERTIFICATE,
    deactivate_auto_id,
    get_auto_id,
    get_revocation_list,
    identity_status,
    register_auto_id,
    renew_auto_id,
    revoke_certificate,
)
from autonomys.protocol.identity.auto_id_types import AutoIdRecord, RegisterAutoId, RenewAutoId
from autonomys.protocol.identity.der import tbs_of_certificate
from helpers.auto_id_fixtures import (
    ALG_ECDSA_SHA256,
    ALG_ECDSA_SHA384,
    ALG_ED448,
    ALG_ED25519,
    ALG_ED25519_NULL,
    ALG_RSA_SHA1_NULL,
    ALG_RSA_SHA256,
    ALG_RSA_SHA256_NULL,
    MemoryStore,
)

# ---- algorithm acceptance through register (a self-signed root) ----


@pytest.mark.parametrize(
    ("key_name", "algorithm", "signer", "accepted"),
    [
        ("ed25519", ALG_ED25519, "ed25519", True),
        ("ed25519", ALG_ED25519_NULL, "ed25519", True),
        ("p256", ALG_ECDSA_SHA256, "ecdsa-sha256", True),
        ("p384", ALG_ECDSA_SHA384, "ecdsa-sha384", True),
        ("issuer", ALG_RSA_SHA256_NULL, "pkcs1-sha256", True),
        ("issuer", ALG_RSA_SHA256, "pkcs1-sha256", True),
        ("issuer", "pss-sha256", "pss-32", True),
        ("issuer", "pss-sha256", "pss-20", False),
        ("rsa1024", ALG_RSA_SHA256_NULL, "pkcs1-sha256", False),
        ("rsa1024", ALG_RSA_SHA1_NULL, "pkcs1-sha1", True),
        ("ed448", ALG_ED448, "ed448", False),
        ("k1", ALG_ECDSA_SHA256, "ecdsa-sha256", False),
    ],
)
def test_algorithm_acceptance(
    keys: dict[str, PrivateKey], key_name: str, algorithm: bytes | str, signer: str, accepted: bool
) -> None:
    key = keys[key_name]
    tbs = tbs_of_certificate(issue(f"root-{key_name}", key, keys["ed25519"], 3))[0]
    signature = sign_with(key, signer, tbs)
    if algorithm == "pss-sha256":
        # cryptography writes the RSASSA-PSS AlgorithmIdentifier; ring ignores its salt and wants 32.
        salt = 32 if signer == "pss-32" else 20
        pss = padding.PSS(padding.MGF1(hashes.SHA256()), salt)
        algorithm = tbs_of_certificate(issue("x", key, key, 1, rsa_padding=pss))[1]
    assert isinstance(algorithm, bytes)
    store = MemoryStore()
    request = RegisterAutoId(None, tbs, algorithm, signature)
    if accepted:
        assert register_auto_id(store, request, NOW) == blake2_256(f"root-{key_name}".encode())
    else:
        rejects(store, "InvalidSignature", lambda: register_auto_id(store, request, NOW))


def sign_with(key: PrivateKey, signer: str, data: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256() if signer == "ecdsa-sha256" else hashes.SHA384()))
    if signer.startswith("pss"):
        salt = int(signer.split("-")[1])
        return key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), salt), hashes.SHA256())
    hash_algorithm = hashes.SHA1() if signer == "pkcs1-sha1" else hashes.SHA256()
    return key.sign(data, padding.PKCS1v15(), hash_algorithm)


# ---- negative cases: each names the pallet's error and writes nothing ----


@pytest.fixture
def registry(keys: dict[str, PrivateKey]) -> tuple[MemoryStore, bytes, bytes]:
    """A store with root `issuer` (serial 10, RSA) and its leaf `leaf` (serial 20)."""
    store = MemoryStore()
    issuer_key = keys["issuer"]
    id_i = register_auto_id(store, register_request(issue("issuer", issuer_key, issuer_key, 10)), NOW)
    id_l = register_auto_id(store, register_request(issue("leaf", keys["leaf"], issuer_key, 20), id_i), NOW)
    return store, id_i, id_l


def test_trailing_bytes_after_tbs_are_accepted_and_signed(keys: dict[str, PrivateKey]) -> None:
    key = keys["issuer"]
    tbs = tbs_of_certificate(issue("trailing", key, key, 4))[0] + b"\x00\x01"
    store = MemoryStore()
    auto_id = register_auto_id(store, resign_tbs(key, tbs), NOW)
    record = get_auto_id(store, auto_id)
    assert record is not None and record.raw == tbs
    unsigned_tail = RegisterAutoId(None, tbs + b"\x02", ALG_RSA_SHA256_NULL, resign_tbs(key, tbs).signature)
    fresh = MemoryStore()
    rejects(fresh, "InvalidSignature", lambda: register_auto_id(fresh, unsigned_tail, NOW))


def test_serial_encodings(keys: dict[str, PrivateKey]) -> None:
    key = keys["issuer"]
    tbs = tbs_of_certificate(issue("serial", key, key, 0x55))[0]
    serial = tlv(0x02, b"\x55")
    long_serial = replace_in_tbs(tbs, serial, tlv(0x02, b"\x01" + bytes(32)))  # 33 content bytes, > 2^256
    store = MemoryStore()
    rejects(store, "InvalidCertificate", lambda: register_auto_id(store, resign_tbs(key, long_serial), NOW))
    negative = replace_in_tbs(tbs, serial, tlv(0x02, b"\xff\x01"))
    auto_id = register_auto_id(store, resign_tbs(key, negative), NOW)
    record = get_auto_id(store, auto_id)
    assert record is not None and record.serial == 0xFF01 and record.issued_serials == (0xFF01,)


@pytest.mark.parametrize(
    ("now", "accepted"),
    [(NOT_BEFORE_MS, True), (NOT_AFTER_MS, True), (NOT_BEFORE_MS - 1, False), (NOT_AFTER_MS + 1, False)],
)
def test_validity_is_inclusive(keys: dict[str, PrivateKey], now: int, accepted: bool) -> None:
    key = keys["issuer"]
    request = register_request(issue("window", key, key, 1))
    store = MemoryStore()
    if accepted:
        assert register_auto_id(store, request, now) == blake2_256(b"window")
    else:
        rejects(store, "ExpiredCertificate", lambda: register_auto_id(store, request, now))


def test_not_before_1970_is_an_invalid_certificate(keys: dict[str, PrivateKey]) -> None:
    key = keys["issuer"]
    early = register_request(issue("early", key, key, 1, not_before=datetime.datetime(1960, 1, 1)))
    store = MemoryStore()
    rejects(store, "InvalidCertificate", lambda: register_auto_id(store, early, NOW))


def test_rsa_signature_one_byte_short(registry: tuple[MemoryStore, bytes, bytes], keys: dict[str, PrivateKey]) -> None:
    store, id_i, _id_l = registry
    request = register_request(issue("short", keys["other"], keys["issuer"], 30), id_i)
    short = RegisterAutoId(id_i, request.certificate, request.signature_algorithm, request.signature[:-1])
    rejects(store, "InvalidSignature", lambda: register_auto_id(store, short, NOW))


def test_ecdsa_signature_not_der(keys: dict[str, PrivateKey]) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = keys["p256"]
    request = register_request(issue("ecdsa", key, key, 1))
    r, s = decode_dss_signature(request.signature)
    raw = RegisterAutoId(None, request.certificate, ALG_ECDSA_SHA256, r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    store = MemoryStore()
    rejects(store, "InvalidSignature", lambda: register_auto_id(store, raw, NOW))
    assert register_auto_id(store, request, NOW) == blake2_256(b"ecdsa")


def test_renewal_with_another_key_or_name(
    registry: tuple[MemoryStore, bytes, bytes], keys: dict[str, PrivateKey]
) -> None:
    store, id_i, id_l = registry
    other, issuer_key = keys["other"], keys["issuer"]
    new_key = renew_request(issue("leaf", other, issuer_key, 31), id_i)
    rejects(store, "PublicKeyMismatch", lambda: renew_auto_id(store, id_l, new_key, NOW))
    new_name = renew_request(issue("leaf-2", keys["leaf"], issuer_key, 32), id_i)
    rejects(store, "AutoIdIdentifierMismatch", lambda: renew_auto_id(store, id_l, new_name, NOW))
    as_root = renew_request(issue("leaf", keys["leaf"], keys["leaf"], 33))
    rejects(store, "AutoIdIdentifierMismatch", lambda: renew_auto_id(store, id_l, as_root, NOW))
    reused = renew_request(issue("leaf", keys["leaf"], issuer_key, 20), id_i)
    rejects(store, "CertificateSerialAlreadyIssued", lambda: renew_auto_id(store, id_l, reused, NOW))
    unsigned = renew_request(issue("leaf", keys["leaf"], other, 34), id_i)  # not the issuer's signature
    rejects(store, "InvalidSignature", lambda: renew_auto_id(store, id_l, unsigned, NOW))
    late = renew_request(issue("leaf", keys["leaf"], issuer_key, 35, not_before=datetime.datetime(2029, 12, 1)), id_i)
    rejects(store, "ExpiredCertificate", lambda: renew_auto_id(store, id_l, late, NOW))
    unknown = renew_request(issue("leaf", keys["leaf"], issuer_key, 36), bytes(32))
    rejects(store, "UnknownIssuer", lambda: renew_auto_id(store, id_l, unknown, NOW))
    rejects(store, "UnknownAutoId", lambda: renew_auto_id(store, bytes(32), unknown, NOW))
    garbage = RenewAutoId(id_i, b"\x30\x00", ALG_RSA_SHA256_NULL, b"")
    rejects(store, "InvalidCertificate", lambda: renew_auto_id(store, id_l, garbage, NOW))


def test_register_leaf_rejections(registry: tuple[MemoryStore, bytes, bytes], keys: dict[str, PrivateKey]) -> None:
    store, id_i, _id_l = registry
    issuer_key, other = keys["issuer"], keys["other"]
    unknown = register_request(issue("x", other, issuer_key, 40), bytes(32))
    rejects(store, "UnknownIssuer", lambda: register_auto_id(store, unknown, NOW))
    rejects(
        store,
        "ExpiredCertificate",
        lambda: register_auto_id(store, register_request(issue("x", other, issuer_key, 40), id_i), NOT_AFTER_MS + 1),
    )
    garbage = RegisterAutoId(id_i, b"\x30\x03\x02\x01\x01", ALG_RSA_SHA256_NULL, b"")
    rejects(store, "InvalidCertificate", lambda: register_auto_id(store, garbage, NOW))
    wrong_signer = register_request(issue("x", other, other, 41), id_i)
    rejects(store, "InvalidSignature", lambda: register_auto_id(store, wrong_signer, NOW))
    duplicate_serial = register_request(issue("y", other, issuer_key, 20), id_i)
    rejects(store, "CertificateSerialAlreadyIssued", lambda: register_auto_id(store, duplicate_serial, NOW))
    same_name = register_request(issue("leaf", other, issuer_key, 42), id_i)  # writes the issuer first, then fails
    rejects(store, "AutoIdIdentifierAlreadyExists", lambda: register_auto_id(store, same_name, NOW))


def test_revoke_and_deactivate_rejections(
    registry: tuple[MemoryStore, bytes, bytes], keys: dict[str, PrivateKey]
) -> None:
    store, id_i, id_l = registry
    issuer_key, leaf_key = keys["issuer"], keys["leaf"]
    signature = sign_action(issuer_key, bytes(32), 0, REVOKE_CERTIFICATE)
    rejects(store, "UnknownAutoId", lambda: revoke_certificate(store, bytes(32), signature, NOW))
    rejects(store, "UnknownIssuer", lambda: deactivate_auto_id(store, bytes(32), signature))  # sic
    wrong_nonce = sign_action(issuer_key, id_l, 1, REVOKE_CERTIFICATE)
    rejects(store, "InvalidSignature", lambda: revoke_certificate(store, id_l, wrong_nonce, NOW))
    wrong_type = sign_action(issuer_key, id_l, 0, DEACTIVATE_AUTO_ID)
    rejects(store, "InvalidSignature", lambda: revoke_certificate(store, id_l, wrong_type, NOW))
    by_issuer = sign_action(issuer_key, id_l, 0, DEACTIVATE_AUTO_ID)
    rejects(store, "InvalidSignature", lambda: deactivate_auto_id(store, id_l, by_issuer))
    # An orphaned leaf: its issuer deactivated, its revocation names an unknown issuer.
    deactivate_auto_id(store, id_i, sign_action(issuer_key, id_i, 0, DEACTIVATE_AUTO_ID))
    orphan = sign_action(issuer_key, id_l, 0, REVOKE_CERTIFICATE)
    rejects(store, "UnknownIssuer", lambda: revoke_certificate(store, id_l, orphan, NOW))
    deactivate_auto_id(store, id_l, sign_action(leaf_key, id_l, 0, DEACTIVATE_AUTO_ID))
    assert store.data == {}


def test_nonce_overflow(registry: tuple[MemoryStore, bytes, bytes], keys: dict[str, PrivateKey]) -> None:
    store, id_i, id_l = registry
    record = get_auto_id(store, id_i)
    assert record is not None
    store.data[IDS_PREFIX + id_i] = AutoIdRecord(replace(record, nonce=2**256 - 1)).to_bytes()
    signature = sign_action(keys["issuer"], id_l, 2**256 - 1, REVOKE_CERTIFICATE)
    rejects(store, "NonceOverflow", lambda: revoke_certificate(store, id_l, signature, NOW))  # after the CRL write


def test_failed_renewal_rolls_back_the_crl_write(
    registry: tuple[MemoryStore, bytes, bytes], keys: dict[str, PrivateKey]
) -> None:
    # A root renewal writes CRL[self] before verifying; a bad signature must leave no CRL behind.
    store, id_i, _id_l = registry
    forged = renew_request(issue("issuer", keys["issuer"], keys["other"], 12))
    rejects(store, "InvalidSignature", lambda: renew_auto_id(store, id_i, forged, NOW))
    assert get_revocation_list(store, id_i) == ()


# ---- pallet quirks ----


def test_self_revoked_root_can_renew(registry: tuple[MemoryStore, bytes, bytes], keys: dict[str, PrivateKey]) -> None:
    store, id_i, _id_l = registry
    key = keys["issuer"]
    revoke_certificate(store, id_i, sign_action(key, id_i, 0, REVOKE_CERTIFICATE), NOW)
    assert identity_status(store, id_i, NOW).reason == "Revoked"
    renew_auto_id(store, id_i, renew_request(issue("issuer", key, key, 13)), NOW)
    assert get_revocation_list(store, id_i) == (10,)
    assert identity_status(store, id_i, NOW).valid  # un-revoked
    record = get_auto_id(store, id_i)
    assert record is not None and (record.serial, record.nonce) == (13, 1)


def test_renewal_always_appends_the_old_serial(keys: dict[str, PrivateKey]) -> None:
    store = MemoryStore()
    key = keys["ed25519"]
    auto_id = register_auto_id(store, register_request(issue("renewer", key, key, 1)), NOW)
    for serial in (2, 3):
        renew_auto_id(store, auto_id, renew_request(issue("renewer", key, key, serial)), NOW)
    assert get_revocation_list(store, auto_id) == (1, 2)
    assert identity_status(store, auto_id, NOW).valid  # a non-empty CRL[id] is not a revocation of id
    record = get_auto_id(store, auto_id)
    assert record is not None and record.issued_serials == (1,)  # the renewed serials are not added (quirk 3)


def test_renewed_root_serial_can_be_reissued_and_then_blocks_the_issuer(keys: dict[str, PrivateKey]) -> None:
    store = MemoryStore()
    key, leaf_key = keys["ed25519"], keys["ed25519_b"]
    id_i = register_auto_id(store, register_request(issue("root", key, key, 1)), NOW)
    renew_auto_id(store, id_i, renew_request(issue("root", key, key, 2)), NOW)
    id_l = register_auto_id(store, register_request(issue("leaf", leaf_key, key, 2), id_i), NOW)
    revoke_certificate(store, id_l, sign_action(key, id_l, 0, REVOKE_CERTIFICATE), NOW)
    later = register_request(issue("later", leaf_key, key, 3), id_i)
    rejects(store, "CertificateRevoked", lambda: register_auto_id(store, later, NOW))


def test_deactivation_leaves_no_tombstone_and_replays(keys: dict[str, PrivateKey]) -> None:
    store = MemoryStore()
    key = keys["ed25519"]
    request = register_request(issue("phoenix", key, key, 1))
    auto_id = register_auto_id(store, request, NOW)
    signature = sign_action(key, auto_id, 0, DEACTIVATE_AUTO_ID)
    deactivate_auto_id(store, auto_id, signature)
    assert register_auto_id(store, request, NOW) == auto_id
    record = get_auto_id(store, auto_id)
    assert record is not None and record.nonce == 0
    deactivate_auto_id(store, auto_id, signature)  # the old nonce-0 signature replays
    assert get_auto_id(store, auto_id) is None


def test_revoke_and_deactivate_ignore_validity(
    registry: tuple[MemoryStore, bytes, bytes], keys: dict[str, PrivateKey]
) -> None:
    store, id_i, id_l = registry
    long_after = NOT_AFTER_MS + 10**12
    revoke_certificate(store, id_l, sign_action(keys["issuer"], id_l, 0, REVOKE_CERTIFICATE), long_after)
    deactivate_auto_id(store, id_l, sign_action(keys["leaf"], id_l, 0, DEACTIVATE_AUTO_ID))
    assert get_auto_id(store, id_l) is None
    assert get_auto_id(store, id_i) is not None


def test_revocation_is_one_hop(keys: dict[str, PrivateKey]) -> None:
    store = MemoryStore()
    root_key, middle_key, leaf_key = keys["ed25519"], keys["ed25519_b"], keys["issuer"]
    id_r = register_auto_id(store, register_request(issue("root", root_key, root_key, 1)), NOW)
    id_m = register_auto_id(store, register_request(issue("middle", middle_key, root_key, 2), id_r), NOW)
    revoke_certificate(store, id_m, sign_action(root_key, id_m, 0, REVOKE_CERTIFICATE), NOW)
    # The pallet still lets the revoked middle issue; the off-chain verifier does not trust the result.
    id_l = register_auto_id(store, register_request(issue("leaf", leaf_key, middle_key, 3), id_m), NOW)
    status = identity_status(store, id_l, NOW)
    assert (status.valid, status.reason, status.chain) == (False, "Revoked", (id_l, id_m))


# ---- the off-chain status ----


def test_identity_status(registry: tuple[MemoryStore, bytes, bytes], keys: dict[str, PrivateKey]) -> None:
    store, id_i, id_l = registry
    status = identity_status(store, id_l, NOW)
    assert (status.valid, status.reason, status.chain) == (True, "Valid", (id_l, id_i))
    assert identity_status(store, id_l, NOT_AFTER_MS).valid  # inclusive
    assert identity_status(store, id_l, NOT_AFTER_MS + 1).reason == "Expired"
    assert identity_status(store, id_l, NOT_BEFORE_MS - 1).reason == "NotYetValid"
    assert identity_status(store, bytes(32), NOW).reason == "UnknownAutoId"
    deactivate_auto_id(store, id_i, sign_action(keys["issuer"], id_i, 0, DEACTIVATE_AUTO_ID))
    status = identity_status(store, id_l, NOW)
    assert (status.valid, status.reason, status.chain) == (False, "UnknownIssuer", (id_l, id_i))
