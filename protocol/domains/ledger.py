"""The ledger the staking rules run on: a key-value store plus the consensus chain's free balances.

The state will live in an authenticated trie, so the domains code reads and writes only through `Ledger`: opaque
keys (hashed in the trie, so no prefix iteration), and free balances with transfer, mint and burn. Everything else
the pallets keep (held balances, per-operator records, sets to enumerate) is built on top of these calls here and
in the staking modules.

Holds (frame-support `MutateHold`): the balances pallet keeps held funds in the owner's account; this ledger has
only free balances, so held funds sit in one pot account (`HOLD_POT_ACCOUNT`) and a record under
`balances/hold/<reason><account>` says whose they are. Holding moves free balance into the pot, releasing moves it
back, and total issuance never changes.

Atomicity: a dispatchable in the reference runs in a storage transaction, so a failing call changes nothing.
`transaction(ledger)` gives the same here: the call runs against an `OverlayLedger` that buffers every write and
applies them to the parent only when the call returns normally.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import Protocol

from autonomys.protocol.codec import encode_compact, encode_u8
from autonomys.protocol.errors import BalanceOverflowError, InsufficientBalance, InsufficientHeldBalance, InvalidAmount

U128_MAX = 2**128 - 1
ACCOUNT_ID_SIZE = 32
# pallet-domains `PalletId(*b"domains_")` sub-account with AccountType 1 (upstream has only StorageFund = 0):
# this port's pot for held balances, since the ledger itself has free balances only.
HOLD_POT_ACCOUNT = (b"modl" + b"domains_" + b"\x01").ljust(ACCOUNT_ID_SIZE, b"\x00")
HOLD_PREFIX = b"balances/hold/"


class HoldReason(IntEnum):
    """Why a balance is held (subspace-runtime `HoldIdentifierWrapper` of the domains pallet)."""

    STAKING_STAKED = 0
    STORAGE_FUND_WITHDRAWAL = 1
    DOMAIN_INSTANTIATION = 2


# ---- the interface ----


class Ledger(Protocol):
    """Key-value storage plus the consensus chain's free balances (the only access the staking rules have)."""

    def get(self, key: bytes) -> bytes | None: ...

    def set(self, key: bytes, value: bytes) -> None: ...

    def delete(self, key: bytes) -> None: ...

    def free_balance(self, account: bytes) -> int: ...

    def transfer(self, source: bytes, destination: bytes, amount: int) -> None: ...

    def mint(self, account: bytes, amount: int) -> None: ...

    def burn(self, account: bytes, amount: int) -> None: ...


def _validate_amount(amount: int) -> None:
    if amount < 0:
        msg = f"balance amounts are non-negative, got {amount}"
        raise InvalidAmount(msg)


def _validate_credit(account: bytes, balance: int, amount: int) -> None:
    if balance + amount > U128_MAX:
        msg = f"account {account.hex()} balance {balance} + {amount} exceeds u128"
        raise BalanceOverflowError(msg)


def _validate_debit(account: bytes, balance: int, amount: int) -> None:
    if balance < amount:
        msg = f"account {account.hex()} has {balance}, needs {amount}"
        raise InsufficientBalance(msg)


