"""The exception tree of the protocol: every rejected input raises a named subclass."""


class ProtocolError(Exception):
    """Base of every protocol-level rejection."""


class InvalidParams(ProtocolError):
    """A parameter set breaks one of its stated constraints."""


class DecodeError(ProtocolError):
    """Bytes that do not decode to the expected container."""


class InvalidProofOfTime(ProtocolError):
    """Proof-of-time checkpoints that do not verify, or PoT arguments outside their domain."""


class PotInputMismatch(ProtocolError):
    """A PoT proof or parameter change that does not fit the chain we follow (wrong slot, seed or iterations)."""


class InvalidBlock(ProtocolError):
    """A block that breaks a consensus rule."""


class InvalidBundle(InvalidBlock):
    """A domain bundle the consensus chain refuses (a block carrying one breaks the rule too); `reason` names the
    rule (pallet-domains `BundleError`)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class InvalidPiece(ProtocolError):
    """A piece whose size, scalars or witness do not check."""


class ReasonedError(ProtocolError):
    """A rejection carrying a machine-readable `reason` and a human `detail`; survives pickling (Ray ships
    exceptions between processes)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.reason, self.detail))


class InvalidSolution(ReasonedError):
    """A farming solution that does not verify; `reason` names the check that failed (protocol.farming.solutions.REASONS)."""


class InvalidIdentity(ProtocolError):
    """An identity registration, certificate or transition that does not check."""


class GossipIgnore(ProtocolError):
    """[IGNORE] a gossip message that is not useful now, without penalising the sender."""


class GossipReject(ProtocolError):
    """[REJECT] a gossip message that is invalid; the sender is penalised."""


class InvalidKzgSetup(ProtocolError):
    """A KZG setup whose length, digest or points do not check."""


class InvalidSegmentHeader(ProtocolError):
    """A segment header (or a segment's parent header) that does not chain onto the one before it."""


class InvalidSegment(ProtocolError):
    """Segment items that do not fit a segment, or segments given out of order."""


class ReconstructionError(ProtocolError):
    """Pieces from which a segment cannot be rebuilt: too few present, or not one erasure codeword."""


class InvalidSector(ProtocolError):
    """A plotted sector, its metadata or its contents map whose sizes, checksums or contents do not check."""


class SectorChecksumMismatch(InvalidSector):
    """Sector bytes (the whole sector, its contents map or its metadata) whose BLAKE3 checksum does not match."""


class PieceChecksumMismatch(InvalidSector):
    """A piece read back from a sector whose blake3 differs from the piece checksum in its record metadata."""


# ---- the consensus chain (protocol.consensus.chain): every rule a block can break ----


class UnknownParent(InvalidBlock):
    """A block whose parent hash is not the block the caller imports it onto."""


class InvalidBlockNumber(InvalidBlock):
    """A block whose number is not its parent's number + 1."""


class SlotInThePast(InvalidBlock):
    """A block (or vote) whose slot is not after its parent's slot."""


class SlotInTheFuture(InvalidBlock):
    """A block (or vote) whose slot is after the node's current slot (or, for a vote, after its block's slot)."""


class UnknownProofOfTime(InvalidBlock):
    """A block whose slot (or slot + authoring delay) has no proof-of-time output at this node yet; retry later."""


class PotMismatch(InvalidBlock):
    """A block whose proof_of_time or future_proof_of_time differs from the node's PoT output of that slot."""


class InvalidExtrinsicsRoot(InvalidBlock):
    """A header whose extrinsics root is not the root of the block's body."""


class InvalidSeal(InvalidBlock):
    """A header whose seal is not the solution public key's signature of its pre-hash."""


class UnknownSegmentCommitment(InvalidBlock):
    """A solution whose piece lies in a segment the chain has not recorded."""


class _ReasonedBlockError(ReasonedError, InvalidBlock):
    """An InvalidBlock carrying a machine-readable `reason`."""


class InvalidBlockSolution(_ReasonedBlockError):
    """A block whose solution fails verify_solution; `reason` is the InvalidSolution reason (farming.REASONS)."""


class InvalidVote(_ReasonedBlockError):
    """A vote that breaks a vote rule; `reason` names it (chain.VOTE_REASONS or a farming.REASONS entry)."""


class Equivocation(InvalidBlock):
    """The same solution (public key, sector, piece offset, chunk, slot) used twice in one block."""


class OutOfOrderSegmentHeader(InvalidBlock):
    """A segment header that does not continue the recorded segment chain (next index, parent hash)."""


class InvalidSegmentHeaders(_ReasonedBlockError):
    """A block whose segment headers are not exactly those this node's archive produced for the block they
    belong in; `reason` is "missing", "extra", "changed" or "reordered" (chain_segments.SEGMENT_HEADER_REASONS)."""


class UnknownSegmentHeaders(InvalidBlock):
    """A block whose segment headers come from a block this node has not archived yet; retry once it has."""


class ArchivedBlockConflict(InvalidBlock):
    """A block that does not descend from a block this node has archived (archived blocks are final)."""


