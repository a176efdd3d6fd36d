"""Random forecast histories for property tests: P-1's contract versions, entries and assignments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from tests.support.factories import contract, resource_assignment, time_entry

APRIL = datetime(2026, 4, 16, 10, tzinfo=UTC)
EUR = {"home_legal_entity": "LE-DE", "cost_currency": "EUR", "cost_rate": Decimal("70.1234")}
DAYS = st.integers(0, 100).map(lambda n: date(2026, 3, 1) + timedelta(days=n))
TIMES = st.integers(-20, 60).map(lambda n: APRIL + timedelta(days=n))
RESOURCES = st.sampled_from(["R-ANA", "R-ANA", "R-BEN"])
ENTRIES = st.builds(
    lambda entry_id, revision, day, hours, billable, status, resource: time_entry(
        entry_id=entry_id,
        revision=revision,
        work_date=day,
        hours=Decimal(hours),
        billable=billable,
        approval_status=status,
        resource_id=resource,
    ),
    st.sampled_from(["T1", "T2", "T3", "T4", "T5"]),
    st.integers(1, 3),
    DAYS,
    st.sampled_from(["8.00", "7.25", "0.01", "3.33", "24"]),
    st.booleans(),
    st.sampled_from(["APPROVED", "APPROVED", "SUBMITTED", "REJECTED"]),
    RESOURCES,
)
ASSIGNMENTS = st.builds(
    lambda assignment_id, revision, start, length, hours, eur, status, resource: resource_assignment(
        resource,
        assignment_id=assignment_id,
        revision=revision,
        start_date=start,
        end_date=start + timedelta(days=length),
        hours_per_week=Decimal(hours),
        status=status,
        **(EUR if eur else {}),
    ),
    st.sampled_from(["A1", "A2", "A3"]),
    st.integers(1, 3),
    DAYS,
    st.integers(0, 70),
    st.sampled_from(["40.00", "20.00", "37.55"]),
    st.booleans(),
    st.sampled_from(["CONFIRMED", "CONFIRMED", "CANCELLED"]),
    RESOURCES,
)
CONTRACTS = st.builds(
    lambda version, model, currency, cost_rates: contract(
        contract_version=version,
        billing_model=model,
        currency=currency,
        **({} if cost_rates else {"cost_rates": ()}),
    ),
    st.integers(1, 3),
    st.sampled_from(["TIME_AND_MATERIALS", "FIXED_FEE", "MILESTONE"]),
    st.sampled_from(["USD", "USD", "EUR"]),
    st.booleans(),
)
PROJECT_BATCHES = st.lists(
    st.tuples(st.lists(st.one_of(CONTRACTS, ENTRIES, ASSIGNMENTS), min_size=0, max_size=4), TIMES),
    min_size=1,
    max_size=8,
)
PROJECT_EVENTS = st.lists(st.one_of(CONTRACTS, ENTRIES, ASSIGNMENTS), min_size=1, max_size=12)
RESOURCE_EVENTS = st.lists(st.one_of(ENTRIES, ASSIGNMENTS), min_size=1, max_size=12).map(
    lambda events: [e.model_copy(update={"resource_id": "R-ANA"}) for e in events]
)
RESOURCE_BATCHES = st.lists(
    st.tuples(st.lists(st.one_of(ENTRIES, ASSIGNMENTS), min_size=0, max_size=4), TIMES),
    min_size=1,
    max_size=8,
)
