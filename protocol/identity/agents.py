"""Agent identities on Auto ID: metadata in the agent's certificate, co-issuance, and the creator-chain verifier.

PROJECT-DEFINED. Upstream (pallet-auto-id, sp-auto-id, the SDKs) has no design for agents, agent metadata or
co-issuance; everything in this module is this project's own, built on top of the pallet core without changing it.

- An agent's Auto ID is an ordinary pallet leaf issued by its creator's registered Auto ID, so
  `agent_id = blake2_256(creator_id ‖ CN)` (pallet-auto-id `X509Certificate::derive_identifier`); nesting gives
  sub-agents (creator → agent → sub-agent).
- Agent metadata rides in the agent's certificate as a NON-critical extension whose extnID is AGENT_METADATA_OID, a
  UUID OID under the ITU-T X.667 arc 2.25 (private by construction, needs no registration): the UUIDv5 of the URL
  "https://autonomys.xyz/auto-id/agent-metadata/v1" in the URL namespace. Its extnValue is the DER of
  `AgentMetadata ::= SEQUENCE { purpose UTF8String, capabilities SEQUENCE OF UTF8String, endpoint UTF8String }`
  with minimal lengths and capabilities strictly ascending (so one metadata has exactly one encoding; a decoder
  refuses any other). Limits: purpose <= 256 bytes, <= 32 capabilities of 1..64 bytes each matching
  `[a-z0-9._:-]+`, endpoint <= 512 bytes. The pallet stores the TBS as submitted (`raw`), so the metadata can be
  read back from chain state.
- Co-issuance (all signatures required): the agent is a leaf under one creator (its certificate's issuer) plus a
  CoIssuance record listing every co-issuer's id (sorted, 2..16, the creator included) and one signature per id,
  in the same order, over `b"autonomys-co-issue" ‖ agent_id ‖ blake2_256(agent SPKI) ‖ sorted issuer ids`, made
  with that issuer's Auto ID key. The creator signs too (otherwise anyone could bind themselves to someone else's
  agent, then deactivate to disable it), and the agent's key hash ties the record to this registration (a
  re-registered agent of the same CN but another key does not inherit it). The record is stored at
  `auto_id/co_issuance/<agent_id>` (SCALE: agent_id ‖ Vec<H256> ‖ Vec<Signature>), at most one per agent.
- A co-issued agent is valid only while every co-issuer is valid (`identity_status`, the whole issuer chain).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_compact,
    read_vector,
    read_vector_length,
    validate_bytes,
    validate_uint,
)
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import DecodeError, ReasonedError
from autonomys.protocol.identity.auto_id import (
    AutoIdStore,
    blake2_256,
    get_auto_id,
    identity_status,
    registration_of,
)
from autonomys.protocol.identity.auto_id_types import (
    IDENTIFIER_SIZE,
    RegisterAutoId,
    Signature,
    X509Certificate,
    read_identifier,
)
from autonomys.protocol.identity.der import (
    TAG_BOOLEAN,
    TAG_EXTENSIONS,
    TAG_OBJECT_IDENTIFIER,
    TAG_OCTET_STRING,
    TAG_SEQUENCE,
    Element,
    InvalidCertificateEncoding,
    encode_object_identifier,
    iterate_elements,
    read_element,
    read_single,
    tbs_of_certificate,
)
from autonomys.protocol.identity.signatures import verify_signature

AGENT_METADATA_OID: Final = "2.25.154017520423456655641326978120493426313"
AGENT_METADATA_OID_URL: Final = "https://autonomys.xyz/auto-id/agent-metadata/v1"  # uuid5(NAMESPACE_URL, this)
MAX_PURPOSE_BYTES: Final = 256
MAX_CAPABILITIES: Final = 32
MAX_CAPABILITY_BYTES: Final = 64
MAX_ENDPOINT_BYTES: Final = 512
CAPABILITY_PATTERN: Final = re.compile(r"[a-z0-9._:-]+")
TAG_UTF8_STRING: Final = 0x0C

CO_ISSUANCE_PREFIX: Final = b"auto_id/co_issuance/"
CO_ISSUANCE_TAG: Final = b"autonomys-co-issue"
MIN_CO_ISSUERS: Final = 2
MAX_CO_ISSUERS: Final = 16  # bounds the signatures and chain walks one verification does

STATUS_VALID: Final = "Valid"
_OID_CONTENT: Final = encode_object_identifier(AGENT_METADATA_OID)

# ---- errors (to move to protocol/errors.py) ----


class InvalidAgentMetadata(ReasonedError, DecodeError):
    """Agent metadata (or its DER, or the extension carrying it) outside the project's rules; `reason` names the rule."""


