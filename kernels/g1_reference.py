"""Slow pure-Python reference of the G1 kernel (kernels/g1.py), for tests only.

Affine points as (x, y) int pairs, None for the identity; the zcash compressed encoding as arkworks
`G1Affine::serialize_compressed` writes it; MSM as a sum of double-and-add scalar multiplications.
"""

from __future__ import annotations

from collections.abc import Sequence

P = 0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
B = 4  # y^2 = x^3 + 4
GENERATOR = (
    0x17F1D3A73197D7942695638C4FA9AC0FC3688C4F9774B905A14E3A3F171BAC586C55E83FF97A1AEFFB3AF00ADB22C6BB,
    0x08B3F481E3AAA0F1A09E30ED741D8AE4FCF5E095D5D00AF600DB18CB2C04B3EDD03CC744A2888AE40CAA232946C5E7E1,
)
IDENTITY_BYTES = b"\xc0" + bytes(47)

Point = tuple[int, int] | None


def add(first: Point, second: Point) -> Point:
    """The group law in affine coordinates."""
    if first is None:
        return second
    if second is None:
        return first
    (x1, y1), (x2, y2) = first, second
    if x1 == x2:
        if (y1 + y2) % P == 0:
            return None
        slope = 3 * x1 * x1 * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return x3, (slope * (x1 - x3) - y1) % P


def negate(point: Point) -> Point:
    return None if point is None else (point[0], -point[1] % P)


def multiply(point: Point, scalar: int) -> Point:
    """[scalar]point by double and add."""
    result: Point = None
    for bit in bin(scalar)[2:] if scalar > 0 else "":
        result = add(result, result)
        if bit == "1":
            result = add(result, point)
    return result


def msm(points: Sequence[Point], scalars: Sequence[int]) -> Point:
    total: Point = None
    for point, scalar in zip(points, scalars, strict=False):
        total = add(total, multiply(point, scalar % R))
    return total


def is_on_curve(point: Point) -> bool:
    return point is None or (point[1] ** 2 - point[0] ** 3 - B) % P == 0


def compress(point: Point) -> bytes:
    if point is None:
        return IDENTITY_BYTES
    x, y = point
    data = bytearray(x.to_bytes(48, "big"))
    data[0] |= 0x80 | (0x20 if y > (P - 1) // 2 else 0)
    return bytes(data)


def decompress(data: bytes) -> Point:
    """The point of 48 compressed bytes; ValueError when they encode none (no subgroup check)."""
    if len(data) != 48 or not data[0] & 0x80:
        msg = "not a 48-byte compressed point"
        raise ValueError(msg)
    if data[0] & 0x40:
        if data[0] & 0x3F or any(data[1:]):
            msg = "non-canonical infinity"
            raise ValueError(msg)
        return None
    x = int.from_bytes(bytes([data[0] & 0x1F]) + data[1:], "big")
    if x >= P:
        msg = "x is not below p"
        raise ValueError(msg)
    square = (x**3 + B) % P
    y = pow(square, (P + 1) // 4, P)
    if y * y % P != square:
        msg = "x is not on the curve"
        raise ValueError(msg)
    if (y > (P - 1) // 2) != bool(data[0] & 0x20):
        y = P - y
    return x, y


def in_subgroup(point: Point) -> bool:
    return multiply(point, R) is None
