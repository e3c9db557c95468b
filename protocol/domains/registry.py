"""The domain registry on the consensus chain (pallet-domains `runtime_registry.rs`, `domain_registry.rs`):
registered runtimes, and `instantiate_domain` with its checks, deposit and genesis receipt.

A runtime here is one of this implementation's Python runtimes (protocol.domains.runtime), registered by name;
the reference registers WASM code with a `RuntimeType` (0 Evm, 1 AutoId). This port's runtime types continue
that enum with one of its own: 2 Balances (the sr25519 balances runtime, which the reference does not have).
`DomainConfigParams` keeps the reference's field order and encoding: initial balances are keyed by
domain-runtime-primitives `MultiAccountId` (0 AccountId32, 1 AccountId20, 2 Raw; Raw is not accepted here), and
the last field is sp-domains `DomainRuntimeInfo` (0 Evm{chain_id, evm_type 0 Public | 1 Private}, 1 AutoId{},
and ours: 2 Balances, with an empty body). Private EVM domains are not supported.

Records: `domains/runtime/<id u32>` (RuntimeObject), `domains/next_runtime_id`, `domains/next_domain_id`,
`domains/registry/<id u32>` (DomainObject), `domains/evm_chain_id/<chain id u64>` (the EVM domain's id u32: each
EVM chain id is used once). The staking view of a domain (`domains/domain/<id>`) and its empty
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
from autonomys.protocol.errors import (
    DecodeError,
    DomainNotFound,
    EvmChainIdInUse,
    InvalidConfigForRuntimeType,
    InvalidDomainConfig,
    RuntimeNotFound,
)
from autonomys.protocol.state.trie import TrieChanges

AI3: Final = 10**18
MAX_DOMAIN_NAME_LENGTH: Final = 32
MAX_INITIAL_DOMAIN_ACCOUNTS: Final = 10
MIN_INITIAL_DOMAIN_ACCOUNT_BALANCE: Final = AI3
EVM_ACCOUNT_ID_SIZE: Final = 20
RUNTIME_TYPE_EVM: Final = 0
RUNTIME_TYPE_AUTO_ID: Final = 1
RUNTIME_TYPE_BALANCES: Final = 2  # ours: the sr25519 balances runtime
RUNTIME_TYPES: Final = {"balances": RUNTIME_TYPE_BALANCES, "evm": RUNTIME_TYPE_EVM, "auto-id": RUNTIME_TYPE_AUTO_ID}
ACCOUNT_SIZES: Final = {
    RUNTIME_TYPE_EVM: EVM_ACCOUNT_ID_SIZE,
    RUNTIME_TYPE_AUTO_ID: ACCOUNT_ID_SIZE,
    RUNTIME_TYPE_BALANCES: ACCOUNT_ID_SIZE,
}
"""The size of a domain account (its initial balances' keys), by runtime type."""
MULTI_ACCOUNT_ID_32: Final = 0
MULTI_ACCOUNT_ID_20: Final = 1
MULTI_ACCOUNT_RAW: Final = 2
EVM_TYPE_PUBLIC: Final = 0
EVM_TYPE_PRIVATE: Final = 1
DEFAULT_EVM_CHAIN_ID: Final = 870  # domain-runtime-primitives `DEFAULT_EVM_CHAIN_ID`
_TYPE_NAMES: Final = {RUNTIME_TYPE_EVM: "EVM", RUNTIME_TYPE_AUTO_ID: "AutoId", RUNTIME_TYPE_BALANCES: "Balances"}
NEXT_RUNTIME_ID_KEY: Final = b"domains/next_runtime_id"
NEXT_DOMAIN_ID_KEY: Final = b"domains/next_domain_id"


# Errors (pallet-domains domain_registry.rs `Error`); the lead may move them to protocol.errors.


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


def encode_multi_account_id(account: bytes) -> bytes:
    """domain-runtime-primitives `MultiAccountId`: 32 bytes as AccountId32 (0), 20 bytes as AccountId20 (1)."""
    if len(account) == ACCOUNT_ID_SIZE:
        return encode_u8(MULTI_ACCOUNT_ID_32) + account
    if len(account) == EVM_ACCOUNT_ID_SIZE:
        return encode_u8(MULTI_ACCOUNT_ID_20) + account
    raise InvalidDomainConfig(f"account {account.hex()} is neither {ACCOUNT_ID_SIZE} nor {EVM_ACCOUNT_ID_SIZE} bytes")


def read_multi_account_id(reader: Reader) -> bytes:
    """A `MultiAccountId` as its raw account bytes; the Raw variant is a DecodeError (no runtime here uses it)."""
    tag = reader.read_u8()
    if tag == MULTI_ACCOUNT_ID_32:
        return reader.read_bytes(ACCOUNT_ID_SIZE)
    if tag == MULTI_ACCOUNT_ID_20:
        return reader.read_bytes(EVM_ACCOUNT_ID_SIZE)
    if tag == MULTI_ACCOUNT_RAW:
        raise DecodeError("MultiAccountId: the Raw variant is not supported")
    raise DecodeError(f"MultiAccountId: unknown variant {tag}")


@dataclass(frozen=True, slots=True)
class DomainRuntimeInfo:
    """sp-domains `DomainRuntimeInfo`: `kind` is the runtime type it is for (RUNTIME_TYPE_*); an EVM domain has
    its chain id (and is Public: `EvmType::Private` is not supported). Balances (2) is ours, with no body."""

    kind: int
    evm_chain_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ACCOUNT_SIZES:
            raise InvalidDomainConfig(f"unknown domain runtime type {self.kind}")
        if (self.kind == RUNTIME_TYPE_EVM) != (self.evm_chain_id is not None):
            raise InvalidDomainConfig("an EVM domain's runtime info, and only it, has a chain id")
        if self.evm_chain_id is not None:
            validate_uint("evm_chain_id", self.evm_chain_id, U64_MAX)

    @classmethod
    def evm(cls, chain_id: int) -> DomainRuntimeInfo:
        """A public EVM domain's runtime info."""
        return cls(RUNTIME_TYPE_EVM, chain_id)

    def to_bytes(self) -> bytes:
        if self.evm_chain_id is None:
            return encode_u8(self.kind)
        return encode_u8(RUNTIME_TYPE_EVM) + encode_u64(self.evm_chain_id) + encode_u8(EVM_TYPE_PUBLIC)

    @classmethod
    def read(cls, reader: Reader) -> DomainRuntimeInfo:
        kind = reader.read_u8()
        if kind in (RUNTIME_TYPE_AUTO_ID, RUNTIME_TYPE_BALANCES):
            return cls(kind)
        if kind != RUNTIME_TYPE_EVM:
            raise DecodeError(f"DomainRuntimeInfo: unknown variant {kind}")
        chain_id, evm_type = reader.read_u64(), reader.read_u8()
        if evm_type == EVM_TYPE_PRIVATE:
            raise DecodeError("DomainRuntimeInfo: private EVM domains are not supported")
        if evm_type != EVM_TYPE_PUBLIC:
            raise DecodeError(f"DomainRuntimeInfo: unknown EVM type {evm_type}")
        return cls(kind, chain_id)


def runtime_info_for(runtime_name: str, *, evm_chain_id: int = DEFAULT_EVM_CHAIN_ID) -> DomainRuntimeInfo:
    """The runtime info a domain of the named runtime is instantiated with (an EVM domain's: `evm_chain_id`)."""
    kind = RUNTIME_TYPES.get(runtime_name, RUNTIME_TYPE_BALANCES)
    return DomainRuntimeInfo.evm(evm_chain_id) if kind == RUNTIME_TYPE_EVM else DomainRuntimeInfo(kind)


@dataclass(frozen=True, slots=True)
class DomainConfig:
    """pallet-domains `DomainConfigParams`, fields in the reference's order."""

    domain_name: str
    runtime_id: int
    bundle_limit: BundleLimit | None
    bundle_slot_probability: tuple[int, int]
    operator_allow_list: OperatorAllowList
    initial_balances: tuple[tuple[bytes, int], ...]
    runtime_info: DomainRuntimeInfo = DomainRuntimeInfo(RUNTIME_TYPE_BALANCES)

    def __post_init__(self) -> None:
        validate_uint("runtime_id", self.runtime_id, 2**32 - 1)
        for part in self.bundle_slot_probability:
            validate_uint("bundle_slot_probability", part, U64_MAX)
        for account, amount in self.initial_balances:
            if len(account) not in (ACCOUNT_ID_SIZE, EVM_ACCOUNT_ID_SIZE):
                sizes = f"{ACCOUNT_ID_SIZE} nor {EVM_ACCOUNT_ID_SIZE}"
                raise InvalidDomainConfig(f"initial balance account {account.hex()} is neither {sizes} bytes")
            validate_uint("initial balance", amount, 2**128 - 1)

    def to_bytes(self) -> bytes:
        limit = b"\x00" if self.bundle_limit is None else b"\x01" + self.bundle_limit.to_bytes()
        numerator, denominator = self.bundle_slot_probability
        balances = encode_vector(
            [encode_multi_account_id(account) + encode_u128(amount) for account, amount in self.initial_balances]
        )
        return (
            encode_vec_u8(self.domain_name.encode()) + encode_u32(self.runtime_id) + limit + encode_u64(numerator)
            + encode_u64(denominator) + self.operator_allow_list.to_bytes() + balances + self.runtime_info.to_bytes()
        )  # fmt: skip

    @classmethod
    def read(cls, reader: Reader) -> DomainConfig:
        name, runtime_id = _read_text(reader, "domain name"), reader.read_u32()
        limit = BundleLimit(reader.read_u32(), Weight.read(reader)) if reader.read_option_tag() else None
        probability = (reader.read_u64(), reader.read_u64())
        allow_list = OperatorAllowList.read(reader)
        balances = read_vector(reader, lambda inner: (read_multi_account_id(inner), read_u128(inner)))
        runtime_info = DomainRuntimeInfo.read(reader)
        return cls(name, runtime_id, limit, probability, allow_list, balances, runtime_info)

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


def _evm_chain_id_key(chain_id: int) -> bytes:
    return b"domains/evm_chain_id/" + encode_u64(chain_id)


def evm_chain_id_owner(ledger: Ledger, chain_id: int) -> int | None:
    """The id of the domain that uses EVM chain id `chain_id`, None when it is free."""
    raw = ledger.get(_evm_chain_id_key(chain_id))
    return None if raw is None else int.from_bytes(raw, "little")


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
    validate_runtime_info(ledger, runtime, config)
    return runtime


def validate_runtime_info(ledger: Ledger, runtime: RuntimeObject, config: DomainConfig) -> None:
    """pallet-domains `do_instantiate_domain`'s match of the runtime type with the runtime info
    (`InvalidConfigForRuntimeType`), the initial balance accounts' size for that runtime, an unused EVM chain id."""
    info = config.runtime_info
    if runtime.runtime_type != info.kind:
        needed = _TYPE_NAMES.get(runtime.runtime_type, f"type {runtime.runtime_type}")
        raise InvalidConfigForRuntimeType(
            f"runtime {runtime.runtime_name!r} needs {needed} runtime info, got {_TYPE_NAMES[info.kind]}"
        )
    size = ACCOUNT_SIZES[info.kind]
    if any(len(account) != size for account, _ in config.initial_balances):
        raise InvalidConfigForRuntimeType(
            f"runtime {runtime.runtime_name!r} takes {size}-byte initial balance accounts"
        )
    if info.evm_chain_id is not None and (owner := evm_chain_id_owner(ledger, info.evm_chain_id)) is not None:
        raise EvmChainIdInUse(f"EVM chain id {info.evm_chain_id} is domain {owner}'s")


def compute_domain_genesis(
    runtime_name: str,
    domain_id: int,
    initial_balances: Sequence[tuple[bytes, int]],
    *,
    evm_chain_id: int | None = None,
) -> TrieChanges:
    """The domain's genesis state (every operator derives the same), from an empty trie; an EVM domain's genesis
    also records its chain id (pallet-evm-chain-id `ChainId`, set by `into_complete_raw_genesis`)."""
    runtime = runtime_named(runtime_name)
    state = runtime.open_state({}, None)
    runtime.genesis(state, domain_id, initial_balances, evm_chain_id=evm_chain_id)
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
    genesis = compute_domain_genesis(
        runtime.runtime_name, domain_id, config.initial_balances, evm_chain_id=config.runtime_info.evm_chain_id
    )
    receipt = genesis_receipt(genesis.root)
    record = DomainObject(owner, created_at, receipt.hash(), config, deposit)
    ledger.set(_domain_key(domain_id), record.to_bytes())
    ledger.set(NEXT_DOMAIN_ID_KEY, encode_u32(domain_id + 1))
    if config.runtime_info.evm_chain_id is not None:
        ledger.set(_evm_chain_id_key(config.runtime_info.evm_chain_id), encode_u32(domain_id))
    return InstantiatedDomain(domain_id, receipt)


def staking_config_of(config: DomainConfig) -> DomainStakingConfig:
    """The part of a domain's config the staking rules read."""
    return DomainStakingConfig(config.bundle_slot_probability, config.operator_allow_list)
