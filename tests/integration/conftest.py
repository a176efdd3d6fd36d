"""Fixtures for tests against the real broker: a fresh topic namespace and real worker processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from app.contracts.codec import AvroCodec
from app.devkit.local_kafka import free_ports
from app.runtime.topic_admin import apply_catalog
from app.security.kafka_clients import KafkaClients
from tests.support.kafka_io import KafkaIO, unique_prefix
from tests.support.workers import WorkerProcess, worker_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def codec() -> AvroCodec:
    return AvroCodec.from_directory()


@pytest.fixture(scope="session")
def kafka_clients(kafka_bootstrap: str) -> KafkaClients:
    """Return the client factory of the tests' cluster (tests/integration/security overrides it)."""
    return KafkaClients(kafka_bootstrap)


@pytest.fixture(scope="session")
def kafka_env(kafka_bootstrap: str) -> dict[str, str]:
    """Return the PSFLOW_* variables pointing a psflow process at the tests' cluster."""
    return {"PSFLOW_BROKER": kafka_bootstrap}


@pytest.fixture
def topic_prefix() -> str:
    """Return the test's own topic prefix."""
    return unique_prefix()


@pytest.fixture
async def kafka_io(
    kafka_clients: KafkaClients, kafka_env: dict[str, str], codec: AvroCodec, topic_prefix: str
) -> AsyncIterator[KafkaIO]:
    """Give the test its own topics (the whole catalog under a unique prefix) and a producer."""
    report = await apply_catalog(kafka_clients, topic_prefix)
    assert not report.drift, report.drift
    producer = kafka_clients.producer(acks="all", enable_idempotence=True)
    await producer.start()
    try:
        yield KafkaIO(kafka_clients, topic_prefix, codec, producer, environment=dict(kafka_env))
    finally:
        await producer.stop()


@pytest.fixture
def start_worker(kafka_io: KafkaIO, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start workers of one consumer group in the test's namespace; all are stopped at teardown."""
    started: list[WorkerProcess] = []
    app_id = f"psflow-{kafka_io.prefix.rstrip('.')}"

    def start(name: str = "w1", wait: bool = True, env: dict[str, str] | None = None) -> WorkerProcess:
        (port,) = free_ports()
        data_dir = tmp_path / name
        data_dir.mkdir(exist_ok=True)
        worker = WorkerProcess(
            env={**worker_env(kafka_io.environment, app_id, kafka_io.prefix, data_dir, port), **(env or {})},
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
