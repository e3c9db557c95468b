"""The `evm` domain runtime: signed Ethereum transactions (legacy with EIP-155, EIP-2930 and EIP-1559) executed by
py-evm's Cancun EVM over the domain's state, whose root is the Ethereum state root (protocol.domains.evm_state).

The reference's Auto EVM (domains/runtime/evm, Frontier's pallet-evm + pallet-ethereum) is the model:
- Extrinsics are the raw Ethereum transactions (an EIP-2718 envelope or a legacy RLP list, whose first byte is
  at least 0xc0); the two inherents every domain block opens with are encoded as the balances runtime's
  (`0x00 | kind | value`: no Ethereum transaction starts with 0x00). Blob (type 3) transactions do not decode.
- A transaction's signer is its 20-byte sender (the reference's `AccountId20`); its hash is keccak of its bytes.
- Its weight is gas limit × `WEIGHT_PER_GAS` (25,000, the reference's `GAS_PER_SECOND` = 40M).
- Pre-dispatch (the reference's `CheckEvmTransaction`, in geth's words for the errors clients expect): the chain
  id, the block gas limit, the size, the sender holds no code (EIP-3607), the priority fee within the max fee,
  the max fee at least the base fee, the nonce, the balance for gas × max fee + value; then the gas is bought at
  the effective price and the nonce bumped (py-evm's `build_evm_message`). Dispatch runs the message.
- The base fee is fixed per block: `MIN_GAS_PRICE` + ⌈domain byte fee / `GAS_PER_BYTE`⌉ (the reference's gas
  price = weight fee × 25,000 + ⌈byte fee / 625⌉). The whole fee (base fee and tip) is burned on the domain and
  reported in the block fees, `STORAGE_FEE_PERCENT` of the block's total (rounded up) as the consensus storage
  fee and the rest
  as the domain execution fee, which the consensus chain pays to operators at confirmation.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Final

import coincurve  # noqa: F401 - eth-keys recovers senders with it when installed (pure Python is ~50x slower)
import rlp
from eth.abc import SignedTransactionAPI, StateAPI
from eth.constants import CREATE_CONTRACT_ADDRESS
from eth_keys.exceptions import BadSignature
from eth_typing import Address
from eth_utils import ValidationError, keccak

from autonomys.protocol.domains.bundles import Weight
from autonomys.protocol.domains.evm_receipts import EvmOutcome
from autonomys.protocol.domains.evm_state import (
    ANCESTOR_HASHES,
    BLOCK_GAS_LIMIT,
    DEFAULT_EVM_CHAIN_ID,
    EVM_FORK,
    SLOT_ANCESTORS,
    SLOT_BLOCK_FEES,
    SLOT_BYTE_FEE,
    SLOT_CHAIN_ID,
    SLOT_DOMAIN_ID,
    SLOT_NUMBER,
    SLOT_TIMESTAMP,
    SYSTEM_ADDRESS,
    BlockEnvironment,
    EvmSession,
)
from autonomys.protocol.domains.receipts import BlockFees, Transfers
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainState, register_runtime
from autonomys.protocol.domains.runtime_balances import (
    DOMAIN_STORAGE_FEE_MULTIPLIER,
    INHERENT,
    INHERENT_TIMESTAMP,
    Inherent,
    block_inherents,
    decode_extrinsic,
)
from autonomys.protocol.errors import DecodeError, IllegalTransaction, InvalidDomainConfig
from autonomys.protocol.state.trie import NodeSource

WEIGHT_PER_GAS: Final = 25_000
GAS_PER_BYTE: Final = 625
MIN_GAS_PRICE: Final = 10**9
"""The base fee's compute part, in Shannon per gas (1 gwei: our choice of the reference's weight fee)."""
STORAGE_FEE_PERCENT: Final = 30
"""The reference's `StorageFeeRatio`."""
MAX_TRANSACTION_BYTES: Final = 64 * 1024
ACCOUNT_SIZE: Final = 20
SUPPORTED_TYPES: Final = (0, 1, 2)
TRANSFERS_KEY: Final = b"transporter/chain_transfers"
"""pallet-transporter `ChainTransfers`, a named record of the system account (EvmSession.get): nothing writes it
(the runtime has no cross-domain messaging), so its slot reads as zero."""


