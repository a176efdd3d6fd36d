"""What every agent, table and view of a worker is handed: the Faust app, settings, codec, reference data.

`build_runtime` makes the Faust app from settings (with the options psflow bends, see app.faust_workarounds);
the worker's composition root (app.worker.assembly) registers the agents, tables and views on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import faust

from app.contracts.codec import AvroCodec
from app.contracts.subjects import CONTRACTS
from app.contracts.topics import PROJECT_PARTITIONS, TopicNames, TopicSpec
from app.faust_workarounds.app_options import BENT_APP_OPTIONS
from app.faust_workarounds.recovery import ask_broker_for_changelog_ends
from app.faust_workarounds.transactions import bend_commits
from app.runtime.settings import Settings, forecast_context
from app.runtime.sink import Sink, TransactionalSink
from app.security.kafka_clients import KafkaClients
from domain.forecast import ForecastContext
from domain.periods import AccountingCalendar
from domain.records.common import Event


async def _nothing_to_wait_for() -> None:
    """Return at once: no accounting calendar is followed."""


@dataclass
class Runtime:
    """One worker's app, settings and codec, handed to every agent, table and view."""

    app: faust.App
    settings: Settings
    codec: AvroCodec
    periods: AccountingCalendar
    forecast: ForecastContext
    # Where a batch's records go (the agent tests give a sink that records them instead).
    sink: Sink
    # Processing time, UTC: how long parked items waited, when quiet forecasts roll to a new month. Rules
    # are handed `now` from here, never read a clock themselves (tests set their own).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Awaited before a batch decides anything: returns once the calendar has every close written so far
    # (app.runtime.periods; the worker's assembly sets it, a runtime without a follower passes at once).
    periods_caught_up: Callable[[], Awaitable[None]] = _nothing_to_wait_for
    _topics: dict[tuple[str, ...], faust.TopicT] = field(default_factory=dict)

    def topic_name(self, spec: TopicSpec) -> str:
        """Return the concrete name of a catalog topic (with the configured prefix)."""
        return TopicNames(self.settings.topic_prefix).of(spec)

    def topic(self, *specs: TopicSpec) -> faust.TopicT:
        """Return the raw-bytes Faust topic over one or more catalog topics.

        Agents read bytes and decode them with the codec themselves: a record that fails to decode
        must reach ops.exceptions with its raw bytes, which Faust's own deserialization would swallow.
        """
        names = tuple(self.topic_name(s) for s in specs)
        if names not in self._topics:
            self._topics[names] = self.app.topic(
                *names,
                key_serializer="raw",
                value_serializer="raw",
                partitions=specs[0].partitions,
                internal=False,
            )
        return self._topics[names]

    def model_for(self, spec: TopicSpec) -> type[Event]:
        """Return the typed record a catalog topic carries."""
        return next(c.model for c in CONTRACTS if c.subject == spec.value_subject)


def faust_kafka_options(kafka: KafkaClients) -> dict[str, Any]:
    """Return the faust.App options that give its clients the bootstrap and the security of `kafka`."""
    security = kafka.security
    credentials: faust.types.auth.CredentialsT | None = None
    if security.uses_sasl and security.sasl_password is not None:
        credentials = faust.SASLCredentials(
            username=security.sasl_username,
            password=security.sasl_password.get_secret_value(),
            ssl_context=kafka.ssl_context(),
            mechanism=security.sasl_mechanism,
        )
    elif security.uses_tls:
        credentials = faust.SSLCredentials(kafka.ssl_context())
    return {"broker": f"kafka://{kafka.bootstrap}", "broker_credentials": credentials}


def build_runtime(settings: Settings, codec: AvroCodec | None = None) -> Runtime:
    """Build the Faust app of a worker (no agents yet) and the runtime around it."""
    ask_broker_for_changelog_ends()
    bend_commits()
    app = faust.App(
        settings.app_id,
        **faust_kafka_options(settings.kafka),
        store=settings.store,
        processing_guarantee=settings.processing_guarantee,
        datadir=str(settings.data_dir),
        web_host=settings.web_host,
        web_port=settings.web_port,
        # table_route forwards a request to the worker owning the key at this URL.
        canonical_url=settings.canonical_url,
        topic_partitions=PROJECT_PARTITIONS,
        # A new consumer group must start from the beginning: inputs are kept forever for a reason.
        consumer_auto_offset_reset="earliest",
        topic_disable_leader=True,
        autodiscover=False,
        **BENT_APP_OPTIONS,
    )
    return Runtime(
        app=app,
        settings=settings,
        codec=codec or AvroCodec.from_directory(),
        periods=AccountingCalendar(settings.closed_periods),
        forecast=forecast_context(settings),
        sink=TransactionalSink(app),
    )
