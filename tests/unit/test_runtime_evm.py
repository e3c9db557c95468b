"""The EVM runtime: genesis and state roots reproducible from an independent trie, signed legacy and EIP-1559
transfers, contract deployment, calls, logs and BLOCKHASH, fees burned into the block fees, each rejection with
geth's words and the state unchanged, and a domain block derived from bundles by two executions identically."""

from __future__ import annotations

import pytest

pytest.importorskip("eth")
eth_account = pytest.importorskip("eth_account")

import rlp  # noqa: E402
import sr25519  # noqa: E402
from eth_utils import keccak, to_checksum_address  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from trie import HexaryTrie  # noqa: E402

from autonomys.protocol.domains.bundles import Bundle, BundleHeader, ProofOfElection, Weight, seal  # noqa: E402
from autonomys.protocol.domains.evm_receipts import EvmOutcome  # noqa: E402
from autonomys.protocol.domains.evm_state import SLOT_CHAIN_ID, SLOT_DOMAIN_ID, SYSTEM_ADDRESS  # noqa: E402
from autonomys.protocol.domains.execution import ParentBlock, derive_domain_block, encode_opaque  # noqa: E402
from autonomys.protocol.domains.receipts import InvalidBundleKind, genesis_receipt  # noqa: E402
from autonomys.protocol.domains.registry import compute_domain_genesis  # noqa: E402
from autonomys.protocol.domains.runtime import DomainBlockContext, runtime_named  # noqa: E402
from autonomys.protocol.domains.runtime_evm import (  # noqa: E402
    MIN_GAS_PRICE,
    STORAGE_FEE_PERCENT,
    WEIGHT_PER_GAS,
    compute_base_fee,
)
from autonomys.protocol.domains.substrate_trie import ordered_trie_root  # noqa: E402
from autonomys.protocol.errors import DecodeError, IllegalTransaction  # noqa: E402

Account = eth_account.Account
EVM = runtime_named("evm")
ALITH = Account.from_key("0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133")
ALITH_ADDRESS = bytes.fromhex("f24FF3a9CF04c71Dbc94D0b566f7A27B94566cac")
BOB = Account.from_key(bytes([2]) * 32)
BOB_ADDRESS = bytes.fromhex(BOB.address[2:])
DOMAIN, CHAIN_ID, AI3 = 3, 870, 10**18
CONTEXT = DomainBlockContext(DOMAIN, 1, bytes([9]) * 32, 7, 1_700_000_000_000, 0, bytes([5]) * 32)
BASE_FEE = compute_base_fee(0)
EMPTY_CODE_HASH = keccak(b"")
BLANK_ROOT = keccak(rlp.encode(b""))
OPERATOR = sr25519.pair_from_seed(bytes([0x77]) * 32)


def genesis() -> tuple[dict[bytes, bytes], bytes]:
    changes = compute_domain_genesis("evm", DOMAIN, [(ALITH_ADDRESS, 1000 * AI3)], evm_chain_id=CHAIN_ID)
    return dict(changes.created), changes.root


def transfer(account=ALITH, nonce: int = 0, value: int = AI3, **fields) -> bytes:
    transaction = {
        "type": 2, "chainId": CHAIN_ID, "nonce": nonce, "to": BOB.address, "value": value, "gas": 21_000,
        "maxFeePerGas": 2 * BASE_FEE, "maxPriorityFeePerGas": 0,
    } | fields  # fmt: skip
    if "gasPrice" in fields:
        del transaction["type"], transaction["maxFeePerGas"], transaction["maxPriorityFeePerGas"]
    return bytes(account.sign_transaction(transaction).raw_transaction)


def block(nodes: dict[bytes, bytes], root: bytes, transactions: list[bytes], context: DomainBlockContext = CONTEXT):
    """Execute one block over `root`; (session after finalize, trace, fees)."""
    session = EVM.open_state(nodes, root)
    EVM.initialize_block(session, context)
    trace = [session.step()]
    for extrinsic in EVM.inherents(context) + transactions:
        if not EVM.is_inherent(extrinsic):
            EVM.check(session, extrinsic, context)
        EVM.apply(session, extrinsic, context)
        trace.append(session.step())
    fees = EVM.finalize_block(session, context)
    trace.append(session.step())
    return session, trace, fees


def test_the_genesis_root_is_the_ethereum_state_root_of_its_accounts() -> None:
    _, root = genesis()
    # An independent trie (py-trie): accounts under keccak(address) -> rlp([nonce, balance, storage root, code hash]).
    storage = HexaryTrie({})
    for slot, value in ((SLOT_DOMAIN_ID, DOMAIN), (SLOT_CHAIN_ID, CHAIN_ID)):
        storage[keccak(slot.to_bytes(32, "big"))] = rlp.encode(value)
    accounts = HexaryTrie({})
    accounts[keccak(ALITH_ADDRESS)] = rlp.encode([0, 1000 * AI3, BLANK_ROOT, EMPTY_CODE_HASH])
    accounts[keccak(SYSTEM_ADDRESS)] = rlp.encode([1, 0, storage.root_hash, EMPTY_CODE_HASH])
    assert root == accounts.root_hash


