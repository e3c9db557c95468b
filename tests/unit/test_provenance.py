"""protocol.identity.provenance (PROJECT-DEFINED): DSN objects signed by Auto IDs, their on-chain records and lineage.

Identities are generated here (Ed25519 root, P-256 leaf) and registered through the pallet core at a fixed clock;
the certificates are valid 2025-01-01 .. 2030-01-01.
"""

from __future__ import annotations

import datetime
import functools
import pickle
from collections.abc import Callable
from dataclasses import dataclass, replace

import blake3
import pytest
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
from autonomys.protocol.identity.auto_id import (
    DEACTIVATE_AUTO_ID,
    IDS_PREFIX,
    REVOKE_CERTIFICATE,
    deactivate_auto_id,
    encode_action_message,
    get_auto_id,
    register_auto_id,
    registration_of,
    revoke_certificate,
)
from autonomys.protocol.identity.auto_id_types import AutoIdRecord, Signature
from autonomys.protocol.identity.provenance import (
    MAX_PARENTS,
    PROVENANCE_REASONS,
    RECORD_PREFIX,
    REVOKED_AT_PREFIX,
    VALID,
    ProvenanceError,
    ProvenanceRecord,
    StoredProvenance,
    canonical_parents,
    compute_content_id,
    encode_provenance_message,
    get_provenance,
    get_revocation_time,
    lineage,
    note_revocation,
    put_provenance,
    signer_status_at,
    verify_provenance,
)
from helpers.auto_id_fixtures import MemoryStore

NOT_BEFORE_MS, NOT_AFTER_MS = 1735689600000, 1893456000000  # 2025-01-01, 2030-01-01
NOW = 1_760_000_000_000
VALIDITY = Validity(datetime.datetime(2025, 1, 1), datetime.datetime(2030, 1, 1))




@dataclass(frozen=True)
class Identities:
    root_key: PrivateKey
    leaf_key: PrivateKey
    root_certificate: bytes
    leaf_certificate: bytes


@dataclass
class World:
    store: MemoryStore
    root: bytes
    leaf: bytes
    keys: Identities


@pytest.fixture(scope="module")
def identities() -> Identities:
    root_key, leaf_key = new_key("ed25519"), new_key("p256")
    root = issue_certificate("Provenance Root", root_key, VALIDITY, serial=1)
    leaf = issue_certificate("Camera 7", leaf_key, VALIDITY, issuer=(root, root_key), serial=2)
    return Identities(root_key, leaf_key, certificate_der(root), certificate_der(leaf))


@pytest.fixture
def world(identities: Identities) -> World:
    store = MemoryStore()
    root = register_auto_id(store, registration_of(identities.root_certificate), NOW)
    leaf = register_auto_id(store, registration_of(identities.leaf_certificate, root), NOW)
    return World(store, root, leaf, identities)


def signed(
    key: PrivateKey, signer: bytes, content: bytes, parents: tuple[bytes, ...] = (), signed_at: int = NOW
) -> ProvenanceRecord:
    content_id = compute_content_id(content)
    ordered = canonical_parents(parents)
    message = encode_provenance_message(content_id, signer, ordered, signed_at)
    return ProvenanceRecord(content_id, signer, ordered, signed_at, algorithm_identifier(key), sign(key, message))


def revoke_leaf(world: World) -> None:
    nonce = get_auto_id(world.store, world.root)
    assert nonce is not None
    message = encode_action_message(world.leaf, nonce.nonce, REVOKE_CERTIFICATE)
    key = world.keys.root_key
    revoke_certificate(world.store, world.leaf, Signature(algorithm_identifier(key), sign(key, message)), NOW)


def revoke_root(world: World) -> None:
    root = get_auto_id(world.store, world.root)
    assert root is not None
    message = encode_action_message(world.root, root.nonce, REVOKE_CERTIFICATE)
    key = world.keys.root_key
    revoke_certificate(world.store, world.root, Signature(algorithm_identifier(key), sign(key, message)), NOW)


def refuses(store: MemoryStore, reason: str, call: Callable[[], object]) -> None:
    snapshot = dict(store.data)
    with pytest.raises(ProvenanceError) as raised:
        call()
    assert raised.value.reason == reason
    assert store.data == snapshot


# ---- encodings ----


