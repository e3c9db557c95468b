"""Signature verification exactly as the Auto ID host function accepts it.

sp-auto-id `host_functions.rs` `verify_signature` parses the SubjectPublicKeyInfo and the AlgorithmIdentifier with
x509-parser, wraps the signature as a BIT STRING with no unused bits and calls x509-parser `verify.rs`
`verify_signature`, which picks a ring 0.17 algorithm from the caller's AlgorithmIdentifier OID alone:

| OID | ring algorithm |
|---|---|
| sha1WithRSAEncryption (1.2.840.113549.1.1.5, 1.3.14.3.2.29) | RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY |
| sha256/384/512WithRSAEncryption | RSA_PKCS1_2048_8192_SHA256/384/512 (parameters ignored) |
| RSASSA-PSS | RSA_PSS_2048_8192_SHA256/384/512 from the params' hash; SHA-1 or absent params: unsupported |
| ecdsa-with-SHA256 / SHA384 | ECDSA_P256/P384_SHA256/384_ASN1, the curve named by the SPKI's parameters |
| Ed25519 | ED25519 (parameters ignored) |

Everything else (Ed448, sr25519, P-521, secp256k1, ...) is unsupported. ring's own rules are reproduced on top of
`cryptography`: RSA moduli within the algorithm's bit window, exponents odd with 3 <= e < 2^33, a signature exactly
as long as the modulus; PSS with MGF1 over the same hash and a salt as long as the hash (whatever the params say);
ECDSA public keys as uncompressed points and signatures as strict DER (r, s). The SPKI's algorithm OID is never
compared with the signature algorithm: the key bits are read as the named algorithm needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from autonomys.protocol.errors import DecodeError
from autonomys.protocol.identity.der import (
    TAG_INTEGER,
    TAG_OBJECT_IDENTIFIER,
    TAG_SEQUENCE,
    encode_object_identifier,
    iterate_elements,
    parse_algorithm_identifier_raw,
    parse_subject_public_key_info,
    read_single,
)

OID_SHA1_WITH_RSA: Final = encode_object_identifier("1.2.840.113549.1.1.5")
OID_SHA1_WITH_RSA_OIW: Final = encode_object_identifier("1.3.14.3.2.29")
OID_SHA256_WITH_RSA: Final = encode_object_identifier("1.2.840.113549.1.1.11")
OID_SHA384_WITH_RSA: Final = encode_object_identifier("1.2.840.113549.1.1.12")
OID_SHA512_WITH_RSA: Final = encode_object_identifier("1.2.840.113549.1.1.13")
OID_RSASSA_PSS: Final = encode_object_identifier("1.2.840.113549.1.1.10")
OID_ECDSA_WITH_SHA256: Final = encode_object_identifier("1.2.840.10045.4.3.2")
OID_ECDSA_WITH_SHA384: Final = encode_object_identifier("1.2.840.10045.4.3.3")
OID_ED25519: Final = encode_object_identifier("1.3.101.112")
OID_CURVE_P256: Final = encode_object_identifier("1.2.840.10045.3.1.7")
OID_CURVE_P384: Final = encode_object_identifier("1.3.132.0.34")
OID_SHA256: Final = encode_object_identifier("2.16.840.1.101.3.4.2.1")
OID_SHA384: Final = encode_object_identifier("2.16.840.1.101.3.4.2.2")
OID_SHA512: Final = encode_object_identifier("2.16.840.1.101.3.4.2.3")

RSA_MAX_BITS: Final = 8192
RSA_MIN_EXPONENT: Final = 3
RSA_EXPONENT_LIMIT: Final = 1 << 33  # ring PublicExponent::MAX = 2^33 - 1
TAG_PSS_HASH: Final = 0xA0  # RSASSA-PSS-params hashAlgorithm [0] EXPLICIT

# A verifier takes the SPKI key bits, the signed data and the signature; it raises or returns False when they do
# not verify.
Verifier = Callable[[bytes, bytes, bytes], bool]

_VERIFY_FAILURES = (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError, DecodeError, OverflowError)


def verify_signature(public_key_info: bytes, signature_algorithm: bytes, data: bytes, signature: bytes) -> bool:
    """Whether `signature` over `data` verifies under the SPKI with the algorithm the AlgorithmIdentifier names
    (sp-auto-id `verify_signature`); False for anything unsupported or malformed, never an exception."""
    try:
        _key_oid, key_parameters, key_bits = parse_subject_public_key_info(public_key_info)
        algorithm, parameters = parse_algorithm_identifier_raw(signature_algorithm)
        verifier = choose_verifier(algorithm, parameters, key_parameters)
        return verifier is not None and verifier(key_bits, bytes(data), bytes(signature))
    except _VERIFY_FAILURES:
        return False


def choose_verifier(algorithm: bytes, parameters: bytes | None, key_parameters: bytes | None) -> Verifier | None:
    """The verifier x509-parser `verify_signature` picks for an AlgorithmIdentifier OID (content octets), its
    parameters and the SPKI's algorithm parameters (the ECDSA curve); None when unsupported."""
    if algorithm in (OID_SHA1_WITH_RSA, OID_SHA1_WITH_RSA_OIW):
        return _rsa_pkcs1_verifier(hashes.SHA1(), 1024)
    pkcs1_hashes: dict[bytes, hashes.HashAlgorithm] = {
        OID_SHA256_WITH_RSA: hashes.SHA256(),
        OID_SHA384_WITH_RSA: hashes.SHA384(),
        OID_SHA512_WITH_RSA: hashes.SHA512(),
    }
    if algorithm in pkcs1_hashes:
        return _rsa_pkcs1_verifier(pkcs1_hashes[algorithm], 2048)
    if algorithm == OID_RSASSA_PSS:
        pss_hash = _pss_hash(parameters)
        return None if pss_hash is None else _rsa_pss_verifier(pss_hash)
    if algorithm in (OID_ECDSA_WITH_SHA256, OID_ECDSA_WITH_SHA384):
        return _ecdsa_verifier(algorithm, key_parameters)
    if algorithm == OID_ED25519:
        return _verify_ed25519
    return None


