"""The `auto-id` domain runtime (the reference's `subspace-auto-id-domain`): the balances runtime's accounts,
sr25519-signed transactions, fees and inherents, with pallet-auto-id at index 40 (protocol.identity.auto_id).

A signed transaction's call is either a transfer (`0x00 | to | amount`) or a pallet call exactly as the reference
encodes it: `0x28 | call index | SCALE(args)` (register_auto_id 0, revoke_certificate 1, deactivate_auto_id 2,
renew_auto_id 3). As in the reference the signer only relays and pays: nothing links an account to an Auto ID.
The pallet reads `now` from the block's timestamp inherent. A call that fails keeps its fee and nonce and writes
nothing else; each transaction's outcome (its event, or the pallet's error) is kept for clients:

    outcome = transaction hash [32] | 0x00 | event kind u8 | identifier [32]      (a pallet call that succeeded)
            | transaction hash [32] | 0x01 | error index u8 | reason (utf-8)    (a pallet call that failed)
            | transaction hash [32] | 0x02                                       (a transfer)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.ai.directory_calls import (
    DIRECTORY_PALLET_INDEX,
    DirectoryPalletCall,
    directory_outcome,
    read_directory_pallet_call,
)
from autonomys.protocol.ai.training_calls import (
    TRAINING_PALLET_INDEX,
    TrainingPalletCall,
    read_training_pallet_call,
    training_call_weight,
    training_outcome,
)
from autonomys.protocol.codec import Reader, encode_u8
from autonomys.protocol.domains.bundles import Weight
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainState, register_runtime
from autonomys.protocol.domains.runtime_balances import (
    BALANCES_CALLS,
    TIMESTAMP_KEY,
    BalancesRuntime,
    BalancesState,
    CallReader,
    DomainCall,
    SignedTransaction,
)
from autonomys.protocol.errors import ReasonedError
from autonomys.protocol.identity.auto_id import PALLET_INDEX, AutoIdError, dispatch
from autonomys.protocol.identity.auto_id_types import (
    AutoIdCall,
    AutoIdEventKind,
    DeactivateAutoIdCall,
    RegisterAutoIdCall,
    RenewAutoIdCall,
    encode_call,
    read_call,
)
from autonomys.protocol.identity.identity_calls import (
    IDENTITY_PALLET_INDEX,
    IdentityCall,
    dispatch_identity,
    encode_identity_call,
    read_identity_call,
)
from autonomys.protocol.identity.provenance import note_revocation
from autonomys.protocol.state.trie import EMPTY_ROOT, NodeSource

OUTCOME_EVENT: Final = 0
OUTCOME_ERROR: Final = 1
OUTCOME_TRANSFER: Final = 2
OUTCOME_IDENTITY: Final = 3
IDENTITY_ERROR_INDEX: Final = 255
"""The error index an outcome carries for an identity-pallet error (its reason names it)."""
AUTO_ID_REF_TIME: Final = {
    RegisterAutoIdCall: 1_000_000_000,
    RenewAutoIdCall: 1_000_000_000,
    DeactivateAutoIdCall: 600_000_000,
}
"""A pallet call's weight in picoseconds: a DER decode and a signature check (RSA-2048 0.09 ms, Ed25519 0.15 ms
in-process for a whole registration), with headroom for RSA-4096 and ECDSA P-384."""
REVOKE_REF_TIME: Final = 600_000_000


@dataclass(frozen=True, slots=True)
class AutoIdPalletCall:
    """A pallet-auto-id call as a transaction's call: `0x28 | call index | args`."""

    call: AutoIdCall

    def to_bytes(self) -> bytes:
        return encode_u8(PALLET_INDEX) + encode_call(self.call)


def read_auto_id_call(reader: Reader) -> AutoIdPalletCall:
    return AutoIdPalletCall(read_call(reader))


