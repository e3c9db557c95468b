"""The sector kernel: C == reference for every function, scatter/gather as inverses, bad arguments, strict C build."""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.kernels import sector, sector_reference

KERNEL = sector  # tests taking `backend` run once per sector.available_backends() (tests/kernels/conftest.py)
KERNELS = Path(__file__).resolve().parents[2] / "kernels"
CHUNK = sector.CHUNK_SIZE
SIZES = [4, 8, 64, 256]
DENSITIES = [0.0, 0.1, 0.5, 0.63, 1.0]


def random_proofs(
    rng: random.Random, source: bytes, parity: bytes, density: float, zeros: float = 0.05
) -> tuple[bytes, bytes]:
    """Flags with the given density; a few proof hashes equal their chunk (masking it to the zero sentinel)."""
    n = len(source) // CHUNK
    flags = bytes(1 if rng.random() < density else 0 for _ in range(2 * n))
    hashes = bytearray(rng.randbytes(2 * n * CHUNK))
    for s_bucket in range(2 * n):
        if rng.random() < zeros:
            hashes[s_bucket * CHUNK : (s_bucket + 1) * CHUNK] = sector_reference.extended_chunk(
                source, parity, s_bucket
            )
    return flags, bytes(hashes)


def random_encoded_bits(rng: random.Random, n: int) -> bytes:
    """A bitfield with at most n bits set, sometimes exactly n, sometimes none."""
    count = rng.choice([0, n, rng.randrange(n + 1)])
    bits = bytearray(sector.bitfield_size(n))
    for s_bucket in rng.sample(range(2 * n), count):
        sector_reference.set_bit(bits, s_bucket)
    return bytes(bits)


def make_sector(rng: random.Random, n: int, num_records: int) -> tuple[list[bytes], bytes]:
    records = [rng.randbytes(n * CHUNK) for _ in range(num_records)]
    return records, b"".join(random_encoded_bits(rng, n) for _ in range(num_records))


# ---- equivalence ----


@pytest.mark.parametrize("n", SIZES)
def test_mask_and_select_matches_reference(native_backend: str, n: int) -> None:
    rng = random.Random(n)
    for density in DENSITIES:
        source, parity = rng.randbytes(n * CHUNK), rng.randbytes(n * CHUNK)
        flags, hashes = random_proofs(rng, source, parity, density)
        expected = sector.mask_and_select(source, parity, flags, hashes, "reference")
        assert sector.mask_and_select(source, parity, flags, hashes, native_backend) == expected
        bits, chunks = expected
        assert len(chunks) == n * CHUNK
        present = sector.record_presence(bits, n)
        assert sum(byte.bit_count() for byte in present) == n


@pytest.mark.parametrize("n", SIZES)
def test_unmask_inverts_mask_and_select(n: int, backend: str) -> None:
    rng = random.Random(100 + n)
    for density in DENSITIES:
        source, parity = rng.randbytes(n * CHUNK), rng.randbytes(n * CHUNK)
        flags, hashes = random_proofs(rng, source, parity, density)
        bits, chunks = sector.mask_and_select(source, parity, flags, hashes, backend)
        column, present = sector.unmask(chunks, bits, flags, hashes, backend)
        assert (column, present) == sector.unmask(chunks, bits, flags, hashes, "reference")
        for s_bucket in range(2 * n):
            got = column[s_bucket * CHUNK : (s_bucket + 1) * CHUNK]
            if present[s_bucket]:
                assert got == sector_reference.extended_chunk(source, parity, s_bucket)
            else:
                assert got == bytes(CHUNK)
        assert sum(present) == n


@pytest.mark.parametrize("n", SIZES)
def test_record_presence_matches_reference(native_backend: str, n: int) -> None:
    rng = random.Random(200 + n)
    size = sector.bitfield_size(n)
    # none encoded, the first n encoded, the last n encoded, then random ones
    cases = [bytes(size), ((1 << n) - 1).to_bytes(size, "little"), ((1 << n) - 1 << n).to_bytes(size, "little")]
    cases += [random_encoded_bits(rng, n) for _ in range(20)]
    for bits in cases:
        assert sector.record_presence(bits, n, native_backend) == sector.record_presence(bits, n, "reference")


@given(n_quarter=st.integers(1, 24), data=st.data())
@settings(max_examples=60, deadline=None)
def test_presence_rule_holds_everywhere(backend: str, n_quarter: int, data: st.DataObject) -> None:
    n = 4 * n_quarter
    s_buckets = data.draw(st.sets(st.integers(0, 2 * n - 1), max_size=n))
    bits = bytearray(sector.bitfield_size(n))
    for s_bucket in s_buckets:
        sector_reference.set_bit(bits, s_bucket)
    presence = sector.record_presence(bytes(bits), n, backend)
    assert presence == sector.record_presence(bytes(bits), n, "reference")
    for s_bucket in range(2 * n):
        expected = sector_reference.record_has_s_bucket_chunk(s_bucket, bytes(bits), len(s_buckets), n)
        assert sector_reference.is_bit_set(presence, s_bucket) == expected