AGENT_ERRORS: Final = (
    "UnknownAgent",
    "NoCreator",
    "AgentInvalid",
    "CoIssuanceExists",
    "AgentIsCoIssuer",
    "CreatorNotCoIssuer",
    "UnknownCoIssuer",
    "InvalidSignature",
    "CoIssuerInvalid",
)


class AgentError(ReasonedError):
    """A co-issuance record the chain refuses; `reason` is one of AGENT_ERRORS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in AGENT_ERRORS:
            raise ValueError(f"not an agent error: {reason}")
        super().__init__(reason, detail)


# ---- agent metadata ----


def _utf8(name: str, text: object, limit: int) -> bytes:
    if not isinstance(text, str):
        raise InvalidAgentMetadata("NotText", f"{name} must be a str")
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidAgentMetadata("NotUtf8", f"{name}: {error}") from error
    if len(encoded) > limit:
        raise InvalidAgentMetadata(f"{name.capitalize()}TooLong", f"{len(encoded)} bytes > {limit}")
    return encoded


def _validate_capabilities(capabilities: object) -> None:
    if not isinstance(capabilities, tuple):
        raise InvalidAgentMetadata("NotText", "capabilities must be a tuple of str")
    if len(capabilities) > MAX_CAPABILITIES:
        raise InvalidAgentMetadata("TooManyCapabilities", f"{len(capabilities)} > {MAX_CAPABILITIES}")
    for capability in capabilities:
        _utf8("capability", capability, MAX_CAPABILITY_BYTES)
        if CAPABILITY_PATTERN.fullmatch(capability) is None:
            raise InvalidAgentMetadata("InvalidCapability", repr(capability))
    # A set in canonical order: one metadata, one encoding.
    if any(earlier >= later for earlier, later in zip(capabilities, capabilities[1:], strict=False)):
        raise InvalidAgentMetadata("CapabilitiesNotSorted", "capabilities must be strictly ascending")


@dataclass(frozen=True, slots=True)
class AgentMetadata:
    """What an agent declares about itself in its certificate (project-defined)."""

    purpose: str
    """Free text, at most 256 UTF-8 bytes."""
    capabilities: tuple[str, ...]
    """Capability names `[a-z0-9._:-]+` of 1..64 bytes, strictly ascending, at most 32."""
    endpoint: str
    """Where the agent is invoked (a URL or any locator), at most 512 UTF-8 bytes; empty when it has none."""

    def __post_init__(self) -> None:
        _utf8("purpose", self.purpose, MAX_PURPOSE_BYTES)
        _validate_capabilities(self.capabilities)
        _utf8("endpoint", self.endpoint, MAX_ENDPOINT_BYTES)

    @classmethod
    def of(cls, purpose: str, capabilities: tuple[str, ...] | list[str], endpoint: str) -> AgentMetadata:
        """The metadata with `capabilities` sorted and deduplicated."""
        return cls(purpose, tuple(sorted(set(capabilities))), endpoint)


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def encode_agent_metadata(metadata: AgentMetadata) -> bytes:
    """The extnValue content: DER SEQUENCE { purpose UTF8String, SEQUENCE OF UTF8String, endpoint UTF8String }."""
    capabilities = b"".join(_tlv(TAG_UTF8_STRING, capability.encode()) for capability in metadata.capabilities)
    return _tlv(
        TAG_SEQUENCE,
        _tlv(TAG_UTF8_STRING, metadata.purpose.encode())
        + _tlv(TAG_SEQUENCE, capabilities)
        + _tlv(TAG_UTF8_STRING, metadata.endpoint.encode()),
    )


def _read_utf8(data: bytes, element: Element) -> str:
    if element.tag != TAG_UTF8_STRING:
        raise InvalidAgentMetadata("MalformedEncoding", f"expected a UTF8String, got tag {element.tag:#x}")
    try:
        return element.content(data).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidAgentMetadata("NotUtf8", str(error)) from error


def _parse_agent_metadata(data: bytes) -> AgentMetadata:
    outer = read_element(data, 0, len(data))
    if outer.tag != TAG_SEQUENCE or outer.end != len(data):
        raise InvalidAgentMetadata("MalformedEncoding", "not exactly one SEQUENCE")
    fields = list(iterate_elements(data, outer.content_start, outer.end))
    if len(fields) != 3 or fields[1].tag != TAG_SEQUENCE:
        raise InvalidAgentMetadata("MalformedEncoding", "expected purpose, capabilities, endpoint")
    elements = iterate_elements(data, fields[1].content_start, fields[1].end)
    capabilities = tuple(_read_utf8(data, element) for element in elements)
    return AgentMetadata(_read_utf8(data, fields[0]), capabilities, _read_utf8(data, fields[2]))


def decode_agent_metadata(data: bytes) -> AgentMetadata:
    """The metadata `encode_agent_metadata` wrote; InvalidAgentMetadata (a DecodeError) for any other bytes,
    including non-minimal lengths or unsorted capabilities."""
    data = bytes(data)
    try:
        metadata = _parse_agent_metadata(data)
    except InvalidCertificateEncoding as error:
        raise InvalidAgentMetadata("MalformedEncoding", str(error)) from error
    if encode_agent_metadata(metadata) != data:
        raise InvalidAgentMetadata("NonCanonicalEncoding", "the DER is not the canonical encoding")
    return metadata


def _extension_parts(data: bytes, extension: Element) -> tuple[bytes, bool, bytes]:
    """An Extension's extnID content, critical flag and extnValue content."""
    fields = list(iterate_elements(data, extension.content_start, extension.end))
    if extension.tag != TAG_SEQUENCE or len(fields) not in (2, 3) or fields[0].tag != TAG_OBJECT_IDENTIFIER:
        raise InvalidAgentMetadata("MalformedCertificate", "malformed Extension")
    if len(fields) == 3 and fields[1].tag != TAG_BOOLEAN:
        raise InvalidAgentMetadata("MalformedCertificate", "critical is not a BOOLEAN")
    if fields[-1].tag != TAG_OCTET_STRING:
        raise InvalidAgentMetadata("MalformedCertificate", "extnValue is not an OCTET STRING")
    critical = len(fields) == 3 and fields[1].content(data) != b"\x00"
    return fields[0].content(data), critical, fields[-1].content(data)


