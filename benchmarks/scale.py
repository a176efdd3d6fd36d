"""State that scales: one project with a long history, and many projects, through the psflow worker.

1. One time-and-materials project with `--entries` approved time entries (default 100,000): the worker must
   not fail, the largest value of any table changelog must stay small whatever the history, and the rate
   over the last 10 % of the entries must be about the rate over the first 10 % (cost per event does not
   grow with the project's history).
2. `--events` events (default 1,000,000) over `--projects` projects (default 100,000): the worker's resident
   memory after all of them against its resident memory after the first 100,000.
Run: `make bench-scale` (both) or `python -m benchmarks.scale --only one-project --entries 20000`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.contracts.codec import AvroCodec
from app.contracts.topology import repartitions
from benchmarks.broker import bench_broker
from benchmarks.measure import drain, fresh_namespace, largest_changelog_value, produce, start_worker, stop
from benchmarks.workloads import INPUTS, many_projects, one_project


def long_history(bootstrap: str, entries: int, codec: AvroCodec) -> None:
    """Measure one project with a long history."""
    ns = fresh_namespace(bootstrap)
    produced = asyncio.run(produce(ns, one_project(entries), codec))
    worker, port, log = start_worker(ns, "app.cli", "one-project")
    try:
        run = asyncio.run(drain(ns, worker, port, INPUTS, derived=repartitions()))
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}; log {log}") from exc
    finally:
        stop(worker)
    size, topic = asyncio.run(largest_changelog_value(ns))
    first, last = run.window_rate(0.0, 0.1), run.window_rate(0.9, 1.0)
    print(
        f"one project, {entries} approved time entries ({produced} records): {run.rate:.0f} records/s overall"
    )
    deciles = " ".join(f"{run.window_rate(i / 10, (i + 1) / 10):.0f}" for i in range(10))
    print(f"  rate per tenth of the entries (records/s): {deciles}")
    print(f"  rate over the first 10 %: {first:8.0f} records/s")
    print(f"  rate over the last 10 %:  {last:8.0f} records/s  ({last / first:.2f}x the first)")
    print(
        f"  largest changelog value:  {size} bytes ({topic}); worker peak RSS {run.peak_kib / 1024:.0f} MiB"
    )


def many(bootstrap: str, events: int, projects: int, codec: AvroCodec) -> None:
    """Measure many projects: resident memory after 100,000 events and after all of them."""
    ns = fresh_namespace(bootstrap)
    produced = asyncio.run(produce(ns, many_projects(events, projects), codec))
    worker, port, log = start_worker(ns, "app.cli", "many-projects")
    marks = (min(100_000, produced), produced)
    try:
        run = asyncio.run(drain(ns, worker, port, INPUTS, rss_at=marks, derived=repartitions()))
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}; log {log}") from exc
    finally:
        stop(worker)
    (early_at, early), (late_at, late) = run.rss[0], run.rss[-1]
    print(f"{produced} records over {projects} projects: {run.rate:.0f} records/s")
    print(
        f"  resident memory after {early_at}: {early / 1024:.0f} MiB; after {late_at}: {late / 1024:.0f} MiB"
    )
    print(f"  ratio {late / early:.2f} (peak {run.peak_kib / 1024:.0f} MiB)")


def main() -> int:
    """Run the scale measurements on one broker."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("one-project", "many-projects"))
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=100_000)
    args = parser.parse_args()
    codec = AvroCodec.from_directory()
    with bench_broker() as bootstrap:
        if args.only in (None, "one-project"):
            long_history(bootstrap, args.entries, codec)
        if args.only in (None, "many-projects"):
            many(bootstrap, args.events, args.projects, codec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
