"""The Fr kernel: known roots, C == reference at every size, the erasure code's properties, bad arguments."""

from __future__ import annotations

import functools
import random
import threading

import pytest

from autonomys.kernels import _kernels, fr, reference

KERNEL = fr  # tests taking `backend` run once per fr.available_backends() (tests/kernels/conftest.py)
MODULUS = fr.MODULUS
SIZES = [2**log2_size for log2_size in range(1, 17)]


def random_scalars(rng: random.Random, count: int) -> bytes:
    return fr.scalars_to_bytes([rng.randrange(MODULUS) for _ in range(count)])


def scalar_at(data: bytes, index: int) -> bytes:
    return data[index * fr.SCALAR_SIZE : (index + 1) * fr.SCALAR_SIZE]


def split(data: bytes) -> list[bytes]:
    return [scalar_at(data, index) for index in range(len(data) // fr.SCALAR_SIZE)]


def interleave(source: bytes, parity: bytes) -> bytes:
    return b"".join(even + odd for even, odd in zip(split(source), split(parity), strict=True))


def samples_for(size: int) -> int:
    """Fewer random inputs for the big sizes, where the reference takes up to 0.6 s per transform."""
    return 3 if size <= 2**10 else 2 if size <= 2**13 else 1


# ---- roots of unity ----


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (256, 0x4F9B4098E2E9F12E6B368121AC0CF4AD0A0865A899E8DEFF4935BD2F817F694B),
        (32768, 0x3291357EE558B50D483405417A0CBE39C8D5F51DB3F32699FBD047E11279BB6E),
        (65536, 0x2155379D12180CAA88F39A78F1AEB57867A665AE1FCADC91D7118F85CD96B8AD),
    ],
    ids=["omega_256", "omega_32768", "omega_65536"],
)
def test_known_roots_of_unity(backend: str, n: int, expected: int) -> None:
    assert fr.root_of_unity(n, backend) == expected.to_bytes(32, "big")