def _agent_metadata_values(data: bytes) -> list[tuple[bool, bytes]]:
    """(critical, extnValue) of every AGENT_METADATA_OID extension in a DER TBSCertificate."""
    tbs = read_single(data, TAG_SEQUENCE, "TBSCertificate")
    found: list[tuple[bool, bytes]] = []
    for field in iterate_elements(data, tbs.content_start, tbs.end):
        if field.tag != TAG_EXTENSIONS:
            continue
        extensions = read_single(field.content(data), TAG_SEQUENCE, "Extensions")
        content = field.content(data)
        for extension in iterate_elements(content, extensions.content_start, extensions.end):
            oid, critical, value = _extension_parts(content, extension)
            if oid == _OID_CONTENT:
                found.append((critical, value))
    return found


def read_agent_metadata(tbs_der: bytes) -> AgentMetadata | None:
    """The agent metadata a DER TBSCertificate carries, None when it has no such extension; InvalidAgentMetadata
    when the extension is critical, repeated (RFC 5280 4.2) or does not decode."""
    data = bytes(tbs_der)
    try:
        found = _agent_metadata_values(data)
    except InvalidCertificateEncoding as error:
        raise InvalidAgentMetadata("MalformedCertificate", str(error)) from error
    if len(found) == 0:
        return None
    if len(found) > 1:
        raise InvalidAgentMetadata("DuplicateExtension", f"{len(found)} agent metadata extensions")
    critical, value = found[0]
    if critical:
        raise InvalidAgentMetadata("CriticalExtension", "the agent metadata extension must be non-critical")
    return decode_agent_metadata(value)


