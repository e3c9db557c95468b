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


class InvalidPiece(ProtocolError):
    """A piece whose size, scalars or witness do not check."""


class InvalidSolution(ProtocolError):
    """A farming solution that does not verify; `reason` names the check that failed (protocol.farming.REASONS)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # Survives pickling (Ray ships exceptions between processes).
        return (type(self), (self.reason, self.detail))


class InvalidBundle(ProtocolError):
    """A domain bundle that breaks a rule."""


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
