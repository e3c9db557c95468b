"""Auto ID: X.509 identities registered on the Auto ID domain (pallet-auto-id, sp-auto-id), byte-compatible.

An identity is registered from a certificate's DER TBSCertificate and the signature over it. Its identifier is
`blake2_256(CN)` for a root (self-signed) and `blake2_256(issuer_id ‖ CN)` for a leaf, where CN is the raw content
of the subject's first commonName (pallet-auto-id `X509Certificate::derive_identifier`). The registry lives in the
caller's state under two prefixes: `auto_id/ids/<id>` holds the AutoIds value (00 ‖ X509Certificate) and
`auto_id/crl/<issuer id>` the CertificateRevocationList value (compact count ‖ U256 LE serials, ascending).

Each transition checks in the pallet's order (the order decides the error), raises AutoIdError naming the pallet's
error, and is all-or-nothing: writes are staged and committed only when the call succeeds, as FRAME dispatch
rolls back a failed call's writes (some checks come after writes in the reference order).

Reference quirks reproduced on purpose (pallet-auto-id `lib.rs`):
1. One-hop trust: a leaf is checked against its issuer's key, validity and CRL[issuer] (the issuer's serial and the
   new serial) only; revocation is not transitive, and issuer DN, CA flag, pathLen and name constraints are ignored.
2. A self-revoked root can renew (the root renew path reads no CRL), which un-revokes it.
3. A root's renewed serial is not added to its issued_serials, so a leaf can take that serial; revoking that leaf
   puts the issuer's current serial in CRL[issuer] and blocks every later leaf under it.
4. Renewal always appends the old serial to the CRL (CRL[self] for a root, CRL[issuer] for a leaf): a non-empty
   CRL[id] does not mean `id` is revoked.
5. Deactivation removes the record and leaves no tombstone: the same CN registers again with nonce 0 (an old
   nonce-0 deactivate signature replays if the key is reused); a deactivated issuer's leaves remain, and revoking
   them fails with UnknownIssuer. A missing id in deactivate_auto_id is UnknownIssuer (sic).
6. Revoke and deactivate never check validity: an expired issuer revokes, an expired subject deactivates.
7. No signature over the TBS is stored; only the submitted TBS bytes (`raw`).
8. The caller chooses the signature algorithm; the TBS's inner algorithm is never compared with it.
Validity checks are inclusive at both ends (not_before <= now <= not_after).

`identity_status` is the stricter off-chain verifier (the whole issuer chain), separate from the pallet rules.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Final, Protocol

from autonomys.protocol.codec import decode_exactly, validate_bytes, validate_uint
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import ReasonedError
from autonomys.protocol.identity.auto_id_types import (
    IDENTIFIER_SIZE,
    U256_MAX,
    AutoIdCall,
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
    encode_serial_set,
    read_serial_set,
)
from autonomys.protocol.identity.der import (
    InvalidCertificateEncoding,
    TbsCertificate,
    decode_tbs_certificate,
    tbs_of_certificate,
)
from autonomys.protocol.identity.signatures import verify_signature

PALLET_INDEX: Final = 40  # subspace-auto-id-domain runtime: AutoId: pallet_auto_id = 40 (0x28)
REVOKE_CERTIFICATE: Final = int(CertificateActionType.REVOKE_CERTIFICATE)
DEACTIVATE_AUTO_ID: Final = int(CertificateActionType.DEACTIVATE_AUTO_ID)
IDS_PREFIX: Final = b"auto_id/ids/"
CRL_PREFIX: Final = b"auto_id/crl/"
ACTION_MESSAGE_SIZE: Final = 65

# pallet-auto-id `Error`: the error index is the position.
AUTO_ID_ERRORS: Final = (
    "UnknownIssuer",
    "UnknownAutoId",
    "InvalidCertificate",
    "InvalidSignature",
    "CertificateSerialAlreadyIssued",
    "ExpiredCertificate",
    "CertificateRevoked",
    "CertificateAlreadyRevoked",
    "NonceOverflow",
    "AutoIdIdentifierAlreadyExists",
    "AutoIdIdentifierMismatch",
    "PublicKeyMismatch",
)

# ---- errors (to move to protocol/errors.py) ----


class AutoIdError(ReasonedError):
    """An Auto ID call the pallet rejects; `reason` is the pallet's error name, `index` its error index (0-11)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in AUTO_ID_ERRORS:
            raise ValueError(f"not a pallet-auto-id error: {reason}")
        super().__init__(reason, detail)

    @property
    def index(self) -> int:
        return AUTO_ID_ERRORS.index(self.reason)


