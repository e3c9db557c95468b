"""`autonomys domain …`: execution domains on a running network.

Consensus calls (`instantiate`, `operator register`, `nominate`, `withdraw`, `unlock`) are transactions signed by
the dev account (or `--seed`), pooled at the node; the command waits for the block that includes them and reports
the call's own outcome (a failed dispatch keeps its fee and its error is recorded on chain). `transfer` and
`balance` go to an operator of the domain. `status` shows the domain as the best block has it and each operator's
progress. Amounts are in AI3 (decimals allowed). Errors are one line on stderr and exit status 1.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from autonomys.cli.connection import NetworkMissing, network_address, network_options

AI3 = 10**18
WAIT_SECONDS = 120.0


def parse_amount(text: str) -> int:
    """AI3 (decimals allowed) in Shannon; click.BadParameter when it is not a non-negative amount."""
    try:
        value = Decimal(text) * AI3
    except InvalidOperation as error:
        raise click.BadParameter(f"{text!r} is not an amount of AI3") from error
    if value < 0 or value != value.to_integral_value() or value >= 2**128:
        raise click.BadParameter(f"{text!r} is not a whole number of Shannon between 0 and 2^128")
    return int(value)


def parse_account(text: str) -> bytes:
    from autonomys.actors.objects.client import dev_account

    if text == "dev":
        return dev_account().public_key
    try:
        account = bytes.fromhex(text)
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is neither `dev` nor 64 hex digits") from error
    if len(account) != 32:
        raise click.BadParameter(f"an account is 32 bytes (64 hex digits), got {len(account)}")
    return account


def _signer(seed: str | None) -> Any:
    from autonomys.actors.farming.identity import FarmerIdentity
    from autonomys.actors.objects.client import dev_account

    if seed is None:
        return dev_account()
    try:
        return FarmerIdentity(bytes.fromhex(seed))
    except ValueError as error:
        raise click.BadParameter(f"--seed: {error}") from error


def _key_pair(identity: Any) -> tuple[bytes, bytes]:
    import sr25519

    public, secret = sr25519.pair_from_seed(identity.seed)
    return bytes(public), bytes(secret)


seed_option = click.option("--seed", default=None, help="The signer's 32-byte seed (hex); default: the dev account.")
domain_option = click.option("--domain", "domain_id", type=click.IntRange(min=0), default=0, show_default=True)


@click.group()
def domain() -> None:
    """Execution domains: staking, transfers and status."""


@contextlib.contextmanager
def _attached(data_dir: Path, address: str | None, namespace: str) -> Iterator[Any]:
    from autonomys.network.client import Network
    from autonomys.network.runtime import cluster_connection, named_actors

    with cluster_connection(network_address(data_dir, address), namespace):
        yield Network.attach(namespace, named_actors(namespace))


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    from autonomys.actors.consensus.node_objects import RejectedTransaction
    from autonomys.actors.domains.operator import RejectedDomainTransaction
    from autonomys.actors.errors import ActorUnavailable
    from autonomys.network.client import RoleMissing
    from autonomys.network.runtime import ClusterUnreachable
    from autonomys.protocol.errors import ProtocolError

    try:
        yield
    except (
        NetworkMissing, ClusterUnreachable, ActorUnavailable, RoleMissing, RejectedTransaction,
        RejectedDomainTransaction, ProtocolError, TimeoutError,
    ) as error:  # fmt: skip
        raise click.ClickException(str(error).splitlines()[0] if str(error) else type(error).__name__) from error


def _submit_call(network: Any, call: Any, seed: str | None) -> str:
    """Sign `call` as a consensus transaction, pool it, wait for its block; what the call did (its dispatch error
    raises ClickException)."""
    from autonomys.actors.handles import NodeObjectsHandle
    from autonomys.network.spec import NODE_NAME
    from autonomys.protocol.consensus.chain_blocks import sign_transaction
    from autonomys.protocol.consensus.chain_transactions import dispatch_error_key
    from autonomys.protocol.consensus.state_proofs import verify_state_proof

    identity = _signer(seed)
    node = NodeObjectsHandle(NODE_NAME)
    _, nonce = node.account(identity.public_key)
    transaction = sign_transaction(node.genesis_hash(), identity.public_key, nonce, call, identity.sign)
    node.submit_transaction(transaction.to_bytes())
    deadline = time.monotonic() + WAIT_SECONDS
    while node.account(identity.public_key)[1] <= nonce or not _included(network, identity.public_key, nonce):
        if time.monotonic() > deadline:
            raise TimeoutError(f"transaction {transaction.hash().hex()} not in a block after {WAIT_SECONDS:.0f} s")
        time.sleep(0.2)
    recorded = verify_state_proof(network.node.state_proof(dispatch_error_key(identity.public_key)))
    if recorded is not None and int.from_bytes(recorded[:8], "little") == nonce:
        raise click.ClickException(f"the call failed: {recorded[8:].decode(errors='replace')}")
    return f"included (transaction {transaction.hash().hex()[:16]}…)"


def _included(network: Any, account: bytes, nonce: int) -> bool:
    """Whether the best state has used `nonce` of `account`."""
    from autonomys.protocol.consensus.chain_state import account_key, decode_account
    from autonomys.protocol.consensus.state_proofs import verify_state_proof

    entry = verify_state_proof(network.node.state_proof(account_key(account)))
    return entry is not None and decode_account(entry).nonce > nonce


def _operator_of(network: Any, domain_id: int) -> Any:
    for _, client in sorted(network.operators.items()):
        if client.status().domain_id == domain_id:
            return client
    raise click.ClickException(f"no operator of domain {domain_id} runs on this network")


@domain.command()
@domain_option
@network_options
def status(domain_id: int, data_dir: Path, address: str | None, namespace: str) -> None:
    """The domain at the best block and each of its operators."""
    with _errors(), _attached(data_dir, address, namespace) as network:
        view = network.node.domain_view(domain_id)
        click.echo(
            f"domain {view.domain_id} ({view.runtime_name}): block #{view.head_domain_number}, receipt "
            f"#{view.head_receipt_number}, confirmed #{view.confirmed_number}, epoch {view.epoch}, "
            f"stake {Decimal(view.total_stake) / AI3:,} AI3"
        )
        for info in view.operators:
            click.echo(
                f"  operator {info.operator_id}: {info.status.lower()}, stake {Decimal(info.stake) / AI3:,} AI3, key {info.signing_key.hex()[:16]}…"
            )
        for name, client in sorted(network.operators.items()):
            found = client.status()
            if found.domain_id != domain_id:
                continue
            click.echo(
                f"  {name}: derived domain #{found.domain_number} from consensus #{found.consensus_number}; bundles "
                f"{found.bundles_submitted} ({found.bundles_rejected} refused); pool {found.pooled_transactions}"
                + (f"; warning: {found.last_error}" if found.last_error else "")
            )


@domain.command()
@click.argument("to")
@click.argument("amount")
@domain_option
@seed_option
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the domain block that includes it.")
@network_options
def transfer(
    to: str, amount: str, domain_id: int, seed: str | None, wait: bool, data_dir: Path, address: str | None,
    namespace: str,
) -> None:  # fmt: skip
    """Send AMOUNT AI3 to TO (64 hex digits or `dev`) on the domain."""
    from autonomys.protocol.domains.runtime_balances import sign_transfer

    receiver, shannon = parse_account(to), parse_amount(amount)
    identity = _signer(seed)
    with _errors(), _attached(data_dir, address, namespace) as network:
        operator = _operator_of(network, domain_id)
        _, nonce = operator.account(identity.public_key)
        extrinsic = sign_transfer(domain_id, _key_pair(identity), nonce, receiver, shannon).to_bytes()
        tx_hash = operator.submit_transaction(extrinsic)
        click.echo(f"pooled {tx_hash.hex()}")
        deadline = time.monotonic() + WAIT_SECONDS
        while wait:
            found = operator.transaction_status(tx_hash)
            if found.startswith("in domain block"):
                click.echo(found)
                return
            if found == "unknown" or time.monotonic() > deadline:
                raise click.ClickException(f"transaction {tx_hash.hex()} is {found} after waiting")
            time.sleep(0.2)


@domain.command()
@click.argument("account")
@domain_option
@network_options
def balance(account: str, domain_id: int, data_dir: Path, address: str | None, namespace: str) -> None:
    """ACCOUNT's balance and nonce on the domain (64 hex digits or `dev`; on an EVM domain a 40-hex address)."""
    text = account.removeprefix("0x")
    public_key = bytes.fromhex(text) if len(text) == 40 and _is_hex(text) else parse_account(account)
    with _errors(), _attached(data_dir, address, namespace) as network:
        found, nonce = _operator_of(network, domain_id).account(public_key)
        click.echo(f"{public_key.hex()}: {Decimal(found) / AI3:,} AI3, nonce {nonce}")


