"""Baseline for the pipeline benchmark: a Faust agent that only decodes each record and forwards it.

Same broker, same topics, same codec and processing guarantee as the psflow worker, no rules and no table:
the difference between the two is what psflow's domain, state and outputs cost.
"""

from __future__ import annotations

import sys
from typing import Any

import faust

from app.contracts.codec import AvroCodec
from app.contracts.topics import (
    ERP_BILLING_COMMANDS,
    PSA_MILESTONES,
    PSA_PROJECTS,
    PSA_TIME_ENTRIES,
    TopicNames,
)
from app.runtime.runtime import faust_kafka_options
from app.runtime.settings import Settings

INPUTS = (PSA_PROJECTS, PSA_TIME_ENTRIES, PSA_MILESTONES)


def build(settings: Settings) -> faust.App:
    """Build the decode-and-forward app."""
    codec = AvroCodec.from_directory()
    app = faust.App(
        settings.app_id,
        **faust_kafka_options(settings.kafka),
        store="memory://",
        processing_guarantee=settings.processing_guarantee,
        datadir=str(settings.data_dir),
        web_host=settings.web_host,
        web_port=settings.web_port,
        consumer_auto_offset_reset="earliest",
        topic_disable_leader=True,
        autodiscover=False,
    )
    source = app.topic(
        *(TopicNames(settings.topic_prefix).of(t) for t in INPUTS),
        key_serializer="raw",
        value_serializer="raw",
    )
    sink = app.topic(
        TopicNames(settings.topic_prefix).of(ERP_BILLING_COMMANDS),
        key_serializer="raw",
        value_serializer="raw",
    )

    @app.page("/health")
    async def health(view: Any, request: Any) -> Any:
        return view.json({"ready": True})

    @app.agent(source, name="forward")
    async def forward(stream: Any) -> None:
        async for event in stream.events():
            codec.decode_any(event.value)
            await sink.send(key=event.key, value=event.value)

    return app


if __name__ == "__main__":
    built = build(Settings.from_env())
    sys.exit(faust.Worker(built, loglevel="warning", quiet=True).execute_from_commandline())
