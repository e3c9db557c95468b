"""`autonomys put`, `get` and `gateway`: permanent objects stored in history, from any machine of the network.

Each command attaches to a running network as a Ray driver: the devnet of `--data-dir` (it publishes its
address there while it runs), or a cluster given by `--address`. Pieces come through the DSN (cache
peers, the node's last segment, farmers' plots, reconstruction), each verified; object data is checked
against its hash. Errors are one line on stderr and exit status 1.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.farming.identity import IdentityError, load_identity
from autonomys.cli.connection import NetworkMissing, network_address, network_options
from autonomys.cli.signals import stop_on_signals
from autonomys.network.spec import ARCHIVER_NAME, CACHE_PREFIX, NODE_NAME
from autonomys.protocol.errors import ProtocolError
from autonomys.protocol.objects.mappings import ObjectError, parse_object_id

if TYPE_CHECKING:
    from autonomys.actors.objects.client import ObjectClient

PROGRESS_THRESHOLD = 1 << 20
"""Objects from this size on show a progress bar."""

def connection_options(command: click.decorators.FC) -> click.decorators.FC:
    """The network options, and the KZG setup pieces are verified with."""
    command = click.option(
        "--kzg", "kzg_path", type=click.Path(path_type=Path), default=None, help="KZG ceremony file (default: the dev setup)."
    )(command)  # fmt: skip
    return network_options(command)


@contextlib.contextmanager
def object_client(data_dir: Path, address: str | None, namespace: str, kzg_path: Path | None) -> Iterator[ObjectClient]:
    """An ObjectClient on the running network: its node, and a piece getter over every DSN tier."""
    from autonomys.actors.dsn.directory import DsnNames, build_piece_getter
    from autonomys.actors.handles import NodeObjectsHandle, RayLinks
    from autonomys.actors.kzg_setup import load_kzg, setup_for
    from autonomys.actors.objects.client import ObjectClient
    from autonomys.network.client import FARMER_NAME
    from autonomys.network.runtime import cluster_connection, named_actors

    with cluster_connection(network_address(data_dir, address), namespace):
        running = named_actors(namespace)
        if NODE_NAME not in running:
            msg = f"no {NODE_NAME!r} actor in namespace {namespace!r}: is a network running there?"
            raise NetworkMissing(msg)
        node = NodeObjectsHandle(NODE_NAME)
        params = node.params()
        kzg = load_kzg(setup_for(params.record_num_chunks, None if kzg_path is None else str(kzg_path)))
        names = DsnNames(
            cache_peers=tuple(sorted(name for name in running if name.startswith(CACHE_PREFIX))),
            archiver=ARCHIVER_NAME if ARCHIVER_NAME in running else None,
            farmers=tuple(sorted(name for name in running if FARMER_NAME.fullmatch(name))),
        )
        links = RayLinks(namespace)
        pieces = build_piece_getter(params, kzg, links.node(NODE_NAME), names, links)
        yield ObjectClient(node, pieces, params)


def _errors() -> contextlib.AbstractContextManager:
    from autonomys.actors.consensus.node_objects import RejectedTransaction
    from autonomys.network.runtime import ClusterUnreachable

    return _translate((ObjectError, ProtocolError, RejectedTransaction, ClusterUnreachable, ActorUnavailable,
                       NetworkMissing, IdentityError, OSError))  # fmt: skip


@contextlib.contextmanager
def _translate(errors: tuple[type[BaseException], ...]) -> Iterator[None]:
    try:
        yield
    except errors as error:
        raise click.ClickException(str(error).splitlines()[0] if str(error) else type(error).__name__) from error


def _progress(total: int) -> Progress:
    return Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        disable=total < PROGRESS_THRESHOLD, transient=True,
    )  # fmt: skip


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@connection_options
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="32-byte sr25519 seed of the paying account (default: the devnet's dev account).")  # fmt: skip
@click.option("--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True,
              help="Seconds to wait for every part to be included in a block.")  # fmt: skip
@click.option("--sign", "sign_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="An Auto ID directory (`autonomys id new`): record the object's provenance signed by it.")  # fmt: skip
@click.option("--parent", "parents", multiple=True, metavar="OBJECT_ID",
              help="An object this one was derived from (repeatable; with --sign).")  # fmt: skip
@click.option("--identity-domain", type=click.IntRange(min=0), default=0, show_default=True,
              help="The Auto ID domain that keeps provenance records.")  # fmt: skip
def put(file: Path, data_dir: Path, address: str | None, namespace: str, kzg_path: Path | None,
        key_file: Path | None, timeout: float, sign_dir: Path | None, parents: tuple[str, ...],
        identity_domain: int) -> None:  # fmt: skip
    """Store FILE in the chain's history; prints its object id once every part is in a block."""
    from autonomys.actors.objects.client import dev_account
    from autonomys.cli.provenance import parse_parents, record_provenance

    parent_ids = parse_parents(parents)
    with _errors():
        data = file.read_bytes()
        signer = dev_account() if key_file is None else load_identity(key_file)
        with object_client(data_dir, address, namespace, kzg_path) as client:
            with _progress(len(data)) as progress:
                task = progress.add_task("storing", total=len(data))
                object_id = client.put(
                    data, signer, on_progress=lambda done, total: progress.update(task, completed=done),
                    wait_seconds=timeout,
                )  # fmt: skip
            if sign_dir is not None:
                from autonomys.network.client import Network
                from autonomys.network.runtime import named_actors

                network = Network.attach(namespace, named_actors(namespace))
                author = record_provenance(network, identity_domain, object_id, sign_dir, parent_ids, None)
                click.echo(f"provenance: signed by {author.hex()}", err=True)
    click.echo(object_id.hex())


