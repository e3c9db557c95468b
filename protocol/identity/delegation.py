"""Delegation between Auto IDs: signed grants, narrowing sub-grants, revocation and per-period spend caps.

PROJECT-DEFINED. Upstream Auto ID (pallet-auto-id, sp-auto-id) has no permissions or delegation; the seeds ask for
"hyper-specific permissions" and a chain of responsibility back to the creator. The design, borrowed in spirit from
RFC 3820 proxy certificates (a delegate acts for its delegator, within a narrower policy), is this project's own:

- A Grant lets `delegate` act for `delegator` (both Auto IDs) with a set of actions ("transfer", "sign",
  "invoke:<capability>", ...), a spend cap per period, an expiry and a redelegation flag. It is signed by the
  delegator's Auto ID key over `b"autonomys-grant" ‖ SCALE(grant)`; `grant_hash = blake2_256(SCALE(grant))`.
- A sub-grant names its parent's hash; its delegator must be the parent's delegate, the parent must allow
  redelegation, and it may only narrow the parent: actions ⊆ parent's, spend_cap <= parent's, the cap per
  millisecond not larger (spend_cap * parent.period_ms <= parent.spend_cap * period_ms; with equal periods this is
  the first rule), expires_ms <= parent's. Chains are at most MAX_DELEGATION_DEPTH grants long.
- A grant is usable at t while t <= expires_ms (inclusive, as sp-auto-id `Validity::is_valid_at`), it and every
  ancestor are unrevoked and unexpired, every delegator along the chain and the final delegate are valid Auto IDs
  at t (`identity_status`, the whole issuer chain). Revocation marks one grant; its sub-grants fall with it because
  every check walks the parents.
- Spend periods are fixed windows aligned to multiples of period_ms since the Unix epoch: period index
  `t // period_ms` (each grant with its own period_ms). A spend of `amount` through a grant is allowed when, for the
  grant and EVERY ancestor, spent-in-its-current-period + amount <= its cap; the spend is then added to every one
  of them (an ancestor's counter covers its whole subtree). A cap of 0 allows no spending (period_ms must then be 0).
  Like any fixed window, up to twice the cap can pass across a period boundary.
- Storage (keys under `delegation/`): `delegation/grants/<hash>` = SCALE(SignedGrant), `delegation/revoked/<hash>`
  = u64 LE revocation time, `delegation/spent/<hash>` = u64 LE period index ‖ u128 LE spent in that period (one
  counter per grant; a new period overwrites the old). The transitions verify first and write only on success.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_compact,
    encode_u8,
    encode_u64,
    encode_u128,
    encode_vec_u8,
    read_u128,
    read_vector,
    validate_bytes,
    validate_uint,
)
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import DecodeError, ReasonedError
from autonomys.protocol.identity.auto_id import AutoIdStore, blake2_256, get_auto_id, identity_status
from autonomys.protocol.identity.auto_id_types import (
    IDENTIFIER_SIZE,
    Signature,
    encode_optional_identifier,
    read_identifier,
    read_optional_identifier,
)
from autonomys.protocol.identity.signatures import verify_signature

U128_MAX: Final = (1 << 128) - 1
GRANT_TAG: Final = b"autonomys-grant"
REVOKE_TAG: Final = b"autonomys-grant-revoke"
GRANTS_PREFIX: Final = b"delegation/grants/"
REVOKED_PREFIX: Final = b"delegation/revoked/"
SPENT_PREFIX: Final = b"delegation/spent/"
MAX_ACTIONS: Final = 32
MAX_ACTION_BYTES: Final = 72  # "invoke:" + a 64-byte capability name, with room to spare
MAX_DELEGATION_DEPTH: Final = 8  # grants in one chain, the root grant included
ACTION_PATTERN: Final = re.compile(r"[a-z0-9._:-]+")

# ---- errors (to move to protocol/errors.py) ----

DELEGATION_ERRORS: Final = (
    "UnknownDelegator",
    "InvalidDelegator",
    "UnknownDelegate",
    "InvalidDelegate",
    "InvalidSignature",
    "Expired",
    "Revoked",
    "GrantExists",
    "UnknownGrant",
    "UnknownParent",
    "NotParentDelegate",
    "RedelegationNotAllowed",
    "NotNarrower",
    "DelegationTooDeep",
    "PermissionDenied",
    "SpendCapExceeded",
)


class DelegationError(ReasonedError):
    """A grant, revocation or use of a grant that the rules refuse; `reason` is one of DELEGATION_ERRORS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in DELEGATION_ERRORS:
            raise ValueError(f"not a delegation error: {reason}")
        super().__init__(reason, detail)


