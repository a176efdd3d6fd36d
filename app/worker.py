"""`psflow worker`: run one Faust worker of the psflow consumer group."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any

import faust

from app.faust_app import create_app
from app.settings import Settings
from app.topic_admin import ensure_topic
from app.topics import ERP_ACCOUNTING_PERIODS, PROJECT_PARTITIONS, TICKS_RETENTION_MS, ticks_topic

log = logging.getLogger(__name__)


def run(settings: Settings) -> int:
    """Run a worker until it is told to stop (SIGINT/SIGTERM stop it cleanly)."""
    runtime = create_app(settings)
    # Closed periods must be known before the first posting decision, and before Faust starts.
    asyncio.run(
        runtime.periods.load(settings.broker, runtime.topic_name(ERP_ACCOUNTING_PERIODS), runtime.codec)
    )
    # Created before Faust subscribes: a topic Faust creates at start may be missing from the metadata when
    # it subscribes, and Faust then ignores it until the next rebalance (no ticks, no parked-item sweep).
    replication = int(runtime.app.conf.topic_replication_factor)
    ticks = ticks_topic(settings.app_id)
    asyncio.run(ensure_topic(settings.broker, ticks, PROJECT_PARTITIONS, replication, TICKS_RETENTION_MS))
    running = Path(settings.data_dir) / f"{settings.app_id}.running"
    discard_state_after_crash(running, Path(runtime.app.conf.tabledir))
    running.parent.mkdir(parents=True, exist_ok=True)
    running.touch()
    worker = faust.Worker(runtime.app, loglevel=settings.log_level, quiet=True)
    # At WARNING and above Faust's terminal spinner sets the root logger to DEBUG so that every record spins
    # it: each send then builds a debug record (a tenth of a busy worker's time). Workers need no spinner.
    worker.spinner = None
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        if exit_.code in (0, None):
            running.unlink(missing_ok=True)
        raise
    running.unlink(missing_ok=True)
    return 0


def discard_state_after_crash(running: Path, tabledir: Path) -> bool:
    """Delete local table state if the last run of this worker did not stop cleanly.

    A killed worker's RocksDB may hold writes whose changelog transaction Kafka then aborted: their input
    records are read again and would meet state that already contains them (a stale revision counted twice,
    a command not re-emitted). The changelog, read committed, matches the committed offsets exactly, so the
    tables are rebuilt from it. After a clean stop local state equals committed state, because agents save
    state only once outputs are acknowledged and ack without awaiting anything in between.
    """
    if not running.exists():
        return False
    log.warning("last run did not stop cleanly: rebuilding tables in %s from their changelogs", tabledir)
    shutil.rmtree(tabledir, ignore_errors=True)
    return True


def _worker_command(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {}
    if args.web_port is not None:
        overrides["web_port"] = args.web_port
    return run(Settings.from_env(overrides))


def add_commands(subparsers: Any) -> None:
    """Register `psflow worker`."""
    parser = subparsers.add_parser("worker", help="run a stream-processing worker (settings: PSFLOW_* env)")
    parser.add_argument("--web-port", type=int, help="HTTP port (default PSFLOW_WEB_PORT or 6066)")
    parser.set_defaults(func=_worker_command)
