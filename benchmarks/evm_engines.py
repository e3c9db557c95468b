"""EVM engines for the EVM domain runtime: py-evm against pyrevm on the same signed EIP-1559 transactions.

    python benchmarks/evm_engines.py [--transactions 1000]

One workload, signed once with eth-account: N transfers from N distinct funded senders to N fresh recipients,
a CREATE of a small Vyper storage contract, then N calls (one per sender) that each SSTORE a new slot. Run on:
  py-evm      the latest fork in eth.vm.forks (LATEST_VM) through state.apply_transaction, the lowest API that
              still recovers the sender and checks nonce, balance and the fee cap: with a state root after every
              transaction (make_state_root; time split into decode + ecrecover, execution, root), with one root at
              the end, and with the root persisted into a counting key-value store after every transaction; and,
              for the transfers, through vm.apply_transaction on a MiningChain (receipts, block gas limit).
  pyrevm      EVM.message_call / EVM.deploy from a caller address: raw (no signature, no fee, no nonce bump: the
              probe below shows it), then "as a transaction" (the same decode + ecrecover, revm checking nonce,
              chain id and balance through TxEnv, the EIP-1559 fee and the nonce bump applied by this script),
              then the same with every touched account mirrored into py-evm's AccountDB for a root per transaction.
Every state root sequence is checked against py-evm's, and the persisted trie is reopened at the final root.
The floor, measured in the same run: one secp256k1 recovery per transaction (Account.recover_transaction).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from typing import Any, cast

import eth_keys
import rlp
import vyper
from eth._utils.address import generate_contract_address
from eth.abc import SignedTransactionAPI, StateAPI
from eth.chains.base import MiningChain
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3, SECPK1_N
from eth.db.account import AccountDB
from eth.db.atomic import AtomicDB
from eth.db.backends.base import BaseDB
from eth.vm.execution_context import ExecutionContext
from eth.vm.forks import LATEST_VM
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_typing import Address, BlockNumber, Hash32
from pyrevm import EVM, AccountInfo, BlockEnv, CfgEnv, Env, TxEnv

VM = LATEST_VM
PYREVM_SPEC = "CANCUN"  # py-evm runs Prague: same gas here (no EIP-7702 tx, calldata above the EIP-7623 floor)
CHAIN_ID = 870
BASE_FEE = 10**9
MAX_FEE = 2 * 10**9
PRIORITY_FEE = 10**8
ENDOWMENT = 10**21
COINBASE = Address(b"\xc0" * 20)
TIMESTAMP = 1_767_225_600
PREV_RANDAO = Hash32(keccak(b"prev randao"))
BLOCK_GAS_LIMIT = 200_000_000
CONTRACT_SOURCE = """# pragma version ^0.4.0
values: public(HashMap[address, uint256])

@external
def store(new_value: uint256):
    self.values[msg.sender] = new_value
