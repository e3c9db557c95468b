"""Segment headers in blocks: a block records exactly the headers the importer's own archive produced for the
block confirmation_depth_k + 1 before it; any forged, missing, extra or reordered header rejects the block with
InvalidSegmentHeaders and leaves the parent state as it was. Transactions sign the network's genesis hash."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autonomys.protocol.archiving.segments import LastArchivedBlock, SegmentHeader
from autonomys.protocol.consensus.chain import Block, ChainState, import_block
from autonomys.protocol.consensus.chain_segments import (
    SEGMENT_HEADER_REASONS,
    SEGMENT_HEADERS_CHANGED,
    SEGMENT_HEADERS_EXTRA,
    SEGMENT_HEADERS_MISSING,
    SEGMENT_HEADERS_REORDERED,
    compute_segment_headers_difference,
    compute_segment_headers_source,
    get_expected_segment_headers,
    validate_segment_headers,
)
from autonomys.protocol.errors import BadSignature, InvalidSegmentHeaders, UnknownSegmentHeaders
from helpers.chain import (
    ALICE,
    BOB,
    GENESIS_SEGMENTS,
    PARAMS,
    ChainSetup,
    archived_segments,
    build_on,
    make_context,
    recorded_commitments,
    reseal,
    transfer,
)
from helpers.chain_fixtures import chain_setup_fixture, first_block_fixture  # noqa: F401 - the fixtures

# Confirmation depth 1: block 3 records what the archive produced from block 1.
DEPTH1 = dataclasses.replace(PARAMS, confirmation_depth_k=1)


def test_a_block_records_the_segments_of_the_block_depth_plus_one_before_it() -> None:
    assert compute_segment_headers_source(1, PARAMS) is None  # genesis segments live in the genesis state
    assert compute_segment_headers_source(PARAMS.confirmation_depth_k + 1, PARAMS) is None
    assert compute_segment_headers_source(PARAMS.confirmation_depth_k + 2, PARAMS) == 1
    assert compute_segment_headers_source(2, DEPTH1) is None
    assert compute_segment_headers_source(3, DEPTH1) == 1
    produced = archived_segments({1: ()})
    assert get_expected_segment_headers(PARAMS.confirmation_depth_k + 2, produced, PARAMS) == ()
    with pytest.raises(UnknownSegmentHeaders):
        get_expected_segment_headers(4, lambda number: None, DEPTH1)


# ---- the rule on header lists (pure) ----


def _header(index: int, commitment: bytes, parent: bytes, number: int, partial: int | None) -> SegmentHeader:
    return SegmentHeader(index, commitment, parent, LastArchivedBlock(number, partial))


headers_strategy = st.lists(
    st.builds(
        _header,
        st.integers(0, 2**64 - 1),
        st.binary(min_size=48, max_size=48),
        st.binary(min_size=32, max_size=32),
        st.integers(0, 2**32 - 1),
        st.none() | st.integers(0, 2**32 - 1),
    ),
    min_size=0,
    max_size=5,
    unique_by=lambda header: header.to_bytes(),
)


@st.composite
def forged_lists(draw: st.DrawFn) -> tuple[tuple[SegmentHeader, ...], tuple[SegmentHeader, ...], str]:
    """(expected, forged, reason): one forgery of the expected list, and how it differs."""
    expected = tuple(draw(headers_strategy))
    kinds = ["extra"] + (["missing", "changed"] if expected else []) + (["reordered"] if len(expected) > 1 else [])
    kind = draw(st.sampled_from(kinds))
    forged = list(expected)
    if kind == "extra":
        extra = draw(headers_strategy.filter(lambda found: len(found) == 1))[0]
        forged.insert(draw(st.integers(0, len(forged))), extra)
        return expected, tuple(forged), SEGMENT_HEADERS_EXTRA
    position = draw(st.integers(0, len(forged) - 1))
    if kind == "missing":
        del forged[position]
        return expected, tuple(forged), SEGMENT_HEADERS_MISSING
    if kind == "reordered":
        other = draw(st.integers(0, len(forged) - 1).filter(lambda index: index != position))
        forged[position], forged[other] = forged[other], forged[position]
        return expected, tuple(forged), SEGMENT_HEADERS_REORDERED
    original = forged[position]
    field = draw(st.sampled_from(["segment_commitment", "prev_segment_header_hash", "segment_index", "last"]))
    if field == "segment_index":
        value: object = draw(st.integers(0, 2**64 - 1).filter(lambda index: index != original.segment_index))
    elif field == "last":
        field, value = "last_archived_block", LastArchivedBlock((original.last_archived_block.number + 1) % 2**32, None)
    else:
        size = len(getattr(original, field))
        value = draw(st.binary(min_size=size, max_size=size).filter(lambda data: data != getattr(original, field)))
    forged[position] = dataclasses.replace(original, **{field: value})
    if sorted(h.to_bytes() for h in forged) == sorted(h.to_bytes() for h in expected):
        return expected, tuple(forged), SEGMENT_HEADERS_REORDERED  # the change made it another expected header
    return expected, tuple(forged), SEGMENT_HEADERS_CHANGED


@given(forged_lists())
def test_every_forged_list_is_rejected_with_what_is_wrong(case: tuple) -> None:
    expected, forged, reason = case
    assert compute_segment_headers_difference(forged, expected) == reason
    with pytest.raises(InvalidSegmentHeaders) as caught:
        validate_segment_headers(3, forged, archived_segments({1: expected}), DEPTH1)
    assert caught.value.reason == reason
    assert caught.value.reason in SEGMENT_HEADER_REASONS


@given(headers_strategy)
def test_the_archived_list_itself_is_accepted(expected: list[SegmentHeader]) -> None:
    assert compute_segment_headers_difference(expected, expected) is None
    validate_segment_headers(3, expected, archived_segments({1: expected}), DEPTH1)


# ---- the rule in block import ----


@pytest.fixture(scope="module", name="third")
def third_fixture(setup: ChainSetup, first: Block) -> tuple[ChainState, bytes, Block, tuple[SegmentHeader, ...]]:
    """(state after block 2, its hash, block 3 recording the two segments archived from block 1, those headers)."""
    context = make_context(setup.kzg, params=DEPTH1)
    state = import_block(setup.genesis, setup.genesis_hash, first, context)
    wins = [w for w in setup.author.wins(first.header.slot + 1, 2)]
    second = build_on(state, first.hash(), setup.author, wins[0], params=DEPTH1)
    state = import_block(state, first.hash(), second, context)
    produced = setup.headers[GENESIS_SEGMENTS : GENESIS_SEGMENTS + 2]
    block = build_on(state, second.hash(), setup.author, wins[1], segment_headers=produced, params=DEPTH1)
    return state, second.hash(), block, produced


def _import_third(setup: ChainSetup, third: tuple, block: Block, produced: tuple) -> ChainState:
    state, parent_hash = third[0], third[1]
    context = make_context(setup.kzg, params=DEPTH1, archived=archived_segments({1: produced}))
    before = state.to_bytes()
    try:
        return import_block(state, parent_hash, block, context)
    finally:
        assert state.to_bytes() == before


def test_the_archived_segments_import(setup: ChainSetup, third: tuple) -> None:
    block, produced = third[2], third[3]
    after = _import_third(setup, third, block, produced)
    assert recorded_commitments(after)[GENESIS_SEGMENTS:] == tuple(bytes(h.segment_commitment) for h in produced)


def _forgeries(setup: ChainSetup, produced: tuple[SegmentHeader, ...]) -> dict[str, tuple]:
    """Header lists an author might put in block 3 instead of what the importer archived from block 1; each
    chains by index and parent hash where the rule before this one looked no further."""
    first, second = produced
    not_a_point = bytes([0xFF]) * 48
    unarchived = SegmentHeader(
        second.segment_index + 1, second.segment_commitment, second.hash(), LastArchivedBlock(99, None)
    )
    return {
        "another segment's commitment": (dataclasses.replace(first, segment_commitment=setup.headers[0].segment_commitment), second),
        "bytes that are no curve point": (first, dataclasses.replace(second, segment_commitment=not_a_point)),
        "a segment not archived yet": (*produced, unarchived),
        "one header omitted": (first,),
        "none at all": (),
        "reordered": (second, first),
        "another last archived block": (dataclasses.replace(first, last_archived_block=LastArchivedBlock(1, None)), second),
    }  # fmt: skip


@pytest.mark.parametrize(
    "forgery",
    [
        "another segment's commitment",
        "bytes that are no curve point",
        "a segment not archived yet",
        "one header omitted",
        "none at all",
        "reordered",
        "another last archived block",
    ],
)
def test_a_block_with_forged_history_is_rejected(setup: ChainSetup, third: tuple, forgery: str) -> None:
    block, produced = third[2], third[3]
    forged = reseal(block, setup.author.keypair, segment_headers=_forgeries(setup, produced)[forgery])
    with pytest.raises(InvalidSegmentHeaders):
        _import_third(setup, third, forged, produced)


def test_a_block_that_leaves_out_what_this_node_archived_is_rejected(setup: ChainSetup, third: tuple) -> None:
    block, produced = third[2], third[3]
    bare = reseal(block, setup.author.keypair, segment_headers=())
    with pytest.raises(InvalidSegmentHeaders) as caught:
        _import_third(setup, third, bare, produced)
    assert caught.value.reason == SEGMENT_HEADERS_MISSING


def test_a_block_whose_source_is_not_archived_here_is_not_judged(setup: ChainSetup, third: tuple) -> None:
    state, parent_hash, block = third[0], third[1], third[2]
    context = make_context(setup.kzg, params=DEPTH1, archived=lambda number: None)
    with pytest.raises(UnknownSegmentHeaders):
        import_block(state, parent_hash, block, context)


# ---- transactions sign the genesis hash ----


def test_a_transaction_signed_for_another_network_is_rejected(setup: ChainSetup) -> None:
    other_network = bytes(range(32))
    won = setup.author.wins(1, 1)[0]
    honest = build_on(
        setup.genesis, setup.genesis_hash, setup.author, won, transactions=[transfer(ALICE, 0, BOB.public_key, 5)]
    )
    assert len(honest.transactions) == 1
    replayed = transfer(ALICE, 0, BOB.public_key, 5, network=other_network)
    # The builder leaves it out; a block that carries it anyway is rejected.
    assert build_on(setup.genesis, setup.genesis_hash, setup.author, won, transactions=[replayed]).transactions == ()
    forged = reseal(honest, setup.author.keypair, transactions=(replayed,))
    context = make_context(setup.kzg)
    with pytest.raises(BadSignature):
        import_block(setup.genesis, setup.genesis_hash, forged, context)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=32, max_size=32))
def test_the_signing_payload_binds_the_network(network: bytes) -> None:
    transaction = transfer(ALICE, 0, BOB.public_key, 5, network=network)
    assert transaction.signing_payload(network) != transaction.signing_payload(bytes(a ^ 1 for a in network))
