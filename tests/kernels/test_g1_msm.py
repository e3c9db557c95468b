"""The G1 MSM kernel (kernels.g1) against py-arkworks and the pure-Python reference (kernels.g1_reference).

Every MSM is compared byte for byte with `G1Point.multiexp_unchecked(...).to_compressed_bytes()`: random
inputs of many sizes (both the plain-bucket path for small inputs and the batched-affine path from 512
points), edge scalars, the identity, repeated bases and P with -P (the doubling and cancelling cases of a
batched addition), threads and forced window widths; plus rejections of bad input by name.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_arkworks_bls12381 import G1Point, Scalar

from autonomys.kernels import g1, g1_reference
from autonomys.protocol.kzg import ARKWORKS, Kzg, Polynomial, next_power_of_two, root_of_unity

R = g1_reference.R
P = g1_reference.P
KERNELS = Path(__file__).resolve().parents[2] / "kernels"


def random_points(count: int, seed: int) -> list[G1Point]:
    """Subgroup points: a random start, then sums of 16 random steps (cheaper than a scalar multiplication each)."""
    rng = random.Random(seed)
    generator = G1Point()
    steps = [generator * Scalar(rng.randrange(1, R)) for _ in range(16)]
    point = generator * Scalar(rng.randrange(1, R))
    points = []
    for _ in range(count):
        point = point + steps[rng.randrange(16)]
        points.append(point)
    return points


def scalar_bytes(values: list[int]) -> bytes:
    return b"".join(value.to_bytes(32, "big") for value in values)


def arkworks_msm(points: list[G1Point], values: list[int]) -> bytes:
    if not values:
        return bytes(G1Point.identity().to_compressed_bytes())
    scalars = [Scalar.from_be_bytes(value.to_bytes(32, "big")) for value in values]
    return bytes(G1Point.multiexp_unchecked(points[: len(values)], scalars).to_compressed_bytes())


def bases_of(points: list[G1Point]) -> g1.G1Bases:
    return g1.G1Bases.from_compressed(b"".join(bytes(point.to_compressed_bytes()) for point in points))


@pytest.fixture(scope="module")
def points() -> list[G1Point]:
    return random_points(4096, seed=1)


@pytest.fixture(scope="module")
def bases(points: list[G1Point]) -> g1.G1Bases:
    coordinates = b"".join(bytes(point.to_xy_bytes_be()) for point in points)
    return g1.G1Bases.from_uncompressed(coordinates, subgroup_check=False)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 64, 127, 128, 511, 512, 1000, 4096])
def test_random_scalars_match_arkworks(points: list[G1Point], bases: g1.G1Bases, count: int) -> None:
    rng = random.Random(count)
    values = [rng.randrange(R) for _ in range(count)]
    assert g1.msm(bases, scalar_bytes(values)) == arkworks_msm(points, values)


@pytest.mark.slow
def test_full_setup_size_matches_arkworks_with_threads() -> None:
    points = random_points(2**15, seed=15)
    bases = g1.G1Bases.from_uncompressed(b"".join(bytes(point.to_xy_bytes_be()) for point in points))
    rng = random.Random(15)
    values = [rng.randrange(R) for _ in range(2**15)]
    expected = arkworks_msm(points, values)
    assert g1.msm(bases, scalar_bytes(values), threads=1) == expected
    assert g1.msm(bases, scalar_bytes(values), threads=2) == expected


@pytest.mark.parametrize("count", [5, 700])
def test_edge_scalars_match_arkworks(points: list[G1Point], bases: g1.G1Bases, count: int) -> None:
    edges = [0, 1, 2, R - 1, R - 2, (R - 1) // 2, (R + 1) // 2, 2**254, 2**128, 2**64 - 1]
    edges += [2**k for k in range(0, 255, 7)]
    values = [edges[i % len(edges)] for i in range(count)]
    assert g1.msm(bases, scalar_bytes(values)) == arkworks_msm(points, values)


@pytest.mark.parametrize("count", [3, 600, 2000])
@pytest.mark.parametrize("value", [1, 5, R - 1, 0x1234567890ABCDEF << 100])
def test_equal_scalars_match_arkworks(points: list[G1Point], bases: g1.G1Bases, count: int, value: int) -> None:
    values = [value] * count
    assert g1.msm(bases, scalar_bytes(values)) == arkworks_msm(points, values)


def test_all_zero_scalars_and_no_scalars_give_the_identity(bases: g1.G1Bases) -> None:
    assert g1.msm(bases, bytes(32 * 1000)) == g1.IDENTITY
    assert g1.msm(bases, b"") == g1.IDENTITY
    assert g1.IDENTITY == bytes(G1Point.identity().to_compressed_bytes())


@pytest.mark.parametrize("count", [10, 900])
def test_identity_repeated_and_opposite_bases(count: int) -> None:
    base = random_points(3, seed=7)
    identity = G1Point.identity()
    # the same point many times (batched doubling), with its negation (cancelling) and the identity
    points = [[base[0], base[1], -base[0], identity, base[0], -base[1]][i % 6] for i in range(count)]
    bases = bases_of(points)
    rng = random.Random(count)
    for values in ([rng.randrange(R) for _ in range(count)], [7] * count, [rng.choice([1, 2, R - 1]) for _ in range(count)]):
        for endomorphism in (False, True):
            assert g1.msm(bases, scalar_bytes(values), endomorphism=endomorphism) == arkworks_msm(points, values)
    pairs = [base[0], -base[0]] * (count // 2)
    assert g1.msm(bases_of(pairs), scalar_bytes([3] * len(pairs))) == g1.IDENTITY


@pytest.mark.parametrize("threads", [2, 3, 7])
def test_threads_give_the_same_result(bases: g1.G1Bases, threads: int) -> None:
    rng = random.Random(threads)
    scalars = scalar_bytes([rng.randrange(R) for _ in range(3000)])
    assert g1.msm(bases, scalars, threads=threads) == g1.msm(bases, scalars, threads=1)


@pytest.mark.parametrize("count", [50, 600])
@pytest.mark.parametrize("endomorphism", [False, True])
def test_every_window_width_gives_the_same_result(
    points: list[G1Point], bases: g1.G1Bases, count: int, endomorphism: bool
) -> None:
    rng = random.Random(count)
    values = [rng.randrange(R) for _ in range(count)]
    expected = arkworks_msm(points, values)
    for window in range(1, g1.MAX_WINDOW + 1):
        assert g1.msm(bases, scalar_bytes(values), window=window, endomorphism=endomorphism) == expected, window


@pytest.mark.parametrize("count", [1, 2, 63, 64, 1000])
def test_with_and_without_the_endomorphism(points: list[G1Point], bases: g1.G1Bases, count: int) -> None:
    """The GLV split k = k1 + λ·k2 (k1 = k mod λ, k2 = k div λ) at its edges: multiples of λ, λ ± 1, r − 1."""
    lam = 0xAC45A4010001A40200000000FFFFFFFF
    edges = [0, 1, lam - 1, lam, lam + 1, 2 * lam, lam * lam, lam * lam + lam, R - 1, R - lam, (lam + 1) * lam - 1]
    rng = random.Random(count)
    values = [edges[i] if i < len(edges) else rng.randrange(R) for i in range(count)]
    expected = arkworks_msm(points, values)
    assert g1.msm(bases, scalar_bytes(values), endomorphism=True) == expected
    assert g1.msm(bases, scalar_bytes(values), endomorphism=False) == expected


def test_small_sizes_match_the_reference() -> None:
    rng = random.Random(3)
    points = [g1_reference.multiply(g1_reference.GENERATOR, rng.randrange(1, R)) for _ in range(4)]
    points.append(None)
    bases = g1.G1Bases.from_compressed(b"".join(g1_reference.compress(point) for point in points))
    for count in range(1, 6):
        values = [rng.randrange(R) for _ in range(count)]
        expected = g1_reference.compress(g1_reference.msm(points, values))
        assert g1.msm(bases, scalar_bytes(values)) == expected


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=R - 1), min_size=0, max_size=40))
def test_hypothesis_scalars_match_arkworks(values: list[int]) -> None:
    points = _HYPOTHESIS_POINTS
    assert g1.msm(_HYPOTHESIS_BASES, scalar_bytes(values)) == arkworks_msm(points, values)


_HYPOTHESIS_POINTS = random_points(40, seed=40) + [G1Point.identity()]
_HYPOTHESIS_POINTS[5] = _HYPOTHESIS_POINTS[4]
_HYPOTHESIS_POINTS[6] = -_HYPOTHESIS_POINTS[4]
_HYPOTHESIS_BASES = bases_of(_HYPOTHESIS_POINTS)


def test_compression_round_trips_against_arkworks(points: list[G1Point], bases: g1.G1Bases) -> None:
    sample = points[:200] + [G1Point.identity(), -points[0]]
    compressed = b"".join(bytes(point.to_compressed_bytes()) for point in sample)
    prepared = g1.G1Bases.from_compressed(compressed)
    assert prepared.to_compressed() == compressed
    coordinates = b"".join(bytes(point.to_xy_bytes_be()) for point in sample)
    assert g1.G1Bases.from_uncompressed(coordinates).prepared == prepared.prepared
    assert bases.to_compressed()[: 48 * 200] == compressed[: 48 * 200]
    for index in (0, 1, 200, 201):
        one = compressed[48 * index : 48 * index + 48]
        assert g1_reference.compress(g1_reference.decompress(one)) == one


def _off_subgroup_point() -> bytes:
    """A curve point outside the order-r subgroup (the cofactor of G1 is not 1)."""
    x = 1
    while True:
        try:
            point = g1_reference.decompress(g1_reference.compress((x, 0))[:1] + x.to_bytes(48, "big")[1:])
        except ValueError:
            x += 1
            continue
        if point is not None and not g1_reference.in_subgroup(point):
            return g1_reference.compress(point)
        x += 1


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("no compression flag", bytes(G1Point().to_compressed_bytes())[:1].replace(b"\x97", b"\x17") + bytes(G1Point().to_compressed_bytes())[1:]),
        ("infinity with bits", b"\xc0" + bytes(46) + b"\x01"),
        ("infinity with sign", b"\xe0" + bytes(47)),
        ("x not below p", bytes([0x80 | (P >> 376)]) + (P % 2**376).to_bytes(47, "big")),
        ("x not on the curve", b"\x80" + bytes(46) + b"\x03"),
    ],
)
def test_invalid_compressed_points_are_rejected(label: str, data: bytes) -> None:
    good = bytes(G1Point().to_compressed_bytes())
    with pytest.raises(g1.G1KernelError, match="point 1 is not a valid"):
        g1.G1Bases.from_compressed(good + data)


def test_subgroup_check() -> None:
    outside = _off_subgroup_point()
    with pytest.raises(ValueError):  # noqa: PT011 - arkworks raises a plain error
        G1Point.from_compressed_bytes(outside)
    with pytest.raises(g1.G1KernelError, match="point 0 .* prime-order subgroup"):
        g1.G1Bases.from_compressed(outside)
    assert g1.G1Bases.from_compressed(outside, subgroup_check=False).to_compressed() == outside


def test_invalid_uncompressed_points_are_rejected() -> None:
    xy = bytes(G1Point().to_xy_bytes_be())
    off_curve = xy[:95] + bytes([xy[95] ^ 1])
    with pytest.raises(g1.G1KernelError, match="point 1 is not a valid uncompressed"):
        g1.G1Bases.from_uncompressed(xy + off_curve)
    with pytest.raises(g1.G1KernelError, match="multiple of 96 bytes"):
        g1.G1Bases.from_uncompressed(xy[:95])


def test_bad_msm_arguments_are_rejected(bases: g1.G1Bases) -> None:
    small = g1.G1Bases.from_compressed(bytes(G1Point().to_compressed_bytes()) * 2)
    with pytest.raises(g1.G1KernelError, match="multiple of 32 bytes"):
        g1.msm(bases, bytes(33))
    with pytest.raises(g1.G1KernelError, match="at most 2"):
        g1.msm(small, bytes(96))
    with pytest.raises(g1.G1KernelError, match="scalar 1 is not canonical"):
        g1.msm(bases, scalar_bytes([5, R]))
    with pytest.raises(g1.G1KernelError, match="scalar 0 is not canonical"):
        g1.msm(bases, b"\xff" * 32)
    for threads in (0, g1.MAX_THREADS + 1, True):
        with pytest.raises(g1.G1KernelError, match="threads"):
            g1.msm(bases, bytes(32), threads=threads)
    with pytest.raises(g1.G1KernelError, match="window"):
        g1.msm(bases, bytes(32), window=17)
    with pytest.raises(g1.G1KernelError, match="G1Bases"):
        g1.msm(b"", bytes(32))  # type: ignore[arg-type]
    with pytest.raises(g1.G1KernelError, match="prepared table"):
        g1.G1Bases(b"x")


def python_divide_by_linear(coefficients: list[int], point: int) -> list[int]:
    quotient = [0] * max(len(coefficients) - 1, 0)
    carry = 0
    for degree in range(len(coefficients) - 1, 0, -1):
        carry = (coefficients[degree] + carry * point) % R
        quotient[degree - 1] = carry
    return quotient


@pytest.mark.parametrize("count", [0, 1, 2, 3, 100, 4096])
def test_divide_by_linear_matches_synthetic_division(count: int) -> None:
    rng = random.Random(count)
    coefficients = [rng.randrange(R) for _ in range(count)] + [R - 1] * (count > 2)
    for point in (0, 1, R - 1, rng.randrange(R)):
        quotient = g1.divide_by_linear(scalar_bytes(coefficients), point.to_bytes(32, "big"))
        assert quotient == scalar_bytes(python_divide_by_linear(coefficients, point))


def test_divide_by_linear_rejects_non_canonical_values() -> None:
    with pytest.raises(g1.G1KernelError, match="coefficient 1 is not canonical"):
        g1.divide_by_linear(scalar_bytes([1, R, 2]), bytes(32))
    with pytest.raises(g1.G1KernelError, match="point is not canonical"):
        g1.divide_by_linear(scalar_bytes([1, 2]), R.to_bytes(32, "big"))
    with pytest.raises(g1.G1KernelError, match="point must be 32 bytes"):
        g1.divide_by_linear(scalar_bytes([1, 2]), bytes(31))


def test_kzg_kernel_and_arkworks_paths_agree() -> None:
    kzg = Kzg.dev_setup(num_g1_powers=1024)
    rng = random.Random(5)
    for count in (1, 5, 600, 1024):
        polynomial = Polynomial(scalar_bytes([rng.randrange(R) for _ in range(count)]))
        assert kzg.commit(polynomial, threads=2) == kzg.commit(polynomial, backend=ARKWORKS)
        index = rng.randrange(count)
        witness = kzg.create_witness(polynomial, count, index)
        assert witness == kzg.create_witness(polynomial, count, index, backend=ARKWORKS, threads=2)
        x = pow(root_of_unity(next_power_of_two(count)), index, R)
        value = sum(c * pow(x, i, R) for i, c in enumerate(polynomial.coefficient_ints())) % R
        assert kzg.verify(kzg.commit(polynomial), count, index, value.to_bytes(32, "big"), witness)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_c_kernel_builds_strict_and_both_arithmetics_agree(tmp_path: Path) -> None:
    """kernels/tests/g1_check.c passes with the mulx/adx multiplication and with -DG1_PORTABLE_ONLY, one digest."""
    sources = [KERNELS / "src" / name for name in ("g1_fp.c", "g1_point.c", "g1_msm.c", "g1_glv.c", "g1_kzg.c")]
    digests = []
    for defines in ([], ["-DG1_PORTABLE_ONLY"]):
        binary = tmp_path / ("g1_check" + "".join(defines))
        command = [
            "gcc", "-O2", "-std=c11", "-Wall", "-Wextra", "-Wconversion", "-Wpedantic", "-Werror", "-pthread", *defines,
            f"-I{KERNELS / 'include'}", *map(str, sources), str(KERNELS / "tests" / "g1_check.c"), "-o", str(binary),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, text=True)
        result = subprocess.run([str(binary)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout
        assert "1 passed, 0 failed" in result.stdout
        digests.append([line for line in result.stdout.splitlines() if line.startswith("digest")])
    assert digests[0] == digests[1]
    assert len(digests[0]) == 1
