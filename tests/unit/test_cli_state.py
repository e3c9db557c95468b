"""`autonomys state`: a saved proof checked offline (valid, tampered, of another block, not a proof at all), and
bad input refused before any network is contacted. The online commands run against a devnet in
tests/cluster/test_objects_cli.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from autonomys.cli.main import main
from autonomys.cli.state import proof_to_json
from autonomys.protocol.consensus.chain_state import account_key, genesis_header_hash
from autonomys.protocol.consensus.state_proofs import StateProof
from autonomys.protocol.params import MINIMAL
from autonomys.protocol.state.trie import prove
from helpers.chain import ALICE, CAROL, ENDOWMENT, make_genesis


@pytest.fixture(scope="module")
def genesis_proofs() -> dict[str, dict]:
    genesis = make_genesis((), [ALICE.public_key], MINIMAL)
    genesis_hash = bytes(genesis_header_hash(genesis))

    def proof_of(public_key: bytes) -> dict:
        key = account_key(public_key)
        nodes = tuple(prove(genesis.nodes, genesis.root, key))
        return proof_to_json(StateProof(0, genesis_hash, b"", genesis.root, key, nodes))

    return {"alice": proof_of(ALICE.public_key), "carol": proof_of(CAROL.public_key)}


def verify(tmp_path: Path, document: object, *extra: str) -> tuple[int, str]:
    path = tmp_path / "proof.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    result = CliRunner().invoke(main, ["state", "verify", str(path), *extra])
    return result.exit_code, result.output


def test_a_saved_proof_verifies_offline(tmp_path: Path, genesis_proofs: dict) -> None:
    code, output = verify(tmp_path, genesis_proofs["alice"])
    assert code == 0, output
    assert f"valid: account {ALICE.public_key.hex()}: balance {ENDOWMENT:,} Shannon, nonce 0 at block #0" in output
    code, output = verify(tmp_path, genesis_proofs["carol"], "--block-hash", genesis_proofs["carol"]["block_hash"])
    assert code == 0 and "no balance at block #0" in output


def test_a_tampered_proof_or_another_block_is_invalid(tmp_path: Path, genesis_proofs: dict) -> None:
    document = dict(genesis_proofs["alice"])
    leaf = bytearray.fromhex(document["nodes"][-1])
    leaf[-1] ^= 1
    document["nodes"] = [*document["nodes"][:-1], leaf.hex()]
    code, output = verify(tmp_path, document)
    assert code == 1 and "invalid proof: proof node" in output
    code, output = verify(tmp_path, genesis_proofs["alice"], "--block-hash", "11" * 32)
    assert code == 1 and "invalid proof: the proof is of block" in output
    document = dict(genesis_proofs["alice"], state_root="22" * 32)
    code, output = verify(tmp_path, document)
    assert code == 1 and "genesis hash" in output


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("not json", "cannot read"),
        ({"format": "something else"}, "not a state proof"),
        ({"format": "autonomys-state-proof/1"}, "has no 'block_number'"),
        ("PATCH:nodes=zz", "nodes is not hex"),
        ("PATCH:block_number=true", "block_number must be an integer"),
    ],
)
def test_a_file_that_is_not_a_proof_is_named(
    tmp_path: Path, genesis_proofs: dict, document: object, expected: str
) -> None:
    if isinstance(document, str) and document.startswith("PATCH:"):
        name, value = document.removeprefix("PATCH:").split("=")
        document = dict(genesis_proofs["alice"], **{name: True if value == "true" else [value]})
    code, output = verify(tmp_path, document)
    assert code == 1 and expected in output
    assert "Traceback" not in output


def test_bad_accounts_and_blocks_are_refused_before_connecting(tmp_path: Path) -> None:
    for arguments in (["state", "get", "xyz"], ["state", "proof", "ab" * 31], ["state", "get", "dev", "--at", "-1"]):
        result = CliRunner().invoke(main, [*arguments, "--address", "127.0.0.1:1"])
        assert result.exit_code == 2, result.output
    (tmp_path / "proof.json").write_text("{}")
    result = CliRunner().invoke(main, ["state", "verify", str(tmp_path / "proof.json"), "--block-hash", "00"])
    assert result.exit_code == 2 and "--block-hash" in result.output


def test_without_a_devnet_the_command_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["state", "get", "dev", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"no devnet running in {tmp_path}" in result.output