class InvalidGrant(DecodeError):
    """A Grant whose fields break the encoding's invariants (actions, cap and period, sizes)."""


# ---- the grant ----


def _validate_actions(actions: object) -> None:
    if not isinstance(actions, tuple) or not 1 <= len(actions) <= MAX_ACTIONS:
        raise InvalidGrant(f"actions must be a tuple of 1..{MAX_ACTIONS} names")
    for action in actions:
        if not isinstance(action, str) or ACTION_PATTERN.fullmatch(action) is None or len(action) > MAX_ACTION_BYTES:
            raise InvalidGrant(f"action {action!r:.80} must match [a-z0-9._:-]+ within {MAX_ACTION_BYTES} bytes")
    if any(earlier >= later for earlier, later in zip(actions, actions[1:], strict=False)):
        raise InvalidGrant("actions must be strictly ascending")


def _read_action(reader: Reader) -> str:
    try:
        return reader.read_vec_u8().decode("ascii")
    except UnicodeDecodeError as error:
        raise InvalidGrant("action is not ASCII") from error


def _read_bool(reader: Reader) -> bool:
    value = reader.read_u8()
    if value > 1:
        raise DecodeError(f"bool must be 0 or 1, got {value}")
    return value == 1


@dataclass(frozen=True, slots=True)
class Grant:
    """Permission for `delegate` to act for `delegator` (project-defined). SCALE, in field order: delegator (32) ‖
    delegate (32) ‖ Vec<Vec<u8>> actions ‖ u128 spend_cap ‖ u64 period_ms ‖ u64 expires_ms ‖ bool ‖ Option<H256>
    parent ‖ u64 nonce."""

    delegator: bytes
    delegate: bytes
    actions: tuple[str, ...]
    """Action names `[a-z0-9._:-]+`, strictly ascending, 1..32 of at most 72 bytes."""
    spend_cap: int
    """Shannon spendable per period (u128); 0 = no spending."""
    period_ms: int
    """The spend period (u64): > 0 when spend_cap > 0, and 0 when spend_cap is 0."""
    expires_ms: int
    """The last millisecond at which the grant is usable (inclusive)."""
    may_redelegate: bool
    parent: bytes | None
    """The parent grant's hash for a sub-grant; None for a grant out of the delegator's own authority."""
    nonce: int
    """Distinguishes otherwise equal grants (u64)."""

    def __post_init__(self) -> None:
        validate_bytes("delegator", self.delegator, IDENTIFIER_SIZE)
        validate_bytes("delegate", self.delegate, IDENTIFIER_SIZE)
        _validate_actions(self.actions)
        validate_uint("spend_cap", self.spend_cap, U128_MAX)
        validate_uint("period_ms", self.period_ms, U64_MAX)
        validate_uint("expires_ms", self.expires_ms, U64_MAX)
        if not isinstance(self.may_redelegate, bool):
            raise InvalidGrant("may_redelegate must be a bool")
        if self.parent is not None:
            validate_bytes("parent", self.parent, IDENTIFIER_SIZE)
        validate_uint("nonce", self.nonce, U64_MAX)
        # One encoding per meaning: a period exactly when there is a cap.
        if (self.spend_cap > 0) != (self.period_ms > 0):
            raise InvalidGrant("period_ms must be > 0 exactly when spend_cap > 0")

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                self.delegator,
                self.delegate,
                encode_compact(len(self.actions)),
                *(encode_vec_u8(action.encode("ascii")) for action in self.actions),
                encode_u128(self.spend_cap),
                encode_u64(self.period_ms),
                encode_u64(self.expires_ms),
                encode_u8(int(self.may_redelegate)),
                encode_optional_identifier(self.parent),
                encode_u64(self.nonce),
            )
        )

    @classmethod
    def read(cls, reader: Reader) -> Grant:
        delegator, delegate = read_identifier(reader), read_identifier(reader)
        actions = read_vector(reader, _read_action)
        spend_cap, period_ms, expires_ms = read_u128(reader), reader.read_u64(), reader.read_u64()
        may_redelegate = _read_bool(reader)
        parent = read_optional_identifier(reader)
        return cls(
            delegator, delegate, actions, spend_cap, period_ms, expires_ms, may_redelegate, parent, reader.read_u64()
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Grant:
        return decode_exactly(data, "Grant", cls.read)


def grant_hash(grant: Grant) -> bytes:
    """blake2_256 of the grant's SCALE encoding: its identifier."""
    return blake2_256(grant.to_bytes())


def grant_message(grant: Grant) -> bytes:
    """The bytes the delegator signs: b"autonomys-grant" ‖ SCALE(grant)."""
    return GRANT_TAG + grant.to_bytes()


def revocation_message(hash_of_grant: bytes) -> bytes:
    """The bytes the delegator signs to revoke: b"autonomys-grant-revoke" ‖ grant hash."""
    return REVOKE_TAG + hash_of_grant


@dataclass(frozen=True, slots=True)
class SignedGrant:
    """A grant and its delegator's signature; SCALE: Grant ‖ Vec<u8> algorithm (DER) ‖ Vec<u8> signature."""

    grant: Grant
    signature_algorithm: bytes
    """A DER AlgorithmIdentifier, as the pallet's signatures carry it."""
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.grant, Grant):
            raise DecodeError("grant must be a Grant")
        for name in ("signature_algorithm", "signature"):
            if not isinstance(getattr(self, name), bytes):
                raise DecodeError(f"{name} must be bytes")

    def to_bytes(self) -> bytes:
        return self.grant.to_bytes() + encode_vec_u8(self.signature_algorithm) + encode_vec_u8(self.signature)

    @classmethod
    def read(cls, reader: Reader) -> SignedGrant:
        return cls(Grant.read(reader), reader.read_vec_u8(), reader.read_vec_u8())

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedGrant:
        return decode_exactly(data, "SignedGrant", cls.read)


