"""The `psflow` command line: one entry point, one sub-command group per concern, all argument parsing here.

The top of the dependency rule: it may use every room, and nothing imports it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.cli import demo, environment, kafka, replay, schemas, topics, worker
from app.security.kafka_access import KafkaAccessError
from app.security.kafka_security import SettingsError

# A refused login, an untrusted certificate, a missing ACL or a bad setting: one line, no traceback.
REFUSED = 3

# Each module exposes `add_commands(subparsers)`; a sub-command sets `func(args) -> int` on its parser.
_COMMAND_GROUPS = (kafka, schemas, topics, worker, demo, replay, environment)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every command group registered."""
    parser = argparse.ArgumentParser(prog="psflow", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for group in _COMMAND_GROUPS:
        group.add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one psflow command and return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except (KafkaAccessError, SettingsError) as exc:
        print(f"psflow {args.command}: {exc}", file=sys.stderr)
        return REFUSED
    return status
