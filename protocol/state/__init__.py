"""The state layer every state machine keeps its state in: an authenticated map (state.trie) whose nodes are
content-addressed, so forks share them and the state of any kept block opens from its root, with proofs.

`verify_proof(root, key, proof)` is the stable, stateless check of a proof against a root (a light client's).
"""

from autonomys.protocol.state.trie import verify_proof

__all__ = ["verify_proof"]
