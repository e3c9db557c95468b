"""actors.identity.agent_registry and protocol.identity.reputation: registered agent services, discovery, invocation
under a policy, reputation from verified raters (project-defined).

The world: a person `alice` (root) created two agents with certificate metadata; `bob` (the caller, a P-256 key, so
its signatures are randomized), `carol` and `dave` (raters) and `mallory` are other roots. The Auto ID domain state is
a dict filled by the pallet functions; the registry's own store is a MemoryKVStore (a RocksKVStore for restarts).
Certificates are valid 2025-01-01 .. 2030-01-01 and the clock stands inside. Every refusal is checked by name with
both stores left exactly as they were.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from autonomys.actors.identity.agent_registry import (
    AGENT_REGISTRY_ERRORS,
    CAPABILITY_PREFIX,
    FEEDBACK_PREFIX,
    RECENT_PREFIX,
    REPLAY_WINDOW_MS,
    SERVICE_PREFIX,
    AgentRegistry,
    AgentRegistryError,
    CallerCredential,
    InvocationPolicy,
    InvocationTicket,
    ServiceDescription,
    invocation_message,
    service_message,
)
from autonomys.actors.identity.certificates import (
    PrivateKey,
    Validity,
    algorithm_identifier,
    certificate_der,
    issue_certificate,
    new_key,
    sign,
)
from autonomys.actors.storage import MemoryKVStore, RocksKVStore
from autonomys.protocol.identity.agents import (
    AGENT_METADATA_OID,
    AgentMetadata,
    CoIssuance,
    co_issuance_message,
    encode_agent_metadata,
    put_co_issuance,
)
from autonomys.protocol.identity.auto_id import (
    REVOKE_CERTIFICATE,
    blake2_256,
    encode_action_message,
    get_auto_id,
    identity_status,
    register_auto_id,
    registration_of,
    revoke_certificate,
)
from autonomys.protocol.identity.auto_id_types import Signature
from autonomys.protocol.identity.delegation import (
    Grant,
    SignedGrant,
    grant_message,
    put_grant,
    revocation_message,
    revoke_grant,
)
from autonomys.protocol.identity.reputation import (
    NO_FEEDBACK_FILE,
    Feedback,
    feedback_message,
    is_feedback_signature_valid,
)
from helpers.auto_id_fixtures import MemoryStore as DictState

VALIDITY = Validity(datetime.datetime(2025, 1, 1), datetime.datetime(2030, 1, 1))
NOW = 1_760_000_000_000
DAY = 86_400_000
UNIT = 10**18  # one, in the 18-decimal fixed point of scores
SEARCHER = AgentMetadata.of("search the web", ["search", "summarize"], "https://searcher.example/a2a")
TRANSLATOR = AgentMetadata.of("translate and search", ["search", "translate"], "https://translator.example/a2a")
OPEN = InvocationPolicy(None, None, 1024)




@dataclass
class Clock:
    now: int = NOW

    def __call__(self) -> int:
        return self.now


class CountingStore(MemoryKVStore):
    """A MemoryKVStore that counts its writes, to check that every change is one write_batch."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0
        self.single_writes = 0

    def write_batch(self, items: Mapping[bytes, bytes], deletes: Iterable[bytes] = ()) -> None:
        self.batches += 1
        super().write_batch(items, deletes)

    def put(self, key: bytes, value: bytes) -> None:
        self.single_writes += 1
        super().put(key, value)

    def delete(self, key: bytes) -> None:
        self.single_writes += 1
        super().delete(key)


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    names = ("alice", "searcher", "translator", "bob", "carol", "dave", "mallory")
    return {name: new_key("p256" if name == "bob" else "ed25519") for name in names}


def metadata_extension(metadata: AgentMetadata) -> tuple[x509.ExtensionType, bool]:
    return x509.UnrecognizedExtension(ObjectIdentifier(AGENT_METADATA_OID), encode_agent_metadata(metadata)), False


def service(
    capabilities: tuple[str, ...], policy: InvocationPolicy = OPEN, endpoint: str = "actor:agent"
) -> ServiceDescription:
    return ServiceDescription("agent", "does things", capabilities, endpoint, policy)


