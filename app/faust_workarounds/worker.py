"""Starting a Faust worker the way psflow needs: quiet, on sound local state, with its topics in place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from pathlib import Path
from typing import Any

from aiokafka.admin import NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from app.security.kafka_clients import KafkaClients

log = logging.getLogger(__name__)


def without_spinner(worker: Any) -> Any:
    """Turn Faust's terminal spinner off and return the worker.

    At WARNING and above the spinner sets the root logger to DEBUG so that every record spins it: each send
    then builds a debug record (a tenth of a busy worker's time). Workers need no spinner.
    """
    worker.spinner = None
    return worker


def discard_state_after_crash(running: Path, tabledir: Path) -> bool:
    """Delete local table state if the last run of this worker did not stop cleanly.

    A killed worker's local stores may be behind its last commit (killed between a batch's commit and its
    local write) and its persisted changelog offsets with them; the changelogs, read committed, hold exactly
    what was committed, so the tables are rebuilt from them. After a clean stop local state equals committed
    state: a batch writes its items locally only once its transaction committed.
    """
    if not running.exists():
        return False
    log.warning("last run did not stop cleanly: rebuilding tables in %s from their changelogs", tabledir)
    shutil.rmtree(tabledir, ignore_errors=True)
    return True


async def create_topic_before_start(
    kafka: KafkaClients,
    name: str,
    partitions: int,
    replication: int,
    retention_ms: int,
    timeout_s: float = 30.0,
) -> None:
    """Create an internal topic if missing and wait until the cluster's metadata lists it.

    Called before Faust starts: a topic Faust creates at start may be missing from the metadata when it
    subscribes, and Faust then ignores it ("Ignoring missing topic") until the next rebalance.
    """
    admin = kafka.admin(client_id="psflow-topics")
    await admin.start()
    try:
        if name not in await admin.list_topics():
            brokers = len((await admin.describe_cluster())["brokers"])
            configs = {"retention.ms": str(retention_ms)}
            topic = NewTopic(name, partitions, min(replication, brokers), topic_configs=configs)
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker of the group was first
                await admin.create_topics([topic])
        deadline = asyncio.get_running_loop().time() + timeout_s
        while name not in await admin.list_topics():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"topic {name} not in the cluster metadata after {timeout_s}s")
            await asyncio.sleep(0.1)  # polling interval while the controller propagates the topic
    finally:
        await admin.close()
