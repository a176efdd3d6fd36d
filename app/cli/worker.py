"""`psflow worker`: run a stream-processing worker (settings: PSFLOW_* environment)."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.environment import settings
from app.worker.run import run


def _worker_command(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {}
    if args.web_port is not None:
        overrides["web_port"] = args.web_port
    return run(settings(overrides))


def add_commands(subparsers: Any) -> None:
    """Register `psflow worker`."""
    parser = subparsers.add_parser("worker", help="run a stream-processing worker (settings: PSFLOW_* env)")
    parser.add_argument("--web-port", type=int, help="HTTP port (default PSFLOW_WEB_PORT or 6066)")
    parser.set_defaults(func=_worker_command)
