"""Property: over thousands of random time entry revisions, postings reconcile to the cent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import product
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.ledger import MemoryLedger, decide, financials
from domain.records.erp import BillingCommand, BillingCommandType
from domain.records.psa import BillRate, CostRate, TimeEntry
from tests.support.factories import context, contract, inbound, through_json, time_entry

# (role, resource or None) -> [(effective from, rate)]; odd rates so that rounding matters.
BILL_RATES: dict[tuple[str, str | None], list[tuple[date, str]]] = {
    ("consultant", None): [(date(2026, 1, 1), "150.00"), (date(2026, 3, 1), "165.5550")],
    ("architect", None): [(date(2026, 1, 1), "200.0050")],
    ("consultant", "R-ANA"): [(date(2026, 2, 1), "133.3333")],
}
TERMS = contract(
    bill_rates=tuple(
        BillRate(role=role, resource_id=resource, rate=Decimal(rate), effective_from=since)
        for (role, resource), rates in BILL_RATES.items()
        for since, rate in rates
    ),
    cost_rates=(
        CostRate(role="consultant", rate=Decimal("80.00"), effective_from=date(2026, 1, 1)),
        CostRate(role="architect", rate=Decimal("120.1234"), effective_from=date(2026, 1, 1)),
    ),
)
ENTRIES_PER_EXAMPLE = (45, 60)
EXAMPLES = 200  # about 10,500 entries, 28,500 arrivals (revisions, re-sent and stale ones) in all

# Three draws per revision (hours; role, resource and day; billable and approval) rather than six keep
# the 25,000-odd revisions fast to generate.
WHO = list(
    product(
        ("consultant", "architect"),
        ("R-ANA", "R-BOB", "R-CAI"),
        [date(2026, 1, 1) + timedelta(days=d) for d in range(120)],
    )
)
HOW = list(product((True, False), ("APPROVED", "APPROVED", "APPROVED", "SUBMITTED", "REJECTED")))


def _facts(cents: int, who: tuple[str, str, date], how: tuple[bool, str]) -> dict[str, Any]:
    role, resource_id, work_date = who
    billable, approval_status = how
    return {
        "hours": Decimal(cents).scaleb(-2),
        "role": role,
        "resource_id": resource_id,
        "work_date": work_date,
        "billable": billable,
        "approval_status": approval_status,
    }


revision_facts = st.builds(_facts, st.integers(1, 2400), st.sampled_from(WHO), st.sampled_from(HOW))


@dataclass(frozen=True)
class Scenario:
    """A cap and the order in which revisions (with duplicates and stale ones) arrive."""

    cap: Decimal | None
    arrivals: tuple[TimeEntry, ...]


@st.composite
def scenarios(draw: Any) -> Scenario:
    """Draw entries with 1-4 revisions each, re-send up to a third of them, and shuffle them all."""
    cap = draw(st.none() | st.integers(0, 3_000_000).map(lambda cents: Decimal(cents).scaleb(-2)))
    revisions: list[TimeEntry] = []
    for n in range(draw(st.integers(*ENTRIES_PER_EXAMPLE))):
        for revision, facts in enumerate(draw(st.lists(revision_facts, min_size=1, max_size=4)), 1):
            revisions.append(time_entry(entry_id=f"TE-{n}", revision=revision, **facts))
    shuffler = draw(st.randoms(use_true_random=False))
    arrivals = revisions + shuffler.sample(revisions, shuffler.randrange(len(revisions) // 3 + 1))
    shuffler.shuffle(arrivals)
    return Scenario(cap=cap, arrivals=tuple(arrivals))


def _oracle_value(entry: TimeEntry) -> Decimal:
    """Return the charge an entry revision is worth, chosen and rounded independently of the code."""
    if entry.approval_status != "APPROVED" or not entry.billable:
        return Decimal("0.00")
    own = [(d, r) for d, r in BILL_RATES.get((entry.role, entry.resource_id), []) if d <= entry.work_date]
    general = [(d, r) for d, r in BILL_RATES[(entry.role, None)] if d <= entry.work_date]
    rate = Decimal(max(own or general)[1])
    return (entry.hours * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def _play(scenario: Scenario) -> tuple[MemoryLedger, list[BillingCommand]]:
    ctx = context()
    ledger = MemoryLedger(TERMS.project_id)
    ledger.apply(decide(None, inbound(TERMS.model_copy(update={"not_to_exceed": scenario.cap})), ctx))
    emitted: list[BillingCommand] = []
    for entry in scenario.arrivals:
        decision = decide(ledger, inbound(entry), ctx)
        ledger.apply(decision)
        emitted.extend(decision.commands)
    return ledger, emitted


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_posted_lines_reconcile_with_the_ledger_and_every_reversal_cancels_its_charge(
    scenario: Scenario,
) -> None:
    ledger, emitted = _play(scenario)
    figures = financials(ledger)

    assert figures.posted == sum((line.amount for cmd in emitted for line in cmd.lines), Decimal("0.00"))
    by_id = {cmd.command_id: (position, cmd) for position, cmd in enumerate(emitted)}
    assert len(by_id) == len(emitted), "command ids are unique"
    reversed_ids = [cmd.reverses_command_id for cmd in emitted if cmd.reverses_command_id]
    assert len(reversed_ids) == len(set(reversed_ids)), "no charge is reversed twice"
    for position, cmd in enumerate(emitted):
        assert cmd.amount == sum((line.amount for line in cmd.lines), Decimal("0.00"))
        if cmd.command_type is BillingCommandType.REVERSE_TIME_CHARGE:
            assert cmd.reverses_command_id is not None
            earlier, original = by_id[cmd.reverses_command_id]
            assert earlier < position
            assert original.command_type is BillingCommandType.POST_TIME_CHARGE
            assert [(x.hours, x.amount) for x in cmd.lines] == [
                (None if x.hours is None else -x.hours, -x.amount) for x in original.lines
            ]
            assert [x.model_dump(exclude={"hours", "amount"}) for x in cmd.lines] == [
                x.model_dump(exclude={"hours", "amount"}) for x in original.lines
            ]

    latest: dict[str, TimeEntry] = {}
    stale = 0
    for entry in scenario.arrivals:
        seen = latest.get(entry.entry_id)
        if seen is not None and entry.revision < seen.revision:
            stale += 1
        elif seen is None or entry.revision > seen.revision:
            latest[entry.entry_id] = entry
    assert figures.posted + figures.held == sum((_oracle_value(e) for e in latest.values()), Decimal("0.00"))
    assert scenario.cap is None or figures.posted <= scenario.cap
    assert figures.hours_total == sum(
        (e.hours for e in latest.values() if e.approval_status == "APPROVED"), 0
    )
    assert figures.ignored_time_revisions == stale
    assert through_json(ledger) == ledger
