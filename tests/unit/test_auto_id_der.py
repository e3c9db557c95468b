"""protocol.identity.der and .signatures: the TBSCertificate reader and the host-function signature rules.

Certificates are built with `cryptography` or assembled from DER parts written here (independently of the reader);
keys are generated once per module. No clock is read: validity windows are fixed dates.
"""

from __future__ import annotations

import datetime
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.identity.der import (
    InvalidCertificateEncoding,
    TbsCertificate,
    decode_object_identifier,
    decode_tbs_certificate,
    encode_object_identifier,
    parse_algorithm_identifier,
    tbs_of_certificate,
)
from autonomys.protocol.identity.signatures import verify_signature
from helpers.auto_id_fixtures import (
    ALG_ECDSA_SHA256,
    ALG_ECDSA_SHA384,
    ALG_ED448,
    ALG_ED25519,
    ALG_ED25519_NULL,
    ALG_RSA_SHA1,
    ALG_RSA_SHA1_OIW,
    ALG_RSA_SHA256,
    ALG_RSA_SHA256_NULL,
    ALG_RSA_SHA384,
    ALG_RSA_SHA512,
    EXAMPLE_CERTIFICATE,
    EXAMPLE_SPKI,
    RSA_ENCRYPTION,
)

EXAMPLE_TBS = tbs_of_certificate(x509.load_pem_x509_certificate(EXAMPLE_CERTIFICATE).public_bytes(Encoding.DER))[0]

# ---- DER assembled by hand (independent of the reader under test) ----


def tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def name_der(*attributes: tuple[str, str]) -> bytes:
    """A Name with one RDN per (OID, UTF8String value)."""
    rdns = [
        tlv(0x31, tlv(0x30, tlv(0x06, encode_object_identifier(oid)) + tlv(0x0C, value.encode())))
        for oid, value in attributes
    ]
    return tlv(0x30, b"".join(rdns))


def utc(text: str) -> bytes:
    return tlv(0x17, text.encode())


def generalized(text: str) -> bytes:
    return tlv(0x18, text.encode())


ED25519_SPKI = tlv(0x30, ALG_ED25519 + tlv(0x03, b"\x00" + bytes(range(32))))
VALIDITY = tlv(0x30, utc("250101000000Z") + utc("350101000000Z"))
SUBJECT = name_der(("2.5.4.6", "XX"), ("2.5.4.3", "subject"))


def make_tbs(
    *,
    serial: bytes = b"\x05",
    validity: bytes = VALIDITY,
    subject: bytes = SUBJECT,
    spki: bytes = ED25519_SPKI,
    tail: bytes = b"",
) -> bytes:
    """A v3 TBSCertificate from parts; `tail` is appended inside the SEQUENCE (unique ids, extensions)."""
    version = tlv(0xA0, tlv(0x02, b"\x02"))
    issuer = name_der(("2.5.4.3", "issuer"))
    body = version + tlv(0x02, serial) + ALG_ED25519 + issuer + validity + subject + spki + tail
    return tlv(0x30, body)


def test_hand_built_tbs_decodes() -> None:
    tbs = decode_tbs_certificate(make_tbs())
    assert tbs == TbsCertificate(5, 1735689600000, 2051222400000, b"subject", ED25519_SPKI, make_tbs())


# ---- the worked example ----


def test_worked_example_certificate_parts() -> None:
    certificate = x509.load_pem_x509_certificate(EXAMPLE_CERTIFICATE)
    tbs, algorithm, signature = tbs_of_certificate(certificate.public_bytes(Encoding.DER))
    assert tbs == certificate.tbs_certificate_bytes
    assert len(tbs) == 293
    assert algorithm == ALG_ED25519
    assert signature == certificate.signature
    decoded = decode_tbs_certificate(tbs)
    assert decoded.serial == 0x2A5F0C3E9B7D41A6
    assert (decoded.not_before_ms, decoded.not_after_ms) == (1735689600000, 2051222400000)
    assert decoded.subject_common_name == b"autonomys-py example root (generated)"
    assert decoded.subject_public_key_info.hex() == EXAMPLE_SPKI
    assert decoded.raw == tbs
    assert verify_signature(decoded.subject_public_key_info, algorithm, tbs, signature)


