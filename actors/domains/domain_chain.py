"""An operator's domain chain in its RocksDB: the domain blocks it derived (header, extrinsics, receipt, the
consensus block each came from), the consensus blocks it has followed, and the domain state's trie nodes
(actors.state_store, journals per domain block so a consensus reorg can drop the blocks it abandons).

Keys: `domain/tip` (the last consensus block followed: number u32 | hash), `domain/consensus/<n u32>` (its hash |
the domain head after it, u32), `domain/block/<n u32>` (a DomainBlockRecord), `domain/outcomes/<n u32>` (what its
transactions left for clients, RuntimeState.transaction_outcomes), `domain/tx/<hash>` (the domain block a
transaction landed in), `domain/hash/<hash>` (a domain block's number by its header hash), and the StateStore's `state/` keys. Every consensus block followed is one
synced batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from autonomys.actors.state_store import StateStore
from autonomys.actors.storage import KVStore
from autonomys.protocol.codec import Reader, encode_u32, encode_vec_u8
from autonomys.protocol.domains.execution import ExecutedBlock
from autonomys.protocol.domains.receipts import (
    DomainHeader,
    ExecutionReceipt,
    decode_exactly,
    encode_vector,
    genesis_receipt,
    read_vector,
)
from autonomys.protocol.state.trie import TrieChanges

TIP_KEY: Final = b"domain/tip"
CONSENSUS_PREFIX: Final = b"domain/consensus/"
BLOCK_PREFIX: Final = b"domain/block/"
TX_PREFIX: Final = b"domain/tx/"
OUTCOMES_PREFIX: Final = b"domain/outcomes/"
HASH_PREFIX: Final = b"domain/hash/"
STATE_WINDOW: Final = 256
"""Domain blocks whose replaced trie nodes are kept (a consensus reorg deeper than this cannot be followed)."""


@dataclass(frozen=True, slots=True)
class DomainBlockRecord:
    header: DomainHeader
    receipt: ExecutionReceipt
    consensus_number: int
    extrinsics: tuple[bytes, ...]

    def to_bytes(self) -> bytes:
        receipt = self.receipt.to_bytes()
        return (
            encode_vector([self.header.to_bytes()]) + encode_u32(len(receipt)) + receipt
            + encode_u32(self.consensus_number) + encode_vector([encode_u32(len(x)) + x for x in self.extrinsics])
        )  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes) -> DomainBlockRecord:
        def read(reader: Reader) -> DomainBlockRecord:
            header = read_vector(reader, DomainHeader.read)[0]
            receipt = ExecutionReceipt.from_bytes(reader.read_bytes(reader.read_u32()))
            number = reader.read_u32()
            extrinsics = read_vector(reader, lambda inner: inner.read_bytes(inner.read_u32()))
            return cls(header, receipt, number, extrinsics)

        return decode_exactly(data, "DomainBlockRecord", read)


class DomainChain:
    """See the module docstring. Not thread-safe: its owner serializes calls."""

    def __init__(self, store: KVStore, genesis: TrieChanges) -> None:
        self.store = store
        self.state = StateStore(store)
        if self.state.genesis_root() is None:
            self.state.store_genesis(genesis)
        self.genesis_receipt = genesis_receipt(genesis.root)
        self.genesis_header = DomainHeader(bytes(32), 0, genesis.root, self.genesis_receipt.domain_block_extrinsic_root)

    # -- reads ----------------------------------------------------------------------------------

    def tip(self) -> tuple[int, bytes]:
        """(number, hash) of the last consensus block followed; (0, b"") before the first."""
        raw = self.store.get(TIP_KEY)
        return (0, b"") if raw is None else (int.from_bytes(raw[:4], "little"), raw[4:])

    def consensus_hash(self, number: int) -> bytes | None:
        raw = self.store.get(CONSENSUS_PREFIX + encode_u32(number))
        return None if raw is None else raw[:32]

    def head_number(self) -> int:
        """The best domain block's number."""
        number, _ = self.tip()
        raw = self.store.get(CONSENSUS_PREFIX + encode_u32(number))
        return 0 if raw is None else int.from_bytes(raw[32:36], "little")

    def block(self, number: int) -> DomainBlockRecord | None:
        raw = self.store.get(BLOCK_PREFIX + encode_u32(number))
        return None if raw is None else DomainBlockRecord.from_bytes(raw)

    def receipt(self, number: int) -> ExecutionReceipt | None:
        if number == 0:
            return self.genesis_receipt
        record = self.block(number)
        return None if record is None else record.receipt

    def head(self) -> tuple[DomainHeader, ExecutionReceipt]:
        number = self.head_number()
        record = self.block(number) if number > 0 else None
        if record is None:
            return self.genesis_header, self.genesis_receipt
        return record.header, record.receipt

    def outcomes(self, number: int) -> tuple[bytes, ...]:
        """The transaction outcomes of domain block `number` (none for a block not derived or without any)."""
        raw = self.store.get(OUTCOMES_PREFIX + encode_u32(number))
        if raw is None:
            return ()
        return decode_exactly(raw, "outcomes", lambda reader: read_vector(reader, lambda inner: inner.read_vec_u8()))

    def block_number(self, block_hash: bytes) -> int | None:
        """The number of the derived domain block with this header hash."""
        if block_hash == self.genesis_header.hash():
            return 0
        raw = self.store.get(HASH_PREFIX + bytes(block_hash))
        return None if raw is None else int.from_bytes(raw, "little")

    def transaction_block(self, transaction_hash: bytes) -> int | None:
        raw = self.store.get(TX_PREFIX + transaction_hash)
        return None if raw is None else int.from_bytes(raw, "little")

    # -- writes ---------------------------------------------------------------------------------

    def follow(
        self, number: int, consensus_hash: bytes, executed: ExecutedBlock | None, tx_hashes: list[bytes]
    ) -> None:
        """Record consensus block `number` as followed, with the domain block it derived (if any): one batch."""
        head = self.head_number()
        items: dict[bytes, bytes] = {}
        if executed is not None:
            head = executed.header.number
            record = DomainBlockRecord(executed.header, executed.receipt, number, executed.extrinsics)
            items.update(self.state.stage(executed.header.hash(), executed.changes))
            items[BLOCK_PREFIX + encode_u32(head)] = record.to_bytes()
            items[HASH_PREFIX + executed.header.hash()] = encode_u32(head)
            if executed.outcomes:
                items[OUTCOMES_PREFIX + encode_u32(head)] = encode_vector(
                    [encode_vec_u8(outcome) for outcome in executed.outcomes]
                )
            items.update({TX_PREFIX + tx_hash: encode_u32(head) for tx_hash in tx_hashes})
        items[CONSENSUS_PREFIX + encode_u32(number)] = consensus_hash + encode_u32(head)
        items[TIP_KEY] = encode_u32(number) + consensus_hash
        self.store.write_batch(items)
        if executed is not None and head > STATE_WINDOW:
            old = self.block(head - STATE_WINDOW)
            if old is not None and self.state.has_journal(old.header.hash()):
                self.state.canonicalize(old.header.hash())

    def rewind(self, number: int) -> None:
        """Forget the consensus blocks after `number` and the domain blocks they derived (a consensus reorg)."""
        tip, _ = self.tip()
        keep_head = 0
        raw = self.store.get(CONSENSUS_PREFIX + encode_u32(number))
        if raw is not None:
            keep_head = int.from_bytes(raw[32:36], "little")
        for domain_number in range(self.head_number(), keep_head, -1):
            record = self.block(domain_number)
            if record is not None:
                self.state.discard(record.header.hash())
                self.store.delete(BLOCK_PREFIX + encode_u32(domain_number))
                self.store.delete(OUTCOMES_PREFIX + encode_u32(domain_number))
                self.store.delete(HASH_PREFIX + record.header.hash())
        for consensus_number in range(tip, number, -1):
            self.store.delete(CONSENSUS_PREFIX + encode_u32(consensus_number))
        self.store.put(TIP_KEY, encode_u32(number) + (self.consensus_hash(number) or b""))
