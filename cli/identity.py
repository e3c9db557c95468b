"""`autonomys id …`: Auto IDs on a running network's Auto ID domain (`autonomys devnet --domain auto-id`).

`new` makes a key and a certificate locally (a self-signed root, or a leaf issued by an identity directory with
`--issuer`); `register`, `renew`, `revoke` and `deactivate` send pallet-auto-id calls as domain transactions
signed by the dev account (or `--seed`), which only relays and pays, and wait for the domain block that includes
them, then print what the pallet did (its event, or its error by name); `show` prints the registry's record and
the identity's status walked up to its root. An identity directory holds `key.pem`, `cert.pem` and, for a leaf,
`issuer` (the issuer's Auto ID in hex).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from autonomys.actors.state_store import RemoteState
from autonomys.cli.connection import network_options
from autonomys.cli.domain import WAIT_SECONDS, _attached, _errors, _key_pair, _operator_of, _signer

domain_id_option = click.option("--domain", "domain_id", type=click.IntRange(min=0), default=0, show_default=True)
seed_option = click.option("--seed", default=None, help="The paying account's seed (64 hex digits; default: dev).")


@click.group(name="id")
def identity() -> None:
    """Auto IDs: X.509 identities on the Auto ID domain."""


def _parse_id(text: str) -> bytes:
    try:
        value = bytes.fromhex(text.removeprefix("0x").removeprefix("did:auto:"))
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not an Auto ID (64 hex digits)") from error
    if len(value) != 32:
        raise click.BadParameter(f"{text!r} is not an Auto ID (64 hex digits)")
    return value


def _load(directory: Path) -> tuple[Any, bytes, bytes | None]:
    """(key, certificate DER, issuer id) of an identity directory."""
    from autonomys.actors.identity.certificates import IdentityFileError, certificate_der, load_certificate, load_key

    try:
        key, certificate = load_key(directory / "key.pem"), load_certificate(directory / "cert.pem")
    except IdentityFileError as error:
        raise click.ClickException(str(error)) from error
    issuer_file = directory / "issuer"
    issuer = _parse_id(issuer_file.read_text().strip()) if issuer_file.exists() else None
    return key, certificate_der(certificate), issuer


@identity.command()
@click.argument("name")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="Default: ./NAME")
@click.option("--key-type", type=click.Choice(["ed25519", "p256", "rsa"]), default="ed25519", show_default=True)
@click.option("--issuer", "issuer_dir", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="An identity directory: issue a leaf signed by it (an agent's creator, say).")  # fmt: skip
@click.option("--days", type=click.IntRange(min=1, max=36500), default=365, show_default=True)
@click.option("--key", "key_file", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Reuse this private key (a renewal keeps the key).")  # fmt: skip
@click.option("--purpose", default=None, help="An agent's purpose (agent metadata in the certificate).")
@click.option("--capability", "capabilities", multiple=True, help="An agent's capability (repeatable).")
@click.option("--endpoint", default=None, help="Where the agent is invoked (ray://NAME).")
def new(name: str, out: Path | None, key_type: str, issuer_dir: Path | None, days: int, key_file: Path | None,
        purpose: str | None, capabilities: tuple[str, ...], endpoint: str | None) -> None:  # fmt: skip
    """Make a key and a certificate with common name NAME; print its Auto ID. With --purpose, --capability or
    --endpoint (and --issuer: its creator) it is an agent's certificate."""
    import datetime

    from autonomys.actors.identity.certificates import (
        IdentityFileError,
        Validity,
        certificate_der,
        issue_certificate,
        load_key,
        new_key,
        save_identity,
    )
    from autonomys.protocol.identity.auto_id import derive_auto_id

    directory = out if out is not None else Path(name)
    try:
        key = load_key(key_file) if key_file is not None else new_key(key_type)
        issuer = None
        issuer_id = None
        if issuer_dir is not None:
            issuer_key, issuer_der, issuer_parent = _load(issuer_dir)
            from cryptography import x509

            issuer = (x509.load_der_x509_certificate(issuer_der), issuer_key)
            issuer_id = derive_auto_id(issuer_der, issuer_parent)
        # Valid from an hour ago: a block's time (the slot's) may trail this machine's clock.
        validity = Validity.days_from(datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1), days)
        certificate = issue_certificate(
            name, key, validity, issuer=issuer, extensions=_agent_extension(purpose, capabilities, endpoint)
        )
    except IdentityFileError as error:
        raise click.ClickException(str(error)) from error
    save_identity(directory, key, certificate)
    if issuer_id is not None:
        (directory / "issuer").write_text(issuer_id.hex() + "\n")
    click.echo(f"{derive_auto_id(certificate_der(certificate), issuer_id).hex()}  {directory}")


