"""The `psflow` command line: one entry point, one sub-command group per concern."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module exposes `add_commands(subparsers)`; a sub-command sets `func(args) -> int` on its parser.
_COMMAND_MODULES = (
    "app.local_kafka",
    "app.schema_gate",
    "app.topic_admin",
    "app.worker",
    "app.demo",
    "replay.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every command group registered."""
    parser = argparse.ArgumentParser(prog="psflow", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one psflow command and return its exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
