"""Start a StakeManager executor bot on a running cluster (a detached actor that outlives the job).

    ray job submit --address http://127.0.0.1:8265 --working-dir . -- \\
        python -m autonomys.jobs.executor_bot --rpc http://127.0.0.1:8545 --manager 0x… --key 0x…

The bot (actors/domains/executor_bot.py) polls the StakeManager at `--manager` over the EVM domain's JSON-RPC
and executes its pending requests in every epoch its key's address is the executor, earning their fees. The actor
is named `executor-bot-<first 8 hex digits of the address>`; running the job again attaches to it and prints its
status. `--chain-id` defaults to the domain's own (asked over JSON-RPC).

Exit status: 0 running, 1 the cluster or the JSON-RPC is unreachable, 2 the arguments must change.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from autonomys.actors.domains.eth_client import EthRpcClient, EthRpcError, EthRpcUnavailable
from autonomys.actors.errors import ActorUnavailable
from autonomys.network.runtime import ClusterUnreachable, cluster_connection
from autonomys.network.spec import ClusterSpec

EXIT_UNREACHABLE = 1
EXIT_MUST_CHANGE = 2
READY_SECONDS = 120.0


def parse_hex(text: str, size: int, name: str) -> bytes:
    """`size` bytes from hex text (0x optional); ValueError naming the argument otherwise."""
    digits = text.removeprefix("0x")
    try:
        value = bytes.fromhex(digits)
    except ValueError:
        value = b""
    if len(value) != size:
        msg = f"{name}: expected {2 * size} hex digits, got {text!r}"
        raise ValueError(msg)
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autonomys.jobs.executor_bot", description=__doc__.splitlines()[0])
    parser.add_argument("--rpc", default="http://127.0.0.1:8545", help="The EVM domain's JSON-RPC URL.")
    parser.add_argument("--manager", required=True, help="The StakeManager's address (40 hex digits).")
    parser.add_argument("--key", required=True, help="The executor's private key (64 hex digits).")
    parser.add_argument("--chain-id", type=int, default=None, help="The domain's EVM chain id (default: ask it).")
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--address", default="auto", help="The cluster: auto (default), HOST:PORT or ray://…")
    arguments = parser.parse_args(argv)
    try:
        manager = parse_hex(arguments.manager, 20, "--manager")
        key = parse_hex(arguments.key, 32, "--key")
    except ValueError as error:
        return _fail(str(error), EXIT_MUST_CHANGE)
    if not 0.05 <= arguments.poll_seconds <= 60:
        return _fail("--poll-seconds is 0.05..60", EXIT_MUST_CHANGE)
    try:
        chain_id = arguments.chain_id if arguments.chain_id is not None else EthRpcClient(arguments.rpc).chain_id()
        with cluster_connection(arguments.address, ClusterSpec().namespace):
            print(start(arguments.rpc, key, manager, chain_id, arguments.poll_seconds), flush=True)
    except (EthRpcUnavailable, EthRpcError, ClusterUnreachable, ActorUnavailable) as error:
        return _fail(str(error), EXIT_UNREACHABLE)
    return 0


def start(rpc: str, key: bytes, manager: bytes, chain_id: int, poll_seconds: float) -> str:
    """Create (or attach to) the bot's detached actor; a line describing it."""
    from eth_account import Account

    from autonomys.actors.domains.executor_bot import ExecutorBotConfig
    from autonomys.network.compose import create_executor_bot

    address = Account.from_key(key).address
    name = f"executor-bot-{address[2:10].lower()}"
    config = ExecutorBotConfig(rpc, key.hex(), manager.hex(), chain_id, poll_seconds=poll_seconds)
    client = create_executor_bot(ClusterSpec(), config, name, detached=True)
    client.ready(timeout=READY_SECONDS)
    status = client.status()
    return (
        f"executor bot {name} for {address} on chain {chain_id}: {status.executed} executed, "
        f"{status.fees_earned} fees earned{', last error: ' + status.last_error if status.last_error else ''}"
    )


def _fail(message: str, status: int) -> int:
    print(f"executor bot job: {message}", file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
