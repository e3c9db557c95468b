"""The PoS kernel: chiapos and Subspace known answers, C == reference on whole small tables, every C
backend equal, verification rejecting any altered x, argument rejection, and the GIL released."""

from __future__ import annotations

import functools
import threading

import blake3
import pytest
from Crypto.Cipher import ChaCha20
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.kernels import _pos, pos, pos_reference

KERNEL = pos  # tests taking `backend` run once per pos.available_backends() (tests/kernels/conftest.py)
# K=20 proof (crates/subspace-proof-of-space/src/chiapos/tables/tests.rs::proof_identity_with_main_branch)
T2_SEED = bytes.fromhex("23023404333717545b0a6f0c0dde9710e4d3fe2d5cc6cc0a090a0b818bab0f17")
T2_PROOFS = {
    600426542: "e7a0b6a09787b5b8a2b649f6640a40089dfba1b02f2b60153379068d73ac2ceb238db9e7e8705ee9ea8122ea629c34247085ccf8"
    "a5205757b38eb709f350ffe99d587ec81785c55f1924962232c72af0ce4db70fcb5ce246b17537f0e1c0ccd31942c1d65bd3ec70cde72af1"
    "7ad67f6bda4271cc543e9929612f6f41479abffc60b6ace8edf407849ec9ef85b8bf4863807fcac374315bcf0e866db8e2de7213",
    # the same test's regression markers: the (y, position) tie-break (1011) and r-maps without an entry limit (650)
    1011: "1247ba6def525cf9f916f673328a8387cf6c8b389baf106f04b0bb58d19abb47ae4de956d13ae3c0b94958067f3bdea621efce294134"
    "ffe97a6bda44674e2828e09db7b99b65227a33b43f5533a6d6b4c884c7411837f4c54e57500bdd91e186f54ca5f55cf30c79f98d649da122"
    "863ab17468449d88b2cf580b0cfb0c6a72c3a7b850a1da9aeda4906ce9d3df884031a68f44dd662a5ec71f5fc14c837542a5",
    650: "a303012c3b16f561f216e800682cb09d774d6ab0e2cc42d6b37ccbbca387ac2ce019bbeeafb124f03575ec819ae880b0819e4e66ab6d"
    "2d5cd4ebb387990fba64508febb6cc48fcf226b2806ace3fd33a553da86b566fbf6d1198870b6e89a717017eda4575e2a6a946045f2d1032"
    "79a3fab4e18ae568661991baff81642aed7f1a186d8700c122776dfa2626bb982124932dff75958a327aa00c2cd449db3c1f",
}
T2_NO_PROOF = 1232460437
# Chia f-function vectors (chiapos tests/test.cpp via crates/subspace-proof-of-space/src/chiapos/table/tests.rs)
T3_SEED = bytes(
    [1, 0, 2, 3, 4, 5, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1, 2, 3, 41, 5, 6, 7, 8, 9, 10, 11, 12, 13, 11, 15]
)
T3_F1 = [(25, 525, 2016650816), (25, 526, 2063162112), (25, 625, 1930299520), (22, 1837491, 105738140),
         (22, 1837492, 192213404), (22, 1837493, 64977628), (22, 1837746, 91711644)]  # fmt: skip
T3_FN = [  # (table, left, right, y) -> (y, metadata) at K = 16
    (2, 0x44CB, 0x204F, 0x20A61A, 0x2AF546, 0x44CB204F),
    (2, 0x3C5F, 0xFDA9, 0x3988EC, 0x15293B, 0x3C5FFDA9),
    (3, 0x35BF992D, 0x7CE42C82, 0x31E541, 0xF73B3, 0x35BF992D7CE42C82),
    (3, 0x7204E52D, 0xF1FD42A2, 0x28A188, 0x3FB0B5, 0x7204E52DF1FD42A2),
    (4, 0x5B6E6E307D4BEDC, 0x8A9A021EA648A7DD, 0x30CB4C, 0x11AD5, 0xD4BD0B144FC26138),
    (4, 0xB9D179E06C0FD4F5, 0xF06D3FEF701966A0, 0x1DD5B6, 0xE69A2, 0xD02115F512009D4D),
    (5, 0xC2CD789A380208A9, 0x19999E3FA46D6753, 0x25F01E, 0x1F22BD, 0xABE423040A33),
    (5, 0xBE3EDC0A1EF2A4F0, 0x4DA98F1D3099FDF5, 0x3FEB18, 0x31501E, 0x7300A3A03AC5),
    (6, 0xC965815A47C5, 0xF5E008D6AF57, 0x1F121A, 0x1CABBE, 0xC8CC6947),
    (6, 0xD420677F6CBD, 0x5894AA2CA1AF, 0x2EFDE9, 0xC2121, 0x421BB8EC),
    (7, 0x5FEC898F, 0x82283D15, 0x14F410, 0x24C3C2, 0),
    (7, 0x64AC5DB9, 0x7923986, 0x590FD, 0x1C74A2, 0),
]
# Shim vectors (crates/subspace-proof-of-space/src/shim.rs::tests::basic): challenge -> quality, None = no proof
T4_SHIM = {
    0: None, 3: None, 7: None,
    1: "c610e85212d0697cb161d4ba431ba603f273feee7dcb7927c9ff5d74ae6cbfa3",
    2: "f03bf86f79d121cbfd774dec4a65912e99f5f17c33852bbc45e819160e62b53b",
    4: "669c13550a3e727bb53d0d458f2e96e48571aa045dfabcfb4b7de16809484f11",
    5: "e84248fb50d0833361d0417df114b0b3b34408fff97c39cd0de963b09a9aebb8",
    6: "edaf1bd3d1c2ffcc44df55829c002f262426de2ffbea9be2cdf0075ec12c528d",
}  # fmt: skip
SMALL_SEED = bytes(range(32))


