"""A domain operator (domain-client-operator): follows the consensus chain, derives and executes the domain block
of every consensus block that carried bundles of its domain, keeps a domain transaction pool, and on each slot
runs the bundle election and submits a bundle carrying the receipt the chain expects next.

`Operator` is the steppable core: `step(tick)` does the work one node poll brings (unit-tested with an in-process
node); actors.domains.operator_service runs it on a thread and serves reads. Randomness (the VRF witness) comes
from `os.urandom`; the signing key from the operator's key file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

import sr25519

from autonomys.actors.domains.domain_chain import DomainChain
from autonomys.actors.domains.watcher import ReceiptWatcher, block_context, domain_bundles
from autonomys.actors.messages import BundleSubmission, DomainBlockInput, DomainTick
from autonomys.actors.storage import KVStore
from autonomys.protocol.consensus.chain_blocks import Block
from autonomys.protocol.domains.election import INITIAL_TX_RANGE
from autonomys.protocol.domains.execution import ParentBlock, decode_opaque, derive_domain_block
from autonomys.protocol.domains.faults import corrupt_receipt, validate_fault
from autonomys.protocol.domains.params import domains_params_for
from autonomys.protocol.domains.producer import SlotClaim, produce_bundle, produce_singleton_receipt
from autonomys.protocol.domains.receipts import ExecutionReceipt
from autonomys.protocol.domains.registry import BundleLimit, compute_domain_genesis
from autonomys.protocol.domains.runtime import DomainBlockContext, IllegalTransaction, RuntimeState, runtime_named
from autonomys.protocol.domains.view import DomainView
from autonomys.protocol.errors import DecodeError, ProtocolError
from autonomys.protocol.farming.solutions import compute_proof_of_space_size
from autonomys.protocol.params import Params
from autonomys.protocol.state.trie import lookup

MAX_POOL_TRANSACTIONS: Final = 4096
MAX_TRANSACTION_BYTES: Final = 64 * 1024


class DomainNodeLink(Protocol):
    """The consensus node as an operator uses it."""

    def domain_tick(self, domain_id: int, operator_ids: tuple[int, ...], after_slot: int) -> DomainTick: ...

    def domain_block_input(self, number: int) -> DomainBlockInput | None: ...

    def offer_bundle(self, bundle: bytes) -> BundleSubmission: ...

    def offer_receipt(self, receipt: bytes) -> BundleSubmission: ...

    def offer_fraud_proof(self, proof: bytes) -> BundleSubmission: ...


class RejectedDomainTransaction(ProtocolError):
    """A domain transaction the pool does not take (or an account the domain cannot have); the message names why."""



@dataclass(frozen=True, slots=True)
class OperatorIdentity:
    domain_id: int
    operator_id: int
    signing_seed: bytes
    """The sr25519 mini-secret of the operator's signing key."""
    initial_balances: tuple[tuple[bytes, int], ...]
    runtime_name: str = "balances"
    evm_chain_id: int | None = None
    """An EVM domain's chain id (None: not an EVM domain)."""

    def key_pair(self) -> tuple[bytes, bytes]:
        public, secret = sr25519.pair_from_seed(self.signing_seed)
        return bytes(public), bytes(secret)


@dataclass
class OperatorCounters:
    bundles_submitted: int = 0
    bundles_rejected: int = 0
    receipts_submitted: int = 0
    lies_submitted: int = 0
    """Receipts a faulty operator corrupted and offered."""
    last_bundle_slot: int | None = None
    last_slot_seen: int = 0
    last_error: str = ""
    last_rejection: str = ""
    """The last bundle the node refused (a receipt made stale by a block just imported is common and harmless)."""
    stake: int = 0
    view: DomainView | None = None