@dataclass
class World:
    state: DictState
    store: CountingStore
    clock: Clock
    keys: dict[str, PrivateKey]
    ids: dict[str, bytes]
    registry: AgentRegistry

    def signature(self, signer: str, message: bytes) -> tuple[bytes, bytes]:
        key = self.keys[signer]
        return algorithm_identifier(key), sign(key, message)

    def register(self, agent: str, description: ServiceDescription, signer: str | None = None) -> int:
        agent_id = self.ids[agent]
        message = service_message(agent_id, self.registry.next_version(agent_id), description)
        return self.registry.register(agent_id, description, *self.signature(signer or agent, message))

    def credential(
        self, caller: str, agent: str, request: bytes, *, issued_at: int = NOW, grant: bytes | None = None
    ) -> CallerCredential:
        caller_id = self.ids[caller]
        message = invocation_message(self.ids[agent], blake2_256(request), issued_at, caller_id, grant)
        return CallerCredential(caller_id, grant, issued_at, *self.signature(caller, message))

    def invoke(self, caller: str, agent: str, request: bytes = b"hello", **options: object) -> InvocationTicket:
        credential = self.credential(caller, agent, request, **options)  # type: ignore[arg-type]
        return self.registry.invoke(self.ids[agent], self.ids[caller], credential, request)

    def feedback(self, rater: str, agent: str, value: int, *, signer: str | None = None, **fields: object) -> Feedback:
        unsigned = Feedback(self.ids[agent], self.ids[rater], value, 0, "", "", "", NO_FEEDBACK_FILE, NOW, b"", b"")
        unsigned = replace(unsigned, **fields)  # type: ignore[arg-type]
        algorithm, value_signature = self.signature(signer or rater, feedback_message(unsigned))
        return replace(unsigned, signature_algorithm=algorithm, signature=value_signature)

    def revoke(self, subject: str, issuer: str) -> None:
        record = get_auto_id(self.state, self.ids[issuer])
        assert record is not None
        message = encode_action_message(self.ids[subject], record.nonce, REVOKE_CERTIFICATE)
        algorithm, value = self.signature(issuer, message)
        revoke_certificate(self.state, self.ids[subject], Signature(algorithm, value), NOW)

    def grant(self, delegator: str, delegate: str, *, parent: bytes | None = None, redelegate: bool = False) -> bytes:
        grant = Grant(
            self.ids[delegator], self.ids[delegate], ("invoke:search",), 0, 0, NOW + DAY, redelegate, parent, 0
        )
        algorithm, value = self.signature(delegator, grant_message(grant))
        return put_grant(self.state, SignedGrant(grant, algorithm, value), NOW)

    def revoke_grant(self, grant: bytes, delegator: str) -> None:
        revoke_grant(self.state, grant, Signature(*self.signature(delegator, revocation_message(grant))), NOW)

    def rejects(self, reason: str, call: Callable[[], object]) -> AgentRegistryError:
        """`call` raises AgentRegistryError `reason` and leaves both stores as they were."""
        snapshot, state = dict(self.store.data), dict(self.state.data)
        with pytest.raises(AgentRegistryError) as raised:
            call()
        assert raised.value.reason == reason
        assert self.store.data == snapshot
        assert self.state.data == state
        return raised.value


@pytest.fixture
def world(keys: dict[str, PrivateKey]) -> World:
    state, clock = DictState(), Clock()
    roots = ("alice", "bob", "carol", "dave", "mallory")
    certificates = {name: issue_certificate(name, keys[name], VALIDITY, serial=i + 1) for i, name in enumerate(roots)}
    ids = {
        name: register_auto_id(state, registration_of(certificate_der(c), None), NOW)
        for name, c in certificates.items()
    }
    for serial, (name, metadata) in enumerate((("searcher", SEARCHER), ("translator", TRANSLATOR)), start=10):
        issuer = (certificates["alice"], keys["alice"])
        extension = (metadata_extension(metadata),)
        agent = issue_certificate(name, keys[name], VALIDITY, issuer=issuer, serial=serial, extensions=extension)
        ids[name] = register_auto_id(state, registration_of(certificate_der(agent), ids["alice"]), NOW)
    store = CountingStore()
    world = World(state, store, clock, keys, ids, AgentRegistry(store, state, clock))
    world.register("searcher", service(("search", "summarize"), endpoint="actor:searcher"))
    world.register("translator", service(("search", "translate"), endpoint="actor:translator"))
    return world


def found(world: World, capability: str, **options: object) -> list[bytes]:
    return [listing.agent_id for listing in world.registry.find(capability, **options)]  # type: ignore[arg-type]


