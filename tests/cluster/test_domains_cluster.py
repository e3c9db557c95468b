"""A MINIMAL devnet with a `balances` domain on a real local Ray instance: its two operator actors derive
byte-identical domain blocks and receipts, a transfer moves value through a bundle, and an operator killed with
SIGKILL resumes its domain chain where it was (no block derived again)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sr25519
from test_chaos import kill_hard, process_id

from autonomys.actors.objects.client import dev_account
from autonomys.network.compose import NetworkPlan, start_network
from autonomys.network.farms import devnet_farms
from autonomys.network.genesis import prepare_network
from autonomys.network.spec import ClusterSpec
from autonomys.protocol.domains.params import DEV_DOMAINS
from autonomys.protocol.domains.runtime_balances import sign_transfer
from helpers.waiting import ACTOR_POLL_SECONDS, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
TIMEOUT = 240.0
AI3 = 10**18


def test_operators_agree_transfers_land_and_a_killed_operator_resumes(ray_session: str, tmp_path: Path) -> None:
    spec = ClusterSpec(preset="minimal", namespace=ray_session, cache_peers=0)
    prepared = prepare_network(spec.preset, tmp_path / "net", ("balances",))
    plan = NetworkPlan(spec, prepared.data_dir, prepared.genesis, devnet_farms(prepared.genesis, prepared.data_dir))
    devnet = start_network(plan, print)
    try:
        assert sorted(devnet.operators) == ["operator-0-0", "operator-0-1"]
        first, second = devnet.operators["operator-0-0"], devnet.operators["operator-0-1"]
        receiver = bytes(sr25519.pair_from_seed(bytes([7]) * 32)[0])
        identity = dev_account()
        key_pair = sr25519.pair_from_seed(identity.seed)
        tx_hash = first.submit_transaction(sign_transfer(0, key_pair, 0, receiver, 3 * AI3).to_bytes())
        wait_until(
            lambda: all(op.status().domain_number >= 6 for op in (first, second))
            and first.transaction_status(tx_hash).startswith("in domain block"),
            TIMEOUT, "six domain blocks and the transfer", interval=ACTOR_POLL_SECONDS,
        )  # fmt: skip
        for number in range(1, 7):
            assert first.receipt(number) == second.receipt(number) is not None
        assert first.account(receiver)[0] == second.account(receiver)[0] == 3 * AI3
        view = devnet.node.domain_view(0)
        # Each new head receipt confirms the block the challenge period below it.
        assert view.head_receipt_number >= 5
        assert view.confirmed_number == view.head_receipt_number - DEV_DOMAINS.block_tree_pruning_depth
        before = first.status()
        killed = kill_hard(first.handle)
        resumed = wait_until(
            lambda: first.status(timeout=5), TIMEOUT, "the operator to restart", interval=ACTOR_POLL_SECONDS
        )
        assert resumed.domain_number >= before.domain_number  # reopened where it was, not from genesis
        assert process_id(first.handle) != killed  # a new process reopened the chain from its store
        wait_until(
            lambda: first.status().domain_number > before.domain_number + 1, TIMEOUT, "the restarted operator to go on"
        )
        number = before.domain_number
        assert first.receipt(number) == second.receipt(number) is not None
    finally:
        devnet.stop()