def _agent_extension(purpose: str | None, capabilities: tuple[str, ...], endpoint: str | None) -> tuple[Any, ...]:
    """The agent-metadata extension (protocol.identity.agents) when any of its fields is given."""
    if purpose is None and not capabilities and endpoint is None:
        return ()
    from cryptography import x509

    from autonomys.protocol.identity.agents import (
        AGENT_METADATA_OID,
        AgentMetadata,
        InvalidAgentMetadata,
        encode_agent_metadata,
    )

    try:
        metadata = AgentMetadata.of(purpose or "", capabilities, endpoint or "")
    except InvalidAgentMetadata as error:
        raise click.BadParameter(str(error)) from error
    value = encode_agent_metadata(metadata)
    return ((x509.UnrecognizedExtension(x509.ObjectIdentifier(AGENT_METADATA_OID), value), False),)


def _send(network: Any, domain_id: int, call: Any, seed: str | None) -> bytes:
    """Relay a pallet call (an AutoIdPalletCall or IdentityPalletCall; a bare pallet-auto-id call is wrapped) in a
    signed domain transaction; wait for its block; its outcome (ClickException on a pallet error)."""
    from autonomys.protocol.domains.runtime_auto_id import OUTCOME_ERROR, AutoIdPalletCall, IdentityPalletCall
    from autonomys.protocol.domains.runtime_balances import sign_call

    if not isinstance(call, AutoIdPalletCall | IdentityPalletCall):
        call = AutoIdPalletCall(call)
    operator = _operator_of(network, domain_id)
    payer = _signer(seed)
    _, nonce = operator.account(payer.public_key)
    extrinsic = sign_call(domain_id, _key_pair(payer), nonce, call).to_bytes()
    tx_hash = operator.submit_transaction(extrinsic)
    deadline = time.monotonic() + WAIT_SECONDS
    while (outcome := operator.transaction_outcome(tx_hash)) is None:
        status = operator.transaction_status(tx_hash)
        if status == "unknown" or time.monotonic() > deadline:
            raise click.ClickException(f"transaction {tx_hash.hex()} is {status} after waiting")
        time.sleep(0.2)
    if outcome[32] == OUTCOME_ERROR:
        raise click.ClickException(f"refused: {outcome[34:].decode(errors='replace')} (pallet error {outcome[33]})")
    return outcome


@identity.command()
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@domain_id_option
@seed_option
@network_options
def register(directory: Path, domain_id: int, seed: str | None, data_dir: Path, address: str | None,
             namespace: str) -> None:  # fmt: skip
    """Register the identity in DIRECTORY (a root, or a leaf under its `issuer`)."""
    from autonomys.protocol.identity.auto_id import registration_of
    from autonomys.protocol.identity.auto_id_types import RegisterAutoIdCall

    _, certificate, issuer = _load(directory)
    with _errors(), _attached(data_dir, address, namespace) as network:
        outcome = _send(network, domain_id, RegisterAutoIdCall(registration_of(certificate, issuer)), seed)
    click.echo(f"registered {outcome[34:66].hex()}")


@identity.command()
@click.argument("auto_id")
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@domain_id_option
@seed_option
@network_options
def renew(auto_id: str, directory: Path, domain_id: int, seed: str | None, data_dir: Path, address: str | None,
          namespace: str) -> None:  # fmt: skip
    """Renew AUTO_ID with the certificate in DIRECTORY (same name and key; `autonomys id new NAME --key`)."""
    from autonomys.protocol.identity.auto_id import renewal_of
    from autonomys.protocol.identity.auto_id_types import RenewAutoIdCall

    _, certificate, issuer = _load(directory)
    with _errors(), _attached(data_dir, address, namespace) as network:
        _send(network, domain_id, RenewAutoIdCall(_parse_id(auto_id), renewal_of(certificate, issuer)), seed)
    click.echo(f"renewed {auto_id}")


def _signed_action(network: Any, domain_id: int, target: bytes, signer_id: bytes, key_file: Path, action: int) -> Any:
    from autonomys.actors.identity.certificates import IdentityFileError, algorithm_identifier, load_key, sign
    from autonomys.protocol.identity.auto_id import encode_action_message, get_auto_id
    from autonomys.protocol.identity.auto_id_types import Signature

    record = get_auto_id(RemoteState(_operator_of(network, domain_id)), signer_id)
    if record is None:
        raise click.ClickException(f"no Auto ID {signer_id.hex()} on domain {domain_id}")
    try:
        key = load_key(key_file)
    except IdentityFileError as error:
        raise click.ClickException(str(error)) from error
    message = encode_action_message(target, record.nonce, action)
    return Signature(algorithm_identifier(key), sign(key, message))


