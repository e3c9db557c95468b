"""The domains parameters of a network: staking constants, the challenge period, bundle timing and limits.

Mainnet follows the reference runtime (subspace-runtime `lib.rs`, `GenesisConfigParams::production_params`). The
dev presets shorten what a person waits for on a laptop, as the reference's dev chain spec does: a staking epoch
of 5 domain blocks, withdrawals locked and receipts challengeable for 5 domain blocks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.domains.bundles import Weight, calculate_max_bundle_weight_and_size
from autonomys.protocol.domains.registry import BundleLimit
from autonomys.protocol.domains.staking_constants import MAINNET_STAKING, StakingConstants
from autonomys.protocol.params import Params

MAX_DOMAIN_BLOCK_SIZE: Final = 3_932_160
"""75 % of the consensus block's 5 MiB (subspace-runtime `MaxDomainBlockSize`)."""
MAX_DOMAIN_BLOCK_WEIGHT: Final = Weight(1_300_000_000_000, 3_407_872)
"""65 % of 2 s of compute and of 5 MiB of proof (subspace-runtime `MaxDomainBlockWeight`)."""
CONSENSUS_SLOT_PROBABILITY: Final = (1, 6)


@dataclass(frozen=True, slots=True)
class DomainsParams:
    staking: StakingConstants
    block_tree_pruning_depth: int
    """Domain blocks between a receipt and its confirmation (the challenge period)."""
    bundle_longevity: int = 5
    """Consensus blocks a bundle stays valid after the block it was produced after (pallet-domains `BundleLongevity`)."""
    block_slot_count: int = 6
    """Recent consensus blocks whose slots a bundle's slot is checked against (`BlockSlotCount`)."""

    def max_bundle(self, bundle_slot_probability: tuple[int, int]) -> BundleLimit:
        """The default bundle limits of a domain with this bundle slot probability."""
        limit = calculate_max_bundle_weight_and_size(
            MAX_DOMAIN_BLOCK_SIZE, MAX_DOMAIN_BLOCK_WEIGHT, CONSENSUS_SLOT_PROBABILITY, bundle_slot_probability
        )
        return BundleLimit(limit.max_bundle_size, limit.max_bundle_weight)


MAINNET_DOMAINS: Final = DomainsParams(MAINNET_STAKING, block_tree_pruning_depth=14_400)
DEV_DOMAINS: Final = DomainsParams(
    dataclasses.replace(MAINNET_STAKING, stake_epoch_duration=5, stake_withdrawal_locking_period=5),
    block_tree_pruning_depth=5,
)


def domains_params_for(params: Params) -> DomainsParams:
    """The domains parameters of a consensus preset."""
    return MAINNET_DOMAINS if params.name == "mainnet" else DEV_DOMAINS