class AutoIdStore(Protocol):
    """The state the registry reads and writes (the Auto ID domain's state)."""

    def get(self, key: bytes) -> bytes | None: ...
    def set(self, key: bytes, value: bytes) -> None: ...
    def delete(self, key: bytes) -> None: ...


# ---- identifiers and signed messages ----


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def compute_auto_id(subject_common_name: bytes, issuer_id: bytes | None) -> bytes:
    """blake2_256(CN) for a root, blake2_256(issuer_id ‖ CN) for a leaf (`X509Certificate::derive_identifier`)."""
    if issuer_id is None:
        return blake2_256(subject_common_name)
    validate_bytes("issuer_id", issuer_id, IDENTIFIER_SIZE)
    return blake2_256(issuer_id + subject_common_name)


def derive_auto_id_from_tbs(tbs: bytes, issuer_id: bytes | None = None) -> bytes:
    """The identifier a DER TBSCertificate registers under (InvalidCertificateEncoding if it does not decode)."""
    return compute_auto_id(decode_tbs_certificate(tbs).subject_common_name, issuer_id)


def derive_auto_id(certificate_der: bytes, issuer_id: bytes | None = None) -> bytes:
    """The identifier a whole DER Certificate registers under: as a root (issuer_id None) or a leaf of issuer_id."""
    tbs, _algorithm, _signature = tbs_of_certificate(certificate_der)
    return derive_auto_id_from_tbs(tbs, issuer_id)


def registration_of(certificate_der: bytes, issuer_id: bytes | None = None) -> RegisterAutoId:
    """The register_auto_id request of a whole certificate: its TBS, signature algorithm and signature as they are
    (InvalidCertificateEncoding when it is not a Certificate)."""
    tbs, algorithm, signature = tbs_of_certificate(certificate_der)
    return RegisterAutoId(issuer_id, tbs, algorithm, signature)


def renewal_of(certificate_der: bytes, issuer_id: bytes | None = None) -> RenewAutoId:
    """The renew_auto_id request of a whole certificate (`issuer_id` None for a self-signed one)."""
    tbs, algorithm, signature = tbs_of_certificate(certificate_der)
    return RenewAutoId(issuer_id, tbs, algorithm, signature)


def encode_action_message(auto_id: bytes, nonce: int, action: int) -> bytes:
    """The 65 signed bytes of a CertificateAction: id ‖ nonce (U256 little-endian) ‖ action type."""
    return CertificateAction(auto_id, nonce, CertificateActionType(action)).to_bytes()


# ---- storage ----


def get_auto_id(store: AutoIdStore, auto_id: bytes) -> X509Certificate | None:
    """The AutoIds record of `auto_id`, None when absent."""
    value = store.get(IDS_PREFIX + auto_id)
    return None if value is None else AutoIdRecord.from_bytes(value).certificate


def get_revocation_list(store: AutoIdStore, issuer_id: bytes) -> tuple[int, ...]:
    """CertificateRevocationList[issuer_id]: revoked (or renewed-away) serials, ascending; empty when absent."""
    value = store.get(CRL_PREFIX + issuer_id)
    return () if value is None else decode_exactly(value, "CertificateRevocationList", read_serial_set)


def _put_auto_id(store: AutoIdStore, auto_id: bytes, record: X509Certificate) -> None:
    store.set(IDS_PREFIX + auto_id, AutoIdRecord(record).to_bytes())


def _add_to_revocation_list(store: AutoIdStore, issuer_id: bytes, serial: int) -> None:
    serials = tuple(sorted(set(get_revocation_list(store, issuer_id)) | {serial}))
    store.set(CRL_PREFIX + issuer_id, encode_serial_set(serials))


class _StagedStore:
    """Writes held back until `commit`, so that a failed call leaves the store untouched (FRAME transactional)."""

    __slots__ = ("_store", "_writes")

    def __init__(self, store: AutoIdStore) -> None:
        self._store = store
        self._writes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        return self._writes[key] if key in self._writes else self._store.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self._writes[key] = bytes(value)

    def delete(self, key: bytes) -> None:
        self._writes[key] = None

    def commit(self) -> None:
        for key, value in self._writes.items():
            if value is None:
                self._store.delete(key)
            else:
                self._store.set(key, value)


# ---- checks ----


def _require_auto_id(store: AutoIdStore, auto_id: bytes, reason: str) -> X509Certificate:
    record = get_auto_id(store, auto_id)
    if record is None:
        raise AutoIdError(reason, auto_id.hex())
    return record


def _decode_certificate(certificate: bytes) -> TbsCertificate:
    try:
        return decode_tbs_certificate(certificate)
    except InvalidCertificateEncoding as error:
        raise AutoIdError("InvalidCertificate", str(error)) from error


