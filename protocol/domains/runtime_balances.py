"""The `balances` domain runtime: accounts with balances and nonces, sr25519-signed transfers, and the two
inherents every domain block opens with (pallet-timestamp's `set`, pallet-block-fees'
`set_next_consensus_chain_byte_fee`).

Extrinsic encodings (SCALE-style, each an OpaqueExtrinsic's bytes):
  0x00 | kind u8 | value          an inherent: kind 0 timestamp (u64 ms), kind 1 consensus byte fee (u128)
  0x01 | signer [32] | nonce u64 | call | signature [64]     a signed transaction; call 0x00 | to [32] | amount u128

A transaction signs `b"autonomys-domain-tx" | domain_id u32 | signer | nonce | call` with sr25519 (signing context
"substrate", as py-sr25519-bindings signs), so it does not replay on another domain. Its fee is BASE_FEE (the
domain execution fee) + the domain byte fee × its encoded size (the consensus storage fee); the byte fee is
DOMAIN_STORAGE_FEE_MULTIPLIER × the consensus chain's (sp-domains `DOMAIN_STORAGE_FEE_MULTIPLIER`). The fee is
withdrawn before dispatch and burned on the domain; the consensus chain pays it out at confirmation (operators'
rewards and storage-fund refunds).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import sr25519

from autonomys.protocol.codec import Reader, decode_exactly, encode_u8, encode_u32, encode_u64, encode_u128, read_u128
from autonomys.protocol.domains.bundles import Weight
from autonomys.protocol.domains.receipts import BlockFees, Transfers
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainState, register_runtime
from autonomys.protocol.errors import DecodeError, IllegalTransaction
from autonomys.protocol.state.steps import SteppedWriter
from autonomys.protocol.state.trie import EMPTY_ROOT, NodeSource

ACCOUNT_SIZE: Final = 32
SIGNATURE_SIZE: Final = 64
U128_MAX: Final = 2**128 - 1
BASE_FEE: Final = 10**12
"""The compute part of a transaction's fee (the reference's EXISTENTIAL_DEPOSIT scale, 10^12 Shannon)."""
DOMAIN_STORAGE_FEE_MULTIPLIER: Final = 3
TRANSFER_REF_TIME: Final = 200_000_000
"""A transfer's weight in picoseconds of compute (0.2 ms, measured in-process with headroom)."""
SIGNING_CONTEXT: Final = b"autonomys-domain-tx"

INHERENT: Final = 0
SIGNED: Final = 1
INHERENT_TIMESTAMP: Final = 0
INHERENT_BYTE_FEE: Final = 1
CALL_TRANSFER: Final = 0

DOMAIN_ID_KEY: Final = b"system/domain_id"
NUMBER_KEY: Final = b"system/number"
FEES_KEY: Final = b"system/block_fees"
TIMESTAMP_KEY: Final = b"timestamp/now"
BYTE_FEE_KEY: Final = b"block_fees/byte_fee"
ISSUANCE_KEY: Final = b"balances/total_issuance"
ACCOUNT_PREFIX: Final = b"balances/account/"
TRANSFERS_KEY: Final = b"transporter/chain_transfers"
"""pallet-transporter `ChainTransfers`: no extrinsic of this runtime writes it (it has no cross-domain messaging)."""


@dataclass(frozen=True, slots=True)
class DomainAccount:
    balance: int = 0
    nonce: int = 0

    def to_bytes(self) -> bytes:
        return encode_u128(self.balance) + encode_u64(self.nonce)

    @classmethod
    def from_bytes(cls, data: bytes) -> DomainAccount:
        return decode_exactly(data, "DomainAccount", lambda reader: cls(read_u128(reader), reader.read_u64()))


@dataclass(frozen=True, slots=True)
class DomainTransfer:
    to: bytes
    amount: int

    def to_bytes(self) -> bytes:
        return encode_u8(CALL_TRANSFER) + self.to + encode_u128(self.amount)


class DomainCall(Protocol):
    """A signed transaction's call: its encoding starts with the call's (pallet) tag."""

    def to_bytes(self) -> bytes: ...


