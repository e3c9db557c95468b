"""protocol.identity.agents: agent metadata in the certificate, creator chains, co-issuance (project-defined).

Keys are generated once per module; certificates are valid 2025-01-01 .. 2030-01-01 and the clock stands inside.
Every refused co-issuance is checked for its error name and for a store left exactly as it was.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.actors.identity.certificates import (
    PrivateKey,
    Validity,
    algorithm_identifier,
    certificate_der,
    issue_certificate,
    new_key,
    sign,
)
from autonomys.protocol.errors import DecodeError
from autonomys.protocol.identity.agents import (
    AGENT_METADATA_OID,
    AGENT_METADATA_OID_URL,
    CO_ISSUANCE_PREFIX,
    AgentError,
    AgentMetadata,
    CoIssuance,
    InvalidAgentMetadata,
    agent_registration,
    co_issuance_message,
    decode_agent_metadata,
    encode_agent_metadata,
    get_co_issuance,
    put_co_issuance,
    read_agent_metadata,
    verify_agent,
    verify_co_issuance,
)
from autonomys.protocol.identity.auto_id import (
    DEACTIVATE_AUTO_ID,
    REVOKE_CERTIFICATE,
    deactivate_auto_id,
    encode_action_message,
    get_auto_id,
    register_auto_id,
    registration_of,
    revoke_certificate,
)
from autonomys.protocol.identity.auto_id_types import Signature
from autonomys.protocol.identity.der import encode_object_identifier, tbs_of_certificate
from helpers.auto_id_fixtures import MemoryStore

VALIDITY = Validity(datetime.datetime(2025, 1, 1), datetime.datetime(2030, 1, 1))
NOT_BEFORE_MS, NOT_AFTER_MS = 1735689600000, 1893456000000
NOW = 1_760_000_000_000
METADATA = AgentMetadata("search the web", ("search", "summarize"), "https://agent.example/a2a")


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()




def rejects(store: MemoryStore, reason: str, call: Callable[[], object]) -> AgentError:
    """`call` raises AgentError `reason` and leaves every key of the store as it was."""
    snapshot = dict(store.data)
    with pytest.raises(AgentError) as raised:
        call()
    assert raised.value.reason == reason
    assert store.data == snapshot
    return raised.value


def metadata_extension(metadata: AgentMetadata, critical: bool = False) -> tuple[x509.ExtensionType, bool]:
    oid = ObjectIdentifier(AGENT_METADATA_OID)
    return x509.UnrecognizedExtension(oid, encode_agent_metadata(metadata)), critical


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {name: new_key("p256" if name == "acme" else "ed25519") for name in ("alice", "acme", "agent", "sub", "new")}


@dataclass
class World:
    """alice (root) created `agent` (leaf, with metadata), which created `sub`; acme is another root."""

    store: MemoryStore
    keys: dict[str, PrivateKey]
    certificates: dict[str, x509.Certificate]
    ids: dict[str, bytes]

    def signature(self, signer: str, message: bytes) -> Signature:
        key = self.keys[signer]
        return Signature(algorithm_identifier(key), sign(key, message))

    def revoke(self, subject: str, issuer: str) -> None:
        nonce = get_auto_id(self.store, self.ids[issuer])
        assert nonce is not None
        message = encode_action_message(self.ids[subject], nonce.nonce, REVOKE_CERTIFICATE)
        revoke_certificate(self.store, self.ids[subject], self.signature(issuer, message), NOW)


def register(store: MemoryStore, certificate: x509.Certificate, issuer_id: bytes | None) -> bytes:
    return register_auto_id(store, registration_of(certificate_der(certificate), issuer_id), NOW)


@pytest.fixture
def world(keys: dict[str, PrivateKey]) -> World:
    store = MemoryStore()
    alice = issue_certificate("alice", keys["alice"], VALIDITY, serial=1)
    acme = issue_certificate("acme", keys["acme"], VALIDITY, serial=2)
    extension = (metadata_extension(METADATA),)
    agent = issue_certificate(
        "agent-1", keys["agent"], VALIDITY, issuer=(alice, keys["alice"]), serial=10, extensions=extension
    )
    sub = issue_certificate(
        "sub-1", keys["sub"], VALIDITY, issuer=(agent, keys["agent"]), serial=20, extensions=extension
    )
    ids = {"alice": register(store, alice, None), "acme": register(store, acme, None)}
    ids["agent"] = register(store, agent, ids["alice"])
    ids["sub"] = register(store, sub, ids["agent"])
    certificates = {"alice": alice, "acme": acme, "agent": agent, "sub": sub}
    return World(store, keys, certificates, ids)


# ---- metadata ----


def test_metadata_oid_is_the_documented_uuid_arc() -> None:
    arc, uuid_arc, value = AGENT_METADATA_OID.split(".")
    assert (arc, uuid_arc) == ("2", "25")
    assert int(value) == uuid.uuid5(uuid.NAMESPACE_URL, AGENT_METADATA_OID_URL).int


def test_metadata_golden_der() -> None:
    expected = (
        bytes.fromhex("3040")
        + bytes.fromhex("0c0e") + b"search the web"
        + bytes.fromhex("3013") + bytes.fromhex("0c06") + b"search" + bytes.fromhex("0c09") + b"summarize"
        + bytes.fromhex("0c19") + b"https://agent.example/a2a"
    )  # fmt: skip
    assert encode_agent_metadata(METADATA) == expected
    assert decode_agent_metadata(expected) == METADATA


def test_metadata_at_every_limit_round_trips_with_long_form_lengths() -> None:
    capabilities = tuple(f"{index:02d}" + "c" * 62 for index in range(32))
    metadata = AgentMetadata("p" * 256, capabilities, "e" * 512)
    encoded = encode_agent_metadata(metadata)
    assert encoded[:2] == bytes.fromhex("3082")  # a two-octet length for the whole
    assert decode_agent_metadata(encoded) == metadata
    assert AgentMetadata("", (), "") == decode_agent_metadata(bytes.fromhex("30060c0030000c00"))


@pytest.mark.parametrize(
    ("purpose", "capabilities", "endpoint", "reason"),
    [
        ("p" * 257, (), "", "PurposeTooLong"),
        ("é" * 129, (), "", "PurposeTooLong"),  # 258 UTF-8 bytes
        ("", (), "e" * 513, "EndpointTooLong"),
        ("", tuple(f"c{index:02d}" for index in range(33)), "", "TooManyCapabilities"),
        ("", ("c" * 65,), "", "CapabilityTooLong"),
        ("", ("Search",), "", "InvalidCapability"),
        ("", ("",), "", "InvalidCapability"),
        ("", ("a b",), "", "InvalidCapability"),
        ("", ("b", "a"), "", "CapabilitiesNotSorted"),
        ("", ("a", "a"), "", "CapabilitiesNotSorted"),
        ("\ud800", (), "", "NotUtf8"),
    ],
)
def test_metadata_limits(purpose: str, capabilities: tuple[str, ...], endpoint: str, reason: str) -> None:
    with pytest.raises(InvalidAgentMetadata) as raised:
        AgentMetadata(purpose, capabilities, endpoint)
    assert raised.value.reason == reason


def test_metadata_of_sorts_and_deduplicates() -> None:
    assert AgentMetadata.of("x", ["summarize", "search", "search"], "") == AgentMetadata(
        "x", ("search", "summarize"), ""
    )


@pytest.mark.parametrize(
    ("der", "reason"),
    [
        ("3081060c0030000c00", "NonCanonicalEncoding"),  # a long-form length where the short form fits
        ("30080c00300430", "MalformedEncoding"),  # truncated
        ("30040c003000", "MalformedEncoding"),  # two fields
        ("30090c0030031301610c00", "MalformedEncoding"),  # a PrintableString capability
        ("3006130030000c00", "MalformedEncoding"),  # a PrintableString purpose
        ("300c0c0030060c01620c01610c00", "CapabilitiesNotSorted"),
        ("30060c0030000c00ff", "MalformedEncoding"),  # a trailing byte
        ("30070c01ff30000c00", "NotUtf8"),
    ],
)
def test_metadata_decoder_refuses(der: str, reason: str) -> None:
    with pytest.raises(InvalidAgentMetadata) as raised:
        decode_agent_metadata(bytes.fromhex(der))
    assert raised.value.reason == reason
    assert isinstance(raised.value, DecodeError)


def test_metadata_is_read_from_the_stored_tbs(world: World) -> None:
    certificate = world.certificates["agent"]
    extension = certificate.extensions.get_extension_for_oid(ObjectIdentifier(AGENT_METADATA_OID))
    assert not extension.critical
    assert isinstance(extension.value, x509.UnrecognizedExtension)
    assert extension.value.value == encode_agent_metadata(METADATA)
    record = get_auto_id(world.store, world.ids["agent"])
    assert record is not None
    assert read_agent_metadata(record.raw) == METADATA
    root = get_auto_id(world.store, world.ids["alice"])
    assert root is not None
    assert read_agent_metadata(root.raw) is None


def test_critical_or_repeated_metadata_extension_is_refused(keys: dict[str, PrivateKey]) -> None:
    certificate = issue_certificate("x", keys["new"], VALIDITY, extensions=(metadata_extension(METADATA, True),))
    tbs, _algorithm, _signature = tbs_of_certificate(certificate_der(certificate))
    with pytest.raises(InvalidAgentMetadata) as raised:
        read_agent_metadata(tbs)
    assert raised.value.reason == "CriticalExtension"

    def tlv(tag: int, content: bytes) -> bytes:
        length = bytes([len(content)]) if len(content) < 0x80 else bytes([0x81, len(content)])
        return bytes([tag]) + length + content

    oid_content = encode_object_identifier(AGENT_METADATA_OID)
    extension = tlv(0x30, tlv(0x06, oid_content) + tlv(0x04, encode_agent_metadata(METADATA)))
    once = tlv(0x30, tlv(0xA3, tlv(0x30, extension)))
    twice = tlv(0x30, tlv(0xA3, tlv(0x30, extension + extension)))
    assert read_agent_metadata(once) == METADATA
    with pytest.raises(InvalidAgentMetadata) as raised:
        read_agent_metadata(twice)
    assert raised.value.reason == "DuplicateExtension"


def test_agent_registration_requires_metadata(world: World, keys: dict[str, PrivateKey]) -> None:
    agent_der = certificate_der(world.certificates["agent"])
    assert agent_registration(agent_der, world.ids["alice"]) == registration_of(agent_der, world.ids["alice"])
    plain = issue_certificate("plain", keys["new"], VALIDITY, issuer=(world.certificates["alice"], keys["alice"]))
    with pytest.raises(InvalidAgentMetadata) as raised:
        agent_registration(certificate_der(plain), world.ids["alice"])
    assert raised.value.reason == "MissingAgentMetadata"


# ---- identifiers and chains ----


def test_agent_id_is_derived_from_its_creator(world: World) -> None:
    assert world.ids["alice"] == blake2_256(b"alice")
    assert world.ids["agent"] == blake2_256(world.ids["alice"] + b"agent-1")
    assert world.ids["sub"] == blake2_256(world.ids["agent"] + b"sub-1")


def test_verify_agent_walks_to_the_root(world: World) -> None:
    result = verify_agent(world.store, world.ids["sub"], NOW)
    assert (result.valid, result.reason, result.failed_id) == (True, "Valid", None)
    assert result.chain == (world.ids["sub"], world.ids["agent"], world.ids["alice"])
    assert result.metadata == METADATA
    assert result.co_issuers == ()


def test_revoking_the_creator_invalidates_its_agents(world: World) -> None:
    world.revoke("alice", "alice")  # a root revokes itself
    for agent in ("agent", "sub"):
        result = verify_agent(world.store, world.ids[agent], NOW)
        assert (result.valid, result.reason, result.failed_id) == (False, "Revoked", world.ids["alice"])
        assert result.chain[-1] == world.ids["alice"]


def test_revoking_a_mid_chain_agent_invalidates_its_sub_agents(world: World) -> None:
    world.revoke("agent", "alice")
    result = verify_agent(world.store, world.ids["sub"], NOW)
    assert (result.valid, result.reason, result.failed_id) == (False, "Revoked", world.ids["agent"])
    assert result.chain == (world.ids["sub"], world.ids["agent"])


def test_deactivating_the_creator_invalidates_its_agents(world: World) -> None:
    message = encode_action_message(world.ids["alice"], 0, DEACTIVATE_AUTO_ID)
    deactivate_auto_id(world.store, world.ids["alice"], world.signature("alice", message))
    result = verify_agent(world.store, world.ids["agent"], NOW)
    assert (result.valid, result.reason, result.failed_id) == (False, "UnknownIssuer", world.ids["alice"])


@pytest.mark.parametrize(
    ("now", "reason"), [(NOT_BEFORE_MS - 1, "NotYetValid"), (NOT_AFTER_MS + 1, "Expired"), (NOT_AFTER_MS, "Valid")]
)
def test_validity_window(world: World, now: int, reason: str) -> None:
    result = verify_agent(world.store, world.ids["agent"], now)
    assert result.reason == reason
    assert result.failed_id == (None if reason == "Valid" else world.ids["agent"])


def test_not_agents(world: World, keys: dict[str, PrivateKey]) -> None:
    assert verify_agent(world.store, world.ids["alice"], NOW).reason == "NoCreator"
    assert verify_agent(world.store, b"\x07" * 32, NOW).reason == "UnknownAutoId"
    plain = issue_certificate("plain", keys["new"], VALIDITY, issuer=(world.certificates["alice"], keys["alice"]))
    plain_id = register(world.store, plain, world.ids["alice"])
    result = verify_agent(world.store, plain_id, NOW)
    assert (result.reason, result.failed_id) == ("MissingAgentMetadata", plain_id)
    critical = issue_certificate(
        "critical",
        keys["new"],
        VALIDITY,
        issuer=(world.certificates["alice"], keys["alice"]),
        extensions=(metadata_extension(METADATA, True),),
    )
    critical_id = register(world.store, critical, world.ids["alice"])
    assert verify_agent(world.store, critical_id, NOW).reason == "InvalidAgentMetadata"


# ---- co-issuance ----


def co_issue(world: World, agent: str, issuers: tuple[str, ...], *, spki: bytes | None = None) -> CoIssuance:
    """A record for `agent` signed by every one of `issuers` (in sorted id order)."""
    ordered = sorted(issuers, key=lambda name: world.ids[name])
    issuer_ids = tuple(world.ids[name] for name in ordered)
    record = get_auto_id(world.store, world.ids[agent])
    assert record is not None
    key_info = record.subject_public_key_info if spki is None else spki
    message = co_issuance_message(world.ids[agent], key_info, issuer_ids)
    return CoIssuance(world.ids[agent], issuer_ids, tuple(world.signature(name, message) for name in ordered))


def test_co_issued_agent_is_valid_while_every_co_issuer_is(world: World) -> None:
    record = co_issue(world, "agent", ("alice", "acme"))
    verify_co_issuance(world.store, record, NOW)
    put_co_issuance(world.store, record, NOW)
    assert world.store.data[CO_ISSUANCE_PREFIX + world.ids["agent"]] == record.to_bytes()
    assert get_co_issuance(world.store, world.ids["agent"]) == record
    result = verify_agent(world.store, world.ids["agent"], NOW)
    assert result.valid
    assert result.co_issuers == tuple(sorted((world.ids["alice"], world.ids["acme"])))
    world.revoke("acme", "acme")
    result = verify_agent(world.store, world.ids["agent"], NOW)
    assert (result.valid, result.reason, result.failed_id) == (False, "Revoked", world.ids["acme"])
    with pytest.raises(AgentError) as raised:
        verify_co_issuance(world.store, record, NOW)
    assert raised.value.reason == "CoIssuerInvalid"
    # The sub-agent was not co-issued: acme's revocation does not touch it.
    assert verify_agent(world.store, world.ids["sub"], NOW).valid


def test_co_issuance_refusals_write_nothing(world: World, keys: dict[str, PrivateKey]) -> None:
    store, ids = world.store, world.ids
    good = co_issue(world, "agent", ("alice", "acme"))
    unknown = CoIssuance(b"\x09" * 32, good.issuer_ids, good.signatures)
    rejects(store, "UnknownAgent", lambda: put_co_issuance(store, unknown, NOW))
    root = CoIssuance(ids["alice"], good.issuer_ids, good.signatures)
    rejects(store, "NoCreator", lambda: put_co_issuance(store, root, NOW))
    without_creator = co_issue(world, "agent", ("acme", "sub"))
    rejects(store, "CreatorNotCoIssuer", lambda: put_co_issuance(store, without_creator, NOW))
    with_itself = co_issue(world, "agent", ("alice", "agent"))
    rejects(store, "AgentIsCoIssuer", lambda: put_co_issuance(store, with_itself, NOW))
    swapped = CoIssuance(good.agent_id, good.issuer_ids, good.signatures[::-1])
    rejects(store, "InvalidSignature", lambda: put_co_issuance(store, swapped, NOW))
    # The message must bind the agent's key: a signature without it does not verify.
    unbound = co_issue(world, "agent", ("alice", "acme"), spki=b"")
    rejects(store, "InvalidSignature", lambda: put_co_issuance(store, unbound, NOW))
    ghost_id = b"\xff" * 32
    issuer_ids = (ids["alice"], ghost_id) if ids["alice"] < ghost_id else (ghost_id, ids["alice"])
    agent_record = get_auto_id(store, ids["agent"])
    assert agent_record is not None
    message = co_issuance_message(ids["agent"], agent_record.subject_public_key_info, issuer_ids)
    signatures = tuple(world.signature("alice", message) for _ in issuer_ids)
    ghost = CoIssuance(ids["agent"], issuer_ids, signatures)
    error = rejects(store, "UnknownCoIssuer", lambda: put_co_issuance(store, ghost, NOW))
    assert ghost_id.hex() in error.detail
    world.revoke("acme", "acme")
    rejects(store, "CoIssuerInvalid", lambda: put_co_issuance(store, good, NOW))


def test_co_issuance_needs_a_valid_agent_and_is_written_once(world: World) -> None:
    store = world.store
    record = co_issue(world, "agent", ("alice", "acme"))
    put_co_issuance(store, record, NOW)
    rejects(store, "CoIssuanceExists", lambda: put_co_issuance(store, record, NOW))
    sub_record = co_issue(world, "sub", ("agent", "acme"))
    world.revoke("sub", "agent")
    rejects(store, "AgentInvalid", lambda: put_co_issuance(store, sub_record, NOW))


def test_a_re_registered_agent_does_not_inherit_the_record(world: World, keys: dict[str, PrivateKey]) -> None:
    store, ids = world.store, world.ids
    put_co_issuance(store, co_issue(world, "agent", ("alice", "acme")), NOW)
    message = encode_action_message(ids["agent"], 0, DEACTIVATE_AUTO_ID)
    deactivate_auto_id(store, ids["agent"], world.signature("agent", message))
    again = issue_certificate(
        "agent-1",
        keys["new"],
        VALIDITY,
        issuer=(world.certificates["alice"], keys["alice"]),
        serial=11,
        extensions=(metadata_extension(METADATA),),
    )
    assert register(store, again, ids["alice"]) == ids["agent"]
    result = verify_agent(store, ids["agent"], NOW)
    assert (result.valid, result.reason) == (False, "InvalidSignature")
    assert result.failed_id == min(ids["alice"], ids["acme"])


def test_co_issuance_golden_bytes_and_invariants() -> None:
    algorithm = bytes.fromhex("300506032b6570")
    record = CoIssuance(
        b"\x01" * 32, (b"\x02" * 32, b"\x03" * 32), (Signature(algorithm, b"\xaa"), Signature(b"", b""))
    )
    expected = (
        b"\x01" * 32 + b"\x08" + b"\x02" * 32 + b"\x03" * 32
        + b"\x08" + b"\x1c" + algorithm + b"\x04\xaa" + b"\x00\x00"
    )  # fmt: skip
    assert record.to_bytes() == expected
    assert CoIssuance.from_bytes(expected) == record
    message = co_issuance_message(b"\x01" * 32, b"key", record.issuer_ids)
    assert message == b"autonomys-co-issue" + b"\x01" * 32 + blake2_256(b"key") + b"\x02" * 32 + b"\x03" * 32
    for issuer_ids in ((b"\x02" * 32,), (b"\x03" * 32, b"\x02" * 32), (b"\x02" * 32, b"\x02" * 32)):
        with pytest.raises(DecodeError):
            CoIssuance(b"\x01" * 32, issuer_ids, record.signatures[: len(issuer_ids)])
    with pytest.raises(DecodeError):
        CoIssuance(b"\x01" * 32, record.issuer_ids, record.signatures[:1])
    with pytest.raises(DecodeError):
        CoIssuance(b"\x01" * 32, tuple(bytes([index]) * 32 for index in range(17)), (Signature(b"", b""),) * 17)


# ---- decoders under fuzzing ----

_VALID_METADATA = encode_agent_metadata(METADATA)
_VALID_RECORD = CoIssuance(b"\x01" * 32, (b"\x02" * 32, b"\x03" * 32), (Signature(b"a", b"b"), Signature(b"", b"c")))


def _mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda position, value, cut: (valid[:position] + bytes([value]) + valid[position + 1 :])[:cut],
        st.integers(0, len(valid) - 1),
        st.integers(0, 255),
        st.integers(0, len(valid)),
    )


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=120), _mutations(_VALID_METADATA)))
def test_metadata_decoder_fuzz(data: bytes) -> None:
    try:
        metadata = decode_agent_metadata(data)
    except DecodeError:
        return
    assert encode_agent_metadata(metadata) == data


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=160), _mutations(_VALID_RECORD.to_bytes())))
def test_co_issuance_decoder_fuzz(data: bytes) -> None:
    try:
        record = CoIssuance.from_bytes(data)
    except DecodeError:
        return
    assert record.to_bytes() == data


_CAPABILITY = st.from_regex(r"[a-z0-9._:-]{1,64}", fullmatch=True)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=64), st.lists(_CAPABILITY, max_size=32, unique=True), st.text(max_size=128))
def test_metadata_round_trips(purpose: str, capabilities: list[str], endpoint: str) -> None:
    try:
        metadata = AgentMetadata.of(purpose, capabilities, endpoint)
    except InvalidAgentMetadata as error:
        assert error.reason == "NotUtf8"  # lone surrogates only
        return
    assert decode_agent_metadata(encode_agent_metadata(metadata)) == metadata
