"""Bundles, sealed headers, singleton receipts, bundle limits (sp-domains `bundle.rs`, `bundle/bundle_v0.rs`,
`lib.rs`) and Substrate's ordered trie root (sp-trie LayoutV1): the reference note's bundle recipe, published trie
vectors, an independent trie construction, round trips and decoder fuzzing."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import sr25519
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.codec import encode_compact, encode_vec_u8
from autonomys.protocol.domains.bundles import (
    PROOF_OF_ELECTION_SIZE,
    Bundle,
    BundleDigest,
    BundleHeader,
    ProofOfElection,
    SealedBundleHeader,
    SealedSingletonReceipt,
    SingletonReceipt,
    Weight,
    calculate_max_bundle_weight_and_size,
    is_operator_signature_valid,
    seal,
    seal_singleton_receipt,
)
from autonomys.protocol.domains.receipts import (
    EMPTY_EXTRINSIC_ROOT,
)
from autonomys.protocol.domains.substrate_trie import (
    BRANCH_WITH_VALUE_HEADER,
    BRANCH_WITHOUT_VALUE_HEADER,
    HASHED_VALUE_BRANCH_HEADER,
    HASHED_VALUE_LEAF_HEADER,
    LEAF_HEADER,
    compute_nibbles,
    compute_trie_root,
    compute_trie_root_node,
    encode_child_reference,
    encode_node_header,
    encode_partial_key,
    ordered_trie_root,
)
from autonomys.protocol.errors import DecodeError, InvalidBundleLimits
from helpers.codecs import (
    assert_every_byte_mutation_decodes_canonically,
    execution_receipts,
    hashes,
    make_codec_tests,
    u32s,
    u64s,
    vector_receipt,
)

ALICE_SEED = bytes.fromhex("e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a")
ALICE_PUBLIC = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


@pytest.fixture(scope="module")
def alice() -> tuple[bytes, bytes]:
    keypair = sr25519.pair_from_seed(ALICE_SEED)
    assert keypair[0] == ALICE_PUBLIC
    return (bytes(keypair[0]), bytes(keypair[1]))


# ---- the reference note's bundle header and singleton receipt recipe ----

# The recipe's proof of election (domain 0, slot 1, zero PoT, operator 0); the VRF signature bytes are not part
# of the upstream vector here and do not affect the encoding's layout or the header signature checks.
VRF_SIGNATURE = bytes(range(96))


def vector_proof_of_election() -> ProofOfElection:
    return ProofOfElection(
        domain_id=0, slot_number=1, proof_of_time=bytes(16), vrf_signature=VRF_SIGNATURE, operator_id=0
    )


def vector_header() -> BundleHeader:
    return BundleHeader(vector_proof_of_election(), vector_receipt(), Weight(0, 0), EMPTY_EXTRINSIC_ROOT)


def test_proof_of_election_layout() -> None:
    election = ProofOfElection(7, 2**40 + 3, bytes([1]) * 16, VRF_SIGNATURE, 2**33 + 5)
    encoded = election.to_bytes()
    assert len(encoded) == PROOF_OF_ELECTION_SIZE == 132
    assert encoded == (
        (7).to_bytes(4, "little")
        + (2**40 + 3).to_bytes(8, "little")
        + bytes([1]) * 16
        + VRF_SIGNATURE
        + (2**33 + 5).to_bytes(8, "little")
    )


def test_vector_header_sizes_and_layout() -> None:
    header = vector_header()
    encoded = header.to_bytes()
    assert len(vector_receipt().to_bytes()) == 351
    assert len(encoded) == 518
    assert encoded[:132] == vector_proof_of_election().to_bytes()
    assert encoded[132:484] == b"\x00" + vector_receipt().to_bytes()
    assert encoded[484:486] == b"\x00\x00"  # Weight{0, 0}
    assert encoded[486:] == EMPTY_EXTRINSIC_ROOT
    assert header.hash() == blake2_256(encoded)
    assert BundleHeader.from_bytes(encoded) == header


def test_sealed_header_signs_the_pre_hash(alice: tuple[bytes, bytes]) -> None:
    sealed = seal(vector_header(), alice)
    encoded = sealed.to_bytes()
    assert len(encoded) == 582
    assert encoded == vector_header().to_bytes() + sealed.signature
    assert sealed.pre_hash() == blake2_256(vector_header().to_bytes())
    assert sr25519.verify(sealed.signature, sealed.pre_hash(), ALICE_PUBLIC)
    assert sealed.verify_signature(ALICE_PUBLIC)
    decoded = SealedBundleHeader.from_bytes(encoded)
    assert decoded == sealed
    assert decoded.verify_signature(ALICE_PUBLIC)
    assert sealed.hash() == blake2_256(encoded)


def test_every_flipped_header_byte_breaks_the_signature(alice: tuple[bytes, bytes]) -> None:
    sealed = seal(vector_header(), alice)
    header_bytes = vector_header().to_bytes()
    for position in range(len(header_bytes)):
        mutated = bytearray(header_bytes)
        mutated[position] ^= 0x01
        assert not is_operator_signature_valid(ALICE_PUBLIC, blake2_256(bytes(mutated)), sealed.signature)
        try:
            decoded = SealedBundleHeader.from_bytes(bytes(mutated) + sealed.signature)
        except DecodeError:
            continue
        assert not decoded.verify_signature(ALICE_PUBLIC)


def test_singleton_receipt_sizes_and_signature(alice: tuple[bytes, bytes]) -> None:
    singleton = SingletonReceipt(vector_proof_of_election(), vector_receipt())
    assert len(singleton.to_bytes()) == 484
    assert singleton.to_bytes() == vector_proof_of_election().to_bytes() + b"\x00" + vector_receipt().to_bytes()
    sealed = seal_singleton_receipt(singleton, alice)
    assert len(sealed.to_bytes()) == 548
    assert sealed.pre_hash() == blake2_256(singleton.to_bytes())
    assert sealed.verify_signature(ALICE_PUBLIC)
    assert SealedSingletonReceipt.from_bytes(sealed.to_bytes()) == sealed


def test_signatures_do_not_cross_between_singleton_receipts_and_headers(alice: tuple[bytes, bytes]) -> None:
    singleton = seal_singleton_receipt(SingletonReceipt(vector_proof_of_election(), vector_receipt()), alice)
    header = seal(vector_header(), alice)
    assert not SealedBundleHeader(vector_header(), singleton.signature).verify_signature(ALICE_PUBLIC)
    assert not SealedSingletonReceipt(singleton.singleton_receipt, header.signature).verify_signature(ALICE_PUBLIC)


def test_verify_signature_never_raises(alice: tuple[bytes, bytes]) -> None:
    sealed = seal(vector_header(), alice)
    other_public = bytes(sr25519.pair_from_seed(bytes(32))[0])
    for public_key in (other_public, ALICE_PUBLIC[:31], ALICE_PUBLIC + b"\x00", b"\xff" * 32, b"", "alice", None):
        assert not sealed.verify_signature(public_key)  # type: ignore[arg-type]
    for signature in (bytes(64), b"\xff" * 64, sealed.signature[:32] + bytes(32)):
        assert not SealedBundleHeader(vector_header(), signature).verify_signature(ALICE_PUBLIC)
    assert not is_operator_signature_valid(ALICE_PUBLIC, sealed.pre_hash(), sealed.signature[:63])


def test_empty_bundle_encoding(alice: tuple[bytes, bytes]) -> None:
    sealed = seal(vector_header(), alice)
    bundle = Bundle(sealed)
    encoded = bundle.to_bytes()
    assert encoded == b"\x00" + sealed.to_bytes() + b"\x00"
    assert bundle.hash() == blake2_256(encoded)
    assert (bundle.size(), bundle.body_size()) == (584, 0)
    assert bundle.extrinsics_root() == EMPTY_EXTRINSIC_ROOT
    assert bundle.digest() == BundleDigest(sealed.pre_hash(), EMPTY_EXTRINSIC_ROOT, 584)
    assert Bundle.from_bytes(encoded) == bundle


def test_bundle_with_extrinsics(alice: tuple[bytes, bytes]) -> None:
    extrinsics = (encode_vec_u8(b"ab"), encode_vec_u8(bytes(100)))
    root = ordered_trie_root(extrinsics)
    header = BundleHeader(vector_proof_of_election(), vector_receipt(), Weight(5, 7), root)
    bundle = Bundle(seal(header, alice), extrinsics)
    encoded = bundle.to_bytes()
    assert encoded.endswith(b"\x08" + b"\x08ab" + b"\x91\x01" + bytes(100))
    assert bundle.body_size() == 3 + 102
    assert bundle.size() == len(encoded)
    assert bundle.extrinsics_root() == root == header.bundle_extrinsics_root
    assert Bundle.from_bytes(encoded) == bundle
    assert BundleDigest.from_bytes(bundle.digest().to_bytes()) == bundle.digest()


@pytest.mark.parametrize("extrinsic", [b"", b"\x08a", b"\x04ab", b"\x01\x00", "ab"])
def test_bundle_rejects_malformed_extrinsic_encodings(alice: tuple[bytes, bytes], extrinsic: Any) -> None:
    with pytest.raises(DecodeError):
        Bundle(seal(vector_header(), alice), (extrinsic,))


def test_weight_encoding() -> None:
    assert Weight().to_bytes() == b"\x00\x00"
    assert Weight(1, 64).to_bytes() == b"\x04\x01\x01"
    assert Weight.from_bytes(Weight(U64_MAX, 2**30).to_bytes()) == Weight(U64_MAX, 2**30)
    with pytest.raises(DecodeError):
        Weight.from_bytes(b"\x13" + (2**64).to_bytes(9, "little") + b"\x00")
    with pytest.raises(DecodeError):
        Weight(U64_MAX + 1)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ProofOfElection(U32_MAX + 1, 0, bytes(16), VRF_SIGNATURE, 0),
        lambda: ProofOfElection(0, U64_MAX + 1, bytes(16), VRF_SIGNATURE, 0),
        lambda: ProofOfElection(0, 0, bytes(15), VRF_SIGNATURE, 0),
        lambda: ProofOfElection(0, 0, bytes(16), VRF_SIGNATURE[:95], 0),
        lambda: ProofOfElection(0, 0, bytes(16), VRF_SIGNATURE, -1),
        lambda: BundleHeader(vector_proof_of_election(), vector_receipt(), Weight(), bytes(31)),
        lambda: SealedBundleHeader(vector_header(), bytes(63)),
        lambda: BundleDigest(bytes(32), bytes(32), U32_MAX + 1),
    ],
)
def test_construction_rejects_bad_fields(build: Any) -> None:
    with pytest.raises(DecodeError):
        build()


# ---- bundle limits ----

MAX_DOMAIN_BLOCK_SIZE = 3_932_160  # 75% of 5 MiB
MAX_DOMAIN_BLOCK_WEIGHT = Weight(1_300_000_000_000, 3_407_872)  # 65% of 2 s and of 5 MiB


def test_mainnet_bundle_limits() -> None:
    limit = calculate_max_bundle_weight_and_size(MAX_DOMAIN_BLOCK_SIZE, MAX_DOMAIN_BLOCK_WEIGHT, (1, 6), (1, 1))
    assert limit.max_bundle_size == 655_360
    assert limit.max_bundle_weight == Weight(216_666_666_666, 3_407_872)


def test_bundle_limits_keep_the_full_proof_size() -> None:
    limit = calculate_max_bundle_weight_and_size(MAX_DOMAIN_BLOCK_SIZE, MAX_DOMAIN_BLOCK_WEIGHT, (1, 6), (1, 2))
    assert limit.max_bundle_size == MAX_DOMAIN_BLOCK_SIZE // 3
    assert limit.max_bundle_weight == Weight(1_300_000_000_000 // 3, 3_407_872)


@pytest.mark.parametrize(
    ("consensus", "bundle"), [((1, 6), (1, 7)), ((0, 6), (1, 1)), ((1, 6), (1, 0)), ((1, 2**63), (2**63, 1))]
)
def test_bundle_limits_fail_like_checked_arithmetic(consensus: tuple[int, int], bundle: tuple[int, int]) -> None:
    with pytest.raises(InvalidBundleLimits):
        calculate_max_bundle_weight_and_size(MAX_DOMAIN_BLOCK_SIZE, MAX_DOMAIN_BLOCK_WEIGHT, consensus, bundle)


# ---- the ordered trie root: published vectors ----

# sp-trie lib.rs tests `codec_trie_empty`, `codec_trie_single_tuple`, `codec_trie_two_tuples_disjoint_keys`
# (LayoutV1 root node encodings, unhashed).
SP_TRIE_UNHASHED_VECTORS = [
    ([], "00"),
    ([(b"\xaa", b"\xbb")], "42aa04bb"),
    ([(b"\x48\x19", b"\xfe"), (b"\x13\x14", b"\xff")], "8012001443031404ff1443081904fe"),
]

# Extrinsics roots of real Substrate blocks (chain_getBlock responses quoted in public docs and tests); every
# extrinsic is shorter than 33 bytes, so LayoutV0 and LayoutV1 agree on them.
CHAIN_EXTRINSICS_ROOTS = [
    (["280402000b50055ee97001", "1004140000"], "0e354333c062892e774898e7ff5e23bf1cdd8314755fac15079e25c1a7765f06"),
    (
        ["280403000bd042683b7501", "1c040a00feb97e00"],
        "0308758377e117d685ba278afc5cfb8d00508208d4fd95aaeeef2af9600e5047",
    ),
    (["280402000b8a8c6d0b9701"], "937ca90d15a79bf046edeb94a02ccc65de71b7985e9bb215d5e31bd5fea3b962"),
    (["280402000b901ac96e7601"], "cca5112546305b07d904c2aa26155dffe6c66de043708e1ac89e57609fbcc6d1"),
    (["280401000bd08620468c01"], "345fc26b56a2a682a52ab5860b18df0a1698b0a6ac0cadd9bcba713d1a6f54d0"),
    (["280401000b10f28e778c01"], "c0fa389ae8109dffe61ddd306afddd9035c34aba3a3c70c7f0a1a29c1c86b329"),
    (["280402000b603301517301"], "c99ede2068646be80f2957c21667a7669539bd105bd855af37c2166a1ba43e4a"),
    (["280403000b406017cb7b01"], "ada254ef8321e28a6667ad75659be6464944174bd5540667da94590a0a4a596f"),
]

# Kagome `ordered_trie_hash_test.cpp` (raw values as items).
KAGOME_ORDERED_ROOTS = [
    ([b"budgetary management"], "c66a6345c58b3ec0ce9c0a1497553e4078f3d990063ac3e3058db06db358148a"),
    ([b"Integrated", b"portal"], "ea64d09f9740275ef7faaa3cee5a6a45fc8fe655cf049addbcefa7ba2ba6032d"),
    (
        [b"budgetary management", b"pricing structure"],
        "a340fba4541947a516c3ae686cf0f3155b1d69f9146e4096c54bc8b45db718f1",
    ),
    ([b"even-keeled", b"Future-proofed"], "5147323d593b7bb01fe8ea3e9d5a4bba0497c7f47b5daa121f4a6d791164d60b"),
]

# A 2022 block on a LayoutV0 (state version 0) chain with a 145-byte signed transfer: the long value stays
# inline (no value hashing in V0) and the leaf holding it is referenced by hash.
V0_BLOCK_EXTRINSICS = [
    "280403000b41169a447e01",
    "450284000ef407af75417a160038262baf376a8ff8147142f860a8be9cb893d6f3a4971e01e0d3bc1bbd34e3ffc00fb927500ca632acbbb3"
    "8a0f94d87370c00301ad34491f79f3d6e60204ee3df115d4a6c2de3ee19255f77d7952208a4459943fb5267a83f500a90a0004000022636d"
    "27fb735196a81a406b2a008016817048a8636732d5d6a1d944ebf971060700c4a5b684",
]
V0_BLOCK_EXTRINSICS_ROOT = "27b2eaa3751f2cefcbfd99fb052660477b21c65254a2e936e99870521549ac1b"


@pytest.mark.parametrize(("entries", "expected"), SP_TRIE_UNHASHED_VECTORS)
def test_sp_trie_unhashed_vectors(entries: list[tuple[bytes, bytes]], expected: str) -> None:
    assert compute_trie_root_node(entries).hex() == expected
    assert compute_trie_root(entries) == blake2_256(bytes.fromhex(expected))


@pytest.mark.parametrize(("extrinsics", "expected"), CHAIN_EXTRINSICS_ROOTS)
def test_chain_extrinsics_roots(extrinsics: list[str], expected: str) -> None:
    assert ordered_trie_root([bytes.fromhex(extrinsic) for extrinsic in extrinsics]).hex() == expected


@pytest.mark.parametrize(("items", "expected"), KAGOME_ORDERED_ROOTS)
def test_kagome_ordered_roots(items: list[bytes], expected: str) -> None:
    assert ordered_trie_root(items).hex() == expected


def test_layout_v0_block_with_a_long_extrinsic() -> None:
    extrinsics = [bytes.fromhex(extrinsic) for extrinsic in V0_BLOCK_EXTRINSICS]
    entries = [(encode_compact(index), extrinsic) for index, extrinsic in enumerate(extrinsics)]
    assert compute_trie_root(entries, max_inline_value=None).hex() == V0_BLOCK_EXTRINSICS_ROOT
    # LayoutV1 stores the 145-byte value by hash instead, so its root differs.
    assert ordered_trie_root(extrinsics).hex() != V0_BLOCK_EXTRINSICS_ROOT


def test_empty_ordered_trie_root() -> None:
    assert ordered_trie_root([]) == EMPTY_EXTRINSIC_ROOT == blake2_256(b"\x00")


# ---- the trie node format ----


def decode_node_header_size(encoded: bytes, prefix_bits: int) -> tuple[int, int]:
    """sp-trie node_header.rs `decode_size`: (nibble count, bytes used)."""
    max_value = 0xFF >> prefix_bits
    result = encoded[0] & max_value
    if result < max_value:
        return result, 1
    result -= 1
    for used, byte in enumerate(encoded[1:], start=2):
        if byte < 255:
            return result + byte + 1, used
        result += 255
    raise AssertionError("unterminated header")


@pytest.mark.parametrize(
    ("header", "count", "expected"),
    [
        (LEAF_HEADER, 2, "42"),
        (LEAF_HEADER, 62, "7e"),
        (LEAF_HEADER, 63, "7f00"),
        (LEAF_HEADER, 64, "7f01"),
        (LEAF_HEADER, 317, "7ffe"),
        (LEAF_HEADER, 318, "7fff00"),
        (BRANCH_WITHOUT_VALUE_HEADER, 0, "80"),
        (BRANCH_WITH_VALUE_HEADER, 1, "c1"),
        (HASHED_VALUE_LEAF_HEADER, 2, "22"),
        (HASHED_VALUE_LEAF_HEADER, 30, "3e"),
        (HASHED_VALUE_LEAF_HEADER, 31, "3f00"),
        (HASHED_VALUE_BRANCH_HEADER, 14, "1e"),
        (HASHED_VALUE_BRANCH_HEADER, 15, "1f00"),
    ],
)
def test_node_header_encoding(header: tuple[int, int], count: int, expected: str) -> None:
    assert encode_node_header(header, count).hex() == expected


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            LEAF_HEADER,
            BRANCH_WITH_VALUE_HEADER,
            BRANCH_WITHOUT_VALUE_HEADER,
            HASHED_VALUE_LEAF_HEADER,
            HASHED_VALUE_BRANCH_HEADER,
        ]
    ),
    st.integers(0, 70_000),
)
def test_node_header_round_trips_through_the_reference_decoder(header: tuple[int, int], count: int) -> None:
    encoded = encode_node_header(header, count)
    prefix, prefix_bits = header
    assert encoded[0] & ~(0xFF >> prefix_bits) & 0xFF == prefix
    assert decode_node_header_size(encoded, prefix_bits) == (count, len(encoded))


def test_partial_keys_pack_odd_nibble_counts_into_a_low_half() -> None:
    assert encode_partial_key(bytes([0xA, 0xB, 0xC])) == bytes([0x0A, 0xBC])
    assert encode_partial_key(bytes([0xA, 0xB])) == bytes([0xAB])
    assert encode_partial_key(b"") == b""


def test_values_of_33_bytes_are_stored_by_hash() -> None:
    short, long = bytes(range(32)), bytes(range(33))
    # One item: key Compact(0) = 0x00, two nibbles.
    assert compute_trie_root_node([(b"\x00", short)]) == b"\x42\x00\x80" + short
    assert compute_trie_root_node([(b"\x00", long)]) == b"\x22\x00" + blake2_256(long)
    assert ordered_trie_root([short]) == blake2_256(b"\x42\x00\x80" + short)
    assert ordered_trie_root([long]) == blake2_256(b"\x22\x00" + blake2_256(long))
    # LayoutV0 keeps every value inline.
    assert compute_trie_root_node([(b"\x00", long)], max_inline_value=None) == b"\x42\x00\x84" + long


def test_children_are_inlined_below_32_bytes() -> None:
    assert encode_child_reference(bytes(31)) == b"\x7c" + bytes(31)
    assert encode_child_reference(bytes(32)) == b"\x80" + blake2_256(bytes(32))


def test_branch_with_a_hashed_value() -> None:
    long = bytes(40)
    node = compute_trie_root_node([(b"\xab", long), (b"\xab\xcd", b"x")])
    # Branch at nibbles [a, b] holding the long value by hash, one child under nibble c: leaf [d] -> "x".
    child = b"\x41\x0d\x04x"
    assert node == b"\x12\xab" + (1 << 0xC).to_bytes(2, "little") + blake2_256(long) + encode_vec_u8(child)


def test_ordered_root_depends_on_order_and_content() -> None:
    items = [b"first", b"second", b"third"]
    assert ordered_trie_root(items) != ordered_trie_root(list(reversed(items)))
    assert ordered_trie_root(items) != ordered_trie_root(items[:2])
    assert ordered_trie_root(items) != ordered_trie_root([*items[:2], b"thirD"])


def test_repeated_keys_keep_the_last_value() -> None:
    assert compute_trie_root([(b"k", b"1"), (b"k", b"2")]) == compute_trie_root([(b"k", b"2")])


# ---- an independent construction: insert into an uncompressed nibble tree, then compress while encoding ----


def reference_trie_root_node(entries: list[tuple[bytes, bytes]], max_inline_value: int | None) -> bytes:
    tree: dict[Any, Any] = {}
    for key, value in entries:
        node = tree
        for nibble in compute_nibbles(key):
            node = node.setdefault(nibble, {})
        node["value"] = value
    return reference_encode(tree, max_inline_value) if tree else b"\x00"


def reference_encode(node: dict[Any, Any], max_inline_value: int | None) -> bytes:
    partial = bytearray()
    while "value" not in node and len(node) == 1:
        ((nibble, child),) = node.items()
        partial.append(nibble)
        node = child
    value = node.get("value")
    children = {nibble: child for nibble, child in node.items() if nibble != "value"}
    hashed = value is not None and max_inline_value is not None and len(value) >= max_inline_value
    stored = b"" if value is None else blake2_256(value) if hashed else encode_vec_u8(value)
    if len(children) == 0:
        header = HASHED_VALUE_LEAF_HEADER if hashed else LEAF_HEADER
        return encode_node_header(header, len(partial)) + encode_partial_key(bytes(partial)) + stored
    if value is None:
        header = BRANCH_WITHOUT_VALUE_HEADER
    else:
        header = HASHED_VALUE_BRANCH_HEADER if hashed else BRANCH_WITH_VALUE_HEADER
    bitmap = sum(1 << nibble for nibble in children)
    encoded = encode_node_header(header, len(partial)) + encode_partial_key(bytes(partial))
    encoded += bitmap.to_bytes(2, "little") + stored
    for nibble in sorted(children):
        encoded += encode_child_reference(reference_encode(children[nibble], max_inline_value))
    return encoded


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.binary(max_size=4), st.binary(max_size=48)), max_size=24),
    st.sampled_from([33, None]),
)
def test_trie_matches_the_independent_construction(
    entries: list[tuple[bytes, bytes]], max_inline_value: int | None
) -> None:
    deduplicated = list(dict(entries).items())
    expected = reference_trie_root_node(deduplicated, max_inline_value)
    assert compute_trie_root_node(entries, max_inline_value) == expected


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(max_size=60), min_size=60, max_size=80))
def test_ordered_root_with_multi_byte_index_keys(items: list[bytes]) -> None:
    entries = [(encode_compact(index), item) for index, item in enumerate(items)]
    assert ordered_trie_root(items) == blake2_256(reference_trie_root_node(entries, 33))


# ---- Hypothesis strategies, round trips and decoder fuzzing ----

proofs_of_election = st.builds(
    ProofOfElection, u32s, u64s, st.binary(min_size=16, max_size=16), st.binary(min_size=96, max_size=96), u64s
)
weights = st.builds(Weight, u64s, u64s)
signatures = st.binary(min_size=64, max_size=64)
bundle_headers = st.builds(BundleHeader, proofs_of_election, execution_receipts, weights, hashes)
sealed_headers = st.builds(SealedBundleHeader, bundle_headers, signatures)
extrinsics = st.binary(max_size=80).map(encode_vec_u8)
bundles = st.builds(Bundle, sealed_headers, st.lists(extrinsics, max_size=4).map(tuple))
singleton_receipts = st.builds(SingletonReceipt, proofs_of_election, execution_receipts)
sealed_singleton_receipts = st.builds(SealedSingletonReceipt, singleton_receipts, signatures)
bundle_digests = st.builds(BundleDigest, hashes, hashes, u32s)

CODECS: list[tuple[Any, Any]] = [
    (ProofOfElection, proofs_of_election),
    (Weight, weights),
    (BundleHeader, bundle_headers),
    (SealedBundleHeader, sealed_headers),
    (Bundle, bundles),
    (SingletonReceipt, singleton_receipts),
    (SealedSingletonReceipt, sealed_singleton_receipts),
    (BundleDigest, bundle_digests),
]
test_round_trip, test_decoders_on_arbitrary_bytes, test_decoders_on_mutated_encodings = make_codec_tests(
    CODECS, round_trip_examples=50, arbitrary_size=700
)


def test_every_single_byte_mutation_of_the_vector_bundle(alice: tuple[bytes, bytes]) -> None:
    encoded = Bundle(seal(vector_header(), alice), (encode_vec_u8(b"xt"),)).to_bytes()
    assert_every_byte_mutation_decodes_canonically(Bundle, encoded, replacements=(0x00, 0x01, 0xFF))
