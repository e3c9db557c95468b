"""How a role reaches the other roles: one `Links` collaborator, handed in by whoever builds the role.

A role names its peers (the node its farmer submits to, the archiver its node hands blocks to, the cache peers
its piece getter asks) and asks `Links` for a typed link to each name. Inside a cluster the composition root
(network.compose) passes `actors.handles.RayLinks`, whose links are Ray actor handles resolved by name (so a
restarted actor is found again); unit tests pass in-process objects. No role imports Ray or actors.handles.

`Links` must be picklable: Ray restarts an actor from the same constructor arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from autonomys.actors.messages import FarmerSolution, SegmentHeaderNotification, SlotNotification
from autonomys.protocol.archiving.segments import SegmentHeader
from autonomys.protocol.objects.mappings import GlobalObject

if TYPE_CHECKING:
    from autonomys.actors.consensus.node_service import FarmerLink, TimekeeperLink
    from autonomys.actors.domains.operator import DomainNodeLink
    from autonomys.actors.dsn.cache_peer import CachePeerLink
    from autonomys.actors.farming.metrics import FarmMetrics
    from autonomys.actors.identity.agent_registry_service import AgentLink, DomainStateLink


class Subscriber(Protocol):
    """A push target of broadcasts (slots, segment headers, solutions); each role implements its own part."""

    name: str

    def on_slot(self, notification: SlotNotification) -> None: ...

    def on_segment_header(self, notification: SegmentHeaderNotification) -> None: ...

    def on_solution(self, solution: FarmerSolution) -> None: ...


class ArchiverLink(Protocol):
    """The archiver as other roles use it: confirmed blocks in, segment headers, pieces and object mappings out."""

    def on_confirmed_block(self, number: int, block: bytes) -> list[SegmentHeader]: ...

    def segment_headers_for_block(self, number: int) -> list[SegmentHeader]: ...

    def segment_headers(self, first: int = 0) -> list[SegmentHeader]: ...

    def get_piece(self, piece_index: int) -> bytes | None: ...

    def object_mapping(self, object_hash: bytes) -> GlobalObject | None: ...


class NodeLink(Protocol):
    """A node as farmers and cache peers (its history) and as other nodes (gossip and sync) use it."""

    def history_size(self) -> int: ...

    def segment_commitment(self, segment_index: int) -> bytes | None: ...

    def segment_headers(self, first: int = 0) -> list[SegmentHeader]: ...

    def on_block(self, block: bytes) -> None: ...

    def best_block_hash(self) -> bytes: ...

    def block_ancestry(self, block_hash: bytes, count: int) -> list[bytes]: ...


class Links(Protocol):
    """Typed links to other roles by name (see the module docstring)."""

    def subscriber(self, name: str) -> Subscriber: ...

    def timekeeper(self, name: str) -> TimekeeperLink: ...

    def archiver(self, name: str) -> ArchiverLink: ...

    def node(self, name: str) -> NodeLink: ...

    def farmer(self, name: str) -> FarmerLink: ...

    def cache_peer(self, name: str) -> CachePeerLink: ...

    def farm_metrics(self, farm_id: str) -> FarmMetrics: ...

    def domain_node(self, name: str) -> DomainNodeLink: ...

    def domain_state(self, name: str) -> DomainStateLink: ...

    def agent(self, name: str) -> AgentLink: ...