# ---- ring's strict DER (ring::io::der): single-octet tags, minimal lengths, positive minimal integers ----


def _strict_tlv(data: bytes, tag: int) -> tuple[bytes, bytes]:
    """The content of the TLV with `tag` at the start of `data`, and what follows it."""
    if len(data) < 2 or data[0] != tag:
        raise DecodeError("strict DER: wrong tag")
    first = data[1]
    if first < 0x80:
        length, header = first, 2
    elif first == 0x81 and len(data) >= 3 and data[2] >= 0x80:
        length, header = data[2], 3
    elif first == 0x82 and len(data) >= 4 and int.from_bytes(data[2:4], "big") >= 0x100:
        length, header = int.from_bytes(data[2:4], "big"), 4
    else:
        raise DecodeError("strict DER: unsupported or non-minimal length")
    if header + length > len(data):
        raise DecodeError("strict DER: truncated")
    return data[header : header + length], data[header + length :]


def _strict_positive_integer(data: bytes) -> tuple[int, bytes]:
    """A positive INTEGER in minimal encoding (ring `der::positive_integer`), and what follows it."""
    content, rest = _strict_tlv(data, TAG_INTEGER)
    if len(content) == 0 or content[0] & 0x80:
        raise DecodeError("strict DER: integer empty or negative")
    if content[0] == 0 and (len(content) == 1 or content[1] < 0x80):
        raise DecodeError("strict DER: integer zero or not minimal")
    return int.from_bytes(content, "big"), rest


def _strict_integer_pair(data: bytes) -> tuple[int, int]:
    """SEQUENCE { INTEGER, INTEGER } filling `data` exactly (an RSAPublicKey, an ECDSA-Sig-Value)."""
    content, rest = _strict_tlv(data, TAG_SEQUENCE)
    first, content = _strict_positive_integer(content)
    second, content = _strict_positive_integer(content)
    if len(content) > 0 or len(rest) > 0:
        raise DecodeError("strict DER: trailing bytes")
    return first, second


# ---- RSA ----


