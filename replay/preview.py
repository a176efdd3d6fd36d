"""`preview`: recompute the plan's subjects in the sandbox and diff them against what was emitted.

Billing commands are diffed for correction; project forecasts are diffed for information only: `apply`
emits billing commands and never corrects forecast.deltas.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime

from domain.records.erp import BillingCommand
from replay.diff import ProjectDiff, diff_project
from replay.env import ReplayEnv
from replay.forecast_diff import ForecastDiff, forecast_diff
from replay.kafka_read import Reader
from replay.plan import Plan
from replay.sandbox import recompute
from replay.selection import Frozen
from replay.sources import read_assignments, read_calendar, read_commands, read_deltas, read_inputs

PREVIEW_FORMAT = 1


class Preview(Frozen):
    """A preview's result, sealed: the diffs per project and the offsets they were computed at."""

    format: int = PREVIEW_FORMAT
    plan_hash: str
    replay_id: str
    previewed_at: AwareDatetime
    consumed: dict[str, int]
    commands_end: dict[str, int]
    projects: tuple[ProjectDiff, ...]
    events_replayed: int
    undecodable: int
    unconsumed: int
    # Informational, never applied; defaults keep previews written before the forecast diff loadable.
    forecasts: tuple[ForecastDiff, ...] = ()
    forecast_unconsumed: int = 0
    content_hash: str = ""

    def commands(self) -> list[BillingCommand]:
        """Return every corrective command in emission order (per entry: reversals, then charges)."""
        return [cmd for p in self.projects for c in p.corrections for cmd in c.commands]

    def is_empty(self) -> bool:
        """Tell whether nothing would be corrected."""
        return not self.commands()

    def totals(self) -> dict[str, Decimal]:
        """Return the diff totals for the audit record, per project and overall."""
        out: dict[str, Decimal] = {}
        for p in self.projects:
            if p.corrections:
                out[f"{p.project_id}.reversed"] = p.reversed_total
                out[f"{p.project_id}.reissued"] = p.reissued_total
                out[f"{p.project_id}.new"] = p.new_total
                out[f"{p.project_id}.net"] = p.net
        return out

    def counts(self) -> dict[str, int]:
        """Return the counts for the audit record."""
        cmds = self.commands()
        return {
            "projects": len(self.projects),
            "corrections": sum(len(p.corrections) for p in self.projects),
            "commands": len(cmds),
            "reversals": sum(1 for c in cmds if c.reverses_command_id),
            "unresolved": sum(len(p.unresolved) for p in self.projects),
            "blocked": sum(len(p.blocked) for p in self.projects),
            "events_replayed": self.events_replayed,
            "forecast_differing": sum(len(f.differing) for f in self.forecasts),
            "forecast_missing_live": sum(len(f.missing_live) for f in self.forecasts),
            "forecast_live_only": sum(len(f.live_only) for f in self.forecasts),
        }


def _hash(preview: Preview) -> str:
    body = preview.model_dump(mode="json", exclude={"content_hash"})
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def preview_path(plan_path: Path) -> Path:
    """Return where the preview of a plan file is kept."""
    return plan_path.with_name(plan_path.name + ".preview.json")


def save(preview: Preview, path: Path) -> None:
    """Write a sealed preview."""
    path.write_text(preview.model_dump_json(indent=2) + "\n")


def load(path: Path) -> Preview:
    """Read a preview and check its hash."""
    preview = Preview.model_validate_json(path.read_text())
    if _hash(preview) != preview.content_hash:
        raise ValueError(f"{path}: content hash does not match: the preview was edited")
    return preview


