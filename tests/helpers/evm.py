"""An in-process EVM for the StakeManager tests: a py-evm Cancun chain with funded accounts, signed type-2
transactions each mined in a block of its own, contract deployment and ABI-encoded calls and logs, and the
StakeToken + StakeManager market the tests start from.

Each transaction is mined in a block of its own, so block numbers are exact; gas is free (base fee 0, zero fee
caps), so native balances change only by values sent; the genesis timestamp lies in the future, so every block
timestamp (and so every block hash) is deterministic.

py-evm and eth-account are test extras: a test module calls `pytest.importorskip("eth")` and
`pytest.importorskip("eth_account")` before importing this one, so it is skipped when they are missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import eth_abi
import rlp
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.vm.forks import CancunVM
from eth.vm.spoof import SpoofTransaction
from eth_account import Account
from eth_utils import keccak

from autonomys.protocol.domains.contracts import Contract, load_contract
from autonomys.protocol.domains.stake_manager import STAN_STAKE

CHAIN_ID = 1337
TOKEN = 10**18
STAN = STAN_STAKE
ZERO_ADDRESS = b"\x00" * 20
UINT256_MAX = 2**256 - 1
GENESIS_GAS_LIMIT = 10**10
"""py-evm moves each block's gas limit 1/1024 towards its floor: from 10**10 it stays above the 15M a transaction
may use for about 6,600 blocks; a test here mines at most about 1,300."""
KEYS = {name: bytes([index + 1]) * 32 for index, name in enumerate(("deployer", "A", "B", "C", "D", "requester"))}


@dataclass(frozen=True)
class Outcome:
    """A mined transaction: whether it succeeded, its revert reason, its return data and its logs."""

    success: bool
    reason: str
    output: bytes
    logs: tuple[tuple[bytes, tuple[int, ...], bytes], ...]
    block_number: int


def abi_type(parameter: dict[str, Any]) -> str:
    if parameter["type"] == "tuple":
        return "(" + ",".join(abi_type(component) for component in parameter["components"]) + ")"
    return str(parameter["type"])


def revert_reason(output: bytes) -> str:
    if output[:4] == keccak(text="Error(string)")[:4]:
        return str(eth_abi.decode(["string"], output[4:])[0])
    return output.hex()


class Evm:
    """A py-evm Cancun chain with funded accounts; every transaction gets a block of its own."""

    def __init__(self) -> None:
        self.accounts = {name: Account.from_key(key) for name, key in KEYS.items()}
        self.addresses = {name: bytes.fromhex(account.address[2:]) for name, account in self.accounts.items()}
        chain_class = MiningChain.configure(
            __name__="StakeManagerTestChain", vm_configuration=((0, CancunVM),), chain_id=CHAIN_ID
        )
        genesis = {
            "difficulty": 0,
            "gas_limit": GENESIS_GAS_LIMIT,
            "timestamp": 4_000_000_000,
            "base_fee_per_gas": 0,
            "coinbase": ZERO_ADDRESS,
        }
        funded = {
            address: {"balance": 10**24, "nonce": 0, "code": b"", "storage": {}} for address in self.addresses.values()
        }
        self.chain = chain_class.from_genesis(AtomicDB(), genesis, funded)

    @property
    def pending_block_number(self) -> int:
        return int(self.chain.header.block_number)

    def mine_to(self, block_number: int) -> None:
        """Mine empty blocks until the next transaction lands in block_number."""
        assert self.pending_block_number <= block_number
        while self.pending_block_number < block_number:
            self.chain.mine_block()

    def block_hash(self, block_number: int) -> bytes:
        return bytes(self.chain.get_canonical_block_header_by_number(block_number).hash)

    def balance(self, address: bytes) -> int:
        return int(self.chain.get_vm().state.get_balance(address))

    def storage(self, address: bytes, slot: int) -> int:
        return int(self.chain.get_vm().state.get_storage(address, slot))

    def send(self, sender: str, to: bytes | None, data: bytes, value: int = 0) -> Outcome:
        nonce = self.chain.get_vm().state.get_nonce(self.addresses[sender])
        fields = {"type": 2, "chainId": CHAIN_ID, "nonce": nonce, "value": value, "gas": 15_000_000, "data": data}
        fields |= {"maxFeePerGas": 0, "maxPriorityFeePerGas": 0, "to": b"" if to is None else to}
        raw = self.accounts[sender].sign_transaction(fields).raw_transaction
        transaction = self.chain.get_vm().get_transaction_builder().decode(bytes(raw))
        block_number = self.pending_block_number
        _, _, computation = self.chain.apply_transaction(transaction)
        self.chain.mine_block()
        output = computation.output
        return Outcome(
            not computation.is_error,
            revert_reason(output) if computation.is_error else "",
            output,
            computation.get_log_entries(),
            block_number,
        )

    def deploy(self, sender: str, init_code: bytes) -> bytes:
        nonce = self.chain.get_vm().state.get_nonce(self.addresses[sender])
        outcome = self.send(sender, None, init_code)
        assert outcome.success, outcome.reason
        # A CREATE address: the last 20 bytes of keccak(rlp([sender, nonce])).
        return keccak(rlp.encode([self.addresses[sender], nonce]))[12:]

    def call(self, sender: str, to: bytes, data: bytes) -> tuple[bool, bytes]:
        """Execute data against the pending block without a transaction (block.number = the pending number)."""
        unsigned = self.chain.get_vm().create_unsigned_transaction(
            nonce=self.chain.get_vm().state.get_nonce(self.addresses[sender]),
            gas_price=0,
            gas=15_000_000,
            to=to,
            value=0,
            data=data,
        )
        with self.chain.get_vm(self.chain.header).in_costless_state() as state:
            computation = state.costless_execute_transaction(SpoofTransaction(unsigned, from_=self.addresses[sender]))
        return not computation.is_error, computation.output


class Deployed:
    """A deployed contract: ABI-encoded calls and transactions by function name."""

    def __init__(self, evm: Evm, contract: Contract, address: bytes) -> None:
        self.evm, self.contract, self.address = evm, contract, address
        self.functions = {entry["name"]: entry for entry in contract.abi if entry["type"] == "function"}
        self.events = {entry["name"]: entry for entry in contract.abi if entry["type"] == "event"}

    def encode(self, name: str, arguments: tuple[Any, ...]) -> bytes:
        entry = self.functions[name]
        types = [abi_type(parameter) for parameter in entry["inputs"]]
        selector = keccak(text=f"{name}({','.join(types)})")[:4]
        return selector + eth_abi.encode(types, list(arguments))

    def call(self, name: str, *arguments: Any, sender: str = "deployer") -> Any:
        success, output = self.evm.call(sender, self.address, self.encode(name, arguments))
        assert success, revert_reason(output)
        decoded = eth_abi.decode([abi_type(parameter) for parameter in self.functions[name]["outputs"]], output)
        return decoded[0] if len(decoded) == 1 else decoded

    def call_reverts(self, name: str, *arguments: Any, sender: str = "deployer") -> str:
        success, output = self.evm.call(sender, self.address, self.encode(name, arguments))
        assert not success
        return revert_reason(output)

    def transact(self, sender: str, name: str, *arguments: Any, value: int = 0) -> Outcome:
        return self.evm.send(sender, self.address, self.encode(name, arguments), value)

    def decode_logs(self, outcome: Outcome, name: str) -> list[dict[str, Any]]:
        entry = self.events[name]
        signature = f"{name}({','.join(abi_type(parameter) for parameter in entry['inputs'])})"
        topic = int.from_bytes(keccak(text=signature), "big")
        found = []
        for address, topics, data in outcome.logs:
            if address != self.address or topics[0] != topic:
                continue
            indexed = [parameter for parameter in entry["inputs"] if parameter["indexed"]]
            plain = [parameter for parameter in entry["inputs"] if not parameter["indexed"]]
            values = dict(
                zip([p["name"] for p in plain], eth_abi.decode([abi_type(p) for p in plain], data), strict=True)
            )
            for parameter, word in zip(indexed, topics[1:], strict=True):
                values[parameter["name"]] = eth_abi.decode([abi_type(parameter)], word.to_bytes(32, "big"))[0]
            found.append(values)
        return found


def deploy(evm: Evm, name: str, argument_types: list[str], arguments: list[Any]) -> Deployed:
    contract = load_contract(name)
    address = evm.deploy("deployer", contract.bytecode + eth_abi.encode(argument_types, arguments))
    return Deployed(evm, contract, address)


def raw_contract(evm: Evm, runtime: bytes) -> bytes:
    """Deploy hand-written runtime code behind a 12-byte CODECOPY/RETURN constructor."""
    size = len(runtime)
    init = bytes([0x60, size, 0x60, 0x0C, 0x60, 0x00, 0x39, 0x60, size, 0x60, 0x00, 0xF3]) + runtime
    return evm.deploy("deployer", init)


STORE_WORD = bytes.fromhex("60003560005500")
"""A call target: stores the first calldata word in slot 0 (PUSH1 0 CALLDATALOAD PUSH1 0 SSTORE STOP)."""
ALWAYS_REVERT = bytes.fromhex("600080fd")
"""A call target that reverts every call (PUSH1 0 DUP1 REVERT)."""


@dataclass
class Market:
    evm: Evm
    token: Deployed
    manager: Deployed

    def address(self, name: str) -> bytes:
        return self.evm.addresses[name]

    def stakes(self) -> list[bytes]:
        length = self.manager.call("stakesLength")
        return [bytes.fromhex(self.manager.call("stakeAt", index)[2:]) for index in range(length)]

    def stake_units(self, *names: str) -> None:
        for name in names:
            assert self.manager.transact(name, "stake", STAN).success

    def executor(self) -> bytes:
        return bytes.fromhex(self.manager.call("getExecutor")[2:])


def make_market() -> Market:
    evm = Evm()
    token = deploy(evm, "StakeToken", ["string", "string", "uint256"], ["Auto Stake", "STAKE", 10**9 * TOKEN])
    manager = deploy(evm, "StakeManager", ["address"], [token.address])
    for name in ("A", "B", "C", "D"):
        assert token.transact("deployer", "transfer", evm.addresses[name], 10**6 * TOKEN).success
        assert token.transact(name, "approve", manager.address, UINT256_MAX).success
    return Market(evm, token, manager)


def address_of(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def address_to_text(address: bytes) -> str:
    return str(eth_abi.decode(["address"], b"\x00" * 12 + address)[0])
