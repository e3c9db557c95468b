"""Typed facade of the BLS12-381 scalar-field kernel: NTT and the erasure code of archiving.

Scalars are 32-byte big-endian and must be canonical (< r). A domain has n = 2^s points with
omega_n = 7^((r-1)/n), in natural order: p(omega_n^i) = values[i]. The erasure code is Subspace's:
`extend` turns n source values (evaluations at the even points of the 2n-point domain) into n parity
values (the odd points), and `recover` rebuilds all 2n from any n. `extend_records` and
`recover_records` apply them to every chunk column of whole records stored one after another
(archiving's layout), gathering the columns in the kernel.

Backends (the table in kernels/_backends.py): "auto" (the fastest multiplication this CPU runs),
"portable" (the multiplication in C), "bmi2-adx" (x86-64 mulx/adcx/adox; kernels/src/fr*.c) and
"reference" (pure Python, kernels/reference.py). Every function validates its arguments here, for every
backend, with messages that show the actual values.
"""

from __future__ import annotations

from collections.abc import Sequence

from autonomys.kernels import _kernels, reference
from autonomys.kernels._backends import BackendSelector, codes_of
from autonomys.kernels._checks import Buffer, Checks

SCALAR_SIZE = _kernels.FR_SCALAR_BYTES
MODULUS = reference.FR_MODULUS
MAX_THREADS = _kernels.FR_MAX_THREADS  # thread counts recover_batch accepts
MAX_SIZE = 2**_kernels.FR_MAX_LOG2_SIZE  # largest NTT and recover domain; extend takes columns up to this too
MAX_ROOT_ORDER = 2**reference.FR_TWO_ADICITY  # 2^32 divides r - 1

_Buffer = bytes | bytearray | memoryview
_RECORD_UNITS = ("record", "chunk")  # how a scalar of record-major records is named in messages


class FrKernelError(ValueError):
    """Arguments outside the kernel's domain: sizes, lengths, non-canonical scalars, too few shards."""


_CHECKS = Checks(FrKernelError)
# "auto" runs the widest available: "bmi2-adx" on an x86-64 CPU with BMI2 and ADX, else "portable"
_BACKENDS = BackendSelector("Fr", codes_of(_kernels, "FR_BACKEND_"), _kernels.fr_backend_available, FrKernelError)
BACKENDS = _BACKENDS.names  # the names `backend=` takes ("reference" included), besides the old ones
available_backends = _BACKENDS.available  # () -> every backend this CPU runs, "reference" last
best_backend = _BACKENDS.best  # () -> the backend "auto" runs


def scalars_to_bytes(values: Sequence[int]) -> bytes:
    """The 32-byte big-endian encoding of each scalar, concatenated."""
    for index, value in enumerate(values):
        # the wire format only holds canonical scalars
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MODULUS:
            msg = f"values[{index}] = {value!r} is not a scalar in 0..r-1"
            raise FrKernelError(msg)
    return b"".join(value.to_bytes(SCALAR_SIZE, "big") for value in values)


def bytes_to_scalars(data: _Buffer) -> list[int]:
    """The scalars of a concatenation of 32-byte big-endian encodings."""
    data = _check_scalars("data", data)
    _check_canonical("data", data)
    return [int.from_bytes(data[offset : offset + SCALAR_SIZE], "big") for offset in range(0, len(data), SCALAR_SIZE)]


def arithmetic() -> str:
    """The multiplication "auto" uses on this CPU: "x86-64 BMI2/ADX" or "portable C"."""
    return _kernels.fr_arithmetic()


def root_of_unity(n: int, backend: str = "auto") -> bytes:
    """omega_n = 7^((r-1)/n) as 32 big-endian bytes, for n a power of two up to 2^32."""
    # the field has roots of unity of every order 2^s up to 2^32
    _CHECKS.power_of_two("n", n, 1, MAX_ROOT_ORDER)
    if _BACKENDS.code(backend) is None:
        return reference.fr_root_of_unity(n).to_bytes(SCALAR_SIZE, "big")
    return _kernels.fr_root_of_unity(n)


