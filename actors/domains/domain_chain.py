"""An operator's domain chain in its RocksDB: the domain blocks it derived (header, extrinsics, receipt, the
consensus block each came from), the consensus blocks it has followed, and the domain state's trie nodes
(actors.state_store, journals per domain block so a consensus reorg can drop the blocks it abandons).

Keys: `domain/tip` (the last consensus block followed: number u32 | hash), `domain/consensus/<n u32>` (its hash |
the domain head after it, u32), `domain/block/<n u32>` (a DomainBlockRecord), `domain/tx/<hash>` (the domain
block a transaction landed in), and the StateStore's `state/` keys. Every consensus block followed is one
synced batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from autonomys.actors.state_store import StateStore
from autonomys.actors.storage import KVStore
from autonomys.protocol.codec import Reader, encode_u32
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
        for consensus_number in range(tip, number, -1):
            self.store.delete(CONSENSUS_PREFIX + encode_u32(consensus_number))
        self.store.put(TIP_KEY, encode_u32(number) + (self.consensus_hash(number) or b""))
