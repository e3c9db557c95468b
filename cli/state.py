"""`autonomys state get|proof|verify`: accounts in the consensus state, proven against a block header.

`get` and `proof` attach to a running network (like `put`): the node answers with the account's trie entry at a
block and the nodes on its path, and the command checks them against that block's header before it prints
anything. `proof` saves them as a JSON file; `verify` checks such a file offline (no network), against the block
hash in it or one the user trusts (`--block-hash`). Errors are one line on stderr and exit status 1.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from autonomys.actors.errors import ActorUnavailable, StateNotKept
from autonomys.cli.connection import NetworkMissing, network_address, network_options
from autonomys.network.spec import NODE_NAME
from autonomys.protocol.consensus.chain_blocks import ACCOUNT_ID_SIZE
from autonomys.protocol.consensus.chain_state import ACCOUNT_PREFIX, Account, account_key, decode_account
from autonomys.protocol.consensus.state_proofs import StateProof, verify_state_proof
from autonomys.protocol.errors import DecodeError, InvalidStateProof

PROOF_FORMAT = "autonomys-state-proof/1"
DEV_ACCOUNT = "dev"


class ProofFileError(Exception):
    """A file that is not a saved state proof."""


@click.group()
def state() -> None:
    """Accounts in the consensus state, with proofs against block headers."""


def _account_argument(command: click.decorators.FC) -> click.decorators.FC:
    return click.argument("account", metavar="ACCOUNT")(command)


def _at_option(command: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--at", "number", type=click.IntRange(min=0), default=None, help="Block number (default: the best block)."
    )(command)


@state.command()
@_account_argument
@_at_option
@network_options
def get(account: str, number: int | None, data_dir: Path, address: str | None, namespace: str) -> None:
    """Balance and nonce of ACCOUNT (64 hex digits of its public key, or `dev`), checked against the header."""
    public_key = parse_account(account)
    with _errors():
        proof = _fetch_proof(public_key, number, data_dir, address, namespace)
        click.echo(describe(public_key, proof, verify_state_proof(proof)))


@state.command()
@_account_argument
@_at_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to save the proof (default: standard output).")  # fmt: skip
@network_options
def proof(
    account: str, number: int | None, output: Path | None, data_dir: Path, address: str | None, namespace: str
) -> None:
    """Save a proof of ACCOUNT's entry at a block (JSON), checked before it is written."""
    public_key = parse_account(account)
    with _errors():
        fetched = _fetch_proof(public_key, number, data_dir, address, namespace)
        summary = describe(public_key, fetched, verify_state_proof(fetched))
        text = json.dumps(proof_to_json(fetched), indent=1) + "\n"
        if output is None:
            click.echo(text, nl=False)
            return
        output.write_text(text)
    click.echo(f"{output}: {summary}", err=True)


@state.command()
@click.argument("proof_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--block-hash", default=None, help="The block hash you trust (64 hex digits); default: the file's.")
def verify(proof_file: Path, block_hash: str | None) -> None:
    """Check a saved proof offline: the header hashes to the block hash and its state root opens the entry."""
    trusted = None if block_hash is None else _parse_hex(block_hash, 32, "--block-hash")
    with _errors():
        loaded = proof_from_json(_read_json(proof_file))
        value = verify_state_proof(loaded, trusted)
        if not loaded.key.startswith(ACCOUNT_PREFIX):
            raise ProofFileError(f"{proof_file} proves key {loaded.key.hex()}, not an account")
        click.echo("valid: " + describe(loaded.key[len(ACCOUNT_PREFIX) :], loaded, value))


# ---- accounts and output ----


def parse_account(account: str) -> bytes:
    """A public key from 64 hex digits (0x allowed), or the devnet's well-known account for `dev`."""
    if account == DEV_ACCOUNT:
        from autonomys.actors.objects.client import dev_account

        return dev_account().public_key
    return _parse_hex(account, ACCOUNT_ID_SIZE, "ACCOUNT")


def _parse_hex(text: str, size: int, name: str) -> bytes:
    digits = text.removeprefix("0x")
    try:
        value = bytes.fromhex(digits)
    except ValueError:
        value = b""
    if len(value) != size:
        raise click.BadParameter(f"{text!r} is not {2 * size} hex digits", param_hint=name)
    return value


def describe(public_key: bytes, proof: StateProof, value: bytes | None) -> str:
    """One line: the account's balance and nonce (or that it has none) at the proof's block."""
    where = f"at block #{proof.block_number} ({proof.block_hash.hex()[:16]}…)"
    if value is None:
        return f"account {public_key.hex()}: no balance {where}"
    account: Account = decode_account(value)
    return f"account {public_key.hex()}: balance {account.balance:,} Shannon, nonce {account.nonce} {where}"


# ---- the proof file ----


def proof_to_json(proof: StateProof) -> dict[str, Any]:
    return {
        "format": PROOF_FORMAT,
        "block_number": proof.block_number,
        "block_hash": proof.block_hash.hex(),
        "header": proof.header.hex(),
        "state_root": proof.state_root.hex(),
        "key": proof.key.hex(),
        "nodes": [node.hex() for node in proof.nodes],
    }


def proof_from_json(document: object) -> StateProof:
    """A StateProof from its JSON form; ProofFileError naming what is wrong (the proof itself is not checked)."""
    if not isinstance(document, dict) or document.get("format") != PROOF_FORMAT:
        raise ProofFileError(f'not a state proof (expected "format": "{PROOF_FORMAT}")')
    try:
        number = document["block_number"]
        nodes = document["nodes"]
        if not isinstance(number, int) or isinstance(number, bool) or not isinstance(nodes, list):
            raise ProofFileError("block_number must be an integer and nodes a list")
        return StateProof(
            number, _field_bytes(document, "block_hash"), _field_bytes(document, "header"),
            _field_bytes(document, "state_root"), _field_bytes(document, "key"),
            tuple(_hex(node, "nodes") for node in nodes),
        )  # fmt: skip
    except KeyError as error:
        raise ProofFileError(f"the proof has no {error.args[0]!r}") from error


def _field_bytes(document: dict[str, Any], name: str) -> bytes:
    return _hex(document[name], name)


def _hex(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise ProofFileError(f"{name} must be a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError as error:
        raise ProofFileError(f"{name} is not hex: {error}") from error


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProofFileError(f"cannot read {path} as JSON: {error}") from error


# ---- the network ----


def _fetch_proof(
    public_key: bytes, number: int | None, data_dir: Path, address: str | None, namespace: str
) -> StateProof:
    from autonomys.actors.handles import NodeClient, get_actor
    from autonomys.network.runtime import cluster_connection, named_actors

    with cluster_connection(network_address(data_dir, address), namespace):
        if NODE_NAME not in named_actors(namespace):
            msg = f"no {NODE_NAME!r} actor in namespace {namespace!r}: is a network running there?"
            raise NetworkMissing(msg)
        return NodeClient(get_actor(NODE_NAME, namespace)).state_proof(account_key(public_key), number)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    from autonomys.network.runtime import ClusterUnreachable

    try:
        yield
    except InvalidStateProof as error:
        raise click.ClickException(f"invalid proof: {error}") from error
    except (
        ProofFileError,
        DecodeError,
        StateNotKept,
        NetworkMissing,
        ClusterUnreachable,
        ActorUnavailable,
        OSError,
    ) as error:
        raise click.ClickException(str(error).splitlines()[0] if str(error) else type(error).__name__) from error