# ---- storage ----


def get_grant(store: AutoIdStore, hash_of_grant: bytes) -> SignedGrant | None:
    """The stored signed grant, None when absent."""
    value = store.get(GRANTS_PREFIX + hash_of_grant)
    return None if value is None else SignedGrant.from_bytes(value)


def is_revoked(store: AutoIdStore, hash_of_grant: bytes) -> bool:
    """Whether this grant itself was revoked (its ancestors are not looked at)."""
    return store.get(REVOKED_PREFIX + hash_of_grant) is not None


def _read_spent(reader: Reader) -> tuple[int, int]:
    return reader.read_u64(), read_u128(reader)


def get_spent(store: AutoIdStore, hash_of_grant: bytes, period_index: int) -> int:
    """Shannon spent through the grant (and its sub-grants) in period `period_index`."""
    value = store.get(SPENT_PREFIX + hash_of_grant)
    if value is None:
        return 0
    stored_period, spent = decode_exactly(value, "spent", _read_spent)
    return spent if stored_period == period_index else 0


def compute_period_index(grant: Grant, now_ms: int) -> int:
    """The grant's spend period containing `now_ms`: now_ms // period_ms (0 for a grant without a cap)."""
    return 0 if grant.period_ms == 0 else now_ms // grant.period_ms


# ---- checks ----


def _validate_identity(store: AutoIdStore, auto_id: bytes, now_ms: int, role: str) -> None:
    """DelegationError Unknown<role> / Invalid<role> unless `auto_id` is a valid Auto ID at now_ms."""
    status = identity_status(store, auto_id, now_ms)
    if status.valid:
        return
    if len(status.chain) == 1 and status.reason == "UnknownAutoId":
        raise DelegationError(f"Unknown{role}", auto_id.hex())
    raise DelegationError(f"Invalid{role}", f"{status.chain[-1].hex()}: {status.reason}")