def test_message_and_encoding_bytes() -> None:
    parents = (bytes([1]) * 32, bytes([2]) * 32)
    algorithm = bytes.fromhex("300506032b6570")
    record = ProvenanceRecord(b"\x11" * 32, b"\x22" * 32, parents, 0x0102030405060708, algorithm, b"\xaa" * 3)
    message = b"autonomys-provenance" + b"\x11" * 32 + b"\x22" * 32 + b"\x08" + parents[0] + parents[1]
    assert record.signed_message() == message + bytes.fromhex("0807060504030201")
    body = b"\x11" * 32 + b"\x22" * 32 + b"\x08" + parents[0] + parents[1] + bytes.fromhex("0807060504030201")
    encoded = body + b"\x1c" + algorithm + b"\x0c" + b"\xaa" * 3
    assert record.to_bytes() == encoded
    assert ProvenanceRecord.from_bytes(encoded) == record
    stored = StoredProvenance(record, 5)
    assert stored.to_bytes() == encoded + (5).to_bytes(8, "little")
    assert StoredProvenance.from_bytes(stored.to_bytes()) == stored


def test_content_id_is_the_dsn_object_id() -> None:
    from autonomys.protocol.objects.mappings import MAX_OBJECT_CHUNK_SIZE, encode_object_chunk, plan_object

    assert compute_content_id(b"hello") == blake3.blake3(encode_object_chunk(b"hello")).digest()
    large = bytes(MAX_OBJECT_CHUNK_SIZE + 1)
    assert compute_content_id(large) == plan_object(large).object_id  # the manifest's id


def test_parents_must_be_canonical() -> None:
    one, two = bytes([1]) * 32, bytes([2]) * 32
    assert canonical_parents([two, one, two]) == (one, two)
    base = ProvenanceRecord(bytes(32), bytes(32), (), 0, b"", b"")
    for parents in ((two, one), (one, one), tuple(bytes([i]) * 32 for i in range(MAX_PARENTS + 1)), (b"short",)):
        with pytest.raises(DecodeError):
            replace(base, parents=parents)
    sixteen = tuple(bytes([i]) * 32 for i in range(MAX_PARENTS))
    assert ProvenanceRecord.from_bytes(replace(base, parents=sixteen).to_bytes()).parents == sixteen
    # A count of 17 is refused before reading any parent.
    too_many = bytes(64) + bytes([17 << 2]) + bytes(17 * 32) + bytes(8) + b"\x00\x00"
    with pytest.raises(DecodeError, match="at most 16"):
        ProvenanceRecord.from_bytes(too_many)
    swapped = replace(base, parents=(one, two)).to_bytes().replace(one + two, two + one)
    with pytest.raises(DecodeError, match="ascending"):
        ProvenanceRecord.from_bytes(swapped)


def test_errors_name_a_reason_and_pickle() -> None:
    with pytest.raises(ValueError, match="not a provenance error"):
        ProvenanceError("Nope")
    error = ProvenanceError("SignerRevoked", "detail")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.detail) == ("SignerRevoked", "detail")


# ---- verification ----


def test_root_and_leaf_records_verify(world: World) -> None:
    record = signed(world.keys.root_key, world.root, b"a photo")
    check = verify_provenance(world.store, record, b"a photo", NOW)
    assert (check.valid, check.reason, check.signer_chain, check.lineage) == (True, VALID, (world.root,), ())
    leaf_record = signed(world.keys.leaf_key, world.leaf, b"a video")  # P-256, ECDSA with SHA-256
    check = verify_provenance(world.store, leaf_record, None, NOW)
    assert (check.valid, check.signer_chain) == (True, (world.leaf, world.root))


def test_one_changed_byte_of_content_fails(world: World) -> None:
    content = bytes(range(256))
    record = signed(world.keys.root_key, world.root, content)
    for position in (0, 100, 255):
        changed = bytearray(content)
        changed[position] ^= 0x01
        check = verify_provenance(world.store, record, bytes(changed), NOW)
        assert (check.valid, check.reason) == (False, "ContentMismatch")
    assert verify_provenance(world.store, record, content, NOW).valid


def test_changed_fields_or_signature_fail(world: World) -> None:
    record = signed(world.keys.root_key, world.root, b"x", parents=(bytes(32),))
    signature = bytearray(record.signature)
    signature[5] ^= 0x80
    variants = [
        replace(record, signed_at_ms=record.signed_at_ms - 1),
        replace(record, parents=()),
        replace(record, content_id=compute_content_id(b"y")),
        replace(record, signature=bytes(signature)),
        replace(record, signer=world.leaf),
    ]
    for variant in variants:
        assert verify_provenance(world.store, variant, None, NOW).reason == "InvalidSignature"


