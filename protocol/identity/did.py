"""PROJECT-DEFINED: `did:auto` DIDs for Auto IDs and their DID documents (W3C DID Core 1.0).

Upstream has no DID method for Auto ID; `did:auto` is invented by this project (the reference note sketches it as
`did:autoid`; this module spells it `did:auto`). Nothing here is part of the pallet core: the resolver only reads the
pallet's AutoIds record and the off-chain `identity_status`.

- A DID is `did:auto:` followed by the 32-byte Auto ID as 64 lowercase hex digits (no other spelling is accepted,
  so an identifier has exactly one DID).
- The document has the DID as `id`, the issuer's DID as `controller` for a leaf (a root has none), one
  verification method `<did>#key-1` of type `JsonWebKey` holding the record's SubjectPublicKeyInfo as a JWK
  (RFC 7517/8037: Ed25519 and Ed448 as OKP, P-256/P-384/P-521/secp256k1 as EC, RSA as n/e), and `authentication`
  and `assertionMethod` pointing at it. A key `cryptography` cannot load (or of another kind) gives no method.
- The metadata says `deactivated: true` when the record is gone (deactivation leaves no tombstone, so a DID that
  was never registered resolves the same way) or when `identity_status` at `now_ms` is not valid; the status
  reason is reported as `autoIdStatus` (a project-defined metadata property).

The JOSE encodings the credentials module shares live here too: unpadded base64url (decoded only in its one
canonical spelling), strict JSON reading (UTF-8, no duplicate names, no NaN/Infinity) and canonical JSON writing
(sorted keys, no whitespace, UTF-8: `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`; close
to RFC 8785 JCS but not equal to it for non-integer numbers and for keys outside the Basic Multilingual Plane).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from autonomys.protocol.errors import DecodeError
from autonomys.protocol.identity.auto_id import STATUS_UNKNOWN_AUTO_ID, AutoIdStore, get_auto_id, identity_status
from autonomys.protocol.identity.auto_id_types import IDENTIFIER_SIZE

DID_PREFIX: Final = "did:auto:"
KEY_FRAGMENT: Final = "#key-1"
DID_CONTEXTS: Final = ("https://www.w3.org/ns/did/v1", "https://www.w3.org/ns/cid/v1")
VERIFICATION_METHOD_TYPE: Final = "JsonWebKey"
_HEX_DIGITS: Final = frozenset("0123456789abcdef")
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_EC_CURVES: Final = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521", "secp256k1": "secp256k1"}

# ---- errors (to move to protocol/errors.py) ----


class InvalidDid(DecodeError):
    """A string that is not a did:auto DID (`did:auto:` and 64 lowercase hex digits)."""


class InvalidEncoding(DecodeError):
    """Text that is not canonical unpadded base64url, or bytes that are not strict JSON."""


# ---- JOSE encodings (shared with the credentials module) ----


def base64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base64url_decode(text: object) -> bytes:
    """The bytes of unpadded base64url text in its one canonical spelling (zero trailing bits); InvalidEncoding
    otherwise."""
    if not isinstance(text, str) or _BASE64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise InvalidEncoding("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidEncoding("not base64url") from error
    if base64url_encode(data) != text:
        raise InvalidEncoding("base64url with non-zero trailing bits")
    return data


def canonical_json(value: object) -> bytes:
    """The canonical JSON bytes of `value`: sorted keys, no whitespace, UTF-8; ValueError/TypeError for a value
    JSON cannot hold (NaN, infinities, non-string keys, other objects)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def _reject_constant(name: str) -> object:
    raise InvalidEncoding(f"JSON constant {name} is not allowed")


def _unique_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    if len({name for name, _value in pairs}) != len(pairs):
        raise InvalidEncoding("JSON object with a duplicate member name")
    return dict(pairs)


MAX_JSON_BYTES = 1 << 20
MAX_JSON_DEPTH = 64


def json_nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects outside strings (read before parsing: the C decoder recurses,
    and deep enough input overflows the C stack — a crash, not a RecursionError)."""
    depth = deepest = 0
    in_string = escaped = False
    for character in text:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest


def parse_json(data: bytes) -> object:
    """The JSON value of UTF-8 bytes; InvalidEncoding for invalid UTF-8 or JSON, a duplicate member name, NaN or
    Infinity, more than 1 MiB, or nesting deeper than 64."""
    if len(data) > MAX_JSON_BYTES:
        raise InvalidEncoding(f"JSON of {len(data)} bytes is over {MAX_JSON_BYTES}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidEncoding(f"not UTF-8: {error}") from error
    if json_nesting_depth(text) > MAX_JSON_DEPTH:
        raise InvalidEncoding(f"JSON nested deeper than {MAX_JSON_DEPTH}")
    try:
        return json.loads(text, object_pairs_hook=_unique_object, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise InvalidEncoding(f"not JSON: {error}") from error


# ---- identifiers ----


def did_of_auto_id(auto_id: bytes) -> str:
    """`did:auto:<64 hex>` of a 32-byte Auto ID."""
    if not isinstance(auto_id, bytes) or len(auto_id) != IDENTIFIER_SIZE:
        raise InvalidDid(f"an Auto ID is {IDENTIFIER_SIZE} bytes, got {auto_id!r:.80}")
    return DID_PREFIX + auto_id.hex()


def auto_id_of_did(did: object) -> bytes:
    """The Auto ID a did:auto DID names; InvalidDid for any other string."""
    if not isinstance(did, str) or not did.startswith(DID_PREFIX):
        raise InvalidDid(f"not a did:auto DID: {did!r:.80}")
    digits = did[len(DID_PREFIX) :]
    if len(digits) != 2 * IDENTIFIER_SIZE or not set(digits) <= _HEX_DIGITS:
        raise InvalidDid(f"did:auto needs 64 lowercase hex digits: {did!r:.80}")
    return bytes.fromhex(digits)


def key_id_of_auto_id(auto_id: bytes) -> str:
    """The verification method id of an Auto ID's key: `did:auto:<hex>#key-1`."""
    return did_of_auto_id(auto_id) + KEY_FRAGMENT


