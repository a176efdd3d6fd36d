"""The faust.App options psflow sets against Faust's defaults, each with its reason."""

from __future__ import annotations

from typing import Any

from app.faust_workarounds.scheduling import EventTimeScheduler

BENT_APP_OPTIONS: dict[str, Any] = {
    # Kafka orders partitions, not the merge of several topics: deliver each fetch in record-time order.
    "ConsumerScheduler": EventTimeScheduler,
    # On stop and on rebalance Faust clears the stream queues, then (by default) waits for the cleared
    # records to be acked, which never happens: shutdown and rebalances hang. Unprocessed records are
    # simply not committed and are read again, which the deterministic rules make harmless.
    "stream_wait_empty": False,
}
