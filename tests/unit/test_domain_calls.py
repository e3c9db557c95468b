"""The domains calls and DomainConfig on the consensus chain: round trips, fuzzed decoders (exact re-encoding or
DecodeError), and the block tree's receipt classification (pallet-domains `execution_receipt_type`)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.codec import Reader
from autonomys.protocol.consensus.chain_blocks import decode_call
from autonomys.protocol.domains.block_tree import (
    BlockScratch,
    ReceiptType,
    classify_receipt,
    process_execution_receipt,
    store_genesis_receipt,
)
from autonomys.protocol.domains.bundles import Weight
from autonomys.protocol.domains.calls import (
    CALL_DEREGISTER_OPERATOR,
    CALL_UNLOCK_FUNDS,
    CALL_UNLOCK_NOMINATOR,
    InstantiateDomain,
    OperatorCall,
    RegisterOperator,
    nominate,
    withdraw,
)
from autonomys.protocol.domains.fixed_point import Percent
from autonomys.protocol.domains.ledger import MemoryLedger
from autonomys.protocol.domains.receipts import genesis_receipt
from autonomys.protocol.domains.registry import BundleLimit, DomainConfig, DomainRuntimeInfo
from autonomys.protocol.domains.staking_types import OperatorAllowList, OperatorConfig
from autonomys.protocol.errors import DecodeError

ACCOUNTS = st.binary(min_size=32, max_size=32)
CONFIGS = st.builds(
    DomainConfig,
    st.text(max_size=40),
    st.integers(0, 2**32 - 1),
    st.one_of(
        st.none(),
        st.builds(
            BundleLimit,
            st.integers(0, 2**32 - 1),
            st.builds(Weight, st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)),
        ),
    ),
    st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)),
    st.one_of(st.just(OperatorAllowList()), st.builds(OperatorAllowList, st.frozensets(ACCOUNTS, max_size=3))),
    st.lists(
        st.tuples(st.one_of(ACCOUNTS, st.binary(min_size=20, max_size=20)), st.integers(0, 2**128 - 1)), max_size=4
    ).map(tuple),
    st.one_of(
        st.builds(DomainRuntimeInfo.evm, st.integers(0, 2**64 - 1)),
        st.builds(DomainRuntimeInfo, st.sampled_from([1, 2])),
    ),
)
CALLS = st.one_of(
    st.builds(InstantiateDomain, CONFIGS),
    st.builds(RegisterOperator, st.integers(0, 2**32 - 1), st.integers(0, 2**128 - 1),
              st.builds(OperatorConfig, ACCOUNTS, st.integers(0, 2**128 - 1), st.builds(Percent, st.integers(0, 100)))),
    st.builds(nominate, st.integers(0, 2**64 - 1), st.integers(0, 2**128 - 1)),
    st.builds(withdraw, st.integers(0, 2**64 - 1), st.integers(0, 2**128 - 1)),
    st.builds(OperatorCall, st.sampled_from([CALL_UNLOCK_FUNDS, CALL_DEREGISTER_OPERATOR, CALL_UNLOCK_NOMINATOR]), st.integers(0, 2**64 - 1)),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(call=CALLS)
def test_every_domains_call_round_trips_through_the_chain_call_enum(call) -> None:
    assert decode_call(call.to_bytes()) == call


@settings(max_examples=300, deadline=None)
@given(call=CALLS, data=st.data())
def test_mutated_calls_decode_exactly_or_are_decode_errors(call, data) -> None:
    encoded = bytearray(call.to_bytes())
    position = data.draw(st.integers(0, len(encoded) - 1))
    encoded[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(encoded)))
    for candidate in (bytes(encoded), bytes(encoded[:cut]), bytes(encoded) + b"\x00"):
        try:
            decoded = decode_call(candidate)
        except DecodeError:
            continue
        assert decoded.to_bytes() == candidate


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_are_a_domain_config_or_a_decode_error(raw: bytes) -> None:
    try:
        config = DomainConfig.from_bytes(raw)
    except DecodeError:
        return
    assert config.to_bytes() == raw
    assert DomainConfig.read(Reader(raw + b"\x01", "config")) == config


def receipt_at(number: int, parent: bytes, salt: int = 0):
    import dataclasses

    base = genesis_receipt(bytes([salt + 1]) * 32)
    return dataclasses.replace(base, domain_block_number=number, parent_domain_block_receipt_hash=parent)


def test_receipts_are_classified_against_the_head_as_the_reference_does() -> None:
    ledger = MemoryLedger()
    genesis = genesis_receipt(bytes(32))
    store_genesis_receipt(ledger, 0, genesis)
    scratch = BlockScratch()
    assert classify_receipt(ledger, 0, genesis, scratch) is ReceiptType.CURRENT_HEAD  # n == 0 with the head at 0
    first = receipt_at(1, genesis.hash())
    assert classify_receipt(ledger, 0, receipt_at(2, first.hash()), scratch) is ReceiptType.IN_FUTURE
    assert classify_receipt(ledger, 0, first, scratch) is ReceiptType.NEW_HEAD
    process_execution_receipt(ledger, 0, 7, first, ReceiptType.NEW_HEAD, scratch, pruning_depth=5)
    # In the same block: the new head again is the current head; another receipt for 2 is in the future.
    assert classify_receipt(ledger, 0, first, scratch) is ReceiptType.CURRENT_HEAD
    assert classify_receipt(ledger, 0, receipt_at(2, first.hash()), scratch) is ReceiptType.IN_FUTURE
    later = BlockScratch()
    assert classify_receipt(ledger, 0, first, later) is ReceiptType.STALE  # a later block: a duplicate is stale
    assert classify_receipt(ledger, 0, receipt_at(1, genesis.hash(), salt=9), later) is ReceiptType.NEW_BRANCH
    assert classify_receipt(ledger, 0, receipt_at(2, first.hash()), later) is ReceiptType.NEW_HEAD


@pytest.mark.parametrize("tag", [2, 3, 4, 5, 6, 7, 8])
def test_a_truncated_domains_call_is_a_decode_error(tag: int) -> None:
    with pytest.raises(DecodeError):
        decode_call(bytes([tag]))
