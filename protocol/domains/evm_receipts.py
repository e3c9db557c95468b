"""What an EVM transaction's dispatch leaves for Ethereum clients: its receipt (status, gas, logs, the contract it
created, the price it paid), RLP-encoded per transaction as the runtime records it, and the Ethereum receipt
encodings and logs bloom derived from it (EIP-2718 typed receipts, as `eth_getTransactionReceipt` and the receipts
root of `eth_getBlockByNumber` report them).
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from eth_bloom import BloomFilter

from autonomys.protocol.errors import DecodeError

LogEntry = tuple[bytes, tuple[bytes, ...], bytes]
"""(address, topics, data) of one log."""


@dataclass(frozen=True, slots=True)
class EvmOutcome:
    """One dispatched transaction: hash, success, gas used (its own and the block's so far), the price per gas
    it paid, the address it created (b"" for none) and its logs."""

    transaction_hash: bytes
    success: bool
    gas_used: int
    cumulative_gas_used: int
    effective_gas_price: int
    contract_address: bytes
    logs: tuple[LogEntry, ...]

    def to_bytes(self) -> bytes:
        logs = [[address, list(topics), data] for address, topics, data in self.logs]
        return bytes(
            rlp.encode([
                self.transaction_hash, int(self.success), self.gas_used, self.cumulative_gas_used,
                self.effective_gas_price, self.contract_address, logs,
            ])
        )  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes) -> EvmOutcome:
        try:
            fields = rlp.decode(bytes(data))
            tx_hash, success, gas, cumulative, price, created, logs = fields
            entries = tuple((bytes(a), tuple(bytes(t) for t in topics), bytes(d)) for a, topics, d in logs)
            return cls(
                bytes(tx_hash), _int(success) == 1, _int(gas), _int(cumulative), _int(price), bytes(created), entries
            )
        except (rlp.exceptions.RLPException, ValueError, TypeError) as error:
            msg = f"EvmOutcome: {error}"
            raise DecodeError(msg) from error

    def bloom(self) -> int:
        return compute_logs_bloom(self.logs)


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big")


def compute_logs_bloom(logs: tuple[LogEntry, ...]) -> int:
    """The 2048-bit logs bloom of Ethereum receipts (the address and every topic of every log)."""
    bloom = BloomFilter()
    for address, topics, _ in logs:
        bloom.add(address)
        for topic in topics:
            bloom.add(topic)
    return int(bloom)


def encode_ethereum_receipt(outcome: EvmOutcome, transaction_type: int) -> bytes:
    """The consensus encoding of the receipt (EIP-2718: type byte || RLP for typed transactions)."""
    logs = [[address, list(topics), data] for address, topics, data in outcome.logs]
    body = rlp.encode([
        b"\x01" if outcome.success else b"", outcome.cumulative_gas_used,
        outcome.bloom().to_bytes(256, "big"), logs,
    ])  # fmt: skip
    return bytes(body) if transaction_type == 0 else bytes([transaction_type]) + bytes(body)
