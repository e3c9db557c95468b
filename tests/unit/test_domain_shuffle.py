"""Deduplication and shuffle of domain extrinsics (sp-domains `extrinsics.rs`): ChaCha8, rand 0.8 index, seed."""

from __future__ import annotations

import hashlib
import struct

import pytest
from Crypto.Cipher import ChaCha20
from hypothesis import given
from hypothesis import strategies as st

from autonomys.protocol.domains.shuffle import (
    ChaCha8Rng,
    compute_chacha_block,
    deduplicate_and_shuffle_extrinsics,
    derive_block_randomness,
    derive_extrinsics_shuffling_seed,
    gen_index,
    shuffle_extrinsics,
)
from autonomys.protocol.errors import DecodeError, InvalidShuffleSeed, ProtocolError

ZERO_SEED = bytes(32)
UPSTREAM_TEST_SEED = bytes.fromhex("c111b5c0432d505f1eeffc7bc8e38235f0ea0146d7ac506ed11bbe2e8dd844e3")
ON_CHAIN_ZERO_POT_SEED = bytes.fromhex("a6aa044cfe035da1db0501b181f84a6bc7bf4391d920e6efcddf7cb31a0d68c0")
ZERO_POT_RANDOMNESS = bytes.fromhex("e572dff82304700b856a555ac3a4558d0df3646a3727816500270a93c66aac1e")
# draft-strombergson-chacha-test-vectors-01 TC1 (eSTREAM ChaCha8, 256-bit zero key, zero IV): blocks 0 and 1
ESTREAM_CHACHA8_ZERO_KEY = bytes.fromhex(
    "3e00ef2f895f40d67f5bb8e81f09a5a12c840ec3ce9a7f3b181be188ef711a1e"
    "984ce172b9216f419f445367456d5619314a42a3da86b001387bfdb80e0cfe42"
    "d2aefa0deaa5c151bf0adb6c01f2a5adc0fd581259f9a2aadcf20f8fd566a26b"
    "5032ec38bbc5da98ee0c6f568b872a65a08abf251deb21bb4b56e5d8821e68aa"
)

seeds = st.binary(min_size=32, max_size=32)
signers = st.sampled_from([None, b"", b"alice", b"bob", b"charlie"])
pairs = st.lists(st.tuples(signers, st.binary(max_size=2)), max_size=40)


def words_to_bytes(words: list[int]) -> bytes:
    return struct.pack(f"<{len(words)}I", *words)


def take_words(rng: ChaCha8Rng, count: int) -> list[int]:
    return [rng.next_u32() for _ in range(count)]


def deduplicate_reference(extrinsics: list[tuple[bytes | None, bytes]]) -> list[tuple[bytes | None, bytes]]:
    """First occurrence of each extrinsic, by the quadratic `seen.contains` scan of extrinsics.rs."""
    kept: list[tuple[bytes | None, bytes]] = []
    for signer, extrinsic in extrinsics:
        if all(extrinsic != other for _, other in kept):
            kept.append((signer, extrinsic))
    return kept


def distinct_signer_permutation(seed: bytes, count: int) -> list[int]:
    return shuffle_extrinsics([(index.to_bytes(4, "little"), index) for index in range(count)], seed)


# ---- ChaCha8 keystream ----


def test_zero_key_keystream_is_estream_chacha8() -> None:
    rng = ChaCha8Rng(ZERO_SEED)
    assert take_words(ChaCha8Rng(ZERO_SEED), 4) == [0x2FEF003E, 0xD6405F89, 0xE8B85B7F, 0xA1A5091F]
    # 32 words cross the block boundary: the buffer refills with counter 1
    assert words_to_bytes(take_words(rng, 32)) == ESTREAM_CHACHA8_ZERO_KEY
    assert words_to_bytes(compute_chacha_block([0] * 8, 0)) == ESTREAM_CHACHA8_ZERO_KEY[:64]


def test_on_chain_seed_keystream() -> None:
    assert take_words(ChaCha8Rng(ON_CHAIN_ZERO_POT_SEED), 4) == [2450361227, 74817911, 2388322100, 3219745049]


@given(key=seeds, counter=st.integers(min_value=0, max_value=2**64 - 2))
def test_block_structure_matches_chacha20_with_64_bit_counter(key: bytes, counter: int) -> None:
    # pycryptodome has only 20 rounds; with 10 double rounds our block must equal its DJB (8-byte nonce) ChaCha20
    cipher = ChaCha20.new(key=key, nonce=bytes(8))
    cipher.seek(counter * 64)
    key_words = list(struct.unpack("<8I", key))
    assert words_to_bytes(compute_chacha_block(key_words, counter, double_rounds=10)) == cipher.encrypt(bytes(64))


# ---- rand 0.8 gen_index ----


def test_gen_index_sequence_on_zero_key() -> None:
    rng = ChaCha8Rng(ZERO_SEED)
    assert [gen_index(rng, upper) for upper in range(10, 1, -1)] == [8, 8, 5, 5, 1, 0, 1, 1, 0]


def test_gen_index_rejects_first_draw_for_ten() -> None:
    first, second, third = take_words(ChaCha8Rng(ZERO_SEED), 3)
    zone = 2684354559  # (10 << 28) - 1
    assert first * 10 % 2**32 == 3746955884 > zone
    assert second * 10 % 2**32 <= zone
    rng = ChaCha8Rng(ZERO_SEED)
    assert gen_index(rng, 10) == second * 10 >> 32 == 8
    assert rng.next_u32() == third  # exactly two words consumed


class ScriptedWords:
    def __init__(self, words: list[int]) -> None:
        self.words = list(words)

    def next_u32(self) -> int:
        return self.words.pop(0)