# ---- registration and discovery ----


def test_register_and_find_by_capability(world: World) -> None:
    searcher, translator = world.ids["searcher"], world.ids["translator"]
    assert set(found(world, "search")) == {searcher, translator}
    assert found(world, "summarize") == [searcher]
    assert found(world, "translate") == [translator]
    assert found(world, "cooking") == []
    record = world.registry.get_service(searcher)
    assert record is not None and (record.version, record.registered_at_ms) == (1, NOW)
    assert record.service.endpoint == "actor:searcher"
    assert world.store.get(CAPABILITY_PREFIX + b"summarize/" + searcher) == b""
    listing = world.registry.find("summarize")[0]
    assert (listing.version, listing.service, listing.score) == (1, record.service, None)


def test_every_change_is_one_write_batch(world: World) -> None:
    batches = world.store.batches
    world.register("searcher", service(("search",)))
    world.invoke("bob", "searcher")
    world.registry.rate(world.feedback("carol", "searcher", 5))
    assert (world.store.batches - batches, world.store.single_writes) == (3, 0)
    assert all(key.startswith(b"agents/") for key in world.store.data)


def test_re_registration_replaces_and_old_signatures_do_not_replay(world: World) -> None:
    searcher = world.ids["searcher"]
    first = world.registry.get_service(searcher)
    assert first is not None
    assert world.register("searcher", service(("summarize",), endpoint="actor:searcher-v2")) == 2
    record = world.registry.get_service(searcher)
    assert record is not None and (record.version, record.service.endpoint) == (2, "actor:searcher-v2")
    assert found(world, "search") == [world.ids["translator"]]
    assert world.store.get(CAPABILITY_PREFIX + b"search/" + searcher) is None
    # The version-1 registration, signed by the agent, does not roll the service back.
    world.rejects(
        "InvalidSignature",
        lambda: world.registry.register(searcher, first.service, first.signature_algorithm, first.signature),
    )
    assert world.registry.next_version(searcher) == 3


def test_only_certified_capabilities_register(world: World) -> None:
    world.rejects("CapabilityNotCertified", lambda: world.register("searcher", service(("search", "translate"))))
    world.rejects("InvalidSignature", lambda: world.register("searcher", service(("search",)), signer="alice"))
    world.rejects("InvalidAgent", lambda: world.register("alice", service(("search",))))  # a root: no creator


def test_a_revoked_creator_removes_its_agents(world: World) -> None:
    world.revoke("alice", "alice")
    assert found(world, "search") == []
    world.rejects("InvalidAgent", lambda: world.invoke("bob", "searcher"))
    world.rejects("InvalidAgent", lambda: world.register("searcher", service(("search",))))


def test_an_agent_revoked_by_its_creator_is_not_found(world: World) -> None:
    world.revoke("searcher", "alice")
    assert found(world, "search") == [world.ids["translator"]]


def test_find_orders_by_score_then_id_and_filters(world: World) -> None:
    searcher, translator = world.ids["searcher"], world.ids["translator"]
    unrated = sorted([searcher, translator])
    assert found(world, "search") == unrated
    world.registry.rate(world.feedback("carol", "translator", 90))
    world.registry.rate(world.feedback("carol", "searcher", 40))
    assert found(world, "search") == [translator, searcher]
    assert found(world, "search", min_score=50 * UNIT) == [translator]
    assert found(world, "search", min_score=40 * UNIT) == [translator, searcher]
    assert found(world, "search", limit=1) == [translator]
    assert found(world, "search", limit=0) == []
    assert world.registry.find("search")[0].score == 90 * UNIT
    world.rejects("InvalidQuery", lambda: world.registry.find("search", limit=1001))
    world.rejects("InvalidQuery", lambda: world.registry.find("search", min_score=1.5))  # type: ignore[arg-type]


# ---- invocation ----


def test_an_open_policy_lets_any_valid_auto_id_invoke(world: World) -> None:
    ticket = world.invoke("bob", "searcher", b"find cats")
    assert ticket == InvocationTicket(
        world.ids["searcher"], "actor:searcher", blake2_256(b"find cats"), world.ids["bob"]
    )
    assert len(list(world.store.items_with_prefix(RECENT_PREFIX))) == 1
    world.invoke("carol", "searcher", b"find cats")  # another caller, another credential