def challenge_for_first_k(k: int, first_k: int) -> int:
    """A challenge index whose first K bits (little-endian bytes read big-endian) are `first_k`."""
    return int.from_bytes((first_k << (32 - k)).to_bytes(4, "big"), "little")


# The tables below are built once per process: pytest may set a module fixture up again for each backend.


@functools.cache
def build_t2_table() -> pos.PosTable:
    table = pos.PosTable(20)
    table.generate(T2_SEED)
    return table


@functools.cache
def build_small_tables(k: int) -> tuple[int, pos.PosTable, list[bytes | None]]:
    table = pos.PosTable(k, backend="reference")
    table.generate(SMALL_SEED)
    return k, table, [table.find_proof(challenge_for_first_k(k, first_k)) for first_k in range(2**k)]


@pytest.fixture
def t2_table() -> pos.PosTable:
    """The K = 20 table of T2_SEED (C, "auto")."""
    return build_t2_table()


@pytest.fixture(params=[12, 13])
def small_tables(request: pytest.FixtureRequest) -> tuple[int, pos.PosTable, list[bytes | None]]:
    """A reference chia table for SMALL_SEED at K = 12 and 13 (about 0.5 s and 1.3 s in Python) and its
    proofs for every first-K value."""
    return build_small_tables(request.param)


@pytest.mark.parametrize(("k", "x", "y"), T3_F1)
def test_f1_vectors(backend: str, k: int, x: int, y: int) -> None:
    assert pos.compute_f1(k, T3_SEED, x, backend) == y


@pytest.mark.parametrize(("table_number", "left", "right", "y", "y_out", "metadata"), T3_FN)
def test_fn_vectors(backend: str, table_number: int, left: int, right: int, y: int, y_out: int, metadata: int) -> None:
    assert pos.compute_fn(16, table_number, y, left, right, backend) == (y_out, metadata)


def test_chacha_block_structure_is_rfc7539() -> None:
    """With 20 rounds the reference block function is ChaCha20 (IETF nonce), as pycryptodome computes it."""
    key = bytes(range(100, 132))
    expected = ChaCha20.new(key=key, nonce=bytes(12)).encrypt(bytes(128))
    assert pos_reference.chacha_block(key, 0, rounds=20) + pos_reference.chacha_block(key, 1, rounds=20) == expected


def test_chacha8_keystream_equals_reference(native_backend: str) -> None:
    code = pos._BACKENDS.code(native_backend)
    for first_block, num_blocks in [(0, 1), (7, 16), (1000, 37)]:
        stream = _pos.chacha8_keystream(code, T2_SEED, first_block, num_blocks)
        assert stream == pos_reference.chacha8_keystream(T2_SEED, first_block, num_blocks)


def test_blake3_equals_package() -> None:
    data = bytes(index % 251 for index in range(1024))
    for length in [*range(70), 127, 128, 129, 160, 191, 192, 193, 1023, 1024]:
        assert _pos.blake3(data[:length]) == blake3.blake3(data[:length]).digest()
    with pytest.raises(ValueError, match="1025"):
        _pos.blake3(bytes(1025))


@pytest.mark.parametrize("challenge_index", sorted(T2_PROOFS))
def test_t2_proofs_reproduced_and_verified(t2_table: pos.PosTable, backend: str, challenge_index: int) -> None:
    proof = t2_table.find_proof(challenge_index)
    assert proof is not None
    assert proof.hex() == T2_PROOFS[challenge_index]
    assert pos.is_proof_valid(T2_SEED, challenge_index, proof, backend=backend)


def test_t2_challenge_without_proof(t2_table: pos.PosTable) -> None:
    assert t2_table.find_proof(T2_NO_PROOF) is None
    assert t2_table.memory_bytes < 150 * 2**20