def _validate_usable(store: AutoIdStore, hash_of_grant: bytes, grant: Grant, now_ms: int) -> None:
    # A revoked or expired grant, or one whose delegator is no longer a valid identity, conveys nothing.
    if is_revoked(store, hash_of_grant):
        raise DelegationError("Revoked", hash_of_grant.hex())
    if now_ms > grant.expires_ms:
        raise DelegationError("Expired", f"{hash_of_grant.hex()} expired at {grant.expires_ms}")
    _validate_identity(store, grant.delegator, now_ms, "Delegator")


def _usable_chain(store: AutoIdStore, hash_of_grant: bytes, now_ms: int) -> list[tuple[bytes, Grant]]:
    """The grant and its ancestors (grant first), each checked usable at now_ms; DelegationError otherwise."""
    chain: list[tuple[bytes, Grant]] = []
    current: bytes | None = hash_of_grant
    while current is not None:
        signed = get_grant(store, current)
        if signed is None:
            raise DelegationError("UnknownGrant" if len(chain) == 0 else "UnknownParent", current.hex())
        _validate_usable(store, current, signed.grant, now_ms)
        chain.append((current, signed.grant))
        current = signed.grant.parent
    return chain


def _validate_narrower(child: Grant, parent: Grant) -> None:
    # A sub-grant can only take away: actions, cap, rate and lifetime.
    if not set(child.actions) <= set(parent.actions):
        raise DelegationError("NotNarrower", f"actions {sorted(set(child.actions) - set(parent.actions))}")
    if child.spend_cap > parent.spend_cap:
        raise DelegationError("NotNarrower", f"spend_cap {child.spend_cap} > {parent.spend_cap}")
    if child.spend_cap * parent.period_ms > parent.spend_cap * child.period_ms:
        raise DelegationError("NotNarrower", "spend cap per millisecond larger than the parent's")
    if child.expires_ms > parent.expires_ms:
        raise DelegationError("NotNarrower", f"expires_ms {child.expires_ms} > {parent.expires_ms}")


def _validate_parent(store: AutoIdStore, grant: Grant, parent_hash: bytes, now_ms: int) -> None:
    if get_grant(store, parent_hash) is None:
        raise DelegationError("UnknownParent", parent_hash.hex())
    chain = _usable_chain(store, parent_hash, now_ms)
    if len(chain) >= MAX_DELEGATION_DEPTH:
        raise DelegationError("DelegationTooDeep", f"{len(chain) + 1} > {MAX_DELEGATION_DEPTH}")
    parent = chain[0][1]
    # Only the parent's delegate can pass its authority on, and only when the parent says so.
    if grant.delegator != parent.delegate:
        raise DelegationError("NotParentDelegate", "the sub-grant's delegator must be the parent's delegate")
    if not parent.may_redelegate:
        raise DelegationError("RedelegationNotAllowed", parent_hash.hex())
    _validate_narrower(grant, parent)


def _delegator_key(store: AutoIdStore, delegator: bytes) -> bytes:
    record = get_auto_id(store, delegator)
    if record is None:
        raise DelegationError("UnknownDelegator", delegator.hex())
    return record.subject_public_key_info


# ---- the transitions: verify, then write ----


def put_grant(store: AutoIdStore, signed: SignedGrant, now_ms: int) -> bytes:
    """Store a verified grant; returns its hash. DelegationError, with nothing written, when any rule fails."""
    validate_uint("now_ms", now_ms, U64_MAX)
    grant = signed.grant
    hash_of_grant = grant_hash(grant)
    if get_grant(store, hash_of_grant) is not None:
        raise DelegationError("GrantExists", hash_of_grant.hex())
    _validate_identity(store, grant.delegator, now_ms, "Delegator")
    key = _delegator_key(store, grant.delegator)
    if not verify_signature(key, signed.signature_algorithm, grant_message(grant), signed.signature):
        raise DelegationError("InvalidSignature", "the delegator's signature does not verify")
    _validate_identity(store, grant.delegate, now_ms, "Delegate")
    if now_ms > grant.expires_ms:
        raise DelegationError("Expired", f"expires_ms {grant.expires_ms} < now {now_ms}")
    if grant.parent is not None:
        _validate_parent(store, grant, grant.parent, now_ms)
    store.set(GRANTS_PREFIX + hash_of_grant, signed.to_bytes())
    return hash_of_grant