"""


@dataclasses.dataclass(frozen=True)
class Intent:
    """What a signed transaction asks, for the engine that executes from an address (pyrevm raw)."""

    sender: Address
    to: Address
    value: int
    data: bytes
    gas: int


@dataclasses.dataclass(frozen=True)
class Workload:
    """The signed transactions and what they mean."""

    funded: list[Address]
    transfers: list[bytes]
    transfer_intents: list[Intent]
    deployment: bytes
    deployment_intent: Intent
    contract: Address
    calls: list[bytes]
    call_intents: list[Intent]
    call_slots: list[int]


@dataclasses.dataclass
class Run:
    """Seconds per part of one engine run, the roots it produced and its phase split (seconds)."""

    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    roots: dict[str, list[Hash32]] = dataclasses.field(default_factory=dict)
    phases: dict[str, float] = dataclasses.field(default_factory=dict)
    node_writes: int = 0
    written_bytes: int = 0

    def add(self, phase: str, seconds: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + seconds


class CountingDB(BaseDB):
    """A dict under py-evm's AtomicDB that counts the trie's writes: the shape of any store plugged below the EVM
    state (eth.db.backends.base BaseDB: __getitem__, __setitem__, __delitem__, and _exists for `in`)."""

    def __init__(self) -> None:
        self.entries: dict[bytes, bytes] = {}
        self.writes = 0
        self.written_bytes = 0

    def __getitem__(self, key: bytes) -> bytes:
        return self.entries[key]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.writes += 1
        self.written_bytes += len(key) + len(value)
        self.entries[key] = value

    def __delitem__(self, key: bytes) -> None:
        del self.entries[key]

    def _exists(self, key: bytes) -> bool:
        return key in self.entries


def hex_address(address: bytes) -> str:
    """The 0x-hex form pyrevm takes."""
    return "0x" + address.hex()


def sign(key: LocalAccount, nonce: int, to: bytes, value: int, data: bytes, gas: int, **override: int) -> bytes:
    """One signed EIP-1559 transaction (type 2), fields overridable for the probe."""
    fields: dict[str, Any] = {
        "type": 2,
        "chainId": CHAIN_ID,
        "nonce": nonce,
        "maxFeePerGas": MAX_FEE,
        "gas": gas,
        "value": value,
    }
    fields |= {"maxPriorityFeePerGas": PRIORITY_FEE, "data": data, "to": to}
    return bytes(key.sign_transaction(fields | override).raw_transaction)


def build_workload(count: int) -> Workload:
    """count transfers, one CREATE of CONTRACT_SOURCE, count calls of store(i + 1) from the same senders."""
    compiled = vyper.compile_code(CONTRACT_SOURCE, output_formats=["bytecode", "method_identifiers"])
    initcode = bytes.fromhex(compiled["bytecode"][2:])
    selector = bytes.fromhex(compiled["method_identifiers"]["store(uint256)"][2:])
    keys = [Account.from_key(keccak(b"sender" + index.to_bytes(4, "big"))) for index in range(count + 1)]
    senders = [Address(bytes.fromhex(key.address[2:])) for key in keys]
    deployer, contract = senders[count], generate_contract_address(senders[count], 0)
    recipients = [Address(keccak(b"recipient" + index.to_bytes(4, "big"))[:20]) for index in range(count)]
    transfer_intents = [Intent(senders[i], recipients[i], 10**18 + i, b"", 21_000) for i in range(count)]
    call_intents = [
        Intent(senders[i], contract, 0, selector + (i + 1).to_bytes(32, "big"), 100_000) for i in range(count)
    ]
    deployment_intent = Intent(deployer, Address(b""), 0, initcode, 500_000)
    # Vyper HashMap slot of `values[key]`: keccak256(slot 0 ++ key), each a 32-byte word.
    call_slots = [int.from_bytes(keccak(bytes(32) + bytes(12) + sender), "big") for sender in senders[:count]]
    return Workload(
        funded=senders,
        transfers=[sign(keys[i], 0, x.to, x.value, x.data, x.gas) for i, x in enumerate(transfer_intents)],
        transfer_intents=transfer_intents,
        deployment=sign(keys[count], 0, b"", 0, initcode, deployment_intent.gas),
        deployment_intent=deployment_intent,
        contract=contract,
        calls=[sign(keys[i], 1, x.to, x.value, x.data, x.gas) for i, x in enumerate(call_intents)],
        call_intents=call_intents,
        call_slots=call_slots,
    )


def execution_context() -> ExecutionContext:
    """The block context without a chain: PREVRANDAO is mix_hash, BLOCKHASH reads prev_hashes (newest first)."""
    return ExecutionContext(
        coinbase=COINBASE,
        timestamp=TIMESTAMP,
        block_number=BlockNumber(1),
        difficulty=0,
        mix_hash=PREV_RANDAO,
        gas_limit=BLOCK_GAS_LIMIT,
        prev_hashes=(),
        chain_id=CHAIN_ID,
        base_fee_per_gas=BASE_FEE,
        excess_blob_gas=0,
    )


def genesis_state(workload: Workload, store: BaseDB) -> StateAPI:
    """A py-evm state over `store` with the funded accounts, persisted."""
    state = VM.get_state_class()(AtomicDB(store), execution_context(), BLANK_ROOT_HASH)
    for address in workload.funded:
        state.set_balance(address, ENDOWMENT)
    state.persist()
    return state


def decode(raw: bytes) -> SignedTransactionAPI:
    """RLP decode + sender recovery (cached on the object), plus the chain id check py-evm does not make."""
    transaction = VM.get_transaction_builder().decode(raw)
    _ = transaction.sender
    if transaction.chain_id != CHAIN_ID:
        raise ValueError("wrong chain id")
    return transaction


def apply_py_evm(state: StateAPI, raws: Sequence[bytes], root_mode: str, run: Run, part: str) -> list[Hash32]:
    """Apply each transaction with state.apply_transaction; root_mode is "each", "persist" or "end"."""
    roots: list[Hash32] = []
    for raw in raws:
        started = time.perf_counter()
        transaction = decode(raw)
        decoded = time.perf_counter()
        state.lock_changes()  # a new transaction: resets the EIP-2929 warm sets, as VM.apply_transaction does
        computation = state.apply_transaction(transaction)
        if computation.is_error:
            raise RuntimeError(f"py-evm transaction failed: {computation.error}")
        executed = time.perf_counter()
        if root_mode == "persist":
            state.persist()
            roots.append(state.state_root)
        elif root_mode == "each":
            roots.append(state.make_state_root())
        finished = time.perf_counter()
        run.add(f"{part} decode + ecrecover", decoded - started)
        run.add(f"{part} execute", executed - decoded)
        run.add(f"{part} root", finished - executed)
    if root_mode == "end":
        started = time.perf_counter()
        roots.append(state.make_state_root())
        run.add(f"{part} root", time.perf_counter() - started)
    return roots


def run_py_evm(workload: Workload, root_mode: str, store: CountingDB) -> Run:
    """The whole workload on py-evm from genesis, each part timed."""
    run = Run()
    state = genesis_state(workload, store)
    genesis_writes, genesis_bytes = store.writes, store.written_bytes
    for part, raws in (("transfers", workload.transfers), ("deploy", [workload.deployment]), ("calls", workload.calls)):
        started = time.perf_counter()
        run.roots[part] = apply_py_evm(state, raws, root_mode, run, part)
        run.seconds[part] = time.perf_counter() - started
    run.node_writes, run.written_bytes = store.writes - genesis_writes, store.written_bytes - genesis_bytes
    return run


def run_py_evm_vm(workload: Workload) -> Run:
    """The transfers through VM.apply_transaction on a MiningChain (receipts, cumulative gas against the header)."""
    chain_class = MiningChain.configure(__name__="EvmDomainChain", vm_configuration=((0, VM),), chain_id=CHAIN_ID)
    parameters: dict[str, Any] = {
        "coinbase": COINBASE,
        "difficulty": 0,
        "gas_limit": BLOCK_GAS_LIMIT,
        "timestamp": TIMESTAMP - 6,
    }
    parameters |= {"base_fee_per_gas": BASE_FEE, "extra_data": b"", "nonce": bytes(8), "mix_hash": bytes(32)}
    accounts: dict[Address, Any] = {
        address: {"balance": ENDOWMENT, "nonce": 0, "code": b"", "storage": {}} for address in workload.funded
    }
    chain = cast(MiningChain, chain_class.from_genesis(AtomicDB(), parameters, accounts))
    header = chain.header.copy(coinbase=COINBASE, timestamp=TIMESTAMP, base_fee_per_gas=BASE_FEE, mix_hash=PREV_RANDAO)
    vm = chain.get_vm(header)
    run, roots = Run(), []
    started = time.perf_counter()
    for raw in workload.transfers:
        receipt, computation = vm.apply_transaction(header, decode(raw))
        if computation.is_error:
            raise RuntimeError("py-evm VM transaction failed")
        header = vm.add_receipt_to_header(header, receipt)
        roots.append(vm.state.make_state_root())
    run.seconds["transfers"] = time.perf_counter() - started
    run.roots["transfers"] = roots
    return run


def new_pyrevm(funded: Sequence[Address]) -> EVM:
    """A pyrevm EVM with the same block context and funded accounts."""
    # message_call and deploy replace the block's base fee with 0 and its gas limit with EVM(gas_limit=...).
    block = BlockEnv(1, hex_address(COINBASE), TIMESTAMP, 0, PREV_RANDAO, BASE_FEE, BLOCK_GAS_LIMIT)
    evm = EVM(env=Env(cfg=CfgEnv(chain_id=CHAIN_ID), block=block), spec_id=PYREVM_SPEC)
    for address in funded:
        evm.set_balance(hex_address(address), ENDOWMENT)
    return evm


def pyrevm_execute(evm: EVM, intent: Intent, gas_price: int) -> int:
    """One message_call or deploy; returns the gas used."""
    if intent.to:
        evm.message_call(
            hex_address(intent.sender), hex_address(intent.to), intent.data, intent.value, intent.gas, gas_price
        )
    else:
        evm.deploy(hex_address(intent.sender), intent.data, intent.value, intent.gas, gas_price)
    result = evm.result
    if result is None or not result.is_success:
        raise RuntimeError("pyrevm transaction failed")
    return result.gas_used


def pyrevm_transact(evm: EVM, raw: bytes, run: Run) -> Intent:
    """A signed transaction on pyrevm: decode + ecrecover, revm's nonce / chain id / balance checks through TxEnv,
    then the EIP-1559 charge settled by this script (the sender pays the effective price, the coinbase gets the
    tip, the base fee is burned): message_call charges nothing and leaves the nonce, deploy charges gas used x the
    gas price given (base fee forced to 0, so all of it to the coinbase) and bumps the nonce."""
    started = time.perf_counter()
    transaction = decode(raw)
    decoded = time.perf_counter()
    if transaction.max_fee_per_gas < BASE_FEE or transaction.max_priority_fee_per_gas > transaction.max_fee_per_gas:
        raise ValueError("fee cap")
    intent = Intent(transaction.sender, transaction.to, transaction.value, transaction.data, transaction.gas)
    sender, coinbase = hex_address(intent.sender), hex_address(COINBASE)
    balance_before = evm.get_balance(sender)
    evm.set_tx_env(TxEnv(nonce=transaction.nonce, chain_id=transaction.chain_id))
    gas_used = pyrevm_execute(evm, intent, transaction.max_fee_per_gas)  # revm checks gas * max fee + value
    price = min(transaction.max_fee_per_gas, BASE_FEE + transaction.max_priority_fee_per_gas)
    info = evm.basic(sender)
    charged = balance_before - intent.value - info.balance
    nonce = info.nonce + 1 if intent.to else info.nonce
    settled = AccountInfo(balance=info.balance + charged - gas_used * price, nonce=nonce)  # type: ignore[call-arg]
    evm.insert_account_info(sender, settled)  # the stub omits AccountInfo(balance=...); the extension takes it
    evm.set_balance(coinbase, evm.get_balance(coinbase) - charged + gas_used * (price - BASE_FEE))
    run.add("decode + ecrecover", decoded - started)
    run.add("execute + fee", time.perf_counter() - decoded)
    return intent


def deployed_code(evm: EVM, address: str, code_hash: bytes) -> bytes:
    """The code behind code_hash: EVM.get_code returns revm's analysed bytecode, padded with up to 33 zero bytes."""
    code = evm.get_code(address) or b""
    for end in range(len(code), max(len(code) - 34, -1), -1):
        if keccak(code[:end]) == code_hash:
            return code[:end]
    raise RuntimeError(f"no prefix of the code at {address} hashes to its code hash")