def test_module_level_find_proof() -> None:
    assert pos.find_proof(T2_SEED, 600426542).hex() == T2_PROOFS[600426542]
    assert pos.find_proof(T2_SEED, T2_NO_PROOF) is None  # the same seed reuses the thread's table


def test_changing_any_x_breaks_the_proof(backend: str) -> None:
    proof = bytes.fromhex(T2_PROOFS[600426542])
    xs = pos_reference.unpack_xs(20, proof)
    for index in range(64):
        altered = list(xs)
        altered[index] ^= 1 << (index % 20)
        assert not pos.is_proof_valid(T2_SEED, 600426542, pos_reference.pack_xs(20, altered), backend=backend), index
    assert not pos.is_proof_valid(T2_SEED, 600426543, proof, backend=backend)  # another challenge's first bits
    assert not pos.is_proof_valid(T2_SEED, 600426542, bytes(range(160)), backend=backend)


def test_proof_hashes_agree_with_find_proof(t2_table: pos.PosTable) -> None:
    flags, hashes = t2_table.proof_hashes(2**16)
    assert len(flags) == 2**16
    assert len(hashes) == 32 * 2**16
    assert 0.55 < sum(flags) / 2**16 < 0.7  # about 63% of challenges have a proof at K = 20
    assert (flags, hashes) == pos_reference.proof_hashes([t2_table.find_proof(index) for index in range(2**16)])


def test_c_tables_equal_reference(
    small_tables: tuple[int, pos.PosTable, list[bytes | None]], native_backend: str
) -> None:
    """Every proof of a whole small table (all 2^K first-K values, None included) and its proof hashes."""
    k, reference, reference_proofs = small_tables
    table = pos.PosTable(k, backend=native_backend)
    table.generate(SMALL_SEED)
    assert table.table_sizes() == reference.table_sizes()
    for table_number in range(1, 8):  # every table in the same order, parents included
        assert table.table_entries(table_number) == reference.table_entries(table_number), table_number
    assert [table.find_proof(challenge_for_first_k(k, first_k)) for first_k in range(2**k)] == reference_proofs
    assert sum(proof is not None for proof in reference_proofs) > 40
    assert table.proof_hashes(512) == reference.proof_hashes(512)


def test_one_context_serves_many_seeds() -> None:
    table = pos.PosTable(16)
    table.generate(SMALL_SEED)
    first = table.proof_hashes(4096)
    memory = table.memory_bytes
    table.generate(T2_SEED)
    assert table.proof_hashes(4096) != first
    table.generate(SMALL_SEED)
    assert table.proof_hashes(4096) == first
    assert table.memory_bytes == memory


def test_hashing_floor_is_measured(native_backend: str) -> None:
    assert 0 < pos.hashing_floor_seconds(14, native_backend) < 5
    with pytest.raises(pos.PosKernelError, match="measures a C backend"):
        pos.hashing_floor_seconds(14, "reference")


@pytest.fixture(scope="module")
def k16_proof_hashes() -> bytes:
    """blake3 of the proof hashes of the K = 16 table of T2_SEED, built by the portable C path."""
    table = pos.PosTable(16, backend="portable")
    table.generate(T2_SEED)
    return blake3.blake3(b"".join(table.proof_hashes(2**16))).digest()


def test_c_backends_build_identical_k16_tables(native_backend: str, k16_proof_hashes: bytes) -> None:
    table = pos.PosTable(16, backend=native_backend)
    table.generate(T2_SEED)
    assert blake3.blake3(b"".join(table.proof_hashes(2**16))).digest() == k16_proof_hashes


def test_shim_vectors(backend: str) -> None:
    for challenge_index, quality in T4_SHIM.items():
        expected = None if quality is None else T2_SEED + bytes.fromhex(quality) * 4
        assert pos.shim_find_proof(T2_SEED, challenge_index, backend) == expected
        table = pos.PosTable(kind="shim", backend=backend)
        table.generate(T2_SEED)
        assert table.find_proof(challenge_index) == expected
        if expected is not None:
            assert pos.shim_is_proof_valid(T2_SEED, challenge_index, expected, backend)


def test_shim_proof_hashes_equal_reference(native_backend: str) -> None:
    table = pos.PosTable(kind="shim", backend=native_backend)
    table.generate(T2_SEED)
    flags, hashes = table.proof_hashes(2**16)
    assert (flags[:3000], hashes[: 32 * 3000]) == pos_reference.proof_hashes(
        [pos_reference.shim_find_proof(T2_SEED, index) for index in range(3000)]
    )
    assert flags[:8] == bytes([0, 1, 1, 0, 1, 1, 1, 0])


