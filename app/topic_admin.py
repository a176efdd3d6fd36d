"""Apply the topic catalog to a cluster: create what is missing, report drift on what exists."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from app.settings import Settings
from app.topics import CATALOG, TopicSpec


@dataclass
class ApplyReport:
    """What `topics apply` did and found."""

    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Render the report for an operator."""
        out = [f"created   {n}" for n in self.created]
        out += [f"ok        {n}" for n in self.unchanged]
        out += [f"DRIFT     {d}" for d in self.drift]
        out += [f"note      {n}" for n in self.notes]
        return out


async def apply_catalog(
    bootstrap: str, prefix: str = "", catalog: Iterable[TopicSpec] = CATALOG
) -> ApplyReport:
    """Create missing topics and report drift; safe to run any number of times."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="psflow-topics")
    await admin.start()
    try:
        return await _apply(admin, prefix, tuple(catalog))
    finally:
        await admin.close()


async def ensure_topic(
    bootstrap: str, name: str, partitions: int, replication: int, retention_ms: int, timeout_s: float = 30.0
) -> None:
    """Create an internal topic if missing and wait until the cluster's metadata lists it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="psflow-topics")
    await admin.start()
    try:
        if name not in await admin.list_topics():
            brokers = len((await admin.describe_cluster())["brokers"])
            configs = {"retention.ms": str(retention_ms)}
            topic = NewTopic(name, partitions, min(replication, brokers), topic_configs=configs)
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker of the group was first
                await admin.create_topics([topic])
        deadline = asyncio.get_running_loop().time() + timeout_s
        while name not in await admin.list_topics():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"topic {name} not in the cluster metadata after {timeout_s}s")
            await asyncio.sleep(0.1)  # polling interval while the controller propagates the topic
    finally:
        await admin.close()


async def _apply(admin: AIOKafkaAdminClient, prefix: str, catalog: tuple[TopicSpec, ...]) -> ApplyReport:
    report = ApplyReport()
    brokers = len((await admin.describe_cluster())["brokers"])
    existing = set(await admin.list_topics())
    missing = [spec for spec in catalog if prefix + spec.name not in existing]
    if missing:
        new_topics = []
        for spec in missing:
            # A one-broker dev cluster cannot hold 3 replicas: use what exists and say so.
            replication = min(spec.replication, brokers)
            if replication < spec.replication:
                report.notes.append(
                    f"{prefix + spec.name}: replication {replication} (catalog {spec.replication}, "
                    f"{brokers} broker(s))"
                )
            new_topics.append(
                NewTopic(prefix + spec.name, spec.partitions, replication, topic_configs=spec.configs())
            )
        await admin.create_topics(new_topics)
        report.created = [prefix + s.name for s in missing]
    present = [spec for spec in catalog if prefix + spec.name in existing]
    if present:
        await _check_drift(admin, prefix, present, report)
    return report


async def _check_drift(
    admin: AIOKafkaAdminClient, prefix: str, specs: list[TopicSpec], report: ApplyReport
) -> None:
    names = [prefix + s.name for s in specs]
    partitions = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(names)}
    configs = await _topic_configs(admin, names)
    for spec, name in zip(specs, names, strict=True):
        problems = []
        if partitions.get(name) != spec.partitions:
            problems.append(f"partitions {partitions.get(name)} (catalog {spec.partitions})")
        for key, wanted in spec.configs().items():
            actual = configs.get(name, {}).get(key)
            if actual != wanted:
                problems.append(f"{key}={actual} (catalog {wanted})")
        if problems:
            report.drift.append(f"{name}: " + ", ".join(problems))
        else:
            report.unchanged.append(name)


async def _topic_configs(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
    result: dict[str, dict[str, str]] = {}
    for response in await admin.describe_configs(resources):
        for resource in response.resources:
            _error_code, _error_message, _type, name, entries = resource[:5]
            result[name] = {entry[0]: entry[1] for entry in entries}
    return result


def _apply_command(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    bootstrap = args.bootstrap or settings.broker
    prefix = settings.topic_prefix if args.prefix is None else args.prefix
    report = asyncio.run(apply_catalog(bootstrap, prefix))
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
