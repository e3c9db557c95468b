"""Typed facade of the proof-of-space kernel: the reference's chia table and the shim table.

Stable API (conformance checks call these):
    find_proof(seed, challenge_index, k=20) -> bytes | None
    is_proof_valid(seed, challenge_index, proof, k=20) -> bool
`PosTable` builds one table per seed into memory allocated once and answers many challenges;
`PosTable.proof_hashes(n)` answers challenges 0..n-1 at once (record encoding's hot loop).

Tables: "chia" (kernels/src/pos*.c; pure-Python reference in kernels/pos_reference.py) and "shim"
(the reference's stand-in for test runtimes: quality = blake3(challenge u32 LE), a proof exists iff
U256_le(quality) mod 3 != 0, and the proof is seed || quality x 4).

Backends (the table in kernels/_backends.py): "auto" (the widest SIMD this CPU has), "portable", "avx2",
"avx-512" (C with a fixed instruction set, detected at run time) and "reference" (pure Python: table
builds only practical for K <= 14, verification fine at K = 20). Arguments are validated here for every
backend.
"""

from __future__ import annotations

import threading
import time

from autonomys.kernels import _pos, pos_reference
from autonomys.kernels._backends import BackendSelector, codes_of
from autonomys.kernels._checks import Checks

SEED_SIZE = 32
DEFAULT_K = 20
K_MIN = _pos.K_MIN  # table builds, fn and verification: K in K_MIN..K_MAX
K_MAX = _pos.K_MAX
F1_K_MAX = _pos.F1_K_MAX  # f1 alone accepts K up to 25 (the chiapos test vectors use 22 and 25)
MAX_THREADS = _pos.MAX_THREADS  # threads of one table build or proof_hashes call
TABLE_KINDS = ("chia", "shim")
SHIM_PROOF_SIZE = 160

_Buffer = bytes | bytearray | memoryview


class PosKernelError(ValueError):
    """Arguments outside the kernel's domain: seed length, K, challenge index, proof length, table kind."""


_CHECKS = Checks(PosKernelError)
_BACKENDS = BackendSelector(
    "PoS", codes_of(_pos, "BACKEND_"), _pos.backend_available, PosKernelError, _pos.best_backend
)
BACKENDS = _BACKENDS.names  # the names `backend=` takes ("reference" included), besides the old ones
available_backends = _BACKENDS.available  # () -> every backend this CPU runs, "reference" last
best_backend = _BACKENDS.best  # () -> the backend "auto" builds tables with


def proof_size(k: int = DEFAULT_K) -> int:
    """Bytes of a chia proof: 64 x-values of k bits, packed MSB first."""
    return 8 * k


def find_proof(seed: _Buffer, challenge_index: int, k: int = DEFAULT_K, backend: str = "auto") -> bytes | None:
    """The chia proof for `challenge_index` under `seed`, or None.

    Builds the table (about 0.5 s at K = 20 in C); the last table of each thread is kept per (K,
    backend) and reused while the seed stays the same.
    """
    seed = _check_seed(seed)
    challenge_index = _check_challenge(challenge_index)
    table = _cached_table(_check_k(k), _BACKENDS.name(backend))
    if table.seed != seed:
        table.generate(seed)
    return table.find_proof(challenge_index)


def is_proof_valid(
    seed: _Buffer, challenge_index: int, proof: _Buffer, k: int = DEFAULT_K, backend: str = "auto"
) -> bool:
    """True when `proof` is a valid chia proof for this seed and challenge (no table needed)."""
    seed = _check_seed(seed)
    k = _check_k(k)
    challenge_index = _check_challenge(challenge_index)
    proof = _check_proof(proof, k)
    if _BACKENDS.code(backend) is None:
        return pos_reference.is_proof_valid(k, seed, challenge_index, proof)
    return _pos.is_proof_valid(k, seed, challenge_index, proof)


def shim_find_proof(seed: _Buffer, challenge_index: int, backend: str = "auto") -> bytes | None:
    """The shim table's proof for `challenge_index`, or None (about a third of indices have none)."""
    seed = _check_seed(seed)
    challenge_index = _check_challenge(challenge_index)
    if _BACKENDS.code(backend) is None:
        return pos_reference.shim_find_proof(seed, challenge_index)
    return _pos.shim_find_proof(seed, challenge_index)


def shim_is_proof_valid(seed: _Buffer, challenge_index: int, proof: _Buffer, backend: str = "auto") -> bool:
    """True when `proof` is the shim table's proof for this seed and challenge."""
    return shim_find_proof(seed, challenge_index, backend) == _CHECKS.view("proof", proof)


