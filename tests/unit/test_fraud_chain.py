"""Fraud proofs on the consensus chain: a bad receipt that entered the block tree is proven wrong in a later block;
the receipt is pruned, its operator slashed, the head rolled back; a proof against an honest receipt, of an
unknown receipt or of genesis is refused with a named error and changes nothing; a block carrying a refused proof
is invalid; the node's pool keeps one proof per domain, preferring the receipt nearest confirmation."""

from __future__ import annotations

import dataclasses

import pytest
from test_domain_chain import AI3, DOMAIN, Chain, make_chain, reader

from autonomys.actors.consensus.bundle_pool import BundlePool, RejectedBundle
from autonomys.protocol.consensus.chain_blocks import Block
from autonomys.protocol.domains.block_tree import get_block_tree_node, receipt_hash_at
from autonomys.protocol.domains.fraud_proofs import (
    FraudProof,
    InvalidBlockFeesProof,
    prove_invalid_block_fees,
)
from autonomys.protocol.domains.fraud_submit import fraud_proofs_accepted, validate_fraud_proof
from autonomys.protocol.domains.params import DEV_DOMAINS
from autonomys.protocol.domains.runtime_balances import BALANCES
from autonomys.protocol.domains.staking import operators_slashed, slashed_reason
from autonomys.protocol.domains.staking_storage import (
    PENDING_SLASHES,
    get_head_receipt_number,
    get_operator,
    get_operator_set,
    get_staking_summary,
)
from autonomys.protocol.domains.staking_types import OperatorStatusKind
from autonomys.protocol.errors import RejectedFraudProof
from helpers.chain import ChainSetup
from helpers.chain_fixtures import chain_setup_fixture  # noqa: F401 - the fixture


@pytest.fixture
def chain(setup: ChainSetup) -> Chain:
    return make_chain(setup)


def lie_about_fees(chain: Chain):
    """Domain block 1 executed honestly; operator 0 then carries a receipt of it with an execution fee one unit
    too high, which the chain takes as its new head. The lie, and the honest receipt."""
    chain.import_(chain.block(bundles=[chain.bundle(0)]))
    honest = chain.last_executed.receipt
    fees = dataclasses.replace(honest.block_fees, domain_execution_fee=honest.block_fees.domain_execution_fee + 1)
    bad = dataclasses.replace(honest, block_fees=fees)
    chain.import_(chain.block(bundles=[chain.bundle(0, receipt=bad)]))
    assert receipt_hash_at(reader(chain.state), DOMAIN, 1) == bad.hash()
    return bad, honest


def fees_proof(chain: Chain, bad) -> FraudProof:
    executed, _, _ = chain.executed[1]
    proof = prove_invalid_block_fees(BALANCES, chain.domain_nodes, DOMAIN, bad, executed.receipt.final_state_root)
    assert proof is not None
    return proof


def test_an_accepted_fraud_proof_prunes_the_receipt_slashes_its_operator_and_rolls_the_head_back(chain: Chain) -> None:
    bad, _ = lie_about_fees(chain)
    proof = fees_proof(chain, bad)
    assert FraudProof.from_bytes(proof.to_bytes()) == proof
    block = chain.block(fraud_proofs=[proof])
    assert block.fraud_proofs == (proof,)
    assert Block.from_bytes(block.to_bytes()) == block
    state = chain.import_(block)
    ledger = reader(state)
    assert get_block_tree_node(ledger, bad.hash()) is None and receipt_hash_at(ledger, DOMAIN, 1) is None
    assert get_head_receipt_number(ledger, DOMAIN) == 0
    assert fraud_proofs_accepted(ledger, DOMAIN) == 1 and operators_slashed(ledger, DOMAIN) == 1
    assert slashed_reason(ledger, 0).bad_receipt_hash == bad.hash()
    assert 0 in get_operator_set(ledger, PENDING_SLASHES, DOMAIN)
    assert get_operator(ledger, 0).partial_status.kind is OperatorStatusKind.SLASHED
    # The slashed operator has left the epoch's operators: it can no longer submit bundles.
    assert 0 not in get_staking_summary(ledger, DOMAIN).current_operators


def test_a_proof_against_an_honest_receipt_is_refused_and_a_block_carrying_it_is_invalid(chain: Chain) -> None:
    chain.import_(chain.block(bundles=[chain.bundle(0)]))
    honest = chain.last_executed.receipt
    chain.import_(chain.block(bundles=[chain.bundle(0)]))
    assert receipt_hash_at(reader(chain.state), DOMAIN, 1) == honest.hash()
    # A proof made for a lie, pointed at the honest receipt: its fees are the state's.
    lie = dataclasses.replace(honest, block_fees=dataclasses.replace(honest.block_fees, burned_balance=1))
    made = fees_proof(chain, lie)
    aimed = FraudProof(DOMAIN, honest.hash(), made.proof)
    with pytest.raises(RejectedFraudProof) as raised:
        validate_fraud_proof(reader(chain.state), aimed)
    assert raised.value.reason == "invalid_fraud_proof"
    root = chain.state.state_root()
    assert chain.block(fraud_proofs=[aimed]).fraud_proofs == ()  # block building leaves it out
    with pytest.raises(RejectedFraudProof):
        import_with_fraud_proofs(chain, [aimed])
    assert chain.state.state_root() == root
    assert get_operator(reader(chain.state), 0).partial_status.kind is OperatorStatusKind.REGISTERED


