"""Run one Faust worker of the psflow consumer group until it is told to stop."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import faust

from app.contracts.topics import CATALOG, ERP_ACCOUNTING_PERIODS, TopicNames
from app.contracts.topology import TICKS_PARTITIONS, TICKS_RETENTION_MS, ticks_topic
from app.faust_workarounds.worker import create_topic_before_start, discard_state_after_crash, without_spinner
from app.runtime.periods import PeriodFollower
from app.runtime.settings import Settings
from app.security.kafka_access import KafkaAccessError, check_access
from app.worker.assembly import create_app

ACCESS_REFUSED = 3


def run(settings: Settings) -> int:
    """Run a worker until it is told to stop (SIGINT/SIGTERM stop it cleanly)."""
    try:
        asyncio.run(check_worker_access(settings))
    except KafkaAccessError as exc:
        # Faust would retry a refused login or a missing ACL for ever: stop at once and say why.
        print(f"psflow worker: {exc}", file=sys.stderr)
        return ACCESS_REFUSED
    runtime = create_app(settings)
    # Closed periods must be known before the first posting decision, and before Faust starts.
    asyncio.run(
        PeriodFollower(runtime.periods).load(
            settings.kafka, runtime.topic_name(ERP_ACCOUNTING_PERIODS), runtime.codec
        )
    )
    replication = int(runtime.app.conf.topic_replication_factor)
    asyncio.run(
        create_topic_before_start(
            settings.kafka, ticks_topic(settings.app_id), TICKS_PARTITIONS, replication, TICKS_RETENTION_MS
        )
    )
    running = Path(settings.data_dir) / f"{settings.app_id}.running"
    discard_state_after_crash(running, Path(runtime.app.conf.tabledir))
    running.parent.mkdir(parents=True, exist_ok=True)
    running.touch()
    worker = without_spinner(faust.Worker(runtime.app, loglevel=settings.log_level, quiet=True))
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        if exit_.code in (0, None):
            running.unlink(missing_ok=True)
        raise
    running.unlink(missing_ok=True)
    return 0


async def check_worker_access(settings: Settings) -> None:
    """Check the worker can log in and use its topics, its group and (exactly once) its transactions."""
    names = TopicNames(settings.topic_prefix)
    # Faust's transactional ids are <app id>-<topic group>-<partition>; one stands for all.
    transactional = f"{settings.app_id}-0-0" if settings.processing_guarantee == "exactly_once" else None
    await check_access(
        settings.kafka,
        topics=[names.of(spec) for spec in CATALOG] + [ticks_topic(settings.app_id)],
        group=settings.app_id,
        transactional_id=transactional,
    )
