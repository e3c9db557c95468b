"""The domain registry on the consensus chain (pallet-domains `runtime_registry.rs`, `domain_registry.rs`):
registered runtimes, and `instantiate_domain` with its checks, deposit and genesis receipt.

A runtime here is one of this implementation's Python runtimes (protocol.domains.runtime), registered by name;
the reference registers WASM code with a `RuntimeType` (0 Evm, 1 AutoId). This port's runtime types continue
that enum: 2 Balances. `DomainConfigParams` keeps the reference's field order; its last field
(`domain_runtime_info`) carries the Balances variant's empty body.

Records: `domains/runtime/<id u32>` (RuntimeObject), `domains/next_runtime_id`, `domains/next_domain_id`,
`domains/registry/<id u32>` (DomainObject). The staking view of a domain (`domains/domain/<id>`) and its empty
StakingSummary are written through protocol.domains.staking_storage; the genesis receipt through the block tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from autonomys.protocol.codec import (
    Reader,
    decode_exactly,
    encode_u8,
    encode_u32,
    encode_u64,
    encode_u128,
    encode_vec_u8,
    encode_vector,
    read_u128,
    read_vector,
    validate_uint,
)
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.domains.bundles import Weight
from autonomys.protocol.domains.ledger import HoldReason, Ledger, hold
from autonomys.protocol.domains.receipts import ExecutionReceipt, genesis_receipt
from autonomys.protocol.domains.runtime import runtime_named
from autonomys.protocol.domains.staking_types import ACCOUNT_ID_SIZE, DomainStakingConfig, OperatorAllowList
from autonomys.protocol.errors import DecodeError, DomainNotFound, InvalidDomainConfig, RuntimeNotFound
from autonomys.protocol.state.trie import TrieChanges

AI3: Final = 10**18
MAX_DOMAIN_NAME_LENGTH: Final = 32
MAX_INITIAL_DOMAIN_ACCOUNTS: Final = 10
MIN_INITIAL_DOMAIN_ACCOUNT_BALANCE: Final = AI3
RUNTIME_TYPE_BALANCES: Final = 2
RUNTIME_TYPES: Final = {"balances": RUNTIME_TYPE_BALANCES}
NEXT_RUNTIME_ID_KEY: Final = b"domains/next_runtime_id"
NEXT_DOMAIN_ID_KEY: Final = b"domains/next_domain_id"


@dataclass(frozen=True, slots=True)
class RuntimeObject:
    """A registered runtime: its name (the Python runtime's), type, version, and the block that registered it."""

    runtime_name: str
    runtime_type: int
    version: int
    created_at: int

    def to_bytes(self) -> bytes:
        name = self.runtime_name.encode()
        return (
            encode_vec_u8(name) + encode_u8(self.runtime_type) + encode_u32(self.version) + encode_u32(self.created_at)
        )

    @classmethod
    def read(cls, reader: Reader) -> RuntimeObject:
        name = _read_text(reader, "runtime name")
        return cls(name, reader.read_u8(), reader.read_u32(), reader.read_u32())


@dataclass(frozen=True, slots=True)
class BundleLimit:
    """sp-domains `DomainBundleLimit` as `maybe_bundle_limit` carries it."""

    max_bundle_size: int
    max_bundle_weight: Weight

    def to_bytes(self) -> bytes:
        return encode_u32(self.max_bundle_size) + self.max_bundle_weight.to_bytes()


@dataclass(frozen=True, slots=True)
class DomainConfig:
    """pallet-domains `DomainConfigParams`, fields in the reference's order."""

    domain_name: str
    runtime_id: int
    bundle_limit: BundleLimit | None
    bundle_slot_probability: tuple[int, int]
    operator_allow_list: OperatorAllowList
    initial_balances: tuple[tuple[bytes, int], ...]

    def __post_init__(self) -> None:
        validate_uint("runtime_id", self.runtime_id, 2**32 - 1)
        for part in self.bundle_slot_probability:
            validate_uint("bundle_slot_probability", part, U64_MAX)
        for account, amount in self.initial_balances:
            if len(account) != ACCOUNT_ID_SIZE:
                raise InvalidDomainConfig(f"initial balance account {account.hex()} is not {ACCOUNT_ID_SIZE} bytes")
            validate_uint("initial balance", amount, 2**128 - 1)

    def to_bytes(self) -> bytes:
        limit = b"\x00" if self.bundle_limit is None else b"\x01" + self.bundle_limit.to_bytes()
        numerator, denominator = self.bundle_slot_probability
        balances = encode_vector([account + encode_u128(amount) for account, amount in self.initial_balances])
        runtime_info = encode_u8(RUNTIME_TYPE_BALANCES)
        return (
            encode_vec_u8(self.domain_name.encode()) + encode_u32(self.runtime_id) + limit + encode_u64(numerator)
            + encode_u64(denominator) + self.operator_allow_list.to_bytes() + balances + runtime_info
        )  # fmt: skip

    @classmethod
    def read(cls, reader: Reader) -> DomainConfig:
        name, runtime_id = _read_text(reader, "domain name"), reader.read_u32()
        limit = BundleLimit(reader.read_u32(), Weight.read(reader)) if reader.read_option_tag() else None
        probability = (reader.read_u64(), reader.read_u64())
        allow_list = OperatorAllowList.read(reader)
        balances = read_vector(reader, lambda inner: (inner.read_bytes(ACCOUNT_ID_SIZE), read_u128(inner)))
        if reader.read_u8() != RUNTIME_TYPE_BALANCES:
            raise DecodeError("DomainConfig: domain_runtime_info must be the Balances variant")
        return cls(name, runtime_id, limit, probability, allow_list, balances)

    @classmethod
    def from_bytes(cls, data: bytes) -> DomainConfig:
        return decode_exactly(data, "DomainConfig", cls.read)


@dataclass(frozen=True, slots=True)
class DomainObject:
    """pallet-domains `DomainObject`: owner, creation block, genesis receipt hash, config, held deposit."""

    owner: bytes
    created_at: int
    genesis_receipt_hash: bytes
    config: DomainConfig
    deposit: int

    def to_bytes(self) -> bytes:
        return (
            self.owner + encode_u32(self.created_at) + self.genesis_receipt_hash + self.config.to_bytes()
            + encode_u128(self.deposit)
        )  # fmt: skip

    @classmethod
    def read(cls, reader: Reader) -> DomainObject:
        owner, created_at, receipt_hash = reader.read_bytes(ACCOUNT_ID_SIZE), reader.read_u32(), reader.read_bytes(32)
        return cls(owner, created_at, receipt_hash, DomainConfig.read(reader), read_u128(reader))

    @classmethod
    def from_bytes(cls, data: bytes) -> DomainObject:
        return decode_exactly(data, "DomainObject", cls.read)


def _read_text(reader: Reader, what: str) -> str:
    try:
        return reader.read_vec_u8().decode()
    except UnicodeDecodeError as error:
        raise DecodeError(f"{what} is not UTF-8") from error


def _runtime_key(runtime_id: int) -> bytes:
    return b"domains/runtime/" + encode_u32(runtime_id)


def _domain_key(domain_id: int) -> bytes:
    return b"domains/registry/" + encode_u32(domain_id)


def _next_id(ledger: Ledger, key: bytes) -> int:
    raw = ledger.get(key)
    return 0 if raw is None else int.from_bytes(raw, "little")


def register_domain_runtime(ledger: Ledger, runtime_name: str, *, created_at: int) -> int:
    """Register one of the Python runtimes (root only in the reference; done at genesis here); its id."""
    runtime_named(runtime_name)  # UnknownRuntime for a name no runtime has
    runtime_id = _next_id(ledger, NEXT_RUNTIME_ID_KEY)
    record = RuntimeObject(runtime_name, RUNTIME_TYPES.get(runtime_name, RUNTIME_TYPE_BALANCES), 1, created_at)
    ledger.set(_runtime_key(runtime_id), record.to_bytes())
    ledger.set(NEXT_RUNTIME_ID_KEY, encode_u32(runtime_id + 1))
    return runtime_id


def get_runtime(ledger: Ledger, runtime_id: int) -> RuntimeObject:
    raw = ledger.get(_runtime_key(runtime_id))
    if raw is None:
        raise RuntimeNotFound(f"no runtime {runtime_id}")
    return decode_exactly(raw, "RuntimeObject", RuntimeObject.read)


def get_domain(ledger: Ledger, domain_id: int) -> DomainObject:
    raw = ledger.get(_domain_key(domain_id))
    if raw is None:
        raise DomainNotFound(f"no domain {domain_id}")
    return DomainObject.from_bytes(raw)


def domain_ids(ledger: Ledger) -> range:
    """Every instantiated domain's id (ids are dense from 0)."""
    return range(_next_id(ledger, NEXT_DOMAIN_ID_KEY))


def validate_domain_config(ledger: Ledger, config: DomainConfig, max_bundle: BundleLimit) -> RuntimeObject:
    """pallet-domains `can_instantiate_domain`'s config checks, in order; the runtime the config names."""
    numerator, denominator = config.bundle_slot_probability
    if not 0 < numerator <= denominator:
        raise InvalidDomainConfig(f"bundle slot probability {numerator}/{denominator} is not in (0, 1]")
    if len(config.domain_name.encode()) > MAX_DOMAIN_NAME_LENGTH:
        raise InvalidDomainConfig(f"domain name is longer than {MAX_DOMAIN_NAME_LENGTH} bytes")
    runtime = get_runtime(ledger, config.runtime_id)
    limit = config.bundle_limit
    if limit is not None and (
        limit.max_bundle_size > max_bundle.max_bundle_size
        or limit.max_bundle_weight.ref_time > max_bundle.max_bundle_weight.ref_time
        or limit.max_bundle_weight.proof_size > max_bundle.max_bundle_weight.proof_size
    ):
        raise InvalidDomainConfig("bundle limit exceeds the domain block limits")
    accounts = [account for account, _ in config.initial_balances]
    if len(set(accounts)) != len(accounts):
        raise InvalidDomainConfig("duplicate initial balance accounts")
    if len(accounts) > MAX_INITIAL_DOMAIN_ACCOUNTS:
        raise InvalidDomainConfig(f"more than {MAX_INITIAL_DOMAIN_ACCOUNTS} initial balances")
    if any(amount < MIN_INITIAL_DOMAIN_ACCOUNT_BALANCE for _, amount in config.initial_balances):
        raise InvalidDomainConfig("an initial balance is below 1 AI3")
    return runtime


def compute_domain_genesis(
    runtime_name: str, domain_id: int, initial_balances: Sequence[tuple[bytes, int]]
) -> TrieChanges:
    """The domain's genesis state (every operator derives the same), from an empty trie."""
    runtime = runtime_named(runtime_name)
    state = runtime.open_state({}, None)
    runtime.genesis(state, domain_id, initial_balances)
    state.step()
    return state.changes()


@dataclass(frozen=True, slots=True)
class InstantiatedDomain:
    domain_id: int
    genesis_receipt: ExecutionReceipt


def instantiate_domain(
    ledger: Ledger, owner: bytes, config: DomainConfig, *, created_at: int, deposit: int, max_bundle: BundleLimit
) -> InstantiatedDomain:
    """pallet-domains `do_instantiate_domain`: checks, the held deposit, the initial balances burned from the
    owner, the domain record and its genesis receipt. Runs inside the caller's ledger transaction."""
    runtime = validate_domain_config(ledger, config, max_bundle)
    total_initial = sum(amount for _, amount in config.initial_balances)
    if ledger.free_balance(owner) < deposit + total_initial:
        raise InvalidDomainConfig(
            f"owner balance cannot pay the deposit {deposit} and initial balances {total_initial}"
        )
    domain_id = _next_id(ledger, NEXT_DOMAIN_ID_KEY)
    hold(ledger, HoldReason.DOMAIN_INSTANTIATION, owner, deposit)
    ledger.burn(owner, total_initial)
    genesis = compute_domain_genesis(runtime.runtime_name, domain_id, config.initial_balances)
    receipt = genesis_receipt(genesis.root)
    record = DomainObject(owner, created_at, receipt.hash(), config, deposit)
    ledger.set(_domain_key(domain_id), record.to_bytes())
    ledger.set(NEXT_DOMAIN_ID_KEY, encode_u32(domain_id + 1))
    return InstantiatedDomain(domain_id, receipt)


def staking_config_of(config: DomainConfig) -> DomainStakingConfig:
    """The part of a domain's config the staking rules read."""
    return DomainStakingConfig(config.bundle_slot_probability, config.operator_allow_list)
