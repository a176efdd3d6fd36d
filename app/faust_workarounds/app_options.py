"""The faust.App options psflow sets against Faust's defaults, each with its reason."""

from __future__ import annotations

from typing import Any

from app.faust_workarounds.scheduling import EventTimeScheduler

# Faust never commits on its own schedule: psflow's agents commit at each batch boundary (transactions.py).
_NEVER_SECONDS = 10**9
_NEVER_ACKS = 10**15

BENT_APP_OPTIONS: dict[str, Any] = {
    # Kafka orders partitions, not the merge of several topics: deliver each fetch in record-time order.
    "ConsumerScheduler": EventTimeScheduler,
    # On stop and on rebalance Faust clears the stream queues, then (by default) waits for the cleared
    # records to be acked, which never happens: shutdown and rebalances hang. Unprocessed records are
    # simply not committed and are read again, which the applied-offset guard makes harmless.
    "stream_wait_empty": False,
    # A timer or an ack counter would commit in the middle of a batch, with half its writes.
    "broker_commit_interval": _NEVER_SECONDS,
    "broker_commit_every": _NEVER_ACKS,
    # A batch's outputs go out as record batches (record_batches.py): fewer, larger ones cost the Python
    # client less per record than Faust's default of 16 KiB. Below the broker's 1 MiB message limit.
    "producer_max_batch_size": 256 * 1024,
}
