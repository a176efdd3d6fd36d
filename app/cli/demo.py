"""`psflow demo`: the pipeline on demo data against the local broker (what `make run` runs)."""

from __future__ import annotations

from typing import Any

from app.devkit.demo import run_demo


def add_commands(subparsers: Any) -> None:
    """Register `psflow demo`."""
    parser = subparsers.add_parser("demo", help="run the pipeline on demo data against the local broker")
    parser.add_argument("--web-port", type=int, default=6066)
    parser.set_defaults(func=lambda args: run_demo(args.web_port))
