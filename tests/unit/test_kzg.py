"""KZG: the ceremony setup's anchors, commit/witness/verify round trips, and rejection of bad input.

py_ecc serves as a small-size oracle for commitments: Σ c_i·τ^i·G computed independently.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from autonomys.protocol.constants import BLS12_381_SCALAR_MODULUS as R
from autonomys.protocol.errors import InvalidKzgSetup
from autonomys.protocol.kzg import InvalidCommitmentInput, Kzg, Polynomial, decode_g1, root_of_unity

SETUP = Path(__file__).resolve().parents[3] / "shared" / "kzg" / "eth-public-parameters.bin"
needs_setup = pytest.mark.skipif(not SETUP.exists(), reason="ceremony file not beside the checkout")


@pytest.fixture(scope="module")
def dev_kzg() -> Kzg:
    return Kzg.dev_setup(num_g1_powers=64)


def scalars(values: list[int]) -> bytes:
    return b"".join(v.to_bytes(32, "big") for v in values)


def test_roots_of_unity_known_answers() -> None:
    assert root_of_unity(256) == 0x4F9B4098E2E9F12E6B368121AC0CF4AD0A0865A899E8DEFF4935BD2F817F694B
    assert root_of_unity(65536) == 0x2155379D12180CAA88F39A78F1AEB57867A665AE1FCADC91D7118F85CD96B8AD
    assert pow(root_of_unity(32), 32, R) == 1
    assert pow(root_of_unity(32), 16, R) != 1


def test_poly_interpolates_the_values(dev_kzg: Kzg, seeded_random: random.Random) -> None:
    values = [seeded_random.randrange(R) for _ in range(16)]
    coefficients = dev_kzg.poly(scalars(values)).coefficient_ints()
    omega = root_of_unity(16)
    for i, value in enumerate(values):
        assert sum(c * pow(omega, i * k, R) for k, c in enumerate(coefficients)) % R == value


def test_commit_matches_py_ecc_oracle(dev_kzg: Kzg) -> None:
    import blake3
    from py_ecc.bls.g2_primitives import G1_to_pubkey
    from py_ecc.optimized_bls12_381 import G1, multiply

    from autonomys.protocol.kzg import DEV_SETUP_SEED

    tau = int.from_bytes(blake3.blake3(DEV_SETUP_SEED).digest(), "big") % R
    coefficients = [3, 1, 4, 1, 5, 9, 2, 6]
    expected = G1_to_pubkey(multiply(G1, sum(c * pow(tau, i, R) for i, c in enumerate(coefficients)) % R))
    assert dev_kzg.commit(Polynomial(scalars(coefficients))) == expected


def test_witness_round_trip_and_rejections(dev_kzg: Kzg, seeded_random: random.Random) -> None:
    values = [seeded_random.randrange(R) for _ in range(32)]
    polynomial = dev_kzg.poly(scalars(values))
    commitment = dev_kzg.commit(polynomial)
    for index in (0, 1, 17, 31):
        witness = dev_kzg.create_witness(polynomial, 32, index)
        value = values[index].to_bytes(32, "big")
        assert dev_kzg.verify(commitment, 32, index, value, witness)
        assert not dev_kzg.verify(commitment, 32, (index + 1) % 32, value, witness)
        assert not dev_kzg.verify(commitment, 32, index, ((values[index] + 1) % R).to_bytes(32, "big"), witness)
    witness = dev_kzg.create_witness(polynomial, 32, 5)
    assert not dev_kzg.verify(commitment, 32, 5, R.to_bytes(32, "big"), witness)  # non-canonical value
    assert not dev_kzg.verify(commitment[:47], 32, 5, values[5].to_bytes(32, "big"), witness)
    assert not dev_kzg.verify(bytes(48), 32, 5, values[5].to_bytes(32, "big"), witness)


def test_only_canonical_g1_encodings_decode(dev_kzg: Kzg) -> None:
    """The ZCash encoding the reference's blst enforces: infinity is c0 00..00 exactly; other flag bits reject."""
    infinity = b"\xc0" + bytes(47)
    assert bytes(decode_g1(infinity).to_compressed_bytes()) == infinity
    commitment = dev_kzg.commit(dev_kzg.poly(scalars([1, 2, 3, 4])))
    assert bytes(decode_g1(commitment).to_compressed_bytes()) == commitment
    for bad in (b"\xff" * 48, b"\xe0" + bytes(47), b"\xc0" + bytes(46) + b"\x01", bytes(48), commitment[:47]):
        with pytest.raises(InvalidCommitmentInput):
            decode_g1(bad)
    # A witness in a non-canonical infinity encoding is malformed input, never a valid opening.
    assert not dev_kzg.verify(commitment, 4, 0, (1).to_bytes(32, "big"), b"\xff" * 48)


def test_setup_rejects_wrong_length_and_digest() -> None:
    with pytest.raises(InvalidKzgSetup, match="must be 1579104 bytes"):
        Kzg.from_bytes(bytes(100))
    with pytest.raises(InvalidKzgSetup, match="sha256"):
        Kzg.from_bytes(bytes(1_579_104))


def test_dev_setup_round_trips_through_bytes(dev_kzg: Kzg) -> None:
    again = Kzg.from_bytes(dev_kzg.to_bytes(), num_g1_powers=64, num_g2_powers=2, expected_sha256=None)
    assert again.to_bytes() == dev_kzg.to_bytes()
    assert again.insecure


