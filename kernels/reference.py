"""Slow pure-Python references of every kernel: the ground truth for equivalence tests.

AES itself comes from pycryptodome (one block per call); the chaining, checkpointing and
two-sided verification are written out plainly.
"""

from __future__ import annotations

from Crypto.Cipher import AES

POT_NUM_CHECKPOINTS = 8


def pot_prove(seed: bytes, key: bytes, checkpoint_iterations: int) -> bytes:
    """8 checkpoints of `checkpoint_iterations` chained AES-128 encryptions starting from seed."""
    cipher = AES.new(key, AES.MODE_ECB)
    block = seed
    checkpoints = []
    for _ in range(POT_NUM_CHECKPOINTS):
        for _ in range(checkpoint_iterations):
            block = cipher.encrypt(block)
        checkpoints.append(block)
    return b"".join(checkpoints)


def pot_verify(seed: bytes, key: bytes, checkpoint_iterations: int, checkpoints: bytes) -> bool:
    """Encrypt each checkpoint's input half-way and decrypt the checkpoint half-way; all must meet."""
    cipher = AES.new(key, AES.MODE_ECB)
    half = checkpoint_iterations // 2
    previous = seed
    all_meet = True
    for index in range(POT_NUM_CHECKPOINTS):
        checkpoint = checkpoints[16 * index : 16 * (index + 1)]
        forward, backward = previous, checkpoint
        for _ in range(half):
            forward = cipher.encrypt(forward)
            backward = cipher.decrypt(backward)
        all_meet = all_meet and forward == backward
        previous = checkpoint
    return all_meet


def pot_aes_chain(key: bytes, block: bytes, iterations: int) -> bytes:
    """Encrypt block `iterations` times."""
    cipher = AES.new(key, AES.MODE_ECB)
    for _ in range(iterations):
        block = cipher.encrypt(block)
    return block


# ---------------------------------------------------------------------------------------------
# BLS12-381 scalar field (Fr): NTT and the erasure code of archiving (kernels/src/fr_fft.c).
# Plain ints mod r, pow() for inverses, a recursive radix-2 NTT in natural order, and recovery by
# Lagrange interpolation: an algorithm independent of the C zero-polynomial method.
# ---------------------------------------------------------------------------------------------

FR_MODULUS = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
FR_GENERATOR = 7
FR_TWO_ADICITY = 32


def fr_root_of_unity(n: int) -> int:
    """omega_n = 7^((r-1)/n) mod r, for n a power of two up to 2^32."""
    return pow(FR_GENERATOR, (FR_MODULUS - 1) // n, FR_MODULUS)


def _fr_transform(values: list[int], root: int) -> list[int]:
    """X[i] = sum_j values[j] * root^(i*j), split into even and odd halves."""
    n = len(values)
    if n == 1:
        return list(values)
    square = root * root % FR_MODULUS
    even = _fr_transform(values[0::2], square)
    odd = _fr_transform(values[1::2], square)
    half = n // 2
    out = [0] * n
    power = 1
    for i in range(half):
        term = power * odd[i] % FR_MODULUS
        out[i] = (even[i] + term) % FR_MODULUS
        out[i + half] = (even[i] - term) % FR_MODULUS
        power = power * root % FR_MODULUS
    return out


def fr_ntt(coefficients: list[int]) -> list[int]:
    """Evaluations of the polynomial at omega_n^i, i = 0..n-1 (natural order)."""
    return _fr_transform(coefficients, fr_root_of_unity(len(coefficients)))


def fr_intt(evaluations: list[int]) -> list[int]:
    """Coefficients of the polynomial of degree < n with the given evaluations at omega_n^i."""
    n = len(evaluations)
    inverse_root = pow(fr_root_of_unity(n), -1, FR_MODULUS)
    inverse_n = pow(n, -1, FR_MODULUS)
    return [value * inverse_n % FR_MODULUS for value in _fr_transform(evaluations, inverse_root)]


def fr_extend(source: list[int]) -> list[int]:
    """Parity: evaluations at the odd points omega_2n^(2i+1) of the polynomial through the source values."""
    n = len(source)
    return fr_ntt(fr_intt(source) + [0] * n)[1::2]


def _fr_interpolate(points: list[int], values: list[int]) -> list[int]:
    """Coefficients of the polynomial of degree < len(points) through (points[i], values[i]) (Lagrange)."""
    master = [1]  # prod (x - x_i), lowest coefficient first
    for point in points:
        master = [(low - point * high) % FR_MODULUS for low, high in zip([0, *master], [*master, 0], strict=True)]
    coefficients = [0] * len(points)
    for point, value in zip(points, values, strict=True):
        quotient = [0] * len(points)  # master / (x - point) by synthetic division
        carry = 0
        for degree in range(len(points), 0, -1):
            carry = (master[degree] + carry * point) % FR_MODULUS
            quotient[degree - 1] = carry
        denominator = 0
        for coefficient in reversed(quotient):
            denominator = (denominator * point + coefficient) % FR_MODULUS
        weight = value * pow(denominator, -1, FR_MODULUS) % FR_MODULUS
        coefficients = [
            (total + weight * term) % FR_MODULUS for total, term in zip(coefficients, quotient, strict=True)
        ]
    return coefficients


def fr_recover(shards: list[int | None]) -> list[int]:
    """All 2n evaluations from at least n present ones; ValueError if fewer, or if they are not one codeword."""
    size = len(shards)
    present = [index for index, shard in enumerate(shards) if shard is not None]
    if len(present) < size // 2:
        msg = f"recover needs at least {size // 2} of {size} shards, got {len(present)}"
        raise ValueError(msg)
    root = fr_root_of_unity(size)
    chosen = present[: size // 2]
    coefficients = _fr_interpolate([pow(root, index, FR_MODULUS) for index in chosen], [shards[i] for i in chosen])
    evaluations = fr_ntt(coefficients + [0] * (size - len(coefficients)))
    mismatched = [index for index in present if evaluations[index] != shards[index]]
    if mismatched:
        msg = f"shards are not evaluations of one polynomial of degree < {size // 2}: first mismatch at {mismatched[0]}"
        raise ValueError(msg)
    return evaluations


def fr_extend_records(records: list[list[int]]) -> list[list[int]]:
    """Parity records: chunk c of parity record j is fr_extend of the column of chunk c of every record, at j."""
    columns = [fr_extend(list(column)) for column in zip(*records, strict=True)]
    return [list(record) for record in zip(*columns, strict=True)]


def fr_recover_records(records: list[list[int] | None]) -> list[list[int]]:
    """Every record from at least half of them (None = missing), one chunk column at a time."""
    chunk_count = len(next(record for record in records if record is not None))
    columns = [
        fr_recover([None if record is None else record[chunk] for record in records]) for chunk in range(chunk_count)
    ]
    return [list(record) for record in zip(*columns, strict=True)]


def fr_combine_records(records: list[list[int]], coefficients: list[int]) -> list[int]:
    """sum_j coefficients[j] * records[j][i] mod r, for each scalar position i."""
    return [sum(c * record[i] for c, record in zip(coefficients, records, strict=True)) % FR_MODULUS for i in range(len(records[0]))]