@given(upper=st.integers(min_value=1, max_value=2**32 - 1), words=st.lists(st.integers(0, 2**32 - 1), min_size=1))
def test_gen_index_is_widening_multiply_rejection(upper: int, words: list[int]) -> None:
    zone = (upper << (32 - upper.bit_length())) - 1
    accepted = [word for word in words if word * upper % 2**32 <= zone]
    if len(accepted) == 0:
        return
    source = ScriptedWords(words)
    assert gen_index(source, upper) == accepted[0] * upper >> 32 < upper
    assert len(source.words) == len(words) - words.index(accepted[0]) - 1


@pytest.mark.parametrize("upper", [0, -1, 2**32])
def test_gen_index_rejects_bad_bounds(upper: int) -> None:
    with pytest.raises(ValueError, match="upper bound"):
        gen_index(ChaCha8Rng(ZERO_SEED), upper)


# ---- shuffle vectors ----


def test_ten_and_five_distinct_signers() -> None:
    assert distinct_signer_permutation(ZERO_SEED, 10) == [2, 4, 3, 6, 0, 1, 7, 5, 9, 8]
    assert distinct_signer_permutation(ZERO_SEED, 5) == [2, 1, 0, 3, 4]


def test_empty_and_single() -> None:
    assert deduplicate_and_shuffle_extrinsics([], ZERO_SEED) == []
    assert deduplicate_and_shuffle_extrinsics([(None, b"x")], ZERO_SEED) == [b"x"]


def test_duplicate_under_another_signer_takes_no_position() -> None:
    # dedup leaves only alice's two extrinsics, so any seed returns them in alice's order
    extrinsics = [(b"alice", b"x"), (b"bob", b"x"), (None, b"x"), (b"alice", b"y")]
    for seed in (ZERO_SEED, UPSTREAM_TEST_SEED, ON_CHAIN_ZERO_POT_SEED):
        assert deduplicate_and_shuffle_extrinsics(extrinsics, seed) == [b"x", b"y"]


# ---- shuffle properties ----


@given(extrinsics=pairs, seed=seeds)
def test_output_is_permutation_of_deduplicated_input(extrinsics: list[tuple[bytes | None, bytes]], seed: bytes) -> None:
    output = deduplicate_and_shuffle_extrinsics(extrinsics, seed)
    unique = deduplicate_reference(extrinsics)
    assert sorted(output) == sorted(extrinsic for _, extrinsic in unique)
    assert len(set(output)) == len(output)
    assert output == shuffle_extrinsics(unique, seed)


@given(signer_list=st.lists(signers, max_size=40), seed=seeds)
def test_signer_order_and_positions(signer_list: list[bytes | None], seed: bytes) -> None:
    tagged = [(signer, (signer, index)) for index, signer in enumerate(signer_list)]
    output = shuffle_extrinsics(tagged, seed)
    # each signer (None being one group) keeps its relative order
    for signer in set(signer_list):
        assert [index for owner, index in output if owner == signer] == [
            index for index, owner in enumerate(signer_list) if owner == signer
        ]
    # the signer sequence is the positions shuffled by the (seed, n) permutation
    permutation = distinct_signer_permutation(seed, len(signer_list))
    assert [owner for owner, _ in output] == [signer_list[index] for index in permutation]


@given(count=st.integers(min_value=0, max_value=30), seed=seeds, data=st.data())
def test_distinct_signer_permutation_depends_only_on_seed_and_count(
    count: int, seed: bytes, data: st.DataObject
) -> None:
    names = data.draw(st.lists(st.binary(min_size=1, max_size=8), min_size=count, max_size=count, unique=True))
    values = data.draw(st.lists(st.integers(), min_size=count, max_size=count))
    output = shuffle_extrinsics(list(zip(names, values, strict=True)), seed)
    assert output == [values[index] for index in distinct_signer_permutation(seed, count)]


@given(values=st.lists(st.integers(), max_size=30), seed=seeds)
def test_unsigned_extrinsics_are_one_group(values: list[int], seed: bytes) -> None:
    assert shuffle_extrinsics([(None, value) for value in values], seed) == values


# ---- seeds ----


@pytest.mark.parametrize("size", [0, 1, 16, 31, 33, 64])
def test_bad_seed_rejected(size: int) -> None:
    for call in (
        lambda: deduplicate_and_shuffle_extrinsics([], bytes(size)),
        lambda: shuffle_extrinsics([], bytes(size)),
        lambda: ChaCha8Rng(bytes(size)),
    ):
        with pytest.raises(InvalidShuffleSeed):
            call()
    assert issubclass(InvalidShuffleSeed, ProtocolError)


def test_upstream_test_seed() -> None:
    assert hashlib.blake2b(bytes([1]) * 64, digest_size=32).digest() == UPSTREAM_TEST_SEED


def test_on_chain_seed_for_zero_pot_output() -> None:
    randomness = derive_block_randomness(bytes(16))
    assert randomness == ZERO_POT_RANDOMNESS
    assert derive_extrinsics_shuffling_seed(randomness) == ON_CHAIN_ZERO_POT_SEED


@pytest.mark.parametrize("size", [0, 15, 17, 32])
def test_block_randomness_needs_a_pot_output(size: int) -> None:
    with pytest.raises(DecodeError):
        derive_block_randomness(bytes(size))


@pytest.mark.parametrize("size", [0, 16, 31, 33])
def test_shuffling_seed_needs_32_bytes_of_randomness(size: int) -> None:
    with pytest.raises(DecodeError):
        derive_extrinsics_shuffling_seed(bytes(size))