def mirror_root(
    evm: EVM, mirror: AccountDB, touched: Sequence[Address], storage: Sequence[tuple[Address, int]]
) -> Hash32:
    """Copy the accounts and slots a transaction touched from pyrevm into py-evm's AccountDB; its state root."""
    for address in touched:
        info = evm.basic(hex_address(address))
        mirror.set_balance(address, info.balance)
        mirror.set_nonce(address, info.nonce)
        code_hash = info.code_hash
        if code_hash is not None and code_hash != EMPTY_SHA3 and not mirror.get_code(address):
            mirror.set_code(address, deployed_code(evm, hex_address(address), code_hash))
    for address, slot in storage:
        mirror.set_storage(address, slot, evm.storage(hex_address(address), slot))
    return mirror.make_state_root()


def run_pyrevm(workload: Workload, mode: str) -> Run:
    """mode "raw": message_call from the intent's address; "transact": pyrevm_transact; "root": plus a mirror root."""
    run, evm = Run(), new_pyrevm(workload.funded)
    mirror = AccountDB(AtomicDB())
    for address in workload.funded:
        mirror.set_balance(address, ENDOWMENT)
    mirror.make_state_root()
    parts = (
        ("transfers", workload.transfers, workload.transfer_intents, [()] * len(workload.transfers)),
        ("deploy", [workload.deployment], [workload.deployment_intent], [()]),
        ("calls", workload.calls, workload.call_intents, [((workload.contract, s),) for s in workload.call_slots]),
    )
    for part, raws, intents, slots in parts:
        roots, started = [], time.perf_counter()
        for raw, known, storage in zip(raws, intents, slots, strict=True):
            if mode == "raw":
                pyrevm_execute(evm, known, 0)
                continue
            intent = pyrevm_transact(evm, raw, run)
            if mode == "root":
                before = time.perf_counter()
                touched = (intent.sender, intent.to or workload.contract, COINBASE)
                roots.append(mirror_root(evm, mirror, touched, storage))
                run.add("mirror + root", time.perf_counter() - before)
        run.seconds[part], run.roots[part] = time.perf_counter() - started, roots
    return run