class BlockTooLarge(InvalidBlock):
    """A block whose encoding, or whose transactions' encodings, exceed the block length limits."""


class BlockTooHeavy(InvalidBlock):
    """A block whose transactions, or whose transactions and votes, exceed the block weight limits."""


class InvalidTransaction(InvalidBlock):
    """A transaction that cannot be applied to the state."""


class BadNonce(InvalidTransaction):
    """A transaction whose nonce is not its sender's next nonce."""


class InsufficientBalance(InvalidTransaction):
    """A transaction whose amount plus fee exceeds its sender's balance."""


class BadSignature(InvalidTransaction):
    """A transaction whose signature is not its sender's signature of its signing payload."""


class InvalidPotParametersChange(InvalidBlock):
    """A header whose pot_parameters_change differs from the change the entropy rules derive for it."""


class InvalidStateRoot(InvalidBlock):
    """A header whose state root is not the root of the state the block produces."""


class InvalidStateProof(ProtocolError):
    """A state proof that does not match the root it is checked against, or that is cut short or malformed."""


class MissingStateNode(ProtocolError):
    """A state node (or a root) the node store does not hold: pruned, never stored, or another network's."""


class NoForkCandidates(ProtocolError):
    """Fork choice asked to choose among no blocks."""


class NoCommonAncestor(ProtocolError):
    """Two blocks whose ancestries (as far as known) never meet."""


# ---- domains (protocol.domains, and the consensus chain's ledger of their records) ----


class ReservedStateKey(ProtocolError):
    """A domains record written under a key the chain's own state uses."""


class InvalidAmount(ProtocolError):
    """A negative balance amount passed to the ledger."""


class InsufficientHeldBalance(ProtocolError):
    """A release or transfer of more held balance than the account holds for that reason."""


class BalanceOverflowError(ProtocolError):
    """A mint or transfer that would take a balance (or the total issuance) past u128."""


class InvalidThreshold(ProtocolError):
    """An election threshold that cannot be computed: zero total domain stake or a zero slot-probability denominator."""


class InvalidProofOfElection(ReasonedError):
    """A proof of election that does not check; `reason` is one of election.REASONS (sp-domains
    `ProofOfElectionError`)."""


class InvalidBundleLimits(ProtocolError):
    """Slot probabilities or block limits from which no bundle limit follows (a checked operation failed)."""


class FeesOverflow(ProtocolError):
    """Block fees whose total does not fit in a u128 Balance (sp-domains `BlockFees::total_fees` is None)."""


class EmptyExecutionTrace(ProtocolError):
    """An execution trace with no roots: rs_merkle has no root for an empty tree."""


class InvalidReceipt(ProtocolError):
    """An execution receipt the block tree refuses; `reason` names the rule (pallet-domains `BlockTreeError`)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class InvalidShuffleSeed(ProtocolError):
    """A shuffling seed that is not exactly 32 bytes."""


class IllegalTransaction(ProtocolError):
    """A domain transaction that fails its pre-dispatch check (signature, nonce, funds for the fee)."""


class UnknownRuntime(ProtocolError):
    """A runtime name no runtime is registered under."""


class DomainRegistryError(ProtocolError):
    """A domain registry call that breaks one of pallet-domains' rules (the subclass names which)."""


class RuntimeNotFound(DomainRegistryError):
    """No runtime is registered under that id."""


class DomainNotFound(DomainRegistryError):
    """No domain is instantiated under that id."""


class InvalidDomainConfig(DomainRegistryError):
    """A DomainConfigParams that breaks a registry rule: probability, name, limits, initial balances."""


class InvalidExecutionProof(ProtocolError):
    """An execution proof that cannot be checked: a node missing or unused, or a phase outside the trace."""


class InvalidFraudProof(ProtocolError):
    """A fraud proof that does not prove its receipt wrong (or cannot be checked); the message names why."""


class InvalidConfigForRuntimeType(InvalidDomainConfig):
    """The config's runtime info (or its initial balance accounts) does not fit the runtime's type."""


class EvmChainIdInUse(InvalidDomainConfig):
    """An EVM domain's chain id is already another domain's."""


# Staking (pallet-domains staking.rs `Error`, staking_epoch.rs, bundle_storage_fund.rs `Error`): every rejected
# staking call or transition raises one of these, named as the reference names them, and changes nothing.


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


class InsufficientStakeBalance(StakingError):
    """The account's free balance cannot cover the stake to hold (pallet-domains staking `InsufficientBalance`)."""


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


class RejectedFraudProof(InvalidBlock):
    """A fraud proof the consensus chain refuses (a block carrying one breaks the rule too); `reason` names the
    rule (pallet-domains `FraudProofError`), `invalid_fraud_proof` when the proof does not prove its receipt wrong."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class InvalidSingletonReceipt(InvalidBlock):
    """A singleton receipt the consensus chain refuses; `reason` names the rule (pallet-domains `BundleError`)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
