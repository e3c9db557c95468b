"""The idempotent domain job: instantiate a domain on a running network and start its operators.

    ray job submit --address http://127.0.0.1:8265 --working-dir . -- \\
        python -m autonomys.jobs.domain --data-dir /var/lib/autonomys --name payments --operators 2

It connects (`--address auto` inside a job), instantiates the domain with a transaction from the dev account (or
`--seed`), registers `--operators` operators staking `--stake` AI3 each with fresh signing keys, and starts one
detached operator actor per operator (`operator-<domain>-<operator>`), spread round-robin over the cluster's alive
nodes, each under `--data-dir` on its node. An evm domain's chain id is 870 + its domain id (as the genesis
domains'), it endows the dev EVM account (Alith) with 1,000 AI3, and its first operator serves Ethereum JSON-RPC
on `--rpc-host`:`--rpc-port` (default 127.0.0.1 and a free port; the job prints the URL). What it created is recorded in `DATA_DIR/domains/<name>.json` (the domain id, its EVM chain id or
null, the operators' ids and signing seeds); running the job again with the same name attaches to that
domain and starts whichever operators are not running: no second domain, no duplicate operator.

Exit status: 0 done, 1 the cluster is unreachable or a call failed, 2 the arguments must change.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autonomys.actors.domains.operator import OperatorIdentity
from autonomys.actors.domains.operator_service import OperatorConfig
from autonomys.actors.errors import ActorUnavailable
from autonomys.actors.handles import NodeObjectsHandle
from autonomys.actors.objects.client import dev_account
from autonomys.network.client import Network, RoleMissing
from autonomys.network.compose import create_operator
from autonomys.network.domains import (
    DEV_DOMAIN_BALANCE,
    DEV_EVM_ACCOUNT,
    OPERATOR_STAKE,
    known_runtimes,
    operator_name,
)
from autonomys.network.genesis import ConfigError, load_genesis
from autonomys.network.runtime import ClusterUnreachable, alive_nodes, cluster_connection, named_actors
from autonomys.network.spec import NODE_NAME, ClusterSpec
from autonomys.protocol.consensus.chain_blocks import sign_transaction
from autonomys.protocol.domains.calls import InstantiateDomain, RegisterOperator
from autonomys.protocol.domains.faults import FAULT_KINDS
from autonomys.protocol.domains.fixed_point import Percent
from autonomys.protocol.domains.registry import DEFAULT_EVM_CHAIN_ID, DomainConfig, runtime_info_for
from autonomys.protocol.domains.staking_types import OperatorAllowList
from autonomys.protocol.domains.staking_types import OperatorConfig as StakingOperatorConfig
from autonomys.protocol.errors import ProtocolError

EXIT_UNREACHABLE = 1
EXIT_MUST_CHANGE = 2
AI3 = 10**18
WAIT_SECONDS = 180.0


class JobError(Exception):
    """A domain job step that failed; the message says which."""


def _submit(node: NodeObjectsHandle, identity: Any, call: Any) -> None:
    """Sign and pool `call` from `identity`, then wait until the best state used its nonce."""
    nonce = _state_nonce(identity)
    node.submit_transaction(
        sign_transaction(node.genesis_hash(), identity.public_key, nonce, call, identity.sign).to_bytes()
    )
    deadline = time.monotonic() + WAIT_SECONDS
    while _state_nonce(identity) <= nonce:
        if time.monotonic() > deadline:
            raise JobError(f"a {type(call).__name__} transaction was not included within {WAIT_SECONDS:.0f} s")
        time.sleep(0.5)


def _state_nonce(identity: Any) -> int:
    """The account's nonce in the best state (proven against the best header)."""
    from autonomys.actors.handles import NodeClient, get_actor
    from autonomys.protocol.consensus.chain_state import account_key, decode_account
    from autonomys.protocol.consensus.state_proofs import verify_state_proof

    entry = verify_state_proof(NodeClient(get_actor(NODE_NAME)).state_proof(account_key(identity.public_key)))
    return 0 if entry is None else decode_account(entry).nonce


def _record_path(data_dir: Path, name: str) -> Path:
    return data_dir / "domains" / f"{name}.json"


def _write_record(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=1) + "\n")
    temporary.replace(path)


def deploy(arguments: argparse.Namespace, say: Any) -> str:
    """Instantiate (once) the named domain, register (once) each planned operator, start the operators."""
    data_dir = Path(arguments.data_dir)
    genesis = load_genesis(data_dir)
    if genesis is None:
        raise ConfigError(f"{data_dir} holds no network (run the bootstrap job first)")
    path = _record_path(data_dir, arguments.name)
    node = NodeObjectsHandle(NODE_NAME)
    network = Network.attach(ClusterSpec().namespace, named_actors(ClusterSpec().namespace))
    owner = dev_account()
    record: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if "domain_id" not in record:
        before = _domain_count(network)
        runtime_id = known_runtimes().index(arguments.runtime)
        info = runtime_info_for(arguments.runtime, evm_chain_id=DEFAULT_EVM_CHAIN_ID + before)
        # An EVM domain endows the dev EVM account (Alith), so its JSON-RPC is usable at once.
        balances = ((DEV_EVM_ACCOUNT, DEV_DOMAIN_BALANCE),) if arguments.runtime == "evm" else ()
        config = DomainConfig(arguments.name, runtime_id, None, (1, 1), OperatorAllowList(), balances, info)
        _submit(node, owner, InstantiateDomain(config))
        if _domain_count(network) != before + 1:
            raise JobError(
                f"instantiating {arguments.name!r} failed: `autonomys domain status` and the dev account's balance say why"
            )
        record = {"domain_id": before, "runtime": arguments.runtime, "evm_chain_id": info.evm_chain_id,
                  "operators": [{"seed": os.urandom(32).hex()} for _ in range(arguments.operators)]}  # fmt: skip
        _write_record(path, record)
        say(f"domain {before} ({arguments.runtime}) instantiated as {arguments.name!r}")
    for operator in record["operators"]:
        if "operator_id" in operator:
            continue
        public = _public(bytes.fromhex(operator["seed"]))
        found = _operator_id(network, record["domain_id"], public)
        if found is None:
            staking = StakingOperatorConfig(public, AI3, Percent(5))
            _submit(node, owner, RegisterOperator(record["domain_id"], arguments.stake * AI3, staking))
            found = _operator_id(network, record["domain_id"], public)
        if found is None:
            raise JobError(
                f"the operator with key {public.hex()[:16]}… did not register (see `autonomys domain status`)"
            )
        operator["operator_id"] = found
        _write_record(path, record)
        say(f"operator {found} registered on domain {record['domain_id']}")
    return _start_operators(record, genesis.params(), data_dir, arguments)


