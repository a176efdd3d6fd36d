"""`psflow topics apply | list`: the topic catalog on a cluster."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from app.cli.environment import settings
from app.contracts.topics import CATALOG, TopicNames
from app.runtime.topic_admin import apply_catalog
from app.security.kafka_access import check_access


def _apply_command(args: argparse.Namespace) -> int:
    current = settings({"broker": args.bootstrap} if args.bootstrap else None)
    bootstrap = current.broker
    prefix = current.topic_prefix if args.prefix is None else args.prefix
    asyncio.run(check_access(current.kafka, topics=[TopicNames(prefix).of(spec) for spec in CATALOG]))
    report = asyncio.run(apply_catalog(current.kafka, prefix))
    for line in report.lines():
        print(line)
    print(f"topics apply: {len(report.created)} created, {len(report.drift)} drifted on {bootstrap}")
    return 1 if report.drift else 0


def _list_command(_args: argparse.Namespace) -> int:
    for spec in CATALOG:
        retention = "forever" if spec.retention_ms < 0 else f"{spec.retention_ms // 86_400_000}d"
        print(
            f"{spec.name:26} {spec.partitions:>2}p  key={spec.key:12} value={spec.value_subject:20} "
            f"{spec.cleanup_policy}/{retention:8} {spec.compatibility:20} owner={spec.owner}"
        )
    return 0


def add_commands(subparsers: Any) -> None:
    """Register `psflow topics apply|list`."""
    topics = subparsers.add_parser("topics", help="topic catalog").add_subparsers(
        dest="topics_command", required=True
    )
    apply = topics.add_parser("apply", help="create missing topics, report drift (exit 1 on drift)")
    apply.add_argument("--bootstrap", help="broker (default: PSFLOW_BROKER or the local broker)")
    apply.add_argument("--prefix", help="topic name prefix (default: PSFLOW_TOPIC_PREFIX)")
    apply.set_defaults(func=_apply_command)
    listing = topics.add_parser("list", help="print the catalog")
    listing.set_defaults(func=_list_command)
