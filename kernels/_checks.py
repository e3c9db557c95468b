"""Argument checks shared by the kernel facades: bytes-like buffers and bounded integers.

Each facade makes one `Checks(error)` with its own exception type and runs every precondition through
it, so the same mistake reads the same in every kernel and the message always shows the actual value:

    seed must be 32 bytes, got 31
    values must be a multiple of 32 bytes (whole scalars), got 33 bytes
    k=26 must be an int in 12..25
    column_size=12 must be a power of two in 1..65536

A buffer is any C-contiguous object with the buffer protocol (bytes, bytearray, memoryview, mmap, array);
the checks hand back the bytes object itself or a flat unsigned-byte view of anything else, never a copy,
except `block`, which returns an immutable `bytes` for small fixed-size values the facade keeps.
"""

from __future__ import annotations

from typing import TypeGuard

Buffer = bytes | memoryview  # what the buffer checks return: the bytes itself, or a flat "B" view

_BYTES_LIKE = "bytes-like (bytes, bytearray, memoryview, ...)"
_POWER_NOTATION_FROM = 2**20 - 1  # bounds at least this large read better as 2^n or 2^n-1


def describe_bound(bound: int) -> str:
    """`bound` in decimal, or as 2^n / 2^n-1 once it is large (0..2^64-1 rather than 0..18446744073709551615)."""
    if bound >= _POWER_NOTATION_FROM:
        if bound & (bound - 1) == 0:
            return f"2^{bound.bit_length() - 1}"
        if bound & (bound + 1) == 0:
            return f"2^{bound.bit_length()}-1"
    return str(bound)


class Checks:
    """The buffer and integer preconditions of one kernel, each raising that kernel's `error`."""

    __slots__ = ("error",)

    def __init__(self, error: type[Exception]) -> None:
        self.error = error

    # ---- buffers ----

    def view(self, name: str, value: object, *, writable: bool = False) -> Buffer:
        """`value` itself when it is bytes, else a flat unsigned-byte view of it; C-contiguous either way."""
        if type(value) is bytes and not writable:
            return value
        try:
            view = memoryview(value)  # type: ignore[arg-type]
        except TypeError:
            msg = f"{name} must be {_BYTES_LIKE}, got {type(value).__name__}"
            raise self.error(msg) from None
        # the kernels read raw bytes: one contiguous run, and writable where they write
        problem = ""
        if not view.c_contiguous:
            problem = f"{name} must be C-contiguous, got a view with strides {view.strides}"
        elif writable and view.readonly:
            problem = f"{name} must be writable (a bytearray or a writable memoryview), got {type(value).__name__}"
        if problem:
            view.release()
            raise self.error(problem)
        if view.ndim == 1 and view.format == "B":
            return view
        with view:
            return view.cast("B")

    def sized(self, name: str, value: object, size: int, why: str = "", *, writable: bool = False) -> Buffer:
        """A buffer of exactly `size` bytes; `why` follows the size in the message (" for k=20")."""
        data = value if type(value) is bytes and not writable else self.view(name, value, writable=writable)
        if len(data) != size:
            msg = f"{name} must be {size} bytes{why}, got {len(data)}"
            raise self.error(_released(data, msg))
        return data

    def whole(
        self, name: str, value: object, unit: int, what: str, *, non_empty: bool = False, max_units: int | None = None
    ) -> Buffer:
        """A buffer of whole `unit`-byte units (`what` names them), at least one when `non_empty`, at most `max_units`."""
        data = value if type(value) is bytes else self.view(name, value)
        length = len(data)
        if length % unit != 0 or (non_empty and length == 0) or (max_units is not None and length // unit > max_units):
            multiple = "a non-zero multiple" if non_empty else "a multiple"
            limit = "" if max_units is None else f", at most {describe_bound(max_units)} of them"
            msg = f"{name} must be {multiple} of {unit} bytes ({what}{limit}), got {length} bytes"
            raise self.error(_released(data, msg))
        return data

    def block(self, name: str, value: object, size: int, why: str = "") -> bytes:
        """Exactly `size` bytes as an immutable bytes object (seeds, keys, challenges, proofs)."""
        if type(value) is bytes and len(value) == size:
            return value
        data = self.sized(name, value, size, why)
        return data if type(data) is bytes else data.tobytes()

    # ---- integers ----

    def integer(self, name: str, value: object, minimum: int, maximum: int, *, multiple_of: int = 1) -> int:
        """An int (not a bool) in minimum..maximum, and a multiple of `multiple_of`."""
        if not _is_int(value) or not minimum <= value <= maximum or value % multiple_of != 0:
            kind = "an int" if multiple_of == 1 else f"a multiple of {multiple_of}"
            msg = f"{name}={value!r} must be {kind} in {describe_bound(minimum)}..{describe_bound(maximum)}"
            raise self.error(msg)
        return value

    def unsigned(self, name: str, value: object, bits: int) -> int:
        """An int in 0..2^bits-1, the range of a C unsigned integer of that width."""
        if not _is_int(value) or value < 0 or value >> bits != 0:
            msg = f"{name}={value!r} must be an int in 0..2^{bits}-1"
            raise self.error(msg)
        return value

    def power_of_two(self, name: str, value: object, minimum: int, maximum: int) -> int:
        """A power of two in minimum..maximum (a radix-2 domain size)."""
        if not _is_int(value) or not minimum <= value <= maximum or value & (value - 1) != 0:
            msg = f"{name}={value!r} must be a power of two in {minimum}..{maximum}"
            raise self.error(msg)
        return value


def _is_int(value: object) -> TypeGuard[int]:
    """True for an int or an int subclass (the protocol's sized newtypes), False for a bool: it is no count."""
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


def _released(data: Buffer, message: str) -> str:
    """`message`, after releasing `data` if it is a view, so a refused buffer is never left exported."""
    if isinstance(data, memoryview):
        data.release()
    return message
