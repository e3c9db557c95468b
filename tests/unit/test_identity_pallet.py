"""The Auto ID domain's identity pallet (project-defined, index 41) through domain blocks: a person registers, issues
an agent with metadata, funds its Auto ID account and grants the agent `transfer` up to a cap per period; the
agent spends within the grant, and beyond it gets SpendCapExceeded, after revocation PermissionDenied, with a
replayed or forged spend refused by name — every refusal keeping the fee and changing nothing else."""

from __future__ import annotations

import datetime

import sr25519
from cryptography import x509
from test_runtime_auto_id import DOMAIN, NOW, NOW_MS, RUNTIME, bundle_of, context

from autonomys.actors.identity.certificates import (
    Validity,
    algorithm_identifier,
    certificate_der,
    issue_certificate,
    new_key,
    sign,
)
from autonomys.protocol.domains.execution import ParentBlock, derive_domain_block
from autonomys.protocol.domains.receipts import genesis_receipt
from autonomys.protocol.domains.registry import compute_domain_genesis
from autonomys.protocol.domains.runtime_auto_id import (
    IDENTITY_ERROR_INDEX,
    OUTCOME_ERROR,
    OUTCOME_IDENTITY,
    AutoIdPalletCall,
    IdentityPalletCall,
)
from autonomys.protocol.domains.runtime_balances import sign_call
from autonomys.protocol.identity.agents import AGENT_METADATA_OID, AgentMetadata, encode_agent_metadata
from autonomys.protocol.identity.auto_id import derive_auto_id, registration_of
from autonomys.protocol.identity.auto_id_types import RegisterAutoIdCall, Signature
from autonomys.protocol.identity.delegation import Grant, SignedGrant, grant_hash, grant_message, revocation_message
from autonomys.protocol.identity.identity_calls import (
    Fund,
    PutGrant,
    RevokeGrant,
    Spend,
    identity_balance,
    spend_message,
)

AI3 = 10**18
RELAYER = sr25519.pair_from_seed(bytes([0x31]) * 32)
RECEIVER = bytes([0x77]) * 32
PERSON_KEY, AGENT_KEY = new_key("ed25519"), new_key("ed25519")
VALIDITY = Validity.days_from(NOW - datetime.timedelta(days=1), 30)
PERSON = issue_certificate("Carol", PERSON_KEY, VALIDITY)
PERSON_ID = derive_auto_id(certificate_der(PERSON))
METADATA = AgentMetadata.of("books travel", ("travel.book", "payments.transfer"), "ray://agent-travel")
AGENT = issue_certificate(
    "travel-agent", AGENT_KEY, VALIDITY, issuer=(PERSON, PERSON_KEY),
    extensions=((x509.UnrecognizedExtension(x509.ObjectIdentifier(AGENT_METADATA_OID),
                                            encode_agent_metadata(METADATA)), False),),
)  # fmt: skip
AGENT_ID = derive_auto_id(certificate_der(AGENT), PERSON_ID)
GRANT = Grant(PERSON_ID, AGENT_ID, ("transfer",), 2 * AI3, 86_400_000, NOW_MS + 86_400_000 * 7, False, None, 0)
GRANT_HASH = grant_hash(GRANT)


def signed(key, message: bytes) -> Signature:
    return Signature(algorithm_identifier(key), sign(key, message))


def spend(amount: int, nonce: int, key=AGENT_KEY) -> IdentityPalletCall:
    message = spend_message(GRANT_HASH, RECEIVER, amount, nonce)
    return IdentityPalletCall(Spend(GRANT_HASH, RECEIVER, amount, nonce, signed(key, message)))


def execute(calls: list) -> tuple[list[bytes], object]:
    """One domain block of the relayer's transactions (nonces in order); the outcomes (after the hash) and the
    final state."""
    genesis = compute_domain_genesis("auto-id", DOMAIN, [(RELAYER[0], 100 * AI3)])
    receipt = genesis_receipt(genesis.root)
    parent = ParentBlock(receipt.domain_block_hash, genesis.root, receipt.hash())
    extrinsics = [sign_call(DOMAIN, RELAYER, nonce, call).to_bytes() for nonce, call in enumerate(calls)]
    nodes = dict(genesis.created)
    block = derive_domain_block(
        RUNTIME, nodes, parent, context(1, parent.header_hash), [bundle_of(extrinsics)], bytes(16), 2**256 - 1
    )
    state = RUNTIME.open_state({**nodes, **block.changes.created}, block.header.state_root)
    return [outcome[32:] for outcome in block.outcomes], state


def error_of(outcome: bytes) -> str | None:
    if outcome[0] != OUTCOME_ERROR:
        return None
    assert outcome[1] == IDENTITY_ERROR_INDEX or outcome[1] < 12
    return outcome[2:].decode()


