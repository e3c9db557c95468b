"""The interface every domain runtime implements, over the state layer (protocol.state).

The reference runs a domain's runtime as WASM behind the runtime APIs an operator calls (sp-domains
`DomainCoreApi`, the block builder's `apply_extrinsic_with_post_state_root`, `initialize_block_with_post_state_root`,
`finalize_block`, `check_extrinsics_and_do_pre_dispatch`, `extract_signer`, `construct_*_extrinsic`). A runtime here
is a Python object with the same duties: it decodes its extrinsics, names their signers (for the transaction
range), checks a transaction before dispatch (signature, nonce, fee withdrawn), applies one and reports the fees
of the block. State is read and written through `DomainState` (get, set, delete over the domain's trie); the
executor (protocol.domains.execution) takes the root after every step.

Runtimes are registered by name in RUNTIMES; the consensus chain's runtime registry records that name.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from autonomys.protocol.codec import validate_uint
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.domains.bundles import Weight
from autonomys.protocol.domains.receipts import BlockFees, Transfers
from autonomys.protocol.errors import IllegalTransaction as IllegalTransaction
from autonomys.protocol.errors import UnknownRuntime
from autonomys.protocol.state.trie import NodeSource, TrieChanges


class DomainState(Protocol):
    """The domain's state as a runtime sees it: a key-value map (a trie writer underneath)."""

    def get(self, key: bytes) -> bytes | None: ...
    def set(self, key: bytes, value: bytes) -> None: ...
    def delete(self, key: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class DomainBlockContext:
    """What a domain block is derived from: its number and domain, the consensus block that carried its bundles
    (hash, number, timestamp), and the consensus chain's transaction byte fee at that block."""

    domain_id: int
    number: int
    consensus_block_hash: bytes
    consensus_block_number: int
    timestamp_ms: int
    consensus_transaction_byte_fee: int
    parent_hash: bytes = bytes(32)
    """The parent domain block's header hash (the EVM's BLOCKHASH reads it)."""

    def __post_init__(self) -> None:
        validate_uint("domain_id", self.domain_id, 2**32 - 1)
        validate_uint("number", self.number, 2**32 - 1)
        validate_uint("consensus_block_number", self.consensus_block_number, 2**32 - 1)
        validate_uint("timestamp_ms", self.timestamp_ms, U64_MAX)


class RuntimeState(DomainState, Protocol):
    """A runtime's state during one block: reads and writes, `step()` commits them and returns the state root (the
    execution trace takes one after every extrinsic), `changes()` the nodes the block created and replaced,
    `transaction_outcomes()` what each dispatched transaction left for clients (runtime-defined bytes; the EVM's
    receipts, none for the balances runtime)."""

    def step(self) -> bytes: ...

    def changes(self) -> TrieChanges: ...

    def transaction_outcomes(self) -> tuple[bytes, ...]: ...


class DomainRuntime(Protocol):
    """One domain runtime (see the module docstring). Extrinsics are their encoded bytes throughout."""

    name: str
    account_size: int
    """Bytes of an account id (32: AccountId32; the EVM's AccountId20: 20)."""

    def open_state(self, nodes: NodeSource, root: bytes | None) -> RuntimeState:
        """The state of `root` over `nodes` (None: the empty state a genesis starts from). Its roots are the
        runtime's own (the balances runtime: protocol.state's trie; an EVM runtime: the Ethereum state root)."""
        ...

    def genesis(
        self,
        state: DomainState,
        domain_id: int,
        initial_balances: Sequence[tuple[bytes, int]],
        evm_chain_id: int | None = None,
    ) -> None:
        """Write the genesis state: the domain's id and its initial balances (an EVM domain's chain id)."""
        ...

    def transaction_hash(self, extrinsic: bytes) -> bytes:
        """The hash clients name a transaction by (the pool's and the chain's index key)."""
        ...

    def signer(self, extrinsic: bytes) -> bytes | None:
        """The SCALE-encoded signer account (its transaction-range key), None for an unsigned extrinsic;
        DecodeError when the extrinsic does not decode."""
        ...

    def is_inherent(self, extrinsic: bytes) -> bool:
        """Whether the (decodable) extrinsic is an inherent, which bundles may not carry."""
        ...

    def weight(self, extrinsic: bytes) -> Weight:
        """The extrinsic's weight (bundles declare the sum)."""
        ...

    def inherents(self, context: DomainBlockContext) -> list[bytes]:
        """The inherents that open a domain block, in order."""
        ...

    def check(
        self, state: DomainState, extrinsic: bytes, context: DomainBlockContext, *, signature_verified: bool = False
    ) -> None:
        """Pre-dispatch: raise IllegalTransaction, or take the fee and bump the nonce in `state`.
        `signature_verified`: these very bytes' signature was checked already (by the bundle's classification)."""
        ...

    def initialize_block(self, state: DomainState, context: DomainBlockContext) -> None: ...

    def resume_block(self, state: DomainState, context: DomainBlockContext) -> None:
        """Set up a state opened in the middle of the block of `context` as the block's own state is after
        initialize_block, writing nothing (an execution proof re-executes one step from such a state)."""
        ...

    def apply(self, state: DomainState, extrinsic: bytes, context: DomainBlockContext) -> None:
        """Dispatch an inherent, or a checked transaction (after `check` wrote its pre-dispatch effects); a failed
        dispatch changes nothing beyond them."""
        ...

    def finalize_block(self, state: DomainState, context: DomainBlockContext) -> BlockFees:
        """Close the block; the fees it collected."""
        ...

    def read_account(self, state: DomainState, account: bytes) -> tuple[int, int]:
        """(balance, nonce) of an account (of `account_size` bytes) in `state`."""
        ...

    def read_block_fees(self, state: DomainState) -> BlockFees:
        """The block fees a finalized block's state records (what an InvalidBlockFees proof reads)."""
        ...

    def read_transfers(self, state: DomainState) -> Transfers:
        """The cross-chain transfers a finalized block's state records (pallet-transporter `ChainTransfers`,
        what an InvalidTransfers proof reads); `Transfers()` when the state holds none."""
        ...


RUNTIMES: dict[str, DomainRuntime] = {}
"""Runtimes by name (each runtime module registers itself on import)."""
BUILT_IN_RUNTIMES: Final = {"balances": "runtime_balances", "evm": "runtime_evm", "auto-id": "runtime_auto_id"}
"""The runtimes this package ships, by name -> module (imported when first named: the EVM's brings in py-evm)."""


def known_runtime_names() -> list[str]:
    """Every runtime name: the built-in ones in the order they were added, then any other registered one, sorted
    (a genesis registers them in this order, so a runtime's id never changes when another is added)."""
    return [*BUILT_IN_RUNTIMES, *sorted(set(RUNTIMES) - set(BUILT_IN_RUNTIMES))]


def register_runtime(runtime: DomainRuntime) -> DomainRuntime:
    RUNTIMES[runtime.name] = runtime
    return runtime


def runtime_named(name: str) -> DomainRuntime:
    """The runtime registered as `name`; UnknownRuntime otherwise."""
    if name not in RUNTIMES and name in BUILT_IN_RUNTIMES:
        importlib.import_module(f"autonomys.protocol.domains.{BUILT_IN_RUNTIMES[name]}")  # registers it
    runtime = RUNTIMES.get(name)
    if runtime is None:
        msg = f"no domain runtime named {name!r} (known: {', '.join(known_runtime_names())})"
        raise UnknownRuntime(msg)
    return runtime