class MemoryLedger:
    """A dict-backed Ledger with free balances and the total issuance, for tests and pure callers."""

    def __init__(self, balances: dict[bytes, int] | None = None) -> None:
        self.storage: dict[bytes, bytes] = {}
        self.balances: dict[bytes, int] = {}
        self.total_issuance = 0
        for account, amount in (balances or {}).items():
            self.mint(account, amount)

    def get(self, key: bytes) -> bytes | None:
        return self.storage.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self.storage[bytes(key)] = bytes(value)

    def delete(self, key: bytes) -> None:
        self.storage.pop(key, None)

    def free_balance(self, account: bytes) -> int:
        return self.balances.get(account, 0)

    def _put_balance(self, account: bytes, balance: int) -> None:
        if balance == 0:
            self.balances.pop(account, None)
        else:
            self.balances[bytes(account)] = balance

    def transfer(self, source: bytes, destination: bytes, amount: int) -> None:
        _validate_amount(amount)
        _validate_debit(source, self.free_balance(source), amount)
        if source == destination:
            return
        _validate_credit(destination, self.free_balance(destination), amount)
        self._put_balance(source, self.free_balance(source) - amount)
        self._put_balance(destination, self.free_balance(destination) + amount)

    def mint(self, account: bytes, amount: int) -> None:
        _validate_amount(amount)
        _validate_credit(account, self.free_balance(account), amount)
        if self.total_issuance + amount > U128_MAX:
            msg = f"total issuance {self.total_issuance} + {amount} exceeds u128"
            raise BalanceOverflowError(msg)
        self._put_balance(account, self.free_balance(account) + amount)
        self.total_issuance += amount

    def burn(self, account: bytes, amount: int) -> None:
        _validate_amount(amount)
        _validate_debit(account, self.free_balance(account), amount)
        self._put_balance(account, self.free_balance(account) - amount)
        self.total_issuance -= amount

    def to_bytes(self) -> bytes:
        """The whole state in one canonical encoding (sorted keys, sorted balances, issuance): equal bytes mean
        equal ledgers."""
        parts = [encode_compact(len(self.storage))]
        for key in sorted(self.storage):
            parts += [encode_compact(len(key)), key, encode_compact(len(self.storage[key])), self.storage[key]]
        parts.append(encode_compact(len(self.balances)))
        for account in sorted(self.balances):
            parts += [encode_compact(len(account)), account, self.balances[account].to_bytes(16, "little")]
        parts.append(self.total_issuance.to_bytes(16, "little"))
        return b"".join(parts)


class OverlayLedger:
    """A Ledger that buffers every write over a parent Ledger; `commit()` applies them, dropping it discards them.

    Key writes are applied as their final values; balance operations are replayed in order, and they succeed on
    the parent because each was checked against the same balances the parent holds.
    """

    def __init__(self, parent: Ledger) -> None:
        self._parent = parent
        self._writes: dict[bytes, bytes | None] = {}
        self._balances: dict[bytes, int] = {}
        self._operations: list[tuple[str, bytes, bytes, int]] = []
        self._committed = False

    def get(self, key: bytes) -> bytes | None:
        if key in self._writes:
            return self._writes[key]
        return self._parent.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self._writes[bytes(key)] = bytes(value)

    def delete(self, key: bytes) -> None:
        self._writes[bytes(key)] = None

    def free_balance(self, account: bytes) -> int:
        if account in self._balances:
            return self._balances[account]
        return self._parent.free_balance(account)

    def transfer(self, source: bytes, destination: bytes, amount: int) -> None:
        _validate_amount(amount)
        _validate_debit(source, self.free_balance(source), amount)
        if source != destination:
            _validate_credit(destination, self.free_balance(destination), amount)
            self._balances[bytes(source)] = self.free_balance(source) - amount
            self._balances[bytes(destination)] = self.free_balance(destination) + amount
        self._operations.append(("transfer", bytes(source), bytes(destination), amount))

    def mint(self, account: bytes, amount: int) -> None:
        _validate_amount(amount)
        _validate_credit(account, self.free_balance(account), amount)
        self._balances[bytes(account)] = self.free_balance(account) + amount
        self._operations.append(("mint", bytes(account), b"", amount))

    def burn(self, account: bytes, amount: int) -> None:
        _validate_amount(amount)
        _validate_debit(account, self.free_balance(account), amount)
        self._balances[bytes(account)] = self.free_balance(account) - amount
        self._operations.append(("burn", bytes(account), b"", amount))

    def commit(self) -> None:
        """Apply every buffered write to the parent (once)."""
        if self._committed:
            msg = "an overlay commits at most once"
            raise RuntimeError(msg)
        self._committed = True
        for key, value in self._writes.items():
            if value is None:
                self._parent.delete(key)
            else:
                self._parent.set(key, value)
        for operation, account, other, amount in self._operations:
            if operation == "transfer":
                self._parent.transfer(account, other, amount)
            elif operation == "mint":
                self._parent.mint(account, amount)
            else:
                self._parent.burn(account, amount)


