"""Domains on the consensus chain: a genesis domain with operators, bundles in blocks, receipts through the block
tree to confirmation, staking calls as transactions, and the rejections of bad bundles with nothing written."""

from __future__ import annotations

import dataclasses

import pytest
import sr25519

from autonomys.protocol.consensus.chain import build_block, genesis_header_hash, import_block
from autonomys.protocol.consensus.chain_blocks import Block, sign_transaction
from autonomys.protocol.consensus.chain_ledger import ChainLedger, DomainGenesis, GenesisOperator
from autonomys.protocol.consensus.chain_state import ChainState, StateWriter, genesis_state, get_balance
from autonomys.protocol.consensus.chain_transactions import dispatch_error_key
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.domains.block_tree import head_receipt, latest_confirmed_receipt
from autonomys.protocol.domains.bundles import Bundle
from autonomys.protocol.domains.calls import RegisterOperator, nominate
from autonomys.protocol.domains.domain_extrinsics import DomainExtrinsics
from autonomys.protocol.domains.election import INITIAL_TX_RANGE
from autonomys.protocol.domains.execution import ExecutedBlock, ParentBlock, derive_domain_block
from autonomys.protocol.domains.fixed_point import Percent
from autonomys.protocol.domains.params import DEV_DOMAINS
from autonomys.protocol.domains.producer import SlotClaim, produce_bundle
from autonomys.protocol.domains.registry import DomainConfig, compute_domain_genesis, get_domain
from autonomys.protocol.domains.runtime import DomainBlockContext
from autonomys.protocol.domains.runtime_balances import BALANCES, sign_transfer
from autonomys.protocol.domains.staking_storage import get_head_domain_number, get_operator, get_staking_summary
from autonomys.protocol.domains.staking_types import OperatorAllowList, OperatorConfig
from autonomys.protocol.errors import InvalidBundle
from helpers.chain import (
    ALICE,
    BOB,
    CAROL,
    PARAMS,
    ChainSetup,
    compute_pot_info,
    compute_test_proof_of_time,
    make_context,
)
from helpers.chain_fixtures import chain_setup_fixture  # noqa: F401 - the fixture

AI3 = 10**18
DOMAIN = 0
OPERATOR_KEYS = [sr25519.pair_from_seed(bytes([0x40 + index]) * 32) for index in range(2)]
USERS = [sr25519.pair_from_seed(bytes([0x60 + index]) * 32) for index in range(2)]
CONFIG = DomainConfig("test-domain", 0, None, (1, 1), OperatorAllowList(), tuple((user[0], 10 * AI3) for user in USERS))


def reader(state: ChainState) -> ChainLedger:
    return ChainLedger(StateWriter(state))


def domain_genesis(setup: ChainSetup) -> ChainState:
    operators = tuple(
        GenesisOperator(owner.public_key, OperatorConfig(key[0], AI3, Percent(5)), 100 * AI3)
        for owner, key in zip((ALICE, BOB), OPERATOR_KEYS, strict=True)
    )
    return genesis_state(
        PARAMS, endowments={ALICE.public_key: 10**22, BOB.public_key: 10**22, CAROL.public_key: 10**22},
        solution_range=U64_MAX, pot_slot_iterations=PARAMS.pot_slot_iterations, segment_headers=setup.headers[:4],
        domains=[DomainGenesis(ALICE.public_key, CONFIG, operators)],
    )  # fmt: skip


