"""The canonical byte encoding (SCALE, little-endian) primitives every container is built from."""

from __future__ import annotations

from autonomys.protocol.errors import DecodeError


def encode_u8(value: int) -> bytes:
    return value.to_bytes(1, "little")


def encode_u16(value: int) -> bytes:
    return value.to_bytes(2, "little")


def encode_u32(value: int) -> bytes:
    return value.to_bytes(4, "little")


def encode_u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


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