def test_algorithm_identifier_and_object_identifiers() -> None:
    assert parse_algorithm_identifier(ALG_RSA_SHA256_NULL) == ("1.2.840.113549.1.1.11", b"\x05\x00")
    assert parse_algorithm_identifier(ALG_RSA_SHA256) == ("1.2.840.113549.1.1.11", None)
    assert parse_algorithm_identifier(ALG_ED25519) == ("1.3.101.112", None)
    for dotted in ("2.5.4.3", "1.2.840.10045.3.1.7", "1.3.132.0.34", "2.16.840.1.101.3.4.2.1", "2.999.3"):
        assert decode_object_identifier(encode_object_identifier(dotted)) == dotted
    with pytest.raises(InvalidCertificateEncoding):
        parse_algorithm_identifier(bytes.fromhex("3003020105"))  # an INTEGER where the OID goes


def test_certificate_split_refuses_malformed_envelopes() -> None:
    der = x509.load_pem_x509_certificate(EXAMPLE_CERTIFICATE).public_bytes(Encoding.DER)
    with pytest.raises(InvalidCertificateEncoding):
        tbs_of_certificate(der + b"\x00")  # trailing bytes after the Certificate
    with pytest.raises(InvalidCertificateEncoding):
        tbs_of_certificate(der[:-1])
    tbs, algorithm, signature = tbs_of_certificate(der)
    with pytest.raises(InvalidCertificateEncoding, match="unused"):
        tbs_of_certificate(tlv(0x30, tbs + algorithm + tlv(0x03, b"\x01" + signature)))


# ---- the common name ----


def certificate_with_subject(subject: x509.Name) -> x509.Certificate:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32))
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer")]))
        .serial_number(7)
        .not_valid_before(datetime.datetime(2025, 1, 1))
        .not_valid_after(datetime.datetime(2030, 1, 1))
        .public_key(key.public_key())
        .sign(key, None)
    )


@pytest.mark.parametrize(
    ("string_type", "content"),
    [
        (_ASN1Type.BMPString, "00410062"),
        (_ASN1Type.UTF8String, "4162"),
        (_ASN1Type.PrintableString, "4162"),
    ],
)
def test_common_name_is_the_raw_content_octets(string_type: _ASN1Type, content: str) -> None:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ab", _type=string_type)])
    tbs = certificate_with_subject(subject).tbs_certificate_bytes
    assert decode_tbs_certificate(tbs).subject_common_name.hex() == content


def test_first_common_name_in_encoded_order_wins() -> None:
    two = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "org"),
            x509.NameAttribute(NameOID.COMMON_NAME, "first"),
            x509.NameAttribute(NameOID.COMMON_NAME, "later"),
        ]
    )
    assert decode_tbs_certificate(certificate_with_subject(two).tbs_certificate_bytes).subject_common_name == b"first"
    # A multi-valued RDN: DER sorts the SET by encoding, and the walk follows the encoded order.
    rdn = x509.RelativeDistinguishedName(
        [x509.NameAttribute(NameOID.COMMON_NAME, "zz"), x509.NameAttribute(NameOID.COMMON_NAME, "aa")]
    )
    tbs = certificate_with_subject(x509.Name([rdn])).tbs_certificate_bytes
    first_encoded = b"aa" if tbs.index(b"\x0c\x02aa") < tbs.index(b"\x0c\x02zz") else b"zz"
    assert decode_tbs_certificate(tbs).subject_common_name == first_encoded == b"aa"


def test_subject_without_common_name_is_refused_and_empty_common_name_allowed() -> None:
    with pytest.raises(InvalidCertificateEncoding, match="commonName"):
        decode_tbs_certificate(make_tbs(subject=name_der(("2.5.4.10", "org only"))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        empty = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "", _validate=False)])
    assert decode_tbs_certificate(certificate_with_subject(empty).tbs_certificate_bytes).subject_common_name == b""


