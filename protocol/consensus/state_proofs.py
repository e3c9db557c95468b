"""A value of the consensus state at one block, with what proves it: the block's header, whose hash names the block
and whose state root the trie proof opens (protocol.state.trie), so a client that trusts a block hash trusts the
value without trusting the node that served it.

At genesis there is no header: the genesis hash is blake3(b"autonomys-genesis" | state root), which names the root
just as well (chain_state.genesis_hash_of_root).
"""

from __future__ import annotations

from dataclasses import dataclass

from autonomys.protocol.consensus.chain_blocks import compute_blake3
from autonomys.protocol.consensus.chain_state import genesis_hash_of_root
from autonomys.protocol.constants import BLAKE3_HASH_SIZE
from autonomys.protocol.errors import InvalidStateProof
from autonomys.protocol.state.trie import verify_proof

HEADER_NUMBER_OFFSET = BLAKE3_HASH_SIZE
"""A header starts parent_hash [32] | number u32 | state_root [32] (chain_blocks.Header.unsealed_bytes)."""
HEADER_STATE_ROOT_OFFSET = HEADER_NUMBER_OFFSET + 4


@dataclass(frozen=True, slots=True)
class StateProof:
    """`key`'s entry in the state after block `block_number`: the block's hash and header (empty at genesis), the
    state root the header carries, and the trie nodes on the key's path."""

    block_number: int
    block_hash: bytes
    header: bytes
    state_root: bytes
    key: bytes
    nodes: tuple[bytes, ...]


def header_number_and_state_root(header: bytes) -> tuple[int, bytes]:
    """The block number and state root an encoded header carries (its fixed-size start; no parameters needed to
    read it); InvalidStateProof when it is too short to hold them."""
    end = HEADER_STATE_ROOT_OFFSET + BLAKE3_HASH_SIZE
    if len(header) < end:
        msg = f"a header is at least {end} bytes, got {len(header)}"
        raise InvalidStateProof(msg)
    number = int.from_bytes(header[HEADER_NUMBER_OFFSET:HEADER_STATE_ROOT_OFFSET], "little")
    return number, bytes(header[HEADER_STATE_ROOT_OFFSET:end])


def verify_state_proof(proof: StateProof, trusted_block_hash: bytes | None = None) -> bytes | None:
    """The value the proof shows (None: the key is absent at that block). InvalidStateProof when the header does not
    hash to the block hash, the root is not the header's, the proof does not open the root, or the block is not
    `trusted_block_hash` (when given)."""
    if trusted_block_hash is not None and bytes(trusted_block_hash) != bytes(proof.block_hash):
        msg = f"the proof is of block {bytes(proof.block_hash).hex()}, not of {bytes(trusted_block_hash).hex()}"
        raise InvalidStateProof(msg)
    _check_root(proof)
    return verify_proof(proof.state_root, proof.key, proof.nodes)


def _check_root(proof: StateProof) -> None:
    if len(proof.header) == 0:
        if proof.block_number != 0 or len(proof.state_root) != BLAKE3_HASH_SIZE:
            raise InvalidStateProof("only the genesis state is proven without a header")
        if bytes(genesis_hash_of_root(proof.state_root)) != bytes(proof.block_hash):
            raise InvalidStateProof("the state root is not the one the genesis hash names")
        return
    if bytes(compute_blake3(proof.header)) != bytes(proof.block_hash):
        raise InvalidStateProof("the header does not hash to the block hash")
    number, root = header_number_and_state_root(proof.header)
    if number != proof.block_number:
        raise InvalidStateProof(f"the header is of block {number}, the proof claims block {proof.block_number}")
    if root != bytes(proof.state_root):
        raise InvalidStateProof("the state root is not the one the header carries")