def measure_floor(raws: Sequence[bytes]) -> float:
    """Seconds per Account.recover_transaction: one secp256k1 recovery with its decode and hash."""
    started = time.perf_counter()
    for raw in raws:
        Account.recover_transaction(raw)
    return (time.perf_counter() - started) / len(raws)


def probe_py_evm() -> list[str]:
    """What py-evm's state.apply_transaction rejects on its own: the runtime must add what it accepts."""
    key = Account.from_key(keccak(b"probe"))
    sender = Address(bytes.fromhex(key.address[2:]))
    to = b"\x22" * 20
    high_s = rlp.decode(sign(key, 0, to, 1, b"", 21_000)[1:])
    high_s[9:12] = [
        b"" if high_s[9] else b"\x01",
        high_s[10],
        (SECPK1_N - rlp.sedes.big_endian_int.deserialize(high_s[11])),
    ]
    affordable = ENDOWMENT - 21_000 * (BASE_FEE + PRIORITY_FEE)  # value + gas x effective price = balance
    cases: list[tuple[str, Callable[[], bytes], bytes]] = [
        ("wrong chain id", lambda: sign(key, 0, to, 1, b"", 21_000, chainId=CHAIN_ID + 1), b""),
        ("priority fee > max fee", lambda: sign(key, 0, to, 1, b"", 21_000, maxPriorityFeePerGas=3 * MAX_FEE), b""),
        ("sender has code (EIP-3607)", lambda: sign(key, 0, to, 1, b"", 21_000), b"\x00"),
        ("gas above block gas limit", lambda: sign(key, 0, to, 1, b"", BLOCK_GAS_LIMIT + 1), b""),
        ("high-s twin (EIP-2)", lambda: b"\x02" + rlp.encode(high_s), b""),
        ("nonce too high", lambda: sign(key, 1, to, 1, b"", 21_000), b""),
        ("value above balance", lambda: sign(key, 0, to, ENDOWMENT, b"", 21_000), b""),
        ("gas x max fee over balance", lambda: sign(key, 0, to, affordable, b"", 21_000), b""),
        ("gas below intrinsic", lambda: sign(key, 0, to, 1, b"", 20_000), b""),
    ]
    lines = []
    for label, make, code in cases:
        state = VM.get_state_class()(AtomicDB(), execution_context(), BLANK_ROOT_HASH)
        state.set_balance(sender, ENDOWMENT)
        state.set_code(sender, code)
        try:
            state.apply_transaction(VM.get_transaction_builder().decode(make()))
            outcome = "ACCEPTED"
        except Exception as error:  # the probe reports whatever py-evm raises
            dirty = " after buying gas and bumping the nonce" if state.get_nonce(sender) else ""
            outcome = f"rejected{dirty} ({type(error).__name__}: {str(error)[:60]})"
        lines.append(f"  {label:<28} {outcome}")
    return lines


