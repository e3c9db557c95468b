"""PROJECT-DEFINED: W3C VC 2.0 credentials issued by Auto IDs, as compact JWS, with on-chain anchors and revocation.

Upstream Auto ID has no credentials on chain; everything here is this project's design, kept out of the pallet core.

- A credential is a VC 2.0 JSON payload (`@context` [credentials/v2], `type` [VerifiableCredential, ...], `issuer`
  and `credentialSubject.id` as did:auto DIDs, `validFrom`/`validUntil` as `YYYY-MM-DDTHH:MM:SS[.mmm]Z`,
  `credentialStatus` {type AutoIdCredentialStatus, id}) secured as a compact JWS (VC-JOSE-COSE `vc+jwt` style):
  header {alg, kid = issuer DID#key-1, typ}, both as canonical JSON (did.canonical_json), signed over
  `ascii(b64url(header) "." b64url(payload))`. Algorithms: EdDSA (Ed25519), ES256 (P-256, JOSE raw r‖s) and RS256
  (PKCS#1 v1.5, SHA-256); the signature is checked with the pallet's verifier (signatures.verify_signature) on the
  issuer's SPKI, whose key kind must match the alg.
- Selective disclosure (SD-JWT style, typ `vc+sd-jwt`): each disclosable claim becomes a disclosure
  `b64url(JSON [b64url(salt), name, value])`; the base64url SHA-256 digests of the disclosures sit sorted in
  `credentialSubject._sd`, and the payload carries `_sd_alg: "sha-256"`. The compact form is `<jws>~<d>~...~<d>~`
  (no key-binding JWT). Salts are arguments (protocol draws no randomness) of at least 16 bytes.
- On chain (under `credentials/`): an issuer anchors the credential hash, blake2_256 of the issuer-signed JWS text
  only (disclosures excluded, so every presentation of one credential maps to one anchor), by signing
  `"autonomys-vc-anchor" ‖ hash ‖ issuer_id`; `credentials/anchor/<hash><issuer_id>` holds the anchoring time
  (u64 LE ms). The key includes the issuer so that nobody can block an issuer by anchoring its hash first.
  The same issuer revokes by signing `"autonomys-vc-revoke" ‖ hash`; `credentials/revoked/<hash><issuer_id>`
  holds the revocation time. Anchoring needs the issuer valid now (identity_status); revoking only needs its
  record (an expired issuer can still revoke, as the pallet lets it revoke certificates).
- Verification (`verify_credential`) raises CredentialError only for text it cannot read (Malformed) or an
  algorithm it does not support (UnsupportedAlgorithm); every other outcome is a CredentialCheck. Its order:
  kid names the issuer, issuer record exists, signature, disclosures, issuer valid now, anchored, not revoked,
  validity window (inclusive at both ends).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from autonomys.protocol.codec import Reader, decode_exactly, encode_u64, validate_bytes, validate_uint
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import ReasonedError
from autonomys.protocol.identity.auto_id import AutoIdStore, blake2_256, get_auto_id, identity_status
from autonomys.protocol.identity.auto_id_types import IDENTIFIER_SIZE, Signature
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
    key_id_of_auto_id,
    parse_json,
)
from autonomys.protocol.identity.signatures import verify_signature

CREDENTIALS_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
CREDENTIAL_TYPE: Final = "VerifiableCredential"
STATUS_TYPE: Final = "AutoIdCredentialStatus"
JWT_TYPE: Final = "vc+jwt"
SD_JWT_TYPE: Final = "vc+sd-jwt"
SD_ALGORITHM: Final = "sha-256"
MIN_SALT_SIZE: Final = 16
MAX_TIMESTAMP_MS: Final = 253402300799999  # 9999-12-31T23:59:59.999Z: four-digit years only
ANCHOR_CONTEXT: Final = b"autonomys-vc-anchor"
REVOKE_CONTEXT: Final = b"autonomys-vc-revoke"
ANCHOR_PREFIX: Final = b"credentials/anchor/"
REVOKED_PREFIX: Final = b"credentials/revoked/"
CREDENTIAL_HASH_SIZE: Final = 32
VALID: Final = "Valid"

# JOSE alg -> the DER AlgorithmIdentifier the pallet's verifier takes, and the JWK (kty, crv) the key must have.
ALGORITHMS: Final[dict[str, bytes]] = {
    "EdDSA": bytes.fromhex("300506032b6570"),
    "ES256": bytes.fromhex("300a06082a8648ce3d040302"),
    "RS256": bytes.fromhex("300d06092a864886f70d01010b0500"),
}
_KEY_KINDS: Final = {"EdDSA": ("OKP", "Ed25519"), "ES256": ("EC", "P-256"), "RS256": ("RSA", None)}
_ES256_COMPONENT_SIZE: Final = 32
_HEADER_NAMES: Final = frozenset({"alg", "kid", "typ"})
_RESERVED_CLAIMS: Final = frozenset({"id", "_sd", "..."})
_TIMESTAMP: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{3}))?Z")

CREDENTIAL_ERRORS: Final = (
    "Malformed",
    "UnsupportedAlgorithm",
    "InvalidSignature",
    "IssuerMismatch",
    "UnknownIssuer",
    "IssuerInvalid",
    "NotYetValid",
    "Expired",
    "NotAnchored",
    "Revoked",
    "DisclosureMismatch",
    "UnknownClaim",
    "AlreadyAnchored",
    "AlreadyRevoked",
)

# ---- errors (to move to protocol/errors.py) ----


class CredentialError(ReasonedError):
    """A credential, presentation, anchor or revocation refused; `reason` is one of CREDENTIAL_ERRORS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in CREDENTIAL_ERRORS:
            raise ValueError(f"not a credential error: {reason}")
        super().__init__(reason, detail)