@pytest.mark.parametrize(
    ("target", "reason"),
    [("unknown", "bad_receipt_not_found"), ("genesis", "challenging_genesis_receipt"), ("domain", "domain_not_found")],
)
def test_proofs_of_unknown_genesis_or_foreign_receipts_are_refused_by_name(chain: Chain, target, reason) -> None:
    ledger = reader(chain.state)
    genesis_hash = receipt_hash_at(ledger, DOMAIN, 0)
    domain, bad_hash = DOMAIN, bytes([7]) * 32
    if target == "genesis":
        bad_hash = genesis_hash
    elif target == "domain":
        domain = 9
    proof = FraudProof(domain, bad_hash, InvalidBlockFeesProof(fees_proof_nodes()))
    with pytest.raises(RejectedFraudProof) as raised:
        validate_fraud_proof(ledger, proof)
    assert raised.value.reason == reason


def fees_proof_nodes():
    from autonomys.protocol.domains.execution_proofs import StorageProof

    return StorageProof(frozenset({b"\x00"}))


def import_with_fraud_proofs(chain: Chain, proofs) -> None:
    """Import a block whose body carries `proofs` as given (its header re-committed to that body)."""
    from autonomys.protocol.consensus.chain import genesis_header_hash, import_block
    from autonomys.protocol.consensus.chain_blocks import compute_extrinsics_root
    from helpers.chain import make_context

    block = chain.block()
    block = dataclasses.replace(block, fraud_proofs=tuple(proofs))
    root = bytes(compute_extrinsics_root(block.transactions, block.votes, block.segment_headers, (), (), proofs))
    header = dataclasses.replace(block.header, extrinsics_root=root)
    header = dataclasses.replace(header, seal=chain.setup.author.keypair.sign(header.pre_hash()))
    import_block(chain.state, chain.block_hash, dataclasses.replace(block, header=header),
                 make_context(chain.setup.kzg, genesis_hash=genesis_header_hash(chain.setup_genesis)))  # fmt: skip


def test_the_pool_keeps_one_proof_per_domain_nearest_confirmation_first(chain: Chain) -> None:
    bad, _ = lie_about_fees(chain)
    proof = fees_proof(chain, bad)
    pool = BundlePool(DEV_DOMAINS)
    assert pool.submit_fraud_proof(proof.to_bytes(), chain.state) == bad.hash()
    assert pool.submit_fraud_proof(proof.to_bytes(), chain.state) == bad.hash()  # the same proof again: a no-op
    assert pool.domain_extrinsics().fraud_proofs == (proof,)
    with pytest.raises(RejectedBundle) as raised:
        pool.submit_fraud_proof(proof.to_bytes()[:-1], chain.state)
    assert raised.value.reason == "undecodable"
    honest_target = FraudProof(DOMAIN, receipt_hash_at(reader(chain.state), DOMAIN, 0), proof.proof)
    with pytest.raises(RejectedBundle) as raised:
        pool.submit_fraud_proof(honest_target.to_bytes(), chain.state)
    assert raised.value.reason == "challenging_genesis_receipt"
    # Once the block carrying it lands, the receipt is gone: the proof leaves the pool.
    chain.import_(chain.block(fraud_proofs=[proof]))
    assert pool.prune(chain.state) == 1 and len(pool) == 0


def singleton_receipt(chain: Chain, receipt, operator: int = 0):
    """Operator `operator`'s sealed singleton receipt of `receipt` for one of the next slots it wins."""
    import sr25519
    from test_domain_chain import CONFIG, OPERATOR_KEYS

    from autonomys.protocol.domains.producer import SlotClaim, produce_singleton_receipt
    from helpers.chain import compute_test_proof_of_time

    key = OPERATOR_KEYS[operator]
    for slot in range(chain.slot + 1, chain.slot + 1 + 4):
        claim = SlotClaim(DOMAIN, operator, slot, compute_test_proof_of_time(slot), 80 * 10**18, 80 * 10**18,
                          CONFIG.bundle_slot_probability)  # fmt: skip
        sealed = produce_singleton_receipt(claim, key, bytes(64), receipt, lambda m: bytes(sr25519.sign(key, m)))
        if sealed is not None:
            return sealed
    raise AssertionError("no slot won")


