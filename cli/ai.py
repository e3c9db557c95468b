"""`autonomys ai …`: the open AI directory on a running network's Auto ID domain (`autonomys devnet --domain
auto-id`).

`publish PATH` stores a file (or every file of a directory) as DSN objects and appends a version of NAME signed by
the Auto ID in `--sign DIR` (`autonomys id new`, registered); the dev account (or `--seed`) pays for the objects
and relays the entry. `search TEXT` lists the latest version of each name whose name, license or kind contains
TEXT; `show NAME` lists its versions; `get NAME[@VERSION] -o DIR` writes each file under DIR, checked against
the entry's sizes and blake3 hashes, from the network's DSN or from an `autonomys gateway` (`--gateway URL`).
Refusals print the directory's reason (`name_taken`, `bad_signature`, `version_not_next`, ...) and exit 1.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from autonomys.cli.connection import network_options
from autonomys.cli.objects import connection_options

domain_id_option = click.option("--domain", "domain_id", type=click.IntRange(min=0), default=0, show_default=True,
                                help="The Auto ID domain holding the directory.")  # fmt: skip
KINDS = ("model", "dataset", "fine-tune")


@click.group(name="ai")
def ai() -> None:
    """AI3.0: the open AI directory (models, datasets and fine-tuning sets under Auto IDs) and data valuation."""


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    from autonomys.actors.identity.certificates import IdentityFileError
    from autonomys.cli.domain import _errors as domain_errors
    from autonomys.cli.objects import _errors as object_errors

    with object_errors(), domain_errors():
        try:
            yield
        except IdentityFileError as error:
            raise click.ClickException(str(error)) from error


def _directory(network: Any, domain_id: int) -> Any:
    from autonomys.actors.ai.directory_client import DirectoryClient
    from autonomys.cli.domain import _operator_of

    return DirectoryClient(_operator_of(network, domain_id), domain_id)


def _describe(stored: Any) -> str:
    entry = stored.entry
    return (
        f"{entry.name}@{entry.version}  {entry.kind.label}  {entry.license}  {len(entry.files)} file(s), "
        f"{entry.total_size:,} bytes  by {entry.publisher.hex()[:16]}…"
    )


@ai.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--license", "license_text", required=True, help="An SPDX-style license (Apache-2.0, MIT, ...).")
@click.option("--sign", "sign_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="The publisher's Auto ID directory (`autonomys id new`, registered).")  # fmt: skip
@click.option("--name", default=None, help="The name to publish under (default: PATH's name, lower-cased).")
@click.option("--version", "version", type=click.IntRange(min=1, max=2**32 - 1), default=None,
              help="The version to publish (default: the next one); refused unless it is the next one.")  # fmt: skip
@click.option("--seed", default=None, help="The paying account's seed (64 hex digits; default: dev).")
@click.option("--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True,
              help="Seconds to wait for each object, and for the entry, to be included.")  # fmt: skip
@domain_id_option
@connection_options
def publish(path: Path, kind: str, license_text: str, sign_dir: Path, name: str | None, version: int | None,
            seed: str | None, timeout: float, domain_id: int, kzg_path: Path | None, data_dir: Path,
            address: str | None, namespace: str) -> None:  # fmt: skip
    """Publish PATH (a file, or every file under a directory) as a new version of NAME."""
    from autonomys.actors.ai.directory_client import load_publisher
    from autonomys.cli.domain import _signer
    from autonomys.cli.objects import object_client
    from autonomys.network.client import Network
    from autonomys.network.runtime import named_actors
    from autonomys.protocol.ai.directory import EntryKind

    default_name = path.stem if path.is_file() else path.resolve().name
    payer = _signer(seed)
    with _errors():
        publisher = load_publisher(sign_dir)
        with object_client(data_dir, address, namespace, kzg_path) as objects:
            directory = _directory(Network.attach(namespace, named_actors(namespace)), domain_id)
            published = directory.publish(
                path, name or default_name, EntryKind.parse(kind), license_text, publisher, objects, payer,
                version=version, wait_seconds=timeout,
                on_file=lambda item: click.echo(f"storing {item.path} ({item.source.stat().st_size:,} bytes)", err=True),
            )  # fmt: skip
    entry = published.entry
    for item in entry.files:
        click.echo(f"  {item.object_id.hex()}  {item.size:>14,}  {item.path}")
    click.echo(f"published {entry.name}@{entry.version} ({entry.kind.label}, {entry.license}) by "
               f"{entry.publisher.hex()}: entry {published.entry_id.hex()}")  # fmt: skip


@ai.command()
@click.argument("text", default="")
@click.option("--limit", type=click.IntRange(min=1, max=100), default=20, show_default=True)
@domain_id_option
@network_options
def search(text: str, limit: int, domain_id: int, data_dir: Path, address: str | None, namespace: str) -> None:
    """The latest version of each name whose name, license or kind contains TEXT (case-insensitive)."""
    from autonomys.cli.domain import _attached

    with _errors(), _attached(data_dir, address, namespace) as network:
        found = _directory(network, domain_id).search(text, limit)
    for stored in found:
        click.echo(_describe(stored))
    if not found:
        click.echo(f"nothing matches {text!r}", err=True)


@ai.command()
@click.argument("name")
@domain_id_option
@network_options
def show(name: str, domain_id: int, data_dir: Path, address: str | None, namespace: str) -> None:
    """Every version of NAME, oldest first, with its files."""
    from autonomys.cli.domain import _attached

    with _errors(), _attached(data_dir, address, namespace) as network:
        found = _directory(network, domain_id).versions(name)
    for stored in found:
        click.echo(f"{_describe(stored)}  put at {stored.put_at_ms} ms")
        for item in stored.entry.files:
            click.echo(f"  {item.object_id.hex()}  {item.size:>14,}  {item.path}")


@ai.command()
@click.argument("reference", metavar="NAME[@VERSION]")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The directory to write the files into (made if missing).")  # fmt: skip
@click.option("--gateway", "gateway_url", default=None, metavar="URL",
              help="Fetch the objects from an `autonomys gateway` at URL instead of the DSN.")  # fmt: skip
@domain_id_option
@connection_options
def get(reference: str, output: Path, gateway_url: str | None, domain_id: int, kzg_path: Path | None,
        data_dir: Path, address: str | None, namespace: str) -> None:  # fmt: skip
    """Write every file of NAME (its latest version, or VERSION) under OUTPUT, each checked against the entry."""
    from autonomys.actors.ai.directory_client import gateway_source
    from autonomys.cli.domain import _attached
    from autonomys.cli.objects import object_client
    from autonomys.network.client import Network
    from autonomys.network.runtime import named_actors

    with _errors():
        if gateway_url is not None:
            with _attached(data_dir, address, namespace) as network:
                stored, written = _directory(network, domain_id).get(reference, output, gateway_source(gateway_url))
        else:
            with object_client(data_dir, address, namespace, kzg_path) as objects:
                network = Network.attach(namespace, named_actors(namespace))
                stored, written = _directory(network, domain_id).get(reference, output, objects.iter_object)
    for path in written:
        click.echo(str(path))
    entry = stored.entry
    click.echo(f"{entry.name}@{entry.version}: {len(entry.files)} file(s), {entry.total_size:,} bytes into {output}")
