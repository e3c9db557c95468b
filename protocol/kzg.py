"""KZG polynomial commitments over BLS12-381, as the reference uses them (subspace-kzg, `Kzg`).

Point arithmetic and pairings come from py-arkworks-bls12381; multi-scalar multiplication (MSM) and
the quotient of an opening from the C G1 kernel (kernels.g1, byte-identical to py-arkworks
`G1Point.multiexp_unchecked`, which stays available as `backend="arkworks"` for equivalence checks);
the field transforms from the C kernel (kernels.fr). Polynomials are given by evaluations over the
natural-order domain of size n (a power of two, ω_n = 7^((r−1)/n)); commitments and witnesses
are 48-byte compressed G1 points.

The setup is either the Ethereum KZG ceremony file (32 768 G1 + 65 G2 powers, checked by length
and sha256) or a deterministic development setup that is INSECURE (its τ is public).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import blake3
from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from autonomys.kernels import fr, g1
from autonomys.protocol.constants import (
    BLS12_381_SCALAR_MODULUS,
    ETH_SETUP_NUM_G1_POWERS,
    ETH_SETUP_NUM_G2_POWERS,
    ETH_SETUP_SHA256,
    G1_COMPRESSED_SIZE,
    G2_COMPRESSED_SIZE,
    SCALAR_FULL_BYTES,
)
from autonomys.protocol.errors import InvalidKzgSetup, ProtocolError

R = BLS12_381_SCALAR_MODULUS
KERNEL = "kernel"  # MSM by the C G1 kernel (kernels.g1)
ARKWORKS = "arkworks"  # MSM by py-arkworks G1Point.multiexp_unchecked: the previous path, for equivalence checks
MSM_BACKENDS = (KERNEL, ARKWORKS)
DEV_SETUP_SEED = b"autonomys: INSECURE deterministic development KZG setup (tau is public)"


class InvalidCommitmentInput(ProtocolError):
    """Values, points or sizes a KZG operation cannot take (non-canonical scalar, bad point, size)."""


def root_of_unity(domain_size: int) -> int:
    """ω_n = 7^((r−1)/n) for n a power of two up to 2^32."""
    if domain_size < 1 or domain_size & (domain_size - 1) != 0 or domain_size > 2**32:
        msg = f"domain size {domain_size} is not a power of two in 1..2^32"
        raise InvalidCommitmentInput(msg)
    return pow(7, (R - 1) // domain_size, R)


def next_power_of_two(value: int) -> int:
    return 1 if value <= 1 else 1 << (value - 1).bit_length()


@dataclass(frozen=True, slots=True)
class Polynomial:
    """Coefficients c_0..c_{n−1} as canonical 32-byte big-endian scalars, concatenated."""

    coefficients: bytes

    @property
    def degree_bound(self) -> int:
        return len(self.coefficients) // SCALAR_FULL_BYTES

    def coefficient_ints(self) -> list[int]:
        size = SCALAR_FULL_BYTES
        return [int.from_bytes(self.coefficients[i : i + size], "big") for i in range(0, len(self.coefficients), size)]


def decode_g1(data: bytes, what: str = "commitment") -> G1Point:
    """The G1 point of 48 compressed bytes (checked in the subgroup); InvalidCommitmentInput otherwise."""
    if len(data) != G1_COMPRESSED_SIZE:
        msg = f"{what} must be {G1_COMPRESSED_SIZE} bytes, got {len(data)}"
        raise InvalidCommitmentInput(msg)
    try:
        point = G1Point.from_compressed_bytes(bytes(data))
    except Exception as error:  # noqa: BLE001 - the binding raises plain exceptions for bad points
        msg = f"{what} is not a valid compressed G1 point: {error}"
        raise InvalidCommitmentInput(msg) from error
    if bytes(point.to_compressed_bytes()) != bytes(data):
        # arkworks ignores the bits after an infinity flag (0xff...ff decodes); blst and the reference do not.
        msg = f"{what} is not a valid compressed G1 point: not the canonical encoding"
        raise InvalidCommitmentInput(msg)
    return point


def scalar_from_int(value: int) -> Scalar:
    """The scalar of an integer in 0..R-1."""
    return Scalar.from_be_bytes(value.to_bytes(SCALAR_FULL_BYTES, "big"))


def g1_bases_of(points: Sequence[G1Point]) -> g1.G1Bases:
    """Kernel bases of py-arkworks points (already valid: taken by their x ‖ y, no square root, no subgroup check)."""
    coordinates = b"".join(bytes(point.to_xy_bytes_be()) for point in points)
    return g1.G1Bases.from_uncompressed(coordinates, subgroup_check=False)


def msm_points(points: Sequence[G1Point], scalars: bytes, *, threads: int = 1, backend: str = KERNEL) -> bytes:
    """Σ scalars[i]·points[i], compressed, for arbitrary valid points; `scalars` are canonical 32-byte big-endian."""
    count = len(scalars) // SCALAR_FULL_BYTES
    if len(scalars) % SCALAR_FULL_BYTES != 0 or count != len(points):
        msg = f"{len(scalars)} bytes are not {len(points)} 32-byte scalars"
        raise InvalidCommitmentInput(msg)
    if backend == ARKWORKS:
        return _arkworks_msm(points, scalars)
    _check_msm_backend(backend)
    return msm_bases(g1_bases_of(points), scalars, threads)


def _check_msm_backend(backend: str) -> None:
    if backend not in MSM_BACKENDS:
        msg = f"backend={backend!r} is not an MSM backend; choose one of {', '.join(MSM_BACKENDS)}"
        raise InvalidCommitmentInput(msg)


def msm_bases(bases: g1.G1Bases, scalars: bytes, threads: int = 1) -> bytes:
    """Σ scalars[i]·bases[i] by the kernel, compressed; InvalidCommitmentInput for bad scalars or counts."""
    try:
        return g1.msm(bases, scalars, threads=threads)
    except g1.G1KernelError as error:
        raise InvalidCommitmentInput(str(error)) from error


def _arkworks_msm(points: Sequence[G1Point], scalars: bytes) -> bytes:
    size = SCALAR_FULL_BYTES
    try:
        values = [Scalar.from_be_bytes(scalars[i : i + size]) for i in range(0, len(scalars), size)]
    except (ValueError, TypeError, OverflowError) as error:
        raise InvalidCommitmentInput(f"a scalar is not canonical: {error}") from error
    if not values:
        return bytes(G1Point.identity().to_compressed_bytes())
    return bytes(G1Point.multiexp_unchecked(list(points[: len(values)]), values).to_compressed_bytes())


class Kzg:
    """A KZG instance over one setup: `poly`, `commit`, `create_witness`, `verify`."""

    def __init__(
        self, g1_powers: Sequence[G1Point], g2_powers: Sequence[G2Point], *, label: str, insecure: bool
    ) -> None:
        if len(g2_powers) < 2:
            msg = f"a KZG setup needs at least 2 G2 powers, got {len(g2_powers)}"
            raise InvalidKzgSetup(msg)
        self.g1_powers = list(g1_powers)
        self.g2_powers = list(g2_powers)
        self.label = label
        self.insecure = insecure
        self._g1_bases: g1.G1Bases | None = None  # the G1 powers for the MSM kernel, prepared on first use

    @property
    def g1_bases(self) -> g1.G1Bases:
        """The G1 powers prepared for the MSM kernel (built on first use from the py-arkworks points)."""
        if self._g1_bases is None:
            self._g1_bases = g1_bases_of(self.g1_powers)
        return self._g1_bases

    @property
    def max_values(self) -> int:
        """The largest number of values one commitment can take (the number of G1 powers)."""
        return len(self.g1_powers)

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        *,
        num_g1_powers: int = ETH_SETUP_NUM_G1_POWERS,
        num_g2_powers: int = ETH_SETUP_NUM_G2_POWERS,
        expected_sha256: str | None = ETH_SETUP_SHA256,
        label: str = "ethereum-ceremony",
    ) -> Kzg:
        """Parse compressed G1 then G2 powers; the length and (if given) sha256 must match."""
        expected_length = num_g1_powers * G1_COMPRESSED_SIZE + num_g2_powers * G2_COMPRESSED_SIZE
        if len(data) != expected_length:
            msg = f"KZG setup must be {expected_length} bytes, got {len(data)}"
            raise InvalidKzgSetup(msg)
        digest = hashlib.sha256(data).hexdigest()
        if expected_sha256 is not None and digest != expected_sha256:
            msg = f"KZG setup sha256 is {digest}, expected {expected_sha256}"
            raise InvalidKzgSetup(msg)
        g1_end = num_g1_powers * G1_COMPRESSED_SIZE
        # The digest pins the bytes, so points are decompressed without the (slow) subgroup checks.
        g1 = [
            G1Point.from_compressed_bytes_unchecked(data[i : i + G1_COMPRESSED_SIZE])
            for i in range(0, g1_end, G1_COMPRESSED_SIZE)
        ]
        g2 = [
            G2Point.from_compressed_bytes(data[i : i + G2_COMPRESSED_SIZE])
            for i in range(g1_end, len(data), G2_COMPRESSED_SIZE)
        ]
        return cls(g1, g2, label=label, insecure=expected_sha256 is None)

    @classmethod
    def from_file(cls, path: str, *, expected_sha256: str | None = ETH_SETUP_SHA256) -> Kzg:
        """Load the ceremony file (the one protocol read of a file: the trusted setup is a parameter)."""
        with open(path, "rb") as setup_file:  # noqa: PTH123
            data = setup_file.read()
        return cls.from_bytes(data, expected_sha256=expected_sha256, label=f"file:{path}")

    @classmethod
    def dev_setup(cls, num_g1_powers: int = ETH_SETUP_NUM_G1_POWERS, num_g2_powers: int = 2) -> Kzg:
        """A deterministic development setup: INSECURE, anyone can derive its τ. Never for a real network."""
        tau = int.from_bytes(blake3.blake3(DEV_SETUP_SEED).digest(), "big") % R
        generator_g1, generator_g2 = G1Point(), G2Point()
        power = 1
        g1 = []
        for _ in range(num_g1_powers):
            g1.append(generator_g1 * scalar_from_int(power))
            power = power * tau % R
        g2 = [generator_g2 * scalar_from_int(pow(tau, i, R)) for i in range(num_g2_powers)]
        return cls(g1, g2, label="insecure-dev", insecure=True)

    def to_bytes(self) -> bytes:
        """The setup in the ceremony file's layout (used to cache the dev setup)."""
        return b"".join(bytes(p.to_compressed_bytes()) for p in self.g1_powers) + b"".join(
            bytes(p.to_compressed_bytes()) for p in self.g2_powers
        )

    def poly(self, values: bytes) -> Polynomial:
        """The polynomial with p(ω_n^i) = values[i] (inverse NTT, natural order)."""
        count = len(values) // SCALAR_FULL_BYTES
        if len(values) % SCALAR_FULL_BYTES != 0 or count > self.max_values:
            msg = f"{len(values)} bytes are not up to {self.max_values} 32-byte scalars"
            raise InvalidCommitmentInput(msg)
        try:
            return Polynomial(fr.intt(bytes(values)))
        except fr.FrKernelError as error:
            raise InvalidCommitmentInput(str(error)) from error

    def commit(self, polynomial: Polynomial, threads: int = 1, backend: str = KERNEL) -> bytes:
        """Σ c_i·[τ^i]G1, compressed; `threads` for the MSM kernel, `backend` one of MSM_BACKENDS."""
        return self._msm(polynomial.coefficients, threads, backend)

    def create_witness(
        self, polynomial: Polynomial, num_values: int, index: int, threads: int = 1, backend: str = KERNEL
    ) -> bytes:
        """Opening proof [(p(τ) − p(x))/(τ − x)]G1 at x = ω_{n'}^index, n' = next power of two ≥ num_values."""
        point = pow(root_of_unity(next_power_of_two(num_values)), index, R)
        try:
            quotient = g1.divide_by_linear(polynomial.coefficients, point.to_bytes(SCALAR_FULL_BYTES, "big"))
        except g1.G1KernelError as error:
            raise InvalidCommitmentInput(str(error)) from error
        return self._msm(quotient, threads, backend)

    def verify(self, commitment: bytes, num_values: int, index: int, value: bytes, witness: bytes) -> bool:
        """e(C − y·G1, G2) == e(π, [τ]G2 − x·G2); False for any malformed input."""
        try:
            commitment_point = decode_g1(commitment, "commitment")
            witness_point = decode_g1(witness, "witness")
            y = Scalar.from_be_bytes(bytes(value))
            x = scalar_from_int(pow(root_of_unity(next_power_of_two(num_values)), index, R))
        except (InvalidCommitmentInput, ValueError, TypeError, OverflowError):
            return False
        g2_generator, g2_tau = self.g2_powers[0], self.g2_powers[1]
        left = commitment_point - G1Point() * y
        right_g2 = g2_tau - g2_generator * x
        return bool(GT.pairing_check([left, -witness_point], [g2_generator, right_g2]))

    def _msm(self, scalars: bytes, threads: int, backend: str) -> bytes:
        """Σ scalars[i]·[τ^i]G1 over concatenated canonical 32-byte big-endian scalars."""
        count = len(scalars) // SCALAR_FULL_BYTES
        if len(scalars) % SCALAR_FULL_BYTES != 0:
            msg = f"{len(scalars)} bytes are not whole 32-byte scalars"
            raise InvalidCommitmentInput(msg)
        if count > self.max_values:
            msg = f"{count} coefficients exceed the setup's {self.max_values} G1 powers"
            raise InvalidCommitmentInput(msg)
        _check_msm_backend(backend)
        if backend == ARKWORKS:
            return _arkworks_msm(self.g1_powers, scalars)
        return msm_bases(self.g1_bases, scalars, threads)
