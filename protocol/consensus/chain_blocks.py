"""Consensus-chain containers (the reference's `Solution`, `PreDigest`, `Vote`, `future_proof_of_time`):
transactions, the pre-digest, votes, headers and blocks.

Each container has one canonical byte encoding (SCALE-like: little-endian integers, compact-length
vectors, a one-byte tag for enum variants and options). `from_bytes` raises DecodeError on anything
that is not exactly one value; every hash is blake3 of an encoding. Containers carry no rules: the
chain's rules are in protocol.consensus.chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import blake3

from autonomys.protocol.archiving.segments import SegmentHeader, read_segment_header
from autonomys.protocol.codec import (
    Reader,
    encode_u8,
    encode_u32,
    encode_u64,
    encode_u128,
    encode_vec_u8,
    read_u128,
    validate_bytes,
    validate_uint,
)

# actors.consensus.node_store imports these three from here.
from autonomys.protocol.codec import decode_exactly as decode_exactly
from autonomys.protocol.codec import encode_vector as encode_vector
from autonomys.protocol.codec import read_vector as read_vector
from autonomys.protocol.constants import (
    BLAKE3_HASH_SIZE,
    CHUNK_WITNESS_SIZE,
    POT_OUTPUT_SIZE,
    PUBLIC_KEY_SIZE,
    RECORD_COMMITMENT_SIZE,
    RECORD_WITNESS_SIZE,
    REWARD_ADDRESS_SIZE,
    SCALAR_FULL_BYTES,
    U32_MAX,
    U64_MAX,
)
from autonomys.protocol.domains.bundles import Bundle, SealedSingletonReceipt
from autonomys.protocol.domains.calls import (
    DOMAIN_CALL_TAGS,
    DOMAIN_CALL_TYPES,
    DomainCall,
    read_domain_call,
)
from autonomys.protocol.domains.fraud_proofs import FraudProof
from autonomys.protocol.errors import DecodeError, InvalidProofOfTime, InvalidSolution, InvalidTransaction
from autonomys.protocol.farming.solutions import DEFAULT_PROOF_OF_SPACE_SIZE, Solution
from autonomys.protocol.timekeeper.pot import PotParametersChange
from autonomys.protocol.types import Blake3Hash, SlotIterations, SlotNumber

SIGNATURE_SIZE = 64
ACCOUNT_ID_SIZE = PUBLIC_KEY_SIZE
U128_MAX = 2**128 - 1
TRANSACTION_SIGNING_TAG = b"autonomys-tx"
# Enum tags: Call variants, and the V0 version byte of the pre-digest, its PoT info and votes.
CALL_TRANSFER = 0
CALL_STORE_DATA = 1
VERSION_V0 = 0
# Consensus limit on one StoreData payload: one object chunk (protocol.objects.mappings.MAX_OBJECT_CHUNK_SIZE, 256 KiB)
# plus its payload header, with room to spare. Must stay >= that chunk payload; change the two together.
MAX_STORE_DATA_SIZE = 264 * 1024
# Everything in a Solution before its proof of space (whose size depends on the table).
SOLUTION_FIXED_SIZE = (
    (PUBLIC_KEY_SIZE + REWARD_ADDRESS_SIZE + 2 + 8 + 2 + RECORD_COMMITMENT_SIZE + RECORD_WITNESS_SIZE)
    + SCALAR_FULL_BYTES
    + CHUNK_WITNESS_SIZE
)


def compute_blake3(data: bytes) -> Blake3Hash:
    """blake3(data)."""
    return Blake3Hash(blake3.blake3(data).digest())


# ---- calls and transactions ----


class StoreDataTooLarge(InvalidTransaction):
    """A StoreData whose payload exceeds MAX_STORE_DATA_SIZE."""


@dataclass(frozen=True, slots=True)
class Transfer:
    """Move `amount` Shannon from the sender to `to`."""

    to: bytes
    amount: int

    def __post_init__(self) -> None:
        validate_bytes("to", self.to, ACCOUNT_ID_SIZE)
        validate_uint("amount", self.amount, U128_MAX)

    def to_bytes(self) -> bytes:
        """CALL_TRANSFER | to [32] | amount u128."""
        return encode_u8(CALL_TRANSFER) + self.to + encode_u128(self.amount)


@dataclass(frozen=True, slots=True)
class StoreData:
    """Put user data into the chain's history (archived like every block); pays the storage fee per byte."""

    data: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.data, bytes) or len(self.data) > U32_MAX:
            msg = "StoreData.data must be bytes of at most 2^32 - 1"
            raise DecodeError(msg)

    def to_bytes(self) -> bytes:
        """CALL_STORE_DATA | compact length | data."""
        return encode_u8(CALL_STORE_DATA) + encode_vec_u8(self.data)


