"""`apply`: emit exactly the preview's corrective commands, once, in transactions, with an audit record.

The producer's transactional id is derived from the replay id: a second apply of the same plan (a resumed
run, or a stale process that woke up) fences the first one, and Kafka aborts whatever it left open. Each
chunk of commands commits on its own, so an interrupted run keeps what it committed; a new run skips every
command id already on the topic under this replay, so it resumes and never emits one twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from app.contracts.topics import ERP_BILLING_COMMANDS, LEDGER_CORRECTIONS
from domain.records.erp import BillingCommand
from domain.records.governance import ReplayAction, ReplayAudit, ReplayResult
from replay import plan as plans
from replay import preview as previews
from replay.audit import Action, encoded, publish, publish_failure, render
from replay.env import ReplayEnv
from replay.kafka_read import Reader, Slice, committed
from replay.pacing import Progress, Throttle
from replay.selection import LEDGER_INPUTS
from replay.sources import read_commands, subject_partitions


class Refused(Exception):
    """The apply may not run; nothing was emitted."""


@dataclass(frozen=True)
class Applied:
    """What an apply did."""

    audit: ReplayAudit
    emitted: int
    skipped: int


def _declared_replay_id(plan_path: Path) -> str:
    try:
        declared = str(json.loads(plan_path.read_text()).get("content_hash", ""))
    except (OSError, ValueError):
        declared = ""
    return f"rpl-{declared[:16] or 'unreadable'}"


async def apply(
    env: ReplayEnv,
    plan_path: Path,
    operator: str,
    reason: str,
    rate: float | None = None,
    progress: bool = False,
    preview_file: Path | None = None,
) -> Applied:
    """Check the plan, the preview and the topic, then emit the corrections that are not there yet."""
    if not operator.strip() or not reason.strip():
        raise Refused("apply needs --operator and --reason: every correction must say who and why")
    action = Action(_declared_replay_id(plan_path), ReplayAction.APPLY, operator, reason, selection="")
    try:
        plan = plans.load(plan_path)
        action.selection = plan.selection.model_dump_json()
        action.plan_hash = plan.content_hash
        preview = previews.load(preview_file or previews.preview_path(plan_path))
        if preview.plan_hash != plan.content_hash:
            raise Refused(f"the preview is of plan {preview.plan_hash[:16]}, not of this plan")
        if preview.unconsumed:
            raise Refused(
                f"the worker group had not processed {preview.unconsumed} input(s) of the selection at the "
                "preview, so its diff may miss their commands: preview again once the group caught up"
            )
        present = await _check_unchanged(env, plan, preview)
    except (Refused, ValueError, OSError) as exc:
        audit = action.record(ReplayResult.REFUSED, message=str(exc))
        await publish(env, audit)
        raise Refused(str(exc)) from exc
    pending = [c for c in preview.commands() if c.command_id not in present]
    counts = {"commands": len(preview.commands()), "already_applied": len(preview.commands()) - len(pending)}
    emitted = await emit(env, plan.replay_id, pending, action, counts, preview, rate, progress)
    return Applied(audit=emitted, emitted=len(pending), skipped=counts["already_applied"])


async def _check_unchanged(env: ReplayEnv, plan: plans.Plan, preview: previews.Preview) -> set[str]:
    """Refuse if the subjects got new outputs or inputs since the preview; return this replay's ids there."""
    async with Reader(env.kafka) as reader:
        since, _ = await read_commands(env, reader, plan.subjects, preview.commands_end)
        ours: set[str] = set()
        for project, commands in since.items():
            foreign = [c.command_id for c in commands if c.replay_id != plan.replay_id]
            if foreign:
                raise Refused(
                    f"{project} has new commands since the preview ({', '.join(foreign[:5])}): preview again"
                )
            ours |= {c.command_id for c in commands}
        tps = [tp for spec in LEDGER_INPUTS for tp in subject_partitions(env, spec, plan.subjects)]
        now = await committed(env.kafka, env.group, tps)
        moved = [
            Slice(tp.topic, tp.partition, preview.consumed.get(f"{tp.topic}:{tp.partition}", 0), now[tp])
            for tp in tps
        ]
        for record in await reader.read(moved):
            if (record.key or b"").decode(errors="replace") in plan.subjects:
                raise Refused(
                    f"{record.topic}:{record.partition}@{record.offset} is a new input of the selection "
                    "processed since the preview: preview again"
                )
    return ours


async def emit(
    env: ReplayEnv,
    replay_id: str,
    pending: list[BillingCommand],
    action: Action,
    counts: dict[str, int],
    preview: previews.Preview,
    rate: float | None,
    progress: bool,
) -> ReplayAudit:
    """Emit the corrections chunk by chunk, each in a transaction, the SUCCEEDED audit with the last one.

    A chunk that fails aborts its transaction; the chunks before it stay committed, and a FAILED audit
    record says how many commands and chunks got out before the error is raised again.
    """
    throttle = Throttle(rate)
    bar = Progress(len(pending), f"apply {replay_id}", enabled=progress or len(pending) > 1000)
    # Named after the worker group: a cluster's ACLs grant psflow the transactional ids prefixed with it.
    producer = env.kafka.producer(transactional_id=f"{env.group}-replay-{replay_id}", acks="all")
    await producer.start()
    topic, ledger_topic = env.name(ERP_BILLING_COMMANDS), env.name(LEDGER_CORRECTIONS)
    size = throttle.chunk_size()
    chunks = [pending[i : i + size] for i in range(0, len(pending), size)] or [[]]
    committed = chunks_committed = 0
    try:
        for index, chunk in enumerate(chunks):
            async with producer.transaction():
                for command in chunk:
                    # Same transaction for the ERP and the worker's ledger: the ledger learns exactly the
                    # corrections the ERP got, or neither sees them.
                    value, key = env.codec.encode(command), command.project_id.encode()
                    await producer.send(topic, value=value, key=key)
                    await producer.send(ledger_topic, value=value, key=key)
                if index == len(chunks) - 1:
                    # The audit record commits with the last corrections: both are there, or neither.
                    audit = action.record(
                        ReplayResult.SUCCEEDED,
                        {**counts, "emitted": len(pending)},
                        preview.totals(),
                        message="nothing left to emit" if not pending else None,
                    )
                    audit_topic, key, value = encoded(env, audit)
                    await producer.send(audit_topic, value=value, key=key)
            committed += len(chunk)
            chunks_committed += 1
            bar.advance(len(chunk))
            await throttle.passed(len(chunk))
    except Exception as exc:
        got = {"emitted": committed, "chunks_committed": chunks_committed, "chunks": len(chunks)}
        message = (
            f"failed part-way: {committed} of {len(pending)} command(s) committed in "
            f"{got['chunks_committed']} of {len(chunks)} chunk(s), a resumed apply skips them: "
            f"{type(exc).__name__}: {exc}"
        )
        await publish_failure(env, action.record(ReplayResult.FAILED, {**counts, **got}, message=message))
        raise
    finally:
        await producer.stop()
    print(render(audit))
    return audit
