"""Session-wide fixtures: one real local Kafka broker shared by every integration test."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import pytest

from app.devkit.local_kafka import LocalKafka


def _stop_on_termination(broker: LocalKafka) -> Callable[[], None]:
    """Stop the broker on SIGTERM/SIGHUP, then end the run like Ctrl-C; return an undo function."""
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        broker.stop(timeout_s=10)
        old = previous[signum]
        if callable(old):
            old(signum, frame)
            return
        # Unwind like Ctrl-C rather than die on the spot: every finally block and fixture teardown still
        # runs, so brokers that tests start themselves are stopped too.
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGHUP):
        # Only the main thread may install handlers; elsewhere atexit and teardown still apply.
        with contextlib.suppress(ValueError):
            previous[signum] = signal.signal(signum, handler)

    def undo() -> None:
        for signum, old in previous.items():
            with contextlib.suppress(ValueError):
                signal.signal(signum, old or signal.SIG_DFL)

    return undo


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Yield the bootstrap address of a real Kafka broker started once for the test session."""
    external = os.environ.get("PSFLOW_TEST_BOOTSTRAP")
    if external:
        # A broker the developer keeps running (`psflow kafka up`) saves the start-up on every run.
        yield external
        return
    broker = LocalKafka(tmp_path_factory.mktemp("kafka"))
    # The broker runs in its own session, so nothing kills it with pytest: teardown covers normal ends and
    # failures, atexit covers exits that skip teardown, the handlers cover a CI runner's SIGTERM or a
    # closed terminal's SIGHUP. Only SIGKILL of pytest itself can still orphan it.
    atexit.register(broker.stop)
    undo_signals = _stop_on_termination(broker)
    try:
        yield broker.start()
    finally:
        try:
            broker.stop()
        finally:
            undo_signals()
            atexit.unregister(broker.stop)
