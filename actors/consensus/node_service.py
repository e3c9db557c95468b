"""NodeService: the Ray-facing node. One event thread drives the `Node` core; everything else enqueues.

Inputs: slots from the timekeeper (`on_slot`), solutions from farmers (`on_solution`), blocks gossiped by
peers (`on_block`; a block whose parent is unknown makes the node ask its peers for the missing ancestry,
so a block missed during a partition or a lost push cannot strand the chain behind it), and transactions from clients (`submit_transaction`, checked and pooled at once so a
rejection reaches the caller). Outputs: a FarmingSlot to every farmer each slot (with the chain's ranges),
authored blocks to every peer, confirmed blocks to the archiver. Farmers seal the blocks their solutions win
(`sign_reward`). Peers, farmers and the archiver are named actors resolved through `actors.handles`,
so a restarted node (which restores its chain from RocksDB) finds them again.

Delivery after restarts: the node subscribes itself to its timekeeper when it starts and whenever slots have
been silent for `slot_silence_seconds`, and fills any gap in the slots it saw from the timekeeper's recent
proofs; on start it also takes the solutions its farmers found for slots it may still author. Confirmed blocks
are handed to the archiver until it has answered for each (Node.apply_archived), so neither a crash of the
node nor of the archiver loses a segment header.

The lock: every call into the `Node` core holds it, except the archiver call. After each event the event thread
archives what became confirmed in three steps (`_archive`): it reads the confirmed blocks under the lock, hands
them to the archiver without it (a DEV segment can take a minute), then applies the answers under it. So
`status`, `account`, `submit_transaction` and the queries answer while the archiver works; the event thread is
the only one that changes the chain, so nothing moves between the steps, and a block whose segment headers the
archiver has not produced yet waits as AWAITING_ARCHIVE until they are applied.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from autonomys.actors.consensus.node import ConfirmedBlockSink, ImportOutcome, ImportStatus, Node, RewardSigner
from autonomys.actors.consensus.node_events import (
    AncestryWanted,
    BlockReceived,
    NodeEvent,
    PeersChanged,
    Resume,
    ResumeReason,
    SlotArrived,
    SolutionFound,
)
from autonomys.actors.consensus.node_objects import decode_submitted_transaction
from autonomys.actors.consensus.node_store import NodeStore, StoreFormatMismatch
from autonomys.actors.consensus.node_types import NodeLimits
from autonomys.actors.errors import CorruptStore, describe_error
from autonomys.actors.kzg_setup import KzgSetup, load_kzg, setup_for
from autonomys.actors.links import Links
from autonomys.actors.messages import (
    BundleSubmission,
    DomainBlockInput,
    DomainTick,
    FarmerSolution,
    FarmingSlot,
    NodeStatus,
    SlotNotification,
)
from autonomys.actors.storage import RocksKVStore, StoreCorrupted
from autonomys.protocol.consensus.chain_state import ChainState, get_segment_commitment
from autonomys.protocol.consensus.state_proofs import StateProof
from autonomys.protocol.domains.registry import DomainConfig
from autonomys.protocol.domains.view import DomainView
from autonomys.protocol.errors import ProtocolError
from autonomys.protocol.kzg import Kzg
from autonomys.protocol.objects.mappings import GlobalObject, validate_object_hash
from autonomys.protocol.params import Params
from autonomys.protocol.timekeeper.pot import GossipProof

EVENT_QUEUE_LIMIT = 10_000
# An orphan's missing ancestry is asked of peers this many blocks at a time, and at most this deep in all.
SYNC_BATCH = 64
MAX_SYNC_BLOCKS = 4096


class FarmerLink(Protocol):
    def on_farming_slot(self, slot: FarmingSlot) -> None: ...

    def public_key(self) -> bytes: ...

    def sign_reward(self, message: bytes) -> bytes: ...

    def solutions_after(self, slot: int) -> list[FarmerSolution]: ...

    def read_piece(self, piece_index: int) -> bytes | None: ...


class TimekeeperLink(Protocol):
    def subscribe(self, name: str) -> None: ...

    def proofs_after(self, slot: int) -> list[GossipProof]: ...


class PeerLink(Protocol):
    def on_block(self, block: bytes) -> None: ...

    def best_block_hash(self) -> bytes: ...

    def block_ancestry(self, block_hash: bytes, count: int) -> list[bytes]: ...


@dataclass(frozen=True, slots=True)
class NodeConfig:
    data_dir: str
    params: Params
    genesis: ChainState
    """The network's genesis state (endowments, ranges, segments archived at genesis), with its trie's nodes."""
    name: str = "node"
    farmers: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()
    archiver: str | None = None
    kzg_setup: KzgSetup | None = None
    """The KZG setup blocks are verified with; None: the insecure dev setup sized for `params`."""
    timekeeper: str | None = None
    """The timekeeper this node takes slots from: subscribed to on start, and asked for the slots it missed."""
    slot_silence_seconds: float = 5.0
    """Without a slot for this long, the node subscribes to its timekeeper again and asks for what it missed."""
    sync_batch: int = SYNC_BATCH
    """Blocks of a missing ancestry asked of a peer at a time (and the most this node serves at once)."""
    max_sync_blocks: int = MAX_SYNC_BLOCKS
    """The deepest missing ancestry fetched for one orphan."""
    limits: NodeLimits = field(default_factory=NodeLimits)
    """The node core's bounds (held blocks, votes, caches, PoT outputs kept, pruning)."""