@dataclasses.dataclass
class Chain:
    """A consensus chain with one domain, and an operator's view of the domain (its blocks and nodes)."""

    setup: ChainSetup
    state: ChainState
    block_hash: bytes
    domain_nodes: dict[bytes, bytes]
    domain_parent: ParentBlock
    slot: int = 4

    def bundle(self, operator: int | None = None, *, transactions=(), receipt=None) -> Bundle:
        """A bundle that wins one of the next slots (by `operator`, or any operator in the epoch's snapshot),
        carrying `receipt` (default: the one the chain expects next, from this chain's execution)."""
        ledger = reader(self.state)
        summary = get_staking_summary(ledger, DOMAIN)
        if receipt is None:
            receipt = head_receipt(ledger, DOMAIN)
            if get_head_domain_number(ledger, DOMAIN) > receipt.domain_block_number:
                receipt = self.last_executed.receipt
        limit = DEV_DOMAINS.max_bundle(CONFIG.bundle_slot_probability)
        operators = [operator] if operator is not None else sorted(summary.current_operators)
        for slot in range(self.slot + 1, self.slot + 1 + PARAMS.block_authoring_delay):
            for candidate in operators:
                claim = SlotClaim(DOMAIN, candidate, slot, compute_test_proof_of_time(slot),
                                  summary.current_operators[candidate], summary.current_total_stake,
                                  CONFIG.bundle_slot_probability)  # fmt: skip
                key = OPERATOR_KEYS[candidate]
                bundle = produce_bundle(claim, key, bytes(64), receipt, list(transactions), BALANCES, limit,
                                        lambda message, key=key: bytes(sr25519.sign(key, message)))  # fmt: skip
                if bundle is not None:
                    return bundle
        raise AssertionError("no operator won any of the next slots")

    def block(self, *, bundles=(), transactions=(), receipts=(), fraud_proofs=()) -> Block:
        won = self.setup.author.wins(self.slot + 1, 1)[0]
        return build_block(
            self.state, self.block_hash, slot=won.slot, solution=won.solution, pot_info=compute_pot_info(won.slot),
            transactions=transactions, votes=(), segment_headers=(), params=PARAMS,
            genesis_hash=genesis_header_hash(self.setup_genesis), sign=self.setup.author.keypair.sign,
            domain=DomainExtrinsics(tuple(bundles), tuple(receipts), tuple(fraud_proofs)),
            proof_of_time=compute_test_proof_of_time,
        )  # fmt: skip

    def import_(self, block: Block) -> ChainState:
        context = make_context(self.setup.kzg, genesis_hash=genesis_header_hash(self.setup_genesis))
        state = import_block(self.state, self.block_hash, block, context)
        byte_fee = self.state.transaction_byte_fee  # the fee the block's bundles were applied at: its parent's
        self.state, self.block_hash, self.slot = state, block.hash(), block.header.slot
        if block.bundles:
            self.execute(block, byte_fee)
        return state

    def execute(self, block: Block, byte_fee: int) -> None:
        context = DomainBlockContext(
            DOMAIN, get_head_domain_number(reader(self.state), DOMAIN), block.hash(), block.header.number,
            block.header.slot * PARAMS.slot_duration_ms, byte_fee, self.domain_parent.header_hash,
        )  # fmt: skip
        executed = derive_domain_block(BALANCES, self.domain_nodes, self.domain_parent, context, block.bundles,
                                       block.header.pre_digest.pot_info.proof_of_time, INITIAL_TX_RANGE)  # fmt: skip
        self.domain_nodes.update(executed.changes.created)
        self.domain_parent = ParentBlock(executed.header.hash(), executed.header.state_root, executed.receipt.hash())
        self.last_executed = executed
        self.executed[executed.header.number] = (executed, context, block)

    setup_genesis: ChainState = None  # type: ignore[assignment]
    last_executed: ExecutedBlock = None  # type: ignore[assignment]
    executed: dict = dataclasses.field(default_factory=dict)
    """Domain block number -> (its ExecutedBlock, context, the consensus block that derived it)."""


@pytest.fixture
def chain(setup: ChainSetup) -> Chain:
    return make_chain(setup)


def make_chain(setup: ChainSetup) -> Chain:
    genesis = domain_genesis(setup)
    ledger = reader(genesis)
    receipt = head_receipt(ledger, DOMAIN)
    domain = compute_domain_genesis("balances", DOMAIN, CONFIG.initial_balances)
    assert receipt is not None and receipt.final_state_root == domain.root
    parent = ParentBlock(receipt.domain_block_hash, domain.root, receipt.hash())
    return Chain(setup, genesis, genesis_header_hash(genesis), dict(domain.created), parent, setup_genesis=genesis)


def test_the_genesis_domain_has_its_operators_deposit_and_genesis_receipt(chain: Chain) -> None:
    ledger = reader(chain.state)
    domain = get_domain(ledger, DOMAIN)
    assert domain.owner == ALICE.public_key and domain.genesis_receipt_hash == head_receipt(ledger, DOMAIN).hash()
    summary = get_staking_summary(ledger, DOMAIN)
    # The first registration in epoch 0 closes it at once; the second waits for the next epoch.
    assert list(summary.current_operators) == [0] and summary.next_operators == frozenset({0, 1})
    assert summary.current_operators[0] == 80 * AI3  # 20 % of the stake went to the storage fund
    assert get_operator(ledger, 1).signing_key == OPERATOR_KEYS[1][0]
    # Alice paid the deposit (held), the initial balances (burned) and her operator's stake (held).
    assert get_balance(chain.state, ALICE.public_key) == 10**22 - 100 * AI3 - 20 * AI3 - 100 * AI3


