"""The composition root: build the Faust app, its topics, tables, agents and web views from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import faust
from faust.serializers import codecs

from app.codec import AvroCodec
from app.contracts import CONTRACTS
from app.faust_recovery import mend_recovery_highwaters
from app.period_calendar import PeriodCalendar
from app.scheduling import EventTimeScheduler
from app.settings import Settings, forecast_context
from app.topics import ERP_ACCOUNTING_PERIODS, PROJECT_PARTITIONS, TopicSpec
from domain.forecast import ForecastContext
from domain.records.common import Event


class FaustAvroCodec(codecs.Codec):
    """Faust codec for typed records: lets any agent or consumer use `value_serializer="psflow-avro"`."""

    def _dumps(self, obj: Any) -> bytes:
        codec: AvroCodec = self.kwargs["avro"]
        return codec.encode(obj)

    def _loads(self, s: bytes) -> Any:
        codec: AvroCodec = self.kwargs["avro"]
        return codec.decode_any(s)


@dataclass
class Runtime:
    """One worker's app, settings and codec, handed to every agent, table and view."""

    app: faust.App
    settings: Settings
    codec: AvroCodec
    periods: PeriodCalendar
    forecast: ForecastContext
    _topics: dict[tuple[str, ...], faust.TopicT] = field(default_factory=dict)

    def topic_name(self, spec: TopicSpec) -> str:
        """Return the concrete name of a catalog topic (with the configured prefix)."""
        return self.settings.topic_prefix + spec.name

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


def create_app(settings: Settings, codec: AvroCodec | None = None) -> Runtime:
    """Build a fully wired worker app."""
    codec = codec or AvroCodec.from_directory()
    mend_recovery_highwaters()
    codecs.register("psflow-avro", FaustAvroCodec(avro=codec))
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.broker}",
        store=settings.store,
        processing_guarantee=settings.processing_guarantee,
        datadir=str(settings.data_dir),
        web_host=settings.web_host,
        web_port=settings.web_port,
        # table_route forwards a request to the worker owning the key at this URL.
        canonical_url=f"http://{settings.web_host}:{settings.web_port}",
        topic_partitions=PROJECT_PARTITIONS,
        # A new consumer group must start from the beginning: inputs are kept forever for a reason.
        consumer_auto_offset_reset="earliest",
        topic_disable_leader=True,
        autodiscover=False,
        ConsumerScheduler=EventTimeScheduler,
        # On stop and on rebalance Faust clears the stream queues, then (by default) waits for the cleared
        # records to be acked, which never happens: shutdown and rebalances hang. Unprocessed records are
        # simply not committed and are read again, which the deterministic rules make harmless.
        stream_wait_empty=False,
    )
    runtime = Runtime(
        app=app,
        settings=settings,
        codec=codec,
        periods=PeriodCalendar(settings.closed_periods),
        forecast=forecast_context(settings),
    )

    @app.task  # type: ignore[untyped-decorator]
    async def follow_periods() -> None:
        await runtime.periods.follow(settings.broker, runtime.topic_name(ERP_ACCOUNTING_PERIODS), codec)

    # Imported here: agents and views need the runtime, and the runtime must not import them at module load.
    from agents import forecast_topology, parking_sweeper, project_ledger
    from app import web

    ledgers = project_ledger.register(runtime)
    parking_sweeper.register(runtime, ledgers)
    plans, forecasts = forecast_topology.register(runtime)
    web.register(runtime, ledgers, plans, forecasts)
    return runtime