CallReader = Callable[[Reader], DomainCall]
"""Reads a call after its tag byte (which the runtime's table keys it by)."""


def read_transfer(reader: Reader) -> DomainTransfer:
    return DomainTransfer(reader.read_bytes(ACCOUNT_SIZE), read_u128(reader))


BALANCES_CALLS: Final[dict[int, CallReader]] = {CALL_TRANSFER: read_transfer}


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    signer: bytes
    nonce: int
    call: DomainCall
    signature: bytes

    def signing_payload(self, domain_id: int) -> bytes:
        return compute_signing_payload(domain_id, self.signer, self.nonce, self.call)

    def to_bytes(self) -> bytes:
        return encode_u8(SIGNED) + self.signer + encode_u64(self.nonce) + self.call.to_bytes() + self.signature


@dataclass(frozen=True, slots=True)
class Inherent:
    kind: int
    value: int

    def to_bytes(self) -> bytes:
        value = encode_u64(self.value) if self.kind == INHERENT_TIMESTAMP else encode_u128(self.value)
        return encode_u8(INHERENT) + encode_u8(self.kind) + value


Extrinsic = SignedTransaction | Inherent


def compute_signing_payload(domain_id: int, signer: bytes, nonce: int, call: DomainCall) -> bytes:
    return SIGNING_CONTEXT + encode_u32(domain_id) + signer + encode_u64(nonce) + call.to_bytes()


def _read_extrinsic(reader: Reader, calls: tuple[tuple[int, CallReader], ...]) -> Extrinsic:
    tag = reader.read_u8()
    if tag == INHERENT:
        kind = reader.read_u8()
        if kind == INHERENT_TIMESTAMP:
            return Inherent(kind, reader.read_u64())
        if kind == INHERENT_BYTE_FEE:
            return Inherent(kind, read_u128(reader))
        msg = f"domain inherent: unknown kind {kind}"
        raise DecodeError(msg)
    if tag != SIGNED:
        msg = f"domain extrinsic: unknown variant {tag}"
        raise DecodeError(msg)
    signer, nonce = reader.read_bytes(ACCOUNT_SIZE), reader.read_u64()
    call_tag = reader.read_u8()
    read_call = dict(calls).get(call_tag)
    if read_call is None:
        msg = f"domain call: unknown variant {call_tag}"
        raise DecodeError(msg)
    call = read_call(reader)
    return SignedTransaction(signer, nonce, call, reader.read_bytes(SIGNATURE_SIZE))


def decode_extrinsic(data: bytes, calls: dict[int, CallReader] = BALANCES_CALLS) -> Extrinsic:
    """The extrinsic encoded in `data` (all of it), with the calls of `calls` (by tag); DecodeError otherwise."""
    return _decode_cached(bytes(data), tuple(calls.items()))


@functools.lru_cache(maxsize=4096)
def _decode_cached(data: bytes, calls: tuple[tuple[int, CallReader], ...]) -> Extrinsic:
    # A block's extrinsic is decoded by signer, is_inherent, weight, check and apply, in classification and in
    # execution: decoded once (the values are frozen; a DecodeError is not cached and raises every time).
    return decode_exactly(data, "domain extrinsic", lambda reader: _read_extrinsic(reader, calls))


def sign_transfer(
    domain_id: int, keypair: tuple[bytes, bytes], nonce: int, to: bytes, amount: int
) -> SignedTransaction:
    """A transfer from the keypair's account (py-sr25519-bindings (public, secret)), signed for `domain_id`."""
    return sign_call(domain_id, keypair, nonce, DomainTransfer(bytes(to), amount))


def sign_call(domain_id: int, keypair: tuple[bytes, bytes], nonce: int, call: DomainCall) -> SignedTransaction:
    """A transaction of `call` from the keypair's account, signed for `domain_id`."""
    public = bytes(keypair[0])
    signature = sr25519.sign(keypair, compute_signing_payload(domain_id, public, nonce, call))
    return SignedTransaction(public, nonce, call, bytes(signature))


