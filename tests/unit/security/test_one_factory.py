"""Every Kafka client psflow makes comes from app.security.kafka_clients, so none can miss the security."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FACTORY = ROOT / "app" / "security" / "kafka_clients.py"
# Constructors of Kafka clients and raw connections; faust.App must get faust_kafka_options (app.runtime).
CONSTRUCTORS = re.compile(
    r"\b(AIOKafkaProducer|AIOKafkaConsumer|AIOKafkaAdminClient|AIOKafkaClient|create_conn)\("
)
FAUST_APP = re.compile(r"\bfaust\.App\(")
# Never connects: it only asks Faust how it names changelogs, against an address nothing listens on.
NAMING_ONLY = ROOT / "tests" / "unit" / "contracts" / "test_topology.py"


def _sources() -> list[Path]:
    rooms = ("app", "agents", "tables", "replay", "domain", "benchmarks", "tests")
    return [p for room in rooms for p in (ROOT / room).rglob("*.py") if p != Path(__file__).resolve()]


def test_no_module_but_the_factory_constructs_a_kafka_client() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _sources()
        if path != FACTORY
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if CONSTRUCTORS.search(line)
    ]
    assert offenders == []


def test_every_faust_app_gets_the_security_options() -> None:
    apps = [p for p in _sources() if FAUST_APP.search(p.read_text()) and p != NAMING_ONLY]
    assert apps, "the worker's app is built somewhere"
    assert [p.relative_to(ROOT) for p in apps if "faust_kafka_options(" not in p.read_text()] == []