@pytest.mark.parametrize("log2_size", range(33))
def test_root_of_unity_has_exact_order(log2_size: int) -> None:
    n = 2**log2_size
    root = int.from_bytes(fr.root_of_unity(n), "big")
    assert root == reference.fr_root_of_unity(n)
    assert pow(root, n, MODULUS) == 1
    assert n == 1 or pow(root, n // 2, MODULUS) == MODULUS - 1


@pytest.mark.parametrize("n", [0, 3, 6, 2**33, -4])
def test_root_of_unity_rejects_bad_sizes(n: int) -> None:
    with pytest.raises(fr.FrKernelError, match=f"n={n} must be a power of two"):
        fr.root_of_unity(n)


# ---- NTT ----


@pytest.mark.parametrize("size", [1, 2, 4, 8, 16])
def test_ntt_is_evaluation_in_natural_order(size: int) -> None:
    rng = random.Random(size)
    coefficients = [rng.randrange(MODULUS) for _ in range(size)]
    root = reference.fr_root_of_unity(size)
    expected = [sum(c * pow(root, i * j, MODULUS) for j, c in enumerate(coefficients)) % MODULUS for i in range(size)]
    values = fr.scalars_to_bytes(coefficients)
    assert fr.bytes_to_scalars(fr.ntt(values)) == expected
    assert reference.fr_ntt(coefficients) == expected


@functools.cache
def reference_transforms(size: int) -> list[tuple[bytes, bytes, bytes]]:
    """(values, ntt, intt) by the reference, computed once per size for every backend (up to 0.6 s each)."""
    rng = random.Random(size)
    samples = [random_scalars(rng, size) for _ in range(samples_for(size))]
    return [(values, fr.ntt(values, "reference"), fr.intt(values, "reference")) for values in samples]


@pytest.mark.parametrize("size", SIZES)
def test_c_ntt_and_intt_match_reference(native_backend: str, size: int) -> None:
    for values, expected_ntt, expected_intt in reference_transforms(size):
        assert fr.ntt(values, native_backend) == expected_ntt
        assert fr.intt(values, native_backend) == expected_intt


@pytest.mark.parametrize("size", [1, *SIZES])
def test_round_trip(native_backend: str, size: int) -> None:
    values = random_scalars(random.Random(-size), size)
    assert fr.intt(fr.ntt(values, native_backend), native_backend) == values
    assert fr.ntt(fr.intt(values, native_backend), native_backend) == values


def test_extreme_scalars_round_trip(backend: str) -> None:
    values = fr.scalars_to_bytes([0, 1, MODULUS - 1, MODULUS - 2, 2**254, 2**128 - 1, 7, MODULUS // 2])
    assert fr.intt(fr.ntt(values, backend), backend) == values
    assert fr.ntt(values, backend) == fr.ntt(values, "reference")


def test_ntt_of_unit_impulse_is_all_ones(backend: str) -> None:
    impulse = fr.scalars_to_bytes([1] + [0] * 63)
    assert fr.ntt(impulse, backend) == fr.scalars_to_bytes([1] * 64)


# ---- extend ----


@pytest.mark.parametrize("size", [1, 2, 4, 16, 128, 1024, 4096])
def test_c_extend_matches_reference(native_backend: str, size: int) -> None:
    source = random_scalars(random.Random(size), size)
    assert fr.extend(source, native_backend) == fr.extend(source, "reference")


@pytest.mark.parametrize("size", [1, 2, 8, 128, 2**12, 2**15])
def test_interleaving_is_the_full_evaluation(native_backend: str, size: int) -> None:
    source = random_scalars(random.Random(3 * size), size)
    coefficients = fr.intt(source, native_backend) + bytes(size * fr.SCALAR_SIZE)
    assert interleave(source, fr.extend(source, native_backend)) == fr.ntt(coefficients, native_backend)


def test_extend_largest_column_is_on_the_polynomial(native_backend: str) -> None:
    size = fr.MAX_SIZE
    source = random_scalars(random.Random(5), size)
    parity = fr.bytes_to_scalars(fr.extend(source, native_backend))
    coefficients = fr.bytes_to_scalars(fr.intt(source))
    root = reference.fr_root_of_unity(2 * size)
    for index in (0, 1, size // 2 + 3, size - 1):
        point = pow(root, 2 * index + 1, MODULUS)
        value = 0
        for coefficient in reversed(coefficients):
            value = (value * point + coefficient) % MODULUS
        assert parity[index] == value


def test_extend_of_constant_is_constant(backend: str) -> None:
    source = fr.scalars_to_bytes([12345] * 32)
    assert fr.extend(source, backend) == source


def test_extend_batch_matches_column_by_column(backend: str) -> None:
    rng = random.Random(11)
    for column_size, column_count in [(128, 24), (16, 3), (1, 5)]:
        columns = random_scalars(rng, column_size * column_count)
        step = column_size * fr.SCALAR_SIZE
        expected = b"".join(fr.extend(columns[offset : offset + step]) for offset in range(0, len(columns), step))
        assert fr.extend_batch(columns, column_size, backend) == expected


def test_extend_batch_archiving_shape(native_backend: str) -> None:
    columns = random_scalars(random.Random(12), 128) * 512
    parity = fr.extend_batch(columns, 128, native_backend)
    assert parity == fr.extend(columns[: 128 * 32], "reference") * 512


# ---- recover ----


def codeword(rng: random.Random, shard_count: int) -> list[bytes]:
    source = random_scalars(rng, shard_count // 2)
    return split(interleave(source, fr.extend(source)))


def keep(shards: list[bytes], present: list[int]) -> list[bytes | None]:
    kept = set(present)
    return [shard if index in kept else None for index, shard in enumerate(shards)]


@pytest.mark.parametrize("shard_count", SIZES)
def test_recover_from_random_halves(native_backend: str, shard_count: int) -> None:
    rng = random.Random(shard_count)
    shards = codeword(rng, shard_count)
    full = b"".join(shards)
    half = shard_count // 2
    masks = [
        rng.sample(range(shard_count), half),  # any mix of source and parity
        list(range(0, shard_count, 2)),  # all source
        list(range(1, shard_count, 2)),  # all parity
        list(range(half, shard_count)),  # the upper half of the domain
    ]
    if shard_count <= 2**12:
        masks.append(rng.sample(range(shard_count), half + rng.randrange(half + 1)))  # more than half
    if shard_count >= 2**15:
        masks = masks[:2]  # ~0.5 s per recovery at 2^16
    for present in masks:
        assert fr.recover(keep(shards, present), native_backend) == full


@pytest.mark.parametrize("shard_count", [2, 4, 16, 256])
def test_reference_recover_matches(shard_count: int) -> None:
    rng = random.Random(7 * shard_count)
    shards = codeword(rng, shard_count)
    for present in (rng.sample(range(shard_count), shard_count // 2), list(range(1, shard_count, 2))):
        assert fr.recover(keep(shards, present), "reference") == b"".join(shards)


def test_recover_with_everything_present(backend: str) -> None:
    shards = codeword(random.Random(8), 32)
    assert fr.recover(list(shards), backend) == b"".join(shards)


def test_recover_batch_shares_one_mask(backend: str) -> None:
    rng = random.Random(9)
    columns = [codeword(rng, 64) for _ in range(5)]
    present = [rng.random() < 0.5 for _ in range(64)]
    present[:32] = [True] * 32
    rng.shuffle(present)
    garbage = b"\xff" * fr.SCALAR_SIZE  # non-canonical, but in missing slots it must not be read
    erased = b"".join(
        shard if flag else garbage for column in columns for shard, flag in zip(column, present, strict=True)
    )
    assert fr.recover_batch(erased, present, backend) == b"".join(b"".join(column) for column in columns)


def test_recover_rejects_too_few_shards(backend: str) -> None:
    shards = codeword(random.Random(10), 16)
    with pytest.raises(fr.FrKernelError, match="at least 8 of 16 shards present, got 7"):
        fr.recover(keep(shards, list(range(7))), backend)
    with pytest.raises(fr.FrKernelError, match="at least 1 of 2 shards present, got 0"):
        fr.recover([None, None], backend)


def test_recover_rejects_inconsistent_shards(backend: str) -> None:
    shards = codeword(random.Random(13), 16)
    shards[5] = fr.scalars_to_bytes([(int.from_bytes(shards[5], "big") + 1) % MODULUS])
    with pytest.raises(fr.FrKernelError, match="not evaluations of one polynomial of degree < 8"):
        fr.recover(list(shards), backend)
    with pytest.raises(fr.FrKernelError, match="not evaluations of one polynomial"):
        fr.recover(keep(shards, list(range(9))), backend)
    assert fr.recover(keep(shards, [index for index in range(16) if index != 5]), backend) != b"".join(shards)


# ---- record layouts (archiving: records stored one after another, one column per chunk offset) ----


def gather_column(records: bytes, num_records: int, chunk: int) -> bytes:
    """The scalars at chunk offset `chunk` of each record, in record order."""
    record_bytes = len(records) // num_records
    return b"".join(scalar_at(records[j * record_bytes : (j + 1) * record_bytes], chunk) for j in range(num_records))


def records_from_columns(columns: list[bytes]) -> bytes:
    """Record-major bytes whose chunk c is columns[c] (the inverse of gather_column over all chunks)."""
    split_columns = [split(column) for column in columns]
    return b"".join(b"".join(column[j] for column in split_columns) for j in range(len(split_columns[0])))


@pytest.mark.parametrize(("num_records", "chunks_per_record"), [(1, 3), (2, 5), (8, 64), (128, 4), (4, 1)])
def test_extend_records_equals_extend_of_each_chunk_column(
    backend: str, num_records: int, chunks_per_record: int
) -> None:
    records = random_scalars(random.Random(num_records * 31 + chunks_per_record), num_records * chunks_per_record)
    columns = [gather_column(records, num_records, chunk) for chunk in range(chunks_per_record)]
    expected = records_from_columns([fr.extend(column) for column in columns])
    assert fr.extend_records(records, num_records, backend) == expected


def test_extend_records_at_the_archiving_shape(native_backend: str) -> None:
    """128 records; chunk columns repeat every 16 chunks, so 16 reference columns pin all 1024."""
    rng = random.Random(16)
    columns = [random_scalars(rng, 128) for _ in range(16)]
    parities = [fr.extend(column, "reference") for column in columns]
    expected = records_from_columns(parities * 64)
    assert fr.extend_records(records_from_columns(columns * 64), 128, native_backend) == expected


def erase_records(records: bytes, present: list[bool]) -> bytes:
    """Record-major records with every missing record overwritten by non-canonical bytes, which must not be read."""
    record_bytes = len(records) // len(present)
    garbage = b"\xff" * record_bytes
    return b"".join(
        records[j * record_bytes : (j + 1) * record_bytes] if flag else garbage for j, flag in enumerate(present)
    )


def codeword_records(rng: random.Random, num_records: int, chunks_per_record: int) -> bytes:
    """2 * num_records records, source and parity interleaved, every chunk column a codeword."""
    source = random_scalars(rng, num_records * chunks_per_record)
    parity = fr.extend_records(source, num_records)
    record_bytes = chunks_per_record * fr.SCALAR_SIZE
    return b"".join(
        source[j * record_bytes : (j + 1) * record_bytes] + parity[j * record_bytes : (j + 1) * record_bytes]
        for j in range(num_records)
    )


@pytest.mark.parametrize(("num_records", "chunks_per_record"), [(2, 3), (16, 8), (256, 2)])
def test_recover_records_from_any_half(backend: str, num_records: int, chunks_per_record: int) -> None:
    rng = random.Random(num_records + chunks_per_record)
    records = codeword_records(rng, num_records // 2, chunks_per_record)
    masks = [
        rng.sample(range(num_records), num_records // 2),  # any mix of source and parity
        list(range(1, num_records, 2)),  # all parity
        list(range(num_records)),  # everything present
    ]
    for kept in masks:
        present = [index in set(kept) for index in range(num_records)]
        assert fr.recover_records(erase_records(records, present), present, backend) == records


def split_columns_back(columns: bytes, column_size: int) -> list[bytes]:
    step = column_size * fr.SCALAR_SIZE
    return [columns[offset : offset + step] for offset in range(0, len(columns), step)]


def test_recover_records_equals_recover_batch_of_each_column(backend: str) -> None:
    rng = random.Random(17)
    records = codeword_records(rng, 8, 5)
    present = [index % 3 != 0 for index in range(16)]
    columns = [gather_column(records, 16, chunk) for chunk in range(5)]
    expected = records_from_columns(split_columns_back(fr.recover_batch(b"".join(columns), present, backend), 16))
    assert fr.recover_records(erase_records(records, present), present, backend) == expected == records


def test_record_layouts_reject_bad_input(backend: str) -> None:
    rng = random.Random(18)
    records = bytearray(codeword_records(rng, 4, 3))  # 8 records of 3 chunks
    with pytest.raises(fr.FrKernelError, match="num_records=3 must be a power of two"):
        fr.extend_records(bytes(32 * 6), 3, backend)
    with pytest.raises(fr.FrKernelError, match=r"non-zero multiple of 128 bytes \(4 records of .*\), got 160 bytes"):
        fr.extend_records(bytes(160), 4, backend)
    with pytest.raises(fr.FrKernelError, match="at least 4 of 8 shards present, got 3"):
        fr.recover_records(bytes(records), [True] * 3 + [False] * 5, backend)
    bad = MODULUS.to_bytes(32, "big")
    records[(5 * 3 + 2) * 32 : (5 * 3 + 3) * 32] = bad  # record 5, chunk 2
    shown = rf"records\[17\] \(record 5, chunk 2\) = 0x{MODULUS:064x} is not canonical"
    with pytest.raises(fr.FrKernelError, match=shown):
        fr.extend_records(bytes(records), 8, backend)
    with pytest.raises(fr.FrKernelError, match=shown):
        fr.recover_records(bytes(records), [True] * 8, backend)
    records[(5 * 3 + 2) * 32 : (5 * 3 + 3) * 32] = (1).to_bytes(32, "big")  # canonical, but off the codeword
    with pytest.raises(fr.FrKernelError, match="not evaluations of one polynomial of degree < 4 per chunk"):
        fr.recover_records(bytes(records), [True] * 8, backend)


def test_is_canonical(backend: str) -> None:
    assert fr.is_canonical(bytes(64), backend)
    assert fr.is_canonical(b"", backend)
    assert fr.is_canonical((MODULUS - 1).to_bytes(32, "big"), backend)
    assert not fr.is_canonical(bytes(32) + MODULUS.to_bytes(32, "big"), backend)
    assert not fr.is_canonical(bytes(33), backend)
    assert not fr.is_canonical("00" * 32, backend)  # type: ignore[arg-type]


# ---- argument checks ----

NON_CANONICAL = [MODULUS, MODULUS + 1, 2**256 - 1]


@pytest.mark.parametrize("bad", NON_CANONICAL, ids=["r", "r+1", "2^256-1"])
def test_non_canonical_scalars_are_named(backend: str, bad: int) -> None:
    values = bytearray(random_scalars(random.Random(bad), 16))
    values[5 * 32 : 6 * 32] = bad.to_bytes(32, "big")
    shown = f"0x{bad:064x}"
    for operation in (fr.ntt, fr.intt, fr.extend):
        with pytest.raises(fr.FrKernelError, match=rf"values?\[5\] = {shown} is not canonical|source\[5\] = {shown}"):
            operation(bytes(values), backend)
    with pytest.raises(fr.FrKernelError, match=rf"columns\[5\] \(column 0, row 5\) = {shown} is not canonical"):
        fr.extend_batch(bytes(values), 8, backend)
    with pytest.raises(fr.FrKernelError, match=rf"shards\[5\] = {shown} is not canonical"):
        fr.recover(split(bytes(values)), backend)
    with pytest.raises(fr.FrKernelError, match=rf"columns\[21\] \(column 1, row 5\) = {shown} is not canonical"):
        fr.recover_batch(bytes(32 * 16) + bytes(values), [True] * 16, backend)
    with pytest.raises(fr.FrKernelError, match=rf"data\[5\] = {shown}"):
        fr.bytes_to_scalars(bytes(values))


@pytest.mark.parametrize(
    ("length", "message"),
    [
        (0, r"got 0 \(0 bytes\)"),
        (31, r"multiple of 32 bytes \(whole scalars\), got 31 bytes"),
        (33, r"multiple of 32 bytes \(whole scalars\), got 33 bytes"),
        (3 * 32, r"got 3 \(96 bytes\)"),
        (2**17 * 32, r"in 1..65536, got 131072"),
    ],
)
def test_rejects_wrong_lengths(backend: str, length: int, message: str) -> None:
    for operation in (fr.ntt, fr.intt, fr.extend):
        with pytest.raises(fr.FrKernelError, match=message):
            operation(bytes(length), backend)


def test_extend_batch_rejects_bad_shapes() -> None:
    with pytest.raises(fr.FrKernelError, match="column_size=12 must be a power of two in 1..65536"):
        fr.extend_batch(bytes(32 * 24), 12)
    with pytest.raises(
        fr.FrKernelError, match=r"non-zero multiple of 256 bytes \(columns of 8 scalars\), got 288 bytes"
    ):
        fr.extend_batch(bytes(32 * 9), 8)
    with pytest.raises(fr.FrKernelError, match="got 0 bytes"):
        fr.extend_batch(b"", 8)


def test_recover_rejects_bad_shapes(backend: str) -> None:
    with pytest.raises(fr.FrKernelError, match="number of shards=6 must be a power of two in 2..65536"):
        fr.recover([bytes(32)] * 6, backend)
    with pytest.raises(fr.FrKernelError, match="number of shards=1 must be a power of two"):
        fr.recover([bytes(32)], backend)
    with pytest.raises(fr.FrKernelError, match=r"shards\[2\] must be 32 bytes or None, got 31"):
        fr.recover([bytes(32), bytes(32), bytes(31), None], backend)
    with pytest.raises(fr.FrKernelError, match=r"shards\[1\] must be bytes-like .*, got int"):
        fr.recover([bytes(32), 7, None, None], backend)  # type: ignore[list-item]
    with pytest.raises(
        fr.FrKernelError, match=r"non-zero multiple of 128 bytes \(columns of 4 shards\), got 160 bytes"
    ):
        fr.recover_batch(bytes(160), [True] * 4, backend)


def test_rejects_non_bytes_and_non_scalars() -> None:
    with pytest.raises(fr.FrKernelError, match="values must be bytes-like .*, got str"):
        fr.ntt("00" * 32)  # type: ignore[arg-type]
    with pytest.raises(fr.FrKernelError, match=r"values\[1\] = -1 is not a scalar"):
        fr.scalars_to_bytes([0, -1])


def test_accepts_bytearray_and_memoryview(backend: str) -> None:
    values = random_scalars(random.Random(14), 8)
    expected = fr.ntt(values, backend)
    assert fr.ntt(bytearray(values), backend) == fr.ntt(memoryview(values), backend) == expected
    assert fr.ntt(memoryview(values).cast("Q"), backend) == expected


def test_binding_checks_arguments_itself() -> None:
    auto = _kernels.FR_BACKEND_AUTO
    with pytest.raises(ValueError, match="values must be a non-zero multiple of 32 bytes, got 3"):
        _kernels.fr_ntt(auto, b"abc")
    with pytest.raises(ValueError, match="fr_ntt: invalid argument"):
        _kernels.fr_ntt(auto, bytes(3 * 32))
    with pytest.raises(ValueError, match="fr_ntt: invalid argument"):
        _kernels.fr_ntt(99, bytes(32))  # an unknown backend code
    with pytest.raises(ValueError, match="fr_intt: invalid argument"):
        _kernels.fr_intt(auto, MODULUS.to_bytes(32, "big"))
    with pytest.raises(ValueError, match="fr_recover_batch: invalid argument"):
        _kernels.fr_recover_batch(auto, bytes(4 * 32), bytes([1, 0, 0, 0]))
    with pytest.raises(ValueError, match="column_size=0"):
        _kernels.fr_extend_batch(auto, bytes(32), 0)
    with pytest.raises(ValueError, match="num_records=0"):
        _kernels.fr_extend_records(auto, bytes(32), 0)
    with pytest.raises(ValueError, match="fr_extend_records: invalid argument"):
        _kernels.fr_extend_records(auto, bytes(3 * 32), 3)
    with pytest.raises(ValueError, match="records must be a non-zero multiple of 128 bytes, got 96"):
        _kernels.fr_recover_records(auto, bytes(3 * 32), bytes([1, 1, 0, 0]))
    with pytest.raises(ValueError, match="fr_recover_records: invalid argument"):
        _kernels.fr_recover_records(auto, bytes(4 * 32), bytes([1, 0, 0, 0]))
    assert not _kernels.fr_backend_available(99)
    assert _kernels.fr_backend_available(_kernels.FR_BACKEND_PORTABLE)
    with pytest.raises(ValueError, match="fr_root_of_unity: invalid argument"):
        _kernels.fr_root_of_unity(2**33)
    assert _kernels.fr_first_noncanonical(bytes(64) + MODULUS.to_bytes(32, "big")) == 2
    assert _kernels.fr_first_noncanonical(bytes(64)) == -1


def test_gil_is_released_for_large_transforms() -> None:
    values = random_scalars(random.Random(15), 2**16)
    done = threading.Event()
    ticks = 0

    def transform_repeatedly() -> None:
        for _ in range(4):
            fr.ntt(values)
        done.set()

    worker = threading.Thread(target=transform_repeatedly)
    worker.start()
    while not done.is_set():
        ticks += 1
    worker.join()
    # Holding the GIL for each ~20 ms transform would leave this loop a handful of ticks.
    assert ticks > 10_000