def compute_f1(k: int, seed: _Buffer, x: int, backend: str = "auto") -> int:
    """f1(x): the K + 6-bit y of table 1 (K up to 25 here)."""
    seed = _check_seed(seed)
    # f1 alone reaches the chiapos vectors' K = 22 and 25
    _CHECKS.integer("k", k, K_MIN, F1_K_MAX)
    _CHECKS.unsigned("x", x, k)
    if _BACKENDS.code(backend) is None:
        return pos_reference.compute_f1(k, seed, x)
    return _pos.f1(k, seed, x)


def compute_fn(
    k: int, table_number: int, y: int, left_metadata: int, right_metadata: int, backend: str = "auto"
) -> tuple[int, int]:
    """(y, metadata) of table 2..7 from the left entry's y and both parents' metadata (0 for table 7)."""
    k = _check_k(k)
    _CHECKS.integer("table_number", table_number, 2, 7)
    _CHECKS.unsigned("y", y, pos_reference.y_bits(k))
    bits = pos_reference.metadata_bits(k, table_number - 1)
    _CHECKS.unsigned("left_metadata", left_metadata, bits)
    _CHECKS.unsigned("right_metadata", right_metadata, bits)
    if _BACKENDS.code(backend) is None:
        return pos_reference.compute_fn(k, table_number, y, left_metadata, right_metadata)
    y_out, metadata = _pos.fn(k, table_number, y, left_metadata.to_bytes(16, "big"), right_metadata.to_bytes(16, "big"))
    return y_out, int.from_bytes(metadata, "big")


def has_match(left_y: int, right_y: int, backend: str = "auto") -> bool:
    """True when right_y is one of the 64 targets of left_y (bucket adjacency is not checked)."""
    _CHECKS.unsigned("left_y", left_y, 32)
    _CHECKS.unsigned("right_y", right_y, 32)
    if _BACKENDS.code(backend) is None:
        return pos_reference.has_match(left_y, right_y)
    return _pos.has_match(left_y, right_y)


def hashing_floor_seconds(k: int = DEFAULT_K, backend: str = "auto") -> float:
    """Seconds of a table build's irreducible hashing on this CPU: the table-1 ChaCha8 keystream and
    6 * 2^K one-block BLAKE3 hashes, without matching, sorting or memory traffic (best of 3)."""
    k = _check_k(k)
    code = _BACKENDS.code(backend)
    if code is None:
        msg = "hashing_floor_seconds measures a C backend, not the reference"
        raise PosKernelError(msg)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        _pos.hashing_work(k, code)
        timings.append(time.perf_counter() - started)
    return min(timings)


