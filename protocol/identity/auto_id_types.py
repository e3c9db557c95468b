"""The SCALE types of the Auto ID pallet (pallet-auto-id `lib.rs`, sp-auto-id), byte for byte.

Field order is the wire order. `Identifier` is an H256 (32 raw bytes), a serial or a nonce is a U256 (32 bytes
little-endian), `DerVec` and `Vec<u8>` are compact length ‖ bytes, times are u64 milliseconds, and
`BTreeSet<U256>` is a compact count ‖ the serials in ascending numeric order. Every decoder consumes all of its
bytes and raises DecodeError otherwise; a set whose serials are not strictly ascending is refused (parity-scale-codec
would sort it, which would not re-encode to the same bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_compact,
    encode_u8,
    encode_u64,
    encode_vec_u8,
    read_vector_length,
    validate_bytes,
    validate_uint,
)
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import DecodeError

IDENTIFIER_SIZE: Final = 32
U256_SIZE: Final = 32
U256_MAX: Final = (1 << 256) - 1
CERTIFICATE_X509: Final = 0  # Certificate::X509, RegisterAutoId::X509, RenewAutoId::X509
REGISTER_ROOT: Final = 0  # RegisterAutoIdX509::Root
REGISTER_LEAF: Final = 1  # RegisterAutoIdX509::Leaf


# ---- primitives ----


def encode_u256(value: int) -> bytes:
    """A U256 as 32 bytes little-endian."""
    return value.to_bytes(U256_SIZE, "little")


def read_u256(reader: Reader) -> int:
    return int.from_bytes(reader.read_bytes(U256_SIZE), "little")


def read_identifier(reader: Reader) -> bytes:
    return reader.read_bytes(IDENTIFIER_SIZE)


def encode_optional_identifier(identifier: bytes | None) -> bytes:
    """Option<H256>: 00, or 01 ‖ the 32 bytes."""
    return b"\x00" if identifier is None else b"\x01" + identifier


def read_optional_identifier(reader: Reader) -> bytes | None:
    return read_identifier(reader) if reader.read_option_tag() else None


def encode_serial_set(serials: tuple[int, ...]) -> bytes:
    """BTreeSet<U256>: compact count ‖ each serial LE, in ascending order (the tuple must already be sorted)."""
    return encode_compact(len(serials)) + b"".join(encode_u256(serial) for serial in serials)


def read_serial_set(reader: Reader) -> tuple[int, ...]:
    serials = tuple(read_u256(reader) for _ in range(read_vector_length(reader)))
    validate_serial_set("serials", serials)
    return serials


def validate_serial_set(name: str, serials: object) -> None:
    """DecodeError unless `serials` is a tuple of U256 values in strictly ascending order (a canonical BTreeSet)."""
    if not isinstance(serials, tuple):
        raise DecodeError(f"{name} must be a tuple")
    for serial in serials:
        validate_uint(name, serial, U256_MAX)
    if any(earlier >= later for earlier, later in zip(serials, serials[1:], strict=False)):
        raise DecodeError(f"{name} must be strictly ascending")


def _validate_data(name: str, value: object) -> None:
    if not isinstance(value, bytes):
        raise DecodeError(f"{name} must be bytes, got {type(value).__name__}")


def _validate_optional_identifier(name: str, value: object) -> None:
    if value is not None:
        validate_bytes(name, value, IDENTIFIER_SIZE)


def _read_enum_tag(reader: Reader, what: str, variants: int) -> int:
    tag = reader.read_u8()
    if tag >= variants:
        raise DecodeError(f"{what}: unknown variant {tag}")
    return tag


# ---- the stored record ----


@dataclass(frozen=True, slots=True)
class X509Certificate:
    """The record AutoIds keeps for one identity (pallet-auto-id `X509Certificate`)."""

    issuer_id: bytes | None
    """The issuer's identifier; None for a root (self-issued)."""
    serial: int
    subject_common_name: bytes
    subject_public_key_info: bytes
    not_before_ms: int
    not_after_ms: int
    raw: bytes
    """The DER TBSCertificate as submitted (no signature is stored)."""
    issued_serials: tuple[int, ...]
    """Serials this identity has used or issued: its own first serial, then every leaf's it signed (ascending)."""
    nonce: int
    """The next nonce of a revoke or deactivate action this identity signs."""

    def __post_init__(self) -> None:
        _validate_optional_identifier("issuer_id", self.issuer_id)
        validate_uint("serial", self.serial, U256_MAX)
        for name in ("subject_common_name", "subject_public_key_info", "raw"):
            _validate_data(name, getattr(self, name))
        validate_uint("not_before_ms", self.not_before_ms, U64_MAX)
        validate_uint("not_after_ms", self.not_after_ms, U64_MAX)
        validate_serial_set("issued_serials", self.issued_serials)
        validate_uint("nonce", self.nonce, U256_MAX)

    def is_valid_at(self, now_ms: int) -> bool:
        """sp-auto-id `Validity::is_valid_at`: not_before <= now <= not_after (inclusive at both ends)."""
        return self.not_before_ms <= now_ms <= self.not_after_ms

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                encode_optional_identifier(self.issuer_id),
                encode_u256(self.serial),
                encode_vec_u8(self.subject_common_name),
                encode_vec_u8(self.subject_public_key_info),
                encode_u64(self.not_before_ms),
                encode_u64(self.not_after_ms),
                encode_vec_u8(self.raw),
                encode_serial_set(self.issued_serials),
                encode_u256(self.nonce),
            )
        )

    @classmethod
    def read(cls, reader: Reader) -> X509Certificate:
        return cls(
            issuer_id=read_optional_identifier(reader),
            serial=read_u256(reader),
            subject_common_name=reader.read_vec_u8(),
            subject_public_key_info=reader.read_vec_u8(),
            not_before_ms=reader.read_u64(),
            not_after_ms=reader.read_u64(),
            raw=reader.read_vec_u8(),
            issued_serials=read_serial_set(reader),
            nonce=read_u256(reader),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> X509Certificate:
        return decode_exactly(data, "X509Certificate", cls.read)


@dataclass(frozen=True, slots=True)
class AutoIdRecord:
    """The AutoIds value: AutoId { certificate: Certificate::X509(X509Certificate) } = 00 ‖ X509Certificate."""

    certificate: X509Certificate

    def to_bytes(self) -> bytes:
        return encode_u8(CERTIFICATE_X509) + self.certificate.to_bytes()

    @classmethod
    def read(cls, reader: Reader) -> AutoIdRecord:
        _read_enum_tag(reader, "Certificate", 1)
        return cls(X509Certificate.read(reader))

    @classmethod
    def from_bytes(cls, data: bytes) -> AutoIdRecord:
        return decode_exactly(data, "AutoId", cls.read)


# ---- requests and signed actions ----


def _encode_signed_certificate(request: RegisterAutoId | RenewAutoId) -> bytes:
    """certificate (TBS) ‖ signature_algorithm ‖ signature, each a Vec<u8>: the tail of both requests."""
    return (
        encode_vec_u8(request.certificate) + encode_vec_u8(request.signature_algorithm)
        + encode_vec_u8(request.signature)
    )  # fmt: skip


def _read_signed_certificate(reader: Reader) -> tuple[bytes, bytes, bytes]:
    return reader.read_vec_u8(), reader.read_vec_u8(), reader.read_vec_u8()


@dataclass(frozen=True, slots=True)
class RegisterAutoId:
    """RegisterAutoId::X509: Root (issuer_id None) or Leaf (issuer_id = the issuer's identifier)."""

    issuer_id: bytes | None
    certificate: bytes
    """The DER TBSCertificate, verbatim (the signed bytes)."""
    signature_algorithm: bytes
    """A DER AlgorithmIdentifier SEQUENCE."""
    signature: bytes
    """The certificate's signatureValue BIT STRING data."""

    def __post_init__(self) -> None:
        _validate_optional_identifier("issuer_id", self.issuer_id)
        for name in ("certificate", "signature_algorithm", "signature"):
            _validate_data(name, getattr(self, name))

    def to_bytes(self) -> bytes:
        if self.issuer_id is None:
            variant = encode_u8(REGISTER_ROOT)
        else:
            variant = encode_u8(REGISTER_LEAF) + self.issuer_id
        return encode_u8(CERTIFICATE_X509) + variant + _encode_signed_certificate(self)

    @classmethod
    def read(cls, reader: Reader) -> RegisterAutoId:
        _read_enum_tag(reader, "RegisterAutoId", 1)
        variant = _read_enum_tag(reader, "RegisterAutoIdX509", 2)
        issuer_id = read_identifier(reader) if variant == REGISTER_LEAF else None
        return cls(issuer_id, *_read_signed_certificate(reader))

    @classmethod
    def from_bytes(cls, data: bytes) -> RegisterAutoId:
        return decode_exactly(data, "RegisterAutoId", cls.read)


@dataclass(frozen=True, slots=True)
class RenewAutoId:
    """RenewAutoId::X509(RenewX509Certificate): the new certificate and who signed it (None: self-signed)."""

    issuer_id: bytes | None
    certificate: bytes
    signature_algorithm: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _validate_optional_identifier("issuer_id", self.issuer_id)
        for name in ("certificate", "signature_algorithm", "signature"):
            _validate_data(name, getattr(self, name))

    def to_bytes(self) -> bytes:
        return encode_u8(CERTIFICATE_X509) + encode_optional_identifier(self.issuer_id) + _encode_signed_certificate(self)

    @classmethod
    def read(cls, reader: Reader) -> RenewAutoId:
        _read_enum_tag(reader, "RenewAutoId", 1)
        issuer_id = read_optional_identifier(reader)
        return cls(issuer_id, *_read_signed_certificate(reader))

    @classmethod
    def from_bytes(cls, data: bytes) -> RenewAutoId:
        return decode_exactly(data, "RenewAutoId", cls.read)


@dataclass(frozen=True, slots=True)
class Signature:
    """The signature of a CertificateAction: a DER AlgorithmIdentifier and the signature bytes."""

    signature_algorithm: bytes
    value: bytes

    def __post_init__(self) -> None:
        _validate_data("signature_algorithm", self.signature_algorithm)
        _validate_data("value", self.value)

    def to_bytes(self) -> bytes:
        return encode_vec_u8(self.signature_algorithm) + encode_vec_u8(self.value)

    @classmethod
    def read(cls, reader: Reader) -> Signature:
        return cls(reader.read_vec_u8(), reader.read_vec_u8())

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        return decode_exactly(data, "Signature", cls.read)


class CertificateActionType(IntEnum):
    """What a CertificateAction authorises (pallet-auto-id `CertificateActionType`)."""

    REVOKE_CERTIFICATE = 0
    DEACTIVATE_AUTO_ID = 1


@dataclass(frozen=True, slots=True)
class CertificateAction:
    """The message a revoke or deactivate signature covers: id(32) ‖ nonce (U256 LE) ‖ action type (1), 65 bytes."""

    auto_id: bytes
    nonce: int
    action_type: CertificateActionType

    def __post_init__(self) -> None:
        validate_bytes("auto_id", self.auto_id, IDENTIFIER_SIZE)
        validate_uint("nonce", self.nonce, U256_MAX)
        if not isinstance(self.action_type, CertificateActionType):
            raise DecodeError(f"action_type must be a CertificateActionType, got {self.action_type!r}")

    def to_bytes(self) -> bytes:
        return self.auto_id + encode_u256(self.nonce) + encode_u8(self.action_type)

    @classmethod
    def read(cls, reader: Reader) -> CertificateAction:
        auto_id = read_identifier(reader)
        nonce = read_u256(reader)
        action_type = CertificateActionType(_read_enum_tag(reader, "CertificateActionType", 2))
        return cls(auto_id, nonce, action_type)

    @classmethod
    def from_bytes(cls, data: bytes) -> CertificateAction:
        return decode_exactly(data, "CertificateAction", cls.read)


# ---- calls and events ----


class AutoIdCallIndex(IntEnum):
    """The pallet's call indexes (the byte after the pallet index 0x28)."""

    REGISTER_AUTO_ID = 0
    REVOKE_CERTIFICATE = 1
    DEACTIVATE_AUTO_ID = 2
    RENEW_AUTO_ID = 3


@dataclass(frozen=True, slots=True)
class RegisterAutoIdCall:
    """register_auto_id(req)."""

    request: RegisterAutoId


@dataclass(frozen=True, slots=True)
class RevokeCertificateCall:
    """revoke_certificate(auto_id_identifier, signature)."""

    auto_id: bytes
    signature: Signature

    def __post_init__(self) -> None:
        validate_bytes("auto_id", self.auto_id, IDENTIFIER_SIZE)


@dataclass(frozen=True, slots=True)
class DeactivateAutoIdCall:
    """deactivate_auto_id(auto_id_identifier, signature)."""

    auto_id: bytes
    signature: Signature

    def __post_init__(self) -> None:
        validate_bytes("auto_id", self.auto_id, IDENTIFIER_SIZE)


@dataclass(frozen=True, slots=True)
class RenewAutoIdCall:
    """renew_auto_id(auto_id_identifier, req)."""

    auto_id: bytes
    request: RenewAutoId

    def __post_init__(self) -> None:
        validate_bytes("auto_id", self.auto_id, IDENTIFIER_SIZE)


AutoIdCall = RegisterAutoIdCall | RevokeCertificateCall | DeactivateAutoIdCall | RenewAutoIdCall


def encode_call(call: AutoIdCall) -> bytes:
    """call index ‖ SCALE(args), without the pallet byte (the runtime prefixes PALLET_INDEX)."""
    if isinstance(call, RegisterAutoIdCall):
        return encode_u8(AutoIdCallIndex.REGISTER_AUTO_ID) + call.request.to_bytes()
    if isinstance(call, RevokeCertificateCall):
        return encode_u8(AutoIdCallIndex.REVOKE_CERTIFICATE) + call.auto_id + call.signature.to_bytes()
    if isinstance(call, DeactivateAutoIdCall):
        return encode_u8(AutoIdCallIndex.DEACTIVATE_AUTO_ID) + call.auto_id + call.signature.to_bytes()
    return encode_u8(AutoIdCallIndex.RENEW_AUTO_ID) + call.auto_id + call.request.to_bytes()


def read_call(reader: Reader) -> AutoIdCall:
    index = AutoIdCallIndex(_read_enum_tag(reader, "AutoId call", len(AutoIdCallIndex)))
    if index == AutoIdCallIndex.REGISTER_AUTO_ID:
        return RegisterAutoIdCall(RegisterAutoId.read(reader))
    auto_id = read_identifier(reader)
    if index == AutoIdCallIndex.REVOKE_CERTIFICATE:
        return RevokeCertificateCall(auto_id, Signature.read(reader))
    if index == AutoIdCallIndex.DEACTIVATE_AUTO_ID:
        return DeactivateAutoIdCall(auto_id, Signature.read(reader))
    return RenewAutoIdCall(auto_id, RenewAutoId.read(reader))


def decode_call(data: bytes) -> AutoIdCall:
    """The call `encode_call` wrote; DecodeError for an unknown index, a short read or trailing bytes."""
    return decode_exactly(data, "AutoId call", read_call)


class AutoIdEventKind(IntEnum):
    """The pallet's events, each carrying one Identifier (pallet-auto-id `Event`)."""

    NEW_AUTO_ID_REGISTERED = 0
    CERTIFICATE_REVOKED = 1
    AUTO_ID_DEACTIVATED = 2
    AUTO_ID_RENEWED = 3


@dataclass(frozen=True, slots=True)
class AutoIdEvent:
    """What a successful call emitted: the event and the identifier it names."""

    kind: AutoIdEventKind
    auto_id: bytes

    def to_bytes(self) -> bytes:
        """The SCALE event (without the pallet byte): variant ‖ identifier."""
        return encode_u8(self.kind) + self.auto_id
