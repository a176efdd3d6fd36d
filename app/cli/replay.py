"""`psflow replay ...`: governed reprocessing of history after an incident (the operations are in replay/).

plan (read-only) -> preview (dry run, exit 1 when the diff is not empty) -> apply (audited, idempotent);
redrive re-publishes quarantined records; reset rebuilds the worker group's state; history lists the audit.
Settings come from PSFLOW_* (broker, topic prefix, app id = the worker group, park limit, closed periods).
Every command runs as the operator of the token in PSFLOW_OPERATOR_TOKEN(_FILE), with the role its action
needs (app.security.authorization); audit records name that operator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.cli.environment import settings
from app.contracts.codec import AvroCodec, load_versions
from app.contracts.subjects import AVRO_DIR
from app.runtime.settings import forecast_context
from app.security.authorization import Action, Operator, decide
from app.security.operators import CredentialError, OperatorRegistry, token_from_env
from domain.records.governance import ReplayAction, ReplayResult
from domain.records.ops import ExceptionReason
from replay import audit as audits
from replay import plan as plans
from replay import preview as previews
from replay.apply import Refused, apply
from replay.env import ReplayEnv
from replay.kafka_read import Reader
from replay.redrive import ExceptionFilter, NotRedrivable, redrive
from replay.reset import GroupActive, reset
from replay.selection import LEDGER_INPUTS, Selection, parse_offsets, parse_time, window

OK, DIFF, REFUSED = 0, 1, 2
# The audit action of a refused attempt, for the commands that write audit records.
_AUDITED = {
    Action.PREVIEW: ReplayAction.PREVIEW,
    Action.APPLY: ReplayAction.APPLY,
    Action.REDRIVE: ReplayAction.REDRIVE,
    Action.REDRIVE_DRY_RUN: ReplayAction.REDRIVE,
    Action.RESET_DRY_RUN: ReplayAction.RESET,
    Action.RESET_EXECUTE: ReplayAction.RESET,
}


class NotAllowed(Exception):
    """The command's operator is unknown or lacks the role; nothing was done."""


async def operator_for(action: Action, args: argparse.Namespace, env: ReplayEnv) -> Operator:
    """Return the authenticated operator of this process if it may do `action`; raise NotAllowed if not."""
    configured = settings().operators_file
    if configured is None:
        raise NotAllowed(f"{action.value} needs operators: PSFLOW_OPERATORS_FILE is not set")
    try:
        operator = OperatorRegistry.load(configured).identify(token_from_env())
    except CredentialError as exc:
        raise NotAllowed(str(exc)) from None
    decision = decide(operator, action)
    if operator is None:
        raise NotAllowed(
            f"{decision.reason}: set PSFLOW_OPERATOR_TOKEN or PSFLOW_OPERATOR_TOKEN_FILE to a token whose "
            "SHA-256 is in PSFLOW_OPERATORS_FILE"
        )
    claimed = getattr(args, "operator", None)
    allowed, message = decision.allowed, decision.reason
    if claimed is not None and claimed != operator.name:
        allowed, message = (
            False,
            f"--operator {claimed} is not the operator of the credential ({operator.name})",
        )
    if not allowed:
        if action in _AUDITED:  # a refused attempt by a known operator is audited under their name
            why = getattr(args, "reason", None) or ""
            refused = audits.Action("rpl-refused", _AUDITED[action], operator.name, why, selection="")
            await audits.publish(env, refused.record(ReplayResult.REFUSED, message=message))
        raise NotAllowed(message)
    return operator


def environment(avro_dir: Path = AVRO_DIR) -> ReplayEnv:
    """Build the replay environment from PSFLOW_* settings and the released schemas."""
    current = settings()
    versions = load_versions(avro_dir)
    return ReplayEnv(
        kafka=current.kafka,
        prefix=current.topic_prefix,
        group=current.app_id,
        codec=AvroCodec(versions),
        index=plans.SchemaIndex(versions),
        park_limit=current.park_limit,
        closed_periods=frozenset(current.closed_periods),
    )


def _selection(args: argparse.Namespace) -> Selection:
    since, until = window(args.since, args.until, args.last, datetime.now(UTC))
    offsets = tuple(parse_offsets(o) for o in args.offsets or ())
    topics = tuple(args.topics.split(",")) if args.topics else tuple(s.name for s in LEDGER_INPUTS)
    if offsets:
        topics = tuple(dict.fromkeys(o.topic for o in offsets))
    return Selection(
        topics=topics,
        window_from=since,
        window_to=until,
        offsets=offsets,
        projects=tuple(args.project or ()),
        resources=tuple(args.resource or ()),
    )