def block_inherents(context: DomainBlockContext) -> list[bytes]:
    """The inherents that open a domain block (every runtime here): pallet-timestamp's `set` and
    pallet-block-fees' `set_next_consensus_chain_byte_fee` (the domain byte fee)."""
    byte_fee = DOMAIN_STORAGE_FEE_MULTIPLIER * context.consensus_transaction_byte_fee
    return [
        Inherent(INHERENT_TIMESTAMP, context.timestamp_ms).to_bytes(),
        Inherent(INHERENT_BYTE_FEE, byte_fee).to_bytes(),
    ]


# ---- state ----


def _read_int(state: DomainState, key: bytes) -> int:
    raw = state.get(key)
    return 0 if raw is None else int.from_bytes(raw, "little")


def get_account(state: DomainState, account: bytes) -> DomainAccount:
    raw = state.get(ACCOUNT_PREFIX + bytes(account))
    return DomainAccount() if raw is None else DomainAccount.from_bytes(raw)


def put_account(state: DomainState, account: bytes, value: DomainAccount) -> None:
    state.set(ACCOUNT_PREFIX + bytes(account), value.to_bytes())


def get_total_issuance(state: DomainState) -> int:
    return _read_int(state, ISSUANCE_KEY)


def _block_fees(state: DomainState) -> BlockFees:
    raw = state.get(FEES_KEY)
    return BlockFees() if raw is None else BlockFees.from_bytes(raw)


def compute_fee(extrinsic_size: int, byte_fee: int) -> tuple[int, int]:
    """(execution fee, storage fee) of a transaction of `extrinsic_size` bytes."""
    return BASE_FEE, byte_fee * extrinsic_size


# ---- the runtime ----


class BalancesState(SteppedWriter):
    """The balances runtime's state: protocol.state's trie; its transactions leave no receipts beyond the trace."""

    def transaction_outcomes(self) -> tuple[bytes, ...]:
        return ()