def test_rdn_list_ends_at_the_first_malformed_rdn() -> None:
    # x509-parser's many0: an RDN that is not a SET ends the list; a CN after it is never seen.
    good = tlv(0x31, tlv(0x30, tlv(0x06, encode_object_identifier("2.5.4.3")) + tlv(0x0C, b"first")))
    bad = tlv(0x04, b"junk")
    later = tlv(0x31, tlv(0x30, tlv(0x06, encode_object_identifier("2.5.4.3")) + tlv(0x0C, b"later")))
    assert decode_tbs_certificate(make_tbs(subject=tlv(0x30, good + bad))).subject_common_name == b"first"
    with pytest.raises(InvalidCertificateEncoding, match="commonName"):
        decode_tbs_certificate(make_tbs(subject=tlv(0x30, bad + later)))


# ---- serial, lengths, trailing bytes ----


@pytest.mark.parametrize(
    ("content", "serial"),
    [
        ("ff", 255),  # a "negative" INTEGER read as unsigned
        ("00ff", 255),
        ("", 0),
        ("ff" * 32, 2**256 - 1),
        ("00" + "ff" * 32, 2**256 - 1),  # 33 content bytes, but the value fits in 256 bits
    ],
)
def test_serial_is_read_unsigned(content: str, serial: int) -> None:
    assert decode_tbs_certificate(make_tbs(serial=bytes.fromhex(content))).serial == serial


def test_serial_of_more_than_256_bits_is_refused() -> None:
    with pytest.raises(InvalidCertificateEncoding, match="32 bytes"):
        decode_tbs_certificate(make_tbs(serial=b"\x01" + bytes(32)))


def test_trailing_bytes_after_the_tbs_are_ignored_but_kept_in_raw() -> None:
    tbs = make_tbs() + b"\xde\xad"
    decoded = decode_tbs_certificate(tbs)
    assert decoded.raw == tbs
    assert decoded.subject_common_name == b"subject"


def test_lengths() -> None:
    tbs = make_tbs()
    with pytest.raises(InvalidCertificateEncoding):
        decode_tbs_certificate(tbs[:-1])
    with pytest.raises(InvalidCertificateEncoding, match="indefinite"):
        decode_tbs_certificate(b"\x30\x80" + tbs[2:] + b"\x00\x00")
    # A non-minimal long-form length is accepted (DER would not allow it; x509-parser does).
    body = tbs[3:] if tbs[1] == 0x81 else tbs[2:]
    assert decode_tbs_certificate(b"\x30\x84" + len(body).to_bytes(4, "big") + body).serial == 5
    with pytest.raises(InvalidCertificateEncoding):
        decode_tbs_certificate(b"")


def test_unique_ids_and_extensions() -> None:
    extension = tlv(0x30, tlv(0x06, encode_object_identifier("2.5.29.19")) + b"\x01\x01\xff" + tlv(0x04, b"\x30\x00"))
    extensions = tlv(0xA3, tlv(0x30, extension))
    assert decode_tbs_certificate(make_tbs(tail=tlv(0x81, b"\x00\x01") + extensions)).serial == 5
    for tail in (
        extensions + b"\x05\x00",  # something after the extensions
        tlv(0x04, b"x"),  # something that is not [3]
        tlv(0xA3, tlv(0x30, tlv(0x30, tlv(0x06, b"\x55\x1d\x13") + b"\x01\x01\x01" + tlv(0x04, b"")))),  # BOOLEAN 01
    ):
        with pytest.raises(InvalidCertificateEncoding):
            decode_tbs_certificate(make_tbs(tail=tail))


# ---- times ----


@pytest.mark.parametrize(
    ("time", "moment"),
    [
        (utc("250101000000Z"), 1735689600000),
        (utc("2501010000Z"), 1735689600000),  # seconds may be left out
        (utc("250101010000+0100"), 1735689600000),  # an offset is applied
        (utc("491231235959Z"), 2524607999000),  # YY < 50 is 20YY
        (utc("700101000000Z"), 0),
        (utc("240229120000Z"), 1709208000000),
        (generalized("20250101000000Z"), 1735689600000),
        (generalized("20250101000000.5Z"), 1735689600500),
        (generalized("20250101000000.25Z"), 1735689600250),
        (generalized("20250101000000.125Z"), 1735689600125),
        (generalized("20250101000000.Z"), 1735689600000),
        (generalized("99991231235959Z"), 253402300799000),
    ],
)
def test_times_in_milliseconds(time: bytes, moment: int) -> None:
    validity = tlv(0x30, time + utc("350101000000Z"))
    assert decode_tbs_certificate(make_tbs(validity=validity)).not_before_ms == moment


