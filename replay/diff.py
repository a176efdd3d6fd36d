"""Diff what is live on erp.billing-commands against what the sandbox says should be live, per time entry.

Net per source item: an entry's live charges are its POST_TIME_CHARGE commands not reversed by any
REVERSE_TIME_CHARGE (whoever issued them: the worker or an earlier replay); what should be live are the
charges of the entry in the recomputed ledger. When the two differ in amount or in the rates, dates,
resources or roles they bill, every live charge is reversed and every recomputed charge is issued anew,
each posted by the worker's cut-off policy (domain.cutoff: a work date in a closed period posts in the first
open period, dated there). Nothing is corrected where the sandbox itself refused the entry or never saw
it: those are reported for an operator. Milestone bills have no reversing command
type, so a differing bill is reported, not corrected. Schedule updates carry no amount and are not diffed.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from decimal import Decimal
from typing import Literal

from domain.ledger.state import ZERO, Charge, EntryState
from domain.records.common import Envelope
from domain.records.erp import BillingCommand, BillingCommandType, BillingLine
from replay.corrections import corrected_charge, reversal
from replay.sandbox import Recomputed
from replay.selection import Frozen

Kind = Literal["REVERSE_AND_REISSUE", "REVERSE", "ISSUE"]
_POST = BillingCommandType.POST_TIME_CHARGE
_REVERSE = BillingCommandType.REVERSE_TIME_CHARGE
_BILL = BillingCommandType.BILL_MILESTONE


class Correction(Frozen):
    """The corrective commands of one time entry, reversals first."""

    project_id: str
    entry_id: str
    kind: Kind
    live_amount: Decimal
    correct_amount: Decimal
    commands: tuple[BillingCommand, ...]


class ProjectDiff(Frozen):
    """A project's corrections, totals and what an operator must look at."""

    project_id: str
    currency: str | None = None
    corrections: tuple[Correction, ...] = ()
    reversed_total: Decimal = ZERO
    reissued_total: Decimal = ZERO
    new_total: Decimal = ZERO
    unresolved: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()

    @property
    def net(self) -> Decimal:
        """Return the net amount the corrections post."""
        return self.reversed_total + self.reissued_total + self.new_total


def live_charges(commands: Iterable[BillingCommand]) -> dict[str, list[BillingCommand]]:
    """Return the unreversed time charges per entry, in issue order (duplicates of an id count once)."""
    posts: dict[str, BillingCommand] = {}
    reversed_ids: set[str] = set()
    for cmd in commands:
        if cmd.command_type is _POST:
            posts.setdefault(cmd.command_id, cmd)
        elif cmd.command_type is _REVERSE and cmd.reverses_command_id:
            reversed_ids.add(cmd.reverses_command_id)
    by_entry: dict[str, list[BillingCommand]] = {}
    for cmd in posts.values():
        entry = next((line.source_id for line in cmd.lines if line.source_id), None)
        if cmd.command_id not in reversed_ids and entry is not None:
            by_entry.setdefault(entry, []).append(cmd)
    return by_entry


def _facts(lines: Iterable[BillingLine]) -> tuple[Decimal, frozenset[tuple[object, ...]]]:
    lines = list(lines)
    total = sum((line.amount for line in lines), ZERO)
    return total, frozenset((line.rate, line.work_date, line.resource_id, line.role) for line in lines)


def diff_project(
    recomputed: Recomputed, live: Iterable[BillingCommand], closed: Set[str], replay_id: str
) -> ProjectDiff:
    """Return the corrections that make a project's live charges what the sandbox recomputed."""
    live_commands = list(live)
    ledger = recomputed.ledger
    contract = None if ledger is None else ledger.contract
    live_by_entry = live_charges(live_commands)
    entries: dict[str, EntryState] = {} if ledger is None else dict(ledger.entries)
    corrections: list[Correction] = []
    unresolved = _milestone_differences(recomputed, live_commands)
    blocked: list[str] = []
    for entry_id in sorted(set(entries) | set(live_by_entry)):
        current = live_by_entry.get(entry_id, [])
        state = entries.get(entry_id)
        should: tuple[Charge, ...] = () if state is None else state.charges
        live_lines = [line for cmd in current for line in cmd.lines]
        if _facts(live_lines) == _facts(c.line for c in should):
            continue
        if state is None or contract is None:
            unresolved.append(f"{entry_id}: charged live, not found (or parked) in the recomputed history")
            continue
        if state.applied_revision < state.revision:
            unresolved.append(f"{entry_id}: r{state.revision} is refused by today's rules; fix and re-drive")
            continue
        cause = recomputed.envelopes.get(state.source.event_id) or _fallback(current, contract.envelope)
        why = () if recomputed.reference is None else (recomputed.reference,)
        reversals = [reversal(cmd, cause, replay_id, why, closed) for cmd in current]
        replaced = tuple(cmd.command_id for cmd in current)
        charges = [corrected_charge(c, contract, cause, replay_id, replaced, why, closed) for c in should]
        kind: Kind = "REVERSE_AND_REISSUE" if current and should else ("REVERSE" if current else "ISSUE")
        corrections.append(
            Correction(
                project_id=recomputed.project_id,
                entry_id=entry_id,
                kind=kind,
                live_amount=_facts(live_lines)[0],
                correct_amount=_facts(c.line for c in should)[0],
                commands=(*reversals, *charges),
            )
        )
    return _totals(
        recomputed.project_id, contract.currency if contract else None, corrections, unresolved, blocked
    )


def _fallback(current: list[BillingCommand], default: Envelope) -> Envelope:
    return current[0].envelope if current else default


def _milestone_differences(recomputed: Recomputed, live: list[BillingCommand]) -> list[str]:
    was = {c.command_id: c.amount for c in live if c.command_type is _BILL}
    now = {c.command_id: c.amount for c in recomputed.commands if c.command_type is _BILL}
    return [
        f"{cid}: billed {was.get(cid)} live, {now.get(cid)} recomputed (milestone bills are not reversed)"
        for cid in sorted(set(was) | set(now))
        if was.get(cid) != now.get(cid)
    ]


def _totals(
    project_id: str,
    currency: str | None,
    corrections: list[Correction],
    unresolved: list[str],
    blocked: list[str],
) -> ProjectDiff:
    reversed_total = reissued = new = ZERO
    for correction in corrections:
        for cmd in correction.commands:
            if cmd.command_type is _REVERSE:
                reversed_total += cmd.amount
            elif correction.kind == "ISSUE":
                new += cmd.amount
            else:
                reissued += cmd.amount
    return ProjectDiff(
        project_id=project_id,
        currency=currency,
        corrections=tuple(corrections),
        reversed_total=reversed_total,
        reissued_total=reissued,
        new_total=new,
        unresolved=tuple(unresolved),
        blocked=tuple(blocked),
    )
