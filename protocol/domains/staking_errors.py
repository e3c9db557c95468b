"""The errors of domain staking (pallet-domains staking.rs `Error`, staking_epoch.rs, bundle_storage_fund.rs
`Error`): every rejected staking call or transition raises one of these, named as the reference names them, and
changes nothing."""

from autonomys.protocol.errors import ProtocolError


class StakingError(ProtocolError):
    """A staking call or transition that the domains pallet rejects; nothing it touched is changed."""


class ShareOverflow(StakingError):
    """More shares than stake (a share price above one), or a share total that overflows u128."""


class ZeroSharePrice(StakingError):
    """A share price asked for with zero shares or zero stake."""


class MaximumOperatorId(StakingError):
    """NextOperatorId would pass u64::MAX."""


class DomainNotInitialized(StakingError):
    """The domain has no registry record or no staking summary."""


class DomainAlreadyInitialized(StakingError):
    """create_domain_staking for a domain that already has staking records."""


class InsufficientBalance(StakingError):
    """The account's free balance cannot cover the stake to hold (staking `InsufficientBalance`, not the ledger's)."""


class InsufficientShares(StakingError):
    """A withdrawal of more shares than the nominator owns."""


class ZeroWithdraw(StakingError):
    """A withdrawal of zero shares."""


class ZeroDeposit(StakingError):
    """A nomination of zero balance."""


class BalanceFreeze(StakingError):
    """The balance could not be put on hold."""


class MinimumOperatorStake(StakingError):
    """The operator owner's stake would be (or is) below MinOperatorStake."""


class MinimumNominatorStake(StakingError):
    """A nominator's stake (or the operator's configured minimum) is below the minimum nominator stake."""


class UnknownOperator(StakingError):
    """No such operator (or it has no owner)."""


class UnknownNominator(StakingError):
    """The account has no deposit with this operator."""


class BalanceOverflow(StakingError):
    """A balance sum that would pass u128."""


class BalanceUnderflow(StakingError):
    """A balance difference that would go below zero."""


class ShareUnderflow(StakingError):
    """A share difference that would go below zero."""


class NotOperatorOwner(StakingError):
    """The caller does not own the operator."""


class OperatorNotRegistered(StakingError):
    """The operator's status does not allow this call."""


class OperatorNotDeregistered(StakingError):
    """unlock_nominator on an operator that has not deregistered."""


class OperatorNotDeactivated(StakingError):
    """reactivate_operator on an operator that is not deactivated."""


class ReactivationDelayPeriodIncomplete(StakingError):
    """reactivate_operator before the epoch its deactivation allows."""


class MissingOperatorOwner(StakingError):
    """A live operator without an owner record."""


class MintBalance(StakingError):
    """Minting failed (the balance or the issuance would overflow)."""


class BlockNumberOverflow(StakingError):
    """An unlock block number that would pass u32."""


class RemoveLock(StakingError):
    """A held balance could not be released or moved (less is held than recorded)."""


class EpochOverflow(StakingError):
    """The epoch index would pass u32."""


class TooManyPendingStakingOperation(StakingError):
    """The domain already has MaxPendingStakingOperation staking operations this epoch."""


class OperatorNotAllowed(StakingError):
    """The owner is not on the domain's operator allow list."""


class InvalidOperatorSigningKey(StakingError):
    """The operator signing key is all zeros."""


class MissingOperatorEpochSharePrice(StakingError):
    """A deposit or withdrawal of a finished epoch whose closing share price is missing."""


class MissingWithdrawal(StakingError):
    """unlock_funds with no withdrawal to unlock."""


class UnlockPeriodNotComplete(StakingError):
    """No withdrawal (or deregistration) has reached its unlock block yet."""


class TooManyWithdrawals(StakingError):
    """The nominator already has WithdrawalLimit withdrawals waiting to unlock."""


class BundleStorageFund(StakingError):
    """A bundle storage fund operation failed (pallet-domains bundle_storage_fund.rs `Error`)."""


class BundleStorageFeePayment(BundleStorageFund):
    """The operator's storage fund cannot pay a bundle's storage fee (submit_bundle: UnableToPayBundleStorageFee)."""


class FailToDeposit(BundleStorageFund):
    """The storage-fee reserve of a deposit could not be moved into the fund."""


class WithdrawAndHold(BundleStorageFund):
    """The storage-fee refund could not be moved from the fund and held."""


class FailToWithdraw(BundleStorageFund):
    """The storage-fee refund could not be moved from the fund."""


class BalanceTransfer(BundleStorageFund):
    """The fund could not be emptied into the treasury."""