def _validate_signature(public_key_info: bytes, signature_algorithm: bytes, data: bytes, signature: bytes) -> None:
    if not verify_signature(public_key_info, signature_algorithm, data, signature):
        raise AutoIdError("InvalidSignature")


def _validate_valid_at(not_before_ms: int, not_after_ms: int, now_ms: int) -> None:
    # sp-auto-id `Validity::is_valid_at`: inclusive at both ends.
    if not not_before_ms <= now_ms <= not_after_ms:
        raise AutoIdError("ExpiredCertificate", f"valid {not_before_ms}..={not_after_ms}, now {now_ms}")


def _new_record(tbs: TbsCertificate, issuer_id: bytes | None) -> X509Certificate:
    return X509Certificate(
        issuer_id=issuer_id,
        serial=tbs.serial,
        subject_common_name=tbs.subject_common_name,
        subject_public_key_info=tbs.subject_public_key_info,
        not_before_ms=tbs.not_before_ms,
        not_after_ms=tbs.not_after_ms,
        raw=tbs.raw,
        issued_serials=(tbs.serial,),
        nonce=0,
    )


def _with_issued_serial(issuer: X509Certificate, serial: int) -> X509Certificate:
    return replace(issuer, issued_serials=tuple(sorted((*issuer.issued_serials, serial))))


# ---- the transitions, over a staged store ----


def _register_root(request: RegisterAutoId, now_ms: int) -> X509Certificate:
    tbs = _decode_certificate(request.certificate)
    # Self-signed: the certificate's own key must verify it.
    _validate_signature(
        tbs.subject_public_key_info, request.signature_algorithm, request.certificate, request.signature
    )
    _validate_valid_at(tbs.not_before_ms, tbs.not_after_ms, now_ms)
    return _new_record(tbs, None)


def _register_leaf(store: AutoIdStore, issuer_id: bytes, request: RegisterAutoId, now_ms: int) -> X509Certificate:
    issuer = _require_auto_id(store, issuer_id, "UnknownIssuer")
    _validate_valid_at(issuer.not_before_ms, issuer.not_after_ms, now_ms)
    tbs = _decode_certificate(request.certificate)
    _validate_signature(
        issuer.subject_public_key_info, request.signature_algorithm, request.certificate, request.signature
    )
    _validate_valid_at(tbs.not_before_ms, tbs.not_after_ms, now_ms)
    # One hop only: the issuer's own serial and the new serial in CRL[issuer].
    revoked = get_revocation_list(store, issuer_id)
    if issuer.serial in revoked or tbs.serial in revoked:
        raise AutoIdError("CertificateRevoked")
    if tbs.serial in issuer.issued_serials:
        raise AutoIdError("CertificateSerialAlreadyIssued", str(tbs.serial))
    _put_auto_id(store, issuer_id, _with_issued_serial(issuer, tbs.serial))
    return _new_record(tbs, issuer_id)


def _register(store: AutoIdStore, request: RegisterAutoId, now_ms: int) -> bytes:
    if request.issuer_id is None:
        record = _register_root(request, now_ms)
    else:
        record = _register_leaf(store, request.issuer_id, request, now_ms)
    auto_id = compute_auto_id(record.subject_common_name, record.issuer_id)
    if get_auto_id(store, auto_id) is not None:
        raise AutoIdError("AutoIdIdentifierAlreadyExists", auto_id.hex())
    _put_auto_id(store, auto_id, record)
    return auto_id


def _revoke(store: AutoIdStore, auto_id: bytes, signature: Signature) -> None:
    subject = _require_auto_id(store, auto_id, "UnknownAutoId")
    # A root revokes itself; a leaf is revoked by its issuer (whose key, nonce and CRL are used).
    issuer_id = auto_id if subject.issuer_id is None else subject.issuer_id
    issuer = subject if subject.issuer_id is None else _require_auto_id(store, issuer_id, "UnknownIssuer")
    revoked = get_revocation_list(store, issuer_id)
    if subject.serial in revoked or issuer.serial in revoked:
        raise AutoIdError("CertificateAlreadyRevoked")
    message = encode_action_message(auto_id, issuer.nonce, REVOKE_CERTIFICATE)
    _validate_signature(issuer.subject_public_key_info, signature.signature_algorithm, message, signature.value)
    _add_to_revocation_list(store, issuer_id, subject.serial)
    if issuer.nonce == U256_MAX:
        raise AutoIdError("NonceOverflow")
    _put_auto_id(store, issuer_id, replace(issuer, nonce=issuer.nonce + 1))


