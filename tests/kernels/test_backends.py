"""What every kernel facade shares: one table of backend names behind one BackendSelector, and one set of
buffer and integer checks (kernels/_backends.py, kernels/_checks.py). Each facade is held to the same
contract: `backend="auto"` everywhere, unknown and absent backends refused with the valid names, old names
still resolved, and malformed buffers refused with a message that shows the value."""

from __future__ import annotations

import inspect
import mmap
from collections.abc import Callable
from types import ModuleType

import pytest

from autonomys.kernels import _backends, audit, fr, pos, pot, sector
from autonomys.kernels._backends import ALIASES, NAMES, BackendSelector
from autonomys.kernels._checks import Checks, describe_bound

FACADES = {"pot": pot, "fr": fr, "pos": pos, "audit": audit, "sector": sector}
ERRORS = {
    "pot": pot.PotKernelError,
    "fr": fr.FrKernelError,
    "pos": pos.PosKernelError,
    "audit": audit.AuditKernelError,
    "sector": sector.SectorKernelError,
}
SCALARS = bytes(4 * fr.SCALAR_SIZE)
BITS_16 = bytes(sector.bitfield_size(16))

# One well-formed call of every facade function that takes a backend, by facade and function name.
CALLS: dict[str, dict[str, Callable[[str], object]]] = {
    "pot": {
        "prove": lambda b: pot.prove(bytes(16), bytes(16), 2, b),
        "verify": lambda b: pot.verify(bytes(16), bytes(16), 2, bytes(128), b),
        "aes_chain": lambda b: pot.aes_chain(bytes(16), bytes(16), 1, b),
    },
    "fr": {
        "root_of_unity": lambda b: fr.root_of_unity(4, b),
        "ntt": lambda b: fr.ntt(SCALARS, b),
        "intt": lambda b: fr.intt(SCALARS, b),
        "extend": lambda b: fr.extend(SCALARS, b),
        "extend_batch": lambda b: fr.extend_batch(SCALARS, 2, b),
        "extend_records": lambda b: fr.extend_records(SCALARS, 2, b),
        "recover_records": lambda b: fr.recover_records(SCALARS, [True, True], b),
        "combine_records": lambda b: fr.combine_records(SCALARS, [1, 2], b),
        "is_canonical": lambda b: fr.is_canonical(SCALARS, b),
        "recover": lambda b: fr.recover([bytes(32), None], b),
        "recover_batch": lambda b: fr.recover_batch(SCALARS, [True, False], b),
    },
    "pos": {
        "find_proof": lambda b: pos.find_proof(bytes(32), 0, 12, b),
        "is_proof_valid": lambda b: pos.is_proof_valid(bytes(32), 0, bytes(96), 12, b),
        "shim_find_proof": lambda b: pos.shim_find_proof(bytes(32), 1, b),
        "shim_is_proof_valid": lambda b: pos.shim_is_proof_valid(bytes(32), 1, bytes(160), b),
        "compute_f1": lambda b: pos.compute_f1(12, bytes(32), 5, b),
        "compute_fn": lambda b: pos.compute_fn(12, 2, 0, 0, 0, b),
        "has_match": lambda b: pos.has_match(0, 1, b),
        "hashing_floor_seconds": lambda b: pos.hashing_floor_seconds(12, b),
        "PosTable": lambda b: pos.PosTable(12, "shim", b),
    },
    "audit": {
        "audit_chunks": lambda b: audit.audit_chunks(bytes(64), bytes(32), bytes(32), 100, b),
        "audit_distances": lambda b: audit.audit_distances(bytes(64), bytes(32), bytes(32), b),
    },
    "sector": {
        "record_presence": lambda b: sector.record_presence(BITS_16, 16, b),
        "mask_and_select": lambda b: sector.mask_and_select(bytes(512), bytes(512), bytes(32), bytes(1024), b),
        "unmask": lambda b: sector.unmask(bytes(512), BITS_16, bytes(32), bytes(1024), b),
        "scatter": lambda b: sector.scatter([bytes(512)], BITS_16, 16, bytearray(512), b),
        "gather": lambda b: sector.gather(bytes(512), BITS_16, 16, 0, b),
        "s_bucket_sizes": lambda b: sector.s_bucket_sizes(BITS_16, 16, b),
    },
}
EVERY_CALL = [(kernel, function) for kernel, calls in CALLS.items() for function in calls]

# A buffer of the wrong size for each facade, and the words its message must show.
MALFORMED = {
    "pot": (lambda data: pot.prove(data, bytes(16), 2), 15, "seed must be 16 bytes, got 15"),
    "fr": (lambda data: fr.ntt(data), 33, r"values must be a multiple of 32 bytes \(whole scalars\), got 33 bytes"),
    "pos": (lambda data: pos.compute_f1(12, data, 0), 31, "seed must be 32 bytes, got 31"),
    "audit": (lambda data: audit.audit_distances(bytes(32), data, bytes(32)), 33, "key must be 32 bytes, got 33"),
    "sector": (
        lambda data: sector.record_presence(data, 16),
        5,
        r"encoded_bits must be 4 bytes \(2n/8 for n=16\), got 5",
    ),
}


