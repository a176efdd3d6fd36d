"""Fixtures for tests against the real broker: a fresh topic namespace and real worker processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from app.contracts.codec import AvroCodec
from app.devkit.local_kafka import free_ports
from app.runtime.topic_admin import apply_catalog
from tests.support.kafka_io import KafkaIO, unique_prefix
from tests.support.workers import WorkerProcess, worker_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def codec() -> AvroCodec:
    return AvroCodec.from_directory()


@pytest.fixture
async def kafka_io(kafka_bootstrap: str, codec: AvroCodec) -> AsyncIterator[KafkaIO]:
    """Give the test its own topics (the whole catalog under a unique prefix) and a producer."""
    prefix = unique_prefix()
    report = await apply_catalog(kafka_bootstrap, prefix)
    assert not report.drift, report.drift
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        yield KafkaIO(bootstrap=kafka_bootstrap, prefix=prefix, codec=codec, producer=producer)
    finally:
        await producer.stop()


@pytest.fixture
def start_worker(
    kafka_bootstrap: str, kafka_io: KafkaIO, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start workers of one consumer group in the test's namespace; all are stopped at teardown."""
    started: list[WorkerProcess] = []
    app_id = f"psflow-{kafka_io.prefix.rstrip('.')}"

    def start(name: str = "w1", wait: bool = True, env: dict[str, str] | None = None) -> WorkerProcess:
        (port,) = free_ports()
        data_dir = tmp_path / name
        data_dir.mkdir(exist_ok=True)
        worker = WorkerProcess(
            env={**worker_env(kafka_bootstrap, app_id, kafka_io.prefix, data_dir, port), **(env or {})},
            web_port=port,
            log_path=tmp_path / f"{name}.log",
        ).start()
        started.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
