"""The canonical byte encoding (SCALE, little-endian) primitives every container is built from."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from autonomys.protocol.constants import U32_MAX
from autonomys.protocol.errors import DecodeError

# SCALE compact integers: the low 2 bits of the first byte pick the mode.
COMPACT_SINGLE_BYTE_LIMIT = 1 << 6
COMPACT_TWO_BYTE_LIMIT = 1 << 14
COMPACT_FOUR_BYTE_LIMIT = 1 << 30
# Big-integer mode: 4 + (first byte >> 2) little-endian bytes, so at most 67 bytes (2^536 - 1).
COMPACT_MAX_BYTES = 67
_NON_ZERO_BYTE = re.compile(rb"[^\x00]")
_Item = TypeVar("_Item")


def validate_uint(name: str, value: object, maximum: int) -> None:
    """DecodeError unless `value` is an int (not a bool) in 0..maximum: a container field's range."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        msg = f"{name}={value!r} must be an int in 0..{maximum}"
        raise DecodeError(msg)


def validate_bytes(name: str, value: object, size: int) -> None:
    """DecodeError unless `value` is bytes of exactly `size`: a fixed-size array field (a hash, a key)."""
    if not isinstance(value, bytes) or len(value) != size:
        msg = f"{name} must be {size} bytes, got {value!r:.80}"
        raise DecodeError(msg)


def validate_tuple(name: str, value: object, item_type: type) -> None:
    """DecodeError unless `value` is a tuple whose items are all `item_type`: a Vec field."""
    if not isinstance(value, tuple) or not all(isinstance(item, item_type) for item in value):
        msg = f"{name} must be a tuple of {item_type.__name__}"
        raise DecodeError(msg)


def encode_u8(value: int) -> bytes:
    return value.to_bytes(1, "little")


def encode_u16(value: int) -> bytes:
    return value.to_bytes(2, "little")


def encode_u32(value: int) -> bytes:
    return value.to_bytes(4, "little")


def encode_u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def encode_u128(value: int) -> bytes:
    return value.to_bytes(16, "little")


