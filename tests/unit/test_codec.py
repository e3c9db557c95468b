"""protocol.codec: SCALE compact integers and Vec<u8> (boundary values, canonical-form rejection)."""

from __future__ import annotations

import pytest

from autonomys.protocol.codec import Reader, compute_compact_length, encode_compact, encode_vec_u8
from autonomys.protocol.errors import DecodeError

# (value, SCALE compact bytes): the mode boundaries of parity-scale-codec.
COMPACT_VECTORS = [
    (0, "00"),
    (1, "04"),
    (63, "fc"),
    (64, "0101"),
    (16383, "fdff"),
    (16384, "02000100"),
    (2**30 - 1, "feffffff"),
    (2**30, "0300000040"),
    (2**32 - 1, "03ffffffff"),
    (2**32, "070000000001"),
    (2**64 - 1, "13ffffffffffffffff"),
    (2**536 - 1, "ff" + "ff" * 67),
]


def read_compact(data: bytes) -> int:
    reader = Reader(data, "compact")
    value = reader.read_compact()
    reader.expect_end()
    return value


@pytest.mark.parametrize(("value", "encoded"), COMPACT_VECTORS)
def test_compact_boundary_values(value: int, encoded: str) -> None:
    assert encode_compact(value).hex() == encoded
    assert compute_compact_length(value) == len(encoded) // 2
    assert read_compact(bytes.fromhex(encoded)) == value


@pytest.mark.parametrize(
    "encoded",
    [
        "0100",  # 0 in the two-byte mode
        "fd00",  # 63 in the two-byte mode
        "02000000",  # 0 in the four-byte mode
        "feff0000",  # 16383 in the four-byte mode
        "03ffffff3f",  # 2^30 - 1 in the big mode
        "070000000000",  # 5-byte big mode whose top byte is zero
    ],
)
def test_non_canonical_compact_is_rejected(encoded: str) -> None:
    with pytest.raises(DecodeError, match="not canonically encoded"):
        read_compact(bytes.fromhex(encoded))


@pytest.mark.parametrize("encoded", ["", "01", "020001", "03ffffff", "13ffff"])
def test_truncated_compact_is_rejected(encoded: str) -> None:
    with pytest.raises(DecodeError, match="needs"):
        read_compact(bytes.fromhex(encoded))


def test_compact_rejects_negative_and_oversized_values() -> None:
    with pytest.raises(OverflowError):
        encode_compact(-1)
    with pytest.raises(OverflowError, match="at most 67"):
        encode_compact(2**536)


def test_vec_u8_round_trip_and_limits() -> None:
    for length in (0, 1, 63, 64, 16384):
        data = bytes(range(256)) * (length // 256) + bytes(range(length % 256))
        encoded = encode_vec_u8(data)
        assert encoded[: compute_compact_length(length)] == encode_compact(length)
        reader = Reader(encoded, "vec")
        assert reader.read_vec_u8() == data
        reader.expect_end()
    with pytest.raises(DecodeError, match="does not fit in u32"):
        Reader(bytes.fromhex("070000000001"), "vec").read_vec_u8()
    with pytest.raises(DecodeError, match="needs"):
        Reader(bytes.fromhex("0c0102"), "vec").read_vec_u8()


def test_skip_zero_bytes() -> None:
    reader = Reader(bytes(5) + b"\x07" + bytes(3), "zeros")
    assert reader.skip_zero_bytes() == 5
    assert reader.skip_zero_bytes() == 0
    assert reader.read_u8() == 7
    assert reader.skip_zero_bytes() == 3
    assert reader.remaining() == 0