def agent_registration(certificate_der: bytes, creator_id: bytes) -> RegisterAutoId:
    """The register_auto_id request of an agent's certificate as a leaf of `creator_id`, after checking that it
    carries valid agent metadata (InvalidAgentMetadata otherwise)."""
    validate_bytes("creator_id", creator_id, IDENTIFIER_SIZE)
    tbs, _algorithm, _signature = tbs_of_certificate(certificate_der)
    if read_agent_metadata(tbs) is None:
        raise InvalidAgentMetadata("MissingAgentMetadata", "the certificate has no agent metadata extension")
    return registration_of(certificate_der, creator_id)


# ---- co-issuance ----


def _validate_issuer_ids(issuer_ids: object) -> None:
    if not isinstance(issuer_ids, tuple) or not MIN_CO_ISSUERS <= len(issuer_ids) <= MAX_CO_ISSUERS:
        raise DecodeError(f"issuer_ids must be a tuple of {MIN_CO_ISSUERS}..{MAX_CO_ISSUERS} identifiers")
    for issuer_id in issuer_ids:
        validate_bytes("issuer_id", issuer_id, IDENTIFIER_SIZE)
    if any(earlier >= later for earlier, later in zip(issuer_ids, issuer_ids[1:], strict=False)):
        raise DecodeError("issuer_ids must be strictly ascending")


@dataclass(frozen=True, slots=True)
class CoIssuance:
    """An agent's co-issuers and their signatures (project-defined); SCALE: agent_id ‖ Vec<H256> ‖ Vec<Signature>."""

    agent_id: bytes
    issuer_ids: tuple[bytes, ...]
    """Every co-issuer, the creator (the agent certificate's issuer) included; strictly ascending, 2..16."""
    signatures: tuple[Signature, ...]
    """signatures[i] is issuer_ids[i]'s signature of `co_issuance_message`."""

    def __post_init__(self) -> None:
        validate_bytes("agent_id", self.agent_id, IDENTIFIER_SIZE)
        _validate_issuer_ids(self.issuer_ids)
        if not isinstance(self.signatures, tuple) or not all(isinstance(s, Signature) for s in self.signatures):
            raise DecodeError("signatures must be a tuple of Signature")
        if len(self.signatures) != len(self.issuer_ids):
            raise DecodeError(f"{len(self.signatures)} signatures for {len(self.issuer_ids)} co-issuers")

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                self.agent_id,
                encode_compact(len(self.issuer_ids)),
                *self.issuer_ids,
                encode_compact(len(self.signatures)),
                *(signature.to_bytes() for signature in self.signatures),
            )
        )

    @classmethod
    def read(cls, reader: Reader) -> CoIssuance:
        agent_id = read_identifier(reader)
        count = read_vector_length(reader)
        if count > MAX_CO_ISSUERS:
            raise DecodeError(f"{count} co-issuers > {MAX_CO_ISSUERS}")
        issuer_ids = tuple(read_identifier(reader) for _ in range(count))
        return cls(agent_id, issuer_ids, read_vector(reader, Signature.read))

    @classmethod
    def from_bytes(cls, data: bytes) -> CoIssuance:
        return decode_exactly(data, "CoIssuance", cls.read)


