"""Reading the kept states of a node: a key's entry in the state after any best-chain block whose trie the node
still holds, with its proof (protocol.consensus.state_proofs).

Which states are kept: every state of the block tree (the last archived block and above), and below it the
canonical states of the pruning window (NodeLimits.state_window; every one in archive mode). The store's floor
(actors.state_store.StateStore.floor) is the oldest canonical state not pruned.
"""

from __future__ import annotations

from autonomys.actors.consensus.block_tree import BlockTree
from autonomys.actors.errors import StateNotKept
from autonomys.protocol.consensus.state_proofs import StateProof, header_number_and_state_root
from autonomys.protocol.errors import MissingStateNode
from autonomys.protocol.state.trie import prove


class NodeState:
    """Proofs of keys in the node's kept states."""

    def __init__(self, tree: BlockTree) -> None:
        self.tree = tree

    def oldest_kept(self) -> int:
        """The number of the oldest best-chain block whose state can be read."""
        if self.tree.state_window is None:
            return 0
        return self.tree.store.state.floor()

    def proof(self, key: bytes, number: int | None = None) -> StateProof:
        """`key`'s entry in the state after best-chain block `number` (the best block when None), with its proof;
        StateNotKept when that block is not in the best chain or its state was pruned."""
        best = self.tree.best_state.number
        number = best if number is None else int(number)
        if not 0 <= number <= best:
            msg = f"block {number} is not in the best chain (the best block is {best})"
            raise StateNotKept(msg)
        if number < self.oldest_kept():
            raise StateNotKept(self._pruned(number))
        block_hash = self.tree.canonical_hash(number)
        if block_hash is None:
            msg = f"block {number} is not in the best chain (the best block is {best})"
            raise StateNotKept(msg)
        header, root = self._header_and_root(block_hash, number)
        try:
            nodes = prove(self.tree.store.state.nodes, root, bytes(key))
        except MissingStateNode as error:
            raise StateNotKept(self._pruned(number)) from error
        return StateProof(number, block_hash, header, root, bytes(key), tuple(nodes))

    def _header_and_root(self, block_hash: bytes, number: int) -> tuple[bytes, bytes]:
        if number == 0:
            genesis = self.tree.store.state.genesis_root()
            if genesis is None:
                raise StateNotKept(self._pruned(0))
            return b"", genesis
        header = self.tree.header_bytes(block_hash)
        return header, header_number_and_state_root(header)[1]

    def _pruned(self, number: int) -> str:
        return (
            f"the state at block {number} is pruned: this node keeps states from block {self.oldest_kept()} on "
            "(run it with --state-pruning archive, or a larger window, to keep older ones)"
        )