@pytest.mark.parametrize(
    "time",
    [
        utc("691231235959Z"),  # 1969: before the epoch
        utc("500101000000Z"),  # YY >= 50 is 19YY
        generalized("19691231235959Z"),
        utc("700101003000+0100"),  # 1969 once the offset is applied
        utc("250230000000Z"),  # 30 February
        utc("251301000000Z"),
        utc("250101240000Z"),
        utc("250101000060Z"),
        utc("250101000000"),  # no zone
        utc("25010100"),
        utc("2501010000+0100"),  # an offset needs seconds
        utc("250101000000+2600"),
        generalized("20250101000000"),  # DER: a GeneralizedTime ends with Z
        generalized("20250101000000,5Z"),
        generalized("20250101000000.1234Z"),
        generalized("20250101000000+0100"),
        generalized("2025010100Z"),
        tlv(0x04, b"250101000000Z"),
        tlv(0x17, b"2501010000\x0000Z"),
    ],
)
def test_malformed_or_early_times_are_refused(time: bytes) -> None:
    with pytest.raises(InvalidCertificateEncoding):
        decode_tbs_certificate(make_tbs(validity=tlv(0x30, time + utc("350101000000Z"))))


# ---- fuzzing ----


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    for decode in (decode_tbs_certificate, tbs_of_certificate, parse_algorithm_identifier):
        try:
            decode(data)
        except InvalidCertificateEncoding:
            pass




@settings(max_examples=600, deadline=None)
@given(st.data())
def test_mutated_tbs_never_crashes(data: st.DataObject) -> None:
    tbs = bytearray(data.draw(st.sampled_from([EXAMPLE_TBS, make_tbs()])))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(tbs)))
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip" and position < len(tbs):
            tbs[position] ^= data.draw(st.integers(1, 255))
        elif action == "insert":
            tbs[position:position] = data.draw(st.binary(min_size=1, max_size=3))
        elif action == "delete":
            del tbs[position : position + data.draw(st.integers(1, 3))]
        else:
            del tbs[position:]
    try:
        decoded = decode_tbs_certificate(bytes(tbs))
    except InvalidCertificateEncoding:
        return
    assert 0 <= decoded.serial < 2**256
    assert 0 <= decoded.not_before_ms < 2**64
    assert decoded.subject_public_key_info in bytes(tbs)


# ---- signature verification (the host function's algorithm table) ----


@pytest.fixture(scope="module")
def rsa_2048() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


@pytest.fixture(scope="module")
def rsa_1024() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 1024)


