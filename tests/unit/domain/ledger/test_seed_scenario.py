"""The seed scenario through the pure rules: the exact commands, in order, and the final figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.ledger import Context, Inbound, MemoryLedger, decide, financials
from domain.records.common import SourceRef
from domain.records.erp import BillingCommand
from domain.records.ops import BusinessException, ExceptionReason
from tests.support.seed import EXPECTED_COMMANDS, EXPECTED_ORION_STATE, erp_feed, psa_feed

NOW = datetime(2026, 3, 3, tzinfo=UTC)


def _play() -> tuple[dict[str, MemoryLedger], list[BillingCommand], list[BusinessException]]:
    ledgers: dict[str, MemoryLedger] = {}
    commands: list[BillingCommand] = []
    exceptions: list[BusinessException] = []
    for offset, (spec, key, record) in enumerate(psa_feed() + erp_feed()):
        source = SourceRef(event_id=record.event_id, topic=spec.name, partition=0, offset=offset)
        ledger = ledgers.setdefault(key, MemoryLedger(key))
        decision = decide(ledger, Inbound(record=record, source=source), Context(now=NOW))
        ledger.apply(decision)
        commands.extend(decision.commands)
        exceptions.extend(decision.exceptions)
    return ledgers, commands, exceptions


def test_the_seed_scenario_issues_exactly_the_expected_commands_per_project_in_order() -> None:
    _, commands, _ = _play()
    for project, expected in EXPECTED_COMMANDS.items():
        assert [(c.command_id, c.amount) for c in commands if c.project_id == project] == expected


def test_the_seed_scenario_ends_in_the_expected_financial_state() -> None:
    ledgers, _, _ = _play()
    state: dict[str, Any] = financials(ledgers["P-ORION"]).model_dump(mode="json")
    assert {k: state[k] for k in EXPECTED_ORION_STATE} == EXPECTED_ORION_STATE


def test_the_erp_rejection_is_the_only_exception_and_names_the_command() -> None:
    _, _, exceptions = _play()
    assert [(e.reason, e.command_id) for e in exceptions] == [
        (ExceptionReason.ERP_REJECTED, "cmd:TE-102:r1:POST_TIME_CHARGE")
    ]