def encode_compact(value: int) -> bytes:
    """SCALE compact encoding of a non-negative integer (the length prefix of every Vec)."""
    if value < 0:
        msg = f"compact integers are unsigned, got {value}"
        raise OverflowError(msg)
    if value < COMPACT_SINGLE_BYTE_LIMIT:
        return bytes([value << 2])
    if value < COMPACT_TWO_BYTE_LIMIT:
        return ((value << 2) | 0b01).to_bytes(2, "little")
    if value < COMPACT_FOUR_BYTE_LIMIT:
        return ((value << 2) | 0b10).to_bytes(4, "little")
    length = max(4, (value.bit_length() + 7) // 8)
    if length > COMPACT_MAX_BYTES:
        msg = f"compact integer {value} needs {length} bytes, at most {COMPACT_MAX_BYTES} fit"
        raise OverflowError(msg)
    return bytes([((length - 4) << 2) | 0b11]) + value.to_bytes(length, "little")


def compute_compact_length(value: int) -> int:
    """Number of bytes encode_compact(value) takes."""
    if value < COMPACT_SINGLE_BYTE_LIMIT:
        return 1
    if value < COMPACT_TWO_BYTE_LIMIT:
        return 2
    if value < COMPACT_FOUR_BYTE_LIMIT:
        return 4
    return 1 + max(4, (value.bit_length() + 7) // 8)


def encode_vec_u8(data: bytes | bytearray | memoryview) -> bytes:
    """SCALE Vec<u8>: compact length, then the bytes."""
    return encode_compact(len(data)) + bytes(data)


class Encodable(Protocol):
    """A container with its one canonical encoding."""

    def to_bytes(self) -> bytes: ...


def encode_vector(items: Sequence[bytes | Encodable]) -> bytes:
    """A SCALE Vec: the compact length, then each item (bytes as they are, already encoded; a container by its
    to_bytes())."""
    return encode_compact(len(items)) + b"".join(item if isinstance(item, bytes) else item.to_bytes() for item in items)


class Reader:
    """Reads fields in order from a byte string; every short read raises DecodeError."""

    __slots__ = ("_data", "_offset", "_what")

    def __init__(self, data: bytes | bytearray | memoryview, what: str) -> None:
        self._data = bytes(data)
        self._offset = 0
        self._what = what

    def read_bytes(self, length: int) -> bytes:
        end = self._offset + length
        if end > len(self._data):
            msg = f"{self._what}: needs {end} bytes, got {len(self._data)}"
            raise DecodeError(msg)
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk

    def read_uint(self, width: int) -> int:
        return int.from_bytes(self.read_bytes(width), "little")

    def read_u8(self) -> int:
        return self.read_uint(1)

    def read_u16(self) -> int:
        return self.read_uint(2)

    def read_u32(self) -> int:
        return self.read_uint(4)

    def read_u64(self) -> int:
        return self.read_uint(8)

    def read_compact(self) -> int:
        """A SCALE compact integer; a non-canonical (longer than needed) encoding raises DecodeError."""
        first = self.read_u8()
        mode = first & 0b11
        if mode == 0b00:
            return first >> 2
        if mode == 0b01:
            return self._checked_compact((first | self.read_u8() << 8) >> 2, COMPACT_SINGLE_BYTE_LIMIT)
        if mode == 0b10:
            rest = self.read_uint(3)
            return self._checked_compact((first | rest << 8) >> 2, COMPACT_TWO_BYTE_LIMIT)
        length = (first >> 2) + 4
        value = self.read_uint(length)
        # The big-integer mode must be needed at all, and its top byte must be non-zero.
        return self._checked_compact(value, max(COMPACT_FOUR_BYTE_LIMIT, 1 << (8 * (length - 1))))

    def _checked_compact(self, value: int, minimum: int) -> int:
        if value < minimum:
            msg = f"{self._what}: compact integer {value} is not canonically encoded"
            raise DecodeError(msg)
        return value

    def read_vec_u8(self) -> bytes:
        """A SCALE Vec<u8>: compact length (a u32), then that many bytes."""
        length = self.read_compact()
        if length > U32_MAX:
            msg = f"{self._what}: Vec length {length} does not fit in u32"
            raise DecodeError(msg)
        return self.read_bytes(length)

    def skip_zero_bytes(self) -> int:
        """Consume a run of 0x00 bytes (each one is a SCALE unit variant 0, e.g. Padding); return its length."""
        match = _NON_ZERO_BYTE.search(self._data, self._offset)
        end = len(self._data) if match is None else match.start()
        skipped = end - self._offset
        self._offset = end
        return skipped

    def remaining(self) -> int:
        """Bytes not read yet."""
        return len(self._data) - self._offset

    def read_option_tag(self) -> bool:
        """SCALE Option: 0x00 = None, 0x01 = Some."""
        tag = self.read_u8()
        if tag not in (0, 1):
            msg = f"{self._what}: option tag must be 0 or 1, got {tag}"
            raise DecodeError(msg)
        return tag == 1

    def expect_end(self) -> None:
        if self._offset != len(self._data):
            msg = f"{self._what}: {len(self._data) - self._offset} trailing bytes"
            raise DecodeError(msg)


def read_u128(reader: Reader) -> int:
    return reader.read_uint(16)


def read_vector_length(reader: Reader) -> int:
    """The compact length prefix of a SCALE Vec (a u32)."""
    length = reader.read_compact()
    if length > U32_MAX:
        msg = f"Vec length {length} does not fit in u32"
        raise DecodeError(msg)
    return length


def read_vector(reader: Reader, read_item: Callable[[Reader], _Item]) -> tuple[_Item, ...]:
    """A SCALE Vec of items, each read by `read_item`."""
    return tuple(read_item(reader) for _ in range(read_vector_length(reader)))


def decode_exactly(data: bytes, what: str, read: Callable[[Reader], _Item]) -> _Item:
    """One value read by `read` that uses all of `data`; a short read or trailing bytes are a DecodeError."""
    reader = Reader(data, what)
    value = read(reader)
    reader.expect_end()
    return value