PublicKey = ed25519.Ed25519PublicKey | ed448.Ed448PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def spki_of(public_key: PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


MESSAGE = b"the signed bytes"


def test_ed25519_ignores_parameters() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    spki, signature = spki_of(key.public_key()), key.sign(MESSAGE)
    assert verify_signature(spki, ALG_ED25519, MESSAGE, signature)
    assert verify_signature(spki, ALG_ED25519_NULL, MESSAGE, signature)
    assert not verify_signature(spki, ALG_ED25519, MESSAGE + b"!", signature)
    assert not verify_signature(spki, ALG_ED25519, MESSAGE, signature[:-1])
    # The SPKI's own algorithm is never compared: Ed25519 key bits under an rsaEncryption label still verify.
    relabelled = tlv(0x30, RSA_ENCRYPTION + tlv(0x03, b"\x00" + key.public_key().public_bytes_raw()))
    assert verify_signature(relabelled, ALG_ED25519, MESSAGE, signature)


P256, P384 = "1.2.840.10045.3.1.7", "1.3.132.0.34"


@pytest.mark.parametrize(
    ("curve", "curve_oid", "algorithm", "hash_algorithm"),
    [
        (ec.SECP256R1(), P256, ALG_ECDSA_SHA256, hashes.SHA256()),
        (ec.SECP256R1(), P256, ALG_ECDSA_SHA384, hashes.SHA384()),
        (ec.SECP384R1(), P384, ALG_ECDSA_SHA384, hashes.SHA384()),
        (ec.SECP384R1(), P384, ALG_ECDSA_SHA256, hashes.SHA256()),
    ],
)
def test_ecdsa_on_p256_and_p384(
    curve: ec.EllipticCurve, curve_oid: str, algorithm: bytes, hash_algorithm: hashes.HashAlgorithm
) -> None:
    key = ec.generate_private_key(curve)
    signature = key.sign(MESSAGE, ec.ECDSA(hash_algorithm))
    spki = spki_of(key.public_key())
    assert verify_signature(spki, algorithm, MESSAGE, signature)
    r, s = decode_dss_signature(signature)
    size = (curve.key_size + 7) // 8
    raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    assert not verify_signature(spki, algorithm, MESSAGE, raw)  # not DER
    padded = tlv(0x30, tlv(0x02, b"\x00\x00" + r.to_bytes(size, "big")) + tlv(0x02, s.to_bytes(size, "big")))
    assert not verify_signature(spki, algorithm, MESSAGE, padded)  # non-minimal INTEGER
    assert not verify_signature(spki, algorithm, MESSAGE, signature + b"\x00")
    ec_public_key = tlv(0x06, encode_object_identifier("1.2.840.10045.2.1"))
    algorithm_id = tlv(0x30, ec_public_key + tlv(0x06, encode_object_identifier(curve_oid)))
    uncompressed = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    assert spki == tlv(0x30, algorithm_id + tlv(0x03, b"\x00" + uncompressed))
    compressed = key.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    spki_compressed = tlv(0x30, algorithm_id + tlv(0x03, b"\x00" + compressed))
    assert not verify_signature(spki_compressed, algorithm, MESSAGE, signature)  # ring: uncompressed points only


def test_unsupported_curves_and_algorithms() -> None:
    k1 = ec.generate_private_key(ec.SECP256K1())
    assert not verify_signature(
        spki_of(k1.public_key()), ALG_ECDSA_SHA256, MESSAGE, k1.sign(MESSAGE, ec.ECDSA(hashes.SHA256()))
    )
    p521 = ec.generate_private_key(ec.SECP521R1())
    assert not verify_signature(
        spki_of(p521.public_key()), ALG_ECDSA_SHA256, MESSAGE, p521.sign(MESSAGE, ec.ECDSA(hashes.SHA256()))
    )
    ed = ed448.Ed448PrivateKey.generate()
    assert not verify_signature(spki_of(ed.public_key()), ALG_ED448, MESSAGE, ed.sign(MESSAGE))


@pytest.mark.parametrize(
    ("algorithm", "hash_algorithm"),
    [
        (ALG_RSA_SHA256_NULL, hashes.SHA256()),
        (ALG_RSA_SHA256, hashes.SHA256()),
        (ALG_RSA_SHA384, hashes.SHA384()),
        (ALG_RSA_SHA512, hashes.SHA512()),
        (ALG_RSA_SHA1, hashes.SHA1()),
        (ALG_RSA_SHA1_OIW, hashes.SHA1()),
    ],
)
def test_rsa_pkcs1_on_2048(rsa_2048: rsa.RSAPrivateKey, algorithm: bytes, hash_algorithm: hashes.HashAlgorithm) -> None:
    signature = rsa_2048.sign(MESSAGE, padding.PKCS1v15(), hash_algorithm)
    spki = spki_of(rsa_2048.public_key())
    assert verify_signature(spki, algorithm, MESSAGE, signature)
    assert not verify_signature(spki, algorithm, MESSAGE, signature[1:])  # one byte short
    assert not verify_signature(spki, algorithm, MESSAGE, b"\x00" + signature)  # one byte long


def test_rsa_1024_only_for_sha1(rsa_1024: rsa.RSAPrivateKey) -> None:
    spki = spki_of(rsa_1024.public_key())
    assert verify_signature(spki, ALG_RSA_SHA1, MESSAGE, rsa_1024.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA1()))
    sha256 = rsa_1024.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    assert not verify_signature(spki, ALG_RSA_SHA256_NULL, MESSAGE, sha256)