def test_time_and_identity_refusals(world: World) -> None:
    key = world.keys.root_key
    assert verify_provenance(world.store, signed(key, world.root, b"x", signed_at=NOW + 1), None, NOW).reason == (
        "SignedInFuture"
    )
    early = signed(key, world.root, b"x", signed_at=NOT_BEFORE_MS - 1)
    assert verify_provenance(world.store, early, None, NOW).reason == "SignerNotYetValid"
    assert verify_provenance(world.store, signed(key, world.root, b"x", signed_at=NOT_BEFORE_MS), None, NOW).valid
    assert verify_provenance(
        world.store, signed(key, world.root, b"x", signed_at=NOT_AFTER_MS), None, NOT_AFTER_MS
    ).valid
    late = signed(key, world.root, b"x", signed_at=NOT_AFTER_MS + 1)
    assert verify_provenance(world.store, late, None, NOT_AFTER_MS + 5).reason == "SignerExpired"
    # A record signed while valid stays valid after the certificate expires.
    assert verify_provenance(world.store, signed(key, world.root, b"x"), None, NOT_AFTER_MS + 5).valid
    stranger = signed(key, bytes(32), b"x")
    check = verify_provenance(world.store, stranger, None, NOW)
    assert (check.reason, check.signer_chain) == ("UnknownSigner", (bytes(32),))


def test_a_deactivated_issuer_makes_its_leaf_unknown(world: World) -> None:
    record = signed(world.keys.leaf_key, world.leaf, b"x")
    message = encode_action_message(world.root, 0, DEACTIVATE_AUTO_ID)
    key = world.keys.root_key
    deactivate_auto_id(world.store, world.root, Signature(algorithm_identifier(key), sign(key, message)))
    check = verify_provenance(world.store, record, None, NOW)
    assert (check.reason, check.signer_chain) == ("UnknownIssuer", (world.leaf, world.root))


def test_a_cyclic_chain_is_reported(world: World) -> None:
    leaf = get_auto_id(world.store, world.leaf)
    assert leaf is not None
    first, second = b"\x01" * 32, b"\x02" * 32
    world.store.set(IDS_PREFIX + first, AutoIdRecord(replace(leaf, issuer_id=second)).to_bytes())
    world.store.set(IDS_PREFIX + second, AutoIdRecord(replace(leaf, issuer_id=first)).to_bytes())
    assert signer_status_at(world.store, first, NOW) == ("CyclicChain", (first, second))


def test_records_signed_after_a_revocation_are_invalid(world: World) -> None:
    key = world.keys.leaf_key
    before, at, after = (signed(key, world.leaf, b"x", signed_at=NOW - delta) for delta in (1001, 1000, 999))
    revoke_leaf(world)
    # No noted time: revoked from time 0, every record is invalid.
    assert verify_provenance(world.store, before, None, NOW).reason == "SignerRevoked"
    note_revocation(world.store, world.leaf, NOW - 1000)
    assert verify_provenance(world.store, before, None, NOW).valid
    for record in (at, after):
        check = verify_provenance(world.store, record, None, NOW)
        assert (check.reason, check.signer_chain) == ("SignerRevoked", (world.leaf,))


def test_a_revoked_issuer_invalidates_its_leaf_from_the_noted_time(world: World) -> None:
    key = world.keys.leaf_key
    before, after = signed(key, world.leaf, b"x", signed_at=NOW - 10), signed(key, world.leaf, b"x", signed_at=NOW)
    revoke_root(world)
    note_revocation(world.store, world.root, NOW - 5)
    assert verify_provenance(world.store, before, None, NOW).valid
    check = verify_provenance(world.store, after, None, NOW)
    assert (check.reason, check.signer_chain) == ("SignerRevoked", (world.leaf, world.root))


def test_note_revocation_keeps_the_earliest_time_and_needs_a_crl_entry(world: World) -> None:
    note_revocation(world.store, world.root, 50)
    note_revocation(world.store, world.root, 70)
    assert get_revocation_time(world.store, world.root) == 50
    note_revocation(world.store, world.root, 20)
    assert world.store.get(REVOKED_AT_PREFIX + world.root) == (20).to_bytes(8, "little")
    # Not in a CRL now: not revoked, whatever was noted.
    assert verify_provenance(world.store, signed(world.keys.root_key, world.root, b"x"), None, NOW).valid


# ---- on chain ----


def test_put_then_read_and_one_record_per_content(world: World) -> None:
    record = signed(world.keys.root_key, world.root, b"object")
    put_provenance(world.store, record, NOW + 7)
    stored = get_provenance(world.store, record.content_id)
    assert stored == StoredProvenance(record, NOW + 7)
    assert world.store.get(RECORD_PREFIX + record.content_id) == record.to_bytes() + (NOW + 7).to_bytes(8, "little")
    other = signed(world.keys.leaf_key, world.leaf, b"object")
    refuses(world.store, "ProvenanceExists", lambda: put_provenance(world.store, other, NOW))
    assert get_provenance(world.store, bytes(32)) is None


def test_put_refusals_leave_the_store_untouched(world: World) -> None:
    key = world.keys.root_key
    good = signed(key, world.root, b"x")
    cases = {
        "InvalidSignature": replace(good, signature=bytes(64)),
        "SignedInFuture": signed(key, world.root, b"x", signed_at=NOW + 1),
        "UnknownSigner": signed(key, bytes(32), b"x"),
        "SignerNotYetValid": signed(key, world.root, b"x", signed_at=0),
    }
    for reason, record in cases.items():
        refuses(world.store, reason, functools.partial(put_provenance, world.store, record, NOW))


