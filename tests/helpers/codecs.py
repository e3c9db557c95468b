"""Codec checks shared by the container tests (round trips and decoder fuzzing over Hypothesis strategies), and
the receipt vector and strategies of the domain receipt containers that the receipt and bundle tests share.

A codec here is a container class with `to_bytes`, `from_bytes` (exactly one value) and `read` (one value from a
Reader). `make_codec_tests` builds the three parametrized tests a container module runs; a test module assigns
them to module-level `test_*` names so pytest collects them there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.codec import Reader
from autonomys.protocol.constants import U32_MAX, U64_MAX
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
)
from autonomys.protocol.errors import DecodeError

Codecs = Sequence[tuple[Any, st.SearchStrategy[Any]]]
"""(container class, strategy of its values) pairs."""


def assert_decodes_canonically(codec: Any, data: bytes) -> None:
    """Bytes either decode to a value that re-encodes to exactly them, or raise DecodeError."""
    try:
        value = codec.from_bytes(data)
    except DecodeError:
        return
    assert value.to_bytes() == data


def assert_round_trip(codec: Any, value: Any) -> None:
    """`value` encodes, decodes back whole and from inside a longer input, and refuses a trailing byte."""
    encoded = value.to_bytes()
    assert codec.from_bytes(encoded) == value
    assert codec.read(Reader(encoded + b"\xff", codec.__name__)) == value
    with pytest.raises(DecodeError):
        codec.from_bytes(encoded + b"\x00")


def assert_mutation_decodes_canonically(codec: Any, encoded: bytes, data: st.DataObject) -> None:
    """One byte of a valid encoding replaced, and the encoding cut short, each decode canonically or not at all."""
    mutated = bytearray(encoded)
    position = data.draw(st.integers(0, len(mutated) - 1))
    mutated[position] = data.draw(st.integers(0, 255))
    assert_decodes_canonically(codec, bytes(mutated))
    cut = data.draw(st.integers(0, len(mutated)))
    assert_decodes_canonically(codec, bytes(mutated[:cut]))


def assert_every_byte_mutation_decodes_canonically(
    codec: Any, encoded: bytes, replacements: Sequence[int] = (0x00, 0x01, 0x80, 0xFF)
) -> None:
    """Every byte of `encoded` replaced in turn by each of `replacements` and by itself with the low bit flipped."""
    for position in range(len(encoded)):
        for value in (*replacements, encoded[position] ^ 0x01):
            assert_decodes_canonically(codec, encoded[:position] + bytes([value]) + encoded[position + 1 :])


def make_codec_tests(
    codecs: Codecs, *, round_trip_examples: int, arbitrary_size: int
) -> tuple[Callable[..., None], Callable[..., None], Callable[..., None]]:
    """(test_round_trip, test_decoders_on_arbitrary_bytes, test_decoders_on_mutated_encodings), each parametrized
    over `codecs`; arbitrary inputs are up to `arbitrary_size` bytes."""
    parametrize = pytest.mark.parametrize(("codec", "values"), codecs, ids=[codec.__name__ for codec, _ in codecs])

    @parametrize
    @settings(max_examples=round_trip_examples, deadline=None)
    @given(data=st.data())
    def test_round_trip(codec: Any, values: st.SearchStrategy[Any], data: st.DataObject) -> None:
        assert_round_trip(codec, data.draw(values))

    @parametrize
    @settings(max_examples=100, deadline=None)
    @given(data=st.data())
    def test_decoders_on_arbitrary_bytes(codec: Any, values: st.SearchStrategy[Any], data: st.DataObject) -> None:
        assert_decodes_canonically(codec, data.draw(st.binary(max_size=arbitrary_size)))

    @parametrize
    @settings(max_examples=100, deadline=None)
    @given(data=st.data())
    def test_decoders_on_mutated_encodings(codec: Any, values: st.SearchStrategy[Any], data: st.DataObject) -> None:
        assert_mutation_decodes_canonically(codec, data.draw(values).to_bytes(), data)

    return test_round_trip, test_decoders_on_arbitrary_bytes, test_decoders_on_mutated_encodings


# ---- the reference note's receipt vector ----

TRACE = (bytes([1]) * 32, bytes([2]) * 32, bytes([3]) * 32)
PARENT_RECEIPT_HASH = bytes.fromhex("5207cc85cfd1f53e11f4b9e85bf2d0a4f33e24d0f0f18b818b935a6aa47d3930")


def vector_receipt() -> ExecutionReceipt:
    return ExecutionReceipt(
        domain_block_number=1,
        domain_block_hash=bytes([7]) * 32,
        domain_block_extrinsic_root=EMPTY_EXTRINSIC_ROOT,
        parent_domain_block_receipt_hash=PARENT_RECEIPT_HASH,
        consensus_block_number=1,
        consensus_block_hash=bytes([9]) * 32,
        inboxed_bundles=(),
        final_state_root=bytes([3]) * 32,
        execution_trace=TRACE,
        execution_trace_root=compute_execution_trace_root(TRACE),
    )


# ---- strategies of the domain receipt containers ----

hashes = st.binary(min_size=32, max_size=32)
u32s = st.integers(0, U32_MAX)
u64s = st.integers(0, U64_MAX)
u128s = st.integers(0, 2**128 - 1)
chain_ids = st.one_of(st.just(CONSENSUS_CHAIN_ID), st.builds(ChainId, u32s))
chain_amounts = st.dictionaries(chain_ids, u128s, max_size=4).map(compute_chain_amounts)
invalid_bundle_types = st.one_of(
    st.just(InvalidBundleType(InvalidBundleKind.INVALID_BUNDLE_WEIGHT)),
    st.builds(
        InvalidBundleType,
        st.sampled_from([kind for kind in InvalidBundleKind if kind != InvalidBundleKind.INVALID_BUNDLE_WEIGHT]),
        u32s,
    ),
)
bundle_validities = st.one_of(
    st.builds(BundleValidity, invalid_bundle_types), st.builds(lambda digest: BundleValidity(None, digest), hashes)
)
inboxed_bundles = st.builds(InboxedBundle, bundle_validities, hashes)
extrinsic_digests = st.one_of(
    st.builds(lambda data: ExtrinsicDigest(data=data), st.binary(max_size=40)),
    st.builds(lambda digest: ExtrinsicDigest(extrinsic_hash=digest), hashes),
)
block_fees = st.builds(BlockFees, u128s, u128s, u128s, chain_amounts)
transfers = st.builds(Transfers, chain_amounts, chain_amounts, chain_amounts, chain_amounts)
execution_receipts = st.builds(
    ExecutionReceipt,
    u32s,
    hashes,
    hashes,
    hashes,
    u32s,
    hashes,
    st.lists(inboxed_bundles, max_size=3).map(tuple),
    hashes,
    st.lists(hashes, max_size=4).map(tuple),
    hashes,
    block_fees,
    transfers,
)
