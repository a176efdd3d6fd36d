"""`preview`: recompute the plan's subjects in the sandbox and diff them against what was emitted."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime

from domain.records.erp import BillingCommand
from replay.audit import ReplayEnv
from replay.diff import ProjectDiff, diff_project
from replay.kafka_read import Reader
from replay.plan import Plan
from replay.sandbox import recompute
from replay.selection import Frozen
from replay.sources import read_calendar, read_commands, read_inputs

PREVIEW_FORMAT = 1


class Preview(Frozen):
    """A preview's result, sealed: the diff per project and the offsets it was computed at."""

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
    """Recompute every subject of the plan and diff it against erp.billing-commands (writes nothing)."""
    subjects = plan.subjects
    async with Reader(env.bootstrap) as reader:
        inputs = await read_inputs(env, reader, subjects)
        live, ends = await read_commands(env, reader, subjects)
        calendar = await read_calendar(env, reader)
    diffs = []
    for project in subjects:
        result = recompute(project, inputs.events.get(project, []), env.park_limit)
        contract = None if result.ledger is None else result.ledger.contract
        closed = calendar.closed_for(None if contract is None else contract.legal_entity)
        diffs.append(diff_project(result, live.get(project, []), closed, plan.replay_id))
    preview = Preview(
        plan_hash=plan.content_hash,
        replay_id=plan.replay_id,
        previewed_at=now or datetime.now(UTC),
        consumed=inputs.cut,
        commands_end=ends,
        projects=tuple(diffs),
        events_replayed=sum(len(v) for v in inputs.events.values()),
        undecodable=inputs.undecodable,
        unconsumed=inputs.unconsumed,
    )
    return preview.model_copy(update={"content_hash": _hash(preview)})


def report(preview: Preview) -> list[str]:
    """Render the diff for an operator: every corrective command, totals per project, open points."""
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
    if preview.unconsumed:
        lines.append(
            f"note: {preview.unconsumed} input record(s) of the selection not yet processed by the worker "
            "group: apply will refuse this preview"
        )
    lines.append("forecast.deltas: not diffed (billing corrections only; see replay/diff.py)")
    verdict = "diff is empty" if preview.is_empty() else f"{len(preview.commands())} corrective command(s)"
    lines.append(f"preview {preview.replay_id}: {verdict}")
    return lines


def as_json(preview: Preview) -> dict[str, Any]:
    """Return the preview as plain JSON data."""
    data: dict[str, Any] = preview.model_dump(mode="json")
    return data
