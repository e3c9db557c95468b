"""Agent services as the agent registry lists them (PROJECT-DEFINED): an agent's service description and
invocation policy, signed by the agent's Auto ID; the credential a caller presents to invoke it; what the
registry answers. Pure encodings and checks; actors.identity.agent_registry keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_compact,
    encode_u32,
    encode_u64,
    encode_vec_u8,
    read_vector,
    validate_bytes,
    validate_uint,
)
from autonomys.protocol.constants import U32_MAX, U64_MAX
from autonomys.protocol.errors import DecodeError, ReasonedError
from autonomys.protocol.identity.agents import (
    CAPABILITY_PATTERN,
    MAX_CAPABILITIES,
    MAX_CAPABILITY_BYTES,
    MAX_ENDPOINT_BYTES,
)
from autonomys.protocol.identity.auto_id_types import (
    IDENTIFIER_SIZE,
    encode_optional_identifier,
    read_identifier,
)
from autonomys.protocol.identity.delegation import (
    ACTION_PATTERN,
    MAX_ACTION_BYTES,
)

SERVICE_TAG: Final = b"autonomys-agent-service"
INVOKE_TAG: Final = b"autonomys-invoke"
MAX_NAME_BYTES: Final = 128
MAX_DESCRIPTION_BYTES: Final = 1024
MAX_ALLOWED_CALLERS: Final = 256


class InvalidService(ReasonedError, DecodeError):
    """A ServiceDescription or InvocationPolicy outside the encoding's rules; `reason` names the rule."""


# ---- the service description ----


def _validate_text(name: str, text: object, limit: int) -> None:
    if not isinstance(text, str):
        raise InvalidService("NotText", f"{name} must be a str")
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidService("NotUtf8", f"{name}: {error}") from error
    if len(encoded) > limit:
        raise InvalidService("TextTooLong", f"{name}: {len(encoded)} bytes > {limit}")


def _read_text(reader: Reader, name: str) -> str:
    try:
        return reader.read_vec_u8().decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidService("NotUtf8", f"{name}: {error}") from error


def _validate_ascending(name: str, items: tuple[Any, ...]) -> None:
    # A set in canonical order: one meaning, one encoding.
    if any(earlier >= later for earlier, later in zip(items, items[1:], strict=False)):
        raise InvalidService("NotSorted", f"{name} must be strictly ascending")


def _validate_capabilities(capabilities: object) -> None:
    if not isinstance(capabilities, tuple) or not 1 <= len(capabilities) <= MAX_CAPABILITIES:
        raise InvalidService("InvalidCapabilities", f"capabilities must be a tuple of 1..{MAX_CAPABILITIES} names")
    for capability in capabilities:
        _validate_text("capability", capability, MAX_CAPABILITY_BYTES)
        if CAPABILITY_PATTERN.fullmatch(capability) is None:
            raise InvalidService("InvalidCapabilities", f"capability {capability!r:.80}")
    _validate_ascending("capabilities", capabilities)


@dataclass(frozen=True, slots=True)
class InvocationPolicy:
    """Who may invoke an agent. SCALE: Option<Vec<H256>> ‖ Option<Vec<u8>> ‖ u32."""

    allowed_callers: tuple[bytes, ...] | None
    """The Auto IDs allowed to invoke (strictly ascending, at most 256); None: anyone with a valid Auto ID."""
    required_action: str | None
    """When set, the caller must present a grant for this action (protocol.identity.delegation), given by the agent,
    one of its creators or co-issuers (or delegated on from one of them), with the caller as its delegate."""
    max_request_bytes: int
    """The largest request accepted (u32)."""

    def __post_init__(self) -> None:
        if self.allowed_callers is not None:
            callers = self.allowed_callers
            if not isinstance(callers, tuple) or len(callers) > MAX_ALLOWED_CALLERS:
                raise InvalidService("InvalidCallers", f"allowed_callers must be a tuple of <= {MAX_ALLOWED_CALLERS}")
            for caller in callers:
                validate_bytes("allowed caller", caller, IDENTIFIER_SIZE)
            _validate_ascending("allowed_callers", callers)
        if self.required_action is not None:
            action = self.required_action
            if (
                not isinstance(action, str)
                or ACTION_PATTERN.fullmatch(action) is None
                or len(action) > MAX_ACTION_BYTES
            ):
                raise InvalidService("InvalidAction", f"required_action {action!r:.80}")
        validate_uint("max_request_bytes", self.max_request_bytes, U32_MAX)

    def to_bytes(self) -> bytes:
        callers = b"\x00"
        if self.allowed_callers is not None:
            callers = b"\x01" + encode_compact(len(self.allowed_callers)) + b"".join(self.allowed_callers)
        action = b"\x00" if self.required_action is None else b"\x01" + encode_vec_u8(self.required_action.encode())
        return callers + action + encode_u32(self.max_request_bytes)

    @classmethod
    def read(cls, reader: Reader) -> InvocationPolicy:
        callers = read_vector(reader, read_identifier) if reader.read_option_tag() else None
        action = _read_text(reader, "required_action") if reader.read_option_tag() else None
        return cls(callers, action, reader.read_u32())