class BalancesRuntime:
    """Balances and transfers (module docstring). A runtime built on it adds calls (`calls`, by tag), their
    weights (`call_weight`) and their dispatch (`dispatch`)."""

    name = "balances"
    account_size = ACCOUNT_SIZE
    calls: dict[int, CallReader] = BALANCES_CALLS

    def decode(self, extrinsic: bytes) -> Extrinsic:
        return decode_extrinsic(extrinsic, self.calls)

    def call_weight(self, call: DomainCall, size: int) -> Weight:
        return Weight(TRANSFER_REF_TIME, size)

    def dispatch(self, state: DomainState, transaction: SignedTransaction, context: DomainBlockContext) -> None:
        """Run a transaction's call after its fee and nonce were taken; a failing call changes nothing more."""
        call = transaction.call
        assert isinstance(call, DomainTransfer)
        sender = get_account(state, transaction.signer)
        if call.amount > sender.balance:
            return  # the dispatch fails; its fee and nonce stay taken
        put_account(state, transaction.signer, DomainAccount(sender.balance - call.amount, sender.nonce))
        receiver = get_account(state, call.to)
        put_account(state, call.to, DomainAccount(receiver.balance + call.amount, receiver.nonce))

    def open_state(self, nodes: NodeSource, root: bytes | None) -> BalancesState:
        """The domain's state in protocol.state's trie (blake3 paths, content-addressed nodes)."""
        return BalancesState(nodes, EMPTY_ROOT if root is None else root)

    def transaction_hash(self, extrinsic: bytes) -> bytes:
        """BlakeTwo256 of the transaction's bytes (the domain's Substrate hashing)."""
        return hashlib.blake2b(bytes(extrinsic), digest_size=32).digest()

    def genesis(
        self,
        state: DomainState,
        domain_id: int,
        initial_balances: Sequence[tuple[bytes, int]],
        evm_chain_id: int | None = None,
    ) -> None:
        state.set(DOMAIN_ID_KEY, encode_u32(domain_id))
        state.set(NUMBER_KEY, encode_u32(0))
        for account, balance in initial_balances:
            put_account(state, account, DomainAccount(balance, 0))
        state.set(ISSUANCE_KEY, encode_u128(sum(balance for _, balance in initial_balances)))

    def signer(self, extrinsic: bytes) -> bytes | None:
        decoded = self.decode(extrinsic)
        # AccountId32 as the reference's `extract_signer` returns it, SCALE-encoded once here.
        return decoded.signer if isinstance(decoded, SignedTransaction) else None

    def is_inherent(self, extrinsic: bytes) -> bool:
        return isinstance(self.decode(extrinsic), Inherent)

    def weight(self, extrinsic: bytes) -> Weight:
        decoded = self.decode(extrinsic)
        if isinstance(decoded, Inherent):
            return Weight(0, 0)
        return self.call_weight(decoded.call, len(extrinsic))

    def inherents(self, context: DomainBlockContext) -> list[bytes]:
        return block_inherents(context)

    def check(
        self, state: DomainState, extrinsic: bytes, context: DomainBlockContext, *, signature_verified: bool = False
    ) -> None:
        decoded = self.decode(extrinsic)
        if not isinstance(decoded, SignedTransaction):
            raise IllegalTransaction("an inherent is not a transaction")
        if not signature_verified and not _is_signature_valid(decoded, context.domain_id):
            raise IllegalTransaction(f"transaction is not signed by {decoded.signer.hex()}")
        sender = get_account(state, decoded.signer)
        if decoded.nonce != sender.nonce:
            raise IllegalTransaction(f"nonce {decoded.nonce}, expected {sender.nonce}")
        execution_fee, storage_fee = compute_fee(len(extrinsic), _read_int(state, BYTE_FEE_KEY))
        if sender.balance < execution_fee + storage_fee:
            raise IllegalTransaction(f"balance {sender.balance} cannot pay the fee {execution_fee + storage_fee}")
        put_account(
            state, decoded.signer, DomainAccount(sender.balance - execution_fee - storage_fee, sender.nonce + 1)
        )
        state.set(ISSUANCE_KEY, encode_u128(get_total_issuance(state) - execution_fee - storage_fee))
        fees = _block_fees(state)
        state.set(
            FEES_KEY,
            BlockFees(
                fees.consensus_storage_fee + storage_fee, fees.domain_execution_fee + execution_fee,
                fees.burned_balance, fees.chain_rewards,
            ).to_bytes(),
        )  # fmt: skip

    def initialize_block(self, state: DomainState, context: DomainBlockContext) -> None:
        state.set(NUMBER_KEY, encode_u32(context.number))
        state.set(FEES_KEY, BlockFees().to_bytes())

    def resume_block(self, state: DomainState, context: DomainBlockContext) -> None:
        """Nothing to set up: every value the block's steps read is in the state."""

    def apply(self, state: DomainState, extrinsic: bytes, context: DomainBlockContext) -> None:
        decoded = self.decode(extrinsic)
        if isinstance(decoded, Inherent):
            key = TIMESTAMP_KEY if decoded.kind == INHERENT_TIMESTAMP else BYTE_FEE_KEY
            state.set(
                key, encode_u64(decoded.value) if decoded.kind == INHERENT_TIMESTAMP else encode_u128(decoded.value)
            )
            return
        self.dispatch(state, decoded, context)

    def finalize_block(self, state: DomainState, context: DomainBlockContext) -> BlockFees:
        return _block_fees(state)

    def read_account(self, state: DomainState, account: bytes) -> tuple[int, int]:
        found = get_account(state, account)
        return found.balance, found.nonce

    def read_block_fees(self, state: DomainState) -> BlockFees:
        return _block_fees(state)

    def read_transfers(self, state: DomainState) -> Transfers:
        raw = state.get(TRANSFERS_KEY)
        return Transfers() if raw is None else Transfers.from_bytes(raw)


def _is_signature_valid(transaction: SignedTransaction, domain_id: int) -> bool:
    try:
        return bool(sr25519.verify(transaction.signature, transaction.signing_payload(domain_id), transaction.signer))
    except ValueError:
        return False


BALANCES = register_runtime(BalancesRuntime())