@click.command()
@click.argument("object_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Where to write it.")
@connection_options
def get(object_id: str, output: Path, data_dir: Path, address: str | None, namespace: str, kzg_path: Path | None) -> None:
    """Fetch object OBJECT_ID (64 hex digits) into OUTPUT, checked against its id; nothing is left on failure."""
    try:
        identifier = parse_object_id(object_id)
    except ProtocolError as error:
        raise click.BadParameter(str(error), param_hint="OBJECT_ID") from error
    check_output_dir(output)
    with _errors(), OutputFile(output) as sink:
        with object_client(data_dir, address, namespace, kzg_path) as client:
            info = client.stat(identifier)
            with _progress(info.size) as progress:
                task = progress.add_task("fetching", total=info.size)
                for chunk in client.iter_object(identifier):
                    sink.write(chunk)
                    progress.advance(task, len(chunk))
        sink.commit()
    click.echo(f"{output}: {info.size:,} bytes, object {object_id}")


def check_output_dir(output: Path) -> None:
    """Fail before connecting when OUTPUT's directory is missing (the error names the path the user gave)."""
    directory = output.parent
    if not directory.exists():
        raise click.ClickException(f"cannot write {output}: the directory {directory} does not exist")
    if not directory.is_dir():
        raise click.ClickException(f"cannot write {output}: {directory} is not a directory")


class OutputFile:
    """The object's bytes go to OUTPUT.part, renamed to OUTPUT once complete and synced; nothing is left on failure.
    A failure to write names OUTPUT, never the internal .part file."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.temporary = output.with_name(output.name + ".part")
        self._sink: BinaryIO | None = None

    def __enter__(self) -> OutputFile:
        with self._naming_output():
            self._sink = open(self.temporary, "wb")  # closed by commit() or __exit__
        return self

    def write(self, chunk: bytes) -> None:
        assert self._sink is not None
        with self._naming_output():
            self._sink.write(chunk)

    def commit(self) -> None:
        assert self._sink is not None
        with self._naming_output():
            self._sink.flush()
            os.fsync(self._sink.fileno())
            self._sink.close()
            self.temporary.replace(self.output)

    def __exit__(self, *exc_info: object) -> None:
        if self._sink is not None:
            self._sink.close()
        self.temporary.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _naming_output(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            raise click.ClickException(f"cannot write {self.output}: {error.strerror or error}") from error


@click.command()
@connection_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8080, show_default=True)
@click.option(
    "--max-connections", type=click.IntRange(min=1), default=None,
    help="Connections served at once, a thread each; more get a 503 at once. [default: the gateway's, shown at start]",
)  # fmt: skip
def gateway(
    data_dir: Path,
    address: str | None,
    namespace: str,
    kzg_path: Path | None,
    host: str,
    port: int,
    max_connections: int | None,
) -> None:
    """Serve GET /objects/{id} over HTTP from the network's history (Ctrl-C stops)."""
    from autonomys.actors.objects.gateway import (  # imported here: http.server costs every command
        GatewayLimits,
        ObjectGateway,
    )

    limits = GatewayLimits() if max_connections is None else GatewayLimits(max_connections=max_connections)
    with _errors(), object_client(data_dir, address, namespace, kzg_path) as client:
        server = ObjectGateway(client, host, port, limits)
        bound = server.start()
        click.echo(f"gateway on http://{host}:{bound}/objects/{{id}} (at most {limits.max_connections} connections)")
        try:
            stop_on_signals()
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            click.echo("stopping…")
        finally:
            server.stop()
            counts = server.stats()
            click.echo(
                f"connections: {counts.accepted} served, {counts.rejected} over the cap, {counts.timed_out} timed out"
            )
