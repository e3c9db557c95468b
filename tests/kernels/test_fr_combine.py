"""fr.combine_records: the linear combination a batch piece check commits to, C == reference, bad input named."""

from __future__ import annotations

import random

import pytest

from autonomys.kernels import _kernels, fr

KERNEL = fr  # tests taking `backend` run once per fr.available_backends() (tests/kernels/conftest.py)
MODULUS = fr.MODULUS


def scalars(values: list[int]) -> bytes:
    return fr.scalars_to_bytes(values)


def test_known_answer(backend: str) -> None:
    records = scalars([1, 2, MODULUS - 1]) + scalars([5, 0, 3])
    combined = fr.combine_records(records, [3, 2], backend)
    assert fr.bytes_to_scalars(combined) == [13, 6, (3 * (MODULUS - 1) + 6) % MODULUS]


@pytest.mark.parametrize(("num_records", "scalars_per_record"), [(1, 1), (3, 64), (16, 1024)])
def test_c_matches_reference(native_backend: str, num_records: int, scalars_per_record: int) -> None:
    rng = random.Random(num_records * 1000 + scalars_per_record)
    records = scalars([rng.randrange(MODULUS) for _ in range(num_records * scalars_per_record)])
    coefficients = [rng.randrange(MODULUS) for _ in range(num_records)]
    expected = fr.combine_records(records, coefficients, "reference")
    assert fr.combine_records(records, coefficients, native_backend) == expected
    assert len(expected) == scalars_per_record * fr.SCALAR_SIZE


def test_extreme_values(backend: str) -> None:
    """r-1 times r-1 summed 16 times: the reduction keeps every partial sum in the field."""
    records = scalars([MODULUS - 1] * 16 * 4)
    combined = fr.combine_records(records, [MODULUS - 1] * 16, backend)
    assert fr.bytes_to_scalars(combined) == [16 % MODULUS] * 4  # (r-1)^2 = 1, sixteen times


def test_bad_input_is_named(backend: str) -> None:
    good = scalars([1, 2, 3, 4])
    with pytest.raises(fr.FrKernelError, match="at least one record"):
        fr.combine_records(good, [], backend)
    with pytest.raises(
        fr.FrKernelError, match=r"96 bytes \(3 records of equal whole numbers of scalars\), got 128 bytes"
    ):
        fr.combine_records(good, [1, 2, 3], backend)
    with pytest.raises(fr.FrKernelError, match="not a scalar in 0..r-1"):
        fr.combine_records(good, [1, MODULUS], backend)
    bad = scalars([1, 2, 3]) + b"\xff" * 32
    with pytest.raises(fr.FrKernelError, match=r"records\[3\] \(record 1, chunk 1\) = 0xff"):
        fr.combine_records(bad, [1, 2], backend)
    with pytest.raises(fr.FrKernelError, match="multiple of 32 bytes"):
        fr.combine_records(good[:-1], [1], backend)


def test_the_binding_rejects_what_the_facade_would() -> None:
    with pytest.raises(ValueError, match="coefficients must be a non-zero multiple of 32 bytes"):
        _kernels.fr_combine_records(scalars([1]), b"")
    with pytest.raises(ValueError, match="records must be a non-zero multiple of 64 bytes"):
        _kernels.fr_combine_records(scalars([1, 2, 3]), scalars([1, 1]))
    with pytest.raises(ValueError):
        _kernels.fr_combine_records(b"\xff" * 64, scalars([1, 1]))