async def compute(env: ReplayEnv, plan: Plan, now: datetime | None = None) -> Preview:
    """Recompute every subject of the plan; diff it against erp.billing-commands and forecast.deltas."""
    subjects = plan.subjects
    async with Reader(env.kafka) as reader:
        inputs = await read_inputs(env, reader, subjects)
        live, ends = await read_commands(env, reader, subjects)
        calendar = await read_calendar(env, reader)
        assignments = await read_assignments(env, reader, subjects)
        deltas = await read_deltas(env, reader, subjects)
    diffs, forecasts = [], []
    for project in subjects:
        history = inputs.events.get(project, [])
        result = recompute(project, history, env.park_limit)
        contract = None if result.ledger is None else result.ledger.contract
        closed = calendar.closed_for(None if contract is None else contract.legal_entity)
        diffs.append(diff_project(result, live.get(project, []), closed, plan.replay_id))
        planned = assignments.events.get(project, [])
        forecasts.append(forecast_diff(project, history, planned, deltas.get(project, []), env.forecast))
    preview = Preview(
        plan_hash=plan.content_hash,
        replay_id=plan.replay_id,
        previewed_at=now or datetime.now(UTC),
        consumed={**inputs.cut, **assignments.cut},
        commands_end=ends,
        projects=tuple(diffs),
        events_replayed=sum(len(v) for v in inputs.events.values()),
        undecodable=inputs.undecodable,
        unconsumed=inputs.unconsumed,
        forecasts=tuple(forecasts),
        forecast_unconsumed=assignments.unconsumed,
    )
    return preview.model_copy(update={"content_hash": _hash(preview)})


def report(preview: Preview) -> list[str]:
    """Render the diff for an operator: corrective commands, totals and forecast differences per project."""
    forecasts = {f.project_id: f for f in preview.forecasts}
    lines = []
    for p in preview.projects:
        lines.append(f"project {p.project_id} ({p.currency or '-'}): {len(p.corrections)} correction(s)")
        for c in p.corrections:
            lines.append(f"  {c.entry_id}: {c.kind} live {c.live_amount} -> correct {c.correct_amount}")
            lines += [f"    {cmd.command_type.value:20} {cmd.command_id}  {cmd.amount}" for cmd in c.commands]
        if p.corrections:
            lines.append(
                f"  totals: reversed {p.reversed_total}  re-issued {p.reissued_total}  "
                f"new {p.new_total}  net {p.net}"
            )
        lines += [f"  unresolved: {u}" for u in p.unresolved]
        lines += [f"  blocked: {b}" for b in p.blocked]
        if p.project_id in forecasts:
            lines += _forecast_lines(forecasts[p.project_id])
    if preview.unconsumed:
        lines.append(
            f"note: {preview.unconsumed} input record(s) of the selection not yet processed by the worker "
            "group: apply will refuse this preview"
        )
    if preview.forecast_unconsumed:
        lines.append(
            f"note: {preview.forecast_unconsumed} assignment(s) of the selection not yet processed by the "
            "worker group: their forecast deltas may be live but not recomputed"
        )
    counts = preview.counts()
    lines.append(
        f"forecast.deltas: {counts['forecast_differing']} metric(s) differ, "
        f"{counts['forecast_missing_live']} missing live, {counts['forecast_live_only']} live only; "
        "project subjects only (resource subjects not diffed); informational: apply emits billing "
        "commands only and does not correct forecasts"
    )
    differing = counts["forecast_differing"]
    verdict = f"{len(preview.commands())} corrective command(s)"
    if preview.is_empty():
        # The verdict, like the exit status, is about billing: say so where the forecast differs.
        verdict = "billing diff is empty" if differing else "diff is empty"
    if differing:
        verdict += f"; forecast: {differing} metric(s) differ (informational, not applied)"
    lines.append(f"preview {preview.replay_id}: {verdict}")
    return lines


def _forecast_lines(diff: ForecastDiff) -> list[str]:
    """Render one project's forecast diff: a summary, then every metric that differs or is on one side."""
    lines = [
        f"  forecast: {len(diff.differing)} metric(s) differ, {len(diff.missing_live)} missing live, "
        f"{len(diff.live_only)} live only ({diff.compared} compared, {diff.events} input(s) replayed)"
    ]
    lines += [f"    differs: {m.describe()}" for m in diff.differing]
    lines += [f"    missing live: {m.describe()}" for m in diff.missing_live]
    lines += [f"    live only: {m.describe()}" for m in diff.live_only]
    return lines


def as_json(preview: Preview) -> dict[str, Any]:
    """Return the preview as plain JSON data."""
    data: dict[str, Any] = preview.model_dump(mode="json")
    return data