@dataclass(frozen=True, slots=True)
class IdentityPalletCall:
    """A call of the project's identity pallet (protocol.identity.identity_calls): `0x29 | call index | args`."""

    call: IdentityCall

    def to_bytes(self) -> bytes:
        return encode_u8(IDENTITY_PALLET_INDEX) + encode_identity_call(self.call)


def read_identity_pallet_call(reader: Reader) -> IdentityPalletCall:
    return IdentityPalletCall(read_identity_call(reader))


AUTO_ID_CALLS: Final[dict[int, CallReader]] = {
    **BALANCES_CALLS, PALLET_INDEX: read_auto_id_call, IDENTITY_PALLET_INDEX: read_identity_pallet_call,
    DIRECTORY_PALLET_INDEX: read_directory_pallet_call,  # the AI directory (protocol.ai.directory_calls)
    TRAINING_PALLET_INDEX: read_training_pallet_call,  # proof-of-training orders (protocol.ai.training_calls)
}  # fmt: skip


class AutoIdState(BalancesState):
    """The balances runtime's state, keeping each transaction's outcome (module docstring)."""

    def __init__(self, nodes: NodeSource, root: bytes) -> None:
        super().__init__(nodes, root)
        self.outcomes: list[bytes] = []

    def transaction_outcomes(self) -> tuple[bytes, ...]:
        return tuple(self.outcomes)


class AutoIdRuntime(BalancesRuntime):
    """Balances and pallet-auto-id (module docstring)."""

    name = "auto-id"
    calls = AUTO_ID_CALLS

    def open_state(self, nodes: NodeSource, root: bytes | None) -> AutoIdState:
        return AutoIdState(nodes, EMPTY_ROOT if root is None else root)

    def call_weight(self, call: DomainCall, size: int) -> Weight:
        if isinstance(call, AutoIdPalletCall):
            return Weight(AUTO_ID_REF_TIME.get(type(call.call), REVOKE_REF_TIME), size)
        if isinstance(call, TrainingPalletCall):
            return training_call_weight(call, size)
        return super().call_weight(call, size)

    def dispatch(self, state: DomainState, transaction: SignedTransaction, context: DomainBlockContext) -> None:
        tx_hash = hashlib.blake2b(transaction.to_bytes(), digest_size=32).digest()
        raw_now = state.get(TIMESTAMP_KEY)
        now_ms = 0 if raw_now is None else int.from_bytes(raw_now, "little")
        call = transaction.call
        if isinstance(call, TrainingPalletCall):
            _record(state, tx_hash + training_outcome(state, transaction.signer, call.call, now_ms))
            return
        if isinstance(call, DirectoryPalletCall):
            _record(state, tx_hash + directory_outcome(state, call, now_ms))
            return
        if isinstance(call, IdentityPalletCall):
            try:
                subject = dispatch_identity(state, transaction.signer, call.call, now_ms)
            except ReasonedError as error:
                _record(
                    state, tx_hash + encode_u8(OUTCOME_ERROR) + encode_u8(IDENTITY_ERROR_INDEX) + error.reason.encode()
                )
                return
            _record(state, tx_hash + encode_u8(OUTCOME_IDENTITY) + encode_identity_call(call.call)[:1] + subject)
            return
        if not isinstance(call, AutoIdPalletCall):
            super().dispatch(state, transaction, context)
            _record(state, tx_hash + encode_u8(OUTCOME_TRANSFER))
            return
        try:
            event = dispatch(state, call.call, now_ms)
        except AutoIdError as error:
            _record(state, tx_hash + encode_u8(OUTCOME_ERROR) + encode_u8(error.index) + error.reason.encode())
            return
        if event.kind == AutoIdEventKind.CERTIFICATE_REVOKED:
            note_revocation(state, event.auto_id, now_ms)  # provenance checks what was signed before it
        _record(state, tx_hash + encode_u8(OUTCOME_EVENT) + event.to_bytes())


def _record(state: DomainState, outcome: bytes) -> None:
    if isinstance(state, AutoIdState):
        state.outcomes.append(outcome)


AUTO_ID_RUNTIME: Final = register_runtime(AutoIdRuntime())
