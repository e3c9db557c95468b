"""X.509 material for Auto IDs, made with `cryptography`: keys (Ed25519, ECDSA P-256, RSA-2048), self-signed roots
and leaves issued by a registered identity, the pieces a registration sends (TBS, AlgorithmIdentifier, signature),
and signatures of certificate actions. PEM files in and out. Keys and serials are random: this is the actor layer;
protocol.identity only checks what comes out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

KEY_KINDS: Final = ("ed25519", "p256", "rsa")
ED25519_ALGORITHM: Final = bytes.fromhex("300506032b6570")
ECDSA_SHA256_ALGORITHM: Final = bytes.fromhex("300a06082a8648ce3d040302")
RSA_SHA256_ALGORITHM: Final = bytes.fromhex("300d06092a864886f70d01010b0500")

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class IdentityFileError(ValueError):
    """A key or certificate file that cannot be read (the message names the file and why)."""


def new_key(kind: str = "ed25519") -> PrivateKey:
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    msg = f"unknown key kind {kind!r}: choose one of {', '.join(KEY_KINDS)}"
    raise IdentityFileError(msg)


def _hash_for(key: PrivateKey) -> hashes.HashAlgorithm | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def algorithm_identifier(key: PrivateKey) -> bytes:
    """The DER AlgorithmIdentifier a signature by `key` names (pallet-auto-id reads the algorithm from it)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return ED25519_ALGORITHM
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return ECDSA_SHA256_ALGORITHM
    return RSA_SHA256_ALGORITHM


def sign(key: PrivateKey, message: bytes) -> bytes:
    """`key`'s signature of `message` in the scheme `algorithm_identifier(key)` names."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


@dataclass(frozen=True, slots=True)
class Validity:
    not_before: datetime.datetime
    not_after: datetime.datetime

    @classmethod
    def days_from(cls, now: datetime.datetime, days: int) -> Validity:
        start = now.replace(microsecond=0)
        return cls(start, start + datetime.timedelta(days=days))


def issue_certificate(
    common_name: str,
    subject_key: PrivateKey,
    validity: Validity,
    *,
    issuer: tuple[x509.Certificate, PrivateKey] | None = None,
    serial: int | None = None,
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
) -> x509.Certificate:
    """A certificate of `common_name` for `subject_key`: self-signed when `issuer` is None, else signed by the
    issuer's key with the issuer's subject as its issuer name. A root is a CA (basicConstraints CA:TRUE)."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name, signing_key = (subject, subject_key) if issuer is None else (issuer[0].subject, issuer[1])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(subject_key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(validity.not_before)
        .not_valid_after(validity.not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, _hash_for(signing_key))  # type: ignore[arg-type]


def certificate_der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def save_identity(directory: Path, key: PrivateKey, certificate: x509.Certificate) -> tuple[Path, Path]:
    """Write `key.pem` (PKCS#8, unencrypted, mode 0600) and `cert.pem` into `directory`; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = directory / "key.pem", directory / "cert.pem"
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key_path.touch(mode=0o600, exist_ok=True)
    key_path.write_bytes(pem)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def load_certificate(path: Path) -> x509.Certificate:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IdentityFileError(f"{path}: {error.strerror}") from error
    try:
        return x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise IdentityFileError(f"{path}: not an X.509 certificate ({error})") from error


def load_key(path: Path) -> PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IdentityFileError(f"{path}: {error.strerror}") from error
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise IdentityFileError(f"{path}: not an unencrypted PEM private key ({error})") from error
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise IdentityFileError(f"{path}: a {type(key).__name__} is not an Auto ID key (Ed25519, ECDSA, RSA)")
    return key