Call = Transfer | StoreData | DomainCall
CALL_TYPES = (Transfer, StoreData, *DOMAIN_CALL_TYPES)


def read_call(reader: Reader) -> Call:
    tag = reader.read_u8()
    if tag == CALL_TRANSFER:
        return Transfer(reader.read_bytes(ACCOUNT_ID_SIZE), read_u128(reader))
    if tag == CALL_STORE_DATA:
        return StoreData(reader.read_vec_u8())
    if tag in DOMAIN_CALL_TAGS:
        return read_domain_call(tag, reader)
    msg = f"Call: unknown variant {tag}"
    raise DecodeError(msg)


def decode_call(data: bytes) -> Call:
    """Exactly one Call."""
    return decode_exactly(data, "Call", read_call)


def compute_transaction_signing_payload(genesis_hash: bytes, sender: bytes, nonce: int, call: Call) -> bytes:
    """b"autonomys-tx" | genesis hash | sender | nonce u64 | call: what the sender signs.

    The genesis hash binds a transaction to one network, as the reference's CheckGenesis signed extension does
    (its `additional_signed`), so a transaction signed for one network cannot be replayed on another."""
    validate_bytes("genesis_hash", genesis_hash, BLAKE3_HASH_SIZE)
    return TRANSACTION_SIGNING_TAG + genesis_hash + sender + encode_u64(nonce) + call.to_bytes()


@dataclass(frozen=True, slots=True)
class Transaction:
    """A signed call: sender [32] (sr25519 public key) | nonce u64 | call | signature [64]."""

    sender: bytes
    nonce: int
    call: Call
    signature: bytes

    def __post_init__(self) -> None:
        validate_bytes("sender", self.sender, ACCOUNT_ID_SIZE)
        validate_uint("nonce", self.nonce, U64_MAX)
        if not isinstance(self.call, CALL_TYPES):
            msg = (
                f"call must be one of {', '.join(kind.__name__ for kind in CALL_TYPES)}, got {type(self.call).__name__}"
            )
            raise DecodeError(msg)
        validate_bytes("signature", self.signature, SIGNATURE_SIZE)

    def signing_payload(self, genesis_hash: bytes) -> bytes:
        """What the sender signed for the network of `genesis_hash`."""
        return compute_transaction_signing_payload(genesis_hash, self.sender, self.nonce, self.call)

    def to_bytes(self) -> bytes:
        return self.sender + encode_u64(self.nonce) + self.call.to_bytes() + self.signature

    @classmethod
    def from_bytes(cls, data: bytes) -> Transaction:
        return decode_exactly(data, "Transaction", read_transaction)

    def hash(self) -> Blake3Hash:
        return compute_blake3(self.to_bytes())


def read_transaction(reader: Reader) -> Transaction:
    sender = reader.read_bytes(ACCOUNT_ID_SIZE)
    nonce = reader.read_u64()
    call = read_call(reader)
    return Transaction(sender, nonce, call, reader.read_bytes(SIGNATURE_SIZE))


def sign_transaction(
    genesis_hash: bytes, sender: bytes, nonce: int, call: Call, sign: Callable[[bytes], bytes]
) -> Transaction:
    """The transaction for the network of `genesis_hash`, with `sign` (the sender's key) applied to its payload."""
    signature = bytes(sign(compute_transaction_signing_payload(genesis_hash, sender, nonce, call)))
    return Transaction(sender, nonce, call, signature)


# ---- pre-digest (the reference's `PreDigest::V0`) ----


def read_solution(reader: Reader, proof_of_space_size: int) -> Solution:
    """A Solution inside a larger container; a malformed one is a DecodeError here."""
    data = reader.read_bytes(SOLUTION_FIXED_SIZE + proof_of_space_size)
    try:
        return Solution.from_bytes(data, proof_of_space_size)
    except InvalidSolution as error:
        raise DecodeError(str(error)) from error