async def _plan(args: argparse.Namespace) -> int:
    env = environment(args.avro_dir)
    operator = await operator_for(Action.PLAN, args, env)
    selection = _selection(args)
    action = audits.Action(
        "rpl-unplanned",
        ReplayAction.PLAN,
        operator.name,
        getattr(args, "reason", None) or "",
        selection=selection.model_dump_json(),
    )
    try:
        async with Reader(env.kafka) as reader:
            plan = await plans.build(reader, selection, env.prefix, env.codec, env.index, datetime.now(UTC))
        plans.save(plan, args.out)
    except Exception as exc:
        message = f"plan failed: {type(exc).__name__}: {exc}"
        await audits.publish_failure(env, action.record(ReplayResult.FAILED, message=message))
        raise
    # Read-only, but audited: who looked at which slice of history, and what it matched.
    action.replay_id, action.plan_hash = plan.replay_id, plan.content_hash
    counts = {"subjects": len(plan.subjects), **{f"matched.{k}": v for k, v in sorted(plan.matched.items())}}
    await audits.publish(env, action.record(ReplayResult.SUCCEEDED, counts, message=f"written to {args.out}"))
    print(json.dumps(plans.summary(plan), indent=2))
    print(f"plan written to {args.out}")
    return OK


async def _preview(args: argparse.Namespace) -> int:
    # Today's forecast reference data (PSFLOW_FORECAST_CONFIG), which the forecast diff recomputes with.
    env = replace(environment(args.avro_dir), forecast=forecast_context(settings()))
    operator = await operator_for(Action.PREVIEW, args, env)
    action = audits.Action("rpl-unreadable", ReplayAction.PREVIEW, operator.name, args.reason, selection="")
    try:
        plan = plans.load(args.plan)
    except (ValueError, OSError) as exc:
        await audits.publish(env, action.record(ReplayResult.REFUSED, message=str(exc)))
        return REFUSED
    action.replay_id, action.plan_hash = plan.replay_id, plan.content_hash
    action.selection = plan.selection.model_dump_json()
    preview = await previews.compute(env, plan)
    previews.save(preview, previews.preview_path(args.plan))
    print("\n".join(previews.report(preview)))
    await audits.publish(env, action.record(ReplayResult.DRY_RUN, preview.counts(), preview.totals()))
    return OK if preview.is_empty() else DIFF


async def _apply(args: argparse.Namespace) -> int:
    env = environment(args.avro_dir)
    operator = await operator_for(Action.APPLY, args, env)
    try:
        applied = await apply(env, args.plan, operator.name, args.reason or "", args.rate, args.progress)
    except Refused as exc:
        print(f"apply refused: {exc}", file=sys.stderr)
        return REFUSED
    print(f"apply {applied.audit.replay_id}: {applied.emitted} emitted, {applied.skipped} already there")
    return OK


async def _redrive(args: argparse.Namespace) -> int:
    env = environment(args.avro_dir)
    operator = await operator_for(Action.REDRIVE_DRY_RUN if args.dry_run else Action.REDRIVE, args, env)
    since, until = window(args.since, args.until, args.last, datetime.now(UTC))
    selection = ExceptionFilter(
        reason=None if args.exception_reason is None else ExceptionReason(args.exception_reason),
        projects=tuple(args.project or ()),
        since=since,
        until=until,
    )
    try:
        done = await redrive(
            env, selection, operator.name, args.reason, args.rate, dry_run=args.dry_run, wait_s=args.wait
        )
    except NotRedrivable as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return REFUSED
    print(
        f"redrive {done.replay_id}: {done.selected} selected, {done.sent} re-published, "
        f"{done.already} re-driven before, {done.resolved} resolved, {done.failed} failed again"
    )
    return OK


async def _reset(args: argparse.Namespace) -> int:
    env = environment(args.avro_dir)
    operator = await operator_for(Action.RESET_EXECUTE if args.execute else Action.RESET_DRY_RUN, args, env)
    to = None if args.to_datetime is None else parse_time(args.to_datetime)
    data_dirs = args.data_dir or [settings().data_dir]
    try:
        await reset(env, data_dirs, to, args.execute, operator.name, args.reason)
    except GroupActive as exc:
        print(f"reset refused: {exc}", file=sys.stderr)
        return REFUSED
    return OK


