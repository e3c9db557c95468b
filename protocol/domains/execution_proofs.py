"""Execution proofs: one step of a domain block's execution trace, re-executed from the trie nodes it reads.

The reference proves an `InvalidStateTransition` (sp-domains-fraud-proof `fraud_proof.rs`, `verification.rs`
`verify_invalid_state_transition_fraud_proof`) by re-executing one phase of the block — `InitializeBlock`,
`ApplyExtrinsic(i)` or `FinalizeBlock` — over a trie backend built from a `StorageProof` (the set of trie nodes the
execution read) rooted at the phase's pre-state root, and comparing the root it ends at with the receipt's trace.
Here a phase runs through the domain runtime's own methods (protocol.domains.runtime), so the same code proves
and verifies for every runtime: the balances runtime's blake3 trie and the EVM runtime's keccak tries.

`prove_phase` re-executes the block from its parent state up to the phase (as the operator did, so the nodes of
the intermediate state exist), then runs the phase over a source that records every node it reads: those nodes
are the proof. `verify_phase` runs the phase over the proof's nodes alone and returns the post-state root; a
proof missing a node the execution needs, or carrying one it did not read (sp-state-machine's
`UnusedNodesInTheProof`), is an `InvalidExecutionProof`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final, TypeVar

import blake3

from autonomys.protocol.codec import Reader, decode_exactly, encode_compact, encode_vec_u8
from autonomys.protocol.domains.execution import decode_opaque
from autonomys.protocol.domains.runtime import DomainBlockContext, DomainRuntime, RuntimeState
from autonomys.protocol.errors import DecodeError, IllegalTransaction, InvalidExecutionProof
from autonomys.protocol.state.trie import NodeSource

MAX_PROOF_NODES: Final = 100_000
T = TypeVar("T")


class PhaseKind(IntEnum):
    """sp-domains-fraud-proof `ExecutionPhase` variants."""

    INITIALIZE_BLOCK = 0
    APPLY_EXTRINSIC = 1
    FINALIZE_BLOCK = 2


@dataclass(frozen=True, slots=True)
class ExecutionPhase:
    """A step of the trace: initialize, the extrinsic at `index` (0-based, inherents included), or finalize."""

    kind: PhaseKind
    index: int = 0

    def trace_positions(self, extrinsics: int) -> tuple[int | None, int]:
        """(pre, post) positions in the execution trace (None: the parent's final state) of a block with
        `extrinsics` extrinsics (its trace has extrinsics + 2 roots)."""
        if self.kind == PhaseKind.INITIALIZE_BLOCK:
            return None, 0
        if self.kind == PhaseKind.FINALIZE_BLOCK:
            return extrinsics, extrinsics + 1
        if not 0 <= self.index < extrinsics:
            msg = f"extrinsic {self.index} is outside a block of {extrinsics}"
            raise InvalidExecutionProof(msg)
        return self.index, self.index + 1


@dataclass(frozen=True, slots=True)
class StorageProof:
    """sp-trie `StorageProof`: the trie nodes an execution read (a set; SCALE-encoded sorted, as a BTreeSet)."""

    nodes: frozenset[bytes]

    def to_bytes(self) -> bytes:
        ordered = sorted(self.nodes)
        return encode_compact(len(ordered)) + b"".join(encode_vec_u8(node) for node in ordered)

    @classmethod
    def read(cls, reader: Reader) -> StorageProof:
        count = reader.read_compact()
        if count > MAX_PROOF_NODES:
            msg = f"StorageProof: {count} nodes, at most {MAX_PROOF_NODES}"
            raise DecodeError(msg)
        nodes = [reader.read_vec_u8() for _ in range(count)]
        if nodes != sorted(set(nodes)):
            raise DecodeError("StorageProof: nodes not in strictly ascending order (a set)")
        return cls(frozenset(nodes))

    @classmethod
    def from_bytes(cls, data: bytes) -> StorageProof:
        return decode_exactly(data, "StorageProof", cls.read)

    def size(self) -> int:
        return len(self.to_bytes())


class RecordingNodes(Mapping[bytes, bytes]):
    """A node source that remembers what was read (hits) and what was asked for and not found (misses)."""

    def __init__(self, nodes: NodeSource) -> None:
        self.nodes = nodes
        self.read: dict[bytes, bytes] = {}
        self.missed: set[bytes] = set()

    def get(self, key: bytes, default: bytes | None = None) -> bytes | None:  # type: ignore[override]
        value = self.nodes.get(key)
        if value is None:
            self.missed.add(bytes(key))
            return default
        self.read[bytes(key)] = value
        return value

    def __getitem__(self, key: bytes) -> bytes:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)


NodeHasher = Callable[[bytes], bytes]


def _keccak(data: bytes) -> bytes:
    from eth_utils import keccak  # the EVM runtime's hash (py-evm is imported where an EVM domain runs)

    return bytes(keccak(data))


def node_hasher(runtime: DomainRuntime) -> NodeHasher:
    """How the runtime's state names its nodes: keccak for the EVM's tries, blake3 for protocol.state's."""
    return _keccak if runtime.name == "evm" else (lambda encoding: blake3.blake3(encoding).digest())


def execute_phase(
    runtime: DomainRuntime, state: RuntimeState, context: DomainBlockContext, phase: ExecutionPhase, extrinsic: bytes
) -> bytes:
    """Run one phase over `state` as derive_domain_block does; the root after it. `extrinsic`: the runtime bytes of
    the phase's extrinsic (ignored by the other phases)."""
    if phase.kind == PhaseKind.INITIALIZE_BLOCK:
        runtime.initialize_block(state, context)
    elif phase.kind == PhaseKind.FINALIZE_BLOCK:
        runtime.finalize_block(state, context)
    else:
        if not runtime.is_inherent(extrinsic):
            try:
                runtime.check(state, extrinsic, context, signature_verified=True)
            except IllegalTransaction:
                return state.step()  # a stale transaction changes nothing (protocol.domains.execution._apply)
        runtime.apply(state, extrinsic, context)
    return state.step()


@dataclass(frozen=True, slots=True)
class PhaseProof:
    """A phase, its pre-state root, the root it ends at, and the nodes it read."""

    phase: ExecutionPhase
    pre_root: bytes
    post_root: bytes
    proof: StorageProof


def prove_phase(
    runtime: DomainRuntime,
    nodes: NodeSource,
    parent_root: bytes,
    context: DomainBlockContext,
    extrinsics: Sequence[bytes],
    phase: ExecutionPhase,
) -> PhaseProof:
    """The proof of `phase` of the block whose opaque `extrinsics` execute over `parent_root` (in `nodes`)."""
    pre_position, _ = phase.trace_positions(len(extrinsics))
    pre_root, pre_nodes = _state_at(runtime, nodes, parent_root, context, extrinsics, pre_position)
    recording = RecordingNodes(LayeredNodes(pre_nodes, nodes))
    state = runtime.open_state(recording, pre_root)
    extrinsic = decode_opaque(extrinsics[phase.index]) if phase.kind == PhaseKind.APPLY_EXTRINSIC else b""
    if phase.kind != PhaseKind.INITIALIZE_BLOCK:
        _enter_block(runtime, state, context)
    post_root = execute_phase(runtime, state, context, phase, extrinsic)
    return PhaseProof(phase, pre_root, post_root, StorageProof(frozenset(recording.read.values())))


def verify_phase(
    runtime: DomainRuntime,
    proof: StorageProof,
    pre_root: bytes,
    context: DomainBlockContext,
    phase: ExecutionPhase,
    extrinsic: bytes,
) -> bytes:
    """The post-state root of `phase` re-executed over the proof's nodes alone (`extrinsic`: the phase's runtime
    bytes, for ApplyExtrinsic). InvalidExecutionProof when a node is missing or unused."""

    def run(state: RuntimeState) -> bytes:
        if phase.kind != PhaseKind.INITIALIZE_BLOCK:
            _enter_block(runtime, state, context)
        return execute_phase(runtime, state, context, phase, extrinsic)

    return verify_read(runtime, proof, pre_root, run)


def prove_read(
    runtime: DomainRuntime, nodes: NodeSource, root: bytes, read: Callable[[RuntimeState], T]
) -> tuple[T, StorageProof]:
    """What `read` finds in the state of `root`, and the nodes it reads (a storage proof of the value)."""
    recording = RecordingNodes(nodes)
    value = read(runtime.open_state(recording, root))
    return value, StorageProof(frozenset(recording.read.values()))


def verify_read(runtime: DomainRuntime, proof: StorageProof, root: bytes, read: Callable[[RuntimeState], T]) -> T:
    """What `read` (a value read or a phase's execution) finds in the state of `root` over the proof's nodes
    alone; InvalidExecutionProof when a node it needs is missing or one is unused."""
    hasher = node_hasher(runtime)
    recording = RecordingNodes({hasher(node): node for node in proof.nodes})
    try:
        value = read(runtime.open_state(recording, root))
    except Exception as error:  # noqa: BLE001 - over a partial state any read may fail; the misses say why
        if recording.missed:
            msg = f"the proof lacks {len(recording.missed)} node(s) the execution reads"
            raise InvalidExecutionProof(msg) from error
        msg = f"the execution failed over the proof: {type(error).__name__}: {error}"
        raise InvalidExecutionProof(msg) from error
    # A miss that did not fail the execution was a probe for absence (py-trie's pruning pops a replaced node
    # whether or not it is there): the nodes a read needs raise when missing (MissingStateNode, py-evm's
    # MissingTrieNode / MissingBytecode), so the result does not depend on it.
    unused = len(proof.nodes) - len(set(recording.read.values()))
    if unused:
        raise InvalidExecutionProof(f"the proof carries {unused} node(s) the execution does not read")
    return value


def execute_trace(
    runtime: DomainRuntime,
    nodes: NodeSource,
    parent_root: bytes,
    context: DomainBlockContext,
    extrinsics: Sequence[bytes],
) -> list[bytes]:
    """The execution trace of the block (its opaque `extrinsics` over `parent_root`), in one pass: the root
    after initialize_block, after each extrinsic and after finalize_block."""
    state = runtime.open_state(nodes, parent_root)
    trace = [execute_phase(runtime, state, context, ExecutionPhase(PhaseKind.INITIALIZE_BLOCK), b"")]
    for index, encoded in enumerate(extrinsics):
        phase = ExecutionPhase(PhaseKind.APPLY_EXTRINSIC, index)
        trace.append(execute_phase(runtime, state, context, phase, decode_opaque(encoded)))
    trace.append(execute_phase(runtime, state, context, ExecutionPhase(PhaseKind.FINALIZE_BLOCK), b""))
    return trace


def _enter_block(runtime: DomainRuntime, state: RuntimeState, context: DomainBlockContext) -> None:
    runtime.resume_block(state, context)


def _state_at(
    runtime: DomainRuntime,
    nodes: NodeSource,
    parent_root: bytes,
    context: DomainBlockContext,
    extrinsics: Sequence[bytes],
    position: int | None,
) -> tuple[bytes, dict[bytes, bytes]]:
    """(root, nodes it needs beyond `nodes`) of the trace at `position` (None: the parent's state)."""
    if position is None:
        return parent_root, {}
    state = runtime.open_state(nodes, parent_root)
    execute_phase(runtime, state, context, ExecutionPhase(PhaseKind.INITIALIZE_BLOCK), b"")
    for index in range(position):
        phase = ExecutionPhase(PhaseKind.APPLY_EXTRINSIC, index)
        execute_phase(runtime, state, context, phase, decode_opaque(extrinsics[index]))
    changes = state.changes()
    return changes.root, dict(changes.created)


class LayeredNodes(Mapping[bytes, bytes]):
    """Two node sources, the first one first."""

    def __init__(self, first: Mapping[bytes, bytes], second: NodeSource) -> None:
        self.first, self.second = first, second

    def get(self, key: bytes, default: bytes | None = None) -> bytes | None:  # type: ignore[override]
        value = self.first.get(key)
        return value if value is not None else self.second.get(key, default)

    def __getitem__(self, key: bytes) -> bytes:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[bytes]:
        yield from self.first
        yield from self.second

    def __len__(self) -> int:
        return len(self.first) + len(self.second)
