"""The broker a benchmark runs against: PSFLOW_BROKER, else the `psflow kafka up` one, else a private one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.devkit.dev_broker import recorded_bootstrap
from app.devkit.local_kafka import LocalKafka


@contextmanager
def bench_broker() -> Iterator[str]:
    """Yield a bootstrap address; a broker started here is stopped on exit."""
    bootstrap = os.environ.get("PSFLOW_BROKER") or recorded_bootstrap()
    if bootstrap is not None:
        yield bootstrap
        return
    broker = LocalKafka(Path(tempfile.mkdtemp(prefix="psflow-bench-kafka-")))
    try:
        yield broker.start()
    finally:
        broker.stop()