def probe_pyrevm(initcode: bytes) -> list[str]:
    """What pyrevm's message_call and deploy do with a caller's fee and nonce, and what state EVM exposes."""
    evm = new_pyrevm([])
    caller, callee, coinbase = hex_address(b"\x01" * 20), hex_address(b"\x02" * 20), hex_address(COINBASE)
    evm.set_balance(caller, ENDOWMENT)
    evm.message_call(caller, callee, b"", 1, 21_000, MAX_FEE)
    call = f"charged {ENDOWMENT - 1 - evm.get_balance(caller)} wei, coinbase got {evm.get_balance(coinbase)}"
    call_nonce = evm.basic(caller).nonce
    evm.deploy(caller, initcode, 0, 500_000, MAX_FEE)
    gas_used = evm.result.gas_used if evm.result else 0
    deploy = f"charged {ENDOWMENT - 1 - evm.get_balance(caller)} wei = {gas_used} gas x {MAX_FEE}, nonce now "
    deploy += f"{evm.basic(caller).nonce}, coinbase got {evm.get_balance(coinbase)}"
    evm.set_tx_env(TxEnv(nonce=5, chain_id=CHAIN_ID))
    try:
        evm.message_call(caller, callee, b"", 1, 21_000, MAX_FEE)
        nonce_check = "not checked"
    except RuntimeError as error:
        nonce_check = f"checked when TxEnv.nonce is set ({str(error)[:40]})"
    rooted = [name for name in dir(evm) if "root" in name or "trie" in name or "hash" in name]
    return [
        f"  message_call(gas price {MAX_FEE}, base fee {BASE_FEE}): {call}; caller nonce after it {call_nonce}",
        f"  deploy: {deploy}",
        f"  nonce {nonce_check}",
        "  input: a caller address (no signed transaction, no signature check)",
        f"  state-root-like members of EVM: {rooted} (block_hash reads BLOCKHASH; no trie, no root)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=1000)
    count = parser.parse_args().transactions
    total_started = time.perf_counter()
    backend = type(eth_keys.KeyAPI().backend).__name__
    engines = f"py-evm {version('py-evm')} fork {VM.fork}; pyrevm {version('pyrevm')} spec {PYREVM_SPEC}"
    print(f"{engines}; eth-keys {version('eth-keys')} backend {backend}; N={count}")
    started = time.perf_counter()
    workload = build_workload(count)
    print(f"signed {2 * count + 1} transactions in {time.perf_counter() - started:.1f} s")

    floor = measure_floor(workload.transfers)
    runs = {mode: run_py_evm(workload, mode, CountingDB()) for mode in ("each", "end")}
    store = CountingDB()
    runs["persist"] = run_py_evm(workload, "persist", store)
    runs["vm"] = run_py_evm_vm(workload)
    runs |= {f"pyrevm {mode}": run_pyrevm(workload, mode) for mode in ("raw", "transact", "root")}

    print_table(table_rows(runs, floor * count), count, floor)
    print_breakdown(runs, count)
    print_roots(runs, workload, store)
    print("\npy-evm state.apply_transaction on its own (all else valid):")
    print("\n".join(probe_py_evm()))
    print(f"pyrevm {version('pyrevm')} EVM:")
    print("\n".join(probe_pyrevm(workload.deployment_intent.data)))
    print(f"\ntotal {time.perf_counter() - total_started:.0f} s")


def table_rows(runs: dict[str, Run], floor_seconds: float) -> list[tuple[str, str, float, str, str]]:
    """(engine, workload, seconds for N transactions, validates signatures, yields an Ethereum state root)."""
    state_api = "py-evm state.apply_transaction"
    rows: list[tuple[str, str, float, str, str]] = []
    for part in ("transfers", "calls"):
        rows += [
            (state_api, f"{part}, root per tx", runs["each"].seconds[part], "yes", "yes, per tx"),
            (state_api, f"{part}, one root at end", runs["end"].seconds[part], "yes", "yes, at end"),
            (state_api, f"{part}, root + persist per tx", runs["persist"].seconds[part], "yes", "yes, per tx, stored"),
        ]
        if part == "transfers":
            vm_api = "py-evm vm.apply_transaction (MiningChain)"
            rows.append((vm_api, "transfers, root per tx", runs["vm"].seconds[part], "yes", "yes, per tx"))
        rows += [
            ("pyrevm message_call (raw)", part, runs["pyrevm raw"].seconds[part], "no", "no"),
            ("pyrevm + ecrecover + fee/nonce", part, runs["pyrevm transact"].seconds[part], "yes (script)", "no"),
            ("pyrevm + ... + py-evm trie mirror", f"{part}, root per tx", runs["pyrevm root"].seconds[part])
            + ("yes (script)", "yes, per tx"),
        ]
    rows.append(("floor: Account.recover_transaction", "one recovery per tx", floor_seconds, "-", "-"))
    return rows


def print_breakdown(runs: dict[str, Run], count: int) -> None:
    def micro(run: Run, phase: str, transactions: int) -> str:
        return f"{run.phases[phase] / transactions * 1e6:,.0f} µs"

    each, persist, mirrored = runs["each"], runs["persist"], runs["pyrevm root"]
    print("\nper transaction, py-evm with a root after each:")
    for part in ("transfers", "calls"):
        phases = ("decode + ecrecover", "execute", "root")
        print(f"  {part:<9} " + ", ".join(f"{phase} {micro(each, f'{part} {phase}', count)}" for phase in phases))
        print(f"  {part:<9} make_state_root + persist {micro(persist, f'{part} root', count)}")
    per_transaction = 2 * count + 1
    print(
        f"  persist wrote {persist.node_writes / per_transaction:.1f} trie nodes, "
        f"{persist.written_bytes / per_transaction:,.0f} bytes per transaction into the key-value store"
    )
    phases = ("decode + ecrecover", "execute + fee", "mirror + root")
    print(
        "pyrevm as a transaction, transfers and calls: "
        + ", ".join(f"{phase} {micro(mirrored, phase, per_transaction)}" for phase in phases)
    )


def print_roots(runs: dict[str, Run], workload: Workload, store: CountingDB) -> None:
    reference = runs["each"].roots
    print("\nstate roots")
    for label, mode, every in (
        ("py-evm one root at end", "end", False),
        ("py-evm persisted per tx", "persist", True),
        ("pyrevm + trie mirror per tx", "pyrevm root", True),
        ("py-evm vm.apply_transaction (transfers)", "vm", True),
    ):
        roots = runs[mode].roots
        parts = [part for part in ("transfers", "deploy", "calls") if part in roots]
        same = all(
            (roots[p] if every else roots[p][-1:]) == (reference[p] if every else reference[p][-1:]) for p in parts
        )
        print(f"  {label} == py-evm root per tx: {'yes' if same else 'NO'}")
    final_root = reference["calls"][-1]
    reopened = AccountDB(AtomicDB(store), final_root)
    last_transfer = workload.transfer_intents[-1]
    readable = reopened.get_storage(workload.contract, workload.call_slots[-1]) == len(workload.calls)
    readable = readable and reopened.get_balance(last_transfer.to) == last_transfer.value
    print(f"  final root 0x{final_root.hex()}; reopened from the stored trie, read back: {'yes' if readable else 'NO'}")


def print_table(rows: list[tuple[str, str, float, str, str]], count: int, floor: float) -> None:
    header = ("engine", "workload", "tx/s", "µs/tx", "× floor", "validates signatures", "Ethereum state root")
    cells = [header] + [
        (
            engine,
            work,
            f"{count / seconds:,.0f}",
            f"{seconds / count * 1e6:,.0f}",
            f"{seconds / count / floor:.2f}",
            sig,
            root,
        )
        for engine, work, seconds, sig, root in rows
    ]
    widths = [max(len(row[column]) for row in cells) for column in range(len(header))]
    print()
    for index, row in enumerate(cells):
        print("  " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  " + "-+-".join("-" * width for width in widths))


if __name__ == "__main__":
    main()