@dataclass(frozen=True, slots=True)
class PotInfo:
    """The PoT outputs a block claims: of its slot, and of slot + block_authoring_delay (the reference's
    `future_proof_of_time`)."""

    proof_of_time: bytes
    future_proof_of_time: bytes

    def __post_init__(self) -> None:
        validate_bytes("proof_of_time", self.proof_of_time, POT_OUTPUT_SIZE)
        validate_bytes("future_proof_of_time", self.future_proof_of_time, POT_OUTPUT_SIZE)

    def to_bytes(self) -> bytes:
        """0x00 (V0) | proof_of_time [16] | future_proof_of_time [16]."""
        return encode_u8(VERSION_V0) + self.proof_of_time + self.future_proof_of_time

    @classmethod
    def from_bytes(cls, data: bytes) -> PotInfo:
        return decode_exactly(data, "PotInfo", read_pot_info)


def _read_version(reader: Reader, what: str) -> None:
    version = reader.read_u8()
    if version != VERSION_V0:
        msg = f"{what}: unknown variant {version}"
        raise DecodeError(msg)


def read_pot_info(reader: Reader) -> PotInfo:
    _read_version(reader, "PotInfo")
    return PotInfo(reader.read_bytes(POT_OUTPUT_SIZE), reader.read_bytes(POT_OUTPUT_SIZE))


@dataclass(frozen=True, slots=True)
class PreDigest:
    """Who claims the block: PreDigest::V0 { slot, solution, pot_info } as the reference encodes it."""

    slot: int
    solution: Solution
    pot_info: PotInfo

    def __post_init__(self) -> None:
        validate_uint("slot", self.slot, U64_MAX)

    def to_bytes(self) -> bytes:
        """0x00 | slot u64 | solution | 0x00 | proof_of_time | future_proof_of_time."""
        return encode_u8(VERSION_V0) + encode_u64(self.slot) + self.solution.to_bytes() + self.pot_info.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, proof_of_space_size: int = DEFAULT_PROOF_OF_SPACE_SIZE) -> PreDigest:
        return decode_exactly(data, "PreDigest", lambda reader: read_pre_digest(reader, proof_of_space_size))


def read_pre_digest(reader: Reader, proof_of_space_size: int) -> PreDigest:
    _read_version(reader, "PreDigest")
    slot = reader.read_u64()
    solution = read_solution(reader, proof_of_space_size)
    return PreDigest(slot, solution, read_pot_info(reader))


# ---- votes (the reference's `Vote::V0`, EXPECTED_VOTES_PER_BLOCK) ----


@dataclass(frozen=True, slots=True)
class Vote:
    """A solution within the voting range but not the block range, for a block at `height` on `parent_hash`.

    Encoded in the reference's field order: 0x00 | height u32 | parent_hash | slot u64 | solution | pot | future pot.
    """

    parent_hash: bytes
    height: int
    slot: int
    solution: Solution
    proof_of_time: bytes
    future_proof_of_time: bytes

    def __post_init__(self) -> None:
        validate_bytes("parent_hash", self.parent_hash, BLAKE3_HASH_SIZE)
        validate_uint("height", self.height, U32_MAX)
        validate_uint("slot", self.slot, U64_MAX)
        validate_bytes("proof_of_time", self.proof_of_time, POT_OUTPUT_SIZE)
        validate_bytes("future_proof_of_time", self.future_proof_of_time, POT_OUTPUT_SIZE)

    def to_bytes(self) -> bytes:
        return (
            encode_u8(VERSION_V0)
            + encode_u32(self.height)
            + self.parent_hash
            + encode_u64(self.slot)
            + self.solution.to_bytes()
            + self.proof_of_time
            + self.future_proof_of_time
        )

    @classmethod
    def from_bytes(cls, data: bytes, proof_of_space_size: int = DEFAULT_PROOF_OF_SPACE_SIZE) -> Vote:
        return decode_exactly(data, "Vote", lambda reader: read_vote(reader, proof_of_space_size))

    def hash(self) -> Blake3Hash:
        """blake3 of the encoding: what the voter signs."""
        return compute_blake3(self.to_bytes())


def read_vote(reader: Reader, proof_of_space_size: int) -> Vote:
    _read_version(reader, "Vote")
    height = reader.read_u32()
    parent_hash = reader.read_bytes(BLAKE3_HASH_SIZE)
    slot = reader.read_u64()
    solution = read_solution(reader, proof_of_space_size)
    return Vote(
        parent_hash, height, slot, solution, reader.read_bytes(POT_OUTPUT_SIZE), reader.read_bytes(POT_OUTPUT_SIZE)
    )