def test_transfers_legacy_and_eip1559_pay_burned_fees_into_the_block_fees() -> None:
    nodes, root = genesis()
    legacy = transfer(nonce=1, value=2 * AI3, gasPrice=BASE_FEE)
    session, trace, fees = block(nodes, root, [transfer(), legacy])
    state = session.state()
    assert state.get_balance(BOB_ADDRESS) == 3 * AI3
    assert state.get_nonce(ALITH_ADDRESS) == 2
    fee = 2 * 21_000 * BASE_FEE
    assert state.get_balance(ALITH_ADDRESS) == 1000 * AI3 - 3 * AI3 - fee
    assert state.get_balance(SYSTEM_ADDRESS) == fee  # collected there, burned by the next block
    storage = -(-fee * STORAGE_FEE_PERCENT // 100)
    assert (fees.consensus_storage_fee, fees.domain_execution_fee) == (storage, fee - storage)
    assert len(trace) == 1 + 2 + 2 + 1  # initialize, two inherents, two transactions, finalize
    assert len(set(trace[2:])) == 4  # each transaction moves the root, and finalize (it records the fees)
    assert session.block_fees() == fees  # the state holds what the receipt reports
    outcomes = [EvmOutcome.from_bytes(raw) for raw in session.transaction_outcomes()]
    assert [(o.success, o.gas_used, o.cumulative_gas_used) for o in outcomes] == [
        (True, 21_000, 21_000),
        (True, 21_000, 42_000),
    ]
    assert outcomes[1].transaction_hash == keccak(legacy) == EVM.transaction_hash(legacy)
    # The state reopens from the stored nodes at the last root of the trace.
    changes = session.changes()
    assert changes.root == trace[-1]
    reopened = EVM.open_state({**nodes, **changes.created}, changes.root)
    assert reopened.state().get_balance(BOB_ADDRESS) == 3 * AI3
    EVM.initialize_block(reopened, CONTEXT)  # the next block burns the collected fees
    assert reopened.state().get_balance(SYSTEM_ADDRESS) == 0


def test_signer_weight_and_hash() -> None:
    raw = transfer(gas=50_000)
    assert EVM.signer(raw) == ALITH_ADDRESS
    assert EVM.weight(raw) == Weight(50_000 * WEIGHT_PER_GAS, len(raw))
    assert not EVM.is_inherent(raw)
    assert all(EVM.is_inherent(inherent) and EVM.signer(inherent) is None for inherent in EVM.inherents(CONTEXT))


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (transfer(chainId=1), "invalid chain id"),
        (transfer(nonce=1), "nonce too high"),
        (transfer(value=2000 * AI3), "insufficient funds"),
        (transfer(maxFeePerGas=MIN_GAS_PRICE - 1), "less than block base fee"),
        (transfer(maxPriorityFeePerGas=3 * BASE_FEE), "priority fee per gas higher"),
        (transfer(gas=20_000), "intrinsic gas too low"),
        (transfer(gas=60_000_000, maxFeePerGas=BASE_FEE), "exceeds block gas limit"),
        (transfer(data="0x" + "00" * 70_000, gas=2_000_000), "oversized data"),
        (transfer(account=BOB), "insufficient funds"),
    ],
)
def test_illegal_transactions_are_named_and_change_nothing(raw: bytes, words: str) -> None:
    nodes, root = genesis()
    session = EVM.open_state(nodes, root)
    with pytest.raises(IllegalTransaction, match=words):
        EVM.check(session, raw, CONTEXT)
    assert session.step() == root and session.changes().created == {}


def test_a_used_nonce_is_too_low() -> None:
    nodes, root = genesis()
    session, _, _ = block(nodes, root, [transfer()])
    with pytest.raises(IllegalTransaction, match="nonce too low"):
        EVM.check(session, transfer(), CONTEXT)