def _rsa_public_key(key_bits: bytes, minimum_bits: int) -> rsa.RSAPublicKey:
    """The RSAPublicKey in the SPKI bits, under ring's rules (modulus window and odd; 3 <= e < 2^33, odd)."""
    modulus, exponent = _strict_integer_pair(key_bits)
    if not minimum_bits <= modulus.bit_length() <= RSA_MAX_BITS or modulus % 2 == 0:
        raise ValueError("RSA modulus outside ring's window")
    if not RSA_MIN_EXPONENT <= exponent < RSA_EXPONENT_LIMIT or exponent % 2 == 0:
        raise ValueError("RSA exponent outside ring's rule")
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def _check_rsa_signature_length(key: rsa.RSAPublicKey, signature: bytes) -> None:
    # ring: the signature must be exactly as long as the modulus, and below it.
    modulus = key.public_numbers().n
    if len(signature) != (modulus.bit_length() + 7) // 8 or int.from_bytes(signature, "big") >= modulus:
        raise ValueError("RSA signature length differs from the modulus length")


def _rsa_pkcs1_verifier(hash_algorithm: hashes.HashAlgorithm, minimum_bits: int) -> Verifier:
    def verify(key_bits: bytes, data: bytes, signature: bytes) -> bool:
        key = _rsa_public_key(key_bits, minimum_bits)
        _check_rsa_signature_length(key, signature)
        key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
        return True

    return verify


def _rsa_pss_verifier(hash_algorithm: hashes.HashAlgorithm) -> Verifier:
    def verify(key_bits: bytes, data: bytes, signature: bytes) -> bool:
        key = _rsa_public_key(key_bits, 2048)
        _check_rsa_signature_length(key, signature)
        # ring RSA_PSS_2048_8192_SHA*: MGF1 with the same hash, salt length = hash length, whatever the params say.
        mask = padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size)
        key.verify(signature, data, mask, hash_algorithm)
        return True

    return verify


def _pss_hash(parameters: bytes | None) -> hashes.HashAlgorithm | None:
    """The hash named by RSASSA-PSS-params (x509-parser `get_rsa_pss_verification_algo`): SHA-256/384/512, else
    None (absent params or hashAlgorithm mean SHA-1, which is unsupported)."""
    if parameters is None:
        return None
    sequence = read_single(parameters, TAG_SEQUENCE, "RSASSA-PSS-params")
    fields = list(iterate_elements(parameters, sequence.content_start, sequence.end))
    if len(fields) == 0 or fields[0].tag != TAG_PSS_HASH:
        return None
    hash_oid, _hash_parameters = parse_algorithm_identifier_raw(fields[0].content(parameters))
    supported: dict[bytes, hashes.HashAlgorithm] = {
        OID_SHA256: hashes.SHA256(),
        OID_SHA384: hashes.SHA384(),
        OID_SHA512: hashes.SHA512(),
    }
    return supported.get(hash_oid)


# ---- ECDSA and Ed25519 ----


def _ecdsa_verifier(algorithm: bytes, key_parameters: bytes | None) -> Verifier | None:
    """ECDSA over the curve the SPKI's parameters name (P-256 or P-384 only), with the algorithm's hash."""
    if key_parameters is None:
        return None
    # x509-parser `as_oid` on the SPKI's parameters: they must be an OBJECT IDENTIFIER naming the curve.
    curve_oid = read_single(key_parameters, TAG_OBJECT_IDENTIFIER, "namedCurve").content(key_parameters)
    curves: dict[bytes, ec.EllipticCurve] = {OID_CURVE_P256: ec.SECP256R1(), OID_CURVE_P384: ec.SECP384R1()}
    if curve_oid not in curves:
        return None
    curve = curves[curve_oid]
    hash_algorithm = hashes.SHA256() if algorithm == OID_ECDSA_WITH_SHA256 else hashes.SHA384()

    def verify(key_bits: bytes, data: bytes, signature: bytes) -> bool:
        # ring takes uncompressed points only: 04 || x || y.
        if len(key_bits) != 1 + 2 * ((curve.key_size + 7) // 8) or key_bits[0] != 0x04:
            raise ValueError("ECDSA public key is not an uncompressed point")
        _strict_integer_pair(signature)
        key = ec.EllipticCurvePublicKey.from_encoded_point(curve, key_bits)
        key.verify(signature, data, ec.ECDSA(hash_algorithm))
        return True

    return verify


def _verify_ed25519(key_bits: bytes, data: bytes, signature: bytes) -> bool:
    ed25519.Ed25519PublicKey.from_public_bytes(key_bits).verify(signature, data)
    return True
