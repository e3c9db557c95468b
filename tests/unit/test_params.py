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