def test_allowed_callers(world: World) -> None:
    allowed = tuple(sorted([world.ids["carol"], world.ids["dave"]]))
    world.register("searcher", service(("search",), InvocationPolicy(allowed, None, 1024)))
    world.rejects("PolicyDenied", lambda: world.invoke("bob", "searcher"))
    world.invoke("carol", "searcher")


def test_request_size_limit(world: World) -> None:
    world.register("searcher", service(("search",), InvocationPolicy(None, None, 8)))
    world.invoke("bob", "searcher", b"x" * 8)
    world.rejects("RequestTooLarge", lambda: world.invoke("bob", "searcher", b"x" * 9))


def test_a_required_action_needs_a_usable_grant_from_the_agents_authority(world: World) -> None:
    world.register("searcher", service(("search",), InvocationPolicy(None, "invoke:search", 1024)))
    world.rejects("PolicyDenied", lambda: world.invoke("bob", "searcher"))  # no grant
    from_creator = world.grant("alice", "bob", redelegate=True)
    world.invoke("bob", "searcher", grant=from_creator)
    # Delegated on by bob: the chain still starts at the creator.
    sub_grant = world.grant("bob", "carol", parent=from_creator)
    world.invoke("carol", "searcher", grant=sub_grant)
    # Someone else's grant, or a grant from an Auto ID with no authority over the agent, does not count.
    world.rejects("PolicyDenied", lambda: world.invoke("dave", "searcher", b"other", grant=from_creator))
    from_stranger = world.grant("mallory", "dave")
    world.rejects("PolicyDenied", lambda: world.invoke("dave", "searcher", grant=from_stranger))
    from_agent = world.grant("searcher", "dave")
    world.invoke("dave", "searcher", b"by the agent's own grant", grant=from_agent)
    # A revoked grant falls with its sub-grants.
    world.revoke_grant(from_creator, "alice")
    error = world.rejects("PolicyDenied", lambda: world.invoke("bob", "searcher", b"again", grant=from_creator))
    assert "Revoked" in error.detail
    world.rejects("PolicyDenied", lambda: world.invoke("carol", "searcher", b"again", grant=sub_grant))


def test_credentials_are_bound_fresh_and_single_use(world: World) -> None:
    credential = world.credential("bob", "searcher", b"req")
    agent, bob = world.ids["searcher"], world.ids["bob"]
    world.rejects("InvalidSignature", lambda: world.registry.invoke(agent, bob, credential, b"other request"))
    swapped_grant = replace(credential, grant_hash=b"\x05" * 32)
    world.rejects("InvalidSignature", lambda: world.registry.invoke(agent, bob, swapped_grant, b"req"))
    world.rejects("InvalidSignature", lambda: world.registry.invoke(world.ids["translator"], bob, credential, b"req"))
    world.registry.invoke(agent, bob, credential, b"req")
    world.rejects("ReplayedCredential", lambda: world.registry.invoke(agent, bob, credential, b"req"))
    # P-256 signatures are randomized: a second signature of the same message is the same credential.
    resigned = world.credential("bob", "searcher", b"req")
    assert resigned.signature != credential.signature
    world.rejects("ReplayedCredential", lambda: world.registry.invoke(agent, bob, resigned, b"req"))
    world.clock.now = NOW + REPLAY_WINDOW_MS
    world.rejects("ReplayedCredential", lambda: world.registry.invoke(agent, bob, credential, b"req"))
    world.clock.now = NOW + REPLAY_WINDOW_MS + 1
    world.rejects("StaleCredential", lambda: world.registry.invoke(agent, bob, credential, b"req"))


def test_used_credentials_are_forgotten_after_the_window(world: World) -> None:
    world.invoke("bob", "searcher", b"one")
    world.invoke("bob", "searcher", b"two", issued_at=NOW + 30_000)
    world.clock.now = NOW + REPLAY_WINDOW_MS + 1
    world.invoke("bob", "searcher", b"three", issued_at=world.clock.now)
    recent = [int.from_bytes(value, "little") for _, value in world.store.items_with_prefix(RECENT_PREFIX)]
    assert sorted(recent) == [NOW + 30_000, NOW + REPLAY_WINDOW_MS + 1]


# ---- reputation ----


