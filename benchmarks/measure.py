"""The benchmarks' harness: a fresh topic namespace, a feed produced into it, a worker drained and watched."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import GroupCoordinatorNotAvailableError
from aiokafka.structs import TopicPartition

from app.contracts.codec import AvroCodec
from app.contracts.topics import TopicNames, TopicSpec
from app.contracts.topology import TABLES
from app.devkit.kafka_process import free_ports
from app.runtime.topic_admin import apply_catalog
from app.security.kafka_clients import KafkaClients
from app.security.kafka_security import KAFKA_SECURITY_VARIABLES, KafkaSecurity
from domain.records.common import Event

POLL_S = 0.25


@dataclass(frozen=True)
class Namespace:
    """One measurement's own topics (catalog under a prefix) and consumer group."""

    bootstrap: str
    prefix: str

    @property
    def kafka(self) -> KafkaClients:
        """Return the client factory (security from PSFLOW_SECURITY_PROTOCOL and friends, if set)."""
        return KafkaClients(self.bootstrap, KafkaSecurity.from_env())

    @property
    def group(self) -> str:
        """Return the consumer group (the worker's app id)."""
        return f"{self.prefix}group"

    def name(self, spec: TopicSpec) -> str:
        """Return a catalog topic's name here."""
        return TopicNames(self.prefix).of(spec)


def fresh_namespace(bootstrap: str) -> Namespace:
    """Create the whole catalog under a new prefix."""
    ns = Namespace(bootstrap, f"bench{uuid.uuid4().hex[:8]}.")
    asyncio.run(apply_catalog(ns.kafka, ns.prefix))
    return ns


async def produce(ns: Namespace, feed: Iterable[tuple[TopicSpec, str, Event]], codec: AvroCodec) -> int:
    """Produce a feed as fast as the broker acknowledges it; return how many records."""
    producer = ns.kafka.producer(acks="all", linger_ms=5, max_batch_size=512 * 1024)
    await producer.start()
    count = 0
    try:
        pending = []
        for spec, key, record in feed:
            pending.append(await producer.send(ns.name(spec), codec.encode(record), key=key.encode()))
            count += 1
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return count


async def committed_of(ns: Namespace, specs: Iterable[TopicSpec]) -> tuple[int, int]:
    """Return (records the group committed, records there are) on the given input topics."""
    admin = ns.kafka.admin()
    consumer = ns.kafka.consumer()
    await admin.start()
    await consumer.start()
    try:
        tps = [TopicPartition(ns.name(s), p) for s in specs for p in range(s.partitions)]
        ends = await consumer.end_offsets(tps)
        try:
            committed = await admin.list_consumer_group_offsets(ns.group)
        except GroupCoordinatorNotAvailableError:  # a fresh broker elects the coordinator lazily
            committed = {}
        done = sum(committed[tp].offset for tp in tps if tp in committed and committed[tp].offset > 0)
        return done, sum(ends.values())
    finally:
        await consumer.stop()
        await admin.close()


def rss_kib(pid: int) -> tuple[int, int]:
    """Return (resident, peak resident) memory of a process in KiB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


@dataclass
class Run:
    """What a drained worker did: when it was ready, its progress over time, its memory."""

    ready_at: float
    done_at: float
    total: int
    timeline: list[tuple[float, int]] = field(default_factory=list)
    rss: list[tuple[int, int]] = field(default_factory=list)  # (records committed, KiB resident)
    peak_kib: int = 0

    @property
    def rate(self) -> float:
        """Return records per second from readiness to fully committed."""
        return self.total / max(self.done_at - self.ready_at, 1e-3)

    def window_rate(self, start: float, end: float) -> float:
        """Return the rate over the records between two fractions of the total (e.g. 0.9 to 1.0)."""
        first, last = start * self.total, end * self.total
        t0 = next(t for t, done in self.timeline if done >= first)
        t1 = next(t for t, done in self.timeline if done >= last)
        return (last - first) / max(t1 - t0, 1e-3)


def start_worker(
    ns: Namespace, module: str, label: str, extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int, Path]:
    """Start one worker of `module` in the namespace; return the process, its web port and its log."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"psflow-bench-{label}-"))
    keep = KAFKA_SECURITY_VARIABLES
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSFLOW_") or k in keep}
    (port,) = free_ports()
    env.update(
        PSFLOW_BROKER=ns.bootstrap,
        PSFLOW_APP_ID=ns.group,
        PSFLOW_TOPIC_PREFIX=ns.prefix,
        PSFLOW_DATA_DIR=str(data_dir),
        PSFLOW_WEB_PORT=str(port),
        PSFLOW_LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "warning"),
        **(extra or {}),
    )
    log = data_dir / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", module, "worker"], env=env, stdout=out, stderr=out)
    return worker, port, log


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


