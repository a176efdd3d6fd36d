"""Run one Faust worker of the psflow consumer group until it is told to stop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import faust

from app.contracts.topics import ERP_ACCOUNTING_PERIODS
from app.contracts.topology import TICKS_PARTITIONS, TICKS_RETENTION_MS, ticks_topic
from app.faust_workarounds.worker import create_topic_before_start, discard_state_after_crash, without_spinner
from app.runtime.periods import PeriodFollower
from app.runtime.settings import Settings
from app.worker.assembly import create_app


def run(settings: Settings) -> int:
    """Run a worker until it is told to stop (SIGINT/SIGTERM stop it cleanly)."""
    runtime = create_app(settings)
    # Closed periods must be known before the first posting decision, and before Faust starts.
    asyncio.run(
        PeriodFollower(runtime.periods).load(
            settings.broker, runtime.topic_name(ERP_ACCOUNTING_PERIODS), runtime.codec
        )
    )
    replication = int(runtime.app.conf.topic_replication_factor)
    asyncio.run(
        create_topic_before_start(
            settings.broker, ticks_topic(settings.app_id), TICKS_PARTITIONS, replication, TICKS_RETENTION_MS
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