def co_issuance_message(agent_id: bytes, agent_public_key_info: bytes, issuer_ids: tuple[bytes, ...]) -> bytes:
    """The bytes each co-issuer signs: tag ‖ agent_id ‖ blake2_256(agent SPKI) ‖ the sorted issuer ids."""
    return CO_ISSUANCE_TAG + agent_id + blake2_256(agent_public_key_info) + b"".join(issuer_ids)


def get_co_issuance(store: AutoIdStore, agent_id: bytes) -> CoIssuance | None:
    """The co-issuance record of `agent_id`, None when it has none."""
    value = store.get(CO_ISSUANCE_PREFIX + agent_id)
    return None if value is None else CoIssuance.from_bytes(value)


def _require_agent(store: AutoIdStore, agent_id: bytes) -> X509Certificate:
    agent = get_auto_id(store, agent_id)
    if agent is None:
        raise AgentError("UnknownAgent", agent_id.hex())
    if agent.issuer_id is None:
        raise AgentError("NoCreator", "a root identity has no creator")
    return agent


def _co_issuer_failure(
    store: AutoIdStore, record: CoIssuance, agent: X509Certificate, now_ms: int
) -> tuple[str, bytes, str] | None:
    """(AgentError reason, the id that failed, detail) of the first co-issuance check that fails, or None."""
    if record.agent_id in record.issuer_ids:
        return "AgentIsCoIssuer", record.agent_id, "an agent cannot co-issue itself"
    if agent.issuer_id not in record.issuer_ids:
        return "CreatorNotCoIssuer", record.agent_id, "the certificate's issuer must be a co-issuer"
    message = co_issuance_message(record.agent_id, agent.subject_public_key_info, record.issuer_ids)
    for issuer_id, signature in zip(record.issuer_ids, record.signatures, strict=True):
        issuer = get_auto_id(store, issuer_id)
        if issuer is None:
            return "UnknownCoIssuer", issuer_id, "not registered"
        key = issuer.subject_public_key_info
        if not verify_signature(key, signature.signature_algorithm, message, signature.value):
            return "InvalidSignature", issuer_id, "co-issuance signature does not verify"
        status = identity_status(store, issuer_id, now_ms)
        if not status.valid:
            return "CoIssuerInvalid", status.chain[-1], status.reason
    return None


def verify_co_issuance(store: AutoIdStore, record: CoIssuance, now_ms: int) -> None:
    """None when the record's agent is a leaf whose creator co-issues it, and every co-issuer is registered, has
    signed and is valid at `now_ms` (its whole chain); AgentError naming the first failure otherwise."""
    validate_uint("now_ms", now_ms, U64_MAX)
    agent = _require_agent(store, record.agent_id)
    failure = _co_issuer_failure(store, record, agent, now_ms)
    if failure is not None:
        reason, failed_id, detail = failure
        raise AgentError(reason, f"{failed_id.hex()}: {detail}")


def put_co_issuance(store: AutoIdStore, record: CoIssuance, now_ms: int) -> None:
    """Store a verified co-issuance record for a valid agent that has none yet; AgentError, writing nothing,
    otherwise (the project-defined call's transition)."""
    validate_uint("now_ms", now_ms, U64_MAX)
    agent_id = record.agent_id
    if store.get(CO_ISSUANCE_PREFIX + agent_id) is not None:
        raise AgentError("CoIssuanceExists", agent_id.hex())
    _require_agent(store, agent_id)
    status = identity_status(store, agent_id, now_ms)
    if not status.valid:
        raise AgentError("AgentInvalid", f"{status.chain[-1].hex()}: {status.reason}")
    verify_co_issuance(store, record, now_ms)
    store.set(CO_ISSUANCE_PREFIX + agent_id, record.to_bytes())


