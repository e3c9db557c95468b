"""The operator's bundle producer (domain-client-operator `DomainBundleProducer`, `BundleProducerElectionSolver`):
win the slot's election, take the transactions that fit, and seal a bundle carrying the receipt the chain
expects next.

Pure: the VRF witness and the signing are arguments (randomness and keys live in the actor).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autonomys.protocol.domains.bundles import (
    Bundle,
    BundleHeader,
    ProofOfElection,
    SealedBundleHeader,
    SealedSingletonReceipt,
    SingletonReceipt,
    Weight,
)
from autonomys.protocol.domains.election import (
    INITIAL_TX_RANGE,
    compute_vrf_hash,
    is_signer_in_tx_range,
    make_election,
    signer_id_hash,
)
from autonomys.protocol.domains.execution import encode_opaque
from autonomys.protocol.domains.receipts import ExecutionReceipt
from autonomys.protocol.domains.registry import BundleLimit
from autonomys.protocol.domains.runtime import DomainRuntime
from autonomys.protocol.domains.substrate_trie import ordered_trie_root


@dataclass(frozen=True, slots=True)
class SlotClaim:
    """What an operator needs to know to contest a slot: its stake and the domain's, as the epoch snapshot has them."""

    domain_id: int
    operator_id: int
    slot: int
    proof_of_time: bytes
    operator_stake: int
    total_domain_stake: int
    bundle_slot_probability: tuple[int, int]


def win(claim: SlotClaim, key_pair: tuple[bytes, bytes], witness: bytes) -> ProofOfElection | None:
    """The operator's proof of election for the slot, None when it does not win it."""
    election = make_election(
        key_pair=key_pair, domain_id=claim.domain_id, slot=claim.slot, proof_of_time=claim.proof_of_time,
        witness=witness, operator_stake=claim.operator_stake, total_domain_stake=claim.total_domain_stake,
        bundle_slot_probability=claim.bundle_slot_probability,
    )  # fmt: skip
    if not election.is_winner:
        return None
    return ProofOfElection(claim.domain_id, claim.slot, claim.proof_of_time, election.vrf_signature, claim.operator_id)


def produce_bundle(
    claim: SlotClaim,
    key_pair: tuple[bytes, bytes],
    witness: bytes,
    receipt: ExecutionReceipt,
    transactions: Sequence[bytes],
    runtime: DomainRuntime,
    limit: BundleLimit,
    sign: Callable[[bytes], bytes],
    tx_range: int = INITIAL_TX_RANGE,
) -> Bundle | None:
    """A sealed bundle for the slot, or None when the operator does not win it. `transactions` are the runtime's
    bytes in the pool's order (each valid on the operator's state); those whose signer is in the bundle's
    transaction range are taken in order while they fit the bundle limits."""
    proof = win(claim, key_pair, witness)
    if proof is None:
        return None
    extrinsics: list[bytes] = []
    size, ref_time, proof_size = 0, 0, 0
    vrf_hash = int.from_bytes(compute_vrf_hash(proof.vrf_signature), "big")
    for transaction in transactions:
        # Only signers within this bundle's slice of the transaction range (the rest waits for another bundle).
        signer = runtime.signer(transaction)
        if signer is not None and not is_signer_in_tx_range(vrf_hash, signer_id_hash(signer), tx_range):
            continue
        encoded = encode_opaque(transaction)
        weight = runtime.weight(transaction)
        if (
            size + len(encoded) > limit.max_bundle_size
            or ref_time + weight.ref_time > limit.max_bundle_weight.ref_time
            or proof_size + weight.proof_size > limit.max_bundle_weight.proof_size
        ):
            break
        extrinsics.append(encoded)
        size, ref_time, proof_size = size + len(encoded), ref_time + weight.ref_time, proof_size + weight.proof_size
    header = BundleHeader(proof, receipt, Weight(ref_time, proof_size), ordered_trie_root(extrinsics))
    return Bundle(SealedBundleHeader(header, bytes(sign(header.hash()))), tuple(extrinsics))


def produce_singleton_receipt(
    claim: SlotClaim,
    key_pair: tuple[bytes, bytes],
    witness: bytes,
    receipt: ExecutionReceipt,
    sign: Callable[[bytes], bytes],
) -> SealedSingletonReceipt | None:
    """A sealed singleton receipt for the slot (what an operator submits instead of a bundle while the domain has
    more blocks than receipts), or None when the operator does not win the slot."""
    proof = win(claim, key_pair, witness)
    if proof is None:
        return None
    singleton = SingletonReceipt(proof, receipt)
    return SealedSingletonReceipt(singleton, bytes(sign(singleton.hash())))
