"""Exceptions that settle themselves, through real Kafka: raised with what operators need, then RESOLVED."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.contracts.topics import ERP_BILLING_STATUS, OPS_EXCEPTIONS, PSA_PROJECTS, PSA_TIME_ENTRIES
from domain.records.ops import BusinessException, ExceptionReason, ExceptionState
from tests.support.factories import T0, billing_status, contract, envelope, time_entry
from tests.support.kafka_io import KafkaIO
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration


async def _exceptions(
    kafka_io: KafkaIO, until: Callable[[list[BusinessException]], bool]
) -> list[BusinessException]:
    """Read ops.exceptions (read committed) until `until` holds of what is there."""

    def decoded(raw: list[Any]) -> list[BusinessException]:
        found = [kafka_io.codec.decode_any(r.value) for r in raw if r.value is not None]
        return [e for e in found if isinstance(e, BusinessException)]

    raw = await kafka_io.read(OPS_EXCEPTIONS, lambda rs: until(decoded(rs)), timeout_s=90)
    return decoded(raw)


def _states(found: list[BusinessException], reason: ExceptionReason) -> list[ExceptionState]:
    return [e.state for e in found if e.reason is reason]


async def test_holds_rejections_and_unknown_projects_are_raised_with_their_facts_and_resolved_by_psflow(
    kafka_io: KafkaIO, start_worker: Callable[..., WorkerProcess]
) -> None:
    charge = "cmd:TE-1:r1:POST_TIME_CHARGE"
    await kafka_io.send(PSA_PROJECTS, "P-CAP", contract("P-CAP", not_to_exceed=Decimal("1000.00")))
    await kafka_io.send(PSA_TIME_ENTRIES, "P-CAP", time_entry("P-CAP", entry_id="TE-1"))  # 200.00 held
    rejected = billing_status(charge, "P-CAP", status="REJECTED", reason="PO missing")
    rejected_bytes = kafka_io.codec.encode(rejected)
    await kafka_io.send_raw(ERP_BILLING_STATUS, b"P-CAP", rejected_bytes)
    orphan = time_entry("P-LATE", entry_id="TE-9")
    orphan_bytes = kafka_io.codec.encode(orphan)
    await kafka_io.send_raw(PSA_TIME_ENTRIES, b"P-LATE", orphan_bytes)
    # Time waits no longer than it takes a sweep to notice, so UNKNOWN_PROJECT is raised at once.
    start_worker(env={"PSFLOW_PARK_LIMIT": "0", "PSFLOW_SWEEP_INTERVAL": "1"})

    def raised(found: list[BusinessException]) -> bool:
        return {e.reason for e in found} >= {
            ExceptionReason.BILLING_HOLD,
            ExceptionReason.ERP_REJECTED,
            ExceptionReason.UNKNOWN_PROJECT,
        }

    opened = {e.reason: e for e in await _exceptions(kafka_io, raised)}
    hold, rejection, unknown = (
        opened[ExceptionReason.BILLING_HOLD],
        opened[ExceptionReason.ERP_REJECTED],
        opened[ExceptionReason.UNKNOWN_PROJECT],
    )
    assert (hold.amount, hold.currency, hold.command_ids, hold.project_id) == (
        Decimal("200.00"),
        "USD",
        (charge,),
        "P-CAP",
    )
    assert rejection.source is not None and rejection.source.raw_value == rejected_bytes  # a rule exception
    assert (rejection.amount, rejection.command_ids, rejection.first_seen_at) == (
        Decimal("1000.00"),  # the command's amount: what the rejection puts at risk
        (charge,),
        rejected.occurred_at,
    )
    assert unknown.source is not None and unknown.source.raw_value == orphan_bytes
    assert unknown.project_id == "P-LATE" and unknown.first_seen_at == orphan.occurred_at

    # The causes go away: the cap is raised, the ERP accepts after a fix, the project's contract arrives.
    await kafka_io.send(PSA_PROJECTS, "P-CAP", contract("P-CAP", contract_version=2, not_to_exceed=None))
    accepted = billing_status(
        charge, "P-CAP", status="ACCEPTED", envelope=envelope(occurred_at=T0 + timedelta(hours=1))
    )
    await kafka_io.send(ERP_BILLING_STATUS, "P-CAP", accepted)
    await kafka_io.send(PSA_PROJECTS, "P-LATE", contract("P-LATE"))

    def settled(found: list[BusinessException]) -> bool:
        return all(
            ExceptionState.RESOLVED in _states(found, reason)
            for reason in (
                ExceptionReason.BILLING_HOLD,
                ExceptionReason.ERP_REJECTED,
                ExceptionReason.UNKNOWN_PROJECT,
            )
        )

    found = await _exceptions(kafka_io, settled)
    resolved = {e.exception_id: e for e in found if e.state is ExceptionState.RESOLVED}
    for opened_one in (hold, rejection, unknown):
        cleared = resolved[opened_one.exception_id]  # the same id
        assert cleared.resolution and cleared.first_seen_at == opened_one.first_seen_at
    assert "released in full" in (resolved[hold.exception_id].resolution or "")
    assert "ACCEPTED" in (resolved[rejection.exception_id].resolution or "")
    assert "contract v1 of project P-LATE approved" in (resolved[unknown.exception_id].resolution or "")
    # One queue entry per state change: nothing raised twice while it was open.
    assert sorted(_states(found, ExceptionReason.BILLING_HOLD)) == [
        ExceptionState.OPEN,
        ExceptionState.RESOLVED,
    ]
