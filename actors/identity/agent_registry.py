"""The agent registry: agents' signed service descriptions, discovery by capability, policy-checked invocation
tickets and reputation.

PROJECT-DEFINED. Upstream has no agent discovery or invocation (the seeds ask that agents "expose endpoints within a
shared interface" so others discover services and authorised actions, and that invocation be "augmented with a
distributed reputation system"); the registration follows ERC-8004's registration file in spirit (name, description,
services), with the agent's own Auto ID as its identity and its certificate's metadata as the certified truth.

Ownership: the registry owns its KVStore (keys under b"agents/"); it only reads the Auto ID domain's state through the
injected IdentityView (an operator's view: AutoIds, CRLs, co-issuance records, delegation grants). Every change is one
`write_batch`, written after every check has passed, so a refused call leaves the store as it was. The methods are not
re-entrant: the actor that wraps the registry runs them one at a time.

Storage (SCALE values):
- `agents/service/<agent_id>` = ServiceRecord: u64 version ‖ u64 registered_at_ms ‖ ServiceDescription ‖
  Vec<u8> signature_algorithm ‖ Vec<u8> signature (the agent's signature, kept for audit).
- `agents/capability/<capability>/<agent_id>` = b"": the discovery index (capability names hold no "/").
- `agents/feedback/<agent_id><rater_id>` = Feedback (protocol.identity.reputation), the latest per rater.
- `agents/recent/<blake2_256(invocation message)>` = u64 LE issued_at_ms: credentials already used, kept while they
  are inside the replay window (persisted, so a restart opens no replay hole).

Signed messages (each verified with the signer's key from its AutoIds record, protocol.identity.signatures):
- registration, by the agent: `b"autonomys-agent-service" ‖ agent_id ‖ u64 LE version ‖ SCALE(ServiceDescription)`;
  the version must be the next one (1, then +1 per re-registration), so an old registration cannot be replayed.
- invocation, by the caller: `b"autonomys-invoke" ‖ agent_id ‖ blake2_256(request) ‖ u64 LE issued_at_ms ‖ caller_id
  ‖ Option<H256> grant_hash`; the caller and grant are signed too, so a credential cannot be presented for another
  identity sharing the key, or with another grant. A used credential is refused again until it leaves the window
  (keyed by the message, not the signature: an ECDSA signature has two valid forms).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol

from autonomys.actors.storage import KVStore
from autonomys.protocol.codec import (
    encode_u64,
    validate_uint,
)
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.errors import ReasonedError
from autonomys.protocol.identity.agent_services import (
    INVOKE_TAG,
    SERVICE_TAG,
    AgentListing,
    CallerCredential,
    InvalidService,
    InvocationPolicy,
    InvocationTicket,
    ServiceDescription,
    ServiceRecord,
    invocation_message,
    service_message,
)
from autonomys.protocol.identity.agents import (
    CAPABILITY_PATTERN,
    AgentVerification,
    verify_agent,
)
from autonomys.protocol.identity.auto_id import blake2_256, get_auto_id, identity_status
from autonomys.protocol.identity.delegation import (
    MAX_DELEGATION_DEPTH,
    DelegationError,
    authorize,
    get_grant,
)
from autonomys.protocol.identity.reputation import Feedback, ScoreSummary, compute_score, is_feedback_signature_valid
from autonomys.protocol.identity.signatures import verify_signature

SERVICE_PREFIX: Final = b"agents/service/"
CAPABILITY_PREFIX: Final = b"agents/capability/"
FEEDBACK_PREFIX: Final = b"agents/feedback/"
RECENT_PREFIX: Final = b"agents/recent/"
REPLAY_WINDOW_MS: Final = 60_000  # a credential's issued_at_ms must be within this of now, either way
MAX_RECENT_INVOCATIONS: Final = 65_536  # used credentials remembered at once (bounds memory; beyond: refused)
MAX_FIND_LIMIT: Final = 1000
DEFAULT_FIND_LIMIT: Final = 20

# ---- errors (to move to an errors module) ----

AGENT_REGISTRY_ERRORS: Final = (
    "UnknownAgent",  # no service registered for the agent
    "InvalidAgent",  # the agent does not pass verify_agent now (revoked or expired chain, no metadata, ...)
    "InvalidSignature",  # a registration, credential or feedback signature does not verify
    "CapabilityNotCertified",  # a service capability missing from the agent certificate's metadata
    "RequestTooLarge",
    "InvalidCredential",  # the credential names another caller than the one invoking
    "StaleCredential",  # issued_at_ms outside the replay window
    "InvalidCaller",  # the caller is not a valid Auto ID now
    "ReplayedCredential",
    "PolicyDenied",  # not an allowed caller, or no usable grant for the required action
    "ReplayCacheFull",
    "UnknownRater",  # the rater has no AutoIds record (no key to check with)
    "SelfFeedback",  # the rater is the agent, one of its creators or co-issuers
    "FeedbackFromFuture",
    "StaleFeedback",  # not later than the rater's stored feedback
    "InvalidQuery",
)


class AgentRegistryError(ReasonedError):
    """A registration, invocation, rating or query the registry refuses; `reason` is one of AGENT_REGISTRY_ERRORS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in AGENT_REGISTRY_ERRORS:
            raise ValueError(f"not an agent registry error: {reason}")
        super().__init__(reason, detail)