def _deactivate(store: AutoIdStore, auto_id: bytes, signature: Signature) -> None:
    subject = _require_auto_id(store, auto_id, "UnknownIssuer")  # sic: the pallet names this UnknownIssuer
    message = encode_action_message(auto_id, subject.nonce, DEACTIVATE_AUTO_ID)
    _validate_signature(subject.subject_public_key_info, signature.signature_algorithm, message, signature.value)
    store.delete(IDS_PREFIX + auto_id)


def _renewal_key(
    store: AutoIdStore, auto_id: bytes, subject: X509Certificate, request: RenewAutoId, tbs: TbsCertificate, now_ms: int
) -> bytes:
    """The SPKI that must sign the renewal, after the CRL and issuer writes the pallet makes before verifying."""
    if request.issuer_id is None:
        _add_to_revocation_list(store, auto_id, subject.serial)
        return subject.subject_public_key_info
    issuer_id = request.issuer_id
    issuer = _require_auto_id(store, issuer_id, "UnknownIssuer")
    _validate_valid_at(issuer.not_before_ms, issuer.not_after_ms, now_ms)
    revoked = get_revocation_list(store, issuer_id)
    if issuer.serial in revoked or tbs.serial in revoked:
        raise AutoIdError("CertificateRevoked")
    if tbs.serial in issuer.issued_serials:
        raise AutoIdError("CertificateSerialAlreadyIssued", str(tbs.serial))
    _add_to_revocation_list(store, issuer_id, subject.serial)
    _put_auto_id(store, issuer_id, _with_issued_serial(issuer, tbs.serial))
    return issuer.subject_public_key_info


def _renew(store: AutoIdStore, auto_id: bytes, request: RenewAutoId, now_ms: int) -> None:
    subject = _require_auto_id(store, auto_id, "UnknownAutoId")
    tbs = _decode_certificate(request.certificate)
    key = _renewal_key(store, auto_id, subject, request, tbs, now_ms)
    _validate_signature(key, request.signature_algorithm, request.certificate, request.signature)
    _validate_valid_at(tbs.not_before_ms, tbs.not_after_ms, now_ms)
    # Renewal cannot rotate keys.
    if subject.subject_public_key_info != tbs.subject_public_key_info:
        raise AutoIdError("PublicKeyMismatch")
    renewed = replace(_new_record(tbs, request.issuer_id), issued_serials=subject.issued_serials, nonce=subject.nonce)
    # The same CN under the same issuer, so the identifier is kept.
    if compute_auto_id(renewed.subject_common_name, renewed.issuer_id) != auto_id:
        raise AutoIdError("AutoIdIdentifierMismatch")
    _put_auto_id(store, auto_id, renewed)


# ---- the public calls: all-or-nothing ----


def register_auto_id(store: AutoIdStore, request: RegisterAutoId, now_ms: int) -> bytes:
    """Register a root or leaf identity (call 0); returns its identifier. AutoIdError leaves the store untouched."""
    validate_uint("now_ms", now_ms, U64_MAX)
    staged = _StagedStore(store)
    auto_id = _register(staged, request, now_ms)
    staged.commit()
    return auto_id


def revoke_certificate(store: AutoIdStore, auto_id: bytes, signature: Signature, now_ms: int) -> None:
    """Revoke `auto_id`'s certificate with its issuer's signed action (call 1). `now_ms` is accepted for a uniform
    call shape and never read: revocation ignores validity."""
    validate_bytes("auto_id", auto_id, IDENTIFIER_SIZE)
    validate_uint("now_ms", now_ms, U64_MAX)
    staged = _StagedStore(store)
    _revoke(staged, auto_id, signature)
    staged.commit()


def deactivate_auto_id(store: AutoIdStore, auto_id: bytes, signature: Signature) -> None:
    """Remove `auto_id` with its own signed action (call 2)."""
    validate_bytes("auto_id", auto_id, IDENTIFIER_SIZE)
    staged = _StagedStore(store)
    _deactivate(staged, auto_id, signature)
    staged.commit()


def renew_auto_id(store: AutoIdStore, auto_id: bytes, request: RenewAutoId, now_ms: int) -> None:
    """Replace `auto_id`'s certificate with a new one of the same CN, issuer and key (call 3)."""
    validate_bytes("auto_id", auto_id, IDENTIFIER_SIZE)
    validate_uint("now_ms", now_ms, U64_MAX)
    staged = _StagedStore(store)
    _renew(staged, auto_id, request, now_ms)
    staged.commit()