def functions_taking_backend(facade: ModuleType) -> dict[str, inspect.Signature]:
    found = {}
    for name, value in vars(facade).items():
        if name.startswith("_") or getattr(value, "__module__", None) != facade.__name__ or not callable(value):
            continue
        if isinstance(value, type) and issubclass(value, Exception):
            continue
        signature = inspect.signature(value)
        if "backend" in signature.parameters:
            found[name] = signature
    return found


# ---- one table, one selector ----


@pytest.mark.parametrize("kernel", FACADES)
def test_every_facade_uses_the_shared_names(kernel: str) -> None:
    facade = FACADES[kernel]
    assert isinstance(facade._BACKENDS, BackendSelector)
    assert set(facade.BACKENDS) <= set(NAMES)
    assert facade.BACKENDS[:2] == ("auto", "portable") and facade.BACKENDS[-1] == "reference"
    available = facade.available_backends()
    assert available[:2] == ("auto", "portable") and available[-1] == "reference"
    assert [name for name in facade.BACKENDS if name in available] == list(available)  # the table's order
    assert facade.best_backend() in available
    assert facade.best_backend() not in ("auto", "reference")


@pytest.mark.parametrize("kernel", FACADES)
def test_every_kernel_function_takes_backend_auto(kernel: str) -> None:
    found = functions_taking_backend(FACADES[kernel])
    assert set(found) == set(CALLS[kernel])  # CALLS below covers every one of them
    for name, signature in found.items():
        assert signature.parameters["backend"].default == "auto", name


@pytest.mark.parametrize(("kernel", "function"), EVERY_CALL)
def test_every_backend_runs_every_function(kernel: str, function: str) -> None:
    call = CALLS[kernel][function]
    for backend in FACADES[kernel].available_backends():
        if (function, backend) == ("hashing_floor_seconds", "reference"):
            continue  # it measures C; refused for the reference in test_pos_kernel.py
        if (function, backend) == ("find_proof", "reference"):
            continue  # a K = 12 table in Python takes half a second; tables are compared in test_pos_kernel.py
        call(backend)


@pytest.mark.parametrize(("kernel", "function"), EVERY_CALL)
@pytest.mark.parametrize("backend", ["gpu", "C", "AUTO", "", None, 3, ["auto"]])
def test_unknown_backend_is_refused_with_the_valid_names(kernel: str, function: str, backend: object) -> None:
    facade = FACADES[kernel]
    with pytest.raises(ERRORS[kernel]) as refused:
        CALLS[kernel][function](backend)  # type: ignore[arg-type]
    message = str(refused.value)
    assert f"backend={backend!r} is not a backend of the" in message
    assert f"choose one of {', '.join(facade.BACKENDS)}" in message


SIMD = [(kernel, name) for kernel, facade in FACADES.items() for name in facade.BACKENDS[2:-1]]


@pytest.mark.parametrize(("kernel", "name"), SIMD)
def test_backend_absent_from_the_cpu_is_refused(monkeypatch: pytest.MonkeyPatch, kernel: str, name: str) -> None:
    """On a CPU with only the portable path, each instruction-set backend (and its old name) is refused."""
    facade = FACADES[kernel]
    selector = facade._BACKENDS
    portable_only = BackendSelector(
        selector.kernel, selector.codes, lambda code: code in (selector.codes["auto"], selector.codes["portable"]),
        ERRORS[kernel],
    )  # fmt: skip
    monkeypatch.setattr(facade, "_BACKENDS", portable_only)
    assert portable_only.available() == ("auto", "portable", "reference")
    old_names = [old for old, new in ALIASES.items() if new == name]
    for spelling in (name, *old_names):
        with pytest.raises(ERRORS[kernel], match=f"backend='{spelling}' of the .* kernel is not available on this CPU"):
            next(iter(CALLS[kernel].values()))(spelling)
    with pytest.raises(ERRORS[kernel], match="available: auto, portable, reference"):
        next(iter(CALLS[kernel].values()))(name)


@pytest.mark.parametrize("kernel", FACADES)
def test_old_names_resolve_to_the_new_ones(kernel: str) -> None:
    selector = FACADES[kernel]._BACKENDS
    for old, new in ALIASES.items():
        if new in selector.available():
            assert selector.code(old) == selector.code(new)
            assert selector.name(old) == new
        elif new not in selector.codes:
            with pytest.raises(ERRORS[kernel], match="is not a backend of the"):
                selector.code(old)


def test_the_protocol_defaults_still_resolve() -> None:
    """The names code outside kernels/ passes today (protocol, actors, clusters, benchmarks)."""
    for name in ("auto", "portable", "reference"):
        pot.prove(bytes(16), bytes(16), 2, name)
    assert fr.ntt(SCALARS, "reference") == fr.ntt(SCALARS, "c")


