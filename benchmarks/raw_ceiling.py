"""The raw Python ceiling: an aiokafka loop with the same work shape as psflow, minus psflow.

It consumes the benchmark's inputs (a fresh consumer group, read_committed), decodes every value with
fastavro (the codec's single-object framing), produces one output per input and commits each fetched batch
in one Kafka transaction together with its offsets, with one transactional producer for the process. No
rules, no state, no Faust: what Python, aiokafka and this broker allow on this machine.
"""

from __future__ import annotations

import asyncio
import io
import time

import fastavro
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from app.contracts.codec import HEADER_SIZE, AvroCodec
from app.security.kafka_clients import KafkaClients


async def drain(
    kafka: KafkaClients, group: str, topics: list[str], output: str, codec: AvroCodec, total: int
) -> float:
    """Consume, decode and forward every input transactionally; return records per second."""
    writers = {v.fingerprint: v.parsed for v in codec.versions()}
    consumer = kafka.consumer(
        *topics,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    producer = kafka.producer(transactional_id=f"{group}-raw", linger_ms=5, max_batch_size=512 * 1024)
    await consumer.start()
    await producer.start()
    done = 0
    started = time.perf_counter()
    try:
        while done < total:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            if not batch:
                continue
            async with producer.transaction():
                offsets = {}
                for tp, records in batch.items():
                    for record in records:
                        value = record.value or b""
                        body = io.BytesIO(value)
                        body.seek(HEADER_SIZE)
                        fastavro.schemaless_reader(body, writers[value[2:HEADER_SIZE]], None)
                        await producer.send(output, value, key=record.key)
                    offsets[TopicPartition(tp.topic, tp.partition)] = OffsetAndMetadata(
                        records[-1].offset + 1, ""
                    )
                    done += len(records)
                await producer.send_offsets_to_transaction(offsets, group)
        return total / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()


def run(
    kafka: KafkaClients, group: str, topics: list[str], output: str, codec: AvroCodec, total: int
) -> float:
    """Run the raw loop to completion in its own event loop."""
    return asyncio.run(drain(kafka, group, topics, output, codec, total))
