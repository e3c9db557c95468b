"""Typed facade of the BLS12-381 G1 kernel: prepared bases and multi-scalar multiplication (MSM).

`G1Bases` holds points decoded once (affine, Montgomery form, in a bytes object only the C kernel reads),
so a KZG setup pays its decoding once and every commitment is one `msm` call. Points are in the zcash
48-byte compressed encoding (arkworks `G1Affine::serialize_compressed`, py-arkworks
`G1Point.to_compressed_bytes`) or 96-byte x ‖ y big-endian (py-arkworks `G1Point.to_xy_bytes_be`, all zero
for the identity). Scalars are 32-byte big-endian and canonical (< r), concatenated. Results are
byte-identical to py-arkworks `G1Point.multiexp_unchecked(...).to_compressed_bytes()`.

One C path (kernels/src/g1_*.c; x86-64 mulx/adcx/adox field multiplication when the CPU has it); the
pure-Python reference for tests is kernels/g1_reference.py. Arguments are checked here with messages
that show the actual values; the kernel rechecks points and scalars and names the first bad one.
"""

from __future__ import annotations

from collections.abc import Callable

from autonomys.kernels import _g1
from autonomys.kernels._checks import Buffer, Checks

POINT_SIZE = _g1.G1_COMPRESSED_BYTES
UNCOMPRESSED_SIZE = _g1.G1_UNCOMPRESSED_BYTES
SCALAR_SIZE = _g1.G1_SCALAR_BYTES
MAX_THREADS = _g1.G1_MAX_THREADS
MAX_WINDOW = 16
ENDOMORPHISM_MIN_POINTS = _g1.G1_ENDOMORPHISM_MIN_POINTS  # from here on `msm` splits scalars by GLV
IDENTITY = b"\xc0" + bytes(POINT_SIZE - 1)  # the compressed identity (point at infinity)
_PREPARED_SIZE = _g1.G1_PREPARED_BYTES

_Buffer = bytes | bytearray | memoryview


class G1KernelError(ValueError):
    """Arguments outside the kernel's domain: lengths, invalid points, non-canonical scalars, too many scalars."""


_CHECKS = Checks(G1KernelError)


class G1Bases:
    """Points prepared for `msm`: decoded and checked once, reusable for any number of MSMs."""

    __slots__ = ("_prepared",)

    def __init__(self, prepared: bytes) -> None:
        """Wrap the kernel's prepared table; use the `from_*` constructors."""
        if type(prepared) is not bytes or len(prepared) % _PREPARED_SIZE != 0:
            msg = "G1Bases takes the prepared table of G1Bases.from_compressed / from_uncompressed"
            raise G1KernelError(msg)
        self._prepared = prepared

    @classmethod
    def from_compressed(cls, points: _Buffer, *, subgroup_check: bool = True) -> G1Bases:
        """Decode concatenated 48-byte compressed points (one square root each).

        `subgroup_check` also requires each point to be in the order-r subgroup ([r]P = O, ~0.2 ms a
        point); skip it only for points already checked (a setup pinned by its digest, decoded commitments).
        """
        data = _CHECKS.whole("points", points, POINT_SIZE, "compressed G1 points")
        return cls(_prepare(_g1.g1_prepare_compressed, data, subgroup_check))

    @classmethod
    def from_uncompressed(cls, points: _Buffer, *, subgroup_check: bool = True) -> G1Bases:
        """Decode concatenated 96-byte x ‖ y points (no square root; the curve equation is always checked)."""
        data = _CHECKS.whole("points", points, UNCOMPRESSED_SIZE, "uncompressed G1 points")
        return cls(_prepare(_g1.g1_prepare_uncompressed, data, subgroup_check))

    def __len__(self) -> int:
        return len(self._prepared) // _PREPARED_SIZE

    def to_compressed(self) -> bytes:
        """Every point, compressed and concatenated (the round trip of `from_compressed`)."""
        return _g1.g1_compress_prepared(self._prepared)

    @property
    def prepared(self) -> bytes:
        """The kernel's table (96 bytes a point: x, y as 6 little-endian Montgomery limbs each)."""
        return self._prepared


def msm(
    bases: G1Bases, scalars: _Buffer, threads: int = 1, window: int = 0, endomorphism: bool | None = None
) -> bytes:
    """Σ scalars[i]·bases[i] over the first len(scalars) / 32 bases, compressed (IDENTITY for none).

    `threads` (1..MAX_THREADS) shares the windows out among that many threads. For tests and tuning,
    `window` forces the Pippenger window width (1..16; 0 chooses by size) and `endomorphism` the GLV
    split (None: from ENDOMORPHISM_MIN_POINTS points). The GIL is released.
    """
    if not isinstance(bases, G1Bases):
        msg = f"bases must be G1Bases, got {type(bases).__name__}"
        raise G1KernelError(msg)
    data = _CHECKS.whole("scalars", scalars, SCALAR_SIZE, "32-byte big-endian scalars", max_units=len(bases))
    _CHECKS.integer("threads", threads, 1, MAX_THREADS)
    _CHECKS.integer("window", window, 0, MAX_WINDOW)
    try:
        split = -1 if endomorphism is None else int(bool(endomorphism))
        return _g1.g1_msm(bases.prepared, data, threads, window, split)
    except ValueError as error:
        raise G1KernelError(str(error)) from None


def divide_by_linear(coefficients: _Buffer, point: _Buffer) -> bytes:
    """The quotient (p(X) − p(x)) / (X − x) of p with `coefficients` (canonical 32-byte big-endian scalars,
    lowest degree first) by synthetic division in Fr: len − 1 coefficients (none for a constant)."""
    data = _CHECKS.whole("coefficients", coefficients, SCALAR_SIZE, "32-byte big-endian scalars")
    x = _CHECKS.block("point", point, SCALAR_SIZE)
    try:
        return _g1.g1_fr_divide_by_linear(data, x)
    except ValueError as error:
        raise G1KernelError(str(error)) from None


def _prepare(function: Callable[[Buffer, bool], bytes], data: Buffer, subgroup_check: bool) -> bytes:
    try:
        return function(data, bool(subgroup_check))
    except ValueError as error:
        raise G1KernelError(str(error)) from None
