"""Pipeline throughput on the bench mix, three ways, on the same broker in the same run.

(a) the raw Python ceiling: an aiokafka loop that decodes each input with fastavro and produces one output
    per input in one Kafka transaction per batch with its offsets (benchmarks/raw_ceiling.py);
(b) a Faust agent that only decodes and forwards (benchmarks/forward_app.py), exactly_once;
(c) the psflow worker, exactly_once: ledger, project forecast, resource plan, repartitions.
Each runs in its own topic namespace on a backlog of the same records, as a fresh consumer group, and is
measured from readiness to fully committed (the psflow worker also until its repartitions are consumed).
Run: `make bench` or `python -m benchmarks.pipeline --events 20000`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.contracts.codec import AvroCodec
from app.contracts.topics import ERP_BILLING_COMMANDS, FORECAST_DELTAS, FORECAST_SNAPSHOTS
from app.contracts.topology import repartitions
from benchmarks import raw_ceiling
from benchmarks.broker import bench_broker
from benchmarks.measure import (
    count_records,
    drain,
    fresh_namespace,
    largest_changelog_value,
    produce,
    start_worker,
    stop,
)
from benchmarks.workloads import INPUTS, Feed, mixed_stream


def measure_raw(bootstrap: str, feed: Feed, codec: AvroCodec) -> float:
    """Return the raw ceiling's records per second."""
    ns = fresh_namespace(bootstrap)
    asyncio.run(produce(ns, feed, codec))
    topics = [ns.name(s) for s in INPUTS]
    return raw_ceiling.run(ns.kafka, ns.group, topics, ns.name(ERP_BILLING_COMMANDS), codec, len(feed))


def measure_worker(bootstrap: str, feed: Feed, codec: AvroCodec, module: str, label: str) -> dict[str, float]:
    """Drain the feed with one worker of `module`; return its rate, peak RSS and, for psflow, its outputs."""
    ns = fresh_namespace(bootstrap)
    asyncio.run(produce(ns, feed, codec))
    worker, port, log = start_worker(ns, module, label)
    psflow = module == "app.cli"
    try:
        run = asyncio.run(drain(ns, worker, port, INPUTS, derived=repartitions() if psflow else ()))
    except RuntimeError as exc:
        raise RuntimeError(f"{label}: {exc}; log {log}") from exc
    finally:
        stop(worker)
    out = {"rate": run.rate, "peak_mib": run.peak_kib / 1024}
    if psflow:
        out["forecast_records"] = asyncio.run(count_records(ns, (FORECAST_DELTAS, FORECAST_SNAPSHOTS)))
        out["commands"] = asyncio.run(count_records(ns, (ERP_BILLING_COMMANDS,)))
        out["largest_changelog_value"] = asyncio.run(largest_changelog_value(ns))[0]
    return out


def main() -> int:
    """Run the three measurements on one broker and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    codec = AvroCodec.from_directory()
    feed = mixed_stream(args.events)
    with bench_broker() as bootstrap:
        raw = measure_raw(bootstrap, feed, codec)
        faust = measure_worker(bootstrap, feed, codec, "benchmarks.forward_app", "forward")
        psflow = measure_worker(bootstrap, feed, codec, "app.cli", "psflow")
    n = len(feed)
    print(f"events: {n} mixed PSA records (contracts, time entries with revisions, milestones), 50 projects")
    print(f"{'':34} {'events/s':>10} {'x Faust':>8} {'x raw':>7} {'peak RSS':>10}")
    print(f"(a) raw aiokafka transactional loop {raw:10.0f} {raw / faust['rate']:8.2f} {1:7.2f} {'-':>10}")
    print(
        f"(b) Faust decode-and-forward agent {faust['rate']:10.0f} {1:8.2f} {faust['rate'] / raw:7.2f} "
        f"{faust['peak_mib']:8.0f} MiB"
    )
    print(
        f"(c) psflow pipeline (exactly_once)  {psflow['rate']:10.0f} {psflow['rate'] / faust['rate']:8.2f} "
        f"{psflow['rate'] / raw:7.2f} {psflow['peak_mib']:8.0f} MiB"
    )
    print(
        f"psflow outputs: {psflow['commands']:.0f} billing commands, "
        f"{psflow['forecast_records']:.0f} forecast records ({psflow['forecast_records'] / n:.2f} per input "
        "event), largest changelog value "
        f"{psflow['largest_changelog_value']:.0f} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