def test_feedback_from_verified_raters_moves_the_score_and_revoked_raters_do_not(world: World) -> None:
    searcher = world.ids["searcher"]
    assert world.registry.reputation(searcher).value is None
    world.registry.rate(world.feedback("carol", "searcher", 80))
    assert world.registry.reputation(searcher).value == 80 * UNIT
    world.registry.rate(world.feedback("dave", "searcher", 20, value_decimals=0, tag1="speed"))
    summary = world.registry.reputation(searcher)
    assert (summary.count, summary.weighted_count, summary.value) == (2, 2, 50 * UNIT)
    world.revoke("dave", "dave")
    summary = world.registry.reputation(searcher)
    assert (summary.count, summary.weighted_count, summary.value) == (2, 1, 80 * UNIT)
    # A rater revoked before rating is stored but weighs nothing.
    world.revoke("mallory", "mallory")
    world.registry.rate(world.feedback("mallory", "searcher", -100))
    assert world.registry.reputation(searcher).value == 80 * UNIT
    assert world.registry.reputation(searcher).count == 3


def test_a_later_feedback_replaces_and_resending_is_a_no_op(world: World) -> None:
    first = world.feedback("carol", "searcher", 10)
    world.registry.rate(first)
    world.registry.rate(first)
    world.registry.rate(world.feedback("carol", "searcher", 30, issued_at_ms=NOW + 1))
    assert world.registry.reputation(world.ids["searcher"]).value == 30 * UNIT
    world.rejects("StaleFeedback", lambda: world.registry.rate(first))
    keys = [key for key, _ in world.store.items_with_prefix(FEEDBACK_PREFIX)]
    assert keys == [FEEDBACK_PREFIX + world.ids["searcher"] + world.ids["carol"]]


def test_feedback_signature_is_the_raters(world: World) -> None:
    forged = world.feedback("carol", "searcher", 100, signer="dave")
    carol = get_auto_id(world.state, world.ids["carol"])
    assert carol is not None and not is_feedback_signature_valid(forged, carol.subject_public_key_info)
    world.rejects("InvalidSignature", lambda: world.registry.rate(forged))
    tampered = replace(world.feedback("carol", "searcher", 1), value=100)
    world.rejects("InvalidSignature", lambda: world.registry.rate(tampered))


def test_creators_and_the_agent_cannot_rate_it(world: World) -> None:
    world.rejects("SelfFeedback", lambda: world.registry.rate(world.feedback("alice", "searcher", 100)))
    world.rejects("SelfFeedback", lambda: world.registry.rate(world.feedback("searcher", "searcher", 100)))
    world.registry.rate(world.feedback("translator", "searcher", 100))  # a sibling is not a creator


def test_co_issuers_have_authority_and_a_revoked_co_issuer_hides_the_agent(world: World) -> None:
    searcher = world.ids["searcher"]
    issuers = tuple(sorted([world.ids["alice"], world.ids["mallory"]]))
    record = get_auto_id(world.state, searcher)
    assert record is not None
    message = co_issuance_message(searcher, record.subject_public_key_info, issuers)
    names = {world.ids["alice"]: "alice", world.ids["mallory"]: "mallory"}
    signatures = tuple(Signature(*world.signature(names[issuer], message)) for issuer in issuers)
    put_co_issuance(world.state, CoIssuance(searcher, issuers, signatures), NOW)
    world.register("searcher", service(("search",), InvocationPolicy(None, "invoke:search", 1024)))
    world.invoke("bob", "searcher", grant=world.grant("mallory", "bob"))
    world.rejects("SelfFeedback", lambda: world.registry.rate(world.feedback("mallory", "searcher", 1)))
    world.revoke("mallory", "mallory")
    # The creator chain is still valid; the co-issuer is not, so the agent is not.
    assert identity_status(world.state, searcher, NOW).valid
    assert found(world, "search") == [world.ids["translator"]]


# ---- every error by name ----


def _replay_cache_full(world: World) -> Callable[[], object]:
    world.invoke("bob", "searcher", b"one")
    world.registry = AgentRegistry(world.store, world.state, world.clock, max_recent_invocations=1)
    return lambda: world.invoke("bob", "searcher", b"two")


def _stale_feedback(world: World) -> Callable[[], object]:
    world.registry.rate(world.feedback("carol", "searcher", 1))
    return lambda: world.registry.rate(world.feedback("carol", "searcher", 2, issued_at_ms=NOW - 1))


def _replayed(world: World) -> Callable[[], object]:
    world.invoke("bob", "searcher")
    return lambda: world.invoke("bob", "searcher")