class Operator:
    """See the module docstring."""

    def __init__(
        self,
        params: Params,
        identity: OperatorIdentity,
        store: KVStore,
        node: DomainNodeLink,
        witness: Callable[[], bytes] = lambda: os.urandom(64),
        fault: str | None = None,
    ) -> None:
        """`fault`: a faulty-operator kind (protocol.domains.faults): this operator then lies in its receipts and
        does not watch; None: an honest operator, which checks every receipt the chain carries."""
        self.params = params
        self.identity = identity
        self.runtime = runtime_named(identity.runtime_name)
        self.domains = domains_params_for(params)
        self.node = node
        self.witness = witness
        genesis = compute_domain_genesis(
            identity.runtime_name, identity.domain_id, identity.initial_balances, evm_chain_id=identity.evm_chain_id
        )
        self.chain = DomainChain(store, genesis)
        self.key_pair = identity.key_pair()
        self.counters = OperatorCounters()
        self.pool: dict[bytes, bytes] = {}
        """transaction hash -> bytes, in arrival order."""
        self._pooled_state: tuple[bytes, RuntimeState] | None = None
        """(best block hash, its state after the pooled transactions' pre-dispatch)."""
        self.consensus_byte_fee = 0
        """The consensus chain's transaction byte fee at the last block derived (the pool checks fees with it)."""
        self._proof_size = compute_proof_of_space_size(params)
        self.fault = None if fault is None else validate_fault(fault)
        self._own_bundles: dict[int, frozenset[int]] = {}
        """A faulty operator's bundles in each domain block it derived (by index), which its lies may drop."""
        self.watcher = ReceiptWatcher(
            identity.domain_id, self.runtime, self.chain, node, params, self._proof_size
        )

    # -- following the chain ------------------------------------------------------------------

    def step(self) -> None:
        """One poll: follow new consensus blocks, then contest the newest slot."""
        tick = self.node.domain_tick(
            self.identity.domain_id, (self.identity.operator_id,), self.counters.last_slot_seen
        )
        self.counters.view = tick.view
        info = tick.view.operator(self.identity.operator_id)
        self.counters.stake = 0 if info is None else info.stake
        self.follow(tick.best_number)
        if tick.slots:
            slot, proof_of_time = tick.slots[-1]
            self.counters.last_slot_seen = slot
            self.contest(slot, proof_of_time, tick.view)

    def follow(self, best_number: int) -> None:
        """Derive from every canonical consensus block up to `best_number`, rewinding past a reorg."""
        number, _ = self.chain.tip()
        while number < best_number:
            given = self.node.domain_block_input(number + 1)
            if given is None:
                return
            block = Block.from_bytes(given.block, self._proof_size)
            if number > 0 and block.header.parent_hash != self.chain.consensus_hash(number):
                self.chain.rewind(max(0, number - 1))  # walk back one block at a time until the parent matches
                number, _ = self.chain.tip()
                continue
            self._derive(given, block)
            if self.fault is None:
                self.watcher.watch(block)
            number += 1

    def _derive(self, given: DomainBlockInput, block: Block) -> None:
        bundles = domain_bundles(block, self.identity.domain_id)
        if not bundles:
            self.chain.follow(given.number, block.hash(), None, [])
            return
        header, receipt = self.chain.head()
        parent = ParentBlock(header.hash(), header.state_root, receipt.hash())
        context = block_context(
            self.identity.domain_id, header.number + 1, block, given, self.params, header.hash()
        )
        self.consensus_byte_fee = given.transaction_byte_fee
        executed = derive_domain_block(
            self.runtime, self.chain.state.nodes, parent, context, bundles,
            block.header.pre_digest.pot_info.proof_of_time, INITIAL_TX_RANGE,
        )  # fmt: skip
        included = [self.runtime.transaction_hash(decode_opaque(extrinsic)) for extrinsic in executed.extrinsics]
        if self.fault is not None:
            self._own_bundles[context.number] = frozenset(
                index for index, bundle in enumerate(bundles)
                if bundle.sealed_header.header.proof_of_election.operator_id == self.identity.operator_id
            )  # fmt: skip
        self.chain.follow(given.number, block.hash(), executed, included)
        for tx_hash in included:
            self.pool.pop(tx_hash, None)
        self._revalidate_pool()

    # -- bundles ------------------------------------------------------------------------------

    def contest(self, slot: int, proof_of_time: bytes, view: DomainView) -> None:
        """Run the election for `slot`; when this operator wins it, submit a bundle, or a singleton receipt while
        the domain has more blocks than receipts (the chain refuses bundles then)."""
        info = view.operator(self.identity.operator_id)
        if info is None or info.stake == 0 or view.total_stake == 0:
            return
        if self.counters.last_bundle_slot is not None and slot <= self.counters.last_bundle_slot:
            return
        receipt = self.chain.receipt(view.next_receipt_number)
        if receipt is None:
            self.counters.last_error = f"behind: no receipt for domain block {view.next_receipt_number} yet"
            return
        receipt = self._receipt_to_offer(receipt)
        claim = SlotClaim(
            self.identity.domain_id, self.identity.operator_id, slot, proof_of_time, info.stake, view.total_stake,
            view.bundle_slot_probability,
        )  # fmt: skip
        key_pair = self.key_pair

        def sign(message: bytes) -> bytes:
            return bytes(sr25519.sign(key_pair, message))

        if view.head_domain_number - view.head_receipt_number > 1:
            singleton = produce_singleton_receipt(claim, key_pair, self.witness(), receipt, sign)
            if singleton is not None:
                self._offer(slot, "receipt", lambda: self.node.offer_receipt(singleton.to_bytes()), receipt)
            return
        bundle = produce_bundle(
            claim, key_pair, self.witness(), receipt, list(self.pool.values()), self.runtime, self.bundle_limit(), sign
        )
        if bundle is not None:
            self._offer(slot, "bundle", lambda: self.node.offer_bundle(bundle.to_bytes()), receipt)

    def _receipt_to_offer(self, receipt: ExecutionReceipt) -> ExecutionReceipt:
        """The operator's own receipt, or a faulty operator's lie about it."""
        if self.fault is None or receipt.domain_block_number == 0:
            return receipt
        own = self._own_bundles.get(receipt.domain_block_number, frozenset())
        return corrupt_receipt(self.fault, receipt, own) or receipt

    def _offer(
        self, slot: int, what: str, submit: Callable[[], BundleSubmission], receipt: ExecutionReceipt
    ) -> None:
        self.counters.last_bundle_slot = slot
        submitted = submit()
        if submitted.bundle_hash is None:
            self.counters.bundles_rejected += 1
            self.counters.last_rejection = f"{what} for slot {slot}: {submitted.rejection}"
            return
        if what == "receipt":
            self.counters.receipts_submitted += 1
        else:
            self.counters.bundles_submitted += 1
        if self.chain.receipt(receipt.domain_block_number) != receipt:
            self.counters.lies_submitted += 1

    # -- the transaction pool -----------------------------------------------------------------

    def _best_state(self) -> RuntimeState:
        header, _ = self.chain.head()
        return self.runtime.open_state(self.chain.state.nodes, header.state_root)

    def _context(self) -> DomainBlockContext:
        header, _ = self.chain.head()
        return DomainBlockContext(
            self.identity.domain_id, header.number + 1, bytes(32), 0, 0, self.consensus_byte_fee, header.hash()
        )

    def submit_transaction(self, extrinsic: bytes) -> bytes:
        """Pool a transaction valid after the pooled ones on the best domain state; its hash.
        RejectedDomainTransaction (naming the rule) otherwise, with the pool unchanged."""
        extrinsic = bytes(extrinsic)
        if len(extrinsic) > MAX_TRANSACTION_BYTES:
            raise RejectedDomainTransaction(f"too large: {len(extrinsic)} bytes")
        try:
            tx_hash = self.runtime.transaction_hash(extrinsic)
            weight = self.runtime.weight(extrinsic)
        except DecodeError as error:
            raise RejectedDomainTransaction(str(error)) from error
        if tx_hash in self.pool:
            return tx_hash
        if len(self.pool) >= MAX_POOL_TRANSACTIONS:
            raise RejectedDomainTransaction("pool full")
        limit = self.bundle_limit()
        if weight.ref_time > limit.max_bundle_weight.ref_time:
            raise RejectedDomainTransaction(
                f"exceeds the bundle weight limit: weight {weight.ref_time}, limit {limit.max_bundle_weight.ref_time}"
            )
        state, context = self._pool_state(), self._context()
        try:
            if self.runtime.signer(extrinsic) is None:
                raise RejectedDomainTransaction("unsigned extrinsics are not pooled")
            # A check that fails writes nothing: the pool's state stays the state after the pooled transactions.
            self.runtime.check(state, extrinsic, context)
        except (DecodeError, IllegalTransaction) as error:
            raise RejectedDomainTransaction(str(error)) from error
        self.pool[tx_hash] = extrinsic
        return tx_hash

    def _pool_state(self) -> RuntimeState:
        """The best state with the pooled transactions' pre-dispatch applied (kept between submissions, so a
        submission checks only itself; rebuilt when the best block changed)."""
        header, _ = self.chain.head()
        if self._pooled_state is None or self._pooled_state[0] != header.hash():
            self._revalidate_pool()
        assert self._pooled_state is not None
        return self._pooled_state[1]

    def _revalidate_pool(self) -> None:
        """Keep the pooled transactions that still apply, in order, on the new best state."""
        state, context = self._best_state(), self._context()
        kept: dict[bytes, bytes] = {}
        for tx_hash, extrinsic in self.pool.items():
            try:
                # Pooled bytes had their signature verified when they entered: only nonces and funds change.
                self.runtime.check(state, extrinsic, context, signature_verified=True)
            except (DecodeError, IllegalTransaction):
                continue
            kept[tx_hash] = extrinsic
        self.pool = kept
        header, _ = self.chain.head()
        self._pooled_state = (header.hash(), state)

    def bundle_limit(self) -> BundleLimit:
        """The domain's bundle limits as the last view gave them (the default of an unknown domain otherwise)."""
        view = self.counters.view
        if view is None:
            return self.domains.max_bundle((1, 1))
        return view.bundle_limit or self.domains.max_bundle(view.bundle_slot_probability)

    # -- reads --------------------------------------------------------------------------------

    def read(self, key: bytes) -> bytes | None:
        """A key of the best domain state."""
        header, _ = self.chain.head()
        return lookup(self.chain.state.nodes, header.state_root, key)

    def account(self, account: bytes) -> tuple[int, int]:
        """(balance in the best state, next nonce counting pooled transactions) of a domain account;
        RejectedDomainTransaction when it is not an account of this domain's size."""
        if len(account) != self.runtime.account_size:
            msg = (
                f"domain {self.identity.domain_id} ({self.identity.runtime_name}) has {self.runtime.account_size}-byte "
                f"accounts, not {len(account)}-byte ones"
            )
            raise RejectedDomainTransaction(msg)
        balance, nonce = self.runtime.read_account(self._best_state(), account)
        return balance, nonce + self.pooled_from(account)

    def pooled_from(self, signer: bytes) -> int:
        """Pooled transactions signed by `signer` (its next nonce is the state's plus these)."""
        return sum(1 for extrinsic in self.pool.values() if self.runtime.signer(extrinsic) == signer)

    def transaction_status(self, tx_hash: bytes) -> str:
        if tx_hash in self.pool:
            return "pooled"
        number = self.chain.transaction_block(tx_hash)
        return "unknown" if number is None else f"in domain block {number}"