def pss_algorithm(hash_oid: str | None) -> bytes:
    """RSASSA-PSS AlgorithmIdentifier whose params name `hash_oid` (None: absent hashAlgorithm, i.e. SHA-1)."""
    fields = (
        b"" if hash_oid is None else tlv(0xA0, tlv(0x30, tlv(0x06, encode_object_identifier(hash_oid)) + b"\x05\x00"))
    )
    return tlv(0x30, tlv(0x06, encode_object_identifier("1.2.840.113549.1.1.10")) + tlv(0x30, fields))


def test_rsa_pss_needs_salt_equal_to_hash_length(rsa_2048: rsa.RSAPrivateKey) -> None:
    spki = spki_of(rsa_2048.public_key())

    def sign(hash_algorithm: hashes.HashAlgorithm, salt: int) -> bytes:
        return rsa_2048.sign(MESSAGE, padding.PSS(padding.MGF1(hash_algorithm), salt), hash_algorithm)

    sha256, sha384 = "2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.2"
    assert verify_signature(spki, pss_algorithm(sha256), MESSAGE, sign(hashes.SHA256(), 32))
    assert verify_signature(spki, pss_algorithm(sha384), MESSAGE, sign(hashes.SHA384(), 48))
    assert not verify_signature(spki, pss_algorithm(sha256), MESSAGE, sign(hashes.SHA256(), 20))
    assert not verify_signature(spki, pss_algorithm(None), MESSAGE, sign(hashes.SHA1(), 20))
    assert not verify_signature(spki, pss_algorithm("1.3.14.3.2.26"), MESSAGE, sign(hashes.SHA1(), 20))
    absent = tlv(0x30, tlv(0x06, encode_object_identifier("1.2.840.113549.1.1.10")))
    assert not verify_signature(spki, absent, MESSAGE, sign(hashes.SHA256(), 32))


def rsa_key_with_exponent(base: rsa.RSAPrivateKey, exponent: int) -> rsa.RSAPrivateKey:
    """`base`'s primes with another public exponent (the next one that is invertible, from `exponent` up)."""
    numbers = base.private_numbers()
    p, q = numbers.p, numbers.q
    while True:
        try:
            d = pow(exponent, -1, (p - 1) * (q - 1))
            break
        except ValueError:
            exponent += 2
    public = rsa.RSAPublicNumbers(exponent, p * q)
    return rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), public).private_key(
        unsafe_skip_rsa_key_validation=True
    )


def test_rsa_exponent_rule(rsa_2048: rsa.RSAPrivateKey) -> None:
    # ring: 3 <= e < 2^33 (and odd); OpenSSL alone would take the larger exponents.
    exponents = []
    for candidate in (3, 2**32 + 1, 2**33 + 1, 2**40 + 1):
        key = rsa_key_with_exponent(rsa_2048, candidate)
        signature = key.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
        exponent = key.public_key().public_numbers().e
        exponents.append(exponent)
        accepted = verify_signature(spki_of(key.public_key()), ALG_RSA_SHA256, MESSAGE, signature)
        assert accepted is (exponent < 2**33), exponent
    assert min(exponents) < 2**33 <= max(exponents)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120), st.binary(max_size=40), st.binary(max_size=20), st.binary(max_size=300))
def test_verify_never_raises(spki: bytes, algorithm: bytes, data: bytes, signature: bytes) -> None:
    assert verify_signature(spki, algorithm, data, signature) in (True, False)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([ALG_ED25519, ALG_RSA_SHA256_NULL, ALG_ECDSA_SHA256, pss_algorithm("2.16.840.1.101.3.4.2.1")]),
    st.binary(max_size=300),
)
def test_verify_with_real_keys_and_junk_signatures_is_false(algorithm: bytes, signature: bytes) -> None:
    spki = bytes.fromhex(EXAMPLE_SPKI)
    assert verify_signature(spki, algorithm, MESSAGE, signature) is False


@given(st.dates(min_value=datetime.date(1, 1, 1)))
def test_days_from_civil_is_the_calendar_without_a_clock(day) -> None:
    from autonomys.protocol.identity.der import days_from_civil

    assert days_from_civil(day.year, day.month, day.day) == day.toordinal() - datetime.date(1970, 1, 1).toordinal()
