"""Pipeline throughput: psflow's worker on a mixed PSA stream next to a decode-and-forward Faust agent.

Both run on the same broker in the same run, each in its own topic namespace, each a fresh consumer group
that starts on a backlog of the same records. Throughput = records / (time from the worker's first
committed offset to all input offsets committed). Run: `make bench` (uses `psflow kafka up`'s broker, or
starts a private one) or `python -m benchmarks.pipeline --events 20000`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError

from app.contracts.codec import AvroCodec
from app.contracts.topics import PSA_MILESTONES, PSA_PROJECTS, PSA_TIME_ENTRIES, TopicNames, TopicSpec
from app.devkit.local_kafka import free_ports
from app.runtime.topic_admin import apply_catalog
from benchmarks.broker import bench_broker
from domain.records.common import Event
from tests.support.factories import contract, envelope, milestone_event, time_entry

INPUTS = (PSA_PROJECTS, PSA_TIME_ENTRIES, PSA_MILESTONES)


def mixed_stream(events: int, projects: int = 50) -> list[tuple[TopicSpec, str, Event]]:
    """Return contracts, then time entries (one in five revised), milestone completions and acceptances."""
    feed: list[tuple[TopicSpec, str, Event]] = []
    for p in range(projects):
        feed.append((PSA_PROJECTS, f"P-{p}", contract(f"P-{p}")))
    i = 0
    while len(feed) < events:
        pid = f"P-{i % projects}"
        entry = time_entry(pid, entry_id=f"TE-{i}", hours=Decimal(1 + i % 8))
        feed.append((PSA_TIME_ENTRIES, pid, entry))
        if i % 5 == 0:
            revised = entry.model_copy(
                update={"revision": 2, "hours": Decimal("0.50"), "envelope": envelope()}
            )
            feed.append((PSA_TIME_ENTRIES, pid, revised))
        if i % 97 == 0:
            feed.append((PSA_MILESTONES, pid, milestone_event(pid)))
            feed.append((PSA_MILESTONES, pid, milestone_event(pid, status="ACCEPTED")))
        i += 1
    return feed[:events]


async def produce(
    bootstrap: str, prefix: str, feed: list[tuple[TopicSpec, str, Event]], codec: AvroCodec
) -> None:
    """Produce the feed as fast as the broker acknowledges it."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        futures = [
            await producer.send(TopicNames(prefix).of(spec), codec.encode(record), key=key.encode())
            for spec, key, record in feed
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def committed_progress(bootstrap: str, group: str, prefix: str) -> tuple[int, int]:
    """Return (records committed by the group, records in its input topics)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        partitions = [tp for spec in INPUTS for tp in _partitions(consumer, TopicNames(prefix).of(spec))]
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group)
        done = sum(committed[tp].offset for tp in partitions if tp in committed and committed[tp].offset > 0)
        return done, sum(ends.values())
    finally:
        await consumer.stop()
        await admin.close()


def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[object]:
    from aiokafka.structs import TopicPartition

    return [TopicPartition(topic, p) for p in range(PSA_PROJECTS.partitions)]


async def drain_rate(
    bootstrap: str, group: str, prefix: str, worker: subprocess.Popen[bytes], port: int
) -> tuple[float, int]:
    """Return (records/s from the worker's readiness to fully drained, records); poll, never sleep blindly."""
    ready_at = await _ready(port, worker)
    while True:
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited with {worker.returncode}")
        try:
            done, total = await committed_progress(bootstrap, group, prefix)
        except GroupCoordinatorNotAvailableError:  # a fresh broker elects the coordinator lazily
            done, total = 0, 0
        if total and done >= total:
            return total / max(time.monotonic() - ready_at, 1e-3), total
        await asyncio.sleep(0.25)  # polling interval


def _answers(port: int) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


async def _ready(port: int, worker: subprocess.Popen[bytes]) -> float:
    while True:
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited with {worker.returncode}")
        if await asyncio.to_thread(_answers, port):
            return time.monotonic()
        await asyncio.sleep(0.05)  # polling interval


def run_one(
    label: str, module: str, bootstrap: str, feed: list[tuple[TopicSpec, str, Event]], codec: AvroCodec
) -> float:
    """Produce the feed into a fresh namespace, start one worker of `module`, and measure its drain rate."""
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    group = f"{prefix}group"
    asyncio.run(apply_catalog(bootstrap, prefix))
    asyncio.run(produce(bootstrap, prefix, feed, codec))
    data_dir = tempfile.mkdtemp(prefix=f"psflow-bench-{label}-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSFLOW_")}
    (port,) = free_ports()
    env.update(
        PSFLOW_BROKER=bootstrap, PSFLOW_APP_ID=group, PSFLOW_TOPIC_PREFIX=prefix,
        PSFLOW_DATA_DIR=data_dir, PSFLOW_WEB_PORT=str(port), PSFLOW_LOG_LEVEL="warning",
    )  # fmt: skip
    log = Path(data_dir) / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", module, "worker"], env=env, stdout=out, stderr=out)
        try:
            rate, _ = asyncio.run(drain_rate(bootstrap, group, prefix, worker, port))
            return rate
        finally:
            worker.terminate()
            worker.wait(timeout=60)


def main() -> int:
    """Run both measurements on one broker and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    codec = AvroCodec.from_directory()
    feed = mixed_stream(args.events)
    with bench_broker() as bootstrap:
        baseline = run_one("forward", "benchmarks.forward_app", bootstrap, feed, codec)
        pipeline = run_one("psflow", "app.cli", bootstrap, feed, codec)
    print(f"events: {len(feed)} mixed PSA records (contracts, time entries with revisions, milestones)")
    print(f"baseline  decode+forward Faust agent : {baseline:10.0f} events/s")
    print(f"psflow    project-ledger pipeline    : {pipeline:10.0f} events/s")
    print(f"ratio     psflow / baseline          : {pipeline / baseline:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