def test_put_refuses_backdated_records_of_a_revoked_signer(world: World) -> None:
    earlier = signed(world.keys.leaf_key, world.leaf, b"x", signed_at=NOW - 10)
    revoke_leaf(world)
    note_revocation(world.store, world.leaf, NOW - 5)
    assert verify_provenance(world.store, earlier, None, NOW).valid
    refuses(world.store, "SignerRevoked", lambda: put_provenance(world.store, earlier, NOW))


def test_the_reason_list_is_exactly_the_reasons_tested_above() -> None:
    # The reasons above, plus ContentMismatch (verify only) and CyclicChain; the tuple lists nothing else.
    assert set(PROVENANCE_REASONS) == {
        "ContentMismatch",
        "SignedInFuture",
        "UnknownSigner",
        "UnknownIssuer",
        "CyclicChain",
        "SignerNotYetValid",
        "SignerExpired",
        "SignerRevoked",
        "InvalidSignature",
        "ProvenanceExists",
    }


# ---- lineage ----


def test_lineage_walks_parents_breadth_first(world: World) -> None:
    key, signer = world.keys.root_key, world.root
    a = signed(key, signer, b"a")
    b = signed(key, signer, b"b", parents=(a.content_id,))
    c = signed(key, signer, b"c", parents=(a.content_id, b.content_id))
    missing = compute_content_id(b"not on chain")
    d = signed(key, signer, b"d", parents=(c.content_id, missing))
    for record in (a, b, c, d):
        put_provenance(world.store, record, NOW)
    entries = lineage(world.store, d.content_id)
    first_level = sorted((c.content_id, missing))
    second_level = sorted((a.content_id, b.content_id))
    assert [(entry.content_id, entry.depth) for entry in entries] == [
        (first_level[0], 1),
        (first_level[1], 1),
        (second_level[0], 2),
        (second_level[1], 2),
    ]
    assert {entry.content_id: entry.on_chain for entry in entries}[missing] is False
    assert [entry.content_id for entry in lineage(world.store, d.content_id, depth=1)] == first_level
    assert len(lineage(world.store, d.content_id, limit=3)) == 3
    assert lineage(world.store, a.content_id) == ()
    assert lineage(world.store, missing) == ()
    # verify_provenance reports the lineage of the record it checks, on chain or not.
    e = signed(key, signer, b"e", parents=(d.content_id,))
    check = verify_provenance(world.store, e, b"e", NOW)
    assert [entry.content_id for entry in check.lineage] == [d.content_id, *first_level, *second_level]


def test_lineage_survives_a_cycle_written_into_the_state(world: World) -> None:
    first, second = b"\x01" * 32, b"\x02" * 32
    base = signed(world.keys.root_key, world.root, b"x")
    for content_id, parent in ((first, second), (second, first)):
        record = replace(
            base, content_id=content_id, parents=(parent, content_id) if parent < content_id else (content_id, parent)
        )
        world.store.set(RECORD_PREFIX + content_id, StoredProvenance(record, 0).to_bytes())
    assert [(entry.content_id, entry.depth) for entry in lineage(world.store, first)] == [(second, 1)]


# ---- fuzzing the decoders ----

DECODERS: list[Callable[[bytes], object]] = [ProvenanceRecord.from_bytes, StoredProvenance.from_bytes]


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(range(len(DECODERS))))
def test_arbitrary_bytes_decode_canonically_or_raise(data: bytes, which: int) -> None:
    try:
        value = DECODERS[which](data)
    except DecodeError:
        return
    assert isinstance(value, ProvenanceRecord | StoredProvenance)
    assert value.to_bytes() == data


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_structured_record_bytes_decode_canonically_or_raise(data: st.DataObject) -> None:
    # Bytes that get past the ids and the parent count, so the parents and tails are exercised.
    count = data.draw(st.integers(0, MAX_PARENTS + 1))
    parents = data.draw(st.lists(st.binary(min_size=32, max_size=32), min_size=count, max_size=count))
    raw = bytes(64) + bytes([count << 2]) + b"".join(parents) + data.draw(st.binary(max_size=80))
    try:
        record = ProvenanceRecord.from_bytes(raw)
    except DecodeError:
        return
    assert record.to_bytes() == raw


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=16))
def test_revocation_times_decode_or_raise(value: bytes) -> None:
    store = MemoryStore({REVOKED_AT_PREFIX + bytes(32): value})
    try:
        assert get_revocation_time(store, bytes(32)) == int.from_bytes(value, "little")
    except DecodeError:
        assert len(value) != 8
