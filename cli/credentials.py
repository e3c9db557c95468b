"""`autonomys credential issue | present | verify`: W3C VC 2.0 credentials signed with an Auto ID's key (a compact
JWS, `vc+jwt`; with `--disclose`, an SD-JWT-style `vc+sd-jwt` whose chosen claims are revealed one by one), anchored
and revocable on the Auto ID domain (protocol.identity.credentials). `issue` anchors what it signs; `present`
keeps only the disclosures named; `verify` checks the signature against the issuer's key in the registry, the
issuer's status, the anchor, revocation and the validity window, and prints the claims (exit 1 when invalid).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from autonomys.actors.state_store import RemoteState
from autonomys.cli.connection import network_options
from autonomys.cli.domain import _attached, _errors, _operator_of
from autonomys.cli.identity import _load, _parse_id, _send, domain_id_option, seed_option


@click.group()
def credential() -> None:
    """Verifiable credentials signed by Auto IDs."""


def _claims(values: tuple[str, ...], option: str) -> dict[str, object]:
    claims: dict[str, object] = {}
    for value in values:
        name, separator, text = value.partition("=")
        if not separator or not name:
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint=option)
        claims[name] = text
    return claims


@credential.command()
@click.option("--issuer", "issuer_dir", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True)
@click.option("--subject", required=True, help="The subject's Auto ID (64 hex digits or did:auto:…).")
@click.option("--claim", "claims", multiple=True, metavar="NAME=VALUE", help="A claim in clear (repeatable).")
@click.option("--disclose", "disclosable", multiple=True, metavar="NAME=VALUE",
              help="A claim the holder reveals only when it chooses (repeatable).")  # fmt: skip
@click.option("--days", type=click.IntRange(min=1, max=36500), default=365, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@domain_id_option
@seed_option
@network_options
def issue(issuer_dir: Path, subject: str, claims: tuple[str, ...], disclosable: tuple[str, ...], days: int,
          output: Path, domain_id: int, seed: str | None, data_dir: Path, address: str | None,
          namespace: str) -> None:  # fmt: skip
    """Issue a credential about SUBJECT signed by the identity in --issuer, anchor it on chain, write it."""
    from autonomys.actors.identity.certificates import algorithm_identifier, sign
    from autonomys.protocol.domains.runtime_auto_id import IdentityPalletCall
    from autonomys.protocol.domains.runtime_balances import TIMESTAMP_KEY
    from autonomys.protocol.identity.auto_id import derive_auto_id
    from autonomys.protocol.identity.auto_id_types import Signature
    from autonomys.protocol.identity.credentials import (
        compute_credential_hash,
        encode_anchor_message,
        issue_credential,
        issue_sd_credential,
    )
    from autonomys.protocol.identity.identity_calls import CredentialAction

    key, certificate, parent = _load(issuer_dir)
    issuer_id, subject_id = derive_auto_id(certificate, parent), _parse_id(subject)
    clear, hidden = _claims(claims, "--claim"), _claims(disclosable, "--disclose")
    alg = {"300506032b6570": "EdDSA", "300a06082a8648ce3d040302": "ES256"}.get(algorithm_identifier(key).hex(), "RS256")
    with _errors(), _attached(data_dir, address, namespace) as network:
        raw_time = _operator_of(network, domain_id).read(TIMESTAMP_KEY)
        valid_from = 0 if raw_time is None else int.from_bytes(raw_time, "little")
        until = valid_from + days * 86_400_000
        credential_id = f"urn:autonomys:credential:{os.urandom(16).hex()}"
        signer = lambda message: sign(key, message)  # noqa: E731
        if hidden:
            salts = {name: os.urandom(16) for name in hidden}
            text = issue_sd_credential(clear, hidden, salts, issuer_id, subject_id, valid_from, until, credential_id,
                                       signer, alg)  # fmt: skip
        else:
            text = issue_credential(clear, issuer_id, subject_id, valid_from, until, credential_id, signer, alg)
        credential_hash = compute_credential_hash(text)
        anchor = Signature(algorithm_identifier(key), sign(key, encode_anchor_message(credential_hash, issuer_id)))
        _send(network, domain_id, IdentityPalletCall(CredentialAction(credential_hash, issuer_id, anchor)), seed)
    output.write_text(text + "\n")
    click.echo(f"{output}: credential {credential_hash.hex()} from {issuer_id.hex()[:16]}… anchored")


@credential.command()
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--reveal", multiple=True, metavar="NAME", help="A disclosable claim to reveal (repeatable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def present(file: Path, reveal: tuple[str, ...], output: Path) -> None:
    """Write a presentation of the credential in FILE revealing only the named claims."""
    from autonomys.protocol.identity.credentials import CredentialError
    from autonomys.protocol.identity.credentials import present as make_presentation

    try:
        text = make_presentation(file.read_text().strip(), set(reveal))
    except CredentialError as error:
        raise click.ClickException(str(error)) from error
    output.write_text(text + "\n")
    click.echo(f"{output}: reveals {', '.join(sorted(reveal)) or 'nothing'}")


@credential.command()
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@domain_id_option
@network_options
def verify(file: Path, domain_id: int, data_dir: Path, address: str | None, namespace: str) -> None:
    """Verify the credential or presentation in FILE against the Auto ID domain; print its claims."""
    from autonomys.protocol.identity.credentials import CredentialError, verify_credential

    text = file.read_text().strip()
    with _errors(), _attached(data_dir, address, namespace) as network:
        state = RemoteState(_operator_of(network, domain_id))
        try:
            check = verify_credential(state, text, int(time.time() * 1000))
        except CredentialError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"{'valid' if check.valid else 'INVALID'} ({check.reason}){': ' + check.detail if check.detail else ''}")
    subject = check.payload.get("credentialSubject")
    if isinstance(subject, dict):
        for name, value in sorted(subject.items()):
            click.echo(f"  {name}: {value}")
    if not check.valid:
        raise SystemExit(1)
