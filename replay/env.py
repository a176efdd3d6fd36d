"""Where replay commands run: the cluster, the topic namespace, the worker group, codec and reference data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from app.contracts.codec import AvroCodec
from app.contracts.topics import TopicNames, TopicSpec
from app.security.kafka_clients import KafkaClients
from domain.forecast import ForecastContext
from replay.plan import SchemaIndex


@dataclass(frozen=True)
class ReplayEnv:
    """Where replay commands run: the cluster, topic namespace, worker group, codec and reference data."""

    kafka: KafkaClients
    prefix: str
    group: str
    codec: AvroCodec
    index: SchemaIndex
    park_limit: timedelta = timedelta(hours=24)
    closed_periods: frozenset[str] = frozenset()
    # Today's forecast reference data (capacity calendar, FX, markups, threshold): preview recomputes with it.
    forecast: ForecastContext = field(default_factory=ForecastContext)

    def name(self, spec: TopicSpec) -> str:
        """Return the concrete name of a catalog topic."""
        return TopicNames(self.prefix).of(spec)
