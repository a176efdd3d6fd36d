"""The developer's persistent local broker behind `psflow kafka up | down | status`.

Its data survives restarts in `<cache>/kafka-data` and its address is recorded in `<cache>/kafka/local.json`,
so `recorded_bootstrap()` lets every psflow command find it with no settings at all. `--secure` runs the
SASL_SSL broker of app.devkit.secure_kafka instead (data in `<cache>/kafka-data-secure`) and records the
PSFLOW_* variables of its `psflow` user too: file paths only, the password stays in its owner-only file.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import NotRequired, TypedDict

from app.contracts.topics import CATALOG
from app.devkit.kafka_jars import KafkaSetupError, kafka_version
from app.devkit.kafka_process import LocalKafkaError, is_kafka_process, port_is_free, stop_process
from app.devkit.local_kafka import DEFAULT_PORT, LocalKafka
from app.devkit.secure_kafka import PSFLOW, SecureKafka
from app.runtime.settings import cache_dir


class BrokerState(TypedDict):
    """What `psflow kafka up` records about the broker it started."""

    pid: int
    bootstrap: str
    data_dir: str
    version: str
    started_at: str
    # The secured broker's PSFLOW_* client variables (no secret: the password is named by its file).
    environment: NotRequired[dict[str, str]]


def state_path() -> Path:
    """Return the file `psflow kafka up` records its broker in."""
    return cache_dir() / "kafka" / "local.json"


def data_dir(secure: bool = False) -> Path:
    """Return the data folder of the `psflow kafka up` broker (kept between up and down)."""
    return cache_dir() / ("kafka-data-secure" if secure else "kafka-data")


def _read_state() -> BrokerState | None:
    try:
        raw = json.loads(state_path().read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("pid"), int) or not raw.get("bootstrap"):
        return None
    state = BrokerState(
        pid=raw["pid"],
        bootstrap=str(raw["bootstrap"]),
        data_dir=str(raw.get("data_dir", "")),
        version=str(raw.get("version", "")),
        started_at=str(raw.get("started_at", "")),
    )
    if isinstance(raw.get("environment"), dict):
        state["environment"] = {str(k): str(v) for k, v in raw["environment"].items()}
    return state


def _running_state() -> BrokerState | None:
    state = _read_state()
    return state if state is not None and is_kafka_process(state["pid"]) else None


def _write_state(state: BrokerState) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(state, indent=2) + "\n")
    partial.replace(path)  # readers never see half a file


def recorded_bootstrap() -> str | None:
    """Return the bootstrap of the broker `psflow kafka up` started, if it is still running."""
    state = _running_state()
    return state["bootstrap"] if state is not None else None


def process_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Return `environ` over the running developer broker's variables, unless PSFLOW_BROKER names another."""
    state = _running_state()
    if state is None or environ.get("PSFLOW_BROKER"):
        return dict(environ)
    return {**state.get("environment", {}), **environ}


def dev_topic_prefixes() -> list[str]:
    """Return the first segments of the catalog's topic names: the secured dev broker's ACLs (no prefix)."""
    return sorted({spec.name.split(".")[0] + "." for spec in CATALOG})


def up(port: int | None, heap_mb: int, timeout_s: float, secure: bool = False) -> int:
    """Start the developer broker unless it runs; print its bootstrap; return the exit status."""
    running = _running_state()
    if running is not None:
        if ("environment" in running) != secure:
            kind = "a secured" if "environment" in running else "a plaintext"
            print(
                f"{kind} local Kafka already runs (pid {running['pid']}): `psflow kafka down` first",
                file=sys.stderr,
            )
            return 1
        print(f"Local Kafka already running (pid {running['pid']}).", file=sys.stderr)
        print(running["bootstrap"])
        return 0
    chosen = port if port is not None else (DEFAULT_PORT if port_is_free(DEFAULT_PORT) else 0)
    broker = (
        SecureKafka(data_dir(True), dev_topic_prefixes(), "psflow", port=chosen, heap_mb=heap_mb)
        if secure
        else LocalKafka(data_dir(), port=chosen, heap_mb=heap_mb)
    )
    started = time.monotonic()
    try:
        bootstrap = broker.start(timeout_s=timeout_s)
    except (KafkaSetupError, LocalKafkaError) as exc:
        print(f"psflow kafka up: {exc}", file=sys.stderr)
        return 1
    assert broker.pid is not None
    state = BrokerState(
        pid=broker.pid,
        bootstrap=bootstrap,
        data_dir=str(broker.data_dir),
        version=kafka_version(),
        started_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )
    if isinstance(broker, SecureKafka):
        state["environment"] = broker.environment(PSFLOW)
    _write_state(state)
    took = time.monotonic() - started
    print(f"Local Kafka started in {took:.1f} s (pid {broker.pid}, logs {broker.log_path}).", file=sys.stderr)
    print(bootstrap)
    return 0


def down(timeout_s: float) -> int:
    """Stop the developer broker (its topics are kept); return the exit status."""
    state = _read_state()
    if state is None or not is_kafka_process(state["pid"]):
        state_path().unlink(missing_ok=True)
        print("Local Kafka is not running.")
        return 0
    try:
        stop_process(state["pid"], timeout_s=timeout_s)
    except LocalKafkaError as exc:
        print(f"psflow kafka down: {exc}", file=sys.stderr)
        return 1
    state_path().unlink(missing_ok=True)
    print(f"Local Kafka stopped (pid {state['pid']}); data kept in {state['data_dir']}.")
    return 0


def status() -> int:
    """Print the developer broker's bootstrap; return 1 when it is not running."""
    state = _running_state()
    if state is None:
        print("Local Kafka is not running (start it with `psflow kafka up`).")
        return 1
    print(f"{state['bootstrap']} pid {state['pid']} (Kafka {state['version']}, data {state['data_dir']})")
    return 0
