"""The PoT outputs a node has learned, by slot, in memory and in its store; the newest one is its current slot.

A block claims its slot's output and its future slot's (slot + block_authoring_delay), and so does every vote
it carries; all of them are after the last archived block's slot (a block must build on that block, at a later
slot). So outputs below that slot, less a margin (NodeLimits.pot_margin_slots), are dropped (`prune_below`),
and a slot below the floor is never learned again (a timekeeper's replay after a restart offers old ones).
"""

from __future__ import annotations

from autonomys.actors.consensus.node_store import NodeStore


class PotOutputs:
    """PoT outputs by slot (see the module docstring)."""

    def __init__(self, store: NodeStore) -> None:
        self.store = store
        self._outputs: dict[int, bytes] = dict(store.proofs_of_time())
        self._floor = min(self._outputs, default=0)
        """Slots below this one are not kept (and, once pruned, not learned again)."""

    def __len__(self) -> int:
        return len(self._outputs)

    @property
    def current_slot(self) -> int:
        return max(self._outputs, default=0)

    def get(self, slot: int) -> bytes | None:
        return self._outputs.get(slot)

    def learn(self, slot: int, output: bytes) -> bool:
        """Keep a slot's output; False for a slot already known or below the floor."""
        if slot in self._outputs or slot < self._floor:
            return False
        self._outputs[slot] = bytes(output)
        self.store.put_proof_of_time(slot, bytes(output))
        return True

    def prune_below(self, slot: int) -> int:
        """Drop the outputs of slots below `slot` (never the current one); returns how many were dropped."""
        floor = min(slot, self.current_slot)
        if floor <= self._floor:
            return 0
        dropped = [old for old in self._outputs if old < floor]
        for old in sorted(dropped):
            del self._outputs[old]
            self.store.delete_proof_of_time(old)
        self._floor = floor
        return len(dropped)
