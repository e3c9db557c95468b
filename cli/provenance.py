"""Content provenance from the command line: `autonomys put FILE --sign DIR` records who made an object (and what it
was derived from, `--parent`) on the Auto ID domain, signed with the Auto ID in DIR; `autonomys verify OBJECT_ID`
fetches the object and its record and prints the signer's chain and the lineage, exiting 1 when the record does
not hold (a signer revoked before it signed, a changed byte, an unknown signer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from autonomys.actors.state_store import RemoteState
from autonomys.cli.domain import _operator_of
from autonomys.cli.identity import _load, _send
from autonomys.cli.objects import connection_options


def record_provenance(
    network: Any, domain_id: int, object_id: bytes, directory: Path, parents: tuple[bytes, ...], seed: str | None
) -> bytes:
    """Sign and submit the provenance record of `object_id` with the identity in `directory`; the signer's id."""
    from autonomys.actors.identity.certificates import algorithm_identifier, sign
    from autonomys.protocol.domains.runtime_balances import TIMESTAMP_KEY
    from autonomys.protocol.identity.auto_id import derive_auto_id
    from autonomys.protocol.identity.identity_calls import PutProvenance
    from autonomys.protocol.identity.provenance import ProvenanceRecord, canonical_parents

    key, certificate, issuer = _load(directory)
    signer = derive_auto_id(certificate, issuer)
    # Signed at the domain's latest block time: the next block's time is later, so the record is never "future".
    raw_time = _operator_of(network, domain_id).read(TIMESTAMP_KEY)
    signed_at = 0 if raw_time is None else int.from_bytes(raw_time, "little")
    parents = canonical_parents(parents)
    unsigned = ProvenanceRecord(object_id, signer, parents, signed_at, b"", b"")
    record = ProvenanceRecord(
        object_id, signer, parents, signed_at, algorithm_identifier(key), sign(key, unsigned.signed_message())
    )
    from autonomys.protocol.domains.runtime_auto_id import IdentityPalletCall

    _send(network, domain_id, IdentityPalletCall(PutProvenance(record)), seed)
    return signer


def parse_parents(values: tuple[str, ...]) -> tuple[bytes, ...]:
    from autonomys.protocol.objects.mappings import parse_object_id

    parents = []
    for value in values:
        try:
            parents.append(parse_object_id(value))
        except Exception as error:  # noqa: BLE001 - the parser's named error, shown as the option's
            raise click.BadParameter(str(error), param_hint="--parent") from error
    return tuple(parents)


def describe_provenance(network: Any, domain_id: int, object_id: bytes, content: bytes, now_ms: int) -> bool:
    """Print the record of `object_id`, its signer's chain and its lineage; whether it holds."""
    from autonomys.protocol.identity.auto_id import get_auto_id
    from autonomys.protocol.identity.provenance import get_provenance, verify_provenance

    state = RemoteState(_operator_of(network, domain_id))
    stored = get_provenance(state, object_id)
    if stored is None:
        click.echo(f"object {object_id.hex()}: no provenance record on domain {domain_id}")
        return False
    check = verify_provenance(state, stored.record, content, now_ms)
    click.echo(f"object    {object_id.hex()}: {'valid' if check.valid else 'INVALID'} ({check.reason})")
    click.echo(f"signed by {stored.record.signer.hex()} at {stored.record.signed_at_ms} ms")
    for depth, auto_id in enumerate(check.signer_chain):
        record = get_auto_id(state, auto_id)
        name = "(gone)" if record is None else record.subject_common_name.decode(errors="replace")
        click.echo(f"  {'  ' * depth}{'issued by ' if depth else ''}{auto_id.hex()[:16]}… {name}")
    for entry in check.lineage:
        source = "on chain" if entry.stored is not None else "no record"
        click.echo(f"derived from (depth {entry.depth}) {entry.content_id.hex()} — {source}")
    return check.valid


@click.command()
@click.argument("object_id")
@click.option("--identity-domain", "domain_id", type=click.IntRange(min=0), default=0, show_default=True,
              help="The Auto ID domain holding the provenance records.")  # fmt: skip
@connection_options
def verify(object_id: str, domain_id: int, kzg_path: Path | None, data_dir: Path, address: str | None,
           namespace: str) -> None:  # fmt: skip
    """Fetch OBJECT_ID and check its provenance: the signer's chain, the lineage; exit 1 when it does not hold."""
    import time

    from autonomys.cli.domain import _errors
    from autonomys.cli.objects import object_client
    from autonomys.network.client import Network
    from autonomys.network.runtime import named_actors
    from autonomys.protocol.objects.mappings import parse_object_id

    try:
        identifier = parse_object_id(object_id)
    except Exception as error:  # noqa: BLE001 - the parser's named error
        raise click.BadParameter(str(error), param_hint="OBJECT_ID") from error
    with _errors(), object_client(data_dir, address, namespace, kzg_path) as client:
        content = b"".join(client.iter_object(identifier))
        network = Network.attach(namespace, named_actors(namespace))
        valid = describe_provenance(network, domain_id, identifier, content, int(time.time() * 1000))
    if not valid:
        raise SystemExit(1)
