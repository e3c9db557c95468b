"""The EVM domain's state: py-evm's Ethereum state (accounts, storage and code in Merkle-Patricia tries keyed by
keccak, the Ethereum state root) over the node store of protocol.state, and the system account that keeps what a
Substrate runtime keeps in its own storage.

`EvmSession` is the `RuntimeState` of the EVM runtime (protocol.domains.runtime_evm). Trie nodes and code are
content-addressed by keccak, so they live in the same node store as the balances runtime's blake3 nodes (a
`NodeSource`); a session reads through it and collects what it writes in an overlay, which `changes()` returns
(py-evm never rewrites a node in place, so a block replaces nothing: old roots stay readable until the store's
window drops their journals).

The system account (`SYSTEM_ADDRESS`, nonce 1 so that it is never an empty account) holds in its storage the
domain id, the EVM chain id, the block number, the timestamp, the domain transaction byte fee, the fees the block
collected, and the hashes of the last 256 domain blocks (for BLOCKHASH). It is also the blocks' coinbase: each transaction's whole fee
(the tip py-evm credits to the coinbase, and the base fee) collects in its balance, which finalize_block reports
in the block fees and the next block burns, as the reference's domain runtime burns fees on the domain and
reports them in `BlockFees` (value sent to the system account is burned as fees).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from eth.abc import StateAPI
from eth.constants import BLANK_ROOT_HASH
from eth.db.atomic import AtomicDB
from eth.db.backends.base import BaseDB
from eth.vm.execution_context import ExecutionContext
from eth.vm.forks.cancun import CancunVM
from eth_typing import Address, Hash32
from eth_utils import keccak

from autonomys.protocol.domains.receipts import BlockFees
from autonomys.protocol.state.trie import NodeSource, TrieChanges

EVM_FORK: Final = CancunVM
"""The EVM rules the domain executes (py-evm's Cancun: EIP-1559 fees, transient storage, PUSH0, MCOPY)."""
SYSTEM_ADDRESS: Final = Address(bytes.fromhex("ffffffffffffffffffffffffffffffffffff0000"))
DEFAULT_EVM_CHAIN_ID: Final = 870
"""sp-domains chain-spec helpers' `DEFAULT_EVM_CHAIN_ID`."""
BLOCK_GAS_LIMIT: Final = 52_000_000
"""The domain block's weight limit in gas (the reference's `BlockGasLimit` = 1.3·10^12 / `WEIGHT_PER_GAS`)."""
ANCESTOR_HASHES: Final = 256

SLOT_DOMAIN_ID: Final = 0
SLOT_CHAIN_ID: Final = 1
SLOT_NUMBER: Final = 2
SLOT_TIMESTAMP: Final = 3
SLOT_BYTE_FEE: Final = 4
SLOT_BLOCK_FEES: Final = 5
"""The finalized block's fees: storage fee << 128 | execution fee (both u128, as `BlockFees` holds them)."""
SLOT_ANCESTORS: Final = 0x100
"""Slots 0x100 + (n mod 256): the hash of domain block n."""


class OverlayDatabase(BaseDB):
    """Reads through a node source, keeps writes in memory (py-evm's view of the node store)."""

    def __init__(self, nodes: NodeSource) -> None:
        self.nodes = nodes
        self.written: dict[bytes, bytes] = {}

    def __getitem__(self, key: bytes) -> bytes:
        value = self.written.get(key)
        if value is None:
            value = self.nodes.get(key)
            if value is None:
                raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.written[bytes(key)] = bytes(value)

    def __delitem__(self, key: bytes) -> None:
        # Nodes are content-addressed and shared between roots: py-evm's pruning of a node this session wrote
        # forgets it, nothing else is deleted (the store's journals release what no kept root references).
        self.written.pop(key, None)

    def _exists(self, key: bytes) -> bool:
        return key in self.written or self.nodes.get(key) is not None


@dataclass(frozen=True, slots=True)
class BlockEnvironment:
    """What a py-evm state's execution context is made of, for one domain block."""

    number: int
    timestamp_s: int
    randomness: bytes
    base_fee: int


class AncestorHashes:
    """py-evm's `prev_hashes` (the parent's hash first), read lazily from the system account's ring."""

    def __init__(self, session: EvmSession, number: int) -> None:
        self.session = session
        self.number = number

    def __iter__(self) -> Iterator[bytes]:
        for ancestor in range(self.number - 1, max(-1, self.number - 1 - ANCESTOR_HASHES), -1):
            yield self.session.system_word(SLOT_ANCESTORS + ancestor % ANCESTOR_HASHES).to_bytes(32, "big")


class EvmSession:
    """The EVM domain's state for one block (see the module docstring). The py-evm state is made on first use,
    with the block environment of the runtime call that needs it."""

    def __init__(self, nodes: NodeSource, root: bytes | None) -> None:
        self.database = OverlayDatabase(nodes)
        self.base_root = BLANK_ROOT_HASH if root is None else bytes(root)
        self._state: StateAPI | None = None
        self.environment: BlockEnvironment | None = None
        self.prepaid: dict[bytes, object] = {}
        """Transactions whose pre-dispatch ran (hash -> py-evm message), waiting for their dispatch."""
        self.outcomes: list[bytes] = []
        """Encoded receipts of the transactions dispatched (protocol.domains.evm_receipts)."""
        self.block_gas_used = 0

    # -- the py-evm state ---------------------------------------------------------------------

    def state(self, environment: BlockEnvironment | None = None) -> StateAPI:
        """The py-evm state; made with `environment` (or a neutral one) when first asked for."""
        if self._state is None:
            self.environment = environment or BlockEnvironment(0, 0, bytes(32), 0)
            self._state = _make_state(self.database, self.base_root, self.environment, self)
        return self._state

    def system_word(self, slot: int) -> int:
        return int(self.state().get_storage(SYSTEM_ADDRESS, slot))

    def set_system_word(self, slot: int, value: int) -> None:
        self.state().set_storage(SYSTEM_ADDRESS, slot, value)

    def chain_id(self) -> int:
        return self.system_word(SLOT_CHAIN_ID)

    def block_fees(self) -> BlockFees:
        """The fees of the block as finalize_block recorded them."""
        word = self.system_word(SLOT_BLOCK_FEES)
        return BlockFees(word >> 128, word & (2**128 - 1))

    def set_block_fees(self, fees: BlockFees) -> None:
        self.set_system_word(SLOT_BLOCK_FEES, fees.consensus_storage_fee << 128 | fees.domain_execution_fee)

    # -- DomainState: system records by name (a word each) ------------------------------------

    def get(self, key: bytes) -> bytes | None:
        word = self.system_word(_named_slot(key))
        # The stored word is 0x01 | value (so that an empty value differs from an absent one): drop the marker.
        return None if word == 0 else word.to_bytes(32, "big").lstrip(b"\x00")[1:]

    def set(self, key: bytes, value: bytes) -> None:
        if len(value) > 31:
            msg = f"an EVM system record holds at most 31 bytes, not {len(value)}"
            raise ValueError(msg)
        self.set_system_word(_named_slot(key), int.from_bytes(b"\x01" + value, "big"))

    def delete(self, key: bytes) -> None:
        self.set_system_word(_named_slot(key), 0)

    # -- RuntimeState -------------------------------------------------------------------------

    def step(self) -> bytes:
        """The Ethereum state root after the changes so far."""
        if self._state is None:
            return self.base_root
        return bytes(self._state.make_state_root())

    def changes(self) -> TrieChanges:
        """The nodes and code written since the base root (nothing is replaced: see the module docstring)."""
        if self._state is None:
            return TrieChanges(self.base_root, {}, frozenset())
        self._state.persist()
        return TrieChanges(bytes(self._state.state_root), dict(self.database.written), frozenset())

    def transaction_outcomes(self) -> tuple[bytes, ...]:
        return tuple(self.outcomes)


def _named_slot(key: bytes) -> int:
    return int.from_bytes(keccak(b"autonomys-system/" + bytes(key)), "big")


def _make_state(database: OverlayDatabase, root: bytes, environment: BlockEnvironment, session: EvmSession) -> StateAPI:
    state_class = EVM_FORK.get_state_class()
    context = ExecutionContext(
        coinbase=SYSTEM_ADDRESS,
        timestamp=environment.timestamp_s,
        block_number=environment.number,  # type: ignore[arg-type]
        difficulty=0,
        mix_hash=Hash32(environment.randomness),
        gas_limit=BLOCK_GAS_LIMIT,
        prev_hashes=AncestorHashes(session, environment.number),  # type: ignore[arg-type]
        chain_id=0,
        base_fee_per_gas=environment.base_fee,
        excess_blob_gas=0,
    )
    state = state_class(AtomicDB(database), context, root)
    chain_id = int(state.get_storage(SYSTEM_ADDRESS, SLOT_CHAIN_ID))
    state.execution_context._chain_id = chain_id  # type: ignore[attr-defined]
    return state