class NodeService:
    """See the module docstring."""

    def __init__(self, config: NodeConfig, links: Links) -> None:
        """`links` reaches the config's farmers, peers, archiver and timekeeper by name (actors.links)."""
        self.config = config
        self._links = links
        self._archiver = None if config.archiver is None else links.archiver(config.archiver)
        setup = config.kzg_setup if config.kzg_setup is not None else setup_for(config.params.record_num_chunks)
        genesis = config.genesis
        self._store, self.node = _open_node(config, genesis, load_kzg(setup), self._archiver, self._sign)
        self._farmers = {name: links.farmer(name) for name in config.farmers}
        self._peers: dict[str, PeerLink] = {name: links.node(name) for name in config.peers}
        self._timekeeper = None if config.timekeeper is None else links.timekeeper(config.timekeeper)
        self._subscribed = False
        self._keys: dict[bytes, FarmerLink] = {}
        self._syncing: set[bytes] = set()
        """Missing parents already queued for a sync (a burst of orphans asks once)."""
        self._events: queue.Queue[NodeEvent | None] = queue.Queue(maxsize=EVENT_QUEUE_LIMIT)
        self._last_error = ""
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="node-events", daemon=True)
        self._thread.start()
        self._enqueue(Resume(ResumeReason.START))

    def params(self) -> Params:
        """The network's parameters (clients size their piece getters and object reads with them)."""
        return self.node.params

    def genesis_hash(self) -> bytes:
        """The network's genesis hash, which every transaction signs."""
        return self.node.genesis_hash

    def ready(self) -> bool:
        return True

    # -- inputs (any thread) -------------------------------------------------------------------

    def on_slot(self, notification: SlotNotification) -> None:
        proof = notification.proof
        self._enqueue(SlotArrived(int(proof.slot), bytes(proof.output)))

    def on_solution(self, solution: FarmerSolution) -> None:
        self._enqueue(SolutionFound(solution))

    def on_block(self, block: bytes) -> None:
        self._enqueue(BlockReceived(bytes(block)))

    def set_peers(self, names: list[str]) -> None:
        """Replace the gossip peers (a partition is an empty list); then fetch the blocks of their best chains
        that this node lacks."""
        self._enqueue(PeersChanged(tuple(names)))

    def submit_transaction(self, transaction: bytes) -> bytes:
        """Pool an encoded transaction for the next blocks this node authors; returns its hash.

        RejectedTransaction (reason undecodable, too_large, bad_signature, bad_nonce, insufficient_balance, or
        pool_full / sender_full when the pool's bounds are reached) when it would not apply after the sender's
        pooled transactions; the pool is then unchanged.
        """
        decoded = decode_submitted_transaction(transaction)
        with self._lock:
            return self.node.submit_transaction(decoded)

    # -- domains ---------------------------------------------------------------------------------

    def offer_bundle(self, bundle: bytes) -> BundleSubmission:
        """Pool an operator's encoded bundle for the next block this node authors: its hash, or the rule it broke
        (undecodable, a bundle rule, pool_full) with the pool unchanged."""
        with self._lock:
            return self.node.offer_bundle(bytes(bundle))

    def offer_receipt(self, receipt: bytes) -> BundleSubmission:
        """Pool an operator's encoded sealed singleton receipt: its hash, or the rule it broke."""
        with self._lock:
            return self.node.offer_receipt(bytes(receipt))

    def offer_fraud_proof(self, proof: bytes) -> BundleSubmission:
        """Pool a watcher's encoded fraud proof: the bad receipt's hash, or the rule it broke (the proof does not
        verify, its receipt is unknown or already pruned, a proof nearer confirmation is pooled)."""
        with self._lock:
            return self.node.offer_fraud_proof(bytes(proof))

    def domain_tick(self, domain_id: int, operator_ids: tuple[int, ...], after_slot: int) -> DomainTick:
        """What an operator polls for (Node.domain_tick)."""
        with self._lock:
            return self.node.domain_tick(int(domain_id), tuple(operator_ids), int(after_slot))

    def domain_block_input(self, number: int) -> DomainBlockInput | None:
        """Canonical block `number` with its state's transaction byte fee (Node.domain_block_input)."""
        with self._lock:
            return self.node.domain_block_input(int(number))

    def domain_config(self, domain_id: int) -> DomainConfig:
        with self._lock:
            return self.node.domain_config(int(domain_id))

    def domain_view(self, domain_id: int) -> DomainView:
        with self._lock:
            return self.node.domain_view(int(domain_id))

    # -- accounts and objects ------------------------------------------------------------------

    def account(self, public_key: bytes) -> tuple[int, int]:
        """(balance in the best state, next nonce counting pooled transactions)."""
        with self._lock:
            return self.node.account(bytes(public_key))

    def state_proof(self, key: bytes, number: int | None = None) -> StateProof:
        """`key`'s entry in the state after best-chain block `number` (None: the best block) with its proof against
        that block's header; StateNotKept when this node does not hold that state."""
        with self._lock:
            return self.node.state_proof(bytes(key), number)

    def object_location(self, object_hash: bytes) -> GlobalObject | bytes | None:
        """Data stored under this blake3 hash: the bytes while its block is not wholly archived, else the archiver's
        mapping (read the pieces it names); None when unknown or only pooled. MalformedObjectId unless 32 bytes."""
        object_hash = validate_object_hash(object_hash)
        with self._lock:
            data = self.node.objects.find_unarchived_object(object_hash)
        archiver = self.node.archiver
        if data is not None or archiver is None:
            return data
        return archiver.object_mapping(object_hash)  # outside the lock: the archiver may be busy archiving

    # -- queries -------------------------------------------------------------------------------

    def canonical_blocks(self) -> list[bytes]:
        with self._lock:
            return [self.node.store.block(block_hash) or b"" for block_hash in self.node.tree.canonical_hashes()]

    def best_block_hash(self) -> bytes:
        with self._lock:
            return self.node.best_hash

    def block_ancestry(self, block_hash: bytes, count: int = SYNC_BATCH) -> list[bytes]:
        """A stored block and up to count − 1 of its ancestors, newest first (for a peer resolving an orphan)."""
        count = max(0, min(int(count), self.config.sync_batch))
        with self._lock:
            return self.node.tree.block_ancestry(bytes(block_hash), count)

    def status(self) -> NodeStatus:
        with self._lock:
            state, metrics = self.node.best_state, self.node.metrics
            return NodeStatus(
                name=self.config.name,
                best_number=state.number,
                best_hash=self.node.best_hash.hex(),
                best_slot=state.best_slot,
                current_slot=self.node.current_slot,
                solution_range=state.solution_range,
                history_size=state.history_size,
                total_issuance=state.total_issuance,
                blocks_imported=metrics.blocks_imported,
                blocks_authored=metrics.blocks_authored,
                blocks_rejected=metrics.blocks_rejected,
                reorgs=metrics.reorgs,
                authored_by_farm=dict(metrics.authored_by_farm),
                last_error=self._last_error or metrics.last_rejection,
            )

    def headers(self, first_number: int = 1, count: int = 100) -> list[bytes]:
        """Canonical block headers from `first_number` (SCALE bytes), for light clients and farmers."""
        with self._lock:
            hashes = self.node.tree.canonical_hashes(after=max(0, first_number - 1), count=max(0, count))
            return [self.node.tree.header_bytes(block_hash) for block_hash in hashes]

    def segment_headers(self, first: int = 0) -> list:
        """Segment headers from `first`, as this node's archiver produced them (for farmers' replotting)."""
        if self._archiver is None:
            return []
        return list(self._archiver.segment_headers(first))

    def segment_commitment(self, segment_index: int) -> bytes | None:
        """The commitment of a recorded segment (for farmers' piece checks and replotting)."""
        with self._lock:
            return get_segment_commitment(self.node.best_state, int(segment_index))

    def history_size(self) -> int:
        with self._lock:
            return self.node.best_state.history_size

    def shutdown(self) -> None:
        self._events.put(None)
        self._thread.join(timeout=30)
        self._store.close()

    # -- the event thread ----------------------------------------------------------------------

    def _enqueue(self, event: NodeEvent) -> None:
        try:
            self._events.put_nowait(event)
        except queue.Full:
            self._last_error = f"event queue full: dropped a {type(event).__name__}"

    def _run(self) -> None:
        while True:
            try:
                event = self._events.get(timeout=self.config.slot_silence_seconds)
            except queue.Empty:
                event = Resume(ResumeReason.SILENCE)
            if event is None:
                return
            try:
                self._handle(event)
                self._archive()
            except Exception as error:  # noqa: BLE001 - one bad event must not stop the node
                self._last_error = f"{type(event).__name__}: {type(error).__name__}: {error}"

    def _handle(self, event: NodeEvent) -> None:
        # Peers and the timekeeper are called without the lock (they may call us back), and so is the archiver.
        match event:
            case PeersChanged(names):
                self._set_peers(names)
            case AncestryWanted(missing):
                self._sync_ancestry(missing)
            case Resume():
                self._resume(event)
            case SlotArrived(slot, output):
                with self._lock:
                    self._on_slot(slot, output)
                self._archive()  # what the early blocks confirmed: authoring on them needs those segment headers
                self._author()
            case SolutionFound(solution):
                with self._lock:
                    self.node.on_solution(solution)
            case BlockReceived(block):
                with self._lock:
                    self._after_import(self.node.import_block(block))

    def _after_import(self, outcome: ImportOutcome) -> None:
        if outcome.status is ImportStatus.ORPHAN and outcome.missing_parent not in self._syncing:
            self._syncing.add(outcome.missing_parent)
            self._enqueue(AncestryWanted(outcome.missing_parent))

    def _on_slot(self, slot: int, output: bytes) -> None:
        if self._last_error.startswith("timekeeper: "):
            self._last_error = ""  # slots arrive: the timekeeper is up and this node subscribed (by whoever)
        # A gap (slots the timekeeper pushed while this node was down or busy) is filled from its recent proofs.
        if self.node.current_slot > 0 and slot > self.node.current_slot + 1:
            self._enqueue(Resume(ResumeReason.CATCH_UP, self.node.current_slot))
        farming_slot = self.node.on_proof_of_time(slot, output)
        for outcome in self.node.import_early_blocks():  # before authoring, so this slot builds on them
            self._after_import(outcome)
        if farming_slot is not None:
            for name, farmer in self._farmers.items():
                self._call(f"farmer {name}", farmer.on_farming_slot, farming_slot)

    def _author(self) -> None:
        """Author what the slots and solutions allow, and gossip it."""
        with self._lock:
            authored = self.node.author_ready_blocks()
        for block in authored:
            for name, peer in self._peers.items():
                self._call(f"peer {name}", peer.on_block, block.to_bytes())

    def _archive(self) -> None:
        """Archive what is confirmed, the archiver call without the lock (see the module docstring); then author
        what waited for those segment headers. Stops when nothing is left or the archiver fails (retried after
        the next event)."""
        while True:
            with self._lock:
                confirmed = self.node.archive.confirmed_blocks()
            if len(confirmed) == 0:
                return
            run = self.node.archive.hand_over(confirmed)
            with self._lock:
                self.node.apply_archived(run)
            self._author()
            if run.error != "":
                return

    def _resume(self, event: Resume) -> None:
        """Subscribe to the timekeeper (again) and learn the slots missed (after `since`, else after the newest
        known); on start, take the solutions farmers found for slots this node may still author. Each step is
        retried on the next silence when it fails."""
        reason, since = event.reason, event.since
        if self._timekeeper is not None and (reason is not ResumeReason.CATCH_UP or not self._subscribed):
            try:
                self._timekeeper.subscribe(self.config.name)
                self._subscribed = True
                if self._last_error.startswith("timekeeper: "):
                    self._last_error = ""  # the timekeeper is up: no longer a warning
            except Exception as error:  # noqa: BLE001 - not up yet, or restarting: retried on the next silence
                self._subscribed = False
                self._last_error = f"timekeeper: {error}"
        with self._lock:
            current = self.node.current_slot
        if self._timekeeper is not None:
            for proof in self._call("timekeeper", self._timekeeper.proofs_after, current if since is None else since) or []:
                with self._lock:
                    self.node.on_proof_of_time(int(proof.slot), bytes(proof.output))
        if reason is ResumeReason.START:
            since = max(0, current - self.config.params.block_authoring_delay - 1)
            for name, farmer in self._farmers.items():
                for solution in self._call(f"farmer {name}", farmer.solutions_after, since) or []:
                    with self._lock:
                        self.node.on_solution(solution)

    def _set_peers(self, names: tuple[str, ...]) -> None:
        """Gossip to these peers from now on, and sync each one's best chain (only the blocks this node lacks)."""
        self._peers = {name: self._links.node(name) for name in names}
        for name, peer in self._peers.items():
            best = self._call(f"peer {name}", peer.best_block_hash)
            if best is not None:
                self._sync_ancestry(bytes(best), {name: peer})

    def _sync_ancestry(self, missing: bytes, peers: dict[str, PeerLink] | None = None) -> None:
        """Fetch the blocks from `missing` back to one this node knows from the first peer (of `peers`, else
        all) that has them, and import them oldest first (the orphans waiting on them follow)."""
        try:
            for name, peer in list((self._peers if peers is None else peers).items()):
                with self._lock:
                    if self.node.tree.is_known(missing):
                        return
                self._import_oldest_first(self._fetch_ancestry(name, peer, missing))
                with self._lock:
                    if self.node.tree.is_known(missing):
                        return
        finally:
            self._syncing.discard(missing)

    def _import_oldest_first(self, ancestry: list[bytes]) -> None:
        """Import a fetched ancestry (newest first as served), archiving between blocks: a block more than
        confirmation_depth_k + 1 above the archived one carries the headers of a block the sync just confirmed."""
        for block in reversed(ancestry):
            with self._lock:
                outcome = self.node.import_block(block)
            if outcome.status in (ImportStatus.IMPORTED, ImportStatus.AWAITING_ARCHIVE):
                self._archive()

    def _fetch_ancestry(self, name: str, peer: PeerLink, missing: bytes) -> list[bytes]:
        chain: list[bytes] = []
        cursor: bytes | None = missing
        while cursor is not None and len(chain) < self.config.max_sync_blocks:
            batch = self._call(f"peer {name}", peer.block_ancestry, cursor, self.config.sync_batch) or []
            chain.extend(batch)
            if len(batch) < self.config.sync_batch:
                break
            with self._lock:
                cursor = self.node.imports.unknown_parent(batch[-1])
        return chain

    def _sign(self, public_key: bytes, message: bytes) -> bytes:
        farmer = self._keys.get(public_key)
        if farmer is None:
            for link in self._farmers.values():
                with contextlib.suppress(Exception):
                    self._keys[bytes(link.public_key())] = link
            farmer = self._keys[public_key]
        return farmer.sign_reward(message)

    def _call(self, what: str, method: Callable[..., Any], *args: Any) -> Any:
        try:
            return method(*args)
        except Exception as error:  # noqa: BLE001 - a gone peer or farmer must not stop the node
            self._last_error = f"{what}: {error}"
            return None