@pytest.mark.parametrize(("n", "num_records"), [(4, 1), (8, 3), (64, 8), (256, 5), (4, 300), (64, 520)])
def test_scatter_and_gather_match_reference_and_invert(native_backend: str, n: int, num_records: int) -> None:
    """Record counts above 255 exercise the kernel's byte-lane counters across flushes."""
    rng = random.Random(n * 1000 + num_records)
    records, bits = make_sector(rng, n, num_records)
    region = bytearray(num_records * n * CHUNK)
    sizes = sector.scatter(records, bits, n, region, native_backend)
    expected_region = bytearray(len(region))
    assert sector.scatter(records, bits, n, expected_region, "reference") == sizes
    assert region == expected_region
    assert sector.s_bucket_sizes(bits, n, native_backend) == sizes == sector.s_bucket_sizes(bits, n, "reference")
    offsets = range(num_records) if num_records <= 8 else (0, 1, 254, 255, 256, num_records - 1)
    for offset in offsets:
        chunks, gathered_sizes = sector.gather(region, bits, n, offset, native_backend)
        assert chunks == records[offset]
        assert gathered_sizes == sizes
        if n * num_records <= 2048:
            assert sector.gather(bytes(region), bits, n, offset, "reference") == (chunks, sizes)


def test_scatter_writes_into_a_slice_of_a_larger_buffer(backend: str) -> None:
    rng = random.Random(5)
    records, bits = make_sector(rng, 8, 4)
    buffer = bytearray(b"\xaa" * (10 + 4 * 8 * CHUNK + 10))
    sector.scatter(records, bits, 8, memoryview(buffer)[10:-10], backend)
    assert buffer[:10] == b"\xaa" * 10
    assert buffer[-10:] == b"\xaa" * 10
    for offset, record in enumerate(records):
        assert sector.gather(memoryview(buffer)[10:-10], bits, 8, offset, backend)[0] == record
    buffer.extend(b"\xaa")  # no view of it is left exported


def test_scatter_releases_the_gil() -> None:
    rng = random.Random(9)
    n, num_records = 4096, 64
    records, bits = make_sector(rng, n, num_records)
    region = bytearray(num_records * n * CHUNK)
    done = threading.Event()
    ticks = 0

    def scatter_repeatedly() -> None:
        for _ in range(6):
            sector.scatter(records, bits, n, region)
        done.set()

    worker = threading.Thread(target=scatter_repeatedly)
    worker.start()
    while not done.is_set():
        ticks += 1
    worker.join()
    assert ticks > 1000


# ---- bad arguments ----


def test_bad_record_sizes_are_named(backend: str) -> None:
    n = 16  # 32 s-buckets: 4-byte bitfields, 512-byte records
    ok_bits = bytes(sector.bitfield_size(n))
    with pytest.raises(sector.SectorKernelError, match="record_num_chunks=6 must be a multiple of 4"):
        sector.record_presence(bytes(2), 6, backend)
    with pytest.raises(sector.SectorKernelError, match="record_num_chunks=65536"):
        sector.bitfield_size(65536)
    with pytest.raises(sector.SectorKernelError, match=r"encoded_bits must be 4 bytes \(2n/8 for n=16\), got 3"):
        sector.record_presence(bytes(3), n, backend)
    with pytest.raises(sector.SectorKernelError, match=r"source must be a multiple of 32 bytes .*, got 33 bytes"):
        sector.mask_and_select(bytes(33), bytes(33), bytes(2), bytes(64), backend)
    with pytest.raises(sector.SectorKernelError, match="parity must be 512 bytes, got 480"):
        sector.mask_and_select(bytes(512), bytes(480), bytes(32), bytes(1024), backend)
    with pytest.raises(sector.SectorKernelError, match="proof_flags must be 32 bytes, got 16"):
        sector.mask_and_select(bytes(512), bytes(512), bytes(16), bytes(1024), backend)
    with pytest.raises(sector.SectorKernelError, match="proof_hashes must be 1024 bytes"):
        sector.unmask(bytes(512), ok_bits, bytes(32), bytes(1023), backend)
    with pytest.raises(sector.SectorKernelError, match="encoded_bits must be bytes-like .*, got str"):
        sector.record_presence("abcd", n, backend)  # type: ignore[arg-type]
    assert sector.record_presence(ok_bits, n, backend) == sector.record_presence(ok_bits, n, "reference")


