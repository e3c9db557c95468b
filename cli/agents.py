"""`autonomys agent serve | register | find | invoke | rate`: the agent registry of a network with an Auto ID domain.

An agent is an Auto ID issued by its creator with purpose, capabilities and endpoint in its certificate
(`autonomys id new NAME --issuer CREATOR --capability … --endpoint ray://NAME`). `serve` starts a demo agent actor
(its endpoint `ray://NAME`); `register` publishes the agent's service description signed by the agent's key;
`find` lists agents offering a capability by reputation; `invoke` calls an agent through the registry, which checks
the caller's signed credential against the agent's policy; `rate` leaves signed feedback, which counts only from
raters with a valid Auto ID.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from autonomys.cli.connection import network_options
from autonomys.cli.domain import _attached, _errors
from autonomys.cli.identity import _load, _parse_id


@click.group()
def agent() -> None:
    """Agents: registration, discovery, invocation and reputation."""


def _registry(namespace: str) -> Any:
    from autonomys.actors.handles import AgentRegistryClient, get_actor
    from autonomys.network.compose import AGENT_REGISTRY_NAME
    from autonomys.network.runtime import named_actors

    if AGENT_REGISTRY_NAME not in named_actors(namespace):
        raise click.ClickException("no agent registry runs on this network (start one with `--domain auto-id`)")
    return AgentRegistryClient(get_actor(AGENT_REGISTRY_NAME, namespace))


def _identity(directory: Path) -> tuple[Any, bytes]:
    from autonomys.protocol.identity.auto_id import derive_auto_id

    key, certificate, issuer = _load(directory)
    return key, derive_auto_id(certificate, issuer)


@agent.command()
@click.argument("name")
@network_options
def serve(name: str, data_dir: Path, address: str | None, namespace: str) -> None:
    """Start a demo agent actor NAME (endpoint ray://NAME) that answers every request it is given."""
    from autonomys.network.compose import create_demo_agent
    from autonomys.network.spec import ClusterSpec

    with _errors(), _attached(data_dir, address, namespace):
        create_demo_agent(ClusterSpec(namespace=namespace), name).ready()
    click.echo(f"ray://{name}")


@agent.command()
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--name", "service_name", required=True)
@click.option("--description", default="", show_default=False)
@click.option("--capability", "capabilities", multiple=True, required=True, help="Offered (certified) capability.")
@click.option("--endpoint", required=True, help="Where it is invoked: ray://NAME (`autonomys agent serve NAME`).")
@click.option("--caller", "callers", multiple=True, help="Only these Auto IDs may invoke it (default: any valid one).")
@click.option("--require-action", default=None, help="Callers need a grant of this action (from the agent's side).")
@click.option("--max-request-bytes", type=click.IntRange(min=1), default=65536, show_default=True)
@network_options
def register(directory: Path, service_name: str, description: str, capabilities: tuple[str, ...], endpoint: str,
             callers: tuple[str, ...], require_action: str | None, max_request_bytes: int, data_dir: Path,
             address: str | None, namespace: str) -> None:  # fmt: skip
    """Register the service of the agent whose identity is in DIRECTORY (signed by its key)."""
    from autonomys.actors.identity.certificates import algorithm_identifier, sign
    from autonomys.protocol.identity.agent_services import InvocationPolicy, ServiceDescription, service_message

    key, agent_id = _identity(directory)
    allowed = tuple(sorted(_parse_id(caller) for caller in callers)) or None
    policy = InvocationPolicy(allowed, require_action, max_request_bytes)
    service = ServiceDescription(service_name, description, tuple(sorted(set(capabilities))), endpoint, policy)
    with _errors(), _attached(data_dir, address, namespace):
        registry = _registry(namespace)
        version = registry.next_version(agent_id)
        signature = sign(key, service_message(agent_id, version, service))
        registry.register(agent_id, service, algorithm_identifier(key), signature)
    click.echo(f"registered {agent_id.hex()} version {version}: {', '.join(service.capabilities)} at {endpoint}")


@agent.command()
@click.argument("capability")
@click.option("--limit", type=click.IntRange(min=1, max=1000), default=20, show_default=True)
@network_options
def find(capability: str, limit: int, data_dir: Path, address: str | None, namespace: str) -> None:
    """Agents offering CAPABILITY whose identities verify now, best reputation first."""
    with _errors(), _attached(data_dir, address, namespace):
        listings = _registry(namespace).find(capability, None, limit)
    if not listings:
        click.echo(f"no agent offers {capability}")
    for listing in listings:
        score = "unrated" if listing.score is None else f"score {listing.score / 10**18:.2f}"
        click.echo(f"{listing.agent_id.hex()}  {listing.service.name}  {listing.service.endpoint}  {score}")


@agent.command()
@click.argument("agent_id")
@click.option("--as", "caller_dir", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True,
              help="The caller's identity directory (its key signs the credential).")  # fmt: skip
@click.option("--request", "request_text", required=True)
@click.option("--grant", default=None, help="The grant (hash) that allows the caller the agent's required action.")
@network_options
def invoke(agent_id: str, caller_dir: Path, request_text: str, grant: str | None, data_dir: Path, address: str | None,
           namespace: str) -> None:  # fmt: skip
    """Call AGENT_ID through the registry with REQUEST; print its answer."""
    from autonomys.actors.identity.certificates import algorithm_identifier, sign
    from autonomys.protocol.identity.agent_services import CallerCredential, invocation_message
    from autonomys.protocol.identity.auto_id import blake2_256

    key, caller_id = _identity(caller_dir)
    target, request = _parse_id(agent_id), request_text.encode()
    grant_hash = None if grant is None else _parse_id(grant)
    issued_at = time.time_ns() // 1_000_000
    message = invocation_message(target, blake2_256(request), issued_at, caller_id, grant_hash)
    credential = CallerCredential(caller_id, grant_hash, issued_at, algorithm_identifier(key), sign(key, message))
    with _errors(), _attached(data_dir, address, namespace):
        answer = _registry(namespace).invoke(target, caller_id, credential, request)
    click.echo(answer.response.decode(errors="replace"))


@agent.command()
@click.argument("agent_id")
@click.option("--as", "rater_dir", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True)
@click.option("--value", type=click.IntRange(min=0, max=100), required=True, help="0..100")
@click.option("--tag", default="", help="What the rating is about.")
@network_options
def rate(agent_id: str, rater_dir: Path, value: int, tag: str, data_dir: Path, address: str | None,
         namespace: str) -> None:  # fmt: skip
    """Rate AGENT_ID (ERC-8004-style feedback signed by the rater's Auto ID); print its reputation."""
    from autonomys.actors.identity.certificates import algorithm_identifier, sign
    from autonomys.protocol.identity.reputation import Feedback, feedback_message

    key, rater_id = _identity(rater_dir)
    target = _parse_id(agent_id)
    unsigned = Feedback(target, rater_id, value, 0, tag, "", "", bytes(32), time.time_ns() // 1_000_000, b"", b"")
    feedback = Feedback(target, rater_id, value, 0, tag, "", "", bytes(32), unsigned.issued_at_ms,
                        algorithm_identifier(key), sign(key, feedback_message(unsigned)))  # fmt: skip
    with _errors(), _attached(data_dir, address, namespace):
        registry = _registry(namespace)
        registry.rate(feedback)
        summary = registry.reputation(target)
    shown = "unrated" if summary.value is None else f"{summary.value / 10**18:.2f}"
    click.echo(f"{agent_id}: score {shown} from {summary.weighted_count} verified of {summary.count} ratings")
