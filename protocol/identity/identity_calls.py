"""The `identity` pallet of the Auto ID domain (PROJECT-DEFINED: the reference has no such pallet; index 41, the
one after pallet-auto-id's 40): what the seeds ask of agents beyond pallet-auto-id, as calls a relayer submits
and pays for, each authorised by the Auto ID signatures it carries.

    0 put_co_issuance(CoIssuance)                       agents.put_co_issuance
    1 put_grant(SignedGrant)                            delegation.put_grant
    2 revoke_grant(grant_hash [32], Signature)          delegation.revoke_grant
    3 fund(auto_id [32], amount u128)                   the relayer's balance into the Auto ID's account
    4 spend(grant_hash [32], to [32], amount u128, nonce u64, Signature)
                                                        the grant's delegate spends from its delegator's Auto ID
                                                        account within the grant (action "transfer")
    5 put_provenance(ProvenanceRecord)                  provenance.put_provenance
    6 anchor_credential(hash [32], issuer [32], Signature)   credentials.anchor_credential
    7 revoke_credential(hash [32], issuer [32], Signature)   credentials.revoke_credential

An Auto ID's account is a balance the domain keeps for the identity (`identity/balance/<id>`, u128): agents
spend their creators' funds only through grants, so an agent that exceeds its grant gets `PermissionDenied` or
`SpendCapExceeded` and nothing moves. A spend is signed by the delegate's Auto ID key over
`b"autonomys-spend" ‖ grant hash ‖ to ‖ amount u128 ‖ nonce u64`, the nonce being the grant's spend count
(`identity/spend_nonce/<grant hash>`), so a spend does not replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from autonomys.protocol.codec import Reader, decode_exactly, encode_u8, encode_u64, encode_u128, read_u128
from autonomys.protocol.domains.runtime import DomainState
from autonomys.protocol.domains.runtime_balances import DomainAccount, get_account, put_account
from autonomys.protocol.errors import DecodeError, ReasonedError
from autonomys.protocol.identity.agents import CoIssuance, put_co_issuance
from autonomys.protocol.identity.auto_id import AutoIdStore, get_auto_id
from autonomys.protocol.identity.auto_id_types import Signature, read_identifier
from autonomys.protocol.identity.credentials import anchor_credential, revoke_credential
from autonomys.protocol.identity.delegation import SignedGrant, authorize, get_grant, put_grant, revoke_grant
from autonomys.protocol.identity.provenance import ProvenanceRecord, put_provenance
from autonomys.protocol.identity.signatures import verify_signature

IDENTITY_PALLET_INDEX: Final = 41
SPEND_TAG: Final = b"autonomys-spend"
BALANCE_PREFIX: Final = b"identity/balance/"
SPEND_NONCE_PREFIX: Final = b"identity/spend_nonce/"
ACCOUNT_SIZE: Final = 32


class IdentityCallIndex(IntEnum):
    PUT_CO_ISSUANCE = 0
    PUT_GRANT = 1
    REVOKE_GRANT = 2
    FUND = 3
    SPEND = 4
    PUT_PROVENANCE = 5
    ANCHOR_CREDENTIAL = 6
    REVOKE_CREDENTIAL = 7


class IdentityError(ReasonedError):
    """A refused identity-pallet call; `reason` names the rule (`InsufficientFunds`, `BadSpendNonce`, ...)."""


@dataclass(frozen=True, slots=True)
class PutCoIssuance:
    record: CoIssuance


@dataclass(frozen=True, slots=True)
class PutGrant:
    grant: SignedGrant


@dataclass(frozen=True, slots=True)
class RevokeGrant:
    grant_hash: bytes
    signature: Signature


@dataclass(frozen=True, slots=True)
class Fund:
    auto_id: bytes
    amount: int


@dataclass(frozen=True, slots=True)
class Spend:
    grant_hash: bytes
    to: bytes
    amount: int
    nonce: int
    signature: Signature


@dataclass(frozen=True, slots=True)
class PutProvenance:
    record: ProvenanceRecord


@dataclass(frozen=True, slots=True)
class CredentialAction:
    """anchor_credential (revoke False) or revoke_credential (revoke True)."""

    credential_hash: bytes
    issuer_id: bytes
    signature: Signature
    revoke: bool = False


IdentityCall = PutCoIssuance | PutGrant | RevokeGrant | Fund | Spend | PutProvenance | CredentialAction


def spend_message(grant_hash: bytes, to: bytes, amount: int, nonce: int) -> bytes:
    return SPEND_TAG + grant_hash + to + encode_u128(amount) + encode_u64(nonce)


def encode_identity_call(call: IdentityCall) -> bytes:
    """call index ‖ args (the runtime prefixes the pallet index)."""
    if isinstance(call, PutCoIssuance):
        return encode_u8(IdentityCallIndex.PUT_CO_ISSUANCE) + call.record.to_bytes()
    if isinstance(call, PutGrant):
        return encode_u8(IdentityCallIndex.PUT_GRANT) + call.grant.to_bytes()
    if isinstance(call, RevokeGrant):
        return encode_u8(IdentityCallIndex.REVOKE_GRANT) + call.grant_hash + call.signature.to_bytes()
    if isinstance(call, Fund):
        return encode_u8(IdentityCallIndex.FUND) + call.auto_id + encode_u128(call.amount)
    if isinstance(call, PutProvenance):
        return encode_u8(IdentityCallIndex.PUT_PROVENANCE) + call.record.to_bytes()
    if isinstance(call, CredentialAction):
        index = IdentityCallIndex.REVOKE_CREDENTIAL if call.revoke else IdentityCallIndex.ANCHOR_CREDENTIAL
        return encode_u8(index) + call.credential_hash + call.issuer_id + call.signature.to_bytes()
    return (
        encode_u8(IdentityCallIndex.SPEND) + call.grant_hash + call.to + encode_u128(call.amount)
        + encode_u64(call.nonce) + call.signature.to_bytes()
    )  # fmt: skip


def read_identity_call(reader: Reader) -> IdentityCall:
    index = reader.read_u8()
    if index == IdentityCallIndex.PUT_CO_ISSUANCE:
        return PutCoIssuance(CoIssuance.read(reader))
    if index == IdentityCallIndex.PUT_GRANT:
        return PutGrant(SignedGrant.read(reader))
    if index == IdentityCallIndex.REVOKE_GRANT:
        return RevokeGrant(read_identifier(reader), Signature.read(reader))
    if index == IdentityCallIndex.FUND:
        return Fund(read_identifier(reader), read_u128(reader))
    if index == IdentityCallIndex.PUT_PROVENANCE:
        return PutProvenance(ProvenanceRecord.read(reader))
    if index in (IdentityCallIndex.ANCHOR_CREDENTIAL, IdentityCallIndex.REVOKE_CREDENTIAL):
        credential_hash, issuer = read_identifier(reader), read_identifier(reader)
        return CredentialAction(
            credential_hash, issuer, Signature.read(reader), index == IdentityCallIndex.REVOKE_CREDENTIAL
        )
    if index == IdentityCallIndex.SPEND:
        grant, to = read_identifier(reader), reader.read_bytes(ACCOUNT_SIZE)
        amount, nonce = read_u128(reader), reader.read_u64()
        return Spend(grant, to, amount, nonce, Signature.read(reader))
    msg = f"identity call: unknown index {index}"
    raise DecodeError(msg)


def decode_identity_call(data: bytes) -> IdentityCall:
    return decode_exactly(data, "identity call", read_identity_call)


# ---- dispatch ----


def _balance_key(auto_id: bytes) -> bytes:
    return BALANCE_PREFIX + auto_id


def identity_balance(store: AutoIdStore, auto_id: bytes) -> int:
    raw = store.get(_balance_key(auto_id))
    return 0 if raw is None else int.from_bytes(raw, "little")


def spend_nonce(store: AutoIdStore, grant_hash: bytes) -> int:
    raw = store.get(SPEND_NONCE_PREFIX + grant_hash)
    return 0 if raw is None else int.from_bytes(raw, "little")


def dispatch_identity(store: DomainState, signer: bytes, call: IdentityCall, now_ms: int) -> bytes:
    """Apply one identity-pallet call relayed by `signer`; the identifier (or grant hash) it concerns. A refused
    call raises a ReasonedError (IdentityError, AgentError, DelegationError) and writes nothing."""
    if isinstance(call, PutCoIssuance):
        put_co_issuance(store, call.record, now_ms)
        return call.record.agent_id
    if isinstance(call, PutGrant):
        return put_grant(store, call.grant, now_ms)
    if isinstance(call, RevokeGrant):
        revoke_grant(store, call.grant_hash, call.signature, now_ms)
        return call.grant_hash
    if isinstance(call, Fund):
        return _fund(store, signer, call)
    if isinstance(call, PutProvenance):
        put_provenance(store, call.record, now_ms)
        return call.record.content_id
    if isinstance(call, CredentialAction):
        action = revoke_credential if call.revoke else anchor_credential
        action(store, call.credential_hash, call.issuer_id, call.signature, now_ms)
        return call.credential_hash
    return _spend(store, call, now_ms)


def _fund(store: DomainState, signer: bytes, call: Fund) -> bytes:
    if get_auto_id(store, call.auto_id) is None:
        raise IdentityError("UnknownAutoId", call.auto_id.hex())
    payer = get_account(store, signer)
    if payer.balance < call.amount:
        raise IdentityError("InsufficientFunds", f"balance {payer.balance} < {call.amount}")
    put_account(store, signer, DomainAccount(payer.balance - call.amount, payer.nonce))
    store.set(_balance_key(call.auto_id), encode_u128(identity_balance(store, call.auto_id) + call.amount))
    return call.auto_id


def _spend(store: DomainState, call: Spend, now_ms: int) -> bytes:
    signed = get_grant(store, call.grant_hash)
    if signed is None:
        raise IdentityError("UnknownGrant", call.grant_hash.hex())
    grant = signed.grant
    if call.nonce != spend_nonce(store, call.grant_hash):
        raise IdentityError("BadSpendNonce", f"nonce {call.nonce}, expected {spend_nonce(store, call.grant_hash)}")
    delegate = get_auto_id(store, grant.delegate)
    message = spend_message(call.grant_hash, call.to, call.amount, call.nonce)
    if delegate is None or not verify_signature(
        delegate.subject_public_key_info, call.signature.signature_algorithm, message, call.signature.value
    ):
        raise IdentityError("InvalidSignature", "the spend is not signed by the grant's delegate")
    funds = identity_balance(store, grant.delegator)
    if funds < call.amount:
        raise IdentityError("InsufficientFunds", f"the delegator's Auto ID holds {funds} < {call.amount}")
    authorize(store, call.grant_hash, "transfer", call.amount, now_ms)  # raises before it writes anything
    store.set(_balance_key(grant.delegator), encode_u128(funds - call.amount))
    receiver = get_account(store, call.to)
    put_account(store, call.to, DomainAccount(receiver.balance + call.amount, receiver.nonce))
    store.set(SPEND_NONCE_PREFIX + call.grant_hash, encode_u64(call.nonce + 1))
    return call.grant_hash
