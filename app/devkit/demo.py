"""The demo behind `psflow demo`: broker, topics, a worker, demo data and the ERP commands, on one machine."""

from __future__ import annotations

import asyncio
import os
import signal

# bandit: the dev kit runs java, keytool, mvn and psflow itself from argument lists, never through a shell
import subprocess  # nosec B404
import sys
import time
import urllib.request
from typing import Any

from app.contracts.codec import AvroCodec
from app.contracts.topics import ERP_BILLING_COMMANDS, TopicNames
from app.devkit import dev_broker
from app.devkit.demo_data import demo_feed
from app.runtime.settings import Settings
from app.runtime.topic_admin import apply_catalog
from domain.records.erp import BillingCommand


def _ensure_broker() -> tuple[str, bool]:
    """Return the broker to use and whether this command started it."""
    if os.environ.get("PSFLOW_BROKER"):
        return os.environ["PSFLOW_BROKER"], False
    running = dev_broker.recorded_bootstrap()
    if running:
        return running, False
    dev_broker.up(port=None, heap_mb=512, timeout_s=120)
    started = dev_broker.recorded_bootstrap()
    if started is None:
        raise SystemExit("the local broker did not start; see `psflow kafka status`")
    return started, True


def _wait_ready(port: int, worker: subprocess.Popen[bytes], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited with {worker.returncode}")
        try:
            # bandit: a fixed http:// URL of the worker this command started (no file: or custom scheme).
            url = f"http://127.0.0.1:{port}/health"
            with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            pass  # not listening yet: poll again
        time.sleep(0.3)  # polling interval
    raise SystemExit("the worker did not become ready")


async def _produce(settings: Settings, codec: AvroCodec) -> int:
    producer = settings.kafka.producer(acks="all", enable_idempotence=True)
    await producer.start()
    try:
        feed = demo_feed()
        for spec, key, record in feed:
            await producer.send_and_wait(
                TopicNames(settings.topic_prefix).of(spec), codec.encode(record), key=key.encode()
            )
        return len(feed)
    finally:
        await producer.stop()


async def _read_commands(settings: Settings, codec: AvroCodec, idle_s: float = 6.0) -> list[BillingCommand]:
    """Read every committed command, stopping once none has arrived for `idle_s` seconds."""
    consumer = settings.kafka.consumer(
        TopicNames(settings.topic_prefix).of(ERP_BILLING_COMMANDS),
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
    await consumer.start()
    commands: list[BillingCommand] = []
    last = time.monotonic()
    try:
        while time.monotonic() - last < idle_s:
            for part in (await consumer.getmany(timeout_ms=500)).values():
                for message in part:
                    commands.append(codec.decode(message.value or b"", BillingCommand))
                    last = time.monotonic()
    finally:
        await consumer.stop()
    return commands


def _print_commands(commands: list[BillingCommand]) -> None:
    print(f"\n{len(commands)} billing commands on {ERP_BILLING_COMMANDS.name}:")
    print(f"  {'command id':44} {'type':24} {'project':8} {'amount':>12}")
    for c in commands:
        print(f"  {c.command_id:44} {c.command_type.value:24} {c.project_id:8} {c.amount:>12} {c.currency}")


def run_demo(web_port: int) -> int:
    """Run the demo end to end and keep the worker running until Ctrl-C."""
    broker, started_broker = _ensure_broker()
    environ = dev_broker.process_environment()
    settings = Settings.from_env({"broker": broker, "web_port": web_port}, environ=environ)
    codec = AvroCodec.from_directory()
    worker: subprocess.Popen[bytes] | None = None
    try:
        report = asyncio.run(apply_catalog(settings.kafka, settings.topic_prefix))
        print("\n".join(report.lines()))
        env = dict(environ, PSFLOW_BROKER=broker, PSFLOW_WEB_PORT=str(web_port))
        worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env)  # nosec B603
        _wait_ready(web_port, worker)
        print(f"worker ready on http://127.0.0.1:{web_port} (/metrics, /projects/P-ACME)")
        print(f"produced {asyncio.run(_produce(settings, codec))} demo events")
        _print_commands(asyncio.run(_read_commands(settings, codec)))
        print(
            "\nThe worker keeps running; press Ctrl-C to stop it"
            + (" and the broker." if started_broker else ".")
        )
        worker.wait()
    except KeyboardInterrupt:
        pass  # Ctrl-C is how the user stops the demo: stop everything below
    finally:
        # Ctrl-C reaches the whole process group (the worker too) and impatient users press it twice:
        # ignore it while shutting down so the broker is always stopped.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _stop(worker)
        if started_broker:
            dev_broker.down(timeout_s=30)
    return 0


def _stop(worker: subprocess.Popen[Any] | None) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