class EvmTransaction:
    """A decoded transaction with its sender recovered (once) and its bytes."""

    __slots__ = ("raw", "transaction", "sender", "hash")

    def __init__(self, raw: bytes, transaction: SignedTransactionAPI, sender: bytes) -> None:
        self.raw = raw
        self.transaction = transaction
        self.sender = Address(sender)
        self.hash = keccak(raw)

    @property
    def type_id(self) -> int:
        return int(getattr(self.transaction, "type_id", None) or 0)


def decode_transaction(raw: bytes) -> EvmTransaction:
    """The Ethereum transaction in `raw`; DecodeError for bad RLP, an unsupported type or an unrecoverable
    signature."""
    return _decode_cached(bytes(raw))


@functools.lru_cache(maxsize=4096)
def _decode_cached(raw: bytes) -> EvmTransaction:
    if not raw or raw[0] == INHERENT:
        msg = "EVM transaction: empty or an inherent"
        raise DecodeError(msg)
    if raw[0] < 0xC0 and raw[0] not in SUPPORTED_TYPES:
        msg = f"EVM transaction: type {raw[0]} is not supported (legacy, 1 and 2 are)"
        raise DecodeError(msg)
    try:
        transaction = EVM_FORK.get_transaction_builder().decode(raw)
        sender = bytes(transaction.sender)
    except (rlp.exceptions.RLPException, ValidationError, BadSignature, ValueError, TypeError, IndexError) as error:
        msg = f"EVM transaction: {type(error).__name__}: {error}"
        raise DecodeError(msg) from error
    return EvmTransaction(raw, transaction, sender)


Extrinsic = EvmTransaction | Inherent


def decode_evm_extrinsic(data: bytes) -> Extrinsic:
    data = bytes(data)
    if data[:1] == bytes([INHERENT]):
        decoded = decode_extrinsic(data)
        assert isinstance(decoded, Inherent)
        return decoded
    return decode_transaction(data)