@contextmanager
def transaction(ledger: Ledger) -> Iterator[OverlayLedger]:
    """Run a block of ledger calls atomically: all writes land on `ledger` if the block returns, none if it raises."""
    overlay = OverlayLedger(ledger)
    yield overlay
    overlay.commit()


# ---- holds (frame-support fungible `MutateHold`, over the pot account) ----


def compute_hold_key(reason: HoldReason, account: bytes) -> bytes:
    """`balances/hold/<reason u8><account>`: the amount `account` holds for `reason` (a u128)."""
    return HOLD_PREFIX + encode_u8(reason) + bytes(account)


def get_balance_on_hold(ledger: Ledger, reason: HoldReason, account: bytes) -> int:
    """The balance `account` holds for `reason` (0 when none)."""
    raw = ledger.get(compute_hold_key(reason, account))
    return 0 if raw is None else int.from_bytes(raw, "little")


def _put_balance_on_hold(ledger: Ledger, reason: HoldReason, account: bytes, amount: int) -> None:
    key = compute_hold_key(reason, account)
    if amount == 0:
        ledger.delete(key)
    else:
        ledger.set(key, amount.to_bytes(16, "little"))


def hold(ledger: Ledger, reason: HoldReason, account: bytes, amount: int) -> None:
    """Move `amount` of `account`'s free balance on hold for `reason` (InsufficientBalance when short)."""
    _validate_amount(amount)
    if amount == 0:
        return
    ledger.transfer(account, HOLD_POT_ACCOUNT, amount)
    _put_balance_on_hold(ledger, reason, account, get_balance_on_hold(ledger, reason, account) + amount)


def _take_held(ledger: Ledger, reason: HoldReason, account: bytes, amount: int, *, best_effort: bool) -> int:
    _validate_amount(amount)
    held = get_balance_on_hold(ledger, reason, account)
    if amount > held:
        if not best_effort:
            msg = f"account {account.hex()} holds {held} for {reason.name}, needs {amount}"
            raise InsufficientHeldBalance(msg)
        amount = held
    _put_balance_on_hold(ledger, reason, account, held - amount)
    return amount


def release(ledger: Ledger, reason: HoldReason, account: bytes, amount: int, *, best_effort: bool = False) -> int:
    """Return `amount` held for `reason` to `account`'s free balance; with `best_effort`, at most what is held
    (Precision::BestEffort), else InsufficientHeldBalance when short (Precision::Exact). Returns the amount."""
    released = _take_held(ledger, reason, account, amount, best_effort=best_effort)
    if released != 0:
        ledger.transfer(HOLD_POT_ACCOUNT, account, released)
    return released


def transfer_on_hold(ledger: Ledger, reason: HoldReason, source: bytes, destination: bytes, amount: int) -> None:
    """Move `amount` that `source` holds for `reason` into `destination`'s free balance (Restriction::Free)."""
    moved = _take_held(ledger, reason, source, amount, best_effort=False)
    if moved != 0:
        ledger.transfer(HOLD_POT_ACCOUNT, destination, moved)


def transfer_and_hold(ledger: Ledger, reason: HoldReason, source: bytes, destination: bytes, amount: int) -> None:
    """Move `amount` of `source`'s free balance to `destination` and hold it there for `reason`."""
    _validate_amount(amount)
    if amount == 0:
        return
    ledger.transfer(source, HOLD_POT_ACCOUNT, amount)
    _put_balance_on_hold(ledger, reason, destination, get_balance_on_hold(ledger, reason, destination) + amount)
