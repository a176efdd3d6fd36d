"""The project's own local Kafka: a real KRaft broker that starts, serves, refuses stray topics and stops."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import NewTopic
from aiokafka.errors import KafkaError

from app import cli
from app.devkit import dev_broker, kafka_jars
from app.devkit.local_kafka import LocalKafka, free_ports, pid_is_alive, probe_cluster_id
from app.security.kafka_clients import KafkaClients


def _unique_topic() -> str:
    return f"psflow-test-{uuid.uuid4().hex[:12]}"


async def _create_topic(bootstrap: str, name: str) -> None:
    admin = KafkaClients(bootstrap).admin()
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name=name, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()


async def _list_topics(bootstrap: str) -> list[str]:
    admin = KafkaClients(bootstrap).admin()
    await admin.start()
    try:
        topics: list[str] = await admin.list_topics()
        return topics
    finally:
        await admin.close()


@pytest.mark.integration
async def test_broker_answers_metadata_after_start(kafka_bootstrap: str) -> None:
    topic = _unique_topic()

    await _create_topic(kafka_bootstrap, topic)

    assert topic in await _list_topics(kafka_bootstrap)


@pytest.mark.integration
async def test_unknown_topic_is_not_auto_created(kafka_bootstrap: str) -> None:
    topic = _unique_topic()
    # aiokafka's metadata requests ask the broker to auto-create the topic; the broker must decline.
    producer = KafkaClients(kafka_bootstrap).producer(request_timeout_ms=1000)
    await producer.start()
    try:
        with pytest.raises(KafkaError):
            await producer.send_and_wait(topic, b"stray")
    finally:
        await producer.stop()

    assert topic not in await _list_topics(kafka_bootstrap)


@pytest.mark.integration
@pytest.mark.slow
def test_second_broker_runs_alongside_the_first(kafka_bootstrap: str, tmp_path: Path) -> None:
    second = LocalKafka(tmp_path / "second")
    try:
        bootstrap = second.start()
        host, _, port = kafka_bootstrap.rpartition(":")

        assert bootstrap != kafka_bootstrap
        assert probe_cluster_id("127.0.0.1", second.port) is not None
        assert probe_cluster_id(host, int(port)) not in (None, probe_cluster_id("127.0.0.1", second.port))
    finally:
        second.stop()

    assert second.pid is not None
    assert not second.is_running()
    assert not pid_is_alive(second.pid)


@pytest.mark.slow
def test_interrupted_jar_download_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSFLOW_KAFKA_JARS_DIR", str(tmp_path))
    libs = kafka_jars.libs_dir()
    # What a killed run can leave: a half-filled folder without the completion marker.
    libs.mkdir(parents=True)
    (libs / "kafka_2.13-truncated.jar").write_bytes(b"")

    assert kafka_jars.ensure_kafka_jars() == libs
    assert not (libs / "kafka_2.13-truncated.jar").exists()
    assert any(libs.glob(f"kafka_2.13-{kafka_jars.kafka_version()}.jar"))
    assert [path.name for path in tmp_path.iterdir()] == [kafka_jars.kafka_version()]

    # Once complete, the cache is used as is: with no Maven on PATH it must still resolve.
    monkeypatch.setenv("PATH", "")
    assert kafka_jars.ensure_kafka_jars() == libs


@pytest.fixture
def cli_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point psflow's cache at a tmp dir (sharing the real jar cache) and stop any broker left behind."""
    monkeypatch.setenv("PSFLOW_KAFKA_JARS_DIR", str(kafka_jars.jars_root()))
    monkeypatch.setenv("PSFLOW_CACHE_DIR", str(tmp_path))
    try:
        yield tmp_path
    finally:
        state = dev_broker.state_path()
        if state.exists():
            dev_broker.stop_process(json.loads(state.read_text())["pid"])


def _psflow(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run one psflow command in-process; return its exit status and what it printed on stdout."""
    capsys.readouterr()
    status = cli.main(list(argv))
    return status, capsys.readouterr().out.strip()


@pytest.mark.integration
@pytest.mark.slow
def test_cli_up_is_idempotent_and_status_reports_the_broker(
    cli_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (port,) = free_ports()
    assert _psflow(capsys, "kafka", "status")[0] == 1
    assert dev_broker.recorded_bootstrap() is None

    status, bootstrap = _psflow(capsys, "kafka", "up", "--port", str(port))
    pid = json.loads((cli_cache / "kafka" / "local.json").read_text())["pid"]

    assert (status, bootstrap) == (0, f"127.0.0.1:{port}")
    assert dev_broker.recorded_bootstrap() == bootstrap
    assert _psflow(capsys, "kafka", "up") == (0, bootstrap)
    status, report = _psflow(capsys, "kafka", "status")
    assert status == 0
    assert bootstrap in report
    assert str(pid) in report

    assert _psflow(capsys, "kafka", "down")[0] == 0
    assert not pid_is_alive(pid)
    assert not (cli_cache / "kafka" / "local.json").exists()
    assert _psflow(capsys, "kafka", "status")[0] == 1
    assert dev_broker.recorded_bootstrap() is None


@pytest.mark.integration
@pytest.mark.slow
def test_cli_down_then_up_keeps_topics(cli_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    topic = _unique_topic()
    first_port, second_port = free_ports(2)
    status, bootstrap = _psflow(capsys, "kafka", "up", "--port", str(first_port))
    assert status == 0
    asyncio.run(_create_topic(bootstrap, topic))
    assert _psflow(capsys, "kafka", "down")[0] == 0

    # A different port on restart also proves the persisted data does not pin the listener addresses.
    status, bootstrap = _psflow(capsys, "kafka", "up", "--port", str(second_port))

    assert (status, bootstrap) == (0, f"127.0.0.1:{second_port}")
    assert topic in asyncio.run(_list_topics(bootstrap))
    assert _psflow(capsys, "kafka", "down")[0] == 0
