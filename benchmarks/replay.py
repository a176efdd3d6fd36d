"""Replay throughput: `plan` and `preview` in records/s, next to a raw aiokafka read of the same records.

One run, one broker, one fresh topic namespace holding a mixed PSA stream (benchmarks.pipeline.mixed_stream)
with the worker group's offsets committed at the end (so `preview` replays everything, as after a worker has
drained it). Measured, each on the same records of the ledger's input topics:
- raw: a group-less read_committed aiokafka consumer reading every partition to its end, no decoding;
- plan: every project, every input topic (resolve offsets, read, decode, match, count schema versions);
- preview: every project's history through the sandbox (decide) and the diff against erp.billing-commands.
Run: `python -m benchmarks.replay --events 20000` (uses `psflow kafka up`'s broker, or starts a private one).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime

from aiokafka.structs import TopicPartition

from app.contracts.codec import AvroCodec, load_versions
from benchmarks.broker import bench_broker
from benchmarks.measure import fresh_namespace, produce
from benchmarks.pipeline import mixed_stream
from replay import plan as plans
from replay import preview as previews
from replay.env import ReplayEnv
from replay.kafka_read import Reader, Slice, commit
from replay.selection import LEDGER_INPUTS, Selection


def _input_partitions(env: ReplayEnv) -> list[TopicPartition]:
    return [TopicPartition(env.name(s), p) for s in LEDGER_INPUTS for p in range(s.partitions)]


async def commit_group_at_end(env: ReplayEnv) -> None:
    """Commit the worker group's offsets at the inputs' ends, as a drained worker leaves them."""
    tps = _input_partitions(env)
    async with Reader(env.kafka) as reader:
        ends = {tp: b[1] for tp, b in (await reader.bounds(tps)).items()}
    await commit(env.kafka, env.group, ends)


async def raw_read(env: ReplayEnv) -> tuple[int, float]:
    """Read every input record with a bare consumer; return (records, seconds)."""
    started = time.perf_counter()
    tps = _input_partitions(env)
    async with Reader(env.kafka) as reader:
        bounds = await reader.bounds(tps)
        records = await reader.read(Slice(tp.topic, tp.partition, *bounds[tp]) for tp in tps)
    return len(records), time.perf_counter() - started


async def measure(env: ReplayEnv) -> dict[str, tuple[int, float]]:
    """Return (records, seconds) of the raw read, plan and preview over the same records."""
    results = {"raw aiokafka read": await raw_read(env)}
    started = time.perf_counter()
    selection = Selection(topics=tuple(s.name for s in LEDGER_INPUTS))
    async with Reader(env.kafka) as reader:
        plan = await plans.build(reader, selection, env.prefix, env.codec, env.index, datetime.now(UTC))
    results["plan"] = (sum(plan.scanned.values()), time.perf_counter() - started)
    started = time.perf_counter()
    preview = await previews.compute(env, plan)
    results["preview"] = (preview.events_replayed, time.perf_counter() - started)
    return results


def main() -> int:
    """Produce the stream, measure, print records/s side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    versions = load_versions()
    codec = AvroCodec(versions)
    feed = mixed_stream(args.events)
    with bench_broker() as bootstrap:
        ns = fresh_namespace(bootstrap)
        env = ReplayEnv(ns.kafka, ns.prefix, ns.group, codec, plans.SchemaIndex(versions))
        asyncio.run(produce(ns, feed, codec))
        asyncio.run(commit_group_at_end(env))
        results = asyncio.run(measure(env))
    print(f"records: {len(feed)} mixed PSA records on the ledger's input topics, {bootstrap}")
    raw_rate = results["raw aiokafka read"][0] / results["raw aiokafka read"][1]
    for label, (count, seconds) in results.items():
        rate = count / seconds
        print(
            f"{label:18} {count:8d} records in {seconds:6.2f} s = {rate:10.0f} records/s "
            f"({rate / raw_rate:5.2f}x raw)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
