"""The open AI directory (protocol.ai.directory, pallet 42 of the Auto ID domain): entries round-trip; through a
domain block the first publisher owns a name, a version signed by the wrong key, a name taken by another
publisher, a skipped or repeated version and a path leaving the download directory are refused by name and
change nothing; a revoked or deactivated publisher cannot publish; search and NAME@VERSION resolve; the client
publishes files as objects and gets them back byte for byte, refusing bytes that do not match the entry."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_identity_pallet import RELAYER, execute
from test_runtime_auto_id import NOW, NOW_MS, RUNTIME

from autonomys.actors.ai.directory_client import DirectoryClient, Publisher, collect_files, fetch_entry
from autonomys.actors.identity.certificates import Validity, certificate_der, issue_certificate, new_key
from autonomys.protocol.ai.directory import (
    COUNT_KEY,
    DirectoryEntry,
    DirectoryError,
    DirectoryFile,
    EntryKind,
    get_entry,
    get_name,
    parse_reference,
    put_entry,
    resolve,
    search,
    versions,
)
from autonomys.protocol.ai.directory_calls import (
    DIRECTORY_ERROR_INDEX,
    OUTCOME_DIRECTORY,
    DirectoryPalletCall,
    Publish,
    decode_directory_call,
    directory_outcome,
    encode_directory_call,
    parse_outcome,
)
from autonomys.protocol.domains.runtime_auto_id import OUTCOME_ERROR, AutoIdPalletCall
from autonomys.protocol.domains.runtime_balances import TIMESTAMP_KEY
from autonomys.protocol.errors import DecodeError
from autonomys.protocol.identity.auto_id import (
    DEACTIVATE_AUTO_ID,
    REVOKE_CERTIFICATE,
    deactivate_auto_id,
    derive_auto_id,
    encode_action_message,
    register_auto_id,
    registration_of,
    revoke_certificate,
)
from autonomys.protocol.identity.auto_id_types import RegisterAutoIdCall, Signature
from autonomys.protocol.objects.mappings import plan_object
from helpers.auto_id_fixtures import MemoryStore

VALIDITY = Validity.days_from(NOW - datetime.timedelta(days=1), 30)
ALICE_KEY, BOB_KEY, CAROL_KEY = new_key("ed25519"), new_key("p256"), new_key("ed25519")
ALICE = certificate_der(issue_certificate("Alice labs", ALICE_KEY, VALIDITY))
BOB = certificate_der(issue_certificate("Bob", BOB_KEY, VALIDITY))
CAROL = certificate_der(issue_certificate("Carol", CAROL_KEY, VALIDITY))
ALICE_ID, BOB_ID, CAROL_ID = derive_auto_id(ALICE), derive_auto_id(BOB), derive_auto_id(CAROL)
WEIGHTS = b"\x01\x02" * 1000


def a_file(path: str = "model.safetensors", data: bytes = WEIGHTS) -> DirectoryFile:
    return DirectoryFile(path, plan_object(data).object_id, len(data), blake3.blake3(data).digest())


def entry(
    version: int = 1, *, name: str = "tiny-llm", publisher: bytes = ALICE_ID, key=ALICE_KEY, files=None,
    license_text: str = "Apache-2.0", kind: EntryKind = EntryKind.MODEL,
) -> DirectoryEntry:  # fmt: skip
    files = (a_file(),) if files is None else files
    unsigned = DirectoryEntry(name, kind, license_text, version, files, publisher)
    algorithm, signature = Publisher(publisher, key).sign(unsigned.signed_message())
    return DirectoryEntry(name, kind, license_text, version, files, publisher, algorithm, signature)


def registered(*certificates: bytes) -> MemoryStore:
    store = MemoryStore()
    for certificate in certificates:
        register_auto_id(store, registration_of(certificate), NOW_MS)
    return store


def refused(store: MemoryStore, item: DirectoryEntry, now_ms: int = NOW_MS) -> str:
    """The reason `item` is refused with; the store must be unchanged."""
    before = dict(store.data)
    with pytest.raises(DirectoryError) as caught:
        put_entry(store, item, now_ms)
    assert store.data == before
    return caught.value.reason


# ---- encodings ----


def test_the_encoding_is_the_documented_scale_layout() -> None:
    item = DirectoryEntry("a", EntryKind.DATASET, "MIT", 2, (DirectoryFile("f", b"\x11" * 32, 5, b"\x22" * 32),),
                          b"\x33" * 32, b"\x30", b"\x44")  # fmt: skip
    expected = (
        "0461" "01" "0c4d4954" "02000000" "04" "0466" + "11" * 32 + "0500000000000000" + "22" * 32 + "33" * 32
        + "0430" "0444"
    )  # fmt: skip
    assert item.to_bytes().hex() == expected
    assert item.signed_message() == hashlib.blake2b(b"autonomys-ai-directory" + item.to_bytes()[:-4],
                                                    digest_size=32).digest()  # fmt: skip


def test_an_entry_round_trips_and_the_signature_covers_every_field() -> None:
    item = entry(files=(a_file("config.json", b"{}"), a_file("weights/part-1.bin")))
    assert DirectoryEntry.from_bytes(item.to_bytes()) == item
    assert decode_directory_call(encode_directory_call(Publish(item))) == Publish(item)
    assert DirectoryPalletCall(Publish(item)).to_bytes()[:2] == b"\x2a\x00"
    changed = DirectoryEntry(item.name, item.kind, "MIT", item.version, item.files, item.publisher)
    assert (
        changed.signed_message()
        != DirectoryEntry(item.name, item.kind, item.license, item.version, item.files, item.publisher).signed_message()
    )
    with pytest.raises(DecodeError):
        DirectoryEntry.from_bytes(item.to_bytes() + b"\x00")
    with pytest.raises(DecodeError):
        DirectoryEntry.from_bytes(item.to_bytes()[:-1])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_decode_to_an_entry_that_re_encodes_to_them_or_fail_by_name(data: bytes) -> None:
    try:
        item = DirectoryEntry.from_bytes(data)
    except DecodeError:
        return
    assert item.to_bytes() == data


@settings(max_examples=50, deadline=None)
@given(
    st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True),
    st.sampled_from(list(EntryKind)),
    st.integers(1, 2**32 - 1),
    st.lists(st.from_regex(r"[a-z]{1,8}(/[a-z0-9.]{1,8}){0,2}", fullmatch=True), min_size=1, max_size=5, unique=True),
)
def test_generated_entries_round_trip(name: str, kind: EntryKind, version: int, paths: list[str]) -> None:
    files = tuple(a_file(path, path.encode()) for path in sorted(paths, key=str.encode))
    item = DirectoryEntry(name, kind, "MIT", version, files, ALICE_ID, b"\x30\x00", b"sig")
    assert DirectoryEntry.from_bytes(item.to_bytes()) == item


# ---- the rules ----


def test_the_first_publisher_owns_a_name_and_versions_only_append() -> None:
    store = registered(ALICE, BOB)
    put_entry(store, entry(1), NOW_MS)
    assert refused(store, entry(1, publisher=BOB_ID, key=BOB_KEY)) == "name_taken"
    assert refused(store, entry(2, publisher=BOB_ID, key=BOB_KEY)) == "name_taken"
    assert refused(store, entry(1)) == "version_not_next"  # never overwritten
    assert refused(store, entry(3)) == "version_not_next"  # never skipped
    second = entry(2, files=(a_file("model.safetensors", b"v2 weights"),))
    put_entry(store, second, NOW_MS + 1)
    named = get_name(store, "tiny-llm")
    assert named is not None and named.owner == ALICE_ID and named.latest == 2
    stored = get_entry(store, "tiny-llm", 1)
    assert stored is not None and stored.entry == entry(1) and stored.put_at_ms == NOW_MS  # version 1 unchanged
    assert [item.entry.version for item in versions(store, "Tiny-LLM")] == [1, 2]


def test_a_wrong_key_an_unknown_or_invalid_publisher_and_bad_entries_are_refused_by_name() -> None:
    store = registered(ALICE, BOB)
    assert refused(store, entry(key=BOB_KEY)) == "bad_signature"
    assert refused(store, entry(publisher=CAROL_ID, key=CAROL_KEY)) == "publisher_not_registered"
    for bad in ("../evil.bin", "/etc/passwd", "a//b", "a/./b", "a\\b", "ok/../../x"):
        assert refused(store, entry(files=(a_file(bad),))) == "bad_entry", bad
    twice = (a_file("a.bin"), a_file("a.bin"))
    unordered = (a_file("b.bin"), a_file("a.bin"))
    for files in (twice, unordered, ()):
        assert refused(store, entry(files=files)) == "bad_entry"
    for name in ("Tiny", "", "-x", "a/b", "a@1", "x" * 65):
        assert refused(store, entry(name=name)) == "bad_entry", name
    for license_text in ("", " MIT", "MIT\n", "x" * 65):
        assert refused(store, entry(license_text=license_text)) == "bad_entry", license_text
    assert refused(store, entry(0)) == "bad_entry"
    assert refused(store, entry(), now_ms=NOW_MS + 40 * 86_400_000) == "publisher_invalid"  # expired
    assert store.get(COUNT_KEY) is None


def test_a_revoked_or_deactivated_publisher_cannot_publish() -> None:
    store = registered(ALICE, BOB)
    put_entry(store, entry(1), NOW_MS)
    message = encode_action_message(ALICE_ID, 0, REVOKE_CERTIFICATE)
    revoke_certificate(store, ALICE_ID, Signature(*Publisher(ALICE_ID, ALICE_KEY).sign(message)), NOW_MS)
    assert refused(store, entry(2)) == "publisher_invalid"
    message = encode_action_message(BOB_ID, 0, DEACTIVATE_AUTO_ID)
    deactivate_auto_id(store, BOB_ID, Signature(*Publisher(BOB_ID, BOB_KEY).sign(message)))
    assert refused(store, entry(name="bobs-set", publisher=BOB_ID, key=BOB_KEY)) == "publisher_not_registered"


def test_search_is_case_insensitive_over_name_license_and_kind_and_references_resolve() -> None:
    store = registered(ALICE, BOB)
    put_entry(store, entry(1), NOW_MS)
    put_entry(store, entry(2, license_text="MIT"), NOW_MS)
    put_entry(store, entry(name="wiki-corpus", publisher=BOB_ID, key=BOB_KEY, kind=EntryKind.DATASET,
                           license_text="CC-BY-SA-4.0"), NOW_MS)  # fmt: skip
    names = lambda text: [item.entry.name for item in search(store, text)]  # noqa: E731
    assert names("LLM") == ["tiny-llm"]
    assert names("mit") == ["tiny-llm"]  # the latest version's license
    assert names("apache") == []  # only version 1 had it
    assert names("DATASET") == ["wiki-corpus"]
    assert names("") == ["tiny-llm", "wiki-corpus"]
    assert names("fine-tune") == []
    assert resolve(store, "TINY-llm").entry.version == 2
    assert resolve(store, "tiny-llm@1").entry.license == "Apache-2.0"
    for reference, reason in (("nope", "unknown_name"), ("tiny-llm@3", "unknown_version"), ("tiny-llm@0", "bad_entry"),
                              ("tiny-llm@x", "bad_entry"), ("../x", "bad_entry")):  # fmt: skip
        with pytest.raises(DirectoryError) as caught:
            resolve(store, reference)
        assert caught.value.reason == reason, reference
    assert parse_reference(" Tiny-LLM@12 ") == ("tiny-llm", 12)


# ---- through a domain block ----


def test_the_pallet_records_each_outcome_and_a_refusal_keeps_only_the_fee() -> None:
    calls = [
        AutoIdPalletCall(RegisterAutoIdCall(registration_of(ALICE))),
        AutoIdPalletCall(RegisterAutoIdCall(registration_of(BOB))),
        DirectoryPalletCall(Publish(entry(1))),
        DirectoryPalletCall(Publish(entry(2, publisher=BOB_ID, key=BOB_KEY))),  # name_taken
        DirectoryPalletCall(Publish(entry(2, key=BOB_KEY))),  # bad_signature
        DirectoryPalletCall(Publish(entry(3))),  # version_not_next
        DirectoryPalletCall(Publish(entry(2, files=(a_file("../up.bin"),)))),  # bad_entry
        DirectoryPalletCall(Publish(entry(2))),
    ]
    outcomes, state = execute(calls)
    directory = outcomes[2:]
    reasons = [parse_outcome(bytes(32) + outcome).reason for outcome in directory]
    assert reasons == [None, "name_taken", "bad_signature", "version_not_next", "bad_entry", None]
    assert directory[0] == bytes([OUTCOME_DIRECTORY, 0]) + (1).to_bytes(4, "little") + entry(1).entry_id()
    assert directory[1][:2] == bytes([OUTCOME_ERROR, DIRECTORY_ERROR_INDEX])
    assert [item.entry for item in versions(state, "tiny-llm")] == [entry(1), entry(2)]
    _, nonce = RUNTIME.read_account(state, RELAYER[0])
    assert nonce == len(calls)


def test_directory_outcome_of_a_refusal_leaves_the_store_unchanged() -> None:
    store = registered(ALICE)
    before = dict(store.data)
    outcome = directory_outcome(store, DirectoryPalletCall(Publish(entry(key=BOB_KEY))), NOW_MS)  # type: ignore[arg-type]
    assert outcome == bytes([OUTCOME_ERROR, DIRECTORY_ERROR_INDEX]) + b"bad_signature"
    assert store.data == before


# ---- the client, over an in-process domain and object store ----


class FakeDomain:
    """An operator over a MemoryStore: a transaction is applied at once, its outcome kept."""

    def __init__(self, store: MemoryStore) -> None:
        self.store, self.outcomes = store, {}

    def account(self, account: bytes) -> tuple[int, int]:
        return 0, len(self.outcomes)

    def submit_transaction(self, extrinsic: bytes) -> bytes:
        from autonomys.protocol.domains.runtime_auto_id import AUTO_ID_CALLS
        from autonomys.protocol.domains.runtime_balances import decode_extrinsic

        transaction = decode_extrinsic(extrinsic, AUTO_ID_CALLS)
        tx_hash = blake3.blake3(extrinsic).digest()
        self.outcomes[tx_hash] = tx_hash + directory_outcome(self.store, transaction.call, NOW_MS)  # type: ignore[union-attr, arg-type]
        return tx_hash

    def transaction_status(self, transaction_hash: bytes) -> str:
        return "in domain block 1"

    def transaction_outcome(self, transaction_hash: bytes) -> bytes | None:
        return self.outcomes.get(transaction_hash)

    def read(self, key: bytes) -> bytes | None:
        return self.store.get(key)


class FakeObjects:
    def __init__(self) -> None:
        self.objects: dict[bytes, bytes] = {}

    def put(self, data: bytes, signer: object, on_progress: object = None, wait_seconds: float = 0) -> bytes:
        object_id = plan_object(data).object_id
        self.objects[object_id] = data
        return object_id

    def chunks(self, object_id: bytes) -> list[bytes]:
        data = self.objects[object_id]
        return [data[start : start + 1000] for start in range(0, len(data), 1000)]


class Payer:
    seed = bytes([0x44]) * 32


def test_the_client_publishes_a_directory_and_gets_it_back_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "model"
    (source / "weights").mkdir(parents=True)
    (source / "config.json").write_text('{"layers": 2}')
    (source / "weights" / "part-1.bin").write_bytes(bytes(range(256)) * 40)
    store, objects = registered(ALICE, BOB), FakeObjects()
    store.set(TIMESTAMP_KEY, NOW_MS.to_bytes(8, "little"))  # the domain's latest block time
    client = DirectoryClient(FakeDomain(store), 0, sleep=lambda _: None)
    alice = Publisher(ALICE_ID, ALICE_KEY)
    published = client.publish(source, "Tiny-LLM", EntryKind.MODEL, "MIT", alice, objects, Payer())
    assert published.entry.version == 1 and [item.path for item in published.entry.files] == [
        "config.json", "weights/part-1.bin"]  # fmt: skip
    again = client.publish(source / "config.json", "tiny-llm", EntryKind.MODEL, "MIT", alice, objects, Payer())
    assert again.entry.version == 2
    with pytest.raises(DirectoryError) as caught:  # refused before anything is stored
        client.publish(source, "tiny-llm", EntryKind.MODEL, "MIT", Publisher(BOB_ID, BOB_KEY), FakeObjects(), Payer())
    assert caught.value.reason == "name_taken"
    with pytest.raises(DirectoryError) as caught:
        client.publish(source, "other", EntryKind.MODEL, "MIT", Publisher(ALICE_ID, BOB_KEY), objects, Payer())
    assert caught.value.reason == "bad_signature"  # the pallet's refusal, reported by name
    assert [item.entry.name for item in client.search("tiny")] == ["tiny-llm"]
    stored, written = client.get("tiny-llm@1", tmp_path / "out", objects.chunks)
    assert stored.entry == published.entry
    for path in ("config.json", "weights/part-1.bin"):
        assert (tmp_path / "out" / path).read_bytes() == (source / path).read_bytes()
    assert len(written) == 2


def test_a_download_whose_bytes_differ_from_the_entry_leaves_nothing(tmp_path: Path) -> None:
    item = entry(files=(a_file("w.bin", b"right bytes"),))
    with pytest.raises(DirectoryError) as caught:
        fetch_entry(item, tmp_path, lambda _: [b"wrong bytes"])
    assert caught.value.reason == "content_mismatch"
    with pytest.raises(DirectoryError):
        fetch_entry(item, tmp_path, lambda _: [b"right bytes", b"!"])
    assert list(tmp_path.iterdir()) == []
    fetch_entry(item, tmp_path, lambda _: [b"right ", b"bytes"])
    assert (tmp_path / "w.bin").read_bytes() == b"right bytes"


def test_collect_files_refuses_what_an_entry_cannot_hold(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DirectoryError):
        collect_files(tmp_path / "empty")
    with pytest.raises(DirectoryError):
        collect_files(tmp_path / "missing")
    (tmp_path / "one.bin").write_bytes(b"1")
    assert [item.path for item in collect_files(tmp_path / "one.bin")] == ["one.bin"]


def test_a_get_through_the_object_gateway_is_byte_identical(tmp_path: Path) -> None:
    from autonomys.actors.ai.directory_client import gateway_source
    from autonomys.actors.objects.client import ObjectInfo, ObjectNotFound
    from autonomys.actors.objects.gateway import ObjectGateway

    objects = FakeObjects()
    weights = bytes(range(256)) * 3000  # 768 000 bytes, streamed in 1000-byte chunks
    item = DirectoryFile("w/model.bin", objects.put(weights, None), len(weights), blake3.blake3(weights).digest())

    class Reader:
        def stat(self, object_id: bytes) -> ObjectInfo:
            if object_id not in objects.objects:
                raise ObjectNotFound(object_id.hex())
            return ObjectInfo(len(objects.objects[object_id]), 1)

        def iter_object(self, object_id: bytes):  # noqa: ANN202
            return iter(objects.chunks(object_id))

    gateway = ObjectGateway(Reader(), "127.0.0.1", 0)
    port = gateway.start()
    try:
        fetch_entry(entry(files=(item,)), tmp_path, gateway_source(f"http://127.0.0.1:{port}/"))
        assert (tmp_path / "w" / "model.bin").read_bytes() == weights
        unknown = DirectoryFile("x.bin", bytes(32), 1, bytes(32))
        with pytest.raises(OSError):  # urllib's HTTPError 404: no partial file is left
            fetch_entry(entry(files=(unknown,)), tmp_path, gateway_source(f"http://127.0.0.1:{port}"))
        assert not (tmp_path / "x.bin").exists() and not (tmp_path / ".x.bin.part").exists()
    finally:
        gateway.stop()