@needs_setup
def test_ceremony_file_anchors() -> None:
    kzg = Kzg.from_file(str(SETUP))
    assert not kzg.insecure
    g1 = [bytes(kzg.g1_powers[i].to_compressed_bytes()).hex() for i in (0, 1, 32767)]
    assert g1 == [
        "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb",
        "abb83706b7f96c1ef21649124cd01ac58ec3cf19fbe7ba8e172b5f9e0facb354f3da4877946c24f17411cb551e0c24df",
        "b2cd3d87b1af48bb6f3c23d765d6ef21a7c6ca2e5e23b0c4feb20559aaf8b06f69d5a0ff7df5f90f7e3aa0225e7ddff6",
    ]
    assert bytes(kzg.g2_powers[1].to_compressed_bytes()).hex().startswith("a78b94342f7d47a92f8618d0cf60cd3f")
    values = scalars(list(range(1, 257)))
    polynomial = kzg.poly(values)
    commitment = kzg.commit(polynomial)
    witness = kzg.create_witness(polynomial, 256, 200)
    assert kzg.verify(commitment, 256, 200, (201).to_bytes(32, "big"), witness)


# ---- the dev setup's disk cache (actors.kzg_setup): checksummed, rebuilt when it does not check ----

CACHE_G1_POWERS = 64


@pytest.fixture(scope="module")
def cache_bytes(dev_kzg: Kzg) -> bytes:
    from autonomys.actors.kzg_setup import encode_dev_cache

    return encode_dev_cache(dev_kzg)


def flipped(data: bytes, bit: int) -> bytes:
    corrupt = bytearray(data)
    corrupt[bit // 8] ^= 1 << (bit % 8)
    return bytes(corrupt)


def test_every_one_bit_corruption_of_the_dev_cache_fails_its_check(cache_bytes: bytes) -> None:
    """Exhaustive over the file (header and body): not one flip decodes."""
    from autonomys.actors.kzg_setup import decode_dev_cache

    assert decode_dev_cache(cache_bytes, CACHE_G1_POWERS).to_bytes() == cache_bytes[48:]
    undetected = []
    for bit in range(len(cache_bytes) * 8):
        try:
            decode_dev_cache(flipped(cache_bytes, bit), CACHE_G1_POWERS)
        except InvalidKzgSetup:
            continue
        undetected.append(bit)
    assert undetected == []


def test_a_corrupt_dev_cache_is_rebuilt_not_loaded(
    tmp_path: Path, dev_kzg: Kzg, cache_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """Bits flipped across header and body, one at a time: each is warned about, rebuilt and replaced on disk."""
    from autonomys.actors.kzg_setup import KzgSetup, dev_cache_file, load_dev_setup

    cache = dev_cache_file(KzgSetup(num_g1_powers=CACHE_G1_POWERS, cache_dir=str(tmp_path)))
    bits = len(cache_bytes) * 8
    positions = sorted({*range(0, 48 * 8, 3), *range(48 * 8, bits, bits // 200), bits - 1})  # header densely
    assert len(positions) > 300
    for bit in positions:
        cache.write_bytes(flipped(cache_bytes, bit))
        caplog.clear()
        with caplog.at_level("WARNING", logger="autonomys.actors.kzg_setup"):
            kzg = load_dev_setup(cache, CACHE_G1_POWERS)
        assert kzg.to_bytes() == dev_kzg.to_bytes(), bit
        assert kzg.insecure
        assert cache.read_bytes() == cache_bytes, bit
        assert any("rebuilding" in record.getMessage() for record in caplog.records), bit
    assert sorted(path.name for path in tmp_path.iterdir()) == [cache.name]  # no temporary file left behind


def test_old_short_and_unreadable_dev_caches_are_rebuilt(
    tmp_path: Path, dev_kzg: Kzg, cache_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    from autonomys.actors.kzg_setup import load_dev_setup

    cache = tmp_path / "kzg-insecure-dev-64.bin"
    for damaged in (dev_kzg.to_bytes(), cache_bytes[:-1], cache_bytes[:47], b"", cache_bytes + b"\0"):
        cache.write_bytes(damaged)  # an older version's cache (no header), truncated, or extended
        with caplog.at_level("WARNING", logger="autonomys.actors.kzg_setup"):
            assert load_dev_setup(cache, CACHE_G1_POWERS).to_bytes() == dev_kzg.to_bytes()
        assert cache.read_bytes() == cache_bytes
    caplog.clear()
    cache.unlink()
    cache.mkdir()  # unreadable as a file, and cannot be replaced: the setup is still returned
    with caplog.at_level("WARNING", logger="autonomys.actors.kzg_setup"):
        assert load_dev_setup(cache, CACHE_G1_POWERS).to_bytes() == dev_kzg.to_bytes()
    assert [record.getMessage().split(" (")[0] for record in caplog.records] == [
        f"KZG dev setup cache {cache} is not usable",
        f"cannot write the KZG dev setup cache {cache}",
    ]


def test_concurrent_builders_leave_one_complete_cache(tmp_path: Path, dev_kzg: Kzg, cache_bytes: bytes) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from autonomys.actors.kzg_setup import load_dev_setup

    cache = tmp_path / "kzg-insecure-dev-64.bin"
    with ThreadPoolExecutor(8) as pool:
        setups = list(pool.map(lambda _: load_dev_setup(cache, CACHE_G1_POWERS).to_bytes(), range(16)))
    assert set(setups) == {dev_kzg.to_bytes()}
    assert cache.read_bytes() == cache_bytes
    assert [path.name for path in tmp_path.iterdir()] == [cache.name]