@pytest.mark.parametrize(
    "raw",
    [b"", b"\xc0", b"\x02\xc0", b"\x03" + transfer()[1:], b"\x05abc", transfer()[:-3], transfer() + b"\x00"],
)
def test_undecodable_transactions_raise_decode_error(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        EVM.signer(raw)


def test_a_bad_signature_does_not_decode_or_names_another_signer() -> None:
    raw = bytearray(transfer())
    raw[-5] ^= 0xFF  # inside s
    try:
        signer = EVM.signer(bytes(raw))
    except DecodeError:
        return
    assert signer != ALITH_ADDRESS


# Runtime code: LOG1(topic = CALLDATA word 0, data = the parent's BLOCKHASH), then store BLOCKHASH(number - 1)
# in slot 0. PUSH1 1 NUMBER SUB BLOCKHASH DUP1 PUSH1 0 SSTORE PUSH1 0 MSTORE PUSH1 0 CALLDATALOAD PUSH1 32
# PUSH1 0 LOG1 STOP
PROBE = bytes.fromhex("60014303408060005560005260003560206000a100")


def deploy_code(runtime: bytes) -> bytes:
    size = len(runtime)
    return bytes([0x60, size, 0x60, 0x0C, 0x60, 0x00, 0x39, 0x60, size, 0x60, 0x00, 0xF3]) + runtime


def test_a_contract_deployed_and_called_logs_and_reads_the_parent_hash() -> None:
    nodes, root = genesis()
    create = bytes(
        ALITH.sign_transaction({
            "type": 2, "chainId": CHAIN_ID, "nonce": 0, "value": 0, "gas": 200_000, "data": deploy_code(PROBE),
            "maxFeePerGas": 2 * BASE_FEE, "maxPriorityFeePerGas": 0,
        }).raw_transaction
    )  # fmt: skip
    contract = keccak(rlp.encode([ALITH_ADDRESS, 0]))[12:]
    topic = bytes([0xAB]) * 32
    call = transfer(nonce=1, value=0, gas=100_000, to=to_checksum_address(contract), data="0x" + topic.hex())
    session, _, _ = block(nodes, root, [create, call])
    created, called = (EvmOutcome.from_bytes(raw) for raw in session.transaction_outcomes())
    assert created.success and created.contract_address == contract
    assert session.state().get_code(contract) == PROBE
    assert called.success
    assert called.logs == ((contract, (topic,), CONTEXT.parent_hash),)
    assert session.state().get_storage(contract, 0) == int.from_bytes(CONTEXT.parent_hash, "big")
    assert created.bloom() == 0 and called.bloom() != 0


def test_a_failed_call_keeps_its_fee_and_nonce_and_reports_failure() -> None:
    nodes, root = genesis()
    revert = bytes.fromhex("600080fd")
    create = transfer(value=0, gas=100_000, to="", data="0x" + deploy_code(revert).hex())
    contract = keccak(rlp.encode([ALITH_ADDRESS, 0]))[12:]
    call = transfer(nonce=1, value=5, gas=50_000, to=to_checksum_address(contract))
    session, _, _ = block(nodes, root, [create, call])
    outcome = EvmOutcome.from_bytes(session.transaction_outcomes()[1])
    assert not outcome.success and outcome.gas_used < 50_000
    assert session.state().get_nonce(ALITH_ADDRESS) == 2
    assert session.state().get_balance(contract) == 0


def bundle(extrinsics: list[bytes]) -> Bundle:
    weights = [EVM.weight(extrinsic) for extrinsic in extrinsics]
    encoded = tuple(encode_opaque(extrinsic) for extrinsic in extrinsics)
    weight = Weight(sum(w.ref_time for w in weights), sum(w.proof_size for w in weights))
    election = ProofOfElection(DOMAIN, 5, bytes(16), bytes(range(96)), 0)
    header = BundleHeader(election, genesis_receipt(bytes(32)), weight, ordered_trie_root(encoded))
    return Bundle(seal(header, OPERATOR), encoded)


def test_derived_domain_blocks_are_identical_and_an_illegal_bundle_is_named() -> None:
    nodes, root = genesis()
    receipt = genesis_receipt(root)
    parent = ParentBlock(receipt.domain_block_hash, root, receipt.hash())
    bundles = [bundle([transfer(), transfer(nonce=1)]), bundle([transfer(nonce=5)])]
    derived = [derive_domain_block(EVM, nodes, parent, CONTEXT, bundles, bytes(16), 2**256 - 1) for _ in range(2)]
    assert derived[0].receipt.to_bytes() == derived[1].receipt.to_bytes()
    assert derived[0].changes.created == derived[1].changes.created
    inboxed = derived[0].receipt.inboxed_bundles
    assert inboxed[1].bundle.invalid_bundle_type.kind == InvalidBundleKind.ILLEGAL_TX
    assert len(derived[0].outcomes) == 2


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=200)
    | st.builds(lambda head, tail: head + tail, st.sampled_from([b"\x01", b"\x02", b"\xf8"]), st.binary(max_size=120))
)
def test_arbitrary_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    try:
        EVM.signer(data)
    except DecodeError:
        return


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_transactions_decode_or_raise_decode_error(data: st.DataObject) -> None:
    raw = bytearray(data.draw(st.sampled_from([transfer(), transfer(nonce=1, gasPrice=BASE_FEE)])))
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        signer = EVM.signer(bytes(raw))
    except DecodeError:
        return
    assert signer is None or len(signer) == 20


@pytest.mark.parametrize("value", [b"", b"\x00", b"\x00\x07", b"transfers", bytes(31)])
def test_named_system_records_round_trip_exactly(value: bytes) -> None:
    nodes, root = genesis()
    session = EVM.open_state(nodes, root)
    assert session.get(b"some/record") is None
    session.set(b"some/record", value)
    assert session.get(b"some/record") == value
    session.delete(b"some/record")
    assert session.get(b"some/record") is None
    with pytest.raises(ValueError):
        session.set(b"some/record", bytes(32))