@dataclass(frozen=True, slots=True)
class SignedVote:
    """A vote and the sr25519 signature of its solution's public key over vote.hash()."""

    vote: Vote
    signature: bytes

    def __post_init__(self) -> None:
        validate_bytes("signature", self.signature, SIGNATURE_SIZE)

    def to_bytes(self) -> bytes:
        return self.vote.to_bytes() + self.signature

    @classmethod
    def from_bytes(cls, data: bytes, proof_of_space_size: int = DEFAULT_PROOF_OF_SPACE_SIZE) -> SignedVote:
        return decode_exactly(data, "SignedVote", lambda reader: read_signed_vote(reader, proof_of_space_size))


def read_signed_vote(reader: Reader, proof_of_space_size: int) -> SignedVote:
    vote = read_vote(reader, proof_of_space_size)
    return SignedVote(vote, reader.read_bytes(SIGNATURE_SIZE))


def sign_vote(vote: Vote, sign: Callable[[bytes], bytes]) -> SignedVote:
    """The vote signed by `sign` (the solution public key's signer) over vote.hash()."""
    return SignedVote(vote, bytes(sign(vote.hash())))


# ---- headers and blocks ----


def encode_pot_parameters_change(change: PotParametersChange | None) -> bytes:
    """Option: 0x00, or 0x01 | slot u64 | slot_iterations u32 | entropy [32]."""
    if change is None:
        return encode_u8(0)
    return encode_u8(1) + encode_u64(change.slot) + encode_u32(change.slot_iterations) + change.entropy


def read_pot_parameters_change(reader: Reader) -> PotParametersChange | None:
    if not reader.read_option_tag():
        return None
    slot, slot_iterations, entropy = reader.read_u64(), reader.read_u32(), reader.read_bytes(BLAKE3_HASH_SIZE)
    try:
        return PotParametersChange(SlotNumber(slot), SlotIterations(slot_iterations), Blake3Hash(entropy))
    except InvalidProofOfTime as error:
        raise DecodeError(str(error)) from error


@dataclass(frozen=True, slots=True)
class Header:
    """A block header; the seal is the solution public key's sr25519 signature over pre_hash()."""

    parent_hash: bytes
    number: int
    state_root: bytes
    """Root of the state after this block (ChainState.state_root)."""
    extrinsics_root: bytes
    """compute_extrinsics_root of the block's transactions, votes and segment headers."""
    pre_digest: PreDigest
    pot_parameters_change: PotParametersChange | None
    """The PoT change the entropy rules (pallet-subspace `do_initialize`) derive for this block, None when none."""
    seal: bytes

    def __post_init__(self) -> None:
        validate_bytes("parent_hash", self.parent_hash, BLAKE3_HASH_SIZE)
        validate_uint("number", self.number, U32_MAX)
        validate_bytes("state_root", self.state_root, BLAKE3_HASH_SIZE)
        validate_bytes("extrinsics_root", self.extrinsics_root, BLAKE3_HASH_SIZE)
        validate_bytes("seal", self.seal, SIGNATURE_SIZE)

    @property
    def slot(self) -> int:
        return self.pre_digest.slot

    @property
    def solution(self) -> Solution:
        return self.pre_digest.solution

    def unsealed_bytes(self) -> bytes:
        """parent_hash | number u32 | state_root | extrinsics_root | pre_digest | option(pot change)."""
        return (
            self.parent_hash
            + encode_u32(self.number)
            + self.state_root
            + self.extrinsics_root
            + self.pre_digest.to_bytes()
            + encode_pot_parameters_change(self.pot_parameters_change)
        )

    def to_bytes(self) -> bytes:
        return self.unsealed_bytes() + self.seal

    @classmethod
    def from_bytes(cls, data: bytes, proof_of_space_size: int = DEFAULT_PROOF_OF_SPACE_SIZE) -> Header:
        return decode_exactly(data, "Header", lambda reader: read_header(reader, proof_of_space_size))

    def pre_hash(self) -> Blake3Hash:
        """blake3 of the header without its seal: what the author signs."""
        return compute_blake3(self.unsealed_bytes())

    def hash(self) -> Blake3Hash:
        """blake3 of the full header: the block's hash."""
        return compute_blake3(self.to_bytes())