async def unread(ns: Namespace, specs: Iterable[TopicSpec]) -> int:
    """Return how many data records of the topics the group has not committed past (read_committed).

    Offsets alone do not tell on a transactionally written topic: its commit markers take offsets too.
    """
    admin = ns.kafka.admin()
    consumer = ns.kafka.consumer(isolation_level="read_committed", enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        tps = [TopicPartition(ns.name(s), p) for s in specs for p in range(s.partitions)]
        committed = await admin.list_consumer_group_offsets(ns.group)
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0)
        ends = await consumer.end_offsets(tps)
        left = 0
        while await behind(consumer, ends):
            left += sum(len(part) for part in (await consumer.getmany(timeout_ms=200)).values())
        return left
    finally:
        await consumer.stop()
        await admin.close()


async def behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    """Tell whether the consumer has yet to reach the end of any of its partitions."""
    return any([await consumer.position(tp) < end for tp, end in ends.items()])


async def drain(
    ns: Namespace,
    worker: subprocess.Popen[bytes],
    port: int,
    specs: Iterable[TopicSpec],
    rss_at: Iterable[int] = (),
    derived: Iterable[TopicSpec] = (),
) -> Run:
    """Wait for the worker's readiness, then poll its committed progress until it has every input record.

    `derived` topics (repartitions the worker writes and reads back) must be consumed too.
    """
    specs, derived = tuple(specs), tuple(derived)
    marks = sorted(rss_at)
    while not await asyncio.to_thread(_answers, port):
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited with {worker.returncode}")
        await asyncio.sleep(0.05)  # polling interval
    run = Run(ready_at=time.monotonic(), done_at=0.0, total=0)
    while True:
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited with {worker.returncode}")
        done, total = await committed_of(ns, specs)
        now = time.monotonic()
        run.timeline.append((now, done))
        resident, peak = rss_kib(worker.pid)
        run.peak_kib = max(run.peak_kib, peak)
        while marks and done >= marks[0]:
            run.rss.append((marks.pop(0), resident))
        if total and done >= total and (not derived or await unread(ns, derived) == 0):
            run.done_at, run.total = time.monotonic(), total
            return run
        await asyncio.sleep(POLL_S)  # polling interval


def stop(worker: subprocess.Popen[bytes]) -> None:
    """Stop a worker cleanly (SIGTERM), then wait for it."""
    worker.terminate()
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


async def count_records(ns: Namespace, specs: Iterable[TopicSpec]) -> int:
    """Return how many committed records the topics hold (read_committed, to their ends)."""
    topics = {ns.name(s): s.partitions for s in specs}
    return sum(len(values) for values in (await read_values(ns, topics)).values())


async def read_values(ns: Namespace, topics: dict[str, int]) -> dict[str, list[bytes | None]]:
    """Read every committed value of some topics (name -> partitions) to their ends; absent ones are empty."""
    admin = ns.kafka.admin()
    await admin.start()
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    # Partitions named, not looked up: a consumer's metadata may not list a topic created moments ago.
    tps = [TopicPartition(t, p) for t, n in topics.items() if t in existing for p in range(n)]
    out: dict[str, list[bytes | None]] = {t: [] for t in topics}
    if not tps:
        return out
    consumer = ns.kafka.consumer(isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while await behind(consumer, ends):
            for tp, records in (await consumer.getmany(timeout_ms=500, max_records=50_000)).items():
                out[tp.topic].extend(r.value for r in records)
        return out
    finally:
        await consumer.stop()


async def largest_changelog_value(ns: Namespace) -> tuple[int, str]:
    """Return the size in bytes of the largest value any table changelog of the group holds, and the topic."""
    topics = {table.changelog_topic(ns.group): table.partitions for table in TABLES}
    best = (0, "")
    for topic, values in (await read_values(ns, topics)).items():
        for value in values:
            if value is not None and len(value) > best[0]:
                best = (len(value), topic)
    return best
