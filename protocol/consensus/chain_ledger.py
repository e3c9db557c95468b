"""The consensus chain's state as the domains rules see it (protocol.domains.ledger `Ledger`): records in the same
trie as the accounts, and free balances that are the accounts' balances, with mint and burn moving the total
issuance. Domain records live under their own prefixes (`domains/`, `balances/hold/`), apart from `account/`,
`segment/` and `chain/scalars`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autonomys.protocol.consensus.chain_state import ACCOUNT_PREFIX, SCALARS_KEY, SEGMENT_PREFIX, Account, StateWriter
from autonomys.protocol.domains.calls import InstantiateDomain, RegisterOperator, apply_domain_call
from autonomys.protocol.domains.params import domains_params_for
from autonomys.protocol.domains.registry import DomainConfig, domain_ids, register_domain_runtime
from autonomys.protocol.domains.runtime import known_runtime_names
from autonomys.protocol.domains.staking_types import OperatorConfig
from autonomys.protocol.errors import InsufficientBalance, ReservedStateKey
from autonomys.protocol.params import Params

U128_MAX = 2**128 - 1
RESERVED_PREFIXES = (ACCOUNT_PREFIX, SEGMENT_PREFIX, SCALARS_KEY)


class ChainLedger:
    """A Ledger over one block's StateWriter (its writes land in that block's state)."""

    def __init__(self, writer: StateWriter) -> None:
        self.writer = writer

    def get(self, key: bytes) -> bytes | None:
        return self.writer.trie.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        _check_key(key)
        self.writer.trie.set(key, value)

    def delete(self, key: bytes) -> None:
        _check_key(key)
        self.writer.trie.delete(key)

    def free_balance(self, account: bytes) -> int:
        return self.writer.account(account).balance

    def transfer(self, source: bytes, destination: bytes, amount: int) -> None:
        _check_amount(amount)
        if amount == 0:
            return
        self._debit(source, amount)
        self._credit(destination, amount)

    def mint(self, account: bytes, amount: int) -> None:
        _check_amount(amount)
        issuance = self.writer.scalars.total_issuance + amount
        if issuance > U128_MAX:
            msg = f"minting {amount} takes the total issuance past u128"
            raise InsufficientBalance(msg)
        self._credit(account, amount)
        self.writer.update(total_issuance=issuance)

    def burn(self, account: bytes, amount: int) -> None:
        _check_amount(amount)
        self._debit(account, amount)
        self.writer.update(total_issuance=self.writer.scalars.total_issuance - amount)

    def _debit(self, account: bytes, amount: int) -> None:
        current = self.writer.account(account)
        if current.balance < amount:
            msg = f"account {bytes(account).hex()} has {current.balance}, needs {amount}"
            raise InsufficientBalance(msg)
        self.writer.set_account(account, Account(current.balance - amount, current.nonce))

    def _credit(self, account: bytes, amount: int) -> None:
        current = self.writer.account(account)
        if current.balance + amount > U128_MAX:
            msg = f"account {bytes(account).hex()} balance would pass u128"
            raise InsufficientBalance(msg)
        self.writer.set_account(account, Account(current.balance + amount, current.nonce))


def _check_key(key: bytes) -> None:
    if any(bytes(key).startswith(prefix) for prefix in RESERVED_PREFIXES):
        msg = f"state key {bytes(key)!r} belongs to the chain's own records"
        raise ReservedStateKey(msg)


def _check_amount(amount: int) -> None:
    if amount < 0:
        msg = f"balance amounts are non-negative, got {amount}"
        raise InsufficientBalance(msg)


# ---- genesis ----


@dataclass(frozen=True, slots=True)
class GenesisOperator:
    """An operator registered at genesis: its owner account (endowed), its config and its stake (gross)."""

    owner: bytes
    config: OperatorConfig
    stake: int


@dataclass(frozen=True, slots=True)
class DomainGenesis:
    """A domain instantiated at genesis by an endowed owner, with operators (the reference's genesis domain)."""

    owner: bytes
    config: DomainConfig
    operators: tuple[GenesisOperator, ...] = ()


def apply_domains_genesis(writer: StateWriter, domains: Sequence[DomainGenesis], params: Params) -> None:
    """Register every built-in runtime (ids in name order), then instantiate each genesis domain and register its
    operators, as the calls would at block 0."""
    ledger = ChainLedger(writer)
    for name in known_runtime_names():
        register_domain_runtime(ledger, name, created_at=0)
    domains_params = domains_params_for(params)
    for domain in domains:
        apply_domain_call(
            ledger, domain.owner, InstantiateDomain(domain.config), domains_params, block_number=0, slot=0
        )
        domain_id = len(domain_ids(ledger)) - 1
        for operator in domain.operators:
            call = RegisterOperator(domain_id, operator.stake, operator.config)
            apply_domain_call(ledger, operator.owner, call, domains_params, block_number=0, slot=0)