def ntt(values: _Buffer, backend: str = "auto") -> bytes:
    """Evaluations at omega_n^i of the polynomial with coefficients `values` (n = 2^s scalars, n <= 2^16)."""
    values = _check_column("values", values)
    code = _BACKENDS.code(backend)
    if code is None:
        return scalars_to_bytes(reference.fr_ntt(bytes_to_scalars(values)))
    return _kernels.fr_ntt(code, values)


def intt(values: _Buffer, backend: str = "auto") -> bytes:
    """Coefficients of the polynomial of degree < n whose evaluations at omega_n^i are `values`."""
    values = _check_column("values", values)
    code = _BACKENDS.code(backend)
    if code is None:
        return scalars_to_bytes(reference.fr_intt(bytes_to_scalars(values)))
    return _kernels.fr_intt(code, values)


def extend(source: _Buffer, backend: str = "auto") -> bytes:
    """The n parity scalars of n source scalars: [s0, p0, s1, p1, ...] is the 2n-point evaluation."""
    source = _check_column("source", source)
    code = _BACKENDS.code(backend)
    if code is None:
        return scalars_to_bytes(reference.fr_extend(bytes_to_scalars(source)))
    return _kernels.fr_extend_batch(code, source, len(source) // SCALAR_SIZE)


def extend_batch(columns: _Buffer, column_size: int, backend: str = "auto") -> bytes:
    """`extend` of each column of `column_size` scalars stored one after another; parity in the same layout."""
    _check_domain_size("column_size", column_size, 1)
    columns = _check_whole_columns("columns", columns, column_size, f"columns of {column_size} scalars")
    _check_canonical("columns", columns, column_size)
    code = _BACKENDS.code(backend)
    if code is None:
        step = column_size * SCALAR_SIZE
        return b"".join(extend(columns[offset : offset + step], "reference") for offset in range(0, len(columns), step))
    return _kernels.fr_extend_batch(code, columns, column_size)


def extend_records(records: _Buffer, num_records: int, backend: str = "auto") -> bytes:
    """The `num_records` parity records of `num_records` source records stored one after another.

    Record-major: chunk c of record j is scalar j * chunks_per_record + c. For each chunk c, the
    column [record_0[c], record_1[c], ...] is extended, and parity record j holds that column's
    parity[j] at chunk c: the strided gather and scatter happen in the kernel.
    """
    _check_domain_size("num_records", num_records, 1)
    records = _check_whole_columns("records", records, num_records, f"{num_records} records of whole scalars")
    _check_canonical("records", records, len(records) // (num_records * SCALAR_SIZE), unit_names=_RECORD_UNITS)
    code = _BACKENDS.code(backend)
    if code is None:
        return _records_to_bytes(reference.fr_extend_records(_bytes_to_records(bytes(records), num_records)))
    return _kernels.fr_extend_records(code, records, num_records)


def recover_records(records: _Buffer, present: Sequence[bool], backend: str = "auto") -> bytes:
    """All len(present) records (2n, record-major) from records of which at least n are present.

    `records` holds every record's slot, one after another; the bytes of missing records are ignored.
    Each chunk column is recovered as `recover` does; the zero polynomial is computed once.
    """
    num_records = _check_shard_count(present)
    records = _check_whole_columns("records", records, num_records, f"{num_records} records of whole scalars")
    code = _BACKENDS.code(backend)
    try:
        if code is None:
            return _recover_records_reference(bytes(records), present)
        return _kernels.fr_recover_records(code, records, bytes(1 if flag else 0 for flag in present))
    except ValueError as error:
        raise _diagnose_records_failure(records, present) from error


def combine_records(records: _Buffer, coefficients: Sequence[int], backend: str = "auto") -> bytes:
    """sum_j coefficients[j] * record_j, scalar by scalar: `records` holds one record per coefficient, all of
    the same whole number of scalars, one after another (a batch piece check commits to the result once)."""
    code = _BACKENDS.code(backend)
    if len(coefficients) == 0:
        raise FrKernelError("combine_records needs at least one record and coefficient")
    coefficient_bytes = scalars_to_bytes(coefficients)
    what = f"{len(coefficients)} records of equal whole numbers of scalars"
    records = _check_whole_columns("records", records, len(coefficients), what)
    record_bytes = len(records) // len(coefficients)
    _check_canonical("records", records, record_bytes // SCALAR_SIZE, unit_names=_RECORD_UNITS)
    if code is None:
        rows = _bytes_to_records(bytes(records), len(coefficients))
        return scalars_to_bytes(reference.fr_combine_records(rows, list(coefficients)))
    return _kernels.fr_combine_records(records, coefficient_bytes)


def is_canonical(values: _Buffer, backend: str = "auto") -> bool:
    """True when `values` is a whole number of 32-byte scalars, each below r."""
    code = _BACKENDS.code(backend)
    if not isinstance(values, (bytes, bytearray, memoryview)) or len(values) % SCALAR_SIZE != 0:
        return False
    if code is None:
        offsets = range(0, len(values), SCALAR_SIZE)
        return all(int.from_bytes(values[offset : offset + SCALAR_SIZE], "big") < MODULUS for offset in offsets)
    return _kernels.fr_first_noncanonical(values) < 0


def recover(shards: Sequence[_Buffer | None], backend: str = "auto") -> bytes:
    """All 2n evaluations (2n * 32 bytes) from 2n shards of which at least n are present (None = missing)."""
    present = [shard is not None for shard in shards]
    _check_shard_count(present)
    column = bytearray(len(shards) * SCALAR_SIZE)
    for index, shard in enumerate(shards):
        if shard is not None:
            column[index * SCALAR_SIZE : (index + 1) * SCALAR_SIZE] = _check_shard(index, shard)
    return recover_batch(bytes(column), present, backend)


def recover_batch(columns: _Buffer, present: Sequence[bool], backend: str = "auto", threads: int = 1) -> bytes:
    """`recover` of each column of len(present) shards stored one after another, all missing the same shards.

    The bytes of missing shards are ignored. The zero polynomial is computed once for the whole batch.
    `threads` >= 2 splits each column's transforms over two threads (a farmer's proof recovers one column of
    65 536 shards); the output is the same for every count.
    """
    shard_count = _check_shard_count(present)
    columns = _check_whole_columns("columns", columns, shard_count, f"columns of {shard_count} shards")
    # the C kernel accepts 1..FR_MAX_THREADS and uses at most 2
    _CHECKS.integer("threads", threads, 1, MAX_THREADS)
    code = _BACKENDS.code(backend)
    try:
        if code is None:
            return _recover_reference(bytes(columns), present)
        return _kernels.fr_recover_batch(code, columns, bytes(1 if flag else 0 for flag in present), threads)
    except ValueError as error:
        # the kernel checks the present scalars itself; name the culprit only on this slow path
        raise _diagnose_recover_failure(columns, present) from error


def _recover_reference(columns: bytes, present: Sequence[bool]) -> bytes:
    step = len(present) * SCALAR_SIZE
    recovered = []
    for offset in range(0, len(columns), step):
        scalars = bytes_to_scalars(_zero_missing(columns[offset : offset + step], present))
        shards = [value if flag else None for value, flag in zip(scalars, present, strict=True)]
        recovered.append(scalars_to_bytes(reference.fr_recover(shards)))
    return b"".join(recovered)


def _zero_missing(column: bytes, present: Sequence[bool]) -> bytes:
    zero = bytes(SCALAR_SIZE)
    return b"".join(
        column[index * SCALAR_SIZE : (index + 1) * SCALAR_SIZE] if flag else zero for index, flag in enumerate(present)
    )


def _bytes_to_records(records: bytes, num_records: int) -> list[list[int]]:
    step = len(records) // num_records
    return [bytes_to_scalars(records[offset : offset + step]) for offset in range(0, len(records), step)]


def _records_to_bytes(records: list[list[int]]) -> bytes:
    return b"".join(scalars_to_bytes(record) for record in records)


def _recover_records_reference(records: bytes, present: Sequence[bool]) -> bytes:
    step = len(records) // len(present)
    slots = [records[index * step : (index + 1) * step] for index in range(len(present))]
    # missing slots may hold anything: they are never parsed
    given = [bytes_to_scalars(slot) if flag else None for slot, flag in zip(slots, present, strict=True)]
    return _records_to_bytes(reference.fr_recover_records(given))


def _diagnose_records_failure(records: bytes, present: Sequence[bool]) -> FrKernelError:
    """A non-canonical scalar of a present record if there is one, else an inconsistent codeword."""
    step = len(records) // len(present)
    chunks_per_record = step // SCALAR_SIZE
    for index, flag in enumerate(present):
        if not flag:
            continue
        slot = records[index * step : (index + 1) * step]
        try:
            _check_canonical("records", slot, chunks_per_record, index * chunks_per_record, _RECORD_UNITS)
        except FrKernelError as error:
            return error
    degree = len(present) // 2
    return FrKernelError(f"the present records are not evaluations of one polynomial of degree < {degree} per chunk")


def _diagnose_recover_failure(columns: bytes, present: Sequence[bool]) -> FrKernelError:
    """A non-canonical present scalar if there is one, else an inconsistent codeword."""
    step = len(present) * SCALAR_SIZE
    for offset in range(0, len(columns), step):
        try:
            column = _zero_missing(columns[offset : offset + step], present)
            _check_canonical("columns", column, len(present), offset // SCALAR_SIZE)
        except FrKernelError as error:
            return error
    degree = len(present) // 2
    return FrKernelError(f"the present shards are not evaluations of one polynomial of degree < {degree}")


def _check_domain_size(name: str, value: int, minimum: int) -> int:
    # domains are radix-2: sizes must be powers of two within the kernel's limit
    return _CHECKS.power_of_two(name, value, minimum, MAX_SIZE)


def _check_scalars(name: str, value: object) -> Buffer:
    # scalars are 32 bytes each
    return _CHECKS.whole(name, value, SCALAR_SIZE, "whole scalars")


def _check_canonical(
    name: str, data: Buffer, column_size: int = 0, first_index: int = 0, unit_names: tuple[str, str] = ("column", "row")
) -> None:
    # a scalar >= r has no meaning in the field; name the first one (and its column or record in a batch)
    found = _kernels.fr_first_noncanonical(data)
    if found < 0:
        return
    index = first_index + found
    where = f"{name}[{index}]"
    if column_size > 0:
        outer, inner = unit_names
        where += f" ({outer} {index // column_size}, {inner} {index % column_size})"
    raise _noncanonical_error(where, data[found * SCALAR_SIZE : (found + 1) * SCALAR_SIZE])


def _noncanonical_error(where: str, scalar: Buffer) -> FrKernelError:
    return FrKernelError(f"{where} = 0x{scalar.hex()} is not canonical (must be < r = {MODULUS:#x})")


def _check_column(name: str, values: _Buffer) -> Buffer:
    """One column of n canonical scalars, n a power of two in 1..MAX_SIZE."""
    values = _CHECKS.whole(name, values, SCALAR_SIZE, "whole scalars")
    count = len(values) // SCALAR_SIZE
    # one radix-2 domain of at most MAX_SIZE points
    if not 1 <= count <= MAX_SIZE or count & (count - 1) != 0:
        msg = f"{name} must hold a power-of-two number of scalars in 1..{MAX_SIZE}, got {count} ({len(values)} bytes)"
        raise FrKernelError(msg)
    _check_canonical(name, values)
    return values


def _check_whole_columns(name: str, columns: _Buffer, column_size: int, what: str) -> Buffer:
    """At least one whole group of `column_size` scalars (`what` says how they are laid out)."""
    # a batch is whole columns, at least one
    return _CHECKS.whole(name, columns, column_size * SCALAR_SIZE, what, non_empty=True)


def _check_shard_count(present: Sequence[bool]) -> int:
    shard_count = len(present)
    _check_domain_size("number of shards", shard_count, 2)
    # the code has rate 1/2: any half of the shards determines the rest
    present_count = sum(1 for flag in present if flag)
    if present_count < shard_count // 2:
        msg = f"recover needs at least {shard_count // 2} of {shard_count} shards present, got {present_count}"
        raise FrKernelError(msg)
    return shard_count


def _check_shard(index: int, shard: _Buffer) -> bytes:
    # each present shard is one canonical 32-byte scalar
    shard = _CHECKS.block(f"shards[{index}]", shard, SCALAR_SIZE, " or None")
    if int.from_bytes(shard, "big") >= MODULUS:
        raise _noncanonical_error(f"shards[{index}]", shard)
    return shard
