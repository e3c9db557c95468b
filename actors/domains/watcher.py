"""Watching receipts: every receipt a consensus block carries for the domain (in bundles and singleton receipts)
is compared with this node's own execution of that domain block; on a mismatch the fraud proof of the first
thing wrong is built (protocol.domains.fraud_prover `prove_fraud`) and offered to the consensus node, whose pool
keeps one per domain.

Operators watch as they derive; `autonomys domain watch` runs an unstaked operator that only derives and
watches. A receipt built on a parent this node does not have is left alone: its parent is wrong, and is proven
first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from autonomys.actors.domains.domain_chain import DomainChain
from autonomys.actors.messages import BundleSubmission, DomainBlockInput
from autonomys.protocol.consensus.chain_blocks import Block
from autonomys.protocol.domains.bundles import Bundle
from autonomys.protocol.domains.election import INITIAL_TX_RANGE
from autonomys.protocol.domains.fraud_evidence import ConsensusEvidence
from autonomys.protocol.domains.fraud_prover import prove_fraud
from autonomys.protocol.domains.receipts import ExecutionReceipt
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainRuntime
from autonomys.protocol.params import Params


class FraudProofSink(Protocol):
    """The consensus node as a watcher uses it."""

    def domain_block_input(self, number: int) -> DomainBlockInput | None: ...

    def offer_fraud_proof(self, proof: bytes) -> BundleSubmission: ...


@dataclass
class WatchCounters:
    receipts_checked: int = 0
    bad_receipts_seen: int = 0
    fraud_proofs_submitted: int = 0
    last_fraud_proof: str = ""
    """What the last proof offered was about, and the node's answer."""
    challenged: dict[bytes, tuple[int, int]] = field(default_factory=dict)
    """Bad receipts already proven (a receipt is proven once), with the (number, slot) of the consensus block
    that carried them."""
    proven_in: list[tuple[int, int]] = field(default_factory=list)
    """For each proof the chain accepted: (blocks, slots) from the block that carried the bad receipt to the
    block that carried the proof."""


def domain_bundles(block: Block, domain_id: int) -> list[Bundle]:
    return [b for b in block.bundles if b.sealed_header.header.proof_of_election.domain_id == domain_id]


def carried_receipts(block: Block, domain_id: int) -> list[ExecutionReceipt]:
    """The receipts `block` carries for the domain, in bundles then singleton receipts."""
    receipts = [bundle.sealed_header.header.receipt for bundle in domain_bundles(block, domain_id)]
    for sealed in block.receipts:
        if sealed.singleton_receipt.proof_of_election.domain_id == domain_id:
            receipts.append(sealed.singleton_receipt.receipt)
    return receipts


def block_context(
    domain_id: int, number: int, block: Block, given: DomainBlockInput, params: Params, parent_hash: bytes
) -> DomainBlockContext:
    """The context of domain block `number`, derived from consensus block `block` (`given`)."""
    return DomainBlockContext(
        domain_id, number, block.hash(), given.number, params.slot_timestamp_ms(block.header.slot),
        given.transaction_byte_fee, parent_hash,
    )  # fmt: skip


class ReceiptWatcher:
    """See the module docstring. Not thread-safe: its owner serializes calls."""

    def __init__(
        self, domain_id: int, runtime: DomainRuntime, chain: DomainChain, node: FraudProofSink, params: Params,
        proof_of_space_size: int,
    ) -> None:  # fmt: skip
        self.domain_id = domain_id
        self.runtime = runtime
        self.chain = chain
        self.node = node
        self.params = params
        self.proof_of_space_size = proof_of_space_size
        self.counters = WatchCounters()

    def watch(self, block: Block) -> None:
        """Check the receipts `block` carries (its own domain block, if any, already derived), and note the
        proofs it carries of receipts this watcher challenged."""
        for proof in block.fraud_proofs:
            carried = self.counters.challenged.get(proof.bad_receipt_hash)
            if proof.domain_id == self.domain_id and carried is not None:
                self.counters.proven_in.append((block.header.number - carried[0], block.header.slot - carried[1]))
        for receipt in carried_receipts(block, self.domain_id):
            number = receipt.domain_block_number
            own = self.chain.receipt(number)
            if number == 0 or own is None:
                continue
            self.counters.receipts_checked += 1
            if own == receipt or receipt.hash() in self.counters.challenged:
                continue
            self.counters.bad_receipts_seen += 1
            self._challenge(receipt, block)

    def _challenge(self, bad: ExecutionReceipt, carrier: Block) -> None:
        proof = self.prove(bad)
        if proof is None:
            return
        answer = self.node.offer_fraud_proof(proof)
        self.counters.challenged[bad.hash()] = (carrier.header.number, carrier.header.slot)
        self.counters.fraud_proofs_submitted += 1
        verdict = "pooled" if answer.bundle_hash is not None else f"refused: {answer.rejection}"
        self.counters.last_fraud_proof = f"receipt {bad.domain_block_number} ({bad.hash().hex()[:16]}…): {verdict}"

    def prove(self, bad: ExecutionReceipt) -> bytes | None:
        """The encoded fraud proof of `bad` from this node's execution (None when it cannot prove it here)."""
        number = bad.domain_block_number
        record, parent = self.chain.block(number), self.chain.receipt(number - 1)
        if record is None or parent is None or bad.parent_domain_block_receipt_hash != parent.hash():
            return None
        given = self.node.domain_block_input(record.consensus_number)
        if given is None:
            return None
        block = Block.from_bytes(given.block, self.proof_of_space_size)
        bundles = domain_bundles(block, self.domain_id)
        context = block_context(
            self.domain_id, number, block, given, self.params, record.header.parent_hash
        )
        evidence = ConsensusEvidence(
            context, block.header.pre_digest.pot_info.proof_of_time, INITIAL_TX_RANGE,
            tuple(bundle.sealed_header.pre_hash() for bundle in bundles),
        )  # fmt: skip
        proof = prove_fraud(self.runtime, self.chain.state.nodes, evidence, bundles, parent, bad)
        return None if proof is None else proof.to_bytes()
