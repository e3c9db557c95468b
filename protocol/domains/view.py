"""What an operator reads of a domain from the consensus chain's state (the reference's runtime APIs
`head_receipt_number`, `domain_best_number`, `operator`, `domain_stake_summary`, `bundle_producer_election_params`):
one value, taken from a Ledger over a block's state."""

from __future__ import annotations

from dataclasses import dataclass

from autonomys.protocol.domains.block_tree import latest_confirmed_receipt
from autonomys.protocol.domains.fraud_submit import fraud_proofs_accepted
from autonomys.protocol.domains.ledger import Ledger
from autonomys.protocol.domains.registry import BundleLimit, get_domain, get_runtime
from autonomys.protocol.domains.staking import operators_slashed
from autonomys.protocol.domains.staking_storage import (
    get_head_domain_number,
    get_head_receipt_number,
    get_operator,
    get_staking_summary,
)
from autonomys.protocol.errors import DomainNotFound


@dataclass(frozen=True, slots=True)
class OperatorInfo:
    operator_id: int
    signing_key: bytes
    stake: int
    """Its stake in the epoch's snapshot (0 when it is not in it)."""
    status: str


@dataclass(frozen=True, slots=True)
class DomainView:
    """A domain as one consensus block's state has it."""

    domain_id: int
    runtime_name: str
    head_domain_number: int
    head_receipt_number: int
    confirmed_number: int
    epoch: int
    total_stake: int
    bundle_slot_probability: tuple[int, int]
    bundle_limit: BundleLimit | None
    operators: tuple[OperatorInfo, ...]
    fraud_proofs_accepted: int = 0
    operators_slashed: int = 0

    def operator(self, operator_id: int) -> OperatorInfo | None:
        return next((info for info in self.operators if info.operator_id == operator_id), None)

    @property
    def next_receipt_number(self) -> int:
        """The receipt a bundle carries now: the next head when a domain block lacks one, else the head."""
        return self.head_receipt_number + (1 if self.head_domain_number > self.head_receipt_number else 0)


def read_domain_view(ledger: Ledger, domain_id: int, operator_ids: tuple[int, ...] = ()) -> DomainView:
    """The domain's view (DomainNotFound when it does not exist); `operator_ids` beyond the epoch's are looked up
    too (an operator registered this epoch, say)."""
    domain = get_domain(ledger, domain_id)
    summary = get_staking_summary(ledger, domain_id)
    confirmed = latest_confirmed_receipt(ledger, domain_id)
    operators = []
    for operator_id in sorted(set(summary.current_operators) | set(summary.next_operators) | set(operator_ids)):
        operator = get_operator(ledger, operator_id)
        if operator is None or operator.current_domain_id != domain_id:
            continue
        stake = summary.current_operators.get(operator_id, 0)
        operators.append(OperatorInfo(operator_id, operator.signing_key, stake, operator.partial_status.kind.name))
    return DomainView(
        domain_id=domain_id,
        runtime_name=get_runtime(ledger, domain.config.runtime_id).runtime_name,
        head_domain_number=get_head_domain_number(ledger, domain_id),
        head_receipt_number=get_head_receipt_number(ledger, domain_id),
        confirmed_number=0 if confirmed is None else confirmed.domain_block_number,
        epoch=summary.current_epoch_index,
        total_stake=summary.current_total_stake,
        bundle_slot_probability=domain.config.bundle_slot_probability,
        bundle_limit=domain.config.bundle_limit,
        operators=tuple(operators),
        fraud_proofs_accepted=fraud_proofs_accepted(ledger, domain_id),
        operators_slashed=operators_slashed(ledger, domain_id),
    )


__all__ = ["DomainNotFound", "DomainView", "OperatorInfo", "read_domain_view"]