async def _history(args: argparse.Namespace) -> int:
    env = environment(args.avro_dir)
    await operator_for(Action.HISTORY, args, env)
    found = await audits.history(env, args.replay_id)
    lines = [audits.render(a) for a in found] if args.json else audits.table(found)
    print("\n".join(lines))
    return OK


def _run(handler: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            status: int = asyncio.run(handler(args))
        except NotAllowed as exc:
            print(f"psflow replay {args.replay_command}: refused: {exc}", file=sys.stderr)
            return REFUSED
        return status

    return run


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--avro-dir", type=Path, default=AVRO_DIR, help="released schemas")


def _who(parser: argparse.ArgumentParser, reason: str | None = None) -> None:
    parser.add_argument(
        "--operator", help="must match the operator of PSFLOW_OPERATOR_TOKEN(_FILE), who is audited"
    )
    parser.add_argument("--reason", default=reason, help="why (audited)")


def add_commands(subparsers: Any) -> None:
    """Register `psflow replay plan|preview|apply|redrive|reset|history`."""
    replay = subparsers.add_parser("replay", help="plan, preview, apply, redrive, reset, history")
    commands = replay.add_subparsers(dest="replay_command", required=True)

    plan = commands.add_parser("plan", help="select history and write a hashed plan file (read-only)")
    plan.add_argument("--topics", help="comma-separated source topics (default: the ledger's inputs)")
    plan.add_argument(
        "--from", dest="since", help="window start, ISO-8601 with offset (e.g. 2026-03-01T00:00Z)"
    )
    plan.add_argument("--to", dest="until", help="window end (exclusive), ISO-8601 with offset")
    plan.add_argument("--last", help="window: the last duration, e.g. 6h, 7d")
    plan.add_argument("--offsets", action="append", help="TOPIC:PARTITION:START-END (repeatable)")
    plan.add_argument("--project", action="append", help="project id (repeatable)")
    plan.add_argument("--resource", action="append", help="resource id (repeatable)")
    plan.add_argument("--out", type=Path, required=True, help="plan file to write")
    _who(plan, reason="plan")
    _common(plan)
    plan.set_defaults(func=_run(_plan))

    preview = commands.add_parser("preview", help="dry run: diff recomputed against emitted; exit 1 if any")
    preview.add_argument("--plan", type=Path, required=True)
    _who(preview, reason="preview")
    _common(preview)
    preview.set_defaults(func=_run(_preview))

    applying = commands.add_parser("apply", help="emit the preview's corrective commands (audited)")
    applying.add_argument("--plan", type=Path, required=True)
    _who(applying)
    applying.add_argument("--rate", type=float, help="commands per second at most")
    applying.add_argument("--progress", action="store_true", help="always draw the progress bar")
    _common(applying)
    applying.set_defaults(func=_run(_apply))

    redriving = commands.add_parser("redrive", help="re-publish the records of open exceptions (audited)")
    redriving.add_argument("--exception-reason", choices=[r.value for r in ExceptionReason])
    redriving.add_argument("--project", action="append", help="project id (repeatable)")
    redriving.add_argument("--from", dest="since", help="raised at or after, ISO-8601 with offset")
    redriving.add_argument("--to", dest="until", help="raised before, ISO-8601 with offset")
    redriving.add_argument("--last", help="raised in the last duration, e.g. 2h")
    redriving.add_argument("--rate", type=float, help="records per second at most")
    redriving.add_argument(
        "--wait", type=float, default=30.0, help="seconds to wait for the worker's verdicts (default 30)"
    )
    redriving.add_argument("--dry-run", action="store_true", help="select and report, send nothing")
    _who(redriving, reason="redrive after the cause was fixed")
    _common(redriving)
    redriving.set_defaults(func=_run(_redrive))

    resetting = commands.add_parser("reset", help="rebuild the worker group's state (dry run by default)")
    resetting.add_argument(
        "--to-datetime", help="re-consume from this time instead of rebuilding from the start"
    )
    resetting.add_argument("--data-dir", type=Path, action="append", help="worker data dir (repeatable)")
    resetting.add_argument("--execute", action="store_true", help="do it (default: print what it would do)")
    _who(resetting, reason="rebuild state")
    _common(resetting)
    resetting.set_defaults(func=_run(_reset))

    history = commands.add_parser("history", help="list past replay runs from governance.replay-audit")
    history.add_argument("--replay-id", help="only this replay")
    history.add_argument("--json", action="store_true", help="one JSON audit record per line")
    _common(history)
    history.set_defaults(func=_run(_history))
