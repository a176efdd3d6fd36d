"""The secured broker (SASL_SSL, SCRAM, mutual TLS, ACLs), started once per session by the tests here only.

Its fixtures override the plain cluster's (tests/integration/conftest.py), so the shared scenarios and helpers
run unchanged through SASL_SSL as the `psflow` user, whose ACLs cover the topics prefixed `sec.` and
everything named `psflow-sec.` (the test worker groups' app ids). After every test, no log the test wrote
may hold a password of the broker's users.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.devkit.secure_kafka import ADMIN, PSFLOW, SecureKafka
from app.security.kafka_clients import KafkaClients
from tests.support.kafka_io import unique_prefix

TOPIC_PREFIX = "sec."
APP_PREFIX = "psflow-sec."


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the secured broker's tests last: its JVM then never competes with the plain broker's drills."""
    items.sort(key=lambda item: "secure_kafka" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKafka]:
    """Start the secured broker once for the session; stop it at the end."""
    broker = SecureKafka(tmp_path_factory.mktemp("secure-kafka"), [TOPIC_PREFIX], APP_PREFIX)
    atexit.register(broker.stop)
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()
        atexit.unregister(broker.stop)


@pytest.fixture(scope="session")
def kafka_clients(secure_kafka: SecureKafka) -> KafkaClients:
    """Return the psflow user's client factory on the secured broker."""
    return secure_kafka.clients(PSFLOW)


@pytest.fixture(scope="session")
def kafka_env(secure_kafka: SecureKafka) -> dict[str, str]:
    """Return the PSFLOW_* variables of a psflow process on the secured broker (password from a file)."""
    return secure_kafka.environment(PSFLOW)


@pytest.fixture
def topic_prefix() -> str:
    """Return a prefix inside what the psflow user's ACLs allow."""
    return TOPIC_PREFIX + unique_prefix()


@pytest.fixture(scope="session")
def secrets_of(secure_kafka: SecureKafka) -> list[str]:
    """Return the passwords of the secured broker's users: admin's, then psflow's."""
    return [secure_kafka.password_file(user).read_text().strip() for user in (ADMIN, PSFLOW)]


@pytest.fixture(autouse=True)
def no_password_in_logs(secrets_of: list[str], tmp_path: Path) -> Iterator[None]:
    """Fail a test whose workers or commands wrote a password into a log file of its own."""
    yield
    for log in tmp_path.rglob("*.log"):
        text = log.read_text(errors="replace")
        leaked = [s for s in secrets_of if s in text]
        assert not leaked, f"{log} holds a password"