def test_generate_releases_the_gil() -> None:
    """Another Python thread keeps running while a K = 20 table builds (no speed assertion)."""
    table = pos.PosTable(20)
    started = threading.Event()

    def build() -> None:
        started.set()
        table.generate(SMALL_SEED)

    worker = threading.Thread(target=build)
    worker.start()
    started.wait()
    iterations = 0
    while worker.is_alive():
        iterations += 1
    worker.join()
    assert iterations > 1000


def test_tables_in_parallel_threads_match_sequential() -> None:
    seeds = [bytes([index]) * 32 for index in range(4)]
    expected = []
    for seed in seeds:
        table = pos.PosTable(16)
        table.generate(seed)
        expected.append(table.proof_hashes(4096))
    results: dict[int, tuple[bytes, bytes]] = {}

    def build(index: int) -> None:
        table = pos.PosTable(16)
        table.generate(seeds[index])
        results[index] = table.proof_hashes(4096)

    workers = [threading.Thread(target=build, args=(index,)) for index in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [results[index] for index in range(4)] == expected


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(min_value=pos.K_MIN, max_value=pos.K_MAX),
    table_number=st.integers(min_value=2, max_value=7),
    data=st.data(),
)
def test_fn_and_match_c_equal_reference(backend: str, k: int, table_number: int, data: st.DataObject) -> None:
    bits = pos_reference.metadata_bits(k, table_number - 1)
    y = data.draw(st.integers(min_value=0, max_value=2 ** (k + 6) - 1))
    left, right = (data.draw(st.integers(min_value=0, max_value=2**bits - 1)) for _ in range(2))
    expected = pos.compute_fn(k, table_number, y, left, right, "reference")
    assert pos.compute_fn(k, table_number, y, left, right, backend) == expected
    right_y = data.draw(st.integers(min_value=0, max_value=2 ** (k + 6) - 1))
    assert pos.has_match(y, right_y, backend) == pos.has_match(y, right_y, "reference")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32), k=st.integers(min_value=pos.K_MIN, max_value=pos.F1_K_MAX), data=st.data()
)
def test_f1_c_equals_reference(backend: str, seed: bytes, k: int, data: st.DataObject) -> None:
    x = data.draw(st.integers(min_value=0, max_value=2**k - 1))
    assert pos.compute_f1(k, seed, x, backend) == pos.compute_f1(k, seed, x, "reference")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pos.find_proof(bytes(31), 0), "seed must be 32 bytes, got 31"),
        (lambda: pos.find_proof("x" * 32, 0), "seed must be bytes-like .*, got str"),
        (lambda: pos.find_proof(bytes(32), 0, k=11), "k=11 must be an int in 12..24"),
        (lambda: pos.find_proof(bytes(32), 0, k=25), "k=25 must be an int in 12..24"),
        (lambda: pos.find_proof(bytes(32), 2**32), "challenge_index=4294967296 must be an int"),
        (lambda: pos.is_proof_valid(bytes(32), -1, bytes(160)), "challenge_index=-1 must be an int"),
        (lambda: pos.is_proof_valid(bytes(32), True, bytes(160)), "challenge_index=True must be an int"),
        (lambda: pos.is_proof_valid(bytes(32), 0, bytes(159)), "proof must be 160 bytes for k=20, got 159"),
        (lambda: pos.is_proof_valid(bytes(32), 0, bytes(160), k=16), "proof must be 128 bytes for k=16, got 160"),
        (lambda: pos.is_proof_valid(bytes(33), 0, bytes(160)), "seed must be 32 bytes, got 33"),
        (lambda: pos.PosTable(20, "plot"), "table kind 'plot' must be one of chia, shim"),
        (lambda: pos.PosTable(20).find_proof(0), "call generate\\(seed\\) first"),
        (lambda: pos.PosTable(12, "shim").generate(bytes(5)), "seed must be 32 bytes, got 5"),
        (lambda: pos.compute_f1(26, bytes(32), 0), "k=26 must be an int in 12..25"),
        (lambda: pos.compute_f1(20, bytes(32), 2**20), "x=1048576 must be an int in 0..2\\^20-1"),
        (lambda: pos.compute_fn(16, 8, 0, 0, 0), "table_number=8 must be an int in 2..7"),
        (lambda: pos.compute_fn(16, 2, 0, 2**16, 0), "left_metadata=65536 must be an int in 0..2\\^16-1"),
        (lambda: pos.compute_fn(16, 2, 2**22, 0, 0), "y=4194304 must be an int in 0..2\\^22-1"),
    ],
)
def test_bad_arguments_are_rejected(call: object, message: str) -> None:
    with pytest.raises(pos.PosKernelError, match=message):
        call()


def test_bad_proof_hashes_count(t2_table: pos.PosTable) -> None:
    with pytest.raises(pos.PosKernelError, match="num_challenges=-1 must be an int in 0..2\\^32"):
        t2_table.proof_hashes(-1)
