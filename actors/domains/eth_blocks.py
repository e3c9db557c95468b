"""An EVM domain's blocks, transactions, receipts and logs as Ethereum JSON-RPC reports them (the objects of
`eth_getBlockByNumber`, `eth_getTransactionByHash`, `eth_getTransactionReceipt` and `eth_getLogs`), made from the
operator's domain chain (actors.domains.domain_chain) and the runtime's outcomes (protocol.domains.evm_receipts).

A domain block is an Ethereum block to clients: its hash is the domain header's hash, its transactions root the
header's extrinsics root (Substrate's ordered trie of every extrinsic, inherents included), its receipts root the
Ethereum receipts trie of its transactions, its timestamp and base fee those its inherents set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import rlp
from eth_utils import keccak, to_checksum_address
from trie import HexaryTrie

from autonomys.actors.domains.domain_chain import DomainBlockRecord, DomainChain
from autonomys.protocol.domains.domain_header import DomainHeader
from autonomys.protocol.domains.evm_receipts import EvmOutcome, compute_logs_bloom, encode_ethereum_receipt
from autonomys.protocol.domains.evm_state import BLOCK_GAS_LIMIT
from autonomys.protocol.domains.execution import decode_opaque
from autonomys.protocol.domains.runtime_balances import INHERENT_BYTE_FEE, INHERENT_TIMESTAMP, Inherent
from autonomys.protocol.domains.runtime_evm import EvmTransaction, compute_base_fee, decode_evm_extrinsic

EMPTY_UNCLES_HASH: Final = keccak(rlp.encode([]))
ZERO_ADDRESS: Final = "0x" + "00" * 20


def quantity(value: int) -> str:
    return hex(value)


def data(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def address(value: bytes) -> str:
    """An address in EIP-55 mixed case, as clients print it."""
    return str(to_checksum_address(bytes(value)))


@dataclass(frozen=True, slots=True)
class EvmBlock:
    """One domain block read for clients: header, number, timestamp (s), base fee, transactions, outcomes."""

    header: DomainHeader
    number: int
    timestamp: int
    base_fee: int
    transactions: tuple[EvmTransaction, ...]
    outcomes: tuple[EvmOutcome, ...]

    @property
    def hash(self) -> bytes:
        return self.header.hash()

    def outcome_of(self, transaction_hash: bytes) -> tuple[int, EvmOutcome] | None:
        for index, outcome in enumerate(self.outcomes):
            if outcome.transaction_hash == transaction_hash:
                return index, outcome
        return None


def read_block(chain: DomainChain, number: int) -> EvmBlock | None:
    """Domain block `number` (0: genesis) as clients see it; None when not derived."""
    if number == 0:
        return EvmBlock(chain.genesis_header, 0, 0, compute_base_fee(0), (), ())
    record = chain.block(number)
    return None if record is None else _from_record(chain, number, record)


def read_state_head(chain: DomainChain, number: int) -> tuple[bytes, int] | None:
    """(state root, timestamp in s) of domain block `number`, without decoding its transactions or outcomes (what
    a state read needs); None when not derived."""
    if number == 0:
        return chain.genesis_header.state_root, 0
    record = chain.block(number)
    if record is None:
        return None
    for encoded in record.extrinsics[:2]:  # the inherents open the block
        decoded = decode_evm_extrinsic(decode_opaque(encoded))
        if isinstance(decoded, Inherent) and decoded.kind == INHERENT_TIMESTAMP:
            return record.header.state_root, decoded.value // 1000
    return record.header.state_root, 0


def _from_record(chain: DomainChain, number: int, record: DomainBlockRecord) -> EvmBlock:
    timestamp_ms, byte_fee = 0, 0
    transactions: list[EvmTransaction] = []
    for encoded in record.extrinsics:
        decoded = decode_evm_extrinsic(decode_opaque(encoded))
        if isinstance(decoded, Inherent):
            if decoded.kind == INHERENT_TIMESTAMP:
                timestamp_ms = decoded.value
            elif decoded.kind == INHERENT_BYTE_FEE:
                byte_fee = decoded.value
        else:
            transactions.append(decoded)
    outcomes = tuple(EvmOutcome.from_bytes(raw) for raw in chain.outcomes(number))
    dispatched = {outcome.transaction_hash for outcome in outcomes}
    executed = tuple(transaction for transaction in transactions if transaction.hash in dispatched)
    return EvmBlock(record.header, number, timestamp_ms // 1000, compute_base_fee(byte_fee), executed, outcomes)


def block_json(block: EvmBlock, full: bool, chain_id: int) -> dict[str, Any]:
    receipts = [
        encode_ethereum_receipt(outcome, transaction.type_id)
        for transaction, outcome in zip(block.transactions, block.outcomes, strict=True)
    ]
    receipts_trie = HexaryTrie({})
    for index, receipt in enumerate(receipts):
        receipts_trie[rlp.encode(index)] = receipt
    receipts_root = receipts_trie.root_hash
    bloom = 0
    for outcome in block.outcomes:
        bloom |= outcome.bloom()
    transactions: list[Any] = [
        transaction_json(transaction, block, index, chain_id) if full else data(transaction.hash)
        for index, transaction in enumerate(block.transactions)
    ]
    gas_used = block.outcomes[-1].cumulative_gas_used if block.outcomes else 0
    return {
        "number": quantity(block.number),
        "hash": data(block.hash),
        "parentHash": data(block.header.parent_hash),
        "nonce": "0x0000000000000000",
        "sha3Uncles": data(EMPTY_UNCLES_HASH),
        "logsBloom": data(bloom.to_bytes(256, "big")),
        "transactionsRoot": data(block.header.extrinsics_root),
        "stateRoot": data(block.header.state_root),
        "receiptsRoot": data(receipts_root),
        "miner": ZERO_ADDRESS,
        "difficulty": "0x0",
        "totalDifficulty": "0x0",
        "extraData": "0x",
        "size": quantity(len(block.header.to_bytes()) + sum(len(t.raw) for t in block.transactions)),
        "gasLimit": quantity(BLOCK_GAS_LIMIT),
        "gasUsed": quantity(gas_used),
        "timestamp": quantity(block.timestamp),
        "baseFeePerGas": quantity(block.base_fee),
        "mixHash": data(bytes(32)),
        "transactions": transactions,
        "uncles": [],
    }


def transaction_json(
    transaction: EvmTransaction, block: EvmBlock | None, index: int | None, chain_id: int
) -> dict[str, Any]:
    """A transaction object (`block` None: a pooled transaction)."""
    signed = transaction.transaction
    type_id = transaction.type_id
    result: dict[str, Any] = {
        "hash": data(transaction.hash),
        "type": quantity(type_id),
        "nonce": quantity(signed.nonce),
        "blockHash": None if block is None else data(block.hash),
        "blockNumber": None if block is None else quantity(block.number),
        "transactionIndex": None if index is None else quantity(index),
        "from": address(transaction.sender),
        "to": None if not signed.to else address(signed.to),
        "value": quantity(signed.value),
        "gas": quantity(signed.gas),
        "input": data(signed.data),
        "r": quantity(signed.r),
        "s": quantity(signed.s),
        "v": quantity(signed.y_parity if type_id else signed.v),  # type: ignore[attr-defined]
        "chainId": quantity(chain_id),
    }
    if type_id == 0:
        result["gasPrice"] = quantity(signed.gas_price)
        return result
    result["yParity"] = quantity(signed.y_parity)
    result["accessList"] = [
        {"address": address(entry[0]), "storageKeys": [data(key.to_bytes(32, "big")) for key in entry[1]]}
        for entry in signed.access_list
    ]
    if type_id == 1:
        result["gasPrice"] = quantity(signed.gas_price)
    else:
        result["maxFeePerGas"] = quantity(signed.max_fee_per_gas)
        result["maxPriorityFeePerGas"] = quantity(signed.max_priority_fee_per_gas)
        price = (
            signed.max_fee_per_gas
            if block is None
            else min(signed.max_fee_per_gas, block.base_fee + signed.max_priority_fee_per_gas)
        )
        result["gasPrice"] = quantity(price)
    return result


def log_json(block: EvmBlock, index: int, outcome: EvmOutcome, log_index: int, entry: int) -> dict[str, Any]:
    log_address, topics, payload = outcome.logs[entry]
    return {
        "address": address(log_address),
        "topics": [data(topic) for topic in topics],
        "data": data(payload),
        "blockNumber": quantity(block.number),
        "blockHash": data(block.hash),
        "transactionHash": data(outcome.transaction_hash),
        "transactionIndex": quantity(index),
        "logIndex": quantity(log_index),
        "removed": False,
    }


def block_logs(block: EvmBlock) -> list[tuple[int, int, EvmOutcome, int]]:
    """(transaction index, block-wide log index, outcome, index in the outcome's logs) of every log."""
    found: list[tuple[int, int, EvmOutcome, int]] = []
    for index, outcome in enumerate(block.outcomes):
        for entry in range(len(outcome.logs)):
            found.append((index, len(found), outcome, entry))
    return found


def receipt_json(block: EvmBlock, transaction: EvmTransaction) -> dict[str, Any] | None:
    located = block.outcome_of(transaction.hash)
    if located is None:
        return None
    index, outcome = located
    first_log = sum(len(previous.logs) for previous in block.outcomes[:index])
    signed = transaction.transaction
    return {
        "transactionHash": data(outcome.transaction_hash),
        "transactionIndex": quantity(index),
        "blockHash": data(block.hash),
        "blockNumber": quantity(block.number),
        "from": address(transaction.sender),
        "to": None if not signed.to else address(signed.to),
        "cumulativeGasUsed": quantity(outcome.cumulative_gas_used),
        "gasUsed": quantity(outcome.gas_used),
        "effectiveGasPrice": quantity(outcome.effective_gas_price),
        "contractAddress": address(outcome.contract_address) if outcome.contract_address else None,
        "logs": [log_json(block, index, outcome, first_log + entry, entry) for entry in range(len(outcome.logs))],
        "logsBloom": data(compute_logs_bloom(outcome.logs).to_bytes(256, "big")),
        "status": "0x1" if outcome.success else "0x0",
        "type": quantity(transaction.type_id),
    }