def test_an_agent_spends_within_its_grant_and_is_refused_beyond_it() -> None:
    setup = [
        AutoIdPalletCall(RegisterAutoIdCall(registration_of(certificate_der(PERSON)))),
        AutoIdPalletCall(RegisterAutoIdCall(registration_of(certificate_der(AGENT), PERSON_ID))),
        IdentityPalletCall(Fund(PERSON_ID, 5 * AI3)),
        IdentityPalletCall(PutGrant(SignedGrant(GRANT, algorithm_identifier(PERSON_KEY),
                                                sign(PERSON_KEY, grant_message(GRANT))))),  # fmt: skip
    ]
    calls = [
        *setup,
        spend(AI3 + AI3 // 2, 0),  # within the 2 AI3 per day
        spend(AI3, 1),  # SpendCapExceeded: 1.5 + 1 > 2 this period
        spend(AI3 // 4, 1, key=PERSON_KEY),  # InvalidSignature: not the delegate's key
        spend(AI3 // 4, 0),  # BadSpendNonce: a replay of nonce 0
        IdentityPalletCall(RevokeGrant(GRANT_HASH, signed(PERSON_KEY, revocation_message(GRANT_HASH)))),
        spend(AI3 // 4, 1),  # PermissionDenied: the grant is revoked
    ]
    outcomes, state = execute(calls)
    assert [error_of(outcome) for outcome in outcomes] == [
        None, None, None, None, None, "SpendCapExceeded", "InvalidSignature", "BadSpendNonce", None,
        "PermissionDenied",
    ]  # fmt: skip
    assert outcomes[3][0] == OUTCOME_IDENTITY and outcomes[3][2:] == GRANT_HASH
    # Only the one spend moved funds: 5 − 1.5 AI3 left in the person's Auto ID account, 1.5 AI3 received.
    assert identity_balance(state, PERSON_ID) == 5 * AI3 - (AI3 + AI3 // 2)
    assert RUNTIME.read_account(state, RECEIVER) == (AI3 + AI3 // 2, 0)
    _, nonce = RUNTIME.read_account(state, RELAYER[0])
    assert nonce == len(calls)  # every refused call still used its nonce and paid its fee


def test_funding_an_unknown_identity_or_beyond_the_balance_is_refused() -> None:
    outcomes, state = execute([
        IdentityPalletCall(Fund(PERSON_ID, AI3)),  # UnknownAutoId: not registered
        AutoIdPalletCall(RegisterAutoIdCall(registration_of(certificate_der(PERSON)))),
        IdentityPalletCall(Fund(PERSON_ID, 1_000 * AI3)),  # InsufficientFunds
    ])  # fmt: skip
    assert [error_of(outcome) for outcome in outcomes] == ["UnknownAutoId", None, "InsufficientFunds"]
    assert identity_balance(state, PERSON_ID) == 0


def test_provenance_signed_before_a_revocation_stays_valid_and_after_it_is_refused() -> None:
    from autonomys.protocol.identity.auto_id import REVOKE_CERTIFICATE, encode_action_message
    from autonomys.protocol.identity.auto_id_types import RevokeCertificateCall
    from autonomys.protocol.identity.identity_calls import PutProvenance
    from autonomys.protocol.identity.provenance import (
        ProvenanceRecord,
        compute_content_id,
        get_provenance,
        verify_provenance,
    )

    content = b"a model card, version 1"
    content_id = compute_content_id(content)

    def record(signed_at_ms: int, data: bytes) -> ProvenanceRecord:
        unsigned = ProvenanceRecord(compute_content_id(data), PERSON_ID, (), signed_at_ms, b"", b"")
        return ProvenanceRecord(unsigned.content_id, PERSON_ID, (), signed_at_ms, algorithm_identifier(PERSON_KEY),
                                sign(PERSON_KEY, unsigned.signed_message()))  # fmt: skip

    revoke = RevokeCertificateCall(PERSON_ID, signed(PERSON_KEY, encode_action_message(PERSON_ID, 0, REVOKE_CERTIFICATE)))
    outcomes, state = execute([
        AutoIdPalletCall(RegisterAutoIdCall(registration_of(certificate_der(PERSON)))),
        IdentityPalletCall(PutProvenance(record(NOW_MS, content))),
        AutoIdPalletCall(revoke),  # Carol revokes her own certificate at the block's time
        IdentityPalletCall(PutProvenance(record(NOW_MS + 6_000, b"signed at the revocation"))),  # the block time
    ])  # fmt: skip
    assert [error_of(outcome) for outcome in outcomes] == [None, None, None, "SignerRevoked"]
    stored = get_provenance(state, content_id)
    assert stored is not None
    check = verify_provenance(state, stored.record, content, NOW_MS + 120_000)
    assert check.valid, check
    assert not verify_provenance(state, stored.record, content + b"!", NOW_MS + 120_000).valid  # one more byte


def test_identity_calls_round_trip_and_garbage_is_a_decode_error() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from autonomys.protocol.errors import DecodeError
    from autonomys.protocol.identity.identity_calls import decode_identity_call, encode_identity_call

    for call in (Fund(PERSON_ID, 7), spend(5, 3).call, PutGrant(SignedGrant(GRANT, b"\x30", b"sig"))):
        assert decode_identity_call(encode_identity_call(call)) == call

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=200))
    def arbitrary(data: bytes) -> None:
        try:
            call = decode_identity_call(data)
        except DecodeError:
            return
        assert encode_identity_call(call) == data

    arbitrary()