def _invalid_caller(world: World) -> Callable[[], object]:
    world.revoke("dave", "dave")
    return lambda: world.invoke("dave", "searcher")


def _policy_denied(world: World) -> Callable[[], object]:
    world.register("searcher", service(("search",), InvocationPolicy((), None, 1024)))
    return lambda: world.invoke("bob", "searcher")


def _invalid_credential(world: World) -> Callable[[], object]:
    credential = world.credential("carol", "searcher", b"x")
    return lambda: world.registry.invoke(world.ids["searcher"], world.ids["bob"], credential, b"x")


def _unknown_rater(world: World) -> Callable[[], object]:
    feedback = replace(world.feedback("carol", "searcher", 1), rater_id=b"\x07" * 32)
    return lambda: world.registry.rate(feedback)


ERROR_CASES: dict[str, Callable[[World], Callable[[], object]]] = {
    "UnknownAgent": lambda w: lambda: w.registry.reputation(w.ids["alice"]),
    "InvalidAgent": lambda w: lambda: w.register("bob", service(("search",))),
    "InvalidSignature": lambda w: lambda: w.register("searcher", service(("search",)), signer="translator"),
    "CapabilityNotCertified": lambda w: lambda: w.register("translator", service(("summarize",))),
    "RequestTooLarge": lambda w: lambda: w.invoke("bob", "searcher", b"x" * 1025),
    "InvalidCredential": _invalid_credential,
    "StaleCredential": lambda w: lambda: w.invoke("bob", "searcher", issued_at=NOW - REPLAY_WINDOW_MS - 1),
    "InvalidCaller": _invalid_caller,
    "ReplayedCredential": _replayed,
    "PolicyDenied": _policy_denied,
    "ReplayCacheFull": _replay_cache_full,
    "UnknownRater": _unknown_rater,
    "SelfFeedback": lambda w: lambda: w.registry.rate(w.feedback("alice", "translator", 1)),
    "FeedbackFromFuture": lambda w: (
        lambda: w.registry.rate(w.feedback("carol", "searcher", 1, issued_at_ms=NOW + REPLAY_WINDOW_MS + 1))
    ),
    "StaleFeedback": _stale_feedback,
    "InvalidQuery": lambda w: lambda: w.registry.find("Not A Capability"),
}


def test_every_error_has_a_case() -> None:
    assert list(ERROR_CASES) == list(AGENT_REGISTRY_ERRORS)
    with pytest.raises(ValueError, match="not an agent registry error"):
        AgentRegistryError("Nonsense")


@pytest.mark.parametrize("reason", AGENT_REGISTRY_ERRORS)
def test_every_error_by_name_leaves_the_store_unchanged(world: World, reason: str) -> None:
    world.rejects(reason, ERROR_CASES[reason](world))


# ---- restarts ----


def test_state_survives_a_restart_of_a_rocksdb_store(world: World, tmp_path: Path) -> None:
    path = tmp_path / "agents"
    store = RocksKVStore(path)
    world.registry = AgentRegistry(store, world.state, world.clock)
    world.register("searcher", service(("search", "summarize"), endpoint="actor:searcher"))
    world.register("searcher", service(("summarize",), endpoint="actor:searcher-v2"))
    world.registry.rate(world.feedback("carol", "searcher", 70))
    credential = world.credential("bob", "searcher", b"req")
    world.registry.invoke(world.ids["searcher"], world.ids["bob"], credential, b"req")
    before = dict(store.items_with_prefix(b""))
    store.close()

    reopened = RocksKVStore(path)
    registry = AgentRegistry(reopened, world.state, world.clock)
    assert dict(reopened.items_with_prefix(b"")) == before
    assert set(before) >= {SERVICE_PREFIX + world.ids["searcher"]}
    assert registry.next_version(world.ids["searcher"]) == 3
    assert [listing.agent_id for listing in registry.find("summarize")] == [world.ids["searcher"]]
    assert registry.find("search") == []
    assert registry.reputation(world.ids["searcher"]).value == 70 * UNIT
    with pytest.raises(AgentRegistryError) as raised:  # no replay hole across a restart
        registry.invoke(world.ids["searcher"], world.ids["bob"], credential, b"req")
    assert raised.value.reason == "ReplayedCredential"
    assert dict(reopened.items_with_prefix(b"")) == before
    reopened.close()
