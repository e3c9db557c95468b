"""The staking constants of a runtime (pallet-domains Config, bundle_storage_fund.rs, lib.rs) with their
mainnet, dev and mock presets, and the accounts staking pays into (the treasury, an operator's storage fund).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.codec import encode_u8, encode_u64, validate_uint
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.domains.fixed_point import Perquintill
from autonomys.protocol.domains.staking_types import ACCOUNT_ID_SIZE

AI3: Final = 10**18


@dataclass(frozen=True, slots=True)
class StakingConstants:
    """The staking parameters of a runtime (pallet-domains Config, bundle_storage_fund.rs, lib.rs)."""

    min_operator_stake: int
    """Checked on the gross amount, before the storage-fee reserve is taken."""
    min_nominator_stake: int
    """The lowest minimum nominator stake an operator may configure."""
    stake_epoch_duration: int
    """Domain blocks per staking epoch."""
    stake_withdrawal_locking_period: int
    """Domain blocks a withdrawal waits before unlock (must be >= the block tree pruning depth)."""
    max_pending_staking_operation: int
    """Staking operations per domain per epoch."""
    withdrawal_limit: int
    """Withdrawals in balance per (operator, nominator) waiting to unlock."""
    operator_activation_delay_in_epochs: int
    """Epochs a deactivated operator waits before it may be reactivated."""
    storage_fee_reserve: Perquintill
    """Share of every deposit moved into the operator's bundle storage fund."""
    max_nominators_to_slash: int
    """Nominators drained per slash step."""
    domain_instantiation_deposit: int


MAINNET_STAKING: Final = StakingConstants(
    min_operator_stake=100 * AI3,
    min_nominator_stake=AI3,
    stake_epoch_duration=100,
    stake_withdrawal_locking_period=14_400,
    max_pending_staking_operation=512,
    withdrawal_limit=32,
    operator_activation_delay_in_epochs=5,
    storage_fee_reserve=Perquintill.from_percent(20),
    max_nominators_to_slash=10,
    domain_instantiation_deposit=100 * AI3,
)
# The dev chain spec (GenesisConfigParams::dev_params): only the withdrawal period differs.
DEV_STAKING: Final = dataclasses.replace(MAINNET_STAKING, stake_withdrawal_locking_period=5)
# pallet-domains mock.rs: the values the upstream staking unit tests (and their vectors) use. Note WithdrawalLimit
# 10 (not the runtime's 32) and a DomainInstantiationDeposit of 100 Shannon.
MOCK_STAKING: Final = dataclasses.replace(
    MAINNET_STAKING,
    stake_epoch_duration=5,
    stake_withdrawal_locking_period=5,
    withdrawal_limit=10,
    domain_instantiation_deposit=100,
)

# ---- accounts ----

TREASURY_ACCOUNT: Final = (b"modl" + b"treasury").ljust(ACCOUNT_ID_SIZE, b"\x00")
DOMAINS_PALLET_ID: Final = b"domains_"
STORAGE_FUND_ACCOUNT_TYPE: Final = 0


def compute_storage_fund_account(operator_id: int) -> bytes:
    """The operator's bundle storage fund: `PalletId(*b"domains_")` sub-account
    `(AccountType::StorageFund, operator_id)`, i.e. b"modl" ‖ b"domains_" ‖ 0x00 ‖ u64le(id), zero-padded."""
    validate_uint("operator_id", operator_id, U64_MAX)
    sub_account = encode_u8(STORAGE_FUND_ACCOUNT_TYPE) + encode_u64(operator_id)
    return (b"modl" + DOMAINS_PALLET_ID + sub_account).ljust(ACCOUNT_ID_SIZE, b"\x00")