def _malformed(detail: str) -> CredentialError:
    return CredentialError("Malformed", detail)


# ---- timestamps (civil dates by hand: protocol imports no datetime) ----


def civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day count from 1970-01-01 (H. Hinnant's `civil_from_days`, the inverse of
    der.days_from_civil)."""
    shifted = days + 719468
    era = shifted // 146097
    day_of_era = shifted - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    return year_of_era + era * 400 + (month <= 2), month, day


def format_timestamp(ms: int) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` (with `.mmm` when the milliseconds are not zero) of Unix milliseconds."""
    if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= MAX_TIMESTAMP_MS:
        raise _malformed(f"timestamp {ms!r} outside 0..{MAX_TIMESTAMP_MS}")
    days, day_ms = divmod(ms, 86_400_000)
    year, month, day = civil_from_days(days)
    seconds, millisecond = divmod(day_ms, 1000)
    text = f"{year:04d}-{month:02d}-{day:02d}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return text + (f".{millisecond:03d}Z" if millisecond != 0 else "Z")


def parse_timestamp(text: object) -> int:
    """Unix milliseconds of `YYYY-MM-DDTHH:MM:SS[.mmm]Z` (UTC, from 1970); Malformed for anything else."""
    match = _TIMESTAMP.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise _malformed(f"not a UTC timestamp: {text!r:.60}")
    year, month, day, hour, minute, second = (int(group) for group in match.groups()[:6])
    millisecond = int(match.group(7) or "0")
    if year < 1970 or not 1 <= month <= 12 or hour > 23 or minute > 59 or second > 59:
        raise _malformed(f"timestamp out of range: {text}")
    first_of_next = days_from_civil(year + month // 12, month % 12 + 1, 1)
    if not 1 <= day <= first_of_next - days_from_civil(year, month, 1):
        raise _malformed(f"no such day: {text}")
    seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return seconds * 1000 + millisecond


# ---- JSON ----


def _decode_json_object(text: str, what: str) -> dict[str, object]:
    value = parse_json(base64url_decode(text))
    if not isinstance(value, dict):
        raise _malformed(f"{what} is not a JSON object")
    return value


def _encode_json(value: object, what: str) -> bytes:
    try:
        return canonical_json(value)
    except (ValueError, TypeError, RecursionError) as error:
        raise _malformed(f"{what} is not JSON: {error}") from error


# ---- issuance ----


def compute_disclosure(salt: bytes, name: str, value: object) -> str:
    """The disclosure of one claim: b64url(JSON [b64url(salt), name, value])."""
    if not isinstance(salt, bytes) or len(salt) < MIN_SALT_SIZE:
        raise _malformed(f"a disclosure salt needs at least {MIN_SALT_SIZE} bytes")
    if not isinstance(name, str) or name in _RESERVED_CLAIMS:
        raise _malformed(f"{name!r:.40} cannot be a disclosable claim name")
    return base64url_encode(_encode_json([base64url_encode(salt), name, value], "disclosure"))


def compute_disclosure_digest(disclosure: str) -> str:
    """b64url(SHA-256(ascii(disclosure))): the entry a disclosure has in `_sd`."""
    return base64url_encode(hashlib.sha256(disclosure.encode("ascii")).digest())


def _build_payload(
    claims: Mapping[str, object],
    issuer_id: bytes,
    subject_id: bytes,
    valid_from_ms: int,
    valid_until_ms: int | None,
    credential_id: str,
    credential_types: tuple[str, ...],
) -> dict[str, object]:
    if not isinstance(claims, Mapping) or any(not isinstance(name, str) or name in _RESERVED_CLAIMS for name in claims):
        raise _malformed("claims must be a mapping of names other than id, _sd and ...")
    if not isinstance(credential_id, str) or not all(isinstance(kind, str) for kind in credential_types):
        raise _malformed("credential_id and credential_types must be strings")
    payload: dict[str, object] = {
        "@context": [CREDENTIALS_CONTEXT],
        "type": [CREDENTIAL_TYPE, *credential_types],
        "issuer": did_of_auto_id(issuer_id),
        "validFrom": format_timestamp(valid_from_ms),
        "credentialSubject": {"id": did_of_auto_id(subject_id), **claims},
        "credentialStatus": {"type": STATUS_TYPE, "id": credential_id},
    }
    if valid_until_ms is not None:
        payload["validUntil"] = format_timestamp(valid_until_ms)
        if valid_until_ms < valid_from_ms:
            raise _malformed(f"validUntil {valid_until_ms} before validFrom {valid_from_ms}")
    return payload


def _sign_jws(payload: dict[str, object], typ: str, issuer_id: bytes, sign: Callable[[bytes], bytes], alg: str) -> str:
    if alg not in ALGORITHMS:
        raise CredentialError("UnsupportedAlgorithm", repr(alg))
    header = {"alg": alg, "typ": typ, "kid": key_id_of_auto_id(issuer_id)}
    signing_input = (
        base64url_encode(_encode_json(header, "header")) + "." + base64url_encode(_encode_json(payload, "payload"))
    )
    signature = sign(signing_input.encode("ascii"))
    if alg == "ES256":
        # JOSE carries ECDSA as fixed-size r ‖ s (RFC 7518 §3.4); the signer gives DER.
        try:
            r, s = decode_dss_signature(signature)
            signature = r.to_bytes(_ES256_COMPONENT_SIZE, "big") + s.to_bytes(_ES256_COMPONENT_SIZE, "big")
        except (ValueError, OverflowError) as error:
            raise CredentialError("InvalidSignature", "the ES256 signer did not give a P-256 DER signature") from error
    return signing_input + "." + base64url_encode(signature)


def issue_credential(
    claims: Mapping[str, object],
    issuer_id: bytes,
    subject_id: bytes,
    valid_from_ms: int,
    valid_until_ms: int | None,
    credential_id: str,
    sign: Callable[[bytes], bytes],
    alg: str,
    *,
    credential_types: tuple[str, ...] = (),
) -> str:
    """A `vc+jwt` compact JWS of a VC 2.0 credential about `subject_id` signed by `sign` (the issuer's key)."""
    payload = _build_payload(
        claims, issuer_id, subject_id, valid_from_ms, valid_until_ms, credential_id, credential_types
    )
    return _sign_jws(payload, JWT_TYPE, issuer_id, sign, alg)


def issue_sd_credential(
    claims: Mapping[str, object],
    disclosable: Mapping[str, object],
    salts: Mapping[str, bytes],
    issuer_id: bytes,
    subject_id: bytes,
    valid_from_ms: int,
    valid_until_ms: int | None,
    credential_id: str,
    sign: Callable[[bytes], bytes],
    alg: str,
    *,
    credential_types: tuple[str, ...] = (),
) -> str:
    """A `vc+sd-jwt` credential, `<jws>~<disclosure>~...~`: `claims` in clear, each `disclosable` claim (with
    `salts[name]`) as a disclosure whose digest is in `credentialSubject._sd`; disclosures in name order."""
    if set(disclosable) != set(salts) or any(name in claims for name in disclosable):
        raise _malformed("salts must name exactly the disclosable claims, none of them also in clear")
    disclosures = [compute_disclosure(salts[name], name, disclosable[name]) for name in sorted(disclosable)]
    payload = _build_payload(
        claims, issuer_id, subject_id, valid_from_ms, valid_until_ms, credential_id, credential_types
    )
    digests = sorted(compute_disclosure_digest(disclosure) for disclosure in disclosures)
    payload["credentialSubject"] = {**_subject_of(payload), "_sd": digests}
    payload["_sd_alg"] = SD_ALGORITHM
    jws = _sign_jws(payload, SD_JWT_TYPE, issuer_id, sign, alg)
    return "~".join([jws, *disclosures, ""])


# ---- parsing ----


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One decoded disclosure."""

    text: str
    name: str
    value: object


@dataclass(frozen=True, slots=True)
class ParsedCredential:
    """A credential or presentation read (not yet verified)."""

    jws: str
    """The issuer-signed compact JWS, disclosures excluded (what the credential hash covers)."""
    alg: str
    kid: str
    payload: dict[str, object]
    signature: bytes
    issuer_id: bytes
    valid_from_ms: int
    valid_until_ms: int | None
    disclosures: tuple[Disclosure, ...]
    selective: bool
    """True for the `vc+sd-jwt` form (`<jws>~...~`)."""

    @property
    def signing_input(self) -> bytes:
        return self.jws.rsplit(".", 1)[0].encode("ascii")


def _read_disclosure(text: str) -> Disclosure:
    value = parse_json(base64url_decode(text))
    if not isinstance(value, list) or len(value) != 3 or not all(isinstance(item, str) for item in value[:2]):
        raise _malformed("a disclosure is a JSON array [salt, name, value]")
    salt, name = base64url_decode(value[0]), value[1]
    if len(salt) < MIN_SALT_SIZE or name in _RESERVED_CLAIMS:
        raise _malformed(f"disclosure {name!r:.40}: short salt or reserved name")
    return Disclosure(text, name, value[2])


def _read_header(text: str, selective: bool) -> tuple[str, str]:
    header = _decode_json_object(text, "JWS header")
    if set(header) != _HEADER_NAMES or not all(isinstance(value, str) for value in header.values()):
        raise _malformed("the JWS header has exactly alg, kid and typ, all strings")
    if header["typ"] != (SD_JWT_TYPE if selective else JWT_TYPE):
        raise _malformed(f"typ {header['typ']!r:.40} does not match the credential form")
    alg, kid = str(header["alg"]), str(header["kid"])
    if alg not in ALGORITHMS:
        raise CredentialError("UnsupportedAlgorithm", repr(alg[:40]))
    return alg, kid


def _require(condition: bool, detail: str) -> None:
    if not condition:
        raise _malformed(detail)


def _subject_of(payload: Mapping[str, object]) -> dict[str, object]:
    """The payload's credentialSubject object (Malformed when it is not one)."""
    subject = payload.get("credentialSubject")
    if not isinstance(subject, dict):
        raise _malformed("credentialSubject must be an object")
    return subject


def _read_payload(payload: dict[str, object], selective: bool) -> tuple[bytes, int, int | None]:
    """Checks the VC 2.0 shape this project issues; returns (issuer id, validFrom ms, validUntil ms)."""
    context, kinds = payload.get("@context"), payload.get("type")
    _require(isinstance(context, list) and context[:1] == [CREDENTIALS_CONTEXT], "@context must start with v2")
    _require(isinstance(kinds, list) and CREDENTIAL_TYPE in kinds, "type must list VerifiableCredential")
    subject, status = _subject_of(payload), payload.get("credentialStatus")
    if not isinstance(status, dict) or status.get("type") != STATUS_TYPE or not isinstance(status.get("id"), str):
        raise _malformed("credentialStatus must be {type: AutoIdCredentialStatus, id: string}")
    issuer_id = auto_id_of_did(payload.get("issuer"))
    auto_id_of_did(subject.get("id"))
    sd = subject.get("_sd")
    if selective:
        _require(payload.get("_sd_alg") == SD_ALGORITHM, "_sd_alg must be sha-256")
        _require(isinstance(sd, list) and all(isinstance(digest, str) for digest in sd), "_sd must list strings")
    else:
        _require("_sd" not in subject and "_sd_alg" not in payload, "a vc+jwt has no _sd")
    valid_until = payload.get("validUntil")
    return (
        issuer_id,
        parse_timestamp(payload.get("validFrom")),
        None if valid_until is None else parse_timestamp(valid_until),
    )


def parse_credential(credential: object) -> ParsedCredential:
    """A `vc+jwt` JWS or a `vc+sd-jwt` presentation, read; CredentialError Malformed (or UnsupportedAlgorithm)."""
    try:
        return _parse_credential(credential)
    except (InvalidEncoding, InvalidDid) as error:
        raise _malformed(str(error)) from error


def _parse_credential(credential: object) -> ParsedCredential:
    if not isinstance(credential, str) or not credential.isascii():
        raise _malformed("a credential is ASCII text")
    selective = "~" in credential
    parts = credential.split("~")
    if selective and parts[-1] != "":
        raise _malformed("a vc+sd-jwt ends with '~' (key binding is not supported)")
    jws, disclosure_texts = parts[0], parts[1:-1]
    segments = jws.split(".")
    if len(segments) != 3:
        raise _malformed("a compact JWS has three segments")
    alg, kid = _read_header(segments[0], selective)
    payload = _decode_json_object(segments[1], "JWS payload")
    issuer_id, valid_from, valid_until = _read_payload(payload, selective)
    signature = base64url_decode(segments[2])
    disclosures = tuple(_read_disclosure(text) for text in disclosure_texts)
    return ParsedCredential(
        jws, alg, kid, payload, signature, issuer_id, valid_from, valid_until, disclosures, selective
    )


def present(credential: str, reveal: set[str] | frozenset[str]) -> str:
    """The presentation of a `vc+sd-jwt` credential keeping only the disclosures named in `reveal`
    (UnknownClaim when one is not among them; Malformed for a credential that is not `vc+sd-jwt`)."""
    parsed = parse_credential(credential)
    if not parsed.selective:
        raise _malformed("only a vc+sd-jwt credential has disclosures to choose from")
    missing = set(reveal) - {disclosure.name for disclosure in parsed.disclosures}
    if len(missing) > 0:
        raise CredentialError("UnknownClaim", ", ".join(sorted(missing)))
    kept = [disclosure.text for disclosure in parsed.disclosures if disclosure.name in reveal]
    return "~".join([parsed.jws, *kept, ""])


# ---- anchoring and revocation on chain ----


def compute_credential_hash(credential: str) -> bytes:
    """blake2_256 of the issuer-signed JWS text (disclosures excluded): the id a credential is anchored under."""
    if not isinstance(credential, str) or not credential.isascii():
        raise _malformed("a credential is ASCII text")
    return blake2_256(credential.split("~", 1)[0].encode("ascii"))


def encode_anchor_message(credential_hash: bytes, issuer_id: bytes) -> bytes:
    """The bytes an issuer signs to anchor: "autonomys-vc-anchor" ‖ hash ‖ issuer_id."""
    validate_bytes("credential_hash", credential_hash, CREDENTIAL_HASH_SIZE)
    validate_bytes("issuer_id", issuer_id, IDENTIFIER_SIZE)
    return ANCHOR_CONTEXT + credential_hash + issuer_id


def encode_revoke_message(credential_hash: bytes) -> bytes:
    """The bytes an issuer signs to revoke: "autonomys-vc-revoke" ‖ hash."""
    validate_bytes("credential_hash", credential_hash, CREDENTIAL_HASH_SIZE)
    return REVOKE_CONTEXT + credential_hash


def _read_time(value: bytes | None, what: str) -> int | None:
    return None if value is None else decode_exactly(value, what, Reader.read_u64)


def get_credential_anchor(store: AutoIdStore, credential_hash: bytes, issuer_id: bytes) -> int | None:
    """When `issuer_id` anchored `credential_hash` (ms), None when it did not."""
    return _read_time(store.get(ANCHOR_PREFIX + credential_hash + issuer_id), "credential anchor")


def get_credential_revocation(store: AutoIdStore, credential_hash: bytes, issuer_id: bytes) -> int | None:
    """When `issuer_id` revoked `credential_hash` (ms), None when it did not."""
    return _read_time(store.get(REVOKED_PREFIX + credential_hash + issuer_id), "credential revocation")


def _require_signature(store: AutoIdStore, issuer_id: bytes, message: bytes, signature: Signature) -> None:
    issuer = get_auto_id(store, issuer_id)
    if issuer is None:
        raise CredentialError("UnknownIssuer", issuer_id.hex())
    if not verify_signature(issuer.subject_public_key_info, signature.signature_algorithm, message, signature.value):
        raise CredentialError("InvalidSignature")


def anchor_credential(
    store: AutoIdStore, credential_hash: bytes, issuer_id: bytes, signature: Signature, now_ms: int
) -> None:
    """Record that `issuer_id` (valid now) vouches for `credential_hash`; nothing is written on CredentialError."""
    message = encode_anchor_message(credential_hash, issuer_id)
    validate_uint("now_ms", now_ms, U64_MAX)
    _require_signature(store, issuer_id, message, signature)
    status = identity_status(store, issuer_id, now_ms)
    if not status.valid:
        raise CredentialError("IssuerInvalid", status.reason)
    if get_credential_anchor(store, credential_hash, issuer_id) is not None:
        raise CredentialError("AlreadyAnchored", credential_hash.hex())
    store.set(ANCHOR_PREFIX + credential_hash + issuer_id, encode_u64(now_ms))


def revoke_credential(
    store: AutoIdStore, credential_hash: bytes, issuer_id: bytes, signature: Signature, now_ms: int
) -> None:
    """Revoke a credential `issuer_id` anchored, with its signature; nothing is written on CredentialError."""
    message = encode_revoke_message(credential_hash)
    validate_bytes("issuer_id", issuer_id, IDENTIFIER_SIZE)
    validate_uint("now_ms", now_ms, U64_MAX)
    if get_credential_anchor(store, credential_hash, issuer_id) is None:
        raise CredentialError("NotAnchored", credential_hash.hex())
    _require_signature(store, issuer_id, message, signature)
    if get_credential_revocation(store, credential_hash, issuer_id) is not None:
        raise CredentialError("AlreadyRevoked", credential_hash.hex())
    store.set(REVOKED_PREFIX + credential_hash + issuer_id, encode_u64(now_ms))


# ---- verification ----


@dataclass(frozen=True, slots=True)
class CredentialCheck:
    """The outcome of verifying a well-formed credential or presentation."""

    valid: bool
    reason: str
    """VALID, or the CREDENTIAL_ERRORS name of the first check that failed."""
    payload: dict[str, object]
    """The payload; once the disclosures check, with the revealed claims in credentialSubject and no _sd/_sd_alg."""
    disclosed: dict[str, object] = field(default_factory=dict)
    """The claims revealed by the presentation's disclosures."""
    detail: str = ""


def is_jws_signature_valid(alg: str, public_key_info: bytes, signing_input: bytes, signature: bytes) -> bool:
    """Whether a JWS signature verifies under an SPKI whose key kind matches `alg` (pallet verifier rules)."""
    jwk = jwk_of_public_key_info(public_key_info)
    if alg not in _KEY_KINDS:
        return False
    kty, crv = _KEY_KINDS[alg]
    if jwk is None or jwk["kty"] != kty or (crv is not None and jwk.get("crv") != crv):
        return False
    if alg == "ES256":
        if len(signature) != 2 * _ES256_COMPONENT_SIZE:
            return False
        r, s = signature[:_ES256_COMPONENT_SIZE], signature[_ES256_COMPONENT_SIZE:]
        signature = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
    return verify_signature(public_key_info, ALGORITHMS[alg], signing_input, signature)


def _disclose(parsed: ParsedCredential) -> tuple[dict[str, object], dict[str, object]] | None:
    """(processed payload, disclosed claims), or None when a disclosure's digest is not in `_sd`, repeats, or
    names a claim already present."""
    payload = dict(parsed.payload)
    subject = dict(_subject_of(payload))
    listed = subject.pop("_sd", [])
    digests = {digest for digest in listed if isinstance(digest, str)} if isinstance(listed, list) else set()
    payload.pop("_sd_alg", None)
    disclosed: dict[str, object] = {}
    for disclosure in parsed.disclosures:
        digest = compute_disclosure_digest(disclosure.text)
        if digest not in digests or disclosure.name in subject or disclosure.name in disclosed:
            return None
        digests.remove(digest)
        disclosed[disclosure.name] = disclosure.value
    payload["credentialSubject"] = {**subject, **disclosed}
    return payload, disclosed


def _refused(reason: str, payload: dict[str, object], detail: str = "") -> CredentialCheck:
    return CredentialCheck(False, reason, payload, {}, detail)


def verify_credential(
    store: AutoIdStore, credential: object, now_ms: int, *, require_anchor: bool = True
) -> CredentialCheck:
    """Verify a credential or presentation at `now_ms` against the Auto ID state; CredentialError (Malformed,
    UnsupportedAlgorithm) only when it cannot be read."""
    validate_uint("now_ms", now_ms, U64_MAX)
    parsed = parse_credential(credential)
    raw = parsed.payload
    if parsed.kid != key_id_of_auto_id(parsed.issuer_id):
        return _refused("IssuerMismatch", raw, parsed.kid[:100])
    issuer = get_auto_id(store, parsed.issuer_id)
    if issuer is None:
        return _refused("UnknownIssuer", raw)
    if not is_jws_signature_valid(parsed.alg, issuer.subject_public_key_info, parsed.signing_input, parsed.signature):
        return _refused("InvalidSignature", raw)
    disclosure = _disclose(parsed)
    if disclosure is None:
        return _refused("DisclosureMismatch", raw)
    payload, disclosed = disclosure
    status = identity_status(store, parsed.issuer_id, now_ms)
    if not status.valid:
        return _refused("IssuerInvalid", payload, status.reason)
    credential_hash = compute_credential_hash(parsed.jws)
    if require_anchor and get_credential_anchor(store, credential_hash, parsed.issuer_id) is None:
        return _refused("NotAnchored", payload)
    if get_credential_revocation(store, credential_hash, parsed.issuer_id) is not None:
        return _refused("Revoked", payload)
    if now_ms < parsed.valid_from_ms:
        return _refused("NotYetValid", payload)
    if parsed.valid_until_ms is not None and now_ms > parsed.valid_until_ms:
        return _refused("Expired", payload)
    return CredentialCheck(True, VALID, payload, disclosed)
