"""Execution receipts, fees, bundle validity and the domain header (sp-domains `execution_receipt*.rs`,
`bundle.rs`): the reference note's receipt vector, checking orders, encodings, round trips and decoder fuzzing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.domains.domain_header import (
    DigestItem,
    DigestItemKind,
    DomainHeader,
    compute_consensus_block_info_item,
)
from autonomys.protocol.domains.receipts import (
    CONSENSUS_CHAIN_ID,
    EMPTY_EXTRINSIC_ROOT,
    BlockFees,
    BundleValidity,
    ChainId,
    ExecutionReceipt,
    ExtrinsicDigest,
    InboxedBundle,
    InvalidBundleKind,
    InvalidBundleType,
    Transfers,
    compute_chain_amounts,
    compute_execution_trace_root,
    compute_valid_bundle_digest,
    genesis_receipt,
)
from autonomys.protocol.errors import DecodeError, EmptyExecutionTrace, FeesOverflow
from helpers.codecs import (
    PARENT_RECEIPT_HASH,
    TRACE,
    assert_every_byte_mutation_decodes_canonically,
    block_fees,
    bundle_validities,
    chain_ids,
    execution_receipts,
    extrinsic_digests,
    hashes,
    inboxed_bundles,
    invalid_bundle_types,
    make_codec_tests,
    transfers,
    u32s,
    vector_receipt,
)

U32_MAX = 2**32 - 1
U128_MAX = 2**128 - 1


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


# ---- the reference note's receipt vector ----

TRACE_ROOT = bytes.fromhex("d1d371ee5b8ba2283151d7817ec46afd6c32b09c4acec3735de7ca2540272031")


def test_empty_extrinsic_root_is_the_hash_of_the_empty_node() -> None:
    expected = "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314"
    assert EMPTY_EXTRINSIC_ROOT.hex() == expected
    assert blake2_256(b"\x00") == EMPTY_EXTRINSIC_ROOT


def test_vector_trace_root_promotes_the_odd_leaf() -> None:
    assert compute_execution_trace_root(TRACE) == TRACE_ROOT
    assert TRACE_ROOT == blake2_256(blake2_256(TRACE[0] + TRACE[1]) + TRACE[2])


def test_vector_receipt_layout() -> None:
    encoded = vector_receipt().to_bytes()
    # 4 + 32 + 32 + 32 + 4 + 32 + 1 + 32 + (1 + 96) + 32 + 49 + 4
    assert len(encoded) == 351
    assert encoded[:4] == (1).to_bytes(4, "little")
    assert encoded[4:36] == bytes([7]) * 32
    assert encoded[36:68] == EMPTY_EXTRINSIC_ROOT
    assert encoded[68:100] == PARENT_RECEIPT_HASH
    assert encoded[100:104] == (1).to_bytes(4, "little")
    assert encoded[104:136] == bytes([9]) * 32
    assert encoded[136] == 0  # no inboxed bundles
    assert encoded[137:169] == bytes([3]) * 32
    assert encoded[169:266] == b"\x0c" + b"".join(TRACE)
    assert encoded[266:298] == TRACE_ROOT
    assert encoded[298:] == bytes(48) + b"\x00" + b"\x00" * 4


def test_vector_receipt_hash_excludes_the_enum_byte() -> None:
    receipt = vector_receipt()
    assert receipt.hash() == blake2_256(receipt.to_bytes())
    assert receipt.to_versioned_bytes() == b"\x00" + receipt.to_bytes()
    assert receipt.hash() != blake2_256(receipt.to_versioned_bytes())
    assert ExecutionReceipt.from_bytes(receipt.to_bytes()) == receipt
    assert ExecutionReceipt.from_versioned_bytes(receipt.to_versioned_bytes()) == receipt


def test_receipt_decoders_reject_trailing_bytes_and_other_versions() -> None:
    receipt = vector_receipt()
    with pytest.raises(DecodeError):
        ExecutionReceipt.from_bytes(receipt.to_bytes() + b"\x00")
    with pytest.raises(DecodeError):
        ExecutionReceipt.from_versioned_bytes(b"\x01" + receipt.to_bytes())
    with pytest.raises(DecodeError):
        ExecutionReceipt.from_bytes(receipt.to_bytes()[:-1])


# ---- the execution trace root ----


def test_trace_root_of_one_root_is_that_root() -> None:
    assert compute_execution_trace_root([TRACE[2]]) == TRACE[2]


def test_trace_root_of_five_roots() -> None:
    leaves = [bytes([index]) * 32 for index in range(5)]
    level_one = [blake2_256(leaves[0] + leaves[1]), blake2_256(leaves[2] + leaves[3]), leaves[4]]
    expected = blake2_256(blake2_256(level_one[0] + level_one[1]) + level_one[2])
    assert compute_execution_trace_root(leaves) == expected


def test_trace_root_rejects_empty_and_short_roots() -> None:
    with pytest.raises(EmptyExecutionTrace):
        compute_execution_trace_root([])
    with pytest.raises(DecodeError):
        compute_execution_trace_root([bytes(31)])


# ---- invalid bundle types and their checking order (sp-domains tests.rs) ----


@pytest.mark.parametrize(
    ("invalid", "order"),
    [
        (InvalidBundleType(InvalidBundleKind.UNDECODABLE_TX, 0), 1),
        (InvalidBundleType(InvalidBundleKind.OUT_OF_RANGE_TX, 0), 2),
        (InvalidBundleType(InvalidBundleKind.INHERENT_EXTRINSIC, 0), 3),
        (InvalidBundleType(InvalidBundleKind.INVALID_XDM, 0), 4),
        (InvalidBundleType(InvalidBundleKind.ILLEGAL_TX, 0), 5),
        (InvalidBundleType(InvalidBundleKind.UNDECODABLE_TX, 1), 2**32 + 1),
        (InvalidBundleType(InvalidBundleKind.OUT_OF_RANGE_TX, 12345), 12345 * 2**32 + 2),
        (InvalidBundleType(InvalidBundleKind.INHERENT_EXTRINSIC, 2**32 - 2), (2**32 - 2) * 2**32 + 3),
        (InvalidBundleType(InvalidBundleKind.ILLEGAL_TX, 2**32 - 1), (2**32 - 1) * 2**32 + 5),
        (InvalidBundleType(InvalidBundleKind.INVALID_BUNDLE_WEIGHT), (2**32 - 1) * 2**32 + 6),
    ],
)
def test_checking_order(invalid: InvalidBundleType, order: int) -> None:
    assert invalid.checking_order() == order


def test_checking_order_sorts_by_extrinsic_then_rule() -> None:
    kinds = [kind for kind in InvalidBundleKind if kind != InvalidBundleKind.INVALID_BUNDLE_WEIGHT]
    everything = [InvalidBundleType(kind, index) for index in (0, 1, 7) for kind in kinds]
    everything.append(InvalidBundleType(InvalidBundleKind.INVALID_BUNDLE_WEIGHT))
    ordered = sorted(everything, key=InvalidBundleType.checking_order)
    assert ordered[0] == InvalidBundleType(InvalidBundleKind.UNDECODABLE_TX, 0)
    assert ordered[4] == InvalidBundleType(InvalidBundleKind.ILLEGAL_TX, 0)
    assert ordered[-1].kind == InvalidBundleKind.INVALID_BUNDLE_WEIGHT


def test_invalid_bundle_type_encodings() -> None:
    assert InvalidBundleType(InvalidBundleKind.UNDECODABLE_TX, 5).to_bytes() == bytes.fromhex("0005000000")
    assert InvalidBundleType(InvalidBundleKind.INHERENT_EXTRINSIC, 2).to_bytes() == bytes.fromhex("0402000000")
    assert InvalidBundleType(InvalidBundleKind.INVALID_BUNDLE_WEIGHT).to_bytes() == b"\x05"
    with pytest.raises(DecodeError):
        InvalidBundleType.from_bytes(b"\x06")
    with pytest.raises(DecodeError):
        InvalidBundleType(InvalidBundleKind.INVALID_BUNDLE_WEIGHT, 0)
    with pytest.raises(DecodeError):
        InvalidBundleType(InvalidBundleKind.ILLEGAL_TX)
    with pytest.raises(DecodeError):
        InvalidBundleType(InvalidBundleKind.ILLEGAL_TX, 2**32)


def test_bundle_validity_and_inboxed_bundle_encodings() -> None:
    digest, root = bytes([4]) * 32, bytes([5]) * 32
    valid = InboxedBundle(BundleValidity(bundle_digest_hash=digest), root)
    assert valid.to_bytes() == b"\x01" + digest + root
    invalid = InboxedBundle(BundleValidity(InvalidBundleType(InvalidBundleKind.OUT_OF_RANGE_TX, 3)), root)
    assert invalid.to_bytes() == bytes.fromhex("000103000000") + root
    with pytest.raises(DecodeError):
        BundleValidity()
    with pytest.raises(DecodeError):
        BundleValidity(InvalidBundleType(InvalidBundleKind.INVALID_BUNDLE_WEIGHT), digest)


def test_extrinsic_digest_inlines_below_33_bytes() -> None:
    short, long = bytes(range(32)), bytes(range(33))
    assert ExtrinsicDigest.of(short) == ExtrinsicDigest(data=short)
    assert ExtrinsicDigest.of(short).to_bytes() == b"\x00\x80" + short
    assert ExtrinsicDigest.of(long) == ExtrinsicDigest(extrinsic_hash=blake2_256(long))
    assert ExtrinsicDigest.of(long).to_bytes() == b"\x01" + blake2_256(long)


def test_valid_bundle_digest_encodes_signers_as_options() -> None:
    signer, extrinsic = bytes([8]) * 32, b"\x08abc"
    entries = [(signer, ExtrinsicDigest.of(extrinsic)), (None, ExtrinsicDigest.of(extrinsic))]
    expected = b"\x08" + b"\x01\x80" + signer + b"\x00\x10" + extrinsic + b"\x00" + b"\x00\x10" + extrinsic
    assert compute_valid_bundle_digest(entries) == blake2_256(expected)
    assert compute_valid_bundle_digest([]) == blake2_256(b"\x00")


# ---- fees, transfers and chain maps ----


def test_chain_maps_encode_in_chain_order_not_byte_order() -> None:
    amounts = compute_chain_amounts({ChainId(256): 3, CONSENSUS_CHAIN_ID: 1, ChainId(1): 2})
    assert [chain for chain, _ in amounts] == [CONSENSUS_CHAIN_ID, ChainId(1), ChainId(256)]
    fees = BlockFees(chain_rewards=amounts)
    expected = bytes(48) + b"\x0c" + b"\x00" + (1).to_bytes(16, "little")
    expected += b"\x01" + (1).to_bytes(4, "little") + (2).to_bytes(16, "little")
    expected += b"\x01" + (256).to_bytes(4, "little") + (3).to_bytes(16, "little")
    assert fees.to_bytes() == expected
    assert BlockFees.from_bytes(expected) == fees


def test_chain_maps_reject_unsorted_and_repeated_keys() -> None:
    entry_domain = b"\x01" + (1).to_bytes(4, "little") + (2).to_bytes(16, "little")
    entry_consensus = b"\x00" + (1).to_bytes(16, "little")
    with pytest.raises(DecodeError):
        BlockFees.from_bytes(bytes(48) + b"\x08" + entry_domain + entry_consensus)
    with pytest.raises(DecodeError):
        BlockFees.from_bytes(bytes(48) + b"\x08" + entry_consensus + entry_consensus)
    with pytest.raises(DecodeError):
        Transfers(transfers_in=((ChainId(2), 1), (ChainId(1), 1)))


def test_default_fees_and_transfers_encodings() -> None:
    assert BlockFees().to_bytes() == bytes(49)
    assert Transfers().to_bytes() == bytes(4)
    assert ChainId.from_bytes(b"\x01\x07\x00\x00\x00") == ChainId(7)
    with pytest.raises(DecodeError):
        ChainId.from_bytes(b"\x02")


def test_total_fees_uses_checked_addition() -> None:
    fees = BlockFees(1, 2, 3, compute_chain_amounts({CONSENSUS_CHAIN_ID: 4, ChainId(0): 5}))
    assert fees.total_fees() == 15
    assert BlockFees(U128_MAX).total_fees() == U128_MAX
    with pytest.raises(FeesOverflow):
        BlockFees(U128_MAX, 1).total_fees()
    with pytest.raises(FeesOverflow):
        BlockFees(chain_rewards=compute_chain_amounts({CONSENSUS_CHAIN_ID: U128_MAX, ChainId(0): 1})).total_fees()


@pytest.mark.parametrize(
    "build",
    [
        lambda: BlockFees(U128_MAX + 1),
        lambda: BlockFees(-1),
        lambda: BlockFees(True),
        lambda: ChainId(2**32),
        lambda: BlockFees(chain_rewards=((CONSENSUS_CHAIN_ID, U128_MAX + 1),)),
        lambda: replace(vector_receipt(), domain_block_number=2**32),
        lambda: replace(vector_receipt(), consensus_block_number=-1),
        lambda: replace(vector_receipt(), domain_block_hash=bytes(31)),
        lambda: replace(vector_receipt(), execution_trace=(bytes(33),)),
        lambda: replace(vector_receipt(), inboxed_bundles=[]),  # type: ignore[arg-type]
        lambda: replace(vector_receipt(), block_fees=Transfers()),  # type: ignore[arg-type]
        lambda: DomainHeader(bytes(32), 2**32, bytes(32), bytes(32)),
        lambda: DigestItem(DigestItemKind.PRE_RUNTIME, b"RGT", b""),
        lambda: DigestItem(DigestItemKind.OTHER, b"RGTR", b""),
        lambda: DigestItem(DigestItemKind.RUNTIME_ENVIRONMENT_UPDATED, b"", b"x"),
    ],
)
def test_construction_rejects_out_of_range_fields(build: Callable[[], object]) -> None:
    with pytest.raises(DecodeError):
        build()


# ---- genesis and the domain header ----


def test_genesis_receipt() -> None:
    state_root = bytes([0x5A]) * 32
    receipt = genesis_receipt(state_root)
    header_bytes = bytes(32) + b"\x00" + state_root + EMPTY_EXTRINSIC_ROOT + b"\x00"
    assert receipt.domain_block_hash == blake2_256(header_bytes)
    assert receipt.domain_block_number == 0
    assert receipt.domain_block_extrinsic_root == EMPTY_EXTRINSIC_ROOT
    assert receipt.parent_domain_block_receipt_hash == bytes(32)
    assert (receipt.consensus_block_number, receipt.consensus_block_hash) == (0, bytes(32))
    assert receipt.inboxed_bundles == ()
    assert receipt.final_state_root == state_root
    assert receipt.execution_trace == (state_root,)
    assert receipt.execution_trace_root == bytes(32)
    assert (receipt.block_fees, receipt.transfers) == (BlockFees(), Transfers())
    # The vector receipt less two trace roots; the fee and transfer defaults are all zero.
    assert len(receipt.to_bytes()) == 351 - 64


def test_domain_header_with_consensus_block_info() -> None:
    consensus_hash = bytes([0xC0]) * 32
    item = compute_consensus_block_info_item(consensus_hash)
    assert item.to_bytes() == b"\x06RGTR\x80" + consensus_hash
    header = DomainHeader(bytes([1]) * 32, 70, bytes([2]) * 32, bytes([3]) * 32, (item,))
    expected = bytes([1]) * 32 + b"\x19\x01" + bytes([2]) * 32 + bytes([3]) * 32 + b"\x04" + item.to_bytes()
    assert header.to_bytes() == expected
    assert header.hash() == blake2_256(expected)
    assert DomainHeader.from_bytes(expected) == header


def test_digest_item_variants() -> None:
    assert DigestItem(DigestItemKind.OTHER, b"", b"ab").to_bytes() == b"\x00\x08ab"
    assert DigestItem(DigestItemKind.SEAL, b"aura", b"").to_bytes() == b"\x05aura\x00"
    assert DigestItem(DigestItemKind.RUNTIME_ENVIRONMENT_UPDATED).to_bytes() == b"\x08"
    with pytest.raises(DecodeError):
        DomainHeader.from_bytes(bytes(32) + b"\x00" + bytes(64) + b"\x04\x07")


def test_domain_header_number_must_fit_u32() -> None:
    too_big = b"\x03" + (2**32).to_bytes(5, "little")
    with pytest.raises(DecodeError):
        DomainHeader.from_bytes(bytes(32) + too_big + bytes(64) + b"\x00")


# ---- Hypothesis strategies, round trips and decoder fuzzing ----

digest_items = st.one_of(
    st.builds(lambda data: DigestItem(DigestItemKind.OTHER, b"", data), st.binary(max_size=8)),
    st.builds(
        DigestItem,
        st.sampled_from([DigestItemKind.CONSENSUS, DigestItemKind.SEAL, DigestItemKind.PRE_RUNTIME]),
        st.binary(min_size=4, max_size=4),
        st.binary(max_size=40),
    ),
    st.just(DigestItem(DigestItemKind.RUNTIME_ENVIRONMENT_UPDATED)),
)
domain_headers = st.builds(DomainHeader, hashes, u32s, hashes, hashes, st.lists(digest_items, max_size=3).map(tuple))

CODECS: list[tuple[Any, Any]] = [
    (ChainId, chain_ids),
    (InvalidBundleType, invalid_bundle_types),
    (BundleValidity, bundle_validities),
    (InboxedBundle, inboxed_bundles),
    (ExtrinsicDigest, extrinsic_digests),
    (BlockFees, block_fees),
    (Transfers, transfers),
    (ExecutionReceipt, execution_receipts),
    (DomainHeader, domain_headers),
]
test_round_trip, test_decoders_on_arbitrary_bytes, test_decoders_on_mutated_encodings = make_codec_tests(
    CODECS, round_trip_examples=60, arbitrary_size=400
)


@settings(max_examples=60, deadline=None)
@given(execution_receipts)
def test_versioned_round_trip(receipt: ExecutionReceipt) -> None:
    assert ExecutionReceipt.from_versioned_bytes(receipt.to_versioned_bytes()) == receipt
    assert receipt.hash() == blake2_256(receipt.to_bytes())


def test_every_single_byte_mutation_of_the_vector_receipt() -> None:
    assert_every_byte_mutation_decodes_canonically(ExecutionReceipt, vector_receipt().to_bytes())
