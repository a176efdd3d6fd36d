"""What an operator selects: source topics, a window (times, a duration or offsets) and keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator

from app.contracts import topology
from app.contracts.topics import PSA_RESOURCE_ASSIGNMENTS, TopicSpec, partition_for

# The project ledger's inputs from the PSA and the ERP: a subject's full history on them is what the sandbox
# replays (the corrections psflow wrote itself are what the diff compares against, not an input to redo).
LEDGER_INPUTS: tuple[TopicSpec, ...] = topology.PROJECT_LEDGER.external_inputs()
# What an operator may select: every topic the PSA or the ERP publish and the worker group consumes.
SOURCE_TOPICS: dict[str, TopicSpec] = {s.name: s for s in topology.external()}

_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_OFFSETS = re.compile(r"^(?P<topic>[\w.-]+):(?P<partition>\d+):(?P<start>\d+)-(?P<end>\d+)$")


class Frozen(BaseModel):
    """Base of the immutable replay models."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class OffsetRange(Frozen):
    """Offsets [start, end) of one partition of one source topic."""

    topic: str
    partition: int
    start: int
    end: int


class Selection(Frozen):
    """Source topics, an optional window and optional keys; empty keys select every key."""

    topics: tuple[str, ...]
    window_from: AwareDatetime | None = None
    window_to: AwareDatetime | None = None
    offsets: tuple[OffsetRange, ...] = ()
    projects: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, topics: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(topics) - set(SOURCE_TOPICS))
        if unknown or not topics:
            raise ValueError(f"source topics must be among {sorted(SOURCE_TOPICS)}; got {list(topics)}")
        return topics

    def spec(self, topic: str) -> TopicSpec:
        """Return the catalog entry of a selected topic."""
        return SOURCE_TOPICS[topic]


def keyed_partitions(selection: Selection, spec: TopicSpec) -> tuple[int, ...]:
    """Return the partitions of a topic that can hold the selected keys; all when no key narrows it."""
    # Project topics are keyed by project; a resource filter alone looks into every partition of them.
    keys = selection.resources if spec is PSA_RESOURCE_ASSIGNMENTS else selection.projects
    if not keys:
        return tuple(range(spec.partitions))
    return tuple(sorted({partition_for(k, spec.partitions) for k in keys}))


def parse_time(text: str) -> datetime:
    """Parse an ISO-8601 timestamp; one without an offset is refused rather than guessed."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset; write e.g. {text}Z")
    return value.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as 90m, 6h, 7d or 2w."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"duration {text!r} is not <number><s|m|h|d|w>, e.g. 6h")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_offsets(text: str) -> OffsetRange:
    """Parse TOPIC:PARTITION:START-END (end exclusive)."""
    match = _OFFSETS.match(text.strip())
    if match is None:
        raise ValueError(f"offsets {text!r} are not TOPIC:PARTITION:START-END")
    start, end = int(match["start"]), int(match["end"])
    if end < start:
        raise ValueError(f"offsets {text!r} end before they start")
    return OffsetRange(topic=match["topic"], partition=int(match["partition"]), start=start, end=end)


def window(
    since: str | None, until: str | None, last: str | None, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """Return the [from, to) window of --from/--to or --last, in UTC."""
    if last is not None:
        if since is not None:
            raise ValueError("give --last or --from, not both")
        return now - parse_duration(last), None if until is None else parse_time(until)
    return (None if since is None else parse_time(since)), (None if until is None else parse_time(until))