def _is_hex(text: str) -> bool:
    return all(character in "0123456789abcdefABCDEF" for character in text)


def parse_domain_account(text: str, size: int) -> bytes:
    """An initial balance account on a domain whose accounts are `size` bytes: `dev` (the dev account there:
    Alith on an EVM domain) or 2·size hex digits; click.BadParameter otherwise."""
    from autonomys.network.domains import dev_domain_account

    if text == "dev":
        return dev_domain_account(size)
    try:
        account = bytes.fromhex(text.removeprefix("0x"))
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is neither `dev` nor {2 * size} hex digits") from error
    if len(account) != size:
        raise click.BadParameter(f"an account on this domain is {size} bytes ({2 * size} hex digits)")
    return account


@domain.command()
@click.option("--runtime", default="balances", show_default=True)
@click.option("--name", default="domain", show_default=True)
@click.option("--initial", "initial", multiple=True, metavar="ACCOUNT=AI3", help="An initial domain balance.")
@click.option(
    "--evm-chain-id", type=click.IntRange(0, 2**64 - 1), default=870, show_default=True,
    help="The chain id of an evm domain (each EVM domain's is its own).",
)  # fmt: skip
@seed_option
@network_options
def instantiate(
    runtime: str, name: str, initial: tuple[str, ...], evm_chain_id: int, seed: str | None, data_dir: Path,
    address: str | None, namespace: str,
) -> None:  # fmt: skip
    """Instantiate a domain (the signer holds the 100 AI3 deposit and pays the initial balances; on an evm domain
    ACCOUNT is 40 hex digits)."""
    from autonomys.network.domains import known_runtimes
    from autonomys.protocol.domains.calls import InstantiateDomain
    from autonomys.protocol.domains.registry import ACCOUNT_SIZES, DomainConfig, runtime_info_for
    from autonomys.protocol.domains.staking_types import OperatorAllowList

    if runtime not in known_runtimes():
        raise click.BadParameter(
            f"no runtime {runtime!r} (known: {', '.join(known_runtimes())})", param_hint="--runtime"
        )
    info = runtime_info_for(runtime, evm_chain_id=evm_chain_id)
    balances = []
    for item in initial:
        account, _, amount = item.partition("=")
        balances.append((parse_domain_account(account, ACCOUNT_SIZES[info.kind]), parse_amount(amount)))
    runtime_id = known_runtimes().index(runtime)
    config = DomainConfig(name, runtime_id, None, (1, 1), OperatorAllowList(), tuple(balances), info)
    with _errors(), _attached(data_dir, address, namespace) as network:
        click.echo(_submit_call(network, InstantiateDomain(config), seed))