def test_a_selector_takes_only_the_shared_names() -> None:
    with pytest.raises(ValueError, match="must use names of"):
        BackendSelector("x", {"auto": 0, "portable": 1, "sse": 2}, lambda code: True, RuntimeError)
    with pytest.raises(ValueError, match="include auto and portable"):
        BackendSelector("x", {"auto": 0}, lambda code: True, RuntimeError)
    selector = BackendSelector("x", {"avx2": 2, "portable": 1, "auto": 0}, lambda code: code != 2, RuntimeError)
    assert selector.names == ("auto", "portable", "avx2", "reference")  # the table's order, whatever was given
    assert selector.best() == "portable"  # the widest available when the kernel cannot say
    assert selector.code("reference") is None


def test_the_table_documents_every_name() -> None:
    for name in (*NAMES, *ALIASES):
        assert f'"{name}"' in _backends.__doc__


# ---- buffers and integers ----


@pytest.mark.parametrize("kernel", FACADES)
def test_malformed_buffer_is_refused_with_its_size(kernel: str) -> None:
    call, length, shown = MALFORMED[kernel]
    for data in (bytes(length), bytearray(length), memoryview(bytes(length))):
        with pytest.raises(ERRORS[kernel], match=shown):
            call(data)


@pytest.mark.parametrize("kernel", FACADES)
def test_non_buffer_and_strided_buffer_are_refused(kernel: str) -> None:
    call, _, _ = MALFORMED[kernel]
    with pytest.raises(ERRORS[kernel], match=r"must be bytes-like \(bytes, bytearray, memoryview, ...\), got str"):
        call("00" * 16)
    with pytest.raises(ERRORS[kernel], match=r"must be C-contiguous, got a view with strides \(2,\)"):
        call(memoryview(bytes(512))[::2])


@pytest.mark.parametrize(
    ("call", "error", "shown"),
    [
        (lambda: pot.prove(bytes(16), bytes(16), 21), pot.PotKernelError, "checkpoint_iterations=21 must be a multiple"),
        (lambda: pot.aes_chain(bytes(16), bytes(16), 2**64), pot.PotKernelError, r"iterations=18446744073709551616 must be an int in 0..2\^64-1"),
        (lambda: fr.extend_batch(SCALARS, 3), fr.FrKernelError, "column_size=3 must be a power of two in 1..65536"),
        (lambda: pos.find_proof(bytes(32), 0, 26), pos.PosKernelError, "k=26 must be an int in 12..24"),
        (lambda: pos.find_proof(bytes(32), 0, True), pos.PosKernelError, "k=True must be an int in 12..24"),
        (lambda: audit.audit_chunks(bytes(32), bytes(32), bytes(32), -1), audit.AuditKernelError, r"solution_range=-1 must be an int in 0..2\^64-1"),
        (lambda: sector.bitfield_size(6), sector.SectorKernelError, "record_num_chunks=6 must be a multiple of 4 in 4..32768"),
    ],
)  # fmt: skip
def test_bad_integer_is_refused_with_its_value(call: Callable[[], object], error: type[Exception], shown: str) -> None:
    with pytest.raises(error, match=shown):
        call()


@pytest.mark.parametrize(
    ("bound", "shown"),
    [(0, "0"), (65536, "65536"), (2**20 - 2, "1048574"), (2**20 - 1, "2^20-1"), (2**32, "2^32"), (2**64 - 1, "2^64-1")],
)
def test_large_bounds_read_as_powers_of_two(bound: int, shown: str) -> None:
    assert describe_bound(bound) == shown


def test_buffers_are_not_copied_and_not_kept() -> None:
    checks = Checks(ValueError)
    data = bytes(64)
    assert checks.whole("data", data, 32, "whole scalars") is data
    backing = bytearray(64)
    view = checks.sized("data", backing, 64)
    view[0] = 7  # the same memory, not a copy
    assert backing[0] == 7
    view.release()
    with pytest.raises(ValueError, match="got 64"):
        checks.sized("data", backing, 63)
    backing.extend(b"\x00")  # a refused buffer is not left exported
    assert checks.sized("words", memoryview(bytes(64)).cast("Q"), 64).format == "B"


def test_mmap_is_a_buffer(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "chunks.bin"  # type: ignore[operator]
    path.write_bytes(bytes(range(64)))
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert audit.audit_distances(mapped, bytes(32), bytes(32)) == audit.audit_distances(
            bytes(range(64)), bytes(32), bytes(32)
        )


def test_writable_buffers_are_checked() -> None:
    checks = Checks(ValueError)
    with pytest.raises(ValueError, match=r"out must be writable \(a bytearray or a writable memoryview\), got bytes"):
        checks.sized("out", bytes(8), 8, writable=True)
    assert len(checks.sized("out", bytearray(8), 8, writable=True)) == 8
