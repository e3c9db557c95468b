"""What the consensus chain knows of a domain block, for judging fraud proofs against its receipt without the
domain's state: the block's context (number, consensus block, timestamp, byte fee, parent hash), the consensus
block's proof-of-time output (the seed of the extrinsics shuffle), the transaction range, and the header hashes
of the bundles the consensus block carried for the domain (the execution inbox, in order).

The reference proves these from consensus storage through an MMR leaf (`BlockInherentExtrinsicData`,
`SuccessfulBundles`); here the consensus node verifying a fraud proof runs the chain that recorded them
(protocol.domains.fraud_submit reads them from its ledger), and an operator proving fraud takes them from the
consensus block it derived the domain block from.

Fraud proofs are judged against these records, so they must be exactly what the domain block was derived from:
the verifier rebuilds the block's inherents from `context` (protocol.domains.fraud_proofs_bundles), seeds the
shuffle from `consensus_pot_output`, checks transactions against `tx_range`, and takes a bundle in a proof as the
consensus block's when its header's pre-hash is the one recorded at its index.
"""

from __future__ import annotations

from dataclasses import dataclass

from autonomys.protocol.domains.runtime import DomainBlockContext


@dataclass(frozen=True, slots=True)
class ConsensusEvidence:
    context: DomainBlockContext
    consensus_pot_output: bytes
    """The proof-of-time output in the consensus block's pre-digest (protocol.domains.shuffle seeds from it)."""
    tx_range: int
    bundle_header_hashes: tuple[bytes, ...]
    """`SealedBundleHeader.pre_hash()` of each bundle of the domain the consensus block carried, in order (the
    `BundleDigest.header_hash` of the execution inbox)."""