def revoke_grant(store: AutoIdStore, hash_of_grant: bytes, signature: Signature, now_ms: int) -> None:
    """Revoke a grant (and so every sub-grant under it) with its delegator's signature of `revocation_message`.
    Like the pallet's revoke_certificate, the delegator's validity is not required, only its registered key."""
    validate_bytes("grant_hash", hash_of_grant, IDENTIFIER_SIZE)
    validate_uint("now_ms", now_ms, U64_MAX)
    signed = get_grant(store, hash_of_grant)
    if signed is None:
        raise DelegationError("UnknownGrant", hash_of_grant.hex())
    if is_revoked(store, hash_of_grant):
        raise DelegationError("Revoked", "already revoked")
    key = _delegator_key(store, signed.grant.delegator)
    if not verify_signature(key, signature.signature_algorithm, revocation_message(hash_of_grant), signature.value):
        raise DelegationError("InvalidSignature", "the delegator's revocation signature does not verify")
    store.set(REVOKED_PREFIX + hash_of_grant, encode_u64(now_ms))


def _validate_spend(store: AutoIdStore, chain: list[tuple[bytes, Grant]], amount: int, now_ms: int) -> None:
    for hash_of_grant, grant in chain:
        spent = get_spent(store, hash_of_grant, compute_period_index(grant, now_ms))
        if spent + amount > grant.spend_cap:
            detail = f"{hash_of_grant.hex()}: spent {spent} + {amount} > cap {grant.spend_cap}"
            raise DelegationError("SpendCapExceeded", detail)


def authorize(store: AutoIdStore, hash_of_grant: bytes, action: str, amount: int, now_ms: int) -> None:
    """Allow the grant's delegate to do `action` spending `amount` Shannon at now_ms, and record the spend on the
    grant and every ancestor; PermissionDenied or SpendCapExceeded, with nothing written, otherwise. The caller has
    already authenticated the delegate (it signed the transaction with its Auto ID key)."""
    validate_bytes("grant_hash", hash_of_grant, IDENTIFIER_SIZE)
    validate_uint("amount", amount, U128_MAX)
    validate_uint("now_ms", now_ms, U64_MAX)
    try:
        chain = _usable_chain(store, hash_of_grant, now_ms)
        _validate_identity(store, chain[0][1].delegate, now_ms, "Delegate")
    except DelegationError as error:
        raise DelegationError("PermissionDenied", str(error)) from error
    # Narrowing makes the grant's own actions a subset of every ancestor's.
    if action not in chain[0][1].actions:
        raise DelegationError("PermissionDenied", f"action {action!r:.80} not granted")
    if amount == 0:
        return
    _validate_spend(store, chain, amount, now_ms)
    for hash_in_chain, grant in chain:
        period_index = compute_period_index(grant, now_ms)
        spent = get_spent(store, hash_in_chain, period_index) + amount
        store.set(SPENT_PREFIX + hash_in_chain, encode_u64(period_index) + encode_u128(spent))


__all__ = [
    "ACTION_PATTERN",
    "DELEGATION_ERRORS",
    "GRANTS_PREFIX",
    "GRANT_TAG",
    "MAX_ACTIONS",
    "MAX_ACTION_BYTES",
    "MAX_DELEGATION_DEPTH",
    "REVOKED_PREFIX",
    "REVOKE_TAG",
    "SPENT_PREFIX",
    "U128_MAX",
    "DelegationError",
    "Grant",
    "InvalidGrant",
    "SignedGrant",
    "authorize",
    "compute_period_index",
    "get_grant",
    "get_spent",
    "grant_hash",
    "grant_message",
    "is_revoked",
    "put_grant",
    "revocation_message",
    "revoke_grant",
]