def test_bundles_carry_receipts_through_the_block_tree_to_confirmation(chain: Chain) -> None:
    transfers = [
        sign_transfer(DOMAIN, user, 0, USERS[1 - index][0], AI3).to_bytes() for index, user in enumerate(USERS)
    ]
    bundle = chain.bundle(0, transactions=transfers)
    assert 0 < len(bundle.extrinsics) <= 2  # only signers in the bundle's transaction range
    state = chain.import_(chain.block(bundles=[bundle]))
    first = chain.last_executed.receipt
    assert first.inboxed_bundles[0].bundle.is_valid and first.block_fees.domain_execution_fee > 0
    assert get_head_domain_number(reader(state), DOMAIN) == 1
    for number in range(2, 2 + DEV_DOMAINS.block_tree_pruning_depth + 1):
        state = chain.import_(chain.block(bundles=[chain.bundle()]))
        ledger = reader(state)
        assert get_head_domain_number(ledger, DOMAIN) == number
        assert head_receipt(ledger, DOMAIN).domain_block_number == number - 1
    # The receipt of domain block 1 is confirmed once the head is pruning_depth above it; operator 0, which
    # carried it, earned its execution fee (this epoch's rewards), and its storage fund got the storage fee back.
    ledger = reader(state)
    assert latest_confirmed_receipt(ledger, DOMAIN) == first
    assert get_staking_summary(ledger, DOMAIN).current_epoch_rewards == {0: first.block_fees.domain_execution_fee}


def test_bad_bundles_are_left_out_of_built_blocks_and_reject_imported_ones(chain: Chain) -> None:
    good = chain.bundle(0)
    forged = dataclasses.replace(good, sealed_header=dataclasses.replace(good.sealed_header, signature=bytes(64)))
    unknown = chain.bundle(0)
    unknown = dataclasses.replace(
        unknown, sealed_header=dataclasses.replace(unknown.sealed_header, header=dataclasses.replace(
            unknown.sealed_header.header, proof_of_election=dataclasses.replace(
                unknown.sealed_header.header.proof_of_election, operator_id=7))))  # fmt: skip
    block = chain.block(bundles=[forged, unknown, good])
    assert block.bundles == (good,)
    state_root = chain.state.state_root()
    # The storage fee is charged before the operator checks (pallet-domains' order): an unknown operator's empty
    # fund fails first.
    for bad, reason in ((forged, "bad_bundle_signature"), (unknown, "bundle_storage_fee")):
        tampered = dataclasses.replace(block, bundles=(bad,))
        with pytest.raises(InvalidBundle) as raised:
            build_block_import(chain, tampered)
        assert raised.value.reason == reason
        assert chain.state.state_root() == state_root
    twice = chain.block(bundles=[good, chain.bundle(0)])
    assert len(twice.bundles) == 1  # one bundle per operator and slot: the second is an equivocation


def build_block_import(chain: Chain, block: Block) -> None:
    """Import `block` with its header re-committed to its (tampered) body, so only the bundle rule can fail."""
    from autonomys.protocol.consensus.chain_blocks import compute_extrinsics_root

    root = bytes(compute_extrinsics_root(block.transactions, block.votes, block.segment_headers, block.bundles))
    header = dataclasses.replace(block.header, extrinsics_root=root)
    header = dataclasses.replace(header, seal=chain.setup.author.keypair.sign(header.pre_hash()))
    import_block(chain.state, chain.block_hash, dataclasses.replace(block, header=header),
                 make_context(chain.setup.kzg, genesis_hash=genesis_header_hash(chain.setup_genesis)))  # fmt: skip


def test_staking_calls_are_transactions_and_a_failing_call_only_records_its_error(chain: Chain) -> None:
    network = genesis_header_hash(chain.setup_genesis)
    nominate_carol = sign_transaction(network, CAROL.public_key, 0, nominate(0, 10 * AI3), CAROL.sign)
    too_small = RegisterOperator(DOMAIN, AI3, OperatorConfig(OPERATOR_KEYS[0][0], AI3, Percent(0)))
    register_small = sign_transaction(network, CAROL.public_key, 1, too_small, CAROL.sign)
    block = chain.block(transactions=[nominate_carol, register_small])
    assert len(block.transactions) == 2
    state = chain.import_(block)
    error = reader(state).get(dispatch_error_key(CAROL.public_key))
    assert error is not None and b"MinimumOperatorStake" in error
    assert get_operator(reader(state), 2) is None
    assert get_balance(state, CAROL.public_key) < 10**22 - 10 * AI3  # the nomination's stake is held
