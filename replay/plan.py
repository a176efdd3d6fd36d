"""`plan`: resolve a selection to offsets, count what it matches, and seal it in a hashed JSON file."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from aiokafka.structs import TopicPartition
from pydantic import AwareDatetime

from app.contracts.codec import HEADER_SIZE, MAGIC, AvroCodec, DecodeError, SchemaVersion
from domain.records.common import Event
from replay.kafka_read import Raw, Reader, Slice
from replay.selection import Frozen, OffsetRange, Selection, keyed_partitions

PLAN_FORMAT = 1


class Plan(Frozen):
    """A sealed selection: the offsets it resolved to, what it matched, and a hash of all of it."""

    format: int = PLAN_FORMAT
    created_at: AwareDatetime
    topic_prefix: str
    selection: Selection
    ranges: tuple[OffsetRange, ...]
    scanned: dict[str, int]
    matched: dict[str, int]
    schema_versions: dict[str, dict[str, int]]
    subjects: tuple[str, ...]
    content_hash: str = ""

    def sealed(self) -> Plan:
        """Return the plan with its content hash set."""
        return self.model_copy(update={"content_hash": content_hash(self)})

    @property
    def replay_id(self) -> str:
        """Return the id every run of this plan is audited under."""
        return f"rpl-{self.content_hash[:16]}"


def content_hash(plan: Plan) -> str:
    """Return the SHA-256 of the plan's canonical JSON, its own hash left out."""
    body = plan.model_dump(mode="json", exclude={"content_hash"})
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def save(plan: Plan, path: Path) -> None:
    """Write a sealed plan as indented JSON."""
    path.write_text(plan.model_dump_json(indent=2) + "\n")


def load(path: Path) -> Plan:
    """Read a plan and check its hash; an edited plan is refused."""
    plan = Plan.model_validate_json(path.read_text())
    if not plan.content_hash or content_hash(plan) != plan.content_hash:
        raise ValueError(f"{path}: content hash does not match: the plan was edited after `plan`")
    return plan


class SchemaIndex:
    """Which released schema version wrote a value, by its fingerprint."""

    def __init__(self, versions: list[SchemaVersion]):
        self._by_fingerprint = {v.fingerprint: v for v in versions}

    def writer_of(self, value: bytes | None) -> SchemaVersion | None:
        """Return the writer schema version of a single-object value, None if it is not one."""
        if value is None or len(value) < HEADER_SIZE or value[:2] != MAGIC:
            return None
        return self._by_fingerprint.get(value[2:HEADER_SIZE])


async def resolve(reader: Reader, selection: Selection, prefix: str) -> list[Slice]:
    """Resolve the selection's window to offsets per partition, only on partitions that hold its keys."""
    if selection.offsets:
        return [Slice(prefix + o.topic, o.partition, o.start, o.end) for o in selection.offsets]
    slices: list[Slice] = []
    for topic in selection.topics:
        tps = [TopicPartition(prefix + topic, p) for p in keyed_partitions(selection, selection.spec(topic))]
        bounds = await reader.bounds(tps)
        starts = {tp: b[0] for tp, b in bounds.items()}
        ends = {tp: b[1] for tp, b in bounds.items()}
        if selection.window_from is not None:
            starts = await reader.offset_at(tps, selection.window_from)
        if selection.window_to is not None:
            ends = await reader.offset_at(tps, selection.window_to)
        slices += [Slice(tp.topic, tp.partition, starts[tp], max(starts[tp], ends[tp])) for tp in tps]
    return slices


def matches(selection: Selection, record: Raw, value: Event | None, keyed_by_project: bool = False) -> bool:
    """Tell whether a record read from a resolved slice is selected by keys and the window.

    On a topic keyed by project the key is the project (the catalog's contract), so `value` is only needed
    there for a resource filter; elsewhere the value's project and resource count too.
    """
    key = (record.key or b"").decode(errors="replace")
    project = key if keyed_by_project else getattr(value, "project_id", None) if value is not None else None
    resource = getattr(value, "resource_id", None) if value is not None else None
    if selection.projects and key not in selection.projects and project not in selection.projects:
        return False
    if selection.resources and key not in selection.resources and resource not in selection.resources:
        return False
    # offsets_for_times found the first offset at `from`; a producer's clock may still be out of order.
    # Kafka stamps whole milliseconds: compare at that grain, as offsets_for_times does.
    ms = record.timestamp
    if selection.window_from is not None and ms < int(selection.window_from.timestamp() * 1000):
        return False
    return selection.window_to is None or ms < int(selection.window_to.timestamp() * 1000)


async def build(
    reader: Reader, selection: Selection, prefix: str, codec: AvroCodec, index: SchemaIndex, now: datetime
) -> Plan:
    """Read the selected slices once and return the sealed plan (read-only: nothing is written)."""
    slices = await resolve(reader, selection, prefix)
    records = await reader.read(slices)
    scanned: Counter[str] = Counter()
    matched: Counter[str] = Counter()
    versions: dict[str, Counter[str]] = defaultdict(Counter)
    subjects: set[str] = set()
    # Decoding is most of a plan's cost: only done where the key cannot say whether a record is selected.
    keyed_by_project = {t: selection.spec(t).key == "project_id" for t in selection.topics}
    for record in records:
        topic = record.topic.removeprefix(prefix)
        scanned[topic] += 1
        by_project = keyed_by_project.get(topic, False)
        value = None if by_project and not selection.resources else _decoded(codec, record.value)
        if not matches(selection, record, value, by_project):
            continue
        matched[topic] += 1
        writer = index.writer_of(record.value)
        versions[writer.subject if writer else "undecodable"][f"v{writer.version}" if writer else "-"] += 1
        project = None if by_project else getattr(value, "project_id", None)
        subjects.add(project if isinstance(project, str) else (record.key or b"").decode(errors="replace"))
    plan = Plan(
        created_at=now,
        topic_prefix=prefix,
        selection=selection,
        ranges=tuple(
            OffsetRange(topic=s.topic.removeprefix(prefix), partition=s.partition, start=s.start, end=s.end)
            for s in slices
        ),
        scanned=dict(sorted(scanned.items())),
        matched=dict(sorted(matched.items())),
        schema_versions={k: dict(sorted(v.items())) for k, v in sorted(versions.items())},
        subjects=tuple(sorted(subjects)),
    )
    return plan.sealed()


def _decoded(codec: AvroCodec, value: bytes | None) -> Event | None:
    try:
        return codec.decode_any(value or b"")
    except DecodeError:
        return None


def summary(plan: Plan) -> dict[str, Any]:
    """Return what an operator reads before going on: the selection, the counts, the hash."""
    return {
        "plan_hash": plan.content_hash,
        "replay_id": plan.replay_id,
        "partitions_read": [f"{r.topic}:{r.partition}:{r.start}-{r.end}" for r in plan.ranges],
        "scanned": plan.scanned,
        "matched": plan.matched,
        "schema_versions": plan.schema_versions,
        "subjects": list(plan.subjects),
    }
