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
