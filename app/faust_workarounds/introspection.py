"""What Faust knows about a worker's readiness and keeps to itself: for /health."""

from __future__ import annotations

from typing import Any


def recovery_completed(app: Any) -> bool:
    """Tell whether the app's tables finished recovering from their changelogs."""
    recovery: Any = getattr(app.tables, "recovery", None)
    return bool(recovery is not None and recovery.completed.is_set())


def paused_partitions(consumer: Any) -> list[str]:
    """Return the partitions nobody fetches from ("topic:partition"): a stuck one is looked for first."""
    return sorted(f"{tp.topic}:{tp.partition}" for tp in getattr(consumer, "_paused_partitions", ()))