@identity.command()
@click.argument("auto_id")
@click.option("--key", "key_file", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True,
              help="The issuer's private key (a root revokes itself with its own).")  # fmt: skip
@domain_id_option
@seed_option
@network_options
def revoke(auto_id: str, key_file: Path, domain_id: int, seed: str | None, data_dir: Path, address: str | None,
           namespace: str) -> None:  # fmt: skip
    """Revoke AUTO_ID's certificate, signed by its issuer at the issuer's nonce."""
    from autonomys.protocol.identity.auto_id import REVOKE_CERTIFICATE, get_auto_id
    from autonomys.protocol.identity.auto_id_types import RevokeCertificateCall

    target = _parse_id(auto_id)
    with _errors(), _attached(data_dir, address, namespace) as network:
        record = get_auto_id(RemoteState(_operator_of(network, domain_id)), target)
        if record is None:
            raise click.ClickException(f"no Auto ID {auto_id} on domain {domain_id}")
        signer = record.issuer_id or target
        signature = _signed_action(network, domain_id, target, signer, key_file, REVOKE_CERTIFICATE)
        _send(network, domain_id, RevokeCertificateCall(target, signature), seed)
    click.echo(f"revoked {auto_id}")


@identity.command()
@click.argument("auto_id")
@click.option("--key", "key_file", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True,
              help="The identity's own private key.")  # fmt: skip
@domain_id_option
@seed_option
@network_options
def deactivate(auto_id: str, key_file: Path, domain_id: int, seed: str | None, data_dir: Path, address: str | None,
               namespace: str) -> None:  # fmt: skip
    """Deactivate AUTO_ID (its record leaves the registry), signed by its own key."""
    from autonomys.protocol.identity.auto_id import DEACTIVATE_AUTO_ID
    from autonomys.protocol.identity.auto_id_types import DeactivateAutoIdCall

    target = _parse_id(auto_id)
    with _errors(), _attached(data_dir, address, namespace) as network:
        signature = _signed_action(network, domain_id, target, target, key_file, DEACTIVATE_AUTO_ID)
        _send(network, domain_id, DeactivateAutoIdCall(target, signature), seed)
    click.echo(f"deactivated {auto_id}")


@identity.command()
@click.argument("auto_id")
@click.option("--did", "as_did", is_flag=True, help="Print its did:auto DID document (JSON) instead.")
@domain_id_option
@network_options
def show(auto_id: str, as_did: bool, domain_id: int, data_dir: Path, address: str | None, namespace: str) -> None:
    """The registry's record of AUTO_ID and its status now, walked up to its root (or its DID document)."""
    from autonomys.protocol.identity.auto_id import get_auto_id, get_revocation_list, identity_status
    from autonomys.protocol.identity.did import did_of_auto_id, resolve_did

    target = _parse_id(auto_id)
    with _errors(), _attached(data_dir, address, namespace) as network:
        state = RemoteState(_operator_of(network, domain_id))
        if as_did:
            document = resolve_did(state, did_of_auto_id(target), int(time.time() * 1000))
            assert document is not None  # a did:auto DID always resolves (to a deactivated document at worst)
            click.echo(document.to_json())
            return
        record = get_auto_id(state, target)
        if record is None:
            raise click.ClickException(f"no Auto ID {auto_id} on domain {domain_id} (never registered, or deactivated)")
        status = identity_status(state, target, int(time.time() * 1000))
        revoked = get_revocation_list(state, target)
    click.echo(f"auto id   {target.hex()}  (did:auto:{target.hex()})")
    click.echo(f"name      {record.subject_common_name.decode(errors='replace')}")
    click.echo(f"issuer    {record.issuer_id.hex() if record.issuer_id else 'self (a root)'}")
    click.echo(f"serial    {record.serial:#x}; nonce {record.nonce}; issued serials {len(record.issued_serials)}")
    click.echo(f"validity  {record.not_before_ms} .. {record.not_after_ms} (ms since 1970)")
    click.echo(f"status    {'valid' if status.valid else 'invalid'} ({status.reason}); chain "
               + " → ".join(item.hex()[:16] + "…" for item in status.chain))  # fmt: skip
    if revoked:
        click.echo(f"revocation list (serials it revoked or renewed away): {', '.join(hex(serial) for serial in revoked)}")
