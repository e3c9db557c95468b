from __future__ import annotations

import dataclasses

import pytest

from autonomys.protocol.errors import InvalidParams
from autonomys.protocol.params import DEV, MAINNET, MINIMAL, get_preset


def test_mainnet_holds_reference_values() -> None:
    assert MAINNET.pot_slot_iterations == 206_557_520
    assert MAINNET.pot_checkpoint_iterations == 25_819_690
    assert MAINNET.pot_entropy_injection_interval == 50
    assert MAINNET.pot_entropy_injection_lookback_depth == 2
    assert MAINNET.pot_entropy_injection_lookback_blocks == 100
    assert MAINNET.pot_entropy_injection_delay == 15
    assert MAINNET.slot_duration_ms == 1000
    assert MAINNET.block_authoring_delay == 4
    assert MAINNET.slot_probability == (1, 6)
    assert MAINNET.confirmation_depth_k == 100
    assert MAINNET.era_duration == 2016


def test_presets_are_found_by_name() -> None:
    assert get_preset("dev") is DEV
    assert get_preset("minimal") is MINIMAL
    with pytest.raises(InvalidParams, match="unknown preset 'testnet'"):
        get_preset("testnet")


def test_dev_iterations_are_replaced_by_calibration() -> None:
    calibrated = DEV.with_slot_iterations(90_000_000)
    assert calibrated.pot_slot_iterations == 90_000_000
    assert calibrated.name == "dev"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pot_slot_iterations": 100}, "multiple of 16"),
        ({"pot_slot_iterations": 0}, "must be in 1"),
        ({"pot_slot_iterations": 2**32}, "must be in 1"),
        ({"pot_entropy_injection_interval": 15}, "must exceed pot_entropy_injection_delay"),
        ({"pot_entropy_injection_delay": 5}, "must exceed block_authoring_delay"),
        ({"slot_probability": (7, 6)}, "fraction"),
        ({"era_duration": 0}, "must be positive"),
    ],
)
def test_invalid_params_are_rejected(change: dict, message: str) -> None:
    with pytest.raises(InvalidParams, match=message):
        dataclasses.replace(MAINNET, **change)


def test_mainnet_archiving_sizes_match_the_reference() -> None:
    assert MAINNET.record_num_chunks == 2**15
    assert MAINNET.segment_num_raw_records == 128
    assert MAINNET.erasure_coding_rate == (1, 2)
    assert MAINNET.raw_record_size == 1_015_808
    assert MAINNET.record_size == 1_048_576
    assert MAINNET.piece_size == 1_048_672
    assert MAINNET.num_s_buckets == 65_536
    assert MAINNET.recorded_history_segment_size == 130_023_424
    assert MAINNET.num_pieces == 256
    assert MAINNET.archived_history_segment_size == 268_460_032


def test_dev_keeps_mainnet_sizes() -> None:
    for field in ("raw_record_size", "record_size", "piece_size", "recorded_history_segment_size", "num_pieces"):
        assert getattr(DEV, field) == getattr(MAINNET, field)


def test_minimal_sizes_are_small_and_consistent() -> None:
    assert MINIMAL.record_num_chunks == 64
    assert MINIMAL.segment_num_raw_records == 8
    assert MINIMAL.raw_record_size == 31 * 64
    assert MINIMAL.record_size == 32 * 64
    assert MINIMAL.piece_size == 32 * 64 + 96
    assert MINIMAL.num_s_buckets == 128
    assert MINIMAL.recorded_history_segment_size == 31 * 64 * 8
    assert MINIMAL.num_pieces == 16
    assert MINIMAL.archived_history_segment_size == (32 * 64 + 96) * 16


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"record_num_chunks": 96}, "record_num_chunks=96 must be a power of two"),
        ({"record_num_chunks": 2**16}, "must be a power of two <= 32768"),
        ({"record_num_chunks": 0}, "must be a power of two"),
        ({"segment_num_raw_records": 12}, "segment_num_raw_records=12 must be a power of two"),
        ({"erasure_coding_rate": (1, 3)}, r"erasure_coding_rate=\(1, 3\) must be \(1, 2\)"),
        ({"record_num_chunks": 1, "segment_num_raw_records": 4}, "recorded_history_segment_size=124 must be in"),
        ({"record_num_chunks": 2**15, "segment_num_raw_records": 2**13}, "size=8321499136 must be in"),
    ],
)
def test_invalid_archiving_sizes_are_rejected(change: dict, message: str) -> None:
    with pytest.raises(InvalidParams, match=message):
        dataclasses.replace(MINIMAL, **change)