def compute_base_fee(domain_byte_fee: int) -> int:
    """The block's base fee per gas for a domain transaction byte fee."""
    return MIN_GAS_PRICE + -(-domain_byte_fee // GAS_PER_BYTE)


def block_environment(context: DomainBlockContext) -> BlockEnvironment:
    byte_fee = DOMAIN_STORAGE_FEE_MULTIPLIER * context.consensus_transaction_byte_fee
    return BlockEnvironment(
        context.number, context.timestamp_ms // 1000, context.consensus_block_hash, compute_base_fee(byte_fee)
    )


def _session(state: DomainState) -> EvmSession:
    if not isinstance(state, EvmSession):
        msg = f"the EVM runtime runs over an EvmSession, not {type(state).__name__}"
        raise TypeError(msg)
    return state


class EvmRuntime:
    """Ethereum transactions on py-evm (module docstring)."""

    name = "evm"
    account_size = ACCOUNT_SIZE

    def open_state(self, nodes: NodeSource, root: bytes | None) -> EvmSession:
        return EvmSession(nodes, root)

    def genesis(
        self,
        state: DomainState,
        domain_id: int,
        initial_balances: Sequence[tuple[bytes, int]],
        evm_chain_id: int | None = None,
    ) -> None:
        session = _session(state)
        vm_state = session.state(BlockEnvironment(0, 0, bytes(32), MIN_GAS_PRICE))
        vm_state.set_nonce(SYSTEM_ADDRESS, 1)
        session.set_system_word(SLOT_DOMAIN_ID, domain_id)
        session.set_system_word(SLOT_CHAIN_ID, DEFAULT_EVM_CHAIN_ID if evm_chain_id is None else evm_chain_id)
        for account, balance in initial_balances:
            if len(account) != ACCOUNT_SIZE:
                msg = f"an EVM domain's accounts are 20 bytes, not {len(account)} ({bytes(account).hex()})"
                raise InvalidDomainConfig(msg)
            vm_state.set_balance(Address(bytes(account)), balance)
        vm_state.lock_changes()

    def signer(self, extrinsic: bytes) -> bytes | None:
        decoded = decode_evm_extrinsic(extrinsic)
        return decoded.sender if isinstance(decoded, EvmTransaction) else None

    def is_inherent(self, extrinsic: bytes) -> bool:
        return isinstance(decode_evm_extrinsic(extrinsic), Inherent)

    def transaction_hash(self, extrinsic: bytes) -> bytes:
        """keccak of the transaction's bytes (the Ethereum transaction hash)."""
        return keccak(bytes(extrinsic))

    def weight(self, extrinsic: bytes) -> Weight:
        decoded = decode_evm_extrinsic(extrinsic)
        if isinstance(decoded, Inherent):
            return Weight(0, 0)
        return Weight(decoded.transaction.gas * WEIGHT_PER_GAS, len(extrinsic))

    def inherents(self, context: DomainBlockContext) -> list[bytes]:
        return block_inherents(context)

    def check(
        self, state: DomainState, extrinsic: bytes, context: DomainBlockContext, *, signature_verified: bool = False
    ) -> None:
        # The signature is the sender's recovery, done once per transaction bytes at decoding.
        session = _session(state)
        decoded = decode_evm_extrinsic(extrinsic)
        if not isinstance(decoded, EvmTransaction):
            raise IllegalTransaction("an inherent is not a transaction")
        vm_state = session.state(block_environment(context))
        check_transaction(vm_state, decoded, session.chain_id())
        executor = vm_state.get_transaction_executor()
        session.prepaid[decoded.hash] = executor.build_evm_message(decoded.transaction)

    def initialize_block(self, state: DomainState, context: DomainBlockContext) -> None:
        session = _session(state)
        session.state(block_environment(context))
        session.set_system_word(SLOT_NUMBER, context.number)
        parent = context.number - 1
        session.set_system_word(SLOT_ANCESTORS + parent % ANCESTOR_HASHES, int.from_bytes(context.parent_hash, "big"))
        session.state().set_balance(SYSTEM_ADDRESS, 0)  # the last block's fees, burned
        session.set_system_word(SLOT_BLOCK_FEES, 0)

    def resume_block(self, state: DomainState, context: DomainBlockContext) -> None:
        """Make the py-evm state with the block's environment (base fee, number, timestamp), as
        initialize_block does."""
        _session(state).state(block_environment(context))

    def apply(self, state: DomainState, extrinsic: bytes, context: DomainBlockContext) -> None:
        session = _session(state)
        decoded = decode_evm_extrinsic(extrinsic)
        if isinstance(decoded, Inherent):
            slot = SLOT_TIMESTAMP if decoded.kind == INHERENT_TIMESTAMP else SLOT_BYTE_FEE
            session.set_system_word(slot, decoded.value)
            return
        message = session.prepaid.pop(decoded.hash, None)
        if message is None:
            self.check(session, extrinsic, context, signature_verified=True)
            message = session.prepaid.pop(decoded.hash)
        session.outcomes.append(dispatch(session, decoded, message).to_bytes())

    def finalize_block(self, state: DomainState, context: DomainBlockContext) -> BlockFees:
        session = _session(state)
        fee = session.state().get_balance(SYSTEM_ADDRESS)
        storage_fee = -(-fee * STORAGE_FEE_PERCENT // 100)
        session.set_block_fees(BlockFees(storage_fee, fee - storage_fee))
        return session.block_fees()

    def read_account(self, state: DomainState, account: bytes) -> tuple[int, int]:
        vm_state = _session(state).state()
        address = Address(bytes(account))
        return int(vm_state.get_balance(address)), int(vm_state.get_nonce(address))

    def read_block_fees(self, state: DomainState) -> BlockFees:
        return _session(state).block_fees()

    def read_transfers(self, state: DomainState) -> Transfers:
        raw = _session(state).get(TRANSFERS_KEY)
        return Transfers() if raw is None else Transfers.from_bytes(raw)


def check_transaction(vm_state: StateAPI, decoded: EvmTransaction, chain_id: int) -> None:
    """Pre-dispatch validity against `vm_state` (module docstring); IllegalTransaction naming the rule."""
    transaction = decoded.transaction
    if len(decoded.raw) > MAX_TRANSACTION_BYTES:
        raise IllegalTransaction(f"oversized data: {len(decoded.raw)} bytes, limit {MAX_TRANSACTION_BYTES}")
    if transaction.chain_id != chain_id:
        raise IllegalTransaction(f"invalid chain id: {transaction.chain_id}, this domain is {chain_id}")
    try:
        transaction.validate()
    except ValidationError as error:
        raise IllegalTransaction(_geth_message(str(error))) from error
    if transaction.gas < transaction.intrinsic_gas:
        raise IllegalTransaction(
            f"intrinsic gas too low: gas {transaction.gas}, minimum needed {transaction.intrinsic_gas}"
        )
    if transaction.gas > BLOCK_GAS_LIMIT:
        raise IllegalTransaction(f"exceeds block gas limit: gas {transaction.gas}, limit {BLOCK_GAS_LIMIT}")
    if vm_state.get_code(decoded.sender):
        raise IllegalTransaction(f"sender not an eoa: {decoded.sender.hex()} has code")
    max_fee = transaction.max_fee_per_gas
    if transaction.max_priority_fee_per_gas > max_fee:
        raise IllegalTransaction("max priority fee per gas higher than max fee per gas")
    if max_fee < vm_state.base_fee:
        raise IllegalTransaction(f"max fee per gas less than block base fee: {max_fee} < {vm_state.base_fee}")
    nonce = vm_state.get_nonce(decoded.sender)
    if transaction.nonce < nonce:
        raise IllegalTransaction(f"nonce too low: next nonce {nonce}, tx nonce {transaction.nonce}")
    if transaction.nonce > nonce:
        raise IllegalTransaction(f"nonce too high: next nonce {nonce}, tx nonce {transaction.nonce}")
    cost = transaction.gas * max_fee + transaction.value
    balance = vm_state.get_balance(decoded.sender)
    if balance < cost:
        raise IllegalTransaction(
            f"insufficient funds for gas * price + value: address {decoded.sender.hex()} have {balance} want {cost}"
        )


def _geth_message(message: str) -> str:
    if "intrinsic" in message.lower():
        return f"intrinsic gas too low: {message}"
    return f"invalid transaction: {message}"


def dispatch(session: EvmSession, decoded: EvmTransaction, message: Any) -> EvmOutcome:
    """Run a prepaid transaction's message and collect its whole fee in the system account; its outcome."""
    vm_state = session.state()
    transaction = decoded.transaction
    executor = vm_state.get_transaction_executor()
    computation = executor.finalize_computation(transaction, executor.build_computation(message, transaction))
    vm_state.clear_transient_storage()
    vm_state.lock_changes()
    consumed = transaction.gas - computation.get_gas_remaining()
    gas_used = consumed - executor.calculate_gas_refund(computation, consumed)  # type: ignore[attr-defined]
    price = vm_state.get_gas_price(transaction)
    # The coinbase (the system account) got the tip; the base fee joins it there: the account's balance is the
    # block's fees so far, a value of the state (one extrinsic re-executes from its pre-state alone) that costs no
    # storage-trie update. finalize_block records it, the next block burns it.
    vm_state.delta_balance(SYSTEM_ADDRESS, gas_used * vm_state.base_fee)
    vm_state.lock_changes()
    created = b""
    if transaction.to == CREATE_CONTRACT_ADDRESS and computation.is_success:
        created = bytes(message.storage_address)
    session.block_gas_used += gas_used
    logs = tuple(
        (bytes(address), tuple(topic.to_bytes(32, "big") for topic in topics), bytes(data))
        for address, topics, data in computation.get_log_entries()
    )
    return EvmOutcome(
        decoded.hash, bool(computation.is_success), gas_used, session.block_gas_used, price, created, logs
    )


EVM = register_runtime(EvmRuntime())