def test_too_many_encoded_bits_name_the_record(backend: str) -> None:
    n = 16
    full = b"\xff\xff\x01\x00"  # 17 bits set, n = 16
    with pytest.raises(sector.SectorKernelError, match="record 0 has 17 encoded bits, more than n=16"):
        sector.record_presence(full, n, backend)
    with pytest.raises(sector.SectorKernelError, match="more than n=16"):
        sector.unmask(bytes(512), full, bytes(32), bytes(1024), backend)
    records, bits = make_sector(random.Random(1), n, 3)
    bits = bits[:4] + full + bits[8:]
    region = bytearray(3 * n * CHUNK)
    with pytest.raises(sector.SectorKernelError, match="record 1 has 17 encoded bits"):
        sector.scatter(records, bits, n, region, backend)
    with pytest.raises(sector.SectorKernelError, match="record 1 has 17 encoded bits"):
        sector.gather(region, bits, n, 0, backend)
    with pytest.raises(sector.SectorKernelError, match="record 1 has 17 encoded bits"):
        sector.s_bucket_sizes(bits, n, backend)


def test_unmask_names_the_s_bucket_without_a_proof(backend: str) -> None:
    n = 16
    bits = b"\x00\x04\x00\x00"  # s-bucket 10 encoded
    with pytest.raises(sector.SectorKernelError, match="s-bucket 10 is encoded but proof_flags says"):
        sector.unmask(bytes(n * CHUNK), bits, bytes(2 * n), bytes(2 * n * CHUNK), backend)


def test_scatter_and_gather_check_their_buffers(backend: str) -> None:
    n = 16
    records, bits = make_sector(random.Random(2), n, 3)
    region = bytearray(3 * n * CHUNK)
    with pytest.raises(sector.SectorKernelError, match="got 2 records for 3 bitfields"):
        sector.scatter(records[:2], bits, n, region, backend)
    with pytest.raises(sector.SectorKernelError, match=r"records\[2\] must be 512 bytes, got 511"):
        sector.scatter([*records[:2], records[2][:-1]], bits, n, region, backend)
    with pytest.raises(sector.SectorKernelError, match="out must be 1536 bytes, got 1535"):
        sector.scatter(records, bits, n, region[:-1], backend)
    with pytest.raises(sector.SectorKernelError, match="out must be writable"):
        sector.scatter(records, bits, n, bytes(region), backend)
    with pytest.raises(sector.SectorKernelError, match=r"encoded_bits must be a non-zero multiple of 4 bytes .*65535"):
        sector.scatter(records, bits[:-1], n, region, backend)
    with pytest.raises(sector.SectorKernelError, match="s_buckets must be 1536 bytes"):
        sector.gather(region[:-32], bits, n, 0, backend)
    with pytest.raises(sector.SectorKernelError, match="piece_offset=3 must be an int in 0..2"):
        sector.gather(region, bits, n, 3, backend)
    with pytest.raises(sector.SectorKernelError, match="piece_offset=-1"):
        sector.gather(region, bits, n, -1, backend)


def test_compiled_module_rejects_bad_arguments_too() -> None:
    """The binding checks what it is handed even when called past the facade."""
    from autonomys.kernels import _sector

    with pytest.raises(ValueError, match="record_num_chunks=6"):
        _sector.sector_record_presence(bytes(3), 6)
    with pytest.raises(ValueError, match="invalid argument"):
        _sector.sector_record_presence(b"\xff\xff\x01\x00", 16)
    with pytest.raises(ValueError, match="got 1 records for 2 bitfields"):
        _sector.sector_scatter([bytes(512)], bytes(8), 16, bytearray(1024))
    with pytest.raises(TypeError):
        _sector.sector_scatter(5, bytes(4), 16, bytearray(512))
    with pytest.raises(ValueError, match="piece_offset"):
        _sector.sector_gather(bytes(512), bytes(4), 16, -1)
    with pytest.raises(ValueError, match="invalid argument"):
        _sector.sector_gather(bytes(512), bytes(4), 16, 1)
    with pytest.raises(ValueError, match="invalid argument"):
        _sector.sector_unmask(bytes(512), b"\x01\x00\x00\x00", bytes(32), bytes(1024))


# ---- strict C build ----


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
@pytest.mark.parametrize("defines", [[], ["-U__GNUC__"]], ids=["builtins", "portable"])
def test_sector_kernel_builds_strict_without_python(tmp_path: Path, defines: list[str]) -> None:
    command = [
        "gcc", "-O2", "-std=c11", "-Wall", "-Wextra", "-Wconversion", "-Wpedantic", "-Werror", *defines,
        f"-I{KERNELS / 'include'}", f"-I{KERNELS / 'src'}", "-c", str(KERNELS / "src" / "sector.c"),
        "-o", str(tmp_path / "sector.o"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
