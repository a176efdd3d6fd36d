"""Apply the topic catalog to a cluster: create what is missing, report drift on what exists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from app.contracts.topics import CATALOG, TopicNames, TopicSpec
from app.security.kafka_clients import KafkaClients


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
    kafka: KafkaClients, prefix: str = "", catalog: Iterable[TopicSpec] = CATALOG
) -> ApplyReport:
    """Create missing topics and report drift; safe to run any number of times."""
    admin = kafka.admin(client_id="psflow-topics")
    await admin.start()
    try:
        return await _apply(admin, prefix, tuple(catalog))
    finally:
        await admin.close()


async def _apply(admin: AIOKafkaAdminClient, prefix: str, catalog: tuple[TopicSpec, ...]) -> ApplyReport:
    names = TopicNames(prefix)
    report = ApplyReport()
    brokers = len((await admin.describe_cluster())["brokers"])
    existing = set(await admin.list_topics())
    missing = [spec for spec in catalog if names.of(spec) not in existing]
    if missing:
        new_topics = []
        for spec in missing:
            # A one-broker dev cluster cannot hold 3 replicas: use what exists and say so.
            replication = min(spec.replication, brokers)
            if replication < spec.replication:
                report.notes.append(
                    f"{names.of(spec)}: replication {replication} (catalog {spec.replication}, "
                    f"{brokers} broker(s))"
                )
            new_topics.append(
                NewTopic(names.of(spec), spec.partitions, replication, topic_configs=spec.configs())
            )
        await admin.create_topics(new_topics)
        report.created = [names.of(s) for s in missing]
    present = [spec for spec in catalog if names.of(spec) in existing]
    if present:
        await _check_drift(admin, prefix, present, report)
    return report


async def _check_drift(
    admin: AIOKafkaAdminClient, prefix: str, specs: list[TopicSpec], report: ApplyReport
) -> None:
    names = [TopicNames(prefix).of(s) for s in specs]
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