def _start_operators(record: dict[str, Any], params: Any, data_dir: Path, arguments: argparse.Namespace) -> str:
    nodes = sorted(node["NodeID"] for node in alive_nodes())
    running = named_actors(ClusterSpec().namespace)
    started = []
    for index, operator in enumerate(record["operators"]):
        name = operator_name(record["domain_id"], operator["operator_id"])
        identity = OperatorIdentity(
            record["domain_id"], operator["operator_id"], bytes.fromhex(operator["seed"]), (), record["runtime"],
            record.get("evm_chain_id"),
        )  # fmt: skip
        serves_rpc = record["runtime"] == "evm" and index == 0
        faulty = arguments.faulty_operator if index == 1 else None
        config = OperatorConfig(
            str(data_dir), params, identity, name, NODE_NAME,
            rpc_port=arguments.rpc_port if serves_rpc else None, rpc_host=arguments.rpc_host, fault=faulty,
        )  # fmt: skip
        client = create_operator(ClusterSpec(), config, detached=True, node_id=nodes[index % len(nodes)])
        client.ready(timeout=WAIT_SECONDS)
        started.append(name if name not in running else f"{name} (already running)")
        if faulty is not None:
            started[-1] += f" (faulty: {faulty})"
        url = client.rpc_url() if serves_rpc else None
        if url is not None:
            started[-1] += f" serving Ethereum JSON-RPC at {url} on node {nodes[index % len(nodes)][:12]}"
    return f"domain job: domain {record['domain_id']}: {', '.join(started)}"


def _domain_count(network: Network) -> int:
    """Domains instantiated so far (ids are dense)."""
    count = 0
    while True:
        try:
            assert network.node is not None
            network.node.domain_view(count)
        except ProtocolError:
            return count
        count += 1


def _operator_id(network: Network, domain_id: int, signing_key: bytes) -> int | None:
    """The id of the domain's operator with this signing key, None when none has it."""
    assert network.node is not None
    view = network.node.domain_view(domain_id)
    return next((info.operator_id for info in view.operators if info.signing_key == signing_key), None)


def _public(seed: bytes) -> bytes:
    import sr25519

    return bytes(sr25519.pair_from_seed(seed)[0])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autonomys.jobs.domain", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="The network's data directory (holding genesis.json).")
    parser.add_argument("--name", required=True, help="The domain's name (its record: DATA_DIR/domains/NAME.json).")
    parser.add_argument("--runtime", default="balances", choices=known_runtimes())
    parser.add_argument("--operators", type=int, default=2, help="Operators to register and start.")
    parser.add_argument("--stake", type=int, default=OPERATOR_STAKE // AI3, help="AI3 each operator stakes.")
    parser.add_argument("--address", default="auto", help="The cluster: auto (default), HOST:PORT or ray://…")
    parser.add_argument(
        "--rpc-port", type=int, default=0, help="An EVM domain's first operator serves JSON-RPC here (0: a free port)."
    )
    parser.add_argument("--rpc-host", default="127.0.0.1", help="The JSON-RPC's interface (0.0.0.0: every one).")
    parser.add_argument(
        "--faulty-operator", choices=FAULT_KINDS, default=None,
        help="The second operator lies in its receipts of this kind until a fraud proof gets it slashed.",
    )  # fmt: skip
    arguments = parser.parse_args(argv)
    if arguments.faulty_operator is not None and arguments.operators < 2:
        return _fail("--faulty-operator needs --operators 2 or more (an honest one proves the lies)", EXIT_MUST_CHANGE)
    if not 0 <= arguments.rpc_port <= 65535:
        return _fail("--rpc-port is 0..65535", EXIT_MUST_CHANGE)
    if not 1 <= arguments.operators <= 16 or arguments.stake < 100:
        return _fail("--operators is 1..16 and --stake at least 100 AI3 (the minimum operator stake)", EXIT_MUST_CHANGE)

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        with cluster_connection(arguments.address, ClusterSpec().namespace):
            say(deploy(arguments, say))
    except ClusterUnreachable as error:
        return _fail(str(error), EXIT_UNREACHABLE)
    except (ConfigError, RoleMissing) as error:
        return _fail(str(error), EXIT_MUST_CHANGE)
    except (JobError, ActorUnavailable, ProtocolError) as error:
        return _fail(str(error), EXIT_UNREACHABLE)
    return 0


def _fail(message: str, status: int) -> int:
    print(f"domain job: {message}", file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