class IdentityView(Protocol):
    """The Auto ID domain's state as an operator serves it (read-only)."""

    def get(self, key: bytes) -> bytes | None: ...


class _ReadOnlyState:
    """An IdentityView where the protocol functions expect an AutoIdStore; they only read through it here."""

    def __init__(self, view: IdentityView) -> None:
        self._view = view

    def get(self, key: bytes) -> bytes | None:
        return self._view.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        raise RuntimeError("the identity view is read-only")

    def delete(self, key: bytes) -> None:
        raise RuntimeError("the identity view is read-only")


def _capability_key(capability: str, agent_id: bytes) -> bytes:
    return CAPABILITY_PREFIX + capability.encode() + b"/" + agent_id


def _listing_order(listing: AgentListing) -> tuple[bool, int, bytes]:
    """Best score first, unrated last, then by agent id."""
    return (listing.score is None, -(listing.score or 0), listing.agent_id)


class AgentRegistry:
    """Registered agent services over a KVStore, checked against the Auto ID state at the injected clock's time."""

    def __init__(
        self,
        store: KVStore,
        identities: IdentityView,
        now_ms: Callable[[], int],
        *,
        max_recent_invocations: int = MAX_RECENT_INVOCATIONS,
    ) -> None:
        self._store = store
        self._state = _ReadOnlyState(identities)
        self._now_ms = now_ms
        self._max_recent = max_recent_invocations
        self._recent = {
            key[len(RECENT_PREFIX) :]: int.from_bytes(value, "little")
            for key, value in store.items_with_prefix(RECENT_PREFIX)
        }

    def _now(self) -> int:
        now = self._now_ms()
        validate_uint("now_ms", now, U64_MAX)
        return now

    # ---- registration and discovery ----

    def get_service(self, agent_id: bytes) -> ServiceRecord | None:
        """The agent's registered service, None when it has none."""
        value = self._store.get(SERVICE_PREFIX + agent_id)
        return None if value is None else ServiceRecord.from_bytes(value)

    def next_version(self, agent_id: bytes) -> int:
        """The version the agent's next registration must sign (1 for the first)."""
        record = self.get_service(agent_id)
        return 1 if record is None else record.version + 1

    def register(
        self, agent_id: bytes, service: ServiceDescription, signature_algorithm: bytes, signature: bytes
    ) -> int:
        """Register (or replace) the agent's service, signed by the agent for `next_version`; returns that version."""
        now = self._now()
        verification = self._verified_agent(agent_id, now)
        record = get_auto_id(self._state, agent_id)
        if record is None or verification.metadata is None:  # verify_agent has checked both: unreachable
            raise AgentRegistryError("InvalidAgent", agent_id.hex())
        version = self.next_version(agent_id)
        message = service_message(agent_id, version, service)
        if not verify_signature(record.subject_public_key_info, signature_algorithm, message, signature):
            raise AgentRegistryError("InvalidSignature", "the agent's registration signature does not verify")
        # The registry lists only what the agent's creator certified it can do.
        uncertified = sorted(set(service.capabilities) - set(verification.metadata.capabilities))
        if len(uncertified) > 0:
            raise AgentRegistryError("CapabilityNotCertified", ", ".join(uncertified))
        previous = self.get_service(agent_id)
        stale = set() if previous is None else set(previous.service.capabilities) - set(service.capabilities)
        items = {_capability_key(capability, agent_id): b"" for capability in service.capabilities}
        items[SERVICE_PREFIX + agent_id] = ServiceRecord(
            version, now, service, signature_algorithm, signature
        ).to_bytes()
        self._store.write_batch(items, [_capability_key(capability, agent_id) for capability in sorted(stale)])
        return version

    def find(
        self, capability: str, *, min_score: int | None = None, limit: int = DEFAULT_FIND_LIMIT
    ) -> list[AgentListing]:
        """Agents offering `capability` that verify now and still have it certified, with a score >= min_score
        (18 decimals) when given; best score first (unrated last), then by id; at most `limit`."""
        if not isinstance(capability, str) or CAPABILITY_PATTERN.fullmatch(capability) is None:
            raise AgentRegistryError("InvalidQuery", f"capability {capability!r:.80}")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_FIND_LIMIT:
            raise AgentRegistryError("InvalidQuery", f"limit must be in 0..{MAX_FIND_LIMIT}")
        if min_score is not None and (isinstance(min_score, bool) or not isinstance(min_score, int)):
            raise AgentRegistryError("InvalidQuery", "min_score must be an int (18 decimals) or None")
        now = self._now()
        listings = []
        prefix = CAPABILITY_PREFIX + capability.encode() + b"/"
        for key, _ in self._store.items_with_prefix(prefix):
            listing = self._listing(key[len(prefix) :], capability, now)
            if listing is not None and (
                min_score is None or (listing.score is not None and listing.score >= min_score)
            ):
                listings.append(listing)
        return sorted(listings, key=_listing_order)[:limit]

    def _listing(self, agent_id: bytes, capability: str, now: int) -> AgentListing | None:
        record = self.get_service(agent_id)
        verification = verify_agent(self._state, agent_id, now)
        # A revoked or expired creator chain, or a renewal that dropped the capability, hides the agent.
        if record is None or not verification.valid or verification.metadata is None:
            return None
        if capability not in verification.metadata.capabilities:
            return None
        return AgentListing(agent_id, record.version, record.service, self._summary(agent_id, now).value)

    # ---- invocation ----

    def invoke(
        self, agent_id: bytes, caller_id: bytes, credential: CallerCredential, request: bytes
    ) -> InvocationTicket:
        """Check `credential` against the agent's policy; the ticket of an allowed invocation, after recording the
        credential as used. AgentRegistryError, nothing recorded, otherwise."""
        now = self._now()
        record = self._require_service(agent_id)
        verification = self._verified_agent(agent_id, now)
        policy = record.service.policy
        if len(request) > policy.max_request_bytes:
            raise AgentRegistryError("RequestTooLarge", f"{len(request)} bytes > {policy.max_request_bytes}")
        request_hash = blake2_256(bytes(request))
        message = self._authenticate_caller(agent_id, caller_id, credential, request_hash, now)
        recent_key = blake2_256(message)
        if recent_key in self._recent:
            raise AgentRegistryError("ReplayedCredential", recent_key.hex())
        self._check_policy(policy, caller_id, credential.grant_hash, verification, now)
        expired = [key for key, issued_at in self._recent.items() if issued_at + REPLAY_WINDOW_MS < now]
        if len(self._recent) - len(expired) >= self._max_recent:
            raise AgentRegistryError("ReplayCacheFull", f"{self._max_recent} credentials inside the window")
        items = {RECENT_PREFIX + recent_key: encode_u64(credential.issued_at_ms)}
        self._store.write_batch(items, [RECENT_PREFIX + key for key in expired])
        for key in expired:
            del self._recent[key]
        self._recent[recent_key] = credential.issued_at_ms
        return InvocationTicket(agent_id, record.service.endpoint, request_hash, caller_id)

    def _authenticate_caller(
        self, agent_id: bytes, caller_id: bytes, credential: CallerCredential, request_hash: bytes, now: int
    ) -> bytes:
        """The signed invocation message, once the credential is the caller's, fresh and signed by its valid key."""
        if credential.caller_id != caller_id:
            raise AgentRegistryError("InvalidCredential", "the credential names another caller")
        # Outside the window a used credential may have been forgotten: refuse it before it could replay.
        if abs(now - credential.issued_at_ms) > REPLAY_WINDOW_MS:
            raise AgentRegistryError("StaleCredential", f"issued at {credential.issued_at_ms}, now {now}")
        status = identity_status(self._state, caller_id, now)
        caller = get_auto_id(self._state, caller_id)
        if not status.valid or caller is None:
            raise AgentRegistryError("InvalidCaller", f"{status.chain[-1].hex()}: {status.reason}")
        message = invocation_message(agent_id, request_hash, credential.issued_at_ms, caller_id, credential.grant_hash)
        key = caller.subject_public_key_info
        if not verify_signature(key, credential.signature_algorithm, message, credential.signature):
            raise AgentRegistryError("InvalidSignature", "the caller's credential signature does not verify")
        return message

    def _check_policy(
        self,
        policy: InvocationPolicy,
        caller_id: bytes,
        grant: bytes | None,
        verification: AgentVerification,
        now: int,
    ) -> None:
        if policy.allowed_callers is not None and caller_id not in policy.allowed_callers:
            raise AgentRegistryError("PolicyDenied", "the caller is not in the agent's allowed callers")
        if policy.required_action is None:
            return
        if grant is None:
            raise AgentRegistryError("PolicyDenied", f"a grant for {policy.required_action!r} is required")
        signed = get_grant(self._state, grant)
        if signed is None or signed.grant.delegate != caller_id:
            raise AgentRegistryError("PolicyDenied", "the grant is unknown or not delegated to the caller")
        try:
            # Amount 0: a permission check, which writes nothing.
            authorize(self._state, grant, policy.required_action, 0, now)
        except DelegationError as error:
            raise AgentRegistryError("PolicyDenied", f"grant refused: {error.detail}") from error
        # Authority over the agent comes from the agent, its creators and co-issuers, not from any Auto ID.
        authorities = set(verification.chain) | set(verification.co_issuers)
        if self._grant_root_delegator(grant) not in authorities:
            raise AgentRegistryError("PolicyDenied", "the grant does not come from the agent or its creators")

    def _grant_root_delegator(self, grant: bytes) -> bytes | None:
        """The delegator of the first grant in the chain ending at `grant` (authorize has checked the chain)."""
        current: bytes | None = grant
        for _ in range(MAX_DELEGATION_DEPTH):
            signed = get_grant(self._state, current) if current is not None else None
            if signed is None:
                return None
            if signed.grant.parent is None:
                return signed.grant.delegator
            current = signed.grant.parent
        return None

    # ---- reputation ----

    def rate(self, feedback: Feedback) -> None:
        """Store the rater's signed feedback on a registered agent, replacing its earlier one; re-sending the stored
        feedback is a no-op. Any rater with a registered key may rate; `reputation` weighs only valid ones."""
        now = self._now()
        agent_id, rater_id = feedback.agent_id, feedback.rater_id
        self._require_service(agent_id)
        rater = get_auto_id(self._state, rater_id)
        if rater is None:
            raise AgentRegistryError("UnknownRater", rater_id.hex())
        if not is_feedback_signature_valid(feedback, rater.subject_public_key_info):
            raise AgentRegistryError("InvalidSignature", "the rater's feedback signature does not verify")
        verification = verify_agent(self._state, agent_id, now)
        # ERC-8004: the agent's owner does not rate its own agent.
        if rater_id in set(verification.chain) | set(verification.co_issuers) | {agent_id}:
            raise AgentRegistryError("SelfFeedback", "the agent, its creators and co-issuers cannot rate it")
        if feedback.issued_at_ms > now + REPLAY_WINDOW_MS:
            raise AgentRegistryError("FeedbackFromFuture", f"issued at {feedback.issued_at_ms}, now {now}")
        key = FEEDBACK_PREFIX + agent_id + rater_id
        stored = self._store.get(key)
        if stored == feedback.to_bytes():
            return
        if stored is not None and Feedback.from_bytes(stored).issued_at_ms >= feedback.issued_at_ms:
            raise AgentRegistryError("StaleFeedback", "a feedback at least as recent is stored")
        self._store.write_batch({key: feedback.to_bytes()})

    def reputation(self, agent_id: bytes) -> ScoreSummary:
        """The agent's score now: its raters' latest feedback, weight 1 for a rater whose Auto ID is valid now
        (identity_status, the whole issuer chain), 0 otherwise."""
        self._require_service(agent_id)
        return self._summary(agent_id, self._now())

    def _summary(self, agent_id: bytes, now: int) -> ScoreSummary:
        feedbacks = [
            Feedback.from_bytes(value) for _, value in self._store.items_with_prefix(FEEDBACK_PREFIX + agent_id)
        ]

        def weight(rater_id: bytes) -> int:
            return 1 if identity_status(self._state, rater_id, now).valid else 0

        return compute_score(feedbacks, weight)

    # ---- shared checks ----

    def _require_service(self, agent_id: bytes) -> ServiceRecord:
        record = self.get_service(agent_id)
        if record is None:
            raise AgentRegistryError("UnknownAgent", agent_id.hex())
        return record

    def _verified_agent(self, agent_id: bytes, now: int) -> AgentVerification:
        verification = verify_agent(self._state, agent_id, now)
        if not verification.valid:
            failed = "" if verification.failed_id is None else verification.failed_id.hex()
            raise AgentRegistryError("InvalidAgent", f"{failed}: {verification.reason}")
        return verification


__all__ = [
    "AGENT_REGISTRY_ERRORS",
    "CAPABILITY_PREFIX",
    "FEEDBACK_PREFIX",
    "INVOKE_TAG",
    "RECENT_PREFIX",
    "REPLAY_WINDOW_MS",
    "SERVICE_PREFIX",
    "SERVICE_TAG",
    "AgentListing",
    "AgentRegistry",
    "AgentRegistryError",
    "CallerCredential",
    "IdentityView",
    "InvalidService",
    "InvocationPolicy",
    "InvocationTicket",
    "ServiceDescription",
    "ServiceRecord",
    "invocation_message",
    "service_message",
]
