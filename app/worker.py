"""`psflow worker`: run one Faust worker of the psflow consumer group."""

from __future__ import annotations

import argparse
from typing import Any

import faust

from app.faust_app import create_app
from app.settings import Settings


def run(settings: Settings) -> int:
    """Run a worker until it is told to stop (SIGINT/SIGTERM stop it cleanly)."""
    runtime = create_app(settings)
    worker = faust.Worker(runtime.app, loglevel=settings.log_level, quiet=True)
    worker.execute_from_commandline()
    return 0


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