def test_singleton_receipts_are_refused_without_a_gap_and_from_a_slashed_operator(chain: Chain) -> None:
    from autonomys.protocol.domains.block_tree import BlockScratch
    from autonomys.protocol.domains.bundles import SealedSingletonReceipt
    from autonomys.protocol.domains.submit_receipt import validate_singleton_receipt
    from autonomys.protocol.errors import InvalidSingletonReceipt
    from helpers.chain import compute_test_proof_of_time

    chain.import_(chain.block(bundles=[chain.bundle(0)]))
    honest = chain.last_executed.receipt
    sealed = singleton_receipt(chain, honest)
    assert SealedSingletonReceipt.from_bytes(sealed.to_bytes()) == sealed
    # Domain block 1 awaits its receipt: a gap of one, which bundles close.
    assert chain.block(receipts=[sealed]).receipts == ()
    info = _block_info(chain, compute_test_proof_of_time)
    with pytest.raises(InvalidSingletonReceipt) as raised:
        validate_singleton_receipt(reader(chain.state), sealed, info, DEV_DOMAINS, BlockScratch())
    assert raised.value.reason == "expecting_receipt_gap"
    # After a fraud proof rolls the head back, the gap is 2, but the slashed liar may not close it.
    bad = dataclasses.replace(honest, block_fees=dataclasses.replace(honest.block_fees, burned_balance=7))
    chain.import_(chain.block(bundles=[chain.bundle(0, receipt=bad)]))
    chain.import_(chain.block(fraud_proofs=[fees_proof(chain, bad)]))
    assert get_head_receipt_number(reader(chain.state), DOMAIN) == 0
    with pytest.raises(InvalidSingletonReceipt) as raised:
        validate_singleton_receipt(
            reader(chain.state), singleton_receipt(chain, honest), _block_info(chain, compute_test_proof_of_time),
            DEV_DOMAINS, BlockScratch(),
        )  # fmt: skip
    assert raised.value.reason in {"bad_operator", "invalid_operator_id", "bundle_storage_fee"}


def _block_info(chain: Chain, proof_of_time):
    from autonomys.protocol.domains.submit import ConsensusBlockInfo

    state = chain.state
    return ConsensusBlockInfo(state.number + 1, chain.slot + 4, chain.block_hash, bytes(32), state.transaction_byte_fee,
                              4, proof_of_time)  # fmt: skip


def test_a_receipt_claiming_an_invalid_xdm_is_refused_since_no_proof_could_answer_it(chain: Chain) -> None:
    from autonomys.protocol.domains.receipts import BundleValidity, InboxedBundle, InvalidBundleKind, InvalidBundleType
    chain.import_(chain.block(bundles=[chain.bundle(0)]))
    honest = chain.last_executed.receipt
    xdm = BundleValidity(invalid_bundle_type=InvalidBundleType(InvalidBundleKind.INVALID_XDM, 0))
    claim = dataclasses.replace(
        honest, inboxed_bundles=(InboxedBundle(xdm, honest.inboxed_bundles[0].extrinsics_root),)
    )
    pool = BundlePool(DEV_DOMAINS)
    with pytest.raises(RejectedBundle) as raised:
        from helpers.chain import compute_test_proof_of_time

        pool.submit(
            chain.bundle(0, receipt=claim).to_bytes(), chain.state, _block_info(chain, compute_test_proof_of_time)
        )
    assert raised.value.reason == "receipt_invalid_xdm_without_messaging"
    assert chain.block(bundles=[chain.bundle(0, receipt=claim)]).bundles == ()


def test_the_slash_takes_the_whole_pool_and_returns_only_the_open_epochs_deposits(chain: Chain) -> None:
    """Carol nominates the lying operator in the epoch still open: once the liar is slashed and drained, her
    deposit (not yet staked) is returned in full; the owner's converted stake goes to the treasury."""
    from autonomys.protocol.consensus.chain import genesis_header_hash
    from autonomys.protocol.consensus.chain_blocks import sign_transaction
    from autonomys.protocol.consensus.chain_state import get_balance
    from autonomys.protocol.domains.calls import nominate
    from autonomys.protocol.domains.ledger import OverlayLedger
    from autonomys.protocol.domains.staking_epoch import do_slash_operator
    from autonomys.protocol.domains.staking_storage import get_deposit_on_hold
    from helpers.chain import ALICE, CAROL

    nominate_carol = sign_transaction(
        genesis_header_hash(chain.setup_genesis), CAROL.public_key, 0, nominate(0, 10 * AI3), CAROL.sign
    )
    chain.import_(chain.block(transactions=[nominate_carol]))
    carol_before = get_balance(chain.state, CAROL.public_key)
    assert get_deposit_on_hold(reader(chain.state), 0, CAROL.public_key) > 0
    bad, _ = lie_about_fees(chain)
    chain.import_(chain.block(fraud_proofs=[fees_proof(chain, bad)]))
    ledger = OverlayLedger(reader(chain.state))
    assert do_slash_operator(ledger, DOMAIN, 10) == 2  # the owner and Carol: the whole pool
    assert get_operator(ledger, 0) is None and 0 not in get_operator_set(ledger, PENDING_SLASHES, DOMAIN)
    assert get_deposit_on_hold(ledger, 0, CAROL.public_key) == 0
    # Carol's pending deposit came back (her free balance grew by the 10 AI3 nominated, less the storage-fee
    # part that the refund at the redeem price may round); Alice's stake did not.
    assert ledger.free_balance(CAROL.public_key) - carol_before >= 9 * AI3
    assert ledger.free_balance(ALICE.public_key) == get_balance(chain.state, ALICE.public_key)