# ---- SubjectPublicKeyInfo -> JWK ----


def _unsigned_bytes(value: int, size: int | None = None) -> bytes:
    length = size if size is not None else max(1, (value.bit_length() + 7) // 8)
    return value.to_bytes(length, "big")


def jwk_of_public_key_info(public_key_info: bytes) -> dict[str, str] | None:
    """The JWK of a DER SubjectPublicKeyInfo; None when `cryptography` cannot load it or JOSE has no form for it."""
    try:
        key = serialization.load_der_public_key(public_key_info)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return {"kty": "OKP", "crv": "Ed25519", "x": base64url_encode(key.public_bytes_raw())}
    if isinstance(key, ed448.Ed448PublicKey):
        return {"kty": "OKP", "crv": "Ed448", "x": base64url_encode(key.public_bytes_raw())}
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _EC_CURVES:
        numbers = key.public_numbers()
        size = (key.curve.key_size + 7) // 8
        return {
            "kty": "EC",
            "crv": _EC_CURVES[key.curve.name],
            "x": base64url_encode(_unsigned_bytes(numbers.x, size)),
            "y": base64url_encode(_unsigned_bytes(numbers.y, size)),
        }
    if isinstance(key, rsa.RSAPublicKey):
        rsa_numbers = key.public_numbers()
        return {
            "kty": "RSA",
            "n": base64url_encode(_unsigned_bytes(rsa_numbers.n)),
            "e": base64url_encode(_unsigned_bytes(rsa_numbers.e)),
        }
    return None


# ---- the DID document ----


@dataclass(frozen=True, slots=True)
class VerificationMethod:
    """One DID Core verification method of type JsonWebKey."""

    id: str
    controller: str
    public_key_jwk: tuple[tuple[str, str], ...]
    """The JWK members as (name, value) pairs, sorted by name (a frozen form of the JWK object)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "type": VERIFICATION_METHOD_TYPE,
            "controller": self.controller,
            "publicKeyJwk": dict(self.public_key_jwk),
        }


@dataclass(frozen=True, slots=True)
class DidDocument(Mapping[str, object]):
    """A resolved did:auto DID: the document (readable as a mapping of its JSON members) and its metadata."""

    id: str
    controller: str | None
    """The issuer's DID for a leaf; None for a root."""
    verification_methods: tuple[VerificationMethod, ...]
    deactivated: bool
    """True when the record is gone or the identity is not valid at the resolution time."""
    status: str
    """`identity_status` reason at the resolution time (auto_id STATUS_*), or UnknownAutoId for a missing record."""

    def document(self) -> dict[str, object]:
        """The DID document as JSON members."""
        document: dict[str, object] = {"@context": list(DID_CONTEXTS), "id": self.id}
        if self.controller is not None:
            document["controller"] = self.controller
        if len(self.verification_methods) > 0:
            document["verificationMethod"] = [method.to_dict() for method in self.verification_methods]
            references = [method.id for method in self.verification_methods]
            document["authentication"] = references
            document["assertionMethod"] = list(references)
        return document

    def metadata(self) -> dict[str, object]:
        """The DID document metadata: `deactivated` when true, and the project's `autoIdStatus`."""
        metadata: dict[str, object] = {"autoIdStatus": self.status}
        if self.deactivated:
            metadata["deactivated"] = True
        return metadata

    def to_json(self) -> str:
        """The resolution result as canonical JSON: {"didDocument": ..., "didDocumentMetadata": ...}."""
        result = {"didDocument": self.document(), "didDocumentMetadata": self.metadata()}
        return canonical_json(result).decode("utf-8")

    def __getitem__(self, name: str) -> object:
        return self.document()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.document())

    def __len__(self) -> int:
        return len(self.document())


def resolve_did(store: AutoIdStore, did: object, now_ms: int) -> DidDocument | None:
    """The DID document of a did:auto DID from the AutoIds record at `now_ms`; None when `did` is not a did:auto DID."""
    try:
        auto_id = auto_id_of_did(did)
    except InvalidDid:
        return None
    subject = did_of_auto_id(auto_id)
    record = get_auto_id(store, auto_id)
    if record is None:
        return DidDocument(subject, None, (), True, STATUS_UNKNOWN_AUTO_ID)
    status = identity_status(store, auto_id, now_ms)
    controller = None if record.issuer_id is None else did_of_auto_id(record.issuer_id)
    jwk = jwk_of_public_key_info(record.subject_public_key_info)
    methods = () if jwk is None else (VerificationMethod(subject + KEY_FRAGMENT, subject, tuple(sorted(jwk.items()))),)
    return DidDocument(subject, controller, methods, not status.valid, status.reason)


__all__ = [
    "DID_CONTEXTS",
    "DID_PREFIX",
    "KEY_FRAGMENT",
    "VERIFICATION_METHOD_TYPE",
    "DidDocument",
    "InvalidDid",
    "InvalidEncoding",
    "VerificationMethod",
    "auto_id_of_did",
    "base64url_decode",
    "base64url_encode",
    "canonical_json",
    "did_of_auto_id",
    "jwk_of_public_key_info",
    "key_id_of_auto_id",
    "parse_json",
    "resolve_did",
]
