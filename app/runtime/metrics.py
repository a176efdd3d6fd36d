"""Prometheus metrics of a worker, served at /metrics on its web port."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, generate_latest

EVENTS_IN = Counter("psflow_events_in_total", "Records read from an input topic.", ["topic"])
EVENTS_OUT = Counter("psflow_events_out_total", "Records sent to an output topic.", ["topic"])
EXCEPTIONS = Counter("psflow_exceptions_total", "Records sent to the exception queue.", ["reason"])
PROCESSING_SECONDS = Histogram(
    "psflow_processing_seconds",
    "Time from reading a record to having handed all its outputs to the producer.",
    ["agent"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)

# aiohttp refuses a charset inside content_type; the exposition format is UTF-8 anyway.
CONTENT_TYPE = "text/plain; version=0.0.4"


def render() -> bytes:
    """Render every metric in the Prometheus text format."""
    return generate_latest()