def dispatch(store: AutoIdStore, call: AutoIdCall, now_ms: int) -> AutoIdEvent:
    """Apply one decoded call; returns the event it emits (AutoIdError, with nothing written, when rejected)."""
    if isinstance(call, RegisterAutoIdCall):
        auto_id = register_auto_id(store, call.request, now_ms)
        return AutoIdEvent(AutoIdEventKind.NEW_AUTO_ID_REGISTERED, auto_id)
    if isinstance(call, RevokeCertificateCall):
        revoke_certificate(store, call.auto_id, call.signature, now_ms)
        return AutoIdEvent(AutoIdEventKind.CERTIFICATE_REVOKED, call.auto_id)
    if isinstance(call, DeactivateAutoIdCall):
        deactivate_auto_id(store, call.auto_id, call.signature)
        return AutoIdEvent(AutoIdEventKind.AUTO_ID_DEACTIVATED, call.auto_id)
    renew_auto_id(store, call.auto_id, call.request, now_ms)
    return AutoIdEvent(AutoIdEventKind.AUTO_ID_RENEWED, call.auto_id)


# ---- the off-chain verifier (stricter than the pallet) ----

STATUS_VALID: Final = "Valid"
STATUS_UNKNOWN_AUTO_ID: Final = "UnknownAutoId"
STATUS_UNKNOWN_ISSUER: Final = "UnknownIssuer"
STATUS_NOT_YET_VALID: Final = "NotYetValid"
STATUS_EXPIRED: Final = "Expired"
STATUS_REVOKED: Final = "Revoked"
STATUS_CYCLIC_CHAIN: Final = "CyclicChain"


@dataclass(frozen=True, slots=True)
class IdentityStatus:
    """Whether an identity can be trusted at a time, walking its whole issuer chain."""

    valid: bool
    reason: str
    """STATUS_VALID, or the check the last id of `chain` failed (STATUS_UNKNOWN_*, NOT_YET_VALID, EXPIRED, REVOKED)."""
    chain: tuple[bytes, ...]
    """The ids examined, from the identity up to its root (or up to the one that failed, included)."""


def _record_status(store: AutoIdStore, auto_id: bytes, record: X509Certificate, now_ms: int) -> str:
    if now_ms < record.not_before_ms:
        return STATUS_NOT_YET_VALID
    if now_ms > record.not_after_ms:
        return STATUS_EXPIRED
    issuer_id = auto_id if record.issuer_id is None else record.issuer_id
    return STATUS_REVOKED if record.serial in get_revocation_list(store, issuer_id) else STATUS_VALID


def identity_status(store: AutoIdStore, auto_id: bytes, now_ms: int) -> IdentityStatus:
    """The identity's status at `now_ms`: it and every ancestor exist, are valid at `now_ms` and are not in their
    issuer's CRL (a root: its own). Stricter than the pallet, which looks one hop up only."""
    chain: list[bytes] = []
    current: bytes | None = auto_id
    while current is not None:
        if current in chain:
            return IdentityStatus(False, STATUS_CYCLIC_CHAIN, tuple(chain))
        chain.append(current)
        record = get_auto_id(store, current)
        if record is None:
            reason = STATUS_UNKNOWN_AUTO_ID if len(chain) == 1 else STATUS_UNKNOWN_ISSUER
            return IdentityStatus(False, reason, tuple(chain))
        status = _record_status(store, current, record, now_ms)
        if status != STATUS_VALID:
            return IdentityStatus(False, status, tuple(chain))
        current = record.issuer_id
    return IdentityStatus(True, STATUS_VALID, tuple(chain))


__all__ = [
    "ACTION_MESSAGE_SIZE",
    "AUTO_ID_ERRORS",
    "CRL_PREFIX",
    "DEACTIVATE_AUTO_ID",
    "IDS_PREFIX",
    "PALLET_INDEX",
    "REVOKE_CERTIFICATE",
    "AutoIdCall",
    "AutoIdError",
    "AutoIdEvent",
    "AutoIdEventKind",
    "AutoIdRecord",
    "AutoIdStore",
    "CertificateAction",
    "CertificateActionType",
    "DeactivateAutoIdCall",
    "IdentityStatus",
    "RegisterAutoId",
    "RegisterAutoIdCall",
    "RenewAutoId",
    "RenewAutoIdCall",
    "RevokeCertificateCall",
    "Signature",
    "X509Certificate",
    "blake2_256",
    "compute_auto_id",
    "deactivate_auto_id",
    "decode_call",
    "derive_auto_id",
    "derive_auto_id_from_tbs",
    "dispatch",
    "encode_action_message",
    "encode_call",
    "get_auto_id",
    "get_revocation_list",
    "identity_status",
    "register_auto_id",
    "renew_auto_id",
    "revoke_certificate",
]