# ---- verification ----


@dataclass(frozen=True, slots=True)
class AgentVerification:
    """Whether an agent can be trusted at a time: its creator chain, metadata and co-issuers."""

    valid: bool
    reason: str
    """STATUS_VALID ("Valid"), or an identity_status reason (UnknownAutoId, UnknownIssuer, NotYetValid, Expired, Revoked, CyclicChain)
    for the agent, an ancestor or a co-issuer; NoCreator, MissingAgentMetadata, InvalidAgentMetadata,
    InvalidCoIssuance, or a co-issuance AgentError reason."""
    failed_id: bytes | None
    """The identity whose check failed (the creator when a revoked creator invalidates its agent); None if valid."""
    chain: tuple[bytes, ...]
    """The agent, its creator, ... up to the root (or up to the identity that failed)."""
    metadata: AgentMetadata | None
    co_issuers: tuple[bytes, ...]
    """The co-issuance record's issuer ids (the creator included), empty when the agent has no record."""


def _invalid(
    reason: str,
    failed_id: bytes,
    chain: tuple[bytes, ...],
    metadata: AgentMetadata | None = None,
    co_issuers: tuple[bytes, ...] = (),
) -> AgentVerification:
    return AgentVerification(False, reason, failed_id, chain, metadata, co_issuers)


def verify_agent(store: AutoIdStore, agent_id: bytes, now_ms: int) -> AgentVerification:
    """The agent's verification at `now_ms`: it and every ancestor valid (identity_status), issued by a creator,
    carrying valid metadata, and, when co-issued, every co-issuer valid and signed."""
    validate_uint("now_ms", now_ms, U64_MAX)
    status = identity_status(store, agent_id, now_ms)
    if not status.valid:
        return _invalid(status.reason, status.chain[-1], status.chain)
    agent = get_auto_id(store, agent_id)
    if agent is None or agent.issuer_id is None:
        return _invalid("NoCreator", agent_id, status.chain)
    try:
        metadata = read_agent_metadata(agent.raw)
    except InvalidAgentMetadata:
        return _invalid("InvalidAgentMetadata", agent_id, status.chain)
    if metadata is None:
        return _invalid("MissingAgentMetadata", agent_id, status.chain)
    try:
        record = get_co_issuance(store, agent_id)
    except DecodeError:
        return _invalid("InvalidCoIssuance", agent_id, status.chain, metadata=metadata)
    if record is None:
        return AgentVerification(True, STATUS_VALID, None, status.chain, metadata, ())
    failure = _co_issuer_failure(store, record, agent, now_ms)
    if failure is not None:
        reason, failed_id, detail = failure
        shown = detail if reason == "CoIssuerInvalid" else reason
        return _invalid(shown, failed_id, status.chain, metadata=metadata, co_issuers=record.issuer_ids)
    return AgentVerification(True, STATUS_VALID, None, status.chain, metadata, record.issuer_ids)


__all__ = [
    "AGENT_ERRORS",
    "AGENT_METADATA_OID",
    "AGENT_METADATA_OID_URL",
    "CAPABILITY_PATTERN",
    "CO_ISSUANCE_PREFIX",
    "CO_ISSUANCE_TAG",
    "MAX_CAPABILITIES",
    "MAX_CAPABILITY_BYTES",
    "MAX_CO_ISSUERS",
    "MAX_ENDPOINT_BYTES",
    "MAX_PURPOSE_BYTES",
    "MIN_CO_ISSUERS",
    "AgentError",
    "AgentMetadata",
    "AgentVerification",
    "CoIssuance",
    "InvalidAgentMetadata",
    "agent_registration",
    "co_issuance_message",
    "decode_agent_metadata",
    "encode_agent_metadata",
    "get_co_issuance",
    "put_co_issuance",
    "read_agent_metadata",
    "verify_agent",
    "verify_co_issuance",
]