def _open_node(
    config: NodeConfig, genesis: ChainState, kzg: Kzg, archiver: ConfirmedBlockSink | None, signer: RewardSigner
) -> tuple[RocksKVStore, Node]:
    """The node's store and its restored chain; CorruptStore (nothing written) when either cannot be loaded."""
    path = Path(config.data_dir) / f"node-{config.name}"
    store = None
    try:
        store = RocksKVStore(path, large=True)
        node = Node(
            config.params, genesis, NodeStore(store), kzg, archiver=archiver, signer=signer, limits=config.limits,
            archive_inline=False,
        )  # fmt: skip
        return store, node
    except StoreFormatMismatch as error:
        store.close()  # type: ignore[union-attr]  # raised after the store opened
        fix = f"it was written by an older release: start a new network in a fresh --data-dir (or delete {path})"
        raise CorruptStore("node chain", path, str(error), fix) from error
    except (StoreCorrupted, ProtocolError) as error:
        if store is not None:
            store.close()
        fix = (
            f"restore {path} from a backup; or delete {path} and start the node again to fetch its chain from its "
            "peers (a devnet's only node has none: its chain, and the archive built from it, are then lost, so start "
            "a new network in a fresh --data-dir)"
        )
        raise CorruptStore("node chain", path, describe_error(error), fix) from error
