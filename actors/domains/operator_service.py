"""The operator role: one per (domain, operator), an `Operator` driven by a polling thread, with the reads users
and the devnet view make (status, balances, blocks, receipts, transaction status) and the domain pool's entry.

The thread polls the node about twice a slot (`DomainTick`: new slots, the best block, the domain's view); each
poll follows the consensus blocks it has not derived from yet and contests the newest slot. Every call takes the
operator's lock, so a read never sees a half-derived block. Its store is `DATA_DIR/operator-<name>/` (RocksDB).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from autonomys.actors.domains.jsonrpc import JsonRpcDispatcher, JsonRpcServer
from autonomys.actors.domains.operator import Operator, OperatorIdentity
from autonomys.actors.errors import CorruptStore, describe_error
from autonomys.actors.links import Links
from autonomys.actors.messages import OperatorStatus
from autonomys.actors.storage import RocksKVStore, StoreCorrupted
from autonomys.protocol.params import Params

MIN_POLL_SECONDS: Final = 0.05


class RpcPortUnavailable(Exception):
    """The operator cannot bind its JSON-RPC port (another program holds it)."""


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    data_dir: str
    params: Params
    identity: OperatorIdentity
    name: str
    node: str = "node"
    poll_seconds: float | None = None
    """Seconds between node polls; None: half a slot."""
    rpc_port: int | None = None
    """Serve an EVM domain's Ethereum JSON-RPC on this port (0: any free one; None: not at all)."""
    rpc_host: str = "127.0.0.1"
    fault: str | None = None
    """A faulty-operator kind (protocol.domains.faults), for tests and demonstrations of fraud proofs."""


@dataclass(frozen=True, slots=True)
class DomainBlockSummary:
    """response: one domain block as `autonomys domain status` shows it."""

    number: int
    block_hash: bytes
    state_root: bytes
    extrinsics: int
    consensus_number: int
    receipt_hash: bytes


class OperatorService:
    """See the module docstring."""

    def __init__(self, config: OperatorConfig, links: Links) -> None:
        self.config = config
        path = Path(config.data_dir) / f"operator-{config.name}"
        try:
            self._store = RocksKVStore(path, large=True)
        except StoreCorrupted as error:
            fix = f"restore it, or delete {path}: the operator derives its domain chain again from the consensus chain"
            raise CorruptStore("the operator's domain chain", path, describe_error(error), fix) from error
        self.operator = Operator(
            config.params, config.identity, self._store, links.domain_node(config.node), fault=config.fault
        )
        slot_seconds = config.params.slot_duration_ms / 1000
        self._poll = config.poll_seconds if config.poll_seconds is not None else max(MIN_POLL_SECONDS, slot_seconds / 2)
        self._lock = threading.Lock()
        self._rpc = self._serve_rpc(config)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"operator-{config.name}", daemon=True)
        self._thread.start()

    def _serve_rpc(self, config: OperatorConfig) -> JsonRpcServer | None:
        if config.rpc_port is None or config.identity.runtime_name != "evm":
            return None
        from autonomys.actors.domains.eth_api import EthApi  # py-evm is imported by EVM operators only

        dispatcher = JsonRpcDispatcher(EthApi(self.operator, self._lock).methods())
        try:
            server = JsonRpcServer(dispatcher, config.rpc_host, config.rpc_port)
        except OSError as error:
            msg = f"cannot serve JSON-RPC on {config.rpc_host}:{config.rpc_port}: {error} (choose another --rpc-port)"
            raise RpcPortUnavailable(msg) from error
        server.start()
        return server

    def ready(self) -> bool:
        return True

    def rpc_url(self) -> str | None:
        """The URL of the Ethereum JSON-RPC this operator serves (None when it serves none)."""
        if self._rpc is None:
            return None
        return f"http://{self.config.rpc_host}:{self._rpc.port}"

    def _run(self) -> None:
        while not self._stopped.wait(self._poll):
            try:
                with self._lock:
                    self.operator.step()
            except Exception as error:  # noqa: BLE001 - the node restarting or a bad block must not stop the operator
                self.operator.counters.last_error = describe_error(error)

    # -- users ----------------------------------------------------------------------------------

    def submit_transaction(self, extrinsic: bytes) -> bytes:
        """Pool a domain transaction; its hash. RejectedDomainTransaction (naming why) otherwise."""
        with self._lock:
            return self.operator.submit_transaction(bytes(extrinsic))

    def account(self, account: bytes) -> tuple[int, int]:
        """(balance in the best domain state, next nonce counting the pool's transactions); an EVM domain's
        accounts are 20 bytes (RejectedDomainTransaction names a wrong size)."""
        with self._lock:
            return self.operator.account(bytes(account))

    def transaction_status(self, transaction_hash: bytes) -> str:
        with self._lock:
            return self.operator.transaction_status(bytes(transaction_hash))

    def transaction_outcome(self, transaction_hash: bytes) -> bytes | None:
        """What the runtime recorded of an included transaction (its outcome bytes, which start with the hash;
        None while it is not in a block, or for a runtime that records none)."""
        with self._lock:
            chain = self.operator.chain
            number = chain.transaction_block(bytes(transaction_hash))
            outcomes = () if number is None else chain.outcomes(number)
        return next((outcome for outcome in outcomes if outcome[:32] == bytes(transaction_hash)), None)

    def read(self, key: bytes) -> bytes | None:
        """The value of `key` in the best domain state."""
        with self._lock:
            return self.operator.read(bytes(key))

    def block(self, number: int | None = None) -> DomainBlockSummary | None:
        """A derived domain block (None: the best one), None when not derived."""
        with self._lock:
            chain = self.operator.chain
            number = chain.head_number() if number is None else int(number)
            if number == 0:
                header, receipt = chain.genesis_header, chain.genesis_receipt
                return DomainBlockSummary(0, header.hash(), header.state_root, 0, 0, receipt.hash())
            record = chain.block(number)
        if record is None:
            return None
        header = record.header
        return DomainBlockSummary(
            number, header.hash(), header.state_root, len(record.extrinsics), record.consensus_number,
            record.receipt.hash(),
        )  # fmt: skip

    def receipt(self, number: int) -> bytes | None:
        """The execution receipt this operator derived for domain block `number` (SCALE bytes)."""
        with self._lock:
            receipt = self.operator.chain.receipt(int(number))
        return None if receipt is None else receipt.to_bytes()

    def status(self) -> OperatorStatus:
        with self._lock:
            operator, counters = self.operator, self.operator.counters
            tip, _ = operator.chain.tip()
            return OperatorStatus(
                name=self.config.name,
                domain_id=operator.identity.domain_id,
                operator_id=operator.identity.operator_id,
                consensus_number=tip,
                domain_number=operator.chain.head_number(),
                stake=counters.stake,
                bundles_submitted=counters.bundles_submitted,
                bundles_rejected=counters.bundles_rejected,
                pooled_transactions=len(operator.pool),
                last_bundle_slot=counters.last_bundle_slot,
                last_error=counters.last_error,
                receipts_submitted=counters.receipts_submitted,
                fraud_proofs_submitted=operator.watcher.counters.fraud_proofs_submitted,
                last_fraud_proof=operator.watcher.counters.last_fraud_proof,
                fraud_proven_in=tuple(operator.watcher.counters.proven_in),
                fault=operator.fault or "",
                lies_submitted=counters.lies_submitted,
            )

    def shutdown(self) -> None:
        if self._rpc is not None:
            self._rpc.stop()
        self._stopped.set()
        self._thread.join(timeout=30)
        with self._lock:
            self._store.close()
