"""The devnet's domains: which runtimes a network runs (fixed in genesis.json when it is created), the genesis
domains with their operators, and each operator's identity and actor name.

Every genesis domain is owned by the well-known dev account, which also owns its operators (each staking
OPERATOR_STAKE) and holds DEV_DOMAIN_BALANCE on the domain, so `autonomys domain transfer` works at once. On an
EVM domain that balance is the well-known dev EVM account's (Alith, DEV_EVM_ACCOUNT), and the domain's chain id
is DEFAULT_EVM_CHAIN_ID + its domain id (distinct for every genesis domain).
Operator signing keys are derived from the genesis hash (a dev network's keys; a real operator brings its own).
"""

from __future__ import annotations

from typing import Final

import blake3
import sr25519

from autonomys.actors.domains.operator import OperatorIdentity
from autonomys.actors.objects.client import dev_account
from autonomys.protocol.codec import encode_u32
from autonomys.protocol.consensus.chain_ledger import DomainGenesis, GenesisOperator
from autonomys.protocol.domains.fixed_point import Percent
from autonomys.protocol.domains.registry import (
    ACCOUNT_SIZES,
    DEFAULT_EVM_CHAIN_ID,
    EVM_ACCOUNT_ID_SIZE,
    DomainConfig,
    runtime_info_for,
)
from autonomys.protocol.domains.runtime import known_runtime_names
from autonomys.protocol.domains.staking_types import OperatorAllowList, OperatorConfig

AI3: Final = 10**18
OPERATORS_PER_DOMAIN: Final = 2
OPERATOR_STAKE: Final = 100 * AI3
DEV_DOMAIN_BALANCE: Final = 1_000 * AI3
NOMINATION_TAX: Final = Percent(5)
OPERATOR_PREFIX: Final = "operator-"
DEV_EVM_ACCOUNT: Final = bytes.fromhex("f24ff3a9cf04c71dbc94d0b566f7a27b94566cac")
"""Alith, the dev account of Frontier and of the reference's EVM domain chain specs (its key is public)."""


def known_runtimes() -> list[str]:
    return known_runtime_names()


def operator_seed(genesis_hash: str, domain_id: int, operator_id: int) -> bytes:
    """A devnet operator's signing-key mini-secret."""
    material = (
        b"autonomys devnet operator" + bytes.fromhex(genesis_hash) + encode_u32(domain_id) + encode_u32(operator_id)
    )
    return blake3.blake3(material).digest()


def domain_config(runtime: str, domain_id: int) -> DomainConfig:
    """A genesis domain's config: the runtime (its id: the registry registers runtimes in name order), every
    operator allowed, one bundle per slot expected, the dev account's domain balance, the runtime's info (an EVM
    domain's chain id: DEFAULT_EVM_CHAIN_ID + domain_id)."""
    runtime_id = known_runtimes().index(runtime)
    info = runtime_info_for(runtime, evm_chain_id=DEFAULT_EVM_CHAIN_ID + domain_id)
    balances = ((dev_domain_account(ACCOUNT_SIZES[info.kind]), DEV_DOMAIN_BALANCE),)
    return DomainConfig(f"{runtime}-{domain_id}", runtime_id, None, (1, 1), OperatorAllowList(), balances, info)


def dev_domain_account(size: int) -> bytes:
    """The dev account on a domain whose accounts are `size` bytes: Alith (20), the dev sr25519 account (32)."""
    return DEV_EVM_ACCOUNT if size == EVM_ACCOUNT_ID_SIZE else dev_account().public_key


def domain_geneses(genesis_hash: str, runtimes: tuple[str, ...]) -> list[DomainGenesis]:
    owner = dev_account().public_key
    domains = []
    for domain_id, runtime in enumerate(runtimes):
        operators = tuple(
            GenesisOperator(owner, OperatorConfig(_public(operator_seed(genesis_hash, domain_id, index)), AI3, NOMINATION_TAX), OPERATOR_STAKE)
            for index in range(OPERATORS_PER_DOMAIN)
        )  # fmt: skip
        domains.append(DomainGenesis(owner, domain_config(runtime, domain_id), operators))
    return domains


def operator_name(domain_id: int, operator_id: int) -> str:
    return f"{OPERATOR_PREFIX}{domain_id}-{operator_id}"


def operator_identities(genesis_hash: str, runtimes: tuple[str, ...]) -> dict[str, OperatorIdentity]:
    """Every genesis operator's identity, by actor name (operator ids are dense, in domain order)."""
    identities = {}
    operator_id = 0
    for domain_id, runtime in enumerate(runtimes):
        config = domain_config(runtime, domain_id)
        for _ in range(OPERATORS_PER_DOMAIN):
            seed = operator_seed(genesis_hash, domain_id, operator_id - domain_id * OPERATORS_PER_DOMAIN)
            identities[operator_name(domain_id, operator_id)] = OperatorIdentity(
                domain_id, operator_id, seed, config.initial_balances, runtime, config.runtime_info.evm_chain_id
            )
            operator_id += 1
    return identities


def is_second_operator(identity: OperatorIdentity) -> bool:
    """The domain's second genesis operator (the one `--faulty-operator` turns faulty)."""
    return identity.operator_id % OPERATORS_PER_DOMAIN == 1


def _public(seed: bytes) -> bytes:
    return bytes(sr25519.pair_from_seed(seed)[0])