@dataclass(frozen=True, slots=True)
class ServiceDescription:
    """What an agent offers. SCALE: Vec<u8> name ‖ Vec<u8> description ‖ Vec<Vec<u8>> capabilities ‖ Vec<u8>
    endpoint ‖ InvocationPolicy (text in UTF-8)."""

    name: str
    """1..128 UTF-8 bytes."""
    description: str
    """At most 1024 UTF-8 bytes."""
    capabilities: tuple[str, ...]
    """1..32 capability names, strictly ascending; each must be in the agent certificate's metadata."""
    endpoint: str
    """Where the agent is reached (for the Ray layer: the agent actor's name), at most 512 UTF-8 bytes."""
    policy: InvocationPolicy

    def __post_init__(self) -> None:
        _validate_text("name", self.name, MAX_NAME_BYTES)
        if self.name == "":
            raise InvalidService("EmptyName", "a service needs a name")
        _validate_text("description", self.description, MAX_DESCRIPTION_BYTES)
        _validate_capabilities(self.capabilities)
        _validate_text("endpoint", self.endpoint, MAX_ENDPOINT_BYTES)
        if not isinstance(self.policy, InvocationPolicy):
            raise InvalidService("InvalidPolicy", "policy must be an InvocationPolicy")

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                encode_vec_u8(self.name.encode()),
                encode_vec_u8(self.description.encode()),
                encode_compact(len(self.capabilities)),
                *(encode_vec_u8(capability.encode()) for capability in self.capabilities),
                encode_vec_u8(self.endpoint.encode()),
                self.policy.to_bytes(),
            )
        )

    @classmethod
    def read(cls, reader: Reader) -> ServiceDescription:
        name, description = _read_text(reader, "name"), _read_text(reader, "description")
        capabilities = read_vector(reader, lambda inner: _read_text(inner, "capability"))
        return cls(name, description, capabilities, _read_text(reader, "endpoint"), InvocationPolicy.read(reader))


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A registered service as stored: version ‖ registered_at_ms (u64 LE each) ‖ service ‖ Vec alg ‖ Vec sig."""

    version: int
    registered_at_ms: int
    service: ServiceDescription
    signature_algorithm: bytes
    signature: bytes

    def __post_init__(self) -> None:
        validate_uint("version", self.version, U64_MAX)
        validate_uint("registered_at_ms", self.registered_at_ms, U64_MAX)
        if not isinstance(self.service, ServiceDescription):
            raise InvalidService("InvalidService", "service must be a ServiceDescription")
        for name in ("signature_algorithm", "signature"):
            if not isinstance(getattr(self, name), bytes):
                raise InvalidService("NotBytes", f"{name} must be bytes")

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                encode_u64(self.version),
                encode_u64(self.registered_at_ms),
                self.service.to_bytes(),
                encode_vec_u8(self.signature_algorithm),
                encode_vec_u8(self.signature),
            )
        )

    @classmethod
    def read(cls, reader: Reader) -> ServiceRecord:
        version, registered_at_ms = reader.read_u64(), reader.read_u64()
        service = ServiceDescription.read(reader)
        return cls(version, registered_at_ms, service, reader.read_vec_u8(), reader.read_vec_u8())

    @classmethod
    def from_bytes(cls, data: bytes) -> ServiceRecord:
        return decode_exactly(data, "ServiceRecord", cls.read)


def service_message(agent_id: bytes, version: int, service: ServiceDescription) -> bytes:
    """The bytes an agent signs to register `service` as `version`."""
    return SERVICE_TAG + agent_id + encode_u64(version) + service.to_bytes()


# ---- invocation ----


@dataclass(frozen=True, slots=True)
class CallerCredential:
    """A caller's signed request to invoke an agent (the message is `invocation_message`)."""

    caller_id: bytes
    grant_hash: bytes | None
    """The grant presented for the policy's required_action; None when the policy requires none."""
    issued_at_ms: int
    signature_algorithm: bytes
    signature: bytes

    def __post_init__(self) -> None:
        validate_bytes("caller_id", self.caller_id, IDENTIFIER_SIZE)
        if self.grant_hash is not None:
            validate_bytes("grant_hash", self.grant_hash, IDENTIFIER_SIZE)
        validate_uint("issued_at_ms", self.issued_at_ms, U64_MAX)
        for name in ("signature_algorithm", "signature"):
            if not isinstance(getattr(self, name), bytes):
                raise InvalidService("NotBytes", f"{name} must be bytes")


def invocation_message(
    agent_id: bytes, request_hash: bytes, issued_at_ms: int, caller_id: bytes, grant_hash: bytes | None
) -> bytes:
    """The bytes a caller signs: tag ‖ agent_id ‖ blake2_256(request) ‖ u64 issued_at_ms ‖ caller_id ‖ Option<grant>."""
    return (
        INVOKE_TAG
        + agent_id
        + request_hash
        + encode_u64(issued_at_ms)
        + caller_id
        + encode_optional_identifier(grant_hash)
    )


@dataclass(frozen=True, slots=True)
class InvocationTicket:
    """An invocation the registry allowed: what the Ray layer needs to call the agent's actor."""

    agent_id: bytes
    endpoint: str
    request_hash: bytes
    """blake2_256 of the request bytes the caller signed."""
    caller_id: bytes


@dataclass(frozen=True, slots=True)
class AgentListing:
    """One result of `find`."""

    agent_id: bytes
    version: int
    service: ServiceDescription
    score: int | None
    """The agent's reputation value (18 decimals, protocol.identity.reputation), None when unrated."""


# ---- the registry ----