def read_header(reader: Reader, proof_of_space_size: int) -> Header:
    parent_hash = reader.read_bytes(BLAKE3_HASH_SIZE)
    number = reader.read_u32()
    state_root = reader.read_bytes(BLAKE3_HASH_SIZE)
    extrinsics_root = reader.read_bytes(BLAKE3_HASH_SIZE)
    pre_digest = read_pre_digest(reader, proof_of_space_size)
    change = read_pot_parameters_change(reader)
    return Header(
        parent_hash, number, state_root, extrinsics_root, pre_digest, change, reader.read_bytes(SIGNATURE_SIZE)
    )


def encode_block_body(
    transactions: Sequence[Transaction],
    votes: Sequence[SignedVote],
    segment_headers: Sequence[SegmentHeader],
    bundles: Sequence[Bundle] = (),
    receipts: Sequence[SealedSingletonReceipt] = (),
    fraud_proofs: Sequence[FraudProof] = (),
) -> bytes:
    """vec(transactions) | vec(signed votes) | vec(segment headers) | vec(bundles) | vec(singleton receipts) |
    vec(fraud proofs, each length-prefixed)."""
    return (
        encode_vector(transactions) + encode_vector(votes) + encode_vector(segment_headers) + encode_vector(bundles)
        + encode_vector(receipts) + encode_vector([encode_vec_u8(proof.to_bytes()) for proof in fraud_proofs])
    )  # fmt: skip


def compute_extrinsics_root(
    transactions: Sequence[Transaction],
    votes: Sequence[SignedVote],
    segment_headers: Sequence[SegmentHeader],
    bundles: Sequence[Bundle] = (),
    receipts: Sequence[SealedSingletonReceipt] = (),
    fraud_proofs: Sequence[FraudProof] = (),
) -> Blake3Hash:
    """blake3 of the block body's encoding (transactions, votes, segment headers, bundles, singleton receipts,
    fraud proofs)."""
    return compute_blake3(encode_block_body(transactions, votes, segment_headers, bundles, receipts, fraud_proofs))


@dataclass(frozen=True, slots=True)
class Block:
    """A header and its body: transactions, votes, the segment headers archived since the parent, and the
    domains' extrinsics: bundles, singleton receipts and fraud proofs (unsigned extrinsics in the reference:
    bundles and receipts carry their operator's signature, a fraud proof proves itself)."""

    header: Header
    transactions: tuple[Transaction, ...]
    votes: tuple[SignedVote, ...]
    segment_headers: tuple[SegmentHeader, ...]
    bundles: tuple[Bundle, ...] = ()
    receipts: tuple[SealedSingletonReceipt, ...] = ()
    fraud_proofs: tuple[FraudProof, ...] = ()

    def __post_init__(self) -> None:
        for name in ("transactions", "votes", "segment_headers", "bundles", "receipts", "fraud_proofs"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def _body(self) -> tuple[Sequence[Any], ...]:
        return (
            self.transactions, self.votes, self.segment_headers, self.bundles, self.receipts, self.fraud_proofs
        )  # fmt: skip

    def to_bytes(self) -> bytes:
        return self.header.to_bytes() + encode_block_body(*self._body())

    @classmethod
    def from_bytes(cls, data: bytes, proof_of_space_size: int = DEFAULT_PROOF_OF_SPACE_SIZE) -> Block:
        return decode_exactly(data, "Block", lambda reader: read_block(reader, proof_of_space_size))

    def hash(self) -> Blake3Hash:
        return self.header.hash()

    def extrinsics_root(self) -> Blake3Hash:
        """The root the header must carry for this body."""
        return compute_extrinsics_root(*self._body())


def read_block(reader: Reader, proof_of_space_size: int) -> Block:
    header = read_header(reader, proof_of_space_size)
    transactions = read_vector(reader, read_transaction)
    votes = read_vector(reader, lambda inner: read_signed_vote(inner, proof_of_space_size))
    segment_headers = read_vector(reader, read_segment_header)
    bundles = read_vector(reader, Bundle.read)
    receipts = read_vector(reader, SealedSingletonReceipt.read)
    fraud_proofs = read_vector(reader, lambda inner: FraudProof.from_bytes(inner.read_vec_u8()))
    return Block(header, transactions, votes, segment_headers, bundles, receipts, fraud_proofs)