@domain.group()
def operator() -> None:
    """Operators: register or deregister one."""


@operator.command("register")
@domain_option
@click.option("--stake", default="100", show_default=True, help="AI3 staked (20 % goes to the storage fund).")
@click.option("--signing-key", required=True, help="The operator's sr25519 signing public key (64 hex digits).")
@click.option("--minimum-nominator-stake", default="1", show_default=True)
@click.option("--nomination-tax", type=click.IntRange(0, 100), default=5, show_default=True, help="Percent.")
@seed_option
@network_options
def register(
    domain_id: int, stake: str, signing_key: str, minimum_nominator_stake: str, nomination_tax: int,
    seed: str | None, data_dir: Path, address: str | None, namespace: str,
) -> None:  # fmt: skip
    """Register an operator on the domain, owned by the signer."""
    from autonomys.protocol.domains.calls import RegisterOperator
    from autonomys.protocol.domains.fixed_point import Percent
    from autonomys.protocol.domains.staking_types import OperatorConfig

    config = OperatorConfig(parse_account(signing_key), parse_amount(minimum_nominator_stake), Percent(nomination_tax))
    with _errors(), _attached(data_dir, address, namespace) as network:
        click.echo(_submit_call(network, RegisterOperator(domain_id, parse_amount(stake), config), seed))


@domain.command()
@click.argument("operator_id", type=click.IntRange(min=0))
@click.argument("amount")
@seed_option
@network_options
def nominate(
    operator_id: int, amount: str, seed: str | None, data_dir: Path, address: str | None, namespace: str
) -> None:
    """Stake AMOUNT AI3 with an operator (shares at the epoch's closing price)."""
    from autonomys.protocol.domains.calls import nominate as nominate_call

    with _errors(), _attached(data_dir, address, namespace) as network:
        click.echo(_submit_call(network, nominate_call(operator_id, parse_amount(amount)), seed))


@domain.command()
@click.argument("operator_id", type=click.IntRange(min=0))
@click.argument("shares", type=click.IntRange(min=1))
@seed_option
@network_options
def withdraw(
    operator_id: int, shares: int, seed: str | None, data_dir: Path, address: str | None, namespace: str
) -> None:
    """Withdraw SHARES (an integer number of shares) from an operator; unlock them after the locking period."""
    from autonomys.protocol.domains.calls import withdraw as withdraw_call

    with _errors(), _attached(data_dir, address, namespace) as network:
        click.echo(_submit_call(network, withdraw_call(operator_id, shares), seed))


@domain.command()
@click.argument("operator_id", type=click.IntRange(min=0))
@seed_option
@network_options
def unlock(operator_id: int, seed: str | None, data_dir: Path, address: str | None, namespace: str) -> None:
    """Unlock the withdrawals from an operator whose locking period has passed."""
    from autonomys.protocol.domains.calls import CALL_UNLOCK_FUNDS, OperatorCall

    with _errors(), _attached(data_dir, address, namespace) as network:
        click.echo(_submit_call(network, OperatorCall(CALL_UNLOCK_FUNDS, operator_id), seed))


@operator.command("deregister")
@click.argument("operator_id", type=click.IntRange(min=0))
@seed_option
@network_options
def deregister(operator_id: int, seed: str | None, data_dir: Path, address: str | None, namespace: str) -> None:
    """Deregister an operator the signer owns (its nominators unlock after the locking period)."""
    from autonomys.protocol.domains.calls import CALL_DEREGISTER_OPERATOR, OperatorCall

    with _errors(), _attached(data_dir, address, namespace) as network:
        click.echo(_submit_call(network, OperatorCall(CALL_DEREGISTER_OPERATOR, operator_id), seed))