class PosTable:
    """One proof-of-space table, regenerated in place for each seed.

    `generate(seed)` builds the table (chia in C: GIL released, memory allocated once in the
    constructor, 121 MB at K = 20, about 0.45 s with AVX-512); `find_proof(i)` and `proof_hashes(n)` answer challenges
    against the last generated seed. One object serves one thread at a time (calls from several
    threads are serialised); use one object per thread to build tables in parallel.

    `threads` (default 1) is how many threads the C table build and `proof_hashes` split their work over
    when a call does not say: the results are byte-identical for every count (a farmer's proof uses 2 so
    one table build is faster; plotting keeps 1 and builds one table per thread instead).
    """

    def __init__(self, k: int = DEFAULT_K, kind: str = "chia", backend: str = "auto", threads: int = 1) -> None:
        if kind not in TABLE_KINDS:
            msg = f"table kind {kind!r} must be one of {', '.join(TABLE_KINDS)}"
            raise PosKernelError(msg)
        self.k = _check_k(k)
        self.kind = kind
        self.backend = _BACKENDS.name(backend)
        code = _BACKENDS.code(backend)
        self._seed: bytes | None = None
        self._native = _pos.ChiaTable(k, code) if kind == "chia" and code is not None else None
        self._reference_tables: list[list[pos_reference.Entry]] | None = None
        self._threads = _check_threads(threads)

    @property
    def threads(self) -> int:
        """Threads of a table build or proof_hashes call that does not name its own (1..MAX_THREADS)."""
        return self._threads

    @threads.setter
    def threads(self, threads: int) -> None:
        self._threads = _check_threads(threads)

    @property
    def seed(self) -> bytes | None:
        """The seed of the last generate, or None before the first."""
        return self._seed

    @property
    def memory_bytes(self) -> int:
        """Bytes the C context holds (0 for the shim and the reference)."""
        return 0 if self._native is None else self._native.memory_bytes

    def generate(self, seed: _Buffer, threads: int | None = None) -> None:
        """Build the table for `seed` (32 bytes), replacing the previous one, on `threads` threads (default:
        the table's `threads`; the C kernel only, the result is the same for every count)."""
        seed = _check_seed(seed)
        threads = self._threads if threads is None else _check_threads(threads)
        self._seed = None
        if self._native is not None:
            self._native.generate(seed, threads)
        elif self.kind == "chia":
            self._reference_tables = pos_reference.build_tables(self.k, seed)
        self._seed = seed

    def table_sizes(self) -> tuple[int, ...]:
        """Entries of chia tables 1..7 after the last generate."""
        self._generated_seed()
        if self.kind != "chia":
            return ()
        if self._native is not None:
            return tuple(self._native.size(table_number) for table_number in range(1, 8))
        return tuple(len(table) for table in self._reference_tables[1:])

    def table_entries(self, table_number: int) -> list[tuple[int, ...]]:
        """Chia table 1..7 in (y, position) order, for equivalence tests: (x,) for table 1, (left, right)
        parent indices for tables 2..6, (y, left, right) for table 7."""
        self._generated_seed()
        if self.kind != "chia" or not isinstance(table_number, int) or table_number not in range(1, 8):
            msg = f"table_number={table_number!r} must be 1..7 of a chia table"
            raise PosKernelError(msg)
        if self._native is None:
            entries = self._reference_tables[table_number]
            if table_number == 1:
                return [(entry.metadata,) for entry in entries]
            if table_number == 7:
                return [(entry.y, entry.left, entry.right) for entry in entries]
            return [(entry.left, entry.right) for entry in entries]
        words = self._native.export(table_number)
        width = 1 if table_number == 1 else 3 if table_number == 7 else 2
        values = [int.from_bytes(words[offset : offset + 4], "little") for offset in range(0, len(words), 4)]
        return [tuple(values[index : index + width]) for index in range(0, len(values), width)]

    def find_proof(self, challenge_index: int) -> bytes | None:
        """The first proof for `challenge_index` in (y, position) order, or None."""
        seed = self._generated_seed()
        challenge_index = _check_challenge(challenge_index)
        if self.kind == "shim":
            return shim_find_proof(seed, challenge_index, self.backend)
        if self._native is not None:
            return self._native.find_proof(challenge_index)
        return pos_reference.find_proof(self.k, self._reference_tables, challenge_index)

    def proof_hashes(self, num_challenges: int, threads: int | None = None) -> tuple[bytes, bytes]:
        """For challenges 0..n-1: one flag byte each (1 = a proof exists) and blake3(proof) (32 zero bytes if none),
        the chia table's challenges split over `threads` threads (default: the table's `threads`)."""
        seed = self._generated_seed()
        # challenges are u32: at most all 2^32 of them
        _CHECKS.integer("num_challenges", num_challenges, 0, 2**32)
        threads = self._threads if threads is None else _check_threads(threads)
        if self.backend != "reference":
            if self.kind == "shim":
                return _pos.shim_proof_hashes(seed, num_challenges)
            return self._native.proof_hashes(num_challenges, threads)
        return pos_reference.proof_hashes([self.find_proof(index) for index in range(num_challenges)])

    def _generated_seed(self) -> bytes:
        if self._seed is None:
            msg = "the table has no seed yet: call generate(seed) first"
            raise PosKernelError(msg)
        return self._seed


_thread_tables = threading.local()


def _cached_table(k: int, backend: str) -> PosTable:
    tables = getattr(_thread_tables, "tables", None)
    if tables is None:
        tables = _thread_tables.tables = {}
    if (k, backend) not in tables:
        tables[(k, backend)] = PosTable(k, "chia", backend)
    return tables[(k, backend)]


def _check_k(k: int) -> int:
    # table builds and verification are implemented for K_MIN..K_MAX
    return _CHECKS.integer("k", k, K_MIN, K_MAX)


def _check_threads(threads: int) -> int:
    # the C kernel starts at most MAX_THREADS - 1 helper threads per call
    return _CHECKS.integer("threads", threads, 1, MAX_THREADS)


def _check_seed(seed: _Buffer) -> bytes:
    return _CHECKS.block("seed", seed, SEED_SIZE)


def _check_challenge(challenge_index: int) -> int:
    # challenge indexes are u32
    return _CHECKS.unsigned("challenge_index", challenge_index, 32)


def _check_proof(proof: _Buffer, k: int) -> bytes:
    return _CHECKS.block("proof", proof, proof_size(k), f" for k={k}")
