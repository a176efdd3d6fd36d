"""The composition root: the one module that imports agents, wiring them, their tables and views to an app."""

from __future__ import annotations

from agents import pipeline
from app.contracts.codec import AvroCodec
from app.contracts.topics import ERP_ACCOUNTING_PERIODS
from app.runtime.periods import PeriodFollower
from app.runtime.runtime import Runtime, build_runtime
from app.runtime.settings import Settings
from app.worker import web


def create_app(settings: Settings, codec: AvroCodec | None = None) -> Runtime:
    """Build a fully wired worker app."""
    runtime = build_runtime(settings, codec)
    follower = PeriodFollower(runtime.periods)
    runtime.periods_caught_up = follower.caught_up

    @runtime.app.task  # type: ignore[untyped-decorator]
    async def follow_periods() -> None:
        await follower.follow(settings.kafka, runtime.topic_name(ERP_ACCOUNTING_PERIODS), runtime.codec)

    web.register(runtime, pipeline.register(runtime))
    return runtime
